"""Hostile servers, faced by every network transport with one classification.

Interim answers (one, several, endless), drips of head and body, heads cut
mid-line, conflicting framing, invalid status lines, answers nobody asked for
and 429 refusals. Each gives the same outcome on every transport; a create is
never sent twice; a call ends within its documented bound; and an answer is
only ever given to the request it answers, even on one pooled connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
import trio

from tests.adapters import Subject
from transports.simulator import Fault, FaultPlan, Simulator
from xms_core import RetryPolicy
from xms_core.api import MtBatchTextSmsCreate
from xms_core.exceptions import (
    ApiException,
    ConnectionLostException,
    TimeoutException,
    TooManyRequestsException,
)

SubjectFactory = Callable[..., AbstractAsyncContextManager[Subject]]
BATCH = MtBatchTextSmsCreate(recipients=["+46701234567"], body="exactly once", sender="123")
TIMEOUT = 0.3
# Generous: the attempt's deadline is 2 x TIMEOUT; the margin absorbs a slow machine.
BOUND = 2 * TIMEOUT + 5.0

# None: the call succeeds with the honest answer.
OUTCOME: dict[Fault, type[ApiException] | None] = {
    Fault.INTERIM_ONE: None,
    Fault.INTERIM_SEVERAL: None,
    Fault.EXTRA_ANSWER: None,
    Fault.INTERIM_ENDLESS: ConnectionLostException,
    Fault.DRIP_HEAD: TimeoutException,
    Fault.DRIP_BODY: TimeoutException,
    Fault.CUT_MID_HEADER_LINE: ConnectionLostException,
    Fault.CONFLICTING_LENGTH: ConnectionLostException,
    Fault.INVALID_STATUS_LINE: ConnectionLostException,
    Fault.CLOSE_MID_BODY: ConnectionLostException,
}


@pytest.mark.parametrize("fault", list(OUTCOME), ids=lambda f: f.value)
async def test_a_create_meets_a_hostile_server(
    make_subject: SubjectFactory, simulator: Simulator, fault: Fault
) -> None:
    expected = OUTCOME[fault]
    async with make_subject(timeout=TIMEOUT) as subject:
        subject.server.inject(FaultPlan(fault=fault, when="after"))
        started = time.monotonic()
        if expected is None:
            created = await subject.create_batch(BATCH)
            assert created.body == "exactly once"
        else:
            with pytest.raises(ApiException) as info:
                await subject.create_batch(BATCH)
            assert type(info.value) is expected, info.value
            assert info.value.attempts == 1
        elapsed = time.monotonic() - started
        assert simulator.batch_count == 1  # never sent twice
        (stored,) = simulator.batches()
        assert (await subject.fetch_batch(str(stored["id"]))).body == "exactly once"
    assert elapsed < BOUND


@pytest.mark.parametrize(
    "fault", [f for f, outcome in OUTCOME.items() if outcome is not None], ids=lambda f: f.value
)
async def test_a_read_is_retried_then_fails_the_same_way(
    make_subject: SubjectFactory, simulator: Simulator, fault: Fault
) -> None:
    retry = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)
    async with make_subject(timeout=TIMEOUT, retry=retry) as subject:
        created = await subject.create_batch(BATCH)
        subject.server.inject(FaultPlan(fault=fault, count=2, path_contains="/batches/"))
        started = time.monotonic()
        with pytest.raises(ApiException) as info:
            await subject.fetch_batch(created.batch_id)
        elapsed = time.monotonic() - started
        assert type(info.value) is OUTCOME[fault]
        assert info.value.attempts == 2
        assert (await subject.fetch_batch(created.batch_id)).batch_id == created.batch_id
    assert elapsed < 2 * BOUND
    assert simulator.batch_count == 1


@pytest.mark.parametrize(
    "fault", [Fault.INTERIM_ONE, Fault.INTERIM_SEVERAL, Fault.EXTRA_ANSWER], ids=lambda f: f.value
)
async def test_calls_on_one_pooled_connection_never_swap_answers(
    make_subject: SubjectFactory, simulator: Simulator, fault: Fault
) -> None:
    async with make_subject(timeout=5.0, max_connections=1) as subject:
        first = await subject.create_batch(BATCH)
        second = await subject.create_batch(BATCH)
        for _ in range(3):
            subject.server.inject(FaultPlan(fault=fault, path_contains=first.batch_id))
            assert (await subject.fetch_batch(first.batch_id)).batch_id == first.batch_id
            assert (await subject.fetch_batch(second.batch_id)).batch_id == second.batch_id
            assert (await subject.fetch_batch_tags(second.batch_id)) is not None
    assert simulator.batch_count == 2


async def test_an_answer_arriving_on_an_idle_connection_is_never_taken_for_the_next(
    make_subject: SubjectFactory, simulator: Simulator
) -> None:
    async with make_subject(timeout=5.0, max_connections=1) as subject:
        first = await subject.create_batch(BATCH)
        second = await subject.create_batch(BATCH)
        for _ in range(2):
            subject.server.inject(
                FaultPlan(fault=Fault.EXTRA_ANSWER_LATE, delay=0.02, path_contains=first.batch_id)
            )
            assert (await subject.fetch_batch(first.batch_id)).batch_id == first.batch_id
            await trio.sleep(0.3)  # the unasked-for answer arrives while the connection idles
            assert (await subject.fetch_batch(second.batch_id)).batch_id == second.batch_id
    assert simulator.batch_count == 2


async def test_a_429_create_is_retried_and_sent_once(
    make_subject: SubjectFactory, simulator: Simulator
) -> None:
    retry = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
    async with make_subject(timeout=TIMEOUT, retry=retry) as subject:
        subject.server.inject(FaultPlan(fault=Fault.TOO_MANY_REQUESTS, count=2, retry_after="0"))
        created = await subject.create_batch(BATCH)
    assert created.body == "exactly once"
    assert simulator.batch_count == 1


async def test_a_lasting_429_is_too_many_requests_with_retry_after(
    make_subject: SubjectFactory, simulator: Simulator
) -> None:
    retry = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
    async with make_subject(timeout=TIMEOUT, retry=retry) as subject:
        subject.server.inject(FaultPlan(fault=Fault.TOO_MANY_REQUESTS, count=3, retry_after="0"))
        with pytest.raises(TooManyRequestsException) as info:
            await subject.create_batch(BATCH)
    assert info.value.attempts == 3
    assert info.value.retry_after == 0.0
    assert info.value.status == 429
    assert simulator.batch_count == 0
