"""URLs of the API under /api/v1/; tracker/urls.py mounts this and the schema and docs."""

from __future__ import annotations

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from claims.api import views

router = SimpleRouter()
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("sources", views.SourceViewSet, basename="source")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("events", views.EventViewSet, basename="event")
router.register("flags", views.FlagViewSet, basename="flag")
router.register("reviews", views.ReviewViewSet, basename="review")

app_name = "api"

urlpatterns = [
    *router.urls,
    path("export/", views.ExportView.as_view(), name="export"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("ingest/", views.IngestView.as_view(), name="ingest"),
    path("ingest/<str:task_id>/", views.IngestStatusView.as_view(), name="ingest-status"),
    # Last: anything else under /api/v1/ answers with the API's JSON 404, not Django's page.
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
