"""Delivery report and delivery feedback commands.

Pure tests of how the summary, full, per-recipient and listed reports are
read, and of what delivery feedback sends and accepts.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.core.command_cases import CASES, SETTINGS, UTC, exchange, raw
from xms_core import FetchDeliveryReport, FetchDeliveryReports, HttpResponse, SendDeliveryFeedback
from xms_core.api import BatchDeliveryReport, BatchRecipientDeliveryReport, DeliveryStatus


def test_summary_delivery_report() -> None:
    report = exchange(FetchDeliveryReport(batch_id="b1"), raw("delivery_report_summary.json"))
    assert isinstance(report, BatchDeliveryReport)
    assert report.batch_id == "4G4OmwztSJbVL2bl"
    assert report.total_message_count == 3
    assert report.type == "delivery_report_sms"
    assert [(s.code, s.status, s.count, s.recipients) for s in report.statuses] == [
        (0, DeliveryStatus.DELIVERED, 2, ()),
        (11, DeliveryStatus.FAILED, 1, ()),
    ]
    assert report.client_reference is None


def test_full_delivery_report() -> None:
    report = exchange(CASES["FetchDeliveryReport"].command, raw("delivery_report_full.json"))
    assert report.total_message_count == 2
    assert report.statuses[0].recipients == ("555555555",)
    assert report.statuses[1].recipients == ("987654321",)
    assert report.client_reference == "order-42"
    mms = exchange(
        FetchDeliveryReport(batch_id="b1"),
        {"type": "delivery_report_mms", "batch_id": "b", "total_message_count": 0},
    )
    assert mms.type == "delivery_report_mms"
    assert mms.statuses == ()


def test_recipient_delivery_report() -> None:
    report = exchange(
        CASES["FetchRecipientDeliveryReport"].command, raw("recipient_delivery_report.json")
    )
    assert report == BatchRecipientDeliveryReport(
        batch_id="3-mbA7z9wDKY76ag",
        recipient="123456789",
        code=11,
        status="Failed",
        status_at=datetime(2016, 12, 5, 16, 24, 23, 318000, tzinfo=UTC),
        status_message="mystatusmessage",
        operator="31101",
        operator_status_at=datetime(2016, 12, 5, 16, 24, tzinfo=UTC),
        client_reference="order-42",
        applied_originator="12345",
        number_of_message_parts=1,
        encoding="GSM",
        type="recipient_delivery_report_sms",
    )


def test_fetch_delivery_reports_reads_a_page_and_string_codes() -> None:
    page = exchange(FetchDeliveryReports(page_size=2), raw("page_delivery_reports.json"))
    assert (page.page, page.size, page.total_size) == (0, 2, 3)
    first, second = page.content
    assert first.recipient == "+15551231234"
    assert first.status_at == datetime(2022, 2, 25, 23, 1, 1, tzinfo=UTC)
    assert first.client_reference == "order-42"
    assert second.code == 402
    assert second.operator_status_at is None


@pytest.mark.parametrize(
    ("status", "body"), [(202, b""), (200, b""), (204, b""), (200, b"<html>ok</html>")]
)
def test_delivery_feedback_accepts_any_2xx(status: int, body: bytes) -> None:
    command = CASES["SendDeliveryFeedback"].command
    request = command.build_request(SETTINGS)
    assert command.parse_response(request, HttpResponse(status=status, body=body)) is None


def test_feedback_with_no_recipients_sends_an_empty_list() -> None:
    request = SendDeliveryFeedback(batch_id="b1").build_request(SETTINGS)
    assert request.body == b'{"recipients":[]}'
