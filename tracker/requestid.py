"""Request ids: every request gets one (the caller's X-Request-ID when it is sane, else a new
uuid4), every log line written while serving it carries it, and so do the Celery tasks the request
enqueues and their log lines in the worker.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from celery._state import get_current_task
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import LazyObject, empty

HEADER = "X-Request-ID"
# The Celery message header that carries the id from the publisher to the worker.
TASK_HEADER = "x_request_id"
# A proxy's or client's id is kept only when it cannot smuggle anything into a header or log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

log = logging.getLogger("tracker.request")


def sane(value: object) -> str | None:
    if isinstance(value, str) and SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def _loaded_user_id(request: HttpRequest) -> int | None:
    """The user the request already loaded; looking one up here would cost queries on requests
    that never needed a user (probes, static files)."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    if isinstance(user, LazyObject) and user._wrapped is empty:  # type: ignore[attr-defined]
        return None
    return user.pk if user.is_authenticated else None


class RequestIdMiddleware:
    """Outermost middleware: names the request, times it, answers the id in X-Request-ID and
    writes one log line per request (the web server's access log is off)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = sane(request.headers.get(HEADER)) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            log.info(
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": _loaded_user_id(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds request_id to every record, and in a worker the running task's id and name."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        task = get_current_task()
        if task is not None and task.request.id is not None and not hasattr(record, "task_id"):
            record.task_id = task.request.id
            record.task_name = task.name
        return True


# --- Celery: the id travels in a message header and is restored around the task ------------

_tokens: dict[str, Token[str | None]] = {}


def copy_request_id_into_task_headers(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """before_task_publish: runs in whatever process enqueues (web, worker, beat)."""
    request_id = request_id_var.get()
    if request_id is not None and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def restore_request_id(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    """task_prerun: the worker takes the id the publisher sent. An eager task run inside a
    request has no header and keeps the request's own id."""
    request_id = sane(task.request.get(TASK_HEADER)) if task is not None else None
    if request_id is not None and task_id is not None:
        _tokens[task_id] = request_id_var.set(request_id)


def forget_request_id(task_id: str | None = None, **kwargs: Any) -> None:
    """task_postrun: so the worker's next task or its own log lines do not inherit the id."""
    token = _tokens.pop(task_id, None) if task_id is not None else None
    if token is not None:
        request_id_var.reset(token)
