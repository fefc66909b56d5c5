"""Claims from whole texts: continuations of an unnamed source keep it and its relays."""

from __future__ import annotations

import datetime as dt

from claims.extraction.attribution import ActorIndex, ActorName
from claims.extraction.pipeline import propose_claims
from claims.extraction.places import PlaceIndex

ACTORS = ActorIndex([ActorName(1, "Associated Press", ("AP", "The Associated Press"))])


def test_they_added_after_anonymous_residents_is_the_same_anonymous_source_and_relay() -> None:
    text = (
        "Two residents of Manbij told The Associated Press that clashes erupted on Wednesday. "
        "They added that at least seven civilians were wounded."
    )
    first, second = propose_claims(
        text, language="en", published=dt.date(2026, 1, 8), actors=ACTORS, places=PlaceIndex([])
    )
    assert first.anonymous and second.anonymous
    assert first.via_actor_ids == second.via_actor_ids == (1,)
    assert [(q.item, q.low, q.high) for q in second.quantities] == [("wounded", 7, None)]


def test_a_wire_dateline_is_neither_claimant_relay_nor_place() -> None:
    from claims.extraction.places import PlaceName

    actors = ActorIndex([ActorName(1, "Reuters", ("Reuters",)), ActorName(2, "SOHR", ("SOHR",))])
    places = PlaceIndex([PlaceName(1, ("Damascus", "دمشق")), PlaceName(2, ("Manbij", "منبج"))])
    text = "DAMASCUS (Reuters) - Clashes near Manbij killed 37 people, SOHR said."
    (claim,) = propose_claims(
        text, language="en", published=dt.date(2026, 2, 7), actors=actors, places=places
    )
    assert claim.claimant_actor_id == 2 and claim.via_names == ()
    assert claim.place_ids == (2,)
    arabic = "دمشق – عنب بلدي\nقال المرصد في منبج إن 5 قتلوا."
    (claim,) = propose_claims(
        arabic, language="ar", published=dt.date(2026, 2, 7), actors=actors, places=places
    )
    assert claim.place_ids == (2,)


def test_the_monitor_said_in_a_following_sentence_is_the_monitor_named_before() -> None:
    actors = ActorIndex([ActorName(1, "Syrian Observatory for Human Rights", ("SOHR",))])
    text = (
        "The Syrian Observatory for Human Rights said on Friday that at least 17 fighters were "
        "killed near Palmyra. The monitor said that dozens were wounded."
    )
    first, second = propose_claims(
        text, language="en", published=dt.date(2025, 12, 13), actors=actors, places=PlaceIndex([])
    )
    assert first.claimant_actor_id == second.claimant_actor_id == 1
    assert not second.anonymous


def test_a_monitor_inside_an_apposition_is_not_the_speaker() -> None:
    actors = ActorIndex([ActorName(1, "Syrian Observatory for Human Rights", ("SOHR",))])
    text = (
        "SOHR said 9 were killed. Yasser Barakat, a researcher with the monitor, said 40 "
        "fighters had been captured."
    )
    _, second = propose_claims(
        text, language="en", published=dt.date(2025, 12, 13), actors=actors, places=PlaceIndex([])
    )
    assert second.claimant_name == "Yasser Barakat"


def test_a_statement_date_in_a_parenthesis_after_a_verb_subject_speaker_is_stated_at() -> None:
    actors = ActorIndex([ActorName(1, "Syrian Ministry of Interior", ("وزارة الداخلية السورية",))])
    text = (
        "أعلنت وزارة الداخلية السورية، في بيان نشرته على قناتها في تلغرام يوم السبت ١٤ حزيران، "
        "القبض على خلية من ثمانية أشخاص."
    )
    (claim,) = propose_claims(
        text, language="ar", published=dt.date(2025, 6, 16), actors=actors, places=PlaceIndex([])
    )
    assert claim.stated_at == dt.date(2025, 6, 14)
    assert (claim.event_start, claim.event_end) == (None, None)
