"""Smoke run of the benchmarks: every group runs at tiny sizes and gives sane numbers.

No timing is asserted: the numbers only have to be positive and finite. The
original SDK's contenders run only where `clx-sdk-xms` is installed (the
benchmark environment); everything else runs everywhere.
"""

from __future__ import annotations

import json
import math
import socket
from pathlib import Path

import pytest

from benchmarks import bench, fixtures, original
from benchmarks.measure import Contender, Group, Row, run_group, summarize
from benchmarks.server import Answers, Server

ROWS = {
    "sync_create_requests",
    "sync_fetch_requests",
    "h11_create_vs_raw",
    "trio_create_c8",
    "trio_create_c64",
    "trio_create_c256_pool64",
    "asyncio_create_c8",
    "asyncio_create_c64",
    "asyncio_create_c256_pool64",
    "decode_batch",
    "decode_page",
    "decode_report_1k",
    "decode_report_2k",
    "decode_report_5k",
    "memory_report_2k",
    "encode_create_2k",
    "encode_create_1k",
    "walk_pages",
}

WITHOUT_ORIGINAL = {
    "asyncio_create_c8",
    "asyncio_create_c64",
    "asyncio_create_c256_pool64",
    "trio_create_c256_pool64",
    "h11_create_vs_original",
}


def _sane(summary: dict[str, float]) -> bool:
    values = (summary["median"], summary["min"], summary["max"])
    return all(v > 0 and math.isfinite(v) for v in values) and summary["min"] <= summary["max"]


def test_quick_run_measures_every_row_and_writes_the_table(tmp_path: Path) -> None:
    assert bench.main(["--quick", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    table = (tmp_path / "latest.md").read_text(encoding="utf-8")

    keys = {row["key"] for row in data["rows"]}
    expected = ROWS | ({"h11_create_vs_original"} if original.AVAILABLE else set())
    assert keys == expected
    for row in data["rows"]:
        assert _sane(row["ours"]), row
        assert row["work"] in table
        if row["target"] is not None:
            assert row["met"] in {True, False}
        if original.AVAILABLE and row["key"] not in WITHOUT_ORIGINAL:
            assert row["original"] is not None, row["key"]
        if row["original"] is not None:
            assert _sane(row["original"]), row
    assert data["original_installed"] is original.AVAILABLE
    assert data["rounds"] == bench.QUICK.rounds

    for group in data["groups"]:
        assert len(group["times"]) == bench.QUICK.rounds
        names = set(group["contenders"])
        assert ("original" in names) is (original.AVAILABLE and "asyncio" not in group["key"])
        for entry in group["contenders"].values():
            value = entry.get("seconds_per_op", entry.get("bytes"))
            assert value is not None
            assert value > 0
            assert math.isfinite(value)
            if group["unit"] in {"request", "walk"}:
                assert entry["server"]["cpu_per_request_us"] > 0
                assert 0 < entry["server"]["utilisation"] < 2

    ceiling = data["server_ceiling"]
    assert ceiling["requests_per_second"] > 0
    assert ceiling["cpu_per_request_us"] > 0
    assert ceiling["headroom_over_fastest_client"] > 0
    assert data["machine"]["nproc"] >= 1
    assert data["machine"]["python"] in table


def _fake(name: str, seconds: float, calls: list[str]) -> Contender:
    def run(n: int) -> float:
        calls.append(name)
        return seconds * n

    return Contender(name, name, run)


def test_rounds_rotate_the_first_contender_and_ratios_point_the_right_way() -> None:
    calls: list[str] = []
    contenders = [_fake("a", 2.0, calls), _fake("b", 1.0, calls), _fake("c", 4.0, calls)]
    rows = [
        Row("time", "a over b", "a", "b", "time", 2.5, "b"),
        Row("rate", "a against c", "a", "c", "rate", 1.5, "c"),
    ]
    result = run_group(Group("g", "g", 10, "op", contenders, rows), 4, warmup=False)

    firsts = [calls[i * 3] for i in range(4)]
    assert firsts == ["a", "b", "c", "a"]
    assert sorted(calls) == ["a"] * 4 + ["b"] * 4 + ["c"] * 4
    assert summarize(result.row_ratios(rows[0])).median == pytest.approx(2.0)  # twice b's time
    assert summarize(result.row_ratios(rows[1])).median == pytest.approx(2.0)  # twice c's rate
    assert result.per_op("b") == pytest.approx(1.0)
    assert rows[0].target_text == "\u2264 2.5\u00d7 b"
    assert rows[1].target_text == "\u2265 1.5\u00d7 c"


def test_server_answers_from_pre_rendered_bytes() -> None:
    answers = Answers()
    prefix = f"/xms/v1/{fixtures.PLAN}/batches".encode()
    assert answers.answer(b"POST", prefix).startswith(b"HTTP/1.1 201 Created\r\n")
    assert answers.answer(b"GET", prefix + b"/anything").endswith(fixtures.batch_body())
    assert answers.answer(b"GET", prefix + b"?page=3").endswith(fixtures.page_body(3))
    assert answers.answer(b"GET", prefix + b"?page_size=5&page=99").endswith(
        fixtures.page_body(fixtures.PAGES)
    )
    assert answers.answer(b"GET", b"/elsewhere").startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert answers.requests == 5


def test_server_process_keeps_alive_pipelines_and_counts() -> None:
    with Server() as server:
        _, before = server.stats()
        path = f"/xms/v1/{fixtures.PLAN}/batches/x"
        one = f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".encode()
        body = b'{"to":["1"]}'
        post = (
            f"POST /xms/v1/{fixtures.PLAN}/batches HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(one + post + one)
            expected = 3 * len(fixtures.batch_body())
            data = b""
            while data.count(b"HTTP/1.1 ") < 3 or len(data) < expected:
                chunk = sock.recv(65536)
                assert chunk
                data += chunk
        assert data.count(b"HTTP/1.1 200 OK") == 2
        assert data.count(b"HTTP/1.1 201 Created") == 1
        cpu, after = server.stats()
        assert after - before == 4  # three requests, and the first stats call
        assert cpu > 0
