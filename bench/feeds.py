"""Benchmark of the public ClaimReview feed (/feeds/claimreview.json): memory and time to stream
N published reviews, against building the same feed in memory and json.dumps-ing it.

    .venv/bin/python bench/feeds.py [--reviews 10000] [--no-write]

It empties its database (flush), migrates, loads the gazetteer, bulk-creates N sourced claims
each with a published review (one in ten also has a newer unpublished review), then measures:
- streaming: the view through Django's test Client, every chunk consumed; peak memory growth by
  tracemalloc (a separate run, as tracing slows Python) and RSS sampled after every chunk;
- baseline: the same reviews and builder, the whole list of ClaimReview dicts in memory and one
  json.dumps (what a non-streaming view would do), measured the same way;
- the publication stamp query and a 304 answer to If-None-Match.
Results go to stdout and the "## Feeds" section of bench/RESULTS.md.

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/bench_feeds: a database of
its own, because the run flushes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_feeds")
# Settings want a broker URL; nothing here talks to it.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
# Query logging (DEBUG) would keep every SQL string; production does not.
os.environ.setdefault("DJANGO_DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.results import ensure_database, environment, verdict  # noqa: E402
from claims import claimreview, public_selectors, services  # noqa: E402
from claims.models import Actor, Appearance, Claim, Review, Source  # noqa: E402

TARGET_MB = 50.0
SECTION = "## Feeds (bench/feeds.py)"
MB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")

CLAIM_AR = (
    "أعلنت القيادة المركزية الأمريكية تنفيذ عملية مشتركة مع وزارة الداخلية السورية خلال الفترة "
    "من 24 إلى 27 تشرين الثاني، استهدفت تدمير أكثر من 15 موقعًا لتخزين الأسلحة في ريف دمشق"
)
CLAIM_EN = (
    "CENTCOM announced a joint operation with the Syrian Ministry of Interior between 24 and 27 "
    "November that destroyed more than 15 weapons storage sites in Rif Dimashq"
)
RATIONALE = (
    "The figure matches the CENTCOM release of 12 November and two local reports; the dates "
    "differ by one day between outlets, which the wire later corrected. "
)
# Sources hold their full text; the feed must never load it.
ARTICLE = ("نص المقال الكامل كما نُشر. " * 40 + "Full article text as published. " * 40) * 2
VERDICTS = list(claimreview.RATING_OF_VERDICT)


def reset_database() -> None:
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    services.load_gazetteer()


def populate(n: int) -> float:
    """n claims, two linkable sources each, a published review each (bulk, no history)."""
    started = time.monotonic()
    reviewer = get_user_model().objects.create(username="bench-reviewer")
    kinds = [Actor.Kind.MILITARY, Actor.Kind.GOVERNMENT, Actor.Kind.ARMED_GROUP, Actor.Kind.PERSON]
    actors = Actor.objects.bulk_create(
        Actor(slug=f"bench-{i}", name=f"Claimant {i}", name_ar=f"الجهة {i}", kind=kinds[i % 4])
        for i in range(60)
    )
    base = dt.datetime(2025, 11, 1, tzinfo=dt.UTC)
    sources = Source.objects.bulk_create(
        (
            Source(
                slug=f"bench-source-{i}",
                canonical_url=f"https://outlet{i % 40}.example/2025/11/story-{i}",
                title=f"Story {i}",
                text=ARTICLE,
                published_at=base + dt.timedelta(minutes=i),
            )
            for i in range(2 * n)
        ),
        batch_size=2000,
    )
    claims = Claim.objects.bulk_create(
        (
            Claim(
                slug=f"bench-claim-{i}",
                claimant=actors[i % len(actors)],
                language="ar",
                text=f"{CLAIM_AR} ({i})",
                text_en=f"{CLAIM_EN} ({i})",
                stated_at=dt.date(2025, 11, 1) + dt.timedelta(days=i % 30),
                state=Claim.State.PUBLISHED,
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    Appearance.objects.bulk_create(
        (
            Appearance(claim=claim, source=sources[2 * i + k])
            for i, claim in enumerate(claims)
            for k in (0, 1)
        ),
        batch_size=5000,
    )
    now = timezone.now()
    reviews = [
        Review(
            claim=claim,
            verdict=VERDICTS[i % len(VERDICTS)],
            rationale=RATIONALE * 2,
            language="ar" if i % 2 else "en",
            reviewer=reviewer,
            published=True,
            published_at=now - dt.timedelta(seconds=n - i),
            published_by=reviewer,
        )
        for i, claim in enumerate(claims)
    ]
    # One claim in ten has a newer review still waiting for publication: the feed skips it.
    reviews += [
        Review(claim=claim, verdict="false", rationale="Unpublished draft.", reviewer=reviewer)
        for claim in claims[::10]
    ]
    Review.objects.bulk_create(reviews, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.monotonic() - started


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


@dataclass
class Run:
    seconds: float
    traced_peak: int = 0
    rss_growth: int = 0
    size: int = 0
    queries: int = 0


def measure(work: Callable[[Callable[[], None]], int], *, timed_runs: int = 2) -> Run:
    """Time `work` (best of `timed_runs`, untraced), then run it once under tracemalloc. `work`
    gets a callback to sample RSS, and returns the number of bytes it produced."""
    seconds = []
    size = 0
    for _ in range(timed_runs):
        gc.collect()
        started = time.perf_counter()
        size = work(lambda: None)
        seconds.append(time.perf_counter() - started)
    gc.collect()
    rss_before = rss()
    peak_rss = [rss_before]

    def sample() -> None:
        peak_rss[0] = max(peak_rss[0], rss())

    tracemalloc.start()
    tracemalloc.reset_peak()
    traced_before = tracemalloc.get_traced_memory()[0]
    reset_queries()
    work(sample)
    sample()
    queries = len(connection.queries)
    traced_peak = tracemalloc.get_traced_memory()[1] - traced_before
    tracemalloc.stop()
    return Run(
        seconds=min(seconds),
        traced_peak=traced_peak,
        rss_growth=peak_rss[0] - rss_before,
        size=size,
        queries=queries,
    )


def streamed(client: Client) -> Callable[[Callable[[], None]], int]:
    def work(sample: Callable[[], None]) -> int:
        response = client.get("/feeds/claimreview.json")
        assert response.status_code == 200 and response.streaming
        size = 0
        for chunk in response.streaming_content:  # type: ignore[attr-defined]
            size += len(chunk)
            sample()
        response.close()
        return size

    return work


def in_memory(sample: Callable[[], None]) -> int:
    """The naive feed: every review and its dict in memory, then one json.dumps."""
    publisher = public_selectors.publisher("http://localhost/")
    stamp = public_selectors.feed_stamp()
    reviews = list(
        public_selectors._latest_published().prefetch_related(public_selectors._APPEARANCES)
    )
    sample()
    items = [
        claimreview.claim_review(public_selectors._plain(r, with_sources=True), publisher)
        for r in reviews
    ]
    sample()
    feed = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dateModified": stamp.last_changed.isoformat() if stamp.last_changed else None,
        "dataFeedElement": items,
    }
    body = json.dumps(feed, ensure_ascii=False).encode()
    sample()
    return len(body)


def median_ms(work: Callable[[], Any], repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    ensure_database()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    args = parser.parse_args()
    n = args.reviews
    env = environment()

    print(f"== {n} published reviews ==", flush=True)
    reset_database()
    populate_s = populate(n)
    print(f"populated in {populate_s:.1f} s", flush=True)

    client = Client(HTTP_HOST="localhost")
    # Warm up (imports, template and translation catalogues, plan cache) and check the result.
    body = b"".join(client.get("/feeds/claimreview.json").streaming_content)  # type: ignore[attr-defined]
    published = json.loads(body)["dataFeedElement"]
    assert len(published) == n, f"{len(published)} items for {n} published reviews"
    assert not any("Unpublished draft" in item["reviewBody"] for item in published)
    del body, published

    stream = measure(streamed(client))
    print(
        f"streamed: {stream.size / MB:.1f} MB in {stream.seconds:.2f} s, "
        f"{stream.queries} queries, tracemalloc peak +{stream.traced_peak / MB:.1f} MB, "
        f"RSS +{stream.rss_growth / MB:.1f} MB",
        flush=True,
    )
    naive = measure(in_memory, timed_runs=1)
    print(
        f"in memory + json.dumps: {naive.size / MB:.1f} MB in {naive.seconds:.2f} s, "
        f"tracemalloc peak +{naive.traced_peak / MB:.1f} MB, RSS +{naive.rss_growth / MB:.1f} MB",
        flush=True,
    )
    stamp_ms = median_ms(public_selectors.feed_stamp)
    etag = client.get("/feeds/claimreview.json").headers["ETag"]
    not_modified_ms = median_ms(
        lambda: client.get("/feeds/claimreview.json", headers={"If-None-Match": etag})
    )
    print(f"stamp query: {stamp_ms:.1f} ms; 304 answer: {not_modified_ms:.1f} ms", flush=True)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    lines = [
        SECTION,
        "",
        "Produced by `.venv/bin/python bench/feeds.py` (see bench/README.md); do not edit by hand.",
        "",
        f"- Date: {env['date']}",
        f"- Machine: {env['cpus']} CPUs (`nproc`), {env['memory']} memory",
        f"- PostgreSQL {env['postgresql']}, Python {env['python']}, DEBUG={settings.DEBUG}",
        f"- Data: {n} claims, each with two linkable sources (~{len(ARTICLE) // 1024} KB of "
        f"text each, never loaded) and a published review; one in ten also has a newer "
        f"unpublished review; populated with bulk_create in {populate_s:.1f} s",
        f"- Streaming batch: {public_selectors.FEED_CHUNK} reviews",
        "",
        "RSS growth is measured after one warm-up request (imports, catalogues, the heap's "
        "working size), so it shows what one more feed request adds to a running process.",
        "",
        "| way | body MB | seconds | queries | tracemalloc peak growth MB | RSS growth MB |",
        "|---|---|---|---|---|---|",
        f"| streamed view (test Client) | {stream.size / MB:.1f} | {stream.seconds:.2f} "
        f"| {stream.queries} | {stream.traced_peak / MB:.1f} | {stream.rss_growth / MB:.1f} |",
        f"| baseline: list in memory + json.dumps | {naive.size / MB:.1f} | {naive.seconds:.2f} "
        f"| {naive.queries} | {naive.traced_peak / MB:.1f} | {naive.rss_growth / MB:.1f} |",
        "",
        f"- streamed / baseline peak memory (tracemalloc) = "
        f"{stream.traced_peak / naive.traced_peak:.2f}; time = "
        f"{stream.seconds / naive.seconds:.2f}",
        f"- Publication stamp (ETag and Last-Modified) query: {stamp_ms:.1f} ms median; a 304 "
        f"answer to If-None-Match: {not_modified_ms:.1f} ms median",
        f"- Process peak RSS over the whole run (includes the baseline): {max_rss:.0f} MB",
        f"- Streaming peak memory growth < {TARGET_MB:g} MB: "
        f"{verdict(stream.traced_peak / MB < TARGET_MB and stream.rss_growth / MB < TARGET_MB)}",
    ]
    text = "\n".join(lines) + "\n"
    if not args.no_write:
        from bench.results import write_section

        write_section(SECTION, text)
    print("\n" + text)


if __name__ == "__main__":
    main()
