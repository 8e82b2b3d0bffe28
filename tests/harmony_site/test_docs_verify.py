"""scripts/docs_verify.py finds broken links, missing files, knobs and commands."""

from pathlib import Path

from harmony_site.config import KNOBS
from scripts import docs_verify


def make_tree(root: Path) -> None:
    (root / "docs" / "install").mkdir(parents=True)
    (root / "harmony_site" / "management" / "commands").mkdir(parents=True)
    (root / "harmony_site" / "management" / "commands" / "harmony_check.py").write_text("")
    (root / "harmony_site" / "management" / "commands" / "__init__.py").write_text("")
    (root / "harmony_site" / "config.py").write_text("")
    rows = "\n".join(f"| {knob.name} | {knob.kind} | x | y |" for knob in KNOBS)
    (root / "docs" / "configuration.md").write_text(f"| NAME | type | default | help |\n{rows}\n")
    (root / "docs" / "install" / "docker.md").write_text(
        "See [config](../configuration.md#paths), [site](https://example.org) and "
        "`harmony_site/config.py`; run `harmony_check`. Runtime: `config/harmony.yml`.\n"
    )
    (root / "README.md").write_text("[Docker](docs/install/docker.md)\n")


def test_a_consistent_tree_has_no_problems(tmp_path):
    make_tree(tmp_path)
    assert docs_verify.verify(tmp_path) == []


def test_it_reports_each_kind_of_problem(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "harmony_site" / "management" / "commands" / "harmony_secret.py").write_text("")
    config_doc = tmp_path / "docs" / "configuration.md"
    text = config_doc.read_text().replace(f"| {KNOBS[0].name} |", "| NOT_A_KNOB |")
    config_doc.write_text(text)
    (tmp_path / "README.md").write_text(
        "[gone](docs/gone.md) and `harmony_site/missing.py`\n```\n[in code](nowhere.md)\n```\n"
    )
    problems = docs_verify.verify(tmp_path)
    assert problems == [
        "README.md: link to missing docs/gone.md",
        "README.md: mentions missing file harmony_site/missing.py",
        "docs/configuration.md: NOT_A_KNOB is not a knob",
        f"docs/configuration.md: knob {KNOBS[0].name} is not documented",
        "management command harmony_secret is not mentioned in README.md or docs/",
    ]


def test_management_commands_are_listed_per_app(tmp_path):
    make_tree(tmp_path)
    assert docs_verify.management_commands(tmp_path) == ["harmony_check"]
