"""Values and commands: validation at construction, immutability and reference names."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
import pytest

from xms_core import (
    CreateBatch,
    CreateBatchDryRun,
    CreateGroup,
    FetchBatch,
    FetchBatches,
    FetchDeliveryReport,
    FetchDeliveryReports,
    FetchGroup,
    FetchGroups,
    FetchInbound,
    FetchInbounds,
    FetchRecipientDeliveryReport,
    ReplaceBatchTags,
    ReplaceGroup,
    RetryPolicy,
    SendDeliveryFeedback,
    Settings,
    UpdateBatch,
    UpdateBatchTags,
    UpdateGroup,
)
from xms_core import _validate as v
from xms_core.api import (
    RESET,
    DeliveryReportType,
    DeliveryStatus,
    DryRunPerRecipient,
    FrozenMap,
    GroupAutoUpdate,
    GroupCreate,
    GroupUpdate,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsUpdate,
    MtBatchDryRunResult,
    MtBatchTextSmsCreate,
    MtBatchTextSmsResult,
    MtBatchTextSmsUpdate,
    ReportType,
    Reset,
)

UTC = timezone.utc
NAIVE = datetime(2016, 12, 1, 10, 0)  # noqa: DTZ001 - a naive datetime on purpose
OK_NUMBER = "46701234567"
TOKEN = "tok-en_SECRET.42"


def text(**kw: Any) -> MtBatchTextSmsCreate:
    return MtBatchTextSmsCreate(**{"recipients": [OK_NUMBER], "body": "hi", **kw})


def binary(**kw: Any) -> MtBatchBinarySmsCreate:
    return MtBatchBinarySmsCreate(**{"recipients": [OK_NUMBER], "body": b"", "udh": b"", **kw})


def settings(**kw: Any) -> Settings:
    return Settings(**{"service_plan_id": "plan", "token": TOKEN, **kw})


BAD: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # recipients
    ("empty recipients", lambda: text(recipients=[]), ValueError, "recipients"),
    ("no recipients", lambda: text(recipients=None), ValueError, "recipients"),
    ("letters", lambda: text(recipients=["abc"]), ValueError, "recipients"),
    ("too short", lambda: text(recipients=["12"]), ValueError, "recipients"),
    ("plus only", lambda: text(recipients=["+"]), ValueError, "recipients"),
    ("mixed", lambda: text(recipients=["46 70 ABC"]), ValueError, "recipients"),
    ("16 digits", lambda: text(recipients=["+1234567890123456"]), ValueError, "recipients"),
    ("one bad of two", lambda: binary(recipients=[OK_NUMBER, "x"]), ValueError, "recipients"),
    ("int recipient", lambda: text(recipients=[46701234567]), TypeError, "recipients"),
    ("single str", lambda: text(recipients=OK_NUMBER), TypeError, "recipients"),
    ("bytes recipients", lambda: binary(recipients=b"467"), TypeError, "recipients"),
    ("int recipients", lambda: text(recipients=46701234567), TypeError, "recipients"),
    (
        "1001 recipients",
        lambda: text(recipients=[f"4670{i:07d}" for i in range(1001)]),
        ValueError,
        "recipients",
    ),
    (
        "to_add letters",
        lambda: MtBatchTextSmsUpdate(recipient_insertions=["abc"]),
        ValueError,
        "recipient_insertions",
    ),
    (
        "to_remove str",
        lambda: MtBatchBinarySmsUpdate(recipient_removals=OK_NUMBER),
        TypeError,
        "recipient_removals",
    ),
    ("members letters", lambda: GroupCreate(members=["abc"]), ValueError, "members"),
    ("members str", lambda: GroupCreate(members=OK_NUMBER), TypeError, "members"),
    (
        "member_insertions",
        lambda: GroupUpdate(member_insertions=["1"]),
        ValueError,
        "member_insertions",
    ),
    (
        "feedback recipients",
        lambda: SendDeliveryFeedback(batch_id="b", recipients=["x"]),
        ValueError,
        "recipients",
    ),
    (
        "recipient DR msisdn",
        lambda: FetchRecipientDeliveryReport(batch_id="b", recipient="bob"),
        ValueError,
        "recipient",
    ),
    (
        "recipient DR int",
        lambda: FetchRecipientDeliveryReport(batch_id="b", recipient=467012345),
        TypeError,
        "recipient",
    ),
    # str where bytes belong, and bytes where str belongs
    ("binary body str", lambda: binary(body="AAECAw=="), TypeError, "body"),
    ("binary body bytearray", lambda: binary(body=bytearray(b"x")), TypeError, "body"),
    ("udh str", lambda: binary(udh="050003"), TypeError, "udh"),
    (
        "udh missing",
        lambda: MtBatchBinarySmsCreate(recipients=[OK_NUMBER], body=b""),
        TypeError,
        "udh",
    ),
    ("binary update body str", lambda: MtBatchBinarySmsUpdate(body="x"), TypeError, "body"),
    ("binary update udh str", lambda: MtBatchBinarySmsUpdate(udh="ab"), TypeError, "udh"),
    ("text body bytes", lambda: text(body=b"hi"), TypeError, "body"),
    ("text update body bytes", lambda: MtBatchTextSmsUpdate(body=b"hi"), TypeError, "body"),
    ("text update body reset", lambda: MtBatchTextSmsUpdate(body=RESET), TypeError, "body"),
    ("sender bytes", lambda: text(sender=b"12345"), TypeError, "sender"),
    ("sender empty", lambda: text(sender=""), ValueError, "sender"),
    ("sender newline", lambda: text(sender="123\n45"), ValueError, "sender"),
    ("update sender empty", lambda: MtBatchTextSmsUpdate(sender=""), ValueError, "sender"),
    ("callback bytes", lambda: text(callback_url=b"https://x"), TypeError, "callback_url"),
    ("client_reference int", lambda: text(client_reference=5), TypeError, "client_reference"),
    # times
    ("naive send_at", lambda: text(send_at=NAIVE), ValueError, "send_at"),
    ("naive expire_at", lambda: binary(expire_at=NAIVE), ValueError, "expire_at"),
    ("send_at as str", lambda: text(send_at="2016-12-01T10:00:00Z"), TypeError, "send_at"),
    ("send_at as date", lambda: text(send_at=date(2016, 12, 1)), TypeError, "send_at"),
    ("update naive send_at", lambda: MtBatchTextSmsUpdate(send_at=NAIVE), ValueError, "send_at"),
    (
        "update naive expire_at",
        lambda: MtBatchBinarySmsUpdate(expire_at=NAIVE),
        ValueError,
        "expire_at",
    ),
    ("naive start_date", lambda: FetchBatches(start_date=NAIVE), ValueError, "start_date"),
    ("naive end_date", lambda: FetchInbounds(end_date=NAIVE), ValueError, "end_date"),
    ("naive DR start", lambda: FetchDeliveryReports(start_date=NAIVE), ValueError, "start_date"),
    ("str start_date", lambda: FetchBatches(start_date="2016-12-01"), TypeError, "start_date"),
    # template parameters
    ("parameters list", lambda: text(parameters=["name"]), TypeError, "parameters"),
    ("parameters to str", lambda: text(parameters={"name": "Joe"}), TypeError, "parameters"),
    (
        "parameter value int",
        lambda: text(parameters={"name": {"default": 5}}),
        TypeError,
        "parameters",
    ),
    (
        "parameter value None",
        lambda: text(parameters={"name": {OK_NUMBER: None}}),
        TypeError,
        "parameters",
    ),
    (
        "parameter recipient",
        lambda: text(parameters={"name": {"bob": "Bob"}}),
        ValueError,
        "parameters",
    ),
    (
        "parameter empty recipient",
        lambda: text(parameters={"n": {"": "x"}}),
        ValueError,
        "parameters",
    ),
    (
        "parameter name empty",
        lambda: text(parameters={"": {"default": "x"}}),
        ValueError,
        "parameters",
    ),
    (
        "update parameters list",
        lambda: MtBatchTextSmsUpdate(parameters=[("a", "b")]),
        TypeError,
        "parameters",
    ),
    # identifiers
    ("empty id", lambda: FetchBatch(batch_id=""), ValueError, "batch_id"),
    ("blank id", lambda: FetchGroup(group_id="   "), ValueError, "group_id"),
    ("int id", lambda: FetchInbound(inbound_id=12), TypeError, "inbound_id"),
    ("none id", lambda: FetchBatch(batch_id=None), TypeError, "batch_id"),
    ("129 chars", lambda: FetchBatch(batch_id="x" * 129), ValueError, "batch_id"),
    ("slash", lambda: FetchBatch(batch_id="a/b"), ValueError, "batch_id"),
    ("question mark", lambda: FetchGroup(group_id="a?b"), ValueError, "group_id"),
    ("hash", lambda: FetchInbound(inbound_id="a#b"), ValueError, "inbound_id"),
    ("dot dot", lambda: FetchBatch(batch_id=".."), ValueError, "batch_id"),
    ("dot dot inside", lambda: UpdateBatchTags(batch_id="a..b"), ValueError, "batch_id"),
    ("lone dot", lambda: FetchGroup(group_id="."), ValueError, "group_id"),
    ("percent", lambda: FetchBatch(batch_id="a%2Fb"), ValueError, "batch_id"),
    ("backslash", lambda: FetchBatch(batch_id="a\\b"), ValueError, "batch_id"),
    ("crlf", lambda: FetchBatch(batch_id="a\r\nHost: evil"), ValueError, "batch_id"),
    ("nul", lambda: FetchGroup(group_id="a\x00"), ValueError, "group_id"),
    ("del", lambda: FetchGroup(group_id="a\x7f"), ValueError, "group_id"),
    ("non-ascii", lambda: FetchInbound(inbound_id="bätch"), ValueError, "inbound_id"),
    ("child group slash", lambda: GroupCreate(child_groups=["a/b"]), ValueError, "child_groups"),
    (
        "child group str",
        lambda: GroupUpdate(child_group_insertions="abc"),
        TypeError,
        "child_group_insertions",
    ),
    ("add_from_group", lambda: GroupUpdate(add_from_group="../x"), ValueError, "add_from_group"),
    ("plan id slash", lambda: settings(service_plan_id="a/b"), ValueError, "service_plan_id"),
    ("plan id empty", lambda: settings(service_plan_id=""), ValueError, "service_plan_id"),
    # paging
    ("page_size 0", lambda: FetchBatches(page_size=0), ValueError, "page_size"),
    ("page_size -1", lambda: FetchGroups(page_size=-1), ValueError, "page_size"),
    ("page_size 101", lambda: FetchInbounds(page_size=101), ValueError, "page_size"),
    ("page_size True", lambda: FetchDeliveryReports(page_size=True), TypeError, "page_size"),
    ("page_size str", lambda: FetchBatches(page_size="10"), TypeError, "page_size"),
    ("page_size float", lambda: FetchBatches(page_size=10.0), TypeError, "page_size"),
    ("page -1", lambda: FetchGroups(page=-1), ValueError, "page"),
    ("page None", lambda: FetchInbounds(page=None), TypeError, "page"),
    # filters
    ("tag with comma", lambda: FetchBatches(tags=["a,b"]), ValueError, "tags"),
    ("sender with comma", lambda: FetchBatches(senders=["1,2"]), ValueError, "senders"),
    (
        "status with comma",
        lambda: FetchDeliveryReport(batch_id="b", status=["Delivered,Failed"]),
        ValueError,
        "status",
    ),
    ("inbound to comma", lambda: FetchInbounds(recipients=["123,456"]), ValueError, "recipients"),
    ("group tag comma", lambda: FetchGroups(tags=["x,y"]), ValueError, "tags"),
    ("tags single str", lambda: FetchBatches(tags="tag1"), TypeError, "tags"),
    (
        "status single str",
        lambda: FetchDeliveryReport(batch_id="b", status="Delivered"),
        TypeError,
        "status",
    ),
    ("senders int", lambda: FetchBatches(senders=12345), TypeError, "senders"),
    ("tag empty", lambda: FetchGroups(tags=[""]), ValueError, "tags"),
    ("tag int", lambda: FetchBatches(tags=[1]), TypeError, "tags"),
    ("tag unhashable", lambda: FetchBatches(tags=[["a"]]), TypeError, "tags"),
    ("code negative", lambda: FetchDeliveryReport(batch_id="b", code=[-1]), ValueError, "code"),
    ("code str", lambda: FetchDeliveryReport(batch_id="b", code=["0"]), TypeError, "code"),
    ("code bool", lambda: FetchDeliveryReports(code=[True]), TypeError, "code"),
    ("code float", lambda: FetchDeliveryReports(code=[0.0]), TypeError, "code"),
    ("code single int", lambda: FetchDeliveryReports(code=0), TypeError, "code"),
    (
        "report kind",
        lambda: FetchDeliveryReport(batch_id="b", kind="detailed"),
        ValueError,
        "kind",
    ),
    ("report kind int", lambda: FetchDeliveryReport(batch_id="b", kind=1), TypeError, "kind"),
    # tags on values and tag commands
    ("batch tags str", lambda: text(tags="tag"), TypeError, "tags"),
    ("batch tag newline", lambda: text(tags=["a\nb"]), ValueError, "tags"),
    ("replace tags str", lambda: ReplaceBatchTags(batch_id="b", tags="t"), TypeError, "tags"),
    (
        "update tags int",
        lambda: UpdateBatchTags(batch_id="b", tags_to_add=[1]),
        TypeError,
        "tags_to_add",
    ),
    ("group tags str", lambda: GroupCreate(tags="t"), TypeError, "tags"),
    # other fields
    ("delivery_report int", lambda: text(delivery_report=5), TypeError, "delivery_report"),
    ("delivery_report empty", lambda: text(delivery_report=""), ValueError, "delivery_report"),
    ("from_ton 256", lambda: text(from_ton=256), ValueError, "from_ton"),
    ("from_npi str", lambda: binary(from_npi="1"), TypeError, "from_npi"),
    ("feedback str", lambda: text(feedback_enabled="yes"), TypeError, "feedback_enabled"),
    ("flash int", lambda: text(flash_message=1), TypeError, "flash_message"),
    (
        "parts 0",
        lambda: text(max_number_of_message_parts=0),
        ValueError,
        "max_number_of_message_parts",
    ),
    (
        "update feedback int",
        lambda: MtBatchTextSmsUpdate(feedback_enabled=0),
        TypeError,
        "feedback_enabled",
    ),
    ("group name empty", lambda: GroupCreate(name=""), ValueError, "name"),
    ("group update name int", lambda: GroupUpdate(name=5), TypeError, "name"),
    ("auto_update str", lambda: GroupCreate(auto_update="54321"), TypeError, "auto_update"),
    ("auto_update dict", lambda: GroupUpdate(auto_update={"to": "1"}), TypeError, "auto_update"),
    ("auto recipient empty", lambda: GroupAutoUpdate(recipient=""), ValueError, "recipient"),
    ("auto recipient None", lambda: GroupAutoUpdate(recipient=None), TypeError, "recipient"),
    (
        "auto word newline",
        lambda: GroupAutoUpdate(recipient="1", add_first_word="a\nb"),
        ValueError,
        "add_first_word",
    ),
    (
        "dry run 0",
        lambda: CreateBatchDryRun(batch=text(), num_recipients=0),
        ValueError,
        "num_recipients",
    ),
    (
        "dry run 1001",
        lambda: CreateBatchDryRun(batch=text(), num_recipients=1001),
        ValueError,
        "num_recipients",
    ),
    (
        "dry run per_recipient str",
        lambda: CreateBatchDryRun(batch=text(), per_recipient="true"),
        TypeError,
        "per_recipient",
    ),
    ("retry attempts 0", lambda: RetryPolicy(attempts=0), ValueError, "attempts"),
    ("retry delay negative", lambda: RetryPolicy(base_delay=-1), ValueError, "base_delay"),
    ("retry delay nan", lambda: RetryPolicy(max_delay=float("nan")), ValueError, "max_delay"),
    # command payload types
    ("CreateBatch str", lambda: CreateBatch(batch="x"), TypeError, "batch"),
    ("CreateBatch dict", lambda: CreateBatch(batch={"to": [OK_NUMBER]}), TypeError, "batch"),
    ("CreateBatch update", lambda: CreateBatch(batch=MtBatchTextSmsUpdate()), TypeError, "batch"),
    (
        "dry run update",
        lambda: CreateBatchDryRun(batch=MtBatchBinarySmsUpdate()),
        TypeError,
        "batch",
    ),
    ("UpdateBatch create", lambda: UpdateBatch(batch_id="b", batch=text()), TypeError, "batch"),
    ("CreateGroup update", lambda: CreateGroup(group=GroupUpdate()), TypeError, "group"),
    ("ReplaceGroup None", lambda: ReplaceGroup(group_id="g", group=None), TypeError, "group"),
    (
        "UpdateGroup create",
        lambda: UpdateGroup(group_id="g", group=GroupCreate()),
        TypeError,
        "group",
    ),
    # settings
    ("ftp endpoint", lambda: settings(endpoint="ftp://example.com/xms"), ValueError, "endpoint"),
    ("no host", lambda: settings(endpoint="https:///xms"), ValueError, "endpoint"),
    ("relative", lambda: settings(endpoint="/xms"), ValueError, "endpoint"),
    (
        "with query",
        lambda: settings(endpoint="https://example.com/xms?x=1"),
        ValueError,
        "endpoint",
    ),
    (
        "empty query",
        lambda: settings(endpoint="https://example.com/xms?"),
        ValueError,
        "endpoint",
    ),
    (
        "fragment",
        lambda: settings(endpoint="https://example.com/xms#top"),
        ValueError,
        "endpoint",
    ),
    ("space", lambda: settings(endpoint="https://example.com/x ms"), ValueError, "endpoint"),
    ("control", lambda: settings(endpoint="https://example.com/x\x00"), ValueError, "endpoint"),
    ("endpoint bytes", lambda: settings(endpoint=b"https://example.com"), TypeError, "endpoint"),
    ("plain http", lambda: settings(endpoint="http://example.com/xms"), ValueError, "endpoint"),
    (
        "plain http lan",
        lambda: settings(endpoint="http://10.0.0.1:8080/xms"),
        ValueError,
        "endpoint",
    ),
    ("user agent empty", lambda: settings(user_agent=""), ValueError, "user_agent"),
    ("user agent newline", lambda: settings(user_agent="a\r\nb"), ValueError, "user_agent"),
    ("user agent bytes", lambda: settings(user_agent=b"ua"), TypeError, "user_agent"),
]


@pytest.mark.parametrize(
    ("make", "exception", "field"),
    [row[1:] for row in BAD],
    ids=[row[0] for row in BAD],
)
def test_bad_input_is_rejected_naming_the_field(
    make: Callable[[], object], exception: type[Exception], field: str
) -> None:
    with pytest.raises(exception) as info:
        make()
    assert type(info.value) is exception
    message = str(info.value)
    assert message.startswith(field) or f"'{field}'" in message, message


def test_the_table_is_large_enough() -> None:
    assert len(BAD) >= 40


@pytest.mark.parametrize(
    ("token", "exception"),
    [
        ("", ValueError),
        ("secret token", ValueError),
        ("secret\ntoken", ValueError),
        ("secret\r\n", ValueError),
        ("sécret", ValueError),
        (b"secret", TypeError),
        (None, TypeError),
    ],
)
def test_bad_token_never_shows_in_the_message(token: object, exception: type[Exception]) -> None:
    with pytest.raises(exception) as info:
        Settings(service_plan_id="plan", token=token)
    message = str(info.value)
    assert message.startswith("token")
    if isinstance(token, str) and token:
        assert token not in message
        assert token.strip() not in message
        assert "secret" not in message


def test_token_is_not_in_the_settings_repr() -> None:
    value = settings()
    assert TOKEN not in repr(value)
    assert TOKEN not in str(value)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:8080/xms",
        "http://127.1.2.3/xms",
        "http://localhost:8000",
        "http://api.localhost/xms",
        "http://[::1]:8080/xms",
        "https://example.com/xms",
        "https://user@example.com:8443/base/path/",
    ],
)
def test_loopback_http_and_any_https_are_accepted(endpoint: str) -> None:
    assert settings(endpoint=endpoint).endpoint == endpoint


def test_plain_http_elsewhere_needs_explicit_consent() -> None:
    value = settings(endpoint="http://example.com/xms", allow_insecure_http=True)
    url = FetchBatch(batch_id="b").build_request(value).url
    assert url == "http://example.com/xms/v1/plan/batches/b"


@pytest.mark.parametrize(
    "identifier",
    [
        "a b",
        "!-@$^&*()+=:;,'~",
        "x" * 128,
        ".a",
        "a.",
        "a.b",
        "3SD49KIOW8lL1Z5E",
        "01FC66621XXXXX119Z8PMV1QPQ",
    ],
)
def test_unusual_ids_are_one_encoded_path_segment(identifier: str) -> None:
    request = FetchBatch(batch_id=identifier).build_request(settings())
    path = urlsplit(request.url).path
    prefix = "/xms/v1/plan/batches/"
    assert path.startswith(prefix)
    segment = path[len(prefix) :]
    assert segment == quote(identifier, safe="")
    assert "/" not in segment
    assert "+" not in segment
    assert " " not in segment


def test_legal_ids_are_encoded_exactly() -> None:
    request = FetchGroup(group_id="!-@$^&*()+=:;,'~").build_request(settings())
    assert request.url.endswith("/groups/%21-%40%24%5E%26%2A%28%29%2B%3D%3A%3B%2C%27~")
    request = FetchGroup(group_id="a b").build_request(settings())
    assert request.url.endswith("/groups/a%20b")


def test_ids_of_128_characters_are_the_limit() -> None:
    assert FetchBatch(batch_id="x" * 128).batch_id == "x" * 128


# --------------------------------------------------------------------------- accepted input


def test_msisdn_forms_are_accepted() -> None:
    numbers = ["+46701234567", "0046701234567", "46701234567", "+1 (555) 123-4567", "12345"]
    assert text(recipients=numbers).recipients == tuple(numbers)


def test_collections_accept_any_iterable_and_drop_duplicates_in_order() -> None:
    batch = text(recipients=(n for n in ["46709999999", OK_NUMBER, "46709999999"]), tags={"t"})
    assert batch.recipients == ("46709999999", OK_NUMBER)
    assert batch.tags == ("t",)
    assert FetchBatches(tags=None).tags == ()
    assert GroupUpdate(member_insertions=[OK_NUMBER, OK_NUMBER]).member_insertions == (OK_NUMBER,)


def test_dates_and_aware_datetimes_are_accepted_as_filters() -> None:
    aware = datetime(2016, 12, 1, tzinfo=timezone(timedelta(hours=-5)))
    assert FetchBatches(start_date=date(2016, 12, 1), end_date=aware).end_date == aware


def test_delivery_report_accepts_reference_strings_and_refuses_unknown_ones() -> None:
    assert text(delivery_report="per_recipient").delivery_report == ReportType.PER_RECIPIENT
    # Protocol 4.1: a closed set; XMS refuses any other value.
    with pytest.raises(ValueError, match="delivery_report: must be one of"):
        text(delivery_report="future_kind")


# --------------------------------------------------------------------------- immutability

VALUES: list[object] = [
    text(parameters={"p": {"default": "v"}}, tags=["a"]),
    binary(),
    MtBatchTextSmsUpdate(sender=RESET, parameters={"p": {OK_NUMBER: "x"}}),
    MtBatchBinarySmsUpdate(body=b"x"),
    GroupCreate(members=[OK_NUMBER], auto_update=GroupAutoUpdate(recipient="1")),
    GroupUpdate(name=RESET, auto_update=RESET),
    GroupAutoUpdate(recipient="1", add_first_word="a"),
    FetchBatches(tags=["a"], start_date=date(2016, 1, 1)),
    FetchDeliveryReport(batch_id="b", code=[0, 1]),
    CreateBatch(batch=text()),
    UpdateGroup(group_id="g", group=GroupUpdate()),
    settings(),
    RetryPolicy(),
]


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_values_are_frozen_hashable_and_evolvable(value: Any) -> None:
    first = attrs.fields(type(value))[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(value, first, getattr(value, first))
    assert hash(value) == hash(attrs.evolve(value))
    assert attrs.evolve(value) == value
    for field in attrs.fields(type(value)):
        current = getattr(value, field.name)
        assert not isinstance(current, (list, dict, set)), field.name


def test_evolve_validates_again() -> None:
    batch = text()
    assert attrs.evolve(batch, body="other").body == "other"
    with pytest.raises(ValueError, match="recipients"):
        attrs.evolve(batch, recipients=["abc"])
    with pytest.raises(ValueError, match="page_size"):
        attrs.evolve(FetchBatches(), page_size=0)


def test_values_take_keyword_arguments_only() -> None:
    with pytest.raises(TypeError):
        FetchBatch("b1")  # type: ignore[misc]


def test_parameters_are_a_frozen_map() -> None:
    batch = text(parameters={"name": {OK_NUMBER: "Joe", "default": "there"}})
    assert isinstance(batch.parameters, FrozenMap)
    assert isinstance(batch.parameters["name"], FrozenMap)
    assert batch.parameters == {"name": {OK_NUMBER: "Joe", "default": "there"}}
    with pytest.raises(TypeError):
        batch.parameters["name"] = {}  # type: ignore[index]
    assert hash(batch.parameters) == hash(text(parameters=dict(batch.parameters)).parameters)


# --------------------------------------------------------------------------- reference names


def test_reset_is_a_singleton_with_a_short_repr() -> None:
    assert repr(RESET) == "RESET"
    assert RESET is Reset.RESET
    assert isinstance(RESET, Reset)
    assert MtBatchTextSmsUpdate(callback_url=RESET).callback_url is RESET


def test_report_types_are_the_reference_strings() -> None:
    assert {m.name: m.value for m in ReportType} == {
        "NONE": "none",
        "SUMMARY": "summary",
        "FULL": "full",
        "PER_RECIPIENT": "per_recipient",
        "PER_RECIPIENT_FINAL": "per_recipient_final",
    }
    assert ReportType.FULL == "full"
    assert str(ReportType.PER_RECIPIENT) == "per_recipient"
    assert {m.name: m.value for m in DeliveryReportType} == {"SUMMARY": "summary", "FULL": "full"}
    assert str(DeliveryReportType.SUMMARY) == "summary"


def test_delivery_statuses_are_the_reference_strings() -> None:
    reference = {
        "ABORTED": "Aborted",
        "DELIVERED": "Delivered",
        "DISPATCHED": "Dispatched",
        "EXPIRED": "Expired",
        "FAILED": "Failed",
        "QUEUED": "Queued",
        "REJECTED": "Rejected",
        "UNKNOWN": "Unknown",
    }
    for name, value in reference.items():
        assert getattr(DeliveryStatus, name) == value
    assert DeliveryStatus.CANCELLED == "Cancelled"
    assert DeliveryStatus.DELETED == "Deleted"
    assert str(DeliveryStatus.DELIVERED) == "Delivered"


@pytest.mark.parametrize("cls", [ReportType, DeliveryReportType, DeliveryStatus, Reset])
def test_constant_classes_cannot_be_extended(cls: type[enum.Enum]) -> None:
    with pytest.raises(TypeError):

        class More(cls):  # type: ignore[misc, valid-type]
            pass


def test_dry_run_result_keeps_the_reference_spelling() -> None:
    result = MtBatchDryRunResult(number_of_recipients=2, number_of_messages=5)
    assert result.number_of_message == 5
    assert DryRunPerRecipient.ENCODING_TEXT == "text"
    assert DryRunPerRecipient.ENCODING_UNICODE == "unicode"


def test_group_auto_update_word_pairs() -> None:
    rule = GroupAutoUpdate(
        recipient="54321",
        add_first_word="Sinch",
        add_second_word="Join",
        remove_first_word="SINCH",
    )
    assert rule.add_word_pair == ("Sinch", "Join")
    assert rule.remove_word_pair == ("SINCH", None)
    assert GroupAutoUpdate(recipient="1").add_word_pair == (None, None)


def test_results_can_be_built_by_hand() -> None:
    result = MtBatchTextSmsResult(
        batch_id="b", recipients=[OK_NUMBER], body="x", created_at=datetime(2016, 1, 1, tzinfo=UTC)
    )
    assert result.recipients == (OK_NUMBER,)
    assert result.canceled is False
    with pytest.raises(TypeError, match="recipients"):
        MtBatchTextSmsResult(batch_id="b", recipients="abc", body="x")


# --------------------------------------------------------------------------- spare validators


@attrs.frozen(kw_only=True)
class _Checked:
    names: tuple[str, ...] = attrs.field(converter=v.unique_tuple, validator=v.non_empty)
    when: datetime = attrs.field(validator=v.aware)
    flag: bool = attrs.field(validator=v.boolean)


def test_spare_validators_name_the_field() -> None:
    when = datetime(2016, 1, 1, tzinfo=UTC)
    assert _Checked(names=["a", "a"], when=when, flag=True).names == ("a",)
    with pytest.raises(ValueError, match=r"^names: must not be empty"):
        _Checked(names=[], when=when, flag=True)
    with pytest.raises(ValueError, match=r"^when: "):
        _Checked(names=["a"], when=NAIVE, flag=True)
    with pytest.raises(TypeError, match=r"^flag: expected bool"):
        _Checked(names=["a"], when=when, flag=1)
