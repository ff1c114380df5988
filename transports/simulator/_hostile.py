"""The wire side of the hostile faults: interim floods, drips, broken framing, echoes.

Split from `transports.simulator._server`, which calls `misbehave` for every
fault listed in `HOSTILE`. Each writes raw bytes (h11 would refuse to write
most of them) and says whether the connection may serve another request.
"""

from __future__ import annotations

import http
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Final

import attrs

from transports.simulator._faults import Fault, FaultPlan
from xms_core import HttpRequest, HttpResponse

Send = Callable[[bytes], None]


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


@attrs.frozen
class Scene:
    """What a hostile fault works with.

    Attributes:
        plan: The fault plan (for `delay`).
        request: The request being answered.
        answer: The honest answer (the handler's, or a canned one).
        send: Writes raw bytes to the client.
        stopping: Set when the server stops.
    """

    plan: FaultPlan
    request: HttpRequest
    answer: HttpResponse
    send: Send
    stopping: threading.Event

    @property
    def pause(self) -> float:
        return self.plan.delay or _DEFAULT_DRIP


def _interim_one(scene: Scene) -> bool:
    scene.send(_head(103, [("link", "</style.css>; rel=preload")]) + _whole(scene.answer))
    return True


def _interim_several(scene: Scene) -> bool:
    interim = _head(100, []) + _head(102, []) + _head(103, [("link", "</a.js>; rel=preload")])
    scene.send(interim + _whole(scene.answer))
    return True


def _interim_endless(scene: Scene) -> bool:
    hint = _head(103, [("link", "</a.js>; rel=preload")])
    return _forever(scene.send, hint, scene.pause, scene.stopping)


def _drip_head(scene: Scene) -> bool:
    scene.send(b"HTTP/1.1 200 OK\r\nx-drip: ")
    return _forever(scene.send, b"a", scene.pause, scene.stopping)


def _drip_body(scene: Scene) -> bool:
    scene.send(_head(200, [("content-type", "application/json"), ("content-length", "100000")]))
    return _forever(scene.send, b" ", scene.pause, scene.stopping)


def _cut_mid_header_line(scene: Scene) -> bool:
    scene.send(_head(scene.answer.status, [])[:-2] + b"content-type: applic")
    return False


def _conflicting_length(scene: Scene) -> bool:
    body = scene.answer.body
    lengths = [("content-length", str(len(body))), ("content-length", str(len(body) + 7))]
    scene.send(_head(scene.answer.status, [("content-type", "application/json"), *lengths]) + body)
    return False


def _invalid_status_line(scene: Scene) -> bool:
    scene.send(b"HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\n{}")
    return False


def _extra_answer(scene: Scene) -> bool:
    extra = HttpResponse(status=200, headers=[("content-type", "application/json")], body=_EXTRA)
    scene.send(_whole(scene.answer) + _whole(extra))
    return False


def _extra_answer_late(scene: Scene) -> bool:
    extra = HttpResponse(status=200, headers=[("content-type", "application/json")], body=_EXTRA)
    scene.send(_whole(scene.answer))
    if not scene.stopping.wait(scene.pause):
        scene.send(_whole(extra))  # on an idle keep-alive connection: nobody asked
    return True


def _echo_authorization(scene: Scene) -> bool:
    text = f"Forbidden. You sent: Authorization: {scene.request.header('authorization')}"
    body = json.dumps({"code": "forbidden", "text": text}).encode()
    json_type = [("content-type", "application/json")]
    scene.send(_whole(HttpResponse(status=403, headers=json_type, body=body)))
    return True


def _echo_authorization_500(scene: Scene) -> bool:
    echoed = scene.request.header("authorization")
    body = f"Internal error while checking 'Authorization: {echoed}'".encode()
    plain = [("content-type", "text/plain")]
    scene.send(_whole(HttpResponse(status=500, headers=plain, body=body)))
    return True


_SCENES: Final[dict[Fault, Callable[[Scene], bool]]] = {
    Fault.INTERIM_ONE: _interim_one,
    Fault.INTERIM_SEVERAL: _interim_several,
    Fault.INTERIM_ENDLESS: _interim_endless,
    Fault.DRIP_HEAD: _drip_head,
    Fault.DRIP_BODY: _drip_body,
    Fault.CUT_MID_HEADER_LINE: _cut_mid_header_line,
    Fault.CONFLICTING_LENGTH: _conflicting_length,
    Fault.INVALID_STATUS_LINE: _invalid_status_line,
    Fault.EXTRA_ANSWER: _extra_answer,
    Fault.EXTRA_ANSWER_LATE: _extra_answer_late,
    Fault.ECHO_AUTHORIZATION: _echo_authorization,
    Fault.ECHO_AUTHORIZATION_500: _echo_authorization_500,
}

HOSTILE: Final = frozenset(_SCENES)
"""The faults that need the request or the handler's answer and write raw bytes."""


def misbehave(fault: Fault, scene: Scene) -> bool:
    """Carry out `fault` in `scene`; True if the connection may serve another request."""
    return _SCENES[fault](scene)
