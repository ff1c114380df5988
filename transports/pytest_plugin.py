"""A pytest plugin for testing your own code against an offline XMS.

Installed with the package (entry point `xms` in `pytest11`), it gives:

* `xms_clock`: the simulator's `ManualClock`; `advance(seconds)` moves
  delivery along (Queued -> Dispatched -> Delivered) without sleeping.
* `xms_simulator`: a fresh `Simulator` (service plan `plan`, token `token`):
  inspect what was sent (`batches()`, `batch_count`, `requests()`), inject
  inbound messages (`inject_inbound`), fail or expire recipients.
* `xms_client` / `xms_async_client`: a `Client` / `AsyncClient` wired to it in
  memory. `xms_async_client` is for `async def` tests, so it needs a plugin
  that runs them: pytest-trio, pytest-asyncio or anyio's; without one it
  fails with a message saying so.
* `xms_server`: the same simulator served on 127.0.0.1 (with callbacks
  delivered to loopback URLs and retried like XMS, and the control API on
  `/_simulator`), for code that builds its own client from a URL: use
  `xms_server.url` as the endpoint.

pytest loads this module in every run of every project that has the package
installed, so it imports nothing but pytest itself: each fixture imports what
it needs when a test asks for it, and a missing dependency fails only the tests
that use that fixture, with the line that installs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from transports import AsyncClient, Client
    from transports.simulator import ManualClock, Simulator, SimulatorServer

SERVICE_PLAN_ID = "plan"
TOKEN = "token"  # noqa: S105 - the simulator's own, not a secret
ENDPOINT = "https://xms.simulator.test/xms"

# The pytest plugins that run `async def` tests, by the name they register under.
ASYNC_RUNNERS = ("trio", "asyncio", "anyio")


def _load(module: str, fixture: str) -> ModuleType:
    """Import `module` for `fixture`, or fail the test that asked, with the install line."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        missing = error.name or module
        pytest.fail(
            f"the {fixture} fixture needs {missing!r}, which is not installed"
            f" ({error}); install the SDK with its dependencies: pip install xms",
            pytrace=False,
        )


@pytest.fixture
def xms_clock() -> ManualClock:
    """The simulator's clock, starting at 2026-01-01T00:00:00Z."""
    simulator: ModuleType = _load("transports.simulator._core", "xms_clock")
    clock: ManualClock = simulator.ManualClock()
    return clock


@pytest.fixture
def xms_simulator(xms_clock: ManualClock) -> Simulator:
    """A fresh in-memory XMS for one test."""
    module = _load("transports.simulator._core", "xms_simulator")
    simulator: Simulator = module.Simulator(
        service_plan_id=SERVICE_PLAN_ID, token=TOKEN, clock=xms_clock
    )
    return simulator


@pytest.fixture
def xms_client(xms_simulator: Simulator) -> Iterator[Client]:
    """A sync client talking to `xms_simulator` in memory."""
    module = _load("transports", "xms_client")
    transport = module.MemoryTransport(xms_simulator.handle)
    client: Client
    with module.Client(SERVICE_PLAN_ID, TOKEN, ENDPOINT, transport=transport) as client:
        yield client


@pytest.fixture
def xms_async_client(request: pytest.FixtureRequest, xms_simulator: Simulator) -> AsyncClient:
    """An async client talking to `xms_simulator` in memory, for `async def` tests.

    Any event loop works, but pytest itself cannot run an `async def` test: it
    needs pytest-trio (`pip install pytest-trio`), pytest-asyncio or anyio's
    plugin. Without one of them this fixture fails and says so.
    """
    plugins = request.config.pluginmanager
    if not any(plugins.hasplugin(name) for name in ASYNC_RUNNERS):
        pytest.fail(
            "the xms_async_client fixture is for async def tests, and no plugin that runs them"
            " is installed: pip install pytest-trio (or pytest-asyncio, or use anyio's plugin)",
            pytrace=False,
        )
    module = _load("transports", "xms_async_client")
    client: AsyncClient = module.AsyncClient(
        SERVICE_PLAN_ID, TOKEN, ENDPOINT, transport=module.MemoryTransport(xms_simulator.handle)
    )
    return client


@pytest.fixture
def xms_server(xms_simulator: Simulator) -> Iterator[SimulatorServer]:
    """`xms_simulator` served on 127.0.0.1; `xms_server.url` is its endpoint."""
    module = _load("transports.simulator", "xms_server")
    server: SimulatorServer
    with module.serve(
        xms_simulator.handle,
        callbacks=xms_simulator.take_callbacks,
        callback_answered=xms_simulator.callback_answered,
        control=xms_simulator,
    ) as server:
        yield server
