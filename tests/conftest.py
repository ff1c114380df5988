"""Fixtures shared by every test: a fresh simulator and the conformance subjects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any

import pytest

from tests.adapters import KINDS, NETWORK_KINDS, PLAN, TOKEN, Subject, open_subject
from tests.network_guard import install_network_guard
from transports.simulator import ManualClock, Simulator


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def simulator(clock: ManualClock) -> Simulator:
    return Simulator(service_plan_id=PLAN, token=TOKEN, clock=clock)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=NETWORK_KINDS)
def network_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def xms(kind: str, simulator: Simulator) -> AsyncIterator[Subject]:
    """The client under test, one parameter per client and transport kind."""
    async with open_subject(kind, simulator) as subject:
        yield subject


@pytest.fixture
async def xms_net(network_kind: str, simulator: Simulator) -> AsyncIterator[Subject]:
    """The client under test over real loopback HTTP (every kind but memory)."""
    async with open_subject(network_kind, simulator) as subject:
        yield subject


@pytest.fixture
def make_subject(
    network_kind: str, simulator: Simulator
) -> Callable[..., AbstractAsyncContextManager[Subject]]:
    """Open a network subject with custom options (timeout, retry, endpoint)."""
    return partial(open_subject, network_kind, simulator)


def pytest_configure(config: Any) -> None:
    # No test may reach anything but loopback: refused here, before any packet leaves.
    install_network_guard()
    config.addinivalue_line("markers", "slow: a longer test (soak, large concurrency)")
