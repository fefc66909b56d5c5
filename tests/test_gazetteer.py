"""The gazetteer built from the packages: what GeoNames gives is cleaned before it is matched
against text, and the supplement adds only what the packages lack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claims.gazetteer import GazetteerError, PlaceRecord, build_gazetteer

SUPPLEMENT = Path(__file__).resolve().parent.parent / "seeds" / "places_supplement.json"
AT_TALL, AL_HAWL, KAFR_LAHA = "geonames:172349", "geonames:173797", "geonames:168668"


def by_ref() -> dict[str, PlaceRecord]:
    return {r.ref: r for r in build_gazetteer(SUPPLEMENT)}


def test_a_word_that_begins_many_place_names_is_not_one_towns_alias():
    places = by_ref()
    every_alias = {a.lower() for r in places.values() for a in r.aliases}
    assert not every_alias & {"tal", "tall", "tell", "khan", "bab", "تل", "خان"}
    assert places[AT_TALL].name == "At Tall"


def test_names_carry_no_invisible_direction_marks():
    places = by_ref()
    assert places[KAFR_LAHA].name_ar == "الحولة"
    for record in places.values():
        for name in (record.name, record.name_ar, *record.aliases):
            assert "\u200e" not in name and "\u200f" not in name, record


def test_the_supplement_adds_the_spelling_outlets_use_for_al_hol():
    al_hawl = by_ref()[AL_HAWL]
    assert "الهول" in al_hawl.aliases and "al-Hol" in al_hawl.aliases
    assert al_hawl.name_ar == "الحول"  # the package's own name stays


def test_an_override_of_a_place_the_packages_do_not_have_is_refused(tmp_path):
    data = json.loads(SUPPLEMENT.read_text(encoding="utf-8"))
    data["places"].append({"ref": "geonames:1", "aliases": ["Nowhere"]})
    path = tmp_path / "places.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(GazetteerError, match="geonames:1: no such place"):
        build_gazetteer(path)
