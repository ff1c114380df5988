"""Shared validators and converters for the value classes and commands.

They catch programmer mistakes at construction and name the offending field.
Business rules that the server owns (body length, keyword syntax) stay with it.
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
# International format: optional `+` or `00`, then digits; spaces, dashes and
# brackets are tolerated as the server ignores them (protocol 1.6).
_MSISDN = re.compile(r"\+?[0-9](?:[0-9 \-()]*[0-9])?")
_MSISDN_DIGITS = (5, 15)
_PLAIN_MSISDN = re.compile(r"00[0-9]{5,15}|(?!00)\+?[0-9]{5,15}")
"""The common spellings (digits after `+`, `00` or nothing), accepted without counting."""


def _fail(field: attrs.Attribute[Any], problem: str, value: object) -> NoReturn:
    raise ValueError(f"{field.name}: {problem} (got {_show(value)})")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."  # noqa: PLR2004


def _type_error(field: attrs.Attribute[Any], expected: str, value: object) -> NoReturn:
    raise TypeError(f"{field.name}: expected {expected}, got {type(value).__name__}")


def check_identifier(name: str, value: object) -> str:
    """Return `value` if it is a usable identifier, else raise naming `name`."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name}: must not be empty or blank (got {_show(value)})")
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise ValueError(f"{name}: longer than {MAX_IDENTIFIER_LENGTH} characters")
    if not value.isascii():
        raise ValueError(f"{name}: must be ASCII (got {_show(value)})")
    if _HOSTILE_ID.search(value) or value == ".":
        raise ValueError(
            f"{name}: must not be '.' nor contain '/', '?', '#', '%', '\\', '..' or control"
            f" characters (got {_show(value)})"
        )
    return value


def identifier(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: a non-empty, printable, path-safe identifier."""
    check_identifier(field.name, value)


def optional_identifier(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None or an identifier."""
    if value is not None:
        check_identifier(field.name, value)


def check_msisdn(name: str, value: object) -> str:
    """Return `value` if it looks like an MSISDN in international format."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected an MSISDN as str, got {type(value).__name__}")
    if _PLAIN_MSISDN.fullmatch(value):
        return value
    candidate = value.removeprefix("00")
    digits = sum(c.isdigit() for c in candidate)
    if (
        not _MSISDN.fullmatch(candidate)
        or not candidate.isascii()
        or not _MSISDN_DIGITS[0] <= digits <= _MSISDN_DIGITS[1]
    ):
        raise ValueError(
            f"{name}: {value!r} is not an MSISDN (international format, 5 to 15 digits,"
            " optionally starting with '+' or '00')"
        )
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
    """Attrs validator: a collection whose every element is an MSISDN."""
    for item in check_collection(field.name, value):
        check_msisdn(field.name, item)


def non_empty(inst: object, field: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    """Attrs validator: the collection has at least one element."""
    if not value:
        _fail(field, "must not be empty", value)


def strings(inst: object, field: attrs.Attribute[Any], value: Iterable[object]) -> None:
    """Attrs validator: a collection of non-empty str without control characters."""
    for item in check_collection(field.name, value):
        if not isinstance(item, str):
            _type_error(field, "str elements", item)
        if not item or _CONTROL.search(item):
            _fail(field, "elements must be non-empty and free of control characters", item)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def optional_text(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None, or a str (the server owns its length rules)."""
    if value is not None and not isinstance(value, str):
        _type_error(field, "str or None", value)


def text(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: a str."""
    if not isinstance(value, str):
        _type_error(field, "str", value)


def single_line(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: a non-empty str without control characters."""
    if value is None:
        _type_error(field, "str", value)
    optional_single_line(inst, field, value)


def optional_single_line(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: None or a non-empty str without control characters."""
    if value is None:
        return
    if not isinstance(value, str):
        _type_error(field, "str or None", value)
    if not value or _CONTROL.search(value):
        _fail(field, "must be non-empty and free of control characters", value)


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


def check_parameters(name: str, value: object) -> None:
    """Raise unless `value` maps parameter names to maps of recipient to str."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name}: expected a mapping of parameter name to mapping")
    for key, inner in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{name}: parameter names must be non-empty str (got {_show(key)})")
        if not isinstance(inner, Mapping):
            raise TypeError(
                f"{name}[{key!r}]: expected a mapping of recipient (or 'default') to str,"
                f" got {type(inner).__name__}"
            )
        for recipient, text_value in inner.items():
            if not isinstance(recipient, str) or not recipient:
                raise ValueError(
                    f"{name}[{key!r}]: recipient keys must be non-empty str"
                    f" (got {_show(recipient)})"
                )
            if recipient != "default":
                check_msisdn(f"{name}[{key!r}]", recipient)
            if not isinstance(text_value, str):
                raise TypeError(
                    f"{name}[{key!r}][{recipient!r}]: expected str, got {type(text_value).__name__}"
                )


def parameters(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: template parameters."""
    check_parameters(field.name, value)
