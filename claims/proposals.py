"""What an editor does with ingestion from the UI: start an ingest in the background, then
correct, accept or reject the claims it proposed. Each function takes keyword-only arguments,
owns its transaction, refuses with a ProposalError (one sentence) and then changes nothing,
and leaves history with who and why."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from django.core.exceptions import ValidationError
from django.db import transaction
from kombu.exceptions import OperationalError

from claims import ingestion, services, tasks, verification, workflow
from claims.models import Actor, Appearance, Claim, Flag, PendingCheck, Quantity, Source

ACCEPT_RATIONALE = "Proposal accepted after ingestion"
REJECT_PREFIX = "Proposal rejected: "


class ProposalError(ValueError):
    """Refused; the message says why in one sentence and nothing was changed."""


class QueueUnavailable(ProposalError):
    """The broker is down: the ingest was not started (the editor may simply try again)."""


def _require(user: Any, *perms: str) -> None:
    if not getattr(user, "is_authenticated", False) or not user.has_perms(perms):
        raise workflow.NotAllowed("You are not allowed to change claims.")


# --- Starting an ingest --------------------------------------------------------------------


@dataclass(frozen=True)
class IngestTicket:
    """What the editor's session keeps about an ingest it started."""

    task_id: str
    kind: str  # "text" (pasted) or "url" (fetched)
    # The address of a pasted text, recorded on its source once the task has stored it.
    url: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"task_id": self.task_id, "kind": self.kind, "url": self.url}


def start_ingest(
    *,
    by: Any,
    text: str = "",
    fetch_url: str = "",
    url: str = "",
    publisher: str | None = None,
    published: dt.date | None = None,
    language: str | None = None,
) -> IngestTicket:
    """Hand a pasted text or a URL to the ingest task on the worker and return its ticket.
    Nothing is stored here: the task stores the source and its proposals in one transaction."""
    _require(by, "claims.add_source", "claims.add_claim")
    if bool(text.strip()) == bool(fetch_url):
        raise ProposalError("Paste a text or give a URL to fetch, not both.")
    try:
        own_url = ingestion.canonical_url(url) if url else ""
    except ingestion.IngestError as exc:
        raise ProposalError(str(exc)) from None
    if own_url:
        stored = Source.objects.filter(canonical_url=own_url).only("text_sha256").first()
        sha = hashlib.sha256(text.strip().encode()).hexdigest()
        if stored is not None and stored.text_sha256 != sha:
            # The same refusal ingest_text gives: a URL names one document.
            raise ProposalError(
                "This URL is already stored with a different text; re-check the source instead."
            )
    options: dict[str, Any] = {
        "language": language or None,
        "published": published.isoformat() if published else None,
        "publisher": publisher or None,
        "user_id": by.pk,
    }
    try:
        if fetch_url:
            result: Any = tasks.ingest_url.delay(fetch_url, **options)
        else:
            result = tasks.ingest_text.delay(text, url=own_url or None, **options)
    except (OperationalError, redis.RedisError) as exc:
        raise QueueUnavailable(
            "The task queue cannot be reached; nothing was stored. Try again in a minute."
        ) from exc
    return IngestTicket(task_id=result.id, kind="url" if fetch_url else "text", url=own_url)


# --- Correcting, accepting and rejecting proposals -----------------------------------------


@dataclass(frozen=True)
class QuantityEdit:
    item: str
    low: int
    high: int | None
    qualifier: str = ""


@dataclass(frozen=True)
class ProposalEdit:
    """A proposal as the editor left it in the form."""

    claimant_id: int
    stance: str
    stated_at: dt.date | None
    event_start: dt.date | None
    event_end: dt.date | None
    place_ids: frozenset[int]
    quantities: tuple[QuantityEdit, ...]
    # The upstream this source cites for the claim: a URL, or else the publisher whose
    # document we do not hold (a placeholder source, as ingestion makes them).
    via_publisher_id: int | None = None
    via_url: str = ""


CLAIM_FIELDS = ("claimant_id", "stance", "stated_at", "event_start", "event_end")


def _key(q: Quantity | QuantityEdit) -> tuple[str, int, int | None, str]:
    return (q.item.strip(), q.low, q.high, q.qualifier.strip())


def _via_for(edit: ProposalEdit, source: Source, current: Source | None) -> Source | None:
    """The upstream source the edit names, created as a placeholder if we do not hold it."""
    if edit.via_url:
        try:
            url = ingestion.canonical_url(edit.via_url)
        except ingestion.IngestError as exc:
            raise ProposalError(str(exc)) from None
        found = Source.objects.filter(canonical_url=url).first()
        if found is not None:
            return found
        publisher = (
            Actor.objects.filter(pk=edit.via_publisher_id).first()
            if edit.via_publisher_id is not None
            else None
        )
        return Source.objects.create(
            slug=ingestion._unique_slug(Source, url),
            canonical_url=url,
            publisher=publisher,
            is_placeholder=True,
        )
    if edit.via_publisher_id is None:
        return None
    if current is not None and current.publisher_id == edit.via_publisher_id:
        return current
    publisher = Actor.objects.get(pk=edit.via_publisher_id)
    published = source.published_at.date() if source.published_at else None
    return ingestion._placeholder_for(publisher, published)


@transaction.atomic
def update_proposal(
    *,
    claim_id: int,
    source_id: int,
    expected_version: int,
    edit: ProposalEdit,
    reason: str,
    by: Any,
    accept: bool = False,
) -> Claim:
    """Save the editor's corrections to a proposed claim and, with `accept`, move it into
    review. A claim saved by someone else since the editor loaded it raises StaleVersion and
    nothing is written; a correction without a reason is refused."""
    _require(by, "claims.change_claim")
    claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
    appearance = (
        # Lock only the appearance row: its via may be empty (an outer join).
        Appearance.objects.select_for_update(of=("self",))
        .select_related("source", "via")
        .filter(claim_id=claim_id, source_id=source_id)
        .first()
    )
    if claim is None or appearance is None:
        raise ProposalError("This proposal no longer exists; reload the page.")
    if claim.state != Claim.State.NEW:
        raise ProposalError("This claim was already accepted; edit it on its own page.")
    if claim.version != expected_version:
        raise services.StaleVersion(claim, expected_version)

    changed = [name for name in CLAIM_FIELDS if getattr(claim, name) != getattr(edit, name)]
    quantities = list(claim.quantities.all())
    quantities_changed = sorted(map(_key, quantities), key=repr) != sorted(
        map(_key, edit.quantities), key=repr
    )
    places_changed = set(claim.places.values_list("pk", flat=True)) != set(edit.place_ids)
    via = _via_for(edit, appearance.source, appearance.via)
    if via is not None and via.pk == source_id:
        raise ProposalError("A source cannot cite itself.")
    via_changed = (via.pk if via else None) != appearance.via_id

    if changed or quantities_changed or places_changed or via_changed:
        why = reason.strip()
        if not why:
            raise ProposalError("A reason is required for every change to a claim.")
        for name in changed:
            setattr(claim, name, getattr(edit, name))
        # We hold the row lock, so a plain increment cannot race another editor.
        claim.version += 1
        claim._change_reason = why  # type: ignore[attr-defined]
        claim._history_user = by  # type: ignore[attr-defined]
        try:
            claim.full_clean(exclude=["slug"])
        except ValidationError as exc:
            raise ProposalError(" ".join(exc.messages)) from None
        claim.save()
        if places_changed:
            claim.places.set(edit.place_ids)
        if quantities_changed:
            # Quantities the editor left alone keep their raw text and approximate mark.
            wanted = {_key(q) for q in edit.quantities}
            claim.quantities.exclude(
                pk__in=[q.pk for q in quantities if _key(q) in wanted]
            ).delete()
            existing = {_key(q) for q in quantities}
            Quantity.objects.bulk_create(
                Quantity(
                    claim=claim,
                    item=q.item.strip(),
                    low=q.low,
                    high=q.high,
                    qualifier=q.qualifier.strip(),
                )
                for q in edit.quantities
                if _key(q) not in existing
            )
        if via_changed:
            appearance.via = via
            appearance._change_reason = why  # type: ignore[attr-defined]
            appearance._history_user = by  # type: ignore[attr-defined]
            appearance.save(update_fields=["via"])
    if accept:
        workflow.set_state(
            claim_ids=[claim.pk], state=Claim.State.IN_REVIEW, rationale=ACCEPT_RATIONALE, by=by
        )
        claim.refresh_from_db()
    return claim


@transaction.atomic
def accept_proposals(*, claim_ids: Sequence[int], by: Any) -> int:
    """Move proposals into review as they stand (accept all). Refused as a whole if one of
    them is gone or was accepted meanwhile."""
    _require(by, "claims.change_claim")
    wanted = set(claim_ids)
    if not wanted:
        raise ProposalError("There is no proposal left to accept.")
    claims = list(Claim.objects.select_for_update().filter(pk__in=wanted))
    if len(claims) != len(wanted):
        raise ProposalError("Some of the selected claims no longer exist; reload the page.")
    if any(c.state != Claim.State.NEW for c in claims):
        raise ProposalError("Some of these proposals were already accepted; reload the page.")
    return workflow.set_state(
        claim_ids=sorted(wanted), state=Claim.State.IN_REVIEW, rationale=ACCEPT_RATIONALE, by=by
    )


@transaction.atomic
def reject_proposal(*, claim_id: int, reason: str, by: Any) -> None:
    """Reject a claim that ingestion proposed and nobody has accepted. The workflow has no
    "rejected" state (DESIGN §4), and a wrong extraction left in the table would keep raising
    conflicts with real claims, so the proposal is removed; its full row stays in history with
    who rejected it and why."""
    _require(by, "claims.change_claim")
    why = reason.strip()
    if not why:
        raise ProposalError("A reason is required to reject a proposal.")
    claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
    if claim is None:
        raise ProposalError("This proposal no longer exists; reload the page.")
    if claim.state != Claim.State.NEW or claim.reviews.exists():
        raise ProposalError("Only proposals not yet accepted can be rejected.")
    if not Claim.history.filter(
        id=claim_id, history_type="+", history_change_reason=ingestion.INGEST_REASON
    ).exists():
        # Claims typed in or loaded from the seeds are the desk's own record, not a guess.
        raise ProposalError("Only claims proposed by ingestion can be rejected.")
    # Claims that share a flag with it are checked again: the flag may no longer hold.
    neighbours = set(
        Flag.claims.through.objects.filter(flag__claims=claim_id)
        .exclude(claim_id=claim_id)
        .values_list("claim_id", flat=True)
    )
    claim._change_reason = REJECT_PREFIX + why  # type: ignore[attr-defined]
    claim._history_user = by  # type: ignore[attr-defined]
    claim.delete()
    # Deleting its appearance and quantities asked for a check of the claim being deleted;
    # that request would outlive its claim.
    PendingCheck.objects.filter(claim_id=claim_id).delete()
    for other in sorted(neighbours):
        verification.request_check(other)
