"""A bounded soak: many requests over 8 pooled connections, no errors, no growth.

CI runs a short version; the long one is

    XMS_SOAK_REQUESTS=20000 .venv/bin/pytest tests/transports/test_soak.py -s

The simulator runs in a subprocess, so the memory measured is the client's.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trio

from transports import AsyncClient, Client
from transports.h11 import H11Transport
from transports.trio import TrioTransport
from xms_core import RetryPolicy
from xms_core.api import MtBatchTextSmsCreate

REQUESTS = int(os.environ.get("XMS_SOAK_REQUESTS", "5000"))
WARM_UP = max(500, REQUESTS // 10)
WORKERS = 8
GROWTH_ALLOWED = 1.10
DEADLINE = 60 * max(1, REQUESTS // 20000)
BATCH = MtBatchTextSmsCreate(recipients=["+46701234567"], body="soak", sender="123")


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


@contextmanager
def simulator_process() -> Iterator[str]:
    with subprocess.Popen(
        [sys.executable, "-m", "transports.simulator", "--port", "0", "--token", "token"],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+/xms)", line)
            assert match, line
            yield match.group(1)
        finally:
            process.terminate()
            process.wait(timeout=10)


async def test_trio_soak_has_no_errors_and_no_growth() -> None:
    errors: list[BaseException] = []
    with simulator_process() as url:
        transport = TrioTransport(max_connections=WORKERS)
        async with AsyncClient(
            "plan", "token", url, transport=transport, retry=RetryPolicy.off()
        ) as client:
            batch_id = (await client.create_batch(BATCH)).batch_id

            async def work(count: int) -> None:
                for number in range(count):
                    try:
                        if number % 10 == 0:
                            await client.create_batch(BATCH)
                        else:
                            await client.fetch_batch(batch_id)
                    except Exception as exc:
                        errors.append(exc)

            async def run(total: int) -> None:
                async with trio.open_nursery() as nursery:
                    for _ in range(WORKERS):
                        nursery.start_soon(work, total // WORKERS)

            with trio.fail_after(DEADLINE):
                await run(WARM_UP)
                gc.collect()
                baseline = rss_kib()
                started = time.monotonic()
                await run(REQUESTS)
                elapsed = time.monotonic() - started
            gc.collect()
            final = rss_kib()
            assert transport.open_connections <= WORKERS
    print(f"trio soak: {REQUESTS} requests in {elapsed:.1f} s, RSS {baseline} -> {final} KiB")
    assert errors == []
    assert final <= baseline * GROWTH_ALLOWED


def test_blocking_h11_soak_has_no_errors_and_no_growth() -> None:
    errors: list[BaseException] = []
    with simulator_process() as url:
        transport = H11Transport(max_connections=WORKERS)
        with Client("plan", "token", url, transport=transport, retry=RetryPolicy.off()) as client:
            batch_id = client.create_batch(BATCH).batch_id

            def work(count: int) -> None:
                for number in range(count):
                    try:
                        if number % 10 == 0:
                            client.create_batch(BATCH)
                        else:
                            client.fetch_batch(batch_id)
                    except Exception as exc:
                        errors.append(exc)

            def run(total: int) -> None:
                threads = [
                    threading.Thread(target=work, args=(total // WORKERS,)) for _ in range(WORKERS)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(DEADLINE)
                    assert not thread.is_alive()

            run(WARM_UP)
            gc.collect()
            baseline = rss_kib()
            started = time.monotonic()
            run(REQUESTS)
            elapsed = time.monotonic() - started
            gc.collect()
            final = rss_kib()
    print(f"h11 soak: {REQUESTS} requests in {elapsed:.1f} s, RSS {baseline} -> {final} KiB")
    assert errors == []
    assert final <= baseline * GROWTH_ALLOWED
