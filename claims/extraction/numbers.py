"""Quantities in Arabic and English reports, as DESIGN §3 intervals.

Pure functions over the standard library. Text is matched after `arabic.normalise` (through
`dates.fold_with_offsets`, which keeps an offset map); every proposal carries the span as written.

A quantity is a number (digits in any script, thousands separators "," and "٬", "1.5 million",
spelled-out Arabic or English, an Arabic dual noun such as "عنصرين") or a vague word (عشرات، مئات،
آلاف، عدة، بضعة، dozens, hundreds, thousands, several, a dozen), with an optional qualifier before
it ("أكثر من", "ما لا يقل عن", "about", "between … and …") or after it ("على الأقل", "تقريباً",
"or more"), and the item it counts (the `ITEMS` table). Dates, years, times, durations, distances,
ordinals and designations ("F-16", "Resolution 2254") are not quantities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from claims.extraction.arabic import normalise
from claims.extraction.dates import date_mask, fold_with_offsets, original_span

__all__ = ["ITEMS", "QuantityProposal", "find_quantities", "parse_number"]


@dataclass(frozen=True)
class QuantityProposal:
    """One counted quantity: what is counted, its interval, and where it is written."""

    item: str  # English, lowercase, from ITEMS; '' if unknown
    low: int
    high: int | None  # None = open
    qualifier: str  # as written ("أكثر من", "more than", "نحو", "" …)
    approximate: bool
    text: str  # the span as written: qualifier, number, item noun, trailing qualifier
    start: int
    end: int


# --------------------------------------------------------------------------------------------
# The item vocabulary (the one place that maps nouns to items)
# --------------------------------------------------------------------------------------------
# item: (Arabic forms, English forms). Arabic forms are written normally and folded at import;
# the accusative "-ًا" form and the prefixes و/ف/ب/ل/ك/ال/وال/بال/لل are handled by the lookup.
ITEMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "killed": (
        ("قتيل", "قتلى", "مقتل", "ضحية", "وفاة", "وفيات", "شهيد", "شهداء"),
        ("killed", "dead", "deaths", "death", "fatalities", "bodies"),
    ),
    "wounded": (
        ("جريح", "جرحى", "إصابة", "إصابات", "مصاب", "مصابين", "مصابون"),
        ("wounded", "injured", "injuries", "injury"),
    ),
    "captured": (
        # Nouns for people already held (detainees, prisoners) are not captures: "dozens of
        # detainees were transferred" counts no arrest. Arrests are counted by their verb.
        ("أسير", "أسرى"),
        ("captured", "arrested", "detained", "captives", "arrests"),
    ),
    "members": (
        (
            "عنصر",
            "عناصر",
            "مقاتل",
            "مقاتلين",
            "مقاتلون",
            "جندي",
            "جنود",
            "عسكري",
            "عسكريين",
            "عسكريون",
            "مسلح",
            "مسلحين",
            "مسلحون",
            "مجند",
            "مجندين",
            "مرتزقة",
            "جهادي",
            "جهاديين",
        ),
        (
            "members",
            "member",
            "fighters",
            "fighter",
            "soldiers",
            "soldier",
            "militants",
            "militant",
            "troops",
            "gunmen",
            "operatives",
            "personnel",
            "servicemen",
            "jihadists",
            "insurgents",
            "militiamen",
        ),
    ),
    "people": (("شخص", "أشخاص", "مواطن", "مواطنين"), ("people", "persons", "person")),
    "civilians": (("مدني", "مدنيين", "مدنيون"), ("civilians", "civilian")),
    "children": (("طفل", "أطفال", "طفلة"), ("children", "child", "kids", "minors")),
    "displaced": (
        ("نازح", "نازحين", "نازحون", "مهجر", "مهجرين", "لاجئ", "لاجئين", "لاجئون"),
        ("displaced", "refugees", "evacuees", "idps"),
    ),
    "operations": (
        ("عملية", "عمليات", "مهمة", "مهمات", "مداهمة", "مداهمات"),
        ("operations", "operation", "missions", "raids", "raid"),
    ),
    "attacks": (
        ("هجوم", "هجمات", "هجمة", "اعتداء", "اعتداءات", "كمين", "كمائن"),
        ("attacks", "attack", "assaults", "ambushes", "bombings"),
    ),
    "airstrikes": (
        ("غارة", "غارات", "ضربة", "ضربات"),
        ("airstrikes", "airstrike", "strikes", "strike", "bombardments"),
    ),
    "sites": (
        ("موقع", "مواقع", "مقر", "مقرات", "نقطة", "نقاط", "مخزن", "مخازن", "مستودع", "مستودعات"),
        ("sites", "site", "positions", "locations", "depots", "caches", "facilities", "bases"),
    ),
    "mortars and rockets": (
        ("قذيفة", "قذائف", "صاروخ", "صواريخ", "هاون"),
        ("mortars", "mortar", "rockets", "rocket", "missiles", "missile", "shells", "rounds"),
    ),
    "weapons": (
        ("سلاح", "أسلحة", "قطعة", "قطع", "بندقية", "بنادق", "رشاش", "رشاشات"),
        ("weapons", "weapon", "firearms", "guns", "rifles", "arms", "pieces"),
    ),
    "explosive devices": (
        ("عبوة", "عبوات", "لغم", "ألغام"),
        ("ieds", "explosives", "mines", "devices", "landmines"),
    ),
    "vehicles": (
        (
            "آلية",
            "آليات",
            "سيارة",
            "سيارات",
            "مركبة",
            "مركبات",
            "عربة",
            "عربات",
            "دبابة",
            "شاحنة",
            "شاحنات",
            "صهريج",
            "صهاريج",
        ),
        ("vehicles", "vehicle", "cars", "trucks", "tanks", "pickups"),
    ),
    "drones": (("مسيرة", "مسيرات", "درون", "درونات"), ("drones", "drone", "uavs")),
    # "طائرة مسيرة" / "aircraft drones" become drones (see `_Finder.refine`)
    "aircraft": (
        ("طائرة", "طائرات", "مروحية", "مروحيات"),
        ("aircraft", "planes", "jets", "warplanes", "helicopters"),
    ),
    "tunnels": (("نفق", "أنفاق"), ("tunnels", "tunnel")),
}
# Singular nouns whose Arabic dual (-ين/-ان; feminine -تين/-تان/-تي/-تا) is unambiguous: the
# plural is broken or in -ات, so "عنصرين" can only mean two members ("مقاتلين" is not here).
_DUAL_NOUNS = (
    "عنصر",
    "جندي",
    "قتيل",
    "جريح",
    "أسير",
    "صاروخ",
    "هجوم",
    "نفق",
    "طفل",
    "شخص",
    "سلاح",
    "مقر",
    "مخزن",
    "عملية",
    "آلية",
    "سيارة",
    "غارة",
    "ضربة",
    "طائرة",
    "مسيرة",
    "قذيفة",
    "دبابة",
    "عربة",
    "مركبة",
    "عبوة",
    "إصابة",
    "قطعة",
    "هجمة",
    "مداهمة",
)
# Feminine nouns whose construct dual in -تي ("عمليتي اغتيال") is not usually "my …".
_CONSTRUCT_DUALS = frozenset({"عملية", "غارة", "ضربة", "هجمة", "مداهمة", "قذيفة"})
# "15 موقعاً لتخزين الأسلحة" / "15 weapons storage sites": sites + one of these → a narrower item.
_STORAGE_CUES = frozenset({"تخزين", "مخازن", "مستودعات", "storage", "depots", "caches", "storing"})

# Words before the number (or its qualifier) that say what happened to what is counted:
# "مقتل خمسة عناصر" counts the killed, "أسر 19 آخرين" the captured.
_EVENT_BEFORE: dict[str, tuple[str, ...]] = {
    "killed": (
        "مقتل",
        "قتل",
        "قتلت",
        "قتلوا",
        "استشهاد",
        "استشهد",
        "مصرع",
        "وفاة",
        "killed",
        "killing",
        "kills",
        "kill",
        "deaths of",
        "death of",
        "killing of",
        # the recovered dead: "انتشال جثث أربعة أشخاص", "the bodies of eleven people"
        "جثث",
        "جثامين",
        "bodies of",
    ),
    "wounded": (
        "إصابة",
        "أصيب",
        "أصابوا",
        "أصابت",
        "أصاب",
        "جرح",
        "جرحت",
        "wounded",
        "wounding",
        "injured",
        "injuring",
        "injuries to",
    ),
    "captured": (
        "أسر",
        "أسرت",
        "أسروا",
        "اعتقال",
        "اعتقل",
        "اعتقلت",
        "اعتقلوا",
        "احتجاز",
        "احتجز",
        "توقيف",
        "القبض على",
        "خطف",
        "اختطاف",
        "captured",
        "capturing",
        "recaptured",
        "recapturing",
        "rearrested",
        "arrested",
        "arresting",
        "detained",
        "detaining",
        "arrest of",
        "capture of",
        "detention of",
    ),
    "displaced": ("نزح", "نزوح", "تهجير", "هجر", "displaced", "displacing", "displacement of"),
}
# An updated toll: "the death toll … has risen to 19", "ارتفعت حصيلة قتلى … إلى ستة عناصر".
# The toll noun says what the number counts, whatever noun follows the number.
_TOLL_NOUNS = frozenset(normalise(w) for w in ("حصيلة", "عدد", "toll"))
_TOLL_KINDS: dict[str, str] = {
    normalise(w): item
    for item, forms in (
        ("killed", ("قتلى", "القتلى", "الضحايا", "ضحايا", "الوفيات", "الشهداء", "death")),
        ("wounded", ("جرحى", "الجرحى", "المصابين", "الإصابات", "injury", "casualty")),
    )
    for w in forms
}
_TOLL_TO = frozenset(normalise(w) for w in ("إلى", "الى", "to"))
_TOLL_SPAN = 14  # words between the toll noun and "to/إلى"
# Words after the counted noun: "300 civilians were killed", "إصابة 3 مدنيين بجروح".
_EVENT_AFTER: dict[str, str] = {
    "killed": "killed",
    "dead": "killed",
    "wounded": "wounded",
    "injured": "wounded",
    "captured": "captured",
    "arrested": "captured",
    "detained": "captured",
    "بجروح": "wounded",
    "بجراح": "wounded",
    "fled": "displaced",
    "displaced": "displaced",
    "evacuated": "displaced",
}
# Arabic verbs after the counted noun ("30 شخصاً قُتلوا", "مئات المدنيين نزحوا"), folded.
_EVENT_AFTER.update(
    {
        normalise(w): item
        for item, forms in (
            ("killed", ("قتلوا", "قتل", "قتلا", "قتلن", "لقوا", "استشهدوا", "قضوا")),
            ("wounded", ("أصيبوا", "أصيب", "جرحوا")),
            ("captured", ("اعتقلوا", "أسروا", "اختطفوا")),
            ("displaced", ("نزحوا", "نزح", "فروا", "هربوا", "هجروا", "تهجروا")),
        )
        for w in forms
    }
)
# "دفعت 15 ألف مدني إلى النزوح", "أجبرت العائلات على الفرار": a flight noun after إلى / على.
_TO_FLIGHT = frozenset(normalise(w) for w in ("إلى", "الى", "على"))
_FLIGHT_NOUNS = frozenset(
    normalise(w) for w in ("النزوح", "الفرار", "الهرب", "الهروب", "مغادرة", "ترك")
)
# Words that may come between a counted noun and its outcome: "من القوات الحكومية قتلوا",
# "members of a single family, among them six children, were killed".
_OF = frozenset({"من", "of"})
# What may open a short phrase between a counted noun and its outcome: "17 fighters from both
# sides were killed", "40 people suspected of smuggling weapons had been arrested".
_PHRASE_OPENERS = _OF | frozenset(
    {"from", "suspected", "accused", "believed", "linked", "affiliated", "loyal", "belonging"}
)
# Determiners between an outcome verb and its count: "arrested its five members".
_DETERMINERS = frozenset({"its", "their", "his", "her", "the", "all"})
_PREPOSITIONS = frozenset(
    normalise(w) for w in ("في", "على", "إلى", "الى", "عن", "مع", "قرب", "داخل", "بين", "خلال")
)
_PARENTHESIS_OPENERS = frozenset(
    normalise(w) for w in ("among", "including", "بينهم", "منهم", "بينها", "بمن")
)
# "خلية من سبعة عناصر" / "a cell of seven members": the group noun between outcome and count.
_CONTAINERS = frozenset(
    normalise(w)
    for w in ("خلية", "خلايا", "مجموعة", "مجموعات", "cell", "cells", "group", "groups", "team")
)
_AUXILIARIES = frozenset({"were", "was", "are", "is", "have", "has", "had", "been", "being"})
_ADVERB = re.compile(r"[a-z]{3,}ly")
_AUXILIARIES |= frozenset({"reportedly", "also", "later", "allegedly"})
_AUXILIARIES |= frozenset({"lightly", "slightly", "seriously", "critically", "badly", "fatally"})
_AUXILIARIES |= frozenset({"آخرون", "اخرون", "آخرين", "اخرين"})

# Qualifiers before the number: category → phrases.
_QUALIFIERS_BEFORE: dict[str, tuple[str, ...]] = {
    "more": (
        "أكثر من",
        "ما يزيد على",
        "ما يزيد عن",
        "يزيد على",
        "يزيد عن",
        "أزيد من",
        "تجاوز",
        "تجاوزت",
        "يتجاوز",
        "تتجاوز",
        "تجاوزوا",
        "ما يفوق",
        "يفوق",
        "فاق",
        "فاقت",
        "more than",
        "over",
        "in excess of",
        "upwards of",
        "exceeding",
        "exceeded",
    ),
    "atleast": (
        "ما لا يقل عن",
        "لا يقل عن",
        "لا تقل عن",
        "على الأقل",
        "at least",
        "no fewer than",
        "no less than",
        "a minimum of",
        "a total of at least",
    ),
    "less": ("أقل من", "ما يقل عن", "fewer than", "less than"),
    "approx": (
        "نحو",
        "قرابة",
        "حوالي",
        "حوالى",
        "زهاء",
        "ما يقارب",
        "يقارب",
        "ما يناهز",
        "يناهز",
        "تقريبا",
        "about",
        "nearly",
        "around",
        "approximately",
        "roughly",
        "almost",
        "some",
        "an estimated",
        "estimated",
        "close to",
        "circa",
    ),
    "upto": ("ما يصل إلى", "يصل إلى", "تصل إلى", "up to", "as many as"),
}
_QUALIFIERS_AFTER: dict[str, tuple[str, ...]] = {
    "atleast": ("على الأقل", "على أقل تقدير", "أو أكثر", "at least", "or more", "and more"),
    "approx": ("تقريبا", "or so", "approximately", "roughly"),
}
_RANGE_PRE = frozenset({"بين", "من", "between", "from"})
_RANGE_STRONG = frozenset({"-", "–", "—", "الي", "to", "حتي", "or", "او"})
_RANGE_WEAK = frozenset({"و", "and"})

# Vague quantity words: (low, high, needs a known item to count).
_VAGUE: dict[str, tuple[int, int, bool]] = {
    "عشرات": (24, 99, False),
    "مئات": (200, 999, False),
    "آلاف": (2000, 9999, False),
    "ملايين": (2_000_000, 9_999_999, False),
    "دزينة": (12, 12, False),
    "عدة": (3, 9, True),
    "بضعة": (3, 9, True),
    "بضع": (3, 9, True),
    "dozens": (24, 99, False),
    "hundreds": (200, 999, False),
    "thousands": (2000, 9999, False),
    "millions": (2_000_000, 9_999_999, False),
    "several": (3, 9, True),
}
# "عشرات الآلاف" / "tens of thousands", "مئات الآلاف" / "hundreds of thousands".
_VAGUE_OF_THOUSANDS: dict[str, tuple[int, int]] = {
    "عشرات": (20_000, 99_999),
    "مئات": (200_000, 999_999),
    "dozens": (20_000, 99_999),
    "tens": (20_000, 99_999),
    "hundreds": (200_000, 999_999),
}
_THOUSANDS_WORDS = frozenset({"الاف", "thousands"})

# What a number is *not* counting: durations, distances, times, repetitions, ages.
_NOT_COUNTED_AFTER = frozenset(
    normalise(w)
    for w in (
        "ساعة",
        "ساعات",
        "دقيقة",
        "دقائق",
        "ثانية",
        "ثوان",
        "يوم",
        "يوما",
        "أيام",
        "أسبوع",
        "أسابيع",
        "شهر",
        "شهرا",
        "أشهر",
        "شهور",
        "سنة",
        "سنوات",
        "سنين",
        "عام",
        "عاما",
        "أعوام",
        "عقد",
        "عقود",
        "مرة",
        "مرات",
        "كم",
        "كيلومتر",
        "كيلومترا",
        "كيلومترات",
        "كلم",
        "متر",
        "مترا",
        "أمتار",
        "ميل",
        "أميال",
        "صباحا",
        "مساء",
        "ظهرا",
        "ليلا",
        "hour",
        "hours",
        "minute",
        "minutes",
        "second",
        "seconds",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "decade",
        "decades",
        "times",
        "km",
        "kilometres",
        "kilometers",
        "miles",
        "metres",
        "meters",
        "am",
        "pm",
        "a.m",
        "p.m",
        "o'clock",
    )
)
# What a number after these words is (a label, an hour, a year), not a count.
_NOT_COUNTED_BEFORE = frozenset(
    normalise(w)
    for w in (
        "رقم",
        "الرقم",
        "قرار",
        "القرار",
        "المادة",
        "مادة",
        "الساعة",
        "صفحة",
        "الطريق",
        "عام",
        "العام",
        "سنة",
        "number",
        "no",
        "#",
        "resolution",
        "article",
        "page",
        "route",
        "highway",
        "year",
        "flight",
        "unit",
        "brigade",
        "division",
        "battalion",
    )
)
# A four-digit 1800–2100 number after these is a year even before a noun ("منذ 2011 مقاتل…" no).
_YEAR_CUES = frozenset(normalise(w) for w in ("منذ", "عام", "العام", "سنة", "مطلع", "أواخر"))
_YEAR_CUES |= frozenset({"since", "year", "until"})
_PERCENT_AFTER = frozenset({"%", "٪", normalise("بالمئة"), normalise("بالمائة"), "percent", "pct"})
_PERCENT_AFTER_2 = frozenset(
    {("في", normalise("المئة")), ("في", normalise("المائة")), ("per", "cent")}
)
_AR_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
# One-letter clitics that may be glued to a number ("و27", "بـ15"); anything else glued to it
# ("الـ24" = the 24th, "M16", "F-16") makes it a label or an ordinal.
_ATTACHED_OK = frozenset({"و", "ف", "ب", "ل", "ك", "وب", "ول"})


# --------------------------------------------------------------------------------------------
# Spelled-out numbers
# --------------------------------------------------------------------------------------------
# kinds: unit 1–9 · unit1t (أحد/اثنا: only before عشر) · ten10 (عشر/عشرة) · teen (English 10–19)
#        ten 20–90 · hund (a whole hundred, ثلاثمئة) · hword (hundred/مئة: multiplies a unit)
#        scale (ألف/آلاف/مليون/thousand…) · scale2 (ألفان، مليونين) · dozen · a · half
_NUMBER_WORDS: dict[str, tuple[str, int]] = {}


def _add_words(kind: str, words: dict[str, int]) -> None:
    for word, value in words.items():
        _NUMBER_WORDS[normalise(word)] = (kind, value)


_add_words(
    "unit",
    {
        "واحد": 1,
        "واحدة": 1,
        "اثنان": 2,
        "اثنين": 2,
        "اثنتان": 2,
        "اثنتين": 2,
        "ثلاث": 3,
        "ثلاثة": 3,
        "أربع": 4,
        "أربعة": 4,
        "خمس": 5,
        "خمسة": 5,
        "ست": 6,
        "ستة": 6,
        "سبع": 7,
        "سبعة": 7,
        "ثماني": 8,
        "ثمانية": 8,
        "ثمان": 8,
        "تسع": 9,
        "تسعة": 9,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
    },
)
_add_words("unit1t", {"أحد": 1, "إحدى": 1, "اثنا": 2, "اثنتا": 2, "اثني": 2, "اثنتي": 2})
_add_words("ten10", {"عشر": 10, "عشرة": 10})
_add_words(
    "teen",
    {
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
        "eighteen": 18,
        "nineteen": 19,
    },
)
_TENS_AR = ("عشر", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "تسع")
_add_words("ten", {stem + "ين": 10 * (i + 2) for i, stem in enumerate(_TENS_AR)})
_add_words("ten", {stem + "ون": 10 * (i + 2) for i, stem in enumerate(_TENS_AR)})
_add_words(
    "ten",
    {
        "twenty": 20,
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
    },
)
_HUNDREDS_AR = ("ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "ثماني", "تسع")
_HUNDRED_VALUES = (300, 400, 500, 600, 700, 800, 800, 900)
_add_words(
    "hund",
    {
        stem + h: value
        for stem, value in zip(_HUNDREDS_AR, _HUNDRED_VALUES, strict=True)
        for h in ("مئة", "مائة")
    },
)
_add_words("hund", {"مئتان": 200, "مئتين": 200, "مائتان": 200, "مائتين": 200, "مئتا": 200})
_add_words("hund", {"مئتي": 200, "مائتي": 200, "مائتا": 200})  # construct: "مئتي عنصر"
_add_words("hund", {"مائتا": 200})
_add_words("hword", {"مئة": 100, "مائة": 100, "hundred": 100})
_add_words(
    "scale",
    {
        "ألف": 1000,
        "ألفا": 1000,
        "آلاف": 1000,
        "مليون": 1_000_000,
        "مليونا": 1_000_000,
        "ملايين": 1_000_000,
        "مليار": 1_000_000_000,
        "مليارا": 1_000_000_000,
        "مليارات": 1_000_000_000,
        "thousand": 1000,
        "million": 1_000_000,
        "billion": 1_000_000_000,
    },
)
_add_words(
    "scale2",
    {
        "ألفان": 2000,
        "ألفين": 2000,
        "ألفي": 2000,
        "مليونان": 2_000_000,
        "مليونين": 2_000_000,
        "مليوني": 2_000_000,
    },
)
_add_words("dozen", {"dozen": 12, "دزينة": 12})
_add_words("a", {"a": 1, "an": 1})
_add_words("half", {"نصف": 0, "half": 0})
# Scale words that stand alone as a number ("ألف مقاتل" = 1000); plurals need a count before.
_SCALE_ALONE = frozenset(normalise(w) for w in ("ألف", "ألفا", "مليون", "مليونا", "مليار"))
_A_FOLLOWERS = frozenset({"hundred", "thousand", "million", "billion", "dozen"})
_ONE_WORDS = frozenset({"one", "واحد", "واحده"})
_TWO_WORDS = frozenset(normalise(w) for w in ("اثنين", "اثنان", "اثنتين", "اثنتان"))

_TOKEN = re.compile(r"\d+(?:[,٬]\d{3})*(?:[.٫]\d+)?|[^\W\d_]+(?:'[^\W\d_]+)?|\S")


# --------------------------------------------------------------------------------------------
# Lookup tables built once
# --------------------------------------------------------------------------------------------


def _fold(word: str) -> str:
    return normalise(word)


_ITEM_OF: dict[str, str] = {}
for _item, (_arabic, _english) in ITEMS.items():
    for _word in _arabic:
        _form = _fold(_word)
        _ITEM_OF.setdefault(_form, _item)
        if not _form.endswith(("ه", "ا", "ي", "ء", "ين", "ون", "ات")):
            _ITEM_OF.setdefault(_form + "ا", _item)  # accusative tanween: موقعاً
        elif _form.endswith("ي") and len(_form) >= 4:
            _ITEM_OF.setdefault(_form + "ا", _item)  # nisba nouns too: مدنياً، عسكرياً، جندياً
    for _word in _english:
        _ITEM_OF.setdefault(_word, _item)

_DUAL_OF: dict[str, str] = {}
for _noun in _DUAL_NOUNS:
    _form = _fold(_noun)
    _noun_item = _ITEM_OF[_form]
    if _form.endswith("ه"):
        _stem = _form[:-1] + "ت"
        for _ending in ("ين", "ان", "ا"):
            _DUAL_OF[_stem + _ending] = _noun_item
        if _noun in _CONSTRUCT_DUALS:  # "عمليتي اغتيال"; not "سيارتي" (my car)
            _DUAL_OF[_stem + "ي"] = _noun_item
    else:
        for _ending in ("ين", "ان"):
            _DUAL_OF[_form + _ending] = _noun_item

_VAGUE_F: dict[str, tuple[int, int, bool]] = {_fold(k): v for k, v in _VAGUE.items()}
_VAGUE_THOUSANDS_F: dict[str, tuple[int, int]] = {
    _fold(k): v for k, v in _VAGUE_OF_THOUSANDS.items()
}


def _phrases(table: dict[str, tuple[str, ...]]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """Index phrases by their last word; longest phrases first."""
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for category, phrases in table.items():
        for phrase in phrases:
            words = tuple(_fold(phrase).split())
            index.setdefault(words[-1], []).append((words, category))
    for entries in index.values():
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)
    return index


def _phrases_first(
    table: dict[str, tuple[str, ...]],
) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """Index phrases by their first word; longest phrases first."""
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for category, phrases in table.items():
        for phrase in phrases:
            words = tuple(_fold(phrase).split())
            index.setdefault(words[0], []).append((words, category))
    for entries in index.values():
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)
    return index


_QUAL_BEFORE = _phrases(_QUALIFIERS_BEFORE)
_QUAL_AFTER = _phrases_first(_QUALIFIERS_AFTER)
_EVENT_INDEX = _phrases(_EVENT_BEFORE)
_STORAGE_F = frozenset(_fold(w) for w in _STORAGE_CUES)
_EN_STOP = frozenset(
    {
        "in",
        "on",
        "at",
        "of",
        "were",
        "was",
        "are",
        "is",
        "had",
        "have",
        "has",
        "been",
        "by",
        "from",
        "to",
        "and",
        "or",
        "that",
        "who",
        "which",
        "with",
        "for",
        "during",
        "after",
        "before",
        "said",
        "as",
        "across",
        "near",
        "while",
        "when",
        "than",
    }
)


def _strip_prefix(word: str, table: dict[str, str] | frozenset[str]) -> tuple[str, int] | None:
    """The word or the word without an Arabic clitic prefix, if found in `table`."""
    if word in table:
        return word, 0
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            rest = word[len(prefix) :]
            if rest in table:
                return rest, len(prefix)
    return None


@lru_cache(maxsize=8192)
def _item_of(word: str) -> str | None:
    found = _strip_prefix(word, _ITEM_OF)
    return _ITEM_OF[found[0]] if found else None


@lru_cache(maxsize=8192)
def _dual_of(word: str) -> tuple[str, int] | None:
    found = _strip_prefix(word, _DUAL_OF)
    return (_DUAL_OF[found[0]], found[1]) if found else None


def _strip_one(word: str) -> str:
    """Drop a one-letter conjunction/preposition (و ف ب ل) for closed-class words."""
    if len(word) > 3 and word[0] in "وفبل":
        return word[1:]
    return word


def _is_arabic(word: str) -> bool:
    return bool(word) and "\u0600" <= word[0] <= "\u06ff"


# --------------------------------------------------------------------------------------------
# Number parsing
# --------------------------------------------------------------------------------------------


def _digits_value(token: str) -> float:
    cleaned = token.replace(",", "").replace("٬", "").replace("٫", ".")
    return float(cleaned) if "." in cleaned else int(cleaned)


def _parse_at(words: list[str], i: int) -> tuple[int, int, int] | None:
    """Parse a number starting at word `i`: (value, index after it, prefix length on word i)."""
    n = len(words)
    total = 0.0
    current: float = 0
    last: str | None = None
    last_scale = 0
    prefix = 0
    decimal = False
    conj = False
    after_scale = -1  # where "و + number" after a scale began ("ألف وخمسمئة")
    j = i
    while j < n:
        word = words[j]
        if word[0].isdigit():
            if last is not None:
                break
            current = _digits_value(word)
            decimal = isinstance(current, float)
            last = "digit"
            j += 1
            continue
        entry = _NUMBER_WORDS.get(word)
        this_conj = conj
        conj = False
        if entry is None and len(word) > 2 and word[0] == "و":
            entry = _NUMBER_WORDS.get(word[1:])
            if entry is not None:
                if last is None:
                    prefix = 1
                else:
                    this_conj = True
        if entry is None:
            if (
                word == "and"
                and last in ("hund", "hword", "scale", "scale2")
                and j + 1 < n
                and _NUMBER_WORDS.get(words[j + 1], ("", 0))[0] in ("unit", "teen", "ten")
            ):
                conj = True
                j += 1
                continue
            if (
                word == "-"
                and last == "ten"
                and j + 1 < n
                and _NUMBER_WORDS.get(words[j + 1], ("", 0))[0] == "unit"
            ):
                j += 1
                continue
            break
        kind, value = entry
        if last is None:
            if kind in ("unit", "ten10", "teen", "ten", "hund", "unit1t"):
                current = value
            elif kind == "hword" and _is_arabic(word):
                current = 100
            elif kind == "scale" and word.removeprefix("و") in _SCALE_ALONE:
                total, last_scale = float(value), value
            elif kind == "scale2":
                total, last_scale = float(value), value // 2
            elif kind == "a" and j + 1 < n and words[j + 1] in _A_FOLLOWERS:
                current = 1
            else:
                return None
        elif kind == "ten10" and last in ("unit", "unit1t") and not this_conj and current < 10:
            current += 10
            kind = "teen"
        elif last == "unit1t":
            return None
        elif kind in ("unit", "teen", "ten", "hund", "ten10"):
            if last == "ten" and kind == "unit" and not _is_arabic(word):
                current += value  # twenty five / twenty-five
            elif this_conj and last in ("unit", "ten10") and kind == "ten" and current < 10:
                current += value  # خمسة وعشرون
            elif (this_conj or not _is_arabic(word)) and last in ("hund", "hword") and value < 100:
                current += value  # مئة وخمسون / two hundred (and) fifty
            elif (
                (this_conj or not _is_arabic(word))
                and last in ("scale", "scale2")
                and current == 0
                and value < last_scale
            ):
                current = value  # ألف وخمسمئة / two thousand five hundred
                after_scale = j
            else:
                break
        elif kind == "hword":
            if last in ("unit", "a") and current < 10 and not this_conj:
                current *= 100
            else:
                break
        elif kind == "scale":
            if after_scale >= 0:
                # "ألفين وثلاثة آلاف": a second number (a range), not 2000 + 3000
                j, current = after_scale, 0
                break
            if this_conj or current <= 0 or last == "scale":
                break
            total += current * value
            current, last_scale = 0, value
        elif kind == "dozen":
            if last in ("a", "unit", "digit", "teen", "ten") and not this_conj:
                current *= 12
            else:
                break
        elif kind == "half":
            if last in ("scale", "scale2") and this_conj:
                total += last_scale / 2
            else:
                break
        else:
            break
        last = kind
        j += 1
    if last is None or last in ("a", "unit1t"):
        return None
    value_f = total + current
    if (decimal and last == "digit") or value_f != int(value_f) or value_f <= 0:
        return None
    return int(value_f), j, prefix


def parse_number(token: str) -> int | None:
    """The value of a written number: "15", "١٥", "4,000", "خمسة عشر", "two hundred", "ألفين".

    Vague words ("عشرات", "dozens") are not numbers here: `find_quantities` gives them intervals.
    """
    folded, _ = fold_with_offsets(token.strip())
    words = [m.group() for m in _TOKEN.finditer(folded)]
    if not words:
        return None
    parsed = _parse_at(words, 0)
    if parsed is None or parsed[1] != len(words):
        return None
    return parsed[0]


# --------------------------------------------------------------------------------------------
# Finding quantities
# --------------------------------------------------------------------------------------------


def _match_before(
    words: list[str], end: int, index: dict[str, list[tuple[tuple[str, ...], str]]]
) -> tuple[int, str] | None:
    """A phrase of `index` ending just before word `end`: (its first word index, category)."""
    if end <= 0:
        return None
    last = words[end - 1]
    candidates = index.get(last) or index.get(_strip_one(last))
    if not candidates:
        return None
    for phrase, category in candidates:
        start = end - len(phrase)
        if start < 0:
            continue
        if len(phrase) == 1:
            if last == phrase[0] or _strip_one(last) == phrase[0]:
                return start, category
            continue
        if tuple(words[start + 1 : end]) == phrase[1:] and (
            words[start] == phrase[0] or _strip_one(words[start]) == phrase[0]
        ):
            return start, category
    return None


def _match_after(
    words: list[str], begin: int, index: dict[str, list[tuple[tuple[str, ...], str]]]
) -> tuple[int, str] | None:
    """A phrase of `index` starting at word `begin`: (index after it, category)."""
    if begin >= len(words):
        return None
    for phrase, category in index.get(words[begin], ()):
        stop = begin + len(phrase)
        if tuple(words[begin:stop]) == phrase:
            return stop, category
    return None


def _interval(category: str | None, low: int, high: int) -> tuple[int, int | None]:
    if category == "more":
        return (low + 1 if low == high else low), None
    if category == "atleast":
        return low, None
    if category == "less":
        return 0, max(low - 1, 0)
    if category == "upto":
        return 0, high
    return low, high


class _Finder:
    """One pass over one text; kept as an object only to share the token arrays."""

    def __init__(self, text: str, language: str) -> None:
        self.text = text
        self.language = language
        self.folded, self.f2o = fold_with_offsets(text)
        tokens = list(_TOKEN.finditer(self.folded))
        self.words = [m.group() for m in tokens]
        self.starts = [m.start() for m in tokens]
        self.ends = [m.end() for m in tokens]
        self.mask = date_mask(self.folded)

    # -- helpers ---------------------------------------------------------------------------

    def masked(self, k: int) -> bool:
        s = self.starts[k]
        return any(ms <= s < me for ms, me in self.mask)

    def attached_before(self, k: int) -> bool:
        """A word glued to the number's left ("M16", "الـ24", "F-16"), other than و/ب/ل."""
        if k == 0:
            return False
        prev = self.words[k - 1]
        if self.ends[k - 1] != self.starts[k]:
            return False
        if prev in ("-", "/") and k >= 2 and self.ends[k - 2] == self.starts[k - 1]:
            return not self.words[k - 2][0].isdigit() or prev == "/"
        if prev in (":", "/", ".", "٫", "#"):
            return True
        return prev[0].isalpha() and prev not in _ATTACHED_OK

    def attached_after(self, k: int) -> bool:
        """Something glued to the number's right ("3rd", "5km", "10:30", "12/11")."""
        if k + 1 >= len(self.words) or self.ends[k] != self.starts[k + 1]:
            return False
        nxt = self.words[k + 1]
        if nxt in (":", "/"):
            return True
        return nxt[0].isalpha() and not _is_arabic(nxt)

    def number_at(self, k: int) -> tuple[int, int, int] | None:
        word = self.words[k]
        first = word[0]
        if not (first.isdigit() or first.isalpha()):
            return None
        parsed = _parse_at(self.words, k)
        if parsed is None:
            return None
        if first.isdigit() and (self.attached_before(k) or self.attached_after(k)):
            return None
        if len(word) > 12:
            return None  # phone numbers, IDs
        return parsed

    def item_after(self, j: int) -> tuple[str, int, int]:
        """(item, index after the item noun, index of the noun) for the words after `j`."""
        words = self.words
        n = len(words)
        k = j
        if k < n and words[k] in ("من", "of"):
            k += 1
        if k >= n:
            return "", j, -1
        if k + 1 < n and words[k - 1 : k + 1] == ["of", "them"]:
            k += 1  # "five of them were minors"
            while k < n and words[k] in _AUXILIARIES:
                k += 1
            if k >= n:
                return "", j, -1
        if _is_arabic(words[k]):
            for m in range(k, min(k + 2, n)):
                if not words[m][0].isalpha() or (m > k and words[m] in _PREPOSITIONS):
                    break
                item = _item_of(words[m])
                if item:
                    return self.refine(item, m), m + 1, m
            return "", j, -1
        best: tuple[str, int, int] = ("", j, -1)
        for m in range(k, min(k + 5, n)):
            word = words[m]
            if word == "-" and m + 1 < n and self.ends[m - 1] == self.starts[m]:
                continue  # "pro-government fighters": a hyphenated modifier
            if (
                word == "/"
                and m + 1 < n
                and self.ends[m - 1] == self.starts[m]
                and self.ends[m] == self.starts[m + 1]
                and words[m - 1][0].isalpha()
            ):
                continue  # "21 PKK/YPG sites": a slashed modifier
            if not word[0].isalpha() or word in _EN_STOP:
                break
            item = _ITEM_OF.get(word)
            if item:
                best = (self.refine(item, m), m + 1, m)
        return best

    def refine(self, item: str, at: int) -> str:
        if item == "aircraft":
            nxt = self.words[at + 1] if at + 1 < len(self.words) else ""
            dual = _dual_of(nxt)
            if _item_of(nxt) == "drones" or (dual is not None and dual[0] == "drones"):
                return "drones"
            return item
        if item != "sites":
            return item
        window = self.words[max(0, at - 2) : at + 3]
        if any(w in _STORAGE_F or _strip_one(w) in _STORAGE_F for w in window):
            return "weapons storage sites"
        return item

    def toll_before(self, start: int) -> str | None:
        """ "the death toll … has risen to N", "ارتفعت حصيلة قتلى … إلى N": killed/wounded."""
        words = self.words
        if start >= 2 and words[start - 1] in _TOLL_TO:
            first = start - 2
        elif start >= 1 and words[start] in ("بين", "between"):
            first = start - 1  # "قدّر عدد القتلى … بين 40 و50 شخصاً"
        else:
            return None
        for m in range(first, max(-1, first - _TOLL_SPAN), -1):
            word = words[m]
            if word in (".", "،", ",", ";", "؛") and m < first:
                return None
            if word in _TOLL_NOUNS or _strip_one(word) in _TOLL_NOUNS:
                kind = words[m + 1] if _is_arabic(word) else words[m - 1] if m > 0 else ""
                return _TOLL_KINDS.get(kind) or _TOLL_KINDS.get(_strip_one(kind))
        return None

    def event_before(self, start: int) -> str | None:
        toll = self.toll_before(start)
        if toll is not None:
            return toll
        found = _match_before(self.words, start, _EVENT_INDEX)
        if found is None and start >= 2 and self.words[start - 1] in _DETERMINERS:
            found = _match_before(self.words, start - 1, _EVENT_INDEX)  # "arrested its five"
        if found is None and start >= 2 and self.words[start - 1] in _OF:
            # "ألقت القبض على خلية من سبعة عناصر", "arrested a cell of seven members"
            at = start - 2
            container = self.words[at]
            if container not in _CONTAINERS and _strip_one(container) not in _CONTAINERS:
                return None
            if at >= 1 and self.words[at - 1] in ("a", "an"):
                at -= 1
            found = _match_before(self.words, at, _EVENT_INDEX)
        return found[1] if found else None

    def event_after(self, k: int) -> str | None:
        """The outcome written after the counted noun, across auxiliaries, a short "of/من"
        phrase and a parenthesis opened by among/including/بينهم."""
        words = self.words
        n = len(words)
        m = k
        phrase = 0  # words of an "of …" phrase still allowed
        while m < n and m < k + 16:
            word = words[m]
            bare = word[1:] if len(word) > 3 and word[0] in "وف" else word
            if word in _EVENT_AFTER or bare in _EVENT_AFTER:
                return _EVENT_AFTER.get(word) or _EVENT_AFTER[bare]
            if word in _TO_FLIGHT and m + 1 < n and words[m + 1] in _FLIGHT_NOUNS:
                return "displaced"  # "دفعت 15 ألف مدني إلى النزوح", "أجبرت ... على الفرار"
            if word in (",", "،") and m + 1 < n and words[m + 1] in _PARENTHESIS_OPENERS:
                close = next((c for c in range(m + 2, min(n, m + 8)) if words[c] in (",", "،")), -1)
                if close < 0:
                    return None
                m = close + 1
                phrase = 0
                continue
            if word in _PHRASE_OPENERS and m == k:
                phrase = 4
            elif word in _AUXILIARIES or _ADVERB.fullmatch(word):
                pass  # "were arbitrarily arrested"
            elif (
                phrase > 0
                and word[0].isalpha()
                and (parse_number(word) is None or word in _ONE_WORDS)
            ):
                phrase -= 1  # "members of one family were killed"
            else:
                return None
            m += 1
        return None

    def year_like(self, k: int, value: int) -> bool:
        word = self.words[k]
        return len(word) == 4 and word.isdigit() and 1800 <= value <= 2100

    def not_counted_after(self, j: int) -> bool:
        if j >= len(self.words):
            return False
        word = self.words[j]
        return word in _NOT_COUNTED_AFTER or _strip_one(word) in _NOT_COUNTED_AFTER

    def percent_after(self, j: int) -> int:
        words = self.words
        if j < len(words) and words[j] in _PERCENT_AFTER:
            return j + 1
        if j + 1 < len(words) and (words[j], words[j + 1]) in _PERCENT_AFTER_2:
            return j + 2
        return 0

    # -- the pass --------------------------------------------------------------------------

    def run(self) -> list[QuantityProposal]:
        words = self.words
        n = len(words)
        out: list[QuantityProposal] = []
        k = 0
        while k < n:
            consumed = self.quantity_at(k, out)
            k = max(consumed, k + 1)
        return out

    def quantity_at(self, k: int, out: list[QuantityProposal]) -> int:
        """Try a quantity starting at word k; append it and return the next index (or 0)."""
        words = self.words
        n = len(words)
        word = words[k]
        first = word[0]
        if not first.isalnum():
            return 0
        low: int
        high: int
        exact: int | None = None
        item = ""
        prefix = 0
        needs_item = False
        noun_end = -1  # index after a noun that is part of the number itself (duals)
        parsed = self.number_at(k)
        if parsed is not None:
            value, j, prefix = parsed
            low = high = exact = value
        else:
            vague = self.vague_at(k)
            if vague is not None:
                low, high, j, needs_item, prefix = vague
            else:
                dual = self.dual_at(k)
                if dual is None:
                    return 0
                item, prefix, j, low = dual
                high = low
                noun_end = j
        if self.masked(k):
            return j
        if (
            k > 0
            and exact is not None
            and first.isdigit()
            and (
                words[k - 1] in _NOT_COUNTED_BEFORE
                or _strip_one(words[k - 1]) in _NOT_COUNTED_BEFORE
            )
        ):
            return j

        # ranges: "بين 40 و50", "between 40 and 50", "40-50", "من 5 إلى 10", "three or four"
        range_start = k
        range_qualifier = ""
        if exact is not None and j < n:
            pre = _strip_one(words[k - 1]) if k > 0 else ""
            has_pre = pre in _RANGE_PRE or (k > 0 and words[k - 1] in _RANGE_PRE)
            connector = words[j]
            second: tuple[int, int, int] | None = None
            if connector in _RANGE_STRONG or (has_pre and connector in _RANGE_WEAK):
                if j + 1 < n:
                    second = self.number_at(j + 1)
            elif has_pre and connector[0] == "و" and len(connector) > 1:
                candidate = self.number_at(j)
                if candidate is not None and candidate[2] == 1:
                    second = candidate
            if second is not None and second[0] > exact:
                low, high, j = exact, second[0], second[1]
                exact = None
                if has_pre:
                    range_start = k - 1
                    range_qualifier = "range"
                    if range_start > 0 and words[range_start - 1] == "ما":
                        range_start -= 1  # "قُتل ما بين 10 و15 عنصراً"
            if self.masked(j - 1):
                return j

        # what follows the number
        percent_end = self.percent_after(j)
        if percent_end:
            item, item_end = "percent", percent_end
        elif noun_end >= 0:
            item_end = noun_end
            if item_end < n and (words[item_end] in _TWO_WORDS or _dual_of(words[item_end])):
                item_end += 1  # "عنصرين اثنين", "طائرتين مسيرتين"
        elif exact == 2 and words[k] in _TWO_WORDS and k > 0 and _item_of(words[k - 1]):
            # "بمقتل مدنيين اثنين": the number after its noun
            item, item_end = _item_of(words[k - 1]) or "", j
            range_start = k - 1
            prefix = 0
        else:
            if self.not_counted_after(j):
                return j
            item, item_end, _noun_at = self.item_after(j)
            if not item and j < n and words[j][0].isalpha() and not _is_arabic(words[j]):
                outcome = self.event_after(j + 1)  # "several attackers were killed"
                if outcome is not None:
                    item, item_end = outcome, j + 1
        if needs_item and not item:
            # "مواقع عدة": the vague word after its noun
            if k > 0 and _item_of(words[k - 1]):
                item = _item_of(words[k - 1]) or ""
                range_start = k - 1
                prefix = 0
            else:
                return j
        # "one of the soldiers" is not a count; "killed two and captured one" counts one;
        # "members of one family" describes the others, it counts nothing.
        if exact == 1 and words[k] in _ONE_WORDS and k > 0 and words[k - 1] in _OF:
            return j
        if (
            exact == 1
            and words[k] in _ONE_WORDS
            and (item or words[j : j + 1] == ["of"] or self.event_before(k) is None)
            and (not item or words[j : j + 1] == ["of"])
        ):
            return j
        if exact is not None and self.year_like(k, exact):
            # "عام 2014", "في 2019", "in 2019": a year unless it counts something or is qualified
            prev = words[k - 1] if k > 0 else ""
            if prev in _YEAR_CUES or _strip_one(prev) in _YEAR_CUES:
                return j
            if not item and _match_before(words, k, _QUAL_BEFORE) is None:
                return j

        # qualifiers
        category: str | None = None
        qual_span: tuple[int, int] | None = None
        span_first = range_start
        if range_qualifier:
            qual_span = (range_start, range_start + 1)
        else:
            before = _match_before(words, range_start, _QUAL_BEFORE)
            if before is not None:
                category = before[1]
                qual_span = (before[0], range_start)
                span_first = before[0]
        span_last = max(j, item_end)
        if category is None and not range_qualifier:
            for at in (item_end, j) if item_end > j else (j,):
                after = _match_after(words, at, _QUAL_AFTER)
                if after is not None:
                    category = after[1]
                    qual_span = (at, after[0])
                    span_last = max(span_last, after[0])
                    break

        # what happened to what is counted
        event = self.event_before(span_first)
        if event is None and item not in ("percent",):
            event = self.event_after(max(item_end, j))
            if event is not None and item_end > j:
                span_last = max(span_last, item_end)
        if event == "displaced" and item == "members":
            event = None  # "20 عنصراً فرّوا من السجن": fighters who flee are not displaced
        if event is not None and item != "percent":
            item = event

        lo, hi = _interval(category, low, high)
        if range_qualifier:
            lo, hi = low, high
        qualifier = ""
        if qual_span is not None:
            qs, qe = self.original(qual_span[0], qual_span[1] - 1)
            qualifier = self.text[qs:qe]
        start_char = self.starts[span_first] + (prefix if span_first == k else 0)
        o_start, o_end = original_span(self.text, self.f2o, start_char, self.ends[span_last - 1])
        out.append(
            QuantityProposal(
                item=item,
                low=lo,
                high=hi,
                qualifier=qualifier,
                approximate=category == "approx",
                text=self.text[o_start:o_end],
                start=o_start,
                end=o_end,
            )
        )
        return span_last

    def original(self, first: int, last: int) -> tuple[int, int]:
        return original_span(self.text, self.f2o, self.starts[first], self.ends[last])

    def vague_at(self, k: int) -> tuple[int, int, int, bool, int] | None:
        """(low, high, index after, needs item, prefix length) for a vague quantity word."""
        words = self.words
        word = words[k]
        key, prefix = word, 0
        if key not in _VAGUE_F and key not in _VAGUE_THOUSANDS_F:
            key = _strip_one(word)
            prefix = len(word) - len(key)
        j = k + 1
        # "عشرات الآلاف", "tens of thousands"
        if key in _VAGUE_THOUSANDS_F:
            m = j + 1 if j < len(words) and words[j] == "of" else j
            if m < len(words):
                nxt = words[m]
                if nxt in _THOUSANDS_WORDS or nxt.removeprefix("ال") in _THOUSANDS_WORDS:
                    low, high = _VAGUE_THOUSANDS_F[key]
                    return low, high, m + 1, False, prefix
        if key in _VAGUE_F:
            low, high, needs_item = _VAGUE_F[key]
            return low, high, j, needs_item, prefix
        return None

    def dual_at(self, k: int) -> tuple[str, int, int, int] | None:
        """(item, prefix length, index after, count) for a dual noun or "noun واحد"."""
        word = self.words[k]
        if not _is_arabic(word):
            return None
        dual = _dual_of(word)
        if dual is not None:
            return self.refine(dual[0], k), dual[1], k + 1, 2
        if k + 1 < len(self.words) and self.words[k + 1] in ("واحد", "واحده"):
            item = _item_of(word)
            if item:
                found = _strip_prefix(word, _ITEM_OF)
                return item, found[1] if found else 0, k + 2, 1
        return None


def find_quantities(text: str, *, language: str) -> list[QuantityProposal]:
    """Every counted quantity in `text`, in text order (DESIGN §3 intervals)."""
    if not text:
        return []
    return _Finder(text, language).run()
