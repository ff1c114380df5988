"""Serve the XMS simulator on loopback until Ctrl-C or SIGTERM.

    python -m transports.simulator [--host 127.0.0.1] [--port 0]
        [--service-plan-id plan] [--token token] [--clock real|manual]
        [--drop-after-create FRACTION] [--too-many-requests FRACTION] [--chaos-seed N]

It prints one line, `XMS simulator on URL (service plan 'ID')`, and never the token.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime, timezone
from types import FrameType

from transports.simulator._core import Simulator
from transports.simulator._faults import CreateChaos
from transports.simulator._server import start


def real_clock() -> datetime:
    """The current time, aware UTC: the simulator's clock outside tests."""
    return datetime.now(timezone.utc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m transports.simulator",
        description="Serve an in-memory XMS service plan over HTTP on a loopback address.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="the port; 0 picks a free one")
    parser.add_argument("--service-plan-id", default="plan", help="the plan id to serve")
    parser.add_argument("--token", default="token", help="the bearer token to accept")
    parser.add_argument(
        "--clock",
        choices=("real", "manual"),
        default="real",
        help="real: batches progress in wall-clock time; manual: time stands still",
    )
    parser.add_argument(
        "--drop-after-create",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="create this fraction of batches, then drop the connection unanswered",
    )
    parser.add_argument(
        "--too-many-requests",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="refuse this fraction of batch creates with 429 (Retry-After: 0)",
    )
    parser.add_argument("--chaos-seed", type=int, default=0, metavar="N", help="for the above")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until interrupted.

    Args:
        argv: The arguments, without the program name; `sys.argv[1:]` when None.

    Returns:
        The exit status: 0 after Ctrl-C or SIGTERM, 1 if the port cannot be bound.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    simulator = Simulator(
        service_plan_id=args.service_plan_id,
        token=args.token,
        clock=real_clock if args.clock == "real" else None,
    )
    try:
        chaos = CreateChaos(
            drop_after_create=args.drop_after_create,
            too_many_requests=args.too_many_requests,
            seed=args.chaos_seed,
        )
        server = start(
            simulator.handle, host=args.host, port=args.port, callbacks=simulator.take_callbacks
        )
        if args.drop_after_create or args.too_many_requests:
            server.set_chaos(chaos)
    except ValueError as exc:
        parser.error(str(exc))  # exits with status 2
    except OSError as exc:
        sys.stderr.write(f"cannot listen on {args.host}:{args.port}: {exc.strerror}\n")
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main_thread:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, request_stop)
    try:
        sys.stdout.write(f"XMS simulator on {server.url} (service plan {args.service_plan_id!r})\n")
        sys.stdout.flush()
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
