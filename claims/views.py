"""HTTP views of the claims app: the health probes (the editor UI lands with its own issue)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from claims import selectors


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database and the broker both answer; 503 names what does not."""
    report = selectors.readiness()
    return JsonResponse(report.as_dict(), status=200 if report.ready else 503)
