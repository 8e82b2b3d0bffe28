"""Users of each role, API keys, and a clean failure counter for the accounts tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from accounts import services

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # API-key failure counters and throttles live in the cache
    yield
    cache.clear()


@pytest.fixture
def make_user(db):
    def make(username: str, role: str = "viewer"):
        return services.create_user(username=username, password=PASSWORD, role=role, actor="test")

    return make


@pytest.fixture
def logged_in(make_user):
    def login(role: str, **client_kwargs) -> Client:
        client = Client(**client_kwargs)
        client.force_login(make_user(role, role))
        return client

    return login


@pytest.fixture
def api_key(db):
    def create(role: str = "admin", **kwargs) -> str:
        _, plaintext = services.create_api_key(
            name=f"{role}-key", role=role, actor="test", **kwargs
        )
        return plaintext

    return create
