"""Select boxes rendered in Python rather than through a template per option.

Django renders every <option> of a Select through its own template: the queue's filter lists
(every claimant, every place of the gazetteer, every editor) came to a few thousand options,
over half of the queue page's server time. These widgets write the same HTML directly, with
the same escaping, and take the same arguments.
"""

from __future__ import annotations

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
