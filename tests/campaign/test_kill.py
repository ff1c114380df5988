"""Kill `xms campaign send` with SIGKILL at random points, resume until done, count.

Each test serves the simulator (real clock) on 127.0.0.1 in this process and runs the
command line as a real child process over a CSV of several thousand rows. A round
starts `send` (or `resume`), waits a random time drawn from a seeded generator, then
SIGKILLs it; after the rounds, `resume` runs to the end. Then every recipient must be
in exactly one simulator batch, and the journal must name exactly the simulator's
batches, each carrying its chunk's reference and rows.

The seed is printed (pytest shows it on failure): `XMS_KILL_SEED=N` replays a run.
The CI version runs a few rounds (about 30 s in all); `XMS_KILL_ROUNDS=N` asks for
more (e.g. 200 for a long soak).
"""

from __future__ import annotations

import collections
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import attrs
import pytest

from transports.simulator import CreateChaos, Fault, FaultPlan, Simulator, SimulatorServer, serve

REPO = Path(__file__).resolve().parents[2]
PLAN = "kill-plan"
TOKEN = "kill-token-5c2e9a"
ROWS = 2000
BATCH_SIZE = 100
ROUNDS = int(os.environ.get("XMS_KILL_ROUNDS", "6"))
KILLS_PER_CAMPAIGN = 4
SEED = int(os.environ.get("XMS_KILL_SEED", str(random.SystemRandom().randrange(1 << 30))))


def now() -> datetime:
    return datetime.now(timezone.utc)


@attrs.define
class Outcome:
    """What the journal showed right after a kill: where the process was."""

    delay: float
    point: str


@pytest.fixture
def simulator() -> Simulator:
    return Simulator(service_plan_id=PLAN, token=TOKEN, clock=now)


@pytest.fixture
def server(simulator: Simulator) -> Iterator[SimulatorServer]:
    with serve(simulator.handle) as running:
        yield running


def _csv(tmp_path: Path, campaign: int) -> Path:
    """A CSV of ROWS distinct numbers, in mixed spellings (+46..., 0046..., spaces)."""
    path = tmp_path / f"customers-{campaign}.csv"
    lines = ["recipient,name,code"]
    for i in range(campaign * ROWS, (campaign + 1) * ROWS):
        prefix = ("+4670", "004670", "+46 70")[i % 3]
        lines.append(f"{prefix}{i:07d},Name {i},C{i % 97}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _env(server: SimulatorServer) -> dict[str, str]:
    return os.environ | {
        "PYTHONPATH": str(REPO),
        "XMS_ENDPOINT": server.url,
        "XMS_SERVICE_PLAN_ID": PLAN,
        "XMS_TOKEN": TOKEN,
    }


def _command(csv_file: Path, journal: Path, *, first: bool) -> list[str]:
    base = [sys.executable, "-m", "transports.cli", "campaign"]
    if first:
        return [
            *base,
            "send",
            "--csv",
            str(csv_file),
            "--journal",
            str(journal),
            "--from",
            "Shop",
            "--body",
            "Hi ${name}, your code is ${code}",
            "--batch-size",
            str(BATCH_SIZE),
            "--concurrency",
            "4",
        ]
    return [*base, "resume", "--journal", str(journal), "--concurrency", "4"]


def _has_campaign(journal: Path) -> bool:
    """Whether the journal got as far as recording the campaign (else `send` starts it)."""
    if not journal.exists():
        return False
    with sqlite3.connect(journal) as db:
        try:
            return bool(db.execute("SELECT COUNT(*) FROM campaign").fetchone()[0] == 1)
        except sqlite3.OperationalError:
            return False


def _states(journal: Path) -> collections.Counter[str]:
    if not journal.exists():
        return collections.Counter()
    with sqlite3.connect(journal) as db:
        try:
            rows = db.execute("SELECT state FROM chunks").fetchall()
        except sqlite3.OperationalError:  # killed before the schema was written
            return collections.Counter()
    return collections.Counter(state for (state,) in rows)


def _point(states: collections.Counter[str]) -> str:
    total = sum(states.values())
    if total == 0:
        return "before any send"
    if states["sent"] == ROWS // BATCH_SIZE:
        return "after the last batch (the summary)"
    if states["sending"]:
        return "mid-request (chunks journalled 'sending', answers pending)"
    return "between chunks"


def _start(server: SimulatorServer, csv_file: Path, journal: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter
        _command(csv_file, journal, first=not _has_campaign(journal)),
        env=_env(server),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_until_done(
    server: SimulatorServer, csv_file: Path, journal: Path, rng: random.Random, top: float
) -> list[Outcome]:
    """Start, kill at a random moment, repeat; stop once a run finishes before its kill."""
    outcomes = []
    for _ in range(KILLS_PER_CAMPAIGN):
        child = _start(server, csv_file, journal)
        delay = rng.uniform(0.0, top)
        try:
            child.wait(delay)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()
            outcomes.append(Outcome(delay, _point(_states(journal))))
        else:
            break
    return outcomes


def _finish(server: SimulatorServer, csv_file: Path, journal: Path) -> str:
    for _ in range(5):
        done = subprocess.run(  # noqa: S603 - our own interpreter
            _command(csv_file, journal, first=not _has_campaign(journal)),
            env=_env(server),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout
    pytest.fail(f"resume did not finish: {done.returncode} {done.stdout} {done.stderr}")


def _digits(number: str) -> str:
    return number.replace(" ", "").removeprefix("+").removeprefix("00")


def _check_exactly_once(simulator: Simulator, campaigns: list[tuple[Path, Path]]) -> None:
    expected = [
        _digits(line.split(",")[0])
        for csv_file, _ in campaigns
        for line in csv_file.read_text().splitlines()[1:]
    ]
    batches = simulator.batches()
    seen = collections.Counter(
        _digits(str(to))
        for batch in batches
        for to in batch["to"]  # type: ignore[attr-defined]
    )
    duplicates = {number: count for number, count in seen.items() if count > 1}
    assert duplicates == {}, f"{len(duplicates)} recipients got more than one message"
    assert sorted(seen) == sorted(expected)
    by_id = {str(batch["id"]): batch for batch in batches}
    journalled: list[str] = []
    for csv_file, journal in campaigns:
        with sqlite3.connect(journal) as db:
            chunks = db.execute(
                "SELECT reference, state, batch_id, first_line, last_line, recipients"
                " FROM chunks ORDER BY number"
            ).fetchall()
        assert len(chunks) == ROWS // BATCH_SIZE
        lines = csv_file.read_text().splitlines()
        for reference, state, batch_id, first, last, count in chunks:
            assert state == "sent"
            batch = by_id[batch_id]
            assert batch["client_reference"] == reference
            rows = [line.split(",")[0] for line in lines[first - 1 : last]]
            assert len(rows) == count
            assert list(batch["to"]) == rows  # type: ignore[call-overload]
            journalled.append(batch_id)
    assert sorted(journalled) == sorted(by_id)


def _run_campaigns(
    simulator: Simulator, server: SimulatorServer, tmp_path: Path, *, top: float, salt: int
) -> list[Outcome]:
    """Campaign after campaign, each killed until it finishes, until ROUNDS kills are done."""
    rng = random.Random(SEED + salt)
    started = time.monotonic()
    outcomes: list[Outcome] = []
    campaigns: list[tuple[Path, Path]] = []
    while len(outcomes) < ROUNDS:
        csv_file, journal = _csv(tmp_path, len(campaigns)), tmp_path / f"c{len(campaigns)}.db"
        campaigns.append((csv_file, journal))
        outcomes += _kill_until_done(server, csv_file, journal, rng, top)
        _finish(server, csv_file, journal)
    print(f"seed {SEED} (XMS_KILL_SEED=N replays it): {len(campaigns)} campaign(s)")
    for outcome in outcomes:
        print(f"  killed after {outcome.delay:.2f} s: {outcome.point}")
    print(f"{time.monotonic() - started:.1f} s in all")
    _check_exactly_once(simulator, campaigns)
    return outcomes


def test_sigkill_at_random_points_then_resume_sends_each_recipient_once(
    simulator: Simulator, server: SimulatorServer, tmp_path: Path
) -> None:
    # Slow answers keep requests in flight, so kills land mid-request as well.
    server.inject(FaultPlan(fault=Fault.DELAY, delay=0.1, count=10_000, path_contains="batches"))
    outcomes = _run_campaigns(simulator, server, tmp_path, top=1.6, salt=0)
    assert len(outcomes) >= ROUNDS


def test_sigkill_with_ambiguous_drops_and_429_bursts(
    simulator: Simulator, server: SimulatorServer, tmp_path: Path
) -> None:
    server.set_chaos(CreateChaos(drop_after_create=0.2, too_many_requests=0.25, seed=SEED))
    outcomes = _run_campaigns(simulator, server, tmp_path, top=1.6, salt=1)
    assert len(outcomes) >= ROUNDS
    assert server.chaos_counts["drop"] > 0
    assert server.chaos_counts["throttle"] > 0
