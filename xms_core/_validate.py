"""Shared validators and converters for the value classes and commands.

They catch programmer mistakes at construction and name the offending field,
and they refuse what XMS would refuse, before a byte is sent. Each rule cites
the section of the protocol sheet it comes from; what XMS accepts (alphanumeric
senders, short codes, any Unicode text, empty tag lists, 1000 recipients) passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, NoReturn, TypeVar, cast, final

import attrs

K = TypeVar("K")
V = TypeVar("V")

MAX_IDENTIFIER_LENGTH = 128
MAX_PAGE_SIZE = 100

# Characters that would change the meaning of a URL, a header or a path.
_HOSTILE_ID = re.compile(r"[/?#%\\\x00-\x1f\x7f]|\.\.")
# Protocol 1.6: MSISDNs in international format; a leading `+` or `00` is
# accepted, and spaces, dashes and brackets are ignored. Digits and separators
# only, starting and ending with a digit once the prefix is taken off.
_MSISDN = re.compile(r"[0-9](?:[0-9 \-()]*[0-9])?")
# E.164 allows at most 15 digits; below 5 no operator numbers subscribers.
_MSISDN_DIGITS = (5, 15)
_PLAIN_MSISDN = re.compile(r"\+[0-9]{5,15}|00[0-9]{5,15}|[1-9][0-9]{4,14}")
"""The common spellings, digits only: accepted at once (a subset of the full rule)."""
# Protocol 1.4: XMS ids are URL-safe strings, 16 characters (`3SD49KIOW8lL1Z5E`,
# `5Z8QsIRsk86f-jHB`) or ULID-like 26 (`01FC66621XXXXX119Z8PMV1QPQ`). A group id
# is taken to be 8 to 128 such characters with at least one letter, so that no
# string is both a group id and an MSISDN (which has no letter).
_GROUP_ID = re.compile(r"[A-Za-z0-9_\-]{8,128}")
_LETTER = re.compile(r"[A-Za-z]")


def _fail(field: attrs.Attribute[Any], problem: str, value: object) -> NoReturn:
    raise ValueError(f"{field.name}: {problem} (got {show(value)})")


def show(value: object) -> str:
    """Show a value in an error message: its repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."  # noqa: PLR2004


def _type_error(field: attrs.Attribute[Any], expected: str, value: object) -> NoReturn:
    raise TypeError(f"{field.name}: expected {expected}, got {type(value).__name__}")


def check_utf8(name: str, value: str) -> str:
    """Return `value` if it can be sent: JSON bodies are UTF-8 (protocol 1.3).

    A lone surrogate (from `surrogateescape`, or half of a pair) cannot be
    encoded, and would otherwise fail deep inside the JSON encoder without
    naming the field.
    """
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"{name}: cannot be encoded as UTF-8 ({exc.reason} at index {exc.start})"
            ) from None
    return value


def check_identifier(name: str, value: object) -> str:
    """Return `value` if it is a usable identifier, else raise naming `name`.

    An id is one path segment (protocol 1.4): not empty, at most 128 ASCII
    characters, none that changes the meaning of a URL, and no whitespace at
    either end (an id pasted with a newline is a different id to XMS).
    """
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name}: must not be empty or blank (got {show(value)})")
    if value != value.strip():
        raise ValueError(f"{name}: must not start or end with whitespace (got {show(value)})")
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise ValueError(f"{name}: longer than {MAX_IDENTIFIER_LENGTH} characters")
    if not value.isascii():
        raise ValueError(f"{name}: must be ASCII (got {show(value)})")
    if _HOSTILE_ID.search(value) or value == ".":
        raise ValueError(
            f"{name}: must not be '.' nor contain '/', '?', '#', '%', '\\', '..' or control"
            f" characters (got {show(value)})"
        )
    return value


def identifier(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: a non-empty, printable, path-safe identifier."""
    check_identifier(field.name, value)


def msisdn_problem(value: str) -> str | None:
    """Say why `value` is not an MSISDN in the form XMS takes (protocol 1.6); None if it is.

    International format: digits, optionally after `+` or `00`, with spaces,
    dashes and brackets allowed between them, 5 to 15 digits in all. A number
    with no `+` or `00` that starts with `0` is a national number (`070-123 45
    67`): XMS cannot tell its country, so it is refused.
    """
    if _PLAIN_MSISDN.fullmatch(value):
        return None
    if value.startswith("+"):
        candidate = value[1:]
    elif value.startswith("00"):
        candidate = value[2:]
    elif value.startswith("0"):
        return "is a national number; write it in international format, e.g. '+46701234567'"
    else:
        candidate = value
    digits = sum(c.isdigit() for c in candidate)
    if (
        not candidate.isascii()
        or not _MSISDN.fullmatch(candidate)
        or not _MSISDN_DIGITS[0] <= digits <= _MSISDN_DIGITS[1]
    ):
        return (
            "is not an MSISDN (international format, 5 to 15 digits,"
            " optionally starting with '+' or '00')"
        )
    return None


def is_msisdn(value: object) -> bool:
    """Tell whether `value` is an MSISDN in the form XMS takes (protocol 1.6).

    International format: digits after an optional `+` or `00`, spaces, dashes
    and brackets allowed between them, 5 to 15 digits; a national number such as
    `070-123 45 67` (no `+`/`00`, a leading `0`) is not one.
    """
    return isinstance(value, str) and msisdn_problem(value) is None


def check_msisdn(name: str, value: object) -> str:
    """Return `value` if it is an MSISDN in international format (protocol 1.6)."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected an MSISDN as str, got {type(value).__name__}")
    problem = msisdn_problem(value)
    if problem is not None:
        raise ValueError(f"{name}: {show(value)} {problem}")
    return value


def is_group_id(value: object) -> bool:
    """Tell whether `value` has the shape of an XMS group id (protocol 1.4)."""
    return (
        isinstance(value, str)
        and _GROUP_ID.fullmatch(value) is not None
        and _LETTER.search(value) is not None
    )


def check_group_id(name: str, value: object) -> str:
    """Return `value` if it has the shape of an XMS group id (protocol 1.4, 4.11)."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a group id as str, got {type(value).__name__}")
    if not is_group_id(value):
        raise ValueError(
            f"{name}: {show(value)} is not a group id (8 to 128 characters of A-Z, a-z, 0-9,"
            " '-' and '_', at least one of them a letter)"
        )
    return value


def check_recipient(name: str, value: object) -> str:
    """Return `value` if it is an MSISDN or a group id: a batch's `to` (protocol 3.1, 4.1)."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name}: expected an MSISDN or group id as str, got {type(value).__name__}"
        )
    if is_group_id(value):
        return value
    problem = msisdn_problem(value)
    if problem is not None:
        if problem.startswith("is not"):
            problem = (
                "is neither an MSISDN (international format, 5 to 15 digits, optionally"
                " starting with '+' or '00') nor a group id"
            )
        raise ValueError(f"{name}: {show(value)} {problem}")
    return value


def unique_tuple(values: Iterable[K] | None) -> tuple[K, ...]:
    """Convert any iterable to a tuple in first-seen order without duplicates.

    A converter cannot name its field, so anything that is not a collection (a lone
    str or bytes, a number) is returned unchanged for the field's validator to reject
    with `check_collection`; unhashable items are kept, duplicates and all, for the
    element validator to reject.
    """
    candidate: object = values
    if candidate is None:
        return ()
    if isinstance(candidate, (str, bytes)) or not isinstance(candidate, Iterable):
        return cast("tuple[K, ...]", candidate)
    items = tuple(values or ())
    try:
        return tuple(dict.fromkeys(items))
    except TypeError:
        return items


def check_collection(name: str, value: object) -> tuple[object, ...]:
    """Return `value` if a converter made it a tuple, else raise naming `name`."""
    if not isinstance(value, tuple):
        # A lone string is a classic mistake for a collection of strings.
        single = "a single " if isinstance(value, (str, bytes)) else ""
        raise TypeError(
            f"{name}: expected a collection of values, got {single}{type(value).__name__}"
        )
    return value


def collection(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: the converter produced a tuple (not a lone str, not a number)."""
    check_collection(field.name, value)


def msisdns(inst: object, field: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    """Attrs validator: a collection whose every element is an MSISDN (protocol 1.6)."""
    for item in check_collection(field.name, value):
        check_msisdn(field.name, item)


def recipients(inst: object, field: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    """Attrs validator: MSISDNs and group ids, as a batch's `to` (protocol 3.1, 4.1)."""
    for item in check_collection(field.name, value):
        check_recipient(field.name, item)


def group_ids(inst: object, field: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    """Attrs validator: a collection of group ids (protocol 1.4, 4.11 `child_groups`)."""
    for item in check_collection(field.name, value):
        check_group_id(field.name, item)


def optional_group_id(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None or a group id (protocol 4.11 `add_from_group`)."""
    if value is not None:
        check_group_id(field.name, value)


def at_most(limit: int, what: str, section: str) -> Any:  # noqa: ANN401 - an attrs validator
    """Attrs validator factory: a collection of at most `limit` items.

    Args:
        limit: The most items XMS takes.
        what: What the items are, for the message ("recipients").
        section: The protocol sheet section the limit comes from, for the message.
    """

    def validate(inst: object, field: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, tuple) and len(value) > limit:
            raise ValueError(
                f"{field.name}: at most {limit} {what} (got {len(value)}; protocol {section})"
            )

    return validate


def non_empty(inst: object, field: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    """Attrs validator: the collection has at least one element."""
    if not value:
        _fail(field, "must not be empty", value)


def check_strings(name: str, value: object) -> tuple[str, ...]:
    """Return `value` if a converter made it a tuple of non-empty, sendable, single-line str."""
    items = check_collection(name, value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{name}: expected str elements, got {type(item).__name__}")
        if not item or _CONTROL.search(item):
            raise ValueError(
                f"{name}: elements must be non-empty and free of control characters"
                f" (got {show(item)})"
            )
        check_utf8(name, item)
    return cast("tuple[str, ...]", items)


def strings(inst: object, field: attrs.Attribute[Any], value: Iterable[object]) -> None:
    """Attrs validator: a collection of non-empty, sendable str without control characters."""
    check_strings(field.name, value)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def text(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: a str that can be sent as UTF-8 (protocol 1.3)."""
    if not isinstance(value, str):
        _type_error(field, "str", value)
    check_utf8(field.name, value)


def bounded_text(limit: int, section: str, *, optional: bool = False) -> Any:  # noqa: ANN401
    """Attrs validator factory: a str of at most `limit` characters (None too if `optional`).

    Args:
        limit: The longest text XMS takes.
        section: The protocol sheet section the limit comes from, for the message.
        optional: Whether None is accepted.
    """

    def validate(inst: object, field: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        text(inst, field, value)
        if len(cast("str", value)) > limit:
            raise ValueError(
                f"{field.name}: at most {limit} characters"
                f" (got {len(cast('str', value))}; protocol {section})"
            )

    return validate


def single_line(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: a non-empty str without control characters."""
    if value is None:
        _type_error(field, "str", value)
    optional_single_line(inst, field, value)


def optional_single_line(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None or a non-empty, sendable str without control characters."""
    if value is None:
        return
    if not isinstance(value, str):
        _type_error(field, "str or None", value)
    if not value or _CONTROL.search(value):
        _fail(field, "must be non-empty and free of control characters", value)
    check_utf8(field.name, value)


def binary(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: bytes (not str, not bytearray)."""
    if not isinstance(value, bytes):
        _type_error(field, "bytes", value)


def optional_binary(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None or bytes."""
    if value is not None and not isinstance(value, bytes):
        _type_error(field, "bytes or None", value)


def check_aware(name: str, value: object) -> datetime:
    """Return `value` if it is a timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: datetime must carry a time zone (got a naive {value!r})")
    return value


def optional_aware(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None or a timezone-aware datetime."""
    if value is not None:
        check_aware(field.name, value)


def aware(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: a timezone-aware datetime."""
    check_aware(field.name, value)


def optional_day(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None, a date, or a timezone-aware datetime."""
    if value is None:
        return
    if isinstance(value, datetime):
        check_aware(field.name, value)
    elif not isinstance(value, date):
        _type_error(field, "date, aware datetime or None", value)


def optional_bool(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None or a bool."""
    if value is not None and not isinstance(value, bool):
        _type_error(field, "bool or None", value)


def boolean(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: a bool."""
    if not isinstance(value, bool):
        _type_error(field, "bool", value)


def check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    """Return `value` if it is an int (not bool) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name}: must be {bound} (got {value})")
    return value


def int_range(low: int, high: int | None = None) -> Any:  # noqa: ANN401 - an attrs validator
    """Attrs validator factory: an int within [low, high]."""

    def validate(inst: object, field: attrs.Attribute[Any], value: object) -> None:
        check_int(field.name, value, low, high)

    return validate


def optional_int_range(low: int, high: int | None = None) -> Any:  # noqa: ANN401
    """Attrs validator factory: None or an int within [low, high]."""

    def validate(inst: object, field: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            check_int(field.name, value, low, high)

    return validate


def page_size(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None or a page size from 1 to MAX_PAGE_SIZE."""
    if value is not None:
        check_int(field.name, value, 1, MAX_PAGE_SIZE)


@final
class FrozenMap(Mapping[K, V]):
    """A read-only, hashable mapping that keeps insertion order."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: dict[K, V] = dict(data)
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


Parameters = FrozenMap[str, FrozenMap[str, str]]
"""Template parameters: parameter name -> (recipient or `default`) -> value."""


def to_parameters(value: object) -> object:
    """Convert a mapping of mappings to frozen `Parameters`; leave others to the validator."""
    if isinstance(value, Mapping) and all(isinstance(v, Mapping) for v in value.values()):
        return FrozenMap((k, FrozenMap(v)) for k, v in value.items())
    return value


# Protocol 4.2: parameter keys are 1-16 characters of A-Z a-z 0-9 . - _, and
# each value (the `default` too) is at most 160 characters.
_PARAMETER_KEY = re.compile(r"[A-Za-z0-9._\-]{1,16}")
MAX_PARAMETER_VALUE = 160


def check_parameters(name: str, value: object) -> None:
    """Raise unless `value` maps parameter names to maps of MSISDN (or `default`) to str.

    Protocol 4.2: values are keyed by the recipient's MSISDN or `default`, never
    by a group id (a group's members are not known when the batch is built).
    """
    if not isinstance(value, Mapping):
        raise TypeError(f"{name}: expected a mapping of parameter name to mapping")
    for key, inner in value.items():
        if not isinstance(key, str) or not _PARAMETER_KEY.fullmatch(key):
            raise ValueError(
                f"{name}: parameter names are 1 to 16 characters of A-Z, a-z, 0-9, '.', '-'"
                f" and '_' (got {show(key)})"
            )
        if not isinstance(inner, Mapping):
            raise TypeError(
                f"{name}[{key!r}]: expected a mapping of recipient (or 'default') to str,"
                f" got {type(inner).__name__}"
            )
        for recipient, text_value in inner.items():
            if not isinstance(recipient, str) or not recipient:
                raise ValueError(
                    f"{name}[{key!r}]: recipient keys must be non-empty str (got {show(recipient)})"
                )
            if recipient != "default":
                check_msisdn(f"{name}[{key!r}]", recipient)
            where = f"{name}[{key!r}][{recipient!r}]"
            if not isinstance(text_value, str):
                raise TypeError(f"{where}: expected str, got {type(text_value).__name__}")
            check_utf8(where, text_value)
            if len(text_value) > MAX_PARAMETER_VALUE:
                raise ValueError(
                    f"{where}: at most {MAX_PARAMETER_VALUE} characters"
                    f" (got {len(text_value)}; protocol 4.2)"
                )


def parameters(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: template parameters."""
    check_parameters(field.name, value)
