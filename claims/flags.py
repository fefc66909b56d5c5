"""The one writer of flags: turns rule findings into Flag rows, idempotently.

Upserts by fingerprint, resolves open flags whose condition no longer holds (within the scope that
was checked), reopens a resolved flag when its condition returns, and reopens a dismissed flag only
when the evidence it rests on has changed. Every change goes through simple-history with a reason.
Writes are in bulk so a full scan of many claims stays a handful of queries per batch.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from claims.models import Appearance, Flag
from claims.rules import Finding

BATCH = 2000


@dataclass
class FlagReport:
    created: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0
    unchanged: int = 0
    kept_dismissed: int = 0
    flag_ids: list[int] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated or self.reopened or self.resolved)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "reopened": self.reopened,
            "resolved": self.resolved,
            "unchanged": self.unchanged,
            "kept_dismissed": self.kept_dismissed,
        }


def _chunks(items: Sequence[str], size: int = BATCH) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sources_of_claims(claim_ids: Collection[int]) -> dict[int, set[int]]:
    """Every source a claim appears in or is cited through: the sources a flag involves."""
    sources: dict[int, set[int]] = defaultdict(set)
    ids = sorted(claim_ids)
    for start in range(0, len(ids), BATCH):
        rows = Appearance.objects.filter(claim_id__in=ids[start : start + BATCH]).values_list(
            "claim_id", "source_id", "via_id"
        )
        for claim_id, source_id, via_id in rows:
            sources[claim_id].add(source_id)
            if via_id is not None:
                sources[claim_id].add(via_id)
    return sources


def _link(
    flags: Sequence[Flag],
    by_fingerprint: dict[str, Finding],
    known_sources: Mapping[int, Collection[int]],
) -> None:
    claim_links: list[tuple[int, int]] = []
    source_links: list[tuple[int, int]] = []
    claims = {c for f in flags for c in by_fingerprint[f.fingerprint].claim_ids}
    involved: dict[int, Collection[int]] = {
        c: known_sources[c] for c in claims & known_sources.keys()
    }
    involved.update(_sources_of_claims(claims - involved.keys()))
    for flag in flags:
        claim_ids = by_fingerprint[flag.fingerprint].claim_ids
        claim_links += [(flag.pk, c) for c in claim_ids]
        source_ids = {s for c in claim_ids for s in involved.get(c, ())}
        source_links += [(flag.pk, s) for s in sorted(source_ids)]
    _insert_pairs(Flag.claims.through, "claim_id", claim_links)
    _insert_pairs(Flag.sources.through, "source_id", source_links)


def _create_with_history(new_flags: list[Flag], *, reason: str) -> list[Flag]:
    """Create flags and their first history rows. On PostgreSQL the history rows are copied from
    the new flag rows inside the database (INSERT … SELECT): a first scan at 100k claims creates
    ~77k flags, and building a historical model instance for each cost a third of the writing."""
    if connection.vendor != "postgresql":
        return list(
            bulk_create_with_history(
                new_flags, Flag, batch_size=BATCH, default_change_reason=reason
            )
        )
    created = Flag.objects.bulk_create(new_flags, batch_size=BATCH)
    historical = Flag.history.model
    tracked = ", ".join(
        f'"{f.column}"'
        for f in historical._meta.concrete_fields
        if not f.name.startswith("history_")
    )
    ids = [flag.pk for flag in created]
    with connection.cursor() as cursor:
        for start in range(0, len(ids), BATCH * 10):
            cursor.execute(
                f'INSERT INTO "{historical._meta.db_table}" ({tracked}, history_date, '  # noqa: S608
                "history_change_reason, history_type, history_user_id) "
                f'SELECT {tracked}, %s, %s, %s, NULL FROM "{Flag._meta.db_table}" '
                "WHERE id = ANY(%s)",
                [timezone.now(), reason, "+", ids[start : start + BATCH * 10]],
            )
    return created


def _insert_pairs(through: Any, column: str, pairs: Sequence[tuple[int, int]]) -> None:
    """Rows of a flag link table. On PostgreSQL one INSERT … SELECT FROM unnest(flag ids, other
    ids) per batch: a first scan links hundreds of thousands of rows, and model instances for
    each cost more than the insert itself."""
    if connection.vendor != "postgresql":
        through.objects.bulk_create(
            [through(flag_id=f, **{column: o}) for f, o in pairs], batch_size=BATCH
        )
        return
    table = through._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), BATCH * 10):
            chunk = pairs[start : start + BATCH * 10]
            cursor.execute(
                f'INSERT INTO "{table}" (flag_id, "{column}") '  # noqa: S608
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
                [[f for f, _ in chunk], [o for _, o in chunk]],
            )


def write_findings(
    *,
    findings: Sequence[Finding],
    kinds: Collection[str],
    scope_claim_ids: Collection[int] | None,
    now: dt.datetime,
    sources_of_claims: Mapping[int, Collection[int]] | None = None,
) -> FlagReport:
    """Make the flags of `kinds` for the claims in scope (None = every claim) match `findings`.

    Open flags of those kinds in that scope that no finding supports any more are resolved; flags
    outside the scope are not touched, so a check of one claim never resolves another event's
    flags. `sources_of_claims` spares the query for the sources a new flag involves when the
    caller holds the claims' appearances already (every source a claim appears in or cites).

    Everything is read first and written in one transaction, opened only when there is
    something to write: a check that changes nothing (most of them) spares the BEGIN and
    COMMIT round trips. Reading first changes nothing the writes rely on: at READ COMMITTED
    each statement sees what was committed when it ran, inside a transaction or not, and none
    of the flags it writes can be one it resolves (those have no finding)."""
    report = FlagReport()
    by_fingerprint = {f.fingerprint: f for f in findings}
    existing: dict[str, Flag] = {}
    for chunk in _chunks(sorted(by_fingerprint)):
        existing.update({f.fingerprint: f for f in Flag.objects.filter(fingerprint__in=chunk)})

    to_create: list[Flag] = []
    to_update: dict[str, list[Flag]] = defaultdict(list)
    for fingerprint, finding in by_fingerprint.items():
        flag = existing.get(fingerprint)
        if flag is None:
            to_create.append(
                Flag(
                    kind=finding.kind,
                    severity=finding.severity,
                    fingerprint=fingerprint,
                    evidence_hash=finding.evidence_hash,
                    detail=finding.detail,
                    state=Flag.State.OPEN,
                )
            )
            continue
        evidence_changed = flag.evidence_hash != finding.evidence_hash
        if flag.state == Flag.State.DISMISSED and not evidence_changed:
            # An editor dismissed this with a reason; the same evidence does not overrule them.
            report.kept_dismissed += 1
            report.flag_ids.append(flag.pk)
            continue
        reason = None
        if flag.state == Flag.State.DISMISSED:
            reason, report.reopened = (
                "Reopened: the evidence changed since it was dismissed",
                (report.reopened + 1),
            )
        elif flag.state == Flag.State.RESOLVED:
            reason, report.reopened = "Reopened: the condition holds again", report.reopened + 1
        elif evidence_changed or (flag.severity, flag.detail) != (finding.severity, finding.detail):
            reason, report.updated = "Updated: the evidence changed", report.updated + 1
        report.flag_ids.append(flag.pk)
        if reason is None:
            report.unchanged += 1
            continue
        flag.state, flag.resolved_at = Flag.State.OPEN, None
        flag.severity, flag.detail = finding.severity, finding.detail
        flag.evidence_hash, flag.updated_at = finding.evidence_hash, now
        to_update[reason].append(flag)

    # Filter in Python, not with NOT IN: a full scan has more fingerprints than a query may bind.
    open_flags = Flag.objects.filter(state=Flag.State.OPEN, kind__in=list(kinds))
    if scope_claim_ids is not None:
        # Flag ids through the link table first: a join plus DISTINCT over every open flag
        # took 180 ms at 100k claims, this takes two index lookups.
        involved = set(
            Flag.claims.through.objects.filter(claim_id__in=list(scope_claim_ids)).values_list(
                "flag_id", flat=True
            )
        )
        open_flags = open_flags.filter(pk__in=involved)
    # Ids and fingerprints first; whole rows only for the few flags to resolve (a first scan
    # would otherwise load every flag it has just created).
    stale = [
        pk
        for pk, fingerprint in open_flags.values_list("pk", "fingerprint")
        if fingerprint not in by_fingerprint
    ]
    resolved: list[Flag] = []
    for start in range(0, len(stale), BATCH):
        resolved += Flag.objects.filter(pk__in=stale[start : start + BATCH])
    if not (to_create or to_update or resolved):
        return report
    with transaction.atomic():
        if to_create:
            created = _create_with_history(to_create, reason="Found by the verification scan")
            _link(created, by_fingerprint, sources_of_claims or {})
            report.created = len(created)
            report.flag_ids += [f.pk for f in created]
        fields = ["state", "resolved_at", "severity", "detail", "evidence_hash", "updated_at"]
        for reason, flags in to_update.items():
            bulk_update_with_history(
                flags, Flag, fields, batch_size=BATCH, default_change_reason=reason
            )
        for flag in resolved:
            flag.state, flag.resolved_at = Flag.State.RESOLVED, now
        resolve(resolved, reason="Resolved: the condition no longer holds")
    report.resolved = len(resolved)
    return report


def resolve(resolved: Sequence[Flag], *, reason: str) -> None:
    """Store flags whose state the caller set to resolved, with history."""
    for flag in resolved:
        flag.updated_at = flag.resolved_at or flag.updated_at
    bulk_update_with_history(
        resolved,
        Flag,
        ["state", "resolved_at", "updated_at"],
        batch_size=BATCH,
        default_change_reason=reason,
    )
