"""Pool bookkeeping shared by the h11 transports: which connection serves which request.

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
import sys
from collections import deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar, final

from transports._http11.exchange import Conversation
from transports._http11.routing import Key
from xms_core.exceptions import ConnectException, TimeoutException


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


StreamT = TypeVar("StreamT", bound=IdleCheck)
WaiterT = TypeVar("WaiterT", bound=Waiter)


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
    """A pooled connection: a stream, its h11 conversation, and whether it was used before."""

    __slots__ = ("conversation", "key", "reused", "stream")

    def __init__(self, key: Key, stream: StreamT, conversation: Conversation) -> None:
        self.key = key
        self.stream = stream
        self.conversation = conversation
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

    def opened(self, key: Key, stream: StreamT, conversation: Conversation) -> Connection[StreamT]:
        """Wrap a stream opened on a reserved slot."""
        return Connection(key, stream, conversation)

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


def not_sent(exc: NothingSent) -> ConnectException:
    return ConnectException(f"the request could not be sent: {exc}")
