"""Signed webhooks: the signature scheme, and deliveries end to end through the workflow, the real
Redis broker, a real Celery worker and a real HTTP receiver on 127.0.0.1 (admitted by the
test-only loopback allowance, TRACKER_WEBHOOKS_ALLOW_LOOPBACK)."""

from __future__ import annotations

import http.server
import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import pytest
from django.core.exceptions import ValidationError

from claims import fetching, webhooks, workflow
from claims.admin import WebhookSubscriberForm
from claims.models import Claim, Review, WebhookDelivery, WebhookSubscriber, validate_webhook_url
from tests.factories import ClaimFactory

pytestmark = pytest.mark.integration

SECRET = "whsec-test-secret"
BODY = b'{"event":"review.published","verdict":"false"}'
T = TypeVar("T")


# --- The receiver ---------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    port: int
    # Status codes to answer, per path, in order; once used up (or for any other path): 200.
    script: dict[str, list[int]] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    connections: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=0)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append(
                    Received(self.path, dict(self.headers.items()), body, time.monotonic())
                )
                planned = state.script.get(self.path, [])
                status = planned.pop(0) if planned else 200
            reply = b"ok" if status < 300 else b"receiver is having a bad day"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            if status in (301, 302, 307, 308):
                self.send_header("Location", "/elsewhere")
            self.end_headers()
            self.wfile.write(reply)

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def verify_request(self, request: Any, client_address: Any) -> bool:
            state.connections += 1
            return True

    server = Server(("127.0.0.1", 0), Handler)
    state.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fetch_queue() -> Iterator[None]:
    """Deliveries are routed to the fetch queue, which production's fetcher worker consumes
    (`-Q fetch`). Declared before the test worker starts, so it consumes it as well."""
    from kombu import Queue

    from tracker.celery import app

    queues = app.amqp.queues
    added = "fetch" not in queues.consume_from
    queues.select_add(Queue("fetch", routing_key="fetch"))
    yield
    if added:
        queues.deselect(["fetch"])


@pytest.fixture
def hooks(fetch_queue: None, celery_worker: Any, settings: Any) -> Any:
    """The real worker, with the test-only loopback allowance and a short backoff."""
    settings.TRACKER_WEBHOOKS_ALLOW_LOOPBACK = True
    # Retry n waits 0.05 * 2**n s: five retries in about 1.5 s instead of 2.5 minutes.
    settings.TRACKER_WEBHOOK_BACKOFF_S = 0.05
    return celery_worker


def eventually(check: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"Gave up after {timeout:.0f} s waiting for {what}.")


def subscriber(url: str, *events: str, **fields: Any) -> WebhookSubscriber:
    return WebhookSubscriber.objects.create(
        name=f"desk {uuid.uuid4().hex[:6]}",
        url=url,
        events=list(events) or ["review.published"],
        **fields,
    )


def new_claim() -> Claim:
    return cast(Claim, ClaimFactory())


def publish(claim: Claim, role_users: dict[str, Any], verdict: str = "false") -> Review:
    review = workflow.record_review(
        claim_id=claim.pk,
        verdict=verdict,
        rationale="The ministry's own footage shows another town.",
        evidence_links=["https://example.org/geolocation"],
        by=role_users["editor"],
    )
    return workflow.publish_review(review_id=review.pk, by=role_users["reviewer"])


def finished(delivery_pk: int) -> WebhookDelivery | None:
    delivery = WebhookDelivery.objects.get(pk=delivery_pk)
    return delivery if delivery.state != WebhookDelivery.State.PENDING else None


# --- Signing (pure) -------------------------------------------------------------------------


def test_a_signature_header_verifies_with_the_same_secret_and_body() -> None:
    now = int(time.time())
    header = webhooks.signature_header(SECRET, now, BODY)

    assert header == f"t={now},v1={webhooks.sign(SECRET, now, BODY)}"
    assert webhooks.verify(SECRET, header, BODY)


def test_the_signature_is_the_hmac_sha256_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()

    assert webhooks.sign(SECRET, 1700000000, BODY) == expected


def test_a_tampered_body_fails_verification() -> None:
    header = webhooks.signature_header(SECRET, int(time.time()), BODY)

    assert not webhooks.verify(SECRET, header, BODY.replace(b"false", b"true"))


def test_another_secret_fails_verification() -> None:
    header = webhooks.signature_header(SECRET, int(time.time()), BODY)

    assert not webhooks.verify("someone-elses-secret", header, BODY)


@pytest.mark.parametrize("age_s", [301, -301, 86400])
def test_a_timestamp_more_than_five_minutes_off_fails_verification(age_s: int) -> None:
    now = time.time()
    header = webhooks.signature_header(SECRET, int(now - age_s), BODY)

    assert not webhooks.verify(SECRET, header, BODY, now=now)


def test_a_replayed_timestamp_with_a_recomputed_time_fails_verification() -> None:
    # Moving t forward without the secret leaves a v1 that no longer matches.
    old = int(time.time()) - 3600
    signature = webhooks.sign(SECRET, old, BODY)

    assert not webhooks.verify(SECRET, f"t={int(time.time())},v1={signature}", BODY)


@pytest.mark.parametrize(
    "header", ["", "t=1700000000", "v1=abc", "t=soon,v1=abc", "garbage", "t=,v1="]
)
def test_a_malformed_signature_header_fails_verification(header: str) -> None:
    assert not webhooks.verify(SECRET, header, BODY, now=1700000000)


def test_any_one_of_several_v1_signatures_is_enough_for_secret_rotation() -> None:
    now = int(time.time())
    header = (
        f"t={now},v1={webhooks.sign('old-secret', now, BODY)},v1={webhooks.sign(SECRET, now, BODY)}"
    )

    assert webhooks.verify(SECRET, header, BODY)
    assert webhooks.verify("old-secret", header, BODY)


def test_the_body_is_canonical_json_whatever_the_key_order() -> None:
    assert webhooks.body_bytes({"b": 1, "a": "ضمير"}) == webhooks.body_bytes({"a": "ضمير", "b": 1})
    assert webhooks.body_bytes({"b": 1, "a": "ضمير"}) == '{"a":"ضمير","b":1}'.encode()


# --- Subscriber URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.0.0.1/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "cloud metadata"),
        ("http://[::1]:8000/hook", "loopback"),
        ("http://127.0.0.1/hook", "loopback"),
        ("http://0x7f000001/hook", "loopback"),
        ("http://[fe80::1]/hook", "link-local"),
        ("ftp://hooks.example.org/hook", "only http and https"),
        ("https://user:pw@hooks.example.org/hook", "user name or password"),
    ],
)
def test_a_subscriber_url_that_is_not_http_or_points_at_a_private_address_is_refused(
    url: str, why: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_webhook_url(url)

    assert why in caught.value.messages[0]
    assert "pw" not in caught.value.messages[0]


def test_a_public_or_named_subscriber_url_passes_the_static_check() -> None:
    # A name is checked after DNS, at every delivery.
    validate_webhook_url("https://hooks.example.org/tracker?desk=ar")
    validate_webhook_url("http://localhost:8000/hook")


@pytest.mark.django_db
def test_the_admin_form_refuses_a_private_address_and_an_unknown_event() -> None:
    form = WebhookSubscriberForm(
        data={"name": "Desk", "url": "http://192.168.1.20/hook", "events": ["review.deleted"]}
    )

    assert not form.is_valid()
    assert "private" in form.errors["url"][0]
    assert "review.deleted" in form.errors["events"][0]


@pytest.mark.django_db
def test_a_subscriber_without_a_secret_gets_a_generated_one_that_repr_never_shows() -> None:
    hook = subscriber("https://hooks.example.org/a")
    other = subscriber("https://hooks.example.org/b")

    assert len(hook.secret) >= 40
    assert hook.secret != other.secret
    assert hook.secret not in repr(hook) and hook.secret not in str(hook)


# --- Posting through the fetcher's rules (no worker) -----------------------------------------


def test_post_sends_the_exact_bytes_and_does_not_follow_a_redirect(receiver: Receiver) -> None:
    receiver.script["/moved"] = [307]

    answer = fetching.post(
        receiver.url("/moved"),
        BODY,
        headers={"Content-Type": "application/json"},
        policy=fetching.FetchPolicy(allow_loopback=True, timeout_s=5),
    )

    assert answer.status == 307
    assert [r.path for r in receiver.requests] == ["/moved"]
    assert receiver.requests[0].body == BODY


def test_post_refuses_a_private_address_before_connecting(receiver: Receiver) -> None:
    with pytest.raises(fetching.FetchRefused) as caught:
        fetching.post(receiver.url("/hook"), BODY, headers={})

    assert "loopback" in caught.value.reason
    assert "nothing was sent" in caught.value.reason
    assert receiver.connections == 0


# --- Queueing (in the publishing transaction) ------------------------------------------------


@pytest.mark.django_db
def test_only_active_subscribers_to_the_event_get_a_delivery(role_users: dict[str, Any]) -> None:
    wanted = subscriber("https://hooks.example.org/yes", "review.published")
    subscriber("https://hooks.example.org/changes", "verdict.changed")
    subscriber("https://hooks.example.org/off", "review.published", active=False)

    review = publish(new_claim(), role_users)

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.subscriber == wanted
    assert (delivery.review, delivery.event, delivery.state) == (
        review,
        "review.published",
        "pending",
    )


@pytest.mark.django_db
def test_the_payload_names_the_claim_verdict_rationale_and_public_url(
    role_users: dict[str, Any],
) -> None:
    subscriber("https://hooks.example.org/yes")
    claim = new_claim()

    review = publish(claim, role_users)

    delivery = WebhookDelivery.objects.get()
    assert delivery.payload == {
        "event": "review.published",
        "delivery_id": str(delivery.delivery_id),
        "claim": {
            "id": claim.pk,
            "slug": claim.slug,
            "text": claim.text,
            "language": "ar",
            "text_en": claim.text_en,
            "text_ar": "",
            "claimant": {
                "slug": claim.claimant.slug,
                "name": claim.claimant.name,
                "name_ar": "",
            },
            "public_url": f"/c/{claim.pk}/",
        },
        "verdict": "false",
        "verdict_label": "False",
        "previous_verdict": None,
        "review": {
            "id": review.pk,
            "rationale": "The ministry's own footage shows another town.",
            "language": "en",
            "evidence_links": ["https://example.org/geolocation"],
            "published_at": review.published_at.isoformat() if review.published_at else "",
        },
    }


@pytest.mark.django_db
def test_a_changed_published_verdict_also_queues_verdict_changed_with_the_previous_one(
    role_users: dict[str, Any],
) -> None:
    subscriber("https://hooks.example.org/all", "review.published", "verdict.changed")
    claim = new_claim()
    publish(claim, role_users, verdict="false")
    publish(claim, role_users, verdict="false")  # the same verdict again: no change
    publish(claim, role_users, verdict="likely_true")

    sent = list(WebhookDelivery.objects.order_by("id").values_list("event", "payload"))

    assert [event for event, _ in sent] == [
        "review.published",
        "review.published",
        "review.published",
        "verdict.changed",
    ]
    assert [p["previous_verdict"] for _, p in sent] == [None, None, "false", "false"]
    assert sent[-1][1]["verdict"] == "likely_true"


@pytest.mark.django_db
def test_a_subscriber_deactivated_after_queueing_is_not_sent_to(
    role_users: dict[str, Any], receiver: Receiver, settings: Any
) -> None:
    settings.TRACKER_WEBHOOKS_ALLOW_LOOPBACK = True
    hook = subscriber(receiver.url("/hook"))
    publish(new_claim(), role_users)
    WebhookSubscriber.objects.filter(pk=hook.pk).update(active=False)
    delivery = WebhookDelivery.objects.get()

    assert webhooks.deliver(delivery_id=delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert "deactivated" in delivery.last_error
    assert receiver.requests == []


# --- Delivery through the real worker ---------------------------------------------------------


def test_publishing_a_review_delivers_a_post_whose_signature_verifies(
    hooks: Any, receiver: Receiver, role_users: dict[str, Any]
) -> None:
    hook = subscriber(receiver.url("/hook"))

    review = publish(new_claim(), role_users)
    published = time.monotonic()

    [request] = eventually(lambda: receiver.on("/hook"), "the POST")
    delivery = eventually(lambda: finished(WebhookDelivery.objects.get().pk), "the log entry")
    # Measured at 60-85 ms here; the bound only catches a delivery stuck behind a backoff.
    assert request.at - published < 5
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-Tracker-Event"] == "review.published"
    assert request.headers["X-Tracker-Delivery"] == str(delivery.delivery_id)
    assert webhooks.verify(hook.secret, request.headers["X-Tracker-Signature"], request.body)
    assert not webhooks.verify("wrong", request.headers["X-Tracker-Signature"], request.body)
    assert request.body == webhooks.body_bytes(delivery.payload)
    sent = json.loads(request.body)
    assert sent["delivery_id"] == str(delivery.delivery_id)
    assert (sent["verdict"], sent["review"]["id"]) == ("false", review.pk)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.last_error == "" and delivery.finished_at is not None
    assert [a["status"] for a in delivery.attempt_log] == [200]


def test_a_receiver_failing_twice_gets_a_third_try_and_the_delivery_is_delivered(
    hooks: Any, receiver: Receiver, role_users: dict[str, Any]
) -> None:
    hook = subscriber(receiver.url("/flaky"))
    receiver.script["/flaky"] = [500, 500]

    publish(new_claim(), role_users)

    delivery = eventually(lambda: finished(WebhookDelivery.objects.get().pk), "the delivery")
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert [a["status"] for a in delivery.attempt_log] == [500, 500, 200]
    assert "HTTP 500" in delivery.attempt_log[0]["error"]
    assert "bad day" in delivery.attempt_log[0]["error"]
    requests = receiver.on("/flaky")
    assert len(requests) == 3
    # Every attempt is the same delivery with the same body, each signed afresh.
    assert {r.headers["X-Tracker-Delivery"] for r in requests} == {str(delivery.delivery_id)}
    assert {r.body for r in requests} == {webhooks.body_bytes(delivery.payload)}
    for r in requests:
        assert webhooks.verify(hook.secret, r.headers["X-Tracker-Signature"], r.body)
    # The backoff doubles: 0.05 s, then 0.1 s (with scheduling slack).
    gaps = [b.at - a.at for a, b in itertools.pairwise(requests)]
    assert gaps[0] >= 0.04 and gaps[1] >= 0.09


def test_a_receiver_that_never_recovers_fails_the_delivery_after_five_retries(
    hooks: Any, receiver: Receiver, role_users: dict[str, Any]
) -> None:
    subscriber(receiver.url("/down"))
    receiver.script["/down"] = [503] * 10

    publish(new_claim(), role_users)

    delivery = eventually(lambda: finished(WebhookDelivery.objects.get().pk), "the failure")
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("failed", 6, 503)
    assert "HTTP 503" in delivery.last_error
    time.sleep(1.0)  # a seventh attempt would have come by now
    assert len(receiver.on("/down")) == 6


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address anything in this process connects to (the worker's Redis included); any
    connect outside 127.0.0.0/8 and ::1 fails the test instead of leaving this machine."""
    seen: list[Any] = []
    original = socket.socket.connect

    def recording(self: socket.socket, address: Any) -> None:
        seen.append(address)
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        if not (host.startswith("127.") or host == "::1"):
            raise AssertionError(f"connected to {address!r}")
        original(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    return seen


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("10.0.0.1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("[::1]", "a loopback address"),
        ("localhost", "resolves to 127.0.0.1, a loopback address"),
    ],
)
def test_a_subscriber_on_a_private_address_is_refused_without_connecting_or_retrying(
    hooks: Any,
    receiver: Receiver,
    role_users: dict[str, Any],
    settings: Any,
    connects: list[Any],
    host: str,
    why: str,
) -> None:
    # Without the test-only allowance: loopback is as private as 10.0.0.1 here.
    settings.TRACKER_WEBHOOKS_ALLOW_LOOPBACK = False
    # Planted directly: the form would refuse the literal ones, but a row may predate the rule.
    subscriber(receiver.url("/hook", host=host))

    publish(new_claim(), role_users)

    delivery = eventually(lambda: finished(WebhookDelivery.objects.get().pk), "the refusal")
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("failed", 1, None)
    assert why in delivery.last_error
    assert "nothing was sent" in delivery.last_error
    assert "will not be retried" in delivery.last_error
    time.sleep(0.5)  # a retry (0.05 s backoff) would have come by now
    assert WebhookDelivery.objects.get().attempts == 1
    assert receiver.connections == 0
    assert not [a for a in connects if isinstance(a, tuple) and a[1] == receiver.port]


def test_unsubscribed_and_inactive_subscribers_receive_nothing(
    hooks: Any, receiver: Receiver, role_users: dict[str, Any]
) -> None:
    subscriber(receiver.url("/yes"), "review.published")
    subscriber(receiver.url("/changes-only"), "verdict.changed")
    subscriber(receiver.url("/off"), "review.published", active=False)

    publish(new_claim(), role_users)

    eventually(lambda: receiver.on("/yes"), "the subscribed POST")
    time.sleep(0.5)
    assert [r.path for r in receiver.requests] == ["/yes"]
    assert WebhookDelivery.objects.count() == 1


def test_every_delivery_is_logged_with_its_attempts_and_status_codes(
    hooks: Any, receiver: Receiver, role_users: dict[str, Any]
) -> None:
    subscriber(receiver.url("/a"), "review.published", "verdict.changed")
    subscriber(receiver.url("/b"), "review.published")
    receiver.script["/b"] = [502]
    claim = new_claim()

    publish(claim, role_users, verdict="false")
    publish(claim, role_users, verdict="contested")

    eventually(
        lambda: WebhookDelivery.objects.filter(state="delivered").count() == 5, "five deliveries"
    )
    log = sorted(
        (
            d.subscriber.url.rsplit("/", 1)[1],
            d.event,
            d.attempts,
            [a["status"] for a in d.attempt_log],
        )
        for d in WebhookDelivery.objects.select_related("subscriber")
    )
    # /b's first 502 lands on whichever of its two deliveries went first.
    assert log[:3] == [
        ("a", "review.published", 1, [200]),
        ("a", "review.published", 1, [200]),
        ("a", "verdict.changed", 1, [200]),
    ]
    assert sorted(entry[2] for entry in log[3:]) == [1, 2]
    assert sorted(entry[3] for entry in log[3:]) == [[200], [502, 200]]


# --- Admin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_shows_a_new_secret_once_and_never_on_the_change_page(admin_client: Any) -> None:
    response = admin_client.post(
        "/admin/claims/webhooksubscriber/add/",
        {
            "name": "Arabic desk",
            "url": "https://hooks.example.org/ar",
            "secret": "",
            "events": ["review.published", "verdict.changed"],
            "active": "on",
        },
        follow=True,
    )

    hook = WebhookSubscriber.objects.get()
    assert hook.secret in response.content.decode()
    assert hook.created_by is not None
    assert hook.events == ["review.published", "verdict.changed"]
    change = admin_client.get(f"/admin/claims/webhooksubscriber/{hook.pk}/change/")
    listing = admin_client.get("/admin/claims/webhooksubscriber/")
    assert change.status_code == listing.status_code == 200
    assert hook.secret not in change.content.decode()
    assert hook.secret not in listing.content.decode()


@pytest.mark.django_db
def test_the_admin_delivery_log_is_read_only_and_filters_by_state(
    admin_client: Any, role_users: dict[str, Any]
) -> None:
    subscriber("https://hooks.example.org/yes")
    publish(new_claim(), role_users)
    delivery = WebhookDelivery.objects.get()

    listing = admin_client.get("/admin/claims/webhookdelivery/?state__exact=pending")
    failed = admin_client.get("/admin/claims/webhookdelivery/?state__exact=failed")
    page = admin_client.get(f"/admin/claims/webhookdelivery/{delivery.pk}/change/")

    assert "review.published" in listing.content.decode()
    assert "0 webhook deliveries" in failed.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/claims/webhookdelivery/add/").status_code == 403
