"""Pages of listed items and the pure rule for whether another page follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, Protocol, TypeVar, final

import attrs

from xms_core import _validate as v
from xms_core._builders import constructor
from xms_core._wire import JsonObject, WireError, obj, req_int

T = TypeVar("T")


@final
@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a listing (protocol 4.13).

    Attributes:
        page: The page number, starting from zero.
        size: The number of items on this page (the server's `page_size`).
        total_size: The number of items across all pages (the server's `count`).
        content: The items of this page.
    """

    page: int
    size: int
    total_size: int
    content: tuple[T, ...] = ()

    def __iter__(self) -> Any:  # noqa: ANN401 - Iterator[T]; typed loosely for attrs
        return iter(self.content)

    def __len__(self) -> int:
        return len(self.content)


def has_next_page(page: Page[Any], items_before: int) -> bool:
    """Tell whether another page follows `page`.

    `items_before` is how many items the earlier pages held. The original SDK
    asked for pages until one came back empty, which costs an extra request;
    here the server's total decides. Counting the items actually received
    (rather than multiplying the requested page size) stays right when the
    server caps the page size below what was asked for.
    """
    received = len(page.content)
    return received > 0 and items_before + received < page.total_size


@attrs.frozen(kw_only=True)
class PageQuery:
    """What every page command shares: the page, its size and the items before it.

    Attributes:
        page: The page number, from 0.
        page_size: Items per page (1 to 100); None for the XMS default (30).
        items_before: How many items the earlier pages held; `next_page` keeps it.
    """

    method: ClassVar[str] = "GET"
    page: int = attrs.field(default=0, validator=v.int_range(0))
    page_size: int | None = attrs.field(default=None, validator=v.page_size)
    items_before: int = attrs.field(default=0, validator=v.int_range(0))

    def page_query(self) -> list[tuple[str, str]]:
        """Start a query with `page` and, when set, `page_size`."""
        query = [("page", str(self.page))]
        if self.page_size is not None:
            query.append(("page_size", str(self.page_size)))
        return query


class _Paged(Protocol):
    @property
    def items_before(self) -> int: ...


PagedT = TypeVar("PagedT", bound=_Paged)


def following_page(command: PagedT, page: Page[Any]) -> PagedT | None:
    """Return `command` for the page after `page`, or None when `page` was the last.

    Every page command's `next_page` is this, so all listings share one rule.
    """
    if not has_next_page(page, command.items_before):
        return None
    return attrs.evolve(  # type: ignore[misc]
        command, page=page.page + 1, items_before=command.items_before + len(page.content)
    )


_new_page = constructor(Page, "page", "size", "total_size", "content")


def read_page(data: object, key: str, read_item: Callable[[Any], T]) -> Page[T]:
    """Read a page whose items are under `key`."""
    body: JsonObject = obj(data, "page")
    items = body.get(key)
    if items is None:
        items = []
    if type(items) is not list:
        raise WireError(f"field {key!r}: expected an array")
    content = tuple(map(read_item, items))
    return _new_page(
        page=req_int(body, "page"),
        size=req_int(body, "page_size"),
        total_size=req_int(body, "count"),
        content=content,
    )
