"""What a clause is made of: the operations it asks for and the rules checked on every call.

A clause is written once, as a generator (a "script"): it yields an operation
(`Call`, `Close`, `Pause`, `Sleep`) and gets back what came of it. A driver
carries the operations out: `check_sync_transport` by calling the transport,
`check_async_transport` by awaiting it. So the sync and async checks run
exactly the same clauses, and each clause reads top to bottom.

`Kit` gives a script its building blocks and checks three rules on every call,
whatever the clause: only `TransportException` subclasses escape, an answer
belongs to the request it answers, and a request reaches the server once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator
from typing import Final, NoReturn, TypeVar, cast, final
from urllib.parse import urlsplit

import attrs

from transports.testing._server import ContractServer, Seen
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import TransportException

EXCEPTIONS: Final = "only transport exceptions"
ONE_ANSWER: Final = "one answer per request"
NO_RETRIES: Final = "never retries"
CLOSE: Final = "close"

TIMEOUT: Final = 10.0
"""The timeout of an ordinary call: generous, so a slow machine never trips it."""

SHORT: Final = 0.25
"""The timeout of a call that is meant to time out."""

T = TypeVar("T")


@final
@attrs.frozen
class Call:
    """Send `request` with `timeout`; the driver answers with an `Outcome`."""

    request: HttpRequest
    timeout: float


@final
@attrs.frozen
class Close:
    """Close the transport (`close()` or `aclose()`); answered with an `Outcome`."""


@final
@attrs.frozen
class Pause:
    """Wait, on the check's own loop, until `until()` holds or `limit` seconds pass.

    Answered with whether `until()` held.
    """

    until: Callable[[], bool]
    limit: float


@final
@attrs.frozen
class Sleep:
    """Await the transport's `sleep(seconds)` beside a ticking task; answered with `Slept`."""

    seconds: float


Operation = Call | Close | Pause | Sleep
Script = Generator[Operation, object, None]


@final
@attrs.frozen
class Outcome:
    """What a call or a close came to: an answer or an exception, and how long it took."""

    response: HttpResponse | None
    error: Exception | None
    elapsed: float


@final
@attrs.frozen
class Slept:
    """What `transport.sleep` came to, and how often the loop ran another task meanwhile."""

    elapsed: float
    ticks: int
    error: Exception | None


def _ask(operation: Operation, kind: type[T]) -> Generator[Operation, object, T]:
    reply = yield operation
    return cast("T", reply)


def describe(request: HttpRequest) -> str:
    """`METHOD /target` of `request`, for messages."""
    parts = urlsplit(request.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{request.method} {target}"


def _named(error: BaseException | None) -> str:
    return "nothing" if error is None else f"{type(error).__name__}: {error}"


@final
class Kit:
    """The building blocks of one clause, run against one transport and the server.

    Args:
        server: The server of this check.
        clause: The name of the clause being run, for messages.
        ids: The check's request numbers, shared by all its clauses.
    """

    def __init__(self, server: ContractServer, clause: str, ids: itertools.count[int]) -> None:
        self.server = server
        self.clause = clause
        self._ids = ids

    def fail(
        self, detail: str, *, rule: str | None = None, cause: BaseException | None = None
    ) -> NoReturn:
        """Raise the `AssertionError` that names the broken clause (or `rule`)."""
        raise AssertionError(f"clause {rule or self.clause!r}: {detail}") from cause

    def request(
        self,
        scene: str,
        *,
        method: str = "GET",
        suffix: str = "",
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes | None = None,
        origin: str | None = None,
    ) -> HttpRequest:
        """A request for `scene` with a fresh id: `/<id>/<scene><suffix>`."""
        path = f"/{next(self._ids)}/{scene}{suffix}"
        url = (origin or self.server.origin) + path
        return HttpRequest(method=method, url=url, headers=headers, body=body)

    @staticmethod
    def request_id(request: HttpRequest) -> str:
        """The id a request of `request()` carries."""
        return urlsplit(request.url).path.split("/")[1]

    def exchange(
        self, request: HttpRequest, timeout: float = TIMEOUT
    ) -> Generator[Operation, object, Outcome]:
        """Send `request` and check the rules every call keeps."""
        outcome = yield from _ask(Call(request, timeout), Outcome)
        error = outcome.error
        if error is not None and not isinstance(error, TransportException):
            detail = f"{describe(request)} raised {_named(error)}, not a TransportException"
            self.fail(detail, rule=EXCEPTIONS, cause=error)
        request_id = self.request_id(request)
        times = len(self.server.seen(request_id))
        if times > 1:
            self.fail(f"the server received {describe(request)} {times} times", rule=NO_RETRIES)
        response = outcome.response
        if response is not None:
            unreadable = response.header("x-contract-unreadable")
            if unreadable is not None:
                self.fail(f"the server could not read {describe(request)}: {unreadable}")
            answered = response.header("x-contract-id")
            if answered != request_id:
                detail = (
                    f"{describe(request)} (request {request_id}) got the answer to request"
                    f" {answered!r} (status {response.status}, body {response.body[:60]!r})"
                )
                self.fail(detail, rule=ONE_ANSWER)
        return outcome

    def answer(
        self, request: HttpRequest, timeout: float = TIMEOUT
    ) -> Generator[Operation, object, HttpResponse]:
        """Send `request`; it must come back as an `HttpResponse`."""
        outcome = yield from self.exchange(request, timeout)
        if outcome.response is None:
            error = outcome.error
            self.fail(f"{describe(request)}: expected an answer, got {_named(error)}", cause=error)
        return outcome.response

    def failure(
        self,
        request: HttpRequest,
        expected: type[TransportException],
        timeout: float = TIMEOUT,
    ) -> Generator[Operation, object, Outcome]:
        """Send `request`; it must fail with `expected` (the outcome is returned)."""
        outcome = yield from self.exchange(request, timeout)
        error = outcome.error
        if outcome.response is not None:
            got = f"an answer (status {outcome.response.status})"
        elif not isinstance(error, expected):
            got = _named(error)
        else:
            return outcome
        self.fail(f"{describe(request)}: expected {expected.__name__}, got {got}", cause=error)

    def close(self) -> Generator[Operation, object, None]:
        """Close the transport; it must not raise."""
        outcome = yield from _ask(Close(), Outcome)
        if outcome.error is not None:
            detail = f"closing raised {_named(outcome.error)}"
            self.fail(detail, rule=CLOSE, cause=outcome.error)

    def pause(self, until: Callable[[], bool], limit: float) -> Generator[Operation, object, bool]:
        """Wait on the check's loop until `until()` holds or `limit` passes."""
        return (yield from _ask(Pause(until, limit), bool))

    def sleep(self, seconds: float) -> Generator[Operation, object, Slept]:
        """Await the transport's `sleep(seconds)`, counting the loop's ticks meanwhile."""
        return (yield from _ask(Sleep(seconds), Slept))

    def received(self, request: HttpRequest) -> Seen:
        """What the server read for `request`; it must have read it."""
        seen = self.server.seen(self.request_id(request))
        if not seen:
            self.fail(f"the server never received {describe(request)}")
        return seen[-1]
