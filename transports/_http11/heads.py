"""Building h11 request events, with h11's checks done once per distinct head.

`transports._http11.exchange.Conversation` uses `Heads` for every request it sends.
"""

from __future__ import annotations

from typing import Final, final

import h11

from transports._contract import CheckedHeads
from transports._http11.routing import Route
from xms_core import HttpRequest

Pairs = tuple[tuple[str, str], ...]
"""Header pairs as an `HttpRequest` holds them."""


def _request_head(request: HttpRequest, route: Route) -> list[tuple[str, str]]:
    """The request's headers plus `host`, framing and proxy credentials where missing."""
    has_host, has_framing = _flags(request.headers)
    headers = list(request.headers)
    if not has_host:
        headers.insert(0, ("host", route.host_header))
    if request.body is not None and not has_framing:
        headers.append(("content-length", str(len(request.body))))
    if route.prefix and route.proxy_authorization is not None:
        headers.append(("proxy-authorization", route.proxy_authorization))
    return headers


def _flags(headers: Pairs) -> tuple[bool, bool]:
    """Whether `headers` hold a `host`, and whether they set their own framing."""
    has_host = has_framing = False
    for name, _ in headers:
        if name == "host":
            has_host = True
        elif name in {"content-length", "transfer-encoding"}:
            has_framing = True
    return has_host, has_framing


ByteHeaders = list[tuple[bytes, bytes]]
"""Header pairs as h11 writes them."""


def _checked(headers: Pairs) -> ByteHeaders | None:
    """`headers` encoded and validated one by one by h11; None if h11 refuses any."""
    try:
        # A throwaway HTTP/1.0 request: it needs no host, and every per-header rule applies.
        event = h11.Request(method="GET", target="/", headers=list(headers), http_version="1.0")
    except (h11.LocalProtocolError, ValueError, TypeError):
        return None
    return event.headers.raw_items()


VERIFIED_H11: Final = ((0, 16), (0, 17))
"""The h11 releases, [from, to), whose `_parsed=True` path was checked against the public one.

`_parsed` is private to h11. On these releases the hypothesis test in
`tests/transports/test_h11_heads.py` shows that both paths write the same
bytes and raise the same errors; any other release takes the public path.
"""


def verified_h11(version: str) -> bool:
    """Whether `version` (an `h11.__version__`) is one the private fast path was verified on."""
    try:
        release = tuple(int(part) for part in version.split("."))
    except ValueError:  # a pre-release or a local build: never verified
        return False
    first, end = VERIFIED_H11
    return first <= release[:2] < end


def _takes_parsed_headers(version: str) -> bool:
    """Whether this h11 is a verified release that accepts pre-validated bytes (`_parsed=True`)."""
    if not verified_h11(version):
        return False
    try:
        event = h11.Request(method=b"GET", target=b"/", headers=[(b"Host", b"h")], _parsed=True)
    except TypeError:  # pragma: no cover - a verified h11 has it
        return False
    return event.headers.raw_items() == [(b"Host", b"h")]


PARSED_HEADERS: Final = _takes_parsed_headers(str(getattr(h11, "__version__", "")))
"""Whether `Heads` may hand h11 checked bytes as already parsed (see `VERIFIED_H11`)."""


@final
class Heads:
    """Builds h11 request events, doing h11's checks once per distinct request head.

    h11 runs its regular expressions over every header name and value, the
    method and the target of every request, in Python; a client sends the
    same few heads again and again. Two caches, each per transport and at most
    `size` entries, cut that down without changing a byte written or an error
    raised:

    * Whole events, by what determines them: method, target, headers, `host`
      and body length. h11 events are immutable values, so one that h11 built
      once serves every later request with the same head (polling one batch,
      messages of one length). Requests carrying proxy credentials are never
      kept.
    * Checked header tuples, for the heads that differ (another target, another
      body length): h11 checks each distinct tuple once (`_checked`), and later
      events get its bytes as already parsed (`_parsed=True`, the flag h11's own
      reader uses; pinned to the h11 releases it was verified on, `VERIFIED_H11`,
      and checked at import: elsewhere every event takes h11's public path).
      What varies is valid by construction (`content-length` digits) or
      checked once per value (`host`); h11 still checks the method, the
      target, the number of `host` headers and the framing headers.

    Args:
        size: How many entries each cache keeps before starting over.
        parsed: Hand h11 checked bytes as already parsed; by default where this
            h11 is a verified release (`PARSED_HEADERS`). False: h11's public
            path for every event (the caches of whole events still apply).
    """

    __slots__ = ("_contract", "_events", "_known", "_parsed", "_size")

    def __init__(self, size: int = 64, *, parsed: bool = PARSED_HEADERS) -> None:
        self._size = size
        self._parsed = parsed
        self._events: dict[tuple[object, ...], h11.Request] = {}
        self._known: dict[Pairs, tuple[ByteHeaders, bool, bool] | None] = {}
        # h11 would refuse the same heads, but with the value in its message: the
        # contract's check names the header instead, as every transport does.
        self._contract = CheckedHeads(size)

    def request(self, request: HttpRequest, route: Route, target: str) -> h11.Request:
        """The h11 event for `request`.

        Raises:
            ConnectException: The request breaks the transport contract's header rules.
            h11.LocalProtocolError, ValueError, TypeError: h11 refuses the request.
        """
        self._contract.check(request)
        if route.prefix and route.proxy_authorization is not None:  # credentials: not kept
            return self._build(request, route, target)
        body = request.body
        key = (
            request.method,
            target,
            request.headers,
            route.host_header,
            None if body is None else len(body),
        )
        events = self._events
        try:
            event = events.get(key)
        except TypeError:  # an unhashable value slipped past the annotations: no caching
            return self._build(request, route, target)
        if event is None:
            event = self._build(request, route, target)
            if len(events) >= self._size:
                events.clear()
            events[key] = event
        return event

    def _build(self, request: HttpRequest, route: Route, target: str) -> h11.Request:
        method = request.method
        known = self._lookup(request.headers) if self._parsed and type(method) is str else None
        if known is None or (route.prefix and route.proxy_authorization is not None):
            return h11.Request(method=method, target=target, headers=_request_head(request, route))
        pairs, has_host, has_framing = known
        if has_host:
            headers = list(pairs)
        else:
            host = self._lookup((("host", route.host_header),))
            if host is None:  # h11 refuses this host: let it say why
                return h11.Request(
                    method=method, target=target, headers=_request_head(request, route)
                )
            headers = host[0] + pairs
        body = request.body
        if body is not None and not has_framing:
            headers.append((b"content-length", b"%d" % len(body)))
        return h11.Request(
            method=method.encode("ascii"),  # as h11 encodes it: same bytes, same error
            target=target.encode("ascii"),
            headers=headers,
            _parsed=True,
        )

    def _lookup(self, headers: Pairs) -> tuple[ByteHeaders, bool, bool] | None:
        known = self._known
        try:
            return known[headers]
        except KeyError:
            pass
        except TypeError:  # an unhashable value slipped past the annotations: no caching
            return None
        checked = _checked(headers)
        entry = None if checked is None else (checked, *_flags(headers))
        if len(known) >= self._size:
            known.clear()
        known[headers] = entry
        return entry
