"""Decoding, encoding and memory: no network, the same bytes for every contender.

Ours is the whole `parse_response` (status check, content type, `json.loads`,
typed values) or the whole `build_request` (values to JSON to bytes, URL and
headers); the floor is `json.loads` / `json.dumps` of the same bytes / dict;
the original is its deserializer on a `requests.Response` (what its client
calls) or its serializer plus requests' `json=` encoding.
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks import fixtures, original
from benchmarks.measure import Contender, Group, Row
from xms_core import (
    CreateBatch,
    FetchBatch,
    FetchBatches,
    FetchDeliveryReport,
    HttpResponse,
    Settings,
)
from xms_core._batches import MAX_RECIPIENTS, write_create
from xms_core._builders import constructor
from xms_core.api import MtBatchTextSmsCreate

SETTINGS = Settings(
    service_plan_id=fixtures.PLAN, token=fixtures.TOKEN, endpoint="http://127.0.0.1:8080/xms"
)
_JSON = (("content-type", "application/json"),)


def timed(work: Callable[[], object]) -> Callable[[int], float]:
    """A contender's run: call `work` `n` times, return the seconds taken."""

    def run(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            work()
        return time.perf_counter() - started

    return run


def _decode_group(
    row: Row,
    ops: int,
    body: bytes,
    command: Any,
    decode_original: Callable[[Any], object],
) -> Group:
    request = command.build_request(SETTINGS)
    response = HttpResponse(status=200, headers=_JSON, body=body)
    contenders = [
        Contender(
            "ours", "xms parse_response", timed(lambda: command.parse_response(request, response))
        ),
        Contender("json", "json.loads", timed(lambda: json.loads(body))),
    ]
    if original.AVAILABLE:
        reply = original.response(body)
        contenders.append(
            Contender("original", "clx-sdk-xms", timed(lambda: decode_original(reply)))
        )
        row.original = "original"
    return Group(row.key, row.work, ops, "decode", contenders, [row], extra={"bytes": len(body)})


def _label(recipients: int) -> str:
    return f"{recipients // 1000}k" if recipients >= 1000 else str(recipients)


def decode_batch(ops: int) -> Group:
    """Decode one batch answer."""
    row = Row(
        "decode_batch",
        "decode one batch result (no network)",
        "ours",
        "json",
        "time",
        2.0,
        "json.loads",
    )
    command = FetchBatch(batch_id=fixtures.BATCH_ID)
    return _decode_group(row, ops, fixtures.batch_body(), command, original.decode_batch)


def decode_page(ops: int, size: int = fixtures.PAGE_SIZE) -> Group:
    """Decode a page of `size` batches."""
    row = Row(
        "decode_page",
        f"decode a page of {size} batches",
        "ours",
        "json",
        "time",
        2.5,
        "json.loads",
    )
    body = fixtures.page_body(0, size=size)
    return _decode_group(row, ops, body, FetchBatches(), original.decode_page)


def decode_report(ops: int, recipients: int) -> Group:
    """Decode a full delivery report with `recipients` recipients."""
    label = _label(recipients)
    row = Row(
        f"decode_report_{label}",
        f"decode a full delivery report, {label} recipients",
        "ours",
        "json",
        "time",
        1.3,
        "json.loads",
    )
    body = fixtures.delivery_report_body(recipients)
    command = FetchDeliveryReport(batch_id=fixtures.BATCH_ID, kind="full")
    return _decode_group(row, ops, body, command, original.decode_delivery_report)


def retained(build: Callable[[], object]) -> int:
    """Bytes still allocated, as tracemalloc counts them, while `build()`'s result lives."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        value = build()
        kept = tracemalloc.get_traced_memory()[0] - base
        del value
    finally:
        tracemalloc.stop()
    return kept


def memory_report(recipients: int) -> Group:
    """Memory retained by a decoded full delivery report, against json.loads' result.

    Each contender's "time" is the retained byte count (so the same ratio
    machinery applies); `ops` is 1.
    """
    body = fixtures.delivery_report_body(recipients)
    command = FetchDeliveryReport(batch_id=fixtures.BATCH_ID, kind="full")
    request = command.build_request(SETTINGS)
    response = HttpResponse(status=200, headers=_JSON, body=body)

    def measured(build: Callable[[], object]) -> Callable[[int], float]:
        return lambda _n: float(retained(build))

    contenders = [
        Contender(
            "ours",
            "xms parse_response",
            measured(lambda: command.parse_response(request, response)),
        ),
        Contender("json", "json.loads", measured(lambda: json.loads(body))),
    ]
    if original.AVAILABLE:
        reply = original.response(body)
        contenders.append(
            Contender(
                "original", "clx-sdk-xms", measured(lambda: original.decode_delivery_report(reply))
            )
        )
    label = _label(recipients)
    row = Row(
        f"memory_report_{label}",
        f"memory retained by a decoded {label}-recipient report",
        "ours",
        "json",
        "time",
        1.1,
        "json.loads' result",
        original="original" if original.AVAILABLE else None,
        note="tracemalloc: bytes allocated and still held while the result lives",
    )
    return Group(
        f"memory_report_{label}",
        row.work,
        1,
        "bytes",
        contenders,
        [row],
        extra={"bytes": len(body)},
    )


def big_batch(recipients: int) -> MtBatchTextSmsCreate:
    """A text batch to `recipients` recipients.

    Up to the protocol's 1000 it is built the public way; above, with a compiled
    builder that skips the validators and the post-init check of the recipient
    count (a batch may not have more, but the encoder does not care, and the
    issue's target is stated for 10k). The recipients' converter still runs.
    """
    numbers = tuple(fixtures.msisdn(i) for i in range(recipients))
    if recipients <= MAX_RECIPIENTS:
        return MtBatchTextSmsCreate(sender=fixtures.SENDER, recipients=numbers, body=fixtures.BODY)
    unchecked = constructor(
        MtBatchTextSmsCreate, "sender", "recipients", "body", skip_post_init=True
    )
    return unchecked(fixtures.SENDER, numbers, fixtures.BODY)


def encode_create(ops: int, recipients: int) -> Group:
    """Encode a create request with `recipients` recipients."""
    batch = big_batch(recipients)
    command = CreateBatch(batch=batch)
    fields = write_create(batch)
    contenders = [
        Contender("ours", "xms build_request", timed(lambda: command.build_request(SETTINGS))),
        Contender("json", "json.dumps", timed(lambda: json.dumps(fields))),
    ]
    if original.AVAILABLE:
        old = original.text_batch(tuple(fields["to"]))
        contenders.append(
            Contender("original", "clx-sdk-xms", timed(lambda: original.encode_create(old)))
        )
    label = _label(recipients)
    row = Row(
        f"encode_create_{label}",
        f"encode a create body with {label} recipients",
        "ours",
        "json",
        "time",
        1.5 if recipients >= 10_000 else None,
        "json.dumps of the same dict",
        original="original" if original.AVAILABLE else None,
    )
    return Group(row.key, row.work, ops, "encode", contenders, [row])
