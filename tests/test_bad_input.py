"""Bad input at the API edge: a clear error naming the field, and no byte sent."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import unquote

import pytest

from tests.adapters import PLAN, TOKEN
from transports import Client, MemoryTransport
from transports.simulator import Simulator
from xms_core import HttpRequest, HttpResponse
from xms_core.api import (
    GroupAutoUpdate,
    GroupCreate,
    GroupUpdate,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsUpdate,
    MtBatchTextSmsCreate,
    MtBatchTextSmsUpdate,
)

OK = "+46701234567"
NAIVE = datetime(2026, 1, 1, 12, 0)  # noqa: DTZ001 - naive on purpose
AWARE = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def text(**changes: Any) -> Any:
    return lambda: MtBatchTextSmsCreate(**{"recipients": [OK], "body": "hi", **changes})


def binary(**changes: Any) -> Any:
    return lambda: MtBatchBinarySmsCreate(
        **{"recipients": [OK], "body": b"x", "udh": b"\x00", **changes}
    )


def call(method: str, *args: Any, **kwargs: Any) -> Any:
    return lambda client: getattr(client, method)(*args, **kwargs)


def listing(method: str, **kwargs: Any) -> Any:
    return lambda client: list(getattr(client, method)(**kwargs))


# (id, a callable taking the client, the exception type, a word the message must contain)
CASES: list[tuple[str, Any, type[Exception], str]] = [
    # recipients
    ("no recipients", text(recipients=[]), ValueError, "recipients"),
    ("recipient not a number", text(recipients=["abc"]), ValueError, "recipients"),
    ("recipient too short", text(recipients=["12"]), ValueError, "recipients"),
    ("recipient too long", text(recipients=["+" + "1" * 16]), ValueError, "recipients"),
    ("recipient only a plus", text(recipients=["+"]), ValueError, "recipients"),
    ("recipient with letters", text(recipients=["+4670ABC4567"]), ValueError, "recipients"),
    ("recipient not a str", text(recipients=[46701234567]), TypeError, "recipients"),
    ("recipients a lone str", text(recipients=OK), TypeError, "collection"),
    (
        "too many recipients",
        text(recipients=[f"+4670{i:07d}" for i in range(1001)]),
        ValueError,
        "recipients",
    ),
    # bodies and binary parts
    ("text body bytes", text(body=b"hi"), TypeError, "body"),
    ("binary body str", binary(body="hi"), TypeError, "body"),
    ("udh str", binary(udh="0500"), TypeError, "udh"),
    ("udh None", binary(udh=None), TypeError, "udh"),
    ("udh bytearray", binary(udh=bytearray(b"\x00")), TypeError, "udh"),
    ("update udh str", lambda: MtBatchBinarySmsUpdate(udh="00"), TypeError, "udh"),
    # datetimes
    ("naive send_at", text(send_at=NAIVE), ValueError, "send_at"),
    ("naive expire_at", text(expire_at=NAIVE), ValueError, "expire_at"),
    ("send_at a str", text(send_at="2026-01-01"), TypeError, "send_at"),
    ("naive update send_at", lambda: MtBatchTextSmsUpdate(send_at=NAIVE), ValueError, "send_at"),
    ("naive list start", listing("fetch_batches", start_date=NAIVE), ValueError, "start_date"),
    ("list end a str", listing("fetch_inbounds", end_date="2026-01-01"), TypeError, "end_date"),
    # template parameters
    ("parameters a list", text(parameters=["name"]), TypeError, "parameters"),
    ("parameter maps to str", text(parameters={"name": "Mary"}), TypeError, "parameters"),
    ("parameter value int", text(parameters={"name": {OK: 5}}), TypeError, "parameters"),
    ("parameter key not msisdn", text(parameters={"name": {"bob": "x"}}), ValueError, "parameters"),
    ("parameter name empty", text(parameters={"": {OK: "x"}}), ValueError, "parameters"),
    # identifiers
    ("empty batch id", call("fetch_batch", ""), ValueError, "batch_id"),
    ("blank batch id", call("fetch_batch", "   "), ValueError, "batch_id"),
    ("batch id not str", call("fetch_batch", 42), TypeError, "batch_id"),
    ("oversized batch id", call("fetch_batch", "a" * 129), ValueError, "batch_id"),
    ("id with slash", call("fetch_batch", "a/b"), ValueError, "batch_id"),
    ("id with question mark", call("cancel_batch", "a?b"), ValueError, "batch_id"),
    ("id with hash", call("fetch_batch_tags", "a#b"), ValueError, "batch_id"),
    ("id with dot dot", call("fetch_group", ".."), ValueError, "group_id"),
    ("id with percent", call("delete_group", "a%2Fb"), ValueError, "group_id"),
    ("id with CR LF", call("fetch_inbound", "a\r\nX: y"), ValueError, "inbound_id"),
    ("id with NUL", call("fetch_group_members", "a\x00b"), ValueError, "group_id"),
    ("id not ASCII", call("fetch_inbound", "мо"), ValueError, "inbound_id"),
    (
        "report for a non-number",
        call("fetch_recipient_delivery_report", "b1", "bob"),
        ValueError,
        "recipient",
    ),
    # page sizes and filters
    ("page size 0", listing("fetch_batches", page_size=0), ValueError, "page_size"),
    ("page size negative", listing("fetch_groups", page_size=-5), ValueError, "page_size"),
    ("page size absurd", listing("fetch_inbounds", page_size=10**9), ValueError, "page_size"),
    ("page size a str", listing("fetch_batches", page_size="10"), TypeError, "page_size"),
    ("page size a bool", listing("fetch_delivery_reports", page_size=True), TypeError, "page_size"),
    ("sender filter with comma", listing("fetch_batches", senders=["a,b"]), ValueError, "senders"),
    ("tag filter not str", listing("fetch_groups", tags=[1]), TypeError, "tags"),
    ("report kind unknown", call("fetch_delivery_report", "b1", "everything"), ValueError, "kind"),
    (
        "report code negative",
        call("fetch_delivery_report", "b1", None, None, [-1]),
        ValueError,
        "code",
    ),
    (
        "report code a str",
        call("fetch_delivery_report", "b1", None, None, ["0"]),
        TypeError,
        "code",
    ),
    (
        "dry run 0 recipients",
        call("create_batch_dry_run", text()(), 0),
        ValueError,
        "num_recipients",
    ),
    (
        "dry run 1001 recipients",
        call("create_batch_dry_run", text()(), 1001),
        ValueError,
        "num_recipients",
    ),
    # wrong payload types
    ("create a dict", call("create_batch", {"to": [OK]}), TypeError, "batch"),
    ("update with a create", call("update_batch", "b1", text()()), TypeError, "batch"),
    ("group create a dict", call("create_group", {"name": "x"}), TypeError, "group"),
    ("group member not msisdn", lambda: GroupCreate(members=["x"]), ValueError, "members"),
    ("group child bad id", lambda: GroupCreate(child_groups=["a/b"]), ValueError, "child_groups"),
    (
        "group update bad from-group",
        lambda: GroupUpdate(add_from_group="?"),
        ValueError,
        "add_from_group",
    ),
    ("auto update without number", lambda: GroupAutoUpdate(recipient=None), TypeError, "recipient"),  # type: ignore[arg-type]
    (
        "feedback recipient bad",
        call("send_delivery_feedback", "b1", ["x"]),
        ValueError,
        "recipients",
    ),
    ("tags a lone str", call("replace_batch_tags", "b1", "tag"), TypeError, "collection"),
    ("delivery report empty", text(delivery_report=""), ValueError, "delivery_report"),
    (
        "max parts zero",
        text(max_number_of_message_parts=0),
        ValueError,
        "max_number_of_message_parts",
    ),
    ("from_ton out of range", text(from_ton=256), ValueError, "from_ton"),
]


class Recorder:
    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        return HttpResponse(status=500)


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("action", "error", "word"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_fails_before_any_byte_is_sent(
    action: Any, error: type[Exception], word: str
) -> None:
    recorder = Recorder()
    transport = MemoryTransport(recorder)
    client = Client(PLAN, TOKEN, transport=transport)
    with pytest.raises(error) as info:
        built = action(client) if action.__code__.co_argcount == 1 else action()
        if built is not None and not isinstance(built, list):
            client.create_batch(built)
    assert word in str(info.value)
    assert recorder.requests == []
    assert transport.requests == []


@pytest.mark.parametrize(
    "batch_id", ["odd id", "a+b", "x:y", "!-@$^&*()", "semi;colon", "quote'd", "tilde~", "comma,id"]
)
def test_unusual_but_legal_ids_are_one_encoded_segment(batch_id: str) -> None:
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN)
    transport = MemoryTransport(simulator.handle)
    client = Client(PLAN, TOKEN, transport=transport)
    with pytest.raises(Exception, match="not found"):
        client.fetch_batch(batch_id)
    url = transport.requests[0].url
    segment = url.rsplit("/", 1)[1]
    assert "/" not in segment
    assert unquote(segment) == batch_id
    assert simulator.requests()[0].url == url


def test_legal_dates_pass() -> None:
    client = Client(
        PLAN, TOKEN, transport=MemoryTransport(Simulator(service_plan_id=PLAN, token=TOKEN).handle)
    )
    assert list(client.fetch_batches(start_date=date(2026, 1, 1), end_date=AWARE)) != []
