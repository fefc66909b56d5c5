"""Export and import of the claims data (issue 7 item 5; issue 8's backup and restore).

Export writes claims with their chains as a JSON document keyed by natural keys (slugs, gazetteer
refs, usernames) so that it loads into another database, or as a CSV of claims, one row each;
both are streamed in a fixed number of queries per chunk of claims. Import reads a document of the
same shape, validates the whole of it first (every problem, with its path), and either stores all
of it in one transaction or nothing.

The JSON document, format "claim-tracker" version 1 (every list sorted by its natural key, no
database ids, no export timestamp, so that exporting the same data twice gives the same bytes):

    {"format": "claim-tracker", "version": 1, "filters": {"state": "published"},
     "actors":  [{"slug", "name", "name_ar", "aliases", "kind", "parent": slug|null,
                  "party_to_conflict", "side", "reliability", "domains", "is_proposed"}],
     "places":  [{"ref", "geonames_id", "name", "name_ar"}]        # matched, never created
     "sources": [{"slug", "url", "publisher": slug|null, "author", "kind", "language",
                  "published_at", "retrieved_at", "title", "text", "text_sha256", "html_sha256",
                  "archive_url", "http_status", "is_placeholder", "last_checked_at",
                  "last_check_error", "refetched_sha256"}],
     "events":  [{"slug", "title", "title_ar", "start", "end", "places": [ref], "status"}],
     "claims":  [{"slug", "claimant": slug, "language", "text", "text_en", "text_ar", "stance",
                  "stated_at", "event_start", "event_end", "event": slug|null, "places": [ref],
                  "tags", "state", "verdict", "created_at", "created_by", "assigned_to",
                  "quantities": [{"item", "low", "high", "qualifier", "approximate", "text"}],
                  "appearances": [{"source": slug, "via": slug|null, "quote", "verb"}],
                  "reviews": [{"verdict", "rationale", "evidence_links", "language",
                               "reviewer": username, "created_at", "published",
                               "published_at", "published_by": username|null}]}],
     "flags":   [{"kind", "severity", "state", "key", "fingerprint", "claims": [slug],
                  "sources": [slug], "detail", "dismissed_reason", "resolved_at"}]}

An unfiltered export holds every actor, source, event and flag; a filtered one only what its
claims refer to (parents of actors included) and the flags all of whose claims it holds.
A flag's fingerprint and evidence hash are computed by the rules from database ids, so neither
travels: the flag carries the rule's key instead, and the import computes both again (see
_portable_key and _Writer.write_flags).
Dates are YYYY-MM-DD, times ISO 8601 in UTC ending in Z.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from claims import chains
from claims.ingestion import index_source
from claims.models import (
    Actor,
    Appearance,
    Claim,
    Event,
    Flag,
    Language,
    Place,
    Quantity,
    Review,
    Source,
)
from claims.rules import Finding
from claims.rules.sources import run_source_rules

FORMAT = "claim-tracker"
VERSION = 1
SECTIONS = ("actors", "places", "sources", "events", "claims", "flags")
# Claims (and sources, flags) are read and written this many at a time: a fixed number of queries
# per chunk, and IN-lists well below every database's limit on bound parameters.
CHUNK = 500
IMPORT_REASON = "Imported from a claim-tracker transfer document"
MAX_BIGINT = 2**63 - 1

M = TypeVar("M", bound=models.Model)


class TransferError(ValueError):
    """A document that cannot be read at all (not JSON, too large); nothing was stored."""

    def __init__(self, message: str, *, code: str = "malformed_request") -> None:
        super().__init__(message)
        self.code = code


# ---- small conversions ----------------------------------------------------------------------


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _keyset(queryset: QuerySet[M], key: str, size: int = CHUNK) -> Iterator[list[M]]:
    """The rows in chunks ordered by a unique natural key, each chunk one query (plus its
    prefetches) that starts after the last key seen, so no OFFSET grows with the table."""
    ordered = queryset.order_by(key)
    last: Any = None
    while True:
        page = ordered if last is None else ordered.filter(**{f"{key}__gt": last})
        rows = list(page[:size])
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = getattr(rows[-1], key)


# ---- export ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportScope:
    """The claims to export and the filters that chose them (recorded in the document); with
    no filters the export is the whole dataset, records no claim refers to included."""

    claims: QuerySet[Claim]
    filters: Mapping[str, str] = field(default_factory=dict)

    @property
    def whole(self) -> bool:
        return not self.filters


def whole_dataset() -> ExportScope:
    return ExportScope(claims=Claim.objects.all())


def _sources_in(scope: ExportScope) -> QuerySet[Source]:
    if scope.whole:
        return Source.objects.all()
    cited = Appearance.objects.filter(claim__in=scope.claims)
    return Source.objects.filter(
        Q(pk__in=cited.values("source_id"))
        | Q(pk__in=cited.filter(via__isnull=False).values("via_id"))
    )


def _events_in(scope: ExportScope) -> QuerySet[Event]:
    if scope.whole:
        return Event.objects.all()
    return Event.objects.filter(pk__in=scope.claims.filter(event__isnull=False).values("event_id"))


def _places_in(scope: ExportScope) -> QuerySet[Place]:
    claim_places = Claim.places.through.objects.all()
    event_places = Event.places.through.objects.all()
    if not scope.whole:
        claim_places = claim_places.filter(claim__in=scope.claims)
        event_places = event_places.filter(event__in=_events_in(scope))
    return Place.objects.filter(
        Q(pk__in=claim_places.values("place_id")) | Q(pk__in=event_places.values("place_id"))
    )


def _actors_in(scope: ExportScope) -> QuerySet[Actor]:
    if scope.whole:
        return Actor.objects.all()
    wanted = set(scope.claims.order_by().values_list("claimant_id", flat=True).distinct())
    wanted |= set(
        _sources_in(scope)
        .filter(publisher__isnull=False)
        .order_by()
        .values_list("publisher_id", flat=True)
        .distinct()
    )
    # An actor's parent decides independence and partisanship, so it travels with it.
    parent_of = dict(Actor.objects.values_list("id", "parent_id"))
    for actor_id in list(wanted):
        parent = parent_of.get(actor_id)
        while parent is not None and parent not in wanted:
            wanted.add(parent)
            parent = parent_of.get(parent)
    return Actor.objects.filter(pk__in=sorted(wanted))


def _actor_records(scope: ExportScope) -> Iterator[dict[str, Any]]:
    for chunk in _keyset(_actors_in(scope).select_related("parent"), "slug"):
        for actor in chunk:
            yield {
                "slug": actor.slug,
                "name": actor.name,
                "name_ar": actor.name_ar,
                "aliases": list(actor.aliases),
                "kind": actor.kind,
                "parent": actor.parent.slug if actor.parent is not None else None,
                "party_to_conflict": actor.party_to_conflict,
                "side": actor.side,
                "reliability": actor.reliability,
                "domains": list(actor.domains),
                "is_proposed": actor.is_proposed,
            }


def _place_records(scope: ExportScope) -> Iterator[dict[str, Any]]:
    places = _places_in(scope).only("ref", "geonames_id", "name", "name_ar")
    for chunk in _keyset(places, "ref"):
        for place in chunk:
            yield {
                "ref": place.ref,
                "geonames_id": place.geonames_id,
                "name": place.name,
                "name_ar": place.name_ar,
            }


def _source_records(scope: ExportScope) -> Iterator[dict[str, Any]]:
    sources = _sources_in(scope).select_related("publisher")
    for chunk in _keyset(sources, "slug"):
        for source in chunk:
            yield {
                "slug": source.slug,
                "url": source.canonical_url,
                "publisher": source.publisher.slug if source.publisher is not None else None,
                "author": source.author,
                "kind": source.kind,
                "language": source.language,
                "published_at": _time(source.published_at),
                "retrieved_at": _time(source.retrieved_at),
                "title": source.title,
                "text": source.text,
                "text_sha256": source.text_sha256,
                "html_sha256": source.html_sha256,
                "archive_url": source.archive_url,
                "http_status": source.http_status,
                "is_placeholder": source.is_placeholder,
                "last_checked_at": _time(source.last_checked_at),
                "last_check_error": source.last_check_error,
                "refetched_sha256": source.refetched_sha256,
            }


def _event_records(scope: ExportScope) -> Iterator[dict[str, Any]]:
    events = _events_in(scope).prefetch_related(Prefetch("places", Place.objects.only("ref")))
    for chunk in _keyset(events, "slug"):
        for event in chunk:
            yield {
                "slug": event.slug,
                "title": event.title,
                "title_ar": event.title_ar,
                "start": _date(event.start),
                "end": _date(event.end),
                "places": sorted(p.ref for p in event.places.all()),
                "status": event.status,
            }


def _quantity_record(q: Quantity) -> dict[str, Any]:
    return {
        "item": q.item,
        "low": q.low,
        "high": q.high,
        "qualifier": q.qualifier,
        "approximate": q.approximate,
        "text": q.text,
    }


def _quantity_order(record: Mapping[str, Any]) -> tuple[Any, ...]:
    high = MAX_BIGINT + 1 if record["high"] is None else record["high"]
    return (record["item"], record["low"], high, record["qualifier"], record["approximate"],
            record["text"])  # fmt: skip


def _review_record(review: Review) -> dict[str, Any]:
    return {
        "verdict": review.verdict,
        "rationale": review.rationale,
        "evidence_links": list(review.evidence_links),
        "language": review.language,
        "reviewer": _username(review.reviewer),
        "created_at": _time(review.created_at),
        "published": review.published,
        "published_at": _time(review.published_at),
        "published_by": _username(review.published_by),
    }


def _claim_chunks(claims: QuerySet[Claim], *, for_csv: bool = False) -> Iterator[list[Claim]]:
    """Claims with everything a record needs, in a fixed number of queries per chunk."""
    # Only what names the sources an appearance cites: their texts would be read for nothing.
    appearance_fields = ["id", "claim", "quote", "verb", "source", "via", "source__slug",
                         "via__slug"]  # fmt: skip
    related = ["source", "via"]
    if for_csv:
        related = ["source__publisher", "via"]
        appearance_fields += [
            "source__canonical_url",
            "source__publisher",
            "source__publisher__name",
            "via__canonical_url",
            "via__publisher",
        ]
    prefetches: list[Any] = [
        Prefetch("places", Place.objects.only("id", "ref", "name")),
        "quantities",
        Prefetch(
            "appearances", Appearance.objects.select_related(*related).only(*appearance_fields)
        ),
        Prefetch("reviews", Review.objects.select_related("reviewer", "published_by")),
    ]
    select = ["claimant", "event"]
    if for_csv:
        prefetches.append(
            Prefetch("flags", Flag.objects.filter(state=Flag.State.OPEN).only("id", "kind"))
        )
    else:
        select += ["created_by", "assigned_to"]
    yield from _keyset(claims.select_related(*select).prefetch_related(*prefetches), "slug")


def _claim_record(claim: Claim) -> dict[str, Any]:
    appearances = sorted(claim.appearances.all(), key=lambda a: a.source.slug)
    reviews = [_review_record(r) for r in claim.reviews.all()]
    reviews.sort(key=lambda r: (r["created_at"], r["reviewer"], r["verdict"], r["rationale"]))
    return {
        "slug": claim.slug,
        "claimant": claim.claimant.slug,
        "language": claim.language,
        "text": claim.text,
        "text_en": claim.text_en,
        "text_ar": claim.text_ar,
        "stance": claim.stance,
        "stated_at": _date(claim.stated_at),
        "event_start": _date(claim.event_start),
        "event_end": _date(claim.event_end),
        "event": claim.event.slug if claim.event is not None else None,
        "places": sorted(p.ref for p in claim.places.all()),
        "tags": list(claim.tags),
        "state": claim.state,
        "verdict": claim.verdict,
        "created_at": _time(claim.created_at),
        "created_by": _username(claim.created_by),
        "assigned_to": _username(claim.assigned_to),
        "quantities": sorted(
            (_quantity_record(q) for q in claim.quantities.all()), key=_quantity_order
        ),
        "appearances": [
            {
                "source": a.source.slug,
                "via": a.via.slug if a.via is not None else None,
                "quote": a.quote,
                "verb": a.verb,
            }
            for a in appearances
        ],
        "reviews": reviews,
    }


# Flags are identified by a fingerprint the rules compute from database ids (claims.rules
# Finding.fingerprint: kind, claim ids, key). The export carries the key instead, with any source
# id in it turned into the source's slug, and the import computes the fingerprint again from the
# new ids, so that the next check updates the restored flag instead of adding a second one.
_FIXED_KEYS = ("", "field=stated_at", "field=event_window", "field=places")


def _fingerprint(kind: str, claim_ids: Iterable[int], key: str) -> str:
    finding = Finding(
        kind=kind, severity="info", claim_ids=tuple(claim_ids), source_urls=(), detail="", key=key
    )
    return finding.fingerprint


def _portable_key(
    flag: Flag, claim_ids: Sequence[int], items: Collection[str], sources: Mapping[int, str]
) -> str | None:
    """The rule key behind the flag's fingerprint, in a form that names no database id; None
    when no key the rules use reproduces it (the fingerprint then travels as it is)."""
    candidates = {key: key for key in _FIXED_KEYS}
    candidates |= {f"item={item}": f"item={item}" for item in items}
    candidates |= {f"source={pk}": f"source={slug}" for pk, slug in sources.items()}
    for key, portable in candidates.items():
        if _fingerprint(flag.kind, claim_ids, key) == flag.fingerprint:
            return portable
    return None


def _flag_records(scope: ExportScope, exported_claims: set[str]) -> Iterator[dict[str, Any]]:
    flags = Flag.objects.all()
    if not scope.whole:
        # Through the link table, so the slugs read below are all of a flag's claims and not
        # only those in the scope.
        touching = Flag.claims.through.objects.filter(claim__in=scope.claims)
        flags = flags.filter(pk__in=touching.values("flag_id"))
    slugs_of: dict[int, list[str]] = defaultdict(list)
    kind_of: dict[int, str] = {}
    for flag_id, kind, slug in flags.order_by().values_list("id", "kind", "claims__slug"):
        kind_of[flag_id] = kind
        if slug is not None:
            slugs_of[flag_id].append(slug)
    if not scope.whole:
        # A flag about a claim left out would point at nothing in the document.
        kind_of = {
            f: k for f, k in kind_of.items() if set(slugs_of[f]) <= exported_claims and slugs_of[f]
        }
    # Ordered by what identifies a flag across databases; ties keep their order of creation,
    # which an import preserves, so a restored database exports in the same order.
    order = sorted(kind_of, key=lambda f: (kind_of[f], sorted(slugs_of[f]), f))
    for ids in _chunks(order):
        chunk = Flag.objects.filter(pk__in=ids).prefetch_related(
            Prefetch("claims", Claim.objects.only("id", "slug")),
            Prefetch("sources", Source.objects.only("id", "slug")),
        )
        by_id = {flag.pk: flag for flag in chunk}
        items: dict[int, set[str]] = defaultdict(set)
        claim_ids = {c.pk for flag in by_id.values() for c in flag.claims.all()}
        for claim_id, item in (
            Quantity.objects.filter(claim_id__in=claim_ids)
            .values_list("claim_id", "item")
            .distinct()
        ):
            items[claim_id].add(item)
        for flag_id in ids:
            flag = by_id[flag_id]
            claims_of_flag = list(flag.claims.all())
            sources = {s.pk: s.slug for s in flag.sources.all()}
            key = _portable_key(
                flag,
                [c.pk for c in claims_of_flag],
                {i for c in claims_of_flag for i in items[c.pk]},
                sources,
            )
            yield {
                "kind": flag.kind,
                "severity": flag.severity,
                "state": flag.state,
                "key": key,
                "fingerprint": flag.fingerprint if key is None else None,
                "claims": sorted(c.slug for c in claims_of_flag),
                "sources": sorted(sources.values()),
                "detail": flag.detail,
                "dismissed_reason": flag.dismissed_reason,
                "resolved_at": _time(flag.resolved_at),
            }


def _claim_records(scope: ExportScope, exported: set[str]) -> Iterator[dict[str, Any]]:
    for chunk in _claim_chunks(scope.claims):
        for claim in chunk:
            exported.add(claim.slug)
            yield _claim_record(claim)


def export_sections(scope: ExportScope) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    """Each section's name and its records, in document order. Consume each section before
    asking for the next: the flags section keeps to the claims the claims section wrote."""
    exported: set[str] = set()
    yield "actors", _actor_records(scope)
    yield "places", _place_records(scope)
    yield "sources", _source_records(scope)
    yield "events", _event_records(scope)
    yield "claims", _claim_records(scope, exported)
    yield "flags", _flag_records(scope, exported)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@contextmanager
def _snapshot() -> Iterator[None]:
    """A read-only, repeatable-read transaction on PostgreSQL, so that a backup is one
    consistent picture while the desk keeps editing. Inside a transaction already open (a test,
    a caller's own) that transaction's view is used."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def iter_json(scope: ExportScope) -> Iterator[str]:
    """The JSON document in pieces, one record a line, for streaming to a file or a response."""
    with _snapshot():
        head = {"format": FORMAT, "version": VERSION, "filters": dict(scope.filters)}
        yield _dumps(head)[:-1]
        for name, records in export_sections(scope):
            yield f',\n"{name}":['
            separator = "\n"
            for record in records:
                yield separator + _dumps(record)
                separator = ",\n"
            yield "\n]"
        yield "}\n"


def export_document(scope: ExportScope) -> dict[str, Any]:
    """The JSON document as a dict (what `iter_json` writes)."""
    with _snapshot():
        document: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "filters": dict(scope.filters),
        }
        for name, records in export_sections(scope):
            document[name] = list(records)
        return document


def canonical_json(document: Any) -> str:
    """One spelling of a document, to compare two exports byte for byte."""
    return _dumps(document)


# ---- CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "slug",
    "claimant",
    "claimant_name",
    "language",
    "text",
    "text_en",
    "text_ar",
    "stance",
    "stated_at",
    "event_start",
    "event_end",
    "event",
    "places",
    "tags",
    "state",
    "verdict",
    "quantities",
    "appearances",
    "roots",
    "independent_root_count",
    "chain_depth",
    "open_flags",
    "latest_review",
    "updated_at",
)
# Several values in one cell go on separate lines: the csv module quotes the cell, spreadsheets
# show it as lines, and no separator character has to be banned from the values.
LINES = "\n"
# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it text, shown without the apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _source_label(source: Source) -> str:
    return source.canonical_url or source.slug


def _csv_row(claim: Claim, parent_of: Mapping[int, int | None]) -> list[Any]:
    appearances = sorted(claim.appearances.all(), key=lambda a: a.source.slug)
    publisher_of: dict[int, int | None] = {}
    labels: dict[Any, str] = {}
    for a in appearances:
        publisher_of[a.source_id] = a.source.publisher_id
        labels[a.source_id] = _source_label(a.source)
        if a.via is not None:
            publisher_of.setdefault(a.via_id, a.via.publisher_id)  # type: ignore[arg-type]
            labels[a.via_id] = _source_label(a.via)
    report = chains.analyse_chain(
        [chains.Link(source=a.source_id, via=a.via_id) for a in appearances],
        publisher_of=publisher_of,
        parent_of=parent_of,
    )
    reviews = sorted(claim.reviews.all(), key=lambda r: (r.created_at, r.pk), reverse=True)
    latest = reviews[0] if reviews else None
    quantities = sorted((_quantity_record(q) for q in claim.quantities.all()), key=_quantity_order)
    return [
        claim.slug,
        claim.claimant.slug,
        claim.claimant.name,
        claim.language,
        claim.text,
        claim.text_en,
        claim.text_ar,
        claim.stance,
        _date(claim.stated_at) or "",
        _date(claim.event_start) or "",
        _date(claim.event_end) or "",
        claim.event.slug if claim.event is not None else "",
        LINES.join(sorted(p.name for p in claim.places.all())),
        LINES.join(claim.tags),
        claim.state,
        claim.verdict,
        LINES.join(
            "|".join(
                str(v) for v in (q["item"], q["low"], q["high"] or "", q["qualifier"], q["text"])
            )
            for q in quantities
        ),
        LINES.join(
            "|".join(
                (
                    a.source.publisher.name if a.source.publisher is not None else "",
                    _source_label(a.source),
                    _source_label(a.via) if a.via is not None else "",
                )
            )
            for a in appearances
        ),
        LINES.join(sorted(labels[r] for r in report.roots)),
        report.independent_root_count,
        report.depth,
        LINES.join(sorted(f.kind for f in claim.flags.all())),
        ""
        if latest is None
        else "|".join(
            (
                latest.verdict,
                _username(latest.reviewer) or "",
                _time(latest.created_at) or "",
                "published" if latest.published else "not published",
            )
        ),
        _time(claim.updated_at),
    ]


def iter_csv(scope: ExportScope, *, bom: bool = False) -> Iterator[str]:
    """The claims as CSV, one row each and the chain flattened into columns; `bom` starts it
    with a byte-order mark, which Excel needs to read UTF-8 (and so Arabic) correctly."""
    with _snapshot():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if bom:
            buffer.write("\ufeff")
        writer.writerow(CSV_COLUMNS)
        parent_of = dict(Actor.objects.values_list("id", "parent_id"))
        for chunk in _claim_chunks(scope.claims, for_csv=True):
            for claim in chunk:
                writer.writerow([defuse(value) for value in _csv_row(claim, parent_of)])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()


# ---- reading a document ---------------------------------------------------------------------


def refuse_if_larger(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise TransferError(
            f"The document is larger than the limit of {max_bytes:,} bytes; import it with "
            "`manage.py import_claims` instead.",
            code="too_large",
        )


def parse_document(raw: bytes | str, *, max_bytes: int | None = None) -> Any:
    """The JSON value in `raw`; TransferError with one clear sentence when it is too large,
    not UTF-8 or not JSON."""
    refuse_if_larger(len(raw.encode("utf-8") if isinstance(raw, str) else raw), max_bytes)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TransferError(f"The document is not UTF-8 text (byte {exc.start}).") from None
    if not raw.strip():
        raise TransferError("The document is empty; send a JSON object.")

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    try:
        return json.loads(raw, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise TransferError(
            f"The document is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from None
    except (ValueError, RecursionError) as exc:
        # NaN/Infinity, integers of thousands of digits, nesting deeper than Python recurses.
        raise TransferError(f"The document is not valid JSON: {exc}.") from None


# ---- validating a document ------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_URL = re.compile(r"^https?://\S+\Z", re.IGNORECASE)
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}\Z")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
_USERNAME = re.compile(r"^[\w.@+-]+\Z")

ACTOR_FIELDS = frozenset(
    {"slug", "name", "name_ar", "aliases", "kind", "parent", "party_to_conflict", "side",
     "reliability", "domains", "is_proposed"}
)  # fmt: skip
PLACE_FIELDS = frozenset({"ref", "geonames_id", "name", "name_ar"})
SOURCE_FIELDS = frozenset(
    {"slug", "url", "publisher", "author", "kind", "language", "published_at", "retrieved_at",
     "title", "text", "text_sha256", "html_sha256", "archive_url", "http_status",
     "is_placeholder", "last_checked_at", "last_check_error", "refetched_sha256"}
)  # fmt: skip
EVENT_FIELDS = frozenset({"slug", "title", "title_ar", "start", "end", "places", "status"})
CLAIM_FIELDS = frozenset(
    {"slug", "claimant", "language", "text", "text_en", "text_ar", "stance", "stated_at",
     "event_start", "event_end", "event", "places", "tags", "state", "verdict", "created_at",
     "created_by", "assigned_to", "quantities", "appearances", "reviews"}
)  # fmt: skip
QUANTITY_FIELDS = frozenset({"item", "low", "high", "qualifier", "approximate", "text"})
APPEARANCE_FIELDS = frozenset({"source", "via", "quote", "verb"})
REVIEW_FIELDS = frozenset(
    {"verdict", "rationale", "evidence_links", "language", "reviewer", "created_at", "published",
     "published_at", "published_by"}
)  # fmt: skip
FLAG_FIELDS = frozenset(
    {"kind", "severity", "state", "key", "fingerprint", "claims", "sources", "detail",
     "dismissed_reason", "resolved_at"}
)  # fmt: skip
TOP_FIELDS = frozenset({"format", "version", "filters", *SECTIONS})

_MISSING = object()


def _values(choices: Any) -> list[str]:
    return [value for value, _ in choices]


class _Reader:
    """Reads fields of one document, collecting every problem with its path instead of stopping
    at the first; each reader returns a usable value (the default) when the field is bad."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def records(self, data: Mapping[str, Any], section: str) -> list[tuple[str, dict[str, Any]]]:
        return self.objects(data.get(section, []), section)

    def objects(self, value: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
        if not isinstance(value, list):
            self.add(path, "must be a list")
            return []
        found = []
        for index, item in enumerate(value):
            at = f"{path}[{index}]"
            if isinstance(item, dict):
                found.append((at, item))
            else:
                self.add(at, "must be an object")
        return found

    def known_fields(self, record: Mapping[str, Any], path: str, allowed: Collection[str]) -> None:
        for name in record:
            if name not in allowed:
                self.add(f"{path}.{name}", "unknown field")

    def _string(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str):
            self.add(path, "must be a string")
            return None
        if not _storable(value):
            problem = "a NUL character" if "\x00" in value else "a lone surrogate, not text"
            self.add(path, f"contains {problem}")
            return None
        return value

    def text(
        self,
        record: Mapping[str, Any],
        name: str,
        path: str,
        *,
        max_length: int | None = None,
        required: bool = False,
    ) -> str:
        """A string; `required` also refuses one that is blank."""
        at = f"{path}.{name}"
        raw = record.get(name, _MISSING)
        if raw is _MISSING or raw is None:
            if required:
                self.add(at, "is required")
            elif raw is None:
                self.add(at, "must be a string, not null")
            return ""
        value = self._string(raw, at)
        if value is None:
            return ""
        if required and not value.strip():
            self.add(at, "must not be blank")
        if max_length is not None and len(value) > max_length:
            self.add(at, f"is longer than {max_length} characters")
        return value

    def slug(
        self, record: Mapping[str, Any], name: str, path: str, *, max_length: int, nullable: bool
    ) -> str | None:
        """A slug (letters, digits, - and _), naming a record here or in the database."""
        at = f"{path}.{name}"
        raw = record.get(name, _MISSING)
        if raw is _MISSING or raw is None:
            if not nullable:
                self.add(at, "is required")
            return None
        value = self._string(raw, at)
        if value is None:
            return None
        if not _SLUG.match(value) or len(value) > max_length:
            self.add(at, f"{value[:60]!r} is not a slug (letters, digits, - and _, at most "
                         f"{max_length})")  # fmt: skip
            return None
        return value

    def username(
        self, record: Mapping[str, Any], name: str, path: str, *, nullable: bool
    ) -> str | None:
        at = f"{path}.{name}"
        raw = record.get(name, _MISSING)
        if raw is _MISSING or raw is None:
            if not nullable:
                self.add(at, "is required")
            return None
        value = self._string(raw, at)
        if value is None:
            return None
        if not _USERNAME.match(value) or len(value) > 150:
            self.add(at, f"{value[:60]!r} is not a username")
            return None
        return value

    def choice(
        self, record: Mapping[str, Any], name: str, path: str, choices: Any, default: str | None
    ) -> str:
        at = f"{path}.{name}"
        raw = record.get(name, _MISSING)
        allowed = _values(choices)
        if raw is _MISSING and default is not None:
            return default
        if raw is _MISSING:
            self.add(at, f"is required (one of {', '.join(allowed)})")
            return allowed[0]
        if raw not in allowed:
            self.add(at, f"{repr(raw)[:60]} is not one of {', '.join(allowed)}")
            return default or allowed[0]
        return str(raw)

    def boolean(self, record: Mapping[str, Any], name: str, path: str, default: bool) -> bool:
        raw = record.get(name, _MISSING)
        if raw is _MISSING:
            return default
        if not isinstance(raw, bool):
            self.add(f"{path}.{name}", "must be true or false")
            return default
        return raw

    def integer(
        self,
        record: Mapping[str, Any],
        name: str,
        path: str,
        *,
        minimum: int,
        maximum: int,
        required: bool = False,
    ) -> int | None:
        at = f"{path}.{name}"
        raw = record.get(name, _MISSING)
        if raw is _MISSING or raw is None:
            if required:
                self.add(at, "is required")
            return None
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.add(at, "must be a whole number")
            return None
        if not minimum <= raw <= maximum:
            self.add(at, f"must be between {minimum} and {maximum}")
            return None
        return raw

    def date(self, record: Mapping[str, Any], name: str, path: str) -> dt.date | None:
        at = f"{path}.{name}"
        raw = record.get(name)
        if raw is None:
            return None
        value = self._string(raw, at)
        if value is None:
            return None
        try:
            # fromisoformat also takes 20251127 and week dates; the format says YYYY-MM-DD.
            if not _DATE.match(value):
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            self.add(at, f"{value[:40]!r} is not a date (YYYY-MM-DD)")
            return None

    def time(
        self, record: Mapping[str, Any], name: str, path: str, *, required: bool = False
    ) -> dt.datetime | None:
        at = f"{path}.{name}"
        raw = record.get(name)
        if raw is None:
            if required:
                self.add(at, "is required")
            return None
        value = self._string(raw, at)
        if value is None:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            self.add(at, f"{value[:40]!r} is not an ISO 8601 date and time")
            return None
        if parsed.tzinfo is None:
            self.add(at, "needs a time zone, e.g. 2025-11-27T10:00:00Z")
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            self.add(at, "is out of range")
            return None

    def strings(
        self,
        record: Mapping[str, Any],
        name: str,
        path: str,
        *,
        max_length: int | None = None,
    ) -> list[str]:
        at = f"{path}.{name}"
        raw = record.get(name, [])
        if not isinstance(raw, list):
            self.add(at, "must be a list of strings")
            return []
        values = []
        for index, item in enumerate(raw):
            value = self._string(item, f"{at}[{index}]")
            if value is None:
                continue
            if max_length is not None and len(value) > max_length:
                self.add(f"{at}[{index}]", f"is longer than {max_length} characters")
            values.append(value)
        return values

    def url(self, value: str, path: str) -> None:
        # Only what any stored URL satisfies: a stricter check would refuse to restore a URL
        # the tracker once accepted.
        if value and not _URL.match(value):
            self.add(path, f"{value[:80]!r} is not an http(s) URL")


@dataclass(frozen=True)
class Existing:
    """What the database already holds of the keys a document mentions: references resolve
    against the document first, then against these."""

    actor_parents: Mapping[str, str | None] = field(default_factory=dict)
    sources: Collection[str] = frozenset()
    source_by_url: Mapping[str, str] = field(default_factory=dict)
    events: Collection[str] = frozenset()
    claims: Collection[str] = frozenset()
    places: Collection[str] = frozenset()
    place_by_geonames: Mapping[int, str] = field(default_factory=dict)
    usernames: Collection[str] = frozenset()
    # (claim slug, reviewer, created_at) → (verdict, rationale, evidence_links, language)
    reviews: Mapping[tuple[str, str, dt.datetime], tuple[Any, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewPlan:
    reviewer: str
    created_at: dt.datetime
    values: dict[str, Any]  # verdict, rationale, evidence_links, language
    published: bool
    published_at: dt.datetime | None
    published_by: str | None

    def immutable(self) -> tuple[Any, ...]:
        v = self.values
        return (v["verdict"], v["rationale"], v["evidence_links"], v["language"])


@dataclass(frozen=True)
class AppearancePlan:
    source: str
    via: str | None
    quote: str
    verb: str


@dataclass(frozen=True)
class ClaimPlan:
    slug: str
    claimant: str
    event: str | None
    created_by: str | None
    assigned_to: str | None
    places: tuple[str, ...]
    created_at: dt.datetime | None
    values: dict[str, Any]
    quantities: tuple[tuple[Any, ...], ...]  # (item, low, high, qualifier, approximate, text)
    appearances: tuple[AppearancePlan, ...]
    reviews: tuple[ReviewPlan, ...]


@dataclass(frozen=True)
class FlagPlan:
    kind: str
    key: str | None
    fingerprint: str | None
    claims: tuple[str, ...]
    sources: tuple[str, ...]
    values: dict[str, Any]


@dataclass
class Plan:
    """A document that passed validation, as plain data with references by natural key."""

    actors: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    sources: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    events: list[tuple[str, tuple[str, ...], dict[str, Any]]] = field(default_factory=list)
    claims: list[ClaimPlan] = field(default_factory=list)
    flags: list[FlagPlan] = field(default_factory=list)
    usernames: set[str] = field(default_factory=set)


def _storable(value: str) -> bool:
    """Text PostgreSQL accepts: no NUL character, and valid UTF-8 (no lone surrogates)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def mentioned_keys(data: Any) -> dict[str, set[Any]]:
    """Every natural key a (possibly malformed) document mentions, by kind: what to look up in
    the database before validating. Values of the wrong type are skipped; validation reports
    them."""
    keys: dict[str, set[Any]] = defaultdict(set)
    if not isinstance(data, dict):
        return keys

    def nested(record: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
        value = record.get(name)
        return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []

    def records(section: str) -> list[dict[str, Any]]:
        return nested(data, section)

    def add(kind: str, value: Any) -> None:
        # Strings the database cannot even be asked about are left to validation to report.
        storable_text = isinstance(value, str) and _storable(value)
        whole_number = isinstance(value, int) and not isinstance(value, bool)
        if storable_text or whole_number:
            keys[kind].add(value)

    def add_all(kind: str, values: Any) -> None:
        if isinstance(values, list):
            for value in values:
                add(kind, value)

    for actor in records("actors"):
        add("actors", actor.get("slug"))
        add("actors", actor.get("parent"))
    for place in records("places"):
        add("places", place.get("ref"))
        add("geonames", place.get("geonames_id"))
    for source in records("sources"):
        add("sources", source.get("slug"))
        add("urls", source.get("url"))
        add("actors", source.get("publisher"))
    for event in records("events"):
        add("events", event.get("slug"))
        add_all("places", event.get("places"))
    for claim in records("claims"):
        add("claims", claim.get("slug"))
        add("actors", claim.get("claimant"))
        add("events", claim.get("event"))
        add_all("places", claim.get("places"))
        add("users", claim.get("created_by"))
        add("users", claim.get("assigned_to"))
        for app in nested(claim, "appearances"):
            add("sources", app.get("source"))
            add("sources", app.get("via"))
        for review in nested(claim, "reviews"):
            add("users", review.get("reviewer"))
            add("users", review.get("published_by"))
    for flag in records("flags"):
        add_all("claims", flag.get("claims"))
        add_all("sources", flag.get("sources"))
        key = flag.get("key")
        if isinstance(key, str) and key.startswith("source="):
            add("sources", key.removeprefix("source="))
    return keys


def _strs(values: Iterable[Any]) -> list[str]:
    return sorted(v for v in values if isinstance(v, str))


def existing_records(keys: Mapping[str, set[Any]]) -> Existing:
    """Look the mentioned keys up in the database: a few queries per chunk of keys."""

    def present(model: type[models.Model], field_name: str, values: Iterable[Any]) -> set[Any]:
        found: set[Any] = set()
        for chunk in _chunks(sorted(values)):
            found |= set(
                model._default_manager.filter(**{f"{field_name}__in": chunk}).values_list(
                    field_name, flat=True
                )
            )
        return found

    # The whole actor tree (hundreds of rows): a new parent is checked for cycles through it.
    actor_parents = dict(Actor.objects.values_list("slug", "parent__slug"))
    source_by_url: dict[str, str] = {}
    for chunk in _chunks(_strs(keys.get("urls", ()))):
        source_by_url.update(
            Source.objects.filter(canonical_url__in=chunk).values_list("canonical_url", "slug")
        )
    place_by_geonames: dict[int, str] = {}
    geonames = sorted(
        g for g in keys.get("geonames", ()) if isinstance(g, int) and 0 < g <= MAX_BIGINT
    )
    for chunk in _chunks(geonames):
        found = Place.objects.filter(geonames_id__in=chunk).values_list("geonames_id", "ref")
        place_by_geonames.update((g, ref) for g, ref in found if g is not None)
    claims = present(Claim, "slug", _strs(keys.get("claims", ())))
    user_model = get_user_model()
    reviews: dict[tuple[str, str, dt.datetime], tuple[Any, ...]] = {}
    for chunk in _chunks(sorted(claims)):
        rows: Iterable[tuple[Any, ...]] = Review.objects.filter(claim__slug__in=chunk).values_list(
            "claim__slug", f"reviewer__{user_model.USERNAME_FIELD}", "created_at", "verdict",
            "rationale", "evidence_links", "language",
        )  # fmt: skip
        for slug, reviewer, created_at, *immutable in rows:
            reviews[(slug, reviewer, created_at)] = tuple(immutable)
    return Existing(
        actor_parents=actor_parents,
        sources=present(Source, "slug", _strs(keys.get("sources", ()))),
        source_by_url=source_by_url,
        events=present(Event, "slug", _strs(keys.get("events", ()))),
        claims=claims,
        places=present(Place, "ref", _strs(keys.get("places", ()))),
        place_by_geonames=place_by_geonames,
        usernames=present(user_model, user_model.USERNAME_FIELD, _strs(keys.get("users", ()))),
        reviews=reviews,
    )


def _duplicates(r: _Reader, keyed: Iterable[tuple[str, Any]], what: str) -> None:
    first: dict[Any, str] = {}
    for path, key in keyed:
        if key is None:
            continue
        if key in first:
            r.add(path, f"{what} {key!r} is already used at {first[key]}")
        else:
            first[key] = path


def _check_actor_tree(
    r: _Reader, paths: Mapping[str, str], parents: Mapping[str, str | None], existing: Existing
) -> None:
    merged = {**existing.actor_parents, **parents}
    for slug, path in paths.items():
        parent = parents.get(slug)
        if parent is None:
            continue
        if parent not in merged:
            r.add(f"{path}.parent", f"{parent!r} is not an actor in the document or the database")
            continue
        seen = {slug}
        while parent is not None:
            if parent in seen:
                r.add(f"{path}.parent", "parents form a cycle")
                break
            seen.add(parent)
            parent = merged.get(parent)


def _validate_actors(
    r: _Reader, data: Mapping[str, Any], existing: Existing, plan: Plan
) -> set[str]:
    paths: dict[str, str] = {}
    parents: dict[str, str | None] = {}
    keyed = []
    for path, raw in r.records(data, "actors"):
        r.known_fields(raw, path, ACTOR_FIELDS)
        slug = r.slug(raw, "slug", path, max_length=100, nullable=False)
        parent = r.slug(raw, "parent", path, max_length=100, nullable=True)
        keyed.append((f"{path}.slug", slug))
        values = {
            "name": r.text(raw, "name", path, max_length=200, required=True),
            "name_ar": r.text(raw, "name_ar", path, max_length=200),
            "aliases": r.strings(raw, "aliases", path),
            "kind": r.choice(raw, "kind", path, Actor.Kind.choices, None),
            "party_to_conflict": r.boolean(raw, "party_to_conflict", path, False),
            "side": r.text(raw, "side", path, max_length=100),
            "reliability": r.choice(raw, "reliability", path, Actor.Reliability.choices, "F"),
            "domains": r.strings(raw, "domains", path),
            "is_proposed": r.boolean(raw, "is_proposed", path, False),
        }
        if slug is None:
            continue
        if slug == parent:
            r.add(f"{path}.parent", "an actor cannot be its own parent")
            parent = None
        if slug not in paths:
            paths[slug], parents[slug] = path, parent
            plan.actors.append((slug, parent, values))
    _duplicates(r, keyed, "slug")
    _check_actor_tree(r, paths, parents, existing)
    return set(paths)


def _validate_places(r: _Reader, data: Mapping[str, Any], existing: Existing) -> dict[str, str]:
    """The document's place refs mapped to this database's refs (a place found by GeoNames id
    may carry another ref here)."""
    resolved: dict[str, str] = {}
    keyed = []
    for path, raw in r.records(data, "places"):
        r.known_fields(raw, path, PLACE_FIELDS)
        ref = r.text(raw, "ref", path, max_length=100, required=True)
        geonames_id = r.integer(raw, "geonames_id", path, minimum=1, maximum=MAX_BIGINT)
        r.text(raw, "name", path, max_length=200)
        r.text(raw, "name_ar", path, max_length=200)
        keyed.append((f"{path}.ref", ref or None))
        if not ref:
            continue
        if ref in existing.places:
            resolved[ref] = ref
        elif geonames_id is not None and geonames_id in existing.place_by_geonames:
            resolved[ref] = existing.place_by_geonames[geonames_id]
        else:
            r.add(
                path,
                f"place {ref!r} is not in this database's gazetteer; load it first "
                "(`manage.py load_gazetteer`)",
            )
    _duplicates(r, keyed, "ref")
    return resolved


def _place_refs(
    r: _Reader, raw: Mapping[str, Any], path: str, places: Mapping[str, str], existing: Existing
) -> tuple[str, ...]:
    refs = []
    for index, ref in enumerate(r.strings(raw, "places", path, max_length=100)):
        if ref in places:
            refs.append(places[ref])
        elif ref in existing.places:
            refs.append(ref)
        else:
            r.add(f"{path}.places[{index}]", f"{ref!r} is not a place in the gazetteer")
    return tuple(sorted(set(refs)))


def _validate_sources(
    r: _Reader, data: Mapping[str, Any], existing: Existing, actors: set[str], plan: Plan
) -> set[str]:
    slugs: set[str] = set()
    keyed, urls = [], []
    for path, raw in r.records(data, "sources"):
        r.known_fields(raw, path, SOURCE_FIELDS)
        slug = r.slug(raw, "slug", path, max_length=150, nullable=False)
        publisher = r.slug(raw, "publisher", path, max_length=100, nullable=True)
        if (
            publisher is not None
            and publisher not in actors
            and publisher not in existing.actor_parents
        ):
            r.add(
                f"{path}.publisher",
                f"{publisher!r} is not an actor in the document or the database",
            )
        url = r.text(raw, "url", path, max_length=2000)
        r.url(url, f"{path}.url")
        archive_url = r.text(raw, "archive_url", path, max_length=2000)
        r.url(archive_url, f"{path}.archive_url")
        text = r.text(raw, "text", path)
        default_sha = hashlib.sha256(text.encode()).hexdigest() if text else ""
        values = {
            "canonical_url": url,
            "author": r.text(raw, "author", path, max_length=200),
            "kind": r.choice(raw, "kind", path, Source.Kind.choices, Source.Kind.ARTICLE),
            "language": r.choice(raw, "language", path, Language.choices, Language.ARABIC),
            "published_at": r.time(raw, "published_at", path),
            "retrieved_at": r.time(raw, "retrieved_at", path),
            "title": r.text(raw, "title", path, max_length=500),
            "text": text,
            "text_sha256": r.text(raw, "text_sha256", path, max_length=64)
            if "text_sha256" in raw
            else default_sha,
            "html_sha256": r.text(raw, "html_sha256", path, max_length=64),
            "archive_url": archive_url,
            "http_status": r.integer(raw, "http_status", path, minimum=100, maximum=599),
            "is_placeholder": r.boolean(raw, "is_placeholder", path, not text),
            "last_checked_at": r.time(raw, "last_checked_at", path),
            "last_check_error": r.text(raw, "last_check_error", path, max_length=300),
            "refetched_sha256": r.text(raw, "refetched_sha256", path, max_length=64),
        }
        keyed.append((f"{path}.slug", slug))
        if url:
            urls.append((f"{path}.url", url))
            owner = existing.source_by_url.get(url)
            if slug is not None and owner is not None and owner != slug:
                r.add(f"{path}.url", f"is already the URL of source {owner!r} in the database")
        if slug is not None and slug not in slugs:
            slugs.add(slug)
            plan.sources.append((slug, publisher, values))
    _duplicates(r, keyed, "slug")
    _duplicates(r, urls, "URL")
    return slugs


def _validate_events(
    r: _Reader, data: Mapping[str, Any], existing: Existing, places: Mapping[str, str], plan: Plan
) -> set[str]:
    slugs: set[str] = set()
    keyed = []
    for path, raw in r.records(data, "events"):
        r.known_fields(raw, path, EVENT_FIELDS)
        slug = r.slug(raw, "slug", path, max_length=150, nullable=False)
        start, end = r.date(raw, "start", path), r.date(raw, "end", path)
        if start and end and start > end:
            r.add(f"{path}.start", f"{start} is after end {end}")
        values = {
            "title": r.text(raw, "title", path, max_length=300, required=True),
            "title_ar": r.text(raw, "title_ar", path, max_length=300),
            "start": start,
            "end": end,
            "status": r.choice(raw, "status", path, Event.Status.choices, Event.Status.PROPOSED),
        }
        refs = _place_refs(r, raw, path, places, existing)
        keyed.append((f"{path}.slug", slug))
        if slug is not None and slug not in slugs:
            slugs.add(slug)
            plan.events.append((slug, refs, values))
    _duplicates(r, keyed, "slug")
    return slugs


def _validate_quantities(
    r: _Reader, raw: Mapping[str, Any], path: str
) -> tuple[tuple[Any, ...], ...]:
    quantities = []
    for at, q in r.objects(raw.get("quantities", []), f"{path}.quantities"):
        r.known_fields(q, at, QUANTITY_FIELDS)
        low = r.integer(q, "low", at, minimum=0, maximum=MAX_BIGINT, required=True)
        high = r.integer(q, "high", at, minimum=0, maximum=MAX_BIGINT)
        if low is not None and high is not None and low > high:
            r.add(f"{at}.low", f"{low} is greater than high {high}")
        quantities.append(
            (
                r.text(q, "item", at, max_length=100, required=True),
                low or 0,
                high,
                r.text(q, "qualifier", at, max_length=60),
                r.boolean(q, "approximate", at, False),
                r.text(q, "text", at, max_length=300),
            )
        )
    return tuple(
        sorted(quantities, key=lambda q: (*q[:2], MAX_BIGINT + 1 if q[2] is None else q[2], *q[3:]))
    )


def _validate_appearances(
    r: _Reader, raw: Mapping[str, Any], path: str, sources: set[str], existing: Existing
) -> tuple[AppearancePlan, ...]:
    appearances = []
    keyed = []
    for at, a in r.objects(raw.get("appearances", []), f"{path}.appearances"):
        r.known_fields(a, at, APPEARANCE_FIELDS)
        source = r.slug(a, "source", at, max_length=150, nullable=False)
        via = r.slug(a, "via", at, max_length=150, nullable=True)
        for name, slug in (("source", source), ("via", via)):
            if slug is not None and slug not in sources and slug not in existing.sources:
                r.add(f"{at}.{name}", f"{slug!r} is not a source in the document or the database")
        if source is not None and source == via:
            r.add(f"{at}.via", "a source cannot cite itself")
        keyed.append((f"{at}.source", source))
        appearance = AppearancePlan(
            source=source or "",
            via=via,
            quote=r.text(a, "quote", at),
            verb=r.text(a, "verb", at, max_length=60),
        )
        if source is not None:
            appearances.append(appearance)
    _duplicates(r, keyed, "source")
    return tuple(sorted({a.source: a for a in appearances}.values(), key=lambda a: a.source))


def _validate_reviews(
    r: _Reader, raw: Mapping[str, Any], path: str, claim: str | None, existing: Existing
) -> tuple[ReviewPlan, ...]:
    reviews = []
    keyed = []
    for at, v in r.objects(raw.get("reviews", []), f"{path}.reviews"):
        r.known_fields(v, at, REVIEW_FIELDS)
        links = r.strings(v, "evidence_links", at)
        reviewer = r.username(v, "reviewer", at, nullable=False)
        created_at = r.time(v, "created_at", at, required=True)
        published = r.boolean(v, "published", at, False)
        published_at = r.time(v, "published_at", at)
        if published and published_at is None:
            r.add(f"{at}.published_at", "is required when the review is published")
        review = ReviewPlan(
            reviewer=reviewer or "",
            created_at=created_at or dt.datetime.min.replace(tzinfo=dt.UTC),
            values={
                "verdict": r.choice(v, "verdict", at, Claim.Verdict.choices, None),
                "rationale": r.text(v, "rationale", at, required=True),
                "evidence_links": links,
                "language": r.choice(v, "language", at, Language.choices, Language.ENGLISH),
            },
            published=published,
            published_at=published_at,
            published_by=r.username(v, "published_by", at, nullable=True),
        )
        if reviewer is None or created_at is None:
            continue
        keyed.append((at, (reviewer, created_at)))
        stored = existing.reviews.get((claim or "", reviewer, created_at))
        if stored is not None and stored != review.immutable():
            r.add(
                at,
                f"the database holds another review by {reviewer!r} at this time; reviews are "
                "append-only, so only its publication may change",
            )
        reviews.append(review)
    _duplicates(r, keyed, "reviewer and created_at")
    return tuple(reviews)


def _validate_claims(
    r: _Reader,
    data: Mapping[str, Any],
    existing: Existing,
    *,
    actors: set[str],
    sources: set[str],
    events: set[str],
    places: Mapping[str, str],
    plan: Plan,
) -> set[str]:
    slugs: set[str] = set()
    keyed = []
    for path, raw in r.records(data, "claims"):
        r.known_fields(raw, path, CLAIM_FIELDS)
        slug = r.slug(raw, "slug", path, max_length=150, nullable=False)
        claimant = r.slug(raw, "claimant", path, max_length=100, nullable=False)
        if (
            claimant is not None
            and claimant not in actors
            and claimant not in existing.actor_parents
        ):
            r.add(
                f"{path}.claimant", f"{claimant!r} is not an actor in the document or the database"
            )
        event = r.slug(raw, "event", path, max_length=150, nullable=True)
        if event is not None and event not in events and event not in existing.events:
            r.add(f"{path}.event", f"{event!r} is not an event in the document or the database")
        start, end = r.date(raw, "event_start", path), r.date(raw, "event_end", path)
        if start and end and start > end:
            r.add(f"{path}.event_start", f"{start} is after event_end {end}")
        values = {
            "language": r.choice(raw, "language", path, Language.choices, Language.ARABIC),
            "text": r.text(raw, "text", path, required=True),
            "text_en": r.text(raw, "text_en", path),
            "text_ar": r.text(raw, "text_ar", path),
            "stance": r.choice(raw, "stance", path, Claim.Stance.choices, Claim.Stance.ASSERTS),
            "stated_at": r.date(raw, "stated_at", path),
            "event_start": start,
            "event_end": end,
            "tags": r.strings(raw, "tags", path),
            "state": r.choice(raw, "state", path, Claim.State.choices, Claim.State.NEW),
            "verdict": r.choice(
                raw, "verdict", path, Claim.Verdict.choices, Claim.Verdict.UNVERIFIED
            ),
        }
        claim = ClaimPlan(
            slug=slug or "",
            claimant=claimant or "",
            event=event,
            created_by=r.username(raw, "created_by", path, nullable=True),
            assigned_to=r.username(raw, "assigned_to", path, nullable=True),
            places=_place_refs(r, raw, path, places, existing),
            created_at=r.time(raw, "created_at", path),
            values=values,
            quantities=_validate_quantities(r, raw, path),
            appearances=_validate_appearances(r, raw, path, sources, existing),
            reviews=_validate_reviews(r, raw, path, slug, existing),
        )
        keyed.append((f"{path}.slug", slug))
        if slug is not None and slug not in slugs:
            slugs.add(slug)
            plan.claims.append(claim)
    _duplicates(r, keyed, "slug")
    return slugs


def _validate_flags(
    r: _Reader,
    data: Mapping[str, Any],
    existing: Existing,
    *,
    claims: set[str],
    sources: set[str],
    plan: Plan,
) -> None:
    identities = []
    for path, raw in r.records(data, "flags"):
        r.known_fields(raw, path, FLAG_FIELDS)
        kind = r.choice(raw, "kind", path, Flag.Kind.choices, None)
        state = r.choice(raw, "state", path, Flag.State.choices, Flag.State.OPEN)
        dismissed_reason = r.text(raw, "dismissed_reason", path)
        if state == Flag.State.DISMISSED and not dismissed_reason.strip():
            r.add(f"{path}.dismissed_reason", "is required when the flag is dismissed")
        claim_slugs = r.strings(raw, "claims", path, max_length=150)
        for index, slug in enumerate(claim_slugs):
            if slug not in claims and slug not in existing.claims:
                r.add(
                    f"{path}.claims[{index}]",
                    f"{slug!r} is not a claim in the document or the database",
                )
        source_slugs = r.strings(raw, "sources", path, max_length=150)
        for index, slug in enumerate(source_slugs):
            if slug not in sources and slug not in existing.sources:
                r.add(
                    f"{path}.sources[{index}]",
                    f"{slug!r} is not a source in the document or the database",
                )
        key = raw.get("key")
        fingerprint = raw.get("fingerprint")
        key = None if key is None else r.text(raw, "key", path, max_length=500)
        fingerprint = (
            None if fingerprint is None else r.text(raw, "fingerprint", path, max_length=64)
        )
        if key is None and not fingerprint:
            r.add(f"{path}.key", "a flag needs a key (or, failing that, a fingerprint)")
        elif key is None and fingerprint and not _FINGERPRINT.match(fingerprint):
            r.add(f"{path}.fingerprint", "must be 64 hexadecimal digits, as the rules make it")
        if key is not None and key.startswith("source="):
            slug = key.removeprefix("source=")
            if slug not in sources and slug not in existing.sources:
                r.add(
                    f"{path}.key",
                    f"names source {slug!r}, which is in neither the document nor the database",
                )
        values = {
            "severity": r.choice(raw, "severity", path, Flag.Severity.choices, Flag.Severity.MINOR),
            "state": state,
            "detail": r.text(raw, "detail", path, required=True),
            "dismissed_reason": dismissed_reason,
            "resolved_at": r.time(raw, "resolved_at", path),
        }
        identity = (kind, tuple(sorted(set(claim_slugs))), key) if key is not None else fingerprint
        identities.append((path, identity))
        plan.flags.append(
            FlagPlan(
                kind=kind,
                key=key,
                fingerprint=fingerprint if key is None else None,
                claims=tuple(sorted(set(claim_slugs))),
                sources=tuple(sorted(set(source_slugs))),
                values=values,
            )
        )
    _duplicates(r, identities, "flag")


def validate_document(data: Any, *, existing: Existing) -> tuple[Plan | None, list[Problem]]:
    """Check a whole document against itself and what the database holds (`existing`): types,
    required fields, known values, intervals, duplicates and every reference. Pure: returns the
    plan to write, or None and every problem found, each with its path."""
    r = _Reader()
    if not isinstance(data, dict):
        r.add("$", f"the document must be a JSON object, not {type(data).__name__}")
        return None, r.problems
    r.known_fields(data, "$", TOP_FIELDS)
    if data.get("format") != FORMAT:
        r.add("format", f"must be {FORMAT!r} (a claim-tracker export)")
    if data.get("version") != VERSION or isinstance(data.get("version"), bool):
        r.add("version", f"must be {VERSION}; this tracker reads version {VERSION} documents")
    if not isinstance(data.get("filters", {}), dict):
        r.add("filters", "must be an object")
    plan = Plan()
    actors = _validate_actors(r, data, existing, plan)
    places = _validate_places(r, data, existing)
    sources = _validate_sources(r, data, existing, actors, plan)
    events = _validate_events(r, data, existing, places, plan)
    claims = _validate_claims(
        r, data, existing, actors=actors, sources=sources, events=events, places=places, plan=plan
    )
    _validate_flags(r, data, existing, claims=claims, sources=sources, plan=plan)
    for claim in plan.claims:
        plan.usernames |= {u for u in (claim.created_by, claim.assigned_to) if u}
        for review in claim.reviews:
            plan.usernames |= {u for u in (review.reviewer, review.published_by) if u}
    if r.problems:
        return None, r.problems
    return plan, []


# ---- writing a document ---------------------------------------------------------------------


def _amount(n: int, plural: str) -> str:
    if n != 1:
        return f"{n} {plural}"
    singular = plural.removesuffix("ies") + "y" if plural.endswith("ies") else plural[:-1]
    return f"1 {singular.replace('accounts', 'account')}"


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do), or every reason it was refused."""

    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    users_created: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated or self.removed or self.users_created)

    def count(self, what: str, outcome: str, n: int = 1) -> None:
        if n:
            tally: dict[str, int] = getattr(self, outcome)
            tally[what] = tally.get(what, 0) + n

    def summary(self) -> str:
        if not self.ok:
            return (
                f"Import refused: {len(self.problems)} problem"
                f"{'s' if len(self.problems) != 1 else ''}; nothing was stored."
            )
        prefix = "Dry run, nothing stored; would have: " if self.dry_run else "Imported: "
        if not self.changed_anything:
            return prefix + "nothing changed."
        parts = [
            f"{_amount(n, what)} {outcome}"
            for outcome in ("created", "updated", "removed")
            for what, n in sorted(getattr(self, outcome).items())
        ]
        if self.users_created:
            parts.append(f"{_amount(len(self.users_created), 'inactive user accounts')} created")
        return prefix + ", ".join(parts) + "."

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "summary": self.summary(),
            "created": dict(sorted(self.created.items())),
            "updated": dict(sorted(self.updated.items())),
            "removed": dict(sorted(self.removed.items())),
            "unchanged": dict(sorted(self.unchanged.items())),
            "users_created": list(self.users_created),
            "problems": [{"path": p.path, "message": p.message} for p in self.problems],
        }


class _Writer:
    """Writes a validated plan: upserts by natural key, saving only rows whose values differ so
    that a second import of the same document writes nothing (and adds no history). Foreign
    keys are compared and set by id, so comparing a row never loads its relations."""

    def __init__(self, plan: Plan, *, user: AbstractBaseUser | None, report: ImportReport) -> None:
        self.plan = plan
        self.user = user
        self.report = report
        self.users: dict[str, int] = {}
        self.actors: dict[str, int] = {}
        self.sources: dict[str, int] = {}
        self.events: dict[str, int] = {}
        self.places: dict[str, int] = {}
        self.claims: dict[str, int] = {}

    def write(self) -> None:
        self.write_users()
        self.write_actors()
        self.write_sources()
        self.write_events()
        self.write_claims()
        self.write_flags()

    # -- helpers

    def _save(self, obj: models.Model) -> None:
        obj._change_reason = IMPORT_REASON  # type: ignore[attr-defined]  # read by simple-history
        obj._history_user = self.user  # type: ignore[attr-defined]
        obj.save()

    def _upsert(
        self, model: type[M], obj: M | None, lookup: Mapping[str, Any], values: Mapping[str, Any]
    ) -> tuple[M, str]:
        """Create the row, or change the values that differ; 'created', 'updated' or
        'unchanged'."""
        if obj is None:
            obj = model(**lookup, **values)
            self._save(obj)
            return obj, "created"
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, values[name])
        if changed:
            self._save(obj)
        return obj, "updated" if changed else "unchanged"

    @staticmethod
    def _rows(queryset: QuerySet[M], field_name: str, keys: Iterable[str]) -> dict[str, M]:
        found: dict[str, M] = {}
        for chunk in _chunks(sorted(set(keys))):
            for obj in queryset.filter(**{f"{field_name}__in": chunk}):
                found[getattr(obj, field_name)] = obj
        return found

    @staticmethod
    def _ids(
        model: type[models.Model], field_name: str, keys: Iterable[str], into: dict[str, int]
    ) -> None:
        missing = sorted(set(keys) - set(into))
        for chunk in _chunks(missing):
            rows = model._default_manager.filter(**{f"{field_name}__in": chunk})
            into.update(rows.values_list(field_name, "pk"))

    # -- sections

    def write_users(self) -> None:
        user_model = get_user_model()
        name = user_model.USERNAME_FIELD
        self._ids(user_model, name, self.plan.usernames, self.users)
        for username in sorted(self.plan.usernames - set(self.users)):
            # Claims and reviews name their people. An account that cannot log in keeps the
            # record whole until an admin activates it and gives the person a password.
            user = user_model(**{name: username}, is_active=False)
            user.set_unusable_password()
            user.save()
            self.users[username] = user.pk
            self.report.users_created.append(username)

    def write_actors(self) -> None:
        plan = self.plan.actors
        existing = self._rows(Actor.objects.all(), "slug", [slug for slug, _, _ in plan])
        self._ids(Actor, "slug", {parent for _, parent, _ in plan if parent}, self.actors)
        pending = list(plan)
        # Parents first: the document may list a child before its parent (validation ruled out
        # cycles, so every round writes at least one).
        while pending:
            waiting = {slug for slug, _, _ in pending}
            ready = [a for a in pending if a[1] is None or a[1] not in waiting]
            for slug, parent, values in ready:
                parent_id = self.actors[parent] if parent else None
                actor, outcome = self._upsert(
                    Actor, existing.get(slug), {"slug": slug}, {**values, "parent_id": parent_id}
                )
                self.actors[slug] = actor.pk
                self.report.count("actors", outcome)
            pending = [a for a in pending if a[0] not in {r[0] for r in ready}]

    def write_sources(self) -> None:
        plan = self.plan.sources
        self._ids(Actor, "slug", {publisher for _, publisher, _ in plan if publisher}, self.actors)
        for chunk in _chunks(plan):
            existing = self._rows(Source.objects.all(), "slug", [slug for slug, _, _ in chunk])
            for slug, publisher, values in chunk:
                before = existing.get(slug)
                old_text = before.text if before is not None else None
                publisher_id = self.actors[publisher] if publisher else None
                source, outcome = self._upsert(
                    Source, before, {"slug": slug}, {**values, "publisher_id": publisher_id}
                )
                if source.text and source.text != old_text:
                    # So that a republished copy of an imported document is recognised as one.
                    index_source(source)
                self.sources[slug] = source.pk
                self.report.count("sources", outcome)

    def _sync_places(self, manager: Any, refs: Sequence[str], current: set[str]) -> bool:
        if set(refs) == current:
            return False
        manager.set([self.places[ref] for ref in refs])
        return True

    def write_events(self) -> None:
        plan = self.plan.events
        self._ids(Place, "ref", {ref for _, refs, _ in plan for ref in refs}, self.places)
        events = Event.objects.prefetch_related(Prefetch("places", Place.objects.only("id", "ref")))
        for chunk in _chunks(plan):
            existing = self._rows(events, "slug", [slug for slug, _, _ in chunk])
            for slug, refs, values in chunk:
                before = existing.get(slug)
                current = {p.ref for p in before.places.all()} if before is not None else set()
                event, outcome = self._upsert(Event, before, {"slug": slug}, values)
                if self._sync_places(event.places, refs, current) and outcome == "unchanged":
                    outcome = "updated"
                self.events[slug] = event.pk
                self.report.count("events", outcome)

    def write_claims(self) -> None:
        plan = self.plan.claims
        self._ids(Place, "ref", {ref for c in plan for ref in c.places}, self.places)
        self._ids(Actor, "slug", {c.claimant for c in plan}, self.actors)
        self._ids(Event, "slug", {c.event for c in plan if c.event}, self.events)
        self._ids(
            Source,
            "slug",
            {s for c in plan for a in c.appearances for s in (a.source, a.via) if s},
            self.sources,
        )
        # Locked, so that the version an editor's If-Match is checked against moves with the
        # import; prefetched, so that comparing a chunk costs the same few queries at any size.
        claims = Claim.objects.select_for_update().prefetch_related(
            Prefetch("places", Place.objects.only("id", "ref")),
            "quantities",
            Prefetch(
                "appearances",
                Appearance.objects.select_related("source").only(
                    "id", "claim", "source", "via", "quote", "verb", "created_at", "source__slug"
                ),
            ),
            Prefetch("reviews", Review.objects.select_related("reviewer")),
        )
        for chunk in _chunks(plan):
            existing = self._rows(claims, "slug", [c.slug for c in chunk])
            for claim_plan in chunk:
                self.write_claim(claim_plan, existing.get(claim_plan.slug))

    def write_claim(self, plan: ClaimPlan, claim: Claim | None) -> None:
        values = {
            **plan.values,
            "claimant_id": self.actors[plan.claimant],
            "event_id": self.events[plan.event] if plan.event else None,
            "created_by_id": self.users[plan.created_by] if plan.created_by else None,
            "assigned_to_id": self.users[plan.assigned_to] if plan.assigned_to else None,
        }
        if claim is None:
            claim = Claim(slug=plan.slug, **values)
            self._save(claim)
            outcome, changed_fields = "created", []
            places: set[str] = set()
            quantities: list[Quantity] = []
            appearances: dict[str, Appearance] = {}
            reviews: dict[tuple[str, dt.datetime], Review] = {}
        else:
            outcome = "unchanged"
            changed_fields = [
                name for name, value in values.items() if getattr(claim, name) != value
            ]
            places = {p.ref for p in claim.places.all()}
            quantities = list(claim.quantities.all())
            appearances = {a.source.slug: a for a in claim.appearances.all()}
            reviews = {(r.reviewer.get_username(), r.created_at): r for r in claim.reviews.all()}
        parts_changed = self._sync_places(claim.places, plan.places, places)
        parts_changed |= self._sync_quantities(claim, plan, quantities)
        parts_changed |= self._sync_appearances(claim, plan, appearances)
        if outcome != "created" and (changed_fields or parts_changed):
            for name in changed_fields:
                setattr(claim, name, values[name])
            # An editor holding the old ETag must reload before their edit can land.
            claim.version += 1
            self._save(claim)
            outcome = "updated"
        if plan.created_at is not None and claim.created_at != plan.created_at:
            # auto_now_add stamps the time of the insert; the claim's own age, from which the
            # staleness SLA counts, is the one in the document.
            Claim.objects.filter(pk=claim.pk).update(created_at=plan.created_at)
            claim.created_at = plan.created_at
            outcome = "created" if outcome == "created" else "updated"
        self.claims[plan.slug] = claim.pk
        self.report.count("claims", outcome)
        self._sync_reviews(claim, plan, reviews)

    def _sync_quantities(self, claim: Claim, plan: ClaimPlan, current: list[Quantity]) -> bool:
        wanted = list(plan.quantities)
        stale = []
        for q in current:
            row = (q.item, q.low, q.high, q.qualifier, q.approximate, q.text)
            if row in wanted:
                wanted.remove(row)
            else:
                stale.append(q.pk)
        if stale:
            Quantity.objects.filter(pk__in=stale).delete()
        Quantity.objects.bulk_create(
            Quantity(claim=claim, item=item, low=low, high=high, qualifier=qualifier,
                     approximate=approximate, text=text)
            for item, low, high, qualifier, approximate, text in wanted
        )  # fmt: skip
        self.report.count("quantities", "removed", len(stale))
        self.report.count("quantities", "created", len(wanted))
        self.report.count("quantities", "unchanged", len(plan.quantities) - len(wanted))
        return bool(stale or wanted)

    def _sync_appearances(
        self, claim: Claim, plan: ClaimPlan, current: dict[str, Appearance]
    ) -> bool:
        changed = False
        wanted = {a.source for a in plan.appearances}
        for slug, appearance in current.items():
            if slug not in wanted:
                appearance._change_reason = IMPORT_REASON  # type: ignore[attr-defined]
                appearance._history_user = self.user  # type: ignore[attr-defined]
                appearance.delete()
                self.report.count("appearances", "removed")
                changed = True
        for a in plan.appearances:
            _, outcome = self._upsert(
                Appearance,
                current.get(a.source),
                {"claim": claim, "source_id": self.sources[a.source]},
                {
                    "quote": a.quote,
                    "verb": a.verb,
                    "via_id": self.sources[a.via] if a.via else None,
                },
            )
            self.report.count("appearances", outcome)
            changed |= outcome != "unchanged"
        return changed

    def _sync_reviews(
        self, claim: Claim, plan: ClaimPlan, current: Mapping[tuple[str, dt.datetime], Review]
    ) -> None:
        for review_plan in plan.reviews:
            publication = {
                "published": review_plan.published,
                "published_at": review_plan.published_at,
                "published_by_id": self.users[review_plan.published_by]
                if review_plan.published_by
                else None,
            }
            review = current.get((review_plan.reviewer, review_plan.created_at))
            if review is not None:
                # Only the publication of a review may change (Review.MUTABLE_FIELDS).
                _, outcome = self._upsert(Review, review, {}, publication)
                self.report.count("reviews", outcome)
                continue
            review = Review(
                claim=claim,
                reviewer_id=self.users[review_plan.reviewer],
                **review_plan.values,
                **publication,
            )
            self._save(review)
            # Reviews are append-only and their queryset refuses update(); restoring the time
            # a verdict was recorded is not an edit of it, so the base manager's plain queryset
            # writes that one column.
            Review._base_manager.filter(pk=review.pk).update(created_at=review_plan.created_at)
            self.report.count("reviews", "created")

    def write_flags(self) -> None:
        plan = self.plan.flags
        self._ids(Claim, "slug", {s for f in plan for s in f.claims}, self.claims)
        source_keys = {
            f.key.removeprefix("source=") for f in plan if f.key and f.key.startswith("source=")
        }
        self._ids(Source, "slug", {s for f in plan for s in f.sources} | source_keys, self.sources)
        flags = Flag.objects.prefetch_related(
            Prefetch("claims", Claim.objects.only("id")),
            Prefetch("sources", Source.objects.only("id")),
        )
        for chunk in _chunks(plan):
            prints = [self._fingerprint(f) for f in chunk]
            existing = self._rows(flags, "fingerprint", prints)
            restored_dismissals = [
                flag_plan
                for flag_plan, fingerprint in zip(chunk, prints, strict=True)
                if fingerprint not in existing and flag_plan.values["state"] == Flag.State.DISMISSED
            ]
            evidence = self._current_evidence(restored_dismissals)
            for flag_plan, fingerprint in zip(chunk, prints, strict=True):
                before = existing.get(fingerprint)
                values = {"kind": flag_plan.kind, **flag_plan.values}
                if before is None:
                    values["evidence_hash"] = evidence.get(fingerprint, "")
                flag, outcome = self._upsert(Flag, before, {"fingerprint": fingerprint}, values)
                claims = {self.claims[s] for s in flag_plan.claims}
                sources = {self.sources[s] for s in flag_plan.sources}
                if before is None or claims != {c.pk for c in before.claims.all()}:
                    flag.claims.set(claims)
                    outcome = "created" if before is None else "updated"
                if before is None or sources != {s.pk for s in before.sources.all()}:
                    flag.sources.set(sources)
                    outcome = "created" if before is None else "updated"
                self.report.count("flags", outcome)

    def _current_evidence(self, flags: Sequence[FlagPlan]) -> dict[str, str]:
        """Fingerprint → evidence hash of what the rules find now for these flags' claims and
        sources. A dismissed flag stays dismissed while its evidence hash matches the rules';
        the hash names database ids, so a restored dismissal needs the one for its new ids.
        (Open and resolved flags take theirs at their next check.)"""
        if not flags:
            return {}
        from claims import verification  # the rules' own loading, so the hashes are theirs

        now = timezone.now()
        claim_ids = {self.claims[s] for f in flags for s in f.claims}
        source_ids = {
            self.sources[f.key.removeprefix("source=")]
            for f in flags
            if f.key and f.key.startswith("source=")
        }
        findings: list[Finding] = []
        if claim_ids:
            batch = verification.load_batch(claim_ids)
            findings += verification.findings_for(batch, verification.Gazetteer.current(), now)
        if source_ids:
            findings += run_source_rules(verification.source_checks(source_ids))
        return {finding.fingerprint: finding.evidence_hash for finding in findings}

    def _fingerprint(self, flag: FlagPlan) -> str:
        """The fingerprint the rules give this flag in this database (see _portable_key)."""
        if flag.key is None:
            return flag.fingerprint or ""
        key = flag.key
        if key.startswith("source="):
            key = f"source={self.sources[key.removeprefix('source=')]}"
        return _fingerprint(flag.kind, [self.claims[s] for s in flag.claims], key)


def import_dataset(
    *, data: Any, user: AbstractBaseUser | None, dry_run: bool = False
) -> ImportReport:
    """Validate the whole document, then store all of it in one transaction or, when anything
    is wrong, nothing: the report lists every problem with its path. Records are upserted by
    natural key, so importing the same document twice changes nothing; records the document
    does not mention are left alone (a claim's quantities, appearances and places are replaced
    by the document's; reviews are append-only and only ever added or (re)published).
    A dry run does everything, reports it and rolls it back."""
    report = ImportReport(dry_run=dry_run)
    if not isinstance(data, dict):
        _, report.problems = validate_document(data, existing=Existing())
        return report
    try:
        with transaction.atomic():
            existing = existing_records(mentioned_keys(data))
            plan, problems = validate_document(data, existing=existing)
            if plan is None:
                report.problems = problems
                return report
            _Writer(plan, user=user, report=report).write()
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        # Validation ran against the database as it was; someone changed it since.
        report = ImportReport(dry_run=dry_run)
        report.problems = [
            Problem("$", f"the database changed during the import, try again ({exc})".strip())
        ]
    return report
