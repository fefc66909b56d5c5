"""Verification rules of DESIGN §5 as pure functions: claim facts in, findings out.

`run_rules` runs every rule over a batch; pairwise rules only ever compare claims of one event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from itertools import combinations

from claims.chains import ParentOf
from claims.rules.facts import AppearanceFact, ClaimFacts, Finding, QuantityFact, Severity
from claims.rules.pairs import date_conflict, denial, place_conflict
from claims.rules.quantities import Interval, intervals_conflict, quantity_conflict
from claims.rules.single_claim import (
    chain_report,
    partisan_only,
    quote_not_in_source,
    single_root,
    unsourced,
    unverified_stale,
)

__all__ = [
    "AppearanceFact",
    "ClaimFacts",
    "Finding",
    "Interval",
    "QuantityFact",
    "Severity",
    "date_conflict",
    "denial",
    "intervals_conflict",
    "partisan_only",
    "place_conflict",
    "quantity_conflict",
    "quote_not_in_source",
    "run_rules",
    "single_root",
    "unsourced",
    "unverified_stale",
]


def _finding_order(finding: Finding) -> tuple[tuple[int, ...], str, str]:
    return (finding.claim_ids, finding.kind, finding.fingerprint)


def run_rules(
    claims: Sequence[ClaimFacts],
    *,
    parent_of: ParentOf,
    ancestors_of: Mapping[int, tuple[int, ...]],
    source_texts: Mapping[int, str],
    now: datetime,
    sla_hours: int,
) -> list[Finding]:
    """Every finding for the batch, in a fixed order whatever the order of `claims`."""
    ordered = sorted(claims, key=lambda claim: claim.claim_id)
    findings: list[Finding] = []
    for claim in ordered:
        # Both chain rules read the same analysis: made once for a claim that both look at.
        both = claim.claimant_side_id is not None and len(claim.appearances) >= 2
        report = chain_report(claim, parent_of=parent_of) if both else None
        findings += single_root(claim, parent_of=parent_of, report=report)
        findings += partisan_only(claim, parent_of=parent_of, report=report)
        findings += unsourced(claim)
        findings += quote_not_in_source(claim, source_texts=source_texts)
        findings += unverified_stale(claim, now=now, sla_hours=sla_hours)

    # The event is the blocking key: claims of different (or no) events are never paired.
    by_event: dict[int, list[ClaimFacts]] = {}
    for claim in ordered:
        if claim.event_id is not None:
            by_event.setdefault(claim.event_id, []).append(claim)
    pair_rules: tuple[Callable[[ClaimFacts, ClaimFacts], list[Finding]], ...] = (
        quantity_conflict,
        date_conflict,
        lambda a, b: place_conflict(a, b, ancestors_of=ancestors_of),
        denial,
    )
    for event_id in sorted(by_event):
        for a, b in combinations(by_event[event_id], 2):
            for rule in pair_rules:
                findings += rule(a, b)
    return sorted(findings, key=_finding_order)
