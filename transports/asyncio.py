"""HTTP/1.1 on native asyncio with a keep-alive pool (install the `asyncio` extra).

from transports.asyncio import AsyncioTransport

async with AsyncClient(settings, AsyncioTransport()) as client:
    await client.fetch_batch("01FC66621XXXXX119Z8PMV1QPQ")

Runs under plain `asyncio.run()`; no trio involved. It sits on asyncio's
transport/protocol layer (what `asyncio.open_connection` streams are built on)
so each read can carry its own timer without an extra task, and so an idle
connection's buffered bytes, EOF or loss are visible to the pool. The HTTP and
pool logic is shared with the trio and blocking transports. One instance
belongs to one event loop.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from functools import partial
from typing import cast, final

from transports._http11.async_engine import AsyncEngine, ResultT
from transports._http11.options import Options
from transports._http11.pool import Budget, NothingSent, fd_readable, step_timeout
from transports._http11.shell import AsyncH11Shell
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
    TlsException,
)

_HIGH_WATER = 256 * 1024  # buffered unread bytes before reading pauses
_TIMEOUTS = (asyncio.TimeoutError, TimeoutError)  # distinct classes before Python 3.11


@final
class _AsyncioStream(asyncio.Protocol):
    """One connection: the protocol collects what arrives, the engine reads it out.

    At most one coroutine waits on a connection at a time (the engine reads and
    writes in turn), so one future serves both reads and drains.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._plain = True
        self._fd = -1
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._reading_paused = False
        self._writing_paused = False
        self._eof = False
        self._lost = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[bool] | None = None
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None

    # asyncio.Protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._use(cast("asyncio.Transport", transport))

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered >= _HIGH_WATER and not self._reading_paused and self.transport:
            self._reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._error = exc
        self._wake()

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._wake()

    # What the engine calls

    async def round_trip(
        self,
        data: bytes,
        receive: Callable[[bytes], ResultT | None],
        timeout: float,
        budget: Budget | None,
    ) -> ResultT:
        # Let every task that is ready build its request before any writes: the writes
        # then leave back to back, and the server wakes once for them, not once each.
        await asyncio.sleep(0)
        transport = self.transport
        if transport is None or self._lost or transport.is_closing():
            raise NothingSent("the connection was already closed")
        transport.write(data)
        if self._plain and transport.is_closing():
            # A plain socket transport tries send() at once and closes on its failure:
            # nothing was written. (A TLS transport hides this, so it never claims it.)
            raise NothingSent("the connection broke before any byte was written")
        while self._writing_paused and not self._lost:
            if not await self._waiter_for(step_timeout(timeout, budget)) and self._writing_paused:
                raise TimeoutException(f"timed out after {timeout:g} s sending the request")
        while True:
            while not (self._chunks or self._eof or self._lost):
                woken = await self._waiter_for(step_timeout(timeout, budget))
                if not woken and not self._ready():
                    raise TimeoutException(f"no answer within {timeout:g} s")
            result = receive(self._take())
            if result is not None:
                return result

    def is_readable(self) -> bool:
        return self._ready() or fd_readable(self._fd)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.transport is not None:
            self.transport.abort()

    # Helpers

    def _use(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        self._fd = -1 if sock is None else sock.fileno()
        self._plain = transport.get_extra_info("sslcontext") is None

    def _take(self) -> bytes:
        """Everything buffered, `b""` at EOF; raises if the connection broke."""
        chunks = self._chunks
        if chunks:
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            chunks.clear()
            self._buffered = 0
            if self._reading_paused and self.transport is not None:
                self._reading_paused = False
                self.transport.resume_reading()
            return data
        if self._error is not None:
            raise ConnectionLostException(f"the connection broke: {self._error}") from self._error
        return b""

    def _ready(self) -> bool:
        return bool(self._chunks) or self._eof or self._lost

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():  # not cancelled
                waiter.set_result(True)

    def _waiter_for(self, timeout: float) -> asyncio.Future[bool]:
        """What to await for the next callback: True then, False if `timeout` passes first.

        The connection keeps one timer and moves a deadline: a wait that ends
        in time leaves the timer armed (a new timer and a cancelled one per
        wait cost more than the wait); when it fires, it expires the current
        wait if its deadline has come, or re-arms for the later deadline.
        """
        loop = self._loop
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiter = waiter
        deadline = self._deadline = loop.time() + timeout
        timer = self._timer
        if timer is None or timer.when() > deadline:  # none, or too late for this wait
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._on_timer, deadline)
        return waiter

    def _on_timer(self, armed_for: float) -> None:
        self._timer = None
        waiter = self._waiter
        if waiter is None or waiter.done():  # nobody waits: the next wait arms a new timer
            return
        if self._deadline <= armed_for:
            self._waiter = None
            waiter.set_result(False)
        else:  # the wait it was armed for ended in time; a later one is under way
            self._timer = self._loop.call_at(self._deadline, self._on_timer, self._deadline)


@final
class _AsyncioBackend:
    """The asyncio primitives the shared engine runs on."""

    __slots__ = ()

    async def open_tcp(self, host: str, port: int, timeout: float) -> _AsyncioStream:
        loop = asyncio.get_running_loop()
        try:
            _, stream = await asyncio.wait_for(
                loop.create_connection(partial(_AsyncioStream, loop), host, port), timeout
            )
        except _TIMEOUTS as exc:
            raise TimeoutException(f"timed out after {timeout:g} s connecting to {host}") from exc
        except OSError as exc:
            raise ConnectException(f"cannot connect to {host}:{port}: {exc}") from exc
        return stream

    async def start_tls(
        self, stream: _AsyncioStream, context: ssl.SSLContext, hostname: str, timeout: float
    ) -> _AsyncioStream:
        loop = asyncio.get_running_loop()
        transport = stream.transport
        assert transport is not None  # noqa: S101 - set when the connection was made
        try:
            upgraded = await asyncio.wait_for(
                loop.start_tls(transport, stream, context, server_hostname=hostname), timeout
            )
        except _TIMEOUTS as exc:
            raise TimeoutException(
                f"TLS handshake with {hostname} took over {timeout:g} s"
            ) from exc
        except (OSError, EOFError) as exc:  # ssl.SSLError is an OSError
            raise TlsException(f"TLS handshake with {hostname} failed: {exc}") from exc
        if upgraded is None:  # pragma: no cover - only for a transport closed mid-handshake
            raise TlsException(f"TLS handshake with {hostname} failed: connection closed")
        stream._use(upgraded)  # noqa: SLF001 - same module
        return stream

    async def wait(self, waiter: asyncio.Event, timeout: float) -> None:
        try:
            await asyncio.wait_for(waiter.wait(), timeout)
        except _TIMEOUTS as exc:
            raise TimeoutException(
                f"no connection became free within {timeout:g} s (max_connections reached)"
            ) from exc

    def new_waiter(self) -> asyncio.Event:
        return asyncio.Event()

    def now(self) -> float:
        return asyncio.get_running_loop().time()


@final
class AsyncioTransport(AsyncH11Shell[AsyncEngine[_AsyncioStream, asyncio.Event]]):
    """Sends requests over HTTP/1.1 on asyncio, keeping connections alive in a pool.

    Behaves exactly as `transports.trio.TrioTransport` (same options, same
    pool, same error mapping, same shared code); only the event loop differs.

    Args:
        max_connections, max_keepalive_per_host, connect_timeout, deadline,
        verify, proxy, trust_env, max_response_bytes, max_header_bytes: The
            options every h11 transport takes, keyword only; see `H11Shell`.
    """

    __slots__ = ()
    LOOP = "asyncio"

    def _new_engine(self, options: Options) -> AsyncEngine[_AsyncioStream, asyncio.Event]:
        return AsyncEngine(_AsyncioBackend(), options)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _checkpoint(self) -> None:
        await asyncio.sleep(0)
