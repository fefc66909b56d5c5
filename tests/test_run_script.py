"""`make run`'s supervisor (scripts/run.py) for real: it brings Redis when none runs, starts the
web server, a Celery worker and beat, and on Ctrl-C stops every process it started."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery

from claims.selectors import HEARTBEAT_KEY
from tests.support import LoggedProcess, free_port, require_service, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
# The interpreter running the tests is the project's venv (`make pytest` uses .venv/bin/python).
PYTHON = sys.executable
MACHINE_REDIS = "redis://127.0.0.1:6379/0"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def accepts_connections(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def readiness(port: int) -> dict[str, object] | None:
    """/readyz's JSON when it answers 200, else None (not up yet, or a check is failing)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            if response.status != 200:
                return None
            body: dict[str, object] = json.loads(response.read())
            return body
    except (OSError, urllib.error.URLError, ValueError):
        return None


def processes() -> list[tuple[int, int, str]]:
    """Every process on the machine as (pid, process group, command line)."""
    listing = subprocess.run(
        ["ps", "-eo", "pid=,pgid=,args="], capture_output=True, text=True, check=True
    ).stdout
    rows = []
    for line in listing.splitlines():
        pid, pgid, args = line.strip().split(None, 2)
        rows.append((int(pid), int(pgid), args))
    return rows


def leftovers(group: int, ports: list[int]) -> list[str]:
    """Processes still in the supervisor's group, or whose command line names one of its ports
    (runserver shows the web port, redis-server retitles itself host:port)."""
    marks = [f":{p}" for p in ports]
    return [
        f"{pid} {args}"
        for pid, pgid, args in processes()
        if pid != os.getpid()
        and (pgid == group or any(args.endswith(m) or f"{m} " in args for m in marks))
        and not args.startswith("ps ")
    ]


class Supervisor(LoggedProcess):
    """scripts/run.py in its own session, with its output (and its children's) collected."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__([PYTHON, "scripts/run.py"], cwd=ROOT, env=env)

    def wait_for_output(self, *needles: str, timeout: float = STARTUP_TIMEOUT) -> str:
        return wait_for(
            lambda: self.output() if all(n in self.output() for n in needles) else None,
            timeout,
            f"the supervisor to print {needles!r}",
            self.output,
        )

    def kill_everything(self) -> None:
        """Last-resort cleanup: SIGKILL the whole process group, whatever state it is in."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@contextlib.contextmanager
def supervisor(env: dict[str, str]) -> Iterator[Supervisor]:
    sup = Supervisor(env)
    try:
        yield sup
    finally:
        sup.kill_everything()


def run_env(tmp_path: Path, web_port: int, **extra: str) -> dict[str, str]:
    """The environment of a developer typing `make run`: no REDIS_URL, a throwaway SQLite file."""
    unset = {"REDIS_URL", "TRACKER_LOCAL_REDIS_URL", "HOST"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        PORT=str(web_port),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    return env


def assert_serves_and_consumes(sup: Supervisor, web_port: int, broker_url: str) -> None:
    """The web server is ready on both checks, and a worker really consumes from that broker."""
    checks = wait_for(
        lambda: readiness(web_port), STARTUP_TIMEOUT, f"/readyz on port {web_port}", sup.output
    )
    assert checks["checks"] == {"database": "ok", "broker": "ok"}

    # Sending the beat task by name through a bare app proves a worker consumes that broker, with
    # no shared Django settings to hide a mismatch between the web process and the worker.
    probe = Celery("probe", broker=broker_url, backend=broker_url)
    try:
        beat_at = probe.send_task("claims.tasks.record_worker_heartbeat", queue="checks").get(
            timeout=30
        )
    finally:
        probe.close()
    assert time.time() - 60 < beat_at <= time.time()
    assert redis.Redis.from_url(broker_url).get(HEARTBEAT_KEY) is not None
    # The web process reads the heartbeat from the same Redis the worker wrote it to.
    ready = wait_for(lambda: readiness(web_port), 10, "/readyz after the heartbeat", sup.output)
    assert ready["worker_heartbeat_age_s"] is not None


def stop_with_ctrl_c(sup: Supervisor) -> None:
    # Only the supervisor gets SIGINT: stopping its children is its job, which is under test.
    os.kill(sup.proc.pid, signal.SIGINT)
    try:
        code = sup.proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"The supervisor did not exit within {STOP_TIMEOUT:.0f} s of Ctrl-C")
    assert code == 0, sup.output()[-4000:]


def test_make_run_supervisor_starts_its_own_redis_when_none_runs_and_stops_everything_on_ctrl_c(
    tmp_path: Path,
) -> None:
    web_port = free_port()
    # Pointing "the local Redis" at a closed port makes the supervisor believe none runs here.
    env = run_env(tmp_path, web_port, TRACKER_LOCAL_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    with supervisor(env) as sup:
        text = sup.wait_for_output("Claim tracker is up", "demo-editor")
        started = re.search(r"started one at (redis://127\.0\.0\.1:(\d+)/0)", text)
        assert started, text[-4000:]
        broker_url, redis_port = started.group(1), int(started.group(2))
        assert f"http://127.0.0.1:{web_port}/" in text
        assert redis.Redis.from_url(broker_url, socket_connect_timeout=2).ping()

        assert_serves_and_consumes(sup, web_port, broker_url)

        stop_with_ctrl_c(sup)
        sup.wait_for_output("Stopping web, workers, beat and Redis", timeout=5)
        assert not accepts_connections(web_port)
        assert not accepts_connections(redis_port)
        assert leftovers(sup.proc.pid, [web_port, redis_port]) == []


def test_make_run_uses_the_running_redis_when_one_is_there(tmp_path: Path, redis_url: str) -> None:
    # `redis_url` fails (CI) or skips when the test Redis is down; the supervisor looks at 6379.
    machine = redis.Redis.from_url(MACHINE_REDIS, socket_connect_timeout=2)
    try:
        machine.ping()
    except redis.RedisError as exc:
        require_service("Redis", f"{MACHINE_REDIS} ({exc})")
    web_port = free_port()
    env = run_env(tmp_path, web_port)

    with supervisor(env) as sup:
        text = sup.wait_for_output("Claim tracker is up", "demo-editor")
        assert f"Redis: {MACHINE_REDIS}" in text
        assert "started one" not in text

        assert_serves_and_consumes(sup, web_port, MACHINE_REDIS)

        stop_with_ctrl_c(sup)
        assert not accepts_connections(web_port)
        assert leftovers(sup.proc.pid, [web_port]) == []
    # It was not the supervisor's Redis, so it must not have stopped it.
    assert machine.ping()
