"""`TupleSet`: ordered like a tuple, equal to sets like a set, never silently unequal."""

from __future__ import annotations

import copy
import json
import operator
import pickle

import attrs
import pytest

from xms_core.api import (
    BatchDeliveryReportStatus,
    GroupCreate,
    GroupResult,
    MtBatchTextSmsCreate,
    MtBatchTextSmsResult,
    TupleSet,
)

ABC = TupleSet(["c", "a", "b", "a"])


def test_keeps_first_seen_order_without_duplicates() -> None:
    assert list(ABC) == ["c", "a", "b"]
    assert len(ABC) == 3
    assert ABC[0] == "c"
    assert repr(ABC) == "('c', 'a', 'b')"
    assert TupleSet() == ()


def test_equal_to_sets_in_any_order_and_to_tuples_in_order() -> None:
    # Both operand orders: the TupleSet's own __eq__, and the set's reflected to it.
    for a_set in ({"a", "b", "c"}, frozenset("abc"), {"a": 1, "b": 2, "c": 3}.keys()):
        assert operator.eq(ABC, a_set)
        assert operator.eq(a_set, ABC)
        assert not operator.ne(ABC, a_set)
        assert not operator.ne(a_set, ABC)
    assert operator.eq(ABC, TupleSet("bca"))
    assert operator.eq(ABC, ("c", "a", "b"))
    assert operator.ne(ABC, ("a", "b", "c"))
    assert operator.ne(ABC, {"a", "b"})
    assert operator.ne({"a", "b"}, ABC)
    assert operator.ne(ABC, ["c", "a", "b"])
    assert ABC.__eq__(3) is NotImplemented
    assert ABC.__ne__(3) is NotImplemented


def test_hash_is_the_frozensets() -> None:
    assert hash(ABC) == hash(frozenset("abc")) == hash(TupleSet("bac"))
    assert {frozenset("abc"): "found"}[ABC] == "found"
    assert len({ABC, TupleSet("abc")}) == 1


def test_subset_comparisons_with_sets_and_order_with_tuples() -> None:
    assert {"a", "b", "c", "d"} >= ABC
    assert {"a", "b", "c", "d"} > ABC
    assert {"a"} <= ABC
    assert {"a"} < ABC
    assert not {"a", "b", "c"} > ABC
    assert ABC < ("d",)
    assert ABC <= ("c", "a", "b")
    assert ABC > ("a",)
    assert ABC >= ("c", "a", "b")
    for compare in (ABC.__lt__, ABC.__le__, ABC.__gt__, ABC.__ge__):
        assert compare(3) is NotImplemented


def test_set_operators_give_frozensets() -> None:
    assert ABC | {"d"} == {"d"} | ABC == frozenset("abcd")
    assert ABC & {"a", "z"} == {"a", "z"} & ABC == frozenset("a")
    assert ABC - {"a"} == frozenset("bc")
    assert {"a", "z"} - ABC == frozenset("z")
    assert ABC ^ {"a", "z"} == {"a", "z"} ^ ABC == frozenset("bcz")
    assert isinstance(ABC | {"d"}, frozenset)
    assert ABC.isdisjoint({"x"})
    assert ABC.issubset("abcd")
    assert ABC.issuperset(["a"])


def test_survives_copy_pickle_json_and_attrs() -> None:
    restored = pickle.loads(pickle.dumps(ABC))  # noqa: S301 - our own bytes
    assert restored == ABC
    assert type(restored) is TupleSet
    assert copy.deepcopy(ABC) == ABC
    assert json.dumps(ABC) == '["c", "a", "b"]'
    group = GroupCreate(tags=["x", "y"])
    assert attrs.asdict(group)["tags"] == ("x", "y")
    assert attrs.evolve(group, tags=["y", "x", "y"]).tags == ("y", "x")


def test_every_set_valued_field_is_a_tuple_set() -> None:
    batch = MtBatchTextSmsCreate(recipients=["+46701234567", "+46701234567"], body="hi")
    assert type(batch.recipients) is TupleSet
    assert batch.recipients == {"+46701234567"}
    assert type(batch.tags) is TupleSet
    result = MtBatchTextSmsResult(batch_id="b", recipients=["+46701234567"], body="x", tags=["t"])
    assert result.tags == {"t"}
    assert GroupResult(group_id="g", child_groups=["a"]).child_groups == {"a"}
    bucket = BatchDeliveryReportStatus(code=0, status="Delivered", count=1, recipients=["1"])
    assert bucket.recipients == {"1"}


@pytest.mark.parametrize("value", ["ab", b"ab", 5])
def test_a_lone_value_is_left_for_the_validator(value: object) -> None:
    with pytest.raises(TypeError, match="tags: expected a collection"):
        GroupCreate(tags=value)  # type: ignore[arg-type]


def test_unhashable_items_are_refused_naming_the_field() -> None:
    with pytest.raises(TypeError, match="tags: expected str elements"):
        GroupCreate(tags=[["nested"]])  # type: ignore[list-item]
