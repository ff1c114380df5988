"""The bytes every contender reads and writes: one realistic answer per XMS path.

The server pre-renders these once; the codec benchmarks decode the very same
bytes, so a network benchmark and a decode benchmark talk about one workload.
"""

from __future__ import annotations

import json
from typing import Any

PLAN = "bench-plan"
TOKEN = "bench-token-0123456789"  # noqa: S105 - a fake token for a local fake server
BATCH_ID = "01FC66621XXXXX119Z8PMV1QPQ"
PAGES = 20  # full pages of batches the listing has
PAGE_SIZE = 30  # the XMS default page size
SENDER = "12345"
BODY = "Hello! Your code is 4711."
RECIPIENTS = ("+46701234567", "+46709876543")


def batch_fields(index: int = 0, recipients: tuple[str, ...] = RECIPIENTS) -> dict[str, Any]:
    """A text batch as XMS answers it (the fields of the XMS reference example)."""
    return {
        "id": f"01FC66621XXXXX119Z8PM{index:05d}",
        "to": list(recipients),
        "from": SENDER,
        "canceled": False,
        "body": BODY,
        "type": "mt_text",
        "created_at": "2024-05-01T12:00:00.123Z",
        "modified_at": "2024-05-01T12:00:00.456Z",
        "delivery_report": "summary",
        "expire_at": "2024-05-04T12:00:00.123Z",
        "flash_message": False,
        "feedback_enabled": False,
    }


def encode(value: object) -> bytes:
    """JSON as a server writes it: compact, UTF-8."""
    return json.dumps(value, separators=(",", ":")).encode()


def batch_body() -> bytes:
    """The answer to a create, a fetch, a replace or a cancel."""
    return encode(batch_fields())


def page_body(page: int, *, pages: int = PAGES, size: int = PAGE_SIZE) -> bytes:
    """Page `page` of a listing of `pages` full pages (any later page is empty)."""
    count = pages * size
    first = page * size
    items = [batch_fields(first + i) for i in range(size)] if page < pages else []
    return encode({"page": page, "page_size": len(items), "count": count, "batches": items})


def msisdn(index: int) -> str:
    """The `index`-th of a run of distinct Swedish mobile numbers."""
    return f"+4670{index:07d}"


def delivery_report_body(recipients: int) -> bytes:
    """A full batch delivery report: buckets of 90 % delivered, 6 % failed, 4 % expired."""
    buckets = [(0, "Delivered", 90), (402, "Failed", 6), (406, "Expired", 4)]
    statuses = []
    start = 0
    for position, (code, status, percent) in enumerate(buckets):
        last = position == len(buckets) - 1
        count = recipients - start if last else recipients * percent // 100
        statuses.append(
            {
                "code": code,
                "status": status,
                "count": count,
                "recipients": [msisdn(i) for i in range(start, start + count)],
            }
        )
        start += count
    return encode(
        {
            "type": "delivery_report_sms",
            "batch_id": BATCH_ID,
            "total_message_count": recipients,
            "statuses": statuses,
        }
    )


def error_body() -> bytes:
    """What the server answers to a path it does not know."""
    return encode({"code": "not_found", "text": "no such path in the benchmark server"})
