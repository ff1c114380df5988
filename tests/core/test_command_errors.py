"""How every command reads statuses, error objects and malformed answers.

Pure tests: each command of `command_cases.CASES` is fed the same error
statuses and unreadable 2xx answers, and a table of malformed answers per
resource; only our exceptions come out, carrying the body.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.core.command_cases import (
    ALL,
    JSON_COMMANDS,
    PLAN,
    SETTINGS,
    TOKEN,
    answer,
    exchange,
    load,
    raises,
    raw,
)
from xms_core import FetchBatch, FetchBatchTags, HttpRequest, HttpResponse, Settings, classify
from xms_core.api import Error
from xms_core.exceptions import (
    ErrorResponseException,
    NotFoundException,
    TooManyRequestsException,
    UnauthorizedException,
    UnexpectedResponseException,
)

# --------------------------------------------------------------------------- success


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
    _, error = raises(name, answer(raw(fixture), status))
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
    _, error = raises(name, answer(body, 400))
    assert type(error) is UnexpectedResponseException
    assert error.status == 400
    assert error.http_body == body.decode()


def test_error_object_with_odd_fields_keeps_what_it_can() -> None:
    _, error = raises("FetchBatch", answer({"code": "x", "text": 5}, 400))
    assert isinstance(error, ErrorResponseException)
    assert (error.error_code, error.text) == ("x", "")
    _, error = raises("FetchBatch", answer({"error": {"code": 403, "message": 7}}, 403))
    assert isinstance(error, ErrorResponseException)
    assert (error.error_code, error.text) == ("403", "")
    _, error = raises("FetchBatch", answer({"error": "Forbidden", "message": "no"}, 403))
    assert isinstance(error, ErrorResponseException)
    assert (error.error_code, error.text) == ("Forbidden", "no")


@pytest.mark.parametrize("name", ALL)
def test_401_is_unauthorized_and_never_shows_the_token(name: str) -> None:
    body = json.dumps({"code": "unauthorized", "text": f"bad token {TOKEN}"}).encode()
    _, error = raises(name, answer(body, 401))
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
    request, error = raises(name, answer(b'{"code":"not_found","text":"no"}', 404))
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
    _, error = raises(name, answer(body, status))
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
    _, error = raises(name, response)
    assert type(error) is TooManyRequestsException
    assert isinstance(error, UnexpectedResponseException)
    assert error.status == 429
    assert error.retry_after == seconds
    assert error.http_body == body.decode()
    assert "429" in str(error)


def test_a_proxy_407_is_named() -> None:
    _, error = raises("FetchBatch", answer(b"", 407))
    assert "407 Proxy Authentication Required" in str(error)


def test_unexpected_body_is_shortened_in_the_message_only() -> None:
    body = b"x" * 5000
    _, error = raises("FetchBatch", answer(body, 500))
    assert isinstance(error, UnexpectedResponseException)
    assert error.http_body == "x" * 5000
    assert len(str(error)) < 400
    assert "5000 characters" in str(error)


def test_undecodable_error_body_is_replaced_not_raised() -> None:
    _, error = raises("FetchBatch", answer(b"\xff\xfe oops", 502))
    assert isinstance(error, UnexpectedResponseException)
    assert error.http_body == "\ufffd\ufffd oops"


def test_401_on_a_url_without_a_plan_names_no_plan() -> None:
    request = HttpRequest(method="GET", url="https://h.test/status")
    with pytest.raises(UnauthorizedException) as info:
        classify(request, HttpResponse(status=401))
    assert info.value.service_plan_id == ""


def test_classify_accepts_2xx_only() -> None:
    request = FetchBatch(batch_id="b").build_request(SETTINGS)
    classify(request, HttpResponse(status=200))
    with pytest.raises(UnexpectedResponseException):
        classify(request, HttpResponse(status=300))


# --------------------------------------------------------------------------- malformed 2xx


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
    _, error = raises(name, answer(body, 200, content_type))
    assert type(error) is UnexpectedResponseException
    assert error.status == 200
    assert error.http_body == body.decode("utf-8", "replace")
    assert hint in str(error)


@pytest.mark.parametrize("name", JSON_COMMANDS)
def test_wrong_json_shape_is_unexpected(name: str) -> None:
    wrong = {"id": "x"} if name == "FetchGroupMembers" else ["not", "an", "object"]
    _, error = raises(name, answer(wrong, 201))
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
    _, error = raises(name, answer(body, 200))
    assert type(error) is UnexpectedResponseException
    assert error.status == 200
    assert error.http_body == body.decode()
    assert hint in error.message
    assert isinstance(error.__cause__, Exception)


def test_every_json_command_is_fed_a_malformed_answer() -> None:
    assert {row[0] for row in MALFORMED} == set(JSON_COMMANDS) - {"CreateBatch-binary"}
