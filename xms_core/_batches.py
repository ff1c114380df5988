"""Batch values (text and binary create, update and result), dry-run results, and their codecs.

Wire mapping: protocol sections 4.1 (common fields), 4.2 (`mt_text`),
4.3 (`mt_binary`), 4.5 (update) and 4.6 (dry run). Fixed against the original
SDK: no `"from": null` when there is no sender, no trailing newline in Base64,
recipients keep the caller's order, RESET works on every resettable field, the
batch `tags` of an answer are read, unknown `type` values name the type.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, cast, final

import attrs

from xms_core import _validate as v
from xms_core._builders import constructor
from xms_core._constants import ReportType, Reset
from xms_core._sets import TupleSet, from_answer, to_tuple_set
from xms_core._validate import FrozenMap, Parameters, to_parameters
from xms_core._wire import (
    JsonObject,
    WireError,
    all_str,
    obj,
    opt_bool,
    opt_int,
    opt_str,
    read_base64,
    read_hex,
    req_int,
    req_str,
    req_time,
    str_tuple,
    write_base64,
    write_time,
)

_EMPTY_PARAMETERS: Parameters = FrozenMap()
_NO_STRINGS = TupleSet()

MAX_RECIPIENTS = 1000
"""The most recipients (MSISDNs and group ids) one batch may have (protocol 4.1)."""
MAX_RECIPIENT_CHANGES = 100
"""The most recipients one update may add, and the most it may remove (protocol 3.6)."""
MAX_TEXT_BODY = 2000
"""The longest text body, in characters (protocol 4.2: 2000 today, 1600 in 2019)."""
MAX_BINARY_MESSAGE = 140
"""The most bytes of a binary body and its UDH together: one SMS (protocol 4.3, 8)."""
MAX_URL = 2048
"""The longest `callback_url` (protocol 4.1)."""
MAX_CLIENT_REFERENCE = 2048
"""The longest `client_reference` (protocol 4.1: 2048 today, 128 in 2019)."""


def _resettable(check: Any) -> Any:  # noqa: ANN401 - builds an attrs validator
    """Validator for update fields: None (keep), RESET (reset) or a value `check` accepts."""
    checks = check if isinstance(check, list) else [check]

    def validate(inst: object, field: attrs.Attribute[Any], value: object) -> None:
        if value is None or isinstance(value, Reset):
            return
        for one in checks:
            one(inst, field, value)

    return validate


def _reset_parameters(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if value is None or isinstance(value, Reset):
        return
    v.check_parameters(field.name, value)


_REPORT_TYPES = tuple(kind.value for kind in ReportType)


def _delivery_report(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    # Protocol 4.1: `delivery_report` is one of a closed set (see `ReportType`).
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{field.name}: expected a ReportType or str, got {type(value).__name__}")
    if value not in _REPORT_TYPES:
        raise ValueError(
            f"{field.name}: must be one of {', '.join(_REPORT_TYPES)} (got {v.show(value)})"
        )


def _body(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    # Protocol 4.2: a text body is required, so it has content, and at most 2000 characters.
    v.text(inst, field, value)
    body = cast("str", value)
    if not body:
        raise ValueError(f"{field.name}: must not be empty (protocol 4.2)")
    if len(body) > MAX_TEXT_BODY:
        raise ValueError(
            f"{field.name}: at most {MAX_TEXT_BODY} characters (got {len(body)}; protocol 4.2)"
        )


def _optional_body(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _body(inst, field, value)


def _check_binary_size(body: bytes | None, udh: bytes | None) -> None:
    # Protocol 4.3 and 8: body and UDH together fit in one SMS of 140 bytes.
    size = len(body or b"") + len(udh or b"")
    if size > MAX_BINARY_MESSAGE:
        raise ValueError(
            f"body, udh: together at most {MAX_BINARY_MESSAGE} bytes"
            f" (got {len(body or b'')} + {len(udh or b'')}; protocol 4.3)"
        )


def _check_window(send_at: object, expire_at: object) -> None:
    # Protocol 4.1: `send_at` must be before `expire_at`.
    if isinstance(send_at, datetime) and isinstance(expire_at, datetime) and expire_at <= send_at:
        raise ValueError(
            f"expire_at: must be after send_at (got {expire_at.isoformat()}"
            f" <= {send_at.isoformat()}; protocol 4.1)"
        )


def _from_ton_npi(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        v.check_int(field.name, value, 0, 255)


# --------------------------------------------------------------------------- values


@attrs.frozen(kw_only=True)
class MtBatchSms:
    """Fields common to every SMS batch, created or returned.

    Attributes:
        recipients: The MSISDNs and group ids the batch goes to, in order, without
            duplicates; equal to a set of them too (`TupleSet`).
        sender: The originator (short code, long number or alphanumeric); None
            lets XMS pick its default originator.
        delivery_report: The delivery report type (see `ReportType`); None for the XMS default.
        send_at: When to send; None sends at once.
        expire_at: When to give up delivering; None for the XMS default.
        callback_url: Where XMS posts delivery reports; None for the service plan's default.
        client_reference: A reference of yours echoed in delivery reports (later API).
        feedback_enabled: Whether delivery feedback may be posted for this batch (later API).
        from_ton: SMPP type-of-number override for the sender (later API).
        from_npi: SMPP numbering-plan override for the sender (later API).
    """

    recipients: TupleSet = attrs.field(converter=to_tuple_set, validator=v.collection)
    sender: str | None = attrs.field(default=None, validator=v.optional_single_line)
    delivery_report: str | None = attrs.field(default=None, validator=_delivery_report)
    send_at: datetime | None = attrs.field(default=None, validator=v.optional_aware)
    expire_at: datetime | None = attrs.field(default=None, validator=v.optional_aware)
    callback_url: str | None = attrs.field(
        default=None,
        validator=[v.optional_single_line, v.bounded_text(MAX_URL, "4.1", optional=True)],
    )
    client_reference: str | None = attrs.field(
        default=None, validator=v.bounded_text(MAX_CLIENT_REFERENCE, "4.1", optional=True)
    )
    feedback_enabled: bool | None = attrs.field(default=None, validator=v.optional_bool)
    from_ton: int | None = attrs.field(default=None, validator=_from_ton_npi)
    from_npi: int | None = attrs.field(default=None, validator=_from_ton_npi)


@attrs.frozen(kw_only=True)
class MtBatchSmsCreate(MtBatchSms):
    """Fields common to text and binary batches being created.

    Attributes:
        tags: Tags to give the batch (CLX-era API).
    """

    tags: TupleSet = attrs.field(default=_NO_STRINGS, converter=to_tuple_set, validator=v.strings)

    def __attrs_post_init__(self) -> None:
        # Protocol 3.1, 4.1: `to` holds 1 to 1000 MSISDNs and/or group ids.
        if not self.recipients:
            raise ValueError("recipients: a batch needs at least one recipient")
        for recipient in self.recipients:
            v.check_recipient("recipients", recipient)
        if len(self.recipients) > MAX_RECIPIENTS:
            raise ValueError(f"recipients: at most {MAX_RECIPIENTS} per batch (protocol 4.1)")
        _check_window(self.send_at, self.expire_at)


@final
@attrs.frozen(kw_only=True)
class MtBatchTextSmsCreate(MtBatchSmsCreate):
    """A text batch to create.

    Attributes:
        body: The message text or template, e.g. `"Hello, ${name}!"`.
        parameters: Template values: parameter name -> recipient (or `"default"`) -> text.
        flash_message: Show the message on the handset's screen without storing it (later API).
        max_number_of_message_parts: Fail recipients whose message needs more parts (later API).
        truncate_concat: Truncate a message that needs more than one part (later API).
    """

    body: str = attrs.field(validator=_body)
    parameters: Parameters = attrs.field(
        default=_EMPTY_PARAMETERS, converter=to_parameters, validator=v.parameters
    )
    flash_message: bool | None = attrs.field(default=None, validator=v.optional_bool)
    max_number_of_message_parts: int | None = attrs.field(
        default=None, validator=v.optional_int_range(1)
    )
    truncate_concat: bool | None = attrs.field(default=None, validator=v.optional_bool)


@final
@attrs.frozen(kw_only=True)
class MtBatchBinarySmsCreate(MtBatchSmsCreate):
    """A binary batch to create.

    Attributes:
        body: The binary payload.
        udh: The User Data Header.
    """

    body: bytes = attrs.field(validator=v.binary)
    udh: bytes = attrs.field(validator=v.binary)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        _check_binary_size(self.body, self.udh)


@attrs.frozen(kw_only=True)
class MtBatchSmsResult(MtBatchSms):
    """Fields common to text and binary batches as XMS returns them.

    Attributes:
        batch_id: The batch identifier.
        created_at: When the batch was created.
        modified_at: When the batch was last changed.
        canceled: Whether the batch was cancelled.
        tags: The batch's tags, when the server includes them.
    """

    batch_id: str
    created_at: datetime | None = None
    modified_at: datetime | None = None
    canceled: bool = False
    tags: TupleSet = attrs.field(default=_NO_STRINGS, converter=to_tuple_set)


@final
@attrs.frozen(kw_only=True)
class MtBatchTextSmsResult(MtBatchSmsResult):
    """A text batch as XMS returns it; see `MtBatchTextSmsCreate` for the text fields."""

    body: str
    parameters: Parameters = _EMPTY_PARAMETERS
    flash_message: bool | None = None
    max_number_of_message_parts: int | None = None
    truncate_concat: bool | None = None


@final
@attrs.frozen(kw_only=True)
class MtBatchBinarySmsResult(MtBatchSmsResult):
    """A binary batch as XMS returns it."""

    body: bytes
    udh: bytes


@attrs.frozen(kw_only=True)
class MtBatchSmsUpdate:
    """Changes to a batch. For each field None keeps the value, `RESET` resets it.

    Attributes:
        recipient_insertions: MSISDNs and group ids to add (at most 100).
        recipient_removals: MSISDNs and group ids to remove (at most 100).
        sender: New sender.
        delivery_report: New delivery report type.
        send_at: New send time.
        expire_at: New expiry time.
        callback_url: New callback URL.
        client_reference: New client reference (later API).
        feedback_enabled: Enable or disable delivery feedback (later API).
    """

    recipient_insertions: TupleSet = attrs.field(
        default=_NO_STRINGS,
        converter=to_tuple_set,
        validator=[v.recipients, v.at_most(MAX_RECIPIENT_CHANGES, "recipients", "3.6")],
    )
    recipient_removals: TupleSet = attrs.field(
        default=_NO_STRINGS,
        converter=to_tuple_set,
        validator=[v.recipients, v.at_most(MAX_RECIPIENT_CHANGES, "recipients", "3.6")],
    )
    sender: str | Reset | None = attrs.field(
        default=None, validator=_resettable(v.optional_single_line)
    )
    delivery_report: str | Reset | None = attrs.field(
        default=None, validator=_resettable(_delivery_report)
    )
    send_at: datetime | Reset | None = attrs.field(
        default=None, validator=_resettable(v.optional_aware)
    )
    expire_at: datetime | Reset | None = attrs.field(
        default=None, validator=_resettable(v.optional_aware)
    )
    callback_url: str | Reset | None = attrs.field(
        default=None,
        validator=_resettable([v.optional_single_line, v.bounded_text(MAX_URL, "4.1")]),
    )
    client_reference: str | Reset | None = attrs.field(
        default=None, validator=_resettable(v.bounded_text(MAX_CLIENT_REFERENCE, "4.1"))
    )
    feedback_enabled: bool | Reset | None = attrs.field(
        default=None, validator=_resettable(v.optional_bool)
    )

    wire_type: ClassVar[str] = "mt_text"

    def __attrs_post_init__(self) -> None:
        _check_window(self.send_at, self.expire_at)


@final
@attrs.frozen(kw_only=True)
class MtBatchTextSmsUpdate(MtBatchSmsUpdate):
    """Changes to a text batch.

    Attributes:
        body: New message text; None keeps it.
        parameters: New template parameters; None keeps them, `RESET` removes them.
    """

    body: str | None = attrs.field(default=None, validator=_optional_body)
    parameters: Parameters | Reset | None = attrs.field(
        default=None, converter=to_parameters, validator=_reset_parameters
    )

    wire_type: ClassVar[str] = "mt_text"


@final
@attrs.frozen(kw_only=True)
class MtBatchBinarySmsUpdate(MtBatchSmsUpdate):
    """Changes to a binary batch.

    Attributes:
        body: New payload; None keeps it.
        udh: New User Data Header; None keeps it.
    """

    body: bytes | None = attrs.field(default=None, validator=v.optional_binary)
    udh: bytes | None = attrs.field(default=None, validator=v.optional_binary)

    wire_type: ClassVar[str] = "mt_binary"

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        _check_binary_size(self.body, self.udh)


@final
@attrs.frozen(kw_only=True)
class DryRunPerRecipient:
    """The dry-run outcome for one recipient.

    Attributes:
        recipient: The recipient.
        number_of_parts: How many SMS parts the message needs.
        body: The message after template substitution.
        encoding: `text` (GSM-7) or `unicode` (UCS-2); newer servers may say otherwise.
    """

    ENCODING_TEXT: ClassVar[str] = "text"
    ENCODING_UNICODE: ClassVar[str] = "unicode"

    recipient: str
    number_of_parts: int
    body: str
    encoding: str


@final
@attrs.frozen(kw_only=True)
class MtBatchDryRunResult:
    """What sending a batch would do.

    Attributes:
        number_of_recipients: How many recipients would get the batch.
        number_of_messages: How many SMS parts would be sent in all.
        per_recipient: Per-recipient details, when asked for.
    """

    number_of_recipients: int
    number_of_messages: int
    per_recipient: tuple[DryRunPerRecipient, ...] = ()

    @property
    def number_of_message(self) -> int:
        """The reference's spelling of `number_of_messages`."""
        return self.number_of_messages


MtBatchCreate = MtBatchTextSmsCreate | MtBatchBinarySmsCreate
MtBatchResult = MtBatchTextSmsResult | MtBatchBinarySmsResult
MtBatchUpdate = MtBatchTextSmsUpdate | MtBatchBinarySmsUpdate


# --------------------------------------------------------------------------- encoding


def _put_common(out: JsonObject, batch: MtBatchSms) -> None:
    if batch.delivery_report is not None:
        out["delivery_report"] = str(batch.delivery_report)
    if batch.send_at is not None:
        out["send_at"] = write_time(batch.send_at)
    if batch.expire_at is not None:
        out["expire_at"] = write_time(batch.expire_at)
    if batch.callback_url is not None:
        out["callback_url"] = batch.callback_url
    if batch.client_reference is not None:
        out["client_reference"] = batch.client_reference
    if batch.feedback_enabled is not None:
        out["feedback_enabled"] = batch.feedback_enabled
    if batch.from_ton is not None:
        out["from_ton"] = batch.from_ton
    if batch.from_npi is not None:
        out["from_npi"] = batch.from_npi


def write_parameters(parameters: Mapping[str, Mapping[str, str]]) -> JsonObject:
    """Encode template parameters as nested JSON objects."""
    return {key: dict(values) for key, values in parameters.items()}


def write_create(batch: MtBatchCreate) -> JsonObject:
    """Encode a batch to create (protocol 4.1-4.3)."""
    out: JsonObject
    if isinstance(batch, MtBatchTextSmsCreate):
        out = {"type": "mt_text"}
        if batch.sender is not None:
            out["from"] = batch.sender
        out["to"] = list(batch.recipients)
        out["body"] = batch.body
        if batch.parameters:
            out["parameters"] = write_parameters(batch.parameters)
        if batch.flash_message is not None:
            out["flash_message"] = batch.flash_message
        if batch.max_number_of_message_parts is not None:
            out["max_number_of_message_parts"] = batch.max_number_of_message_parts
        if batch.truncate_concat is not None:
            out["truncate_concat"] = batch.truncate_concat
    else:
        out = {"type": "mt_binary"}
        if batch.sender is not None:
            out["from"] = batch.sender
        out["to"] = list(batch.recipients)
        out["body"] = write_base64(batch.body)
        out["udh"] = batch.udh.hex()
    _put_common(out, batch)
    if batch.tags:
        out["tags"] = list(batch.tags)
    return out


def _resettable_value(value: object) -> object:
    if isinstance(value, Reset):
        return None
    if isinstance(value, datetime):
        return write_time(value)
    if isinstance(value, bytes):
        return write_base64(value)
    if isinstance(value, Mapping):
        return write_parameters(value)
    if isinstance(value, str):
        return str(value)
    return value


_UPDATE_FIELDS = (
    ("sender", "from"),
    ("body", "body"),
    ("parameters", "parameters"),
    ("delivery_report", "delivery_report"),
    ("send_at", "send_at"),
    ("expire_at", "expire_at"),
    ("callback_url", "callback_url"),
    ("client_reference", "client_reference"),
    ("feedback_enabled", "feedback_enabled"),
)


def write_update(update: MtBatchUpdate) -> JsonObject:
    """Encode a batch update: absent keeps, `null` resets (protocol 3.6, 4.5)."""
    out: JsonObject = {"type": update.wire_type}
    if update.recipient_insertions:
        out["to_add"] = list(update.recipient_insertions)
    if update.recipient_removals:
        out["to_remove"] = list(update.recipient_removals)
    for attribute, key in _UPDATE_FIELDS:
        value = getattr(update, attribute, None)
        if value is not None:
            out[key] = _resettable_value(value)
    if isinstance(update, MtBatchBinarySmsUpdate) and update.udh is not None:
        out["udh"] = update.udh.hex()
    return out


# --------------------------------------------------------------------------- decoding


def _read_parameters(data: JsonObject) -> Parameters:
    raw = data.get("parameters")
    if raw is None:
        return _EMPTY_PARAMETERS
    outer = obj(raw, "field 'parameters'")
    result: dict[str, FrozenMap[str, str]] = {}
    for key, inner in outer.items():
        values = obj(inner, f"parameter {key!r}")
        for text in values.values():
            if type(text) is not str:
                raise WireError(f"parameter {key!r}: values must be strings")
        result[key] = FrozenMap(values)
    return FrozenMap(result)


_from_iso = datetime.fromisoformat
_OPTIONAL_STR = frozenset({str, type(None)})
_OPTIONAL_BOOL = frozenset({bool, type(None)})
_OPTIONAL_INT = frozenset({int, type(None)})

# Every field of a batch answer, in the order the decoder reads them.
_COMMON_FIELDS = (
    "batch_id",
    "recipients",
    "sender",
    "delivery_report",
    "send_at",
    "expire_at",
    "callback_url",
    "client_reference",
    "feedback_enabled",
    "from_ton",
    "from_npi",
    "created_at",
    "modified_at",
    "canceled",
    "tags",
)
# The decoder wraps the strings of an answer with `from_answer`: no converter runs on them.
_ANSWER_SETS = ("recipients", "tags")
_new_text_result = constructor(
    MtBatchTextSmsResult,
    *_COMMON_FIELDS,
    "body",
    "parameters",
    "flash_message",
    "max_number_of_message_parts",
    "truncate_concat",
    converted=_ANSWER_SETS,
)
_new_binary_result = constructor(
    MtBatchBinarySmsResult, *_COMMON_FIELDS, "body", "udh", converted=_ANSWER_SETS
)


def read_batch(value: object) -> MtBatchResult:  # noqa: C901, PLR0912, PLR0915 - one straight pass: the hot path
    """Decode a batch answer (`mt_text` or `mt_binary`).

    The hot path of every create, fetch and page (30 batches a page): each
    field gets a quick inline check (timestamps: `fromisoformat` with an
    offset), and only a value that fails it goes to its strict reader, which
    raises naming the field or reads a rarer form. Fields are checked in
    `_COMMON_FIELDS` order, so the first bad one is the one reported.
    """
    data = value if type(value) is dict else obj(value, "batch")
    get = data.get
    kind = get("type", "mt_text")
    batch_id = get("id")
    if type(batch_id) is not str:
        batch_id = req_str(data, "id")
    to = get("to")
    recipients = from_answer(
        to if type(to) is list and all_str(to) else str_tuple(data, "to", required=True)
    )
    sender = get("from")
    if type(sender) not in _OPTIONAL_STR:
        opt_str(data, "from")
    delivery_report = get("delivery_report")
    if type(delivery_report) not in _OPTIONAL_STR:
        opt_str(data, "delivery_report")
    send_at = get("send_at")
    if send_at is not None:
        try:
            send_at = _from_iso(send_at)
        except (TypeError, ValueError):
            send_at = req_time(data, "send_at")  # raises naming the field, or a rare form
        if send_at.tzinfo is None:
            send_at = req_time(data, "send_at")  # no offset means UTC
    expire_at = get("expire_at")
    if expire_at is not None:
        try:
            expire_at = _from_iso(expire_at)
        except (TypeError, ValueError):
            expire_at = req_time(data, "expire_at")  # raises naming the field, or a rare form
        if expire_at.tzinfo is None:
            expire_at = req_time(data, "expire_at")  # no offset means UTC
    callback_url = get("callback_url")
    if type(callback_url) not in _OPTIONAL_STR:
        opt_str(data, "callback_url")
    client_reference = get("client_reference")
    if type(client_reference) not in _OPTIONAL_STR:
        opt_str(data, "client_reference")
    feedback_enabled = get("feedback_enabled")
    if type(feedback_enabled) not in _OPTIONAL_BOOL:
        opt_bool(data, "feedback_enabled")
    from_ton = get("from_ton")
    if type(from_ton) not in _OPTIONAL_INT:
        from_ton = opt_int(data, "from_ton")
    from_npi = get("from_npi")
    if type(from_npi) not in _OPTIONAL_INT:
        from_npi = opt_int(data, "from_npi")
    created_at = get("created_at")
    if created_at is not None:
        try:
            created_at = _from_iso(created_at)
        except (TypeError, ValueError):
            created_at = req_time(data, "created_at")  # raises naming the field, or a rare form
        if created_at.tzinfo is None:
            created_at = req_time(data, "created_at")  # no offset means UTC
    modified_at = get("modified_at")
    if modified_at is not None:
        try:
            modified_at = _from_iso(modified_at)
        except (TypeError, ValueError):
            modified_at = req_time(data, "modified_at")  # raises naming the field, or a rare form
        if modified_at.tzinfo is None:
            modified_at = req_time(data, "modified_at")  # no offset means UTC
    canceled = get("canceled")
    if type(canceled) is not bool:
        canceled = bool(opt_bool(data, "canceled"))
    raw_tags = get("tags")
    tags = _NO_STRINGS if raw_tags is None else from_answer(str_tuple(data, "tags"))
    if kind == "mt_text":
        body = get("body")
        if type(body) is not str:
            body = req_str(data, "body")
        parameters = _read_parameters(data)
        flash_message = get("flash_message")
        if type(flash_message) not in _OPTIONAL_BOOL:
            opt_bool(data, "flash_message")
        parts = get("max_number_of_message_parts")
        if type(parts) not in _OPTIONAL_INT:
            parts = opt_int(data, "max_number_of_message_parts")
        truncate_concat = get("truncate_concat")
        if type(truncate_concat) not in _OPTIONAL_BOOL:
            opt_bool(data, "truncate_concat")
        return _new_text_result(
            batch_id,
            recipients,
            sender,
            delivery_report,
            send_at,
            expire_at,
            callback_url,
            client_reference,
            feedback_enabled,
            from_ton,
            from_npi,
            created_at,
            modified_at,
            canceled,
            tags,
            body,
            parameters,
            flash_message,
            parts,
            truncate_concat,
        )
    if kind == "mt_binary":
        return _new_binary_result(
            batch_id,
            recipients,
            sender,
            delivery_report,
            send_at,
            expire_at,
            callback_url,
            client_reference,
            feedback_enabled,
            from_ton,
            from_npi,
            created_at,
            modified_at,
            canceled,
            tags,
            read_base64(data, "body"),
            read_hex(data, "udh"),
        )
    raise WireError(f"unknown batch type {kind!r}")


_new_dry_run = constructor(
    MtBatchDryRunResult, "number_of_recipients", "number_of_messages", "per_recipient"
)
_new_per_recipient = constructor(
    DryRunPerRecipient, "recipient", "number_of_parts", "body", "encoding"
)


def read_dry_run(value: object) -> MtBatchDryRunResult:
    """Decode a dry-run answer (protocol 4.6)."""
    data = obj(value, "dry run")
    raw = data.get("per_recipient")
    per_recipient: tuple[DryRunPerRecipient, ...] = ()
    if raw is not None:
        if type(raw) is not list:
            raise WireError("field 'per_recipient': expected an array")
        per_recipient = tuple(_read_per_recipient(item) for item in raw)
    return _new_dry_run(
        number_of_recipients=req_int(data, "number_of_recipients"),
        number_of_messages=req_int(data, "number_of_messages"),
        per_recipient=per_recipient,
    )


def _read_per_recipient(value: object) -> DryRunPerRecipient:
    data = obj(value, "per_recipient entry")
    return _new_per_recipient(
        recipient=req_str(data, "recipient"),
        number_of_parts=req_int(data, "number_of_parts"),
        body=req_str(data, "body"),
        encoding=req_str(data, "encoding"),
    )


def read_tags(value: object) -> TupleSet:
    """Decode a `{"tags": [...]}` answer (protocol 3.8)."""
    return from_answer(str_tuple(obj(value, "tags"), "tags", required=True))


def write_tags(tags: TupleSet) -> JsonObject:
    """Encode a replacement of every tag (protocol 3.8)."""
    return {"tags": list(tags)}


def write_tags_update(tags_to_add: TupleSet, tags_to_remove: TupleSet) -> JsonObject:
    """Encode tags to add and remove; both keys always, as the reference did (protocol 3.8)."""
    return {"add": list(tags_to_add), "remove": list(tags_to_remove)}
