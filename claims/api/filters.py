"""Query-string filters of the list endpoints. Unknown choices, ids of records that do not exist
and unparseable dates are refused with 400, never silently ignored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import django_filters  # type: ignore[import-untyped]
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django_filters.fields import IsoDateTimeField  # type: ignore[import-untyped]
from django_filters.utils import translate_validation  # type: ignore[import-untyped]
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from claims.extraction.arabic import normalise
from claims.models import Actor, Claim, Event, Flag, Language, Place, Review, Source


@extend_schema_field(OpenApiTypes.INT)
class PlaceFilter(django_filters.ModelChoiceFilter):
    """A place id, matching the place and every place under it."""


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, in UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601
    (and Python) allow, and a time near year 1 may not exist in UTC at all."""

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed: dt.datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError("This time is out of range.", code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class ClaimFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Claim.State.choices)
    verdict = django_filters.ChoiceFilter(choices=Claim.Verdict.choices)
    language = django_filters.ChoiceFilter(choices=Language.choices)
    claimant = django_filters.ModelChoiceFilter(queryset=Actor.objects.all())
    event = django_filters.ModelChoiceFilter(queryset=Event.objects.all())
    place = PlaceFilter(
        queryset=Place.objects.all(),
        method="filter_place",
        help_text="A place id; claims in that place or anywhere under it (a governorate "
        "finds its towns).",
    )
    flag = django_filters.ChoiceFilter(
        choices=Flag.Kind.choices,
        method="filter_flag",
        help_text="Claims with an open flag of this kind.",
    )
    updated_since = UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="ISO 8601 date-time; claims changed at or after it.",
    )
    q = django_filters.CharFilter(
        method="filter_text",
        help_text="Text search in either script; Arabic letter variants and diacritics are "
        "folded, so الامريكيه finds الأمريكية.",
    )

    class Meta:
        model = Claim
        fields = ["state", "verdict", "language", "claimant", "event"]

    def filter_place(self, queryset: QuerySet[Claim], name: str, value: Place) -> QuerySet[Claim]:
        # Exists, not a join, so a claim in two matching places is listed once.
        inside = Claim.places.through.objects.filter(
            claim_id=OuterRef("pk"), place__path__startswith=value.path
        )
        return queryset.filter(Exists(inside))

    def filter_flag(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        open_flags = Flag.claims.through.objects.filter(
            claim_id=OuterRef("pk"), flag__kind=value, flag__state=Flag.State.OPEN
        )
        return queryset.filter(Exists(open_flags))

    def filter_text(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        # PostgreSQL refuses a NUL character in a query; it can match nothing anyway.
        folded = normalise(value.replace("\x00", ""))
        return queryset.filter(search_text__icontains=folded) if folded else queryset


def claims_matching(params: Mapping[str, str]) -> tuple[QuerySet[Claim], dict[str, str]]:
    """The claims the claim list shows for these filters, and the filters actually given (what
    an export records); ValidationError (400 in the API) for a bad value."""
    given = {
        name: str(params[name])
        for name in ClaimFilter.base_filters
        if params.get(name) not in (None, "")
    }
    filterset = ClaimFilter(data=given, queryset=Claim.objects.all())
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return filterset.qs, given


class SourceFilter(django_filters.FilterSet):
    class Meta:
        model = Source
        fields = ["publisher", "language", "kind", "is_placeholder"]


class ActorFilter(django_filters.FilterSet):
    class Meta:
        model = Actor
        fields = ["kind", "parent", "party_to_conflict", "reliability"]


class EventFilter(django_filters.FilterSet):
    class Meta:
        model = Event
        fields = ["status"]


class FlagFilter(django_filters.FilterSet):
    claim = django_filters.ModelChoiceFilter(
        queryset=Claim.objects.all(), field_name="claims", help_text="Flags about this claim."
    )

    class Meta:
        model = Flag
        fields = ["kind", "severity", "state"]


class ReviewFilter(django_filters.FilterSet):
    class Meta:
        model = Review
        fields = ["claim", "verdict", "published"]


class StrictOrderingFilter(OrderingFilter):
    """DRF's ordering, refusing unknown fields (400) and always ending on the id, so that the
    cursor pagination pages through ties in a stable order."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> list[str]:
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [p.strip() for p in params.split(",") if p.strip()]
            allowed = set(getattr(view, "ordering_fields", ()))
            bad = [f for f in fields if f.lstrip("-") not in allowed]
            if bad or not fields:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            f"Order by one of {', '.join(sorted(allowed))} (prefix - to reverse)."
                        ]
                    }
                )
        else:
            fields = list(getattr(view, "ordering", ["id"]))
        if not any(f.lstrip("-") == "id" for f in fields):
            fields.append("id")
        # The cursor needs a non-null value in its first field; a view maps nullable fields to
        # a coalesced annotation (stated_at → stated_on).
        aliases: dict[str, str] = getattr(view, "ordering_aliases", {})
        return [
            ("-" if f.startswith("-") else "") + aliases.get(f.lstrip("-"), f.lstrip("-"))
            for f in fields
        ]


class CursorPage(CursorPagination):
    """Cursor pages: stable while rows are added, and no COUNT(*) over the whole table."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"
