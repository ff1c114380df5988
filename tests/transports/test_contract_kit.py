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
from xms_core.exceptions import ConnectException, ConnectionLostException

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


BROKEN_SYNC = [
    (DropsHeader, "request headers"),
    (MergesRepeatedHeaders, "request headers"),
    (AddsUserAgent, "request headers"),
    (AnswersPreviousRequest, "one answer per request"),
    (FollowsRedirects, "statuses"),
    (RetriesLostConnections, "never retries"),
    (TakesTooManyInterimAnswers, "interim answers"),
    (NeverReleases, "close"),
    (CloseFailsTwice, "close"),
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


@pytest.mark.parametrize(("make", "clause"), BROKEN_SYNC, ids=[m.__name__ for m, _ in BROKEN_SYNC])
def test_a_broken_sync_transport_fails_naming_its_clause(
    make: Callable[[], Wrapper], clause: str
) -> None:
    assert str(check_broken(make)).startswith(f"clause '{clause}': ")


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
