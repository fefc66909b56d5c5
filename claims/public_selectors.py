"""Read queries for what the public sees (DESIGN §8: "only published material is public"): the
latest published review of each claim as plain data, and the cheap stamps that the feeds and
public pages answer conditional requests with. Nothing here reads an unpublished review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery

from claims import claimreview
from claims.models import Actor, Appearance, Review

# Rows fetched (and appearances prefetched) per round trip while streaming the feed: big enough
# that 10k reviews take a few dozen queries, small enough that one batch is a few MB.
FEED_CHUNK = 500
# The Atom feed is a "what's new" feed; the ClaimReview DataFeed is the full export.
ATOM_ENTRIES = 100
# Bump when the public representation changes, so caches holding the old one revalidate.
REPRESENTATION_VERSION = 1


@dataclass(frozen=True)
class PublicationStamp:
    """What a public representation depends on, in one aggregate query: the published reviews
    (their count and latest time), the appearances (count) and the newest change to a claim,
    its claimant or one of its sources. Any publication, edit, new or removed appearance
    changes it."""

    scope: str
    reviews: int
    appearances: int
    last_changed: dt.datetime | None

    @property
    def etag(self) -> str:
        # Weak: it names the data a representation was built from, not its exact bytes.
        stamp = int(self.last_changed.timestamp() * 1_000_000) if self.last_changed else 0
        return (
            f'W/"{self.scope}-v{REPRESENTATION_VERSION}-{self.reviews}.{self.appearances}.{stamp}"'
        )


def publisher(fallback_base_url: str, *, base_url: str | None = None) -> claimreview.Publisher:
    """Who signs the fact-checks and the base of their public URLs: `base_url` when given,
    else TRACKER_PUBLIC_BASE_URL (behind a proxy the request's host may not be the public
    one), else the fallback (the request's own host)."""
    return claimreview.Publisher(
        name=getattr(settings, "TRACKER_ORGANISATION_NAME", claimreview.DEFAULT_ORGANISATION_NAME),
        base_url=base_url or getattr(settings, "TRACKER_PUBLIC_BASE_URL", "") or fallback_base_url,
    )


def _stamp(scope: str, reviews: QuerySet[Review]) -> PublicationStamp:
    row = reviews.order_by().aggregate(
        reviews=Count("id", distinct=True),
        appearances=Count("claim__appearances", distinct=True),
        published=Max("published_at"),
        claims=Max("claim__updated_at"),
        claimants=Max("claim__claimant__updated_at"),
        sources=Max("claim__appearances__source__updated_at"),
    )
    times = [row[k] for k in ("published", "claims", "claimants", "sources") if row[k]]
    return PublicationStamp(
        scope=scope,
        reviews=row["reviews"],
        appearances=row["appearances"],
        last_changed=max(times) if times else None,
    )


def feed_stamp() -> PublicationStamp:
    return _stamp("feed", Review.objects.filter(published=True))


def claim_stamp(claim_id: int) -> PublicationStamp | None:
    """The stamp of one claim's public page, or None when it has no published review."""
    stamp = _stamp(f"claim-{claim_id}", Review.objects.filter(published=True, claim_id=claim_id))
    return stamp if stamp.reviews else None


def _latest_published() -> QuerySet[Review]:
    """One review per claim: its latest published one. A newer review that is not published
    yet is invisible here, so its verdict and rationale never reach the public."""
    latest = (
        Review.objects.filter(claim_id=OuterRef("claim_id"), published=True)
        .order_by("-published_at", "-id")
        .values("id")[:1]
    )
    return (
        Review.objects.filter(published=True, id=Subquery(latest))
        .select_related("claim__claimant")
        # Only what the public sees: a claim's search text or a source's full text would make
        # each streamed batch many times larger.
        .only(
            "id",
            "verdict",
            "rationale",
            "language",
            "published_at",
            "claim__id",
            "claim__text",
            "claim__language",
            "claim__text_en",
            "claim__text_ar",
            "claim__stated_at",
            "claim__claimant__id",
            "claim__claimant__name",
            "claim__claimant__name_ar",
            "claim__claimant__kind",
        )
        .order_by("-published_at", "-id")
    )


_APPEARANCES = Prefetch(
    "claim__appearances",
    queryset=Appearance.objects.select_related("source")
    .only(
        "id",
        "claim_id",
        "source__id",
        "source__canonical_url",
        "source__archive_url",
        "source__title",
        "source__published_at",
    )
    .order_by("id"),
)


def _plain(review: Review, *, with_sources: bool) -> claimreview.PublishedReview:
    claim, claimant = review.claim, review.claim.claimant
    sources: tuple[claimreview.SourceRef, ...] = ()
    if with_sources:
        sources = tuple(
            claimreview.SourceRef(
                url=claimreview.public_url(a.source.canonical_url)
                or claimreview.public_url(a.source.archive_url),
                title=a.source.title,
                published_at=a.source.published_at,
                appearance_id=a.pk,
            )
            for a in claim.appearances.all()
        )
    assert review.published_at is not None  # published reviews always have a time (constraint)
    return claimreview.PublishedReview(
        claim_id=claim.pk,
        claim_text=claim.text,
        claim_language=claim.language,
        text_en=claim.text_en,
        text_ar=claim.text_ar,
        stated_at=claim.stated_at,
        claimant=claimreview.Claimant(
            name=claimant.name,
            name_ar=claimant.name_ar,
            is_person=claimant.kind == Actor.Kind.PERSON,
        ),
        sources=sources,
        review_id=review.pk,
        verdict=review.verdict,
        rationale=review.rationale,
        language=review.language,
        published_at=review.published_at,
    )


def published_review_batches(
    chunk_size: int = FEED_CHUNK,
) -> Iterator[list[claimreview.PublishedReview]]:
    """Every claim's latest published review with its sources, newest first, in batches of
    `chunk_size`: two queries a batch (reviews, then their appearances), one batch in memory."""
    rows = _latest_published().prefetch_related(_APPEARANCES).iterator(chunk_size=chunk_size)
    batch: list[claimreview.PublishedReview] = []
    for review in rows:
        batch.append(_plain(review, with_sources=True))
        if len(batch) == chunk_size:
            yield batch
            batch = []
    if batch:
        yield batch


def recent_published_reviews(limit: int = ATOM_ENTRIES) -> list[claimreview.PublishedReview]:
    """The latest publications for the Atom feed, in one query (it shows no sources)."""
    return [_plain(r, with_sources=False) for r in _latest_published()[:limit]]


def published_review_of(claim_id: int) -> claimreview.PublishedReview | None:
    """One claim's latest published review with its sources, in two queries; None when the
    claim does not exist or has nothing published."""
    review = _latest_published().filter(claim_id=claim_id).prefetch_related(_APPEARANCES).first()
    return None if review is None else _plain(review, with_sources=True)


def claimreview_feed(
    publisher: claimreview.Publisher, stamp: PublicationStamp | None = None
) -> Iterator[bytes]:
    """The whole ClaimReview DataFeed as a byte stream: the one code path of the
    /feeds/claimreview.json view and `manage.py export_claimreview`."""
    if stamp is None:
        stamp = feed_stamp()
    return claimreview.data_feed(
        published_review_batches(), publisher, date_modified=stamp.last_changed
    )
