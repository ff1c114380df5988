"""Delivery report values, their codecs and the report commands.

Endpoints (protocol 2, relative to `/v1/{service_plan_id}`):

* `FetchDeliveryReport`           GET  /batches/{batch_id}/delivery_report               200
* `FetchRecipientDeliveryReport`  GET  /batches/{batch_id}/delivery_report/{recipient}   200
* `FetchDeliveryReports`          GET  /delivery_reports (later API)                     200 page
* `SendDeliveryFeedback`          POST /batches/{batch_id}/delivery_feedback (later)     2xx

Report `type`s read: `delivery_report_sms`/`_mms` (4.7) and
`recipient_delivery_report_sms`/`_mms` (4.8); any other type is an error that
names it.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, datetime
from typing import Any, ClassVar, final

import attrs

from xms_core import _validate as v
from xms_core._builders import constructor
from xms_core._command import classify, expect_json
from xms_core._filters import (
    add_dates,
    filter_codes,
    filter_statuses,
    filter_values,
    joined,
)
from xms_core._http import HttpRequest, HttpResponse
from xms_core._paging import Page, PageQuery, following_page, read_page
from xms_core._sets import TupleSet, from_answer, to_tuple_set
from xms_core._settings import Settings
from xms_core._wire import (
    WireError,
    all_str,
    decode,
    obj,
    opt_int,
    opt_str,
    opt_time,
    req_int,
    req_str,
    req_time,
    str_items,
)

BATCH_REPORT_TYPES = frozenset({"delivery_report_sms", "delivery_report_mms"})
RECIPIENT_REPORT_TYPES = frozenset(
    {"recipient_delivery_report_sms", "recipient_delivery_report_mms"}
)


@final
@attrs.frozen(kw_only=True)
class BatchDeliveryReportStatus:
    """One bucket of a batch delivery report: the messages with one code and status.

    Attributes:
        code: The delivery code (0 is delivered; see protocol 4.10).
        status: The delivery status (see `DeliveryStatus`).
        count: How many messages are in this bucket.
        recipients: The recipients in this bucket; only in full reports.
    """

    code: int
    status: str
    count: int
    recipients: TupleSet = attrs.field(default=TupleSet(), converter=to_tuple_set)


@final
@attrs.frozen(kw_only=True)
class BatchDeliveryReport:
    """The delivery state of a whole batch, in status buckets.

    Attributes:
        batch_id: The batch this report covers.
        total_message_count: How many messages the batch sent.
        statuses: One bucket per (code, status) with at least one message.
        client_reference: The batch's client reference, when set (later API).
        type: `delivery_report_sms` or `delivery_report_mms`.
    """

    batch_id: str
    total_message_count: int
    statuses: tuple[BatchDeliveryReportStatus, ...] = ()
    client_reference: str | None = None
    type: str = "delivery_report_sms"


@final
@attrs.frozen(kw_only=True)
class BatchRecipientDeliveryReport:
    """The delivery state of one recipient of a batch.

    Attributes:
        batch_id: The batch.
        recipient: The recipient.
        code: The delivery code.
        status: The delivery status (a string; the reference documented it as int).
        status_message: A description of the status, when available.
        operator: The recipient's operator (MCCMNC), when known.
        status_at: When XMS recorded this status (the wire's `at`).
        operator_status_at: When the operator reported it, when known.
        client_reference: The batch's client reference (later API).
        applied_originator: The sender XMS chose from the default pool (later API).
        number_of_message_parts: Parts sent, when a parts limit applies (later API).
        encoding: The encoding used, with smart encoding (later API).
        type: `recipient_delivery_report_sms` or `recipient_delivery_report_mms`.
    """

    batch_id: str
    recipient: str
    code: int
    status: str
    status_at: datetime
    status_message: str | None = None
    operator: str | None = None
    operator_status_at: datetime | None = None
    client_reference: str | None = None
    applied_originator: str | None = None
    number_of_message_parts: int | None = None
    encoding: str | None = None
    type: str = "recipient_delivery_report_sms"


# The decoder wraps the recipients of an answer with `from_answer`: no converter runs on them.
_new_bucket = constructor(
    BatchDeliveryReportStatus, "code", "status", "count", "recipients", converted=("recipients",)
)
_new_report = constructor(
    BatchDeliveryReport, "batch_id", "total_message_count", "statuses", "client_reference", "type"
)
_new_recipient_report = constructor(
    BatchRecipientDeliveryReport,
    "batch_id",
    "recipient",
    "code",
    "status",
    "status_at",
    "status_message",
    "operator",
    "operator_status_at",
    "client_reference",
    "applied_originator",
    "number_of_message_parts",
    "encoding",
    "type",
)


_NO_RECIPIENTS = TupleSet()


def _read_bucket(value: object) -> BatchDeliveryReportStatus:
    data = value if type(value) is dict else obj(value, "status bucket")
    get = data.get
    raw = get("recipients")
    # A full report's bulk: the strings are checked in C and put in a TupleSet, sharing
    # every string json.loads made (no second copy is kept).
    if raw is None:
        recipients = _NO_RECIPIENTS
    elif type(raw) is list and all_str(raw):
        recipients = from_answer(raw)
    else:
        recipients = from_answer(str_items(raw, "field 'recipients'"))
    code = get("code")
    if type(code) is not int:
        code = req_int(data, "code")
    status = get("status")
    if type(status) is not str:
        status = req_str(data, "status")
    count = get("count")
    if type(count) is not int:
        count = req_int(data, "count")
    return _new_bucket(code, status, count, recipients)


def read_batch_report(value: object) -> BatchDeliveryReport:
    """Decode a batch delivery report (protocol 4.7)."""
    data = obj(value, "delivery report")
    kind = req_str(data, "type")
    if kind not in BATCH_REPORT_TYPES:
        raise WireError(f"unknown delivery report type {kind!r}")
    raw = data.get("statuses")
    if raw is None:
        raw = []
    if type(raw) is not list:
        raise WireError("field 'statuses': expected an array")
    return _new_report(
        req_str(data, "batch_id"),
        req_int(data, "total_message_count"),
        tuple(map(_read_bucket, raw)),
        opt_str(data, "client_reference"),
        kind,
    )


def read_recipient_report(value: object) -> BatchRecipientDeliveryReport:
    """Decode a recipient delivery report (protocol 4.8)."""
    data = obj(value, "recipient delivery report")
    kind = req_str(data, "type")
    if kind not in RECIPIENT_REPORT_TYPES:
        raise WireError(f"unknown recipient delivery report type {kind!r}")
    return _new_recipient_report(
        req_str(data, "batch_id"),
        req_str(data, "recipient"),
        req_int(data, "code"),
        req_str(data, "status"),
        req_time(data, "at"),
        opt_str(data, "status_message"),
        opt_str(data, "operator"),
        opt_time(data, "operator_status_at"),
        opt_str(data, "client_reference"),
        opt_str(data, "applied_originator"),
        opt_int(data, "number_of_message_parts"),
        opt_str(data, "encoding"),
        kind,
    )


def _report_kind(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    # Protocol 3.9: the report `type` is `summary` or `full` (a closed set).
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{field.name}: expected str or None, got {type(value).__name__}")
    if value is not None and value not in {"summary", "full"}:
        raise ValueError(f"{field.name}: expected 'summary', 'full' or None (got {value!r})")


@final
@attrs.frozen(kw_only=True)
class FetchDeliveryReport:
    """Fetch the delivery report of a batch.

    Attributes:
        batch_id: The batch.
        kind: `summary`, `full` (with recipients) or None for the XMS default (summary).
        status: Only buckets with one of these statuses.
        code: Only buckets with one of these codes.
        client_reference: Only messages with this client reference (later API).
    """

    method: ClassVar[str] = "GET"
    batch_id: str = attrs.field(validator=v.identifier)
    kind: str | None = attrs.field(default=None, validator=_report_kind)
    status: tuple[str, ...] = attrs.field(
        default=(), converter=filter_values, validator=filter_statuses
    )
    code: tuple[int, ...] = attrs.field(default=(), converter=filter_values, validator=filter_codes)
    client_reference: str | None = attrs.field(default=None, validator=v.optional_single_line)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /batches/{batch_id}/delivery_report`."""
        query: list[tuple[str, str]] = []
        if self.kind is not None:
            query.append(("type", str(self.kind)))
        if self.status:
            query.append(("status", joined(self.status)))
        if self.code:
            query.append(("code", joined(self.code)))
        if self.client_reference is not None:
            query.append(("client_reference", self.client_reference))
        return settings.request(
            self.method, "batches", self.batch_id, "delivery_report", query=query
        )

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> BatchDeliveryReport:
        """Read the report."""
        return decode(expect_json(request, response), read_batch_report)


@final
@attrs.frozen(kw_only=True)
class FetchRecipientDeliveryReport:
    """Fetch the delivery report of one recipient of a batch."""

    method: ClassVar[str] = "GET"
    batch_id: str = attrs.field(validator=v.identifier)
    recipient: str = attrs.field()

    @recipient.validator
    def _check_recipient(self, field: attrs.Attribute[str], value: object) -> None:
        v.check_msisdn(field.name, value)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /batches/{batch_id}/delivery_report/{recipient}`."""
        return settings.request(
            self.method, "batches", self.batch_id, "delivery_report", self.recipient
        )

    def parse_response(
        self, request: HttpRequest, response: HttpResponse
    ) -> BatchRecipientDeliveryReport:
        """Read the report."""
        return decode(expect_json(request, response), read_recipient_report)


@final
@attrs.frozen(kw_only=True)
class FetchDeliveryReports(PageQuery):
    """Fetch one page of finished recipient delivery reports (later API).

    Attributes:
        page: The page number, from 0.
        items_before: How many items the earlier pages held; `next_page` keeps it.
        page_size: Reports per page (1 to 100); None for the XMS default.
        start_date: Only reports at or after this date (XMS default: 24 h ago).
        end_date: Only reports before this date.
        status: Only reports with one of these statuses.
        code: Only reports with one of these codes.
        client_reference: Only reports with this client reference.
    """

    start_date: date | None = attrs.field(default=None, validator=v.optional_day)
    end_date: date | None = attrs.field(default=None, validator=v.optional_day)
    status: tuple[str, ...] = attrs.field(
        default=(), converter=filter_values, validator=filter_statuses
    )
    code: tuple[int, ...] = attrs.field(default=(), converter=filter_values, validator=filter_codes)
    client_reference: str | None = attrs.field(default=None, validator=v.optional_single_line)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /delivery_reports` with the page and filters."""
        query = self.page_query()
        add_dates(query, self.start_date, self.end_date)
        if self.status:
            query.append(("status", joined(self.status)))
        if self.code:
            query.append(("code", joined(self.code)))
        if self.client_reference is not None:
            query.append(("client_reference", self.client_reference))
        return settings.request(self.method, "delivery_reports", query=query)

    def parse_response(
        self, request: HttpRequest, response: HttpResponse
    ) -> Page[BatchRecipientDeliveryReport]:
        """Read the page of reports."""
        return decode(
            expect_json(request, response),
            lambda data: read_page(data, "delivery_reports", read_recipient_report),
        )

    def next_page(self, page: Page[BatchRecipientDeliveryReport]) -> FetchDeliveryReports | None:
        """Return the command for the page after `page`, or None at the end."""
        return following_page(self, page)

    def item_key(self, item: BatchRecipientDeliveryReport) -> Hashable:
        """Tell items apart by the whole report, which has no id of its own."""
        return item


@final
@attrs.frozen(kw_only=True)
class SendDeliveryFeedback:
    """Tell XMS which recipients got the message (later API; needs `feedback_enabled`).

    Attributes:
        batch_id: The batch.
        recipients: The recipients that received it; empty means all of them.
    """

    method: ClassVar[str] = "POST"
    batch_id: str = attrs.field(validator=v.identifier)
    recipients: tuple[str, ...] = attrs.field(
        default=(), converter=filter_values, validator=v.msisdns
    )

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `POST /batches/{batch_id}/delivery_feedback`."""
        body = {"recipients": list(self.recipients)}
        return settings.request(
            self.method, "batches", self.batch_id, "delivery_feedback", json=body
        )

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> None:
        """Accept any 2xx; the answer has no body."""
        classify(request, response)
