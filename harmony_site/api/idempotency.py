"""`Idempotency-Key` for POSTs that create something (docs/api.md, "Idempotency").

Decorate the view method: `@idempotent def post(self, request): ...`. With the header, the
first request reserves (caller, key) in `accounts.IdempotencyRecord` and, when it succeeds
(2xx/3xx), its status and body are stored; a retry with the same key and the same body gets
that response again (`Idempotent-Replayed: true`) without running the view (fields named in
`redact`, such as a plaintext key shown once, come back as null), a retry with a
different body gets 409 `idempotency_key_reused`, and one that arrives while the first is still
running gets 409 `idempotency_request_in_progress`. A failed request frees its key so it can be
retried. Keys are scoped to the caller and forgotten after `API_IDEMPOTENCY_HOURS`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.auth import actor_for
from accounts.models import IdempotencyRecord
from harmony_site.api.exceptions import ApiError
from harmony_site.config import knob

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_KEY_PATTERN = re.compile(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?")  # printable ASCII

ViewMethod = Callable[..., Response]


def _validated_key(raw: str) -> str:
    if len(raw) > MAX_KEY_LENGTH or not _KEY_PATTERN.fullmatch(raw):
        raise ApiError(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            code="invalid_idempotency_key",
            details={HEADER: ["Invalid key."]},
        )
    return raw


def request_fingerprint(request: Request) -> str:
    """sha256 of method, path and the parsed body (so JSON whitespace does not matter)."""
    digest = hashlib.sha256(f"{request.method}\n{request.path}\n".encode())
    fields = (
        {k: v for k, v in request.data.items() if k not in request.FILES}
        if hasattr(request.data, "getlist")
        else request.data
    )
    digest.update(json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode())
    for name in sorted(request.FILES):  # uploads (multipart views) count by their content
        upload = request.FILES[name]
        digest.update(name.encode())
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    return digest.hexdigest()


def _expiry_cutoff() -> Any:
    return timezone.now() - timedelta(hours=knob("API_IDEMPOTENCY_HOURS"))


def _reserve(*, caller: str, key: str, digest: str) -> IdempotencyRecord | Response:
    """The new reservation, or the response a retry of an earlier request must get."""
    IdempotencyRecord.objects.filter(created_at__lt=_expiry_cutoff()).delete()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(caller=caller, key=key, request_hash=digest)
        except IntegrityError:
            pass  # the key was used before (or is in use right now): decide from its row
        earlier = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
        if earlier is not None:
            return _replay(earlier, digest=digest)
        # Freed by a failed first request in the meantime: this retry may run after all.
    raise ApiError(
        f"This {HEADER} is contended; retry shortly.",
        code="idempotency_request_in_progress",
        status=409,
    )


def _replay(earlier: IdempotencyRecord, *, digest: str) -> Response:
    if earlier.request_hash != digest:
        raise ApiError(
            f"This {HEADER} was already used with a different request body.",
            code="idempotency_key_reused",
            status=409,
        )
    if earlier.status_code is None:
        raise ApiError(
            f"A request with this {HEADER} is still being processed; retry shortly.",
            code="idempotency_request_in_progress",
            status=409,
        )
    return Response(
        earlier.response_body, status=earlier.status_code, headers={REPLAYED_HEADER: "true"}
    )


def _store(record: IdempotencyRecord, response: Response, redact: tuple[str, ...]) -> None:
    if response.status_code >= 400:
        record.delete()  # only successes are remembered; a failed request may be retried
        return
    body = response.data
    if redact and isinstance(body, dict):
        body = {**body, **{field: None for field in redact if field in body}}
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, response_body=body
    )


def idempotent(
    method: ViewMethod | None = None, *, redact: tuple[str, ...] = ()
) -> ViewMethod | Callable[[ViewMethod], ViewMethod]:
    """Honour `Idempotency-Key` on a DRF view method (runs after authentication).

    `@idempotent` or `@idempotent(redact=("key",))`: top-level fields named in `redact` are
    stored (and so replayed) as null — for secrets shown once, which must never rest in the
    database in plain text.
    """
    if method is None:
        return functools.partial(idempotent, redact=redact)

    @functools.wraps(method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.headers.get(HEADER)
        if raw is None:
            return method(view, request, *args, **kwargs)
        key = _validated_key(raw)
        digest = request_fingerprint(request)
        reserved = _reserve(caller=actor_for(request.user), key=key, digest=digest)
        if isinstance(reserved, Response):
            return reserved
        try:
            response = method(view, request, *args, **kwargs)
        except BaseException:
            reserved.delete()
            raise
        _store(reserved, response, redact)
        return response

    wrapper.harmony_idempotent = True  # type: ignore[attr-defined]  # read by the schema
    return wrapper
