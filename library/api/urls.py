"""Library REST API URL patterns (mounted under /api/v1/)."""

urlpatterns: list = []
