"""The hourly re-fetch of sources, against a local web server: a page that changes silently is
flagged source_changed, one that disappears source_unreachable, and both resolve when it is back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from claims import verification
from claims.fetching import FetchPolicy
from claims.models import Flag, Source
from tests.factories import AppearanceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

# Only this test server is reachable: the loopback allowance exists for tests alone.
LOCAL = FetchPolicy(allow_loopback=True, timeout_s=5)
PAGE = """<html><head><title>بيان القيادة المركزية</title></head><body><article>
<p>أعلنت القيادة المركزية الأمريكية تدمير أكثر من 15 موقعًا لتخزين الأسلحة في ريف دمشق.</p>
<p>{extra}</p></article></body></html>"""


class Page:
    body = PAGE.format(extra="وشاركت قوات من وزارة الداخلية السورية في العملية.")
    status = 200


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        payload = Page.body.encode()
        self.send_response(Page.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/release"
    finally:
        server.shutdown()
        server.server_close()
        Page.body = PAGE.format(extra="وشاركت قوات من وزارة الداخلية السورية في العملية.")
        Page.status = 200


def source_flag(kind: str) -> Flag | None:
    return Flag.objects.filter(kind=kind).first()


def test_a_stealth_edit_is_flagged_and_an_outage_is_flagged_then_resolved(site):
    appearance = AppearanceFactory(source__canonical_url=site)
    source = appearance.source

    first = verification.recheck_source(source.pk, policy=LOCAL)
    source.refresh_from_db()
    assert first.error == "" and first.status == 200
    assert "15 موقعًا" in source.text and source.text_sha256
    assert source_flag("source_changed") is None

    Page.body = PAGE.format(extra="ولم تشارك أي قوات سورية في العملية.")
    changed = verification.recheck_source(source.pk, policy=LOCAL)
    assert changed.changed
    flag = source_flag("source_changed")
    assert flag is not None and flag.state == Flag.State.OPEN
    assert list(flag.claims.all()) == [appearance.claim]
    assert site in flag.detail

    Page.status = 404
    gone = verification.recheck_source(source.pk, policy=LOCAL)
    assert gone.status == 404
    unreachable = source_flag("source_unreachable")
    assert unreachable is not None and unreachable.state == Flag.State.OPEN
    assert "404" in unreachable.detail

    Page.status = 200
    verification.recheck_source(source.pk, policy=LOCAL)
    unreachable.refresh_from_db()
    assert unreachable.state == Flag.State.RESOLVED


def test_a_source_on_a_private_address_is_refused_and_recorded_not_fetched(db):
    appearance = AppearanceFactory(source__canonical_url="http://10.0.0.1/release")
    report = verification.recheck_source(appearance.source_id)
    assert report.status is None
    assert "10.0.0.1" in report.error
    assert Source.objects.get(pk=appearance.source_id).last_check_error == report.error


def test_sources_without_a_url_are_never_due_for_a_recheck(db):
    AppearanceFactory(source__canonical_url="")
    assert verification.sources_due_for_recheck() == []
