"""500 batches at once through a pool bounded at 16 connections, on trio and asyncio."""

from __future__ import annotations

import asyncio
import time

import trio

from tests.adapters import PLAN, TOKEN
from transports import AsyncClient
from transports.asyncio import AsyncioTransport
from transports.simulator import Simulator, serve
from transports.trio import TrioTransport
from xms_core import RetryPolicy
from xms_core.api import MtBatchTextSmsCreate

BATCHES = 500
POOL = 16


def batch(number: int) -> MtBatchTextSmsCreate:
    return MtBatchTextSmsCreate(recipients=["+46701234567"], body=f"message {number}")


async def test_trio_pool_sends_500_batches_over_at_most_16_connections() -> None:
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN)
    created: list[str] = []
    with serve(simulator.handle) as server:
        transport = TrioTransport(max_connections=POOL)
        async with AsyncClient(
            PLAN, TOKEN, server.url, transport=transport, retry=RetryPolicy.off()
        ) as client:

            async def send(number: int) -> None:
                created.append((await client.create_batch(batch(number))).batch_id)

            started = time.monotonic()
            async with trio.open_nursery() as nursery:
                for number in range(BATCHES):
                    nursery.start_soon(send, number)
            elapsed = time.monotonic() - started
        accepted = server.connections_accepted
        peak = server.max_concurrent_connections

    assert len(created) == len(set(created)) == BATCHES
    assert simulator.batch_count == BATCHES
    assert sorted(b["body"] for b in simulator.batches()) == sorted(
        f"message {n}" for n in range(BATCHES)
    )
    assert accepted <= POOL
    assert peak <= POOL
    print(f"trio: {BATCHES} batches in {elapsed:.2f} s over {accepted} connections")


def test_asyncio_pool_sends_500_batches_over_at_most_16_connections() -> None:
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN)
    with serve(simulator.handle) as server:

        async def main() -> tuple[list[str], float]:
            transport = AsyncioTransport(max_connections=POOL)
            async with AsyncClient(
                PLAN, TOKEN, server.url, transport=transport, retry=RetryPolicy.off()
            ) as client:
                started = time.monotonic()
                results = await asyncio.gather(
                    *(client.create_batch(batch(n)) for n in range(BATCHES))
                )
                return [r.batch_id for r in results], time.monotonic() - started

        # A plain selector loop: trio-asyncio's policy (imported by other tests)
        # must not stand in for asyncio here.
        loop = asyncio.SelectorEventLoop()
        try:
            created, elapsed = loop.run_until_complete(main())
        finally:
            loop.close()
        accepted = server.connections_accepted
        peak = server.max_concurrent_connections

    assert len(set(created)) == BATCHES
    assert simulator.batch_count == BATCHES
    assert accepted <= POOL
    assert peak <= POOL
    print(f"asyncio: {BATCHES} batches in {elapsed:.2f} s over {accepted} connections")
