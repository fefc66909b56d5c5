"""Ingestion and the new pages in a real Chromium: an editor pastes an Arabic paragraph, a real
Celery worker extracts it while the page shows its progress, the editor corrects and accepts a
proposal and finds it in the queue; hostile text stays inert; and screenshots of the main
pages in English and Arabic are saved under test-results/screenshots/ for people to look at."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from claims import ingestion, verification
from claims.models import Actor, Appearance, Claim, Event, Source
from tests.factories import AppearanceFactory, ClaimFactory, SourceFactory
from tracker.demo import DEMO_PASSWORD

# Playwright's sync API runs an asyncio loop in this thread, so Django's ORM (used here to look
# rows up and by the fixtures) would refuse to run; pytest-django and Playwright document this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(settings.BASE_DIR) / "test-results" / "screenshots"
# Adapted from the seed article: CENTCOM's count of destroyed munitions and the ministry's
# arrest, as an Arabic outlet would run them.
PARAGRAPH = (
    "أعلنت القيادة المركزية الأمريكية أنها دمرت أكثر من 130 قذيفة هاون وصاروخ في ريف دمشق. "
    "وقالت وزارة الداخلية السورية إنها اعتقلت 12 عنصراً من خلية تابعة لتنظيم الدولة في "
    "بلدة الضمير."
)
HOSTILE = (
    "<script>alert(1)</script> <b>html</b> \u202eevil reversed\u202c zero\u200bwidth\u200d joiner"
)
ISIS_HOMS = "isis-claims-two-assassinations-homs-hama-2025-11-28"
ARTICLE = "enab-baladi-2025-12-01-centcom-isis"
OPERATION = "rif-dimashq-weapons-sites-operation-2025-11"


def log_in(page: Page, base_url: str, username: str, *, then: str = "/") -> None:
    page.goto(f"{base_url}{then}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(then) + "$"))


def use_language(page: Page, language: str) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": page.url}]
    )


@pytest.mark.integration
def test_an_editor_ingests_an_arabic_paragraph_corrects_a_proposal_and_finds_it_in_the_queue(
    live_server, page: Page, celery_worker: Any, seeded, role_users
):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "demo-editor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ingest").click()
    expect(page.locator("h1")).to_have_text("Ingest a source")
    page.get_by_label("Text", exact=True).fill(PARAGRAPH)
    page.get_by_label("Publisher").fill("Enab Baladi")
    page.get_by_label("Published on").fill("2025-12-01")
    page.get_by_label("Language of the text").select_option("ar")
    page.get_by_role("button", name="Ingest", exact=True).click()

    # The progress page polls the worker, then opens the proposals by itself.
    expect(page.locator("h1")).to_have_text("Ingest progress")
    expect(page).to_have_url(re.compile(r"/sources/\d+/proposals/$"), timeout=30_000)
    expect(page.locator("article.proposal")).to_have_count(2)
    proposal = page.locator("article.proposal", has_text="قذيفة هاون")
    centcom = Actor.objects.get(slug="centcom")
    claimant = proposal.get_by_label("Claimant")
    expect(claimant).to_have_value(str(centcom.pk))
    expect(claimant.locator("option:checked")).to_have_text(re.compile("US Central Command"))
    expect(proposal.get_by_label("Item (quantity 1)")).to_have_value("mortars and rockets")
    expect(proposal.get_by_label("Low (quantity 1)")).to_have_value("131")
    expect(proposal.get_by_label("High (empty: open) (quantity 1)")).to_have_value("")
    expect(proposal.get_by_label("Qualifier as written (quantity 1)")).to_have_value("أكثر من")

    # The paragraph does not date the operation; the editor knows it from the release.
    proposal.get_by_label("Event start").fill("2025-11-24")
    proposal.get_by_label("Event end").fill("2025-11-27")
    proposal.get_by_label("Reason (for a correction or a rejection)").fill(
        "Dates of the operation from CENTCOM's release."
    )
    proposal.get_by_role("button", name="Accept into review").click()
    expect(page.locator(".messages")).to_contain_text("Claim accepted; it is now in review.")
    expect(page.locator("article.proposal")).to_have_count(1)
    expect(page.locator("#accepted-h")).to_be_visible()

    page.get_by_role("link", name="Review queue").click()
    page.locator("#id_state").select_option("in_review")
    page.get_by_role("button", name="Apply filters").click()
    row = page.locator("#queue .queue-row", has_text="130 قذيفة هاون")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("US Central Command")
    claim = Claim.objects.get(text__contains="130 قذيفة هاون", state="in_review")
    assert (claim.event_start, claim.event_end) == (dt.date(2025, 11, 24), dt.date(2025, 11, 27))
    assert claim.claimant == centcom
    assert list(claim.quantities.values_list("low", "high", "qualifier")) == [
        (131, None, "أكثر من")
    ]


def hostile_claim() -> Any:
    event = Event.objects.create(slug="hostile-event", title="Hostile event")
    claim = ClaimFactory(text=HOSTILE, text_en="", event=event, priority=1000.0)
    AppearanceFactory(claim=claim, source=SourceFactory(title="Hostile source"))
    return claim


def test_hostile_text_fires_no_script_renders_no_markup_and_cannot_flip_the_layout(
    live_server, page: Page, role_users
):
    claim = hostile_claim()
    source = Appearance.objects.get(claim=claim).source
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    log_in(page, live_server.url, "demo-editor")
    for path in [
        "/claims/",
        f"/claims/{claim.pk}/",
        f"/actors/{claim.claimant.slug}/",
        f"/events/{claim.event_id}/",
        f"/sources/{source.pk}/",
    ]:
        page.goto(f"{live_server.url}{path}")
        main = page.locator("main")
        expect(main).to_contain_text("<script>alert(1)</script>")
        expect(main).to_contain_text("<b>html</b>")
        expect(main.locator("b", has_text="html")).to_have_count(0)
        # The element that holds the override isolates it: it ends where the text ends.
        isolation = page.evaluate(
            """() => {
              const main = document.querySelector("main");
              const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
              const found = [];
              while (walker.nextNode()) {
                if (walker.currentNode.data.includes("\\u202e")) {
                  found.push(getComputedStyle(walker.currentNode.parentElement).unicodeBidi);
                }
              }
              return found;
            }"""
        )
        assert isolation and set(isolation) <= {"isolate", "plaintext", "isolate-override"}, (
            path,
            isolation,
        )
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    expect(page.locator(".invisible-chars")).to_contain_text("RIGHT-TO-LEFT OVERRIDE")
    assert dialogs == []


@pytest.fixture
def proposals_source(seeded) -> Source:
    """A pasted Arabic paragraph, ingested by the same service the worker runs."""
    return ingestion.ingest_text(
        text=PARAGRAPH, language="ar", publisher="Enab Baladi", published=dt.date(2025, 12, 1)
    ).source


@pytest.mark.parametrize("language", ["en", "ar"])
def test_screenshots_of_the_main_pages(
    live_server, page: Page, role_users, proposals_source, language
):
    verification.scan_all()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server.url, "demo-editor")
    use_language(page, language)
    homs = Claim.objects.get(slug=ISIS_HOMS)
    pages = {
        "dashboard": "/",
        "queue": "/claims/",
        "claim": f"/claims/{homs.pk}/",
        "ingest": "/ingest/",
        "proposals": f"/sources/{proposals_source.pk}/proposals/",
        "actor": f"/actors/{Actor.objects.get(slug='centcom').slug}/",
        "event": f"/events/{Event.objects.get(slug=OPERATION).pk}/",
        "source": f"/sources/{Source.objects.get(slug=ARTICLE).pk}/",
    }
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        # Nothing spills sideways out of the page (wide tables scroll inside their own box).
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, overflow)
        shot = SCREENSHOTS / f"{name}-{language}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 0
