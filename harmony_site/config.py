"""Harmony's declared configuration.

Every tunable is one `Knob` in `KNOBS`. The table generates `CONFIG_DIR/harmony.yml` on first
boot (knobs added by an upgrade are appended, never overwriting the operator's file), the typed
values Django's settings read, and the table in `docs/configuration.md` (a test keeps the two
in step). Precedence: environment variable > harmony.yml > default. A bad value stops start-up
with one line naming the source, the key and the expected type.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from harmony_site.version import __version__

YML_NAME = "harmony.yml"
SECRET_KEY_FILE = "secret_key"
MASK = "********"


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
    Knob("DOWNLOADS_DIR", "path", "./downloads", "Where finished downloads arrive and are post-processed before promotion.", "Paths"),
    Knob("MUSIC_DIR", "path", "./music", "The music library Harmony files tracks into.", "Paths"),
    # --- Server --------------------------------------------------------------------------
    Knob("HTTP_BIND", "str", "0.0.0.0:8080", "host:port the web UI and API listen on.", "Server"),
    Knob("OAUTH_CALLBACK_BIND", "str", "127.0.0.1:8888", "Second bind for the Spotify OAuth callback (http://127.0.0.1:8888/callback); empty disables it.", "Server"),
    Knob("WEB_WORKERS", "int", 2, "Number of gunicorn worker processes.", "Server", minimum=1),
    Knob("WEB_TIMEOUT", "int", 60, "Seconds before gunicorn restarts a worker stuck on one request.", "Server", minimum=5),
    Knob("ALLOWED_HOSTS", "list", ["*"], "Host names Harmony answers to (Django ALLOWED_HOSTS).", "Server"),
    Knob("DEBUG", "bool", False, "Django debug mode. Never enable on a server others can reach.", "Server"),
    Knob("TIME_ZONE", "str", "UTC", "Time zone used to display times in the UI; storage is always UTC.", "Server"),
    Knob("SECRET_KEY", "str", "", "Django secret key; when empty one is generated once and kept in CONFIG_DIR/secret_key (mode 0600).", "Server", secret=True),
    # --- Database ------------------------------------------------------------------------
    Knob("DATABASE_URL", "str", "", "Database URL (e.g. postgres://user:pass@host:5432/harmony); empty uses SQLite CONFIG_DIR/harmony.db.", "Database", secret=True),
    Knob("SQLITE_BUSY_TIMEOUT", "float", 30.0, "Seconds a SQLite writer waits for the lock before failing.", "Database", minimum=1),
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


@contextlib.contextmanager
def _locked(config_dir: Path) -> Iterator[None]:
    """Serialise first-boot writes between the web workers and the task cluster."""
    with open(config_dir / ".config.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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
    with _locked(path.parent):
        if not path.exists():
            _atomic_write(path, render_yml())
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
            _atomic_write(path, text)
            data = read_yml(path)
        return data


def ensure_secret_key(config_dir: Path) -> str:
    """Generate the Django secret key once and keep it readable by its owner only."""
    path = config_dir / SECRET_KEY_FILE
    with _locked(config_dir):
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
        return path.read_text().strip()


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
        config_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"CONFIG_DIR {config_dir}: cannot be created ({exc.strerror})") from None
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
            origin, raw, source = f"{yml_path}", file_values[knob.name], "harmony.yml"
        else:
            origin, raw, source = "default", knob.default, "default"
        if knob.kind == "str" and raw is None:
            raw = ""
        values[knob.name] = coerce(knob, raw, origin=origin)
        sources[knob.name] = source
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = ensure_secret_key(config_dir)
    return Config(values=values, sources=sources, config_dir=config_dir, yml_path=yml_path)


@functools.cache
def get_config() -> Config:
    """The process-wide configuration, read once."""
    return load()
