"""`xms simulate`: serve the in-memory XMS simulator on loopback until Ctrl-C or SIGTERM.

The same server as `python -m transports.simulator`, with the plan id and token
taken from the flags, else from `XMS_SERVICE_PLAN_ID` and `XMS_TOKEN`, so that
pointing `XMS_ENDPOINT` at the printed URL is all the other commands need.
Callbacks are delivered to loopback URLs (and retried as XMS retries them);
`--mo-callback-url` adds the plan's inbound (MO) callback URL, and
`--callback-secret` (else `XMS_CALLBACK_SECRET`) signs every callback.
"""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import datetime, timezone
from shlex import quote
from types import FrameType

from transports.cli._context import ENV_CALLBACK_SECRET, ENV_SERVICE_PLAN_ID, ENV_TOKEN, Context
from transports.cli._output import UsageError
from transports.simulator import Simulator, start

DEFAULT_PLAN = "plan"
DEFAULT_TOKEN = "token"  # noqa: S105 - the simulator's stand-in, not a secret
_WAKE_UP = 0.5


def _real_clock() -> datetime:
    return datetime.now(timezone.utc)


def simulate(args: argparse.Namespace, ctx: Context) -> int:
    """Serve until interrupted; print the URL line first (never the token).

    Returns:
        0 once stopped; 1 if the port cannot be bound.
    """
    plan = getattr(args, "service_plan_id", None) or ctx.env.get(ENV_SERVICE_PLAN_ID)
    token = getattr(args, "token", None) or ctx.env.get(ENV_TOKEN)
    simulator = Simulator(
        service_plan_id=plan or DEFAULT_PLAN,
        token=token or DEFAULT_TOKEN,
        clock=_real_clock if args.clock == "real" else None,
        mo_callback_url=getattr(args, "mo_callback_url", None),
        callback_secret=getattr(args, "callback_secret", None) or ctx.env.get(ENV_CALLBACK_SECRET),
    )
    try:
        server = start(
            simulator.handle,
            host=args.host,
            port=args.port,
            callbacks=simulator.take_callbacks,
            callback_answered=simulator.callback_answered,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        ctx.err.write(f"xms: cannot listen on {args.host}:{args.port}: {exc.strerror}\n")
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, request_stop)
    try:
        out = ctx.out.stream
        plan = plan or DEFAULT_PLAN
        out.write(f"XMS simulator on {server.url} (service plan {plan!r})\n")
        out.write(
            f"  export XMS_ENDPOINT={quote(server.url)} {ENV_SERVICE_PLAN_ID}={quote(plan)}\n"
        )
        out.write("  stop it with Ctrl-C\n")
        out.flush()
        while not stop.wait(_WAKE_UP):
            pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
