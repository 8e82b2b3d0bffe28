"""Writes on accounts: users and roles, the first admin, the setup token, API keys.

Every function here is the one path the UI, the API, the admin and the management commands
share, so each change is validated, logged (never with a secret) and audited the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Iterator
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, User
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import APIKey, SetupToken
from accounts.roles import ROLES, Role, has_role
from harmony_site.config import knobs
from harmony_site.logs import register_secret
from library.audit import record_event

logger = logging.getLogger("hdm.accounts")

SETUP_PATH = "/ui/setup/{token}/"
API_CLOSED_MESSAGE = (
    "An account or API key exists now, so the API is no longer open: every API caller needs "
    "an API key or a signed-in session, and acts with that key's or user's role."
)


class AccountError(ValueError):
    """A user or key change that cannot be made, phrased for the person who asked."""


def _audit(kind: str, *, actor: str, **details: object) -> None:
    logger.info(f"hdm.accounts.{kind}", extra={"actor": actor, **details})
    record_event(kind, actor=actor, **details)


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


# --- users ------------------------------------------------------------------------------


def _refuse_removing_last_admin(user: AbstractBaseUser) -> None:
    # Without an active admin nobody could manage users, keys or settings from the UI again.
    if not has_role(user, "admin"):
        return
    others = get_user_model().objects.filter(is_active=True).exclude(pk=user.pk)
    admins = others.filter(Q(is_superuser=True) | Q(groups__name="admin"))
    if not admins.exists():
        raise AccountError("this is the last active admin; make another admin first")


@transaction.atomic
def set_role(*, user: AbstractBaseUser, role: str, actor: str) -> None:
    """Give `user` exactly one role; admins also get the Django admin (is_staff)."""
    role = _check_role(role)
    if role != "admin":
        _refuse_removing_last_admin(user)
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(Group.objects.get(name=role))
    user.is_staff = role == "admin"
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("_harmony_role", None)  # forget the role cached by user_role()
    _audit("user_role_changed", actor=actor, username=user.get_username(), role=role)


@contextlib.contextmanager
def _announcing_api_closed(*, created: str) -> Iterator[None]:
    """Log, in words, when the account or key being created ends open mode."""
    from accounts.auth import api_auth_mode

    was_open = api_auth_mode() == "open"
    yield
    if was_open:
        logger.warning(f"hdm.accounts.api_closed: {API_CLOSED_MESSAGE}", extra={"by": created})


@transaction.atomic
def create_user(*, username: str, password: str, role: str, actor: str) -> AbstractBaseUser:
    """Create an active user with `role`; the password must pass the configured validators."""
    with _announcing_api_closed(created=f"user:{username}"):
        return _create_user(username=username, password=password, role=role, actor=actor)


def _create_user(*, username: str, password: str, role: str, actor: str) -> AbstractBaseUser:
    _check_role(role)
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise AccountError(f"user {username!r} already exists")
    user = user_model(username=username)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    set_role(user=user, role=role, actor=actor)
    _audit("user_created", actor=actor, username=username, role=role)
    return user


def disable_user(*, user: AbstractBaseUser, actor: str) -> None:
    """Stop `user` from logging in (kept for the audit trail) and end their sessions."""
    _refuse_removing_last_admin(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _end_sessions(user)
    _audit("user_disabled", actor=actor, username=user.get_username())


def enable_user(*, user: User, actor: str) -> None:
    """Let a disabled user sign in again (with their old password and role)."""
    user.is_active = True
    user.save(update_fields=["is_active"])
    _audit("user_enabled", actor=actor, username=user.get_username())


def set_password(*, user: User, password: str, actor: str) -> None:
    """A new password (the user's own change, or an admin's reset) that passes the validators;
    every other session of the user ends, so a leaked session dies with the old password."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _end_sessions(user)
    _audit("password_changed", actor=actor, username=user.get_username())


def _end_sessions(user: AbstractBaseUser) -> None:
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()


# --- first admin ------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_setup_token() -> str:
    """Replace any unused setup token with a fresh one and return it (shown once, in the log)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        SetupToken.objects.filter(used_at__isnull=True).delete()
        SetupToken.objects.create(token_hash=_hash_token(token))
    return token


def setup_token_is_valid(token: str) -> bool:
    """True while `token` is the live setup token and still no user exists."""
    if get_user_model().objects.exists():
        return False
    return SetupToken.objects.filter(token_hash=_hash_token(token), used_at__isnull=True).exists()


@transaction.atomic
def complete_setup(*, token: str, username: str, password: str) -> AbstractBaseUser:
    """Spend the setup token and create the first admin; a second attempt finds it spent."""
    if get_user_model().objects.exists():
        raise AccountError("Harmony already has users; sign in instead.")
    claimed = SetupToken.objects.filter(token_hash=_hash_token(token), used_at__isnull=True)
    if claimed.update(used_at=timezone.now()) != 1:
        raise AccountError("This setup link was already used or replaced.")
    return _create_first_admin(username=username, password=password, actor="setup")


def _create_first_admin(*, username: str, password: str, actor: str) -> AbstractBaseUser:
    user = create_user(username=username, password=password, role="admin", actor=actor)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


def bootstrap_first_admin() -> str | None:
    """At start-up with no user: create the admin from the environment, or log a setup URL.

    Returns the setup path when one was issued. Called after migrations (accounts.apps) and
    by `harmony_serve`; a no-op once any user exists.
    """
    if get_user_model().objects.exists():
        return None
    config = knobs()
    username, password = config["HARMONY_ADMIN_USER"], config["HARMONY_ADMIN_PASSWORD"]
    if username and password:
        _create_first_admin(username=username, password=password, actor="system")
        logger.warning("hdm.accounts.first_admin_created", extra={"username": username})
        return None
    path = SETUP_PATH.format(token=create_setup_token())
    # The one place a secret is logged on purpose: it is the only way to reach the wizard,
    # it works once, and it dies as soon as an account exists.
    logger.warning(
        "hdm.accounts.setup_required: no user exists; open %s to create the first admin",
        _setup_url(path, bind=config["HTTP_BIND"]),
        extra={"setup_path": path},
    )
    return path


def _setup_url(path: str, *, bind: str) -> str:
    """The link as this machine's browser reaches it (a wildcard bind means any address)."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}{path}" if port else path


# --- API keys ---------------------------------------------------------------------------


def create_api_key(
    *, name: str, role: str, expires: timedelta | None = None, actor: str
) -> tuple[APIKey, str]:
    """Create a database API key; returns it and the plain key, which is never stored."""
    role = _check_role(role)
    name = name.strip()
    if not name or len(name) > 50:
        raise AccountError("an API key needs a name of 1 to 50 characters")
    expiry = timezone.now() + expires if expires is not None else None
    with _announcing_api_closed(created=f"apikey:{name}"):
        key, plaintext = APIKey.objects.create_key(
            name=name, role=role, expiry_date=expiry, created_by=actor
        )
    register_secret(plaintext)
    _audit("api_key_created", actor=actor, key_name=name, prefix=key.prefix, role=role)
    return key, plaintext


def revoke_api_key(*, key: APIKey | str, actor: str) -> APIKey:
    """Revoke a key (object, id or prefix). Revocation is permanent; repeating it is harmless."""
    if isinstance(key, str):
        found = APIKey.objects.filter(prefix=key).first() or APIKey.objects.filter(pk=key).first()
        if found is None:
            raise AccountError(f"no API key with prefix {key!r}")
        key = found
    if not key.revoked:
        APIKey.objects.filter(pk=key.pk).update(revoked=True)
        key.refresh_from_db()
        _audit("api_key_revoked", actor=actor, key_name=key.name, prefix=key.prefix)
    return key


def warn_if_api_open() -> None:
    """Log once at start-up that the API accepts anyone (no API key or account exists yet)."""
    from accounts.auth import api_auth_mode

    if api_auth_mode() == "open":
        logger.warning(
            "hdm.accounts.api_open: no API key or account exists, so /api/v1 accepts anyone "
            "(web pages of other sites excepted); create the first admin or an API key "
            "(docs/operations/security.md)"
        )
