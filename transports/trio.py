"""HTTP/1.1 over trio sockets with a keep-alive pool (the `trio` extra: `pip install 'xms[trio]'`).

from transports.trio import TrioTransport

async with AsyncClient(settings, TrioTransport()) as client:
    await client.fetch_batch("01FC66621XXXXX119Z8PMV1QPQ")

The HTTP and pool logic is shared with the asyncio and blocking transports
(`transports._http11`); this module only moves bytes.
"""

from __future__ import annotations

import contextlib
import math
import socket
import ssl
from collections.abc import Callable
from typing import final

from transports._optional import missing_extra

try:
    import trio
except ImportError as error:
    raise missing_extra(__name__, error, "trio") from error

from transports._http11.async_engine import AsyncEngine, ResultT
from transports._http11.exchange import RECEIVE_SIZE
from transports._http11.options import Options
from transports._http11.pool import Budget, NothingSent, fd_readable, step_timeout
from transports._http11.shell import AsyncH11Shell
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
    TlsException,
)

_BROKEN = (trio.BrokenResourceError, trio.ClosedResourceError)


def _deadline(timeout: float, budget: Budget | None) -> float:
    """When a step starting now must end."""
    return trio.current_time() + step_timeout(timeout, budget)


@final
class _RawStream(trio.abc.Stream):
    """A trio socket as a `trio.abc.Stream` that notes whether a send moved any byte.

    Under TLS it is the transport of the `trio.SSLStream`, so `sent_any` counts
    ciphertext that reached the kernel: exactly what "provably not sent" needs.
    """

    def __init__(self, sock: trio.socket.SocketType) -> None:
        self.sock = sock
        self.sent_any = False

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        sock = self.sock
        try:
            sent = await sock.send(data)
            if sent:
                self.sent_any = True
            if sent < len(data):
                view = memoryview(data)
                while sent < len(view):
                    sent += await sock.send(view[sent:])
        except OSError as exc:
            raise trio.BrokenResourceError(str(exc)) from exc

    async def wait_send_all_might_not_block(self) -> None:  # pragma: no cover - unused
        await self.sock.wait_writable()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        try:
            return await self.sock.recv(max_bytes or RECEIVE_SIZE)
        except OSError as exc:
            raise trio.BrokenResourceError(str(exc)) from exc

    async def aclose(self) -> None:  # pragma: no cover - the pool closes the socket itself
        self.sock.close()
        await trio.lowlevel.checkpoint()


@final
class _Watchdog:
    """Ends the reads that outlive their deadline, for every plain connection of one trio run.

    A cancel scope per read would cost more than all the rest of trio's share
    of a request. Instead a connection about to wait for its answer notes its
    deadline here, and this one system task, asleep until the earliest deadline
    noted, wakes every late reader with `trio.lowlevel.notify_closing`; the
    reader raises `TimeoutException` and the engine closes its connection, as
    after any timeout. A reader that was woken by data first keeps its data,
    exactly as a cancel scope expiring after the wait would have let it.
    """

    __slots__ = ("_scope", "_waiting", "_wake")

    def __init__(self) -> None:
        self._waiting: set[_TrioStream] = set()
        self._wake = math.inf
        self._scope: trio.CancelScope | None = None

    @staticmethod
    def current() -> _Watchdog:
        """The watchdog of the running trio run, started on first use."""
        watchdog = _WATCHDOG.get()
        if watchdog is None:
            watchdog = _Watchdog()
            trio.lowlevel.spawn_system_task(watchdog.run, name="xms read deadlines")
            _WATCHDOG.set(watchdog)
        return watchdog

    def watch(self, stream: _TrioStream) -> None:
        """`stream` waits until `stream.deadline` at the latest."""
        self._waiting.add(stream)
        deadline = stream.deadline
        if deadline < self._wake:
            self._wake = deadline
            if self._scope is not None:
                self._scope.deadline = deadline

    def unwatch(self, stream: _TrioStream) -> None:
        """`stream` stopped waiting."""
        self._waiting.discard(stream)

    async def run(self) -> None:
        """Sleep until the earliest deadline, expire the late, repeat; ends with the run."""
        while True:
            with trio.CancelScope(deadline=self._wake) as scope:
                self._scope = scope
                await trio.sleep_forever()
            self._scope = None
            now = trio.current_time()
            wake = math.inf
            for stream in list(self._waiting):
                if stream.deadline <= now:
                    self._waiting.discard(stream)
                    stream.expire()
                elif stream.deadline < wake:
                    wake = stream.deadline
            self._wake = wake


_WATCHDOG: trio.lowlevel.RunVar[_Watchdog | None] = trio.lowlevel.RunVar(
    "xms_watchdog", default=None
)


@final
class _TrioStream:
    """One connection as the shared engine sees it: timed, mapped reads and writes.

    A plain connection drives its non-blocking socket directly with trio's
    low-level waits, without trio's socket wrapper: a send the kernel takes at
    once costs one system call, a read a wait and a `recv`, and the read
    timeout costs no cancel scope (see `_Watchdog`). A TLS connection is a
    `trio.SSLStream` over `_RawStream`, timed by one cancel scope per exchange.
    """

    __slots__ = ("_expired", "_fd", "_io", "_sock", "deadline", "raw")

    def __init__(
        self, sock: socket.socket, tls: tuple[_RawStream, trio.SSLStream[_RawStream]] | None
    ) -> None:
        self._sock = sock
        self._fd = sock.fileno()
        self.deadline = math.inf  # of the read under way
        self._expired = False
        self.raw: _RawStream | None = None
        self._io: trio.SSLStream[_RawStream] | None = None
        if tls is not None:
            self.raw, self._io = tls

    @property
    def sock(self) -> socket.socket:
        return self._sock

    async def round_trip(
        self,
        data: bytes,
        receive: Callable[[bytes], ResultT | None],
        timeout: float,  # noqa: ASYNC109 - one timeout per step, set by the engine
        budget: Budget | None,
    ) -> ResultT:
        if self._io is not None:
            return await self._tls_round_trip(data, receive, timeout, budget)
        sock = self._sock
        if budget is not None:
            budget.limit(timeout)
        # A schedule point, not only a cancel point: every task that is ready builds its
        # request before any writes, so the writes leave back to back and the server
        # wakes once for them, not once each.
        await trio.lowlevel.checkpoint()
        sent = self._send_first(data)
        if sent < len(data):
            await self._send_rest(data, sent, timeout, budget)
        # The answer cannot be there the moment the request left: wait before the first
        # read. After a part of the answer, try reading first: more is likely buffered.
        ready = False
        while True:
            if ready:
                if budget is not None:
                    budget.limit(timeout)
                await trio.lowlevel.checkpoint_if_cancelled()
            else:
                await self._wait_readable(timeout, budget)
            try:
                chunk = sock.recv(RECEIVE_SIZE)
            except BlockingIOError:
                ready = False
                continue
            except OSError as exc:
                raise ConnectionLostException(f"the connection broke: {exc}") from exc
            result = receive(chunk)
            if result is not None:
                return result
            ready = True

    def _send_first(self, data: bytes) -> int:
        """Write what the socket takes at once; how many bytes that was."""
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            raise NothingSent(f"the connection broke: {exc}") from exc

    async def _wait_readable(
        self,
        timeout: float,  # noqa: ASYNC109 - one timeout per step, set by the engine
        budget: Budget | None,
    ) -> None:
        """Wait until the socket is readable, at most one step's timeout (see `_Watchdog`)."""
        watchdog = _Watchdog.current()
        self.deadline = _deadline(timeout, budget)
        self._expired = False
        watchdog.watch(self)
        try:
            await trio.lowlevel.wait_readable(self._sock)
        except trio.ClosedResourceError as exc:
            if not self._expired:  # pragma: no cover - only the watchdog closes a busy socket
                raise ConnectionLostException(f"the connection broke: {exc}") from exc
        else:
            return
        finally:
            watchdog.unwatch(self)
        raise TimeoutException(f"no answer within {timeout:g} s")

    def expire(self) -> None:
        """The read outlived its deadline: wake it (see `_Watchdog`)."""
        self._expired = True
        if self._sock.fileno() != -1:
            trio.lowlevel.notify_closing(self._sock)

    async def _send_rest(
        self,
        data: bytes,
        sent: int,
        timeout: float,  # noqa: ASYNC109 - one timeout per step, set by the engine
        budget: Budget | None,
    ) -> None:
        """Write what the first send left, as one timed step."""
        sock = self._sock
        view = memoryview(data)
        with trio.CancelScope(deadline=_deadline(timeout, budget)) as scope:
            while sent < len(view):
                await trio.lowlevel.wait_writable(sock)
                try:
                    sent += sock.send(view[sent:])
                except BlockingIOError:
                    continue
                except OSError as exc:
                    if not sent:
                        raise NothingSent(f"the connection broke: {exc}") from exc
                    raise ConnectionLostException(f"the connection broke: {exc}") from exc
        if scope.cancelled_caught:
            raise TimeoutException(f"timed out after {timeout:g} s sending the request")

    async def _tls_round_trip(
        self,
        data: bytes,
        receive: Callable[[bytes], ResultT | None],
        timeout: float,  # noqa: ASYNC109 - one timeout per step, set by the engine
        budget: Budget | None,
    ) -> ResultT:
        raw = self.raw
        io = self._io
        assert raw is not None  # noqa: S101 - set together with `_io`
        assert io is not None  # noqa: S101 - checked by the caller
        raw.sent_any = False
        sending = True
        # One cancel scope for the whole exchange, its deadline moved for each step.
        with trio.CancelScope(deadline=_deadline(timeout, budget)) as scope:
            try:
                await io.send_all(data)
                sending = False
                while True:
                    scope.deadline = _deadline(timeout, budget)
                    chunk = await io.receive_some(RECEIVE_SIZE)
                    result = receive(chunk if isinstance(chunk, bytes) else bytes(chunk))
                    if result is not None:
                        return result
            except _BROKEN as exc:
                if sending and not raw.sent_any:
                    raise NothingSent(f"the connection broke: {exc}") from exc
                raise ConnectionLostException(f"the connection broke: {exc}") from exc
        if sending:
            raise TimeoutException(f"timed out after {timeout:g} s sending the request")
        raise TimeoutException(f"no answer within {timeout:g} s")

    def is_readable(self) -> bool:
        return fd_readable(self._fd)

    def close(self) -> None:
        sock = self._sock
        if sock.fileno() != -1:
            # Wake any task waiting on it first, as trio requires; never raises.
            with contextlib.suppress(RuntimeError):  # outside trio.run: nobody is waiting
                trio.lowlevel.notify_closing(sock)
            sock.close()


@final
class _TrioBackend:
    """The trio primitives the shared engine runs on."""

    __slots__ = ()

    async def open_tcp(
        self,
        host: str,
        port: int,
        timeout: float,  # noqa: ASYNC109 - one timeout per step, set by the engine
    ) -> _TrioStream:
        try:
            with trio.fail_after(timeout):
                stream = await trio.open_tcp_stream(host, port)
        except trio.TooSlowError as exc:
            raise TimeoutException(f"timed out after {timeout:g} s connecting to {host}") from exc
        except OSError as exc:
            raise ConnectException(f"cannot connect to {host}:{port}: {exc}") from exc
        # Take the connected socket out of trio's wrapper: the stream drives it directly.
        trio_sock = stream.socket
        sock = socket.socket(trio_sock.family, trio_sock.type, trio_sock.proto, trio_sock.detach())
        sock.setblocking(False)  # noqa: FBT003 - the standard library's signature
        return _TrioStream(sock, None)

    async def start_tls(
        self,
        stream: _TrioStream,
        context: ssl.SSLContext,
        hostname: str,
        timeout: float,  # noqa: ASYNC109 - one timeout per step, set by the engine
    ) -> _TrioStream:
        raw = _RawStream(trio.socket.from_stdlib_socket(stream.sock))
        tls = trio.SSLStream(raw, context, server_hostname=hostname, https_compatible=True)
        try:
            with trio.fail_after(timeout):
                await tls.do_handshake()
        except trio.TooSlowError as exc:
            raise TimeoutException(
                f"TLS handshake with {hostname} took over {timeout:g} s"
            ) from exc
        except _BROKEN as exc:
            cause = exc.__cause__ or exc
            raise TlsException(f"TLS handshake with {hostname} failed: {cause}") from cause
        return _TrioStream(stream.sock, (raw, tls))

    async def wait(
        self,
        waiter: trio.Event,
        timeout: float,  # noqa: ASYNC109 - one timeout per step, set by the engine
    ) -> None:
        try:
            with trio.fail_after(timeout):
                await waiter.wait()
        except trio.TooSlowError as exc:
            raise TimeoutException(
                f"no connection became free within {timeout:g} s (max_connections reached)"
            ) from exc

    def new_waiter(self) -> trio.Event:
        return trio.Event()

    def now(self) -> float:
        return trio.current_time()


@final
class TrioTransport(AsyncH11Shell[AsyncEngine[_TrioStream, trio.Event]]):
    """Sends requests over HTTP/1.1 on trio, keeping connections alive in a pool.

    Each request goes out exactly as given, plus `host` (and `content-length`
    when it has a body); every status comes back as an `HttpResponse`;
    redirects are not followed and nothing is retried, except one case: a
    reused keep-alive connection that fails before a single request byte was
    written is replaced by a fresh one, transparently.

    Failures map to the transport exceptions, cause chained, and never to an
    `ExceptionGroup` (the transport opens no nursery; `trio.open_tcp_stream`
    reports its failed attempts as one `OSError`, mapped like any other):

    * `ConnectException`: provably not sent (refused, DNS, proxy refused,
      transport closed); `TlsException` for a failed handshake or certificate
      (`permanent` when the certificate failed verification; a proxy's 407 on
      CONNECT is a `permanent` `ConnectException`).
    * `TimeoutException`: connecting, a read or a write took longer than
      `timeout`, the pool had no free connection within it, or the whole
      attempt exceeded `deadline` (by default twice `timeout`).
    * `ConnectionLostException`: the connection broke, or the answer was
      malformed, truncated, over `max_response_bytes` / `max_header_bytes`
      or preceded by more than `MAX_INTERIM_RESPONSES` interim answers,
      after the request may have been sent.

    A request cancelled mid-flight closes its connection; it is never reused.
    Read timeouts on plain connections are enforced by one trio system task
    per `trio.run`, started with the first request that waits for an answer.

    Args:
        max_connections, max_keepalive_per_host, connect_timeout, deadline,
        verify, proxy, trust_env, max_response_bytes, max_header_bytes: The
            options every h11 transport takes, keyword only; see `H11Shell`.
    """

    __slots__ = ()
    LOOP = "trio"

    def _new_engine(self, options: Options) -> AsyncEngine[_TrioStream, trio.Event]:
        return AsyncEngine(_TrioBackend(), options)

    async def _sleep(self, seconds: float) -> None:
        await trio.sleep(seconds)

    async def _checkpoint(self) -> None:
        await trio.lowlevel.checkpoint()
