"""Sentence splitting, actor mentions and attribution (who said it, how, via whom).

Pure functions over plain text, Arabic and English. Matching is done on folded tokens
(`arabic.normalise` applied character by character, so every folded character keeps the offset
of the original character it came from); every offset returned refers to the ORIGINAL text.

Rules, in short (all general, none tuned to one article):

* Sentences end at ``. ! ? ؟ ؛`` and line breaks, never inside a quotation (« », “ ”, ” ”, " "),
  inside a number (``4,000``, ``1.5``) or after an abbreviation (``U.S.``, ``Adm.``, ``No.``).
* Actor names are matched longest-first over folded tokens with a trie. An Arabic name may carry
  the clitics و ف ب ل ك (``وال``, ``بال``, ``لل``), also detached (``لـ”الحرس الثوري”``); a name may
  run across quotes and hyphens but not across other punctuation. Short Latin acronyms (``IS``,
  ``SDF``) match case-sensitively so that English "is" is not ISIS.
* A reporting verb (first one outside quotes) gives the stance. Arabic is read VSO: the claimant
  is looked for between the verb and the content marker (أن / إن / بأن / عن / إلى / :), then
  before the verb (SVO); English is read SVO (nearest name before the verb), then VS
  ("said CENTCOM"). Apposition ("قائد ...، الأدميرال براد كوبر،") prefers the appositive name.
* Anaphora: no subject, a pronoun, or a generic noun (التنظيم، البيان، الوزارة، the group, the
  statement) resolves to ``previous_claimant`` only -- never guessed from actor kinds.
* Relay cues (according to, citing, بحسب، وفقاً لـ، نقلاً عن، عبر موقعه، في صحيفة ...) followed by
  an actor name within a few tokens become `Relay`s ("loose" cues such as according to / بحسب
  reach six tokens, the others -- عبر، through, in a post on, published/carried by, نشرته --
  need the source next to them). Without any reporting verb, a sentence whose only attribution
  is "بحسب X" / "according to X" has X as claimant instead (a new name up to the comma when X
  is not a known actor). A cue directly followed by a verb ("حسبما أفادت X") leaves X the subject.
* Citations: a named speaker that cites someone ("Reuters, citing two security sources",
  "ذكرت الوكالة، نقلاً عن المرصد", "نقلت رويترز عن مصدر") becomes the first relay and the cited
  source (or an anonymous one) the claimant. ", SANA reported." after the clause is a relay too.
* Anonymous: unnamed officials/sources/residents/accounts, also with their employer named
  ("an SDF official who declined to be named", "قائد ميداني في قسد"); a title followed by a name
  in apposition gives that name ("المتحدث باسم الوزارة، عمار الخطيب،").
* Stance: ", denying ..." / "، نافياً" after an asserting verb denies; ISIS or its own outlets
  (Amaq, al-Naba, Saha al-Wagha) asserting an attack claim responsibility for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from claims.extraction.arabic import normalise

__all__ = [
    "ActorIndex",
    "ActorName",
    "Attribution",
    "Mention",
    "Relay",
    "Sentence",
    "find_attribution",
    "fold_with_map",
    "split_sentences",
]

# ---------------------------------------------------------------------------------------------
# Folding with an offset map, tokens and a token trie (shared with places.py)
# ---------------------------------------------------------------------------------------------

_FOLD_CACHE: dict[str, str] = {}


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold `text` like `normalise` and return, for each folded character, its original index.

    Whitespace becomes single spaces (not collapsed); the map has one extra entry, len(text).
    """
    out: list[str] = []
    index: list[int] = []
    cache = _FOLD_CACHE
    for i, ch in enumerate(text):
        folded = cache.get(ch)
        if folded is None:
            folded = " " if ch.isspace() else normalise(ch)
            cache[ch] = folded
        if not folded:
            continue
        out.append(folded)
        if len(folded) == 1:
            index.append(i)
        else:
            index.extend([i] * len(folded))
    index.append(len(text))
    return "".join(out), index


_WORD = re.compile(r"\w+")
# What may sit between two tokens of one name: spaces, quotes, hyphens.
_JOIN_GAP = frozenset(" \"'“”«»‘’„‟‹›-–‐‑")
# Latin renderings of the Arabic article: "ez-Zor", "al-Zor", "el-Zor" all fold to "al".
_ARTICLES_ALWAYS = frozenset({"al", "el", "ez", "az", "ash", "esh", "adh", "ath"})
_ARTICLES_HYPHEN = frozenset({"ad", "ar", "as", "at", "an", "ed", "er", "es", "et", "en", "ul"})
_CLITICS = frozenset("وفبلك")
# Particles that are written both apart and joined: "البو كمال" / "البوكمال".
_JOIN_PARTICLES = frozenset({"ابو", "البو", "بو", "ام", "ابن", "بن", "بني", "عبد"})


class Tok(NamedTuple):
    """One folded word token with its span in the original text."""

    norm: str
    start: int
    end: int
    joined: bool  # only spaces/quotes/hyphens separate it from the previous token


def is_arabic(word: str) -> bool:
    return bool(word) and "\u0600" <= word[0] <= "\u06ff"


def tokenise(text: str) -> list[Tok]:
    folded, index = fold_with_map(text)
    toks: list[Tok] = []
    prev_end = -1
    for m in _WORD.finditer(folded):
        s, e = m.span()
        word = m.group()
        if word in _ARTICLES_ALWAYS or (word in _ARTICLES_HYPHEN and folded[e : e + 1] == "-"):
            word = "al"
        gap = folded[prev_end:s]
        if gap[:1] == "." and toks and len(toks[-1].norm) == 1 and toks[-1].norm.isascii():
            gap = gap[1:]  # "U.S. Central Command": the dot of an initial joins the name
        joined = prev_end >= 0 and all(c in _JOIN_GAP for c in gap)
        end = index[e - 1] + 1
        while end < len(text) and not text[end].isspace() and not _FOLD_CACHE.get(text[end], "x"):
            end += 1  # trailing diacritics belong to the word
        toks.append(Tok(word, index[s], end, joined))
        prev_end = e
    return toks


def _prefix_variants(word: str) -> Iterator[tuple[str, int]]:
    """The word without Arabic clitics: (rest, number of folded characters removed)."""
    if not is_arabic(word):
        return
    stems: list[tuple[str, int]] = [(word, 0)]
    if word[0] in "وف" and len(word) > 3:
        stems.append((word[1:], 1))
        yield word[1:], 1
    for stem, k in stems:
        if len(stem) > 3 and stem[0] in "بلك":
            yield stem[1:], k + 1
            if stem.startswith("لل"):
                yield "ا" + stem[1:], k + 1  # ل + الـ: "للتنظيم" is "ل" + "التنظيم"


T = TypeVar("T")


class _Node(Generic[T]):
    __slots__ = ("children", "payloads")

    def __init__(self) -> None:
        self.children: dict[str, _Node[T]] = {}
        self.payloads: list[T] = []


class Hit(NamedTuple, Generic[T]):
    first: int  # token index
    last: int  # token index (inclusive)
    skip: int  # folded clitic characters removed from the first token
    start: int  # original offsets, clitics excluded
    end: int
    payload: T
    alternatives: tuple[T, ...]  # every acceptable payload registered under the same name


class NameTrie(Generic[T]):
    """Longest-match, non-overlapping phrase matcher over folded tokens."""

    def __init__(self) -> None:
        self._root: _Node[T] = _Node()

    @staticmethod
    def key(name: str) -> tuple[str, ...]:
        return tuple(t.norm for t in tokenise(name))

    def add(self, name: str, payload: T) -> None:
        key = self.key(name)
        if not key:
            return
        keys = [key]
        if len(key) > 1 and all(is_arabic(k) for k in key) and len(key) <= 3:
            keys.append(("".join(key),))  # "البو كمال" also matches "البوكمال"
        for k in keys:
            node = self._root
            for part in k:
                node = node.children.setdefault(part, _Node())
            if payload not in node.payloads:
                node.payloads.append(payload)

    def _starts(self, toks: Sequence[Tok], i: int) -> Iterator[tuple[str, int, int]]:
        word = toks[i].norm
        yield word, 0, i + 1
        yield from ((rest, k, i + 1) for rest, k in _prefix_variants(word))
        # "وتل أبيض": a conjunction on a short first word of a multi-word name (the hit must
        # then span more than this word, see `find`).
        if len(word) == 3 and word[0] in "وف" and i + 1 < len(toks) and toks[i + 1].joined:
            yield word[1:], 1, i + 1
        if i + 1 < len(toks) and toks[i + 1].joined and word in _JOIN_PARTICLES:
            yield word + toks[i + 1].norm, 0, i + 2

    def find(
        self,
        toks: Sequence[Tok],
        text: str,
        accept: Callable[[T, int, int, int], bool] | None = None,
    ) -> list[Hit[T]]:
        """All hits, left to right; at each position the longest acceptable one wins."""
        hits: list[Hit[T]] = []
        n = len(toks)
        root = self._root.children
        i = 0
        while i < n:
            best: tuple[int, int, int, list[T]] | None = None  # (last, -skip, skip, payloads)
            for first, skip, j in self._starts(toks, i):
                node = root.get(first)
                last = j - 1
                while node is not None:
                    short = skip and len(toks[i].norm) == 3 and last == i
                    if (
                        node.payloads
                        and not short
                        and (best is None or (last, -skip) > (best[0], best[1]))
                    ):
                        ok = [
                            p for p in node.payloads if accept is None or accept(p, i, last, skip)
                        ]
                        if ok:
                            best = (last, -skip, skip, ok)
                    if j >= n or not toks[j].joined:
                        break
                    child = node.children.get(toks[j].norm)
                    step = 1
                    if (
                        child is None
                        and len(toks[j].norm) == 1
                        and toks[j].norm in _CLITICS
                        and j + 1 < n
                        and toks[j + 1].joined
                    ):
                        child = node.children.get(toks[j].norm + toks[j + 1].norm)
                        step = 2
                    node = child
                    j += step
                    last = j - 1
            if best is None:
                i += 1
                continue
            last, _, skip, payloads = best
            start = _skip_chars(text, toks[i].start, skip)
            hits.append(Hit(i, last, skip, start, toks[last].end, payloads[0], tuple(payloads)))
            i = last + 1
        return hits


def _skip_chars(text: str, start: int, folded_chars: int) -> int:
    """Original offset after `folded_chars` folded characters from `start` (skips diacritics)."""
    pos = start
    while folded_chars > 0 and pos < len(text):
        if normalise(text[pos]):
            folded_chars -= 1
        pos += 1
    while pos < len(text) and not normalise(text[pos]) and not text[pos].isspace():
        pos += 1  # diacritics/tatweel that belonged to the clitic
    return pos


# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offsets into the input
    end: int


# Non-nested quotations on one line; an unbalanced quote mark protects nothing.
QUOTE_SPAN = re.compile(r"“[^“”\n]{0,600}”|”[^“”\n]{0,600}”|«[^«»\n]{0,600}»|\"[^\"\n]{0,600}\"")
_BOUNDARY = re.compile(r"[.!?؟؛\n]+")
_CLOSERS = "\"'”’»)]}"
_ABBREVIATIONS = frozenset(
    {
        "adm", "gen", "dr", "mr", "mrs", "ms", "no", "nos", "st", "lt", "col", "maj", "sgt",
        "capt", "cpt", "cmdr", "gov", "sen", "rep", "rev", "prof", "jr", "sr", "inc", "co",
        "corp", "ltd", "vs", "etc", "approx", "dept", "est", "fig", "jan", "feb", "mar", "apr",
        "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "pres",
    }
)  # fmt: skip
_ABBREV_TAIL = re.compile(r"(?:\b[A-Za-z]\.)*\b([A-Za-z]+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    m = _ABBREV_TAIL.search(text, max(0, dot - 20), dot)
    if m is None:
        return False
    word = m.group(1)
    return len(word) == 1 or word.lower() in _ABBREVIATIONS


def split_sentences(text: str) -> list[Sentence]:
    """Split on . ! ? ؟ ؛ and line breaks, keeping quotations, numbers and abbreviations whole."""
    protected = [m.span() for m in QUOTE_SPAN.finditer(text)]
    cuts: list[int] = []
    q = 0
    for m in _BOUNDARY.finditer(text):
        s, e = m.span()
        while q < len(protected) and protected[q][1] <= s:
            q += 1
        if q < len(protected) and protected[q][0] < s < protected[q][1] and "\n" not in m.group():
            continue
        if m.group() == ".":
            before = text[s - 1 : s]
            after = text[e : e + 1]
            if before.isdigit() and after.isdigit():
                continue  # 1.5
            if _is_abbreviation(text, s) and not (after == "" or after == "\n"):
                continue  # U.S., Adm.
        while e < len(text) and text[e] in _CLOSERS:
            e += 1
        cuts.append(e)
    sentences: list[Sentence] = []
    begin = 0
    for cut in [*cuts, len(text)]:
        seg_start, seg_end = begin, cut
        while seg_start < seg_end and text[seg_start].isspace():
            seg_start += 1
        while seg_end > seg_start and text[seg_end - 1].isspace():
            seg_end -= 1
        if seg_end > seg_start:
            sentences.append(Sentence(text[seg_start:seg_end], seg_start, seg_end))
        begin = max(begin, cut)
    return sentences


# ---------------------------------------------------------------------------------------------
# Actors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActorName:
    actor_id: int | None
    name: str
    aliases: tuple[str, ...] = ()  # name + aliases in both scripts


@dataclass(frozen=True)
class Mention:
    actor_id: int | None  # None: an unknown name the caller may propose as a new actor
    name: str  # canonical actor name (or the name as written when unknown)
    text: str  # as written
    start: int
    end: int


class _ActorEntry(NamedTuple):
    actor_id: int | None
    name: str
    exact: str | None  # alias that must match case-sensitively (short Latin acronyms)


_ACRONYM = re.compile(r"[A-Za-z]{1,5}")
_NON_WORD = re.compile(r"\W+")


# English demonyms and their country: "Syrian Interior Ministry" is also written
# "Syria's Interior Ministry", "Turkish Defence Ministry" "Turkey's Defence Ministry".
_DEMONYMS = {
    "Syrian": "Syria", "Turkish": "Turkey", "Israeli": "Israel", "Iranian": "Iran",
    "Russian": "Russia", "Iraqi": "Iraq", "Lebanese": "Lebanon", "Jordanian": "Jordan",
    "American": "America", "British": "Britain", "French": "France", "Egyptian": "Egypt",
    "Saudi": "Saudi Arabia", "Qatari": "Qatar", "Kurdish": "Kurdistan",
}  # fmt: skip


_MINISTRY_OF = re.compile(r"(?:(?P<pre>.*?)\s+)?Ministry\s+of\s+(?:the\s+)?(?P<field>[A-Z][\w ]*)$")
_FIELD_MINISTRY = re.compile(r"(?:(?P<pre>.*?)\s+)?(?P<field>[A-Z][\w]*)\s+Ministry$")


def _ministry_variants(alias: str) -> list[str]:
    """ "Ministry of Interior" is also written "Interior Ministry", and the other way round."""
    m = _MINISTRY_OF.fullmatch(alias)
    if m:
        pre = f"{m.group('pre')} " if m.group("pre") else ""
        return [f"{pre}{m.group('field')} Ministry"]
    m = _FIELD_MINISTRY.fullmatch(alias)
    if m:
        pre = f"{m.group('pre')} " if m.group("pre") else ""
        return [f"{pre}Ministry of {m.group('field')}"]
    return []


def _with_possessives(aliases: Sequence[str]) -> list[str]:
    out = list(aliases)
    for alias in list(aliases):
        for variant in _ministry_variants(alias.strip()):
            if variant not in out:
                out.append(variant)
    for alias in list(out):
        first, _, rest = alias.strip().partition(" ")
        country = _DEMONYMS.get(first)
        if country and rest and rest[:1].isupper():
            variant = f"{country}'s {rest}"  # "’" folds to the same key
            if variant not in out:
                out.append(variant)
    return out


class ActorIndex:
    """Built once per ingest from the actors in the database; `find` is a trie walk."""

    def __init__(self, actors: Sequence[ActorName]) -> None:
        self._trie: NameTrie[_ActorEntry] = NameTrie()
        for actor in actors:
            for alias in _with_possessives((actor.name, *actor.aliases)):
                alias = alias.strip()
                if not alias:
                    continue
                exact = (
                    alias
                    if _ACRONYM.fullmatch(alias) and sum(c.isupper() for c in alias) >= 2
                    else None
                )
                self._trie.add(alias, _ActorEntry(actor.actor_id, actor.name, exact))

    def hits(self, text: str, toks: Sequence[Tok] | None = None) -> list[Hit[_ActorEntry]]:
        toks = tokenise(text) if toks is None else toks

        def accept(entry: _ActorEntry, first: int, last: int, skip: int) -> bool:
            if entry.exact is None:
                return True
            written = text[toks[first].start : toks[last].end]
            return _NON_WORD.sub("", written) == _NON_WORD.sub("", entry.exact)

        return self._trie.find(toks, text, accept)

    def find(self, text: str) -> list[Mention]:
        return [_mention(text, h) for h in self.hits(text)]


def _mention(text: str, hit: Hit[_ActorEntry], shift: int = 0) -> Mention:
    entry = hit.payload
    return Mention(
        entry.actor_id, entry.name, text[hit.start : hit.end], hit.start + shift, hit.end + shift
    )


# ---------------------------------------------------------------------------------------------
# Verbs, cues and attribution
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Relay:
    cue: str  # as written
    source: Mention
    start: int
    end: int


@dataclass(frozen=True)
class Attribution:
    verb: str  # as written
    verb_start: int
    verb_end: int
    stance: str  # asserts | denies | claims_responsibility | admits
    claimant: Mention | None
    anonymous: bool
    relays: tuple[Relay, ...]
    content_start: int


ASSERTS, DENIES, CLAIMS, ADMITS = "asserts", "denies", "claims_responsibility", "admits"


def _forms(stance: str, *words: str) -> dict[str, str]:
    return {normalise(w): stance for w in words}


# Arabic past (m/f/pl/dual) and present forms, as folded; و/ف are stripped before lookup.
_AR_VERBS: dict[str, str] = {
    **_forms(ASSERTS, "قال", "قالت", "قالوا", "قالا", "يقول", "تقول", "يقولون"),
    **_forms(ASSERTS, "أعلن", "أعلنت", "أعلنوا", "أعلنا", "يعلن", "تعلن"),
    **_forms(ASSERTS, "أفاد", "أفادت", "أفادوا", "يفيد", "تفيد"),
    **_forms(ASSERTS, "أكد", "أكدت", "أكدوا", "أكدا", "يؤكد", "تؤكد"),
    **_forms(ASSERTS, "أشار", "أشارت", "أشاروا", "يشير", "تشير"),
    **_forms(ASSERTS, "ذكر", "ذكرت", "ذكروا", "يذكر", "تذكر"),
    **_forms(ASSERTS, "أوضح", "أوضحت", "أوضحوا", "يوضح", "توضح"),
    **_forms(ASSERTS, "كشف", "كشفت", "كشفوا", "يكشف", "تكشف"),
    **_forms(ASSERTS, "زعم", "زعمت", "زعموا", "يزعم", "تزعم"),
    **_forms(ASSERTS, "ادعى", "ادعت", "ادعوا"),
    **_forms(ASSERTS, "صرح", "صرحت", "صرحوا", "يصرح", "تصرح"),
    **_forms(ASSERTS, "أضاف", "أضافت", "أضافوا", "يضيف", "تضيف"),
    **_forms(ASSERTS, "أورد", "أوردت", "نشرت", "بث", "بثت"),
    **_forms(ASSERTS, "أشاد", "أشادت", "أشادوا", "يشيد", "تشيد"),
    # Monitors report by documenting: "وثّق المرصد مقتل ...".
    **_forms(ASSERTS, "وثق", "وثقت", "وثقوا", "يوثق", "توثق"),
    # "نقلت X عن Y": X relays what Y said (see `_citing_source`).
    **_forms(ASSERTS, "نقل", "نقلت", "نقلوا", "ينقل", "تنقل"),
    **_forms(DENIES, "نفى", "نفت", "نفوا", "ينفي", "تنفي"),
    **_forms(CLAIMS, "تبنى", "تبنت", "تبنوا", "يتبنى", "تتبنى"),
    **_forms(ADMITS, "أقر", "أقرت", "أقروا", "يقر", "تقر"),
    **_forms(ADMITS, "اعترف", "اعترفت", "اعترفوا", "يعترف", "تعترف"),
    # Monitors estimate: "قدّرت الشبكة عدد القتلى بـ…" ("قدر" alone is also a noun: weak below).
    **_forms(ASSERTS, "قدرت", "قدروا"),
}
# Verbs that only report when they open the sentence ("قدّم X أرقاماً", "X presented figures").
_AR_WEAK: dict[str, str] = _forms(ASSERTS, "قدم", "قدمت", "أصدر", "أصدرت", "نشر", "قدر")
_EN_VERBS: dict[str, str] = {
    **_forms(ASSERTS, "said", "says", "say", "announced", "announces", "stated", "states"),
    **_forms(ASSERTS, "declared", "added", "adds", "reported", "reports", "claimed", "claims"),
    **_forms(ASSERTS, "confirmed", "confirms", "affirmed", "affirms", "told", "noted", "wrote"),
    **_forms(ASSERTS, "alleged", "alleges", "revealed", "disclosed", "insisted", "warned"),
    **_forms(ASSERTS, "praised", "praises", "documented", "documents"),
    **_forms(DENIES, "denied", "denies", "deny", "rejected"),
    **_forms(ADMITS, "admitted", "admits", "acknowledged", "acknowledges", "conceded"),
}
_EN_WEAK: dict[str, str] = _forms(ASSERTS, "presented", "published", "released")
_EN_RESPONSIBILITY_VERBS = frozenset(
    {"claimed", "claims", "claim", "took", "takes", "take", "accepted", "assumed"}
)
_AR_ANNOUNCE = frozenset(normalise(w) for w in ("أعلن", "أعلنت", "أعلنوا", "يعلن", "تعلن"))
_AR_POINT = frozenset(normalise(w) for w in ("أشار", "أشارت", "أشاروا", "يشير", "تشير"))

# Relay cues as folded token sequences: (tokens, also a reporting verb?)
_RELAY_CUES_RAW: tuple[str, ...] = (
    "بحسب", "حسب", "حسبما", "وفقا", "وفق", "طبقا", "استنادا", "نقلا عن", "نقلا", "كما نقلت",
    "كما نقل", "كما ذكرت", "كما ذكر", "كما أوردت", "كما أفادت", "في تصريح", "في تصريحات",
    "في تصريحه", "في حديث", "في حديثه", "في مقابلة", "في مقابلته", "في صحيفة", "في موقع",
    "في وكالة", "في قناة", "في منشور", "في تدوينة", "في تغريدة", "في مجلة", "عبر", "على موقع",
    "على موقعه", "على حسابه", "على منصة",
    "according to", "citing", "cited by", "quoted by", "reported by", "as reported by",
    "in a statement to", "in an interview with", "told", "via", "in a post on", "on its website",
    "on its channel", "writing in", "quoting", "published by", "carried by", "broadcast by",
    "aired by", "through", "in its", "نشرته", "نشرتها", "بثته", "بثتها", "أوردته", "أوردتها",
    "نقلته", "نقلتها",
)  # fmt: skip
_RELAY_CUES: dict[tuple[str, ...], str] = {NameTrie.key(c): c for c in _RELAY_CUES_RAW}
_CUE_FIRST = {k[0] for k in _RELAY_CUES}
# Cues that, with no reporting verb in the sentence, name the claimant itself.
_CLAIMANT_CUES = frozenset(
    NameTrie.key(c)
    for c in ("بحسب", "حسب", "وفقا", "وفق", "طبقا", "استنادا", "according to", "citing")
)
_RELAY_REACH = 6  # tokens after a cue within which its source must start
# Cues that introduce a source loosely ("according to a statement on its website, X"); every
# other cue ("عبر", "through", "in a post on", "published by") must be followed by the source
# itself, at most one word later, or "عبر الحدود في جنوب سوريا" would make Syria a relay.
_LOOSE_CUES = frozenset(
    NameTrie.key(c)
    for c in (
        "بحسب", "حسب", "حسبما", "وفقا", "وفق", "طبقا", "استنادا", "نقلا عن", "نقلا",
        "according to", "citing", "quoting", "cited by", "quoted by", "reported by",
        "as reported by",
    )
)  # fmt: skip
_TIGHT_REACH = 2
_OUTLET_DESCRIPTORS = frozenset(
    {
        "state", "official", "news", "agency", "outlet", "broadcaster", "television", "tv",
        "channel", "newspaper", "daily", "website", "the", "its", "pro", "government", "run",
    }
)  # fmt: skip
# Cues whose source is the originator and whose speaker only relays it: "Reuters, citing two
# security sources, reported" / "قالت الجزيرة نقلاً عن مصادر محلية" (claimant: the sources).
_CITING_CUES = frozenset(NameTrie.key(c) for c in ("citing", "quoting", "نقلا عن", "نقلا"))
# Verbs whose subject relays: "نقلت رويترز عن مصدر أمني" (claimant: the source after عن).
_AR_RELAY_VERBS = frozenset(normalise(w) for w in ("نقل", "نقلت", "نقلوا", "ينقل", "تنقل"))

_ANONYMOUS = frozenset(
    normalise(w)
    for w in (
        "مصادر", "مصدر", "المصادر", "المصدر", "مسؤولون", "مسؤول", "مسؤولين", "ناشطون", "ناشطين",
        "شهود", "سكان", "أهالي", "مراسل", "حسابات", "قيادي", "sources", "source", "officials",
        "official", "witnesses", "residents", "activists", "insiders", "diplomats", "diplomat",
        "authorities", "accounts",
    )
)  # fmt: skip
_ANAPHORIC = frozenset(
    normalise(w)
    for w in (
        "التنظيم", "الجماعة", "الحركة", "الوزارة", "البيان", "القيادة", "الجيش", "الحكومة",
        "الفصيل", "الهيئة", "المرصد", "الوكالة", "الصحيفة", "هو", "هي", "هم",
        "الشبكة", "المنظمة", "المكتب", "المجلس", "التحالف", "اللجنة", "القناة",
        "he", "she", "they", "it", "we", "group", "statement", "ministry", "organisation",
        "organization", "army", "military", "agency", "command",
        "monitor", "observatory", "network", "council", "committee", "office", "coalition",
        "movement", "militia", "channel", "outlet",
    )
)  # fmt: skip
_FUNCTION = frozenset(
    normalise(w)
    for w in (
        "في", "من", "على", "إلى", "الى", "عن", "مع", "منذ", "خلال", "بعد", "قبل", "يوم", "أمس",
        "اليوم", "لها", "له", "لهم", "أيضا", "كذلك", "حينها", "بدوره", "بدورها", "ان", "أن",
        "the", "on", "in", "at", "also", "later", "earlier", "that", "this", "al",
    )
)  # fmt: skip
_AR_CONTENT = frozenset(
    normalise(p + w + suffix)
    for p in ("", "ب")
    for w in ("أن", "إن")
    for suffix in ("", "ه", "ها", "هم", "هما", "هن")
) | frozenset({normalise("لأن")})  # "أنه"، "إنها"، "بأنهم": the marker with its pronoun
_NOT_CONTENT_BEFORE_AN = frozenset(
    normalise(w)
    for w in ("صادر", "صادرة", "الصادر", "الصادرة", "نقلا", "نقل", "بيانا", "الكشف", "الإفصاح")
)  # "فضّل عدم الكشف عن اسمه": a masdar's own عن, not the statement's
_EN_ANAPHOR_HEADS = frozenset({"the", "its", "their"})
_EN_NAME_BEFORE = re.compile(
    r"(?:\b[Tt]he\s+)?((?:[A-Z][\w'’.-]*\s+(?:(?:of|for|the|in|and)\s+){0,2}){0,4}[A-Z][\w'’-]+)"
    r"\s*(?:,[^,]{1,60})?,?\s*$"
)  # "Ahmed Ali said", "Ahmed Ali, a spokesman, said", "A lawyer, Omar Kassab, told",
# "The Committee for Missing Persons in Raqqa said" (a new body, connectors inside its name)
_EN_APPOSITIVE = re.compile(r"\s*,[^,]{1,100},\s*")
# After a verb, a capitalised name of two to four words ending the clause (VS order).
_EN_NAME_AFTER = re.compile(r"\s+((?:[A-Z][\w'’-]+\s+){1,3}[A-Z][\w'’-]+)(?=\s*(?:[,.;]|$))")
_EN_OF_EMPLOYER = re.compile(r"\s+(?:of|at|from|with)\s+(?:the\s+)?")
_EN_CALENDAR = frozenset(
    {
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
        "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept",
        "Oct", "Nov", "Dec",
    }
)  # fmt: skip
_EN_ANONYMITY = frozenset({"named", "identified"})  # "declined to be named", "not identified"
_EN_NAME_STOP = frozenset(
    {
        "The", "He", "She", "It", "They", "We", "I", "A", "An", "This", "That", "But", "And",
        "Officials", "Sources", "Witnesses", "Residents", "In", "On", "Later", "Earlier",
    }
)  # fmt: skip
_AR_APPOSITION = re.compile(r"[،,]\s*([^،,:«»“”\"()]{3,40}?)\s*[،,]")
_TITLE_TOKENS = frozenset(
    normalise(w)
    for w in ("الأدميرال", "الجنرال", "العميد", "العقيد", "اللواء", "الدكتور", "السيد", "الشيخ")
)


def _verb_at(toks: Sequence[Tok], i: int) -> tuple[str, bool] | None:
    """(stance, strong) when token i is a reporting verb."""
    word = toks[i].norm
    if is_arabic(word):
        if i > 0 and toks[i - 1].norm in _MASDAR_BEFORE:
            return None  # "طلب عدم ذكر اسمه": a verbal noun, not a reporting verb
        stance = _AR_VERBS.get(word)
        if stance is None and word[0] in "وف" and len(word) > 3:
            stance = _AR_VERBS.get(word[1:])
        if stance is not None:
            return stance, True
        weak = _AR_WEAK.get(word) or (
            _AR_WEAK.get(word[1:]) if word[0] in "وف" and len(word) > 3 else None
        )
        return (weak, False) if weak else None
    if (
        word in _EN_RESPONSIBILITY_VERBS
        and toks[i + 1 : i + 2]
        and toks[i + 1].norm == "responsibility"
    ):
        return CLAIMS, True
    if word in _EN_VERBS:
        return _EN_VERBS[word], True
    if word in _EN_WEAK:
        return _EN_WEAK[word], False
    return None


# Words after which a verb form is read as its verbal noun ("عدم ذكر", "دون ذكر").
_MASDAR_BEFORE = frozenset(normalise(w) for w in ("عدم", "دون", "بدون", "بعدم"))

# Stands for "the previous sentence's claimant" inside the subject finders.
_PREVIOUS = Mention(None, "<previous>", "", -1, -1)


class _Cue(NamedTuple):
    first: int
    last: int
    text: str


def _find_cues(toks: Sequence[Tok], text: str) -> list[_Cue]:
    cues: list[_Cue] = []
    i = 0
    while i < len(toks):
        word = toks[i].norm
        if word in _CUE_FIRST or (word[:1] == "و" and word[1:] in _CUE_FIRST):
            found = None
            for length in (4, 3, 2, 1):
                key = tuple(t.norm for t in toks[i : i + length])
                if len(key) < length:
                    continue
                if key[0] not in _CUE_FIRST:
                    key = (key[0][1:], *key[1:])
                if key in _RELAY_CUES:
                    found = length
                    break
            # "كما نقلت" is a relay mid-sentence, "كما أشار" at the start means "also said".
            if found and not (toks[i].norm == "كما" and i == 0):
                last = i + found - 1
                cues.append(_Cue(i, last, text[toks[i].start : toks[last].end]))
                i = last + 1
                continue
        i += 1
    return cues


def _inside(spans: Sequence[tuple[int, int]], pos: int) -> bool:
    return any(s <= pos < e for s, e in spans)


def _quoted(spans: Sequence[tuple[int, int]], hit: Hit[_ActorEntry]) -> bool:
    """Inside a quotation, unless the quotation is just the name (“سنتكوم”)."""
    return any(
        s <= hit.start < e and not (hit.start <= s + 2 and hit.end >= e - 2) for s, e in spans
    )


def find_attribution(
    sentence: Sentence, *, actors: ActorIndex, previous_claimant: Mention | None = None
) -> Attribution | None:
    """Who is reported as saying what in one sentence; offsets refer to the whole input."""
    text = sentence.text
    shift = sentence.start
    toks = tokenise(text)
    if not toks:
        return None
    hits = actors.hits(text, toks)
    quotes = [m.span() for m in QUOTE_SPAN.finditer(text)]
    cues = _find_cues(toks, text)
    cue_tokens = {j for c in cues for j in range(c.first, c.last + 1) if c.text.lower() != "told"}

    # Relays: the first actor after each cue, within reach.
    relay_hits: dict[int, tuple[_Cue, Hit[_ActorEntry]]] = {}
    for cue in cues:
        reach = _RELAY_REACH if _cue_key(toks, cue) in _LOOSE_CUES else _TIGHT_REACH
        # "told state news agency SANA", "carried by the official news agency SANA": the
        # outlet's description between the cue and its name does not count against the reach.
        d = cue.last + 1
        while d < len(toks) and toks[d].norm in _OUTLET_DESCRIPTORS:
            d += 1
            reach += 1
        for k, hit in enumerate(hits):
            if cue.first <= hit.first <= cue.last + reach and k not in relay_hits:
                # "نقلاً عن مصدر في وزارة الداخلية", "according to residents quoted by X":
                # a name after an unnamed source is its employer or a later relay, not the
                # source of this cue.
                if _anonymous_between(toks, cue.last + 1, hit.first):
                    break
                if not _inside(quotes, toks[cue.first].start):
                    relay_hits[k] = (cue, hit)
                break

    # The reporting verb: first strong verb outside quotes and cues, else a sentence-initial weak.
    verb_idx = -1
    stance = ASSERTS
    for i in range(len(toks)):
        if i in cue_tokens or _inside(quotes, toks[i].start):
            continue
        found = _verb_at(toks, i)
        if found is None:
            continue
        verb_stance, strong = found
        initial = i == 0 or (i == 1 and toks[0].norm in {"كما", "وكما", "ثم"})
        if strong or initial:
            verb_idx, stance = i, verb_stance
            break
    # "حسبما أفادت الشبكة السورية": the name after "cue + verb" is the verb's subject.
    for k, (cue, _hit) in list(relay_hits.items()):
        if verb_idx >= 0 and verb_idx == cue.last + 1:
            del relay_hits[k]

    def relays(claimant: Mention | None) -> tuple[Relay, ...]:
        out: list[Relay] = []
        for cue, hit in relay_hits.values():
            src = _mention(text, hit, shift)
            if claimant is not None and (src.actor_id, src.name) == (
                claimant.actor_id,
                claimant.name,
            ):
                continue
            start = min(toks[cue.first].start, hit.start) + shift
            out.append(Relay(cue.text, src, start, hit.end + shift))
        return tuple(out)

    relay_idx = set(relay_hits)

    if verb_idx < 0:
        return _cue_only(text, shift, toks, cues, hits, relay_hits)

    vtok = toks[verb_idx]
    verb_end_tok = verb_idx
    arabic = is_arabic(vtok.norm)
    verb_start = vtok.start
    if arabic and vtok.norm not in _AR_VERBS and vtok.norm not in _AR_WEAK:
        verb_start = _skip_chars(text, vtok.start, 1)  # drop the و / ف clitic
    if not arabic and stance == CLAIMS:
        verb_end_tok = verb_idx + 1
    verb_end = toks[verb_end_tok].end

    told: list[Hit[_ActorEntry]] = []
    base = ""
    if arabic:
        base = vtok.norm if vtok.norm in _AR_VERBS or vtok.norm in _AR_WEAK else vtok.norm[1:]
        if base in _AR_ANNOUNCE and any(
            t.norm.startswith(("مسوولي", "المسووليه")) for t in toks[verb_idx + 1 : verb_idx + 7]
        ):
            stance = CLAIMS
        local, anonymous, content = _arabic_subject(
            text, toks, hits, relay_idx, verb_idx, base in _AR_POINT, quotes, told
        )
    else:
        local, anonymous, content = _english_subject(
            text, toks, hits, relay_idx, cue_tokens, verb_idx, verb_end_tok, quotes
        )
    claimant: Mention | None
    if local is _PREVIOUS:
        claimant = previous_claimant
        if claimant is None:
            # "Hezbollah fighters were not present ..., the group said": nothing earlier in the
            # text, so the anaphor refers to the nearest actor before the verb.
            earlier = [
                h for k, h in enumerate(hits)
                if h.last < verb_idx and k not in relay_idx and not _quoted(quotes, h)
            ]  # fmt: skip
            if earlier:
                claimant = _mention(text, earlier[-1], shift)
    elif local is None:
        claimant = None
    else:
        claimant = Mention(
            local.actor_id, local.name, local.text, local.start + shift, local.end + shift
        )
    extra = tuple(
        Relay("لـ", _mention(text, h, shift), h.start - 1 + shift, h.end + shift) for h in told
    )

    # A speaker that relays someone else: "Reuters reported, citing two security sources",
    # "ذكرت الوكالة، نقلاً عن المرصد", "نقلت رويترز عن مصدر أمني". The cited one is the claimant
    # and the speaker becomes the first relay.
    relay_verb = arabic and base in _AR_RELAY_VERBS
    cited = _citing_source(toks, hits, cues, relay_hits, verb_idx, relay_verb)
    if cited is not None and cited[0] is not None and anonymous:
        cited = None  # "قال مصدر عسكري، نقلاً عن رويترز": the outlet carried the source
    if cited is not None:
        source, cited_anonymous, cited_content = cited
        speaker = claimant
        claimant = _mention(text, source, shift) if source is not None else None
        anonymous = cited_anonymous
        if claimant is not None and speaker is not None and claimant.name == speaker.name:
            speaker = None
        if speaker is not None and not (anonymous and speaker is previous_claimant):
            extra = (Relay(text[verb_start:verb_end], speaker, speaker.start, speaker.end), *extra)
        if cited_content >= 0:
            content = max(content, cited_content)
        relay_idx = relay_idx | {k for k, h in enumerate(hits) if h is source}

    # "لشبكة السويداء 24"، "في تصريح لفرات بوست"، "في حديث إلى نورث برس": a recipient outlet
    # that no actor carries is still a relay, named as written.
    if arabic:
        unknown = _unknown_recipients(text, shift, toks, hits, verb_idx, content)
        extra = tuple(
            r for r in extra if not any(u.start <= r.start and r.end <= u.end for u in unknown)
        )
        extra = (*extra, *unknown)

    # ", SANA reported." after the claim: a relay written after the claimant's own clause.
    if not arabic:
        extra = (*extra, *_trailing_relays(text, shift, toks, hits, verb_end_tok, claimant))

    stance = _participle_stance(text, toks, verb_end_tok, stance)
    if stance == ASSERTS and not anonymous and _perpetrator_claim(claimant, toks, content):
        stance = CLAIMS
    if not arabic:
        verb_end_text = toks[verb_idx].end  # "claimed responsibility" is the verb "claimed"
        after = verb_end_tok + 1
        if verb_end_tok > verb_idx and after < len(toks) and toks[after].norm == "for":
            content = max(content, toks[after].end + 1)  # "claimed responsibility for the attack"
    else:
        verb_end_text = verb_end
    seen: set[tuple[int | None, str]] = set()
    all_relays: list[Relay] = []
    for relay in (*relays(claimant), *extra):
        key = (relay.source.actor_id, relay.source.name)
        if key not in seen and not (
            claimant is not None and key == (claimant.actor_id, claimant.name)
        ):
            seen.add(key)
            all_relays.append(relay)
    return Attribution(
        verb=text[verb_start:verb_end_text],
        verb_start=verb_start + shift,
        verb_end=verb_end_text + shift,
        stance=stance,
        claimant=claimant,
        anonymous=anonymous,
        relays=tuple(all_relays),
        content_start=content + shift,
    )


def _cue_key(toks: Sequence[Tok], cue: _Cue) -> tuple[str, ...]:
    key = tuple(t.norm for t in toks[cue.first : cue.last + 1])
    if key and key[0] not in _CUE_FIRST:
        key = (key[0][1:], *key[1:])
    return key


def _anonymous_between(toks: Sequence[Tok], first: int, stop: int) -> bool:
    return any(
        t.norm in _ANONYMOUS or t.norm.removeprefix("ال") in _ANONYMOUS for t in toks[first:stop]
    )


def _anonymous_at(toks: Sequence[Tok], first: int, width: int = 3) -> bool:
    return any(t.norm in _ANONYMOUS for t in toks[first : first + width])


def _citing_source(
    toks: Sequence[Tok],
    hits: Sequence[Hit[_ActorEntry]],
    cues: Sequence[_Cue],
    relay_hits: dict[int, tuple[_Cue, Hit[_ActorEntry]]],
    verb_idx: int,
    relay_verb: bool,
) -> tuple[Hit[_ActorEntry] | None, bool, int] | None:
    """(source actor or None, anonymous, folded-free content offset or -1) of a citation."""
    for cue in cues:
        if _cue_key(toks, cue) not in _CITING_CUES:
            continue
        anonymous = _anonymous_at(toks, cue.last + 1)
        source = next((h for c, h in relay_hits.values() if c is cue), None)
        if anonymous:
            source = None
        if source is not None or anonymous:
            return source, anonymous, -1
    if not relay_verb:
        return None
    n = len(toks)
    for k in range(verb_idx + 1, min(n, verb_idx + 13)):
        if toks[k].norm != "عن" or toks[k - 1].norm in _NOT_CONTENT_BEFORE_AN:
            continue
        anonymous = _anonymous_at(toks, k + 1)
        found = None if anonymous else next((h for h in hits if k < h.first <= k + 2), None)
        if found is None and not anonymous:
            return None
        content = -1
        for m in range(k + 1, min(n, k + 16)):
            if toks[m].norm in _AR_CONTENT:
                content = toks[m].end
                break
        return found, anonymous, content
    return None


_TRAILING_RELAY_VERBS = frozenset({"reported", "reports"})


def _trailing_relays(
    text: str,
    shift: int,
    toks: Sequence[Tok],
    hits: Sequence[Hit[_ActorEntry]],
    verb_end_tok: int,
    claimant: Mention | None,
) -> tuple[Relay, ...]:
    """ "The ministry denied the reports, SANA reported." -> SANA relays the ministry."""
    out: list[Relay] = []
    for hit in hits:
        after = hit.last + 1
        if hit.first <= verb_end_tok + 1 or after >= len(toks):
            continue
        if toks[after].norm not in _TRAILING_RELAY_VERBS:
            continue
        if after + 1 < len(toks) and not re.fullmatch(r"[\s.!?,;:]*", text[toks[after].end :]):
            continue
        gap = text[toks[hit.first - 1].end : hit.start] if hit.first > 0 else ""
        if "," not in gap and not (hit.first > 1 and toks[hit.first - 1].norm == "the"):
            continue
        src = _mention(text, hit, shift)
        if claimant is not None and src.name == claimant.name:
            continue
        out.append(Relay(toks[after].norm, src, src.start, toks[after].end + shift))
    return tuple(out)


_DENY_PARTICIPLES = frozenset(
    normalise(w) for w in ("denying", "rejecting", "dismissing", "نافيا", "نافية", "نافين")
)
_ADMIT_PARTICIPLES = frozenset(
    normalise(w) for w in ("acknowledging", "admitting", "conceding", "مقرا", "مقرة", "معترفا")
)


def _participle_stance(text: str, toks: Sequence[Tok], verb_end_tok: int, stance: str) -> str:
    """ ", denying reports of ..." / "، نافياً" after an asserting verb sets the stance."""
    if stance != ASSERTS:
        return stance
    for k in range(verb_end_tok + 1, len(toks)):
        word = toks[k].norm
        if word not in _DENY_PARTICIPLES and word not in _ADMIT_PARTICIPLES:
            continue
        if not any(c in ",،" for c in text[toks[k - 1].end : toks[k].start]):
            continue
        return DENIES if word in _DENY_PARTICIPLES else ADMITS
    return stance


# The perpetrator group and its own outlets (DESIGN §6, annotation guidelines: "the speaker is
# the perpetrator or its own outlet claiming an attack"), as folded substrings of a name.
_PERPETRATOR_NAMES = tuple(
    normalise(w)
    for w in (
        "islamic state", "isis", "isil", "daesh", "داعش", "الدولة الإسلامية", "تنظيم الدولة",
        "amaq", "a'maq", "أعماق", "al-naba", "النبأ", "saha al-wagha", "ساح الوغى",
    )
)  # fmt: skip
# Word beginnings that describe an attack carried out ("قتلوا", "استهدف", "killed", "ambush").
_ATTACK_STEMS = tuple(
    normalise(w)
    for w in (
        "قتل", "استهدف", "أصاب", "أصيب", "دمر", "فجر", "أسقط", "هاجم", "هجوم", "هجمات", "كمين",
        "اغتال", "أعدم", "ألحق", "نفذ", "مقتل", "killed", "kill", "wounded", "destroyed",
        "targeted", "attack",
        "ambush", "bomb", "detonat", "shot", "down", "execut", "damag", "struck", "seiz",
        "carried", "conducted", "launched", "operation",
    )
)  # fmt: skip


def _perpetrator_claim(claimant: Mention | None, toks: Sequence[Tok], content: int) -> bool:
    """ISIS or one of its outlets asserting an attack claims responsibility for it."""
    if claimant is None:
        return False
    names = (normalise(claimant.name), normalise(claimant.text))
    if not any(p in name for name in names for p in _PERPETRATOR_NAMES) and "is" not in names:
        return False
    for tok in toks:
        if tok.start < content:
            continue
        word = tok.norm[1:] if tok.norm[:1] in "وف" and len(tok.norm) > 3 else tok.norm
        if word.startswith(_ATTACK_STEMS) or tok.norm.startswith(_ATTACK_STEMS):
            return True
    return False


def _cue_only(
    text: str,
    shift: int,
    toks: Sequence[Tok],
    cues: Sequence[_Cue],
    hits: Sequence[Hit[_ActorEntry]],
    relay_hits: dict[int, tuple[_Cue, Hit[_ActorEntry]]],
) -> Attribution | None:
    """No reporting verb: "بحسب X" / "according to X" makes X the claimant."""
    for cue in cues:
        key = tuple(t.norm for t in toks[cue.first : cue.last + 1])
        if key[0] not in _CUE_FIRST:
            key = (key[0][1:], *key[1:])
        if key not in _CLAIMANT_CUES:
            continue
        claimant: Mention | None = None
        for hit_cue, hit in relay_hits.values():
            if hit_cue is cue:
                claimant = _mention(text, hit, shift)
        window = toks[cue.last + 1 : cue.last + 4]
        anonymous = any(t.norm in _ANONYMOUS for t in window)
        if claimant is None and not anonymous:
            claimant = _unknown_after_cue(text, toks, cue, shift)
        if claimant is None and not anonymous:
            continue
        content = 0
        if cue.first <= 1:  # "According to X, ..." : content after the comma
            after = claimant.end - shift if claimant else toks[cue.last].end
            comma = re.compile(r"[,،]\s*").search(text, after)
            content = comma.end() if comma else after
        start, end = toks[cue.first].start, toks[cue.last].end
        if toks[cue.first].norm[:1] in "وف" and toks[cue.first].norm not in _CUE_FIRST:
            start = _skip_chars(text, start, 1)  # "ووفقاً" -> "وفقاً", "وبحسب" -> "بحسب"
        stance = ASSERTS
        if not anonymous and _perpetrator_claim(claimant, toks, content):
            stance = CLAIMS
        # "According to a ministry statement carried by SANA", "according to residents quoted
        # by DeirEzzor24": the other cues' sources relay the claim.
        relays: list[Relay] = []
        for hit_cue, hit in relay_hits.values():
            src = _mention(text, hit, shift)
            if hit_cue is cue or (claimant is not None and src.name == claimant.name):
                continue
            if any(r.source.name == src.name for r in relays):
                continue
            r_start = min(toks[hit_cue.first].start, hit.start) + shift
            relays.append(Relay(hit_cue.text, src, r_start, hit.end + shift))
        return Attribution(
            verb=text[start:end],
            verb_start=start + shift,
            verb_end=end + shift,
            stance=stance,
            claimant=claimant,
            anonymous=anonymous,
            relays=tuple(relays),
            content_start=content + shift,
        )
    return None


_NAME_END = re.compile(r"[,،:(]")


def _unknown_after_cue(text: str, toks: Sequence[Tok], cue: _Cue, shift: int) -> Mention | None:
    """ "بحسب الهلال الأحمر العربي السوري، ..." / "According to Lina Sayegh, ...": a new name
    of two to five words, up to the comma, without function words, digits or dates."""
    if cue.first > 1 or cue.last + 1 >= len(toks):
        return None
    start = toks[cue.last + 1].start
    stop = _NAME_END.search(text, start)
    if stop is None:
        return None
    words = [t for t in toks[cue.last + 1 :] if t.end <= stop.start()]
    if not 2 <= len(words) <= 5 or any(_not_name_word(t.norm) for t in words):
        return None
    if not is_arabic(words[0].norm) and not all(
        text[t.start].isupper() or t.norm == "al" for t in words
    ):
        return None
    name = text[start : words[-1].end]
    return Mention(None, name, name, start + shift, words[-1].end + shift)


_TIME_WORDS = frozenset(
    normalise(w)
    for w in (
        "ليل", "ليلة", "مساء", "صباح", "فجر", "ظهر", "عصر", "يوم", "أمس", "اليوم", "الأحد",
        "الإثنين", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الماضي",
        "بيان", "بيانا", "تصريح", "تصريحات", "حديث", "مقابلة",
        # documents and figures, not speakers: "بحسب الأرقام الرسمية"
        "الأرقام", "أرقام", "الإحصاءات", "إحصاءات", "الإحصائيات", "إحصائيات", "التقديرات",
        "تقديرات", "المعلومات", "معلومات", "التقارير", "تقارير", "تقرير", "البيانات", "المعطيات",
        "الأنباء", "أنباء", "الصور", "الوثائق", "وثائق", "مصادر",
    )
)  # fmt: skip


def _not_name_word(word: str) -> bool:
    return word in _FUNCTION or word in _TIME_WORDS or any(c.isdigit() for c in word)


_APPOSITION_GAP = re.compile(r"[”“\"»)\s]*[،,]\s*(?:\w+\s+){0,2}")


# "لموقع «دير الزور 24»", "لوكالة أسوشيتد برس": لـ on the outlet's kind, then its name.
_OUTLET_NOUNS = frozenset(
    normalise(w)
    for w in (
        "موقع", "وكالة", "صحيفة", "قناة", "شبكة", "مجلة", "إذاعة", "تلفزيون", "منصة", "جريدة",
    )
)  # fmt: skip
# "صحيفة النبأ التابعة لتنظيم الدولة", "المركز الإعلامي لقسد": لـ of belonging, not "told to".
_NOT_RECIPIENT_BEFORE = frozenset(
    normalise(w)
    for w in (
        "التابعة", "التابع", "تابعة", "تابع", "التابعين", "الموالية", "الموالي", "الموالين",
        "المقربة", "المقرب", "الإعلامي", "الإعلامية", "المكتب", "المركز", "الجناح", "الذراع",
    )
)  # fmt: skip


# Outlet kinds written before the outlet's own name and not part of it ("لشبكة السويداء 24" is
# "السويداء 24"); "تلفزيون سوريا", "إذاعة …" keep the noun.
_OUTLET_KIND_DROPPED = frozenset(
    normalise(w) for w in ("موقع", "وكالة", "صحيفة", "قناة", "شبكة", "مجلة", "منصة", "جريدة")
)
_OUTLET_KIND_KEPT = frozenset(normalise(w) for w in ("تلفزيون", "إذاعة", "راديو"))
_AR_INTERVIEW = frozenset(
    normalise(w)
    for w in ("تصريح", "تصريحات", "تصريحه", "تصريحاته", "حديث", "حديثه", "مقابلة", "مقابلته")
)
_RECIPIENT_MAX_WORDS = 3


def _unknown_recipients(
    text: str,
    shift: int,
    toks: Sequence[Tok],
    hits: Sequence[Hit[_ActorEntry]],
    verb_idx: int,
    content: int,
) -> list[Relay]:
    """Arabic recipients between the verb and the content that no actor carries: "لشبكة X"،
    "لتلفزيون X"، "في تصريح لـX"، "في حديث إلى X" (X: up to three words, to a comma or the
    content marker)."""
    covered = {j for h in hits for j in range(h.first, h.last + 1)}
    out: list[Relay] = []
    k = verb_idx + 1
    while k < len(toks) and toks[k].start < content:
        word = toks[k].norm
        first = -1
        skip = 0  # characters of the first token that are not part of the name
        if k in covered:
            pass
        elif word[:1] == "ل" and word[1:] in _OUTLET_KIND_DROPPED:
            first = k + 1
        elif word[:1] == "ل" and (
            word[1:] in _OUTLET_KIND_KEPT
            or (k >= 1 and toks[k - 1].norm in _AR_INTERVIEW and len(word) > 2)
        ):
            first, skip = k, 1
        elif k >= 2 and toks[k - 2].norm in _AR_INTERVIEW and toks[k - 1].norm in ("الي", "لـ"):
            first = k
        elif _bare_recipient(toks, k, verb_idx, covered):
            first, skip = k, 1
        if first < 0:
            k += 1
            continue
        words: list[Tok] = []
        j = first
        while j < len(toks) and toks[j].start < content and len(words) <= _RECIPIENT_MAX_WORDS:
            if words and any(c in ",،(:" for c in text[words[-1].end : toks[j].start]):
                break
            tok = toks[j]
            kept = skip and toks[first].norm[1:] in _OUTLET_KIND_KEPT
            if j in covered and j != first and not kept:
                break
            if tok.norm in _FUNCTION or tok.norm in _AR_CONTENT:
                break
            if tok.norm in _TIME_WORDS or not (is_arabic(tok.norm) or tok.norm.isdigit()):
                break
            words.append(tok)
            j += 1
        if words and len(words) <= _RECIPIENT_MAX_WORDS and first not in covered:
            start = words[0].start + (skip if words[0] is toks[first] else 0)
            name = text[start : words[-1].end].strip(' "“”«»')
            if name and not any(c.isdigit() for c in name[:1]):
                mention = Mention(None, name, name, start + shift, words[-1].end + shift)
                out.append(Relay("لـ", mention, toks[k].start + shift, words[-1].end + shift))
        k = max(j, k + 1)
    return out


# Nouns that take a لـ genitive ("القائد العام لقوات …", "المتحدث الرسمي لحركة …"), so "لـX"
# after them names a body, not a recipient.
_NOT_BARE_RECIPIENT = frozenset(
    normalise(w)
    for w in (
        "قوات", "حركة", "مجلس", "وزارة", "هيئة", "جيش", "لواء", "فصيل", "تنظيم", "جماعة",
        "إدارة", "مديرية", "قيادة", "لجنة", "منظمة", "حزب", "الإدارة", "ذلك", "هذا", "هذه",
    )
)  # fmt: skip


def _bare_recipient(toks: Sequence[Tok], k: int, verb_idx: int, covered: set[int]) -> bool:
    """ "قال المحلل شيار خليل لنورث برس إن": a لـ-word after the speaker, one to three words
    before the content marker, is the outlet the speaker told, even without an outlet noun."""
    word = toks[k].norm
    if k <= verb_idx + 1 or word[:1] != "ل" or len(word) < 4 or word[:2] == "لل":
        return False
    if word[1:] in _NOT_BARE_RECIPIENT or toks[k - 1].norm in _NOT_RECIPIENT_BEFORE:
        return False
    if toks[k - 1].norm.startswith("ال") and k - 1 not in covered:
        return False  # "المفوضية … للأمم المتحدة لشؤون اللاجئين": a body's name goes on
    for j in range(k + 1, min(len(toks), k + _RECIPIENT_MAX_WORDS + 1)):
        if toks[j].norm in _AR_CONTENT:
            return True
        if j in covered or toks[j].norm in _FUNCTION or not is_arabic(toks[j].norm):
            return False
    return False


def _told_to(toks: Sequence[Tok], hit: Hit[_ActorEntry]) -> bool:
    """The name carries the preposition لـ ("لعنب بلدي", "لـ“رويترز”", "لوكالة رويترز")."""
    first = hit.first
    before = toks[first - 1].norm if first > 0 else ""
    if hit.skip and toks[first].norm[hit.skip - 1] == "ل":
        return before not in _NOT_RECIPIENT_BEFORE
    if first > 0 and before == "ل" and toks[first].joined:
        return not (first > 1 and toks[first - 2].norm in _NOT_RECIPIENT_BEFORE)
    return first > 0 and before[:1] == "ل" and before[1:] in _OUTLET_NOUNS


def _arabic_subject(
    text: str,
    toks: Sequence[Tok],
    hits: Sequence[Hit[_ActorEntry]],
    relay_idx: set[int],
    verb_idx: int,
    point_verb: bool,
    quotes: Sequence[tuple[int, int]],
    told_out: list[Hit[_ActorEntry]],
) -> tuple[Mention | None, bool, int]:
    """VSO: claimant between the verb and the content marker; then SVO; then anaphora."""
    n = len(toks)
    marker = -1
    marker_end = -1
    limit = min(n, verb_idx + 26)
    for k in range(verb_idx + 1, limit):
        word = toks[k].norm
        prev = toks[k - 1].norm
        gap = text[toks[k - 1].end : toks[k].start]
        if _verb_at(toks, k) is not None and not _inside(quotes, toks[k].start):
            break  # a second reporting verb starts a new clause
        if ":" in gap or (k == verb_idx + 1 and ("،" in gap or "," in gap)):
            marker, marker_end = k, toks[k].start
            break
        if word in _AR_CONTENT and prev not in _NOT_CONTENT_BEFORE_AN:
            marker, marker_end = k, toks[k].end
            break
        if word == "عن" and prev not in _NOT_CONTENT_BEFORE_AN and k <= verb_idx + 12:
            marker, marker_end = k, toks[k].end
            break
        if point_verb and word == "الي" and k <= verb_idx + 4:
            nxt = toks[k + 1].norm if k + 1 < n else ""
            if nxt in _AR_CONTENT:
                marker, marker_end = k + 1, toks[k + 1].end
            else:
                marker, marker_end = k, toks[k].end
            break
    window_end_tok = marker if marker >= 0 else min(n, verb_idx + 9)
    window_end = toks[window_end_tok].start if window_end_tok < n else len(text)
    verb_end = toks[verb_idx].end
    window = toks[verb_idx + 1 : window_end_tok]

    in_window = [
        (k, h)
        for k, h in enumerate(hits)
        if verb_idx < h.first < window_end_tok and k not in relay_idx and not _quoted(quotes, h)
    ]
    covered = {j for h in hits for j in range(h.first, h.last + 1)}
    anonymous = any(
        (t.norm in _ANONYMOUS or t.norm.removeprefix("ال") in _ANONYMOUS)
        and verb_idx + 1 + j not in covered
        for j, t in enumerate(window[:3])
    ) or _unnamed_commander(toks, covered, verb_idx + 1)
    candidates = [h for _, h in in_window]
    # "قالت مصادر محلية لعنب بلدي": a لـ-name after the subject is the recipient (a relay).
    told = [
        h
        for h in candidates
        if _told_to(toks, h) and (anonymous or h is not candidates[0] or h.first > verb_idx + 1)
    ]
    candidates = [h for h in candidates if h not in told]
    told_out.extend(told)
    claimant: Mention | None = None
    anaphor_end = -1
    if candidates:
        chosen = candidates[0]
        for other in candidates[1:]:
            between = text[chosen.end : other.start]
            if _APPOSITION_GAP.fullmatch(between):
                chosen = other  # apposition: "قائد القيادة ...، الأدميرال براد كوبر،"
                break
        claimant = _mention(text, chosen)
        # "المتحدث باسم وزارة الداخلية، عمار الخطيب،": the spokesman's own name, when given.
        titled = any(
            t.norm in _AR_TITLES for t in toks[max(verb_idx + 1, chosen.first - 2) : chosen.first]
        )
        if titled:
            claimant = _arabic_unknown(text, chosen.end, window_end, anchored=True) or claimant
        if titled or (anonymous and _named_role(window)):
            # "أوضح القيادي في مجلس …، أبو خالد العكيدي،", "قال قائد الأمن الداخلي في محافظة
            # …، العميد أحمد الحمد،": the role's holder, named in apposition, is the speaker.
            named = _arabic_unknown(text, chosen.end, window_end)
            if named is not None:
                claimant, anonymous = named, False
    elif anonymous and _named_role(window):
        named = _arabic_unknown(text, verb_end, window_end)
        if named is not None:
            claimant, anonymous = named, False
    elif not anonymous and (named_body := _quoted_body_name(text, window)) is not None:
        claimant = named_body
    elif not anonymous:
        content_words = [
            t for t in window if t.norm not in _FUNCTION and not _inside(quotes, t.start)
        ]
        head = [h for h in hits if h.last < verb_idx and h.first <= 3 and not _quoted(quotes, h)]
        if not content_words and head:
            claimant = _mention(text, head[0])  # "وأشاد الرئيس ترامب ...، وأضاف، “...”"
        elif not content_words:
            claimant = _PREVIOUS
        elif window[0].norm in _ANAPHORIC:
            claimant = _PREVIOUS
            anaphor_end = window[0].end
        else:
            before = [h for h in hits if h.last < verb_idx and not _quoted(quotes, h)]
            if before:
                claimant = _mention(text, before[-1])  # SVO: "وزير الإعلام، حمزة المصطفى، قال"
            else:
                claimant = (
                    _arabic_unknown(text, verb_end, window_end)
                    or (_PREVIOUS if window[0].norm in _FUNCTION else None)
                    or (_arabic_subject_phrase(text, window, told) if marker >= 0 else None)
                )
    if marker_end >= 0:
        content = marker_end
    elif anaphor_end >= 0:
        content = anaphor_end
    elif claimant is not None and claimant is not _PREVIOUS and claimant.end <= len(text):
        content = claimant.end
    else:
        content = verb_end
    while content < len(text) and text[content] in ' ،,:”“"«»':
        content += 1
    return claimant, anonymous, content


# A generic body noun before its quoted name: "أقرّ فصيل «لواء الجبل»" (the name is the speaker).
_BODY_KIND_NOUNS = frozenset(
    normalise(w) for w in ("فصيل", "تنظيم", "حركة", "جماعة", "مجموعة", "تشكيل", "كتيبة")
)
_QUOTED_NAME = re.compile(r"\s*[«“\"]([^«»“”\"]{3,40})[»”\"]")


def _quoted_body_name(text: str, window: Sequence[Tok]) -> Mention | None:
    if not window or window[0].norm not in _BODY_KIND_NOUNS:
        return None
    m = _QUOTED_NAME.match(text, window[0].end)
    if m is None:
        return None
    words = tokenise(m.group(1))
    if not 1 <= len(words) <= 4 or not all(is_arabic(t.norm) for t in words):
        return None
    name = m.group(1).strip()
    return Mention(None, name, name, m.start(1), m.start(1) + len(name))


def _arabic_unknown(text: str, start: int, end: int, anchored: bool = False) -> Mention | None:
    """An unknown name in apposition: "قال الناطق باسم الجيش، أحمد علي، إن"."""
    if anchored:  # right after the title's body: "المتحدث باسم الوزارة، أحمد علي،"
        while start < len(text) and text[start] in ' ”“"»)':
            start += 1
        m = _AR_APPOSITION.match(text, start, min(len(text), end + 2))
    else:
        m = _AR_APPOSITION.search(text, start, min(len(text), end + 2))
    if m is None:
        return None
    words = [t.norm for t in tokenise(m.group(1))]
    if words and words[0] in _DESCRIPTOR_HEADS and not anchored:
        # "قال الشيخ فرحان الجدعان، أحد وجهاء عشيرة …،": the name is before its description.
        return _arabic_name(text, start, m.start())
    return _arabic_name(text, m.start(1), m.start(1) + len(m.group(1).rstrip()))


# "أحد وجهاء …", "إحدى الناشطات": an apposition that describes the name before it.
_DESCRIPTOR_HEADS = frozenset(normalise(w) for w in ("أحد", "إحدى", "احد", "احدى"))
# Words that show an apposition is a comment, not a name: "طلب عدم ذكر اسمه".
_NOT_IN_NAME = frozenset(
    normalise(w) for w in ("اسمه", "اسمها", "هويته", "هويتها", "عدم", "الكشف", "ذكر")
)


def _arabic_name(text: str, start: int, end: int) -> Mention | None:
    """Two to four name words between `start` and `end`, a leading title (العميد، الشيخ) left
    out: "العميد أحمد الحمد" → "أحمد الحمد"."""
    toks = tokenise(text[start:end])
    while toks and toks[0].norm in _TITLE_TOKENS:
        toks = toks[1:]
    words = [t.norm for t in toks]
    if not 2 <= len(words) <= 4:
        return None
    # only the first word is checked against function words: "علي" (Ali) folds like "على"
    if words[0] in _FUNCTION or any(
        w.isdigit() or not is_arabic(w) or w in _TIME_WORDS or w in _NOT_IN_NAME for w in words
    ):
        return None
    first, last = start + toks[0].start, start + toks[-1].end
    name = text[first:last]
    return Mention(None, name, name, first, last)


# Roles whose holder may be named in apposition: "القيادي في …، <name>،", "قائد …، <name>،".
_NAMED_ROLES = frozenset(normalise(w) for w in ("القيادي", "قيادي", "القائد", "قائد"))


def _named_role(window: Sequence[Tok]) -> bool:
    if not window:
        return False
    word = window[0].norm
    return word in _NAMED_ROLES or word in _AR_TITLES


# Titles whose holder may be named in apposition after the body: "المتحدث باسم X، NAME،".
_AR_TITLES = frozenset(
    normalise(w)
    for w in (
        "المتحدث", "الناطق", "المتحدثة", "الناطقة", "باسم", "مدير", "رئيس", "وزير", "قائد",
        "مندوب", "سفير", "مستشار", "عضو", "محامي",
    )
)  # fmt: skip
_COMMANDER = frozenset(normalise(w) for w in ("قائد", "قادة"))


def _unnamed_commander(toks: Sequence[Tok], covered: set[int], k: int) -> bool:
    """ "قال قائد ميداني في قسد": a commander described, not named, is an anonymous source."""
    if k + 1 >= len(toks) or k in covered or k + 1 in covered:
        return False
    word = toks[k].norm[1:] if toks[k].norm[:1] in "وف" else toks[k].norm
    return (word in _COMMANDER or toks[k].norm in _COMMANDER) and toks[k + 1].norm not in _FUNCTION


def _arabic_subject_phrase(
    text: str, window: Sequence[Tok], told: Sequence[Hit[_ActorEntry]]
) -> Mention | None:
    """The subject between the verb and the content marker is a new name: "وقالت قوى الأمن
    الداخلي إن", "قال الباحث ... سامر الحسيني لـ“عنب بلدي” إن" (up to the recipient)."""
    stop = min((h.start for h in told), default=len(text))
    words: list[Tok] = []
    for tok in window:
        if tok.start >= stop or (
            words and any(c in ",،(" for c in text[words[-1].end : tok.start])
        ):
            break
        if words and tok.norm in _TIME_WORDS:
            # "قالت قوات الأسايش في بيان إنها": the name ends before "في بيان" / "أمس"
            while words and words[-1].norm in _FUNCTION:
                words.pop()
            break
        words.append(tok)
    if not 1 <= len(words) <= 7 or not is_arabic(words[0].norm):
        return None
    if _not_name_word(words[0].norm) or _not_name_word(words[-1].norm):
        return None
    if any(any(c.isdigit() for c in t.norm) or not is_arabic(t.norm) for t in words):
        return None
    name = text[words[0].start : words[-1].end]
    return Mention(None, name, name, words[0].start, words[-1].end)


# Nouns that, after "the"/"its", stand for an earlier-named body: "..., the monitor said".
_EN_BODY_NOUNS = frozenset(
    {
        "monitor", "observatory", "report", "committee", "office", "council", "network",
        "forces", "force", "command", "coalition", "outlet", "organisation", "organization",
        "group", "ministry", "army", "military", "agency", "statement", "spokesman",
        "spokeswoman", "spokesperson", "militia", "body", "watchdog", "department",
    }
)  # fmt: skip
_EN_TRAILING_MIN_WORDS = 3
_EN_TRAILING_MAX_WORDS = 7


def _en_trailing_subject(
    text: str,
    toks: Sequence[Tok],
    hits: Sequence[Hit[_ActorEntry]],
    relay_idx: set[int],
    verb_idx: int,
) -> Mention | None:
    """ "U.S. forces killed five ... on Thursday, the Pentagon said": the reported clause comes
    first and the speaker is exactly what stands between its comma and the verb."""
    verb_start = toks[verb_idx].start
    comma = max(text.rfind(",", 0, verb_start), text.rfind("،", 0, verb_start))
    if comma < 0:
        return None
    span = [k for k in range(verb_idx) if toks[k].start > comma]
    head = [k for k in range(verb_idx) if toks[k].end <= comma]
    if not span or len(span) > _EN_TRAILING_MAX_WORDS or len(head) < _EN_TRAILING_MIN_WORDS:
        return None
    if any(c in '"“”' for c in text[comma:verb_start]):
        return None
    inside = [h for k, h in enumerate(hits) if k not in relay_idx and h.first >= span[0]]
    if inside:
        return _mention(text, inside[0])
    words = [toks[k] for k in span]
    if len(words) == 1 and words[0].norm in {"he", "she", "it", "they", "we"}:
        return _PREVIOUS
    if words[0].norm in _EN_ANAPHOR_HEADS and all(
        w.norm in _EN_BODY_NOUNS or not text[w.start].isupper() for w in words[1:]
    ):
        if words[-1].norm in _EN_BODY_NOUNS:
            return _PREVIOUS  # "the monitor", "the Britain-based monitor", "the report"
        return None
    named = words[1:] if words[0].norm == "the" else words
    if named and all(text[w.start].isupper() or w.norm in {"of", "for", "al"} for w in named):
        start, end = named[0].start, named[-1].end
        return Mention(None, text[start:end], text[start:end], start, end)
    return None


def _english_subject(
    text: str,
    toks: Sequence[Tok],
    hits: Sequence[Hit[_ActorEntry]],
    relay_idx: set[int],
    cue_tokens: set[int],
    verb_idx: int,
    verb_end_tok: int,
    quotes: Sequence[tuple[int, int]],
) -> tuple[Mention | None, bool, int]:
    """SVO ("CENTCOM said"), then VS ("said CENTCOM"), then pronoun -> previous claimant."""
    n = len(toks)
    verb_start = toks[verb_idx].start
    verb_end = toks[verb_end_tok].end
    before_words = [
        t for k, t in enumerate(toks[max(0, verb_idx - 4) : verb_idx], max(0, verb_idx - 4))
        if k not in cue_tokens
    ]  # fmt: skip
    anonymous = any(t.norm in _ANONYMOUS for t in before_words[-3:])
    # The subject phrase back to the previous comma ("Residents of al-Mayadin told"), and
    # anonymity stated in a parenthesis ("A US official, speaking on condition of anonymity,").
    k = verb_idx - 1
    if k >= 0 and any(c in ",;" for c in text[toks[k].end : toks[verb_idx].start]):
        # "X, which relies on sources inside Syria, said": the words before the clause are
        # the subject ("An SDF official, who was there, said" is still anonymous).
        opening = max(text.rfind(",", 0, toks[k].start), text.rfind("،", 0, toks[k].start))
        if opening >= 0:
            head = [t for t in toks[:verb_idx] if t.end <= opening][-3:]
            anonymous = any(t.norm in _ANONYMOUS for t in head)
        k = -1
    while k >= max(0, verb_idx - 6) and not anonymous:
        if toks[k].norm in _ANONYMOUS and k not in cue_tokens:
            anonymous = True
        if any(c in ',;:"“”' for c in text[toks[k - 1].end : toks[k].start]) if k > 0 else True:
            break
        k -= 1
    if not anonymous:
        span = toks[max(0, verb_idx - 8) : verb_idx]
        anonymous = any(
            t.norm == "anonymity"
            or (t.norm in _EN_ANONYMITY and j > 0 and span[j - 1].norm in {"be", "not", "been"})
            for j, t in enumerate(span)
        )
    claimant: Mention | None = None
    prev_word = toks[verb_idx - 1].norm if verb_idx > 0 else ""
    # "The monitor said" points back; "X, a researcher with the monitor, said" does not: a
    # comma between the noun and the verb closes an appositive, whose noun is not the subject.
    pronoun = (
        prev_word in _ANAPHORIC
        and "," not in text[toks[verb_idx - 1].end : verb_start]
        and (
            prev_word in {"he", "she", "they", "it", "we"}
            or (verb_idx > 1 and toks[verb_idx - 2].norm in _EN_ANAPHOR_HEADS)
        )
    )
    before = [
        h
        for k, h in enumerate(hits)
        if h.last < verb_idx and k not in relay_idx and not _quoted(quotes, h)
    ]
    name_before = _EN_NAME_BEFORE.search(text, 0, verb_start)
    if name_before and (
        name_before.group(1).split()[0] in _EN_NAME_STOP
        or any(w.strip(".,") in _EN_CALENDAR for w in name_before.group(1).split())
        or _inside(quotes, name_before.start(1))
        or any(h.start <= name_before.start(1) < h.end for h in hits)
    ):
        name_before = None
    trailing = None if anonymous else _en_trailing_subject(text, toks, hits, relay_idx, verb_idx)
    if trailing is not None:
        claimant = trailing
    elif pronoun and not (before and before[-1].last == verb_idx - 1):
        claimant = _PREVIOUS
    elif before and not _quoted(quotes, before[-1]):
        chosen = before[-1]
        for other in before[:-1]:
            # "Charles Lister, director of ... at the Middle East Institute, said": the head.
            if _EN_APPOSITIVE.fullmatch(text, other.end, verb_start):
                chosen = other
                break
        if len(before) > 1 and chosen is before[-1]:
            # "Charles Lister of the Middle East Institute wrote": the person, not the employer.
            person = before[-2]
            if _EN_OF_EMPLOYER.fullmatch(text, person.end, chosen.start) and re.fullmatch(
                r"[\s,]*", text[chosen.end : verb_start]
            ):
                chosen = person
        claimant = _mention(text, chosen)
        appositive_person = (
            name_before is not None
            and name_before.end(1) <= chosen.start
            and text[name_before.end(1) : chosen.start].lstrip().startswith(",")
            and _EN_APPOSITIVE.fullmatch(text, name_before.end(1), verb_start) is not None
        )  # "Rami Haddadin, a regional director of the Syrian Civil Defence, said": the person
        if (
            name_before is not None
            and (name_before.end(1) > chosen.end or appositive_person)
            and not anonymous
        ):
            # "A lawyer for the detainees, Omar Kassab, told AFP" / "Analyst Samir Haddad said"
            name = name_before.group(1).strip()
            claimant = Mention(
                None, name, name, name_before.start(1), name_before.start(1) + len(name)
            )
    elif name_before is not None and not anonymous:
        name = name_before.group(1).strip()
        claimant = Mention(None, name, name, name_before.start(1), name_before.start(1) + len(name))
    else:
        after = [
            h for k, h in enumerate(hits)
            if verb_end_tok < h.first <= verb_end_tok + 3 and k not in relay_idx
        ]  # fmt: skip
        inverted = _EN_NAME_AFTER.match(text, verb_end) if verb_end_tok == verb_idx else None
        if after:
            claimant = _mention(text, after[0])
        elif (
            inverted is not None
            and not anonymous
            and not set(inverted.group(1).split()) & (_EN_CALENDAR | _EN_NAME_STOP)
        ):
            # '"...," said Karim Fares, a security analyst': the speaker after the verb.
            name = inverted.group(1)
            claimant = Mention(None, name, name, inverted.start(1), inverted.end(1))
        elif not anonymous:
            m = _EN_NAME_BEFORE.search(text, 0, verb_start)
            if m and m.group(1).split()[0] not in _EN_NAME_STOP and not _inside(quotes, m.start(1)):
                name = m.group(1).strip()
                claimant = Mention(None, name, name, m.start(1), m.start(1) + len(name))
            elif verb_idx == 0 or prev_word in _ANAPHORIC:
                claimant = _PREVIOUS
    # Content: an opening quote before the verb, else after "that" / ":" / "," after the verb.
    first_quote = next((s for s, _ in quotes if s < verb_start), None)
    if first_quote is not None:
        return claimant, anonymous, first_quote
    resume = verb_end
    if claimant is not None and claimant is not _PREVIOUS and claimant.start > verb_end:
        resume = claimant.end
    for k in relay_idx:  # "told Reuters the strike ...": content follows the recipient
        if verb_end_tok < hits[k].first <= verb_end_tok + 2:
            resume = max(resume, hits[k].end)
    for k in range(verb_end_tok + 1, min(n, verb_end_tok + 9)):
        if toks[k].start < resume:
            continue
        if toks[k].norm == "that":
            return claimant, anonymous, toks[k].end + 1 if toks[k].end < len(text) else len(text)
    m = re.compile(r"\s*[:,]\s*").match(text, resume)
    content = m.end() if m else resume
    while content < len(text) and text[content] == " ":
        content += 1
    return claimant, anonymous, content
