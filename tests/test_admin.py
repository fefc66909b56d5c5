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
