"""Write actions: optimistic concurrency on claims, and the demo accounts per role."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from claims import services
from claims.models import Claim
from tests.factories import ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_edit_based_on_the_current_version_is_saved_with_its_reason_and_bumps_the_version():
    claim, editor = ClaimFactory(), UserFactory()
    updated = services.update_claim(
        claim_id=claim.pk,
        expected_version=1,
        changes={"text_en": "More than 15 sites"},
        by=editor,
        reason="Closer to the Arabic",
    )
    assert updated.version == 2
    record = updated.history.first()
    assert (record.history_change_reason, record.history_user) == ("Closer to the Arabic", editor)


def test_a_stale_edit_is_refused_and_overwrites_nothing():
    claim = ClaimFactory(text_en="first")
    services.update_claim(
        claim_id=claim.pk, expected_version=1, changes={"text_en": "second"}, by=None, reason="a"
    )
    with pytest.raises(services.StaleVersion) as stale:
        services.update_claim(
            claim_id=claim.pk, expected_version=1, changes={"text_en": "third"}, by=None, reason="b"
        )
    assert stale.value.claim.text_en == "second"
    assert Claim.objects.get(pk=claim.pk).text_en == "second"


def test_an_edit_without_a_reason_is_refused():
    claim = ClaimFactory()
    with pytest.raises(ValueError, match="reason"):
        services.update_claim(
            claim_id=claim.pk, expected_version=1, changes={"text_en": "x"}, by=None, reason=" "
        )
    assert Claim.objects.get(pk=claim.pk).version == 1


def test_workflow_fields_cannot_be_changed_through_a_plain_edit():
    claim = ClaimFactory()
    with pytest.raises(ValueError, match="verdict"):
        services.update_claim(
            claim_id=claim.pk, expected_version=1, changes={"verdict": "false"}, by=None, reason="x"
        )


@pytest.mark.django_db(transaction=True)
def test_of_two_editors_racing_on_one_claim_exactly_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    claim = ClaimFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(text: str) -> None:
        barrier.wait()
        try:
            services.update_claim(
                claim_id=claim.pk,
                expected_version=1,
                changes={"text_en": text},
                by=None,
                reason=text,
            )
            outcomes.append("saved")
        except services.StaleVersion:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(t,)) for t in ("editor A", "editor B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "stale"]
    assert Claim.objects.get(pk=claim.pk).version == 2


def test_demo_users_are_created_once_per_role_and_left_alone_afterwards():
    created = services.ensure_roles_and_demo_users()
    assert created == ["demo-viewer", "demo-editor", "demo-reviewer", "demo-admin"]
    assert services.ensure_roles_and_demo_users() == []
