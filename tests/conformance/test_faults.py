"""A hostile server, faced by every network transport.

Each fault gives one clear `ApiException` subclass, the same for every
transport; nothing hangs beyond the client's timeout; the client stays usable;
and the simulator's batch count proves no create was ever sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from tests.adapters import Subject
from transports.simulator import Fault, FaultPlan, Simulator
from xms_core import RetryPolicy
from xms_core.api import MtBatchTextSmsCreate
from xms_core.exceptions import (
    ApiException,
    ConnectionLostException,
    TimeoutException,
    TooManyRequestsException,
    UnexpectedResponseException,
)

SubjectFactory = Callable[..., AbstractAsyncContextManager[Subject]]
BATCH = MtBatchTextSmsCreate(recipients=["+46701234567"], body="exactly once", sender="123")
TIMEOUT = 0.5
# A late answer comes this much later (the server's stop wakes it at once), so the generous
# bounds on elapsed time, far under it, still prove that the client's timeout cut the wait.
STALL = 60.0
BOUND = TIMEOUT + 15.0

# What a create (POST) meets when the server acted on it and then misbehaved.
AFTER_CREATE: dict[Fault, type[ApiException] | None] = {
    Fault.CLOSE_BEFORE_ANSWER: ConnectionLostException,
    Fault.CLOSE_MID_HEADERS: ConnectionLostException,
    Fault.CLOSE_MID_BODY: ConnectionLostException,
    Fault.DELAY: TimeoutException,
    Fault.INVALID_JSON: UnexpectedResponseException,
    Fault.NON_JSON_CONTENT_TYPE: UnexpectedResponseException,
    Fault.TRUNCATED_CHUNKED: ConnectionLostException,
    Fault.HUGE_BODY: UnexpectedResponseException,
    Fault.OVERSIZED_HEADER: ConnectionLostException,
    Fault.SERVICE_UNAVAILABLE: UnexpectedResponseException,
}


@pytest.mark.parametrize("fault", list(AFTER_CREATE), ids=lambda f: f.value)
async def test_a_create_that_reached_the_server_is_never_resent(
    make_subject: SubjectFactory, simulator: Simulator, fault: Fault
) -> None:
    expected = AFTER_CREATE[fault]
    async with make_subject(timeout=TIMEOUT) as subject:
        subject.server.inject(FaultPlan(fault=fault, when="after", delay=STALL))
        started = time.monotonic()
        with pytest.raises(ApiException) as info:
            await subject.create_batch(BATCH)
        elapsed = time.monotonic() - started
        assert type(info.value) is expected
        assert info.value.attempts == 1
        assert simulator.batch_count == 1
        # Still usable: the batch that was created can be read back.
        (stored,) = simulator.batches()
        fetched = await subject.fetch_batch(str(stored["id"]))
    assert fetched.body == "exactly once"
    assert elapsed < BOUND
    assert simulator.batch_count == 1


# What a read (GET) meets when every attempt fails the same way.
EVERY_READ: dict[Fault, type[ApiException]] = {
    Fault.CLOSE_BEFORE_ANSWER: ConnectionLostException,
    Fault.CLOSE_MID_HEADERS: ConnectionLostException,
    Fault.CLOSE_MID_BODY: ConnectionLostException,
    Fault.INVALID_JSON: UnexpectedResponseException,
    Fault.NON_JSON_CONTENT_TYPE: UnexpectedResponseException,
    Fault.TRUNCATED_CHUNKED: ConnectionLostException,
    Fault.OVERSIZED_HEADER: ConnectionLostException,
    Fault.TOO_MANY_REQUESTS: TooManyRequestsException,
    Fault.SERVICE_UNAVAILABLE: UnexpectedResponseException,
}
RETRIED = {
    Fault.CLOSE_BEFORE_ANSWER,
    Fault.CLOSE_MID_HEADERS,
    Fault.CLOSE_MID_BODY,
    Fault.TRUNCATED_CHUNKED,
    Fault.OVERSIZED_HEADER,
    Fault.TOO_MANY_REQUESTS,
    Fault.SERVICE_UNAVAILABLE,
}


@pytest.mark.parametrize("fault", list(EVERY_READ), ids=lambda f: f.value)
async def test_a_read_fails_clearly_when_every_attempt_fails(
    make_subject: SubjectFactory, simulator: Simulator, fault: Fault
) -> None:
    retry = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
    async with make_subject(timeout=TIMEOUT, retry=retry) as subject:
        created = await subject.create_batch(BATCH)
        subject.server.inject(
            FaultPlan(fault=fault, count=3, retry_after="0", path_contains="/batches/")
        )
        with pytest.raises(ApiException) as info:
            await subject.fetch_batch(created.batch_id)
        assert type(info.value) is EVERY_READ[fault]
        assert info.value.attempts == (3 if fault in RETRIED else 1)
        subject.server.clear_faults()
        assert (await subject.fetch_batch(created.batch_id)).body == "exactly once"
    assert simulator.batch_count == 1


@pytest.mark.parametrize("fault", sorted(RETRIED, key=lambda f: f.value), ids=lambda f: f.value)
async def test_a_read_recovers_when_a_retry_succeeds(
    make_subject: SubjectFactory, fault: Fault
) -> None:
    retry = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
    async with make_subject(timeout=TIMEOUT, retry=retry) as subject:
        created = await subject.create_batch(BATCH)
        subject.server.inject(
            FaultPlan(fault=fault, count=2, retry_after="0", path_contains="/batches/")
        )
        fetched = await subject.fetch_batch(created.batch_id)
    assert fetched.batch_id == created.batch_id


async def test_an_http10_answer_without_length_is_read_to_its_end(
    make_subject: SubjectFactory,
) -> None:
    async with make_subject(timeout=TIMEOUT) as subject:
        created = await subject.create_batch(BATCH)
        subject.server.inject(FaultPlan(fault=Fault.HTTP10_NO_LENGTH, path_contains="/batches/"))
        fetched = await subject.fetch_batch(created.batch_id)
        again = await subject.fetch_batch(created.batch_id)
    assert fetched == again == created


async def test_a_huge_answer_to_a_read_is_unexpected_not_fatal(
    make_subject: SubjectFactory,
) -> None:
    async with make_subject(timeout=5.0, retry=RetryPolicy.off()) as subject:
        created = await subject.create_batch(BATCH)
        subject.server.inject(FaultPlan(fault=Fault.HUGE_BODY, path_contains="/batches/"))
        with pytest.raises(UnexpectedResponseException):
            await subject.fetch_batch(created.batch_id)
        assert (await subject.fetch_batch(created.batch_id)).batch_id == created.batch_id


async def test_a_slow_read_is_retried_then_times_out(
    make_subject: SubjectFactory,
) -> None:
    retry = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)
    async with make_subject(timeout=0.3, retry=retry) as subject:
        subject.server.inject(FaultPlan(fault=Fault.DELAY, count=2, delay=STALL))
        started = time.monotonic()
        with pytest.raises(TimeoutException) as info:
            await subject.fetch_batch("slow")
        elapsed = time.monotonic() - started
    assert info.value.attempts == 2
    assert elapsed < 2 * BOUND
