"""Pool bookkeeping and the request flow shared by the h11 transports.

The policy lives here once, so the trio, asyncio and blocking transports
cannot drift apart; each adapter supplies only primitives: open a TCP stream,
start TLS on it, `round_trip` (write the bytes, then hand what is read to the
shared h11 code until it has an answer), `is_readable`, `close`, an event to
wait on, a clock, and its own way of putting a timeout on each step. One
`round_trip` per request leaves each adapter free to time the steps the
cheapest way its event loop allows.

The rules:

* Connections are pooled per `Key` (scheme, host, port). A request reuses the
  most recently used idle connection for its key, after checking that the
  socket is not readable: an idle connection with something to read was
  closed by the server (or is talking out of turn) and is discarded.
* At most `max_connections` are open (or opening) across the transport. A
  request that finds no idle connection and no free slot queues; slots and
  connections are handed to the queue strictly first in, first out. When
  connections of another key sit idle, the longest idle one is closed to make
  room. A waiter that is cancelled or times out gives back whatever it was
  granted in the meantime, so no slot leaks.
* A request that fails or is cancelled mid-flight never returns its connection
  to the pool: it is closed. A connection goes back idle only when h11 says
  both sides are done and nothing unread is buffered.
* If writing the request to a *reused* connection fails before a single byte
  left, the request is provably unsent and is retried once on a fresh
  connection. Any other failure is raised.
* The attempt's deadline (`deadline`, by default twice the call's timeout)
  bounds the whole request by shrinking each step's timeout to what is left,
  so no extra timer or task is needed, and a server that drips bytes or
  interim answers cannot hold a call past it.
* A certificate that fails verification is a `permanent` `TlsException`.
"""

from __future__ import annotations

import contextlib
import select
import ssl
import sys
from collections import deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar, final

from transports._contract import attempt_deadline, certificate_failure
from transports._h11 import Exchange, Key, Options, Route, Tunnel
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
    TlsException,
)

ResultT = TypeVar("ResultT")


class NothingSent(Exception):
    """A write failed before any byte of the request left; the cause is chained."""


class Waiter(Protocol):
    """What a queued request waits on: `trio.Event`, `asyncio.Event`, `threading.Event`."""

    def set(self) -> None:
        """Wake the waiting request."""


class IdleCheck(Protocol):
    """What the pool itself needs of a stream."""

    def is_readable(self) -> bool:
        """Whether data, EOF or an error waits to be read (without blocking or reading)."""
        ...

    def close(self) -> None:
        """Close at once, without a goodbye; never blocks, never raises."""
        ...


class SyncStream(IdleCheck, Protocol):
    """A blocking connection; failures are raised already mapped."""

    def round_trip(
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


class AsyncStream(IdleCheck, Protocol):
    """The async twin of `SyncStream`."""

    async def round_trip(
        self,
        data: bytes,
        receive: Callable[[bytes], ResultT | None],
        timeout: float,
        budget: Budget | None,
    ) -> ResultT:
        """Write all of `data`, then read until `receive` returns a result (see `SyncStream`)."""
        ...


StreamT = TypeVar("StreamT", bound=IdleCheck)
SyncStreamT = TypeVar("SyncStreamT", bound=SyncStream)
AsyncStreamT = TypeVar("AsyncStreamT", bound=AsyncStream)
WaiterT = TypeVar("WaiterT", bound=Waiter)


class SyncBackend(Protocol[SyncStreamT, WaiterT]):
    """The primitives of a blocking adapter; each raises mapped exceptions only."""

    def open_tcp(self, host: str, port: int, timeout: float) -> SyncStreamT:
        """Connect; `ConnectException` or `TimeoutException` on failure."""
        ...

    def start_tls(
        self, stream: SyncStreamT, context: ssl.SSLContext, hostname: str, timeout: float
    ) -> SyncStreamT:
        """Handshake over `stream`; `TlsException` or `TimeoutException` on failure."""
        ...

    def wait(self, waiter: WaiterT, timeout: float) -> None:
        """Wait for `waiter` to be set; `TimeoutException` when `timeout` passes first."""
        ...

    def new_waiter(self) -> WaiterT:
        """A fresh, unset waiter."""
        ...

    def now(self) -> float:
        """A monotonic clock in seconds."""
        ...


class AsyncBackend(Protocol[AsyncStreamT, WaiterT]):
    """The async twin of `SyncBackend`."""

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
        """The event loop's clock in seconds."""
        ...


if sys.platform == "win32":  # pragma: no cover - no poll() on Windows

    def fd_readable(fd: int) -> bool:
        """Whether reading `fd` would not block: data, EOF or an error is waiting."""
        if fd < 0:
            return True
        readable, _, _ = select.select([fd], [], [], 0)
        return bool(readable)

else:

    def fd_readable(fd: int) -> bool:
        """Whether reading `fd` would not block: data, EOF or an error is waiting."""
        if fd < 0:
            return True
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))


@final
class Connection(Generic[StreamT]):
    """A pooled connection: a stream, its h11 exchange, and whether it was used before."""

    __slots__ = ("exchange", "key", "reused", "stream")

    def __init__(self, key: Key, stream: StreamT, exchange: Exchange) -> None:
        self.key = key
        self.stream = stream
        self.exchange = exchange
        self.reused = False


@final
class Ticket(Generic[StreamT, WaiterT]):
    """A queued request's place in line and, once granted, what it got.

    A granted ticket holds either a connection to reuse (`conn`) or, with
    `conn` None, a reserved slot to open a new connection with; `closed` means
    the transport closed while it waited.
    """

    __slots__ = ("closed", "conn", "fresh", "granted", "key", "waiter")

    def __init__(self, key: Key, *, fresh: bool, waiter: WaiterT) -> None:
        self.key = key
        self.fresh = fresh
        self.waiter = waiter
        self.granted = False
        self.closed = False
        self.conn: Connection[StreamT] | None = None


@final
class Pool(Generic[StreamT, WaiterT]):
    """Idle connections per key, a bound on open ones, and a FIFO queue of waiters.

    Invariant: a request waits only while all `max_connections` slots are taken
    and none is idle; a freed slot or a released connection goes straight to
    the head of the queue.

    Args:
        max_connections: Open (or opening) connections allowed.
        max_keepalive_per_host: Idle connections kept per key; None for no own limit.
        new_waiter: Makes the event a queued request waits on.
        lock: Guards the bookkeeping when threads share the pool; async
            transports need none, their methods never await.
    """

    __slots__ = (
        "_closed",
        "_idle",
        "_idle_count",
        "_keep",
        "_lock",
        "_max",
        "_new_waiter",
        "_open",
        "_waiters",
    )

    def __init__(
        self,
        *,
        max_connections: int,
        max_keepalive_per_host: int | None,
        new_waiter: Callable[[], WaiterT],
        lock: contextlib.AbstractContextManager[object] | None = None,
    ) -> None:
        self._max = max_connections
        self._keep = max_keepalive_per_host
        self._new_waiter = new_waiter
        self._lock: contextlib.AbstractContextManager[object] = (
            contextlib.nullcontext() if lock is None else lock
        )
        self._idle: dict[Key, list[Connection[StreamT]]] = {}
        self._idle_count = 0
        self._open = 0
        self._waiters: deque[Ticket[StreamT, WaiterT]] = deque()
        self._closed = False

    @property
    def open_connections(self) -> int:
        """Connections open or being opened."""
        return self._open

    @property
    def idle_connections(self) -> int:
        """Open connections waiting in the pool for a request."""
        return self._idle_count

    def checkout(
        self, key: Key, *, fresh: bool
    ) -> Connection[StreamT] | Ticket[StreamT, WaiterT] | None:
        """Claim a way to send to `key`.

        Args:
            key: The route's pool key.
            fresh: Skip idle connections (the retry after a stale one).

        Returns:
            An idle connection to reuse; None when a slot was reserved for a new
            connection (call `opened` or `release_slot` next); or a `Ticket` to
            wait on when the pool is full (then `redeem` it, or `cancel` it).

        Raises:
            ConnectException: The transport is closed.
        """
        with self._lock:
            if self._closed:
                raise ConnectException("the transport is closed")
            if not self._waiters:
                if not fresh:
                    conn = self._pop_idle(key)
                    if conn is not None:
                        return conn
                if self._open < self._max or self._evict_one():
                    self._open += 1
                    return None
            ticket: Ticket[StreamT, WaiterT] = Ticket(key, fresh=fresh, waiter=self._new_waiter())
            self._waiters.append(ticket)
            return ticket

    def redeem(self, ticket: Ticket[StreamT, WaiterT]) -> Connection[StreamT] | None:
        """What a woken ticket was granted: a connection, or None for a slot.

        Raises:
            ConnectException: The transport closed while the request waited.
        """
        if ticket.closed:
            raise ConnectException("the transport was closed while the request waited")
        return ticket.conn

    def cancel(self, ticket: Ticket[StreamT, WaiterT]) -> None:
        """The waiter gave up (cancelled or timed out); return what it may have got."""
        with self._lock:
            if not ticket.granted:
                self._waiters.remove(ticket)
            elif ticket.conn is not None:
                self._release(ticket.conn, reusable=True)
            elif not ticket.closed:
                self._free_slot()

    def opened(self, key: Key, stream: StreamT, exchange: Exchange) -> Connection[StreamT]:
        """Wrap a stream opened on a reserved slot."""
        return Connection(key, stream, exchange)

    def release_slot(self) -> None:
        """A reserved slot was not used (the connect failed)."""
        with self._lock:
            self._free_slot()

    def release(self, conn: Connection[StreamT], *, reusable: bool) -> None:
        """A request finished with `conn`; keep it idle if `reusable`, else close it."""
        with self._lock:
            self._release(conn, reusable=reusable)

    def discard(self, conn: Connection[StreamT]) -> None:
        """A request failed or was cancelled on `conn`: close it, free its slot."""
        with self._lock:
            conn.stream.close()
            self._free_slot()

    def close(self) -> None:
        """Close every idle connection, wake every waiter, refuse new requests.

        Connections in use are closed as their requests finish.
        """
        with self._lock:
            self._closed = True
            for idle in self._idle.values():
                for conn in idle:
                    conn.stream.close()
                self._open -= len(idle)
                idle.clear()
            self._idle_count = 0
            while self._waiters:
                ticket = self._waiters.popleft()
                ticket.granted = ticket.closed = True
                ticket.waiter.set()

    # The helpers below run with the lock held.

    def _pop_idle(self, key: Key) -> Connection[StreamT] | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()  # the most recently used is the least likely to be stale
            self._idle_count -= 1
            if conn.stream.is_readable():  # closed by the server, or talking out of turn
                conn.stream.close()
                self._open -= 1
                continue
            conn.reused = True
            return conn
        return None

    def _evict_one(self) -> bool:
        for idle in self._idle.values():
            if idle:
                idle.pop(0).stream.close()  # the longest idle
                self._idle_count -= 1
                self._open -= 1
                return True
        return False

    def _release(self, conn: Connection[StreamT], *, reusable: bool) -> None:
        if self._waiters:
            ticket = self._waiters.popleft()
            if reusable and ticket.key == conn.key and not ticket.fresh:
                conn.reused = True
                ticket.conn = conn
            else:  # the head needs a slot, not this connection: the slot passes on
                conn.stream.close()
            ticket.granted = True
            ticket.waiter.set()
            return
        if reusable and not self._closed:
            idle = self._idle.setdefault(conn.key, [])
            if self._keep is None or len(idle) < self._keep:
                idle.append(conn)
                self._idle_count += 1
                return
        conn.stream.close()
        self._open -= 1

    def _free_slot(self) -> None:
        if self._waiters:
            ticket = self._waiters.popleft()
            ticket.granted = True
            ticket.waiter.set()
        else:
            self._open -= 1


@final
class Budget:
    """What is left of a request's overall deadline.

    Args:
        total: The deadline in seconds.
        now: The backend's clock.
    """

    __slots__ = ("_end", "_now", "_total")

    def __init__(self, total: float, now: Callable[[], float]) -> None:
        self._total = total
        self._now = now
        self._end = now() + total

    def limit(self, timeout: float) -> float:
        """`timeout`, or less if the deadline comes first.

        Raises:
            TimeoutException: The deadline has passed.
        """
        left = self._end - self._now()
        if left <= 0:
            raise TimeoutException(
                f"the request took longer than its deadline of {self._total:g} s"
            )
        return min(timeout, left)


def step_timeout(timeout: float, budget: Budget | None) -> float:
    """The seconds one step (connect, write, read, wait) may take."""
    return timeout if budget is None else budget.limit(timeout)


def _not_sent(exc: NothingSent) -> ConnectException:
    return ConnectException(f"the request could not be sent: {exc}")


@final
class AsyncEngine(Generic[AsyncStreamT, WaiterT]):
    """Sends requests over an async backend's streams; all of the policy, none of the I/O.

    Args:
        backend: The adapter's primitives.
        options: The transport's settings.
    """

    __slots__ = ("_backend", "_options", "pool")

    def __init__(self, backend: AsyncBackend[AsyncStreamT, WaiterT], options: Options) -> None:
        self._backend = backend
        self._options = options
        self.pool: Pool[AsyncStreamT, WaiterT] = Pool(
            max_connections=options.max_connections,
            max_keepalive_per_host=options.max_keepalive_per_host,
            new_waiter=backend.new_waiter,
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
            exchange = conn.exchange
            try:
                data = exchange.request_bytes(request, route, target)
                response = await conn.stream.round_trip(data, exchange.receive, timeout, budget)
            except NothingSent as exc:
                pool.discard(conn)
                if conn.reused and not fresh:
                    fresh = True
                    continue
                raise _not_sent(exc) from exc.__cause__
            except BaseException:  # failed, timed out or cancelled: never pool it again
                pool.discard(conn)
                raise
            pool.release(conn, reusable=exchange.reusable)
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
        return pool.opened(route.key, stream, self._options.new_exchange())

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
                    raise _not_sent(exc) from exc.__cause__
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


@final
class SyncEngine(Generic[SyncStreamT, WaiterT]):
    """The blocking twin of `AsyncEngine`, line for line; the pool is lock-guarded.

    Args:
        backend: The adapter's primitives.
        options: The transport's settings.
        lock: The lock that guards the pool across threads.
    """

    __slots__ = ("_backend", "_options", "pool")

    def __init__(
        self,
        backend: SyncBackend[SyncStreamT, WaiterT],
        options: Options,
        lock: contextlib.AbstractContextManager[object],
    ) -> None:
        self._backend = backend
        self._options = options
        self.pool: Pool[SyncStreamT, WaiterT] = Pool(
            max_connections=options.max_connections,
            max_keepalive_per_host=options.max_keepalive_per_host,
            new_waiter=backend.new_waiter,
            lock=lock,
        )

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
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
                got if isinstance(got, Connection) else self._checkout(got, route, budget, timeout)
            )
            exchange = conn.exchange
            try:
                data = exchange.request_bytes(request, route, target)
                response = conn.stream.round_trip(data, exchange.receive, timeout, budget)
            except NothingSent as exc:
                pool.discard(conn)
                if conn.reused and not fresh:
                    fresh = True
                    continue
                raise _not_sent(exc) from exc.__cause__
            except BaseException:  # failed, timed out or interrupted: never pool it again
                pool.discard(conn)
                raise
            pool.release(conn, reusable=exchange.reusable)
            return response

    def _checkout(
        self,
        ticket: Ticket[SyncStreamT, WaiterT] | None,
        route: Route,
        budget: Budget | None,
        timeout: float,
    ) -> Connection[SyncStreamT]:
        """Wait for a turn and/or open a connection: what `Pool.checkout` did not give."""
        pool = self.pool
        if ticket is not None:
            try:
                self._backend.wait(ticket.waiter, step_timeout(timeout, budget))
            except BaseException:
                pool.cancel(ticket)
                raise
            conn = pool.redeem(ticket)
            if conn is not None:
                return conn
        try:
            stream = self._open(route, budget, self._options.connect_timeout or timeout)
        except BaseException:
            pool.release_slot()
            raise
        return pool.opened(route.key, stream, self._options.new_exchange())

    def _open(self, route: Route, budget: Budget | None, timeout: float) -> SyncStreamT:
        backend = self._backend
        stream = backend.open_tcp(
            route.connect_host, route.connect_port, step_timeout(timeout, budget)
        )
        try:
            if route.tunnel is not None:
                tunnel = Tunnel(route, self._options.max_header_bytes)
                try:
                    stream.round_trip(tunnel.request_bytes(), tunnel.receive, timeout, budget)
                except NothingSent as exc:
                    raise _not_sent(exc) from exc.__cause__
                except ConnectionLostException as exc:  # lost on the way to the proxy only
                    raise ConnectException(f"the proxy connection broke: {exc}") from exc
            if route.tls_hostname is not None:
                stream = backend.start_tls(
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
