"""Contract test: every operation in the live OpenAPI schema, fuzzed by Schemathesis.

The schema is fetched from the app itself (`GET /api/v1/schema`) and every operation is called
through the full WSGI stack (middleware, authentication, exception handling) as an admin API
key, with a bounded, derandomized number of examples so CI is stable. Each response must not be
a server error, must use a documented status code and content type, and must match the
documented body schema. Nothing is excluded: settings writes go to a private harmony.yml, and
POSTs that enqueue work only run after a commit, which never happens inside the test.
"""

from __future__ import annotations

import contextlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services
from harmony_site.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
MAX_EXAMPLES = 12


@pytest.fixture
def api_schema(db, settings_yml):
    # Like Django's test client: keep the test's connection (and transaction) open across
    # requests instead of closing it when each request finishes.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def admin_key(db) -> str:
    _, key = services.create_api_key(name="schemathesis", role="admin", actor="test")
    return key


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same examples on every run: CI stays stable
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _exercise(operation, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @HYPOTHESIS
    def valid_input(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    # Wrong types, missing fields, out-of-range values: answered 4xx in the documented shape,
    # never a 500 (the body may fail the schema on purpose, so only these checks apply).
    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    @HYPOTHESIS
    def invalid_input(case) -> None:
        case.call_and_validate(headers=headers, checks=NEGATIVE_CHECKS)

    valid_input()
    with contextlib.suppress(Unsatisfiable):  # nothing to get wrong (no parameters, no body)
        invalid_input()


def test_every_operation_honours_the_schema(api_schema, admin_key):
    # pytest 9 and schemathesis' pytest plugin disagree about node ids, so the operations are
    # walked here; a failure names its operation and keeps the other operations running.
    failures, count = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        count += 1
        try:
            _exercise(operation, {"X-API-Key": admin_key})
        except (Exception, BaseExceptionGroup) as exc:  # collect every failure, then fail once
            failures.append(f"{operation.label}: {exc}")
    assert count >= 30, f"only {count} operations in the schema"
    assert not failures, "\n\n".join(failures)
