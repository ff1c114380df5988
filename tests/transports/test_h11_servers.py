"""The loopback servers of `h11_servers` checked on their own."""

from __future__ import annotations

import socket
import time

from tests.transports.h11_servers import Server, _Parser


def test_parser_splits_pipelined_requests_and_keeps_raw_bytes() -> None:
    parser = _Parser()
    first = b"GET /a HTTP/1.1\r\nhost: x\r\n\r\n"
    second = b"POST /b HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi"
    got = list(parser.feed(first + second[:10]))
    assert [(r.target, raw) for r, _, raw in got] == [(b"/a", first)]
    got = list(parser.feed(second[10:]))
    assert [(r.target, body, raw) for r, body, raw in got] == [(b"/b", b"hi", second)]


def test_server_answers_and_counts_connections() -> None:
    with Server() as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /cl HTTP/1.1\r\nhost: x\r\n\r\n")
        deadline = time.monotonic() + 2
        data = b""
        while not data.endswith(b"hello") and time.monotonic() < deadline:
            data += sock.recv(1024)
        assert data.startswith(b"HTTP/1.1 200")
        assert server.connections == 1
        assert server.requests[0].target == "/cl"
