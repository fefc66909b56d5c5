"""The database itself refuses impossible rows: constraints, append-only reviews, history."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims.models import Claim, Flag, Review
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    FlagFactory,
    QuantityFactory,
    ReviewFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def refused_by_database(factory, **kwargs) -> bool:
    try:
        with transaction.atomic():
            factory(**kwargs)
    except IntegrityError:
        return True
    return False


def test_a_quantity_whose_low_is_above_its_high_is_refused_by_the_database():
    assert refused_by_database(QuantityFactory, low=130, high=15)


def test_an_open_ended_quantity_is_accepted():
    quantity = QuantityFactory(low=131, high=None)
    assert str(quantity) == "weapons storage sites: [131, …]"


def test_an_appearance_cannot_cite_its_own_source():
    source = SourceFactory()
    assert refused_by_database(AppearanceFactory, source=source, via=source)


def test_a_claim_appears_once_per_source():
    appearance = AppearanceFactory()
    assert refused_by_database(AppearanceFactory, claim=appearance.claim, source=appearance.source)


def test_an_event_window_that_ends_before_it_starts_is_refused():
    import datetime as dt

    assert refused_by_database(
        ClaimFactory, event_start=dt.date(2025, 11, 27), event_end=dt.date(2025, 11, 24)
    )


def test_two_sources_cannot_share_a_canonical_url_but_many_may_have_none():
    SourceFactory(canonical_url="https://example.org/a")
    assert refused_by_database(SourceFactory, canonical_url="https://example.org/a")
    SourceFactory(canonical_url="")
    SourceFactory(canonical_url="")


def test_a_flag_fingerprint_is_unique():
    FlagFactory(fingerprint="a" * 64)
    assert refused_by_database(FlagFactory, fingerprint="a" * 64)


def test_a_flag_cannot_be_dismissed_without_a_reason():
    assert refused_by_database(FlagFactory, state=Flag.State.DISMISSED, dismissed_reason="")


def test_a_review_needs_a_rationale():
    assert refused_by_database(ReviewFactory, rationale="")


def test_a_review_cannot_be_rewritten_once_recorded():
    review = ReviewFactory()
    review.verdict = Claim.Verdict.FALSE
    with pytest.raises(ValidationError, match="append-only"):
        review.save()
    assert Review.objects.get(pk=review.pk).verdict == Claim.Verdict.LIKELY_TRUE


def test_a_review_can_still_be_published():
    from django.utils import timezone

    review = ReviewFactory()
    review.published, review.published_at, review.published_by = True, timezone.now(), UserFactory()
    review.save()
    assert Review.objects.get(pk=review.pk).published


def test_reviews_can_be_neither_deleted_nor_bulk_updated():
    review = ReviewFactory()
    with pytest.raises(ValidationError):
        review.delete()
    with pytest.raises(ValidationError):
        Review.objects.filter(pk=review.pk).update(verdict=Claim.Verdict.FALSE)


def test_claim_history_records_who_changed_what_and_why():
    editor = UserFactory()
    claim = ClaimFactory()
    claim.text_en = "CENTCOM: more than 15 sites destroyed"
    claim._change_reason = "Sharper translation"
    claim._history_user = editor
    claim.save()
    latest = claim.history.first()
    assert latest.history_change_reason == "Sharper translation"
    assert latest.history_user == editor
    assert latest.prev_record.text_en != latest.text_en


def test_claim_search_text_folds_arabic_variants():
    claim = ClaimFactory(text="أعلنت الإدارة الأمريكيّة")
    assert "اعلنت الاداره الامريكيه" in claim.search_text
