"""A blocking transport on `requests` (install the `requests` extra).

Usage::

    from transports.requests import RequestsTransport

    with Client(settings, RequestsTransport()) as client:
        client.fetch_batch("01FC66621XXXXX119Z8PMV1QPQ")
"""

from __future__ import annotations

import contextlib
import http.client
import io
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Final, final

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from urllib3 import HTTPHeaderDict
from urllib3.util import SKIP_HEADER

from transports._contract import (
    MAX_INTERIM_RESPONSES,
    CheckedHeads,
    attempt_deadline,
    certificate_failure,
)
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
    TlsException,
    TransportException,
)

_CHUNK = 64 * 1024
_PROXY_AUTH_REQUIRED: Final = "407"

# Raised while the answer's body is read, after the request was sent.
_BROKEN_BODY = (
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    requests.RequestException,
)


@final
class _Attempt:
    """What one call knows about itself while urllib3 and http.client run it.

    Attributes:
        timeout: The per-step timeout.
        deadline: Seconds allowed for the whole attempt.
        end: When the attempt's deadline passes (monotonic clock).
        sent: Whether a byte of the request may have left (the first write began).
    """

    __slots__ = ("deadline", "end", "sent", "timeout")

    def __init__(self, timeout: float, deadline: float) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self.end = time.monotonic() + deadline
        self.sent = False


_ATTEMPT: ContextVar[_Attempt | None] = ContextVar("xms_requests_attempt", default=None)


class _Broken(http.client.HTTPException):
    """The answer broke HTTP/1.1 framing (mapped to `ConnectionLostException`)."""


class _DeadlineReader(io.RawIOBase):
    """The socket as http.client reads it, with the attempt's deadline on every read.

    A server that drips bytes (or interim answers) never lets a per-read
    timeout fire; here each read may wait only for what is left of the whole
    attempt. It also notes an EOF, so that a head cut off by a close is seen.
    """

    def __init__(self, raw: Any, sock: socket.socket, attempt: _Attempt | None) -> None:  # noqa: ANN401
        super().__init__()
        self._raw = raw  # the socket's own file: it keeps the socket open until closed
        self._sock = sock
        self._attempt = attempt
        self.eof = False
        self.shrunk = False
        self.buffered_only = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:  # noqa: ANN401 - io's own signature
        if self.buffered_only:  # peeking at what is already buffered: never touch the socket
            return None
        attempt = self._attempt
        if attempt is not None:
            left = attempt.end - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"the attempt took longer than its deadline of {attempt.deadline:g} s"
                )
            if left < attempt.timeout:
                self._sock.settimeout(left)
                self.shrunk = True
        count: int | None = self._raw.readinto(buffer)
        if count == 0:
            self.eof = True
        return count

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _Response(http.client.HTTPResponse):
    """http.client's response, made strict where it is lenient.

    * Interim answers (1xx) are skipped, at most `MAX_INTERIM_RESPONSES` of
      them (http.client skips only `100` and returns a `103` as the answer,
      leaving the real one in the pooled connection for the next request).
    * A head cut off by a close, or with conflicting or invalid
      `content-length`, is broken framing.
    * Every read is bounded by the attempt's deadline.
    * Bytes already read past the end of the answer make the connection
      unusable: it is shut down, so urllib3 discards it instead of reusing it.
    """

    def __init__(
        self,
        sock: socket.socket,
        debuglevel: int = 0,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        self._xms_sock = sock
        self._xms_attempt = _ATTEMPT.get()
        # http.client's buffered file is rebuilt over the same socket file, deadline-aware.
        self._xms_reader = _DeadlineReader(self.fp.detach(), sock, self._xms_attempt)
        self.fp = io.BufferedReader(self._xms_reader)

    def _read_status(self) -> tuple[str, int, str]:
        for _ in range(MAX_INTERIM_RESPONSES + 1):
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 100 <= status < 200:  # noqa: PLR2004 - the interim range
                return version, status, reason
            http.client.parse_headers(self.fp)  # an interim head: read and dropped
        raise _Broken(f"more than {MAX_INTERIM_RESPONSES} interim (1xx) answers")

    def begin(self) -> None:
        super().begin()
        if self._xms_reader.eof:
            raise _Broken("the server closed the connection in the middle of the head")
        lengths = self.msg.get_all("content-length") or []
        values = {value.strip() for value in lengths}
        if len(values) > 1 or not all(value.isdigit() for value in values):
            raise _Broken(f"conflicting or invalid content-length: {sorted(values)}")

    def _close_conn(self) -> None:
        reader = self._xms_reader
        fp = self.fp
        if not self.will_close:
            reader.buffered_only = True
            try:
                extra = bool(fp.peek(1))
            except (OSError, ValueError):
                extra = True
            reader.buffered_only = False
            sock = self._xms_sock
            if extra or (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                # Bytes nobody asked for: whatever they are, they must never become
                # the answer to the next request. A shut-down socket reads as EOF,
                # so urllib3 drops the connection at its next checkout.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            elif reader.shrunk and self._xms_attempt is not None:
                with contextlib.suppress(OSError):
                    sock.settimeout(self._xms_attempt.timeout)
        super()._close_conn()  # type: ignore[misc]


class _ConnectionMixin:
    """Marks the attempt as possibly sent at its first write, tunnel set-up excluded."""

    _xms_connecting = False
    sock: socket.socket | None

    def connect(self) -> None:
        self._xms_connecting = True
        try:
            super().connect()  # type: ignore[misc]
        finally:
            self._xms_connecting = False

    def send(self, data: Any) -> None:  # noqa: ANN401 - http.client's own signature
        if self.sock is None:
            self.connect()
        attempt = _ATTEMPT.get()
        if attempt is not None and not self._xms_connecting:
            attempt.sent = True
        super().send(data)  # type: ignore[misc]


class _HTTPConnection(_ConnectionMixin, urllib3.connection.HTTPConnection):
    response_class = _Response


class _HTTPSConnection(_ConnectionMixin, urllib3.connection.HTTPSConnection):
    response_class = _Response


class _HTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS: Final = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(requests.adapters.HTTPAdapter):
    """requests' adapter on the strict connections above; never retries."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> urllib3.PoolManager:  # noqa: ANN401
        manager: urllib3.PoolManager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


class _OrderedHeaders(HTTPHeaderDict):
    """urllib3's header dict, writing the request's pairs in their own order.

    `HTTPHeaderDict` groups the values of a repeated name together; the
    transport contract sends the pairs as given (`x-a: 1`, `x-b`, `x-a: 2`).
    Names added later (framing, `SKIP_HEADER` markers, a proxy's
    credentials) come after them.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        self._pairs = list(pairs)
        for name, value in self._pairs:
            self.add(name, value)

    def _later(self) -> list[tuple[str, str]]:
        names = {name.lower() for name, _ in self._pairs}
        return [
            (key, value) for key in self if key.lower() not in names for value in self.getlist(key)
        ]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return self._pairs + self._later()

    def copy(self) -> _OrderedHeaders:
        clone = _OrderedHeaders(self._pairs)
        for name, value in self._later():
            clone.add(name, value)
        return clone


def _tls_failure(exc: BaseException) -> TlsException:
    error = TlsException(f"TLS failed: {exc}")
    error.permanent = certificate_failure(exc)
    return error


def _proxy_refusal(exc: BaseException) -> ConnectException | None:
    """The refused tunnel set-up in `exc` (http.client: `Tunnel connection failed: 407 ...`)."""
    text = str(exc)
    if "Tunnel connection failed" not in text:
        return None
    if f"failed: {_PROXY_AUTH_REQUIRED}" in text:
        error = ConnectException(
            "the proxy refused the tunnel: 407 Proxy Authentication Required"
            " (give credentials in the proxy URL as http://user:password@host:port)"
        )
        error.permanent = True
        return error
    return ConnectException(f"the proxy refused the tunnel: {exc}")


@final
class RequestsTransport:
    """Sends each request through requests' adapters, keeping connections alive.

    The request goes out as the transport contract in `transports.base` says:
    its headers in order, a repeated name as repeated lines, plus only `host`
    and `content-length` where the request lacks them (no `User-Agent`, no
    `Accept-Encoding`). It is prepared on its own and handed to the
    transport's own adapter, so a session's headers, cookies, auth and hooks
    are never applied, a `~/.netrc` is never read, no cookie is kept, and
    redirects are not followed (not even read: a 3xx body comes back like any
    other). Every HTTP status comes back as an `HttpResponse`. One transport
    may be used from many threads.

    The answer is read strictly: interim (1xx) answers are skipped (at most
    `MAX_INTERIM_RESPONSES`), a head cut off or with conflicting framing is a
    lost connection, every read is bounded by the attempt's overall deadline,
    and a connection with unread bytes after an answer is never reused.

    Failures map to the transport exceptions, cause chained:

    * `ConnectException`: the request provably never left: connection refused,
      DNS failure, proxy unreachable or refusing the tunnel, transport closed,
      a header HTTP cannot carry. `TlsException` (a `ConnectException`):
      handshake or certificate verification failed. A certificate failure and
      a proxy's 407 are `permanent`: never retried.
    * `TimeoutException`: the connect, a read, or the attempt's deadline passed.
    * `ConnectionLostException`: the connection broke after a byte of the
      request may have left (through a proxy too): dropped mid-answer,
      truncated head or body, broken framing, too many interim answers, an
      answer larger than `max_response_bytes`, a reset on a reused
      keep-alive connection.
    * `TransportException`: anything else from requests before sending (an
      invalid URL, say).

    Args:
        session: Read for its proxies, `trust_env` and client certificate only
            (its adapters, headers, cookies and auth are not used); the
            transport closes it only if it created it.
        verify: True to verify certificates against the system's CAs (or the
            `REQUESTS_CA_BUNDLE` environment variable, as requests does), a
            path to a CA bundle, or False to skip verification.
        proxy: `http://[user:password@]host:port` of an HTTP proxy for both
            http and https (CONNECT), as the h11 transports take it.
        proxies: Proxy URLs by scheme, as requests takes them (`proxy` wins).
        trust_env: Honour `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` (and requests'
            CA bundle variables) when no proxy is given, as every transport does.
        deadline: Seconds for one whole attempt (connect, write, head and
            body); None: twice the call's `timeout`.
        max_response_bytes: The largest (decoded) body accepted.
    """

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        verify: bool | str = True,
        proxy: str | None = None,
        proxies: Mapping[str, str] | None = None,
        trust_env: bool = True,
        deadline: float | None = None,
        max_response_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        if max_response_bytes < 0:
            raise ValueError("max_response_bytes must not be negative")
        if deadline is not None and not deadline > 0:
            raise ValueError(f"deadline must be positive, got {deadline}")
        self._owns_session = session is None
        self._session = requests.Session() if session is None else session
        self._adapter = _Adapter()
        self._verify = verify
        chosen = dict(proxies) if proxies is not None else {}
        if proxy is not None:
            chosen = {"http": proxy, "https": proxy}
        self._proxies = chosen
        self._trust_env = trust_env
        self._deadline = deadline
        self._max_response_bytes = max_response_bytes
        self._checked = CheckedHeads()
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"RequestsTransport(verify={self._verify!r}, "
            f"max_response_bytes={self._max_response_bytes}, closed={self._closed})"
        )

    def __enter__(self) -> RequestsTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @staticmethod
    def _headers(request: HttpRequest) -> HTTPHeaderDict:
        headers = _OrderedHeaders(request.headers)  # a repeated name stays a repeated line
        names = {name for name, _ in request.headers}
        # SKIP_HEADER stops urllib3 and http.client from adding their own.
        for added in ("user-agent", "accept-encoding"):
            if added not in names:
                headers[added] = SKIP_HEADER
        body = request.body
        if body is not None and not names & {"content-length", "transfer-encoding"}:
            headers["content-length"] = str(len(body))
        return headers

    def _send(self, request: HttpRequest, timeout: float) -> requests.Response:
        # Session.send is bypassed: it reads the body of every 3xx (to offer the next
        # request) and keeps cookies; a prepared request also never merges session
        # headers or cookies, nor a ~/.netrc login.
        prepared = requests.PreparedRequest()
        prepared.prepare(method=request.method, url=request.url, data=request.body)
        prepared.headers = self._headers(request)  # type: ignore[assignment]
        url = prepared.url or request.url
        if self._trust_env and self._session.trust_env:
            settings = self._session.merge_environment_settings(
                url=url, proxies=dict(self._proxies), stream=True, verify=self._verify, cert=None
            )
        else:
            settings = {
                "proxies": {**self._session.proxies, **self._proxies},
                "stream": True,
                "verify": self._verify,
                "cert": self._session.cert,
            }
        verify = settings["verify"]
        return self._adapter.send(
            prepared,
            stream=True,
            timeout=(timeout, timeout),
            verify=True if verify is None else verify,
            cert=settings["cert"],
            proxies=settings["proxies"],
        )

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        """Send `request` and return the whole answer, whatever its status.

        Args:
            request: The request, sent as the transport contract says.
            timeout: Seconds allowed to connect, and for each read.

        Returns:
            The answer.

        Raises:
            ConnectException: The request was provably not sent.
            TlsException: The TLS handshake or certificate check failed.
            TimeoutException: Connecting, a read or the whole attempt took too long.
            ConnectionLostException: The answer broke off, broke framing or was too large.
            TransportException: Any other failure in requests.
        """
        if self._closed:
            raise ConnectException("the transport is closed")
        self._checked.check(request)
        attempt = _Attempt(timeout, attempt_deadline(timeout, self._deadline))
        token = _ATTEMPT.set(attempt)
        try:
            return self._exchange(request, timeout, attempt)
        finally:
            _ATTEMPT.reset(token)

    def _exchange(self, request: HttpRequest, timeout: float, attempt: _Attempt) -> HttpResponse:
        try:
            reply = self._send(request, timeout)
        except requests.exceptions.SSLError as exc:
            if attempt.sent:
                raise ConnectionLostException(f"TLS failed mid-exchange: {exc}") from exc
            raise _tls_failure(exc) from exc
        except requests.Timeout as exc:  # ConnectTimeout and ReadTimeout
            raise TimeoutException(self._timed_out(attempt, exc)) from exc
        except requests.ConnectionError as exc:  # ProxyError included
            refusal = None if attempt.sent else _proxy_refusal(exc)
            if refusal is not None:
                raise refusal from exc
            if attempt.sent:  # whatever urllib3 calls it (a ProxyError too)
                raise ConnectionLostException(f"connection lost: {exc}") from exc
            if isinstance(exc, requests.exceptions.ProxyError):
                raise ConnectException(f"cannot reach the proxy: {exc}") from exc
            raise ConnectException(f"cannot connect: {exc}") from exc
        except requests.RequestException as exc:
            if attempt.sent:
                raise ConnectionLostException(f"connection lost: {exc}") from exc
            raise TransportException(f"request failed: {exc}") from exc
        with reply:
            return HttpResponse(
                status=reply.status_code,
                headers=self._reply_headers(reply),
                body=self._read_body(reply, attempt),
            )

    @staticmethod
    def _timed_out(attempt: _Attempt, exc: BaseException) -> str:
        if time.monotonic() >= attempt.end:
            return f"the attempt took longer than its deadline of {attempt.deadline:g} s"
        return f"no answer within {attempt.timeout:g} s: {exc}"

    @staticmethod
    def _reply_headers(reply: requests.Response) -> list[tuple[str, str]]:
        raw = reply.raw
        # http.client's own message keeps every line in the order received; urllib3's
        # headers would group a repeated name's values under its first line (requests
        # reads cookies from the same attribute).
        original = getattr(raw, "_original_response", None)
        if isinstance(original, http.client.HTTPResponse):
            return list(original.msg.items())
        if isinstance(raw, urllib3.BaseHTTPResponse):
            return list(raw.headers.items())  # every value of a repeated header
        return list(reply.headers.items())

    def _read_body(self, reply: requests.Response, attempt: _Attempt) -> bytes:
        limit = self._max_response_bytes
        body = bytearray()
        try:
            for chunk in reply.raw.stream(_CHUNK, decode_content=True):
                body += chunk
                if len(body) > limit:
                    raise ConnectionLostException(f"response larger than {limit} bytes")
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
            raise TimeoutException(self._timed_out(attempt, exc)) from exc
        except _BROKEN_BODY as exc:
            raise ConnectionLostException(f"connection lost mid-answer: {exc}") from exc
        return bytes(body)

    def close(self) -> None:
        """Close the pooled connections (and the session, if the transport made it)."""
        self._closed = True
        self._adapter.close()
        if self._owns_session:
            self._session.close()
