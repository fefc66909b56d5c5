"""Proposing Events: which claims are about the same happening, from plain claim sketches.

Claims are matched through blocking keys (item, region, date bucket, claimant, rare words), never
all pairs, then accepted pairwise by `same_happening` and grouped with a constrained union-find that
respects the editors' fixed events. No Django here; a service turns the proposals into rows.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

from claims.extraction.arabic import normalise

__all__ = [
    "ClaimSketch",
    "ProposedEvent",
    "blocking_keys",
    "candidate_pairs",
    "content_tokens",
    "propose_events",
    "same_happening",
    "similarity",
]


@dataclass(frozen=True)
class ClaimSketch:
    """What clustering needs to know about one claim."""

    claim_id: int
    claimant_id: int
    items: frozenset[str]  # quantity items, already lowercased ("mortars and rockets", "killed")
    numbers: frozenset[int]  # low bounds of its quantities (helps match a translation)
    places: frozenset[int]  # the claim's own place ids
    place_lineage: frozenset[int]  # its places plus all their ancestors' ids
    region: frozenset[int]  # governorates its places lie in; empty if placed only country-wide
    start: date | None  # event window start, else stated_at
    end: date | None
    text: str  # original (Arabic or English)
    text_en: str = ""  # English translation if any
    fixed_event_id: int | None = None  # an editor confirmed/merged/split this claim's event
    # One of its places lies above every governorate (the country, "Syria"): it can be about the
    # same happening as a claim anywhere, like a claim with no place at all.
    country_wide: bool = False

    # Computed once per sketch: pair decisions ask for both millions of times in a full scan.
    @cached_property
    def words(self) -> _Words:
        return _words_of(self.text, self.text_en)

    @cached_property
    def window(self) -> tuple[date, date] | None:
        """The claim's window; a one-sided window is the day it names (as the date rules read
        it)."""
        start = self.start or self.end
        end = self.end or self.start
        if start is None or end is None:
            return None
        return (min(start, end), max(start, end))

    @property
    def placed_anywhere(self) -> bool:
        """Whether claims in any region may be about the same happening as this one."""
        return not self.region or self.country_wide


@dataclass(frozen=True)
class ProposedEvent:
    """A proposed cluster. `key` stays the same when later claims join the cluster, as long as its
    smallest claim id and earliest date do not change; fixed clusters are keyed by their event."""

    claim_ids: frozenset[int]
    key: str
    fixed_event_id: int | None = None


# --- Thresholds -------------------------------------------------------------------------------
# Two windows "touch" when the gap between them is at most two days: outlets date one happening
# 12 vs 13 November, and "on 22 November" vs a statement about "the past days".
DATE_TOLERANCE_DAYS = 2
# Jaccard on content tokens, one script at a time. Measured on the seed (month names and stop
# words dropped): two outlets' accounts of the al-Dumayr airdrop score 0.36, while two different
# ISIS attacks written in al-Naba's formula ("targeted an SDF ... with machine-gun fire") score
# 0.26 (Dhiban vs al-Jazra road) and 0.32 in the tests' wording; other unrelated seed pairs stay
# under 0.2. So wording alone is thin evidence near 0.3: 0.34 sits between, and places, not words,
# are what keep same-formula attacks apart. Relays of one sentence score 0.6 and more.
SIMILAR_WORDS = 0.34
# Above this the wording alone says "same statement", even when a date or place is missing.
VERY_SIMILAR_WORDS = 0.6
# Sets this small make Jaccard jumpy (two tokens in common of four is 0.5 by accident).
MIN_TOKENS_FOR_SIMILARITY = 3
# "more than 15" is 16 in one relay and "15" in the next: numbers this large that differ by one
# are the same number carried with or without its qualifier. Small numbers (2 vs 3) are not.
NUMBER_DRIFT_FROM = 10
# Window cap for blocking: a claim about "October" would otherwise sit in every weekly block;
# past this many buckets only the buckets at both ends of the window are emitted.
MAX_BUCKETS = 10
# Blocks up to this size are compared all against all; larger ones only by date neighbourhood.
# 30 keeps a block of one region-week whole and cuts the pairs at 100k claims to a third.
MAX_BLOCK = 30
# Wording keys per script: few enough that a claim sits in a handful of word blocks.
WORDING_KEYS_PER_SCRIPT = 3
NUMBER_KEYS = 2
# Oversized blocks are split by sorted neighbourhood: ordered by date, each claim is paired with
# this many following claims only, so a block of n yields at most n * window pairs.
NEIGHBOURHOOD_WINDOW = 8

# --- Tokens -----------------------------------------------------------------------------------
_ENGLISH_STOP_WORDS = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with
    would you your yours least nearly around approximately almost dozens several hundreds
    thousands one two three four five six seven eight nine ten
    said says say announced announce claimed claims claim reported reports report stated added
    according citing told confirmed denied noted quoted statement al el
    january february march april may june july august september october november december
"""
_ENGLISH_STOP = frozenset(_ENGLISH_STOP_WORDS.split())
# Arabic function words, reporting verbs and month names, folded with `normalise` (alef, yaa,
# taa marbuta) so they compare with normalised text. Month names are dropped in both languages:
# dates are compared as windows, and "November" in two texts says only "same month".
_ARABIC_STOP_WORDS = """
    في من على إلى الى عن مع أن إن ان التي الذي الذين هذه هذا ذلك تلك كما قد لقد ثم أو او بين
    بعد قبل خلال حتى عند منذ كل بعض أي غير ما لا لم لن هو هي هم كان كانت وكان وقد وفي ومن
    أكثر اكثر نحو حوالي قرابة أقل عدة عشرات مئات آلاف ألف الف
    قال قالت أعلن أعلنت أفاد أفادت أكد أكدت أشار أشارت ذكر ذكرت كشف نفى تبنى زعم ادعى أقر
    وقال وأعلن وأكد بحسب وفقا نقلا حسبما تابع تابعا تابعة
    كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين الأول الثاني أول ثاني ماضي الماضي
    يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر
"""
_ARABIC_STOP = frozenset(normalise(word) for word in _ARABIC_STOP_WORDS.split())
# Words that occur in nearly every claim of this corpus and so say nothing about which happening
# a claim is about (Arabic ones without the article, as `_stem` leaves them).
_GENERIC_WORDS = """
    syria syrian isis islamic state group سوريا سورية سوري تنظيم لتنظيم دولة إسلامية
"""
_GENERIC = frozenset(normalise(word) for word in _GENERIC_WORDS.split())
_STOP = _ENGLISH_STOP | _ARABIC_STOP | _GENERIC
_TOKEN = re.compile(r"[^\W_]+")
_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
# Thousands separators inside numbers ("4,000", "4٬000") would split one number into two tokens.
_THOUSANDS = re.compile(r"(?<=\d)[,.\u066c](?=\d{3}\b)")
_ARABIC_ARTICLE = ("وال", "بال", "فال", "كال", "لل", "ال")


def _stem(token: str) -> str:
    if _ARABIC_LETTER.match(token):
        for prefix in _ARABIC_ARTICLE:
            if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                return token[len(prefix) :]
        return token
    # Plural -s only: "sites"/"site", "caches"/"cache"; "isis", "ss" and "us" endings stay.
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "is", "us")):
        return token[:-1]
    return token


@lru_cache(maxsize=1 << 17)
def _content_form(raw: str) -> str | None:
    """A raw token as it is compared (stemmed), or None for a stop word or a stray letter.
    Cached by token: a full scan tokenises 200k texts from a vocabulary of a few thousand words,
    and stemming each occurrence anew cost more than splitting the texts."""
    if raw in _STOP or (len(raw) < 2 and not raw.isdigit()):
        return None
    stemmed = _stem(raw)
    return None if stemmed in _STOP else stemmed


# Big enough for both texts of every claim of a full scan (65536 thrashed: 124k misses for 115k
# distinct texts at 100k claims); propose_events clears it with the word cache.
@lru_cache(maxsize=1 << 18)
def content_tokens(text: str) -> frozenset[str]:
    """Normalised, stemmed tokens without stop words; numbers are kept as tokens."""
    # ASCII text has nothing for `normalise` to fold but its case, and spacing does not move a
    # token: half the texts of a scan are English, and the full fold cost 40 % of tokenising.
    folded = _THOUSANDS.sub("", text.lower() if text.isascii() else normalise(text))
    return frozenset(t for t in map(_content_form, _TOKEN.findall(folded)) if t is not None)


@dataclass(frozen=True)
class _Words:
    latin: frozenset[str]  # English (and other Latin-script) words, digits included
    arabic: frozenset[str]
    digits: frozenset[str]


def _words(sketch: ClaimSketch) -> _Words:
    return sketch.words


# Big enough for every claim of one full scan (a smaller cache thrashed: 282k misses for 100k
# claims); propose_events clears it when done, so a long-lived worker does not keep the texts.
@lru_cache(maxsize=1 << 18)
def _words_of(text: str, text_en: str) -> _Words:
    tokens = content_tokens(text) | content_tokens(text_en)
    # The first letter decides, as _ARABIC_LETTER.match would, without a regex call per token.
    arabic = frozenset(t for t in tokens if "\u0600" <= t[0] <= "\u06ff")
    digits = frozenset(t for t in tokens if t.isdigit())
    # Digits belong to both scripts: "15" in an Arabic text matches "15" in its translation.
    return _Words(latin=tokens - arabic, arabic=arabic | digits, digits=digits)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if len(a) < MIN_TOKENS_FOR_SIMILARITY or len(b) < MIN_TOKENS_FOR_SIMILARITY:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(a: ClaimSketch, b: ClaimSketch) -> float:
    """Word overlap of two claims, script by script, so that an Arabic claim's translation is
    compared with an English claim's text and Arabic with Arabic."""
    words_a, words_b = _words(a), _words(b)
    return max(
        _jaccard(words_a.latin, words_b.latin),
        _jaccard(words_a.arabic, words_b.arabic),
    )


# --- Blocking ---------------------------------------------------------------------------------
def _window(sketch: ClaimSketch) -> tuple[date, date] | None:
    return sketch.window


def _buckets(sketch: ClaimSketch, bucket_days: int) -> list[int | None]:
    window = _window(sketch)
    if window is None:
        return [None]
    # Widen by a day on each side so a window that ends on a bucket boundary still meets a
    # claim dated the next day in the following bucket.
    first = (window[0].toordinal() - 1) // bucket_days
    last = (window[1].toordinal() + 1) // bucket_days
    buckets: list[int | None] = list(range(first, last + 1))
    if len(buckets) > MAX_BUCKETS:
        half = MAX_BUCKETS // 2
        buckets = buckets[:half] + buckets[-half:]
    return buckets


def _salient(
    tokens: Iterable[str], count: int, document_frequency: Mapping[str, int] | None
) -> list[str]:
    """The `count` rarest tokens that can still meet another claim.

    With corpus frequencies, tokens seen once are useless for blocking and common ones make huge
    blocks, so the rarest tokens seen at least twice win. Without them, long words and large
    numbers stand in for rare ones.
    """
    if document_frequency is not None:
        seen = [t for t in tokens if document_frequency.get(t, 0) >= 2]
        return sorted(seen, key=lambda t: (document_frequency.get(t, 0), t))[:count]
    return sorted(tokens, key=lambda t: (-len(t), t))[:count]


def blocking_keys(
    sketch: ClaimSketch,
    *,
    bucket_days: int = 7,
    document_frequency: Mapping[str, int] | None = None,
) -> set[tuple[Hashable, ...]]:
    """Keys under which the claim is filed; only claims sharing a key are ever compared.

    - ("item", item, region, bucket) for each item, region and date bucket;
    - ("claimant", claimant, region, bucket): a claimant's statements about one area in one week;
    - ("region-word", region, bucket, token) for the claim's few salient tokens;
    - ("word", token, bucket): wording keys without a region, so that a claim with no place, or
      an Arabic claim and its English relay whose places were resolved differently, still meet.
    Numbers from the quantities join the salient tokens (as digits, like the text's own numbers).
    Undated claims use bucket None and meet only other undated claims.
    """
    buckets = _buckets(sketch, bucket_days)
    regions: list[int | None] = [*sorted(sketch.region)]
    if not regions:
        regions = [None]
    words = _words(sketch)
    numbers = words.digits | {str(n) for n in sketch.numbers if n >= 2}
    salient = [
        *_salient(numbers, NUMBER_KEYS, document_frequency),
        *_salient(words.latin - words.digits, WORDING_KEYS_PER_SCRIPT, document_frequency),
        *_salient(words.arabic - words.digits, WORDING_KEYS_PER_SCRIPT, document_frequency),
    ]
    keys: set[tuple[Hashable, ...]] = set()
    for bucket in buckets:
        for region in regions:
            keys.update(("item", item, region, bucket) for item in sketch.items)
            keys.add(("claimant", sketch.claimant_id, region, bucket))
            keys.update(("region-word", region, bucket, token) for token in salient)
        keys.update(("word", token, bucket) for token in salient)
    return keys


def _document_frequency(sketches: Sequence[ClaimSketch]) -> Counter[str]:
    frequency: Counter[str] = Counter()
    for sketch in sketches:
        words = _words(sketch)
        frequency.update(words.latin | words.arabic | {str(n) for n in sketch.numbers})
    return frequency


def candidate_pairs(
    sketches: Sequence[ClaimSketch],
    *,
    max_block: int = MAX_BLOCK,
    bucket_days: int = 7,
    window: int = NEIGHBOURHOOD_WINDOW,
) -> Iterator[tuple[int, int]]:
    """Pairs of claim ids (smaller first, sorted, each once) that share a blocking key.

    A block of up to `max_block` claims yields all its pairs. A larger block (a common word, a
    busy claimant in a busy week) is split by sorted neighbourhood: its claims are ordered by
    window start and claim id, and each is paired with the next `window` claims only. The number
    of pairs is thus bounded by (keys per claim) x max(max_block, window) and stays near linear.
    """
    yield from sorted(
        _candidate_pairs(sketches, max_block=max_block, bucket_days=bucket_days, window=window)
    )


def _candidate_pairs(
    sketches: Sequence[ClaimSketch], *, max_block: int, bucket_days: int, window: int
) -> Iterator[tuple[int, int]]:
    """The pairs of `candidate_pairs`, each once, in no particular order.

    Claim by claim: its neighbours are the union of its blocks (whole small blocks, the date
    neighbourhood in large ones), and only neighbours with a larger id are paired, so each pair
    comes once without a set of millions of pairs (at 100k claims that set and its sort took
    longer than deciding the pairs)."""
    frequency = _document_frequency(sketches)
    blocks: dict[tuple[Hashable, ...], list[int]] = defaultdict(list)
    order = {s.claim_id: _date_order(s) for s in sketches}
    anywhere = {s.claim_id for s in sketches if s.placed_anywhere}
    for sketch in sketches:
        for key in blocking_keys(sketch, bucket_days=bucket_days, document_frequency=frequency):
            blocks[key].append(sketch.claim_id)
    # Each claim's blocks as the member lists themselves, so the loop below neither hashes a key
    # again nor visits the blocks of one claim (238k of the 614k keys at 100k claims).
    # Region-less word blocks exist so that a claim placed nowhere (or country-wide) meets claims
    # placed somewhere; two claims placed in different governorates can never be one happening,
    # and same-region pairs come from the region's own word blocks. So a regional claim takes
    # only the "anywhere" members of a word block (at 100k claims that drops over a million
    # pairs that place compatibility would refuse one by one).
    blocks_of: dict[int, list[tuple[list[int], list[int]]]] = defaultdict(list)
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        members.sort(key=order.__getitem__)
        regional_view = [c for c in members if c in anywhere] if key[0] == "word" else members
        for claim_id in members:
            blocks_of[claim_id].append((members, regional_view))

    def near(members: list[int], claim_id: int) -> list[int]:
        """Whole small blocks; in large ones the claims nearest in date order."""
        if len(members) <= max_block:
            return members
        index = bisect_left(members, order[claim_id], key=order.__getitem__)
        return members[max(0, index - window) : index + window + 1]

    for claim_id, filed in blocks_of.items():
        neighbours: set[int] = set()
        regional = claim_id not in anywhere
        for members, regional_view in filed:
            neighbours.update(near(regional_view if regional else members, claim_id))
        for other in neighbours:
            if other > claim_id:
                yield claim_id, other


def _date_order(sketch: ClaimSketch) -> tuple[int, int]:
    window = _window(sketch)
    return (window[0].toordinal() if window else 0, sketch.claim_id)


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


# --- Pairwise decision ------------------------------------------------------------------------
def _gap_days(a: tuple[date, date], b: tuple[date, date]) -> int:
    """Days between two windows; zero or negative when they overlap."""
    return (max(a[0], b[0]) - min(a[1], b[1])).days


def _places_related(a: ClaimSketch, b: ClaimSketch) -> bool:
    """One claim's place is the other's place or one of its ancestors (Rif Dimashq › al-Dumayr)."""
    return bool(a.places & b.place_lineage or b.places & a.place_lineage)


def _places_compatible(a: ClaimSketch, b: ClaimSketch) -> bool:
    return not a.places or not b.places or _places_related(a, b)


def _shared_number(a: frozenset[int], b: frozenset[int]) -> bool:
    for n in a:
        if n < 2:
            continue
        if n in b:
            return True
        if n >= NUMBER_DRIFT_FROM and (n - 1 in b or n + 1 in b):
            return True
    return False


def _evidence(a: ClaimSketch, b: ClaimSketch) -> float | None:
    """How strongly two claims are about one happening, or None when they are not.

    Each signal counts one: a shared item; a shared number (>= 2) with related places; the same
    claimant giving the same multi-day window about related places (its statements about one
    operation: "between 24 and 27 November"); similar wording (Jaccard >= SIMILAR_WORDS, and
    wording above VERY_SIMILAR_WORDS counts twice). One signal suffices when both windows are
    known and both claims have related places; a claim without a place or without a date must
    agree on two, because "killed" on the same day anywhere in the country is not one happening.
    """
    if not _places_compatible(a, b):
        return None
    window_a, window_b = _window(a), _window(b)
    dated = window_a is not None and window_b is not None
    if (
        window_a is not None
        and window_b is not None
        and _gap_days(window_a, window_b) > DATE_TOLERANCE_DAYS
    ):
        return None
    related = _places_related(a, b)
    words = similarity(a, b)
    signals = 0.0
    if a.items & b.items:
        signals += 1
    if related and _shared_number(a.numbers, b.numbers):
        signals += 1
    if (
        related
        and dated
        and a.claimant_id == b.claimant_id
        and window_a == window_b
        and window_a is not None
        and window_a[0] != window_a[1]
    ):
        signals += 1
    if words >= VERY_SIMILAR_WORDS:
        signals += 2
    elif words >= SIMILAR_WORDS:
        signals += 1
    needed = 1 if dated and related else 2
    if signals < needed:
        return None
    # Wording breaks ties between equally supported pairs so the strongest merge first.
    return signals + words


def same_happening(a: ClaimSketch, b: ClaimSketch) -> bool:
    """Whether two claims are about one happening (see `_evidence` for the signals)."""
    return a.claim_id != b.claim_id and _evidence(a, b) is not None


# --- Clustering -------------------------------------------------------------------------------
@dataclass
class _Cluster:
    members: list[ClaimSketch]
    fixed_event_id: int | None
    first_start: date | None
    last_end: date | None
    longest_days: int
    place_signatures: set[tuple[frozenset[int], frozenset[int]]]

    @classmethod
    def of(cls, sketch: ClaimSketch) -> _Cluster:
        window = _window(sketch)
        return cls(
            members=[sketch],
            fixed_event_id=sketch.fixed_event_id,
            first_start=window[0] if window else None,
            last_end=window[1] if window else None,
            longest_days=(window[1] - window[0]).days if window else 0,
            place_signatures={(sketch.places, sketch.place_lineage)} if sketch.places else set(),
        )

    def accepts(self, other: _Cluster) -> bool:
        """Single-link chaining would let a vague claim ("Syria", a month) glue unrelated
        happenings together; so a merge must also keep the whole cluster coherent."""
        if (
            self.fixed_event_id is not None
            and other.fixed_event_id is not None
            and self.fixed_event_id != other.fixed_event_id
        ):
            return False
        if (
            self.first_start is not None
            and other.first_start is not None
            and self.last_end is not None
            and other.last_end is not None
        ):
            # The merged span may exceed the longest stated window only by the tolerance on
            # each side: a 24-27 Nov operation takes claims dated 24 and 27, but a run of
            # daily attacks does not chain into one long "event".
            span = (
                max(self.last_end, other.last_end) - min(self.first_start, other.first_start)
            ).days
            if span > max(self.longest_days, other.longest_days) + 2 * DATE_TOLERANCE_DAYS:
                return False
        # Every placed claim of one side must be place-related to every placed claim of the
        # other: Dhiban and the al-Jazra road never meet through a claim placed only in "Syria".
        return all(
            places_a & lineage_b or places_b & lineage_a
            for places_a, lineage_a in self.place_signatures
            for places_b, lineage_b in other.place_signatures
        )

    def absorb(self, other: _Cluster) -> None:
        self.members.extend(other.members)
        if self.fixed_event_id is None:
            self.fixed_event_id = other.fixed_event_id
        starts = [d for d in (self.first_start, other.first_start) if d is not None]
        ends = [d for d in (self.last_end, other.last_end) if d is not None]
        self.first_start = min(starts) if starts else None
        self.last_end = max(ends) if ends else None
        self.longest_days = max(self.longest_days, other.longest_days)
        self.place_signatures |= other.place_signatures


class _Clusters:
    """Union-find whose roots carry the cluster state checked before each union."""

    def __init__(self, sketches: Iterable[ClaimSketch]) -> None:
        self.parent: dict[int, int] = {}
        self.state: dict[int, _Cluster] = {}
        for sketch in sketches:
            self.parent[sketch.claim_id] = sketch.claim_id
            self.state[sketch.claim_id] = _Cluster.of(sketch)

    def find(self, claim_id: int) -> int:
        root = claim_id
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[claim_id] != root:
            self.parent[claim_id], claim_id = root, self.parent[claim_id]
        return root

    def union(self, a: int, b: int, *, force: bool = False) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        cluster_a, cluster_b = self.state[root_a], self.state[root_b]
        if not force and not cluster_a.accepts(cluster_b):
            return False
        # The smaller root id survives, so the result does not depend on merge order details.
        keep, drop = sorted((root_a, root_b))
        if len(self.state[keep].members) < len(self.state[drop].members):
            self.state[keep], self.state[drop] = self.state[drop], self.state[keep]
        self.state[keep].absorb(self.state.pop(drop))
        self.parent[drop] = keep
        return True

    def clusters(self) -> list[_Cluster]:
        return [self.state[root] for root in sorted(self.state)]


def _event_key(cluster: _Cluster) -> str:
    if cluster.fixed_event_id is not None:
        return f"event-{cluster.fixed_event_id}"
    smallest = min(s.claim_id for s in cluster.members)
    start = cluster.first_start.isoformat() if cluster.first_start else "undated"
    return hashlib.sha1(f"{smallest}:{start}".encode(), usedforsecurity=False).hexdigest()[:16]


def propose_events(sketches: Sequence[ClaimSketch]) -> list[ProposedEvent]:
    """Events for the claims (see _propose_events); the word caches live only for this call."""
    try:
        return _propose_events(sketches)
    finally:
        _words_of.cache_clear()
        content_tokens.cache_clear()


def _propose_events(sketches: Sequence[ClaimSketch]) -> list[ProposedEvent]:
    """Group claims into proposed Events, one ProposedEvent per cluster (singletons included),
    ordered by smallest claim id.

    Claims sharing a fixed_event_id form one cluster whatever their content (the editor's word);
    two fixed events are never merged; unfixed claims join a fixed cluster or each other through
    accepted pairs, strongest pairs first. The output does not depend on input order.
    """
    ordered = sorted(sketches, key=lambda s: s.claim_id)
    by_id = {s.claim_id: s for s in ordered}
    if len(by_id) != len(ordered):
        raise ValueError("claim ids must be unique")
    clusters = _Clusters(ordered)
    first_of_event: dict[int, int] = {}
    for sketch in ordered:
        if sketch.fixed_event_id is None:
            continue
        first = first_of_event.setdefault(sketch.fixed_event_id, sketch.claim_id)
        clusters.union(first, sketch.claim_id, force=True)
    accepted: list[tuple[float, int, int]] = []
    for a, b in _candidate_pairs(
        ordered, max_block=MAX_BLOCK, bucket_days=7, window=NEIGHBOURHOOD_WINDOW
    ):
        sketch_a, sketch_b = by_id[a], by_id[b]
        if sketch_a.fixed_event_id is not None and sketch_a.fixed_event_id == (
            sketch_b.fixed_event_id
        ):
            continue
        strength = _evidence(sketch_a, sketch_b)
        if strength is not None:
            accepted.append((-strength, a, b))
    for _, a, b in sorted(accepted):
        clusters.union(a, b)
    return [
        ProposedEvent(
            claim_ids=frozenset(s.claim_id for s in cluster.members),
            key=_event_key(cluster),
            fixed_event_id=cluster.fixed_event_id,
        )
        for cluster in clusters.clusters()
    ]
