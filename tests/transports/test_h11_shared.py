"""The shared h11 code without sockets: routing, the conversation, the tunnel, the pool, engines."""

# The fakes implement the engine's stream protocol, which takes one timeout per step.
# ruff: noqa: ASYNC109

from __future__ import annotations

import contextlib
import ssl
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from transports._http11.async_engine import AsyncEngine, ResultT
from transports._http11.exchange import Conversation, Tunnel
from transports._http11.options import Options, ssl_context
from transports._http11.pool import (
    Budget,
    Connection,
    NothingSent,
    Pool,
    Ticket,
    fd_readable,
    step_timeout,
)
from transports._http11.routing import Proxy, Router
from transports._http11.sync_engine import SyncEngine
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
    TransportException,
)

KEY = ("http", "h", 80)
OTHER = ("http", "o", 80)


def options(**overrides: Any) -> Options:
    values: dict[str, Any] = {
        "max_connections": 10,
        "max_keepalive_per_host": None,
        "connect_timeout": None,
        "deadline": None,
        "verify": True,
        "proxy": None,
        "max_response_bytes": 1000,
        "max_header_bytes": 1000,
    }
    values.update(overrides)
    return Options(**values)


# Routing


@pytest.mark.parametrize(
    ("url", "key", "target", "host"),
    [
        ("http://Example.COM/a/b?c=d", ("http", "example.com", 80), "/a/b?c=d", "example.com"),
        ("HTTPS://h:443", ("https", "h", 443), "/", "h"),
        ("https://h:8443?x=1#frag", ("https", "h", 8443), "/?x=1", "h:8443"),
        ("http://[::1]:8080/p", ("http", "::1", 8080), "/p", "[::1]:8080"),
        ("http://[::1]/p", ("http", "::1", 80), "/p", "[::1]"),
    ],
)
def test_routes_direct(url: str, key: tuple[str, str, int], target: str, host: str) -> None:
    route, got_target = Router(None).route(url)
    assert (route.key, got_target, route.host_header) == (key, target, host)
    assert route.connect_host == key[1]
    assert route.tls_hostname == (key[1] if key[0] == "https" else None)


def test_routes_are_cached_per_origin() -> None:
    router = Router(None)
    first, _ = router.route("https://h/a")
    second, target = router.route("https://h/b?q")
    assert first is second
    assert target == "/b?q"


def test_route_cache_is_bounded() -> None:
    router = Router(None)
    first, _ = router.route("http://h0/")
    for index in range(300):
        router.route(f"http://h{index}/")
    assert len(router._cache) <= 256
    assert router.route("http://h0/")[0] == first


def test_routes_through_a_proxy() -> None:
    router = Router(Proxy.from_url("http://u:p@proxy:3128"))
    plain, target = router.route("http://h:81/x")
    assert (plain.key, plain.connect_host, plain.connect_port) == (
        ("proxy", "proxy", 3128),
        "proxy",
        3128,
    )
    assert (target, plain.host_header, plain.tunnel) == ("http://h:81/x", "h:81", None)
    assert plain.proxy_authorization == "Basic dTpw"
    tunnelled, target = router.route("https://h/x")
    assert (tunnelled.key, tunnelled.tunnel, tunnelled.tls_hostname) == (
        ("https", "h", 443),
        "h:443",
        "h",
    )
    assert target == "/x"
    assert "dTpw" not in repr(plain)


@pytest.mark.parametrize(
    "url",
    ["ftp://h/", "http://", "http://h:0/", "http://h:x/", "http://u@h/", "//h/", "http://[::1/"],
)
def test_unroutable_urls(url: str) -> None:
    with pytest.raises(ConnectException):
        Router(None).route(url)


@pytest.mark.parametrize("url", ["https://proxy:1", "proxy:1", "http://proxy:1/path", "http://:1"])
def test_bad_proxy_urls(url: str) -> None:
    with pytest.raises(ValueError, match="proxy"):
        Proxy.from_url(url)


@pytest.mark.parametrize(
    "overrides",
    [
        {"max_connections": 0},
        {"max_keepalive_per_host": -1},
        {"connect_timeout": 0},
        {"deadline": -1.0},
        {"max_header_bytes": 0},
    ],
)
def test_bad_options(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        options(**overrides)


def test_verify_options() -> None:
    assert options().ssl_context().verify_mode == ssl.CERT_REQUIRED
    unverified = ssl_context(False)
    assert (unverified.verify_mode, unverified.check_hostname) == (ssl.CERT_NONE, False)
    mine = ssl.create_default_context()
    assert options(verify=mine).ssl_context() is mine
    with pytest.raises(FileNotFoundError):
        options(verify="/no/such/ca.pem")
    with pytest.raises(TypeError):
        options(verify=1)


def test_describe_hides_proxy_credentials() -> None:
    described = options(proxy="http://user:secret@127.0.0.1:3128").describe()
    assert "secret" not in described
    assert "user" not in described
    assert "127.0.0.1:3128" in described


# The exchange


def new_exchange(max_body: int = 1000, max_head: int = 1000) -> Conversation:
    return Conversation(max_response_bytes=max_body, max_header_bytes=max_head)


def send(exchange: Conversation, request: HttpRequest | None = None) -> bytes:
    request = request or HttpRequest(method="GET", url="http://h/x")
    route, target = Router(None).route(request.url)
    return exchange.request_bytes(request, route, target)


def test_request_bytes() -> None:
    post = HttpRequest(method="POST", url="http://h:8080/p?q", headers=[("A", "1")], body=b"body")
    assert send(new_exchange(), post) == (
        b"POST /p?q HTTP/1.1\r\nhost: h:8080\r\na: 1\r\ncontent-length: 4\r\n\r\nbody"
    )
    chunked = HttpRequest(
        method="PUT", url="http://h/", headers=[("transfer-encoding", "chunked")], body=b"ab"
    )
    assert send(new_exchange(), chunked) == (
        b"PUT / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
    )
    own_host = HttpRequest(method="DELETE", url="http://h/", headers=[("host", "other")], body=b"")
    assert send(new_exchange(), own_host) == (
        b"DELETE / HTTP/1.1\r\nhost: other\r\ncontent-length: 0\r\n\r\n"
    )


def test_response_fed_byte_by_byte_then_reuse() -> None:
    exchange = new_exchange()
    send(exchange)
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n"
    )
    results = [exchange.receive(answer[i : i + 1]) for i in range(len(answer))]
    assert results[:-1] == [None] * (len(answer) - 1)
    assert results[-1] == HttpResponse(
        status=201, headers=[("x-a", "1"), ("transfer-encoding", "chunked")], body=b"abcd"
    )
    assert type(results[-1].body) is bytes
    assert exchange.reusable
    send(exchange)
    assert exchange.receive(b"HTTP/1.1 204 No Content\r\n\r\n") == HttpResponse(status=204)


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\nx",
        b"HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nxEXTRA",
    ],
)
def test_not_reusable(answer: bytes) -> None:
    exchange = new_exchange()
    send(exchange)
    assert exchange.receive(answer) is not None
    assert not exchange.reusable


def test_close_delimited_body() -> None:
    exchange = new_exchange()
    send(exchange)
    assert exchange.receive(b"HTTP/1.0 200 OK\r\n\r\npart one, ") is None
    assert exchange.receive(b"part two") is None
    response = exchange.receive(b"")
    assert response is not None
    assert response.body == b"part one, part two"
    assert not exchange.reusable


def test_head_answer_has_no_body() -> None:
    exchange = new_exchange()
    send(exchange, HttpRequest(method="HEAD", url="http://h/"))
    response = exchange.receive(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n")
    assert response is not None
    assert (response.header("content-length"), response.body) == ("50", b"")
    assert exchange.reusable


@pytest.mark.parametrize(
    ("chunks", "message"),
    [
        ([b""], "without answering"),
        ([b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nab", b""], "mid-answer"),
        ([b"HTTP/1.1 200 OK\r\n", b""], "mid-answer"),
        ([b"NOT HTTP AT ALL\r\n\r\n"], "malformed response"),
        ([b"HTTP/1.1 200 OK\r\ncontent-length: 1001\r\n\r\n" + b"x" * 1001], "max_response_bytes"),
        ([b"HTTP/1.1 200 OK\r\nx: " + b"y" * 2000], "max_header_bytes"),
        ([b"HTTP/1.1 200 OK\r\nx: " + b"y" * 990 + b"\r\nz: 1\r\n\r\n"], "max_header_bytes"),
    ],
)
def test_broken_answers(chunks: list[bytes], message: str) -> None:
    exchange = new_exchange()
    send(exchange)
    *first, last = chunks
    for chunk in first:
        assert exchange.receive(chunk) is None
    with pytest.raises(ConnectionLostException, match=message):
        exchange.receive(last)


def test_unencodable_request_is_not_sent() -> None:
    with pytest.raises(ConnectException, match="invalid header name 'a b'"):
        send(new_exchange(), HttpRequest(method="GET", url="http://h/", headers=[("a b", "c")]))
    with pytest.raises(ConnectException, match="cannot encode"):  # h11's own check of the target
        send(new_exchange(), HttpRequest(method="GET", url="http://h/\u00e9"))


@given(garbage=st.binary(max_size=300))
def test_any_bytes_give_a_response_or_connection_lost(garbage: bytes) -> None:
    exchange = new_exchange(max_body=100, max_head=200)
    send(exchange)
    with contextlib.suppress(ConnectionLostException):
        if exchange.receive(garbage) is None:
            exchange.receive(b"")


# The tunnel


def test_tunnel() -> None:
    route, _ = Router(Proxy.from_url("http://u:p@proxy:1")).route("https://h:8443/")
    tunnel = Tunnel(route, 1000)
    assert tunnel.request_bytes() == (
        b"CONNECT h:8443 HTTP/1.1\r\nhost: h:8443\r\nproxy-authorization: Basic dTpw\r\n\r\n"
    )
    assert tunnel.receive(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Connection est") is None
    assert tunnel.receive(b"ablished\r\n\r\n") is True


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n", "407"),
        (b"HTTP/1.1 200 OK\r\n\r\nearly", "sent data"),
        (b"garbage\r\n\r\n", "broke the CONNECT"),
    ],
)
def test_tunnel_refused(answer: bytes, message: str) -> None:
    route, _ = Router(Proxy.from_url("http://proxy:1")).route("https://h/")
    tunnel = Tunnel(route, 1000)
    tunnel.request_bytes()
    with pytest.raises(ConnectException, match=message):
        tunnel.receive(answer)


# The pool


class FakeStream:
    """A stream scripted per call; records what was written."""

    def __init__(self, name: str, *, readable: bool = False) -> None:
        self.name = name
        self.readable = readable
        self.closed = False
        self.sends: deque[BaseException | None] = deque()
        self.reads: deque[bytes | BaseException] = deque()
        self.written = b""

    def __repr__(self) -> str:
        return self.name

    def is_readable(self) -> bool:
        return self.readable

    def close(self) -> None:
        self.closed = True

    def send_all(self, data: bytes, timeout: float) -> None:
        outcome = self.sends.popleft() if self.sends else None
        if outcome is not None:
            raise outcome
        self.written += data

    def round_trip(
        self,
        data: bytes,
        receive: Callable[[bytes], ResultT | None],
        timeout: float,
        budget: Budget | None,
    ) -> ResultT:
        self.send_all(data, step_timeout(timeout, budget))
        while True:
            result = receive(self.receive_some(step_timeout(timeout, budget)))
            if result is not None:
                return result

    def receive_some(self, timeout: float) -> bytes:
        outcome = (
            self.reads.popleft()
            if self.reads
            else b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
        )
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class FakeWaiter:
    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


def new_pool(max_connections: int = 2, keep: int | None = None) -> Pool[FakeStream, FakeWaiter]:
    return Pool(max_connections=max_connections, max_keepalive_per_host=keep, new_waiter=FakeWaiter)


def open_one(
    pool: Pool[FakeStream, FakeWaiter], key: tuple[str, str, int], name: str
) -> Connection[FakeStream]:
    assert pool.checkout(key, fresh=False) is None
    return pool.opened(key, FakeStream(name), new_exchange())


def test_pool_reuses_the_most_recent_idle_connection() -> None:
    pool = new_pool()
    a, b = open_one(pool, KEY, "a"), open_one(pool, KEY, "b")
    pool.release(a, reusable=True)
    pool.release(b, reusable=True)
    assert (pool.open_connections, pool.idle_connections) == (2, 2)
    again = pool.checkout(KEY, fresh=False)
    assert again is b
    assert b.reused


def test_pool_discards_readable_idle_connections() -> None:
    pool = new_pool()
    a = open_one(pool, KEY, "a")
    pool.release(a, reusable=True)
    a.stream.readable = True
    assert pool.checkout(KEY, fresh=False) is None  # a new slot, the stale one closed
    assert a.stream.closed
    assert pool.open_connections == 1


def test_pool_queues_fifo_and_hands_over() -> None:
    pool = new_pool(max_connections=1)
    a = open_one(pool, KEY, "a")
    first = pool.checkout(KEY, fresh=False)
    second = pool.checkout(OTHER, fresh=False)
    third = pool.checkout(KEY, fresh=False)
    assert isinstance(first, Ticket)
    assert isinstance(second, Ticket)
    assert isinstance(third, Ticket)
    pool.release(a, reusable=True)  # same key: the connection itself goes to the head
    assert first.waiter.is_set()
    assert not second.waiter.is_set()
    assert pool.redeem(first) is a
    pool.release(a, reusable=True)  # other key: a closes, its slot goes to the head
    assert a.stream.closed
    assert second.waiter.is_set()
    assert pool.redeem(second) is None
    assert pool.open_connections == 1
    pool.release_slot()  # the connect failed: the slot moves on
    assert third.waiter.is_set()
    assert pool.redeem(third) is None
    pool.release_slot()
    assert pool.open_connections == 0


def test_newcomers_queue_behind_waiters() -> None:
    pool = new_pool(max_connections=1)
    a = open_one(pool, KEY, "a")
    waiting = pool.checkout(KEY, fresh=False)
    pool.discard(a)  # the slot goes to the waiter, not to whoever comes next
    assert isinstance(waiting, Ticket)
    assert waiting.granted
    assert isinstance(pool.checkout(KEY, fresh=False), Ticket)


def test_cancelled_waiters_never_leak() -> None:
    pool = new_pool(max_connections=1)
    a = open_one(pool, KEY, "a")
    gave_up = pool.checkout(KEY, fresh=False)
    granted_then_cancelled = pool.checkout(KEY, fresh=False)
    last = pool.checkout(KEY, fresh=False)
    assert isinstance(gave_up, Ticket)
    assert isinstance(granted_then_cancelled, Ticket)
    assert isinstance(last, Ticket)
    pool.cancel(gave_up)  # never granted: just leaves the line
    pool.release(a, reusable=True)
    assert granted_then_cancelled.conn is a
    pool.cancel(granted_then_cancelled)  # granted a connection: it passes on
    assert pool.redeem(last) is a
    pool.release(a, reusable=True)
    assert (pool.open_connections, pool.idle_connections) == (1, 1)


def test_cancelled_slot_passes_on() -> None:
    pool = new_pool(max_connections=1)
    a = open_one(pool, KEY, "a")
    first = pool.checkout(KEY, fresh=True)
    assert isinstance(first, Ticket)
    pool.release(a, reusable=True)  # fresh waiters want a slot, never a used connection
    assert (first.conn, a.stream.closed) == (None, True)
    pool.cancel(first)
    assert pool.open_connections == 0


def test_full_pool_evicts_idle_connections_of_other_keys() -> None:
    pool = new_pool(max_connections=2)
    a, b = open_one(pool, OTHER, "a"), open_one(pool, OTHER, "b")
    pool.release(a, reusable=True)
    pool.release(b, reusable=True)
    assert pool.checkout(KEY, fresh=False) is None
    assert (a.stream.closed, b.stream.closed) == (True, False)  # the longest idle went
    assert (pool.open_connections, pool.idle_connections) == (2, 1)


def test_keepalive_limit_and_unreusable_connections() -> None:
    pool = new_pool(max_connections=3, keep=1)
    a, b, c = (open_one(pool, KEY, name) for name in "abc")
    pool.release(a, reusable=True)
    pool.release(b, reusable=True)
    pool.release(c, reusable=False)
    assert (a.stream.closed, b.stream.closed, c.stream.closed) == (False, True, True)
    assert (pool.open_connections, pool.idle_connections) == (1, 1)


def test_close_wakes_waiters_and_refuses_newcomers() -> None:
    pool = new_pool(max_connections=1)
    a = open_one(pool, KEY, "a")
    waiting = pool.checkout(KEY, fresh=False)
    assert isinstance(waiting, Ticket)
    pool.close()
    assert waiting.waiter.is_set()
    with pytest.raises(ConnectException, match="closed while"):
        pool.redeem(waiting)
    pool.cancel(waiting)  # harmless after close
    with pytest.raises(ConnectException, match="closed"):
        pool.checkout(KEY, fresh=False)
    pool.release(a, reusable=True)  # in flight during close: closed when it comes back
    assert a.stream.closed
    assert pool.open_connections == 0


# The engine, with scripted streams


class FakeBackend:
    def __init__(self) -> None:
        self.streams: deque[FakeStream] = deque()
        self.opened: list[FakeStream] = []

    def open_tcp(self, host: str, port: int, timeout: float) -> FakeStream:
        stream = self.streams.popleft() if self.streams else FakeStream(f"s{len(self.opened)}")
        self.opened.append(stream)
        return stream

    def start_tls(
        self, stream: FakeStream, context: ssl.SSLContext, hostname: str, timeout: float
    ) -> FakeStream:
        return stream

    def wait(self, waiter: threading.Event, timeout: float) -> None:
        if not waiter.wait(timeout):
            raise TimeoutException("pool")

    def new_waiter(self) -> threading.Event:
        return threading.Event()

    def now(self) -> float:
        return 0.0


def engine(**overrides: Any) -> tuple[SyncEngine[FakeStream, threading.Event], FakeBackend]:
    backend = FakeBackend()
    return SyncEngine(backend, options(**overrides), contextlib.nullcontext()), backend


GET = HttpRequest(method="GET", url="http://h/")


def test_engine_retries_a_reused_connection_once_when_nothing_was_sent() -> None:
    subject, backend = engine()
    assert subject.send(GET, 1).body == b"ok"
    backend.opened[0].sends.append(NothingSent("reset"))
    assert subject.send(GET, 1).body == b"ok"
    assert [s.closed for s in backend.opened] == [True, False]
    assert subject.pool.open_connections == 1


def test_engine_does_not_retry_a_fresh_connection() -> None:
    subject, backend = engine()
    stream = FakeStream("fresh")
    cause = OSError("boom")
    signal = NothingSent("reset")
    signal.__cause__ = cause
    stream.sends.append(signal)
    backend.streams.append(stream)
    with pytest.raises(ConnectException, match="could not be sent") as info:
        subject.send(GET, 1)
    assert info.value.__cause__ is cause
    assert len(backend.opened) == 1
    assert subject.pool.open_connections == 0


def test_engine_retries_at_most_once() -> None:
    subject, backend = engine()
    subject.send(GET, 1)
    backend.opened[0].sends.append(NothingSent("reset"))
    retry = FakeStream("retry")
    retry.sends.append(NothingSent("reset again"))
    backend.streams.append(retry)
    with pytest.raises(ConnectException):
        subject.send(GET, 1)
    assert len(backend.opened) == 2
    assert subject.pool.open_connections == 0


@pytest.mark.parametrize(
    "failure",
    [ConnectionLostException("lost"), TimeoutException("slow"), KeyboardInterrupt()],
)
def test_engine_never_retries_or_pools_after_bytes_may_have_left(failure: BaseException) -> None:
    subject, backend = engine()
    subject.send(GET, 1)
    backend.opened[0].reads.append(failure)
    with pytest.raises(type(failure)):
        subject.send(GET, 1)
    assert len(backend.opened) == 1
    assert backend.opened[0].closed
    assert subject.pool.open_connections == 0


def test_closed_descriptors_count_as_readable() -> None:
    assert fd_readable(-1)


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("send", "could not be sent"),
        (ConnectionLostException("reset"), "proxy connection broke"),
        (b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n", "403"),
    ],
)
def test_engine_tunnel_failures_are_connect_exceptions(failure: object, message: str) -> None:
    subject, backend = engine(proxy="http://proxy:3128")
    stream = FakeStream("proxy")
    if failure == "send":
        stream.sends.append(NothingSent("reset"))
    else:
        stream.reads.append(failure)  # type: ignore[arg-type]
    backend.streams.append(stream)
    with pytest.raises(ConnectException, match=message):
        subject.send(HttpRequest(method="GET", url="https://origin/"), 1)
    assert stream.closed
    assert stream.written in {b"", b"CONNECT origin:443 HTTP/1.1\r\nhost: origin:443\r\n\r\n"}
    assert subject.pool.open_connections == 0


def test_engine_tunnel_then_tls() -> None:
    subject, backend = engine(proxy="http://proxy:3128")
    stream = FakeStream("proxy")
    stream.reads.append(b"HTTP/1.1 200 OK\r\n\r\n")
    backend.streams.append(stream)
    assert subject.send(HttpRequest(method="GET", url="https://origin/"), 1).body == b"ok"
    assert stream.written.endswith(b"GET / HTTP/1.1\r\nhost: origin\r\n\r\n")


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan")])
def test_engine_rejects_non_positive_timeouts(timeout: float) -> None:
    subject, backend = engine()
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        subject.send(GET, timeout)
    assert backend.opened == []


def test_engine_deadline() -> None:
    subject, _ = engine(deadline=0.5)
    clock = iter([0.0, 0.1, 0.2, 0.9])
    subject._backend.now = lambda: next(clock)  # type: ignore[method-assign]
    with pytest.raises(TimeoutException, match=r"deadline of 0\.5 s"):
        subject.send(GET, 1)
    assert subject.pool.open_connections == 0


def test_engine_only_raises_transport_exceptions_for_bad_requests() -> None:
    subject, backend = engine()
    bad = HttpRequest(method="GET", url="http://h/", headers=[("x", "\n")])
    with pytest.raises(TransportException):
        subject.send(bad, 1)
    assert backend.opened[0].closed
    assert subject.pool.open_connections == 0


# The async engine is the sync one's twin: the same scripts, awaited


class AsyncFakeStream:
    def __init__(self, inner: FakeStream) -> None:
        self.inner = inner

    def is_readable(self) -> bool:
        return self.inner.is_readable()

    def close(self) -> None:
        self.inner.close()

    async def round_trip(
        self,
        data: bytes,
        receive: Callable[[bytes], ResultT | None],
        timeout: float,
        budget: Budget | None,
    ) -> ResultT:
        await trio.lowlevel.checkpoint()
        return self.inner.round_trip(data, receive, timeout, budget)


class AsyncFakeBackend:
    def __init__(self, sync: FakeBackend) -> None:
        self.sync = sync

    async def open_tcp(self, host: str, port: int, timeout: float) -> AsyncFakeStream:
        return AsyncFakeStream(self.sync.open_tcp(host, port, timeout))

    async def start_tls(
        self, stream: AsyncFakeStream, context: ssl.SSLContext, hostname: str, timeout: float
    ) -> AsyncFakeStream:
        return stream

    async def wait(self, waiter: trio.Event, timeout: float) -> None:
        with trio.fail_after(timeout):
            await waiter.wait()

    def new_waiter(self) -> trio.Event:
        return trio.Event()

    def now(self) -> float:
        return trio.current_time()


def async_engine(**overrides: Any) -> tuple[AsyncEngine[AsyncFakeStream, trio.Event], FakeBackend]:
    backend = FakeBackend()
    return AsyncEngine(AsyncFakeBackend(backend), options(**overrides)), backend


async def test_async_engine_retries_once_then_gives_up() -> None:
    subject, backend = async_engine()
    assert (await subject.send(GET, 1)).body == b"ok"
    backend.opened[0].sends.append(NothingSent("reset"))
    assert (await subject.send(GET, 1)).body == b"ok"  # retried on a fresh connection
    backend.opened[1].sends.append(NothingSent("reset"))
    retry = FakeStream("retry")
    retry.sends.append(NothingSent("reset again"))
    backend.streams.append(retry)
    with pytest.raises(ConnectException, match="could not be sent"):
        await subject.send(GET, 1)
    assert len(backend.opened) == 3
    assert subject.pool.open_connections == 0


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("send", "could not be sent"),
        (ConnectionLostException("reset"), "proxy connection broke"),
    ],
)
async def test_async_engine_tunnel_failures(failure: object, message: str) -> None:
    subject, backend = async_engine(proxy="http://proxy:3128")
    stream = FakeStream("proxy")
    if failure == "send":
        stream.sends.append(NothingSent("reset"))
    else:
        stream.reads.append(failure)  # type: ignore[arg-type]
    backend.streams.append(stream)
    with pytest.raises(ConnectException, match=message):
        await subject.send(HttpRequest(method="GET", url="https://origin/"), 1)
    assert stream.closed
    assert subject.pool.open_connections == 0


async def test_async_engine_cancelled_mid_flight_discards() -> None:
    subject, backend = async_engine()
    await subject.send(GET, 1)

    class Hanging(AsyncFakeStream):
        async def round_trip(
            self,
            data: bytes,
            receive: Callable[[bytes], ResultT | None],
            timeout: float,
            budget: Budget | None,
        ) -> ResultT:
            await trio.sleep_forever()

    conn = subject.pool.checkout(KEY, fresh=False)
    assert isinstance(conn, Connection)
    conn.stream = Hanging(conn.stream.inner)
    subject.pool.release(conn, reusable=True)
    with trio.move_on_after(0.01):
        await subject.send(GET, 1)
    assert backend.opened[0].closed
    assert (subject.pool.open_connections, subject.pool.idle_connections) == (0, 0)


def test_environment_proxies_route_by_scheme_and_no_proxy() -> None:
    from transports._http11.routing import Router

    environment = {
        "http": "proxy.test:3128",
        "https": "http://user:pw@proxy.test:3129",
        "no": "direct.test,127.0.0.1",
    }
    router = Router(None, environment)
    plain, target = router.route("http://xms.test/xms/v1/p/batches")
    assert (plain.connect_host, plain.connect_port, target) == (
        "proxy.test",
        3128,
        "http://xms.test/xms/v1/p/batches",
    )
    tunnel, _ = router.route("https://xms.test/xms")
    assert (tunnel.connect_port, tunnel.tunnel, tunnel.proxy_authorization) == (
        3129,
        "xms.test:443",
        "Basic dXNlcjpwdw==",
    )
    for direct in ("https://direct.test/x", "http://127.0.0.1:8080/x"):
        route, _ = router.route(direct)
        assert route.tunnel is None
        assert route.prefix == ""
    with pytest.raises(ConnectException, match="unusable https proxy"):
        Router(None, {"https": "https://proxy.test:443"}).route("https://xms.test/")
