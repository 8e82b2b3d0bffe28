"""`manage.py harmony_user add|role|disable|list` — manage UI users and their roles."""

from __future__ import annotations

import getpass
import os
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.roles import ROLES, user_role

ACTOR = "cli"


class Command(BaseCommand):
    help = "Add users, change their role, disable them, or list them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "add", help="create a user (password from HARMONY_NEW_PASSWORD or a prompt)"
        )
        add.add_argument("username")
        add.add_argument("--role", choices=ROLES, required=True)
        role = sub.add_parser("role", help="change a user's role")
        role.add_argument("username")
        role.add_argument("role", choices=ROLES)
        disable = sub.add_parser("disable", help="stop a user from signing in")
        disable.add_argument("username")
        sub.add_parser("list", help="list users with their role")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except (services.AccountError, ValidationError) as exc:
            raise CommandError(_one_line(exc)) from None

    def _add(self, *, username: str, role: str, **_: Any) -> None:
        password = os.environ.get("HARMONY_NEW_PASSWORD") or _prompt_password()
        services.create_user(username=username, password=password, role=role, actor=ACTOR)
        self.stdout.write(f"created {username} ({role})")

    def _role(self, *, username: str, role: str, **_: Any) -> None:
        services.set_role(user=_get_user(username), role=role, actor=ACTOR)
        self.stdout.write(f"{username} is now {role}")

    def _disable(self, *, username: str, **_: Any) -> None:
        services.disable_user(user=_get_user(username), actor=ACTOR)
        self.stdout.write(f"disabled {username}")

    def _list(self, **_: Any) -> None:
        for user in get_user_model().objects.order_by("username").prefetch_related("groups"):
            state = "active" if user.is_active else "disabled"
            role = user_role(user) if user.is_active else "-"
            self.stdout.write(f"{user.get_username():30} {role or '-':9} {state}")


def _get_user(username: str) -> Any:
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"no user {username!r}") from None


def _prompt_password() -> str:
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password (again): "):
        raise CommandError("the two passwords differ")
    return password


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)
