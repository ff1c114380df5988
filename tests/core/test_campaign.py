"""The pure decisions of exactly-once sending: references, chunks, the create plan, pacing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest

from xms_core import (
    ConnectException,
    ConnectionLostException,
    CreateBatch,
    CreateOnce,
    DuplicateBatchesException,
    ErrorResponseException,
    FetchBatches,
    Found,
    NotCreatedException,
    SendAgain,
    Settings,
    TimeoutException,
    TokenBucket,
    UnauthorizedException,
    UnexpectedResponseException,
    chunk_reference,
    chunked,
)
from xms_core._campaign import RECONCILE_MARGIN, is_ambiguous, is_refusal
from xms_core.api import MtBatchTextSmsCreate, MtBatchTextSmsResult

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
REF = "camp-1/chunk-000003"
BATCH = MtBatchTextSmsCreate(recipients=["+46701234567"], body="hi", client_reference=REF)


def result(batch_id: str, reference: str | None = REF) -> MtBatchTextSmsResult:
    return MtBatchTextSmsResult(
        batch_id=batch_id, recipients=("46701234567",), body="hi", client_reference=reference
    )


def query_of(command: FetchBatches) -> dict[str, str]:
    request = command.build_request(Settings(service_plan_id="plan", token="token"))
    return dict(parse_qsl(urlsplit(request.url).query))


def test_chunk_references_are_deterministic_and_distinct() -> None:
    assert chunk_reference("camp-1", 3) == REF
    assert chunk_reference("camp-1", 3) == chunk_reference("camp-1", 3)
    assert len({chunk_reference("camp-1", n) for n in range(1000)}) == 1000
    assert chunk_reference("camp-1", 3) != chunk_reference("camp-2", 3)


@pytest.mark.parametrize("campaign_id", ["", "has space", "-leading", "x" * 65, "a,b", "é"])
def test_bad_campaign_ids_are_refused_naming_the_field(campaign_id: str) -> None:
    with pytest.raises(ValueError, match="campaign_id"):
        chunk_reference(campaign_id, 0)


def test_chunk_numbers_must_be_non_negative_ints() -> None:
    with pytest.raises(ValueError, match="number"):
        chunk_reference("c", -1)
    with pytest.raises(TypeError, match="number"):
        chunk_reference("c", True)


def test_chunked_streams_numbered_chunks() -> None:
    assert list(chunked(range(7), 3)) == [(0, [0, 1, 2]), (1, [3, 4, 5]), (2, [6])]
    assert list(chunked(range(6), 3)) == [(0, [0, 1, 2]), (1, [3, 4, 5])]
    assert list(chunked([], 3)) == []
    consumed = []

    def rows() -> Iterator[int]:
        for i in range(5):
            consumed.append(i)
            yield i

    first = next(chunked(rows(), 2))
    assert first == (0, [0, 1])
    assert consumed == [0, 1]  # nothing read ahead


@pytest.mark.parametrize("size", [0, 1001])
def test_chunk_size_is_bounded_by_the_batch_limit(size: int) -> None:
    with pytest.raises(ValueError, match="size"):
        list(chunked([1], size))


@pytest.mark.parametrize(
    ("error", "ambiguous", "refusal"),
    [
        (TimeoutException("read"), True, False),
        (ConnectionLostException("reset"), True, False),
        (UnexpectedResponseException("x", "", 500), True, False),
        (UnexpectedResponseException("x", "", 503), True, False),
        (UnexpectedResponseException("x", "", 201), True, False),  # created, unreadable
        (UnexpectedResponseException("x", "", None), True, False),
        (UnexpectedResponseException("x", "", 429), False, True),
        (UnexpectedResponseException("x", "", 415), False, False),
        (ErrorResponseException("bad", "syntax_invalid_json"), False, False),
        (UnauthorizedException("plan"), False, False),
        (ConnectException("refused"), False, False),
    ],
)
def test_which_failures_are_ambiguous(error: Exception, *, ambiguous: bool, refusal: bool) -> None:
    assert is_ambiguous(error) is ambiguous  # type: ignore[arg-type]
    assert is_refusal(error) is refusal  # type: ignore[arg-type]


def test_a_plan_needs_a_client_reference() -> None:
    bare = MtBatchTextSmsCreate(recipients=["+46701234567"], body="hi")
    with pytest.raises(ValueError, match="client_reference"):
        CreateOnce(bare)
    with pytest.raises(TypeError, match="batch"):
        CreateOnce("not a batch")  # type: ignore[arg-type]


def test_a_plan_refuses_a_naive_or_too_old_since() -> None:
    with pytest.raises(ValueError, match="since"):
        CreateOnce(BATCH, since=datetime(2026, 5, 1))  # noqa: DTZ001 - the point
    with pytest.raises(ValueError, match="14 days"):
        CreateOnce(BATCH, since=T0 - timedelta(days=15), now=T0)
    with pytest.raises(ValueError, match="attempts"):
        CreateOnce(BATCH, attempts=0)


def test_a_fresh_plan_creates_first() -> None:
    plan = CreateOnce(BATCH)
    assert plan.first() == CreateBatch(batch=BATCH)
    assert plan.creates == 1
    assert plan.reference == REF


def test_an_ambiguous_failure_leads_to_a_windowed_listing_by_reference() -> None:
    plan = CreateOnce(BATCH)
    plan.first()
    lookup = plan.after_error(TimeoutException("read timed out"), T0)
    assert isinstance(lookup, FetchBatches)
    query = query_of(lookup)
    assert query["client_reference"] == REF
    assert datetime.fromisoformat(query["start_date"].replace("Z", "+00:00")) == (
        T0 - RECONCILE_MARGIN
    )


def test_a_definite_failure_is_raised_as_is() -> None:
    plan = CreateOnce(BATCH)
    plan.first()
    error = ErrorResponseException("bad", "syntax_constraint_violation")
    with pytest.raises(ErrorResponseException) as info:
        plan.after_error(error, T0)
    assert info.value is error
    refused = UnexpectedResponseException("busy", "", 429)
    with pytest.raises(UnexpectedResponseException):
        plan.after_error(refused, T0)


def test_exactly_one_found_is_the_batch() -> None:
    plan = CreateOnce(BATCH)
    plan.first()
    plan.after_error(TimeoutException("t"), T0)
    verdict = plan.verdict([result("b1"), result("other", "someone-else")])
    assert verdict == Found(result("b1"))


def test_none_found_sends_again_until_the_attempts_run_out() -> None:
    plan = CreateOnce(BATCH, attempts=2)
    plan.first()
    plan.after_error(ConnectionLostException("reset"), T0)
    verdict = plan.verdict([result("x", "not-mine")])
    assert verdict == SendAgain(CreateBatch(batch=BATCH))
    assert plan.creates == 2
    plan.after_error(ConnectionLostException("reset"), T0 + timedelta(seconds=5))
    with pytest.raises(NotCreatedException, match="was not created") as info:
        plan.verdict([])
    assert info.value.client_reference == REF
    assert info.value.attempts == 2


def test_several_found_is_a_clear_error() -> None:
    plan = CreateOnce(BATCH)
    plan.first()
    plan.after_error(TimeoutException("t"), T0)
    with pytest.raises(DuplicateBatchesException) as info:
        plan.verdict([result("b2"), result("b1")])
    assert info.value.batch_ids == ("b2", "b1")
    assert "2 batches carry client_reference" in str(info.value)
    assert "b2, b1" in str(info.value)


def test_a_plan_with_since_looks_up_first_and_keeps_the_earliest_window() -> None:
    since = T0 - timedelta(hours=30)  # older than the 24 h XMS lists by default
    plan = CreateOnce(BATCH, since=since, now=T0)
    first = plan.first()
    assert isinstance(first, FetchBatches)
    assert plan.creates == 0
    assert first.start_date == since - RECONCILE_MARGIN
    again = plan.lookup(T0)  # a later attempt never narrows the window
    assert again.start_date == since - RECONCILE_MARGIN
    assert plan.verdict([]) == SendAgain(CreateBatch(batch=BATCH))


def test_token_bucket_counts_a_batch_of_n_as_n() -> None:
    bucket = TokenBucket(100.0, now=0.0)
    assert bucket.rate == 100.0
    assert bucket.reserve(100, 0.0) == 0.0  # the initial second's worth
    assert bucket.reserve(1000, 0.0) == pytest.approx(10.0)  # borrowed from the future
    assert bucket.reserve(50, 0.0) == pytest.approx(10.5)
    assert bucket.reserve(0, 20.0) == 0.0  # refilled, capped at one burst
    assert bucket.reserve(100, 20.0) == 0.0
    assert bucket.reserve(1, 20.0) == pytest.approx(0.01)


def test_token_bucket_pace_is_the_rate_over_time() -> None:
    bucket = TokenBucket(50.0, burst=10.0, now=0.0)
    clock = 0.0
    for _ in range(100):
        clock += bucket.reserve(10, clock)
    assert clock == pytest.approx((100 * 10 - 10) / 50.0)


@pytest.mark.parametrize(
    ("rate", "burst", "match"), [(0, None, "rate"), (-1.0, None, "rate"), (1.0, 0.0, "burst")]
)
def test_token_bucket_rejects_bad_settings(rate: float, burst: float | None, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TokenBucket(rate, burst=burst)


def test_token_bucket_rejects_a_negative_count() -> None:
    with pytest.raises(ValueError, match="count"):
        TokenBucket(1.0).reserve(-1, 0.0)
