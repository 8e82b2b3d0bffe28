"""Query filters of the library API (django-filter; invalid values answer 400)."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from harmony_site.api.filters import IdFilter
from harmony_site.api.serializers import MAX_NAME_LENGTH
from library.api.quality import annotate_quality, below_profile_q
from library.models import Album, Artist, AuditEvent, LibraryFile, ScanRun, Track
from library.normalise import normalise_text
from library.quality import QualityProfile

FORMATS = ("flac", "mp3", "m4a", "ogg", "opus", "wav")
FORMAT_CHOICES = [(name, name) for name in FORMATS]


class SearchFilter(django_filters.CharFilter):
    """Free text (at most MAX_NAME_LENGTH characters), matched case-insensitively.

    With `normalised=True` the fields are the library's `normalise_text` keys and the text is
    normalised the same way, so "beyonce" finds "Beyoncé" and no join is needed.
    """

    def __init__(self, *, fields: tuple[str, ...], normalised: bool = False, **kwargs) -> None:
        kwargs.setdefault("max_length", MAX_NAME_LENGTH)
        kwargs.setdefault("help_text", "Text contained in the name (accents and case ignored).")
        super().__init__(**kwargs)
        self.search_fields = fields
        self.normalised = normalised

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = normalise_text(value or "") if self.normalised else (value or "").strip()
        if not value:
            return qs
        match = Q()
        for field in self.search_fields:
            match |= Q(**{f"{field}__icontains": value})
        return qs.filter(match)


def _present_files(**conditions) -> QuerySet:
    return LibraryFile.objects.filter(
        track=OuterRef("pk"), state=LibraryFile.State.PRESENT, **conditions
    )


def files_below_profile(queryset: QuerySet, profile: QualityProfile | None = None) -> QuerySet:
    profile = profile or QualityProfile.from_config()
    return annotate_quality(queryset).filter(below_profile_q(profile))


class ArtistFilter(django_filters.FilterSet):
    search = SearchFilter(fields=("name", "sort_name"))

    class Meta:
        model = Artist
        fields = ["spotify_id"]


class AlbumFilter(django_filters.FilterSet):
    search = SearchFilter(fields=("title", "album_artist__name"))
    artist = IdFilter(field_name="album_artist_id", help_text="Artist id.")

    class Meta:
        model = Album
        fields = ["album_type", "spotify_id"]


class TrackFilter(django_filters.FilterSet):
    search = SearchFilter(
        fields=("title_key", "artist_key", "album_key", "artists"), normalised=True
    )
    artist = IdFilter(field_name="artist_id", help_text="Artist id.")
    album = IdFilter(field_name="album_id", help_text="Album id.")
    missing = django_filters.BooleanFilter(
        method="filter_missing", help_text="true: tracks with no file present in the library."
    )
    format = django_filters.ChoiceFilter(
        choices=FORMAT_CHOICES, method="filter_format", help_text="Has a present file of it."
    )
    below_profile = django_filters.BooleanFilter(
        method="filter_below_profile",
        help_text="true: tracks whose present files all fall below the quality profile.",
    )
    suspect = django_filters.BooleanFilter(
        method="filter_suspect", help_text="true: tracks with a present file flagged suspect."
    )

    class Meta:
        model = Track
        fields = ["isrc", "spotify_id"]

    def filter_missing(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        present = Exists(_present_files())
        return qs.filter(~present if value else present)

    def filter_format(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(Exists(_present_files(format=value))) if value else qs

    def filter_suspect(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        flagged = Exists(_present_files(suspect=True))
        return qs.filter(flagged if value else ~flagged)

    def filter_below_profile(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        below_files = files_below_profile(LibraryFile.objects.all()).values("pk")
        good = _present_files().exclude(pk__in=below_files)
        below = Exists(_present_files()) & ~Exists(good)
        return qs.filter(below if value else ~below)


class FileFilter(django_filters.FilterSet):
    search = SearchFilter(fields=("path",))
    state = django_filters.ChoiceFilter(choices=LibraryFile.State.choices)
    format = django_filters.ChoiceFilter(choices=FORMAT_CHOICES)
    track = IdFilter(field_name="track_id", help_text="Track id.")
    missing = django_filters.BooleanFilter(
        method="filter_missing", help_text="true: files a scan no longer found on disk."
    )
    below_profile = django_filters.BooleanFilter(
        method="filter_below_profile", help_text="true: files the quality profile refuses."
    )
    suspect = django_filters.BooleanFilter(
        help_text="true: files a verified-audio check flagged (fake lossless, silence, clipping)."
    )

    class Meta:
        model = LibraryFile
        fields: list[str] = []

    def filter_missing(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        missing = Q(state=LibraryFile.State.MISSING)
        return qs.filter(missing if value else ~missing)

    def filter_below_profile(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        below = files_below_profile(LibraryFile.objects.all()).values("pk")
        return qs.filter(pk__in=below) if value else qs.exclude(pk__in=below)


class ActivityFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=AuditEvent.Kind.choices)
    actor = django_filters.CharFilter(max_length=150, help_text="Exact actor, e.g. user:alice.")
    track = IdFilter(field_name="track_id", help_text="Track id.")
    file = IdFilter(field_name="file_id", help_text="Library file id.")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []


class ScanFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ScanRun.State.choices)

    class Meta:
        model = ScanRun
        fields: list[str] = []
