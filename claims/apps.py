from __future__ import annotations

from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"
    verbose_name = "Claims and sources"

    def ready(self) -> None:
        from claims import signals  # noqa: F401 - connects the receivers
