"""What the API shows and accepts. Read serializers render rows the views fetched with their
relations already joined or prefetched; write serializers only validate input for one service or
workflow call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.models import (
    Actor,
    Appearance,
    Claim,
    Event,
    Flag,
    Language,
    Place,
    Quantity,
    Review,
    Source,
)
from claims.services import EDITABLE_CLAIM_FIELDS

# Reviews and ingested texts are in one of the two languages the desk works in.
ARABIC_OR_ENGLISH = [(Language.ARABIC.value, "Arabic"), (Language.ENGLISH.value, "English")]

# ---- errors -------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `invalid`.")
    message = serializers.CharField(help_text="One sentence saying what went wrong.")
    # Declared fields are popped from the class, so this does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False,
        child=serializers.JSONField(),
        help_text="Per-field messages, for invalid input.",
    )


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()


# ---- small nested shapes ------------------------------------------------------------------


class PlaceBriefSerializer(serializers.ModelSerializer[Place]):
    class Meta:
        model = Place
        fields = ["id", "name", "name_ar"]


class ClaimantSerializer(serializers.ModelSerializer[Actor]):
    class Meta:
        model = Actor
        fields = ["id", "name", "name_ar", "kind", "party_to_conflict", "reliability"]


class SourceBriefSerializer(serializers.ModelSerializer[Source]):
    url = serializers.CharField(source="canonical_url")
    publisher = serializers.CharField(source="publisher.name", allow_null=True, default=None)

    class Meta:
        model = Source
        fields = ["id", "url", "publisher", "is_placeholder"]


class AppearanceSerializer(serializers.ModelSerializer[Appearance]):
    source = SourceBriefSerializer()  # type: ignore[assignment]
    via = SourceBriefSerializer(allow_null=True)

    class Meta:
        model = Appearance
        fields = ["id", "source", "via", "quote", "verb"]


class QuantitySerializer(serializers.ModelSerializer[Quantity]):
    class Meta:
        model = Quantity
        fields = ["id", "item", "low", "high", "qualifier", "approximate", "text"]


class FlagBriefSerializer(serializers.ModelSerializer[Flag]):
    class Meta:
        model = Flag
        fields = ["id", "kind", "severity", "detail"]


# ---- resources ----------------------------------------------------------------------------


class ReviewSerializer(serializers.ModelSerializer[Review]):
    reviewer = serializers.CharField(source="reviewer.get_username")
    published_by = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "claim",
            "verdict",
            "rationale",
            "evidence_links",
            "language",
            "reviewer",
            "created_at",
            "published",
            "published_at",
            "published_by",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_published_by(self, review: Review) -> str | None:
        return review.published_by.get_username() if review.published_by else None


class ClaimListSerializer(serializers.ModelSerializer[Claim]):
    claimant = ClaimantSerializer()
    places = PlaceBriefSerializer(many=True)
    open_flag_count = serializers.IntegerField(help_text="Open flags about this claim.")

    class Meta:
        model = Claim
        fields = [
            "id",
            "slug",
            "claimant",
            "language",
            "text",
            "text_en",
            "stance",
            "stated_at",
            "event_start",
            "event_end",
            "event",
            "places",
            "tags",
            "state",
            "verdict",
            "priority",
            "version",
            "open_flag_count",
            "created_at",
            "updated_at",
        ]


# The claim list renders values() rows (CLAIM_LIST_COLUMNS) with claim_list_items instead of
# model instances through ClaimListSerializer: on a page of 50 the nested serializers cost
# several times what the database does (bench/api.py). ClaimListSerializer still describes the
# list in the OpenAPI schema, and the columns and the output follow its fields.
_NESTED_IN_LIST = ("claimant", "places")
CLAIM_LIST_COLUMNS = (
    *(f for f in ClaimListSerializer.Meta.fields if f not in _NESTED_IN_LIST),
    *(f"claimant__{f}" for f in ClaimantSerializer.Meta.fields),
)
PLACE_BRIEF_COLUMNS = tuple(f"place__{f}" for f in PlaceBriefSerializer.Meta.fields)


def claim_list_items(
    rows: Sequence[Mapping[str, Any]], places: Mapping[int, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """What ClaimListSerializer makes of these claims, from rows with CLAIM_LIST_COLUMNS and
    each claim's places as PlaceBriefSerializer shows them."""
    claimant_fields = ClaimantSerializer.Meta.fields
    return [
        {
            name: (
                {f: row[f"claimant__{f}"] for f in claimant_fields}
                if name == "claimant"
                else places.get(row["id"], [])
                if name == "places"
                else row[name]
            )
            for name in ClaimListSerializer.Meta.fields
        }
        for row in rows
    ]


def _check_list_shape() -> None:
    """claim_list_items copies columns as they come from the database: that is what the
    serializers do only while their fields are plain model fields, plus the two nested ones and
    the open-flag count annotation. Refuse to start if someone adds another kind."""
    declared = {
        "claim list": set(ClaimListSerializer._declared_fields),
        "claimant": set(ClaimantSerializer._declared_fields),
        "place": set(PlaceBriefSerializer._declared_fields),
    }
    expected = {
        "claim list": {*_NESTED_IN_LIST, "open_flag_count"},
        "claimant": set(),
        "place": set(),
    }
    if declared != expected:
        raise ImproperlyConfigured(
            f"ClaimListSerializer's declared fields changed ({declared}); update "
            "claim_list_items, which renders the claim list without it."
        )


_check_list_shape()


class ClaimDetailSerializer(ClaimListSerializer):
    """The claim with its chain: the view passes `chain` (selectors.chain_for_claim) in the
    context so it is computed once."""

    quantities = QuantitySerializer(many=True)
    appearances = AppearanceSerializer(many=True)
    roots = serializers.SerializerMethodField()
    independent_root_count = serializers.SerializerMethodField()
    open_flags = FlagBriefSerializer(many=True)
    latest_review = serializers.SerializerMethodField()

    class Meta(ClaimListSerializer.Meta):
        fields = [
            *ClaimListSerializer.Meta.fields,
            "text_ar",
            "priority_reasons",
            "quantities",
            "appearances",
            "roots",
            "independent_root_count",
            "open_flags",
            "latest_review",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_roots(self, claim: Claim) -> list[int]:
        """Ids of the sources at the end of the chain (they cite nothing upstream)."""
        return sorted(self.context["chain"].report.roots)

    @extend_schema_field(serializers.IntegerField())
    def get_independent_root_count(self, claim: Claim) -> int:
        return int(self.context["chain"].report.independent_root_count)

    @extend_schema_field(ReviewSerializer(allow_null=True))
    def get_latest_review(self, claim: Claim) -> dict[str, Any] | None:
        reviews = claim.reviews_newest_first  # type: ignore[attr-defined]
        return ReviewSerializer(reviews[0]).data if reviews else None


class SourceSerializer(serializers.ModelSerializer[Source]):
    url = serializers.CharField(source="canonical_url")
    publisher = ClaimantSerializer(allow_null=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "slug",
            "url",
            "publisher",
            "author",
            "kind",
            "language",
            "published_at",
            "retrieved_at",
            "title",
            "text",
            "text_sha256",
            "archive_url",
            "http_status",
            "is_placeholder",
            "last_checked_at",
            "last_check_error",
            "created_at",
            "updated_at",
        ]


class ActorSerializer(serializers.ModelSerializer[Actor]):
    class Meta:
        model = Actor
        fields = [
            "id",
            "slug",
            "name",
            "name_ar",
            "aliases",
            "kind",
            "parent",
            "party_to_conflict",
            "side",
            "reliability",
            "domains",
            "is_proposed",
            "created_at",
            "updated_at",
        ]


class EventSerializer(serializers.ModelSerializer[Event]):
    places = PlaceBriefSerializer(many=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "slug",
            "title",
            "title_ar",
            "start",
            "end",
            "places",
            "status",
            "created_at",
            "updated_at",
        ]


class FlagSerializer(serializers.ModelSerializer[Flag]):
    claims: serializers.PrimaryKeyRelatedField[Claim] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    sources: serializers.PrimaryKeyRelatedField[Source] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Flag
        fields = [
            "id",
            "kind",
            "severity",
            "state",
            "claims",
            "sources",
            "detail",
            "dismissed_reason",
            "created_at",
            "updated_at",
            "resolved_at",
        ]


# ---- input --------------------------------------------------------------------------------


class ClaimUpdateSerializer(serializers.Serializer[Any]):
    """A partial edit of the fields in services.EDITABLE_CLAIM_FIELDS, with the reason the
    history keeps."""

    text = serializers.CharField(required=False, max_length=20000)
    text_en = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    text_ar = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    stance = serializers.ChoiceField(choices=Claim.Stance.choices, required=False)
    stated_at = serializers.DateField(required=False, allow_null=True)
    event_start = serializers.DateField(required=False, allow_null=True)
    event_end = serializers.DateField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    reason = serializers.CharField(
        max_length=1000, help_text="Why the claim is changed; kept in its history."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        sent = set(self.initial_data) if isinstance(self.initial_data, dict) else set()
        unknown = sent - EDITABLE_CLAIM_FIELDS - {"reason"}
        if unknown:
            raise serializers.ValidationError(
                {name: ["This field cannot be edited through the API."] for name in unknown}
            )
        if not set(attrs) - {"reason"}:
            raise serializers.ValidationError(
                f"Send at least one of {', '.join(sorted(EDITABLE_CLAIM_FIELDS))} to change."
            )
        return attrs

    @property
    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.validated_data.items() if k != "reason"}


class ReviewCreateSerializer(serializers.Serializer[Any]):
    verdict = serializers.ChoiceField(choices=Claim.Verdict.choices)
    rationale = serializers.CharField(max_length=20000, help_text="Required; why this verdict.")
    evidence_links = serializers.ListField(
        child=serializers.URLField(max_length=2000), required=False, default=list, max_length=50
    )
    language = serializers.ChoiceField(
        choices=ARABIC_OR_ENGLISH, required=False, default=Language.ENGLISH
    )
    expected_version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Refuse (409) if the claim is no longer at this version.",
    )


class DismissSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000, help_text="Required; why the flag is wrong.")


class PublishSerializer(serializers.Serializer[Any]):
    """Publishing takes no fields: the body, when sent, is an empty JSON object."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        sent = set(self.initial_data) if isinstance(self.initial_data, Mapping) else set()
        if sent:
            raise serializers.ValidationError(
                {name: ["Publishing takes no fields."] for name in sorted(sent)}
            )
        return attrs


class IngestRequestSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(required=False, max_length=500_000)
    url = serializers.URLField(required=False, max_length=2000)
    language = serializers.ChoiceField(choices=ARABIC_OR_ENGLISH, required=False, allow_null=True)
    published = serializers.DateField(required=False, allow_null=True)
    publisher = serializers.CharField(required=False, allow_null=True, max_length=200)
    via = serializers.ListField(
        child=serializers.URLField(max_length=2000), required=False, default=list, max_length=20
    )
    accept = serializers.BooleanField(required=False, default=False)

    def validate_url(self, url: str) -> str:
        # Imported here: the fetcher pulls in trafilatura, which the web process need not load.
        from claims.fetching import FetchRefused, check_url_to_fetch

        try:
            check_url_to_fetch(url)
        except FetchRefused as exc:
            raise serializers.ValidationError(exc.reason) from None
        return url

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("text" in attrs) == ("url" in attrs):
            raise serializers.ValidationError("Send either text or url, not both or neither.")
        return attrs


class IngestAcceptedSerializer(serializers.Serializer[Any]):
    task_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending"])
    status_url = serializers.CharField()


class IngestStatusSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["pending", "running", "done", "refused", "failed"])
    error = serializers.CharField(required=False, help_text="Why it was refused or failed.")
    source = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="The stored source (`ingest --json` shape)."
    )
    claims = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="The proposed claims (`ingest --json` shape).",
    )


# ---- transfer (export and import) -----------------------------------------------------------
# These describe the document of claims/transfer.py for the OpenAPI schema; the import itself
# is validated by transfer.validate_document, which reports every problem with its path.


def _key(max_length: int, help_text: str, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, help_text=help_text, **kwargs)


class TransferActorSerializer(serializers.Serializer[Any]):
    slug = _key(100, "The actor's natural key.")
    name = serializers.CharField(max_length=200)
    name_ar = serializers.CharField(max_length=200, required=False, allow_blank=True)
    aliases = serializers.ListField(child=serializers.CharField(), required=False)
    kind = serializers.ChoiceField(choices=Actor.Kind.choices)
    parent = _key(100, "Slug of the parent actor.", required=False, allow_null=True)  # type: ignore[assignment]
    party_to_conflict = serializers.BooleanField(required=False)
    side = serializers.CharField(max_length=100, required=False, allow_blank=True)
    reliability = serializers.ChoiceField(choices=Actor.Reliability.choices, required=False)
    domains = serializers.ListField(child=serializers.CharField(), required=False)
    is_proposed = serializers.BooleanField(required=False)


class TransferPlaceSerializer(serializers.Serializer[Any]):
    ref = _key(100, 'Gazetteer ref, e.g. "geonames:170652"; matched, never created.')
    geonames_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    name_ar = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TransferSourceSerializer(serializers.Serializer[Any]):
    slug = _key(150, "The source's natural key.")
    url = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    publisher = _key(100, "Slug of the publishing actor.", required=False, allow_null=True)
    author = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Source.Kind.choices, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    published_at = serializers.DateTimeField(required=False, allow_null=True)
    retrieved_at = serializers.DateTimeField(required=False, allow_null=True)
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True)
    text_sha256 = serializers.CharField(max_length=64, required=False, allow_blank=True)
    html_sha256 = serializers.CharField(max_length=64, required=False, allow_blank=True)
    archive_url = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    http_status = serializers.IntegerField(
        required=False, allow_null=True, min_value=100, max_value=599
    )
    is_placeholder = serializers.BooleanField(required=False)
    last_checked_at = serializers.DateTimeField(required=False, allow_null=True)
    last_check_error = serializers.CharField(max_length=300, required=False, allow_blank=True)
    refetched_sha256 = serializers.CharField(max_length=64, required=False, allow_blank=True)


class TransferEventSerializer(serializers.Serializer[Any]):
    slug = _key(150, "The event's natural key.")
    title = serializers.CharField(max_length=300)
    title_ar = serializers.CharField(max_length=300, required=False, allow_blank=True)
    start = serializers.DateField(required=False, allow_null=True)
    end = serializers.DateField(required=False, allow_null=True)
    places = serializers.ListField(child=serializers.CharField(), required=False)
    status = serializers.ChoiceField(choices=Event.Status.choices, required=False)


class TransferQuantitySerializer(serializers.Serializer[Any]):
    item = serializers.CharField(max_length=100)
    low = serializers.IntegerField(min_value=0, max_value=2**63 - 1)
    high = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, required=False, allow_null=True, help_text="null: open."
    )
    qualifier = serializers.CharField(max_length=60, required=False, allow_blank=True)
    approximate = serializers.BooleanField(required=False)
    text = serializers.CharField(max_length=300, required=False, allow_blank=True)


class TransferAppearanceSerializer(serializers.Serializer[Any]):
    source = _key(150, "Slug of the source the claim appears in.")  # type: ignore[assignment]
    via = _key(150, "Slug of the upstream source it cites.", required=False, allow_null=True)
    quote = serializers.CharField(required=False, allow_blank=True)
    verb = serializers.CharField(max_length=60, required=False, allow_blank=True)


class TransferReviewSerializer(serializers.Serializer[Any]):
    verdict = serializers.ChoiceField(choices=Claim.Verdict.choices)
    rationale = serializers.CharField()
    evidence_links = serializers.ListField(child=serializers.CharField(), required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    reviewer = _key(150, "Username; a missing account is created inactive.")
    created_at = serializers.DateTimeField(help_text="With the reviewer, the review's key.")
    published = serializers.BooleanField(required=False)
    published_at = serializers.DateTimeField(required=False, allow_null=True)
    published_by = _key(150, "Username.", required=False, allow_null=True)


class TransferClaimSerializer(serializers.Serializer[Any]):
    slug = _key(150, "The claim's natural key.")
    claimant = _key(100, "Slug of the claimant actor.")
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    text = serializers.CharField()
    text_en = serializers.CharField(required=False, allow_blank=True)
    text_ar = serializers.CharField(required=False, allow_blank=True)
    stance = serializers.ChoiceField(choices=Claim.Stance.choices, required=False)
    stated_at = serializers.DateField(required=False, allow_null=True)
    event_start = serializers.DateField(required=False, allow_null=True)
    event_end = serializers.DateField(required=False, allow_null=True)
    event = _key(150, "Slug of the event.", required=False, allow_null=True)
    places = serializers.ListField(child=serializers.CharField(), required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    state = serializers.ChoiceField(choices=Claim.State.choices, required=False)
    verdict = serializers.ChoiceField(choices=Claim.Verdict.choices, required=False)
    created_at = serializers.DateTimeField(required=False, allow_null=True)
    created_by = _key(150, "Username.", required=False, allow_null=True)
    assigned_to = _key(150, "Username.", required=False, allow_null=True)
    quantities = TransferQuantitySerializer(many=True, required=False)
    appearances = TransferAppearanceSerializer(many=True, required=False)
    reviews = TransferReviewSerializer(many=True, required=False)


class TransferFlagSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Flag.Kind.choices)
    severity = serializers.ChoiceField(choices=Flag.Severity.choices, required=False)
    state = serializers.ChoiceField(choices=Flag.State.choices, required=False)
    key = serializers.CharField(
        max_length=500,
        allow_null=True,
        help_text="The rule's key (item=…, field=…, source=<slug>); the fingerprint is computed "
        "from it and the claims.",
    )
    fingerprint = serializers.CharField(
        max_length=64, required=False, allow_null=True, help_text="Only when key is null."
    )
    claims = serializers.ListField(child=serializers.CharField(), required=False)
    sources = serializers.ListField(child=serializers.CharField(), required=False)
    detail = serializers.CharField()
    dismissed_reason = serializers.CharField(required=False, allow_blank=True)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True)


class TransferDocumentSerializer(serializers.Serializer[Any]):
    """The export document and the import's input (claims/transfer.py documents it)."""

    format = serializers.ChoiceField(choices=["claim-tracker"])
    version = serializers.ChoiceField(choices=[1])
    filters = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="The filters of the export."
    )
    actors = TransferActorSerializer(many=True, required=False)
    places = TransferPlaceSerializer(many=True, required=False)
    sources = TransferSourceSerializer(many=True, required=False)
    events = TransferEventSerializer(many=True, required=False)
    claims = TransferClaimSerializer(many=True, required=False)
    flags = TransferFlagSerializer(many=True, required=False)


class ImportProblemSerializer(serializers.Serializer[Any]):
    path = serializers.CharField(help_text='Where, e.g. "claims[12].quantities[0].low".')
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField(help_text="True: nothing was stored.")
    summary = serializers.CharField()
    created = serializers.DictField(child=serializers.IntegerField())
    updated = serializers.DictField(child=serializers.IntegerField())
    removed = serializers.DictField(child=serializers.IntegerField())
    unchanged = serializers.DictField(child=serializers.IntegerField())
    users_created = serializers.ListField(
        child=serializers.CharField(), help_text="Inactive accounts made for unknown usernames."
    )
    problems = ImportProblemSerializer(many=True)
