"""Batches end to end, for every client and transport kind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.adapters import Subject
from transports.simulator import ManualClock, Simulator
from xms_core.api import (
    RESET,
    DryRunPerRecipient,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsResult,
    MtBatchBinarySmsUpdate,
    MtBatchTextSmsCreate,
    MtBatchTextSmsResult,
    MtBatchTextSmsUpdate,
    ReportType,
)
from xms_core.exceptions import ErrorResponseException, NotFoundException

RECIPIENTS = ("+46701234567", "+46709876543", "+46705550000")


def text_batch(**changes: object) -> MtBatchTextSmsCreate:
    fields: dict[str, object] = {
        "sender": "12345",
        "recipients": RECIPIENTS,
        "body": "Hello, ${name}!",
        "parameters": {"name": {"+46701234567": "Mary", "default": "friend"}},
    }
    fields.update(changes)
    return MtBatchTextSmsCreate(**fields)  # type: ignore[arg-type]


async def test_created_text_batch_comes_back_whole(xms: Subject, simulator: Simulator) -> None:
    batch = text_batch(
        delivery_report=ReportType.FULL,
        callback_url="http://127.0.0.1:9/callback",
        client_reference="order-42",
        tags=("alpha", "beta"),
    )
    created = await xms.create_batch(batch)

    assert isinstance(created, MtBatchTextSmsResult)
    assert created.recipients == RECIPIENTS
    assert created.sender == "12345"
    assert created.body == "Hello, ${name}!"
    assert created.parameters == {"name": {"+46701234567": "Mary", "default": "friend"}}
    assert created.delivery_report == "full"
    assert created.client_reference == "order-42"
    assert created.canceled is False
    assert created.created_at is not None
    assert simulator.batch_count == 1
    assert await xms.fetch_batch(created.batch_id) == created


async def test_binary_batch_keeps_its_bytes(xms: Subject, simulator: Simulator) -> None:
    batch = MtBatchBinarySmsCreate(
        sender="12345", recipients=RECIPIENTS[:1], body=b"\x00\x01\xfe\xff", udh=b"\x05\x00\x03"
    )
    created = await xms.create_batch(batch)

    assert isinstance(created, MtBatchBinarySmsResult)
    assert (created.body, created.udh) == (b"\x00\x01\xfe\xff", b"\x05\x00\x03")
    stored = simulator.batch(created.batch_id)
    assert stored["body"] == "AAH+/w=="
    assert stored["udh"] == "050003"


async def test_single_message_helpers_send_one_recipient(
    xms: Subject, simulator: Simulator
) -> None:
    text = await xms.create_text_message("12345", "+46701234567", "hi")
    binary = await xms.create_binary_message("12345", "+46701234567", b"\x01", b"\x02")

    assert text.recipients == ("+46701234567",)
    assert isinstance(binary, MtBatchBinarySmsResult)
    assert binary.udh == b"\x01"
    assert simulator.batch_count == 2


async def test_dry_run_expands_templates_and_counts_parts(
    xms: Subject, simulator: Simulator
) -> None:
    result = await xms.create_batch_dry_run(text_batch(), 10)

    assert result.number_of_recipients == 3
    assert result.number_of_messages == 3
    bodies = {row.recipient: row.body for row in result.per_recipient}
    assert bodies["+46701234567"] == "Hello, Mary!"
    assert bodies["+46709876543"] == "Hello, friend!"
    assert {row.encoding for row in result.per_recipient} == {DryRunPerRecipient.ENCODING_TEXT}
    assert simulator.batch_count == 0


async def test_dry_run_counts_unicode_and_long_messages(xms: Subject) -> None:
    long_text = text_batch(body="x" * 161, parameters={})
    unicode_text = text_batch(body="Привет", parameters={})

    long_result = await xms.create_batch_dry_run(long_text, per_recipient=True)
    unicode_result = await xms.create_batch_dry_run(unicode_text)

    assert long_result.number_of_messages == 6
    assert {row.number_of_parts for row in long_result.per_recipient} == {2}
    assert unicode_result.number_of_messages == 3
    assert unicode_result.per_recipient == ()


async def test_scheduled_batch_is_delivered_when_its_time_comes(
    xms: Subject, simulator: Simulator, clock: ManualClock
) -> None:
    send_at = clock() + timedelta(hours=1)
    created = await xms.create_batch(text_batch(send_at=send_at))
    assert created.send_at == send_at

    waiting = await xms.fetch_delivery_report(created.batch_id)
    assert {(s.status, s.count) for s in waiting.statuses} == {("Queued", 3)}

    clock.advance(3600 + 10)
    delivered = await xms.fetch_delivery_report(created.batch_id)
    assert {(s.status, s.code, s.count) for s in delivered.statuses} == {("Delivered", 0, 3)}


async def test_update_changes_only_what_it_names(xms: Subject, clock: ManualClock) -> None:
    created = await xms.create_batch(
        text_batch(send_at=clock() + timedelta(hours=1), callback_url="http://127.0.0.1:9/cb")
    )
    update = MtBatchTextSmsUpdate(
        recipient_insertions=("+46700000001",),
        recipient_removals=("+46705550000",),
        body="Changed ${name}",
        callback_url=RESET,
    )
    updated = await xms.update_batch(created.batch_id, update)

    assert updated.body == "Changed ${name}"
    assert updated.recipients == ("+46701234567", "+46709876543", "+46700000001")
    assert updated.callback_url is None
    assert updated.sender == "12345"
    assert updated.parameters == created.parameters
    assert updated.send_at == created.send_at


async def test_binary_update_replaces_payload(xms: Subject, clock: ManualClock) -> None:
    created = await xms.create_batch(
        MtBatchBinarySmsCreate(
            recipients=RECIPIENTS[:1], body=b"a", udh=b"b", send_at=clock() + timedelta(hours=1)
        )
    )
    updated = await xms.update_batch(
        created.batch_id, MtBatchBinarySmsUpdate(body=b"new", udh=b"\x00")
    )
    assert isinstance(updated, MtBatchBinarySmsResult)
    assert (updated.body, updated.udh) == (b"new", b"\x00")


async def test_update_of_a_dispatched_batch_is_refused(xms: Subject, clock: ManualClock) -> None:
    created = await xms.create_batch(text_batch())
    clock.advance(60)
    with pytest.raises(ErrorResponseException) as info:
        await xms.update_batch(created.batch_id, MtBatchTextSmsUpdate(body="late"))
    assert info.value.status == 403
    assert info.value.error_code == "batch_already_dispatched"


async def test_replace_keeps_the_id_and_takes_the_new_content(
    xms: Subject, simulator: Simulator, clock: ManualClock
) -> None:
    created = await xms.create_batch(text_batch(send_at=clock() + timedelta(hours=1)))
    replaced = await xms.replace_batch(
        created.batch_id, text_batch(body="Replaced", parameters={}, recipients=RECIPIENTS[:1])
    )
    assert replaced.batch_id == created.batch_id
    assert replaced.body == "Replaced"
    assert replaced.recipients == RECIPIENTS[:1]
    assert simulator.batch_count == 1


async def test_cancel_returns_the_cancelled_batch(
    xms: Subject, simulator: Simulator, clock: ManualClock
) -> None:
    created = await xms.create_batch(text_batch(send_at=clock() + timedelta(hours=1)))
    cancelled = await xms.cancel_batch(created.batch_id)

    assert cancelled.batch_id == created.batch_id
    assert cancelled.canceled is True
    assert (await xms.fetch_batch(created.batch_id)).canceled is True
    clock.advance(7200)
    report = await xms.fetch_delivery_report(created.batch_id)
    assert all(bucket.status == "Cancelled" for bucket in report.statuses)
    assert simulator.batch_count == 1


async def test_batch_tags_can_be_replaced_and_updated(xms: Subject) -> None:
    created = await xms.create_batch(text_batch(tags=("one",)))

    assert await xms.fetch_batch_tags(created.batch_id) == ("one",)
    assert set(await xms.replace_batch_tags(created.batch_id, ["x", "y"])) == {"x", "y"}
    assert set(await xms.update_batch_tags(created.batch_id, ["z"], ["x"])) == {"y", "z"}
    assert set(await xms.fetch_batch_tags(created.batch_id)) == {"y", "z"}


async def test_listing_walks_every_page_without_an_extra_request(
    xms: Subject, simulator: Simulator
) -> None:
    created = [await xms.create_batch(text_batch(body=f"n{i}")) for i in range(23)]
    before = len(simulator.requests())

    pages = [page async for page in xms.fetch_batches(page_size=5)]

    assert [page.page for page in pages] == [0, 1, 2, 3, 4]
    assert [page.size for page in pages] == [5, 5, 5, 5, 3]
    assert {page.total_size for page in pages} == {23}
    listed = [batch.batch_id for page in pages for batch in page.content]
    assert sorted(listed) == sorted(batch.batch_id for batch in created)
    assert len(simulator.requests()) - before == 5


async def test_listing_items_and_single_pages(xms: Subject) -> None:
    for i in range(7):
        await xms.create_batch(text_batch(body=f"n{i}", sender="777" if i % 2 else "888"))

    items = [batch async for batch in xms.fetch_batches(page_size=3, senders=["777"]).items()]
    third = await xms.fetch_batches(page_size=3).get(2)

    assert len(items) == 3
    assert {batch.sender for batch in items} == {"777"}
    assert third.page == 2
    assert len(third.content) == 1


async def test_listing_filters_by_tag(xms: Subject) -> None:
    await xms.create_batch(text_batch(tags=("red",)))
    await xms.create_batch(text_batch(tags=("blue",)))

    found = [batch async for batch in xms.fetch_batches(tags=["blue"]).items()]
    assert [batch.tags for batch in found] == [("blue",)]


async def test_unknown_batch_is_not_found(xms: Subject) -> None:
    with pytest.raises(NotFoundException) as info:
        await xms.fetch_batch("no-such-batch")
    assert info.value.url.endswith("/batches/no-such-batch")


async def test_unusual_identifier_round_trips_as_one_segment(xms: Subject) -> None:
    with pytest.raises(NotFoundException) as info:
        await xms.fetch_batch("odd id+with:chars!")
    assert info.value.url.endswith("/batches/odd%20id%2Bwith%3Achars%21")


async def test_todays_batch_fields_round_trip(xms: Subject, simulator: Simulator) -> None:
    created = await xms.create_batch(
        text_batch(
            parameters={},
            body="short",
            flash_message=True,
            max_number_of_message_parts=2,
            truncate_concat=False,
            from_ton=1,
            from_npi=1,
            feedback_enabled=True,
            delivery_report=ReportType.PER_RECIPIENT_FINAL,
            callback_url="http://127.0.0.1:9/cb",
        )
    )
    stored = simulator.batch(created.batch_id)

    assert (created.flash_message, created.max_number_of_message_parts) == (True, 2)
    assert (created.truncate_concat, created.from_ton, created.from_npi) == (False, 1, 1)
    assert created.feedback_enabled is True
    assert created.delivery_report == "per_recipient_final"
    assert stored["flash_message"] is True
    assert stored["max_number_of_message_parts"] == 2
    assert await xms.fetch_batch(created.batch_id) == created


async def test_a_message_over_its_parts_limit_is_aborted(xms: Subject, clock: ManualClock) -> None:
    created = await xms.create_batch(
        text_batch(parameters={}, body="x" * 400, max_number_of_message_parts=2)
    )
    clock.advance(10)
    report = await xms.fetch_recipient_delivery_report(created.batch_id, RECIPIENTS[0])
    assert (report.status, report.code) == ("Aborted", 411)


async def test_items_gives_each_batch_once_while_batches_are_created(xms: Subject) -> None:
    # XMS lists newest first: each batch created mid-walk pushes one back onto the next page.
    originals = {(await xms.create_batch(text_batch(body=f"old {n}"))).batch_id for n in range(10)}
    seen: list[str] = []
    async for batch in xms.fetch_batches(page_size=3).items():
        seen.append(batch.batch_id)
        if len(seen) % 3 == 0:  # a page is used up: the next one is fetched after these
            await xms.create_batch(text_batch(body="new"))
            await xms.create_batch(text_batch(body="new"))

    assert len(seen) == len(set(seen))
    assert originals <= set(seen)
