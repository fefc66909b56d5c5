"""The synthetic corpus: what generate_corpus writes, that it is reproducible, that it refuses a
database with claims, and that a scan finds every planted conflict (recall at small scale)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command

from claims import corpus, verification
from claims.models import Appearance, Claim, Flag, Quantity

pytestmark = pytest.mark.django_db


def _generate(claims: int = 300, seed: int = 1) -> corpus.CorpusTruth:
    return corpus.generate(claims, seed=seed)


def test_generate_corpus_creates_claims_with_appearances_quantities_and_places():
    call_command("generate_corpus", "--claims", "300", "--seed", "1")
    assert Claim.objects.count() == 300
    assert Appearance.objects.count() >= 250
    assert Quantity.objects.count() >= 300
    assert Claim.objects.filter(places__isnull=True).count() == 0
    assert set(Claim.objects.values_list("language", flat=True)) == {"ar", "en"}
    assert Claim.objects.filter(appearances__via__isnull=False).exists()
    assert Claim.objects.filter(event__status="confirmed").exists()
    assert Claim.objects.filter(event__isnull=True).count() > 200


def test_the_corpus_is_the_same_for_the_same_seed():
    towns = corpus.gazetteer_towns()
    first = corpus.build_corpus(300, seed=1, towns=towns)
    second = corpus.build_corpus(300, seed=1, towns=towns)
    assert first.claims == second.claims
    assert first.sources == second.sources
    assert first.truth.as_dict() == second.truth.as_dict()
    other = corpus.build_corpus(300, seed=2, towns=towns)
    assert [c.text for c in other.claims] != [c.text for c in first.claims]


def test_generate_corpus_refuses_a_database_with_claims_unless_appending():
    call_command("generate_corpus", "--claims", "20", "--seed", "1")
    with pytest.raises(CommandError, match="--append"):
        call_command("generate_corpus", "--claims", "20", "--seed", "1")
    assert Claim.objects.count() == 20
    call_command("generate_corpus", "--claims", "20", "--seed", "1", "--append")
    assert Claim.objects.count() == 40


def test_the_truth_names_every_kind_of_planted_case():
    truth = _generate()
    assert set(truth.counts()) == {
        "quantity_conflict",
        "date_conflict",
        "place_conflict",
        "denial",
        "single_root",
        "partisan_only",
        "unsourced",
    }
    assert all(case.claim_ids for case in truth.planted)
    assert truth.clean_event_ids


def _flags_by_kind() -> dict[str, list[set[int]]]:
    by_flag: dict[int, set[int]] = defaultdict(set)
    kinds: dict[int, str] = {}
    links = Flag.claims.through.objects.filter(flag__state="open").values_list(
        "flag_id", "claim_id", "flag__kind"
    )
    for flag_id, claim_id, kind in links:
        by_flag[flag_id].add(claim_id)
        kinds[flag_id] = kind
    result: dict[str, list[set[int]]] = defaultdict(list)
    for flag_id, claim_ids in by_flag.items():
        result[kinds[flag_id]].append(claim_ids)
    return result


def test_a_scan_finds_every_planted_case_and_no_conflict_on_clean_events():
    truth = _generate()
    verification.scan_all()
    flags = _flags_by_kind()
    missed = [
        (case.kind, case.note)
        for case in truth.planted
        if not any(set(case.claim_ids) <= claims for claims in flags.get(case.kind, []))
    ]
    assert missed == []
    clean = {c for event in truth.clean_event_ids for c in event}
    false_flags = [
        (kind, sorted(claims))
        for kind in corpus.CONFLICT_KINDS
        for claims in flags.get(kind, [])
        if claims & clean
    ]
    assert false_flags == []
