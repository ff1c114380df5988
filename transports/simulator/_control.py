"""The served simulator's control API: test hooks over HTTP, on a prefix of their own.

`SimulatorServer(..., control=simulator)` answers these under `/_simulator` (its
`control_path`), outside the XMS base path, so no XMS request can reach them and
they never reach `Simulator.handle` (nor its request log). Every answer is JSON;
errors are `{"code", "text"}` as XMS writes them, the text naming the field.

    GET  /_simulator                                    plan, clock, counts
    GET  /_simulator/clock                              {"now", "manual"}
    POST /_simulator/clock                              {"advance": SECONDS} or {"set": TIME}
    GET  /_simulator/inbounds                           every inbound message, oldest first
    POST /_simulator/inbounds                           {"from", "to", "body", ...}: 201, the MO
    POST /_simulator/batches/{id}/recipients/{number}/fail     {"code": N} optional: 204
    POST /_simulator/batches/{id}/recipients/{number}/expire   204
    GET  /_simulator/requests                           the XMS request log, oldest first
    GET  /_simulator/callbacks                          the callbacks posted so far

No credentials are asked for: the server binds loopback addresses only, the
simulator holds no real data, and the API token is never an input here, so a
control request cannot leak it; the request log shows only the scheme of each
`authorization` header. Like `Simulator.handle`, this module does no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import final
from urllib.parse import unquote

from transports.simulator._callbacks import CallbackDelivery
from transports.simulator._core import ManualClock, Simulator
from transports.simulator._sim_wire import (
    Reject,
    bad,
    format_time,
    json_response,
    load_object,
    match_route,
    read_int,
    read_str,
    read_time,
    split_url,
)
from xms_core import HttpRequest, HttpResponse

CONTROL_PATH = "/_simulator"
"""Where the control API is served unless told otherwise."""

_CONFLICT = "conflict"
_NOT_FOUND = "not_found"
_MAX_ADVANCE = 10 * 365 * 24 * 3600  # ten years, in seconds
_MAX_CODE = 2**31 - 1
_FAILED_CODE = 11  # the default of Simulator.fail_recipient
_INBOUND_FIELDS = frozenset(
    {"type", "from", "to", "body", "udh", "keyword", "operator_id", "sent_at", "client_reference"}
)

_Route = Callable[["ControlApi", HttpRequest, tuple[str, ...]], HttpResponse]


def _no_deliveries() -> Sequence[CallbackDelivery]:
    return ()


@final
class ControlApi:
    """Answers control requests for one simulator; see the module docstring for the routes.

    Args:
        simulator: The simulator to control.
        path: The prefix served, e.g. `/_simulator`.
        deliveries: Returns the callbacks posted so far (the server's record of them).
    """

    def __init__(
        self,
        simulator: Simulator,
        *,
        path: str = CONTROL_PATH,
        deliveries: Callable[[], Sequence[CallbackDelivery]] = _no_deliveries,
    ) -> None:
        if not path.startswith("/") or path.rstrip("/") == "":
            raise ValueError(f"path: expected a path such as {CONTROL_PATH!r} (got {path!r})")
        self.simulator = simulator
        self.path = path.rstrip("/")
        self.deliveries = deliveries

    def __repr__(self) -> str:
        return f"ControlApi(path={self.path!r})"

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one control request (its path under `path`); never raises."""
        try:
            route, params = self._resolve(request)
            return route(self, request, params)
        except Reject as reject:
            return reject.response()
        except Exception:  # noqa: BLE001 - a bug answers 500 instead of breaking the server
            return json_response(500, {"code": "internal_error", "text": "simulator failure"})

    def _resolve(self, request: HttpRequest) -> tuple[_Route, tuple[str, ...]]:
        path, _ = split_url(request.url)
        if path != self.path and not path.startswith(self.path + "/"):
            raise Reject(404, _NOT_FOUND, f"the control API is under {self.path}")
        rest = [unquote(part) for part in path[len(self.path) :].split("/")[1:]]
        params, routes = match_route(
            _ROUTES, rest, missing=Reject(404, _NOT_FOUND, "no such control route")
        )
        route = routes.get(request.method.upper())
        if route is None:
            raise Reject(405, headers=(("allow", ", ".join(routes)),))
        return route, params


def _now(clock: Callable[[], datetime]) -> str:
    return format_time(clock())


def _optional_str(fields: Mapping[str, object], key: str) -> str | None:
    value = fields.get(key)
    return None if value is None else read_str(key, value)


def _only(fields: Mapping[str, object], allowed: frozenset[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        bad(f"unknown field {unknown[0]!r}")


def _status(api: ControlApi, request: HttpRequest, params: tuple[str, ...]) -> HttpResponse:
    sim = api.simulator
    deliveries = api.deliveries()
    sent = sum(1 for d in deliveries if d.status is not None and d.status < 300)  # noqa: PLR2004 - 2xx
    return json_response(
        200,
        {
            "service_plan_id": sim.service_plan_id,
            "base_path": sim.base_path,
            "now": _now(sim.clock),
            "manual_clock": isinstance(sim.clock, ManualClock),
            "batches": sim.batch_count,
            "groups": len(sim.groups()),
            "inbounds": len(sim.inbounds()),
            "requests": len(sim.requests()),
            "callbacks": {"sent": sent, "not_sent": len(deliveries) - sent},
        },
    )


def _clock(api: ControlApi, request: HttpRequest, params: tuple[str, ...]) -> HttpResponse:
    clock = api.simulator.clock
    return json_response(200, {"now": _now(clock), "manual": isinstance(clock, ManualClock)})


def _move_clock(api: ControlApi, request: HttpRequest, params: tuple[str, ...]) -> HttpResponse:
    sim = api.simulator
    fields = load_object(request.body)
    if len(fields) != 1 or set(fields) - {"advance", "set"}:
        bad("give exactly one of 'advance' (seconds) or 'set' (an ISO 8601 time)")
    if not isinstance(sim.clock, ManualClock):
        raise Reject(409, _CONFLICT, "the clock is real: serve with --clock manual to move it")
    if "advance" in fields:
        seconds = fields["advance"]
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            bad("'advance' must be a number of seconds")
        if not 0 <= seconds <= _MAX_ADVANCE:
            bad(f"'advance' must be between 0 and {_MAX_ADVANCE} seconds")
    else:
        seconds = (read_time("set", fields["set"]) - sim.clock()).total_seconds()
        if seconds < 0:
            raise Reject(409, _CONFLICT, "'set' must not move the clock back")
    sim.advance(seconds)
    return _clock(api, request, params)


def _inbounds(api: ControlApi, request: HttpRequest, params: tuple[str, ...]) -> HttpResponse:
    return json_response(200, api.simulator.inbounds())


def _inject(api: ControlApi, request: HttpRequest, params: tuple[str, ...]) -> HttpResponse:
    fields = load_object(request.body)
    _only(fields, _INBOUND_FIELDS)
    kind = fields.get("type", "mo_text")
    text = read_str("body", fields.get("body"))
    body: str | bytes = text
    udh: bytes | None = None
    if kind == "mo_binary":
        try:
            body = base64.b64decode(text, validate=True)
            udh = bytes.fromhex(_optional_str(fields, "udh") or "")
        except (binascii.Error, ValueError):
            bad("'body' must be base64 and 'udh' hex for an mo_binary")
    elif kind != "mo_text":
        bad("'type' must be 'mo_text' or 'mo_binary'")
    elif "udh" in fields:
        bad("'udh' is for an mo_binary only")
    sent_at = fields.get("sent_at")
    try:
        inbound_id = api.simulator.inject_inbound(
            sender=read_str("from", fields.get("from")),
            recipient=read_str("to", fields.get("to")),
            body=body,
            udh=udh,
            keyword=_optional_str(fields, "keyword"),
            operator_id=_optional_str(fields, "operator_id"),
            sent_at=None if sent_at is None else read_time("sent_at", sent_at),
            client_reference=_optional_str(fields, "client_reference"),
        )
    except ValueError as exc:
        bad(str(exc).replace("sender:", "'from':").replace("recipient:", "'to':"))
    return json_response(201, next(m for m in api.simulator.inbounds() if m["id"] == inbound_id))


def _fail(api: ControlApi, request: HttpRequest, params: tuple[str, ...]) -> HttpResponse:
    fields = load_object(request.body) if request.body else {}
    _only(fields, frozenset({"code"}))
    code = read_int("code", fields.get("code", _FAILED_CODE), 0, _MAX_CODE)
    batch_id, recipient = params
    return _force(lambda: api.simulator.fail_recipient(batch_id, recipient, code=code))


def _expire(api: ControlApi, request: HttpRequest, params: tuple[str, ...]) -> HttpResponse:
    batch_id, recipient = params
    return _force(lambda: api.simulator.expire_recipient(batch_id, recipient))


def _force(change: Callable[[], None]) -> HttpResponse:
    try:
        change()
    except KeyError:
        raise Reject(404, _NOT_FOUND, "no such batch, or not one of its recipients") from None
    except ValueError as exc:
        raise Reject(409, _CONFLICT, str(exc)) from None
    return HttpResponse(status=204)


def _requests(api: ControlApi, request: HttpRequest, params: tuple[str, ...]) -> HttpResponse:
    return json_response(200, [_logged(r) for r in api.simulator.requests()])


def _callbacks(api: ControlApi, request: HttpRequest, params: tuple[str, ...]) -> HttpResponse:
    return json_response(
        200, [{"url": d.url, "status": d.status, "error": d.error} for d in api.deliveries()]
    )


def _logged(request: HttpRequest) -> dict[str, object]:
    """One request of the log as JSON, with only the scheme of the credentials."""
    path, query = split_url(request.url)
    headers: dict[str, str] = {}
    for name, value in request.headers:
        shown = (
            value.partition(" ")[0] + " <redacted>" if name.lower() == "authorization" else value
        )
        headers[name.lower()] = shown
    body: object = None
    if request.body is not None:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = request.body.decode("utf-8", "replace")
    return {
        "method": request.method,
        "path": path,
        "query": query,
        "headers": headers,
        "body": body,
    }


# Routes below the control path; "*" is one segment. First match wins.
_ROUTES: tuple[tuple[tuple[str, ...], Mapping[str, _Route]], ...] = (
    ((), {"GET": _status}),
    (("clock",), {"GET": _clock, "POST": _move_clock}),
    (("inbounds",), {"GET": _inbounds, "POST": _inject}),
    (("batches", "*", "recipients", "*", "fail"), {"POST": _fail}),
    (("batches", "*", "recipients", "*", "expire"), {"POST": _expire}),
    (("requests",), {"GET": _requests}),
    (("callbacks",), {"GET": _callbacks}),
)
