"""Forms of the editor UI. They only parse input; the workflow and services decide and refuse."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.validators import URLValidator
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from claims import proposals, ui_selectors
from claims.models import Actor, Claim, Event, Place
from claims.templatetags.claims_ui import choices
from claims.widgets import (
    QuickDateInput,
    QuickHiddenInput,
    QuickNumberInput,
    QuickSelect,
    QuickSelectMultiple,
    QuickTextarea,
    QuickTextInput,
    QuickURLInput,
    RowModelChoiceField,
)

ANY: list[tuple[str, Any]] = [("", _("Any"))]
DATE_WIDGET = QuickDateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _bidi_textarea(rows: int = 3) -> QuickTextarea:
    # Arabic and English are typed into the same boxes: each follows its own text's direction.
    return QuickTextarea(attrs={"dir": "auto", "rows": rows})


class ClaimantChoiceField(RowModelChoiceField):
    label_fields = ("name", "name_ar")

    def label_from_row(self, name: str, name_ar: str) -> str:
        return f"{name} ({name_ar})" if name_ar else name  # as Actor.__str__


class PlaceChoiceField(RowModelChoiceField):
    label_fields = ("name", "path")

    def label_from_row(self, name: str, path: str) -> str:
        # Indent by depth so "Homs" sits under "Syria" in the list.
        depth = max(path.count("/") - 1, 0)
        return "\u00a0\u00a0" * depth + name


class UserChoiceField(RowModelChoiceField):
    label_fields = ("username",)

    def label_from_row(self, username: str) -> str:
        return username


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=QuickTextInput(attrs={"dir": "auto", "type": "search"}),
    )
    flag_kind = forms.ChoiceField(
        label=_("Open flag"), required=False, choices=ANY + choices("flag_kind"), widget=QuickSelect
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=ANY + choices("state"), widget=QuickSelect
    )
    verdict = forms.ChoiceField(
        label=_("Verdict"), required=False, choices=ANY + choices("verdict"), widget=QuickSelect
    )
    claimant = ClaimantChoiceField(
        label=_("Claimant"),
        required=False,
        empty_label=_("Any"),
        queryset=Actor.objects.filter(
            Exists(Claim.objects.filter(claimant=OuterRef("pk")))
        ).order_by("name"),
    )
    # A number, not a list: a list of every event made each queue page 300 KB and two thirds
    # of its rendering time at 10k claims. Event pages link here with ?event=<number>.
    event = forms.ModelChoiceField(
        label=_("Event number"),
        required=False,
        queryset=Event.objects.all(),
        widget=QuickNumberInput(attrs={"min": 1}),
    )
    place = PlaceChoiceField(
        label=_("Place (and places in it)"),
        required=False,
        empty_label=_("Any"),
        queryset=Place.objects.order_by("path"),
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=ANY + choices("language"), widget=QuickSelect
    )
    stated_from = forms.DateField(label=_("Stated from"), required=False, widget=DATE_WIDGET)
    stated_to = forms.DateField(label=_("Stated until"), required=False, widget=DATE_WIDGET)

    def filters(self) -> ui_selectors.QueueFilters:
        """The valid filters; an invalid one is reported by the form and ignored."""
        data = (
            self.cleaned_data
            if self.is_valid()
            else {
                k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors
            }
        )
        return ui_selectors.QueueFilters(**{k: v for k, v in data.items() if v not in (None, "")})


class BulkActionForm(forms.Form):
    ASSIGN, SET_STATE = "assign", "set_state"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(ASSIGN, _("Assign to")), (SET_STATE, _("Set state"))],
        widget=QuickSelect,
    )
    assignee = UserChoiceField(
        label=_("Assignee"),
        required=False,
        empty_label=_("Nobody"),
        queryset=ui_selectors.assignable_users(),
    )
    state = forms.ChoiceField(
        label=_("New state"),
        required=False,
        choices=[c for c in choices("state") if c[0] != Claim.State.PUBLISHED],
        widget=QuickSelect,
    )
    rationale = forms.CharField(
        label=_("Rationale (for a state change)"), required=False, widget=_bidi_textarea(2)
    )


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=choices("verdict"), widget=QuickSelect)
    # Not required here: the workflow refuses an empty rationale with its own message.
    rationale = forms.CharField(label=_("Rationale"), required=False, widget=_bidi_textarea(4))
    evidence_links = forms.CharField(
        label=_("Evidence links, one per line"),
        required=False,
        widget=QuickTextarea(attrs={"rows": 3, "dir": "ltr"}),
    )
    version = forms.IntegerField(widget=QuickHiddenInput)

    def links(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data["evidence_links"].splitlines()
            if line.strip()
        ]


class PublishForm(forms.Form):
    review = forms.IntegerField(widget=QuickHiddenInput)


class DismissFlagForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for dismissing"), required=False, widget=_bidi_textarea(2)
    )


class ClaimEditForm(forms.Form):
    text_en = forms.CharField(
        label=_("English translation"), required=False, widget=_bidi_textarea(3)
    )
    text_ar = forms.CharField(
        label=_("Arabic translation"), required=False, widget=_bidi_textarea(3)
    )
    stance = forms.ChoiceField(label=_("Stance"), choices=choices("stance"), widget=QuickSelect)
    stated_at = forms.DateField(label=_("Stated on"), required=False, widget=DATE_WIDGET)
    event_start = forms.DateField(label=_("Event start"), required=False, widget=DATE_WIDGET)
    event_end = forms.DateField(label=_("Event end"), required=False, widget=DATE_WIDGET)
    reason = forms.CharField(label=_("Reason for the change"), widget=_bidi_textarea(2))
    version = forms.IntegerField(widget=QuickHiddenInput)

    FIELDS = ("text_en", "text_ar", "stance", "stated_at", "event_start", "event_end")

    @classmethod
    def for_claim(cls, claim: Claim) -> ClaimEditForm:
        initial: dict[str, Any] = {name: getattr(claim, name) for name in cls.FIELDS}
        initial["version"] = claim.version
        return cls(initial=initial, prefix="edit")

    def changes(self) -> dict[str, Any]:
        return {
            name: ""
            if self.cleaned_data[name] is None and name.startswith("text")
            else self.cleaned_data[name]
            for name in self.FIELDS
        }


# --- Ingest and proposals ------------------------------------------------------------------

HTTP_URL = URLValidator(schemes=["http", "https"])


def _url_field(label: Any) -> forms.URLField:
    return forms.URLField(
        label=label,
        required=False,
        max_length=2000,
        assume_scheme="https",
        validators=[HTTP_URL],
        widget=QuickURLInput(attrs={"dir": "ltr", "inputmode": "url"}),
    )


class IngestForm(forms.Form):
    """A pasted text with what the editor knows about it, or a URL to fetch."""

    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=500_000,
        widget=QuickTextarea(attrs={"dir": "auto", "rows": 10}),
    )
    url = _url_field(_("Address of this text (optional)"))
    fetch_url = _url_field(_("URL to fetch"))
    publisher = forms.CharField(
        label=_("Publisher"),
        required=False,
        max_length=200,
        widget=QuickTextInput(attrs={"dir": "auto"}),
    )
    published = forms.DateField(label=_("Published on"), required=False, widget=DATE_WIDGET)
    language = forms.ChoiceField(
        label=_("Language of the text"),
        required=False,
        choices=[("", _("Recognise it")), ("ar", _("Arabic")), ("en", _("English"))],
    )

    def clean_fetch_url(self) -> str:
        # Imported here: the fetcher pulls in trafilatura, which the web process need not load.
        from claims.fetching import FetchRefused, check_url_to_fetch

        fetch_url: str = self.cleaned_data.get("fetch_url", "")
        if fetch_url:
            try:
                check_url_to_fetch(fetch_url)
            except FetchRefused:
                # The fetcher's reason is English; the two refusals a valid http(s) URL can
                # meet here are said in the editor's language.
                if "@" in urlsplit(fetch_url).netloc:
                    message = _("A URL with a user name or password is never fetched.")
                else:
                    message = _(
                        "This URL points at a local or private address, which is never fetched."
                    )
                raise forms.ValidationError(message, code="refused") from None
        return fetch_url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text, fetch_url = data.get("text", ""), data.get("fetch_url", "")
        if "fetch_url" in self.errors or "text" in self.errors:
            return data
        if not text and not fetch_url:
            self.add_error("text", _("Paste a text or give a URL to fetch."))
        elif text and fetch_url:
            raise forms.ValidationError(_("Paste a text or give a URL to fetch, not both."))
        elif fetch_url and data.get("url"):
            self.add_error("url", _("The address goes with a pasted text; to fetch, use the URL."))
        return data


class QuantityForm(forms.Form):
    item = forms.CharField(
        label=_("Item"), max_length=100, widget=QuickTextInput(attrs={"dir": "auto"})
    )
    low = forms.IntegerField(label=_("Low"), min_value=0)
    high = forms.IntegerField(label=_("High (empty: open)"), min_value=0, required=False)
    qualifier = forms.CharField(
        label=_("Qualifier as written"),
        max_length=60,
        required=False,
        widget=QuickTextInput(attrs={"dir": "auto"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("low"), data.get("high")
        if low is not None and high is not None and high < low:
            self.add_error("high", _("The high bound is below the low bound."))
        return data


QuantityFormSet = forms.formset_factory(QuantityForm, extra=1, can_delete=True)


class ProposalForm(forms.Form):
    """One proposed claim as the editor corrects it. The actor and place lists are read once
    per page and handed to every form, so a page of proposals costs two queries, not 2 × n."""

    SAVE, ACCEPT, REJECT = "save", "accept", "reject"

    version = forms.IntegerField(widget=QuickHiddenInput)
    claimant = forms.TypedChoiceField(label=_("Claimant"), coerce=int, widget=QuickSelect)
    stance = forms.ChoiceField(label=_("Stance"), choices=choices("stance"), widget=QuickSelect)
    stated_at = forms.DateField(label=_("Stated on"), required=False, widget=DATE_WIDGET)
    event_start = forms.DateField(label=_("Event start"), required=False, widget=DATE_WIDGET)
    event_end = forms.DateField(label=_("Event end"), required=False, widget=DATE_WIDGET)
    places = forms.TypedMultipleChoiceField(
        label=_("Places"),
        coerce=int,
        required=False,
        widget=QuickSelectMultiple(attrs={"size": 7}),
    )
    via_publisher = forms.TypedChoiceField(
        label=_("Via: publisher of the cited source"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=QuickSelect,
    )
    via_url = _url_field(_("Via: URL of the cited source"))
    reason = forms.CharField(
        label=_("Reason (for a correction or a rejection)"),
        required=False,
        widget=_bidi_textarea(2),
    )

    def __init__(
        self,
        *args: Any,
        actors: list[tuple[int, str]],
        places: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["claimant"].choices = actors  # type: ignore[attr-defined]
        self.fields["via_publisher"].choices = [("", _("None")), *actors]  # type: ignore[attr-defined]
        self.fields["places"].choices = places  # type: ignore[attr-defined]
        self.quantities = QuantityFormSet(
            self.data if self.is_bound else None,
            initial=kwargs.get("initial", {}).get("quantities"),
            prefix=f"{self.prefix}-q",
        )

    @classmethod
    def for_claim(
        cls, claim: Claim, *, actors: list[tuple[int, str]], places: list[tuple[int, str]]
    ) -> ProposalForm:
        appearances = list(claim.appearances.all())
        via = appearances[0].via if appearances else None
        initial = {
            "version": claim.version,
            "claimant": claim.claimant_id,
            "stance": claim.stance,
            "stated_at": claim.stated_at,
            "event_start": claim.event_start,
            "event_end": claim.event_end,
            "places": [p.pk for p in claim.places.all()],
            "via_publisher": via.publisher_id if via is not None else None,
            "via_url": via.canonical_url if via is not None else "",
            "quantities": [
                {"item": q.item, "low": q.low, "high": q.high, "qualifier": q.qualifier}
                for q in claim.quantities.all()
            ],
        }
        return cls(initial=initial, prefix=f"p{claim.pk}", actors=actors, places=places)

    def is_valid(self) -> bool:
        # Both, so that every error shows at once.
        return all([super().is_valid(), self.quantities.is_valid()])

    def edit(self) -> proposals.ProposalEdit:
        data = self.cleaned_data
        return proposals.ProposalEdit(
            claimant_id=data["claimant"],
            stance=data["stance"],
            stated_at=data["stated_at"],
            event_start=data["event_start"],
            event_end=data["event_end"],
            place_ids=frozenset(data["places"]),
            quantities=tuple(
                proposals.QuantityEdit(
                    item=row["item"], low=row["low"], high=row["high"], qualifier=row["qualifier"]
                )
                for row in self.quantities.cleaned_data
                if row and not row.get("DELETE")
            ),
            via_publisher_id=data["via_publisher"],
            via_url=data["via_url"],
        )
