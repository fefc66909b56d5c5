"""Rules that look at one claim at a time: its source chain, its sources, its quotes and its age."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from claims.chains import ActorId, ChainReport, Link, ParentOf, analyse_chain, roots_all_under
from claims.extraction.arabic import normalise
from claims.rules.facts import ClaimFacts, Finding

__all__ = [
    "chain_report",
    "partisan_only",
    "quote_not_in_source",
    "single_root",
    "unsourced",
    "unverified_stale",
]


def chain_report(facts: ClaimFacts, *, parent_of: ParentOf) -> ChainReport:
    """The claim's source chain analysed with publishers known from its appearances."""
    publisher_of: dict[int, ActorId | None] = {}
    for appearance in facts.appearances:
        if appearance.via_id is not None and appearance.via_publisher_id is not None:
            publisher_of.setdefault(appearance.via_id, appearance.via_publisher_id)
    for appearance in facts.appearances:
        # The source's own record outranks what a citing appearance says about it.
        if appearance.source_publisher_id is not None:
            publisher_of[appearance.source_id] = appearance.source_publisher_id
    links = [Link(a.source_id, a.via_id) for a in facts.appearances]
    return analyse_chain(links, publisher_of=publisher_of, parent_of=parent_of)


def single_root(
    facts: ClaimFacts, *, parent_of: ParentOf, report: ChainReport | None = None
) -> list[Finding]:
    """Several sources carry the claim but they all come down to one independent root.
    `report` is the claim's chain_report when the caller has it already."""
    sources = {a.source_id for a in facts.appearances}
    if len(sources) < 2:
        return []
    report = report if report is not None else chain_report(facts, parent_of=parent_of)
    if report.independent_root_count != 1:
        return []
    root = report.independent_roots[0]
    root_ids = sorted(root.sources, key=repr)
    if report.has_cycle:
        detail = (
            f"{len(sources)} sources carry the claim but cite each other in a circle; "
            f"one independent root (sources {', '.join(map(str, root_ids))})"
        )
    else:
        detail = (
            f"{len(sources)} sources carry the claim but all trace back to one independent root "
            f"(sources {', '.join(map(str, root_ids))})"
        )
    return [
        Finding(
            kind="single_root",
            severity="major" if report.has_cycle else "minor",
            claim_ids=(facts.claim_id,),
            source_urls=facts.source_urls,
            detail=detail,
            evidence=(tuple(sorted(sources)), tuple(root_ids), report.has_cycle),
        )
    ]


def partisan_only(
    facts: ClaimFacts, *, parent_of: ParentOf, report: ChainReport | None = None
) -> list[Finding]:
    """Every root is the claimant or an actor under it: nothing independent carries the claim.

    Only for a claimant that is a party to the conflict: an outlet's own reporting resting on
    its own article is ordinary journalism, not a partisan claim. `report` is the claim's
    chain_report when the caller has it already."""
    if facts.claimant_side_id is None or not facts.appearances:
        return []
    report = report if report is not None else chain_report(facts, parent_of=parent_of)
    if not roots_all_under(report, facts.claimant_side_id, parent_of):
        return []
    publishers = sorted({p for group in report.root_groups for p in group.publishers}, key=repr)
    return [
        Finding(
            kind="partisan_only",
            severity="major",
            claim_ids=(facts.claim_id,),
            source_urls=facts.source_urls,
            detail=(
                f"Every root of the claim is published by {facts.claimant_name} or an actor "
                "under it; no independent source carries it"
            ),
            evidence=(facts.claimant_id, tuple(publishers), tuple(sorted(report.roots, key=repr))),
        )
    ]


def unsourced(facts: ClaimFacts) -> list[Finding]:
    """No source at all, or only anonymous ones ("مصادر", "sources said")."""
    if not facts.appearances:
        detail = "The claim has no source"
    elif all(a.source_is_anonymous for a in facts.appearances):
        detail = "The claim rests only on anonymous sources"
    else:
        return []
    return [
        Finding(
            kind="unsourced",
            severity="major",
            claim_ids=(facts.claim_id,),
            source_urls=facts.source_urls,
            detail=detail,
            evidence=tuple(sorted(a.source_id for a in facts.appearances)),
        )
    ]


def _held_text(facts: ClaimFacts, source_id: int, source_texts: Mapping[int, str]) -> str:
    held = source_texts.get(source_id, "")
    if held:
        return held
    for appearance in facts.appearances:
        if appearance.source_id == source_id and appearance.source_text:
            return appearance.source_text
    return ""


def quote_not_in_source(facts: ClaimFacts, *, source_texts: Mapping[int, str]) -> list[Finding]:
    """A quote whose cited upstream text we hold but which that text does not contain.

    Comparison is on `normalise`d text so hamza, taa marbuta, diacritics and digits do not count.
    Appearances whose upstream text we do not hold are not judged.
    """
    missing: list[tuple[int, int, str]] = []
    urls: set[str] = set()
    for appearance in facts.appearances:
        if appearance.via_id is None or not normalise(appearance.quote):
            continue
        text = _held_text(facts, appearance.via_id, source_texts)
        if not text:
            continue
        if normalise(appearance.quote) not in normalise(text):
            missing.append((appearance.source_id, appearance.via_id, appearance.quote))
            if appearance.source_url:
                urls.add(appearance.source_url)
    if not missing:
        return []
    parts = [
        f"source {source} quotes «{quote}», not found in source {via}"
        for source, via, quote in sorted(missing)
    ]
    return [
        Finding(
            kind="quote_not_in_source",
            severity="major",
            claim_ids=(facts.claim_id,),
            source_urls=tuple(sorted(urls)),
            detail="; ".join(parts),
            evidence=tuple(sorted(missing)),
        )
    ]


def unverified_stale(facts: ClaimFacts, *, now: datetime, sla_hours: int) -> list[Finding]:
    """Still unverified once the SLA has passed since the claim was recorded."""
    if facts.verdict != "unverified":
        return []
    age = now - facts.created_at
    if age <= timedelta(hours=sla_hours):
        return []
    hours = int(age.total_seconds() // 3600)
    return [
        Finding(
            kind="unverified_stale",
            severity="minor",
            claim_ids=(facts.claim_id,),
            source_urls=facts.source_urls,
            detail=f"Unverified for {hours} h, past the {sla_hours} h SLA",
            # `now` stays out of the evidence so the hash does not change on every run.
            evidence=(facts.created_at.isoformat(), sla_hours),
        )
    ]
