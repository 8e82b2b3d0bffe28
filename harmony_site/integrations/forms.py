"""The "add an integration" form of the Integrations page."""

from __future__ import annotations

from django import forms

from harmony_site.integrations.models import EventKind, Kind
from harmony_site.integrations.services import SUBSCRIBABLE


class IntegrationForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=Kind.choices)
    name = forms.CharField(label="Name", max_length=100)
    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text="Notification: an Apprise URL (ntfy://…, discord://…, mailto://…). Webhook: "
        "where to POST. Media server or Lidarr: its base URL (http://plex:32400).",
    )
    secret = forms.CharField(
        label="Token, API key or password",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text="Plex token, Jellyfin/Emby/Lidarr API key, Subsonic password, or the webhook's "
        "signing secret (16+ characters). Stored encrypted.",
    )
    username = forms.CharField(
        label="User name", required=False, max_length=150, help_text="Navidrome/Subsonic only."
    )
    server_music_dir = forms.CharField(
        label="Library path on the server",
        required=False,
        max_length=1000,
        help_text="Media servers and Lidarr: MUSIC_DIR as the server sees it (/data/music); "
        "empty when it is the same path.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        required=False,
        choices=[(kind, EventKind(kind).label) for kind in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        help_text="Notifications and webhooks only; media servers and Lidarr rescan after imports.",
    )
