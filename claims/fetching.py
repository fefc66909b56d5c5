"""The SSRF-safe fetcher: it downloads one source URL for re-checking or ingestion, refusing any
address that is not public, and returns the decoded page with its main text, metadata and hashes.

Policy in brief (DESIGN.md §6):

- Only ``http`` and ``https``; no user name or password in the URL. Any port is allowed: what
  keeps the fetcher away from internal services is the address check, and public sites do serve
  on unusual ports.
- The host is resolved once with ``socket.getaddrinfo``; if ANY address is private, loopback,
  link-local, multicast, reserved, unspecified, carrier-grade NAT, a cloud metadata address, or an
  IPv6 form embedding such an IPv4 address, the fetch is refused. The connection then goes to a
  vetted address (never a second lookup), so a DNS answer that changes between check and connect
  cannot move it; the Host header, TLS SNI and certificate check still use the host name.
- Redirects are followed by hand, each hop vetted again, at most ``max_redirects``.
- One wall-clock deadline covers the whole fetch (DNS, connects, TLS, headers, body, redirects).
  Running out of time is a :class:`FetchFailed` (status ``None``): a slow site is a transient
  network failure for the re-check job, not a policy breach.
- Bodies larger than ``max_bytes`` and content types other than HTML, XHTML or plain text are a
  :class:`FetchRefused`.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias
from urllib.parse import quote, urljoin, urlsplit

import charset_normalizer
import trafilatura
from trafilatura.settings import Document

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "FetchError",
    "FetchFailed",
    "FetchPolicy",
    "FetchRefused",
    "Fetched",
    "check_address",
    "fetch",
]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

ACCEPTED_CONTENT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "claim-tracker-fetcher/0.1 (source re-check)"
READ_CHUNK = 64 * 1024
# Printable ASCII stays as written (including existing %XX escapes); everything else is encoded.
URL_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))
# How far into an HTML body a <meta charset> is looked for; WHATWG says 1024 bytes, but CMS
# templates often put it after long <link>/<script> blocks, so look a little further.
META_SNIFF_BYTES = 4096

CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
# The only non-public addresses the test-only allowance admits.
LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
LOOPBACK_V6 = ipaddress.ip_address("::1")

META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
# Browsers read these labels as windows-1252 (WHATWG encoding standard); so do we, so that the
# curly quotes and dashes in 0x80-0x9F come out as the reader saw them.
WINDOWS_1252_LABELS = frozenset(
    {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"}
)
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class FetchError(Exception):
    """Base of both outcomes, so a caller can catch either; ``reason`` is one clear sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchRefused(FetchError):
    """The fetch breaks policy: scheme, credentials, non-public address, too big, content type or
    too many redirects. Retrying will not help."""


class FetchFailed(FetchError):
    """The network or the server failed: DNS, timeout, connection, TLS, or HTTP status >= 400
    (then ``status`` holds it). A later retry may succeed."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 10.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    # TEST-ONLY: admits 127.0.0.0/8 and ::1 so tests can use a local server; nothing else
    # non-public, and not IPv6 forms that embed a loopback IPv4 address.
    allow_loopback: bool = False


@dataclass(frozen=True)
class Fetched:
    url: str
    final_url: str
    status: int
    content_type: str
    # The Python codec name the body was decoded with, e.g. "utf-8" or "cp1256".
    encoding: str
    # sha256 of the raw body bytes as received: notices any change at all.
    body_sha256: str
    # The decoded body (for text/plain, the text itself).
    html: str
    # The main text, stripped of surrounding whitespace; text_sha256 is the sha256 of its UTF-8
    # bytes, so a change of page furniture alone does not look like a changed article.
    text: str
    text_sha256: str
    title: str
    author: str
    published: date | None
    # Every URL that answered with a redirect, in order (the first is ``url`` when there are any).
    redirects: tuple[str, ...]


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class _Response:
    status: int
    reason: str
    location: str | None
    content_type: str
    charset: str | None
    body: bytes


class _Deadline:
    """One wall-clock budget for the whole fetch. Per-socket timeouts alone would let a server
    that trickles a byte at a time hold us forever, so a watchdog shuts every socket of this
    fetch down when time is up, which wakes any blocked read."""

    def __init__(self, seconds: float, doing: str) -> None:
        self.seconds = seconds
        self.doing = doing
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._finished = False
        self._cut_done = False
        self._timer = threading.Timer(max(seconds, 0.0), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def expired(self) -> bool:
        # Once the watchdog has cut, whatever was read is truncated, even if the clock (read a
        # moment later on another thread) still shows a sliver of time left.
        return self._cut_done or time.monotonic() >= self._end

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise self.timed_out()
        return left

    def timed_out(self) -> FetchFailed:
        unit = "second" if self.seconds == 1 else "seconds"
        return FetchFailed(f"{self.doing} took longer than {self.seconds:g} {unit}.")

    def watch(self, sock: socket.socket) -> None:
        # A duplicate descriptor, because the TLS wrapper takes over the original; shutdown()
        # acts on the connection, not the descriptor, so cutting the duplicate cuts both.
        with self._lock:
            if self._finished:
                return
            self._watched.append(sock.dup())

    def _cut(self) -> None:
        with self._lock:
            self._cut_done = True
            for sock in self._watched:
                # Already closed by the peer or by us means nothing is left to wake.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._finished = True
            for sock in self._watched:
                sock.close()
            self._watched.clear()

    def open_socket(self, addresses: list[str], port: int) -> socket.socket:
        """Connect to the first vetted address that answers; never to a name, so nothing is
        resolved a second time."""
        last_error: OSError | None = None
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.remaining())
                sock.connect((address, port))
            except OSError as exc:
                sock.close()
                last_error = exc
                continue
            except BaseException:
                sock.close()
                raise
            self.watch(sock)
            return sock
        assert last_error is not None  # addresses is never empty: vetting refuses that.
        raise last_error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Sends ``Host: <name>`` but connects to the address that was vetted for that name."""

    def __init__(self, host: str, port: int, *, addresses: list[str], deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.remaining())
        self._addresses = addresses
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = self._deadline.open_socket(self._addresses, self.port)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS: SNI and certificate verification are against the host name."""

    def __init__(self, host: str, port: int, *, addresses: list[str], deadline: _Deadline) -> None:
        context = _tls_context()
        super().__init__(host, port, timeout=deadline.remaining(), context=context)
        self._addresses = addresses
        self._deadline = deadline
        self._tls = context

    def connect(self) -> None:
        raw = self._deadline.open_socket(self._addresses, self.port)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def _tls_context() -> ssl.SSLContext:
    # A function, not a constant, so tests can trust their own certificate authority.
    return ssl.create_default_context()


def fetch(url: str, *, policy: FetchPolicy = FetchPolicy()) -> Fetched:
    """Fetch ``url`` under ``policy``; raise :class:`FetchRefused` or :class:`FetchFailed`."""
    deadline = _Deadline(policy.timeout_s, f"Fetching {url}")
    try:
        current = url
        redirects: list[str] = []
        while True:
            hop = bool(redirects)
            target = _parse_target(current, redirected=hop)
            subject = f"The redirect to {current}" if hop else f"The URL {current}"
            addresses = _vet(
                target.host, target.port, subject=subject, policy=policy, deadline=deadline
            )
            response = _request(target, addresses, policy=policy, deadline=deadline)
            if response.status not in REDIRECT_STATUSES:
                break
            if response.location is None:
                raise FetchFailed(
                    f"The page at {current} answered HTTP {response.status} "
                    "without saying where to go.",
                    status=response.status,
                )
            if len(redirects) >= policy.max_redirects:
                raise FetchRefused(
                    f"The URL {url} redirected more than {policy.max_redirects} times, "
                    "so it was given up."
                )
            redirects.append(current)
            current = urljoin(current, response.location)
    finally:
        deadline.finish()
    return _build(url, target, response, tuple(redirects))


def check_address(host: str, port: int, *, policy: FetchPolicy) -> list[str]:
    """The addresses ``host`` resolves to, once all are vetted; raise :class:`FetchRefused` if
    any is not public, or :class:`FetchFailed` if the name does not resolve."""
    deadline = _Deadline(policy.timeout_s, f"Resolving {host}")
    try:
        return _vet(host, port, subject=f"The host {host}", policy=policy, deadline=deadline)
    finally:
        deadline.finish()


def _parse_target(url: str, *, redirected: bool) -> _Target:
    what = "The redirect target" if redirected else "The URL"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise FetchRefused(f"{what} {url!r} is not a well-formed URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        shown = scheme or "no scheme"
        raise FetchRefused(f"{what} uses {shown}, but only http and https URLs are fetched.")
    if parts.username is not None or parts.password is not None:
        # The URL is not echoed: it carries a secret.
        raise FetchRefused(f"{what} contains a user name or password, which is never sent.")
    host = parts.hostname or ""
    if not host:
        raise FetchRefused(f"{what} {url!r} has no host name.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchRefused(f"{what} has a host name that is not valid: {host!r}.") from None
    if port == 0:
        raise FetchRefused(f"{what} {url!r} names port 0, which cannot be connected to.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    # Browsers percent-encode what a URL may not carry raw (Arabic paths are common); doing the
    # same keeps http.client from rejecting the URL and control characters out of the request.
    path = quote(path, safe=URL_SAFE)
    return _Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port if port is not None else DEFAULT_PORTS[scheme],
        path=path,
    )


def _vet(
    host: str, port: int, *, subject: str, policy: FetchPolicy, deadline: _Deadline
) -> list[str]:
    addresses = _resolve(host, port, deadline)
    for address in addresses:
        why = _why_not_public(address, policy)
        if why is not None:
            # An address literal is named as written; a name is shown with what it resolved to.
            where = f"points at {host}" if _is_literal(host, address) else f"resolves to {address}"
            raise FetchRefused(f"{subject} {where}, {why}, so it was not fetched.")
    # Keep resolver order (it reflects RFC 6724 preference) but drop duplicates.
    return list(dict.fromkeys(address.compressed for address in addresses))


def _is_literal(host: str, address: IPAddress) -> bool:
    try:
        return ipaddress.ip_address(host) == address
    except ValueError:
        return False


def _resolve(host: str, port: int, deadline: _Deadline) -> list[IPAddress]:
    try:
        # A literal in canonical form needs no resolver; the odd IPv4 forms (2130706433,
        # 0x7f.1, 017700000001) are not canonical and go to getaddrinfo, which reads them the
        # way inet_aton does, so they cannot slip past as "names".
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    # IPv6 results may carry a zone ("fe80::1%eth0"); the zone does not change the class.
    addresses: list[IPAddress] = [
        ipaddress.ip_address(found.split("%", 1)[0])
        for found in _getaddrinfo_within(host, port, deadline)
    ]
    if not addresses:
        raise FetchFailed(f"The host {host} did not resolve to any address.")
    return addresses


def _getaddrinfo_within(host: str, port: int, deadline: _Deadline) -> list[str]:
    # getaddrinfo has no timeout of its own and the system resolver may retry for tens of
    # seconds, so it runs in a daemon thread we stop waiting for at the deadline.
    found: list[list[str]] = []
    errors: list[Exception] = []

    def resolve() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.append([str(info[4][0]) for info in infos])
        except (OSError, UnicodeError) as exc:
            errors.append(exc)

    worker = threading.Thread(target=resolve, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(deadline.remaining())
    if worker.is_alive():
        raise deadline.timed_out()
    if errors or not found:
        raise FetchFailed(f"The host {host} could not be resolved.")
    return found[0]


def _why_not_public(address: IPAddress, policy: FetchPolicy) -> str | None:
    """Why ``address`` must not be fetched from, as a noun phrase, or None if it is public."""
    if policy.allow_loopback and (address in LOOPBACK_V4 or address == LOOPBACK_V6):
        return None
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        for embedded in _embedded_ipv4(address):
            # No loopback allowance here: the allowance is for 127.0.0.0/8 and ::1 as written.
            why = _why_not_public(embedded, FetchPolicy())
            if why is not None:
                return f"an IPv6 address embedding {embedded}, {why}"
    elif address in CARRIER_GRADE_NAT:
        return "a carrier-grade NAT address"
    # Checked in this order because the classes overlap (127.0.0.1 is also "private").
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address"
    if not address.is_global:
        return "a non-public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries: mapped, 6to4, Teredo and NAT64 forms all reach
    the IPv4 host inside them through some gateway or the local stack."""
    embedded: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if address in NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def _request(
    target: _Target, addresses: list[str], *, policy: FetchPolicy, deadline: _Deadline
) -> _Response:
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection: http.client.HTTPConnection | None = None
    try:
        try:
            connection = connection_class(
                target.host, target.port, addresses=addresses, deadline=deadline
            )
            connection.putrequest("GET", target.path, skip_accept_encoding=True)
            connection.putheader("User-Agent", USER_AGENT)
            connection.putheader("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9")
            # We hash the body as sent; a compressed body would hash differently per server.
            connection.putheader("Accept-Encoding", "identity")
            connection.putheader("Connection", "close")
            connection.endheaders()
            response = connection.getresponse()
            # The watchdog's cut ends a trickled header block early, and what arrived by then
            # may parse as a short, valid response: judge nothing that came in after time ran out.
            if deadline.expired():
                raise deadline.timed_out()
            return _read_response(target, response, policy=policy, deadline=deadline)
        except http.client.InvalidURL:
            raise FetchRefused(
                f"The URL {target.url!r} contains characters that cannot be sent."
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            if deadline.expired():
                raise deadline.timed_out() from exc
            raise FetchFailed(f"Fetching {target.url} failed: {_describe(exc)}.") from exc
    finally:
        if connection is not None:
            connection.close()


def _read_response(
    target: _Target,
    response: http.client.HTTPResponse,
    *,
    policy: FetchPolicy,
    deadline: _Deadline,
) -> _Response:
    status = response.status
    if status in REDIRECT_STATUSES:
        location = response.getheader("Location")
        return _Response(
            status, response.reason, location.strip() if location else None, "", None, b""
        )
    if status >= 300:
        # >= 400 is the brief; other 3xx (300, 304, 305) give us nothing to read either.
        raise FetchFailed(
            f"The page at {target.url} answered HTTP {status} {response.reason}.".replace(
                " .", "."
            ),
            status=status,
        )
    content_type = response.headers.get_content_type() if response.getheader("Content-Type") else ""
    if not content_type:
        raise FetchRefused(
            f"The page at {target.url} did not say what type of content it sent, "
            "so it was not read."
        )
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise FetchRefused(
            f"The page at {target.url} sent {content_type}, which is not read here "
            f"(only {', '.join(ACCEPTED_CONTENT_TYPES)})."
        )
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise FetchRefused(
            f"The page at {target.url} sent a {encoding}-encoded body although we asked for none."
        )
    too_big = FetchRefused(
        f"The page at {target.url} sent more than the {policy.max_bytes:,}-byte limit, "
        "so it was not kept."
    )
    if response.length is not None and response.length > policy.max_bytes:
        raise too_big  # Announced: refuse before reading a byte of it.
    chunks: list[bytes] = []
    received = 0
    while True:
        # read1 returns after one socket read, so the deadline is checked between trickles.
        chunk = response.read1(READ_CHUNK)
        if deadline.expired():
            raise deadline.timed_out()
        if not chunk:
            break
        received += len(chunk)
        if received > policy.max_bytes:
            raise too_big
        chunks.append(chunk)
    charset = response.headers.get_content_charset()
    return _Response(status, response.reason, None, content_type, charset, b"".join(chunks))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the TLS certificate was not accepted ({exc.verify_message})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower().rstrip(".")
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return text.replace(". ", "; ")


def _build(url: str, target: _Target, response: _Response, redirects: tuple[str, ...]) -> Fetched:
    document, encoding = _decode(response.body, response.content_type, response.charset)
    if response.content_type in HTML_TYPES:
        text, title, author, published = _extract(document, target.url)
    else:
        text, title, author, published = document.strip(), "", "", None
    return Fetched(
        url=url,
        final_url=target.url,
        status=response.status,
        content_type=response.content_type,
        encoding=encoding,
        body_sha256=hashlib.sha256(response.body).hexdigest(),
        html=document,
        text=text,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        title=title,
        author=author,
        published=published,
        redirects=redirects,
    )


def _decode(body: bytes, content_type: str, header_charset: str | None) -> tuple[str, str]:
    """Decode as a browser would: byte-order mark, then the header's charset, then <meta
    charset> (HTML only), then detection, then UTF-8."""
    for bom, bom_codec in BOMS:
        if body.startswith(bom):
            return body.decode(bom_codec, errors="replace"), codecs.lookup(bom_codec).name
    labels: list[str | None] = [header_charset]
    if content_type in HTML_TYPES:
        labels.append(_meta_charset(body))
    for label in labels:
        codec = _codec(label)
        if codec is not None:
            return body.decode(codec, errors="replace"), codec
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        codec = _codec(best.encoding) or "utf-8"
        return body.decode(codec, errors="replace"), codec
    return body.decode("utf-8", errors="replace"), "utf-8"


def _meta_charset(body: bytes) -> str | None:
    match = META_CHARSET.search(body[:META_SNIFF_BYTES])
    if match is None:
        return None
    label = match.group(1).decode("ascii", errors="ignore")
    # A <meta> we could read as ASCII cannot be UTF-16; WHATWG reads that label as UTF-8.
    return "utf-8" if label.lower().startswith("utf-16") else label


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in WINDOWS_1252_LABELS:
        label = "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _extract(document: str, url: str) -> tuple[str, str, str, date | None]:
    extracted = trafilatura.bare_extraction(
        document, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    if isinstance(extracted, Document):
        meta = extracted
        text = extracted.text or ""
    else:
        # Too little prose for the extractor (a short page): keep its metadata and whole text.
        meta = trafilatura.extract_metadata(document, default_url=url)
        text = trafilatura.html2txt(document) or ""
    return text.strip(), meta.title or "", meta.author or "", _parse_date(meta.date)


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


# --- Posting (webhooks) ---------------------------------------------------------------------

POST_USER_AGENT = "claim-tracker-webhooks/0.1"
# A receiver's answer only goes into the delivery log; there is no reason to read more of it.
POST_RESPONSE_KEEP = 2048


@dataclass(frozen=True)
class Posted:
    """What a server answered to a POST: any status (redirects are not followed)."""

    url: str
    status: int
    reason: str
    # The first POST_RESPONSE_KEEP bytes of the answer at most.
    body: bytes


def check_url(url: str) -> None:
    """The checks that need no DNS, for a URL stored now and requested later (webhook
    subscribers): http(s), no credentials, a host, and no literal non-public address. Raise
    :class:`FetchRefused`. A name is not resolved here: what it points at may change, so the
    address check proper happens at request time, in :func:`fetch` or :func:`post`."""
    target = _parse_target(url, redirected=False)
    address = _literal_address(target.host)
    if address is not None:
        why = _why_not_public(address, FetchPolicy())
        if why is not None:
            raise FetchRefused(f"The URL {url} points at {target.host}, {why}, so it is not used.")


def check_url_to_fetch(url: str) -> None:
    """:func:`check_url`, plus the names that always mean this machine (localhost and
    *.localhost, RFC 6761), for a URL the editor asks to fetch now: refusing it when it is
    submitted answers at once, where the queued fetch would refuse it only later. Other names
    are resolved, and their addresses vetted, by :func:`fetch`. Raise :class:`FetchRefused`."""
    check_url(url)
    host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise FetchRefused(
            f"The URL {url} points at {host}, a loopback address, so it is not fetched."
        )


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # The odd IPv4 forms (2130706433, 0x7f.1, 0177.0.0.1) that getaddrinfo would read as
        # addresses; inet_aton parses them without asking any resolver.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def post(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str],
    policy: FetchPolicy = FetchPolicy(),
) -> Posted:
    """POST ``body`` to ``url`` under the same address rules as :func:`fetch` (vetted after
    DNS, connected to the vetted address, one deadline for everything) and return the answer,
    whatever its status. Redirects are not followed: a POST that moved is the receiver's
    misconfiguration, and following it would re-send the body somewhere nobody vetted for it.
    Raise :class:`FetchRefused` (policy) or :class:`FetchFailed` (network, time)."""
    deadline = _Deadline(policy.timeout_s, f"Posting to {url}")
    connection: http.client.HTTPConnection | None = None
    try:
        target = _parse_target(url, redirected=False)
        try:
            addresses = _vet(
                target.host, target.port, subject=f"The URL {url}", policy=policy, deadline=deadline
            )
        except FetchRefused as exc:
            # _vet words its refusal for a fetch.
            raise FetchRefused(
                exc.reason.replace("it was not fetched", "nothing was sent")
            ) from None
        connection_class = (
            _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        )
        try:
            connection = connection_class(
                target.host, target.port, addresses=addresses, deadline=deadline
            )
            connection.putrequest("POST", target.path, skip_accept_encoding=True)
            connection.putheader("User-Agent", POST_USER_AGENT)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.putheader("Connection", "close")
            connection.endheaders(body)
            response = connection.getresponse()
            kept = b""
            while len(kept) < POST_RESPONSE_KEEP:
                chunk = response.read1(POST_RESPONSE_KEEP - len(kept))
                if not chunk or deadline.expired():
                    break
                kept += chunk
            if deadline.expired():
                raise deadline.timed_out()
            return Posted(url=url, status=response.status, reason=response.reason, body=kept)
        except http.client.InvalidURL:
            raise FetchRefused(
                f"The URL {target.url!r} contains characters that cannot be sent."
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            if deadline.expired():
                raise deadline.timed_out() from exc
            raise FetchFailed(f"Posting to {target.url} failed: {_describe(exc)}.") from exc
    finally:
        if connection is not None:
            connection.close()
        deadline.finish()


__all__ += ["POST_USER_AGENT", "Posted", "check_url", "check_url_to_fetch", "post"]
