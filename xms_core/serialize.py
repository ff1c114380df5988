"""The reference's `serialize` module: the JSON-ready dict XMS receives for a value.

Each function is a thin facade over the codec the commands use, so
`serialize.text_batch(batch)` is exactly the body `CreateBatch(batch=batch)`
sends (decoded from JSON), and `serialize.tags(tags)` is exactly the body of
`ReplaceBatchTags`. Values are checked as the commands check them; a wrong
argument is a `TypeError` or `ValueError` naming it.

Unlike the reference, collections keep the caller's order (they are not
sorted), no `"from": null` is sent for a batch without a sender, and Base64
carries no trailing newline (protocol 10, quirks 1, 3 and 4).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xms_core import _validate as v
from xms_core._batches import (
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsUpdate,
    MtBatchTextSmsCreate,
    MtBatchTextSmsUpdate,
    write_create,
    write_tags,
    write_tags_update,
    write_update,
)
from xms_core._groups import GroupCreate, GroupUpdate, write_group, write_group_update
from xms_core._sets import TupleSet, to_tuple_set

__all__ = [
    "binary_batch",
    "binary_batch_update",
    "group_create",
    "group_update",
    "tags",
    "tags_update",
    "text_batch",
    "text_batch_update",
]


def _expect(name: str, value: object, cls: type) -> None:
    if not isinstance(value, cls):
        raise TypeError(f"{name}: expected {cls.__name__}, got {type(value).__name__}")


def text_batch(batch: MtBatchTextSmsCreate) -> dict[str, Any]:
    """Return the JSON object that creating (or replacing with) a text batch sends (4.1, 4.2)."""
    _expect("batch", batch, MtBatchTextSmsCreate)
    return write_create(batch)


def binary_batch(batch: MtBatchBinarySmsCreate) -> dict[str, Any]:
    """Return the JSON object that creating (or replacing with) a binary batch sends (4.3)."""
    _expect("batch", batch, MtBatchBinarySmsCreate)
    return write_create(batch)


def text_batch_update(batch: MtBatchTextSmsUpdate) -> dict[str, Any]:
    """Return the JSON object that updating a text batch sends (protocol 3.6, 4.5)."""
    _expect("batch", batch, MtBatchTextSmsUpdate)
    return write_update(batch)


def binary_batch_update(batch: MtBatchBinarySmsUpdate) -> dict[str, Any]:
    """Return the JSON object that updating a binary batch sends (protocol 3.6, 4.5)."""
    _expect("batch", batch, MtBatchBinarySmsUpdate)
    return write_update(batch)


def group_create(group: GroupCreate) -> dict[str, Any]:
    """Return the JSON object that creating (or replacing) a group sends (protocol 4.11)."""
    _expect("group", group, GroupCreate)
    return write_group(group)


def group_update(obj: GroupUpdate) -> dict[str, Any]:
    """Return the JSON object that updating a group sends (protocol 3.17)."""
    _expect("obj", obj, GroupUpdate)
    return write_group_update(obj)


def _tag_set(name: str, values: Iterable[str]) -> TupleSet:
    converted = to_tuple_set(values)
    v.check_strings(name, converted)
    return converted


def tags(tag_coll: Iterable[str]) -> dict[str, Any]:
    """Return the JSON object that replacing every tag sends: `{"tags": [...]}` (3.8)."""
    return write_tags(_tag_set("tag_coll", tag_coll))


def tags_update(tags_to_add: Iterable[str], tags_to_remove: Iterable[str]) -> dict[str, Any]:
    """Return the JSON object that adding and removing tags sends (protocol 3.8)."""
    return write_tags_update(
        _tag_set("tags_to_add", tags_to_add), _tag_set("tags_to_remove", tags_to_remove)
    )
