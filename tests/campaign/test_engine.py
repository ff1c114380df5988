"""The campaign engine and its journal, on trio with the in-memory simulator.

Failures are injected by wrapping the simulator's handler: a create that is handled and
then lost (the ambiguous case), a 429, a 400; trio's autojump clock makes pacing and
back-off waits instant and exact.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing

from transports import AsyncClient, MemoryTransport
from transports.campaign import (
    Campaign,
    CampaignMismatchError,
    CsvError,
    Journal,
    JournalError,
    Progress,
    Recipient,
    Report,
    read_csv,
    recipient_key,
    scan_csv,
    send_campaign,
)
from transports.simulator import ManualClock, Simulator
from xms_core import ConnectionLostException, HttpRequest, HttpResponse, RetryPolicy

Handler = Callable[[HttpRequest], HttpResponse]


CLOCK = ManualClock()
"""One clock for the simulator, the client and the journal: XMS and us agree on the time."""


@pytest.fixture
def sim() -> Simulator:
    return Simulator(service_plan_id="plan", token="token", clock=CLOCK)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    opened = Journal.open(tmp_path / "campaign.db")
    yield opened
    opened.close()


def people(count: int, start: int = 0) -> list[Recipient]:
    return [
        Recipient(msisdn=f"+4670{i:07d}", parameters={"name": f"N{i}"}, line=i + 2)
        for i in range(start, start + count)
    ]


CAMPAIGN = Campaign(body="Hi ${name}", sender="Shop", chunk_size=10)


def client_for(handler: Handler) -> AsyncClient:
    return AsyncClient(
        "plan",
        "token",
        "http://127.0.0.1:1/xms",
        transport=MemoryTransport(handler),
        retry=RetryPolicy.off(),
        clock=CLOCK,
    )


async def go(
    client: AsyncClient,
    journal: Journal,
    rows: list[Recipient],
    campaign: Campaign | None,
    **options: Any,
) -> Report:
    return await send_campaign(client, journal, rows, campaign, clock=CLOCK, **options)


def recipients_in(sim: Simulator) -> collections.Counter[str]:
    return collections.Counter(
        str(to)
        for batch in sim.batches()
        for to in batch["to"]  # type: ignore[attr-defined]
    )


def run(coro: Callable[[], object]) -> object:
    return trio.run(coro, clock=trio.testing.MockClock(autojump_threshold=0))  # type: ignore[arg-type]


def test_a_campaign_sends_every_chunk_once_and_journals_it(
    sim: Simulator, journal: Journal
) -> None:
    seen: list[Progress] = []

    async def main() -> object:
        return await go(
            client_for(sim.handle),
            journal,
            people(95),
            CAMPAIGN,
            campaign_id="spring-sale",
            total=95,
            progress=seen.append,
        )

    report = run(main)
    assert report.complete  # type: ignore[attr-defined]
    assert report.sent == report.chunks == 10  # type: ignore[attr-defined]
    counts = recipients_in(sim)
    assert len(counts) == 95
    assert set(counts.values()) == {1}
    batches = {b["client_reference"]: b for b in sim.batches()}
    assert sorted(batches) == [f"spring-sale/chunk-{n:06d}" for n in range(10)]
    assert batches["spring-sale/chunk-000000"]["parameters"]["name"]["+46700000003"] == "N3"  # type: ignore[index]
    records = list(journal.chunks())
    assert [r.state for r in records] == ["sent"] * 10
    assert (records[9].first_line, records[9].last_line, records[9].recipients) == (92, 96, 5)
    assert seen[-1].recipients_done == 95
    assert seen[-1].chunks_done == 10


def test_running_again_sends_nothing_more(sim: Simulator, journal: Journal) -> None:
    async def main() -> object:
        return await go(client_for(sim.handle), journal, people(30), CAMPAIGN)

    run(main)
    again = run(main)
    assert again.sent_now == 0  # type: ignore[attr-defined]
    assert sim.batch_count == 3


def test_ambiguous_drops_are_reconciled_not_resent(sim: Simulator, journal: Journal) -> None:
    creates = 0

    def dropping(request: HttpRequest) -> HttpResponse:
        nonlocal creates
        response = sim.handle(request)
        if request.method == "POST" and request.url.endswith("/batches"):
            creates += 1
            if creates % 2:
                raise ConnectionLostException("dropped after the create")
        return response

    async def main() -> object:
        return await go(client_for(dropping), journal, people(60), CAMPAIGN)

    report = run(main)
    assert report.complete  # type: ignore[attr-defined]
    assert sim.batch_count == 6
    assert set(recipients_in(sim).values()) == {1}
    listings = [r for r in sim.requests() if r.method == "GET"]
    assert len(listings) == 3
    assert all("client_reference=" in r.url and "start_date=" in r.url for r in listings)


def test_429_is_waited_out_and_the_chunk_sent(sim: Simulator, journal: Journal) -> None:
    refusals = 3

    def throttling(request: HttpRequest) -> HttpResponse:
        nonlocal refusals
        if request.method == "POST" and refusals:
            refusals -= 1
            return HttpResponse(status=429, headers=[("retry-after", "2")], body=b"")
        return sim.handle(request)

    async def main() -> float:
        await go(client_for(throttling), journal, people(10), CAMPAIGN)
        return trio.current_time()

    elapsed = run(main)
    assert sim.batch_count == 1
    assert elapsed >= 0.25 + 0.5 + 1.0


def test_a_refused_chunk_fails_with_its_lines_and_a_resume_sends_it(
    sim: Simulator, journal: Journal
) -> None:
    broken = True

    def refusing(request: HttpRequest) -> HttpResponse:
        body = request.body or b""
        if broken and request.method == "POST" and b"N15" in body:
            error = b'{"code":"syntax_constraint_violation","text":"no"}'
            return HttpResponse(
                status=400, headers=[("content-type", "application/json")], body=error
            )
        return sim.handle(request)

    async def main() -> object:
        return await go(client_for(refusing), journal, people(30), CAMPAIGN)

    report = run(main)
    assert not report.complete  # type: ignore[attr-defined]
    (failed,) = report.failed  # type: ignore[attr-defined]
    assert (failed.number, failed.first_line, failed.last_line) == (1, 12, 21)
    assert "syntax_constraint_violation" in (failed.error or "")
    assert sim.batch_count == 2
    broken = False
    again = run(main)
    assert again.complete  # type: ignore[attr-defined]
    assert sim.batch_count == 3
    assert set(recipients_in(sim).values()) == {1}


def test_a_chunk_left_sending_is_looked_up_on_resume(sim: Simulator, journal: Journal) -> None:
    """A crash after the create reached XMS: the journal says `sending`, XMS has the batch."""

    async def first() -> object:
        return await go(client_for(sim.handle), journal, people(20), CAMPAIGN, campaign_id="crash")

    run(first)
    db = sqlite3.connect(journal.path)
    with db:
        db.execute("UPDATE chunks SET state = 'sending', batch_id = NULL WHERE number = 1")
    db.close()
    report = run(first)
    assert report.complete  # type: ignore[attr-defined]
    assert sim.batch_count == 2
    assert [r.state for r in journal.chunks()] == ["sent", "sent"]


def test_a_resume_with_other_input_or_template_is_refused(sim: Simulator, journal: Journal) -> None:
    async def send(rows: list[Recipient], campaign: Campaign | None) -> object:
        return await go(client_for(sim.handle), journal, rows, campaign)

    run(lambda: send(people(20), CAMPAIGN))
    with pytest.raises(CampaignMismatchError, match="another template"):
        run(lambda: send(people(20), Campaign(body="Bye", chunk_size=10)))
    with pytest.raises(CampaignMismatchError, match="chunk 0"):
        run(lambda: send(people(20, start=1), None))
    assert sim.batch_count == 2


def test_a_new_campaign_id_on_an_old_journal_is_refused(sim: Simulator, journal: Journal) -> None:
    async def send(campaign_id: str) -> object:
        return await go(
            client_for(sim.handle), journal, people(5), CAMPAIGN, campaign_id=campaign_id
        )

    run(lambda: send("first"))
    with pytest.raises(CampaignMismatchError, match="records campaign first"):
        run(lambda: send("second"))


def test_a_resume_takes_the_campaign_from_the_journal(sim: Simulator, journal: Journal) -> None:
    async def send(campaign: Campaign | None) -> object:
        return await go(client_for(sim.handle), journal, people(5), campaign)

    with pytest.raises(JournalError, match="no campaign"):
        run(lambda: send(None))
    run(lambda: send(CAMPAIGN))
    assert run(lambda: send(None)).complete  # type: ignore[attr-defined]


def test_the_rate_paces_messages_not_batches(sim: Simulator, journal: Journal) -> None:
    async def main() -> float:
        await go(client_for(sim.handle), journal, people(100), CAMPAIGN, rate=20.0, concurrency=4)
        return trio.current_time()

    elapsed = run(main)
    assert elapsed == pytest.approx((100 - 20) / 20.0)  # one second's burst, then 20/s


def test_bad_settings_fail_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        Campaign(body="x", chunk_size=1001)
    with pytest.raises(ValueError, match="send_at"):
        Campaign(body="x", send_at=datetime(2026, 5, 1))  # noqa: DTZ001 - the point
    bad = tmp_path / "not-a-journal.db"
    bad.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(JournalError, match="not a campaign journal"):
        Journal.open(bad)
    with pytest.raises(JournalError, match="no such journal"):
        Journal.open(tmp_path / "missing.db", create=False)


def test_csv_scan_checks_everything_and_streams(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("name , Recipient\n  Mary , +46701234567 \nJoe,0046709876543\n\n")
    scan = scan_csv(str(path))
    assert (scan.recipients, scan.columns, scan.index) == (2, ("name",), 1)
    rows = list(read_csv(scan))
    assert rows == [
        Recipient(msisdn="+46701234567", parameters={"name": "Mary"}, line=2),
        Recipient(msisdn="0046709876543", parameters={"name": "Joe"}, line=3),
    ]
    assert len(scan.fingerprint) == 64


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("recipient\n", "no recipients"),
        ("recipient;name\n+46701234567;Mary\n", "--delimiter ';'"),
        ("+46701234567,Mary\n", "not a column name"),
        ("recipient,\n+46701234567,x\n", "column 2 has no name"),
        ("a,a\n+46701234567,x\n", "duplicate column names: a"),
        ("recipient,name\n+46701234567,Ma\x00ry\n", r"line 2: the control character '\\x00'"),
        ("recipient,name\n+46701234567\n", "line 2: expected 2 fields, got 1"),
        ("recipient,name\nnope,x\n", "line 2: recipients: 'nope' is not an MSISDN"),
        (
            "recipient\n+46701234567\n0046701234567\n+46 70-123 45 67\n",
            "line 3: duplicate recipient '0046701234567' .* line 2",
        ),
    ],
)
def test_csv_scan_problems(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text)
    with pytest.raises(CsvError, match=message):
        scan_csv(str(path))


def test_semicolon_files_work_with_their_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("recipient;name\n+46701234567;Mary\n")
    assert next(iter(read_csv(scan_csv(str(path), delimiter=";")))).parameters == {"name": "Mary"}


def test_recipient_keys_ignore_spelling() -> None:
    assert recipient_key("+46 70-123 45 67") == recipient_key("0046701234567") == "46701234567"


def test_many_distinct_numbers_pass_the_duplicate_filter(tmp_path: Path) -> None:
    """Dense rows make the filter raise false alarms; the second read clears them."""
    from transports.campaign import _csv

    path = tmp_path / "dense.csv"
    path.write_text("to\n" + "".join(f"+4670{i:07d}\n" for i in range(30000)))
    seen = _csv._SeenFilter(path.stat().st_size)
    for i in range(30000):
        seen.add(f"4670{i:07d}")
    assert seen.suspects  # false alarms, at this density
    assert scan_csv(str(path)).recipients == 30000
    path.write_text(path.read_text() + "0046700000017\n")
    with pytest.raises(CsvError, match="line 30002: duplicate recipient '0046700000017'"):
        scan_csv(str(path))
