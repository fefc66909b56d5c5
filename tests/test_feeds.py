"""The public feeds (DESIGN §8): the ClaimReview DataFeed and the Atom feed show each claim's
latest published verdict and nothing unpublished, in a constant number of queries, answer
conditional GETs, and `export_claimreview` writes the same feed as the view."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs published
import pytest
from django.core.management import call_command
from django.test import Client

from claims import claimreview, workflow
from claims.models import Claim
from tests.factories import ClaimFactory
from tests.publishing import (
    RLO,
    SCRIPT_BREAKOUT,
    bulk_published,
    publish,
    sourced_claim,
)

SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "claimreview.schema.json").read_text(encoding="utf-8")
)
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED = "/feeds/claimreview.json"


def feed_body(client: Client, **headers: Any) -> bytes:
    response = client.get(FEED, headers=headers)
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def feed(client: Client) -> dict[str, Any]:
    return json.loads(feed_body(client))


def by_url(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["url"]: item for item in data["dataFeedElement"]}


def atom(content: bytes) -> ET.Element:
    # Our own feed, generated a line above: nothing untrusted to defuse.
    return ET.fromstring(content)  # noqa: S314


def validate(data: dict[str, Any]) -> None:
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


# ---- the rating scale and the builder (pure) ----------------------------------------------


def test_every_verdict_has_a_rating_between_worst_and_best():
    assert set(claimreview.RATING_OF_VERDICT) == set(Claim.Verdict.values)
    assert all(
        claimreview.WORST_RATING <= r <= claimreview.BEST_RATING
        for r in claimreview.RATING_OF_VERDICT.values()
    )
    assert claimreview.RATING_OF_VERDICT["false"] == claimreview.WORST_RATING
    assert claimreview.RATING_OF_VERDICT["confirmed"] == claimreview.BEST_RATING


def _review(**fields: Any) -> claimreview.PublishedReview:
    values: dict[str, Any] = {
        "claim_id": 7,
        "claim_text": "أعلنت القيادة المركزية تدمير أكثر من 15 موقعًا",
        "claim_language": "ar",
        "text_en": "CENTCOM announced the destruction of more than 15 sites",
        "text_ar": "",
        "stated_at": dt.date(2025, 11, 12),
        "claimant": claimreview.Claimant(name="Charles Lister", name_ar="", is_person=True),
        "sources": (),
        "review_id": 3,
        "verdict": "misleading",
        "rationale": "Fifteen, not more than fifteen.",
        "language": "en",
        "published_at": dt.datetime(2025, 11, 20, 8, 0, tzinfo=dt.UTC),
    }
    values.update(fields)
    return claimreview.PublishedReview(**values)


PUBLISHER = claimreview.Publisher(name="Desk", base_url="https://factcheck.example/")


def test_the_first_appearance_is_the_earliest_dated_source_and_undated_ones_come_last():
    undated = claimreview.SourceRef("https://a.example/1", "", None, 1)
    later = claimreview.SourceRef(
        "https://b.example/2", "", dt.datetime(2025, 11, 14, tzinfo=dt.UTC), 2
    )
    earlier = claimreview.SourceRef(
        "https://c.example/3", "", dt.datetime(2025, 11, 13, tzinfo=dt.UTC), 3
    )
    item = claimreview.claim_review(_review(sources=(undated, later, earlier)), PUBLISHER)
    assert item["itemReviewed"]["firstAppearance"]["url"] == "https://c.example/3"
    assert [a["url"] for a in item["itemReviewed"]["appearance"]] == [
        "https://a.example/1",
        "https://b.example/2",
        "https://c.example/3",
    ]


def test_a_source_that_is_not_an_http_link_is_never_an_appearance():
    sources = (claimreview.SourceRef("javascript:alert(1)", "", None, 1),)
    item = claimreview.claim_review(_review(sources=sources), PUBLISHER)
    assert "appearance" not in item["itemReviewed"]
    assert "firstAppearance" not in item["itemReviewed"]


def test_a_person_claimant_is_a_person_and_the_review_language_picks_the_claim_text():
    item = claimreview.claim_review(_review(), PUBLISHER)
    assert item["itemReviewed"]["author"] == {"@type": "Person", "name": "Charles Lister"}
    assert item["claimReviewed"] == "CENTCOM announced the destruction of more than 15 sites"
    assert item["url"] == "https://factcheck.example/c/7/"
    assert item["reviewRating"]["alternateName"] == "Misleading"


# ---- the ClaimReview feed -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_claimreview_feed_is_a_valid_datafeed_with_the_recommended_properties(
    client, role_users
):
    claim = sourced_claim()
    publish(claim, role_users)
    unsourced = ClaimFactory(claimant__kind="person", claimant__name="Charles Lister")
    publish(unsourced, role_users, verdict="unassessable", language="ar")

    data = feed(client)

    validate(data)
    assert data["@type"] == "DataFeed" and len(data["dataFeedElement"]) == 2
    item = by_url(data)[f"http://testserver/c/{claim.pk}/"]
    assert item["claimReviewed"] == claim.text_en
    assert item["author"]["@type"] == "Organization" and item["author"]["name"]
    assert item["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": 4,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "Likely true",
    }
    reviewed = item["itemReviewed"]
    assert reviewed["author"] == {
        "@type": "Organization",
        "name": "CENTCOM",
        "alternateName": "القيادة المركزية الأمريكية",
    }
    assert reviewed["datePublished"] == "2025-11-12"
    assert {a["url"] for a in reviewed["appearance"]} == {
        f"https://outlet.example/story-{claim.pk}",
        f"https://wire.example/report-{claim.pk}",
    }
    assert reviewed["firstAppearance"]["url"] == f"https://wire.example/report-{claim.pk}"
    other = by_url(data)[f"http://testserver/c/{unsourced.pk}/"]["itemReviewed"]
    assert other["author"]["@type"] == "Person" and "appearance" not in other


@pytest.mark.django_db
def test_an_arabic_review_carries_the_arabic_verdict_name(client, role_users):
    claim = sourced_claim()
    publish(claim, role_users, verdict="likely_true", rationale="يطابق البيان", language="ar")

    item = feed(client)["dataFeedElement"][0]

    assert item["reviewRating"]["alternateName"] == "صحيح على الأرجح"
    assert item["inLanguage"] == "ar"
    assert item["claimReviewed"] == claim.text  # the Arabic original, not the translation


@pytest.mark.django_db
def test_unpublished_claims_and_reviews_are_absent_from_the_feed(client, role_users):
    draft = ClaimFactory()
    workflow.record_review(
        claim_id=draft.pk,
        verdict="false",
        rationale="DRAFT-ONLY rationale",
        by=role_users["editor"],
    )
    ClaimFactory()  # never reviewed

    body = feed_body(client)

    assert json.loads(body)["dataFeedElement"] == []
    assert b"DRAFT-ONLY" not in body


@pytest.mark.django_db
def test_a_newer_unpublished_review_leaves_the_published_verdict_in_the_feed(client, role_users):
    claim = sourced_claim()
    publish(claim, role_users, verdict="likely_true", rationale="Published reasoning.")
    workflow.record_review(
        claim_id=claim.pk,
        verdict="false",
        rationale="SECRET second thoughts, not published",
        by=role_users["editor"],
    )

    body = feed_body(client)
    items = json.loads(body)["dataFeedElement"]

    assert len(items) == 1
    assert items[0]["reviewRating"]["alternateName"] == "Likely true"
    assert items[0]["reviewBody"] == "Published reasoning."
    assert b"SECRET" not in body


@pytest.mark.django_db
def test_a_republished_claim_appears_once_with_its_latest_published_verdict(client, role_users):
    claim = sourced_claim()
    publish(claim, role_users, verdict="likely_true")
    publish(claim, role_users, verdict="false", rationale="The wire corrected its report.")

    items = feed(client)["dataFeedElement"]

    assert len(items) == 1
    assert items[0]["reviewRating"]["ratingValue"] == 1
    assert items[0]["reviewBody"] == "The wire corrected its report."


@pytest.mark.django_db
def test_script_and_bidi_controls_in_a_claim_stay_inert_in_the_json(client, role_users):
    text = f"{SCRIPT_BREAKOUT} {RLO}txt.exe"
    claim = sourced_claim(text=text, language="en", text_en="")
    publish(claim, role_users)

    body = feed_body(client)

    assert json.loads(body)["dataFeedElement"][0]["claimReviewed"] == text
    assert RLO.encode() not in body and b"\\u202e" in body


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.django_db
def test_the_feed_takes_the_same_number_of_queries_for_3_and_30_reviews(
    client, django_assert_num_queries, count
):
    bulk_published(count)
    # Expect 3 queries: the publication stamp (for the ETag), the latest published reviews with
    # their claims and claimants, and the appearances with their sources (one batch).
    with django_assert_num_queries(3):
        data = feed(client)
    assert len(data["dataFeedElement"]) == count
    validate(data)


@pytest.mark.django_db
def test_the_feed_answers_304_to_its_etag_and_last_modified(client, role_users):
    publish(sourced_claim(), role_users)
    first = client.get(FEED)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    by_etag = client.get(FEED, headers={"If-None-Match": etag})
    by_date = client.get(FEED, headers={"If-Modified-Since": last_modified})

    assert by_etag.status_code == 304 and by_etag.headers["ETag"] == etag
    assert by_date.status_code == 304
    assert by_etag.content == b"" and by_date.content == b""


@pytest.mark.django_db
def test_the_feed_etag_changes_after_a_new_publication(client, role_users):
    publish(sourced_claim(), role_users)
    etag = client.get(FEED).headers["ETag"]

    publish(sourced_claim(), role_users, verdict="false")
    response = client.get(FEED, headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert len(json.loads(b"".join(response.streaming_content))["dataFeedElement"]) == 2


@pytest.mark.django_db
def test_the_feed_needs_no_login(client, role_users):
    publish(sourced_claim(), role_users)
    client.logout()
    assert client.get(FEED).status_code == 200


# ---- export_claimreview -------------------------------------------------------------------


@pytest.mark.django_db
def test_export_claimreview_prints_the_same_feed_as_the_view(client, role_users):
    publish(sourced_claim(), role_users)
    publish(sourced_claim(), role_users, verdict="contested", language="ar")
    out = io.StringIO()

    call_command("export_claimreview", "--base-url", "http://testserver/", stdout=out)

    assert json.loads(out.getvalue()) == feed(client)


@pytest.mark.django_db
def test_export_claimreview_writes_the_feed_to_a_file(tmp_path, client, role_users):
    publish(sourced_claim(), role_users, language="ar")
    target = tmp_path / "claimreview.json"

    call_command("export_claimreview", "--out", str(target), "--base-url", "http://testserver/")

    assert json.loads(target.read_text(encoding="utf-8")) == feed(client)
    assert [p.name for p in tmp_path.iterdir()] == ["claimreview.json"]


# ---- the Atom feed ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_atom_feed_lists_published_verdicts_with_arabic_titles_and_entry_languages(
    client, role_users
):
    arabic = sourced_claim()
    publish(arabic, role_users, verdict="false", language="ar")
    english = sourced_claim(language="en", text="ISIS claimed two soldiers killed", text_en="")
    publish(english, role_users, verdict="contested")
    draft = sourced_claim(text="A claim nobody published")
    workflow.record_review(
        claim_id=draft.pk, verdict="false", rationale="DRAFT", by=role_users["editor"]
    )

    response = client.get("/feeds/claims.atom")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = atom(response.content)
    entries = {e.find(f"{ATOM}id").text: e for e in root.findall(f"{ATOM}entry")}
    assert set(entries) == {
        f"http://testserver/c/{arabic.pk}/",
        f"http://testserver/c/{english.pk}/",
    }
    ar_entry = entries[f"http://testserver/c/{arabic.pk}/"]
    assert ar_entry.get(XML_LANG) == "ar"
    assert ar_entry.find(f"{ATOM}title").text == f"خاطئ: {arabic.text}"
    assert entries[f"http://testserver/c/{english.pk}/"].get(XML_LANG) == "en"
    assert b"DRAFT" not in response.content and b"nobody published" not in response.content


@pytest.mark.django_db
def test_the_atom_summary_escapes_claim_text(client, role_users):
    claim = sourced_claim(text=SCRIPT_BREAKOUT, language="en", text_en="")
    publish(claim, role_users)

    root = atom(client.get("/feeds/claims.atom").content)
    summary = root.find(f"{ATOM}entry/{ATOM}summary")

    # type="html": after XML parsing the HTML must still be escaped text, not a script element.
    assert summary.get("type") == "html"
    assert "<script>" not in summary.text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in summary.text


@pytest.mark.django_db
def test_the_atom_feed_answers_304_and_changes_its_etag_after_a_publication(
    client, role_users, django_assert_num_queries
):
    publish(sourced_claim(), role_users)
    etag = client.get("/feeds/claims.atom").headers["ETag"]
    # Expect 1 query: the publication stamp, and no feed is built.
    with django_assert_num_queries(1):
        cached = client.get("/feeds/claims.atom", headers={"If-None-Match": etag})
    assert cached.status_code == 304

    publish(sourced_claim(), role_users)
    fresh = client.get("/feeds/claims.atom", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
