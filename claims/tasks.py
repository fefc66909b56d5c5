"""Celery tasks: thin wrappers that take ids and call one function each."""

from __future__ import annotations

import time

import redis
from celery import shared_task
from django.conf import settings

from claims.selectors import HEARTBEAT_KEY


@shared_task(ignore_result=False)
def record_worker_heartbeat() -> float:
    """Beat sends this every minute; /readyz shows its age, so a stalled worker is visible."""
    now = time.time()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).set(HEARTBEAT_KEY, now, ex=3600)
    return now
