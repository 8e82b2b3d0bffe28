"""`manage.py harmony_pick`: download or follow what `harmony_spotify library` lists.

harmony_pick download <link|uri>...    download now (tracks, albums, playlists, artists)
harmony_pick follow <link|uri> [--every MINUTES] [--since YYYY-MM-DD] [--types album ...]
                                       follow a playlist or an artist (a watchlist)

The same services as the Spotify page's "Download now" and "Follow" buttons.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from downloads import submit, watchlists
from downloads.forms import RELEASE_TYPES
from downloads.models import JobKind
from providers.errors import ProviderError
from providers.spotify.links import InvalidSpotifyLink, parse_spotify_link

ACTOR = "cli"


class Command(BaseCommand):
    help = "Download now, or follow, a Spotify link (as the Spotify page's buttons do)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        download = sub.add_parser("download", help="download what the links stand for, now")
        download.add_argument("links", nargs="+", help="open.spotify.com links or spotify: URIs")
        follow = sub.add_parser("follow", help="follow a playlist or an artist (a watchlist)")
        follow.add_argument("link", help="a playlist or artist link or URI")
        follow.add_argument("--every", type=int, help="minutes between syncs (5 to 10080)")
        follow.add_argument("--since", type=date.fromisoformat, help="artists: releases from")
        follow.add_argument(
            "--types", nargs="+", choices=[value for value, _ in RELEASE_TYPES], help="artists"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "download":
                for link in options["links"]:
                    self.download(link)
            else:
                self.follow(options)
        except (InvalidSpotifyLink, ProviderError, watchlists.WatchlistError) as exc:
            message = exc.message if isinstance(exc, ProviderError) else str(exc)
            raise CommandError(message) from exc

    def download(self, link: str) -> None:
        submission = submit.submit_spotify_ref(
            parse_spotify_link(link), kind=JobKind.MANUAL, actor=ACTOR
        )
        job = f" (job {submission.job.pk})" if submission.job else ""
        self.stdout.write(f"{link}: {submission.summary()}{job}")

    def follow(self, options: dict[str, Any]) -> None:
        every = options["every"]
        if every is not None and not 5 <= every <= 7 * 24 * 60:
            raise CommandError("--every: give minutes from 5 to 10080")
        extra = {"since": options["since"]} if options["since"] else {}
        watchlist = watchlists.create_watchlist(
            options["link"],
            actor=ACTOR,
            release_types=options["types"],
            sync_minutes=every,
            **extra,
        )
        minutes = watchlists.sync_interval(watchlist)
        self.stdout.write(
            f"following {watchlist.kind} {watchlist.name} (watchlist {watchlist.pk}), "
            f"synced every {minutes} minutes"
        )
