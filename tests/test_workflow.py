"""The desk's workflow: verdicts are reviews, publishing takes a reviewer and four eyes, state
changes need a rationale, dismissals need a reason, and every refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from claims import workflow
from claims.models import Claim, Flag, Review
from tests.factories import ClaimFactory, FlagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim() -> Any:
    return ClaimFactory()


def test_an_editor_records_a_verdict_as_a_new_review_and_the_claim_awaits_publication(
    claim, role_users
):
    review = workflow.record_review(
        claim_id=claim.pk,
        verdict="likely_true",
        rationale="Matches the CENTCOM release and two local reports",
        evidence_links=["https://www.centcom.mil/release", " "],
        by=role_users["editor"],
    )
    claim.refresh_from_db()
    assert (claim.verdict, claim.state, claim.version) == ("likely_true", "reviewed", 2)
    assert review.evidence_links == ["https://www.centcom.mil/release"]
    assert claim.history.first().history_change_reason.startswith("Verdict likely_true")


def test_a_long_rationale_is_saved_and_kept_whole_in_the_claims_history(claim, role_users):
    # history_change_reason was varchar(100): a 79-character rationale failed the save (a 500).
    rationale = "تطابق بيان القيادة المركزية مع تقريرين محليين مستقلين. " * 12
    workflow.record_review(
        claim_id=claim.pk, verdict="contested", rationale=rationale, by=role_users["editor"]
    )
    reason = claim.history.first().history_change_reason
    assert reason == f"Verdict contested: {rationale.strip()}"
    assert len(reason) > 600


def test_a_verdict_without_a_rationale_is_refused_and_nothing_changes(claim, role_users):
    with pytest.raises(workflow.WorkflowError, match="rationale"):
        workflow.record_review(
            claim_id=claim.pk, verdict="false", rationale="  ", by=role_users["editor"]
        )
    assert not Review.objects.exists()
    assert Claim.objects.get(pk=claim.pk).verdict == "unverified"


def test_a_viewer_cannot_record_a_verdict(claim, role_users):
    with pytest.raises(workflow.WorkflowError, match="not allowed"):
        workflow.record_review(
            claim_id=claim.pk, verdict="false", rationale="x", by=role_users["viewer"]
        )


def test_a_reviewer_publishes_someone_elses_review(claim, role_users):
    review = workflow.record_review(
        claim_id=claim.pk, verdict="contested", rationale="SDF denies it", by=role_users["editor"]
    )
    workflow.publish_review(review_id=review.pk, by=role_users["reviewer"])
    claim.refresh_from_db()
    review.refresh_from_db()
    assert claim.state == "published" and review.published and review.published_by_id


def test_four_eyes_stops_a_reviewer_publishing_their_own_review(claim, role_users, settings):
    settings.TRACKER_FOUR_EYES = True
    reviewer = role_users["reviewer"]
    review = workflow.record_review(claim_id=claim.pk, verdict="false", rationale="x", by=reviewer)
    with pytest.raises(workflow.WorkflowError, match="Four eyes"):
        workflow.publish_review(review_id=review.pk, by=reviewer)
    assert not Review.objects.get(pk=review.pk).published
    settings.TRACKER_FOUR_EYES = False
    workflow.publish_review(review_id=review.pk, by=reviewer)


def test_an_editor_cannot_publish(claim, role_users):
    review = workflow.record_review(
        claim_id=claim.pk, verdict="false", rationale="x", by=role_users["reviewer"]
    )
    with pytest.raises(workflow.WorkflowError, match="not allowed"):
        workflow.publish_review(review_id=review.pk, by=role_users["editor"])


def test_an_older_review_cannot_be_published_over_a_newer_one(claim, role_users):
    old = workflow.record_review(
        claim_id=claim.pk, verdict="false", rationale="first look", by=role_users["editor"]
    )
    workflow.record_review(
        claim_id=claim.pk, verdict="likely_true", rationale="new evidence", by=role_users["editor"]
    )
    with pytest.raises(workflow.WorkflowError, match="newer review"):
        workflow.publish_review(review_id=old.pk, by=role_users["reviewer"])


def test_bulk_state_change_needs_one_rationale_and_records_it_on_each_claim(role_users):
    claims = [ClaimFactory(), ClaimFactory()]
    with pytest.raises(workflow.WorkflowError, match="rationale"):
        workflow.set_state(
            claim_ids=[c.pk for c in claims],
            state="in_review",
            rationale="",
            by=role_users["editor"],
        )
    workflow.set_state(
        claim_ids=[c.pk for c in claims],
        state="needs_info",
        rationale="Waiting for the ministry",
        by=role_users["editor"],
    )
    for c in claims:
        c.refresh_from_db()
        assert c.state == "needs_info"
        assert c.history.first().history_change_reason == "Waiting for the ministry"


def test_publishing_cannot_bypass_the_review(claim, role_users):
    with pytest.raises(workflow.WorkflowError, match="publishing their review"):
        workflow.set_state(
            claim_ids=[claim.pk], state="published", rationale="x", by=role_users["admin"]
        )


def test_claims_are_assigned_only_to_people_who_can_edit_them(claim, role_users):
    workflow.assign(claim_ids=[claim.pk], assignee=role_users["editor"], by=role_users["editor"])
    assert Claim.objects.get(pk=claim.pk).assigned_to == role_users["editor"]
    with pytest.raises(workflow.WorkflowError, match="cannot edit"):
        workflow.assign(
            claim_ids=[claim.pk], assignee=role_users["viewer"], by=role_users["editor"]
        )


def test_dismissing_a_flag_needs_a_reason(role_users):
    flag = FlagFactory()
    with pytest.raises(workflow.WorkflowError, match="reason"):
        workflow.dismiss_flag(flag_id=flag.pk, reason="", by=role_users["editor"])
    workflow.dismiss_flag(flag_id=flag.pk, reason="Same wire, checked", by=role_users["editor"])
    flag.refresh_from_db()
    assert flag.state == Flag.State.DISMISSED and flag.dismissed_reason == "Same wire, checked"
