"""Write actions. Each takes keyword-only arguments, owns its transaction and leaves nothing
half-done when it refuses: loading the gazetteer and the seed case, editing a claim under
optimistic concurrency, and setting up the demo accounts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import models, transaction
from django.db.models import F

from claims.gazetteer import PlaceRecord, build_gazetteer
from claims.ingestion import index_source
from claims.models import Actor, Appearance, Claim, Event, Place, Quantity, Source
from claims.seeding import SeedCase, SeedError, parse_seed_case
from tracker.demo import DEMO_PASSWORD, DEMO_ROLES

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"
SEED_CASE = SEEDS_DIR / "seed_case.json"
PLACES_SUPPLEMENT = SEEDS_DIR / "places_supplement.json"
# Actors beyond the seed case (wires, monitors, ministries): without them the extractor meets
# "Reuters" or "the Syrian Observatory" in pasted text as strangers and proposes them anew.
ACTOR_DIRECTORY = SEEDS_DIR / "actor_directory.json"
SEED_REASON = "Loaded from the seed case (seeds/)"

M = TypeVar("M", bound=models.Model)


@dataclass
class SyncReport:
    """How many rows each load created or changed; all zeros on a second run."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, model: type[models.Model], created: bool, changed: bool) -> None:
        name = model.__name__
        if created:
            self.created[name] = self.created.get(name, 0) + 1
        elif changed:
            self.updated[name] = self.updated.get(name, 0) + 1

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        if not self.changed_anything:
            return "nothing changed"
        parts = [f"{n} {k} created" for k, n in sorted(self.created.items())]
        parts += [f"{n} {k} updated" for k, n in sorted(self.updated.items())]
        return ", ".join(parts)


def _sync(
    model: type[M],
    report: SyncReport,
    lookup: Mapping[str, Any],
    values: Mapping[str, Any],
    reason: str = SEED_REASON,
) -> M:
    """Create or update one row, saving only when a value differs, so re-runs write nothing
    (and add no history rows)."""
    obj = model._default_manager.filter(**lookup).first()
    created = obj is None
    if obj is None:
        obj = model(**lookup, **values)
        changed = True
    else:
        changed = False
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
    if changed:
        obj._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history
        obj.save()
    report.count(model, created, changed)
    return obj


def _sync_m2m(manager: Any, wanted: Iterable[models.Model], report: SyncReport, label: str) -> None:
    wanted_ids = {o.pk for o in wanted}
    if set(manager.values_list("pk", flat=True)) != wanted_ids:
        manager.set(wanted_ids)
        report.updated[label] = report.updated.get(label, 0) + 1


def _sync_places(records: list[PlaceRecord], report: SyncReport) -> dict[str, Place]:
    """Upsert the gazetteer, parents first, keeping each place's materialised path."""
    existing = {p.ref: p for p in Place.objects.all()}
    by_ref: dict[str, Place] = {}
    for record in records:
        parent = by_ref[record.parent_ref] if record.parent_ref else None
        values: dict[str, Any] = {
            "geonames_id": record.geonames_id,
            "name": record.name,
            "name_ar": record.name_ar,
            "aliases": list(record.aliases),
            "kind": record.kind,
            "parent": parent,
            "origin": record.origin,
        }
        place = existing.get(record.ref)
        if place is None:
            place = Place.objects.create(ref=record.ref, **values)
            report.count(Place, created=True, changed=True)
        else:
            changed = {k: v for k, v in values.items() if getattr(place, k) != v}
            if changed:
                for k, v in changed.items():
                    setattr(place, k, v)
                place.save()
                report.count(Place, created=False, changed=True)
        path = f"{parent.path if parent else ''}{place.pk}/"
        if place.path != path:
            Place.objects.filter(pk=place.pk).update(path=path)
            place.path = path
        by_ref[record.ref] = place
    return by_ref


@transaction.atomic
def load_gazetteer(*, supplement: Path = PLACES_SUPPLEMENT) -> SyncReport:
    """Load Syria's gazetteer from the packages plus the supplement; idempotent."""
    report = SyncReport()
    _sync_places(build_gazetteer(supplement), report)
    return report


def _as_datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise SeedError(f"{path.name}: not valid JSON ({exc})") from None


def read_seed_case(
    path: Path = SEED_CASE, *, places: Iterable[str], directory: Path | None = ACTOR_DIRECTORY
) -> SeedCase:
    """Read and validate the seed file (and the actor directory, whose actors join the case's:
    one slug space, parents in either file); raises SeedError naming the bad record."""
    data = _read_json(path)
    if directory is not None:
        listed = _read_json(directory)
        if not isinstance(listed, dict) or not isinstance(listed.get("actors"), list):
            raise SeedError(f"{directory.name}: expected an object with an 'actors' list")
        data = {**data, "actors": [*listed["actors"], *data.get("actors", [])]}
    texts: dict[str, str] = {}
    for source in data.get("sources", []):
        if source.get("text_file"):
            text_path = path.parent / source["text_file"]
            if not text_path.is_file():
                raise SeedError(f"source {source.get('slug')!r}: text file {text_path} is missing")
            texts[source["slug"]] = text_path.read_text(encoding="utf-8")
    return parse_seed_case(data, places=set(places), source_texts=texts)


@transaction.atomic
def load_seed_case(
    *,
    path: Path = SEED_CASE,
    supplement: Path = PLACES_SUPPLEMENT,
    directory: Path | None = ACTOR_DIRECTORY,
) -> SyncReport:
    """Load the gazetteer, the actor directory and the seed case in one transaction: all of it,
    or (on any error) nothing. Running it twice changes nothing."""
    gazetteer = build_gazetteer(supplement)
    case = read_seed_case(path, places=(r.ref for r in gazetteer), directory=directory)
    report = SyncReport()
    places = _sync_places(gazetteer, report)

    actors: dict[str, Actor] = {}
    # Parents first (the file may list a child before its parent; validation ruled out cycles).
    pending = list(case.actors)
    while pending:
        ready = [a for a in pending if not a.get("parent") or a["parent"] in actors]
        for raw in ready:
            actors[raw["slug"]] = _sync(
                Actor,
                report,
                {"slug": raw["slug"]},
                {
                    "name": raw["name"],
                    "name_ar": raw.get("name_ar", ""),
                    "aliases": list(raw.get("aliases", [])),
                    "kind": raw["kind"],
                    "parent": actors[raw["parent"]] if raw.get("parent") else None,
                    "party_to_conflict": bool(raw.get("party_to_conflict", False)),
                    "side": raw.get("side", ""),
                    "reliability": raw.get("reliability", "F"),
                    "domains": list(raw.get("domains", [])),
                },
            )
        pending = [a for a in pending if a["slug"] not in actors]

    sources: dict[str, Source] = {}
    for raw in case.sources:
        text = case.source_texts.get(raw["slug"], "")
        source = sources[raw["slug"]] = _sync(
            Source,
            report,
            {"slug": raw["slug"]},
            {
                "canonical_url": raw.get("url", ""),
                "publisher": actors.get(raw.get("publisher") or ""),
                "author": raw.get("author", ""),
                "kind": raw.get("kind", "article"),
                "language": raw.get("language", "ar"),
                "published_at": _as_datetime(raw.get("published_at")),
                "title": raw.get("title", ""),
                "text": text,
                "text_sha256": hashlib.sha256(text.encode()).hexdigest() if text else "",
                "is_placeholder": bool(raw.get("placeholder", not text)),
            },
        )
        if text and not source.minhash:
            # So a republished copy of a seed document is recognised as one.
            index_source(source)

    events: dict[str, Event] = {}
    for raw in case.events:
        event = _sync(
            Event,
            report,
            {"slug": raw["slug"]},
            {
                "title": raw["title"],
                "title_ar": raw.get("title_ar", ""),
                "start": dt.date.fromisoformat(raw["start"]) if raw.get("start") else None,
                "end": dt.date.fromisoformat(raw["end"]) if raw.get("end") else None,
                "status": Event.Status.CONFIRMED,
            },
        )
        _sync_m2m(event.places, [places[p] for p in raw.get("places", [])], report, "Event places")
        events[raw["slug"]] = event

    for seed in case.claims:
        claim = _sync(
            Claim,
            report,
            {"slug": seed.slug},
            {
                "claimant": actors[seed.claimant],
                "language": seed.language,
                "text": seed.text,
                "text_en": seed.text_en,
                "text_ar": seed.text_ar,
                "stance": seed.stance,
                "stated_at": seed.stated_at,
                "event_start": seed.event_start,
                "event_end": seed.event_end,
                "event": events.get(seed.event or ""),
                "tags": list(seed.tags),
            },
        )
        _sync_m2m(claim.places, [places[p] for p in seed.places], report, "Claim places")
        for q in seed.quantities:
            _sync(
                Quantity,
                report,
                {"claim": claim, "item": q.item, "text": q.text},
                {
                    "low": q.low,
                    "high": q.high,
                    "qualifier": q.qualifier,
                    "approximate": q.approximate,
                },
            )
        for app in seed.appearances:
            _sync(
                Appearance,
                report,
                {"claim": claim, "source": sources[app.source]},
                {
                    "quote": app.quote,
                    "verb": app.verb,
                    "via": sources[app.via] if app.via else None,
                },
            )
    return report


class StaleVersion(Exception):
    """The claim changed since the editor loaded it; nothing was written."""

    def __init__(self, claim: Claim, expected: int) -> None:
        self.claim = claim
        self.expected = expected
        super().__init__(
            f"Claim {claim.pk} is at version {claim.version}, not {expected}: "
            "someone else saved it first."
        )


EDITABLE_CLAIM_FIELDS = frozenset(
    {"text", "text_en", "text_ar", "stance", "stated_at", "event_start", "event_end", "tags"}
)


@transaction.atomic
def update_claim(
    *,
    claim_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    by: AbstractBaseUser | None,
    reason: str,
) -> Claim:
    """Apply an editor's changes if nobody saved the claim since they loaded it.

    The version check and the bump are one conditional UPDATE, so of two racing editors exactly
    one wins and the other gets StaleVersion with the claim as it now stands."""
    unknown = set(changes) - EDITABLE_CLAIM_FIELDS
    if unknown:
        raise ValueError(f"These claim fields cannot be edited here: {', '.join(sorted(unknown))}")
    if not reason.strip():
        raise ValueError("A reason is required for every change to a claim.")
    won = Claim.objects.filter(pk=claim_id, version=expected_version).update(
        version=F("version") + 1
    )
    claim = Claim.objects.get(pk=claim_id)
    if not won:
        raise StaleVersion(claim, expected_version)
    for name, value in changes.items():
        setattr(claim, name, value)
    claim._change_reason = reason  # type: ignore[attr-defined]
    claim._history_user = by  # type: ignore[attr-defined]
    claim.full_clean(exclude=["slug"])
    claim.save()
    return claim


# Django model permissions per newsroom role; "admin" is a superuser.
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "viewer": {
        m: ("view",)
        for m in (
            "actor",
            "source",
            "claim",
            "appearance",
            "quantity",
            "place",
            "event",
            "review",
            "flag",
        )
    },
    "editor": {
        "actor": ("view", "add", "change"),
        "source": ("view", "add", "change"),
        "claim": ("view", "add", "change"),
        "appearance": ("view", "add", "change", "delete"),
        "quantity": ("view", "add", "change", "delete"),
        "event": ("view", "add", "change"),
        "place": ("view",),
        "review": ("view", "add"),
        "flag": ("view", "change"),
    },
}
ROLE_PERMISSIONS["reviewer"] = {
    **ROLE_PERMISSIONS["editor"],
    "review": ("view", "add", "change", "publish"),
}


@transaction.atomic
def ensure_roles_and_demo_users(*, password: str = DEMO_PASSWORD) -> list[str]:
    """Create the role groups and one demo user per role if missing; returns the usernames
    created. Existing users (and their passwords) are left alone."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        # "publish" is the custom publish_review permission; the rest are Django's model ones.
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        perms = Permission.objects.filter(content_type__app_label="claims", codename__in=codenames)
        group.permissions.set(perms)
    created = []
    for role in DEMO_ROLES:
        username = f"demo-{role}"
        if user_model._default_manager.filter(username=username).exists():
            continue
        user = user_model._default_manager.create_user(
            username=username,
            password=password,
            is_staff=True,
            is_superuser=role == "admin",
        )
        if role != "admin":
            user.groups.add(Group.objects.get(name=role))
        created.append(username)
    return created
