"""Batches sent to groups (protocol 3.1, 4.1), for every client and transport kind.

XMS takes group ids in a batch's `to`, next to MSISDNs, and expands them at send
time; a deleted group is refused with 403 `unknown_group` (protocol 6).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.adapters import Subject
from transports.simulator import ManualClock, Simulator
from xms_core.api import (
    GroupCreate,
    MtBatchTextSmsCreate,
    MtBatchTextSmsUpdate,
    ReportType,
)
from xms_core.exceptions import ErrorResponseException

MEMBERS = ("+46701110001", "+46701110002")
OTHER = "+46705550000"


async def test_a_batch_to_a_group_reaches_its_members(
    xms: Subject, simulator: Simulator, clock: ManualClock
) -> None:
    group = await xms.create_group(GroupCreate(name="team", members=MEMBERS))

    batch = await xms.create_batch(
        MtBatchTextSmsCreate(
            sender="12345",
            recipients=[group.group_id],
            body="Standup moved to 10:00",
            delivery_report=ReportType.FULL,
        )
    )
    clock.advance(10)
    report = await xms.fetch_delivery_report(batch.batch_id, "full")

    assert batch.recipients == (group.group_id,)
    assert report.total_message_count == 2
    assert [(s.status, s.recipients) for s in report.statuses] == [("Delivered", set(MEMBERS))]
    assert simulator.batch(batch.batch_id)["to"] == [group.group_id]


async def test_a_batch_to_a_group_and_numbers_reaches_all_of_them(
    xms: Subject, clock: ManualClock
) -> None:
    group = await xms.create_group(GroupCreate(name="team", members=MEMBERS))

    batch = await xms.create_batch(
        MtBatchTextSmsCreate(sender="12345", recipients=[group.group_id, OTHER], body="hi")
    )
    dry_run = await xms.create_batch_dry_run(
        MtBatchTextSmsCreate(sender="12345", recipients=[OTHER, group.group_id], body="hi"), 10
    )
    clock.advance(10)
    report = await xms.fetch_delivery_report(batch.batch_id, "full")

    assert batch.recipients == {OTHER, group.group_id}
    assert report.total_message_count == 3
    assert report.statuses[0].recipients == {*MEMBERS, OTHER}
    assert dry_run.number_of_recipients == 3
    assert {entry.recipient for entry in dry_run.per_recipient} == {*MEMBERS, OTHER}


async def test_an_update_adds_and_removes_a_group(xms: Subject, clock: ManualClock) -> None:
    group = await xms.create_group(GroupCreate(name="team", members=MEMBERS))
    later = MtBatchTextSmsCreate(
        sender="12345", recipients=[OTHER], body="hi", send_at=clock() + timedelta(hours=1)
    )
    batch = await xms.create_batch(later)

    added = await xms.update_batch(
        batch.batch_id, MtBatchTextSmsUpdate(recipient_insertions=[group.group_id])
    )
    removed = await xms.update_batch(
        batch.batch_id, MtBatchTextSmsUpdate(recipient_removals=[group.group_id])
    )

    assert added.recipients == (OTHER, group.group_id)
    assert removed.recipients == (OTHER,)


async def test_a_deleted_group_is_refused_with_the_xms_error(
    xms: Subject, simulator: Simulator
) -> None:
    group = await xms.create_group(GroupCreate(name="gone", members=MEMBERS))
    await xms.delete_group(group.group_id)

    with pytest.raises(ErrorResponseException) as info:
        await xms.create_batch(MtBatchTextSmsCreate(recipients=[group.group_id, OTHER], body="hi"))

    assert info.value.status == 403
    assert info.value.error_code == "unknown_group"
    assert simulator.batch_count == 0


async def test_an_unknown_group_is_refused_with_the_xms_error(
    xms: Subject, simulator: Simulator
) -> None:
    with pytest.raises(ErrorResponseException) as info:
        await xms.create_batch(MtBatchTextSmsCreate(recipients=["NoSuchGroup0001"], body="hi"))

    assert (info.value.status, info.value.error_code) == (403, "unknown_group")
    assert simulator.batch_count == 0
