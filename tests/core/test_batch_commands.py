"""Batch commands: create, dry run, replace, update, cancel, fetch and list.

Pure tests of the exact bodies they send, the three states of an update field,
and how they read the realistic answers in `tests/data/`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from tests.core.command_cases import (
    CASES,
    CET,
    SETTINGS,
    TEXT,
    UTC,
    check_three_states,
    exchange,
    path_and_query,
    raw,
    three_states,
    update_body,
)
from xms_core import (
    CancelBatch,
    CreateBatch,
    CreateBatchDryRun,
    FetchBatch,
    FetchBatches,
    Page,
    UpdateGroup,
)
from xms_core.api import (
    DryRunPerRecipient,
    GroupUpdate,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsResult,
    MtBatchBinarySmsUpdate,
    MtBatchDryRunResult,
    MtBatchTextSmsCreate,
    MtBatchTextSmsResult,
    MtBatchTextSmsUpdate,
    ReportType,
)

# --------------------------------------------------------------------------- request bodies


def test_text_batch_bytes_are_exact() -> None:
    batch = MtBatchTextSmsCreate(
        recipients=["+46709876543", "46701234567", "+46709876543"],
        body='Hej 😀 "där"',
        send_at=datetime(2016, 12, 20, 11, 0, tzinfo=CET),
        expire_at=datetime(2016, 12, 23, 10, 0, 0, 123456, tzinfo=UTC),
        tags=["b", "a", "b"],
    )
    request = CreateBatch(batch=batch).build_request(SETTINGS)
    expected = (
        '{"type":"mt_text","to":["+46709876543","46701234567"],"body":"Hej 😀 \\"där\\"",'
        '"send_at":"2016-12-20T10:00:00.000Z","expire_at":"2016-12-23T10:00:00.123456Z",'
        '"tags":["b","a"]}'
    ).encode()
    assert request.body == expected
    assert b'"from"' not in expected


def test_binary_batch_bytes_are_exact() -> None:
    batch = MtBatchBinarySmsCreate(
        sender="Sinch",
        recipients=["46701234567"],
        body=b"\x00\x01\x02\x03",
        udh=b"\x05\x00\x03\xab\x02\x01",
    )
    request = CreateBatch(batch=batch).build_request(SETTINGS)
    assert request.body == (
        b'{"type":"mt_binary","from":"Sinch","to":["46701234567"],'
        b'"body":"AAECAw==","udh":"050003ab0201"}'
    )


def test_long_binary_body_is_one_base64_line() -> None:
    batch = MtBatchBinarySmsCreate(recipients=["46701234567"], body=bytes(range(120)), udh=b"")
    body = CreateBatch(batch=batch).build_request(SETTINGS).body
    assert body is not None
    encoded = json.loads(body)["body"]
    assert len(encoded) == 160
    assert "\n" not in encoded
    assert encoded.startswith("AAECAwQFBgcICQoL")
    assert json.loads(body)["udh"] == ""


def test_every_common_field_is_written_once_in_order() -> None:
    batch = MtBatchTextSmsCreate(
        sender="12345",
        recipients=["46701234567"],
        body="x",
        delivery_report=ReportType.PER_RECIPIENT_FINAL,
        send_at=datetime(2016, 12, 20, 10, tzinfo=UTC),
        expire_at=datetime(2016, 12, 21, 10, tzinfo=UTC),
        callback_url="https://example.com/cb",
        client_reference="ref",
        feedback_enabled=False,
        from_ton=1,
        from_npi=0,
        flash_message=True,
        max_number_of_message_parts=2,
        truncate_concat=True,
        tags=["t"],
    )
    body = CreateBatch(batch=batch).build_request(SETTINGS).body
    assert body is not None
    assert list(json.loads(body)) == [
        "type",
        "from",
        "to",
        "body",
        "flash_message",
        "max_number_of_message_parts",
        "truncate_concat",
        "delivery_report",
        "send_at",
        "expire_at",
        "callback_url",
        "client_reference",
        "feedback_enabled",
        "from_ton",
        "from_npi",
        "tags",
    ]
    assert json.loads(body)["delivery_report"] == "per_recipient_final"


# --------------------------------------------------------------------------- dry run query


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [
        ({"num_recipients": 5}, [("per_recipient", "true"), ("number_of_recipients", "5")]),
        ({"per_recipient": True}, [("per_recipient", "true")]),
        ({}, []),
        ({"per_recipient": False, "num_recipients": 5}, [("number_of_recipients", "5")]),
        (
            {"per_recipient": True, "num_recipients": 1000},
            [("per_recipient", "true"), ("number_of_recipients", "1000")],
        ),
    ],
)
def test_dry_run_query(kwargs: dict[str, Any], query: list[tuple[str, str]]) -> None:
    request = CreateBatchDryRun(batch=TEXT, **kwargs).build_request(SETTINGS)
    path, actual = path_and_query(request)
    assert path == "/batches/dry_run"
    assert actual == query


# --------------------------------------------------------------------------- update semantics


WHEN = datetime(2017, 1, 2, 3, 4, 5, tzinfo=UTC)

COMMON_RESETTABLE = [
    ("sender", "from", "54321", "54321"),
    ("delivery_report", "delivery_report", ReportType.FULL, "full"),
    ("send_at", "send_at", WHEN, "2017-01-02T03:04:05.000Z"),
    ("expire_at", "expire_at", WHEN, "2017-01-02T03:04:05.000Z"),
    ("callback_url", "callback_url", "https://example.com/x", "https://example.com/x"),
    ("client_reference", "client_reference", "", ""),
    ("feedback_enabled", "feedback_enabled", False, False),
]

RESETTABLE = [
    *[(MtBatchTextSmsUpdate, *row) for row in COMMON_RESETTABLE],
    *[(MtBatchBinarySmsUpdate, *row) for row in COMMON_RESETTABLE],
    (
        MtBatchTextSmsUpdate,
        "parameters",
        "parameters",
        {"p": {"default": "v"}},
        {"p": {"default": "v"}},
    ),
    (MtBatchTextSmsUpdate, "parameters", "parameters", {}, {}),
]


@three_states(RESETTABLE)
def test_update_field_three_states(
    cls: type, attribute: str, key: str, value: object, encoded: object
) -> None:
    check_three_states(cls, attribute, key, value, encoded)


def test_empty_updates_carry_only_their_type() -> None:
    assert update_body(MtBatchTextSmsUpdate) == {"type": "mt_text"}
    assert update_body(MtBatchBinarySmsUpdate) == {"type": "mt_binary"}
    assert update_body(GroupUpdate) == {}
    request = UpdateGroup(group_id="g1", group=GroupUpdate()).build_request(SETTINGS)
    assert request.body == b"{}"


def test_binary_update_writes_base64_body_and_hex_udh() -> None:
    body = update_body(
        MtBatchBinarySmsUpdate,
        body=b"\xff\xfe",
        udh=b"\xab\xcd",
        recipient_insertions=["46701234567", "46701234567"],
        recipient_removals=["46709876543"],
    )
    assert body == {
        "type": "mt_binary",
        "to_add": ["46701234567"],
        "to_remove": ["46709876543"],
        "body": "//4=",
        "udh": "abcd",
    }
    assert update_body(MtBatchBinarySmsUpdate, body=b"", udh=b"") == {
        "type": "mt_binary",
        "body": "",
        "udh": "",
    }


def test_text_update_cannot_set_an_empty_body() -> None:
    # Protocol 4.2: a text body is required content; XMS refuses an empty one.
    with pytest.raises(ValueError, match="body: must not be empty"):
        MtBatchTextSmsUpdate(body="")


# --------------------------------------------------------------------------- decoding answers


def test_create_batch_reads_the_created_text_batch() -> None:
    result = exchange(CreateBatch(batch=TEXT), raw("batch_text.json"), status=201)
    assert isinstance(result, MtBatchTextSmsResult)
    assert result.batch_id == "5Z8QsIRsk86f-jHB"
    assert result.sender == "12345"
    assert result.recipients == ("46701234567", "46709876543")
    assert result.body == "Hi ${name}! Your code is ${code}."
    assert result.parameters == {
        "name": {"46701234567": "Joe", "default": "there"},
        "code": {"default": "1234"},
    }
    assert result.parameters["name"]["default"] == "there"
    assert result.delivery_report == ReportType.SUMMARY
    assert result.send_at == datetime(2016, 12, 20, 10, tzinfo=UTC)
    assert result.expire_at == datetime(2016, 12, 23, 10, tzinfo=UTC)
    assert result.callback_url == "https://example.com/dlr"
    assert result.client_reference == "order-42"
    assert result.feedback_enabled is True
    assert result.flash_message is False
    assert result.max_number_of_message_parts == 3
    assert result.truncate_concat is False
    assert result.created_at == datetime(2016, 12, 14, 8, 15, 29, 969000, tzinfo=UTC)
    assert result.modified_at == result.created_at
    assert result.canceled is False
    assert result.tags == ("tag1", "tag2")
    assert result.from_ton is None


def test_fetch_batch_reads_a_binary_batch() -> None:
    result = exchange(FetchBatch(batch_id="3SD49KIOW8lL1Z5E"), raw("batch_binary.json"))
    assert isinstance(result, MtBatchBinarySmsResult)
    assert result.batch_id == "3SD49KIOW8lL1Z5E"
    assert result.body == b"\x00\x01\x02\x03"
    assert result.udh == b"\x05\x00\x03\xab\x02\x01"
    assert result.recipients == ("987654321", "123456789")
    assert result.delivery_report == ReportType.NONE
    assert result.created_at == datetime(2016, 12, 1, 11, 3, 13, 192000, tzinfo=UTC)
    assert result.modified_at == datetime(2016, 12, 1, 11, 3, 13, tzinfo=UTC)
    assert result.tags == ()


def test_batch_answers_tolerate_base64_newline_and_missing_optional_fields() -> None:
    data = {"id": "b", "to": ["1"], "type": "mt_binary", "body": "AAECAw==\n", "udh": "ABCD"}
    result = exchange(FetchBatch(batch_id="b"), data)
    assert result.body == b"\x00\x01\x02\x03"
    assert result.udh == b"\xab\xcd"
    assert result.sender is None
    assert result.canceled is False
    assert result.created_at is None
    text = exchange(FetchBatch(batch_id="b"), {"id": "b", "to": [], "body": "untyped is text"})
    assert isinstance(text, MtBatchTextSmsResult)
    assert text.parameters == {}


@pytest.mark.parametrize("name", ["ReplaceBatch", "UpdateBatch"])
def test_replace_and_update_read_the_batch(name: str) -> None:
    result = exchange(CASES[name].command, raw("batch_text.json"))
    assert isinstance(result, MtBatchTextSmsResult)
    assert result.batch_id == "5Z8QsIRsk86f-jHB"


def test_cancel_batch_returns_the_cancelled_batch() -> None:
    result = exchange(CancelBatch(batch_id="5Z8QsIRsk86f-jHB"), raw("batch_canceled.json"))
    assert isinstance(result, MtBatchTextSmsResult)
    assert result.canceled is True
    assert result.modified_at == datetime(2016, 12, 14, 9, tzinfo=UTC)


def test_dry_run_reads_per_recipient_details() -> None:
    result = exchange(CASES["CreateBatchDryRun"].command, raw("dry_run.json"))
    assert isinstance(result, MtBatchDryRunResult)
    assert result.number_of_recipients == 2
    assert result.number_of_messages == 3
    assert result.number_of_message == 3
    assert result.per_recipient == (
        DryRunPerRecipient(recipient="987654321", number_of_parts=1, body="Hello", encoding="text"),
        DryRunPerRecipient(
            recipient="123456789",
            number_of_parts=2,
            body="Привет, очень длинное сообщение",
            encoding=DryRunPerRecipient.ENCODING_UNICODE,
        ),
    )
    plain = exchange(
        CreateBatchDryRun(batch=TEXT), {"number_of_recipients": 1, "number_of_messages": 1}
    )
    assert plain.per_recipient == ()


def test_fetch_batches_reads_a_page_of_mixed_batches() -> None:
    page = exchange(FetchBatches(page_size=2), raw("page_batches.json"))
    assert isinstance(page, Page)
    assert (page.page, page.size, page.total_size) == (0, 2, 7)
    assert len(page) == 2
    first, second = page
    assert isinstance(first, MtBatchTextSmsResult)
    assert isinstance(second, MtBatchBinarySmsResult)
    assert second.udh == b"\xff\xfe\xfd"
    assert second.canceled is True
    empty = exchange(FetchBatches(), {"count": 0, "page": 0, "page_size": 0})
    assert empty.content == ()
