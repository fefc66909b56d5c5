"""Text → proposed claims, in Arabic or English: sentences, who said it and through whom, the
numbers, dates and places in it. Pure: the caller brings the actor and place indexes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from claims.extraction.attribution import ActorIndex, find_attribution, split_sentences
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
    for sentence in split_sentences(text):
        attribution = find_attribution(sentence, actors=actors, previous_claimant=previous)
        if attribution is None:
            continue
        if attribution.claimant is not None:
            previous = attribution.claimant
        verb_span = (
            attribution.verb_start - sentence.start,
            attribution.verb_end - sentence.start,
        )
        dates = propose_dates(
            sentence.text, published=published, language=language, reporting_verb_span=verb_span
        )
        claimant = attribution.claimant
        proposals.append(
            ClaimProposal(
                text=sentence.text,
                quote=sentence.text,
                claimant_name=claimant.name if claimant else "",
                claimant_actor_id=claimant.actor_id if claimant else None,
                anonymous=attribution.anonymous,
                verb=attribution.verb,
                stance=attribution.stance,
                via_names=tuple(r.source.name for r in attribution.relays),
                via_actor_ids=tuple(r.source.actor_id for r in attribution.relays),
                quantities=tuple(find_quantities(sentence.text, language=language)),
                stated_at=dates.stated_at,
                event_start=dates.event_start,
                event_end=dates.event_end,
                place_ids=tuple(dict.fromkeys(m.place_id for m in places.find(sentence.text))),
                start=sentence.start,
                end=sentence.end,
            )
        )
    return proposals
