"""One small adapter per kind of client and transport, for the conformance suite.

Every subject exposes the `AsyncClient` surface: operations are awaited, and
listings return something with `async for` over pages, `items()` and `get(n)`.
A sync client runs each call in a worker thread, so a blocking call never
stalls the trio loop; an asyncio client runs on a real asyncio loop in a thread
of its own; the trio-asyncio route drives the asyncio-facing `AsyncioClient`
from trio through trio-asyncio's explicit crossing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Any

import trio
import trio_asyncio

from transports import AsyncClient, Client, MemoryTransport
from transports.simulator import SimulatorServer, serve
from xms_core import RetryPolicy

PLAN = "plan-1"
TOKEN = "tok-9f8e7d6c5b4a-secret"
MEMORY_ENDPOINT = "https://xms.simulator.test/xms"

LISTINGS = frozenset({"fetch_batches", "fetch_groups", "fetch_inbounds", "fetch_delivery_reports"})
KINDS = ("memory", "requests", "h11", "trio", "asyncio", "trio-asyncio")
NETWORK_KINDS = KINDS[1:]

# Short pauses so retried requests do not slow the suite down.
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


class Subject:
    """The client under test, whatever its kind, with the `AsyncClient` surface."""

    def __init__(self, kind: str, server: SimulatorServer | None, call: Callable[..., Any]) -> None:
        self.kind = kind
        self.server = server
        self._call = call

    def __repr__(self) -> str:
        return f"Subject({self.kind})"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._call(name)


class _ThreadPages:
    """Sync `Pages` driven from trio through worker threads."""

    def __init__(self, pages: Any) -> None:
        self._pages = pages

    async def get(self, page: int) -> Any:
        return await trio.to_thread.run_sync(self._pages.get, page)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._drive(iter(self._pages))

    def items(self) -> AsyncIterator[Any]:
        # The client's own items(), not a re-implementation over pages.
        return self._drive(self._pages.items())

    @staticmethod
    async def _drive(iterator: Any) -> AsyncIterator[Any]:
        done = object()
        while True:
            value = await trio.to_thread.run_sync(next, iterator, done)
            if value is done:
                return
            yield value


def _threaded(client: Client) -> Callable[[str], Any]:
    def lookup(name: str) -> Any:
        target = getattr(client, name)
        if name in LISTINGS:
            return lambda *a, **k: _ThreadPages(target(*a, **k))
        if not callable(target):
            return target

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await trio.to_thread.run_sync(partial(target, *args, **kwargs))

        return call

    return lookup


class _LoopPages:
    """`AsyncPages` living on an asyncio loop in another thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, pages: Any) -> None:
        self._loop = loop
        self._pages = pages

    async def _run(self, coroutine: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return await trio.to_thread.run_sync(future.result)

    async def get(self, page: int) -> Any:
        return await self._run(self._pages.get(page))

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._drive(self._pages.__aiter__())

    def items(self) -> AsyncIterator[Any]:
        # The client's own items(), not a re-implementation over pages.
        return self._drive(self._pages.items().__aiter__())

    async def _drive(self, iterator: Any) -> AsyncIterator[Any]:
        while True:
            try:
                value = await self._run(iterator.__anext__())
            except StopAsyncIteration:
                return
            yield value


def _on_loop(loop: asyncio.AbstractEventLoop, client: AsyncClient) -> Callable[[str], Any]:
    def lookup(name: str) -> Any:
        target = getattr(client, name)
        if name in LISTINGS:
            return lambda *a, **k: _LoopPages(loop, target(*a, **k))
        if not callable(target):
            return target

        async def call(*args: Any, **kwargs: Any) -> Any:
            future = asyncio.run_coroutine_threadsafe(target(*args, **kwargs), loop)
            return await trio.to_thread.run_sync(future.result)

        return call

    return lookup


class _AioPages:
    """`AsyncioPages` (asyncio side) driven from trio through trio-asyncio."""

    def __init__(self, pages: Any) -> None:
        self._pages = pages

    async def get(self, page: int) -> Any:
        return await trio_asyncio.aio_as_trio(self._pages.get)(page)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._drive(self._pages.__aiter__())

    def items(self) -> AsyncIterator[Any]:
        # The client's own items(), not a re-implementation over pages.
        return self._drive(self._pages.items().__aiter__())

    @staticmethod
    async def _drive(iterator: Any) -> AsyncIterator[Any]:
        step = trio_asyncio.aio_as_trio(iterator.__anext__)
        while True:
            try:
                value = await step()
            except StopAsyncIteration:
                return
            yield value


def _via_trio_asyncio(client: Any) -> Callable[[str], Any]:
    def lookup(name: str) -> Any:
        target = getattr(client, name)
        if name in LISTINGS:
            return lambda *a, **k: _AioPages(target(*a, **k))
        if not callable(target):
            return target
        return trio_asyncio.aio_as_trio(target)

    return lookup


@contextmanager
def asyncio_loop_thread() -> Any:
    """Run a plain asyncio event loop in a thread of its own."""
    started = concurrent.futures.Future[asyncio.AbstractEventLoop]()

    def run() -> None:
        # A plain selector loop, made directly: once trio-asyncio is imported its
        # loop policy would hand out trio-asyncio loops from new_event_loop().
        loop = asyncio.SelectorEventLoop()
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set_result, loop)
        try:
            loop.run_forever()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="asyncio-loop", daemon=True)
    thread.start()
    loop = started.result(timeout=5)
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)


@asynccontextmanager
async def open_subject(
    kind: str,
    simulator: Any,
    *,
    timeout: float = 5.0,  # noqa: ASYNC109 - the client's timeout, not a cancel scope
    retry: RetryPolicy = FAST_RETRY,
    max_connections: int = 10,
    endpoint: str | None = None,
    options: dict[str, Any] | None = None,
    ssl_context: Any = None,
) -> AsyncIterator[Subject]:
    """Start what `kind` needs and yield a `Subject` talking to `simulator`.

    `endpoint` replaces the served simulator's URL (to point at a dead port);
    `options` are passed to the transport (a proxy, a CA bundle); `ssl_context`
    serves the simulator over https.
    """
    extra = dict(options or {})
    if kind == "memory":
        transport = MemoryTransport(simulator.handle)
        async with AsyncClient(
            PLAN, TOKEN, MEMORY_ENDPOINT, timeout, transport=transport, retry=retry
        ) as client:
            yield Subject(kind, None, partial(getattr, client))
        return
    with serve(simulator.handle, ssl_context=ssl_context) as server:
        url = endpoint if endpoint is not None else server.url
        if kind in {"requests", "h11"}:
            if kind == "requests":
                from transports.requests import RequestsTransport

                sync_transport: Any = RequestsTransport(**extra)
            else:
                from transports.h11 import H11Transport

                sync_transport = H11Transport(max_connections=max_connections, **extra)
            client = Client(PLAN, TOKEN, url, timeout, transport=sync_transport, retry=retry)
            try:
                yield Subject(kind, server, _threaded(client))
            finally:
                await trio.to_thread.run_sync(client.close)
        elif kind == "trio":
            from transports.trio import TrioTransport

            transport = TrioTransport(max_connections=max_connections, **extra)
            async with AsyncClient(
                PLAN, TOKEN, url, timeout, transport=transport, retry=retry
            ) as client:
                yield Subject(kind, server, partial(getattr, client))
        elif kind == "asyncio":
            from transports.asyncio import AsyncioTransport

            with asyncio_loop_thread() as loop:

                async def build() -> AsyncClient:
                    return AsyncClient(
                        PLAN,
                        TOKEN,
                        url,
                        timeout,
                        transport=AsyncioTransport(max_connections=max_connections, **extra),
                        retry=retry,
                    )

                client = await trio.to_thread.run_sync(
                    asyncio.run_coroutine_threadsafe(build(), loop).result
                )
                try:
                    yield Subject(kind, server, _on_loop(loop, client))
                finally:
                    closing = asyncio.run_coroutine_threadsafe(client.aclose(), loop)
                    await trio.to_thread.run_sync(closing.result)
        elif kind == "trio-asyncio":
            from transports.trio import TrioTransport
            from transports.trio_asyncio import AsyncioClient

            async with trio_asyncio.open_loop():
                transport = TrioTransport(max_connections=max_connections, **extra)
                async with AsyncClient(
                    PLAN, TOKEN, url, timeout, transport=transport, retry=retry
                ) as trio_client:
                    yield Subject(kind, server, _via_trio_asyncio(AsyncioClient(trio_client)))
        else:
            raise ValueError(f"unknown subject kind {kind!r}")
