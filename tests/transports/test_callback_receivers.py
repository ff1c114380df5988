"""The callback receivers over real HTTP on 127.0.0.1: WSGI under wsgiref, ASGI under uvicorn."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

import pytest
import trio

from tests.receivers import KINDS, post, serving
from transports.callbacks import asgi_app, wsgi_app
from xms_core import Callback, sign_callback
from xms_core.api import BatchRecipientDeliveryReport, MoTextSms

SECRET = "receiver-secret"
NOW = 1_800_000_000
REPORT = {
    "type": "recipient_delivery_report_sms",
    "batch_id": "01FC66621XXXXX119Z8PMV1QPQ",
    "recipient": "46701234567",
    "code": 0,
    "status": "Delivered",
    "at": "2027-01-15T08:00:00.000Z",
}
BODY = json.dumps(REPORT).encode()
MO = json.dumps(
    {
        "type": "mo_text",
        "id": "mo-1",
        "from": "46701234567",
        "to": "12345",
        "body": "STOP",
        "received_at": "2027-01-15T08:00:00.000Z",
    }
).encode()


def signed(
    body: bytes = BODY, *, nonce: str = "n-1", at: int = NOW, secret: str = SECRET
) -> dict[str, str]:
    return dict(sign_callback(body, secret, nonce=nonce, timestamp=at))


class Nonces:
    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()

    def remember(self, nonce: str, *, now: float, until: float) -> bool:
        with self.lock:
            if nonce in self.seen:
                return False
            self.seen[nonce] = until
            return True


class Recorder:
    """A sync handler that keeps what it gets and can be told to fail."""

    def __init__(self) -> None:
        self.events: list[Callback] = []
        self.threads: list[str] = []
        self.on_a_loop: list[bool] = []
        self.fail = False

    def __call__(self, event: Callback) -> None:
        self.threads.append(threading.current_thread().name)
        try:
            asyncio.get_running_loop()
            self.on_a_loop.append(True)
        except RuntimeError:
            self.on_a_loop.append(False)
        if self.fail:
            raise RuntimeError("the database is down")
        self.events.append(event)


def make(kind: str, handler: Any, **options: Any) -> Any:
    factory = wsgi_app if kind == "wsgi" else asgi_app
    return factory(handler, **{"clock": lambda: NOW, **options})


@pytest.mark.parametrize("kind", KINDS)
def test_a_signed_callback_reaches_the_handler_typed(kind: str) -> None:
    got = Recorder()
    with serving(kind, lambda k: make(k, got, secret=SECRET)) as url:
        status, body, _ = post(url, BODY, signed())
        assert (status, body) == (204, b"")
        status, _, _ = post(url, MO, signed(MO, nonce="n-2"))
        assert status == 204
    report, mo = got.events
    assert isinstance(report, BatchRecipientDeliveryReport)
    assert (report.recipient, report.status) == ("46701234567", "Delivered")
    assert isinstance(mo, MoTextSms)
    assert mo.body == "STOP"
    if kind == "asgi":  # a plain handler never runs on the event loop's thread
        assert got.on_a_loop == [False, False]


@pytest.mark.parametrize("kind", KINDS)
def test_an_async_handler_is_awaited(kind: str) -> None:
    got: list[Callback] = []

    async def handler(event: Callback) -> None:
        await asyncio.sleep(0)
        got.append(event)

    with serving(kind, lambda k: make(k, handler, secret=SECRET)) as url:
        assert post(url, BODY, signed())[0] == 204
    assert len(got) == 1
    assert isinstance(got[0], BatchRecipientDeliveryReport)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_header"),
        (signed(secret="not-the-secret"), "bad_signature"),
        (signed(at=NOW - 301), "stale_timestamp"),
        (signed(at=NOW + 301), "stale_timestamp"),
        (signed() | {"x-sinch-webhook-signature-timestamp": "soon"}, "malformed_timestamp"),
        (signed() | {"x-sinch-webhook-signature": "Zm9v"}, "malformed_signature"),
        (signed() | {"x-sinch-webhook-signature-algorithm": "HmacMD5"}, "unsupported_algorithm"),
    ],
    ids=["unsigned", "wrong-secret", "stale", "future", "bad-stamp", "short-sig", "algorithm"],
)
def test_a_refused_signature_is_401(
    kind: str, headers: dict[str, str], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    got = Recorder()
    with (
        caplog.at_level(logging.WARNING, "xms.callbacks"),
        serving(kind, lambda k: make(k, got, secret=SECRET)) as url,
    ):
        status, body, _ = post(url, BODY, headers)
    assert status == 401
    assert body == f"callback refused: {reason}\n".encode()
    assert got.events == []
    assert got.threads == []
    assert any(reason in record.getMessage() for record in caplog.records)
    assert SECRET not in caplog.text


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_altered_by_one_byte_is_401(kind: str) -> None:
    got = Recorder()
    altered = BODY.replace(b'"code": 0', b'"code": 1')
    assert len(altered) == len(BODY)
    assert sum(a != b for a, b in zip(altered, BODY, strict=True)) == 1
    with serving(kind, lambda k: make(k, got, secret=SECRET)) as url:
        status, body, _ = post(url, altered, signed())
    assert (status, body) == (401, b"callback refused: bad_signature\n")
    assert got.events == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_replayed_callback_is_401(kind: str) -> None:
    got = Recorder()
    nonces = Nonces()
    with serving(kind, lambda k: make(k, got, secret=SECRET, seen_nonces=nonces)) as url:
        assert post(url, BODY, signed())[0] == 204
        status, body, _ = post(url, BODY, signed())
        assert (status, body) == (401, b"callback refused: replayed_nonce\n")
        assert post(url, BODY, signed(nonce="n-2"))[0] == 204
    assert len(got.events) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_clock_that_moves_makes_a_callback_stale(kind: str) -> None:
    now = [NOW]
    got = Recorder()
    with serving(kind, lambda k: make(k, got, secret=SECRET, clock=lambda: now[0])) as url:
        assert post(url, BODY, signed())[0] == 204
        now[0] += 301
        assert post(url, BODY, signed(nonce="n-2"))[:2] == (
            401,
            b"callback refused: stale_timestamp\n",
        )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", json.dumps({**REPORT, "type": "mo_media"}).encode()],
    ids=["not-json", "array", "unknown-type"],
)
def test_a_malformed_callback_is_400(kind: str, body: bytes) -> None:
    got = Recorder()
    with serving(kind, lambda k: make(k, got, secret=SECRET)) as url:
        status, answer, _ = post(url, body, signed(body))
    assert status == 400
    assert answer.startswith(b"not a callback: ")
    assert b"answer" not in answer
    assert got.events == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_content_type_is_400(kind: str) -> None:
    got = Recorder()
    with serving(kind, lambda k: make(k, got)) as url:
        status, answer, _ = post(url, BODY, {"content-type": "text/plain"})
    assert status == 400
    assert b"not JSON" in answer


@pytest.mark.parametrize("kind", KINDS)
def test_without_a_secret_unsigned_callbacks_are_accepted(kind: str) -> None:
    got = Recorder()
    with serving(kind, lambda k: make(k, got)) as url:
        assert post(url, BODY)[0] == 204
        assert post(url, BODY, signed(secret="anything"))[0] == 204
    assert len(got.events) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_handler_is_500_so_that_xms_retries(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    got = Recorder()
    got.fail = True
    with (
        caplog.at_level(logging.ERROR, "xms.callbacks"),
        serving(kind, lambda k: make(k, got, secret=SECRET)) as url,
    ):
        status, body, _ = post(url, BODY, signed())
        assert (status, body) == (500, b"the callback handler failed\n")
        got.fail = False
        assert post(url, BODY, signed(nonce="n-2"))[0] == 204
    assert "the database is down" in caplog.text
    assert len(got.events) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_async_handler_is_500(kind: str) -> None:
    async def handler(event: Callback) -> None:
        raise ValueError("no")

    with serving(kind, lambda k: make(k, handler)) as url:
        assert post(url, BODY)[0] == 500


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD"])
def test_other_methods_are_405(kind: str, method: str) -> None:
    got = Recorder()
    with serving(kind, lambda k: make(k, got, secret=SECRET)) as url:
        status, _, headers = post(url, b"", method=method)
    assert status == 405
    assert headers["allow"] == "POST"
    assert got.events == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_too_large_is_413_unread(kind: str) -> None:
    got = Recorder()
    with serving(kind, lambda k: make(k, got, max_body=len(BODY) - 1)) as url:
        assert post(url, BODY)[0] == 413
    with serving(kind, lambda k: make(k, got, max_body=len(BODY))) as url:
        assert post(url, BODY)[0] == 204


@pytest.mark.parametrize("length", ["-3", "many"])
def test_a_bad_content_length_is_400(length: str) -> None:
    app = wsgi_app(Recorder())
    seen: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": length, "wsgi.input": None}
    assert app(environ, lambda status, _headers: seen.append(status)) == [b"bad content-length\n"]
    assert seen == ["400 Bad Request"]


@pytest.mark.parametrize("factory", [wsgi_app, asgi_app])
@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"secret": ""}, ValueError),
        ({"secret": 7}, TypeError),
        ({"tolerance": -1}, ValueError),
        ({"max_body": -1}, ValueError),
    ],
)
def test_bad_options_fail_at_once(factory: Any, options: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        factory(Recorder(), **options)
    with pytest.raises(TypeError, match="handler"):
        factory("not callable")


def test_the_apps_say_what_they_are_without_the_secret() -> None:
    for factory in (wsgi_app, asgi_app):
        assert "unsigned" in repr(factory(Recorder()))
        text = repr(factory(Recorder(), secret=SECRET))
        assert "signed" in text
        assert SECRET not in text


# --------------------------------------------------------------------------------------
# The ASGI app under trio (no trio ASGI server in the dev extra: driven directly)


async def _drive(app: Any, scope: dict[str, Any], messages: list[dict[str, Any]]) -> list[Any]:
    sent: list[dict[str, Any]] = []
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def _http(headers: dict[str, str]) -> dict[str, Any]:
    pairs = [(k.encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": "POST", "path": "/", "headers": pairs}


async def test_under_trio_a_plain_handler_runs_in_a_trio_worker_thread() -> None:
    got = Recorder()
    app = asgi_app(got, secret=SECRET, clock=lambda: NOW)
    half = len(BODY) // 2
    sent = await _drive(
        app,
        _http(signed()),
        [
            {"type": "http.request", "body": BODY[:half], "more_body": True},
            {"type": "http.request", "body": BODY[half:]},
        ],
    )
    assert sent[0]["status"] == 204
    assert len(got.events) == 1
    assert got.threads[0] != threading.current_thread().name
    assert trio.lowlevel.current_task() is not None


async def test_a_client_that_leaves_mid_body_gets_no_answer() -> None:
    got = Recorder()
    sent = await _drive(
        asgi_app(got),
        _http({}),
        [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}],
    )
    assert sent == []
    assert got.events == []


async def test_the_lifespan_protocol_is_answered_and_websockets_refused() -> None:
    app = asgi_app(Recorder())
    sent = await _drive(
        app, {"type": "lifespan"}, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    )
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(ValueError, match="websocket"):
        await _drive(app, {"type": "websocket"}, [])
