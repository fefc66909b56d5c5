"""Ingestion: a pasted text or a fetched URL becomes a Source (deduplicated by canonical URL and
text hash, near-duplicates linked to their original) and proposed claims with claimant, chain,
numbers, dates and places. One transaction per document: refused input stores nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from claims import duplicates
from claims.extraction.attribution import ActorIndex, ActorName
from claims.extraction.pipeline import ClaimProposal, detect_language, propose_claims
from claims.extraction.places import PlaceIndex, PlaceName
from claims.models import (
    Actor,
    Appearance,
    Claim,
    Language,
    Place,
    Quantity,
    Source,
    SourceBand,
)

MAX_BYTES = 5 * 1024 * 1024
INGEST_REASON = "Proposed by ingestion"
ANONYMOUS_SLUG = "unnamed-sources"


class IngestError(ValueError):
    """Input we refuse; the message is one sentence for the editor, and nothing was stored."""


@dataclass
class IngestResult:
    source: Source
    source_created: bool
    claims: list[Claim] = field(default_factory=list)
    near_duplicate_of: Source | None = None

    def as_dict(self) -> dict[str, Any]:
        """The shape of DESIGN §8's `ingest --json`."""
        from claims.selectors import ingest_claims_listing

        return {
            "source": {
                "id": self.source.pk,
                "url": self.source.canonical_url,
                "publisher": self.source.publisher.name if self.source.publisher else None,
                "language": self.source.language,
                "published_at": self.source.published_at.date().isoformat()
                if self.source.published_at
                else None,
                "title": self.source.title,
                "created": self.source_created,
                "near_duplicate_of": self.near_duplicate_of.pk if self.near_duplicate_of else None,
            },
            "claims": ingest_claims_listing([c.pk for c in self.claims]),
        }


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, default port and fragment dropped: one document, one URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IngestError(f"{url!r} is not an http(s) URL.")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # urlsplit unwraps an IPv6 literal; a URL needs its brackets
    default = {"http": 80, "https": 443}[parts.scheme]
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _validated_text(text: str) -> str:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise IngestError("The text is larger than 5 MB.")
    if "\x00" in text:
        raise IngestError("The content is binary, not text.")
    stripped = text.strip()
    if not stripped:
        raise IngestError("The text is empty.")
    return stripped


def actor_index() -> ActorIndex:
    return ActorIndex(
        [
            ActorName(actor_id=a.pk, name=a.name, aliases=tuple([a.name_ar, *a.aliases]))
            for a in Actor.objects.only("id", "name", "name_ar", "aliases")
        ]
    )


def place_index() -> PlaceIndex:
    return PlaceIndex(
        [
            PlaceName(
                place_id=p.pk,
                names=tuple(n for n in (p.name, p.name_ar, *p.aliases) if n),
                # Homs the governorate and Homs the city share a name: the index prefers the
                # town unless the text says "governorate" or "countryside".
                region=p.kind in (Place.Kind.COUNTRY, Place.Kind.GOVERNORATE, Place.Kind.DISTRICT),
            )
            for p in Place.objects.only("id", "name", "name_ar", "aliases", "kind")
        ]
    )


def _unique_slug(model: Any, base: str) -> str:
    slug = slugify(base, allow_unicode=False)[:120] or "item"
    candidate, n = slug, 2
    while model.objects.filter(slug=candidate).exists():
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _actor_named(name: str, *, kind: str = Actor.Kind.PERSON) -> Actor:
    """An actor the text names but the desk does not know yet: created as proposed."""
    existing = Actor.objects.filter(name=name).first() or Actor.objects.filter(name_ar=name).first()
    if existing is not None:
        return existing
    arabic = any("\u0600" <= ch <= "\u06ff" for ch in name)
    return Actor.objects.create(
        slug=_unique_slug(
            Actor, name if not arabic else f"actor-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
        ),
        name=name,
        name_ar=name if arabic else "",
        kind=kind,
        is_proposed=True,
    )


def _anonymous_actor() -> Actor:
    actor, _ = Actor.objects.get_or_create(
        slug=ANONYMOUS_SLUG,
        defaults={"name": "Unnamed sources", "name_ar": "مصادر", "kind": Actor.Kind.ANONYMOUS},
    )
    return actor


def _placeholder_for(publisher: Actor, published: dt.date | None) -> Source:
    """The document a relay cites but we do not hold ("according to Reuters")."""
    when = published.isoformat() if published else "undated"
    source, _ = Source.objects.get_or_create(
        slug=f"placeholder-{publisher.slug}-{when}"[:150],
        defaults={
            "publisher": publisher,
            "is_placeholder": True,
            "published_at": _midnight(published),
        },
    )
    return source


def _midnight(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) if day else None


def index_source(source: Source) -> None:
    """Store the source's MinHash signature and bands so later copies of it are recognised."""
    if not source.text:
        return
    sig = duplicates.signature(source.text)
    if source.minhash != list(sig):
        Source.objects.filter(pk=source.pk).update(minhash=list(sig))
        source.minhash = list(sig)
    SourceBand.objects.filter(source=source).delete()
    SourceBand.objects.bulk_create(
        SourceBand(source=source, band=band, key=key) for band, key in duplicates.band_keys(sig)
    )


def _near_duplicate(sig: Sequence[int], exclude: int | None) -> Source | None:
    keys = duplicates.band_keys(sig)
    candidates: set[int] = set()
    for band, key in keys:
        candidates.update(
            SourceBand.objects.filter(band=band, key=key).values_list("source_id", flat=True)
        )
    candidates.discard(exclude)
    best: tuple[float, Source] | None = None
    for source in Source.objects.filter(pk__in=candidates).order_by("published_at", "id"):
        score = duplicates.similarity(sig, source.minhash)
        if score >= duplicates.NEAR_DUPLICATE and (best is None or score > best[0]):
            best = (score, source)
    return best[1] if best else None


@transaction.atomic
def ingest_text(
    *,
    text: str,
    language: str | None = None,
    published: dt.date | None = None,
    publisher: str | None = None,
    url: str | None = None,
    via_urls: Sequence[str] = (),
    title: str = "",
    accept: bool = False,
    by: AbstractBaseUser | None = None,
    html_sha256: str = "",
) -> IngestResult:
    """Store the document and propose its claims. Ingesting the same text (or URL) again creates
    no duplicates; a near-duplicate of a stored text is linked to it as its upstream."""
    body = _validated_text(text)
    detected = detect_language(body)
    if language is None:
        if detected is None:
            raise IngestError("The language could not be recognised: give --language ar or en.")
        language = detected
    if language not in (Language.ARABIC, Language.ENGLISH):
        raise IngestError(f"Unknown language {language!r}: use ar or en.")
    url = canonical_url(url) if url else ""
    via = [canonical_url(v) for v in via_urls]
    sha = hashlib.sha256(body.encode()).hexdigest()

    existing = (Source.objects.filter(canonical_url=url).first() if url else None) or (
        Source.objects.filter(text_sha256=sha).first()
    )
    if existing is not None and existing.text_sha256 == sha:
        claims = list(Claim.objects.filter(appearances__source=existing).distinct().order_by("id"))
        return IngestResult(source=existing, source_created=False, claims=claims)
    if existing is not None and url:
        raise IngestError(
            f"{url} is already stored with a different text; re-check the source instead."
        )

    publisher_actor = _actor_named(publisher, kind=Actor.Kind.MEDIA) if publisher else None
    sig = duplicates.signature(body)
    original = _near_duplicate(sig, exclude=None)
    source = Source.objects.create(
        slug=_unique_slug(
            Source, f"{(publisher_actor.slug if publisher_actor else 'src')}-{sha[:12]}"
        ),
        canonical_url=url,
        publisher=publisher_actor,
        language=language,
        published_at=_midnight(published),
        retrieved_at=dt.datetime.now(dt.UTC),
        title=title[:500],
        text=body,
        text_sha256=sha,
        html_sha256=html_sha256,
    )
    index_source(source)
    via_sources = [
        Source.objects.get_or_create(
            canonical_url=v, defaults={"slug": _unique_slug(Source, v), "is_placeholder": True}
        )[0]
        for v in via
    ]
    proposals = propose_claims(
        body,
        language=language,
        published=published or dt.date.today(),
        actors=actor_index(),
        places=place_index(),
    )
    result = IngestResult(source=source, source_created=True, near_duplicate_of=original)
    for n, proposal in enumerate(proposals, start=1):
        result.claims.append(
            _store_claim(
                proposal,
                n=n,
                source=source,
                language=language,
                published=published,
                upstream=original or (via_sources[0] if via_sources else None),
                accept=accept,
                by=by,
            )
        )
    return result


def _store_claim(
    proposal: ClaimProposal,
    *,
    n: int,
    source: Source,
    language: str,
    published: dt.date | None,
    upstream: Source | None,
    accept: bool,
    by: AbstractBaseUser | None,
) -> Claim:
    if proposal.claimant_actor_id is not None:
        claimant = Actor.objects.get(pk=proposal.claimant_actor_id)
    elif proposal.claimant_name:
        claimant = _actor_named(proposal.claimant_name)
    else:
        claimant = _anonymous_actor()
    claim = Claim(
        slug=_unique_slug(Claim, f"{source.slug}-{n}"),
        claimant=claimant,
        language=language,
        text=proposal.text,
        text_en=proposal.text if language == Language.ENGLISH else "",
        stance=proposal.stance,
        stated_at=proposal.stated_at,
        event_start=proposal.event_start,
        event_end=proposal.event_end or proposal.event_start,
        state=Claim.State.IN_REVIEW if accept else Claim.State.NEW,
        created_by=by if by is not None and by.pk else None,  # type: ignore[misc]
    )
    if claim.event_start and claim.event_end and claim.event_start > claim.event_end:
        claim.event_start, claim.event_end = claim.event_end, claim.event_start
    claim._change_reason = INGEST_REASON  # type: ignore[attr-defined]
    claim.save()
    claim.places.set(proposal.place_ids)
    Quantity.objects.bulk_create(
        Quantity(
            claim=claim,
            item=q.item or "unspecified",
            low=q.low,
            high=q.high,
            qualifier=q.qualifier,
            approximate=q.approximate,
            text=q.text[:300],
        )
        for q in proposal.quantities
    )
    via = upstream
    if proposal.via_names:
        relay_id = proposal.via_actor_ids[0]
        relay = (
            Actor.objects.get(pk=relay_id)
            if relay_id is not None
            else _actor_named(proposal.via_names[0], kind=Actor.Kind.MEDIA)
        )
        via = _placeholder_for(relay, published)
    if via is not None and via.pk == source.pk:
        via = None
    appearance = Appearance(
        claim=claim, source=source, quote=proposal.quote, verb=proposal.verb[:60], via=via
    )
    appearance._change_reason = INGEST_REASON  # type: ignore[attr-defined]
    appearance.save()
    return claim


def ingest_url(
    *,
    url: str,
    language: str | None = None,
    published: dt.date | None = None,
    publisher: str | None = None,
    via_urls: Sequence[str] = (),
    accept: bool = False,
    by: AbstractBaseUser | None = None,
    policy: Any = None,
) -> IngestResult:
    """Fetch through the SSRF-safe fetcher, then ingest the main text with its metadata."""
    from claims.fetching import FetchError, FetchPolicy, fetch

    target = canonical_url(url)
    stored = Source.objects.filter(canonical_url=target).exclude(text="").first()
    if stored is not None:
        claims = list(Claim.objects.filter(appearances__source=stored).distinct().order_by("id"))
        return IngestResult(source=stored, source_created=False, claims=claims)
    try:
        fetched = fetch(target, policy=policy or FetchPolicy())
    except FetchError as exc:
        raise IngestError(exc.reason) from None
    if publisher is None:
        host = urlsplit(fetched.final_url).hostname or ""
        known = Actor.objects.filter(domains__contains=[re.sub(r"^www\.", "", host)]).first()
        publisher = known.name if known else None
    return ingest_text(
        text=fetched.text,
        language=language,
        published=published or fetched.published,
        publisher=publisher,
        url=fetched.final_url,
        via_urls=via_urls,
        title=fetched.title,
        accept=accept,
        by=by,
        html_sha256=fetched.body_sha256,
    )
