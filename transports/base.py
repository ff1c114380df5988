"""The transport seam: what a sync or async transport must do.

A transport sends one `HttpRequest` and returns the whole `HttpResponse`,
whatever its status. It never retries, never follows redirects, never parses
a body, never logs the `authorization` header, and raises nothing but
`xms_core.exceptions.TransportException` subclasses, with the cause chained.

What is sent (every transport, `MemoryTransport` included):

* The method, the URL's target and every header pair of the request, in the
  request's order and with its values unchanged. A name that appears more than
  once is sent once per pair, as repeated header lines, never merged into one.
* A transport adds only what HTTP/1.1 needs and the request lacks: `host`;
  `content-length` when the request has a body (`b""` included) and no framing
  header of its own; and, to an HTTP proxy only, `proxy-authorization` from
  the proxy URL's user info (for https on the CONNECT, never inside the
  tunnel). Nothing else: no `user-agent`, `accept-encoding`, `connection` or
  cookies. `MemoryTransport` has no wire and adds nothing.
* A method, header name or header value that HTTP/1.1 cannot carry (a name
  that is not a token; a value with control characters, non-ASCII text, or
  leading or trailing whitespace) is refused with a `permanent`
  `ConnectException` before any byte is sent; the message names the header,
  never its value.

What is read: the final answer, after skipping at most
`MAX_INTERIM_RESPONSES` interim (1xx) answers. A truncated head or body,
conflicting or invalid framing, an invalid status line or too many interim
answers is `ConnectionLostException`. A connection is reused only when the
answer ended cleanly with nothing unread; one that had bytes nobody asked for
is closed, so an answer is only ever given to the request it answers.

Time: `timeout` bounds connecting and each read; the whole attempt (connect,
write, head and body) is bounded by the transport's `deadline`, by default
twice `timeout`, so a server that drips bytes or interim answers cannot hold a
call longer. A certificate that fails verification and a proxy's 407 are
`permanent` (`TransportException.permanent`): the client does not retry them.

`transports.testing` checks any transport against this contract, clause by
clause, over a loopback server of its own.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from transports._contract import MAX_INTERIM_RESPONSES
from xms_core import HttpRequest, HttpResponse

__all__ = ["MAX_INTERIM_RESPONSES", "AsyncTransport", "SyncTransport"]


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
