"""The short CI version of the fuzz campaigns in `harness.py`."""

from __future__ import annotations

import json
import random

from tests.fuzz.harness import COMMANDS, decoders, simulator_target
from transports.simulator import Simulator

SEED = 20261126


def samples(count: int) -> list[bytes]:
    rng = random.Random(SEED)
    shapes = [
        b"",
        b"{}",
        b"[]",
        b"null",
        json.dumps({"type": "mt_text", "id": 1}).encode(),
        json.dumps({"page": 0, "page_size": "x", "count": 1, "batches": [None]}).encode(),
        json.dumps({"type": "delivery_report_sms", "statuses": [{}]}).encode(),
        json.dumps({"type": "mo_binary", "body": "!!", "udh": "zz"}).encode(),
    ]
    out = []
    for _ in range(count):
        head = bytes([rng.randrange(256), rng.randrange(256)])
        if rng.random() < 0.5:
            out.append(head + rng.choice(shapes))
        else:
            out.append(head + rng.randbytes(rng.randrange(64)))
    return out


def test_decoders_raise_nothing_but_api_exceptions() -> None:
    for data in samples(4000):
        decoders(data)
    assert len(COMMANDS) == 19


def test_simulator_answers_every_fuzzed_request_below_500() -> None:
    target = simulator_target(Simulator)
    for data in samples(3000):
        target(data)
