"""`python manage.py export_claims [--format json|csv] [--out FILE] [filters]`: the claims with
their chains, as the JSON document `import_claims` reads back or as a CSV; with no filter, the
whole dataset (a backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import ValidationError

from claims import transfer
from claims.api.filters import claims_matching
from claims.models import Actor, Event

# Filter options and the claim list's query parameter each one becomes.
FILTERS = {
    "state": "state",
    "verdict": "verdict",
    "language": "language",
    "claimant": "claimant",
    "event": "event",
    "flag": "flag",
    "updated_since": "updated_since",
    "q": "q",
}


def _id_of(model: type[Actor] | type[Event], slug: str, option: str) -> str:
    pk = model._default_manager.filter(slug=slug).values_list("pk", flat=True).first()
    if pk is None:
        raise CommandError(f"--{option} {slug!r}: no such {model.__name__.lower()}.")
    return str(pk)


class Command(BaseCommand):
    help = "Export claims with their chains as JSON (the import's format) or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
        parser.add_argument(
            "--bom", action="store_true", help="CSV: start with a UTF-8 BOM (for Excel)"
        )
        parser.add_argument("--state", help="new, in_review, reviewed, published, needs_info")
        parser.add_argument("--verdict", help="unverified, confirmed, likely_true, …")
        parser.add_argument("--language", help="ar, en or other")
        parser.add_argument("--claimant", help="slug of the claimant actor")
        parser.add_argument("--event", help="slug of the event")
        parser.add_argument("--flag", help="claims with an open flag of this kind")
        parser.add_argument("--updated-since", help="ISO 8601 date-time")
        parser.add_argument("--q", help="text search, either script")

    def handle(self, *args: Any, **options: Any) -> None:
        given = {name: options[name] for name in FILTERS if options.get(name)}
        params = dict(given)
        # The command takes slugs, the claim list's filters ids.
        if "claimant" in params:
            params["claimant"] = _id_of(Actor, params["claimant"], "claimant")
        if "event" in params:
            params["event"] = _id_of(Event, params["event"], "event")
        try:
            claims, _ = claims_matching(params)
        except ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"filters": exc.detail}
            problems = "; ".join(
                f"--{name.replace('_', '-')}: {' '.join(str(m) for m in messages)}"
                for name, messages in detail.items()
            )
            raise CommandError(f"Bad filter, nothing exported: {problems}") from None
        scope = transfer.ExportScope(claims=claims, filters=given)
        if options["format"] == "csv":
            pieces = transfer.iter_csv(scope, bom=options["bom"])
        else:
            pieces = transfer.iter_json(scope)
        out: Path | None = options["out"]
        if out is None:
            for piece in pieces:
                self.stdout.write(piece, ending="")
            return
        try:
            # newline="": the CSV rows end in \r\n already and multi-line cells keep their \n.
            with out.open("w", encoding="utf-8", newline="") as handle:
                for piece in pieces:
                    handle.write(piece)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}.") from None
        self.stderr.write(f"Exported to {out}.")
