"""Lazy paged results, written once: `AsyncPages` here, and `Pages` generated from it.

They do no I/O themselves: a client hands them its `send`, and the decision
whether another page follows is the page command's own (`next_page`), so the
two colours share every line of paging logic (see `_pages_common`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Generic, TypeVar, final

import attrs

from xms_core._command import Command
from xms_core._pages_common import PageCommand, unseen
from xms_core._paging import Page

T = TypeVar("T")


@final
class AsyncPages(Generic[T]):
    """A listing that fetches its pages only when asked.

    Iterating gives pages, from page 0 until the last one; `get(n)` fetches
    page `n` alone; `items()` iterates over the items of every page.
    """

    def __init__(
        self,
        send: Callable[[Command[Page[T]]], Awaitable[Page[T]]],
        command: PageCommand[T],
    ) -> None:
        self._send = send
        self._command = command

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._command!r})"

    async def get(self, page: int) -> Page[T]:
        """Fetch page number `page` (from 0)."""
        return await self._send(attrs.evolve(self._command, page=page))  # type: ignore[misc]

    def __aiter__(self) -> AsyncIterator[Page[T]]:
        return self._walk()

    async def _walk(self) -> AsyncIterator[Page[T]]:
        command: PageCommand[T] | None = self._command
        while command is not None:
            page = await self._send(command)
            yield page
            command = command.next_page(page)

    async def items(self) -> AsyncIterator[T]:
        """Iterate over the items of every page, fetching pages as needed.

        No item is given twice in one walk, even when items created meanwhile
        shift the listing (see `_pages_common` for what a walk cannot see).
        """
        seen: set[Hashable] = set()
        async for page in self._walk():
            for item in unseen(self._command, page, seen):
                yield item
