"""`TupleSet`: the reference's set-valued fields, kept in order and still equal to a set.

The original SDK returned `set`s for a batch's recipients and tags, a group's
members, child groups and tags, and a report bucket's recipients (protocol 10,
quirk 3). A set loses the order XMS sent and prints differently on every run,
so these fields are tuples here; but code written for the reference compares
them with sets (`batch.tags == {"a", "b"}`), and a plain tuple would make that
comparison silently `False`. A `TupleSet` is a tuple of distinct strings, in
first-seen order, that is also equal to a set holding the same strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from functools import partial
from typing import Any, cast, final


@final
class TupleSet(tuple[str, ...]):
    """An ordered, duplicate-free tuple of strings that compares with sets as a set.

    * Iteration, indexing, `len`, `repr` and JSON output are a tuple's, in the
      order the values were first given (or sent by XMS); duplicates are dropped.
    * `==` with a `set`, a `frozenset` or another `TupleSet` ignores order; with a
      plain tuple it is the tuple comparison (order matters).
    * `|`, `&`, `-` and `^` with any set or iterable give a `frozenset`;
      `<=`, `<`, `>=`, `>` with a set are the subset tests; `isdisjoint`,
      `issubset` and `issuperset` are there too.
    * The hash is that of the `frozenset` of the values, so a `TupleSet` and an
      equal `frozenset` find each other in a dict. (It is not a plain tuple's
      hash: do not mix `TupleSet`s and plain tuples as keys of one dict.)

    One read from an answer holds the values as XMS sent them (XMS sends each
    once); the comparisons above hold either way.
    """

    __slots__ = ()

    def __new__(cls, values: Iterable[str] = ()) -> TupleSet:
        return super().__new__(cls, dict.fromkeys(values))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (TupleSet, AbstractSet)):
            return frozenset(self) == frozenset(other)
        if isinstance(other, tuple):
            return tuple.__eq__(self, other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(frozenset(self))

    def __le__(self, other: object) -> bool:
        if isinstance(other, AbstractSet):
            return frozenset(self) <= frozenset(other)
        if isinstance(other, tuple):
            return tuple.__le__(self, other)
        return NotImplemented

    def __lt__(self, other: object) -> bool:
        if isinstance(other, AbstractSet):
            return frozenset(self) < frozenset(other)
        if isinstance(other, tuple):
            return tuple.__lt__(self, other)
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if isinstance(other, AbstractSet):
            return frozenset(self) >= frozenset(other)
        if isinstance(other, tuple):
            return tuple.__ge__(self, other)
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if isinstance(other, AbstractSet):
            return frozenset(self) > frozenset(other)
        if isinstance(other, tuple):
            return tuple.__gt__(self, other)
        return NotImplemented

    def __or__(self, other: Iterable[str]) -> frozenset[str]:
        return frozenset(self).union(other)

    __ror__ = __or__

    def __and__(self, other: Iterable[str]) -> frozenset[str]:
        return frozenset(self).intersection(other)

    __rand__ = __and__

    def __sub__(self, other: Iterable[str]) -> frozenset[str]:
        return frozenset(self).difference(other)

    def __rsub__(self, other: Iterable[str]) -> frozenset[str]:
        return frozenset(other).difference(self)

    def __xor__(self, other: Iterable[str]) -> frozenset[str]:
        return frozenset(self).symmetric_difference(other)

    __rxor__ = __xor__

    def isdisjoint(self, other: Iterable[str]) -> bool:
        """Tell whether no value is also in `other`."""
        return frozenset(self).isdisjoint(other)

    def issubset(self, other: Iterable[str]) -> bool:
        """Tell whether every value is also in `other`."""
        return frozenset(self).issubset(other)

    def issuperset(self, other: Iterable[str]) -> bool:
        """Tell whether every value of `other` is also here."""
        return frozenset(self).issuperset(other)


from_answer = cast("Callable[[Iterable[str]], TupleSet]", partial(tuple.__new__, TupleSet))
"""Wrap the strings of an answer as they are, without the duplicate check.

A decoder's hot path (a page of 30 batches, a report of 100,000 recipients):
the C constructor of tuple, no Python call and no hashing of every string.
"""


def to_tuple_set(values: Any) -> TupleSet:  # noqa: ANN401 - an attrs converter takes anything
    """Attrs converter: any iterable of values (or None) to a `TupleSet`.

    A converter cannot name its field, so a lone str or bytes, or anything that
    is not iterable, is returned unchanged for the field's validator to reject
    naming the field (`check_collection`); so is an iterable with an unhashable
    item, as a plain tuple.
    """
    if values is None:
        return TupleSet()
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        return values  # type: ignore[return-value]
    items = tuple(values)
    try:
        return TupleSet(items)
    except TypeError:
        return items  # type: ignore[return-value]
