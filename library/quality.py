"""The quality profile: which audio is acceptable and which of two copies is better.

Every copy falls into one *class* (`flac`, `flac-hires`, `mp3-320`, `mp3-v0`, ...). The
profile's `formats` list is both the allow-list and the preference order: earlier is better, a
class not listed is not accepted. `quality_key` is pure and cheap so candidate ranking can call
it for thousands of peer files; it works from slskd's PeerFile fields or from an AudioInfo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

DEFAULT_FORMATS: tuple[str, ...] = (
    "flac",
    "flac-hires",
    "alac",
    "alac-hires",
    "mp3-320",
    "mp3-v0",
    "mp3-256",
    "aac",
    "opus",
    "ogg",
    "mp3",
    "wav",
    "wav-hires",
)
QUALITY_CLASSES = frozenset(DEFAULT_FORMATS)
# Extensions/codecs as peers and files name them -> Harmony's codec names.
_CODEC_ALIASES = {
    "flac": "flac",
    "mp3": "mp3",
    "alac": "alac",
    "aac": "aac",
    "mp4": "m4a",
    "m4a": "m4a",
    "ogg": "vorbis",
    "oga": "vorbis",
    "vorbis": "vorbis",
    "opus": "opus",
    "wav": "pcm",
    "wave": "pcm",
    "pcm": "pcm",
}
_LOSSLESS = {"flac": "flac", "alac": "alac", "pcm": "wav"}
_LOSSLESS_CLASSES = ("flac", "alac", "wav")
_LOSSY = {"aac": "aac", "opus": "opus", "vorbis": "ogg"}
_CBR_RATES = frozenset({32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320})
_CD_BIT_DEPTH, _CD_MAX_RATE = 16, 48000


@dataclass(frozen=True)
class QualityProfile:
    formats: tuple[str, ...] = DEFAULT_FORMATS  # allowed classes, best first
    min_bitrate: int = 0  # kbps, lossy only; 0 = no minimum
    max_sample_rate: int = 0  # Hz; 0 = no maximum
    max_bit_depth: int = 0  # 0 = no maximum
    strict: bool = False  # unknown bitrate/sample rate/bit depth fails instead of passing
    # A lossless file whose spectrum says lossy or upsampled: "quarantine", "flag" or "accept".
    fake_lossless: str = "flag"
    lossless_floor_kbps: int = 160  # smaller lossless offers count as truncated; 0 = no floor

    def __post_init__(self) -> None:
        unknown = [name for name in self.formats if name not in QUALITY_CLASSES]
        if unknown:
            raise ValueError(
                f"unknown quality class {', '.join(unknown)}; one of {', '.join(DEFAULT_FORMATS)}"
            )

    @classmethod
    def from_config(cls) -> QualityProfile:
        from harmony_site.config import get_config

        config = get_config()
        return cls(
            formats=tuple(name.lower() for name in config["QUALITY_FORMATS"]),
            min_bitrate=config["QUALITY_MIN_BITRATE"],
            max_sample_rate=config["QUALITY_MAX_SAMPLE_RATE"],
            max_bit_depth=config["QUALITY_MAX_BIT_DEPTH"],
            strict=config["QUALITY_STRICT"],
            fake_lossless=config["QUALITY_FAKE_LOSSLESS"],
            lossless_floor_kbps=config["QUALITY_LOSSLESS_FLOOR_KBPS"],
        )


def quality_class(
    fmt: str,
    bitrate: int | None,
    sample_rate: int | None,
    bit_depth: int | None,
    vbr: bool | None,
    *,
    vbr_preset: str = "",
) -> str:
    """The class of one copy; `fmt` is an extension or codec name ("flac", "m4a", "alac", ...)."""
    codec = _CODEC_ALIASES.get(fmt.lower().lstrip("."), "")
    if codec == "m4a":  # peers only say "m4a": a bit depth means lossless ALAC
        codec = "alac" if bit_depth else "aac"
    if codec in _LOSSLESS:
        hires = (bit_depth or 0) > _CD_BIT_DEPTH or (sample_rate or 0) > _CD_MAX_RATE
        return _LOSSLESS[codec] + ("-hires" if hires else "")
    if codec == "mp3":
        return _mp3_class(bitrate, vbr, vbr_preset)
    return _LOSSY.get(codec, "other")


def _mp3_class(bitrate: int | None, vbr: bool | None, vbr_preset: str) -> str:
    rate = bitrate or 0
    if vbr_preset:
        return "mp3-v0" if vbr_preset.upper() == "V0" else "mp3-256" if rate >= 256 else "mp3"
    if rate >= 315 and not vbr:
        return "mp3-320"
    # A VBR average of 220+ kbps is V0 territory. When the file does not say whether it is VBR,
    # an average that is not a standard CBR rate gives it away.
    if rate >= 220 and (vbr or (vbr is None and rate not in _CBR_RATES)):
        return "mp3-v0"
    return "mp3-256" if rate >= 256 else "mp3"


def quality_key(
    fmt: str,
    bitrate: int | None,
    sample_rate: int | None,
    bit_depth: int | None,
    vbr: bool | None,
    *,
    vbr_preset: str = "",
    profile: QualityProfile | None = None,
) -> tuple[int, int]:
    """A sort key, larger is better: (preference rank in the profile, lossy bitrate)."""
    formats = (profile or _DEFAULT_PROFILE).formats
    name = quality_class(fmt, bitrate, sample_rate, bit_depth, vbr, vbr_preset=vbr_preset)
    rank = len(formats) - formats.index(name) if name in formats else 0
    lossy_rate = 0 if _is_lossless(name) else bitrate or 0
    return rank, lossy_rate


class QualityCheck(NamedTuple):
    """(ok, reason); truthy when acceptable, so `if meets_profile(...)` reads naturally."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


def check_quality(
    profile: QualityProfile,
    fmt: str,
    bitrate: int | None,
    sample_rate: int | None,
    bit_depth: int | None,
    vbr: bool | None,
    *,
    vbr_preset: str = "",
) -> QualityCheck:
    """Whether raw stream properties are acceptable; the reason is empty when they are."""
    name = quality_class(fmt, bitrate, sample_rate, bit_depth, vbr, vbr_preset=vbr_preset)
    if name not in profile.formats:
        return QualityCheck(
            False, f"{name} is not an allowed format ({', '.join(profile.formats)})"
        )
    lossless = _is_lossless(name)
    # (label, value, limit, +1 for a maximum / -1 for a minimum); a limit of 0 is "no limit".
    checks = [("sample rate", sample_rate, profile.max_sample_rate, 1)]
    checks.append(
        ("bit depth", bit_depth, profile.max_bit_depth, 1)
        if lossless
        else ("bitrate", bitrate, profile.min_bitrate, -1)
    )
    for label, value, limit, direction in checks:
        if not limit:
            continue
        if value is None:
            if profile.strict:
                return QualityCheck(False, f"{label} unknown (strict profile)")
            continue
        if (value - limit) * direction > 0:
            word = "below the minimum" if direction < 0 else "above the maximum"
            return QualityCheck(False, f"{label} {value} is {word} {limit}")
    return QualityCheck(True, "")


class AudioLike(Protocol):
    """AudioInfo, LibraryFile or anything else with these attributes (`vbr` optional)."""

    format: str
    codec: str
    bitrate_kbps: int | None
    sample_rate: int | None
    bit_depth: int | None


def key_of(item: AudioLike | Any, *, profile: QualityProfile | None = None) -> tuple[int, int]:
    """quality_key for an AudioInfo or a stored LibraryFile."""
    preset = getattr(item, "vbr_preset", "")
    return quality_key(*_fields_of(item), vbr_preset=preset, profile=profile)


def meets_profile(item: AudioLike | Any, *, profile: QualityProfile) -> QualityCheck:
    """check_quality for an AudioInfo or a stored LibraryFile."""
    return check_quality(profile, *_fields_of(item), vbr_preset=getattr(item, "vbr_preset", ""))


def peer_file_meets_profile(file: Any, *, profile: QualityProfile) -> QualityCheck:
    """check_quality for an slskd PeerFile."""
    return check_quality(profile, *_peer_fields(file))


def _fields_of(
    item: AudioLike | Any,
) -> tuple[str, int | None, int | None, int | None, bool | None]:
    fmt = item.codec or item.format
    return fmt, item.bitrate_kbps, item.sample_rate, item.bit_depth, getattr(item, "vbr", None)


def _peer_fields(file: Any) -> tuple[str, int | None, int | None, int | None, bool | None]:
    ext = file.filename.rsplit(".", 1)[-1] if "." in file.filename else file.extension
    return ext, file.bit_rate, file.sample_rate, file.bit_depth, file.is_variable_bit_rate


def peer_file_key(file: Any, *, profile: QualityProfile | None = None) -> tuple[int, int]:
    """quality_key for an slskd PeerFile (the extension is derived from its filename)."""
    return quality_key(*_peer_fields(file), profile=profile)


def is_better(
    new: AudioLike | Any, old: AudioLike | Any, *, profile: QualityProfile | None = None
) -> bool:
    """True when `new` should replace `old`: FLAC > MP3 320 > MP3 V0 > lower.

    An owned lossless copy is never replaced by another lossless one: swapping a hi-res FLAC
    for a CD-quality one (or back) would churn the library for no audible gain.
    """
    if _is_lossless(quality_class(*_fields_of(old))) and _is_lossless(
        quality_class(*_fields_of(new))
    ):
        return False
    return key_of(new, profile=profile) > key_of(old, profile=profile)


def _is_lossless(name: str) -> bool:
    return name.startswith(_LOSSLESS_CLASSES)


_DEFAULT_PROFILE = QualityProfile()
