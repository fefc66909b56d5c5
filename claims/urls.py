"""URLs of the editor UI: dashboard, review queue and claim pages."""

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
]
