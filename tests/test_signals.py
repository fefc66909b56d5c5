"""The outbox signals: saving what a check depends on asks for a check, and deleting a claim with
its appearances and quantities leaves no check of it behind (its outbox row would point at a
claim that no longer exists, and PostgreSQL would refuse the commit)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.db import connection, transaction
from django.urls import reverse

from claims.models import Appearance, Claim, PendingCheck, Quantity
from tests.factories import AppearanceFactory, ClaimFactory, QuantityFactory

pytestmark = pytest.mark.django_db


def a_seed_claim_with_appearances_and_quantities() -> Claim:
    claim = (
        Claim.objects.filter(appearances__isnull=False, quantities__isnull=False, reviews=None)
        .distinct()
        .order_by("pk")
        .first()
    )
    assert claim is not None
    assert claim.appearances.exists() and claim.quantities.exists()
    return claim


def deferred_constraints_hold() -> None:
    """What COMMIT would check: PostgreSQL defers foreign keys to the end of the transaction,
    and the test's transaction is rolled back instead, so ask for the check now."""
    connection.check_constraints()


def test_deleting_a_claim_with_appearances_and_quantities_through_the_orm_commits(
    seeded: Any,
) -> None:
    claim = a_seed_claim_with_appearances_and_quantities()
    claim_id = claim.pk

    with transaction.atomic():
        claim.delete()
        deferred_constraints_hold()

    assert not Claim.objects.filter(pk=claim_id).exists()
    assert not PendingCheck.objects.filter(claim_id=claim_id).exists()
    assert not Appearance.objects.filter(claim_id=claim_id).exists()
    assert not Quantity.objects.filter(claim_id=claim_id).exists()


def claim_with_parts() -> Claim:
    claim = cast(Claim, ClaimFactory())
    AppearanceFactory(claim=claim)
    AppearanceFactory(claim=claim)
    QuantityFactory(claim=claim)
    return claim


def test_deleting_claims_in_bulk_through_the_orm_commits() -> None:
    doomed = [claim_with_parts().pk for _ in range(3)]

    with transaction.atomic():
        Claim.objects.filter(pk__in=doomed).delete()
        deferred_constraints_hold()

    assert not PendingCheck.objects.filter(claim_id__in=doomed).exists()


def test_deleting_an_appearance_alone_still_asks_for_a_check_of_its_claim() -> None:
    claim = claim_with_parts()
    PendingCheck.objects.filter(claim=claim).delete()

    claim.appearances.order_by("pk").first().delete()  # type: ignore[union-attr]
    claim.quantities.order_by("pk").first().delete()  # type: ignore[union-attr]

    assert PendingCheck.objects.filter(claim=claim).exists()
    deferred_constraints_hold()


def test_deleting_a_claim_with_appearances_and_quantities_in_the_admin_commits(
    seeded: Any, admin_client: Any
) -> None:
    claim = a_seed_claim_with_appearances_and_quantities()
    url = reverse("admin:claims_claim_delete", args=[claim.pk])

    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not PendingCheck.objects.filter(claim_id=claim.pk).exists()
    deferred_constraints_hold()
