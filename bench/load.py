"""Load test of the editor UI and the API (issue 8): gunicorn in production mode on PostgreSQL,
driven over loopback by concurrent editors; targets 0 errors, p95 < 500 ms, and no write lost
or duplicated.

    .venv/bin/python bench/load.py [--editors 50] [--duration 60] [--runs 3] [--workers 4]
                                   [--threads 1] [--think 2.0] [--baseline-duration 20]
                                   [--claims 10000] [--rebuild] [--no-write]

The database is set up only when it does not already hold the corpus (or with --rebuild):
flush, migrate, `load_gazetteer`, `load_seeds`, `corpus.generate(N, seed=1, append=True)`, the
role groups and a `verification.scan_all()` so that claims carry flags and priorities. Then
--editors users of the editor group get a password and an API token.

gunicorn runs as a subprocess (`gunicorn -c gunicorn.conf.py --workers W`) on a free port of
127.0.0.1 with the production switches: DJANGO_DEBUG=false, a random 67-character secret key,
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost, DJANGO_PLAIN_HTTP=true (no TLS on loopback), static
files collected into var/bench_load_static, REDIS_URL to a Redis database of its own (saves
enqueue their checks through the outbox; no worker consumes them, the queue is emptied before
and after). Its JSON log goes to var/bench_load_gunicorn.log, and its request lines give the
server-side time of every request (the client names each request in X-Request-ID).

Each editor is a thread with its own requests.Session: it logs in once through the login form
(CSRF token from the form, the right password, so django-axes never locks it out), then until
the run ends picks a step at random and waits a think time (uniform 0.5–1.5 × --think) after it:
- queue (20 %): GET /claims/ (one in five a later page);
- claim (30 %): GET /claims/<random id>/;
- search (20 %): GET /claims/?q=<an Arabic or English term>;
- api_list (15 %): GET /api/v1/claims/?page_size=50 with the editor's token;
- verdict_ui (8 %): GET one of the editor's own claims (a "claim" request), then POST its verdict
  form with the page's CSRF token and version; 302 back to the claim is a success. Each editor
  has its own slice of claims, so two editors never race on a version;
- review_api (7 %): POST /api/v1/claims/<id>/reviews/ with the token on one of 10 shared claims,
  so concurrent reviews queue on the claim's row lock.
Every write carries a unique marker ("load-<run>-<editor>-<n>") as the first word of its
rationale. After each run the database is checked: every write answered 2xx exists exactly
once, no refused or failed write exists, and each written claim's version moved by exactly the
number of its reviews (a lost update under the row lock would show here).

Baseline, measured in each run before the load: one editor doing the same mix without think
time, i.e. every request alone on the server. Ratios are p50 and p95 under load over alone. A
prober GETs /healthz every 0.5 s in both phases: its latency is time spent waiting for a free
gunicorn worker. CPU used by gunicorn, PostgreSQL (all its databases) and this process is read
from /proc, next to the machine's load average: the machine is shared.

Results go to stdout and the "## Load (bench/load.py)" section of bench/RESULTS.md.

The database is BENCH_LOAD_DATABASE_URL, by default postgres://postgres@127.0.0.1:5432/bench_load
(created if missing; a rebuild flushes it), the broker BENCH_LOAD_REDIS_URL, by default
redis://127.0.0.1:6379/4 (emptied by the run); DATABASE_URL and REDIS_URL are ignored on purpose.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
# Variables of its own, not DATABASE_URL and REDIS_URL: a rebuild flushes the database and every
# run empties the Redis database, which must never be a development one picked up by accident.
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_load"
)
os.environ["REDIS_URL"] = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/4")
# This process only prepares and checks the database; the server runs in production mode.
os.environ.setdefault("DJANGO_DEBUG", "true")

import django  # noqa: E402
import redis  # noqa: E402
import requests  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.results import ensure_database, environment, verdict  # noqa: E402
from claims import corpus, services, verification  # noqa: E402
from claims.models import Claim, Flag, PendingCheck, Review  # noqa: E402

SECTION = "## Load (bench/load.py)"
TARGET_P95_MS = 500.0
SEED = 1
EDITOR_PREFIX = "load-editor-"
# One password for every bench editor, hashed once: 50 PBKDF2 hashes would take a minute.
PASSWORD = "load-bench-correct-horse-7c1e"  # noqa: S105
HOT_CLAIMS = 10
TIMEOUT_S = 35.0  # above gunicorn's 30 s worker timeout, so a killed worker shows as an error
PROBE_INTERVAL_S = 0.5
STATIC_ROOT = ROOT / "var" / "bench_load_static"
SERVER_LOG = ROOT / "var" / "bench_load_gunicorn.log"
# Words of the generated corpus (claims/corpus.py templates, places of the gazetteer) and a few
# that match nothing; normalised like the search itself does.
SEARCH_TERMS = (
    "shelling",
    "seizure",
    "ISIS",
    "raid",
    "fabricated",
    "Aleppo",
    "Homs",
    "Idlib",
    "Deir ez-Zor",
    "قصف",
    "مداهمة",
    "تنظيم الدولة",
    "حلب",
    "حمص",
    "إدلب",
    "المفبرك",
    "ضربات",
    "no-such-word",
)
MIX = {"queue": 20, "claim": 30, "search": 20, "api_list": 15, "verdict_ui": 8, "review_api": 7}
# Request kinds in report order (verdict_ui is a claim GET and a verdict POST).
KINDS = ("queue", "claim", "search", "api_list", "verdict", "review_api")
# Rationales of the length editors write (the history keeps them whole since migration 0007;
# before it, one of 79 characters or more failed with a 500).
RATIONALE_EN = (
    "Matches the ministry's release and the wire copy of the same day; the local outlet only "
    "repeats the wire, so it is not a second independent source."
)
RATIONALE_AR = (
    "يطابق بيان الوزارة ونص الوكالة في اليوم نفسه؛ الموقع المحلي ينقل عن الوكالة فقط، "
    "فلا يُعدّ مصدراً مستقلاً ثانياً."
)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')

# ---- the database -------------------------------------------------------------------------


def corpus_ready(n: int) -> bool:
    return Claim.objects.count() >= n and Flag.objects.exists()


def build_corpus(n: int) -> float:
    started = time.monotonic()
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("load_gazetteer", verbosity=0)
    call_command("load_seeds", verbosity=0)
    # The seed case already holds claims: the corpus goes in next to them.
    corpus.generate(n, seed=SEED, append=True)
    services.ensure_roles_and_demo_users()
    verification.scan_all()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.monotonic() - started


@dataclass(frozen=True)
class EditorAccount:
    number: int
    username: str
    token: str


def ensure_editors(count: int) -> list[EditorAccount]:
    """`count` users in the editor group with the bench password and an API token."""
    from axes.models import AccessAttempt  # type: ignore[import-untyped]

    services.ensure_roles_and_demo_users()
    users = get_user_model()._default_manager
    group = Group.objects.get(name="editor")
    hashed = make_password(PASSWORD)
    accounts = []
    for number in range(1, count + 1):
        username = f"{EDITOR_PREFIX}{number:02d}"
        user, created = users.get_or_create(username=username, defaults={"password": hashed})
        if created:
            user.groups.add(group)
        token, _ = Token.objects.get_or_create(user=user)
        accounts.append(EditorAccount(number, username, token.key))
    # An interrupted earlier run must not leave a lockout behind.
    AccessAttempt.objects.filter(username__startswith=EDITOR_PREFIX).delete()
    return accounts


# ---- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(port: int, threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("GUNICORN_CONTROL_SOCKET", None)
    env |= {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_PLAIN_HTTP": "true",
        "DJANGO_STATIC_ROOT": str(STATIC_ROOT),
        "DJANGO_LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "GUNICORN_THREADS": str(threads),
        "PORT": str(port),
    }
    return env


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def start_server(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = SERVER_LOG.open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        wait_until_ready(server, f"http://127.0.0.1:{port}")
    except BaseException:
        stop_server(server)
        raise
    return server


def wait_until_ready(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {SERVER_LOG}")
        try:
            if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                ready = requests.get(f"{base}/readyz", timeout=10)
                if ready.status_code != 200:
                    raise SystemExit(f"/readyz answered {ready.status_code}: {ready.text}")
                return
        except requests.RequestException:
            pass  # workers still booting
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {SERVER_LOG}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ---- CPU accounting from /proc ------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float, float]:
    """A process's name, parent, own CPU seconds and its reaped children's CPU seconds."""
    text = Path(f"/proc/{pid}/stat").read_text()
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    own = (int(fields[11]) + int(fields[12])) / TICK
    reaped = (int(fields[13]) + int(fields[14])) / TICK
    return name, int(fields[1]), own, reaped


def _processes() -> dict[int, tuple[str, int, float, float]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = _stat(int(entry.name))
            except (OSError, ValueError):
                continue
    return found


@dataclass
class CpuSnapshot:
    at: float
    busy: float
    total: float
    server: float
    postgres: float
    client: float

    @classmethod
    def take(cls, server_pid: int) -> CpuSnapshot:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = values[3] + values[4]
        procs = _processes()
        server = sum(
            own + reaped
            for pid, (_, parent, own, reaped) in procs.items()
            if pid == server_pid or parent == server_pid
        )
        # Every backend is a child of the postmaster: the living count themselves, the ended
        # ones count in the postmaster's reaped time.
        postgres = sum(
            own + reaped for name, _, own, reaped in procs.values() if name == "postgres"
        )
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return cls(
            time.monotonic(),
            (sum(values[:8]) - idle) / TICK,
            sum(values[:8]) / TICK,
            server,
            postgres,
            usage.ru_utime + usage.ru_stime,
        )

    def cores_since(self, before: CpuSnapshot) -> dict[str, float]:
        """Cores in use on average between the two snapshots, by whom."""
        wall = self.at - before.at
        used = {
            "machine": (self.busy - before.busy) / wall,
            "gunicorn": (self.server - before.server) / wall,
            "postgres": (self.postgres - before.postgres) / wall,
            "load generator": (self.client - before.client) / wall,
        }
        used["other"] = max(
            0.0, used["machine"] - used["gunicorn"] - used["postgres"] - used["load generator"]
        )
        return used


# ---- the editors --------------------------------------------------------------------------


@dataclass
class Clock:
    """One start signal for all threads of a phase, and the end time set just before it."""

    start: threading.Event = field(default_factory=threading.Event)
    until: float = 0.0


@dataclass
class Sample:
    kind: str
    request_id: str
    ms: float
    status: int
    ok: bool


@dataclass
class WriteAttempt:
    marker: str
    claim_id: int
    via: str
    status: int
    ok: bool


@dataclass
class Plan:
    """What every editor shares: the server, the claims and the current run's name."""

    base: str
    stamp: str
    run: str
    claim_ids: list[int]
    hot_ids: list[int]
    slices: dict[int, list[int]]
    verdicts: list[str]


class Editor:
    def __init__(self, account: EditorAccount, plan: Plan, seed: int) -> None:
        self.account = account
        self.plan = plan
        self.session = requests.Session()
        self.rng = random.Random(seed)
        self.phase = ""
        self.count = 0
        self.samples: list[Sample] = []
        self.writes: list[WriteAttempt] = []
        self.errors: list[str] = []
        self.logins: list[Sample] = []

    def request(
        self, kind: str, method: str, path: str, expect: int, **kwargs: Any
    ) -> requests.Response | None:
        """One timed request; the response when its status is the expected one."""
        self.count += 1
        request_id = f"{kind}.{self.phase}.{self.account.number}.{self.count}"
        headers = kwargs.pop("headers", {}) | {"X-Request-ID": request_id}
        started = time.perf_counter()
        response: requests.Response | None
        try:
            response = self.session.request(
                method,
                self.plan.base + path,
                headers=headers,
                timeout=TIMEOUT_S,
                allow_redirects=False,
                **kwargs,
            )
            status = response.status_code
        except requests.RequestException as exc:
            response, status = None, 0
            self.errors.append(f"{kind} {method} {path}: {exc!r}")
        ms = (time.perf_counter() - started) * 1000
        ok = status == expect
        if ok and response is not None and expect == 302:
            # A 302 to the log-in page is a refusal, not a success.
            ok = not response.headers.get("Location", "").startswith("/accounts/login/")
        sample = Sample(kind, request_id, ms, status, ok)
        (self.logins if kind == "login" else self.samples).append(sample)
        if not ok and response is not None:
            self.errors.append(f"{kind} {method} {path} → {status}: {response.text[:300]!r}")
        return response if ok else None

    def log_in(self) -> bool:
        self.phase = "login"
        form = self.request("login", "GET", "/accounts/login/", 200)
        token = CSRF_INPUT.search(form.text) if form is not None else None
        if token is None:
            return False
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "username": self.account.username,
            "password": PASSWORD,
            "next": "",
        }
        return self.request("login", "POST", "/accounts/login/", 302, data=data) is not None

    def run(self, phase: str, think: float, clock: Clock) -> None:
        self.phase = phase
        steps, weights = list(MIX), list(MIX.values())
        clock.start.wait()
        while time.monotonic() < clock.until:
            getattr(self, self.rng.choices(steps, weights)[0])()
            if think:
                time.sleep(self.rng.uniform(0.5 * think, 1.5 * think))

    def queue(self) -> None:
        page = self.rng.randint(2, 10) if self.rng.random() < 0.2 else 1
        self.request("queue", "GET", "/claims/" + (f"?page={page}" if page > 1 else ""), 200)

    def claim(self) -> None:
        self.request("claim", "GET", f"/claims/{self.rng.choice(self.plan.claim_ids)}/", 200)

    def search(self) -> None:
        term = self.rng.choice(SEARCH_TERMS)
        self.request("search", "GET", "/claims/", 200, params={"q": term})

    def api_list(self) -> None:
        headers = {"Authorization": f"Token {self.account.token}"}
        self.request("api_list", "GET", "/api/v1/claims/?page_size=50", 200, headers=headers)

    def _marker(self) -> str:
        # count is the editor's request number, never reused, so the marker is unique.
        return f"load-{self.plan.run}-{self.account.number}-{self.count}"

    def verdict_ui(self) -> None:
        claim_id = self.rng.choice(self.plan.slices[self.account.number])
        page = self.request("claim", "GET", f"/claims/{claim_id}/", 200)
        token = CSRF_INPUT.search(page.text) if page is not None else None
        version = VERSION_INPUT.search(page.text) if page is not None else None
        if token is None or version is None:
            if page is not None:
                # Counted as a failed verdict: the editor could not record one.
                self.samples.append(Sample("verdict", "", 0.0, 0, False))
                self.errors.append(f"claim page {claim_id} without a verdict form")
            return
        marker = self._marker()
        rationale = RATIONALE_AR if self.rng.random() < 0.5 else RATIONALE_EN
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "verdict": self.rng.choice(self.plan.verdicts),
            "rationale": f"{marker} {rationale}",
            "evidence_links": "https://example.org/release\nhttps://example.org/report",
            "version": version.group(1),
        }
        response = self.request("verdict", "POST", f"/claims/{claim_id}/verdict/", 302, data=data)
        sample = self.samples[-1]
        if response is not None and response.headers["Location"] != f"/claims/{claim_id}/":
            sample.ok = False
            self.errors.append(f"verdict {claim_id} → {response.headers['Location']}")
        self.writes.append(WriteAttempt(marker, claim_id, "ui", sample.status, sample.ok))

    def review_api(self) -> None:
        claim_id = self.rng.choice(self.plan.hot_ids)
        marker = self._marker()
        arabic = self.rng.random() < 0.5
        body = {
            "verdict": self.rng.choice(self.plan.verdicts),
            "rationale": f"{marker} {RATIONALE_AR if arabic else RATIONALE_EN}",
            "language": "ar" if arabic else "en",
            "evidence_links": ["https://example.org/release"],
        }
        headers = {"Authorization": f"Token {self.account.token}"}
        path = f"/api/v1/claims/{claim_id}/reviews/"
        response = self.request("review_api", "POST", path, 201, json=body, headers=headers)
        status = self.samples[-1].status
        self.writes.append(WriteAttempt(marker, claim_id, "api", status, response is not None))


class Prober:
    """GET /healthz every PROBE_INTERVAL_S: the wait for a free worker, nothing else."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.ms: list[float] = []
        self.failures = 0

    def run(self, clock: Clock) -> None:
        session = requests.Session()
        clock.start.wait()
        while time.monotonic() < clock.until:
            started = time.perf_counter()
            try:
                ok = session.get(f"{self.base}/healthz", timeout=TIMEOUT_S).status_code == 200
            except requests.RequestException:
                ok = False
            self.ms.append((time.perf_counter() - started) * 1000)
            self.failures += not ok
            time.sleep(PROBE_INTERVAL_S)


@dataclass
class Phase:
    name: str
    editors: int
    seconds: float
    samples: list[Sample]
    writes: list[WriteAttempt]
    errors: list[str]
    probe_ms: list[float]
    probe_failures: int
    cpu: dict[str, float]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    server_ms: dict[str, list[float]] = field(default_factory=dict)


def drive(
    name: str,
    editors: list[Editor],
    seconds: float,
    think: float,
    server: subprocess.Popen[bytes],
) -> Phase:
    """All editors at once for `seconds`, from one starting signal."""
    clock = Clock()
    marks = [(len(e.samples), len(e.writes), len(e.errors)) for e in editors]
    prober = Prober(editors[0].plan.base)
    threads = [
        threading.Thread(target=e.run, args=(name, think, clock), daemon=True) for e in editors
    ]
    threads.append(threading.Thread(target=prober.run, args=(clock,), daemon=True))
    for thread in threads:
        thread.start()
    load_before = os.getloadavg()
    cpu_before = CpuSnapshot.take(server.pid)
    started = time.monotonic()
    clock.until = started + seconds
    clock.start.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cpu = CpuSnapshot.take(server.pid).cores_since(cpu_before)
    samples, writes, errors = [], [], []
    for editor, (s, w, e) in zip(editors, marks, strict=True):
        samples += editor.samples[s:]
        writes += editor.writes[w:]
        errors += editor.errors[e:]
    return Phase(
        name,
        len(editors),
        elapsed,
        samples,
        writes,
        errors,
        prober.ms,
        prober.failures,
        cpu,
        load_before,
        os.getloadavg(),
    )


def server_times(phases: list[Phase]) -> None:
    """Each phase's server-side durations by kind, from gunicorn's JSON request lines."""
    wanted = {p.name: p for p in phases}
    with SERVER_LOG.open(encoding="utf-8", errors="replace") as log:
        for line in log:
            if '"duration_ms"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            request_id = str(record.get("request_id") or "")
            kind, _, rest = request_id.partition(".")
            phase = wanted.get(rest.partition(".")[0])
            if phase is not None:
                phase.server_ms.setdefault(kind, []).append(float(record["duration_ms"]))


# ---- checking the database ----------------------------------------------------------------


@dataclass
class WriteCheck:
    ok: int
    refused: int
    found: int
    lost: list[str]
    duplicated: list[str]
    phantom: list[str]
    version_mismatch: list[str]
    outbox_missing: list[int]
    outbox_enqueued: int


def check_writes(
    writes: list[WriteAttempt], run: str, versions_before: dict[int, int]
) -> WriteCheck:
    rows = Review.objects.filter(rationale__startswith=f"load-{run}-").values_list(
        "claim_id", "rationale"
    )
    stored: Counter[str] = Counter()
    stored_per_claim: Counter[int] = Counter()
    for claim_id, rationale in rows:
        stored[rationale.split(" ", 1)[0]] += 1
        stored_per_claim[claim_id] += 1
    ok = [w for w in writes if w.ok]
    failed = [w for w in writes if not w.ok]
    written = {w.claim_id for w in writes}
    versions = dict(Claim.objects.filter(pk__in=written).values_list("id", "version"))
    mismatch = [
        f"claim {c}: version {versions_before[c]} → {versions[c]}, {stored_per_claim[c]} reviews"
        for c in sorted(written)
        if versions[c] - versions_before[c] != stored_per_claim[c]
    ]
    ok_claims = {w.claim_id for w in ok}
    outbox = dict(
        PendingCheck.objects.filter(claim_id__in=ok_claims).values_list("claim_id", "enqueued_at")
    )
    return WriteCheck(
        ok=len(ok),
        refused=len(failed),
        found=sum(stored.values()),
        lost=[w.marker for w in ok if stored[w.marker] == 0],
        duplicated=[m for m, n in stored.items() if n > 1],
        phantom=[w.marker for w in failed if stored[w.marker]],
        version_mismatch=mismatch,
        outbox_missing=sorted(ok_claims - set(outbox)),
        outbox_enqueued=sum(1 for at in outbox.values() if at is not None),
    )


# ---- statistics and the report ------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def by_kind(samples: list[Sample]) -> dict[str, list[float]]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        grouped[sample.kind].append(sample.ms)
    return grouped


@dataclass
class Run:
    number: int
    baseline: Phase
    load: Phase
    check: WriteCheck

    @property
    def errors(self) -> int:
        return sum(not s.ok for s in self.baseline.samples + self.load.samples) + (
            self.baseline.probe_failures + self.load.probe_failures
        )

    @property
    def p95(self) -> float:
        return percentile([s.ms for s in self.load.samples], 95)

    @property
    def worst_kind_p95(self) -> tuple[str, float]:
        return max(
            ((k, percentile(ms, 95)) for k, ms in by_kind(self.load.samples).items()),
            key=lambda item: item[1],
        )

    @property
    def writes_intact(self) -> bool:
        c = self.check
        return not (c.lost or c.duplicated or c.phantom or c.version_mismatch or c.outbox_missing)


def summary_line(run: Run) -> str:
    load, check = run.load, run.check
    ms = [s.ms for s in load.samples]
    kind, worst = run.worst_kind_p95
    return (
        f"run {run.number}: {len(ms)} requests in {load.seconds:.0f} s = "
        f"{len(ms) / load.seconds:.1f} req/s, {run.errors} errors, p50 {percentile(ms, 50):.0f} "
        f"p95 {percentile(ms, 95):.0f} p99 {percentile(ms, 99):.0f} ms (worst kind {kind} p95 "
        f"{worst:.0f} ms); writes {check.ok} ok / {check.refused} failed, {check.found} stored, "
        f"lost {len(check.lost)}, duplicated {len(check.duplicated)}, phantom "
        f"{len(check.phantom)}, version mismatches {len(check.version_mismatch)}; healthz p95 "
        f"{percentile(load.probe_ms, 95):.0f} ms; load avg {load.load_before[0]:.2f} → "
        f"{load.load_after[0]:.2f}"
    )


def report(runs: list[Run], args: argparse.Namespace, env: dict[str, str], claims: int) -> str:
    load = [s for r in runs for s in r.load.samples]
    alone = [s for r in runs for s in r.baseline.samples]
    load_kinds, alone_kinds = by_kind(load), by_kind(alone)
    server_kinds: dict[str, list[float]] = defaultdict(list)
    for r in runs:
        for kind, ms in r.load.server_ms.items():
            server_kinds[kind] += ms
    errors = sum(r.errors for r in runs)
    p95s = [r.p95 for r in runs]
    worst = [r.worst_kind_p95 for r in runs]
    intact = all(r.writes_intact for r in runs)
    worker_class = "sync" if args.threads == 1 else f"gthread, {args.threads} threads each"
    lines = [
        SECTION,
        "",
        "Produced by `.venv/bin/python bench/load.py` (see bench/README.md); do not edit by hand.",
        "",
        f"- Date: {env['date']}",
        f"- Machine: {env['cpus']} CPUs ({env['model']}), {env['memory']} memory, shared with "
        "other work (load averages below); the load generator runs on the same CPUs",
        f"- PostgreSQL {env['postgresql']}, Python {env['python']}, Django {django.__version__}",
        f"- Server: `gunicorn -c gunicorn.conf.py --workers {args.workers}` ({worker_class}) on "
        "127.0.0.1 in production mode (DEBUG off, `DJANGO_PLAIN_HTTP=true`, WhiteNoise, JSON "
        "request log, each worker keeps its database connection: `CONN_MAX_AGE` "
        f"{settings.DATABASES['default']['CONN_MAX_AGE']} s with health checks)",
        f"- Data: seed case + `corpus.generate({args.claims}, seed={SEED})`, `scan_all()`: "
        f"{claims} claims",
        f"- Load: {args.editors} editors (threads, one `requests.Session` each, logged in through "
        f"the form) for {args.duration:g} s per run, {len(runs)} run(s); think time uniform "
        f"{0.5 * args.think:g}–{1.5 * args.think:g} s after each step; mix: "
        + ", ".join(f"{k} {v} %" for k, v in MIX.items())
        + " (verdict_ui = claim GET + verdict POST; review_api on "
        f"{HOT_CLAIMS} shared claims)",
        f"- Baseline, each run before the load: 1 editor, same mix, no think time, "
        f"{args.baseline_duration:g} s (each request alone on the server)",
        "",
        "### Targets",
        "",
        "| target | " + " | ".join(f"run {r.number}" for r in runs) + " | verdict |",
        "|---|" + "---|" * len(runs) + "---|",
        "| 0 errors | " + " | ".join(str(r.errors) for r in runs) + f" | {verdict(errors == 0)} |",
        "| p95 < 500 ms, all requests | "
        + " | ".join(f"{p:.0f} ms" for p in p95s)
        + f" | {verdict(max(p95s) < TARGET_P95_MS)} |",
        "| p95 < 500 ms, slowest kind | "
        + " | ".join(f"{p:.0f} ms ({k})" for k, p in worst)
        + f" | {verdict(max(p for _, p in worst) < TARGET_P95_MS)} |",
        "| no lost or duplicated write | "
        + " | ".join(
            f"{r.check.found}/{r.check.ok} stored, {len(r.check.lost)} lost, "
            f"{len(r.check.duplicated)} dup."
            for r in runs
        )
        + f" | {verdict(intact)} |",
        "",
        "### Runs",
        "",
        "| run | requests | s (with the last answers) | req/s | p50 ms | p95 ms | p99 ms | "
        "writes ok | healthz p95 ms | load avg 1 min before → after | "
        "cores: machine / gunicorn / postgres (all databases) / load generator / other | "
        "gunicorn CPU ms per request |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        ms = [s.ms for s in r.load.samples]
        cpu = r.load.cpu
        lines.append(
            f"| {r.number} | {len(ms)} | {r.load.seconds:.0f} | {len(ms) / r.load.seconds:.1f} | "
            f"{percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} | {percentile(ms, 99):.0f} | "
            f"{r.check.ok} | {percentile(r.load.probe_ms, 95):.0f} | "
            f"{r.load.load_before[0]:.2f} → {r.load.load_after[0]:.2f} | "
            f"{cpu['machine']:.2f} / {cpu['gunicorn']:.2f} / {cpu['postgres']:.2f} / "
            f"{cpu['load generator']:.2f} / {cpu['other']:.2f} | "
            f"{cpu['gunicorn'] * r.load.seconds / max(1, len(ms)) * 1000:.0f} |"
        )
    lines += [
        "",
        f"### By kind, {len(runs)} run(s) pooled (client-side ms; server = gunicorn's request log)",
        "",
        "| kind | requests | errors | p50 | p95 | p99 | p95 per run | server p50 | server p95 "
        "| alone p50 | alone p95 | p50 ratio | p95 ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        ms, base, server = load_kinds.get(kind, []), alone_kinds.get(kind, []), server_kinds[kind]
        if not ms:
            continue
        kind_errors = sum(not s.ok for s in load if s.kind == kind)
        per_run = " / ".join(
            f"{percentile(by_kind(r.load.samples).get(kind, []), 95):.0f}" for r in runs
        )
        lines.append(
            f"| {kind} | {len(ms)} | {kind_errors} | {percentile(ms, 50):.0f} | "
            f"{percentile(ms, 95):.0f} | {percentile(ms, 99):.0f} | {per_run} | "
            f"{percentile(server, 50):.0f} | {percentile(server, 95):.0f} | "
            f"{percentile(base, 50):.0f} | {percentile(base, 95):.0f} | "
            f"{percentile(ms, 50) / percentile(base, 50):.1f} | "
            f"{percentile(ms, 95) / percentile(base, 95):.1f} |"
        )
    all_ms, all_base = [s.ms for s in load], [s.ms for s in alone]
    all_server = [t for ms in server_kinds.values() for t in ms]
    lines.append(
        f"| **all** | {len(all_ms)} | {sum(not s.ok for s in load)} | "
        f"{percentile(all_ms, 50):.0f} | {percentile(all_ms, 95):.0f} | "
        f"{percentile(all_ms, 99):.0f} | {' / '.join(f'{p:.0f}' for p in p95s)} | "
        f"{percentile(all_server, 50):.0f} | {percentile(all_server, 95):.0f} | "
        f"{percentile(all_base, 50):.0f} | {percentile(all_base, 95):.0f} | "
        f"{percentile(all_ms, 50) / percentile(all_base, 50):.1f} | "
        f"{percentile(all_ms, 95) / percentile(all_base, 95):.1f} |"
    )
    probe = [t for r in runs for t in r.load.probe_ms]
    probe_alone = [t for r in runs for t in r.baseline.probe_ms]
    lines += [
        "",
        f"- `/healthz` every {PROBE_INTERVAL_S:g} s (the wait for a free worker): p50 "
        f"{percentile(probe, 50):.0f} ms, p95 {percentile(probe, 95):.0f} ms under load; "
        f"{percentile(probe_alone, 50):.0f} / {percentile(probe_alone, 95):.0f} ms next to the "
        "baseline editor",
        "- Writes checked in the database after each run: every write answered 2xx is stored "
        "exactly once (found by the marker in its rationale), no failed write is stored, each "
        "written claim's version moved by exactly its number of new reviews, and each has its "
        "row in the check outbox ("
        + ", ".join(
            f"run {r.number}: {r.check.outbox_enqueued} of "
            f"{len({w.claim_id for w in r.load.writes + r.baseline.writes if w.ok})} enqueued"
            for r in runs
        )
        + ")",
        f"- Throughput: {statistics.mean(len(r.load.samples) / r.load.seconds for r in runs):.1f}"
        " req/s on average over the runs; an editor offers one request per think time plus "
        "latency, so at saturation latency grows until the editors ask no more than the server "
        "answers",
    ]
    return "\n".join(lines) + "\n"


# ---- main ---------------------------------------------------------------------------------


def run_once(
    number: int,
    editors: list[Editor],
    plan: Plan,
    args: argparse.Namespace,
    server: subprocess.Popen[bytes],
) -> Run:
    plan.run = f"{plan.stamp}r{number}"
    versions_before = dict(Claim.objects.values_list("id", "version"))
    print(f"\n== run {number}: baseline, 1 editor, {args.baseline_duration:g} s", flush=True)
    baseline = drive(f"base{number}", editors[:1], args.baseline_duration, 0.0, server)
    print(
        f"   {len(baseline.samples)} requests, p50 "
        f"{percentile([s.ms for s in baseline.samples], 50):.0f} ms, p95 "
        f"{percentile([s.ms for s in baseline.samples], 95):.0f} ms",
        flush=True,
    )
    print(f"== run {number}: {len(editors)} editors, {args.duration:g} s", flush=True)
    load = drive(f"load{number}", editors, args.duration, args.think, server)
    server_times([baseline, load])
    check = check_writes(baseline.writes + load.writes, plan.run, versions_before)
    result = Run(number, baseline, load, check)
    print(summary_line(result), flush=True)
    for error in (baseline.errors + load.errors)[:10]:
        print(f"   error: {error}", flush=True)
    for problem in (check.lost + check.duplicated + check.phantom + check.version_mismatch)[:10]:
        print(f"   write problem: {problem}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--editors", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help=">1: gthread workers")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time, seconds")
    parser.add_argument("--baseline-duration", type=float, default=20.0)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the corpus even if there")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    args = parser.parse_args()

    ensure_database()
    call_command("migrate", verbosity=0)
    if args.rebuild or not corpus_ready(args.claims):
        print(f"building the corpus of {args.claims} claims …", flush=True)
        print(f"built in {build_corpus(args.claims):.1f} s", flush=True)
    else:
        print(f"corpus of {args.claims} claims already there (--rebuild to make it again)")
    accounts = ensure_editors(args.editors)
    claim_ids = sorted(Claim.objects.values_list("id", flat=True))
    rng = random.Random(SEED)
    hot_ids = rng.sample(claim_ids, HOT_CLAIMS)
    rest = [c for c in claim_ids if c not in set(hot_ids)]
    rng.shuffle(rest)
    plan = Plan(
        base="",
        stamp=f"{int(time.time()):x}",
        run="",
        claim_ids=claim_ids,
        hot_ids=hot_ids,
        slices={a.number: rest[a.number - 1 :: args.editors] for a in accounts},
        verdicts=[v for v in Claim.Verdict.values if v != Claim.Verdict.UNVERIFIED],
    )
    env = environment()
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.flushdb()

    port = free_port()
    server_env = production_env(port, args.threads)
    print("collecting static files …", flush=True)
    collectstatic(server_env)
    print(f"starting gunicorn on 127.0.0.1:{port} with {args.workers} workers …", flush=True)
    server = start_server(port, args.workers, server_env)
    plan.base = f"http://127.0.0.1:{port}"
    plan.run = f"{plan.stamp}w"
    try:
        editors = [Editor(a, plan, seed=SEED * 1000 + a.number) for a in accounts]
        # Warm every worker up (imports, templates, first connections) before measuring.
        for editor in editors[:1]:
            if not editor.log_in():
                raise SystemExit(f"log-in failed: {editor.errors}")
            editor.phase = "warm"
            for step in MIX:
                for _ in range(args.workers):
                    getattr(editor, step)()
        print(f"logging {len(editors) - 1} more editors in …", flush=True)
        login_threads = [threading.Thread(target=e.log_in) for e in editors[1:]]
        for thread in login_threads:
            thread.start()
        for thread in login_threads:
            thread.join()
        failed = [e.account.username for e in editors if not e.logins or not e.logins[-1].ok]
        if failed:
            raise SystemExit(f"log-in failed for {failed}: {editors[-1].errors[:3]}")
        logins = [s.ms for e in editors for s in e.logins if s.kind == "login"]
        print(f"   log-in requests: p50 {percentile(logins, 50):.0f} ms", flush=True)
        for editor in editors:
            editor.samples.clear()
            editor.writes.clear()
            editor.errors.clear()
        runs = [run_once(n, editors, plan, args, server) for n in range(1, args.runs + 1)]
    finally:
        stop_server(server)
        broker.flushdb()
    text = report(runs, args, env, len(claim_ids))
    if not args.no_write:
        from bench.results import write_section

        write_section(SECTION, text)
    print("\n" + text)


if __name__ == "__main__":
    main()
