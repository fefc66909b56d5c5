"""The Django admin as an editor's workbench: Arabic-aware search, filters, a claim page with its
appearances, quantities and drawn source chain, and read-only history with who and why."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AdminTextareaWidget, AdminTextInputWidget
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from simple_history.admin import SimpleHistoryAdmin

from claims import chains, selectors, webhooks, workflow
from claims.claimreview import without_bidi_controls
from claims.extraction.arabic import normalise
from claims.models import (
    Actor,
    Appearance,
    Claim,
    Event,
    Flag,
    Place,
    Quantity,
    Review,
    Source,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscriber,
)

# Arabic and English are typed into the same fields: let each box follow its own text's direction.
BIDI_WIDGETS: Mapping[type[models.Field[Any, Any]], Mapping[str, Any]] = {
    models.TextField: {"widget": AdminTextareaWidget(attrs={"dir": "auto", "rows": 3})},
    models.CharField: {"widget": AdminTextInputWidget(attrs={"dir": "auto"})},
}


class HostileTextMixin:
    """What hostile text must not do to an admin page. A page's <title> (and the browser tab
    showing it) cannot isolate text the way the page body does: an object named with a
    right-to-left override or an unclosed isolate would reorder the rest of the title, so its
    bidi controls are dropped there (the fields on the page still show the record as stored).
    And a NUL in a list filter's value would reach PostgreSQL, which refuses it (a 500)."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        if any("\x00" in value for _, values in request.GET.lists() for value in values):
            # What the admin does with any other filter it cannot apply: back to ?e=1.
            raise IncorrectLookupParameters("A NUL character in the query string.")
        return super().get_changelist_instance(request)  # type: ignore[misc]

    @staticmethod
    def _plain_titles(response: Any) -> Any:
        context = getattr(response, "context_data", None)
        if context is not None:
            for key in ("title", "subtitle"):
                if isinstance(context.get(key), str):
                    context[key] = without_bidi_controls(context[key])
        return response

    def changeform_view(self, *args: Any, **kwargs: Any) -> Any:
        return self._plain_titles(super().changeform_view(*args, **kwargs))  # type: ignore[misc]

    def history_view(self, *args: Any, **kwargs: Any) -> Any:
        return self._plain_titles(super().history_view(*args, **kwargs))  # type: ignore[misc]

    def delete_view(self, *args: Any, **kwargs: Any) -> Any:
        return self._plain_titles(super().delete_view(*args, **kwargs))  # type: ignore[misc]


class BidiFormMixin(HostileTextMixin):
    formfield_overrides: ClassVar[Mapping[type[models.Field[Any, Any]], Mapping[str, Any]]] = (
        BIDI_WIDGETS
    )


class NormalisedSearchMixin:
    """Search the stored normalised text, so أ/ا/إ, ة/ه, ى/ي and diacritics all match."""

    normalised_search_field = "search_text"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        queryset, may_have_duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        term = normalise(search_term)
        if term:
            queryset |= self.model.objects.filter(  # type: ignore[attr-defined]
                **{f"{self.normalised_search_field}__icontains": term}
            )
        return queryset, may_have_duplicates


class HistoryAdmin(BidiFormMixin, SimpleHistoryAdmin):
    history_list_display = ["history_change_reason"]

    # simple-history renders its history pages itself (no context left to adjust afterwards).
    def history_view_title(self, request: HttpRequest, obj: Any) -> str:
        return without_bidi_controls(str(super().history_view_title(request, obj)))

    def history_form_view_title(self, request: HttpRequest, obj: Any) -> str:
        return without_bidi_controls(str(super().history_form_view_title(request, obj)))

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        # simple-history hides the Revert button when reverting is disabled but still accepts
        # the POST; history is evidence, so refuse it here.
        if request.method == "POST":
            raise PermissionDenied("History is read-only; edit the record itself.")
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Place)
class PlaceAdmin(NormalisedSearchMixin, BidiFormMixin, admin.ModelAdmin):
    list_display = ["name", "name_ar", "kind", "parent", "geonames_id"]
    list_filter = ["kind"]
    search_fields = ["name", "name_ar", "ref"]
    readonly_fields = ["path", "ref", "origin"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Actor)
class ActorAdmin(NormalisedSearchMixin, BidiFormMixin, admin.ModelAdmin):
    list_display = ["name", "name_ar", "kind", "parent", "party_to_conflict", "reliability"]
    list_filter = ["kind", "party_to_conflict", "reliability", "is_proposed"]
    search_fields = ["name", "name_ar", "slug"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(BidiFormMixin, admin.ModelAdmin):
    list_display = ["__str__", "publisher", "kind", "language", "published_at", "is_placeholder"]
    list_filter = ["kind", "language", "is_placeholder", "publisher__kind"]
    search_fields = ["title", "canonical_url", "slug", "publisher__name", "publisher__name_ar"]
    list_select_related = ["publisher"]
    autocomplete_fields = ["publisher"]
    readonly_fields = ["text_sha256", "html_sha256", "created_at", "updated_at"]
    date_hierarchy = "published_at"


@admin.register(Event)
class EventAdmin(BidiFormMixin, admin.ModelAdmin):
    list_display = ["title", "title_ar", "start", "end", "status"]
    list_filter = ["status"]
    search_fields = ["title", "title_ar", "slug"]
    autocomplete_fields = ["places"]


class AppearanceInline(BidiFormMixin, admin.TabularInline):
    model = Appearance
    fk_name = "claim"
    extra = 0
    fields = ["source", "verb", "quote", "via"]
    autocomplete_fields = ["source", "via"]


class QuantityInline(BidiFormMixin, admin.TabularInline):
    model = Quantity
    extra = 0
    fields = ["item", "low", "high", "qualifier", "approximate", "text"]


def _source_label(source: Source) -> str:
    if source.title or source.canonical_url:
        publisher = source.publisher.name if source.publisher else "unknown publisher"
        return f"{source} — {publisher}"
    return str(source)


@admin.register(Claim)
class ClaimAdmin(NormalisedSearchMixin, HistoryAdmin):
    list_display = ["short_text", "claimant", "stance", "stated_at", "state", "verdict"]
    list_filter = ["state", "verdict", "stance", "language", "claimant__kind", "claimant"]
    search_fields = ["text", "text_en", "slug", "claimant__name", "claimant__name_ar"]
    list_select_related = ["claimant"]
    autocomplete_fields = ["claimant", "event", "places"]
    readonly_fields = ["source_chain", "version", "created_at", "updated_at"]
    inlines = [AppearanceInline, QuantityInline]
    date_hierarchy = "stated_at"
    fieldsets = [
        (
            None,
            {"fields": ["slug", "claimant", "stance", "language", "text", "text_en", "text_ar"]},
        ),
        (
            "When and where",
            {"fields": ["stated_at", "event_start", "event_end", "event", "places"]},
        ),
        ("Workflow", {"fields": ["state", "verdict", "tags", "version"]}),
        ("Source chain", {"fields": ["source_chain"]}),
    ]

    @admin.display(description="Claim")
    def short_text(self, claim: Claim) -> SafeString:
        return format_html('<span dir="auto">{}</span>', claim.text[:120])

    @admin.display(description="Source chain")
    def source_chain(self, claim: Claim) -> SafeString:
        if claim.pk is None:
            return format_html("<em>{}</em>", "Saved claims show their chain here.")
        chain = selectors.chain_for_claim(claim.pk)
        if not chain.links:
            return format_html("<em>{}</em>", "No appearances yet: this claim is unsourced.")
        paths = chains.chain_paths(chain.links)
        in_chain = {s for path in paths for s in path}
        sources = Source.objects.select_related("publisher").in_bulk(in_chain)
        items = format_html_join(
            "",
            "<li dir='auto'>{}</li>",
            ((" → ".join(_source_label(sources[s]) for s in path),) for path in paths),
        )
        return format_html(
            "<ul>{}</ul><p>Roots: {} · independent roots: <strong>{}</strong> · depth {}{}</p>"
            "<p>Root publishers: {}{}</p>",
            items,
            len(chain.report.roots),
            chain.report.independent_root_count,
            chain.report.depth,
            " · contains a cycle" if chain.report.has_cycle else "",
            ", ".join(chain.root_publishers()) or "unknown",
            " — every root is the claimant or under it (partisan only)"
            if chain.roots_all_under_claimant
            else "",
        )


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["claim", "verdict", "rationale", "evidence_links", "language"]

    def clean_evidence_links(self) -> list[str]:
        links = self.cleaned_data.get("evidence_links") or []
        if not isinstance(links, list) or not all(isinstance(link, str) for link in links):
            raise forms.ValidationError('A list of web addresses, e.g. ["https://…"].')
        try:
            return workflow.valid_evidence_links(links)
        except workflow.WorkflowError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(Review)
class ReviewAdmin(HistoryAdmin):
    """Reviews are written and published through claims.workflow here as everywhere: a verdict
    moves its claim (verdict, state, version, history), and publication keeps four eyes, sends
    the webhooks and refuses an older review. Nothing of a recorded review is edited by hand."""

    form = ReviewForm
    list_display = ["claim", "verdict", "reviewer", "created_at", "published"]
    list_filter = ["verdict", "published", "language"]
    search_fields = ["rationale", "claim__text"]
    list_select_related = ["claim__claimant", "reviewer"]
    raw_id_fields = ["claim"]
    actions = ["publish_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Review | None = None) -> list[str]:
        if obj is not None:
            return [f.name for f in Review._meta.fields]
        return ["published", "published_at", "published_by"]

    def has_delete_permission(self, request: HttpRequest, obj: Review | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Review | None = None) -> bool:
        # Viewed, never changed: publication is the action below.
        return False

    def get_exclude(self, request: HttpRequest, obj: Review | None = None) -> list[str]:
        return ["reviewer"] if obj is None else []

    def save_model(self, request: HttpRequest, obj: Review, form: Any, change: bool) -> None:
        if change:
            raise PermissionDenied("A recorded review is not edited; record a new one.")
        try:
            recorded = workflow.record_review(
                claim_id=obj.claim_id,
                verdict=obj.verdict,
                rationale=obj.rationale,
                evidence_links=obj.evidence_links,
                language=obj.language,
                by=request.user,
            )
        except workflow.WorkflowError as exc:
            raise PermissionDenied(str(exc)) from None
        obj.pk, obj.reviewer, obj.created_at = recorded.pk, recorded.reviewer, recorded.created_at
        obj._state.adding = False

    @admin.action(description="Publish the selected reviews", permissions=["publish"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        published = 0
        for review in queryset.order_by("pk"):
            try:
                workflow.publish_review(review_id=review.pk, by=request.user)
            except workflow.WorkflowError as exc:
                messages.error(request, f"Review {review.pk} of claim {review.claim_id}: {exc}")
            else:
                published += 1
        if published:
            messages.success(request, f"Published {published} review(s).")

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("claims.publish_review")


@admin.register(Flag)
class FlagAdmin(HistoryAdmin):
    list_display = ["kind", "severity", "state", "detail", "created_at"]
    list_filter = ["kind", "severity", "state"]
    search_fields = ["detail", "fingerprint"]
    readonly_fields = ["kind", "fingerprint", "evidence_hash", "detail", "claims", "sources"]


# --- Webhooks ---------------------------------------------------------------------------------


class WebhookSubscriberForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscriber
        fields = ["name", "url", "secret", "events", "active"]


def _show_secret_once(request: HttpRequest, subscriber: WebhookSubscriber, secret: str) -> None:
    messages.warning(
        request,
        format_html(
            "Signing secret for “{}”: <code>{}</code> — copy it now; it is not shown again.",
            subscriber.name,
            secret,
        ),
    )


@admin.register(WebhookSubscriber)
class WebhookSubscriberAdmin(HostileTextMixin, admin.ModelAdmin):
    form = WebhookSubscriberForm
    list_display = ["name", "url", "event_list", "active", "created_by", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    list_select_related = ["created_by"]
    readonly_fields = ["secret_state", "created_by", "created_at"]
    actions = ["rotate_secret"]

    def get_fields(
        self, request: HttpRequest, obj: WebhookSubscriber | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ("name", "url", "secret", "events", "active")
        # The secret is never put back into a page once created.
        return ("name", "url", "events", "active", "secret_state", "created_by", "created_at")

    def get_form(
        self,
        request: HttpRequest,
        obj: WebhookSubscriber | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        if obj is not None:
            kwargs["fields"] = ["name", "url", "events", "active"]
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="Events")
    def event_list(self, subscriber: WebhookSubscriber) -> str:
        return ", ".join(subscriber.events)

    @admin.display(description="Secret")
    def secret_state(self, subscriber: WebhookSubscriber) -> str:
        return "Set. Use the “Rotate secret” action to replace it (the new one is shown once)."

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscriber, form: Any, change: bool
    ) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        if not change:
            _show_secret_once(request, obj, obj.secret)

    @admin.action(description="Rotate secret (shows the new one once)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscriber]) -> None:
        for subscriber in queryset:
            _show_secret_once(
                request, subscriber, webhooks.rotate_secret(subscriber_id=subscriber.pk)
            )


DELIVERY_FIELDS = (
    "subscriber",
    "event",
    "review",
    "delivery_id",
    "state",
    "attempts",
    "last_status_code",
    "last_error",
    "attempts_table",
    "payload_json",
    "created_at",
    "last_attempt_at",
    "finished_at",
)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(HostileTextMixin, admin.ModelAdmin):
    """The delivery log: read-only, except for sending failed deliveries again."""

    list_display = [
        "created_at",
        "event",
        "subscriber",
        "state",
        "attempts",
        "last_status_code",
        "short_error",
        "finished_at",
    ]
    list_filter = ["state", "event", "subscriber"]
    search_fields = ["=delivery_id", "subscriber__name", "last_error"]
    list_select_related = ["subscriber"]
    date_hierarchy = "created_at"
    fields = readonly_fields = DELIVERY_FIELDS
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("claims.change_webhookdelivery")

    @admin.display(description="Last error")
    def short_error(self, delivery: WebhookDelivery) -> str:
        return delivery.last_error[:100]

    @admin.display(description="Attempts")
    def attempts_table(self, delivery: WebhookDelivery) -> SafeString:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (a.get("at", ""), a.get("status") or "—", a.get("ms") or "—", a.get("error", ""))
                for a in delivery.attempt_log
            ),
        )
        return format_html(
            "<table><tr><th>At</th><th>Status</th><th>ms</th><th>Error</th></tr>{}</table>", rows
        )

    @admin.display(description="Payload")
    def payload_json(self, delivery: WebhookDelivery) -> SafeString:
        text = json.dumps(delivery.payload, indent=2, ensure_ascii=False, sort_keys=True)
        return format_html('<pre dir="auto">{}</pre>', text)

    @admin.action(description="Send again (failed, or never attempted)", permissions=["redeliver"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        sent = webhooks.redeliver(delivery_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - sent
        messages.info(
            request,
            f"{sent} queued again; {skipped} left alone (delivered, still retrying, "
            "or their subscriber is inactive).",
        )
