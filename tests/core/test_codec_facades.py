"""`xms_core.serialize` and `xms_core.deserialize`: exactly what the commands send and return."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from xms_core import (
    CreateBatch,
    CreateBatchDryRun,
    CreateGroup,
    FetchBatch,
    FetchBatches,
    FetchBatchTags,
    FetchDeliveryReport,
    FetchGroup,
    FetchGroupMembers,
    FetchGroups,
    FetchInbound,
    FetchInbounds,
    FetchRecipientDeliveryReport,
    HttpResponse,
    ReplaceBatchTags,
    ReplaceGroupTags,
    Settings,
    UpdateBatch,
    UpdateBatchTags,
    UpdateGroup,
    UpdateGroupTags,
    deserialize,
    parse_callback,
    serialize,
)
from xms_core.api import (
    RESET,
    Error,
    GroupAutoUpdate,
    GroupCreate,
    GroupUpdate,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsUpdate,
    MtBatchTextSmsCreate,
    MtBatchTextSmsUpdate,
    ReportType,
)
from xms_core.exceptions import (
    ErrorResponseException,
    NotFoundException,
    UnauthorizedException,
    UnexpectedResponseException,
)

DATA = Path(__file__).resolve().parents[1] / "data"
SETTINGS = Settings(service_plan_id="plan", token="secret-token", endpoint="https://xms.test/xms")
WHEN = datetime(2026, 5, 1, 12, 30, tzinfo=timezone.utc)
GROUP_ID = "3SD49KIOW8lL1Z5E"

TEXT = MtBatchTextSmsCreate(
    sender="Shop",
    recipients=["+46701234567", GROUP_ID, "0046709876543"],
    body="Hi ${name} \N{SMILING FACE WITH SMILING EYES}",
    parameters={"name": {"+46701234567": "Mary", "default": "friend"}},
    delivery_report=ReportType.FULL,
    send_at=WHEN,
    callback_url="https://example.com/dlr",
    tags=["b", "a"],
)
BINARY = MtBatchBinarySmsCreate(
    recipients=["+46701234567"], body=b"\x00\x01\x02\x03", udh=b"\x05\x00\x03\xab\x02\x01"
)
TEXT_UPDATE = MtBatchTextSmsUpdate(
    recipient_insertions=[GROUP_ID],
    recipient_removals=["+46709876543"],
    body="new body",
    send_at=RESET,
    parameters=RESET,
)
BINARY_UPDATE = MtBatchBinarySmsUpdate(body=b"\xff", udh=b"\x00", delivery_report=RESET)
GROUP = GroupCreate(
    name="team",
    members=["+46701234567", "+46709876543"],
    child_groups=[GROUP_ID],
    auto_update=GroupAutoUpdate("54321", "join", None, "stop"),
    tags=["vip"],
)
GROUP_UPDATE = GroupUpdate(name=RESET, member_insertions=["+46700000001"], auto_update=RESET)


def sent(command: Any) -> Any:
    request = command.build_request(SETTINGS)
    assert request.body is not None
    return json.loads(request.body)


SERIALIZE_CASES: list[tuple[str, Callable[[], object], Any]] = [
    ("text_batch", lambda: serialize.text_batch(TEXT), CreateBatch(batch=TEXT)),
    ("binary_batch", lambda: serialize.binary_batch(BINARY), CreateBatch(batch=BINARY)),
    (
        "text_batch_update",
        lambda: serialize.text_batch_update(TEXT_UPDATE),
        UpdateBatch(batch_id="b1", batch=TEXT_UPDATE),
    ),
    (
        "binary_batch_update",
        lambda: serialize.binary_batch_update(BINARY_UPDATE),
        UpdateBatch(batch_id="b1", batch=BINARY_UPDATE),
    ),
    ("group_create", lambda: serialize.group_create(GROUP), CreateGroup(group=GROUP)),
    (
        "group_update",
        lambda: serialize.group_update(GROUP_UPDATE),
        UpdateGroup(group_id="g1", group=GROUP_UPDATE),
    ),
    (
        "tags",
        lambda: serialize.tags(["x", "таг", "x"]),
        ReplaceBatchTags(batch_id="b1", tags=["x", "таг"]),
    ),
    (
        "tags for a group",
        lambda: serialize.tags({"only"}),
        ReplaceGroupTags(group_id="g1", tags=["only"]),
    ),
    (
        "tags_update",
        lambda: serialize.tags_update(["new"], []),
        UpdateBatchTags(batch_id="b1", tags_to_add=["new"]),
    ),
    (
        "tags_update for a group",
        lambda: serialize.tags_update((), ["old"]),
        UpdateGroupTags(group_id="g1", tags_to_remove=["old"]),
    ),
]


@pytest.mark.parametrize(
    ("produce", "command"), [c[1:] for c in SERIALIZE_CASES], ids=[c[0] for c in SERIALIZE_CASES]
)
def test_serialize_returns_exactly_the_body_the_command_sends(
    produce: Callable[[], object], command: Any
) -> None:
    produced = produce()
    assert produced == sent(command)
    # JSON-ready as it is: the same text as the command's body once encoded.
    assert json.loads(json.dumps(produced)) == produced


def test_serialize_keeps_order_and_writes_groups_and_resets() -> None:
    assert serialize.text_batch(TEXT)["to"] == ["+46701234567", GROUP_ID, "0046709876543"]
    assert serialize.text_batch_update(TEXT_UPDATE) == {
        "type": "mt_text",
        "to_add": [GROUP_ID],
        "to_remove": ["+46709876543"],
        "body": "new body",
        "parameters": None,
        "send_at": None,
    }
    assert serialize.tags_update([], []) == {"add": [], "remove": []}


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: serialize.text_batch(BINARY), "batch"),
        (lambda: serialize.binary_batch(TEXT), "batch"),
        (lambda: serialize.text_batch_update(BINARY_UPDATE), "batch"),
        (lambda: serialize.binary_batch_update(TEXT_UPDATE), "batch"),
        (lambda: serialize.group_create(GROUP_UPDATE), "group"),
        (lambda: serialize.group_update(GROUP), "obj"),
        (lambda: serialize.tags("lonely"), "tag_coll"),
        (lambda: serialize.tags([1]), "tag_coll"),
        (lambda: serialize.tags_update(["ok"], [""]), "tags_to_remove"),
        (lambda: serialize.tags(["\ud800"]), "tag_coll"),
    ],
)
def test_serialize_refuses_wrong_arguments_naming_them(
    call: Callable[[], object], word: str
) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert str(info.value).startswith(word)


# --------------------------------------------------------------------------- deserialize

DESERIALIZE_CASES: list[tuple[str, Callable[[Any], object], Any, str]] = [
    ("batch_result text", deserialize.batch_result, FetchBatch(batch_id="b1"), "batch_text.json"),
    (
        "batch_result binary",
        deserialize.batch_result,
        FetchBatch(batch_id="b"),
        "batch_binary.json",
    ),
    ("batches_page", deserialize.batches_page, FetchBatches(), "page_batches.json"),
    (
        "batch_dry_run_result",
        deserialize.batch_dry_run_result,
        CreateBatchDryRun(batch=TEXT),
        "dry_run.json",
    ),
    (
        "batch_delivery_report",
        deserialize.batch_delivery_report,
        FetchDeliveryReport(batch_id="b1"),
        "delivery_report_full.json",
    ),
    (
        "batch_recipient_delivery_report",
        deserialize.batch_recipient_delivery_report,
        FetchRecipientDeliveryReport(batch_id="b1", recipient="+46701234567"),
        "recipient_delivery_report.json",
    ),
    ("group_result", deserialize.group_result, FetchGroup(group_id="g1"), "group.json"),
    ("groups_page", deserialize.groups_page, FetchGroups(), "page_groups.json"),
    (
        "group_members",
        deserialize.group_members,
        FetchGroupMembers(group_id="g1"),
        "group_members.json",
    ),
    ("tags", deserialize.tags, FetchBatchTags(batch_id="b1"), "tags.json"),
    ("inbounds_page", deserialize.inbounds_page, FetchInbounds(), "page_inbounds.json"),
    ("mo_sms text", deserialize.mo_sms, FetchInbound(inbound_id="m1"), "mo_text.json"),
    ("mo_sms binary", deserialize.mo_sms, FetchInbound(inbound_id="m2"), "mo_binary.json"),
]
CASE_IDS = [c[0] for c in DESERIALIZE_CASES]
CASE_VALUES = [c[1:] for c in DESERIALIZE_CASES]


def response(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(status=status, headers=[("content-type", "application/json")], body=body)


def returned(command: Any, answer: HttpResponse) -> Any:
    return command.parse_response(command.build_request(SETTINGS), answer)


@pytest.mark.parametrize(("read", "command", "fixture"), CASE_VALUES, ids=CASE_IDS)
def test_deserialize_returns_exactly_what_the_command_returns(
    read: Callable[[Any], object], command: Any, fixture: str
) -> None:
    body = (DATA / fixture).read_bytes()
    expected = returned(command, response(body))
    assert read(body) == expected
    assert type(read(body)) is type(expected)
    assert read(body.decode("utf-8")) == expected
    assert read(response(body)) == expected


@pytest.mark.parametrize(("read", "command", "fixture"), CASE_VALUES, ids=CASE_IDS)
@pytest.mark.parametrize("body", [b"not json", b"{}", b"[1, 2]", b'{"type": 7}'])
def test_deserialize_fails_as_the_command_fails(
    read: Callable[[Any], object], command: Any, fixture: str, body: bytes
) -> None:
    with pytest.raises(UnexpectedResponseException) as from_command:
        returned(command, response(body))
    with pytest.raises(UnexpectedResponseException) as from_facade:
        read(body)
    assert from_facade.value.http_body == from_command.value.http_body


@pytest.mark.parametrize(("read", "command", "fixture"), CASE_VALUES, ids=CASE_IDS)
@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, ErrorResponseException),
        (403, ErrorResponseException),
        (401, UnauthorizedException),
        (404, NotFoundException),
        (503, UnexpectedResponseException),
    ],
)
def test_deserialize_classifies_a_response_as_the_command_does(
    read: Callable[[Any], object],
    command: Any,
    fixture: str,
    status: int,
    exception: type[Exception],
) -> None:
    answer = response((DATA / "error_forbidden.json").read_bytes(), status)
    with pytest.raises(exception):
        returned(command, answer)
    with pytest.raises(exception):
        read(answer)


def test_a_webhook_body_reads_as_the_callback_parser_reads_it() -> None:
    body = (DATA / "mo_text.json").read_bytes()
    assert deserialize.mo_sms(body) == parse_callback(body)
    report = (DATA / "delivery_report_full.json").read_bytes()
    assert deserialize.batch_delivery_report(report) == parse_callback(report)


def test_error_reads_every_known_error_shape() -> None:
    shape_a = (DATA / "error_a.json").read_bytes()
    assert deserialize.error(shape_a) == Error(
        "syntax_constraint_violation", "The body must not be empty"
    )
    assert deserialize.error(response(shape_a, 400)) == deserialize.error(shape_a)
    for name in ("error_b.json", "error_c.json", "error_forbidden.json"):
        body = (DATA / name).read_bytes()
        with pytest.raises(ErrorResponseException) as info:
            returned(FetchBatch(batch_id="b1"), response(body, 400))
        assert deserialize.error(body) == info.value.error
    with pytest.raises(UnexpectedResponseException):
        deserialize.error(b'{"no": "code"}')


def test_set_valued_results_compare_equal_to_sets() -> None:
    members = deserialize.group_members((DATA / "group_members.json").read_bytes())
    assert members == {"123456789", "987654321", "+46701234567"}
    assert members == ("123456789", "987654321", "+46701234567")
    assert deserialize.tags((DATA / "tags.json").read_bytes()) == {"tag1", "tag2", "таг"}
    body = (DATA / "delivery_report_full.json").read_bytes()
    report = deserialize.batch_delivery_report(body)
    for bucket, data in zip(report.statuses, json.loads(body)["statuses"], strict=True):
        assert bucket.recipients == set(data["recipients"])
        assert bucket.recipients == tuple(data["recipients"])


def test_deserialize_refuses_other_input_naming_it() -> None:
    with pytest.raises(TypeError, match="response"):
        deserialize.batch_result({"id": "x"})  # type: ignore[arg-type]
