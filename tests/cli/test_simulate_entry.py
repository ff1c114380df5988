"""`xms simulate` and `python -m transports.simulator`: one entry point under two names."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.receivers import receiver
from transports import Client
from transports.cli import _context
from transports.cli._main import main as xms_main
from transports.cli._parser import build_parser as xms_parser
from transports.simulator import ManualClock
from transports.simulator._command import (
    ENV_SERVICE_PLAN_ID,
    ENV_TOKEN,
    OPTIONS,
    run,
    simulator_from,
)
from transports.simulator._command import build_parser as simulator_parser
from transports.simulator._command import main as simulator_main
from xms_core import RetryPolicy, parse_callback
from xms_core.api import MtBatchTextSmsCreate, ReportType

REPO = Path(__file__).resolve().parents[2]
PLAN = "entry-plan"
TOKEN = "entry-token-5e4d3c2b1a"
A = "+46701234567"
COMMANDS = {
    "xms simulate": [sys.executable, "-m", "transports.cli", "simulate"],
    "python -m transports.simulator": [sys.executable, "-m", "transports.simulator"],
}


def simulate_parser() -> argparse.ArgumentParser:
    """The `simulate` sub-parser of `xms`."""
    for action in xms_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            parser = action.choices["simulate"]
            assert isinstance(parser, argparse.ArgumentParser)
            return parser
    raise AssertionError("no simulate command")


def flags(parser: argparse.ArgumentParser) -> list[str]:
    return [f for a in parser._actions for f in a.option_strings]


def test_both_names_have_the_same_options_from_one_table() -> None:
    table = [option.flag for option in OPTIONS]
    assert flags(simulate_parser()) == ["-h", "--help", *table]
    assert flags(simulator_parser()) == ["-h", "--help", *table]
    helps = [simulate_parser().format_help(), simulator_parser().format_help()]
    for option in OPTIONS:
        first_words = " ".join(option.help.split()[:3])
        assert all(option.flag in text and first_words in text for text in helps)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--port", "8080", "--host", "localhost", "--clock", "manual"],
        [
            "--service-plan-id",
            "p",
            "--token",
            "t",
            "--dispatch-after",
            "0",
            "--deliver-after",
            "7.5",
        ],
    ],
)
def test_both_names_read_an_argument_list_alike(argv: list[str]) -> None:
    ours = vars(simulate_parser().parse_args(argv))
    ours.pop("run")
    assert ours == vars(simulator_parser().parse_args(argv))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--host", "0.0.0.0"], "loopback addresses only"),  # noqa: S104 - refused
        (["--port", "70000"], "not between 0 and 65535"),
        (["--port", "http"], "not a port number"),
        (["--dispatch-after", "-1"], "0 or more"),
        (["--deliver-after", "nan"], "0 or more"),
        (["--deliver-after", "soon"], "not a number of seconds"),
        (["--clock", "fast"], "invalid choice"),
    ],
)
def test_both_names_refuse_the_same_bad_options(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = io.StringIO()
    assert xms_main(["simulate", *argv], stdout=io.StringIO(), stderr=err, env={}) == 2
    assert message in err.getvalue()
    with pytest.raises(SystemExit) as info:
        simulator_main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_flags_win_over_the_environment_and_the_environment_over_defaults() -> None:
    env = {ENV_SERVICE_PLAN_ID: "env-plan", ENV_TOKEN: "env-token"}
    for parser in (simulate_parser(), simulator_parser()):
        from_env = simulator_from(parser.parse_args([]), env)
        assert from_env.service_plan_id == "env-plan"
        assert not isinstance(from_env.clock, ManualClock)
        flagged = simulator_from(
            parser.parse_args(["--service-plan-id", "flag-plan", "--clock", "manual"]), env
        )
        assert flagged.service_plan_id == "flag-plan"
        assert isinstance(flagged.clock, ManualClock)
        assert simulator_from(parser.parse_args([]), {}).service_plan_id == "plan"
    # The same variables as the rest of the `xms` command line.
    assert (ENV_SERVICE_PLAN_ID, ENV_TOKEN) == (_context.ENV_SERVICE_PLAN_ID, _context.ENV_TOKEN)


# --------------------------------------------------------------------------- real processes


@pytest.fixture(params=sorted(COMMANDS))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, list[str]]]:
    """One of the two commands, serving on a manual clock: (XMS URL, control URL, lines)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("XMS_")}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        [
            *COMMANDS[request.param],
            "--port",
            "0",
            "--clock",
            "manual",
            "--dispatch-after",
            "0",
            "--deliver-after",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ | {"PYTHONPATH": str(REPO), ENV_SERVICE_PLAN_ID: PLAN, ENV_TOKEN: TOKEN},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        url = lines[0].split()[3]
        control = lines[2].split()[2]
        yield url, control, lines
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert TOKEN not in "".join(lines) + out + err


def control(url: str, body: object = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})  # noqa: S310 - loopback http
    with urllib.request.urlopen(sent, timeout=10) as answer:  # noqa: S310 - loopback http
        raw = answer.read()
    return json.loads(raw) if raw else None


def test_both_names_serve_with_callbacks_and_the_control_api(
    served: tuple[str, str, list[str]],
) -> None:
    url, control_url, lines = served
    assert lines[0] == f"XMS simulator on {url} (service plan {PLAN!r})\n"
    assert lines[1] == f"  export XMS_ENDPOINT={url} XMS_SERVICE_PLAN_ID={PLAN}\n"
    assert lines[2] == f"  control API: {control_url} (manual clock)\n"
    assert control_url == url.removesuffix("/xms") + "/_simulator"
    with (
        receiver() as (callback_url, bodies),
        Client(PLAN, TOKEN, url, retry=RetryPolicy.off()) as client,
    ):
        batch = client.create_batch(
            MtBatchTextSmsCreate(
                recipients=[A],
                body="hi",
                delivery_report=ReportType.PER_RECIPIENT,
                callback_url=callback_url,
            )
        )
        assert control(f"{control_url}/clock", {"advance": 10})["manual"] is True
        deadline = time.monotonic() + 30  # generous: the callback thread polls every 50 ms
        while len(bodies) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        report = client.fetch_recipient_delivery_report(batch.batch_id, A)
        created = control(f"{control_url}/inbounds", {"from": A, "to": "12345", "body": "STOP"})
        inbounds = [m.body for m in client.fetch_inbounds().items()]
    assert report.status == "Delivered"
    assert [parse_callback(b).status for b in bodies] == ["Dispatched", "Delivered"]
    assert inbounds == ["STOP"]
    assert created["id"] == control(f"{control_url}/inbounds")[0]["id"]
    logged = control(f"{control_url}/requests")
    assert [(r["method"], r["path"]) for r in logged] == [
        ("POST", f"/xms/v1/{PLAN}/batches"),
        ("GET", f"/xms/v1/{PLAN}/batches/{batch.batch_id}/delivery_report/%2B46701234567"),
        ("GET", f"/xms/v1/{PLAN}/inbounds"),
    ]


class Flushed(io.StringIO):
    """An output stream that says when it was first flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed = threading.Event()

    def flush(self) -> None:
        super().flush()
        self.flushed.set()


def test_run_serves_in_process_until_told_to_stop() -> None:
    args = simulator_parser().parse_args(
        ["--clock", "manual", "--service-plan-id", PLAN, "--token", TOKEN]
    )
    out, stop, results = Flushed(), threading.Event(), []
    thread = threading.Thread(
        target=lambda: results.append(
            run(args, env={}, out=out, err=io.StringIO(), name="test", stop=stop)
        )
    )
    thread.start()
    try:
        assert out.flushed.wait(30)
        url = out.getvalue().split()[3]
        with Client(PLAN, TOKEN, url, retry=RetryPolicy.off()) as client:
            client.create_text_message("12345", A, "hi")
        status = control(url.removesuffix("/xms") + "/_simulator")
        assert (status["batches"], status["manual_clock"]) == (1, True)
    finally:
        stop.set()
        thread.join(30)
    assert results == [0]
    assert TOKEN not in out.getvalue()
