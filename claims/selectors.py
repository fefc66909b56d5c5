"""Reusable read queries: a claim's source chain as plain data, and the readiness of services."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.db import connection

from claims import chains
from claims.models import Actor, Appearance, Claim

HEARTBEAT_KEY = "tracker:worker-heartbeat"


@dataclass(frozen=True)
class ClaimChain:
    """A claim's chain report plus what is needed to show it (sources and actors by id)."""

    claim: Claim
    links: tuple[chains.Link, ...]
    report: chains.ChainReport
    actor_names: Mapping[Any, str]
    parent_of: Mapping[Any, Any]

    def root_publishers(self) -> list[str]:
        return sorted({self.actor_names[p] for g in self.report.root_groups for p in g.publishers})

    @property
    def roots_all_under_claimant(self) -> bool:
        return chains.roots_all_under(self.report, self.claim.claimant_id, self.parent_of)


def actor_hierarchy() -> tuple[dict[int, int | None], dict[int, str]]:
    """Every actor's parent and name; small (hundreds of rows) and needed whole for ancestors."""
    parent_of: dict[int, int | None] = {}
    names: dict[int, str] = {}
    for actor_id, parent_id, name in Actor.objects.values_list("id", "parent_id", "name"):
        parent_of[actor_id] = parent_id
        names[actor_id] = name
    return parent_of, names


def chain_for_claim(claim_id: int) -> ClaimChain:
    """The source chain of one claim: its roots, independent roots and depth."""
    claim = Claim.objects.select_related("claimant").get(pk=claim_id)
    appearances = list(
        Appearance.objects.filter(claim_id=claim_id).select_related(
            "source__publisher", "via__publisher"
        )
    )
    return chain_of(claim, appearances)


def chain_of(claim: Claim, appearances: Sequence[Appearance]) -> ClaimChain:
    """The chain of a claim whose appearances are already loaded (with source and via): the
    claim page has them, and reading them twice was three of its queries."""
    links = tuple(chains.Link(source=a.source_id, via=a.via_id) for a in appearances)
    publisher_of: dict[object, object] = {}
    for a in appearances:
        publisher_of[a.source_id] = a.source.publisher_id
        if a.via is not None:
            publisher_of[a.via_id] = a.via.publisher_id
    parent_of, names = actor_hierarchy()
    report = chains.analyse_chain(links, publisher_of=publisher_of, parent_of=parent_of)
    return ClaimChain(
        claim=claim, links=links, report=report, actor_names=names, parent_of=parent_of
    )


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)
    worker_heartbeat_age_s: float | None = None

    @property
    def ready(self) -> bool:
        return all(v == "ok" for v in self.checks.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ready else "unavailable",
            "checks": self.checks,
            "worker_heartbeat_age_s": self.worker_heartbeat_age_s,
        }


def readiness() -> Readiness:
    """Probe the database and the broker with short timeouts; never raises."""
    result = Readiness()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        result.checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready", reported by class name
        result.checks["database"] = f"error: {type(exc).__name__}"
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1
        )
        client.ping()
        result.checks["broker"] = "ok"
        beat = client.get(HEARTBEAT_KEY)
        if beat is not None:
            result.worker_heartbeat_age_s = round(time.time() - float(beat), 1)
    except Exception as exc:  # connection refused, timeout, auth: all "broker unavailable"
        result.checks["broker"] = f"error: {type(exc).__name__}"
    return result


def flag_listing(*, state: str | None = "open") -> list[dict[str, Any]]:
    """Flags in the shape of DESIGN §8's `scan --json`, in three queries whatever their number."""
    from django.db.models import Prefetch

    from claims.models import Flag, Source

    flags = Flag.objects.order_by("kind", "id").prefetch_related(
        Prefetch("claims", queryset=Claim.objects.select_related("claimant").order_by("id")),
        Prefetch("sources", queryset=Source.objects.order_by("id")),
    )
    if state is not None:
        flags = flags.filter(state=state)
    return [
        {
            "id": flag.pk,
            "kind": flag.kind,
            "severity": flag.severity,
            "state": flag.state,
            "claims": [
                {"id": c.pk, "claimant": c.claimant.name, "text": c.text} for c in flag.claims.all()
            ],
            "sources": [s.canonical_url or s.slug for s in flag.sources.all()],
            "detail": flag.detail,
        }
        for flag in flags
    ]


def ingest_claims_listing(claim_ids: list[int]) -> list[dict[str, Any]]:
    """Proposed claims in the shape of DESIGN §8's `ingest --json`, in four queries."""
    from django.db.models import Prefetch

    from claims.models import Place, Quantity

    claims = (
        Claim.objects.filter(pk__in=claim_ids)
        .select_related("claimant")
        .prefetch_related(
            Prefetch("appearances", queryset=Appearance.objects.select_related("via")),
            Prefetch("quantities", queryset=Quantity.objects.order_by("id")),
            Prefetch("places", queryset=Place.objects.order_by("name")),
        )
        .order_by("id")
    )
    listing = []
    for claim in claims:
        appearances = list(claim.appearances.all())
        listing.append(
            {
                "id": claim.pk,
                "text": claim.text,
                "claimant": claim.claimant.name,
                "verb": appearances[0].verb if appearances else "",
                "stance": claim.stance,
                "state": claim.state,
                "via": [
                    a.via.canonical_url or a.via.slug for a in appearances if a.via is not None
                ],
                "quantities": [
                    {
                        "item": q.item,
                        "low": q.low,
                        "high": q.high,
                        "qualifier": q.qualifier,
                        "text": q.text,
                    }
                    for q in claim.quantities.all()
                ],
                "stated_at": claim.stated_at.isoformat() if claim.stated_at else None,
                "event_start": claim.event_start.isoformat() if claim.event_start else None,
                "event_end": claim.event_end.isoformat() if claim.event_end else None,
                "places": [p.name for p in claim.places.all()],
            }
        )
    return listing
