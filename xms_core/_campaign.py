"""The pure decisions of exactly-once sending: references, chunks, reconciliation, pacing.

Nothing here does I/O, reads a clock or draws a random number: times are passed in.

* `chunk_reference(campaign_id, number)`: the deterministic `client_reference` of one
  chunk of a campaign, so that a batch can be found again after a crash.
* `chunked(rows, size)`: cut any iterable into numbered chunks, streaming.
* `CreateOnce`: the command sequence and the verdict of an exactly-once create. A create
  that ends ambiguously (a timeout, a connection lost after the request was written, a
  5xx, an unreadable 2xx) is followed by a listing of the batches that carry the batch's
  `client_reference`, within a `start_date` window (XMS lists only the last 24 hours by
  default, protocol 3.3). Exactly one found: that is the batch. None: it never reached
  XMS, so it is sent again. Several: `DuplicateBatchesException`.
* `TokenBucket`: a messages-per-second pace where a batch of N recipients counts as N
  (protocol 6, "Rate limiting").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar, final

import attrs

from xms_core import _validate as v
from xms_core._batch_commands import CreateBatch, FetchBatches
from xms_core._batches import MAX_RECIPIENTS, MtBatchCreate, MtBatchResult
from xms_core._errors import (
    ApiException,
    ConnectionLostException,
    TimeoutException,
    UnexpectedResponseException,
)

T = TypeVar("T")

CAMPAIGN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""What a campaign id may look like: 1 to 64 letters, digits, `.`, `_` or `-`."""

RECONCILE_MARGIN = timedelta(hours=24)
"""How far before the first attempt the reconciliation window starts.

It absorbs any clock skew between this machine and XMS; being filtered by reference, the
listing stays one short page however wide the window is.
"""

LISTING_RETENTION = timedelta(days=14)
"""XMS lists only batches created in the last 14 days (protocol 3.3)."""

DEFAULT_CONCURRENCY = 8
"""Batches in flight at once by default: XMS queues per service plan (protocol 6), so a
handful of connections keeps it busy without tripping its 429 limit."""

_TOO_MANY_REQUESTS = 429
_SERVER_ERROR = 500


class DuplicateBatchesException(ApiException):
    """Several batches carry one `client_reference`: the create cannot be decided.

    Attributes:
        client_reference: The reference.
        batch_ids: The ids of the batches found, newest first.
    """

    def __init__(self, client_reference: str, batch_ids: Sequence[str]) -> None:
        super().__init__(client_reference, tuple(batch_ids))
        self.client_reference = client_reference
        self.batch_ids = tuple(batch_ids)

    def _describe(self) -> str:
        ids = ", ".join(self.batch_ids)
        return (
            f"{len(self.batch_ids)} batches carry client_reference {self.client_reference!r}"
            f" ({ids}); it must be unique to decide whether the batch was created"
        )


def check_campaign_id(value: str) -> str:
    """Return `value` if it is a valid campaign id, else raise ValueError naming the field."""
    if not isinstance(value, str) or CAMPAIGN_ID.fullmatch(value) is None:  # type: ignore[redundant-expr]
        raise ValueError(
            f"campaign_id: {value!r} must be 1 to 64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    return value


def chunk_reference(campaign_id: str, number: int) -> str:
    """The `client_reference` of chunk `number` (from 0) of campaign `campaign_id`."""
    check_campaign_id(campaign_id)
    v.check_int("number", number, 0)
    return f"{campaign_id}/chunk-{number:06d}"


def chunked(rows: Iterable[T], size: int = MAX_RECIPIENTS) -> Iterator[tuple[int, list[T]]]:
    """Cut `rows` into `(number, chunk)` pairs of at most `size` rows, numbered from 0.

    Only one chunk is held at a time, so any input size streams.
    """
    v.check_int("size", size, 1, MAX_RECIPIENTS)
    chunk: list[T] = []
    number = 0
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield number, chunk
            number += 1
            chunk = []
    if chunk:
        yield number, chunk


def is_ambiguous(error: ApiException) -> bool:
    """Whether a create that ended in `error` may have created the batch.

    A timeout or a connection lost after the request was written may have been acted
    on; so may a 5xx, and a 2xx whose body could not be read. A 429 is a refusal
    (protocol 6): the request was not processed. Every other answer (400, 401, 403,
    404) says the batch was not created, and a `ConnectException` proves it never left.
    """
    if isinstance(error, (TimeoutException, ConnectionLostException)):
        return True
    if isinstance(error, UnexpectedResponseException):
        status = error.status
        return (
            status is None
            or (status != _TOO_MANY_REQUESTS and status >= _SERVER_ERROR)
            or (
                200 <= status < 300  # noqa: PLR2004 - a created batch whose answer was unreadable
            )
        )
    return False


def is_refusal(error: ApiException) -> bool:
    """Whether `error` is a 429: the request was refused unprocessed and may be resent."""
    return isinstance(error, UnexpectedResponseException) and error.status == _TOO_MANY_REQUESTS


@final
@attrs.frozen
class Found:
    """The verdict "the batch exists": exactly one batch carries the reference."""

    batch: MtBatchResult


@final
@attrs.frozen
class SendAgain:
    """The verdict "no batch carries the reference": it never reached XMS; send it."""

    command: CreateBatch


@final
class CreateOnce:
    """The pure plan of one exactly-once create; a client drives it.

    The driver sends `first()`. After a `CreateBatch` fails it calls `after_error`,
    which re-raises a failure that proves nothing was created and otherwise returns the
    listing to run. After a listing (all its pages) it calls `verdict` with the batches
    found. At most `attempts` creates are sent.

    Args:
        batch: The batch; it must carry a `client_reference` unique to it.
        since: When an earlier attempt (e.g. before a crash) may have been sent; the
            plan then starts by looking the batch up instead of creating it.
        now: The current time, to bound the listing window to XMS's retention.
        attempts: The most creates sent (the first included).
    """

    __slots__ = ("_attempts", "_batch", "_creates", "_since")

    def __init__(
        self,
        batch: MtBatchCreate,
        *,
        since: datetime | None = None,
        now: datetime | None = None,
        attempts: int = 3,
    ) -> None:
        CreateBatch(batch=batch)  # the type check, naming the field
        if not batch.client_reference:
            raise ValueError("client_reference: an exactly-once create needs a client_reference")
        if since is not None and since.utcoffset() is None:
            raise ValueError("since: expected an aware datetime")
        if since is not None and now is not None and now - since > LISTING_RETENTION:
            raise ValueError(
                f"since: {since.isoformat()} is more than 14 days ago; XMS no longer lists"
                " batches that old, so whether it was created cannot be found out"
            )
        v.check_int("attempts", attempts, 1)
        self._batch = batch
        self._since = since
        self._attempts = attempts
        self._creates = 0

    @property
    def reference(self) -> str:
        """The batch's `client_reference`."""
        return str(self._batch.client_reference)

    @property
    def creates(self) -> int:
        """How many creates the plan has asked for so far."""
        return self._creates

    def first(self) -> CreateBatch | FetchBatches:
        """The first command: the create, or the look-up when an earlier attempt may have run."""
        if self._since is not None:
            return self.lookup(self._since)
        return self._create()

    def _create(self) -> CreateBatch:
        self._creates += 1
        return CreateBatch(batch=self._batch)

    def lookup(self, since: datetime) -> FetchBatches:
        """The listing of the batches carrying the reference, created from `since` on.

        The window never narrows: it starts at the earliest attempt seen, less a margin
        for clock skew between this machine and XMS.
        """
        if self._since is None or since < self._since:
            self._since = since
        return FetchBatches(
            client_reference=self.reference,
            start_date=self._since - RECONCILE_MARGIN,
            page_size=100,
        )

    def after_error(self, error: ApiException, started: datetime) -> FetchBatches:
        """Decide what follows a create that failed with `error` (sent at `started`).

        Returns:
            The listing that tells whether the batch was created.

        Raises:
            ApiException: `error` itself, when it proves nothing was created (a 4xx, a
                429, a connection that was never made).
        """
        if not is_ambiguous(error):
            raise error
        return self.lookup(started)

    def verdict(self, found: Iterable[MtBatchResult]) -> Found | SendAgain:
        """Decide from the batches the listing returned.

        Batches whose `client_reference` is not the batch's are ignored (a server
        that ignored the filter must not make us take another batch for ours).

        Raises:
            DuplicateBatchesException: More than one batch carries the reference.
            ApiException: No batch was found and `attempts` creates were already sent;
                the error says the batch was not created.
        """
        mine = [batch for batch in found if batch.client_reference == self.reference]
        if len(mine) == 1:
            return Found(mine[0])
        if mine:
            raise DuplicateBatchesException(self.reference, [b.batch_id for b in mine])
        if self._creates >= self._attempts:
            raise NotCreatedException(self.reference, self._creates)
        return SendAgain(self._create())


class NotCreatedException(ApiException):
    """Every create of an exactly-once plan failed, and XMS holds no batch for it.

    Attributes:
        client_reference: The reference that no batch carries.
    """

    def __init__(self, client_reference: str, creates: int) -> None:
        super().__init__(client_reference, creates)
        self.client_reference = client_reference
        self.attempts = creates

    def _describe(self) -> str:
        return (
            f"the batch with client_reference {self.client_reference!r} was not created:"
            " every attempt failed and XMS lists no such batch"
        )


@final
class TokenBucket:
    """A messages-per-second pace: `reserve(n, now)` says how long to wait before sending n.

    A batch of N recipients counts as N messages. The bucket holds up to `burst`
    tokens and refills at `rate` per second; a reservation larger than what is there
    borrows from the future, so a 1000-recipient batch is never stuck behind a burst
    smaller than itself, and the average pace is `rate` whatever the batch sizes.

    Args:
        rate: Messages per second, > 0.
        burst: The most tokens held; `rate` (one second's worth) when None.
        now: The time the bucket starts at, full (seconds on any monotonic scale).
    """

    __slots__ = ("_at", "_burst", "_rate", "_tokens")

    def __init__(self, rate: float, *, burst: float | None = None, now: float = 0.0) -> None:
        rate_value: object = rate
        if isinstance(rate_value, bool) or not isinstance(rate_value, (int, float)) or not rate > 0:
            raise ValueError(f"rate: expected a number of messages per second > 0 (got {rate!r})")
        size = float(rate if burst is None else burst)
        if not size > 0:
            raise ValueError(f"burst: expected a number > 0 (got {burst!r})")
        self._rate = float(rate)
        self._burst = size
        self._tokens = size
        self._at = now

    @property
    def rate(self) -> float:
        """Messages per second."""
        return self._rate

    def reserve(self, count: int, now: float) -> float:
        """Take `count` tokens at time `now`; return the seconds to wait before sending."""
        v.check_int("count", count, 0)
        if now > self._at:
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
            self._at = now
        self._tokens -= count
        return 0.0 if self._tokens >= 0 else -self._tokens / self._rate + (self._at - now)
