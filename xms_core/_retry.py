"""Retry decisions, pure: the clients sleep, the policy only decides.

Rules (an SMS must never be sent twice):

* Any request is retried after a `ConnectException` (refused, DNS, TLS
  handshake, a pooled connection found closed before a byte was written):
  the request provably never reached the server.
* Reads and idempotent writes (GET, PUT, DELETE) are also retried after a
  timeout, a connection lost mid-answer, and answers 429, 502, 503 and 504.
* A POST (create, update, dry run, tag and group changes, feedback) is
  retried after nothing else: not after a timeout, a reset during the answer,
  a 429 or a 5xx, since the server may have acted on it.

Delays grow exponentially from `base_delay`, capped at `max_delay`, with
jitter; a `Retry-After` (seconds or an HTTP date) is honoured up to `max_delay`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar, final

import attrs

from xms_core import _validate as v
from xms_core._command import Command
from xms_core._errors import ApiException, ConnectException, TransportException
from xms_core._http import HttpRequest, HttpResponse
from xms_core._settings import Settings
from xms_core._wire import UTC

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


def _non_negative(inst: object, field: attrs.Attribute[float], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:  # NaN
        raise ValueError(f"{field.name}: expected a number >= 0 (got {value!r})")


@final
@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to wait before trying a request again.

    Attributes:
        attempts: The most times a request is tried, the first included (1 = never retry).
        base_delay: The wait before the second attempt, in seconds, before jitter.
        max_delay: The longest wait, in seconds, whatever `Retry-After` says.
    """

    attempts: int = attrs.field(default=3, validator=v.int_range(1, 100))
    base_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=30.0, validator=_non_negative)

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
    ) -> float | None:
        """Decide what to do after `attempt` tries ended in `response` or `error`.

        Args:
            method: The request's HTTP method.
            attempt: How many attempts have been made, this one included.
            response: The answer, when one arrived.
            error: The transport failure, when no answer arrived.
            now: The current time, for a `Retry-After` given as an HTTP date.
            jitter: A number in [0, 1) from the driver's random source.

        Returns:
            Seconds to wait before the next attempt, or None to stop here.
        """
        if attempt >= self.attempts:
            return None
        idempotent = method.upper() in IDEMPOTENT_METHODS
        if error is not None:
            if isinstance(error, ConnectException) or (
                idempotent and isinstance(error, TransportException)
            ):
                return self._backoff(attempt, jitter)
            return None
        if response is None or not idempotent or response.status not in RETRYABLE_STATUSES:
            return None
        waited = _retry_after(response, now)
        if waited is not None:
            return min(waited, self.max_delay)
        return self._backoff(attempt, jitter)

    def _backoff(self, attempt: int, jitter: float) -> float:
        ceiling = min(self.max_delay, self.base_delay * float(2 ** (attempt - 1)))
        return ceiling / 2 + ceiling / 2 * min(max(jitter, 0.0), 1.0)


def _retry_after(response: HttpResponse, now: datetime | None) -> float | None:
    value = response.header("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # not "²": float() would refuse it
        return float(value)
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

    __slots__ = ("_command", "_jitter", "_now", "_policy", "attempt", "request")

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

    def on_response(self, response: HttpResponse) -> T | Retry:
        """Read `response`, or ask for another attempt."""
        if response.status in RETRYABLE_STATUSES:
            delay = self._policy.decide(
                method=self.request.method,
                attempt=self.attempt,
                response=response,
                now=self._now(),
                jitter=self._jitter(),
            )
            if delay is not None:
                self.attempt += 1
                return Retry(delay)
        try:
            return self._command.parse_response(self.request, response)
        except ApiException as exc:
            exc.attempts = self.attempt
            raise

    def on_error(self, error: TransportException) -> Retry:
        """Ask for another attempt after `error`, or raise it as final."""
        delay = self._policy.decide(
            method=self.request.method,
            attempt=self.attempt,
            error=error,
            jitter=self._jitter(),
        )
        if delay is None:
            error.attempts = self.attempt
            raise error
        self.attempt += 1
        return Retry(delay)
