"""`transports.testing`: every built-in transport keeps the contract; broken ones are named.

The kit runs against requests, h11, trio, asyncio, the trio-asyncio path (the
trio transport inside a trio-asyncio loop, from trio and from asyncio code),
`MemoryTransport` (the clauses without a wire) and the README's custom
transport. Then against transports broken on purpose, each of which must fail
with the right clause named.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
import trio_asyncio

from transports import MemoryTransport
from transports.asyncio import AsyncioTransport
from transports.h11 import H11Transport
from transports.requests import RequestsTransport
from transports.testing import CLAUSES, check_async_transport, check_sync_transport
from transports.testing._server import ContractServer
from transports.trio import TrioTransport
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import ConnectException, ConnectionLostException, TransportException

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
NO_WIRE = {"refused requests", "close", "sleep"}
WIRE = set(CLAUSES) - NO_WIRE


def run_on_asyncio(main: Callable[[], Awaitable[None]]) -> None:
    # A plain selector loop: once trio-asyncio is imported, asyncio.run() would run on trio.
    loop = asyncio.SelectorEventLoop()
    try:
        loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def broken_clause(check: Callable[[], None]) -> str:
    with pytest.raises(AssertionError) as info:
        check()
    found = re.match(r"clause '([^']+)': ", str(info.value))
    assert found, str(info.value)
    return found.group(1)


# --- every built-in transport keeps the contract ---------------------------------------------


def test_clause_names_are_unique_and_the_documented_ones() -> None:
    import transports.testing

    assert len(set(CLAUSES)) == len(CLAUSES) == 20
    for name in CLAUSES:
        assert f"`{name}`" in (transports.testing.__doc__ or ""), name


@pytest.mark.parametrize("make", [RequestsTransport, H11Transport], ids=["requests", "h11"])
def test_sync_transports_keep_the_contract(make: Callable[[], Any]) -> None:
    started = time.monotonic()
    check_sync_transport(make)
    assert time.monotonic() - started < 60  # a few seconds; generous for a slow machine


async def test_trio_transport_keeps_the_contract() -> None:
    await check_async_transport(TrioTransport)


def test_asyncio_transport_keeps_the_contract() -> None:
    run_on_asyncio(lambda: check_async_transport(AsyncioTransport))


async def test_trio_transport_keeps_the_contract_inside_a_trio_asyncio_loop() -> None:
    async with trio_asyncio.open_loop():
        await check_async_transport(TrioTransport)


@attrs.define
class CrossingToTrio:
    """The trio-asyncio path from asyncio code: each call crosses into trio (as AsyncioClient)."""

    inner: TrioTransport = attrs.field(factory=TrioTransport)

    async def handle_async_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:  # noqa: ASYNC109
        call = trio_asyncio.trio_as_aio(self.inner.handle_async_request)
        response: HttpResponse = await call(request, timeout=timeout)
        return response

    async def sleep(self, seconds: float) -> None:
        await trio_asyncio.trio_as_aio(self.inner.sleep)(seconds)

    async def aclose(self) -> None:
        await trio_asyncio.trio_as_aio(self.inner.aclose)()


async def test_the_trio_asyncio_path_keeps_the_contract_from_asyncio_code() -> None:
    async with trio_asyncio.open_loop():
        await trio_asyncio.aio_as_trio(check_async_transport)(CrossingToTrio)


def never_called(request: HttpRequest) -> HttpResponse:
    raise AssertionError(f"the handler was called for {request.method} {request.url}")


def test_memory_transport_keeps_the_clauses_without_a_wire() -> None:
    check_sync_transport(lambda: MemoryTransport(never_called), skip=WIRE)


async def test_memory_transport_keeps_the_clauses_without_a_wire_on_trio() -> None:
    await check_async_transport(lambda: MemoryTransport(never_called, sleep=trio.sleep), skip=WIRE)


def test_memory_transport_keeps_the_clauses_without_a_wire_on_asyncio() -> None:
    make = lambda: MemoryTransport(never_called, sleep=asyncio.sleep)  # noqa: E731
    run_on_asyncio(lambda: check_async_transport(make, skip=WIRE))


async def test_memory_transports_default_sleep_returns_at_once_so_it_breaks_sleep() -> None:
    make = lambda: MemoryTransport(never_called)  # noqa: E731
    with pytest.raises(AssertionError, match=r"^clause 'sleep': sleep\(0.2\) returned after 0.0"):
        await check_async_transport(make, skip=WIRE)


def readme_timing_transport() -> type:
    """The class of the README's "Custom transports" example, run from the README's own text."""
    block = next(
        code
        for code in re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
        if "class TimingTransport" in code
    )
    namespace: dict[str, Any] = {}
    exec(block.split("\ntransport = ")[0], namespace)  # noqa: S102 - the README's own code
    return namespace["TimingTransport"]  # type: ignore[no-any-return]


def test_the_readme_custom_transport_keeps_the_contract() -> None:
    timing = readme_timing_transport()
    make = lambda: timing(RequestsTransport())  # noqa: E731
    check_sync_transport(make, added_headers={"X-Correlation-Id"})
    # The header it adds on purpose is seen, and reported, when not declared.
    with pytest.raises(AssertionError) as info:
        check_sync_transport(make)
    assert str(info.value).startswith("clause 'request headers': GET /")
    assert "added [('x-correlation-id'" in str(info.value)


# --- transports broken on purpose ---------------------------------------------------------------


class Wrapper:
    """A sync transport over H11Transport, to be broken by subclasses."""

    def __init__(self) -> None:
        self.inner = H11Transport()
        self.previous: HttpResponse | None = None
        self.closed = False

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        return self.inner.handle_request(request, timeout=timeout)

    def close(self) -> None:
        self.inner.close()


class DropsHeader(Wrapper):
    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        request = attrs.evolve(request, headers=request.headers[:-1])
        return self.inner.handle_request(request, timeout=timeout)


class MergesRepeatedHeaders(Wrapper):
    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        merged: dict[str, str] = {}
        for name, value in request.headers:
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        request = attrs.evolve(request, headers=tuple(merged.items()))
        return self.inner.handle_request(request, timeout=timeout)


class AddsUserAgent(Wrapper):
    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        request = attrs.evolve(request, headers=(*request.headers, ("user-agent", "broken/1")))
        return self.inner.handle_request(request, timeout=timeout)


class LeaksOSError(Wrapper):
    """Forgets to map the socket's error: the raw OSError escapes."""

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        try:
            return self.inner.handle_request(request, timeout=timeout)
        except ConnectException as error:
            if isinstance(error.__cause__, OSError):
                raise error.__cause__ from None
            raise


class AnswersPreviousRequest(Wrapper):
    """Hands out the answer to the request before (as reading a stale pooled answer would)."""

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        response = self.inner.handle_request(request, timeout=timeout)
        previous, self.previous = self.previous, response
        return previous or response


class IgnoresTimeout(Wrapper):
    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        return self.inner.handle_request(request, timeout=60.0)


class FollowsRedirects(Wrapper):
    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        response = self.inner.handle_request(request, timeout=timeout)
        location = response.header("location")
        if location is not None and 300 <= response.status < 400:
            origin = "/".join(request.url.split("/")[:3])
            followed = HttpRequest(method="GET", url=origin + location)
            return self.inner.handle_request(followed, timeout=timeout)
        return response


class RetriesLostConnections(Wrapper):
    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        try:
            return self.inner.handle_request(request, timeout=timeout)
        except ConnectionLostException:
            return self.inner.handle_request(request, timeout=timeout)


class TakesTooManyInterimAnswers(Wrapper):
    """Gives the last interim answer back when there are too many (a lenient reader)."""

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        try:
            return self.inner.handle_request(request, timeout=timeout)
        except ConnectionLostException as error:
            if "interim" not in str(error):
                raise
            request_id = request.url.split("/")[3]
            return HttpResponse(status=103, headers=[("x-contract-id", request_id)])


class NeverReleases(Wrapper):
    def close(self) -> None:
        pass  # the pooled connection stays open


class CloseFailsTwice(Wrapper):
    def close(self) -> None:
        if self.closed:
            raise RuntimeError("already closed")
        self.closed = True
        self.inner.close()


class Rewrites(Wrapper):
    """Sends the request as `rewrite` changes it."""

    rewrite: Callable[[HttpRequest], HttpRequest]

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        return self.inner.handle_request(type(self).rewrite(request), timeout=timeout)


class ReordersHeaders(Rewrites):
    rewrite = staticmethod(lambda r: attrs.evolve(r, headers=sorted(r.headers)))


class SendsItsOwnHost(Rewrites):
    rewrite = staticmethod(
        lambda r: attrs.evolve(r, headers=(("host", "proxy.example"), *r.headers))
    )


class FramesEveryRequest(Rewrites):
    rewrite = staticmethod(lambda r: attrs.evolve(r, body=r.body or b""))


class DropsTheQuery(Rewrites):
    rewrite = staticmethod(lambda r: attrs.evolve(r, url=r.url.split("?")[0]))


class TruncatesBodies(Rewrites):
    rewrite = staticmethod(lambda r: attrs.evolve(r, body=r.body and r.body[:65536]))


class Refuses(Wrapper):
    """Replaces the refusal of an unsendable request with `refusal(error)`."""

    refusal: Callable[[ConnectException, HttpRequest], ConnectException]

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        try:
            return self.inner.handle_request(request, timeout=timeout)
        except ConnectException as error:
            if not error.permanent:
                raise
            raise type(self).refusal(error, request) from error


class ForgetsPermanent(Refuses):
    refusal = staticmethod(lambda error, _request: ConnectException(str(error)))


class RefusesVaguely(Refuses):
    refusal = staticmethod(lambda _error, _request: permanent(ConnectException("cannot send")))


class ShowsTheValue(Refuses):
    refusal = staticmethod(
        lambda _error, r: permanent(ConnectException(f"{r.method} {r.headers!r}"))
    )


def permanent(error: ConnectException) -> ConnectException:
    error.permanent = True
    return error


class RaisesForStatus(Wrapper):
    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        response = self.inner.handle_request(request, timeout=timeout)
        if response.status >= 500:
            raise TransportException(f"server error {response.status}")
        return response


class Answers(Wrapper):
    """Gives back the answer as `change` changes it."""

    change: Callable[[HttpResponse], HttpResponse]

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        return type(self).change(self.inner.handle_request(request, timeout=timeout))


class DropsLocation(Answers):
    change = staticmethod(
        lambda r: attrs.evolve(r, headers=[p for p in r.headers if p[0] != "location"])
    )


class SortsResponseHeaders(Answers):
    change = staticmethod(lambda r: attrs.evolve(r, headers=sorted(r.headers)))


class CapsBodies(Answers):
    change = staticmethod(lambda r: attrs.evolve(r, body=r.body[:65536]))


class ConnectionPerRequest(Wrapper):
    """A new connection for every request, as a transport without a pool would do."""

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        with H11Transport() as fresh:
            return fresh.handle_request(request, timeout=timeout)


class ClaimsNotSent(Wrapper):
    """Says a lost connection never sent the request: a client would send it again."""

    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        try:
            return self.inner.handle_request(request, timeout=timeout)
        except ConnectionLostException as error:
            raise ConnectException(str(error)) from error


class RefusalIsPermanent(Wrapper):
    def handle_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:
        try:
            return self.inner.handle_request(request, timeout=timeout)
        except ConnectException as error:
            raise permanent(error) from None


BROKEN_SYNC = [
    (DropsTheQuery, "request line", "&slash=/ arrived as GET /2/echo/a%2Fb/%C3%A5%20x;v=1/"),
    (DropsHeader, "request headers", "missing [('user-agent', 'contract-kit/1')]"),
    (MergesRepeatedHeaders, "request headers", "added [('x-repeat', 'one, two, three, four')]"),
    (AddsUserAgent, "request headers", "added [('user-agent', 'broken/1')]"),
    (ReordersHeaders, "request headers", "in the order ['accept', 'authorization', 'user-agent'"),
    (SendsItsOwnHost, "request headers", "sent host lines ['proxy.example'], not ['127.0.0.1:"),
    (FramesEveryRequest, "request headers", "sent content-length lines ['0'], not []"),
    (TruncatesBodies, "request body", "sent a body of 65536 bytes, not the request's"),
    (ForgetsPermanent, "refused requests", "was refused, but not as permanent"),
    (RefusesVaguely, "refused requests", "was refused without naming 'GE T': cannot send"),
    (ShowsTheValue, "refused requests", "refused with the header's value in the message"),
    (RaisesForStatus, "statuses", "/status/500: expected an answer, got TransportException"),
    (FollowsRedirects, "statuses", "/status/301: the redirect to /redirected/"),
    (DropsLocation, "statuses", "/status/301: the answer lost its location header"),
    (SortsResponseHeaders, "response headers", "the server sent headers [('content-type'"),
    (CapsBodies, "content-length bodies", "expected a body of 70000 bytes, got 65536"),
    (ConnectionPerRequest, "keep-alive", "3 requests in a row used 3 connections, not one"),
    (AnswersPreviousRequest, "one answer per request", "got the answer to request '1'"),
    (ClaimsNotSent, "interim answers", "expected ConnectionLostException, got ConnectException"),
    (TakesTooManyInterimAnswers, "interim answers", "got an answer (status 103)"),
    (RetriesLostConnections, "never retries", "the server received GET /"),
    (RefusalIsPermanent, "refused connection", "a refused connection was marked permanent"),
    (NeverReleases, "close", "closing the transport left its connection open for 5 s"),
    (CloseFailsTwice, "close", "closing raised RuntimeError: already closed"),
]


def check_broken(make: Callable[[], Wrapper]) -> AssertionError:
    """Run the whole check on a broken transport; return the failure."""
    made: list[Wrapper] = []

    def factory() -> Wrapper:
        made.append(make())
        return made[-1]

    try:
        with pytest.raises(AssertionError) as info:
            check_sync_transport(factory)
    finally:
        for transport in made:  # what a broken close left open
            transport.inner.close()
    return info.value


@pytest.mark.parametrize(
    ("make", "clause", "detail"), BROKEN_SYNC, ids=[m.__name__ for m, _, _ in BROKEN_SYNC]
)
def test_a_broken_sync_transport_fails_naming_its_clause(
    make: Callable[[], Wrapper], clause: str, detail: str
) -> None:
    message = str(check_broken(make))
    assert message.startswith(f"clause '{clause}': ")
    assert detail in message


def test_a_leaked_os_error_is_named_and_chained() -> None:
    failure = check_broken(LeaksOSError)
    message = str(failure)
    assert message.startswith("clause 'only transport exceptions': GET /")
    assert "raised ConnectionRefusedError" in message
    assert "not a TransportException" in message
    assert isinstance(failure.__cause__, ConnectionRefusedError)


def test_an_ignored_timeout_is_named_when_the_server_gives_up() -> None:
    message = str(check_broken(IgnoresTimeout))
    assert re.match(r"clause 'read timeout': GET /\d+/hang with timeout=0.25: ", message)
    assert "expected TimeoutException within 5 s" in message
    assert "got ConnectionLostException after" in message


def test_the_dropped_header_is_named() -> None:
    message = str(check_broken(DropsHeader))
    assert "sent the request's headers missing [('user-agent', 'contract-kit/1')]" in message


def test_the_wrong_answer_is_named() -> None:
    message = str(check_broken(AnswersPreviousRequest))
    assert re.match(r"clause 'one answer per request': GET /2/echo/a%2Fb\S* \(request 2\)", message)
    assert "got the answer to request '1'" in message


class AsyncWrapper:
    """An async transport (TrioTransport unless given), to be broken by subclasses."""

    def __init__(self, inner: Any = None) -> None:
        self.inner = TrioTransport() if inner is None else inner

    async def handle_async_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:  # noqa: ASYNC109
        response: HttpResponse = await self.inner.handle_async_request(request, timeout=timeout)
        return response

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)

    async def aclose(self) -> None:
        await self.inner.aclose()


class AsyncLeaksOSError(AsyncWrapper):
    async def handle_async_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:  # noqa: ASYNC109
        try:
            return await super().handle_async_request(request, timeout=timeout)
        except ConnectException as error:
            if isinstance(error.__cause__, OSError):
                raise error.__cause__ from None
            raise


class AsyncDropsHeader(AsyncWrapper):
    async def handle_async_request(self, request: HttpRequest, *, timeout: float) -> HttpResponse:  # noqa: ASYNC109
        request = attrs.evolve(request, headers=request.headers[:-1])
        return await super().handle_async_request(request, timeout=timeout)


class BlockingSleep(AsyncWrapper):
    async def sleep(self, seconds: float) -> None:
        time.sleep(seconds)  # noqa: ASYNC251 - the bug under test


class SleepRaises(AsyncWrapper):
    async def sleep(self, seconds: float) -> None:
        raise OSError("no sleep here")


async def test_a_broken_async_transport_fails_naming_its_clause() -> None:
    with pytest.raises(AssertionError, match=r"^clause 'only transport exceptions': GET /"):
        await check_async_transport(AsyncLeaksOSError)
    with pytest.raises(AssertionError, match=r"^clause 'request headers': GET /"):
        await check_async_transport(AsyncDropsHeader)


async def test_a_sleep_that_blocks_the_loop_or_raises_is_named() -> None:
    with pytest.raises(
        AssertionError, match=r"^clause 'sleep': sleep\(0.2\) blocked the event loop"
    ):
        await check_async_transport(BlockingSleep, skip=WIRE)
    with pytest.raises(AssertionError, match=r"^clause 'sleep': sleep\(0\) raised OSError"):
        await check_async_transport(SleepRaises, skip=WIRE)


def test_a_broken_transport_on_asyncio_fails_naming_its_clause() -> None:
    def make() -> AsyncWrapper:
        return AsyncLeaksOSError(AsyncioTransport())

    with pytest.raises(AssertionError, match=r"^clause 'only transport exceptions': GET /"):
        run_on_asyncio(lambda: check_async_transport(make))


# --- the kit's own edges -------------------------------------------------------------------------


def test_skip_names_must_exist() -> None:
    with pytest.raises(ValueError, match=r"no clause is named \['keepalive'\]; the clauses are"):
        check_sync_transport(H11Transport, skip={"keepalive"})
    with pytest.raises(TypeError, match="not one string"):
        check_sync_transport(H11Transport, skip="sleep")


def test_the_async_check_needs_a_running_loop() -> None:
    checking = check_async_transport(TrioTransport)
    with pytest.raises(RuntimeError, match="inside trio or asyncio"):
        checking.send(None)


def test_the_server_answers_unreadable_requests_and_unknown_scenes() -> None:
    with ContractServer() as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /1/nothing HTTP/1.1\r\nhost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 404 ")
            sock.sendall(b"GET /2/echo HTTP/1.1\r\n\r\n")  # no host
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"x-contract-unreadable: " in answer
        assert [seen.target for seen in server.seen("1")] == ["/1/nothing"]


def test_the_kit_imports_no_event_loop_and_no_http_library() -> None:
    code = "import sys, transports.testing; print(sorted(set(sys.modules) & {NAMES}))"
    names = {"trio", "trio_asyncio", "asyncio", "requests", "urllib3", "sniffio"}
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code.replace("{NAMES}", repr(names))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_the_kit_exports_a_sorted_complete_all() -> None:
    import transports.testing

    public = {
        name
        for name, value in vars(transports.testing).items()
        if not name.startswith("_") and name != "annotations" and not inspect.ismodule(value)
    }
    assert transports.testing.__all__ == sorted(public, key=lambda name: (not name.isupper(), name))
    assert transports.testing.__all__ == [
        "CLAUSES",
        "check_async_transport",
        "check_sync_transport",
    ]
