"""`manage.py harmony_dispatcher`: end the download manager's short waits on time.

Every HDM_POLL_INTERVAL_S it sends the jobs whose wait is over (`dispatch.dispatch_due`), so a
poll, the search gap or a next candidate never waits for django-q2's scheduler (which looks
about every 30 s). It does no job work itself and holds no worker; without it the
`hdm-dispatch` schedule and finishing tasks end waits, only later. SIGTERM/SIGINT stop it.
"""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from downloads.jobs.dispatch import run_dispatcher


class Command(BaseCommand):
    help = "Send due download jobs to the task cluster every HDM_POLL_INTERVAL_S (see docs)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="send due jobs once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if options["once"]:
            stop.set()
        else:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        sent = run_dispatcher(stop)
        self.stdout.write(f"sent {sent} due jobs")
