"""Typed callbacks: parsing what XMS posts, and the simulator posting it over loopback."""

from __future__ import annotations

import json

import pytest

from tests.adapters import PLAN, TOKEN
from tests.receivers import receiver
from transports import Client, MemoryTransport
from transports.simulator import ManualClock, Simulator, serve
from xms_core import parse_callback
from xms_core.api import (
    BatchDeliveryReport,
    BatchRecipientDeliveryReport,
    MoBinarySms,
    MoTextSms,
    MtBatchTextSmsCreate,
    ReportType,
)
from xms_core.exceptions import UnexpectedResponseException

RECIPIENT_REPORT = {
    "type": "recipient_delivery_report_sms",
    "batch_id": "01FC66621XXXXX119Z8PMV1QPQ",
    "recipient": "46701234567",
    "code": 0,
    "status": "Delivered",
    "at": "2024-01-03T12:53:09.286Z",
    "operator_status_at": "2024-01-03T12:53:00Z",
    "client_reference": "order-42",
    "a_field_from_the_future": {"ignored": True},
}
BATCH_REPORT = {
    "type": "delivery_report_sms",
    "batch_id": "4G4OmwztSJbVL2bl",
    "total_message_count": 2,
    "statuses": [
        {"code": 0, "status": "Delivered", "count": 1, "recipients": ["555555555"]},
        {"code": 11, "status": "Failed", "count": 1, "recipients": ["987654321"]},
    ],
}
MO_TEXT = {
    "type": "mo_text",
    "id": "b88b4cee",
    "from": "14165550100",
    "to": "12362320246",
    "body": "hello",
    "operator_id": "310010",
    "received_at": "2026-05-18T15:04:01.135Z",
}
MO_BINARY = {**MO_TEXT, "type": "mo_binary", "body": "AAH/", "udh": "0A0B"}


def test_recipient_report_callback() -> None:
    report = parse_callback(
        json.dumps(RECIPIENT_REPORT).encode(), {"Content-Type": "application/json"}
    )
    assert isinstance(report, BatchRecipientDeliveryReport)
    assert (report.recipient, report.status, report.code) == ("46701234567", "Delivered", 0)
    assert report.client_reference == "order-42"
    assert report.status_at.microsecond == 286000


def test_batch_report_callback() -> None:
    report = parse_callback(json.dumps(BATCH_REPORT))
    assert isinstance(report, BatchDeliveryReport)
    assert [bucket.recipients for bucket in report.statuses] == [("555555555",), ("987654321",)]


def test_inbound_callbacks() -> None:
    text = parse_callback(json.dumps(MO_TEXT).encode(), [("content-type", "application/json")])
    binary = parse_callback(json.dumps(MO_BINARY).encode())
    assert isinstance(text, MoTextSms)
    assert text.operator == "310010"
    assert isinstance(binary, MoBinarySms)
    assert (binary.body, binary.udh) == (b"\x00\x01\xff", b"\x0a\x0b")


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b"not json", (), "not valid JSON"),
        (b"[]", (), "expected a JSON object"),
        (json.dumps({**MO_TEXT, "type": "mo_media"}).encode(), (), "'mo_media'"),
        (json.dumps({"batch_id": "x"}).encode(), (), "'type'"),
        (json.dumps({**RECIPIENT_REPORT, "at": "yesterday"}).encode(), (), "ISO-8601"),
        (json.dumps({**BATCH_REPORT, "statuses": "all"}).encode(), (), "statuses"),
        (json.dumps(MO_TEXT).encode(), {"content-type": "text/plain"}, "not JSON"),
    ],
)
def test_bad_callbacks_are_clear_errors(body: bytes, headers: object, message: str) -> None:
    with pytest.raises(UnexpectedResponseException) as info:
        parse_callback(body, headers)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert info.value.status is None


def test_simulator_posts_per_recipient_callbacks_as_messages_advance() -> None:
    clock = ManualClock()
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN, clock=clock)
    with (
        receiver() as (url, bodies),
        serve(simulator.handle, callbacks=simulator.take_callbacks) as server,
    ):
        client = Client(PLAN, TOKEN, server.url)
        batch = client.create_batch(
            MtBatchTextSmsCreate(
                recipients=["+46701234567", "+46709876543"],
                body="hi",
                delivery_report=ReportType.PER_RECIPIENT,
                callback_url=url,
            )
        )
        simulator.fail_recipient(batch.batch_id, "+46709876543")
        clock.advance(10)
        # Delivers whatever the background thread has not delivered yet.
        server.deliver_callbacks()
        client.close()

    assert [d.status for d in server.callback_deliveries] == [204] * 4
    reports = [parse_callback(body) for body in bodies]
    assert all(isinstance(r, BatchRecipientDeliveryReport) for r in reports)
    seen = {(r.recipient, r.status) for r in reports}  # type: ignore[union-attr]
    assert seen == {
        ("+46701234567", "Dispatched"),
        ("+46701234567", "Delivered"),
        ("+46709876543", "Dispatched"),
        ("+46709876543", "Failed"),
    }


def test_simulator_posts_one_summary_once_every_message_is_final() -> None:
    clock = ManualClock()
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN, clock=clock)
    with (
        receiver() as (url, bodies),
        serve(simulator.handle, callbacks=simulator.take_callbacks) as server,
    ):
        client = Client(PLAN, TOKEN, server.url)
        batch = client.create_batch(
            MtBatchTextSmsCreate(
                recipients=["+46701234567"], body="hi", delivery_report="summary", callback_url=url
            )
        )
        assert server.deliver_callbacks() == []
        clock.advance(10)
        server.deliver_callbacks()
        server.deliver_callbacks()
        client.close()

    assert len(bodies) == 1
    report = parse_callback(bodies[0])
    assert isinstance(report, BatchDeliveryReport)
    assert report.batch_id == batch.batch_id
    assert [(s.status, s.count) for s in report.statuses] == [("Delivered", 1)]


def test_callbacks_to_other_hosts_are_never_sent() -> None:
    clock = ManualClock()
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN, clock=clock)
    client = Client(PLAN, TOKEN, transport=MemoryTransport(simulator.handle))
    client.create_batch(
        MtBatchTextSmsCreate(
            recipients=["+46701234567"],
            body="hi",
            delivery_report="summary",
            callback_url="http://192.0.2.1/callbacks",
        )
    )
    clock.advance(10)
    with serve(simulator.handle, callbacks=simulator.take_callbacks) as server:
        server.deliver_callbacks()
    assert [(d.status, d.error is not None) for d in server.callback_deliveries] == [(None, True)]
