"""`python manage.py import_claims FILE [--dry-run] [--json]`: load a document `export_claims`
wrote (a backup, or claims from another tracker). The whole document is checked first; if
anything is wrong nothing is stored, every problem is listed and the exit status is 1."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims import transfer


class Command(BaseCommand):
    help = "Import a claims document (export_claims' JSON): all of it, or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the JSON document, or - for standard input")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report; store nothing"
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--user", help="username the history records the import under")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            users = get_user_model()._default_manager
            user = users.filter(**{users.model.USERNAME_FIELD: options["user"]}).first()
            if user is None:
                raise CommandError(f"--user {options['user']!r}: no such user.")
        path = options["file"]
        try:
            if path == "-":
                raw = sys.stdin.buffer.read()
            else:
                with open(path, "rb") as handle:
                    raw = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}; nothing imported.") from None
        try:
            data = transfer.parse_document(raw)
        except transfer.TransferError as exc:
            raise CommandError(f"{path}: {exc} Nothing imported.") from None
        report = transfer.import_dataset(data=data, user=user, dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for problem in report.problems:
                self.stderr.write(f"  {problem}")
            if report.ok:
                self.stdout.write(report.summary())
        if not report.ok:
            raise CommandError(report.summary())
