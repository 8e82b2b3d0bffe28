"""Harmony's REST API conventions, shared by every app's `api/` package (docs/api.md).

What a new endpoint uses:
- errors: raise DRF exceptions or `harmony_site.api.exceptions.ApiError(message, code=...,
  status=..., details=...)`; `api_exception_handler` renders every one as
  `{"error": {"code", "message", "details"}}` and `ApiErrorMiddleware` does the same for
  anything outside DRF under `/api/` (unknown URLs, 405, 413, unhandled exceptions);
- pagination: `HarmonyPagination` is the default (`page`, `page_size` ≤ `MAX_PAGE_SIZE`);
- filtering/ordering: django-filter + `OrderingFilter` are the default backends, so a list view
  only declares `filterset_class` (or `filterset_fields`) and `ordering_fields`;
- creation: decorate `post` with `@idempotent` (the `Idempotency-Key` header);
- serializers: input and output serializers apart; `LimitedListField` for bounded lists;
- schema: `HarmonyAutoSchema` documents the error responses and the idempotency header on
  every operation, so views only describe their success bodies with `@extend_schema`.
"""
