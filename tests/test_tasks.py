"""Celery tasks run for real: through the Redis broker, in a real worker."""

from __future__ import annotations

import time

import pytest

from claims import tasks

pytestmark = pytest.mark.integration


def test_a_task_sent_through_redis_runs_in_a_real_worker_and_its_heartbeat_shows_in_readyz(
    celery_worker, client
):
    sent_at = time.time()
    beat = tasks.record_worker_heartbeat.delay().get(timeout=20)
    assert beat >= sent_at
    age = client.get("/readyz").json()["worker_heartbeat_age_s"]
    assert age is not None and age < 20
