"""Text → proposed claims, in Arabic or English: sentences, who said it and through whom, the
numbers, dates and places in it. Pure: the caller brings the actor and place indexes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from claims.extraction.arabic import normalise
from claims.extraction.attribution import (
    ActorIndex,
    Attribution,
    Mention,
    find_attribution,
    split_sentences,
)
from claims.extraction.dates import propose_dates
from claims.extraction.numbers import QuantityProposal, find_quantities
from claims.extraction.places import PlaceIndex

ARABIC_SHARE_FOR_ARABIC = 0.3
MIN_LETTERS = 20


@dataclass(frozen=True)
class ClaimProposal:
    text: str
    quote: str
    claimant_name: str
    claimant_actor_id: int | None
    anonymous: bool
    verb: str
    stance: str
    via_names: tuple[str, ...]
    via_actor_ids: tuple[int | None, ...]
    quantities: tuple[QuantityProposal, ...]
    stated_at: dt.date | None
    event_start: dt.date | None
    event_end: dt.date | None
    place_ids: tuple[int, ...]
    start: int
    end: int


# The items a claim counts (tests/data/extraction/README.md): other counted nouns (cells,
# families, mines, people without an outcome, unknown nouns) are not proposed.
CLAIM_ITEMS = frozenset(
    {
        "killed", "wounded", "captured", "members", "operations", "attacks", "sites",
        "weapons storage sites", "mortars and rockets", "weapons", "vehicles", "airstrikes",
        "civilians", "children", "displaced", "tunnels", "drones",
    }
)  # fmt: skip
_CONTINUATION_VERBS = frozenset(
    normalise(w) for w in ("أضاف", "أضافت", "أضافوا", "تابع", "تابعت", "added", "adding", "adds")
)


def _continuation_verb(verb: str) -> bool:
    folded = normalise(verb)
    folded = folded[1:] if folded[:1] in "وف" and folded[1:] in _CONTINUATION_VERBS else folded
    return folded in _CONTINUATION_VERBS


def _continues(attribution: Attribution, previous: Mention | None, last: ClaimProposal) -> bool:
    """The sentence goes on with the previous claimant's statement."""
    if previous is not None and attribution.claimant is previous:
        return True
    return _continuation_verb(attribution.verb) and attribution.anonymous and last.anonymous


def _place_ids(
    text: str, places: PlaceIndex, actors: ActorIndex, attribution: Attribution, shift: int
) -> tuple[int, ...]:
    """Places named in the sentence, except inside a longer actor name ("قوات سوريا
    الديمقراطية", "دير الزور 24") or inside a new claimant's name ("Omar Kassab")."""
    found = places.find(text)
    if not found:
        return ()
    names = [(m.start, m.end) for m in actors.find(text)]
    claimant = attribution.claimant
    if claimant is not None and claimant.actor_id is None and claimant.start >= shift:
        names.append((claimant.start - shift, claimant.end - shift))
    kept = [
        m.place_id
        for m in found
        if not any(s <= m.start and m.end <= e and e - s > m.end - m.start for s, e in names)
    ]
    return tuple(dict.fromkeys(kept))


# A wire dateline opening the text: "BEIRUT (Reuters) -", "AMMAN, Jordan (AP) —", and the
# Arabic "دمشق – عنب بلدي" on its own line. It names where the copy was filed and who wrote it,
# not the claimant, a relay or a place of the event; it is blanked (offsets kept) before reading.
_DATELINE_EN = re.compile(
    r"\A\s*[A-Z][A-Z'’. -]{1,40}(?:,\s*[A-Z][\w .'’-]{1,30})?\s*\([^()\n]{1,40}\)\s*[-–—]+\s*"
)
_DATELINE_AR = re.compile(r"\A\s*[\u0600-\u06ff]+(?:\s+[\u0600-\u06ff]+)?\s*[-–—]\s*[^\n]{1,30}\n")


def blank_dateline(text: str) -> str:
    """The text with a leading dateline replaced by spaces (same length, same offsets)."""
    m = _DATELINE_EN.match(text) or _DATELINE_AR.match(text)
    if m is None:
        return text
    if _DATELINE_AR.match(text) and any(ch in ".،:؟" for ch in m.group()[:-1]):
        return text
    return " " * (m.end() - 1) + text[m.end() - 1] + text[m.end() :]


def detect_language(text: str) -> str | None:
    """'ar' or 'en' from the letters used; None when there is too little text to tell or it
    is neither (the caller refuses it rather than guessing)."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < MIN_LETTERS:
        return None
    arabic = sum(1 for ch in letters if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f")
    latin = sum(1 for ch in letters if ch.isascii())
    if arabic / len(letters) >= ARABIC_SHARE_FOR_ARABIC:
        return "ar"
    if latin / len(letters) >= 0.8:
        return "en"
    return None


def propose_claims(
    text: str,
    *,
    language: str,
    published: dt.date,
    actors: ActorIndex,
    places: PlaceIndex,
) -> list[ClaimProposal]:
    """One proposal per attributed sentence, in text order."""
    proposals: list[ClaimProposal] = []
    previous = None
    for sentence in split_sentences(blank_dateline(text)):
        attribution = find_attribution(sentence, actors=actors, previous_claimant=previous)
        if attribution is None:
            continue
        via_names = tuple(r.source.name for r in attribution.relays)
        via_ids = tuple(r.source.actor_id for r in attribution.relays)
        anonymous = attribution.anonymous
        if (
            attribution.claimant is None
            and not anonymous
            and proposals
            and proposals[-1].anonymous
            and _continuation_verb(attribution.verb)
        ):
            # "Two residents told AP ... They added that ...": the unnamed source goes on.
            anonymous = True
            attribution = dataclasses.replace(attribution, anonymous=True)
        if not via_names and proposals and _continues(attribution, previous, proposals[-1]):
            # "وأضاف المصدر أن ..." / "He added ...": the same speaker through the same relays.
            via_names, via_ids = proposals[-1].via_names, proposals[-1].via_actor_ids
        if attribution.claimant is not None:
            previous = attribution.claimant
        verb_span = (
            attribution.verb_start - sentence.start,
            attribution.verb_end - sentence.start,
        )
        speaker = attribution.claimant
        speaker_end: int | None = None
        if (
            speaker is not None
            and speaker.start >= attribution.verb_end
            and not sentence.text[verb_span[1] : speaker.start - sentence.start].strip()
        ):
            speaker_end = speaker.end - sentence.start  # verb-subject order
        dates = propose_dates(
            sentence.text,
            published=published,
            language=language,
            reporting_verb_span=verb_span,
            content_start=attribution.content_start - sentence.start,
            speaker_end=speaker_end,
        )
        claimant = attribution.claimant
        proposals.append(
            ClaimProposal(
                text=sentence.text,
                quote=sentence.text,
                claimant_name=claimant.name if claimant else "",
                claimant_actor_id=claimant.actor_id if claimant else None,
                anonymous=anonymous,
                verb=attribution.verb,
                stance=attribution.stance,
                via_names=via_names,
                via_actor_ids=via_ids,
                quantities=tuple(
                    q
                    for q in find_quantities(sentence.text, language=language)
                    if q.item in CLAIM_ITEMS
                ),
                stated_at=dates.stated_at,
                event_start=dates.event_start,
                event_end=dates.event_end,
                place_ids=_place_ids(sentence.text, places, actors, attribution, sentence.start),
                start=sentence.start,
                end=sentence.end,
            )
        )
    return proposals
