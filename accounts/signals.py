"""Log every login, failed login and lockout as structured events (never the password)."""

from __future__ import annotations

import logging
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.auth import client_ip

logger = logging.getLogger("hdm.auth")


@receiver(user_logged_in)
def log_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    ip = client_ip(request) if request is not None else ""
    logger.info("hdm.auth.login", extra={"username": user.get_username(), "ip": ip})


@receiver(user_logged_out)
def log_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    username = user.get_username() if user is not None else ""
    logger.info("hdm.auth.logout", extra={"username": username})


@receiver(user_login_failed)
def log_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    ip = client_ip(request) if request is not None else ""
    logger.warning(
        "hdm.auth.login_failed", extra={"username": credentials.get("username", ""), "ip": ip}
    )


@receiver(user_locked_out)
def log_locked_out(
    sender: Any, request: Any, username: str, ip_address: str, **kwargs: Any
) -> None:
    logger.warning("hdm.auth.locked_out", extra={"username": username, "ip": ip_address})
