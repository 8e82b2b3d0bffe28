"""Providers API serializers: output (read) and input (write) kept apart."""

from __future__ import annotations

from rest_framework import serializers

from harmony_site.api.serializers import MAX_NAME_LENGTH

PROVIDERS = ("slskd", "spotify")
PROBE_STATES = ("ok", "fail", "disabled")
SEARCH_LIMIT_MAX = 10  # Spotify's own maximum for one search page (since February 2026)


class ProviderStateSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=PROVIDERS)
    state = serializers.ChoiceField(choices=PROBE_STATES, help_text="Outcome of the probe.")
    detail = serializers.CharField(allow_blank=True)
    latency_ms = serializers.FloatField()
    status = serializers.DictField(
        help_text="The provider's status section (as in /api/v1/status), never a secret."
    )


class ProviderTestSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=PROVIDERS)
    state = serializers.ChoiceField(choices=PROBE_STATES)
    detail = serializers.CharField(allow_blank=True)
    latency_ms = serializers.FloatField()


class OAuthUrlSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Open it in a browser to log in to Spotify.")


class OAuthUserSerializer(serializers.Serializer):
    id = serializers.CharField(allow_blank=True)
    display_name = serializers.CharField(allow_blank=True)


class OAuthStatusSerializer(serializers.Serializer):
    configured = serializers.BooleanField()
    configured_mode = serializers.CharField()
    mode = serializers.CharField(help_text="pro, free or disabled (what is in effect).")
    connected = serializers.BooleanField()
    user = OAuthUserSerializer(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.CharField(allow_null=True)
    login_expires_at = serializers.CharField(allow_null=True)
    needs_relogin = serializers.BooleanField()
    last_error = serializers.CharField(allow_blank=True)
    redirect_uri = serializers.CharField()


class SpotifySearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_NAME_LENGTH, help_text="Search text.")
    type = serializers.ChoiceField(choices=("track",), default="track")
    limit = serializers.IntegerField(min_value=1, max_value=SEARCH_LIMIT_MAX, default=10)

    def validate_q(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value.strip()


class SpotifyTrackSerializer(serializers.Serializer):
    """A track found on Spotify, ready to submit to `POST /api/v1/downloads`."""

    title = serializers.CharField()
    artists = serializers.ListField(child=serializers.CharField())
    album = serializers.CharField(allow_blank=True)
    album_artist = serializers.CharField(allow_blank=True)
    release_date = serializers.CharField(allow_blank=True)
    track_number = serializers.IntegerField(allow_null=True)
    disc_number = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    isrc = serializers.CharField(allow_blank=True)
    explicit = serializers.BooleanField()
    spotify_track_id = serializers.CharField(allow_blank=True)
    spotify_album_id = serializers.CharField(allow_blank=True)
    url = serializers.SerializerMethodField()

    def get_url(self, meta) -> str:
        track_id = meta.spotify_track_id
        return f"https://open.spotify.com/track/{track_id}" if track_id else ""


LIBRARY_KINDS = ("playlists", "tracks", "artists")


class SpotifyLibraryQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False, default="", max_length=200, help_text="`next_cursor` of the last page."
    )
    limit = serializers.IntegerField(min_value=1, max_value=50, default=50)
    q = serializers.CharField(
        required=False, default="", max_length=MAX_NAME_LENGTH, help_text="Search words."
    )


class SpotifyLibraryEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=("playlist", "track", "artist"))
    id = serializers.CharField()
    uri = serializers.CharField(help_text="Pass it as `link` to downloads or watchlists.")
    name = serializers.CharField()
    detail = serializers.CharField(allow_blank=True, help_text="Owner, artists or genres.")
    count = serializers.IntegerField(allow_null=True, help_text="A playlist's track count.")
    image = serializers.CharField(allow_blank=True)
    followable = serializers.BooleanField(
        help_text="False: Spotify lets Harmony read only playlists you own or collaborate on."
    )


class SpotifyLibraryPageSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LIBRARY_KINDS)
    total = serializers.IntegerField(allow_null=True, help_text="All of this kind, unsearched.")
    next_cursor = serializers.CharField(allow_blank=True, help_text="Empty on the last page.")
    next = serializers.CharField(allow_null=True, help_text="The next page's URL, or null.")
    scanned = serializers.IntegerField(help_text="Spotify items read for this page.")
    results = SpotifyLibraryEntrySerializer(many=True)
