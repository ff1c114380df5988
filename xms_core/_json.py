"""`to_json`: any SDK value as plain data for `json.dumps`, the way the CLI prints it."""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import date, datetime, timedelta

import attrs


def timestamp(value: datetime | date | None) -> str:
    """Format a time as ISO 8601, UTC as `Z` and milliseconds as XMS keeps them; None as ""."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    spec = "milliseconds" if value.microsecond % 1000 == 0 and value.microsecond else "auto"
    if value.utcoffset() == timedelta(0):
        return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
    return value.isoformat(timespec=spec)


def to_json(value: object, name: str = "") -> object:  # noqa: PLR0911 - one return per kind
    """Turn any SDK value into data that `json.dumps` accepts.

    Result values (batches, reports, groups, inbound messages, pages, errors)
    become dicts keyed by their field names; enums their string; times ISO 8601
    strings (UTC as `Z`); binary `udh` hex and other bytes Base64, as on the
    wire; tuples lists; sets sorted lists, so the output is deterministic.
    `json.dumps(to_json(batch))` works for every result of the clients.

    Args:
        value: The value.
        name: The field it came from (only `udh` changes how bytes are written).

    Returns:
        Plain dicts, lists, strings, numbers, booleans and None.
    """
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return timestamp(value)
    if isinstance(value, bytes):
        return value.hex() if name == "udh" else base64.b64encode(value).decode("ascii")
    cls = type(value)
    if attrs.has(cls):
        return {f.name: to_json(getattr(value, f.name), f.name) for f in attrs.fields(cls)}
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, AbstractSet):
        return sorted((to_json(item) for item in value), key=str)
    if isinstance(value, Iterable):
        return [to_json(item) for item in value]
    return str(value)
