"""Widgets rendered in Python rather than through Django's widget templates.

Django renders every <option> of a Select through its own template: the queue's filter lists
(every claimant, every place of the gazetteer, every editor) came to a few thousand options,
over half of the queue page's server time. The text boxes, dates and hidden fields of the claim
page's forms went through three templates each (the widget, input.html, attrs.html), a fifth of
its rendering. These widgets write the same HTML directly, with the same escaping, and take the
same arguments.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _options(choices: Iterable[tuple[Any, Any]], selected: set[str]) -> str:
    parts: list[str] = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            # An option group: (group name, [(value, label), ...]).
            group = conditional_escape(value)
            parts.append(f'<optgroup label="{group}">{_options(label, selected)}</optgroup>')
            continue
        key = "" if value is None else str(value)
        mark = " selected" if key in selected else ""
        parts.append(f'<option value="{escape(key)}"{mark}>{conditional_escape(label)}</option>')
    return "".join(parts)


def _escape(value: Any) -> str:
    # What django.utils.html.escape does, without its lazy-string wrapper (a tenth of a widget).
    return html.escape(str(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """Django's widgets/attrs.html: False leaves the attribute out, True writes its name alone,
    anything else is written as its escaped string."""
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickInputMixin:
    """Django's widgets/input.html for an <input> widget (text, date, number, hidden …)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = widget["value"]
        value_attr = "" if shown is None else f' value="{_escape(shown)}"'
        return mark_safe(  # noqa: S308  every part escaped
            f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"'
            f"{value_attr}{_attrs(widget['attrs'])}>"
        )


class QuickTextInput(QuickInputMixin, forms.TextInput):
    pass


class QuickNumberInput(QuickInputMixin, forms.NumberInput):
    pass


class QuickDateInput(QuickInputMixin, forms.DateInput):
    pass


class QuickURLInput(QuickInputMixin, forms.URLInput):
    pass


class QuickHiddenInput(QuickInputMixin, forms.HiddenInput):
    pass


class QuickTextarea(forms.Textarea):
    """Django's widgets/textarea.html."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = widget["value"]
        return mark_safe(  # noqa: S308  every part escaped
            f'<textarea name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
            f"{conditional_escape(shown) if shown else ''}</textarea>"
        )


class QuickSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        selected = set(self.format_value(value))
        options = _options(self.choices, selected)  # every value and label escaped
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(final_attrs),
            mark_safe(options),  # noqa: S308
        )


class QuickSelectMultiple(QuickSelect):
    allow_multiple_selected = True

    # SelectMultiple's reading of the submitted list, so a form behaves the same with either.
    value_from_datadict = forms.SelectMultiple.value_from_datadict
    value_omitted_from_data = forms.SelectMultiple.value_omitted_from_data


class RowChoiceIterator(ModelChoiceIterator):
    """Options as (id, label) read with values_list: no model instance per option."""

    field: RowModelChoiceField

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for row in self.queryset.values_list("pk", *self.field.label_fields):
            yield (row[0], self.field.label_from_row(*row[1:]))


class RowModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField (its value is still the chosen instance) whose long option list is
    read as rows and written by QuickSelect."""

    iterator = RowChoiceIterator
    widget = QuickSelect
    label_fields: tuple[str, ...] = ()

    def label_from_row(self, *values: Any) -> str:
        raise NotImplementedError
