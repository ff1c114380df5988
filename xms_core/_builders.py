"""Compiled builders of attrs values: the decoders' fast constructors, guarded.

A decoder has already checked the type of every field it read, so it builds its
values with `constructor()`, which skips the attrs validators (they exist for
programmer mistakes, not for server data) and matches no keywords at run time.
Everything else `__init__` does, a builder does too, or it refuses to be compiled:

* **Validators** are skipped: that is the point.
* **Converters** run, on given values and on defaults, as `__init__` runs them.
  A caller that passes a field already in its converter's output form (a decoder
  wrapping the strings of an answer with `from_answer`) names it in `converted`,
  and its given values are stored as they are.
* **`init=False` fields** get their default or factory value (through their
  converter), as `__init__` gives them; one without a default stays unset, as in
  `__init__`.
* **`__attrs_post_init__`** runs on the finished, frozen value. A caller whose
  class's hook only checks fields, and so is skipped like a validator, says so
  with `skip_post_init=True`.
* Everything else is **refused with a `TypeError` naming the class and the
  field or hook**, when the builder is compiled (at import time of the decoder,
  never in the middle of reading an answer): an `__init__` attrs did not write, an
  `__attrs_pre_init__` hook, a converter or default factory that takes `self`
  (or the field), and `cache_hash=True`.

The generated code is what attrs writes for `__init__`: one straight line per
field, on an instance born as a writable twin of the class (see `_compile`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

T = TypeVar("T")

__all__ = ["constructor"]


def constructor(
    cls: type[T],
    *names: str,
    converted: Iterable[str] = (),
    skip_post_init: bool = False,
) -> Callable[..., T]:
    """Compile a builder of `cls` taking the fields `names`, in that order (or by keyword).

    The other fields take their declared defaults. No validator runs; see the
    module docstring for what else runs and what is refused.

    Args:
        cls: An attrs class.
        *names: The fields the builder takes, positionally in this order or by name.
        converted: Fields among `names` whose values the caller passes already in
            their converter's output form: their converters do not run.
        skip_post_init: Skip `cls.__attrs_post_init__`, which must only check fields.

    Raises:
        ValueError: A name is not an `init` field of `cls` or is given twice, a
            field without a default is left out, or `converted` names a field
            that is not given or has no converter.
        TypeError: `cls` is a class the builder cannot build faithfully (the
            class and the field or hook are named).
    """
    _refuse_unfaithful(cls, skip_post_init=skip_post_init)
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cls)  # type: ignore[arg-type]
    init_names = {a.name for a in fields if a.init}
    if len(set(names)) != len(names) or not init_names.issuperset(names):
        raise ValueError(f"{cls.__name__}: bad field names {names!r}")
    trusted = set(converted)
    for name in sorted(trusted):
        if name not in names or _converter_of(cls, attrs.fields_dict(cls)[name]) is None:  # type: ignore[arg-type]
            raise ValueError(f"{cls.__name__}: field {name!r} is not given or has no converter")
    scope: dict[str, Any] = {}
    lines = [
        line
        for index, field in enumerate(fields)
        if (line := _store(cls, index, field, names, trusted=trusted, scope=scope)) is not None
    ]
    post_init = not skip_post_init and hasattr(cls, "__attrs_post_init__")
    return _compile(cls, ", ".join(names), lines, scope, post_init=post_init)  # type: ignore[no-any-return]


def _store(
    cls: type,
    index: int,
    field: attrs.Attribute[Any],
    names: tuple[str, ...],
    *,
    trusted: set[str],
    scope: dict[str, Any],
) -> str | None:
    """Return the line storing `field` (None: left unset), adding what it calls to `scope`."""
    convert = _converter_of(cls, field)
    if convert is not None:
        scope[f"xms_convert_{index}"] = convert
    if field.name in names:
        value = field.name
        if convert is not None and field.name not in trusted:
            value = f"xms_convert_{index}({value})"
        return f"xms_self.{field.name} = {value}"
    default, is_factory = _default_of(cls, field)
    if default is _NOTHING:
        if field.init:
            raise ValueError(f"{cls.__name__}: field {field.name!r} has no default")
        return None  # init=False and no default: __init__ leaves it unset too
    scope[f"xms_default_{index}"] = default
    value = f"xms_default_{index}()" if is_factory else f"xms_default_{index}"
    if convert is not None:
        value = f"xms_convert_{index}({value})"
    return f"xms_self.{field.name} = {value}"


def _refuse_unfaithful(cls: type, *, skip_post_init: bool) -> None:
    """Raise TypeError if `cls` does something at construction a builder does not copy."""
    init = getattr(getattr(cls, "__init__", None), "__code__", None)
    if init is None or not init.co_filename.startswith("<attrs generated"):
        raise TypeError(
            f"{cls.__name__}: its __init__ is not the one attrs generates; a builder cannot copy it"
        )
    if hasattr(cls, "__attrs_pre_init__"):
        raise TypeError(f"{cls.__name__}: has an __attrs_pre_init__ hook, which a builder skips")
    if skip_post_init and not hasattr(cls, "__attrs_post_init__"):
        raise ValueError(f"{cls.__name__}: skip_post_init given, but it has no post-init hook")
    hash_code = getattr(cls.__hash__, "__code__", None)
    if hash_code is not None and "_attrs_cached_hash" in hash_code.co_names:
        raise TypeError(f"{cls.__name__}: caches its hash (cache_hash=True); a builder cannot")


def _converter_of(cls: type, field: attrs.Attribute[Any]) -> Callable[[Any], Any] | None:
    """Return the one-argument converter of `field`, refusing one that takes self or the field."""
    convert: Any = field.converter
    if convert is None:
        return None
    if type(convert) in _CONVERTER_CLASSES:
        if convert.takes_self or convert.takes_field:
            raise TypeError(
                f"{cls.__name__}: field {field.name!r} has a converter that takes self or"
                " the field, which a builder cannot pass"
            )
        convert = convert.converter
    return convert  # type: ignore[no-any-return]


# attrs.Converter (attrs >= 24.1) wraps converters that may take self or the field.
_CONVERTER_CLASSES: tuple[type, ...] = tuple(
    kind for kind in (getattr(attrs, "Converter", None),) if isinstance(kind, type)
)


def _compile(
    cls: type,
    parameters: str,
    lines: list[str],
    scope: dict[str, Any],
    *,
    post_init: bool,
) -> Any:  # noqa: ANN401
    """Compile `def build(parameters)` that runs `lines` on a new instance and returns it.

    Generated code, as attrs writes `__init__`: one straight line per field.
    The instance is born as a writable twin of `cls` (a subclass adding no slot
    and no behaviour, only the plain `object.__setattr__` and `__delattr__`), so
    each line is a plain slot store; it then becomes a `cls`, which the
    identical layout allows, before any post-init hook sees it.
    That is four times faster than `object.__setattr__` per field, and the
    frozen class never sees a write.
    """
    writable = _WRITABLE.get(cls)
    if writable is None:
        # Both, or the type keeps a Python-level attribute slot and stores get slow.
        namespace = {
            "__slots__": (),
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
        }
        writable = _WRITABLE[cls] = type(f"Writable{cls.__name__}", (cls,), namespace)
    scope.update(xms_new=object.__new__, xms_writable=writable, xms_cls=cls)
    source = "\n    ".join(
        [
            f"def build({parameters}):",
            "xms_self = xms_new(xms_writable)",
            *lines,
            "xms_self.__class__ = xms_cls",
            *(["xms_self.__attrs_post_init__()"] if post_init else []),
            "return xms_self",
        ]
    )
    exec(compile(source, f"<xms build {cls.__qualname__}>", "exec"), scope)  # noqa: S102
    return scope["build"]


_WRITABLE: dict[type, type] = {}
_NOTHING = object()


def _default_of(cls: type, attribute: attrs.Attribute[Any]) -> tuple[Any, bool]:
    """Return (default, is_factory); a factory that takes self is refused."""
    default: Any = attribute.default
    if default is attrs.NOTHING:
        return _NOTHING, False
    if type(default) not in _FACTORY_CLASSES:
        return default, False
    if default.takes_self:
        raise TypeError(
            f"{cls.__name__}: field {attribute.name!r} has a default factory that"
            " takes self, which a builder cannot pass"
        )
    return default.factory, True


_FACTORY_CLASSES: tuple[type, ...] = (type(attrs.Factory(list)),)
