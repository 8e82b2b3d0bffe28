"""A process-wide request pace for services that publish a rate limit (AcoustID, MusicBrainz)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Throttle:
    """At most one call per `interval_s` in this process; `wait()` sleeps until it is its turn.

    Each process paces itself: with several task workers the service's own answer (429, 503)
    is the backstop, and the HTTP client backs off on it.
    """

    def __init__(
        self,
        interval_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval_s = interval_s
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval_s
        if start > now:
            self._sleep(start - now)
