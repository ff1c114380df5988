"""The two drivers: run every clause's script on a fresh transport, sync or async."""

from __future__ import annotations

import contextlib
import itertools
import sys
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Final, Literal

from transports.base import AsyncTransport, SyncTransport
from transports.testing._clauses import NAMES, Clause, clauses
from transports.testing._kit import (
    Call,
    Kit,
    Operation,
    Outcome,
    Pause,
    Script,
    Sleep,
    Slept,
)
from transports.testing._server import ContractServer

_POLL: Final = 0.005  # seconds between two looks at the server while pausing
_TICK: Final = 0.01  # seconds between two ticks of the task beside `sleep`


def _chosen(
    skip: Collection[str], added_headers: Collection[str], *, asynchronous: bool
) -> list[Clause]:
    if isinstance(skip, str):
        raise TypeError("skip takes a collection of clause names, not one string")
    unknown = sorted(set(skip) - set(NAMES))
    if unknown:
        raise ValueError(f"no clause is named {unknown}; the clauses are {list(NAMES)}")
    added = frozenset(name.lower() for name in added_headers)
    return [
        clause
        for clause in clauses(added)
        if clause.name not in skip and (asynchronous or not clause.async_only)
    ]


def _script(clause: Clause, kit: Kit) -> Script:
    yield from clause.script(kit)
    yield from kit.close()  # every clause ends by closing its transport


def check_sync_transport(
    make_transport: Callable[[], SyncTransport],
    *,
    skip: Collection[str] = (),
    added_headers: Collection[str] = (),
) -> None:
    """Check a `SyncTransport` against the whole transport contract.

    Starts a loopback HTTP/1.1 server on 127.0.0.1, runs every clause (see
    `transports.testing`) on a fresh transport from `make_transport()`, closes
    each transport, and stops the server. Takes a few seconds.

    Args:
        make_transport: A factory of the transport under test, called with no
            arguments once per clause. The transport must connect directly (no
            proxy for 127.0.0.1) with its default deadline (at most a few
            seconds for a timeout of a quarter of a second).
        skip: Names of clauses not to run (a transport without a wire, or one
            that opens a connection per request, has no use for some).
        added_headers: Names of headers the transport adds on purpose (a
            wrapper's correlation id, say); the request clauses accept them.

    Raises:
        AssertionError: A clause is broken; the message starts with
            `clause '<name>':` and says how, and the cause is chained.
        ValueError: `skip` names a clause that does not exist.
    """
    chosen = _chosen(skip, added_headers, asynchronous=False)
    ids = itertools.count(1)
    with ContractServer() as server:
        for clause in chosen:
            transport = make_transport()
            script = _script(clause, Kit(server, clause.name, ids))
            try:
                reply: object = None
                while True:
                    try:
                        operation = script.send(reply)
                    except StopIteration:
                        break
                    reply = _perform(operation, transport)
            except BaseException:
                with contextlib.suppress(Exception):
                    transport.close()
                raise


def _perform(operation: Operation, transport: SyncTransport) -> object:
    started = time.monotonic()
    if isinstance(operation, Pause):
        while not operation.until():
            if time.monotonic() - started >= operation.limit:
                return False
            time.sleep(_POLL)
        return True
    if isinstance(operation, Sleep):
        raise TypeError("a sync transport has no sleep")  # pragma: no cover - async clauses only
    try:
        if isinstance(operation, Call):
            response = transport.handle_request(operation.request, timeout=operation.timeout)
            return Outcome(response, None, time.monotonic() - started)
        transport.close()
    except Exception as error:  # noqa: BLE001 - whatever escapes is the kit's to judge
        return Outcome(None, error, time.monotonic() - started)
    return Outcome(None, None, time.monotonic() - started)


async def check_async_transport(
    make_transport: Callable[[], AsyncTransport],
    *,
    skip: Collection[str] = (),
    added_headers: Collection[str] = (),
) -> None:
    """Check an `AsyncTransport` against the whole transport contract, `sleep` included.

    Await it on the event loop the transport runs on: inside `trio.run` (or
    trio-asyncio), or on an asyncio loop; the factory is called there, once per
    clause. The kit's server runs on threads, so it serves any loop, and the
    kit waits with the running loop's own sleep. Run it on a real clock: a
    clock that jumps (trio's `MockClock` with autojump) breaks the timing
    clauses. Otherwise as `check_sync_transport`.

    Args:
        make_transport: A factory of the transport under test, called with no
            arguments once per clause, inside the running loop.
        skip: Names of clauses not to run.
        added_headers: Names of headers the transport adds on purpose.

    Raises:
        AssertionError: A clause is broken; the message starts with
            `clause '<name>':` and says how, and the cause is chained.
        ValueError: `skip` names a clause that does not exist.
        RuntimeError: Awaited outside trio and asyncio.
    """
    chosen = _chosen(skip, added_headers, asynchronous=True)
    loop = _running_loop()
    ids = itertools.count(1)
    with ContractServer() as server:
        for clause in chosen:
            transport = make_transport()
            script = _script(clause, Kit(server, clause.name, ids))
            try:
                reply: object = None
                while True:
                    try:
                        operation = script.send(reply)
                    except StopIteration:
                        break
                    reply = await _perform_async(operation, transport, loop)
            except BaseException:
                with contextlib.suppress(Exception):
                    await transport.aclose()
                raise


async def _perform_async(
    operation: Operation, transport: AsyncTransport, loop: Literal["asyncio", "trio"]
) -> object:
    started = time.monotonic()
    if isinstance(operation, Pause):
        while not operation.until():
            if time.monotonic() - started >= operation.limit:
                return False
            await _nap(loop, _POLL)
        return True
    if isinstance(operation, Sleep):
        seconds = operation.seconds
        return await _beside_ticker(loop, lambda: transport.sleep(seconds))
    try:
        if isinstance(operation, Call):
            request, timeout = operation.request, operation.timeout
            response = await transport.handle_async_request(request, timeout=timeout)
            return Outcome(response, None, time.monotonic() - started)
        await transport.aclose()
    except Exception as error:  # noqa: BLE001 - whatever escapes is the kit's to judge
        return Outcome(None, error, time.monotonic() - started)
    return Outcome(None, None, time.monotonic() - started)


def _running_loop() -> Literal["asyncio", "trio"]:
    """Asyncio first: under trio-asyncio, asyncio code runs inside a trio task."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        with contextlib.suppress(RuntimeError):  # no asyncio loop in this thread
            if asyncio.current_task() is not None:
                return "asyncio"
    trio = sys.modules.get("trio")
    if trio is not None:
        with contextlib.suppress(RuntimeError):  # not inside trio.run
            trio.lowlevel.current_task()
            return "trio"
    raise RuntimeError("check_async_transport must be awaited inside trio or asyncio")


async def _nap(loop: Literal["asyncio", "trio"], seconds: float) -> None:
    if loop == "trio":
        import trio  # noqa: PLC0415 - only the async check on trio needs it

        await trio.sleep(seconds)
    else:
        import asyncio  # noqa: PLC0415 - only the async check on asyncio needs it

        await asyncio.sleep(seconds)


async def _beside_ticker(
    loop: Literal["asyncio", "trio"], sleeping: Callable[[], Awaitable[None]]
) -> Slept:
    """Await `sleeping()` while another task ticks every `_TICK` seconds."""
    ticks = 0
    error: Exception | None = None

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await _nap(loop, _TICK)
            ticks += 1

    started = time.monotonic()

    async def sleep() -> None:
        nonlocal error
        try:
            await sleeping()
        except Exception as caught:  # noqa: BLE001 - judged by the clause
            error = caught

    if loop == "trio":
        import trio  # noqa: PLC0415 - only the async check on trio needs it

        async with trio.open_nursery() as nursery:
            nursery.start_soon(ticker)
            await sleep()
            nursery.cancel_scope.cancel()
    else:
        import asyncio  # noqa: PLC0415 - only the async check on asyncio needs it

        task = asyncio.ensure_future(ticker())
        try:
            await sleep()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return Slept(time.monotonic() - started, ticks, error)
