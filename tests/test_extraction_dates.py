"""Date extraction: absolute, ranged, monthly and relative dates, resolved against publication."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from claims.extraction.dates import DateSpan, find_dates, propose_dates

PUBLISHED = date(2025, 12, 1)  # a Monday
SEED = Path(__file__).resolve().parent.parent / "seeds" / "article_ar.txt"


def only(text: str, language: str = "ar", published: date = PUBLISHED) -> DateSpan:
    spans = find_dates(text, published=published, language=language)
    assert len(spans) == 1, spans
    return spans[0]


def window(text: str, language: str = "ar", published: date = PUBLISHED) -> tuple[str, str, str]:
    span = only(text, language, published)
    return span.start.isoformat(), span.end.isoformat(), span.kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("وقع الهجوم في 24 تشرين الثاني", "2025-11-24"),
        ("أعلنت في 12 تشرين الثاني", "2025-11-12"),
        ("في ١٢ تشرين الثاني", "2025-11-12"),
        ("في 11 نوفمبر 2025", "2025-11-11"),
        ("في 3 آذار 2024", "2024-03-03"),
        ("في 5 أيار", "2025-05-05"),
        ("في 9 آب", "2025-08-09"),
        ("في 2 كانون الثاني", "2025-01-02"),
        ("في 14 شباط", "2025-02-14"),
        ("في 20 أكتوبر", "2025-10-20"),
        ("في 24 من الشهر الجاري", "2025-12-24"),
        ("on November 11", "2025-11-11"),
        ("on 11 Nov 2025", "2025-11-11"),
        ("on Nov. 11, 2025", "2025-11-11"),
        ("on 19 October", "2025-10-19"),
        ("on the 24th of November", "2025-11-24"),
        ("on 12/11/2025", "2025-11-12"),
        ("on 2025-11-12", "2025-11-12"),
    ],
)
def test_single_days_in_both_languages_and_both_arabic_month_series(text, expected):
    assert window(text) == (expected, expected, "day")


def test_a_day_month_after_publication_belongs_to_the_previous_year():
    assert window("في 28 كانون الأول") == ("2024-12-28", "2024-12-28", "day")
    assert window("في 28 ديسمبر") == ("2024-12-28", "2024-12-28", "day")


def test_last_november_published_in_december_is_this_years_november():
    assert window("في 24 تشرين الثاني الماضي") == ("2025-11-24", "2025-11-24", "day")
    assert window("خلال تشرين الثاني الماضي") == ("2025-11-01", "2025-11-30", "month")


def test_a_month_called_last_in_its_own_month_is_last_years():
    assert window("خلال كانون الأول الماضي") == ("2024-12-01", "2024-12-31", "month")


def test_next_month_names_look_forward():
    assert window("في 5 كانون الثاني المقبل") == ("2026-01-05", "2026-01-05", "day")


def test_a_written_year_wins_over_inference():
    assert window("في 24 تشرين الثاني 2014") == ("2014-11-24", "2014-11-24", "day")
    assert window("في 24 تشرين الثاني من العام الماضي") == ("2024-11-24", "2024-11-24", "day")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("خلال الفترة من 24 إلى 27 تشرين الثاني الماضي", "2025-11-24", "2025-11-27"),
        ("من 24 إلى 27 تشرين الثاني", "2025-11-24", "2025-11-27"),
        ("بين 24 و27 من الشهر", "2025-11-24", "2025-11-27"),
        ("بين 24 و27 من الشهر الماضي", "2025-11-24", "2025-11-27"),
        ("في الفترة بين 1 تشرين الأول و6 تشرين الثاني الماضيين", "2025-10-01", "2025-11-06"),
        ("بين 1 أكتوبر و6 نوفمبر", "2025-10-01", "2025-11-06"),
        ("between 24 and 27 November", "2025-11-24", "2025-11-27"),
        ("24–27 Nov", "2025-11-24", "2025-11-27"),
        ("November 24-27, 2025", "2025-11-24", "2025-11-27"),
        ("from 28 December to 3 January", "2024-12-28", "2025-01-03"),
    ],
)
def test_ranges_in_both_languages(text, start, end):
    assert window(text) == (start, end, "range")


def test_the_range_text_and_offsets_are_as_written():
    text = "أعلنت سنتكوم عن عملية خلال الفترة من 24 إلى 27 تشرين الثاني الماضي."
    span = only(text)
    assert text[span.start_offset : span.end_offset] == span.text
    assert span.text == "من 24 إلى 27 تشرين الثاني الماضي"


@pytest.mark.parametrize(
    ("text", "language", "start", "end"),
    [
        ("خلال تشرين الأول الماضي", "ar", "2025-10-01", "2025-10-31"),
        ("في شهر آب", "ar", "2025-08-01", "2025-08-31"),
        ("في أيار 2024", "ar", "2024-05-01", "2024-05-31"),
        ("خلال أكتوبر", "ar", "2025-10-01", "2025-10-31"),
        ("in October", "en", "2025-10-01", "2025-10-31"),
        ("during March 2024", "en", "2024-03-01", "2024-03-31"),
    ],
)
def test_months_alone_cover_the_whole_month(text, language, start, end):
    assert window(text, language) == (start, end, "month")


def test_a_month_span_leaves_out_its_preposition():
    assert only("خلال تشرين الأول الماضي").text == "تشرين الأول الماضي"


def test_may_and_march_as_ordinary_words_are_not_months():
    assert find_dates("troops may march in October", published=PUBLISHED, language="en") == [
        DateSpan(date(2025, 10, 1), date(2025, 10, 31), "October", 20, 27, "month")
    ]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("قال أمس", "2025-11-30", "2025-11-30"),
        ("قال يوم أمس", "2025-11-30", "2025-11-30"),
        ("قال أول أمس", "2025-11-29", "2025-11-29"),
        ("أعلن اليوم", "2025-12-01", "2025-12-01"),
        ("قبل يومين", "2025-11-29", "2025-11-29"),
        ("خلال الأسبوع الماضي", "2025-11-24", "2025-11-30"),
        ("خلال الشهر الماضي", "2025-11-01", "2025-11-30"),
        ("العام الماضي", "2024-01-01", "2024-12-31"),
        ("it said yesterday", "2025-11-30", "2025-11-30"),
        ("it said today", "2025-12-01", "2025-12-01"),
        ("the day before yesterday", "2025-11-29", "2025-11-29"),
        ("last week", "2025-11-24", "2025-11-30"),
        ("last month", "2025-11-01", "2025-11-30"),
        ("three days ago", "2025-11-28", "2025-11-28"),
    ],
)
def test_relative_dates_resolve_against_publication(text, start, end):
    assert window(text) == (start, end, "relative")


def test_weekdays_are_the_most_recent_such_day():
    published_thursday = date(2025, 11, 27)
    assert window("قال يوم الاثنين", published=published_thursday)[0] == "2025-11-24"
    assert window("said on Monday", "en", published_thursday)[0] == "2025-11-24"
    assert window("أعلن الجيش، الأحد، أن", published=published_thursday)[0] == "2025-11-23"
    assert window("last Thursday", "en", published_thursday)[0] == "2025-11-20"


def test_weekday_words_with_other_meanings_need_a_cue():
    assert find_dates("أحد الاثنين قال", published=PUBLISHED, language="ar") == []
    assert find_dates("صلاة الجمعة", published=PUBLISHED, language="ar") == []


def test_that_day_and_the_next_day_are_not_today():
    for text in ("في ذلك اليوم", "في اليوم التالي"):
        assert find_dates(text, published=PUBLISHED, language="ar") == [], text


def test_counts_and_years_alone_are_not_dates():
    for text in ("قتل 5 الشهر الماضي", "أكثر من 15 موقعًا", "عام 2014", "5 people"):
        spans = find_dates(text, published=PUBLISHED, language="ar")
        assert all(span.kind == "relative" for span in spans), text


def test_centcom_announcing_on_12_november_about_october_keeps_stated_and_event_apart():
    sentence = (
        "وفي سياق متصل، أعلنت “سنتكوم” في 12 تشرين الثاني عن تقديم المشورة والمساعدة في أكثر من"
        " 22 عملية ضد تنظيم “الدولة الإسلامية” مع شركاء في سوريا خلال تشرين الأول الماضي."
    )
    verb = sentence.index("أعلنت")
    proposal = propose_dates(
        sentence, published=PUBLISHED, language="ar", reporting_verb_span=(verb, verb + 5)
    )
    assert proposal.stated_at == date(2025, 11, 12)
    assert (proposal.event_start, proposal.event_end) == (date(2025, 10, 1), date(2025, 10, 31))
    assert len(proposal.spans) == 2


def test_without_a_verb_span_the_first_reporting_verb_is_used_for_several_dates():
    sentence = "أعلنت “سنتكوم” في 12 تشرين الثاني عن أكثر من 22 عملية خلال تشرين الأول الماضي."
    proposal = propose_dates(sentence, published=PUBLISHED, language="ar")
    assert proposal.stated_at == date(2025, 11, 12)
    assert proposal.event_start == date(2025, 10, 1)


def test_a_date_after_the_complementiser_is_the_event_window():
    sentence = (
        "أكدت “سنتكوم” أن القوة نفذت العمليات في الفترة بين 1 تشرين الأول و6 تشرين الثاني"
        " الماضيين، مما أسفر عن مقتل خمسة عناصر."
    )
    verb = sentence.index("أكدت")
    proposal = propose_dates(
        sentence, published=PUBLISHED, language="ar", reporting_verb_span=(verb, verb + 4)
    )
    assert proposal.stated_at is None
    assert (proposal.event_start, proposal.event_end) == (date(2025, 10, 1), date(2025, 11, 6))


def test_said_in_a_newspaper_on_27_november_that_is_the_stated_date():
    sentence = "وقال التنظيم في صحيفة “النبأ”، في 27 تشرين الثاني، إن “جنود الخلافة” قتلوا جاسوسًا."
    verb = sentence.index("قال")
    proposal = propose_dates(
        sentence, published=PUBLISHED, language="ar", reporting_verb_span=(verb, verb + 3)
    )
    assert proposal.stated_at == date(2025, 11, 27)
    assert proposal.event_start is None and proposal.event_end is None


def test_a_date_just_before_the_verb_is_the_stated_date():
    sentence = "وفي 19 تشرين الأول، ذكر ليستر أن “التحالف الدولي” قام بعملية إنزال."
    verb = sentence.index("ذكر")
    proposal = propose_dates(
        sentence, published=PUBLISHED, language="ar", reporting_verb_span=(verb, verb + 3)
    )
    assert proposal.stated_at == date(2025, 10, 19)


def test_english_said_on_a_date_that_something_happened_in_a_month():
    sentence = "CENTCOM said on November 12 that it advised on 22 operations in October."
    proposal = propose_dates(sentence, published=PUBLISHED, language="en")
    assert proposal.stated_at == date(2025, 11, 12)
    assert (proposal.event_start, proposal.event_end) == (date(2025, 10, 1), date(2025, 10, 31))


def test_one_date_and_no_verb_span_is_the_event_date():
    proposal = propose_dates(
        "أعلن الجيش في 12 تشرين الثاني عن مقتل 3 عناصر", published=PUBLISHED, language="ar"
    )
    assert proposal.stated_at is None
    assert proposal.event_start == proposal.event_end == date(2025, 11, 12)


def test_a_sentence_without_dates_proposes_nothing():
    proposal = propose_dates("قال الجيش إن الوضع هادئ", published=PUBLISHED, language="ar")
    assert proposal == type(proposal)(None, None, None, ())


def test_the_seed_article_dates_resolve_against_a_december_publication():
    spans = find_dates(SEED.read_text(encoding="utf-8"), published=PUBLISHED, language="ar")
    found = [(s.start.isoformat(), s.end.isoformat(), s.kind) for s in spans]
    assert found[:4] == [
        ("2025-11-24", "2025-11-27", "range"),
        ("2025-11-12", "2025-11-12", "day"),
        ("2025-10-01", "2025-10-31", "month"),
        ("2025-10-01", "2025-11-06", "range"),
    ]
    assert ("2025-11-28", "2025-11-28", "day") in found
    assert ("2025-11-10", "2025-11-10", "day") in found
    assert all(s.start.year == 2025 for s in spans)


# --- "since X" runs to publication; stated dates end where the content opens -------------------


@pytest.mark.parametrize(
    ("text", "language", "start"),
    [
        ("منذ أيار 2024", "ar", "2024-05-01"),
        ("نزح الآلاف منذ مطلع الشهر الماضي", "ar", "2025-11-01"),
        ("قتل العشرات منذ يوم السبت", "ar", "2025-11-29"),
        ("prices have tripled since March", "en", "2025-03-01"),
        ("clashes have continued since the ceasefire collapsed on October 3", "en", "2025-10-03"),
    ],
)
def test_since_a_date_runs_until_publication(text, language, start):
    spans = find_dates(text, published=PUBLISHED, language=language)
    assert [(s.start.isoformat(), s.end.isoformat()) for s in spans] == [
        (start, PUBLISHED.isoformat())
    ]


def test_a_since_window_before_the_verb_is_the_event_not_the_statement():
    sentence = "Fighting has displaced 500 families since Sunday, the council said."
    verb = sentence.index("said")
    proposal = propose_dates(
        sentence, published=PUBLISHED, language="en", reporting_verb_span=(verb, verb + 4)
    )
    assert proposal.stated_at is None
    assert (proposal.event_start, proposal.event_end) == (date(2025, 11, 30), PUBLISHED)


def test_a_date_after_an_opened_content_is_the_event():
    sentence = "وفقاً للمجلس المحلي، انقطعت المياه عن الأحياء الشرقية يوم الثلاثاء."
    cue_end = len("وفقاً")
    content = sentence.index("انقطعت")
    proposal = propose_dates(
        sentence,
        published=PUBLISHED,
        language="ar",
        reporting_verb_span=(0, cue_end),
        content_start=content,
    )
    assert proposal.stated_at is None
    assert proposal.event_start == proposal.event_end == date(2025, 11, 25)
    # a bare "said on Monday it had ..." keeps the date with the verb
    plain = "The council said on Monday it had restored water to the eastern districts."
    verb = plain.index("said")
    kept = propose_dates(
        plain,
        published=PUBLISHED,
        language="en",
        reporting_verb_span=(verb, verb + 4),
        content_start=verb + 5,
    )
    assert kept.stated_at == PUBLISHED and kept.event_start is None


def test_a_long_attribution_before_an_explicit_complementiser_holds_the_stated_date():
    sentence = (
        "وقال رئيس المجلس المحلي، في حديث مطوّل مع إذاعة محلية خاصة في 20 تشرين الثاني، "
        "إن المياه عادت إلى الأحياء."
    )
    proposal = propose_dates(sentence, published=PUBLISHED, language="ar",
                             reporting_verb_span=(0, 4))  # fmt: skip
    assert proposal.stated_at == date(2025, 11, 20) and proposal.event_start is None


# ------------------------------------------------- general rules found with the held-out set


def test_a_date_between_commas_after_the_claimant_is_when_it_was_stated() -> None:
    text = "أعلنت وزارة الداخلية السورية، أمس، القبض على ١٢ شخصاً في حمص."
    verb = (0, len("أعلنت"))
    content = text.index("أمس")
    got = propose_dates(
        text,
        published=date(2025, 11, 18),
        language="ar",
        reporting_verb_span=verb,
        content_start=content,
    )
    assert got.stated_at == date(2025, 11, 17)
    assert got.event_start is None


def test_the_an_of_a_verbal_noun_does_not_close_the_stated_date_stretch() -> None:
    text = (
        "كشف قائد، فضّل عدم الكشف عن اسمه، في حديث يوم ٢٥ تشرين الثاني، أن قواته عثرت على ٤ أنفاق."
    )
    got = propose_dates(
        text, published=date(2025, 11, 27), language="ar", reporting_verb_span=(0, 3)
    )
    assert got.stated_at == date(2025, 11, 25) and got.event_start is None


def test_a_possessive_weekday_after_the_verb_dates_the_event_not_the_statement() -> None:
    text = "CENTCOM said last Tuesday's raid in al-Bab killed two operatives."
    start = text.index("said")
    got = propose_dates(
        text, published=date(2025, 12, 11), language="en", reporting_verb_span=(start, start + 4)
    )
    assert got.stated_at is None
    assert got.event_start == got.event_end == date(2025, 12, 9)


def test_since_the_start_of_the_month_or_year_runs_to_publication() -> None:
    published = date(2026, 2, 18)
    assert window("هجمات منذ بداية الشهر", published=published) == (
        "2026-02-01", "2026-02-18", "range",
    )  # fmt: skip
    assert window("killed since the start of the month", "en", published) == (
        "2026-02-01", "2026-02-18", "range",
    )  # fmt: skip
    assert window("منذ مطلع العام الجاري", published=published)[:2] == ("2026-01-01", "2026-02-18")


def test_a_weekday_after_a_comma_at_the_end_of_the_sentence_is_a_date() -> None:
    text = "أصيب ٣ مدنيين في مدينة حلب، الإثنين."
    assert window(text, published=date(2025, 12, 17)) == ("2025-12-15", "2025-12-15", "relative")


# --- general rules found by the second blind set ------------------------------------------------


def test_a_month_glossed_in_the_other_series_keeps_its_day() -> None:
    span = only("في ١٢ كانون الأول/ديسمبر الجاري", published=date(2025, 12, 15))
    assert (span.start, span.end) == (date(2025, 12, 12), date(2025, 12, 12))


def test_since_the_start_of_a_named_month_runs_to_publication() -> None:
    span = only("40 attacks since the start of January", "en", published=date(2026, 2, 3))
    assert (span.start, span.end) == (date(2026, 1, 1), date(2026, 2, 3))


def test_a_date_closing_the_reported_clause_before_a_trailing_speaker_dates_the_event() -> None:
    sentence = "U.S. forces killed five militants in a raid on Thursday, the Pentagon said."
    verb = sentence.index("said")
    dates = propose_dates(
        sentence,
        published=date(2026, 1, 17),
        language="en",
        reporting_verb_span=(verb, verb + 4),
    )
    assert dates.stated_at is None
    assert (dates.event_start, dates.event_end) == (date(2026, 1, 15), date(2026, 1, 15))


def test_a_date_opening_the_sentence_before_the_verb_is_still_the_statement_date() -> None:
    sentence = "On Monday, the ministry said five were killed."
    verb = sentence.index("said")
    dates = propose_dates(
        sentence, published=date(2026, 1, 14), language="en", reporting_verb_span=(verb, verb + 4)
    )
    assert dates.stated_at == date(2026, 1, 12)


def test_a_date_inside_the_reported_clause_after_said_dates_the_event_not_the_statement():
    found = propose_dates(
        "SOHR said the clashes erupted on Wednesday.",
        published=date(2025, 12, 13),
        language="en",
        reporting_verb_span=(5, 9),
    )
    assert found.stated_at is None
    assert (found.event_start, found.event_end) == (date(2025, 12, 10), date(2025, 12, 10))


def test_said_in_a_statement_late_on_wednesday_dates_the_statement():
    found = propose_dates(
        "SOHR said in a statement late on Wednesday the clashes erupted.",
        published=date(2025, 12, 13),
        language="en",
        reporting_verb_span=(5, 9),
    )
    assert found.stated_at == date(2025, 12, 10)
    assert found.event_start is None


def test_today_and_a_weekday_naming_the_same_day_are_one_stated_date() -> None:
    text = "أعلنت الوزارة، اليوم الخميس، تحييد ١٧ عنصراً خلال الأسبوع الماضي."
    proposal = propose_dates(
        text, published=date(2025, 10, 23), language="ar", reporting_verb_span=(0, 5)
    )
    assert proposal.stated_at == date(2025, 10, 23)
    assert (proposal.event_start, proposal.event_end) == (date(2025, 10, 13), date(2025, 10, 19))


def test_a_date_in_the_statement_parenthesis_after_the_speaker_is_the_stated_date() -> None:
    text = (
        "أعلنت وزارة الداخلية السورية، في بيان نشرته على قناتها في تلغرام يوم السبت ١٤ حزيران، "
        "القبض على خلية في مدينة حمص."
    )
    speaker_end = text.index("،")
    proposal = propose_dates(
        text,
        published=date(2025, 6, 16),
        language="ar",
        reporting_verb_span=(0, 5),
        speaker_end=speaker_end,
    )
    assert proposal.stated_at == date(2025, 6, 14)
    assert proposal.event_start is None


def test_the_two_days_of_yumay_make_a_range() -> None:
    span = only("في المواجهات يومي ٢٠ و٢١ أيار", published=date(2025, 5, 25))
    assert (span.start, span.end) == (date(2025, 5, 20), date(2025, 5, 21))
