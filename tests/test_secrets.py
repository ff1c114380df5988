"""The token appears in no log record, exception or repr, over every transport."""

from __future__ import annotations

import logging
import traceback

import pytest

from tests.adapters import TOKEN, open_subject
from transports import MemoryTransport
from transports.simulator import Fault, FaultPlan, Simulator
from xms_core import HttpRequest, RetryPolicy, Settings
from xms_core.api import GroupCreate, GroupUpdate, MtBatchTextSmsCreate, MtBatchTextSmsUpdate
from xms_core.exceptions import ApiException

BATCH = MtBatchTextSmsCreate(recipients=["+46701234567"], body="secret-free", sender="1")


def leaks(text: str) -> bool:
    return TOKEN in text


async def test_no_token_in_logs_or_errors_across_every_operation(
    kind: str, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caught: list[BaseException] = []
    retry = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)
    with caplog.at_level(logging.DEBUG):
        async with open_subject(kind, simulator, timeout=0.5, retry=retry) as xms:
            batch = await xms.create_batch(BATCH)
            await xms.create_batch_dry_run(BATCH, 5)
            await xms.fetch_batch(batch.batch_id)
            await xms.update_batch(batch.batch_id, MtBatchTextSmsUpdate(body="x"))
            await xms.replace_batch_tags(batch.batch_id, ["t"])
            await xms.update_batch_tags(batch.batch_id, ["u"], ["t"])
            await xms.fetch_batch_tags(batch.batch_id)
            await xms.fetch_delivery_report(batch.batch_id, "full")
            await xms.fetch_recipient_delivery_report(batch.batch_id, "+46701234567")
            _ = [page async for page in xms.fetch_batches()]
            _ = [page async for page in xms.fetch_delivery_reports()]
            group = await xms.create_group(GroupCreate(name="g", members=["+46701234567"]))
            await xms.update_group(group.group_id, GroupUpdate(name="h"))
            await xms.fetch_group_members(group.group_id)
            _ = [page async for page in xms.fetch_groups()]
            inbound = simulator.inject_inbound(sender="+46701234567", recipient="1", body="x")
            await xms.fetch_inbound(inbound)
            _ = [page async for page in xms.fetch_inbounds()]
            await xms.cancel_batch(batch.batch_id)
            await xms.delete_group(group.group_id)
            for failing in (
                xms.fetch_batch("missing"),
                xms.create_group(GroupCreate(name="h")),
                xms.create_group(GroupCreate(name="h")),
            ):
                try:
                    await failing
                except ApiException as exc:
                    caught.append(exc)
            if xms.server is not None:
                for fault in (
                    Fault.CLOSE_MID_BODY,
                    Fault.SERVICE_UNAVAILABLE,
                    Fault.DELAY,
                    Fault.ECHO_AUTHORIZATION,
                    Fault.ECHO_AUTHORIZATION_500,
                ):
                    xms.server.inject(FaultPlan(fault=fault, count=2, delay=1.0))
                    try:
                        await xms.fetch_batch(batch.batch_id)
                    except ApiException as exc:
                        caught.append(exc)
                    xms.server.clear_faults()
            assert not leaks(repr(xms))
        wrong = Simulator(service_plan_id="plan-1", token="other")
        async with open_subject(kind, wrong) as xms:
            try:
                await xms.fetch_batch("x")
            except ApiException as exc:
                caught.append(exc)

    assert caplog.records
    for record in caplog.records:
        assert not leaks(record.getMessage()), record.getMessage()
        assert not leaks(repr(record.args))
        assert not leaks(str(record.exc_info))
    assert len(caught) >= 3
    if kind != "memory":  # the echoing server answered, and what it said was scrubbed
        echoed = [e for e in caught if "Bearer <redacted>" in str(e)]
        assert len(echoed) == 2, [str(e) for e in caught]
    for error in caught:
        chain: BaseException | None = error
        while chain is not None:
            for text in (str(chain), repr(chain), repr(chain.args), repr(vars(chain))):
                assert not leaks(text), (type(chain), text)
            chain = chain.__cause__ or chain.__context__
        formatted = "".join(traceback.format_exception(error))
        assert not leaks(formatted)


def test_the_token_sits_in_a_value_whose_repr_is_masked() -> None:
    settings = Settings(service_plan_id="p", token=TOKEN)
    request = settings.request("GET", "batches")
    frame_locals = {"token": settings.token, "headers": request.headers}
    assert not leaks(repr(frame_locals))
    assert not leaks(repr(request.headers))
    assert settings.token == TOKEN
    assert request.header("authorization") == f"Bearer {TOKEN}"


def test_reprs_of_settings_requests_and_transports_hide_the_token() -> None:
    settings = Settings(service_plan_id="p", token=TOKEN)
    request = settings.request("GET", "batches")
    assert request.header("authorization") == f"Bearer {TOKEN}"
    assert not leaks(repr(settings))
    assert not leaks(repr(request))
    assert not leaks(repr(HttpRequest(method="GET", url="u", headers=request.headers)))
    assert not leaks(repr(MemoryTransport(Simulator().handle)))


def test_bad_token_errors_do_not_echo_it() -> None:
    for bad in (TOKEN + " tail", TOKEN + "\n", ""):
        with pytest.raises(ValueError, match="token") as info:
            Settings(service_plan_id="p", token=bad)
        if bad:
            assert TOKEN not in str(info.value)
