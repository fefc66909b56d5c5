"""schema.org ClaimReview for published verdicts (DESIGN §4, §8): the verdict → rating scale, the
ClaimReview dict of one published review, and the DataFeed as a stream of bytes. Pure: plain
data in, dicts and bytes out; the queries live in claims/public_selectors.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from django.utils import translation

from claims.templatetags.claims_ui import label_for

# ClaimReview's reviewRating is a number on a scale we declare (worst 1, best 5). Eight verdicts
# fall on five points, so the number only orders them; the alternateName carries the meaning.
# Verdicts that judge nothing about truth (unverified, unassessable) sit at the neutral middle
# with contested, rather than at "false": an unassessable claim has not been found untrue.
WORST_RATING = 1
BEST_RATING = 5
RATING_OF_VERDICT: dict[str, int] = {
    "confirmed": 5,
    "likely_true": 4,
    "contested": 3,
    "unverified": 3,
    "unassessable": 3,
    "misleading": 2,
    "likely_false": 2,
    "false": 1,
}

DEFAULT_ORGANISATION_NAME = "Claim tracker verification desk"
# Languages the desk publishes in (DESIGN: Arabic and English); others are shown in English.
PUBLIC_LANGUAGES = ("ar", "en")
DEFAULT_LANGUAGE = "en"

# Bidirectional controls (LRE … RLO, LRI … PDI) and the two characters JavaScript treats as line
# ends. In JSON they are legal inside strings, but shown raw they can reorder what a reader sees
# around them ("‮txt.exe") or break a consumer that embeds the JSON in a script. Escaping them
# as \uXXXX keeps the data identical once parsed and inert while it is text.
_INERT_IN_JSON = {
    chr(c).encode(): f"\\u{c:04x}".encode()
    for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x2028, 0x2029)
}
# JSON inside an HTML <script> element additionally must not contain "</script" or "<!--": with
# < > & escaped it cannot close the element or open a comment, whatever the claim text says.
_INERT_IN_HTML = {b"<": b"\\u003c", b">": b"\\u003e", b"&": b"\\u0026"}
_BIDI_CONTROLS = {c: None for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


@dataclass(frozen=True)
class Claimant:
    name: str
    name_ar: str
    is_person: bool


@dataclass(frozen=True)
class SourceRef:
    """A document the claim appeared in, as far as the public may follow it."""

    url: str
    title: str
    published_at: dt.datetime | None
    appearance_id: int


@dataclass(frozen=True)
class PublishedReview:
    """The latest published review of a claim with what the public sees of the claim."""

    claim_id: int
    claim_text: str
    claim_language: str
    text_en: str
    text_ar: str
    stated_at: dt.date | None
    claimant: Claimant
    sources: tuple[SourceRef, ...]
    review_id: int
    verdict: str
    rationale: str
    language: str
    published_at: dt.datetime

    @property
    def language_tag(self) -> str | None:
        """The review's language as a tag a consumer can read ("other" is a choice of ours)."""
        return self.language if self.language in PUBLIC_LANGUAGES else None

    @property
    def claim_language_tag(self) -> str:
        return self.claim_language if self.claim_language in PUBLIC_LANGUAGES else ""

    @property
    def page_language(self) -> str:
        return self.language_tag or DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Publisher:
    """Who signs the fact-checks, and where the public pages live."""

    name: str
    base_url: str

    def page_url(self, claim_id: int) -> str:
        return f"{self.base_url.rstrip('/')}/c/{claim_id}/"


def public_url(url: str) -> str:
    """The URL if a reader can follow it safely (http or https), else ""; a stored
    "javascript:" URL must never become a link or a feed URL."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def without_bidi_controls(text: str) -> str:
    """For places that cannot isolate text (a page <title>, an Atom title)."""
    return text.translate(_BIDI_CONTROLS)


def claim_text_for(review: PublishedReview) -> str:
    """The claim in the review's language when we hold it (original or translation), else the
    original as written."""
    if review.language == review.claim_language:
        return review.claim_text
    translated = {"en": review.text_en, "ar": review.text_ar}.get(review.language, "")
    return translated or review.claim_text


def verdict_label(verdict: str, language: str) -> str:
    """The verdict's name in the given language, from the same catalogue as the editor UI."""
    with translation.override(language):
        return str(label_for("verdict", verdict))


def first_appearance(sources: Iterable[SourceRef]) -> SourceRef | None:
    """The earliest dated source; undated ones count as later than any dated one, and ties go
    to the appearance recorded first."""
    dated = sorted(
        sources,
        key=lambda s: (s.published_at is None, s.published_at or dt.datetime.min, s.appearance_id),
    )
    return dated[0] if dated else None


def _creative_work(source: SourceRef) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork", "url": source.url}
    if source.title:
        work["headline"] = source.title
    if source.published_at is not None:
        work["datePublished"] = source.published_at.isoformat()
    return work


def _claimant(claimant: Claimant) -> dict[str, Any]:
    author: dict[str, Any] = {
        "@type": "Person" if claimant.is_person else "Organization",
        "name": claimant.name,
    }
    if claimant.name_ar and claimant.name_ar != claimant.name:
        author["alternateName"] = claimant.name_ar
    return author


def claim_review(review: PublishedReview, publisher: Publisher) -> dict[str, Any]:
    """One ClaimReview (Google's required and recommended properties) for a published review."""
    followable = [s for s in review.sources if public_url(s.url)]
    item: dict[str, Any] = {"@type": "Claim", "author": _claimant(review.claimant)}
    if review.stated_at is not None:
        item["datePublished"] = review.stated_at.isoformat()
    if followable:
        item["appearance"] = [_creative_work(s) for s in followable]
        first = first_appearance(followable)
        assert first is not None
        item["firstAppearance"] = _creative_work(first)
    result: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": publisher.page_url(review.claim_id),
        "claimReviewed": claim_text_for(review),
        "datePublished": review.published_at.isoformat(),
        "author": {"@type": "Organization", "name": publisher.name, "url": publisher.base_url},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING_OF_VERDICT[review.verdict],
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": verdict_label(review.verdict, review.page_language),
        },
        "reviewBody": review.rationale,
        "itemReviewed": item,
    }
    if review.language_tag:
        result["inLanguage"] = review.language_tag
    return result


def to_json(data: Any, *, for_html: bool = False) -> bytes:
    """UTF-8 JSON with bidi controls and line separators escaped; `for_html` also escapes
    < > & so the result can sit inside <script type="application/ld+json">. Those characters
    only ever occur inside JSON strings, so replacing their bytes cannot touch the structure."""
    out = orjson.dumps(data)
    for raw, escaped in _INERT_IN_JSON.items():
        out = out.replace(raw, escaped)
    if for_html:
        for raw, escaped in _INERT_IN_HTML.items():
            out = out.replace(raw, escaped)
    return out


def data_feed(
    reviews: Iterable[Iterable[PublishedReview]],
    publisher: Publisher,
    *,
    date_modified: dt.datetime | None,
) -> Iterator[bytes]:
    """The DataFeed as consecutive byte strings, one per batch of reviews, so a feed of any
    size is written with one batch in memory at a time."""
    head: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "name": f"{publisher.name}: fact checks",
        "url": f"{publisher.base_url.rstrip('/')}/feeds/claimreview.json",
    }
    if date_modified is not None:
        head["dateModified"] = date_modified.isoformat()
    # The opening object without its closing brace, then the array, then the brace.
    yield to_json(head)[:-1] + b',"dataFeedElement":['
    first = True
    for batch in reviews:
        parts = [to_json(claim_review(r, publisher)) for r in batch]
        if parts:
            yield (b"" if first else b",") + b",".join(parts)
            first = False
    yield b"]}"
