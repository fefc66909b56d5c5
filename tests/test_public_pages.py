"""The public page of a published claim (/c/<id>/): open without login, 404 for anything not
published, the latest published verdict only, ClaimReview JSON-LD that no claim text can break
out of, and conditional GETs."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest

from claims import workflow
from tests.factories import AppearanceFactory, ClaimFactory, SourceFactory
from tests.publishing import RLO, SCRIPT_BREAKOUT, publish, sourced_claim

pytestmark = pytest.mark.django_db


class PageParts(HTMLParser):
    """The <script> elements (type and raw content) and the text of each element by tag."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[str | None, str]] = []
        self._in_script: str | bool | None = False
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[tuple[str, dict[str, str | None], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._in_script = dict(attrs).get("type")
            self.scripts.append((dict(attrs).get("type"), ""))
        self._stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        while self._stack and self._stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._in_script is not False:
            kind, content = self.scripts[-1]
            self.scripts[-1] = (kind, content + data)
        elif self._stack:
            tag, attrs = self._stack[-1]
            self.texts.append((tag, attrs, data))


def parts(html: str) -> PageParts:
    parser = PageParts()
    parser.feed(html)
    return parser


def jsonld(html: str) -> dict[str, Any]:
    (script,) = parts(html).scripts
    assert script[0] == "application/ld+json"
    return json.loads(script[1])


def test_anyone_sees_a_published_claim_with_its_verdict_sources_and_claimreview(client, role_users):
    claim = sourced_claim()
    publish(claim, role_users, rationale="Matches the CENTCOM release.")
    client.logout()

    response = client.get(f"/c/{claim.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<blockquote class="original" dir="auto" lang="ar">{claim.text}</blockquote>' in html
    assert claim.text_en in html and "CENTCOM" in html
    assert "Likely true" in html and "Matches the CENTCOM release." in html
    assert f'href="https://wire.example/report-{claim.pk}"' in html
    assert f'href="https://outlet.example/story-{claim.pk}"' in html
    data = jsonld(html)
    feed_item = json.loads(b"".join(client.get("/feeds/claimreview.json").streaming_content))[
        "dataFeedElement"
    ][0]
    assert data == feed_item
    # Nothing per user on a public page: no session, no CSRF cookie.
    assert not response.cookies


def test_a_claim_without_a_published_review_is_not_found(client, role_users):
    never_reviewed = ClaimFactory()
    draft = ClaimFactory()
    workflow.record_review(
        claim_id=draft.pk, verdict="false", rationale="DRAFT", by=role_users["editor"]
    )

    assert client.get(f"/c/{never_reviewed.pk}/").status_code == 404
    assert client.get(f"/c/{draft.pk}/").status_code == 404
    assert client.get("/c/999999999/").status_code == 404


def test_a_newer_unpublished_review_never_shows_on_the_page(client, role_users):
    claim = sourced_claim()
    publish(claim, role_users, verdict="likely_true", rationale="Published reasoning.")
    workflow.record_review(
        claim_id=claim.pk,
        verdict="false",
        rationale="SECRET second thoughts",
        by=role_users["editor"],
    )

    html = client.get(f"/c/{claim.pk}/").content.decode()

    assert "Published reasoning." in html and "Likely true" in html
    assert "SECRET" not in html and "False" not in html
    assert jsonld(html)["reviewRating"]["alternateName"] == "Likely true"


def test_script_in_a_claim_stays_text_on_the_page_and_in_the_json_ld(client, role_users):
    claim = sourced_claim(text=f"{SCRIPT_BREAKOUT} hello", language="en", text_en="")
    publish(claim, role_users)

    html = client.get(f"/c/{claim.pk}/").content.decode()
    page = parts(html)

    # One script element only, the data block, and its content holds no "<" at all.
    assert [kind for kind, _ in page.scripts] == ["application/ld+json"]
    assert "<" not in page.scripts[0][1]
    assert jsonld(html)["claimReviewed"] == f"{SCRIPT_BREAKOUT} hello"
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; hello" in html


def test_a_right_to_left_override_in_a_claim_is_isolated_on_the_page(client, role_users):
    claim = sourced_claim(text=f"{RLO}txt.exe announced", language="en", text_en="")
    publish(claim, role_users)

    html = client.get(f"/c/{claim.pk}/").content.decode()
    page = parts(html)

    # The override only ever sits inside an element with dir="auto", which isolates it, and
    # never in the title or the JSON-LD.
    holders = [(tag, attrs) for tag, attrs, text in page.texts if RLO in text]
    assert holders and all(attrs.get("dir") == "auto" for _, attrs in holders)
    assert RLO not in page.scripts[0][1]
    assert jsonld(html)["claimReviewed"] == f"{RLO}txt.exe announced"


def test_a_source_link_that_is_not_http_is_not_linked(client, role_users):
    claim = sourced_claim()
    AppearanceFactory(claim=claim, source=SourceFactory(canonical_url="javascript:alert(1)"))
    publish(claim, role_users)

    html = client.get(f"/c/{claim.pk}/").content.decode()

    assert "javascript:" not in html


def test_an_arabic_review_makes_an_arabic_right_to_left_page(client, role_users):
    claim = sourced_claim()
    publish(claim, role_users, verdict="contested", rationale="ينفي مصدر محلي", language="ar")

    response = client.get(f"/c/{claim.pk}/", headers={"Accept-Language": "en"})
    html = response.content.decode()

    assert '<html lang="ar" dir="rtl">' in html
    assert response.headers["Content-Language"] == "ar"
    assert "موضع خلاف" in html and "تدقيق ادعاء" in html
    assert jsonld(html)["reviewRating"]["alternateName"] == "موضع خلاف"


def test_the_page_answers_304_to_its_etag_and_last_modified(client, role_users):
    claim = sourced_claim()
    publish(claim, role_users)
    first = client.get(f"/c/{claim.pk}/")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    assert client.get(f"/c/{claim.pk}/", headers={"If-None-Match": etag}).status_code == 304
    assert (
        client.get(f"/c/{claim.pk}/", headers={"If-Modified-Since": last_modified}).status_code
        == 304
    )


def test_the_page_etag_changes_when_a_new_verdict_is_published(client, role_users):
    claim = sourced_claim()
    publish(claim, role_users, verdict="likely_true")
    etag = client.get(f"/c/{claim.pk}/").headers["ETag"]

    publish(claim, role_users, verdict="false", rationale="Corrected by the wire.")
    response = client.get(f"/c/{claim.pk}/", headers={"If-None-Match": etag})

    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert "Corrected by the wire." in response.content.decode()


def test_the_page_takes_three_queries(client, role_users, django_assert_num_queries):
    claim = sourced_claim()
    publish(claim, role_users)
    # Expect 3 queries: the page's publication stamp, the latest published review with its
    # claim and claimant, and the appearances with their sources.
    with django_assert_num_queries(3):
        assert client.get(f"/c/{claim.pk}/").status_code == 200
