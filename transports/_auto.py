"""The transport `AsyncClient` uses when given none: the one for the running event loop."""

from __future__ import annotations

from typing import final

from transports._loops import running_loop
from transports.base import AsyncTransport
from xms_core import HttpRequest, HttpResponse


def _transport_for_running_loop() -> AsyncTransport:
    loop = running_loop()
    if loop == "asyncio":
        from transports.asyncio import AsyncioTransport  # noqa: PLC0415 - chosen at run time

        return AsyncioTransport()
    if loop == "trio":
        from transports.trio import TrioTransport  # noqa: PLC0415 - the optional `trio` extra

        return TrioTransport()
    msg = "AsyncClient needs a running trio or asyncio event loop (await it from a task)"
    raise RuntimeError(msg)


@final
class LoopTransport:
    """Opens `TrioTransport` or `AsyncioTransport`, whichever fits the loop it is first used on.

    `AsyncClient` can be built before any loop runs (at import time, in a
    fixture); the choice waits for the first request. Once made it holds:
    using the client on another loop afterwards raises the chosen transport's
    clear wrong-loop error.
    """

    def __init__(self) -> None:
        self._inner: AsyncTransport | None = None

    def __repr__(self) -> str:
        chosen = "not chosen yet" if self._inner is None else repr(self._inner)
        return f"LoopTransport({chosen})"

    @property
    def inner(self) -> AsyncTransport | None:
        """The transport chosen for the loop, or None before the first request."""
        return self._inner

    def _chosen(self) -> AsyncTransport:
        if self._inner is None:
            self._inner = _transport_for_running_loop()
        return self._inner

    async def handle_async_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        """Send `request` on the transport of the running loop."""
        return await self._chosen().handle_async_request(request, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the running loop."""
        await self._chosen().sleep(seconds)

    async def aclose(self) -> None:
        """Close the chosen transport, if one was chosen."""
        if self._inner is not None:
            await self._inner.aclose()
