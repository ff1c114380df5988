"""Smoke run of the campaign benchmark: each contender at a tiny size, in this process.

No timing is asserted: the figures only have to be positive and finite, and the table
must show every row.
"""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks import campaign
from benchmarks.server import Server


def test_every_contender_runs_and_the_table_has_every_row(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    campaign.write_csv(path, 1500)
    with Server() as server:
        ours = campaign.child_ours(str(path), server.port, 2, str(tmp_path / "j.db"))
        floor = campaign.child_floor(str(path), server.port, 2, pipeline=False)
        pipeline = campaign.child_floor(str(path), server.port, 2, pipeline=True)
        assert server.stats()[1] >= 6  # two batches per contender
    for figures in (ours, floor, pipeline):
        assert figures["rows"] == 1500
        assert 0 < figures["seconds"] < math.inf
        assert figures["rss_mb"] > 0
    span = {"median": 0.5, "min": 0.4, "max": 0.6}
    results = {
        "rows": 1500,
        "concurrency": 2,
        "ours": {**ours, "rate": 1.0},
        "floor": {**floor, "rate": 2.0},
        "pipeline": {**pipeline, "rate": 3.0},
        "ratio_floor": span,
        "ratio_pipeline": span,
        "million": ours,
    }
    table = campaign.markdown(results)
    assert "campaign of 1,500 recipients from CSV" in table
    assert "peak RSS, 1,000,000 recipients against 1,500 | \u2264 1.5\u00d7 | 1.00\u00d7" in table
    assert "(2 batches)" in table
    assert table.count("\n| ") == 10  # 3 + 4 rows, 2 separators, 1 header
