"""Read queries of the editor UI: dashboard counts and activity, the review queue with its
filters, everything the claim page shows (track record, drawn chain, conflicts, history),
the actor, event and source pages, and the ingest progress and proposals. Each keeps a constant
number of queries whatever the number of rows."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.paginator import Page
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)

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
RECENT_LISTED = 8


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
    recent_sources: list[Source]
    recent_events: list[Event]


def _counts(
    rows: Sequence[dict[str, Any]], key: str, order: Sequence[str]
) -> list[tuple[str, int]]:
    found = {row[key]: row["n"] for row in rows}
    return [(value, found.get(value, 0)) for value in order]


def dashboard(user: Any) -> Dashboard:
    """Nine queries: states, verdicts, open flags, three history tables and the claims of the
    flags in them (merged here), my work, the latest sources and the latest events."""
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
        recent_sources=list(
            Source.objects.filter(is_placeholder=False)
            .select_related("publisher")
            .annotate(claim_count=Count("appearances"))
            .order_by("-created_at", "-id")[:RECENT_LISTED]
        ),
        recent_events=list(
            Event.objects.annotate(claim_count=Count("claims")).order_by(
                F("start").desc(nulls_last=True), "-id"
            )[:RECENT_LISTED]
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


QUEUE_ROW_FIELDS = (
    "id",
    "text",
    "priority",
    "stated_at",
    "state",
    "verdict",
    "claimant__slug",
    "claimant__name",
    "claimant__name_ar",
    "assigned_to__username",
)


def queue(filters: QueueFilters) -> QuerySet[Claim]:
    """Claims by priority, filtered; the page's rows bring claimant and assignee."""
    # Only the columns a row shows; the open flags come per page, counted (with_flag_badges).
    claims = Claim.objects.select_related("claimant", "assigned_to").only(*QUEUE_ROW_FIELDS)
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
        # Both sides are already case-folded by normalise(): a plain LIKE, not UPPER() LIKE.
        claims = claims.filter(search_text__contains=term)
    return claims.order_by("-priority", "-stated_at", "id")


@dataclass(frozen=True)
class FlagBadge:
    """A claim's open flags of one kind, shown once with their number and the worst severity:
    a claim in a crowded event can carry eight date conflicts, which read better as one
    "Date conflict ×8" than as eight badges."""

    kind: str
    severity: str
    count: int


SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Flag.Severity.values)}


def with_flag_badges(page: Page) -> Page:
    """The page with `flag_badges` on each of its claims, in one grouped query."""
    claims = list(page.object_list)
    page.object_list = claims
    rows = (
        Flag.claims.through.objects.filter(
            claim_id__in=[c.pk for c in claims], flag__state=Flag.State.OPEN
        )
        .values("claim_id", "flag__kind", "flag__severity")
        .annotate(n=Count("pk"))
        .values_list("claim_id", "flag__kind", "flag__severity", "n")  # type: ignore[misc]
        .order_by()
    )
    found: dict[int, dict[str, FlagBadge]] = {}
    for claim_id, kind, severity, n in rows:
        badges = found.setdefault(claim_id, {})
        seen = badges.get(kind)
        if seen is not None:
            n += seen.count
            severity = max(severity, seen.severity, key=SEVERITY_RANK.__getitem__)
        badges[kind] = FlagBadge(kind=kind, severity=severity, count=n)
    for claim in claims:
        claim.flag_badges = sorted(
            found.get(claim.pk, {}).values(), key=operator.attrgetter("kind")
        )
    return page


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
    # claim_for_page brought the appearances with their sources, vias and publishers: every
    # source of the chain is one of them, since its links are those appearances.
    appearances = list(claim.appearances.all())
    chain = selectors.chain_of(claim, appearances)
    paths = chains.chain_paths(chain.links)
    sources: dict[Any, Source] = {}
    for appearance in appearances:
        sources[appearance.source_id] = appearance.source
        if appearance.via is not None:
            sources[appearance.via_id] = appearance.via

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
    flags = list(Flag.objects.filter(claims=claim_id, state=Flag.State.OPEN).order_by("kind", "id"))
    # Only conflicts show the claims side by side: a claim without one spares four queries.
    prefetch_related_objects(
        [flag for flag in flags if flag.kind in CONFLICT_KINDS],
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
        ),
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


# --- Actor page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerdictShare:
    verdict: str
    count: int
    # Share of the actor's claims rounded to 5 %, for a CSS width class (no inline styles: the
    # pages run under a strict Content-Security-Policy).
    width: int


def actor_by_key(key: str) -> Actor:
    """The actor named by id or slug (links use slugs; ids keep working)."""
    actors = Actor.objects.all()
    if key.isdigit():
        found = actors.filter(pk=int(key)).first()
        if found is not None:
            return found
    return actors.get(slug=key)


def actor_ancestors(actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the actor's parents from the top down (one query: the hierarchy is small)."""
    parent_of, names = selectors.actor_hierarchy()
    chain: list[tuple[int, str]] = []
    seen = {actor.pk}
    parent = parent_of.get(actor.pk)
    while parent is not None and parent not in seen:
        seen.add(parent)
        chain.append((parent, names[parent]))
        parent = parent_of.get(parent)
    chain.reverse()
    return chain


def actor_children(actor_id: int) -> list[Actor]:
    return list(Actor.objects.filter(parent_id=actor_id).order_by("name"))


def verdict_shares(claimant_id: int) -> list[VerdictShare]:
    """Every verdict with how many of the claimant's claims carry it (one query)."""
    rows = list(
        Claim.objects.filter(claimant_id=claimant_id)
        .order_by()
        .values("verdict")
        .annotate(n=Count("id"))
    )
    counts = _counts(rows, "verdict", Claim.Verdict.values)
    total = sum(n for _, n in counts)
    shares = []
    for verdict, n in counts:
        width = 5 * round(20 * n / total) if total else 0
        # A verdict that occurs at all keeps a visible sliver of bar.
        shares.append(VerdictShare(verdict, n, max(width, 5) if n else 0))
    return shares


def actor_claims(actor_id: int) -> QuerySet[Claim]:
    """The actor's claims, newest statement first, with their event (open flags per page:
    with_flag_badges)."""
    return (
        Claim.objects.filter(claimant_id=actor_id)
        .select_related("event")
        .order_by(F("stated_at").desc(nulls_last=True), "-id")
    )


# --- Event page ----------------------------------------------------------------------------


@dataclass
class EventRow:
    """One claim of an event, each value marked when it disagrees with the other claims."""

    claim: Claim
    stance: Cell
    quantities: list[Cell]
    stated_at: Cell
    window: Cell
    places: list[Cell]
    appearances: list[Appearance]
    verdict: Cell
    open_flags: list[Flag]


def event_for_page(event_id: int) -> Event:
    return Event.objects.prefetch_related(
        Prefetch("places", queryset=Place.objects.order_by("path"))
    ).get(pk=event_id)


T = TypeVar("T")


def contested(
    values: dict[int, list[T]],
    *,
    comparable: Callable[[T, T], bool] = lambda a, b: True,
    agree: Callable[[T, T], bool] = operator.eq,
) -> set[tuple[int, int]]:
    """(claim, index) of each value that another claim contradicts with a value backed by at
    least as many claims. With 15, 15 and 30 killed only the 30 is marked; with 15 and 30
    both are: the reader cannot tell which side is the odd one. A value's backing is the number
    of claims giving a comparable value that agrees with it."""

    def backing(value: T) -> int:
        return sum(
            any(comparable(value, w) and agree(value, w) for w in theirs)
            for theirs in values.values()
        )

    support = {(c, i): backing(v) for c, vs in values.items() for i, v in enumerate(vs)}
    marked = set()
    for claim_id, mine in values.items():
        for i, value in enumerate(mine):
            if any(
                comparable(value, w)
                and not agree(value, w)
                and support[(other, j)] >= support[(claim_id, i)]
                for other, theirs in values.items()
                if other != claim_id
                for j, w in enumerate(theirs)
            ):
                marked.add((claim_id, i))
    return marked


def _bounds(q: Quantity) -> tuple[float, float]:
    low, high = float(q.low), float("inf") if q.high is None else float(q.high)
    if q.approximate:
        # DESIGN §3: approximate numbers are widened by 10 % when compared.
        low, high = low * 0.9, high * 1.1
    return low, high


def _overlap(a: tuple[Any, Any], b: tuple[Any, Any]) -> bool:
    return not (a[1] < b[0] or b[1] < a[0])


def quantity_text(q: Quantity) -> str:
    """A quantity as its interval: 15, [24–99], ≥ 131, ≈ 50; the qualifier comes separately."""
    prefix = "≈ " if q.approximate else ""
    if q.high is None:
        return f"{q.item}: ≥ {q.low}"
    if q.high == q.low:
        return f"{q.item}: {prefix}{q.low}"
    return f"{q.item}: {prefix}[{q.low}–{q.high}]"


def _window(claim: Claim) -> tuple[dt.date, dt.date] | None:
    start = claim.event_start or claim.event_end
    end = claim.event_end or claim.event_start
    return (start, end) if start and end else None


def _window_text(claim: Claim) -> str:
    window = _window(claim)
    if window is None:
        return ""
    start, end = window
    return start.isoformat() if start == end else f"{start.isoformat()} – {end.isoformat()}"


def _related(a: Place, b: Place) -> bool:
    # One is inside the other in the gazetteer (Syria › Homs › Homs city): not a disagreement.
    return a.path.startswith(b.path) or b.path.startswith(a.path)


def _one(value: Any) -> list[Any]:
    return [] if value in (None, "") else [value]


def compare_claims(claims: Sequence[Claim]) -> list[EventRow]:
    """The comparison table of an event. Numbers of the same item and event windows disagree
    when they cannot both be true (disjoint intervals, as the conflict rules judge them),
    places when they are not on one line of the gazetteer, stance, statement date and verdict
    when they differ; see `contested` for which side of a disagreement is marked."""
    quantities = {c.pk: list(c.quantities.all()) for c in claims}
    places = {c.pk: list(c.places.all()) for c in claims}
    odd_quantities = contested(
        quantities,
        comparable=lambda a, b: a.item == b.item,
        agree=lambda a, b: _overlap(_bounds(a), _bounds(b)),
    )
    odd_windows = contested({c.pk: _one(_window(c)) for c in claims}, agree=_overlap)
    odd_places = contested(places, agree=_related)
    odd_stance = contested({c.pk: _one(c.stance) for c in claims})
    odd_stated = contested({c.pk: _one(c.stated_at) for c in claims})
    odd_verdict = contested({c.pk: _one(c.verdict) for c in claims})
    rows = []
    for claim in claims:
        pk = claim.pk
        rows.append(
            EventRow(
                claim=claim,
                stance=Cell(claim.stance, (pk, 0) in odd_stance),
                quantities=[
                    Cell(
                        quantity_text(q) + (f" · {q.qualifier}" if q.qualifier else ""),
                        (pk, i) in odd_quantities,
                    )
                    for i, q in enumerate(quantities[pk])
                ],
                stated_at=Cell(
                    claim.stated_at.isoformat() if claim.stated_at else "", (pk, 0) in odd_stated
                ),
                window=Cell(_window_text(claim), (pk, 0) in odd_windows),
                places=[Cell(str(p), (pk, i) in odd_places) for i, p in enumerate(places[pk])],
                appearances=list(claim.appearances.all()),
                verdict=Cell(claim.verdict, (pk, 0) in odd_verdict),
                open_flags=list(getattr(claim, "open_flags", [])),
            )
        )
    return rows


def event_rows(event_id: int) -> list[EventRow]:
    """Every claim about the event with what the table shows, in six queries."""
    claims = list(
        Claim.objects.filter(event_id=event_id)
        .select_related("claimant")
        .prefetch_related(
            Prefetch("quantities", queryset=Quantity.objects.order_by("item", "id")),
            Prefetch("places", queryset=Place.objects.order_by("path")),
            Prefetch(
                "appearances",
                queryset=Appearance.objects.select_related("source__publisher", "via__publisher"),
            ),
            Prefetch(
                "flags",
                queryset=Flag.objects.filter(state=Flag.State.OPEN).order_by("kind"),
                to_attr="open_flags",
            ),
        )
        .order_by(F("stated_at").asc(nulls_last=True), "id")
    )
    return compare_claims(claims)


# --- Source page ---------------------------------------------------------------------------


@dataclass
class SourcePage:
    source: Source
    appearances: list[Appearance]  # the claims appearing in it, each with what it cites
    cites: list[Source]  # upstream sources it cites for its claims
    cited_by: list[Appearance]  # appearances elsewhere that cite this source (via)
    open_flags: list[Flag]
    text_changed: bool  # the last re-fetch found a different text


def source_page(source_id: int) -> SourcePage:
    """The source, its claims, what it cites and what cites it: five queries."""
    source = Source.objects.select_related("publisher").get(pk=source_id)
    appearances = list(
        Appearance.objects.filter(source_id=source_id)
        .select_related("claim__claimant", "via__publisher")
        .order_by("claim_id")
    )
    cites: dict[int, Source] = {}
    for appearance in appearances:
        if appearance.via is not None:
            cites.setdefault(appearance.via.pk, appearance.via)
    cited_by = list(
        Appearance.objects.filter(via_id=source_id)
        .select_related("source__publisher", "claim__claimant")
        .order_by("source_id", "claim_id")
    )
    flags = list(
        Flag.objects.filter(sources=source_id, state=Flag.State.OPEN).order_by("kind", "id")
    )
    return SourcePage(
        source=source,
        appearances=appearances,
        cites=list(cites.values()),
        cited_by=cited_by,
        open_flags=flags,
        text_changed=bool(
            source.refetched_sha256
            and source.text_sha256
            and source.refetched_sha256 != source.text_sha256
        ),
    )


# --- Ingest and proposals ------------------------------------------------------------------


def proposals_of_source(source_id: int) -> list[Claim]:
    """The claims appearing in a source, with everything their proposal form edits; each
    claim's `appearances` holds only its appearance in this source (five queries)."""
    return list(
        Claim.objects.filter(appearances__source_id=source_id)
        .select_related("claimant")
        .prefetch_related(
            Prefetch("quantities", queryset=Quantity.objects.order_by("item", "id")),
            Prefetch("places", queryset=Place.objects.order_by("path")),
            Prefetch(
                "appearances",
                queryset=Appearance.objects.filter(source_id=source_id).select_related(
                    "via__publisher"
                ),
            ),
        )
        .distinct()
        .order_by("id")
    )


def proposed_by_ingestion(claim_ids: Sequence[int]) -> set[int]:
    """Which of these claims ingestion created (the only ones a rejection may remove)."""
    from claims.ingestion import INGEST_REASON

    return set(
        Claim.history.filter(
            id__in=claim_ids, history_type="+", history_change_reason=INGEST_REASON
        ).values_list("id", flat=True)
    )


def actor_options() -> list[tuple[int, str]]:
    """Every actor as a select option, read once per page however many forms show it."""
    return [
        (pk, f"{name} · {name_ar}" if name_ar else name)
        for pk, name, name_ar in Actor.objects.order_by("name").values_list("id", "name", "name_ar")
    ]


def place_options() -> list[tuple[int, str]]:
    """Every gazetteer place as an option, indented under its parent, read once per page."""
    options = []
    for pk, name, name_ar, path in Place.objects.order_by("path").values_list(
        "id", "name", "name_ar", "path"
    ):
        depth = max(path.count("/") - 1, 0)
        label = f"{name} ({name_ar})" if name_ar else name
        options.append((pk, "\u00a0\u00a0" * depth + label))
    return options


@dataclass(frozen=True)
class IngestProgress:
    """Where an ingest task is, in the steps the editor sees."""

    phase: str  # queued, fetching, extracting, done, failed
    steps: list[tuple[str, str]]  # (phase, "done" | "current" | "todo")
    error: str = ""
    source: Source | None = None
    claim_count: int = 0

    @property
    def final(self) -> bool:
        return self.phase in ("done", "failed")


def _steps(kind: str, phase: str) -> list[tuple[str, str]]:
    order = ["queued", *(["fetching"] if kind == "url" else []), "extracting", "done"]
    if phase == "failed":
        return [(step, "done" if step == "queued" else "todo") for step in order]
    reached = order.index(phase)
    return [
        (step, "done" if i < reached or phase == "done" else "current" if i == reached else "todo")
        for i, step in enumerate(order)
    ]


def ingest_progress(task_id: str, *, kind: str) -> IngestProgress:
    """The ingest task's state, read from the result store the same way the API's status URL
    reads it. Celery reports a task as running only once a worker has started it (with
    task_track_started); a URL task that is running is fetching, a text task extracting."""
    from claims.api.views import ingest_status

    status = ingest_status(task_id)
    state = status["status"]
    if state == "running":
        phase = "fetching" if kind == "url" else "extracting"
        return IngestProgress(phase, _steps(kind, phase))
    if state in ("refused", "failed"):
        return IngestProgress("failed", _steps(kind, "failed"), error=status.get("error", ""))
    if state != "done":
        return IngestProgress("queued", _steps(kind, "queued"))
    source_id = (status.get("source") or {}).get("id")
    source = (
        Source.objects.select_related("publisher").filter(pk=source_id).first()
        if source_id is not None
        else None
    )
    if source is None:
        return IngestProgress(
            "failed", _steps(kind, "failed"), error="The stored source no longer exists."
        )
    return IngestProgress(
        "done",
        _steps(kind, "done"),
        source=source,
        claim_count=len(status.get("claims") or []),
    )
