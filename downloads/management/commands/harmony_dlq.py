"""`manage.py harmony_dlq list|stats|requeue|purge`: the dead-letter queue from a shell.

    harmony_dlq list --reason no_candidates --older-than 7d
    harmony_dlq requeue --ids 12,13,14
    harmony_dlq requeue --reason provider_unavailable
    harmony_dlq purge --older-than 30d --yes

Requeue and purge call the same services as the API and the admin (downloads/actions.py) and are
audited as `cli:<login user>`; purge does nothing without `--yes`.
"""

from __future__ import annotations

import getpass
import re
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from downloads import actions
from downloads.models import DeadReason, JobKind

_AGE = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """ "30d", "12h", "1w2d" → timedelta; anything else is a CommandError."""
    parts = _AGE.findall(text.strip().lower())
    if not parts or _AGE.sub("", text.strip().lower()).strip():
        raise CommandError(f"--older-than expects e.g. 30d, 12h or 1w, not {text!r}")
    return timedelta(**{_UNITS[unit]: int(n) for n, unit in parts})


def parse_ids(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise CommandError(f"--ids expects comma-separated job ids, not {text!r}") from None


class Command(BaseCommand):
    help = "List, requeue or purge dead jobs (the dead-letter queue)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("list", "Print dead jobs as a table."),
            ("stats", "Count dead jobs by reason."),
            ("requeue", f"Requeue dead jobs (at most {actions.REQUEUE_LIMIT} a run)."),
            ("purge", f"Delete dead jobs (at most {actions.PURGE_LIMIT} a run; needs --yes)."),
        ):
            command = sub.add_parser(name, help=text)
            if name == "stats":
                continue
            command.add_argument("--reason", action="append", choices=DeadReason.values)
            command.add_argument("--kind", action="append", choices=JobKind.values)
            command.add_argument("--older-than", help="Dead for longer than e.g. 30d, 12h, 1w.")
            command.add_argument("--ids", help="Comma-separated job ids.")
            command.add_argument("--search", default="", help="Text in the label or error.")
            if name == "list":
                command.add_argument("--limit", type=int, default=50)
            if name == "purge":
                command.add_argument("--yes", action="store_true", help="Really delete.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "stats":
            return self.show_stats()
        criteria = self.criteria(options)
        if action == "list":
            return self.show_list(criteria, limit=options["limit"])
        if action == "purge" and not options["yes"]:
            count = actions.dead_jobs(criteria).count()
            raise CommandError(f"{count} dead jobs match; add --yes to purge them")
        run = actions.requeue_dead if action == "requeue" else actions.purge_dead
        try:
            result = run(criteria, actor=f"cli:{getpass.getuser()}", via="cli")
        except actions.DlqRequestError as exc:
            raise CommandError(str(exc)) from None
        for name, value in {**result.counts, "remaining": result.remaining}.items():
            self.stdout.write(f"{name:<12} {value}")
        return None

    def criteria(self, options: dict[str, Any]) -> actions.DeadFilter:
        age = options.get("older_than")
        return actions.DeadFilter(
            ids=parse_ids(options["ids"]) if options.get("ids") else (),
            reasons=tuple(options.get("reason") or ()),
            kinds=tuple(options.get("kind") or ()),
            dead_before=actions.older_than(parse_age(age)) if age else None,
            search=options.get("search") or "",
        )

    def show_list(self, criteria: actions.DeadFilter, *, limit: int) -> None:
        jobs = actions.dead_jobs(criteria)
        total = jobs.count()
        header = f"{'id':>7}  {'reason':<22} {'kind':<9} {'attempts':>8}  {'dead at':<19}  label"
        self.stdout.write(header)
        for job in jobs[:limit]:
            dead_at = f"{job.finished_at:%Y-%m-%d %H:%M:%S}" if job.finished_at else "-"
            self.stdout.write(
                f"{job.pk:>7}  {job.dead_reason:<22} {job.kind:<9} {job.attempts:>8}  "
                f"{dead_at:<19}  {job.label[:60]}"
            )
        self.stdout.write(f"{min(total, limit)} of {total} dead jobs shown")

    def show_stats(self) -> None:
        stats = actions.dlq_stats()
        for reason, count in sorted(stats["by_reason"].items(), key=lambda kv: -kv[1]):
            self.stdout.write(f"{reason:<24} {count:>7}")
        self.stdout.write(f"{'total':<24} {stats['total']:>7}")
