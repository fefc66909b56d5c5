"""Verification rules over plain claim facts: no database, no Django."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from claims.rules import (
    AppearanceFact,
    ClaimFacts,
    Finding,
    Interval,
    QuantityFact,
    date_conflict,
    denial,
    intervals_conflict,
    partisan_only,
    place_conflict,
    quantity_conflict,
    quote_not_in_source,
    run_rules,
    single_root,
    unsourced,
    unverified_stale,
)

NOW = datetime(2025, 11, 28, 12, 0, tzinfo=UTC)

# Actors
CENTCOM, ISIS, AL_NABA, AMAQ = 1, 10, 11, 12
REUTERS, ENAB_BALADI, THE_NATIONAL, SYRIA_TV, ASHARQ = 20, 21, 22, 23, 24
SYRIAN_MOI, SDF = 30, 31
PARENT_OF: dict[int, int | None] = {AL_NABA: ISIS, AMAQ: ISIS}

# Places: Syria › Homs governorate › Homs › Tatan quarter; Syria › Deir ez-Zor governorate
SYRIA, HOMS_GOV, HOMS, TATAN, DEIR_GOV, DEIR = 1, 2, 3, 4, 5, 6
ANCESTORS_OF: dict[int, tuple[int, ...]] = {
    SYRIA: (),
    HOMS_GOV: (SYRIA,),
    HOMS: (HOMS_GOV, SYRIA),
    TATAN: (HOMS, HOMS_GOV, SYRIA),
    DEIR_GOV: (SYRIA,),
    DEIR: (DEIR_GOV, SYRIA),
}


def make_claim(claim_id: int, **fields: Any) -> ClaimFacts:
    values: dict[str, Any] = {
        "claimant_id": CENTCOM,
        "claimant_name": "CENTCOM",
        "text": "US forces struck weapons sites in Syria",
        "created_at": NOW - timedelta(hours=1),
        "event_id": 100,
        "appearances": (
            AppearanceFact(
                source_id=claim_id * 1000,
                source_publisher_id=REUTERS,
                source_url=f"https://example.org/{claim_id}",
            ),
        ),
    }
    values.update(fields)
    return ClaimFacts(claim_id=claim_id, **values)


def sites(low: int, high: int | None, qualifier: str, text: str) -> QuantityFact:
    return QuantityFact("weapons sites", low, high, qualifier, text=text)


# Quantities


def test_more_than_fifteen_and_fifteen_sites_is_a_minor_conflict_naming_both_texts() -> None:
    centcom = make_claim(
        1,
        claimant_name="CENTCOM release",
        quantities=(sites(16, None, "أكثر من", "أكثر من 15 موقعاً"),),
    )
    national = make_claim(
        2,
        claimant_name="The National",
        quantities=(sites(15, 15, "", "15 sites"),),
    )

    [finding] = quantity_conflict(centcom, national)

    assert finding.kind == "quantity_conflict"
    assert finding.severity == "minor"
    assert finding.claim_ids == (1, 2)
    assert "أكثر من 15 موقعاً" in finding.detail
    assert "15 sites" in finding.detail
    assert "differ only by 'أكثر من'" in finding.detail


def test_quantities_of_different_items_are_not_compared() -> None:
    mortars = make_claim(1, quantities=(QuantityFact("mortars", 130, 130, text="130 mortars"),))
    mixed = make_claim(
        2,
        quantities=(
            QuantityFact(
                "mortars and rockets",
                131,
                None,
                "more than",
                text="more than 130 mortars and rockets",
            ),
        ),
    )

    assert quantity_conflict(mortars, mixed) == []


def test_item_names_are_compared_after_folding_case_and_spacing() -> None:
    first = make_claim(1, quantities=(QuantityFact(" Killed", 5, 5, text="5 killed"),))
    second = make_claim(2, quantities=(QuantityFact("killed ", 50, 50, text="50 killed"),))

    assert [f.severity for f in quantity_conflict(first, second)] == ["critical"]


def test_more_than_130_and_more_than_130_do_not_conflict() -> None:
    first = make_claim(1, quantities=(QuantityFact("mortars", 131, None, "more than"),))
    second = make_claim(2, quantities=(QuantityFact("mortars", 131, None, "أكثر من"),))

    assert quantity_conflict(first, second) == []


def test_about_100_and_exactly_108_do_not_conflict_once_widened() -> None:
    about = make_claim(1, quantities=(QuantityFact("killed", 100, 100, "نحو", approximate=True),))
    exact = make_claim(2, quantities=(QuantityFact("killed", 108, 108),))

    assert quantity_conflict(about, exact) == []


def test_five_killed_and_fifty_killed_is_a_critical_conflict() -> None:
    five = make_claim(1, quantities=(QuantityFact("killed", 5, 5, text="5 killed"),))
    fifty = make_claim(2, quantities=(QuantityFact("killed", 50, 50, text="مقتل 50"),))

    [finding] = quantity_conflict(fifty, five)

    assert finding.severity == "critical"
    assert finding.claim_ids == (1, 2)
    assert "5 killed" in finding.detail and "مقتل 50" in finding.detail


def test_approximate_interval_is_widened_by_ten_percent_with_integer_bounds() -> None:
    assert Interval.of(QuantityFact("x", 110, 110, approximate=True)) == Interval(99, 121)
    assert Interval.of(QuantityFact("x", 100, None, approximate=True)).high == float("inf")


def test_interval_severity_follows_the_ratio_of_the_nearest_bounds() -> None:
    assert intervals_conflict(Interval(15, 15), Interval(16, float("inf"))) == "minor"
    assert intervals_conflict(Interval(0, 14), Interval(15, 15)) == "minor"
    assert intervals_conflict(Interval(100, 100), Interval(110, 110)) == "minor"
    assert intervals_conflict(Interval(100, 100), Interval(130, 130)) == "major"
    assert intervals_conflict(Interval(24, 99), Interval(200, 999)) == "critical"
    assert intervals_conflict(Interval(15, 15), Interval(15, float("inf"))) is None


# Dates, places, denials


def test_same_statement_dated_12_and_13_november_is_a_minor_date_conflict() -> None:
    enab = make_claim(
        1,
        text="التحالف: 22 عملية ضد داعش",
        stated_at=date(2025, 11, 12),
        event_start=date(2025, 11, 10),
        event_end=date(2025, 11, 12),
    )
    syria_tv = make_claim(
        2,
        text="Coalition: 22 operations against ISIS",
        stated_at=date(2025, 11, 13),
        event_start=date(2025, 11, 10),
        event_end=date(2025, 11, 12),
    )

    [finding] = date_conflict(enab, syria_tv)

    assert finding.kind == "date_conflict"
    assert finding.severity == "minor"
    assert "2025-11-12" in finding.detail and "2025-11-13" in finding.detail


def test_disjoint_event_windows_are_a_major_date_conflict() -> None:
    first = make_claim(1, event_start=date(2025, 11, 24), event_end=date(2025, 11, 27))
    second = make_claim(2, claimant_id=SDF, event_start=date(2025, 11, 2))

    assert [f.severity for f in date_conflict(first, second)] == ["major"]


def test_same_dates_from_different_claimants_are_no_date_conflict() -> None:
    first = make_claim(1, stated_at=date(2025, 11, 12))
    second = make_claim(2, claimant_id=SDF, stated_at=date(2025, 11, 13))

    assert date_conflict(first, second) == []


def test_homs_and_a_quarter_of_homs_are_no_place_conflict() -> None:
    homs = make_claim(1, place_ids=frozenset({HOMS}))
    tatan = make_claim(2, place_ids=frozenset({TATAN}))

    assert place_conflict(homs, tatan, ancestors_of=ANCESTORS_OF) == []
    assert place_conflict(tatan, homs, ancestors_of=ANCESTORS_OF) == []


def test_homs_and_deir_ez_zor_are_a_place_conflict() -> None:
    homs = make_claim(1, place_ids=frozenset({HOMS}))
    deir = make_claim(2, place_ids=frozenset({DEIR}))

    [finding] = place_conflict(deir, homs, ancestors_of=ANCESTORS_OF)

    assert finding.kind == "place_conflict"
    assert finding.claim_ids == (1, 2)


def test_a_denial_by_another_actor_is_flagged() -> None:
    claim = make_claim(
        1,
        claimant_id=SYRIAN_MOI,
        claimant_name="Syrian Ministry of Interior",
        text="القبض على خلية لداعش في ريف دمشق",
    )
    denied = make_claim(
        2,
        claimant_id=SDF,
        claimant_name="SDF",
        stance="denies",
        text="نفت قسد أي علاقة لها بالخلية",
    )

    [finding] = denial(claim, denied)

    assert finding.kind == "denial"
    assert finding.claim_ids == (1, 2)
    assert "SDF denies" in finding.detail


def test_a_claimant_contradicting_itself_is_not_a_denial() -> None:
    claim = make_claim(1)
    retraction = make_claim(2, stance="denies")

    assert denial(claim, retraction) == []


# Single-claim rules


def test_four_outlets_relaying_one_wire_story_have_a_single_root() -> None:
    wire = 500
    outlets = (ENAB_BALADI, THE_NATIONAL, SYRIA_TV, ASHARQ)
    claim = make_claim(
        1,
        appearances=tuple(
            AppearanceFact(
                source_id=600 + number,
                via_id=wire,
                source_publisher_id=outlet,
                via_publisher_id=REUTERS,
                source_url=f"https://outlet{number}.example/story",
                verb="نقلاً عن رويترز",
            )
            for number, outlet in enumerate(outlets)
        ),
    )

    [finding] = single_root(claim, parent_of=PARENT_OF)

    assert finding.kind == "single_root"
    assert len(finding.source_urls) == 4


def test_two_independent_outlets_are_not_a_single_root() -> None:
    claim = make_claim(
        1,
        appearances=(
            AppearanceFact(source_id=1, source_publisher_id=REUTERS),
            AppearanceFact(source_id=2, source_publisher_id=ENAB_BALADI),
        ),
    )

    assert single_root(claim, parent_of=PARENT_OF) == []


def test_an_isis_claim_carried_only_via_al_naba_is_partisan_only() -> None:
    claim = make_claim(
        1,
        claimant_id=ISIS,
        claimant_name="ISIS",
        claimant_side_id=ISIS,
        text="تبنى تنظيم الدولة الهجوم على حاجز في البادية",
        appearances=(
            AppearanceFact(source_id=1, source_publisher_id=AL_NABA),
            AppearanceFact(source_id=2, via_id=1, source_publisher_id=SYRIA_TV),
        ),
    )

    [finding] = partisan_only(claim, parent_of=PARENT_OF)

    assert finding.kind == "partisan_only"
    assert "ISIS" in finding.detail


def test_an_outlets_own_report_resting_on_its_own_article_is_not_partisan() -> None:
    claim = make_claim(
        1,
        claimant_id=SYRIA_TV,
        claimant_side_id=None,
        appearances=(AppearanceFact(source_id=2, source_publisher_id=SYRIA_TV),),
    )

    assert partisan_only(claim, parent_of=PARENT_OF) == []


def test_an_isis_claim_also_reported_independently_is_not_partisan_only() -> None:
    claim = make_claim(
        1,
        claimant_id=ISIS,
        claimant_side_id=ISIS,
        appearances=(
            AppearanceFact(source_id=1, source_publisher_id=AMAQ),
            AppearanceFact(source_id=2, source_publisher_id=REUTERS),
        ),
    )

    assert partisan_only(claim, parent_of=PARENT_OF) == []


def test_a_claim_resting_only_on_anonymous_sources_is_unsourced() -> None:
    claim = make_claim(
        1,
        text="قالت مصادر إن الطائرات استهدفت مستودعاً",
        appearances=(AppearanceFact(source_id=7, quote="مصادر", source_is_anonymous=True),),
    )

    [finding] = unsourced(claim)

    assert finding.kind == "unsourced"
    assert "anonymous" in finding.detail


def test_a_claim_without_any_appearance_is_unsourced() -> None:
    assert [f.kind for f in unsourced(make_claim(1, appearances=()))] == ["unsourced"]


def test_a_named_source_beside_an_anonymous_one_is_not_unsourced() -> None:
    claim = make_claim(
        1,
        appearances=(
            AppearanceFact(source_id=7, source_is_anonymous=True),
            AppearanceFact(source_id=8, source_publisher_id=REUTERS),
        ),
    )

    assert unsourced(claim) == []


PRIMARY_TEXT = "وأكّد المتحدث أنّ القوات الأمنية ضبطت أكثر من ١٣٠ قذيفة هاون في ريف دمشق."


def relay(quote: str) -> ClaimFacts:
    return make_claim(
        1,
        appearances=(
            AppearanceFact(
                source_id=2, via_id=1, quote=quote, source_url="https://outlet.example/a"
            ),
        ),
    )


def test_a_quote_missing_from_the_held_primary_text_is_flagged() -> None:
    claim = relay("ضبطت 200 صاروخ غراد")

    [finding] = quote_not_in_source(claim, source_texts={1: PRIMARY_TEXT})

    assert finding.kind == "quote_not_in_source"
    assert finding.source_urls == ("https://outlet.example/a",)


def test_a_quote_differing_only_by_hamza_diacritics_and_digits_is_not_flagged() -> None:
    claim = relay("ان القوات الامنية ضبطت اكثر من 130 قذيفه هاون")

    assert quote_not_in_source(claim, source_texts={1: PRIMARY_TEXT}) == []


def test_a_quote_is_not_judged_when_the_primary_text_is_not_held() -> None:
    assert quote_not_in_source(relay("ضبطت 200 صاروخ غراد"), source_texts={}) == []


def test_an_unverified_claim_past_48_hours_is_stale() -> None:
    claim = make_claim(1, created_at=NOW - timedelta(hours=49))

    [finding] = unverified_stale(claim, now=NOW, sla_hours=48)

    assert finding.kind == "unverified_stale"


def test_a_fresh_or_confirmed_claim_is_not_stale() -> None:
    fresh = make_claim(1, created_at=NOW - timedelta(hours=47))
    confirmed = make_claim(2, created_at=NOW - timedelta(hours=72), verdict="confirmed")

    assert unverified_stale(fresh, now=NOW, sla_hours=48) == []
    assert unverified_stale(confirmed, now=NOW, sla_hours=48) == []


# Fingerprints and the batch runner


def test_fingerprint_ignores_evidence_values_but_evidence_hash_does_not() -> None:
    first = Finding("quantity_conflict", "minor", (2, 1), (), "a", evidence=(1,), key="item=x")
    second = dataclasses.replace(first, claim_ids=(1, 2), evidence=(2,), detail="b")

    assert first.fingerprint == second.fingerprint
    assert first.evidence_hash != second.evidence_hash
    assert first.fingerprint != dataclasses.replace(first, key="item=y").fingerprint


def batch() -> list[ClaimFacts]:
    return [
        make_claim(
            1,
            created_at=NOW - timedelta(hours=60),
            quantities=(sites(16, None, "أكثر من", "أكثر من 15 موقعاً"),),
            place_ids=frozenset({HOMS}),
        ),
        make_claim(
            2,
            quantities=(sites(15, 15, "", "15 sites"),),
            place_ids=frozenset({DEIR}),
        ),
        make_claim(3, claimant_id=SDF, claimant_name="SDF", stance="denies"),
        make_claim(4, event_id=200, quantities=(sites(100, 100, "", "100 sites"),)),
    ]


def kwargs() -> dict[str, Any]:
    return {
        "parent_of": PARENT_OF,
        "ancestors_of": ANCESTORS_OF,
        "source_texts": {},
        "now": NOW,
        "sla_hours": 48,
    }


def test_running_the_rules_twice_gives_identical_fingerprints_in_one_order() -> None:
    once = run_rules(batch(), **kwargs())
    twice = run_rules(list(reversed(batch())), **kwargs())

    assert [f.fingerprint for f in once] == [f.fingerprint for f in twice]
    assert [f.evidence_hash for f in once] == [f.evidence_hash for f in twice]
    assert {(f.kind, f.claim_ids) for f in once} == {
        ("unverified_stale", (1,)),
        ("quantity_conflict", (1, 2)),
        ("place_conflict", (1, 2)),
        ("denial", (1, 3)),
        ("denial", (2, 3)),
    }
    assert len({f.fingerprint for f in once}) == len(once)


def test_claims_in_different_events_are_never_compared() -> None:
    five = make_claim(1, event_id=100, quantities=(QuantityFact("killed", 5, 5),))
    fifty = make_claim(2, event_id=200, quantities=(QuantityFact("killed", 50, 50),))
    denied = make_claim(3, event_id=None, claimant_id=SDF, stance="denies")

    assert run_rules([five, fifty, denied], **kwargs()) == []
    assert date_conflict(five, fifty) == []
