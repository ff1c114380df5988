"""A blocking transport on `requests` (install the `requests` extra).

Usage::

    from transports.requests import RequestsTransport

    with Client(settings, RequestsTransport()) as client:
        client.fetch_batch("01FC66621XXXXX119Z8PMV1QPQ")
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from types import TracebackType
from typing import final

import requests
import requests.adapters
import urllib3
import urllib3.exceptions
from urllib3.util import SKIP_HEADER

from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
    TlsException,
    TransportException,
)

_CHUNK = 64 * 1024

# Raised while the answer's body is read, after the request was sent.
_BROKEN_BODY = (
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    requests.RequestException,
)


def _connect_failed(exc: requests.ConnectionError) -> bool:
    """Whether `exc` happened while connecting, so that no request byte left."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    # NewConnectionError covers refused connections and DNS failures (NameResolutionError);
    # a closed pool means the transport was closed before anything was sent.
    return isinstance(
        reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ClosedPoolError)
    )


@final
class RequestsTransport:
    """Sends each request through one `requests.Session`, keeping connections alive.

    The request goes out exactly as given. It is prepared on its own and handed
    to the session's adapter, so the session's headers, cookies, auth and hooks
    are never applied, a `~/.netrc` is never read, no `User-Agent` is added,
    no cookie is kept, and redirects are not followed (not even read: a 3xx
    body comes back like any other). Only what HTTP needs is added: `host`,
    `content-length` and `accept-encoding: identity`. Every HTTP status comes
    back as an `HttpResponse`. One transport may be used from many threads.

    Failures map to the transport exceptions, cause chained:

    * `ConnectException`: the request provably never left: connection refused,
      DNS failure, proxy unreachable, transport closed. `TlsException` (a
      `ConnectException`): handshake or certificate verification failed.
    * `TimeoutException`: the connect or a read deadline passed. A connect
      timeout means nothing was sent, but it stays a timeout, which the retry
      policy treats on its own terms.
    * `ConnectionLostException`: the connection broke after the request may
      have been sent: dropped mid-answer, truncated or undecodable body, an
      answer larger than `max_response_bytes`, and also a reset or a
      disconnect on a reused keep-alive connection before any byte of the
      answer. urllib3 checks a pooled connection before reusing it, but the
      server may close it between that check and our write, and whether it
      read the request first cannot be told from here, so "may have been
      sent" is the only safe reading.
    * `TransportException`: anything else from requests (an invalid URL, say).

    Args:
        session: The session whose adapters (connection pools) and proxy
            settings to use; the transport does not change it, and closes it
            only if it created it. By default a new one, with retries off on
            both `http://` and `https://`; a session of your own should have
            `HTTPAdapter(max_retries=0)` too, or urllib3 may re-send a request.
        verify: True to verify certificates against the system's CAs (or the
            `REQUESTS_CA_BUNDLE` environment variable, as requests does), a
            path to a CA bundle, or False to skip verification.
        proxies: Proxy URLs by scheme, as requests takes them; the
            environment's proxies apply too, as in requests.
        max_response_bytes: The largest (decoded) body accepted.
    """

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        verify: bool | str = True,
        proxies: Mapping[str, str] | None = None,
        max_response_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        if max_response_bytes < 0:
            raise ValueError("max_response_bytes must not be negative")
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            for prefix in ("http://", "https://"):
                session.mount(prefix, requests.adapters.HTTPAdapter(max_retries=0))
        self._session = session
        self._verify = verify
        self._proxies = dict(proxies) if proxies is not None else None
        self._max_response_bytes = max_response_bytes
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
    def _headers(request: HttpRequest) -> dict[str, str]:
        # SKIP_HEADER stops urllib3 from adding a User-Agent of its own.
        headers = {"user-agent": SKIP_HEADER}
        sent: dict[str, str] = {}
        for name, value in request.headers:
            sent[name] = f"{sent[name]}, {value}" if name in sent else value
        headers.update(sent)
        return headers

    def _send(self, request: HttpRequest, timeout: float) -> requests.Response:
        # Session.send is bypassed: it reads the body of every 3xx (to offer the next
        # request) and keeps cookies; a prepared request also never merges session
        # headers or cookies, nor a ~/.netrc login.
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=request.method,
            url=request.url,
            headers=self._headers(request),
            data=request.body,
        )
        url = prepared.url or request.url
        settings = self._session.merge_environment_settings(
            url=url, proxies=dict(self._proxies or {}), stream=True, verify=self._verify, cert=None
        )
        verify = settings["verify"]
        adapter = self._session.get_adapter(url)
        return adapter.send(
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
            request: The request, sent exactly as given.
            timeout: Seconds allowed to connect, and for each read.

        Returns:
            The answer.

        Raises:
            ConnectException: The request was provably not sent.
            TlsException: The TLS handshake or certificate check failed.
            TimeoutException: Connecting or a read took longer than `timeout`.
            ConnectionLostException: The answer broke off or was too large.
            TransportException: Any other failure in requests.
        """
        if self._closed:
            raise ConnectException("the transport is closed")
        try:
            reply = self._send(request, timeout)
        except requests.exceptions.SSLError as exc:
            raise TlsException(f"TLS failed: {exc}") from exc
        except requests.exceptions.ProxyError as exc:
            raise ConnectException(f"cannot reach the proxy: {exc}") from exc
        except requests.Timeout as exc:  # ConnectTimeout and ReadTimeout
            raise TimeoutException(f"no answer within {timeout} s: {exc}") from exc
        except requests.ConnectionError as exc:
            if _connect_failed(exc):
                raise ConnectException(f"cannot connect: {exc}") from exc
            raise ConnectionLostException(f"connection lost: {exc}") from exc
        except requests.RequestException as exc:
            raise TransportException(f"request failed: {exc}") from exc
        with reply:
            return HttpResponse(
                status=reply.status_code,
                headers=self._reply_headers(reply),
                body=self._read_body(reply, timeout),
            )

    @staticmethod
    def _reply_headers(reply: requests.Response) -> list[tuple[str, str]]:
        raw = reply.raw
        if isinstance(raw, urllib3.BaseHTTPResponse):
            return list(raw.headers.items())  # every value of a repeated header
        return list(reply.headers.items())

    def _read_body(self, reply: requests.Response, timeout: float) -> bytes:
        limit = self._max_response_bytes
        body = bytearray()
        try:
            for chunk in reply.raw.stream(_CHUNK, decode_content=True):
                body += chunk
                if len(body) > limit:
                    raise ConnectionLostException(f"response larger than {limit} bytes")
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
            raise TimeoutException(f"no data within {timeout} s") from exc
        except _BROKEN_BODY as exc:
            raise ConnectionLostException(f"connection lost mid-answer: {exc}") from exc
        return bytes(body)

    def close(self) -> None:
        """Close the pooled connections (and the session, if the transport made it)."""
        self._closed = True
        if self._owns_session:
            self._session.close()
