"""Log-in throttling with django-axes: which address a failed log-in counts against, and the page
that tells a locked-out person what happened and when to try again."""

from __future__ import annotations

from typing import Any

from axes.helpers import (  # type: ignore[import-untyped]
    get_client_username,
    get_cool_off,
    get_failure_limit,
)
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """Behind N trusted proxies the client is the N-th address from the right of
    X-Forwarded-For (each proxy appends the address it saw; anything further left is whatever
    the client chose to send). Without proxies, or when the header is short, REMOTE_ADDR."""
    count: int = settings.TRACKER_TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if count > 0 and len(forwarded) >= count:
        return forwarded[-count]
    remote: str | None = request.META.get("REMOTE_ADDR")
    return remote


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """429 with a page that says why and for how long, instead of axes' bare text."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off is not None else None
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "minutes": minutes,
            "username": get_client_username(request, credentials) or "",
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
