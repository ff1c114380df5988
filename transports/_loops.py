"""Which event loop is running: for the default async transport and clear wrong-loop errors."""

from __future__ import annotations

import sys
from typing import Literal

Loop = Literal["asyncio", "trio"]

# The transport that belongs to each loop, as a user imports it.
TRANSPORT_FOR: dict[Loop, str] = {
    "asyncio": "transports.asyncio.AsyncioTransport",
    "trio": "transports.trio.TrioTransport",
}


class WrongEventLoopError(RuntimeError):
    """A transport was used outside the event loop it is written for."""


def running_loop() -> Loop | None:
    """Name the event loop running the calling task, or None outside any.

    asyncio is asked first: under trio-asyncio an asyncio task runs inside a
    trio task, and asyncio code must get the asyncio transport there.
    """
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            if asyncio.current_task() is not None:
                return "asyncio"
        except RuntimeError:  # no asyncio loop running in this thread
            pass
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
        except RuntimeError:  # not inside trio.run
            pass
        else:
            return "trio"
    return None


def wrong_loop(transport: str, wanted: Loop) -> WrongEventLoopError:
    """Return the error for `transport` (made for `wanted`) used where it does not belong."""
    found = running_loop()
    if found is None:
        where = "outside any event loop"
        hint = "await it from a task of that loop"
    else:
        where = f"on {found}"
        hint = (
            f"use {TRANSPORT_FOR[found]} there, or leave transport= out of AsyncClient"
            " to get the one for the running loop"
        )
    return WrongEventLoopError(f"{transport} runs on {wanted}, but it was used {where}: {hint}")
