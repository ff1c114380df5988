"""Strict readers of XMS JSON answers, and the timestamp, Base64 and hex codecs.

Readers raise `WireError` naming the field; `decode()` turns any failure into
an `UnexpectedResponseException` that carries the body, so no `KeyError`,
`TypeError` or `ValueError` ever escapes a decoder. The decoders build their
values with the compiled builders of `_builders`, which skip the attrs
validators: a decoder has already checked every type, and validators exist for
programmer mistakes, not for server data.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

from xms_core._errors import UnexpectedResponseException
from xms_core._http import HttpResponse

T = TypeVar("T")
JsonObject = dict[str, Any]

UTC = timezone.utc


class WireError(Exception):
    """A value of an answer is missing, ill-typed or malformed."""


def body_text(body: bytes) -> str:
    """Decode a body for an exception message, never failing."""
    return body.decode("utf-8", errors="replace")


def decode(response: HttpResponse, read: Callable[[Any], T]) -> T:
    """Parse the JSON body of `response` and read it with `read`.

    Raises:
        UnexpectedResponseException: The body is not JSON, or `read` found it malformed.
    """
    content_type = response.header("content-type")
    if content_type is not None and "json" not in content_type.lower():
        raise UnexpectedResponseException(
            f"expected a JSON answer, got content-type {content_type!r}",
            body_text(response.body),
            response.status,
        )
    body = response.body
    try:
        # json.loads(body) without its encoding sniffing in the usual case: a
        # body that starts with `{"` has no BOM and no NUL, so it is UTF-8.
        data = json.loads(body.decode("utf-8", "surrogatepass") if body.startswith(b'{"') else body)
    except (ValueError, RecursionError) as exc:
        raise UnexpectedResponseException(
            f"answer is not valid JSON: {exc}", body_text(response.body), response.status
        ) from exc
    return read_value(data, read, response.body, response.status)


def read_value(
    data: Any,  # noqa: ANN401 - decoded JSON
    read: Callable[[Any], T],
    body: bytes,
    status: int | None,
    what: str = "answer",
) -> T:
    """Run `read` on decoded JSON, turning every failure into UnexpectedResponseException.

    `what` names the document in the message: "answer", or "callback" for a request
    XMS sent to a callback URL.
    """
    try:
        return read(data)
    except (WireError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise UnexpectedResponseException(
            f"malformed {what}: {exc}", body_text(body), status
        ) from exc


def obj(value: object, what: str = "answer") -> JsonObject:
    """Return `value` if it is a JSON object."""
    if type(value) is not dict:
        raise WireError(f"{what}: expected a JSON object, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def req_str(data: JsonObject, key: str) -> str:
    """Read a required string field."""
    value = data.get(key)
    if type(value) is not str:
        raise WireError(f"field {key!r}: expected a string, got {_kind(value)}")
    return value


def opt_str(data: JsonObject, key: str) -> str | None:
    """Read an optional string field (absent or null gives None)."""
    value = data.get(key)
    if value is None or type(value) is str:
        return value
    raise WireError(f"field {key!r}: expected a string, got {_kind(value)}")


_INTEGER = re.compile(r"-?[0-9]+")


def req_int(data: JsonObject, key: str) -> int:
    """Read a required integer field; a string of digits is accepted (protocol 4.8)."""
    value = data.get(key)
    if type(value) is int:
        return value
    if type(value) is str and _INTEGER.fullmatch(value):
        return int(value)
    raise WireError(f"field {key!r}: expected an integer, got {_kind(value)}")


def opt_int(data: JsonObject, key: str) -> int | None:
    """Read an optional integer field."""
    if data.get(key) is None:
        return None
    return req_int(data, key)


def opt_bool(data: JsonObject, key: str) -> bool | None:
    """Read an optional boolean field."""
    value = data.get(key)
    if value is None or type(value) is bool:
        return value
    raise WireError(f"field {key!r}: expected a boolean, got {_kind(value)}")


def str_tuple(data: JsonObject, key: str, *, required: bool = False) -> tuple[str, ...]:
    """Read an array of strings (absent gives () unless `required`)."""
    value = data.get(key)
    if value is None and not required:
        return ()
    return str_items(value, key)


def str_items(value: object, what: str) -> tuple[str, ...]:
    """Return `value` as a tuple if it is an array of strings."""
    if type(value) is not list:
        raise WireError(f"{what}: expected an array of strings, got {_kind(value)}")
    if not all_str(value):
        odd = next(item for item in value if type(item) is not str)
        raise WireError(f"{what}: expected strings, found {_kind(odd)}")
    return tuple(value)


def all_str(items: list[Any]) -> bool:
    """Tell whether every item of a decoded JSON array is a string.

    `str.join` checks the types in C, several times faster than a loop over a
    100k-recipient report. It would also take a `str` subclass, which
    `json.loads` never makes.
    """
    try:
        "".join(items)
    except TypeError:
        return False
    return True


def req_time(data: JsonObject, key: str) -> datetime:
    """Read a required ISO-8601 timestamp."""
    value = data.get(key)
    if type(value) is not str:
        raise WireError(f"field {key!r}: expected a timestamp string, got {_kind(value)}")
    return parse_time(value, key)


def opt_time(data: JsonObject, key: str) -> datetime | None:
    """Read an optional ISO-8601 timestamp."""
    value = data.get(key)
    if value is None:
        return None
    if type(value) is str:
        # parse_time's common case inline: an offset given, fromisoformat takes it.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed
    return req_time(data, key)


_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)


def parse_time(text: str, what: str = "timestamp") -> datetime:
    """Parse an ISO-8601 timestamp; no offset means UTC (protocol 5).

    Accepts `Z` or numeric offsets, a missing offset, a date alone, a space for
    `T`, and fractions of any length (truncated to microseconds).
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_time_slow(text, what)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


def _parse_time_slow(text: str, what: str) -> datetime:
    match = _ISO.fullmatch(text.strip())
    if match is None:
        raise WireError(f"{what}: {text!r} is not an ISO-8601 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        tz = UTC
        if offset and offset not in {"Z", "z"}:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            minutes = int(digits[:2]) * 60 + int(digits[2:4] or "0")
            tz = timezone(sign * timedelta(minutes=minutes))  # ValueError past 24 h
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError as exc:
        raise WireError(f"{what}: {text!r} is not a valid time: {exc}") from exc


def write_time(value: datetime) -> str:
    """Write an aware datetime as UTC ISO-8601 with a `Z` suffix.

    Milliseconds are written when the time has no finer part, else microseconds,
    so the same instant always gives the same text.
    """
    utc = value.astimezone(UTC)
    micro = utc.microsecond
    # Not strftime: `%Y` does not pad years before 1000 on every platform.
    head = utc.replace(tzinfo=None).isoformat(timespec="seconds")
    if micro % 1000 == 0:
        return f"{head}.{micro // 1000:03d}Z"
    return f"{head}.{micro:06d}Z"


def write_day(value: date) -> str:
    """Write a query date: a date as `YYYY-MM-DD`, an aware datetime as UTC ISO-8601."""
    if isinstance(value, datetime):
        return write_time(value)
    return value.isoformat()


def read_base64(data: JsonObject, key: str) -> bytes:
    """Read a required Base64 field (a trailing newline is tolerated)."""
    text = req_str(data, key)
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WireError(f"field {key!r}: not valid Base64: {exc}") from exc


def read_hex(data: JsonObject, key: str) -> bytes:
    """Read a required hex field (either case)."""
    text = req_str(data, key)
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise WireError(f"field {key!r}: not valid hex: {exc}") from exc


def write_base64(value: bytes) -> str:
    """Write standard Base64 with padding and no line break."""
    return base64.b64encode(value).decode("ascii")
