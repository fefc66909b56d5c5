"""`python manage.py scan [--json]`: every rule now, synchronously, through the task's code."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from claims import selectors, verification


class Command(BaseCommand):
    help = "Run every verification rule over every claim now and print the flags."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the flags as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verification.scan_all()
        open_flags = selectors.flag_listing(state=None)
        if options["json"]:
            self.stdout.write(json.dumps({"flags": open_flags}, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"Scanned {report.claims} claims in {report.seconds:.1f} s: "
            f"{report.flags.created} flags created, {report.flags.updated} updated, "
            f"{report.flags.reopened} reopened, {report.flags.resolved} resolved, "
            f"{report.flags.unchanged} unchanged; {report.events_proposed} events proposed."
        )
        for flag in open_flags:
            if flag["state"] != "open":
                continue
            claims = "; ".join(f"#{c['id']} {c['claimant']}" for c in flag["claims"])
            self.stdout.write(f"  [{flag['severity']}] {flag['kind']}: {flag['detail']} ({claims})")
