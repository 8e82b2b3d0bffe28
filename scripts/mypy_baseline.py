"""`make types`: mypy with django-stubs, held to a baseline that may only shrink.

    .venv/bin/python scripts/mypy_baseline.py [--update]

Runs mypy (settings in mypy.ini) and compares its findings with mypy-baseline.txt, one
`path: [code] message` per line (no line numbers, so moving code does not count as a change).
A finding not in the baseline fails the check: fix it, never add it. Baseline lines mypy no
longer reports are printed; `--update` rewrites the file without them (it never adds one).
`downloads/` and `library/` have no baseline lines at all.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
FINDING = re.compile(r"^(?P<path>[^:]+):\d+: error: (?P<message>.*?)\s+\[(?P<code>[a-z-]+)\]$")
CLEAN = ("downloads/", "library/")
HEADER = "# Known mypy findings; this file may only shrink (scripts/mypy_baseline.py).\n"


def findings(output: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in output.splitlines():
        match = FINDING.match(line.strip())
        if match:
            found[f"{match['path']}: [{match['code']}] {match['message']}"] += 1
    return found


def read_baseline() -> Counter[str]:
    lines = BASELINE.read_text(encoding="utf-8").splitlines() if BASELINE.exists() else []
    return Counter(line for line in lines if line and not line.startswith("#"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="mypy against its shrinking baseline")
    parser.add_argument("--update", action="store_true", help="drop fixed lines from the baseline")
    args = parser.parse_args(argv)
    mypy = Path(sys.executable).parent / "mypy"
    answer = subprocess.run([str(mypy)], cwd=ROOT, capture_output=True, text=True)
    if answer.returncode not in (0, 1) or "error:" in answer.stderr:
        print(answer.stdout + answer.stderr, file=sys.stderr)
        print("types: mypy itself failed", file=sys.stderr)
        return 2
    found, baseline = findings(answer.stdout), read_baseline()
    new = found - baseline
    fixed = baseline - found
    for line in sorted(new.elements()):
        print(f"types: NEW {line}")
    for line in sorted(fixed.elements()):
        print(f"types: fixed (remove from the baseline) {line}")
    dirty = [line for line in baseline if line.startswith(CLEAN)]
    if dirty:
        print(f"types: the baseline may hold nothing for {', '.join(CLEAN)}: {dirty[0]}")
    if args.update and fixed:
        kept = baseline - fixed
        BASELINE.write_text(HEADER + "".join(f"{line}\n" for line in sorted(kept.elements())))
    total = sum(found.values())
    print(f"types: {total} findings, {sum(new.values())} new, baseline {sum(baseline.values())}")
    return 1 if new or dirty else 0


if __name__ == "__main__":
    sys.exit(main())
