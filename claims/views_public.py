"""The public face of the tracker (DESIGN §8), open without login: the ClaimReview DataFeed, the
Atom feed of published verdicts and one page per published claim. All three answer conditional
GETs from a cheap publication stamp, and show a claim's latest *published* review only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import feedgenerator, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.html import format_html
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from claims import claimreview, public_selectors
from claims.claimreview import PublishedReview

# Shared caches may keep a copy this long; after that they revalidate with the ETag, which is
# cheap. Published verdicts are never withdrawn, only superseded, so a minute of lag is harmless.
PUBLIC_MAX_AGE = 60


def _conditional(
    request: HttpRequest,
    stamp: public_selectors.PublicationStamp,
    respond: Callable[[], HttpResponseBase],
) -> HttpResponseBase:
    """304 when the client's copy is current (If-None-Match, else If-Modified-Since), otherwise
    `respond()`; both carry the ETag and Last-Modified. Like Django's @condition, but the stamp
    is computed once for both headers."""
    last_modified = int(stamp.last_changed.timestamp()) if stamp.last_changed else None
    not_modified = get_conditional_response(request, etag=stamp.etag, last_modified=last_modified)
    response: HttpResponseBase = respond() if not_modified is None else not_modified
    response.headers["ETag"] = stamp.etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def _publisher(request: HttpRequest) -> claimreview.Publisher:
    return public_selectors.publisher(request.build_absolute_uri("/"))


@require_safe
def claimreview_feed(request: HttpRequest) -> HttpResponseBase:
    """Every published verdict as a schema.org DataFeed of ClaimReviews, streamed batch by
    batch so its size is bounded by one batch, not by the number of reviews."""
    stamp = public_selectors.feed_stamp()
    publisher = _publisher(request)
    return _conditional(
        request,
        stamp,
        lambda: StreamingHttpResponse(
            public_selectors.claimreview_feed(publisher, stamp),
            content_type="application/ld+json; charset=utf-8",
        ),
    )


class _AtomFeed(feedgenerator.Atom1Feed):
    """Atom with the language of each entry (xml:lang), since one feed mixes Arabic and
    English verdicts."""

    def item_attributes(self, item: dict[str, Any]) -> dict[str, Any]:
        attributes = dict(super().item_attributes(item))
        if item.get("xml_lang"):
            attributes["xml:lang"] = item["xml_lang"]
        return attributes


def _atom_summary(review: PublishedReview, label: str) -> str:
    # type="html": readers render it, so every piece of user text is escaped here.
    summary = format_html(
        '<p dir="auto" lang="{}">{}</p>', review.claim_language_tag, review.claim_text
    )
    translated = claimreview.claim_text_for(review)
    if translated != review.claim_text:
        summary += format_html('<p dir="auto">{}</p>', translated)
    return summary + format_html(
        '<p><strong>{}</strong></p><p dir="auto">{}</p>', label, review.rationale
    )


def _atom(request: HttpRequest) -> HttpResponse:
    publisher = _publisher(request)
    feed = _AtomFeed(
        title=f"{publisher.name}: published verdicts",
        link=publisher.base_url,
        description="",
        language="en",
        feed_url=request.build_absolute_uri(),
        feed_guid=request.build_absolute_uri(),
        author_name=publisher.name,
    )
    for review in public_selectors.recent_published_reviews():
        label = claimreview.verdict_label(review.verdict, review.page_language)
        page = publisher.page_url(review.claim_id)
        text = Truncator(claimreview.claim_text_for(review)).chars(200)
        feed.add_item(
            # Titles are plain text and cannot isolate bidi runs, so controls are dropped.
            title=claimreview.without_bidi_controls(f"{label}: {text}"),
            link=page,
            description=_atom_summary(review, label),
            unique_id=page,
            pubdate=review.published_at,
            updateddate=review.published_at,
            categories=[review.verdict],
            xml_lang=review.language_tag,
        )
    response = HttpResponse(content_type=feed.content_type)
    feed.write(response, "utf-8")
    return response


@require_safe
def claims_atom(request: HttpRequest) -> HttpResponseBase:
    """The latest published verdicts as an Atom feed, newest first."""
    return _conditional(request, public_selectors.feed_stamp(), lambda: _atom(request))


def _claim_page(request: HttpRequest, claim_id: int) -> HttpResponse:
    review = public_selectors.published_review_of(claim_id)
    if review is None:
        raise Http404("No published verdict on this claim.")
    publisher = _publisher(request)
    item = claimreview.claim_review(review, publisher)
    translations = [
        (code, text)
        for code, text in (("en", review.text_en), ("ar", review.text_ar))
        if text and code != review.claim_language
    ]
    # The page speaks the review's language: it is one published document, and its ETag then
    # names one representation whatever the reader's Accept-Language.
    with translation.override(review.page_language):
        response = render(
            request,
            "public/claim.html",
            {
                "review": review,
                "organisation": publisher.name,
                "page_url": item["url"],
                "verdict_label": item["reviewRating"]["alternateName"],
                "rating": item["reviewRating"]["ratingValue"],
                "best_rating": claimreview.BEST_RATING,
                "translations": translations,
                "sources": [s for s in review.sources if s.url],
                "title": claimreview.without_bidi_controls(
                    f"{item['reviewRating']['alternateName']} · {review.claimant.name}"
                ),
                # Escaped for a <script> element by to_json(for_html=True): no "<" survives.
                "jsonld": mark_safe(claimreview.to_json(item, for_html=True).decode()),  # noqa: S308
            },
        )
        response.headers["Content-Language"] = translation.get_language()
    return response


@require_safe
def claim_page(request: HttpRequest, claim_id: int) -> HttpResponseBase:
    """A published claim with its verdict, sources and ClaimReview JSON-LD; 404 otherwise."""
    stamp = public_selectors.claim_stamp(claim_id)
    if stamp is None:
        raise Http404("No published verdict on this claim.")
    return _conditional(request, stamp, lambda: _claim_page(request, claim_id))
