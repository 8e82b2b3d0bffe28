from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _bootstrap_after_migrate(
    sender: AppConfig, using: str, plan: Any = None, **kwargs: Any
) -> None:
    # After `migrate` (harmony_serve and `make run` migrate before serving) the tables exist,
    # so this is the earliest safe point for start-up writes. `flush` sends the signal without
    # a plan: an emptied test database is not a start-up.
    from accounts.services import bootstrap_first_admin, warn_if_api_open

    if using != "default" or plan is None:
        return
    bootstrap_first_admin()
    warn_if_api_open()


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Imported for their side effects: log handlers, the `auth` status section and the
        # deploy checks (the OpenAPI description of API-key authentication comes with the URL map).
        from accounts import exposure, signals, status  # noqa: F401

        post_migrate.connect(_bootstrap_after_migrate, sender=self)
