"""Run every benchmark and write the table: `python -m benchmarks.bench [--quick]`.

`./benchmarks/run` sets up the benchmark environment (with the original SDK)
and calls this. It writes `benchmarks/results/latest.md` and `latest.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import codec, network, original
from benchmarks.measure import (
    EM_DASH,
    EN_DASH,
    GREATER_EQUAL,
    LESS_EQUAL,
    MICRO,
    TIMES,
    Group,
    GroupResult,
    met,
    run_group,
    summarize,
)
from benchmarks.server import Server

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Sizes:
    """How much work each round does, and how many rounds."""

    rounds: int
    sync: int  # requests per round, requests transport
    h11: int  # requests per round, blocking h11
    concurrent: int  # requests per round, trio and asyncio
    walks: int  # walks of every page per round
    decode_batch: int
    decode_page: int
    reports: tuple[tuple[int, int], ...]  # (recipients, decodes per round)
    memory_recipients: int
    encodes: tuple[tuple[int, int], ...]  # (recipients, encodes per round)
    ceiling_seconds: float


FULL = Sizes(
    rounds=11,
    sync=400,
    h11=1200,
    concurrent=2400,
    walks=16,
    decode_batch=20_000,
    decode_page=1_500,
    reports=((1_000, 3_000), (10_000, 300), (100_000, 30)),
    memory_recipients=100_000,
    encodes=((10_000, 300), (1_000, 3_000)),
    ceiling_seconds=2.0,
)
QUICK = Sizes(
    rounds=3,
    sync=10,
    h11=20,
    concurrent=64,
    walks=1,
    decode_batch=50,
    decode_page=5,
    reports=((1_000, 3), (2_000, 2), (5_000, 1)),
    memory_recipients=2_000,
    encodes=((2_000, 3), (1_000, 3)),
    ceiling_seconds=0.1,
)


def groups(server: Server, sizes: Sizes) -> Iterator[Callable[[], Group]]:
    """Every group, lazily built (a group's contenders open connections)."""
    yield lambda: network.sync_requests(server, sizes.sync, "create")
    yield lambda: network.sync_requests(server, sizes.sync, "fetch")
    yield lambda: network.sync_h11(server, sizes.h11)
    for connections in (8, 64):
        yield partial(network.trio_create, server, sizes.concurrent, connections)
    yield lambda: network.trio_create(server, sizes.concurrent, 64, tasks=256)
    for connections in (8, 64):
        yield partial(network.asyncio_create, server, sizes.concurrent, connections)
    yield lambda: network.asyncio_create(server, sizes.concurrent, 64, tasks=256)
    yield lambda: codec.decode_batch(sizes.decode_batch)
    yield lambda: codec.decode_page(sizes.decode_page)
    for recipients, ops in sizes.reports:
        yield partial(codec.decode_report, ops, recipients)
    yield lambda: codec.memory_report(sizes.memory_recipients)
    for recipients, ops in sizes.encodes:
        yield partial(codec.encode_create, ops, recipients)
    yield lambda: network.walk_pages(server, sizes.walks)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    names = ("attrs", "h11", "trio", "requests", "urllib3", "clx-sdk-xms", "iso8601")
    versions = {name: _version(name) for name in names}
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": versions,
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@contextmanager
def _stopwatch(label: str, log: Callable[[str], None]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log(f"  {label}: {time.perf_counter() - started:.1f} s")


def run(sizes: Sizes, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure everything; return the report as plain data."""
    started = time.perf_counter()
    results: list[GroupResult] = []
    with Server() as server:
        with _stopwatch("server ceiling", log):
            ceiling = network.server_ceiling(server, seconds=sizes.ceiling_seconds)
        for build in groups(server, sizes):
            group = build()
            with _stopwatch(group.key, log):
                results.append(run_group(group, sizes.rounds))
    return report(results, ceiling, sizes, time.perf_counter() - started)


def report(
    results: list[GroupResult], ceiling: dict[str, float], sizes: Sizes, seconds: float
) -> dict[str, Any]:
    """The report as plain data (what goes into the JSON file)."""
    rows = []
    groups_out = []
    fastest_client = 0.0
    for result in results:
        group = result.group
        contenders = {}
        for contender in group.contenders:
            per_op = result.per_op(contender.name)
            entry: dict[str, Any] = {"label": contender.label}
            if group.unit == "bytes":
                entry["bytes"] = per_op
            else:
                entry["seconds_per_op"] = per_op
            if group.unit == "request":
                entry["requests_per_second"] = 1 / per_op
                fastest_client = max(fastest_client, 1 / per_op)
            if contender.name in result.server:
                entry["server"] = result.server[contender.name]
            contenders[contender.name] = entry
        groups_out.append(
            {
                "key": group.key,
                "title": group.title,
                "unit": group.unit,
                "ops_per_round": group.ops,
                "rounds": len(result.times),
                "seconds": result.seconds,
                "contenders": contenders,
                "times": result.times,
                **group.extra,
            }
        )
        for row in group.rows:
            ours = summarize(result.row_ratios(row))
            entry = {
                "key": row.key,
                "group": group.key,
                "work": row.work,
                "kind": row.kind,
                "target": row.target,
                "target_text": row.target_text,
                "ours": ours.as_json(),
                "met": met(row, ours.median),
                "note": row.note,
                "original": None,
            }
            if row.original is not None:
                entry["original"] = summarize(result.row_ratios(row, row.original)).as_json()
            rows.append(entry)
    ceiling = {
        **ceiling,
        "headroom_over_fastest_client": ceiling["requests_per_second"] / max(fastest_client, 1e-9),
    }
    return {
        "machine": machine(),
        "original_installed": original.AVAILABLE,
        "rounds": sizes.rounds,
        "seconds": seconds,
        "rows": rows,
        "groups": groups_out,
        "server_ceiling": ceiling,
    }


def _ratio(value: dict[str, float] | None, target: float | None = None) -> str:
    if value is None:
        return EM_DASH
    median = value["median"]
    # Two decimals, or four where two would hide which side of the target it falls.
    close = target is not None and abs(median - target) < 0.005
    shown = f"{median:.4f}" if close else f"{median:.2f}"
    return f"{shown}{TIMES} ({value['min']:.2f}{EN_DASH}{value['max']:.2f})"


_MET = {True: "yes", False: "**no**", None: EM_DASH}
_EXPLAINED = (
    "Each cell is the median of the per-round ratios, with their min and max. Time rows"
    f" ({LESS_EQUAL}): ours' time over the comparator's, lower is better. Rate rows"
    f" ({GREATER_EQUAL}): ours' rate over the comparator's, higher is better. The original's"
    " column is the same measure for clx-sdk-xms 1.0.0 (for the concurrent rows: one thread"
    " per connection)."
)


def markdown(data: dict[str, Any]) -> str:
    """The report as Markdown."""
    info = data["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v)
    lines = [
        "# xms benchmarks: latest run",
        "",
        (
            f"Machine: {info['nproc']} CPUs, {info['implementation']} {info['python']},"
            f" {info['platform']}.  "
        ),
        f"Packages: {packages}.  ",
        f"{data['rounds']} interleaved rounds per group; whole run {data['seconds']:.0f} s.",
        "",
        _EXPLAINED,
        "",
        "| Work | Target | Ours | Met | Original, same measure |",
        "|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        note = f" ({row['note']})" if row["note"] else ""
        cells = [
            f"{row['work']}{note}",
            row["target_text"],
            _ratio(row["ours"], row["target"]),
            _MET[row["met"]],
            _ratio(row["original"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Absolute figures (medians) and the server's share",
        "",
        "| Group | Contender | Per op | Rate | Server CPU per request | Server CPU use |",
        "|---|---|---|---|---|---|",
    ]
    for group in data["groups"]:
        for entry in group["contenders"].values():
            lines.append("| " + " | ".join([group["key"], *_absolute(entry)]) + " |")
    ceiling = data["server_ceiling"]
    lines += [
        "",
        "## The server's ceiling",
        "",
        (
            f"Pipelined creates on {ceiling['connections']} connections,"
            f" {ceiling['pipeline_depth']} deep: {ceiling['requests_per_second']:.0f} requests/s"
            f" at {ceiling['cpu_per_request_us']:.1f} {MICRO}s of server CPU each"
            f" ({ceiling['utilisation'] * 100:.0f} % of one core),"
            f" {ceiling['headroom_over_fastest_client']:.1f}{TIMES} the fastest client's rate"
            " above."
        ),
        "",
    ]
    return "\n".join(lines)


def _absolute(entry: dict[str, Any]) -> list[str]:
    if "bytes" in entry:
        per_op = f"{entry['bytes'] / 1e6:.2f} MB retained"
    else:
        per_op = f"{entry['seconds_per_op'] * 1e6:.1f} {MICRO}s"
    rate = f"{entry['requests_per_second']:.0f} req/s" if "requests_per_second" in entry else ""
    server = entry.get("server")
    cpu = f"{server['cpu_per_request_us']:.1f} {MICRO}s" if server else ""
    use = f"{server['utilisation'] * 100:.0f} %" if server else ""
    return [entry["label"], per_op, rate, cpu, use]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 3 rounds (a smoke run)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write latest.md/.json")
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="rewrite latest.md from latest.json without measuring",
    )
    args = parser.parse_args(argv)
    if args.table_only:
        data = json.loads((args.out / "latest.json").read_text(encoding="utf-8"))
        (args.out / "latest.md").write_text(markdown(data) + "\n", encoding="utf-8")
        return 0
    sizes = QUICK if args.quick else FULL
    if not original.AVAILABLE:
        print(
            "note: clx-sdk-xms is not installed; the original's column stays empty", file=sys.stderr
        )
    data = run(sizes, log=lambda text: print(text, file=sys.stderr, flush=True))
    args.out.mkdir(parents=True, exist_ok=True)
    text = markdown(data)
    (args.out / "latest.md").write_text(text + "\n", encoding="utf-8")
    (args.out / "latest.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
