"""An HTTP proxy on 127.0.0.1 that behaves, or misbehaves on purpose, for proxy tests.

Plain http requests come in absolute form and are forwarded one per
connection (the answer goes back with `connection: close`); https comes as
CONNECT and is relayed byte for byte. `Mode` picks the misbehaviour. The
proxy connects to loopback origins only.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import select
import socket
import threading
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

_END = b"\r\n\r\n"


class Mode(enum.Enum):
    """What the proxy does with what it is given."""

    HONEST = "honest"
    """Forward http, tunnel https."""
    DROP_AFTER_FORWARD = "drop_after_forward"
    """Forward the request, wait for the origin to act on it, then drop the client."""
    REFUSE_CONNECT = "refuse_connect"
    """Answer every CONNECT with 403."""
    REQUIRE_AUTH = "require_auth"
    """Answer 407 unless the request carries the expected proxy credentials."""


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while _END not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b"", b""
        data += chunk
    head, _, rest = data.partition(_END)
    return head + _END, rest


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _read_message(sock: socket.socket) -> bytes:
    head, rest = _read_head(sock)
    length = _content_length(head)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + rest


class MisbehavingProxy:
    """A threaded loopback proxy; `close()` it when done.

    Args:
        mode: The (mis)behaviour.
        acted: For `DROP_AFTER_FORWARD` over a tunnel: tells when the origin has
            acted on the request (the tunnel is cut at the origin's next bytes).
        user: With `password`, the credentials `REQUIRE_AUTH` expects.
        password: See `user`.

    Attributes:
        heads: Every request head the proxy received (CONNECT included), lower-cased.
    """

    def __init__(
        self,
        mode: Mode,
        *,
        acted: Callable[[], bool] = lambda: True,
        user: str = "",
        password: str = "",
    ) -> None:
        self.mode = mode
        self._acted = acted
        pair = f"{user}:{password}".encode()
        self._expected = b"basic " + base64.b64encode(pair).lower() if user else None
        self._user = f"{user}:{password}@" if user else ""
        self.heads: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The proxy URL, with the credentials given at construction."""
        return f"http://{self._user}127.0.0.1:{self._listener.getsockname()[1]}"

    def close(self) -> None:
        """Stop accepting and end every connection."""
        self._stop.set()
        self._thread.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError), client:
            client.settimeout(10)
            head, rest = _read_head(client)
            if not head:
                return
            self.heads.append(head.lower())
            if self._expected is not None and self._expected not in head.lower():
                client.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'proxy-authenticate: Basic realm="test"\r\n'
                    b"content-length: 0\r\nconnection: close\r\n\r\n"
                )
                return
            method, target, _ = head.split(b" ", 2)
            if method == b"CONNECT":
                self._tunnel(client, target.decode())
            else:
                self._forward(client, head, rest, target.decode())

    def _upstream(self, host: str, port: int) -> socket.socket:
        if host not in {"127.0.0.1", "localhost"}:
            raise OSError(f"the test proxy reaches loopback only, not {host}")
        return socket.create_connection((host, port), timeout=10)

    def _forward(self, client: socket.socket, head: bytes, rest: bytes, target: str) -> None:
        length = _content_length(head)
        while len(rest) < length:
            rest += client.recv(65536)
        parts = urlsplit(target)
        lines = [
            line
            for line in head[: -len(_END)].split(b"\r\n")
            if not line.lower().startswith(b"proxy-authorization:")
        ]
        with self._upstream(parts.hostname or "", parts.port or 80) as upstream:
            upstream.sendall(b"\r\n".join(lines) + _END + rest)
            answer = _read_message(upstream)
        if self.mode is Mode.DROP_AFTER_FORWARD:
            return  # the origin acted; the client gets nothing
        status, _, tail = answer.partition(b"\r\n")
        client.sendall(status + b"\r\nconnection: close\r\n" + tail)

    def _tunnel(self, client: socket.socket, target: str) -> None:
        if self.mode is Mode.REFUSE_CONNECT:
            client.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        with self._upstream(host, int(port)) as upstream:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            for source, data in self._relay(client, upstream):
                if self.mode is Mode.DROP_AFTER_FORWARD and source is upstream and self._acted():
                    return  # cut the tunnel: the origin's answer never arrives
                (client if source is upstream else upstream).sendall(data)

    def _relay(
        self, client: socket.socket, upstream: socket.socket
    ) -> Iterator[tuple[socket.socket, bytes]]:
        while not self._stop.is_set():
            ready, _, _ = select.select([client, upstream], [], [], 0.05)
            for source in ready:
                data = source.recv(65536)
                if not data:
                    return
                yield source, data
