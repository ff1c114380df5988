"""Serving callback receivers on 127.0.0.1 for tests: WSGI under wsgiref, ASGI under uvicorn,
and `receiver`, a bare one that keeps every body posted to it."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import uvicorn

KINDS = ["wsgi", "asgi"]
_STARTUP = 30.0  # generous: the machine may run at half speed


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def wsgi_serving(app: Any) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callbacks"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def asgi_serving(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, lifespan="on", log_level="critical", http="h11", ws="none", loop="asyncio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        deadline = time.monotonic() + _STARTUP
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/callbacks"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def serving(kind: str, app_factory: Callable[[str], Any]) -> Any:
    """Serve `app_factory(kind)` ("wsgi" or "asgi") and yield its callback URL."""
    app = app_factory(kind)
    return wsgi_serving(app) if kind == "wsgi" else asgi_serving(app)


def post(
    url: str, body: bytes, headers: Mapping[str, str] | None = None, *, method: str = "POST"
) -> tuple[int, bytes, dict[str, str]]:
    """Send one request; return status, body and (lower-cased) headers."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        sent = {"content-type": "application/json", **(headers or {})}
        connection.request(method, parts.path, body=body, headers=sent)
        reply = connection.getresponse()
        return reply.status, reply.read(), {k.lower(): v for k, v in reply.getheaders()}
    finally:
        connection.close()


@contextmanager
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    """A tiny callback receiver on 127.0.0.1 that keeps every body it gets."""
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callbacks", bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
