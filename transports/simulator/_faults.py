"""Server-side faults of the served simulator, for tests of hostile servers.

`SimulatorServer.inject(FaultPlan(...))` applies one `Fault` to the next
`count` matching requests; see `transports.simulator._server` for how each is
carried out on the wire.
"""

from __future__ import annotations

import enum
from typing import Literal, final

import attrs

from xms_core import HttpResponse

JSON = ("content-type", "application/json")


class Fault(enum.Enum):
    """A server-side misbehaviour, applied to upcoming requests."""

    CLOSE_BEFORE_ANSWER = "close_before_answer"
    """Read the whole request, then close without answering."""
    CLOSE_MID_HEADERS = "close_mid_headers"
    """Send the start of the status line (`HTTP/1.1 2`), then close.

    The cut is inside the status line because `http.client` (under requests)
    takes headers cut off by a close for complete ones.
    """
    CLOSE_MID_BODY = "close_mid_body"
    """Declare a content-length, send fewer bytes, then close."""
    DELAY = "delay"
    """Answer normally after `FaultPlan.delay` seconds."""
    INVALID_JSON = "invalid_json"
    """Answer 200 `application/json` with a body that is not JSON."""
    NON_JSON_CONTENT_TYPE = "non_json_content_type"
    """Answer 200 with an HTML page."""
    TRUNCATED_CHUNKED = "truncated_chunked"
    """Send a chunked answer, then close before the final chunk."""
    HUGE_BODY = "huge_body"
    """Answer 200 with a 20 MiB (valid JSON) body, streamed."""
    OVERSIZED_HEADER = "oversized_header"
    """Add one 128 KiB header to the answer."""
    HTTP10_NO_LENGTH = "http10_no_length"
    """Send the handler's answer as HTTP/1.0 without content-length, ended by close."""
    TOO_MANY_REQUESTS = "too_many_requests"
    """Answer 429 with `Retry-After: FaultPlan.retry_after`."""
    SERVICE_UNAVAILABLE = "service_unavailable"
    """Answer 503."""
    INTERIM_ONE = "interim_one"
    """Send `103 Early Hints`, then the handler's answer."""
    INTERIM_SEVERAL = "interim_several"
    """Send `100`, `102` and `103` interim answers, then the handler's answer."""
    INTERIM_ENDLESS = "interim_endless"
    """Send `103 Early Hints` again and again, never a final answer."""
    DRIP_HEAD = "drip_head"
    """Send a head one byte every `FaultPlan.delay` seconds, never ending it."""
    DRIP_BODY = "drip_body"
    """Send a whole head, then the body one byte every `FaultPlan.delay` seconds, forever."""
    CUT_MID_HEADER_LINE = "cut_mid_header_line"
    """Send the status line and half a header line, then close."""
    CONFLICTING_LENGTH = "conflicting_length"
    """Answer with two different `content-length` headers."""
    INVALID_STATUS_LINE = "invalid_status_line"
    """Answer `HTTP/1.1 2OO OK` (letters for digits)."""
    EXTRA_ANSWER = "extra_answer"
    """Send the handler's answer followed, in the same write, by an answer nobody asked for."""
    EXTRA_ANSWER_LATE = "extra_answer_late"
    """Send the handler's answer, then after `FaultPlan.delay` seconds an unasked-for one."""
    ECHO_AUTHORIZATION = "echo_authorization"
    """Answer 403 with an XMS error whose text quotes the request's `authorization`."""
    ECHO_AUTHORIZATION_500 = "echo_authorization_500"
    """Answer 500 with a plain body that quotes the request's `authorization`."""


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value!r}")


@final
@attrs.frozen(kw_only=True)
class FaultPlan:
    """Which fault to apply, how often, and to which requests.

    Attributes:
        fault: The misbehaviour.
        count: How many matching requests it spoils.
        when: "before" replaces handling (the handler is not called, except for
            `DELAY` and `HTTP10_NO_LENGTH`, which need its answer); "after" calls
            the handler first, so its state changes, and then spoils the answer.
        delay: Seconds to wait, for `Fault.DELAY`.
        retry_after: The `Retry-After` value, for `Fault.TOO_MANY_REQUESTS`.
        path_contains: Only requests whose target (path and query) contains
            this text match; None matches every request.
    """

    fault: Fault = attrs.field(validator=attrs.validators.instance_of(Fault))
    count: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    when: Literal["before", "after"] = attrs.field(
        default="before", validator=attrs.validators.in_(("before", "after"))
    )
    delay: float = attrs.field(default=0.0, validator=_non_negative)
    retry_after: str = "1"
    path_contains: str | None = None


def _fraction(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, got {value!r}")


@final
@attrs.frozen(kw_only=True)
class CreateChaos:
    """Random trouble on batch creates (`POST .../batches`), for exactly-once tests.

    Each create draws one number from a generator seeded with `seed`: below
    `too_many_requests` it is refused with 429 (not handled, so nothing is created);
    within the next `drop_after_create` it is handled (the batch is created) and then
    the connection is closed without an answer: the ambiguous case a client must
    reconcile.

    Attributes:
        drop_after_create: The fraction of creates that create the batch, then drop.
        too_many_requests: The fraction of creates refused with 429.
        retry_after: The `Retry-After` value sent with each 429.
        seed: The seed of the generator, so a failing run can be replayed.
    """

    drop_after_create: float = attrs.field(default=0.0, validator=_fraction)
    too_many_requests: float = attrs.field(default=0.0, validator=_fraction)
    retry_after: str = "0"
    seed: int = 0

    def __attrs_post_init__(self) -> None:
        if self.drop_after_create + self.too_many_requests > 1.0:
            raise ValueError("drop_after_create + too_many_requests must not exceed 1")


@attrs.define
class Pending:
    plan: FaultPlan
    remaining: int


def _error_body(code: str, text: str) -> bytes:
    return b'{"code":"%s","text":"%s"}' % (code.encode(), text.encode())


def canned(fault: Fault, plan: FaultPlan) -> HttpResponse:
    """The answer a fault sends instead of (or around) the handler's."""
    if fault is Fault.INVALID_JSON:
        return HttpResponse(status=200, headers=[JSON], body=b'{"id": "01FC66621X", "type": mt_')
    if fault is Fault.NON_JSON_CONTENT_TYPE:
        page = b"<html><head><title>Gateway</title></head><body>It works!</body></html>"
        return HttpResponse(status=200, headers=[("content-type", "text/html")], body=page)
    if fault is Fault.TOO_MANY_REQUESTS:
        return HttpResponse(
            status=429,
            headers=[JSON, ("retry-after", plan.retry_after)],
            body=_error_body("too_many_requests", "Too many requests"),
        )
    if fault is Fault.SERVICE_UNAVAILABLE:
        return HttpResponse(
            status=503, headers=[JSON], body=_error_body("unavailable", "Service unavailable")
        )
    padding = b"x" * 512
    return HttpResponse(status=200, headers=[JSON], body=b'{"padding":"%s"}' % padding)
