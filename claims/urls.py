"""URLs of the editor UI; until it lands, the dashboard is the admin."""

from __future__ import annotations

from django.urls import path
from django.views.generic import RedirectView

app_name = "claims"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="dashboard"),
]
