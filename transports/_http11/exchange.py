"""One HTTP/1.1 connection's conversation: bytes in, bytes out, no I/O.

* `Conversation`: one h11 client connection. `request_bytes` turns an
  `HttpRequest` into the bytes to write, `receive` takes what was read (`b""`
  at EOF) and returns the `HttpResponse` once complete, enforcing the size
  caps, and `reusable` says whether the connection may serve the next request.
* `Tunnel`: the CONNECT exchange with a proxy.

Every failure leaves here as an `xms_core.exceptions` class, cause chained.
"""

from __future__ import annotations

from typing import Final, Literal, final

import h11

from transports._contract import MAX_INTERIM_RESPONSES
from transports._http11.heads import Heads
from transports._http11.routing import Route
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import ConnectException, ConnectionLostException

RECEIVE_SIZE: Final = 64 * 1024
"""How many bytes the transports ask for per read."""

_PROXY_AUTH_REQUIRED: Final = 407

_END: Final = h11.EndOfMessage()


@final
class Conversation:
    """The client side of one HTTP/1.1 connection, one request at a time.

    Args:
        max_response_bytes: The largest body accepted; more is a `ConnectionLostException`.
        max_header_bytes: The largest response head accepted; likewise.
        heads: The transport's cache of request heads (a private one if None).
    """

    __slots__ = (
        "_h11",
        "_heads",
        "_interim",
        "_max_body",
        "_max_head",
        "_parts",
        "_received",
        "_response",
        "_size",
    )

    def __init__(
        self, *, max_response_bytes: int, max_header_bytes: int, heads: Heads | None = None
    ) -> None:
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_header_bytes)
        self._heads = Heads() if heads is None else heads
        self._max_body = max_response_bytes
        self._max_head = max_header_bytes
        self._response: h11.Response | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._received = 0
        self._interim = 0

    def request_bytes(self, request: HttpRequest, route: Route, target: str) -> bytes:
        """Everything to write for `request`: head, body, and the chunked trailer if any.

        Raises:
            ConnectException: h11 refuses the request (a bad header name or value,
                a non-ASCII target); nothing was sent, but this connection is spent.
        """
        conn = self._h11
        if conn.our_state is h11.DONE:
            conn.start_next_cycle()
        self._response = None
        self._size = self._received = self._interim = 0
        body = request.body
        try:
            head = conn.send(self._heads.request(request, route, target))
            data = conn.send(h11.Data(data=body)) if body else None
            end = conn.send(_END)
        except (h11.LocalProtocolError, ValueError, TypeError) as exc:
            raise ConnectException(f"cannot encode the request: {exc}") from exc
        # h11 returns None only after ConnectionClosed, which is never sent here.
        assert head is not None  # noqa: S101 - see above
        assert end is not None  # noqa: S101 - see above
        return head + data + end if data else head + end

    def receive(self, data: bytes) -> HttpResponse | None:
        """Take bytes read from the connection (`b""` at EOF); return the response once whole.

        Raises:
            ConnectionLostException: The server closed the connection or broke the
                protocol before the answer was complete, or the answer exceeds a cap.
        """
        conn = self._h11
        self._received += len(data)
        conn.receive_data(data)
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise self._broken(exc, eof=not data) from exc
            if isinstance(event, h11.Data):
                self._size += len(event.data)
                if self._size > self._max_body:
                    raise ConnectionLostException(
                        f"response body exceeds max_response_bytes={self._max_body}"
                    )
                self._parts.append(event.data)
            elif isinstance(event, h11.Response):
                self._response = event
                self._check_head()
            elif isinstance(event, h11.EndOfMessage):
                return self._finish()
            elif event is h11.NEED_DATA:
                return None
            elif isinstance(event, h11.InformationalResponse):  # skipped, a bounded number
                self._interim += 1
                if self._interim > MAX_INTERIM_RESPONSES:
                    raise ConnectionLostException(
                        f"more than {MAX_INTERIM_RESPONSES} interim (1xx) answers"
                    )
            else:  # pragma: no cover
                # Anything else (ConnectionClosed, PAUSED) cannot come before
                # EndOfMessage: h11 raises instead. Defensive only.
                raise ConnectionLostException("the server closed the connection mid-answer")

    @property
    def reusable(self) -> bool:
        """Whether the connection may carry another request: both sides done, nothing extra."""
        conn = self._h11
        return (
            conn.our_state is h11.DONE
            and conn.their_state is h11.DONE
            and not conn.trailing_data[0]
        )

    def _check_head(self) -> None:
        # h11 caps an *incomplete* head; a complete one that arrived in one read is
        # only measured here, and only when the bytes so far make it possible.
        if self._received > self._max_head and self._response is not None:
            size = sum(len(name) + len(value) + 4 for name, value in self._response.headers)
            if size > self._max_head:
                raise ConnectionLostException(
                    f"response headers exceed max_header_bytes={self._max_head}"
                )

    def _broken(self, exc: h11.RemoteProtocolError, *, eof: bool) -> ConnectionLostException:
        if exc.error_status_hint == 431:  # noqa: PLR2004 - h11's "head too long"
            return ConnectionLostException(
                f"response headers exceed max_header_bytes={self._max_head}"
            )
        if eof and self._received == 0:
            return ConnectionLostException("the server closed the connection without answering")
        if eof:
            return ConnectionLostException("the server closed the connection mid-answer")
        return ConnectionLostException(f"malformed response: {exc}")

    def _finish(self) -> HttpResponse:
        response = self._response
        assert response is not None  # noqa: S101 - h11 sends Response before EndOfMessage
        parts = self._parts
        # h11 hands out bytearray slices whatever its annotations say: make them bytes.
        body = bytes(parts[0]) if len(parts) == 1 else b"".join(parts)
        parts.clear()
        self._response = None
        # `raw_items` is one list comprehension; iterating `headers` itself goes item
        # by item through `Sequence.__getitem__`.
        return HttpResponse(
            status=response.status_code,
            headers=[
                (name.lower().decode("ascii"), value.decode("latin-1"))
                for name, value in response.headers.raw_items()
            ],
            body=body,
        )


@final
class Tunnel:
    """The CONNECT request that turns a proxy connection into a tunnel to an origin.

    Args:
        route: A route with a `tunnel` target.
        max_header_bytes: The largest proxy answer head accepted.
    """

    __slots__ = ("_h11", "_route")

    def __init__(self, route: Route, max_header_bytes: int) -> None:
        self._route = route
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_header_bytes)

    def request_bytes(self) -> bytes:
        """The CONNECT request to write."""
        target = self._route.tunnel
        assert target is not None  # noqa: S101 - only tunnel routes get here
        headers = [("host", target)]
        if self._route.proxy_authorization is not None:
            headers.append(("proxy-authorization", self._route.proxy_authorization))
        head = self._h11.send(h11.Request(method="CONNECT", target=target, headers=headers))
        end = self._h11.send(h11.EndOfMessage())
        assert head is not None  # noqa: S101 - h11 returns bytes for these events
        assert end is not None  # noqa: S101 - see above
        return head + end

    def receive(self, data: bytes) -> Literal[True] | None:
        """Take bytes read from the proxy; True once the tunnel is open, None for more.

        Raises:
            ConnectException: The proxy refused, closed or answered garbage; the
                request never reached the origin.
        """
        conn = self._h11
        conn.receive_data(data)
        try:
            event = conn.next_event()
            interim = 0
            while type(event) is h11.InformationalResponse:
                interim += 1
                if interim > MAX_INTERIM_RESPONSES:
                    raise ConnectException("the proxy sent too many interim answers to CONNECT")
                event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            raise ConnectException(f"the proxy broke the CONNECT exchange: {exc}") from exc
        if event is h11.NEED_DATA:
            return None
        if isinstance(event, h11.Response) and conn.their_state is h11.SWITCHED_PROTOCOL:
            if conn.trailing_data[0]:
                raise ConnectException("the proxy sent data before the tunnel was used")
            return True
        status = event.status_code if isinstance(event, h11.Response) else "no answer"
        if status == _PROXY_AUTH_REQUIRED:
            error = ConnectException(
                f"the proxy refused to CONNECT to {self._route.tunnel}:"
                " 407 Proxy Authentication Required (give credentials in the proxy URL"
                " as http://user:password@host:port)"
            )
            error.permanent = True
            raise error
        raise ConnectException(f"the proxy refused to CONNECT to {self._route.tunnel}: {status}")
