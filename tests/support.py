"""Small helpers shared by tests: free ports and the fail-under-CI rule for missing services."""

from __future__ import annotations

import os
import socket

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
