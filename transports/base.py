"""The transport seam: what a sync or async transport must do.

A transport sends one `HttpRequest` and returns the whole `HttpResponse`,
whatever its status. It never retries, never follows redirects, never parses
a body, never logs the `authorization` header, and raises nothing but
`xms_core.exceptions.TransportException` subclasses, with the cause chained.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from xms_core import HttpRequest, HttpResponse


@runtime_checkable
class SyncTransport(Protocol):
    """Sends one request and blocks until the whole answer is read."""

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        """Send `request` and return the answer; `timeout` bounds connect and each read."""
        ...

    def close(self) -> None:
        """Release every connection; the transport may not be used afterwards."""
        ...


@runtime_checkable
class AsyncTransport(Protocol):
    """The async twin of `SyncTransport`."""

    async def handle_async_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        """Send `request` and return the answer; `timeout` bounds connect and each read."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep on the transport's own event loop (used between retries)."""
        ...

    async def aclose(self) -> None:
        """Release every connection; the transport may not be used afterwards."""
        ...
