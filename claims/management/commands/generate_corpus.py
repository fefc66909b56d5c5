"""`python manage.py generate_corpus --claims N [--seed S] [--append] [--json] [--truth-file F]`:
a synthetic, realistic corpus for benchmarks, with the planted conflicts it contains."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims import corpus


class Command(BaseCommand):
    help = (
        "Generate N synthetic claims (Arabic and English, with actors, sources, appearances, "
        "quantities, places and events) with planted conflicts of known answer. Refuses a "
        "database that already holds claims unless --append."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--claims", type=int, required=True, help="how many claims")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument(
            "--append", action="store_true", help="add to a database that already has claims"
        )
        parser.add_argument("--json", action="store_true", help="print the planted truth as JSON")
        parser.add_argument(
            "--truth-file",
            type=Path,
            help="also store the truth as JSON there (e.g. var/corpus_truth.json)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["claims"] < 1:
            raise CommandError("--claims must be at least 1")
        started = time.monotonic()
        try:
            truth = corpus.generate(
                options["claims"], seed=options["seed"], append=options["append"]
            )
        except corpus.CorpusRefused as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["truth_file"]:
            truth.save(options["truth_file"])
        if options["json"]:
            self.stdout.write(json.dumps(truth.as_dict(), ensure_ascii=False, indent=1))
            return
        planted = ", ".join(f"{n} {kind}" for kind, n in truth.counts().items())
        self.stdout.write(
            f"Generated {truth.claims} claims in {time.monotonic() - started:.1f} s "
            f"(seed {truth.seed}); planted: {planted}; "
            f"{len(truth.clean_events)} clean events."
        )
