"""Benchmark of the claim list API (issue 7): `GET /api/v1/claims/?page_size=50` on a 10k-claim
corpus, against a raw baseline that dumps the same fields with `values()` and orjson.

    .venv/bin/python bench/api.py [--claims 10000] [--requests 200] [--rounds 3] [--rebuild]
                                  [--no-write]

The database is set up only when it does not already hold the corpus (or with --rebuild):
flush, migrate, load the gazetteer, `corpus.generate(N, seed=1)`, the role groups and demo
users, a few published reviews (bulk-created like bench/feeds.py, so no check is queued on a
broker) and a `verification.scan_all()`, so that claims carry flags and priorities.

Both sides are requested through Django's test Client (in process, no network), so both pay
the same WSGI handler and middleware; what differs is only what the view does:
- endpoint: the real DRF view, authenticated with the demo editor's token (Token lookup,
  permission check, throttle, filters, cursor pagination, serializers, renderer);
- baseline: a bare Django view (no DRF, no authentication) that runs one `values()` query for
  the claims with their claimant and open-flag count, one for their places, builds the same
  dicts and `orjson.dumps` them, paging with a plain (priority, id) keyset.
Putting the baseline behind the same handler is the fairer choice: a function call would charge
Django's request handling to the endpoint alone. Authentication is left on the endpoint's side
of the ratio because the endpoint cannot do without it.

Each round walks `--requests` pages of both, interleaved (endpoint, baseline, then the other
way round) so that noise from other processes falls on both; every page pair is compared after
timing, so the baseline provably dumps the same results. Results go to stdout and the
"## API (bench/api.py)" section of bench/RESULTS.md.

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/bench_api: a database of its own,
because a rebuild flushes it (created when missing).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_api")
# Settings want a broker URL; nothing here talks to it.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
# Settings load in development mode (no secret key needed); DEBUG is switched off below, before
# the first request, so that no query is logged, as in production.
os.environ.setdefault("DJANGO_DEBUG", "true")
# The throttle still runs on every request; it must not refuse the benchmark's own.
os.environ.setdefault("API_THROTTLE_USER", "1000000/min")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import clear_url_caches, include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.results import ensure_database, environment, verdict  # noqa: E402
from claims import corpus, services, verification  # noqa: E402
from claims.models import Claim, Flag, Review  # noqa: E402

SECTION = "## API (bench/api.py)"
TARGET_RATIO = 2.0
PAGE_SIZE = 50
SEED = 1
PUBLISHED_REVIEWS = 50
ENDPOINT = f"/api/v1/claims/?page_size={PAGE_SIZE}"
BASELINE = f"/bench/raw-claims/?page_size={PAGE_SIZE}"
HOST = "localhost"

# ---- the corpus ---------------------------------------------------------------------------


def corpus_ready(n: int) -> bool:
    """The corpus of an earlier run: n claims, the published reviews and the scan's flags."""
    return (
        Claim.objects.count() == n
        and Review.objects.filter(published=True).count() >= PUBLISHED_REVIEWS
        and Flag.objects.exists()
    )


def build_corpus(n: int) -> float:
    started = time.monotonic()
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    services.load_gazetteer()
    corpus.generate(n, seed=SEED)
    services.ensure_roles_and_demo_users()
    publish_reviews()
    verification.scan_all()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.monotonic() - started


def publish_reviews() -> None:
    """A published review on every 200th claim (bulk, like bench/feeds.py: the workflow would
    queue a check per claim on the broker), and the claims moved to published."""
    users = get_user_model()._default_manager
    editor, reviewer = users.get(username="demo-editor"), users.get(username="demo-reviewer")
    claims = list(Claim.objects.order_by("id")[::200])[:PUBLISHED_REVIEWS]
    now = timezone.now()
    verdicts = ["likely_true", "contested", "false", "misleading", "confirmed"]
    Review.objects.bulk_create(
        Review(
            claim=claim,
            verdict=verdicts[i % len(verdicts)],
            rationale="Two independent roots, checked against the release.",
            reviewer=editor,
            published=True,
            published_at=now,
            published_by=reviewer,
        )
        for i, claim in enumerate(claims)
    )
    for i, claim in enumerate(claims):
        Claim.objects.filter(pk=claim.pk).update(
            state=Claim.State.PUBLISHED, verdict=verdicts[i % len(verdicts)]
        )


# ---- the raw baseline ---------------------------------------------------------------------

CLAIM_FIELDS = (
    "id",
    "slug",
    "language",
    "text",
    "text_en",
    "stance",
    "stated_at",
    "event_start",
    "event_end",
    "event_id",
    "tags",
    "state",
    "verdict",
    "priority",
    "version",
    "open_flag_count",
    "created_at",
    "updated_at",
)
CLAIMANT_FIELDS = ("id", "name", "name_ar", "kind", "party_to_conflict", "reliability")


def raw_page(request: HttpRequest) -> HttpResponse:
    """The claim list's page as plain rows: claims with claimant and open-flag count in one
    query, their places in a second, then orjson. Pages with a (priority, id) keyset."""
    size = int(request.GET.get("page_size", PAGE_SIZE))
    open_flags = (
        Flag.claims.through.objects.filter(claim_id=OuterRef("pk"), flag__state=Flag.State.OPEN)
        .values("claim_id")
        .annotate(n=Count("*"))
        .values("n")  # type: ignore[misc]  # django-stubs misses the annotation
    )
    claims = Claim.objects.order_by("-priority", "id").annotate(
        open_flag_count=Coalesce(Subquery(open_flags, output_field=IntegerField()), Value(0))
    )
    after = request.GET.get("after")
    if after:
        priority, _, last_id = after.partition("_")
        # The endpoint's keyset condition (claims/api/filters.py), so both ask PostgreSQL the
        # same: the repeated bound on priority lets the index scan start at the cursor.
        p, i = float(priority), int(last_id)
        claims = claims.filter(Q(priority__lte=p) & (Q(priority__lt=p) | Q(priority=p, id__gt=i)))
    names = [f for f in CLAIM_FIELDS if f != "open_flag_count"]
    claimant = [f"claimant__{f}" for f in CLAIMANT_FIELDS]
    rows = list(claims.values(*names, *claimant, "open_flag_count")[: size + 1])
    more, rows = len(rows) > size, rows[:size]
    places: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    links = (
        Claim.places.through.objects.filter(claim_id__in=places)
        .order_by("place__name")
        .values_list("claim_id", "place_id", "place__name", "place__name_ar")
    )
    for claim_id, place_id, name, name_ar in links:
        places[claim_id].append({"id": place_id, "name": name, "name_ar": name_ar})
    results = [
        {
            "id": row["id"],
            "slug": row["slug"],
            "claimant": {f: row[f"claimant__{f}"] for f in CLAIMANT_FIELDS},
            **{f: row[f] for f in CLAIM_FIELDS[2:9]},
            "event": row["event_id"],
            "places": places[row["id"]],
            **{f: row[f] for f in CLAIM_FIELDS[10:]},
        }
        for row in rows
    ]
    following = None
    if more:
        last = rows[-1]
        query = urlencode({"after": f"{last['priority']!r}_{last['id']}", "page_size": size})
        following = request.build_absolute_uri(f"{request.path}?{query}")
    body = {"next": following, "previous": None, "results": results}
    return HttpResponse(orjson.dumps(body, option=orjson.OPT_UTC_Z), "application/json")


def install_baseline_url() -> None:
    """Serve the baseline next to the real URLs, through the same handler and middleware."""
    urls = types.ModuleType("bench_api_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("bench/raw-claims/", raw_page),
        path("", include("tracker.urls")),
    ]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    clear_url_caches()


# ---- measuring ----------------------------------------------------------------------------


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@dataclass
class Walk:
    """One side's requests: latency, queries, body size and results of each page."""

    first_url: str
    url: str = ""
    ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    pages: list[list[dict[str, Any]]] = field(default_factory=list)

    def request(self, client: Client, headers: dict[str, str]) -> None:
        counter = QueryCounter()
        url = self.url or self.first_url
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            body = response.content
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code, body[:300])
        self.ms.append(elapsed * 1000)
        self.queries.append(counter.count)
        self.sizes.append(len(body))
        page = json.loads(body)
        self.pages.append(page["results"])
        self.url = page["next"] or ""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Round:
    endpoint: Walk
    baseline: Walk

    @property
    def ratio(self) -> float:
        return statistics.median(self.endpoint.ms) / statistics.median(self.baseline.ms)


def walk_both(client: Client, headers: dict[str, str], requests: int) -> Round:
    endpoint, baseline = Walk(ENDPOINT), Walk(BASELINE)
    for i in range(requests):
        # Alternate which side goes first, so neither always follows the other's cache misses.
        pair: list[Callable[[Client, dict[str, str]], None]] = [
            endpoint.request,
            baseline.request,
        ]
        for step in pair if i % 2 == 0 else reversed(pair):
            step(client, headers)
    return Round(endpoint, baseline)


def same_results(result: Round) -> int:
    """Pages on which the endpoint and the baseline differ (they walk in step)."""
    return sum(a != b for a, b in zip(result.endpoint.pages, result.baseline.pages, strict=True))


def main() -> None:
    ensure_database()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="pages per side and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the corpus even if there")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    args = parser.parse_args()
    n = args.claims

    call_command("migrate", verbosity=0)
    if args.rebuild or not corpus_ready(n):
        print(f"building the corpus of {n} claims …", flush=True)
        print(f"built in {build_corpus(n):.1f} s", flush=True)
    else:
        print(f"corpus of {n} claims already there (--rebuild to make it again)", flush=True)
    services.ensure_roles_and_demo_users()
    editor = get_user_model()._default_manager.get(username="demo-editor")
    token, _ = Token.objects.get_or_create(user=editor)
    headers = {"Authorization": f"Token {token.key}"}
    open_flags = Flag.objects.filter(state=Flag.State.OPEN).count()
    flagged = Claim.objects.filter(flags__state=Flag.State.OPEN).distinct().count()
    published = Review.objects.filter(published=True).count()
    env = environment()

    install_baseline_url()
    settings.DEBUG = False
    client = Client(HTTP_HOST=HOST)
    # One log line a request would flood the terminal; the same on both sides.
    logging.getLogger("tracker.request").setLevel(logging.WARNING)
    walk_both(client, headers, 10)  # imports, plan cache, first connection

    rounds = []
    for r in range(args.rounds):
        result = walk_both(client, headers, args.requests)
        rounds.append(result)
        e, b = result.endpoint, result.baseline
        print(
            f"round {r + 1}: endpoint median {statistics.median(e.ms):.1f} ms "
            f"p95 {percentile(e.ms, 95):.1f} ms, {statistics.median(e.queries):g} queries | "
            f"baseline median {statistics.median(b.ms):.1f} ms p95 {percentile(b.ms, 95):.1f} ms, "
            f"{statistics.median(b.queries):g} queries | ratio {result.ratio:.2f}",
            flush=True,
        )
    differing = sum(same_results(r) for r in rounds)
    compared = sum(len(r.endpoint.pages) for r in rounds)
    first = rounds[0].endpoint
    seen = [c["id"] for page in first.pages for c in page]
    pages_for_all = -(-n // PAGE_SIZE)

    def stats(pick: Callable[[Round], Walk]) -> tuple[float, float, float, float]:
        ms = [t for r in rounds for t in pick(r).ms]
        queries = [q for r in rounds for q in pick(r).queries]
        sizes = [s for r in rounds for s in pick(r).sizes]
        return (
            statistics.median(ms),
            percentile(ms, 95),
            statistics.median(queries),
            statistics.mean(sizes) / 1024,
        )

    e_med, e_p95, e_q, e_kb = stats(lambda r: r.endpoint)
    b_med, b_p95, b_q, b_kb = stats(lambda r: r.baseline)
    ratio = e_med / b_med
    ratios = [r.ratio for r in rounds]
    print(
        f"all rounds: endpoint {e_med:.1f}/{e_p95:.1f} ms (median/p95), baseline "
        f"{b_med:.1f}/{b_p95:.1f} ms, ratio {ratio:.2f} (rounds {min(ratios):.2f}–"
        f"{max(ratios):.2f}); pages differing from the baseline: {differing} of {compared}",
        flush=True,
    )

    lines = [
        SECTION,
        "",
        "Produced by `.venv/bin/python bench/api.py` (see bench/README.md); do not edit by hand.",
        "",
        f"- Date: {env['date']}",
        f"- Machine: {env['cpus']} CPUs (`nproc`), {env['memory']} memory",
        f"- PostgreSQL {env['postgresql']}, Python {env['python']}, Django {django.__version__}; "
        "DEBUG off at request time (no query logging)",
        f"- Data: `corpus.generate({n}, seed={SEED})`, {published} published reviews, then "
        f"`scan_all()`: {open_flags} open flags on {flagged} claims",
        f"- {args.rounds} rounds of {args.requests} requests per side, following the `next` "
        f"links of `?page_size={PAGE_SIZE}`, the two sides interleaved; both through Django's "
        "test Client (same handler and middleware). The endpoint is authenticated with the demo "
        "editor's token; the baseline is a bare view: one `values()` query for the claims with "
        "claimant and open-flag count (with the same keyset condition as the endpoint's "
        "cursor), one for their places, `orjson.dumps`.",
        f"- Pages whose results differ between endpoint and baseline (compared after timing): "
        f"{differing} of {compared}",
        f"- The endpoint's first round walked {len(first.pages)} pages, {len(seen)} claims, "
        f"{len(set(seen))} distinct (all {n} take {pages_for_all} pages)",
        "",
        "| side | median ms | p95 ms | queries per request | body KB |",
        "|---|---|---|---|---|",
        f"| endpoint `GET {ENDPOINT}` | {e_med:.1f} | {e_p95:.1f} | {e_q:g} | {e_kb:.0f} |",
        f"| baseline `values()` + orjson | {b_med:.1f} | {b_p95:.1f} | {b_q:g} | {b_kb:.0f} |",
        "",
        f"- endpoint / baseline median = {ratio:.2f} (per round: "
        + ", ".join(f"{x:.2f}" for x in ratios)
        + f"); p95 ratio = {e_p95 / b_p95:.2f}",
        f"- Target ratio ≤ {TARGET_RATIO:g}, with the same results: "
        f"{verdict(ratio <= TARGET_RATIO and differing == 0)}",
    ]
    text = "\n".join(lines) + "\n"
    if not args.no_write:
        from bench.results import write_section

        write_section(SECTION, text)
    print("\n" + text)


if __name__ == "__main__":
    main()
