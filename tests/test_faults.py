"""Faults, for real (issue 8): the web server (gunicorn, in processes of its own, on the test
database) keeps serving and taking edits while Redis is down, and the checks those edits asked
for run once Redis is back; and a web server killed in the middle of many concurrent writes loses
none that it answered 2xx for and leaves none half-written."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from rest_framework.authtoken.models import Token

from claims import verification
from claims.models import Claim, Flag, PendingCheck, Review
from tests.factories import AppearanceFactory, ClaimFactory
from tests.support import LoggedProcess, forget_broker_connections, free_port, wait_for
from tests.test_verification_reliability import RedisServer, the_test_database_url, worker
from tracker.celery import app as celery_app
from tracker.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
# Each request of an editor, with Redis down, must come back within this.
PROMPT_S = 3.0


class WebServer:
    """`gunicorn` with the project's gunicorn.conf.py, two sync workers, on the test database
    and the given Redis; started again on the same port after a kill."""

    def __init__(self, redis_url: str) -> None:
        self.port = free_port()
        self.redis_url = redis_url
        self.process: LoggedProcess | None = None
        self.log = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
        env.update(
            DATABASE_URL=the_test_database_url(),
            REDIS_URL=self.redis_url,
            DJANGO_SETTINGS_MODULE="tracker.settings",
            WEB_CONCURRENCY="2",
            # The load below is one user's; the per-user throttle is not what is tested here.
            API_THROTTLE_USER="100000/min",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        self.process = LoggedProcess(
            [
                *(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"),
                *("--bind", f"127.0.0.1:{self.port}", "--preload"),
            ],
            cwd=ROOT,
            env=env,
        )
        wait_for(self._answers, 60, f"gunicorn on port {self.port}", self.output)

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.proc.poll() is not None:
            pytest.fail(f"gunicorn exited with {self.process.proc.returncode}:\n{self.output()}")
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def output(self) -> str:
        return self.log + (self.process.output() if self.process else "")

    def signal(self, signum: int) -> None:
        """Send `signum` to gunicorn's master and every worker (its process group)."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.proc.pid, signum)

    def wait_stopped(self, timeout: float = 40) -> None:
        assert self.process is not None
        try:
            self.process.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.proc.wait(timeout=10)
        self.log += self.process.output()
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.signal(signal.SIGKILL)
            self.wait_stopped()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with tempfile.TemporaryDirectory(prefix="faults-redis-") as workdir:
        server = RedisServer(workdir)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def web(django_db_setup: None, redis_server: RedisServer) -> Iterator[WebServer]:
    server = WebServer(redis_server.url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def broker(redis_server: RedisServer, settings: Any) -> Iterator[RedisServer]:
    """This process (the ORM's signals, sweep_outbox) sends to the same Redis as the server."""
    if redis_server.proc is None:
        redis_server.start()
    conf = celery_app.conf
    saved = {"broker_url": conf.broker_url, "result_backend": conf.result_backend}
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = redis_server.url
    conf.update(broker_url=redis_server.url, result_backend=redis_server.url)
    forget_broker_connections()
    try:
        yield redis_server
    finally:
        conf.update(**saved)
        forget_broker_connections()


def can_log_in_over_http(user: Any) -> None:
    """The test process hashes passwords with MD5 (conftest); the server only knows the
    production hashers. A cheap PBKDF2 hash of the same password works for both."""
    user.password = PBKDF2PasswordHasher().encode(DEMO_PASSWORD, "faultstest", iterations=1000)
    user.save(update_fields=["password"])


def token(user: Any) -> str:
    key = Token.objects.get_or_create(user=user)[0].key
    return f"Token {key}"


def timed(what: str, call: Any) -> Any:
    started = time.monotonic()
    response = call()
    took = time.monotonic() - started
    assert took < PROMPT_S, f"{what} took {took:.1f} s with Redis down"
    return response


def form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match is not None, f"no {name} in the page"
    return match.group(1)


def test_with_redis_down_the_ui_and_api_serve_and_save_and_the_checks_run_once_it_is_back(
    web: WebServer, broker: RedisServer, role_users: dict[str, Any]
) -> None:
    editor = role_users["editor"]
    can_log_in_over_http(editor)
    api_edited = cast(Claim, ClaimFactory(slug="edited-over-the-api"))
    ui_edited = cast(Claim, ClaimFactory(slug="edited-in-the-ui"))
    AppearanceFactory(claim=ui_edited)
    authorization = token(editor)
    for _ in range(4):  # both workers past their first request, which loads the URL map
        requests.get(f"{web.url}/accounts/login/", timeout=30)

    broker.stop()
    outage_started = timezone.now()

    browser = requests.Session()
    login_page = timed(
        "the login page", lambda: browser.get(f"{web.url}/accounts/login/", timeout=10)
    )
    logged_in = timed(
        "logging in",
        lambda: browser.post(
            f"{web.url}/accounts/login/",
            data={
                "username": editor.username,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": form_value(login_page.text, "csrfmiddlewaretoken"),
            },
            headers={"Referer": f"{web.url}/accounts/login/"},
            timeout=10,
        ),
    )
    assert logged_in.status_code == 200 and logged_in.url == f"{web.url}/", logged_in.url
    queue = timed("the queue", lambda: browser.get(f"{web.url}/claims/", timeout=10))
    assert queue.status_code == 200
    claim_page = timed(
        "a claim page", lambda: browser.get(f"{web.url}/claims/{ui_edited.pk}/", timeout=10)
    )
    assert claim_page.status_code == 200

    api = requests.Session()
    api.headers["Authorization"] = authorization
    loaded = timed(
        "an API read", lambda: api.get(f"{web.url}/api/v1/claims/{api_edited.pk}/", timeout=10)
    )
    assert loaded.status_code == 200
    patched = timed(
        "an API edit",
        lambda: api.patch(
            f"{web.url}/api/v1/claims/{api_edited.pk}/",
            json={"text_en": "Edited while Redis was down", "reason": "Outage drill"},
            headers={"If-Match": loaded.headers["ETag"]},
            timeout=10,
        ),
    )
    assert patched.status_code == 200, patched.text

    saved = timed(
        "a UI edit",
        lambda: browser.post(
            f"{web.url}/claims/{ui_edited.pk}/edit/",
            data={
                "csrfmiddlewaretoken": form_value(claim_page.text, "csrfmiddlewaretoken"),
                "edit-version": form_value(claim_page.text, "edit-version"),
                "edit-text_en": "Edited in the UI while Redis was down",
                "edit-stance": "asserts",
                "edit-reason": "Outage drill",
            },
            headers={"Referer": f"{web.url}/claims/{ui_edited.pk}/"},
            timeout=10,
        ),
    )
    assert saved.status_code == 200 and saved.url == f"{web.url}/claims/{ui_edited.pk}/"
    ready = timed("the readiness probe", lambda: requests.get(f"{web.url}/readyz", timeout=10))
    assert ready.status_code == 503, "the probe tells the load balancer the broker is down"

    api_edited.refresh_from_db()
    ui_edited.refresh_from_db()
    assert api_edited.text_en == "Edited while Redis was down" and api_edited.version == 2
    assert ui_edited.text_en == "Edited in the UI while Redis was down" and ui_edited.version == 2
    # The edits asked for checks; with the broker down they could not be sent and wait in the
    # outbox (sent before the outage, when the claims were made, at the latest).
    mine = [api_edited.pk, ui_edited.pk]
    waiting = PendingCheck.objects.filter(claim_id__in=mine, requested_at__gte=outage_started)
    assert waiting.count() == 2
    assert not waiting.filter(enqueued_at__gte=outage_started).exists()
    assert not Flag.objects.filter(claims__in=mine).exists()

    broker.start()
    assert verification.sweep_outbox(older_than_s=0) >= 2
    with worker("after-the-outage", broker.url) as w:
        wait_for(
            lambda: not PendingCheck.objects.filter(claim_id__in=mine).exists(),
            45,
            "the worker to run the checks the outage held back",
            w.output,
        )
    # The claim without a source is found unsourced; the other is checked and has no flag.
    assert set(Flag.objects.filter(claims=api_edited).values_list("kind", flat=True)) == {
        "unsourced"
    }


@dataclass
class Write:
    number: int
    claim_id: int
    status: int | None = None
    review_id: int | None = None
    error: str = ""


@dataclass
class Load:
    """Editors recording verdicts as fast as the server answers, each with its own rationale."""

    url: str
    authorization: str
    claim_ids: list[int]
    writes: list[Write] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def run(self) -> None:
        session = requests.Session()
        session.headers["Authorization"] = self.authorization
        while not self.stop.is_set():
            with self.lock:
                self.counter += 1
                write = Write(self.counter, self.claim_ids[self.counter % len(self.claim_ids)])
                self.writes.append(write)
            try:
                response = session.post(
                    f"{self.url}/api/v1/claims/{write.claim_id}/reviews/",
                    json={"verdict": "false", "rationale": f"fault write {write.number}"},
                    timeout=20,
                )
            except requests.RequestException as exc:
                write.error = type(exc).__name__
                session = requests.Session()
                session.headers["Authorization"] = self.authorization
                time.sleep(0.05)
                continue
            write.status = response.status_code
            if response.status_code == 201:
                write.review_id = response.json()["id"]

    def succeeded(self) -> int:
        return sum(w.status == 201 for w in self.writes)

    def in_flight(self) -> int:
        return sum(w.status is None and not w.error for w in self.writes)


def test_a_web_server_killed_in_the_middle_of_writes_loses_no_answered_write_and_half_writes_none(
    web: WebServer, broker: RedisServer, role_users: dict[str, Any]
) -> None:
    claims = [cast(Claim, ClaimFactory(slug=f"under-load-{n}")) for n in range(4)]
    load = Load(web.url, token(role_users["editor"]), [c.pk for c in claims])
    threads = [threading.Thread(target=load.run, daemon=True) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: load.succeeded() >= 15, 60, "15 answered writes", web.output)
        wait_for(lambda: load.in_flight() >= 2, 10, "writes in flight", web.output)
        in_flight_at_kill = [w for w in list(load.writes) if w.status is None and not w.error]
        web.signal(signal.SIGKILL)  # master and workers at once, as a lost machine
        web.wait_stopped()
        answered_before_kill = load.succeeded()

        web.start()
        wait_for(
            lambda: load.succeeded() >= answered_before_kill + 15,
            60,
            "15 more answered writes after the restart",
            web.output,
        )
        wait_for(lambda: load.in_flight() >= 2, 10, "writes in flight", web.output)
        # A deploy's stop: gunicorn lets the workers finish the requests they hold.
        web.signal(signal.SIGTERM)
        web.wait_stopped()
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)

    cut_off = [w for w in in_flight_at_kill if w.error]
    print(
        f"\n{len(load.writes)} writes: {load.succeeded()} answered 201; "
        f"{len(in_flight_at_kill)} in flight at the SIGKILL, {len(cut_off)} of them cut off; "
        f"{sum(bool(w.error) for w in load.writes)} failed to connect or were cut off in all"
    )
    assert cut_off, "the kill landed between requests, not in the middle of one"
    assert all(w.status in (201, None) for w in load.writes), {w.status for w in load.writes}

    stored = {r.rationale: r for r in Review.objects.filter(rationale__startswith="fault write ")}
    # Every write answered 201 is there, exactly once, as answered.
    for write in load.writes:
        if write.status == 201:
            review = stored.get(f"fault write {write.number}")
            assert review is not None and review.pk == write.review_id, write
            assert review.claim_id == write.claim_id
    rationales = list(
        Review.objects.filter(rationale__startswith="fault write ").values_list(
            "rationale", flat=True
        )
    )
    assert len(rationales) == len(set(rationales)), "a write stored twice"
    # Nothing half-written: each stored review moved its claim on by one version, with history.
    for claim in Claim.objects.filter(pk__in=load.claim_ids):
        reviews = Review.objects.filter(claim=claim).count()
        assert reviews, "every claim took writes"
        assert claim.version == 1 + reviews, (claim.pk, claim.version, reviews)
        assert claim.state == Claim.State.REVIEWED
        verdicts_in_history = claim.history.filter(
            history_change_reason__startswith="Verdict false: fault write "
        ).count()
        assert verdicts_in_history == reviews
