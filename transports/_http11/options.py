"""The settings every h11 transport takes, checked once, and their TLS context."""

from __future__ import annotations

import ssl
from typing import final

from transports._http11.exchange import Conversation
from transports._http11.heads import Heads
from transports._http11.routing import Proxy, Router, environment_proxies


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

    def new_conversation(self) -> Conversation:
        """A fresh h11 conversation for a new connection."""
        return Conversation(
            max_response_bytes=self.max_response_bytes,
            max_header_bytes=self.max_header_bytes,
            heads=self._heads,
        )

    def describe(self) -> str:
        """The options for a repr: no credentials."""
        proxy = "" if self.proxy is None else f", proxy={str(self.proxy)!r}"
        verify = self._verify if isinstance(self._verify, bool) else "<custom>"
        return f"max_connections={self.max_connections}, verify={verify}{proxy}"
