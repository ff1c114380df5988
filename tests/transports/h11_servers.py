"""Loopback servers for the h11 transport tests: a scriptable HTTP server and a CONNECT proxy.

Both run on plain threads, so the blocking, asyncio and trio transports all
talk to the same code. The HTTP server picks its behaviour from the request
path (absolute-form targets included) and records what it saw:

    /cl?n=N        200, content-length, N bytes of b"x" (b"hello" without n)
    /echo          200, the raw bytes of the request as the body
    /chunked       200, chunked: b"hel" + b"lo"
    /http10        an HTTP/1.0 answer delimited by closing the connection
    /close         200 with `connection: close`, then closes
    /idle-close    200 keep-alive, then closes the connection (an idle timeout)
    /idle-reset    the same, but the close resets the connection (RST)
    /hang          never answers
    /slow?d=S      answers /cl after S seconds
    /mid-body      promises 100 bytes, sends 10, closes
    /silent-close  closes without answering
    /reset         resets the connection without answering
    /status/N      status N with an empty body (302 has a location)
    /bighead       a head of about 100 KB

`test_h11_servers.py` checks the helpers themselves.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import final
from urllib.parse import parse_qs, urlsplit

import h11


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    connection: int
    method: str
    target: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    raw: bytes


class _Parser:
    """Splits a connection's bytes into requests with h11, keeping each one's raw bytes."""

    def __init__(self) -> None:
        self._start(b"")

    def _start(self, leftover: bytes) -> None:
        self._conn = h11.Connection(h11.SERVER)
        if leftover:  # b"" would mean EOF to h11
            self._conn.receive_data(leftover)
        self._raw = bytearray(leftover)
        self._request: h11.Request | None = None
        self._body = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[h11.Request, bytes, bytes]]:
        self._conn.receive_data(data)
        self._raw += data
        while True:
            event = self._conn.next_event()
            if event is h11.NEED_DATA:
                return
            if isinstance(event, h11.Request):
                self._request = event
            elif isinstance(event, h11.Data):
                self._body += event.data
            elif isinstance(event, h11.EndOfMessage):
                leftover = self._conn.trailing_data[0]
                request, body = self._request, bytes(self._body)
                raw = bytes(self._raw[: len(self._raw) - len(leftover)])
                self._start(leftover)
                assert request is not None
                yield request, body, raw


def _answer(body: bytes = b"hello", *, status: int = 200, extra: bytes = b"") -> bytes:
    head = f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\nx-server: test\r\n"
    return head.encode() + extra + b"\r\n" + body


@final
class Server:
    """A threaded HTTP/1.1 test server on 127.0.0.1 (TLS when given a context)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.requests: list[Seen] = []
        self.connections = 0
        self.open_now = 0
        self.max_open = 0
        self.closed_by_server = 0
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Server:
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._acceptor.join(5)
        self._listener.close()
        with self._lock:
            for sock in list(self._sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(5)

    def wait_closed_by_server(self, count: int, timeout: float = 2.0) -> None:
        """Block until the server has closed `count` connections itself."""
        with self._lock:
            assert self._lock.wait_for(lambda: self.closed_by_server >= count, timeout)

    def wait_requests(self, count: int, timeout: float = 2.0) -> None:
        """Block until the server has received `count` requests."""
        with self._lock:
            assert self._lock.wait_for(lambda: len(self.requests) >= count, timeout)

    def wait_disconnected(self, timeout: float = 2.0) -> None:
        """Block until no connection is open (the client closed its side)."""
        with self._lock:
            assert self._lock.wait_for(lambda: self.open_now == 0, timeout)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            readable, _, _ = select.select([self._listener], [], [], 0.05)
            if not readable:
                continue
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
                self.open_now += 1
                self.max_open = max(self.max_open, self.open_now)
                self._sockets.add(sock)
            thread = threading.Thread(target=self._serve, args=(sock, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        conn: socket.socket = sock
        closed_here = False
        try:
            if self._tls is not None:
                sock.settimeout(2)
                conn = self._tls.wrap_socket(sock, server_side=True)
                conn.settimeout(None)
            parser = _Parser()
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                for request, body, raw in parser.feed(data):
                    seen = Seen(
                        connection=number,
                        method=request.method.decode(),
                        target=request.target.decode(),
                        headers=list(request.headers.raw_items()),
                        body=body,
                        raw=raw,
                    )
                    with self._lock:
                        self.requests.append(seen)
                        self._lock.notify_all()
                    if not self._reply(conn, seen):
                        closed_here = True
                        return
        except (OSError, h11.ProtocolError):
            return
        finally:
            conn.close()
            with self._lock:
                self._sockets.discard(sock)
                self.open_now -= 1
                self.closed_by_server += closed_here
                self._lock.notify_all()

    def _reply(self, conn: socket.socket, seen: Seen) -> bool:  # noqa: PLR0911, PLR0912 - one branch per path
        """Answer `seen`; False to close the connection afterwards."""
        parts = urlsplit(seen.target)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/cl":
            size = int(query.get("n", ["-1"])[0])
            conn.sendall(_answer(b"x" * size if size >= 0 else b"hello"))
        elif path == "/echo":
            conn.sendall(_answer(seen.raw))
        elif path == "/chunked":
            conn.sendall(
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                b"3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
            )
        elif path == "/http10":
            conn.sendall(b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nold-style body")
            return False
        elif path == "/close":
            conn.sendall(_answer(extra=b"connection: close\r\n"))
            return False
        elif path == "/idle-close":
            conn.sendall(_answer())
            return False
        elif path == "/idle-reset":
            conn.sendall(_answer())
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        elif path == "/hang":
            pass
        elif path == "/slow":
            if self._stopping.wait(float(query["d"][0])):
                return False
            conn.sendall(_answer())
        elif path == "/mid-body":
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n" + b"y" * 10)
            return False
        elif path == "/silent-close":
            return False
        elif path == "/reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        elif path.startswith("/status/"):
            status = int(path.rpartition("/")[2])
            extra = b"location: /elsewhere\r\n" if status == 302 else b""
            conn.sendall(_answer(b"", status=status, extra=extra))
        elif path == "/bighead":
            conn.sendall(_answer(extra=b"x-big: " + b"h" * 100_000 + b"\r\n"))
        else:
            conn.sendall(_answer(b"unknown path", status=404))
        return True


@final
@dataclass
class Proxy:
    """A threaded HTTP proxy for CONNECT only: tunnels to 127.0.0.1 targets, refuses others."""

    targets: list[str] = field(default_factory=list)
    _listener: socket.socket = field(default_factory=lambda: socket.create_server(("127.0.0.1", 0)))
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> Proxy:
        thread = threading.Thread(target=self._accept, daemon=True)
        self._threads.append(thread)
        thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(5)
        self._listener.close()
        for sock in self._sockets:
            sock.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            readable, _, _ = select.select([self._listener], [], [], 0.05)
            if not readable:
                continue
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            thread = threading.Thread(target=self._tunnel, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            data = client.recv(4096)
            if not data:
                return
            head += data
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ")
        self.targets.append(f"{method} {target}")
        host, _, port = target.rpartition(":")
        if method != "CONNECT" or host != "127.0.0.1":
            client.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            return
        upstream = socket.create_connection((host, int(port)))
        self._sockets.append(upstream)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pair = {client: upstream, upstream: client}
        while not self._stopping.is_set():
            readable, _, _ = select.select(list(pair), [], [], 0.05)
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                pair[sock].sendall(data)
