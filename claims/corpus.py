"""Synthetic but realistic corpus for benchmarks and recall tests (`manage.py generate_corpus`).

`build_corpus` is pure: from a claim count and a seed it builds plain rows (actors, sources,
events, claims, appearances, quantities, places) and a `CorpusTruth` naming every planted
conflict by claim slug. `write_corpus` then stores the rows with bulk_create in batches, so a
100k-claim corpus takes seconds, not the hour per-row saves would.

bulk_create skips `save()` and the post_save signals on purpose: no PendingCheck outbox rows,
no Celery checks and no simple-history rows are written for synthetic data (the benchmark runs
the scan itself). `search_text`, which `save()` would fill, is computed here instead.

Corpus shape (N claims): about N/5 events of 1-8 claims each, two years of them per 10k claims
(see CLAIMS_PER_SPAN), in towns of the loaded gazetteer. Each event has a primary claimant (a
ministry, a military command or an armed group) speaking in Arabic and, as a second claim, the
English version of the same report (same numbers, place and dates); other actors (monitors,
outlets) repeat the numbers. Most events are
left unconfirmed (event=None) so the scan's clustering must find them; some are confirmed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from claims.extraction.arabic import search_text
from claims.models import Actor, Appearance, Claim, Event, Place, Quantity, Source

__all__ = [
    "CONFLICT_KINDS",
    "CorpusPlan",
    "CorpusTruth",
    "PlantedCase",
    "build_corpus",
    "generate",
    "write_corpus",
]

BATCH = 2000
# Pairwise kinds: a planted case names two claims that must share one flag of the kind.
CONFLICT_KINDS = ("quantity_conflict", "date_conflict", "place_conflict", "denial")
# Dates over two years from a fixed day, so the corpus does not depend on when it is built.
FIRST_DAY = dt.date(2024, 1, 1)
DAYS = 730
LAST_DAY = FIRST_DAY + dt.timedelta(days=DAYS)
# A bigger corpus is a longer archive at the same rate of reporting (about 14 claims a day, one
# newsroom's pace), reaching further back from LAST_DAY: 100k claims cover twenty years. Packing
# ten times the events into the same two years would be a different corpus, not a bigger one:
# every town would have an event every eleven days, same-kind events would collide within the
# date tolerance ten times as often, and the scan's growth would measure that density, not its
# scaling. bench/RESULTS.md records the scan of the packed corpus too.
CLAIMS_PER_SPAN = 10_000
# A planted or clean event owns its town for this many days either side: no other event of the
# corpus is placed there then, so what the scan finds about it is what was planted.
RESERVED_DAYS = 5

_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTHS_AR = (
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
)
_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


# --- Rows -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActorRow:
    slug: str
    name: str
    name_ar: str
    kind: str
    parent: str | None = None
    party_to_conflict: bool = False
    side: str = ""
    reliability: str = "F"
    domains: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceRow:
    slug: str
    publisher: str  # actor slug
    kind: str
    language: str
    published_at: dt.date
    url: str = ""
    title: str = ""
    text: str = ""
    placeholder: bool = False


@dataclass(frozen=True)
class QuantityRow:
    item: str
    low: int
    high: int | None
    qualifier: str
    approximate: bool
    text: str


@dataclass(frozen=True)
class AppearanceRow:
    source: str  # source slug
    quote: str
    verb: str
    via: str | None = None


@dataclass(frozen=True)
class ClaimRow:
    slug: str
    claimant: str
    language: str
    text: str
    text_en: str
    text_ar: str
    stance: str
    stated_at: dt.date
    event_start: dt.date
    event_end: dt.date
    event: str | None  # slug of a confirmed event, else None
    places: tuple[str, ...]  # place refs
    quantities: tuple[QuantityRow, ...]
    appearances: tuple[AppearanceRow, ...]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventRow:
    slug: str
    title: str
    title_ar: str
    start: dt.date
    end: dt.date
    places: tuple[str, ...]


@dataclass
class PlantedCase:
    """One known answer: `kind` must be flagged on `claims` (both of them for pairwise kinds)."""

    kind: str
    claims: tuple[str, ...]  # claim slugs
    note: str
    claim_ids: tuple[int, ...] = ()  # filled in by write_corpus


@dataclass
class CorpusTruth:
    seed: int
    claims: int
    planted: list[PlantedCase] = field(default_factory=list)
    # Events with consistent numbers, dates and places: no conflict flag may touch their claims.
    clean_events: list[tuple[str, ...]] = field(default_factory=list)
    clean_event_ids: list[tuple[int, ...]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for case in self.planted:
            counts[case.kind] += 1
        return dict(sorted(counts.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "claims": self.claims,
            "planted_counts": self.counts(),
            "planted": [asdict(case) for case in self.planted],
            "clean_events": [list(e) for e in self.clean_events],
            "clean_event_ids": [list(e) for e in self.clean_event_ids],
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=1), "utf-8")


@dataclass
class CorpusPlan:
    actors: list[ActorRow]
    sources: list[SourceRow]
    events: list[EventRow]
    claims: list[ClaimRow]
    truth: CorpusTruth


# --- Vocabulary -------------------------------------------------------------------------------
_SEED_CASE = Path(__file__).resolve().parent.parent / "seeds" / "seed_case.json"

# Synthetic outlets: names are made up so no real outlet is quoted saying things it never said.
_OUTLET_EN = [
    "Levant",
    "Euphrates",
    "Orontes",
    "Qasioun",
    "Badia",
    "Jazira",
    "Horan",
    "Sham",
    "Tadmur",
    "Khabur",
]
_OUTLET_AR = [
    "المشرق",
    "الفرات",
    "العاصي",
    "قاسيون",
    "البادية",
    "الجزيرة",
    "حوران",
    "الشام",
    "تدمر",
    "الخابور",
]
_OUTLET_KIND_EN = ("Post", "Daily", "Monitor", "Voice", "Times", "Network")
_OUTLET_KIND_AR = ("بوست", "اليومية", "مونيتور", "صوت", "تايمز", "نتورك")
_WIRES = (
    ("levant-press-agency", "Levant Press Agency", "وكالة أنباء المشرق"),
    ("orient-wire", "Orient Wire", "وكالة الشرق للأنباء"),
    ("gulf-news-agency", "Gulf News Agency", "وكالة أنباء الخليج"),
    ("mediterranean-press", "Mediterranean Press", "المتوسط برس"),
)
_MONITORS = (
    ("syrian-casualty-monitor", "Syrian Casualty Monitor", "المرصد السوري لتوثيق الضحايا"),
    ("euphrates-rights-network", "Euphrates Rights Network", "شبكة الفرات لحقوق الإنسان"),
    ("badia-documentation-centre", "Badia Documentation Centre", "مركز البادية للتوثيق"),
)
# (slug, name, Arabic name, parent slug, side)
_AUTHORITIES = (
    ("syrian-ministry-of-defence", "Syrian Ministry of Defence", "وزارة الدفاع السورية",
     "syrian-government", "Syrian government"),
    ("syrian-ministry-of-health", "Syrian Ministry of Health", "وزارة الصحة السورية",
     "syrian-government", "Syrian government"),
    ("internal-security-command", "Internal Security Command", "قيادة الأمن الداخلي",
     "syrian-ministry-of-interior", "Syrian government"),
)  # fmt: skip
# Armed groups with their own media arms (the ISIS → al-Naba pattern).
_GROUPS = (
    ("jaish-al-badiya", "Jaish al-Badiya", "جيش البادية", "badiya-media", "Badiya Media",
     "إعلام البادية"),
    ("liwa-al-shamal", "Liwa al-Shamal", "لواء الشمال", "shamal-channel", "al-Shamal Channel",
     "قناة الشمال"),
    ("saraya-al-furat", "Saraya al-Furat", "سرايا الفرات", "furat-agency", "al-Furat Agency",
     "وكالة الفرات"),
)  # fmt: skip
_ANONYMOUS = ("unnamed-local-sources", "Unnamed local sources", "مصادر محلية")

# kind -> items: (item key, English noun, Arabic noun)
_ITEMS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "strike": (
        ("weapons storage sites", "weapons storage sites", "موقعاً لتخزين الأسلحة"),
        ("rocket launchers", "rocket launchers", "منصة صواريخ"),
        ("vehicles", "armed vehicles", "آلية مسلحة"),
    ),
    "casualties": (
        ("killed", "people", "شخصاً"),
        ("wounded", "wounded", "جريحاً"),
    ),
    "seizure": (
        ("weapons seized", "weapons", "قطعة سلاح"),
        ("mortars and rockets", "mortars and rockets", "قذيفة هاون وصاروخ"),
    ),
    "arrest": (("arrested", "suspects", "مشتبهاً به"),),
    "attack": (("soldiers killed", "soldiers", "عنصراً"),),
}
# kind -> (English template, Arabic template, English verb, Arabic verb, stance)
_TEMPLATES: dict[str, tuple[str, str, str, str, str]] = {
    "strike": (
        "{who} said its forces destroyed {qty} {noun} in strikes near {place} on {date}.",
        "أعلن {who} تدمير {qty} {noun} في ضربات قرب {place} يوم {date}.",
        "said",
        "أعلن",
        "asserts",
    ),
    "casualties": (
        "{who} said {qty} {noun} were killed in shelling on {place} on {date}.",
        "أفاد {who} بمقتل {qty} {noun} جراء قصف على {place} يوم {date}.",
        "said",
        "أفاد",
        "asserts",
    ),
    "seizure": (
        "{who} announced the seizure of {qty} {noun} in a raid in {place} on {date}.",
        "أعلن {who} ضبط {qty} {noun} خلال مداهمة في {place} يوم {date}.",
        "announced",
        "أعلن",
        "asserts",
    ),
    "arrest": (
        "{who} said it arrested {qty} {noun} linked to ISIS cells in {place} on {date}.",
        "أعلن {who} القبض على {qty} {noun} بالانتماء لخلايا تنظيم الدولة في {place} يوم {date}.",
        "said",
        "أعلن",
        "asserts",
    ),
    "attack": (
        "{who} claimed an attack near {place} on {date} that killed {qty} {noun}.",
        "تبنّى {who} هجوماً قرب {place} يوم {date} أسفر عن مقتل {qty} {noun}.",
        "claimed",
        "تبنّى",
        "claims_responsibility",
    ),
}
_DENIAL = (
    "{who} denied reports of {qty} {noun} in {place} on {date}, calling them fabricated.",
    "نفى {who} ما تردد عن {qty} {noun} في {place} يوم {date}، ووصفه بالمفبرك.",
    "denied",
    "نفى",
)

# (qualifier kind, English, Arabic) of DESIGN §3.
_QUALIFIERS = (
    ("exact", "", ""),
    ("more_than", "more than", "أكثر من"),
    ("at_least", "at least", "ما لا يقل عن"),
    ("about", "about", "نحو"),
    ("dozens", "dozens of", "عشرات"),
)
_ROLES = (
    "quantity_major",
    "quantity_minor",
    "date_conflict",
    "denial",
    "place_conflict",
    "single_root",
    "partisan_only",
    "unsourced",
)


def _quantity(item: str, kind: str, n: int) -> tuple[int, int | None, bool]:
    """The interval of DESIGN §3 for a qualifier kind and number."""
    if kind == "more_than":
        return n + 1, None, False
    if kind == "at_least":
        return n, None, False
    if kind == "about":
        return n, n, True
    if kind == "dozens":
        return 24, 99, False
    return n, n, False


def _interval(low: int, high: int | None, approximate: bool) -> tuple[int, float]:
    # The rules' widening (claims.rules.quantities.Interval), repeated so the generator can keep
    # clean events clean without importing the code under test.
    top: float = float("inf") if high is None else high
    if approximate:
        low = (low * 9) // 10
        if high is not None:
            top = -((-high * 11) // 10)
    return low, top


def _meets(a: QuantityRow, b: QuantityRow) -> bool:
    la, ha = _interval(a.low, a.high, a.approximate)
    lb, hb = _interval(b.low, b.high, b.approximate)
    return la <= hb and lb <= ha


@dataclass(frozen=True)
class _Count:
    kind: str  # qualifier kind
    n: int


@dataclass
class _Actors:
    rows: list[ActorRow]
    outlets_en: list[str]
    outlets_ar: list[str]
    wires: list[str]
    monitors: list[str]
    anonymous: str
    names: dict[str, tuple[str, str]]
    domain: dict[str, str]
    # kind -> claimants able to make the primary claim
    primary: dict[str, list[str]]
    media_arm: dict[str, str]  # armed group -> its media arm
    deniers: dict[str, list[str]]  # primary claimant -> who denies it


def _actors() -> _Actors:
    seed = json.loads(_SEED_CASE.read_text("utf-8"))
    rows = [
        ActorRow(
            slug=a["slug"],
            name=a["name"],
            name_ar=a.get("name_ar", ""),
            kind=a["kind"],
            parent=a.get("parent"),
            party_to_conflict=bool(a.get("party_to_conflict")),
            side=a.get("side", ""),
            reliability=a.get("reliability", "F"),
            domains=tuple(a.get("domains", ())),
            aliases=tuple(a.get("aliases", ())),
        )
        for a in seed["actors"]
    ]
    outlets_en: list[str] = []
    outlets_ar: list[str] = []
    for i, (en, ar) in enumerate(zip(_OUTLET_EN, _OUTLET_AR, strict=True)):
        for j, (k_en, k_ar) in enumerate(zip(_OUTLET_KIND_EN, _OUTLET_KIND_AR, strict=True)):
            slug = f"{en.lower()}-{k_en.lower()}"
            rows.append(
                ActorRow(
                    slug=slug,
                    name=f"{en} {k_en}",
                    name_ar=f"{k_ar} {ar}",
                    kind="media",
                    reliability="BC"[(i + j) % 2],
                    domains=(f"{slug}.example",),
                )
            )
            (outlets_en if (i + j) % 2 else outlets_ar).append(slug)
    for slug, name, name_ar in _WIRES:
        rows.append(
            ActorRow(slug, name, name_ar, "wire", reliability="B", domains=(f"{slug}.example",))
        )
    for slug, name, name_ar in _MONITORS:
        rows.append(
            ActorRow(slug, name, name_ar, "ngo", reliability="C", domains=(f"{slug}.example",))
        )
    for slug, name, name_ar, parent, side in _AUTHORITIES:
        rows.append(ActorRow(slug, name, name_ar, "government", parent, True, side, "C"))
    media_arm: dict[str, str] = {"isis": "amaq"}
    for slug, name, name_ar, arm, arm_name, arm_ar in _GROUPS:
        rows.append(ActorRow(slug, name, name_ar, "armed_group", None, True, name, "D"))
        rows.append(ActorRow(arm, arm_name, arm_ar, "media", slug, True, name, "D"))
        media_arm[slug] = arm
    rows.append(ActorRow(_ANONYMOUS[0], _ANONYMOUS[1], _ANONYMOUS[2], "anonymous"))
    names = {r.slug: (r.name, r.name_ar) for r in rows}
    domain = {r.slug: (r.domains[0] if r.domains else f"{r.slug}.example") for r in rows}
    groups = ["isis", *(g[0] for g in _GROUPS)]
    government = ["syrian-ministry-of-defence", "syrian-ministry-of-interior"]
    primary = {
        "strike": ["centcom", "cjtf-oir", "syrian-ministry-of-defence"],
        "casualties": ["syrian-ministry-of-health", *(m[0] for m in _MONITORS)],
        "seizure": ["syrian-ministry-of-interior", "internal-security-command"],
        "arrest": ["syrian-ministry-of-interior", "internal-security-command"],
        "attack": groups,
    }
    deniers: dict[str, list[str]] = {g: government for g in groups}
    for slug in ("centcom", "cjtf-oir"):
        deniers[slug] = ["syrian-ministry-of-defence"]
    for slug in (
        "syrian-ministry-of-defence",
        "syrian-ministry-of-interior",
        "internal-security-command",
    ):
        deniers[slug] = groups
    return _Actors(
        rows=rows,
        outlets_en=outlets_en,
        outlets_ar=outlets_ar,
        wires=[w[0] for w in _WIRES],
        monitors=[m[0] for m in _MONITORS],
        anonymous=_ANONYMOUS[0],
        names=names,
        domain=domain,
        primary=primary,
        media_arm=media_arm,
        deniers=deniers,
    )


@dataclass(frozen=True)
class Town:
    ref: str
    name: str
    name_ar: str
    governorate: str  # ref of its governorate


# --- Building ---------------------------------------------------------------------------------
def _date_en(day: dt.date) -> str:
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _date_ar(day: dt.date) -> str:
    return f"{day.day} {_MONTHS_AR[day.month - 1]} {day.year}"


class _Builder:
    def __init__(self, claims: int, seed: int, prefix: str, towns: Sequence[Town]) -> None:
        if len({t.governorate for t in towns}) < 2:
            raise ValueError("the gazetteer needs towns in two governorates at least")
        # Reproducible test data, not secrets: a seeded PRNG is the point.
        self.rng = random.Random(seed)  # noqa: S311
        self.target = claims
        self.prefix = prefix
        self.towns = list(towns)
        self.actors = _actors()
        self.parties = {a.slug: a.party_to_conflict for a in self.actors.rows}
        self.sources: dict[str, SourceRow] = {}
        self.events: list[EventRow] = []
        self.claims: list[ClaimRow] = []
        self.truth = CorpusTruth(seed=seed, claims=0)
        self.serial = 0
        # town ref -> days owned by a planted/clean event, and days used by any event
        self.reserved: dict[str, set[int]] = defaultdict(set)
        self.used: dict[str, set[int]] = defaultdict(set)
        self.days = DAYS * max(1, round(claims / CLAIMS_PER_SPAN))
        self.first_day = LAST_DAY - dt.timedelta(days=self.days)

    # -- names
    def _slug(self, stem: str) -> str:
        self.serial += 1
        return f"{self.prefix}-{stem}-{self.serial}"

    def _qty_text(self, count: _Count, arabic: bool) -> str:
        qualifier = next(q for q in _QUALIFIERS if q[0] == count.kind)
        if count.kind == "dozens":
            return qualifier[2 if arabic else 1]
        number = str(count.n)
        # A fifth of Arabic texts write Arabic-Indic digits, as many Syrian outlets do.
        if arabic and self.rng.random() < 0.2:
            number = number.translate(_INDIC)
        words = qualifier[2 if arabic else 1]
        return f"{words} {number}" if words else number

    def _quantity(self, item: str, count: _Count, arabic: bool) -> tuple[QuantityRow, str]:
        low, high, approximate = _quantity(item, count.kind, count.n)
        text = self._qty_text(count, arabic)
        qualifier = next(q for q in _QUALIFIERS if q[0] == count.kind)[2 if arabic else 1]
        return QuantityRow(item, low, high, qualifier, approximate, text), text

    # -- places and dates
    def _pick_slot(self, truth: bool, days: int) -> tuple[Town, dt.date]:
        """A town and first day; a truth event owns its town ±RESERVED_DAYS, other events keep
        out of those windows (but may collide with each other, as real reporting does)."""
        for _ in range(1000):
            town = self.rng.choice(self.towns)
            start = self.rng.randrange(self.days - days)
            span = range(start - RESERVED_DAYS, start + days + RESERVED_DAYS + 1)
            blocked = self.used[town.ref] if truth else self.reserved[town.ref]
            if any(d in blocked for d in span):
                continue
            self.used[town.ref].update(span)
            if truth:
                self.reserved[town.ref].update(span)
            return town, self.first_day + dt.timedelta(days=start)
        raise RuntimeError("no free town and date left for a planted event")

    def _other_town(self, town: Town) -> Town:
        for _ in range(1000):
            other = self.rng.choice(self.towns)
            if other.governorate != town.governorate:
                return other
        raise RuntimeError("no town in another governorate")

    # -- sources
    def _source(
        self,
        publisher: str,
        kind: str,
        language: str,
        day: dt.date,
        *,
        text: str = "",
        placeholder: bool = False,
        title: str = "",
    ) -> str:
        slug = self._slug("src")
        url = "" if placeholder else f"https://{self.actors.domain[publisher]}/{day:%Y/%m}/{slug}"
        self.sources[slug] = SourceRow(
            slug, publisher, kind, language, day, url, title, text, placeholder
        )
        return slug

    # -- one event
    def event(self, role: str | None) -> None:
        rng = self.rng
        truth = role is not None
        kind = rng.choice(sorted(_TEMPLATES))
        if role == "denial" and kind == "casualties":
            kind = "strike"  # a monitor's count is rarely "denied" by a named party
        if role == "partisan_only":
            kind = "attack"
        item, noun_en, noun_ar = rng.choice(_ITEMS[kind])
        claimant = rng.choice(self.actors.primary[kind])
        # Multi-day operations ("between 24 and 27 November") for a quarter of the events; a
        # date conflict is planted on a single-day event so a one-day shift leaves no overlap.
        days = 0 if role == "date_conflict" or rng.random() < 0.75 else rng.randint(1, 3)
        town, start = self._pick_slot(truth, days)
        end = start + dt.timedelta(days=days)
        stated = end + dt.timedelta(days=rng.randint(0, 2))
        count = _Count(rng.choice([q[0] for q in _QUALIFIERS]), rng.randint(2, 60))
        if role == "quantity_major":
            # Closed counts only: an open "more than N" meets every larger number.
            count = _Count(rng.choice(("exact", "about")), rng.randint(5, 60))
        elif role == "quantity_minor":
            count = _Count("more_than", rng.randint(10, 40))
        confirmed = role == "place_conflict" or rng.random() < 0.1
        event_slug = self._slug("event") if confirmed else None
        en_t, ar_t, verb_en, verb_ar, stance = _TEMPLATES[kind]
        members: list[ClaimRow] = []
        self.quantities: list[QuantityRow] = []

        def texts(
            who: str, c: _Count, day: dt.date, place: Town, template: tuple[str, str]
        ) -> tuple[str, str, QuantityRow, QuantityRow]:
            name_en, name_ar = self.actors.names[who]
            q_en, t_en = self._quantity(item, c, arabic=False)
            q_ar, t_ar = self._quantity(item, c, arabic=True)
            english = template[0].format(
                who=name_en, qty=t_en, noun=noun_en, place=place.name, date=_date_en(day)
            )
            arabic = template[1].format(
                who=name_ar, qty=t_ar, noun=noun_ar, place=place.name_ar, date=_date_ar(day)
            )
            return english, arabic, q_en, q_ar

        def add(
            who: str,
            language: str,
            c: _Count,
            appearances: tuple[AppearanceRow, ...] | None,
            *,
            day: dt.date = start,
            place: Town = town,
            stance_: str = stance,
            template: tuple[str, str] = (en_t, ar_t),
            verbs: tuple[str, str] = (verb_en, verb_ar),
        ) -> ClaimRow:
            english, arabic, q_en, q_ar = texts(who, c, day, place, template)
            text = arabic if language == "ar" else english
            window_end = end if day == start else day
            if appearances is None:
                appearances = self._appearances(who, language, text, stated, verbs)
            row = ClaimRow(
                slug=self._slug("claim"),
                claimant=who,
                language=language,
                text=text,
                text_en=english if language == "ar" else "",
                text_ar="",
                stance=stance_,
                stated_at=stated,
                event_start=day,
                event_end=max(day, window_end),
                event=event_slug,
                places=(place.ref,),
                quantities=(q_ar if language == "ar" else q_en,),
                appearances=appearances,
                tags=(kind, item),
            )
            members.append(row)
            return row

        # The primary claimant's report in Arabic, and its English version.
        primary_ar = add(claimant, "ar", count, None)
        add(claimant, "en", count, None)
        others = [*self.actors.monitors, *self.actors.outlets_en, *self.actors.outlets_ar]
        # A casualty report from a monitor is repeated by outlets; others are repeated by
        # monitors and outlets in their own words, with numbers that agree.
        for _ in range(rng.choice((0, 1, 2, 2, 3, 3, 4, 5, 6))):
            who = rng.choice(others)
            language = "en" if who in self.actors.outlets_en else rng.choice(("ar", "en"))
            add(who, language, self._compatible(count, members), None)

        if role in ("quantity_major", "quantity_minor"):
            if role == "quantity_major":
                odd = _Count("exact", count.n * 3 + 5)  # far outside every reading of the count
            else:
                # "15" against "more than 15": minor, differs only by the qualifier.
                odd = _Count("exact", count.n)
            who = rng.choice(self.actors.monitors)
            row = add(who, rng.choice(("ar", "en")), odd, None)
            self._plant(role.split("_")[0] + "_conflict", (row, primary_ar), role)
        elif role == "date_conflict":
            who = rng.choice(self.actors.outlets_en)
            row = add(who, "en", count, None, day=start + dt.timedelta(days=1))
            self._plant("date_conflict", (row, primary_ar), "event dated one day later")
        elif role == "denial":
            denier = rng.choice(self.actors.deniers.get(claimant, self.actors.monitors))
            row = add(
                denier,
                rng.choice(("ar", "en")),
                count,
                None,
                stance_="denies",
                template=(_DENIAL[0], _DENIAL[1]),
                verbs=(_DENIAL[2], _DENIAL[3]),
            )
            self._plant("denial", (row, primary_ar), f"{denier} denies {claimant}")
        elif role == "place_conflict":
            other = self._other_town(town)
            self._reserve(other, start, end)
            who = rng.choice(self.actors.outlets_ar)
            row = add(who, "ar", count, None, place=other)
            self._plant("place_conflict", (row, primary_ar), f"{town.name} vs {other.name}")
        elif role == "single_root":
            # One wire story copied by several outlets: one independent root.
            who = rng.choice(self.actors.monitors)
            english, *_ = texts(who, count, start, town, (en_t, ar_t))
            wire = self._source(
                rng.choice(self.actors.wires), "article", "en", stated, text=english
            )
            relays = [
                AppearanceRow(
                    self._source(outlet, "article", "en", stated), english, "reported", wire
                )
                for outlet in rng.sample(self.actors.outlets_en, rng.randint(2, 4))
            ]
            row = add(who, "en", count, (AppearanceRow(wire, english, "said"), *relays))
            self._plant("single_root", (row,), f"{len(relays)} outlets via one wire")
        elif role == "partisan_only":
            self._plant("partisan_only", (primary_ar,), "armed group via its own media arm")
        elif role == "unsourced":
            who = rng.choice(self.actors.outlets_ar)
            if rng.random() < 0.5:
                row = add(who, "ar", count, ())
                self._plant("unsourced", (row,), "no source")
            else:
                anonymous = self._source(
                    self.actors.anonymous, "social_post", "ar", stated, placeholder=True
                )
                row = add(who, "ar", count, (AppearanceRow(anonymous, "", "قالت مصادر"),))
                self._plant("unsourced", (row,), "anonymous sources only")
        if role == "clean":
            self.truth.clean_events.append(tuple(m.slug for m in members))
        if event_slug is not None:
            name_en, name_ar = self.actors.names[claimant]
            self.events.append(
                EventRow(
                    event_slug,
                    f"{name_en}: {kind} in {town.name}, {_date_en(start)}",
                    f"{name_ar}: {town.name_ar}، {_date_ar(start)}",
                    start,
                    end + dt.timedelta(days=1 if role == "date_conflict" else 0),
                    (town.ref,),
                )
            )
        self.claims.extend(members)

    def _reserve(self, town: Town, start: dt.date, end: dt.date) -> None:
        first = (start - self.first_day).days - RESERVED_DAYS
        last = (end - self.first_day).days + RESERVED_DAYS
        self.reserved[town.ref].update(range(first, last + 1))
        self.used[town.ref].update(range(first, last + 1))

    def _plant(self, kind: str, rows: tuple[ClaimRow, ...], note: str) -> None:
        self.truth.planted.append(PlantedCase(kind, tuple(r.slug for r in rows), note))

    def _compatible(self, count: _Count, members: Sequence[ClaimRow]) -> _Count:
        """The same count, sometimes with another qualifier that still meets every quantity
        already in the event (a clean event stays clean)."""
        if self.rng.random() < 0.6:
            return count
        candidate = _Count(self.rng.choice(("exact", "at_least", "about")), count.n)
        low, high, approximate = _quantity("", candidate.kind, candidate.n)
        row = QuantityRow("", low, high, "", approximate, "")
        if all(_meets(row, q) for m in members for q in m.quantities):
            return candidate
        return count

    def _appearances(
        self, who: str, language: str, text: str, stated: dt.date, verbs: tuple[str, str]
    ) -> tuple[AppearanceRow, ...]:
        """Where the claim is seen: a party's statement relayed by an outlet (its root is the
        party's own statement, or its media arm's post), or an outlet's or monitor's own
        report, sometimes also carried independently by a second outlet."""
        rng = self.rng
        verb = verbs[1] if language == "ar" else verbs[0]
        outlets = self.actors.outlets_ar if language == "ar" else self.actors.outlets_en
        if self.parties.get(who, False):
            publisher = self.actors.media_arm.get(who, who)
            statement = self._source(publisher, "statement", language, stated, placeholder=True)
            relay = self._source(rng.choice(outlets), "article", language, stated)
            return (AppearanceRow(relay, text, verb, statement),)
        own = self._source(who, "report" if who in self.actors.monitors else "article",
                           language, stated, text=text)  # fmt: skip
        appearances = [AppearanceRow(own, text, verb)]
        if rng.random() < 0.3:
            second = self._source(rng.choice(outlets), "article", language, stated)
            appearances.append(AppearanceRow(second, text, verb))
        return tuple(appearances)

    def build(self) -> CorpusPlan:
        events = max(1, self.target // 5)
        # Fewer planted cases in tiny corpora, none below 100 claims (there is no room).
        if self.target >= 300:
            per_kind, clean = max(2, self.target // 2000), max(6, self.target // 500)
        elif self.target >= 100:
            per_kind, clean = 1, 2
        else:
            per_kind, clean = 0, 0
        roles: list[str | None] = [r for r in _ROLES for _ in range(per_kind)]
        roles += ["clean"] * clean
        roles += [None] * max(0, events - len(roles))
        # Planted and clean events first, so they get their reserved towns and dates; order of
        # ids is then shuffled so they do not sit together at the start of the table.
        for role in roles:
            self.event(role)
            if len(self.claims) >= self.target and role is None:
                break
        while len(self.claims) < self.target:
            self.event(None)
        truth_slugs = {s for c in self.truth.planted for s in c.claims}
        truth_slugs |= {s for e in self.truth.clean_events for s in e}
        keep = [c for c in self.claims if c.slug in truth_slugs]
        rest = [c for c in self.claims if c.slug not in truth_slugs]
        # Trim background claims to exactly the requested count (truth claims always stay).
        claims = keep + rest[: max(0, self.target - len(keep))]
        if len(claims) > self.target:
            raise ValueError(f"{self.target} claims are too few for the planted cases")
        # Truth events come first in generation; shuffle so their ids spread over the table.
        self.rng.shuffle(claims)
        used_sources = {a.source for c in claims for a in c.appearances}
        used_sources |= {a.via for c in claims for a in c.appearances if a.via}
        used_events = {c.event for c in claims if c.event}
        self.truth.claims = len(claims)
        return CorpusPlan(
            actors=self.actors.rows,
            sources=[s for slug, s in self.sources.items() if slug in used_sources],
            events=[e for e in self.events if e.slug in used_events],
            claims=claims,
            truth=self.truth,
        )


def build_corpus(
    claims: int, *, seed: int = 0, towns: Sequence[Town], prefix: str | None = None
) -> CorpusPlan:
    """Plain rows for a corpus of exactly `claims` claims; the same for the same arguments."""
    if claims < 1:
        raise ValueError("--claims must be at least 1")
    return _Builder(claims, seed, prefix or f"s{seed}", towns).build()


def gazetteer_towns() -> list[Town]:
    """Towns of the loaded gazetteer with their governorate, in a fixed order."""
    governorates = dict(Place.objects.filter(kind=Place.Kind.GOVERNORATE).values_list("id", "ref"))
    towns: list[Town] = []
    for ref, name, name_ar, path in (
        Place.objects.filter(kind=Place.Kind.TOWN)
        .order_by("ref")
        .values_list("ref", "name", "name_ar", "path")
    ):
        ids = [int(p) for p in path.strip("/").split("/") if p]
        governorate = next((governorates[i] for i in ids if i in governorates), None)
        if governorate is not None:
            towns.append(Town(ref, name, name_ar or name, governorate))
    return towns


# --- Writing ----------------------------------------------------------------------------------
def _bulk(model: Any, objs: Iterable[Any]) -> list[Any]:
    return list(model.objects.bulk_create(list(objs), batch_size=BATCH))


@transaction.atomic
def write_corpus(plan: CorpusPlan) -> CorpusTruth:
    """Store the plan with bulk_create (no save(), no signals, no history, no outbox rows) and
    fill in the truth's claim ids."""
    now = dt.datetime.now(dt.UTC)
    existing = dict(Actor.objects.values_list("slug", "id"))
    new_actors = [a for a in plan.actors if a.slug not in existing]
    # Parents before children: the actor table is small, so one level per bulk_create.
    pending = list(new_actors)
    while pending:
        ready = [a for a in pending if a.parent is None or a.parent in existing]
        if not ready:
            raise ValueError("actor parents form a cycle or name unknown actors")
        created = _bulk(
            Actor,
            (
                Actor(
                    slug=a.slug,
                    name=a.name,
                    name_ar=a.name_ar,
                    aliases=list(a.aliases),
                    kind=a.kind,
                    parent_id=existing.get(a.parent) if a.parent else None,
                    party_to_conflict=a.party_to_conflict,
                    side=a.side,
                    reliability=a.reliability,
                    domains=list(a.domains),
                    search_text=search_text(a.name, a.name_ar, *a.aliases),
                )
                for a in ready
            ),
        )
        existing.update({a.slug: a.pk for a in created})
        pending = [a for a in pending if a.slug not in existing]

    places = dict(Place.objects.values_list("ref", "id"))
    sources = _bulk(
        Source,
        (
            Source(
                slug=s.slug,
                canonical_url=s.url,
                publisher_id=existing[s.publisher],
                kind=s.kind,
                language=s.language,
                published_at=dt.datetime.combine(s.published_at, dt.time(9), tzinfo=dt.UTC),
                retrieved_at=None if s.placeholder else now,
                title=s.title,
                text=s.text,
                is_placeholder=s.placeholder,
            )
            for s in plan.sources
        ),
    )
    source_id = {s.slug: s.pk for s in sources}
    events = _bulk(
        Event,
        (
            Event(
                slug=e.slug,
                title=e.title[:300],
                title_ar=e.title_ar[:300],
                start=e.start,
                end=e.end,
                status=Event.Status.CONFIRMED,
            )
            for e in plan.events
        ),
    )
    event_id = {e.slug: e.pk for e in events}
    _bulk(
        Event.places.through,
        (
            Event.places.through(event_id=event_id[e.slug], place_id=places[ref])
            for e in plan.events
            for ref in e.places
        ),
    )
    claims = _bulk(
        Claim,
        (
            Claim(
                slug=c.slug,
                claimant_id=existing[c.claimant],
                language=c.language,
                text=c.text,
                text_en=c.text_en,
                text_ar=c.text_ar,
                stance=c.stance,
                stated_at=c.stated_at,
                event_start=c.event_start,
                event_end=c.event_end,
                event_id=event_id[c.event] if c.event else None,
                tags=list(c.tags),
                search_text=search_text(c.text, c.text_en, c.text_ar),
            )
            for c in plan.claims
        ),
    )
    claim_id = {c.slug: c.pk for c in claims}
    _bulk(
        Claim.places.through,
        (
            Claim.places.through(claim_id=claim_id[c.slug], place_id=places[ref])
            for c in plan.claims
            for ref in c.places
        ),
    )
    _bulk(
        Quantity,
        (
            Quantity(
                claim_id=claim_id[c.slug],
                item=q.item,
                low=q.low,
                high=q.high,
                qualifier=q.qualifier,
                approximate=q.approximate,
                text=q.text,
            )
            for c in plan.claims
            for q in c.quantities
        ),
    )
    _bulk(
        Appearance,
        (
            Appearance(
                claim_id=claim_id[c.slug],
                source_id=source_id[a.source],
                quote=a.quote,
                verb=a.verb,
                via_id=source_id[a.via] if a.via else None,
            )
            for c in plan.claims
            for a in c.appearances
        ),
    )
    truth = plan.truth
    for case in truth.planted:
        case.claim_ids = tuple(claim_id[s] for s in case.claims)
    truth.clean_event_ids = [tuple(claim_id[s] for s in e) for e in truth.clean_events]
    return truth


def generate(claims: int, *, seed: int = 0, append: bool = False) -> CorpusTruth:
    """Build and store a corpus; refuses a database that already has claims unless `append`."""
    existing = Claim.objects.count()
    if existing and not append:
        raise CorpusRefused(existing)
    towns = gazetteer_towns()
    if not towns:
        raise ValueError("no towns in the gazetteer: run `manage.py load_gazetteer` first")
    # Appended corpora get their own slug prefix so slugs and URLs never collide.
    prefix = f"s{seed}" if not existing else f"s{seed}-a{existing}"
    return write_corpus(build_corpus(claims, seed=seed, towns=towns, prefix=prefix))


class CorpusRefused(Exception):
    def __init__(self, existing: int) -> None:
        super().__init__(
            f"The database already holds {existing} claims; generate_corpus only fills an "
            "empty database. Pass --append to add a corpus to it anyway."
        )
        self.existing = existing
