"""Small helpers shared by tests: free ports and the fail-under-CI rule for missing services."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

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
    import kombu.pools

    from tracker.celery import app as celery_app

    app: Any = celery_app
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    # kombu keeps a process-wide producer pool per broker URL; after the close above, the one
    # for a URL we come back to would hand out connections from a closed pool.
    kombu.pools.reset()
    app.amqp._producer_pool = None
    app._backend_cache = None
    with contextlib.suppress(AttributeError):
        del app._local.backend


T = TypeVar("T")


def wait_for(check: Callable[[], T | None], timeout: float, what: str, log: Callable[[], str]) -> T:
    """Poll `check` until it returns something truthy; fail with `log()` (what the processes
    printed) if the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"Gave up after {timeout:.0f} s waiting for {what}. Output:\n{log()[-4000:]}")


class LoggedProcess:
    """A subprocess in a session of its own (so a test can signal it, or its whole group), with
    its output collected."""

    def __init__(self, command: Sequence[str], *, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._lines: list[str] = []
        # The pipe must be drained continuously: Celery logs a lot and a full pipe blocks it.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._lines.append(raw.decode(errors="replace"))

    def output(self) -> str:
        return "".join(self._lines)
