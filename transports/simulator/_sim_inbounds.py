"""Inbound (MO) messages in the simulator: list and fetch, plus injection by tests.

Endpoints (protocol 3.20-3.21, object 4.12): GET /inbounds, GET /inbounds/{id}.
"""

from __future__ import annotations

from datetime import datetime

from transports.simulator import _sim_text as text
from transports.simulator._sim_groups import apply_auto_update
from transports.simulator._sim_store import Call, Store
from transports.simulator._sim_wire import (
    format_time,
    json_response,
    not_found,
    page_of,
    parse_time,
    same_number,
)
from xms_core import HttpResponse


def inject(
    store: Store,
    *,
    sender: str,
    recipient: str,
    body: str | bytes,
    udh: bytes | None,
    keyword: str | None,
    operator_id: str | None,
    sent_at: datetime | None,
    client_reference: str | None,
) -> str:
    """Store a new MO received now; apply group keyword rules for a text MO; return its id."""
    for name, value in (("sender", sender), ("recipient", recipient)):
        if not value:
            raise ValueError(f"{name}: expected a non-empty str")
    for field in (sender, recipient, body, keyword, operator_id, client_reference):
        if isinstance(field, str):
            field.encode("utf-8")  # UnicodeEncodeError (a ValueError) on a lone surrogate
    if isinstance(body, str):
        kind, content, header = "mo_text", body, None
    elif isinstance(body, bytes):
        kind, content, header = "mo_binary", text.b64_text(body), (udh or b"").hex()
    else:
        raise TypeError(f"body: expected str or bytes, got {type(body).__name__}")
    mo: dict[str, object] = {"type": kind, "id": store.new_id(), "from": sender, "to": recipient}
    mo["body"] = content
    if header is not None:
        mo["udh"] = header
    optional = {
        "keyword": keyword,
        "operator_id": operator_id,
        "client_reference": client_reference,
    }
    mo.update((key, value) for key, value in optional.items() if value is not None)
    if sent_at is not None:
        mo["sent_at"] = format_time(sent_at)
    mo["received_at"] = format_time(store.now)
    store.inbounds[str(mo["id"])] = mo
    if isinstance(body, str):
        apply_auto_update(store, sender, recipient, body)
    return str(mo["id"])


def _received(mo: dict[str, object]) -> datetime:
    when = parse_time(str(mo["received_at"]))
    if when is None:  # pragma: no cover - we wrote it ourselves
        raise AssertionError(mo)
    return when


def list_inbounds(store: Store, call: Call) -> HttpResponse:
    """GET /inbounds: newest first; filters to, start_date, end_date, client_reference."""
    start, end = call.query.window(store.now)
    recipients = call.query.items("to")
    reference = call.query.get("client_reference")
    rows = [
        mo
        for mo in reversed(store.inbounds.values())
        if start <= _received(mo)
        and (end is None or _received(mo) < end)
        and (recipients is None or any(same_number(str(mo["to"]), r) for r in recipients))
        and (reference is None or mo.get("client_reference") == reference)
    ]
    rows.sort(key=_received, reverse=True)  # stable: equal times keep newest-injected first
    return page_of(call.query, rows, "inbounds", dict)


def fetch_inbound(store: Store, call: Call) -> HttpResponse:
    """GET /inbounds/{id}."""
    mo = store.inbounds.get(call.params[0])
    if mo is None:
        not_found()
    return json_response(200, dict(mo))
