"""Library URL patterns (UI, mounted under /ui/)."""

urlpatterns: list = []
