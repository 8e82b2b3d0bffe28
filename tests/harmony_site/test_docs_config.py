"""docs/configuration.md and the declared knob table agree: same knobs, types and defaults."""

import re
from pathlib import Path

from harmony_site.config import KNOBS, KNOBS_BY_NAME, Knob

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
HEADER = ["name", "type", "default", "help"]
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def split_row(line: str) -> list[str]:
    cells = _CELL_SPLIT.split(line.strip().strip("|"))
    return [cell.strip().strip("`").replace("\\|", "|") for cell in cells]


def documented_rows(text: str) -> list[list[str]]:
    """Rows of every table whose header is `| NAME | type | default | help |`."""
    rows: list[list[str]] = []
    in_table = False
    for line in text.splitlines():
        if not line.lstrip().startswith("|"):
            in_table = False
            continue
        cells = split_row(line)
        if [cell.lower() for cell in cells] == HEADER:
            in_table = True
        elif in_table and not set("".join(cells)) <= set("-: "):
            rows.append(cells)
    return rows


def documented_default(knob: Knob) -> str:
    value = knob.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def expected_row(knob: Knob) -> str:
    return f"| {knob.name} | {knob.kind} | {documented_default(knob)} | {knob.help} |"


def test_every_knob_is_documented_once_and_nothing_else_is():
    names = [row[0] for row in documented_rows(DOC.read_text())]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    missing = [knob for knob in KNOBS if knob.name not in names]
    unknown = sorted(set(names) - set(KNOBS_BY_NAME))
    assert not duplicates, f"documented twice in {DOC.name}: {duplicates}"
    assert not unknown, f"{DOC.name} lists knobs that are not in KNOBS: {unknown}"
    assert not missing, f"add to {DOC.name}:\n" + "\n".join(expected_row(k) for k in missing)


def test_documented_type_and_default_match_the_table():
    wrong = []
    for row in documented_rows(DOC.read_text()):
        knob = KNOBS_BY_NAME.get(row[0])
        if knob is None or len(row) != 4:
            continue
        if (row[1], row[2]) != (knob.kind, documented_default(knob)):
            wrong.append(
                f"{row[0]}: doc says {row[1]} / {row[2]!r}; should be {expected_row(knob)}"
            )
    assert not wrong, "\n".join(wrong)


def test_rows_have_four_cells():
    bad = [row[0] for row in documented_rows(DOC.read_text()) if len(row) != 4]
    assert not bad, f"rows without exactly NAME | type | default | help: {bad}"


def test_parser_reads_escaped_pipes_and_backticks():
    rows = documented_rows(
        "| NAME | type | default | help |\n|---|---|---|---|\n| `A_B` | str | x | a \\| b |\n"
    )
    assert rows == [["A_B", "str", "x", "a | b"]]
