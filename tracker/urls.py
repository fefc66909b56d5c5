"""Top-level URL map: admin, health probes and the claims app."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from claims import views

admin.site.site_header = "Claim verification tracker"
admin.site.site_title = "Claim tracker"
admin.site.index_title = "Claims, sources and their chains"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("", include("claims.urls")),
]
