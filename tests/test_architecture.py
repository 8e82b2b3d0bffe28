"""The app rules (docs/development/README.md, "The rules"), executable.

Each test reads the import statements of the source tree (module level and inside functions)
and fails naming the file and the import that broke a rule.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRST_PARTY = ("accounts", "downloads", "harmony_site", "library", "providers")


def _sources(package: str) -> Iterator[Path]:
    for path in sorted((REPO / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def _path_of(module: str) -> Path | None:
    base = REPO.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _import_nodes(tree: ast.AST, *, lazy: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif lazy or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _import_nodes(node, lazy=lazy)


@functools.cache
def _imports(path: Path, *, lazy: bool = True) -> frozenset[str]:
    """Every module `path` imports (`from a import b` gives `a`, and `a.b` when that is a
    module), with the packages Python runs on the way. `lazy=False`: only what importing the
    module itself runs (no imports inside functions)."""
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8")), lazy=lazy):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif node.module and not node.level:
            names = [node.module]
            names += [
                f"{node.module}.{a.name}" for a in node.names if _path_of(f"{node.module}.{a.name}")
            ]
        else:
            continue
        for name in names:
            parts = name.split(".")
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(found)


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path.relative_to(REPO)} imports {name}"
        for path in _sources(package)
        for name in _imports(path)
        if name in forbidden
    )


def test_providers_import_no_app_but_harmony_site():
    assert _violations("providers", ("downloads", "library", "accounts")) == []


def test_library_never_imports_downloads():
    assert _violations("library", ("downloads",)) == []


# The ORM, HTTP, and the provider clients that speak it. Plain dataclass modules of the
# providers (`providers.types`, `providers.slskd.types`) are fine.
IMPURE = ("django", "rest_framework", "requests", "urllib3", "http", "urllib", "socket")
PROVIDER_CLIENTS = ("providers.http", "providers.slskd.client", "providers.spotify.client")


def _reachable(start: list[str]) -> dict[str, str]:
    """What running `start` can load: every import of the `start` modules (inside functions
    too), then what importing each first-party module loads. {module: its importer}."""
    seen: dict[str, str] = {}
    todo = [(name, "") for name in start]
    while todo:
        name, importer = todo.pop()
        if name in seen:
            continue
        seen[name] = importer
        path = _path_of(name) if name.split(".")[0] in FIRST_PARTY else None
        if path is not None:
            todo += [(child, name) for child in _imports(path, lazy=name in start)]
    return seen


def test_matching_imports_neither_the_orm_nor_http():
    start = [_module_name(path) for path in _sources("downloads/matching")]
    reachable = _reachable(start)
    impure = sorted(
        f"{name} (imported by {importer})"
        for name, importer in reachable.items()
        if name.split(".")[0] in IMPURE or name in PROVIDER_CLIENTS
    )
    assert impure == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for child in graph[node]:
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return components


def test_no_import_cycles_between_downloads_modules():
    modules = {_module_name(path): path for path in _sources("downloads")}
    # A package's own __init__ is not an edge: importing `downloads.jobs.state` runs it, but
    # it holds no code here.
    graph = {
        name: {child for child in _imports(path) if child in modules and child != name}
        - {name.rsplit(".", 1)[0]}
        for name, path in modules.items()
    }
    assert _cycles(graph) == []


def _calls_async_task(path: Path) -> bool:
    return any(
        isinstance(node, ast.Name | ast.Attribute)
        and (getattr(node, "id", None) or getattr(node, "attr", None)) == "async_task"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


def test_every_enqueue_is_in_the_job_engine_or_behind_a_service():
    """Views, API views, admin and commands ask a service; only the job engine and the
    services themselves call django-q2's `async_task`."""
    allowed = {"downloads.watchlists", "library.scanning", "library.reverify", "library.album_gain"}
    callers = {
        _module_name(path)
        for package in FIRST_PARTY
        for path in _sources(package)
        if _calls_async_task(path)
    }
    outside = sorted(
        name for name in callers if not name.startswith("downloads.jobs.") and name not in allowed
    )
    assert outside == []
    assert not [name for name in callers if "views" in name.split(".")]


def test_the_rules_see_a_violation():
    """The checks above are not vacuous: they find what they look for in known code."""
    assert "downloads.models" in _imports(REPO / "downloads/jobs/state.py")
    assert "django" in _reachable(["downloads.jobs.state"])
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert _calls_async_task(REPO / "downloads/jobs/queue.py")
