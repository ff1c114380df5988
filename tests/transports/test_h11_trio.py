"""TrioTransport against a trio server in the same run (pytest-trio, trio mode)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial

import h11
import pytest
import trio

from transports.trio import TrioTransport
from xms_core import HttpRequest
from xms_core.exceptions import ConnectionLostException, TimeoutException


@dataclass
class TrioServer:
    """Answers `/cl` at once, `/hang` never, `/drop` by closing; records what it saw."""

    port: int = 0
    connections: int = 0
    targets: list[str] = field(default_factory=list)
    hung_up: trio.Event = field(default_factory=trio.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def handle(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        conn = h11.Connection(h11.SERVER)
        async with stream:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await stream.receive_some()
                    if not data:
                        return
                    conn.receive_data(data)
                    continue
                if isinstance(event, h11.Request):
                    self.targets.append(event.target.decode())
                    continue
                if isinstance(event, h11.EndOfMessage):
                    target = self.targets[-1]
                    if target == "/drop":
                        return
                    if target == "/hang":  # never answer; notice when the client gives up
                        while await stream.receive_some():
                            pass
                        self.hung_up.set()
                        return
                    body = b"hello"
                    headers = [("content-length", str(len(body)))]
                    await stream.send_all(
                        conn.send(h11.Response(status_code=200, headers=headers))
                        + conn.send(h11.Data(data=body))
                        + conn.send(h11.EndOfMessage())
                    )
                    conn.start_next_cycle()
                    continue
                return


@asynccontextmanager
async def serving() -> AsyncIterator[TrioServer]:
    server = TrioServer()
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, host="127.0.0.1"), server.handle, 0)
        server.port = listeners[0].socket.getsockname()[1]
        yield server
        nursery.cancel_scope.cancel()


def get(url: str) -> HttpRequest:
    return HttpRequest(method="GET", url=url)


async def test_round_trips_and_reuse_within_one_trio_run() -> None:
    async with serving() as server, TrioTransport() as transport:
        for _ in range(3):
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            assert (response.status, response.body) == (200, b"hello")
        assert server.connections == 1
        assert server.targets == ["/cl"] * 3


async def test_many_tasks_share_a_bounded_pool() -> None:
    async with serving() as server, TrioTransport(max_connections=2) as transport:
        statuses: list[int] = []

        async def one() -> None:
            response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
            statuses.append(response.status)

        async with trio.open_nursery() as nursery:
            for _ in range(30):
                nursery.start_soon(one)
        assert statuses == [200] * 30
        assert server.connections <= 2
        assert transport.open_connections <= 2


async def test_cancellation_closes_the_connection_the_server_sees_it() -> None:
    async with serving() as server, TrioTransport() as transport:
        await transport.handle_async_request(get(server.url("/cl")), timeout=2)
        with trio.move_on_after(0.05) as scope:
            await transport.handle_async_request(get(server.url("/hang")), timeout=5)
        assert scope.cancelled_caught
        assert transport.open_connections == 0
        with trio.fail_after(1):
            await server.hung_up.wait()  # the cancelled request's connection was closed
        response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
        assert response.body == b"hello"
        assert server.connections == 2


async def test_failures_are_plain_exceptions_not_groups() -> None:
    async with serving() as server, TrioTransport() as transport:
        with pytest.raises(ConnectionLostException):
            await transport.handle_async_request(get(server.url("/drop")), timeout=2)
        with pytest.raises(TimeoutException):
            await transport.handle_async_request(get(server.url("/hang")), timeout=0.05)
        response = await transport.handle_async_request(get(server.url("/cl")), timeout=2)
        assert response.status == 200
