"""Accounts state: API keys (hash + prefix only), the first-run setup token, role permissions."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from accounts.roles import PERMISSIONS


class Access(models.Model):
    """Holds Harmony's custom permissions (`accounts.submit_jobs`, ...); its table stays empty.

    A real (empty) table rather than an unmanaged model, so `dumpdata` backups keep working.
    """

    class Meta:
        default_permissions = ()
        permissions = PERMISSIONS

    def __str__(self) -> str:
        return "access"


class RoleChoices(models.TextChoices):
    ADMIN = "admin", "Admin"
    OPERATOR = "operator", "Operator"
    VIEWER = "viewer", "Viewer"


class APIKey(AbstractAPIKey):
    """A database-managed API key. Only its prefix and a SHA-512 hash are stored."""

    objects = APIKeyManager()

    role = models.CharField(max_length=16, choices=RoleChoices.choices, default="viewer")
    last_used = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, blank=True, default="")

    class Meta(AbstractAPIKey.Meta):
        abstract = False
        verbose_name = "API key"
        verbose_name_plural = "API keys"


class SetupToken(models.Model):
    """The one-time first-run URL token, stored as a SHA-256 hash; at most one is live."""

    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"setup token {self.pk}"


class IdempotencyRecord(models.Model):
    """A POST's `Idempotency-Key` and the response it got (harmony_site/api/idempotency.py).

    The row is written before the request runs, so a concurrent retry with the same key finds
    it; `status_code` stays null until the first request finishes.
    """

    caller = models.CharField(max_length=150)  # accounts.auth.actor_for(request.user)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # sha256 of method, path and JSON body
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="accounts_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
