"""Retry decisions, pure: the clients sleep, the policy only decides.

Rules (an SMS must never be sent twice):

* Any request is retried after a `ConnectException` (refused, DNS, TLS
  handshake, a pooled connection found closed before a byte was written, a
  proxy that could not be reached or refused the tunnel): the request provably
  never reached the server.
* Any request is retried after a 429: XMS refused it without acting on it
  (protocol 6), so a POST is as safe to send again as a GET.
* Reads and idempotent writes (GET, PUT, DELETE) are also retried after a
  timeout, a connection lost mid-answer, and answers 502, 503 and 504.
* A POST (create, update, dry run, tag and group changes, feedback) is
  retried after nothing else: not after a timeout, a reset during the answer
  or a 5xx, since the server may have acted on it.
* Nothing is retried after a `permanent` transport failure (a certificate
  that fails verification, a proxy's 407): another try cannot succeed.

Delays grow exponentially from `base_delay`, capped at `max_delay`, with
jitter; a `Retry-After` (seconds or an HTTP date) is honoured up to `max_delay`.
No attempt starts once `max_elapsed` seconds have passed since the first one
began, nor when its wait would end past that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar, final

import attrs

from xms_core import _validate as v
from xms_core._command import Command, retry_after_seconds
from xms_core._errors import (
    ApiException,
    ConnectException,
    TooManyRequestsException,
    TransportException,
    scrub,
)
from xms_core._http import HttpRequest, HttpResponse
from xms_core._settings import Settings
from xms_core._wire import UTC

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
REFUSED_STATUSES = frozenset({429})
"""Statuses that say the server did not act on the request: retried for every method."""


def _non_negative(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:  # NaN
        raise ValueError(f"{field.name}: expected a number >= 0 (got {value!r})")


def _non_negative_or_none(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _non_negative(inst, field, value)


@final
@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to wait before trying a request again.

    Attributes:
        attempts: The most times a request is tried, the first included (1 = never retry).
        base_delay: The wait before the second attempt, in seconds, before jitter.
        max_delay: The longest wait, in seconds, whatever `Retry-After` says.
        max_elapsed: Seconds after the first attempt began past which no attempt
            starts (None: no limit). With the transports' per-attempt deadline
            this bounds a whole call: at most `max_elapsed` plus one attempt.
    """

    attempts: int = attrs.field(default=3, validator=v.int_range(1, 100))
    base_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=30.0, validator=_non_negative)
    max_elapsed: float | None = attrs.field(default=120.0, validator=_non_negative_or_none)

    @classmethod
    def off(cls) -> RetryPolicy:
        """Return a policy that never retries."""
        return cls(attempts=1)

    def decide(
        self,
        *,
        method: str,
        attempt: int,
        response: HttpResponse | None = None,
        error: ApiException | None = None,
        now: datetime | None = None,
        jitter: float = 0.5,
        elapsed: float = 0.0,
    ) -> float | None:
        """Decide what to do after `attempt` tries ended in `response` or `error`.

        Args:
            method: The request's HTTP method.
            attempt: How many attempts have been made, this one included.
            response: The answer, when one arrived.
            error: The transport failure, when no answer arrived.
            now: The current time, for a `Retry-After` given as an HTTP date.
            jitter: A number in [0, 1) from the driver's random source.
            elapsed: Seconds since the first attempt began.

        Returns:
            Seconds to wait before the next attempt, or None to stop here.
        """
        if attempt >= self.attempts:
            return None
        idempotent = method.upper() in IDEMPOTENT_METHODS
        if error is not None:
            delay = self._after_error(error, attempt, jitter, idempotent=idempotent)
        elif response is not None:
            delay = self._after_answer(response, attempt, now, jitter, idempotent=idempotent)
        else:
            delay = None
        if delay is None or (self.max_elapsed is not None and elapsed + delay >= self.max_elapsed):
            return None
        return delay

    def _after_error(
        self, error: ApiException, attempt: int, jitter: float, *, idempotent: bool
    ) -> float | None:
        if not isinstance(error, TransportException) or error.permanent:
            return None
        if isinstance(error, ConnectException) or idempotent:
            return self._backoff(attempt, jitter)
        return None

    def _after_answer(
        self,
        response: HttpResponse,
        attempt: int,
        now: datetime | None,
        jitter: float,
        *,
        idempotent: bool,
    ) -> float | None:
        status = response.status
        if status not in RETRYABLE_STATUSES or not (idempotent or status in REFUSED_STATUSES):
            return None
        waited = retry_after(response, now)
        if waited is not None:
            return min(waited, self.max_delay)
        return self._backoff(attempt, jitter)

    def _backoff(self, attempt: int, jitter: float) -> float:
        ceiling = min(self.max_delay, self.base_delay * float(2 ** (attempt - 1)))
        return ceiling / 2 + ceiling / 2 * min(max(jitter, 0.0), 1.0)


def retry_after(response: HttpResponse, now: datetime | None) -> float | None:
    """The seconds `Retry-After` asks for (a number, or an HTTP date from `now`), or None."""
    seconds = retry_after_seconds(response)
    value = response.header("retry-after")
    if seconds is not None or value is None:
        return seconds
    when = parse_http_date(value)
    if when is None or now is None:
        return None
    return max(0.0, (when - now).total_seconds())


_HTTP_DATE = re.compile(
    r"[A-Za-z]{3}, (\d{1,2})[ -]([A-Za-z]{3})[ -](\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_http_date(value: str) -> datetime | None:
    """Parse an IMF-fixdate (RFC 9110 5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`."""
    match = _HTTP_DATE.fullmatch(value.strip())
    if match is None:
        return None
    day, month_name, year, hour, minute, second = match.groups()
    month = month_name.lower()
    if month not in _MONTHS:
        return None
    try:
        return datetime(
            int(year),
            _MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=UTC,
        )
    except ValueError:
        return None


@final
class Retry:
    """The driver should wait `delay` seconds, then send `request` again."""

    __slots__ = ("delay",)

    def __init__(self, delay: float) -> None:
        self.delay = delay


@final
class Exchange(Generic[T]):
    """The pure state of one command's attempts, shared by every client.

    A driver sends `request`, then calls `on_response` or `on_error` with what
    happened. Each either returns the result (or raises the final exception,
    stamped with the number of attempts) or returns a `Retry` telling the driver
    how long to sleep before sending `request` again.
    """

    __slots__ = (
        "_command",
        "_jitter",
        "_now",
        "_policy",
        "_secret",
        "_started",
        "attempt",
        "request",
    )

    def __init__(
        self,
        command: Command[T],
        settings: Settings,
        policy: RetryPolicy,
        *,
        now: Callable[[], datetime],
        jitter: Callable[[], float],
    ) -> None:
        self._command = command
        self._policy = policy
        self._now = now
        self._jitter = jitter
        self.request: HttpRequest = command.build_request(settings)
        self.attempt = 1
        self._secret = settings.token
        self._started = now()

    def _elapsed(self, now: datetime) -> float:
        return max(0.0, (now - self._started).total_seconds())

    def on_response(self, response: HttpResponse) -> T | Retry:
        """Read `response`, or ask for another attempt."""
        now: datetime | None = None
        if response.status in RETRYABLE_STATUSES:
            now = self._now()
            delay = self._policy.decide(
                method=self.request.method,
                attempt=self.attempt,
                response=response,
                now=now,
                jitter=self._jitter(),
                elapsed=self._elapsed(now),
            )
            if delay is not None:
                self.attempt += 1
                return Retry(delay)
        try:
            return self._command.parse_response(self.request, response)
        except ApiException as exc:
            if isinstance(exc, TooManyRequestsException):
                exc.retry_after = retry_after(response, now)
            exc.attempts = self.attempt
            scrub(exc, self._secret)
            raise

    def on_error(self, error: TransportException) -> Retry:
        """Ask for another attempt after `error`, or raise it as final."""
        delay = self._policy.decide(
            method=self.request.method,
            attempt=self.attempt,
            error=error,
            jitter=self._jitter(),
            elapsed=self._elapsed(self._now()),
        )
        if delay is None:
            error.attempts = self.attempt
            scrub(error, self._secret)
            raise error
        self.attempt += 1
        return Retry(delay)
