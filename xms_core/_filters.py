"""Validators and encoders shared by the list and report commands' query filters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from xms_core import _validate as v
from xms_core._constants import DeliveryStatus
from xms_core._wire import write_day

_STATUSES = tuple(status.value for status in DeliveryStatus)


def filter_values(value: Iterable[Any] | None) -> tuple[Any, ...]:
    """Attrs converter: any iterable (or None) to a duplicate-free tuple in order."""
    return v.unique_tuple(value)


def filter_strings(inst: object, field: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    """Attrs validator: strings that can be comma-joined (protocol 1.5)."""
    v.strings(inst, field, value)
    for item in value:
        if "," in str(item):
            raise ValueError(f"{field.name}: values are joined with ',' and cannot contain one")


def filter_statuses(inst: object, field: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    """Attrs validator: delivery statuses, a closed set spelled as XMS does (protocol 4.9)."""
    filter_strings(inst, field, value)
    for item in value:
        if item not in _STATUSES:
            raise ValueError(
                f"{field.name}: {v.show(item)} is not a delivery status"
                f" (one of {', '.join(_STATUSES)}; protocol 4.9)"
            )


def filter_codes(inst: object, field: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    """Attrs validator: delivery codes, non-negative ints."""
    for item in v.check_collection(field.name, value):
        v.check_int(field.name, item, 0)


def joined(values: Iterable[object]) -> str:
    """Join filter values with commas, as XMS expects."""
    return ",".join(str(item) for item in values)


def add_dates(query: list[tuple[str, str]], start: date | None, end: date | None) -> None:
    """Append `start_date`/`end_date` to `query` when set."""
    if start is not None:
        query.append(("start_date", write_day(start)))
    if end is not None:
        query.append(("end_date", write_day(end)))
