"""The transport contract kit: check any transport, yours included, against the contract.

In the spirit of trio's `check_*_stream` helpers, `check_sync_transport` and
`check_async_transport` take a zero-argument factory of the transport under
test, start an HTTP/1.1 server on 127.0.0.1 (threads and sockets; nothing
else on the network is contacted), run every clause below on a fresh
transport each, and raise `AssertionError` naming the first broken clause:
`clause 'interim answers': GET /41/interim/9: expected ConnectionLostException,
got an answer (status 200)`. They need no pytest; call them from a test of
yours. The contract's text is the docstring of `transports.base`.

The clauses, in the order they run (`CLAUSES`):

* `request line`: the method and the URL's target go out unchanged.
* `request headers`: every header pair in order and unchanged, a repeated name
  as repeated lines; only `host` (and `content-length`) added, only when the
  request lacks it.
* `request body`: the body goes out whole with one `content-length` (`b""`
  too); a request without a body gets no framing header.
* `refused requests`: a method, header name or value HTTP/1.1 cannot carry is
  a `permanent` `ConnectException` naming the header, never its value, and
  nothing is sent.
* `statuses`: every status (2xx to 5xx, 299 and 599, 204 and 304 without a
  body) comes back as an `HttpResponse` with its body; 3xx is not followed.
* `response headers`: the answer's headers in order, repeats as separate pairs.
* `content-length bodies`, `chunked bodies`, `close-delimited bodies`: each
  framing read whole (1 MB, chunk extensions and trailers, HTTP/1.0), a HEAD
  answer without reading a body.
* `keep-alive`: sequential requests share one connection; one the server
  closed is not reused; `close()` releases the connection.
* `one answer per request`: bytes nobody asked for (an extra answer, at once
  or a moment later) are never given to the next request.
* `interim answers`: 1xx answers are skipped, up to `MAX_INTERIM_RESPONSES`;
  one more is a `ConnectionLostException`.
* `read timeout`: a server that never answers is a `TimeoutException` within a
  generous bound (5 s for a 0.25 s timeout); the connection is not reused.
* `deadline`: a server dripping its head or body is a `TimeoutException` by
  the attempt's deadline (by default twice the timeout).
* `refused connection`: a `ConnectException`, not `permanent`.
* `reset connection`: a reset before or during the answer is a
  `ConnectionLostException`.
* `truncated answers`: no answer, or a head or body cut off, is a
  `ConnectionLostException`.
* `malformed answers`: an invalid status line, conflicting or invalid
  `content-length`, an invalid chunk or no HTTP at all is a
  `ConnectionLostException`.
* `close`: `close()` / `aclose()` twice raises nothing.
* `sleep` (async only): `sleep(s)` waits about `s` seconds, on the running
  loop, letting other tasks run meanwhile.

Three rules hold in every clause and are named when broken:
`only transport exceptions` (nothing but `TransportException` subclasses
escapes a call), `one answer per request` (every answer is the one to its
request) and `never retries` (the server receives each request once).

`MemoryTransport` has no wire: of the clauses only `refused requests`,
`close` and `sleep` apply to it (with `sleep=trio.sleep` or `asyncio.sleep`;
its default no-op sleep does not keep the clause, on purpose, so that tests
never wait).
"""

from __future__ import annotations

from transports.testing._check import check_async_transport, check_sync_transport
from transports.testing._clauses import NAMES as CLAUSES

__all__ = ["CLAUSES", "check_async_transport", "check_sync_transport"]
