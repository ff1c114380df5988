"""The commands' test table and helpers, shared by the `test_*_commands.py` files.

Not a test module: every command of the core with the request it must build
(`CASES`), realistic sample values, and the helpers that build answers from
`tests/data/` and read them back.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import pytest

import xms_core
from xms_core import (
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
)
from xms_core.api import (
    RESET,
    DeliveryReportType,
    DeliveryStatus,
    GroupAutoUpdate,
    GroupCreate,
    GroupUpdate,
    MtBatchBinarySmsCreate,
    MtBatchTextSmsCreate,
    MtBatchTextSmsUpdate,
    ReportType,
)
from xms_core.exceptions import ApiException

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


def raises(name: str, response: HttpResponse) -> tuple[HttpRequest, ApiException]:
    """Feed `response` to the command of case `name`; return its request and the error raised."""
    command = CASES[name].command
    request = command.build_request(SETTINGS)
    with pytest.raises(ApiException) as info:
        command.parse_response(request, response)
    return request, info.value


def update_body(cls: type, **fields: Any) -> dict[str, Any]:
    """The JSON body of the update command carrying `cls(**fields)`."""
    value = cls(**fields)
    if cls is GroupUpdate:
        command: Any = UpdateGroup(group_id="g1", group=value)
    else:
        command = UpdateBatch(batch_id="b1", batch=value)
    body = command.build_request(SETTINGS).body
    assert body is not None
    result: dict[str, Any] = json.loads(body)
    return result


def three_states(rows: list[tuple[type, str, str, object, object]]) -> pytest.MarkDecorator:
    """Parametrize a test by update fields: (update class, attribute, JSON key, value, JSON)."""
    return pytest.mark.parametrize(
        ("cls", "attribute", "key", "value", "encoded"),
        rows,
        ids=[f"{row[0].__name__}.{row[1]}" for row in rows],
    )


def check_three_states(cls: type, attribute: str, key: str, value: object, encoded: object) -> None:
    """An update field absent or None keeps (key left out), RESET resets (null), a value sets."""
    kept = update_body(cls)
    assert key not in kept
    assert update_body(cls, **{attribute: None}) == kept
    reset = update_body(cls, **{attribute: RESET})
    assert key in reset
    assert reset[key] is None
    assert update_body(cls, **{attribute: value}) == {**kept, key: encoded}


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
    recipients=["987654321", "123456789"], body=b"\x00\x01\x02\x03", udh=b"\x05\x00\x03\xab\x02\x01"
)

BINARY_JSON = {
    "type": "mt_binary",
    "to": ["987654321", "123456789"],
    "body": "AAECAw==",
    "udh": "050003ab0201",
}

RULE = GroupAutoUpdate(
    recipient="54321", add_first_word="Sinch", add_second_word="Join", remove_first_word="SINCH"
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
            "auto_update": {"to": "12345", "remove": {"first_word": "club", "second_word": "stop"}},
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
ALL = sorted(CASES)
JSON_COMMANDS = sorted(set(CASES) - NO_BODY_COMMANDS)
