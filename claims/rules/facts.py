"""Plain data the verification rules read (claims, their quantities and appearances) and the
findings they return; the writer maps these to and from rows, the rules never see Django."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import Literal, TypeAlias

from claims.extraction.arabic import normalise

__all__ = [
    "AppearanceFact",
    "ClaimFacts",
    "Finding",
    "QuantityFact",
    "Severity",
]

Severity: TypeAlias = Literal["info", "minor", "major", "critical"]

# Items come from a short list ("killed", "mortars"…) and the pairwise rules fold each one
# several times per pair: 700k folds in a scan of 100k claims.
_folded_item = lru_cache(maxsize=4096)(normalise)


@dataclass(frozen=True)
class QuantityFact:
    """One number in a claim as an interval of §3: `high` None means open above."""

    item: str
    low: int
    high: int | None
    qualifier: str = ""
    approximate: bool = False
    text: str = ""

    @property
    def item_key(self) -> str:
        # Items are compared folded so "Killed " and "killed" (or أ/ا variants) are one item.
        return _folded_item(self.item)


@dataclass(frozen=True)
class AppearanceFact:
    """The claim in one source: the quote, the reporting verb and the upstream source cited."""

    source_id: int
    via_id: int | None = None
    quote: str = ""
    verb: str = ""
    source_publisher_id: int | None = None
    source_url: str = ""
    source_text: str = ""
    source_is_anonymous: bool = False
    # The writer knows the cited source's publisher by a join; without it a root reached only
    # through `via` would have an unknown publisher and never merge by actor hierarchy.
    via_publisher_id: int | None = None


@dataclass(frozen=True)
class ClaimFacts:
    """Everything the rules need to know about one claim."""

    claim_id: int
    claimant_id: int | None
    claimant_name: str
    text: str
    created_at: datetime
    stance: str = "asserts"
    stated_at: date | None = None
    event_start: date | None = None
    event_end: date | None = None
    event_id: int | None = None
    place_ids: frozenset[int] = frozenset()
    quantities: tuple[QuantityFact, ...] = ()
    appearances: tuple[AppearanceFact, ...] = ()
    verdict: str = "unverified"
    # The top-most organisation above the claimant that is a party to the conflict (Brad Cooper →
    # CENTCOM → US government), or None when no actor above it is a party. Sources published
    # anywhere under it speak for the same side.
    claimant_side_id: int | None = None

    @property
    def claimant_is_party(self) -> bool:
        return self.claimant_side_id is not None

    # How the claim is named in explanations: the claimant and where the desk read it
    # ("CENTCOM in The National"); the claimant alone when that is all we know.
    outlet: str = ""
    place_names: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.outlet and self.outlet != self.claimant_name:
            return f"{self.claimant_name} in {self.outlet}"
        return self.claimant_name

    @property
    def text_normalised(self) -> str:
        return normalise(self.text)

    @property
    def source_urls(self) -> tuple[str, ...]:
        return tuple(sorted({a.source_url for a in self.appearances if a.source_url}))

    def with_event(self, event_id: int | None) -> ClaimFacts:
        """The same facts filed under another event. A copy of the instance's fields rather
        than dataclasses.replace, which looks every field up and runs __init__ again: a first
        scan files 90k claims, and replace cost seconds of it."""
        filed = object.__new__(ClaimFacts)
        filed.__dict__.update(self.__dict__, event_id=event_id)
        return filed


def _canonical(value: object) -> object:
    # Sets and frozensets are sorted by their JSON form so the hash does not depend on
    # PYTHONHASHSEED; dates become ISO strings.
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    if isinstance(value, frozenset | set):
        items = [_canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, ensure_ascii=False))
    if isinstance(value, date | datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def _sha256(value: object) -> str:
    encoded = json.dumps(_canonical(value), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Finding:
    """One result of a rule, ready for the flag writer.

    `key` names what a pairwise finding is about (the item of a quantity conflict, the field of a
    date conflict) so two findings of one kind on one pair of claims keep distinct fingerprints.
    """

    kind: str
    severity: Severity
    claim_ids: tuple[int, ...]
    source_urls: tuple[str, ...]
    detail: str
    evidence: tuple[Hashable, ...] = ()
    key: str = ""

    # Cached: the writer and the sort of run_rules both ask, and each asks for a JSON dump and
    # a SHA-256 (80k times in a scan of 100k claims).
    @cached_property
    def fingerprint(self) -> str:
        """Identity of the flag: the same condition on the same claims, whatever its values, so a
        re-run updates the flag instead of adding another."""
        return _sha256([self.kind, sorted(self.claim_ids), self.key])

    @property
    def evidence_hash(self) -> str:
        """Changes when what the finding rests on changes, e.g. a number is corrected."""
        return _sha256(self.evidence)
