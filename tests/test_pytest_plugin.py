"""The pytest plugin that users get with the package."""

from __future__ import annotations

import pytest

from transports import AsyncClient, Client
from transports.simulator import ManualClock, Simulator, SimulatorServer
from xms_core.api import MtBatchTextSmsCreate

pytest_plugins = ["pytester"]

EXAMPLE = '''
from transports import Client


def notify_customers(client, numbers):
    """The user's own code under test."""
    return client.create_text_message("12345", numbers[0], "Your order has shipped")


def test_notify_customers(xms_client, xms_simulator, xms_clock):
    batch = notify_customers(xms_client, ["+46701234567"])
    assert xms_simulator.batch(batch.batch_id)["body"] == "Your order has shipped"
    xms_clock.advance(10)
    report = xms_client.fetch_delivery_report(batch.batch_id)
    assert report.statuses[0].status == "Delivered"


def test_code_that_builds_its_own_client(xms_server, xms_simulator):
    with Client("plan", "token", xms_server.url) as client:
        client.create_text_message("12345", "+46701234567", "hi")
    assert xms_simulator.batch_count == 1
'''


def test_plugin_is_found_through_its_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_example=EXAMPLE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)


def test_fixtures_share_one_simulator(
    xms_client: Client, xms_simulator: Simulator, xms_clock: ManualClock
) -> None:
    inbound = xms_simulator.inject_inbound(sender="+46701234567", recipient="12345", body="hi")
    assert xms_client.fetch_inbound(inbound).body == "hi"
    assert xms_simulator.clock is xms_clock


async def test_async_fixture(xms_async_client: AsyncClient, xms_simulator: Simulator) -> None:
    batch = await xms_async_client.create_batch(
        MtBatchTextSmsCreate(recipients=["+46701234567"], body="async")
    )
    assert xms_simulator.batch(batch.batch_id)["body"] == "async"


def test_server_fixture_serves_loopback(xms_server: SimulatorServer) -> None:
    assert xms_server.url.startswith("http://127.0.0.1:")
