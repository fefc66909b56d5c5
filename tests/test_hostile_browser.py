"""Hostile text in a real Chromium: with the Content Security Policy bypassed (so that only the
escaping stands between a payload and the page), no page of the editor UI, the admin or the
public site that shows stored markup, script and bidi tricks opens a single dialog."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Dialog

from tests.test_hostile_input import World, build_world

# Playwright's sync API runs an asyncio loop in this thread; the ORM would refuse to run in it
# (pytest-django and Playwright document this).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def pages_of(world: World) -> list[str]:
    return [
        "/",
        "/claims/",
        f"/claims/{world.published.pk}/",
        f"/claims/{world.proposed.pk}/",
        f"/actors/{world.claimant.slug}/",
        f"/events/{world.event.pk}/",
        f"/sources/{world.source.pk}/",
        f"/sources/{world.javascript_source.pk}/",
        f"/sources/{world.source.pk}/proposals/",
        "/admin/claims/claim/",
        f"/admin/claims/claim/{world.published.pk}/change/",
        f"/admin/claims/source/{world.source.pk}/change/",
        f"/c/{world.published.pk}/",
    ]


def test_no_page_showing_hostile_text_opens_a_dialog(live_server: Any, browser: Browser) -> None:
    world = build_world()
    client = Client()
    client.force_login(world.admin)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page = context.new_page()
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(f"{page.url}: {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    page.on("dialog", record)
    try:
        for path in pages_of(world):
            response = page.goto(path, wait_until="load")
            assert response is not None and response.status == 200, path
            # Give any script the page might have picked up a moment to run.
            page.wait_for_timeout(50)
    finally:
        context.close()

    assert dialogs == []
