"""Batches in the simulator: create, dry run, list, fetch, replace, update, cancel, tags.

Endpoints (protocol 3.1-3.8, objects 4.1-4.6): POST /batches, POST /batches/dry_run,
GET /batches, GET|PUT|POST|DELETE /batches/{id}, GET|PUT|POST /batches/{id}/tags.

Stored batches echo what was sent, normalised: `to` keeps its order and spelling with
duplicates (same digits, or same group id) dropped; binary bodies are re-encoded as
Base64 without line breaks and UDHs as lower-case hex; timestamps as UTC milliseconds.
Unset optional fields are left out, except `delivery_report`, which defaults to `none`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import attrs

from transports.simulator import _sim_delivery as delivery
from transports.simulator import _sim_text as text
from transports.simulator._sim_store import Batch, BatchSpec, Call, Store, apply_tags
from transports.simulator._sim_wire import (
    bad,
    bad_format,
    forbidden,
    format_time,
    json_response,
    msisdn,
    page_of,
    read_bool,
    read_int,
    read_list,
    read_msisdn,
    read_str,
    read_strings,
    read_time,
    same_number,
)
from xms_core import HttpResponse

MAX_RECIPIENTS = 1000
MAX_TEXT_BODY = 2000
MAX_URL = 2048
MAX_CLIENT_REFERENCE = 2048
MAX_PARAMETER_VALUE = 160
MAX_DRY_RUN_RECIPIENTS = 1000
DEFAULT_DRY_RUN_RECIPIENTS = 100
REPORT_KINDS = frozenset({"none", "summary", "full", "per_recipient", "per_recipient_final"})
KINDS = frozenset({"mt_text", "mt_binary"})
UNKNOWN_GROUP = "unknown_group"
ALREADY_DISPATCHED = "batch_already_dispatched"
_PARAMETER_KEY = re.compile(r"[A-Za-z0-9._-]{1,16}", re.ASCII)
_INT32 = 2**31 - 1


def _report_kind(key: str, value: object) -> str:
    kind = read_str(key, value)
    if kind not in REPORT_KINDS:
        bad(f"'{key}' must be one of {', '.join(sorted(REPORT_KINDS))}")
    return kind


def _url(key: str, value: object) -> str:
    url = read_str(key, value, max_length=MAX_URL)
    try:
        parts = urlsplit(url)
    except ValueError:
        bad_format(f"'{key}' is not a URL")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        bad_format(f"'{key}' must be an http(s) URL")
    return url


def _ranged(low: int, high: int) -> Callable[[str, object], int]:
    return lambda key, value: read_int(key, value, low, high)


# Optional fields shared by create and update: JSON key -> (BatchSpec attribute, reader).
# In an update, `null` resets the attribute to its `_RESET` value (None if not listed).
_OPTIONAL: dict[str, tuple[str, Callable[[str, object], object]]] = {
    "from": ("sender", read_str),
    "delivery_report": ("delivery_report", _report_kind),
    "send_at": ("send_at", read_time),
    "expire_at": ("expire_at", read_time),
    "callback_url": ("callback_url", _url),
    "client_reference": (
        "client_reference",
        lambda key, value: read_str(key, value, max_length=MAX_CLIENT_REFERENCE),
    ),
    "feedback_enabled": ("feedback_enabled", read_bool),
    "flash_message": ("flash_message", read_bool),
    "max_number_of_message_parts": ("max_number_of_message_parts", _ranged(1, _INT32)),
    "truncate_concat": ("truncate_concat", read_bool),
    # SMPP type of number 0-6 and numbering plan 0-18 (the REF ranges).
    "from_ton": ("from_ton", _ranged(0, 6)),
    "from_npi": ("from_npi", _ranged(0, 18)),
}
_RESET: dict[str, object] = {"delivery_report": "none"}


# Ids are URL-safe, 16 or 26 characters (protocol 1.4); one with a letter is never a number.
_ID_SHAPE = re.compile(r"(?=[A-Za-z0-9_\-]{8,128}$)[0-9_\-]*[A-Za-z][A-Za-z0-9_\-]*")


def _identity(entry: str) -> str:
    digits = msisdn(entry)
    return f"group:{entry}" if digits is None else f"msisdn:{digits}"


def read_targets(store: Store, key: str, value: object) -> dict[str, str]:
    """Read an array of MSISDNs and group ids into {identity: as spelled}, first one wins.

    An entry that names an existing group is a group; one that names a deleted group,
    or has the shape of an id (URL-safe, with a letter) but names no group, is 403
    `unknown_group` (protocol 6); anything else must be an MSISDN (400 otherwise).
    """
    out: dict[str, str] = {}
    for item in read_list(key, value):
        if not isinstance(item, str):
            bad(f"'{key}' must hold strings")
        if item in store.groups:
            out.setdefault(f"group:{item}", item)
        elif item in store.deleted_groups:
            forbidden(UNKNOWN_GROUP, f"'{key}' names a deleted group")
        elif _ID_SHAPE.fullmatch(item):
            forbidden(UNKNOWN_GROUP, f"'{key}' names a group that does not exist")
        else:
            out.setdefault(f"msisdn:{read_msisdn(key, item)[1]}", item)
    return out


def _parameters(value: object) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        bad("'parameters' must be an object")
    out: dict[str, dict[str, str]] = {}
    for key, values in value.items():
        if not _PARAMETER_KEY.fullmatch(key):
            bad_format("parameter keys are 1-16 characters of A-Z a-z 0-9 . - _")
        if not isinstance(values, dict):
            bad(f"parameter '{key}' must be an object")
        inner: dict[str, str] = {}
        for who, item in values.items():
            if who != "default" and msisdn(who) is None:
                bad_format(f"parameter '{key}' has a key that is neither an MSISDN nor 'default'")
            inner[who] = read_str(f"parameters.{key}", item, max_length=MAX_PARAMETER_VALUE)
        out[key] = inner
    return out


def _binary_body(value: object) -> str:
    data = text.b64_bytes(read_str("body", value))
    if data is None:
        bad_format("'body' must be Base64 for mt_binary")
    return text.b64_text(data)


def _udh(value: object) -> str:
    data = text.hex_bytes(read_str("udh", value))
    if data is None:
        bad_format("'udh' must be hex")
    return data.hex()


def _set_content(spec: BatchSpec, body: dict[str, object], *, create: bool) -> None:
    """Read `body`, `udh` and `parameters`, whose rules depend on the batch type."""
    binary = spec.type == "mt_binary"
    if create or "body" in body:
        value = body.get("body")
        if value is None:
            bad("'body' is required" if create else "'body' cannot be reset")
        spec.body = (
            _binary_body(value) if binary else read_str("body", value, max_length=MAX_TEXT_BODY)
        )
    if binary:
        if create or "udh" in body:
            value = body.get("udh")
            if value is None:
                bad("'udh' is required for mt_binary" if create else "'udh' cannot be reset")
            spec.udh = _udh(value)
        if body.get("parameters") is not None:
            bad("'parameters' are only allowed for mt_text")
    else:
        if body.get("udh") is not None:
            bad("'udh' is only allowed for mt_binary")
        if "parameters" in body:
            value = body["parameters"]
            spec.parameters = None if value is None else _parameters(value)


def _check(store: Store, spec: BatchSpec) -> None:
    """Rules across fields: recipients count, validity window, binary length."""
    if not spec.to:
        bad("'to' must hold at least one recipient")
    if len(spec.to) > MAX_RECIPIENTS:
        bad(f"'to' must hold at most {MAX_RECIPIENTS} recipients")
    start = spec.send_at or store.now
    if spec.expire_at is not None and spec.expire_at <= start:
        bad("'expire_at' must be after 'send_at'")
    if spec.type == "mt_binary":
        # Protocol 4.3 and 8: body and UDH together fit one message, 140 bytes.
        length = len(text.b64_bytes(spec.body) or b"") + len(spec.udh or "") // 2
        if length > text.BINARY_SINGLE:
            bad(f"'body' and 'udh' hold {length} bytes; mt_binary allows {text.BINARY_SINGLE}")


def _kind(value: object) -> str:
    kind = "mt_text" if value is None else read_str("type", value)
    if kind not in KINDS:
        bad("'type' must be mt_text or mt_binary")
    return kind


def parse_create(store: Store, body: dict[str, object]) -> BatchSpec:
    """Validate a batch create (protocol 4.1-4.3) and return what it asks for."""
    spec = BatchSpec(type=_kind(body.get("type")))
    for key, (attribute, reader) in _OPTIONAL.items():
        value = body.get(key)
        if value is not None:
            setattr(spec, attribute, reader(key, value))
    if body.get("tags") is not None:
        spec.tags = read_strings("tags", body["tags"])
    if body.get("to") is None:
        bad("'to' is required")
    raw = read_list("to", body["to"])
    if len(raw) > MAX_RECIPIENTS:
        bad(f"'to' must hold at most {MAX_RECIPIENTS} recipients")
    spec.to = list(read_targets(store, "to", raw).values())
    _set_content(spec, body, create=True)
    _check(store, spec)
    return spec


def parse_update(store: Store, batch: Batch, body: dict[str, object]) -> BatchSpec:
    """Apply a batch update (protocol 3.6, 4.5) to a copy of the batch's spec.

    A key that is absent keeps its value, `null` resets it (delivery_report to `none`,
    the others removed; body and udh cannot be reset), a value sets it. `to_add` is
    applied before `to_remove`. The `type`, if given, must be the batch's.
    """
    spec = attrs.evolve(batch.spec, to=list(batch.spec.to), tags=list(batch.spec.tags))
    if body.get("type") is not None and _kind(body["type"]) != spec.type:
        bad(f"'type' must be {spec.type}, the type of the batch")
    for key, (attribute, reader) in _OPTIONAL.items():
        if key in body:
            value = body[key]
            setattr(spec, attribute, _RESET.get(attribute) if value is None else reader(key, value))
    _set_content(spec, body, create=False)
    targets = {_identity(entry): entry for entry in spec.to}
    if body.get("to_add") is not None:
        for identity, entry in read_targets(store, "to_add", body["to_add"]).items():
            targets.setdefault(identity, entry)
    if body.get("to_remove") is not None:
        for removed in read_list("to_remove", body["to_remove"]):
            if not isinstance(removed, str):
                bad("'to_remove' must hold strings")
            targets.pop(_identity(removed), None)
    spec.to = list(targets.values())
    _check(store, spec)
    return spec


def render_batch(batch: Batch) -> dict[str, object]:
    """Return the JSON of a stored batch, null fields left out."""
    spec = batch.spec
    out: dict[str, object] = {"id": batch.id, "type": spec.type}
    optional: dict[str, object] = {
        "from": spec.sender,
        "to": list(spec.to),
        "body": spec.body,
        "udh": spec.udh,
        "parameters": None
        if spec.parameters is None
        else {key: dict(values) for key, values in spec.parameters.items()},
        "delivery_report": spec.delivery_report,
        "send_at": None if spec.send_at is None else format_time(spec.send_at),
        "expire_at": None if spec.expire_at is None else format_time(spec.expire_at),
        "callback_url": spec.callback_url,
        "client_reference": spec.client_reference,
        "feedback_enabled": spec.feedback_enabled,
        "flash_message": spec.flash_message,
        "max_number_of_message_parts": spec.max_number_of_message_parts,
        "truncate_concat": spec.truncate_concat,
        "from_ton": spec.from_ton,
        "from_npi": spec.from_npi,
        "tags": list(spec.tags) or None,
    }
    out.update((key, value) for key, value in optional.items() if value is not None)
    out["created_at"] = format_time(batch.created_at)
    out["modified_at"] = format_time(batch.modified_at)
    out["canceled"] = batch.canceled
    return out


def _resubmitted(store: Store, batch: Batch) -> None:
    batch.modified_at = batch.submitted_at = store.now
    batch.recipients = None
    store.active[batch.id] = None


# ---------------------------------------------------------------------------------------
# Handlers


def create_batch(store: Store, call: Call) -> HttpResponse:
    """POST /batches -> 201 with the stored batch."""
    spec = parse_create(store, call.json())
    now = store.now
    batch = Batch(
        id=store.new_id(),
        index=len(store.batches),
        spec=spec,
        created_at=now,
        modified_at=now,
        submitted_at=now,
    )
    store.batches[batch.id] = batch
    store.active[batch.id] = None
    return json_response(201, render_batch(batch))


def dry_run(store: Store, call: Call) -> HttpResponse:
    """POST /batches/dry_run -> 200 with recipient and part counts (protocol 3.2, 4.6)."""
    per_recipient = call.query.boolean("per_recipient", default=False)
    limit = call.query.integer(
        "number_of_recipients", DEFAULT_DRY_RUN_RECIPIENTS, 0, MAX_DRY_RUN_RECIPIENTS
    )
    spec = parse_create(store, call.json())
    recipients = delivery.expand_targets(store, spec.to)
    total = 0
    rows: list[dict[str, object]] = []
    for recipient, digits in recipients:
        message = delivery.message_for(spec, digits)
        total += message.parts
        if per_recipient and len(rows) < limit:
            rows.append(
                {
                    "recipient": recipient,
                    "number_of_parts": message.parts,
                    "body": message.body,
                    "encoding": message.encoding,
                }
            )
    answer: dict[str, object] = {
        "number_of_recipients": len(recipients),
        "number_of_messages": total,
    }
    if per_recipient:
        answer["per_recipient"] = rows
    return json_response(200, answer)


def list_batches(store: Store, call: Call) -> HttpResponse:
    """GET /batches: newest first; filters from, tags, start_date, end_date, client_reference."""
    start, end = call.query.window(store.now)
    senders = call.query.items("from")
    tags = call.query.items("tags")
    reference = call.query.get("client_reference")

    def wanted(batch: Batch) -> bool:
        spec = batch.spec
        return (
            batch.created_at >= start
            and (end is None or batch.created_at < end)
            and (
                senders is None
                or (spec.sender is not None and any(same_number(spec.sender, s) for s in senders))
            )
            and (tags is None or any(tag in spec.tags for tag in tags))
            and (reference is None or spec.client_reference == reference)
        )

    rows = sorted(
        (b for b in store.batches.values() if wanted(b)),
        key=lambda b: (b.created_at, b.index),
        reverse=True,
    )
    return page_of(call.query, rows, "batches", render_batch)


def fetch_batch(store: Store, call: Call) -> HttpResponse:
    """GET /batches/{id}."""
    return json_response(200, render_batch(delivery.find_batch(store, call.params[0])))


def replace_batch(store: Store, call: Call) -> HttpResponse:
    """PUT /batches/{id}: a full replacement, treated as cancel-then-send (protocol 3.5)."""
    batch = delivery.find_batch(store, call.params[0])
    batch.spec = parse_create(store, call.json())
    batch.canceled, batch.canceled_at = False, None
    batch.generation += 1
    batch.outcomes.clear()
    _resubmitted(store, batch)
    return json_response(200, render_batch(batch))


def update_batch(store: Store, call: Call) -> HttpResponse:
    """POST /batches/{id}: partial update; 403 once dispatched or cancelled (protocol 3.6)."""
    batch = delivery.find_batch(store, call.params[0])
    body = call.json()
    if batch.canceled or store.now >= delivery.dispatch_time(store, batch):
        forbidden(ALREADY_DISPATCHED, "the batch has already been dispatched or cancelled")
    batch.spec = parse_update(store, batch, body)
    _resubmitted(store, batch)
    return json_response(200, render_batch(batch))


def cancel_batch(store: Store, call: Call) -> HttpResponse:
    """DELETE /batches/{id}: messages not yet dispatched end `Cancelled` (407)."""
    batch = delivery.find_batch(store, call.params[0])
    if not batch.canceled:
        batch.canceled, batch.canceled_at, batch.modified_at = True, store.now, store.now
        if batch.recipients is None:
            batch.recipients = delivery.expand_targets(store, batch.spec.to)
        store.active[batch.id] = None
    return json_response(200, render_batch(batch))


def batch_tags(store: Store, call: Call) -> HttpResponse:
    """GET|PUT|POST /batches/{id}/tags -> {"tags": [...]} after the change."""
    batch = delivery.find_batch(store, call.params[0])
    tags = apply_tags(call, batch.spec.tags)
    if call.method != "GET":
        batch.spec.tags = tags
        batch.modified_at = store.now
    return json_response(200, {"tags": tags})
