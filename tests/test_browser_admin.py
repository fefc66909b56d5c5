"""The admin in a real Chromium: an editor finds an Arabic claim and reads its drawn source chain,
Arabic search ignores the hamza, and a viewer gets a page that cannot be saved."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from claims.models import Claim
from tracker.demo import DEMO_PASSWORD

# Playwright's sync API runs an asyncio loop in this thread, so Django's ORM (used here to look
# rows up and by the fixtures) would refuse to run; pytest-django and Playwright document this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

ISIS_HOMS = "isis-claims-two-assassinations-homs-hama-2025-11-28"
SCREENSHOT = "/tmp/browser-admin-claim.png"


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_contain_text(username)


def search(page: Page, term: str) -> None:
    # Typed into the search box like an editor would, so the form's own encoding of Arabic is used.
    page.locator("#searchbar").fill(term)
    page.locator("#searchbar").press("Enter")
    page.wait_for_load_state()


def test_demo_editor_logs_in_and_sees_the_isis_homs_claim_with_its_partisan_chain(
    live_server, page: Page, seeded, role_users
):
    claim = Claim.objects.get(slug=ISIS_HOMS)
    log_in(page, live_server.url, "demo-editor")

    page.get_by_role("link", name="Claims", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/admin/claims/claim/$"))
    search(page, "حمص")
    # The list cell carries dir="auto" so the Arabic original renders right to left.
    cell = page.locator(f'#result_list a[href*="/claims/claim/{claim.pk}/change/"]')
    expect(cell.locator('span[dir="auto"]')).to_contain_text("حمص وحماة")
    cell.click()

    expect(page.locator("h1")).to_have_text("Change claim")
    original = page.locator("#id_text")
    expect(original).to_have_value(claim.text)
    # Left to right, the Arabic sentence's full stop would be drawn at its start.
    expect(original).to_have_attribute("dir", "auto")
    chain = page.locator(".field-source_chain .readonly")
    expect(chain).to_contain_text("Saha al-Wagha")
    expect(chain).to_contain_text("independent roots: 1")
    expect(chain).to_contain_text("partisan only")
    # Each path of the chain is mixed-script text too.
    expect(chain.locator('li[dir="auto"]')).to_have_count(1)
    # For a person to look at; nothing is asserted on pixels.
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_admin_search_finds_arabic_whatever_the_hamza(live_server, page: Page, seeded, role_users):
    log_in(page, live_server.url, "demo-editor")
    page.goto(f"{live_server.url}/admin/claims/actor/")
    # CENTCOM's Arabic name is written "الأمريكية"; editors often type it without the hamza.
    search(page, "الامريكية")
    expect(page.locator("#result_list")).to_contain_text("US Central Command")
    expect(page.locator("#result_list")).to_contain_text("القيادة المركزية الأمريكية")


def test_viewer_cannot_change_a_claim(live_server, page: Page, seeded, role_users):
    claim = Claim.objects.get(slug=ISIS_HOMS)
    log_in(page, live_server.url, "demo-viewer")
    url = f"{live_server.url}/admin/claims/claim/{claim.pk}/change/"
    page.goto(url)

    expect(page.locator("h1")).to_have_text("View claim")
    expect(page.locator('input[name="_save"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.locator("#id_text")).to_have_count(0)

    # Even a hand-made POST, with the viewer's session and a valid CSRF token, is refused.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        url,
        form={
            "csrfmiddlewaretoken": csrf,
            "slug": claim.slug,
            "claimant": str(claim.claimant_id),
            "text": "rewritten by a viewer",
            "_save": "Save",
        },
        headers={"Referer": url},
    )
    assert response.status == 403
    after = Claim.objects.get(pk=claim.pk)
    assert (after.text, after.version) == (claim.text, claim.version)
