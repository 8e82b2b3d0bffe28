"""`manage.py harmony_apikey create|list|revoke` — database API keys (shown once on create)."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import APIKey
from accounts.roles import ROLES

ACTOR = "cli"


class Command(BaseCommand):
    help = "Create, list or revoke API keys. Only a hash of each key is stored."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it once")
        create.add_argument("--name", required=True)
        create.add_argument("--role", choices=ROLES, required=True)
        create.add_argument("--expires", type=int, metavar="DAYS", help="days until it expires")
        sub.add_parser("list", help="list keys (prefix, role, last use; never the key)")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except services.AccountError as exc:
            raise CommandError(str(exc)) from None

    def _create(self, *, name: str, role: str, expires: int | None, **_: Any) -> None:
        if expires is not None and expires < 1:
            raise CommandError("--expires must be at least 1 day")
        lifetime = timedelta(days=expires) if expires else None
        _, plaintext = services.create_api_key(name=name, role=role, expires=lifetime, actor=ACTOR)
        self.stderr.write("Store this key now; it cannot be shown again:")
        self.stdout.write(plaintext)

    def _list(self, **_: Any) -> None:
        for key in APIKey.objects.order_by("created"):
            state = "revoked" if key.revoked else ("expired" if key.has_expired else "active")
            last = key.last_used.isoformat() if key.last_used else "never"
            expiry = key.expiry_date.isoformat() if key.expiry_date else "never"
            self.stdout.write(
                f"{key.prefix}  {key.name:20} {key.role:9} {state:8} last used {last}, "
                f"expires {expiry}"
            )

    def _revoke(self, *, prefix: str, **_: Any) -> None:
        key = services.revoke_api_key(key=prefix, actor=ACTOR)
        self.stdout.write(f"revoked {key.prefix} ({key.name})")
