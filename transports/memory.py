"""A transport that hands each request to a function: the base of offline tests."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import final

from transports._contract import check_request
from xms_core import HttpRequest, HttpResponse

Handler = Callable[[HttpRequest], HttpResponse]


@final
class MemoryTransport:
    """Serves both transport protocols by calling `handler(request)`.

    Point it at `Simulator.handle` for an offline XMS, or at any function of
    your own to script answers. Every request seen is kept in `requests`.

    It keeps the transport contract of `transports.base`: the handler gets the
    request exactly as given (nothing is added: with no wire there is no
    `host` or `content-length` to write), and a method, header name or value
    that HTTP cannot carry is refused with `ConnectException` before the
    handler sees it, as a network transport refuses it before sending.

    Args:
        handler: A function from request to response.
        sleep: What the async side awaits between retries; defaults to a
            no-op so tests never wait. Pass `trio.sleep` or `asyncio.sleep`
            for real pauses.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._handler = handler
        self._sleep = sleep
        self.requests: list[HttpRequest] = []
        self.closed = False

    def __repr__(self) -> str:
        return f"MemoryTransport(handler={self._handler!r}, requests={len(self.requests)})"

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        """Record `request` and return what the handler answers."""
        check_request(request)
        self.requests.append(request)
        return self._handler(request)

    async def handle_async_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        """Record `request` and return what the handler answers."""
        check_request(request)
        self.requests.append(request)
        return self._handler(request)

    async def sleep(self, seconds: float) -> None:
        """Await the configured sleep, or return at once."""
        if self._sleep is not None:
            result = self._sleep(seconds)
            if inspect.isawaitable(result):
                await result

    def close(self) -> None:
        """Mark the transport closed."""
        self.closed = True

    async def aclose(self) -> None:
        """Mark the transport closed."""
        self.closed = True
