"""Timers of the h11 transports: trio's read-deadline watchdog, asyncio's per-connection
timer, and blocking writes, checked against slow, silent and resetting peers."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import trio
import trio.testing

from transports.asyncio import AsyncioTransport
from transports.h11 import H11Transport
from transports.trio import _WATCHDOG, TrioTransport
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import ConnectionLostException, TimeoutException


class Server:
    """Answers /ok at once, /hang never, /slow?d=S after S seconds."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    target = head.split(b" ")[1]
                    if target == b"/hang":
                        continue
                    if target.startswith(b"/slow"):
                        # A real late answer: the transports' socket timeouts run on real time.
                        time.sleep(float(target.split(b"=")[1]))
                    try:
                        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    except OSError:
                        return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def get(server: Server, path: str) -> HttpRequest:
    return HttpRequest(method="GET", url=f"http://127.0.0.1:{server.port}{path}")


async def expect_timeout(
    call: Callable[[], Awaitable[HttpResponse]],
    low: float,
    high: float,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    started = clock()
    with pytest.raises(TimeoutException, match="no answer"):
        await call()
    took = clock() - started
    assert low <= took <= high, took


@pytest.fixture
def patient_autojump() -> trio.testing.MockClock:
    """trio's clock, jumping to the next deadline once the run has idled 1 s of real time.

    The peer here is a real server on a thread: an answer on its way is I/O trio
    cannot see coming, so the clock must not jump the moment every task waits
    (as `autojump_clock` does), only when nothing has come for a long while.
    Deadlines then fire exactly on trio's clock, whatever the machine's speed.
    """
    return trio.testing.MockClock(autojump_threshold=1.0)


def on_plain_asyncio(main: Callable[[], Awaitable[Any]]) -> Any:
    loop = asyncio.SelectorEventLoop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


# ------------------------------------------------------------------ trio watchdog


async def test_a_short_deadline_fires_while_a_long_one_waits(
    server: Server, patient_autojump: trio.testing.MockClock
) -> None:
    async with TrioTransport() as transport:
        hang = get(server, "/hang")
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                expect_timeout,
                lambda: transport.handle_async_request(hang, timeout=1.0),
                1.0,
                1.0 + 1e-6,
                trio.current_time,
            )
            # The long request is waiting for its answer once every task is blocked.
            await trio.testing.wait_all_tasks_blocked()
            await expect_timeout(
                lambda: transport.handle_async_request(hang, timeout=0.2),
                0.2,
                0.2 + 1e-6,
                trio.current_time,
            )
            for _ in range(5):
                answer = await transport.handle_async_request(get(server, "/ok"), timeout=1)
                assert answer.status == 200
        watchdog = _WATCHDOG.get()
        assert watchdog is not None
        assert not watchdog._waiting


async def test_a_slow_answer_within_its_timeout_is_kept(server: Server) -> None:
    async with TrioTransport() as transport:
        answer = await transport.handle_async_request(get(server, "/slow?d=0.3"), timeout=0.6)
        assert answer.body == b"ok"
        await transport.handle_async_request(get(server, "/ok"), timeout=0.6)
        assert transport.open_connections == 1


async def test_the_watchdog_follows_trios_clock(server: Server, autojump_clock: Any) -> None:
    async with TrioTransport() as transport:
        with pytest.raises(TimeoutException):
            await transport.handle_async_request(get(server, "/hang"), timeout=1000)


async def test_a_cancelled_reader_leaves_the_watchdog_and_the_pool(server: Server) -> None:
    async with TrioTransport() as transport:
        with trio.move_on_after(0.1):
            await transport.handle_async_request(get(server, "/hang"), timeout=10)
        watchdog = _WATCHDOG.get()
        assert watchdog is not None
        assert not watchdog._waiting
        assert transport.open_connections == 0


def test_one_transport_serves_two_trio_runs(server: Server) -> None:
    transport = TrioTransport()

    async def one() -> None:
        answer = await transport.handle_async_request(get(server, "/ok"), timeout=1)
        assert answer.status == 200
        with pytest.raises(TimeoutException):
            await transport.handle_async_request(get(server, "/hang"), timeout=0.1)

    trio.run(one)
    trio.run(one)
    trio.run(transport.aclose)


async def test_many_concurrent_deadlines_fire_on_time(server: Server, autojump_clock: Any) -> None:
    # Only /hang, which is never answered: trio may jump its clock whenever every task waits.
    late: list[float] = []
    async with TrioTransport(max_connections=30) as transport:

        async def one(index: int) -> None:
            timeout = 0.05 + (index % 5) * 0.05
            started = trio.current_time()
            with pytest.raises(TimeoutException, match="no answer"):
                await transport.handle_async_request(get(server, "/hang"), timeout=timeout)
            late.append(trio.current_time() - started - timeout)

        async with trio.open_nursery() as nursery:
            for index in range(30):
                nursery.start_soon(one, index)
    assert len(late) == 30
    # On trio's clock each deadline fires at its very instant, however slow the machine.
    assert all(abs(delay) < 1e-6 for delay in late), late


# ------------------------------------------------------------------ asyncio timer


def test_asyncio_short_timeout_after_a_long_one_on_one_connection(server: Server) -> None:
    async def main() -> None:
        async with AsyncioTransport(max_connections=1) as transport:
            answer = await transport.handle_async_request(get(server, "/ok"), timeout=30)
            assert answer.status == 200
            await expect_timeout(
                lambda: transport.handle_async_request(get(server, "/hang"), timeout=0.2),
                0.19,
                2.5,
            )

    on_plain_asyncio(main)


def test_asyncio_timer_rearms_for_a_slow_answer(server: Server) -> None:
    async def main() -> None:
        async with AsyncioTransport(max_connections=1) as transport:
            await transport.handle_async_request(get(server, "/ok"), timeout=0.1)
            answer = await transport.handle_async_request(get(server, "/slow?d=0.3"), timeout=1)
            assert answer.body == b"ok"
            await expect_timeout(
                lambda: transport.handle_async_request(get(server, "/hang"), timeout=0.3),
                0.29,
                2.5,
            )

    on_plain_asyncio(main)


def test_asyncio_many_concurrent_deadlines(server: Server) -> None:
    async def main() -> list[float]:
        late: list[float] = []
        async with AsyncioTransport(max_connections=30) as transport:

            async def one(index: int) -> None:
                timeout = 0.05 + (index % 5) * 0.05
                started = time.monotonic()
                with pytest.raises(TimeoutException):
                    await transport.handle_async_request(get(server, "/hang"), timeout=timeout)
                late.append(time.monotonic() - started - timeout)

            await asyncio.gather(*(one(index) for index in range(30)))
        return late

    late = on_plain_asyncio(main)
    assert len(late) == 30
    assert all(-0.002 <= delay < 0.2 for delay in late), late


def test_asyncio_cancelled_request_drops_its_connection(server: Server) -> None:
    async def main() -> None:
        async with AsyncioTransport(max_connections=1) as transport:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(
                    transport.handle_async_request(get(server, "/hang"), timeout=5), 0.1
                )
            assert transport.open_connections == 0
            answer = await transport.handle_async_request(get(server, "/ok"), timeout=1)
            assert answer.status == 200

    on_plain_asyncio(main)


# ------------------------------------------------------------------ writes

BIG = b"x" * (32 * 1024 * 1024)


class Peer:
    """Accepts, then never reads ('silent'), resets after 1 MiB ('reset'), or reads it all
    slowly and answers ('drain')."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.mode == "reset":
                threading.Thread(target=self._reset, args=(conn,), daemon=True).start()
            elif self.mode == "drain":
                threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    def _reset(self, conn: socket.socket) -> None:
        received = 0
        while received < 1 << 20:
            received += len(conn.recv(65536))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    def _drain(self, conn: socket.socket) -> None:
        received, head = 0, b""
        while received < len(BIG):
            data = conn.recv(1 << 20)
            if not data:
                return
            if not head:
                head, _, rest = data.partition(b"\r\n\r\n")
                received += len(rest)
            else:
                received += len(data)
            time.sleep(0.001)  # a slow reader, so the sender meets a full socket buffer
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


def post_big(kind: str, port: int, timeout: float) -> HttpResponse:
    request = HttpRequest(method="POST", url=f"http://127.0.0.1:{port}/", body=BIG)
    if kind == "h11":
        with H11Transport() as sync:
            return sync.handle_request(request, timeout=timeout)
    if kind == "trio":

        async def on_trio() -> HttpResponse:
            async with TrioTransport() as transport:
                return await transport.handle_async_request(request, timeout=timeout)

        return trio.run(on_trio)

    async def on_asyncio() -> HttpResponse:
        async with AsyncioTransport() as transport:
            return await transport.handle_async_request(request, timeout=timeout)

    result: HttpResponse = on_plain_asyncio(on_asyncio)
    return result


@pytest.mark.parametrize("kind", ["h11", "trio", "asyncio"])
def test_a_write_to_a_peer_that_never_reads_times_out(kind: str) -> None:
    peer = Peer("silent")
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutException, match="sending the request"):
            post_big(kind, peer.port, 0.3)
        assert time.monotonic() - started < 5  # generous: a stuck write would hang
    finally:
        peer.close()


@pytest.mark.parametrize("kind", ["h11", "trio", "asyncio"])
def test_a_reset_mid_body_is_a_lost_connection(kind: str) -> None:
    peer = Peer("reset")
    try:
        with pytest.raises(ConnectionLostException, match="broke"):
            post_big(kind, peer.port, 2)
    finally:
        peer.close()


@pytest.mark.parametrize("kind", ["h11", "trio", "asyncio"])
def test_a_big_body_reaches_a_slow_reader(kind: str) -> None:
    peer = Peer("drain")
    try:
        assert post_big(kind, peer.port, 2).body == b"ok"
    finally:
        peer.close()
