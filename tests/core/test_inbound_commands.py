"""Inbound (MO) message commands: one message and a page of them.

Pure tests of how text and binary inbound answers are read, old and new
operator fields included.
"""

from __future__ import annotations

from datetime import datetime

from tests.core.command_cases import CASES, UTC, exchange, load, raw
from xms_core import FetchInbounds
from xms_core.api import MoBinarySms, MoTextSms


def test_inbound_text_reads_operator_id() -> None:
    message = exchange(CASES["FetchInbound"].command, raw("mo_text.json"))
    assert message == MoTextSms(
        message_id="b88b4cee-168f-4721-bbf9-cd748dd93b60",
        recipient="12345",
        sender="46701234567",
        body="JOIN Sinch",
        keyword="JOIN",
        operator="24001",
        sent_at=datetime(2016, 12, 3, 16, 24, 20, tzinfo=UTC),
        received_at=datetime(2016, 12, 3, 16, 24, 23, 318000, tzinfo=UTC),
        client_reference="order-42",
    )


def test_inbound_binary_reads_legacy_operator_field() -> None:
    message = exchange(CASES["FetchInbound"].command, raw("mo_binary.json"))
    assert isinstance(message, MoBinarySms)
    assert message.body == b"\x00\x01\x02\x03"
    assert message.udh == b"\x05\x00\x03\xab\x02\x01"
    assert message.operator == "31101"
    assert message.sent_at is None
    assert message.received_at == datetime(2016, 12, 3, 16, 24, 23, tzinfo=UTC)


def test_operator_id_wins_over_operator() -> None:
    data = {**load("mo_text.json"), "operator": "legacy"}
    assert exchange(CASES["FetchInbound"].command, data).operator == "24001"


def test_fetch_inbounds_reads_a_page() -> None:
    page = exchange(FetchInbounds(page=3, page_size=2), raw("page_inbounds.json"))
    assert (page.page, page.size, page.total_size) == (3, 2, 9)
    text, binary = page.content
    assert isinstance(text, MoTextSms)
    assert text.operator == "24001"
    assert text.keyword is None
    assert isinstance(binary, MoBinarySms)
    assert binary.body == b"\x01\x02\x03"
