"""Routing: an absolute URL to the connection that carries it, proxies included.

* `Proxy`: a parsed `http://[user:password@]host:port` proxy URL.
* `Router`: an absolute URL to a `Route` (which connection, which request
  target, which `host`), cached per origin; it knows about the HTTP proxy
  (absolute-form targets for `http`, a CONNECT tunnel for `https`) and about
  the proxy environment variables.

No I/O; every failure is an `xms_core.exceptions` class.
"""

from __future__ import annotations

import base64
import re
import urllib.request
from typing import Final, final
from urllib.parse import unquote

import attrs

from xms_core.exceptions import ConnectException

Key = tuple[str, str, int]
"""What a pooled connection is good for: (scheme or "proxy", host, port)."""

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_URL: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^#]*)")
_ROUTE_CACHE_SIZE: Final = 256


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
