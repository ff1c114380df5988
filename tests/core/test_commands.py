"""Every command of the core: the request it builds and how it reads each answer.

Pure tests: a command builds an `HttpRequest` from `Settings`, and reads an
`HttpResponse` built here from the realistic bodies in `tests/data/`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import attrs
import pytest

import xms_core
from xms_core import (
    USER_AGENT,
    CancelBatch,
    CreateBatch,
    CreateBatchDryRun,
    CreateGroup,
    DeleteGroup,
    FetchBatch,
    FetchBatches,
    FetchBatchTags,
    FetchDeliveryReport,
    FetchDeliveryReports,
    FetchGroup,
    FetchGroupMembers,
    FetchGroups,
    FetchGroupTags,
    FetchInbound,
    FetchInbounds,
    FetchRecipientDeliveryReport,
    HttpRequest,
    HttpResponse,
    Page,
    ReplaceBatch,
    ReplaceBatchTags,
    ReplaceGroup,
    ReplaceGroupTags,
    SendDeliveryFeedback,
    Settings,
    UpdateBatch,
    UpdateBatchTags,
    UpdateGroup,
    UpdateGroupTags,
    classify,
)
from xms_core.api import (
    RESET,
    BatchDeliveryReport,
    BatchRecipientDeliveryReport,
    DeliveryReportType,
    DeliveryStatus,
    DryRunPerRecipient,
    Error,
    GroupAutoUpdate,
    GroupCreate,
    GroupResult,
    GroupUpdate,
    MoBinarySms,
    MoTextSms,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsResult,
    MtBatchBinarySmsUpdate,
    MtBatchDryRunResult,
    MtBatchTextSmsCreate,
    MtBatchTextSmsResult,
    MtBatchTextSmsUpdate,
    ReportType,
)
from xms_core.exceptions import (
    ApiException,
    ErrorResponseException,
    NotFoundException,
    TooManyRequestsException,
    UnauthorizedException,
    UnexpectedResponseException,
)

DATA = Path(__file__).parent.parent / "data"
UTC = timezone.utc
CET = timezone(timedelta(hours=1))
TOKEN = "s3cr3t-T0ken_value"
PLAN = "plan-1"
HOST = "xms.example.test"
SETTINGS = Settings(service_plan_id=PLAN, token=TOKEN, endpoint=f"https://{HOST}/xms")
PREFIX = f"/xms/v1/{PLAN}"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_bytes())


def raw(name: str) -> bytes:
    return (DATA / name).read_bytes()


def answer(
    body: object, status: int = 200, content_type: str | None = "application/json"
) -> HttpResponse:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = [("Content-Type", content_type)] if content_type is not None else []
    return HttpResponse(status=status, headers=headers, body=data)


def path_and_query(request: HttpRequest) -> tuple[str, list[tuple[str, str]]]:
    url = urlsplit(request.url)
    assert url.scheme == "https"
    assert url.netloc == HOST
    assert url.path.startswith(PREFIX + "/")
    return url.path[len(PREFIX) :], parse_qsl(url.query, keep_blank_values=True)


def exchange(command: Any, body: object, status: int = 200) -> Any:
    request = command.build_request(SETTINGS)
    return command.parse_response(request, answer(body, status))


# --------------------------------------------------------------------------- sample values

TEXT = MtBatchTextSmsCreate(
    sender="12345",
    recipients=["46701234567", "46709876543"],
    body="Hi ${name}!",
    parameters={"name": {"46701234567": "Joe", "default": "there"}},
    delivery_report=ReportType.SUMMARY,
    send_at=datetime(2016, 12, 20, 11, 0, tzinfo=CET),
    callback_url="https://example.com/dlr",
)
TEXT_JSON = {
    "type": "mt_text",
    "from": "12345",
    "to": ["46701234567", "46709876543"],
    "body": "Hi ${name}!",
    "parameters": {"name": {"46701234567": "Joe", "default": "there"}},
    "delivery_report": "summary",
    "send_at": "2016-12-20T10:00:00.000Z",
    "callback_url": "https://example.com/dlr",
}
BINARY = MtBatchBinarySmsCreate(
    recipients=["987654321", "123456789"],
    body=b"\x00\x01\x02\x03",
    udh=b"\x05\x00\x03\xab\x02\x01",
)
BINARY_JSON = {
    "type": "mt_binary",
    "to": ["987654321", "123456789"],
    "body": "AAECAw==",
    "udh": "050003ab0201",
}
RULE = GroupAutoUpdate(
    recipient="54321",
    add_first_word="Sinch",
    add_second_word="Join",
    remove_first_word="SINCH",
)
GROUP = GroupCreate(
    name="my group",
    members=["46701234567", "46709876543", "46701234567"],
    child_groups=["ChildGrp01"],
    auto_update=RULE,
    tags=["t1"],
)
GROUP_JSON = {
    "name": "my group",
    "members": ["46701234567", "46709876543"],
    "child_groups": ["ChildGrp01"],
    "auto_update": {
        "to": "54321",
        "add": {"first_word": "Sinch", "second_word": "Join"},
        "remove": {"first_word": "SINCH"},
    },
    "tags": ["t1"],
}


class Case(NamedTuple):
    command: Any
    method: str
    path: str
    query: list[tuple[str, str]]
    body: object


CASES = {
    "CreateBatch": Case(CreateBatch(batch=TEXT), "POST", "/batches", [], TEXT_JSON),
    "CreateBatch-binary": Case(CreateBatch(batch=BINARY), "POST", "/batches", [], BINARY_JSON),
    "CreateBatchDryRun": Case(
        CreateBatchDryRun(batch=TEXT, num_recipients=10),
        "POST",
        "/batches/dry_run",
        [("per_recipient", "true"), ("number_of_recipients", "10")],
        TEXT_JSON,
    ),
    "ReplaceBatch": Case(
        ReplaceBatch(batch_id="a b+c", batch=BINARY), "PUT", "/batches/a%20b%2Bc", [], BINARY_JSON
    ),
    "UpdateBatch": Case(
        UpdateBatch(
            batch_id="5Z8QsIRsk86f-jHB", batch=MtBatchTextSmsUpdate(body="hello", send_at=RESET)
        ),
        "POST",
        "/batches/5Z8QsIRsk86f-jHB",
        [],
        {"type": "mt_text", "body": "hello", "send_at": None},
    ),
    "CancelBatch": Case(
        CancelBatch(batch_id="5Z8QsIRsk86f-jHB"), "DELETE", "/batches/5Z8QsIRsk86f-jHB", [], None
    ),
    "FetchBatch": Case(
        FetchBatch(batch_id="!-@$^&*"), "GET", "/batches/%21-%40%24%5E%26%2A", [], None
    ),
    "FetchBatches": Case(
        FetchBatches(
            page=2,
            page_size=50,
            senders=["12345", "98765", "12345"],
            tags=["tag1", "tag2"],
            start_date=date(2016, 12, 1),
            end_date=datetime(2016, 12, 2, 1, 0, tzinfo=CET),
            client_reference="ref 1",
        ),
        "GET",
        "/batches",
        [
            ("page", "2"),
            ("page_size", "50"),
            ("from", "12345,98765"),
            ("tags", "tag1,tag2"),
            ("start_date", "2016-12-01"),
            ("end_date", "2016-12-02T00:00:00.000Z"),
            ("client_reference", "ref 1"),
        ],
        None,
    ),
    "FetchBatchTags": Case(FetchBatchTags(batch_id="b1"), "GET", "/batches/b1/tags", [], None),
    "ReplaceBatchTags": Case(
        ReplaceBatchTags(batch_id="b1", tags=["tag2", "tag1", "tag2"]),
        "PUT",
        "/batches/b1/tags",
        [],
        {"tags": ["tag2", "tag1"]},
    ),
    "UpdateBatchTags": Case(
        UpdateBatchTags(batch_id="b1", tags_to_remove=["foo"]),
        "POST",
        "/batches/b1/tags",
        [],
        {"add": [], "remove": ["foo"]},
    ),
    "FetchDeliveryReport": Case(
        FetchDeliveryReport(
            batch_id="b1",
            kind=DeliveryReportType.FULL,
            status=[DeliveryStatus.DELIVERED, "Failed"],
            code=[0, 11, 400],
            client_reference="order-42",
        ),
        "GET",
        "/batches/b1/delivery_report",
        [
            ("type", "full"),
            ("status", "Delivered,Failed"),
            ("code", "0,11,400"),
            ("client_reference", "order-42"),
        ],
        None,
    ),
    "FetchRecipientDeliveryReport": Case(
        FetchRecipientDeliveryReport(batch_id="b1", recipient="+46701234567"),
        "GET",
        "/batches/b1/delivery_report/%2B46701234567",
        [],
        None,
    ),
    "FetchDeliveryReports": Case(
        FetchDeliveryReports(
            page=1,
            page_size=100,
            start_date=datetime(2022, 10, 2, 9, 34, 18, 542000, tzinfo=UTC),
            end_date=date(2022, 10, 3),
            status=["Delivered", "Failed"],
            code=[0, 11],
            client_reference="order-42",
        ),
        "GET",
        "/delivery_reports",
        [
            ("page", "1"),
            ("page_size", "100"),
            ("start_date", "2022-10-02T09:34:18.542Z"),
            ("end_date", "2022-10-03"),
            ("status", "Delivered,Failed"),
            ("code", "0,11"),
            ("client_reference", "order-42"),
        ],
        None,
    ),
    "SendDeliveryFeedback": Case(
        SendDeliveryFeedback(batch_id="b1", recipients=["+15551231234", "+15551231235"]),
        "POST",
        "/batches/b1/delivery_feedback",
        [],
        {"recipients": ["+15551231234", "+15551231235"]},
    ),
    "CreateGroup": Case(CreateGroup(group=GROUP), "POST", "/groups", [], GROUP_JSON),
    "FetchGroup": Case(FetchGroup(group_id="g 1"), "GET", "/groups/g%201", [], None),
    "FetchGroups": Case(
        FetchGroups(page=3, page_size=10, tags=["a", "b"]),
        "GET",
        "/groups",
        [("page", "3"), ("page_size", "10"), ("tags", "a,b")],
        None,
    ),
    "FetchGroupMembers": Case(
        FetchGroupMembers(group_id="g1"), "GET", "/groups/g1/members", [], None
    ),
    "FetchGroupTags": Case(FetchGroupTags(group_id="g1"), "GET", "/groups/g1/tags", [], None),
    "ReplaceGroupTags": Case(
        ReplaceGroupTags(group_id="g1", tags=[]), "PUT", "/groups/g1/tags", [], {"tags": []}
    ),
    "UpdateGroupTags": Case(
        UpdateGroupTags(group_id="g1", tags_to_add=["x"], tags_to_remove=["y"]),
        "POST",
        "/groups/g1/tags",
        [],
        {"add": ["x"], "remove": ["y"]},
    ),
    "ReplaceGroup": Case(
        ReplaceGroup(group_id="g1", group=GROUP), "PUT", "/groups/g1", [], GROUP_JSON
    ),
    "UpdateGroup": Case(
        UpdateGroup(
            group_id="g1",
            group=GroupUpdate(
                name=RESET,
                member_insertions=["46701234567"],
                member_removals=["46709876543"],
                child_group_insertions=["ChildGrp02"],
                child_group_removals=["ChildGrp01"],
                add_from_group="SourceGrp02",
                remove_from_group="SourceGrp03",
                auto_update=GroupAutoUpdate(
                    recipient="12345", remove_first_word="club", remove_second_word="stop"
                ),
            ),
        ),
        "POST",
        "/groups/g1",
        [],
        {
            "name": None,
            "add": ["46701234567"],
            "remove": ["46709876543"],
            "child_groups_add": ["ChildGrp02"],
            "child_groups_remove": ["ChildGrp01"],
            "add_from_group": "SourceGrp02",
            "remove_from_group": "SourceGrp03",
            "auto_update": {
                "to": "12345",
                "remove": {"first_word": "club", "second_word": "stop"},
            },
        },
    ),
    "DeleteGroup": Case(DeleteGroup(group_id="g1"), "DELETE", "/groups/g1", [], None),
    "FetchInbound": Case(
        FetchInbound(inbound_id="b88b4cee-168f-4721-bbf9-cd748dd93b60"),
        "GET",
        "/inbounds/b88b4cee-168f-4721-bbf9-cd748dd93b60",
        [],
        None,
    ),
    "FetchInbounds": Case(
        FetchInbounds(
            recipients=["23456", "8654"],
            start_date=date(2016, 12, 1),
            end_date=date(2016, 12, 2),
            client_reference="r",
        ),
        "GET",
        "/inbounds",
        [
            ("page", "0"),
            ("to", "23456,8654"),
            ("start_date", "2016-12-01"),
            ("end_date", "2016-12-02"),
            ("client_reference", "r"),
        ],
        None,
    ),
}

COMMAND_CLASSES = {
    name
    for name in xms_core.__all__
    if isinstance(getattr(xms_core, name), type)
    and hasattr(getattr(xms_core, name), "build_request")
    and name != "Command"
}
NO_BODY_COMMANDS = {"SendDeliveryFeedback", "DeleteGroup"}


# --------------------------------------------------------------------------- requests


def test_cases_cover_every_command() -> None:
    assert len(COMMAND_CLASSES) == 26
    assert {type(case.command).__name__ for case in CASES.values()} == COMMAND_CLASSES


@pytest.mark.parametrize("name", sorted(CASES))
def test_request_line_query_and_body(name: str) -> None:
    case = CASES[name]
    request = case.command.build_request(SETTINGS)
    assert request.method == case.method
    assert case.command.method == case.method
    path, query = path_and_query(request)
    assert path == case.path
    assert query == case.query
    if case.body is None:
        assert request.body is None
    else:
        assert request.body is not None
        assert json.loads(request.body) == case.body


@pytest.mark.parametrize("name", sorted(CASES))
def test_headers_carry_token_and_content_type_only_with_a_body(name: str) -> None:
    case = CASES[name]
    request = case.command.build_request(SETTINGS)
    common = (
        ("authorization", f"Bearer {TOKEN}"),
        ("accept", "application/json"),
        ("user-agent", USER_AGENT),
    )
    if case.body is None:
        assert request.headers == common
        assert request.header("Content-Type") is None
    else:
        assert request.headers == (*common, ("content-type", "application/json"))
    assert TOKEN not in repr(request)


def test_build_request_is_pure_and_deterministic() -> None:
    for case in CASES.values():
        assert case.command.build_request(SETTINGS) == case.command.build_request(SETTINGS)


def test_filters_are_comma_joined_and_form_encoded() -> None:
    request = CASES["FetchDeliveryReport"].command.build_request(SETTINGS)
    assert request.url == (
        f"https://{HOST}{PREFIX}/batches/b1/delivery_report"
        "?type=full&status=Delivered%2CFailed&code=0%2C11%2C400&client_reference=order-42"
    )


def test_endpoint_trailing_slash_and_plan_id_are_normalised() -> None:
    settings = Settings(service_plan_id="my plan", token=TOKEN, endpoint=f"https://{HOST}/xms/")
    request = FetchBatch(batch_id="b1").build_request(settings)
    assert request.url == f"https://{HOST}/xms/v1/my%20plan/batches/b1"


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
    (GroupUpdate, "name", "name", "new name", "new name"),
    (GroupUpdate, "auto_update", "auto_update", GroupAutoUpdate(recipient="1"), {"to": "1"}),
]


def _update_body(cls: type, **fields: Any) -> dict[str, Any]:
    value = cls(**fields)
    if cls is GroupUpdate:
        command: Any = UpdateGroup(group_id="g1", group=value)
    else:
        command = UpdateBatch(batch_id="b1", batch=value)
    body = command.build_request(SETTINGS).body
    assert body is not None
    result: dict[str, Any] = json.loads(body)
    return result


@pytest.mark.parametrize(
    ("cls", "attribute", "key", "value", "encoded"),
    RESETTABLE,
    ids=[f"{row[0].__name__}.{row[1]}" for row in RESETTABLE],
)
def test_update_field_three_states(
    cls: type, attribute: str, key: str, value: object, encoded: object
) -> None:
    kept = _update_body(cls)
    assert key not in kept
    assert _update_body(cls, **{attribute: None}) == kept
    reset = _update_body(cls, **{attribute: RESET})
    assert key in reset
    assert reset[key] is None
    assert _update_body(cls, **{attribute: value}) == {**kept, key: encoded}


def test_empty_updates_carry_only_their_type() -> None:
    assert _update_body(MtBatchTextSmsUpdate) == {"type": "mt_text"}
    assert _update_body(MtBatchBinarySmsUpdate) == {"type": "mt_binary"}
    assert _update_body(GroupUpdate) == {}
    request = UpdateGroup(group_id="g1", group=GroupUpdate()).build_request(SETTINGS)
    assert request.body == b"{}"


def test_binary_update_writes_base64_body_and_hex_udh() -> None:
    body = _update_body(
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
    assert _update_body(MtBatchBinarySmsUpdate, body=b"", udh=b"") == {
        "type": "mt_binary",
        "body": "",
        "udh": "",
    }


def test_text_update_cannot_set_an_empty_body() -> None:
    # Protocol 4.2: a text body is required content; XMS refuses an empty one.
    with pytest.raises(ValueError, match="body: must not be empty"):
        MtBatchTextSmsUpdate(body="")


def test_update_of_a_group_with_only_add_words() -> None:
    rule = GroupAutoUpdate(recipient="1", add_first_word="a")
    assert _update_body(GroupUpdate, auto_update=rule) == {
        "auto_update": {"to": "1", "add": {"first_word": "a"}}
    }


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


@pytest.mark.parametrize("name", ["FetchBatchTags", "ReplaceBatchTags", "UpdateBatchTags"])
def test_batch_tag_commands_read_tags(name: str) -> None:
    assert exchange(CASES[name].command, raw("tags.json")) == ("tag1", "tag2", "таг")


@pytest.mark.parametrize("name", ["FetchGroupTags", "ReplaceGroupTags", "UpdateGroupTags"])
def test_group_tag_commands_read_tags(name: str) -> None:
    assert exchange(CASES[name].command, raw("tags.json")) == ("tag1", "tag2", "таг")
    assert exchange(CASES[name].command, {"tags": []}) == ()


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


@pytest.mark.parametrize("name", ["CreateGroup", "FetchGroup", "ReplaceGroup", "UpdateGroup"])
def test_group_commands_read_the_group(name: str) -> None:
    group = exchange(CASES[name].command, raw("group.json"))
    assert group == GroupResult(
        group_id="4cldmgEdAcBfcHW3",
        name="my group",
        size=2,
        child_groups=("cg1", "cg2"),
        auto_update=GroupAutoUpdate(
            recipient="54321",
            add_first_word="Sinch",
            add_second_word="Join",
            remove_first_word="SINCH",
            remove_second_word="leave",
        ),
        created_at=datetime(2016, 12, 8, 12, 38, 19, 962000, tzinfo=UTC),
        modified_at=datetime(2016, 12, 10, 8, tzinfo=UTC),
    )
    assert group.auto_update is not None
    assert group.auto_update.add_word_pair == ("Sinch", "Join")
    assert group.auto_update.remove_word_pair == ("SINCH", "leave")


def test_minimal_group_answer() -> None:
    group = exchange(FetchGroup(group_id="g"), {"id": "g"})
    assert group == GroupResult(group_id="g")


def test_fetch_groups_reads_empty_word_objects() -> None:
    page = exchange(FetchGroups(page=2, page_size=1), raw("page_groups.json"))
    assert (page.page, page.size, page.total_size) == (2, 1, 8)
    (group,) = page.content
    assert group.auto_update == GroupAutoUpdate(recipient="12345")
    assert group.auto_update.add_word_pair == (None, None)
    assert group.child_groups == ()


def test_group_members_are_a_bare_array() -> None:
    members = exchange(FetchGroupMembers(group_id="g1"), raw("group_members.json"))
    assert members == ("123456789", "987654321", "+46701234567")


@pytest.mark.parametrize(("status", "body"), [(200, b""), (204, b""), (200, b"{}")])
def test_delete_group_returns_none(status: int, body: bytes) -> None:
    command = DeleteGroup(group_id="g1")
    request = command.build_request(SETTINGS)
    assert command.parse_response(request, HttpResponse(status=status, body=body)) is None


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


def test_any_2xx_status_is_success() -> None:
    for status in (200, 201, 202, 299):
        assert exchange(FetchBatchTags(batch_id="b"), {"tags": ["a"]}, status=status) == ("a",)


def test_missing_content_type_is_read_as_json() -> None:
    command = FetchBatchTags(batch_id="b")
    request = command.build_request(SETTINGS)
    response = HttpResponse(status=200, body=b'{"tags":["a"]}')
    assert command.parse_response(request, response) == ("a",)
    charset = answer({"tags": []}, content_type="application/json; charset=utf-8")
    assert command.parse_response(request, charset) == ()


# --------------------------------------------------------------------------- error statuses


def _raises(name: str, response: HttpResponse) -> tuple[HttpRequest, ApiException]:
    command = CASES[name].command
    request = command.build_request(SETTINGS)
    with pytest.raises(ApiException) as info:
        command.parse_response(request, response)
    return request, info.value


ALL = sorted(CASES)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    ("status", "fixture", "code", "text"),
    [
        (400, "error_a.json", "syntax_constraint_violation", "The body must not be empty"),
        (
            403,
            "error_forbidden.json",
            "batch_already_dispatched",
            "Batch 5Z8QsIRsk86f-jHB has already been dispatched",
        ),
        (400, "error_b.json", "Bad Request", "Bad Request"),
        (400, "error_c.json", "INVALID_ARGUMENT", "Invalid argument: to"),
        (403, "error_c.json", "INVALID_ARGUMENT", "Invalid argument: to"),
    ],
)
def test_error_object_statuses(name: str, status: int, fixture: str, code: str, text: str) -> None:
    _, error = _raises(name, answer(raw(fixture), status))
    assert type(error) is ErrorResponseException
    assert error.error_code == code
    assert error.text == text
    assert error.status == status
    assert error.error == Error(code=code, text=text)
    assert error.args == (text, code)
    assert code in str(error)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    "body", [b"", b"<html>Bad Request</html>", b"[1,2]", b'{"message":"no code"}', b'{"code":5}']
)
def test_400_without_error_object_is_unexpected(name: str, body: bytes) -> None:
    _, error = _raises(name, answer(body, 400))
    assert type(error) is UnexpectedResponseException
    assert error.status == 400
    assert error.http_body == body.decode()


def test_error_object_with_odd_fields_keeps_what_it_can() -> None:
    _, error = _raises("FetchBatch", answer({"code": "x", "text": 5}, 400))
    assert isinstance(error, ErrorResponseException)
    assert (error.error_code, error.text) == ("x", "")
    _, error = _raises("FetchBatch", answer({"error": {"code": 403, "message": 7}}, 403))
    assert isinstance(error, ErrorResponseException)
    assert (error.error_code, error.text) == ("403", "")
    _, error = _raises("FetchBatch", answer({"error": "Forbidden", "message": "no"}, 403))
    assert isinstance(error, ErrorResponseException)
    assert (error.error_code, error.text) == ("Forbidden", "no")


@pytest.mark.parametrize("name", ALL)
def test_401_is_unauthorized_and_never_shows_the_token(name: str) -> None:
    body = json.dumps({"code": "unauthorized", "text": f"bad token {TOKEN}"}).encode()
    _, error = _raises(name, answer(body, 401))
    assert type(error) is UnauthorizedException
    assert error.service_plan_id == PLAN
    assert error.token == "<redacted>"
    for shown in (str(error), repr(error), repr(error.args), repr(vars(error))):
        assert TOKEN not in shown
    assert PLAN in str(error)


def test_401_names_a_plan_that_needed_encoding() -> None:
    settings = Settings(service_plan_id="my plan+1", token=TOKEN, endpoint="https://h.test/api")
    command = FetchBatch(batch_id="b")
    request = command.build_request(settings)
    with pytest.raises(UnauthorizedException) as info:
        command.parse_response(request, HttpResponse(status=401))
    assert info.value.service_plan_id == "my plan+1"


@pytest.mark.parametrize("name", ALL)
def test_404_is_not_found_with_the_url(name: str) -> None:
    request, error = _raises(name, answer(b'{"code":"not_found","text":"no"}', 404))
    assert type(error) is NotFoundException
    assert error.url == request.url
    assert request.url in str(error)
    assert TOKEN not in str(error)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b"Internal Server Error"),
        (503, b""),
        (405, b"Method Not Allowed"),
        (407, b"Proxy Authentication Required"),
        (415, b""),
        (302, b""),
        (100, b""),
    ],
)
def test_other_statuses_are_unexpected_with_the_body(name: str, status: int, body: bytes) -> None:
    _, error = _raises(name, answer(body, status))
    assert type(error) is UnexpectedResponseException
    assert error.status == status
    assert error.http_body == body.decode()
    assert str(status) in str(error)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(("retry_after", "seconds"), [("7", 7.0), (None, None), ("soon", None)])
def test_429_is_too_many_requests_with_retry_after(
    name: str, retry_after: str | None, seconds: float | None
) -> None:
    body = b'{"code":"too_many_requests","text":"slow down"}'
    headers = [] if retry_after is None else [("retry-after", retry_after)]
    response = HttpResponse(status=429, headers=headers, body=body)
    _, error = _raises(name, response)
    assert type(error) is TooManyRequestsException
    assert isinstance(error, UnexpectedResponseException)
    assert error.status == 429
    assert error.retry_after == seconds
    assert error.http_body == body.decode()
    assert "429" in str(error)


def test_a_proxy_407_is_named() -> None:
    _, error = _raises("FetchBatch", answer(b"", 407))
    assert "407 Proxy Authentication Required" in str(error)


def test_unexpected_body_is_shortened_in_the_message_only() -> None:
    body = b"x" * 5000
    _, error = _raises("FetchBatch", answer(body, 500))
    assert isinstance(error, UnexpectedResponseException)
    assert error.http_body == "x" * 5000
    assert len(str(error)) < 400
    assert "5000 characters" in str(error)


def test_undecodable_error_body_is_replaced_not_raised() -> None:
    _, error = _raises("FetchBatch", answer(b"\xff\xfe oops", 502))
    assert isinstance(error, UnexpectedResponseException)
    assert error.http_body == "\ufffd\ufffd oops"


def test_401_on_a_url_without_a_plan_names_no_plan() -> None:
    request = HttpRequest(method="GET", url="https://h.test/status")
    with pytest.raises(UnauthorizedException) as info:
        classify(request, HttpResponse(status=401))
    assert info.value.service_plan_id == ""


def test_settings_url_of_the_plan_itself() -> None:
    assert SETTINGS.url() == f"https://{HOST}{PREFIX}"
    assert SETTINGS.url("a/b", query=[("q", "x y")]) == f"https://{HOST}{PREFIX}/a%2Fb?q=x+y"


def test_classify_accepts_2xx_only() -> None:
    request = FetchBatch(batch_id="b").build_request(SETTINGS)
    classify(request, HttpResponse(status=200))
    with pytest.raises(UnexpectedResponseException):
        classify(request, HttpResponse(status=300))


# --------------------------------------------------------------------------- malformed 2xx

JSON_COMMANDS = sorted(set(CASES) - NO_BODY_COMMANDS)


@pytest.mark.parametrize("name", JSON_COMMANDS)
@pytest.mark.parametrize(
    ("body", "content_type", "hint"),
    [
        (b"<html>oops</html>", "application/json", "not valid JSON"),
        (b"", None, "not valid JSON"),
        (b'{"tags": [', "application/json", "not valid JSON"),
        (b"\xff\xfe\x00", "application/json", "not valid JSON"),
        (b"[" * 100_000, "application/json", "not valid JSON"),
        (b'{"tags": []}', "text/html", "content-type 'text/html'"),
        (b"42", "application/json", "malformed answer"),
        (b"null", "application/json", "malformed answer"),
        (b'"a string"', "application/json", "malformed answer"),
    ],
)
def test_unreadable_success_is_unexpected(
    name: str, body: bytes, content_type: str | None, hint: str
) -> None:
    _, error = _raises(name, answer(body, 200, content_type))
    assert type(error) is UnexpectedResponseException
    assert error.status == 200
    assert error.http_body == body.decode("utf-8", "replace")
    assert hint in str(error)


@pytest.mark.parametrize("name", JSON_COMMANDS)
def test_wrong_json_shape_is_unexpected(name: str) -> None:
    wrong = {"id": "x"} if name == "FetchGroupMembers" else ["not", "an", "object"]
    _, error = _raises(name, answer(wrong, 201))
    assert type(error) is UnexpectedResponseException
    assert error.status == 201
    assert "expected" in str(error)


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def _batch_page(item: dict[str, Any]) -> dict[str, Any]:
    return {"count": 1, "page": 0, "page_size": 1, "batches": [item]}


BATCH = load("batch_text.json")
BINARY_BATCH = load("batch_binary.json")
SUMMARY = load("delivery_report_summary.json")
RECIPIENT_DR = load("recipient_delivery_report.json")
GROUP_ANSWER = load("group.json")
MO_TEXT = load("mo_text.json")
MO_BINARY = load("mo_binary.json")

MALFORMED: list[tuple[str, object, str]] = [
    # batches: missing and ill-typed fields, bad codecs, unknown type
    ("FetchBatch", _without(BATCH, "id"), "'id'"),
    ("FetchBatch", _without(BATCH, "to"), "to: expected"),
    ("FetchBatch", _without(BATCH, "body"), "'body'"),
    ("FetchBatch", {**BATCH, "id": 17}, "'id'"),
    ("FetchBatch", {**BATCH, "to": "46701234567"}, "to: expected"),
    ("FetchBatch", {**BATCH, "to": [46701234567]}, "to: expected"),
    ("FetchBatch", {**BATCH, "canceled": "False"}, "'canceled'"),
    ("FetchBatch", {**BATCH, "from": ["12345"]}, "'from'"),
    ("FetchBatch", {**BATCH, "send_at": "2016-12-05T16:24:23318Z"}, "2016-12-05T16:24:23318Z"),
    ("FetchBatch", {**BATCH, "created_at": 1481703329}, "'created_at'"),
    ("FetchBatch", {**BATCH, "parameters": ["name"]}, "parameters"),
    ("FetchBatch", {**BATCH, "parameters": {"name": "Joe"}}, "'name'"),
    ("FetchBatch", {**BATCH, "parameters": {"name": {"default": 1}}}, "'name'"),
    ("FetchBatch", {**BATCH, "max_number_of_message_parts": 1.5}, "max_number_of_message_parts"),
    ("FetchBatch", {**BATCH, "tags": [1]}, "tags: expected"),
    ("FetchBatch", {**BATCH, "type": "mt_media"}, "'mt_media'"),
    ("CreateBatch", {**BATCH, "type": "mt_future"}, "'mt_future'"),
    ("FetchBatch", {**BINARY_BATCH, "body": "not base64!"}, "Base64"),
    ("FetchBatch", {**BINARY_BATCH, "body": "AAECAw="}, "Base64"),
    ("FetchBatch", {**BINARY_BATCH, "udh": "xyz"}, "hex"),
    ("FetchBatch", {**BINARY_BATCH, "udh": "abc"}, "hex"),
    ("FetchBatch", _without(BINARY_BATCH, "udh"), "'udh'"),
    ("CancelBatch", {**BATCH, "modified_at": "yesterday"}, "yesterday"),
    ("ReplaceBatch", {**BATCH, "expire_at": "2016-13-45T10:00:00Z"}, "2016-13-45"),
    ("UpdateBatch", {**BATCH, "feedback_enabled": 1}, "'feedback_enabled'"),
    # dry run
    ("CreateBatchDryRun", {"number_of_recipients": 2}, "number_of_messages"),
    ("CreateBatchDryRun", {"number_of_recipients": "two", "number_of_messages": 2}, "recipients"),
    ("CreateBatchDryRun", {**load("dry_run.json"), "per_recipient": {}}, "per_recipient"),
    ("CreateBatchDryRun", {**load("dry_run.json"), "per_recipient": [1]}, "per_recipient"),
    (
        "CreateBatchDryRun",
        {"number_of_recipients": 1, "number_of_messages": 1, "per_recipient": [{"body": "x"}]},
        "'recipient'",
    ),
    # pages
    ("FetchBatches", _without(_batch_page(BATCH), "count"), "'count'"),
    ("FetchBatches", {**_batch_page(BATCH), "page": "first"}, "'page'"),
    ("FetchBatches", {**_batch_page(BATCH), "batches": {}}, "'batches'"),
    ("FetchBatches", _batch_page({**BATCH, "type": "mt_media"}), "'mt_media'"),
    ("FetchGroups", {"count": 1, "page": 0, "page_size": 1, "groups": [{}]}, "'id'"),
    ("FetchInbounds", {"count": 1, "page": 0, "page_size": 1, "inbounds": [None]}, "object"),
    (
        "FetchDeliveryReports",
        {"count": 1, "page": 0, "page_size": 1, "delivery_reports": [SUMMARY]},
        "'delivery_report_sms'",
    ),
    # tags and members
    ("FetchBatchTags", {"tags": "tag1"}, "tags: expected"),
    ("ReplaceBatchTags", {}, "tags: expected"),
    ("UpdateBatchTags", {"tags": [None]}, "tags: expected"),
    ("FetchGroupTags", {"tags": [1, 2]}, "tags: expected"),
    ("ReplaceGroupTags", {"tag": []}, "tags: expected"),
    ("UpdateGroupTags", {"tags": {"a": 1}}, "tags: expected"),
    ("FetchGroupMembers", [1, 2], "members"),
    ("FetchGroupMembers", {"members": []}, "members"),
    # delivery reports
    ("FetchDeliveryReport", {**SUMMARY, "type": "delivery_report_xyz"}, "'delivery_report_xyz'"),
    ("FetchDeliveryReport", _without(SUMMARY, "type"), "'type'"),
    ("FetchDeliveryReport", _without(SUMMARY, "total_message_count"), "total_message_count"),
    ("FetchDeliveryReport", {**SUMMARY, "statuses": {}}, "'statuses'"),
    ("FetchDeliveryReport", {**SUMMARY, "statuses": [{"code": 0}]}, "'status'"),
    (
        "FetchDeliveryReport",
        {**SUMMARY, "statuses": [{"code": 0, "status": "x", "count": 1, "recipients": "a"}]},
        "'recipients'",
    ),
    (
        "FetchRecipientDeliveryReport",
        {**RECIPIENT_DR, "type": "recipient_delivery_report_fax"},
        "'recipient_delivery_report_fax'",
    ),
    ("FetchRecipientDeliveryReport", _without(RECIPIENT_DR, "at"), "'at'"),
    ("FetchRecipientDeliveryReport", {**RECIPIENT_DR, "at": "2016-12-05T16:24:23318Z"}, "23318"),
    ("FetchRecipientDeliveryReport", {**RECIPIENT_DR, "code": "eleven"}, "'code'"),
    ("FetchRecipientDeliveryReport", {**RECIPIENT_DR, "code": True}, "'code'"),
    ("FetchRecipientDeliveryReport", {**RECIPIENT_DR, "code": "--1"}, "'code'"),
    ("FetchRecipientDeliveryReport", {**RECIPIENT_DR, "at": "2016-12-05T16:24:23+99:00"}, "at: "),
    ("FetchRecipientDeliveryReport", {**RECIPIENT_DR, "operator": 31101}, "'operator'"),
    # groups
    ("CreateGroup", _without(GROUP_ANSWER, "id"), "'id'"),
    ("FetchGroup", {**GROUP_ANSWER, "size": "many"}, "'size'"),
    ("ReplaceGroup", {**GROUP_ANSWER, "child_groups": "ChildGrp01"}, "child_groups"),
    ("UpdateGroup", {**GROUP_ANSWER, "auto_update": "string"}, "auto_update"),
    ("FetchGroup", {**GROUP_ANSWER, "auto_update": {"add": {}}}, "'to'"),
    ("FetchGroup", {**GROUP_ANSWER, "auto_update": {"to": "1", "add": "Join"}}, "'add'"),
    ("FetchGroup", {**GROUP_ANSWER, "created_at": "12/08/2016"}, "12/08/2016"),
    # inbounds
    ("FetchInbound", {**MO_TEXT, "type": "mo_media"}, "'mo_media'"),
    ("FetchInbound", _without(MO_TEXT, "type"), "'type'"),
    ("FetchInbound", _without(MO_TEXT, "from"), "'from'"),
    ("FetchInbound", {**MO_TEXT, "to": ["12345"]}, "'to'"),
    ("FetchInbound", _without(MO_TEXT, "received_at"), "'received_at'"),
    ("FetchInbound", {**MO_TEXT, "sent_at": "soon"}, "soon"),
    ("FetchInbound", {**MO_TEXT, "operator_id": 24001}, "'operator_id'"),
    ("FetchInbound", {**MO_BINARY, "body": "%%%"}, "Base64"),
    ("FetchInbound", {**MO_BINARY, "udh": "0g"}, "hex"),
    ("FetchInbound", _without(MO_BINARY, "udh"), "'udh'"),
]


@pytest.mark.parametrize(
    ("name", "data", "hint"), MALFORMED, ids=[f"{i}-{row[0]}" for i, row in enumerate(MALFORMED)]
)
def test_malformed_answer_is_unexpected_and_says_why(name: str, data: object, hint: str) -> None:
    body = json.dumps(data).encode()
    _, error = _raises(name, answer(body, 200))
    assert type(error) is UnexpectedResponseException
    assert error.status == 200
    assert error.http_body == body.decode()
    assert hint in error.message
    assert isinstance(error.__cause__, Exception)


def test_every_json_command_is_fed_a_malformed_answer() -> None:
    assert {row[0] for row in MALFORMED} == set(JSON_COMMANDS) - {"CreateBatch-binary"}


# --------------------------------------------------------------------------- paging

PAGE_COMMANDS: dict[str, Callable[..., Any]] = {
    "FetchBatches": lambda **kw: FetchBatches(tags=["t"], senders=["12345"], **kw),
    "FetchGroups": lambda **kw: FetchGroups(tags=["t"], **kw),
    "FetchInbounds": lambda **kw: FetchInbounds(recipients=["12345"], **kw),
    "FetchDeliveryReports": lambda **kw: FetchDeliveryReports(status=["Delivered"], **kw),
}


def _walk(command: Any, total: int, server_cap: int = 100) -> list[int]:
    """Follow `next_page` against a listing of `total` items; return the pages fetched.

    The fake server uses 30 items per page by default and at most `server_cap`.
    """
    fetched: list[int] = []
    per_page = min(command.page_size or 30, server_cap)
    while command is not None:
        fetched.append(command.page)
        assert len(fetched) < 50
        start = command.page * per_page
        items = tuple(range(start, min(start + per_page, total)))
        page = Page(page=command.page, size=len(items), total_size=total, content=items)
        following = command.next_page(page)
        if following is not None:
            assert following == attrs.evolve(
                command, page=command.page + 1, items_before=command.items_before + len(items)
            )
        command = following
    return fetched


@pytest.mark.parametrize("name", sorted(PAGE_COMMANDS))
@pytest.mark.parametrize(
    ("page_size", "total", "pages"),
    [
        (2, 5, [0, 1, 2]),
        (2, 4, [0, 1]),
        (2, 2, [0]),
        (2, 0, [0]),
        (100, 100, [0]),
        (100, 101, [0, 1]),
        (None, 60, [0, 1]),
        # The items received are counted, so a short last page ends the walk
        # without the extra empty request the original SDK always made.
        (None, 61, [0, 1, 2]),
        (None, 0, [0]),
    ],
)
def test_next_page_stops_at_the_total(
    name: str, page_size: int | None, total: int, pages: list[int]
) -> None:
    command = PAGE_COMMANDS[name](page_size=page_size)
    assert _walk(command, total) == pages


@pytest.mark.parametrize("name", sorted(PAGE_COMMANDS))
def test_next_page_survives_a_server_that_caps_the_page_size(name: str) -> None:
    # Asked for 100 per page, the server gives 50: every item is still reached.
    command = PAGE_COMMANDS[name](page_size=100)
    assert _walk(command, 120, server_cap=50) == [0, 1, 2]


@pytest.mark.parametrize("name", sorted(PAGE_COMMANDS))
def test_next_page_keeps_filters_and_stops_on_an_empty_page(name: str) -> None:
    command = PAGE_COMMANDS[name](page=4, page_size=10)
    following = command.next_page(Page(page=4, size=10, total_size=100, content=tuple(range(10))))
    assert following == attrs.evolve(command, page=5, items_before=10)
    assert following.page_size == 10
    empty = Page(page=4, size=0, total_size=100, content=())
    assert command.next_page(empty) is None
