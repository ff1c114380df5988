"""H11Transport used directly from threads, and the protocol shape of all three transports."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.transports.h11_servers import Server
from transports.asyncio import AsyncioTransport
from transports.base import AsyncTransport, SyncTransport
from transports.h11 import H11Transport
from transports.trio import TrioTransport
from xms_core import HttpRequest
from xms_core.exceptions import TimeoutException


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as running:
        yield running


def test_protocols_and_reprs() -> None:
    proxy = "http://someone:hunter2@127.0.0.1:3128"
    sync = H11Transport(proxy=proxy)
    assert isinstance(sync, SyncTransport)
    for transport in (TrioTransport(proxy=proxy), AsyncioTransport(proxy=proxy)):
        assert isinstance(transport, AsyncTransport)
        assert "hunter2" not in repr(transport)
    assert repr(sync) == (
        "H11Transport(max_connections=10, verify=True, proxy='http://127.0.0.1:3128', "
        "open=0, idle=0)"
    )


@pytest.mark.parametrize(
    ("module", "absent"),
    [("asyncio", ["trio"]), ("trio", ["asyncio"]), ("h11", ["trio", "asyncio"])],
)
def test_adapters_import_only_their_own_loop(module: str, absent: list[str]) -> None:
    code = f"import sys, transports.{module}; print(sorted(set({absent!r}) & set(sys.modules)))"
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert result.stdout.strip() == "[]"


def test_threads_share_one_bounded_pool(server: Server) -> None:
    with H11Transport(max_connections=3) as transport:

        def one(index: int) -> bytes:
            request = HttpRequest(method="POST", url=server.url("/echo"), body=str(index).encode())
            return transport.handle_request(request, timeout=2).body

        with ThreadPoolExecutor(max_workers=8) as pool:
            bodies = list(pool.map(one, range(80)))
        assert all(body.endswith(str(i).encode()) for i, body in enumerate(bodies))
        assert transport.open_connections <= 3
    assert server.max_open <= 3
    assert server.connections <= 3
    assert len(server.requests) == 80


def test_waiting_thread_times_out_and_the_pool_recovers(server: Server) -> None:
    with H11Transport(max_connections=1) as transport, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(
            transport.handle_request,
            HttpRequest(method="GET", url=server.url("/slow?d=0.2")),
            timeout=2,
        )
        server.wait_requests(1)
        with pytest.raises(TimeoutException, match="no connection became free"):
            transport.handle_request(HttpRequest(method="GET", url=server.url("/cl")), timeout=0.05)
        assert slow.result().status == 200
        response = transport.handle_request(
            HttpRequest(method="GET", url=server.url("/cl")), timeout=2
        )
        assert response.body == b"hello"
        assert (transport.open_connections, transport.idle_connections) == (1, 1)
    assert server.connections == 1
