"""The desk's workflow actions (DESIGN §4): record a verdict, publish it (four eyes), move claims
between states with a rationale, assign them, dismiss a flag with a reason. Each owns its
transaction, refuses with a clear WorkflowError and then changes nothing, and leaves history
with who and why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from claims import webhooks
from claims.models import Claim, Flag, Review


class WorkflowError(ValueError):
    """Refused; the message says why in one sentence and nothing was changed."""


class NotAllowed(WorkflowError):
    """The user's role does not permit the action."""


class FourEyes(NotAllowed):
    """The author of a review tried to publish it while four eyes are required."""


def _require(user: Any, perm: str, doing: str) -> None:
    if not getattr(user, "is_authenticated", False) or not user.has_perm(perm):
        raise NotAllowed(f"You are not allowed to {doing}.")


def _rationale(text: str, what: str = "A rationale") -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise WorkflowError(f"{what} is required.")
    return cleaned


# The schemes the API's URLField accepts, so both ways in refuse the same links.
URL_VALIDATOR = URLValidator(schemes=["http", "https", "ftp", "ftps"])


def valid_evidence_links(links: Sequence[str]) -> list[str]:
    """The links as given, each an address a reader can follow, or WorkflowError: the pages
    show them as links, so a "javascript:" or free-text entry must never be stored (the API's
    serializer checks the same; the editor UI's form and the admin rely on this)."""
    cleaned = [link.strip() for link in links if link.strip()]
    for link in cleaned:
        try:
            URL_VALIDATOR(link)
        except ValidationError:
            raise WorkflowError(
                f"Evidence links must be web addresses such as https://…; {link[:80]!r} is not."
            ) from None
    return cleaned


def _save_claim(claim: Claim, *, by: Any, reason: str, fields: Sequence[str]) -> None:
    # Callers hold the row lock (select_for_update), so a plain increment cannot race.
    claim.version += 1
    claim._change_reason = reason  # type: ignore[attr-defined]
    claim._history_user = by  # type: ignore[attr-defined]
    claim.save(update_fields=[*fields, "version", "updated_at", "search_text"])


@transaction.atomic
def record_review(
    *,
    claim_id: int,
    verdict: str,
    rationale: str,
    by: Any,
    evidence_links: Sequence[str] = (),
    language: str = "en",
    expected_version: int | None = None,
) -> Review:
    """An editor's verdict: a new Review (never an edit of an old one); the claim takes the
    verdict and moves to `reviewed`, waiting for a reviewer to publish it."""
    _require(by, "claims.add_review", "record a verdict")
    if verdict not in Claim.Verdict.values:
        raise WorkflowError(f"{verdict!r} is not a verdict.")
    reason = _rationale(rationale)
    links = valid_evidence_links(evidence_links)
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if expected_version is not None and claim.version != expected_version:
        raise WorkflowError(
            f"The claim changed since you opened it (version {claim.version}, not "
            f"{expected_version}); reload it and review again."
        )
    review = Review(
        claim=claim,
        verdict=verdict,
        rationale=reason,
        evidence_links=links,
        language=language,
        reviewer=by,
    )
    review._change_reason = reason  # type: ignore[attr-defined]
    review._history_user = by  # type: ignore[attr-defined]
    review.save()
    claim.verdict, claim.state = verdict, Claim.State.REVIEWED
    _save_claim(claim, by=by, reason=f"Verdict {verdict}: {reason}", fields=["verdict", "state"])
    return review


@transaction.atomic
def publish_review(*, review_id: int, by: Any) -> Review:
    """A reviewer publishes a recorded verdict; with four eyes on, not its own author."""
    _require(by, "claims.publish_review", "publish verdicts")
    review = Review.objects.select_for_update().select_related("claim").get(pk=review_id)
    if review.published:
        raise WorkflowError("This review is already published.")
    if settings.TRACKER_FOUR_EYES and review.reviewer_id == by.pk:
        raise FourEyes("Four eyes: a review must be published by someone other than its author.")
    latest = review.claim.reviews.order_by("-created_at", "-id").first()
    if latest is not None and latest.pk != review.pk:
        raise WorkflowError("A newer review of this claim exists; publish that one instead.")
    review.published, review.published_at, review.published_by = True, timezone.now(), by
    review._change_reason = "Published"  # type: ignore[attr-defined]
    review._history_user = by  # type: ignore[attr-defined]
    review.save()
    claim = review.claim
    claim.verdict, claim.state = review.verdict, Claim.State.PUBLISHED
    _save_claim(
        claim, by=by, reason=f"Published verdict {review.verdict}", fields=["verdict", "state"]
    )
    # In this transaction: a publication that rolls back notifies nobody.
    webhooks.queue_publication(review=review)
    return review


@transaction.atomic
def set_state(*, claim_ids: Sequence[int], state: str, rationale: str, by: Any) -> int:
    """Move claims to a workflow state with one rationale. Publishing goes through
    publish_review, so a verdict and its reviewer are always on record."""
    _require(by, "claims.change_claim", "change claims")
    if state not in Claim.State.values:
        raise WorkflowError(f"{state!r} is not a workflow state.")
    if state == Claim.State.PUBLISHED:
        raise WorkflowError("Claims are published by publishing their review.")
    reason = _rationale(rationale)
    claims = list(Claim.objects.select_for_update().filter(pk__in=claim_ids))
    if len(claims) != len(set(claim_ids)):
        raise WorkflowError("Some of the selected claims no longer exist; reload the page.")
    for claim in claims:
        if claim.state != state:
            claim.state = state
            _save_claim(claim, by=by, reason=reason, fields=["state"])
    return len(claims)


@transaction.atomic
def assign(*, claim_ids: Sequence[int], assignee: Any | None, by: Any) -> int:
    _require(by, "claims.change_claim", "assign claims")
    if assignee is not None and not assignee.has_perm("claims.change_claim"):
        raise WorkflowError(f"{assignee} cannot edit claims, so cannot be assigned them.")
    claims = list(Claim.objects.select_for_update().filter(pk__in=claim_ids))
    for claim in claims:
        claim.assigned_to = assignee
        who = assignee.get_username() if assignee is not None else "nobody"
        _save_claim(claim, by=by, reason=f"Assigned to {who}", fields=["assigned_to"])
    return len(claims)


@transaction.atomic
def dismiss_flag(*, flag_id: int, reason: str, by: Any) -> Flag:
    """Dismissing asks for a reason; the flag stays dismissed until its evidence changes."""
    _require(by, "claims.change_flag", "dismiss flags")
    why = _rationale(reason, "A reason for dismissing the flag")
    flag = Flag.objects.select_for_update().get(pk=flag_id)
    if flag.state == Flag.State.DISMISSED:
        raise WorkflowError("This flag is already dismissed.")
    flag.state, flag.dismissed_reason = Flag.State.DISMISSED, why
    flag._change_reason = f"Dismissed: {why}"  # type: ignore[attr-defined]
    flag._history_user = by  # type: ignore[attr-defined]
    flag.save()
    return flag
