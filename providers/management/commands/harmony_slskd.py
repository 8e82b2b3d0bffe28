"""`manage.py harmony_slskd status` and `manage.py harmony_slskd search "artist title"`.

Small operator commands that print what slskd returns, to check the connection and what the
network offers for a query, without involving the HDM.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.errors import ProviderError
from providers.slskd.client import SlskdClient, UnsafeRemotePath, check_remote_path
from providers.slskd.probes import check_slskd
from providers.slskd.types import PeerFile, PeerResponse


class Command(BaseCommand):
    help = "Show slskd's state, or run one search on slskd and print the responses."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="Reachability, key, Soulseek login and version.")
        search = sub.add_parser("search", help='Search, e.g. "Daft Punk Da Funk".')
        search.add_argument("text")
        search.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help="Seconds to wait before stopping the search (default 60).",
        )
        search.add_argument(
            "--search-timeout-ms",
            type=int,
            default=15000,
            help="slskd's inactivity timeout for the search (default 15000).",
        )
        search.add_argument("--limit", type=int, default=50, help="Rows to print (default 50).")
        search.add_argument(
            "--poll-interval",
            type=float,
            default=1.0,
            help="Seconds between two polls of the search (default 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            self.show_status()
        else:
            self.run_search(options)

    def show_status(self) -> None:
        summary = check_slskd()
        for key in ("state", "detail", "version", "server", "last_error"):
            if summary.get(key):
                self.stdout.write(f"{key:<11} {summary[key]}")
        if summary["state"] == "fail":
            raise CommandError("slskd is not ready")

    def run_search(self, options: dict[str, Any]) -> None:
        """Create the search under our own id, poll it to the end, print, always delete it."""
        search_id = str(uuid.uuid4())
        try:
            client = SlskdClient.from_config()
            client.create_search(
                options["text"],
                search_id=search_id,
                search_timeout_ms=options["search_timeout_ms"],
            )
        except ProviderError as exc:
            raise CommandError(str(exc)) from None
        try:
            search = client.wait_for_search(
                search_id, deadline_s=options["timeout"], poll_interval=options["poll_interval"]
            )
            self.stdout.write(
                f"{search.state.value}: {search.response_count} responses, "
                f"{search.file_count} files ({search.locked_file_count} locked)"
            )
            self.print_table(search.responses, options["limit"])
        except ProviderError as exc:
            raise CommandError(str(exc)) from None
        finally:
            try:
                client.delete_search(search_id)
            except ProviderError as exc:
                self.stderr.write(f"could not delete search {search_id}: {exc}")

    def print_table(self, responses: tuple[PeerResponse, ...], limit: int) -> None:
        rows = [(r, f) for r in responses for f in r.files]
        rows.sort(key=lambda row: (not row[0].has_free_upload_slot, -row[0].upload_speed))
        header = f"{'user':<20} {'slot':<4} {'kB/s':>6} {'queue':>5} {'size MB':>8} "
        self.stdout.write(header + f"{'quality':<14} {'len':>5}  file")
        for response, peer_file in rows[:limit]:
            self.stdout.write(_row(response, peer_file))
        if len(rows) > limit:
            self.stdout.write(f"... {len(rows) - limit} more (use --limit)")


def _row(response: PeerResponse, peer_file: PeerFile) -> str:
    quality = " ".join(
        part
        for part in (
            f"{peer_file.bit_rate}kbps" if peer_file.bit_rate else "",
            f"{peer_file.bit_depth}/{(peer_file.sample_rate or 0) // 1000}k"
            if peer_file.bit_depth
            else "",
        )
        if part
    )
    length = f"{peer_file.length // 60}:{peer_file.length % 60:02d}" if peer_file.length else ""
    try:
        check_remote_path(peer_file.filename)
        name = peer_file.filename
    except UnsafeRemotePath:
        name = f"[refused: unsafe path] {peer_file.filename}"
    return (
        f"{response.username[:20]:<20} {'yes' if response.has_free_upload_slot else 'no':<4} "
        f"{response.upload_speed // 1000:>6} {response.queue_length:>5} "
        f"{peer_file.size / 1_000_000:>8.1f} {quality[:14]:<14} {length:>5}  {name}"
    )
