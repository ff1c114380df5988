"""The SDK's main job, end to end, against the embedded XMS simulator.

Run it with `python -m transports.demo`. It serves the simulator on
127.0.0.1 (no account, nothing leaves the machine), then uses the ordinary
`Client` over `requests` to send a templated batch, show its dry run, let the
simulated network deliver it, and print the delivery report and a page of
inbound messages.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from transports import Client
from transports.simulator import ManualClock, Simulator, serve
from xms_core.api import MtBatchTextSmsCreate, ReportType

PLAN = "demo-plan"
TOKEN = "demo-token"  # noqa: S105 - the simulator's own, not a secret
RECIPIENTS = ("+46701234567", "+46709876543", "+46705550000", "+46700000001")


def main(out: Callable[[str], object] = print) -> int:
    """Run the demo, writing lines with `out`; return the exit status."""
    clock = ManualClock()
    simulator = Simulator(service_plan_id=PLAN, token=TOKEN, clock=clock)
    with serve(simulator.handle) as server, Client(PLAN, TOKEN, server.url) as client:
        out(f"XMS simulator serving at {server.url}")
        batch = MtBatchTextSmsCreate(
            sender="12345",
            recipients=RECIPIENTS,
            body="Hi ${name}, your order ${order} has shipped.",
            parameters={
                "name": {"+46701234567": "Mary", "+46709876543": "Joe", "default": "friend"},
                "order": {"+46701234567": "A-17", "default": "(see e-mail)"},
            },
            delivery_report=ReportType.FULL,
            client_reference="demo-run",
        )

        dry_run = client.create_batch_dry_run(batch, num_recipients=len(RECIPIENTS))
        out("")
        out(
            f"Dry run: {dry_run.number_of_recipients} recipients,"
            f" {dry_run.number_of_messages} message parts"
        )
        for row in dry_run.per_recipient:
            out(f"  {row.recipient:<14} {row.number_of_parts} part(s) {row.encoding:<7} {row.body}")

        created = client.create_batch(batch)
        out("")
        out(f"Sent batch {created.batch_id} to {len(created.recipients)} recipients")
        simulator.fail_recipient(created.batch_id, "+46705550000", code=11)

        for label, seconds in (("just sent", 0.0), ("after 1.5 s", 1.5), ("after 10 s", 8.5)):
            clock.advance(seconds)
            report = client.fetch_delivery_report(created.batch_id, "full")
            states = ", ".join(f"{s.status} ({s.code}) x{s.count}" for s in report.statuses)
            out(f"Delivery report {label:<12}: {states}")
        for bucket in report.statuses:
            out(f"  {bucket.status:<10} {', '.join(bucket.recipients)}")

        simulator.inject_inbound(sender="+46701234567", recipient="12345", body="Thanks!")
        clock.advance(1)
        simulator.inject_inbound(sender="+46709876543", recipient="12345", body="STOP")
        out("")
        out("Inbound messages (page 0):")
        page = client.fetch_inbounds(page_size=10).get(0)
        for message in page.content:
            body = message.body if isinstance(message.body, str) else message.body.hex()
            when = f"{message.received_at:%H:%M:%S}"
            out(f"  {when} {message.sender} -> {message.recipient}: {body}")
        out(f"  ({page.size} of {page.total_size})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
