"""`manage.py harmony_integrations`: list the integrations, test one, or run the schedule once.

python manage.py harmony_integrations list
python manage.py harmony_integrations test phone     # send a test / test the connection
python manage.py harmony_integrations run            # what `hdm-integrations` does each minute
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from harmony_site.integrations import selectors, services
from harmony_site.integrations.models import Integration


class Command(BaseCommand):
    help = "List the integrations, test one by name, or run the integrations schedule once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("list", "test", "run"))
        parser.add_argument("name", nargs="?", help="The integration to test.")

    def handle(self, *args: Any, action: str, name: str | None, **options: Any) -> None:
        if action == "list":
            for i in selectors.integrations():
                state = "enabled" if i.enabled else "disabled"
                self.stdout.write(f"{i.name}\t{i.kind}\t{state}\t{i.url_hint}")
        elif action == "test":
            integration = Integration.objects.filter(name=name or "").first()
            if integration is None:
                raise CommandError(f"no integration named {name!r} (see `list`)")
            ok, detail = services.test_integration(integration)
            if not ok:
                raise CommandError(f"{integration.name}: {detail}")
            self.stdout.write(f"{integration.name}: {detail}")
        else:
            report = services.run_tick()
            self.stdout.write(" ".join(f"{key}={value}" for key, value in report.items()))
