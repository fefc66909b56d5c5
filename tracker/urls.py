"""Top-level URL map: admin, health probes, log-in, the language switch and the claims app."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from claims import views, views_public

admin.site.site_header = "Claim verification tracker"
admin.site.site_title = "Claim tracker"
admin.site.index_title = "Claims, sources and their chains"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("claims.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("feeds/claimreview.json", views_public.claimreview_feed, name="public-claimreview-feed"),
    path("feeds/claims.atom", views_public.claims_atom, name="public-claims-atom"),
    path("c/<int:claim_id>/", views_public.claim_page, name="public-claim"),
    path("", include("claims.urls")),
]
