"""Routing, authentication, status rules, clocks and ids of the simulator."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.simulator._helpers import AUTH, BASE, JSON, ORIGIN, Api, request
from transports.simulator._core import ManualClock, Simulator
from xms_core import HttpRequest

UTC = timezone.utc


def test_manual_clock_starts_at_2026_and_moves_only_when_told() -> None:
    clock = ManualClock()
    assert clock() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.advance(1.5)
    assert clock() == datetime(2026, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)
    clock.set(datetime(2030, 5, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    assert clock() == datetime(2030, 5, 1, 10, tzinfo=UTC)
    assert clock().tzinfo == UTC
    assert ManualClock(datetime(2020, 1, 1, tzinfo=UTC))() == datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="negative"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2030, 1, 1))  # noqa: DTZ001 - the point of the test


def test_advance_needs_a_manual_clock() -> None:
    sim = Simulator(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(TypeError, match="ManualClock"):
        sim.advance(1)
    clock = ManualClock()
    sim = Simulator(clock=clock)
    sim.advance(10)
    assert clock() == datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)
    assert isinstance(Simulator().clock, ManualClock)


def test_negative_delays_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Simulator(dispatch_after=-1)


@pytest.mark.parametrize(
    "headers",
    [
        (),
        (("authorization", "Bearer wrong"),),
        (("authorization", "Basic token"),),
        (("authorization", "token"),),
    ],
)
def test_bad_credentials_are_401_with_no_body(headers: tuple[tuple[str, str], ...]) -> None:
    sim = Simulator()
    response = sim.handle(request("GET", "batches", headers=headers))
    assert response.status == 401
    assert response.body == b""
    assert response.header("content-type") is None


def test_wrong_plan_is_401_and_custom_credentials_work() -> None:
    sim = Simulator(service_plan_id="my plan", token="s3cret")
    headers = (("authorization", "Bearer s3cret"),)
    assert sim.handle(request("GET", "batches", headers=headers)).status == 401
    url = f"{ORIGIN}/xms/v1/my%20plan/batches"
    assert sim.handle(HttpRequest(method="GET", url=url, headers=headers)).status == 200
    lower = (("authorization", "bearer s3cret"),)
    assert sim.handle(HttpRequest(method="GET", url=url, headers=lower)).status == 200


@pytest.mark.parametrize(
    "url",
    [
        f"{ORIGIN}/",
        f"{ORIGIN}/xms/v2/plan/batches",
        f"{ORIGIN}/xms/v1",
        f"{BASE}",
        f"{BASE}/",
        f"{BASE}/nothing",
        f"{BASE}/batches/x/y/z/w/v",
        f"{BASE}/batches/x/unknown",
        f"{BASE}/groups/x/delivery_report",
        "http://[::1",
    ],
)
def test_unknown_paths_are_404(url: str) -> None:
    response = Simulator().handle(HttpRequest(method="GET", url=url, headers=(AUTH,)))
    assert response.status == 404
    assert response.body == b""


@pytest.mark.parametrize(
    ("path", "method", "allowed"),
    [
        ("batches", "DELETE", "GET, POST"),
        ("batches/dry_run", "GET", "POST"),
        ("batches/x", "PATCH", "GET, PUT, POST, DELETE"),
        ("batches/x/tags", "DELETE", "GET, PUT, POST"),
        ("batches/x/delivery_report", "POST", "GET"),
        ("batches/x/delivery_report/123", "DELETE", "GET"),
        ("batches/x/delivery_feedback", "GET", "POST"),
        ("delivery_reports", "POST", "GET"),
        ("groups", "PUT", "GET, POST"),
        ("groups/x", "PATCH", "GET, PUT, POST, DELETE"),
        ("groups/x/members", "POST", "GET"),
        ("groups/x/tags", "DELETE", "GET, PUT, POST"),
        ("inbounds", "POST", "GET"),
        ("inbounds/x", "DELETE", "GET"),
    ],
)
def test_wrong_method_is_405_with_allow(path: str, method: str, allowed: str) -> None:
    response = Simulator().handle(request(method, path))
    assert response.status == 405
    assert response.header("allow") == allowed


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/jsonx"])
def test_body_without_json_content_type_is_415(content_type: str | None) -> None:
    headers = (AUTH,) if content_type is None else (AUTH, ("content-type", content_type))
    body = json.dumps({"to": ["+46701234567"], "body": "x"}).encode()
    for method, path in [("POST", "batches"), ("PUT", "groups/x"), ("POST", "groups")]:
        response = Simulator().handle(request(method, path, raw=body, headers=headers))
        assert response.status == 415


def test_json_content_type_with_parameters_is_accepted() -> None:
    api = Api()
    headers = (AUTH, ("content-type", "Application/JSON; charset=utf-8"))
    body = json.dumps({"to": ["+46701234567"], "body": "x"}).encode()
    assert api.status("POST", "batches", raw=body, headers=headers) == 201


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"{",
        b"[1, 2]",
        b'"text"',
        b"null",
        b"\xff\xfe{}",
        b'{"body": NaN}',
        b'{"x": 1e999}',
        b'{"x": "\\ud800"}',
        b"[" * 100_000,
        b'{"x": ' + b"9" * 5000 + b"}",
        "\ufeff{}".encode(),
    ],
)
def test_bodies_that_are_not_json_objects_are_400_invalid_json(raw: bytes | None) -> None:
    api = Api()
    headers = (AUTH, JSON)
    assert api.error("POST", "batches", raw=raw, headers=headers) == "syntax_invalid_json"


@pytest.mark.parametrize(
    ("base_path", "base"),
    [
        ("", f"{ORIGIN}/v1/plan"),
        ("/my/base/path", f"{ORIGIN}/my/base/path/v1/plan"),
        ("/v1/xms/", f"{ORIGIN}/v1/xms/v1/plan"),
        ("/xms", "/xms/v1/plan"),
    ],
)
def test_a_configured_base_path_works(base_path: str, base: str) -> None:
    api = Api(Simulator(base_path=base_path))
    created = api.ok(
        "POST", "batches", {"to": ["+46701234567"], "body": "x"}, status=201, base=base
    )
    assert api.ok("GET", f"batches/{created['id']}", base=base) == created


@pytest.mark.parametrize(
    "url",
    [
        f"{ORIGIN}/xms/v1/v1/plan/batches",  # an endpoint configured with a trailing /v1
        f"{ORIGIN}/xms/xms/v1/plan/batches",
        f"{ORIGIN}/v1/plan/batches",
        f"{ORIGIN}/xms//v1/plan/batches",
        f"{ORIGIN}/api/xms/v1/plan/batches",
        f"{ORIGIN}/XMS/v1/plan/batches",
    ],
)
def test_a_wrong_base_path_is_404_whatever_the_credentials(url: str) -> None:
    sim = Simulator()
    for headers in [(AUTH,), (), (("authorization", "Bearer wrong"),)]:
        response = sim.handle(HttpRequest(method="GET", url=url, headers=headers))
        assert response.status == 404
    assert (
        sim.handle(HttpRequest(method="GET", url=f"{BASE}/batches", headers=(AUTH,))).status == 200
    )


def test_an_unknown_resource_is_404_and_a_known_one_401_without_credentials() -> None:
    sim = Simulator()
    assert sim.handle(request("GET", "nothing", headers=())).status == 404
    assert sim.handle(request("GET", "batches", headers=())).status == 401
    assert sim.handle(request("GET", "batches/x/tags", headers=())).status == 401


@pytest.mark.parametrize("base_path", ["xms", "/xms?x=1"])
def test_a_base_path_must_be_a_path(base_path: str) -> None:
    with pytest.raises(ValueError, match="base_path"):
        Simulator(base_path=base_path)


def test_ids_in_paths_are_percent_decoded() -> None:
    api = Api()
    batch = api.create()
    assert api.ok("GET", "batches/" + "".join(f"%{ord(c):02X}" for c in batch["id"])) == batch
    assert api.status("GET", "batches/no%20such%2Fbatch") == 404
    assert api.status("GET", "batches/%ZZ") == 404


def test_every_request_is_recorded_in_order() -> None:
    api = Api()
    api.call("GET", "batches")
    api.call("GET", "nothing")
    api.call("POST", "batches", {"bad": True})
    seen = api.sim.requests()
    assert [r.url.rsplit("/", 1)[1] for r in seen] == ["batches", "nothing", "batches"]
    assert seen[2].method == "POST"
    seen.clear()
    assert len(api.sim.requests()) == 3


def test_ids_are_url_safe_unique_and_deterministic() -> None:
    def ids(seed: int) -> list[str]:
        api = Api(seed=seed)
        out = [api.create()["id"] for _ in range(20)]
        out += [api.group()["id"] for _ in range(20)]
        out += [
            api.sim.inject_inbound(sender="+46701234567", recipient="12345", body="x")
            for _ in range(5)
        ]
        return out

    first = ids(0)
    assert len(set(first)) == len(first)
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{15}", i) for i in first)
    assert ids(0) == first
    assert set(ids(1)).isdisjoint(first)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-01-02T10:00:00Z", "2026-01-02T10:00:00.000Z"),
        ("2026-01-02T10:00:00.123456789Z", "2026-01-02T10:00:00.123Z"),
        ("2026-01-02T10:00:00", "2026-01-02T10:00:00.000Z"),
        ("2026-01-02T12:00:00+02:00", "2026-01-02T10:00:00.000Z"),
        ("2026-01-02T05:30-0430", "2026-01-02T10:00:00.000Z"),
        ("2026-01-02 10:00:00.5+00", "2026-01-02T10:00:00.500Z"),
        ("2026-01-02T10:00Z", "2026-01-02T10:00:00.000Z"),
        ("2026-01-02", "2026-01-02T00:00:00.000Z"),
        ("20260102T100000Z", "2026-01-02T10:00:00.000Z"),
        ("20260102TZ", "2026-01-02T00:00:00.000Z"),
    ],
)
def test_timestamps_accept_iso_8601_and_answer_utc_millis(given: str, stored: str) -> None:
    batch = Api().create(send_at=given)
    assert batch["send_at"] == stored
    assert batch["created_at"] == "2026-01-01T00:00:00.000Z"


@pytest.mark.parametrize(
    "given",
    ["", "tomorrow", "2026-13-01", "2026-01-02T25:00Z", "2026-01-02T10:00+24:00", "0001-01-01", 5],
)
def test_malformed_timestamps_are_400(given: object) -> None:
    assert Api().error(
        "POST", "batches", {"to": ["+46701234567"], "body": "x", "send_at": given}
    ) == ("syntax_constraint_violation")


def test_clock_readings_are_truncated_to_milliseconds() -> None:
    sim = Simulator(clock=lambda: datetime(2026, 3, 1, 8, 0, 0, 123987, tzinfo=UTC))
    batch = Api(sim).create()
    assert batch["created_at"] == "2026-03-01T08:00:00.123Z"


def test_a_naive_clock_is_read_as_utc() -> None:
    sim = Simulator(clock=lambda: datetime(2026, 3, 1, 8))  # noqa: DTZ001 - the point of the test
    assert Api(sim).create()["created_at"] == "2026-03-01T08:00:00.000Z"


def test_a_bug_answers_500_instead_of_raising() -> None:
    readings = [datetime(2026, 1, 1, tzinfo=UTC)]

    def clock() -> datetime:
        if not readings:
            raise RuntimeError("broken clock")
        return readings.pop()

    sim = Simulator(clock=clock)
    response = sim.handle(request("GET", "batches"))
    assert response.status == 500
    assert json.loads(response.body)["code"] == "internal_error"


def test_reprs_show_no_token() -> None:
    sim = Simulator(token="very-secret")
    Api(sim).call("GET", "batches")
    assert "very-secret" not in repr(sim)
    assert repr(sim) == "Simulator(service_plan_id='plan', batches=0, groups=0, inbounds=0)"
    assert repr(ManualClock()) == "ManualClock(2026-01-01T00:00:00+00:00)"
