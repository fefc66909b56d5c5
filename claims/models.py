"""The tracker's data model: who claimed what (Claim, Actor), where it appeared and through whom
(Source, Appearance with its via link), what it counts (Quantity), where and when (Place, Event),
and what the desk decided or found (Review, Flag). Vocabulary of ../shared/DESIGN.md §2.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from claims.extraction.arabic import search_text


class Language(models.TextChoices):
    ARABIC = "ar", "Arabic"
    ENGLISH = "en", "English"
    OTHER = "other", "Other"


class Place(models.Model):
    """A gazetteer entry (Syria › Rif Dimashq › al-Dumayr), loaded from packages, never typed."""

    class Kind(models.TextChoices):
        COUNTRY = "country", "Country"
        GOVERNORATE = "governorate", "Governorate"
        DISTRICT = "district", "District"
        TOWN = "town", "Town or city"
        QUARTER = "quarter", "Quarter"
        VILLAGE = "village", "Village"
        ROAD = "road", "Road"
        BUILDING = "building", "Building"
        LOCALITY = "locality", "Locality"

    # "geonames:170652" or "seed:al-jazra-oil-field-road": stable across databases.
    ref = models.CharField(max_length=100, unique=True)
    geonames_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    name = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Slash-separated ids from the top ("1/5/42/"): "this place and everything under it" is one
    # indexed prefix query instead of a recursive walk.
    path = models.CharField(max_length=255, db_index=True, blank=True, editable=False)
    origin = models.TextField(help_text="Package or document the entry came from.")
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="place_not_its_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.name_ar})" if self.name_ar else self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = search_text(self.name, self.name_ar, *self.aliases)
        super().save(*args, **kwargs)


class Actor(models.Model):
    """A person or organisation that claims or publishes (CENTCOM, ISIS, al-Naba, Reuters)."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", "Government"
        MILITARY = "military", "Military"
        ARMED_GROUP = "armed_group", "Armed group"
        MEDIA = "media", "Media outlet"
        WIRE = "wire", "Wire agency"
        NGO = "ngo", "NGO"
        THINK_TANK = "think_tank", "Think tank"
        PERSON = "person", "Person"
        SOCIAL_ACCOUNT = "social_account", "Social media account"
        # "مصادر", "sources said", "officials said": attributed to nobody an editor can check.
        ANONYMOUS = "anonymous", "Unnamed sources"

    class Reliability(models.TextChoices):
        # Admiralty code for the source: A completely reliable … F cannot be judged.
        A = "A", "A – completely reliable"
        B = "B", "B – usually reliable"
        C = "C", "C – fairly reliable"
        D = "D", "D – not usually reliable"
        E = "E", "E – unreliable"
        F = "F", "F – reliability cannot be judged"

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200, blank=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names, both scripts.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The organisation this actor belongs to (al-Naba → ISIS).",
    )
    party_to_conflict = models.BooleanField(default=False)
    side = models.CharField(max_length=100, blank=True)
    reliability = models.CharField(max_length=1, choices=Reliability.choices, default=Reliability.F)
    domains = models.JSONField(default=list, blank=True, help_text="Homepage domains.")
    is_proposed = models.BooleanField(
        default=False, help_text="Created by extraction; an editor has not confirmed it yet."
    )
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="actor_not_its_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = search_text(self.name, self.name_ar, *self.aliases)
        super().save(*args, **kwargs)


class Source(models.Model):
    """One document we have seen (or know of, for placeholders): article, release, post…"""

    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        PRESS_RELEASE = "press_release", "Press release"
        STATEMENT = "statement", "Statement"
        SOCIAL_POST = "social_post", "Social media post"
        VIDEO = "video", "Video"
        REPORT = "report", "Report"
        NEWSPAPER = "newspaper", "Newspaper issue"
        WEBSITE = "website", "Website post"
        INTERVIEW = "interview", "Interview"

    slug = models.SlugField(max_length=150, unique=True)
    canonical_url = models.URLField(max_length=2000, blank=True)
    publisher = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="publications"
    )
    author = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ARTICLE)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ARABIC)
    published_at = models.DateTimeField(null=True, blank=True)
    retrieved_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    text_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    html_sha256 = models.CharField(max_length=64, blank=True)
    archive_url = models.URLField(max_length=2000, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    is_placeholder = models.BooleanField(
        default=False,
        help_text="We know this document is cited but do not hold its text.",
    )
    # Set by the periodic re-fetch: when it last ran, what went wrong, and the hash of the text
    # it found, compared with text_sha256 to notice stealth edits.
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.CharField(max_length=300, blank=True)
    refetched_sha256 = models.CharField(max_length=64, blank=True)
    minhash = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["canonical_url"],
                condition=~Q(canonical_url=""),
                name="source_unique_canonical_url",
            ),
        ]

    def __str__(self) -> str:
        if self.title or self.canonical_url:
            return self.title or self.canonical_url
        # Placeholders have neither: name them the way an editor would ("al-Naba newspaper
        # issue, 2025-11-27"). Callers listing many sources select_related the publisher.
        publisher = self.publisher.name if self.publisher_id and self.publisher else "Unknown"
        when = f", {self.published_at:%Y-%m-%d}" if self.published_at else ""
        return f"{publisher} {self.get_kind_display().lower()}{when}"


class SourceBand(models.Model):
    """One band of a source's MinHash signature: sources sharing a band are near-duplicate
    candidates (claims/duplicates.py), found with one indexed lookup."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="bands")
    band = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["band", "key"], name="sourceband_lookup")]
        constraints = [
            models.UniqueConstraint(fields=["source", "band"], name="sourceband_once_per_band")
        ]

    def __str__(self) -> str:
        return f"{self.source_id} band {self.band}"


class Event(models.Model):
    """A happening that several claims are about (the 24–27 Nov Rif Dimashq operation)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        CONFIRMED = "confirmed", "Confirmed by an editor"

    slug = models.SlugField(max_length=150, unique=True)
    title = models.CharField(max_length=300)
    title_ar = models.CharField(max_length=300, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    places = models.ManyToManyField(Place, blank=True, related_name="events")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(start__lte=F("end")),
                name="event_starts_before_it_ends",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Claim(models.Model):
    """One attributed assertion, stored once however often it is repeated."""

    class Stance(models.TextChoices):
        ASSERTS = "asserts", "Asserts"
        DENIES = "denies", "Denies"
        CLAIMS_RESPONSIBILITY = "claims_responsibility", "Claims responsibility"
        ADMITS = "admits", "Admits"

    class State(models.TextChoices):
        NEW = "new", "New"
        IN_REVIEW = "in_review", "In review"
        REVIEWED = "reviewed", "Reviewed"
        PUBLISHED = "published", "Published"
        NEEDS_INFO = "needs_info", "Needs information"

    class Verdict(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        CONFIRMED = "confirmed", "Confirmed"
        LIKELY_TRUE = "likely_true", "Likely true"
        CONTESTED = "contested", "Contested"
        MISLEADING = "misleading", "Misleading"
        LIKELY_FALSE = "likely_false", "Likely false"
        FALSE = "false", "False"
        UNASSESSABLE = "unassessable", "Unassessable"

    slug = models.SlugField(max_length=150, unique=True)
    claimant = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="claims")
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ARABIC)
    text = models.TextField(help_text="The claim in its original language, as written.")
    text_en = models.TextField(blank=True, help_text="English translation.")
    text_ar = models.TextField(
        blank=True, help_text="Arabic translation, when the original is not Arabic."
    )
    stance = models.CharField(max_length=30, choices=Stance.choices, default=Stance.ASSERTS)
    stated_at = models.DateField(null=True, blank=True, help_text="When the claimant said it.")
    event_start = models.DateField(null=True, blank=True)
    event_end = models.DateField(null=True, blank=True)
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    places = models.ManyToManyField(Place, blank=True, related_name="claims")
    tags = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEW)
    verdict = models.CharField(max_length=20, choices=Verdict.choices, default=Verdict.UNVERIFIED)
    priority = models.FloatField(default=0.0, db_index=True)
    # Why the priority is what it is, one line a factor ("open major flag: +30").
    priority_reasons = models.JSONField(default=list, blank=True)
    # Optimistic concurrency: every accepted edit bumps it; an edit based on an older value loses.
    version = models.PositiveIntegerField(default=1)
    search_text = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_claims",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["search_text", "priority", "priority_reasons", "updated_at"]
    )

    class Meta:
        ordering = ["-priority", "-stated_at", "id"]
        indexes = [
            models.Index(fields=["state", "verdict"], name="claim_state_verdict"),
            # A check looks for claims dated near its own: range scans on these.
            models.Index(fields=["event_start", "event_end"], name="claim_event_window"),
            models.Index(fields=["stated_at"], name="claim_stated_at"),
            # The review queue's order and the API list's (priority, then id): a page is an
            # index range, not a sort of every claim (23 → 3 ms per page at 10k claims).
            models.Index(
                F("priority").desc(), F("stated_at").desc(), "id", name="claim_queue_order"
            ),
            models.Index(F("priority").desc(), "id", name="claim_api_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(event_start__isnull=True)
                | Q(event_end__isnull=True)
                | Q(event_start__lte=F("event_end")),
                name="claim_event_starts_before_it_ends",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="claim_version_positive"),
            models.CheckConstraint(condition=~Q(text=""), name="claim_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.claimant}: {self.text[:80]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = search_text(self.text, self.text_en, self.text_ar)
        super().save(*args, **kwargs)


class Appearance(models.Model):
    """A claim appearing in a source, and the upstream source this one cites for it (via)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="appearances")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="appearances")
    quote = models.TextField(blank=True, help_text="Verbatim span of the source.")
    verb = models.CharField(max_length=60, blank=True, help_text="Reporting verb as written.")
    via = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cited_for",
        help_text="The upstream source this source cites for the claim.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "source"], name="appearance_once_per_source"),
            models.CheckConstraint(
                condition=~Q(via=F("source")), name="appearance_does_not_cite_itself"
            ),
        ]

    def __str__(self) -> str:
        verb = f"{self.verb} " if self.verb else ""
        return f"{verb}in {self.source}"


class Quantity(models.Model):
    """A number in a claim, as an interval (DESIGN §3): exact, open-ended or a range."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="quantities")
    item = models.CharField(max_length=100, help_text="What is counted: mortars, killed, sites…")
    low = models.PositiveBigIntegerField()
    high = models.PositiveBigIntegerField(null=True, blank=True, help_text="Empty = open.")
    qualifier = models.CharField(max_length=60, blank=True, help_text="As written: أكثر من, about…")
    approximate = models.BooleanField(default=False, help_text="Widened by ±10 % when compared.")
    text = models.CharField(max_length=300, blank=True, help_text="The raw span.")

    class Meta:
        ordering = ["claim", "item", "id"]
        verbose_name_plural = "quantities"
        constraints = [
            models.CheckConstraint(
                condition=Q(high__isnull=True) | Q(low__lte=F("high")),
                name="quantity_low_not_above_high",
            ),
        ]

    def __str__(self) -> str:
        high = "…" if self.high is None else str(self.high)
        return f"{self.item}: [{self.low}, {high}]"


class ReviewQuerySet(models.QuerySet["Review"]):
    def update(self, **kwargs: Any) -> int:
        # Bulk updates would bypass Review.save()'s append-only guard.
        raise ValidationError("Reviews are append-only; record a new review instead.")


class Review(models.Model):
    """An append-only verdict record. Only the publication fields may change afterwards."""

    MUTABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"published", "published_at", "published_by"}
    )

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="reviews")
    verdict = models.CharField(max_length=20, choices=Claim.Verdict.choices)
    rationale = models.TextField()
    evidence_links = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_reviews",
    )

    history = HistoricalRecords()
    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "-created_at", "-id"]
        permissions = [("publish_review", "Can publish a review (reviewers)")]
        constraints = [
            models.CheckConstraint(condition=~Q(rationale=""), name="review_rationale_required"),
            models.CheckConstraint(
                condition=Q(published=False) | Q(published_at__isnull=False),
                name="review_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} on claim {self.claim_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            before: dict[str, Any] | None = Review.objects.filter(pk=self.pk).values().first()  # type: ignore[assignment]
            if before is not None:
                changed = {
                    f.name
                    for f in self._meta.concrete_fields
                    if before[f.attname] != getattr(self, f.attname)
                }
                if changed - self.MUTABLE_FIELDS:
                    raise ValidationError(
                        "Reviews are append-only; only publication may change "
                        f"(tried to change {', '.join(sorted(changed - self.MUTABLE_FIELDS))})."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("Reviews are append-only and cannot be deleted.")


class Flag(models.Model):
    """A finding of the verification jobs, unique by fingerprint so re-runs never duplicate it."""

    class Kind(models.TextChoices):
        QUANTITY_CONFLICT = "quantity_conflict", "Quantity conflict"
        DATE_CONFLICT = "date_conflict", "Date conflict"
        PLACE_CONFLICT = "place_conflict", "Place conflict"
        DENIAL = "denial", "Denial"
        SINGLE_ROOT = "single_root", "Single root (circular reporting)"
        PARTISAN_ONLY = "partisan_only", "Partisan sources only"
        UNSOURCED = "unsourced", "Unsourced"
        QUOTE_NOT_IN_SOURCE = "quote_not_in_source", "Quote not in source"
        UNVERIFIED_STALE = "unverified_stale", "Unverified past SLA"
        SOURCE_UNREACHABLE = "source_unreachable", "Source unreachable"
        SOURCE_CHANGED = "source_changed", "Source changed"

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        MINOR = "minor", "Minor"
        MAJOR = "major", "Major"
        CRITICAL = "critical", "Critical"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MINOR)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    fingerprint = models.CharField(max_length=64, unique=True)
    # Hash of the evidence the finding rests on: a dismissed flag reopens only when it changes.
    evidence_hash = models.CharField(max_length=64, blank=True)
    claims = models.ManyToManyField(Claim, related_name="flags")
    sources = models.ManyToManyField(Source, blank=True, related_name="flags")
    detail = models.TextField(help_text="Human explanation of the finding.")
    dismissed_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    # The claims a flag is about are part of its fingerprint and never change, so history
    # tracks its state, severity, detail and dismissal, not the links.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["state", "-created_at"]
        indexes = [models.Index(fields=["kind", "state"], name="flag_kind_state")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="dismissed") | ~Q(dismissed_reason=""),
                name="flag_dismissal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_state_display()})"


class PendingCheck(models.Model):
    """The outbox of claim checks: written in the same transaction as the edit that needs it,
    deleted by the check itself. A save made while the broker is down is therefore never lost:
    beat re-enqueues whatever is still here."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="pending_check")
    requested_at = models.DateTimeField(db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"check of claim {self.claim_id} requested {self.requested_at:%Y-%m-%d %H:%M:%S}"


class WebhookEvent(models.TextChoices):
    """What a webhook subscriber can ask to be told about."""

    REVIEW_PUBLISHED = "review.published", "A review was published"
    VERDICT_CHANGED = "verdict.changed", "A claim's published verdict changed"


def validate_webhook_url(url: str) -> None:
    """The checks a stored receiver URL can pass now (http(s), no credentials, no literal
    non-public address); the address check proper is repeated after DNS at every delivery."""
    # Imported here: the fetcher pulls in trafilatura, which model loading should not pay for.
    from claims.fetching import FetchRefused, check_url

    try:
        check_url(url)
    except FetchRefused as exc:
        raise ValidationError(exc.reason, code="webhook_url") from None


def validate_webhook_events(events: Any) -> None:
    if not isinstance(events, list) or not events:
        raise ValidationError("Choose at least one event.", code="webhook_events")
    unknown = [e for e in events if e not in WebhookEvent.values]
    if unknown:
        known = ", ".join(WebhookEvent.values)
        raise ValidationError(
            f"Unknown event {unknown[0]!r}; the events are {known}.", code="webhook_events"
        )


class WebhookSubscriber(models.Model):
    """A system that receives a signed JSON POST when a verdict is published or changes."""

    name = models.CharField(max_length=200)
    url = models.URLField(
        max_length=2000,
        validators=[validate_webhook_url],
        help_text="Receiver URL (http or https, a public address).",
    )
    # Kept readable because every delivery is signed with it; shown once, when created.
    secret = models.CharField(
        max_length=100,
        blank=True,
        help_text="Signing secret; leave empty to generate one. Shown only once.",
    )
    events = models.JSONField(
        default=list,
        validators=[validate_webhook_events],
        help_text="Event names: " + ", ".join(WebhookEvent.values) + ".",
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(secret=""), name="webhooksubscriber_has_secret"),
            models.CheckConstraint(condition=~Q(url=""), name="webhooksubscriber_has_url"),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        # Never the secret, not even in a traceback.
        return f"<WebhookSubscriber {self.pk}: {self.name} → {self.url}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._ensure_secret()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Before the constraint check of full_clean, which would refuse an empty secret.
        self._ensure_secret()

    def _ensure_secret(self) -> None:
        if not self.secret:
            self.secret = secrets.token_urlsafe(32)

    def wants(self, event: str) -> bool:
        return self.active and event in (self.events or [])


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one subscriber: the log of its attempts."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscriber = models.ForeignKey(
        WebhookSubscriber, on_delete=models.PROTECT, related_name="deliveries"
    )
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.PROTECT, related_name="webhook_deliveries"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    # Sent as X-Tracker-Delivery and in the payload: receivers use it to drop duplicates, since
    # a retry after a lost answer sends the same delivery again.
    delivery_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # One entry an attempt: {"at", "status", "error", "ms"}.
    attempt_log = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["state", "created_at"], name="webhookdelivery_state"),
        ]
        constraints = [
            # Publishing a review happens once, so each subscriber hears of it once per event.
            models.UniqueConstraint(
                fields=["subscriber", "review", "event"], name="webhookdelivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(finished_at__isnull=False),
                name="webhookdelivery_finished_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscriber_id} ({self.get_state_display()})"
