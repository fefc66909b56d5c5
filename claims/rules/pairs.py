"""Rules comparing two claims about the same event: dates, places and denials.

Callers pair claims only within one event (see `run_rules`); each rule also refuses claims of
different or unknown events so that a stray pair can never produce a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from claims.rules.facts import ClaimFacts, Finding

__all__ = [
    "date_conflict",
    "denial",
    "place_conflict",
    "same_event",
]


def same_event(a: ClaimFacts, b: ClaimFacts) -> bool:
    return a.event_id is not None and a.event_id == b.event_id and a.claim_id != b.claim_id


def _ordered(a: ClaimFacts, b: ClaimFacts) -> tuple[ClaimFacts, ClaimFacts]:
    return (a, b) if a.claim_id < b.claim_id else (b, a)


def _urls(a: ClaimFacts, b: ClaimFacts) -> tuple[str, ...]:
    return tuple(sorted({*a.source_urls, *b.source_urls}))


def _window(claim: ClaimFacts) -> tuple[date, date] | None:
    start = claim.event_start or claim.event_end
    end = claim.event_end or claim.event_start
    if start is None or end is None:
        return None
    return (min(start, end), max(start, end))


def date_conflict(a: ClaimFacts, b: ClaimFacts) -> list[Finding]:
    """The claimant's statement carried with two dates (minor), or event windows that do not
    overlap (major)."""
    if not same_event(a, b):
        return []
    first, second = _ordered(a, b)
    findings: list[Finding] = []
    if (
        first.claimant_id is not None
        and first.claimant_id == second.claimant_id
        and first.stated_at is not None
        and second.stated_at is not None
        and first.stated_at != second.stated_at
    ):
        findings.append(
            Finding(
                kind="date_conflict",
                severity="minor",
                claim_ids=(first.claim_id, second.claim_id),
                source_urls=_urls(first, second),
                detail=(
                    f"{first.label}: statement dated {first.stated_at.isoformat()}; "
                    f"{second.label}: dated {second.stated_at.isoformat()}"
                ),
                evidence=(
                    (first.claim_id, first.stated_at.isoformat()),
                    (second.claim_id, second.stated_at.isoformat()),
                ),
                key="field=stated_at",
            )
        )
    window_a, window_b = _window(first), _window(second)
    if (
        window_a is not None
        and window_b is not None
        and (window_a[1] < window_b[0] or window_b[1] < window_a[0])
    ):
        findings.append(
            Finding(
                kind="date_conflict",
                severity="major",
                claim_ids=(first.claim_id, second.claim_id),
                source_urls=_urls(first, second),
                detail=(
                    f"{first.label} places the event {window_a[0]}–{window_a[1]}, "
                    f"{second.label} {window_b[0]}–{window_b[1]}; "
                    "the windows do not overlap"
                ),
                evidence=(
                    (first.claim_id, window_a[0].isoformat(), window_a[1].isoformat()),
                    (second.claim_id, window_b[0].isoformat(), window_b[1].isoformat()),
                ),
                key="field=event_window",
            )
        )
    return findings


def _related(place: int, other: int, ancestors_of: Mapping[int, tuple[int, ...]]) -> bool:
    return (
        place == other
        or other in ancestors_of.get(place, ())
        or place in ancestors_of.get(other, ())
    )


def _places(claim: ClaimFacts) -> str:
    if claim.place_names:
        return ", ".join(claim.place_names)
    return ", ".join(str(p) for p in sorted(claim.place_ids))


def place_conflict(
    a: ClaimFacts, b: ClaimFacts, *, ancestors_of: Mapping[int, tuple[int, ...]]
) -> list[Finding]:
    """No place of one claim is the same as, inside, or around a place of the other.

    `ancestors_of` maps a place to its gazetteer ancestors (Tatan quarter → Homs → Syria).
    """
    if not same_event(a, b) or not a.place_ids or not b.place_ids:
        return []
    first, second = _ordered(a, b)
    if any(
        _related(place, other, ancestors_of)
        for place in first.place_ids
        for other in second.place_ids
    ):
        return []
    places_a, places_b = sorted(first.place_ids), sorted(second.place_ids)
    return [
        Finding(
            kind="place_conflict",
            severity="major",
            claim_ids=(first.claim_id, second.claim_id),
            source_urls=_urls(first, second),
            detail=(
                f"{first.label} places the event at {_places(first)}, "
                f"{second.label} at {_places(second)}; neither lies within the other"
            ),
            evidence=((first.claim_id, tuple(places_a)), (second.claim_id, tuple(places_b))),
            key="field=places",
        )
    ]


def denial(a: ClaimFacts, b: ClaimFacts) -> list[Finding]:
    """Another actor denies what one claim asserts about the same event."""
    if not same_event(a, b) or a.claimant_id is None or b.claimant_id is None:
        return []
    if a.claimant_id == b.claimant_id:
        return []
    denials = [claim for claim in (a, b) if claim.stance == "denies"]
    if len(denials) != 1:
        return []
    denier = denials[0]
    asserter = b if denier is a else a
    first, second = _ordered(a, b)
    return [
        Finding(
            kind="denial",
            severity="major",
            claim_ids=(first.claim_id, second.claim_id),
            source_urls=_urls(first, second),
            detail=(
                f"{denier.label} denies: «{denier.text}»; "
                f"against {asserter.label}: «{asserter.text}»"
            ),
            evidence=(
                (denier.claim_id, denier.claimant_id, denier.stance),
                (asserter.claim_id, asserter.claimant_id, asserter.stance),
            ),
        )
    ]
