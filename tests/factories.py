"""factory_boy factories shared by the whole suite (each app adds its own section)."""

from __future__ import annotations

import factory

from library.models import Album, Artist, AuditEvent, LibraryFile, ScanRun, Track
from library.normalise import normalise_text

# --- library ------------------------------------------------------------------------------


class ArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artist

    name = factory.Sequence(lambda n: f"Artist {n}")


class AlbumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Album

    title = factory.Sequence(lambda n: f"Album {n}")
    album_artist = factory.SubFactory(ArtistFactory)
    release_date = "2001"
    release_date_precision = "year"


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    title = factory.Sequence(lambda n: f"Song {n}")
    artist = factory.SubFactory(ArtistFactory)
    artists = factory.LazyAttribute(lambda track: track.artist.name)
    album = factory.SubFactory(AlbumFactory, album_artist=factory.SelfAttribute("..artist"))
    album_key = factory.LazyAttribute(lambda track: normalise_text(track.album.title))
    track_number = 1
    disc_number = 1
    duration_ms = 1000


class LibraryFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LibraryFile

    track = factory.SubFactory(TrackFactory)
    path = factory.Sequence(lambda n: f"Artist/Album/{n:02} Song.flac")
    format = "flac"
    codec = "flac"
    sample_rate = 44100
    bit_depth = 16
    channels = 2
    size = 1000
    duration_s = 1.0


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    kind = AuditEvent.Kind.INGESTED
    actor = "system"


class ScanRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScanRun

    path = "/music"
