"""The select boxes written in Python (claims/widgets.py) give the browser what Django's
template-rendered ones give it: same options, same selection, every label escaped; and the
queue's claimant, place and assignee lists come from rows, with the chosen instance as value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django import forms

from claims.forms_ui import BulkActionForm, QueueFilterForm
from claims.models import Actor, Place
from claims.widgets import QuickSelect, QuickSelectMultiple
from tests.factories import ClaimFactory

CHOICES = [
    ("", "Any"),
    ("1", "Homs (حمص)"),
    ("2", '<script>alert("x")</script>'),
    ("3", "\u202egnitseT & co"),
]


def _options(html: str) -> list[tuple[str, bool, str]]:
    return [
        (value, bool(selected), label)
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>(.*?)</option>', html
        )
    ]


def test_a_quick_select_offers_the_same_options_and_selection_as_djangos_select():
    ours = QuickSelect(choices=CHOICES).render("claimant", "2", attrs={"id": "id_claimant"})
    django = forms.Select(choices=CHOICES).render("claimant", "2", attrs={"id": "id_claimant"})

    assert _options(ours) == _options(django)
    assert ours.startswith('<select name="claimant" id="id_claimant">')


def test_a_quick_select_escapes_labels_and_values():
    html = QuickSelect(choices=[('"><b>', "<img src=x onerror=alert(1)>")]).render("x", None)

    assert "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'value="&quot;&gt;&lt;b&gt;"' in html


def test_a_quick_select_multiple_marks_every_chosen_value_and_reads_the_submitted_list():
    widget = QuickSelectMultiple(choices=CHOICES, attrs={"size": 7})
    html = widget.render("places", ["1", "3"])

    assert [value for value, selected, _ in _options(html) if selected] == ["1", "3"]
    assert " multiple" in html and 'size="7"' in html
    data = forms.SelectMultiple().value_from_datadict(
        {"places": ["1", "3"]}, {}, "places"
    )  # what Django's widget reads
    assert widget.value_from_datadict({"places": ["1", "3"]}, {}, "places") == data


def test_a_quick_select_writes_option_groups():
    html = QuickSelect(choices=[("Syria", [("1", "Homs"), ("2", "Hama")])]).render("p", "2")

    assert '<optgroup label="Syria"><option value="1">Homs</option>' in html
    assert '<option value="2" selected>Hama</option></optgroup>' in html


@pytest.mark.django_db
def test_the_queue_filter_lists_claimants_with_claims_and_places_indented_by_depth(seeded):
    claimant = ClaimFactory().claimant
    form = QueueFilterForm(None)

    claimants = dict(form.fields["claimant"].choices)
    places = dict(form.fields["place"].choices)

    assert claimants[""] == "Any"
    assert claimants[claimant.pk] == str(claimant)
    listed = [pk for pk in claimants if pk]
    assert not Actor.objects.exclude(claims__isnull=False).filter(pk__in=listed).exists()
    homs = Place.objects.get(ref="geonames:169575")
    depth = homs.path.count("/") - 1
    assert places[homs.pk] == "\u00a0\u00a0" * depth + homs.name
    assert len(places) == Place.objects.count() + 1


@pytest.mark.django_db
def test_a_queue_filter_chosen_from_the_list_is_the_instance(seeded):
    homs = Place.objects.get(ref="geonames:169575")
    form = QueueFilterForm({"place": str(homs.pk)})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["place"] == homs
    assert f'<option value="{homs.pk}" selected>' in str(form["place"])


@pytest.mark.django_db
def test_an_unknown_choice_is_refused_by_the_form(seeded):
    form = QueueFilterForm({"place": "999999"})

    assert not form.is_valid()
    assert "place" in form.errors


@pytest.mark.django_db
def test_the_bulk_assignee_list_names_only_users_who_may_edit(role_users):
    names = [label for _, label in BulkActionForm().fields["assignee"].choices]

    assert role_users["editor"].username in names
    assert role_users["viewer"].username not in names


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("claims:claim", 1),
        ("claims:claim", 8642097531),
        ("claims:actor", "isis"),
        ("claims:actor", "al-naba-weekly"),
        ("claims:actor", "حمص"),
        ("claims:actor", "a b&c?d#e"),
        ("claims:event", 0),
    ],
)
def test_url_of_gives_what_reverse_gives(name, value):
    from django.urls import reverse

    from claims.templatetags.claims_ui import url_of

    assert url_of(value, name) == reverse(name, args=[value])
    assert url_of(value, name) == reverse(name, args=[value])  # from the kept pattern


def test_url_of_refuses_what_reverse_refuses():
    from django.urls import NoReverseMatch

    from claims.templatetags.claims_ui import url_of

    with pytest.raises(NoReverseMatch):
        url_of(-1, "claims:claim")
    with pytest.raises(NoReverseMatch):
        url_of("a/b", "claims:actor")


HOSTILE = '"><script>alert(1)</script> حمص \u202e&amp;'


@pytest.mark.parametrize(
    ("ours", "djangos"),
    [
        ("QuickTextInput", forms.TextInput),
        ("QuickNumberInput", forms.NumberInput),
        ("QuickDateInput", forms.DateInput),
        ("QuickURLInput", forms.URLInput),
        ("QuickHiddenInput", forms.HiddenInput),
        ("QuickTextarea", forms.Textarea),
    ],
)
@pytest.mark.parametrize("value", [None, "", HOSTILE, 42])
def test_quick_inputs_write_exactly_what_djangos_templates_write(ours, djangos, value):
    from claims import widgets

    attrs = {"dir": "auto", "required": True, "disabled": False, "data-x": "<b>&"}
    mine = getattr(widgets, ours)(attrs=attrs).render("field", value, attrs={"id": "id_field"})
    theirs = djangos(attrs=attrs).render("field", value, attrs={"id": "id_field"})

    assert mine == theirs


# The template loop that {% queue_rows %} replaced, kept as it was.
QUEUE_ROW_TEMPLATE = (Path(__file__).parent / "data" / "queue_row_loop.html").read_text()


def _cells(html: str) -> list[str]:
    return [line.strip() for line in re.split(r"(?=<t[dr])|\n", html) if line.strip()]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("bulk", [True, False])
def test_queue_rows_written_in_python_match_the_template_loop_they_replace(
    seeded, role_users, language, bulk
):
    from django.core.paginator import Paginator
    from django.template import engines
    from django.utils import translation

    from claims.models import Claim
    from claims.templatetags.claims_ui import queue_rows
    from claims.ui_selectors import with_flag_badges

    hostile = ClaimFactory(text=HOSTILE * 8, assigned_to=role_users["editor"])
    hostile.claimant.name = HOSTILE
    hostile.claimant.save()
    claims = Claim.objects.select_related("claimant", "assigned_to").order_by("pk")
    page = with_flag_badges(Paginator(claims, 50).page(1))
    with translation.override(language):
        template = engines["django"].from_string(QUEUE_ROW_TEMPLATE)
        expected = template.render({"claims": page.object_list, "bulk": bulk})
        written = queue_rows(page.object_list, bulk)

    assert _cells(written) == _cells(expected)
    assert "<script>" not in written
