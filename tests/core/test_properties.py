"""Properties: every value survives encode -> JSON -> server echo -> decode, and the
decoders raise nothing but `ApiException`s whatever the server sends."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from xms_core._wire import write_base64, write_time
from xms_core.api import (
    BatchDeliveryReport,
    BatchDeliveryReportStatus,
    BatchRecipientDeliveryReport,
    GroupAutoUpdate,
    GroupCreate,
    GroupResult,
    GroupUpdate,
    MoBinarySms,
    MoTextSms,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsResult,
    MtBatchTextSmsCreate,
    MtBatchTextSmsResult,
    MtBatchTextSmsUpdate,
    ReportType,
)
from xms_core.exceptions import ApiException

UTC = timezone.utc
SETTINGS = Settings(service_plan_id="plan", token="tok", endpoint="https://xms.example.test/xms")
DATA = Path(__file__).parent.parent / "data"
CHEAP = settings(max_examples=200, deadline=None)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- strategies

msisdns = st.from_regex(r"\+?[1-9][0-9]{4,14}", fullmatch=True)
lines = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)
texts = st.text(max_size=30)
offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(1900, 1, 2),  # noqa: DTZ001 - bounds for aware datetimes
    max_value=datetime(2199, 12, 30),  # noqa: DTZ001
    timezones=offsets,
)
# Protocol 4.1: send_at comes before expire_at, so the two are drawn from either side of 2100.
send_moments = st.datetimes(
    min_value=datetime(1900, 1, 2),  # noqa: DTZ001 - bounds for aware datetimes
    max_value=datetime(2099, 12, 30),  # noqa: DTZ001
    timezones=offsets,
)
expire_moments = st.datetimes(
    min_value=datetime(2100, 1, 2),  # noqa: DTZ001 - bounds for aware datetimes
    max_value=datetime(2199, 12, 30),  # noqa: DTZ001
    timezones=offsets,
)
parameters = st.dictionaries(
    st.from_regex(r"[A-Za-z0-9._-]{1,16}", fullmatch=True),
    st.dictionaries(st.one_of(st.just("default"), msisdns), texts, max_size=3),
    max_size=3,
)
report_types = st.one_of(
    st.none(), st.sampled_from(ReportType), st.sampled_from([kind.value for kind in ReportType])
)
common = {
    "recipients": st.lists(msisdns, min_size=1, max_size=5),
    "sender": st.none() | lines,
    "delivery_report": report_types,
    "send_at": st.none() | send_moments,
    "expire_at": st.none() | expire_moments,
    "callback_url": st.none() | lines,
    "client_reference": st.none() | texts,
    "feedback_enabled": st.none() | st.booleans(),
    "from_ton": st.none() | st.integers(0, 255),
    "from_npi": st.none() | st.integers(0, 255),
    "tags": st.lists(lines, max_size=3),
}
text_batches = st.builds(
    MtBatchTextSmsCreate,
    body=st.text(min_size=1, max_size=30),
    parameters=parameters,
    flash_message=st.none() | st.booleans(),
    max_number_of_message_parts=st.none() | st.integers(1, 10),
    truncate_concat=st.none() | st.booleans(),
    **common,
)
binary_batches = st.builds(
    MtBatchBinarySmsCreate, body=st.binary(max_size=120), udh=st.binary(max_size=20), **common
)
# Protocol 4.11: a keyword is one word of at most 15 characters; a second word needs a first.
words = st.from_regex(r"[A-Za-z0-9\u00c0-\u024f]{1,15}", fullmatch=True)
word_pairs = st.one_of(st.just((None, None)), st.tuples(words, st.none() | words))
rules = st.builds(
    lambda recipient, add, remove: GroupAutoUpdate(recipient, *add, *remove),
    lines,
    word_pairs,
    word_pairs,
)
identifiers = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
group_ids = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{7,25}", fullmatch=True)
groups = st.builds(
    GroupCreate,
    name=st.none() | lines,
    members=st.lists(msisdns, max_size=5),
    child_groups=st.lists(group_ids, max_size=3),
    auto_update=st.none() | rules,
    tags=st.lists(lines, max_size=3),
)
time_texts = st.sampled_from(
    [write_time, datetime.isoformat, lambda d: d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
)


def _answer(data: object, status: int = 200) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers=[("content-type", "application/json")],
        body=json.dumps(data).encode(),
    )


def _same_instant(text: str, moment: datetime) -> datetime:
    """The moment a time text stands for, at the precision that text keeps."""
    return moment.replace(microsecond=0) if "." not in text else moment


# --------------------------------------------------------------------------- round trips


@CHEAP
@given(batch=st.one_of(text_batches, binary_batches), created=moments, canceled=st.booleans())
def test_batches_round_trip_through_a_server_echo(
    batch: MtBatchTextSmsCreate | MtBatchBinarySmsCreate, created: datetime, canceled: bool
) -> None:
    command = CreateBatch(batch=batch)
    request = command.build_request(SETTINGS)
    assert request.body is not None
    sent = json.loads(request.body)
    assert "from" in sent or batch.sender is None
    echo = {
        **sent,
        "id": "01FC66621XXXXX119Z8PMV1QPQ",
        "created_at": write_time(created),
        "modified_at": write_time(created),
        "canceled": canceled,
    }
    result = command.parse_response(request, _answer(echo, 201))
    expected_type = (
        MtBatchTextSmsResult if isinstance(batch, MtBatchTextSmsCreate) else MtBatchBinarySmsResult
    )
    assert type(result) is expected_type
    for field in attrs.fields(type(batch)):
        assert getattr(result, field.name) == getattr(batch, field.name), field.name
    assert result.batch_id == "01FC66621XXXXX119Z8PMV1QPQ"
    assert result.created_at == created
    assert result.canceled is canceled
    # Replacing sends the same body as creating.
    replace = ReplaceBatch(batch_id="b", batch=batch).build_request(SETTINGS)
    assert replace.body == request.body


@settings(max_examples=100, deadline=None)
@given(batch=text_batches)
def test_batch_bodies_are_deterministic(batch: MtBatchTextSmsCreate) -> None:
    copy = attrs.evolve(batch)
    first = CreateBatch(batch=batch).build_request(SETTINGS).body
    assert first == CreateBatch(batch=copy).build_request(SETTINGS).body
    assert first is not None
    assert b"\n" not in first
    assert None not in json.loads(first).values()


@CHEAP
@given(group=groups, created=moments)
def test_groups_round_trip_through_a_server_echo(group: GroupCreate, created: datetime) -> None:
    command = CreateGroup(group=group)
    request = command.build_request(SETTINGS)
    assert request.body is not None
    sent = json.loads(request.body)
    echo = {key: value for key, value in sent.items() if key not in {"members", "tags"}} | {
        "id": "g1",
        "size": len(group.members),
        "created_at": write_time(created),
        "modified_at": write_time(created),
    }
    result = command.parse_response(request, _answer(echo, 201))
    assert result == GroupResult(
        group_id="g1",
        name=group.name,
        size=len(group.members),
        child_groups=group.child_groups,
        auto_update=group.auto_update,
        created_at=created,
        modified_at=created,
    )
    assert sent.get("members", []) == list(group.members)
    assert sent.get("tags", []) == list(group.tags)


@CHEAP
@given(rule=rules)
def test_auto_update_rules_round_trip_through_an_update(rule: GroupAutoUpdate) -> None:
    request = UpdateGroup(group_id="g", group=GroupUpdate(auto_update=rule)).build_request(SETTINGS)
    assert request.body is not None
    sent = json.loads(request.body)["auto_update"]
    echo = {"id": "g", "auto_update": sent}
    assert FetchGroup(group_id="g").parse_response(request, _answer(echo)).auto_update == rule


@CHEAP
@given(
    batch_id=identifiers,
    recipient=msisdns,
    code=st.integers(0, 10_000),
    code_as_text=st.booleans(),
    status=lines,
    at=moments,
    write=time_texts,
    optional=st.fixed_dictionaries(
        {},
        optional={
            "status_message": texts,
            "operator": lines,
            "operator_status_at": moments,
            "client_reference": texts,
            "applied_originator": lines,
            "number_of_message_parts": st.integers(1, 10),
            "encoding": lines,
        },
    ),
    kind=st.sampled_from(["recipient_delivery_report_sms", "recipient_delivery_report_mms"]),
)
def test_recipient_reports_decode_what_was_generated(
    *,
    batch_id: str,
    recipient: str,
    code: int,
    code_as_text: bool,
    status: str,
    at: datetime,
    write: Any,
    optional: dict[str, Any],
    kind: str,
) -> None:
    at_text = write(at)
    data: dict[str, Any] = {
        "type": kind,
        "batch_id": batch_id,
        "recipient": recipient,
        "code": str(code) if code_as_text else code,
        "status": status,
        "at": at_text,
        **optional,
    }
    if "operator_status_at" in optional:
        data["operator_status_at"] = write_time(optional["operator_status_at"])
    command = FetchRecipientDeliveryReport(batch_id=batch_id, recipient=recipient)
    report = command.parse_response(command.build_request(SETTINGS), _answer(data))
    assert report == BatchRecipientDeliveryReport(
        batch_id=batch_id,
        recipient=recipient,
        code=code,
        status=status,
        status_at=_same_instant(at_text, at),
        type=kind,
        **optional,
    )
    page = {"page": 0, "page_size": 1, "count": 1, "delivery_reports": [data]}
    listed = FetchDeliveryReports().parse_response(command.build_request(SETTINGS), _answer(page))
    assert listed.content == (report,)


buckets = st.builds(
    BatchDeliveryReportStatus,
    code=st.integers(0, 1000),
    status=lines,
    count=st.integers(1, 10**6),
    recipients=st.lists(msisdns, max_size=3, unique=True).map(tuple),
)


@CHEAP
@given(
    batch_id=identifiers,
    total=st.integers(0, 10**6),
    statuses=st.lists(buckets, max_size=4),
    client_reference=st.none() | texts,
    kind=st.sampled_from(["delivery_report_sms", "delivery_report_mms"]),
)
def test_batch_reports_decode_what_was_generated(
    batch_id: str,
    total: int,
    statuses: list[BatchDeliveryReportStatus],
    client_reference: str | None,
    kind: str,
) -> None:
    data: dict[str, Any] = {
        "type": kind,
        "batch_id": batch_id,
        "total_message_count": total,
        "statuses": [
            {"code": s.code, "status": s.status, "count": s.count}
            | ({"recipients": list(s.recipients)} if s.recipients else {})
            for s in statuses
        ],
    }
    if client_reference is not None:
        data["client_reference"] = client_reference
    command = FetchDeliveryReport(batch_id=batch_id)
    report = command.parse_response(command.build_request(SETTINGS), _answer(data))
    assert report == BatchDeliveryReport(
        batch_id=batch_id,
        total_message_count=total,
        statuses=tuple(statuses),
        client_reference=client_reference,
        type=kind,
    )


@CHEAP
@given(
    message_id=identifiers,
    sender=msisdns,
    recipient=lines,
    received=moments,
    write=time_texts,
    sent=st.none() | moments,
    operator=st.none() | lines,
    operator_key=st.sampled_from(["operator_id", "operator"]),
    client_reference=st.none() | texts,
    payload=st.one_of(
        st.tuples(st.just("mo_text"), texts, st.none() | lines),
        st.tuples(st.just("mo_binary"), st.binary(max_size=140), st.binary(max_size=20)),
    ),
)
def test_inbound_messages_decode_what_was_generated(
    *,
    message_id: str,
    sender: str,
    recipient: str,
    received: datetime,
    write: Any,
    sent: datetime | None,
    operator: str | None,
    operator_key: str,
    client_reference: str | None,
    payload: tuple[str, Any, Any],
) -> None:
    kind, body, extra = payload
    received_text = write(received)
    data: dict[str, Any] = {
        "type": kind,
        "id": message_id,
        "from": sender,
        "to": recipient,
        "received_at": received_text,
    }
    if sent is not None:
        data["sent_at"] = write_time(sent)
    if operator is not None:
        data[operator_key] = operator
    if client_reference is not None:
        data["client_reference"] = client_reference
    shared: dict[str, Any] = {
        "message_id": message_id,
        "recipient": recipient,
        "sender": sender,
        "received_at": _same_instant(received_text, received),
        "sent_at": sent,
        "operator": operator,
        "client_reference": client_reference,
    }
    expected: MoTextSms | MoBinarySms
    if kind == "mo_text":
        data["body"] = body
        if extra is not None:
            data["keyword"] = extra
        expected = MoTextSms(body=body, keyword=extra, **shared)
    else:
        data["body"] = write_base64(body)
        data["udh"] = extra.hex().upper()
        expected = MoBinarySms(body=body, udh=extra, **shared)
    command = FetchInbound(inbound_id=message_id)
    assert command.parse_response(command.build_request(SETTINGS), _answer(data)) == expected
    page = {"page": 0, "page_size": 1, "count": 1, "inbounds": [data]}
    listed = FetchInbounds().parse_response(command.build_request(SETTINGS), _answer(page))
    assert listed.content == (expected,)


# --------------------------------------------------------------------------- only our exceptions

TEXT = MtBatchTextSmsCreate(recipients=["46701234567"], body="x")
COMMANDS: list[Any] = [
    CreateBatch(batch=TEXT),
    CreateBatchDryRun(batch=TEXT, per_recipient=True),
    ReplaceBatch(batch_id="b", batch=TEXT),
    UpdateBatch(batch_id="b", batch=MtBatchTextSmsUpdate(body="y")),
    CancelBatch(batch_id="b"),
    FetchBatch(batch_id="b"),
    FetchBatches(),
    FetchBatchTags(batch_id="b"),
    ReplaceBatchTags(batch_id="b", tags=["t"]),
    UpdateBatchTags(batch_id="b", tags_to_add=["t"]),
    FetchDeliveryReport(batch_id="b"),
    FetchRecipientDeliveryReport(batch_id="b", recipient="46701234567"),
    FetchDeliveryReports(),
    SendDeliveryFeedback(batch_id="b"),
    CreateGroup(group=GroupCreate()),
    FetchGroup(group_id="g"),
    FetchGroups(),
    FetchGroupMembers(group_id="g"),
    FetchGroupTags(group_id="g"),
    ReplaceGroupTags(group_id="g", tags=[]),
    UpdateGroupTags(group_id="g"),
    ReplaceGroup(group_id="g", group=GroupCreate()),
    UpdateGroup(group_id="g", group=GroupUpdate()),
    DeleteGroup(group_id="g"),
    FetchInbound(inbound_id="i"),
    FetchInbounds(),
]
REQUESTS = [(command, command.build_request(SETTINGS)) for command in COMMANDS]


def _feed(response: HttpResponse) -> None:
    for command, request in REQUESTS:
        with contextlib.suppress(ApiException):
            command.parse_response(request, response)


def test_every_command_is_fuzzed() -> None:
    assert len({type(command) for command in COMMANDS}) == 26


KEYS = [
    "id", "type", "to", "from", "body", "udh", "tags", "page", "page_size", "count", "batches",
    "groups", "inbounds", "delivery_reports", "statuses", "code", "status", "recipients", "at",
    "batch_id", "recipient", "total_message_count", "received_at", "sent_at", "created_at",
    "number_of_recipients", "number_of_messages", "per_recipient", "number_of_parts",
    "encoding", "auto_update", "add", "remove", "first_word", "second_word", "child_groups",
    "size", "parameters", "error", "text", "message", "canceled", "operator_id",
]  # fmt: skip
TYPES = [
    "mt_text", "mt_binary", "mt_media", "delivery_report_sms", "delivery_report_mms",
    "recipient_delivery_report_sms", "mo_text", "mo_binary", "mo_media",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=10)
    | st.sampled_from(TYPES)
    | st.sampled_from(
        [
            "AAECAw==",
            "AAECAw=",
            "abcd",
            "abc",
            "--1",
            "١٢",
            "2016-12-01T11:03:13Z",
            "2016-12-05T16:24:23318Z",
            "2016-12-01T11:03:13+99:00",
            "2016-02-30",
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=25,
)
FIXTURES = [json.loads(path.read_bytes()) for path in sorted(DATA.glob("*.json"))]


@FUZZ
@given(
    status=st.integers(min_value=100, max_value=599),
    body=st.binary(max_size=512),
    content_type=st.sampled_from([None, "application/json", "text/plain", "application/xml"]),
)
def test_decoders_raise_only_api_exceptions_for_any_bytes(
    status: int, body: bytes, content_type: str | None
) -> None:
    headers = [] if content_type is None else [("content-type", content_type)]
    _feed(HttpResponse(status=status, headers=headers, body=body))


@FUZZ
@given(status=st.integers(min_value=100, max_value=599), value=json_values)
def test_decoders_raise_only_api_exceptions_for_any_json(status: int, value: object) -> None:
    _feed(_answer(value, status))


_MISSING = object()


def _child(container: object, step: str | int) -> object:
    if isinstance(container, dict) and isinstance(step, str):
        return container.get(step, _MISSING)
    if isinstance(container, list) and isinstance(step, int) and step < len(container):
        return container[step]
    return _MISSING


@FUZZ
@given(
    fixture=st.sampled_from(FIXTURES),
    path=st.lists(st.sampled_from(KEYS) | st.integers(0, 3), min_size=1, max_size=3),
    value=json_values,
    status=st.sampled_from([200, 201, 400, 403]),
)
def test_decoders_raise_only_api_exceptions_for_damaged_answers(
    fixture: object, path: list[str | int], value: object, status: int
) -> None:
    damaged = json.loads(json.dumps(fixture))
    target: Any = damaged
    for step in path[:-1]:
        inner = _child(target, step)
        if isinstance(inner, (dict, list)):
            target = inner
    if _child(target, path[-1]) is _MISSING and not isinstance(target, dict):
        damaged = value
    else:
        target[path[-1]] = value
    _feed(_answer(damaged, status))


EVIL_VALUES: list[object] = [
    None,
    True,
    0,
    -1,
    1.5,
    10**30,
    "",
    "x",
    "--1",
    "١٢",
    "AAECAw=",
    "abc",
    "2016-12-01T11:03:13+99:00",
    "2016-02-30",
    [],
    {},
    [None],
    {"first_word": None},
]


def _leaf_paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            paths += _leaf_paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:2]):
            paths += _leaf_paths(inner, (*prefix, index))
    return paths


def _replaced(value: Any, path: tuple[str | int, ...], new: object) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


@pytest.mark.parametrize("fixture", sorted(DATA.glob("*.json")), ids=lambda path: path.stem)
def test_every_field_of_every_answer_survives_evil_values(fixture: Path) -> None:
    """Each field of each realistic answer, replaced by each ill-typed value, read by
    every command with a success and an error status: only ApiExceptions come out."""
    original = json.loads(fixture.read_bytes())
    for path in _leaf_paths(original):
        for evil in EVIL_VALUES:
            damaged = _replaced(original, path, evil)
            for status in (200, 400):
                _feed(_answer(damaged, status))
