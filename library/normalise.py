"""The one text normalisation Harmony uses to compare artist, title and album names.

Pure and dependency-free: the library's dedupe keys and the HDM's candidate matching both call
`normalise_text`, so "Beyoncé feat. JAY-Z" in a Spotify playlist and "beyonce - ..." in a peer's
file name or a file's tags fold to the same words.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Letters NFKD does not decompose into a base letter plus a combining mark.
_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "þ": "th",
        "Þ": "th",
        "&": " and ",
    }
)
# "(feat. X)", "[ft X]", "(featuring X)" anywhere, then a bare " feat. X" up to the end or the
# next bracket: the credited guests are not part of the recording's name.
_FEAT_BRACKETED = re.compile(r"[(\[]\s*(?:feat|ft|featuring)\b\.?[^)\]]*[)\]]", re.IGNORECASE)
_FEAT_TRAILING = re.compile(r"\s(?:feat|ft|featuring)\b\.?\s[^(\[]*", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")


def fold_diacritics(text: str) -> str:
    """'Beyoncé Knowles' -> 'Beyonce Knowles' (keeps case and punctuation)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def strip_featuring(text: str) -> str:
    """'Song (feat. Guest)' -> 'Song'; 'Artist ft. Guest' -> 'Artist'."""
    return _FEAT_TRAILING.sub(" ", _FEAT_BRACKETED.sub(" ", text)).strip()


@functools.lru_cache(maxsize=8192)  # pure, and artist/album names repeat across a library
def normalise_text(text: str) -> str:
    """Fold case, diacritics, punctuation and featured-artist credits into plain words.

    >>> normalise_text("Beyoncé — Déjà Vu (feat. JAY-Z)")
    'beyonce deja vu'
    """
    folded = fold_diacritics(strip_featuring(text or "")).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())
