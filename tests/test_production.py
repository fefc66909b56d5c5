"""Production mode: `check --deploy` is clean with DEBUG off and refuses a missing or weak key;
every page carries the Content Security Policy and none needs an inline script; gunicorn serves
the collected static files through WhiteNoise; five bad passwords lock a username out from one
address; a request's id is in its JSON log line and in those of the tasks it enqueued."""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.conf import settings
from django.core.management.utils import get_random_secret_key
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string
from playwright.sync_api import ConsoleMessage, Page, expect
from rest_framework.test import APIClient

from claims import verification
from claims.models import Claim
from tests.support import LoggedProcess, free_port, wait_for
from tracker.demo import DEMO_PASSWORD
from tracker.requestid import RequestIdFilter

# Playwright's sync API runs an asyncio loop in this thread, so Django's ORM (used by the
# fixtures of the browser test) would refuse to run; pytest-django and Playwright document this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ISIS_HOMS = "isis-claims-two-assassinations-homs-hama-2025-11-28"
EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
WIRE = (
    "Syria's interior ministry said on Tuesday that its forces arrested 12 members of an "
    "Islamic State cell in the town of al-Dumayr, east of Damascus, after a week-long operation."
)


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production process: DEBUG off, a fresh 50-character key, one host."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=get_random_secret_key(),
        DJANGO_ALLOWED_HOSTS="example.org",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def policy(header: str) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts and styles (with their nonce, if
    any), event-handler and style attributes, and javascript: URLs."""

    JS_TYPES = {"", "text/javascript", "module", "application/javascript"}

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.styles: list[str | None] = []
        self.attributes: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.attributes.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action"} and (value or "").strip().startswith(
                "javascript:"
            ):
                self.attributes.append(f"<{tag} {name}={value!r}>")
        # A data block (JSON-LD) is never executed, so CSP does not apply to it.
        script_type = (named.get("type") or "").lower()
        if tag == "script" and "src" not in named and script_type in self.JS_TYPES:
            self.scripts.append(named.get("nonce"))
        if tag == "style":
            self.styles.append(named.get("nonce"))


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


# --- check --deploy and the secret key ----------------------------------------------------


def test_check_deploy_passes_without_a_single_warning_in_production_mode() -> None:
    # A key may start with "$" (django-environ would read that as a reference to another variable).
    env = production_env(DJANGO_SECRET_KEY="$" + get_random_secret_key()[1:])
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNINGS" not in result.stderr
    assert "security.W" not in result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [
        None,
        "too-short-for-production",
        "dev-only-insecure-key-change-me-in-production",
        "django-insecure-" + "k" * 20 + "abcdefghijklmnopqrstuvwxyz",
        "a" * 60,
    ],
    ids=["missing", "short", "development-key", "django-insecure", "five-few-characters"],
)
def test_production_mode_refuses_to_start_without_a_strong_secret_key(secret_key) -> None:
    env = production_env()
    if secret_key is None:
        del env["DJANGO_SECRET_KEY"]
    else:
        env["DJANGO_SECRET_KEY"] = secret_key
    result = manage("check", env=env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: DJANGO_DEBUG=false")
    assert "DJANGO_SECRET_KEY set to at least 50 random characters" in last_line


# --- Content Security Policy --------------------------------------------------------------


@pytest.fixture
def homs(seeded, role_users) -> Claim:
    verification.scan_all()
    return Claim.objects.get(slug=ISIS_HOMS)


@pytest.mark.django_db
def test_every_ui_page_has_the_strict_policy_and_no_inline_code(homs, role_users) -> None:
    editor = Client()
    editor.force_login(role_users["editor"])
    pages = {
        "login": (Client(), reverse("login")),
        "dashboard": (editor, reverse("claims:dashboard")),
        "queue": (editor, reverse("claims:queue")),
        "claim": (editor, reverse("claims:claim", args=[homs.pk])),
        "admin claim": (editor, reverse("admin:claims_claim_change", args=[homs.pk])),
    }
    for name, (client, url) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert policy(response["Content-Security-Policy"]) == EXPECTED_POLICY, name
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        found = inline_code(response.content.decode())
        if name.startswith("admin"):
            # Django's admin has no inline script since 5.0; its styles are its own business.
            assert found.scripts == [], name
            continue
        assert (found.scripts, found.styles, found.attributes) == ([], [], []), name


@pytest.mark.django_db
def test_the_api_docs_run_their_inline_script_and_style_only_with_this_responses_nonce(
    client,
) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    directives = policy(response["Content-Security-Policy"])
    [nonce_source] = [s for s in directives["script-src"] if s.startswith("'nonce-")]
    assert directives["script-src"] == ["'self'", nonce_source]
    assert directives["style-src"] == ["'self'", nonce_source]
    assert {k: v for k, v in directives.items() if k not in {"script-src", "style-src"}} == {
        k: v for k, v in EXPECTED_POLICY.items() if k not in {"script-src", "style-src"}
    }
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    nonce = nonce_source.removeprefix("'nonce-").removesuffix("'")
    found = inline_code(response.content.decode())
    assert found.scripts == [nonce]
    assert found.styles == [nonce]
    assert found.attributes == []
    # A second request gets a nonce of its own.
    again = policy(client.get("/api/docs/")["Content-Security-Policy"])["script-src"]
    assert again != directives["script-src"]


# --- gunicorn, WhiteNoise and the HTTPS settings behind a proxy ------------------------------


def fetch(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request, no redirect followed: (status, headers with lower-case names, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def answers(port: int, path: str) -> bool:
    try:
        return fetch(port, path)[0] == 200
    except OSError:
        return False


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.mark.integration
def test_gunicorn_serves_collected_static_files_through_whitenoise_behind_a_tls_proxy(
    tmp_path: Path,
) -> None:
    port = free_port()
    static_root = tmp_path / "static"
    env = production_env(
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_STATIC_ROOT=str(static_root),
        # Nothing here reads the database; a file of its own keeps it that way if one did.
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    collected = manage("collectstatic", "--no-input", "-v0", env=env)
    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed_ui_js = manifest["claims/ui.js"]
    assert hashed_ui_js != "claims/ui.js"

    # The Procfile's web line, with gunicorn.conf.py.
    server = LoggedProcess([PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env)
    try:
        # Probes come straight to gunicorn over plain HTTP: /healthz is not redirected.
        wait_for(lambda: answers(port, "/healthz"), 60, "gunicorn's /healthz", server.output)

        # Without the proxy's header every other URL is sent to HTTPS.
        status, headers, _ = fetch(port, "/static/claims/ui.js")
        assert status == 301
        assert headers["location"] == f"https://127.0.0.1:{port}/static/claims/ui.js"

        https = {"X-Forwarded-Proto": "https"}
        source = (ROOT / "claims/static/claims/ui.js").read_bytes()
        status, headers, body = fetch(
            port, "/static/claims/ui.js", {**https, "X-Request-ID": "static-probe-1"}
        )
        assert (status, body) == (200, source)
        assert headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert headers["x-request-id"] == "static-probe-1"

        # The hashed copy is cached for ever, and compressed for clients that take gzip.
        status, headers, body = fetch(
            port, f"/static/{hashed_ui_js}", {**https, "Accept-Encoding": "gzip"}
        )
        assert status == 200
        assert "immutable" in headers["cache-control"]
        assert headers["content-encoding"] == "gzip"

        # The docs page points at the hashed Swagger UI files and carries its nonce.
        status, headers, body = fetch(port, "/api/docs/", https)
        assert status == 200
        assert manifest["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"] in (
            body.decode()
        )
        assert "'nonce-" in headers["content-security-policy"]
        # Cookies only travel over HTTPS.
        csrf_cookie = fetch(port, "/accounts/login/", https)[1]["set-cookie"]
        assert "; Secure" in csrf_cookie
        assert "; HttpOnly" in csrf_cookie
    finally:
        os.killpg(server.proc.pid, signal.SIGTERM)
        server.proc.wait(timeout=30)
    # gunicorn's own lines and the application's are JSON, with the id the request came with.
    lines = json_lines(server.output())
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    [request_line] = [line for line in lines if line.get("request_id") == "static-probe-1"]
    assert request_line["logger"] == "tracker.request"
    assert request_line["path"] == "/static/claims/ui.js"
    assert request_line["status"] == 200
    assert request_line["level"] == "INFO"
    assert {"timestamp", "method", "duration_ms", "user_id"} <= request_line.keys()


# --- Log-in throttling ---------------------------------------------------------------------


def log_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_five_bad_passwords_lock_that_username_out_from_that_address_for_fifteen_minutes(
    role_users,
) -> None:
    client = Client()
    for _ in range(4):
        response = log_in(client, "demo-editor", "not-the-password")
        assert response.status_code == 200
        assert "did not match" in response.content.decode()

    response = log_in(client, "demo-editor", "not-the-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed log-ins" in page
    assert "After 5 failed attempts" in page
    assert "blocked for 15 minutes" in page
    assert policy(response["Content-Security-Policy"]) == EXPECTED_POLICY

    # While locked out the right password does not help, and no session is opened.
    response = log_in(client, "demo-editor", DEMO_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # Nobody else is affected: another user from this address, this user from another address.
    assert log_in(Client(), "demo-reviewer", DEMO_PASSWORD).status_code == 302
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert log_in(elsewhere, "demo-editor", DEMO_PASSWORD).status_code == 302

    # Fifteen minutes later the lock has lifted.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    assert log_in(client, "demo-editor", DEMO_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_behind_a_proxy_the_lockout_counts_the_forwarded_client_not_the_proxy(
    role_users, settings
) -> None:
    settings.TRACKER_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    attacker = Client(REMOTE_ADDR=proxy)
    for attempt in range(5):
        # Whatever the client puts in front, the proxy appends the address it really saw.
        forwarded = f"192.0.2.{attempt}, 198.51.100.7"
        log_in(attacker, "demo-editor", "guess", HTTP_X_FORWARDED_FOR=forwarded)
    locked = log_in(attacker, "demo-editor", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert locked.status_code == 429

    colleague = Client(REMOTE_ADDR=proxy)
    response = log_in(colleague, "demo-editor", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert response.status_code == 302


# --- Request ids in logs, through a real Celery worker ---------------------------------------


def test_a_sane_request_id_is_kept_and_anything_else_is_replaced(client) -> None:
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a:42")["X-Request-ID"] == "lb-7f3a:42"
    for unsafe in ["", "has space", "<script>", "x" * 200, "a\u00e9b"]:
        replaced = client.get("/healthz", HTTP_X_REQUEST_ID=unsafe)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", replaced), unsafe
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def forget_tracers() -> None:
    from tracker.celery import app

    for task in app.tasks.values():
        task.__trace__ = None


@pytest.fixture
def json_log() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The root logger's records as the production handler writes them: the configured JSON
    formatter and the request-id filter."""
    logging_config: dict[str, Any] = settings.LOGGING
    config = dict(logging_config["formatters"]["json"])
    formatter = import_string(config.pop("()"))(**config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    # The embedded worker sets the root level to WARNING; the lines under test are INFO.
    # An earlier embedded worker may have set levels on Celery's own loggers too (the task lines
    # come from celery.app.trace): set each one on the way, and make them propagate.
    names = ("tracker.request", "celery", "celery.app", "celery.app.trace")
    quiet = {name: logging.getLogger(name).level for name in names}
    propagating = {name: logging.getLogger(name).propagate for name in names}
    for name in names:
        logging.getLogger(name).propagate = True
        logging.getLogger(name).setLevel(logging.INFO)
    # Each task's tracer decides once, when built, whether it logs "succeeded" at INFO; one built
    # by an earlier test at WARNING would stay silent, so they are rebuilt by the next worker.
    forget_tracers()
    try:
        yield lambda: json_lines(stream.getvalue())
    finally:
        root.removeHandler(handler)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).propagate = propagating[name]
        forget_tracers()


@pytest.mark.integration
def test_a_requests_id_is_in_its_json_log_line_and_in_those_of_the_tasks_it_enqueued(
    # json_log first: the worker builds each task's tracer when it starts, and a tracer decides
    # then whether it logs at INFO.
    json_log,
    celery_worker: Any,
    role_users: dict[str, Any],
) -> None:
    editor = role_users["editor"]
    client = APIClient()
    client.force_authenticate(editor)
    request_id = f"ingest-{uuid.uuid4().hex[:12]}"
    accepted = client.post(
        "/api/v1/ingest/",
        {"text": WIRE, "language": "en", "publisher": "Reuters", "published": "2025-11-25"},
        format="json",
        HTTP_X_REQUEST_ID=request_id,
    )
    assert accepted.status_code == 202
    assert accepted["X-Request-ID"] == request_id

    def task_lines() -> dict[str, dict[str, Any]] | None:
        done = {
            line["task_name"]: line
            for line in json_log()
            if line.get("request_id") == request_id and line["logger"] == "celery.app.trace"
        }
        # The worker ran the ingest, and the claim it stored asked for a check of its own.
        wanted = {"claims.tasks.ingest_text", "claims.tasks.check_claim"}
        return done if wanted <= done.keys() else None

    def everything() -> str:
        return "\n".join(json.dumps(line) for line in json_log())

    tasks = wait_for(task_lines, 60, "the tasks' log lines with the request id", everything)
    ingest = tasks["claims.tasks.ingest_text"]
    assert ingest["task_id"] == accepted.json()["task_id"]
    assert ingest["level"] == "INFO"
    assert "succeeded" in ingest["message"]

    [request_line] = [
        line
        for line in json_log()
        if line["logger"] == "tracker.request" and line.get("request_id") == request_id
    ]
    assert request_line["method"] == "POST"
    assert request_line["path"] == "/api/v1/ingest/"
    assert request_line["status"] == 202
    assert request_line["user_id"] == editor.pk
    assert request_line["duration_ms"] >= 0
    assert request_line["level"] == "INFO"
    assert request_line["timestamp"]


# --- The browser sees no violation ----------------------------------------------------------

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI);
});
"""


@pytest.mark.browser
def test_dashboard_claim_page_api_docs_and_admin_raise_no_csp_violation_in_chromium(
    live_server, page: Page, homs
) -> None:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The UI has no favicon; Chromium's request for one is not the page's doing.
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.add_init_script(REPORT_VIOLATIONS)
    base = live_server.url

    page.goto(f"{base}/accounts/login/?next=/")
    page.locator("#id_username").fill("demo-editor")
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    expect(page).to_have_url(f"{base}/")

    page.goto(f"{base}/claims/")
    # ui.js (a static file) still drives the queue: j selects the first row.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    expect(page.locator("#queue .queue-row").first).to_have_class(re.compile("is-current"))

    page.goto(f"{base}/claims/{homs.pk}/")
    expect(page.locator("#chain")).to_contain_text("independent roots: 1")

    page.goto(f"{base}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Claim verification tracker API"
    )
    operation = page.locator(".opblock").first
    expect(operation).to_be_visible()
    operation.locator(".opblock-summary").click()
    expect(operation.locator(".opblock-body")).to_be_visible()

    for path in [
        "/admin/",
        "/admin/claims/claim/",
        f"/admin/claims/claim/{homs.pk}/change/",
    ]:
        page.goto(f"{base}{path}")
        expect(page.locator("#content")).to_be_visible()

    assert errors == []

    # The listener works: a script injected inline is refused and reported.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = true'; document.body.appendChild(s); }"
    )
    expect(page.locator("body")).to_be_visible()
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran === true") is False
    assert any("script-src" in error for error in errors), errors
