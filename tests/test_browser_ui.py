"""The editor UI in a real Chromium: an editor finds the ISIS Homs claim from the queue, reads its
partisan chain and flag and records a verdict; a reviewer publishes it; the same journey in
Arabic is right to left; two editors racing on one edit form end with a conflict, not a loss."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from claims import verification
from claims.models import Claim, Review
from tracker.demo import DEMO_PASSWORD

# Playwright's sync API runs an asyncio loop in this thread, so Django's ORM (used here to look
# rows up and by the fixtures) would refuse to run; pytest-django and Playwright document this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

ISIS_HOMS = "isis-claims-two-assassinations-homs-hama-2025-11-28"


@pytest.fixture
def homs(seeded, role_users) -> Claim:
    verification.scan_all()
    return Claim.objects.get(slug=ISIS_HOMS)


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/claims/")
    # Every page asks for a login first and comes back afterwards.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/claims/$"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/claims/$"))


def switch_to_arabic(page: Page) -> None:
    page.locator("#language-select").select_option("ar")
    page.locator("#language-select").locator("xpath=..").locator("button").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")


def new_page(browser: Browser, base_url: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    return context, context.new_page()


def test_an_editor_records_a_verdict_and_a_reviewer_publishes_it(
    live_server, page: Page, browser: Browser, homs
):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "demo-editor")
    expect(page.locator("h1")).to_have_text("Review queue")

    # The partisan claims come first; j selects a row and Enter opens it, as an editor works.
    page.locator("#id_q").fill("حمص")
    page.locator("#id_flag_kind").select_option("partisan_only")
    page.get_by_role("button", name="Apply filters").click()
    row = page.locator("#queue .queue-row", has_text="حمص وحماة")
    expect(row).to_have_count(1)
    page.screenshot(path="/tmp/ui-queue.png", full_page=True)
    rows = page.locator("#queue .queue-row")
    index = next(i for i in range(rows.count()) if "حمص وحماة" in rows.nth(i).inner_text())
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(index + 1):
        page.keyboard.press("j")
    expect(row).to_have_class(re.compile("is-current"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/claims/{homs.pk}/$"))

    expect(page.locator("blockquote.original")).to_have_attribute("dir", "auto")
    chain = page.locator("#chain")
    expect(chain).to_contain_text("independent roots: 1")
    root = chain.locator(".chain-node.is-root")
    expect(root).to_have_count(1)
    expect(root).to_contain_text("Saha al-Wagha")
    expect(root.locator(".badge-partisan")).to_be_visible()
    expect(page.locator("#flags")).to_contain_text("Partisan sources only")

    page.locator("#id_verdict").select_option("unassessable")
    page.get_by_label("Rationale", exact=True).fill(
        "Only ISIS's own outlets (Saha al-Wagha) carry it; nothing independent."
    )
    page.get_by_label("Evidence links, one per line").fill("https://example.org/naba")
    page.get_by_role("button", name="Record verdict").click()
    expect(page.locator(".messages")).to_contain_text("Verdict recorded")
    # Editors cannot publish.
    expect(page.get_by_role("button", name="Publish the latest verdict")).to_have_count(0)
    page.screenshot(path="/tmp/ui-claim-editor.png", full_page=True)

    context, reviewer = new_page(browser, live_server.url)
    log_in(reviewer, live_server.url, "demo-reviewer")
    reviewer.goto(f"/claims/{homs.pk}/")
    reviewer.get_by_role("button", name="Publish the latest verdict").click()
    expect(reviewer.locator(".messages")).to_contain_text("Verdict published.")
    expect(reviewer.locator(".facts .verdict")).to_have_text("Unassessable")
    reviewer.screenshot(path="/tmp/ui-claim-published.png", full_page=True)
    reviewer.get_by_role("link", name="Dashboard").click()
    expect(reviewer.locator("#activity").locator("xpath=..")).to_contain_text("Published verdict")
    reviewer.screenshot(path="/tmp/ui-dashboard.png", full_page=True)
    context.close()
    review = Review.objects.get(claim=homs)
    assert review.published
    assert review.published_by is not None and review.published_by.username == "demo-reviewer"


def test_the_same_journey_in_arabic_is_right_to_left(
    live_server, page: Page, browser: Browser, homs
):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "demo-editor")
    switch_to_arabic(page)
    expect(page.locator("h1")).to_have_text("قائمة المراجعة")
    page.get_by_label("بحث").fill("حمص")
    page.get_by_role("button", name="تطبيق المرشحات").click()
    page.locator("#queue .queue-row", has_text="حمص وحماة").locator("a.claim-link").click()

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#chain-h")).to_have_text("سلسلة المصادر")
    expect(page.locator("#chain .chain-node.is-root")).to_contain_text("Saha al-Wagha")
    expect(page.locator("#flags")).to_contain_text("مصادر حزبية فقط")
    page.get_by_label("الحكم", exact=True).select_option("unassessable")
    page.get_by_label("المبررات", exact=True).fill("لا ينقله إلا إعلام التنظيم نفسه.")
    page.get_by_role("button", name="تسجيل الحكم").click()
    expect(page.locator(".messages")).to_contain_text("سُجِّل الحكم")
    page.screenshot(path="/tmp/ui-claim-arabic.png", full_page=True)

    context, reviewer = new_page(browser, live_server.url)
    log_in(reviewer, live_server.url, "demo-reviewer")
    switch_to_arabic(reviewer)
    reviewer.goto(f"/claims/{homs.pk}/")
    reviewer.get_by_role("button", name="نشر أحدث حكم").click()
    expect(reviewer.locator(".messages")).to_contain_text("نُشر الحكم.")
    expect(reviewer.locator(".facts .verdict")).to_have_text("يتعذر تقييمه")
    context.close()
    assert Claim.objects.get(pk=homs.pk).state == "published"


def test_a_reviewer_cannot_publish_their_own_verdict_in_the_browser(live_server, page: Page, homs):
    log_in(page, live_server.url, "demo-reviewer")
    page.goto(f"{live_server.url}/claims/{homs.pk}/")
    page.get_by_label("Rationale", exact=True).fill("My own verdict.")
    page.get_by_role("button", name="Record verdict").click()
    page.get_by_role("button", name="Publish the latest verdict").click()
    expect(page.locator("#form-error")).to_have_text(
        "Four eyes: a review must be published by someone other than its author."
    )
    assert not Review.objects.get(claim=homs).published


def test_two_editors_racing_on_one_edit_form_the_second_gets_the_conflict_with_input_kept(
    live_server, page: Page, browser: Browser, homs
):
    first_context, first = new_page(browser, live_server.url)
    log_in(first, live_server.url, "demo-editor")
    log_in(page, live_server.url, "demo-admin")
    # Both open the claim at the same version.
    first.goto(f"/claims/{homs.pk}/")
    page.goto(f"{live_server.url}/claims/{homs.pk}/")

    first.get_by_label("English translation").fill("ISIS claimed two assassinations (first).")
    first.get_by_label("Reason for the change").fill("Tighter translation")
    first.get_by_role("button", name="Save changes").click()
    expect(first.locator(".messages")).to_contain_text("Claim saved.")

    page.get_by_label("English translation").fill("My competing translation.")
    page.get_by_label("Reason for the change").fill("My reason")
    with page.expect_response(lambda r: r.url.endswith(f"/claims/{homs.pk}/edit/")) as answer:
        page.get_by_role("button", name="Save changes").click()
    assert answer.value.status == 409
    expect(page.locator("#form-error")).to_contain_text(
        "Someone else saved this claim after you opened it."
    )
    expect(page.get_by_label("English translation")).to_have_value("My competing translation.")
    expect(page.get_by_label("Reason for the change")).to_have_value("My reason")
    expect(page.locator(".conflict mark")).to_contain_text(
        "ISIS claimed two assassinations (first)."
    )
    page.locator("#edit").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/ui-conflict.png", full_page=True)
    first_context.close()
    assert Claim.objects.get(pk=homs.pk).text_en == "ISIS claimed two assassinations (first)."
