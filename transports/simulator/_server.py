"""A loopback HTTP/1.1 server around any `HttpRequest -> HttpResponse` handler.

The server speaks HTTP/1.1 through `h11` over blocking sockets, one thread per
connection, so sync clients in worker threads and async clients on trio or
asyncio can all talk to it at the same time. The handler (normally
`Simulator.handle`) is not thread-safe and is always called under one lock.

Tests switch server-side faults on with `SimulatorServer.inject`: a `FaultPlan`
applies one `Fault` to the next `count` requests whose target contains
`path_contains`. With `when="before"` the fault replaces handling, so nothing
reaches the handler (except `DELAY`, which answers late, and `HTTP10_NO_LENGTH`,
whose body is the handler's own answer). With `when="after"` the handler runs
first (a batch is created) and the fault then spoils the answer, which lets a
test prove that a client never re-sends a create that reached the server.

Given `control=simulator`, the server also answers the simulator's control API
(`_control`) under `control_path` (`/_simulator`), which must lie outside the XMS
base path: those requests never reach the handler and are never spoiled by a fault.

The server binds loopback addresses only and never logs request headers, so
the `authorization` token never leaves the process.
"""

from __future__ import annotations

import contextlib
import http
import ipaddress
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import final
from urllib.parse import urlsplit

import attrs
import h11

from transports.simulator._callbacks import CallbackDelivery, post_callback
from transports.simulator._control import CONTROL_PATH, ControlApi
from transports.simulator._core import Simulator
from transports.simulator._faults import JSON, CreateChaos, Fault, FaultPlan, Pending, canned
from transports.simulator._hostile import HOSTILE, Scene, misbehave
from xms_core import HttpRequest, HttpResponse

Handler = Callable[[HttpRequest], HttpResponse]
Answered = Callable[[HttpRequest, int | None], None]
"""Told how each callback was answered: its status, or None when nothing was."""

MAX_REQUEST_BODY = 16 * 1024 * 1024
"""Request bodies larger than this are answered with 413."""

IDLE_TIMEOUT = 30.0
"""Seconds a connection may sit silent before the server closes it."""

_HUGE_BODY_SIZE = 20 * 1024 * 1024
_OVERSIZED_HEADER_SIZE = 128 * 1024
_CHUNK = 64 * 1024
_ACCEPT_POLL = 0.05
_LINGER = 1.0
_STOP_GRACE = 1.0
# Hostile faults that wrap the handler's own answer: the handler runs even "before".
_HONEST_ANSWER = frozenset(
    {Fault.INTERIM_ONE, Fault.INTERIM_SEVERAL, Fault.EXTRA_ANSWER, Fault.EXTRA_ANSWER_LATE}
)
_HOP_BY_HOP = frozenset({"connection", "content-length", "keep-alive", "transfer-encoding"})

_log = logging.getLogger(__name__)


@attrs.frozen
class _Incoming:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None


def _check_loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the simulator binds loopback addresses only, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the simulator binds loopback addresses only, not {host!r}")
    return str(address)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _raw_head(status: int, headers: Iterable[tuple[str, str]], *, version: str = "1.1") -> bytes:
    lines = [f"HTTP/{version} {status} {_reason(status)}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]


def _under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or below it ("" holds everything)."""
    return not prefix or path == prefix or path.startswith(prefix + "/")


def _control_api(
    simulator: Simulator,
    path: str,
    base_path: str,
    deliveries: Callable[[], tuple[CallbackDelivery, ...]],
) -> ControlApi:
    api = ControlApi(simulator, path=path, deliveries=deliveries)
    if _under(api.path, base_path) or _under(base_path, api.path):
        raise ValueError(f"control_path {path!r} must lie outside base_path {base_path!r}")
    if simulator.base_path != base_path:
        raise ValueError(
            f"base_path {base_path!r} differs from the simulator's {simulator.base_path!r}"
        )
    return api


def _incoming(request: h11.Request, body: bytes) -> _Incoming:
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers)
    framed = any(k in {"content-length", "transfer-encoding"} for k, _ in headers)
    return _Incoming(
        method=request.method.decode("ascii"),
        target=request.target.decode("latin-1"),
        headers=headers,
        body=body if body or framed else None,
    )


class _Connection:
    """One accepted socket, served in its own thread."""

    def __init__(self, server: SimulatorServer, sock: socket.socket, number: int) -> None:
        self._server = server
        self._sock = sock
        self._number = number
        self._lock = threading.Lock()
        self._closed = False
        self._rejected = False
        self._raw_answer = False
        self.thread = threading.Thread(
            target=self._run, name=f"xms-simulator-connection-{number}", daemon=True
        )

    def abort(self) -> None:
        """Shut the socket down so that a blocked read or write returns at once."""
        with self._lock:
            if not self._closed:
                with contextlib.suppress(OSError):
                    # The plain socket call also works under TLS: no close_notify needed.
                    socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def _close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._sock.close()

    def _linger(self) -> None:
        """Half-close, then discard what the peer still sends, for a short while.

        Closing with unread input makes the kernel send a reset, which can
        destroy an answer (a 413, or a body ended by close) before the peer
        reads it; this is the lingering close of RFC 9112, section 9.6.
        """
        with contextlib.suppress(OSError):  # a timeout included
            # The plain socket call also works under TLS: no close_notify is needed.
            socket.socket.shutdown(self._sock, socket.SHUT_WR)
            deadline = time.monotonic() + _LINGER
            while (remaining := deadline - time.monotonic()) > 0:
                self._sock.settimeout(remaining)
                if not self._sock.recv(_CHUNK):  # stop() makes this return at once
                    return

    def _run(self) -> None:
        linger = False
        try:
            linger = self._serve()
        except OSError as exc:
            _log.debug("connection %d dropped: %s", self._number, type(exc).__name__)
        except Exception:  # noqa: BLE001 - a thread's last stop: log it, never let it escape
            _log.exception("connection %d failed", self._number)
        finally:
            if linger or self._rejected:
                self._linger()
            self._close()
            self._server._forget(self)  # noqa: SLF001 - the server owns its connections

    def _serve(self) -> bool:
        """Serve requests until the connection ends; True if it should linger before closing."""
        if isinstance(self._sock, ssl.SSLSocket):
            try:
                self._sock.do_handshake()
            except (OSError, ValueError) as exc:
                _log.debug("TLS handshake failed on connection %d: %s", self._number, exc)
                return False
        conn = h11.Connection(h11.SERVER)
        while not self._server._stopping.is_set():  # noqa: SLF001
            incoming = self._read_request(conn)
            if incoming is None:
                return False
            keep_open = self._answer(conn, incoming)
            if not keep_open:
                return True
            if self._raw_answer:
                self._raw_answer = False
                conn = h11.Connection(h11.SERVER)
                continue
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return True
            conn.start_next_cycle()
        return False

    def _recv(self) -> bytes | None:
        try:
            return self._sock.recv(_CHUNK)
        except TimeoutError:
            _log.debug("connection %d idle, closing", self._number)
            return None

    def _send(self, data: bytes | None) -> None:
        if data:
            self._sock.sendall(data)

    def _next_event(self, conn: h11.Connection) -> object | None:
        """The next event from the peer, reading as needed; None once the connection is done."""
        eof = False
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                if not eof:  # a peer that hung up mid-request gets no answer
                    self._reject(exc.error_status_hint, str(exc))
                return None
            if event is not h11.NEED_DATA:
                return event
            if conn.they_are_waiting_for_100_continue:
                self._send(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
            data = self._recv()
            if data is None:
                return None
            eof = not data
            conn.receive_data(data)

    def _read_request(self, conn: h11.Connection) -> _Incoming | None:
        request: h11.Request | None = None
        body = bytearray()
        limit = self._server._max_body  # noqa: SLF001
        while True:
            event = self._next_event(conn)
            if isinstance(event, h11.Request):
                request = event
                length = next((v for k, v in event.headers if k == b"content-length"), b"0")
                if int(length) > limit:
                    self._reject(413, "request body too large")
                    return None
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > limit:
                    self._reject(413, "request body too large")
                    return None
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                return _incoming(request, bytes(body))
            else:  # None, ConnectionClosed, or PAUSED (which a server never sees here)
                return None

    def _reject(self, status: int, text: str) -> None:
        self._rejected = True
        body = text.encode("utf-8", "replace")
        head = [("content-type", "text/plain"), ("content-length", str(len(body)))]
        with contextlib.suppress(OSError):
            self._send(_raw_head(status, [*head, ("connection", "close")]) + body)

    def _answer(self, conn: h11.Connection, incoming: _Incoming) -> bool:
        """Answer one request; False if the connection must close now."""
        server = self._server
        target = incoming.target
        # An absolute-form target (a client that takes us for a proxy) is the URL itself.
        absolute = target.startswith(("http://", "https://"))
        url = target if absolute else f"{server._origin}{target}"  # noqa: SLF001
        path = urlsplit(url).path
        request = HttpRequest(
            method=incoming.method,
            url=url,
            headers=incoming.headers,
            body=incoming.body,
        )
        control = server.control
        if control is not None and _under(path, control.path):
            server._count_request()  # noqa: SLF001
            return self._respond(conn, incoming, server._call(request, control.handle))  # noqa: SLF001
        if not _under(path, server.base_path):
            server._count_request()  # noqa: SLF001
            not_found = HttpResponse(status=404, headers=[("content-type", "text/plain")])
            return self._respond(conn, incoming, not_found)
        plan = server._take_fault(incoming.target)  # noqa: SLF001
        server._count_request()  # noqa: SLF001
        _log.debug("%s %s (fault: %s)", incoming.method, path, plan and plan.fault.name)
        if plan is None:
            return self._answer_plain(conn, incoming, request, path)
        return self._faulted(conn, incoming, request, plan)

    def _faulted(
        self, conn: h11.Connection, incoming: _Incoming, request: HttpRequest, plan: FaultPlan
    ) -> bool:
        """Answer one request the way `plan` spoils it; False if the connection must close."""
        server = self._server
        response: HttpResponse | None = None
        if plan.when == "after" or plan.fault is Fault.HTTP10_NO_LENGTH:
            response = server._call(request)  # noqa: SLF001
        if plan.fault in HOSTILE:
            if response is None and plan.fault in _HONEST_ANSWER:
                response = server._call(request)  # noqa: SLF001 - only the framing is odd
            answer = response if response is not None else canned(plan.fault, plan)
            stopping = server._stopping  # noqa: SLF001
            keep = misbehave(plan.fault, Scene(plan, request, answer, self._send, stopping))
            self._raw_answer = keep  # the bytes bypassed h11: a fresh one for the next request
            return keep
        if plan.fault is Fault.DELAY:
            if server._stopping.wait(plan.delay):  # noqa: SLF001
                return False
            if response is None:
                response = server._call(request)  # noqa: SLF001
            return self._respond(conn, incoming, response)
        return self._spoil(conn, incoming, plan, response)

    def _answer_plain(
        self, conn: h11.Connection, incoming: _Incoming, request: HttpRequest, path: str
    ) -> bool:
        """Answer a request no fault plan matched, unless the create chaos strikes."""
        server = self._server
        chaos = server._chaos_for(incoming.method, path)  # noqa: SLF001
        if chaos == "throttle":
            refusal = canned(Fault.TOO_MANY_REQUESTS, server._chaos_plan)  # noqa: SLF001
            return self._respond(conn, incoming, refusal)
        answer = server._call(request)  # noqa: SLF001
        if chaos == "drop":
            return False  # created, then the connection closes unanswered
        return self._respond(conn, incoming, answer)

    def _respond(
        self,
        conn: h11.Connection,
        incoming: _Incoming,
        response: HttpResponse,
        *,
        extra: Iterable[tuple[str, str]] = (),
    ) -> bool:
        status = response.status
        bodyless = status in {204, 304} or incoming.method == "HEAD"
        headers = [*_end_to_end(response.headers), *extra]
        if status not in {204, 304}:
            headers.append(("content-length", str(len(response.body))))
        out = bytearray(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
        if response.body and not bodyless:
            out += conn.send(h11.Data(data=response.body)) or b""
        out += conn.send(h11.EndOfMessage()) or b""
        self._send(bytes(out))  # one write: no Nagle/delayed-ACK stall between the parts
        return True

    def _spoil(
        self,
        conn: h11.Connection,
        incoming: _Incoming,
        plan: FaultPlan,
        response: HttpResponse | None,
    ) -> bool:
        fault = plan.fault
        if fault is Fault.CLOSE_BEFORE_ANSWER:
            return False
        if fault in {
            Fault.INVALID_JSON,
            Fault.NON_JSON_CONTENT_TYPE,
            Fault.TOO_MANY_REQUESTS,
            Fault.SERVICE_UNAVAILABLE,
        }:
            return self._respond(conn, incoming, canned(fault, plan))
        if fault is Fault.HUGE_BODY:
            return self._send_huge(conn)
        answer = response if response is not None else canned(fault, plan)
        if fault is Fault.OVERSIZED_HEADER:
            oversized = ("x-oversized", "a" * _OVERSIZED_HEADER_SIZE)
            return self._respond(conn, incoming, answer, extra=[oversized])
        headers = _end_to_end(answer.headers)
        body = answer.body if len(answer.body) >= 2 else canned(fault, plan).body  # noqa: PLR2004 - a half needs two bytes
        status = answer.status if answer.status not in {204, 304} else 200
        if fault is Fault.CLOSE_MID_HEADERS:
            head = _raw_head(status, [*headers, ("content-length", str(len(body)))])
            self._send(head[: head.index(b" ") + 2])  # "HTTP/1.1 2"
        elif fault is Fault.CLOSE_MID_BODY:
            head = _raw_head(status, [*headers, ("content-length", str(len(body)))])
            self._send(head + body[: len(body) // 2])
        elif fault is Fault.TRUNCATED_CHUNKED:
            half = body[: len(body) // 2]
            head = _raw_head(status, [*headers, ("transfer-encoding", "chunked")])
            self._send(head + b"%x\r\n%s\r\n" % (len(half), half))
        else:  # HTTP10_NO_LENGTH: the whole answer, ended by closing the connection
            self._send(_raw_head(answer.status, headers, version="1.0") + answer.body)
        return False

    def _send_huge(self, conn: h11.Connection) -> bool:
        prefix, suffix = b'{"padding":"', b'"}'
        filler = b"x" * _CHUNK
        remaining = _HUGE_BODY_SIZE - len(prefix) - len(suffix)
        length = ("content-length", str(_HUGE_BODY_SIZE))
        self._send(conn.send(h11.Response(status_code=200, headers=[JSON, length])))
        self._send(conn.send(h11.Data(data=prefix)))
        while remaining > 0:
            piece = filler[: min(remaining, _CHUNK)]
            self._send(conn.send(h11.Data(data=piece)))
            remaining -= len(piece)
        self._send(conn.send(h11.Data(data=suffix)))
        self._send(conn.send(h11.EndOfMessage()))
        return True


def _listen(host: str, port: int) -> socket.socket:
    """Open the listening socket of a server on `host`:`port`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
        listener.settimeout(_ACCEPT_POLL)
    except BaseException:
        listener.close()
        raise
    return listener


@final
class SimulatorServer:
    """A running loopback server; build it with `serve` or `start`.

    Attributes:
        url: The base URL to configure a client with, e.g. `http://127.0.0.1:PORT/xms`.
        host: The bound address.
        port: The bound port.
        base_path: Requests outside this path get 404 without reaching the handler.
        control: The control API, when the server was given a simulator to control.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        base_path: str = "/xms",
        idle_timeout: float = IDLE_TIMEOUT,
        max_request_body: int = MAX_REQUEST_BODY,
        callbacks: Callable[[], list[HttpRequest]] | None = None,
        callback_interval: float = 0.05,
        callback_answered: Answered | None = None,
        control: Simulator | None = None,
        control_path: str = CONTROL_PATH,
    ) -> None:
        host = _check_loopback(host)
        base_path = base_path.rstrip("/")
        self.control: ControlApi | None = None
        if control is not None:
            self.control = _control_api(control, control_path, base_path, self._deliveries)
        listener = _listen(host, port)
        self._listener = listener
        self._handler = handler
        self._ssl_context = ssl_context
        self._idle_timeout = idle_timeout
        self._max_body = max_request_body
        self.host = host
        self.port: int = listener.getsockname()[1]
        self.base_path = base_path
        scheme = "https" if ssl_context is not None else "http"
        authority = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        self._origin = f"{scheme}://{authority}"
        self.url = self._origin + self.base_path

        self._lock = threading.Lock()
        self._handler_lock = threading.Lock()
        self._stopping = threading.Event()
        self._stopped = False
        self._faults: list[Pending] = []
        self._chaos: CreateChaos | None = None
        self._chaos_random = random.Random(0)  # noqa: S311 - test faults, not secrets
        self._chaos_plan = FaultPlan(fault=Fault.TOO_MANY_REQUESTS)
        self.chaos_counts: dict[str, int] = {"drop": 0, "throttle": 0}
        self._connections: set[_Connection] = set()
        self._accepted = 0
        self._open = 0
        self._max_open = 0
        self._served = 0
        self._callbacks = callbacks
        self._callback_answered = callback_answered
        self._callback_interval = callback_interval
        self._callback_lock = threading.Lock()
        self.callback_deliveries: list[CallbackDelivery] = []
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"xms-simulator-{self.port}", daemon=True
        )
        self._accept_thread.start()
        self._callback_thread: threading.Thread | None = None
        if callbacks is not None:
            self._callback_thread = threading.Thread(
                target=self._callback_loop, name=f"xms-callbacks-{self.port}", daemon=True
            )
            self._callback_thread.start()

    def _deliveries(self) -> tuple[CallbackDelivery, ...]:
        return tuple(self.callback_deliveries)  # a copy, safe without the callback lock

    def deliver_callbacks(self) -> list[CallbackDelivery]:
        """Send every callback due now, at once; return what happened to each."""
        if self._callbacks is None:
            return []
        with self._callback_lock:
            with self._handler_lock:
                due = self._callbacks()
            delivered = [post_callback(request) for request in due]
            self.callback_deliveries.extend(delivered)
            if self._callback_answered is not None:
                with self._handler_lock:
                    for request, outcome in zip(due, delivered, strict=True):
                        if outcome.attempted:
                            self._callback_answered(request, outcome.status)
        return delivered

    def _callback_loop(self) -> None:
        while not self._stopping.wait(self._callback_interval):
            self.deliver_callbacks()

    def __repr__(self) -> str:
        return f"SimulatorServer(url={self.url!r}, requests_served={self.requests_served})"

    @property
    def connections_accepted(self) -> int:
        """Total TCP connections accepted so far."""
        with self._lock:
            return self._accepted

    @property
    def open_connections(self) -> int:
        """Connections open right now."""
        with self._lock:
            return self._open

    @property
    def max_concurrent_connections(self) -> int:
        """The most connections that were open at the same time."""
        with self._lock:
            return self._max_open

    @property
    def requests_served(self) -> int:
        """Complete requests received (faulted ones included)."""
        with self._lock:
            return self._served

    def inject(self, plan: FaultPlan) -> None:
        """Queue `plan`; it spoils the next `plan.count` matching requests."""
        with self._lock:
            self._faults.append(Pending(plan=plan, remaining=plan.count))

    def set_chaos(self, chaos: CreateChaos | None) -> None:
        """Apply `chaos` to every batch create from now on (None stops it)."""
        with self._lock:
            self._chaos = chaos
            if chaos is not None:
                self._chaos_random = random.Random(chaos.seed)  # noqa: S311 - test faults
                plan = FaultPlan(fault=Fault.TOO_MANY_REQUESTS, retry_after=chaos.retry_after)
                self._chaos_plan = plan

    def _chaos_for(self, method: str, path: str) -> str | None:
        """`"throttle"`, `"drop"` or None for one request, as the chaos plan draws it."""
        with self._lock:
            chaos = self._chaos
            if chaos is None or method != "POST" or not path.endswith("/batches"):
                return None
            draw = self._chaos_random.random()
            if draw < chaos.too_many_requests:
                outcome = "throttle"
            elif draw < chaos.too_many_requests + chaos.drop_after_create:
                outcome = "drop"
            else:
                return None
            self.chaos_counts[outcome] += 1
            return outcome

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def stop(self) -> None:
        """Close the listener and every connection, and join the threads (about 1 s at most)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            connections = list(self._connections)
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() at once on Linux
        self._accept_thread.join(_STOP_GRACE)
        if self._callback_thread is not None:
            self._callback_thread.join(_STOP_GRACE)
        self._listener.close()
        for connection in connections:
            connection.abort()
        deadline = time.monotonic() + _STOP_GRACE
        for connection in connections:
            connection.thread.join(max(0.0, deadline - time.monotonic()))

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                if self._stopping.is_set():
                    return
                _log.warning("accept failed: %s", exc)
                self._stopping.wait(_ACCEPT_POLL)
                continue
            try:
                self._admit(sock)
            except Exception:  # noqa: BLE001 - keep accepting whatever one connection does
                _log.exception("could not start serving a connection")
                sock.close()

    def _admit(self, sock: socket.socket) -> None:
        sock.settimeout(self._idle_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._ssl_context is not None:
            sock = self._ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        with self._lock:
            if self._stopped:
                sock.close()
                return
            self._accepted += 1
            self._open += 1
            self._max_open = max(self._max_open, self._open)
            connection = _Connection(self, sock, self._accepted)
            self._connections.add(connection)
        connection.thread.start()

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            if connection in self._connections:
                self._connections.discard(connection)
                self._open -= 1

    def _count_request(self) -> None:
        with self._lock:
            self._served += 1

    def _take_fault(self, target: str) -> FaultPlan | None:
        with self._lock:
            for pending in self._faults:
                wanted = pending.plan.path_contains
                if wanted is None or wanted in target:
                    pending.remaining -= 1
                    if pending.remaining <= 0:
                        self._faults.remove(pending)
                    return pending.plan
        return None

    def _call(self, request: HttpRequest, handler: Handler | None = None) -> HttpResponse:
        with self._handler_lock:
            try:
                return (self._handler if handler is None else handler)(request)
            except Exception:  # noqa: BLE001 - a handler bug becomes a 500, as on a real server
                # The request (and so its token) stays out of the log.
                _log.exception("the handler failed on %s", request.method)
                body = b"the simulator's handler failed"
                return HttpResponse(status=500, headers=[("content-type", "text/plain")], body=body)


def start(
    handler: Handler,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    ssl_context: ssl.SSLContext | None = None,
    base_path: str = "/xms",
    idle_timeout: float = IDLE_TIMEOUT,
    max_request_body: int = MAX_REQUEST_BODY,
    callbacks: Callable[[], list[HttpRequest]] | None = None,
    callback_answered: Answered | None = None,
    control: Simulator | None = None,
    control_path: str = CONTROL_PATH,
) -> SimulatorServer:
    """Start serving `handler` in background threads; call `stop()` when done.

    Args:
        handler: Called (under one lock) with each request.
        host: A loopback address to bind; anything else raises ValueError.
        port: The port, 0 for any free one.
        ssl_context: A server-side context to serve HTTPS.
        base_path: The path prefix served; the rest is 404.
        idle_timeout: Seconds of silence before a connection is closed.
        max_request_body: Larger request bodies are answered with 413.
        callbacks: Where due callbacks come from (e.g. `Simulator.take_callbacks`);
            when given, a thread posts them to their loopback URLs as they fall due.
        callback_answered: Told how each posted callback was answered (e.g.
            `Simulator.callback_answered`, which retries 5xx, 429 and no answer).
        control: A simulator to control over HTTP (the `handler` is normally its
            `handle`): inject inbounds, move its manual clock, fail or expire
            recipients, read its request log and the callbacks posted.
        control_path: Where the control API is served; it must lie outside `base_path`.

    Returns:
        The running server.
    """
    return SimulatorServer(
        handler,
        host=host,
        port=port,
        ssl_context=ssl_context,
        base_path=base_path,
        idle_timeout=idle_timeout,
        max_request_body=max_request_body,
        callbacks=callbacks,
        callback_answered=callback_answered,
        control=control,
        control_path=control_path,
    )


@contextlib.contextmanager
def serve(
    handler: Handler,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    ssl_context: ssl.SSLContext | None = None,
    base_path: str = "/xms",
    idle_timeout: float = IDLE_TIMEOUT,
    max_request_body: int = MAX_REQUEST_BODY,
    callbacks: Callable[[], list[HttpRequest]] | None = None,
    callback_answered: Answered | None = None,
    control: Simulator | None = None,
    control_path: str = CONTROL_PATH,
) -> Iterator[SimulatorServer]:
    """Serve `handler` for the duration of a `with` block; see `start` for the arguments.

    Yields:
        The running server, stopped when the block ends.
    """
    server = start(
        handler,
        host=host,
        port=port,
        ssl_context=ssl_context,
        base_path=base_path,
        idle_timeout=idle_timeout,
        max_request_body=max_request_body,
        callbacks=callbacks,
        callback_answered=callback_answered,
        control=control,
        control_path=control_path,
    )
    try:
        yield server
    finally:
        server.stop()
