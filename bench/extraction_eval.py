"""Score the claim extractor against the hand-annotated gold set in tests/data/extraction/.

    .venv/bin/python bench/extraction_eval.py [--repeat 20] [--no-write]
        [--gold tests/data/extraction/heldout.jsonl] [--misses] [--actors product]

Prints precision, recall and F1 per field and the throughput on ~800-word articles, and writes
them to the "## Extraction" section of bench/RESULTS.md. Pure: no Django settings, no database.
`--gold PATH` scores another annotated set of the same format (e.g. the blind held-out set);
such a run only prints, it never touches RESULTS.md. Throughput is always measured on the
default gold texts, so runs stay comparable. `--misses` also lists every value that is not a
true positive: record id, field, expected (gold) and got (proposed).

`--actors product` gives the extractor the actors the product really ships (what `load_seeds`
loads: seeds/actor_directory.json plus the actors of seeds/seed_case.json, each with its name,
name_ar and aliases) instead of tests/data/extraction/actors.json. Gold claimants and via names
(canonical names of actors.json, or names as written) are then mapped to the product actor whose
normalised name or alias they equal; a name no product actor carries stays a new name (scored by
the containment rule below). Such a run never writes RESULTS.md.

Alignment. Within one record, gold and proposed claims are paired first by claimant (same
normalised canonical name, or both anonymous; the k-th gold claim of a claimant with the k-th
proposal of the same claimant), then the claims still unpaired are paired in text order. A gold
claim left without a partner counts every one of its values as a miss; a proposal left without a
partner counts every one of its values as a false positive.

Scoring per field over the aligned pairs (values that are empty on both sides count for nothing):
- claimant, verb, stance, stated_at, event window: one value per claim; equal → TP, otherwise the
  proposed value (if any) is a FP and the gold value (if any) a FN.
- via, places, quantities: sets (via names, place refs, (item, low, high) triples); TP = overlap.
- dates pools stated_at and the event window.
Claimant names match after normalisation (case, Arabic letter variants, diacritics); a name that
is not in actors.json also matches when one normalised name contains the other ("security analyst
Samir Haddad" ~ "Samir Haddad"). Verbs match after normalisation, ignoring a proclitic و/ف.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from claims.extraction.arabic import normalise  # noqa: E402

DATA = ROOT / "tests" / "data" / "extraction"
GOLD_PATH = DATA / "gold.jsonl"
ACTORS_PATH = DATA / "actors.json"
PRODUCT_ACTOR_PATHS = (ROOT / "seeds" / "actor_directory.json", ROOT / "seeds" / "seed_case.json")
SUPPLEMENT_PATH = ROOT / "seeds" / "places_supplement.json"
RESULTS_PATH = ROOT / "bench" / "RESULTS.md"
SECTION = "## Extraction (bench/extraction_eval.py)"

FIELDS = (
    "claimant",
    "verb",
    "stance",
    "via",
    "quantities",
    "stated_at",
    "event_window",
    "dates",
    "places",
)
# F1 targets; fields without one are reported only.
TARGETS: dict[str, float] = {
    "claimant": 0.9,
    "quantities": 0.9,
    "via": 0.8,
    "dates": 0.8,
    "places": 0.8,
}
THROUGHPUT_TARGET = 20.0  # ~800-word articles per second on one core
ARTICLE_WORDS = 800
ANONYMOUS = "<anonymous>"
_PROCLITIC = re.compile(r"^[وف](?=\S{3,})")


# ---------------------------------------------------------------- data


def load_gold(path: Path = GOLD_PATH) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_actors(path: Path = ACTORS_PATH) -> list[dict[str, Any]]:
    actors: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return actors


def load_product_actors(
    paths: Sequence[Path] = PRODUCT_ACTOR_PATHS,
) -> list[dict[str, Any]]:
    """The actors `load_seeds` ships, as `{"name", "aliases"}` (name_ar first among the aliases)."""
    actors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        for actor in data["actors"]:
            key = actor.get("slug") or actor["name"]
            if key in seen:
                continue
            seen.add(key)
            aliases = [a for a in (actor.get("name_ar"), *actor.get("aliases", ())) if a]
            actors.append({"name": actor["name"], "aliases": aliases})
    return actors


def alias_map(actors: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Normalised name or alias -> normalised canonical name (the first actor wins a clash)."""
    mapping: dict[str, str] = {}
    for actor in actors:
        canonical = normalise(actor["name"])
        for name in (actor["name"], *actor["aliases"]):
            mapping.setdefault(normalise(name), canonical)
    return mapping


def parse_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# ---------------------------------------------------------------- normalised claims


@dataclasses.dataclass(frozen=True)
class Scored:
    """One claim reduced to the values that are scored, from gold or from the extractor."""

    claimant: str  # normalised canonical name, ANONYMOUS, or "" when none
    known: bool  # claimant is an actor in actors.json
    verb: str
    stance: str
    via: frozenset[str]
    quantities: frozenset[tuple[str, int, int | None]]
    stated_at: dt.date | None
    event_window: tuple[dt.date | None, dt.date | None] | None
    places: frozenset[str]


def fold_verb(verb: str) -> str:
    return normalise(verb)


def same_verb(gold: str, proposed: str) -> bool:
    """Folded verbs match as written or without a proclitic و/ف (وفقاً itself starts with و)."""
    return gold == proposed or _PROCLITIC.sub("", gold) == _PROCLITIC.sub("", proposed)


def _window(start: dt.date | None, end: dt.date | None) -> tuple[dt.date | None, ...] | None:
    return None if start is None and end is None else (start, end)


def gold_claim(
    claim: dict[str, Any], known_names: set[str], aliases: dict[str, str] | None = None
) -> Scored:
    """`aliases` (normalised alias -> canonical) maps gold names onto another actor list."""

    def name(value: str) -> str:
        folded = normalise(value)
        return aliases.get(folded, folded) if aliases is not None else folded

    claimant = ANONYMOUS if claim["anonymous"] else name(claim["claimant"] or "")
    return Scored(
        claimant=claimant,
        known=claimant in known_names,
        verb=fold_verb(claim["verb"] or ""),
        stance=claim["stance"] or "",
        via=frozenset(name(v) for v in claim["via"]),
        quantities=frozenset((q["item"], q["low"], q["high"]) for q in claim["quantities"]),
        stated_at=parse_date(claim["stated_at"]),
        event_window=_window(parse_date(claim["event_start"]), parse_date(claim["event_end"])),  # type: ignore[arg-type]
        places=frozenset(claim["places"]),
    )


def proposed_claim(
    proposal: Any, actor_names: Sequence[str], place_refs: Sequence[str], known_names: set[str]
) -> Scored:
    if proposal.anonymous:
        claimant = ANONYMOUS
    elif proposal.claimant_actor_id is not None:
        claimant = normalise(actor_names[proposal.claimant_actor_id])
    else:
        claimant = normalise(proposal.claimant_name or "")
    via: set[str] = set()
    for i, name in enumerate(proposal.via_names):
        ids = proposal.via_actor_ids
        actor_id = ids[i] if i < len(ids) else None
        via.add(normalise(actor_names[actor_id] if actor_id is not None else name))
    return Scored(
        claimant=claimant,
        known=claimant in known_names,
        verb=fold_verb(proposal.verb or ""),
        stance=proposal.stance or "",
        via=frozenset(v for v in via if v),
        quantities=frozenset((q.item, q.low, q.high) for q in proposal.quantities),
        stated_at=proposal.stated_at,
        event_window=_window(proposal.event_start, proposal.event_end),  # type: ignore[arg-type]
        places=frozenset(place_refs[i] for i in proposal.place_ids),
    )


# ---------------------------------------------------------------- alignment and counts


def same_claimant(gold: Scored, proposed: Scored) -> bool:
    if not gold.claimant or not proposed.claimant:
        return False
    if gold.claimant == proposed.claimant:
        return True
    if ANONYMOUS in (gold.claimant, proposed.claimant):
        return False
    # A new name (not in actors.json) may be written with or without its title.
    if not gold.known and not proposed.known:
        return gold.claimant in proposed.claimant or proposed.claimant in gold.claimant
    return False


def align(
    gold: Sequence[Scored], proposed: Sequence[Scored]
) -> list[tuple[Scored | None, Scored | None]]:
    """Pair by claimant (k-th with k-th), then the rest in order; leftovers pair with None."""
    used_gold: set[int] = set()
    used_prop: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(proposed):
            if pi not in used_prop and same_claimant(g, p):
                pairs.append((gi, pi))
                used_gold.add(gi)
                used_prop.add(pi)
                break
    rest_gold = [i for i in range(len(gold)) if i not in used_gold]
    rest_prop = [i for i in range(len(proposed)) if i not in used_prop]
    pairs.extend(zip(rest_gold, rest_prop, strict=False))
    aligned: list[tuple[Scored | None, Scored | None]] = [
        (gold[gi], proposed[pi]) for gi, pi in sorted(pairs)
    ]
    aligned.extend((gold[gi], None) for gi in rest_gold[len(rest_prop) :])
    aligned.extend((None, proposed[pi]) for pi in rest_prop[len(rest_gold) :])
    return aligned


@dataclasses.dataclass
class Count:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Count) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _single(gold: object, proposed: object, equal: bool) -> Count:
    if equal and gold:
        return Count(tp=1)
    return Count(fp=1 if proposed else 0, fn=1 if gold else 0)


def _sets(gold: Iterable[object], proposed: Iterable[object]) -> Count:
    g, p = set(gold), set(proposed)
    return Count(tp=len(g & p), fp=len(p - g), fn=len(g - p))


def count_pair(gold: Scored | None, proposed: Scored | None) -> dict[str, Count]:
    empty = Scored("", False, "", "", frozenset(), frozenset(), None, None, frozenset())
    g, p = gold or empty, proposed or empty
    paired = gold is not None and proposed is not None
    counts = {
        "claimant": _single(g.claimant, p.claimant, paired and same_claimant(g, p)),
        "verb": _single(g.verb, p.verb, same_verb(g.verb, p.verb)),
        "stance": _single(g.stance, p.stance, g.stance == p.stance),
        "via": _sets(g.via, p.via),
        "quantities": _sets(g.quantities, p.quantities),
        "stated_at": _single(g.stated_at, p.stated_at, g.stated_at == p.stated_at),
        "event_window": _single(g.event_window, p.event_window, g.event_window == p.event_window),
        "places": _sets(g.places, p.places),
    }
    dates = Count()
    dates.add(counts["stated_at"])
    dates.add(counts["event_window"])
    counts["dates"] = dates
    return counts


def score(
    gold_records: Sequence[dict[str, Any]],
    proposals_by_record: Sequence[Sequence[Any]],
    actor_names: Sequence[str],
    place_refs: Sequence[str],
    aliases: dict[str, str] | None = None,
) -> dict[str, Count]:
    known = {normalise(n) for n in actor_names}
    totals = {name: Count() for name in FIELDS}
    for record, proposals in zip(gold_records, proposals_by_record, strict=True):
        gold = [gold_claim(c, known, aliases) for c in record["claims"]]
        proposed = [proposed_claim(p, actor_names, place_refs, known) for p in proposals]
        for g, p in align(gold, proposed):
            for name, count in count_pair(g, p).items():
                totals[name].add(count)
    return totals


# ---------------------------------------------------------------- running the extractor


@dataclasses.dataclass
class Setup:
    actors: Any  # ActorIndex
    places: Any  # PlaceIndex
    actor_names: list[str]
    place_refs: list[str]
    aliases: dict[str, str] | None = None  # set when the actors are not those of actors.json


def build_setup(actor_set: str = "gold") -> Setup:
    """`actor_set`: "gold" (tests/data/extraction/actors.json) or "product" (the seeds)."""
    from claims.extraction.attribution import ActorIndex, ActorName
    from claims.extraction.places import PlaceIndex, PlaceName
    from claims.gazetteer import build_gazetteer

    actors = load_actors() if actor_set == "gold" else load_product_actors()
    actor_index = ActorIndex(
        [
            ActorName(actor_id=i, name=a["name"], aliases=(a["name"], *a["aliases"]))
            for i, a in enumerate(actors)
        ]
    )
    records = build_gazetteer(SUPPLEMENT_PATH)
    has_region = "region" in {f.name for f in dataclasses.fields(PlaceName)}
    place_names = []
    for i, rec in enumerate(records):
        names = tuple(n for n in (rec.name, rec.name_ar, *rec.aliases) if n)
        extra: dict[str, Any] = {}
        if has_region:
            extra["region"] = rec.kind in {"country", "governorate", "district"}
        place_names.append(PlaceName(place_id=i, names=names, **extra))
    return Setup(
        actors=actor_index,
        places=PlaceIndex(place_names),
        actor_names=[a["name"] for a in actors],
        place_refs=[r.ref for r in records],
        aliases=None if actor_set == "gold" else alias_map(actors),
    )


def run_extractor(records: Sequence[dict[str, Any]], setup: Setup) -> list[list[Any]]:
    from claims.extraction.pipeline import propose_claims

    return [
        list(
            propose_claims(
                r["text"],
                language=r["language"],
                published=dt.date.fromisoformat(r["published"]),
                actors=setup.actors,
                places=setup.places,
            )
        )
        for r in records
    ]


def evaluate(setup: Setup | None = None, path: Path = GOLD_PATH) -> dict[str, Count]:
    setup = setup or build_setup()
    gold = load_gold(path)
    return score(
        gold, run_extractor(gold, setup), setup.actor_names, setup.place_refs, setup.aliases
    )


_SINGLE_FIELDS = ("claimant", "verb", "stance", "stated_at", "event_window")
_SET_FIELDS = ("via", "quantities", "places")


def misses(setup: Setup, path: Path = GOLD_PATH) -> list[tuple[str, str, object, object]]:
    """(record id, field, expected, got) for every aligned value that is not a true positive."""
    gold = load_gold(path)
    known = {normalise(n) for n in setup.actor_names}
    empty = Scored("", False, "", "", frozenset(), frozenset(), None, None, frozenset())
    rows: list[tuple[str, str, object, object]] = []
    for record, proposals in zip(gold, run_extractor(gold, setup), strict=True):
        gold_claims = [gold_claim(c, known, setup.aliases) for c in record["claims"]]
        proposed = [
            proposed_claim(p, setup.actor_names, setup.place_refs, known) for p in proposals
        ]
        for g, p in align(gold_claims, proposed):
            counts = count_pair(g, p)
            ge, pe = g or empty, p or empty
            for name in _SINGLE_FIELDS:
                if counts[name].fp or counts[name].fn:
                    rows.append((record["id"], name, getattr(ge, name), getattr(pe, name)))
            for name in _SET_FIELDS:
                if counts[name].fp or counts[name].fn:
                    expected = sorted(getattr(ge, name) - getattr(pe, name), key=str)
                    got = sorted(getattr(pe, name) - getattr(ge, name), key=str)
                    rows.append((record["id"], name, expected, got))
    return rows


def build_articles(records: Sequence[dict[str, Any]], language: str) -> list[str]:
    """Articles of about ARTICLE_WORDS words: the language's gold texts concatenated in turn."""
    texts = [r["text"] for r in records if r["language"] == language]
    articles: list[str] = []
    current: list[str] = []
    words = 0
    for text in texts * 4:
        current.append(text)
        words += len(text.split())
        if words >= ARTICLE_WORDS:
            articles.append("\n".join(current))
            current, words = [], 0
    return articles


def throughput(setup: Setup, repeat: int) -> dict[str, float]:
    """Articles per second on one core (a single thread), per language and overall."""
    from claims.extraction.pipeline import propose_claims

    gold = load_gold()
    published = dt.date(2025, 12, 1)
    rates: dict[str, float] = {}
    total_articles = 0
    total_seconds = 0.0
    for language in ("ar", "en"):
        articles = build_articles(gold, language)
        started = time.perf_counter()
        for _ in range(repeat):
            for text in articles:
                propose_claims(
                    text,
                    language=language,
                    published=published,
                    actors=setup.actors,
                    places=setup.places,
                )
        seconds = time.perf_counter() - started
        rates[language] = len(articles) * repeat / seconds
        total_articles += len(articles) * repeat
        total_seconds += seconds
    rates["all"] = total_articles / total_seconds
    return rates


# ---------------------------------------------------------------- report


def report(
    totals: dict[str, Count],
    rates: dict[str, float] | None,
    repeat: int,
    path: Path = GOLD_PATH,
    actor_set: str = "gold",
) -> str:
    gold = load_gold(path)
    claims = sum(len(r["claims"]) for r in gold)
    ar = sum(r["language"] == "ar" for r in gold)
    label = "gold" if path == GOLD_PATH else f"{path.name}"
    lines = [
        SECTION,
        "",
        f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}: {len(gold)} {label} records "
        f"({ar} Arabic, {len(gold) - ar} English), {claims} {label} claims"
        + (", product actors (seeds)." if actor_set == "product" else "."),
        "",
        "| field | precision | recall | F1 | target | |",
        "|---|---|---|---|---|---|",
    ]
    for name in FIELDS:
        c = totals[name]
        target = TARGETS.get(name)
        verdict = "" if target is None else ("met" if c.f1 >= target else "NOT met")
        lines.append(
            f"| {name} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} | "
            f"{'' if target is None else f'≥ {target}'} | {verdict} |"
        )
    lines.append("")
    if rates is not None:
        verdict = "met" if rates["all"] >= THROUGHPUT_TARGET else "NOT met"
        lines.append(
            f"Throughput (one core, ~{ARTICLE_WORDS}-word articles of concatenated gold texts, "
            f"{repeat} passes): Arabic {rates['ar']:.1f}/s, English {rates['en']:.1f}/s, "
            f"overall {rates['all']:.1f} articles/s; target ≥ {THROUGHPUT_TARGET:.0f}: {verdict}."
        )
        lines.append("")
    lines.append(
        "Claims are aligned per record by claimant, then in order; dates = stated_at + event "
        "window. See the module docstring of bench/extraction_eval.py."
    )
    return "\n".join(lines) + "\n"


# Sets written blind, after the gold set (tests/data/extraction/README.md gives the score each
# had before any fix made for it); scored here so RESULTS.md shows every set and both actor lists.
OTHER_SETS = ("heldout.jsonl", "blind2.jsonl", "blind3.jsonl")


def other_sets_table() -> str:
    """F1 of the target fields on every set, with the test actors and with the actors that
    load_seeds ships."""
    fields = [name for name in FIELDS if name in TARGETS]
    lines = [
        "Every set, F1 of the target fields (gold = tests/data/extraction/actors.json, product = "
        "the actors `load_seeds` ships). heldout, blind2 and blind3 were written blind, each by "
        "someone who had not read the extractor; their scores before the fixes they prompted "
        "are in tests/data/extraction/README.md (heldout: 0.81–0.94, blind2: 0.88–0.96, "
        "blind3: 0.59–0.94 on these fields), so only those first scores measured unseen text.",
        "",
        "| set | actors | records | " + " | ".join(fields) + " |",
        "|---|---|---|" + "---|" * len(fields),
    ]
    setups = {name: build_setup(name) for name in ("gold", "product")}
    for path in (GOLD_PATH, *(DATA / name for name in OTHER_SETS)):
        records = len(load_gold(path))
        for actor_set, setup in setups.items():
            totals = evaluate(setup, path)
            cells = " | ".join(f"{totals[name].f1:.3f}" for name in fields)
            lines.append(f"| {path.stem} | {actor_set} | {records} | {cells} |")
    return "\n".join(lines) + "\n"


def write_section(section: str, path: Path = RESULTS_PATH) -> None:
    """Replace this script's section of RESULTS.md (or append it); other sections stay."""
    from bench.results import write_section as write

    write(SECTION, section, path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=20, help="passes over the articles")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    parser.add_argument(
        "--gold",
        type=Path,
        default=GOLD_PATH,
        help="annotated set to score (default: the gold set); another set never writes",
    )
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument(
        "--actors",
        choices=("gold", "product"),
        default="gold",
        help="actors given to the extractor: tests/data/extraction/actors.json (default) or "
        "those load_seeds ships (seeds/actor_directory.json + seed_case.json); never writes",
    )
    args = parser.parse_args(argv)
    path = args.gold.resolve()
    default = path == GOLD_PATH.resolve() and args.actors == "gold"
    setup = build_setup(args.actors)
    totals = evaluate(setup, path)
    rates = throughput(setup, args.repeat)
    section = report(
        totals, rates, args.repeat, GOLD_PATH if path == GOLD_PATH.resolve() else path, args.actors
    )
    print(section)
    if args.misses:
        for record_id, field, expected, got in misses(setup, path):
            print(f"{record_id}\t{field}\texpected={expected}\tgot={got}")
    if default and not args.no_write:
        table = other_sets_table()
        print(table)
        write_section(section + "\n" + table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
