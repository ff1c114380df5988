"""The wire side of the hostile faults: interim floods, drips, broken framing, echoes.

Split from `transports.simulator._server`, which calls `misbehave` for every
fault listed in `HOSTILE`. Each writes raw bytes (h11 would refuse to write
most of them) and says whether the connection may serve another request.
"""

from __future__ import annotations

import http
import threading
import time
from collections.abc import Callable, Iterable
from typing import Final

from transports.simulator._faults import Fault, FaultPlan
from xms_core import HttpRequest, HttpResponse

Send = Callable[[bytes], None]

HOSTILE: Final = frozenset(
    {
        Fault.INTERIM_ONE,
        Fault.INTERIM_SEVERAL,
        Fault.INTERIM_ENDLESS,
        Fault.DRIP_HEAD,
        Fault.DRIP_BODY,
        Fault.CUT_MID_HEADER_LINE,
        Fault.CONFLICTING_LENGTH,
        Fault.INVALID_STATUS_LINE,
        Fault.EXTRA_ANSWER,
        Fault.ECHO_AUTHORIZATION,
        Fault.ECHO_AUTHORIZATION_500,
    }
)
"""The faults that need the request or the handler's answer and write raw bytes."""

MAX_MISBEHAVIOUR: Final = 30.0
"""Seconds an endless fault goes on at most when the client never gives up."""

_DEFAULT_DRIP: Final = 0.05
_HOP_BY_HOP: Final = frozenset({"connection", "content-length", "keep-alive", "transfer-encoding"})
_EXTRA: Final = b'{"id":"not-your-batch","note":"an answer nobody asked for"}'


def _head(status: int, headers: Iterable[tuple[str, str]], reason: str | None = None) -> bytes:
    if reason is None:
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _whole(response: HttpResponse) -> bytes:
    headers = [(k, v) for k, v in response.headers if k.lower() not in _HOP_BY_HOP]
    headers.append(("content-length", str(len(response.body))))
    return _head(response.status, headers) + response.body


def _forever(send: Send, piece: bytes, pause: float, stopping: threading.Event) -> bool:
    """Send `piece` every `pause` seconds until the peer or the server goes away."""
    ends = time.monotonic() + MAX_MISBEHAVIOUR
    while time.monotonic() < ends:
        send(piece)  # an OSError (the client hung up) ends the connection
        if stopping.wait(pause):
            break
    return False


def misbehave(
    fault: Fault,
    plan: FaultPlan,
    request: HttpRequest,
    answer: HttpResponse,
    send: Send,
    stopping: threading.Event,
) -> bool:
    """Carry out `fault` for `request`, whose honest answer is `answer`.

    Returns:
        True if the connection may carry on with the next request.
    """
    pause = plan.delay or _DEFAULT_DRIP
    if fault is Fault.INTERIM_ONE:
        send(_head(103, [("link", "</style.css>; rel=preload")]) + _whole(answer))
        return True
    if fault is Fault.INTERIM_SEVERAL:
        interim = _head(100, []) + _head(102, []) + _head(103, [("link", "</a.js>; rel=preload")])
        send(interim + _whole(answer))
        return True
    if fault is Fault.INTERIM_ENDLESS:
        return _forever(send, _head(103, [("link", "</a.js>; rel=preload")]), pause, stopping)
    if fault is Fault.DRIP_HEAD:
        send(b"HTTP/1.1 200 OK\r\nx-drip: ")
        return _forever(send, b"a", pause, stopping)
    if fault is Fault.DRIP_BODY:
        send(_head(200, [("content-type", "application/json"), ("content-length", "100000")]))
        return _forever(send, b" ", pause, stopping)
    if fault is Fault.CUT_MID_HEADER_LINE:
        send(_head(answer.status, [])[:-2] + b"content-type: applic")
        return False
    if fault is Fault.CONFLICTING_LENGTH:
        body = answer.body
        lengths = [("content-length", str(len(body))), ("content-length", str(len(body) + 7))]
        send(_head(answer.status, [("content-type", "application/json"), *lengths]) + body)
        return False
    if fault is Fault.INVALID_STATUS_LINE:
        send(b"HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\n{}")
        return False
    if fault is Fault.EXTRA_ANSWER:
        extra = HttpResponse(
            status=200, headers=[("content-type", "application/json")], body=_EXTRA
        )
        send(_whole(answer) + _whole(extra))
        return False
    authorization = request.header("authorization") or ""
    if fault is Fault.ECHO_AUTHORIZATION:
        text = f"Forbidden. You sent: Authorization: {authorization}"
        body = ('{"code":"forbidden","text":"%s"}' % text).encode()  # noqa: UP031 - JSON by hand
        send(
            _whole(
                HttpResponse(status=403, headers=[("content-type", "application/json")], body=body)
            )
        )
        return True
    # ECHO_AUTHORIZATION_500
    body = f"Internal error while checking 'Authorization: {authorization}'".encode()
    send(_whole(HttpResponse(status=500, headers=[("content-type", "text/plain")], body=body)))
    return True
