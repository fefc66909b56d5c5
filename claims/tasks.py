"""Celery tasks: thin wrappers that take ids and call one function each.

Every task acknowledges late and is rejected back to the queue if its worker dies (settings), is
idempotent, retries a bounded number of times with backoff on database or broker hiccups, and
has a time limit shorter than the broker's visibility timeout.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from celery import Task, shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from claims import verification, webhooks
from claims.selectors import HEARTBEAT_KEY

RETRYABLE = (DatabaseError, redis.RedisError, ConnectionError)
RETRY: dict[str, Any] = {
    "autoretry_for": RETRYABLE,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(ignore_result=False)
def record_worker_heartbeat() -> float:
    """Beat sends this every minute; /readyz shows its age, so a stalled worker is visible."""
    now = time.time()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).set(HEARTBEAT_KEY, now, ex=3600)
    return now


# Nothing reads a check's return value; not storing it keeps a save from touching the result
# backend at all.
@shared_task(**RETRY, ignore_result=True, soft_time_limit=60, time_limit=90)
def check_claim(claim_id: int) -> dict[str, Any] | None:
    report = verification.check_claim(claim_id)
    return None if report is None else report.as_dict()


@shared_task(**RETRY, soft_time_limit=100, time_limit=120)
def scan_all() -> dict[str, Any]:
    """Plan the scan here, then one scan_chunk task per chunk of whole events: each is short, so
    one lost with a killed worker comes back quickly and redoes only its own part."""
    _, chunks, report = verification.plan_scan(now=timezone.now())
    for chunk in chunks:
        scan_chunk.delay(chunk)
    return report.as_dict() | {"chunks": len(chunks)}


@shared_task(**RETRY, soft_time_limit=100, time_limit=120)
def scan_chunk(claim_ids: list[int]) -> dict[str, Any]:
    return verification.scan_chunk(claim_ids).as_dict()


@shared_task(**RETRY, soft_time_limit=100, time_limit=120)
def check_stale() -> dict[str, int]:
    return verification.check_stale().as_dict()


@shared_task(**RETRY, soft_time_limit=50, time_limit=60)
def sweep_outbox() -> int:
    return verification.sweep_outbox()


@shared_task(**RETRY, soft_time_limit=100, time_limit=120)
def recheck_sources() -> int:
    """Fan out one re-fetch per source with a URL, on the fetch queue."""
    ids = verification.sources_due_for_recheck()
    for source_id in ids:
        recheck_source.delay(source_id)
    return len(ids)


@shared_task(**RETRY, soft_time_limit=45, time_limit=60)
def recheck_source(source_id: int) -> dict[str, int]:
    return verification.recheck_source(source_id).as_dict()


def _ingest(
    service: Any, *, published: str | None, user_id: int | None, **options: Any
) -> dict[str, Any]:
    """Run an ingestion service for a task: the outcome, a refusal included, is the task's
    result, which the ingest page and the API poll."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from claims.ingestion import IngestError

    by = get_user_model()._default_manager.filter(pk=user_id).first() if user_id else None
    try:
        result = service(
            published=dt.date.fromisoformat(published) if published else None, by=by, **options
        )
    except IngestError as exc:
        return {"status": "refused", "error": str(exc)}
    return {"status": "done", **result.as_dict()}


@shared_task(**RETRY, soft_time_limit=45, time_limit=60)
def ingest_url(
    url: str,
    *,
    language: str | None = None,
    published: str | None = None,
    publisher: str | None = None,
    via_urls: list[str] | None = None,
    accept: bool = False,
    user_id: int | None = None,
) -> dict[str, Any]:
    """Fetch and ingest, on the fetch queue."""
    from claims.ingestion import ingest_url as service

    return _ingest(
        service,
        url=url,
        language=language,
        published=published,
        publisher=publisher,
        via_urls=via_urls or [],
        accept=accept,
        user_id=user_id,
    )


@shared_task(**RETRY, soft_time_limit=45, time_limit=60)
def ingest_text(
    text: str,
    *,
    language: str | None = None,
    published: str | None = None,
    publisher: str | None = None,
    via_urls: list[str] | None = None,
    accept: bool = False,
    user_id: int | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """Pasted text (with the address it came from, if the editor gave one), extracted off the
    web process."""
    from claims.ingestion import ingest_text as service

    return _ingest(
        service,
        text=text,
        language=language,
        published=published,
        publisher=publisher,
        via_urls=via_urls or [],
        accept=accept,
        user_id=user_id,
        url=url or None,
    )


# Own retry schedule: a receiver's 500 or timeout is retried with backoff (webhooks.backoff_s),
# a refused address never is. RETRY's autoretry still covers database and broker hiccups.
@shared_task(
    **(RETRY | {"max_retries": webhooks.MAX_RETRIES}),
    bind=True,
    ignore_result=True,
    soft_time_limit=30,
    time_limit=45,
)
def deliver_webhook(self: Task[Any, Any], delivery_id: int) -> str:
    """One attempt at a webhook delivery, on the fetch queue; the last allowed retry fails it."""
    retries = self.request.retries
    outcome = webhooks.deliver(
        delivery_id=delivery_id, final_attempt=retries >= webhooks.MAX_RETRIES
    )
    if outcome == "retry":
        raise self.retry(countdown=webhooks.backoff_s(retries))
    return outcome
