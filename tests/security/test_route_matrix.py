"""Every URL of the project × every method × every kind of caller → the decision in routes.py.

A route missing from `tests/security/routes.py::ROUTE_ACCESS` fails the suite: no route ships
without an access decision. Routes are called with placeholder arguments (a missing object's
404 still proves the caller got past the access check). Every method is tried: a policy's
GET rule also governs HEAD and OPTIONS, its POST rule every other write; a method a policy
does not name must be refused or answered 405.

The matrix runs with users and keys, with users only (accounts end open mode), and in open mode
(nothing exists): there anonymous callers reach the API, and a page of another origin reaches
none of it.
"""

from __future__ import annotations

import re
import re._constants as _c
import re._parser as _parser
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from accounts import services
from tests.security.routes import (
    ADMIN,
    ADMIN_KEY,
    ANONYMOUS,
    CALLERS,
    NOT_FOUND,
    OPERATOR,
    POLICIES,
    ROUTE_ACCESS,
    VIEWER,
    VIEWER_KEY,
)

LOGIN_PATHS = ("/ui/login/", "/admin/login/")
PASSWORD = "correct-horse-battery-9"


@dataclass(frozen=True)
class Route:
    key: str  # as written in ROUTE_ACCESS
    regex: str  # the full anchored regex of the route


def _pattern_text(pattern: RoutePattern | RegexPattern) -> str:
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        text = text.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    return text


def _pattern_regex(pattern: RoutePattern | RegexPattern) -> str:
    return pattern.regex.pattern.removeprefix("^").removesuffix("$").removesuffix("\\Z")


def walk_routes(resolver: URLResolver | None = None, key: str = "", regex: str = "") -> list[Route]:
    """Every concrete route under `resolver`, with its readable key and full regex."""
    resolver = resolver or get_resolver()
    routes: list[Route] = []
    for entry in resolver.url_patterns:
        entry_key = key + _pattern_text(entry.pattern)
        entry_regex = regex + _pattern_regex(entry.pattern)
        if isinstance(entry, URLResolver):
            routes.extend(walk_routes(entry, entry_key, entry_regex))
        elif isinstance(entry, URLPattern) and "(?P<format>" not in entry_regex:
            # DRF format-suffix twins share their base route's view and decision.
            routes.append(Route(key=entry_key, regex=entry_regex))
    return routes


def policy_for(route: Route) -> str | None:
    if route.key in ROUTE_ACCESS:
        return ROUTE_ACCESS[route.key]
    prefixes = [k for k in ROUTE_ACCESS if k.endswith("*") and route.key.startswith(k[:-1])]
    return ROUTE_ACCESS[max(prefixes, key=len)] if prefixes else None


def _sample(parsed: Any) -> str:
    """The shortest string matching a parsed regex (enough for URL patterns)."""
    out: list[str] = []
    for op, arg in parsed:
        if op is _c.LITERAL:
            out.append(chr(arg))
        elif op in (_c.NOT_LITERAL, _c.ANY):
            out.append("x" if arg != ord("x") else "y")
        elif op is _c.IN:
            out.append(_sample_class(arg))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, sub = arg
            out.append(_sample(sub) * (low or min(1, high)))
        elif op is _c.BRANCH:
            out.append(_sample(arg[1][0]))
        elif op is _c.SUBPATTERN:
            out.append(_sample(arg[-1]))
    return "".join(out)


def _sample_class(items: Any) -> str:
    op, arg = items[0]
    if op is _c.NEGATE:  # URL classes exclude separators such as / and .
        return "x"
    if op is _c.LITERAL:
        return chr(arg)
    if op is _c.RANGE:
        return chr(arg[0])
    return "1" if arg is _c.CATEGORY_DIGIT else "x"


def concrete_url(route: Route) -> str:
    """A URL that resolves to `route`, with placeholder values for its arguments."""
    path = _sample(_parser.parse(route.regex))
    assert re.fullmatch(route.regex, path), f"cannot build a URL for route {route.key!r}"
    return "/" + path


def test_every_route_is_classified():
    missing = sorted({r.key for r in walk_routes() if policy_for(r) is None})
    assert not missing, (
        "These routes have no access decision. Add one line each to ROUTE_ACCESS in "
        "tests/security/routes.py (policies are listed in POLICIES there):\n"
        + "\n".join(f'    "{key}": "<policy>",' for key in missing)
    )


def test_route_table_names_known_policies_and_existing_routes():
    keys = {r.key for r in walk_routes()}
    unknown = {k: v for k, v in ROUTE_ACCESS.items() if v not in POLICIES}
    assert not unknown, f"unknown policies in ROUTE_ACCESS: {unknown}"
    stale = [
        k for k in ROUTE_ACCESS if k not in keys and not any(x.startswith(k[:-1]) for x in keys)
    ]
    assert not stale, f"ROUTE_ACCESS lists routes that no longer exist: {stale}"


@pytest.fixture(params=["users_and_keys", "users_only"])
def callers(request, db) -> dict[str, Client]:
    clients = {ANONYMOUS: Client(raise_request_exception=False)}
    for role in (VIEWER, OPERATOR, ADMIN):
        user = services.create_user(username=role, password=PASSWORD, role=role, actor="t")
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
    assert get_user_model().objects.count() == 3
    if request.param != "users_only":
        for name, role in ((ADMIN_KEY, "admin"), (VIEWER_KEY, "viewer")):
            _, key = services.create_api_key(name=name, role=role, actor="test")
            clients[name] = Client(raise_request_exception=False, headers={"X-API-Key": key})
    assert set(clients) <= set(CALLERS)
    return clients


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.get("Location", "") or response.get("HX-Redirect", "")
    return response.status_code in (301, 302, 303) and location.startswith(LOGIN_PATHS)


METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
READS = ("GET", "HEAD", "OPTIONS")


def _call(client: Client, method: str, url: str, **headers: str):
    if method in READS:
        return client.generic(method, url, headers=headers)
    return client.generic(method, url, "{}", content_type="application/json", headers=headers)


def expected_callers(policy: str, method: str) -> frozenset[str] | str:
    """Who gets through `method` on a route of `policy` (reads follow GET, writes POST)."""
    rules = POLICIES[policy]
    if method in rules:
        return rules[method]
    return rules.get("GET" if method in READS else "POST", frozenset())


def _refused_by_admin_site(response) -> bool:
    # The site gate sends everyone but admins to its login; a 403 past it is a model-level
    # rule (read-only admin pages), not a site-access decision.
    location = response.get("Location", "")
    return response.status_code == 302 and location.startswith("/admin/login/")


def _judge(route: Route, policy: str, method: str, caller: str, response) -> str | None:
    where = f"{method} {route.key} as {caller}: {response.status_code}"
    expected = expected_callers(policy, method)
    # Readiness answers 503 by design when a probe fails (here: the test process runs no
    # cluster, so its ping goes unanswered once the matrix has run for a while).
    readiness_503 = route.key == "api/health/ready" and response.status_code == 503
    if response.status_code >= 500 and not readiness_503:
        return f"{where} (server error)"
    if expected == NOT_FOUND:
        return None if response.status_code in (404, 405) else f"{where}, expected 404"
    if policy == "sign_out":
        return None  # any answer but a server error (checked above)
    allowed = caller in expected
    refused = _refused_by_admin_site if policy == "admin_site" else _refused
    if allowed and refused(response):
        return f"{where}, expected to get through"
    if not allowed and not (refused(response) or response.status_code == 405):
        return f"{where}, expected to be refused"
    return None


def _matrix(callers: dict[str, Client], methods=METHODS, **headers: str) -> list[str]:
    failures: list[str] = []
    # Sign-out routes end the sessions the other routes need: they go last.
    for route in sorted(walk_routes(), key=lambda r: policy_for(r) == "sign_out"):
        policy = policy_for(route)
        assert policy, f"{route.key} is not classified (see test_every_route_is_classified)"
        url = concrete_url(route)
        resolve(url)  # the placeholder URL must reach this route's view
        for method in methods:
            for caller, client in callers.items():
                response = _call(client, method, url, **headers)
                failure = _judge(route, policy, method, caller, response)
                if failure:
                    failures.append(failure)
    return failures


# One test per method, so xdist spreads the matrix over its workers.
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.django_db(transaction=False)
def test_every_route_gives_each_caller_the_classified_access(callers, method):
    failures = _matrix(callers, methods=(method,))
    assert not failures, "\n".join(failures)


# --- open mode: no key and no account exist --------------------------------------------------


@pytest.mark.django_db(transaction=False)
def test_in_open_mode_anonymous_callers_reach_the_api_and_nothing_else():
    client = Client(raise_request_exception=False)
    failures: list[str] = []
    for route in walk_routes():
        policy = policy_for(route) or ""
        url = concrete_url(route)
        for method in METHODS:
            response = _call(client, method, url)
            if not policy.startswith("api_"):
                failure = _judge(route, policy, method, ANONYMOUS, response)
            elif response.status_code >= 500 or _refused(response):
                failure = f"{method} {route.key} in open mode: {response.status_code}"
            else:
                failure = None
            if failure:
                failures.append(failure)
    assert not failures, "\n".join(failures)


@pytest.mark.django_db(transaction=False)
def test_in_open_mode_no_other_origin_reaches_any_api_route():
    client = Client(raise_request_exception=False)
    leaks: list[str] = []
    for route in walk_routes():
        url = concrete_url(route)
        if not url.startswith(("/api/", "/env")):
            continue
        for method in METHODS:
            for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
                response = _call(client, method, url, **headers)
                if response.status_code != 403:
                    leaks.append(f"{method} {route.key} {headers}: {response.status_code}")
    assert not leaks, "\n".join(leaks)
