"""Dates in Arabic and English reports, resolved against the publication date.

Pure functions over the standard library. Text is matched in a folded form (`fold_with_offsets`:
`arabic.normalise` applied character by character, so every folded character knows where it came
from) and spans are reported with offsets into the text *as written*.

What is recognised (both languages, in any mix):

* days: "24 تشرين الثاني", "في 12 من نوفمبر 2025", "11 Nov 2025", "November 11, 2025",
  "the 24th of November", "12/11/2025", "2025-11-12";
* ranges: "من 24 إلى 27 تشرين الثاني", "بين 24 و27 من الشهر", "بين 1 تشرين الأول و6 تشرين الثاني",
  "between 24 and 27 November", "24–27 Nov", "November 24-27", "from November 24 to December 2";
* months: "خلال تشرين الأول الماضي", "شهر آب", "أيار 2024", "in October", "last March";
* relative: أمس / يوم أمس / البارحة, أول أمس, اليوم, الأسبوع/الشهر/العام الماضي (and الجاري/هذا),
  قبل يومين, weekdays ("يوم الاثنين", "، الأحد،", "on Monday"), yesterday, today,
  last week/month/year, this week/month/year, "3 days ago".

Month names: Levantine/Iraqi (كانون الثاني … كانون الأول), Egyptian/Gulf (يناير … ديسمبر), the
Maghrebi forms (جانفي، أفريل، جوان، أوت، شتنبر …) and English (full and abbreviated).

Years, when not written, are inferred from the publication date: the most recent such date not
after publication ("24 تشرين الثاني" published 2025-12-01 → 2025-11-24, "28 كانون الأول" →
2024-12-28). "المقبل"/"القادم"/"next" pick the first such date not before publication; "الماضي"
after a month alone excludes the publication month itself.
"""

from __future__ import annotations

import bisect
import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from claims.extraction.arabic import normalise

__all__ = [
    "DateProposal",
    "DateSpan",
    "date_mask",
    "find_dates",
    "fold_with_offsets",
    "original_span",
    "propose_dates",
]


@dataclass(frozen=True)
class DateSpan:
    """A date expression: the window it denotes (inclusive) and where it was written."""

    start: date
    end: date
    text: str
    start_offset: int
    end_offset: int
    kind: str  # 'day' | 'range' | 'month' | 'relative'


@dataclass(frozen=True)
class DateProposal:
    """When a claim was stated, kept apart from the window of the event it reports."""

    stated_at: date | None
    event_start: date | None
    event_end: date | None
    spans: tuple[DateSpan, ...]


# --------------------------------------------------------------------------------------------
# Folding with an offset map (shared with numbers.py)
# --------------------------------------------------------------------------------------------

_FOLD_CACHE: dict[str, str] = {}


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalise` each character, keeping for every folded character its original index.

    Whitespace becomes a single space (runs are kept, so offsets stay exact); characters that
    fold to nothing (diacritics, tatweel, bidi marks) disappear. The returned list has one entry
    per folded character plus a final `len(text)`.
    """
    parts: list[str] = []
    f2o: list[int] = []
    cache = _FOLD_CACHE
    for index, char in enumerate(text):
        folded = cache.get(char)
        if folded is None:
            folded = " " if char.isspace() else normalise(char)
            if len(cache) < 50_000:
                cache[char] = folded
        if folded:
            parts.append(folded)
            if len(folded) == 1:
                f2o.append(index)
            else:
                f2o.extend([index] * len(folded))
    f2o.append(len(text))
    return "".join(parts), f2o


def original_span(text: str, f2o: list[int], start: int, end: int) -> tuple[int, int]:
    """Map a folded span [start, end) to the original text, keeping trailing harakat/tatweel."""
    o_start = f2o[start]
    if end <= start:
        return o_start, o_start
    o_end = f2o[end - 1] + 1
    limit = f2o[end]
    while o_end < limit and (text[o_end] == "\u0640" or unicodedata.category(text[o_end]) == "Mn"):
        o_end += 1
    return o_start, o_end


def _folded_index(f2o: list[int], original: int) -> int:
    """The first folded index at or after an original offset."""
    return bisect.bisect_left(f2o, original)


# --------------------------------------------------------------------------------------------
# Month and weekday tables (the one place that knows month names)
# --------------------------------------------------------------------------------------------

MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("كانون الثاني", "يناير", "جانفي", "january", "jan"),
    2: ("شباط", "فبراير", "فيفري", "february", "feb"),
    3: ("آذار", "مارس", "march", "mar"),
    4: ("نيسان", "أبريل", "إبريل", "أفريل", "april", "apr"),
    5: ("أيار", "مايو", "ماي", "may"),
    6: ("حزيران", "يونيو", "يونيه", "جوان", "june", "jun"),
    7: ("تموز", "يوليو", "يوليه", "جويلية", "يوليوز", "july", "jul"),
    8: ("آب", "أغسطس", "أوت", "غشت", "august", "aug"),
    9: ("أيلول", "سبتمبر", "شتنبر", "september", "sept", "sep"),
    10: ("تشرين الأول", "أكتوبر", "october", "oct"),
    11: ("تشرين الثاني", "نوفمبر", "نونبر", "november", "nov"),
    12: ("كانون الأول", "ديسمبر", "دجنبر", "december", "dec"),
}
# Abbreviations only count next to a day number, never as a month on their own.
_ABBREVIATIONS = frozenset({"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct"})
_ABBREVIATIONS |= frozenset({"nov", "dec"})
# English month names that are also ordinary words: only counted when capitalised.
_CASE_SENSITIVE = frozenset({"may", "march", "mar"})

MONTH_OF: dict[str, int] = {}
for _month, _names in MONTH_NAMES.items():
    for _name in _names:
        _key = normalise(_name)
        MONTH_OF[_key] = _month
        if " ال" in _key:  # "تشرين ثاني" is common too
            MONTH_OF[_key.replace(" ال", " ")] = _month

_AR_WEEKDAYS: dict[str, int] = {
    "الاثنين": 0,
    "الثلاثاء": 1,
    "الثلاثا": 1,
    "الاربعاء": 2,
    "الاربعا": 2,
    "الخميس": 3,
    "الجمعه": 4,
    "السبت": 5,
    "الاحد": 6,
}
# These also mean "the two", "the congregation/Friday prayer", "the one": they need a cue.
_AR_WEEKDAYS_NEED_CUE = frozenset({"الاثنين", "الجمعه", "الاحد"})
_EN_WEEKDAYS: dict[str, int] = {
    name: i
    for i, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}

# Words after a date that move it in time.
_REL_WORDS: dict[str, str] = {
    "الماضي": "past",
    "الماضيين": "past",
    "الماضيه": "past",
    "المنصرم": "past",
    "المنصرمين": "past",
    "الفايت": "past",
    "السابق": "past",
    "الجاري": "current",
    "الحالي": "current",
    "الجاريه": "current",
    "الحاليه": "current",
    "المقبل": "next",
    "القادم": "next",
    "المقبلين": "next",
    "من العام الماضي": "lastyear",
    "من السنه الماضيه": "lastyear",
    "من العام المنصرم": "lastyear",
    "of last year": "lastyear",
    "last year": "lastyear",
    "من العام الجاري": "thisyear",
    "من العام الحالي": "thisyear",
    "من هذا العام": "thisyear",
    "of this year": "thisyear",
    "this year": "thisyear",
}


def _alt(words: Iterable[str]) -> str:
    return "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True)
    )


_M_ANY = _alt(MONTH_OF)
_M_FULL = _alt(k for k in MONTH_OF if k not in _ABBREVIATIONS)
_REL_ALT = _alt(_REL_WORDS)


# The other series' name written after a month as a gloss: "كانون الأول/ديسمبر".
_GLOSS = rf"(?:\s*/\s*(?:{_M_FULL})(?!\w))?"


def _mon(group: str, full: bool = False) -> str:
    return rf"(?P<{group}>{_M_FULL if full else _M_ANY})(?!\w)(?:\.(?=\s*\d))?{_GLOSS}"


def _day(group: str) -> str:
    return rf"(?<![\d/:.٫])(?:ال)?(?P<{group}>[0-3]?\d)(?!\d)(?:st|nd|rd|th)?"


def _year(group: str) -> str:
    return (
        rf"(?:\s*,?\s*(?:(?:عام|العام|سنه|year)\s+)?(?P<{group}>(?:1[89]|20)\d\d)(?!\d)"
        r"(?:\s*م(?!\w))?)?"
    )


def _rel(group: str) -> str:
    return rf"(?:\s+(?P<{group}>{_REL_ALT})(?!\w))?"


def _mref(group: str) -> str:
    # "of" / "من" is required: "قتل 5 الشهر الماضي" is "killed 5 last month", not a day.
    return (
        rf"(?P<{group}>(?:من|of)\s+(?:هذا\s+)?الشهر(?:\s+(?:الجاري|الحالي|الماضي|المنصرم|الفايت|السابق))?"
        r"|of\s+(?:this|last|the|that)\s+month)(?!\w)"
    )


_SEP = r"\s*(?:(?:من|of)\s+)?"
_STRONG = r"(?:\s*[-–—]\s*|\s+(?:الي|حتي|لغايه|ولغايه|وحتي|to|until|till|through|thru)\s+)"
_WEAK = r"(?:\s*و\s*|\s+and\s+)"
_PRE = r"(?<!\w)(?P<pre>[وف]?(?:بين|من|يومي|ليلتي|between|from))\s+(?:the\s+)?"
_WS = r"\s+"

_AR_MONTH_CUES = r"(?:في|خلال|منذ|مطلع|اوايل|اواخر|منتصف|بدايه|نهايه|طوال|اثناء|حتي|شهر|بشهر)"
_EN_MONTH_CUES = (
    r"(?:in|during|since|throughout|until|through|by|early|late|mid|last|this|next"
    r"|(?:the\s+)?(?:start|beginning|end|middle)\s+of)"
)

_Pattern = tuple[str, "re.Pattern[str]"]


def _c(name: str, pattern: str) -> _Pattern:
    return name, re.compile(pattern)


# In priority order: longer, more specific expressions first; later matches may not overlap.
_PATTERNS: tuple[_Pattern, ...] = (
    _c(
        "range_full",
        _PRE
        + _day("d1")
        + _SEP
        + _mon("m1")
        + _year("y1")
        + rf"(?:{_STRONG}|{_WEAK})"
        + _day("d2")
        + _SEP
        + _mon("m2")
        + _year("y2")
        + _rel("r"),
    ),
    _c(
        "range_full",
        _day("d1")
        + _SEP
        + _mon("m1")
        + _year("y1")
        + _STRONG
        + _day("d2")
        + _SEP
        + _mon("m2")
        + _year("y2")
        + _rel("r"),
    ),
    _c(
        "range_en_full",
        r"(?<!\w)(?:(?P<pre>between|from)\s+)?"
        + _mon("m1")
        + _WS
        + _day("d1")
        + rf"(?:{_STRONG}|\s+and\s+)"
        + _mon("m2")
        + _WS
        + _day("d2")
        + _year("y2"),
    ),
    _c(
        "range_day",
        _PRE
        + _day("d1")
        + rf"(?:{_STRONG}|{_WEAK})"
        + _day("d2")
        + rf"(?:{_SEP}{_mon('m')}|\s+{_mref('ref')})"
        + _year("y")
        + _rel("r"),
    ),
    _c(
        "range_day",
        _day("d1")
        + _STRONG
        + _day("d2")
        + rf"(?:{_SEP}{_mon('m')}|\s+{_mref('ref')})"
        + _year("y")
        + _rel("r"),
    ),
    _c(
        "range_en_md",
        r"(?<!\w)(?:(?P<pre>between|from)\s+)?"
        + _mon("m")
        + _WS
        + _day("d1")
        + rf"(?:{_STRONG}|\s+and\s+)"
        + _day("d2")
        + _year("y"),
    ),
    _c(
        "day",
        _day("d") + rf"(?:{_SEP}{_mon('m')}|\s+{_mref('ref')})" + _year("y") + _rel("r"),
    ),
    _c("en_md", r"(?<!\w)" + _mon("m") + r"\s+(?:the\s+)?" + _day("d") + _year("y")),
    _c(
        "iso",
        r"(?<![\d/.])(?P<y>(?:19|20)\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)(?![\d/])",
    ),
    _c(
        "numeric",
        r"(?<![\d/.])(?P<a>[0-3]?\d)(?P<s>[/.\-])(?P<b>[01]?\d)(?P=s)(?P<y>(?:19|20)\d\d)(?![\d/])",
    ),
    _c(
        "month",
        rf"(?<!\w)(?:[وف]?{_AR_MONTH_CUES}|{_EN_MONTH_CUES})[\s-]+(?:(?:شهر|early|late|mid)[\s-]+)?"
        r"(?P<c>)" + _mon("m", full=True) + _year("y") + _rel("r"),
    ),
    _c("month", r"(?<!\w)(?P<c>)" + _mon("m", full=True) + _year("y") + _rel("r")),
    _c(
        "relative",
        r"(?<!\w)(?:(?P<ereyesterday>[وف]?اول\s+(?:من\s+)?امس|the\s+day\s+before\s+yesterday)"
        r"|(?P<yesterday>(?:[وف]?(?:يوم|صباح|مساء|ظهر|فجر|ليله)\s+)?[وف]?(?:امس|البارحه)"
        r"|yesterday)"
        r"|(?P<today>(?:[وف]?(?:صباح|مساء|ظهر|فجر|ليله)\s+)?[وف]?اليوم|today|tonight)"
        r"|(?P<lastweek>الاسبوع\s+(?:الماضي|المنصرم|الفايت|السابق)|last\s+week)"
        r"|(?P<thisweek>(?:هذا\s+الاسبوع|الاسبوع\s+(?:الجاري|الحالي))|(?:earlier\s+)?this\s+week)"
        r"|(?P<lastmonth>الشهر\s+(?:الماضي|المنصرم|الفايت|السابق)|last\s+month)"
        r"|(?P<thismonth>(?:هذا\s+الشهر|الشهر\s+(?:الجاري|الحالي))|(?:earlier\s+)?this\s+month)"
        r"|(?P<lastyear>(?:العام|السنه)\s+(?:الماضي|الماضيه|المنصرم|المنصرمه|الفايت|السابق)"
        r"|last\s+year)"
        r"|(?P<thisyear>(?:هذا\s+العام|هذه\s+السنه|العام\s+(?:الجاري|الحالي)"
        r"|السنه\s+(?:الجاريه|الحاليه))|(?:earlier\s+)?this\s+year)"
        r"|(?P<sincestart>[وف]?(?:منذ|since)\s+(?:the\s+)?(?:بدايه|مطلع|اول|start|beginning)"
        r"\s+(?:of\s+)?(?:this\s+|the\s+|هذا\s+)?(?P<unit>الشهر|العام|السنه|month|year)"
        r"(?:\s+(?:الجاري|الحالي|الجاريه|الحاليه))?(?!\s+(?:الماضي|المنصرم|الفايت|السابق)))"
        r"|(?P<twodays>[وف]?(?:قبل|منذ)\s+يومين)"
        r"|(?P<nago>(?:[وف]?(?:قبل|منذ)\s+(?P<n1>\d{1,2})\s+(?P<u1>ايام|يوما|يوم|اسابيع|اسبوع))"
        r"|(?P<n2>\d{1,2}|a|one|two|three|four|five|six|seven)\s+(?P<u2>days?|weeks?)\s+ago)"
        r"|(?P<weekago>[وف]?(?:قبل|منذ)\s+اسبوع|a\s+week\s+ago))(?!\w)",
    ),
    _c(
        "weekday",
        r"(?<!\w)(?:(?P<cue>[وف]?(?:يوم|في|مساء|صباح|فجر|ليله|ظهر|عصر|منذ|on|last|this|next"
        r"|since|by|until|early|late))\s+)?(?P<wd>"
        + _alt(list(_AR_WEEKDAYS) + list(_EN_WEEKDAYS))
        + r")(?!\w)"
        + _rel("r"),
    ),
)
_DIGITS_KINDS = frozenset(
    {"range_full", "range_en_full", "range_day", "range_en_md", "day", "en_md", "iso", "numeric"}
)
_NUMBER_WORDS_EN = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_NUMBER_WORDS_EN["seven"] = 7
_TODAY_NOT_BEFORE = re.compile(r"(?:ذلك|نفس|ذات)\s+$")
_TODAY_NOT_AFTER = re.compile(
    r"\s+(?:التالي|نفسه|ذاته|السابق|الاول|الثاني|الثالث|الاخير|الذي|الوطني|العالمي|عينه)(?!\w)"
)
_CUE_COMMA_BEFORE = re.compile(r"[،,]\s*$")
_CUE_COMMA_AFTER = re.compile(r"^\s*(?:[،,.!؟]|$)")  # "، الإثنين،" or "، الإثنين."


# --------------------------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------------------------


def _safe(year: int, month: int, day: int) -> date | None:
    if not 1 <= month <= 12 or not 1 <= day <= 31 or not 1 <= year <= 9999:
        return None
    if day > calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def _month_window(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _year_for_day(month: int, day: int, published: date, rel: str | None) -> int:
    """The year of a day-month written without one."""
    if rel == "lastyear":
        return published.year - 1
    if rel in ("thisyear", "current"):
        return published.year
    this_year = _safe(published.year, month, day) or date(published.year, month, 28)
    if rel == "next":
        return published.year if this_year >= published else published.year + 1
    return published.year if this_year <= published else published.year - 1


def _year_for_month(month: int, published: date, rel: str | None) -> int:
    if rel == "lastyear":
        return published.year - 1
    if rel in ("thisyear", "current"):
        return published.year
    if rel == "next":
        return published.year if month >= published.month else published.year + 1
    if rel == "past":
        return published.year if month < published.month else published.year - 1
    return published.year if month <= published.month else published.year - 1


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _month_of(match: re.Match[str], group: str, original: str, o_start: int) -> int | None:
    name = match.group(group)
    if name is None:
        return None
    key = re.sub(r"\s+", " ", name)
    month = MONTH_OF.get(key)
    # "may"/"march" are words too: only a capitalised one is a month.
    if month is not None and key in _CASE_SENSITIVE and not original[o_start].isupper():
        return None
    return month


def _rel_of(match: re.Match[str], group: str = "r") -> str | None:
    value = match.groupdict().get(group)
    if not value:
        return None
    return _REL_WORDS.get(re.sub(r"\s+", " ", value))


def _month_ref(ref: str, day_end: int, published: date) -> tuple[int, int] | None:
    """(year, month) for "الشهر" / "this month" / "last month" holding day `day_end`."""
    ref = re.sub(r"\s+", " ", ref)
    if any(w in ref for w in ("الماضي", "المنصرم", "الفايت", "السابق", "last")):
        return _shift_month(published.year, published.month, -1)
    if any(w in ref for w in ("الجاري", "الحالي", "هذا", "this")):
        return published.year, published.month
    # bare "the month": the most recent month in which that day is not after publication
    if day_end <= published.day:
        return published.year, published.month
    return _shift_month(published.year, published.month, -1)


# --------------------------------------------------------------------------------------------
# Resolving one match
# --------------------------------------------------------------------------------------------

_Resolved = tuple[date, date, str] | None


def _resolve(
    kind: str,
    m: re.Match[str],
    folded: str,
    original: str,
    f2o: list[int],
    published: date,
    language: str,
) -> _Resolved:
    def ostart(group: str) -> int:
        return f2o[m.start(group)]

    if kind == "range_full":
        d1, d2 = int(m.group("d1")), int(m.group("d2"))
        m1 = _month_of(m, "m1", original, ostart("m1"))
        m2 = _month_of(m, "m2", original, ostart("m2"))
        if m1 is None or m2 is None:
            return None
        return _range(d1, m1, _int(m.group("y1")), d2, m2, _int(m.group("y2")), published, m)
    if kind == "range_en_full":
        m1 = _month_of(m, "m1", original, ostart("m1"))
        m2 = _month_of(m, "m2", original, ostart("m2"))
        if m1 is None or m2 is None:
            return None
        d1, d2 = int(m.group("d1")), int(m.group("d2"))
        return _range(d1, m1, None, d2, m2, _int(m.group("y2")), published, m)
    if kind in ("range_day", "range_en_md"):
        d1, d2 = int(m.group("d1")), int(m.group("d2"))
        if d1 >= d2:
            return None
        ref = m.groupdict().get("ref")
        if ref:
            ym = _month_ref(ref, d2, published)
            if ym is None:
                return None
            year, month = ym
        else:
            month_or_none = _month_of(m, "m", original, ostart("m"))
            if month_or_none is None:
                return None
            month = month_or_none
            year = _int(m.group("y")) or _year_for_day(month, d2, published, _rel_of(m))
        start, end = _safe(year, month, d1), _safe(year, month, d2)
        if start is None or end is None:
            return None
        return start, end, "range"
    if kind in ("day", "en_md"):
        d = int(m.group("d"))
        ref = m.groupdict().get("ref")
        if ref:
            ym = _month_ref(ref, d, published)
            if ym is None:
                return None
            year, month = ym
        else:
            month_or_none = _month_of(m, "m", original, ostart("m"))
            if month_or_none is None:
                return None
            month = month_or_none
            year = _int(m.group("y")) or _year_for_day(month, d, published, _rel_of(m))
        day = _safe(year, month, d)
        return (day, day, "day") if day else None
    if kind == "iso":
        day = _safe(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        return (day, day, "day") if day else None
    if kind == "numeric":
        a, b, year = int(m.group("a")), int(m.group("b")), int(m.group("y"))
        if language.startswith("en") and a <= 12 and b <= 12 and a != b:
            return None  # 03/04/2025: day-first or month-first? Not guessed in English.
        day_first = _safe(year, b, a)
        result = day_first if day_first else _safe(year, a, b)
        return (result, result, "day") if result else None
    if kind == "month":
        month_or_none = _month_of(m, "m", original, ostart("m"))
        if month_or_none is None:
            return None
        rel = _rel_of(m)
        year_text = m.group("y")
        if m.start("c") == m.start() and not year_text and not rel:
            return None  # a bare month name is too ambiguous (آب, ماي, ...)
        cue_word = folded[m.start() : m.start("c")].strip()
        if cue_word.startswith("last"):
            rel = rel or "past"
        elif cue_word.startswith("next"):
            rel = rel or "next"
        elif cue_word.startswith("this"):
            rel = rel or "current"
        year = _int(year_text) or _year_for_month(month_or_none, published, rel)
        start, end = _month_window(year, month_or_none)
        return start, end, "month"
    if kind == "relative":
        return _relative(m, folded, published)
    if kind == "weekday":
        return _weekday(m, folded, original, f2o, published)
    return None


def _range(
    d1: int,
    m1: int,
    y1: int | None,
    d2: int,
    m2: int,
    y2: int | None,
    published: date,
    m: re.Match[str],
) -> _Resolved:
    end_year = y2 or y1 or _year_for_day(m2, d2, published, _rel_of(m))
    end = _safe(end_year, m2, d2)
    if end is None:
        return None
    start_year = y1 or end_year
    start = _safe(start_year, m1, d1)
    if start is not None and start > end and y1 is None:
        start = _safe(start_year - 1, m1, d1)
    if start is None or start > end:
        return None
    return start, end, "range"


def _relative(m: re.Match[str], folded: str, published: date) -> _Resolved:
    g = m.groupdict()
    if g["ereyesterday"]:
        day = published - timedelta(days=2)
        return day, day, "relative"
    if g["yesterday"]:
        day = published - timedelta(days=1)
        return day, day, "relative"
    if g["today"]:
        if _TODAY_NOT_BEFORE.search(folded[max(0, m.start() - 8) : m.start()]):
            return None  # "ذلك اليوم": that day, not today
        if _TODAY_NOT_AFTER.match(folded, m.end()):
            return None  # "اليوم التالي": the next day
        return published, published, "relative"
    monday = published - timedelta(days=published.weekday())
    if g["lastweek"]:
        return monday - timedelta(days=7), monday - timedelta(days=1), "relative"
    if g["thisweek"]:
        return monday, published, "relative"
    if g["lastmonth"]:
        year, month = _shift_month(published.year, published.month, -1)
        start, end = _month_window(year, month)
        return start, end, "relative"
    if g["thismonth"]:
        return published.replace(day=1), published, "relative"
    if g["lastyear"]:
        return date(published.year - 1, 1, 1), date(published.year - 1, 12, 31), "relative"
    if g["thisyear"]:
        return date(published.year, 1, 1), published, "relative"
    if g["sincestart"]:
        # "منذ بداية الشهر", "since the start of the year": from its first day to publication
        if g["unit"] in ("الشهر", "month"):
            return published.replace(day=1), published, "range"
        return date(published.year, 1, 1), published, "range"
    if g["twodays"]:
        day = published - timedelta(days=2)
        return day, day, "relative"
    if g["weekago"]:
        day = published - timedelta(days=7)
        return day, day, "relative"
    if g["nago"]:
        count_text = g["n1"] or g["n2"] or ""
        unit = g["u1"] or g["u2"] or ""
        count = int(count_text) if count_text.isdigit() else _NUMBER_WORDS_EN.get(count_text, 0)
        if count <= 0:
            return None
        days = count * (7 if unit.startswith(("week", "اسب", "اسابيع")) else 1)
        day = published - timedelta(days=days)
        return day, day, "relative"
    return None


def _weekday(
    m: re.Match[str], folded: str, original: str, f2o: list[int], published: date
) -> _Resolved:
    name = m.group("wd")
    cue = m.group("cue") or ""
    if name in _EN_WEEKDAYS:
        if not original[f2o[m.start("wd")] : f2o[m.start("wd")] + 1].isupper():
            return None
        target = _EN_WEEKDAYS[name]
    else:
        target = _AR_WEEKDAYS[name]
        if name in _AR_WEEKDAYS_NEED_CUE and not cue:
            before = _CUE_COMMA_BEFORE.search(folded[max(0, m.start() - 3) : m.start()])
            after = _CUE_COMMA_AFTER.match(folded[m.end() : m.end() + 3])
            if not (before and after):
                return None
    rel = _rel_of(m)
    if cue.endswith("next") or rel == "next":
        delta = (target - published.weekday()) % 7 or 7
        day = published + timedelta(days=delta)
        return day, day, "relative"
    delta = (published.weekday() - target) % 7
    if delta == 0 and (cue.endswith("last") or rel == "past"):
        delta = 7
    day = published - timedelta(days=delta)
    return day, day, "relative"


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _matches(folded: str, kinds: frozenset[str] | None = None) -> list[tuple[str, re.Match[str]]]:
    """Non-overlapping candidate matches, higher-priority patterns first, in text order."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[str, re.Match[str]]] = []
    for kind, pattern in _PATTERNS:
        if kinds is not None and kind not in kinds:
            continue
        for match in pattern.finditer(folded):
            s, e = match.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            found.append((kind, match))
            taken.append((s, e))
    found.sort(key=lambda item: item[1].start())
    return found


def _trim_start(kind: str, match: re.Match[str]) -> int:
    """Leave a leading cue (في، خلال، in …) of a month expression out of the span."""
    if kind == "month":
        return match.start("c")
    return match.start()


def find_dates(text: str, *, published: date, language: str) -> list[DateSpan]:
    """Every date expression in `text`, resolved against `published`, in text order."""
    folded, f2o = fold_with_offsets(text)
    spans: list[DateSpan] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(folded):
            s, e = _trim_start(kind, match), match.end()
            if any(s < te and ts < e for ts, te in taken):
                continue
            resolved = _resolve(kind, match, folded, text, f2o, published, language)
            if resolved is None:
                continue
            start, end, span_kind = resolved
            if start <= published and _since_before(folded, match.start(), s):
                # "منذ يوم الجمعة", "since January", "since fighting erupted on November 2":
                # from then until publication.
                end, span_kind = published, "range"
            o_start, o_end = original_span(text, f2o, s, e)
            taken.append((s, e))
            spans.append(DateSpan(start, end, text[o_start:o_end], o_start, o_end, span_kind))
    spans.sort(key=lambda span: span.start_offset)
    return _merge_appositions(spans, text)


# Between two expressions of the same day written side by side: "اليوم الخميس", "يوم السبت ١٤
# حزيران", "on Saturday, June 14".
_APPOSITION_GAP = re.compile(r"[\s,،]*")


def _merge_appositions(spans: list[DateSpan], text: str) -> list[DateSpan]:
    """One span for a weekday and a date (or "today") that name the same single day."""
    merged: list[DateSpan] = []
    for span in spans:
        if merged:
            prev = merged[-1]
            if (
                prev.start == prev.end == span.start == span.end
                and _APPOSITION_GAP.fullmatch(text, prev.end_offset, span.start_offset)
                and "range" not in (prev.kind, span.kind)
            ):
                kind = "day" if "day" in (prev.kind, span.kind) else prev.kind
                merged[-1] = DateSpan(
                    prev.start,
                    prev.end,
                    text[prev.start_offset : span.end_offset],
                    prev.start_offset,
                    span.end_offset,
                    kind,
                )
                continue
        merged.append(span)
    return merged


# "since" / "منذ" opening the date (its cue may be inside the match: "منذ مطلع كانون الأول"), or
# a few words before it in the same clause ("since fighting erupted on November 2").
_SINCE_IN = re.compile(r"\s*[وف]?(?:منذ|since)(?!\w)")
_SINCE_BEFORE = re.compile(r"(?<!\w)[وف]?(?:منذ|since)\s+(?:[^\W\d]+\s+){0,3}(?:on|in|في|يوم)?\s*$")


def _since_before(folded: str, match_start: int, span_start: int) -> bool:
    if _SINCE_IN.match(folded, match_start) and match_start < span_start:
        return True
    if _SINCE_IN.match(folded, match_start):
        return True
    return bool(_SINCE_BEFORE.search(folded[max(0, span_start - 50) : span_start]))


def date_mask(folded: str) -> list[tuple[int, int]]:
    """Folded spans of date expressions written with day numbers (for the quantity finder)."""
    return [match.span() for _, match in _matches(folded, _DIGITS_KINDS)]


# Reporting verbs (DESIGN §6), folded; only used when the caller gives no verb span.
_REPORTING_VERB = re.compile(
    r"(?<!\w)[وف]?(?:قال|قالت|اعلن|اعلنت|افاد|افادت|اكد|اكدت|اشار|اشارت|ذكر|ذكرت|كشف|كشفت"
    r"|نفي|نفت|تبني|تبنت|زعم|زعمت|ادعي|ادعت|اقر|اقرت|اوضح|اوضحت|صرح|صرحت|اضاف|اضافت)(?!\w)"
    r"|(?<!\w)(?:said|says|announced|claimed|denied|stated|reported|confirmed|told|added"
    r"|acknowledged|admitted)(?!\w)"
)
# What opens the reported content: أن / إن / بأن / عن / that / a colon.
_COMPLEMENTISER = re.compile(
    r"(?<!\w)(?:[بل]?ان(?:ه|ها|هم)?|(?<!الكشف )(?<!الافصاح )عن|that)(?!\w)|:",
)  # "فضّل عدم الكشف عن اسمه": that عن belongs to the masdar, not to the reporting verb
_WORD = re.compile(r"\w+")
_STATED_MAX_WORDS_AFTER = 8
_STATED_MAX_WORDS_BEFORE = 3
# A name, then a comma/colon or "for", right before the content ("بحسب النبأ، ", "claimed
# responsibility for "); not a comma straight after the verb (", the ministry announced, in ...").
_CONTENT_OPENED = re.compile(r"\w\W*(?:[,،:]|(?<!\w)for)\W*$")
_STATED_MAX_WORDS_AFTER_COMPLEMENTISER = 20
_PARENTHESIS_CLOSE = re.compile(r"\s*[،,]\s*")
# "last Tuesday's raid", "Sunday’s attack": a possessive date describes the event.
_POSSESSIVE = re.compile(r"['’]s(?!\w)")


# A comma, then the speaker: the attribution comes after the reported clause.
_TRAILING_ATTRIBUTION = re.compile(r"\W*[,،]")
_OPENING_WORDS = 2  # a date after at most this many words opens the sentence ("وفي 19 ...، ذكر")


def propose_dates(
    sentence: str,
    *,
    published: date,
    language: str,
    reporting_verb_span: tuple[int, int] | None = None,
    content_start: int | None = None,
    speaker_end: int | None = None,
) -> DateProposal:
    """Split a sentence's dates into the stated date and the reported event's window.

    A single-day date within a few words after the reporting verb and before the complementiser
    (أن / إن / عن / that / ':'), or just before the verb ("وفي 19 تشرين الأول، ذكر …"), is when the
    claim was stated; the other dates make the event window (earliest start, latest end). A
    stated date that is a window ("قال الأسبوع الماضي إن") is neither: `stated_at` stays None.
    With no verb span: one date is the event date; with several, the first reporting verb found
    in the sentence is used. `content_start` (where the reported content begins, e.g. after
    "بحسب النبأ،") also ends the stretch in which a stated date may be written.
    """
    spans = find_dates(sentence, published=published, language=language)
    folded, f2o = fold_with_offsets(sentence)
    verb: tuple[int, int] | None = None
    if reporting_verb_span is not None:
        verb = (
            _folded_index(f2o, reporting_verb_span[0]),
            _folded_index(f2o, reporting_verb_span[1]),
        )
    elif len(spans) > 1:
        found = _REPORTING_VERB.search(folded)
        if found:
            verb = found.span()

    content: int | None = None
    if content_start is not None and verb is not None:
        content = _folded_index(f2o, content_start)
        # Only an explicitly opened content counts: "بحسب النبأ، ...", "claimed responsibility
        # for ..." (a bare "said on Monday it had ..." leaves the date to the verb).
        if content <= verb[1] or not _CONTENT_OPENED.search(folded, verb[1], content):
            content = None
        else:
            # "أعلنت الوزارة، أمس، القبض على": a date set off by commas right where the content
            # would open is a parenthesis of the attribution; the content opens after it.
            for span in spans:
                s_start = _folded_index(f2o, span.start_offset)
                s_end = _folded_index(f2o, span.end_offset)
                if s_start == content and _PARENTHESIS_CLOSE.match(folded, s_end):
                    content = _PARENTHESIS_CLOSE.match(folded, s_end).end()  # type: ignore[union-attr]
                    break
    stated: DateSpan | None = None
    if verb is not None and speaker_end is not None:
        stated = _in_attribution_parenthesis(spans, folded, f2o, _folded_index(f2o, speaker_end))
    if verb is not None and stated is None:
        stated = _stated_span(spans, folded, f2o, verb, content, english=language == "en")
    events = [span for span in spans if span is not stated]
    stated_at = stated.start if stated is not None and stated.start == stated.end else None
    return DateProposal(
        stated_at=stated_at,
        event_start=min((s.start for s in events), default=None),
        event_end=max((s.end for s in events), default=None),
        spans=tuple(spans),
    )


# What may stand between an English reporting verb and the date of the statement when no
# "that" opens the content: "said late on Monday", "said in a statement on Monday", "told
# reporters in Damascus on Monday". Any other word ("said the clashes erupted on Wednesday")
# starts the reported clause, and its date is the event's.
_EN_ATTRIBUTION_WORDS = frozenset(
    (
        "on", "late", "early", "in", "a", "an", "the", "its", "his", "her", "their", "statement",
        "remarks", "interview", "comments", "briefing", "press", "conference", "speech", "news",
        "post", "posted", "published", "website", "channel", "account", "with", "to", "told",
        "reporters", "journalists", "by", "from", "at", "during", "via", "televised",
    )
)  # fmt: skip


def _attribution_only(folded: str, start: int, end: int) -> bool:
    # After a comma the verb's own clause has ended ("…, the ministry announced, in what it
    # called the largest seizure this year"): what follows is commentary, not new content.
    if "," in folded[start:end]:
        return True
    return all(word in _EN_ATTRIBUTION_WORDS for word in _WORD.findall(folded, start, end))


# ", في بيان نشرته على قناتها يوم السبت ١٤ حزيران،": a parenthesis right after the speaker.
_AFTER_SPEAKER_PARENTHESIS = re.compile(r"\s*[،,][^،,:]*")


def _in_attribution_parenthesis(
    spans: list[DateSpan], folded: str, f2o: list[int], speaker_end: int
) -> DateSpan | None:
    """A single day inside the comma parenthesis that follows a verb-subject attribution
    ("أعلنت الوزارة، في بيان نشرته يوم السبت، القبض على …") is when the statement was made."""
    opened = _AFTER_SPEAKER_PARENTHESIS.match(folded, speaker_end)
    if opened is None:
        return None
    for span in spans:
        start = _folded_index(f2o, span.start_offset)
        end = _folded_index(f2o, span.end_offset)
        if start < speaker_end or end > opened.end():
            continue
        if span.start == span.end and _PARENTHESIS_CLOSE.match(folded, end):
            return span
    return None


def _stated_span(
    spans: list[DateSpan],
    folded: str,
    f2o: list[int],
    verb: tuple[int, int],
    content: int | None = None,
    *,
    english: bool = False,
) -> DateSpan | None:
    verb_start, verb_end = verb
    complementiser = _COMPLEMENTISER.search(folded, verb_end)
    limit = complementiser.start() if complementiser else len(folded)
    # Before an explicit أن / that, the whole stretch after the verb is the attribution
    # ("أكد المندوب، ...، في مقابلة مع قناة الحدث في 11 تشرين الثاني، أن ...").
    max_words = (
        _STATED_MAX_WORDS_AFTER_COMPLEMENTISER if complementiser else _STATED_MAX_WORDS_AFTER
    )
    if content is not None:
        limit = min(limit, content)
    for span in spans:
        start = _folded_index(f2o, span.start_offset)
        end = _folded_index(f2o, span.end_offset)
        if _POSSESSIVE.match(folded, end):
            continue
        if (
            verb_end <= start
            and end <= limit
            and len(_WORD.findall(folded, verb_end, start)) <= max_words
            and (complementiser or not english or _attribution_only(folded, verb_end, start))
        ):
            return span
    for span in reversed(spans):
        start = _folded_index(f2o, span.start_offset)
        end = _folded_index(f2o, span.end_offset)
        if span.kind == "range" and span.start != span.end:
            continue  # "since Thursday, OCHA said": a window is the event's, not the statement's
        if end <= verb_start:
            if len(_WORD.findall(folded, end, verb_start)) > _STATED_MAX_WORDS_BEFORE:
                break
            opening = len(_WORD.findall(folded, 0, start)) <= _OPENING_WORDS
            if _TRAILING_ATTRIBUTION.match(folded, end, verb_start) and not opening:
                # "... killed five in Deir ez-Zor on Thursday, the Pentagon said": the date
                # closes the reported clause; it dates the event, not the statement.
                break
            return span
    return None
