"""The `xms` command line, end to end against the served simulator.

Every command runs in-process through `main(...)` with its own stdout, stderr and
environment; the `xms` fixture asserts after every run that the token appears in
neither stream. A few runs go through a real `python -m transports.cli` process.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.support import PLAN, TOKEN, A, B, C, Run, Terminal, write_csv
from transports import Client
from transports.cli._parser import build_parser
from transports.simulator import Fault, FaultPlan, ManualClock, Simulator, SimulatorServer, serve
from xms_core import DEFAULT_ENDPOINT, EU_ENDPOINT, US_ENDPOINT, __version__
from xms_core.api import (
    GroupAutoUpdate,
    GroupCreate,
    MtBatchBinarySmsCreate,
    MtBatchTextSmsCreate,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> Simulator:
    return Simulator(service_plan_id=PLAN, token=TOKEN, clock=clock)


def fields(text: str) -> dict[str, str]:
    """Read a `name  value` listing."""
    return dict(re.split(r"\s{2,}", line, maxsplit=1) for line in text.splitlines())


# --------------------------------------------------------------------------- send


def test_send_to_recipients(xms: Callable[..., Run], sim: Simulator) -> None:
    run = xms(
        "send", "--from", "12345", "--to", A, "--to", B, "--body", "Hello",
        "--delivery-report", "full", "--tag", "promo", "--client-reference", "ref-1",
        "--callback-url", "https://example.test/cb",
    )  # fmt: skip
    assert run.code == 0, run.err
    [batch] = sim.batches()
    assert run.out == f"Sent batch {batch['id']} to 2 recipient(s)\n"
    assert batch["to"] == [A, B]
    assert batch["from"] == "12345"
    assert batch["body"] == "Hello"
    assert batch["delivery_report"] == "full"
    assert batch["tags"] == ["promo"]
    assert batch["client_reference"] == "ref-1"
    assert batch["callback_url"] == "https://example.test/cb"


def test_send_json_scheduled(xms: Callable[..., Run], sim: Simulator) -> None:
    run = xms(
        "send", "--to", A, "--body", "Later", "--send-at", "2026-02-01T09:00:00Z",
        "--expire-at", "2026-02-02T09:00:00+01:00", "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    [sent] = run.json()
    assert sent["recipients"] == [A]
    assert sent["send_at"] == "2026-02-01T09:00:00Z"
    assert sent["expire_at"] == "2026-02-02T08:00:00Z"
    assert sim.batch(sent["batch_id"])["send_at"] == "2026-02-01T09:00:00.000Z"


def test_send_templated_from_csv(xms: Callable[..., Run], sim: Simulator, tmp_path: Path) -> None:
    # The recipient column is found by name, wherever it is.
    path = write_csv(tmp_path, f"name,Recipient,order\nMary,{A},A-17\nJoe, {B} ,B-2\n")
    run = xms("send", "--from", "12345", "--csv", path, "--body", "Hi ${name}, ${order}")
    assert run.code == 0, run.err
    assert run.err == ""  # not a terminal: no progress bar
    [batch] = sim.batches()
    assert run.out == f"Sent batch {batch['id']} to 2 recipient(s)\n"
    assert batch["to"] == [A, B]
    assert batch["body"] == "Hi ${name}, ${order}"
    assert sim.batch(str(batch["id"]))["parameters"] == {
        "name": {A: "Mary", B: "Joe"},
        "order": {A: "A-17", B: "B-2"},
    }


def test_csv_is_split_into_batches_with_a_progress_bar(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("transports.cli._send.BATCH_SIZE", 2)
    numbers = [f"+4670000000{i}" for i in range(5)]
    path = write_csv(
        tmp_path, "msisdn,name\n" + "".join(f"{n},N{i}\n" for i, n in enumerate(numbers))
    )
    terminal = Terminal()
    run = xms("send", "--csv", path, "--body", "Hi ${name}", stderr=terminal)
    assert run.code == 0, run.err
    batches = sim.batches()
    assert [b["to"] for b in batches] == [numbers[0:2], numbers[2:4], numbers[4:]]
    assert batches[1]["parameters"] == {"name": {numbers[2]: "N2", numbers[3]: "N3"}}
    assert run.out.splitlines() == [
        f"Sent batch {b['id']} to {len(b['to'])} recipient(s)" for b in batches
    ]
    assert "[######..............] 1/3 batches" in run.err
    assert run.err.endswith("[####################] 3/3 batches\n")


def test_csv_over_the_limit_makes_two_batches(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path
) -> None:
    numbers = [f"+4670{i:07d}" for i in range(1001)]
    path = write_csv(tmp_path, "to,n\n" + "".join(f"{n},{i}\n" for i, n in enumerate(numbers)))
    run = xms("--json", "send", "--from", "Shop", "--csv", path, "--body", "#${n}")
    assert run.code == 0, run.err
    sent = run.json()
    assert [len(b["recipients"]) for b in sent] == [1000, 1]
    assert sim.batch_count == 2
    assert sim.batch(sent[1]["batch_id"])["parameters"] == {"n": {numbers[1000]: "1000"}}


def test_bad_csv_rows_are_all_reported_and_nothing_is_sent(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path, f"recipient,name\n{A},Mary\nnot a number,Joe\n\n{B}\n{C},Ann\n{A},Again\n"
    )
    run = xms("send", "--csv", path, "--body", "Hi ${name}")
    assert run.code == 2
    assert run.out == ""
    assert "3 bad row(s), nothing was sent" in run.err
    assert "line 3: recipients: 'not a number' is not an MSISDN" in run.err
    assert "line 5: expected 2 fields, got 1" in run.err
    assert f"line 7: duplicate recipient '{A}' (first on line 2)" in run.err
    assert "Traceback" not in run.err
    assert sim.requests() == []


@pytest.mark.parametrize(
    "case",
    [
        ("", "hi", "is empty"),
        (f"{A},Mary\n{B},Joe\n", "hi", "is a phone number, not a column name"),
        ("recipient,name\n", "hi", "has a header but no recipients"),
        ("recipient,name,name\n", "hi", "duplicate column names: name"),
        (f"recipient,name\n{A},Mary\n", "Hi ${nmae}", "${nmae} is not a column"),
    ],
)
def test_unusable_csv_files_stop_before_sending(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path, case: tuple[str, str, str]
) -> None:
    text, body, message = case
    run = xms("send", "--csv", write_csv(tmp_path, text), "--body", body)
    assert run.code == 2
    assert message in run.err
    assert sim.requests() == []


def test_missing_csv_file(xms: Callable[..., Run], tmp_path: Path) -> None:
    run = xms("send", "--csv", str(tmp_path / "nope.csv"), "--body", "x")
    assert run.code == 2
    assert "cannot read" in run.err


def test_a_failure_part_way_reports_what_was_sent(
    xms: Callable[..., Run],
    sim: Simulator,
    server: SimulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from transports.cli import _send

    class FailAfterFirst(_send.Progress):
        def step(self) -> None:
            super().step()
            server.inject(FaultPlan(fault=Fault.SERVICE_UNAVAILABLE, count=5))

    monkeypatch.setattr(_send, "BATCH_SIZE", 1)
    monkeypatch.setattr(_send, "Progress", FailAfterFirst)
    path = write_csv(tmp_path, f"recipient\n{A}\n{B}\n{C}\n")
    run = xms("--retries", "0", "--json", "send", "--csv", path, "--body", "x")
    assert run.code == 3
    assert sim.batch_count == 1
    assert [b["recipients"] for b in run.json()] == [[A]]
    assert "1 of 3 batches were sent before the failure" in run.err
    assert "UnexpectedResponseException" in run.err


# --------------------------------------------------------------------------- dry run


def test_dry_run_per_recipient(xms: Callable[..., Run], sim: Simulator, tmp_path: Path) -> None:
    path = write_csv(tmp_path, f"recipient,name\n{A},Mary\n{B},Zoë\n{C},Ann\n")
    run = xms("dry-run", "--csv", path, "--body", "Hi ${name}", "--per-recipient", "2")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[:3] == ["Dry run: nothing was sent.", "recipients  3", "messages    3"]
    assert lines[4].split() == ["RECIPIENT", "PARTS", "ENCODING", "BODY"]
    assert lines[5].split() == [A, "1", "text", "Hi", "Mary"]
    assert lines[6].split() == [B, "1", "unicode", "Hi", "Zoë"]
    assert len(lines) == 7
    assert sim.batch_count == 0


def test_dry_run_json_across_batches(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("transports.cli._send.BATCH_SIZE", 2)
    path = write_csv(tmp_path, f"recipient,name\n{A},Mary\n{B},Joe\n{C},Ann\n")
    run = xms(
        "--json", "send", "--dry-run", "--csv", path, "--body", "Hi ${name}",
        "--per-recipient", "3",
    )  # fmt: skip
    assert run.code == 0, run.err
    result = run.json()
    assert result["number_of_recipients"] == 3
    assert result["number_of_messages"] == 3
    assert [(r["recipient"], r["body"]) for r in result["per_recipient"]] == [
        (A, "Hi Mary"),
        (B, "Hi Joe"),
        (C, "Hi Ann"),
    ]
    assert sim.batch_count == 0


def test_per_recipient_needs_a_dry_run(xms: Callable[..., Run], sim: Simulator) -> None:
    run = xms("send", "--to", A, "--body", "x", "--per-recipient", "1")
    assert run.code == 2
    assert "--per-recipient" in run.err
    assert sim.batch_count == 0


# --------------------------------------------------------------------------- batches


def test_batches_list_filters_and_limits(
    xms: Callable[..., Run], client: Client, clock: ManualClock
) -> None:
    first = client.create_batch(MtBatchTextSmsCreate(sender="111", recipients=[A], body="one"))
    clock.advance(1)
    second = client.create_batch(
        MtBatchTextSmsCreate(sender="222", recipients=[A, B], body="two", tags=["t"])
    )
    run = xms("batches", "list")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "FROM", "TO", "CREATED", "CANCELED", "BODY"]
    assert lines[1].split() == [
        second.batch_id, "222", "2", "recipients", "2026-01-01T00:00:01Z", "no", "two",
    ]  # fmt: skip
    assert lines[2].split() == [first.batch_id, "111", A, "2026-01-01T00:00:00Z", "no", "one"]
    assert [b["batch_id"] for b in xms("batches", "list", "--from", "111", "--json").json()] == [
        first.batch_id
    ]
    assert [b["body"] for b in xms("batches", "list", "--tag", "t", "--json").json()] == ["two"]
    paged = xms("batches", "list", "--page-size", "1", "--json").json()
    assert [b["batch_id"] for b in paged] == [second.batch_id, first.batch_id]
    assert len(xms("batches", "list", "--limit", "1", "--json").json()) == 1
    assert xms("batches", "list", "--start-date", "2026-01-02").out == "(none)\n"


def test_batches_show_and_cancel(xms: Callable[..., Run], client: Client, sim: Simulator) -> None:
    batch = client.create_batch(
        MtBatchTextSmsCreate(sender="12345", recipients=[A], body="Hi\x1b[2J", tags=["x"])
    )
    run = xms("batches", "show", batch.batch_id)
    assert run.code == 0, run.err
    shown = fields(run.out)
    assert shown["id"] == batch.batch_id
    assert shown["body"] == "Hi\\x1b[2J"  # escaped, never sent to the terminal as is
    assert shown["tags"] == "x"
    assert shown["canceled"] == "no"
    shown = xms("batches", "show", batch.batch_id, "--json").json()
    assert shown["body"] == "Hi\x1b[2J"
    assert shown["created_at"] == "2026-01-01T00:00:00Z"
    run = xms("batches", "cancel", batch.batch_id)
    assert run.out == f"Cancelled batch {batch.batch_id}\n"
    assert sim.batch(batch.batch_id)["canceled"] is True


def test_binary_batch_json_uses_wire_encodings(xms: Callable[..., Run], client: Client) -> None:
    batch = client.create_batch(
        MtBatchBinarySmsCreate(recipients=[A], body=b"\x00\xff", udh=b"\x05\x00")
    )
    shown = xms("--json", "batches", "show", batch.batch_id).json()
    assert shown["body"] == "AP8="
    assert shown["udh"] == "0500"
    assert fields(xms("batches", "show", batch.batch_id).out)["udh"] == "0500"


# --------------------------------------------------------------------------- reports


def test_reports(xms: Callable[..., Run], client: Client, sim: Simulator) -> None:
    batch = client.create_batch(MtBatchTextSmsCreate(recipients=[A, B], body="x"))
    sim.fail_recipient(batch.batch_id, B, code=11)
    sim.advance(10)
    run = xms("reports", "summary", batch.batch_id)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[:2] == [f"batch     {batch.batch_id}", "messages  2"]
    assert sorted(line.split() for line in lines[4:]) == [
        ["Delivered", "0", "1"],
        ["Failed", "11", "1"],
    ]
    full = xms("reports", "full", batch.batch_id, "--status", "Failed").out.splitlines()
    assert full[3].split() == ["STATUS", "CODE", "COUNT", "RECIPIENTS"]
    assert full[4:] == [f"Failed  11    1      {B}"]
    report = xms("--json", "reports", "full", batch.batch_id, "--code", "0").json()
    assert report["statuses"] == [{"code": 0, "status": "Delivered", "count": 1, "recipients": [A]}]
    one = xms("reports", "recipient", batch.batch_id, B)
    assert fields(one.out)["status"] == "Failed"
    assert fields(one.out)["code"] == "11"
    assert fields(one.out)["recipient"] == B
    assert xms("--json", "reports", "recipient", batch.batch_id, A).json()["status"] == "Delivered"
    listed = xms("reports", "list", "--status", "Delivered").out.splitlines()
    assert listed[0].split() == ["BATCH", "RECIPIENT", "STATUS", "CODE", "AT"]
    assert [line.split()[:4] for line in listed[1:]] == [[batch.batch_id, A, "Delivered", "0"]]
    assert len(xms("--json", "reports", "list").json()) == 2


# --------------------------------------------------------------------------- groups


def test_groups(xms: Callable[..., Run], sim: Simulator) -> None:
    run = xms("groups", "create", "--name", "Friends", "--member", A, "--member", B, "--tag", "vip")
    assert run.code == 0, run.err
    [group] = sim.groups()
    gid = str(group["id"])
    assert run.out.splitlines()[0] == f"Created group {gid}"
    assert group["members"] == [A, B]
    assert group["tags"] == ["vip"]
    other = xms("--json", "groups", "create", "--name", "Others", "--member", C, "--child", gid)
    other_id = other.json()["group_id"]
    assert other.json()["child_groups"] == [gid]
    listed = xms("groups", "list").out.splitlines()
    assert listed[0].split() == ["ID", "NAME", "SIZE", "CHILD", "GROUPS", "CREATED"]
    assert sorted(line.split()[:3] for line in listed[1:]) == sorted(
        [[gid, "Friends", "2"], [other_id, "Others", "1"]]
    )
    assert fields(xms("groups", "show", gid).out)["name"] == "Friends"
    assert xms("groups", "members", gid).out == f"{A}\n{B}\n"
    assert xms("--json", "groups", "members", other_id).json() == [C]

    run = xms("groups", "update", gid, "--name", "Pals", "--add", C, "--remove", A)
    assert run.code == 0, run.err
    assert run.out.startswith(f"Updated group {gid}\nid")
    assert sim.group(gid)["name"] == "Pals"
    assert sim.group(gid)["members"] == [B, C]
    assert xms("groups", "update", gid, "--clear-name").code == 0
    assert "name" not in sim.group(gid)
    solo = xms("--json", "groups", "create", "--name", "Solo").json()["group_id"]
    assert xms("groups", "update", solo, "--add-from-group", gid).code == 0
    assert sorted(sim.group(solo)["members"]) == sorted([B, C])
    assert xms("groups", "update", solo, "--remove-from-group", gid).code == 0
    assert sim.group(solo)["members"] == []


def test_group_update_without_changes_is_a_usage_error(xms: Callable[..., Run]) -> None:
    run = xms("groups", "update", "some-id")
    assert run.code == 2
    assert "nothing to change" in run.err


def test_duplicate_group_name_is_an_api_error(xms: Callable[..., Run]) -> None:
    assert xms("groups", "create", "--name", "Twins").code == 0
    run = xms("groups", "create", "--name", "Twins")
    assert run.code == 3
    assert run.err.startswith("xms: ErrorResponseException: ")
    assert run.out == ""


# --------------------------------------------------------------------------- inbounds


def test_inbounds(xms: Callable[..., Run], sim: Simulator, clock: ManualClock) -> None:
    text_id = sim.inject_inbound(sender=A, recipient="12345", body="STOP\x1b[31m")
    clock.advance(1)
    binary_id = sim.inject_inbound(sender=B, recipient="54321", body=b"\x01\x02", udh=b"\x05")
    run = xms("inbounds", "list")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "FROM", "TO", "RECEIVED", "BODY"]
    assert lines[1].split() == [binary_id, B, "54321", "2026-01-01T00:00:01Z", "0102"]
    assert lines[2].split() == [text_id, A, "12345", "2026-01-01T00:00:00Z", "STOP\\x1b[31m"]
    only = xms("--json", "inbounds", "list", "--to", "12345").json()
    assert [m["message_id"] for m in only] == [text_id]
    assert len(xms("inbounds", "list", "--limit", "1", "--json").json()) == 1
    shown = fields(xms("inbounds", "show", binary_id).out)
    assert shown["udh"] == "05"
    assert shown["type"] == "binary"
    assert shown["body"] == "0102"
    assert xms("--json", "inbounds", "show", text_id).json()["body"] == "STOP\x1b[31m"


# --------------------------------------------------------------------------- errors


def test_missing_token_is_a_usage_error(xms: Callable[..., Run], env: dict[str, str]) -> None:
    run = xms("batches", "list", environ={k: v for k, v in env.items() if k != "XMS_TOKEN"})
    assert run.code == 2
    assert "XMS_TOKEN" in run.err
    run = xms("batches", "list", environ=env | {"XMS_SERVICE_PLAN_ID": ""})
    assert run.code == 2
    assert "XMS_SERVICE_PLAN_ID" in run.err


def test_flags_override_the_environment(xms: Callable[..., Run], server: SimulatorServer) -> None:
    environ = {"XMS_ENDPOINT": "https://xms.invalid/xms"}
    run = xms(
        "batches", "list", "--service-plan-id", PLAN, "--token", TOKEN, "--endpoint", server.url,
        environ=environ,
    )  # fmt: skip
    assert (run.code, run.out) == (0, "(none)\n")


def test_wrong_token_is_an_api_error(xms: Callable[..., Run], env: dict[str, str]) -> None:
    wrong = "wrong-token-0123456789"
    run = xms("batches", "list", environ=env | {"XMS_TOKEN": wrong})
    assert run.code == 3
    assert run.err.startswith("xms: UnauthorizedException: ")
    assert wrong not in run.err


def test_unknown_batch_is_not_found(xms: Callable[..., Run]) -> None:
    run = xms("batches", "show", "no-such-batch")
    assert run.code == 3
    assert run.err == f"xms: NotFoundException: not found: {run.err.split('found: ')[1]}"
    assert run.err.rstrip().endswith("/batches/no-such-batch")


def test_dead_port_is_a_transport_error(xms: Callable[..., Run], env: dict[str, str]) -> None:
    with serve(Simulator().handle) as doomed:
        dead = doomed.url
    run = xms("--retries", "0", "batches", "list", environ=env | {"XMS_ENDPOINT": dead})
    assert run.code == 4
    assert run.err.startswith("xms: ConnectException: ")
    assert "\n" not in run.err.rstrip("\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["send", "--to", "12ab", "--body", "x"], "recipients: '12ab' is neither an MSISDN"),
        (["send", "--to", A, "--body", "x", "--send-at", "tomorrow"], "--send-at"),
        (["send", "--to", A, "--body", "x", "--send-at", "2026-01-01T10:00"], "no time zone"),
        (["send", "--to", A, "--body", "x", "--from", "a\nb"], "sender:"),
        (["send", "--body", "x"], "one of the arguments --to --csv is required"),
        (["batches", "list", "--page-size", "500"], "page_size"),
        (["batches", "list", "--limit", "0"], "--limit"),
        (["batches", "show", "a/b"], "batch_id"),
        (["--region", "eu", "--endpoint", "https://x.test/xms", "batches", "list"], "--region"),
        (["--timeout", "0", "batches", "list"], "timeout"),
        (["--endpoint", "http://example.com/xms", "batches", "list"], "endpoint"),
        (["simulate", "--host", "192.0.2.1"], "loopback"),
        (["reports", "full", "b", "--code", "x"], "--code"),
        ([], "COMMAND"),
    ],
)
def test_usage_errors_exit_2_and_send_nothing(
    xms: Callable[..., Run], sim: Simulator, argv: list[str], message: str
) -> None:
    run = xms(*argv)
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err
    assert sim.requests() == []


def test_help_documents_exit_codes(xms: Callable[..., Run]) -> None:
    run = xms("--help")
    assert run.code == 0
    assert "exit status:" in run.out
    assert "4  no answer from XMS" in run.out
    assert "XMS_TOKEN" in run.out
    assert "--token" in xms("batches", "list", "--help").out


def test_interrupt_exits_130(xms: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("transports.cli._commands.batches_list", interrupted)
    run = xms("batches", "list")
    assert (run.code, run.err) == (130, "xms: interrupted\n")


# --------------------------------------------------------------------------- real processes


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("XMS_")}
    return environ | {"PYTHONPATH": str(REPO)} | extra


def test_help_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "transports.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_child_env({}),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: xms ")
    assert "exit status:" in done.stdout


def test_batches_list_in_a_real_process(client: Client, env: dict[str, str]) -> None:
    batch = client.create_batch(MtBatchTextSmsCreate(recipients=[A], body="from a process"))
    done = subprocess.run(
        [sys.executable, "-m", "transports.cli", "batches", "list"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_child_env(env),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert batch.batch_id in done.stdout
    assert "from a process" in done.stdout
    assert TOKEN not in done.stdout + done.stderr


def test_simulate_serves_until_sigterm(xms: Callable[..., Run]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "transports.cli", "simulate", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env({"XMS_SERVICE_PLAN_ID": PLAN, "XMS_TOKEN": TOKEN}),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("XMS simulator on http://127.0.0.1:")
        url = first.split()[3]
        environ = {"XMS_SERVICE_PLAN_ID": PLAN, "XMS_TOKEN": TOKEN, "XMS_ENDPOINT": url}
        sent = xms("--json", "send", "--to", A, "--body", "hi", environ=environ)
        assert sent.code == 0, sent.err
        listed = xms("--json", "batches", "list", environ=environ).json()
        assert [b["batch_id"] for b in listed] == [sent.json()[0]["batch_id"]]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert TOKEN not in first + out + err


def test_a_token_given_to_a_mistyped_flag_is_not_echoed(
    xms: Callable[..., Run], env: dict[str, str]
) -> None:
    no_env = env | {"XMS_TOKEN": ""}
    run = xms("batches", "list", "--tokn", TOKEN, environ=no_env)
    assert run.code == 2
    assert "unrecognized arguments: --tokn <redacted>" in run.err
    run = xms("batches", "list", f"--tok={TOKEN}", environ=no_env)  # no abbreviations
    assert run.code == 2
    assert "unrecognized arguments: --tok=<redacted>" in run.err


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["--region", "eu"], {}, EU_ENDPOINT),
        (["--region", "us"], {"XMS_ENDPOINT": "https://env.test/xms"}, US_ENDPOINT),
        ([], {"XMS_ENDPOINT": "https://env.test/xms"}, "https://env.test/xms"),
        (["--endpoint", "https://flag.test/xms"], {"XMS_ENDPOINT": "x"}, "https://flag.test/xms"),
        ([], {}, DEFAULT_ENDPOINT),
    ],
)
def test_endpoint_choice(argv: list[str], environ: dict[str, str], expected: str) -> None:
    from transports.cli._context import endpoint_of
    from transports.cli._parser import build_parser

    args = build_parser().parse_args([*argv, "batches", "list"])
    assert endpoint_of(args, environ) == expected


# ---------------------------------------------- version, JSON errors, tags, groups delete and show


def test_version(xms: Callable[..., Run]) -> None:
    run = xms("--version")
    assert run.code == 0
    assert run.out == f"xms {__version__}\n"


def test_every_option_and_argument_has_help() -> None:
    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert action.help, f"{path}: the command list has no help"
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif action.help in (None, "") and action.help is not argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "xms")
    assert missing == []


def test_json_mode_reports_an_xms_error_as_one_object(xms: Callable[..., Run]) -> None:
    run = xms("--json", "groups", "update", "no-such-group", "--add-from-group", "someGroup1")
    assert run.code == 3
    error = run.json()
    assert error["exit_status"] == 3
    assert error["error"] == "NotFoundException"
    assert "no-such-group" in error["message"]
    assert "code" not in error


def test_json_mode_error_carries_the_xms_code(xms: Callable[..., Run], client: Client) -> None:
    group = client.create_group(GroupCreate(name="taken"))
    run = xms("--json", "groups", "create", "--name", "taken")
    assert run.code == 3, run.err
    error = run.json()
    assert error == {
        "error": "ErrorResponseException",
        "message": error["message"],
        "exit_status": 3,
        "code": "conflict_group_name",
    }
    assert group.group_id


def test_json_mode_reports_usage_errors_as_json(xms: Callable[..., Run]) -> None:
    run = xms("--json", "batches", "shw")
    assert run.code == 2
    error = run.json()
    assert error["error"] == "UsageError"
    assert error["exit_status"] == 2
    assert "invalid choice: 'shw'" in error["message"]
    run = xms("--json", "send", "--to", "070-123 45 67", "--body", "x")
    assert run.code == 2
    assert run.json()["exit_status"] == 2


def test_human_mode_keeps_text_errors(xms: Callable[..., Run]) -> None:
    run = xms("batches", "show", "no-such-batch")
    assert run.code == 3
    assert run.out == ""
    assert run.err.startswith("xms: NotFoundException")


def test_json_mode_error_after_output_keeps_one_document(
    xms: Callable[..., Run], client: Client
) -> None:
    # A group deleted between fetching it and its members: the command fails part-way
    # only in theory; here a missing group fails before any output, so one object.
    run = xms("--json", "groups", "show", "missing-group")
    assert run.code == 3
    assert run.json()["error"] == "NotFoundException"


def test_batch_tags_show_replace_add_remove(
    xms: Callable[..., Run], client: Client, sim: Simulator
) -> None:
    batch = client.create_batch(MtBatchTextSmsCreate(recipients=[A], body="x", tags=["old"]))
    assert xms("batches", "tags", batch.batch_id).out == "old\n"
    run = xms("batches", "tags", batch.batch_id, "--set", "b", "--set", "a")
    assert run.code == 0, run.err
    assert run.out == "a\nb\n"
    run = xms("--json", "batches", "tags", batch.batch_id, "--add", "c", "--remove", "a")
    assert sorted(run.json()) == ["b", "c"]
    assert sorted(client.fetch_batch_tags(batch.batch_id)) == ["b", "c"]
    assert xms("batches", "tags", batch.batch_id, "--clear").out == ""
    assert list(client.fetch_batch_tags(batch.batch_id)) == []
    mixed = xms("batches", "tags", batch.batch_id, "--set", "x", "--add", "y")
    assert mixed.code == 2
    assert "do not mix" in mixed.err


def test_group_tags(xms: Callable[..., Run], client: Client) -> None:
    group = client.create_group(GroupCreate(name="g", tags=["t1"]))
    assert xms("groups", "tags", group.group_id).out == "t1\n"
    assert xms("groups", "tags", group.group_id, "--add", "t2").out == "t1\nt2\n"
    assert xms("groups", "tags", group.group_id, "--set", "only").out == "only\n"
    assert list(client.fetch_group_tags(group.group_id)) == ["only"]


def test_group_delete(xms: Callable[..., Run], client: Client) -> None:
    group = client.create_group(GroupCreate(name="bye"))
    run = xms("groups", "delete", group.group_id)
    assert run.code == 0, run.err
    assert run.out == f"Deleted group {group.group_id}\n"
    assert [g.group_id for g in client.fetch_groups().items()] == []
    assert xms("--json", "groups", "delete", group.group_id).json()["exit_status"] == 3


def test_group_show_has_members_children_rules_and_tags(
    xms: Callable[..., Run], client: Client
) -> None:
    child = client.create_group(GroupCreate(name="child", members=[B]))
    group = client.create_group(
        GroupCreate(
            name="parent",
            members=[A],
            child_groups=[child.group_id],
            auto_update=GroupAutoUpdate(recipient="12345", add_first_word="join"),
            tags=["vip"],
        )
    )
    run = xms("groups", "show", group.group_id)
    assert run.code == 0, run.err
    text = run.out
    assert "parent" in text
    assert child.group_id in text
    assert "12345" in text
    assert "join" in text
    assert "vip" in text
    assert A in text
    document = xms("--json", "groups", "show", group.group_id).json()
    assert document["group_id"] == group.group_id
    assert document["child_groups"] == [child.group_id]
    assert document["auto_update"]["add_first_word"] == "join"
    assert document["tags"] == ["vip"]
    assert document["members"] == [A]  # direct members; the child group is listed apart


# --------------------------------------------------------------------------- groups as recipients


def test_send_to_a_group_and_a_number(
    xms: Callable[..., Run], sim: Simulator, clock: ManualClock
) -> None:
    group = xms("--json", "groups", "create", "--name", "team", "--member", A, "--member", B)
    group_id = group.json()["group_id"]

    run = xms("--json", "send", "--from", "12345", "--to", group_id, "--to", C, "--body", "hi")
    clock.advance(10)
    batch_id = run.json()[0]["batch_id"]
    report = xms("--json", "reports", "full", batch_id).json()

    assert run.code == 0
    assert run.json()[0]["recipients"] == [group_id, C]
    assert sim.batch(batch_id)["to"] == [group_id, C]
    assert report["total_message_count"] == 3
    assert sorted(report["statuses"][0]["recipients"]) == sorted([A, B, C])


def test_a_national_number_is_refused_before_sending(
    xms: Callable[..., Run], sim: Simulator
) -> None:
    run = xms("send", "--to", "070-123 45 67", "--body", "hi")
    assert run.code == 2
    assert "recipients: '070-123 45 67' is a national number" in run.err
    assert sim.batch_count == 0


def test_csv_takes_group_ids_only_without_parameter_columns(
    xms: Callable[..., Run], sim: Simulator, tmp_path: Path
) -> None:
    group_id = xms("--json", "groups", "create", "--name", "g", "--member", A).json()["group_id"]
    plain = write_csv(tmp_path, f"recipient\n{group_id}\n{B}\n")
    sent = xms("--json", "send", "--csv", plain, "--body", "hi")
    assert sent.code == 0
    assert sim.batch(sent.json()[0]["batch_id"])["to"] == [group_id, B]

    templated = tmp_path / "templated.csv"
    templated.write_text(f"recipient,name\n{group_id},Team\n{B},Bo\n", encoding="utf-8")
    refused = xms("send", "--csv", str(templated), "--body", "Hi ${name}")
    assert refused.code == 2
    assert f"line 2: '{group_id}' is a group id, which cannot have template values" in refused.err
    assert sim.batch_count == 1
