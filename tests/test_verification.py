"""The verification engine on the database: what the seed case is flagged for, idempotent
re-scans, dismissals that stick, flags that resolve, clustering into editors' events, priorities,
the stale check and the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from claims import verification
from claims.models import Actor, Appearance, Claim, Flag, PendingCheck, Place, Quantity, Source
from tests.support import forget_broker_connections, free_port

pytestmark = pytest.mark.django_db

# Every flag the seed case should carry, written down: claims of a party to the conflict that
# only its own channels carry. Nothing else (the Enab Baladi and Lister claims rest on outlets
# that are not parties; no two seed claims of one event disagree).
EXPECTED_SEED_FLAGS = {
    ("partisan_only", slug)
    for slug in [
        "al-mustafa-coalition-agreement-political-no-military-clauses",
        "al-mustafa-syria-signed-political-cooperation-declaration",
        "al-naba-spy-killed-two-pkk-wounded-two-vehicles",
        "centcom-5-isis-killed-19-captured-oct-nov-2025",
        "centcom-advised-22-operations-october-2025",
        "centcom-cjtf-oir-established-2014-supports-partners",
        "centcom-joint-operation-destroys-isis-weapons-sites",
        "centcom-operation-destroyed-130-mortars-rockets",
        "centcom-operation-found-and-destroyed-drugs",
        "cjtf-oir-helped-locate-sites-rif-dimashq",
        "cooper-operation-preserves-gains-against-isis",
        "isis-al-mazraa-village-killing",
        "isis-albukamal-victim-was-ex-sdf-spare-parts-informant",
        "isis-assassinated-alleged-spy-albukamal",
        "isis-attacked-sdf-oil-tanker-dhiban-2025-11-22",
        "isis-attacked-sdf-vehicle-al-jazra-road-2025-11-24",
        "isis-claims-two-assassinations-homs-hama-2025-11-28",
        "isis-tatan-quarter-attack-one-killed-one-wounded",
        "isis-three-operations-wilayat-al-khayr",
        "moi-announced-al-dumayr-operation-without-coalition",
    ]
}
ISIS_HOMS = "isis-claims-two-assassinations-homs-hama-2025-11-28"
CENTCOM_SITES = "centcom-joint-operation-destroys-isis-weapons-sites"


def open_flags() -> set[tuple[str, str]]:
    return {
        (flag.kind, claim.slug)
        for flag in Flag.objects.filter(state=Flag.State.OPEN).prefetch_related("claims")
        for claim in flag.claims.all()
    }


def flag_of(kind: str, slug: str) -> Flag:
    return Flag.objects.get(kind=kind, claims__slug=slug)


def test_the_seed_scan_flags_the_partisan_claims_and_nothing_else(seeded):
    verification.scan_all()
    assert open_flags() == EXPECTED_SEED_FLAGS


def test_a_second_scan_changes_nothing(seeded):
    verification.scan_all()
    history = Flag.history.count()
    report = verification.scan_all()
    assert report.flags.as_dict() | {"unchanged": 0} == {
        "created": 0,
        "updated": 0,
        "reopened": 0,
        "resolved": 0,
        "unchanged": 0,
        "kept_dismissed": 0,
    }
    assert report.flags.unchanged == len(EXPECTED_SEED_FLAGS)
    assert Flag.history.count() == history


def test_scan_json_prints_each_flag_with_claims_sources_and_detail(seeded, capsys):
    import json

    call_command("scan", "--json")
    flags = json.loads(capsys.readouterr().out)["flags"]
    isis = next(f for f in flags if any("حمص" in c["text"] for c in f["claims"]))
    assert isis["kind"] == "partisan_only" and isis["state"] == "open"
    assert set(isis) == {"id", "kind", "severity", "state", "claims", "sources", "detail"}
    assert isis["claims"][0]["claimant"] == "Islamic State (ISIS)"
    assert len(isis["sources"]) == 2


def test_a_dismissed_flag_stays_dismissed_until_its_evidence_changes(seeded):
    verification.scan_all()
    flag = flag_of("partisan_only", ISIS_HOMS)
    flag.state, flag.dismissed_reason = Flag.State.DISMISSED, "ISIS claims are logged as claims"
    flag.save()
    verification.scan_all()
    flag.refresh_from_db()
    assert flag.state == Flag.State.DISMISSED

    # A second ISIS channel now carries it: still partisan, but on new evidence.
    claim = Claim.objects.get(slug=ISIS_HOMS)
    amaq = Source.objects.create(slug="amaq-post", publisher=Actor.objects.get(slug="amaq"))
    Appearance.objects.create(claim=claim, source=amaq)
    verification.check_claim(claim.pk)
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN
    assert flag.history.first().history_change_reason.startswith("Reopened: the evidence changed")


def test_an_independent_source_resolves_the_partisan_flag_with_history(seeded):
    verification.scan_all()
    claim = Claim.objects.get(slug=ISIS_HOMS)
    reuters = Actor.objects.get(slug="reuters")  # from the actor directory
    story = Source.objects.create(slug="reuters-homs", publisher=reuters)
    Appearance.objects.create(claim=claim, source=story)
    verification.check_claim(claim.pk)
    flag = flag_of("partisan_only", ISIS_HOMS)
    assert flag.state == Flag.State.RESOLVED
    assert flag.resolved_at is not None
    assert flag.history.first().history_change_reason == "Resolved: the condition no longer holds"


def test_an_english_report_of_fifteen_sites_joins_the_editors_event_and_is_a_minor_conflict(
    seeded,
):
    verification.scan_all()
    centcom_claim = Claim.objects.get(slug=CENTCOM_SITES)
    national = Actor.objects.get(slug="the-national")  # from the actor directory
    claim = Claim.objects.create(
        slug="the-national-15-sites",
        claimant=Actor.objects.get(slug="centcom"),
        language="en",
        text="CENTCOM said the joint operation destroyed 15 ISIS weapons storage sites",
        text_en="CENTCOM said the joint operation destroyed 15 ISIS weapons storage sites",
        event_start=dt.date(2025, 11, 24),
        event_end=dt.date(2025, 11, 27),
    )
    claim.places.add(Place.objects.get(ref="geonames:170652"))
    Quantity.objects.create(
        claim=claim, item="weapons storage sites", low=15, high=15, text="15 sites"
    )
    Appearance.objects.create(
        claim=claim, source=Source.objects.create(slug="national-story", publisher=national)
    )
    verification.check_claim(claim.pk)
    claim.refresh_from_db()
    assert claim.event_id == centcom_claim.event_id
    conflict = Flag.objects.get(kind="quantity_conflict", claims=claim)
    assert conflict.severity == Flag.Severity.MINOR
    assert set(conflict.claims.values_list("slug", flat=True)) == {CENTCOM_SITES, claim.slug}
    assert conflict.detail.endswith("differ only by 'أكثر من'")
    assert "15 sites" in conflict.detail and "أكثر من 15 موقعًا" in conflict.detail


def test_priorities_are_stored_with_their_reasons_and_put_partisan_claims_first(seeded):
    verification.scan_all()
    isis = Claim.objects.get(slug=ISIS_HOMS)
    lister = Claim.objects.get(slug="lister-over-4000-iranian-weapons-seized")
    assert isis.priority > lister.priority
    assert any("open flags (1 major)" in reason for reason in isis.priority_reasons)
    assert any("party to the conflict" in reason for reason in isis.priority_reasons)


def test_an_unverified_claim_past_the_sla_is_flagged_stale_until_it_gets_a_verdict(
    seeded, settings
):
    settings.TRACKER_UNVERIFIED_SLA_HOURS = 48
    claim = Claim.objects.get(slug=ISIS_HOMS)
    Claim.objects.filter(pk=claim.pk).update(created_at=timezone.now() - dt.timedelta(hours=49))
    report = verification.check_stale()
    assert report.created == 1
    assert flag_of("unverified_stale", ISIS_HOMS).state == Flag.State.OPEN
    Claim.objects.filter(pk=claim.pk).update(verdict=Claim.Verdict.CONTESTED)
    assert verification.check_stale().resolved == 1
    assert flag_of("unverified_stale", ISIS_HOMS).state == Flag.State.RESOLVED


def test_saving_a_claim_writes_the_outbox_and_its_check_empties_it(seeded):
    claim = Claim.objects.get(slug=ISIS_HOMS)
    claim.text_en = "ISIS claimed two assassinations"
    claim.save()
    assert PendingCheck.objects.filter(claim=claim).exists()
    verification.check_claim(claim.pk)
    assert not PendingCheck.objects.filter(claim=claim).exists()


def test_a_check_requested_during_another_check_is_kept_for_the_next_one(seeded):
    claim = Claim.objects.get(slug=ISIS_HOMS)
    earlier = timezone.now()
    PendingCheck.objects.update_or_create(
        claim=claim, defaults={"requested_at": earlier + dt.timedelta(seconds=5)}
    )
    verification.check_claim(claim.pk, now=earlier)
    assert PendingCheck.objects.filter(claim=claim).exists()


def test_the_outbox_sweep_keeps_the_work_while_the_broker_is_down(seeded, settings):
    from tracker.celery import app

    claim = Claim.objects.get(slug=ISIS_HOMS)
    old = timezone.now() - dt.timedelta(minutes=5)
    PendingCheck.objects.update_or_create(claim=claim, defaults={"requested_at": old})
    closed = f"redis://127.0.0.1:{free_port()}/0"
    previous = app.conf.broker_url
    app.conf.broker_url = closed
    forget_broker_connections()
    try:
        assert verification.sweep_outbox() == 0
    finally:
        app.conf.broker_url = previous
        forget_broker_connections()
    pending = PendingCheck.objects.get(claim=claim)
    assert pending.enqueued_at is None and pending.attempts == 1


def test_checking_a_deleted_claim_is_a_quiet_no_op(db):
    assert verification.check_claim(987654) is None


@pytest.mark.django_db(transaction=True)
def test_a_full_load_on_two_connections_reads_the_same_facts_as_a_load_by_id(seeded):
    # load_batch(None) reads quantities, places and appearances on a second connection while it
    # reads the claims (only outside a transaction: hence a transactional test).
    everything = verification.load_batch(None)
    by_id = verification.load_batch(list(Claim.objects.values_list("id", flat=True)))

    assert everything.facts == by_id.facts
    assert everything.rows == by_id.rows
    assert everything.source_texts == by_id.source_texts
    assert any(f.appearances for f in everything.facts.values())
