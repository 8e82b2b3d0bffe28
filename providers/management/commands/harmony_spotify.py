"""`manage.py harmony_spotify`: see what Spotify returns, browse your library, log in.

harmony_spotify import <link|uri>      tracks a link resolves to (table)
harmony_spotify import --text FILE     tracks of an "Artist - Title" list (no Spotify)
harmony_spotify import --csv FILE      tracks of an Exportify-style CSV (no Spotify)
harmony_spotify library playlists|tracks|artists [--search Q] [--cursor C] [--limit N]
                                       one page of the connected account's library (PRO)
harmony_spotify status                 mode, login, scopes, expiry, last error
harmony_spotify login                  print the URL to open for a PRO login
harmony_spotify complete <url>         finish it with the URL the browser ended on
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.errors import ProviderError
from providers.spotify.browse import KINDS, library_page
from providers.spotify.client import PAGE_MAX, SpotifyClient
from providers.spotify.links import InvalidSpotifyLink, parse_spotify_link
from providers.spotify.lists import InvalidTrackList, read_csv, read_text_list
from providers.spotify.normalise import Skipped
from providers.spotify.oauth import OAuthError, oauth_authorize_url, oauth_complete, oauth_status
from providers.types import TrackMeta

COLUMNS = (("Artist", 28), ("Title", 36), ("Album", 28), ("Time", 6), ("ISRC", 12))


class Command(BaseCommand):
    help = "Inspect Spotify: resolve a link or list, browse your library, log in (PRO)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="print the tracks a link or list resolves to")
        importing.add_argument("link", nargs="?", help="open.spotify.com link, spotify: URI")
        importing.add_argument("--text", type=Path, help='an "Artist - Title" list file')
        importing.add_argument("--csv", type=Path, help="an Exportify-style CSV file")
        importing.add_argument("--kind", help="what a bare id is: track, album, artist, playlist")
        library = sub.add_parser("library", help="one page of your playlists, tracks or artists")
        library.add_argument("kind", choices=KINDS)
        library.add_argument("--search", default="", help="words every row must contain")
        library.add_argument("--cursor", default="", help="where the last page said to go on")
        library.add_argument("--limit", type=int, default=PAGE_MAX, help="rows (at most 50)")
        sub.add_parser("status", help="mode, login, scopes, token expiry, last error")
        sub.add_parser("login", help="print the Spotify login URL (PRO mode)")
        completing = sub.add_parser("complete", help="finish a login with the redirect URL")
        completing.add_argument("url", help="the full address the browser ended on")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "import":
                self.import_(options)
            elif action == "library":
                self.library(options)
            elif action == "status":
                self.stdout.write(json.dumps(oauth_status(), indent=2))
            elif action == "login":
                self.stdout.write(oauth_authorize_url())
            elif action == "complete":
                oauth_complete(options["url"])
                self.stdout.write(self.style.SUCCESS("Spotify is connected."))
        except (InvalidSpotifyLink, InvalidTrackList, OAuthError, ProviderError) as exc:
            raise CommandError(str(exc)) from exc

    def import_(self, options: dict[str, Any]) -> None:
        skipped: list[Skipped] = []
        if options["text"] or options["csv"]:
            tracks = self._read_list(options["text"], options["csv"])
        elif options["link"]:
            tracks, skipped = self._resolve(options["link"], options["kind"])
        else:
            raise CommandError("give a link, --text FILE or --csv FILE")
        self._print_table(tracks)
        for item in skipped:
            self.stdout.write(f"skipped #{item.position + 1}: {item.reason} {item.detail}".rstrip())
        self.stdout.write(f"{len(tracks)} track(s), {len(skipped)} skipped")

    def library(self, options: dict[str, Any]) -> None:
        page = library_page(
            SpotifyClient.from_config(),
            options["kind"],
            cursor=options["cursor"],
            limit=options["limit"],
            query=options["search"],
        )
        for entry in page.entries:
            count = "" if entry.count is None else f"{entry.count} tracks"
            mark = "" if entry.followable else "  (not yours: cannot be read)"
            cells = (entry.uri, entry.name, entry.detail, count)
            widths = (40, 36, 28, 11)
            line = "  ".join(_fit(c, w) for c, w in zip(cells, widths, strict=True))
            self.stdout.write(line.rstrip() + mark)
        total = "?" if page.total is None else page.total
        self.stdout.write(f"{len(page.entries)} shown of {total} {options['kind']}")
        if page.next_cursor:
            self.stdout.write(f"more: --cursor {page.next_cursor}")

    def _read_list(self, text: Path | None, csv: Path | None) -> list[TrackMeta]:
        try:
            if csv is not None:
                with csv.open("rb") as handle:
                    parsed = read_csv(handle)
            else:
                parsed = read_text_list(text.read_text(encoding="utf-8-sig"))  # type: ignore[union-attr]
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the list: {exc}") from exc
        for problem in parsed.problems:
            self.stderr.write(str(problem))
        return parsed.tracks

    def _resolve(self, link: str, kind: str | None) -> tuple[list[TrackMeta], list[Skipped]]:
        ref = parse_spotify_link(link, default_kind=kind)
        client = SpotifyClient.from_config()
        if ref.kind == "playlist":
            read = client.playlist_items(ref.id)
            return read.tracks, read.skipped
        return client.resolve(ref), []

    def _print_table(self, tracks: list[TrackMeta]) -> None:
        self.stdout.write("  ".join(name.ljust(width) for name, width in COLUMNS))
        for meta in tracks:
            seconds = round(meta.duration_s) if meta.duration_s is not None else None
            duration = f"{seconds // 60}:{seconds % 60:02d}" if seconds is not None else ""
            cells = (", ".join(meta.artists), meta.title, meta.album, duration, meta.isrc)
            self.stdout.write(
                "  ".join(_fit(c, w) for c, (_, w) in zip(cells, COLUMNS, strict=True))
            )


def _fit(text: str, width: int) -> str:
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)
