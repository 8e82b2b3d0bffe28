"""Page-number pagination, the default for every list endpoint (docs/api.md, "Pagination").

`?page=N&page_size=M`; `page_size` defaults to `DEFAULT_PAGE_SIZE` and is capped at
`MAX_PAGE_SIZE` (a larger value is clamped, not refused). A page past the end is a 404.
"""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class HarmonyPagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}` pages of at most `MAX_PAGE_SIZE` rows."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = (
        f"Rows per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
    )


def paginate(view: Any, request: Request, queryset: Any, serializer_class: type) -> Response:
    """One page of `queryset` for a plain APIView (generic views page by themselves)."""
    paginator = HarmonyPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
