"""Harmony's REST API conventions, shared by every app's `api/` package (docs/api.md).

What a new endpoint uses:
- errors: raise DRF exceptions or `exceptions.ApiError(message, code=..., status=...,
  details=...)`; `api_exception_handler` renders every one (and Http404, PermissionDenied,
  Django ValidationError, provider errors: not configured → 409, auth → 502, unavailable /
  rate-limited → 503) as `{"error": {"code", "message", "details"}}`; `middleware.
  ApiErrorMiddleware` does the same for everything outside DRF under `/api/` (unknown URLs,
  405, 413 bodies over `API_MAX_BODY_BYTES`, unhandled exceptions) and renders times in UTC.
  Field validation is always 400 with `details = {field: [messages]}`.
- pagination: `pagination.HarmonyPagination` is the default for generic views (`page`,
  `page_size` ≤ `MAX_PAGE_SIZE`); a plain APIView pages with `pagination.paginate(view,
  request, queryset, SerializerClass)` and is documented as paged automatically (set
  `pagination_class = None` on an APIView whose list answer is not paged).
- filtering/ordering: django-filter + `OrderingFilter` are the default backends: declare
  `filterset_class` and `ordering_fields`; ids in filters are `filters.IdFilter`.
- input limits: `serializers.MAX_NAME_LENGTH` (200), `MAX_TEXT_LENGTH` (1,000),
  `bounded_list(child, max_length=MAX_LIST_LENGTH)`, `id_field()` for ids in bodies.
- creation: decorate `post` with `@idempotency.idempotent` (or `@idempotent(redact=("key",))`
  for secrets shown once); declare every success status it can answer (`responses={201: X,
  200: X}` when "already exists" answers 200).
- schema: `schema.HarmonyAutoSchema` adds the error responses (the `Error` component), the
  `Idempotency-Key` header, and 409/502/503 for views with `provider_errors = True`; views
  describe their bodies with `@extend_schema(request=..., responses=...)`. New TextChoices used
  by serializers get a name in `SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]`.
"""
