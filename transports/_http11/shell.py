"""What the three public h11 transports share: their options, repr and pool counters.

`H11Transport`, `TrioTransport` and `AsyncioTransport` take the same keyword
options, describe themselves the same way and report the same counters; they
differ only in the backend their engine runs on. Each public module is a thin
shell: a backend (its I/O) and a subclass of `H11Shell` naming the engine; the
two event-loop transports share their async protocol too (`AsyncH11Shell`).
"""

from __future__ import annotations

import abc
import ssl
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from transports._http11.options import Options
from transports._loops import Loop, running_loop, wrong_loop
from xms_core import HttpRequest, HttpResponse


class _Counts(Protocol):
    """What the shell reads of a pool."""

    @property
    def open_connections(self) -> int:
        """Connections open or being opened."""
        ...

    @property
    def idle_connections(self) -> int:
        """Open connections waiting for a request."""
        ...


class _Engine(Protocol):
    """What the shell needs of an engine: its pool, and closing."""

    @property
    def pool(self) -> _Counts:
        """The engine's pool."""
        ...

    def close(self) -> None:
        """Close the pool."""
        ...


EngineT = TypeVar("EngineT", bound=_Engine)


class H11Shell(abc.ABC, Generic[EngineT]):
    """The options, repr and pool counters of an h11 transport.

    Args:
        max_connections: Connections open at once across all hosts (and
            threads); further requests queue, first come first served.
        max_keepalive_per_host: Idle connections kept per origin (None: up to
            `max_connections`).
        connect_timeout: Seconds to connect and handshake; None uses the
            per-call `timeout`.
        deadline: Seconds for one whole attempt (waiting for the pool, connect,
            write, head and body); None: twice the call's `timeout`.
        verify: True verifies against certifi's CAs (the system's without
            certifi); a str is a CA bundle path; an `ssl.SSLContext` is used as
            is; False disables verification (never in production).
        proxy: `http://[user:password@]host:port` of an HTTP proxy: absolute-form
            requests for http, a CONNECT tunnel for https; the credentials go to
            the proxy only (`proxy-authorization`), never to XMS.
        trust_env: When `proxy` is None, use `HTTP_PROXY`/`HTTPS_PROXY`/
            `ALL_PROXY` and `NO_PROXY` (either case), read once here, as
            `RequestsTransport` does.
        max_response_bytes: The largest response body accepted.
        max_header_bytes: The largest response head accepted.
    """

    __slots__ = ("_engine", "_options")

    def __init__(
        self,
        *,
        max_connections: int = 10,
        max_keepalive_per_host: int | None = None,
        connect_timeout: float | None = None,
        deadline: float | None = None,
        verify: bool | str | ssl.SSLContext = True,
        proxy: str | None = None,
        trust_env: bool = True,
        max_response_bytes: int = 64 * 1024 * 1024,
        max_header_bytes: int = 64 * 1024,
    ) -> None:
        self._options = Options(
            max_connections=max_connections,
            max_keepalive_per_host=max_keepalive_per_host,
            connect_timeout=connect_timeout,
            deadline=deadline,
            verify=verify,
            proxy=proxy,
            max_response_bytes=max_response_bytes,
            max_header_bytes=max_header_bytes,
            trust_env=trust_env,
        )
        self._engine: EngineT = self._new_engine(self._options)

    @abc.abstractmethod
    def _new_engine(self, options: Options) -> EngineT:
        """The engine over this transport's backend."""

    def __repr__(self) -> str:
        pool = self._engine.pool
        return (
            f"{type(self).__name__}({self._options.describe()}, "
            f"open={pool.open_connections}, idle={pool.idle_connections})"
        )

    @property
    def open_connections(self) -> int:
        """Connections open (or opening) right now."""
        return self._engine.pool.open_connections

    @property
    def idle_connections(self) -> int:
        """Open connections waiting in the pool."""
        return self._engine.pool.idle_connections


class _SendingEngine(_Engine, Protocol):
    """An engine that sends requests on an event loop."""

    async def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        """Send `request`; return the whole answer."""
        ...


SendingEngineT = TypeVar("SendingEngineT", bound=_SendingEngine)
ShellT = TypeVar("ShellT", bound="AsyncH11Shell[Any]")


class AsyncH11Shell(H11Shell[SendingEngineT]):
    """An h11 transport on one event loop: the async transport protocol, written once.

    A subclass names its loop (`LOOP`) and how to sleep and yield on it; every
    call checks that it runs on that loop and, if not, raises a
    `WrongEventLoopError` naming the transport to use instead (never the
    loop's own puzzling error). Closing works from anywhere.
    """

    __slots__ = ()
    LOOP: ClassVar[Loop]

    def _check_loop(self) -> None:
        if running_loop() != self.LOOP:
            raise wrong_loop(type(self).__name__, self.LOOP)

    @abc.abstractmethod
    async def _sleep(self, seconds: float) -> None:
        """Sleep on this transport's loop."""

    @abc.abstractmethod
    async def _checkpoint(self) -> None:
        """Let the loop run other tasks for a moment."""

    async def handle_async_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        """Send `request` and return the whole answer, whatever its status.

        Args:
            request: The request to send exactly as given.
            timeout: Seconds allowed to connect and for each read and write.

        Raises:
            TransportException: See `TrioTransport` for which one.
            WrongEventLoopError: Used outside its loop (the message names the right transport).
        """
        self._check_loop()
        return await self._engine.send(request, timeout)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the transport's own loop."""
        self._check_loop()
        await self._sleep(seconds)

    async def aclose(self) -> None:
        """Close every idle connection; later requests raise `ConnectException`.

        Closing works from any loop (an `async with` left after a wrong-loop error).
        """
        self._engine.close()
        if running_loop() == self.LOOP:
            await self._checkpoint()

    async def __aenter__(self: ShellT) -> ShellT:  # noqa: PYI019 - typing.Self needs 3.11
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
