"""A campaign from CSV against the benchmark server, next to a raw h11-over-trio floor.

    python -m benchmarks.campaign [--rows 100000] [--rounds 5] [--concurrency 8]
                                  [--million] [--quick]

* **Ours**: `xms campaign`'s engine, whole: `scan_csv` (every row checked, the file
  fingerprinted), then `send_campaign` reading the file again, building each batch of
  1000 (validated), marking it in the SQLite journal (WAL; the `sending` mark synced to
  disk), posting it through `AsyncClient` on `TrioTransport` (C connections), reading
  the answer, journalling `sent`.
* **The floor** (the issue's): the very request bytes ours sends for the same CSV (built
  before the clock starts), posted with raw h11 over C trio keep-alive connections, each
  task taking the next body from a shared list, reading each answer to its end.
* **The pipeline floor** (for information): the least a Python sender does, timed whole:
  `csv.reader`, one dict per 1000 rows, `json.dumps`, then the same raw h11 posting; no
  checks, no duplicate detection, no journal, no answer parsing.

Each contender runs in a child process of its own (so its peak RSS, `ru_maxrss`, is its
own), alternating, `--rounds` times; the rate ratio is taken within each round and the
median reported with its min-max. `--million` adds one run of ours over 1,000,000 rows
for the peak RSS, to compare with the 100,000-row one (streamed: it must stay within
1.5x). The server is `benchmarks.server`, in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import fixtures
from benchmarks.measure import EM_DASH, EN_DASH, GREATER_EQUAL, LESS_EQUAL, TIMES
from benchmarks.server import Server

BODY = "Hi ${name}, your order ${order} has shipped"
CONTENDERS = ("ours", "floor", "pipeline")
RATE_TARGET = 0.8
RSS_TARGET = 1.5


def write_csv(path: Path, rows: int) -> None:
    """A CSV of `rows` distinct recipients with two template parameters."""
    with path.open("w") as file:
        file.write("recipient,name,order\n")
        for i in range(rows):
            file.write(f"+4670{i:08d},Customer {i},A-{i % 10000}\n")


def _count_rows(csv_path: str) -> int:
    with Path(csv_path).open() as file:
        return sum(1 for _ in file) - 1


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_ours(csv_path: str, port: int, concurrency: int, journal: str) -> dict[str, Any]:
    """Run the whole campaign; return its time, rows and peak RSS."""
    import trio

    from transports import AsyncClient
    from transports.campaign import Campaign, Journal, read_csv, scan_csv, send_campaign
    from transports.trio import TrioTransport

    async def main() -> float:
        started = time.perf_counter()
        scan = scan_csv(csv_path)
        client = AsyncClient(
            fixtures.PLAN,
            fixtures.TOKEN,
            f"http://127.0.0.1:{port}/xms",
            transport=TrioTransport(max_connections=concurrency),
        )
        store = Journal.open(journal)
        try:
            async with client:
                report = await send_campaign(
                    client,
                    store,
                    read_csv(scan),
                    Campaign(body=BODY, sender=fixtures.SENDER),
                    fingerprint=scan.fingerprint,
                    total=scan.recipients,
                    concurrency=concurrency,
                )
        finally:
            store.close()
        assert report.complete, report
        return time.perf_counter() - started

    seconds = trio.run(main)
    return {"seconds": seconds, "rows": _count_rows(csv_path), "rss_mb": _peak_rss_mb()}


def _ours_requests(csv_path: str, port: int) -> list[tuple[str, list[tuple[str, str]], bytes]]:
    """The (target, headers, body) of every create ours sends for `csv_path`."""
    from transports.campaign import Campaign, read_csv, scan_csv
    from xms_core import CreateBatch, Settings, chunk_reference, chunked

    settings = Settings(
        service_plan_id=fixtures.PLAN, token=fixtures.TOKEN, endpoint=f"http://127.0.0.1:{port}/xms"
    )
    campaign = Campaign(body=BODY, sender=fixtures.SENDER)
    requests = [
        CreateBatch(batch=campaign.batch(chunk_reference("floor", n), rows)).build_request(settings)
        for n, rows in chunked(read_csv(scan_csv(csv_path)))
    ]
    return [
        (
            "/" + r.url.split("/", 3)[3],
            [
                ("host", f"127.0.0.1:{port}"),
                *r.headers,
                ("content-length", str(len(r.body or b""))),
            ],
            r.body or b"",
        )
        for r in requests
    ]


def _pipeline_requests(
    csv_path: str, port: int, headers: list[tuple[str, str]]
) -> list[tuple[str, list[tuple[str, str]], bytes]]:
    """The least a Python sender does: csv.reader, a dict per 1000 rows, json.dumps."""
    import csv

    target = f"/xms/v1/{fixtures.PLAN}/batches"
    out = []
    with Path(csv_path).open(newline="") as file:
        reader = csv.reader(file)
        names = next(reader)[1:]
        chunk: list[list[str]] = []
        for row in [*reader, None]:
            if row is not None:
                chunk.append(row)
            if chunk and (row is None or len(chunk) == 1000):
                to = [r[0] for r in chunk]
                parameters = {n: {r[0]: r[i + 1] for r in chunk} for i, n in enumerate(names)}
                body = json.dumps(
                    {"from": fixtures.SENDER, "to": to, "body": BODY, "parameters": parameters}
                ).encode()
                out.append((target, [*headers, ("content-length", str(len(body)))], body))
                chunk = []
    return out


def child_floor(csv_path: str, port: int, concurrency: int, *, pipeline: bool) -> dict[str, Any]:
    """Post the bodies with raw h11 over trio: ours' bytes built beforehand, or (with
    `pipeline`) the least a Python sender does, built inside the timed region."""
    import h11
    import trio

    heads = _ours_requests(csv_path, port)
    plain_headers = [h for h in heads[0][1] if h[0] != "content-length"]

    async def exchange(
        stream: trio.SocketStream, conn: h11.Connection, head: tuple[str, Any, bytes]
    ) -> None:
        if conn.our_state is h11.DONE:
            conn.start_next_cycle()
        target, headers, body = head
        event = h11.Request(method="POST", target=target, headers=headers)
        await stream.send_all(
            conn.send(event) + conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage())
        )
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA:
                conn.receive_data(await stream.receive_some(65536))
            elif type(ev) is h11.EndOfMessage:
                return

    async def main() -> float:
        streams = [await trio.open_tcp_stream("127.0.0.1", port) for _ in range(concurrency)]
        conns = [h11.Connection(h11.CLIENT) for _ in streams]
        started = time.perf_counter()
        pending = list(
            reversed(_pipeline_requests(csv_path, port, plain_headers) if pipeline else heads)
        )

        async def work(stream: trio.SocketStream, conn: h11.Connection) -> None:
            while pending:
                await exchange(stream, conn, pending.pop())

        async with trio.open_nursery() as nursery:
            for stream, conn in zip(streams, conns, strict=True):
                nursery.start_soon(work, stream, conn)
        elapsed = time.perf_counter() - started
        for stream in streams:
            await stream.aclose()
        return elapsed

    seconds = trio.run(main)
    return {"seconds": seconds, "rows": _count_rows(csv_path), "rss_mb": _peak_rss_mb()}


def _spawn(kind: str, csv_path: Path, port: int, concurrency: int, work: Path) -> dict[str, Any]:
    journal = work / f"journal-{time.monotonic_ns()}.db"
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "benchmarks.campaign",
            "--child",
            kind,
            "--csv",
            str(csv_path),
            "--port",
            str(port),
            "--concurrency",
            str(concurrency),
            "--journal",
            str(journal),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=True,
    )
    for leftover in work.glob(journal.name + "*"):
        leftover.unlink()
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(rows: int, rounds: int, concurrency: int, *, million: bool) -> dict[str, Any]:
    """Measure; return every round's figures and the summary."""
    results: dict[str, Any] = {"rows": rows, "concurrency": concurrency, "rounds": []}
    with tempfile.TemporaryDirectory() as tmp, Server() as server:
        work = Path(tmp)
        csv_path = work / "campaign.csv"
        write_csv(csv_path, rows)
        _spawn("floor", csv_path, server.port, concurrency, work)  # warm the page cache
        for number in range(rounds):
            shift = number % len(CONTENDERS)
            order = CONTENDERS[shift:] + CONTENDERS[:shift]
            figures = {
                kind: _spawn(kind, csv_path, server.port, concurrency, work) for kind in order
            }
            results["rounds"].append(figures)
        if million:
            big = work / "million.csv"
            write_csv(big, 1_000_000)
            results["million"] = _spawn("ours", big, server.port, concurrency, work)
    for floor in ("floor", "pipeline"):
        ratios = [r[floor]["seconds"] / r["ours"]["seconds"] for r in results["rounds"]]
        results[f"ratio_{floor}"] = {
            "median": statistics.median(ratios),
            "min": min(ratios),
            "max": max(ratios),
        }
    for kind in CONTENDERS:
        rates = [r[kind]["rows"] / r[kind]["seconds"] for r in results["rounds"]]
        results[kind] = {
            "rate": statistics.median(rates),
            "seconds": statistics.median(r[kind]["seconds"] for r in results["rounds"]),
            "rss_mb": statistics.median(r[kind]["rss_mb"] for r in results["rounds"]),
        }
    return results


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _span(value: dict[str, float]) -> str:
    return f"{value['median']:.2f}{TIMES} ({value['min']:.2f}{EN_DASH}{value['max']:.2f})"


def markdown(results: dict[str, Any]) -> str:
    """The README rows."""
    ratio, versus = results["ratio_floor"], results["ratio_pipeline"]
    ours, floor, pipeline = results["ours"], results["floor"], results["pipeline"]
    rows = results["rows"]
    met = "yes" if ratio["median"] >= RATE_TARGET else "**no**"
    lines = [
        _row("Work", "Target", "Ours", "Met"),
        _row("---", "---", "---", "---"),
        _row(
            f"campaign of {rows:,} recipients from CSV ({-(-rows // 1000)} batches), journal on,"
            f" C = {results['concurrency']}",
            f"{GREATER_EQUAL} {RATE_TARGET}{TIMES} raw h11-over-trio posting the same bodies",
            _span(ratio),
            met,
        ),
        _row(
            "the same, against csv.reader + json.dumps + raw h11 (no checks, no journal)",
            "(information)",
            _span(versus),
            EM_DASH,
        ),
    ]
    if "million" in results:
        big = results["million"]
        within = big["rss_mb"] / ours["rss_mb"]
        lines.append(
            _row(
                f"peak RSS, 1,000,000 recipients against {rows:,}",
                f"{LESS_EQUAL} {RSS_TARGET}{TIMES}",
                f"{within:.2f}{TIMES} ({big['rss_mb']:.0f} MB against {ours['rss_mb']:.0f} MB)",
                "yes" if within <= RSS_TARGET else "**no**",
            )
        )
    lines += [
        "",
        _row("Contender", "Recipients/s", "Time", "Peak RSS"),
        _row("---", "---", "---", "---"),
    ]
    named = [
        ("ours (scan + send + journal)", ours),
        ("raw h11 over trio (posting only)", floor),
        ("csv.reader + json.dumps + raw h11 over trio", pipeline),
    ]
    if "million" in results:
        big = results["million"]
        big_rate = big["rows"] / big["seconds"]
        named.append(("ours, 1,000,000 recipients", {**big, "rate": big_rate}))
    lines += [
        _row(name, f"{v['rate']:,.0f}", f"{v['seconds']:.2f} s", f"{v['rss_mb']:.0f} MB")
        for name, v in named
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with `--child`, one contender) and print the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.campaign")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--million", action="store_true", help="add a 1,000,000-row run")
    parser.add_argument("--quick", action="store_true", help="2,000 rows, 2 rounds")
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--journal", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "ours":
        print(json.dumps(child_ours(args.csv, args.port, args.concurrency, args.journal)))
        return 0
    if args.child in ("floor", "pipeline"):
        floor = child_floor(
            args.csv, args.port, args.concurrency, pipeline=args.child == "pipeline"
        )
        print(json.dumps(floor))
        return 0
    rows, rounds = (2_000, 2) if args.quick else (args.rows, args.rounds)
    results = run(rows, rounds, args.concurrency, million=args.million and not args.quick)
    print(markdown(results))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
