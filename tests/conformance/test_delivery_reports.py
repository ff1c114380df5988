"""Delivery reports and feedback end to end, for every client and transport kind."""

from __future__ import annotations

import pytest

from tests.adapters import Subject
from transports.simulator import ManualClock, Simulator
from xms_core.api import BatchRecipientDeliveryReport, MtBatchTextSmsCreate
from xms_core.exceptions import ErrorResponseException, NotFoundException

RECIPIENTS = ("+46701234567", "+46709876543", "+46705550000")


def batch(**changes: object) -> MtBatchTextSmsCreate:
    fields: dict[str, object] = {"sender": "12345", "recipients": RECIPIENTS, "body": "hi"}
    fields.update(changes)
    return MtBatchTextSmsCreate(**fields)  # type: ignore[arg-type]


async def test_messages_advance_from_queued_to_delivered(xms: Subject, clock: ManualClock) -> None:
    created = await xms.create_batch(batch())

    queued = await xms.fetch_delivery_report(created.batch_id)
    clock.advance(1.5)
    dispatched = await xms.fetch_delivery_report(created.batch_id)
    clock.advance(5)
    delivered = await xms.fetch_delivery_report(created.batch_id, "summary")

    assert [(s.status, s.code, s.count) for s in queued.statuses] == [("Queued", 400, 3)]
    assert [(s.status, s.code, s.count) for s in dispatched.statuses] == [("Dispatched", 401, 3)]
    assert [(s.status, s.code, s.count) for s in delivered.statuses] == [("Delivered", 0, 3)]
    assert delivered.batch_id == created.batch_id
    assert delivered.total_message_count == 3
    assert all(s.recipients == () for s in delivered.statuses)


async def test_full_report_lists_recipients_per_status(
    xms: Subject, simulator: Simulator, clock: ManualClock
) -> None:
    created = await xms.create_batch(batch(client_reference="ref-7"))
    simulator.fail_recipient(created.batch_id, "+46709876543", code=11)
    simulator.expire_recipient(created.batch_id, "+46705550000")
    clock.advance(10)

    report = await xms.fetch_delivery_report(created.batch_id, "full")

    by_status = {bucket.status: bucket for bucket in report.statuses}
    assert set(by_status) == {"Delivered", "Failed", "Expired"}
    assert by_status["Delivered"].recipients == ("+46701234567",)
    assert by_status["Failed"].recipients == ("+46709876543",)
    assert by_status["Failed"].code == 11
    assert by_status["Expired"].recipients == ("+46705550000",)
    assert report.client_reference == "ref-7"

    only_failed = await xms.fetch_delivery_report(created.batch_id, "full", status=["Failed"])
    assert [bucket.status for bucket in only_failed.statuses] == ["Failed"]
    by_code = await xms.fetch_delivery_report(created.batch_id, "summary", code=[0])
    assert [(bucket.status, bucket.count) for bucket in by_code.statuses] == [("Delivered", 1)]


async def test_recipient_report_tells_one_recipients_state(
    xms: Subject, simulator: Simulator, clock: ManualClock
) -> None:
    created = await xms.create_batch(batch())
    simulator.fail_recipient(created.batch_id, "+46709876543", code=11)
    clock.advance(10)

    delivered = await xms.fetch_recipient_delivery_report(created.batch_id, "+46701234567")
    failed = await xms.fetch_recipient_delivery_report(created.batch_id, "+46709876543")

    assert isinstance(delivered, BatchRecipientDeliveryReport)
    assert (delivered.recipient, delivered.status, delivered.code) == (
        "+46701234567",
        "Delivered",
        0,
    )
    assert delivered.batch_id == created.batch_id
    assert delivered.status_at <= clock()
    assert (failed.status, failed.code) == ("Failed", 11)


async def test_report_for_a_stranger_is_not_found(xms: Subject) -> None:
    created = await xms.create_batch(batch())
    with pytest.raises(NotFoundException):
        await xms.fetch_recipient_delivery_report(created.batch_id, "+46700000099")


async def test_listing_delivery_reports_pages_through_final_states(
    xms: Subject, clock: ManualClock
) -> None:
    first = await xms.create_batch(batch(client_reference="a"))
    await xms.create_batch(batch(client_reference="b"))
    clock.advance(10)

    reports = [r async for r in xms.fetch_delivery_reports(page_size=2).items()]
    only_a = [r async for r in xms.fetch_delivery_reports(client_reference="a").items()]

    assert len(reports) == 6
    assert {r.status for r in reports} == {"Delivered"}
    assert {r.batch_id for r in only_a} == {first.batch_id}
    assert len(only_a) == 3


async def test_delivery_feedback_needs_feedback_enabled(xms: Subject) -> None:
    enabled = await xms.create_batch(batch(feedback_enabled=True))
    disabled = await xms.create_batch(batch())

    assert await xms.send_delivery_feedback(enabled.batch_id, ["+46701234567"]) is None
    assert await xms.send_delivery_feedback(enabled.batch_id) is None
    with pytest.raises(ErrorResponseException) as info:
        await xms.send_delivery_feedback(disabled.batch_id, ["+46701234567"])
    assert info.value.status == 403
