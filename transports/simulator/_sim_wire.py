"""Wire helpers of the simulator: JSON in and out, XMS errors, timestamps, numbers, queries.

Everything here works on raw JSON values (protocol sections 1.5, 1.6, 5 and 6); nothing
imports the SDK's own encoders, so the simulator stays an independent check of the client.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import NoReturn, TypeVar
from urllib.parse import parse_qsl, urlsplit

from xms_core import HttpResponse

T = TypeVar("T")
V = TypeVar("V")

UTC = timezone.utc
JSON_TYPE = "application/json"
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100
_MAX_QUERY_INT_DIGITS = 18
_MIN_YEAR, _MAX_YEAR = 1900, 9000

INVALID_JSON = "syntax_invalid_json"
CONSTRAINT = "syntax_constraint_violation"
PARAMETER_FORMAT = "syntax_invalid_parameter_format"


class Reject(Exception):
    """Stop handling a request and answer `status`, with an XMS error body when `code` is set.

    Attributes:
        status: The HTTP status to answer.
        code: The XMS error code (protocol section 6), or None for an empty body.
        text: The human-readable error text.
        headers: Extra response headers (e.g. `allow` on a 405).
    """

    def __init__(
        self,
        status: int,
        code: str | None = None,
        text: str = "",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(status, code, text)
        self.status = status
        self.code = code
        self.text = text
        self.headers = headers

    def response(self) -> HttpResponse:
        """Return the answer this rejection stands for."""
        if self.code is None:
            return HttpResponse(status=self.status, headers=self.headers)
        return json_response(self.status, {"code": self.code, "text": self.text})


def bad(text: str) -> NoReturn:
    """Reject with 400 `syntax_constraint_violation`."""
    raise Reject(400, CONSTRAINT, text)


def bad_format(text: str) -> NoReturn:
    """Reject with 400 `syntax_invalid_parameter_format`."""
    raise Reject(400, PARAMETER_FORMAT, text)


def forbidden(code: str, text: str) -> NoReturn:
    """Reject with 403 and the XMS error `code`."""
    raise Reject(403, code, text)


def not_found() -> NoReturn:
    """Reject with 404 and no body (protocol 1.7: no 404 body may be relied on)."""
    raise Reject(404)


# ---------------------------------------------------------------------------------------
# JSON


def dump(value: object) -> bytes:
    """Encode `value` compactly as UTF-8 JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(status: int, value: object) -> HttpResponse:
    """Return a JSON answer with `content-type: application/json`."""
    return HttpResponse(status=status, headers=(("content-type", JSON_TYPE),), body=dump(value))


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def load_object(body: bytes | None) -> dict[str, object]:
    """Decode a request body that must be a JSON object.

    Raises:
        Reject: 400 `syntax_invalid_json` when the body is missing, not UTF-8, not JSON,
            holds a string that is not valid Unicode, or is not an object.
    """
    if not body:
        raise Reject(400, INVALID_JSON, "the request has no JSON body")
    try:
        value: object = json.loads(
            body.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite
        )
    except (ValueError, RecursionError):
        raise Reject(400, INVALID_JSON, "the body is not valid UTF-8 JSON") from None
    _check_strings(value)
    if not isinstance(value, dict):
        raise Reject(400, INVALID_JSON, "the body must be a JSON object")
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_strings(value: object) -> None:
    # Lone surrogates (`"\ud800"`) decode but can never be sent back as UTF-8.
    stack = [value]
    while stack:
        item = stack.pop()
        texts: list[str] = []
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):
            texts.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        if any(_SURROGATE.search(text) for text in texts):
            raise Reject(400, INVALID_JSON, "the body holds invalid Unicode")


def read_str(key: str, value: object, *, max_length: int | None = None) -> str:
    """Return `value` if it is a string (of at most `max_length` characters)."""
    if not isinstance(value, str):
        bad(f"'{key}' must be a string")
    if max_length is not None and len(value) > max_length:
        bad(f"'{key}' must be at most {max_length} characters")
    return value


def read_bool(key: str, value: object) -> bool:
    """Return `value` if it is a JSON boolean."""
    if not isinstance(value, bool):
        bad(f"'{key}' must be a boolean")
    return value


def read_int(key: str, value: object, low: int, high: int) -> int:
    """Return `value` if it is a JSON integer within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        bad(f"'{key}' must be an integer")
    if not low <= value <= high:
        bad(f"'{key}' must be between {low} and {high}")
    return value


def read_list(key: str, value: object) -> list[object]:
    """Return `value` if it is a JSON array."""
    if not isinstance(value, list):
        bad(f"'{key}' must be an array")
    return value


def read_strings(key: str, value: object) -> list[str]:
    """Return `value` if it is an array of non-empty strings, first-seen order, no duplicates."""
    items = read_list(key, value)
    out: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str) or not item:
            bad(f"'{key}' must hold non-empty strings")
        out[item] = None
    return list(out)


def read_time(key: str, value: object) -> datetime:
    """Return the aware UTC datetime of an ISO-8601 string."""
    text = read_str(key, value)
    when = parse_time(text)
    if when is None:
        bad(f"'{key}' is not an ISO-8601 date-time")
    return when


# ---------------------------------------------------------------------------------------
# Timestamps (protocol section 5)

_ISO = re.compile(
    r"(?P<y>\d{4})-?(?P<mo>\d{2})-?(?P<d>\d{2})"
    r"(?:[Tt ](?:(?P<h>\d{2})(?::?(?P<mi>\d{2})(?::?(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?)?)?)?"
    r"(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
# A `+` sent unencoded in a query string arrives as a space: "...T10:00:00 01:00".
_SPACED_OFFSET = re.compile(r"(\d{2}(?:\.\d+)?) (\d{2}(?::?\d{2})?)$", re.ASCII)


def parse_time(text: str) -> datetime | None:
    """Parse ISO-8601 (date or date-time, `Z`, offset or none = UTC); None if malformed."""
    text = _SPACED_OFFSET.sub(r"\1+\2", text.strip())
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    fraction = (match["f"] or "")[:6].ljust(6, "0")
    try:
        when = datetime(
            int(match["y"]),
            int(match["mo"]),
            int(match["d"]),
            int(match["h"] or 0),
            int(match["mi"] or 0),
            int(match["s"] or 0),
            int(fraction),
            tzinfo=_zone(match["tz"]),
        )
    except ValueError:
        return None
    if not _MIN_YEAR <= when.year <= _MAX_YEAR:
        return None
    return when.astimezone(UTC)


def _zone(text: str | None) -> timezone:
    if text is None or text in {"Z", "z"}:
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-offset if text[0] == "-" else offset)  # ValueError when >= 24 h


def format_time(when: datetime) -> str:
    """Format as the server does: UTC, millisecond precision, `Z` suffix."""
    when = when.astimezone(UTC)
    return (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d}T"
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}.{when.microsecond // 1000:03d}Z"
    )


def to_millis(when: datetime) -> datetime:
    """Return `when` in UTC, truncated to whole milliseconds (naive means UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


# ---------------------------------------------------------------------------------------
# Phone numbers (protocol 1.6)

_SEPARATORS = str.maketrans("", "", " -()")
_MSISDN_DIGITS = (5, 15)


def msisdn(value: str) -> str | None:
    """Return the digits of an MSISDN in international format, or None.

    A leading `+` or `00` is accepted; spaces, dashes and brackets are ignored; 5 to 15
    digits must remain.
    """
    digits = _loose(value)
    low, high = _MSISDN_DIGITS
    return digits if digits is not None and low <= len(digits) <= high else None


def _loose(value: str) -> str | None:
    text = value.translate(_SEPARATORS)
    if text.startswith("+"):
        text = text[1:]
    elif text.startswith("00"):
        text = text[2:]
    return text if text.isascii() and text.isdigit() else None


def same_number(left: str, right: str) -> bool:
    """Compare two numbers by their digits when both are numeric, else as strings."""
    a, b = _loose(left), _loose(right)
    if a is not None and b is not None:
        return a == b
    return left == right


def read_msisdn(key: str, value: object) -> tuple[str, str]:
    """Return (`value`, its digits) if `value` is an MSISDN string."""
    text = read_str(key, value)
    digits = msisdn(text)
    if digits is None:
        bad_format(f"'{key}' holds {text[:40]!r}, which is not an MSISDN in international format")
    return text, digits


# ---------------------------------------------------------------------------------------
# Query strings (protocol 1.5)


class Query:
    """The form-decoded query of a request; repeated parameters are comma-joined."""

    def __init__(self, raw: str) -> None:
        self._values: dict[str, str] = {}
        for name, value in parse_qsl(raw, keep_blank_values=True):
            old = self._values.get(name)
            self._values[name] = value if old is None else f"{old},{value}"

    def get(self, name: str) -> str | None:
        """Return the raw value of `name`, or None when absent or empty."""
        return self._values.get(name) or None

    def items(self, name: str) -> list[str] | None:
        """Return the comma-separated values of `name` (blanks dropped), or None if absent."""
        raw = self.get(name)
        if raw is None:
            return None
        return list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        """Return `name` as an integer within [low, high], or `default` when absent."""
        raw = self.get(name)
        if raw is None:
            return default
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_QUERY_INT_DIGITS:
            bad(f"query parameter '{name}' must be a non-negative integer")
        value = int(raw)
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            bad(f"query parameter '{name}' must be {bound}")
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        """Return `name` as a boolean (`true` / `false`), or `default` when absent."""
        raw = self.get(name)
        if raw is None:
            return default
        lowered = raw.strip().lower()
        if lowered not in {"true", "false"}:
            bad(f"query parameter '{name}' must be true or false")
        return lowered == "true"

    def time(self, name: str) -> datetime | None:
        """Return `name` as an aware datetime (date or date-time), or None when absent."""
        raw = self.get(name)
        if raw is None:
            return None
        when = parse_time(raw)
        if when is None:
            bad(f"query parameter '{name}' is not an ISO-8601 date or date-time")
        return when

    def codes(self, name: str) -> set[int] | None:
        """Return `name` as a set of integer codes, or None when absent."""
        items = self.items(name)
        if items is None:
            return None
        if not all(item.isascii() and item.isdigit() and len(item) < 10 for item in items):  # noqa: PLR2004
            bad(f"query parameter '{name}' must hold comma-separated integers")
        return {int(item) for item in items}

    def window(self, now: datetime) -> tuple[datetime, datetime | None]:
        """Return the `start_date` (inclusive, default now - 24 h) and `end_date` (exclusive)."""
        start = self.time("start_date")
        return (now - timedelta(hours=24) if start is None else start), self.time("end_date")


def match_route(
    routes: Iterable[tuple[tuple[str, ...], V]],
    rest: Sequence[str],
    *,
    missing: Reject | None = None,
) -> tuple[tuple[str, ...], V]:
    """Find the first route whose pattern matches the path segments `rest`.

    A pattern is a tuple of segments, `*` standing for any one segment (an id).

    Returns:
        The segments that matched a `*`, in order, and the route's value.

    Raises:
        Reject: `missing`, or a 404 with no body, when no pattern matches.
    """
    for pattern, value in routes:
        if len(pattern) == len(rest) and all(
            p in {"*", s} for p, s in zip(pattern, rest, strict=True)
        ):
            return tuple(s for p, s in zip(pattern, rest, strict=True) if p == "*"), value
    raise Reject(404) if missing is None else missing


def split_url(url: str) -> tuple[str, str]:
    """Return the raw path and query of `url` (4xx on a URL that cannot be split)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        not_found()
    return parts.path, parts.query


def page_of(
    query: Query, items: Sequence[T], key: str, render: Callable[[T], object]
) -> HttpResponse:
    """Answer one page of `items` (protocol 4.13): count, page, page_size (items here), `key`."""
    page = query.integer("page", 0, 0)
    size = query.integer("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    chunk = items[page * size : (page + 1) * size]
    return json_response(
        200,
        {
            "count": len(items),
            "page": page,
            "page_size": len(chunk),
            key: [render(i) for i in chunk],
        },
    )
