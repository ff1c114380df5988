"""A fast XMS look-alike on 127.0.0.1 that answers from pre-rendered bytes.

Run as its own process (`python -m benchmarks.server`), so its CPU time is its
own: it prints `port N` on stdout once listening and stops when its standard
input closes (or on SIGTERM). One thread, one epoll loop, HTTP/1.1 keep-alive
with content-length framing, pipelining allowed; it never parses JSON. Paths,
below `/xms/v1/{plan}`:

* `POST /batches`                 201, a batch
* `GET  /batches/{id}[/...]`      200, a batch
* `GET  /batches?page=N`          200, page N of a listing of 20 full pages
* `GET  /__stats`                 200, `{"cpu": seconds, "requests": n}`: this
  process's CPU time so far and how many requests it answered

Anything else gets a 404. The stats let the benchmark report how much CPU the
server spent per request, and so show it is never the bottleneck.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import final

from benchmarks import fixtures

_PREFIX = f"/xms/v1/{fixtures.PLAN}".encode()
_BATCHES = _PREFIX + b"/batches"
_BATCH = _BATCHES + b"/"
_PAGE = re.compile(rb"(?:^|&)page=(\d+)")
_HEAD_END = b"\r\n\r\n"
_LENGTH = b"\r\ncontent-length:"
_READ = select.EPOLLIN | select.EPOLLRDHUP
_REASONS = {200: b"OK", 201: b"Created", 404: b"Not Found"}


def render(status: int, body: bytes) -> bytes:
    """A whole HTTP/1.1 answer with a JSON body."""
    head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
    return head % (status, _REASONS[status], len(body)) + body


class Answers:
    """Every answer the server gives, rendered once."""

    def __init__(self) -> None:
        batch = fixtures.batch_body()
        self.created = render(201, batch)
        self.batch = render(200, batch)
        self.missing = render(404, fixtures.error_body())
        self.pages = [render(200, fixtures.page_body(n)) for n in range(fixtures.PAGES + 1)]
        self.requests = 0

    def answer(self, method: bytes, target: bytes) -> bytes:
        """The bytes answering one request."""
        self.requests += 1
        path, _, query = target.partition(b"?")
        if path == _BATCHES:
            if method == b"POST":
                return self.created
            match = _PAGE.search(query)
            page = int(match[1]) if match else 0
            return self.pages[min(page, fixtures.PAGES)]
        if path.startswith(_BATCH):
            return self.batch
        if path == b"/__stats":
            stats = {"cpu": time.process_time(), "requests": self.requests - 1}
            return render(200, json.dumps(stats).encode())
        return self.missing


class _Peer:
    __slots__ = ("buffer", "closing", "pending", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.pending = b""
        self.closing = False


def _requests(peer: _Peer, answers: Answers) -> bytes:
    """Take every whole request out of the peer's buffer; return the answers to send."""
    buffer = peer.buffer
    out = []
    while True:
        end = buffer.find(_HEAD_END)
        if end < 0:
            break
        head = bytes(buffer[:end])
        line_end = head.find(b"\r\n")
        method, target, _ = (head if line_end < 0 else head[:line_end]).split(b" ", 2)
        lowered = head.lower()
        length = 0
        at = lowered.find(_LENGTH)
        if at >= 0:
            stop = lowered.find(b"\r\n", at + 2)
            length = int(lowered[at + len(_LENGTH) : stop if stop >= 0 else None])
        total = end + 4 + length
        if len(buffer) < total:
            break
        del buffer[:total]
        out.append(answers.answer(method, target))
        if b"\r\nconnection: close" in lowered:
            peer.closing = True
            break
    return b"".join(out)


def serve(listener: socket.socket, stop_fd: int) -> None:
    """Serve until `stop_fd` is readable and at EOF."""
    answers = Answers()
    poll = select.epoll()
    listener.setblocking(False)  # noqa: FBT003 - the socket API
    poll.register(listener.fileno(), select.EPOLLIN)
    poll.register(stop_fd, select.EPOLLIN | select.EPOLLHUP)
    peers: dict[int, _Peer] = {}
    listen_fd = listener.fileno()

    def drop(fd: int) -> None:
        peer = peers.pop(fd)
        poll.unregister(fd)
        peer.sock.close()

    while True:
        for fd, events in poll.poll():
            if fd == listen_fd:
                with contextlib.suppress(BlockingIOError):
                    while True:
                        sock, _ = listener.accept()
                        sock.setblocking(False)  # noqa: FBT003 - the socket API
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        peers[sock.fileno()] = _Peer(sock)
                        poll.register(sock.fileno(), _READ)
                continue
            if fd == stop_fd:
                if not os.read(stop_fd, 4096):
                    return
                continue
            peer = peers[fd]
            if events & select.EPOLLOUT:
                _flush(peer, poll, drop)
                continue
            try:
                data = peer.sock.recv(262144)
            except OSError:
                drop(fd)
                continue
            if not data:
                drop(fd)
                continue
            peer.buffer += data
            reply = _requests(peer, answers)
            if reply:
                peer.pending += reply
                _flush(peer, poll, drop)


def _flush(peer: _Peer, poll: select.epoll, drop: Callable[[int], None]) -> None:
    fd = peer.sock.fileno()
    try:
        sent = peer.sock.send(peer.pending)
    except BlockingIOError:
        sent = 0
    except OSError:
        drop(fd)
        return
    peer.pending = peer.pending[sent:]
    if peer.pending:
        poll.modify(fd, _READ | select.EPOLLOUT)
    elif peer.closing:
        drop(fd)
    else:
        poll.modify(fd, _READ)


def main() -> int:
    """Listen on 127.0.0.1 (an ephemeral port), print it, serve until stdin closes."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    print(f"port {listener.getsockname()[1]}", flush=True)
    serve(listener, sys.stdin.fileno())
    return 0


@final
class Server:
    """The server as a child process: `with Server() as server: ... server.endpoint ...`."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> Server:
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=root,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode()
        if not line.startswith("port "):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self._process
        if process is None:
            return
        self._process = None
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self._process is not None
        return self._process.pid

    @property
    def endpoint(self) -> str:
        """The XMS endpoint to give a client: everything before `/v1/`."""
        return f"http://127.0.0.1:{self.port}/xms"

    def stats(self) -> tuple[float, int]:
        """The server's CPU seconds so far and how many requests it answered."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"GET /__stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        stats = json.loads(data.partition(_HEAD_END)[2])
        return float(stats["cpu"]), int(stats["requests"])


if __name__ == "__main__":
    sys.exit(main())
