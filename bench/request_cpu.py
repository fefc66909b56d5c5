"""CPU milliseconds per request of bench/load.py's mix, measured in one process: the same
requests (queue, later queue page, claim page, search, API list, verdict form POST, API review
POST) through Django's whole handler and middleware in production mode, timed with
time.process_time. CPU time still grows on a busy machine (shared caches and cores): compare
old and new code by running both at the same moment, not one after the other.

    .venv/bin/python bench/request_cpu.py [--rounds 200] [--profile KIND] [--language en|ar]
                                          [--editor 49]

It uses bench/load.py's database (BENCH_LOAD_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_load; run bench/load.py once to build it) and one of
its editors, logged in through the log-in form; two runs side by side (old and new code, the
same machine at the same moment) need two --editor numbers. Each write carries the marker
"cpu-…" so bench/load.py's checks never count it. Prints, per kind, CPU ms per request (median
and mean) and queries per request; --profile KIND prints cProfile's top functions (CPU time).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_load"
)
os.environ["REDIS_URL"] = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ |= {
    "DJANGO_SETTINGS_MODULE": "tracker.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
    "DJANGO_PLAIN_HTTP": "true",
    "DJANGO_STATIC_ROOT": str(ROOT / "var" / "bench_load_static"),
    "DJANGO_LOG_FORMAT": "json",
}

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.load import EDITOR_PREFIX, PASSWORD, RATIONALE_AR, RATIONALE_EN, SEARCH_TERMS  # noqa: E402
from claims.models import Claim  # noqa: E402

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
# The share of each kind in bench/load.py's mix (verdict_ui is a claim GET plus the POST).
WEIGHTS = {
    "queue": 16,
    "queue_later": 4,
    "claim": 38,
    "search": 20,
    "api_list": 15,
    "verdict": 8,
    "review_api": 7,
}


class Mix:
    def __init__(self, language: str, editor: int) -> None:
        self.rng = random.Random(1)
        self.client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
        form = self.client.get("/accounts/login/")
        token = CSRF_INPUT.search(form.content.decode())
        assert token is not None, "no log-in form"
        answer = self.client.post(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": f"{EDITOR_PREFIX}{editor:02d}",
                "password": PASSWORD,
            },
        )
        assert answer.status_code == 302, answer.status_code
        self.token = Token.objects.get(user__username=f"{EDITOR_PREFIX}{editor:02d}").key
        ids = list(Claim.objects.order_by("id").values_list("id", flat=True))
        self.claim_ids = ids
        # Verdicts go to claims of this editor's own (bench/load.py's editors write to the
        # first ones), so two runs side by side never race on a claim's version.
        self.own = ids[-100 * editor : -100 * (editor - 1) or None]
        self.hot = ids[:10]
        self.n = 0
        self.pending: tuple[int, str, str] | None = None

    def queue(self) -> Any:
        return self.client.get("/claims/")

    def queue_later(self) -> Any:
        return self.client.get(f"/claims/?page={self.rng.randint(2, 10)}")

    def claim(self) -> Any:
        return self.client.get(f"/claims/{self.rng.choice(self.claim_ids)}/")

    def search(self) -> Any:
        return self.client.get("/claims/", {"q": self.rng.choice(SEARCH_TERMS)})

    def api_list(self) -> Any:
        return self.client.get(
            "/api/v1/claims/?page_size=50", HTTP_AUTHORIZATION=f"Token {self.token}"
        )

    def prepare_verdict(self) -> None:
        """The claim page GET of a verdict (not timed: it is a "claim" request)."""
        claim_id = self.rng.choice(self.own)
        page = self.client.get(f"/claims/{claim_id}/").content.decode()
        token, version = CSRF_INPUT.search(page), VERSION_INPUT.search(page)
        assert token is not None and version is not None
        self.pending = (claim_id, token.group(1), version.group(1))

    def verdict(self) -> Any:
        assert self.pending is not None
        claim_id, token, version = self.pending
        self.n += 1
        rationale = RATIONALE_AR if self.n % 2 else RATIONALE_EN
        return self.client.post(
            f"/claims/{claim_id}/verdict/",
            {
                "csrfmiddlewaretoken": token,
                "verdict": "likely_true",
                "rationale": f"cpu-{self.n} {rationale}",
                "evidence_links": "https://example.org/release",
                "version": version,
            },
        )

    def review_api(self) -> Any:
        self.n += 1
        return self.client.post(
            f"/api/v1/claims/{self.rng.choice(self.hot)}/reviews/",
            {
                "verdict": "contested",
                "rationale": f"cpu-{self.n} {RATIONALE_EN}",
                "language": "en",
                "evidence_links": ["https://example.org/release"],
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {self.token}",
        )


EXPECTED = {"verdict": 302, "review_api": 201}


def timed(mix: Mix, kind: str) -> tuple[float, int]:
    """CPU ms of one request of `kind` and its number of queries."""
    if kind == "verdict":
        mix.prepare_verdict()
    request: Callable[[], Any] = getattr(mix, kind)
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.process_time()
        response = request()
        cpu = time.process_time() - started
    expected = EXPECTED.get(kind, 200)
    assert response.status_code == expected, (kind, response.status_code)
    return cpu * 1000, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="requests per kind")
    parser.add_argument("--profile", choices=list(WEIGHTS), help="cProfile one kind")
    parser.add_argument("--language", default="en", choices=["en", "ar"])
    parser.add_argument("--editor", type=int, default=49, help="which bench editor (1-50)")
    args = parser.parse_args()
    # The request log goes to stderr, as under gunicorn; its cost is part of a request.
    # (the handler holds sys.stderr itself: its file descriptor is what is redirected).
    saved_stderr = os.dup(2)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    try:
        measure(args)
    finally:
        os.dup2(saved_stderr, 2)


def measure(args: argparse.Namespace) -> None:
    mix = Mix(args.language, args.editor)
    for kind in WEIGHTS:  # warm every code path, template and per-process cache
        for _ in range(5):
            timed(mix, kind)
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        for _ in range(args.rounds):
            if args.profile == "verdict":
                mix.prepare_verdict()
            profile.enable()
            getattr(mix, args.profile)()
            profile.disable()
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        return
    cpu: dict[str, list[float]] = {kind: [] for kind in WEIGHTS}
    queries: dict[str, int] = {}
    # Interleaved, so a burst of load from elsewhere falls on every kind alike.
    for _ in range(args.rounds):
        for kind in WEIGHTS:
            ms, queries[kind] = timed(mix, kind)
            cpu[kind].append(ms)
    print(f"{'kind':<12} {'CPU ms median':>14} {'mean':>8} {'queries':>8}")
    for kind, values in cpu.items():
        print(
            f"{kind:<12} {statistics.median(values):>14.1f} {statistics.fmean(values):>8.1f} "
            f"{queries[kind]:>8}"
        )
    total = sum(WEIGHTS.values())
    mixed = sum(statistics.fmean(cpu[k]) * w for k, w in WEIGHTS.items()) / total
    print(f"{'mix (mean)':<12} {mixed:>14.1f}")


if __name__ == "__main__":
    main()
