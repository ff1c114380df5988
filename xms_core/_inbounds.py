"""Inbound (MO) message values, their codec and the inbound commands.

Endpoints (protocol 2, relative to `/v1/{service_plan_id}`):

* `FetchInbounds`  GET /inbounds                 200 page of MOs
* `FetchInbound`   GET /inbounds/{inbound_id}    200 MO

The operator is read from `operator_id` (today's API) or `operator` (what the
original SDK read); the original SDK never saw `operator_id`.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, datetime
from typing import ClassVar, final

import attrs

from xms_core import _validate as v
from xms_core._builders import constructor
from xms_core._command import expect_json
from xms_core._filters import add_dates, filter_strings, filter_values, joined
from xms_core._http import HttpRequest, HttpResponse
from xms_core._paging import Page, PageQuery, following_page, read_page
from xms_core._settings import Settings
from xms_core._wire import (
    WireError,
    decode,
    obj,
    opt_str,
    opt_time,
    read_base64,
    read_hex,
    req_str,
    req_time,
)

MO_TYPES = frozenset({"mo_text", "mo_binary"})


@attrs.frozen(kw_only=True)
class MoSms:
    """Fields common to text and binary inbound messages.

    Attributes:
        message_id: The message identifier.
        recipient: Your short code or long number the message was sent to.
        sender: The MSISDN that sent it.
        operator: The sender's operator (MCCMNC), if known.
        sent_at: When it left the handset, if known.
        received_at: When XMS received it.
        client_reference: The client reference of the MT this answers (later API).
    """

    message_id: str
    recipient: str
    sender: str
    received_at: datetime
    operator: str | None = None
    sent_at: datetime | None = None
    client_reference: str | None = None


@final
@attrs.frozen(kw_only=True)
class MoTextSms(MoSms):
    """A text inbound message.

    Attributes:
        body: The message text.
        keyword: The message keyword, if XMS gives one.
    """

    body: str
    keyword: str | None = None


@final
@attrs.frozen(kw_only=True)
class MoBinarySms(MoSms):
    """A binary inbound message.

    Attributes:
        body: The binary payload.
        udh: The User Data Header.
    """

    body: bytes
    udh: bytes


MoMessage = MoTextSms | MoBinarySms


_MO_COMMON = (
    "message_id",
    "recipient",
    "sender",
    "received_at",
    "operator",
    "sent_at",
    "client_reference",
)
_new_mo_text = constructor(MoTextSms, *_MO_COMMON, "body", "keyword")
_new_mo_binary = constructor(MoBinarySms, *_MO_COMMON, "body", "udh")


def read_mo(value: object) -> MoMessage:
    """Decode an inbound message (protocol 4.12)."""
    data = obj(value, "inbound message")
    kind = req_str(data, "type")
    operator = opt_str(data, "operator_id")
    if operator is None:
        operator = opt_str(data, "operator")
    common = {
        "message_id": req_str(data, "id"),
        "recipient": req_str(data, "to"),
        "sender": req_str(data, "from"),
        "received_at": req_time(data, "received_at"),
        "operator": operator,
        "sent_at": opt_time(data, "sent_at"),
        "client_reference": opt_str(data, "client_reference"),
    }
    if kind == "mo_text":
        return _new_mo_text(body=req_str(data, "body"), keyword=opt_str(data, "keyword"), **common)
    if kind == "mo_binary":
        return _new_mo_binary(body=read_base64(data, "body"), udh=read_hex(data, "udh"), **common)
    raise WireError(f"unknown inbound message type {kind!r}")


@final
@attrs.frozen(kw_only=True)
class FetchInbound:
    """Look up one inbound message."""

    method: ClassVar[str] = "GET"
    inbound_id: str = attrs.field(validator=v.identifier)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /inbounds/{inbound_id}`."""
        return settings.request(self.method, "inbounds", self.inbound_id)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> MoMessage:
        """Read the message."""
        return decode(expect_json(request, response), read_mo)


@final
@attrs.frozen(kw_only=True)
class FetchInbounds(PageQuery):
    """Fetch one page of inbound messages.

    Attributes:
        page: The page number, from 0.
        items_before: How many items the earlier pages held; `next_page` keeps it.
        page_size: Messages per page (1 to 100); None for the XMS default (30).
        recipients: Only messages to one of these numbers.
        start_date: Only messages received at or after this date (XMS default: 24 h ago).
        end_date: Only messages received before this date.
        client_reference: Only messages with this client reference (later API).
    """

    recipients: tuple[str, ...] = attrs.field(
        default=(), converter=filter_values, validator=filter_strings
    )
    start_date: date | None = attrs.field(default=None, validator=v.optional_day)
    end_date: date | None = attrs.field(default=None, validator=v.optional_day)
    client_reference: str | None = attrs.field(default=None, validator=v.optional_single_line)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /inbounds` with the page and filters."""
        query = self.page_query()
        if self.recipients:
            query.append(("to", joined(self.recipients)))
        add_dates(query, self.start_date, self.end_date)
        if self.client_reference is not None:
            query.append(("client_reference", self.client_reference))
        return settings.request(self.method, "inbounds", query=query)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> Page[MoMessage]:
        """Read the page of messages."""
        return decode(
            expect_json(request, response), lambda data: read_page(data, "inbounds", read_mo)
        )

    def next_page(self, page: Page[MoMessage]) -> FetchInbounds | None:
        """Return the command for the page after `page`, or None at the end."""
        return following_page(self, page)

    def item_key(self, item: MoMessage) -> Hashable:
        """Tell items apart by the message id, so `items()` gives none twice."""
        return item.message_id
