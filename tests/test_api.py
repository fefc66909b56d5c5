"""The REST API under /api/v1/: who may call what, filters, If-Match editing, the workflow
actions, ingest hand-off, the error shape and query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from types import SimpleNamespace
from typing import Any

import factory
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims import tasks, workflow
from claims.models import Actor, Claim, Event, Flag, Place, Review
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    FlagFactory,
    ReviewFactory,
    UserFactory,
)

ROLES = ("anonymous", "viewer", "editor", "reviewer", "admin")


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    # Throttle counters live in the cache, which outlives a test's database rollback.
    cache.clear()


def client_as(role: str, role_users: dict[str, Any]) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        token, _ = Token.objects.get_or_create(user=role_users[role])
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"event-{n}")
    title = factory.Sequence(lambda n: f"Operation {n}")


def etag(claim: Claim) -> str:
    return f'W/"claim-{claim.pk}-v{claim.version}"'


def _world(role_users: dict[str, Any]) -> SimpleNamespace:
    """One open flag on the first claim and one unpublished review (of the second) by someone
    outside the roles, so that publishing it never trips four eyes."""
    claims = list(Claim.objects.order_by("id")[:2])
    flag: Any = FlagFactory()
    flag.claims.add(claims[0])
    review = ReviewFactory(claim=claims[1], reviewer=UserFactory())
    return SimpleNamespace(claim=claims[0], flag=flag, review=review, users=role_users)


@pytest.fixture
def seeded_world(seeded: Any, role_users: dict[str, Any]) -> SimpleNamespace:
    """The seed case, a flag and a review: for the filters that need real places and text."""
    return _world(role_users)


@pytest.fixture
def world(role_users: dict[str, Any]) -> SimpleNamespace:
    """Two factory claims in an event and a place, each with a source: quicker than the seed
    case for the authorisation matrix."""
    event = EventFactory()
    place = Place.objects.order_by("id").first()
    for _ in range(2):
        claim: Any = ClaimFactory(event=event)
        claim.places.add(place)
        AppearanceFactory(claim=claim)
    return _world(role_users)


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """Record ingest tasks instead of sending them to the broker."""
    sent: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def fake(name: str) -> Any:
        def delay(*args: Any, **kwargs: Any) -> SimpleNamespace:
            sent.append((name, args, kwargs))
            return SimpleNamespace(id=str(uuid.uuid4()))

        return delay

    monkeypatch.setattr(tasks.ingest_text, "delay", fake("ingest_text"))
    monkeypatch.setattr(tasks.ingest_url, "delay", fake("ingest_url"))
    return sent


# ---- authorisation matrix -----------------------------------------------------------------


def _call(endpoint: str, client: APIClient, w: SimpleNamespace) -> Any:
    c, f, r = w.claim, w.flag, w.review
    calls = {
        "claims-list": lambda: client.get("/api/v1/claims/"),
        "claims-detail": lambda: client.get(f"/api/v1/claims/{c.pk}/"),
        "claims-patch": lambda: client.patch(
            f"/api/v1/claims/{c.pk}/",
            {"text_en": "Edited.", "reason": "Typo"},
            format="json",
            HTTP_IF_MATCH=etag(c),
        ),
        "claims-review": lambda: client.post(
            f"/api/v1/claims/{c.pk}/reviews/",
            {"verdict": "likely_true", "rationale": "Two independent roots."},
            format="json",
        ),
        "sources-list": lambda: client.get("/api/v1/sources/"),
        "sources-detail": lambda: client.get(f"/api/v1/sources/{c.appearances.first().source_id}/"),
        "actors-list": lambda: client.get("/api/v1/actors/"),
        "actors-detail": lambda: client.get(f"/api/v1/actors/{c.claimant_id}/"),
        "events-list": lambda: client.get("/api/v1/events/"),
        "events-detail": lambda: client.get(f"/api/v1/events/{c.event_id}/"),
        "flags-list": lambda: client.get("/api/v1/flags/"),
        "flags-detail": lambda: client.get(f"/api/v1/flags/{f.pk}/"),
        "flags-dismiss": lambda: client.post(
            f"/api/v1/flags/{f.pk}/dismiss/", {"reason": "Two wires, checked."}, format="json"
        ),
        "reviews-list": lambda: client.get("/api/v1/reviews/"),
        "reviews-detail": lambda: client.get(f"/api/v1/reviews/{r.pk}/"),
        "reviews-publish": lambda: client.post(f"/api/v1/reviews/{r.pk}/publish/"),
        "export": lambda: client.get("/api/v1/export/"),
        "export-csv": lambda: client.get("/api/v1/export/?format=csv"),
        "import": lambda: client.post(
            "/api/v1/import/", {"format": "claim-tracker", "version": 1}, format="json"
        ),
        "ingest": lambda: client.post("/api/v1/ingest/", {"text": "نص"}, format="json"),
        "ingest-status": lambda: client.get(f"/api/v1/ingest/{uuid.uuid4()}/"),
        "unknown-path": lambda: client.get("/api/v1/no-such-thing/"),
    }
    return calls[endpoint]()


READ = {"anonymous": 401, "viewer": 200, "editor": 200, "reviewer": 200, "admin": 200}
EDIT = {"anonymous": 401, "viewer": 403, "editor": 200, "reviewer": 200, "admin": 200}
MATRIX: dict[str, dict[str, int]] = {
    "claims-list": READ,
    "claims-detail": READ,
    "claims-patch": EDIT,
    "claims-review": EDIT | {"editor": 201, "reviewer": 201, "admin": 201},
    "sources-list": READ,
    "sources-detail": READ,
    "actors-list": READ,
    "actors-detail": READ,
    "events-list": READ,
    "events-detail": READ,
    "flags-list": READ,
    "flags-detail": READ,
    "flags-dismiss": EDIT,
    "reviews-list": READ,
    "reviews-detail": READ,
    "reviews-publish": EDIT | {"editor": 403},
    "export": EDIT,
    "export-csv": EDIT,
    "import": EDIT | {"editor": 403, "reviewer": 403},
    "ingest": EDIT | {"editor": 202, "reviewer": 202, "admin": 202},
    "ingest-status": READ,
    "unknown-path": READ | {"viewer": 404, "editor": 404, "reviewer": 404, "admin": 404},
}


@pytest.mark.parametrize(
    ("endpoint", "role", "expected"),
    [(e, role, codes[role]) for e, codes in MATRIX.items() for role in ROLES],
)
def test_each_role_gets_the_documented_status_from_each_endpoint(
    endpoint: str, role: str, expected: int, world: SimpleNamespace, queued: list[Any]
) -> None:
    response = _call(endpoint, client_as(role, world.users), world)

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"


def test_a_session_login_also_authenticates(world: SimpleNamespace) -> None:
    client = APIClient()
    client.force_login(world.users["viewer"])

    assert client.get("/api/v1/claims/").status_code == 200


def test_a_bad_token_is_refused_with_401(db: None) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/claims/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_too_many_requests_get_429_with_retry_after(
    world: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    client = client_as("viewer", world.users)

    codes = [client.get("/api/v1/actors/").status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    response = client.get("/api/v1/actors/")
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


# ---- claim detail and list shapes ---------------------------------------------------------


def test_claim_detail_nests_chain_flags_and_latest_review(world: SimpleNamespace) -> None:
    claim = world.claim
    response = client_as("viewer", world.users).get(f"/api/v1/claims/{claim.pk}/")

    body = response.json()
    assert response["ETag"] == etag(claim)
    assert body["claimant"]["id"] == claim.claimant_id
    assert set(body["claimant"]) == {
        "id",
        "name",
        "name_ar",
        "kind",
        "party_to_conflict",
        "reliability",
    }
    assert body["appearances"] and set(body["appearances"][0]["source"]) == {
        "id",
        "url",
        "publisher",
        "is_placeholder",
    }
    assert body["roots"] and all(isinstance(r, int) for r in body["roots"])
    assert body["independent_root_count"] >= 1
    assert body["open_flags"] == [
        {
            "id": world.flag.pk,
            "kind": "single_root",
            "severity": "minor",
            "detail": world.flag.detail,
        }
    ]
    assert body["latest_review"] is None
    assert body["places"] and set(body["places"][0]) == {"id", "name", "name_ar"}


def test_claim_list_is_ordered_by_priority_and_pages_with_a_cursor(
    world: SimpleNamespace,
) -> None:
    ClaimFactory.create_batch(10)
    Claim.objects.filter(pk=world.claim.pk).update(priority=99)
    client = client_as("viewer", world.users)

    first = client.get("/api/v1/claims/?page_size=5").json()
    second = client.get(first["next"]).json()

    assert first["results"][0]["id"] == world.claim.pk
    assert len(first["results"]) == 5
    assert not {c["id"] for c in first["results"]} & {c["id"] for c in second["results"]}
    assert "count" not in first


def test_page_size_is_capped_at_one_hundred(world: SimpleNamespace) -> None:
    ClaimFactory.create_batch(110)

    body = client_as("viewer", world.users).get("/api/v1/claims/?page_size=500").json()

    assert len(body["results"]) == 100


@pytest.mark.parametrize("ordering", ["stated_at", "-stated_at", "updated_at", "-priority", "id"])
def test_every_ordering_pages_through_all_claims_once(
    world: SimpleNamespace, ordering: str
) -> None:
    ClaimFactory.create_batch(12, stated_at=dt.date(2025, 11, 27))
    ClaimFactory.create_batch(5, priority=3.5)
    client = client_as("viewer", world.users)
    seen: list[int] = []
    url: str | None = f"/api/v1/claims/?ordering={ordering}&page_size=7"
    while url:
        body = client.get(url).json()
        seen += [c["id"] for c in body["results"]]
        url = body["next"]

    assert sorted(seen) == sorted(Claim.objects.values_list("id", flat=True))


def test_paging_reaches_every_claim_when_more_than_a_thousand_share_one_priority(
    world: SimpleNamespace,
) -> None:
    # DRF's cursor kept only the first ordering value and an offset capped at 1,000: past that,
    # the next links went round in circles among claims of equal priority.
    claimant = world.claim.claimant
    Claim.objects.bulk_create(
        Claim(slug=f"same-priority-{n}", claimant=claimant, text=f"claim {n}", priority=40.0)
        for n in range(1_050)
    )
    client = client_as("viewer", world.users)
    seen: list[int] = []
    url: str | None = "/api/v1/claims/?page_size=100"
    while url:
        body = client.get(url).json()
        seen += [c["id"] for c in body["results"]]
        url = body["next"]

    assert len(seen) == len(set(seen)) == Claim.objects.count()


# ---- filters ------------------------------------------------------------------------------


def _ids(client: APIClient, query: str) -> set[int]:
    response = client.get(f"/api/v1/claims/?page_size=100&{query}")
    assert response.status_code == 200, response.content
    return {c["id"] for c in response.json()["results"]}


def test_filtering_on_a_governorate_finds_claims_in_its_towns(
    seeded_world: SimpleNamespace,
) -> None:
    rif_dimashq = Place.objects.get(ref="geonames:170652")
    dumayr_claim = Claim.objects.get(slug="lister-first-coalition-airdrop-al-dumayr")
    client = client_as("viewer", seeded_world.users)

    found = _ids(client, f"place={rif_dimashq.pk}")

    assert dumayr_claim.pk in found
    assert Claim.objects.get(slug="isis-tatan-quarter-attack-one-killed-one-wounded").pk not in (
        found
    )


def test_text_search_folds_arabic_letter_variants(seeded_world: SimpleNamespace) -> None:
    found = _ids(client_as("viewer", seeded_world.users), "q=الامريكيه")

    assert Claim.objects.get(slug="lister-over-4000-iranian-weapons-seized").pk in found


def test_updated_since_lists_only_claims_changed_after_it(world: SimpleNamespace) -> None:
    cutoff = timezone.now() + dt.timedelta(minutes=5)
    Claim.objects.filter(pk=world.claim.pk).update(updated_at=cutoff + dt.timedelta(minutes=1))
    client = client_as("viewer", world.users)

    found = _ids(client, "updated_since=" + cutoff.isoformat().replace("+00:00", "Z"))

    assert found == {world.claim.pk}


def test_flag_filter_lists_claims_with_an_open_flag_of_that_kind(world: SimpleNamespace) -> None:
    dismissed: Any = FlagFactory(
        kind=Flag.Kind.SINGLE_ROOT, state="dismissed", dismissed_reason="x"
    )
    dismissed.claims.add(ClaimFactory())
    client = client_as("viewer", world.users)

    assert _ids(client, "flag=single_root") == {world.claim.pk}
    assert _ids(client, "flag=denial") == set()


def test_state_verdict_claimant_event_and_language_filters_combine(
    world: SimpleNamespace,
) -> None:
    claim = world.claim
    Claim.objects.filter(pk=claim.pk).update(state="in_review")
    client = client_as("viewer", world.users)

    found = _ids(
        client,
        f"state=in_review&verdict=unverified&claimant={claim.claimant_id}"
        f"&event={claim.event_id}&language={claim.language}",
    )

    assert found == {claim.pk}


@pytest.mark.parametrize(
    "query",
    [
        "updated_since=yesterday",
        "state=finished",
        "flag=bogus",
        "claimant=999999999",
        "claimant=abc",
        "place=999999999",
        "ordering=text",
        "language=fr",
    ],
)
def test_bad_filter_values_are_refused_with_400(world: SimpleNamespace, query: str) -> None:
    response = client_as("viewer", world.users).get(f"/api/v1/claims/?{query}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]


def test_flags_filter_by_claim_and_state(world: SimpleNamespace) -> None:
    client = client_as("viewer", world.users)

    body = client.get(f"/api/v1/flags/?claim={world.claim.pk}&state=open").json()

    assert [f["id"] for f in body["results"]] == [world.flag.pk]


# ---- If-Match editing ---------------------------------------------------------------------


def test_a_fresh_if_match_saves_the_edit_and_returns_a_new_etag(world: SimpleNamespace) -> None:
    claim = world.claim
    before = etag(claim)
    client = client_as("editor", world.users)

    response = client.patch(
        f"/api/v1/claims/{claim.pk}/",
        {"text_en": "Corrected translation.", "tags": ["rif-dimashq"], "reason": "Translation"},
        format="json",
        HTTP_IF_MATCH=etag(claim),
    )

    assert response.status_code == 200, response.content
    claim.refresh_from_db()
    assert claim.text_en == "Corrected translation."
    assert response["ETag"] == f'W/"claim-{claim.pk}-v{claim.version}"' != before
    assert response.json()["version"] == claim.version
    assert claim.history.first().history_change_reason == "Translation"


def test_a_stale_if_match_is_refused_with_412_and_nothing_changes(
    world: SimpleNamespace,
) -> None:
    claim = world.claim
    stale = etag(claim)
    Claim.objects.filter(pk=claim.pk).update(version=claim.version + 1)
    client = client_as("editor", world.users)

    response = client.patch(
        f"/api/v1/claims/{claim.pk}/",
        {"text_en": "Overwrite.", "reason": "Mine"},
        format="json",
        HTTP_IF_MATCH=stale,
    )

    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    after = Claim.objects.get(pk=claim.pk)
    assert (after.text_en, after.version) == (claim.text_en, claim.version + 1)


def test_an_edit_without_if_match_is_refused_with_428(world: SimpleNamespace) -> None:
    response = client_as("editor", world.users).patch(
        f"/api/v1/claims/{world.claim.pk}/", {"text_en": "x", "reason": "y"}, format="json"
    )

    assert response.status_code == 428
    assert "If-Match" in response.json()["error"]["message"]
    assert Claim.objects.get(pk=world.claim.pk).version == world.claim.version


def test_an_edit_without_a_reason_is_refused_with_400(world: SimpleNamespace) -> None:
    response = client_as("editor", world.users).patch(
        f"/api/v1/claims/{world.claim.pk}/",
        {"text_en": "x"},
        format="json",
        HTTP_IF_MATCH=etag(world.claim),
    )

    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    assert Claim.objects.get(pk=world.claim.pk).text_en == world.claim.text_en


@pytest.mark.parametrize(
    "body",
    [
        {"state": "published", "reason": "Sneaky"},
        {"reason": "Nothing to change"},
        {"stance": "shouts", "reason": "Bad choice"},
        {"event_start": "2025-11-27", "event_end": "2025-11-24", "reason": "Backwards"},
        {"text": "", "reason": "Empty"},
    ],
)
def test_edits_outside_the_editable_fields_or_invalid_are_400_and_change_nothing(
    world: SimpleNamespace, body: dict[str, Any]
) -> None:
    response = client_as("editor", world.users).patch(
        f"/api/v1/claims/{world.claim.pk}/",
        body,
        format="json",
        HTTP_IF_MATCH=etag(world.claim),
    )

    assert response.status_code == 400, response.content
    assert Claim.objects.get(pk=world.claim.pk).version == world.claim.version


def test_an_if_match_for_another_claim_is_412(world: SimpleNamespace) -> None:
    other = Claim.objects.exclude(pk=world.claim.pk).first()
    assert other is not None
    response = client_as("editor", world.users).patch(
        f"/api/v1/claims/{world.claim.pk}/",
        {"text_en": "x", "reason": "y"},
        format="json",
        HTTP_IF_MATCH=etag(other),
    )

    assert response.status_code == 412


# ---- reviews, publishing, flags -----------------------------------------------------------


def test_recording_a_review_returns_201_and_moves_the_claim_to_reviewed(
    world: SimpleNamespace,
) -> None:
    claim = world.claim
    response = client_as("editor", world.users).post(
        f"/api/v1/claims/{claim.pk}/reviews/",
        {"verdict": "contested", "rationale": "The MoI tells it differently."},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["reviewer"] == "demo-editor"
    claim.refresh_from_db()
    assert (claim.state, claim.verdict) == ("reviewed", "contested")


@pytest.mark.parametrize(
    "body",
    [{"verdict": "contested"}, {"verdict": "contested", "rationale": "  "}, {"verdict": "yes"}],
)
def test_a_review_without_rationale_or_with_an_unknown_verdict_is_400(
    world: SimpleNamespace, body: dict[str, Any]
) -> None:
    response = client_as("editor", world.users).post(
        f"/api/v1/claims/{world.claim.pk}/reviews/", body, format="json"
    )

    assert response.status_code == 400
    assert not Review.objects.filter(claim=world.claim).exists()


def test_a_review_at_a_stale_expected_version_is_409(world: SimpleNamespace) -> None:
    response = client_as("editor", world.users).post(
        f"/api/v1/claims/{world.claim.pk}/reviews/",
        {"verdict": "false", "rationale": "r", "expected_version": world.claim.version + 3},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_a_reviewer_cannot_publish_their_own_review_four_eyes(world: SimpleNamespace) -> None:
    reviewer = world.users["reviewer"]
    review = workflow.record_review(
        claim_id=world.claim.pk, verdict="likely_true", rationale="Checked.", by=reviewer
    )
    client = client_as("reviewer", world.users)

    response = client.post(f"/api/v1/reviews/{review.pk}/publish/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "four_eyes"
    assert not Review.objects.get(pk=review.pk).published


def test_another_reviewer_publishes_and_the_claim_is_published(world: SimpleNamespace) -> None:
    review = workflow.record_review(
        claim_id=world.claim.pk, verdict="likely_true", rationale="OK.", by=world.users["editor"]
    )

    response = client_as("reviewer", world.users).post(f"/api/v1/reviews/{review.pk}/publish/")

    assert response.status_code == 200
    assert response.json()["published_by"] == "demo-reviewer"
    assert Claim.objects.get(pk=world.claim.pk).state == "published"
    again = client_as("admin", world.users).post(f"/api/v1/reviews/{review.pk}/publish/")
    assert again.status_code == 409
    detail = client_as("viewer", world.users).get(f"/api/v1/claims/{world.claim.pk}/").json()
    assert detail["latest_review"]["id"] == review.pk


def test_dismissing_a_flag_needs_a_reason(world: SimpleNamespace) -> None:
    client = client_as("editor", world.users)
    url = f"/api/v1/flags/{world.flag.pk}/dismiss/"

    refused = client.post(url, {}, format="json")
    blank = client.post(url, {"reason": " "}, format="json")
    dismissed = client.post(url, {"reason": "Reuters and AFP reported separately."}, format="json")
    again = client.post(url, {"reason": "Twice."}, format="json")

    assert (refused.status_code, blank.status_code) == (400, 400)
    assert "reason" in refused.json()["error"]["fields"]
    assert dismissed.status_code == 200
    assert dismissed.json()["state"] == "dismissed"
    assert again.status_code == 409


# ---- ingest -------------------------------------------------------------------------------


def test_ingesting_a_url_queues_the_task_with_its_options(
    world: SimpleNamespace, queued: list[Any]
) -> None:
    response = client_as("editor", world.users).post(
        "/api/v1/ingest/",
        {
            "url": "https://example.org/story",
            "language": "ar",
            "published": "2025-11-27",
            "publisher": "Enab Baladi",
            "via": ["https://www.centcom.mil/release"],
            "accept": True,
        },
        format="json",
    )

    assert response.status_code == 202
    body = response.json()
    assert body["status_url"] == f"/api/v1/ingest/{body['task_id']}/"
    assert queued == [
        (
            "ingest_url",
            ("https://example.org/story",),
            {
                "language": "ar",
                "published": "2025-11-27",
                "publisher": "Enab Baladi",
                "via_urls": ["https://www.centcom.mil/release"],
                "accept": True,
                "user_id": world.users["editor"].pk,
            },
        )
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": "a", "url": "https://example.org/"},
        {"url": "not a url"},
        {"text": "x", "language": "fr"},
        {"text": "x", "published": "27/11/2025"},
    ],
)
def test_ingest_refuses_bad_input_with_400_and_queues_nothing(
    world: SimpleNamespace, queued: list[Any], body: dict[str, Any]
) -> None:
    response = client_as("editor", world.users).post("/api/v1/ingest/", body, format="json")

    assert response.status_code == 400
    assert queued == []


def test_ingest_status_reports_a_finished_task(
    world: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claims.api import views

    class Finished:
        def __init__(self, task_id: str) -> None:
            self.state = "SUCCESS"
            self.result = {"status": "refused", "error": "The text is empty."}

    monkeypatch.setattr(views, "AsyncResult", Finished)
    client = client_as("viewer", world.users)

    body = client.get(f"/api/v1/ingest/{uuid.uuid4()}/").json()

    assert body == {"status": "refused", "error": "The text is empty."}
    assert client.get("/api/v1/ingest/not-a-task/").status_code == 404


# ---- export and import --------------------------------------------------------------------


def _streamed(response: Any) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_export_streams_the_filtered_claims_as_a_json_download(world: SimpleNamespace) -> None:
    Claim.objects.filter(pk=world.claim.pk).update(state="in_review")
    client = client_as("editor", world.users)

    response = client.get("/api/v1/export/?state=in_review")

    document = json.loads(_streamed(response))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="claims-')
    assert (document["format"], document["version"]) == ("claim-tracker", 1)
    assert document["filters"] == {"state": "in_review"}
    assert [c["slug"] for c in document["claims"]] == [world.claim.slug]


def test_export_as_csv_for_excel_starts_with_a_byte_order_mark(world: SimpleNamespace) -> None:
    client = client_as("editor", world.users)

    response = client.get("/api/v1/export/", {"format": "csv", "bom": "1"})

    body = _streamed(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith(b"\xef\xbb\xbfslug,")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert {r["slug"] for r in rows} == set(Claim.objects.values_list("slug", flat=True))
    assert rows[0]["text"] == Claim.objects.get(slug=rows[0]["slug"]).text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=csv&state=finished", "state"),
        ("format=xml", "format"),
        ("format=csv&bom=maybe", "bom"),
        ("claimant=999999999", "claimant"),
    ],
)
def test_export_refuses_bad_parameters_with_400_in_json(
    world: SimpleNamespace, query: str, field: str
) -> None:
    response = client_as("editor", world.users).get(f"/api/v1/export/?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()["error"]["fields"]


def test_import_through_the_api_dry_run_first_then_for_real(world: SimpleNamespace) -> None:
    client = client_as("admin", world.users)
    document = json.loads(_streamed(client.get("/api/v1/export/")))
    document["claims"][0]["text_en"] = "Imported translation."
    slug = document["claims"][0]["slug"]

    dry = client.post("/api/v1/import/?dry_run=1", document, format="json")
    assert dry.status_code == 200, dry.content
    assert dry.json()["dry_run"] is True
    assert dry.json()["updated"] == {"claims": 1}
    assert Claim.objects.get(slug=slug).text_en != "Imported translation."

    done = client.post("/api/v1/import/", document, format="json")
    again = client.post("/api/v1/import/", document, format="json")

    assert done.status_code == 200
    assert done.json()["summary"] == "Imported: 1 claim updated."
    assert Claim.objects.get(slug=slug).text_en == "Imported translation."
    assert again.json()["summary"] == "Imported: nothing changed."


def test_import_refuses_a_bad_document_whole_with_each_problem_under_its_path(
    world: SimpleNamespace,
) -> None:
    client = client_as("admin", world.users)
    document = json.loads(_streamed(client.get("/api/v1/export/")))
    document["claims"][0]["claimant"] = "nobody"
    document["claims"][1]["appearances"][0]["via"] = "nowhere"
    document["claims"].append(dict(document["claims"][1], text_en="A third claim."))
    before = Claim.objects.count()

    response = client.post("/api/v1/import/", document, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "import_refused"
    assert error["message"] == "Import refused: 4 problems; nothing was stored."
    assert set(error["fields"]) == {
        "claims[0].claimant",
        "claims[1].appearances[0].via",
        "claims[2].appearances[0].via",
        "claims[2].slug",
    }
    assert Claim.objects.count() == before


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_request"),
        (b"", "application/json", 400, "malformed_request"),
        (b"[1, 2, 3]", "application/json", 400, "import_refused"),
        (b'"a string"', "application/json", 400, "import_refused"),
        (
            b'{"format": "claim-tracker", "version": 1, "claims": []}' + b" " * 200,
            "application/json",
            400,
            "too_large",
        ),
        (b'{"format": "claim-tracker", "version": 1}', "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_import_refuses_unreadable_bodies_in_the_error_shape_and_stores_nothing(
    world: SimpleNamespace, settings: Any, body: bytes, content_type: str, status: int, code: str
) -> None:
    settings.TRACKER_IMPORT_MAX_BYTES = 100
    before = (Claim.objects.count(), Actor.objects.count())

    response = client_as("admin", world.users).post(
        "/api/v1/import/", body, content_type=content_type
    )

    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if code == "import_refused":
        assert list(error["fields"]) == ["$"]
    assert (Claim.objects.count(), Actor.objects.count()) == before


def test_the_export_costs_the_same_queries_for_5_or_50_claims(
    world: SimpleNamespace,
) -> None:
    client = APIClient()
    client.force_authenticate(world.users["editor"])
    _streamed(client.get("/api/v1/export/"))  # the editor's permissions are cached from here

    def export_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            _streamed(client.get("/api/v1/export/?format=json"))
        return len(queries)

    small = export_queries()
    for _ in range(48):
        AppearanceFactory(claim=ClaimFactory())
    large = export_queries()

    # Expect at most 15 queries whatever the number of claims (see tests/test_transfer.py).
    assert small == large <= 15


# ---- error shape --------------------------------------------------------------------------


def test_malformed_json_is_a_400_in_the_error_shape(world: SimpleNamespace) -> None:
    response = client_as("editor", world.users).post(
        "/api/v1/ingest/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/claims/abc/",
        "/api/v1/claims/99999999999999999999999/",
        "/api/v1/claims/0/",
        "/api/v1/flags/1.5/",
        "/api/v1/reviews/999999/publish/",
    ],
)
def test_ids_that_are_not_records_are_404(world: SimpleNamespace, path: str) -> None:
    client = client_as("admin", world.users)

    response = client.post(path) if path.endswith("publish/") else client.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_method_an_endpoint_does_not_have_is_405(world: SimpleNamespace) -> None:
    response = client_as("admin", world.users).delete(f"/api/v1/claims/{world.claim.pk}/")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# ---- query counts -------------------------------------------------------------------------


def _count_queries(client: APIClient, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


def test_the_claim_list_costs_the_same_queries_for_5_or_50_rows(
    world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    ClaimFactory.create_batch(50)
    client = APIClient()
    client.force_authenticate(world.users["viewer"])
    client.get("/api/v1/claims/")  # the viewer's permissions are cached on the user from here

    # Expect 2 queries: the claims (claimant joined, open-flag count as a subquery) and their
    # places.
    with django_assert_max_num_queries(2):
        small, n_small = _count_queries(client, "/api/v1/claims/?page_size=5")
    with django_assert_max_num_queries(2):
        large, n_large = _count_queries(client, "/api/v1/claims/?page_size=50")

    assert (n_small, n_large) == (5, 50)
    assert small == large


def test_the_flag_list_costs_the_same_queries_for_5_or_50_rows(
    world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    claims = list(Claim.objects.all()[:3])
    for flag in FlagFactory.create_batch(60):
        flag.claims.set(claims)
    client = APIClient()
    client.force_authenticate(world.users["viewer"])
    client.get("/api/v1/flags/")

    # Expect 3 queries: the flags, their claim ids and their source ids.
    with django_assert_max_num_queries(3):
        small, n_small = _count_queries(client, "/api/v1/flags/?page_size=5")
    with django_assert_max_num_queries(3):
        large, n_large = _count_queries(client, "/api/v1/flags/?page_size=50")

    assert (n_small, n_large) == (5, 50)
    assert small == large
