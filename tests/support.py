"""Small helpers shared by tests: free ports and the fail-under-CI rule for missing services."""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

import pytest

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, problem: str) -> None:
    """Under CI a missing service fails the test; on a laptop it only skips it."""
    message = f"{name} is not reachable: {problem}"
    if CI:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A port nothing listens on right now (the kernel picks it, then we release it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def forget_broker_connections() -> None:
    """Drop the Celery app's cached broker pool, producer pool and result backend, so the next
    task sent connects to whatever `conf` says now (Celery has no public API for this). Tests
    that point the app at another Redis call it before and after."""
    from tracker.celery import app as celery_app

    app: Any = celery_app
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    with contextlib.suppress(AttributeError):
        del app._local.backend
