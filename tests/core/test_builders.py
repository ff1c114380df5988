"""The compiled builders build what `__init__` builds, or refuse to be compiled.

Each class below uses one attrs feature a fast constructor could silently skip;
the builder's value is compared with the one attrs' own `__init__` makes.
"""

from __future__ import annotations

import pickle
from typing import Any

import attrs
import pytest

from xms_core._builders import constructor


def _upper(value: str) -> str:
    return value.upper()


@attrs.frozen(kw_only=True)
class _Converted:
    items: tuple[int, ...] = attrs.field(converter=tuple)
    label: str = attrs.field(default="plain", converter=_upper)
    extra: tuple[int, ...] = attrs.field(factory=list, converter=tuple)


def test_converters_run_on_given_values_and_on_defaults() -> None:
    build = constructor(_Converted, "items")
    built = build([1, 2])
    assert built == _Converted(items=[1, 2])
    assert (built.items, built.label, built.extra) == ((1, 2), "PLAIN", ())
    assert type(built.items) is tuple
    labelled = constructor(_Converted, "items", "label")((3,), label="x")
    assert labelled == _Converted(items=(3,), label="x")
    assert labelled.label == "X"


@attrs.frozen
class _Wrapped:
    label: str = attrs.field(converter=attrs.Converter(_upper))


def test_a_converter_object_that_takes_only_the_value_runs_too() -> None:
    built = constructor(_Wrapped, "label")("quiet")
    assert built == _Wrapped("quiet")
    assert built.label == "QUIET"


def test_converted_fields_are_stored_as_the_caller_gives_them() -> None:
    build = constructor(_Converted, "items", "label", converted=("items",))
    already = (1, 2)
    built = build(already, "x")
    assert built.items is already
    assert built.label == "X"  # the label's converter still runs
    assert built == _Converted(items=already, label="x")


@pytest.mark.parametrize(
    ("names", "converted"),
    [(("items",), ("label",)), (("items", "label"), ("nope",))],
)
def test_converted_must_name_a_given_field_with_a_converter(
    names: tuple[str, ...], converted: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match=r"_Converted: field '\w+' is not given or has no"):
        constructor(_Converted, *names, converted=converted)


def test_converted_refuses_a_field_without_a_converter() -> None:
    with pytest.raises(ValueError, match="field 'n' is not given or has no converter"):
        constructor(_Validated, "n", converted=("n",))


@attrs.frozen(kw_only=True)
class _Derived:
    name: str
    shout: str = attrs.field(init=False, default="hey", converter=_upper)
    seen: list[str] = attrs.field(init=False, factory=list)
    unset: int = attrs.field(init=False, eq=False)


def test_init_false_fields_get_what_init_gives_them() -> None:
    built = constructor(_Derived, "name")("n")
    expected = _Derived(name="n")
    assert built == expected
    assert (built.shout, built.seen) == ("HEY", [])
    assert built.seen is not constructor(_Derived, "name")("m").seen
    # No default and no hook: attrs' __init__ leaves it unset, and so does the builder.
    for value in (built, expected):
        with pytest.raises(AttributeError):
            _ = value.unset


def test_init_false_fields_cannot_be_passed() -> None:
    with pytest.raises(ValueError, match="bad field names"):
        constructor(_Derived, "name", "shout")


@attrs.frozen(kw_only=True)
class _Hooked:
    low: int
    high: int
    span: int = attrs.field(init=False, eq=False)
    hooked: list[type] = attrs.field(factory=list, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low: must not exceed high")
        self.hooked.append(type(self))
        object.__setattr__(self, "span", self.high - self.low)


def test_post_init_hook_runs_on_the_finished_frozen_value() -> None:
    built = constructor(_Hooked, "low", "high")(1, 4)
    assert built == _Hooked(low=1, high=4)
    assert built.span == 3
    assert built.hooked == [_Hooked]  # it saw the real class, not the writable twin
    with pytest.raises(ValueError, match="low: must not exceed high"):
        constructor(_Hooked, "low", "high")(5, 4)


def test_post_init_hook_is_skipped_only_when_asked() -> None:
    skipping = constructor(_Hooked, "low", "high", skip_post_init=True)
    built = skipping(5, 4)  # the check does not run
    assert (built.low, built.high, built.hooked) == (5, 4, [])
    with pytest.raises(AttributeError):
        _ = built.span
    with pytest.raises(ValueError, match="_Converted: skip_post_init given, but it has no"):
        constructor(_Converted, "items", skip_post_init=True)


@attrs.frozen(kw_only=True)
class _Validated:
    n: int = attrs.field(validator=attrs.validators.gt(0))
    name: str = attrs.field(default="x", validator=attrs.validators.instance_of(str))


def test_validators_are_skipped_by_design() -> None:
    with pytest.raises(ValueError, match="'n' must be > 0"):
        _Validated(n=-1)
    built = constructor(_Validated, "n", "name")(-1, 5)
    assert (built.n, built.name) == (-1, 5)
    assert type(built) is _Validated
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.n = 2  # type: ignore[misc]


@attrs.frozen(slots=False, kw_only=True)
class _DictClass:
    items: tuple[int, ...] = attrs.field(converter=tuple)
    label: str = "x"


def test_dict_classes_build_like_slotted_ones() -> None:
    built = constructor(_DictClass, "items")([1])
    assert built == _DictClass(items=[1])
    assert type(built) is _DictClass
    assert pickle.loads(pickle.dumps(built)) == built  # noqa: S301 - our own bytes
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.label = "y"  # type: ignore[misc]


@attrs.frozen(init=False)
class _OwnInit:
    n: int

    def __init__(self, n: str) -> None:
        self.__attrs_init__(n=int(n))


@attrs.frozen(init=False)
class _NoInit:
    n: int


@attrs.frozen
class _PreInit:
    n: int

    def __attrs_pre_init__(self) -> None:
        pass


def _with_self(value: int, instance: object) -> int:
    return value


def _with_field(value: int, field: object) -> int:
    return value


@attrs.frozen
class _SelfConverter:
    n: int = attrs.field(converter=attrs.Converter(_with_self, takes_self=True))


@attrs.frozen
class _FieldConverter:
    n: int = attrs.field(converter=attrs.Converter(_with_field, takes_field=True))


@attrs.frozen
class _SelfFactory:
    n: int
    double: int = attrs.field(default=attrs.Factory(lambda s: s.n * 2, takes_self=True))


@attrs.frozen(cache_hash=True)
class _CachedHash:
    n: int


@pytest.mark.parametrize(
    ("cls", "names", "message"),
    [
        (_OwnInit, ("n",), "_OwnInit: its __init__ is not the one attrs generates"),
        (_NoInit, ("n",), "_NoInit: its __init__ is not the one attrs generates"),
        (_PreInit, ("n",), "_PreInit: has an __attrs_pre_init__ hook"),
        (_SelfConverter, ("n",), "_SelfConverter: field 'n' has a converter that takes self"),
        (_FieldConverter, ("n",), "_FieldConverter: field 'n' has a converter that takes self"),
        (_SelfFactory, ("n",), "_SelfFactory: field 'double' has a default factory that takes"),
        (_CachedHash, ("n",), r"_CachedHash: caches its hash \(cache_hash=True\)"),
    ],
)
def test_classes_a_builder_cannot_build_faithfully_are_refused_when_compiled(
    cls: type[Any], names: tuple[str, ...], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        constructor(cls, *names)


def test_a_self_taking_factory_is_fine_when_its_field_is_given() -> None:
    # The factory never runs then, so nothing is lost.
    built = constructor(_SelfFactory, "n", "double")(2, 5)
    assert built == _SelfFactory(n=2, double=5)
