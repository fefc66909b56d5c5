"""Hostile input, end to end (issue 8): markup and bidi tricks in every text field stay inert on
every page, feed and API answer; every form and session-authenticated API write needs its CSRF
token; URLs aimed at private addresses are refused on every path that fetches or posts; bodies
that are too large, malformed or full of NULs and lone surrogates are refused with a clear 4xx;
SQL fragments in filters change nothing; and Unicode look-alikes neither log anyone in as someone
else nor defeat Arabic search. Whatever is refused leaves the database as it was."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern
from django.utils import timezone
from rest_framework.authtoken.models import Token

from claims import services
from claims.models import (
    Actor,
    Appearance,
    Claim,
    Event,
    Flag,
    Place,
    Quantity,
    Review,
    Source,
)
from tracker.demo import DEMO_PASSWORD

# Every test runs in a savepoint inside the module's world (see `world`).
pytestmark = pytest.mark.django_db

# --- Payloads ---------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SINGLE_QUOTED = "' onmouseover='alert(1)' x='"
# Closes a JSON-LD (or any) script element and opens one of its own.
CLOSE_SCRIPT = "</script><script>alert(1)</script><!--"
JAVASCRIPT_URL = "javascript:alert(1)"
# Arabic with a right-to-left override, an isolate pair, zero-width space and a right-to-left mark.
ARABIC_BIDI = "بيان \u202eكاذب\u202c \u2066معزول\u2069 صفر\u200bعرض\u200f <b>تجربة</b>"
PAYLOADS = {
    "script": SCRIPT,
    "img-onerror": IMG,
    "single-quoted attribute": SINGLE_QUOTED,
    "closing script": CLOSE_SCRIPT,
    "javascript url": JAVASCRIPT_URL,
    "arabic bidi": ARABIC_BIDI,
}
# Every text field gets all of them at once; fields too short for that get the short ones.
EVERYTHING = " ".join(PAYLOADS.values())
SHORT = IMG  # fits verb (60), qualifier (60) and item (100)
REASON = f"{IMG} {ARABIC_BIDI}"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


# --- The hostile world ------------------------------------------------------------------------


@dataclass
class World:
    admin: Any
    editor: Any
    reviewer: Any
    place: Place
    claimant: Actor
    publisher: Actor
    source: Source
    upstream: Source
    javascript_source: Source
    event: Event
    published: Claim
    proposed: Claim
    review: Review
    open_flag: Flag
    dismissed_flag: Flag
    percent: Claim
    underscore: Claim


def build_world() -> World:
    services.ensure_roles_and_demo_users()
    users = get_user_model()._default_manager
    admin, editor, reviewer = (
        users.get(username=f"demo-{r}") for r in ("admin", "editor", "reviewer")
    )
    place = Place.objects.create(
        ref="test:hostile-place",
        name=EVERYTHING,
        name_ar=EVERYTHING,
        aliases=[EVERYTHING],
        kind=Place.Kind.TOWN,
        origin=EVERYTHING,
    )
    claimant = Actor.objects.create(
        slug="hostile-claimant",
        name=EVERYTHING,
        name_ar=EVERYTHING,
        aliases=[EVERYTHING],
        kind=Actor.Kind.ARMED_GROUP,
        side=SHORT,
        domains=[EVERYTHING],
        party_to_conflict=True,
    )
    publisher = Actor.objects.create(
        slug="hostile-publisher", name=EVERYTHING, name_ar=EVERYTHING, kind=Actor.Kind.MEDIA
    )
    upstream = Source.objects.create(
        slug="hostile-upstream",
        publisher=publisher,
        is_placeholder=True,
        kind=Source.Kind.STATEMENT,
        published_at=timezone.now() - dt.timedelta(days=2),
    )
    source = Source.objects.create(
        slug="hostile-source",
        # Quotes and angle brackets inside an http URL must stay inside its href.
        canonical_url=f"https://news.example/{IMG}{SINGLE_QUOTED}",
        archive_url=f"https://archive.example/{SCRIPT}",
        publisher=publisher,
        author=EVERYTHING,
        title=EVERYTHING,
        text=EVERYTHING,
        last_check_error=EVERYTHING[:300],
        published_at=timezone.now() - dt.timedelta(days=1),
    )
    # A row older than the URL checks (or written by hand): it must never become a link.
    javascript_source = Source.objects.create(
        slug="hostile-javascript-source",
        canonical_url=JAVASCRIPT_URL,
        archive_url=JAVASCRIPT_URL,
        publisher=publisher,
        title="",
    )
    event = Event.objects.create(slug="hostile-event", title=EVERYTHING, title_ar=EVERYTHING)
    event.places.add(place)

    def claim(slug: str, **fields: Any) -> Claim:
        values = {
            "claimant": claimant,
            "language": "ar",
            "text": EVERYTHING,
            "text_en": EVERYTHING,
            "text_ar": EVERYTHING,
            "tags": [EVERYTHING],
            "event": event,
            "stated_at": dt.date(2025, 11, 27),
        }
        made = Claim.objects.create(slug=slug, **(values | fields))
        made.places.add(place)
        return made

    published = claim("hostile-published", priority=1000.0)
    proposed = claim("hostile-proposed", priority=999.0)
    for made in (published, proposed):
        Appearance.objects.create(
            claim=made, source=source, via=upstream, quote=EVERYTHING, verb=SHORT
        )
        Appearance.objects.create(
            claim=made, source=javascript_source, quote=EVERYTHING, verb=SHORT
        )
        Quantity.objects.create(
            claim=made, item=SHORT, low=5, high=10, qualifier=SHORT, text=EVERYTHING[:300]
        )
    # A change reason is shown in the history (UI and admin).
    services.update_claim(
        claim_id=published.pk,
        expected_version=published.version,
        changes={"text_en": EVERYTHING + " (edited)"},
        by=editor,
        reason=REASON,
    )
    review = Review.objects.create(
        claim=published,
        verdict=Claim.Verdict.FALSE,
        rationale=EVERYTHING,
        evidence_links=[JAVASCRIPT_URL, f"https://evidence.example/{IMG}"],
        language="ar",
        reviewer=editor,
        published=True,
        published_at=timezone.now(),
        published_by=reviewer,
    )
    Claim.objects.filter(pk=published.pk).update(
        state=Claim.State.PUBLISHED, verdict=Claim.Verdict.FALSE
    )
    open_flag = Flag.objects.create(
        kind=Flag.Kind.PARTISAN_ONLY, fingerprint="hostile-open", detail=EVERYTHING
    )
    dismissed_flag = Flag.objects.create(
        kind=Flag.Kind.SINGLE_ROOT,
        fingerprint="hostile-dismissed",
        detail=EVERYTHING,
        state=Flag.State.DISMISSED,
        dismissed_reason=EVERYTHING,
    )
    for flag in (open_flag, dismissed_flag):
        flag.claims.add(published, proposed)
        flag.sources.add(source)
    # Literal LIKE wildcards, for the filter tests.
    percent = claim("wildcard-percent", text="سقط 50% من المقاتلين", text_en="50% of the fighters")
    underscore = claim("wildcard-underscore", text="الوسم abc_def", text_en="tag abc_def")
    return World(
        admin=admin,
        editor=editor,
        reviewer=reviewer,
        place=place,
        claimant=claimant,
        publisher=publisher,
        source=source,
        upstream=upstream,
        javascript_source=javascript_source,
        event=event,
        published=Claim.objects.get(pk=published.pk),
        proposed=proposed,
        review=review,
        open_flag=open_flag,
        dismissed_flag=dismissed_flag,
        percent=percent,
        underscore=underscore,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module inside a transaction that is rolled back at its end; each test
    runs in a savepoint of its own inside it, so nothing a test writes reaches the next one."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # Before conftest's per-test fast hashing applies: the demo users' real PBKDF2
            # would cost seconds each.
            with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
                world = build_world()
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    # Throttle counters and the login lockout live in the cache, which outlives a rollback.
    cache.clear()


def client_for(user: Any, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def token_for(user: Any) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return f"Token {token.key}"


def database_state() -> dict[str, int]:
    """Row counts of every table and the sum of claim versions: a refused request changes none."""
    state = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    state["claim versions"] = sum(Claim.objects.values_list("version", flat=True))
    state["open flags"] = Flag.objects.filter(state=Flag.State.OPEN).count()
    state["published reviews"] = Review.objects.filter(published=True).count()
    # Sessions, API tokens and axes' records change with log-ins; they are not data.
    for volatile in (
        "sessions.Session",
        "authtoken.Token",
        "authtoken.TokenProxy",
        "axes.AccessAttempt",
        "axes.AccessLog",
        "axes.AccessFailureLog",
    ):
        state.pop(volatile, None)
    return state


# --- What a page may contain ------------------------------------------------------------------


class Inspection(HTMLParser):
    """What a browser would run or follow on a page: script elements, event-handler attributes,
    injected images (markup), links and form targets with a javascript: URL (links); and the
    page's title and text as a reader sees them."""

    URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "poster"})
    DATA_SCRIPTS = frozenset({"application/ld+json", "application/json"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.markup: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.attribute_values: list[str] = []
        self.titles: list[str] = []
        self.json_blocks: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {name: value or "" for name, value in attrs}
        for name, value in named.items():
            self.attribute_values.append(value)
            if name.startswith("on"):
                self.markup.append(f"<{tag} {name}={value!r}>")
            # Browsers drop whitespace and control characters inside a scheme.
            scheme = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name in self.URL_ATTRIBUTES and scheme.startswith(("javascript:", "vbscript:")):
                self.links.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and named.get("src") == "x":
            self.markup.append("an injected <img src=x>")
        if tag == "script":
            if named.get("type", "").lower() in self.DATA_SCRIPTS:
                self._in.append("json")
            else:
                if not named.get("src", "").startswith("/"):
                    self.markup.append(f"an inline or foreign script {named}")
                self._in.append("script")
        elif tag == "title":
            self._in.append("title")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "title") and self._in:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        where = self._in[-1] if self._in else ""
        if where == "json":
            self.json_blocks.append(data)
        elif where == "title":
            self.titles.append(data)
        elif where != "script":
            self.text.append(data)


def inspect_html(html: str) -> Inspection:
    inspection = Inspection()
    inspection.feed(html)
    inspection.close()
    return inspection


def assert_inert_html(
    html: str, where: str, *, shows: tuple[str, ...] = (EVERYTHING,)
) -> Inspection:
    page = inspect_html(html)
    assert not page.markup, f"{where}: {page.markup}"
    shown = "".join(page.text) + "".join(page.attribute_values)
    for expected in shows:
        assert expected in shown, f"{where} does not show the stored text as text: {expected!r}"
    for block in page.json_blocks:
        json.loads(block)  # a data block that still parses was not broken out of
    return page


# --- Pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[World], str]
    kind: str = "html"  # html, api, feed, atom, public
    shows: tuple[str, ...] = (EVERYTHING,)
    data: Callable[[World], dict[str, Any]] | None = None  # POSTed when given
    status: int = 200


ADMIN_MODELS = ("claim", "actor", "source", "event", "place", "review", "flag")


def admin_url(model: str, suffix: str) -> Callable[[World], str]:
    def url(w: World) -> str:
        ids = {
            "claim": w.published.pk,
            "actor": w.claimant.pk,
            "source": w.source.pk,
            "event": w.event.pk,
            "place": w.place.pk,
            "review": w.review.pk,
            "flag": w.dismissed_flag.pk,
        }
        if suffix == "list":
            return f"/admin/claims/{model}/"
        if suffix == "search":
            return f"/admin/claims/{model}/?" + urllib.parse.urlencode({"q": EVERYTHING})
        return f"/admin/claims/{model}/{ids[model]}/{suffix}"

    return url


NOTHING_STORED: tuple[str, ...] = ()
SEARCHED = "?" + urllib.parse.urlencode({"q": EVERYTHING})

PAGES = [
    Page("dashboard", lambda w: "/"),
    Page("queue", lambda w: "/claims/"),
    Page("queue searched", lambda w: "/claims/" + SEARCHED, shows=NOTHING_STORED),
    Page("claim page, published", lambda w: f"/claims/{w.published.pk}/"),
    Page("claim page, proposed", lambda w: f"/claims/{w.proposed.pk}/"),
    Page("actor page, claimant", lambda w: f"/actors/{w.claimant.slug}/"),
    Page("actor page, publisher", lambda w: f"/actors/{w.publisher.slug}/"),
    Page("event page", lambda w: f"/events/{w.event.pk}/"),
    Page("source page", lambda w: f"/sources/{w.source.pk}/"),
    Page("source page, javascript url", lambda w: f"/sources/{w.javascript_source.pk}/"),
    Page("proposals page", lambda w: f"/sources/{w.source.pk}/proposals/"),
    Page(
        "ingest form sent back",
        lambda w: "/ingest/",
        data=lambda w: {
            "text": EVERYTHING,
            "fetch_url": "https://news.example/a",
            "publisher": EVERYTHING,
        },
        status=400,
    ),
    Page(
        "claim edit form sent back",
        lambda w: f"/claims/{w.published.pk}/edit/",
        data=lambda w: {
            "edit-text_en": EVERYTHING,
            "edit-stance": "asserts",
            "edit-version": str(w.published.version),
            "edit-reason": "",
        },
        status=400,
    ),
    *(Page(f"admin {m} list", admin_url(m, "list")) for m in ADMIN_MODELS),
    Page("admin claim search", admin_url("claim", "search"), shows=NOTHING_STORED),
    *(Page(f"admin {m} change", admin_url(m, "change/")) for m in ADMIN_MODELS),
    Page("admin claim history", admin_url("claim", "history/"), shows=(REASON,)),
    Page("admin review history", admin_url("review", "history/"), shows=NOTHING_STORED),
    Page("api claims", lambda w: "/api/v1/claims/", kind="api"),
    Page("api claim", lambda w: f"/api/v1/claims/{w.published.pk}/", kind="api"),
    Page("api sources", lambda w: "/api/v1/sources/", kind="api"),
    Page("api actors", lambda w: "/api/v1/actors/", kind="api"),
    Page("api events", lambda w: "/api/v1/events/", kind="api"),
    Page("api flags", lambda w: "/api/v1/flags/", kind="api"),
    Page("api reviews", lambda w: "/api/v1/reviews/", kind="api"),
    Page("claimreview feed", lambda w: "/feeds/claimreview.json", kind="feed"),
    Page("atom feed", lambda w: "/feeds/claims.atom", kind="atom"),
    Page("public claim page", lambda w: f"/c/{w.published.pk}/", kind="public"),
]
HTML_PAGES = [p for p in PAGES if p.kind in ("html", "public")]


def strings_in(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from strings_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings_in(value)


# Each page is rendered once per module: the world does not change between tests (each test's
# writes are rolled back), and three tests read every page.
_rendered: dict[tuple[int, str], tuple[Any, bytes]] = {}


def fetch(page: Page, world: World) -> tuple[Any, bytes]:
    key = (id(world), page.name)
    if key not in _rendered:
        _rendered[key] = _fetch(page, world)
    return _rendered[key]


def _fetch(page: Page, world: World) -> tuple[Any, bytes]:
    if page.kind == "api":
        client = Client(HTTP_AUTHORIZATION=token_for(world.admin))
        # A browser asking for HTML still gets JSON: the API has no HTML rendering.
        response = client.get(page.url(world), HTTP_ACCEPT="text/html,application/json")
    elif page.kind in ("feed", "atom", "public"):
        response = Client().get(page.url(world))
    elif page.data is not None:
        response = client_for(world.admin).post(page.url(world), page.data(world))
    else:
        response = client_for(world.admin).get(page.url(world))
    assert response.status_code == page.status, f"{page.name}: {response.status_code}"
    return response, response.getvalue()  # the streamed feed too


@pytest.mark.parametrize("view", PAGES, ids=[p.name for p in PAGES])
def test_hostile_text_stays_inert_on_every_page_feed_and_api_answer(
    world: World, view: Page
) -> None:
    response, raw = fetch(view, world)
    where = f"{view.name} ({view.url(world)})"
    body = raw.decode()
    content_type = response["Content-Type"]

    if view.kind == "html":
        assert content_type.startswith("text/html"), where
        assert_inert_html(body, where, shows=view.shows)
    elif view.kind == "api":
        assert content_type.startswith("application/json"), where
        assert response["X-Content-Type-Options"] == "nosniff", where
        # Stored as written and returned as written: escaping is the renderer's job.
        assert EVERYTHING in set(strings_in(json.loads(body))), where
    elif view.kind == "feed":
        assert content_type.startswith("application/ld+json"), where
        assert not BIDI_CONTROLS.search(body), "bidi controls are escaped as \\uXXXX in the feed"
        data = json.loads(body)
        assert EVERYTHING in set(strings_in(data)), where
        assert JAVASCRIPT_URL not in {s.strip() for s in strings_in(data)}, "a javascript: URL"
    elif view.kind == "atom":
        atom = "{http://www.w3.org/2005/Atom}"
        entries = ET.fromstring(raw).findall(f"{atom}entry")  # noqa: S314 (our own feed)
        assert entries, where
        for entry in entries:
            title = entry.findtext(f"{atom}title") or ""
            assert not BIDI_CONTROLS.search(title), f"bidi control in an Atom title: {title!r}"
            summary = entry.find(f"{atom}summary")
            assert summary is not None and summary.get("type") == "html"
            # What a feed reader renders: the summary's text, read as HTML.
            summary_view = assert_inert_html(summary.text or "", f"{where} summary")
            assert not summary_view.links, where
            for link in entry.findall(f"{atom}link"):
                assert not link.get("href", "").startswith("javascript:"), where
    else:
        page = assert_inert_html(body, where)
        assert len(page.json_blocks) == 1, "exactly one JSON-LD block"
        assert "<" not in page.json_blocks[0], "the JSON-LD escapes < so nothing can close it"
        assert EVERYTHING in set(strings_in(json.loads(page.json_blocks[0]))), where


@pytest.mark.parametrize("view", HTML_PAGES, ids=[p.name for p in HTML_PAGES])
def test_a_stored_javascript_url_never_becomes_a_link(world: World, view: Page) -> None:
    _, body = fetch(view, world)
    assert not inspect_html(body.decode()).links


@pytest.mark.parametrize("view", HTML_PAGES, ids=[p.name for p in HTML_PAGES])
def test_bidi_controls_in_stored_text_never_reach_a_page_title(world: World, view: Page) -> None:
    _, body = fetch(view, world)
    for title in inspect_html(body.decode()).titles:
        assert not BIDI_CONTROLS.search(title), title


JAVASCRIPT_WAYS_IN: dict[str, Callable[[World], Any]] = {
    "verdict form, evidence link": lambda w: client_for(w.editor).post(
        f"/claims/{w.proposed.pk}/verdict/",
        {
            "verdict": "false",
            "rationale": "No",
            "evidence_links": JAVASCRIPT_URL,
            "version": w.proposed.version,
        },
    ),
    "api review, evidence link": lambda w: Client(HTTP_AUTHORIZATION=token_for(w.editor)).post(
        f"/api/v1/claims/{w.proposed.pk}/reviews/",
        {"verdict": "false", "rationale": "No", "evidence_links": [JAVASCRIPT_URL]},
        content_type="application/json",
    ),
    "admin review, evidence link": lambda w: client_for(w.admin).post(
        "/admin/claims/review/add/",
        {
            "claim": w.proposed.pk,
            "verdict": "false",
            "rationale": "No",
            "language": "en",
            "evidence_links": json.dumps([JAVASCRIPT_URL]),
        },
    ),
    "admin source, url": lambda w: client_for(w.admin).post(
        "/admin/claims/source/add/",
        {"slug": "js", "canonical_url": JAVASCRIPT_URL, "kind": "article", "language": "ar"},
    ),
    "admin source, archive url": lambda w: client_for(w.admin).post(
        "/admin/claims/source/add/",
        {"slug": "js", "archive_url": JAVASCRIPT_URL, "kind": "article", "language": "ar"},
    ),
    "ingest form, address": lambda w: client_for(w.editor).post(
        "/ingest/", {"text": "Reuters said 12 people were arrested.", "url": JAVASCRIPT_URL}
    ),
    "proposal, via url": lambda w: client_for(w.editor).post(
        f"/sources/{w.source.pk}/proposals/{w.proposed.pk}/",
        {
            "action": "save",
            f"p{w.proposed.pk}-version": w.proposed.version,
            f"p{w.proposed.pk}-claimant": w.claimant.pk,
            f"p{w.proposed.pk}-stance": "asserts",
            f"p{w.proposed.pk}-via_url": JAVASCRIPT_URL,
            f"p{w.proposed.pk}-q-TOTAL_FORMS": "0",
            f"p{w.proposed.pk}-q-INITIAL_FORMS": "0",
        },
    ),
    "import, source url": lambda w: Client(HTTP_AUTHORIZATION=token_for(w.admin)).post(
        "/api/v1/import/",
        {
            "format": "claim-tracker",
            "version": 1,
            "sources": [{"slug": "js", "url": JAVASCRIPT_URL}],
        },
        content_type="application/json",
    ),
}


@pytest.mark.parametrize("way_in", JAVASCRIPT_WAYS_IN)
def test_every_way_in_refuses_a_javascript_url(world: World, way_in: str) -> None:
    before = database_state()

    response = JAVASCRIPT_WAYS_IN[way_in](world)

    # The admin shows its form again (200) with the error; everything else answers 400.
    assert response.status_code == (200 if way_in.startswith("admin") else 400), (
        response.status_code
    )
    if way_in.startswith("admin"):
        assert "errornote" in response.content.decode()
    assert database_state() == before


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.fixture
def tasks_run_inline() -> Iterator[None]:
    """Celery tasks sent during the test run at once in this process (the same task code a
    worker runs), so an ingest that gets through sends nothing to the broker."""
    from tracker.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = saved


def unpublished_review(world: World) -> Review:
    """A review of the proposed claim by the editor; the admin, not its author, may publish it."""
    from claims import workflow

    return workflow.record_review(
        claim_id=world.proposed.pk,
        verdict="false",
        rationale="Recorded for publishing",
        by=world.editor,
    )


# The POST each form of the UI would send; a route with no entry here is still checked with an
# empty form (a new route needs nothing else to be covered).
def ui_form(name: str, world: World) -> dict[str, Any]:
    proposed, version = world.proposed, world.proposed.version
    forms: dict[str, Callable[[], dict[str, Any]]] = {
        "bulk": lambda: {
            "claims": [proposed.pk],
            "action": "set_state",
            "state": "in_review",
            "rationale": "Checked",
        },
        "edit": lambda: {
            "edit-text_en": "Edited",
            "edit-stance": "asserts",
            "edit-version": version,
            "edit-reason": "Typo",
        },
        "verdict": lambda: {"verdict": "false", "rationale": "No", "version": version},
        "publish": lambda: {"review": unpublished_review(world).pk},
        "dismiss_flag": lambda: {f"flag{world.open_flag.pk}-reason": "Wrong"},
        "accept_all": lambda: {"claims": [proposed.pk]},
        "proposal": lambda: {"action": "reject", f"p{proposed.pk}-reason": "Not a claim"},
        "ingest": lambda: {"text": "Reuters said 12 people were arrested in al-Dumayr."},
    }
    return forms.get(name, dict)()


def ui_url(pattern: Any, world: World) -> str:
    from django.urls import reverse

    values = {
        "claim_id": world.proposed.pk,
        "flag_id": world.open_flag.pk,
        "source_id": world.source.pk,
        "event_id": world.event.pk,
        "key": world.claimant.slug,
        "task_id": "6f1c1a3e-1f0b-4c39-9c5e-0d6b8a1c2d3e",
    }
    wanted = set(pattern.pattern.converters)
    missing = wanted - set(values)
    assert not missing, f"give the CSRF test a value for {missing} of route {pattern.name}"
    return reverse(f"claims:{pattern.name}", kwargs={k: values[k] for k in wanted})


def _claims_routes() -> list[Any]:
    from claims import urls

    return list(urls.urlpatterns)


def csrf_token_of(client: Client) -> str:
    """A CSRF token this client's cookie agrees with, as a form on one of our pages gets it."""
    client.get("/accounts/login/")
    return str(client.cookies["csrftoken"].value)


def assert_refused_for_csrf(response: Any, where: str) -> None:
    assert response.status_code == 403, f"{where}: {response.status_code}"
    assert b"CSRF" in response.content, f"{where}: refused, but not for CSRF"


@pytest.mark.parametrize("route", _claims_routes(), ids=lambda r: r.name)
def test_every_ui_route_refuses_a_post_without_a_csrf_token_and_stores_nothing(
    world: World, route: Any, tasks_run_inline: None
) -> None:
    url = ui_url(route, world)
    data = ui_form(route.name, world)
    client = client_for(world.admin, csrf=True)
    before = database_state()

    assert_refused_for_csrf(client.post(url, data), url)
    assert database_state() == before

    # The same POST with the token gets past CSRF (to the view, which may still say no).
    data["csrfmiddlewaretoken"] = csrf_token_of(client)
    assert client.post(url, data).status_code != 403, url


@pytest.mark.parametrize(
    ("url", "data", "logged_in"),
    [
        ("/accounts/login/", {"username": "demo-admin", "password": DEMO_PASSWORD}, False),
        ("/accounts/logout/", {}, True),
        ("/i18n/setlang/", {"language": "ar", "next": "/"}, True),
        ("/admin/login/", {"username": "demo-admin", "password": DEMO_PASSWORD}, False),
        ("/admin/logout/", {}, True),
        (
            "/admin/password_change/",
            {"old_password": DEMO_PASSWORD, "new_password1": "x" * 20, "new_password2": "x" * 20},
            True,
        ),
    ],
    ids=["login", "logout", "language", "admin login", "admin logout", "admin password"],
)
def test_log_in_log_out_and_the_language_switch_need_a_csrf_token(
    world: World, url: str, data: dict[str, str], logged_in: bool
) -> None:
    client = client_for(world.admin, csrf=True) if logged_in else Client(enforce_csrf_checks=True)
    before = database_state()

    assert_refused_for_csrf(client.post(url, data), url)
    assert database_state() == before
    if logged_in:
        assert client.get("/claims/").status_code == 200, "still logged in, password unchanged"
    else:
        assert "_auth_user_id" not in client.session


def _admin_models() -> list[Any]:
    from django.contrib import admin

    return sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.mark.parametrize("model", _admin_models(), ids=lambda m: m._meta.label)
def test_every_admin_add_change_delete_and_action_needs_a_csrf_token(
    world: World, model: Any
) -> None:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    client = client_for(world.admin, csrf=True)
    row = model._default_manager.order_by("pk").first()
    posts: list[tuple[str, dict[str, Any]]] = [
        (f"{base}add/", {"name": "csrf", "slug": "csrf", "title": "csrf"}),
        (
            base,
            {
                "action": "delete_selected",
                "_selected_action": [row.pk] if row else [],
                "post": "yes",
            },
        ),
    ]
    if row is not None:
        posts += [
            (f"{base}{row.pk}/change/", {"name": "csrf"}),
            (f"{base}{row.pk}/delete/", {"post": "yes"}),
        ]
    before = database_state()

    for url, data in posts:
        assert_refused_for_csrf(client.post(url, data), url)
    assert database_state() == before


WRITES = ("post", "put", "patch", "delete")


def _api_write_routes() -> list[tuple[str, str]]:
    """(method, route name) of every write the API routes, found from its URL patterns, so a new
    endpoint is covered without editing this list."""
    from claims.api import urls

    routes = []
    for pattern in urls.urlpatterns:
        if not isinstance(pattern, URLPattern) or not pattern.name or pattern.name == "not-found":
            continue
        actions = getattr(pattern.callback, "actions", None)
        view_class = getattr(pattern.callback, "view_class", None)
        methods = (
            list(actions) if actions is not None else [m for m in WRITES if hasattr(view_class, m)]
        )
        routes += [(m, pattern.name) for m in methods if m in WRITES]
    return routes


def api_write(method: str, name: str, world: World) -> tuple[str, dict[str, Any], dict[str, str]]:
    """URL, a valid JSON body and headers of one API write."""
    from django.urls import reverse

    claim = world.proposed
    if name == "claim-detail":
        return (
            reverse("api:claim-detail", args=[claim.pk]),
            {"text_en": "Edited over the API", "reason": "Typo"},
            {"HTTP_IF_MATCH": f'W/"claim-{claim.pk}-v{claim.version}"'},
        )
    if name == "claim-reviews":
        return (
            reverse("api:claim-reviews", args=[claim.pk]),
            {"verdict": "false", "rationale": "No"},
            {},
        )
    if name == "flag-dismiss":
        return reverse("api:flag-dismiss", args=[world.open_flag.pk]), {"reason": "Wrong"}, {}
    if name == "review-publish":
        return reverse("api:review-publish", args=[unpublished_review(world).pk]), {}, {}
    if name == "import":
        document = {
            "format": "claim-tracker",
            "version": 1,
            "actors": [{"slug": "imported-actor", "name": "Imported", "kind": "media"}],
        }
        return reverse("api:import"), document, {}
    if name == "ingest":
        return (
            reverse("api:ingest"),
            {"text": "Reuters said 12 people were arrested in al-Dumayr."},
            {},
        )
    pytest.fail(f"give the hostile-input tests a body for the API's {method.upper()} {name}")


def send(client: Client, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body)
    return getattr(client, method)(url, raw, content_type="application/json", **headers)


def assert_error_shape(response: Any, status: int | tuple[int, ...], where: str) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (
        f"{where}: {response.status_code} {response.content[:300]!r}"
    )
    assert response["Content-Type"].startswith("application/json"), where
    error = json.loads(response.content)["error"]
    assert set(error) <= {"code", "message", "fields"} and error["message"], where
    return dict(error)


@pytest.mark.parametrize(("method", "name"), _api_write_routes(), ids=lambda v: str(v))
def test_a_session_authenticated_api_write_needs_the_csrf_token(
    world: World, method: str, name: str, tasks_run_inline: None
) -> None:
    url, body, headers = api_write(method, name, world)
    client = client_for(world.admin, csrf=True)
    before = database_state()

    error = assert_error_shape(send(client, method, url, body, headers), 403, url)
    assert "CSRF" in error["message"]
    assert database_state() == before

    headers["HTTP_X_CSRFTOKEN"] = csrf_token_of(client)
    assert send(client, method, url, body, headers).status_code in (200, 201, 202), url


@pytest.mark.parametrize(("method", "name"), _api_write_routes(), ids=lambda v: str(v))
def test_a_token_authenticated_api_write_needs_no_csrf_token(
    world: World, method: str, name: str, tasks_run_inline: None
) -> None:
    url, body, headers = api_write(method, name, world)
    # A browser's session cookie alongside the token changes nothing: the token authenticates.
    client = client_for(world.admin, csrf=True)
    headers["HTTP_AUTHORIZATION"] = token_for(world.admin)
    before = database_state()

    response = send(client, method, url, body, headers)

    assert response.status_code in (200, 201, 202), f"{url}: {response.content[:300]!r}"
    assert database_state() != before


# --- SSRF ---------------------------------------------------------------------------------------

PUBLIC_IP = "93.184.216.34"
# Every way of writing a non-public address that a URL can carry, and what the refusal says.
PRIVATE_URLS = [
    ("http://127.0.0.1/a", "loopback"),
    ("http://localhost/a", "loopback"),
    ("http://10.1.2.3/a", "private"),
    ("http://172.16.0.1/a", "private"),
    ("http://192.168.1.1/a", "private"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://[::1]/a", "loopback"),
    ("http://[::ffff:127.0.0.1]/a", "embedding 127.0.0.1"),
    ("http://0.0.0.0/a", "unspecified"),
    ("http://2130706433/a", "loopback"),  # decimal 127.0.0.1
    ("http://0177.0.0.1/a", "loopback"),  # octal
    ("http://0x7f000001/a", "loopback"),  # hex
]


def source_and_claim_counts() -> tuple[int, int]:
    return Source.objects.count(), Claim.objects.count()


@pytest.mark.parametrize(("url", "why"), PRIVATE_URLS, ids=[u for u, _ in PRIVATE_URLS])
def test_the_ingest_task_refuses_a_private_address_and_stores_nothing(
    world: World, url: str, why: str
) -> None:
    from claims import tasks

    before = source_and_claim_counts()

    outcome = tasks.ingest_url.apply(args=[url], kwargs={"user_id": world.editor.pk}).get()

    assert outcome["status"] == "refused", outcome
    assert why in outcome["error"], outcome
    assert source_and_claim_counts() == before


# The odd decimal, octal and hex forms fail the URL syntax checks; the rest fail the static
# address check (fetching.check_url_to_fetch), before any task is queued.
@pytest.mark.parametrize("url", [u for u, _ in PRIVATE_URLS])
def test_the_ingest_api_and_form_refuse_a_private_address_at_once(
    world: World, url: str, tasks_run_inline: None
) -> None:
    before = source_and_claim_counts()
    api = Client(HTTP_AUTHORIZATION=token_for(world.editor))

    assert_error_shape(send(api, "post", "/api/v1/ingest/", {"url": url}, {}), 400, url)
    assert client_for(world.editor).post("/ingest/", {"fetch_url": url}).status_code == 400
    assert source_and_claim_counts() == before


@pytest.fixture
def local_site() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that redirects every request to a private address."""
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/internal")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_ingest_service_refuses_a_redirect_to_a_private_address(
    world: World, local_site: str
) -> None:
    from claims import ingestion
    from claims.fetching import FetchPolicy

    before = source_and_claim_counts()

    # The test-only allowance admits the local server on 127.0.0.1 and nothing else.
    with pytest.raises(
        ingestion.IngestError, match=r"redirect to http://10\.0\.0\.1/internal.*private"
    ):
        ingestion.ingest_url(url=f"{local_site}/story", policy=FetchPolicy(allow_loopback=True))
    assert source_and_claim_counts() == before


@dataclass
class Network:
    looked_up: list[str]
    connected_to: list[Any]


@pytest.fixture
def rebinding_dns(monkeypatch: pytest.MonkeyPatch) -> Network:
    """A resolver that answers a public address the first time and 127.0.0.1 after (DNS
    rebinding), and a network where the public address refuses connections. fetching.py has no
    resolver of its own to substitute: it calls socket.getaddrinfo, which is replaced here."""
    import socket

    from claims import fetching

    network = Network(looked_up=[], connected_to=[])

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        network.looked_up.append(str(host))
        ip = PUBLIC_IP if len(network.looked_up) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, int(port or 0)))]

    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if (
            isinstance(address, tuple)
            and address[0] in (PUBLIC_IP, "127.0.0.1")
            and address[1] in (80, 443)
        ):
            network.connected_to.append(address)
            raise ConnectionRefusedError(111, "Connection refused")
        original(self, address)

    monkeypatch.setattr(fetching.socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return network


def test_an_ingest_connects_only_to_the_address_it_vetted_when_dns_changes(
    world: World, rebinding_dns: Network
) -> None:
    from claims import tasks

    before = source_and_claim_counts()

    outcome = tasks.ingest_url.apply(args=["http://news.example/story"]).get()

    assert rebinding_dns.looked_up == ["news.example"], "resolved once, never again to connect"
    assert rebinding_dns.connected_to == [(PUBLIC_IP, 80)]
    assert outcome["status"] == "refused" and "connection refused" in outcome["error"]
    assert source_and_claim_counts() == before


def test_a_webhook_delivery_connects_only_to_the_address_it_vetted_when_dns_changes(
    world: World, rebinding_dns: Network
) -> None:
    import uuid

    from claims import webhooks
    from claims.models import WebhookDelivery, WebhookSubscriber

    subscriber = WebhookSubscriber.objects.create(
        name="Desk", url="http://hooks.example/tracker", events=["review.published"]
    )
    delivery = WebhookDelivery.objects.create(
        subscriber=subscriber,
        review=world.review,
        event="review.published",
        delivery_id=uuid.uuid4(),
        payload={"event": "review.published"},
    )

    outcome = webhooks.deliver(delivery_id=delivery.pk)

    assert rebinding_dns.looked_up == ["hooks.example"]
    assert rebinding_dns.connected_to == [(PUBLIC_IP, 80)]
    assert outcome == "retry"


# A name is resolved at every delivery, not when stored (it may point elsewhere by then).
LITERAL_PRIVATE_URLS = [(u, why) for u, why in PRIVATE_URLS if "localhost" not in u]


@pytest.mark.parametrize(
    ("url", "why"), LITERAL_PRIVATE_URLS, ids=[u for u, _ in LITERAL_PRIVATE_URLS]
)
def test_the_admin_refuses_a_webhook_subscriber_on_a_private_address(
    world: World, url: str, why: str
) -> None:
    from claims.models import WebhookSubscriber

    response = client_for(world.admin).post(
        "/admin/claims/webhooksubscriber/add/",
        {"name": "Desk", "url": url, "events": ["review.published"], "active": "on"},
    )

    assert response.status_code == 200, "the form comes back with the error"
    # The odd decimal, octal and hex forms already fail Django's URL syntax check.
    shown = response.content.decode()
    assert why in shown or "Enter a valid URL." in shown
    assert not WebhookSubscriber.objects.exists()


# --- Oversized bodies ---------------------------------------------------------------------------

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "field", "size"),
    [
        ("claim-detail", "text_en", 3 * MB),
        ("claim-reviews", "rationale", 3 * MB),
        ("flag-dismiss", "reason", 3 * MB),
        ("ingest", "text", 6 * MB),
        # Under Django's 2.5 MB but over the field's own limit (20,000 characters).
        ("claim-detail", "text_en", 50_000),
    ],
    ids=["claim edit", "review", "dismiss", "ingest 6 MB", "claim text over its limit"],
)
def test_an_oversized_api_body_is_refused_and_nothing_is_stored(
    world: World, name: str, field: str, size: int, tasks_run_inline: None
) -> None:
    method = "patch" if name == "claim-detail" else "post"
    url, body, headers = api_write(method, name, world)
    body[field] = "ا" * (size // 2)  # two bytes each in UTF-8
    headers["HTTP_AUTHORIZATION"] = token_for(world.admin)
    before = database_state()

    response = send(Client(), method, url, body, headers)

    assert response.status_code in (400, 413), response.status_code
    if size < 2 * MB:
        assert_error_shape(response, 400, url)
    assert database_state() == before


def test_an_api_body_over_the_upload_limit_is_answered_in_the_api_error_shape(world: World) -> None:
    url, body, headers = api_write("post", "claim-reviews", world)
    body["rationale"] = "x" * (3 * MB)
    headers["HTTP_AUTHORIZATION"] = token_for(world.admin)

    assert_error_shape(send(Client(), "post", url, body, headers), (400, 413), url)


def test_an_import_over_its_size_limit_is_refused_before_it_is_read(
    world: World, settings: Any
) -> None:
    settings.TRACKER_IMPORT_MAX_BYTES = 1 * MB
    document = {
        "format": "claim-tracker",
        "version": 1,
        "actors": [{"slug": "big", "name": "x" * (2 * MB), "kind": "media"}],
    }
    client = Client(HTTP_AUTHORIZATION=token_for(world.admin))
    before = database_state()

    response = send(client, "post", "/api/v1/import/", document, {})

    assert assert_error_shape(response, (400, 413), "import")["code"] == "too_large"
    assert database_state() == before


@pytest.mark.parametrize(
    ("url", "data", "logged_in"),
    [
        ("/ingest/", lambda w: {"text": "ا" * (3 * MB)}, True),
        (
            "/claims/{claim}/verdict/",
            lambda w: {
                "verdict": "false",
                "rationale": "x" * (3 * MB),
                "version": w.proposed.version,
            },
            True,
        ),
        (
            "/claims/{claim}/edit/",
            lambda w: {
                "edit-text_en": "x" * (3 * MB),
                "edit-stance": "asserts",
                "edit-reason": "r",
                "edit-version": w.proposed.version,
            },
            True,
        ),
        (
            "/admin/claims/actor/add/",
            lambda w: {"slug": "big", "name": "x" * (3 * MB), "kind": "media"},
            True,
        ),
        (
            "/accounts/login/",
            lambda w: {"username": "demo-admin", "password": "x" * (3 * MB)},
            False,
        ),
        ("/ingest/", lambda w: {f"field{i}": "x" for i in range(1200)}, True),
    ],
    ids=["ingest 6 MB", "verdict", "claim edit", "admin", "login", "1200 fields"],
)
def test_an_oversized_form_post_is_refused_and_nothing_is_stored(
    world: World, url: str, data: Callable[[World], dict[str, Any]], logged_in: bool
) -> None:
    client = client_for(world.admin) if logged_in else Client()
    before = database_state()

    response = client.post(url.format(claim=world.proposed.pk), data(world))

    assert response.status_code == 400
    assert database_state() == before


def test_a_file_sent_to_the_ingest_form_is_not_stored(world: World, tasks_run_inline: None) -> None:
    import io

    upload = io.BytesIO(b"\x89PNG" + b"\x00" * (6 * MB))
    upload.name = "big.png"
    before = database_state()

    # Multipart: DATA_UPLOAD_MAX_MEMORY_SIZE does not count files; nothing of ours reads one.
    response = client_for(world.admin).post("/ingest/", {"text": "", "file": upload})

    assert response.status_code == 400
    assert database_state() == before


# History keeps the reason of every change whole (a rationale is one): once it was 100 characters.
@pytest.mark.parametrize(
    ("name", "field"),
    [("claim-reviews", "rationale"), ("claim-detail", "reason")],
    ids=["rationale", "reason"],
)
def test_a_rationale_or_reason_of_a_few_hundred_characters_is_stored(
    world: World, name: str, field: str
) -> None:
    method = "patch" if name == "claim-detail" else "post"
    url, body, headers = api_write(method, name, world)
    body[field] = "The ministry's statement names a different town. " * 6
    headers["HTTP_AUTHORIZATION"] = token_for(world.admin)

    response = send(Client(raise_request_exception=False), method, url, body, headers)

    assert response.status_code in (200, 201), response.status_code


# --- Malformed JSON -----------------------------------------------------------------------------

# The string field of each write that a NUL or a lone surrogate is put into.
STRING_FIELD = {
    "claim-detail": "text_en",
    "claim-reviews": "rationale",
    "flag-dismiss": "reason",
    "ingest": "text",
    "review-publish": None,
    "import": None,
}
MALFORMED: dict[str, Callable[[dict[str, Any], str | None], bytes]] = {
    "truncated": lambda body, f: json.dumps(body).encode()[:-1],
    "not utf-8": lambda body, f: b'{"reason": "\xff\xfe"}',
    "an array": lambda body, f: b"[1, 2]",
    "a string": lambda body, f: b'"text"',
    "null": lambda body, f: b"null",
    "NaN": lambda body, f: b'{"x": NaN}',
    "NUL": lambda body, f: json.dumps(body | {f or "x": "before\u0000after"}).encode(),
    "lone surrogate": lambda body, f: json.dumps(body | {f or "x": "before\ud800after"}).encode(),
    "wrong type": lambda body, f: json.dumps(body | {f or "x": ["a", {"b": 1}]}).encode(),
}


@pytest.mark.parametrize(("method", "name"), _api_write_routes(), ids=lambda v: str(v))
def test_malformed_json_to_every_api_write_is_a_400_and_nothing_is_stored(
    world: World, method: str, name: str, tasks_run_inline: None
) -> None:
    url, body, headers = api_write(method, name, world)
    headers["HTTP_AUTHORIZATION"] = token_for(world.admin)
    client = Client(raise_request_exception=False)
    before = database_state()
    answers = {}

    for kind, make in MALFORMED.items():
        response = send(client, method, url, make(dict(body), STRING_FIELD.get(name)), headers)
        try:
            assert_error_shape(response, 400, f"{kind} to {url}")
            answers[kind] = "400"
        except AssertionError:
            answers[kind] = f"{response.status_code} {response.content[:120]!r}"

    assert {k: v for k, v in answers.items() if v != "400"} == {}
    assert database_state() == before


@pytest.mark.parametrize(("method", "name"), _api_write_routes(), ids=lambda v: str(v))
def test_json_nested_deeper_than_python_recurses_is_a_400(
    world: World, method: str, name: str, tasks_run_inline: None
) -> None:
    url, _, headers = api_write(method, name, world)
    headers["HTTP_AUTHORIZATION"] = token_for(world.admin)
    before = database_state()

    response = send(
        Client(raise_request_exception=False), method, url, b"[" * 100_000 + b"]" * 100_000, headers
    )

    assert_error_shape(response, 400, url)
    assert database_state() == before


# --- SQL fragments in filters -------------------------------------------------------------------

SQL_VALUES = [
    "' OR 1=1 --",
    "1;DROP TABLE claims_claim;--",
    "1 UNION SELECT password FROM auth_user",
    "%",
    "_",
    "\x00",
    "x" * 4000,
]
# Text searches: what each value must find (anything else finds nothing).
TEXT_SEARCH_FINDS = {"%": "wildcard-percent", "_": "wildcard-underscore"}


def _api_list_routes() -> list[tuple[str, Any]]:
    from claims.api import urls

    return [
        (p.name, p.callback)
        for p in urls.urlpatterns
        if isinstance(p, URLPattern)
        and p.name
        and p.name.endswith("-list")
        and getattr(p.callback, "actions", None)
    ]


def api_filter_names(callback: Any) -> list[str]:
    view = callback.cls
    names = list(view.filterset_class.base_filters) if view.filterset_class else []
    return [*names, "ordering", "cursor", "page_size"]


def ids_of(response: Any) -> set[int]:
    return {row["id"] for row in json.loads(response.content)["results"]}


@pytest.mark.parametrize(
    ("name", "callback"), _api_list_routes(), ids=[n for n, _ in _api_list_routes()]
)
def test_sql_fragments_in_api_filters_are_refused_or_match_only_what_they_say(
    world: World, name: str, callback: Any
) -> None:
    from django.urls import reverse

    client = Client(HTTP_AUTHORIZATION=token_for(world.admin), raise_request_exception=False)
    url = reverse(f"api:{name}")
    everything = ids_of(client.get(url, {"page_size": "100"}))
    before = database_state()

    for param in api_filter_names(callback):
        for value in SQL_VALUES:
            response = client.get(url, {param: value, "page_size": "100"})
            where = f"{url}?{param}={value[:40]!r}"
            if response.status_code != 200:
                # A bad cursor is "not found" in DRF; anything else refused is a bad request.
                assert_error_shape(response, 404 if param == "cursor" else 400, where)
                continue
            found = ids_of(response)
            if param == "q":
                slug = TEXT_SEARCH_FINDS.get(value)
                expected = set(Claim.objects.filter(slug=slug).values_list("pk", flat=True))
                assert found == expected, where
            else:
                assert found <= everything, where

    assert database_state() == before


UI_QUEUE_PARAMS = [
    "q",
    "flag_kind",
    "state",
    "verdict",
    "claimant",
    "event",
    "place",
    "language",
    "stated_from",
    "stated_to",
    "page",
]


def test_sql_fragments_in_the_review_queue_filters_are_ignored_or_match_only_what_they_say(
    world: World,
) -> None:
    client = client_for(world.editor)
    unfiltered = {c.slug for c in client.get("/claims/").context["page"].object_list}
    before = database_state()

    for value in SQL_VALUES:
        # The queue drops each invalid filter on its own, so one request tries them all.
        response = client.get("/claims/", {param: value for param in UI_QUEUE_PARAMS})
        where = f"/claims/?…={value[:40]!r}"
        assert response.status_code == 200, where
        shown = {c.slug for c in response.context["page"].object_list}
        expected = {TEXT_SEARCH_FINDS[value]} if value in TEXT_SEARCH_FINDS else set()
        if value == "\x00":
            expected = unfiltered  # a search with a NUL is invalid, so no filter applies
        assert shown == expected, where

    assert database_state() == before


ADMIN_QUERY_PARAMS = ("o", "p", "state__exact", "id__gte")


@pytest.mark.parametrize("model", ["claim", "flag", "source"])
def test_sql_fragments_in_admin_search_ordering_and_filters_never_fail(
    world: World, model: str
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)
    url = f"/admin/claims/{model}/"
    before = database_state()
    tries = [("q", value) for value in SQL_VALUES]
    tries += [(param, value) for param in ADMIN_QUERY_PARAMS for value in (SQL_VALUES[0], "\x00")]
    failures = []

    for param, value in tries:
        response = client.get(url, {param: value})
        # An unknown or invalid filter sends the admin back to the list with ?e=1.
        if response.status_code not in (200, 302):
            failures.append(f"{url}?{param}={value[:40]!r}: {response.status_code}")
        elif model == "claim" and param == "q" and response.status_code == 200:
            shown = {c.slug for c in response.context["cl"].result_list}
            expected = {TEXT_SEARCH_FINDS[value]} if value in TEXT_SEARCH_FINDS else set()
            assert shown == expected, value

    assert failures == []
    assert database_state() == before


# --- Unicode look-alikes ------------------------------------------------------------------------

# الأمريكية ("American") written as Arabic presentation forms, as some PDFs and old sites do.
AMERICAN_PRESENTATION_FORMS = "\ufe8d\ufef7\ufee4\ufeae\ufef4\ufedc\ufef4\ufe94"


@pytest.fixture
def arabic_claims(world: World) -> dict[str, Claim]:
    return {
        "american": Claim.objects.create(
            slug="american-strike",
            claimant=world.claimant,
            text="أعلنت القوات الأمريكية تدمير مستودع للأسلحة",
            text_en="US forces announced the destruction of a weapons depot",
        ),
        "homs": Claim.objects.create(
            slug="homs-civilians",
            claimant=world.claimant,
            # Stored as written: diacritics and a tatweel.
            text="قُتِلَ ثلاثةُ مدنيين في حمـــص",
            text_en="Three civilians were killed in Homs",
        ),
    }


ARABIC_SEARCHES = [
    ("الامريكيه", "american"),  # bare alef and haa for hamza-alef and taa marbuta
    ("الأمـــريكية", "american"),  # tatweel
    ("الأَمْرِيكِيَّة", "american"),  # diacritics
    (AMERICAN_PRESENTATION_FORMS, "american"),
    ("الأم\u200bريكية", "american"),  # a zero-width space inside
    ("\u202eالٱمريكية\u202c", "american"),  # alef wasla, in a right-to-left override
    ("قتل ثلاثة مدنيين في حمص", "homs"),  # plain, for text stored with diacritics and tatweel
]


@pytest.mark.parametrize(("term", "expected"), ARABIC_SEARCHES, ids=[t for t, _ in ARABIC_SEARCHES])
def test_arabic_search_folds_variants_and_finds_the_right_claim_everywhere(
    world: World, arabic_claims: dict[str, Claim], term: str, expected: str
) -> None:
    wanted = {arabic_claims[expected].slug}
    api = Client(HTTP_AUTHORIZATION=token_for(world.admin))
    admin = client_for(world.admin)

    api_found = json.loads(api.get("/api/v1/claims/", {"q": term}).content)["results"]
    queue = client_for(world.editor).get("/claims/", {"q": term})
    admin_list = admin.get("/admin/claims/claim/", {"q": term})

    assert {c["slug"] for c in api_found} == wanted
    assert {c.slug for c in queue.context["page"].object_list} == wanted
    assert {c.slug for c in admin_list.context["cl"].result_list} == wanted


@pytest.fixture
def look_alike_users(world: World) -> dict[str, Any]:
    users = get_user_model()._default_manager
    made = {}
    for username, password in [
        ("rania", "password-of-rania"),
        ("Rania", "password-of-Rania"),
        ("رانيا", "password-of-arabic-rania"),
        ("josé", "password-of-jose-accented"),
        ("jose", "password-of-jose"),
    ]:
        made[username] = users.create_user(username=username, password=password)
    return made


LOG_INS = [
    # Django folds a username to NFKC: the same account, never another one.
    ("ｒａｎｉａ", "password-of-rania", "rania"),  # fullwidth
    ("jose\u0301", "password-of-jose-accented", "josé"),  # decomposed é
    ("\ufead\ufe8e\ufee7\ufef4\ufe8e", "password-of-arabic-rania", "رانيا"),  # presentation forms
    # Anything else is another name, which no account has.
    ("ran\u200bia", "password-of-rania", None),  # zero-width space
    ("rania\u200d", "password-of-rania", None),  # zero-width joiner
    ("Rania", "password-of-rania", None),  # case: another account's name, not its password
    ("rania", "password-of-Rania", None),
    ("jose\u0301", "password-of-jose", None),  # é is not e
    ("رانـيا", "password-of-arabic-rania", None),  # tatweel
    ("\u202erania", "password-of-rania", None),  # right-to-left override
]


@pytest.mark.parametrize(
    ("username", "password", "who"), LOG_INS, ids=[repr(u) for u, _, _ in LOG_INS]
)
def test_a_look_alike_user_name_never_logs_in_as_someone_else(
    look_alike_users: dict[str, Any], username: str, password: str, who: str | None
) -> None:
    client = Client()

    response = client.post("/accounts/login/", {"username": username, "password": password})

    logged_in_as = client.session.get("_auth_user_id")
    if who is None:
        assert response.status_code == 200 and logged_in_as is None, "refused, form shown again"
    else:
        assert response.status_code == 302
        assert str(logged_in_as) == str(look_alike_users[who].pk)


def test_an_account_named_like_an_existing_one_in_another_form_cannot_be_made(
    world: World, look_alike_users: dict[str, Any]
) -> None:
    users = get_user_model()._default_manager
    before = users.count()

    response = client_for(world.admin).post(
        "/admin/auth/user/add/",
        {
            "username": "ｒａｎｉａ",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
            "usable_password": "true",
        },
    )

    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert users.count() == before
