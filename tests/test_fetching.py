"""The SSRF-safe fetcher against a real HTTP server on 127.0.0.1: policy refusals, limits,
decoding, extraction, and that the connection goes to exactly the address that was vetted.

Nothing here connects anywhere but 127.0.0.1: an autouse guard fails any other connect.
"""

from __future__ import annotations

import hashlib
import http.server
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from claims import fetching
from claims.fetching import FetchFailed, FetchPolicy, FetchRefused, check_address, fetch

pytestmark = pytest.mark.integration

LOCAL = FetchPolicy(allow_loopback=True)
PUBLIC_IP = "93.184.216.34"

TITLE = "اشتباكات في ريف حلب الشمالي وسقوط ضحايا مدنيين"
AUTHOR = "سارة الحلبي"
PARAGRAPHS = (
    "أفاد المرصد المحلي لحقوق الإنسان يوم الثلاثاء بأن اشتباكات عنيفة اندلعت في ريف حلب الشمالي"
    " بين فصائل مسلحة، ما أدى إلى مقتل ثلاثة مدنيين وإصابة سبعة آخرين بجروح متفاوتة.",
    "وقال مصدر طبي في مستشفى المدينة إن الجرحى نقلوا إلى المستشفى صباحاً، مشيراً إلى أن بين"
    " المصابين طفلين وامرأة، وأن حالة اثنين منهم حرجة.",
    "ونفى متحدث باسم أحد الفصائل مسؤولية مقاتليه عن القصف، بينما ذكرت وكالة أنباء محلية نقلاً عن"
    " شهود عيان أن القذائف سقطت على حي سكني قرب السوق.",
    "وبحسب الأمم المتحدة، نزح أكثر من ألفي شخص من القرى المجاورة خلال الأيام الثلاثة الماضية، في"
    " ظل نقص حاد في المأوى والمياه النظيفة مع اقتراب فصل الشتاء.",
)
FOOTER = "جميع الحقوق محفوظة لشبكة الأخبار المحلية"
PLAIN = "بيان صحفي\nأعلنت البلدية إغلاق الطريق الرئيسي يوم الخميس.\n"
SIX_MB = 6 * 1024 * 1024
ARABIC_PATH = "/أخبار/حلب"
ARABIC_PATH_SENT = "/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D8%AD%D9%84%D8%A8"


def article_html(head_extra: str = "") -> str:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head>{head_extra}
<title>{TITLE}</title>
<meta name="author" content="{AUTHOR}">
<meta property="article:published_time" content="2024-11-05T09:30:00+02:00">
</head><body>
<header><nav><a href="/">الرئيسية</a> | <a href="/news">أخبار</a></nav></header>
<article><h1>{TITLE}</h1>
{paragraphs}
</article>
<footer><p>{FOOTER}</p></footer>
</body></html>
"""


ARTICLE_UTF8 = article_html('<meta charset="utf-8">').encode("utf-8")
# The charset is declared only in the page, never in the Content-Type header.
ARTICLE_1256 = article_html(
    '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
).encode("windows-1256")


@dataclass
class Seen:
    """What the local server saw, for assertions about Host and SNI."""

    hosts: list[str] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)


class Handler(http.server.BaseHTTPRequestHandler):
    seen: Seen

    def log_message(self, format: str, *args: Any) -> None:
        pass  # Keep pytest output clean.

    def send_body(self, body: bytes, content_type: str, *, length: bool = True) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            return  # The fetcher hung up on purpose (too big); nothing to report.

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def trickle(self, data: bytes, pause: float, for_seconds: float) -> None:
        # Stops on its own and when the client hangs up, so no server thread outlives a test.
        stop = time.monotonic() + for_seconds
        try:
            for byte in data:
                if time.monotonic() > stop:
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            return

    def do_GET(self) -> None:
        self.seen.hosts.append(self.headers.get("Host", ""))
        path = self.path
        if path == "/article":
            self.send_body(ARTICLE_UTF8, "text/html; charset=utf-8")
        elif path == "/article-1256":
            self.send_body(ARTICLE_1256, "text/html")
        elif path in ("/plain", ARABIC_PATH_SENT):
            self.send_body(PLAIN.encode("utf-8"), "text/plain; charset=utf-8")
        elif path == "/pdf":
            self.send_body(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf")
        elif path == "/big":
            self.send_body(b"a" * SIX_MB, "text/plain")
        elif path == "/big-unannounced":
            # HTTP/1.0 with no Content-Length: the size is only known by reading it.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            try:
                for _ in range(SIX_MB // 65536):
                    self.wfile.write(b"a" * 65536)
            except OSError:
                return
        elif path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.flush()
            self.trickle(b"x" * 1000, pause=0.1, for_seconds=4)
        elif path == "/slow-headers":
            self.wfile.write(b"HTTP/1.0 200 OK\r\n")
            self.trickle(b"X-Padding: " + b"y" * 1000, pause=0.1, for_seconds=4)
        elif path.startswith("/chain/"):
            left = int(path.removeprefix("/chain/"))
            if left == 0:
                self.send_body(ARTICLE_UTF8, "text/html; charset=utf-8")
            else:
                self.redirect(f"/chain/{left - 1}")
        elif path == "/to-private":
            self.redirect("http://10.0.0.1/")
        elif path == "/to-ftp":
            self.redirect("ftp://127.0.0.1/article")
        elif path == "/404":
            self.send_error(404)
        elif path == "/500":
            self.send_error(500)
        else:
            self.send_error(404)


@dataclass
class Server:
    base: str
    port: int
    seen: Seen


def serve(context: ssl.SSLContext | None = None) -> Iterator[Server]:
    seen = Seen()
    handler = type("BoundHandler", (Handler,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if context is not None:

        def remember_sni(sock: ssl.SSLObject, name: str, ctx: ssl.SSLContext) -> None:
            seen.server_names.append(name)

        context.sni_callback = remember_sni
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    scheme = "https" if context else "http"
    try:
        yield Server(base=f"{scheme}://127.0.0.1:{port}", port=port, seen=seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    yield from serve()


@pytest.fixture(autouse=True)
def only_loopback_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connect to an address outside 127.0.0.0/8 or ::1, whatever the code under test
    does, so a bug cannot send traffic off this machine."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if not (str(host).startswith("127.") or host == "::1"):
            raise AssertionError(f"test tried to connect to {address!r}")
        original(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def resolve_as(monkeypatch: pytest.MonkeyPatch, *answers: list[str]) -> list[str]:
    """Make socket.getaddrinfo answer the n-th lookup with answers[n] (the last answer repeats);
    returns the list of names looked up."""
    looked_up: list[str] = []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        looked_up.append(str(host))
        answer = answers[min(len(looked_up), len(answers)) - 1]
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (ip, int(port or 0)),
            )
            for ip in answer
        ]

    monkeypatch.setattr(fetching.socket, "getaddrinfo", fake)
    return looked_up


def assert_one_sentence(reason: str) -> None:
    assert reason[0].isupper(), reason
    assert reason.endswith("."), reason
    assert "\n" not in reason, reason
    assert re.search(r"[.!?]\s", reason[:-1]) is None, reason
    assert len(reason) < 300, reason


def refused(url: str, policy: FetchPolicy | None = None) -> FetchRefused:
    with pytest.raises(FetchRefused) as caught:
        fetch(url, policy=policy or FetchPolicy())
    assert_one_sentence(caught.value.reason)
    return caught.value


def failed(url: str, policy: FetchPolicy = LOCAL) -> FetchFailed:
    with pytest.raises(FetchFailed) as caught:
        fetch(url, policy=policy)
    assert_one_sentence(caught.value.reason)
    return caught.value


# --- A good fetch ---------------------------------------------------------------------------


def test_an_arabic_article_is_fetched_with_title_author_date_text_and_hashes(
    server: Server,
) -> None:
    page = fetch(f"{server.base}/article", policy=LOCAL)

    assert page.status == 200
    assert page.final_url == page.url == f"{server.base}/article"
    assert page.redirects == ()
    assert page.content_type == "text/html"
    assert page.encoding == "utf-8"
    assert page.title == TITLE
    assert page.author == AUTHOR
    assert page.published == date(2024, 11, 5)
    for paragraph in PARAGRAPHS:
        assert paragraph in page.text
    assert FOOTER not in page.text, "page furniture is not main text"
    assert page.html == ARTICLE_UTF8.decode("utf-8")
    assert page.body_sha256 == hashlib.sha256(ARTICLE_UTF8).hexdigest()
    assert page.text == page.text.strip()
    assert page.text_sha256 == hashlib.sha256(page.text.encode("utf-8")).hexdigest()


def test_a_windows_1256_page_declared_only_in_a_meta_tag_decodes_to_the_same_text(
    server: Server,
) -> None:
    utf8 = fetch(f"{server.base}/article", policy=LOCAL)
    cp1256 = fetch(f"{server.base}/article-1256", policy=LOCAL)

    assert cp1256.encoding == "cp1256"
    assert cp1256.title == TITLE
    assert cp1256.author == AUTHOR
    assert cp1256.text == utf8.text
    assert cp1256.text_sha256 == utf8.text_sha256, "same words, same text hash"
    assert cp1256.body_sha256 == hashlib.sha256(ARTICLE_1256).hexdigest()
    assert cp1256.body_sha256 != utf8.body_sha256, "different bytes, different body hash"


def test_an_undeclared_windows_1256_body_is_detected() -> None:
    body = article_html().encode("windows-1256")

    text, encoding = fetching._decode(body, "text/html", None)

    assert encoding == "cp1256"
    assert PARAGRAPHS[0] in text


def test_a_plain_text_page_is_its_own_main_text(server: Server) -> None:
    page = fetch(f"{server.base}/plain", policy=LOCAL)

    assert page.content_type == "text/plain"
    assert page.text == PLAIN.strip()
    assert page.html == PLAIN
    assert page.title == page.author == ""
    assert page.published is None
    assert page.text_sha256 == hashlib.sha256(PLAIN.strip().encode("utf-8")).hexdigest()


def test_an_arabic_path_is_sent_percent_encoded(server: Server) -> None:
    page = fetch(f"{server.base}{ARABIC_PATH}", policy=LOCAL)

    assert page.text == PLAIN.strip()


def test_five_redirects_are_followed_and_recorded(server: Server) -> None:
    page = fetch(f"{server.base}/chain/5", policy=LOCAL)

    assert page.final_url == f"{server.base}/chain/0"
    assert page.redirects == tuple(f"{server.base}/chain/{n}" for n in (5, 4, 3, 2, 1))
    assert page.title == TITLE


# --- Scheme, credentials and address policy -------------------------------------------------


def test_the_local_server_is_refused_without_the_test_only_allowance(server: Server) -> None:
    error = refused(f"{server.base}/article")
    assert "127.0.0.1" in error.reason
    assert "loopback" in error.reason


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/article", "file:///etc/passwd", "gopher://127.0.0.1/", "javascript:alert(1)"],
)
def test_schemes_other_than_http_and_https_are_refused(url: str) -> None:
    error = refused(url, LOCAL)
    assert "only http and https" in error.reason


def test_a_url_with_a_user_name_and_password_is_refused_without_echoing_them(
    server: Server,
) -> None:
    error = refused(f"http://user:pw@127.0.0.1:{server.port}/article", LOCAL)
    assert "user name or password" in error.reason
    assert "pw" not in error.reason


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("localhost", "loopback"),
        ("[::1]", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("[fd00:ec2::254]", "cloud metadata"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("[::ffff:127.0.0.1]", "embedding 127.0.0.1"),
        ("[fe80::1]", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (a URL host, not a bind)
        ("224.0.0.1", "multicast"),
        ("2130706433", "loopback"),  # decimal 127.0.0.1
        ("0x7f000001", "loopback"),  # hex
        ("0x7f.1", "loopback"),  # short hex form
        ("017700000001", "loopback"),  # octal
        ("0177.0.0.1", "loopback"),  # octal first octet
    ],
)
def test_non_public_hosts_are_refused_before_connecting(
    server: Server, host: str, kind: str
) -> None:
    requests_before = len(server.seen.hosts)

    error = refused(f"http://{host}:{server.port}/article")

    assert kind in error.reason
    assert len(server.seen.hosts) == requests_before, "refused before any request was sent"


@pytest.mark.parametrize(
    "host",
    ["10.0.0.1", "192.168.1.1", "169.254.169.254", "[::ffff:127.0.0.1]", "[fe80::1]", "0.0.0.0"],  # noqa: S104
)
def test_the_test_only_allowance_admits_loopback_and_nothing_else(host: str) -> None:
    refused(f"http://{host}/article", LOCAL)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("::ffff:10.0.0.1", "embedding 10.0.0.1, a private"),
        ("2002:7f00:1::", "embedding 127.0.0.1, a loopback"),  # 6to4
        ("2002:a00:1::1", "embedding 10.0.0.1, a private"),  # 6to4
        ("64:ff9b::a9fe:a9fe", "embedding 169.254.169.254, a cloud metadata"),  # NAT64
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "embedding"),  # Teredo
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "address"),
        ("240.0.0.1", "reserved"),
        ("198.18.0.1", "private"),  # benchmarking range
    ],
)
def test_check_address_refuses_every_non_public_form(address: str, kind: str) -> None:
    with pytest.raises(FetchRefused) as caught:
        check_address(address, 80, policy=LOCAL)
    assert kind in caught.value.reason
    assert_one_sentence(caught.value.reason)


def test_check_address_returns_the_vetted_public_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve_as(monkeypatch, [PUBLIC_IP, "2606:2800:220:1:248:1893:25c8:1946", PUBLIC_IP])

    assert check_address("news.example", 443, policy=FetchPolicy()) == [
        PUBLIC_IP,
        "2606:2800:220:1:248:1893:25c8:1946",
    ]


def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve_as(monkeypatch, [PUBLIC_IP, "10.1.2.3"])

    error = refused("http://news.example/article")
    assert "news.example" in error.reason
    assert "10.1.2.3" in error.reason


def test_a_name_that_does_not_resolve_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(fetching.socket, "getaddrinfo", no_such_host)

    error = failed("http://no-such-host.example/")
    assert error.status is None
    assert "could not be resolved" in error.reason


# --- DNS rebinding --------------------------------------------------------------------------


def test_the_connection_goes_to_exactly_the_vetted_address_even_if_dns_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # First lookup: a public address that passes; any later lookup would say 127.0.0.1.
    looked_up = resolve_as(monkeypatch, [PUBLIC_IP], ["127.0.0.1"])
    connected_to: list[Any] = []

    def record_instead_of_connecting(self: socket.socket, address: Any) -> None:
        connected_to.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket.socket, "connect", record_instead_of_connecting)

    error = failed("http://news.example/article", FetchPolicy(allow_loopback=True))

    assert connected_to == [(PUBLIC_IP, 80)], "connect uses the vetted IP, not a fresh lookup"
    assert looked_up == ["news.example"], "the name is resolved once"
    assert "connection refused" in error.reason


def test_a_pinned_connection_sends_the_host_name_in_the_host_header(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve_as(monkeypatch, ["127.0.0.1"])

    page = fetch(f"http://news.example:{server.port}/article", policy=LOCAL)

    assert page.title == TITLE
    assert server.seen.hosts[-1] == f"news.example:{server.port}"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """An HTTPS server on 127.0.0.1 whose self-signed certificate names news.example only."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ),
            *("-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2"),
            *("-subj", "/CN=news.example", "-addext", "subjectAltName=DNS:news.example"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    for running in serve(context):
        yield running, cert


def trusting(cert: Path) -> Callable[[], ssl.SSLContext]:
    return lambda: ssl.create_default_context(cafile=str(cert))


def test_https_connects_to_the_vetted_address_with_sni_and_certificate_for_the_host_name(
    tls_server: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    resolve_as(monkeypatch, ["127.0.0.1"])
    monkeypatch.setattr(fetching, "_tls_context", trusting(cert))

    page = fetch(f"https://news.example:{server.port}/article", policy=LOCAL)

    assert page.title == TITLE
    assert server.seen.server_names[-1] == "news.example"
    assert server.seen.hosts[-1] == f"news.example:{server.port}"


def test_https_refuses_a_certificate_for_another_name(
    tls_server: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    resolve_as(monkeypatch, ["127.0.0.1"])
    monkeypatch.setattr(fetching, "_tls_context", trusting(cert))

    error = failed(f"https://other.example:{server.port}/article")

    assert "certificate" in error.reason


# --- Redirects ------------------------------------------------------------------------------


def test_six_redirects_are_too_many(server: Server) -> None:
    error = refused(f"{server.base}/chain/6", LOCAL)
    assert "more than 5 times" in error.reason


def test_a_redirect_to_a_private_address_is_refused_even_with_the_loopback_allowance(
    server: Server,
) -> None:
    # The autouse guard would fail this test if anything tried to connect to 10.0.0.1.
    error = refused(f"{server.base}/to-private", LOCAL)
    assert "redirect to http://10.0.0.1/" in error.reason
    assert "private" in error.reason


def test_a_redirect_to_another_scheme_is_refused(server: Server) -> None:
    error = refused(f"{server.base}/to-ftp", LOCAL)
    assert "redirect target uses ftp" in error.reason


# --- Limits and content types ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/big", "/big-unannounced"])
def test_a_body_over_five_megabytes_is_refused(server: Server, path: str) -> None:
    error = refused(f"{server.base}{path}", LOCAL)
    assert "5,242,880-byte limit" in error.reason


def test_a_pdf_is_refused_for_its_content_type(server: Server) -> None:
    error = refused(f"{server.base}/pdf", LOCAL)
    assert "application/pdf" in error.reason


@pytest.mark.parametrize("path", ["/slow-body", "/slow-headers"])
def test_a_server_that_trickles_past_the_deadline_is_a_failure_within_the_deadline(
    server: Server, path: str
) -> None:
    # Each trickled byte resets a per-socket timeout; only a wall-clock deadline stops this.
    started = time.monotonic()
    error = failed(f"{server.base}{path}", FetchPolicy(timeout_s=1.0, allow_loopback=True))
    elapsed = time.monotonic() - started

    assert error.status is None
    assert "took longer than 1 second." in error.reason
    assert elapsed < 1.5


# --- HTTP failures --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500])
def test_an_http_error_status_is_a_failure_with_that_status(server: Server, status: int) -> None:
    error = failed(f"{server.base}/{status}")
    assert error.status == status
    assert str(status) in error.reason


def test_a_closed_port_is_a_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is released again before the fetch, so nothing listens there.
    error = failed(f"http://127.0.0.1:{port}/")
    assert error.status is None
    assert "connection refused" in error.reason
