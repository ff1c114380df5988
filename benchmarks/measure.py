"""The method: contenders interleaved round by round, ratios taken within each round.

A *group* is a piece of work and the contenders doing it: ours, the original
SDK, and the floor (the raw library or `json.loads` doing the same work). Each
round runs every contender once on the same amount of work, starting with a
different one each round, so a drift of the shared machine hits all of them
alike. A *row* of the table is a ratio between two contenders of one group,
taken in every round; it is reported as the median of those per-round ratios
with their min and max.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TIMES = "\u00d7"
EN_DASH = "\u2013"
LESS_EQUAL = "\u2264"
GREATER_EQUAL = "\u2265"
EM_DASH = "\u2014"
MICRO = "\u00b5"

Run = Callable[[int], float]
"""Does `n` operations and returns the seconds they took (set-up excluded)."""


@dataclass
class Contender:
    """One way of doing a group's work."""

    name: str
    label: str
    run: Run
    close: Callable[[], None] = lambda: None


@dataclass
class Row:
    """A line of the table: `numerator` against `denominator`, in every round.

    `kind` is "time" (the ratio of times: lower is better, e.g. 1.05x the
    floor's time) or "rate" (the ratio of rates: higher is better). `original`
    names the contender measured against the same denominator for the
    original SDK's column, when it applies.
    """

    key: str
    work: str
    numerator: str
    denominator: str
    kind: str
    target: float | None
    against: str
    original: str | None = None
    note: str = ""

    @property
    def target_text(self) -> str:
        """`<= 1.05x raw requests.Session`, typeset."""
        if self.target is None:
            return "(information)"
        sign = LESS_EQUAL if self.kind == "time" else GREATER_EQUAL
        return f"{sign} {self.target:g}{TIMES} {self.against}"


@dataclass
class Group:
    """Contenders measured together, and the rows read from them."""

    key: str
    title: str
    ops: int
    unit: str
    contenders: list[Contender]
    rows: list[Row]
    server: Any = None  # a benchmarks.server.Server when the work goes over the network
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Summary:
    """Median and spread of per-round ratios."""

    median: float
    low: float
    high: float
    rounds: int

    def text(self) -> str:
        """`1.23x (1.20-1.31)`, typeset."""
        return f"{self.median:.2f}{TIMES} ({self.low:.2f}{EN_DASH}{self.high:.2f})"

    def as_json(self) -> dict[str, float | int]:
        """The numbers, for the JSON file."""
        return {"median": self.median, "min": self.low, "max": self.high, "rounds": self.rounds}


def summarize(values: list[float]) -> Summary:
    """Median, min and max of `values`."""
    return Summary(statistics.median(values), min(values), max(values), len(values))


def ratio(row: Row, times: dict[str, float], numerator: str) -> float:
    """The ratio a row reads from one round's times."""
    top, bottom = times[numerator], times[row.denominator]
    return top / bottom if row.kind == "time" else bottom / top


def met(row: Row, value: float) -> bool | None:
    """Whether `value` meets the row's target (None when it has none)."""
    if row.target is None:
        return None
    return value <= row.target if row.kind == "time" else value >= row.target


@dataclass
class GroupResult:
    """Everything measured for one group."""

    group: Group
    times: list[dict[str, float]]
    server: dict[str, dict[str, float]]
    seconds: float

    def row_ratios(self, row: Row, numerator: str | None = None) -> list[float]:
        """The per-round ratios of `row` (or of another numerator against its denominator)."""
        name = numerator or row.numerator
        return [ratio(row, times, name) for times in self.times if name in times]

    def per_op(self, name: str) -> float:
        """Median seconds per operation of one contender."""
        return statistics.median(t[name] for t in self.times) / self.group.ops


def run_group(group: Group, rounds: int, *, warmup: bool = True) -> GroupResult:
    """Measure `group`: a warm-up round, then `rounds` interleaved rounds."""
    started = time.perf_counter()
    contenders = group.contenders
    server = group.server
    cpu: dict[str, list[float]] = {c.name: [] for c in contenders}
    busy: dict[str, list[float]] = {c.name: [] for c in contenders}
    if warmup:
        for contender in contenders:
            contender.run(max(1, group.ops // 10))
    times: list[dict[str, float]] = []
    try:
        for index in range(rounds):
            shift = index % len(contenders)
            order = contenders[shift:] + contenders[:shift]
            this_round: dict[str, float] = {}
            for contender in order:
                before = server.stats() if server is not None else None
                wall = time.perf_counter()
                seconds = contender.run(group.ops)
                wall = time.perf_counter() - wall
                if not (seconds > 0 and math.isfinite(seconds)):
                    raise RuntimeError(f"{group.key}/{contender.name}: bad time {seconds!r}")
                this_round[contender.name] = seconds
                if before is not None:
                    after = server.stats()
                    requests = after[1] - before[1] - 1  # the first stats call counts
                    cpu[contender.name].append((after[0] - before[0]) / max(requests, 1))
                    busy[contender.name].append((after[0] - before[0]) / wall)
            times.append(this_round)
    finally:
        for contender in contenders:
            contender.close()
    server_stats = {
        name: {
            "cpu_per_request_us": statistics.median(cpu[name]) * 1e6,
            "utilisation": statistics.median(busy[name]),
        }
        for name in cpu
        if cpu[name]
    }
    return GroupResult(group, times, server_stats, time.perf_counter() - started)
