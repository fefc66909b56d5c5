"""Signed webhooks: tell subscribers when a verdict is published or changes. This module owns the
signature scheme, the payload, queueing one WebhookDelivery per subscriber, and one delivery
attempt; the retry schedule is the `deliver_webhook` task's.

Signature (the Stripe scheme). Every POST carries

    X-Tracker-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
    X-Tracker-Event: review.published
    X-Tracker-Delivery: <uuid, the same on every attempt of one delivery>

where the HMAC is keyed with the subscriber's secret over the bytes ``f"{t}."`` followed by the
exact request body. A receiver recomputes it over the raw body (before any JSON parsing),
compares in constant time, and rejects a ``t`` more than five minutes from its own clock, so a
captured request cannot be replayed later. Each attempt is signed afresh with a new ``t``; the
body and the delivery id do not change, so receivers drop duplicates by the delivery id (a retry
after a lost answer sends the same delivery twice: delivery is at least once). Several ``v1=``
entries may appear; any one matching is enough, which leaves room to rotate secrets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from claims.models import Review, WebhookDelivery, WebhookEvent, WebhookSubscriber

if TYPE_CHECKING:
    from claims.fetching import FetchPolicy, Posted

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Tracker-Signature"
EVENT_HEADER = "X-Tracker-Event"
DELIVERY_HEADER = "X-Tracker-Delivery"
SIGNATURE_SCHEME = "v1"
TOLERANCE_S = 300
# A receiver that cannot answer in ten seconds is treated as down; the retry will come.
TIMEOUT_S = 10.0
# The first attempt plus this many retries.
MAX_RETRIES = 5
# Retry n (from 0) waits BACKOFF_BASE_S * 2**n: 5, 10, 20, 40, 80 s, about two and a half
# minutes in all. Tests shorten it with the TRACKER_WEBHOOK_BACKOFF_S setting.
BACKOFF_BASE_S = 5.0
# How much of a receiver's error answer goes into the log.
ERROR_EXCERPT = 200

Outcome = Literal["delivered", "failed", "retry", "skipped"]


# --- Signing (pure) ---------------------------------------------------------------------------


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed. Canonical (sorted keys, no spaces) so that every attempt
    of a delivery sends the same bytes, whatever order the database hands the JSON back in."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}."`` + body, keyed with the secret."""
    message = f"{timestamp}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{SIGNATURE_SCHEME}={sign(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> bool:
    """Whether ``header`` (the X-Tracker-Signature value) signs ``body`` with ``secret`` and its
    timestamp is within ``tolerance_s`` of ``now``. What receivers do; here for tests and docs."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SIGNATURE_SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)


# --- Payload (pure) ---------------------------------------------------------------------------


def public_path(claim_id: int) -> str:
    return f"/c/{claim_id}/"


def payload_for_review(
    *, review: Review, event: str, delivery_id: uuid.UUID, previous_verdict: str | None
) -> dict[str, Any]:
    """The JSON a subscriber receives. Reads only the review, its claim and the claimant, which
    the caller has loaded."""
    claim = review.claim
    claimant = claim.claimant
    return {
        "event": event,
        "delivery_id": str(delivery_id),
        "claim": {
            "id": claim.pk,
            "slug": claim.slug,
            "text": claim.text,
            "language": claim.language,
            "text_en": claim.text_en,
            "text_ar": claim.text_ar,
            "claimant": {"slug": claimant.slug, "name": claimant.name, "name_ar": claimant.name_ar},
            "public_url": public_path(claim.pk),
        },
        "verdict": review.verdict,
        "verdict_label": review.get_verdict_display(),
        # The verdict published before this one, when it was a different one; else null.
        "previous_verdict": previous_verdict,
        "review": {
            "id": review.pk,
            "rationale": review.rationale,
            "language": review.language,
            "evidence_links": list(review.evidence_links),
            "published_at": review.published_at.isoformat() if review.published_at else None,
        },
    }


# --- Services ---------------------------------------------------------------------------------


def previous_published_verdict(review: Review) -> str | None:
    """The verdict of the claim's latest published review before this one, if any."""
    return (
        Review.objects.filter(claim_id=review.claim_id, published=True)
        .exclude(pk=review.pk)
        .order_by("-published_at", "-id")
        .values_list("verdict", flat=True)
        .first()
    )


@transaction.atomic
def queue_deliveries(
    *, review: Review, event: str, previous_verdict: str | None = None
) -> list[WebhookDelivery]:
    """One pending delivery for every active subscriber to ``event``, written in the caller's
    transaction (so a rolled-back publication sends nothing), and a delivery task for each once
    it commits."""
    if event not in WebhookEvent.values:
        raise ValueError(f"{event!r} is not a webhook event.")
    # Few subscribers, and JSON containment is not portable to SQLite: filter in Python.
    subscribers = [s for s in WebhookSubscriber.objects.filter(active=True) if s.wants(event)]
    if not subscribers:
        return []
    already = set(
        WebhookDelivery.objects.filter(review=review, event=event).values_list(
            "subscriber_id", flat=True
        )
    )
    review = Review.objects.select_related("claim__claimant").get(pk=review.pk)
    created = []
    for subscriber in subscribers:
        if subscriber.pk in already:
            continue
        delivery_id = uuid.uuid4()
        created.append(
            WebhookDelivery.objects.create(
                subscriber=subscriber,
                review=review,
                event=event,
                delivery_id=delivery_id,
                payload=payload_for_review(
                    review=review,
                    event=event,
                    delivery_id=delivery_id,
                    previous_verdict=previous_verdict,
                ),
            )
        )
    ids = [delivery.pk for delivery in created]
    transaction.on_commit(lambda: enqueue(ids))
    return created


def queue_publication(*, review: Review) -> list[WebhookDelivery]:
    """What publishing ``review`` announces: always review.published, and verdict.changed when
    the claim's previously published verdict was a different one. Called by publish_review."""
    previous = previous_published_verdict(review)
    changed_from = previous if previous is not None and previous != review.verdict else None
    queued = queue_deliveries(
        review=review, event=WebhookEvent.REVIEW_PUBLISHED, previous_verdict=changed_from
    )
    if changed_from is not None:
        queued += queue_deliveries(
            review=review, event=WebhookEvent.VERDICT_CHANGED, previous_verdict=changed_from
        )
    return queued


def enqueue(delivery_ids: list[int]) -> None:
    from claims.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        try:
            deliver_webhook.apply_async(args=[delivery_id], retry=False)
        except Exception as exc:  # kombu raises several types for "broker unreachable"
            # The row stays pending; redeliver() (an admin action) sends it again.
            log.warning(
                "webhook delivery %s not enqueued: broker unavailable (%s)", delivery_id, exc
            )


def backoff_s(retries: int) -> float:
    """Seconds before retry number ``retries`` (from 0)."""
    base = float(getattr(settings, "TRACKER_WEBHOOK_BACKOFF_S", BACKOFF_BASE_S))
    # A countdown task waits unacknowledged in the worker; past the broker's visibility timeout
    # Redis would hand it to a second worker, so stay well inside it.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    return float(min(base * 2**retries, visibility / 2))


def delivery_policy() -> FetchPolicy:
    # TEST-ONLY: settings.TRACKER_WEBHOOKS_ALLOW_LOOPBACK (never set by tracker/settings.py, so
    # no environment variable can turn it on) lets tests deliver to a receiver on 127.0.0.1.
    from claims.fetching import FetchPolicy

    allow = bool(getattr(settings, "TRACKER_WEBHOOKS_ALLOW_LOOPBACK", False))
    return FetchPolicy(timeout_s=TIMEOUT_S, max_redirects=0, allow_loopback=allow)


def deliver(*, delivery_id: int, final_attempt: bool = False) -> Outcome:
    """Make one attempt at a pending delivery and log it on the row. A 2xx answer delivers it;
    a refused address fails it for good; any other answer or a network failure asks for a retry,
    or fails it when this was the ``final_attempt``. Already finished deliveries are skipped, so
    running twice is harmless."""
    # Imported here: the fetcher pulls in trafilatura, which the web process need not load.
    from claims import fetching

    delivery = WebhookDelivery.objects.select_related("subscriber").get(pk=delivery_id)
    if delivery.state != WebhookDelivery.State.PENDING:
        return "skipped"
    subscriber = delivery.subscriber
    if not subscriber.active:
        return _record(
            delivery_id,
            outcome="failed",
            status=None,
            error="The subscriber was deactivated before this was delivered.",
            ms=None,
        )
    body = body_bytes(delivery.payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: signature_header(subscriber.secret, int(time.time()), body),
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.delivery_id),
    }
    started = time.monotonic()
    status: int | None = None
    try:
        answer = fetching.post(subscriber.url, body, headers=headers, policy=delivery_policy())
    except fetching.FetchRefused as exc:
        # Policy, not luck: the same address will be refused next time too.
        outcome: Outcome = "failed"
        error = f"{exc.reason} It will not be retried."
    except fetching.FetchFailed as exc:
        status, error = exc.status, exc.reason
        outcome = "failed" if final_attempt else "retry"
    else:
        status = answer.status
        if 200 <= answer.status < 300:
            outcome, error = "delivered", ""
        else:
            error = _describe_answer(answer)
            outcome = "failed" if final_attempt else "retry"
    ms = round((time.monotonic() - started) * 1000)
    return _record(delivery_id, outcome=outcome, status=status, error=error, ms=ms)


def _describe_answer(answer: Posted) -> str:
    said = " ".join(answer.body.decode("utf-8", errors="replace").split())[:ERROR_EXCERPT]
    reason = f" {answer.reason}" if answer.reason else ""
    return f"The receiver answered HTTP {answer.status}{reason}." + (
        f" It said: {said}" if said else ""
    )


def _record(
    delivery_id: int, *, outcome: Outcome, status: int | None, error: str, ms: int | None
) -> Outcome:
    now = timezone.now()
    with transaction.atomic():
        row = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        row.attempts += 1
        row.attempt_log = [
            *row.attempt_log,
            {"at": now.isoformat(), "status": status, "error": error, "ms": ms},
        ]
        row.last_status_code, row.last_error = status, error[:500]
        row.last_attempt_at = now
        # A duplicate run may have finished the delivery meanwhile; its outcome stands.
        if row.state == WebhookDelivery.State.PENDING and outcome in ("delivered", "failed"):
            row.state, row.finished_at = outcome, now
        row.save(
            update_fields=[
                "attempts",
                "attempt_log",
                "last_status_code",
                "last_error",
                "last_attempt_at",
                "state",
                "finished_at",
            ]
        )
    log.info(
        "webhook delivery %s attempt %s: %s (status %s)", delivery_id, row.attempts, outcome, status
    )
    return outcome


@transaction.atomic
def redeliver(*, delivery_ids: list[int], now: dt.datetime | None = None) -> int:
    """Send again, with a fresh retry budget, the selected deliveries that failed or that were
    never attempted (their task was lost with the broker); the attempt log is kept. Pending ones
    with attempts are still being retried and are left alone, or they would go out twice."""
    lost_before = (now or timezone.now()) - dt.timedelta(minutes=5)
    ids = list(
        WebhookDelivery.objects.filter(pk__in=delivery_ids, subscriber__active=True)
        .filter(
            Q(state=WebhookDelivery.State.FAILED)
            | Q(state=WebhookDelivery.State.PENDING, attempts=0, created_at__lt=lost_before)
        )
        .values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=ids).update(
        state=WebhookDelivery.State.PENDING, finished_at=None
    )
    transaction.on_commit(lambda: enqueue(ids))
    return len(ids)


def rotate_secret(*, subscriber_id: int) -> str:
    """A new signing secret; the caller shows it once."""
    secret = secrets.token_urlsafe(32)
    WebhookSubscriber.objects.filter(pk=subscriber_id).update(secret=secret)
    return secret
