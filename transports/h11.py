"""HTTP/1.1 over blocking sockets with a thread-safe keep-alive pool (needs only `h11`).

from transports.h11 import H11Transport

with Client(settings, H11Transport()) as client:
    client.fetch_batch("01FC66621XXXXX119Z8PMV1QPQ")

The standard library's sockets and `ssl`, plus h11; no event loop. The HTTP
and pool logic is shared with the trio and asyncio transports.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Final, final

from transports._h11 import RECEIVE_SIZE, Options
from transports._pool import Budget, NothingSent, ResultT, SyncEngine, fd_readable, step_timeout
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


@final
class _SocketStream:
    """One blocking socket as the shared engine sees it: timed, mapped reads and writes."""

    __slots__ = ("_fd", "_sock", "_timeout", "_tls")

    def __init__(self, sock: socket.socket, timeout: float, *, tls: bool) -> None:
        self._sock = sock
        self._timeout = timeout
        self._tls = tls
        self._fd = sock.fileno()

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
class H11Transport:
    """Sends requests over HTTP/1.1 on blocking sockets, keeping connections alive.

    Safe to share between threads: the pool is lock-guarded, each connection
    serves one request at a time, and `max_connections` bounds the sockets
    across all threads (further requests queue, first come first served).
    Behaves like `transports.trio.TrioTransport` in every other respect (same
    options, same pool rules, same error mapping, same shared code).

    Args:
        max_connections: Connections open at once across all hosts and threads.
        max_keepalive_per_host: Idle connections kept per origin (None: up to
            `max_connections`).
        connect_timeout: Seconds to connect and handshake; None uses the
            per-call `timeout`.
        deadline: Seconds for a whole request; None for no overall limit.
        verify: True verifies against certifi's CAs (the system's without
            certifi); a str is a CA bundle path; an `ssl.SSLContext` is used as
            is; False disables verification (never in production).
        proxy: `http://host:port` of an HTTP proxy: absolute-form requests for
            http, a CONNECT tunnel for https.
        max_response_bytes: The largest response body accepted.
        max_header_bytes: The largest response head accepted.
    """

    def __init__(
        self,
        *,
        max_connections: int = 10,
        max_keepalive_per_host: int | None = None,
        connect_timeout: float | None = None,
        deadline: float | None = None,
        verify: bool | str | ssl.SSLContext = True,
        proxy: str | None = None,
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
        )
        self._engine = SyncEngine(_SocketBackend(), self._options, threading.Lock())

    def __repr__(self) -> str:
        pool = self._engine.pool
        return (
            f"H11Transport({self._options.describe()}, "
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
