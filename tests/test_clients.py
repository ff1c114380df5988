"""The clients themselves: parity of the twins, retries, secrets, context managers."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable

import pytest

from tests.adapters import PLAN, TOKEN
from transports import AsyncClient, Client, MemoryTransport
from transports.simulator import Simulator
from xms_core import HttpRequest, HttpResponse, RetryPolicy
from xms_core.api import MtBatchTextSmsCreate
from xms_core.exceptions import (
    ConnectException,
    NotFoundException,
    TimeoutException,
    UnexpectedResponseException,
)

ENDPOINT = "https://xms.simulator.test/xms"
SYNC_ONLY = {"close", "sleep"}
ASYNC_ONLY = {"aclose"}


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


def test_sync_and_async_clients_offer_the_same_operations() -> None:
    sync = public_methods(Client)
    asynchronous = public_methods(AsyncClient)
    assert set(sync) - SYNC_ONLY == set(asynchronous) - ASYNC_ONLY
    for name in set(sync) & set(asynchronous):
        if name == "__init__":
            continue
        assert list(sync[name].parameters) == list(asynchronous[name].parameters), name
        for param in sync[name].parameters.values():
            other = asynchronous[name].parameters[param.name]
            assert (param.kind, param.default) == (other.kind, other.default), (name, param.name)


def test_listing_methods_are_lazy_and_everything_else_is_a_coroutine() -> None:
    listings = {"fetch_batches", "fetch_groups", "fetch_inbounds", "fetch_delivery_reports"}
    for name, member in vars(AsyncClient).items():
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        assert inspect.iscoroutinefunction(member) == (name not in listings), name


def test_client_keeps_the_reference_properties() -> None:
    client = Client(PLAN, TOKEN, transport=MemoryTransport(Simulator().handle))
    assert client.service_plan_id == PLAN
    assert client.endpoint == Client.DEFAULT_ENDPOINT == "https://api.clxcommunications.com/xms"
    assert client.timeout == Client.DEFAULT_TIMEOUT == 30.0
    assert client.token == TOKEN
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client.settings)


def test_default_sync_transport_is_requests() -> None:
    from transports.requests import RequestsTransport

    with Client(PLAN, TOKEN) as client:
        assert "RequestsTransport" in repr(client)
        assert isinstance(client._transport, RequestsTransport)


@pytest.mark.parametrize("timeout", [0, -1, "5", True, float("nan")])
def test_bad_timeout_is_refused(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        Client(PLAN, TOKEN, timeout=timeout, transport=MemoryTransport(Simulator().handle))  # type: ignore[arg-type]


def test_context_manager_closes_the_transport() -> None:
    transport = MemoryTransport(Simulator().handle)
    with Client(PLAN, TOKEN, transport=transport):
        pass
    assert transport.closed


async def test_async_context_manager_closes_the_transport() -> None:
    transport = MemoryTransport(Simulator().handle)
    async with AsyncClient(PLAN, TOKEN, transport=transport):
        pass
    assert transport.closed


def scripted(*answers: HttpResponse | Exception) -> Callable[[HttpRequest], HttpResponse]:
    queue = list(answers)

    def handler(request: HttpRequest) -> HttpResponse:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


NOT_FOUND = HttpResponse(status=404)
UNAVAILABLE = HttpResponse(status=503, headers=[("retry-after", "2")])


def make_client(handler: Callable[[HttpRequest], HttpResponse], sleeps: list[float]) -> Client:
    return Client(
        PLAN,
        TOKEN,
        ENDPOINT,
        transport=MemoryTransport(handler),
        retry=RetryPolicy(attempts=4, base_delay=1.0, max_delay=10.0),
        sleep=sleeps.append,
        jitter=lambda: 1.0,
    )


def test_reads_are_retried_after_503_honouring_retry_after() -> None:
    sleeps: list[float] = []
    client = make_client(scripted(UNAVAILABLE, UNAVAILABLE, NOT_FOUND), sleeps)
    with pytest.raises(NotFoundException) as info:
        client.fetch_batch("b1")
    assert sleeps == [2.0, 2.0]
    assert info.value.attempts == 3


def test_creates_are_never_retried_after_an_answer_or_a_timeout() -> None:
    batch = MtBatchTextSmsCreate(recipients=["+46701234567"], body="once")
    for failure in (UNAVAILABLE, TimeoutException("slow")):
        sleeps: list[float] = []
        transport = MemoryTransport(scripted(failure, NOT_FOUND))
        client = Client(PLAN, TOKEN, ENDPOINT, transport=transport, sleep=sleeps.append)
        with pytest.raises((UnexpectedResponseException, TimeoutException)):
            client.create_batch(batch)
        assert len(transport.requests) == 1
        assert sleeps == []


def test_creates_are_retried_when_the_connection_was_refused() -> None:
    sleeps: list[float] = []
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN)
    refusals = [ConnectException("refused"), ConnectException("refused")]

    def handler(request: HttpRequest) -> HttpResponse:
        if refusals:
            raise refusals.pop()
        return simulator.handle(request)

    client = make_client(handler, sleeps)
    created = client.create_batch(MtBatchTextSmsCreate(recipients=["+46701234567"], body="x"))
    assert created.body == "x"
    assert sleeps == [1.0, 2.0]
    assert simulator.batch_count == 1


def test_retries_give_up_after_the_configured_attempts() -> None:
    sleeps: list[float] = []
    client = make_client(scripted(*[ConnectException("refused")] * 4), sleeps)
    with pytest.raises(ConnectException) as info:
        client.fetch_batch("b1")
    assert info.value.attempts == 4
    assert "after 4 attempts" in str(info.value)
    assert len(sleeps) == 3


async def test_async_client_sleeps_through_its_transport() -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    transport = MemoryTransport(scripted(UNAVAILABLE, NOT_FOUND), sleep=fake_sleep)
    client = AsyncClient(PLAN, TOKEN, ENDPOINT, transport=transport)
    with pytest.raises(NotFoundException):
        await client.fetch_batch("b1")
    assert slept == [2.0]


def test_debug_logs_never_show_the_token(caplog: pytest.LogCaptureFixture) -> None:
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN)
    client = Client(PLAN, TOKEN, ENDPOINT, transport=MemoryTransport(simulator.handle))
    with caplog.at_level(logging.DEBUG):
        created = client.create_batch(MtBatchTextSmsCreate(recipients=["+46701234567"], body="x"))
        client.fetch_batch(created.batch_id)
        with pytest.raises(NotFoundException):
            client.fetch_batch("missing")
        list(client.fetch_batches().items())
    assert caplog.records
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert all(TOKEN not in repr(record.args) for record in caplog.records)


@pytest.mark.parametrize(
    ("name", "host"),
    [
        ("US_ENDPOINT", "us.sms.api.sinch.com"),
        ("EU_ENDPOINT", "eu.sms.api.sinch.com"),
        ("AU_ENDPOINT", "au.sms.api.sinch.com"),
        ("BR_ENDPOINT", "br.sms.api.sinch.com"),
        ("CA_ENDPOINT", "ca.sms.api.sinch.com"),
    ],
)
def test_regional_endpoints_are_named_constants(name: str, host: str) -> None:
    import xms_core

    endpoint = getattr(xms_core, name)
    transport = MemoryTransport(lambda _request: HttpResponse(status=404))
    client = Client(PLAN, TOKEN, endpoint, transport=transport)
    with pytest.raises(NotFoundException):
        client.fetch_batch("b1")
    # Recorded by the in-memory transport; nothing is sent anywhere.
    assert transport.requests[0].url == f"https://{host}/xms/v1/{PLAN}/batches/b1"
