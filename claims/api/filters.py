"""Query-string filters of the list endpoints. Unknown choices, ids of records that do not exist
and unparseable dates are refused with 400, never silently ignored."""

from __future__ import annotations

import datetime as dt
from base64 import b64decode, b64encode
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode

import django_filters  # type: ignore[import-untyped]
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters.fields import IsoDateTimeField  # type: ignore[import-untyped]
from django_filters.rest_framework import DjangoFilterBackend  # type: ignore[import-untyped]
from django_filters.utils import translate_validation  # type: ignore[import-untyped]
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

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
        # search_text and the term are both case-folded by normalise(): a plain LIKE will do.
        return queryset.filter(search_text__contains=folded) if folded else queryset


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


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, left out when the query string names no filter at all: the
    result is then the queryset as given, and building the filter form (deep copies of every
    field and its choices) took as long as serializing a page of claims (bench/api.py)."""

    # Parameters of pagination, ordering and format negotiation, never of a filter.
    not_filters = frozenset({"cursor", "page_size", "ordering", "format"})

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        if set(request.query_params) <= self.not_filters:
            return queryset
        return super().filter_queryset(request, queryset, view)


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
    """Cursor pages: stable while rows are added, and no COUNT(*) over the whole table.

    DRF's own cursor keeps the first ordering field's value plus an offset into its ties, and
    caps that offset at 1000: where more rows tie (thousands of claims share a priority) the
    `next` links go round in circles. This cursor keeps the value of every ordering field down
    to the id (a keyset), so each page starts exactly after the last row shown."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"
    # This request's ordering and absolute URL, set by paginate_queryset.
    fields: tuple[str, ...] = ()
    url = ""

    def paginate_queryset(
        self, queryset: QuerySet[Any, Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        size = self.page_size = self.get_page_size(request) or CursorPage.page_size
        self.base_url = self.url = request.build_absolute_uri()
        self.fields = ordering = self.get_ordering(request, queryset, view)
        backwards, position = self._read_cursor(request)
        if backwards:
            ordering = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in ordering)
        queryset = queryset.order_by(*ordering)
        if position is not None:
            try:
                # The lookups convert the cursor's strings: a forged value is refused here.
                queryset = queryset.filter(_after(ordering, position))
            except (TypeError, ValueError, DjangoValidationError):
                raise NotFound(self.invalid_cursor_message) from None
        rows = list(queryset[: size + 1])
        more = len(rows) > size
        self.page = rows[:size]
        if backwards:
            self.page.reverse()
            self.has_previous, self.has_next = more, position is not None
        else:
            self.has_previous, self.has_next = position is not None, more
        return self.page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if self.page:
            return self._link(backwards=False, position=self._position(self.page[-1]))
        # An empty page read backwards: nothing comes before the cursor, so the list's first
        # page is what follows it.
        return remove_query_param(self.url, self.cursor_query_param)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if self.page:
            return self._link(backwards=True, position=self._position(self.page[0]))
        # An empty page read forwards: nothing comes after the cursor, so what precedes it is
        # the list's last page (a backwards cursor without a position).
        return self._link(backwards=True, position=None)

    def _position(self, row: Any) -> list[str]:
        values = []
        for name in self.fields:
            field = name.lstrip("-")
            value = row[field] if isinstance(row, dict) else getattr(row, field)
            if value is None:
                raise ValueError(f"Cursor pages need a non-null {field}; coalesce it.")
            if isinstance(value, dt.date):  # dates and date-times
                values.append(value.isoformat())
            else:
                values.append(repr(value) if isinstance(value, float) else str(value))
        return values

    def _link(self, *, backwards: bool, position: list[str] | None) -> str:
        tokens = [("r", "1")] if backwards else []
        tokens += [("p", value) for value in position or ()]
        encoded = b64encode(urlencode(tokens).encode("ascii")).decode("ascii")
        return replace_query_param(self.url, self.cursor_query_param, encoded)

    def _read_cursor(self, request: Request) -> tuple[bool, list[str] | None]:
        """(backwards, position) from ?cursor=; no cursor is the first page, a backwards one
        without a position the last."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return False, None
        try:
            querystring = b64decode(encoded.encode("ascii")).decode("ascii")
            tokens = parse_qs(querystring, keep_blank_values=True)
            backwards = bool(int(tokens.get("r", ["0"])[0]))
        except (TypeError, ValueError):
            raise NotFound(self.invalid_cursor_message) from None
        position = tokens.get("p")
        if position is not None and (
            len(position) != len(self.fields) or any("\x00" in value for value in position)
        ):
            # PostgreSQL refuses a NUL character in a query; no value of ours holds one.
            raise NotFound(self.invalid_cursor_message)
        return backwards, position


def _after(ordering: Sequence[str], position: Sequence[str]) -> Q:
    """The rows strictly after `position` in `ordering`: past x in the first field, or equal
    there and past y in the second, and so on. The first field's bound is repeated on its own
    (a ≤ x and …) so that PostgreSQL starts its index scan there instead of filtering every row
    before it."""
    after, tied = Q(), Q()
    for name, value in zip(ordering, position, strict=True):
        field, beyond = name.lstrip("-"), "lt" if name.startswith("-") else "gt"
        after |= tied & Q(**{f"{field}__{beyond}": value})
        tied &= Q(**{field: value})
    first = ordering[0]
    return (
        Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": position[0]})
        & after
    )
