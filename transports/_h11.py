"""The HTTP/1.1 exchange shared by the h11 transports: bytes in, bytes out, no I/O.

`TrioTransport`, `AsyncioTransport` and `H11Transport` differ only in how they
move bytes. Everything about HTTP lives here, once:

* `Options`: the settings the three transports take, checked once, plus the
  lazily built TLS context.
* `Router`: an absolute URL to a `Route` (which connection, which request
  target, which `host`), cached per origin; it knows about the HTTP proxy
  (absolute-form targets for `http`, a CONNECT tunnel for `https`).
* `Exchange`: one h11 client connection. `request_bytes` turns an
  `HttpRequest` into the bytes to write, `receive` takes what was read (`b""`
  at EOF) and returns the `HttpResponse` once complete, enforcing the size
  caps, and `reusable` says whether the connection may serve the next request.
* `Heads` (in `_h11_heads`): builds the h11 request events, having h11 check
  each distinct request head once per transport rather than once per request.
* `Tunnel`: the CONNECT exchange with a proxy.

Every failure leaves here as an `xms_core.exceptions` class, cause chained.
"""

from __future__ import annotations

import base64
import re
import ssl
import urllib.request
from typing import Final, Literal, final
from urllib.parse import unquote

import attrs
import h11

from transports._contract import MAX_INTERIM_RESPONSES
from transports._h11_heads import Heads
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import ConnectException, ConnectionLostException

Key = tuple[str, str, int]
"""What a pooled connection is good for: (scheme or "proxy", host, port)."""

Pairs = tuple[tuple[str, str], ...]
"""Header pairs as an `HttpRequest` holds them."""

RECEIVE_SIZE: Final = 64 * 1024
"""How many bytes the transports ask for per read."""

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_URL: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^#]*)")
_ROUTE_CACHE_SIZE: Final = 256
_PROXY_AUTH_REQUIRED: Final = 407


def ssl_context(verify: bool | str | ssl.SSLContext) -> ssl.SSLContext:
    """Build the client TLS context for the `verify` option.

    Args:
        verify: True for a verifying context on certifi's bundle when certifi is
            importable (the system store otherwise); a path to a CA bundle; an
            `ssl.SSLContext` used as is; or False to skip verification entirely.

    Returns:
        The context to wrap every TLS connection with.
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if isinstance(verify, str):
        context = ssl.create_default_context(cafile=verify)
    elif verify:
        try:
            import certifi  # noqa: PLC0415 - optional, and only needed for the first https request
        except ImportError:  # pragma: no cover - certifi is installed wherever requests is
            context = ssl.create_default_context()
        else:
            context = ssl.create_default_context(cafile=certifi.where())
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


def _split_authority(authority: str, default_port: int, *, what: str) -> tuple[str, int]:
    """Split `host[:port]` (IPv6 literals in brackets) into a host and a port."""
    if authority.startswith("["):
        end = authority.find("]")
        host, rest = authority[1:end], authority[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            raise ConnectException(f"malformed host in the {what}: {authority!r}")
        port_text = rest[1:]
    else:
        host, _, port_text = authority.partition(":")
    if not host:
        raise ConnectException(f"no host in the {what}: {authority!r}")
    if not port_text:
        return host.lower(), default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:  # noqa: PLR2004 - TCP ports
        raise ConnectException(f"bad port in the {what}: {authority!r}")
    return host.lower(), int(port_text)


def _authority(host: str, port: int, default_port: int | None) -> str:
    """Format `host[:port]` for a header or a target, bracketing IPv6 literals."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port == default_port else f"{shown}:{port}"


@final
@attrs.frozen(kw_only=True)
class Proxy:
    """An HTTP proxy every request goes through.

    Attributes:
        host: The proxy's host.
        port: The proxy's port.
        authorization: The `proxy-authorization` value, from the URL's user info.
    """

    host: str
    port: int
    authorization: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> Proxy:
        """Parse `http://[user:password@]host:port`.

        Raises:
            ValueError: The URL is not an `http://` proxy URL.
        """
        match = _URL.fullmatch(url)
        if match is None or match[1].lower() != "http" or match[3] not in {"", "/"}:
            raise ValueError(f"proxy must look like http://host:port, got {_redact(url)!r}")
        userinfo, _, authority = match[2].rpartition("@")
        try:
            host, port = _split_authority(authority, 80, what="proxy URL")
        except ConnectException as exc:
            raise ValueError(str(exc)) from None
        authorization = None
        if userinfo:
            user, _, password = userinfo.partition(":")
            pair = f"{unquote(user)}:{unquote(password)}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        return cls(host=host, port=port, authorization=authorization)

    def __str__(self) -> str:
        return f"http://{_authority(self.host, self.port, None)}"


def _redact(url: str) -> str:
    """Drop any user info from a URL so it can be shown."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else "<not a URL>"


@final
@attrs.frozen(kw_only=True)
class Route:
    """How to reach one origin: where to connect and what to put on the request line.

    Attributes:
        key: The pool key: connections with equal keys are interchangeable.
        connect_host: Where the TCP connection goes (the origin or the proxy).
        connect_port: Its port.
        tls_hostname: The origin's host name for TLS (SNI, verification); None for http.
        tunnel: `host:port` to send CONNECT for before TLS, or None.
        prefix: What goes before the path on the request line: `http://authority`
            for an absolute-form request through a proxy, else "".
        host_header: The `host` header value.
        proxy_authorization: Sent with absolute-form requests (and CONNECT).
    """

    key: Key
    connect_host: str
    connect_port: int
    tls_hostname: str | None
    tunnel: str | None
    prefix: str
    host_header: str
    proxy_authorization: str | None = attrs.field(repr=False)


def environment_proxies() -> dict[str, str]:
    """`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` (either case), as urllib reads them."""
    return urllib.request.getproxies_environment()


@final
class Router:
    """Maps absolute URLs to routes and request targets, caching per origin.

    Args:
        proxy: The proxy for every request, or None.
        environment: When `proxy` is None, proxy URLs by scheme (`http`,
            `https`, `all`) and the `no` list, as `environment_proxies` returns
            them; hosts that `NO_PROXY` names are reached directly.
    """

    __slots__ = ("_cache", "_environment", "_proxy")

    def __init__(self, proxy: Proxy | None, environment: dict[str, str] | None = None) -> None:
        self._proxy = proxy
        self._environment = environment or {}
        self._cache: dict[str, Route] = {}

    def _proxy_for(self, scheme: str, host: str, port: int) -> Proxy | None:
        if self._proxy is not None or not self._environment:
            return self._proxy
        environment = self._environment
        url = environment.get(scheme) or environment.get("all")
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        if not url or bypass(f"{host}:{port}", environment):
            return None
        if "://" not in url:
            url = "http://" + url
        try:
            return Proxy.from_url(url)
        except ValueError as exc:
            raise ConnectException(f"unusable {scheme} proxy in the environment: {exc}") from None

    def route(self, url: str) -> tuple[Route, str]:
        """Return the route for `url` and the target for its request line.

        Raises:
            ConnectException: `url` is not an absolute http or https URL.
        """
        match = _URL.match(url)
        if match is None:
            raise ConnectException(f"not an absolute http(s) URL: {_redact(url)!r}")
        path = match[3]
        if not path:
            path = "/"
        elif path[0] == "?":
            path = "/" + path
        origin = url[: match.end(2)]
        route = self._cache.get(origin)
        if route is None:
            route = self._new_route(match[1].lower(), match[2])
            if len(self._cache) >= _ROUTE_CACHE_SIZE:
                self._cache.clear()
            self._cache[origin] = route
        return route, route.prefix + path if route.prefix else path

    def _new_route(self, scheme: str, authority: str) -> Route:
        default_port = _DEFAULT_PORTS.get(scheme)
        if default_port is None:
            raise ConnectException(f"unsupported URL scheme {scheme!r}: only http and https")
        if "@" in authority:
            raise ConnectException("URLs with user info are not supported")
        host, port = _split_authority(authority, default_port, what="URL")
        host_header = _authority(host, port, default_port)
        tls = scheme == "https"
        proxy = self._proxy_for(scheme, host, port)
        if proxy is None:
            return Route(
                key=(scheme, host, port),
                connect_host=host,
                connect_port=port,
                tls_hostname=host if tls else None,
                tunnel=None,
                prefix="",
                host_header=host_header,
                proxy_authorization=None,
            )
        if tls:  # a CONNECT tunnel per origin, then TLS end to end
            return Route(
                key=(scheme, host, port),
                connect_host=proxy.host,
                connect_port=proxy.port,
                tls_hostname=host,
                tunnel=_authority(host, port, None),
                prefix="",
                host_header=host_header,
                proxy_authorization=proxy.authorization,
            )
        # Plain http: any proxy connection serves any origin, in absolute form.
        return Route(
            key=("proxy", proxy.host, proxy.port),
            connect_host=proxy.host,
            connect_port=proxy.port,
            tls_hostname=None,
            tunnel=None,
            prefix=f"http://{host_header}",
            host_header=host_header,
            proxy_authorization=proxy.authorization,
        )


@final
class Options:
    """The settings every h11 transport takes, validated once.

    Attributes:
        max_connections: Open connections allowed across the transport.
        max_keepalive_per_host: Idle connections kept per pool key (None: no own limit).
        connect_timeout: Seconds to connect (and handshake); None: the per-call timeout.
        deadline: Seconds for a whole attempt, waiting for the pool included; None:
            twice the call's timeout.
        max_response_bytes: The largest response body accepted.
        max_header_bytes: The largest response head accepted.
        router: Maps URLs to routes (and knows the proxy).
    """

    __slots__ = (
        "_context",
        "_heads",
        "_verify",
        "connect_timeout",
        "deadline",
        "max_connections",
        "max_header_bytes",
        "max_keepalive_per_host",
        "max_response_bytes",
        "proxy",
        "router",
    )

    def __init__(
        self,
        *,
        max_connections: int,
        max_keepalive_per_host: int | None,
        connect_timeout: float | None,
        deadline: float | None,
        verify: bool | str | ssl.SSLContext,
        proxy: str | None,
        max_response_bytes: int,
        max_header_bytes: int,
        trust_env: bool = True,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        if max_keepalive_per_host is not None and max_keepalive_per_host < 0:
            raise ValueError(f"max_keepalive_per_host must be >= 0, got {max_keepalive_per_host}")
        for name, value in (("connect_timeout", connect_timeout), ("deadline", deadline)):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if max_response_bytes < 0 or max_header_bytes < 1:
            raise ValueError("max_response_bytes and max_header_bytes must be positive")
        if not isinstance(verify, (bool, str, ssl.SSLContext)):
            raise TypeError(f"verify must be a bool, a path or an SSLContext, not {verify!r}")
        self.max_connections = max_connections
        self.max_keepalive_per_host = max_keepalive_per_host
        self.connect_timeout = connect_timeout
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.max_header_bytes = max_header_bytes
        self.proxy = None if proxy is None else Proxy.from_url(proxy)
        self.router = Router(self.proxy, environment_proxies() if trust_env else None)
        self._verify = verify
        self._heads = Heads()
        # A bad CA path should fail here, not on the first request; the default context
        # (certifi, system store) costs milliseconds, so it waits for the first https use.
        self._context = None if isinstance(verify, bool) else ssl_context(verify)

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context, built on first use."""
        context = self._context
        if context is None:
            context = self._context = ssl_context(self._verify)
        return context

    def new_exchange(self) -> Exchange:
        """A fresh h11 exchange for a new connection."""
        return Exchange(
            max_response_bytes=self.max_response_bytes,
            max_header_bytes=self.max_header_bytes,
            heads=self._heads,
        )

    def describe(self) -> str:
        """The options for a repr: no credentials."""
        proxy = "" if self.proxy is None else f", proxy={str(self.proxy)!r}"
        verify = self._verify if isinstance(self._verify, bool) else "<custom>"
        return f"max_connections={self.max_connections}, verify={verify}{proxy}"


_END: Final = h11.EndOfMessage()


@final
class Exchange:
    """The client side of one HTTP/1.1 connection, one request at a time.

    Args:
        max_response_bytes: The largest body accepted; more is a `ConnectionLostException`.
        max_header_bytes: The largest response head accepted; likewise.
        heads: The transport's cache of request heads (a private one if None).
    """

    __slots__ = (
        "_h11",
        "_heads",
        "_interim",
        "_max_body",
        "_max_head",
        "_parts",
        "_received",
        "_response",
        "_size",
    )

    def __init__(
        self, *, max_response_bytes: int, max_header_bytes: int, heads: Heads | None = None
    ) -> None:
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_header_bytes)
        self._heads = Heads() if heads is None else heads
        self._max_body = max_response_bytes
        self._max_head = max_header_bytes
        self._response: h11.Response | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._received = 0
        self._interim = 0

    def request_bytes(self, request: HttpRequest, route: Route, target: str) -> bytes:
        """Everything to write for `request`: head, body, and the chunked trailer if any.

        Raises:
            ConnectException: h11 refuses the request (a bad header name or value,
                a non-ASCII target); nothing was sent, but this connection is spent.
        """
        conn = self._h11
        if conn.our_state is h11.DONE:
            conn.start_next_cycle()
        self._response = None
        self._size = self._received = self._interim = 0
        body = request.body
        try:
            head = conn.send(self._heads.request(request, route, target))
            data = conn.send(h11.Data(data=body)) if body else None
            end = conn.send(_END)
        except (h11.LocalProtocolError, ValueError, TypeError) as exc:
            raise ConnectException(f"cannot encode the request: {exc}") from exc
        # h11 returns None only after ConnectionClosed, which is never sent here.
        assert head is not None  # noqa: S101 - see above
        assert end is not None  # noqa: S101 - see above
        return head + data + end if data else head + end

    def receive(self, data: bytes) -> HttpResponse | None:
        """Take bytes read from the connection (`b""` at EOF); return the response once whole.

        Raises:
            ConnectionLostException: The server closed the connection or broke the
                protocol before the answer was complete, or the answer exceeds a cap.
        """
        conn = self._h11
        self._received += len(data)
        conn.receive_data(data)
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise self._broken(exc, eof=not data) from exc
            if isinstance(event, h11.Data):
                self._size += len(event.data)
                if self._size > self._max_body:
                    raise ConnectionLostException(
                        f"response body exceeds max_response_bytes={self._max_body}"
                    )
                self._parts.append(event.data)
            elif isinstance(event, h11.Response):
                self._response = event
                self._check_head()
            elif isinstance(event, h11.EndOfMessage):
                return self._finish()
            elif event is h11.NEED_DATA:
                return None
            elif isinstance(event, h11.InformationalResponse):  # skipped, a bounded number
                self._interim += 1
                if self._interim > MAX_INTERIM_RESPONSES:
                    raise ConnectionLostException(
                        f"more than {MAX_INTERIM_RESPONSES} interim (1xx) answers"
                    )
            else:  # pragma: no cover
                # Anything else (ConnectionClosed, PAUSED) cannot come before
                # EndOfMessage: h11 raises instead. Defensive only.
                raise ConnectionLostException("the server closed the connection mid-answer")

    @property
    def reusable(self) -> bool:
        """Whether the connection may carry another request: both sides done, nothing extra."""
        conn = self._h11
        return (
            conn.our_state is h11.DONE
            and conn.their_state is h11.DONE
            and not conn.trailing_data[0]
        )

    def _check_head(self) -> None:
        # h11 caps an *incomplete* head; a complete one that arrived in one read is
        # only measured here, and only when the bytes so far make it possible.
        if self._received > self._max_head and self._response is not None:
            size = sum(len(name) + len(value) + 4 for name, value in self._response.headers)
            if size > self._max_head:
                raise ConnectionLostException(
                    f"response headers exceed max_header_bytes={self._max_head}"
                )

    def _broken(self, exc: h11.RemoteProtocolError, *, eof: bool) -> ConnectionLostException:
        if exc.error_status_hint == 431:  # noqa: PLR2004 - h11's "head too long"
            return ConnectionLostException(
                f"response headers exceed max_header_bytes={self._max_head}"
            )
        if eof and self._received == 0:
            return ConnectionLostException("the server closed the connection without answering")
        if eof:
            return ConnectionLostException("the server closed the connection mid-answer")
        return ConnectionLostException(f"malformed response: {exc}")

    def _finish(self) -> HttpResponse:
        response = self._response
        assert response is not None  # noqa: S101 - h11 sends Response before EndOfMessage
        parts = self._parts
        # h11 hands out bytearray slices whatever its annotations say: make them bytes.
        body = bytes(parts[0]) if len(parts) == 1 else b"".join(parts)
        parts.clear()
        self._response = None
        # `raw_items` is one list comprehension; iterating `headers` itself goes item
        # by item through `Sequence.__getitem__`.
        return HttpResponse(
            status=response.status_code,
            headers=[
                (name.lower().decode("ascii"), value.decode("latin-1"))
                for name, value in response.headers.raw_items()
            ],
            body=body,
        )


@final
class Tunnel:
    """The CONNECT request that turns a proxy connection into a tunnel to an origin.

    Args:
        route: A route with a `tunnel` target.
        max_header_bytes: The largest proxy answer head accepted.
    """

    __slots__ = ("_h11", "_route")

    def __init__(self, route: Route, max_header_bytes: int) -> None:
        self._route = route
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_header_bytes)

    def request_bytes(self) -> bytes:
        """The CONNECT request to write."""
        target = self._route.tunnel
        assert target is not None  # noqa: S101 - only tunnel routes get here
        headers = [("host", target)]
        if self._route.proxy_authorization is not None:
            headers.append(("proxy-authorization", self._route.proxy_authorization))
        head = self._h11.send(h11.Request(method="CONNECT", target=target, headers=headers))
        end = self._h11.send(h11.EndOfMessage())
        assert head is not None  # noqa: S101 - h11 returns bytes for these events
        assert end is not None  # noqa: S101 - see above
        return head + end

    def receive(self, data: bytes) -> Literal[True] | None:
        """Take bytes read from the proxy; True once the tunnel is open, None for more.

        Raises:
            ConnectException: The proxy refused, closed or answered garbage; the
                request never reached the origin.
        """
        conn = self._h11
        conn.receive_data(data)
        try:
            event = conn.next_event()
            interim = 0
            while type(event) is h11.InformationalResponse:
                interim += 1
                if interim > MAX_INTERIM_RESPONSES:
                    raise ConnectException("the proxy sent too many interim answers to CONNECT")
                event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            raise ConnectException(f"the proxy broke the CONNECT exchange: {exc}") from exc
        if event is h11.NEED_DATA:
            return None
        if isinstance(event, h11.Response) and conn.their_state is h11.SWITCHED_PROTOCOL:
            if conn.trailing_data[0]:
                raise ConnectException("the proxy sent data before the tunnel was used")
            return True
        status = event.status_code if isinstance(event, h11.Response) else "no answer"
        if status == _PROXY_AUTH_REQUIRED:
            error = ConnectException(
                f"the proxy refused to CONNECT to {self._route.tunnel}:"
                " 407 Proxy Authentication Required (give credentials in the proxy URL"
                " as http://user:password@host:port)"
            )
            error.permanent = True
            raise error
        raise ConnectException(f"the proxy refused to CONNECT to {self._route.tunnel}: {status}")
