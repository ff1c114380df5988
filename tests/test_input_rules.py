"""What XMS accepts, the SDK accepts; what XMS rejects, the SDK rejects before sending.

Two tables, each row citing the protocol sheet section its rule comes from:

* LEGAL: real traffic that must keep passing. Every row is sent to the simulator,
  which must accept it too, so a rule that grows too tight fails here.
* ILLEGAL: inputs XMS refuses. Each fails at construction with a `ValueError` or
  `TypeError` whose message starts with the field's name, and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.adapters import PLAN, TOKEN
from transports import Client, MemoryTransport
from transports.simulator import ManualClock, Simulator
from xms_core import HttpRequest, HttpResponse, Settings, is_group_id, is_msisdn
from xms_core.api import (
    DeliveryStatus,
    GroupAutoUpdate,
    GroupCreate,
    GroupUpdate,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsUpdate,
    MtBatchTextSmsCreate,
    MtBatchTextSmsUpdate,
    ReportType,
)
from xms_core.exceptions import NotFoundException

OK = "+46701234567"
LONE_SURROGATE = "caf\udce9"  # what os.fsdecode makes of Latin-1 bytes
SOON = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
NUMBERS = [f"+4670{n:07d}" for n in range(1001)]


def text(**changes: Any) -> MtBatchTextSmsCreate:
    return MtBatchTextSmsCreate(**{"sender": "12345", "recipients": [OK], "body": "hi", **changes})


def binary(**changes: Any) -> MtBatchBinarySmsCreate:
    return MtBatchBinarySmsCreate(
        **{"recipients": [OK], "body": b"\x01", "udh": b"\x05\x00\x03\x01\x02\x01", **changes}
    )


@pytest.fixture
def simulator() -> Simulator:
    return Simulator(service_plan_id=PLAN, token=TOKEN, clock=ManualClock())


@pytest.fixture
def client(simulator: Simulator) -> Client:
    return Client(PLAN, TOKEN, transport=MemoryTransport(simulator.handle))


def group_id(client: Client) -> str:
    return client.create_group(GroupCreate(members=["+46700000001"])).group_id


# --------------------------------------------------------------------------- legal

# (id, section, an action on a client talking to the simulator)
LEGAL: list[tuple[str, str, Callable[[Client], object]]] = [
    ("alphanumeric sender", "4.1", lambda c: c.create_batch(text(sender="MyShop"))),
    ("short code sender", "4.1", lambda c: c.create_batch(text(sender="54321"))),
    ("long number sender", "4.1", lambda c: c.create_batch(text(sender="+46705550000"))),
    ("plus prefix", "1.6", lambda c: c.create_batch(text(recipients=["+46701234567"]))),
    ("00 prefix", "1.6", lambda c: c.create_batch(text(recipients=["0046701234567"]))),
    (
        "no prefix, as XMS returns numbers",
        "1.6",
        lambda c: c.create_batch(text(recipients=["46701234567"])),
    ),
    (
        "separators in an international number",
        "1.6",
        lambda c: c.create_batch(text(recipients=["+46 70-123 45 67", "+1 (555) 123-1234"])),
    ),
    ("5 digits", "1.6", lambda c: c.create_batch(text(recipients=["+12345"]))),
    ("15 digits", "1.6", lambda c: c.create_batch(text(recipients=["+123456789012345"]))),
    ("a group alone", "3.1", lambda c: c.create_batch(text(recipients=[group_id(c)]))),
    ("a group and numbers", "3.1", lambda c: c.create_batch(text(recipients=[OK, group_id(c)]))),
    ("1000 recipients", "4.1", lambda c: c.create_batch(text(recipients=NUMBERS[:1000]))),
    (
        "1000 recipients with a group",
        "4.1",
        lambda c: c.create_batch(text(recipients=[group_id(c), *NUMBERS[:999]])),
    ),
    ("emoji body", "4.2", lambda c: c.create_batch(text(body="Ready \N{PARTY POPPER}\N{ROCKET}"))),
    ("Cyrillic body", "4.2", lambda c: c.create_batch(text(body="Привет, мир"))),
    ("Chinese body", "4.2", lambda c: c.create_batch(text(body="你好世界"))),
    ("Arabic body", "4.2", lambda c: c.create_batch(text(body="مرحبا بالعالم"))),
    ("a body of 2000 characters", "4.2", lambda c: c.create_batch(text(body="x" * 2000))),
    ("one character body", "4.2", lambda c: c.create_batch(text(body="."))),
    ("empty tag list", "4.1", lambda c: c.create_batch(text(tags=[]))),
    ("non-Latin tags", "3.8", lambda c: c.create_batch(text(tags=["таг", "标签"]))),
    (
        "every report type",
        "4.1",
        lambda c: [c.create_batch(text(delivery_report=kind)) for kind in ReportType],
    ),
    (
        "report types as strings",
        "4.1",
        lambda c: [c.create_batch(text(delivery_report=kind.value)) for kind in ReportType],
    ),
    (
        "parameters at their limits",
        "4.2",
        lambda c: c.create_batch(
            text(
                body="Hi ${First.name-1_xy}",
                parameters={"First.name-1_xy": {OK: "é" * 160, "default": "friend"}},
            )
        ),
    ),
    (
        "binary body and UDH of 140 bytes",
        "4.3",
        lambda c: c.create_batch(binary(body=b"\xff" * 134)),
    ),
    ("binary with an empty UDH", "4.3", lambda c: c.create_batch(binary(udh=b""))),
    (
        "callback URL of 2048 characters",
        "4.1",
        lambda c: c.create_batch(text(callback_url="https://example.com/" + "a" * 2028)),
    ),
    (
        "client reference of 2048 characters",
        "4.1",
        lambda c: c.create_batch(text(client_reference="r" * 2048)),
    ),
    (
        "send_at before expire_at",
        "4.1",
        lambda c: c.create_batch(text(send_at=SOON, expire_at=SOON + timedelta(days=3))),
    ),
    (
        "an update adding 100 recipients and a group",
        "3.6",
        lambda c: c.update_batch(
            c.create_batch(text(send_at=SOON + timedelta(days=400))).batch_id,
            MtBatchTextSmsUpdate(recipient_insertions=[*NUMBERS[:99], group_id(c)]),
        ),
    ),
    (
        "a binary update of 140 bytes",
        "4.3",
        lambda c: c.update_batch(
            c.create_batch(binary(send_at=SOON + timedelta(days=400))).batch_id,
            MtBatchBinarySmsUpdate(body=b"\x00" * 130, udh=b"\x00" * 10),
        ),
    ),
    (
        "keywords, one word each, non-Latin too",
        "4.11",
        lambda c: c.create_group(
            GroupCreate(auto_update=GroupAutoUpdate("54321", "Gå", "medlem", "СТОП"))
        ),
    ),
    (
        "ten child groups",
        "4.11",
        lambda c: c.create_group(GroupCreate(child_groups=[group_id(c) for _ in range(10)])),
    ),
    (
        "a group update from another group",
        "4.11",
        lambda c: c.update_group(group_id(c), GroupUpdate(add_from_group=group_id(c))),
    ),
    (
        "every delivery status as a filter",
        "4.9",
        lambda c: c.fetch_delivery_reports(status=list(DeliveryStatus)).get(0),
    ),
    (
        "delivery statuses as strings",
        "4.9",
        lambda c: c.fetch_delivery_reports(status=["Delivered", "Failed"]).get(0),
    ),
]


@pytest.mark.parametrize(
    ("section", "action"), [row[1:] for row in LEGAL], ids=[row[0] for row in LEGAL]
)
def test_what_xms_accepts_passes(
    section: str, action: Callable[[Client], object], client: Client, simulator: Simulator
) -> None:
    assert section
    assert action(client) is not None
    assert simulator.requests()[-1].url.startswith(f"{client.settings.endpoint}/v1/{PLAN}/")


def test_ids_with_inner_spaces_are_still_ids(client: Client) -> None:
    # Protocol 1.4: any id is one percent-encoded segment; only the ends are checked.
    with pytest.raises(NotFoundException):
        client.fetch_batch("odd id")


@pytest.mark.parametrize(
    "value",
    ["+46701234567", "0046701234567", "46701234567", "+46 70-123 45 67", "+1 (555) 123-1234"],
)
def test_msisdns_are_recognised(value: str) -> None:
    assert is_msisdn(value)
    assert not is_group_id(value)


@pytest.mark.parametrize(
    "value", ["3SD49KIOW8lL1Z5E", "5Z8QsIRsk86f-jHB", "01FC66621XXXXX119Z8PMV1QPQ"]
)
def test_group_ids_are_recognised(value: str) -> None:
    # Protocol 1.4: the id forms XMS has used.
    assert is_group_id(value)
    assert not is_msisdn(value)


# --------------------------------------------------------------------------- illegal

# (id, section, what builds or sends it, the field the message must start with)
ILLEGAL: list[tuple[str, str, Callable[..., object], str]] = [
    # recipients (1.6, 3.1, 4.1)
    ("national number", "1.6", lambda: text(recipients=["070-123 45 67"]), "recipients"),
    ("national number, bare", "1.6", lambda: text(recipients=["0701234567"]), "recipients"),
    ("letters in a number", "1.6", lambda: text(recipients=["+4670 ABC 4567"]), "recipients"),
    ("16 digits", "1.6", lambda: text(recipients=["+1234567890123456"]), "recipients"),
    ("4 digits", "1.6", lambda: text(recipients=["+1234"]), "recipients"),
    ("plus in the middle", "1.6", lambda: text(recipients=["46+701234567"]), "recipients"),
    ("a short word", "1.4", lambda: text(recipients=["Mary"]), "recipients"),
    ("an id with a slash", "1.4", lambda: text(recipients=["3SD49KIO/W8lL1Z5E"]), "recipients"),
    ("1001 recipients", "4.1", lambda: text(recipients=NUMBERS), "recipients"),
    (
        "national number in an update",
        "3.6",
        lambda: MtBatchTextSmsUpdate(recipient_insertions=["070-1234567"]),
        "recipient_insertions",
    ),
    (
        "101 insertions in an update",
        "3.6",
        lambda: MtBatchTextSmsUpdate(recipient_insertions=NUMBERS[:101]),
        "recipient_insertions",
    ),
    (
        "101 removals in an update",
        "3.6",
        lambda: MtBatchBinarySmsUpdate(recipient_removals=NUMBERS[:101]),
        "recipient_removals",
    ),
    (
        "a group as a parameter key",
        "4.2",
        lambda: text(parameters={"name": {"3SD49KIOW8lL1Z5E": "x"}}),
        "parameters",
    ),
    (
        "a group for delivery feedback",
        "3.12",
        lambda c: c.send_delivery_feedback("b1", ["3SD49KIOW8lL1Z5E"]),
        "recipients",
    ),
    (
        "a group as a group member",
        "4.11",
        lambda: GroupCreate(members=["3SD49KIOW8lL1Z5E"]),
        "members",
    ),
    # bodies (4.2, 4.3)
    ("empty text body", "4.2", lambda: text(body=""), "body"),
    ("text body of 2001 characters", "4.2", lambda: text(body="x" * 2001), "body"),
    ("10 MB text body", "4.2", lambda: text(body="x" * 10_000_000), "body"),
    ("empty body in an update", "4.2", lambda: MtBatchTextSmsUpdate(body=""), "body"),
    ("long body in an update", "4.2", lambda: MtBatchTextSmsUpdate(body="é" * 2001), "body"),
    ("binary of 141 bytes", "4.3", lambda: binary(body=b"\x00" * 135), "body, udh"),
    (
        "binary update of 141 bytes",
        "4.3",
        lambda: MtBatchBinarySmsUpdate(body=b"\x00" * 130, udh=b"\x00" * 11),
        "body, udh",
    ),
    (
        "binary update body alone over 140 bytes",
        "4.3",
        lambda: MtBatchBinarySmsUpdate(body=b"\x00" * 141),
        "body, udh",
    ),
    # closed sets (4.1, 3.9, 4.9)
    ("unknown report type", "4.1", lambda: text(delivery_report="everything"), "delivery_report"),
    ("report type in capitals", "4.1", lambda: text(delivery_report="FULL"), "delivery_report"),
    (
        "unknown report type in an update",
        "4.1",
        lambda: MtBatchTextSmsUpdate(delivery_report="always"),
        "delivery_report",
    ),
    ("unknown report kind", "3.9", lambda c: c.fetch_delivery_report("b1", "both"), "kind"),
    (
        "unknown status filter",
        "4.9",
        lambda c: c.fetch_delivery_report("b1", status=["Sent"]),
        "status",
    ),
    (
        "status filter misspelt",
        "4.9",
        lambda c: list(c.fetch_delivery_reports(status=["delivered"])),
        "status",
    ),
    # other limits (4.1, 4.2, 4.11)
    (
        "parameter name with a space",
        "4.2",
        lambda: text(parameters={"first name": {OK: "x"}}),
        "parameters",
    ),
    (
        "parameter name of 17 characters",
        "4.2",
        lambda: text(parameters={"a" * 17: {OK: "x"}}),
        "parameters",
    ),
    (
        "parameter value of 161 characters",
        "4.2",
        lambda: text(parameters={"name": {"default": "x" * 161}}),
        "parameters",
    ),
    (
        "callback URL of 2049 characters",
        "4.1",
        lambda: text(callback_url="https://example.com/" + "a" * 2029),
        "callback_url",
    ),
    (
        "client reference of 2049 characters",
        "4.1",
        lambda: text(client_reference="r" * 2049),
        "client_reference",
    ),
    (
        "client reference too long in an update",
        "4.1",
        lambda: MtBatchTextSmsUpdate(client_reference="r" * 2049),
        "client_reference",
    ),
    (
        "expire_at before send_at",
        "4.1",
        lambda: text(send_at=SOON, expire_at=SOON - timedelta(minutes=1)),
        "expire_at",
    ),
    (
        "expire_at equal to send_at in an update",
        "4.1",
        lambda: MtBatchTextSmsUpdate(send_at=SOON, expire_at=SOON),
        "expire_at",
    ),
    (
        "eleven child groups",
        "4.11",
        lambda: GroupCreate(child_groups=[f"ChildGroup{n:02d}" for n in range(11)]),
        "child_groups",
    ),
    ("a child group not an id", "1.4", lambda: GroupCreate(child_groups=["cg1"]), "child_groups"),
    (
        "10001 members",
        "4.11",
        lambda: GroupCreate(members=[f"+4670{n:07d}" for n in range(10_001)]),
        "members",
    ),
    (
        "two words as a keyword",
        "4.11",
        lambda: GroupAutoUpdate("54321", "join now"),
        "add_first_word",
    ),
    (
        "a keyword of 16 characters",
        "4.11",
        lambda: GroupAutoUpdate("54321", remove_first_word="x" * 16),
        "remove_first_word",
    ),
    (
        "a second keyword without a first",
        "4.11",
        lambda: GroupAutoUpdate("54321", add_second_word="now"),
        "add_second_word",
    ),
    (
        "add_from_group not an id",
        "1.4",
        lambda: GroupUpdate(remove_from_group="all"),
        "remove_from_group",
    ),
    # ids with whitespace at either end (1.4)
    ("batch id with a leading space", "1.4", lambda c: c.fetch_batch(" b1"), "batch_id"),
    ("batch id with a trailing space", "1.4", lambda c: c.cancel_batch("b1 "), "batch_id"),
    ("group id with a trailing tab", "1.4", lambda c: c.fetch_group("g1\t"), "group_id"),
    ("inbound id with a leading space", "1.4", lambda c: c.fetch_inbound(" m1"), "inbound_id"),
    (
        "service plan with a trailing space",
        "1.2",
        lambda: Settings(service_plan_id="plan ", token=TOKEN),
        "service_plan_id",
    ),
    # strings that cannot be encoded as UTF-8 (1.3)
    ("lone surrogate in a body", "1.3", lambda: text(body=LONE_SURROGATE), "body"),
    ("lone surrogate in a sender", "1.3", lambda: text(sender=LONE_SURROGATE), "sender"),
    ("lone surrogate in a tag", "1.3", lambda: text(tags=[LONE_SURROGATE]), "tags"),
    (
        "lone surrogate in a parameter",
        "1.3",
        lambda: text(parameters={"n": {"default": LONE_SURROGATE}}),
        "parameters",
    ),
    (
        "lone surrogate in a callback URL",
        "1.3",
        lambda: text(callback_url="https://x/" + LONE_SURROGATE),
        "callback_url",
    ),
    (
        "lone surrogate in a client reference",
        "1.3",
        lambda: MtBatchBinarySmsUpdate(client_reference=LONE_SURROGATE),
        "client_reference",
    ),
    (
        "lone surrogate in an update body",
        "1.3",
        lambda: MtBatchTextSmsUpdate(body="\ud83d"),
        "body",
    ),
    ("lone surrogate in a group name", "1.3", lambda: GroupCreate(name="\udc80"), "name"),
    (
        "lone surrogate in a keyword",
        "1.3",
        lambda: GroupAutoUpdate("54321", LONE_SURROGATE),
        "add_first_word",
    ),
    (
        "lone surrogate in a filter",
        "1.3",
        lambda c: list(c.fetch_batches(senders=[LONE_SURROGATE])),
        "senders",
    ),
    (
        "lone surrogate in a tag update",
        "1.3",
        lambda c: c.update_group_tags("g1", [LONE_SURROGATE], []),
        "tags_to_add",
    ),
]


class Recorder:
    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        return HttpResponse(status=500)


def test_the_tables_cover_every_rule() -> None:
    assert len({row[0] for row in LEGAL}) == len(LEGAL) >= 30
    assert len({row[0] for row in ILLEGAL}) == len(ILLEGAL) >= 50
    cited = {row[1] for row in ILLEGAL}
    assert cited >= {
        "1.2",
        "1.3",
        "1.4",
        "1.6",
        "3.6",
        "3.9",
        "3.12",
        "4.1",
        "4.2",
        "4.3",
        "4.9",
        "4.11",
    }


@pytest.mark.parametrize(
    ("section", "action", "field"), [row[1:] for row in ILLEGAL], ids=[row[0] for row in ILLEGAL]
)
def test_what_xms_rejects_fails_before_any_byte_is_sent(
    section: str, action: Callable[..., object], field: str
) -> None:
    recorder = Recorder()
    client = Client(PLAN, TOKEN, transport=MemoryTransport(recorder))
    with pytest.raises((ValueError, TypeError)) as info:
        built = action(client) if action.__code__.co_argcount == 1 else action()
        if isinstance(built, (MtBatchTextSmsCreate, MtBatchBinarySmsCreate)):
            client.create_batch(built)
    assert section
    assert str(info.value).startswith(field), str(info.value)
    assert not isinstance(info.value, UnicodeError)  # a ValueError subclass, but not ours
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: GroupUpdate(add_from_group=5), "add_from_group"),
        (lambda: GroupCreate(child_groups=[5]), "child_groups"),
        (lambda: MtBatchTextSmsCreate(recipients=[46701234567], body="hi"), "recipients"),
        (lambda: MtBatchTextSmsUpdate(recipient_removals=[None]), "recipient_removals"),
        (lambda: MtBatchTextSmsCreate(recipients=[OK], body=b"hi"), "body"),
        (lambda: MtBatchTextSmsUpdate(callback_url=7), "callback_url"),
    ],
)
def test_a_wrong_type_is_a_type_error_naming_the_field(
    build: Callable[[], object], field: str
) -> None:
    with pytest.raises(TypeError) as info:
        build()
    assert str(info.value).startswith(field)
