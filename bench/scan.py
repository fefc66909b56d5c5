"""Benchmark of the verification scan on generated corpora (DESIGN §5: "the scan must stay near
n·log n").

    .venv/bin/python bench/scan.py [--sizes 10000,100000] [--baseline-size 10000] [--seed 1]

For each size it empties the database (flush), migrates, loads the gazetteer, generates the
corpus and then measures: a full `verification.scan_all()`, the incremental
`verification.check_claim(id)` over random claims, recall of the planted conflicts and false
conflict flags on the clean events. At --baseline-size it also times a naive all-pairs
comparison (no blocking). Results go to stdout and bench/RESULTS.md.

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/bench_corpus: a database of its
own, because the run flushes it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_corpus")
# Settings want a broker URL; the scan is synchronous and never talks to it.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.results import ensure_database, environment, verdict  # noqa: E402
from claims import clustering, corpus, services, verification  # noqa: E402
from claims.models import Claim, Flag  # noqa: E402
from claims.rules import date_conflict, denial, place_conflict, quantity_conflict  # noqa: E402

TARGET_GROWTH = 12.0
TARGET_SCAN_S = 60.0
TARGET_CHECK_MS = 50.0
CHECK_SAMPLE = 200
# Pairs timed for the naive baseline before extrapolating to all n(n-1)/2.
NAIVE_SAMPLE = 200_000


@dataclass
class SizeResult:
    size: int
    generate_s: float
    scan_s: float
    scan_queries: int
    check_median_ms: float
    check_p95_ms: float
    check_queries_median: float
    flags: dict[str, int]
    recall: dict[str, tuple[int, int]]
    false_flags: int
    clean_events: int
    clean_claims: int
    clean_intact: int
    missed: list[str] = field(default_factory=list)
    packed: bool = False  # all N claims in two years (see corpus.CLAIMS_PER_SPAN)

    @property
    def label(self) -> str:
        return f"{self.size} packed" if self.packed else str(self.size)

    @property
    def claims_per_s(self) -> float:
        return self.size / self.scan_s


@dataclass
class Baseline:
    size: int
    pairs_total: int
    pairs_timed: int
    seconds_timed: float
    extrapolated: bool

    @property
    def seconds(self) -> float:
        return self.seconds_timed * self.pairs_total / max(1, self.pairs_timed)


class QueryCounter:
    """Counts queries without keeping them (CaptureQueriesContext stops at 9000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def reset_database() -> None:
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    services.load_gazetteer()


def flag_claims(kinds: set[str] | None = None) -> dict[str, list[frozenset[int]]]:
    """Open flags by kind, each as the set of its claim ids."""
    links = Flag.claims.through.objects.filter(flag__state=Flag.State.OPEN)
    if kinds is not None:
        links = links.filter(flag__kind__in=kinds)
    by_flag: dict[int, set[int]] = defaultdict(set)
    kind_of: dict[int, str] = {}
    for flag_id, claim_id, kind in links.values_list("flag_id", "claim_id", "flag__kind"):
        by_flag[flag_id].add(claim_id)
        kind_of[flag_id] = kind
    result: dict[str, list[frozenset[int]]] = defaultdict(list)
    for flag_id, claims in by_flag.items():
        result[kind_of[flag_id]].append(frozenset(claims))
    return result


def score(truth: corpus.CorpusTruth) -> tuple[dict[str, tuple[int, int]], int, int, list[str]]:
    """Recall per planted kind, false conflict flags on clean events, clean events left whole
    (all their claims in one proposed event and nothing else in it), and the missed cases."""
    flags = flag_claims()
    recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed: list[str] = []
    for case in truth.planted:
        wanted = set(case.claim_ids)
        found = any(wanted <= claims for claims in flags.get(case.kind, []))
        recall[case.kind][0] += int(found)
        recall[case.kind][1] += 1
        if not found:
            missed.append(f"{case.kind} {case.claims} ({case.note})")
    clean = {c for event in truth.clean_event_ids for c in event}
    false_flags = sum(
        1 for kind in corpus.CONFLICT_KINDS for claims in flags.get(kind, []) if claims & clean
    )
    event_of = dict(Claim.objects.filter(pk__in=clean).values_list("id", "event_id"))
    intact = 0
    for event in truth.clean_event_ids:
        ids = {event_of[c] for c in event}
        if len(ids) == 1 and None not in ids:
            members = set(Claim.objects.filter(event_id=ids.pop()).values_list("id", flat=True))
            intact += int(members == set(event))
    return {k: (v[0], v[1]) for k, v in sorted(recall.items())}, false_flags, intact, missed


def run_size(size: int, seed: int, *, packed: bool = False) -> SizeResult:
    print(f"\n== {size} claims{' packed into two years' if packed else ''} ==", flush=True)
    reset_database()
    started = time.monotonic()
    per_span = corpus.CLAIMS_PER_SPAN
    if packed:
        corpus.CLAIMS_PER_SPAN = 10**12  # every size in the two years of the 10k corpus
    try:
        truth = corpus.generate(size, seed=seed)
    finally:
        corpus.CLAIMS_PER_SPAN = per_span
    generate_s = time.monotonic() - started
    truth.save(ROOT / "var" / f"bench_truth_{size}.json")
    # Planner statistics, as a database that has lived with its data has them: straight after
    # a bulk load PostgreSQL may not have analysed the new rows yet, and whether it has depends
    # on when autovacuum happened to wake during the load.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"generated in {generate_s:.1f} s; planted {truth.counts()}", flush=True)

    scan_queries = QueryCounter()
    with connection.execute_wrapper(scan_queries):
        started = time.monotonic()
        report = verification.scan_all()
        scan_s = time.monotonic() - started
    print(
        f"scan_all: {scan_s:.1f} s ({size / scan_s:.0f} claims/s), {scan_queries.count} queries, "
        f"{report.events_proposed} events proposed, {report.findings} findings",
        flush=True,
    )

    ids = list(Claim.objects.values_list("id", flat=True))
    sample = random.Random(seed).sample(ids, min(CHECK_SAMPLE, len(ids)))
    times: list[float] = []
    counts: list[int] = []
    for claim_id in sample:
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            verification.check_claim(claim_id)
            times.append((time.perf_counter() - started) * 1000)
        counts.append(counter.count)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(
        f"check_claim: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
        f"median {statistics.median(counts):.0f} queries",
        flush=True,
    )

    recall, false_flags, intact, missed = score(truth)
    flags = {
        kind: n
        for kind, n in sorted(
            Flag.objects.filter(state=Flag.State.OPEN)
            .values_list("kind")
            .annotate(n=django.db.models.Count("id"))
        )
    }
    return SizeResult(
        size=size,
        generate_s=generate_s,
        scan_s=scan_s,
        scan_queries=scan_queries.count,
        check_median_ms=statistics.median(times),
        check_p95_ms=p95,
        check_queries_median=statistics.median(counts),
        flags=flags,
        recall=recall,
        false_flags=false_flags,
        clean_events=len(truth.clean_event_ids),
        clean_claims=sum(len(e) for e in truth.clean_event_ids),
        clean_intact=intact,
        missed=missed,
        packed=packed,
    )


def naive_baseline(size: int, seed: int) -> Baseline:
    """Every pair of claims, no blocking: decide "same happening" and run the four pairwise
    rules on each pair. Timed on a random sample of pairs when there are too many."""
    batch = verification.load_batch(None)
    gazetteer = verification.Gazetteer.load()
    facts = list(batch.facts.values())
    sketches = {
        f.claim_id: verification.sketch(f, batch.rows[f.claim_id], gazetteer, False) for f in facts
    }
    # Every pair is treated as a candidate of one event: that is what "no blocking" means.
    as_one_event = [replace(f, event_id=-1) for f in facts]
    total = len(facts) * (len(facts) - 1) // 2
    rng = random.Random(seed)
    if total <= NAIVE_SAMPLE:
        pairs: Any = combinations(range(len(facts)), 2)
        timed = total
    else:
        pairs = [tuple(rng.sample(range(len(facts)), 2)) for _ in range(NAIVE_SAMPLE)]
        timed = NAIVE_SAMPLE
    ancestors = gazetteer.ancestors
    started = time.perf_counter()
    for i, j in pairs:
        a, b = as_one_event[i], as_one_event[j]
        if not clustering.same_happening(sketches[a.claim_id], sketches[b.claim_id]):
            continue
        quantity_conflict(a, b)
        date_conflict(a, b)
        place_conflict(a, b, ancestors_of=ancestors)
        denial(a, b)
    seconds = time.perf_counter() - started
    return Baseline(size, total, timed, seconds, extrapolated=timed < total)


SECTION = "## Scan (bench/scan.py)"


def render(
    env: dict[str, str], results: list[SizeResult], baseline: Baseline | None, seed: int
) -> str:
    lines = [
        SECTION,
        "",
        "Produced by `.venv/bin/python bench/scan.py` (see bench/README.md); do not edit by hand.",
        "",
        f"- Date: {env['date']}",
        f"- Machine: {env['cpus']} CPUs (`nproc`), {env['memory']} memory",
        f"- PostgreSQL {env['postgresql']}, Python {env['python']}",
        f"- Corpus: `generate_corpus --claims N --seed {seed}`: two years of reporting per 10k "
        "claims (corpus.CLAIMS_PER_SPAN); rows marked *packed* put all N claims into the same "
        "two years instead (ten times the events per town and day at 100k), a stress test of "
        "density rather than of size; the targets are read from the unpacked rows",
        "",
        "| claims | generate s | scan_all s | claims/s | scan queries | check_claim median ms "
        "| p95 ms | check queries (median) | false conflict flags on clean events "
        "| clean events intact |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {r.generate_s:.1f} | {r.scan_s:.1f} | {r.claims_per_s:.0f} "
            f"| {r.scan_queries} | {r.check_median_ms:.1f} | {r.check_p95_ms:.1f} "
            f"| {r.check_queries_median:.0f} | {r.false_flags} "
            f"| {r.clean_intact}/{r.clean_events} |"
        )
    lines += ["", "### Recall of planted cases (found / planted)", ""]
    kinds = sorted({k for r in results for k in r.recall})
    lines.append("| kind | " + " | ".join(r.label for r in results) + " |")
    lines.append("|---|" + "---|" * len(results))
    for kind in kinds:
        cells = [
            f"{r.recall[kind][0]}/{r.recall[kind][1]}" if kind in r.recall else "–" for r in results
        ]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    for r in results:
        if r.missed:
            lines += ["", f"Missed at {r.label}:", *(f"- {m}" for m in r.missed[:20])]
    lines += ["", "### Open flags by kind", ""]
    for r in results:
        lines.append(f"- {r.label}: " + ", ".join(f"{k} {n}" for k, n in r.flags.items()))
    lines += ["", "### Targets", ""]
    by_size = {r.size: r for r in results if not r.packed}
    small, large = by_size.get(10_000), by_size.get(100_000)
    if small and large:
        growth = large.scan_s / small.scan_s
        lines.append(
            f"- t(100k)/t(10k) = {growth:.1f} (target ≤ {TARGET_GROWTH:g}): "
            f"{verdict(growth <= TARGET_GROWTH)}"
        )
    if large:
        lines.append(
            f"- scan_all at 100k = {large.scan_s:.1f} s (target < {TARGET_SCAN_S:g} s): "
            f"{verdict(large.scan_s < TARGET_SCAN_S)}"
        )
        lines.append(
            f"- check_claim median at 100k = {large.check_median_ms:.1f} ms "
            f"(target < {TARGET_CHECK_MS:g} ms): "
            f"{verdict(large.check_median_ms < TARGET_CHECK_MS)}"
        )
    if baseline is not None:
        blocked = by_size.get(baseline.size)
        how = (
            f"timed on {baseline.pairs_timed:,} random pairs of {baseline.pairs_total:,} and "
            "extrapolated linearly"
            if baseline.extrapolated
            else f"all {baseline.pairs_total:,} pairs timed"
        )
        lines.append(
            f"- Naive all-pairs baseline at {baseline.size}: {baseline.seconds:.0f} s ({how}; "
            "same_happening plus the four pairwise rules per pair, no blocking, no writes)"
        )
        if blocked:
            lines.append(
                f"- naive / blocked scan_all at {baseline.size} = "
                f"{baseline.seconds / blocked.scan_s:.0f}× (the blocked figure includes "
                "loading, clustering, every rule and the flag writes)"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    ensure_database()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--baseline-size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--packed", default="", help="sizes to run again with all claims in two years"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    env = environment()
    results: list[SizeResult] = []
    baseline: Baseline | None = None
    for size in sizes:
        results.append(run_size(size, args.seed))
        if size == args.baseline_size:
            baseline = naive_baseline(size, args.seed)
            print(f"naive baseline: {baseline.seconds:.0f} s", flush=True)
    for size in [int(s) for s in args.packed.split(",") if s]:
        results.append(run_size(size, args.seed, packed=True))
    if baseline is None and args.baseline_size:
        run_size(args.baseline_size, args.seed)
        baseline = naive_baseline(args.baseline_size, args.seed)
    text = render(env, results, baseline, args.seed)
    from bench.results import write_section

    write_section(SECTION, text, args.out)
    print("\n" + text)


if __name__ == "__main__":
    main()
