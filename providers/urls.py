"""Providers URL patterns (UI, mounted under /ui/)."""

urlpatterns: list = []
