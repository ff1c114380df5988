"""`xms send` under interruption, and its CSV input rules; `xms campaign` end to end.

In-process runs use `main(...)` with their own streams against the served simulator;
the closed-stdout and Ctrl-C cases also run as real processes.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.cli.support import PLAN, TOKEN, A, B, C, Run, Terminal, write_csv
from transports import Client
from transports.simulator import Fault, FaultPlan, Simulator, SimulatorServer

REPO = Path(__file__).resolve().parents[2]


class ClosingStdout(io.StringIO):
    """A stdout whose reader goes away after `lines` lines."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines = lines

    def write(self, text: str) -> int:
        if self.getvalue().count("\n") >= self.lines:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


@pytest.fixture
def sim() -> Simulator:
    # Real time: a campaign looks batches up in a window around its own clock, as XMS's.
    return Simulator(service_plan_id=PLAN, token=TOKEN, clock=lambda: datetime.now(timezone.utc))


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+4670{i:07d}" for i in range(start, start + count)]


# --------------------------------------------------------------------------- xms send


def test_a_closed_stdout_does_not_stop_the_send(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("transports.cli._send.BATCH_SIZE", 2)
    path = write_csv(tmp_path, "recipient\n" + "\n".join(numbers(8)) + "\n")
    run = xms("send", "--csv", path, "--body", "x", stdout=ClosingStdout(1))
    assert run.code == 141
    assert sim.batch_count == 4
    ids = [b["id"] for b in sim.batches()]
    assert run.out == f"Sent batch {ids[0]} to 2 recipient(s)\n"
    assert "stdout was closed; the send went on: all 4 batches were sent" in run.err
    assert all(f"  {batch_id} to 2 recipient(s)" in run.err for batch_id in ids[1:])


def test_a_closed_stdout_in_json_mode_lists_every_batch_on_stderr(
    xms: Callable[..., Run], sim: Simulator
) -> None:
    run = xms("--json", "send", "--to", A, "--body", "x", stdout=ClosingStdout(0))
    assert run.code == 141
    [batch] = sim.batches()
    assert f"  {batch['id']} to 1 recipient(s)" in run.err


def test_a_closed_pipe_in_a_real_process(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "recipient\n" + "\n".join(numbers(3000)) + "\n")
    child = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "transports.cli", "send", "--csv", path, "--body", "x"],
        env=os.environ
        | {"PYTHONPATH": str(REPO), "XMS_ENDPOINT": server.url}
        | {"XMS_SERVICE_PLAN_ID": PLAN, "XMS_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stdout.readline().startswith(b"Sent batch ")
    child.stdout.close()  # `| head -1`
    _, err = child.communicate(timeout=60)
    assert child.returncode == 141
    assert sim.batch_count == 3
    assert b"all 3 batches were sent" in err
    assert b"Traceback" not in err


def test_ctrl_c_names_the_batches_sent_and_the_one_in_flight(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("transports.cli._send.BATCH_SIZE", 1)
    real = Client.create_batch
    calls = 0

    def interrupted_while_waiting(self: Client, batch: object) -> object:
        nonlocal calls
        calls += 1
        result = real(self, batch)  # type: ignore[arg-type]
        if calls == 2:  # the server created it; the answer never got read
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(Client, "create_batch", interrupted_while_waiting)
    path = write_csv(tmp_path, f"recipient\n{A}\n{B}\n{C}\n")
    run = xms("send", "--csv", path, "--body", "x")
    assert run.code == 130
    first = sim.batches()[0]["id"]
    assert f"interrupted: 1 of 3 batches were sent ({first})" in run.err
    assert f"batch 2 (1 recipient(s), from {B}) was being sent and may have been created" in (
        run.err
    )
    assert sim.batch_count == 2


def test_csv_cells_are_trimmed_and_duplicates_found_however_written(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "recipient , name\n +46701234567 ,  Mary  \n0046701234567,Again\n")
    run = xms("send", "--csv", path, "--body", "Hi ${name}")
    assert run.code == 2
    assert "line 3: duplicate recipient '0046701234567' (first on line 2)" in run.err
    path = write_csv(tmp_path, "recipient , name\n +46701234567 ,  Mary  \n")
    assert xms("send", "--csv", path, "--body", "Hi ${name}").code == 0
    assert sim.batches()[0]["parameters"] == {"name": {A: "Mary"}}


def test_semicolon_files_get_a_hint_and_work_with_delimiter(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, f"recipient;name\n{A};Mary\n{B};Joe\n")
    run = xms("send", "--csv", path, "--body", "Hi ${name}")
    assert run.code == 2
    assert "separated by ';'" in run.err
    assert "--delimiter ';'" in run.err
    assert "not an MSISDN" not in run.err
    assert xms("send", "--csv", path, "--delimiter", ";", "--body", "Hi ${name}").code == 0
    assert sim.batches()[0]["parameters"] == {"name": {A: "Mary", B: "Joe"}}


def test_control_characters_are_refused_in_bodies_and_parameters(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path
) -> None:
    run = xms("send", "--to", A, "--body", "hi\x00there")
    assert run.code == 2
    assert r"--body: the control character '\x00'" in run.err
    path = write_csv(tmp_path, f"recipient,name\n{A},Ma\x00ry\n{B},J\x1boe\n")
    run = xms("send", "--csv", path, "--body", "Hi ${name}")
    assert run.code == 2
    assert r"line 2: the control character '\x00' is not allowed" in run.err
    assert r"line 3: the control character '\x1b' is not allowed" in run.err
    assert "\x1b" not in run.err
    assert sim.requests() == []


def test_large_lists_are_pointed_at_campaigns(
    xms: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("transports.cli._send.BATCH_SIZE", 1)
    path = write_csv(tmp_path, "recipient\n" + "\n".join(numbers(11)) + "\n")
    run = xms("send", "--csv", path, "--body", "x")
    assert run.code == 0
    assert "use `xms campaign send`" in run.err


# --------------------------------------------------------------------------- xms campaign


def campaign_send(xms: Callable[..., Run], csv: str, journal: Path, *extra: str) -> Run:
    return xms(
        "campaign", "send", "--csv", csv, "--journal", str(journal), "--from", "Shop",
        "--body", "Hi ${name}", *extra,
    )  # fmt: skip


def test_campaign_send_status_and_rerun(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path
) -> None:
    rows = numbers(25)
    csv = write_csv(
        tmp_path, "recipient,name\n" + "".join(f"{n},N{i}\n" for i, n in enumerate(rows))
    )
    journal = tmp_path / "c.db"
    terminal = Terminal()
    run = xms(
        "campaign", "send", "--csv", csv, "--journal", str(journal), "--body", "Hi ${name}",
        "--batch-size", "10", "--campaign-id", "may", "--rate", "100000", stderr=terminal,
    )  # fmt: skip
    assert run.code == 0, run.err
    summary = dict(line.split(None, 1) for line in run.out.splitlines())
    assert summary["campaign"] == "may"
    assert (summary["chunks"], summary["recipients"]) == ("3", "25")
    assert summary["batches"] == "3 (3 sent by this run)"
    assert summary["failures"] == "none"
    assert "25/25 recipients" in run.err
    assert "/s" in run.err
    assert sorted(b["client_reference"] for b in sim.batches()) == [
        "may/chunk-000000",
        "may/chunk-000001",
        "may/chunk-000002",
    ]
    again = xms(
        "campaign", "send", "--csv", csv, "--journal", str(journal), "--body", "Hi ${name}",
        "--batch-size", "10", "--campaign-id", "may",
    )  # fmt: skip
    assert again.code == 0
    assert "3 (0 sent by this run)" in again.out
    assert sim.batch_count == 3
    status = xms("campaign", "status", "--journal", str(journal))
    assert status.code == 0
    assert "sent        3 chunk(s), 25 recipient(s)" in status.out
    as_json = json.loads(xms("--json", "campaign", "status", "--journal", str(journal)).out)
    assert as_json["campaign_id"] == "may"
    assert as_json["chunks"]["sent"] == {"chunks": 3, "recipients": 25}
    assert as_json["problems"] == []
    assert as_json["finished_at"]


def test_campaign_with_other_input_or_body_is_refused(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path
) -> None:
    csv = write_csv(tmp_path, f"recipient,name\n{A},Mary\n")
    journal = tmp_path / "c.db"
    assert campaign_send(xms, csv, journal).code == 0
    other = write_csv(tmp_path, f"recipient,name\n{B},Joe\n", "other.csv")
    run = campaign_send(xms, other, journal)
    assert run.code == 2
    assert "not the one campaign" in run.err
    run = xms(
        "campaign", "send", "--csv", csv, "--journal", str(journal), "--body", "Bye",
    )  # fmt: skip
    assert run.code == 2
    assert "another template" in run.err
    assert sim.batch_count == 1


def test_campaign_failures_are_listed_with_their_lines(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path
) -> None:
    rows = numbers(3)
    csv = write_csv(tmp_path, "recipient,name\n" + "".join(f"{n},N\n" for n in rows))
    journal = tmp_path / "c.db"
    # XMS refuses the batch (400): a callback URL that is not http(s).
    run = campaign_send(xms, csv, journal, "--callback-url", "ftp://example.test/reports")
    assert run.code == 5, run.err
    assert "1 chunk(s) failed (XMS did not create them):" in run.err
    assert "chunk 0 (lines 2-4, 3 recipient(s)): ErrorResponseException" in run.err
    assert f"xms campaign resume --journal {journal}" in run.err
    status = xms("campaign", "status", "--journal", str(journal))
    assert status.code == 5
    assert "failed      1 chunk(s), 3 recipient(s)" in status.out
    assert sim.batch_count == 0


def test_campaign_unsettled_chunks_exit_6_and_a_resume_finds_them(
    xms: Callable[..., Run], sim: Simulator, server: SimulatorServer, tmp_path: Path
) -> None:
    csv = write_csv(tmp_path, f"recipient,name\n{A},Mary\n")
    journal = tmp_path / "c.db"
    # The create is handled, its answer lost; the look-up then finds no server at all.
    server.inject(FaultPlan(fault=Fault.CLOSE_BEFORE_ANSWER, when="after", path_contains="batches"))
    server.inject(FaultPlan(fault=Fault.SERVICE_UNAVAILABLE, count=3, path_contains="batches"))
    run = campaign_send(xms, csv, journal, "--retries", "0")
    assert run.code == 6, run.err
    assert "not settled (they may exist in XMS)" in run.err
    assert sim.batch_count == 1
    assert xms("campaign", "resume", "--journal", str(journal)).code == 0
    assert sim.batch_count == 1


def test_campaign_usage_errors(xms: Callable[..., Run], tmp_path: Path) -> None:
    missing = xms("campaign", "resume", "--journal", str(tmp_path / "nope.db"))
    assert missing.code == 2
    assert "no such journal" in missing.err
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert "records no campaign" in xms("campaign", "status", "--journal", str(empty)).err
    csv = write_csv(tmp_path, f"recipient,name\n{A},Mary\n")
    bad = xms(
        "campaign", "send", "--csv", csv, "--journal", str(tmp_path / "c.db"), "--body", "a\x00",
    )  # fmt: skip
    assert bad.code == 2
    assert "control character" in bad.err
    assert "6  campaign: some chunks are not settled" in xms("--help").out


def test_campaign_ctrl_c_in_a_real_process_then_resume(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    rows = numbers(400)
    csv = write_csv(tmp_path, "recipient,name\n" + "".join(f"{n},N\n" for n in rows))
    journal = tmp_path / "c.db"
    server.inject(FaultPlan(fault=Fault.DELAY, delay=0.3, count=1000, path_contains="batches"))
    environ = os.environ | {"PYTHONPATH": str(REPO), "XMS_ENDPOINT": server.url}
    environ |= {"XMS_SERVICE_PLAN_ID": PLAN, "XMS_TOKEN": TOKEN}
    command = [sys.executable, "-m", "transports.cli", "campaign"]
    child = subprocess.Popen(  # noqa: S603 - our own interpreter
        [*command, "send", "--csv", csv, "--journal", str(journal), "--body", "Hi ${name}",
         "--batch-size", "10", "--concurrency", "2"],
        env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while sim.batch_count < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130
    assert b"interrupted;" in err
    assert f"resume with: xms campaign resume --journal {journal}".encode() in err
    server.clear_faults()
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [*command, "resume", "--journal", str(journal)],
        env=environ, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sent = [str(to) for batch in sim.batches() for to in batch["to"]]  # type: ignore[attr-defined]
    assert sorted(sent) == sorted(rows)


def test_send_needs_no_trio_and_campaign_says_it_does(
    server: SimulatorServer, sim: Simulator, tmp_path: Path
) -> None:
    """`pip install "xms[requests]"` has no trio: `xms send --csv` must still work."""
    csv = write_csv(tmp_path, f"recipient,name\n{A},Mary\n")
    script = (
        "import sys; sys.modules['trio'] = None\n"
        "from transports.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "assert sys.modules['trio'] is None\n"
        "sys.exit(code)\n"
    )
    environ = os.environ | {"PYTHONPATH": str(REPO), "XMS_ENDPOINT": server.url}
    environ |= {"XMS_SERVICE_PLAN_ID": PLAN, "XMS_TOKEN": TOKEN}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", script, *argv],
            env=environ, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    sent = run("send", "--csv", csv, "--body", "Hi ${name}")
    assert sent.returncode == 0, sent.stderr
    assert sim.batch_count == 1
    campaign = run(
        "campaign", "send", "--csv", csv, "--journal", str(tmp_path / "c.db"), "--body", "x"
    )
    assert campaign.returncode == 2
    assert (
        "xms campaign runs on trio, which is not installed: pip install 'xms[trio]'"
        in campaign.stderr
    )
