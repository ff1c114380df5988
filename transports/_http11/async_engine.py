"""The request flow of the h11 transports: checkout, send, retry once, release.

Written once, for async adapters, in `async_engine.py`; `sync_engine.py` is
generated from it by `./dev unasync`. Each adapter supplies only the
primitives of the backend protocol below; the pool's rules are documented in
`transports._http11.pool`.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar, final

from transports._contract import attempt_deadline, certificate_failure
from transports._http11.exchange import Tunnel
from transports._http11.options import Options
from transports._http11.pool import (
    Budget,
    Connection,
    IdleCheck,
    NothingSent,
    Pool,
    Ticket,
    WaiterT,
    not_sent,
    step_timeout,
)
from transports._http11.routing import Route
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import ConnectException, ConnectionLostException, TlsException

ResultT = TypeVar("ResultT")


class AsyncStream(IdleCheck, Protocol):
    """One connection of an adapter; failures are raised already mapped."""

    async def round_trip(
        self,
        data: bytes,
        receive: Callable[[bytes], ResultT | None],
        timeout: float,
        budget: Budget | None,
    ) -> ResultT:
        """Write all of `data`, then feed what is read to `receive` until it returns a result.

        `receive` gets `b""` at EOF. Each write and each read gets
        `step_timeout(timeout, budget)` seconds.

        Raises:
            NothingSent: The write failed before any byte left.
            TransportException: Any other failure, mapped; or what `receive` raised.
        """
        ...


AsyncStreamT = TypeVar("AsyncStreamT", bound=AsyncStream)


class AsyncBackend(Protocol[AsyncStreamT, WaiterT]):
    """The primitives of an adapter; each raises mapped exceptions only."""

    async def open_tcp(self, host: str, port: int, timeout: float) -> AsyncStreamT:
        """Connect; `ConnectException` or `TimeoutException` on failure."""
        ...

    async def start_tls(
        self, stream: AsyncStreamT, context: ssl.SSLContext, hostname: str, timeout: float
    ) -> AsyncStreamT:
        """Handshake over `stream`; `TlsException` or `TimeoutException` on failure."""
        ...

    async def wait(self, waiter: WaiterT, timeout: float) -> None:
        """Wait for `waiter` to be set; `TimeoutException` when `timeout` passes first."""
        ...

    def new_waiter(self) -> WaiterT:
        """A fresh, unset waiter."""
        ...

    def now(self) -> float:
        """A monotonic clock in seconds (the event loop's, for an event loop)."""
        ...


@final
class AsyncEngine(Generic[AsyncStreamT, WaiterT]):
    """Sends requests over a backend's streams; all of the policy, none of the I/O.

    Args:
        backend: The adapter's primitives.
        options: The transport's settings.
        lock: Guards the pool when threads share it; None when they cannot.
    """

    __slots__ = ("_backend", "_options", "pool")

    def __init__(
        self,
        backend: AsyncBackend[AsyncStreamT, WaiterT],
        options: Options,
        lock: contextlib.AbstractContextManager[object] | None = None,
    ) -> None:
        self._backend = backend
        self._options = options
        self.pool: Pool[AsyncStreamT, WaiterT] = Pool(
            max_connections=options.max_connections,
            max_keepalive_per_host=options.max_keepalive_per_host,
            new_waiter=backend.new_waiter,
            lock=lock,
        )

    async def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        """Send `request`, return the whole answer; raise only transport exceptions.

        Raises:
            ValueError: `timeout` is not a positive number (a programmer mistake).
        """
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        route, target = self._options.router.route(request.url)
        budget = Budget(attempt_deadline(timeout, self._options.deadline), self._backend.now)
        fresh = False
        pool = self.pool
        while True:
            got = pool.checkout(route.key, fresh=fresh)
            conn = (
                got
                if isinstance(got, Connection)
                else await self._checkout(got, route, budget, timeout)
            )
            conversation = conn.conversation
            try:
                data = conversation.request_bytes(request, route, target)
                response = await conn.stream.round_trip(data, conversation.receive, timeout, budget)
            except NothingSent as exc:
                pool.discard(conn)
                if conn.reused and not fresh:
                    fresh = True
                    continue
                raise not_sent(exc) from exc.__cause__
            except (
                BaseException
            ):  # failed, timed out, cancelled or interrupted: never pool it again
                pool.discard(conn)
                raise
            pool.release(conn, reusable=conversation.reusable)
            return response

    async def _checkout(
        self,
        ticket: Ticket[AsyncStreamT, WaiterT] | None,
        route: Route,
        budget: Budget | None,
        timeout: float,
    ) -> Connection[AsyncStreamT]:
        """Wait for a turn and/or open a connection: what `Pool.checkout` did not give."""
        pool = self.pool
        if ticket is not None:
            try:
                await self._backend.wait(ticket.waiter, step_timeout(timeout, budget))
            except BaseException:
                pool.cancel(ticket)
                raise
            conn = pool.redeem(ticket)
            if conn is not None:
                return conn
        try:
            stream = await self._open(route, budget, self._options.connect_timeout or timeout)
        except BaseException:
            pool.release_slot()
            raise
        return pool.opened(route.key, stream, self._options.new_conversation())

    async def _open(self, route: Route, budget: Budget | None, timeout: float) -> AsyncStreamT:
        backend = self._backend
        stream = await backend.open_tcp(
            route.connect_host, route.connect_port, step_timeout(timeout, budget)
        )
        try:
            if route.tunnel is not None:
                tunnel = Tunnel(route, self._options.max_header_bytes)
                try:
                    await stream.round_trip(tunnel.request_bytes(), tunnel.receive, timeout, budget)
                except NothingSent as exc:
                    raise not_sent(exc) from exc.__cause__
                except ConnectionLostException as exc:  # lost on the way to the proxy only
                    raise ConnectException(f"the proxy connection broke: {exc}") from exc
            if route.tls_hostname is not None:
                stream = await backend.start_tls(
                    stream,
                    self._options.ssl_context(),
                    route.tls_hostname,
                    step_timeout(timeout, budget),
                )
        except TlsException as exc:
            stream.close()
            exc.permanent = certificate_failure(exc)
            raise
        except BaseException:
            stream.close()
            raise
        return stream

    def close(self) -> None:
        """Close the pool."""
        self.pool.close()
