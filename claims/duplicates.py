"""Near-duplicate documents: MinHash signatures over word shingles, banded for lookup, so a wire
story republished with small edits is recognised without comparing it to every stored source."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from claims.extraction.arabic import normalise

SHINGLE_WORDS = 3
PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
# Two texts sharing this much of their three-word shingles are one story with edits (a
# changed word alters three shingles), not two stories.
NEAR_DUPLICATE = 0.7
_PRIME = (1 << 61) - 1
_MASK = (1 << 64) - 1
# Fixed coefficients: signatures are stored, so every process must hash alike.
_COEFFICIENTS = [
    (
        int.from_bytes(hashlib.sha256(f"a{i}".encode()).digest()[:8], "big") % _PRIME or 1,
        int.from_bytes(hashlib.sha256(f"b{i}".encode()).digest()[:8], "big") % _PRIME,
    )
    for i in range(PERMUTATIONS)
]
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[int]:
    words = _WORD.findall(normalise(text))
    if len(words) < SHINGLE_WORDS:
        words = words + [""] * (SHINGLE_WORDS - len(words))
    return {
        int.from_bytes(
            hashlib.blake2b(
                " ".join(words[i : i + SHINGLE_WORDS]).encode(), digest_size=8
            ).digest(),
            "big",
        )
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def signature(text: str) -> tuple[int, ...]:
    hashed = shingles(text)
    return tuple(min(((a * h + b) % _PRIME) & _MASK for h in hashed) for a, b in _COEFFICIENTS)


def band_keys(sig: Sequence[int]) -> list[tuple[int, str]]:
    """(band number, key) pairs: two texts sharing any band are candidates."""
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(repr(tuple(rows)).encode(), digest_size=8).hexdigest()
        keys.append((band, digest))
    return keys


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    if not a or not b:
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)
