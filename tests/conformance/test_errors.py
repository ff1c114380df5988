"""Errors reach the user as the same exceptions over every client and transport."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
import trio

from tests.adapters import TOKEN, Subject, open_subject
from transports.simulator import Fault, FaultPlan, Simulator
from xms_core import RetryPolicy
from xms_core.api import GroupCreate, MtBatchBinarySmsUpdate, MtBatchTextSmsCreate
from xms_core.exceptions import (
    ConnectException,
    ErrorResponseException,
    TimeoutException,
    UnauthorizedException,
    UnexpectedResponseException,
)

SubjectFactory = Callable[..., AbstractAsyncContextManager[Subject]]


async def test_wrong_token_is_unauthorized_and_never_shown(kind: str, simulator: Simulator) -> None:
    simulator_with_other_token = Simulator(service_plan_id="plan-1", token="another-token")
    async with open_subject(kind, simulator_with_other_token) as subject:
        with pytest.raises(UnauthorizedException) as info:
            await subject.fetch_batch("any")
    error = info.value
    assert error.service_plan_id == "plan-1"
    for text in (str(error), repr(error), repr(error.args), error.token):
        assert TOKEN not in text


async def test_server_side_validation_error_carries_code_and_text(xms: Subject) -> None:
    await xms.create_group(GroupCreate(name="taken"))
    with pytest.raises(ErrorResponseException) as info:
        await xms.create_group(GroupCreate(name="taken"))
    assert info.value.status == 403
    assert info.value.error_code == "conflict_group_name"
    assert info.value.text


async def test_update_of_the_wrong_type_is_a_bad_request(xms: Subject) -> None:
    created = await xms.create_batch(
        MtBatchTextSmsCreate(recipients=["+46701234567"], body="x", sender="1")
    )
    with pytest.raises(ErrorResponseException) as info:
        await xms.update_batch(created.batch_id, MtBatchBinarySmsUpdate(body=b"x"))
    assert info.value.status == 400


async def test_server_errors_are_unexpected_responses_after_retries(
    make_subject: SubjectFactory, simulator: Simulator
) -> None:
    async with make_subject() as subject:
        subject.server.inject(FaultPlan(fault=Fault.SERVICE_UNAVAILABLE, count=3))
        with pytest.raises(UnexpectedResponseException) as info:
            await subject.fetch_batch("anything")
    assert info.value.status == 503
    assert info.value.attempts == 3
    assert "after 3 attempts" in str(info.value)


async def test_a_server_that_is_not_listening_refuses(
    make_subject: SubjectFactory,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with make_subject(endpoint=f"http://127.0.0.1:{port}/xms") as subject:
        with pytest.raises(ConnectException) as info:
            await subject.fetch_batch("anything")
    assert info.value.attempts == 3
    assert info.value.__cause__ is not None


async def test_a_server_that_never_answers_times_out(
    make_subject: SubjectFactory, simulator: Simulator
) -> None:
    async with make_subject(timeout=0.3, retry=RetryPolicy.off()) as subject:
        # The answer would come a minute late (the server's stop wakes it at once): the
        # generous bound below, far under that, still proves the timeout cut the wait.
        subject.server.inject(FaultPlan(fault=Fault.DELAY, delay=60.0))
        started = time.monotonic()
        with pytest.raises(TimeoutException):
            await subject.fetch_batch("anything")
        elapsed = time.monotonic() - started
        # The client is still usable afterwards.
        subject.server.clear_faults()
        created = await subject.create_batch(
            MtBatchTextSmsCreate(recipients=["+46701234567"], body="after", sender="1")
        )
    assert elapsed < 15.0
    assert simulator.batch(created.batch_id)["body"] == "after"
    await trio.lowlevel.checkpoint()
