"""Round trips to the local server: our clients, the original SDK, and the raw floors.

Every contender sends the same request bytes with the same headers (ours
builds them; the floors replay exactly what ours built) and reads the same
answer. Connections are opened and warmed before the clock starts; only the
requests themselves are timed. The floors do the exchange and nothing else
(no JSON), except the page walk, whose floor is a GET plus `json.loads` a page.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import h11
import requests
import trio

from benchmarks import fixtures, original
from benchmarks.measure import Contender, Group, Row
from benchmarks.server import Server
from transports import AsyncClient, Client
from transports.asyncio import AsyncioTransport
from transports.h11 import H11Transport
from transports.requests import RequestsTransport
from transports.trio import TrioTransport
from xms_core import CreateBatch, FetchBatch, FetchBatches, HttpRequest, Settings
from xms_core.api import MtBatchTextSmsCreate

BATCH = MtBatchTextSmsCreate(
    sender=fixtures.SENDER, recipients=fixtures.RECIPIENTS, body=fixtures.BODY
)


def settings(server: Server) -> Settings:
    """Our settings for the local server."""
    return Settings(service_plan_id=fixtures.PLAN, token=fixtures.TOKEN, endpoint=server.endpoint)


def create_request(server: Server) -> HttpRequest:
    """The create request ours sends; every floor replays its bytes."""
    return CreateBatch(batch=BATCH).build_request(settings(server))


def fetch_request(server: Server) -> HttpRequest:
    """The fetch request ours sends."""
    return FetchBatch(batch_id=fixtures.BATCH_ID).build_request(settings(server))


def _target(request: HttpRequest) -> str:
    return "/" + request.url.split("/", 3)[3]


def _h11_headers(request: HttpRequest, server: Server) -> list[tuple[str, str]]:
    """The head our h11 transports send: host first, content-length last."""
    headers = [("host", f"127.0.0.1:{server.port}"), *request.headers]
    if request.body is not None:
        headers.append(("content-length", str(len(request.body))))
    return headers


# --------------------------------------------------------------------------- sync


def loop(call: Callable[[], object]) -> Callable[[int], float]:
    def run(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            call()
        return time.perf_counter() - started

    return run


def ours_sync(server: Server, transport: Any, what: str) -> Contender:
    """Our `Client` on `transport`: `create_batch` or `fetch_batch`."""
    client = Client(fixtures.PLAN, fixtures.TOKEN, server.endpoint, transport=transport)
    call: Callable[[], object] = (
        (lambda: client.create_batch(BATCH))
        if what == "create"
        else (lambda: client.fetch_batch(fixtures.BATCH_ID))
    )
    call()
    return Contender("ours", f"xms Client + {type(transport).__name__}", loop(call), client.close)


def original_sync(server: Server, what: str) -> Contender:
    """The original's `Client` (requests): `create_batch` or `fetch_batch`."""
    client = original.client(server.endpoint)
    batch = original.text_batch()
    call: Callable[[], object] = (
        (lambda: client.create_batch(batch))
        if what == "create"
        else (lambda: client.fetch_batch(fixtures.BATCH_ID))
    )
    call()
    return Contender("original", "clx-sdk-xms Client", loop(call), lambda: original.close(client))


def raw_requests(server: Server, request: HttpRequest) -> Contender:
    """`requests.Session` sending the same bytes with the same headers; reads the body."""
    session = requests.Session()
    session.headers.clear()  # only our headers, as our transport sends them
    headers = dict(request.headers)
    method, url, body = request.method, request.url, request.body

    def call() -> bytes:
        return session.request(method, url, data=body, headers=headers).content

    call()
    return Contender("raw", "raw requests.Session", loop(call), session.close)


class _RawH11:
    """h11 over one blocking socket: the exchange, nothing else."""

    def __init__(self, server: Server, request: HttpRequest) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = h11.Connection(h11.CLIENT)
        self.method = request.method
        self.target = _target(request)
        self.headers = _h11_headers(request, server)
        self.body = request.body

    def call(self) -> bytes:
        conn, sock = self.conn, self.sock
        if conn.our_state is h11.DONE:
            conn.start_next_cycle()
        data = conn.send(h11.Request(method=self.method, target=self.target, headers=self.headers))
        if self.body:
            data += conn.send(h11.Data(data=self.body))
        sock.sendall(data + conn.send(h11.EndOfMessage()))
        parts = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
            elif type(event) is h11.Data:
                parts.append(event.data)
            elif type(event) is h11.EndOfMessage:
                return b"".join(parts)

    def close(self) -> None:
        self.sock.close()


def raw_h11(server: Server, request: HttpRequest) -> Contender:
    """h11 over a blocking socket, the same bytes."""
    raw = _RawH11(server, request)
    raw.call()
    return Contender("raw", "raw h11, blocking socket", loop(raw.call), raw.close)


def sync_requests(server: Server, ops: int, what: str) -> Group:
    """`create_batch` or `fetch_batch` on the requests transport."""
    request = create_request(server) if what == "create" else fetch_request(server)
    contenders = [ours_sync(server, RequestsTransport(), what), raw_requests(server, request)]
    if original.AVAILABLE:
        contenders.append(original_sync(server, what))
    row = Row(
        f"sync_{what}_requests",
        f"sync `{what}_batch` on the `requests` transport",
        "ours",
        "raw",
        "time",
        1.05,
        "raw requests.Session",
        original="original" if original.AVAILABLE else None,
    )
    return Group(row.key, row.work, ops, "request", contenders, [row], server=server)


def sync_h11(server: Server, ops: int) -> Group:
    """`create_batch` on the blocking h11 transport, against raw h11 and the original."""
    contenders = [
        ours_sync(server, H11Transport(), "create"),
        raw_h11(server, create_request(server)),
    ]
    rows = [
        Row(
            "h11_create_vs_raw",
            "sync create on `H11Transport` (blocking h11)",
            "ours",
            "raw",
            "time",
            1.15,
            "raw h11 blocking",
            original="original" if original.AVAILABLE else None,
        )
    ]
    if original.AVAILABLE:
        contenders.append(original_sync(server, "create"))
        rows.insert(
            0,
            Row(
                "h11_create_vs_original",
                "sync create rate on `H11Transport` against the original's (requests)",
                "ours",
                "original",
                "rate",
                3.0,
                "the original's rate",
            ),
        )
    return Group(
        "sync_h11",
        "sequential create on blocking h11",
        ops,
        "request",
        contenders,
        rows,
        server=server,
    )


def walk_pages(server: Server, ops: int) -> Group:
    """Walk all 20 pages of 30 batches; `ops` counts walks."""
    client = Client(fixtures.PLAN, fixtures.TOKEN, server.endpoint, transport=RequestsTransport())

    def ours() -> int:
        return sum(len(page.content) for page in client.fetch_batches())

    session = requests.Session()
    session.headers.clear()
    first = FetchBatches().build_request(settings(server))
    headers = dict(first.headers)
    urls = [FetchBatches(page=n).build_request(settings(server)).url for n in range(fixtures.PAGES)]

    def raw() -> int:
        return sum(
            len(json.loads(session.get(url, headers=headers).content)["batches"]) for url in urls
        )

    expected = fixtures.PAGES * fixtures.PAGE_SIZE
    if ours() != expected or raw() != expected:
        raise RuntimeError("the page walk did not see every batch")
    contenders = [
        Contender("ours", "xms Client.fetch_batches", loop(ours), client.close),
        Contender("raw", "raw requests GET + json.loads", loop(raw), session.close),
    ]
    if original.AVAILABLE:
        old = original.client(server.endpoint)

        def walk_original() -> int:
            return sum(len(page.content) for page in old.fetch_batches())

        if walk_original() != expected:
            raise RuntimeError("the original's page walk did not see every batch")
        label = "clx-sdk-xms fetch_batches"
        contenders.append(
            Contender("original", label, loop(walk_original), lambda: original.close(old))
        )
    row = Row(
        "walk_pages",
        f"walk {fixtures.PAGES} pages of {fixtures.PAGE_SIZE} batches",
        "ours",
        "raw",
        "time",
        1.2,
        "raw requests GET + json.loads per page",
        original="original" if original.AVAILABLE else None,
        note="the original asks for one more, empty, page",
    )
    return Group(row.key, row.work, ops, "walk", contenders, [row], server=server)


# --------------------------------------------------------------------------- concurrent


def _split(n: int, workers: int) -> list[int]:
    return [n // workers + (1 if i < n % workers else 0) for i in range(workers)]


def ours_trio(server: Server, connections: int, tasks: int | None = None) -> Contender:
    """Our `AsyncClient` on `TrioTransport` with a pool of `connections`.

    `tasks` tasks (by default one per connection) share the one client; with
    more tasks than connections they queue for the pool.
    """
    tasks = connections if tasks is None else tasks

    def run(n: int) -> float:
        async def main() -> float:
            transport = TrioTransport(max_connections=connections)
            async with AsyncClient(
                fixtures.PLAN, fixtures.TOKEN, server.endpoint, transport=transport
            ) as client:

                async def work(count: int) -> None:
                    for _ in range(count):
                        await client.create_batch(BATCH)

                async with trio.open_nursery() as nursery:  # warm: every connection opened
                    for _ in range(connections):
                        nursery.start_soon(work, 1)
                started = trio.current_time()
                async with trio.open_nursery() as nursery:
                    for count in _split(n, tasks):
                        nursery.start_soon(work, count)
                return trio.current_time() - started

        return trio.run(main)

    return Contender("ours", "xms AsyncClient + TrioTransport", run)


def raw_trio(server: Server, connections: int) -> Contender:
    """h11 over `connections` trio keep-alive connections, the same bytes."""
    request = create_request(server)
    method, target, headers = request.method, _target(request), _h11_headers(request, server)
    body = request.body
    assert body is not None

    def run(n: int) -> float:
        async def exchange(stream: trio.SocketStream, conn: h11.Connection) -> bytes:
            if conn.our_state is h11.DONE:
                conn.start_next_cycle()
            event = h11.Request(method=method, target=target, headers=headers)
            data = conn.send(event) + conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage())
            await stream.send_all(data)
            parts = []
            while True:
                ev = conn.next_event()
                if ev is h11.NEED_DATA:
                    conn.receive_data(await stream.receive_some(65536))
                elif type(ev) is h11.Data:
                    parts.append(ev.data)
                elif type(ev) is h11.EndOfMessage:
                    return b"".join(parts)

        async def main() -> float:
            streams = [
                await trio.open_tcp_stream("127.0.0.1", server.port) for _ in range(connections)
            ]
            conns = [h11.Connection(h11.CLIENT) for _ in streams]
            try:
                for stream, conn in zip(streams, conns, strict=True):
                    await exchange(stream, conn)

                async def work(stream: trio.SocketStream, conn: h11.Connection, count: int) -> None:
                    for _ in range(count):
                        await exchange(stream, conn)

                started = trio.current_time()
                async with trio.open_nursery() as nursery:
                    for stream, conn, count in zip(
                        streams, conns, _split(n, connections), strict=True
                    ):
                        nursery.start_soon(work, stream, conn, count)
                return trio.current_time() - started
            finally:
                for stream in streams:
                    await stream.aclose()

        return trio.run(main)

    return Contender("raw", f"raw h11 over trio, {connections} connections", run)


def original_threads(server: Server, threads: int) -> Contender:
    """The original's `Client`, one per thread (each its own session and connection)."""
    clients = [original.client(server.endpoint) for _ in range(threads)]
    batch = original.text_batch()
    for client in clients:
        client.create_batch(batch)

    def run(n: int) -> float:
        counter = itertools.count()
        gate = threading.Barrier(threads + 1)

        def work(client: Any) -> None:
            gate.wait()
            while next(counter) < n:
                client.create_batch(batch)

        pool = [threading.Thread(target=work, args=(c,)) for c in clients]
        for thread in pool:
            thread.start()
        gate.wait()
        started = time.perf_counter()
        for thread in pool:
            thread.join()
        return time.perf_counter() - started

    def close() -> None:
        for client in clients:
            original.close(client)

    return Contender("original", f"clx-sdk-xms, {threads} threads", run, close)


def trio_create(server: Server, ops: int, connections: int, tasks: int | None = None) -> Group:
    """Concurrent creates on trio; with `tasks` > `connections`, contending for the pool."""
    if tasks is not None and tasks != connections:
        row = Row(
            f"trio_create_c{tasks}_pool{connections}",
            f"trio `AsyncClient` create, C = {tasks} tasks, pool of {connections}",
            "ours",
            "raw",
            "rate",
            None,
            f"raw h11-over-trio, {connections} connections",
        )
        contenders = [ours_trio(server, connections, tasks), raw_trio(server, connections)]
        return Group(row.key, row.work, ops, "request", contenders, [row], server=server)
    contenders = [ours_trio(server, connections), raw_trio(server, connections)]
    if original.AVAILABLE:
        contenders.append(original_threads(server, connections))
    row = Row(
        f"trio_create_c{connections}",
        f"trio `AsyncClient` create, C = {connections}",
        "ours",
        "raw",
        "rate",
        0.9,
        f"raw h11-over-trio, {connections} connections",
        original="original" if original.AVAILABLE else None,
        note=f"the original: {connections} threads",
    )
    return Group(row.key, row.work, ops, "request", contenders, [row], server=server)


def ours_asyncio(server: Server, connections: int, tasks: int | None = None) -> Contender:
    """Our `AsyncClient` on `AsyncioTransport` with a pool of `connections` (see `ours_trio`)."""
    tasks = connections if tasks is None else tasks

    def run(n: int) -> float:
        async def main() -> float:
            transport = AsyncioTransport(max_connections=connections)
            async with AsyncClient(
                fixtures.PLAN, fixtures.TOKEN, server.endpoint, transport=transport
            ) as client:

                async def work(count: int) -> None:
                    for _ in range(count):
                        await client.create_batch(BATCH)

                await asyncio.gather(*(work(1) for _ in range(connections)))
                loop = asyncio.get_running_loop()
                started = loop.time()
                await asyncio.gather(*(work(count) for count in _split(n, tasks)))
                return loop.time() - started

        return asyncio.run(main())

    return Contender("ours", "xms AsyncClient + AsyncioTransport", run)


def raw_asyncio(server: Server, connections: int) -> Contender:
    """h11 over `connections` asyncio streams, the same bytes."""
    request = create_request(server)
    method, target, headers = request.method, _target(request), _h11_headers(request, server)
    body = request.body
    assert body is not None

    def run(n: int) -> float:
        async def exchange(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: h11.Connection
        ) -> bytes:
            if conn.our_state is h11.DONE:
                conn.start_next_cycle()
            event = h11.Request(method=method, target=target, headers=headers)
            writer.write(
                conn.send(event) + conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage())
            )
            await writer.drain()
            parts = []
            while True:
                ev = conn.next_event()
                if ev is h11.NEED_DATA:
                    conn.receive_data(await reader.read(65536))
                elif type(ev) is h11.Data:
                    parts.append(ev.data)
                elif type(ev) is h11.EndOfMessage:
                    return b"".join(parts)

        async def main() -> float:
            pairs = [
                await asyncio.open_connection("127.0.0.1", server.port) for _ in range(connections)
            ]
            conns = [h11.Connection(h11.CLIENT) for _ in pairs]
            try:
                for (reader, writer), conn in zip(pairs, conns, strict=True):
                    await exchange(reader, writer, conn)

                async def work(
                    reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter,
                    conn: h11.Connection,
                    count: int,
                ) -> None:
                    for _ in range(count):
                        await exchange(reader, writer, conn)

                loop = asyncio.get_running_loop()
                started = loop.time()
                await asyncio.gather(
                    *(
                        work(reader, writer, conn, count)
                        for (reader, writer), conn, count in zip(
                            pairs, conns, _split(n, connections), strict=True
                        )
                    )
                )
                return loop.time() - started
            finally:
                for _, writer in pairs:
                    writer.close()
                for _, writer in pairs:
                    await writer.wait_closed()

        return asyncio.run(main())

    return Contender("raw", f"raw h11 over asyncio streams, {connections} connections", run)


def asyncio_create(server: Server, ops: int, connections: int, tasks: int | None = None) -> Group:
    """Concurrent creates on native asyncio; `tasks` > `connections` contend for the pool."""
    if tasks is not None and tasks != connections:
        row = Row(
            f"asyncio_create_c{tasks}_pool{connections}",
            f"native asyncio create, C = {tasks} tasks, pool of {connections}",
            "ours",
            "raw",
            "rate",
            None,
            f"raw h11-over-asyncio, {connections} connections",
        )
    else:
        row = Row(
            f"asyncio_create_c{connections}",
            f"native asyncio create, C = {connections}",
            "ours",
            "raw",
            "rate",
            0.9,
            f"raw h11-over-asyncio, {connections} connections",
        )
    contenders = [ours_asyncio(server, connections, tasks), raw_asyncio(server, connections)]
    return Group(row.key, row.work, ops, "request", contenders, [row], server=server)


# --------------------------------------------------------------------------- the server's ceiling


def server_ceiling(
    server: Server, seconds: float = 1.0, connections: int = 4, depth: int = 64
) -> dict[str, float]:
    """Drive the server as hard as a client can: pipelined creates on several connections.

    The load costs the client a few system calls per `depth` requests, so the
    rate measured is the server's. Returns requests per second, the server's
    CPU seconds per request and its CPU utilisation.
    """
    request = create_request(server)
    assert request.body is not None
    head = f"POST {_target(request)} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in _h11_headers(request, server)[1:]
    )
    one = (f"{head}host: 127.0.0.1\r\n\r\n").encode() + request.body
    answer = len(fixtures.batch_body()) + len(
        b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
        % len(fixtures.batch_body())
    )
    socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(connections)]
    burst = one * depth
    try:
        cpu0, requests0 = server.stats()
        started = time.perf_counter()
        sent = 0
        while time.perf_counter() - started < seconds:
            for sock in socks:
                sock.sendall(burst)
            for sock in socks:
                want = answer * depth
                while want:
                    chunk = sock.recv(min(want, 1 << 20))
                    if not chunk:
                        raise RuntimeError("the server closed a load connection")
                    want -= len(chunk)
            sent += depth * connections
        wall = time.perf_counter() - started
        cpu1, requests1 = server.stats()
    finally:
        for sock in socks:
            sock.close()
    served = requests1 - requests0 - 1
    if served != sent:
        raise RuntimeError(f"the server answered {served} of {sent} load requests")
    return {
        "requests_per_second": sent / wall,
        "cpu_per_request_us": (cpu1 - cpu0) / served * 1e6,
        "utilisation": (cpu1 - cpu0) / wall,
        "connections": connections,
        "pipeline_depth": depth,
    }
