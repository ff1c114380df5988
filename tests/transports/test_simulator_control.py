"""The served simulator over real HTTP on 127.0.0.1: its base path and its control API."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.adapters import PLAN, TOKEN
from tests.receivers import receiver
from transports import Client
from transports.simulator import Fault, FaultPlan, ManualClock, Simulator, SimulatorServer, serve
from xms_core import RetryPolicy, parse_callback
from xms_core.api import BatchRecipientDeliveryReport, MtBatchTextSmsCreate, ReportType
from xms_core.exceptions import NotFoundException

A = "+46701234567"
B = "+46709876543"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def call(
    server: SimulatorServer,
    method: str,
    path: str,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """One request over a fresh loopback connection: status, decoded JSON (or None), headers."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        data = None if body is None else json.dumps(body).encode()
        sent = dict(headers or {})
        if data is not None:
            sent["content-type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        answer = {k.lower(): v for k, v in response.getheaders()}
        return response.status, json.loads(raw) if raw else None, answer
    finally:
        connection.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> Simulator:
    return Simulator(service_plan_id=PLAN, token=TOKEN, clock=clock)


@pytest.fixture
def server(sim: Simulator) -> Iterator[SimulatorServer]:
    with serve(sim.handle, callbacks=sim.take_callbacks, control=sim) as running:
        yield running


@pytest.fixture
def client(server: SimulatorServer) -> Iterator[Client]:
    with Client(PLAN, TOKEN, server.url, retry=RetryPolicy.off()) as opened:
        yield opened


# --- the base path -------------------------------------------------------------------------


def test_an_endpoint_ending_in_v1_gets_the_404_xms_gives(
    server: SimulatorServer, sim: Simulator
) -> None:
    with (
        Client(PLAN, TOKEN, server.url + "/v1", retry=RetryPolicy.off()) as wrong,
        pytest.raises(NotFoundException) as info,
    ):
        wrong.create_text_message("12345", A, "never sent")
    assert info.value.url.endswith("/xms/v1/v1/plan-1/batches")
    assert sim.batch_count == 0


@pytest.mark.parametrize(
    "path",
    [
        f"/xms/v1/v1/{PLAN}/batches",
        f"/xms/xms/v1/{PLAN}/batches",
        f"/v1/{PLAN}/batches",
        f"/xms/v2/{PLAN}/batches",
        f"/xms/v1/{PLAN}/batchez",
    ],
)
def test_wrong_paths_are_404_over_http(server: SimulatorServer, path: str) -> None:
    assert call(server, "GET", path, headers=AUTH)[0] == 404
    assert call(server, "GET", f"/xms/v1/{PLAN}/batches", headers=AUTH)[0] == 200


def test_a_served_simulator_needs_the_same_base_path_and_a_separate_control_path(
    sim: Simulator,
) -> None:
    with pytest.raises(ValueError, match="differs from the simulator's"):
        serve(sim.handle, control=sim, base_path="/other").__enter__()
    with pytest.raises(ValueError, match="outside base_path"):
        serve(sim.handle, control=sim, control_path="/xms/_simulator").__enter__()
    rooted = Simulator(base_path="")
    with pytest.raises(ValueError, match="outside base_path"):
        serve(rooted.handle, control=rooted, base_path="").__enter__()
    with pytest.raises(ValueError, match="path"):
        serve(sim.handle, control=sim, control_path="/").__enter__()
    with serve(sim.handle, control=sim, control_path="/ctl/") as moved:
        assert call(moved, "GET", "/ctl")[0] == 200
        assert call(moved, "GET", "/_simulator")[0] == 404


# --- the control API is apart from XMS -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/xms/_simulator",
        "/xms/_simulator/clock",
        f"/xms/v1/{PLAN}/_simulator/clock",
        "/xms/v1/_simulator/clock",
    ],
)
def test_the_control_api_is_not_reachable_under_the_xms_prefix(
    server: SimulatorServer, sim: Simulator, path: str
) -> None:
    for method in ("GET", "POST"):
        status, _, _ = call(server, method, path, {"advance": 60}, headers=AUTH)
        assert status == 404
    assert sim.clock() == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_xms_is_not_reachable_under_the_control_prefix(
    server: SimulatorServer, sim: Simulator
) -> None:
    status, body, _ = call(server, "GET", f"/_simulator/v1/{PLAN}/batches", headers=AUTH)
    assert (status, body) == (404, {"code": "not_found", "text": "no such control route"})
    assert sim.requests() == []  # control requests never reach the XMS handler


def test_without_control_there_is_no_control_api(sim: Simulator) -> None:
    with serve(sim.handle) as plain:
        assert plain.control is None
        assert call(plain, "GET", "/_simulator")[0] == 404


def test_control_requests_are_never_spoiled_by_faults(server: SimulatorServer) -> None:
    server.inject(FaultPlan(fault=Fault.CLOSE_BEFORE_ANSWER, count=5))
    assert call(server, "GET", "/_simulator/clock")[0] == 200
    server.clear_faults()


def test_wrong_methods_and_routes(server: SimulatorServer) -> None:
    status, _, headers = call(server, "DELETE", "/_simulator/clock")
    assert (status, headers["allow"]) == (405, "GET, POST")
    assert call(server, "GET", "/_simulator/nothing")[0] == 404
    assert call(server, "GET", "/_simulator/")[0] == 404


# --- status, clock -------------------------------------------------------------------------


def test_status_says_what_is_served(server: SimulatorServer, client: Client) -> None:
    client.create_text_message("12345", A, "hi")
    status, body, headers = call(server, "GET", "/_simulator")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert body == {
        "service_plan_id": PLAN,
        "base_path": "/xms",
        "now": "2026-01-01T00:00:00.000Z",
        "manual_clock": True,
        "batches": 1,
        "groups": 0,
        "inbounds": 0,
        "requests": 1,
        "callbacks": {"sent": 0, "not_sent": 0},
    }


def test_advancing_the_clock_delivers_and_posts_callbacks(
    server: SimulatorServer, client: Client
) -> None:
    with receiver() as (url, bodies):
        batch = client.create_batch(
            MtBatchTextSmsCreate(
                recipients=[A, B],
                body="hi",
                delivery_report=ReportType.PER_RECIPIENT,
                callback_url=url,
            )
        )
        fail = f"/_simulator/batches/{batch.batch_id}/recipients/{B}/fail"
        assert call(server, "POST", fail, {"code": 12})[0] == 204
        assert client.fetch_delivery_report(batch.batch_id).statuses[0].status == "Queued"
        status, body, _ = call(server, "POST", "/_simulator/clock", {"advance": 10})
        assert (status, body) == (200, {"now": "2026-01-01T00:00:10.000Z", "manual": True})
        server.deliver_callbacks()  # whatever the background thread has not sent yet
        report = client.fetch_delivery_report(batch.batch_id, kind=ReportType.FULL)
    assert {(s.status, s.code) for s in report.statuses} == {("Delivered", 0), ("Failed", 12)}
    seen = {(r.recipient, r.status) for r in map(parse_callback, bodies)}
    assert seen == {(A, "Dispatched"), (A, "Delivered"), (B, "Dispatched"), (B, "Failed")}
    assert all(isinstance(parse_callback(b), BatchRecipientDeliveryReport) for b in bodies)
    status, logged, _ = call(server, "GET", "/_simulator/callbacks")
    assert status == 200
    assert logged == [{"url": url, "status": 204, "error": None}] * 4
    assert call(server, "GET", "/_simulator")[1]["callbacks"] == {"sent": 4, "not_sent": 0}


def test_the_clock_can_be_set_forward_but_not_back(server: SimulatorServer) -> None:
    status, body, _ = call(
        server, "POST", "/_simulator/clock", {"set": "2026-01-02T10:00:00+02:00"}
    )
    assert (status, body) == (200, {"now": "2026-01-02T08:00:00.000Z", "manual": True})
    status, body, _ = call(server, "POST", "/_simulator/clock", {"set": "2026-01-01T00:00:00Z"})
    assert status == 409
    assert body == {"code": "conflict", "text": "'set' must not move the clock back"}
    assert call(server, "GET", "/_simulator/clock")[1] == {
        "now": "2026-01-02T08:00:00.000Z",
        "manual": True,
    }


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({}, "exactly one of 'advance'"),
        ({"advance": 1, "set": "2026-02-01"}, "exactly one of 'advance'"),
        ({"forward": 1}, "exactly one of 'advance'"),
        ({"advance": "10"}, "'advance' must be a number"),
        ({"advance": True}, "'advance' must be a number"),
        ({"advance": -1}, "'advance' must be between 0"),
        ({"set": "tomorrow"}, "'set' is not an ISO-8601"),
    ],
)
def test_bad_clock_moves_are_400_naming_the_field(
    server: SimulatorServer, sim: Simulator, body: object, text: str
) -> None:
    status, answer, _ = call(server, "POST", "/_simulator/clock", body)
    assert status == 400
    assert answer["code"] == "syntax_constraint_violation"
    assert text in answer["text"]
    assert sim.clock() == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_a_real_clock_cannot_be_moved() -> None:
    def real() -> datetime:
        return datetime(2026, 5, 1, tzinfo=timezone.utc)

    sim = Simulator(service_plan_id=PLAN, token=TOKEN, clock=real)
    with serve(sim.handle, control=sim) as server:
        status, body, _ = call(server, "POST", "/_simulator/clock", {"advance": 1})
        assert status == 409
        assert "--clock manual" in body["text"]
        assert call(server, "GET", "/_simulator/clock")[1] == {
            "now": "2026-05-01T00:00:00.000Z",
            "manual": False,
        }


# --- inbounds ------------------------------------------------------------------------------


def test_an_injected_inbound_is_seen_through_xms(server: SimulatorServer, client: Client) -> None:
    status, created, _ = call(
        server,
        "POST",
        "/_simulator/inbounds",
        {"from": A, "to": "12345", "body": "STOP", "operator_id": "24001"},
    )
    assert status == 201
    assert created["type"] == "mo_text"
    assert (created["from"], created["to"], created["body"]) == (A, "12345", "STOP")
    inbound = client.fetch_inbound(created["id"])
    assert (inbound.sender, inbound.recipient, inbound.body) == (A, "12345", "STOP")
    assert inbound.operator == "24001"
    assert call(server, "GET", "/_simulator/inbounds")[1] == [created]


def test_a_binary_inbound_takes_base64_and_hex(server: SimulatorServer, client: Client) -> None:
    body = {"type": "mo_binary", "from": A, "to": "12345", "body": "AAEC", "udh": "050003"}
    status, created, _ = call(server, "POST", "/_simulator/inbounds", body)
    assert status == 201
    inbound = client.fetch_inbound(created["id"])
    assert (inbound.body, inbound.udh) == (b"\x00\x01\x02", b"\x05\x00\x03")


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"to": "12345", "body": "x"}, "'from' must be a string"),
        ({"from": A, "body": "x"}, "'to' must be a string"),
        ({"from": A, "to": "12345"}, "'body' must be a string"),
        ({"from": "", "to": "12345", "body": "x"}, "'from'"),
        ({"from": A, "to": "12345", "body": "x", "colour": "red"}, "unknown field 'colour'"),
        ({"from": A, "to": "12345", "body": "x", "type": "mo_media"}, "'type' must be"),
        ({"from": A, "to": "12345", "body": "x", "udh": "00"}, "'udh' is for an mo_binary"),
        ({"type": "mo_binary", "from": A, "to": "1", "body": "!!"}, "'body' must be base64"),
        ({"type": "mo_binary", "from": A, "to": "1", "body": "AA==", "udh": "zz"}, "'udh' hex"),
        ({"from": A, "to": "12345", "body": "x", "sent_at": "soon"}, "'sent_at'"),
    ],
)
def test_a_bad_inbound_is_400_naming_the_field_and_stores_nothing(
    server: SimulatorServer, sim: Simulator, body: object, text: str
) -> None:
    status, answer, _ = call(server, "POST", "/_simulator/inbounds", body)
    assert status == 400
    assert text in answer["text"]
    assert sim.inbounds() == []


def test_a_body_that_is_not_a_json_object_is_400(server: SimulatorServer) -> None:
    status, answer, _ = call(server, "POST", "/_simulator/inbounds", [1, 2])
    assert (status, answer["code"]) == (400, "syntax_invalid_json")


# --- failing and expiring recipients -------------------------------------------------------


def test_expire_and_the_errors_of_fail_and_expire(server: SimulatorServer, client: Client) -> None:
    batch = client.create_text_message("12345", A, "hi")
    base = f"/_simulator/batches/{batch.batch_id}/recipients"
    assert call(server, "POST", f"{base}/%2B46701234567/expire")[0] == 204
    call(server, "POST", "/_simulator/clock", {"advance": 10})
    report = client.fetch_recipient_delivery_report(batch.batch_id, A)
    assert (report.status, report.code) == ("Expired", 406)
    status, body, _ = call(server, "POST", f"{base}/{A}/fail")
    assert status == 409
    assert "already Expired" in body["text"]
    assert call(server, "POST", f"{base}/{B}/fail")[0] == 404
    assert call(server, "POST", f"/_simulator/batches/nope/recipients/{A}/expire")[0] == 404
    status, body, _ = call(server, "POST", f"{base}/{A}/fail", {"code": "x"})
    assert (status, "'code' must be an integer" in body["text"]) == (400, True)
    assert call(server, "POST", f"{base}/{A}/fail", {"cod": 1})[0] == 400


# --- the request log -----------------------------------------------------------------------


def test_the_request_log_shows_xms_requests_without_the_token(
    server: SimulatorServer, client: Client
) -> None:
    batch = client.create_text_message("12345", A, "hi")
    client.fetch_batch(batch.batch_id)
    call(server, "GET", "/_simulator/clock")
    status, log, _ = call(server, "GET", "/_simulator/requests")
    assert status == 200
    assert TOKEN not in json.dumps(log)
    assert [(r["method"], r["path"]) for r in log] == [
        ("POST", f"/xms/v1/{PLAN}/batches"),
        ("GET", f"/xms/v1/{PLAN}/batches/{batch.batch_id}"),
    ]
    first = log[0]
    assert first["headers"]["authorization"] == "Bearer <redacted>"
    assert first["body"] == {"type": "mt_text", "from": "12345", "to": [A], "body": "hi"}
    assert first["query"] == ""
    assert log[1]["body"] is None


def test_a_body_that_is_not_json_is_logged_as_text(server: SimulatorServer) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request(
            "POST", f"/xms/v1/{PLAN}/batches?x=1", body=b"\xffnot json", headers=AUTH
        )
        assert connection.getresponse().status == 415
    finally:
        connection.close()
    log = call(server, "GET", "/_simulator/requests")[1]
    assert log[0]["body"] == "\ufffdnot json"
    assert log[0]["query"] == "x=1"
