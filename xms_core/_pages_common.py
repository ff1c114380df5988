"""What the page walkers of both colours share: the page command, no repeats, PagesIterator.

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

from collections.abc import Hashable, Iterator
from typing import Generic, Protocol, TypeVar, final

from xms_core._command import Command
from xms_core._paging import Page

T = TypeVar("T")


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


def unseen(command: PageCommand[T], page: Page[T], seen: set[Hashable]) -> list[T]:
    """Return the items of `page` whose keys are not in `seen`, and add their keys to it."""
    fresh = []
    for item in page.content:
        key = command.item_key(item)
        if key not in seen:
            seen.add(key)
            fresh.append(item)
    return fresh


@final
class PagesIterator(Generic[T]):
    """Iterates over the pages of a `Pages`, fetching each when it is reached."""

    def __init__(self, pages: Iterator[Page[T]]) -> None:
        self._pages = pages

    def __iter__(self) -> PagesIterator[T]:
        return self

    def __next__(self) -> Page[T]:
        return next(self._pages)

    def next(self) -> Page[T]:
        """Fetch the next page (the reference's spelling of `next(iterator)`)."""
        return next(self._pages)
