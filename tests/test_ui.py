"""The editor UI over HTTP: every page asks for a login, each role sees what it may and is refused
(403) what it may not, the queue filters and searches Arabic in a constant number of queries, the
claim page's forms go through the workflow, a stale edit gets 409 with the input kept, and the
Arabic interface is right to left and translated."""

from __future__ import annotations

import datetime as dt
from typing import cast

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from claims import services, verification, workflow
from claims.models import Claim, Flag, Place, Review
from tests.factories import ClaimFactory, FlagFactory, QuantityFactory

pytestmark = pytest.mark.django_db

ISIS_HOMS = "isis-claims-two-assassinations-homs-hama-2025-11-28"


@pytest.fixture
def homs(seeded) -> Claim:
    verification.scan_all()
    return Claim.objects.get(slug=ISIS_HOMS)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page_urls(claim: Claim) -> list[str]:
    return [
        reverse("claims:dashboard"),
        reverse("claims:queue"),
        reverse("claims:claim", args=[claim.pk]),
    ]


def action_posts(claim: Claim) -> list[tuple[str, dict[str, object]]]:
    flag = claim.flags.first()
    return [
        (
            reverse("claims:verdict", args=[claim.pk]),
            {"verdict": "false", "rationale": "why", "version": claim.version},
        ),
        (reverse("claims:publish", args=[claim.pk]), {"review": 1}),
        (
            reverse("claims:dismiss_flag", args=[claim.pk, flag.pk if flag else 1]),
            {f"flag{flag.pk if flag else 1}-reason": "noise"},
        ),
        (
            reverse("claims:edit", args=[claim.pk]),
            {"edit-stance": "asserts", "edit-reason": "x", "edit-version": claim.version},
        ),
        (
            reverse("claims:bulk"),
            {"claims": [claim.pk], "action": "set_state", "state": "in_review", "rationale": "x"},
        ),
    ]


# --- Log-in and roles ----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page_from_every_page_and_action(homs):
    client = Client()
    for url in page_urls(homs):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{reverse('login')}?next=")
    for url, data in action_posts(homs):
        assert client.post(url, data)["Location"].startswith(reverse("login"))
    assert Claim.objects.get(pk=homs.pk).version == homs.version


def test_the_login_page_logs_an_editor_in_and_the_logout_button_logs_out(role_users):
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'<label for="id_username">' in page.content
    response = client.post(
        reverse("login"), {"username": "demo-editor", "password": "verify-claims-2025"}
    )
    assert response["Location"] == reverse("claims:dashboard")
    assert client.get(reverse("claims:dashboard")).status_code == 200
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert client.get(reverse("claims:dashboard")).status_code == 302


def test_a_viewer_sees_every_page_but_no_forms_and_every_action_is_refused(homs, role_users):
    client = client_for(role_users["viewer"])
    for url in page_urls(homs):
        assert client.get(url).status_code == 200
    page = client.get(reverse("claims:claim", args=[homs.pk])).content.decode()
    assert "Record a verdict" not in page and "Dismiss flag" not in page
    assert "Save changes" not in page
    for url, data in action_posts(homs):
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert b"Not allowed" in response.content
    after = Claim.objects.get(pk=homs.pk)
    assert (after.version, after.state) == (homs.version, homs.state)
    assert not Review.objects.exists()


def test_a_user_without_any_role_is_refused_the_pages(homs, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    client = client_for(nobody)
    for url in page_urls(homs):
        assert client.get(url).status_code == 403


def test_an_editor_records_a_verdict_with_rationale_and_evidence(homs, role_users):
    client = client_for(role_users["editor"])
    response = client.post(
        reverse("claims:verdict", args=[homs.pk]),
        {
            "verdict": "unassessable",
            "rationale": "Only ISIS's own outlets carry it.",
            "evidence_links": "https://example.org/a\n\nhttps://example.org/b\n",
            "version": homs.version,
        },
    )
    assert response.status_code == 302
    review = Review.objects.get(claim=homs)
    assert review.evidence_links == ["https://example.org/a", "https://example.org/b"]
    assert (review.verdict, review.reviewer) == ("unassessable", role_users["editor"])
    page = client.get(response["Location"]).content.decode()
    assert "Verdict recorded" in page
    assert "Only ISIS&#x27;s own outlets carry it." in page
    # Editors record verdicts; only reviewers publish them.
    assert "Publish the latest verdict" not in page
    assert (
        client.post(reverse("claims:publish", args=[homs.pk]), {"review": review.pk}).status_code
        == 403
    )


def test_a_verdict_without_a_rationale_is_refused_with_the_message_and_nothing_changes(
    homs, role_users
):
    client = client_for(role_users["editor"])
    response = client.post(
        reverse("claims:verdict", args=[homs.pk]),
        {"verdict": "false", "rationale": "   ", "evidence_links": "", "version": homs.version},
    )
    assert response.status_code == 400
    assert "A rationale is required." in response.content.decode()
    assert not Review.objects.exists()
    assert Claim.objects.get(pk=homs.pk).verdict == "unverified"


def test_a_reviewer_publishes_an_editors_verdict(homs, role_users):
    review = workflow.record_review(
        claim_id=homs.pk, verdict="unassessable", rationale="ISIS only", by=role_users["editor"]
    )
    client = client_for(role_users["reviewer"])
    page = client.get(reverse("claims:claim", args=[homs.pk])).content.decode()
    assert "Publish the latest verdict" in page
    response = client.post(reverse("claims:publish", args=[homs.pk]), {"review": review.pk})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.published and review.published_by == role_users["reviewer"]
    assert Claim.objects.get(pk=homs.pk).state == "published"


def test_four_eyes_refuses_a_reviewer_publishing_their_own_verdict(homs, role_users):
    reviewer = role_users["reviewer"]
    review = workflow.record_review(
        claim_id=homs.pk, verdict="false", rationale="Mine", by=reviewer
    )
    response = client_for(reviewer).post(
        reverse("claims:publish", args=[homs.pk]), {"review": review.pk}
    )
    assert response.status_code == 400
    assert "Four eyes: a review must be published by someone other than its author." in (
        response.content.decode()
    )
    review.refresh_from_db()
    assert not review.published


def test_an_admin_can_do_everything(homs, role_users):
    admin = client_for(role_users["admin"])
    for url in page_urls(homs):
        assert admin.get(url).status_code == 200
    workflow.record_review(
        claim_id=homs.pk, verdict="unassessable", rationale="ISIS only", by=role_users["editor"]
    )
    review = Review.objects.get(claim=homs)
    assert (
        admin.post(reverse("claims:publish", args=[homs.pk]), {"review": review.pk}).status_code
        == 302
    )
    flag = homs.flags.get(kind="partisan_only")
    response = admin.post(
        reverse("claims:dismiss_flag", args=[homs.pk, flag.pk]),
        {f"flag{flag.pk}-reason": "Known ISIS pattern, recorded in the verdict."},
    )
    assert response.status_code == 302
    assert Flag.objects.get(pk=flag.pk).state == "dismissed"


def test_dismissing_a_flag_without_a_reason_is_refused_and_the_flag_stays_open(homs, role_users):
    flag = homs.flags.get(kind="partisan_only")
    response = client_for(role_users["editor"]).post(
        reverse("claims:dismiss_flag", args=[homs.pk, flag.pk]), {f"flag{flag.pk}-reason": " "}
    )
    assert response.status_code == 400
    assert "A reason for dismissing the flag is required." in response.content.decode()
    assert Flag.objects.get(pk=flag.pk).state == "open"


# --- Bulk actions --------------------------------------------------------------------------


def test_an_editor_assigns_and_moves_claims_in_bulk(homs, role_users):
    editor = role_users["editor"]
    client = client_for(editor)
    others = list(Claim.objects.exclude(pk=homs.pk).order_by("id")[:2])
    ids = [homs.pk, *(c.pk for c in others)]
    response = client.post(
        reverse("claims:bulk"),
        {"claims": ids, "action": "assign", "assignee": editor.pk, "next": "/claims/?state=new"},
    )
    assert response["Location"] == "/claims/?state=new"
    assert set(Claim.objects.filter(assigned_to=editor).values_list("pk", flat=True)) == set(ids)
    client.post(
        reverse("claims:bulk"),
        {"claims": ids, "action": "set_state", "state": "in_review", "rationale": "Triage"},
    )
    assert set(Claim.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"in_review"}
    dashboard = client.get(reverse("claims:dashboard")).content.decode()
    assert "My work" in dashboard and homs.text[:40] in dashboard


def test_a_bulk_state_change_without_rationale_shows_the_error_and_changes_nothing(
    homs, role_users
):
    client = client_for(role_users["editor"])
    response = client.post(
        reverse("claims:bulk"),
        {"claims": [homs.pk], "action": "set_state", "state": "needs_info", "rationale": ""},
        follow=True,
    )
    assert "A rationale is required. Nothing was changed." in response.content.decode()
    assert Claim.objects.get(pk=homs.pk).state == homs.state


def test_a_bulk_action_on_no_claims_says_so(role_users):
    response = client_for(role_users["editor"]).post(
        reverse("claims:bulk"), {"action": "set_state", "state": "new"}, follow=True
    )
    assert "Select at least one claim." in response.content.decode()


def test_a_bulk_action_refuses_to_redirect_off_site(homs, role_users):
    response = client_for(role_users["editor"]).post(
        reverse("claims:bulk"),
        {"claims": [homs.pk], "action": "assign", "assignee": "", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("claims:queue")


# --- Queue ---------------------------------------------------------------------------------


def queue_claims(client: Client, **params: str | int) -> list[str]:
    response = client.get(reverse("claims:queue"), params)
    assert response.status_code == 200
    return [c.slug for c in response.context["page"].object_list]


def test_the_queue_filters_by_flag_state_verdict_claimant_language_and_dates(homs, role_users):
    client = client_for(role_users["viewer"])
    partisan = queue_claims(client, flag_kind="partisan_only")
    assert ISIS_HOMS in partisan
    assert set(partisan) == set(
        Claim.objects.filter(flags__kind="partisan_only", flags__state="open").values_list(
            "slug", flat=True
        )
    )
    assert queue_claims(client, state="published") == []
    assert ISIS_HOMS in queue_claims(client, verdict="unverified")
    by_isis = queue_claims(client, claimant=homs.claimant_id)
    assert ISIS_HOMS in by_isis
    assert all(Claim.objects.get(slug=s).claimant_id == homs.claimant_id for s in by_isis)
    assert ISIS_HOMS in queue_claims(client, language="ar")
    assert ISIS_HOMS not in queue_claims(client, language="en")
    dated = Claim.objects.exclude(stated_at=None).first()
    day = dated.stated_at.isoformat()
    on_day = queue_claims(client, stated_from=day, stated_to=day)
    assert dated.slug in on_day
    assert all(Claim.objects.get(slug=s).stated_at == dated.stated_at for s in on_day)


def test_the_queue_place_filter_includes_places_under_the_chosen_one(homs, role_users):
    client = client_for(role_users["viewer"])
    homs_city = homs.places.order_by("-path").first()
    syria = Place.objects.get(path=homs_city.path.split("/")[0] + "/")
    assert homs_city.path.startswith(syria.path)
    assert ISIS_HOMS in queue_claims(client, place=syria.pk)
    assert ISIS_HOMS in queue_claims(client, place=homs_city.pk)
    elsewhere = Place.objects.filter(kind="governorate").exclude(
        pk__in=[p.pk for p in homs.places.all()]
    )
    unrelated = next(p for p in elsewhere if not homs_city.path.startswith(p.path))
    assert ISIS_HOMS not in queue_claims(client, place=unrelated.pk)


def test_arabic_search_ignores_hamza_taa_marbuta_and_diacritics(homs, role_users):
    client = client_for(role_users["viewer"])
    # The text reads "أعلن … حمص وحماة": typed without hamza, with haa for taa marbuta, voweled.
    assert ISIS_HOMS in queue_claims(client, q="اعلن")
    assert ISIS_HOMS in queue_claims(client, q="حماه")
    assert ISIS_HOMS in queue_claims(client, q="حِمْص")
    assert ISIS_HOMS in queue_claims(client, q="assassinations")
    assert queue_claims(client, q="لا يوجد نص كهذا") == []


def test_an_empty_queue_says_why(role_users):
    client = client_for(role_users["viewer"])
    assert "There are no claims yet" in client.get(reverse("claims:queue")).content.decode()
    response = client.get(reverse("claims:queue"), {"q": "nothing"})
    assert "No claim matches these filters." in response.content.decode()


def test_an_invalid_filter_is_reported_and_ignored(homs, role_users):
    client = client_for(role_users["viewer"])
    response = client.get(reverse("claims:queue"), {"state": "bogus", "q": "حمص"})
    assert "Some filters were not understood" in response.content.decode()
    assert ISIS_HOMS in [c.slug for c in response.context["page"].object_list]


def make_flagged_claims(n: int) -> None:
    for i in range(n):
        claim = cast(
            Claim, ClaimFactory(priority=float(i), stated_at=dt.date(2025, 11, 1 + i % 28))
        )
        cast(Flag, FlagFactory(kind="single_root")).claims.add(claim)


@pytest.mark.parametrize("claims", [10, 60])
def test_the_queue_takes_the_same_number_of_queries_whatever_the_number_of_claims(
    claims, role_users, django_assert_num_queries
):
    make_flagged_claims(claims)
    client = client_for(role_users["editor"])
    # Expect 9 queries: session, user, the user's permissions (one query for user and groups,
    # tracker.permissions) for the view check, the page's count, its claims with claimant and
    # assignee, their open flags counted by kind, and the filter form's claimant and place lists
    # (events are chosen by number), plus the bulk form's assignable users.
    with django_assert_num_queries(9):
        response = client.get(reverse("claims:queue"), {"flag_kind": "single_root"})
    assert len(response.context["page"].object_list) == min(claims, 50)


def test_the_queue_lists_by_priority_and_pages_by_fifty(role_users):
    make_flagged_claims(60)
    client = client_for(role_users["viewer"])
    first = client.get(reverse("claims:queue")).context["page"]
    priorities = [c.priority for c in first.object_list]
    assert priorities == sorted(priorities, reverse=True) and len(priorities) == 50
    second = client.get(reverse("claims:queue"), {"page": 2}).context["page"]
    assert len(second.object_list) == 10


# --- Claim page ----------------------------------------------------------------------------


def test_the_claim_page_draws_the_chain_to_the_partisan_root_and_shows_the_flag(homs, role_users):
    page = client_for(role_users["viewer"]).get(reverse("claims:claim", args=[homs.pk]))
    html = page.content.decode()
    assert 'dir="auto"' in html and homs.text in html
    assert "Saha al-Wagha" in html and "Enab Baladi" in html
    assert "independent roots: <strong>1</strong>" in html
    assert "partisan: under the claimant" in html
    assert "Partisan sources only" in html
    # Track record: the claimant's claims by verdict.
    assert "Unverified: " in html


def test_a_conflict_flag_shows_both_claims_with_the_differing_number_marked(role_users):
    first = ClaimFactory(text="قتل 15 عنصراً", event_start=dt.date(2025, 11, 12))
    second = ClaimFactory(text="قتل 30 عنصراً", event_start=dt.date(2025, 11, 13))
    QuantityFactory(claim=first, item="killed", low=15, high=15, text="15")
    QuantityFactory(claim=second, item="killed", low=30, high=30, text="30")
    flag: Flag = FlagFactory(kind="quantity_conflict", severity="major", detail="15 vs 30 killed")
    flag.claims.add(first, second)
    html = client_for(role_users["viewer"]).get(reverse("claims:claim", args=[first.pk]))
    html = html.content.decode()
    assert "<mark>killed: 15 (15)</mark>" in html
    assert "<mark>killed: 30 (30)</mark>" in html
    assert "<mark>2025-11-12</mark>" in html and "<mark>2025-11-13</mark>" in html
    assert "قتل 30 عنصراً" in html


def test_the_claim_page_shows_history_with_who_why_and_what_changed(homs, role_users):
    editor = role_users["editor"]
    services.update_claim(
        claim_id=homs.pk,
        expected_version=homs.version,
        changes={"text_en": "ISIS claimed two assassinations."},
        by=editor,
        reason="Shorter translation",
    )
    html = client_for(role_users["viewer"]).get(reverse("claims:claim", args=[homs.pk]))
    html = html.content.decode()
    assert "Shorter translation" in html and "demo-editor" in html
    assert "English translation: <del" in html
    assert '<ins dir="auto">ISIS claimed two assassinations.</ins>' in html


def test_an_editor_saves_an_edit_with_a_reason(homs, role_users):
    client = client_for(role_users["editor"])
    response = client.post(
        reverse("claims:edit", args=[homs.pk]),
        {
            "edit-text_en": "ISIS claimed two killings.",
            "edit-text_ar": "",
            "edit-stance": "claims_responsibility",
            "edit-stated_at": "2025-11-29",
            "edit-event_start": "2025-11-28",
            "edit-event_end": "2025-11-28",
            "edit-reason": "Fix translation",
            "edit-version": homs.version,
        },
    )
    assert response.status_code == 302
    after = Claim.objects.get(pk=homs.pk)
    assert after.text_en == "ISIS claimed two killings."
    assert after.stated_at == dt.date(2025, 11, 29)
    assert after.version == homs.version + 1


def test_an_edit_without_a_reason_is_refused(homs, role_users):
    response = client_for(role_users["editor"]).post(
        reverse("claims:edit", args=[homs.pk]),
        {"edit-text_en": "x", "edit-stance": "asserts", "edit-version": homs.version},
    )
    assert response.status_code == 400
    assert Claim.objects.get(pk=homs.pk).text_en == homs.text_en


def test_a_stale_edit_gets_409_keeps_the_input_shows_what_changed_and_overwrites_nothing(
    homs, role_users
):
    loaded = homs.version
    services.update_claim(
        claim_id=homs.pk,
        expected_version=loaded,
        changes={"text_en": "Their translation, saved first."},
        by=role_users["reviewer"],
        reason="Better translation",
    )
    response = client_for(role_users["editor"]).post(
        reverse("claims:edit", args=[homs.pk]),
        {
            "edit-text_en": "My late translation.",
            "edit-text_ar": "",
            "edit-stance": "claims_responsibility",
            "edit-stated_at": "",
            "edit-event_start": "2025-11-28",
            "edit-event_end": "2025-11-28",
            "edit-reason": "My reason",
            "edit-version": loaded,
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this claim after you opened it." in html
    assert "My late translation.</textarea>" in html  # their input is kept
    assert "My reason</textarea>" in html
    assert "<mark>Their translation, saved first.</mark>" in html  # what changed
    assert homs.text_en in html  # the value they had loaded
    after = Claim.objects.get(pk=homs.pk)
    assert after.text_en == "Their translation, saved first."
    assert after.version == loaded + 1
    # The form now carries the current version: saving again is a deliberate overwrite.
    assert f'name="edit-version" value="{after.version}"' in html


# --- Languages -----------------------------------------------------------------------------


def arabic_client(user) -> Client:
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    return client


def test_arabic_pages_are_right_to_left_and_translated(homs, role_users):
    client = arabic_client(role_users["editor"])
    dashboard = client.get(reverse("claims:dashboard")).content.decode()
    assert '<html lang="ar" dir="rtl">' in dashboard
    assert "لوحة المتابعة" in dashboard and "Dashboard" not in dashboard
    queue = client.get(reverse("claims:queue")).content.decode()
    assert "قائمة المراجعة" in queue and "تطبيق المرشحات" in queue
    claim = client.get(reverse("claims:claim", args=[homs.pk])).content.decode()
    assert "سلسلة المصادر" in claim and "مصادر حزبية فقط" in claim and "تسجيل الحكم" in claim
    english = client_for(role_users["editor"]).get(reverse("claims:dashboard")).content.decode()
    assert '<html lang="en" dir="ltr">' in english


def test_workflow_refusals_are_translated_in_the_arabic_interface(homs, role_users):
    response = arabic_client(role_users["editor"]).post(
        reverse("claims:verdict", args=[homs.pk]),
        {"verdict": "false", "rationale": "", "version": homs.version},
    )
    assert response.status_code == 400
    assert "المبررات مطلوبة." in response.content.decode()


def test_the_language_switch_keeps_arabic_for_the_session(role_users):
    client = client_for(role_users["viewer"])
    response = client.post(reverse("set_language"), {"language": "ar", "next": "/claims/"})
    assert response["Location"] == "/claims/"
    assert 'dir="rtl"' in client.get("/claims/").content.decode()


def test_every_form_control_on_the_claim_page_has_a_label(homs, role_users):
    import re

    html = client_for(role_users["admin"]).get(reverse("claims:claim", args=[homs.pk]))
    html = html.content.decode()
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"', html)
    assert ids
    for control in ids:
        assert f'for="{control}"' in html, control


@pytest.mark.parametrize("claims", [10, 60])
def test_the_dashboard_takes_the_same_number_of_queries_whatever_the_number_of_claims(
    claims, role_users, django_assert_num_queries
):
    editor = role_users["editor"]
    make_flagged_claims(claims)
    workflow.assign(
        claim_ids=list(Claim.objects.values_list("pk", flat=True)), assignee=editor, by=editor
    )
    client = client_for(editor)
    # Expect 13 queries: session, user, the user's permissions (1), claims by state, by verdict,
    # open flags by kind and severity, the latest claim, review and flag history rows, the claims
    # of those flags, my work, the latest sources and the latest events with their claim counts.
    with django_assert_num_queries(13):
        response = client.get(reverse("claims:dashboard"))
    assert len(response.context["board"].my_claims) == min(claims, 50)
    assert len(response.context["board"].activity) == 20
