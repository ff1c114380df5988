"""The simulator delivers callbacks as XMS does: signed, retried on schedule, MO included.

Pure and in-process: callbacks are taken with `take_callbacks`, answered with
`callback_answered`, and the `ManualClock` decides when a retry falls due.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.simulator._helpers import Api
from transports.simulator import ManualClock, Simulator
from transports.simulator._sim_outbox import LAST_RETRY, retry_delay
from xms_core import (
    CallbackRejection,
    CallbackVerificationException,
    HttpRequest,
    parse_callback,
    verify_callback,
)
from xms_core.api import BatchRecipientDeliveryReport, MoBinarySms, MoTextSms

SECRET = "plan-callback-secret"
CB = "http://127.0.0.1:9/dlr"
MO_URL = "http://127.0.0.1:9/mo"
A = "46701234567"
SCHEDULE = [5 * 2**k for k in range(15)]  # seconds after the first failure


def make(**kwargs: object) -> tuple[Api, ManualClock]:
    clock = ManualClock()
    return Api(Simulator(clock=clock, **kwargs)), clock  # type: ignore[arg-type]


def now(clock: ManualClock) -> float:
    return clock().timestamp()


def one_report(api: Api, clock: ManualClock) -> HttpRequest:
    """Create a batch whose final per-recipient report is due in 3 s; return that callback."""
    api.create(to=[A], delivery_report="per_recipient_final", callback_url=CB)
    assert api.sim.take_callbacks() == []
    clock.advance(3)
    (callback,) = api.sim.take_callbacks()
    return callback


# --------------------------------------------------------------------------------------
# Signing


def test_callbacks_are_signed_when_the_plan_has_a_secret() -> None:
    api, clock = make(callback_secret=SECRET)
    callback = one_report(api, clock)
    assert callback.header("content-type") == "application/json"
    assert callback.header("x-sinch-webhook-signature-timestamp") == str(int(now(clock)))
    assert callback.header("x-sinch-webhook-signature-algorithm") == "HmacSHA256"
    assert callback.body is not None
    verify_callback(callback.body, callback.headers, SECRET, now=now(clock))
    event = parse_callback(callback.body, callback.headers, secret=SECRET, now=now(clock))
    assert isinstance(event, BatchRecipientDeliveryReport)
    assert event.status == "Delivered"
    with pytest.raises(CallbackVerificationException) as info:
        verify_callback(callback.body, callback.headers, "another-secret", now=now(clock))
    assert info.value.reason is CallbackRejection.BAD_SIGNATURE


def test_without_a_secret_callbacks_are_unsigned() -> None:
    api, clock = make()
    callback = one_report(api, clock)
    assert callback.headers == (("content-type", "application/json"),)


def test_every_attempt_is_signed_afresh() -> None:
    api, clock = make(callback_secret=SECRET)
    first = one_report(api, clock)
    api.sim.callback_answered(first, 503)
    clock.advance(5)
    (second,) = api.sim.take_callbacks()
    assert second.body == first.body
    assert second.header("x-sinch-webhook-signature-nonce") != first.header(
        "x-sinch-webhook-signature-nonce"
    )
    assert (
        int(second.header("x-sinch-webhook-signature-timestamp") or 0)
        == int(first.header("x-sinch-webhook-signature-timestamp") or 0) + 5
    )
    assert second.body is not None
    verify_callback(second.body, second.headers, SECRET, now=now(clock))


def test_the_same_seed_gives_the_same_nonces() -> None:
    nonces = []
    for _ in range(2):
        api, clock = make(callback_secret=SECRET, seed=7)
        nonces.append(one_report(api, clock).header("x-sinch-webhook-signature-nonce"))
    assert nonces[0] == nonces[1]
    api, clock = make(callback_secret=SECRET, seed=8)
    assert one_report(api, clock).header("x-sinch-webhook-signature-nonce") != nonces[0]


def test_the_secret_is_never_shown_and_must_not_be_empty() -> None:
    api, _ = make(callback_secret=SECRET, mo_callback_url=MO_URL)
    assert SECRET not in repr(api.sim)
    with pytest.raises(ValueError, match="secret"):
        Simulator(callback_secret="")


# --------------------------------------------------------------------------------------
# Retries


def test_the_retry_schedule_doubles_from_5_s_up_to_81920_s() -> None:
    assert [retry_delay(n) for n in range(1, 16)] == SCHEDULE
    assert retry_delay(16) is None
    assert SCHEDULE[-1] == LAST_RETRY == 81_920


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, None])
def test_a_failing_receiver_is_tried_on_xms_schedule_then_dropped(status: int | None) -> None:
    api, clock = make(callback_secret=SECRET)
    callback = one_report(api, clock)
    first_failure = clock()
    attempts = [callback]
    api.sim.callback_answered(callback, status)
    for delay in SCHEDULE:
        clock.set(first_failure + timedelta(seconds=delay) - timedelta(milliseconds=1))
        assert api.sim.take_callbacks() == [], f"early before {delay} s"
        clock.set(first_failure + timedelta(seconds=delay))
        (retry,) = api.sim.take_callbacks()
        assert retry.body == callback.body
        assert retry.body is not None
        verify_callback(retry.body, retry.headers, SECRET, now=now(clock), tolerance=0)
        attempts.append(retry)
        api.sim.callback_answered(retry, status)
    clock.advance(10 * 24 * 3600)
    assert api.sim.take_callbacks() == []
    assert len(attempts) == 16
    assert api.sim.dropped_callbacks() == [attempts[-1]]


def test_a_retry_that_succeeds_ends_the_schedule() -> None:
    api, clock = make()
    callback = one_report(api, clock)
    api.sim.callback_answered(callback, 500)
    clock.advance(5)
    (retry,) = api.sim.take_callbacks()
    api.sim.callback_answered(retry, 429)
    clock.advance(5)  # 10 s after the first failure
    (again,) = api.sim.take_callbacks()
    api.sim.callback_answered(again, 200)
    clock.advance(LAST_RETRY * 2)
    assert api.sim.take_callbacks() == []
    assert api.sim.dropped_callbacks() == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 302])
def test_other_answers_drop_the_callback_at_once(status: int) -> None:
    api, clock = make(callback_secret=SECRET)
    callback = one_report(api, clock)
    api.sim.callback_answered(callback, status)
    clock.advance(LAST_RETRY * 2)
    assert api.sim.take_callbacks() == []
    assert api.sim.dropped_callbacks() == [callback]


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_delivers(status: int) -> None:
    api, clock = make()
    callback = one_report(api, clock)
    api.sim.callback_answered(callback, status)
    clock.advance(LAST_RETRY * 2)
    assert api.sim.take_callbacks() == []
    assert api.sim.dropped_callbacks() == []


def test_unanswered_or_unknown_callbacks_are_not_retried() -> None:
    api, clock = make()
    callback = one_report(api, clock)
    stranger = HttpRequest(method="POST", url=CB, body=callback.body)
    api.sim.callback_answered(stranger, 500)
    clock.advance(60)
    assert api.sim.take_callbacks() == []  # never answered: not retried
    api.sim.callback_answered(callback, 200)
    api.sim.callback_answered(callback, 500)  # a second answer changes nothing
    clock.advance(60)
    assert api.sim.take_callbacks() == []


def test_new_callbacks_and_retries_come_out_in_time_order() -> None:
    api, clock = make()
    first = one_report(api, clock)
    api.sim.callback_answered(first, 500)  # retry due at +5 s
    api.create(to=["46709876543"], delivery_report="per_recipient_final", callback_url=CB)
    clock.advance(10)  # the new batch's report (due at +3 s) and the retry, both due
    bodies = [json.loads(c.body or b"") for c in api.sim.take_callbacks()]
    assert [b["recipient"] for b in bodies] == [A, "46709876543"]


# --------------------------------------------------------------------------------------
# Inbound (MO) callbacks


def test_inbound_messages_are_posted_to_the_plans_mo_url() -> None:
    api, clock = make(mo_callback_url=MO_URL, callback_secret=SECRET)
    text_id = api.sim.inject_inbound(
        sender="+46701234567", recipient="12345", body="STOP", operator_id="24001"
    )
    binary_id = api.sim.inject_inbound(
        sender="+46701234567", recipient="12345", body=b"\x00\xff", udh=b"\x05"
    )
    text, binary = api.sim.take_callbacks()
    assert (text.method, text.url, binary.url) == ("POST", MO_URL, MO_URL)
    assert [json.loads(c.body or b"") for c in (text, binary)] == api.sim.inbounds()
    event = parse_callback(text.body or b"", text.headers, secret=SECRET, now=now(clock))
    assert isinstance(event, MoTextSms)
    assert (event.message_id, event.body, event.operator) == (text_id, "STOP", "24001")
    event = parse_callback(binary.body or b"", binary.headers, secret=SECRET, now=now(clock))
    assert isinstance(event, MoBinarySms)
    assert (event.message_id, event.body, event.udh) == (binary_id, b"\x00\xff", b"\x05")


def test_mo_callbacks_are_retried_like_delivery_reports() -> None:
    api, clock = make(mo_callback_url=MO_URL)
    api.sim.inject_inbound(sender="+46701234567", recipient="12345", body="hi")
    (mo,) = api.sim.take_callbacks()
    api.sim.callback_answered(mo, 503)
    clock.advance(5)
    (retry,) = api.sim.take_callbacks()
    assert (retry.url, retry.body) == (MO_URL, mo.body)


def test_without_an_mo_url_inbound_messages_make_no_callback() -> None:
    api, _ = make()
    api.sim.inject_inbound(sender="+46701234567", recipient="12345", body="hi")
    assert api.sim.take_callbacks() == []
    assert len(api.sim.inbounds()) == 1


def test_the_outbox_forgets_unanswered_callbacks_beyond_its_bound() -> None:
    api, clock = make(mo_callback_url=MO_URL, keep_requests=2)
    for n in range(3):
        api.sim.inject_inbound(sender="+46701234567", recipient="12345", body=f"m{n}")
    oldest, *rest = api.sim.take_callbacks()
    api.sim.callback_answered(oldest, 500)  # forgotten: the bound keeps the latest two
    for callback in rest:
        api.sim.callback_answered(callback, 500)
    clock.advance(5)
    assert [json.loads(c.body or b"")["body"] for c in api.sim.take_callbacks()] == ["m1", "m2"]
