"""One transport contract for headers, kept by every transport, memory included.

What is sent: the request's header pairs in order, a repeated name as repeated
lines; what a transport adds: `host` and `content-length` on the wire, nothing
in memory; what is refused before sending: what HTTP cannot carry, named.
"""

from __future__ import annotations

from typing import final

import attrs
import pytest

from tests.adapters import TOKEN, open_subject
from transports.simulator import Simulator
from xms_core import HttpRequest, HttpResponse, Settings
from xms_core.exceptions import ConnectException


@final
@attrs.frozen
class Custom:
    """A command that sends extra header pairs and returns the status."""

    extra: tuple[tuple[str, str], ...]
    body: bytes | None = None
    method: str = "POST"

    def build_request(self, settings: Settings) -> HttpRequest:
        request = settings.request(self.method, "batches")
        return attrs.evolve(request, headers=(*request.headers, *self.extra), body=self.body)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> int:
        return response.status


class Recording:
    """The simulator, remembering each request as it reached the server."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.seen: list[HttpRequest] = []

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.seen.append(request)
        return self.simulator.handle(request)


@pytest.mark.parametrize("body", [b'{"from":"1","to":["+46701234567"],"body":"hi"}', b""])
async def test_headers_travel_in_order_with_repeats_and_only_framing_added(
    kind: str, simulator: Simulator, body: bytes
) -> None:
    origin = Recording(simulator)
    extra = (("x-twice", "1"), ("x-other", "a b"), ("x-twice", "2"))
    async with open_subject(kind, origin) as subject:
        await subject.send(Custom(extra=extra, body=body))
    (seen,) = origin.seen
    sent = Custom(extra=extra, body=body).build_request(
        Settings(service_plan_id="plan-1", token=TOKEN)
    )
    added = [(name, value) for name, value in seen.headers if (name, value) not in sent.headers]
    if kind == "memory":
        assert seen.headers == sent.headers
    else:
        assert [name for name, _ in added] == ["host", "content-length"]
        assert dict(added)["content-length"] == str(len(body))
        assert [pair for pair in seen.headers if pair not in added] == list(sent.headers)
    assert [value for name, value in seen.headers if name == "x-twice"] == ["1", "2"]
    assert seen.body == body


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ((("x-bad", "a\r\nx-injected: 1"),), "x-bad"),
        ((("x-bad", " padded"),), "x-bad"),
        ((("x-bad", "caf\u00e9"),), "x-bad"),
        ((("bad name", "value-7f3e"),), "bad name"),
        ((("x-nul", "a\x00b"),), "x-nul"),
    ],
    ids=["crlf", "padded", "non-ascii", "name", "nul"],
)
async def test_what_http_cannot_carry_is_refused_by_every_transport(
    kind: str, simulator: Simulator, extra: tuple[tuple[str, str], ...], named: str
) -> None:
    origin = Recording(simulator)
    async with open_subject(kind, origin) as subject:
        with pytest.raises(ConnectException) as info:
            await subject.send(Custom(extra=extra))
    assert repr(named) in str(info.value)
    assert extra[0][1] not in str(info.value)
    assert info.value.permanent
    assert info.value.attempts == 1  # the same request would be refused again
    assert origin.seen == []
