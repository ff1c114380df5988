"""The contract kit's server: HTTP/1.1 on 127.0.0.1, each answer scripted by the request target.

Plain threads and blocking sockets, so a sync transport and an async one on
any event loop talk to the same code. It reads requests with h11 and writes
answers as raw bytes (h11 would refuse to write most of the broken ones). A
target reads `/<id>/<scene>[/<argument>][anything more]`: the id names the
request, and every answer carries it back in `x-contract-id` (so an answer
given to the wrong request shows); the scene picks the answer:

    echo            200 with a short body
    status/N        status N (3xx with a location; 204 and 304 without a body)
    headers         200 with repeated, empty and mixed-case header lines
    length/N        N bytes framed by content-length (a HEAD gets the head only)
    chunked         a chunked body with a chunk extension and a trailer
    until-close     an HTTP/1.1 body delimited by closing the connection
    http10          an HTTP/1.0 answer delimited by closing the connection
    close           200 with `connection: close`, then closes
    idle-close      200 keep-alive, then closes the idle connection
    extra           the answer and an unsolicited second one in the same write
    extra-late      the answer, then the unsolicited one a moment later
    interim/N       N interim (1xx) answers, then 200
    hang            never answers
    drip-head       a head that never ends, a byte every `DRIP` seconds
    drip-body       a body that never ends, a byte every `DRIP` seconds
    reset           resets the connection (RST) without answering
    reset-mid-body  resets it in the middle of the body
    silent          closes without answering
    cut-head, cut-body, cut-chunk                      truncated answers
    bad-status, two-lengths, bad-length, bad-chunk, not-http   malformed answers

The endless scenes give up after `HOLD` seconds (or when the client hangs up)
by closing the connection. A redirect followed (`/redirected/<id>`) gets 200,
as the answer to the original request (the kit reports the redirect). A
request whose id was seen before gets 200 at once with `x-contract-repeat`
(the kit reports the retry); one the server cannot parse gets 400 with
`x-contract-unreadable` saying why.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Final, final

import attrs
import h11

HOLD: Final = 5.0
"""Seconds an endless scene goes on before the server gives up and closes."""

DRIP: Final = 0.05
"""Seconds between the bytes of a dripping answer."""

LATE: Final = 0.05
"""Seconds between an answer and the unsolicited one of `extra-late`."""

INTERIM_DEFAULT: Final = 1
_RECEIVE: Final = 65536
_WAIT: Final = 5.0  # seconds to wait for threads when stopping

Headers = tuple[tuple[str, str], ...]


@attrs.frozen
class Seen:
    """One request as the server read it off the wire.

    Attributes:
        request_id: The first segment of the target.
        connection: Which connection it came on (1, 2, ... in accept order).
        method: The method.
        target: The request target, as sent.
        headers: The header lines as sent, names lower-cased, in order.
        body: The body, de-chunked.
    """

    request_id: str
    connection: int
    method: str
    target: str
    headers: Headers
    body: bytes


def pattern(size: int) -> bytes:
    """`size` bytes running through every byte value: a body that shows any corruption."""
    return (bytes(range(256)) * (size // 256 + 1))[:size]


def chunked_body() -> bytes:
    """The body the `chunked` scene sends, once de-chunked."""
    return b"hello" + pattern(70_000)


def _head(status: int, headers: Iterable[tuple[str, str]], reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _answer(request_id: str, body: bytes = b"", *, status: int = 200, extra: Headers = ()) -> bytes:
    headers = [("x-contract-id", request_id), *extra, ("content-length", str(len(body)))]
    return _head(status, headers) + body


def answer_body(request_id: str) -> bytes:
    """The body of an ordinary answer to request `request_id`."""
    return f"answer to {request_id}".encode()


_UNSOLICITED: Final = _answer("unsolicited", b"an answer nobody asked for")


class _Parser:
    """Splits a connection's bytes into requests with h11."""

    def __init__(self) -> None:
        self._start(b"")

    def _start(self, leftover: bytes) -> None:
        self._conn = h11.Connection(h11.SERVER)
        if leftover:  # b"" would mean EOF to h11
            self._conn.receive_data(leftover)
        self._request: h11.Request | None = None
        self._body = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[h11.Request, bytes]]:
        """Take `data`; yield every request it completes, with its body."""
        self._conn.receive_data(data)
        while True:
            event = self._conn.next_event()
            if event is h11.NEED_DATA:
                return
            if isinstance(event, h11.Request):
                self._request = event
            elif isinstance(event, h11.Data):
                self._body += event.data
            elif isinstance(event, h11.EndOfMessage) and self._request is not None:
                request, body = self._request, bytes(self._body)
                self._start(self._conn.trailing_data[0])
                yield request, body


@attrs.frozen
class _Turn:
    """One request being answered: what a scene works with."""

    seen: Seen
    argument: str
    sock: socket.socket
    server: ContractServer

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    @property
    def request_id(self) -> str:
        return self.seen.request_id


def _echo(turn: _Turn) -> bool:
    turn.send(_answer(turn.request_id, answer_body(turn.request_id)))
    return True


_NO_BODY: Final = frozenset({204, 304})


def _status(turn: _Turn) -> bool:
    status = int(turn.argument)
    if status in _NO_BODY:
        headers = [("x-contract-id", turn.request_id), ("x-status", str(status))]
        turn.send(_head(status, headers))
        return True
    extra: Headers = (("content-type", "text/plain"),)
    if 300 <= status < 400:  # noqa: PLR2004 - the redirections
        extra += (("location", f"/redirected/{turn.request_id}"),)
    body = f"status {status}".encode()
    reason = "" if status >= 500 else "Some Reason"  # noqa: PLR2004 - an empty reason too
    headers = [("x-contract-id", turn.request_id), *extra, ("content-length", str(len(body)))]
    turn.send(_head(status, headers, reason) + body)
    return True


def response_headers(request_id: str) -> Headers:
    """The header lines the `headers` scene sends, before its content-length."""
    return (
        ("Content-Type", "application/json"),
        ("X-Repeat", "1"),
        ("set-cookie", "a=1; Path=/"),
        ("x-repeat", "2"),
        ("x-spaces", "a  b\tc"),
        ("x-empty", ""),
        ("x-contract-id", request_id),
    )


def _headers(turn: _Turn) -> bool:
    body = b"{}"
    headers = [*response_headers(turn.request_id), ("content-length", str(len(body)))]
    turn.send(_head(200, headers) + body)
    return True


def _length(turn: _Turn) -> bool:
    body = pattern(int(turn.argument))
    answer = _answer(turn.request_id, body)
    turn.send(answer[: len(answer) - len(body)] if turn.seen.method == "HEAD" else answer)
    return True


def _chunked(turn: _Turn) -> bool:
    rest = chunked_body()[5:]
    head = _head(200, [("x-contract-id", turn.request_id), ("transfer-encoding", "chunked")])
    turn.send(head + b"5;kit=1\r\nhello\r\n")
    turn.send(f"{len(rest):x}\r\n".encode() + rest + b"\r\n")
    turn.send(b"0\r\nx-trailer: end\r\n\r\n")
    return True


def until_close_body() -> bytes:
    """The body the close-delimited scenes send."""
    return b"no length, no chunks: " + pattern(3000)


def _until_close(turn: _Turn) -> bool:
    body = until_close_body()
    turn.send(_head(200, [("x-contract-id", turn.request_id), ("connection", "close")]))
    for piece in (body[:1000], body[1000:2000], body[2000:]):
        time.sleep(0.005)  # separate writes: the body arrives in pieces
        turn.send(piece)
    return False


def _http10(turn: _Turn) -> bool:
    head = f"HTTP/1.0 200 OK\r\nx-contract-id: {turn.request_id}\r\n\r\n".encode()
    turn.send(head + until_close_body())
    return False


def _close(turn: _Turn) -> bool:
    extra: Headers = (("connection", "close"),)
    turn.send(_answer(turn.request_id, answer_body(turn.request_id), extra=extra))
    return False


def _idle_close(turn: _Turn) -> bool:
    turn.send(_answer(turn.request_id, answer_body(turn.request_id)))
    return False


def _extra(turn: _Turn) -> bool:
    turn.send(_answer(turn.request_id, answer_body(turn.request_id)) + _UNSOLICITED)
    return True


def _extra_late(turn: _Turn) -> bool:
    turn.send(_answer(turn.request_id, answer_body(turn.request_id)))
    if turn.server.stopping.wait(LATE):
        return False
    turn.send(_UNSOLICITED)  # on an idle keep-alive connection: nobody asked
    turn.server.mark(turn.request_id)
    return True


_INTERIM: Final = (
    _head(100, [], "Continue"),
    _head(102, [], "Processing"),
    _head(103, [("link", "</kit.css>; rel=preload")], "Early Hints"),
)


def _interim(turn: _Turn) -> bool:
    count = int(turn.argument or INTERIM_DEFAULT)
    interim = b"".join(_INTERIM[(index + 2) % 3] for index in range(count))
    turn.send(interim + _answer(turn.request_id, answer_body(turn.request_id)))
    return True


def _hang(turn: _Turn) -> bool:
    return turn.server.hold(turn.sock, None)


def _drip_head(turn: _Turn) -> bool:
    turn.send(f"HTTP/1.1 200 OK\r\nx-contract-id: {turn.request_id}\r\nx-drip: ".encode())
    return turn.server.hold(turn.sock, b"a")


def _drip_body(turn: _Turn) -> bool:
    turn.send(_head(200, [("x-contract-id", turn.request_id), ("content-length", "100000")]))
    return turn.server.hold(turn.sock, b" ")


def _reset(turn: _Turn) -> bool:
    turn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return False


def _reset_mid_body(turn: _Turn) -> bool:
    turn.send(_head(200, [("x-contract-id", turn.request_id), ("content-length", "1000")]))
    turn.send(b"y" * 100)
    time.sleep(0.01)  # let the head and the first bytes arrive before the reset
    return _reset(turn)


def _silent(turn: _Turn) -> bool:
    return False


def _cut_head(turn: _Turn) -> bool:
    turn.send(f"HTTP/1.1 200 OK\r\nx-contract-id: {turn.request_id}\r\ncontent-ty".encode())
    return False


def _cut_body(turn: _Turn) -> bool:
    turn.send(_head(200, [("x-contract-id", turn.request_id), ("content-length", "100")]))
    turn.send(b"y" * 10)
    return False


def _cut_chunk(turn: _Turn) -> bool:
    head = _head(200, [("x-contract-id", turn.request_id), ("transfer-encoding", "chunked")])
    turn.send(head + b"64\r\n" + b"y" * 10)
    return False


def _bad_status(turn: _Turn) -> bool:
    turn.send(f"HTTP/1.1 2OO OK\r\nx-contract-id: {turn.request_id}\r\n".encode())
    turn.send(b"content-length: 2\r\n\r\n{}")
    return False


def _two_lengths(turn: _Turn) -> bool:
    body = answer_body(turn.request_id)
    lengths = [("content-length", str(len(body))), ("content-length", str(len(body) + 7))]
    turn.send(_head(200, [("x-contract-id", turn.request_id), *lengths]) + body)
    return False


def _bad_length(turn: _Turn) -> bool:
    turn.send(_head(200, [("x-contract-id", turn.request_id), ("content-length", "ten")]))
    turn.send(b"0123456789")
    return False


def _bad_chunk(turn: _Turn) -> bool:
    head = _head(200, [("x-contract-id", turn.request_id), ("transfer-encoding", "chunked")])
    turn.send(head + b"zz\r\nhello\r\n0\r\n\r\n")
    return False


def _not_http(turn: _Turn) -> bool:
    turn.send(b"hello, this is not HTTP\r\n\r\n")
    return False


def _unknown(turn: _Turn) -> bool:
    turn.send(_answer(turn.request_id, b"no such scene", status=404))
    return True


_SCENES: Final[dict[str, Callable[[_Turn], bool]]] = {
    "echo": _echo,
    "status": _status,
    "headers": _headers,
    "length": _length,
    "chunked": _chunked,
    "until-close": _until_close,
    "http10": _http10,
    "close": _close,
    "idle-close": _idle_close,
    "extra": _extra,
    "extra-late": _extra_late,
    "interim": _interim,
    "hang": _hang,
    "drip-head": _drip_head,
    "drip-body": _drip_body,
    "reset": _reset,
    "reset-mid-body": _reset_mid_body,
    "silent": _silent,
    "cut-head": _cut_head,
    "cut-body": _cut_body,
    "cut-chunk": _cut_chunk,
    "bad-status": _bad_status,
    "two-lengths": _two_lengths,
    "bad-length": _bad_length,
    "bad-chunk": _bad_chunk,
    "not-http": _not_http,
}


def _split_target(target: str) -> tuple[str, str, str]:
    """The id, scene and argument of `/<id>/<scene>/<argument>...` (absolute form too)."""
    path = target.split("?", 1)[0]
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    parts = [*path.split("/")[1:4], "", "", ""]
    return parts[0], parts[1], parts[2]


@final
class ContractServer:
    """The loopback server one check runs against; a context manager.

    Everything it records is read by the kit from the calling thread, under
    one lock.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        # Bound, never listening: a connection to it is refused (and the port stays ours).
        self._refusing = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._refusing.bind(("127.0.0.1", 0))
        self.refusing_port: int = self._refusing.getsockname()[1]
        self.stopping = threading.Event()
        self._lock = threading.Condition()
        self._seen: dict[str, list[Seen]] = {}
        self._open: dict[int, bool] = {}
        self._received = 0
        self._marks: dict[str, float] = {}
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True, name="contract-kit")

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:<port>`, where the server listens."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def authority(self) -> str:
        """The `host` header a request to the server carries."""
        return f"127.0.0.1:{self.port}"

    @property
    def refusing_origin(self) -> str:
        """An origin on 127.0.0.1 where every connection is refused."""
        return f"http://127.0.0.1:{self.refusing_port}"

    def __enter__(self) -> ContractServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self._acceptor.join(_WAIT)
        self._listener.close()
        self._refusing.close()
        with self._lock:
            for sock in list(self._sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(_WAIT)

    def seen(self, request_id: str) -> list[Seen]:
        """Every request with this id the server read (more than one: a retry)."""
        with self._lock:
            return list(self._seen.get(request_id, ()))

    def is_open(self, connection: int) -> bool:
        """Whether connection number `connection` is still open on the server's side."""
        with self._lock:
            return self._open.get(connection, False)

    @property
    def bytes_received(self) -> int:
        """Bytes read from every connection so far."""
        with self._lock:
            return self._received

    def marked(self, request_id: str) -> float | None:
        """When the late unsolicited answer after `request_id` went out (monotonic)."""
        with self._lock:
            return self._marks.get(request_id)

    def mark(self, request_id: str) -> None:
        """Note that the late unsolicited answer after `request_id` went out."""
        with self._lock:
            self._marks[request_id] = time.monotonic()

    def hold(self, sock: socket.socket, piece: bytes | None) -> bool:
        """Send `piece` every `DRIP` seconds (nothing if None) until the peer leaves, or `HOLD`."""
        ends = time.monotonic() + HOLD
        while time.monotonic() < ends and not self.stopping.is_set():
            if piece is not None:
                sock.sendall(piece)  # an OSError (the client hung up) ends the connection
            readable, _, _ = select.select([sock], [], [], DRIP)
            if readable and not sock.recv(_RECEIVE):
                break
        return False

    def _accept(self) -> None:
        number = 0
        while not self.stopping.is_set():
            readable, _, _ = select.select([self._listener], [], [], DRIP)
            if not readable:
                continue
            try:
                sock, _ = self._listener.accept()
            except OSError:  # pragma: no cover - the listener closed while stopping
                return
            number += 1
            with self._lock:
                self._open[number] = True
                self._sockets.add(sock)
            thread = threading.Thread(target=self._serve, args=(sock, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        parser = _Parser()
        try:
            while True:
                data = sock.recv(_RECEIVE)
                with self._lock:
                    self._received += len(data)
                if not data:
                    return
                for request, body in parser.feed(data):
                    if not self._reply(sock, self._record(request, body, number)):
                        return
        except h11.RemoteProtocolError as error:
            reason = str(error).replace("\r", " ").replace("\n", " ")
            extra: Headers = (("x-contract-unreadable", reason), ("connection", "close"))
            with contextlib.suppress(OSError):
                sock.sendall(_answer("unreadable", status=400, extra=extra))
        except OSError:
            return
        finally:
            sock.close()
            with self._lock:
                self._sockets.discard(sock)
                self._open[number] = False
                self._lock.notify_all()

    def _record(self, request: h11.Request, body: bytes, number: int) -> Seen:
        target = request.target.decode("latin-1")
        seen = Seen(
            request_id=_split_target(target)[0],
            connection=number,
            method=request.method.decode("latin-1"),
            target=target,
            headers=tuple(
                (name.decode("latin-1").lower(), value.decode("latin-1"))
                for name, value in request.headers.raw_items()
            ),
            body=body,
        )
        with self._lock:
            self._seen.setdefault(seen.request_id, []).append(seen)
            self._lock.notify_all()
        return seen

    def _reply(self, sock: socket.socket, seen: Seen) -> bool:
        """Answer `seen`; False to close the connection afterwards."""
        request_id, scene, argument = _split_target(seen.target)
        if request_id == "redirected":  # a redirect followed: answered for the original request
            sock.sendall(_answer(scene, b"redirected"))
            return True
        times = len(self.seen(request_id))
        if times > 1:
            extra: Headers = (("x-contract-repeat", str(times)),)
            sock.sendall(_answer(request_id, b"seen before", extra=extra))
            return True
        turn = _Turn(seen=seen, argument=argument, sock=sock, server=self)
        return _SCENES.get(scene, _unknown)(turn)
