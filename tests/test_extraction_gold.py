"""The extraction gold set is well formed, and the extractor keeps its F1 targets on it."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from claims.extraction.arabic import normalise
from claims.gazetteer import build_gazetteer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "extraction"
STANCES = {"asserts", "denies", "claims_responsibility", "admits"}
ITEMS = {
    "killed",
    "wounded",
    "captured",
    "members",
    "operations",
    "attacks",
    "sites",
    "weapons storage sites",
    "mortars and rockets",
    "weapons",
    "vehicles",
    "airstrikes",
    "civilians",
    "children",
    "displaced",
    "tunnels",
    "drones",
}
CLAIM_KEYS = {
    "claimant",
    "anonymous",
    "verb",
    "stance",
    "via",
    "quantities",
    "stated_at",
    "event_start",
    "event_end",
    "places",
}


def _load_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "extraction_eval", ROOT / "bench" / "extraction_eval.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("extraction_eval", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gold() -> list[dict[str, Any]]:
    lines = (DATA / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def actor_names() -> set[str]:
    actors = json.loads((DATA / "actors.json").read_text(encoding="utf-8"))
    return {normalise(a["name"]) for a in actors}


def _claims(gold: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(record, claim) for record in gold for claim in record["claims"]]


def test_gold_set_has_enough_records_in_both_languages(gold: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in gold]
    assert len(ids) == len(set(ids))
    assert len(gold) >= 60
    assert sum(r["language"] == "ar" for r in gold) >= 25
    assert sum(r["language"] == "en" for r in gold) >= 25
    # At most a third of the texts are adapted from the seed article.
    assert sum(r.get("adapted_from_seed", False) for r in gold) * 3 <= len(gold)


def test_every_record_and_claim_has_the_documented_shape(gold: list[dict[str, Any]]) -> None:
    for record in gold:
        assert record["language"] in {"ar", "en"}, record["id"]
        assert record["id"].startswith(record["language"] + "-"), record["id"]
        dt.date.fromisoformat(record["published"])
        assert record["text"].strip() and record["claims"], record["id"]
        for claim in record["claims"]:
            assert set(claim) == CLAIM_KEYS, record["id"]
            assert claim["stance"] in STANCES, record["id"]
            assert isinstance(claim["via"], list), record["id"]
            for key in ("stated_at", "event_start", "event_end"):
                if claim[key] is not None:
                    dt.date.fromisoformat(claim[key])


def test_event_windows_are_ordered_and_not_after_publication(gold: list[dict[str, Any]]) -> None:
    for record, claim in _claims(gold):
        published = dt.date.fromisoformat(record["published"])
        start, end = claim["event_start"], claim["event_end"]
        if start and end:
            assert dt.date.fromisoformat(start) <= dt.date.fromisoformat(end), record["id"]
        for value in (start, end, claim["stated_at"]):
            if value:
                assert dt.date.fromisoformat(value) <= published, record["id"]


def test_every_verb_occurs_in_its_text(gold: list[dict[str, Any]]) -> None:
    for record, claim in _claims(gold):
        assert claim["verb"] and claim["verb"] in record["text"], (record["id"], claim["verb"])


def test_every_claimant_is_a_known_actor_or_written_in_the_text(
    gold: list[dict[str, Any]], actor_names: set[str]
) -> None:
    text_only = 0
    for record, claim in _claims(gold):
        if claim["anonymous"]:
            assert claim["claimant"] is None, record["id"]
            continue
        name = normalise(claim["claimant"])
        if name not in actor_names:
            text_only += 1
            assert name in normalise(record["text"]), (record["id"], claim["claimant"])
    # Some claimants are deliberately missing from actors.json: new names to propose.
    assert text_only >= 3


def test_every_relay_is_a_known_actor(gold: list[dict[str, Any]], actor_names: set[str]) -> None:
    for record, claim in _claims(gold):
        for via in claim["via"]:
            assert normalise(via) in actor_names, (record["id"], via)


def test_every_place_ref_is_in_the_gazetteer(gold: list[dict[str, Any]]) -> None:
    refs = {r.ref for r in build_gazetteer(ROOT / "seeds" / "places_supplement.json")}
    for record, claim in _claims(gold):
        assert len(set(claim["places"])) == len(claim["places"]), record["id"]
        for ref in claim["places"]:
            assert ref in refs, (record["id"], ref)


def test_quantity_intervals_are_valid(gold: list[dict[str, Any]]) -> None:
    for record, claim in _claims(gold):
        for q in claim["quantities"]:
            assert q["item"] in ITEMS, (record["id"], q)
            assert isinstance(q["low"], int) and q["low"] >= 0, (record["id"], q)
            assert q["high"] is None or (isinstance(q["high"], int) and q["high"] >= q["low"]), (
                record["id"],
                q,
            )


def test_scoring_aligns_by_claimant_then_order() -> None:
    ev = _load_eval()
    a = ev.Scored("a", True, "said", "asserts", frozenset(), frozenset(), None, None, frozenset())
    b = ev.Scored("b", True, "said", "denies", frozenset(), frozenset(), None, None, frozenset())
    anon = ev.Scored(ev.ANONYMOUS, False, "", "", frozenset(), frozenset(), None, None, frozenset())
    pairs = ev.align([a, b], [b, anon])
    assert (b, b) in pairs and (a, anon) in pairs
    counts = ev.count_pair(a, anon)
    assert counts["claimant"].fp == 1 and counts["claimant"].fn == 1


# The F1 the extractor has reached per field: a change that falls below it is a regression.
# Raise these as the extractor improves; the targets themselves (TARGETS in
# bench/extraction_eval.py, reported by `make bench`) are where they should end up.
REACHED = {"claimant": 0.98, "via": 0.98, "quantities": 0.99, "dates": 0.97, "places": 0.99}


def test_extractor_does_not_fall_below_the_f1_it_has_reached_on_the_gold_set() -> None:
    ev = _load_eval()
    totals = ev.evaluate()
    report = {name: round(totals[name].f1, 3) for name in ev.FIELDS}
    assert set(REACHED) == set(ev.TARGETS)
    for name, floor in REACHED.items():
        assert totals[name].f1 >= floor, f"{name} F1 fell below {floor}: {report}"


# The sets written blind, before their authors read the extractor (README "Held-out set" and
# "Second blind set"): heldout.jsonl and blind2.jsonl (longer wire and outlet paragraphs). Their
# first scores are the honest ones (F1 0.81-0.98 and 0.875-0.986 per field); these floors, a
# little below the scores after general fixes, guard those fixes.
BLIND_SETS = {
    "heldout.jsonl": ("hx", {"claimant": 0.97, "via": 0.97, "quantities": 0.95, "dates": 0.97,
                             "places": 0.97}),
    "blind2.jsonl": ("b2", {"claimant": 0.94, "via": 0.94, "quantities": 0.97, "dates": 0.97,
                            "places": 0.97}),
    # blind3 (30 Arabic, 20 English): floors a little below the score after the second fixes.
    "blind3.jsonl": ("b3", {"claimant": 0.93, "via": 0.82, "quantities": 0.97, "dates": 0.97,
                            "places": 0.94}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BLIND_SETS))
def test_a_blind_set_is_well_formed(name: str) -> None:
    prefix = BLIND_SETS[name][0]
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert len(records) >= 50 and len({r["id"] for r in records}) == len(records)
    # Both languages well represented (blind3 is 60 % Arabic, 40 % English).
    assert sum(r["language"] == "ar" for r in records) >= 0.35 * len(records)
    assert sum(r["language"] == "en" for r in records) >= 0.35 * len(records)
    refs = {r.ref for r in build_gazetteer(ROOT / "seeds" / "places_supplement.json")}
    for record, claim in _claims(records):
        assert record["id"].startswith(f"{prefix}-{record['language']}-"), record["id"]
        assert not record["adapted_from_seed"], record["id"]
        assert set(claim) == CLAIM_KEYS and claim["stance"] in STANCES, record["id"]
        assert claim["verb"] and claim["verb"].lower() in record["text"].lower(), record["id"]
        assert set(claim["places"]) <= refs, record["id"]
        for q in claim["quantities"]:
            assert q["item"] in ITEMS, (record["id"], q)


@pytest.mark.parametrize("actor_set", ["gold", "product"])
@pytest.mark.parametrize("name", sorted(BLIND_SETS))
def test_extractor_does_not_fall_below_the_f1_it_has_reached_on_a_blind_set(
    name: str, actor_set: str
) -> None:
    ev = _load_eval()
    totals = ev.evaluate(ev.build_setup(actor_set), path=DATA / name)
    report = {field: round(totals[field].f1, 3) for field in ev.FIELDS}
    for field, floor in BLIND_SETS[name][1].items():
        assert totals[field].f1 >= floor, f"{field} F1 fell below {floor}: {report}"


def test_product_actors_map_gold_names_by_alias() -> None:
    ev = _load_eval()
    actors = ev.load_product_actors()
    aliases = ev.alias_map(actors)
    names = {a["name"] for a in actors}
    assert {"Reuters", "SANA", "US Department of Defense", "Islamic State (ISIS)"} <= names
    # a gold name written as an alias of a product actor scores as that actor
    assert aliases[ev.normalise("Pentagon")] == ev.normalise("US Department of Defense")
    assert aliases[ev.normalise("الأسايش")] == ev.normalise("Asayish")
