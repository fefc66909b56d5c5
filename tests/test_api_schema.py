"""The OpenAPI schema at /api/schema/: valid, served with its Swagger UI from the app itself, and
true to the API. Schemathesis generates requests for every operation (valid ones, then invalid
ones) and sends them, as the admin, through the WSGI application against the seeded database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from claims import tasks
from claims.models import Claim
from tests.factories import FlagFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.integration

EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 8}


def _schema_dict() -> dict[str, Any]:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return dict(json.loads(response.content))


@contextmanager
def keeping_the_test_connection() -> Iterator[None]:
    """Like Django's test client, do not let a request close the connection mid-test (it would
    break the test transaction). Django's test client reconnects the signal after each of its
    requests, so this wraps only the WSGI calls."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingest requests are answered, but their tasks are not sent anywhere."""

    def delay(*args: Any, **kwargs: Any) -> SimpleNamespace:
        return SimpleNamespace(id=str(uuid.uuid4()))

    monkeypatch.setattr(tasks.ingest_text, "delay", delay)
    monkeypatch.setattr(tasks.ingest_url, "delay", delay)


def _fuzz(
    operation: Any, mode: GenerationMode, examples: int, app: Any, token: str, failures: list[str]
) -> int:
    """Send `examples` generated requests for one operation; record what the checks refuse."""
    calls = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        nonlocal calls
        cache.clear()  # the throttle would otherwise count every generated request
        calls += 1
        response = case.call(app=app, headers={"Authorization": f"Token {token}"})
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except Exception as exc:  # collect every operation's failures, then report them all
            failures.append(f"{operation.label} ({mode}): {exc}")

    try:
        run()
    except Unsatisfiable:
        # An operation with nothing to get wrong (no parameters, no body) has no invalid cases.
        if mode is not GenerationMode.NEGATIVE:
            raise
    return calls


def test_the_schema_is_valid_openapi_3_and_lists_every_endpoint(db: None) -> None:
    from drf_spectacular.validation import validate_schema

    schema = _schema_dict()
    validate_schema(schema)

    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/actors/",
        "/api/v1/actors/{id}/",
        "/api/v1/claims/",
        "/api/v1/claims/{id}/",
        "/api/v1/claims/{id}/reviews/",
        "/api/v1/events/",
        "/api/v1/events/{id}/",
        "/api/v1/flags/",
        "/api/v1/flags/{id}/",
        "/api/v1/flags/{id}/dismiss/",
        "/api/v1/export/",
        "/api/v1/import/",
        "/api/v1/ingest/",
        "/api/v1/ingest/{task_id}/",
        "/api/v1/reviews/",
        "/api/v1/reviews/{id}/",
        "/api/v1/reviews/{id}/publish/",
        "/api/v1/sources/",
        "/api/v1/sources/{id}/",
    }
    patch = schema["paths"]["/api/v1/claims/{id}/"]["patch"]
    assert {"412", "428", "400"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]


def test_swagger_ui_is_served_from_the_app_without_a_cdn(db: None) -> None:
    page = APIClient().get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr" not in html


def test_every_operation_answers_generated_requests_without_errors_and_as_documented(
    seeded: Any, role_users: dict[str, Any], no_broker: None
) -> None:
    from tracker.wsgi import application

    # Something for the flag, review and publish operations to find.
    claim = Claim.objects.order_by("id").first()
    flag: Any = FlagFactory()
    flag.claims.add(claim)
    ReviewFactory(claim=claim, reviewer=UserFactory())
    token = Token.objects.create(user=role_users["admin"]).key
    schema = schemathesis.openapi.from_dict(_schema_dict())
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    failures: list[str] = []
    calls = 0

    with keeping_the_test_connection():
        for operation in operations:
            for mode, examples in EXAMPLES.items():
                calls += _fuzz(operation, mode, examples, application, token, failures)

    assert len(operations) == 20
    assert calls > 100
    assert failures == [], "\n\n".join(failures[:5])
