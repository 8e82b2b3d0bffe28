"""The process-group guardian of `harmony_serve`, which starts it; not a command to run.

`harmony_serve` writes `+<pgid>` and `-<pgid>` lines on this process's stdin as it starts and
reaps its children (each the leader of its own process group). Its death, however it dies
(SIGKILL included), closes that pipe: the guardian then stops every group it still knows,
SIGTERM first and SIGKILL after the timeout given as its argument, so no gunicorn or cluster
process is left running unsupervised (a cluster whose queue is locked ignores a SIGTERM).
Deliberately free of Django: it must start in milliseconds and never fail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is harmony_serve's to handle
    groups: set[int] = set()
    for line in sys.stdin:
        sign, pgid = line[:1], line[1:].strip()
        if pgid.isdigit():
            (groups.add if sign == "+" else groups.discard)(int(pgid))
    stop_groups(groups, timeout=float(argv[0]))


def stop_groups(groups: set[int], *, timeout: float) -> None:
    _signal_groups(groups, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while groups and time.monotonic() < deadline:
        time.sleep(0.2)  # polling the groups until the deadline
        groups = {pgid for pgid in groups if _exists(pgid)}
    _signal_groups(groups, signal.SIGKILL)


def _signal_groups(groups: set[int], signum: int) -> None:
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)


def _exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


if __name__ == "__main__":
    main(sys.argv[1:])
