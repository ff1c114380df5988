"""A pytest plugin for testing your own code against an offline XMS.

Installed with the package (entry point `xms` in `pytest11`), it gives:

* `xms_clock`: the simulator's `ManualClock`; `advance(seconds)` moves
  delivery along (Queued -> Dispatched -> Delivered) without sleeping.
* `xms_simulator`: a fresh `Simulator` (service plan `plan`, token `token`):
  inspect what was sent (`batches()`, `batch_count`, `requests()`), inject
  inbound messages (`inject_inbound`), fail or expire recipients.
* `xms_client` / `xms_async_client`: a `Client` / `AsyncClient` wired to it in
  memory.
* `xms_server`: the same simulator served on 127.0.0.1 (with callbacks
  delivered to loopback URLs and retried like XMS), for code that builds its own client from a URL:
  use `xms_server.url` as the endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from transports import AsyncClient, Client, MemoryTransport
from transports.simulator import ManualClock, Simulator, SimulatorServer, serve

SERVICE_PLAN_ID = "plan"
TOKEN = "token"  # noqa: S105 - the simulator's own, not a secret
ENDPOINT = "https://xms.simulator.test/xms"


@pytest.fixture
def xms_clock() -> ManualClock:
    """The simulator's clock, starting at 2026-01-01T00:00:00Z."""
    return ManualClock()


@pytest.fixture
def xms_simulator(xms_clock: ManualClock) -> Simulator:
    """A fresh in-memory XMS for one test."""
    return Simulator(service_plan_id=SERVICE_PLAN_ID, token=TOKEN, clock=xms_clock)


@pytest.fixture
def xms_client(xms_simulator: Simulator) -> Iterator[Client]:
    """A sync client talking to `xms_simulator` in memory."""
    transport = MemoryTransport(xms_simulator.handle)
    with Client(SERVICE_PLAN_ID, TOKEN, ENDPOINT, transport=transport) as client:
        yield client


@pytest.fixture
def xms_async_client(xms_simulator: Simulator) -> AsyncClient:
    """An async client talking to `xms_simulator` in memory (any event loop)."""
    return AsyncClient(
        SERVICE_PLAN_ID, TOKEN, ENDPOINT, transport=MemoryTransport(xms_simulator.handle)
    )


@pytest.fixture
def xms_server(xms_simulator: Simulator) -> Iterator[SimulatorServer]:
    """`xms_simulator` served on 127.0.0.1; `xms_server.url` is its endpoint."""
    with serve(
        xms_simulator.handle,
        callbacks=xms_simulator.take_callbacks,
        callback_answered=xms_simulator.callback_answered,
    ) as server:
        yield server
