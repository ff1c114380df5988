"""Callback receivers: a WSGI app and an ASGI app that verify, parse and hand over callbacks.

    from transports.callbacks import asgi_app, wsgi_app

    receiver = asgi_app(on_callback, secret=SECRET)     # uvicorn, hypercorn, FastAPI mount
    application = wsgi_app(on_callback, secret=SECRET)  # wsgiref, gunicorn, uWSGI, Flask mount

Each request goes through the same steps, and the answer tells XMS what to do
(protocol section 7: 5xx and 429 are retried, other 4xx dropped):

=======================================================  ======================================
the request                                              the answer
=======================================================  ======================================
not a POST                                               405 (`allow: POST`)
body larger than `max_body`                              413
with `secret`: not authentic, not fresh, or a replay     401, reason in the body; logged
body that is not a callback this SDK reads               400; logged
the handler raised                                       500, so that XMS delivers it again
the handler returned                                     204
=======================================================  ======================================

The handler gets the typed value (`BatchDeliveryReport`,
`BatchRecipientDeliveryReport`, `MoTextSms` or `MoBinarySms`). It may be a
plain function or an `async def`: the ASGI app awaits a coroutine function and
runs a plain one in a worker thread (asyncio or trio), so a slow handler never
blocks the event loop; the WSGI app calls a plain one directly and runs an
`async def` to completion in a fresh asyncio loop. Neither app looks at the
path, so either can be mounted at any prefix. Nothing here needs a package
beyond the standard library.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, final

import attrs

from xms_core import (
    Callback,
    CallbackVerificationException,
    SeenNonces,
    UnexpectedResponseException,
    parse_callback,
)
from xms_core._signing import DEFAULT_TOLERANCE, check_secret

__all__ = ["CallbackHandler", "asgi_app", "wsgi_app"]

CallbackHandler = Callable[[Callback], object]
"""Called with each accepted callback; a plain function or an `async def`."""

MAX_BODY = 16 * 1024 * 1024
"""Callback bodies larger than this are answered with 413 unread."""

_log = logging.getLogger("xms.callbacks")

_REASONS = {
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    413: "Content Too Large",
    500: "Internal Server Error",
}
_TEXT = (("content-type", "text/plain; charset=utf-8"),)

Environ = MutableMapping[str, Any]
StartResponse = Callable[..., object]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@attrs.frozen
class _Answer:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


def _plain(status: int, text: str, headers: tuple[tuple[str, str], ...] = ()) -> _Answer:
    return _Answer(status, _TEXT + headers, text.encode() + b"\n")


_ACCEPTED = _Answer(204)
_NOT_POST = _plain(405, "callbacks are POSTed", (("allow", "POST"),))
_TOO_LARGE = _plain(413, "callback body too large")
_HANDLER_FAILED = _plain(500, "the callback handler failed")


def _is_async(handler: object) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


@attrs.frozen(kw_only=True)
class _Receiver:
    """What both apps share: configuration and the steps before the handler."""

    handler: CallbackHandler
    secret: str | bytes | None
    tolerance: float
    seen_nonces: SeenNonces | None
    clock: Callable[[], float]
    max_body: int

    def read(self, headers: list[tuple[str, str]], body: bytes) -> Callback | _Answer:
        """Return the callback to hand over, or the answer that refuses the request."""
        now = self.clock() if self.secret is not None else None
        try:
            return parse_callback(
                body,
                headers,
                secret=self.secret,
                now=now,
                tolerance=self.tolerance,
                seen_nonces=self.seen_nonces,
            )
        except CallbackVerificationException as exc:
            _log.warning("%s", exc)
            return _plain(401, f"callback refused: {exc.reason.value}")
        except UnexpectedResponseException as exc:
            _log.warning("unreadable callback: %s", exc.message)
            return _plain(400, "not a callback: " + exc.message)


def _receiver(
    handler: CallbackHandler,
    *,
    secret: str | bytes | None,
    tolerance: float,
    seen_nonces: SeenNonces | None,
    clock: Callable[[], float],
    max_body: int,
) -> _Receiver:
    if not callable(handler):
        raise TypeError(f"handler: expected a callable, got {type(handler).__name__}")
    if secret is not None:
        check_secret(secret)  # TypeError or ValueError now, not a 500 on every callback
    if tolerance < 0:
        raise ValueError(f"tolerance: must not be negative, got {tolerance!r}")
    if max_body < 0:
        raise ValueError(f"max_body: must not be negative, got {max_body!r}")
    return _Receiver(
        handler=handler,
        secret=secret,
        tolerance=tolerance,
        seen_nonces=seen_nonces,
        clock=clock,
        max_body=max_body,
    )


# ---------------------------------------------------------------------------------------
# WSGI


def _wsgi_headers(environ: Environ) -> list[tuple[str, str]]:
    headers = [
        (key[5:].replace("_", "-").lower(), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    if environ.get("CONTENT_TYPE"):
        headers.append(("content-type", str(environ["CONTENT_TYPE"])))
    return headers


async def _awaited(result: Awaitable[object]) -> object:
    return await result


@final
class _WsgiApp:
    def __init__(self, receiver: _Receiver) -> None:
        self._receiver = receiver

    def __repr__(self) -> str:
        signed = "signed" if self._receiver.secret is not None else "unsigned"
        return f"<xms callback WSGI app, {signed}>"

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        answer = self._answer(environ)
        status = f"{answer.status} {_REASONS[answer.status]}"
        length = (("content-length", str(len(answer.body))),)
        start_response(status, list(answer.headers + length))
        return [answer.body]

    def _answer(self, environ: Environ) -> _Answer:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if method != "POST":
            return _NOT_POST
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return _plain(400, "bad content-length")
        if length > self._receiver.max_body:
            return _TOO_LARGE
        body = environ["wsgi.input"].read(length) if length else b""
        event = self._receiver.read(_wsgi_headers(environ), body)
        if isinstance(event, _Answer):
            return event
        try:
            result = self._receiver.handler(event)
            if inspect.isawaitable(result):
                asyncio.run(_awaited(result))
        except Exception:  # noqa: BLE001 - any handler failure is a 500, so XMS retries
            _log.exception("the callback handler failed")
            return _HANDLER_FAILED
        return _ACCEPTED


def wsgi_app(
    handler: CallbackHandler,
    *,
    secret: str | bytes | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    seen_nonces: SeenNonces | None = None,
    clock: Callable[[], float] = time.time,
    max_body: int = MAX_BODY,
) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    """Return a WSGI application that receives XMS callbacks.

    Args:
        handler: Called with each accepted callback (a plain function, or an `async def`
            run to completion in a fresh asyncio loop).
        secret: The service plan's callback secret: unsigned, badly signed, stale or
            replayed callbacks are answered 401. None accepts unsigned callbacks.
        tolerance: How many seconds a signed timestamp may be from the clock.
        seen_nonces: Where accepted nonces are remembered, to refuse replays.
        clock: The current time in epoch seconds.
        max_body: Larger bodies are answered 413.

    Returns:
        The WSGI callable.
    """
    return _WsgiApp(
        _receiver(
            handler,
            secret=secret,
            tolerance=tolerance,
            seen_nonces=seen_nonces,
            clock=clock,
            max_body=max_body,
        )
    )


# ---------------------------------------------------------------------------------------
# ASGI


async def _in_thread(handler: CallbackHandler, event: Callback) -> object:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # not asyncio: trio is the other event loop ASGI servers run on
        import trio  # noqa: PLC0415 - only under trio, which is then installed

        return await trio.to_thread.run_sync(handler, event)
    return await asyncio.to_thread(handler, event)


@final
class _AsgiApp:
    def __init__(self, receiver: _Receiver) -> None:
        self._receiver = receiver
        self._is_async = _is_async(receiver.handler)

    def __repr__(self) -> str:
        signed = "signed" if self._receiver.secret is not None else "unsigned"
        return f"<xms callback ASGI app, {signed}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"the callback receiver serves HTTP only, not {scope['type']!r}")
        answer = await self._answer(scope, receive)
        if answer is None:
            return  # the client went away before the body was complete
        headers = [(name.encode(), value.encode()) for name, value in answer.headers]
        headers.append((b"content-length", str(len(answer.body)).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _answer(self, scope: Scope, receive: Receive) -> _Answer | None:
        method = str(scope.get("method", "GET")).upper()
        if method != "POST":
            return _NOT_POST
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self._receiver.max_body:
                return _TOO_LARGE
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        headers = [
            (bytes(k).decode("latin-1"), bytes(v).decode("latin-1")) for k, v in scope["headers"]
        ]
        event = self._receiver.read(headers, b"".join(chunks))
        if isinstance(event, _Answer):
            return event
        handler = self._receiver.handler
        try:
            result = handler(event) if self._is_async else await _in_thread(handler, event)
            if inspect.isawaitable(result):
                await result
        except Exception:  # noqa: BLE001 - any handler failure is a 500, so XMS retries
            _log.exception("the callback handler failed")
            return _HANDLER_FAILED
        return _ACCEPTED


def asgi_app(
    handler: CallbackHandler,
    *,
    secret: str | bytes | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    seen_nonces: SeenNonces | None = None,
    clock: Callable[[], float] = time.time,
    max_body: int = MAX_BODY,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Return an ASGI application that receives XMS callbacks.

    Args:
        handler: Called with each accepted callback: an `async def` is awaited, a plain
            function runs in a worker thread.
        secret: The service plan's callback secret: unsigned, badly signed, stale or
            replayed callbacks are answered 401. None accepts unsigned callbacks.
        tolerance: How many seconds a signed timestamp may be from the clock.
        seen_nonces: Where accepted nonces are remembered, to refuse replays. It is
            called on the event loop: keep it quick (a dict, or a fast shared store).
        clock: The current time in epoch seconds.
        max_body: Larger bodies are answered 413.

    Returns:
        The ASGI callable (it also answers the lifespan protocol).
    """
    return _AsgiApp(
        _receiver(
            handler,
            secret=secret,
            tolerance=tolerance,
            seen_nonces=seen_nonces,
            clock=clock,
            max_body=max_body,
        )
    )
