"""API views: parse the request, call one selector, service or workflow action, render. The
status codes each refusal maps to are in errors.py; who may call what is in permissions.py."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from typing import Any

import redis
from celery.result import AsyncResult
from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend  # type: ignore[import-untyped]
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from kombu.exceptions import OperationalError
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, UnsupportedMediaType, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from claims import services, tasks, transfer, workflow
from claims.api import filters, serializers
from claims.api.errors import (
    BadDocument,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    error_body,
)
from claims.api.renderers import OrjsonRenderer
from claims.models import Actor, Appearance, Claim, Event, Flag, Place, Review, Source
from claims.selectors import chain_for_claim

# ---- ETags --------------------------------------------------------------------------------

_ETAG = re.compile(r'^(?:W/)?"claim-(?P<id>\d+)-v(?P<version>\d+)"$')


def claim_etag(claim: Claim) -> str:
    return f'W/"claim-{claim.pk}-v{claim.version}"'


def expected_version(request: Request, claim_id: int) -> int:
    """The version the client last saw, from If-Match; 428 without it, 412 when it names
    another claim or is not one of our ETags."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    match = _ETAG.match(header)
    if match is None or int(match["id"]) != claim_id:
        raise PreconditionFailed(
            "The If-Match header does not match this claim's ETag; reload the claim and "
            "send the ETag it comes with."
        )
    return int(match["version"])


def _object_id(raw: Any) -> int:
    """A path id as an int; anything else is a record that does not exist (404)."""
    try:
        value = int(str(raw))
    except ValueError:
        raise NotFound("No such record.") from None
    if not 0 < value < 2**63:
        raise NotFound("No such record.")
    return value


# ---- schema pieces ------------------------------------------------------------------------

ERROR = serializers.ErrorSerializer
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the claim as you loaded it, e.g. W/"claim-12-v3". Without it the '
    "edit is refused with 428; if the claim changed since, with 412 and nothing is written.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description='The claim\'s version as a weak ETag (W/"claim-<id>-v<version>"); send it back '
    "in If-Match to edit.",
)


def _open_flag_count() -> Coalesce:
    counts = (
        Flag.claims.through.objects.filter(claim_id=OuterRef("pk"), flag__state=Flag.State.OPEN)
        .values("claim_id")
        .annotate(open_flags=Count("*"))
        .values("open_flags")  # type: ignore[misc]  # django-stubs misses the annotation
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def places_of_claims(claim_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each claim's places by name, as PlaceBriefSerializer shows them, in one query."""
    places: dict[int, list[dict[str, Any]]] = defaultdict(list)
    links = (
        Claim.places.through.objects.filter(claim_id__in=claim_ids)
        .order_by("place__name", "place_id")
        .values_list("claim_id", *serializers.PLACE_BRIEF_COLUMNS)
    )
    names = serializers.PlaceBriefSerializer.Meta.fields
    for claim_id, *values in links:
        places[claim_id].append(dict(zip(names, values, strict=True)))
    return places


# ---- resources ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List claims (highest priority first)"),
    retrieve=extend_schema(
        summary="One claim with its source chain, open flags and latest review",
        parameters=[ETAG_HEADER],
    ),
)
class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # The model, for the permission check; get_queryset() builds what each action reads.
    queryset = Claim.objects.all()
    http_method_names = ["get", "post", "patch", "head", "options"]
    renderer_classes = [OrjsonRenderer]
    filter_backends = [filters.FilterBackend, filters.StrictOrderingFilter]
    filterset_class = filters.ClaimFilter
    ordering_fields = ["priority", "stated_at", "updated_at", "id"]
    ordering = ["-priority", "id"]
    # The cursor needs a non-null first ordering field; claims without a date sort first.
    ordering_aliases = {"stated_at": "stated_on"}
    action_permissions = {"reviews": ["claims.add_review"]}

    def get_queryset(self) -> QuerySet[Claim]:
        claims = Claim.objects.annotate(
            open_flag_count=_open_flag_count(),
            stated_on=Coalesce("stated_at", Value(dt.date.min)),
        )
        if self.action == "list":
            # Read as plain rows by list(); their claimant comes through values().
            return claims
        return claims.select_related("claimant").prefetch_related(
            Prefetch("places", queryset=Place.objects.order_by("name")),
            "quantities",
            Prefetch(
                "appearances",
                queryset=Appearance.objects.select_related("source__publisher", "via__publisher"),
            ),
            Prefetch(
                "flags",
                queryset=Flag.objects.filter(state=Flag.State.OPEN).order_by("id"),
                to_attr="open_flags",
            ),
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("reviewer", "published_by").order_by(
                    "-created_at", "-id"
                ),
                to_attr="reviews_newest_first",
            ),
        )

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list":
            return serializers.ClaimListSerializer
        return serializers.ClaimDetailSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Plain rows in two queries, rendered the way ClaimListSerializer would render them
        # (serializers.claim_list_items): a page of model instances through the nested
        # serializers took 2.7 times as long as a raw dump of the same rows (bench/api.py).
        claims = self.filter_queryset(self.get_queryset())
        rows = self.paginate_queryset(
            claims.values(*serializers.CLAIM_LIST_COLUMNS, *self.ordering_aliases.values())
        )
        assert rows is not None, "the claim list is always paginated"
        places = places_of_claims([row["id"] for row in rows])
        return self.get_paginated_response(serializers.claim_list_items(rows, places))

    def _render_detail(self, claim_id: int) -> Response:
        claim = self.get_queryset().get(pk=claim_id)
        context = self.get_serializer_context() | {"chain": chain_for_claim(claim_id)}
        data = serializers.ClaimDetailSerializer(claim, context=context).data
        return Response(data, headers={"ETag": claim_etag(claim)})

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._render_detail(_object_id(kwargs["pk"]))

    @extend_schema(
        summary="Edit a claim under optimistic concurrency",
        request=serializers.ClaimUpdateSerializer,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={
            200: serializers.ClaimDetailSerializer,
            400: OpenApiResponse(ERROR, "Invalid fields, or no reason given."),
            412: OpenApiResponse(ERROR, "The claim changed since that ETag; nothing written."),
            428: OpenApiResponse(ERROR, "No If-Match header."),
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim_id = _object_id(kwargs["pk"])
        if not Claim.objects.filter(pk=claim_id).exists():
            raise NotFound("No such record.")
        version = expected_version(request, claim_id)
        edit = serializers.ClaimUpdateSerializer(data=request.data)
        edit.is_valid(raise_exception=True)
        services.update_claim(
            claim_id=claim_id,
            expected_version=version,
            changes=edit.changes,
            by=request.user,  # type: ignore[arg-type]
            reason=edit.validated_data["reason"],
        )
        return self._render_detail(claim_id)

    @extend_schema(
        summary="Record a verdict on the claim (a new review; the claim becomes reviewed)",
        request=serializers.ReviewCreateSerializer,
        responses={
            201: serializers.ReviewSerializer,
            409: OpenApiResponse(ERROR, "The claim is not at the expected version."),
        },
    )
    @action(detail=True, methods=["post"])
    def reviews(self, request: Request, pk: str) -> Response:
        claim_id = _object_id(pk)
        form = serializers.ReviewCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        review = workflow.record_review(claim_id=claim_id, by=request.user, **form.validated_data)
        return Response(serializers.ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class SourceViewSet(viewsets.ReadOnlyModelViewSet[Source]):
    queryset = Source.objects.select_related("publisher")
    serializer_class = serializers.SourceSerializer
    filterset_class = filters.SourceFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]


class ActorViewSet(viewsets.ReadOnlyModelViewSet[Actor]):
    queryset = Actor.objects.all()
    serializer_class = serializers.ActorSerializer
    filterset_class = filters.ActorFilter
    ordering_fields = ["id", "name"]
    ordering = ["name", "id"]


class EventViewSet(viewsets.ReadOnlyModelViewSet[Event]):
    queryset = Event.objects.prefetch_related(
        Prefetch("places", queryset=Place.objects.order_by("name"))
    )
    serializer_class = serializers.EventSerializer
    filterset_class = filters.EventFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]


class FlagViewSet(viewsets.ReadOnlyModelViewSet[Flag]):
    queryset = Flag.objects.prefetch_related(
        Prefetch("claims", queryset=Claim.objects.only("id").order_by("id")),
        Prefetch("sources", queryset=Source.objects.only("id").order_by("id")),
    )
    serializer_class = serializers.FlagSerializer
    filterset_class = filters.FlagFilter
    ordering_fields = ["id", "created_at", "updated_at"]
    ordering = ["-id"]
    action_permissions = {"dismiss": ["claims.change_flag"]}

    @extend_schema(
        summary="Dismiss a flag, with the reason it is wrong",
        request=serializers.DismissSerializer,
        responses={
            200: serializers.FlagSerializer,
            409: OpenApiResponse(ERROR, "The flag is already dismissed."),
        },
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str) -> Response:
        flag_id = _object_id(pk)
        form = serializers.DismissSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        workflow.dismiss_flag(
            flag_id=flag_id, reason=form.validated_data["reason"], by=request.user
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=flag_id)).data)


class ReviewViewSet(viewsets.ReadOnlyModelViewSet[Review]):
    queryset = Review.objects.select_related("reviewer", "published_by")
    serializer_class = serializers.ReviewSerializer
    filterset_class = filters.ReviewFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]
    action_permissions = {"publish": ["claims.publish_review"]}

    @extend_schema(
        summary="Publish a review (reviewers; with four eyes, not the review's author)",
        request=None,
        responses={
            200: serializers.ReviewSerializer,
            403: OpenApiResponse(
                ERROR, "Not a reviewer, or (four eyes) the review's own author: code four_eyes."
            ),
            400: OpenApiResponse(ERROR, "A body that is not empty or an empty JSON object."),
            409: OpenApiResponse(ERROR, "Already published, or a newer review exists."),
        },
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        # Read even though it carries nothing: a malformed body is refused, not ignored.
        serializers.PublishSerializer(data=request.data).is_valid(raise_exception=True)
        review = workflow.publish_review(review_id=_object_id(pk), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)


# ---- export and import --------------------------------------------------------------------

_EXPORT_PERMISSIONS = ["claims.view_claim", "claims.change_claim"]
# Every permission an import writes with: only admins hold them all (add_flag in particular),
# and a role given them later could import without a code change.
_IMPORT_PERMISSIONS = [
    f"claims.{action}_{model}"
    for model in ("actor", "source", "event", "claim", "appearance", "quantity", "review", "flag")
    for action in ("add", "change")
] + ["auth.add_user"]
DEFAULT_IMPORT_MAX_BYTES = 50 * 1024 * 1024

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _switch(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "").strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValidationError({name: ["Use 1 or 0 (true or false)."]})
    return value in _TRUE


class CSVRenderer(BaseRenderer):
    """Names the CSV format for content negotiation (?format=csv or Accept: text/csv); the
    export streams its rows itself and errors are rendered as JSON (ExportView)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Any = None) -> bytes:  # fmt: skip
        return data if isinstance(data, bytes) else str(data or "").encode()


class ExportNegotiation(DefaultContentNegotiation):
    """An unknown ?format= is a bad request (400) here, not DRF's 404."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        wanted = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE or "format")
        if wanted and wanted not in {r.format for r in renderers}:
            raise ValidationError({"format": ["Choose json or csv."]})
        return super().select_renderer(request, renderers, format_suffix)


EXPORT_PARAMETERS = [
    OpenApiParameter(
        "format",
        OpenApiTypes.STR,
        enum=["json", "csv"],
        description="json (default): the document `POST /api/v1/import/` reads back; csv: one "
        "row per claim with its chain flattened into columns.",
    ),
    OpenApiParameter(
        "bom",
        OpenApiTypes.BOOL,
        description="CSV only: start with a UTF-8 byte-order mark, so that Excel reads Arabic.",
    ),
]


@extend_schema(
    summary="Export the claims the filters select, with their chains (editors and above)",
    description="The same filters as the claim list. Without any filter, the whole dataset "
    "(every actor, source, event and flag): a backup that the import restores.",
    filters=True,
    parameters=EXPORT_PARAMETERS,
    responses={
        (200, "application/json"): serializers.TransferDocumentSerializer,
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, "One row per claim."),
    },
)
class ExportView(GenericAPIView[Claim]):
    queryset = Claim.objects.all()
    filterset_class = filters.ClaimFilter
    filter_backends = [DjangoFilterBackend]
    pagination_class = None
    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = ExportNegotiation
    action_permissions = {"GET": _EXPORT_PERMISSIONS, "HEAD": _EXPORT_PERMISSIONS}

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(response, Response) and response.status_code >= 400:
            # Refusals keep the API's JSON error shape whichever format was asked for.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def get(self, request: Request) -> StreamingHttpResponse:
        claims, given = filters.claims_matching(request.query_params)
        scope = transfer.ExportScope(claims=claims, filters=given)
        bom = _switch(request, "bom")
        if request.accepted_renderer.format == "csv":
            body, content_type, suffix = transfer.iter_csv(scope, bom=bom), "text/csv", "csv"
        else:
            body, content_type, suffix = transfer.iter_json(scope), "application/json", "json"
        response = StreamingHttpResponse(body, content_type=f"{content_type}; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="claims-{stamp}.{suffix}"'
        return response


class ImportView(APIView):
    action_permissions = {"POST": _IMPORT_PERMISSIONS}

    @extend_schema(
        summary="Import a document in the export's JSON shape: all of it, or nothing (admins)",
        description="The whole document is validated first; any problem refuses it whole with "
        "400, `error.code` import_refused and `error.fields` mapping each path (e.g. "
        '"claims[12].quantities[0].low") to what is wrong. Records are upserted by natural '
        "key, so importing the same document twice changes nothing.",
        request=serializers.TransferDocumentSerializer,
        parameters=[
            OpenApiParameter(
                "dry_run",
                OpenApiTypes.BOOL,
                description="Validate and report what would change; store nothing.",
            )
        ],
        responses={
            200: serializers.ImportReportSerializer,
            400: OpenApiResponse(
                ERROR,
                "Refused, nothing stored: import_refused (every problem in fields), "
                "malformed_request (not JSON) or too_large.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        dry_run = _switch(request, "dry_run")
        if (request.content_type or "").split(";")[0].strip().lower() != "application/json":
            raise UnsupportedMediaType(request.content_type)
        limit = int(getattr(settings, "TRACKER_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES))
        declared = str(request.META.get("CONTENT_LENGTH") or "0")
        try:
            # Refused by its declared length before a byte is read; never read past the limit.
            transfer.refuse_if_larger(int(declared) if declared.isdigit() else 0, limit)
            raw = request.stream.read(limit + 1) if request.stream is not None else b""
            data = transfer.parse_document(raw, max_bytes=limit)
        except transfer.TransferError as exc:
            raise BadDocument(str(exc), code=exc.code) from None
        report = transfer.import_dataset(data=data, user=request.user, dry_run=dry_run)  # type: ignore[arg-type]
        if not report.ok:
            fields: dict[str, list[str]] = {}
            for problem in report.problems:
                fields.setdefault(problem.path, []).append(problem.message)
            return Response(
                error_body("import_refused", report.summary(), fields),
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(report.as_dict())


# ---- ingest -------------------------------------------------------------------------------

_INGEST_PERMISSIONS = ["claims.add_source", "claims.add_claim"]


class IngestView(APIView):
    action_permissions = {"POST": _INGEST_PERMISSIONS}

    @extend_schema(
        summary="Ingest a text or a URL in the background",
        request=serializers.IngestRequestSerializer,
        responses={
            202: serializers.IngestAcceptedSerializer,
            503: OpenApiResponse(ERROR, "The task queue is unreachable."),
        },
    )
    def post(self, request: Request) -> Response:
        form = serializers.IngestRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        published = data.get("published")
        options = {
            "language": data.get("language"),
            "published": published.isoformat() if published else None,
            "publisher": data.get("publisher"),
            "via_urls": list(data["via"]),
            "accept": data["accept"],
            "user_id": request.user.pk,
        }
        result: Any
        try:
            if "url" in data:
                result = tasks.ingest_url.delay(data["url"], **options)
            else:
                result = tasks.ingest_text.delay(data["text"], **options)
        except (OperationalError, redis.RedisError) as exc:
            raise ServiceUnavailable() from exc
        body = {
            "task_id": result.id,
            "status": "pending",
            "status_url": f"/api/v1/ingest/{result.id}/",
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


def ingest_status(task_id: str) -> dict[str, Any]:
    """The state of an ingest task as the API reports it. Celery cannot tell an unknown id
    from one still queued: both are pending."""
    result: AsyncResult[Any] = AsyncResult(task_id)
    state = result.state
    if state == "SUCCESS":
        outcome = result.result if isinstance(result.result, dict) else {}
        return {"status": "done", **outcome}
    if state in {"FAILURE", "REVOKED"}:
        return {"status": "failed", "error": "The ingest task failed; try again or ask an admin."}
    if state in {"STARTED", "RETRY"}:
        return {"status": "running"}
    return {"status": "pending"}


class IngestStatusView(APIView):
    action_permissions = {"GET": ["claims.view_source"]}

    @extend_schema(
        summary="Where an ingest task is: pending, running, done, refused or failed",
        responses={
            200: serializers.IngestStatusSerializer,
            503: OpenApiResponse(ERROR, "The result store is unreachable."),
        },
    )
    def get(self, request: Request, task_id: str) -> Response:
        try:
            uuid.UUID(task_id)
        except ValueError:
            raise NotFound("No such ingest task.") from None
        try:
            return Response(ingest_status(task_id))
        except (OperationalError, redis.RedisError) as exc:
            raise ServiceUnavailable() from exc


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any other path under /api/v1/: a JSON 404 (after authentication, like the rest)."""

    action_permissions: dict[str, list[str]] = {
        m: [] for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
    }

    def http_method_not_allowed(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotFound("No such endpoint.")

    def get(self, request: Request) -> Response:
        raise NotFound("No such endpoint.")

    post = put = patch = delete = get
