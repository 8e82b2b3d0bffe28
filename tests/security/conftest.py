"""Fixtures the security tests share with the API tests."""

from tests.api.conftest import settings_yml  # noqa: F401 (a private harmony.yml to write to)
