"""HTTP/1.1 over blocking sockets with a thread-safe keep-alive pool (needs only `h11`).

from transports.h11 import H11Transport

with Client(settings, H11Transport()) as client:
    client.fetch_batch("01FC66621XXXXX119Z8PMV1QPQ")

The standard library's sockets and `ssl`, plus h11; no event loop. The HTTP
and pool logic is shared with the trio and asyncio transports.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Final, final

from transports._http11.exchange import RECEIVE_SIZE
from transports._http11.options import Options
from transports._http11.pool import Budget, NothingSent, fd_readable, step_timeout
from transports._http11.shell import H11Shell
from transports._http11.sync_engine import ResultT, SyncEngine
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
    TlsException,
)

# One TLS record carries at most this much plaintext. When the first write of a
# request that fits one record fails, at most part of one record left, which the
# server cannot decrypt: the request provably never reached it.
_TLS_RECORD: Final = 16 * 1024


_POLL: Final = getattr(select, "poll", None)  # absent on Windows: sockets keep their timeouts
_MAX_POLL_MS: Final = 2**31 - 1  # what poll() can wait at once, about 24.8 days

Poll = Callable[[float], list[tuple[int, int]]]


def _wait(poll: Poll, timeout: float) -> bool:
    """Poll for up to `timeout` seconds; whether the socket became ready."""
    ms = timeout * 1000
    if ms <= _MAX_POLL_MS:
        return bool(poll(ms))
    end = time.monotonic() + timeout
    while not poll(_MAX_POLL_MS):  # pragma: no cover - a timeout of weeks
        left = end - time.monotonic()
        if left <= 0:
            return False
        if left * 1000 <= _MAX_POLL_MS:
            return bool(poll(left * 1000))
    return True


def _timed_out() -> TimeoutError:
    """What a socket timeout raises, for the cause chain when a poll times out."""
    return TimeoutError("timed out")


@final
class _SocketStream:
    """One socket as the shared engine sees it: timed, mapped reads and writes.

    A plain socket is non-blocking and timed with its own `poll` object, made
    once: a write the kernel takes at once costs one system call, a read a
    `poll` and a `recv`. (A socket with a Python timeout polls before every
    call, writes included, and `settimeout` costs system calls of its own.) A
    TLS socket keeps the standard library's timeouts, which `ssl` needs.
    """

    __slots__ = ("_fd", "_poll", "_sock", "_timeout", "_tls")

    def __init__(self, sock: socket.socket, timeout: float, *, tls: bool) -> None:
        self._sock = sock
        self._timeout = timeout
        self._tls = tls
        self._fd = sock.fileno()
        self._poll: Poll | None = None
        if not tls and _POLL is not None:
            sock.setblocking(False)  # noqa: FBT003 - the standard library's signature
            poller = _POLL()
            poller.register(sock, select.POLLIN)
            self._poll = poller.poll

    @property
    def sock(self) -> socket.socket:
        return self._sock

    def _set_timeout(self, timeout: float) -> None:
        if timeout != self._timeout:  # settimeout costs system calls; skip it when unchanged
            self._sock.settimeout(timeout)
            self._timeout = timeout

    def round_trip(
        self,
        data: bytes,
        receive: Callable[[bytes], ResultT | None],
        timeout: float,
        budget: Budget | None,
    ) -> ResultT:
        poll = self._poll
        if poll is None:
            return self._timed_round_trip(data, receive, timeout, budget)
        self._send_now(data, step_timeout(timeout, budget))
        while True:
            result = receive(self._read(poll, step_timeout(timeout, budget), timeout))
            if result is not None:
                return result

    def _read(self, poll: Poll, step: float, timeout: float) -> bytes:
        """One read on the non-blocking socket, waiting at most `step` seconds."""
        started = time.monotonic()
        while True:
            if not _wait(poll, step):
                raise TimeoutException(f"no answer within {timeout:g} s") from _timed_out()
            try:
                return self._sock.recv(RECEIVE_SIZE)
            except BlockingIOError:  # a false alarm: wait for what is left of the step
                now = time.monotonic()
                step -= now - started
                started = now
                if step <= 0:
                    raise TimeoutException(f"no answer within {timeout:g} s") from _timed_out()
            except OSError as exc:
                raise ConnectionLostException(f"the connection broke: {exc}") from exc

    def _send_now(self, data: bytes, timeout: float) -> None:
        """Write `data` on the non-blocking socket; poll only when the kernel is full."""
        try:
            sent = self._sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            raise NothingSent(f"the connection broke: {exc}") from exc
        if sent < len(data):
            self._send_rest(memoryview(data), sent, timeout)

    def _send_rest(self, view: memoryview, sent: int, timeout: float) -> None:
        sock = self._sock
        writable = select.poll()
        writable.register(sock, select.POLLOUT)
        while sent < len(view):
            if not _wait(writable.poll, timeout):
                raise TimeoutException(
                    f"timed out after {timeout:g} s sending the request"
                ) from _timed_out()
            try:
                sent += sock.send(view[sent:])
            except BlockingIOError:
                continue
            except OSError as exc:
                if sent == 0:
                    raise NothingSent(f"the connection broke: {exc}") from exc
                raise ConnectionLostException(f"the connection broke while sending: {exc}") from exc

    def _timed_round_trip(
        self,
        data: bytes,
        receive: Callable[[bytes], ResultT | None],
        timeout: float,
        budget: Budget | None,
    ) -> ResultT:
        self._send_all(data, step_timeout(timeout, budget))
        sock = self._sock
        while True:
            self._set_timeout(step_timeout(timeout, budget))
            try:
                chunk = sock.recv(RECEIVE_SIZE)
            except TimeoutError as exc:
                raise TimeoutException(f"no answer within {timeout:g} s") from exc
            except OSError as exc:
                raise ConnectionLostException(f"the connection broke: {exc}") from exc
            result = receive(chunk)
            if result is not None:
                return result

    def _send_all(self, data: bytes, timeout: float) -> None:
        self._set_timeout(timeout)
        sock = self._sock
        sent = 0
        try:
            sent = sock.send(data)
            if sent < len(data):
                view = memoryview(data)
                while sent < len(view):
                    sent += sock.send(view[sent:])
        except TimeoutError as exc:
            raise TimeoutException(f"timed out after {timeout:g} s sending the request") from exc
        except OSError as exc:
            if sent == 0 and (not self._tls or len(data) <= _TLS_RECORD):
                raise NothingSent(f"the connection broke: {exc}") from exc
            raise ConnectionLostException(f"the connection broke while sending: {exc}") from exc

    def is_readable(self) -> bool:
        if self._poll is not None:
            return bool(self._poll(0))
        if self._tls and isinstance(self._sock, ssl.SSLSocket) and self._sock.pending():
            return True  # decrypted bytes nobody asked for
        return fd_readable(self._fd)

    def close(self) -> None:
        self._sock.close()


@final
class _SocketBackend:
    """The blocking primitives the shared engine runs on."""

    __slots__ = ()

    def open_tcp(self, host: str, port: int, timeout: float) -> _SocketStream:
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError as exc:
            raise TimeoutException(f"timed out after {timeout:g} s connecting to {host}") from exc
        except OSError as exc:
            raise ConnectException(f"cannot connect to {host}:{port}: {exc}") from exc
        with contextlib.suppress(OSError):  # not every socket family has it
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _SocketStream(sock, timeout, tls=False)

    def start_tls(
        self, stream: _SocketStream, context: ssl.SSLContext, hostname: str, timeout: float
    ) -> _SocketStream:
        sock = stream.sock
        try:
            sock.settimeout(timeout)
            tls = context.wrap_socket(sock, server_hostname=hostname)
        except TimeoutError as exc:
            raise TimeoutException(
                f"TLS handshake with {hostname} took over {timeout:g} s"
            ) from exc
        except OSError as exc:  # ssl.SSLError is an OSError
            raise TlsException(f"TLS handshake with {hostname} failed: {exc}") from exc
        return _SocketStream(tls, timeout, tls=True)

    def wait(self, waiter: threading.Event, timeout: float) -> None:
        if not waiter.wait(timeout):
            raise TimeoutException(
                f"no connection became free within {timeout:g} s (max_connections reached)"
            )

    def new_waiter(self) -> threading.Event:
        return threading.Event()

    def now(self) -> float:
        return time.monotonic()


@final
class H11Transport(H11Shell[SyncEngine[_SocketStream, threading.Event]]):
    """Sends requests over HTTP/1.1 on blocking sockets, keeping connections alive.

    Safe to share between threads: the pool is lock-guarded, each connection
    serves one request at a time, and `max_connections` bounds the sockets
    across all threads (further requests queue, first come first served).
    Behaves like `transports.trio.TrioTransport` in every other respect (same
    options, same pool rules, same error mapping, same shared code).

    Args:
        max_connections, max_keepalive_per_host, connect_timeout, deadline,
        verify, proxy, trust_env, max_response_bytes, max_header_bytes: The
            options every h11 transport takes, keyword only; see `H11Shell`.
    """

    __slots__ = ()

    def _new_engine(self, options: Options) -> SyncEngine[_SocketStream, threading.Event]:
        return SyncEngine(_SocketBackend(), options, threading.Lock())

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        """Send `request` and return the whole answer, whatever its status.

        Args:
            request: The request to send exactly as given.
            timeout: Seconds allowed to connect and for each read and write.

        Raises:
            TransportException: See `TrioTransport` for which one.
        """
        return self._engine.send(request, timeout)

    def close(self) -> None:
        """Close every idle connection; later requests raise `ConnectException`."""
        self._engine.close()

    def __enter__(self) -> H11Transport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
