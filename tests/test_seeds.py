"""The seed case as data: it loads whole, loads twice without change, refuses bad data whole,
and its chains say what the desk knows about them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims import services
from claims.extraction.arabic import normalise
from claims.models import Actor, Appearance, Claim, Place, Quantity, Source
from claims.selectors import chain_for_claim

pytestmark = pytest.mark.django_db

ISIS_HOMS = "isis-claims-two-assassinations-homs-hama-2025-11-28"
OCTOBER_OPERATIONS = "centcom-advised-22-operations-october-2025"
COUNTED = (Actor, Source, Claim, Appearance, Quantity, Place)


def counts() -> dict[str, int]:
    history = {
        "claim history": Claim.history.count(),
        "appearance history": Appearance.history.count(),
    }
    return {m.__name__: m.objects.count() for m in COUNTED} | history


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of seeds/ to break on purpose."""
    target = tmp_path / "seeds"
    shutil.copytree(services.SEEDS_DIR, target)
    return target


def edit_case(seed_dir: Path, edit) -> Path:
    path = seed_dir / "seed_case.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_loading_the_seeds_twice_leaves_every_count_unchanged(seeded):
    before = counts()
    call_command("load_seeds")
    assert counts() == before
    assert before["Claim"] >= 15


def test_the_second_load_reports_that_nothing_changed(seeded):
    assert seeded.changed_anything
    assert services.load_seed_case().summary() == "nothing changed"


def test_every_seed_claim_has_claimant_arabic_quote_translation_stance_and_chain(seeded):
    article = (services.SEEDS_DIR / "article_ar.txt").read_text(encoding="utf-8")
    claims = Claim.objects.prefetch_related("appearances__source")
    assert claims.count() >= 15
    for claim in claims:
        assert claim.claimant_id and claim.text and claim.text_en, claim.slug
        assert claim.stance in Claim.Stance.values
        assert claim.appearances.exists(), f"{claim.slug} has no appearance"
        for appearance in claim.appearances.all():
            if appearance.source.text:
                assert appearance.quote in article, f"{claim.slug}: quote not in the article"


def test_the_centcom_operation_counts_more_than_130_mortars_and_rockets_in_rif_dimashq(seeded):
    claim = Claim.objects.get(slug="centcom-operation-destroyed-130-mortars-rockets")
    mortars = claim.quantities.get(item="mortars and rockets")
    assert (mortars.low, mortars.high) == (131, None)
    assert (
        "ريف دمشق" in {p.name_ar for p in claim.places.all()}
        or claim.event.places.filter(name_ar="ريف دمشق").exists()
    )


def test_the_isis_homs_claims_only_root_is_published_by_an_actor_under_isis(seeded):
    chain = chain_for_claim(Claim.objects.get(slug=ISIS_HOMS).pk)
    assert len(chain.report.roots) == 1
    (root,) = chain.report.roots
    publisher = Source.objects.get(pk=root).publisher
    assert publisher.parent.slug == "isis"
    assert chain.roots_all_under_claimant


def test_the_october_operations_claim_has_one_independent_root_centcom(seeded):
    chain = chain_for_claim(Claim.objects.get(slug=OCTOBER_OPERATIONS).pk)
    assert chain.report.independent_root_count == 1
    assert chain.root_publishers() == ["US Central Command"]


def test_the_gazetteer_has_syria_governorates_districts_and_the_seed_places(seeded):
    syria = Place.objects.get(ref="geonames:163843")
    assert syria.children.filter(kind="governorate").count() == 14
    assert Place.objects.filter(kind="district").count() >= 60
    for arabic, parent_ar in [
        ("ريف دمشق", "سوريا"),
        ("دير الزور", "سوريا"),
        ("الضمير", "ريف دمشق"),
        ("ذيبان", "دير الزور"),
        ("حمص", "حمص"),
        ("طريق حقل الجزرة", "دير الزور"),
    ]:
        place = Place.objects.filter(search_text__contains=normalise(arabic)).select_related(
            "parent"
        )
        assert any(p.parent and p.parent.name_ar == parent_ar for p in place), arabic


def test_the_place_path_lets_one_prefix_query_find_everything_under_a_governorate(seeded):
    rif_dimashq = Place.objects.get(ref="geonames:170652")
    under = Place.objects.filter(path__startswith=rif_dimashq.path)
    assert under.filter(ref="geonames:170589").exists()  # al-Dumayr
    assert not under.filter(ref="geonames:169577").exists()  # Homs


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["claims"][0]["appearances"][0].update(via="no-such-source"),
            "via 'no-such-source' is not a source",
        ),
        (
            lambda d: d["claims"][1]["quantities"].append(
                {"item": "killed", "low": 9, "high": 5, "text": "x"}
            ),
            "low 9 is greater than high 5",
        ),
        (
            lambda d: d["claims"][2]["places"].append("geonames:1"),
            "place 'geonames:1' is not in the gazetteer",
        ),
    ],
    ids=["unknown-via", "low-above-high", "unknown-place"],
)
def test_bad_seed_data_stops_the_load_with_one_message_naming_the_record_and_loads_nothing(
    seed_copy, edit, message
):
    before = counts()
    path = edit_case(seed_copy, edit)
    with pytest.raises(CommandError) as refused:
        call_command("load_seeds", file=path, places=seed_copy / "places_supplement.json")
    assert message in str(refused.value)
    assert "claim '" in str(refused.value)
    assert counts() == before
    assert Claim.objects.count() == 0


def test_a_failure_late_in_the_load_rolls_back_what_was_written_before_it(seeded, seed_copy):
    before = counts()

    def duplicate_appearance_source(data):
        # Passes validation, then breaks a database constraint while claims are being written:
        # the new actor written earlier in the same load must disappear with it.
        data["actors"].append({"slug": "late-actor", "name": "Late", "kind": "media"})
        first = data["claims"][-1]["appearances"][0]
        data["claims"][-1]["appearances"].append({**first, "via": first["source"] + "-x"})
        data["sources"].append({"slug": first["source"] + "-x", "publisher": "late-actor"})
        data["claims"][-1]["quantities"].append({"item": "x", "low": 1, "high": 2, "text": ""})
        data["claims"][-1]["text"] = ""

    path = edit_case(seed_copy, duplicate_appearance_source)
    with pytest.raises(CommandError):
        call_command("load_seeds", file=path, places=seed_copy / "places_supplement.json")
    assert counts() == before
    assert not Actor.objects.filter(slug="late-actor").exists()


def test_a_missing_seed_file_is_one_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_seeds", file=tmp_path / "absent.json")


def test_the_actor_directory_loads_wires_monitors_and_ministries_under_their_parents(seeded):
    sana = Actor.objects.get(slug="sana")
    assert sana.parent is not None and sana.parent.slug == "syrian-ministry-of-information"
    assert sana.party_to_conflict
    assert Actor.objects.get(slug="hawar-news").parent.slug == "sdf"
    sohr = Actor.objects.get(name="Syrian Observatory for Human Rights")
    assert "المرصد السوري" in sohr.aliases and not sohr.party_to_conflict


def test_a_directory_actor_under_an_unknown_parent_is_refused_and_nothing_loads(seed_copy):
    before = counts()
    path = seed_copy / "actor_directory.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["actors"][0]["parent"] = "no-such-actor"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("load_seeds", actors=path, places=seed_copy / "places_supplement.json")
    assert "parent 'no-such-actor' is not an actor" in str(refused.value)
    assert counts() == before


def test_a_directory_slug_that_the_seed_case_also_uses_is_refused(seed_copy):
    path = seed_copy / "actor_directory.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["actors"].append({"slug": "centcom", "name": "Duplicate", "kind": "military"})
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="'centcom': slug used twice"):
        call_command("load_seeds", actors=path)
    assert Actor.objects.count() == 0
