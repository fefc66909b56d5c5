"""Rules about the sources themselves, from the periodic re-fetch: gone or silently edited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from claims.rules.facts import Finding


@dataclass(frozen=True)
class SourceCheck:
    """What the last re-fetch of one source found, and which claims appear in it."""

    source_id: int
    url: str
    label: str
    text_sha256: str
    refetched_sha256: str
    last_check_error: str
    claim_ids: tuple[int, ...]


def source_unreachable(check: SourceCheck) -> list[Finding]:
    if not check.last_check_error or not check.claim_ids:
        return []
    return [
        Finding(
            kind="source_unreachable",
            severity="major",
            claim_ids=tuple(sorted(check.claim_ids)),
            source_urls=(check.url,),
            detail=f"{check.label}: re-fetch of {check.url} failed ({check.last_check_error})",
            evidence=(check.source_id, check.last_check_error),
            key=f"source={check.source_id}",
        )
    ]


def source_changed(check: SourceCheck) -> list[Finding]:
    # Only a successful re-fetch of a text we hashed when we stored it can show a change.
    if (
        check.last_check_error
        or not check.text_sha256
        or not check.refetched_sha256
        or check.refetched_sha256 == check.text_sha256
        or not check.claim_ids
    ):
        return []
    return [
        Finding(
            kind="source_changed",
            severity="major",
            claim_ids=tuple(sorted(check.claim_ids)),
            source_urls=(check.url,),
            detail=(
                f"{check.label}: the text at {check.url} is no longer the text we stored "
                f"(sha256 {check.text_sha256[:12]}… → {check.refetched_sha256[:12]}…)"
            ),
            evidence=(check.source_id, check.text_sha256, check.refetched_sha256),
            key=f"source={check.source_id}",
        )
    ]


def run_source_rules(checks: Sequence[SourceCheck]) -> list[Finding]:
    findings: list[Finding] = []
    for check in sorted(checks, key=lambda c: c.source_id):
        findings += source_unreachable(check)
        findings += source_changed(check)
    return findings
