"""Arabic (and mixed-script) normalisation for matching and search; text is stored as written."""

from __future__ import annotations

import re
import unicodedata

# Harakat, Quranic marks, superscript alef and tatweel carry no meaning for matching.
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# Bidi controls and zero-width characters are invisible and would split words apart.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ک": "ك",
        "ی": "ي",
        # Arabic-Indic and Eastern Arabic-Indic digits match their ASCII forms.
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Fold text for matching: Arabic letter variants, diacritics, digits, case and spacing."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _INVISIBLE.sub("", folded)
    folded = _DIACRITICS.sub("", folded)
    folded = folded.translate(_LETTERS).casefold()
    return _SPACES.sub(" ", folded).strip()


def search_text(*parts: str | None) -> str:
    """One normalised string of every part, for `icontains` search in either script."""
    return " | ".join(normalise(p) for p in parts if p)
