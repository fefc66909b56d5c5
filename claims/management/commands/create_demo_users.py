"""`python manage.py create_demo_users`: role groups and one demo account per role."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from claims import services


class Command(BaseCommand):
    help = "Create the viewer/editor/reviewer/admin groups and demo-<role> users if missing."

    def handle(self, *args: Any, **options: Any) -> None:
        created = services.ensure_roles_and_demo_users()
        if created:
            self.stdout.write(f"Created {', '.join(created)} (password {services.DEMO_PASSWORD}).")
        else:
            self.stdout.write("Demo users already exist; left unchanged.")
