"""Paging decisions of the four page commands: which page follows, and when none.

Pure tests: `next_page` is walked against a fake listing, no answer is parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from xms_core import FetchBatches, FetchDeliveryReports, FetchGroups, FetchInbounds, Page

PAGE_COMMANDS: dict[str, Callable[..., Any]] = {
    "FetchBatches": lambda **kw: FetchBatches(tags=["t"], senders=["12345"], **kw),
    "FetchGroups": lambda **kw: FetchGroups(tags=["t"], **kw),
    "FetchInbounds": lambda **kw: FetchInbounds(recipients=["12345"], **kw),
    "FetchDeliveryReports": lambda **kw: FetchDeliveryReports(status=["Delivered"], **kw),
}


def _walk(command: Any, total: int, server_cap: int = 100) -> list[int]:
    """Follow `next_page` against a listing of `total` items; return the pages fetched.

    The fake server uses 30 items per page by default and at most `server_cap`.
    """
    fetched: list[int] = []
    per_page = min(command.page_size or 30, server_cap)
    while command is not None:
        fetched.append(command.page)
        assert len(fetched) < 50
        start = command.page * per_page
        items = tuple(range(start, min(start + per_page, total)))
        page = Page(page=command.page, size=len(items), total_size=total, content=items)
        following = command.next_page(page)
        if following is not None:
            assert following == attrs.evolve(
                command, page=command.page + 1, items_before=command.items_before + len(items)
            )
        command = following
    return fetched


@pytest.mark.parametrize("name", sorted(PAGE_COMMANDS))
@pytest.mark.parametrize(
    ("page_size", "total", "pages"),
    [
        (2, 5, [0, 1, 2]),
        (2, 4, [0, 1]),
        (2, 2, [0]),
        (2, 0, [0]),
        (100, 100, [0]),
        (100, 101, [0, 1]),
        (None, 60, [0, 1]),
        # The items received are counted, so a short last page ends the walk
        # without the extra empty request the original SDK always made.
        (None, 61, [0, 1, 2]),
        (None, 0, [0]),
    ],
)
def test_next_page_stops_at_the_total(
    name: str, page_size: int | None, total: int, pages: list[int]
) -> None:
    command = PAGE_COMMANDS[name](page_size=page_size)
    assert _walk(command, total) == pages


@pytest.mark.parametrize("name", sorted(PAGE_COMMANDS))
def test_next_page_survives_a_server_that_caps_the_page_size(name: str) -> None:
    # Asked for 100 per page, the server gives 50: every item is still reached.
    command = PAGE_COMMANDS[name](page_size=100)
    assert _walk(command, 120, server_cap=50) == [0, 1, 2]


@pytest.mark.parametrize("name", sorted(PAGE_COMMANDS))
def test_next_page_keeps_filters_and_stops_on_an_empty_page(name: str) -> None:
    command = PAGE_COMMANDS[name](page=4, page_size=10)
    following = command.next_page(Page(page=4, size=10, total_size=100, content=tuple(range(10))))
    assert following == attrs.evolve(command, page=5, items_before=10)
    assert following.page_size == 10
    empty = Page(page=4, size=0, total_size=100, content=())
    assert command.next_page(empty) is None
