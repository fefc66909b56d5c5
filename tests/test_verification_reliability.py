"""The verification pipeline when things go wrong, for real: a saved claim is checked by a worker in
seconds, a worker killed in the middle of a scan leaves exactly the flags a synchronous scan makes,
and saves made while Redis is down are checked once it is back (the outbox)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from claims import tasks, verification
from claims.models import Actor, Appearance, Claim, Flag, PendingCheck, Quantity, Source
from scripts.run import redis_server_binary
from tests.factories import AppearanceFactory, ClaimFactory
from tests.support import LoggedProcess, forget_broker_connections, free_port, wait_for
from tracker.celery import app as celery_app

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
# The interpreter running the tests is the project's venv (`make pytest` uses .venv/bin/python).
PYTHON = sys.executable
# Short, so a task lost with a killed worker is visible again in seconds. The tasks' time limits
# (tasks.py, up to 120 s) exceed it, which in production would redeliver a task still running;
# the scan chunks here take well under a second, so nothing is delivered twice while it runs.
VISIBILITY_TIMEOUT_S = 5
AL_NABA_ISSUE = "al-naba-2025-11-27"
MOI_STATEMENT = "syrian-moi-statement-al-dumayr-arrest"


def nothing() -> str:
    return ""


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence, so stopping it loses
    whatever it held (as a crashed Redis does)."""

    def __init__(self, workdir: str) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self._answers, 10, f"redis-server on port {self.port}", nothing)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.fixture
def own_redis(transactional_db: None, settings: Any) -> Iterator[RedisServer]:
    """A Redis of this test's own, and the web side (Django settings and the Celery app the signals
    send through) pointed at it; everything is put back afterwards."""
    conf = celery_app.conf
    saved = {"broker_url": conf.broker_url, "result_backend": conf.result_backend}
    with tempfile.TemporaryDirectory(prefix="reliability-redis-") as workdir:
        server = RedisServer(workdir)
        try:
            server.start()
            settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = server.url
            conf.update(broker_url=server.url, result_backend=server.url)
            forget_broker_connections()
            yield server
        finally:
            server.stop()
            conf.update(**saved)
            forget_broker_connections()


def the_test_database_url() -> str:
    """The test database as a URL, for workers in other processes (pytest-django renamed it)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER'] or 'postgres'}{password}@{host}:{port}/{db['NAME']}"


class Worker(LoggedProcess):
    """`celery worker` in its own session, one prefork child, its output collected; killing it
    SIGKILLs the whole process group, as an OOM kill or a lost machine would."""

    def __init__(self, name: str, redis_url: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
        env.update(
            DATABASE_URL=the_test_database_url(),
            REDIS_URL=redis_url,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT_S),
            DJANGO_SETTINGS_MODULE="tracker.settings",
            PYTHONUNBUFFERED="1",
        )
        super().__init__(
            [
                *(PYTHON, "-m", "celery", "-A", "tracker", "worker", "-Q", "checks"),
                *("-c", "1", "--prefetch-multiplier=1", "-P", "prefork", "--loglevel=INFO"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("-n", f"{name}@%h"),
            ],
            cwd=ROOT,
            env=env,
        )

    def wait_until_ready(self, timeout: float = 30) -> None:
        wait_for(lambda: " ready." in self.output(), timeout, "the worker to start", self.output)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@contextlib.contextmanager
def worker(name: str, redis_url: str) -> Iterator[Worker]:
    w = Worker(name, redis_url)
    try:
        yield w
    finally:
        w.kill()


def flag_set() -> dict[str, tuple[str, tuple[int, ...], str]]:
    """Every flag by fingerprint: its kind, the claims it is about and its state."""
    claims_of: dict[int, list[int]] = {}
    for flag_id, claim_id in Flag.claims.through.objects.values_list("flag_id", "claim_id"):
        claims_of.setdefault(flag_id, []).append(claim_id)
    return {
        fingerprint: (kind, tuple(sorted(claims_of.get(pk, []))), state)
        for pk, fingerprint, kind, state in Flag.objects.values_list(
            "pk", "fingerprint", "kind", "state"
        )
    }


def priorities() -> dict[int, tuple[float, list[str]]]:
    return {
        pk: (score, reasons)
        for pk, score, reasons in Claim.objects.values_list("pk", "priority", "priority_reasons")
    }


class _RollBack(Exception):
    pass


def what_a_synchronous_scan_makes(
    now: dt.datetime,
) -> tuple[dict[str, tuple[str, tuple[int, ...], str]], dict[int, tuple[float, list[str]]]]:
    """The flags and priorities `scan_all` would leave, computed and then rolled back."""
    result: dict[str, Any] = {}
    with contextlib.suppress(_RollBack), transaction.atomic():
        verification.scan_all(now=now)
        result.update(flags=flag_set(), priorities=priorities())
        raise _RollBack
    return result["flags"], result["priorities"]


def add_copies_of_the_seed_claims(generations: int) -> int:
    """Copies of every seed claim (sources, quantities, places and all), each generation a quarter
    later than the last so it forms events of its own. bulk_create sends no signals, so the copies
    ask for no checks: only the scan looks at them."""
    originals = list(Claim.objects.order_by("pk"))
    appearances = list(Appearance.objects.order_by("pk"))
    quantities = list(Quantity.objects.order_by("pk"))
    places = list(Claim.places.through.objects.values_list("claim_id", "place_id"))
    added = 0
    for generation in range(1, generations + 1):
        shift = dt.timedelta(days=91 * generation)
        copies = {}
        for claim in originals:
            copy = Claim(
                slug=f"{claim.slug[:130]}-copy-{generation}",
                claimant_id=claim.claimant_id,
                language=claim.language,
                text=claim.text,
                text_en=claim.text_en,
                text_ar=claim.text_ar,
                stance=claim.stance,
                stated_at=claim.stated_at and claim.stated_at + shift,
                event_start=claim.event_start and claim.event_start + shift,
                event_end=claim.event_end and claim.event_end + shift,
                tags=claim.tags,
            )
            copies[claim.pk] = copy
        Claim.objects.bulk_create(copies.values())
        Appearance.objects.bulk_create(
            Appearance(
                claim_id=copies[a.claim_id].pk,
                source_id=a.source_id,
                via_id=a.via_id,
                quote=a.quote,
                verb=a.verb,
            )
            for a in appearances
        )
        Quantity.objects.bulk_create(
            Quantity(
                claim_id=copies[q.claim_id].pk,
                item=q.item,
                low=q.low,
                high=q.high,
                qualifier=q.qualifier,
                approximate=q.approximate,
                text=q.text,
            )
            for q in quantities
        )
        Claim.places.through.objects.bulk_create(
            Claim.places.through(claim_id=copies[claim_id].pk, place_id=place_id)
            for claim_id, place_id in places
        )
        added += len(copies)
    return added


def task_states(client: redis.Redis, task_ids: list[str]) -> dict[str, str]:
    """Each task's state as the worker stored it in the result backend (PENDING until then)."""
    states = {}
    for task_id in task_ids:
        raw = client.get(f"celery-task-meta-{task_id}")
        states[task_id] = json.loads(raw)["status"] if raw else "PENDING"
    return states


def undelivered_and_unacknowledged(client: redis.Redis) -> tuple[int, int]:
    """Messages waiting in the checks queue, and messages delivered but not acknowledged (kombu
    keeps those in the `unacked` hash until the ack, or until the visibility timeout restores
    them)."""
    return int(client.llen("checks")), int(client.hlen("unacked"))


def open_flag_kinds(claim: Any) -> set[str]:
    return set(claim.flags.filter(state=Flag.State.OPEN).values_list("kind", flat=True))


def isis_claim_in_al_naba(slug: str) -> Claim:
    claim = ClaimFactory(
        slug=slug,
        claimant=Actor.objects.get(slug="isis"),
        stance=Claim.Stance.CLAIMS_RESPONSIBILITY,
        text="هاجم جنود الخلافة رتلًا للمرتدين في بادية حمص",
        text_en="Soldiers of the caliphate attacked an apostate convoy in the Homs desert",
        stated_at=dt.date(2025, 11, 27),
    )
    AppearanceFactory(claim=claim, source=Source.objects.get(slug=AL_NABA_ISSUE))
    return cast(Claim, claim)


@pytest.fixture
def default_queue_purged(redis_url: str) -> None:
    """Nothing left in the test broker's checks queue by an earlier, interrupted run."""
    client = redis.Redis.from_url(redis_url)
    client.delete("checks", "unacked", "unacked_index")


def test_a_saved_claim_gets_its_flags_within_seconds_from_a_real_worker(
    default_queue_purged: None, celery_worker: Any, seeded: Any, redis_url: str
) -> None:
    broker = redis.Redis.from_url(redis_url)
    # Loading the seed asked for a check of every seed claim; let the worker finish those first so
    # the latency measured is that of one editor's save.
    wait_for(
        lambda: (
            not PendingCheck.objects.exists() and undelivered_and_unacknowledged(broker) == (0, 0)
        ),
        30,
        "the worker to check the seed claims",
        nothing,
    )

    with transaction.atomic():
        claim = isis_claim_in_al_naba("isis-convoy-homs-desert")
        assert PendingCheck.objects.filter(claim=claim, enqueued_at__isnull=True).exists()
    saved_at = time.monotonic()

    wait_for(
        lambda: claim.flags.filter(kind="partisan_only", state=Flag.State.OPEN).exists(),
        15,
        "an open partisan_only flag on the new claim",
        nothing,
    )
    latency = time.monotonic() - saved_at
    print(f"\nsave → partisan_only flag from a real worker: {latency:.2f} s")

    # The claim and its appearance each asked for a check; wait for both so none runs while the
    # database is flushed after the test.
    wait_for(
        lambda: undelivered_and_unacknowledged(broker) == (0, 0),
        15,
        "the second check of the claim",
        nothing,
    )
    assert not PendingCheck.objects.filter(claim=claim).exists()
    assert open_flag_kinds(claim) == {"partisan_only"}


def test_a_worker_killed_mid_scan_leaves_exactly_the_flags_a_synchronous_scan_makes(
    own_redis: RedisServer, seeded: Any
) -> None:
    broker = own_redis.client()
    assert add_copies_of_the_seed_claims(generations=10) == 300
    # Loading the seed asked for checks; drop them so the scan alone writes the flags.
    broker.flushdb()
    expected_flags, expected_priorities = what_a_synchronous_scan_makes(timezone.now())
    # Plenty for the workers to do: the seed's partisan_only flags, once per generation.
    assert sum(kind == "partisan_only" for kind, _, _ in expected_flags.values()) >= 19 * 11

    _, chunks, _ = verification.plan_scan(now=timezone.now(), chunk_size=20)
    assert len(chunks) >= 10
    task_ids = [tasks.scan_chunk.apply_async(args=[chunk]).id for chunk in chunks]

    with worker("first", own_redis.url) as first:
        first.wait_until_ready()

        def first_chunk_done_and_next_one_taken() -> bool:
            states = task_states(broker, task_ids)
            taken = [json.loads(raw)[0]["headers"]["id"] for raw in broker.hvals("unacked")]
            # A finished chunk stays unacknowledged for a moment after its result is stored
            # (acks_late); wait until the one held is a chunk still running.
            return (
                sum(s == "SUCCESS" for s in states.values()) >= 1
                and len(taken) == 1
                and states.get(taken[0]) != "SUCCESS"
            )

        wait_for(first_chunk_done_and_next_one_taken, 30, "the first chunk", first.output)
        first.kill()
    killed_at = time.time()

    done_by_first = [t for t, s in task_states(broker, task_ids).items() if s == "SUCCESS"]
    assert 1 <= len(done_by_first) < len(chunks), "the kill did not land in the middle of the scan"
    lost = [json.loads(raw)[0]["headers"]["id"] for raw in broker.hvals("unacked")]
    # Usually the lost chunk was still running; if it had just stored its result when the kill
    # landed, it was still unacknowledged, so it is redone all the same.
    assert len(lost) == 1 and lost[0] in task_ids, lost

    # A worker restores, when it starts, the delivered messages older than the visibility
    # timeout; after that kombu looks again only every ~100 s (see the report). So the new worker
    # starts once the lost message is past the timeout, as a supervisor restarting it would.
    delivered_at = max(score for _, score in broker.zrange("unacked_index", 0, -1, withscores=True))
    time.sleep(max(0.0, delivered_at + VISIBILITY_TIMEOUT_S + 0.5 - time.time()))

    with worker("second", own_redis.url) as second:
        wait_for(
            lambda: set(task_states(broker, task_ids).values()) == {"SUCCESS"},
            45,
            "every chunk, the lost one redelivered",
            second.output,
        )
        assert f"Task claims.tasks.scan_chunk[{lost[0]}] received" in second.output()
        print(
            f"\n{len(chunks)} chunks; {len(done_by_first)} done before the kill; the lost one "
            f"redone {time.time() - killed_at:.1f} s after it (with all the rest)"
        )
        wait_for(
            lambda: undelivered_and_unacknowledged(broker) == (0, 0), 10, "the acks", second.output
        )

    assert flag_set() == expected_flags
    assert priorities() == expected_priorities
    # Redoing a chunk finds its flags by fingerprint: none was created twice.
    created = Flag.history.filter(history_type="+").values_list("id", flat=True)
    assert sorted(created) == sorted(Flag.objects.values_list("pk", flat=True))
    # And a synchronous scan now finds nothing to change.
    report = verification.scan_all()
    assert not report.flags.changed_anything, report.as_dict()
    assert flag_set() == expected_flags


def test_saves_made_while_redis_is_down_are_checked_once_it_is_back(
    own_redis: RedisServer, seeded: Any
) -> None:
    own_redis.stop()
    isis = moi = unsourced = None
    for name in ("isis", "moi", "unsourced"):
        started = time.monotonic()
        with transaction.atomic():
            if name == "isis":
                isis = isis_claim_in_al_naba("isis-claim-saved-during-outage")
            elif name == "moi":
                moi = ClaimFactory(
                    slug="moi-claim-saved-during-outage",
                    claimant=Actor.objects.get(slug="syrian-ministry-of-interior"),
                    text="ألقت قوى الأمن الداخلي القبض على خلية في الضمير",
                    text_en="Internal security forces arrested a cell in al-Dumayr",
                    stated_at=dt.date(2025, 11, 25),
                )
                AppearanceFactory(claim=moi, source=Source.objects.get(slug=MOI_STATEMENT))
            else:
                unsourced = ClaimFactory(
                    slug="unsourced-claim-saved-during-outage",
                    claimant=Actor.objects.get(slug="centcom"),
                    stated_at=dt.date(2025, 11, 26),
                )
        took = time.monotonic() - started
        assert took < 3, f"saving the {name} claim took {took:.1f} s with Redis down"
    assert isis and moi and unsourced
    mine = [isis, moi, unsourced]
    assert PendingCheck.objects.filter(claim__in=mine, enqueued_at__isnull=True).count() == 3
    # Beat's sweep while Redis is still down enqueues nothing and loses nothing.
    assert verification.sweep_outbox(older_than_s=0) == 0
    assert PendingCheck.objects.filter(claim__in=mine, enqueued_at__isnull=True).count() == 3

    own_redis.start()
    # The seed's checks died with that Redis too; the outbox still has them, so all go again.
    pending = PendingCheck.objects.count()
    assert pending == Claim.objects.count()
    assert verification.sweep_outbox(older_than_s=0) == pending
    with worker("after-outage", own_redis.url) as w:
        wait_for(
            lambda: (
                not PendingCheck.objects.exists()
                and undelivered_and_unacknowledged(own_redis.client()) == (0, 0)
            ),
            30,
            "the worker to run every check in the outbox",
            w.output,
        )
    assert "partisan_only" in open_flag_kinds(isis)
    assert "partisan_only" in open_flag_kinds(moi)
    assert "unsourced" in open_flag_kinds(unsourced)
