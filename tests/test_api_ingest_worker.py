"""The ingest endpoint end to end: a real Celery worker on the real Redis extracts the posted
text while the client polls the status URL the API handed back."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from claims.models import Claim

pytestmark = pytest.mark.integration

WIRE = (
    "Syria's interior ministry said on Tuesday that its forces arrested 12 members of an "
    "Islamic State cell in the town of al-Dumayr, east of Damascus, after a week-long operation."
)


def test_posted_text_is_ingested_by_a_worker_and_the_status_url_reports_the_claims(
    celery_worker: Any, role_users: dict[str, Any]
) -> None:
    client = APIClient()
    client.force_authenticate(role_users["editor"])
    accepted = client.post(
        "/api/v1/ingest/",
        {"text": WIRE, "language": "en", "publisher": "Reuters", "published": "2025-11-25"},
        format="json",
    )
    assert accepted.status_code == 202
    status_url = accepted.json()["status_url"]
    deadline = time.monotonic() + 30
    while True:
        status = client.get(status_url).json()
        if status["status"] in ("done", "refused", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status["status"] == "done", status
    assert status["source"]["publisher"] == "Reuters"
    [claim] = status["claims"]
    assert {"item": "captured", "low": 12, "high": 12} in [
        {k: q[k] for k in ("item", "low", "high")} for q in claim["quantities"]
    ]
    assert Claim.objects.get(pk=claim["id"]).state == Claim.State.NEW
