"""Fuzz targets for every decoder and for the simulator's request handling.

Two invariants:

* client side: any bytes under any status, fed to any command's
  `parse_response` or to `parse_callback`, give a result or an `ApiException`,
  never anything else;
* server side: any request the fuzzer can build gets an answer below 500 from
  `Simulator.handle`, which never raises.

Long campaigns run with atheris (coverage-guided, on demand):

    .venv/bin/pip install atheris
    .venv/bin/python -m tests.fuzz.harness decoders -atheris_runs=2000000
    .venv/bin/python -m tests.fuzz.harness simulator -max_total_time=600

`tests/fuzz/test_harness.py` runs both targets on a few thousand random inputs in
CI, so the harness cannot rot.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

from transports.simulator import Simulator
from xms_core import (
    CancelBatch,
    CreateBatch,
    CreateBatchDryRun,
    CreateGroup,
    DeleteGroup,
    FetchBatch,
    FetchBatches,
    FetchBatchTags,
    FetchDeliveryReport,
    FetchDeliveryReports,
    FetchGroup,
    FetchGroupMembers,
    FetchGroups,
    FetchInbound,
    FetchInbounds,
    FetchRecipientDeliveryReport,
    HttpRequest,
    HttpResponse,
    SendDeliveryFeedback,
    Settings,
    UpdateBatch,
    UpdateGroup,
    parse_callback,
)
from xms_core.api import GroupCreate, GroupUpdate, MtBatchTextSmsCreate, MtBatchTextSmsUpdate
from xms_core.exceptions import ApiException

SETTINGS = Settings(service_plan_id="plan", token="token")
_BATCH = MtBatchTextSmsCreate(recipients=["+46701234567"], body="x")
COMMANDS: tuple[Any, ...] = (
    CreateBatch(batch=_BATCH),
    CreateBatchDryRun(batch=_BATCH, num_recipients=3),
    UpdateBatch(batch_id="b", batch=MtBatchTextSmsUpdate(body="y")),
    CancelBatch(batch_id="b"),
    FetchBatch(batch_id="b"),
    FetchBatches(),
    FetchBatchTags(batch_id="b"),
    FetchDeliveryReport(batch_id="b"),
    FetchRecipientDeliveryReport(batch_id="b", recipient="+46701234567"),
    FetchDeliveryReports(),
    SendDeliveryFeedback(batch_id="b"),
    CreateGroup(group=GroupCreate(name="g")),
    UpdateGroup(group_id="g", group=GroupUpdate(name="h")),
    FetchGroup(group_id="g"),
    FetchGroups(),
    FetchGroupMembers(group_id="g"),
    DeleteGroup(group_id="g"),
    FetchInbound(inbound_id="i"),
    FetchInbounds(),
)
REQUESTS = tuple(command.build_request(SETTINGS) for command in COMMANDS)
STATUSES = (200, 201, 202, 204, 400, 401, 403, 404, 429, 500, 503)
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
PATHS = (
    "/batches",
    "/batches/dry_run",
    "/batches/B",
    "/batches/B/tags",
    "/batches/B/delivery_report",
    "/batches/B/delivery_report/%2B46701234567",
    "/batches/B/delivery_feedback",
    "/delivery_reports",
    "/groups",
    "/groups/G",
    "/groups/G/members",
    "/groups/G/tags",
    "/inbounds",
    "/inbounds/I",
)


def decoders(data: bytes) -> None:
    """Feed `data` as an answer to one command, and as a callback body."""
    if len(data) < 2:
        return
    index = data[0] % len(COMMANDS)
    status = STATUSES[data[1] % len(STATUSES)]
    body = data[2:]
    response = HttpResponse(
        status=status, headers=[("content-type", "application/json")], body=body
    )
    with contextlib.suppress(ApiException):
        COMMANDS[index].parse_response(REQUESTS[index], response)
    with contextlib.suppress(ApiException):
        parse_callback(body)


def simulator_target(make: Callable[[], Simulator]) -> Callable[[bytes], None]:
    """Build the server-side target over a simulator factory."""
    simulator = make()
    batch = simulator.handle(
        SETTINGS.request("POST", "batches", json={"to": ["+46701234567"], "body": "x"})
    )
    assert batch.status == 201

    def target(data: bytes) -> None:
        if len(data) < 3:
            return
        method = METHODS[data[0] % len(METHODS)]
        path = PATHS[data[1] % len(PATHS)]
        query = data[2:18].decode("latin-1")
        body = data[18:] or None
        url = f"https://xms.test/xms/v1/plan{path}?{query}"
        headers = [("authorization", "Bearer token"), ("content-type", "application/json")]
        try:
            request = HttpRequest(method=method, url=url, headers=headers, body=body)
        except ValueError:
            return
        response = simulator.handle(request)
        assert response.status < 500, (request, response)

    return target


def main() -> None:
    """Run one target under atheris: `decoders` or `simulator`."""
    import atheris  # type: ignore[import-not-found]

    atheris.instrument_all()  # coverage feedback for the code already imported
    target = decoders if sys.argv[1] == "decoders" else simulator_target(Simulator)
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
