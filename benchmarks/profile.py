"""Profiles behind the targets not met: `python -m benchmarks.profile [what ...]`.

* `h11`, `trio`, `asyncio`: the requests of ours and of the raw floor under
  cProfile, and the functions where ours spends more (own time per request,
  ours minus the floor). cProfile inflates call-heavy code about 2-3x: read
  the list for where the time goes, the benchmark table for how much.
* `split`: the same work without cProfile, cut into layers: the raw floor, our
  transport alone (`handle_request` with a ready `HttpRequest`), and our client
  on an in-memory transport (the core's encode and decode plus the client).
* `report`: where a full 100k-recipient delivery report's decode goes beyond
  `json.loads`, step by step.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
from typing import Any

from benchmarks import codec, fixtures, network
from benchmarks.measure import Contender, Group, Row, run_group, summarize
from benchmarks.server import Server
from transports import Client, MemoryTransport
from transports.h11 import H11Transport
from xms_core import FetchDeliveryReport, HttpResponse
from xms_core._wire import all_str

REQUESTS = 3000


def _pair(server: Server, what: str) -> tuple[Contender, Contender]:
    if what == "h11":
        request = network.create_request(server)
        return network.ours_sync(server, H11Transport(), "create"), network.raw_h11(server, request)
    if what == "trio":
        return network.ours_trio(server, 8), network.raw_trio(server, 8)
    return network.ours_asyncio(server, 64), network.raw_asyncio(server, 64)


def _own_times(stats: pstats.Stats) -> dict[str, tuple[float, int]]:
    table: dict[str, tuple[float, int]] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (path, line, name), (_, calls, own, _, _) in raw.items():
        short = path.split("site-packages/")[-1].split("/work/main/")[-1]
        # The floor writes with sendall, ours with send: the same system call.
        key = f"{short}:{line}({name.replace('sendall', 'send')})"
        before = table.get(key, (0.0, 0))
        table[key] = (before[0] + own, before[1] + calls)
    return table


def differential(what: str, top: int = 25) -> str:
    """Own time per request, ours minus the raw floor, under cProfile."""
    lines = [f"### {what}: own time per request under cProfile, ours minus the raw floor", ""]
    with Server() as server:
        contenders = _pair(server, what)
        tables = []
        for contender in contenders:
            contender.run(300)
            profiler = cProfile.Profile()
            profiler.enable()
            contender.run(REQUESTS)
            profiler.disable()
            stats = pstats.Stats(profiler)
            total = stats.total_tt / REQUESTS * 1e6  # type: ignore[attr-defined]
            lines.append(f"- {contender.label}: {total:.0f} µs per request profiled")
            tables.append(_own_times(stats))
            contender.close()
    ours, raw = tables
    diff = sorted(
        (
            (ours.get(k, (0.0, 0))[0] - raw.get(k, (0.0, 0))[0], k, ours.get(k, (0, 0))[1])
            for k in set(ours) | set(raw)
        ),
        reverse=True,
    )
    lines += ["", "```", " µs/req  calls  function (ours only, or ours minus raw)"]
    lines += [f"{d / REQUESTS * 1e6:7.2f} {n:6d}  {k}" for d, k, n in diff[:top]]
    lines.append("```")
    return "\n".join(lines)


def split(rounds: int = 9) -> str:
    """Per-request time of each layer, interleaved, without a profiler."""
    with Server() as server:
        request = network.create_request(server)
        transport = H11Transport()
        transport.handle_request(request, timeout=30)
        canned = HttpResponse(
            status=201,
            headers=[("content-type", "application/json")],
            body=fixtures.batch_body(),
        )
        memory = Client(
            fixtures.PLAN,
            fixtures.TOKEN,
            server.endpoint,
            transport=MemoryTransport(lambda _request: canned),
        )
        group = network.sync_h11(server, 1500)
        group.contenders = [c for c in group.contenders if c.name != "original"]
        group.contenders += [
            Contender(
                "transport",
                "H11Transport.handle_request alone",
                network.loop(lambda: transport.handle_request(request, timeout=30)),
                transport.close,
            ),
            Contender(
                "memory",
                "Client on MemoryTransport (core + client only)",
                network.loop(lambda: memory.create_batch(network.BATCH)),
            ),
        ]
        group.rows = [
            Row("client", "client", "ours", "raw", "time", None, "raw"),
            Row("transport", "transport", "transport", "raw", "time", None, "raw"),
        ]
        result = run_group(group, rounds)
    lines = ["### blocking h11, layer by layer (no profiler)", ""]
    lines += [
        f"- {contender.label}: {result.per_op(contender.name) * 1e6:.1f} µs"
        for contender in group.contenders
    ]
    lines += [
        f"- {row.numerator} / raw: {summarize(result.row_ratios(row)).text()}" for row in group.rows
    ]
    return "\n".join(lines)


def report(recipients: int = 100_000, rounds: int = 11) -> str:
    """A full report's decode against json.loads, adding one pass at a time (interleaved)."""
    body = fixtures.delivery_report_body(recipients)
    command = FetchDeliveryReport(batch_id=fixtures.BATCH_ID, kind="full")
    request = command.build_request(codec.SETTINGS)
    response = HttpResponse(status=200, headers=[("content-type", "application/json")], body=body)

    def checked() -> object:
        data = json.loads(body)
        return [all_str(bucket["recipients"]) for bucket in data["statuses"]]

    def copied() -> object:
        data = json.loads(body)
        return [tuple(bucket["recipients"]) for bucket in data["statuses"]]

    def both() -> object:
        data = json.loads(body)
        lists = [bucket["recipients"] for bucket in data["statuses"]]
        return [tuple(items) for items in lists if all_str(items)]

    steps = [
        ("json", "json.loads (the floor)", lambda: json.loads(body)),
        ("check", "json.loads + the C string check of every recipient", checked),
        ("copy", "json.loads + each list copied into a tuple, the lists freed", copied),
        ("both", "json.loads + check + copy", both),
        ("ours", "parse_response (ours)", lambda: command.parse_response(request, response)),
    ]
    contenders = [Contender(key, label, codec.timed(work)) for key, label, work in steps]
    rows = [Row(key, label, key, "json", "time", None, "json") for key, label, _ in steps[1:]]
    ops = max(3, 3_000_000 // recipients)
    result = run_group(Group("report", "report", ops, "decode", contenders, rows), rounds)
    lines = [f"### full delivery report, {recipients} recipients, one pass at a time", ""]
    floor = result.per_op("json")
    lines.append(f"- json.loads (the floor): {floor * 1e3:.2f} ms")
    lines += [
        f"- {row.work}: {result.per_op(row.key) * 1e3:.2f} ms,"
        f" {summarize(result.row_ratios(row)).text()} json.loads"
        for row in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the profiles asked for (all by default)."""
    wanted = (argv if argv is not None else sys.argv[1:]) or [
        "split",
        "h11",
        "trio",
        "asyncio",
        "report",
    ]
    for what in wanted:
        if what == "split":
            print(split())
        elif what == "report":
            print(report())
        elif what in {"h11", "trio", "asyncio"}:
            print(differential(what))
        else:
            print(f"unknown profile {what!r}", file=sys.stderr)
            return 2
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
