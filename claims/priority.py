"""Priority of a claim in the review queue, as a pure function with its reasons spelled out."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

SEVERITY_WEIGHT = {"critical": 40.0, "major": 25.0, "minor": 10.0, "info": 2.0}
PARTY_WEIGHT = 15.0
RECENCY_WEIGHT = 20.0
# Recency halves every this many days: last week's claims outrank last month's.
RECENCY_HALF_LIFE_DAYS = 7.0
REACH_WEIGHT = 4.0
# Claims the desk already decided still show, but below everything undecided.
DECIDED_FACTOR = 0.25


def claim_priority(
    *,
    open_flag_severities: Iterable[str],
    claimant_is_party: bool,
    last_seen: dt.date | None,
    today: dt.date,
    appearance_count: int,
    decided: bool,
) -> tuple[float, list[str]]:
    """Score and its reasons, one line per factor that contributed."""
    score, reasons = 0.0, []
    severities = sorted(open_flag_severities, key=lambda s: -SEVERITY_WEIGHT.get(s, 0.0))
    for severity in severities:
        score += SEVERITY_WEIGHT.get(severity, 0.0)
    if severities:
        counts = {s: severities.count(s) for s in dict.fromkeys(severities)}
        listed = ", ".join(f"{n} {s}" for s, n in counts.items())
        reasons.append(f"open flags ({listed}): +{sum(SEVERITY_WEIGHT[s] for s in severities):g}")
    if claimant_is_party:
        score += PARTY_WEIGHT
        reasons.append(f"claimant is a party to the conflict: +{PARTY_WEIGHT:g}")
    if last_seen is not None:
        age = max(0, (today - last_seen).days)
        recency = RECENCY_WEIGHT * 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)
        if recency >= 0.5:
            score += recency
            reasons.append(f"recent ({age} days old): +{recency:.1f}")
    if appearance_count > 1:
        reach = REACH_WEIGHT * math.log2(appearance_count)
        score += reach
        reasons.append(f"reach ({appearance_count} appearances): +{reach:.1f}")
    if decided:
        score *= DECIDED_FACTOR
        reasons.append(f"already has a verdict: ×{DECIDED_FACTOR:g}")
    return round(score, 2), reasons
