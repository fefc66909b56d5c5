"""Quantity intervals of DESIGN §3 and the `quantity_conflict` rule between two claims."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, TypeAlias

from claims.rules.facts import ClaimFacts, Finding, QuantityFact

__all__ = [
    "ConflictSeverity",
    "Interval",
    "intervals_conflict",
    "quantity_conflict",
]

ConflictSeverity: TypeAlias = Literal["minor", "major", "critical"]

_CRITICAL_RATIO = 2.0
_MAJOR_RATIO = 1.25
_SEVERITY_RANK: dict[ConflictSeverity, int] = {"minor": 0, "major": 1, "critical": 2}


@dataclass(frozen=True)
class Interval:
    """Closed interval of counts; `high` is `math.inf` when the quantity is open above."""

    low: int
    high: float

    @classmethod
    def of(cls, quantity: QuantityFact) -> Interval:
        """The quantity's interval, widened by 10 % each way when it is approximate."""
        low = quantity.low
        high: float = math.inf if quantity.high is None else quantity.high
        if quantity.approximate:
            # Integer arithmetic: 110 * 1.1 in floats is 121.00000000000001, whose ceiling is 122.
            low = (low * 9) // 10
            if quantity.high is not None:
                high = -((-quantity.high * 11) // 10)
        return cls(low, high)

    def intersects(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high


def _touch(lower: Interval, upper: Interval) -> bool:
    # Disjoint integer intervals with no integer between them: "15" and "more than 15"
    # ([15,15] and [16,∞)), or "fewer than 15" and "15" — the same number read with a qualifier.
    return lower.high + 1 == upper.low


def intervals_conflict(a: Interval, b: Interval) -> ConflictSeverity | None:
    """None when the intervals share a count; otherwise how far apart they are.

    Adjacent intervals differ only by a qualifier and are minor; otherwise the ratio of the
    nearest bounds decides (≥ 2 critical, ≥ 1.25 major, else minor).
    """
    if a.intersects(b):
        return None
    lower, upper = (a, b) if a.high < b.low else (b, a)
    if _touch(lower, upper):
        return "minor"
    ratio = math.inf if lower.high <= 0 else upper.low / lower.high
    if ratio >= _CRITICAL_RATIO:
        return "critical"
    if ratio >= _MAJOR_RATIO:
        return "major"
    return "minor"


def _bound(value: float) -> str:
    return "∞" if value == math.inf else str(int(value))


def _quote(text: str) -> str:
    return f"'{text}'"


def _qualifier_note(first: QuantityFact, second: QuantityFact) -> str:
    qualifiers = [q.qualifier.strip() for q in (first, second) if q.qualifier.strip()]
    if len(qualifiers) == 1:
        return f"differ only by {_quote(qualifiers[0])}"
    if len(qualifiers) == 2 and qualifiers[0] != qualifiers[1]:
        return f"differ only by qualifier ({_quote(qualifiers[0])} vs {_quote(qualifiers[1])})"
    return "adjacent counts"


def _label(quantity: QuantityFact) -> str:
    if quantity.text:
        return quantity.text
    high = "∞" if quantity.high is None else str(quantity.high)
    return f"{quantity.item} [{quantity.low}, {high}]"


def _evidence_of(
    claim: ClaimFacts, quantity: QuantityFact
) -> tuple[int, str, int, int | None, bool]:
    return (claim.claim_id, quantity.item_key, quantity.low, quantity.high, quantity.approximate)


def quantity_conflict(a: ClaimFacts, b: ClaimFacts) -> list[Finding]:
    """One finding per item both claims count whose intervals do not meet (worst pair per item)."""
    if a.claim_id == b.claim_id:
        return []
    first, second = (a, b) if a.claim_id < b.claim_id else (b, a)
    worst: dict[str, tuple[ConflictSeverity, QuantityFact, QuantityFact]] = {}
    for qa in first.quantities:
        for qb in second.quantities:
            if not qa.item_key or qa.item_key != qb.item_key:
                continue
            severity = intervals_conflict(Interval.of(qa), Interval.of(qb))
            if severity is None:
                continue
            current = worst.get(qa.item_key)
            if current is None or _SEVERITY_RANK[severity] > _SEVERITY_RANK[current[0]]:
                worst[qa.item_key] = (severity, qa, qb)

    findings: list[Finding] = []
    for item in sorted(worst):
        severity, qa, qb = worst[item]
        lower_a, upper_a = Interval.of(qa), Interval.of(qb)
        lower, upper = (lower_a, upper_a) if lower_a.high < upper_a.low else (upper_a, lower_a)
        if _touch(lower, upper):
            note = _qualifier_note(qa, qb)
        else:
            note = (
                f"[{lower.low}, {_bound(lower.high)}] and [{upper.low}, {_bound(upper.high)}]"
                " do not overlap"
            )
        detail = f"{first.label}: {_label(qa)}; {second.label}: {_label(qb)} — {note}"
        findings.append(
            Finding(
                kind="quantity_conflict",
                severity=severity,
                claim_ids=(first.claim_id, second.claim_id),
                source_urls=tuple(sorted({*first.source_urls, *second.source_urls})),
                detail=detail,
                evidence=(_evidence_of(first, qa), _evidence_of(second, qb)),
                key=f"item={item}",
            )
        )
    return findings
