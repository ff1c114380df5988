"""The cached request heads (h11's private `_parsed` path) against h11's public path.

`Heads` hands h11 header bytes it checked once as already parsed, but only on
the h11 releases that path was verified on (`VERIFIED_H11`). Here, for any
request, both paths must write the same bytes or raise the same error.
"""

from __future__ import annotations

import h11
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from transports._http11 import heads
from transports._http11.heads import PARSED_HEADERS, VERIFIED_H11, Heads, verified_h11
from transports._http11.routing import Router
from xms_core import HttpRequest

ROUTE, _ = Router(None, {}).route("http://xms.test:8080/")
PROXIED, _ = Router(None, {"http": "http://user:secret@proxy.test:3128"}).route("http://xms.test/")

# Mostly the names and values an SDK sends, with enough rubbish to reach every error.
_names = st.sampled_from(
    ["accept", "content-type", "host", "content-length", "transfer-encoding", "x-id", "a b", ""]
) | st.text(max_size=6)
_values = st.sampled_from(
    ["json", "1", "chunked", "x\r\ny", "\x00", "caf\u00e9", " pad "]
) | st.text(max_size=8)
_requests = st.builds(
    lambda method, headers, body: (method, tuple(headers), body),
    st.sampled_from(["GET", "POST", "DELETE", "g e t", "PÖST", ""]) | st.text(max_size=5),
    st.lists(st.tuples(_names, _values), max_size=4),
    st.none() | st.binary(max_size=20),
)
_targets = st.sampled_from(["/xms/v1/p/batches", "/a?b=c", "/\u00e9", "/a b", ""]) | st.text(
    max_size=10
)


def _written(make: Heads, request: HttpRequest, target: str, *, proxied: bool) -> object:
    """The bytes h11 writes for the event `make` builds, or the error as (type, message)."""
    try:
        event = make.request(request, PROXIED if proxied else ROUTE, target)
        return h11.Connection(h11.CLIENT).send(event)
    except Exception as exc:  # the error itself is what is compared
        return (type(exc), str(exc))


@pytest.mark.skipif(not PARSED_HEADERS, reason="this h11 takes the public path only")
@given(_requests, _targets, st.booleans())
def test_the_cached_path_writes_what_the_public_path_writes(
    parts: tuple[str, tuple[tuple[str, str], ...], bytes | None], target: str, proxied: bool
) -> None:
    method, headers, body = parts
    try:
        request = HttpRequest(
            method=method, url="http://xms.test:8080/", headers=headers, body=body
        )
    except (TypeError, ValueError):  # not a request at all: never reaches a transport
        assume(False)
        raise
    cached, public = Heads(), Heads(parsed=False)
    # Twice each: the first call fills the caches, the second is served from them.
    first = [_written(cached, request, target, proxied=proxied) for _ in range(2)]
    second = [_written(public, request, target, proxied=proxied) for _ in range(2)]
    assert first == second


def test_the_private_flag_is_used_only_on_the_verified_h11_releases() -> None:
    first, end = VERIFIED_H11
    assert verified_h11(h11.__version__) is PARSED_HEADERS
    assert verified_h11(".".join(map(str, first)) + ".0")
    assert verified_h11(".".join(map(str, first)) + ".3")
    assert not verified_h11(".".join(map(str, end)) + ".0")
    assert not verified_h11("0.14.0")
    assert not verified_h11("1.0.0")
    assert not verified_h11("0.16.0rc1")  # a pre-release: never verified
    assert not verified_h11("unknown")


def test_an_unverified_h11_takes_the_public_path(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, object]] = []
    real = h11.Request

    def spy(**kwargs: object) -> h11.Request:
        made.append(kwargs)
        return real(**kwargs)  # type: ignore[arg-type]

    assert not heads._takes_parsed_headers("0.17.0")
    monkeypatch.setattr(heads.h11, "Request", spy)
    request = HttpRequest(method="GET", url="http://xms.test:8080/", headers=[("accept", "json")])
    Heads(parsed=False).request(request, ROUTE, "/")
    assert [sorted(kwargs) for kwargs in made] == [["headers", "method", "target"]]
    assert made[0]["headers"] == [("host", "xms.test:8080"), ("accept", "json")]
