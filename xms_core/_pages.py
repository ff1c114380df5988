"""Lazy paged results: the reference's `Pages` and `PagesIterator`, and their async twin.

They do no I/O themselves: a client hands them its `send`, and the decision
whether another page follows is the page command's own (`next_page`), so the
sync and async drivers share every line of paging logic.

XMS pages by number over a listing that is newest first (protocol 3.3, 4.13).
An item created during a walk pushes every older one a place down, so the last
items of one page come back as the first of the next. `items()` remembers the
key of every item it gave (`item_key`: the batch, group or message id) and
gives none twice in one walk. What it cannot do: an item created after the walk
went past page 0 is not seen, and an item that leaves the listing during the walk
(a deleted group, a batch older than the listing's window) moves the others a
place up, so one of them may be skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator
from typing import Generic, Protocol, TypeVar, final

import attrs

from xms_core._command import Command
from xms_core._paging import Page

T = TypeVar("T")
PageCommandT = TypeVar("PageCommandT", bound="PageCommand[object]")


class PageCommand(Command[Page[T]], Protocol[T]):
    """A command that fetches one page and knows the next one."""

    @property
    def page(self) -> int:
        """The page number this command fetches."""
        ...

    def next_page(self, page: Page[T]) -> PageCommand[T] | None:
        """Return the command for the following page, or None at the end."""
        ...

    def item_key(self, item: T) -> Hashable:
        """Return what tells `item` apart from every other item of the listing."""
        ...


def _unseen(command: PageCommand[T], page: Page[T], seen: set[Hashable]) -> list[T]:
    """Return the items of `page` whose keys are not in `seen`, and add their keys to it."""
    fresh = []
    for item in page.content:
        key = command.item_key(item)
        if key not in seen:
            seen.add(key)
            fresh.append(item)
    return fresh


@final
class Pages(Generic[T]):
    """A listing that fetches its pages only when asked.

    Iterating gives pages, from page 0 until the last one; `get(n)` fetches
    page `n` alone; `items()` iterates over the items of every page.
    """

    def __init__(
        self, send: Callable[[Command[Page[T]]], Page[T]], command: PageCommand[T]
    ) -> None:
        self._send = send
        self._command = command

    def __repr__(self) -> str:
        return f"Pages({self._command!r})"

    def get(self, page: int) -> Page[T]:
        """Fetch page number `page` (from 0)."""
        return self._send(attrs.evolve(self._command, page=page))  # type: ignore[misc]

    def __iter__(self) -> PagesIterator[T]:
        return PagesIterator(self)

    def _walk(self) -> Iterator[Page[T]]:
        command: PageCommand[T] | None = self._command
        while command is not None:
            page = self._send(command)
            yield page
            command = command.next_page(page)

    def items(self) -> Iterator[T]:
        """Iterate over the items of every page, fetching pages as needed.

        No item is given twice in one walk, even when items created meanwhile
        shift the listing (see the module docstring for what a walk cannot see).
        """
        seen: set[Hashable] = set()
        for page in self:
            yield from _unseen(self._command, page, seen)


@final
class PagesIterator(Generic[T]):
    """Iterates over the pages of a `Pages`, fetching each when it is reached."""

    def __init__(self, pages: Pages[T]) -> None:
        self._pages = pages._walk()  # noqa: SLF001 - the iterator is the Pages' own

    def __iter__(self) -> PagesIterator[T]:
        return self

    def __next__(self) -> Page[T]:
        return next(self._pages)

    def next(self) -> Page[T]:
        """Fetch the next page (the reference's spelling of `next(iterator)`)."""
        return next(self._pages)


@final
class AsyncPages(Generic[T]):
    """The async twin of `Pages`: `async for` gives pages; `items()` gives items."""

    def __init__(
        self,
        send: Callable[[Command[Page[T]]], Awaitable[Page[T]]],
        command: PageCommand[T],
    ) -> None:
        self._send = send
        self._command = command

    def __repr__(self) -> str:
        return f"AsyncPages({self._command!r})"

    async def get(self, page: int) -> Page[T]:
        """Fetch page number `page` (from 0)."""
        return await self._send(attrs.evolve(self._command, page=page))  # type: ignore[misc]

    async def __aiter__(self) -> AsyncIterator[Page[T]]:
        command: PageCommand[T] | None = self._command
        while command is not None:
            page = await self._send(command)
            yield page
            command = command.next_page(page)

    async def items(self) -> AsyncIterator[T]:
        """Iterate over the items of every page, fetching pages as needed.

        No item is given twice in one walk, even when items created meanwhile
        shift the listing (see the module docstring for what a walk cannot see).
        """
        seen: set[Hashable] = set()
        async for page in self:
            for item in _unseen(self._command, page, seen):
                yield item
