"""One behavioural suite for the three h11 transports, against loopback test servers.

Each test runs once per environment: `trio` (TrioTransport under trio.run),
`asyncio` (AsyncioTransport under asyncio.run, no trio anywhere) and `h11`
(H11Transport driven from trio through worker threads).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, final

import pytest
import trio
import trustme

from tests.transports.h11_servers import Proxy, Server
from transports.asyncio import AsyncioTransport
from transports.h11 import H11Transport
from transports.trio import TrioTransport
from xms_core import HttpRequest
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
    TlsException,
    TransportException,
)

TIMEOUT = 2.0
SHORT = 0.2


@final
class ThreadedH11:
    """H11Transport behind the async surface, each call in a trio worker thread."""

    def __init__(self, **options: Any) -> None:
        self.inner = H11Transport(**options)

    @property
    def open_connections(self) -> int:
        return self.inner.open_connections

    @property
    def idle_connections(self) -> int:
        return self.inner.idle_connections

    async def handle_async_request(
        self,
        request: HttpRequest,
        *,
        timeout: float,  # noqa: ASYNC109 - the transport protocol's signature
    ) -> Any:
        call = partial(self.inner.handle_request, request, timeout=timeout)
        return await trio.to_thread.run_sync(call)

    async def aclose(self) -> None:
        self.inner.close()

    async def __aenter__(self) -> ThreadedH11:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class Env:
    """How to run a scenario, make a transport, run things concurrently and cancel them."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def transport(self, **options: Any) -> Any:
        if self.name == "trio":
            return TrioTransport(**options)
        if self.name == "asyncio":
            return AsyncioTransport(**options)
        return ThreadedH11(**options)

    def run(self, scenario: Callable[[], Awaitable[None]]) -> None:
        if self.name == "asyncio":
            # A plain selector loop: importing trio_asyncio (the conftest does) swaps the
            # default policy, and asyncio.run() would quietly run on trio.
            loop = asyncio.SelectorEventLoop()
            try:
                loop.run_until_complete(scenario())
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
        else:
            trio.run(scenario)

    async def gather(self, thunks: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
        """Run all thunks at once; each result or raised exception, in order."""
        results: list[Any] = [None] * len(thunks)

        async def capture(index: int) -> None:
            try:
                results[index] = await thunks[index]()
            except Exception as exc:
                results[index] = exc

        if self.name == "asyncio":
            await asyncio.gather(*(capture(i) for i in range(len(thunks))))
        else:
            async with trio.open_nursery() as nursery:
                for index in range(len(thunks)):
                    nursery.start_soon(capture, index)
        return results

    async def start(self, thunk: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        """Start `thunk` in the background; return a function that awaits its result."""
        if self.name == "asyncio":
            task = asyncio.ensure_future(thunk())
            return lambda: task
        done = trio.Event()
        box: list[Any] = []

        async def runner() -> None:
            try:
                box.append(await thunk())
            except Exception as exc:
                box.append(exc)
            done.set()

        trio.lowlevel.spawn_system_task(runner)

        async def result() -> Any:
            await done.wait()
            return box[0]

        return result

    async def cancelled_after(self, seconds: float, thunk: Callable[[], Awaitable[Any]]) -> bool:
        """Cancel `thunk` after `seconds`; True if it was cancelled."""
        if self.name == "asyncio":
            try:
                await asyncio.wait_for(thunk(), seconds)
            except asyncio.TimeoutError:
                return True
            return False
        with trio.move_on_after(seconds) as scope:
            await thunk()
        return scope.cancelled_caught

    async def sleep(self, seconds: float) -> None:
        if self.name == "asyncio":
            await asyncio.sleep(seconds)
        else:
            await trio.sleep(seconds)


@pytest.fixture(params=["trio", "asyncio", "h11"])
def env(request: pytest.FixtureRequest) -> Env:
    return Env(request.param)


@pytest.fixture(params=["trio", "asyncio"])
def async_env(request: pytest.FixtureRequest) -> Env:
    """The environments where a request can be cancelled."""
    return Env(request.param)


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as running:
        yield running


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with Server(tls=context) as running:
        yield running


@pytest.fixture
def ca_path(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def get(url: str) -> HttpRequest:
    return HttpRequest(method="GET", url=url)


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# Round trips


def test_request_goes_out_exactly_as_given(env: Env, server: Server) -> None:
    request = HttpRequest(
        method="POST",
        url=server.url("/echo?page=2&x=%20"),
        headers=[("Authorization", "Bearer secret"), ("x-custom", "v1")],
        body=b'{"a":1}',
    )

    async def scenario() -> None:
        async with env.transport() as transport:
            posted = await transport.handle_async_request(request, timeout=TIMEOUT)
            fetched = await transport.handle_async_request(
                get(server.url("/echo")), timeout=TIMEOUT
            )
        host = f"127.0.0.1:{server.port}"
        assert posted.status == 200
        assert ("x-server", "test") in posted.headers
        assert posted.body == (
            b"POST /echo?page=2&x=%20 HTTP/1.1\r\n"
            + f"host: {host}\r\n".encode()
            + b"authorization: Bearer secret\r\nx-custom: v1\r\ncontent-length: 7\r\n\r\n"
            + b'{"a":1}'
        )
        assert fetched.body == f"GET /echo HTTP/1.1\r\nhost: {host}\r\n\r\n".encode()

    env.run(scenario)


def test_framings_and_connection_reuse(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport() as transport:
            bodies = []
            for path in ["/cl", "/chunked", "/cl?n=3", "/http10", "/cl", "/close", "/cl"]:
                response = await transport.handle_async_request(
                    get(server.url(path)), timeout=TIMEOUT
                )
                assert response.status == 200
                bodies.append(response.body)
            assert transport.idle_connections == 1
        assert bodies == [
            b"hello",
            b"hello",
            b"xxx",
            b"old-style body",
            b"hello",
            b"hello",
            b"hello",
        ]
        # /http10 and /close end their connections; everything else is reused.
        assert [seen.connection for seen in server.requests] == [1, 1, 1, 1, 2, 2, 3]

    env.run(scenario)


def test_every_status_comes_back_and_redirects_are_not_followed(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport() as transport:
            moved = await transport.handle_async_request(
                get(server.url("/status/302")), timeout=TIMEOUT
            )
            failed = await transport.handle_async_request(
                get(server.url("/status/503")), timeout=TIMEOUT
            )
        assert (moved.status, moved.header("location"), moved.body) == (302, "/elsewhere", b"")
        assert failed.status == 503
        assert [seen.target for seen in server.requests] == ["/status/302", "/status/503"]

    env.run(scenario)


def test_large_bodies_both_ways(env: Env, server: Server) -> None:
    body = bytes(range(256)) * 32768  # 8 MiB: partial writes, flow control, many reads
    request = HttpRequest(method="POST", url=server.url("/echo"), body=body)

    async def scenario() -> None:
        async with env.transport() as transport:
            response = await transport.handle_async_request(request, timeout=5)
            assert response.body.endswith(b"\r\n\r\n" + body)
            assert server.requests[0].body == body
            assert transport.idle_connections == 1

    env.run(scenario)


# The pool


def test_pool_bounds_open_connections(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport(max_connections=4) as transport:

            async def one() -> int:
                response = await transport.handle_async_request(
                    get(server.url("/slow?d=0.01")), timeout=TIMEOUT
                )
                assert transport.open_connections <= 4
                return int(response.status)

            results = await env.gather([one] * 50)
            assert results == [200] * 50
            assert transport.open_connections <= 4
        assert server.connections <= 4
        assert server.max_open <= 4
        assert len(server.requests) == 50

    env.run(scenario)


def test_waiters_are_served_first_come_first_served(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport(max_connections=1) as transport:

            async def one(index: int) -> bytes:
                path = "/slow?d=0.1" if index == 0 else f"/cl?n={index}"
                response = await transport.handle_async_request(
                    get(server.url(path)), timeout=TIMEOUT
                )
                return bytes(response.body)

            results = [await env.start(partial(one, 0))]
            for _ in range(500):  # the slow one holds the only connection before others queue
                if server.requests:
                    break
                await env.sleep(0.01)
            for index in range(1, 5):
                results.append(await env.start(partial(one, index)))
                await env.sleep(0.02)  # let it reach the queue before the next one starts
            assert [await result() for result in results] == [
                b"hello",
                b"x",
                b"xx",
                b"xxx",
                b"xxxx",
            ]
        # The server saw them in the order they queued, all on the one connection.
        assert [seen.target for seen in server.requests] == [
            "/slow?d=0.1",
            "/cl?n=1",
            "/cl?n=2",
            "/cl?n=3",
            "/cl?n=4",
        ]
        assert server.connections == 1

    env.run(scenario)


def test_waiter_timeout_releases_nothing_it_did_not_own(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport(max_connections=1) as transport:
            holder = await env.start(
                partial(transport.handle_async_request, get(server.url("/slow?d=0.3")), timeout=2)
            )
            await env.sleep(0.05)
            with pytest.raises(TimeoutException, match="no connection became free"):
                await transport.handle_async_request(get(server.url("/cl")), timeout=0.05)
            assert (await holder()).status == 200
            assert (transport.open_connections, transport.idle_connections) == (1, 1)
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert response.body == b"hello"
        assert server.connections == 1

    env.run(scenario)


def test_stale_idle_connection_is_replaced_transparently(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport() as transport:
            first = await transport.handle_async_request(
                get(server.url("/idle-close")), timeout=TIMEOUT
            )
            assert transport.idle_connections == 1  # it looked reusable when it came back
            server.wait_closed_by_server(1)
            await env.sleep(0.01)
            second = await transport.handle_async_request(get(server.url("/cl")), timeout=TIMEOUT)
        assert (first.body, second.body) == (b"hello", b"hello")
        assert [seen.connection for seen in server.requests] == [1, 2]

    env.run(scenario)


def _blind_idle_check(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the pool's idle check miss a dead connection, as when the close races the reuse."""
    import transports.asyncio
    import transports.h11
    import transports.trio

    stream = {
        "trio": transports.trio._TrioStream,
        "asyncio": transports.asyncio._AsyncioStream,
        "h11": transports.h11._SocketStream,
    }[env.name]
    monkeypatch.setattr(stream, "is_readable", lambda _self: False)


def test_reset_reused_connection_is_retried_once_when_nothing_was_written(
    env: Env, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _blind_idle_check(env, monkeypatch)

    async def scenario() -> None:
        async with env.transport() as transport:
            await transport.handle_async_request(get(server.url("/idle-reset")), timeout=TIMEOUT)
            server.wait_closed_by_server(1)
            await env.sleep(0.02)
            # Writing to the reset socket fails at once: provably unsent, so retried.
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert response.body == b"hello"
        assert [seen.connection for seen in server.requests] == [1, 2]

    env.run(scenario)


def test_closed_reused_connection_is_not_retried_once_bytes_may_have_left(
    env: Env, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _blind_idle_check(env, monkeypatch)

    async def scenario() -> None:
        async with env.transport() as transport:
            await transport.handle_async_request(get(server.url("/idle-close")), timeout=TIMEOUT)
            server.wait_closed_by_server(1)
            await env.sleep(0.02)
            if env.name == "asyncio":
                # The event loop itself already saw the EOF and closed the transport, so
                # nothing was written: that is provably unsent, and retried.
                response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
                assert response.body == b"hello"
            else:
                # A half-closed socket accepts the write, then reads EOF: it may have been sent.
                with pytest.raises(ConnectionLostException, match="without answering"):
                    await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert response.body == b"hello"
        assert [seen.connection for seen in server.requests][:2] == [1, 2]

    env.run(scenario)


def test_keepalive_limit_per_host(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport(max_keepalive_per_host=0) as transport:
            for _ in range(2):
                await transport.handle_async_request(get(server.url("/cl")), timeout=TIMEOUT)
            assert (transport.open_connections, transport.idle_connections) == (0, 0)
        assert server.connections == 2

    env.run(scenario)


# Cancellation, timeouts, failures; the transport stays usable after each


def test_cancelled_request_closes_its_connection(async_env: Env, server: Server) -> None:
    env = async_env

    async def scenario() -> None:
        async with env.transport() as transport:
            await transport.handle_async_request(get(server.url("/cl")), timeout=TIMEOUT)
            hang = partial(transport.handle_async_request, get(server.url("/hang")), timeout=5)
            assert await env.cancelled_after(0.1, hang)
            assert (transport.open_connections, transport.idle_connections) == (0, 0)
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert response.body == b"hello"
        assert [seen.connection for seen in server.requests] == [1, 1, 2]

    env.run(scenario)


def test_cancelled_waiter_does_not_leak_a_slot(async_env: Env, server: Server) -> None:
    env = async_env

    async def scenario() -> None:
        async with env.transport(max_connections=1) as transport:
            holder = await env.start(
                partial(transport.handle_async_request, get(server.url("/slow?d=0.2")), timeout=2)
            )
            await env.sleep(0.02)
            waiter = partial(transport.handle_async_request, get(server.url("/cl")), timeout=5)
            assert await env.cancelled_after(0.05, waiter)
            assert (await holder()).status == 200
            assert transport.open_connections == 1
            results = await env.gather(
                [partial(transport.handle_async_request, get(server.url("/cl")), timeout=2)] * 3
            )
            assert [r.status for r in results] == [200, 200, 200]
        assert server.connections == 1

    env.run(scenario)


def test_read_timeout(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport() as transport:
            started = time.monotonic()
            with pytest.raises(TimeoutException, match=r"no answer within 0\.2 s"):
                await transport.handle_async_request(get(server.url("/hang")), timeout=SHORT)
            assert time.monotonic() - started < 5  # generous: without a timeout it hangs
            assert transport.open_connections == 0
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert response.status == 200

    env.run(scenario)


def test_deadline_bounds_the_whole_request(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport(deadline=0.3) as transport:
            started = time.monotonic()
            with pytest.raises(TimeoutException):
                await transport.handle_async_request(get(server.url("/slow?d=20")), timeout=15)
            assert time.monotonic() - started < 8  # generous: without the deadline, 15 s
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=5)
            assert response.status == 200

    env.run(scenario)


def test_tls_handshake_timeout(env: Env) -> None:
    # The kernel completes the TCP handshake for a listener that never accepts,
    # so the connect succeeds and the TLS handshake (or the answer) never comes.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]

        async def scenario() -> None:
            async with env.transport(connect_timeout=SHORT, verify=False) as transport:
                with pytest.raises(TimeoutException, match="TLS handshake"):
                    await transport.handle_async_request(
                        get(f"https://127.0.0.1:{port}/"), timeout=5
                    )
                with pytest.raises(TimeoutException, match="no answer"):
                    await transport.handle_async_request(
                        get(f"http://127.0.0.1:{port}/"), timeout=SHORT
                    )
                assert transport.open_connections == 0

        env.run(scenario)


def test_refused_connection_is_a_connect_exception(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport() as transport:
            url = f"http://127.0.0.1:{refused_port()}/cl"
            with pytest.raises(ConnectException) as info:
                await transport.handle_async_request(get(url), timeout=TIMEOUT)
            assert type(info.value) is ConnectException
            assert isinstance(info.value.__cause__, OSError)
            assert transport.open_connections == 0
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert response.status == 200

    env.run(scenario)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/mid-body", "mid-answer"),
        ("/silent-close", "without answering"),
        ("/reset", "broke"),
    ],
)
def test_broken_answers_are_connection_lost(
    env: Env, server: Server, path: str, message: str
) -> None:
    async def scenario() -> None:
        async with env.transport() as transport:
            with pytest.raises(ConnectionLostException, match=message):
                await transport.handle_async_request(get(server.url(path)), timeout=TIMEOUT)
            assert transport.open_connections == 0
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert response.status == 200

    env.run(scenario)


def test_size_caps(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport(max_response_bytes=1000, max_header_bytes=4096) as transport:
            ok = await transport.handle_async_request(get(server.url("/cl?n=1000")), timeout=2)
            assert len(ok.body) == 1000
            with pytest.raises(ConnectionLostException, match="max_response_bytes=1000"):
                await transport.handle_async_request(get(server.url("/cl?n=100000")), timeout=2)
            with pytest.raises(ConnectionLostException, match="max_header_bytes=4096"):
                await transport.handle_async_request(get(server.url("/bighead")), timeout=2)
            assert transport.open_connections == 0
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert response.status == 200

    env.run(scenario)


def test_requests_that_cannot_be_sent_are_connect_exceptions(env: Env, server: Server) -> None:
    async def scenario() -> None:
        async with env.transport() as transport:
            bad = [
                get("ftp://127.0.0.1/x"),
                get("not a url"),
                get(f"http://127.0.0.1:{server.port}/a b"),
                HttpRequest(method="GET", url=server.url("/cl"), headers=[("x-bad", "a\r\nb")]),
            ]
            for request in bad:
                with pytest.raises(ConnectException):
                    await transport.handle_async_request(request, timeout=TIMEOUT)
            assert transport.open_connections == 0
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert response.status == 200
        assert [seen.target for seen in server.requests] == ["/cl"]

    env.run(scenario)


def test_closed_transport_refuses_requests(env: Env, server: Server) -> None:
    async def scenario() -> None:
        transport = env.transport()
        await transport.handle_async_request(get(server.url("/cl")), timeout=TIMEOUT)
        await transport.aclose()
        assert transport.open_connections == 0
        with pytest.raises(ConnectException, match="closed"):
            await transport.handle_async_request(get(server.url("/cl")), timeout=TIMEOUT)
        server.wait_disconnected()

    env.run(scenario)


# TLS and proxies


def test_tls_verification(env: Env, tls_server: Server, ca_path: str) -> None:
    async def scenario() -> None:
        async with env.transport() as untrusting:
            with pytest.raises(TlsException, match="certificate verify failed"):
                await untrusting.handle_async_request(get(tls_server.url("/cl")), timeout=TIMEOUT)
            assert untrusting.open_connections == 0
        async with env.transport(verify=ca_path) as trusting:
            for _ in range(2):
                response = await trusting.handle_async_request(
                    get(tls_server.url("/echo")), timeout=TIMEOUT
                )
                assert response.body.startswith(b"GET /echo HTTP/1.1\r\n")
        context = ssl.create_default_context(cafile=ca_path)
        async with env.transport(verify=context) as trusting:
            response = await trusting.handle_async_request(
                get(tls_server.url("/chunked")), timeout=TIMEOUT
            )
            assert response.body == b"hello"
        # The failed handshake, one reused connection, one more for the third transport.
        assert [seen.connection for seen in tls_server.requests] == [2, 2, 3]

    env.run(scenario)


def test_framings_over_tls(env: Env, tls_server: Server, ca_path: str) -> None:
    async def scenario() -> None:
        async with env.transport(verify=ca_path) as transport:
            bodies = []
            for path in ["/chunked", "/http10", "/close", "/cl", "/cl"]:
                response = await transport.handle_async_request(
                    get(tls_server.url(path)), timeout=TIMEOUT
                )
                bodies.append(response.body)
        assert bodies == [b"hello", b"old-style body", b"hello", b"hello", b"hello"]
        assert [seen.connection for seen in tls_server.requests] == [1, 1, 2, 3, 3]

    env.run(scenario)


def test_plain_http_through_a_proxy_uses_absolute_form(env: Env, server: Server) -> None:
    async def scenario() -> None:
        proxy = f"http://user:p%40ss@127.0.0.1:{server.port}"
        async with env.transport(proxy=proxy) as transport:
            assert "p%40ss" not in repr(transport)
            assert "user" not in repr(transport)
            for _ in range(2):
                response = await transport.handle_async_request(
                    get("http://origin.invalid:8080/echo?q=1"), timeout=TIMEOUT
                )
                assert response.body == (
                    b"GET http://origin.invalid:8080/echo?q=1 HTTP/1.1\r\n"
                    b"host: origin.invalid:8080\r\n"
                    b"proxy-authorization: Basic dXNlcjpwQHNz\r\n\r\n"
                )
        assert server.connections == 1

    env.run(scenario)


def test_https_through_a_proxy_uses_connect(env: Env, tls_server: Server, ca_path: str) -> None:
    async def scenario() -> None:
        with Proxy() as proxy:
            async with env.transport(proxy=proxy.url, verify=ca_path) as transport:
                for _ in range(2):
                    response = await transport.handle_async_request(
                        get(tls_server.url("/echo")), timeout=TIMEOUT
                    )
                    assert response.body == (
                        f"GET /echo HTTP/1.1\r\nhost: 127.0.0.1:{tls_server.port}\r\n\r\n".encode()
                    )
                with pytest.raises(ConnectException, match="403"):
                    await transport.handle_async_request(
                        get(f"https://localhost:{tls_server.port}/cl"), timeout=TIMEOUT
                    )
        assert proxy.targets == [
            f"CONNECT 127.0.0.1:{tls_server.port}",
            f"CONNECT localhost:{tls_server.port}",
        ]
        assert tls_server.connections == 1

    env.run(scenario)


def test_only_transport_exceptions_escape(env: Env) -> None:
    async def scenario() -> None:
        async with env.transport() as transport:
            for url in ["http://[::1/x", "http://127.0.0.1:0/", "https://127.0.0.1:99999/"]:
                with pytest.raises(TransportException):
                    await transport.handle_async_request(get(url), timeout=SHORT)

    env.run(scenario)
