"""End to end: the served simulator posts signed DR and MO callbacks to the WSGI and ASGI receivers.

Everything runs on 127.0.0.1: the simulator's h11 server, the receiver (wsgiref or
uvicorn) and the client. The simulator runs on a `ManualClock`, and the receivers
read the same clock, so freshness and retries are exact and nothing waits. The
two command-line entry points run in real time (a few seconds) in a subprocess.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.adapters import PLAN, TOKEN
from tests.receivers import KINDS, post, serving, wsgi_serving
from transports import Client
from transports.callbacks import asgi_app, wsgi_app
from transports.simulator import ManualClock, Simulator, SimulatorServer
from xms_core import Callback, HttpRequest
from xms_core.api import BatchRecipientDeliveryReport, MoTextSms, MtBatchTextSmsCreate, ReportType

SECRET = "plan-callback-secret-5b2f"
REPO = Path(__file__).resolve().parent.parent
A = "+46701234567"


class Nonces:
    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def remember(self, nonce: str, *, now: float, until: float) -> bool:
        with self.lock:
            if nonce in self.seen:
                return False
            self.seen.add(nonce)
            return True


class Inbox:
    """A handler that keeps every callback; it can be told to fail the next ones."""

    def __init__(self) -> None:
        self.events: list[Callback] = []
        self.failures_left = 0
        self.lock = threading.Lock()

    def __call__(self, event: Callback) -> None:
        with self.lock:
            if self.failures_left:
                self.failures_left -= 1
                raise RuntimeError("the receiver's database is down")
            self.events.append(event)

    def summary(self) -> list[tuple[str, str]]:
        out = []
        for event in self.events:
            if isinstance(event, BatchRecipientDeliveryReport):
                out.append(("dr", event.status))
            elif isinstance(event, MoTextSms):
                out.append(("mo", event.body))
        return sorted(out)


@contextmanager
def served(simulator: Simulator, taken: list[HttpRequest]) -> Iterator[SimulatorServer]:
    """Serve `simulator`; callbacks go out when the test calls `deliver_callbacks()`."""

    def take() -> list[HttpRequest]:
        due = simulator.take_callbacks()
        taken.extend(due)
        return due

    server = SimulatorServer(
        simulator.handle,
        callbacks=take,
        callback_answered=simulator.callback_answered,
        callback_interval=3600,  # no background rounds: the test delivers, so order is exact
    )
    try:
        yield server
    finally:
        server.stop()


def send_with_reports(client: Client, callback_url: str) -> None:
    """Send one SMS whose per-recipient delivery reports go to `callback_url`."""
    client.create_batch(
        MtBatchTextSmsCreate(
            recipients=[A],
            body="hi",
            delivery_report=ReportType.PER_RECIPIENT,
            callback_url=callback_url,
        )
    )


def receiver_factory(
    clock: ManualClock, inbox: Inbox, nonces: Nonces, *, secret: str, skew: float = 0
) -> Callable[[str], Any]:
    def factory(kind: str) -> Any:
        make = wsgi_app if kind == "wsgi" else asgi_app
        return make(
            inbox, secret=secret, seen_nonces=nonces, clock=lambda: clock().timestamp() + skew
        )

    return factory


def send_and_receive(
    kind: str, *, secret: str, skew: float = 0
) -> tuple[Inbox, list[int | None], list[HttpRequest], Simulator, str]:
    clock = ManualClock()
    inbox, nonces, taken = Inbox(), Nonces(), []
    factory = receiver_factory(clock, inbox, nonces, secret=secret, skew=skew)
    with serving(kind, factory) as url:
        simulator = Simulator(
            service_plan_id=PLAN,
            token=TOKEN,
            clock=clock,
            callback_secret=SECRET,
            mo_callback_url=url + "/mo",
        )
        with served(simulator, taken) as server, Client(PLAN, TOKEN, server.url) as client:
            send_with_reports(client, url + "/dlr")
            simulator.inject_inbound(sender=A, recipient="12345", body="STOP")
            clock.advance(3)
            statuses = [d.status for d in server.deliver_callbacks()]
            clock.advance(86_400)  # anything to retry would be due by now
            statuses += [d.status for d in server.deliver_callbacks()]
    return inbox, statuses, taken, simulator, url


@pytest.mark.parametrize("kind", KINDS)
def test_signed_dr_and_mo_callbacks_are_accepted_with_the_right_secret(kind: str) -> None:
    inbox, statuses, taken, simulator, _ = send_and_receive(kind, secret=SECRET)
    assert statuses == [204, 204, 204]
    assert inbox.summary() == [("dr", "Delivered"), ("dr", "Dispatched"), ("mo", "STOP")]
    assert [c.url.rsplit("/", 1)[1] for c in taken] == ["mo", "dlr", "dlr"]
    assert all(c.header("x-sinch-webhook-signature") for c in taken)
    assert simulator.dropped_callbacks() == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_secret_is_refused_and_xms_drops_the_callbacks(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "xms.callbacks"):
        inbox, statuses, taken, simulator, _ = send_and_receive(kind, secret="not-" + SECRET)
    assert statuses == [401, 401, 401]  # and nothing retried a day later
    assert inbox.events == []
    assert simulator.dropped_callbacks() == taken
    assert caplog.text.count("bad_signature") == 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_receiver_whose_clock_is_ahead_refuses_stale_callbacks(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "xms.callbacks"):
        inbox, statuses, _, _, _ = send_and_receive(kind, secret=SECRET, skew=301)
    assert statuses == [401, 401, 401]
    assert inbox.events == []
    assert caplog.text.count("stale_timestamp") == 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_replayed_callback_is_refused(kind: str) -> None:
    clock = ManualClock()
    inbox, nonces, taken = Inbox(), Nonces(), []
    with serving(kind, receiver_factory(clock, inbox, nonces, secret=SECRET)) as url:
        simulator = Simulator(clock=clock, callback_secret=SECRET, mo_callback_url=url)
        with served(simulator, taken) as server:
            simulator.inject_inbound(sender=A, recipient="12345", body="STOP")
            assert [d.status for d in server.deliver_callbacks()] == [204]
        (original,) = taken
        assert original.body is not None
        clock.advance(10)  # still inside the window: only the nonce gives it away
        status, answer, _ = post(url, original.body, dict(original.headers))
    assert (status, answer) == (401, b"callback refused: replayed_nonce\n")
    assert inbox.summary() == [("mo", "STOP")]


@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_handler_gets_the_callback_again_5_s_later(kind: str) -> None:
    clock = ManualClock()
    inbox, nonces, taken = Inbox(), Nonces(), []
    inbox.failures_left = 2
    with serving(kind, receiver_factory(clock, inbox, nonces, secret=SECRET)) as url:
        simulator = Simulator(clock=clock, callback_secret=SECRET, mo_callback_url=url)
        with served(simulator, taken) as server:
            simulator.inject_inbound(sender=A, recipient="12345", body="STOP")
            assert [d.status for d in server.deliver_callbacks()] == [500]
            clock.advance(4.999)
            assert server.deliver_callbacks() == []
            clock.advance(0.001)
            assert [d.status for d in server.deliver_callbacks()] == [500]
            clock.advance(5)  # 10 s after the first failure
            assert [d.status for d in server.deliver_callbacks()] == [204]
            clock.advance(86_400)
            assert server.deliver_callbacks() == []
    assert inbox.summary() == [("mo", "STOP")]
    assert len({c.header("x-sinch-webhook-signature-nonce") for c in taken}) == 3


# --------------------------------------------------------------------------------------
# The command-line entry points, in real time


ENTRY_POINTS = {
    "xms simulate": [sys.executable, "-m", "transports.cli", "simulate"],
    "python -m transports.simulator": [sys.executable, "-m", "transports.simulator"],
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_the_command_line_simulator_signs_callbacks(entry: str) -> None:
    inbox, nonces = Inbox(), Nonces()
    app = wsgi_app(inbox, secret=SECRET, seen_nonces=nonces)
    with wsgi_serving(app) as url:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("XMS_")}
        environ |= {"PYTHONPATH": str(REPO), "XMS_CALLBACK_SECRET": SECRET}
        argv = [*ENTRY_POINTS[entry], "--port", "0", "--mo-callback-url", url + "/mo"]
        argv += ["--service-plan-id", PLAN, "--token", TOKEN]
        if entry != "xms simulate":  # the CLI reads the secret from XMS_CALLBACK_SECRET
            argv += ["--callback-secret", SECRET]
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            endpoint = first.split()[3]
            with Client(PLAN, TOKEN, endpoint) as client:
                send_with_reports(client, url + "/dlr")
            deadline = time.monotonic() + 60  # dispatch after 1 s, delivery 2 s later
            while len(inbox.events) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
    assert inbox.summary() == [("dr", "Delivered"), ("dr", "Dispatched")]
    assert process.returncode == 0, err
    assert SECRET not in first + out + err


def test_the_callback_options_are_documented_and_a_mistyped_secret_is_not_echoed() -> None:
    from transports.cli import main

    out, err = io.StringIO(), io.StringIO()
    assert main(["simulate", "--help"], stdout=out, stderr=err, env={}) == 0
    assert "--mo-callback-url URL" in out.getvalue()
    assert "XMS_CALLBACK_SECRET" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main(["simulate", "--callback-secre", SECRET], stdout=out, stderr=err, env={}) == 2
    assert "unrecognized arguments: --callback-secre <redacted>" in err.getvalue()
    assert SECRET not in out.getvalue() + err.getvalue()
