"""`make docs-verify`: the documentation matches the tree.

Checks, over README.md and every Markdown file under docs/:
1. every relative Markdown link (`[text](path#anchor)`) points at a file or directory that exists;
2. every backticked repository path (`docs/health.md`, `harmony_site/config.py`) exists;
3. every knob in `harmony_site.config.KNOBS` has a row in docs/configuration.md, and no row
   names a knob that does not exist;
4. every management command of Harmony's apps is mentioned in some document.

Prints one line per problem and exits 1 when there is any; exits 0 silently otherwise.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "harmony_site",
    "accounts",
    "providers",
    "library",
    "downloads",
    "harmony_site/integrations",
)
# Directories Harmony creates at run time: paths under them are examples, not repository files.
RUNTIME_DIRS = {"config", "downloads", "music", "staticfiles", ".venv"}
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE = re.compile(r"`([^`\s]+)`")
_REPO_PATH = re.compile(r"^[\w.-]+(/[\w.-]+)+/?$")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def documents(root: Path) -> list[Path]:
    docs = sorted((root / "docs").rglob("*.md")) if (root / "docs").is_dir() else []
    readme = root / "README.md"
    return ([readme] if readme.exists() else []) + docs


def _prose(text: str) -> str:
    # Code blocks hold commands and sample output, not references to check.
    return _FENCE.sub("", text)


def broken_links(doc: Path, root: Path) -> list[str]:
    problems = []
    for target in _LINK.findall(_prose(doc.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # URLs, mailto:, in-page anchors
        path = target.split("#", 1)[0]
        resolved = (root / path.lstrip("/")) if path.startswith("/") else (doc.parent / path)
        if not resolved.exists():
            problems.append(f"{doc.relative_to(root)}: link to missing {target}")
    return problems


def broken_file_references(doc: Path, root: Path) -> list[str]:
    top_level = {entry.name for entry in root.iterdir()} - RUNTIME_DIRS
    problems = []
    for token in _CODE.findall(_prose(doc.read_text(encoding="utf-8"))):
        token = token.rstrip(".,:;")
        if not _REPO_PATH.match(token) or token.split("/", 1)[0] not in top_level:
            continue
        if not (root / token).exists() and not (doc.parent / token).exists():
            problems.append(f"{doc.relative_to(root)}: mentions missing file {token}")
    return problems


def undocumented_knobs(root: Path) -> list[str]:
    sys.path.insert(0, str(root))
    from harmony_site.config import KNOBS

    doc = root / "docs" / "configuration.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    rows = set(re.findall(r"^\|\s*`?([A-Z][A-Z0-9_]+)`?\s*\|", text, re.M)) - {"NAME"}
    names = {knob.name for knob in KNOBS}
    problems = [f"docs/configuration.md: knob {name} is not documented" for name in names - rows]
    problems += [f"docs/configuration.md: {name} is not a knob" for name in rows - names]
    return sorted(problems)


def management_commands(root: Path, apps: Iterable[str] = APPS) -> list[str]:
    commands = []
    for app in apps:
        folder = root / app / "management" / "commands"
        if folder.is_dir():
            commands += [p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")]
    return sorted(commands)


def undocumented_commands(root: Path) -> list[str]:
    corpus = "\n".join(doc.read_text(encoding="utf-8") for doc in documents(root))
    return [
        f"management command {name} is not mentioned in README.md or docs/"
        for name in management_commands(root)
        if not re.search(rf"\b{re.escape(name)}\b", corpus)
    ]


def verify(root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    for doc in documents(root):
        problems += broken_links(doc, root) + broken_file_references(doc, root)
    return problems + undocumented_knobs(root) + undocumented_commands(root)


def main() -> int:
    problems = verify()
    for problem in problems:
        print(f"docs-verify: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
