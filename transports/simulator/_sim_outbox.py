"""The simulator's outgoing callbacks: signing, and retrying on XMS's schedule (protocol section 7).

Callbacks wait in an outbox until they are due. Each time one is handed out (by
`Simulator.take_callbacks`) it is a fresh attempt: when the service plan has a
callback secret, it is signed at that moment, with a new nonce and the
simulator clock's time, as a receiver that checks freshness needs every retry
to be. The deliverer then reports how the attempt was answered
(`Simulator.callback_answered`):

* 2xx: delivered;
* 5xx, 429, or no answer at all: tried again 5 s after the first failure, then
  10, 20, 40 s ... after it, doubling, the last time 81,920 s (about 22 h 45 min)
  after the first failure, as the protocol sheet gives XMS's schedule; after
  that it is dropped;
* any other status (400, 401, 404 ...): dropped at once.

Only the simulator clock decides when a retry is due, so tests move a
`ManualClock` instead of waiting. Nonces come from a seeded counter, never a
random source, so runs repeat exactly.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import OrderedDict, deque
from datetime import datetime, timedelta

import attrs

from xms_core import HttpRequest, sign_callback

FIRST_RETRY = 5.0
"""Seconds after the first failure when a callback is tried again."""
LAST_RETRY = 81_920.0
"""Seconds after the first failure of the last try (5 s doubled 14 times)."""
_CONTENT_TYPE = ("content-type", "application/json")
_OK = range(200, 300)
_TOO_MANY_REQUESTS = 429
_SERVER_ERROR = 500


@attrs.define(kw_only=True, eq=False)
class _Letter:
    """One callback and its delivery history."""

    url: str
    body: bytes
    failures: int = 0
    first_failure: datetime | None = None
    sent_at: datetime | None = None


def retry_delay(failures: int) -> float | None:
    """Seconds after the first failure of the next try, or None when there is none."""
    delay = FIRST_RETRY * 2 ** (failures - 1)
    return delay if delay <= LAST_RETRY else None


def is_retried(status: int | None) -> bool:
    """Tell whether XMS tries a callback answered with `status` again (None: no answer)."""
    return status is None or status == _TOO_MANY_REQUESTS or status >= _SERVER_ERROR


class Outbox:
    """Callbacks waiting to be due, those handed out, and those given up.

    Args:
        secret: The callback secret; None sends callbacks unsigned.
        seed: Varies the nonces; the same seed gives the same nonces.
        keep: How many handed-out and dropped callbacks are remembered at most.
    """

    def __init__(self, *, secret: str | None, seed: int, keep: int) -> None:
        self._secret = secret
        self._seed = seed
        self._queue: list[tuple[datetime, int, _Letter]] = []
        self._order = 0
        self._nonces = 0
        self._out: OrderedDict[int, tuple[HttpRequest, _Letter]] = OrderedDict()
        self._keep = max(1, keep)
        self.dropped: deque[HttpRequest] = deque(maxlen=self._keep)

    def post(self, url: str, body: bytes, due: datetime) -> None:
        """Queue a new callback of `body` to `url`, due at `due`."""
        self._push(due, _Letter(url=url, body=body))

    def _push(self, due: datetime, letter: _Letter) -> None:
        self._order += 1
        heapq.heappush(self._queue, (due, self._order, letter))

    def take(self, now: datetime) -> list[HttpRequest]:
        """Hand out every callback due by `now`, oldest first, each signed afresh."""
        taken: list[HttpRequest] = []
        while self._queue and self._queue[0][0] <= now:
            _, _, letter = heapq.heappop(self._queue)
            letter.sent_at = now
            request = HttpRequest(
                method="POST", url=letter.url, headers=self._headers(letter, now), body=letter.body
            )
            self._out[id(request)] = (request, letter)
            while len(self._out) > self._keep:
                self._out.popitem(last=False)  # never answered: forgotten as delivered
            taken.append(request)
        return taken

    def _headers(self, letter: _Letter, now: datetime) -> tuple[tuple[str, str], ...]:
        if self._secret is None:
            return (_CONTENT_TYPE,)
        self._nonces += 1
        seed = f"{self._seed}:nonce:{self._nonces}".encode()
        nonce = hashlib.blake2b(seed, digest_size=16).hexdigest()
        stamp = int(now.timestamp())
        return (
            _CONTENT_TYPE,
            *sign_callback(letter.body, self._secret, nonce=nonce, timestamp=stamp),
        )

    def answered(self, request: HttpRequest, status: int | None) -> None:
        """Record how a handed-out callback was answered: done, retried later, or dropped."""
        entry = self._out.get(id(request))
        if entry is None or entry[0] is not request:
            return  # not one of ours, answered already, or forgotten
        del self._out[id(request)]
        letter = entry[1]
        if status in _OK:
            return
        if not is_retried(status):
            self.dropped.append(request)
            return
        if letter.first_failure is None:
            letter.first_failure = letter.sent_at
        letter.failures += 1
        delay = retry_delay(letter.failures)
        if delay is None or letter.first_failure is None:
            self.dropped.append(request)
            return
        self._push(letter.first_failure + timedelta(seconds=delay), letter)
