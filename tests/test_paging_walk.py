"""Walking a listing while it changes: `items()` gives no item twice (sync and async).

XMS lists batches newest first and pages by number (protocol 3.3, 4.13), so a
batch created during a walk pushes older ones onto the next page. The scenario of
the issue: 2,000 batches, 7 more created for every 100 read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from tests.adapters import PLAN, TOKEN
from transports import AsyncClient, Client, MemoryTransport
from transports.simulator import ManualClock, Simulator
from xms_core import HttpRequest, HttpResponse
from xms_core.api import GroupCreate

EXISTING = 2000
CREATED_PER_PAGE = 7
PAGE_SIZE = 100


def busy_listing(
    existing: int = EXISTING,
) -> tuple[Simulator, Callable[[HttpRequest], HttpResponse], list[str]]:
    """A simulator with `existing` batches, and a handler that creates 7 more per page read."""
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN, clock=ManualClock())
    writer = Client(PLAN, TOKEN, transport=MemoryTransport(simulator.handle))
    for n in range(existing):
        writer.create_text_message("12345", "+46701234567", f"existing {n}")
    created: list[str] = []

    def handler(request: HttpRequest) -> HttpResponse:
        response = simulator.handle(request)
        if request.method == "GET" and "/batches?" in request.url:
            for n in range(CREATED_PER_PAGE):
                batch = writer.create_text_message("12345", "+46701234567", f"new {n}")
                created.append(batch.batch_id)
        return response

    return simulator, handler, created


def test_pages_repeat_items_when_batches_are_created_during_the_walk() -> None:
    # The raw pages, as XMS sends them: the shift shows as repeats.
    _, handler, _ = busy_listing()
    reader = Client(PLAN, TOKEN, transport=MemoryTransport(handler))

    pages = list(reader.fetch_batches(page_size=PAGE_SIZE))
    ids = [batch.batch_id for page in pages for batch in page]

    # Each page read but the last pushes 7 batches of the next page back onto it: the
    # 147 repeats the issue measured.
    repeats = sum(count - 1 for count in Counter(ids).values())
    assert repeats == CREATED_PER_PAGE * (len(pages) - 1) == 147


def test_items_gives_every_batch_once_while_batches_are_created() -> None:
    simulator, handler, created = busy_listing()
    reader = Client(PLAN, TOKEN, transport=MemoryTransport(handler))
    before = {b["id"] for b in simulator.batches()}

    ids = [batch.batch_id for batch in reader.fetch_batches(page_size=PAGE_SIZE).items()]

    assert len(ids) == len(set(ids))
    assert len(before) == EXISTING
    assert before <= set(ids)  # nothing that existed when the walk began is missed
    assert set(ids) - before <= set(created)


async def test_async_items_gives_every_batch_once_while_batches_are_created() -> None:
    simulator, handler, _ = busy_listing(existing=500)
    before = {b["id"] for b in simulator.batches()}

    async with AsyncClient(PLAN, TOKEN, transport=MemoryTransport(handler)) as reader:
        ids = [b.batch_id async for b in reader.fetch_batches(page_size=PAGE_SIZE).items()]

    assert len(ids) == len(set(ids))
    assert before <= set(ids)


@pytest.mark.parametrize("kind", ["groups", "inbounds"])
def test_items_of_other_listings_are_given_once(kind: str) -> None:
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN, clock=ManualClock())
    writer = Client(PLAN, TOKEN, transport=MemoryTransport(simulator.handle))

    def add(n: int) -> None:
        if kind == "groups":
            writer.create_group(GroupCreate(name=f"g{n}"))
        else:
            simulator.inject_inbound(sender="+46701234567", recipient="12345", body=f"m{n}")

    for n in range(25):
        add(n)
    added = iter(range(100, 200))

    def handler(request: HttpRequest) -> HttpResponse:
        response = simulator.handle(request)
        if request.method == "GET":
            add(next(added))
            add(next(added))
        return response

    reader = Client(PLAN, TOKEN, transport=MemoryTransport(handler))
    if kind == "groups":
        ids = [g.group_id for g in reader.fetch_groups(page_size=5).items()]
    else:
        ids = [m.message_id for m in reader.fetch_inbounds(page_size=5).items()]

    assert len(ids) == len(set(ids)) >= 25
