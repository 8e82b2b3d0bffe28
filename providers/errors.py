"""Typed provider errors: what went wrong talking to slskd, Spotify or a metadata source.

Callers branch on the class, never on message text: `ProviderUnavailable` and
`ProviderRateLimited` are transient (retry later), `ProviderAuthError` needs an operator,
`ProviderNotFound` is an answer, `ProviderResponseError` is a bug or protocol drift on one side.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base class. `provider` names the service, `endpoint` the call (`GET /api/v0/server`)."""

    transient = False

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        endpoint: str = "",
        status: int | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.endpoint = endpoint
        self.status = status
        super().__init__(self._render())

    def _render(self) -> str:
        where = " ".join(part for part in (self.provider, self.endpoint) if part)
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{where}{status}: {self.message}" if where else f"{self.message}{status}"


class ProviderUnavailable(ProviderError):
    """Unreachable, timed out, 5xx after retries, or (slskd) not logged in to Soulseek."""

    transient = True


class ProviderAuthError(ProviderError):
    """401/403: the key or token was refused. Retrying without operator action will not help."""


class ProviderRateLimited(ProviderError):
    """429 the client did not (or could not) wait out; `retry_after` is in seconds."""

    transient = True

    def __init__(self, message: str, *, retry_after: float, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class ProviderNotFound(ProviderError):
    """404: the object (search, transfer, user, track) does not exist there."""


class ProviderResponseError(ProviderError):
    """A body that is malformed (HTML, truncated, empty, wrong types) or a status we did not
    expect. The message says what was wrong so an operator can file it without a traceback."""


class ProviderNotConfigured(ProviderError):
    """The provider's knobs are empty (e.g. `SLSKD_URL`); it is disabled, not broken."""
