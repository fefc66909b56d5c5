"""Forms of the editor UI. They only parse input; the workflow and services decide and refuse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from claims import ui_selectors
from claims.models import Actor, Claim, Event, Place
from claims.templatetags.claims_ui import choices

ANY: list[tuple[str, Any]] = [("", _("Any"))]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _bidi_textarea(rows: int = 3) -> forms.Textarea:
    # Arabic and English are typed into the same boxes: each follows its own text's direction.
    return forms.Textarea(attrs={"dir": "auto", "rows": rows})


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Indent by depth so "Homs" sits under "Syria" in the list.
        depth = max(obj.path.count("/") - 1, 0)
        return "\u00a0\u00a0" * depth + str(obj)


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto", "type": "search"}),
    )
    flag_kind = forms.ChoiceField(
        label=_("Open flag"), required=False, choices=ANY + choices("flag_kind")
    )
    state = forms.ChoiceField(label=_("State"), required=False, choices=ANY + choices("state"))
    verdict = forms.ChoiceField(
        label=_("Verdict"), required=False, choices=ANY + choices("verdict")
    )
    claimant = forms.ModelChoiceField(
        label=_("Claimant"),
        required=False,
        empty_label=_("Any"),
        queryset=Actor.objects.filter(
            Exists(Claim.objects.filter(claimant=OuterRef("pk")))
        ).order_by("name"),
    )
    event = forms.ModelChoiceField(
        label=_("Event"),
        required=False,
        empty_label=_("Any"),
        queryset=Event.objects.order_by("-start", "title"),
    )
    place = PlaceChoiceField(
        label=_("Place (and places in it)"),
        required=False,
        empty_label=_("Any"),
        queryset=Place.objects.order_by("path"),
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=ANY + choices("language")
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
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        required=False,
        empty_label=_("Nobody"),
        queryset=ui_selectors.assignable_users(),
    )
    state = forms.ChoiceField(
        label=_("New state"),
        required=False,
        choices=[c for c in choices("state") if c[0] != Claim.State.PUBLISHED],
    )
    rationale = forms.CharField(
        label=_("Rationale (for a state change)"), required=False, widget=_bidi_textarea(2)
    )


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=choices("verdict"))
    # Not required here: the workflow refuses an empty rationale with its own message.
    rationale = forms.CharField(label=_("Rationale"), required=False, widget=_bidi_textarea(4))
    evidence_links = forms.CharField(
        label=_("Evidence links, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def links(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data["evidence_links"].splitlines()
            if line.strip()
        ]


class PublishForm(forms.Form):
    review = forms.IntegerField(widget=forms.HiddenInput)


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
    stance = forms.ChoiceField(label=_("Stance"), choices=choices("stance"))
    stated_at = forms.DateField(label=_("Stated on"), required=False, widget=DATE_WIDGET)
    event_start = forms.DateField(label=_("Event start"), required=False, widget=DATE_WIDGET)
    event_end = forms.DateField(label=_("Event end"), required=False, widget=DATE_WIDGET)
    reason = forms.CharField(label=_("Reason for the change"), widget=_bidi_textarea(2))
    version = forms.IntegerField(widget=forms.HiddenInput)

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
