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
