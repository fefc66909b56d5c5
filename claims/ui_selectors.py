"""Read queries of the editor UI: dashboard counts and activity, the review queue with its
filters, and everything the claim page shows (track record, drawn chain, conflicts, history).
Each keeps a constant number of queries whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from claims import chains, selectors
from claims.extraction.arabic import normalise
from claims.models import Actor, Appearance, Claim, Event, Flag, Place, Quantity, Review, Source

CONFLICT_KINDS = frozenset(
    {
        Flag.Kind.QUANTITY_CONFLICT,
        Flag.Kind.DATE_CONFLICT,
        Flag.Kind.PLACE_CONFLICT,
        Flag.Kind.DENIAL,
    }
)
RECENT_ACTIVITY = 20


# --- Dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    when: dt.datetime
    who: str
    why: str
    what: str  # "claim", "review" or "flag"
    change: str  # simple-history's "+", "~", "-"
    label: str
    claim_id: int | None


@dataclass
class Dashboard:
    by_state: list[tuple[str, int]]
    by_verdict: list[tuple[str, int]]
    open_flags: list[tuple[str, str, int]]
    activity: list[Activity]
    my_claims: list[Claim]


def _counts(
    rows: Sequence[dict[str, Any]], key: str, order: Sequence[str]
) -> list[tuple[str, int]]:
    found = {row[key]: row["n"] for row in rows}
    return [(value, found.get(value, 0)) for value in order]


def dashboard(user: Any) -> Dashboard:
    """Six queries: states, verdicts, open flags, three history tables (merged here), my work."""
    by_state = _counts(
        list(Claim.objects.order_by().values("state").annotate(n=Count("id"))),
        "state",
        Claim.State.values,
    )
    by_verdict = _counts(
        list(Claim.objects.order_by().values("verdict").annotate(n=Count("id"))),
        "verdict",
        Claim.Verdict.values,
    )
    open_flags = [
        (row["kind"], row["severity"], row["n"])
        for row in Flag.objects.filter(state=Flag.State.OPEN)
        .order_by("kind", "severity")
        .values("kind", "severity")
        .annotate(n=Count("id"))
    ]
    return Dashboard(
        by_state=by_state,
        by_verdict=by_verdict,
        open_flags=open_flags,
        activity=recent_activity(),
        my_claims=list(
            Claim.objects.filter(assigned_to=user)
            .select_related("claimant")
            .order_by("-priority", "id")[:50]
        ),
    )


def _who(record: Any) -> str:
    user = record.history_user
    return user.get_username() if user is not None else ""


def recent_activity(limit: int = RECENT_ACTIVITY) -> list[Activity]:
    """The latest history rows of claims, reviews and flags, newest first (four queries)."""
    history_claim = Claim.history.model
    history_review = Review.history.model
    history_flag = Flag.history.model
    rows: list[Activity] = []
    for record in history_claim.objects.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )[:limit]:
        rows.append(
            Activity(
                record.history_date,
                _who(record),
                record.history_change_reason or "",
                "claim",
                record.history_type,
                record.text[:100],
                record.id,
            )
        )
    for record in history_review.objects.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )[:limit]:
        rows.append(
            Activity(
                record.history_date,
                _who(record),
                record.history_change_reason or "",
                "review",
                record.history_type,
                record.verdict,
                record.claim_id,
            )
        )
    flags = list(
        history_flag.objects.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )[:limit]
    )
    claim_of: dict[int, int] = {}
    for flag_id, claim_id in (
        Flag.claims.through.objects.filter(flag_id__in={r.id for r in flags})
        .order_by("-claim_id")
        .values_list("flag_id", "claim_id")
    ):
        claim_of[flag_id] = claim_id
    for record in flags:
        rows.append(
            Activity(
                record.history_date,
                _who(record),
                record.history_change_reason or "",
                "flag",
                record.history_type,
                record.kind,
                claim_of.get(record.id),
            )
        )
    rows.sort(key=lambda a: a.when, reverse=True)
    return rows[:limit]


# --- Review queue --------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    flag_kind: str = ""
    state: str = ""
    verdict: str = ""
    claimant: Actor | None = None
    event: Event | None = None
    place: Place | None = None
    language: str = ""
    stated_from: dt.date | None = None
    stated_to: dt.date | None = None
    q: str = ""


def queue(filters: QueueFilters) -> QuerySet[Claim]:
    """Claims by priority, filtered; the page's rows bring claimant, assignee and open flags."""
    claims = Claim.objects.select_related("claimant", "assigned_to").prefetch_related(
        Prefetch(
            "flags",
            queryset=Flag.objects.filter(state=Flag.State.OPEN).order_by("kind"),
            to_attr="open_flags",
        )
    )
    if filters.flag_kind:
        # Exists, not a join, so a claim with two matching flags is still one row.
        claims = claims.filter(
            Exists(
                Flag.claims.through.objects.filter(
                    claim_id=OuterRef("pk"),
                    flag__kind=filters.flag_kind,
                    flag__state=Flag.State.OPEN,
                )
            )
        )
    if filters.state:
        claims = claims.filter(state=filters.state)
    if filters.verdict:
        claims = claims.filter(verdict=filters.verdict)
    if filters.claimant is not None:
        claims = claims.filter(claimant=filters.claimant)
    if filters.event is not None:
        claims = claims.filter(event=filters.event)
    if filters.place is not None:
        # The materialised path makes "this place and everything under it" one prefix match.
        claims = claims.filter(
            Exists(
                Claim.places.through.objects.filter(
                    claim_id=OuterRef("pk"), place__path__startswith=filters.place.path
                )
            )
        )
    if filters.language:
        claims = claims.filter(language=filters.language)
    if filters.stated_from is not None:
        claims = claims.filter(stated_at__gte=filters.stated_from)
    if filters.stated_to is not None:
        claims = claims.filter(stated_at__lte=filters.stated_to)
    term = normalise(filters.q)
    if term:
        claims = claims.filter(search_text__icontains=term)
    return claims.order_by("-priority", "-stated_at", "id")


def assignable_users() -> QuerySet[Any]:
    """Users who may edit claims, the only ones workflow.assign accepts."""
    user_model = get_user_model()
    return (
        user_model._default_manager.filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="change_claim")
            | Q(user_permissions__codename="change_claim"),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


# --- Claim page ----------------------------------------------------------------------------


@dataclass
class ChainNode:
    source: Source
    is_root: bool
    partisan: bool
    anonymous: bool
    children: list[ChainNode] = field(default_factory=list)


@dataclass
class ChainView:
    trees: list[ChainNode]
    root_count: int
    independent_root_count: int
    depth: int
    has_cycle: bool
    partisan_only: bool
    root_publishers: list[str]


def chain_view(claim: Claim) -> ChainView:
    """The claim's chain as nested nodes from the appearance down its via links to the roots."""
    chain = selectors.chain_for_claim(claim.pk)
    paths = chains.chain_paths(chain.links)
    in_chain = {s for path in paths for s in path}
    sources = Source.objects.select_related("publisher").in_bulk(in_chain)

    def node(source_id: Any) -> ChainNode:
        source = sources[source_id]
        publisher = source.publisher
        return ChainNode(
            source=source,
            is_root=source_id in chain.report.roots,
            partisan=publisher is not None
            and chains.is_under(publisher.pk, claim.claimant_id, chain.parent_of),
            anonymous=publisher is not None and publisher.kind == Actor.Kind.ANONYMOUS,
        )

    trees: list[ChainNode] = []
    for path in paths:
        level = trees
        for source_id in path:
            existing = next((n for n in level if n.source.pk == source_id), None)
            if existing is None:
                existing = node(source_id)
                level.append(existing)
            level = existing.children
    return ChainView(
        trees=trees,
        root_count=len(chain.report.roots),
        independent_root_count=chain.report.independent_root_count,
        depth=chain.report.depth,
        has_cycle=chain.report.has_cycle,
        partisan_only=chain.roots_all_under_claimant,
        root_publishers=chain.root_publishers(),
    )


def claim_for_page(claim_id: int) -> Claim:
    return (
        Claim.objects.select_related("claimant__parent", "event", "assigned_to")
        .prefetch_related(
            Prefetch("places", queryset=Place.objects.order_by("path")),
            Prefetch("quantities", queryset=Quantity.objects.order_by("item", "id")),
            Prefetch(
                "appearances",
                queryset=Appearance.objects.select_related("source__publisher", "via__publisher"),
            ),
        )
        .get(pk=claim_id)
    )


def track_record(claimant_id: int) -> list[tuple[str, int]]:
    """How many of this claimant's claims ended with each verdict (only verdicts that occur)."""
    rows = list(
        Claim.objects.filter(claimant_id=claimant_id)
        .order_by()
        .values("verdict")
        .annotate(n=Count("id"))
    )
    return [(v, n) for v, n in _counts(rows, "verdict", Claim.Verdict.values) if n]


@dataclass
class Cell:
    text: str
    differs: bool


@dataclass
class ConflictSide:
    claim: Claim
    quantities: list[Cell]
    dates: list[tuple[str, Cell]]
    places: list[Cell]
    sources: list[Source]


@dataclass
class FlagView:
    flag: Flag
    sides: list[ConflictSide]


def _quantity_text(q: Quantity) -> str:
    high = "…" if q.high is None else str(q.high)
    bounds = str(q.low) if q.high == q.low else f"{q.low}–{high}"
    return f"{q.item}: {bounds}" + (f" ({q.text})" if q.text else "")


def _sides(claims: list[Claim]) -> list[ConflictSide]:
    """Two claims side by side, each value marked when the other claim says something else."""
    sides = []
    for claim in claims:
        others = [c for c in claims if c.pk != claim.pk]
        other_quantities = {(q.item, q.low, q.high) for o in others for q in o.quantities.all()}
        other_items = {q.item for o in others for q in o.quantities.all()}
        other_places = {p.pk for o in others for p in o.places.all()}
        dates = []
        for name in ("stated_at", "event_start", "event_end"):
            value = getattr(claim, name)
            differs = any(getattr(o, name) != value for o in others) and value is not None
            dates.append((name, Cell(value.isoformat() if value else "", differs)))
        sides.append(
            ConflictSide(
                claim=claim,
                quantities=[
                    Cell(
                        _quantity_text(q),
                        q.item in other_items and (q.item, q.low, q.high) not in other_quantities,
                    )
                    for q in claim.quantities.all()
                ],
                dates=dates,
                places=[
                    Cell(str(p), bool(others) and p.pk not in other_places)
                    for p in claim.places.all()
                ],
                sources=[a.source for a in claim.appearances.all()],
            )
        )
    return sides


def open_flags(claim_id: int) -> list[FlagView]:
    """Open flags on the claim; conflict kinds bring both claims with sources and values."""
    flags = list(
        Flag.objects.filter(claims=claim_id, state=Flag.State.OPEN)
        .order_by("kind", "id")
        .prefetch_related(
            Prefetch(
                "claims",
                queryset=Claim.objects.select_related("claimant").prefetch_related(
                    Prefetch("quantities", queryset=Quantity.objects.order_by("item", "id")),
                    Prefetch("places", queryset=Place.objects.order_by("path")),
                    Prefetch(
                        "appearances",
                        queryset=Appearance.objects.select_related("source__publisher"),
                    ),
                ),
            )
        )
    )
    views = []
    for flag in flags:
        sides: list[ConflictSide] = []
        if flag.kind in CONFLICT_KINDS:
            # This claim first, then the one it conflicts with.
            claims = sorted(flag.claims.all(), key=lambda c: (c.pk != claim_id, c.pk))
            sides = _sides(claims)
        views.append(FlagView(flag=flag, sides=sides))
    return views


@dataclass
class HistoryEntry:
    when: dt.datetime
    who: str
    why: str
    version: int
    changes: list[tuple[str, str, str]]


def claim_history(claim_id: int) -> list[HistoryEntry]:
    """Who changed the claim, when, why and what, newest first (one query)."""
    records = list(
        Claim.history.filter(id=claim_id)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    entries = []
    previous = None
    for record in records:
        changes: list[tuple[str, str, str]] = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=["version"])
            changes = [
                (c.field, "" if c.old is None else str(c.old), "" if c.new is None else str(c.new))
                for c in delta.changes
            ]
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=_who(record),
                why=record.history_change_reason or "",
                version=record.version,
                changes=changes,
            )
        )
        previous = record
    entries.reverse()
    return entries


def claim_as_of_version(claim_id: int, version: int) -> Any | None:
    """The claim as it stood at `version` (its history record), or None if history lacks it."""
    return Claim.history.filter(id=claim_id, version=version).order_by("-history_date").first()


def reviews(claim_id: int) -> list[Review]:
    return list(
        Review.objects.filter(claim_id=claim_id)
        .select_related("reviewer", "published_by")
        .order_by("-created_at", "-id")
    )
