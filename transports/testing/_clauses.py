"""The clauses of the transport contract, each a script run on a fresh transport.

The contract's text is the docstring of `transports.base`; "How long a call can
take" in the README adds the deadline. Each function below checks one clause
and names it when it breaks; `Kit` checks the rules every call keeps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Final, final

import attrs

from transports.base import MAX_INTERIM_RESPONSES
from transports.testing._kit import CLOSE, SHORT, Kit, Script, describe
from transports.testing._server import (
    HOLD,
    Seen,
    answer_body,
    chunked_body,
    pattern,
    response_headers,
    until_close_body,
)
from xms_core import HttpRequest
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
)

_ADDED: Final = frozenset({"host", "content-length"})
_FRAMING: Final = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
_SETTLE: Final = 0.1  # seconds for a close or a late answer on loopback to reach the client


@final
@attrs.frozen
class Clause:
    """One clause: its name, its script, and whether only async transports have it."""

    name: str
    script: Callable[[Kit], Script]
    async_only: bool = False


def _check_sent(kit: Kit, request: HttpRequest, seen: Seen, added: frozenset[str]) -> None:
    """The headers arrived in order, unchanged, plus only host and content-length.

    `host` may go anywhere (HTTP asks for it first), but exactly once: the
    request's own, or the server's authority.
    """
    own = {name for name, _ in request.headers}
    allowed = (_ADDED - own) | (added - own) | {"host"}
    rest = [pair for pair in seen.headers if pair[0] not in allowed]
    wanted = [pair for pair in request.headers if pair[0] != "host"]
    if rest != wanted:
        missing = list((Counter(wanted) - Counter(rest)).elements())
        extra = list((Counter(rest) - Counter(wanted)).elements())
        if missing or extra:
            what = f"missing {missing}" if missing else ""
            what += (", " if missing and extra else "") + (f"added {extra}" if extra else "")
        else:
            what = f"in the order {[name for name, _ in rest]}"
        kit.fail(f"{describe(request)} sent the request's headers {what}")
    hosts = [value for name, value in seen.headers if name == "host"]
    expected_hosts = [value for name, value in request.headers if name == "host"]
    expected_hosts = expected_hosts or [kit.server.authority]
    if hosts != expected_hosts:
        kit.fail(f"{describe(request)} sent host lines {hosts}, not {expected_hosts}")
    if "content-length" not in own and "transfer-encoding" not in own:
        lengths = [value for name, value in seen.headers if name == "content-length"]
        expected = [] if request.body is None else [str(len(request.body))]
        if lengths != expected:
            kit.fail(f"{describe(request)} sent content-length lines {lengths}, not {expected}")


def request_line(kit: Kit) -> Script:
    """The method and the URL's target go out unchanged."""
    cases = [
        ("GET", "", None),
        ("GET", "/a%2Fb/%C3%A5%20x;v=1/?q=%2B1%20&q=2&empty=&flag&slash=/", None),
        ("POST", "", b"{}"),
        ("PUT", "/x", b"put"),
        ("PATCH", "/x", b"patch"),
        ("DELETE", "/x?y=z", None),
        ("OPTIONS", "", None),
    ]
    for method, suffix, body in cases:
        request = kit.request("echo", method=method, suffix=suffix, body=body)
        yield from kit.answer(request)
        seen = kit.received(request)
        target = request.url.removeprefix(kit.server.origin)
        if (seen.method, seen.target) != (method, target):
            kit.fail(f"{method} {target} arrived as {seen.method} {seen.target}")


def request_headers(kit: Kit, added: frozenset[str]) -> Script:
    """Every header pair goes out in order, repeats as separate lines; only host is added."""
    cases = [
        (),
        (
            ("accept", "application/json"),
            ("x-repeat", "one"),
            ("authorization", "Bearer contract-kit"),
            ("x-repeat", "two, three"),
            ("x-inner", "a  b\tc:d"),
            ("x-repeat", "four"),
            ("user-agent", "contract-kit/1"),
        ),
        (("accept-encoding", "identity"), ("host", "contract.example"), ("x-after-host", "1")),
    ]
    for headers in cases:
        request = kit.request("echo", headers=headers)
        yield from kit.answer(request)
        _check_sent(kit, request, kit.received(request), added)


def request_body(kit: Kit, added: frozenset[str]) -> Script:
    """The body goes out whole, framed by one content-length; no body, no framing."""
    octets = (("content-type", "application/octet-stream"),)
    cases: list[tuple[str, tuple[tuple[str, str], ...], bytes | None]] = [
        ("POST", octets, pattern(256_000)),
        ("POST", (), b""),
        ("PUT", (("content-length", "5"),), b"hello"),
        ("DELETE", (), None),
        ("GET", (), None),
    ]
    for method, headers, body in cases:
        request = kit.request("echo", method=method, headers=headers, body=body)
        yield from kit.answer(request)
        seen = kit.received(request)
        if seen.body != (body or b""):
            kit.fail(
                f"{describe(request)} sent a body of {len(seen.body)} bytes, not the request's"
            )
        _check_sent(kit, request, seen, added)


def refused_requests(kit: Kit) -> Script:
    """What HTTP/1.1 cannot carry is refused: permanently, naming it, sending nothing."""
    secret = "kit-secret"  # noqa: S105 - stands for a token that must not show
    cases = [
        ("GE T", (), "GE T"),
        ("GET", (("bad name", "1"),), "bad name"),
        ("GET", (("authorization", f"Bearer {secret}\r\nx-injected: 1"),), "authorization"),
        ("GET", (("x-value", f" {secret}"),), "x-value"),
        ("GET", (("x-value", f"{secret}\u00e5"),), "x-value"),
        ("GET", (("x-value", f"{secret}\x00"),), "x-value"),
    ]
    for method, headers, named in cases:
        before = kit.server.bytes_received
        request = kit.request("echo", method=method, headers=headers)
        outcome = yield from kit.failure(request, ConnectException)
        error = outcome.error
        text = f"{error} {error!r}"
        if kit.server.seen(kit.request_id(request)) or kit.server.bytes_received != before:
            kit.fail(f"{describe(request)} sent bytes before it was refused")
        if not getattr(error, "permanent", False):
            kit.fail(f"{describe(request)} was refused, but not as permanent")
        if named not in text:
            kit.fail(f"{describe(request)} was refused without naming {named!r}: {error}")
        if secret in text:
            kit.fail(f"{describe(request)} was refused with the header's value in the message")


_STATUSES: Final = (
    200, 201, 202, 204, 299, 301, 302, 303, 304, 307, 308,
    400, 401, 403, 404, 409, 418, 429, 500, 502, 503, 504, 599,
)  # fmt: skip


def statuses(kit: Kit) -> Script:
    """Every status comes back as an answer; redirects are not followed."""
    for index, status in enumerate(_STATUSES):
        method, body = ("POST", b"{}") if index % 2 else ("GET", None)
        request = kit.request("status", method=method, suffix=f"/{status}", body=body)
        response = yield from kit.answer(request)
        followed = kit.server.seen("redirected")
        if followed:
            kit.fail(f"{describe(request)}: the redirect to {followed[0].target} was followed")
        expected = b"" if status in {204, 304} else f"status {status}".encode()
        if (response.status, response.body) != (status, expected):
            kit.fail(
                f"{describe(request)}: expected {status} with {expected!r},"
                f" got {response.status} with {response.body[:60]!r}"
            )
        location = f"/redirected/{kit.request_id(request)}"
        if 300 <= status < 400 and status != 304 and response.header("location") != location:  # noqa: PLR2004
            kit.fail(f"{describe(request)}: the answer lost its location header")


def response_headers_kept(kit: Kit) -> Script:
    """The answer's headers come back in order, lower-cased, repeats as separate pairs."""
    request = kit.request("headers")
    response = yield from kit.answer(request)
    sent = [(name.lower(), value) for name, value in response_headers(kit.request_id(request))]
    got = [pair for pair in response.headers if pair[0] not in _FRAMING]
    if got != sent:
        kit.fail(f"{describe(request)}: the server sent headers {sent}, the answer has {got}")
    if response.body != b"{}":
        kit.fail(f"{describe(request)}: the body came back as {response.body[:60]!r}")


def _expect_body(kit: Kit, request: HttpRequest, body: bytes, expected: bytes) -> None:
    if body != expected:
        where = next(
            (i for i, (a, b) in enumerate(zip(body, expected, strict=False)) if a != b), None
        )
        kit.fail(
            f"{describe(request)}: expected a body of {len(expected)} bytes, got {len(body)}"
            + (f", differing from byte {where}" if where is not None else "")
        )


def content_length_bodies(kit: Kit) -> Script:
    """A body framed by content-length is read whole, and not past its end."""
    for size in (0, 1, 70_000, 1_000_000):
        request = kit.request("length", suffix=f"/{size}")
        response = yield from kit.answer(request)
        _expect_body(kit, request, response.body, pattern(size))
    request = kit.request("length", method="HEAD", suffix="/50")
    response = yield from kit.answer(request)
    _expect_body(kit, request, response.body, b"")
    request = kit.request("echo")
    response = yield from kit.answer(request)  # the HEAD left the connection in order
    _expect_body(kit, request, response.body, answer_body(kit.request_id(request)))


def chunked_bodies(kit: Kit) -> Script:
    """A chunked body (with an extension and a trailer) is read whole and de-chunked."""
    for _ in range(2):
        request = kit.request("chunked")
        response = yield from kit.answer(request)
        _expect_body(kit, request, response.body, chunked_body())


def close_delimited_bodies(kit: Kit) -> Script:
    """A body without length or chunks runs to the end of the connection (HTTP/1.1 and 1.0)."""
    for scene in ("until-close", "http10", "until-close"):
        request = kit.request(scene)
        response = yield from kit.answer(request)
        _expect_body(kit, request, response.body, until_close_body())


def _reuse(kit: Kit, count: int) -> Script:
    connections = []
    for _ in range(count):
        request = kit.request("echo")
        yield from kit.answer(request)
        connections.append(kit.received(request).connection)
    if len(set(connections)) != 1:
        kit.fail(f"{count} requests in a row used {len(set(connections))} connections, not one")


def _closed(kit: Kit, connection: int) -> Callable[[], bool]:
    return lambda: not kit.server.is_open(connection)


def keep_alive(kit: Kit) -> Script:
    """Sequential requests share one connection; a closed one is not reused; close releases it."""
    yield from _reuse(kit, 3)
    for scene in ("close", "idle-close"):
        request = kit.request(scene)
        yield from kit.answer(request)
        gone = kit.received(request).connection
        yield from kit.pause(_closed(kit, gone), HOLD)
        yield from kit.pause(lambda: False, _SETTLE)  # the close reaches the client
        request = kit.request("echo")
        yield from kit.answer(request)
        if kit.received(request).connection == gone:
            kit.fail(f"{describe(request)} came on the connection the server had closed")
    request = kit.request("echo")
    yield from kit.answer(request)
    last = kit.received(request).connection
    yield from kit.close()
    yield from kit.close()
    if not (yield from kit.pause(_closed(kit, last), HOLD)):
        kit.fail(f"closing the transport left its connection open for {HOLD:g} s", rule=CLOSE)


def one_answer_per_request(kit: Kit) -> Script:
    """Bytes nobody asked for are never taken as the answer to the next request."""
    request = kit.request("extra")
    yield from kit.answer(request)
    yield from kit.answer(kit.request("echo"))
    request = kit.request("extra-late")
    yield from kit.answer(request)
    request_id = kit.request_id(request)
    yield from kit.pause(lambda: kit.server.marked(request_id) is not None, HOLD)
    yield from kit.pause(lambda: False, _SETTLE)  # the unsolicited answer has arrived
    yield from kit.answer(kit.request("echo"))


def interim_answers(kit: Kit) -> Script:
    """Interim (1xx) answers are skipped, up to MAX_INTERIM_RESPONSES; more is a lost connection."""
    for count in (1, 3, MAX_INTERIM_RESPONSES):
        request = kit.request("interim", suffix=f"/{count}", method="POST", body=b"{}")
        response = yield from kit.answer(request)
        if response.status != 200 or response.header("link") is not None:  # noqa: PLR2004
            kit.fail(
                f"{describe(request)}: after {count} interim answers, got {response.status}"
                f" with headers {list(response.headers)} instead of the final 200"
            )
        _expect_body(kit, request, response.body, answer_body(kit.request_id(request)))
    request = kit.request("interim", suffix=f"/{MAX_INTERIM_RESPONSES + 1}")
    yield from kit.failure(request, ConnectionLostException)


def _times_out(kit: Kit, request: HttpRequest) -> Script:
    outcome = yield from kit.exchange(request, SHORT)
    if isinstance(outcome.error, TimeoutException):
        return
    response = outcome.response
    got = type(outcome.error).__name__ if response is None else f"an answer ({response.status})"
    kit.fail(
        f"{describe(request)} with timeout={SHORT:g}: expected TimeoutException within"
        f" {HOLD:g} s (when the server gave up), got {got} after {outcome.elapsed:.1f} s",
        cause=outcome.error,
    )


def read_timeout(kit: Kit) -> Script:
    """A server that never answers is a TimeoutException; the connection is not reused."""
    yield from _times_out(kit, kit.request("hang"))
    yield from kit.answer(kit.request("echo"))


def deadline(kit: Kit) -> Script:
    """A server dripping its head or body is cut off by the attempt's deadline."""
    yield from _times_out(kit, kit.request("drip-body"))
    yield from _times_out(kit, kit.request("drip-head"))
    yield from kit.answer(kit.request("echo"))


def refused_connection(kit: Kit) -> Script:
    """A refused connection is a ConnectException (not permanent: trying again may help)."""
    request = kit.request("echo", origin=kit.server.refusing_origin)
    outcome = yield from kit.failure(request, ConnectException)
    if getattr(outcome.error, "permanent", False):
        kit.fail(f"{describe(request)}: a refused connection was marked permanent")


def reset_connection(kit: Kit) -> Script:
    """A connection reset before or during the answer is a ConnectionLostException."""
    yield from kit.failure(kit.request("reset"), ConnectionLostException)
    yield from kit.failure(kit.request("reset-mid-body"), ConnectionLostException)
    yield from kit.answer(kit.request("echo"))


def truncated_answers(kit: Kit) -> Script:
    """No answer, a head or a body cut off: a ConnectionLostException."""
    for scene in ("silent", "cut-head", "cut-body", "cut-chunk"):
        yield from kit.failure(kit.request(scene), ConnectionLostException)
    yield from kit.answer(kit.request("echo"))


def malformed_answers(kit: Kit) -> Script:
    """An invalid status line, framing or chunk, or no HTTP at all: a ConnectionLostException."""
    for scene in ("bad-status", "two-lengths", "bad-length", "bad-chunk", "not-http"):
        yield from kit.failure(kit.request(scene), ConnectionLostException)
    yield from kit.answer(kit.request("echo"))


def close(kit: Kit) -> Script:
    """Closing an unused transport, twice, raises nothing."""
    yield from kit.close()
    yield from kit.close()


def sleep(kit: Kit) -> Script:
    """`sleep` waits about as long as asked, on the loop, letting other tasks run."""
    for seconds in (0, 0.2):
        slept = yield from kit.sleep(seconds)
        if slept.error is not None:
            detail = f"sleep({seconds}) raised {type(slept.error).__name__}: {slept.error}"
            kit.fail(detail, cause=slept.error)
    if not 0.15 <= slept.elapsed < HOLD:  # noqa: PLR2004 - clocks tick coarsely at times
        kit.fail(f"sleep(0.2) returned after {slept.elapsed:.3f} s")
    if slept.ticks == 0:
        kit.fail("sleep(0.2) blocked the event loop: no other task ran meanwhile")


def clauses(added: frozenset[str]) -> tuple[Clause, ...]:
    """Every clause, in the order a check runs them."""

    def with_added(script: Callable[[Kit, frozenset[str]], Script]) -> Callable[[Kit], Script]:
        return lambda kit: script(kit, added)

    return (
        Clause("request line", request_line),
        Clause("request headers", with_added(request_headers)),
        Clause("request body", with_added(request_body)),
        Clause("refused requests", refused_requests),
        Clause("statuses", statuses),
        Clause("response headers", response_headers_kept),
        Clause("content-length bodies", content_length_bodies),
        Clause("chunked bodies", chunked_bodies),
        Clause("close-delimited bodies", close_delimited_bodies),
        Clause("keep-alive", keep_alive),
        Clause("one answer per request", one_answer_per_request),
        Clause("interim answers", interim_answers),
        Clause("read timeout", read_timeout),
        Clause("deadline", deadline),
        Clause("refused connection", refused_connection),
        Clause("reset connection", reset_connection),
        Clause("truncated answers", truncated_answers),
        Clause("malformed answers", malformed_answers),
        Clause("close", close),
        Clause("sleep", sleep, async_only=True),
    )


NAMES: Final = tuple(clause.name for clause in clauses(frozenset()))
"""The clause names, in the order a check runs them."""
