"""API views: parse the request, call one selector, service or workflow action, render. The
status codes each refusal maps to are in errors.py; who may call what is in permissions.py."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import redis
from celery.result import AsyncResult
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
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
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from claims import services, tasks, workflow
from claims.api import filters, serializers
from claims.api.errors import PreconditionFailed, PreconditionRequired, ServiceUnavailable
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


# ---- resources ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List claims (highest priority first)"),
    retrieve=extend_schema(
        summary="One claim with its source chain, open flags and latest review",
        parameters=[ETAG_HEADER],
    ),
)
class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = filters.ClaimFilter
    ordering_fields = ["priority", "stated_at", "updated_at", "id"]
    ordering = ["-priority", "id"]
    # The cursor needs a non-null first ordering field; claims without a date sort first.
    ordering_aliases = {"stated_at": "stated_on"}
    action_permissions = {"reviews": ["claims.add_review"]}

    def get_queryset(self) -> QuerySet[Claim]:
        claims = Claim.objects.select_related("claimant").annotate(
            open_flag_count=_open_flag_count(),
            stated_on=Coalesce("stated_at", Value(dt.date.min)),
        )
        places = Prefetch("places", queryset=Place.objects.order_by("name"))
        if self.action == "list":
            return claims.prefetch_related(places)
        return claims.prefetch_related(
            places,
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
            409: OpenApiResponse(ERROR, "Already published, or a newer review exists."),
        },
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        review = workflow.publish_review(review_id=_object_id(pk), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)


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
