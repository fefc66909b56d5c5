"""Helpers shared by the feed and public-page tests: a claim with linkable sources, and
publishing a verdict through the desk's own workflow (editor records, reviewer publishes)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.utils import timezone

from claims import workflow
from claims.models import Actor, Claim, Review
from tests.factories import AppearanceFactory, ClaimFactory, ReviewFactory, SourceFactory

SCRIPT_BREAKOUT = "</script><script>alert(1)</script>"
RLO = "\u202e"


def sourced_claim(**fields: Any) -> Claim:
    """A CENTCOM claim carried by a wire story (first) and an outlet relaying it (later)."""
    fields.setdefault("stated_at", dt.date(2025, 11, 12))
    fields.setdefault("language", "ar")
    fields.setdefault("claimant__name", "CENTCOM")
    fields.setdefault("claimant__name_ar", "القيادة المركزية الأمريكية")
    fields.setdefault("claimant__kind", Actor.Kind.MILITARY)
    claim = cast(Claim, ClaimFactory(**fields))
    relay = SourceFactory(
        canonical_url=f"https://outlet.example/story-{claim.pk}",
        published_at=dt.datetime(2025, 11, 13, 9, 0, tzinfo=dt.UTC),
    )
    wire = SourceFactory(
        canonical_url=f"https://wire.example/report-{claim.pk}",
        published_at=dt.datetime(2025, 11, 12, 18, 30, tzinfo=dt.UTC),
    )
    AppearanceFactory(claim=claim, source=relay, via=wire)
    AppearanceFactory(claim=claim, source=wire)
    return claim


def publish(
    claim: Claim,
    users: dict[str, Any],
    *,
    verdict: str = "likely_true",
    rationale: str = "Matches the CENTCOM release and two local reports.",
    language: str = "en",
) -> Review:
    review = workflow.record_review(
        claim_id=claim.pk,
        verdict=verdict,
        rationale=rationale,
        language=language,
        by=users["editor"],
    )
    return workflow.publish_review(review_id=review.pk, by=users["reviewer"])


def bulk_published(count: int) -> list[Claim]:
    """Many sourced claims with a published review each, without the workflow's per-call cost."""
    claims = []
    for n in range(count):
        claim = sourced_claim()
        ReviewFactory(
            claim=claim,
            verdict="false" if n % 2 else "confirmed",
            language="ar" if n % 3 == 0 else "en",
            published=True,
            published_at=timezone.now(),
        )
        claims.append(claim)
    return claims
