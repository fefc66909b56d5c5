"""URLs of the editor UI: dashboard, review queue, claim, actor, event and source pages, and
ingestion with its proposals."""

from __future__ import annotations

from django.urls import path

from claims import views_ui

app_name = "claims"

urlpatterns = [
    path("", views_ui.dashboard, name="dashboard"),
    path("claims/", views_ui.queue, name="queue"),
    path("claims/bulk/", views_ui.bulk_action, name="bulk"),
    path("claims/<int:claim_id>/", views_ui.claim_page, name="claim"),
    path("claims/<int:claim_id>/edit/", views_ui.edit_claim, name="edit"),
    path("claims/<int:claim_id>/verdict/", views_ui.record_verdict, name="verdict"),
    path("claims/<int:claim_id>/publish/", views_ui.publish, name="publish"),
    path(
        "claims/<int:claim_id>/flags/<int:flag_id>/dismiss/",
        views_ui.dismiss_flag,
        name="dismiss_flag",
    ),
    path("actors/<str:key>/", views_ui.actor_page, name="actor"),
    path("events/<int:event_id>/", views_ui.event_page, name="event"),
    path("sources/<int:source_id>/", views_ui.source_page, name="source"),
    path("sources/<int:source_id>/proposals/", views_ui.proposals_page, name="proposals"),
    path(
        "sources/<int:source_id>/proposals/accept-all/",
        views_ui.accept_all,
        name="accept_all",
    ),
    path(
        "sources/<int:source_id>/proposals/<int:claim_id>/",
        views_ui.proposal_action,
        name="proposal",
    ),
    path("ingest/", views_ui.ingest, name="ingest"),
    path("ingest/<uuid:task_id>/", views_ui.ingest_status, name="ingest_status"),
]
