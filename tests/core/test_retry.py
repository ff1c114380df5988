"""Retry decisions (`RetryPolicy.decide`) and the pure attempt state (`Exchange`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from xms_core import (
    CancelBatch,
    CreateBatch,
    Exchange,
    FetchBatch,
    HttpResponse,
    ReplaceBatchTags,
    Retry,
    RetryPolicy,
    Settings,
    UpdateBatch,
)
from xms_core._retry import parse_http_date
from xms_core.api import MtBatchTextSmsCreate, MtBatchTextSmsResult, MtBatchTextSmsUpdate
from xms_core.exceptions import (
    ApiException,
    ConnectException,
    ConnectionLostException,
    NotFoundException,
    TimeoutException,
    TlsException,
    TooManyRequestsException,
    TransportException,
    UnexpectedResponseException,
)

UTC = timezone.utc
NOW = datetime(1994, 11, 6, 8, 49, 30, tzinfo=UTC)
SETTINGS = Settings(service_plan_id="plan", token="tok", endpoint="https://xms.example.test/xms")
BATCH_JSON = (Path(__file__).parent.parent / "data" / "batch_text.json").read_bytes()
POLICY = RetryPolicy(attempts=3, base_delay=1.0, max_delay=30.0)

IDEMPOTENT = ["GET", "PUT", "DELETE", "HEAD", "get"]
TRANSPORT_ERRORS = [ConnectException, TlsException, TimeoutException, ConnectionLostException]
RETRYABLE = [429, 502, 503, 504]


def response(status: int, *headers: tuple[str, str], body: bytes = b"") -> HttpResponse:
    return HttpResponse(status=status, headers=headers, body=body)


# --------------------------------------------------------------------------- decide


@pytest.mark.parametrize("method", IDEMPOTENT)
@pytest.mark.parametrize("error", TRANSPORT_ERRORS)
def test_reads_and_idempotent_writes_retry_every_transport_failure(
    method: str, error: type[TransportException]
) -> None:
    assert POLICY.decide(method=method, attempt=1, error=error("x"), jitter=1.0) == 1.0


@pytest.mark.parametrize("method", IDEMPOTENT)
@pytest.mark.parametrize("status", RETRYABLE)
def test_reads_and_idempotent_writes_retry_busy_statuses(method: str, status: int) -> None:
    assert POLICY.decide(method=method, attempt=1, response=response(status), jitter=1.0) == 1.0


@pytest.mark.parametrize("method", IDEMPOTENT)
@pytest.mark.parametrize("status", [200, 201, 400, 401, 403, 404, 405, 500, 501, 505])
def test_other_statuses_are_final(method: str, status: int) -> None:
    assert POLICY.decide(method=method, attempt=1, response=response(status)) is None


@pytest.mark.parametrize("error", [ConnectException, TlsException])
def test_post_is_retried_when_it_provably_never_left(error: type[TransportException]) -> None:
    assert POLICY.decide(method="POST", attempt=1, error=error("refused"), jitter=1.0) == 1.0


@pytest.mark.parametrize("error", [TimeoutException, ConnectionLostException, TransportException])
def test_post_is_never_retried_once_it_may_have_arrived(error: type[TransportException]) -> None:
    assert POLICY.decide(method="POST", attempt=1, error=error("lost")) is None


@pytest.mark.parametrize("method", ["POST", "PATCH", "GET", "PUT", "DELETE"])
def test_a_429_is_a_refusal_retried_for_every_method(method: str) -> None:
    refused = response(429, ("Retry-After", "4"))
    assert POLICY.decide(method=method, attempt=1, response=refused) == 4.0
    assert POLICY.decide(method=method, attempt=1, response=response(429), jitter=1.0) == 1.0
    assert POLICY.decide(method=method, attempt=3, response=refused) is None


@pytest.mark.parametrize("value", ["-5", "garbage", "99999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_an_absurd_retry_after_on_a_post_stays_capped(value: str) -> None:
    delay = POLICY.decide(
        method="POST", attempt=1, response=response(429, ("Retry-After", value)), now=NOW
    )
    assert delay is not None
    assert 0 <= delay <= POLICY.max_delay


@pytest.mark.parametrize("error", [ConnectException, TlsException, TimeoutException])
def test_a_permanent_failure_is_never_retried(error: type[TransportException]) -> None:
    failure = error("certificate verify failed")
    failure.permanent = True
    assert POLICY.decide(method="GET", attempt=1, error=failure) is None
    assert POLICY.decide(method="POST", attempt=1, error=failure) is None


def test_no_attempt_starts_past_max_elapsed() -> None:
    policy = RetryPolicy(attempts=10, base_delay=1.0, max_delay=30.0, max_elapsed=10.0)
    error = TimeoutException("slow")
    assert policy.decide(method="GET", attempt=1, error=error, jitter=1.0, elapsed=8.0) == 1.0
    assert policy.decide(method="GET", attempt=1, error=error, jitter=1.0, elapsed=9.0) is None
    busy = response(503, ("Retry-After", "5"))
    assert policy.decide(method="GET", attempt=2, response=busy, elapsed=4.0) == 5.0
    assert policy.decide(method="GET", attempt=2, response=busy, elapsed=5.0) is None
    unbounded = RetryPolicy(attempts=10, base_delay=1.0, max_elapsed=None)
    assert unbounded.decide(method="GET", attempt=1, error=error, elapsed=1e9) is not None


def test_exchange_measures_elapsed_time_from_the_first_attempt() -> None:
    times = iter([NOW, NOW + timedelta(seconds=119.9)])
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_elapsed=120.0)
    exchange = Exchange(
        FetchBatch(batch_id="b1"), SETTINGS, policy, now=lambda: next(times), jitter=lambda: 0.0
    )
    with pytest.raises(TimeoutException) as info:
        exchange.on_error(TimeoutException("slow"))
    assert info.value.attempts == 1


def test_exchange_gives_the_final_429_its_retry_after() -> None:
    batch = MtBatchTextSmsCreate(recipients=["46701234567"], body="x")
    exchange, _ = start(CreateBatch(batch=batch))
    later = "Sun, 06 Nov 1994 08:49:42 GMT"  # 12 s after NOW
    assert isinstance(exchange.on_response(response(429, ("Retry-After", "1"))), Retry)
    assert isinstance(exchange.on_response(response(429, ("Retry-After", later))), Retry)
    with pytest.raises(TooManyRequestsException) as info:
        exchange.on_response(response(429, ("Retry-After", later)))
    assert info.value.attempts == 3
    assert info.value.retry_after == 12.0


def test_exchange_scrubs_the_token_from_server_text() -> None:
    echo = b'{"code":"forbidden","text":"denied for Authorization: Bearer tok"}'
    exchange, _ = start(FetchBatch(batch_id="b1"))
    with pytest.raises(ApiException) as info:
        exchange.on_response(response(403, body=echo))
    assert "tok" not in str(info.value)
    assert "tok" not in repr(info.value.args)
    assert "Bearer <redacted>" in str(info.value)
    lost = ConnectionLostException("malformed response: b'Bearer tok'")
    lost.__cause__ = ValueError("tok echoed")
    exchange, _ = start(
        CreateBatch(batch=MtBatchTextSmsCreate(recipients=["46701234567"], body="x"))
    )
    with pytest.raises(ConnectionLostException) as lost_info:
        exchange.on_error(lost)
    assert "tok" not in str(lost_info.value)
    assert "tok" not in str(lost_info.value.__cause__)


@pytest.mark.parametrize("status", [502, 503, 504, 500])
def test_post_is_never_retried_on_a_busy_or_failing_server(status: int) -> None:
    busy = response(status, ("Retry-After", "1"))
    assert POLICY.decide(method="POST", attempt=1, response=busy) is None
    assert POLICY.decide(method="PATCH", attempt=1, response=busy) is None


def test_errors_that_are_not_transport_failures_are_final() -> None:
    error = UnexpectedResponseException("odd", "")
    assert POLICY.decide(method="GET", attempt=1, error=error) is None
    assert POLICY.decide(method="GET", attempt=1) is None


@pytest.mark.parametrize("attempts", [1, 2, 5])
def test_attempts_limit_counts_the_first_try(attempts: int) -> None:
    policy = RetryPolicy(attempts=attempts, base_delay=0.0)
    error = TimeoutException("slow")
    decisions = [
        policy.decide(method="GET", attempt=n, error=error) for n in range(1, attempts + 2)
    ]
    assert decisions == [0.0] * (attempts - 1) + [None, None]


def test_off_never_retries() -> None:
    off = RetryPolicy.off()
    assert off.attempts == 1
    assert off.decide(method="GET", attempt=1, error=ConnectException("x")) is None
    assert off.decide(method="GET", attempt=1, response=response(503)) is None


def test_default_policy() -> None:
    policy = RetryPolicy()
    assert (policy.attempts, policy.base_delay, policy.max_delay) == (3, 0.5, 30.0)


@pytest.mark.parametrize(
    ("attempt", "ceiling"), [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (60, 30.0)]
)
def test_backoff_grows_exponentially_within_jitter_bounds(attempt: int, ceiling: float) -> None:
    policy = RetryPolicy(attempts=100, base_delay=1.0, max_delay=30.0)
    error = ConnectException("x")

    def delay(jitter: float) -> float | None:
        return policy.decide(method="GET", attempt=attempt, error=error, jitter=jitter)

    assert delay(0.0) == ceiling / 2
    assert delay(0.5) == ceiling * 0.75
    assert delay(0.999999) == pytest.approx(ceiling, rel=1e-5)
    assert delay(-3.0) == ceiling / 2
    assert delay(7.0) == ceiling
    for step in range(100):
        value = delay(step / 100)
        assert value is not None
        assert ceiling / 2 <= value <= ceiling


def test_retry_after_seconds_is_honoured_and_capped() -> None:
    assert POLICY.decide(method="GET", attempt=1, response=response(429, ("Retry-After", "7"))) == 7
    assert (
        POLICY.decide(method="GET", attempt=1, response=response(503, ("retry-after", " 0 "))) == 0
    )
    capped = response(503, ("Retry-After", "3600"))
    assert POLICY.decide(method="GET", attempt=1, response=capped) == 30.0
    huge = response(503, ("Retry-After", "9" * 400))
    assert POLICY.decide(method="GET", attempt=1, response=huge) == 30.0


def test_retry_after_http_date_uses_now() -> None:
    dated = response(503, ("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"))
    assert POLICY.decide(method="GET", attempt=1, response=dated, now=NOW) == 7.0
    later = NOW + timedelta(hours=2)
    assert POLICY.decide(method="GET", attempt=1, response=dated, now=later) == 0.0
    earlier = NOW - timedelta(hours=1)
    assert POLICY.decide(method="GET", attempt=1, response=dated, now=earlier) == 30.0


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # a date, but no clock was given
        "soon",
        "-5",
        "1.5",
        "²",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "",
    ],
)
def test_unusable_retry_after_falls_back_to_backoff(value: str) -> None:
    busy = response(503, ("Retry-After", value))
    assert POLICY.decide(method="GET", attempt=2, response=busy, jitter=0.0) == 1.0


def test_parse_http_date() -> None:
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=UTC
    )
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") is None
    assert parse_http_date("Sun Nov  6 08:49:37 1994") is None


# --------------------------------------------------------------------------- Exchange


class Clock:
    def __init__(self) -> None:
        self.now_calls = 0
        self.jitter_calls = 0

    def now(self) -> datetime:
        self.now_calls += 1
        return NOW

    def jitter(self) -> float:
        self.jitter_calls += 1
        return 0.0


def start(command: Any, policy: RetryPolicy = POLICY) -> tuple[Exchange[Any], Clock]:
    clock = Clock()
    return Exchange(command, SETTINGS, policy, now=clock.now, jitter=clock.jitter), clock


def ok(body: bytes = BATCH_JSON) -> HttpResponse:
    return response(200, ("content-type", "application/json"), body=body)


def test_exchange_returns_the_parsed_result_on_success() -> None:
    command = FetchBatch(batch_id="b1")
    exchange, clock = start(command)
    assert exchange.request == command.build_request(SETTINGS)
    assert exchange.attempt == 1
    result = exchange.on_response(ok())
    assert isinstance(result, MtBatchTextSmsResult)
    assert result.batch_id == "5Z8QsIRsk86f-jHB"
    assert clock.now_calls == 1  # when the first attempt began, for max_elapsed
    assert clock.jitter_calls == 0


def test_exchange_retries_a_busy_read_then_succeeds() -> None:
    exchange, clock = start(FetchBatch(batch_id="b1"))
    first = exchange.request
    retry = exchange.on_response(response(503))
    assert isinstance(retry, Retry)
    assert retry.delay == 0.5
    assert exchange.attempt == 2
    retry = exchange.on_response(response(429, ("Retry-After", "Sun, 06 Nov 1994 08:49:40 GMT")))
    assert isinstance(retry, Retry)
    assert retry.delay == 10.0
    assert exchange.attempt == 3
    assert exchange.request is first
    assert clock.now_calls == 3
    assert isinstance(exchange.on_response(ok()), MtBatchTextSmsResult)


def test_exchange_stamps_attempts_on_the_final_status_error() -> None:
    exchange, _ = start(CancelBatch(batch_id="b1"))
    assert isinstance(exchange.on_response(response(502)), Retry)
    assert isinstance(exchange.on_response(response(504)), Retry)
    with pytest.raises(UnexpectedResponseException) as info:
        exchange.on_response(response(503, body=b"busy"))
    assert info.value.attempts == 3
    assert info.value.status == 503
    assert "after 3 attempts" in str(info.value)
    assert info.value.http_body == "busy"


def test_exchange_stamps_attempts_on_a_later_error_status() -> None:
    exchange, _ = start(FetchBatch(batch_id="b1"))
    assert isinstance(exchange.on_error(ConnectionLostException("reset")), Retry)
    with pytest.raises(NotFoundException) as info:
        exchange.on_response(response(404))
    assert info.value.attempts == 2
    assert str(info.value).endswith("(after 2 attempts)")


def test_exchange_stamps_attempts_on_a_malformed_answer() -> None:
    exchange, _ = start(FetchBatch(batch_id="b1"))
    with pytest.raises(UnexpectedResponseException) as info:
        exchange.on_response(ok(b"{}"))
    assert info.value.attempts == 1
    assert "attempts" not in str(info.value)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_exchange_never_retries_a_post_on_a_busy_status(status: int) -> None:
    batch = MtBatchTextSmsCreate(recipients=["46701234567"], body="x")
    exchange, _ = start(CreateBatch(batch=batch))
    with pytest.raises(UnexpectedResponseException) as info:
        exchange.on_response(response(status, ("Retry-After", "1")))
    assert info.value.attempts == 1
    assert "attempts" not in str(info.value)


@pytest.mark.parametrize("error", [TimeoutException, ConnectionLostException])
def test_exchange_raises_a_post_timeout_at_once(error: type[TransportException]) -> None:
    exchange, _ = start(UpdateBatch(batch_id="b", batch=MtBatchTextSmsUpdate(body="x")))
    failure = error("read timed out")
    with pytest.raises(error) as info:
        exchange.on_error(failure)
    assert info.value is failure
    assert info.value.attempts == 1
    assert str(info.value) == "read timed out"


def test_exchange_retries_a_post_that_never_connected() -> None:
    batch = MtBatchTextSmsCreate(recipients=["46701234567"], body="x")
    exchange, clock = start(CreateBatch(batch=batch))
    retry = exchange.on_error(ConnectException("refused"))
    assert isinstance(retry, Retry)
    assert retry.delay == 0.5
    assert clock.jitter_calls == 1
    retry = exchange.on_error(TlsException("bad certificate"))
    assert isinstance(retry, Retry)
    assert retry.delay == 1.0
    final = ConnectException("refused again")
    with pytest.raises(ConnectException) as info:
        exchange.on_error(final)
    assert info.value is final
    assert info.value.attempts == 3
    assert str(info.value) == "refused again (after 3 attempts)"


def test_exchange_retries_idempotent_writes_after_a_timeout() -> None:
    exchange, _ = start(ReplaceBatchTags(batch_id="b", tags=["a"]))
    assert isinstance(exchange.on_error(TimeoutException("slow")), Retry)
    tags = exchange.on_response(response(200, body=b'{"tags":["a"]}'))
    assert tags == ("a",)


def test_exchange_with_retries_off_raises_the_first_failure() -> None:
    exchange, _ = start(FetchBatch(batch_id="b"), RetryPolicy.off())
    with pytest.raises(TimeoutException) as info:
        exchange.on_error(TimeoutException("slow"))
    assert info.value.attempts == 1
    exchange, _ = start(FetchBatch(batch_id="b"), RetryPolicy.off())
    with pytest.raises(UnexpectedResponseException):
        exchange.on_response(response(503))


def test_api_exception_defaults() -> None:
    assert ApiException().attempts == 1
    assert str(ApiException()) == "ApiException"
    assert str(ApiException("boom")) == "boom"
    error = TimeoutException("slow")
    error.attempts = 4
    assert str(error) == "slow (after 4 attempts)"


def test_exchange_request_body_is_the_commands() -> None:
    command = CreateBatch(batch=MtBatchTextSmsCreate(recipients=["46701234567"], body="x"))
    exchange, _ = start(command)
    assert exchange.request.body is not None
    assert json.loads(exchange.request.body)["body"] == "x"
