"""Harmony's declared configuration.

Every tunable is one `Knob` in `KNOBS`. The table generates `CONFIG_DIR/harmony.yml` on first
boot (knobs added by an upgrade are appended, never overwriting the operator's file), the typed
values Django's settings read, and the table in `docs/configuration.md` (a test keeps the two
in step). Precedence: environment variable > harmony.yml > default. A bad value stops start-up
with one line naming the source, the key and the expected type.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from harmony_site.files import ensure_key_file, locked, write_text_atomically
from harmony_site.secrets import (
    ENCRYPTED_PREFIX,
    FERNET_KEY_FILE,
    SecretDecryptError,
    decrypt_for_file,
)
from harmony_site.version import __version__

YML_NAME = "harmony.yml"
SECRET_KEY_FILE = "secret_key"
MASK = "********"
PRIVATE_DIR_MODE, PRIVATE_FILE_MODE = 0o700, 0o600
MIN_API_KEY_LENGTH = 16  # shorter HARMONY_API_KEYS entries are guessable despite the throttle


class ConfigError(Exception):
    """A configuration problem, phrased as one line an operator can act on."""


@dataclass(frozen=True)
class Knob:
    name: str
    kind: str  # str | int | float | bool | path | list | choice
    default: Any
    help: str
    section: str
    secret: bool = False
    choices: tuple[str, ...] = ()
    env_only: bool = False  # read from the environment only (it locates harmony.yml itself)
    minimum: float | None = None

    @property
    def expected(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        bound = f" >= {self.minimum:g}" if self.minimum is not None else ""
        return {
            "str": "text",
            "int": f"a whole number{bound}",
            "float": f"a number{bound}",
            "bool": "true or false",
            "path": "a directory path",
            "list": "a comma-separated list",
        }[self.kind]


# fmt: off
KNOBS: tuple[Knob, ...] = (
    # --- Paths ---------------------------------------------------------------------------
    Knob("CONFIG_DIR", "path", "./config", "Directory holding harmony.yml, harmony.db and the generated keys (environment only).", "Paths", env_only=True),
    Knob("DOWNLOADS_DIR", "path", "./data/downloads", "Where finished downloads arrive and are post-processed before promotion.", "Paths"),
    Knob("MUSIC_DIR", "path", "./data/music", "The music library Harmony files tracks into.", "Paths"),
    Knob("DISK_MIN_FREE_MB", "int", 512, "Free space (MB) DOWNLOADS_DIR and MUSIC_DIR must keep: below it imports and new downloads wait and readiness fails; 0 turns the floor off.", "Paths", minimum=0),
    # --- Server --------------------------------------------------------------------------
    Knob("HTTP_BIND", "str", "0.0.0.0:8080", "host:port the web UI and API listen on.", "Server"),
    Knob("OAUTH_CALLBACK_BIND", "str", "127.0.0.1:8888", "Second bind for the Spotify OAuth callback (http://127.0.0.1:8888/callback); empty disables it, and so does a port taken by another program (with a warning; Harmony starts anyway).", "Server"),
    Knob("WEB_WORKERS", "int", 2, "Number of gunicorn worker processes.", "Server", minimum=1),
    Knob("WEB_THREADS", "int", 2, "Threads per gunicorn worker, each serving one request at a time; slow clients and idle keep-alive connections hold no thread.", "Server", minimum=1),
    Knob("WEB_TIMEOUT", "int", 60, "Seconds before gunicorn restarts a worker stuck on one request.", "Server", minimum=5),
    Knob("ALLOWED_HOSTS", "list", [], "Extra host names Harmony answers to, besides IP addresses, localhost and this machine's names (a leading dot allows subdomains); * answers any name, which lets DNS-rebinding pages in.", "Server"),
    Knob("DEBUG", "bool", False, "Django debug mode. Never enable on a server others can reach.", "Server"),
    Knob("TIME_ZONE", "str", "UTC", "Time zone used to display times in the UI; storage is always UTC.", "Server"),
    Knob("SECRET_KEY", "str", "", "Django secret key; when empty one is generated once and kept in CONFIG_DIR/secret_key (mode 0600).", "Server", secret=True),
    Knob("MIGRATE_ON_START", "bool", True, "harmony_serve applies database migrations (under a lock) before serving; turn off when several hosts share one database.", "Server"),
    Knob("SERVE_READY_TIMEOUT_S", "float", 60.0, "Seconds harmony_serve waits for the web server and the core probes before giving up (exit 1).", "Server", minimum=1),
    Knob("SERVE_WATCHDOG_INTERVAL_S", "float", 15.0, "Seconds between two checks of the task cluster by harmony_serve's watchdog (restart when stalled).", "Server", minimum=1),
    # --- Database ------------------------------------------------------------------------
    Knob("DATABASE_URL", "str", "", "Database URL (e.g. postgres://user:pass@host:5432/harmony); empty uses SQLite CONFIG_DIR/harmony.db.", "Database", secret=True),
    Knob("SQLITE_BUSY_TIMEOUT", "float", 30.0, "Seconds a SQLite writer waits for the lock before failing.", "Database", minimum=1),
    # --- slskd (providers; docs/integrations/slskd.md) -------------------------------------
    Knob("SLSKD_URL", "str", "", "Base URL of slskd, e.g. http://slskd:5030 (plus web.url_base if set); empty disables downloading.", "slskd"),
    Knob("SLSKD_API_KEY", "str", "", "API key from slskd.yml web.authentication.api_keys (role readwrite), sent as X-API-Key.", "slskd", secret=True),
    Knob("SLSKD_DOWNLOADS_DIR", "str", "/app/downloads", "slskd's downloads directory as slskd itself sees it; mapped onto DOWNLOADS_DIR (the same volume as Harmony sees it).", "slskd"),
    Knob("SLSKD_CONNECT_TIMEOUT", "float", 5.0, "Seconds to wait for a connection to slskd.", "slskd", minimum=0.1),
    Knob("SLSKD_TIMEOUT", "float", 15.0, "Seconds to wait for an slskd answer (read timeout).", "slskd", minimum=0.1),
    Knob("SLSKD_MAX_RETRIES", "int", 3, "Retries of an slskd call after connection errors, 5xx and 429 (with backoff).", "slskd", minimum=0),
    Knob("SLSKD_MAX_RETRY_AFTER", "float", 30.0, "Longest 429 Retry-After (seconds) an slskd call waits out; longer ones fail the call as rate limited.", "slskd", minimum=0),
    # --- Spotify (providers; docs/auth/spotify.md) ---------------------------------------
    Knob("SPOTIFY_MODE", "choice", "auto", "pro = your account via OAuth (playlists, saved tracks, followed artists); free = app token only (links to tracks, albums, artists); auto = pro once connected, else free.", "Spotify", choices=("auto", "pro", "free")),
    Knob("SPOTIFY_CLIENT_ID", "str", "", "Client ID of your Spotify app (developer dashboard); empty disables Spotify.", "Spotify"),
    Knob("SPOTIFY_CLIENT_SECRET", "str", "", "Client secret of your Spotify app; needed for free mode only (pro mode uses PKCE).", "Spotify", secret=True),
    Knob("SPOTIFY_REDIRECT_URI", "str", "http://127.0.0.1:8888/callback", "Redirect URI registered in the Spotify app, matched exactly (localhost is refused by Spotify).", "Spotify"),
    Knob("SPOTIFY_ACCOUNTS_URL", "str", "https://accounts.spotify.com", "Spotify accounts service base URL (change only for tests).", "Spotify"),
    Knob("SPOTIFY_API_URL", "str", "https://api.spotify.com/v1", "Spotify Web API base URL (change only for tests).", "Spotify"),
    Knob("SPOTIFY_MARKET", "str", "", "Market (ISO country code) sent with app-only (free mode) requests; empty sends none.", "Spotify"),
    Knob("SPOTIFY_CONNECT_TIMEOUT", "float", 5.0, "Seconds to wait for a connection to Spotify.", "Spotify", minimum=0.1),
    Knob("SPOTIFY_READ_TIMEOUT", "float", 20.0, "Seconds to wait for a Spotify answer.", "Spotify", minimum=0.1),
    Knob("SPOTIFY_MAX_RETRIES", "int", 3, "Retries of a Spotify call after connection errors, 5xx and 429.", "Spotify", minimum=0),
    Knob("SPOTIFY_MAX_RETRY_AFTER", "float", 60.0, "Longest 429 Retry-After (seconds) a call waits out; longer ones fail the call as rate limited so the job is rescheduled.", "Spotify", minimum=0),
    Knob("SPOTIFY_FETCH_ISRC", "bool", True, "Fetch each album track singly to learn its ISRC (album track lists omit it); one extra call per track.", "Spotify"),
    # --- Metadata: lyrics and artwork (providers) -----------------------------------------
    Knob("LYRICS_ENABLED", "bool", True, "Fetch plain and synced lyrics from LRCLIB for downloaded tracks.", "Metadata"),
    Knob("LYRICS_URL", "str", "https://lrclib.net", "LRCLIB base URL.", "Metadata"),
    Knob("LYRICS_TIMEOUT", "float", 10.0, "Seconds to wait for an LRCLIB answer.", "Metadata", minimum=0.1),
    Knob("ACOUSTID_API_KEY", "str", "", "AcoustID application key: with it each download's fingerprint is looked up and a confident mismatch with the wanted ISRC is quarantined; empty skips the look-up.", "Metadata", secret=True),
    Knob("ACOUSTID_URL", "str", "https://api.acoustid.org/v2", "AcoustID web service base URL.", "Metadata"),
    Knob("MUSICBRAINZ_URL", "str", "https://musicbrainz.org/ws/2", "MusicBrainz web service base URL (ISRC to recording look-ups).", "Metadata"),
    Knob("ARTWORK_ENABLED", "bool", True, "Download the largest Spotify album image to embed as cover art.", "Metadata"),
    Knob("ARTWORK_MAX_BYTES", "int", 10485760, "Largest cover image downloaded, in bytes; bigger images are skipped.", "Metadata", minimum=1024),
    Knob("ARTWORK_TIMEOUT", "float", 15.0, "Seconds to wait for a cover image download.", "Metadata", minimum=0.1),
    # --- Library: dedupe, recycle, scan, manual import (library-db) ------------------------
    Knob("RECYCLE_DIR", "str", ".recycle", "Where files replaced by a better copy are moved (never deleted); relative paths are under DOWNLOADS_DIR.", "Library"),
    Knob("IMPORT_DIR", "str", "import", "Drop folder for manual import of your own files; relative paths are under DOWNLOADS_DIR.", "Library"),
    Knob("IMPORT_INTERVAL_MINUTES", "int", 1, "Minutes between two automatic looks at the import folder; 0 turns automatic import off (harmony_import still works).", "Library", minimum=0),
    Knob("IMPORT_SETTLE_S", "float", 10.0, "A dropped file is imported only once its size and modification time have held still this many seconds (a copy still running waits).", "Library", minimum=0),
    Knob("DEDUPE_DURATION_TOLERANCE_S", "float", 3.0, "Two files are the same recording by name only when their durations differ by at most this many seconds.", "Library", minimum=0),
    Knob("SCAN_BATCH_SIZE", "int", 500, "Files a library scan reads before writing them to the database in one batch.", "Library", minimum=1),
    # --- Library: tagging, naming, quality, verification (library-files; docs/library.md) --
    Knob("ID3_VERSION", "choice", "2.4", "ID3 version written to MP3 files; 2.3 joins multi-valued frames (artists, genres) with '/'.", "Library", choices=("2.4", "2.3")),
    Knob("TAG_CLEAR_EXISTING", "bool", False, "Remove every existing tag before writing Harmony's; by default unrelated tags are kept.", "Library"),
    Knob("ARTWORK_MAX_SIZE", "int", 1200, "Largest side in pixels of embedded cover art; larger images are scaled down, 0 keeps the original.", "Library", minimum=0),
    Knob("NAMING_TEMPLATE", "str", "{albumartist}/{album}[ ({year})]/[{disc}-][{track:02} ]{title}.{ext}", "Path of a track under MUSIC_DIR; tokens and [optional] groups are listed in docs/library.md.", "Library"),
    Knob("DURATION_TOLERANCE_S", "float", 5.0, "A delivered file whose duration differs from the wanted track by more seconds is quarantined.", "Library", minimum=0),
    Knob("QUALITY_FORMATS", "list", ["flac", "flac-hires", "alac", "alac-hires", "mp3-320", "mp3-v0", "mp3-256", "aac", "opus", "ogg", "mp3", "wav", "wav-hires"], "Accepted quality classes, best first; a class left out is never downloaded or kept.", "Library"),
    Knob("QUALITY_MIN_BITRATE", "int", 0, "Lowest acceptable bitrate in kbps for lossy files; 0 accepts any.", "Library", minimum=0),
    Knob("QUALITY_MAX_SAMPLE_RATE", "int", 0, "Highest acceptable sample rate in Hz; 0 accepts any.", "Library", minimum=0),
    Knob("QUALITY_MAX_BIT_DEPTH", "int", 0, "Highest acceptable bit depth of lossless files; 0 accepts any.", "Library", minimum=0),
    Knob("QUALITY_LOSSLESS_FLOOR_KBPS", "int", 160, "Before download, a lossless file smaller than this many kbps times the wanted length counts as truncated (lower it for quiet, mono or spoken-word lossless); 0 turns the check off for lossless files.", "Library", minimum=0),
    Knob("QUALITY_STRICT", "bool", False, "Refuse files whose bitrate, sample rate or bit depth is unknown instead of accepting them.", "Library"),
    Knob("AUDIO_ANALYSIS", "bool", True, "Decode every delivered file to check its spectrum (fake lossless), silence, clipping and loudness; false skips the checks and ReplayGain.", "Library"),
    Knob("QUALITY_FAKE_LOSSLESS", "choice", "flag", "A lossless file whose spectrum shows a lossy encoder's low-pass or an upsampled source: quarantine it (next candidate), accept and flag it as suspect, or accept it.", "Library", choices=("quarantine", "flag", "accept")),
    Knob("REPLAYGAIN", "bool", True, "Write ReplayGain 2.0 track gain and peak to every file, and album gain and peak once an album is complete.", "Library"),
    # --- Security (accounts; docs/operations/security.md) ---------------------------------
    Knob("HARMONY_API_KEYS", "list", [], "Comma-separated API keys (16+ characters each) with full (admin) access; with no key here or in the database and no account, the API is open (to callers that are not web pages of other sites).", "Security", secret=True),
    Knob("ALLOWED_ORIGINS", "list", ["*"], "Origins browsers may call the API from (CORS); * allows any origin with a key, never with cookies; while the API is open only listed origins (never *) may call it.", "Security"),
    Knob("CSRF_TRUSTED_ORIGINS", "list", [], "Extra origins (scheme://host[:port]) trusted for UI form posts, e.g. the public URL behind a reverse proxy.", "Security"),
    Knob("UI_COOKIES_SECURE", "bool", False, "Send the session and CSRF cookies over HTTPS only; set true whenever Harmony is reached over TLS.", "Security"),
    Knob("TLS_ENABLED", "bool", False, "Harmony is reached over HTTPS: redirect HTTP to HTTPS and send HSTS.", "Security"),
    Knob("BEHIND_PROXY", "bool", False, "Trust X-Forwarded-Proto and X-Forwarded-For from a reverse proxy (only if every request passes through it).", "Security"),
    Knob("SESSION_AGE", "int", 1209600, "Seconds a UI login lasts (default two weeks).", "Security", minimum=300),
    Knob("LOGIN_FAILURE_LIMIT", "int", 5, "Failed logins per user name and IP address before a lockout.", "Security", minimum=1),
    Knob("LOGIN_COOLOFF_MINUTES", "int", 15, "Minutes a locked-out user name and IP address must wait.", "Security", minimum=1),
    Knob("API_KEY_FAILURE_LIMIT", "int", 20, "Wrong API keys per IP address within LOGIN_COOLOFF_MINUTES before answering 429.", "Security", minimum=1),
    Knob("API_THROTTLE_RATE", "str", "", "Request limit per API caller, e.g. 600/minute; empty means unlimited.", "Security"),
    Knob("HARMONY_ADMIN_USER", "str", "", "User name of the first admin, created at start-up when no user exists.", "Security"),
    Knob("HARMONY_ADMIN_PASSWORD", "str", "", "Password of that first admin (used once, then change it in the UI).", "Security", secret=True),
    # --- Downloads (HDM core; docs/architecture/hdm.md) ----------------------------------
    Knob("HARMONY_BROKER_URL", "str", "", "Task broker: empty uses the database (ORM broker); redis://host:6379/0 uses Redis.", "Downloads", secret=True),
    Knob("HDM_WORKERS", "int", 2, "Task cluster worker processes.", "Downloads", minimum=1),
    Knob("HDM_TASK_TIMEOUT_S", "int", 300, "Seconds before the cluster kills a task; every HDM task is short, this is a safety net.", "Downloads", minimum=30),
    Knob("HDM_TASK_RETRY_S", "int", 900, "Seconds before the broker redelivers a task whose worker vanished (must exceed HDM_TASK_TIMEOUT_S).", "Downloads", minimum=60),
    Knob("HDM_PRIORITY_MANUAL", "int", 100, "Priority of jobs a person asked for (higher runs first).", "Downloads"),
    Knob("HDM_PRIORITY_WATCHLIST", "int", 50, "Priority of jobs found by watchlists.", "Downloads"),
    Knob("HDM_PRIORITY_BACKFILL", "int", 10, "Priority of backfill jobs (missing tracks of owned albums).", "Downloads"),
    Knob("HDM_MAX_SEARCHES", "int", 2, "Jobs searching at once (slskd runs two searches at a time).", "Downloads", minimum=1),
    Knob("HDM_MAX_DOWNLOADS", "int", 4, "Transfers watched at once.", "Downloads", minimum=1),
    Knob("HDM_MAX_POSTPROCESS", "int", 2, "Jobs verifying, tagging and moving files at once.", "Downloads", minimum=1),
    Knob("HDM_SEARCH_BUDGET", "int", 34, "Searches allowed per HDM_SEARCH_WINDOW_S across all workers (Soulseek bans bursts).", "Downloads", minimum=1),
    Knob("HDM_SEARCH_WINDOW_S", "float", 220.0, "Length of the search budget window in seconds.", "Downloads", minimum=1),
    Knob("HDM_SEARCH_MIN_GAP_S", "float", 5.0, "Minimum seconds between two searches.", "Downloads", minimum=0),
    Knob("HDM_SEARCH_TIMEOUT_MS", "int", 15000, "slskd search inactivity timeout in milliseconds.", "Downloads", minimum=1000),
    Knob("HDM_SEARCH_MAX_WAIT_S", "float", 120.0, "Seconds after which a running search is stopped and harvested.", "Downloads", minimum=5),
    Knob("HDM_SEARCH_BAN_PAUSE_S", "float", 1800.0, "Seconds all searching pauses when slskd reports a ban.", "Downloads", minimum=0),
    Knob("HDM_SEARCH_BAN_RECOVERY_S", "float", 3600.0, "After a ban's pause the search budget is halved (again for each further ban) and grows back to HDM_SEARCH_BUDGET evenly over this many seconds.", "Downloads", minimum=1),
    Knob("HDM_SEARCH_LOGGED_OUT_PAUSE_S", "float", 60.0, "Seconds all searching pauses when slskd is not logged in to Soulseek.", "Downloads", minimum=0),
    Knob("HDM_FRESH_SEARCHES", "int", 1, "Fresh searches a job may run after its candidate list runs out.", "Downloads", minimum=0),
    Knob("TRANSFER_QUEUED_TIMEOUT_S", "float", 300.0, "Seconds a transfer may wait queued (locally or at the peer) before Harmony cancels it.", "Downloads", minimum=1),
    Knob("TRANSFER_STALL_TIMEOUT_S", "float", 60.0, "Seconds a running transfer may go without new bytes before Harmony cancels it.", "Downloads", minimum=1),
    Knob("HDM_SLSKD_RETRY_ATTEMPTS", "int", 3, "slskd's transfers.download.retry.attempts (1 = slskd never retries).", "Downloads", minimum=1),
    Knob("HDM_SLSKD_RETRY_GRACE_S", "float", 65.0, "Seconds a retryable slskd failure may stay final before Harmony treats it as final.", "Downloads", minimum=0),
    Knob("HDM_FILE_APPEAR_TIMEOUT_S", "float", 30.0, "Seconds to wait for a completed transfer's file to appear in DOWNLOADS_DIR.", "Downloads", minimum=0),
    Knob("HDM_PEER_FAILURE_WINDOW_S", "float", 86400.0, "Window in which a peer's second failure excludes it.", "Downloads", minimum=1),
    Knob("HDM_PEER_EXCLUDE_S", "float", 86400.0, "Seconds an excluded peer is skipped.", "Downloads", minimum=0),
    Knob("HDM_POLL_INTERVAL_S", "float", 2.0, "Seconds between two polls of a running search or transfer.", "Downloads", minimum=0.01),
    Knob("HDM_MAX_RETRIES", "int", 8, "Retries after transient failures (slskd down, 5xx/429, disk) before a job is dead.", "Downloads", minimum=0),
    Knob("HDM_BACKOFF_PROVIDER_S", "float", 30.0, "First retry delay after a provider timeout or outage (doubles per retry, with jitter).", "Downloads", minimum=0),
    Knob("HDM_BACKOFF_RATE_LIMIT_S", "float", 60.0, "First retry delay after 5xx/429 answers (Retry-After wins when longer).", "Downloads", minimum=0),
    Knob("HDM_BACKOFF_PEER_S", "float", 5.0, "Delay before the next candidate after a peer failure.", "Downloads", minimum=0),
    Knob("HDM_BACKOFF_VERIFY_S", "float", 5.0, "Delay before the next candidate after a verification failure.", "Downloads", minimum=0),
    Knob("HDM_BACKOFF_DISK_S", "float", 120.0, "First retry delay after a disk error.", "Downloads", minimum=0),
    Knob("HDM_BACKOFF_MAX_S", "float", 3600.0, "Longest retry delay.", "Downloads", minimum=0),
    Knob("HDM_LEASE_S", "float", 600.0, "Seconds a worker's claim on a job lasts; an expired claim is swept and re-run (must exceed HDM_TASK_TIMEOUT_S).", "Downloads", minimum=1),
    Knob("HDM_MAX_LOST_RUNS", "int", 3, "Runs of one job whose worker died before a job is dead-lettered (worker_lost).", "Downloads", minimum=1),
    Knob("HDM_SWEEP_MINUTES", "int", 1, "Minutes between two sweeps for due, stuck or lost jobs (and heartbeats).", "Downloads", minimum=1),
    Knob("HDM_HEARTBEAT_STALE_S", "float", 300.0, "Seconds without a cluster heartbeat before the cluster counts as stalled.", "Downloads", minimum=30),
    Knob("HDM_CLUSTER_FREEZE_S", "float", 30.0, "Seconds a watchdog ping may wait unrun, while no other task finishes either, before the task cluster counts as frozen and harmony_serve restarts it.", "Downloads", minimum=5),
    Knob("HDM_CLUSTER_GRACE_S", "float", 60.0, "Seconds a freshly started task cluster has to run its first ping before the watchdog may judge it (doubled after each restart that did not help).", "Downloads", minimum=5),
    Knob("HDM_ALBUM_COLLECT_S", "float", 3.0, "Seconds an album request waits for all its tracks to be submitted before it searches for the album.", "Downloads", minimum=0),
    Knob("HDM_REMOVE_IMPORTED_TRANSFERS", "bool", True, "Remove a download's finished record from slskd's transfer list once its file is imported (and its emptied source folders from DOWNLOADS_DIR).", "Downloads"),
    Knob("HDM_TRANSFER_CLEANUP_MAX_CHECKS", "int", 60, "Sweeps that retry removing a cancelled transfer's record from slskd before giving up.", "Downloads", minimum=1),
    # --- Matching (candidate selection; docs/matching.md) -----------------------------------
    Knob("MATCH_DURATION_TOLERANCE_S", "float", 5.0, "A candidate whose reported length differs from the wanted track by more seconds is rejected.", "Matching", minimum=0),
    Knob("MATCH_LIVE_DURATION_TOLERANCE_S", "float", 10.0, "The same tolerance when the wanted track is a live recording.", "Matching", minimum=0),
    Knob("MATCH_CLOSE_DURATION_S", "float", 3.0, "Candidates within this many seconds of the wanted length rank above the others.", "Matching", minimum=0),
    Knob("MATCH_MAX_QUEUE_LENGTH", "int", 50, "Peers with a longer upload queue are skipped.", "Matching", minimum=0),
    Knob("MATCH_STRICT", "bool", False, "Reject candidates whose peer does not report a length or any quality figure.", "Matching"),
    Knob("MATCH_ALLOWED_EXTENSIONS", "list", ["flac", "mp3", "m4a", "aac", "alac", "ogg", "oga", "opus", "wav"], "Audio file extensions a candidate may have (taken from the file name).", "Matching"),
    Knob("MATCH_EXTRA_VERSION_MARKERS", "list", [], "Words added to the built-in version markers (remix, live, ...) that make a file another recording.", "Matching"),
    Knob("MATCH_MAX_ATTEMPTS", "int", 30, "Candidates one job may try before a fresh search (then the dead-letter queue).", "Matching", minimum=1),
    # --- API (REST conventions; docs/api.md) ------------------------------------------------
    Knob("API_MAX_BODY_BYTES", "int", 1048576, "Largest API request body in bytes; larger ones are refused with 413.", "API", minimum=1024),
    Knob("API_IDEMPOTENCY_HOURS", "int", 24, "Hours an Idempotency-Key and its response are remembered for replay.", "API", minimum=1),
    # --- Watchlists (HDM-ops; docs/architecture/hdm.md) -----------------------------------
    Knob("WATCHLIST_SYNC_MINUTES", "int", 60, "Minutes between two syncs of one watchlist (the schedule checks for due watchlists every few minutes).", "Watchlists", minimum=5),
    Knob("WATCHLIST_FAILURE_LIMIT", "int", 3, "Failed syncs in a row after which a watchlist cools down.", "Watchlists", minimum=1),
    Knob("WATCHLIST_COOLDOWN_MINUTES", "int", 360, "Minutes a watchlist waits after WATCHLIST_FAILURE_LIMIT failed syncs in a row.", "Watchlists", minimum=1),
    Knob("WATCHLIST_RELEASE_TYPES", "list", ["album", "single"], "Release types a new artist watchlist follows unless told otherwise (album, single, compilation, appears_on).", "Watchlists"),
    Knob("PLAYLISTS_DIR", "str", "playlists", "Where watched playlists' M3U8 files are written; relative paths are under MUSIC_DIR.", "Watchlists"),
    # --- Integrations (notifications, webhooks, media servers, Lidarr; docs/integrations/) --
    Knob("INTEGRATIONS_SETTLE_S", "float", 60.0, "Seconds without a new event of one kind before its batch is sent (a 500-track playlist sends one summary).", "Integrations", minimum=0),
    Knob("INTEGRATIONS_MAX_WAIT_S", "float", 900.0, "Longest a batch waits while events keep arriving; then it is sent anyway.", "Integrations", minimum=0),
    Knob("INTEGRATIONS_MAX_ATTEMPTS", "int", 6, "Attempts of one notification, webhook or rescan before it is given up (shown on the System panel).", "Integrations", minimum=1),
    Knob("INTEGRATIONS_BACKOFF_S", "float", 60.0, "First retry delay of a failed delivery (doubles per attempt, with jitter, at most an hour).", "Integrations", minimum=0),
    Knob("INTEGRATIONS_TIMEOUT_S", "float", 10.0, "Seconds to wait for a media server, Lidarr or webhook receiver to answer.", "Integrations", minimum=0.1),
    Knob("DAILY_SUMMARY_HOUR", "int", 8, "Hour of the day (0-23, UTC) from which the daily summary is sent.", "Integrations", minimum=0),
    Knob("LIDARR_SYNC_MINUTES", "int", 360, "Minutes between two reads of each Lidarr's wanted/missing list.", "Integrations", minimum=5),
    # --- Logging -------------------------------------------------------------------------
    Knob("LOG_LEVEL", "choice", "INFO", "Minimum level of the JSON log lines written to stdout.", "Logging", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
)
# fmt: on

KNOBS_BY_NAME: dict[str, Knob] = {knob.name: knob for knob in KNOBS}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def coerce(knob: Knob, raw: Any, *, origin: str) -> Any:
    """Turn a raw value from the environment or YAML into the knob's type, or fail clearly."""
    try:
        value = _coerce(knob, raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{origin}: {knob.name} must be {knob.expected}, got {raw!r}") from None
    if knob.minimum is not None and value < knob.minimum:
        raise ConfigError(f"{origin}: {knob.name} must be {knob.expected}, got {raw!r}")
    return value


def _coerce(knob: Knob, raw: Any) -> Any:
    if raw is None:
        raise TypeError
    kind = knob.kind
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError
    if isinstance(raw, bool):  # YAML `yes` must not pass as the number 1
        raise TypeError
    if kind == "int":
        if isinstance(raw, float) and not raw.is_integer():
            raise ValueError
        return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
    if kind == "float":
        return float(raw)
    if kind == "list":
        if isinstance(raw, list):
            items = raw
        elif isinstance(raw, str):
            items = raw.split(",")
        else:
            raise TypeError
        return [str(item).strip() for item in items if str(item).strip()]
    if isinstance(raw, list | dict):
        raise TypeError
    text = str(raw)
    if kind == "choice":
        if text.upper() in knob.choices:
            return text.upper()
        if text in knob.choices:
            return text
        raise ValueError
    if kind == "path":
        if not text.strip():
            raise ValueError
        return Path(text).expanduser().resolve()
    return text


@dataclass(frozen=True)
class Config:
    """Typed knob values plus where each one came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]  # name -> "environment" | "harmony.yml" | "default"
    config_dir: Path
    yml_path: Path

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def display_value(self, name: str) -> Any:
        """The value as it may be shown to a person: secrets masked."""
        value = self.values[name]
        if KNOBS_BY_NAME[name].secret and value:
            return MASK
        return str(value) if isinstance(value, Path) else value


def render_knob(knob: Knob, value: Any | None = None) -> str:
    """One knob as YAML: its help (and type) as comments, then `NAME: value`."""
    value = knob.default if value is None else value
    if isinstance(value, Path):
        value = str(value)
    lines = [f"# {knob.help}", f"# Type: {knob.expected}." + (" Secret." if knob.secret else "")]
    dumped = yaml.safe_dump({knob.name: value}, default_flow_style=False, sort_keys=False)
    return "\n".join(lines) + "\n" + dumped


def render_yml(knobs: tuple[Knob, ...] = KNOBS) -> str:
    parts = [
        f"# Harmony configuration, generated by Harmony {__version__}.",
        "# Environment variables of the same name override these values.",
        "# Every knob is documented in docs/configuration.md.",
        "",
    ]
    section = None
    for knob in knobs:
        if knob.env_only:
            continue
        if knob.section != section:
            section = knob.section
            parts.append(f"# ===== {section} =====")
        parts.append(render_knob(knob))
    return "\n".join(parts)


def read_yml(path: Path) -> dict[str, Any]:
    """Parse harmony.yml; malformed YAML, a non-mapping or an unknown key is a ConfigError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}:{where}: malformed YAML ({problem})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a mapping of KEY: value lines")
    for key in data:
        knob = KNOBS_BY_NAME.get(str(key))
        if knob is None:
            raise ConfigError(f"{path}: unknown key {key!r} (see docs/configuration.md)")
        if knob.env_only:
            raise ConfigError(f"{path}: {key} can only be set in the environment")
    return data


def ensure_yml(path: Path) -> dict[str, Any]:
    """Create harmony.yml on first boot, append knobs an upgrade added, return its values."""
    with locked(path.parent):
        if not path.exists():
            write_text_atomically(path, render_yml())
            return read_yml(path)
        data = read_yml(path)
        missing = [k for k in KNOBS if not k.env_only and k.name not in data]
        if missing:
            stamp = datetime.now(UTC).strftime("%Y-%m-%d")
            text = path.read_text(encoding="utf-8")
            if text and not text.endswith("\n"):
                text += "\n"
            text += f"\n# ===== Added by Harmony {__version__} on {stamp} =====\n"
            text += "\n".join(render_knob(k) for k in missing)
            write_text_atomically(path, text)
            data = read_yml(path)
        return data


def restrict_mode(path: Path, mode: int) -> None:
    """Give `path` exactly `mode` (owner-only); a path another user owns is left as it is."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        if stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)


def ensure_private_sqlite(path: Path) -> None:
    """Create the SQLite file owner-only before SQLite does (it would use 0644).

    SQLite gives the `-wal` and `-shm` files the database file's mode, so they follow; files
    an older version created are narrowed too. They hold live session ids and hashed keys.
    """
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    for suffix in ("", "-wal", "-shm", "-journal"):
        restrict_mode(path.with_name(path.name + suffix), PRIVATE_FILE_MODE)


def decrypt_file_value(config_dir: Path, knob: Knob, raw: Any, *, origin: str) -> Any:
    """A harmony.yml value as the program uses it: `enc:` secrets decrypted, others as they are."""
    # Hand-typed plain values keep working; only `enc:` values written by Harmony are decrypted.
    if not (knob.secret and isinstance(raw, str) and raw.startswith(ENCRYPTED_PREFIX)):
        return raw
    try:
        return decrypt_for_file(config_dir, raw)
    except SecretDecryptError:
        raise ConfigError(
            f"{origin}: {knob.name} cannot be decrypted with {config_dir / FERNET_KEY_FILE} "
            "(restore that key file, or set the value again in plain text)"
        ) from None


def ensure_secret_key(config_dir: Path) -> str:
    """Generate the Django secret key once and keep it readable by its owner only."""
    return ensure_key_file(config_dir / SECRET_KEY_FILE, lambda: secrets.token_urlsafe(50))


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Read every knob: environment > harmony.yml > default. Creates CONFIG_DIR as needed."""
    environ = os.environ if environ is None else environ
    dir_knob = KNOBS_BY_NAME["CONFIG_DIR"]
    config_dir = coerce(
        dir_knob,
        environ.get("CONFIG_DIR", dir_knob.default),
        origin="environment variable CONFIG_DIR",
    )
    try:
        config_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    except OSError as exc:
        raise ConfigError(f"CONFIG_DIR {config_dir}: cannot be created ({exc.strerror})") from None
    restrict_mode(config_dir, PRIVATE_DIR_MODE)  # keys, the database and its sessions live here
    yml_path = config_dir / YML_NAME
    file_values = ensure_yml(yml_path)

    values: dict[str, Any] = {"CONFIG_DIR": config_dir}
    sources: dict[str, str] = {
        "CONFIG_DIR": "environment" if "CONFIG_DIR" in environ else "default"
    }
    for knob in KNOBS:
        if knob.env_only:
            continue
        if knob.name in environ:
            origin, raw, source = (
                f"environment variable {knob.name}",
                environ[knob.name],
                "environment",
            )
        elif knob.name in file_values:
            origin, source = f"{yml_path}", "harmony.yml"
            raw = decrypt_file_value(config_dir, knob, file_values[knob.name], origin=origin)
        else:
            origin, raw, source = "default", knob.default, "default"
        if knob.kind == "str" and raw is None:
            raw = ""
        values[knob.name] = coerce(knob, raw, origin=origin)
        sources[knob.name] = source
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = ensure_secret_key(config_dir)
    return Config(values=values, sources=sources, config_dir=config_dir, yml_path=yml_path)


def knobs() -> Mapping[str, Any]:
    """Every knob's running value: the one place code reads knobs from (through `knob`, or as
    a mapping for a config object's `from_config`). Django's `settings.KNOB_VALUES`, a copy of
    `get_config().values`, so a test overrides a knob with the `knobs` fixture alone."""
    from django.conf import settings

    return settings.KNOB_VALUES


def knob(name: str) -> Any:
    """The running value of one declared knob (KeyError for an undeclared name)."""
    return knobs()[name]


@functools.cache
def get_config() -> Config:
    """The process-wide configuration, read once."""
    return load()
