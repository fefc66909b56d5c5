"""`python manage.py load_seeds`: load the gazetteer and the seed case in one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims import services
from claims.gazetteer import GazetteerError
from claims.seeding import SeedError


class Command(BaseCommand):
    help = "Load seeds/ (gazetteer, actors, sources, claims, chains); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=services.SEED_CASE)
        parser.add_argument("--places", type=Path, default=services.PLACES_SUPPLEMENT)
        parser.add_argument("--actors", type=Path, default=services.ACTOR_DIRECTORY)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = services.load_seed_case(
                path=options["file"], supplement=options["places"], directory=options["actors"]
            )
        except (SeedError, GazetteerError) as exc:
            raise CommandError(f"Seed data refused, nothing loaded: {exc}") from None
        self.stdout.write(f"Seed case loaded: {report.summary()}.")
