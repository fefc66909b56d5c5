"""Demo accounts that `make run` creates for a first look; development only."""

from __future__ import annotations

DEMO_PASSWORD = "verify-claims-2025"  # noqa: S105 - printed on purpose by `make run`
DEMO_ROLES = ("viewer", "editor", "reviewer", "admin")
