"""Validation of the seed case (seeds/seed_case.json) as plain data, before anything is written.

`parse_seed_case` checks every cross-reference and every interval and raises one SeedError that
names the record at fault; the writer in services.py only ever sees a case that passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

STANCES = frozenset({"asserts", "denies", "claims_responsibility", "admits"})
LANGUAGES = frozenset({"ar", "en", "other"})
RELIABILITY = frozenset("ABCDEF")


class SeedError(ValueError):
    """Bad seed data; the message names the record and what is wrong with it."""


@dataclass(frozen=True)
class SeedQuantity:
    item: str
    low: int
    high: int | None
    qualifier: str
    approximate: bool
    text: str


@dataclass(frozen=True)
class SeedAppearance:
    source: str
    quote: str
    verb: str
    via: str | None


@dataclass(frozen=True)
class SeedClaim:
    slug: str
    claimant: str
    language: str
    text: str
    text_en: str
    text_ar: str
    stance: str
    stated_at: dt.date | None
    event_start: dt.date | None
    event_end: dt.date | None
    event: str | None
    places: tuple[str, ...]
    tags: tuple[str, ...]
    quantities: tuple[SeedQuantity, ...]
    appearances: tuple[SeedAppearance, ...]


@dataclass(frozen=True)
class SeedCase:
    actors: tuple[dict[str, Any], ...]
    sources: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]
    claims: tuple[SeedClaim, ...]
    source_texts: Mapping[str, str] = field(default_factory=dict)


def _date(value: Any, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise SeedError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _unique_slugs(records: list[dict[str, Any]], kind: str) -> set[str]:
    seen: set[str] = set()
    for index, record in enumerate(records):
        slug = record.get("slug")
        if not slug:
            raise SeedError(f"{kind} #{index + 1}: missing slug")
        if slug in seen:
            raise SeedError(f"{kind} {slug!r}: slug used twice")
        seen.add(slug)
    return seen


def _check_actor_parents(actors: list[dict[str, Any]], slugs: set[str]) -> None:
    parent_of = {a["slug"]: a.get("parent") for a in actors}
    for slug, parent in parent_of.items():
        if parent is not None and parent not in slugs:
            raise SeedError(f"actor {slug!r}: parent {parent!r} is not an actor in the file")
        seen = {slug}
        while parent is not None:
            if parent in seen:
                raise SeedError(f"actor {slug!r}: parents form a cycle")
            seen.add(parent)
            parent = parent_of.get(parent)


def _quantity(raw: dict[str, Any], where: str) -> SeedQuantity:
    try:
        low = int(raw["low"])
        high = None if raw.get("high") is None else int(raw["high"])
    except (KeyError, TypeError, ValueError):
        raise SeedError(f"{where}: low and high must be whole numbers") from None
    if low < 0:
        raise SeedError(f"{where}: low {low} is negative")
    if high is not None and low > high:
        raise SeedError(f"{where}: low {low} is greater than high {high}")
    if not raw.get("item"):
        raise SeedError(f"{where}: missing item")
    return SeedQuantity(
        item=raw["item"],
        low=low,
        high=high,
        qualifier=raw.get("qualifier", ""),
        approximate=bool(raw.get("approximate", False)),
        text=raw.get("text", ""),
    )


def _claim(
    raw: dict[str, Any],
    *,
    actors: set[str],
    sources: set[str],
    events: set[str],
    places: Collection[str],
    source_texts: Mapping[str, str],
) -> SeedClaim:
    where = f"claim {raw['slug']!r}"
    if raw.get("claimant") not in actors:
        raise SeedError(f"{where}: claimant {raw.get('claimant')!r} is not an actor in the file")
    if not (raw.get("text") or "").strip():
        raise SeedError(f"{where}: text is empty")
    stance = raw.get("stance", "asserts")
    if stance not in STANCES:
        raise SeedError(f"{where}: stance {stance!r} is not one of {sorted(STANCES)}")
    language = raw.get("language", "ar")
    if language not in LANGUAGES:
        raise SeedError(f"{where}: language {language!r} is not one of {sorted(LANGUAGES)}")
    start = _date(raw.get("event_start"), f"{where} event_start")
    end = _date(raw.get("event_end"), f"{where} event_end")
    if start and end and start > end:
        raise SeedError(f"{where}: event_start {start} is after event_end {end}")
    event = raw.get("event")
    if event is not None and event not in events:
        raise SeedError(f"{where}: event {event!r} is not an event in the file")
    for place in raw.get("places", []):
        if place not in places:
            raise SeedError(f"{where}: place {place!r} is not in the gazetteer")
    appearances = []
    for index, app in enumerate(raw.get("appearances", [])):
        at = f"{where} appearance #{index + 1}"
        if app.get("source") not in sources:
            raise SeedError(f"{at}: source {app.get('source')!r} is not a source in the file")
        via = app.get("via")
        if via is not None and via not in sources:
            raise SeedError(f"{at}: via {via!r} is not a source in the file")
        if via == app["source"]:
            raise SeedError(f"{at}: a source cannot cite itself")
        quote = app.get("quote", "")
        held = source_texts.get(app["source"])
        if held and quote and quote not in held:
            raise SeedError(f"{at}: quote is not in the text of source {app['source']!r}")
        appearances.append(
            SeedAppearance(source=app["source"], quote=quote, verb=app.get("verb", ""), via=via)
        )
    return SeedClaim(
        slug=raw["slug"],
        claimant=raw["claimant"],
        language=language,
        text=raw["text"],
        text_en=raw.get("text_en", ""),
        text_ar=raw.get("text_ar", ""),
        stance=stance,
        stated_at=_date(raw.get("stated_at"), f"{where} stated_at"),
        event_start=start,
        event_end=end,
        event=event,
        places=tuple(raw.get("places", [])),
        tags=tuple(raw.get("tags", [])),
        quantities=tuple(
            _quantity(q, f"{where} quantity #{i + 1}")
            for i, q in enumerate(raw.get("quantities", []))
        ),
        appearances=tuple(appearances),
    )


def parse_seed_case(
    data: dict[str, Any], *, places: Collection[str], source_texts: Mapping[str, str]
) -> SeedCase:
    """Validate the whole case against the gazetteer refs and the texts we hold."""
    actors = list(data.get("actors", []))
    sources = list(data.get("sources", []))
    events = list(data.get("events", []))
    actor_slugs = _unique_slugs(actors, "actor")
    _check_actor_parents(actors, actor_slugs)
    for actor in actors:
        if actor.get("reliability", "F") not in RELIABILITY:
            raise SeedError(f"actor {actor['slug']!r}: reliability must be one of A–F")
    source_slugs = _unique_slugs(sources, "source")
    for source in sources:
        publisher = source.get("publisher")
        if publisher is not None and publisher not in actor_slugs:
            raise SeedError(
                f"source {source['slug']!r}: publisher {publisher!r} is not an actor in the file"
            )
        _date(source.get("published_at"), f"source {source['slug']!r} published_at")
    event_slugs = _unique_slugs(events, "event")
    for event in events:
        where = f"event {event['slug']!r}"
        start, end = _date(event.get("start"), where), _date(event.get("end"), where)
        if start and end and start > end:
            raise SeedError(f"{where}: start {start} is after end {end}")
        for place in event.get("places", []):
            if place not in places:
                raise SeedError(f"{where}: place {place!r} is not in the gazetteer")
    raw_claims = list(data.get("claims", []))
    _unique_slugs(raw_claims, "claim")
    claims = tuple(
        _claim(
            raw,
            actors=actor_slugs,
            sources=source_slugs,
            events=event_slugs,
            places=places,
            source_texts=source_texts,
        )
        for raw in raw_claims
    )
    return SeedCase(
        actors=tuple(actors),
        sources=tuple(sources),
        events=tuple(events),
        claims=claims,
        source_texts=source_texts,
    )
