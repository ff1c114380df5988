"""`Client.create_batch_once` (the generated sync twin), against the in-memory simulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from transports import Client, MemoryTransport
from transports.simulator import ManualClock, Simulator
from xms_core import (
    ConnectionLostException,
    DuplicateBatchesException,
    ErrorResponseException,
    HttpRequest,
    HttpResponse,
    NotCreatedException,
    RetryPolicy,
    TimeoutException,
)
from xms_core.api import MtBatchTextSmsCreate

CLOCK = ManualClock()
BATCH = MtBatchTextSmsCreate(recipients=["+46701234567"], body="hi", client_reference="ref-1")


def client(sim: Simulator, *, drop: int = 0, lose: bool = False) -> Client:
    """Creates are handled, then `drop` of them lose their answer (`lose`: before handling)."""
    left = drop

    def handler(request: HttpRequest) -> HttpResponse:
        nonlocal left
        if request.method == "POST" and left:
            left -= 1
            if lose:
                raise TimeoutException("no answer")
            sim.handle(request)
            raise ConnectionLostException("answer lost")
        return sim.handle(request)

    return Client(
        "plan", "token", transport=MemoryTransport(handler), clock=CLOCK, retry=RetryPolicy.off()
    )


@pytest.fixture
def sim() -> Simulator:
    return Simulator(service_plan_id="plan", token="token", clock=CLOCK)


def test_a_lost_answer_finds_the_created_batch(sim: Simulator) -> None:
    batch = client(sim, drop=1).create_batch_once(BATCH)
    assert sim.batch_count == 1
    assert batch.batch_id == sim.batches()[0]["id"]
    [listing] = [r for r in sim.requests() if r.method == "GET"]
    assert "client_reference=ref-1" in listing.url
    assert "start_date=" in listing.url


def test_a_request_that_never_arrived_is_sent_again(sim: Simulator) -> None:
    client(sim, drop=2, lose=True).create_batch_once(BATCH)
    assert sim.batch_count == 1


def test_every_create_lost_before_arriving_is_not_created(sim: Simulator) -> None:
    with pytest.raises(NotCreatedException):
        client(sim, drop=3, lose=True).create_batch_once(BATCH, attempts=3)
    assert sim.batch_count == 0


def test_two_batches_with_the_reference_are_a_clear_error(sim: Simulator) -> None:
    plain = client(sim)
    plain.create_batch(BATCH)
    plain.create_batch(BATCH)
    with pytest.raises(DuplicateBatchesException) as info:
        plain.create_batch_once(BATCH, since=CLOCK() - timedelta(minutes=1))
    assert len(info.value.batch_ids) == 2


def test_since_looks_up_first_and_never_resends(sim: Simulator) -> None:
    first = client(sim).create_batch_once(BATCH)
    again = client(sim).create_batch_once(BATCH, since=CLOCK())
    assert again.batch_id == first.batch_id
    assert sim.batch_count == 1


def test_a_refused_batch_raises_at_once(sim: Simulator) -> None:
    bad = MtBatchTextSmsCreate(
        recipients=["+46701234567"],
        body="hi",
        client_reference="r",
        expire_at=CLOCK() - timedelta(days=1),
    )
    with pytest.raises(ErrorResponseException):
        client(sim).create_batch_once(bad)
    assert [r.method for r in sim.requests()] == ["POST"]


def test_a_batch_without_a_reference_is_refused_before_sending(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="client_reference"):
        client(sim).create_batch_once(MtBatchTextSmsCreate(recipients=["+46701234567"], body="x"))
    assert sim.requests() == []
