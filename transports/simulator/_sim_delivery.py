"""Delivery in the simulator: recipient timelines, delivery reports, feedback, callbacks.

Endpoints: GET /batches/{id}/delivery_report (3.9), GET /batches/{id}/delivery_report/
{recipient} (3.10), GET /delivery_reports (3.11), POST /batches/{id}/delivery_feedback (3.12).

The state of a recipient is never stored: it is computed from the clock. With
`start = max(send_at, submitted_at)` (submitted_at = creation, replace or last update):

* `Queued` (400) from `submitted_at`;
* `Dispatched` (401) at `dispatch = start + dispatch_after`;
* `Delivered` (0) at `dispatch + deliver_after`, or the forced outcome of a test helper at
  that moment: `Failed` with its code, or `Expired` with code 406.

Before dispatch a recipient may instead end early: `Cancelled` (407) at the cancel time;
`Expired` (406) at `expire_at` (default `start` + 3 days) when that comes first; `Aborted`
at dispatch with 405 (a template parameter without value or default) or 411 (more parts
than `max_number_of_message_parts` without `truncate_concat`). A message in flight whose
`expire_at` passes before delivery ends `Expired` (406) at `expire_at`.

Groups in `to` are expanded when the batch is sent (at `start`); until then reports show the
current members as `Queued`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from transports.simulator import _sim_text as text
from transports.simulator._sim_store import Batch, BatchSpec, Call, Store, empty
from transports.simulator._sim_wire import (
    bad,
    dump,
    forbidden,
    format_time,
    json_response,
    msisdn,
    not_found,
    page_of,
    read_list,
    read_msisdn,
)
from xms_core import HttpRequest, HttpResponse

FINAL_STATUSES = frozenset(
    {"Aborted", "Cancelled", "Deleted", "Delivered", "Expired", "Failed", "Rejected", "Unknown"}
)
DEFAULT_VALIDITY = timedelta(days=3)
EXPIRED_CODE = 406
CANCELLED_CODE = 407
UNMATCHED_PARAMETER_CODE = 405
PARTS_EXCEEDED_CODE = 411
FEEDBACK_NOT_ENABLED = "feedback_not_enabled"
_REPORT_TYPES = {"summary": False, "full": True}
_CALLBACK_HEADERS = (("content-type", "application/json"),)


@attrs.frozen
class Event:
    """A recipient reaching `status` with `code` at `at`."""

    status: str
    code: int
    at: datetime


@attrs.frozen
class Message:
    """What one recipient is sent: body (expanded), parts, encoding and any abort code."""

    body: str
    parts: int
    encoding: str
    problem: int | None = None


def find_batch(store: Store, batch_id: str) -> Batch:
    """Return the batch `batch_id` or answer 404."""
    batch = store.batches.get(batch_id)
    if batch is None:
        not_found()
    return batch


def expand_targets(store: Store, to: list[str]) -> list[tuple[str, str]]:
    """Return the (as spelled, digits) recipients of `to`, groups expanded, without repeats."""
    out: dict[str, str] = {}
    for entry in to:
        for candidate in store.group_targets(entry) if entry in store.groups else [entry]:
            digits = msisdn(candidate)
            if digits is not None:
                out.setdefault(digits, candidate)
    return [(spelling, digits) for digits, spelling in out.items()]


def recipients_of(store: Store, batch: Batch) -> list[tuple[str, str]]:
    """Return the batch's recipients: frozen once sent, else the current expansion."""
    if batch.recipients is not None:
        return batch.recipients
    return expand_targets(store, batch.spec.to)


def send_time(batch: Batch) -> datetime:
    """Return when the batch is (or was) sent: its `send_at`, never before submission."""
    send_at = batch.spec.send_at
    return batch.submitted_at if send_at is None else max(send_at, batch.submitted_at)


def dispatch_time(store: Store, batch: Batch) -> datetime:
    """Return when the batch's messages are handed to the operator."""
    return send_time(batch) + store.dispatch_after


def _lookup(spec: BatchSpec) -> dict[str, dict[str, str]] | None:
    """The spec's parameters keyed by recipient digits, built once per parameters value.

    Rebuilding it for every recipient made templated batches quadratic in their size.
    """
    parameters = spec.parameters
    if not parameters:
        return None
    if spec.lookup_of is not parameters:
        spec.lookup = {
            key: {msisdn(who) or who: value for who, value in values.items()}
            for key, values in parameters.items()
        }
        spec.lookup_of = parameters
    return spec.lookup


def message_for(spec: BatchSpec, digits: str) -> Message:
    """Return the message one recipient gets (templates filled, parts counted)."""
    if spec.type == "mt_binary":
        body_length = len(text.b64_bytes(spec.body) or b"")
        udh_length = len(spec.udh or "") // 2
        parts = text.binary_parts(body_length, udh_length) or 1
        return Message(body=spec.body, parts=parts, encoding=text.BINARY)
    body, matched = text.expand(spec.body, _lookup(spec), digits)
    parts, encoding = text.count_parts(body)
    problem = None if matched else UNMATCHED_PARAMETER_CODE
    if spec.truncate_concat and parts > 1:
        body, parts = text.truncate(body), 1
    limit = spec.max_number_of_message_parts
    if problem is None and limit is not None and parts > limit:
        problem = PARTS_EXCEEDED_CODE
    return Message(body=body, parts=parts, encoding=encoding, problem=problem)


def timeline(store: Store, batch: Batch, digits: str) -> list[Event]:
    """Return every status a recipient goes through, past and future, in order."""
    spec = batch.spec
    start = send_time(batch)
    dispatch = start + store.dispatch_after
    final = dispatch + store.deliver_after
    expire = spec.expire_at or start + DEFAULT_VALIDITY
    queued = Event("Queued", 400, batch.submitted_at)
    cancel = batch.canceled_at
    if cancel is not None and cancel < dispatch and cancel < expire:
        return [queued, Event("Cancelled", CANCELLED_CODE, cancel)]
    if expire <= dispatch:
        return [queued, Event("Expired", EXPIRED_CODE, expire)]
    # Only templates and a parts limit can abort a message; skip the counting otherwise.
    needs_check = spec.parameters or spec.max_number_of_message_parts is not None
    problem = message_for(spec, digits).problem if needs_check else None
    if problem is not None:
        return [queued, Event("Aborted", problem, dispatch)]
    dispatched = Event("Dispatched", 401, dispatch)
    forced = batch.outcomes.get(digits)
    if forced is not None:
        return [queued, dispatched, Event(forced[0], forced[1], final)]
    if expire < final:
        return [queued, dispatched, Event("Expired", EXPIRED_CODE, expire)]
    return [queued, dispatched, Event("Delivered", 0, final)]


def seen(events: list[Event], now: datetime) -> list[Event]:
    """Return the events that have happened by `now` (at least the first)."""
    return [events[0], *(e for e in events[1:] if e.at <= now)]


def recipient_report(
    batch: Batch, recipient: str, digits: str, event: Event, *, dispatched: bool
) -> dict[str, object]:
    """Render a recipient delivery report (protocol 4.8) for `event`."""
    spec = batch.spec
    report: dict[str, object] = {
        "type": "recipient_delivery_report_sms",
        "batch_id": batch.id,
        "recipient": recipient,
        "code": event.code,
        "status": event.status,
        "at": format_time(event.at),
    }
    if dispatched and event.status in FINAL_STATUSES:
        report["operator_status_at"] = format_time(event.at)
    if spec.client_reference is not None:
        report["client_reference"] = spec.client_reference
    if spec.max_number_of_message_parts is not None:
        report["number_of_message_parts"] = message_for(spec, digits).parts
    return report


def batch_report(
    store: Store,
    batch: Batch,
    *,
    full: bool,
    statuses: set[str] | None = None,
    codes: set[int] | None = None,
) -> dict[str, object]:
    """Render a batch delivery report (protocol 4.7), buckets ordered by code then status."""
    rows = recipients_of(store, batch)
    buckets: dict[tuple[int, str], list[str]] = {}
    for recipient, digits in rows:
        event = seen(timeline(store, batch, digits), store.now)[-1]
        if statuses is not None and event.status.lower() not in statuses:
            continue
        if codes is not None and event.code not in codes:
            continue
        buckets.setdefault((event.code, event.status), []).append(recipient)
    report: dict[str, object] = {
        "type": "delivery_report_sms",
        "batch_id": batch.id,
        "total_message_count": len(rows),
        "statuses": [
            {"code": code, "status": status, "count": len(members)}
            | ({"recipients": members} if full else {})
            for (code, status), members in sorted(buckets.items())
        ],
    }
    if batch.spec.client_reference is not None:
        report["client_reference"] = batch.spec.client_reference
    return report


def _statuses(call: Call) -> set[str] | None:
    items = call.query.items("status")
    return None if items is None else {item.lower() for item in items}


# ---------------------------------------------------------------------------------------
# Handlers


def get_batch_report(store: Store, call: Call) -> HttpResponse:
    """GET /batches/{id}/delivery_report: `type` summary (default) or full; 404 otherwise."""
    batch = find_batch(store, call.params[0])
    full = _REPORT_TYPES.get(call.query.get("type") or "summary")
    if full is None:
        not_found()
    wanted = call.query.get("client_reference")
    statuses, codes = _statuses(call), call.query.codes("code")
    if wanted is not None and wanted != batch.spec.client_reference:
        statuses = set()  # a batch of another reference has nothing to report
    return json_response(200, batch_report(store, batch, full=full, statuses=statuses, codes=codes))


def get_recipient_report(store: Store, call: Call) -> HttpResponse:
    """GET /batches/{id}/delivery_report/{recipient}: 404 unless it is a recipient."""
    batch = find_batch(store, call.params[0])
    wanted = msisdn(call.params[1])
    found = [(r, d) for r, d in recipients_of(store, batch) if d == wanted]
    if not found:
        not_found()
    recipient, digits = found[0]
    events = seen(timeline(store, batch, digits), store.now)
    report = recipient_report(
        batch, recipient, digits, events[-1], dispatched=_was_dispatched(events)
    )
    return json_response(200, report)


def _was_dispatched(events: list[Event]) -> bool:
    return any(e.status == "Dispatched" for e in events)


def list_reports(store: Store, call: Call) -> HttpResponse:
    """GET /delivery_reports: final recipient reports, newest first, filtered and paged."""
    start, end = call.query.window(store.now)
    statuses, codes = _statuses(call), call.query.codes("code")
    reference = call.query.get("client_reference")
    found: list[tuple[datetime, dict[str, object]]] = []
    for batch in store.batches.values():
        if reference is not None and batch.spec.client_reference != reference:
            continue
        for recipient, digits in recipients_of(store, batch):
            events = seen(timeline(store, batch, digits), store.now)
            event = events[-1]
            if event.status not in FINAL_STATUSES or event.at < start:
                continue
            if end is not None and event.at >= end:
                continue
            if statuses is not None and event.status.lower() not in statuses:
                continue
            if codes is not None and event.code not in codes:
                continue
            report = recipient_report(
                batch, recipient, digits, event, dispatched=_was_dispatched(events)
            )
            found.append((event.at, report))
    found.sort(key=lambda item: item[0], reverse=True)  # stable: ties keep creation order
    return page_of(call.query, [report for _, report in found], "delivery_reports", lambda r: r)


def post_feedback(store: Store, call: Call) -> HttpResponse:
    """POST /batches/{id}/delivery_feedback: `{"recipients": [...]}` (required) -> 202.

    403 `feedback_not_enabled` unless the batch was sent with `feedback_enabled: true`.
    """
    batch = find_batch(store, call.params[0])
    body = call.json()
    if body.get("recipients") is None:
        bad("'recipients' is required")
    recipients = [
        read_msisdn("recipients", item)[0] for item in read_list("recipients", body["recipients"])
    ]
    if not batch.spec.feedback_enabled:
        forbidden(FEEDBACK_NOT_ENABLED, "delivery feedback is not enabled for this batch")
    batch.feedback.extend(recipients)
    return empty(202)


# ---------------------------------------------------------------------------------------
# Advancing: freezing recipients at send time and queueing callbacks (protocol section 7)


def advance(store: Store) -> list[HttpRequest]:
    """Bring every active batch up to `store.now`; return the callbacks that became due."""
    due: list[tuple[datetime, int, int, HttpRequest]] = []
    for batch_id in list(store.active):
        batch = store.batches[batch_id]
        if batch.recipients is None and store.now >= send_time(batch):
            batch.recipients = expand_targets(store, batch.spec.to)
        finished = batch.recipients is not None
        if batch.spec.callback_url is not None and batch.spec.delivery_report != "none":
            finished = _collect(store, batch, batch.spec.callback_url, due) and finished
        if finished:
            del store.active[batch_id]
    due.sort(key=lambda item: item[:3])
    return [request for *_, request in due]


def _collect(
    store: Store, batch: Batch, url: str, due: list[tuple[datetime, int, int, HttpRequest]]
) -> bool:
    """Queue the callbacks of `batch` that are due; return whether none can follow."""
    kind = batch.spec.delivery_report
    all_final = True
    last = batch.submitted_at
    for position, (recipient, digits) in enumerate(recipients_of(store, batch)):
        events = seen(timeline(store, batch, digits), store.now)
        current = events[-1]
        final = current.status in FINAL_STATUSES
        all_final = all_final and final
        last = max(last, current.at)
        if kind == "per_recipient":
            reported = events[1:]  # a change of status; the initial Queued is not one
        elif kind == "per_recipient_final" and final:
            reported = [current]
        else:
            reported = []
        for event in reported:
            key: tuple[object, ...] = ("recipient", batch.generation, digits, event.status)
            if key not in batch.sent_callbacks:
                batch.sent_callbacks.add(key)
                report = recipient_report(
                    batch, recipient, digits, event, dispatched=_was_dispatched(events)
                )
                due.append((event.at, batch.index, position, _post(url, report)))
    if kind in _REPORT_TYPES and all_final and batch.recipients is not None:
        key = ("batch", batch.generation)
        if key not in batch.sent_callbacks:
            batch.sent_callbacks.add(key)
            report = batch_report(store, batch, full=_REPORT_TYPES[kind])
            due.append((last, batch.index, len(batch.recipients), _post(url, report)))
    return all_final


def _post(url: str, report: dict[str, object]) -> HttpRequest:
    return HttpRequest(method="POST", url=url, headers=_CALLBACK_HEADERS, body=dump(report))
