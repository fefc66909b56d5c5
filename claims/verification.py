"""The verification engine: load claims as plain facts, propose events, run the rules, write the
flags and priorities. The Celery tasks and `manage.py scan` both call these functions, so a scan
from the command line and one from beat are the same code.

Where things are: rules compute findings (claims/rules/), flags.py stores them, this module
decides which claims are compared (events) and in what scope a check runs.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import multiprocessing
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from claims import clustering, flags, priority
from claims.chains import ancestors
from claims.models import (
    Actor,
    Appearance,
    Claim,
    Event,
    Flag,
    PendingCheck,
    Place,
    Quantity,
    Source,
)
from claims.rules import (
    AppearanceFact,
    ClaimFacts,
    Finding,
    QuantityFact,
    run_rules,
    unverified_stale,
)
from claims.rules.sources import SourceCheck, run_source_rules
from claims.selectors import actor_hierarchy

log = logging.getLogger(__name__)

CLAIM_KINDS = frozenset(Flag.Kind.values) - {"source_unreachable", "source_changed"}
SOURCE_KINDS = frozenset({"source_unreachable", "source_changed"})
BATCH = 2000
# Claims per scan_chunk task: small enough to finish well inside the task time limit.
CHUNK = 2000
# How far around a claim check_claim looks for claims of the same happening: clustering joins
# windows at most 2 days apart and keeps a cluster within 4 days of its longest window.
NEIGHBOURHOOD_DAYS = 4
LONGEST_WINDOW_DAYS = 62


@dataclass
class ScanReport:
    claims: int = 0
    events_proposed: int = 0
    findings: int = 0
    flags: flags.FlagReport = field(default_factory=flags.FlagReport)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "claims": self.claims,
            "events_proposed": self.events_proposed,
            "findings": self.findings,
            "flags": self.flags.as_dict(),
            "seconds": round(self.seconds, 3),
        }


def _chunked(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _rows(queryset: Any, claim_ids: Sequence[int] | None, field_name: str = "claim_id") -> Any:
    """values_list rows for every claim, or for the given ones in bounded IN-lists."""
    if claim_ids is None:
        yield from queryset
        return
    for chunk in _chunked(claim_ids):
        yield from queryset.filter(**{f"{field_name}__in": chunk})


# The plain string: comparing with the enum member looks it up on the class each time (300k
# times in a full scan).
_CONFIRMED = str(Event.Status.CONFIRMED.value)


@dataclass
class Batch:
    """Claims as plain data (by id) with their database rows and the upstream texts we hold."""

    facts: dict[int, ClaimFacts]
    rows: dict[int, dict[str, Any]]
    source_texts: dict[int, str]
    # The actor tree the claimants' sides were read from; the rules read the same one (and a
    # check does not ask the database twice whether the actors changed).
    actors: ActorTree | None = None
    # Claims whose new event is in `rows` but not yet stored: a full scan writes it with the
    # claim's priority, in one UPDATE per claim instead of two (see assign_events).
    unfiled: set[int] = field(default_factory=set)

    def is_fixed(self, claim_id: int) -> bool:
        """An editor confirmed (or merged, or split into) this claim's event: leave it there."""
        return bool(self.rows[claim_id]["event__status"] == _CONFIRMED)


# Only what the engine reads: each column more is decoded 100k times in a full scan.
CLAIM_FIELDS = (
    "id",
    "claimant_id",
    "claimant__name",
    "text",
    "text_en",
    "created_at",
    "stance",
    "stated_at",
    "event_start",
    "event_end",
    "event_id",
    "event__status",
    "event__slug",
    "verdict",
    "priority",
    "priority_reasons",
)


SideRows = tuple[
    list[tuple[Any, ...]], list[tuple[int, int]], list[tuple[Any, ...]], dict[int, Any]
]


def _side_rows(ids: Sequence[int] | None) -> SideRows:
    """Quantity, place and appearance rows of the claims (None = all), and the sources those
    appearances name: what load_batch reads besides the claims themselves."""
    q_rows = list(
        _rows(
            Quantity.objects.values_list(
                "claim_id", "item", "low", "high", "qualifier", "approximate", "text"
            ).order_by("claim_id", "id"),
            ids,
        )
    )
    p_rows = list(_rows(Claim.places.through.objects.values_list("claim_id", "place_id"), ids))
    a_rows = list(
        _rows(
            Appearance.objects.values_list(
                "claim_id", "source_id", "via_id", "quote", "verb"
            ).order_by("claim_id", "id"),
            ids,
        )
    )
    # Sources in a query of their own: joining them into the appearance query made PostgreSQL
    # hash the whole source table for a check of a hundred claims. A full scan names nearly
    # every source, so it reads them all at once rather than in a hundred IN-lists.
    source_fields = ("id", "publisher_id", "canonical_url", "publisher__kind", "publisher__name")
    source_info: dict[int, tuple[int | None, str, str | None, str]] = {}
    if ids is None:
        source_chunks: Iterable[Any] = [Source.objects.values_list(*source_fields)]
    else:
        source_ids = sorted({r[1] for r in a_rows} | {r[2] for r in a_rows if r[2] is not None})
        source_chunks = (
            Source.objects.filter(pk__in=chunk).values_list(*source_fields)
            for chunk in _chunked(source_ids)
        )
    for chunk_rows in source_chunks:
        for row in chunk_rows:
            source_info[row[0]] = (row[1], row[2], row[3], row[4] or "")
    return q_rows, p_rows, a_rows, source_info


def _side_rows_in_thread(ids: Sequence[int] | None) -> SideRows:
    # Its own connection, closed when done: a worker thread's connection is never reused.
    try:
        return _side_rows(ids)
    finally:
        connection.close()


def load_batch(claim_ids: Collection[int] | None, *, actors: ActorTree | None = None) -> Batch:
    """Plain facts for the given claims (None = all), in a fixed number of queries per chunk.
    `actors` is the current ActorTree when the caller holds it already."""
    claim_rows = Claim.objects.values(*CLAIM_FIELDS).order_by("id")
    side: Future[SideRows] | None = None
    if claim_ids is None and _can_read_beside():
        # A full scan reads the other tables on a second connection while this one reads the
        # claims: PostgreSQL works on both at once while Python decodes the rows (a first scan
        # of a fresh corpus spent half of load_batch waiting on reads at 100k claims).
        executor = ThreadPoolExecutor(max_workers=1)
        side = executor.submit(_side_rows_in_thread, None)
        executor.shutdown(wait=False)
    rows = {
        row["id"]: row
        for row in _rows(claim_rows, None if claim_ids is None else sorted(claim_ids), "id")
    }
    ids = sorted(rows) if claim_ids is not None else None
    q_rows, p_rows, a_rows, source_info = side.result() if side else _side_rows(ids)

    quantities: dict[int, list[QuantityFact]] = defaultdict(list)
    for claim_id, item, low, high, qualifier, approximate, text in q_rows:
        quantities[claim_id].append(QuantityFact(item, low, high, qualifier, approximate, text))

    places: dict[int, set[int]] = defaultdict(set)
    for claim_id, place_id in p_rows:
        places[claim_id].add(place_id)

    appearances: dict[int, list[AppearanceFact]] = defaultdict(list)
    via_ids: set[int] = set()
    outlet: dict[int, str] = {}
    for claim_id, source_id, via_id, quote, verb in a_rows:
        publisher, url, kind, name = source_info[source_id]
        outlet.setdefault(claim_id, name)
        appearances[claim_id].append(
            AppearanceFact(
                source_id=source_id,
                via_id=via_id,
                quote=quote,
                verb=verb,
                source_publisher_id=publisher,
                source_url=url,
                source_is_anonymous=publisher is None or kind == Actor.Kind.ANONYMOUS,
                via_publisher_id=source_info[via_id][0] if via_id is not None else None,
            )
        )
        if via_id is not None:
            via_ids.add(via_id)

    # Only the texts a quote can be checked against: the upstream sources we hold.
    source_texts: dict[int, str] = {}
    for chunk in _chunked(sorted(via_ids)):
        source_texts.update(
            Source.objects.filter(pk__in=chunk).exclude(text="").values_list("id", "text")
        )

    place_names = dict(
        Place.objects.filter(pk__in={p for ps in places.values() for p in ps}).values_list(
            "id", "name"
        )
    )
    # A claimant counts as a party when it or any organisation above it is one (Brad Cooper
    # speaks for CENTCOM).
    actors = actors or ActorTree.current()
    parent_of, parties = actors.parent_of, actors.parties
    # Per claimant, not per claim: a few hundred actors speak for 100k claims.
    side_of = {
        claimant: _side(claimant, parent_of, parties)
        for claimant in {row["claimant_id"] for row in rows.values()}
    }
    facts = {
        cid: ClaimFacts(
            claim_id=cid,
            claimant_id=row["claimant_id"],
            claimant_name=row["claimant__name"],
            text=row["text"],
            created_at=row["created_at"],
            stance=row["stance"],
            stated_at=row["stated_at"],
            event_start=row["event_start"],
            event_end=row["event_end"],
            event_id=row["event_id"],
            place_ids=frozenset(places.get(cid, ())),
            quantities=tuple(quantities.get(cid, ())),
            appearances=tuple(appearances.get(cid, ())),
            verdict=row["verdict"],
            claimant_side_id=side_of[row["claimant_id"]],
            outlet=outlet.get(cid, ""),
            place_names=tuple(sorted(place_names[p] for p in places.get(cid, ()))),
        )
        for cid, row in rows.items()
    }
    return Batch(facts=facts, rows=rows, source_texts=source_texts, actors=actors)


_CACHE: dict[str, tuple[tuple[Any, ...], object]] = {}


def _versions() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """What tells a stale copy of the gazetteer and of the actor tree, in one round trip (a
    check of one claim is mostly round trips): places added or removed (a load command), and
    any edit to an actor, which moves its updated_at."""
    place, actor = Place._meta.db_table, Actor._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT (SELECT COUNT(id) FROM "{place}"), (SELECT MAX(id) FROM "{place}"), '  # noqa: S608
            f'(SELECT COUNT(id) FROM "{actor}"), (SELECT MAX(updated_at) FROM "{actor}")'
        )
        places, top_place, actors, last_edit = cursor.fetchone()
    return (places, top_place), (actors, last_edit)


@dataclass(frozen=True)
class ActorTree:
    """Every actor's parent, and which actors are parties to the conflict."""

    parent_of: dict[int, int | None]
    parties: set[int]

    @classmethod
    def current(cls, *, version: tuple[Any, ...] | None = None) -> ActorTree:
        """The tree, rebuilt only when an actor changed; `version` is _versions()' second half
        when the caller has asked already."""
        version = version or _versions()[1]
        cached = _CACHE.get("actors")
        if cached is None or cached[0] != version:
            parent_of, _ = actor_hierarchy()
            parties = set(Actor.objects.filter(party_to_conflict=True).values_list("id", flat=True))
            cached = (version, cls(parent_of=parent_of, parties=parties))
            _CACHE["actors"] = cached
        return cast(ActorTree, cached[1])


def _side(actor_id: int, parent_of: dict[int, int | None], parties: set[int]) -> int | None:
    """The top-most party to the conflict at or above an actor, or None."""
    party_line = [a for a in ancestors(actor_id, parent_of) if a in parties]
    return int(party_line[-1]) if party_line else None


@dataclass(frozen=True)
class Gazetteer:
    ancestors: dict[int, tuple[int, ...]]
    kinds: dict[int, str]
    # Every place below each place (the quarters of a town, the towns of a governorate).
    descendants: dict[int, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def current(cls, *, version: tuple[Any, ...] | None = None) -> Gazetteer:
        """The gazetteer, rebuilt only when places were added or removed (rarely: a load
        command), so a single check does not reread 400 places. `version` is _versions()'
        first half when the caller has asked already."""
        version = version or _versions()[0]
        cached = _CACHE.get("gazetteer")
        if cached is None or cached[0] != version:
            cached = (version, cls.load())
            _CACHE["gazetteer"] = cached
        return cast(Gazetteer, cached[1])

    @classmethod
    def load(cls) -> Gazetteer:
        ancestors: dict[int, tuple[int, ...]] = {}
        kinds: dict[int, str] = {}
        for place_id, path, kind in Place.objects.values_list("id", "path", "kind"):
            chain = [int(p) for p in path.strip("/").split("/") if p]
            ancestors[place_id] = tuple(reversed(chain[:-1]))  # nearest first
            kinds[place_id] = kind
        below: dict[int, set[int]] = defaultdict(set)
        for place_id, above in ancestors.items():
            for ancestor in above:
                below[ancestor].add(place_id)
        return cls(
            ancestors=ancestors,
            kinds=kinds,
            descendants={place: frozenset(ids) for place, ids in below.items()},
        )

    def region(self, place: int) -> int | None:
        """The governorate a place lies in; None for a country (or a place abroad)."""
        for candidate in (place, *self.ancestors.get(place, ())):
            if self.kinds.get(candidate) == "governorate":
                return candidate
        return None


def sketch(facts: ClaimFacts, row: dict[str, Any], gazetteer: Gazetteer, fixed: bool) -> Any:
    lineage = set(facts.place_ids)
    for place in facts.place_ids:
        lineage.update(gazetteer.ancestors.get(place, ()))
    return clustering.ClaimSketch(
        claim_id=facts.claim_id,
        claimant_id=facts.claimant_id or 0,
        items=frozenset(q.item.strip().lower() for q in facts.quantities),
        numbers=frozenset(q.low for q in facts.quantities),
        places=facts.place_ids,
        place_lineage=frozenset(lineage),
        region=frozenset(
            r for r in (gazetteer.region(p) for p in facts.place_ids) if r is not None
        ),
        country_wide=any(gazetteer.region(p) is None for p in facts.place_ids),
        start=facts.event_start or facts.stated_at,
        end=facts.event_end or facts.event_start or facts.stated_at,
        text=facts.text,
        text_en=row["text_en"],
        fixed_event_id=row["event_id"] if fixed else None,
    )


def _event_slug(key: str) -> str:
    return "auto-" + hashlib.sha1(key.encode()).hexdigest()[:16]  # noqa: S324 - a name only


def _first(facts: Iterable[ClaimFacts]) -> ClaimFacts:
    return min(facts, key=lambda f: (f.event_start or f.stated_at or dt.date.max, f.claim_id))


@transaction.atomic
def assign_events(
    batch: Batch,
    gazetteer: Gazetteer,
    *,
    only_claim: int | None = None,
    file_claims: bool = True,
) -> int:
    """Propose events for the batch and store them, leaving editors' confirmed events alone.
    Updates the batch's facts in place; returns how many proposed events were new.

    With `only_claim`, only the proposal holding that claim is stored: a single check must not
    re-file the whole neighbourhood (the nightly scan does that). Without `file_claims` the
    claims' new events are left in the batch (`Batch.unfiled`) for update_priorities to store:
    a claim row carries 13 indexes, and each UPDATE rewrites the row and every index entry
    (its trigram index included), so a first scan that moves 90k claims into events and then
    sets their priorities paid for both twice."""
    sketches = [
        sketch(f, batch.rows[cid], gazetteer, batch.is_fixed(cid)) for cid, f in batch.facts.items()
    ]
    known_events = {row["event__slug"]: row["event_id"] for row in batch.rows.values()}
    target_of: dict[int, int | str] = {}  # claim → event id, or the slug of an event to create
    new_events: dict[str, Event] = {}
    for proposal in clustering.propose_events(sketches):
        if only_claim is not None and only_claim not in proposal.claim_ids:
            continue
        members = sorted(proposal.claim_ids)
        fixed = {batch.rows[c]["event_id"] for c in members if batch.is_fixed(c)}
        target: int | str
        if fixed:
            # The editor's event absorbs unfixed claims that clearly belong with it.
            target = min(fixed)
        elif len(members) < 2:
            continue
        else:
            first = _first(batch.facts[c] for c in members)
            target = _event_slug(proposal.key)
            new_events[target] = Event(
                slug=target,
                title=f"{first.claimant_name}: {first.text[:200]}",
                start=first.event_start or first.stated_at,
                end=first.event_end or first.event_start or first.stated_at,
                status=Event.Status.PROPOSED,
            )
        for claim_id in members:
            target_of[claim_id] = target
    # Events in bulk: look up the slugs that exist, create the rest in one statement per batch.
    # Slugs of the batch's own events are known from its rows: a re-scan, or a check of a claim
    # whose event stays, asks the database only about events it has not seen.
    event_ids: dict[str, int] = {
        slug: event_id
        for slug, event_id in known_events.items()
        if slug in new_events and event_id is not None
    }
    slugs = sorted(s for s in new_events if s not in event_ids)
    for start in range(0, len(slugs), BATCH):
        event_ids.update(
            Event.objects.filter(slug__in=slugs[start : start + BATCH]).values_list("slug", "id")
        )
    missing = [new_events[s] for s in slugs if s not in event_ids]
    Event.objects.bulk_create(missing, batch_size=BATCH)
    event_ids.update({e.slug: e.pk for e in missing})

    if only_claim is None:
        to_file = list(batch.facts)
    elif only_claim in target_of:
        # The checked claim and the claims it joined up with move together.
        to_file = [c for c, t in target_of.items() if t == target_of[only_claim]]
    else:
        to_file = []  # alone: a single check never dissolves an event; the nightly scan does
    # (id, event) pairs, not Claim instances: a first scan files 90k claims, and a model
    # instance for each, only to read two fields back, cost seconds.
    slug_of = {event_id: slug for slug, event_id in (known_events | event_ids).items()}
    changed: list[tuple[int, int | None]] = []
    for claim_id in to_file:
        facts = batch.facts[claim_id]
        filed = target_of.get(claim_id)
        new_event = event_ids[filed] if isinstance(filed, str) else filed
        if not batch.is_fixed(claim_id) and new_event != facts.event_id:
            changed.append((claim_id, new_event))
            batch.rows[claim_id]["event_id"] = new_event
            batch.rows[claim_id]["event__slug"] = slug_of.get(new_event)
            batch.facts[claim_id] = facts.with_event(new_event)
    if file_claims:
        write_column(Claim, "event_id", changed)
    else:
        batch.unfiled.update(claim_id for claim_id, _ in changed)
    return len(missing)


def write_column(model: Any, column: str, values: Sequence[tuple[int, Any]]) -> None:
    """Set one column on many rows (see write_columns)."""
    write_columns(model, [column], [(pk, (value,)) for pk, value in values])


def write_columns(
    model: Any, columns: Sequence[str], values: Sequence[tuple[int, Sequence[Any]]]
) -> None:
    """Set some columns on many rows, one value per column for each (id, values) row. On
    PostgreSQL one UPDATE … FROM unnest(ids, values…) per batch: an array parameter per column,
    so neither the statement nor its parsing grows with the batch (a VALUES list of 4,000
    placeholders cost more to build than to run, and bulk_update's CASE WHEN grows quadratic at
    thousands of rows); elsewhere bulk_update. Columns changed together go in one statement:
    every UPDATE writes a new version of the row and an entry in each index (a claim has 13).
    Skips save() and signals on purpose: this is housekeeping, not an edit."""
    if not values:
        return
    table = model._meta.db_table
    fields = [
        model._meta.get_field(column.removesuffix("_id") if column.endswith("_id") else column)
        for column in columns
    ]
    if connection.vendor == "postgresql":
        casts = ["bigint" if f.is_relation else f.db_type(connection) for f in fields]
        # JSON travels as text and is cast in the database; other types go as they are.
        is_json = [cast in ("jsonb", "json") for cast in casts]
        arrays = ", ".join(
            f"%s::{'text' if json_ else cast}[]" for cast, json_ in zip(casts, is_json, strict=True)
        )
        names = ", ".join(f"v{i}" for i in range(len(fields)))
        assignments = ", ".join(
            f'"{f.column}" = v.v{i}::{cast}'
            for i, (f, cast) in enumerate(zip(fields, casts, strict=True))
        )
        sql = (
            f'UPDATE "{table}" AS t SET {assignments} '  # noqa: S608
            f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {names}) WHERE t.id = v.id"
        )
        with connection.cursor() as cursor:
            for start in range(0, len(values), BATCH * 5):
                chunk = values[start : start + BATCH * 5]
                params: list[list[Any]] = [[pk for pk, _ in chunk]]
                for i, json_ in enumerate(is_json):
                    params.append(
                        [
                            json.dumps(row[i], ensure_ascii=False) if json_ else row[i]
                            for _, row in chunk
                        ]
                    )
                cursor.execute(sql, params)
        return
    objs = [model(pk=pk, **dict(zip(columns, row, strict=True))) for pk, row in values]
    model.objects.bulk_update(objs, list(columns), batch_size=500)


def findings_for(batch: Batch, gazetteer: Gazetteer, now: dt.datetime) -> list[Finding]:
    parent_of = (batch.actors or ActorTree.current()).parent_of
    return run_rules(
        list(batch.facts.values()),
        parent_of=parent_of,
        ancestors_of=gazetteer.ancestors,
        source_texts=batch.source_texts,
        now=now,
        sla_hours=settings.TRACKER_UNVERIFIED_SLA_HOURS,
    )


def update_priorities(batch: Batch, now: dt.datetime) -> None:
    """Store each claim's review-queue priority and the reasons for it."""
    severities: dict[int, list[str]] = defaultdict(list)
    ids = sorted(batch.facts)
    # Links first, then the flags by id: joining flags by state made PostgreSQL hash every open
    # flag for a check of a few claims.
    links = list(_rows(Flag.claims.through.objects.values_list("claim_id", "flag_id"), ids))
    flag_ids = sorted({flag_id for _, flag_id in links})
    severity_of: dict[int, str] = {}
    for chunk in _chunked(flag_ids):
        severity_of.update(
            Flag.objects.filter(pk__in=chunk, state=Flag.State.OPEN).values_list("id", "severity")
        )
    for claim_id, flag_id in links:
        if flag_id in severity_of:
            severities[claim_id].append(severity_of[flag_id])
    changed: list[tuple[int, tuple[float, Any]]] = []
    unfiled_too: list[tuple[int, tuple[int | None, float, Any]]] = []
    event_only: list[tuple[int, int | None]] = []
    for claim_id, facts in batch.facts.items():
        row = batch.rows[claim_id]
        score, reasons = priority.claim_priority(
            open_flag_severities=severities.get(claim_id, ()),
            claimant_is_party=facts.claimant_is_party,
            last_seen=facts.stated_at or facts.event_end or row["created_at"].date(),
            today=now.date(),
            appearance_count=len(facts.appearances),
            decided=row["verdict"] != Claim.Verdict.UNVERIFIED,
        )
        # Only what changed is written: a re-scan of an unchanged corpus writes nothing. The
        # columns in one UPDATE, so a claim whose event, score and reasons moved is rewritten once.
        if score != row["priority"] or reasons != row["priority_reasons"]:
            changed.append((claim_id, (score, reasons)))
            if claim_id in batch.unfiled:
                unfiled_too.append((claim_id, (row["event_id"], score, reasons)))
        elif claim_id in batch.unfiled:
            event_only.append((claim_id, row["event_id"]))
    if unfiled_too:
        written = {claim_id for claim_id, _ in unfiled_too}
        changed = [c for c in changed if c[0] not in written]
        write_columns(Claim, ["event_id", "priority", "priority_reasons"], unfiled_too)
    write_columns(Claim, ["priority", "priority_reasons"], changed)
    write_column(Claim, "event_id", event_only)


def source_checks(source_ids: Collection[int] | None = None) -> list[SourceCheck]:
    sources = Source.objects.exclude(canonical_url="").filter(last_checked_at__isnull=False)
    if source_ids is not None:
        sources = sources.filter(pk__in=list(source_ids))
    claims_of: dict[int, set[int]] = defaultdict(set)
    links = Appearance.objects.filter(Q(source__in=sources) | Q(via__in=sources)).values_list(
        "claim_id", "source_id", "via_id"
    )
    for claim_id, source_id, via_id in links:
        claims_of[source_id].add(claim_id)
        if via_id is not None:
            claims_of[via_id].add(claim_id)
    return [
        SourceCheck(
            source_id=s.pk,
            url=s.canonical_url,
            label=str(s),
            text_sha256=s.text_sha256,
            refetched_sha256=s.refetched_sha256,
            last_check_error=s.last_check_error,
            claim_ids=tuple(sorted(claims_of.get(s.pk, ()))),
        )
        for s in sources.select_related("publisher")
    ]


def _sub_batch(batch: Batch, claim_ids: Iterable[int]) -> Batch:
    ids = list(claim_ids)
    return Batch(
        facts={c: batch.facts[c] for c in ids},
        rows={c: batch.rows[c] for c in ids},
        source_texts=batch.source_texts,
        actors=batch.actors,
        unfiled=batch.unfiled,
    )


def _check_batch(
    batch: Batch, gazetteer: Gazetteer, now: dt.datetime
) -> tuple[int, flags.FlagReport]:
    """Rules, flags and priorities for a batch that holds whole events (pairwise rules never
    look outside it); flags of other claims are left alone."""
    findings = findings_for(batch, gazetteer, now)
    report = flags.write_findings(
        findings=findings,
        kinds=CLAIM_KINDS,
        scope_claim_ids=set(batch.facts),
        now=now,
        sources_of_claims={
            claim_id: {
                source
                for a in facts.appearances
                for source in (a.source_id, a.via_id)
                if source is not None
            }
            for claim_id, facts in batch.facts.items()
        },
    )
    update_priorities(batch, now)
    # Only requests made before this check started are satisfied by it.
    done = sorted(batch.facts)
    for chunk in _chunked(done):
        PendingCheck.objects.filter(claim_id__in=chunk, requested_at__lte=now).delete()
    return len(findings), report


def _merge(total: flags.FlagReport, part: flags.FlagReport) -> None:
    for name in ("created", "updated", "reopened", "resolved", "unchanged", "kept_dismissed"):
        setattr(total, name, getattr(total, name) + getattr(part, name))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No automatic garbage collection inside: a full scan builds millions of small objects that
    live until it ends (rows, facts, sketches, blocks), and each collection walks them all again
    (propose_events alone on 100k claims: 30 s with collections, 19 s without). What it makes
    holds no reference cycles worth collecting early (none are left after a 10k plan)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plan_scan(
    *, now: dt.datetime, chunk_size: int = CHUNK, file_claims: bool = True
) -> tuple[Batch, list[list[int]], ScanReport]:
    """First half of a full scan: propose events over every claim, bring source flags up to
    date, tidy what no claim uses any more, and cut the claims into chunks of whole events.

    Without `file_claims` the claims' new events stay in the batch, to be stored with their
    priorities by the checks of the chunks (scan_all, whose checkers hold this batch), and the
    proposed events left empty are for the caller to delete (delete_empty_events)."""
    with _gc_paused():
        return _plan_scan(now=now, chunk_size=chunk_size, file_claims=file_claims)


def delete_empty_events() -> None:
    """Proposed events no claim is filed under any more."""
    Event.objects.filter(status=Event.Status.PROPOSED, claims__isnull=True).delete()


def _plan_scan(
    *, now: dt.datetime, chunk_size: int, file_claims: bool
) -> tuple[Batch, list[list[int]], ScanReport]:
    gazetteer = Gazetteer.current()
    batch = load_batch(None)
    report = ScanReport(claims=len(batch.facts))
    report.events_proposed = assign_events(batch, gazetteer, file_claims=file_claims)
    source_findings = run_source_rules(source_checks())
    report.findings += len(source_findings)
    report.flags = flags.write_findings(
        findings=source_findings, kinds=SOURCE_KINDS, scope_claim_ids=None, now=now
    )
    if file_claims:
        delete_empty_events()
    # A flag whose claims were all deleted has nothing left to hold it open.
    orphans = list(Flag.objects.filter(state=Flag.State.OPEN, claims__isnull=True))
    for flag in orphans:
        flag.state, flag.resolved_at = Flag.State.RESOLVED, now
    flags.resolve(orphans, reason="Resolved: its claims were deleted")
    report.flags.resolved += len(orphans)

    by_event: dict[object, list[int]] = defaultdict(list)
    for claim_id, facts in sorted(batch.facts.items()):
        by_event[facts.event_id if facts.event_id is not None else ("alone", claim_id)].append(
            claim_id
        )
    chunks: list[list[int]] = [[]]
    for members in by_event.values():
        if chunks[-1] and len(chunks[-1]) + len(members) > chunk_size:
            chunks.append([])
        chunks[-1].extend(members)
    return batch, [c for c in chunks if c], report


def scan_chunk(claim_ids: Sequence[int], *, now: dt.datetime | None = None) -> ScanReport:
    """Second half of a full scan, for one chunk of whole events (a Celery task each)."""
    started = time.monotonic()
    now = now or timezone.now()
    batch = load_batch(claim_ids)
    findings, flag_report = _check_batch(batch, Gazetteer.current(), now)
    return ScanReport(
        claims=len(batch.facts),
        findings=findings,
        flags=flag_report,
        seconds=time.monotonic() - started,
    )


def scan_all(*, now: dt.datetime | None = None, processes: int | None = None) -> ScanReport:
    """Every rule over every claim, synchronously (`manage.py scan`); the Celery task runs the
    same two halves with the chunks as separate tasks. The chunks hold whole events and touch
    disjoint claims and flags, so, like the Celery workers, several processes may check them at
    once (TRACKER_SCAN_PROCESSES)."""
    started = time.monotonic()
    now = now or timezone.now()
    batch, chunks, report = plan_scan(now=now, file_claims=False)
    gazetteer = Gazetteer.current()
    processes = processes or settings.TRACKER_SCAN_PROCESSES
    # The batch lives until the scan ends: frozen, no later collection walks it again, and a
    # forked checker's collections do not touch (and so copy) every page that holds it.
    gc.freeze()
    try:
        parts: Iterable[tuple[int, flags.FlagReport]]
        if processes > 1 and len(chunks) > 1 and _can_fork():
            parts = _check_in_processes(batch, gazetteer, chunks, now, processes)
        else:
            parts = (_check_batch(_sub_batch(batch, chunk), gazetteer, now) for chunk in chunks)
        for findings, flag_report in parts:
            report.findings += findings
            _merge(report.flags, flag_report)
    finally:
        gc.unfreeze()
    # Only now are the claims filed under their new events (by the chunks' checks).
    delete_empty_events()
    report.seconds = time.monotonic() - started
    return report


def _can_read_beside() -> bool:
    """A second connection sees only committed rows: not from inside a transaction (a test, an
    import), nor elsewhere than on PostgreSQL."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _can_fork() -> bool:
    """Forked processes see only committed rows, have their own connections, and cannot be
    started from a daemonic process (a Celery prefork child)."""
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and not multiprocessing.current_process().daemon
        and "fork" in multiprocessing.get_all_start_methods()
    )


# What forked checkers read: set before the fork, so each child has the batch without pickling.
_FORKED: tuple[Batch, Gazetteer, dt.datetime] | None = None


def _check_forked_chunk(chunk: list[int]) -> tuple[int, flags.FlagReport]:
    assert _FORKED is not None
    batch, gazetteer, now = _FORKED
    return _check_batch(_sub_batch(batch, chunk), gazetteer, now)


def _check_in_processes(
    batch: Batch,
    gazetteer: Gazetteer,
    chunks: list[list[int]],
    now: dt.datetime,
    processes: int,
) -> list[tuple[int, flags.FlagReport]]:
    global _FORKED
    _FORKED = (batch, gazetteer, now)
    # A connection must not be shared across a fork: each child opens its own.
    connections.close_all()
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return list(pool.imap_unordered(_check_forked_chunk, chunks))
    finally:
        _FORKED = None


def neighbourhood(claim_id: int, *, gazetteer: Gazetteer | None = None) -> set[int]:
    """The claims that could be about the same happening as this one: places on its line (or
    none), dates within NEIGHBOURHOOD_DAYS, plus its current event. A bounded, indexed query, so
    a check of one claim costs the same with 100 or 100,000 claims stored. Raises
    Claim.DoesNotExist when the claim is gone."""
    return _neighbourhood(claim_id, gazetteer=gazetteer)[0]


def _neighbourhood(claim_id: int, *, gazetteer: Gazetteer | None) -> tuple[set[int], int | None]:
    """The neighbourhood, and the event whose members it includes (the claim's event)."""
    # The claim and its places in one query (a row per place): a check is mostly round trips.
    rows = list(
        Claim.objects.filter(pk=claim_id)
        .order_by()
        .values_list("event_start", "event_end", "stated_at", "created_at", "event_id", "places")
    )
    if not rows:
        raise Claim.DoesNotExist(f"claim {claim_id} does not exist")
    event_start, event_end, stated_at, created_at, event_id, _ = rows[0]
    place_ids = {row[5] for row in rows if row[5] is not None}
    when = event_start or stated_at or created_at.date()
    until = event_end or when
    window = dt.timedelta(days=NEIGHBOURHOOD_DAYS)
    # The lower bound on event_start lets the index do the work; a window longer than
    # LONGEST_WINDOW_DAYS is left to the nightly scan.
    earliest = when - window - dt.timedelta(days=LONGEST_WINDOW_DAYS)
    dated = Q(event_start__range=(earliest, until + window), event_end__gte=when - window) | Q(
        stated_at__range=(when - window, until + window)
    )
    # No ORDER BY: the queue's default ordering made PostgreSQL sort every candidate only to
    # cut at the cap, which a neighbourhood never reaches.
    nearby = Claim.objects.filter(dated).order_by()
    if place_ids:
        # Only claims whose places lie on this claim's line can join it: its own places and
        # what lies above them ("southern Syria") or below them (a quarter of the town), or no
        # place at all. Two towns of one governorate never do (clustering's place rule). The
        # line comes from the cached gazetteer, so the query needs no join to the places.
        gazetteer = gazetteer or Gazetteer.current()
        line = set(place_ids)
        for place in place_ids:
            line.update(gazetteer.ancestors.get(place, ()))
            line.update(gazetteer.descendants.get(place, ()))
        nearby = nearby.filter(Q(places__isnull=True) | Q(places__in=sorted(line)))
    ids_query = nearby.values_list("id", flat=True)[:5000]
    if event_id is not None:
        members = Claim.objects.filter(event_id=event_id).order_by().values_list("id", flat=True)
        if connection.features.supports_slicing_ordering_in_compound:
            # One round trip for both (UNION keeps the cap on the nearby part alone).
            ids = set(ids_query.union(members))
        else:
            ids = set(ids_query) | set(members)
    else:
        ids = set(ids_query)
    ids.add(claim_id)
    return ids, event_id


def check_claim(claim_id: int, *, now: dt.datetime | None = None) -> ScanReport | None:
    """Check one claim and the claims it is compared with; None if the claim is gone."""
    started = time.monotonic()
    now = now or timezone.now()
    places_version, actors_version = _versions()
    gazetteer = Gazetteer.current(version=places_version)
    actors = ActorTree.current(version=actors_version)
    try:
        around, event_before = _neighbourhood(claim_id, gazetteer=gazetteer)
    except Claim.DoesNotExist:
        PendingCheck.objects.filter(claim_id=claim_id).delete()
        return None
    batch = load_batch(around, actors=actors)
    if claim_id not in batch.facts:  # deleted since its neighbourhood was read
        PendingCheck.objects.filter(claim_id=claim_id).delete()
        return None
    report = ScanReport()
    report.events_proposed = assign_events(batch, gazetteer, only_claim=claim_id)
    event_id = batch.facts[claim_id].event_id
    if event_id is not None and event_id != event_before:
        # The event may hold claims outside the neighbourhood (an editor merged them in). The
        # neighbourhood holds every member of the event the claim was in already.
        members = set(
            Claim.objects.filter(event_id=event_id).order_by().values_list("id", flat=True)
        )
        missing = members - set(batch.facts)
        if missing:
            extra = load_batch(missing, actors=actors)
            batch.facts.update(extra.facts)
            batch.rows.update(extra.rows)
            batch.source_texts.update(extra.source_texts)
    scope = {claim_id} | {
        cid for cid, f in batch.facts.items() if event_id is not None and f.event_id == event_id
    }
    report.claims = len(scope)
    report.findings, report.flags = _check_batch(_sub_batch(batch, scope), gazetteer, now)
    report.seconds = time.monotonic() - started
    return report


def check_stale(*, now: dt.datetime | None = None) -> flags.FlagReport:
    """Flag unverified claims past the SLA (and resolve those decided since), on its own."""
    now = now or timezone.now()
    batch = load_batch(
        list(
            Claim.objects.filter(
                Q(verdict=Claim.Verdict.UNVERIFIED)
                | Q(flags__kind="unverified_stale", flags__state=Flag.State.OPEN)
            )
            .values_list("id", flat=True)
            .distinct()
        )
    )
    hours = settings.TRACKER_UNVERIFIED_SLA_HOURS
    findings = [
        finding
        for facts in batch.facts.values()
        for finding in unverified_stale(facts, now=now, sla_hours=hours)
    ]
    return flags.write_findings(
        findings=findings, kinds={"unverified_stale"}, scope_claim_ids=None, now=now
    )


def request_check(claim_id: int) -> None:
    """Record that a claim needs checking, in the caller's transaction, and enqueue the check
    once that transaction commits. If the broker is down the outbox row stays and beat's
    sweep enqueues it later."""
    now = timezone.now()
    PendingCheck.objects.update_or_create(claim_id=claim_id, defaults={"requested_at": now})
    transaction.on_commit(lambda: enqueue_check(claim_id))


def enqueue_check(claim_id: int) -> bool:
    from claims.tasks import check_claim as check_claim_task

    try:
        check_claim_task.apply_async(args=[claim_id], retry=False)
    except Exception as exc:  # kombu raises several types for "broker unreachable"
        log.warning("check of claim %s left in the outbox: broker unavailable (%s)", claim_id, exc)
        return False
    PendingCheck.objects.filter(claim_id=claim_id).update(enqueued_at=timezone.now())
    return True


def sweep_outbox(*, older_than_s: float = 30.0, limit: int = 1000) -> int:
    """Enqueue checks still pending after `older_than_s` (lost to a broker outage or a worker
    crash). Checks are idempotent, so a duplicate costs time, never correctness."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_s)
    pending = PendingCheck.objects.filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=cutoff), requested_at__lte=cutoff
    ).values_list("claim_id", flat=True)[:limit]
    sent = 0
    for claim_id in list(pending):
        PendingCheck.objects.filter(claim_id=claim_id).update(attempts=F("attempts") + 1)
        if not enqueue_check(claim_id):
            break
        sent += 1
    return sent


@dataclass
class RecheckReport:
    status: int | None
    error: str
    changed: bool

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "changed": self.changed}


def sources_due_for_recheck(*, older_than: dt.timedelta = dt.timedelta(hours=1)) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        Source.objects.exclude(canonical_url="")
        .filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=cutoff))
        .order_by("last_checked_at", "id")
        .values_list("id", flat=True)
    )


def recheck_source(source_id: int, *, policy: Any = None) -> RecheckReport:
    """Re-fetch one source through the SSRF-safe fetcher, record what came back, and bring the
    source flags up to date."""
    from claims.fetching import FetchFailed, FetchPolicy, FetchRefused, fetch

    source = Source.objects.get(pk=source_id)
    now = timezone.now()
    try:
        fetched = fetch(source.canonical_url, policy=policy or FetchPolicy())
    except (FetchRefused, FetchFailed) as exc:
        source.last_check_error = str(getattr(exc, "reason", exc))[:300]
        source.http_status = getattr(exc, "status", None)
    else:
        source.last_check_error = ""
        source.http_status = fetched.status
        source.refetched_sha256 = fetched.text_sha256
        if not source.text_sha256 and not source.text:
            # First time we hold this document: its text becomes the reference.
            source.text, source.text_sha256 = fetched.text, fetched.text_sha256
            source.html_sha256 = fetched.body_sha256
            source.is_placeholder = False
    source.last_checked_at = now
    source.save()
    if source.text and not source.minhash:
        from claims.ingestion import index_source

        index_source(source)
    flags.write_findings(
        findings=run_source_rules(source_checks()),
        kinds=SOURCE_KINDS,
        scope_claim_ids=None,
        now=now,
    )
    changed = bool(
        source.refetched_sha256
        and source.text_sha256
        and source.refetched_sha256 != source.text_sha256
    )
    return RecheckReport(status=source.http_status, error=source.last_check_error, changed=changed)
