"""The simulator's state: batches, groups and inbounds, plus the request being handled."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import attrs

from transports.simulator._sim_wire import Query, bad, load_object, read_strings
from xms_core import HttpResponse

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_LETTERS = 52
_ID_HASH_CHARS = 10
_ID_COUNTER_CHARS = 6


@attrs.define(kw_only=True, eq=False)
class BatchSpec:
    """What a client asked for: the fields of a batch create, replace or update."""

    type: str = "mt_text"
    sender: str | None = None
    to: list[str] = attrs.Factory(list)
    body: str = ""
    udh: str | None = None
    parameters: dict[str, dict[str, str]] | None = None
    delivery_report: str = "none"
    send_at: datetime | None = None
    expire_at: datetime | None = None
    callback_url: str | None = None
    tags: list[str] = attrs.Factory(list)
    client_reference: str | None = None
    feedback_enabled: bool | None = None
    flash_message: bool | None = None
    max_number_of_message_parts: int | None = None
    truncate_concat: bool | None = None
    from_ton: int | None = None
    from_npi: int | None = None
    lookup: dict[str, dict[str, str]] | None = attrs.field(default=None, init=False)
    """`parameters` keyed by recipient digits, built once per `parameters` value."""
    lookup_of: object = attrs.field(default=None, init=False)
    """The `parameters` object `lookup` was built from."""


@attrs.define(kw_only=True, eq=False)
class Batch:
    """A stored batch and the facts its delivery timeline is computed from.

    Attributes:
        submitted_at: When the batch was last (re)submitted or updated: queued since then.
        canceled_at: When it was cancelled, or None.
        generation: Bumped by a replace, so restarted deliveries call back afresh.
        recipients: (as spelled, digits) pairs, frozen at send time; None before.
        outcomes: Forced final (status, code) per recipient digits (test helpers).
        sent_callbacks: Keys of the callbacks already queued, never queued twice.
    """

    id: str
    index: int
    spec: BatchSpec
    created_at: datetime
    modified_at: datetime
    submitted_at: datetime
    canceled: bool = False
    canceled_at: datetime | None = None
    generation: int = 0
    recipients: list[tuple[str, str]] | None = None
    outcomes: dict[str, tuple[str, int]] = attrs.Factory(dict)
    feedback: list[str] = attrs.Factory(list)
    sent_callbacks: set[tuple[object, ...]] = attrs.Factory(set)


@attrs.define(kw_only=True, eq=False)
class Group:
    """A stored group; `members` keep their spelling and first-seen order."""

    id: str
    index: int
    name: str | None = None
    members: list[str] = attrs.Factory(list)
    child_groups: list[str] = attrs.Factory(list)
    auto_update: dict[str, object] | None = None
    tags: list[str] = attrs.Factory(list)
    created_at: datetime
    modified_at: datetime


@attrs.define(kw_only=True, eq=False)
class Store:
    """All state of one simulator.

    Attributes:
        now: The clock reading for the request or helper call being handled.
        active: Ids of batches that may still change on their own (not yet frozen at
            send time, or with callbacks still to queue), in creation order.
    """

    seed: int
    dispatch_after: timedelta
    deliver_after: timedelta
    now: datetime
    counter: int = 0
    batches: dict[str, Batch] = attrs.Factory(dict)
    groups: dict[str, Group] = attrs.Factory(dict)
    deleted_groups: set[str] = attrs.Factory(set)
    inbounds: dict[str, dict[str, object]] = attrs.Factory(dict)
    active: dict[str, None] = attrs.Factory(dict)

    def new_id(self) -> str:
        """Return a fresh 16-character URL-safe id: deterministic, never repeated.

        The first ten characters come from a hash of the seed and a counter (the first is
        always a letter, so an id is never mistaken for a phone number); the last six
        spell the counter itself, which makes ids unique.
        """
        self.counter += 1
        digest = hashlib.blake2b(f"{self.seed}:{self.counter}".encode(), digest_size=16).digest()
        head = _ALPHABET[digest[0] % _LETTERS] + "".join(
            _ALPHABET[b % len(_ALPHABET)] for b in digest[1:_ID_HASH_CHARS]
        )
        tail, number = "", self.counter
        for _ in range(_ID_COUNTER_CHARS):
            number, digit = divmod(number, len(_ALPHABET))
            tail = _ALPHABET[digit] + tail
        return head + tail

    def group_targets(self, group_id: str) -> list[str]:
        """Return the members of a group and (recursively) its child groups, as spelled."""
        seen: set[str] = set()
        out: list[str] = []
        pending = [group_id]
        while pending:
            current = pending.pop(0)
            group = self.groups.get(current)
            if current in seen or group is None:
                continue
            seen.add(current)
            out.extend(group.members)
            pending.extend(group.child_groups)
        return out


@attrs.frozen(kw_only=True)
class Call:
    """One routed request: method, the id segments of its path, query and body."""

    method: str
    params: tuple[str, ...]
    query: Query
    body: bytes | None

    def json(self) -> dict[str, object]:
        """Return the body as a JSON object (400 `syntax_invalid_json` otherwise)."""
        return load_object(self.body)


def empty(status: int) -> HttpResponse:
    """Return an answer with no body and no content type."""
    return HttpResponse(status=status)


def apply_tags(call: Call, current: list[str]) -> list[str]:
    """Return the tags after a tags request (protocol 3.8): GET keeps, PUT replaces, POST edits.

    PUT takes `{"tags": [...]}` (required); POST takes `{"add": [...], "remove": [...]}`
    (either may be absent or null); adds are applied before removes.
    """
    if call.method == "GET":
        return list(current)
    body = call.json()
    if call.method == "PUT":
        if body.get("tags") is None:
            bad("'tags' is required")
        return read_strings("tags", body["tags"])
    add = [] if body.get("add") is None else read_strings("add", body["add"])
    remove = set([] if body.get("remove") is None else read_strings("remove", body["remove"]))
    return [tag for tag in dict.fromkeys([*current, *add]) if tag not in remove]
