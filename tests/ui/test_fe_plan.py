"""docs/ui/fe-htmx-plan.md stays true: every /ui/ route is in its sitemap (and nothing else),
and every polled fragment in the templates is in its table with the same id and interval."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "docs" / "ui" / "fe-htmx-plan.md"
POLLED = re.compile(r'<div id="([\w-]+)"[^>]*hx-trigger="every (\d+s)')


def _ui_routes(patterns, prefix: str = "", namespace: str = "") -> dict[str, str]:
    routes: dict[str, str] = {}
    for pattern in patterns:
        path = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{pattern.namespace}:" if pattern.namespace else namespace
            routes.update(_ui_routes(pattern.url_patterns, path, inner))
        elif isinstance(pattern, URLPattern) and path.startswith("ui/") and pattern.name:
            routes[namespace + pattern.name] = "/" + path
    return routes


def _plan_rows(section: str) -> list[list[str]]:
    text = PLAN.read_text(encoding="utf-8").split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row] for row in rows]


def test_the_sitemap_lists_every_ui_route_and_nothing_else():
    routes = _ui_routes(get_resolver().url_patterns)
    documented = {row[0].strip("`"): row[1].strip("`") for row in _plan_rows("Sitemap")}
    assert set(routes) - set(documented) == set(), "UI routes missing from fe-htmx-plan.md"
    assert set(documented) - set(routes) == set(), "fe-htmx-plan.md lists routes that are gone"
    for name, path in routes.items():
        assert re.sub(r"<[^>]+>", "<>", path) == re.sub(r"<[^>]+>", "<>", documented[name]), name


def test_every_polled_fragment_is_documented_with_its_interval():
    polled = {}
    for template in (REPO / "templates").rglob("*.html"):
        for fragment, interval in POLLED.findall(template.read_text(encoding="utf-8")):
            polled[fragment] = interval
    fragments = _plan_rows("Fragments")
    documented = {row[0].strip("`#"): row[2] for row in fragments if "every" in row[2]}
    assert set(polled) == set(documented)
    for fragment, interval in polled.items():
        assert f"every {interval}" in documented[fragment], fragment
