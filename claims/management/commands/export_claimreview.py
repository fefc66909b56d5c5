"""`python manage.py export_claimreview [--out FILE] [--base-url URL]`: the ClaimReview DataFeed,
written by the same code as /feeds/claimreview.json."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims import public_selectors

# Without a request there is no host to build absolute URLs from; TRACKER_PUBLIC_BASE_URL in
# the settings or --base-url says where the public pages live.
FALLBACK_BASE_URL = "http://localhost:8000/"


class Command(BaseCommand):
    help = "Write the schema.org DataFeed of published ClaimReviews (stdout without --out)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="file to write; replaced only once complete")
        parser.add_argument(
            "--base-url",
            help="where the public pages live, e.g. https://factcheck.example.org/ "
            "(default: TRACKER_PUBLIC_BASE_URL, else http://localhost:8000/)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = options["base_url"]
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must be an http(s) URL, not {base_url!r}.")
        publisher = public_selectors.publisher(FALLBACK_BASE_URL, base_url=base_url)
        chunks = public_selectors.claimreview_feed(publisher)
        if not options["out"]:
            for chunk in chunks:
                # Chunks end between feed items, so each decodes on its own.
                self.stdout.write(chunk.decode(), ending="")
            self.stdout.write("")
            return
        target = Path(options["out"])
        if not target.parent.is_dir():
            raise CommandError(f"Cannot write {target}: {target.parent} is not a directory.")
        # Write beside the target and rename, so a reader never sees half a feed and a failed
        # export leaves the previous file in place.
        # (Not mkstemp: its 0600 mode would hide a public feed from the web server.)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
