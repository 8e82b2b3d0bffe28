"""Forms of the settings panel: one form per group of knobs, built from the knob table.

Each field mirrors its `Knob` (type, minimum, choices, help); secrets are password fields
that never show the saved value (empty = keep it). Knobs the environment sets are shown
disabled: harmony.yml cannot override them. Saving goes through
`harmony_site.configuration.update_settings`, the same service as `PATCH /api/v1/settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from harmony_site.config import KNOBS_BY_NAME, Config, Knob


@dataclass(frozen=True)
class SettingsGroup:
    key: str
    title: str
    knobs: tuple[str, ...]
    note: str = ""


GROUPS: tuple[SettingsGroup, ...] = (
    SettingsGroup(
        "slskd",
        "slskd (Soulseek)",
        ("SLSKD_URL", "SLSKD_API_KEY", "SLSKD_DOWNLOADS_DIR", "SLSKD_TIMEOUT"),
    ),
    SettingsGroup(
        "spotify",
        "Spotify",
        ("SPOTIFY_MODE", "SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI"),
    ),
    SettingsGroup(
        "quality",
        "Quality profile",
        (
            "QUALITY_FORMATS",
            "QUALITY_MIN_BITRATE",
            "QUALITY_MAX_SAMPLE_RATE",
            "QUALITY_MAX_BIT_DEPTH",
            "QUALITY_STRICT",
        ),
    ),
    SettingsGroup("naming", "Naming", ("NAMING_TEMPLATE",)),
    SettingsGroup(
        "postprocessing",
        "Post-processing",
        (
            "ARTWORK_ENABLED",
            "LYRICS_ENABLED",
            "ARTWORK_MAX_SIZE",
            "TAG_CLEAR_EXISTING",
            "ID3_VERSION",
        ),
    ),
    SettingsGroup(
        "search",
        "Search budget and timeouts",
        (
            "HDM_SEARCH_BUDGET",
            "HDM_SEARCH_WINDOW_S",
            "HDM_SEARCH_MIN_GAP_S",
            "HDM_SEARCH_TIMEOUT_MS",
            "HDM_SEARCH_MAX_WAIT_S",
            "TRANSFER_QUEUED_TIMEOUT_S",
            "TRANSFER_STALL_TIMEOUT_S",
        ),
    ),
)
GROUPS_BY_KEY = {group.key: group for group in GROUPS}


def _field_for(knob: Knob) -> forms.Field:
    common: dict[str, Any] = {"label": knob.name, "help_text": knob.help, "required": False}
    if knob.kind == "bool":
        return forms.BooleanField(**common)
    if knob.kind == "int":
        return forms.IntegerField(min_value=knob.minimum, **common)
    if knob.kind == "float":
        return forms.FloatField(min_value=knob.minimum, **common)
    if knob.kind == "choice":
        return forms.ChoiceField(choices=[(c, c) for c in knob.choices], **common)
    if knob.secret:
        return forms.CharField(
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            max_length=4000,
            **common,
        )
    return forms.CharField(max_length=4000, strip=True, **common)


def _initial(knob: Knob, config: Config) -> Any:
    value = config[knob.name]
    if knob.secret:
        return ""  # never sent back to the browser
    if knob.kind == "list":
        return ", ".join(value)
    return str(value) if knob.kind in ("str", "path") else value


class KnobsForm(forms.Form):
    """The knobs of one settings group; `changes()` gives what to write."""

    def __init__(self, group: SettingsGroup, config: Config, editable: set[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        self.saved_secrets: set[str] = set()
        for name in group.knobs:
            knob = KNOBS_BY_NAME[name]
            field = _field_for(knob)
            field.initial = _initial(knob, config)
            field.disabled = name not in editable
            if knob.secret and config[name]:
                self.saved_secrets.add(name)
            self.fields[name] = field

    def changes(self) -> dict[str, Any]:
        """Editable values to write; an empty secret means "keep the saved one"."""
        values = {}
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if field.disabled or (KNOBS_BY_NAME[name].secret and not value):
                continue
            if value is None:  # an emptied number field: back to the default
                value = KNOBS_BY_NAME[name].default
            values[name] = value
        return values


class ManualOAuthForm(forms.Form):
    redirect_url = forms.CharField(
        label="The address Spotify sent you to",
        max_length=4000,
        help_text="After approving on Spotify, copy the whole address from the browser's bar.",
    )


class SlskdTestForm(forms.Form):
    SLSKD_URL = forms.CharField(required=False, max_length=4000)
    SLSKD_API_KEY = forms.CharField(required=False, max_length=4000)
