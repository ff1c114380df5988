"""A pure, in-memory XMS server: `Simulator.handle` turns an `HttpRequest` into an `HttpResponse`.

It serves every endpoint of the protocol sheet's catalogue (section 2) over explicit state,
working on raw JSON so that it checks the SDK independently of the SDK's own encoders. It
does no I/O, starts no thread, reads no real clock and draws no random number: time comes
from an injected clock (a `ManualClock` by default) and ids from a seeded counter.

Request handling, in order:

1. The path must be `{base_path}/v1/{service_plan_id}/{resource...}` for the simulator's
   `base_path` (`/xms`, as on every XMS host) and a resource XMS has, else 404. So an
   endpoint ending in `/v1` (`/xms/v1/v1/plan/batches`) or a missing or doubled base path
   gets the 404 XMS gives, whatever the credentials: a test cannot pass on a URL that
   the real service would refuse.
2. `authorization: Bearer {token}` and the plan id must both match, else 401.
3. A known path with another method is 405 (with `allow`).
4. A POST or PUT with a body but without `content-type: application/json` is 415.
5. The endpoint answers: 400/403 carry `{"code", "text"}` (protocol section 6); 404,
   401, 405 and 415 carry no body. No request makes `handle` raise; a bug would be a 500.

Delivery advances lazily from the clock: every `handle`, `advance` and `take_callbacks`
first brings the state up to the clock's time and queues the callbacks that became due
(see `_sim_delivery` for the timeline and the callback rules).

Choices where the protocol is silent:

* Delivery feedback on a batch without `feedback_enabled: true` is 403 `feedback_not_enabled`.
* An expired message (`expire_recipient`, or `expire_at` passing) is `Expired` with code 406.
* Updating a cancelled batch is 403 `batch_already_dispatched`, like a dispatched one.
* Per-recipient callbacks report changes of status: `Dispatched` and the final one (the
  initial `Queued` is not a change). Summary/full callbacks come once all are final.
* Dry-run `encoding` is `text` (GSM-7), `unicode` (UCS-2) or `binary` (for mt_binary).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import final
from urllib.parse import unquote

from transports.simulator import _sim_batches as _batches
from transports.simulator import _sim_delivery as _delivery
from transports.simulator import _sim_groups as _groups
from transports.simulator import _sim_inbounds as _inbounds
from transports.simulator._sim_outbox import Outbox
from transports.simulator._sim_store import Call, Store
from transports.simulator._sim_wire import (
    JSON_TYPE,
    UTC,
    Query,
    Reject,
    dump,
    json_response,
    match_route,
    msisdn,
    split_url,
    to_millis,
)
from xms_core import HttpRequest, HttpResponse
from xms_core._signing import check_secret

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Where a `ManualClock` starts unless told otherwise."""

_Handler = Callable[[Store, Call], HttpResponse]

# Path patterns below `/v1/{service_plan_id}`; "*" is one id segment. First match wins.
_ROUTES: tuple[tuple[tuple[str, ...], Mapping[str, _Handler]], ...] = (
    (("batches",), {"GET": _batches.list_batches, "POST": _batches.create_batch}),
    (("batches", "dry_run"), {"POST": _batches.dry_run}),
    (
        ("batches", "*"),
        {
            "GET": _batches.fetch_batch,
            "PUT": _batches.replace_batch,
            "POST": _batches.update_batch,
            "DELETE": _batches.cancel_batch,
        },
    ),
    (("batches", "*", "tags"), dict.fromkeys(("GET", "PUT", "POST"), _batches.batch_tags)),
    (("batches", "*", "delivery_report"), {"GET": _delivery.get_batch_report}),
    (("batches", "*", "delivery_report", "*"), {"GET": _delivery.get_recipient_report}),
    (("batches", "*", "delivery_feedback"), {"POST": _delivery.post_feedback}),
    (("delivery_reports",), {"GET": _delivery.list_reports}),
    (("groups",), {"GET": _groups.list_groups, "POST": _groups.create_group}),
    (
        ("groups", "*"),
        {
            "GET": _groups.fetch_group,
            "PUT": _groups.replace_group,
            "POST": _groups.update_group,
            "DELETE": _groups.delete_group,
        },
    ),
    (("groups", "*", "members"), {"GET": _groups.group_members}),
    (("groups", "*", "tags"), dict.fromkeys(("GET", "PUT", "POST"), _groups.group_tags)),
    (("inbounds",), {"GET": _inbounds.list_inbounds}),
    (("inbounds", "*"), {"GET": _inbounds.fetch_inbound}),
)


@final
class ManualClock:
    """A clock that moves only when told to; calling it returns the current time (aware UTC).

    Args:
        start: The initial time (aware); 2026-01-01T00:00:00Z when omitted.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = EPOCH
        self.set(EPOCH if start is None else start)

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"

    def __call__(self) -> datetime:
        """Return the current time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move forward by `seconds` (not negative; use `set` to go anywhere)."""
        if seconds < 0:
            raise ValueError(f"seconds: must not be negative (got {seconds})")
        self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        """Jump to `when`, an aware datetime."""
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("when: expected an aware datetime")
        self._now = when.astimezone(UTC)


@final
class Simulator:
    """An in-memory XMS service plan, served by `handle`.

    Args:
        service_plan_id: The plan id requests must address.
        token: The bearer token requests must carry.
        clock: Returns the current time; a new `ManualClock` when omitted.
        dispatch_after: Seconds after `send_at` (or submission) when messages are dispatched.
        deliver_after: Seconds after dispatch when they are delivered (or fail, or expire).
        seed: Varies the generated ids; the same seed gives the same ids.
        keep_requests: How many of the latest requests `requests()` remembers, so a
            long-running served simulator does not grow without bound (the same bound
            applies to callbacks handed out but not yet answered, and to dropped ones).
        callback_secret: The service plan's callback secret: when set, every callback
            attempt is signed as XMS signs it (protocol section 7). Never shown.
        mo_callback_url: The service plan's inbound (MO) callback URL: every inbound
            message is also POSTed there, as XMS does. None sends no MO callbacks.
        base_path: The path of the endpoint the clients are configured with, everything
            before `/v1/` (`/xms` for `https://host/xms`; "" for an endpoint at the root).
            Requests under any other path are 404, as XMS answers them.
    """

    def __init__(
        self,
        *,
        service_plan_id: str = "plan",
        token: str = "token",  # noqa: S107 - a fake plan's fake token
        clock: Callable[[], datetime] | None = None,
        dispatch_after: float = 1.0,
        deliver_after: float = 2.0,
        seed: int = 0,
        keep_requests: int = 10_000,
        callback_secret: str | None = None,
        mo_callback_url: str | None = None,
        base_path: str = "/xms",
    ) -> None:
        if dispatch_after < 0 or deliver_after < 0:
            raise ValueError("dispatch_after and deliver_after must not be negative")
        if base_path and (not base_path.startswith("/") or "?" in base_path):
            raise ValueError(f"base_path: expected '' or a path such as '/xms' (got {base_path!r})")
        self.base_path = base_path.rstrip("/")
        self.clock: Callable[[], datetime] = ManualClock() if clock is None else clock
        self._plan = service_plan_id
        self._token = token
        self._store = Store(
            seed=seed,
            dispatch_after=timedelta(seconds=dispatch_after),
            deliver_after=timedelta(seconds=deliver_after),
            now=to_millis(self.clock()),
        )
        self._requests: deque[HttpRequest] = deque(maxlen=keep_requests)
        if callback_secret is not None:
            check_secret(callback_secret)
        self._outbox = Outbox(secret=callback_secret, seed=seed, keep=keep_requests)
        self._mo_callback_url = mo_callback_url

    def __repr__(self) -> str:
        return (
            f"Simulator(service_plan_id={self._plan!r}, batches={len(self._store.batches)},"
            f" groups={len(self._store.groups)}, inbounds={len(self._store.inbounds)})"
        )

    # -- the server -----------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request, as XMS would; never raises."""
        self._requests.append(request)
        try:
            self._tick()
            try:
                response = self._route(request)
            except Reject as reject:
                response = reject.response()
            self._queue()
        except Exception:  # noqa: BLE001 - a bug answers 500 instead of breaking the server
            return json_response(500, {"code": "internal_error", "text": "simulator failure"})
        return response

    def _tick(self) -> None:
        self._store.now = to_millis(self.clock())
        self._queue()

    def _queue(self) -> None:
        for request in _delivery.advance(self._store):
            self._outbox.post(request.url, request.body or b"", self._store.now)

    def _route(self, request: HttpRequest) -> HttpResponse:
        path, raw_query = split_url(request.url)
        prefix = f"{self.base_path}/v1/"
        if not path.startswith(prefix):
            raise Reject(404)
        plan, *rest = [unquote(part) for part in path[len(prefix) :].split("/")]
        # The route is matched before the credentials: a path XMS does not have is 404
        # for everyone, a path it has is 401 without the right plan and token.
        params, handlers = match_route(_ROUTES, rest)
        if plan != self._plan or not self._authorized(request):
            raise Reject(401)
        method = request.method.upper()
        handler = handlers.get(method)
        if handler is None:
            raise Reject(405, headers=(("allow", ", ".join(handlers)),))
        if method in {"POST", "PUT"} and request.body and not _is_json(request):
            raise Reject(415)
        body = request.body if method in {"POST", "PUT"} else None
        return handler(
            self._store, Call(method=method, params=params, query=Query(raw_query), body=body)
        )

    def _authorized(self, request: HttpRequest) -> bool:
        scheme, _, credentials = (request.header("authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and credentials.strip() == self._token

    # -- test helpers ---------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move a `ManualClock` forward and queue the callbacks that became due.

        Raises:
            TypeError: The simulator's clock is not a `ManualClock`.
        """
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs the simulator to run on a ManualClock")
        self.clock.advance(seconds)
        self._tick()

    def take_callbacks(self) -> list[HttpRequest]:
        """Return the callbacks due now, oldest first, and forget them.

        Each is one delivery attempt, signed at this moment when the plan has a
        callback secret. Report how it was answered with `callback_answered` to
        have failures retried as XMS retries them; unanswered ones are not.
        """
        self._tick()
        return self._outbox.take(self._store.now)

    def callback_answered(self, callback: HttpRequest, status: int | None) -> None:
        """Tell the simulator how a callback from `take_callbacks` was answered.

        Args:
            callback: The request, as `take_callbacks` returned it.
            status: The receiver's HTTP status, or None if it did not answer (refused,
                timed out). 2xx delivers it; 5xx, 429 and None schedule the next try
                (5 s after the first failure, then 10, 20, ... 81,920 s after it);
                any other status drops it.
        """
        self._tick()
        self._outbox.answered(callback, status)

    def dropped_callbacks(self) -> list[HttpRequest]:
        """Return the callback attempts given up (a 4xx other than 429, or no tries left)."""
        return list(self._outbox.dropped)

    def inject_inbound(
        self,
        *,
        sender: str,
        recipient: str,
        body: str | bytes,
        udh: bytes | None = None,
        keyword: str | None = None,
        operator_id: str | None = None,
        sent_at: datetime | None = None,
        client_reference: str | None = None,
    ) -> str:
        """Receive an MO now: `mo_text` for a str body, `mo_binary` for bytes; return its id.

        A text MO also applies the keyword rules of groups' `auto_update`. With a
        `mo_callback_url`, the MO is also queued as a callback to it, due now.
        """
        self._tick()
        inbound_id = _inbounds.inject(
            self._store,
            sender=sender,
            recipient=recipient,
            body=body,
            udh=udh,
            keyword=keyword,
            operator_id=operator_id,
            sent_at=sent_at,
            client_reference=client_reference,
        )
        if self._mo_callback_url is not None:
            body = dump(self._store.inbounds[inbound_id])
            self._outbox.post(self._mo_callback_url, body, self._store.now)
        return inbound_id

    def fail_recipient(self, batch_id: str, recipient: str, *, code: int = 11) -> None:
        """Make a recipient's message end `Failed` with `code` once dispatched.

        Raises:
            KeyError: Unknown batch, or `recipient` is not one of its recipients.
            ValueError: The recipient's message has already reached a final status.
        """
        self._force(batch_id, recipient, ("Failed", code))

    def expire_recipient(self, batch_id: str, recipient: str) -> None:
        """Make a recipient's message end `Expired` (code 406) once dispatched.

        Raises:
            KeyError: Unknown batch, or `recipient` is not one of its recipients.
            ValueError: The recipient's message has already reached a final status.
        """
        self._force(batch_id, recipient, ("Expired", _delivery.EXPIRED_CODE))

    def _force(self, batch_id: str, recipient: str, outcome: tuple[str, int]) -> None:
        self._tick()
        store = self._store
        batch = store.batches[batch_id]
        digits = msisdn(recipient)
        if digits is None or digits not in {d for _, d in _delivery.recipients_of(store, batch)}:
            raise KeyError(recipient)
        events = _delivery.seen(_delivery.timeline(store, batch, digits), store.now)
        if events[-1].status in _delivery.FINAL_STATUSES:
            raise ValueError(f"{recipient!r} is already {events[-1].status}")
        batch.outcomes[digits] = outcome
        store.active[batch_id] = None

    @property
    def service_plan_id(self) -> str:
        """The plan id requests must address."""
        return self._plan

    @property
    def batch_count(self) -> int:
        """How many batches were ever created (a replace does not create one)."""
        return len(self._store.batches)

    def batch(self, batch_id: str) -> dict[str, object]:
        """Return a copy of the batch's JSON, as GET /batches/{id} answers it.

        Raises:
            KeyError: No batch has this id.
        """
        return _batches.render_batch(self._store.batches[batch_id])

    def batches(self) -> list[dict[str, object]]:
        """Return every batch's JSON, oldest first."""
        return [_batches.render_batch(b) for b in self._store.batches.values()]

    def group(self, group_id: str) -> dict[str, object]:
        """Return a copy of the group's JSON plus its `members` and `tags`.

        Raises:
            KeyError: No (undeleted) group has this id.
        """
        group = self._store.groups[group_id]
        return _groups.render_group(group) | {
            "members": list(group.members),
            "tags": list(group.tags),
        }

    def groups(self) -> list[dict[str, object]]:
        """Return every existing group (as `group` does), oldest first."""
        return [self.group(group_id) for group_id in self._store.groups]

    def inbounds(self) -> list[dict[str, object]]:
        """Return every inbound message's JSON, oldest first."""
        return [dict(mo) for mo in self._store.inbounds.values()]

    def requests(self) -> list[HttpRequest]:
        """Return the requests handled so far (the latest `keep_requests`), in order."""
        return list(self._requests)


def _is_json(request: HttpRequest) -> bool:
    content_type = request.header("content-type") or ""
    return content_type.split(";", 1)[0].strip().lower() == JSON_TYPE
