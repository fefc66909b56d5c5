"""The rest of the editor UI over HTTP: the actor, event and source pages, ingestion with its
progress and the proposals it returns (correct, accept, reject), each role's access, hostile
text shown inert, and a constant number of queries on every page whatever its size."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from typing import Any, cast

import pytest
from celery.result import AsyncResult
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import ingestion
from claims.models import Actor, Appearance, Claim, Event, Flag, Place, Source
from tests.factories import (
    ActorFactory,
    AppearanceFactory,
    ClaimFactory,
    FlagFactory,
    QuantityFactory,
    ReviewFactory,
    SourceFactory,
    UserFactory,
)

WIRE = (
    "Syria's interior ministry said on Tuesday that its forces arrested 12 members of an "
    "Islamic State cell in the town of al-Dumayr, east of Damascus, after a week-long operation."
)
TWO_CLAIMS = (
    "Syria's interior ministry said on Tuesday that its forces arrested 12 members of an "
    "Islamic State cell in the town of al-Dumayr. CENTCOM said it destroyed more than 130 "
    "mortars and rockets in rural Damascus."
)
# Script and markup, a right-to-left override and zero-width characters: what a hostile or
# broken page can put into a claim's text.
HOSTILE = (
    "<script>alert(1)</script> <b>html</b> \u202eevil reversed\u202c "
    "zero\u200bwidth\u200d joiner \ufeff"
)
ARTICLE = "enab-baladi-2025-12-01-centcom-isis"
OPERATION = "rif-dimashq-weapons-sites-operation-2025-11"
ISIS_HOMS = "isis-claims-two-assassinations-homs-hama-2025-11-28"


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def arabic_client(user: Any) -> Client:
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    return client


def proposals_from(text: str = WIRE, **options: Any) -> ingestion.IngestResult:
    """Proposals as the ingest task leaves them (the same service, run here directly)."""
    defaults: dict[str, Any] = {
        "language": "en",
        "publisher": "Reuters",
        "published": dt.date(2025, 11, 25),
    }
    return ingestion.ingest_text(text=text, **(defaults | options))


def hostile_claim() -> Claim:
    event = Event.objects.create(slug="hostile-event", title="Hostile event")
    claim = cast(Claim, ClaimFactory(text=HOSTILE, text_en="", event=event, priority=1000.0))
    AppearanceFactory(claim=claim, source=SourceFactory(title="Hostile source"))
    return claim


# --- Access --------------------------------------------------------------------------------


@pytest.fixture
def pages(seeded, role_users) -> dict[str, str]:
    article = Source.objects.get(slug=ARTICLE)
    event = Event.objects.get(slug=OPERATION)
    return {
        "actor": reverse("claims:actor", args=["centcom"]),
        "event": reverse("claims:event", args=[event.pk]),
        "source": reverse("claims:source", args=[article.pk]),
    }


def editor_only_urls() -> tuple[list[str], list[tuple[str, Any]]]:
    """The ingest pages and the proposal actions, on proposals made just now."""
    result = proposals_from()
    source, claim = result.source, result.claims[0]
    gets = [
        reverse("claims:ingest"),
        reverse("claims:proposals", args=[source.pk]),
    ]
    posts = [
        (reverse("claims:ingest"), {"text": WIRE, "language": "en"}),
        (
            reverse("claims:proposal", args=[source.pk, claim.pk]),
            {"action": "accept", f"p{claim.pk}-version": claim.version},
        ),
        (reverse("claims:proposal", args=[source.pk, claim.pk]), {"action": "reject"}),
        (reverse("claims:accept_all", args=[source.pk]), {"claims": [claim.pk]}),
    ]
    return gets, posts


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page_from_every_new_page_and_action(pages):
    client = Client()
    gets, posts = editor_only_urls()
    for url in [*pages.values(), *gets, reverse("claims:ingest_status", args=[uuid.uuid4()])]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('login')}?next="), url
    for url, data in posts:
        assert client.post(url, data)["Location"].startswith(reverse("login")), url
    assert Claim.objects.filter(state="in_review").count() == 0


@pytest.mark.django_db
def test_a_viewer_sees_the_actor_event_and_source_pages_but_cannot_ingest_or_accept(
    pages, role_users
):
    client = client_for(role_users["viewer"])
    for url in pages.values():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Ingest" not in response.content.decode(), url
    gets, posts = editor_only_urls()
    for url in gets:
        assert client.get(url).status_code == 403, url
    sources_before = Source.objects.count()
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 403, url
    assert Source.objects.count() == sources_before
    assert not Claim.objects.filter(state="in_review").exists()
    assert Claim.objects.filter(created_by=None, state="new").exists()


@pytest.mark.django_db
def test_an_editor_sees_the_ingest_link_and_every_new_page(pages, role_users):
    client = client_for(role_users["editor"])
    dashboard = client.get(reverse("claims:dashboard")).content.decode()
    assert f'href="{reverse("claims:ingest")}"' in dashboard
    for url in [*pages.values(), reverse("claims:ingest")]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_unknown_actors_events_sources_and_ingest_tasks_are_not_found(role_users):
    client = client_for(role_users["editor"])
    for url in [
        reverse("claims:actor", args=["nobody-we-know"]),
        reverse("claims:actor", args=["999999"]),
        reverse("claims:event", args=[999999]),
        reverse("claims:source", args=[999999]),
        reverse("claims:proposals", args=[999999]),
        reverse("claims:ingest_status", args=[uuid.uuid4()]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.get("/ingest/not-a-task-id/").status_code == 404


# --- Actor page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_actor_page_shows_kind_parent_chain_party_claims_and_verdict_shares(seeded, role_users):
    naba = Actor.objects.get(slug="al-naba")
    isis = Actor.objects.get(slug="isis")
    assert naba.parent_id == isis.pk
    claim = Claim.objects.filter(claimant=isis).first()
    claim.verdict = "false"
    claim.save()
    client = client_for(role_users["viewer"])
    html = client.get(reverse("claims:actor", args=["al-naba"])).content.decode()
    assert f'href="{reverse("claims:actor", args=[isis.pk])}"' in html  # parent chain
    assert "Media outlet" in html
    html = client.get(reverse("claims:actor", args=["isis"])).content.decode()
    assert "Armed group" in html and "Party to the conflict" in html
    assert f'href="{reverse("claims:actor", args=["al-naba"])}"' in html  # under it
    assert reverse("claims:claim", args=[claim.pk]) in html
    total = Claim.objects.filter(claimant=isis).count()
    # Every verdict is listed with its count; the bar's width is a class, not an inline style.
    rows = re.findall(
        r'class="bar-fill verdict-(\w+) w-(\d+)"></span></span></td><td class="num">(\d+)<', html
    )
    counts = {verdict: int(n) for verdict, _, n in rows}
    assert len(rows) == len(Claim.Verdict.values)
    assert counts["false"] == 1 and counts["unverified"] == total - 1
    assert 'style="' not in html


@pytest.mark.django_db
def test_an_actor_is_found_by_id_or_slug_and_one_without_claims_says_so(role_users):
    actor = cast(Actor, ActorFactory(name="Quiet outlet"))
    client = client_for(role_users["viewer"])
    by_slug = client.get(reverse("claims:actor", args=[actor.slug]))
    by_id = client.get(reverse("claims:actor", args=[actor.pk]))
    assert by_slug.status_code == by_id.status_code == 200
    assert by_slug.context["actor"] == by_id.context["actor"] == actor
    assert "No claims by this actor." in by_slug.content.decode()


@pytest.mark.django_db
def test_the_actor_page_pages_its_claims_by_fifty(role_users):
    actor = cast(Actor, ActorFactory(kind="military"))
    for i in range(55):
        ClaimFactory(claimant=actor, stated_at=dt.date(2025, 1, 1) + dt.timedelta(days=i))
    client = client_for(role_users["viewer"])
    first = client.get(reverse("claims:actor", args=[actor.slug]))
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].object_list[0].stated_at == dt.date(2025, 2, 24)
    second = client.get(reverse("claims:actor", args=[actor.slug]), {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 of 2" in second.content.decode()


# --- Event page ----------------------------------------------------------------------------


def make_event(claims: int, *, event: Event | None = None) -> Event:
    """An event whose claims agree on 15 killed except the last, which says 30."""
    event = event or Event.objects.create(slug=f"event-{uuid.uuid4().hex[:8]}", title="Raid")
    homs = Place.objects.filter(kind="governorate", name__icontains="Homs").first()
    damascus = Place.objects.filter(kind="governorate", name__icontains="Damascus").first()
    assert homs is not None and damascus is not None
    for i in range(claims):
        last = i == claims - 1
        claim = cast(
            Claim,
            ClaimFactory(
                event=event,
                text=f"Claim {i}: killed {30 if last else 15}",
                stated_at=dt.date(2025, 11, 13 if last else 12),
                event_start=dt.date(2025, 11, 20 if last else 10),
                event_end=dt.date(2025, 11, 21 if last else 11),
                stance="denies" if last else "asserts",
            ),
        )
        QuantityFactory(
            claim=claim,
            item="killed",
            low=30 if last else 15,
            high=30 if last else 15,
            qualifier="",
        )
        claim.places.add(damascus if last else homs)
        upstream = cast(Source, SourceFactory())
        AppearanceFactory(claim=claim, source=SourceFactory(), via=upstream, verb="said")
        AppearanceFactory(claim=claim, source=upstream)
        cast(Flag, FlagFactory(kind="quantity_conflict")).claims.add(claim)
    return event


@pytest.mark.django_db
def test_the_event_page_compares_every_claim_in_one_table_and_marks_the_odd_values(role_users):
    event = make_event(3)
    response = client_for(role_users["viewer"]).get(reverse("claims:event", args=[event.pk]))
    html = response.content.decode()
    rows = response.context["rows"]
    assert len(rows) == 3
    assert html.count('<table class="compare">') == 1
    majority, odd = rows[:2], rows[2]
    # Two claims say 15 killed, one says 30: only the 30 is marked, and so with the rest.
    assert [c.differs for r in majority for c in r.quantities] == [False, False]
    assert [c.text for c in odd.quantities] == ["killed: 30"]
    assert odd.quantities[0].differs and odd.stated_at.differs and odd.window.differs
    assert odd.stance.differs and odd.places[0].differs
    assert not any(r.stance.differs or r.window.differs for r in majority)
    assert '<mark dir="auto">killed: 30</mark>' in html
    assert "<mark>2025-11-13</mark>" in html and "<mark>2025-11-20 – 2025-11-21</mark>" in html
    assert "<mark>Denies</mark>" in html
    assert html.count("Quantity conflict") == 3
    for row in rows:
        for appearance in row.appearances:
            assert reverse("claims:source", args=[appearance.source.pk]) in html


@pytest.mark.django_db
def test_two_claims_that_disagree_are_both_marked_and_open_intervals_agree(role_users):
    event = make_event(2)
    first = Claim.objects.filter(event=event).order_by("id").first()
    rows = client_for(role_users["viewer"]).get(reverse("claims:event", args=[event.pk]))
    rows = rows.context["rows"]
    assert all(r.quantities[0].differs for r in rows)
    # "More than 10" fits both 15 and 30: it is not marked, while 15 and 30 still are.
    third = cast(Claim, ClaimFactory(event=event, stated_at=dt.date(2025, 11, 12)))
    QuantityFactory(claim=third, item="killed", low=11, high=None, qualifier="more than")
    rows = client_for(role_users["viewer"]).get(reverse("claims:event", args=[event.pk]))
    by_claim = {r.claim.pk: r for r in rows.context["rows"]}
    assert by_claim[third.pk].quantities[0].text == "killed: ≥ 11 · more than"
    assert not by_claim[third.pk].quantities[0].differs
    assert by_claim[first.pk].quantities[0].differs


@pytest.mark.django_db
def test_an_event_without_claims_says_so(role_users):
    event = Event.objects.create(slug="quiet", title="Quiet day")
    html = client_for(role_users["viewer"]).get(reverse("claims:event", args=[event.pk]))
    assert "No claim is filed under this event yet." in html.content.decode()


# --- Source page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_source_page_shows_publisher_check_status_claims_what_it_cites_and_what_cites_it(
    seeded, role_users
):
    article = Source.objects.get(slug=ARTICLE)
    article.http_status, article.last_checked_at = 200, dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    article.refetched_sha256 = "0" * 64
    article.save()
    client = client_for(role_users["viewer"])
    html = client.get(reverse("claims:source", args=[article.pk])).content.decode()
    assert "Enab Baladi" in html and "HTTP 200" in html
    assert article.text_sha256[:16] in html
    assert "The last re-fetch found a different text" in html
    claims = Claim.objects.filter(appearances__source=article)
    for claim in claims:
        assert reverse("claims:claim", args=[claim.pk]) in html
    cited = Appearance.objects.filter(source=article).exclude(via=None).first().via
    assert reverse("claims:source", args=[cited.pk]) in html
    # The upstream it cites shows the article among what cites it.
    upstream = client.get(reverse("claims:source", args=[cited.pk])).content.decode()
    assert "We know this document is cited but do not hold its text." in upstream
    assert reverse("claims:source", args=[article.pk]) in upstream.split('id="cited-by-h"')[1]


@pytest.mark.django_db
def test_a_source_without_claims_or_links_says_so(role_users):
    source = cast(Source, SourceFactory(canonical_url="https://example.org/a"))
    html = client_for(role_users["viewer"]).get(reverse("claims:source", args=[source.pk]))
    html = html.content.decode()
    assert "No claim appears in this source." in html
    assert "It cites no other source for its claims." in html
    assert "No source we hold cites it." in html and "never checked" in html


# --- Hostile text --------------------------------------------------------------------------


def isolated(html: str, needle: str) -> bool:
    """Every occurrence of `needle` sits directly in a bidi-isolating element."""
    found = [m.start() for m in re.finditer(re.escape(needle), html)]
    return bool(found) and all(
        re.search(r'(<bdi>|dir="auto"[^>]*>|dir="rtl"[^>]*>)[^<]*$', html[:at]) for at in found
    )


@pytest.mark.django_db
def test_hostile_text_is_escaped_and_isolated_on_every_page(role_users):
    claim = hostile_claim()
    source = claim.appearances.get().source
    client = client_for(role_users["editor"])
    for url in [
        reverse("claims:queue"),
        reverse("claims:claim", args=[claim.pk]),
        reverse("claims:actor", args=[claim.claimant.slug]),
        reverse("claims:event", args=[claim.event_id]),
        reverse("claims:source", args=[source.pk]),
    ]:
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<b>html</b>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert "&lt;b&gt;html&lt;/b&gt;" in html, url
        assert isolated(html, "\u202e"), url
    page = client.get(reverse("claims:claim", args=[claim.pk])).content.decode()
    # The claim page names the invisible characters instead of leaving them unseen.
    assert "U+202E</code> RIGHT-TO-LEFT OVERRIDE" in page
    assert "U+200B</code> ZERO WIDTH SPACE" in page and "U+FEFF" in page


# --- Ingest form ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "   "}, "text", "Paste a text or give a URL to fetch."),
        ({"text": WIRE, "published": "2025-13-45"}, "published", "Enter a valid date."),
        ({"fetch_url": "not a url"}, "fetch_url", "Enter a valid URL."),
        ({"fetch_url": "ftp://example.org/x"}, "fetch_url", "Enter a valid URL."),
        ({"text": WIRE, "url": "javascript:alert(1)"}, "url", "Enter a valid URL."),
        ({"text": WIRE, "language": "fr"}, "language", "Select a valid choice."),
        ({"text": WIRE, "fetch_url": "https://example.org/"}, None, "not both"),
        # Refused when submitted, not by the fetch task after a progress page.
        ({"fetch_url": "http://127.0.0.1:9/x"}, "fetch_url", "local or private address"),
        ({"fetch_url": "http://localhost/x"}, "fetch_url", "local or private address"),
        ({"fetch_url": "http://u:pw@example.org/x"}, "fetch_url", "user name or password"),
    ],
)
def test_bad_ingest_input_is_a_form_error_and_nothing_is_stored_or_queued(
    role_users, data, field, message
):
    client = client_for(role_users["editor"])
    before = (Source.objects.count(), Claim.objects.count())
    response = client.post(reverse("claims:ingest"), data)
    assert response.status_code == 400
    form = response.context["form"]
    errors = form.errors[field] if field else form.non_field_errors()
    assert any(message in e for e in errors), form.errors
    assert message in response.content.decode()
    assert (Source.objects.count(), Claim.objects.count()) == before
    assert "ingest_tickets" not in client.session


@pytest.mark.django_db
def test_a_pasted_text_with_the_address_of_a_different_stored_text_is_refused(role_users):
    SourceFactory(canonical_url="https://example.org/wire/dumayr", text="Another text.")
    client = client_for(role_users["editor"])
    response = client.post(
        reverse("claims:ingest"), {"text": WIRE, "url": "https://EXAMPLE.org/wire/dumayr#top"}
    )
    assert response.status_code == 400
    assert "This URL is already stored with a different text" in response.content.decode()
    assert Source.objects.count() == 1 and "ingest_tickets" not in client.session


@pytest.mark.django_db
def test_every_control_of_the_ingest_and_proposals_pages_has_a_label(role_users):
    result = proposals_from(TWO_CLAIMS)
    client = client_for(role_users["editor"])
    for url in [reverse("claims:ingest"), reverse("claims:proposals", args=[result.source.pk])]:
        html = client.get(url).content.decode()
        ids = re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"', html
        )
        assert ids, url
        for control in ids:
            assert f'for="{control}"' in html, (url, control)


# --- Ingest through the worker -------------------------------------------------------------


def poll_status(client: Client, status_url: str, timeout: float = 30) -> str:
    """The status fragment once it reports done or failed, as ui.js polls it."""
    deadline = time.monotonic() + timeout
    while True:
        fragment = client.get(status_url, {"partial": "1"})
        html = fragment.content.decode()
        if 'data-final="true"' in html or time.monotonic() > deadline:
            return html
        time.sleep(0.2)


@pytest.mark.integration
def test_an_editor_ingests_pasted_text_through_the_worker_and_reviews_the_proposals(
    celery_worker, role_users
):
    client = client_for(role_users["editor"])
    response = client.post(
        reverse("claims:ingest"),
        {
            "text": WIRE,
            "url": "https://example.org/wire/dumayr",
            "publisher": "Reuters",
            "published": "2025-11-25",
            "language": "en",
        },
    )
    assert response.status_code == 302
    status_url = response["Location"]
    page = client.get(status_url).content.decode()
    assert f'data-poll-url="{status_url}?partial=1"' in page
    fragment = poll_status(client, status_url)
    assert 'data-phase="done"' in fragment, fragment
    source = Source.objects.get(publisher__name="Reuters")
    next_url = reverse("claims:proposals", args=[source.pk])
    assert f'data-next="{next_url}"' in fragment
    assert "Done: 1 claim proposed." in fragment
    # The address typed with the pasted text is the source's.
    assert source.canonical_url == "https://example.org/wire/dumayr"
    proposals = client.get(next_url)
    [(claim, form)] = proposals.context["pending"]
    assert claim.state == "new" and claim.created_by == role_users["editor"]
    assert form.quantities.initial == [{"item": "captured", "low": 12, "high": 12, "qualifier": ""}]


def store_state(task_id: str, state: str, result: Any = None) -> None:
    """Write a task state into the real result store, as a worker would."""
    AsyncResult(task_id).backend.store_result(task_id, result, state)


def with_ticket(client: Client, kind: str) -> str:
    task_id = str(uuid.uuid4())
    session = client.session
    session["ingest_tickets"] = {task_id: {"task_id": task_id, "kind": kind, "url": ""}}
    session.save()
    return reverse("claims:ingest_status", args=[task_id])


@pytest.mark.django_db
@pytest.mark.integration
def test_the_status_fragment_shows_queued_fetching_extracting_done_and_failed(
    redis_url, role_users
):
    client = client_for(role_users["editor"])

    def phase(url: str) -> str:
        html = client.get(url, {"partial": "1"}).content.decode()
        found = re.search(r'data-phase="(\w+)"', html)
        assert found, html
        return found[1] + " " + html

    url = with_ticket(client, "url")
    assert phase(url).startswith("queued")
    task_id = url.rstrip("/").rsplit("/", 1)[1]
    store_state(task_id, "STARTED")
    fetching = phase(url)
    assert fetching.startswith("fetching") and "Fetching the page" in fetching
    assert re.search(r'class="step step-current" aria-current="step">Fetching<', fetching)

    url = with_ticket(client, "text")
    store_state(url.rstrip("/").rsplit("/", 1)[1], "STARTED")
    assert phase(url).startswith("extracting")

    url = with_ticket(client, "text")
    store_state(
        url.rstrip("/").rsplit("/", 1)[1],
        "SUCCESS",
        {"status": "refused", "error": "The text is empty."},
    )
    refused = phase(url)
    assert refused.startswith("failed") and "The text is empty." in refused

    url = with_ticket(client, "text")
    store_state(
        url.rstrip("/").rsplit("/", 1)[1],
        "FAILURE",
        {"exc_type": "RuntimeError", "exc_message": ["boom"]},
    )
    assert "The ingest task failed; try again or ask an admin." in phase(url)

    # The Arabic interface translates the fixed refusals.
    ar = arabic_client(role_users["editor"])
    url = with_ticket(ar, "text")
    store_state(
        url.rstrip("/").rsplit("/", 1)[1],
        "SUCCESS",
        {"status": "refused", "error": "The text is empty."},
    )
    html = ar.get(url).content.decode()
    assert "النص فارغ." in html and 'data-final="true"' in html


# --- Proposals -----------------------------------------------------------------------------


def proposal_data(claim: Claim, **changes: Any) -> dict[str, Any]:
    """The proposal form as the page fills it in, with `changes` on top."""
    appearance = claim.appearances.first()
    via = appearance.via if appearance else None
    quantities = list(claim.quantities.order_by("item", "id"))
    p = f"p{claim.pk}"
    data: dict[str, Any] = {
        f"{p}-version": claim.version,
        f"{p}-claimant": claim.claimant_id,
        f"{p}-stance": claim.stance,
        f"{p}-stated_at": claim.stated_at.isoformat() if claim.stated_at else "",
        f"{p}-event_start": claim.event_start.isoformat() if claim.event_start else "",
        f"{p}-event_end": claim.event_end.isoformat() if claim.event_end else "",
        f"{p}-places": [pl.pk for pl in claim.places.all()],
        f"{p}-via_publisher": via.publisher_id if via and via.publisher_id else "",
        f"{p}-via_url": via.canonical_url if via else "",
        f"{p}-reason": "",
        f"{p}-q-TOTAL_FORMS": len(quantities) + 1,
        f"{p}-q-INITIAL_FORMS": len(quantities),
        f"{p}-q-MIN_NUM_FORMS": 0,
        f"{p}-q-MAX_NUM_FORMS": 1000,
    }
    for i, q in enumerate(quantities):
        data |= {
            f"{p}-q-{i}-item": q.item,
            f"{p}-q-{i}-low": q.low,
            f"{p}-q-{i}-high": "" if q.high is None else q.high,
            f"{p}-q-{i}-qualifier": q.qualifier,
        }
    return data | {f"{p}-{k}": v for k, v in changes.items()}


@pytest.mark.django_db
def test_an_editor_corrects_a_proposal_and_accepts_it_into_review(role_users):
    editor = role_users["editor"]
    result = proposals_from()
    claim = result.claims[0]
    centcom = cast(Actor, ActorFactory(name="US Central Command", kind="military"))
    wire = cast(Actor, ActorFactory(name="Agence France-Presse", kind="wire"))
    places = set(claim.places.all())
    data = proposal_data(
        claim,
        claimant=centcom.pk,
        event_start="2025-11-18",
        event_end="2025-11-24",
        via_publisher=wire.pk,
        reason="The ministry spoke through AFP; CENTCOM made the claim.",
        **{"q-0-low": 13, "q-0-high": 13, "q-1-item": "killed", "q-1-low": 2, "q-1-high": 2},
    )
    url = reverse("claims:proposal", args=[result.source.pk, claim.pk])
    response = client_for(editor).post(url, data | {"action": "accept"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    claim.refresh_from_db()
    assert claim.state == "in_review" and claim.claimant == centcom
    assert (claim.event_start, claim.event_end) == (dt.date(2025, 11, 18), dt.date(2025, 11, 24))
    assert sorted(claim.quantities.values_list("item", "low", "high")) == [
        ("captured", 13, 13),
        ("killed", 2, 2),
    ]
    assert set(claim.places.all()) == places
    via = claim.appearances.get().via
    assert via.publisher == wire and via.is_placeholder
    history = list(claim.history.order_by("history_date", "history_id"))
    assert [h.history_change_reason for h in history[-2:]] == [
        "The ministry spoke through AFP; CENTCOM made the claim.",
        "Proposal accepted after ingestion",
    ]
    assert {h.history_user for h in history[-2:]} == {editor}
    queue = client_for(editor).get(reverse("claims:queue"), {"state": "in_review"})
    assert claim in queue.context["page"].object_list


@pytest.mark.django_db
def test_saving_a_proposal_keeps_it_a_proposal_and_unchanged_forms_need_no_reason(role_users):
    result = proposals_from()
    claim = result.claims[0]
    url = reverse("claims:proposal", args=[result.source.pk, claim.pk])
    client = client_for(role_users["editor"])
    assert client.post(url, proposal_data(claim) | {"action": "save"}).status_code == 302
    after = Claim.objects.get(pk=claim.pk)
    assert (after.version, after.state) == (claim.version, "new")
    response = client.post(
        url, proposal_data(claim, stance="denies", reason="It is a denial.") | {"action": "save"}
    )
    assert response.status_code == 302
    after = Claim.objects.get(pk=claim.pk)
    assert (after.stance, after.state, after.version) == ("denies", "new", claim.version + 1)


@pytest.mark.django_db
def test_a_correction_without_a_reason_or_with_a_bad_quantity_is_refused_and_changes_nothing(
    role_users,
):
    result = proposals_from()
    claim = result.claims[0]
    url = reverse("claims:proposal", args=[result.source.pk, claim.pk])
    client = client_for(role_users["editor"])
    response = client.post(url, proposal_data(claim, stance="denies") | {"action": "accept"})
    assert response.status_code == 400
    assert "A reason is required for every change to a claim." in response.content.decode()
    response = client.post(
        url, proposal_data(claim, reason="x", **{"q-0-high": 5}) | {"action": "save"}
    )
    assert response.status_code == 400
    assert "The high bound is below the low bound." in response.content.decode()
    after = Claim.objects.get(pk=claim.pk)
    assert (after.stance, after.state, after.version) == (claim.stance, "new", claim.version)
    assert list(after.quantities.values_list("low", "high")) == [(12, 12)]


@pytest.mark.django_db
def test_a_stale_correction_gets_409_keeps_the_input_and_overwrites_nothing(role_users):
    result = proposals_from()
    claim = result.claims[0]
    url = reverse("claims:proposal", args=[result.source.pk, claim.pk])
    first, second = client_for(role_users["editor"]), client_for(role_users["admin"])
    loaded = proposal_data(claim)
    assert (
        first.post(
            url, loaded | {f"p{claim.pk}-stance": "denies", f"p{claim.pk}-reason": "First"}
        ).status_code
        == 302
    )
    response = second.post(
        url,
        loaded
        | {f"p{claim.pk}-stance": "admits", f"p{claim.pk}-reason": "Mine", "action": "accept"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this claim after you opened it." in html
    assert "Mine</textarea>" in html
    assert f'name="p{claim.pk}-version" value="{claim.version + 1}"' in html
    after = Claim.objects.get(pk=claim.pk)
    assert (after.stance, after.state) == ("denies", "new")


@pytest.mark.django_db
def test_accept_all_moves_every_shown_proposal_into_review_with_history(role_users):
    result = proposals_from(TWO_CLAIMS)
    assert len(result.claims) == 2
    client = client_for(role_users["editor"])
    page = client.get(reverse("claims:proposals", args=[result.source.pk])).content.decode()
    assert "Accept all 2 proposals as they stand" in page
    response = client.post(
        reverse("claims:accept_all", args=[result.source.pk]),
        {"claims": [c.pk for c in result.claims]},
        follow=True,
    )
    assert "2 claims accepted; they are now in review." in response.content.decode()
    assert set(
        Claim.objects.filter(pk__in=[c.pk for c in result.claims]).values_list("state", flat=True)
    ) == {"in_review"}
    assert "No proposal is waiting for review in this source." in response.content.decode()
    # Accepting again is refused as a whole.
    again = client.post(
        reverse("claims:accept_all", args=[result.source.pk]),
        {"claims": [c.pk for c in result.claims]},
        follow=True,
    )
    assert "Some of these proposals were already accepted" in again.content.decode()


@pytest.mark.django_db
def test_rejecting_a_proposal_needs_a_reason_and_leaves_it_in_history_only(role_users):
    editor = role_users["editor"]
    result = proposals_from(TWO_CLAIMS)
    claim, other = result.claims
    url = reverse("claims:proposal", args=[result.source.pk, claim.pk])
    client = client_for(editor)
    refused = client.post(url, proposal_data(claim) | {"action": "reject"})
    assert refused.status_code == 400
    assert "A reason is required to reject a proposal." in refused.content.decode()
    assert Claim.objects.filter(pk=claim.pk).exists()
    response = client.post(
        url, proposal_data(claim, reason="Not a claim: a headline.") | {"action": "reject"}
    )
    assert response.status_code == 302
    assert not Claim.objects.filter(pk=claim.pk).exists()
    gone = Claim.history.filter(id=claim.pk).order_by("-history_date").first()
    assert gone.history_type == "-" and gone.history_user == editor
    assert gone.history_change_reason == "Proposal rejected: Not a claim: a headline."
    # The source and the other proposal stay; ingesting the text again does not bring it back.
    assert Claim.objects.filter(pk=other.pk, state="new").exists()
    again = proposals_from(TWO_CLAIMS)
    assert [c.pk for c in again.claims] == [other.pk]
    page = client.get(reverse("claims:proposals", args=[result.source.pk]))
    assert [c.pk for c, _ in page.context["pending"]] == [other.pk]


@pytest.mark.django_db
def test_an_accepted_claim_can_no_longer_be_rejected_or_corrected_here(role_users):
    result = proposals_from()
    claim = result.claims[0]
    client = client_for(role_users["editor"])
    url = reverse("claims:proposal", args=[result.source.pk, claim.pk])
    client.post(url, proposal_data(claim) | {"action": "accept"})
    response = client.post(url, proposal_data(claim, reason="late") | {"action": "reject"})
    assert response.status_code == 400
    assert "Only proposals not yet accepted can be rejected." in response.content.decode()
    assert Claim.objects.get(pk=claim.pk).state == "in_review"


@pytest.mark.django_db
def test_claims_not_proposed_by_ingestion_can_be_accepted_here_but_not_rejected(seeded, role_users):
    article = Source.objects.get(slug=ARTICLE)
    claim = Claim.objects.get(slug=ISIS_HOMS)
    client = client_for(role_users["editor"])
    page = client.get(reverse("claims:proposals", args=[article.pk])).content.decode()
    assert f'id="proposal-{claim.pk}"' in page and 'value="reject"' not in page
    url = reverse("claims:proposal", args=[article.pk, claim.pk])
    response = client.post(url, proposal_data(claim, reason="Not mine") | {"action": "reject"})
    assert response.status_code == 400
    assert "Only claims proposed by ingestion can be rejected." in response.content.decode()
    assert Claim.objects.filter(pk=claim.pk, state="new").exists()


@pytest.mark.django_db
def test_the_queue_has_no_duplicate_ids_so_every_label_names_one_control(seeded, role_users):
    html = client_for(role_users["editor"]).get(reverse("claims:queue")).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'for="bulk_state"' in html and 'id="bulk_state"' in html


# --- Arabic --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_new_pages_are_translated_in_arabic(pages, role_users):
    client = arabic_client(role_users["editor"])
    ingest = client.get(reverse("claims:ingest")).content.decode()
    assert '<html lang="ar" dir="rtl">' in ingest
    assert "إدخال مصدر" in ingest and "الصق نصاً" in ingest
    assert "Paste a text" not in ingest
    actor = client.get(pages["actor"]).content.decode()
    assert "الأحكام على ادعاءاته" in actor and "Verdicts on its claims" not in actor
    event = client.get(pages["event"]).content.decode()
    assert "كل الادعاءات حول هذا الحدث" in event and "الأعداد" in event
    source = client.get(pages["source"]).content.decode()
    assert "ما يستشهد به" in source and "المصادر التي تستشهد به" in source
    result = proposals_from()
    proposals = client.get(reverse("claims:proposals", args=[result.source.pk])).content.decode()
    assert "قبول للمراجعة" in proposals and "رفض" in proposals


# --- Query counts --------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def claim_with(appearances: int, flags: int, reviews: int) -> Claim:
    claim = cast(
        Claim, ClaimFactory(event=Event.objects.create(slug=f"e{uuid.uuid4().hex[:6]}", title="E"))
    )
    other = cast(Claim, ClaimFactory(event=claim.event))
    QuantityFactory(claim=claim, item="killed", low=15, high=15)
    QuantityFactory(claim=other, item="killed", low=30, high=30)
    for _ in range(appearances):
        AppearanceFactory(claim=claim, via=SourceFactory())
        AppearanceFactory(claim=other)
    kinds = ["quantity_conflict", "single_root", "date_conflict", "denial", "partisan_only"]
    for kind in kinds[:flags]:
        flag = cast(Flag, FlagFactory(kind=kind))
        flag.claims.add(claim, other)
    for _ in range(reviews):
        ReviewFactory(claim=claim, reviewer=UserFactory())
    return claim


@pytest.mark.django_db
def test_the_claim_page_takes_the_same_number_of_queries_whatever_its_size(role_users):
    small, large = claim_with(2, 1, 0), claim_with(10, 5, 5)
    quiet = claim_with(3, 0, 2)
    FlagFactory(kind="single_root").claims.add(quiet)
    client = client_for(role_users["editor"])
    # Expect 16 queries: session, user, permissions (one); the claim with claimant, parent, event
    # and assignee, then its places, quantities and appearances with sources, vias and
    # publishers (the chain is drawn from them); reviews with reviewers; open flags, their
    # claims and those claims' quantities, places and appearances; the actor hierarchy for the
    # chain; the claimant's track record; the history. Without a conflict among its flags, the
    # four queries for the claims side by side are not made.
    counts = [
        count_queries(client, reverse("claims:claim", args=[c.pk])) for c in (small, large, quiet)
    ]
    assert counts == [16, 16, 12]


@pytest.mark.django_db
def test_the_actor_event_source_and_proposals_pages_take_a_constant_number_of_queries(
    role_users,
):
    client = client_for(role_users["editor"])
    measured: dict[str, list[int]] = {}
    for size in (2, 10):
        event = make_event(size)
        actor = Claim.objects.filter(event=event).first().claimant
        for claim in Claim.objects.filter(event=event):
            claim.claimant = actor
            claim.save()
        source = cast(Source, SourceFactory())
        for claim in Claim.objects.filter(event=event):
            AppearanceFactory(claim=claim, source=source, via=SourceFactory())
            AppearanceFactory(claim=claim, via=source)
        result = proposals_from(TWO_CLAIMS if size == 10 else WIRE, publisher=f"P{size}")
        for name, url in [
            ("actor", reverse("claims:actor", args=[actor.slug])),
            ("event", reverse("claims:event", args=[event.pk])),
            ("source", reverse("claims:source", args=[source.pk])),
            ("proposals", reverse("claims:proposals", args=[result.source.pk])),
        ]:
            measured.setdefault(name, []).append(count_queries(client, url))
    # Expect, after session, user and permissions (3): actor 7 (actor, hierarchy, children,
    # verdicts, page count, claims with events, their open flags); event 7 (event, its
    # places, claims with claimants, quantities, places, appearances with sources, open flags);
    # source 4 (source with publisher, appearances with claims and vias, what cites it, open
    # flags); proposals 8 (source, claims, quantities, places, appearances, which of them
    # ingestion proposed, the actor and place options).
    assert measured == {
        "actor": [10, 10],
        "event": [10, 10],
        "source": [7, 7],
        "proposals": [11, 11],
    }


@pytest.mark.django_db
def test_the_queue_shows_each_kind_of_open_flag_once_with_its_number_and_worst_severity(
    role_users,
):
    claim = cast(Claim, ClaimFactory())
    for severity in ("minor", "major", "minor"):
        FlagFactory(kind="date_conflict", severity=severity).claims.add(claim)
    FlagFactory(kind="single_root", severity="info").claims.add(claim)
    FlagFactory(kind="denial", severity="critical", state="resolved").claims.add(claim)
    quiet = cast(Claim, ClaimFactory())

    html = client_for(role_users["viewer"]).get(reverse("claims:queue")).content.decode()

    rows = dict(
        re.findall(r'<tr class="queue-row" data-href="/claims/(\d+)/">(.*?)</tr>', html, re.S)
    )
    assert re.findall(r'<span class="flag[^"]*">[^<]*</span>', rows[str(claim.pk)]) == [
        '<span class="flag severity-major">Date conflict ×3</span>',
        '<span class="flag severity-info">Single root (circular reporting)</span>',
    ]
    assert "<td>—</td>" in rows[str(quiet.pk)]


def test_arabic_pages_name_actors_in_arabic_and_english_pages_in_english(seeded, role_users):
    claim = Claim.objects.get(slug=ISIS_HOMS)
    arabic_name = claim.claimant.name_ar
    assert arabic_name and arabic_name != claim.claimant.name

    queue_ar = arabic_client(role_users["editor"]).get("/claims/").content.decode()
    queue_en = client_for(role_users["editor"]).get("/claims/").content.decode()
    assert f"<bdi>{arabic_name}</bdi>" in queue_ar
    assert f"<bdi>{claim.claimant.name}</bdi>" in queue_en
    assert f"<bdi>{arabic_name}</bdi>" not in queue_en

    headline = re.compile(r"<h1>(.*?)</h1>", re.S)
    page_ar = arabic_client(role_users["editor"]).get(f"/claims/{claim.pk}/").content.decode()
    page_en = client_for(role_users["editor"]).get(f"/claims/{claim.pk}/").content.decode()
    assert arabic_name in headline.search(page_ar).group(1)
    assert claim.claimant.name in headline.search(page_en).group(1)
