"""TLS against the served simulator, with a certificate from a local CA (trustme).

Verification is on by default: the untrusted certificate fails with our
`TlsException`, and the CA bundle makes the same request work, for every
network transport.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.adapters import PLAN, TOKEN
from transports import AsyncClient, Client
from transports.simulator import Simulator, SimulatorServer, serve
from xms_core import RetryPolicy
from xms_core.api import MtBatchTextSmsCreate
from xms_core.exceptions import TlsException

BATCH = MtBatchTextSmsCreate(recipients=["+46701234567"], body="over tls")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[tuple[SimulatorServer, Simulator]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN)
    with serve(simulator.handle, ssl_context=context) as server:
        yield server, simulator


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def sync_transport(kind: str, verify: Any) -> Any:
    if kind == "requests":
        from transports.requests import RequestsTransport

        return RequestsTransport(verify=verify)
    from transports.h11 import H11Transport

    return H11Transport(verify=verify)


@pytest.mark.parametrize("kind", ["requests", "h11"])
def test_sync_transports_verify_by_default(
    kind: str, tls_server: tuple[SimulatorServer, Simulator], ca_file: str
) -> None:
    server, simulator = tls_server
    assert server.url.startswith("https://")
    untrusted = Client(PLAN, TOKEN, server.url, transport=sync_transport(kind, True))
    with untrusted, pytest.raises(TlsException) as info:
        untrusted.create_batch(BATCH)
    assert info.value.__cause__ is not None
    assert simulator.batch_count == 0

    trusted = Client(PLAN, TOKEN, server.url, transport=sync_transport(kind, ca_file))
    with trusted:
        created = trusted.create_batch(BATCH)
    assert simulator.batch(created.batch_id)["body"] == "over tls"


async def test_trio_transport_verifies_by_default(
    tls_server: tuple[SimulatorServer, Simulator], ca_file: str
) -> None:
    from transports.trio import TrioTransport

    server, simulator = tls_server
    async with AsyncClient(
        PLAN, TOKEN, server.url, transport=TrioTransport(), retry=RetryPolicy.off()
    ) as client:
        with pytest.raises(TlsException):
            await client.create_batch(BATCH)
    async with AsyncClient(
        PLAN, TOKEN, server.url, transport=TrioTransport(verify=ca_file)
    ) as client:
        created = await client.create_batch(BATCH)
    assert simulator.batch_count == 1
    assert simulator.batch(created.batch_id)["body"] == "over tls"


def run_on_plain_asyncio(make: Callable[[], Any]) -> Any:
    loop = asyncio.SelectorEventLoop()
    try:
        return loop.run_until_complete(make())
    finally:
        loop.close()


def test_asyncio_transport_verifies_by_default(
    tls_server: tuple[SimulatorServer, Simulator], ca_file: str
) -> None:
    from transports.asyncio import AsyncioTransport

    server, simulator = tls_server

    async def attempt(verify: Any) -> Any:
        async with AsyncClient(
            PLAN,
            TOKEN,
            server.url,
            transport=AsyncioTransport(verify=verify),
            retry=RetryPolicy.off(),
        ) as client:
            try:
                return await client.create_batch(BATCH)
            except TlsException as exc:
                return exc

    assert isinstance(run_on_plain_asyncio(lambda: attempt(True)), TlsException)
    created = run_on_plain_asyncio(lambda: attempt(ca_file))
    assert simulator.batch(created.batch_id)["body"] == "over tls"
    assert simulator.batch_count == 1
