"""Gazetteer place names in Arabic and English text; offsets refer to the original text.

Matching reuses the folded-token trie of `attribution` (longest match, non-overlapping, Arabic
clitics و ف ب ل ك and وال/بال/فال/كال/لـ, quotes and hyphens inside names, "ez-Zor" = "al-Zor").
Multi-word Arabic names also match written together ("البو كمال" = "البوكمال"); "أبو كمال" must
be a gazetteer alias.

Ambiguity: when one name belongs to several places (Homs city, Homs governorate) the town wins,
unless the name is preceded by محافظة / ريف / governorate / province (or followed by
governorate / province / countryside); then a place flagged ``region=True`` wins.

Common words: a few Arabic place names are also ordinary nouns (المزرعة "the farm", العين "the
spring", ...). They count only after a settlement word (قرية، بلدة، مدينة، حي، village, town).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from claims.extraction.arabic import normalise
from claims.extraction.attribution import NameTrie, Tok, is_arabic, tokenise

__all__ = ["PlaceIndex", "PlaceMatch", "PlaceName"]


@dataclass(frozen=True)
class PlaceName:
    place_id: int
    names: tuple[str, ...]  # English name, Arabic name, aliases
    region: bool = False  # governorate / district rather than a town


@dataclass(frozen=True)
class PlaceMatch:
    place_id: int
    text: str
    start: int
    end: int


def _fold_set(*words: str) -> frozenset[str]:
    return frozenset(normalise(w) for w in words)


_REGION_BEFORE = _fold_set(
    "محافظة", "ريف", "governorate", "province", "countryside", "بادية",
    # directions: "شرقي دير الزور", "جنوب إدلب", "eastern Homs" name the governorate
    "شرقي", "غربي", "شمالي", "جنوبي", "شرق", "غرب", "شمال", "جنوب", "eastern", "western",
    "northern", "southern",
    # "rural Homs" is the English of "ريف حمص"
    "rural",
)  # fmt: skip
_REGION_AFTER = _fold_set(
    "governorate", "province", "countryside", "region", "governorates", "provinces"
)
# "Homs and Hama provinces", "محافظتي حمص وحماة": a plural region word after two names.
_REGION_SUFFIXES = _fold_set("governorate", "province")
_REGIONS_AFTER = _fold_set("governorates", "provinces", "محافظتي", "محافظات")
_AND = _fold_set("and", "و")
# Words that contain a gazetteer name after a clitic but are not places: "لبنان" is not
# "ل" + the village "بنان"; Lebanon itself is not in the gazetteer.
NOT_PLACE_WORDS = _fold_set("لبنان", "ولبنان", "بلبنان", "للبنان", "فلبنان")
_SETTLEMENT = _fold_set(
    "قرية", "بلدة", "مدينة", "حي", "مخيم", "ناحية", "village", "town", "city", "camp"
)  # fmt: skip
# Place names that are also ordinary words; matched only after a settlement word.
COMMON_WORD_NAMES = _fold_set(
    "المزرعة", "مزرعة", "العين", "عين", "الجسر", "السد", "التل", "المركز", "الحي", "القرية",
    "البلدة", "المدينة", "المنطقة", "الشيخ", "السلام", "النصر", "الثورة", "الحرية", "الوحدة",
)  # fmt: skip


# A place right after these nouns is part of a body's or outlet's name, not where the claim is:
# "مديرية صحة السويداء", "مجلس دير الزور العسكري", "تلفزيون سوريا".
_BODY_NOUNS = _fold_set("مديرية", "صحة", "مجلس", "تلفزيون", "إذاعة", "راديو")


def _bare(word: str) -> str:
    """A word without a leading clitic (بريف -> ريف, وبلدة -> بلدة)."""
    if len(word) > 3 and word[0] in "وف":
        word = word[1:]
    if len(word) > 3 and word[0] in "بلك":
        word = word[1:]
    return word


# "الريف الشرقي لدير الزور", "the eastern countryside of Deir ez-Zor": the region word comes
# before the name, with a direction and لـ / "of" in between.
_REGION_NOUNS = _fold_set("ريف", "الريف", "بادية", "البادية", "countryside", "province")
_DIRECTION_ADJECTIVES = _fold_set(
    "الشرقي", "الغربي", "الشمالي", "الجنوبي", "الشرقية", "الغربية", "الشمالية", "الجنوبية",
    "eastern", "western", "northern", "southern",
)  # fmt: skip


def _attributive_initials(text: str, toks: Sequence[Tok], first: int, last: int) -> bool:
    """ "U.S. forces", "U.S.-led coalition": dotted initials before a noun are an adjective."""
    if not all(len(t.norm) == 1 and t.norm.isascii() for t in toks[first : last + 1]):
        return False
    if last + 1 >= len(toks):
        return False
    gap = text[toks[last].end : toks[last + 1].start]
    nxt = toks[last + 1].norm
    return (
        gap.strip() in (".", ".-")
        and text[toks[last + 1].start].isalpha()
        and (nxt not in _NOUN_FOLLOWERS)
    )


# Words after a country's initials that show it is used as a noun: "to the U.S. on Monday".
_NOUN_FOLLOWERS = frozenset(
    {
        "on", "in", "at", "and", "or", "to", "for", "from", "with", "by", "of", "since", "after",
        "before", "over", "under", "said", "says", "has", "had", "have", "is", "was", "will",
        "would", "could", "should", "did", "does", "also", "as", "but", "than", "which", "that",
    }
)  # fmt: skip


class PlaceIndex:
    def __init__(self, places: Sequence[PlaceName]) -> None:
        self._trie: NameTrie[int] = NameTrie()
        self._region: dict[int, bool] = {}
        # Region places by folded name, so that "Hasakah countryside" finds the governorate
        # registered as "Al-Hasakah" when the bare name belongs to the town only.
        self._regions_by_key: dict[tuple[str, ...], list[int]] = {}
        # Arabic names also registered with the article ("رقة" and "الرقة"): the bare form is a
        # common word behind a clitic ("فرقه" is "his teams", not "ف" + "رقة").
        keys_of: dict[int, set[tuple[str, ...]]] = {}
        for place in places:
            self._region[place.place_id] = place.region
            for name in place.names:
                if name.strip():
                    self._trie.add(name, place.place_id)
                    key = NameTrie.key(name)
                    keys_of.setdefault(place.place_id, set()).add(key)
                    if place.region and key:
                        self._regions_by_key.setdefault(key, []).append(place.place_id)
                        # "Sweida Governorate" also names the region as plain "Sweida" when a
                        # region word asks for one ("Sweida province", "western Sweida").
                        if len(key) > 1 and key[-1] in _REGION_SUFFIXES:
                            self._regions_by_key.setdefault(key[:-1], []).append(place.place_id)
        # "Qamishli" for "Al Qamishli": an English name's article may be left out, unless the
        # bare name belongs to another place.
        all_keys = {key for keys in keys_of.values() for key in keys}
        for place_id, keys in keys_of.items():
            for key in list(keys):
                bare = key[1:]
                if (
                    len(key) > 1
                    and key[0] == "al"
                    and len(bare[0]) >= 4
                    and not is_arabic(bare[0])
                    and bare not in all_keys
                ):
                    self._trie.add(" ".join(bare), place_id)
        self._article_dropped: set[tuple[str, ...]] = set()
        for keys in keys_of.values():
            for key in keys:
                if len(key) == 1 and key[0].startswith("ال") and (key[0][2:],) in keys:
                    self._article_dropped.add((key[0][2:],))

    def _region_variant(self, toks: Sequence[Tok], first: int, last: int, skip: int) -> int | None:
        """A region named with the article the text left out ("Hasakah" -> "Al-Hasakah"), or by
        the name its "X Governorate" alias gives it ("Sweida province" -> Suwayda)."""
        key = (toks[first].norm[skip:], *(t.norm for t in toks[first + 1 : last + 1]))
        plain = self._regions_by_key.get(key)
        if plain:
            return plain[0]
        if is_arabic(key[0]):
            variant = None if key[0].startswith("ال") else ("ال" + key[0], *key[1:])
        else:
            variant = None if key[0] == "al" else ("al", *key)
        found = self._regions_by_key.get(variant) if variant else None
        return found[0] if found else None

    def _region_before(self, toks: Sequence[Tok], first: int) -> bool:
        """ "الريف الشرقي لدير الزور", "the eastern countryside of Deir ez-Zor"."""
        i = first - 1
        if i >= 0 and toks[i].norm == "of":
            i -= 1
        elif not (toks[first].norm[:1] == "ل" or (i >= 0 and toks[i].norm == "ل")):
            return False
        elif i >= 0 and toks[i].norm == "ل":
            i -= 1
        while i >= 0 and toks[i].norm in _DIRECTION_ADJECTIVES:
            i -= 1
        return i >= 0 and toks[i].norm in _REGION_NOUNS

    def _preceded(self, toks: Sequence[Tok], i: int, words: frozenset[str]) -> bool:
        return i > 0 and (toks[i - 1].norm in words or _bare(toks[i - 1].norm) in words)

    def _coordinated_regions(self, toks: Sequence[Tok], last: int) -> bool:
        """ "Homs and Hama provinces": the first name of a pair under a plural region word."""
        if last + 1 >= len(toks) or toks[last + 1].norm not in _AND:
            return False
        return any(t.norm in _REGIONS_AFTER for t in toks[last + 2 : last + 6])

    def find(self, text: str) -> list[PlaceMatch]:
        toks = tokenise(text)

        def accept(place_id: int, first: int, last: int, skip: int) -> bool:
            if skip and toks[first].norm in NOT_PLACE_WORDS:
                return False
            if skip and first == last and (toks[first].norm[skip:],) in self._article_dropped:
                return False
            # English place names are capitalised: "was" is not the "Was" of an alias, but
            # "al-Bab", "ez-Zor", "the White House" keep their lower-case article.
            initial = text[toks[first].start : toks[first].start + 1]
            if (
                not is_arabic(toks[first].norm)
                and not (initial.isupper() or initial.isdigit())
                and (toks[first].norm not in ("al", "the") or first == last)
            ):
                return False
            if _attributive_initials(text, toks, first, last):
                return False
            if not skip and self._preceded(toks, first, _BODY_NOUNS):
                return False
            name = "".join(t.norm for t in toks[first : last + 1])[skip:]
            if last == first and name in COMMON_WORD_NAMES:
                return self._preceded(toks, first, _SETTLEMENT)
            return True

        hits = self._trie.find(toks, text, accept)
        out: list[PlaceMatch] = []
        for hit in hits:
            place_id = hit.payload
            # All places sharing this exact name: choose town or region by context.
            same = hit.alternatives
            want_region = (
                self._preceded(toks, hit.first, _REGION_BEFORE)
                or (hit.last + 1 < len(toks) and toks[hit.last + 1].norm in _REGION_AFTER)
                or self._coordinated_regions(toks, hit.last)
                or self._region_before(toks, hit.first)
            )
            if len(same) > 1:
                ranked = [p for p in same if self._region.get(p, False) == want_region]
                place_id = (ranked or same)[0]
            if want_region and not self._region.get(place_id, False):
                place_id = self._region_variant(toks, hit.first, hit.last, hit.skip) or place_id
            out.append(PlaceMatch(place_id, text[hit.start : hit.end], hit.start, hit.end))
        return out
