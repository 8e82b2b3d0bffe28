"""`manage.py harmony_schedules`: create or update the HDM's periodic tasks."""

from django.core.management.base import BaseCommand

from downloads.jobs.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Create or update Harmony's periodic tasks (sweeper, heartbeat). Safe to re-run."

    def handle(self, *args, **options) -> None:
        for name in ensure_schedules():
            self.stdout.write(f"schedule {name}: ok")
