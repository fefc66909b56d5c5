"""Shared test fixtures: real services (PostgreSQL, Redis, a Celery worker), the seed case, users
per role, and Debian's Chromium for browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings

from tests.support import require_service

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def redis_url() -> str:
    url: str = settings.CELERY_BROKER_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service("Redis", f"{url} ({exc})")
    return url


@pytest.fixture
def celery_worker(redis_url: str, transactional_db: None) -> Iterator[Any]:
    """A real Celery worker thread consuming from the real Redis broker."""
    from celery.contrib.testing.worker import start_worker
    from kombu import Queue

    from tests.support import forget_broker_connections
    from tracker.celery import app

    # Another test may have pointed the app at a Redis of its own; start from the settings.
    if app.conf.broker_url != settings.CELERY_BROKER_URL:
        app.conf.update(
            broker_url=settings.CELERY_BROKER_URL, result_backend=settings.CELERY_RESULT_BACKEND
        )
        forget_broker_connections()
    # Both queues, as the Procfile's worker (-Q checks,fetch): ingests and webhook deliveries
    # are routed to "fetch", and whether an earlier test had added it must not matter.
    queues = app.amqp.queues
    if "fetch" not in queues.consume_from:
        queues.select_add(Queue("fetch", routing_key="fetch"))
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING") as worker:
        yield worker


@pytest.fixture(autouse=True)
def empty_caches() -> Any:
    """Each test starts with empty caches: the queue keeps its filter lists for 30 s, and a
    list cached by one test must not hide what the next one created."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=True):
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Real hashing costs ~0.3 s per demo user; tests check roles, not password strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Load the gazetteer once into the test database; tests roll back to it. (Transactional
    tests flush it; `seeded` then loads it again.)"""
    from claims import services

    with django_db_blocker.unblock():
        services.load_gazetteer()


@pytest.fixture
def seeded(db: None) -> Any:
    """The seed case loaded through the same service `load_seeds` uses."""
    from claims import services

    return services.load_seed_case()


@pytest.fixture
def role_users(db: None) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from claims import services
    from tracker.demo import DEMO_ROLES

    services.ensure_roles_and_demo_users()
    users = get_user_model()._default_manager
    return {role: users.get(username=f"demo-{role}") for role in DEMO_ROLES}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists("/usr/bin/chromium"):
        require_service("Chromium", "/usr/bin/chromium is missing (make chromium installs it)")
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_FLAGS,
    }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI a green run means every test ran: nothing may be skipped there (a missing
    service already fails rather than skips, so a skip means a test that checked nothing), and
    a run that collected no test is a failure too."""
    if os.environ.get("CI") != "true" or exitstatus != pytest.ExitCode.OK:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if skipped or session.testscollected == 0:
        if reporter is not None:
            reporter.write_line(
                f"CI: {skipped} skipped of {session.testscollected} collected; under CI every "
                "test must run.",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
