"""Inbound (MO) messages end to end, for every client and transport kind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.adapters import Subject
from transports.simulator import ManualClock, Simulator
from xms_core.api import MoBinarySms, MoTextSms
from xms_core.exceptions import NotFoundException


async def test_text_inbound_is_read_with_every_field(
    xms: Subject, simulator: Simulator, clock: ManualClock
) -> None:
    sent_at = clock() - timedelta(seconds=3)
    inbound_id = simulator.inject_inbound(
        sender="+46701234567",
        recipient="54321",
        body="Hello there",
        keyword="HELLO",
        operator_id="24001",
        sent_at=sent_at,
        client_reference="ref-1",
    )

    message = await xms.fetch_inbound(inbound_id)

    assert isinstance(message, MoTextSms)
    assert message.message_id == inbound_id
    assert (message.sender, message.recipient, message.body) == (
        "+46701234567",
        "54321",
        "Hello there",
    )
    assert message.keyword == "HELLO"
    assert message.operator == "24001"
    assert message.sent_at == sent_at
    assert message.received_at == clock()
    assert message.client_reference == "ref-1"


async def test_binary_inbound_keeps_its_bytes(xms: Subject, simulator: Simulator) -> None:
    inbound_id = simulator.inject_inbound(
        sender="+46701234567", recipient="54321", body=b"\x00\xff", udh=b"\x06\x05"
    )
    message = await xms.fetch_inbound(inbound_id)
    assert isinstance(message, MoBinarySms)
    assert (message.body, message.udh) == (b"\x00\xff", b"\x06\x05")


async def test_inbounds_list_newest_first_with_filters(
    xms: Subject, simulator: Simulator, clock: ManualClock
) -> None:
    for i in range(5):
        simulator.inject_inbound(sender="+46701234567", recipient="111", body=f"m{i}")
        clock.advance(1)
    simulator.inject_inbound(sender="+46701234567", recipient="222", body="other")

    everything = [m async for m in xms.fetch_inbounds(page_size=2).items()]
    to_111 = [m async for m in xms.fetch_inbounds(recipients=["111"]).items()]

    assert len(everything) == 6
    assert [m.body for m in to_111] == ["m4", "m3", "m2", "m1", "m0"]


async def test_unknown_inbound_is_not_found(xms: Subject) -> None:
    with pytest.raises(NotFoundException):
        await xms.fetch_inbound("nothing-here")
