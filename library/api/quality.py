"""`library.quality` as SQL: a LibraryFile's quality class and profile check, for filters.

`quality_class_expression()` mirrors `quality.quality_class` for stored files (no VBR flag or
preset is stored, so MP3 classes follow the average bitrate, as `key_of` does for a file row),
and `below_profile_q(profile)` mirrors `check_quality`, so "files below the profile" is one
indexed-free WHERE clause instead of a Python loop over the whole library.
tests/api/test_library_api.py checks both against the Python functions.
"""

from __future__ import annotations

from django.db.models import Case, CharField, Q, Value, When
from django.db.models.functions import Lower

from library.quality import _CBR_RATES, _CD_BIT_DEPTH, _CD_MAX_RATE, QualityProfile

CLASS_ANNOTATION = "quality_class_sql"
_CODEC_ANNOTATION = "quality_codec_sql"
# Codec names as files store them (codec, else format) -> quality's canonical codec.
_ALIASES = {
    "flac": ("flac",),
    "mp3": ("mp3",),
    "alac": ("alac",),
    "aac": ("aac",),
    "m4a": ("mp4", "m4a"),
    "vorbis": ("ogg", "oga", "vorbis"),
    "opus": ("opus",),
    "pcm": ("wav", "wave", "pcm"),
}
_LOSSLESS_CLASSES = ("flac", "flac-hires", "alac", "alac-hires", "wav", "wav-hires")


def codec_expression() -> tuple[Case, Case]:
    source = Case(When(codec="", then=Lower("format")), default=Lower("codec"))
    whens = [
        When(**{"quality_source_sql__in": names}, then=Value(codec))
        for codec, names in _ALIASES.items()
    ]
    return source, Case(*whens, default=Value(""), output_field=CharField())


def _lossless(codec: str, name: str) -> list[When]:
    hires = Q(bit_depth__gt=_CD_BIT_DEPTH) | Q(sample_rate__gt=_CD_MAX_RATE)
    is_codec = Q(**{_CODEC_ANNOTATION: codec})
    return [
        When(is_codec & hires, then=Value(f"{name}-hires")),
        When(is_codec, then=Value(name)),
    ]


def _m4a() -> list[When]:
    # Peers and files that only say "m4a": a bit depth means lossless ALAC.
    m4a = Q(**{_CODEC_ANNOTATION: "m4a"})
    alac = m4a & Q(bit_depth__gt=0)
    hires = Q(bit_depth__gt=_CD_BIT_DEPTH) | Q(sample_rate__gt=_CD_MAX_RATE)
    return [
        When(alac & hires, then=Value("alac-hires")),
        When(alac, then=Value("alac")),
        When(m4a, then=Value("aac")),
    ]


def _mp3() -> list[When]:
    mp3 = Q(**{_CODEC_ANNOTATION: "mp3"})
    return [
        When(mp3 & Q(bitrate_kbps__gte=315), then=Value("mp3-320")),
        When(
            mp3 & Q(bitrate_kbps__gte=220) & ~Q(bitrate_kbps__in=_CBR_RATES),
            then=Value("mp3-v0"),
        ),
        When(mp3 & Q(bitrate_kbps__gte=256), then=Value("mp3-256")),
        When(mp3, then=Value("mp3")),
    ]


def quality_class_expression() -> Case:
    """A CASE giving the quality class of each row (annotate with `annotate_quality`)."""
    lossy = [
        When(Q(**{_CODEC_ANNOTATION: codec}), then=Value(name))
        for codec, name in (("aac", "aac"), ("opus", "opus"), ("vorbis", "ogg"))
    ]
    whens = [
        *_lossless("flac", "flac"),
        *_lossless("alac", "alac"),
        *_lossless("pcm", "wav"),
        *_m4a(),
        *_mp3(),
        *lossy,
    ]
    return Case(*whens, default=Value("other"), output_field=CharField())


def annotate_quality(queryset):
    """The LibraryFile queryset with `quality_class_sql` (and its helper columns)."""
    source, codec = codec_expression()
    return (
        queryset.annotate(quality_source_sql=source)
        .annotate(**{_CODEC_ANNOTATION: codec})
        .annotate(**{CLASS_ANNOTATION: quality_class_expression()})
    )


def _limit_fails(field: str, limit: int, *, maximum: bool, strict: bool) -> Q:
    if not limit:
        return Q(pk__in=[])
    over = Q(**{f"{field}__gt" if maximum else f"{field}__lt": limit})
    return over | Q(**{f"{field}__isnull": True}) if strict else over


def below_profile_q(profile: QualityProfile) -> Q:
    """Rows (annotated by `annotate_quality`) that `check_quality` would refuse."""
    klass = CLASS_ANNOTATION
    lossless = Q(**{f"{klass}__in": _LOSSLESS_CLASSES})
    strict = profile.strict
    return (
        ~Q(**{f"{klass}__in": profile.formats})
        | _limit_fails("sample_rate", profile.max_sample_rate, maximum=True, strict=strict)
        | (lossless & _limit_fails("bit_depth", profile.max_bit_depth, maximum=True, strict=strict))
        | (
            ~lossless
            & _limit_fails("bitrate_kbps", profile.min_bitrate, maximum=False, strict=strict)
        )
    )
