"""Read and change Harmony's settings at run time (`GET/PATCH /api/v1/settings`).

Reads show every knob of `harmony_site.config.KNOBS` with its running value, where it came
from (environment, harmony.yml, default) and — after a change — the value the next start will
use; secrets are always masked. Writes validate each value with the knob table's `coerce`,
refuse knobs the environment overrides (the file would silently lose), rewrite only the
changed keys' lines of harmony.yml (comments and everything else stay as the operator left
them), replace the file atomically, and record a `settings_changed` audit event without any
secret value. Every setting is read once at start-up, so every change needs a restart.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from harmony_site.config import (
    KNOBS,
    KNOBS_BY_NAME,
    MASK,
    MIN_API_KEY_LENGTH,
    Config,
    ConfigError,
    Knob,
    coerce,
    decrypt_file_value,
    get_config,
    load,
)
from harmony_site.files import locked, write_text_atomically
from harmony_site.secrets import encrypt_for_file

logger = logging.getLogger("hdm.settings")

MAX_CHANGES = len(KNOBS)
MAX_VALUE_LENGTH = 4000


class SettingsError(ValueError):
    """A change that cannot be made: `errors` maps knob names to messages."""

    def __init__(self, errors: dict[str, list[str]], *, conflict: bool = False) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors
        self.conflict = conflict  # the environment overrides it: a 409, not a 400


@dataclass(frozen=True)
class SettingsChange:
    changed: list[str]
    restart_required: list[str]


def settings_file() -> Path:
    return get_config().yml_path


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def _shown(knob: Knob, value: Any) -> Any:
    return MASK if knob.secret and value not in ("", [], None) else _plain(value)


def describe_settings(environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Every knob with its running value, source and pending value; secrets masked."""
    running: Config = get_config()
    try:
        pending: Config | None = load(environ)
    except ConfigError:
        pending = None  # a broken file is reported by start-up; show what runs
    rows = []
    for knob in KNOBS:
        value = running[knob.name]
        next_value = pending[knob.name] if pending else value
        rows.append(
            {
                "name": knob.name,
                "section": knob.section,
                "type": knob.kind,
                "help": knob.help,
                "secret": knob.secret,
                "choices": list(knob.choices),
                "minimum": knob.minimum,
                "value": _shown(knob, value),
                "source": running.sources.get(knob.name, "default"),
                "editable": not knob.env_only and knob.name not in (environ or os.environ),
                "pending_restart": _plain(next_value) != _plain(value),
            }
        )
    return rows


def _validate(changes: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    overridden: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, raw in changes.items():
        knob = KNOBS_BY_NAME.get(name)
        if knob is None:
            errors[name] = ["Unknown setting (see docs/configuration.md)."]
        elif knob.env_only:
            errors[name] = ["Can only be set in the environment."]
        elif name in environ:
            overridden[name] = [
                f"Set by the environment variable {name}, which wins over harmony.yml; "
                "change it where Harmony is started."
            ]
        elif knob.secret and raw == MASK:
            continue  # the masked value sent back unchanged: keep the secret
        else:
            try:
                values[name] = _plain(coerce(knob, raw, origin="value"))
            except ConfigError as exc:
                errors[name] = [str(exc).removeprefix("value: ")]
            else:
                errors.update(_extra_rule(name, values[name]))
    if errors:
        raise SettingsError(errors)
    if overridden:
        raise SettingsError(overridden, conflict=True)
    return values


def _extra_rule(name: str, value: Any) -> dict[str, list[str]]:
    """Rules start-up enforces beyond the knob's type, so a saved value cannot stop it."""
    if name == "HARMONY_API_KEYS" and any(len(key) < MIN_API_KEY_LENGTH for key in value):
        return {name: [f"Every key must be at least {MIN_API_KEY_LENGTH} characters long."]}
    return {}


_KEY_LINE = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*):")


def _replace_keys(text: str, values: Mapping[str, Any]) -> str:
    """harmony.yml with the lines of `values`' keys re-rendered; the rest kept verbatim."""
    lines, out, skipping, done = text.splitlines(keepends=True), [], False, set()
    for line in lines:
        match = _KEY_LINE.match(line)
        if skipping and (line.startswith((" ", "\t", "- ")) or line.strip() == "-"):
            continue  # continuation of the value being replaced (block lists, long strings)
        skipping = False
        if match and match["name"] in values:
            name = match["name"]
            out.append(yaml.safe_dump({name: values[name]}, default_flow_style=False))
            done.add(name)
            skipping = True
            continue
        out.append(line)
    result = "".join(out)
    missing = {k: v for k, v in values.items() if k not in done}
    if missing:
        result = result if result.endswith("\n") or not result else result + "\n"
        result += yaml.safe_dump(missing, default_flow_style=False, sort_keys=False)
    return result


def update_settings(
    changes: Mapping[str, Any], *, actor: str, environ: Mapping[str, str] | None = None
) -> SettingsChange:
    """Validate and write `changes` to harmony.yml; raises SettingsError for any bad key."""
    from library.audit import record_event  # the audit trail lives in the library app

    environ = os.environ if environ is None else environ
    values = _validate(changes, environ)
    path = settings_file()
    with locked(path.parent):
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        try:
            current = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:  # edited by hand since start-up; do not guess
            raise SettingsError(
                {"harmony.yml": [f"{path} is not valid YAML any more; fix it first ({exc})."]},
                conflict=True,
            ) from None
        values = {k: v for k, v in values.items() if _stored(path.parent, k, current) != v}
        if not values:
            return SettingsChange(changed=[], restart_required=[])
        # Secrets are written encrypted (`enc:…`, key in CONFIG_DIR/fernet.key): once Harmony
        # has written one, it is never plain text at rest in harmony.yml.
        stored = {
            k: encrypt_for_file(path.parent, _as_text(v)) if KNOBS_BY_NAME[k].secret and v else v
            for k, v in values.items()
        }
        new_text = _replace_keys(text, stored)
        if {k: v for k, v in (yaml.safe_load(new_text) or {}).items() if k in stored} != stored:
            raise SettingsError({"settings": ["Could not rewrite harmony.yml safely."]})
        write_text_atomically(path, new_text)
    record_event("settings_changed", actor=actor, changed=_audit_details(values, current))
    names = sorted(values)
    return SettingsChange(changed=names, restart_required=names)


def _stored(config_dir: Path, name: str, current: Mapping[str, Any]) -> Any:
    """What harmony.yml holds for `name` now, decrypted, for comparison with a new value."""
    if name not in current:
        return _unset(name)
    knob = KNOBS_BY_NAME[name]
    try:
        value = decrypt_file_value(config_dir, knob, current[name], origin="")
        return _plain(coerce(knob, value, origin=""))
    except ConfigError:
        return None  # undecryptable or invalid: any new value is a change


def _as_text(value: Any) -> str:
    # A secret list (HARMONY_API_KEYS) is encrypted as one comma-separated string, which the
    # list knob reads back exactly as it reads the environment variable.
    return ",".join(value) if isinstance(value, list) else str(value)


def _unset(name: str) -> Any:
    return _plain(KNOBS_BY_NAME[name].default)


def _audit_details(values: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    details = {}
    for name, value in values.items():
        knob = KNOBS_BY_NAME[name]
        old = before.get(name, _unset(name))
        details[name] = {"from": _shown(knob, old), "to": _shown(knob, value)}
    return details


# --- Applying saved settings without a terminal -------------------------------------------

RELOAD_FLAG = ".reload-requested"


def request_reload(*, actor: str) -> Path:
    """Ask `harmony_serve` to apply harmony.yml now: it reloads the web workers gracefully
    (no request is dropped) and restarts the task cluster, within a second or so. Without the
    supervisor (a development server) nothing reads the flag: restart by hand."""
    from library.audit import record_event

    flag = Path(settings.CONFIG_DIR) / RELOAD_FLAG
    flag.write_text(actor, encoding="utf-8")
    record_event("settings_changed", actor=actor, changed={}, action="reload_requested")
    logger.info("hdm.settings.reload_requested", extra={"actor": actor})
    return flag
