"""Template helpers of the editor UI: translated labels for the stored choice values, which the
models keep as plain English, the field names shown in history and conflicts, and a reader for
the invisible characters hidden in a text."""

from __future__ import annotations

import html
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django import template
from django.template.defaultfilters import floatformat
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

register = template.Library()

LABELS: dict[str, dict[str, Any]] = {
    "state": {
        "new": _("New"),
        "in_review": _("In review"),
        "reviewed": _("Reviewed"),
        "published": _("Published"),
        "needs_info": _("Needs information"),
    },
    "verdict": {
        "unverified": _("Unverified"),
        "confirmed": _("Confirmed"),
        "likely_true": _("Likely true"),
        "contested": _("Contested"),
        "misleading": _("Misleading"),
        "likely_false": _("Likely false"),
        "false": _("False"),
        "unassessable": _("Unassessable"),
    },
    "stance": {
        "asserts": _("Asserts"),
        "denies": _("Denies"),
        "claims_responsibility": _("Claims responsibility"),
        "admits": _("Admits"),
    },
    "flag_kind": {
        "quantity_conflict": _("Quantity conflict"),
        "date_conflict": _("Date conflict"),
        "place_conflict": _("Place conflict"),
        "denial": _("Denial"),
        "single_root": _("Single root (circular reporting)"),
        "partisan_only": _("Partisan sources only"),
        "unsourced": _("Unsourced"),
        "quote_not_in_source": _("Quote not in source"),
        "unverified_stale": _("Unverified past deadline"),
        "source_unreachable": _("Source unreachable"),
        "source_changed": _("Source changed"),
    },
    "severity": {
        "info": _("Info"),
        "minor": _("Minor"),
        "major": _("Major"),
        "critical": _("Critical"),
    },
    "actor_kind": {
        "government": _("Government"),
        "military": _("Military"),
        "armed_group": _("Armed group"),
        "media": _("Media outlet"),
        "wire": _("Wire agency"),
        "ngo": _("NGO"),
        "think_tank": _("Think tank"),
        "person": _("Person"),
        "social_account": _("Social media account"),
        "anonymous": _("Unnamed sources"),
    },
    "reliability": {
        "A": _("A – completely reliable"),
        "B": _("B – usually reliable"),
        "C": _("C – fairly reliable"),
        "D": _("D – not usually reliable"),
        "E": _("E – unreliable"),
        "F": _("F – reliability cannot be judged"),
    },
    "language": {"ar": _("Arabic"), "en": _("English"), "other": _("Other")},
    "field": {
        "text": _("Original text"),
        "text_en": _("English translation"),
        "text_ar": _("Arabic translation"),
        "stance": _("Stance"),
        "stated_at": _("Stated on"),
        "event_start": _("Event start"),
        "event_end": _("Event end"),
        "state": _("State"),
        "verdict": _("Verdict"),
        "assigned_to": _("Assigned to"),
        "tags": _("Tags"),
        "event": _("Event"),
        "language": _("Language"),
        "claimant": _("Claimant"),
    },
    "activity": {"claim": _("Claim"), "review": _("Review"), "flag": _("Flag")},
    "phase": {
        "queued": _("Queued"),
        "fetching": _("Fetching"),
        "extracting": _("Extracting claims"),
        "done": _("Done"),
        "failed": _("Failed"),
    },
    "source_kind": {
        "article": _("Article"),
        "press_release": _("Press release"),
        "statement": _("Statement"),
        "social_post": _("Social media post"),
        "video": _("Video"),
        "report": _("Report"),
        "newspaper": _("Newspaper issue"),
        "website": _("Website post"),
        "interview": _("Interview"),
    },
    "event_status": {"proposed": _("Proposed"), "confirmed": _("Confirmed by an editor")},
    "change": {"+": _("created"), "~": _("changed"), "-": _("deleted")},
}


# (language, kind, value) -> translated label; the catalogues do not change while a process runs.
_TRANSLATED: dict[tuple[str | None, str, Any], Any] = {}


def label_for(kind: str, value: Any, language: str | None = None) -> Any:
    # Translated once per language and process: a lazy label is translated again at each step
    # of the template engine, and a queue page shows several hundred labels. Callers writing
    # many labels pass the language, read once.
    key = (get_language() if language is None else language, kind, value)
    try:
        return _TRANSLATED[key]
    except KeyError:
        label = LABELS.get(kind, {}).get(value)
        return _TRANSLATED.setdefault(key, value if label is None else str(label))
    except TypeError:  # an unhashable value is shown as it is
        return value


@register.filter
def label(value: Any, kind: str) -> Any:
    """`{{ claim.state|label:"state" }}` → the translated label of a stored value."""
    return label_for(kind, value)


def name_in(actor: Any, language: str | None) -> str:
    """An actor's name in the page's language: its Arabic name on Arabic pages when it has
    one, else its name as stored (the English or original one)."""
    if actor is None:
        return ""
    name_ar = getattr(actor, "name_ar", None)
    return str(name_ar) if language == "ar" and name_ar else str(actor.name)


@register.filter
def actor_name(actor: Any) -> str:
    """`{{ claim.claimant|actor_name }}`: Arabic editors read القيادة المركزية الأمريكية, not
    "US Central Command", wherever the actor has an Arabic name."""
    return name_in(actor, get_language())


@register.filter
def field_value(value: Any, field_name: str) -> Any:
    """A history value shown as its label when the field stores a choice (state, verdict…)."""
    kind = field_name if field_name in ("state", "verdict", "stance") else ""
    return label_for(kind, value) if kind else value


def choices(kind: str) -> list[tuple[str, Any]]:
    return list(LABELS[kind].items())


# URL name -> the path with "{}" where its one argument goes, per script prefix and URLconf.
_URL_PATTERNS: dict[tuple[str, Any, str, Any], str] = {}
_SENTINELS = (8642097531, "zq-sentinel-qz")  # an int and a str that no path contains


@register.filter
def url_of(value: Any, name: str) -> str:
    """`{{ claim.pk|url_of:"claims:claim" }}` is `{% url "claims:claim" claim.pk %}` for a URL of
    one argument. The queue links every row to its claim and its claimant: reversing 100 URLs
    per page cost more than the rest of a row; here the URL is reversed once per process and
    the argument filled in, quoted as reverse() quotes it. Anything a converter might refuse
    (a negative number, an empty string, a slash) goes through reverse() itself."""
    plain_int = isinstance(value, int) and value >= 0
    plain_str = isinstance(value, str) and value != "" and "/" not in value
    if not (plain_int or plain_str):
        return reverse(name, args=[value])
    sentinel = _SENTINELS[0] if plain_int else _SENTINELS[1]
    key = (name, sentinel, get_script_prefix(), get_urlconf())
    pattern = _URL_PATTERNS.get(key)
    if pattern is None:
        url = reverse(name, args=[sentinel])
        if url.count(str(sentinel)) != 1:  # not a plain one-argument URL: no shortcut
            return reverse(name, args=[value])
        escaped = url.replace("{", "{{").replace("}", "}}")
        pattern = _URL_PATTERNS[key] = escaped.replace(str(sentinel), "{}")
    return pattern.format(quote(str(value), safe=RFC3986_SUBDELIMS + "/~:@"))


@register.simple_tag
def flag_badges(badges: list[Any], language: str | None = None) -> str:
    """A claim's open flags as badges, "Date conflict ×8", or a dash when it has none. Written
    here rather than in a template loop: the queue shows several hundred of them."""
    if not badges:
        return "—"
    # Escaped as format_html would, with the standard library's escape (Django's own one, less
    # its lazy-string wrapper, which cost more than the rest of a badge).
    escape = html.escape
    language = get_language() if language is None else language
    return mark_safe(  # noqa: S308
        " ".join(
            f'<span class="flag severity-{escape(b.severity)}">'
            f"{escape(label_for('flag_kind', b.kind, language))}"
            f"{escape(f' ×{b.count}') if b.count > 1 else ''}</span>"
            for b in badges
        )
    )


def truncated(text: str, length: int) -> str:
    """`text|truncatechars:length`, with a shortcut for the usual text that needs no cut: the
    filter returns the NFC form then, and combining characters only ever shorten the count."""
    normal = unicodedata.normalize("NFC", text)
    return normal if len(normal) <= length else Truncator(text).chars(length)


QUEUE_ROW = (
    '<tr class="queue-row" data-href="{url}">\n'
    "{select}"
    '<td class="num">{priority}</td>\n'
    '<td><a class="claim-link" href="{url}"><span dir="auto">{text}</span></a></td>\n'
    '<td><a href="{actor_url}"><bdi>{claimant}</bdi></a></td>\n'
    "<td>{stated}</td>\n"
    "<td>{state}</td>\n"
    "<td>{verdict}</td>\n"
    "<td>{badges}</td>\n"
    "<td>{assignee}</td>\n"
    "</tr>\n"
)
QUEUE_SELECT = (
    '<td><input type="checkbox" name="claims" value="{pk}" id="select-{pk}">'
    '<label for="select-{pk}" class="visually-hidden">{label}</label></td>\n'
)


@register.simple_tag
def queue_rows(claims: Iterable[Any], selectable: Any) -> SafeString:
    """The review queue's rows (claims from ui_selectors.queue with their flag badges), with a
    selection box each when `selectable`. Written here rather than as a template loop: fifty
    rows through the template engine were most of the queue's CPU time. Every value is escaped
    as the template escaped it; the filters are the template's own (floatformat, truncatechars)
    or give the same text (a date's isoformat is its "Y-m-d")."""
    escape = html.escape  # what django.utils.html.escape does, without its lazy-string wrapper
    # blocktranslate leaves its translation as it is and escapes only the value put into it.
    select_label = gettext("Select claim %(id)s")
    language = get_language()
    rows = []
    for claim in claims:
        pk = escape(str(claim.pk))
        assignee = claim.assigned_to.username if claim.assigned_to is not None else ""
        rows.append(
            QUEUE_ROW.format(
                url=escape(url_of(claim.pk, "claims:claim")),
                select=QUEUE_SELECT.format(pk=pk, label=select_label % {"id": pk})
                if selectable
                else "",
                priority=escape(floatformat(claim.priority, 0)),
                text=escape(truncated(claim.text, 140)),
                actor_url=escape(url_of(claim.claimant.slug, "claims:actor")),
                claimant=escape(name_in(claim.claimant, language)),
                stated=claim.stated_at.isoformat() if claim.stated_at else "—",
                state=escape(label_for("state", claim.state, language)),
                verdict=escape(label_for("verdict", claim.verdict, language)),
                badges=flag_badges(claim.flag_badges, language),
                assignee=escape(assignee) if assignee else "—",
            )
        )
    return mark_safe("".join(rows))  # noqa: S308


@register.filter
def invisible_characters(text: str) -> list[tuple[str, str, int]]:
    """Format characters in a text (direction overrides, zero-width spaces, joiners…) as
    ("U+202E", "RIGHT-TO-LEFT OVERRIDE", count): they change how a text reads or matches while
    showing nothing, so the claim page names them."""
    found = Counter(ch for ch in text or "" if unicodedata.category(ch) == "Cf")
    return [
        (f"U+{ord(ch):04X}", unicodedata.name(ch, "UNNAMED FORMAT CHARACTER"), n)
        for ch, n in sorted(found.items())
    ]


@register.filter
def http_url(url: str) -> str:
    """The URL if it may become a link (http or https), else "": a stored "javascript:" URL is
    shown as text, never followed. The same check as the public pages."""
    # Imported here: claimreview imports this module for its labels.
    from claims.claimreview import public_url

    return public_url(url)


@register.filter
def without_bidi(value: Any) -> str:
    """For a page <title>, which cannot isolate text: the value without its bidi controls."""
    from claims.claimreview import without_bidi_controls

    return without_bidi_controls("" if value is None else str(value))
