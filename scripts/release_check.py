"""`make release-check`: every gate a release must pass, in order, stopping at the first failure.

    .venv/bin/python scripts/release_check.py [--offline] [--only STEP ...] [--dry-run]

Steps:
1. test        `make test`: ruff and the whole suite, browser tests required
               (HARMONY_REQUIRE_BROWSER=1)
2. docs        `make docs-verify` (links, file references, knobs, management commands)
3. audit       pip-audit of the pinned requirements (runtime, dev and test files)
4. deploy      `manage.py check --deploy` with docs/examples/production.env, temporary CONFIG_DIR
5. smoke       scripts/smoke.py (a fresh Harmony downloads one track and stops cleanly)

The audit needs the vulnerability service. When it cannot be reached, or answers for none or
only some of the packages, the audit has not happened: the gate fails and says so, unless
`--offline` (or RELEASE_CHECK_OFFLINE=1) is given, in which case the skipped audit is printed
in the step and again in the verdict.

`--dry-run` prints the planned steps and runs nothing. RELEASE_CHECK_COMMANDS replaces the
planned steps with your own commands, one per line (or separated by `;;`), each run with
`bash -c` in the repository and named `cmd1`, `cmd2`, ... in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PRODUCTION_ENV = ROOT / "docs" / "examples" / "production.env"
AUDITED = ("requirements.txt", "requirements-dev.txt", "requirements-test.txt")
NETWORK_ERRORS = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "timed out")


class GateFailed(Exception):
    """A step failed; the message is the one line the operator reads."""


@dataclass(frozen=True)
class AuditVerdict:
    reachable: bool
    audited: int
    skipped: int
    vulnerabilities: list[str]
    detail: str = ""


def say(message: str) -> None:
    print(f"release-check: {message}", flush=True)


def run(argv: list[str], *, env: dict[str, str] | None = None, what: str) -> None:
    """Run one command with its output streaming through; a non-zero exit fails the gate."""
    code = subprocess.run(argv, cwd=ROOT, env=env).returncode
    if code != 0:
        raise GateFailed(f"{what} failed (exit {code}): {' '.join(argv)}")


def step_test(_: argparse.Namespace) -> str:
    env = {**os.environ, "HARMONY_REQUIRE_BROWSER": "1"}
    run(["make", "test"], env=env, what="make test")
    return "make test passed (browser tests required)"


def step_docs(_: argparse.Namespace) -> str:
    run(["make", "docs-verify"], what="make docs-verify")
    return "every link, file reference, knob and management command is documented"


def fixes(vulnerability: dict) -> str:
    return ", ".join(vulnerability.get("fix_versions") or ["no fixed version"])


def parse_audit(code: int, stdout: str, stderr: str) -> AuditVerdict:
    """Read pip-audit's JSON; an unreachable or answer-less service is not a clean audit."""
    try:
        report = json.loads(stdout)
    except ValueError:
        network = next((marker for marker in NETWORK_ERRORS if marker in stderr), "")
        last = stderr.strip().splitlines()[-1:] or [f"exit {code}, no report"]
        return AuditVerdict(False, 0, 0, [], detail=last[0] if network else f"error: {last[0]}")
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    vulnerabilities = [
        f"{d['name']} {d.get('version', '')}: {v.get('id')} (fixed in {fixes(v)})"
        for d in dependencies
        for v in d.get("vulns", [])
    ]
    audited = len(dependencies) - len(skipped)
    detail = skipped[0]["skip_reason"] if skipped else ""
    return AuditVerdict(not skipped, audited, len(skipped), vulnerabilities, detail)


def audit() -> AuditVerdict:
    argv = [str(BIN / "pip-audit"), "--no-deps", "--disable-pip", "--progress-spinner", "off"]
    argv += ["--format", "json"]
    for name in AUDITED:
        argv += ["--requirement", name]
    answer = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return parse_audit(answer.returncode, answer.stdout, answer.stderr)


def step_audit(args: argparse.Namespace) -> str:
    verdict = audit()
    if verdict.vulnerabilities:
        raise GateFailed(
            "pip-audit found known vulnerabilities:\n  " + "\n  ".join(verdict.vulnerabilities)
        )
    if verdict.reachable:
        return f"pip-audit: {verdict.audited} pinned packages, no known vulnerabilities"
    problem = (
        "the vulnerability service could not be reached"
        if not verdict.audited
        else f"the vulnerability service answered for only {verdict.audited} packages"
    )
    problem += f" ({verdict.skipped} not audited; {verdict.detail})"
    if not args.offline:
        raise GateFailed(
            f"dependency audit NOT done: {problem}. Run where the service is reachable, or "
            "pass --offline (RELEASE_CHECK_OFFLINE=1) to release without an audit."
        )
    args.offline_used = True
    return f"OFFLINE: dependency audit SKIPPED: {problem}"


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def step_deploy(_: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory(prefix="harmony-deploy-") as config_dir:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
        env.update(read_env_file(PRODUCTION_ENV))
        env["CONFIG_DIR"] = config_dir  # the sample's /config, made temporary
        argv = [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
        run(argv, env=env, what=f"manage.py check --deploy with {PRODUCTION_ENV.name}")
    return f"manage.py check --deploy passes with {PRODUCTION_ENV.relative_to(ROOT)}"


def step_smoke(_: argparse.Namespace) -> str:
    run([PYTHON, "scripts/smoke.py"], what="the smoke test (scripts/smoke.py)")
    return "smoke test passed"


PLANS = {
    "test": "HARMONY_REQUIRE_BROWSER=1 make test",
    "docs": "make docs-verify",
    "audit": f"pip-audit --no-deps of {', '.join(AUDITED)} (--offline: may be unreachable)",
    "deploy": f"manage.py check --deploy --fail-level WARNING with {PRODUCTION_ENV.name}",
    "smoke": "python scripts/smoke.py",
}

STEPS: dict[str, Callable[[argparse.Namespace], str]] = {
    "test": step_test,
    "docs": step_docs,
    "audit": step_audit,
    "deploy": step_deploy,
    "smoke": step_smoke,
}


def custom_commands(text: str) -> dict[str, str]:
    """RELEASE_CHECK_COMMANDS as named steps: one command per line or per `;;`."""
    commands = [c.strip() for line in text.splitlines() for c in line.split(";;")]
    return {f"cmd{n}": command for n, command in enumerate(filter(None, commands), 1)}


def command_step(command: str) -> Callable[[argparse.Namespace], str]:
    def step(_: argparse.Namespace) -> str:
        run(["bash", "-c", command], what=command)
        return f"`{command}` passed"

    return step


def plan(args: argparse.Namespace) -> dict[str, tuple[str, Callable[[argparse.Namespace], str]]]:
    """The steps to run, in order: {name: (what it runs, the step)}."""
    custom = custom_commands(os.environ.get("RELEASE_CHECK_COMMANDS", ""))
    if custom:
        return {name: (command, command_step(command)) for name, command in custom.items()}
    return {name: (PLANS[name], STEPS[name]) for name in args.only or list(STEPS)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Harmony's release gate.")
    parser.add_argument(
        "--offline",
        action="store_true",
        default=os.environ.get("RELEASE_CHECK_OFFLINE", "") not in ("", "0"),
        help="allow releasing without the dependency audit when its service is unreachable",
    )
    parser.add_argument("--only", nargs="+", choices=list(STEPS), help="run only these steps")
    parser.add_argument("--dry-run", action="store_true", help="print the planned steps only")
    args = parser.parse_args(argv)
    args.offline_used = False
    steps = plan(args)
    if os.environ.get("RELEASE_CHECK_COMMANDS", "").strip():
        say("steps from RELEASE_CHECK_COMMANDS")
    if args.dry_run:
        for number, (name, (what, _step)) in enumerate(steps.items(), 1):
            say(f"plan {number}. [{name}] {what}")
        say("dry run: nothing was run")
        return 0
    if args.offline:
        say("OFFLINE mode (--offline / RELEASE_CHECK_OFFLINE=1): an unreachable audit is allowed")
    for name, (_what, step) in steps.items():
        began = time.monotonic()
        say(f"[{name}] running")
        try:
            outcome = step(args)
        except GateFailed as exc:
            say(f"[{name}] FAILED: {exc}")
            say("verdict: NOT releasable")
            return 1
        say(f"[{name}] ok in {time.monotonic() - began:.0f} s: {outcome}")
    if args.offline_used:
        say("verdict: passed OFFLINE: every gate passed but the dependency audit was SKIPPED")
    else:
        say("verdict: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
