"""What exactly-once sending relies on in the simulator: listing windows, reference filters,
the create-then-drop and 429 chaos, and templates that cost linear time in recipients."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.simulator._helpers import Api
from transports import Client
from transports.simulator import (
    CreateChaos,
    ManualClock,
    Simulator,
    SimulatorServer,
    _sim_delivery,
    serve,
)
from xms_core import ConnectionLostException, RetryPolicy, UnexpectedResponseException
from xms_core.api import MtBatchTextSmsCreate


def test_listing_never_reaches_back_more_than_14_days() -> None:
    clock = ManualClock()
    api = Api(clock=clock)
    old = api.ok("POST", "batches", {"to": ["+46701234567"], "body": "old"}, status=201)
    clock.advance(13 * 86400)
    mid = api.ok("POST", "batches", {"to": ["+46701234567"], "body": "mid"}, status=201)
    clock.advance(2 * 86400)

    def listed(query: str) -> list[str]:
        return [b["id"] for b in api.ok("GET", "batches", query=query)["batches"]]

    assert listed("") == []  # only the last 24 h by default
    assert listed("start_date=2025-01-01") == [mid["id"]]  # the older one is past retention
    assert old["id"] not in listed("start_date=2025-01-01")


def test_client_reference_filters_exactly() -> None:
    api = Api()
    for reference in ("c/chunk-000001", "c/chunk-000010", None):
        body: dict[str, object] = {"to": ["+46701234567"], "body": "x"}
        if reference is not None:
            body["client_reference"] = reference
        api.ok("POST", "batches", body, status=201)
    found = api.ok("GET", "batches", query="client_reference=c%2Fchunk-000001")["batches"]
    assert [b["client_reference"] for b in found] == ["c/chunk-000001"]
    assert api.ok("GET", "batches", query="client_reference=c%2Fchunk")["count"] == 0


@pytest.fixture
def served() -> Iterator[tuple[Simulator, SimulatorServer]]:
    sim = Simulator(service_plan_id="plan", token="token")
    with serve(sim.handle) as server:
        yield sim, server


def test_drop_after_create_creates_then_closes_unanswered(
    served: tuple[Simulator, SimulatorServer],
) -> None:
    sim, server = served
    server.set_chaos(CreateChaos(drop_after_create=1.0, seed=1))
    with Client("plan", "token", server.url, retry=RetryPolicy.off()) as client:
        with pytest.raises(ConnectionLostException):
            client.create_text_message("1", "+46701234567", "x")
        assert sim.batch_count == 1  # created, though no answer came
        assert len(list(client.fetch_batches().items())) == 1  # reads are untouched
    assert server.chaos_counts == {"drop": 1, "throttle": 0}


def test_throttled_creates_are_refused_and_not_created(
    served: tuple[Simulator, SimulatorServer],
) -> None:
    sim, server = served
    server.set_chaos(CreateChaos(too_many_requests=1.0, retry_after="3"))
    with socket.create_connection((server.host, server.port)) as sock:
        body = json.dumps({"to": ["+46701234567"], "body": "x"}).encode()
        head = (
            f"POST /xms/v1/plan/batches HTTP/1.1\r\nhost: x\r\nauthorization: Bearer token\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head + body)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 429 ")
    assert b"retry-after: 3" in answer.lower()
    assert sim.batch_count == 0
    server.set_chaos(None)
    with Client("plan", "token", server.url, retry=RetryPolicy.off()) as client:
        client.create_text_message("1", "+46701234567", "x")
    assert sim.batch_count == 1


def test_chaos_draws_are_seeded_and_replayable(
    served: tuple[Simulator, SimulatorServer],
) -> None:
    _, server = served

    def draws() -> list[str]:
        server.set_chaos(CreateChaos(drop_after_create=0.3, too_many_requests=0.3, seed=7))
        return [str(server._chaos_for("POST", "/xms/v1/plan/batches")) for _ in range(50)]

    first = draws()
    assert first == draws()
    assert {"drop", "throttle", "None"} == set(first)
    assert server._chaos_for("GET", "/xms/v1/plan/batches") is None


@pytest.mark.parametrize(("drop", "throttle"), [(-0.1, 0.0), (1.5, 0.0), (0.0, 2.0), (0.6, 0.6)])
def test_chaos_fractions_are_checked(drop: float, throttle: float) -> None:
    with pytest.raises(ValueError, match="must"):
        CreateChaos(drop_after_create=drop, too_many_requests=throttle)


def test_a_429_is_an_unexpected_response_with_its_status(
    served: tuple[Simulator, SimulatorServer],
) -> None:
    _, server = served
    server.set_chaos(CreateChaos(too_many_requests=1.0))
    with (
        Client("plan", "token", server.url, retry=RetryPolicy.off()) as client,
        pytest.raises(UnexpectedResponseException) as info,
    ):
        client.create_text_message("1", "+46701234567", "x")
    assert info.value.status == 429


def test_templated_batches_cost_linear_work_in_their_recipients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The parameter map is built once per batch, not once per recipient."""
    calls = 0
    real = _sim_delivery.msisdn

    def counting(value: str) -> str | None:
        nonlocal calls
        calls += 1
        return real(value)

    monkeypatch.setattr(_sim_delivery, "msisdn", counting)
    sim = Simulator(service_plan_id="plan", token="token")
    from transports import MemoryTransport

    client = Client("plan", "token", transport=MemoryTransport(sim.handle))
    recipients = [f"+4670{i:07d}" for i in range(1000)]
    batch = MtBatchTextSmsCreate(
        recipients=recipients,
        body="Hi ${name}",
        parameters={"name": {r: f"N{i}" for i, r in enumerate(recipients)}},
    )
    result = client.create_batch_dry_run(batch, 1000)
    assert result.per_recipient[999].body == "Hi N999"
    assert calls <= 3 * len(recipients)  # it was 1000 x 1000 before
    calls = 0
    sent = client.create_batch(batch)
    report = client.fetch_delivery_report(sent.batch_id, "full")
    assert report.statuses[0].count == 1000
    assert calls <= 4 * len(recipients)


def test_the_served_simulator_takes_chaos_flags() -> None:
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-m", "transports.simulator", "--drop-after-create", "1"],
        env=os.environ | {"PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().split()[3]
        with Client("plan", "token", url, retry=RetryPolicy.off()) as client:
            with pytest.raises(ConnectionLostException):
                client.create_text_message("1", "+46701234567", "x")
            assert [b.body for b in client.fetch_batches().items()] == ["x"]
    finally:
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=10)
