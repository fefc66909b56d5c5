"""The admin as the editors' workbench: every page opens for the right roles, Arabic search
ignores hamza and taa marbuta, a claim page draws its chain, and history is read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.models import Actor, Claim, Event, Flag, Place, Review, Source
from tests.factories import FlagFactory, ReviewFactory

pytestmark = pytest.mark.django_db

ISIS_HOMS = "isis-claims-two-assassinations-homs-hama-2025-11-28"


@pytest.fixture
def as_role(client, role_users):
    def login(role: str):
        client.force_login(role_users[role])
        return client

    return login


def test_every_role_can_open_every_list_and_every_seed_claim(as_role, seeded):
    claim_ids = Claim.objects.values_list("pk", flat=True)
    for role in ["viewer", "editor", "reviewer", "admin"]:
        client = as_role(role)
        for model in [Actor, Source, Claim, Place, Review, Flag, Event]:
            url = reverse(f"admin:claims_{model._meta.model_name}_changelist")
            assert client.get(url).status_code == 200, (role, model)
        for pk in claim_ids:
            page = client.get(reverse("admin:claims_claim_change", args=[pk]))
            assert page.status_code == 200, (role, pk)


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("editor", 200), ("admin", 200)])
def test_only_editors_and_above_may_add_a_claim(as_role, role_users, role, status):
    assert as_role(role).get(reverse("admin:claims_claim_add")).status_code == status


def test_a_user_without_a_role_is_sent_to_the_login_page(client, seeded):
    response = client.get(reverse("admin:claims_claim_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_claim_page_draws_the_chain_to_an_actor_under_isis_and_marks_it_partisan(as_role, seeded):
    claim = Claim.objects.get(slug=ISIS_HOMS)
    page = as_role("editor").get(reverse("admin:claims_claim_change", args=[claim.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Saha al-Wagha" in html
    assert "independent roots: <strong>1</strong>" in html
    assert "partisan only" in html


def test_arabic_search_finds_claims_whatever_the_hamza_and_taa_marbuta(as_role, seeded):
    # The article writes "الأمريكية"; editors often type it without hamza.
    url = reverse("admin:claims_actor_changelist")
    page = as_role("viewer").get(url, {"q": "الامريكيه"})
    assert "US Central Command" in page.content.decode()


def test_english_search_finds_claims_too(as_role, seeded):
    page = as_role("viewer").get(reverse("admin:claims_claim_changelist"), {"q": "mortars"})
    assert "130" in page.content.decode()


def test_claim_history_is_shown_but_cannot_be_reverted(as_role, seeded):
    claim = Claim.objects.get(slug=ISIS_HOMS)
    client = as_role("editor")
    history = client.get(reverse("admin:claims_claim_history", args=[claim.pk]))
    assert history.status_code == 200
    assert "Loaded from the seed case" in history.content.decode()
    record = claim.history.first()
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, record.history_id])
    assert client.get(url).status_code == 200
    assert "Revert" not in client.get(url).content.decode()
    version = Claim.objects.get(pk=claim.pk).version
    assert client.post(url, {"text": "rewritten", "claimant": claim.claimant_id}).status_code == 403
    assert Claim.objects.get(pk=claim.pk).version == version


def test_a_recorded_review_opens_read_only_and_cannot_be_deleted(as_role, seeded):
    review = ReviewFactory(claim=Claim.objects.get(slug=ISIS_HOMS))
    client = as_role("admin")
    page = client.get(reverse("admin:claims_review_change", args=[review.pk]))
    assert 'name="rationale"' not in page.content.decode()
    assert client.get(reverse("admin:claims_review_delete", args=[review.pk])).status_code == 403


def test_a_flag_page_opens_with_its_history(as_role):
    flag = FlagFactory()
    client = as_role("reviewer")
    assert client.get(reverse("admin:claims_flag_change", args=[flag.pk])).status_code == 200
    assert client.get(reverse("admin:claims_flag_history", args=[flag.pk])).status_code == 200


def test_a_review_added_in_the_admin_moves_its_claim_as_the_workflow_does(as_role, seeded):
    claim = Claim.objects.get(slug=ISIS_HOMS)
    version = claim.version
    response = as_role("editor").post(
        reverse("admin:claims_review_add"),
        {"claim": claim.pk, "verdict": "contested", "rationale": "Only ISIS channels carry it.",
         "language": "en", "evidence_links": "[]"},
    )  # fmt: skip
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.verdict, claim.state, claim.version) == ("contested", "reviewed", version + 1)
    review = Review.objects.get(claim=claim)
    assert review.reviewer.username == "demo-editor" and not review.published


def test_publishing_in_the_admin_keeps_four_eyes_and_publishes_the_claim(
    as_role, role_users, seeded
):
    from claims import workflow

    claim = Claim.objects.get(slug=ISIS_HOMS)
    review = workflow.record_review(
        claim_id=claim.pk, verdict="contested", rationale="Partisan only.", by=role_users["admin"]
    )
    changelist = reverse("admin:claims_review_changelist")
    action = {"action": "publish_selected", "_selected_action": [review.pk]}

    refused = as_role("admin").post(changelist, action, follow=True)
    assert "Four eyes" in refused.content.decode()
    assert not Review.objects.get(pk=review.pk).published

    as_role("reviewer").post(changelist, action)
    review.refresh_from_db()
    claim.refresh_from_db()
    assert review.published and review.published_by == role_users["reviewer"]
    assert (claim.verdict, claim.state) == ("contested", "published")


def test_a_recorded_review_cannot_be_marked_published_by_editing_it(as_role, seeded):
    review = ReviewFactory(claim=Claim.objects.get(slug=ISIS_HOMS))
    client = as_role("admin")
    url = reverse("admin:claims_review_change", args=[review.pk])
    assert client.post(url, {"published": "on"}).status_code == 403
    assert not Review.objects.get(pk=review.pk).published
