"""`python manage.py ingest PATH_OR_URL ...`: store a document, propose its claims (DESIGN §8)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims import ingestion
from claims.textfiles import TextFileError, read_text_file


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--published {value!r} is not a date (YYYY-MM-DD).") from None


LANGUAGES = ("ar", "en")


def _language(value: str | None) -> str | None:
    # Checked here rather than by argparse's choices, whose refusal is a usage block, not one line.
    if value is None or value in LANGUAGES:
        return value
    raise CommandError(f"--language {value!r} is not supported (ar or en).")


class Command(BaseCommand):
    help = "Ingest a text file or a URL: store the source and propose claims (state new)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path_or_url")
        parser.add_argument("--publisher", help="who published the document")
        parser.add_argument("--published", help="publication date, YYYY-MM-DD")
        parser.add_argument("--language", help="ar or en (detected when left out)")
        parser.add_argument("--url", help="the document's URL, when ingesting a file")
        parser.add_argument("--via", action="append", default=[], help="upstream source URL")
        parser.add_argument("--accept", action="store_true", help="accept the proposals now")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        target: str = options["path_or_url"]
        published = _date(options["published"]) if options["published"] else None
        common = {
            "language": _language(options["language"]),
            "published": published,
            "publisher": options["publisher"],
            "via_urls": options["via"],
            "accept": options["accept"],
        }
        try:
            if target.startswith(("http://", "https://")):
                result = ingestion.ingest_url(url=target, **common)
            else:
                text = read_text_file(Path(target))
                result = ingestion.ingest_text(text=text, url=options["url"], **common)
        except (TextFileError, ingestion.IngestError) as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
            return
        verb = "Stored" if result.source_created else "Already stored"
        self.stdout.write(
            f"{verb}: {result.source} — {len(result.claims)} proposed claims"
            + (
                f" (near-duplicate of {result.near_duplicate_of})"
                if result.near_duplicate_of
                else ""
            )
        )
        for claim in result.claims:
            self.stdout.write(f"  #{claim.pk} {claim.claimant}: {claim.text[:100]}")
