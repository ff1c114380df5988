"""The one entry point of the served simulator: `xms simulate` and `python -m transports.simulator`.

Both names parse the options of `OPTIONS` (one table; a new option is one entry
there and, if it configures the simulator or the server, one line in `run`) and
call `run`, so they serve the same simulator with the same callback delivery and
the same control API (`/_simulator`, see `_control`):

    --host 127.0.0.1  --port 0  --service-plan-id ID  --token TOKEN
    --clock real|manual  --dispatch-after SECONDS  --deliver-after SECONDS
    --mo-callback-url URL  --callback-secret SECRET

The plan id and token default to `$XMS_SERVICE_PLAN_ID` and `$XMS_TOKEN`, else
`plan` and `token`, so that pointing `XMS_ENDPOINT` at the printed URL is all
the other `xms` commands need. The callback secret defaults to
`$XMS_CALLBACK_SECRET`. Neither the token nor the secret is ever printed.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from shlex import quote
from types import FrameType
from typing import Any, TextIO, final

import attrs

from transports.simulator._core import ManualClock, Simulator
from transports.simulator._server import _check_loopback, start

ENV_SERVICE_PLAN_ID = "XMS_SERVICE_PLAN_ID"
ENV_TOKEN = "XMS_TOKEN"  # noqa: S105 - the variable's name, not a secret
ENV_CALLBACK_SECRET = "XMS_CALLBACK_SECRET"  # noqa: S105 - the variable's name
DEFAULT_PLAN = "plan"
DEFAULT_TOKEN = "token"  # noqa: S105 - the simulator's stand-in, not a secret
_WAKE_UP = 0.5
_MAX_PORT = 65535


def real_clock() -> datetime:
    """The current time, aware UTC: the served simulator's clock unless `--clock manual`."""
    return datetime.now(timezone.utc)


def _host(text: str) -> str:
    try:
        return _check_loopback(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= _MAX_PORT:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and {_MAX_PORT}")
    return port


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number, 0 or more")
    return seconds


@final
@attrs.frozen
class Option:
    """One command-line option of the served simulator.

    Attributes:
        flag: The flag, e.g. `--port`.
        help: Its help text.
        settings: The other keyword arguments of `ArgumentParser.add_argument`.
    """

    flag: str
    help: str
    settings: Mapping[str, Any] = attrs.field(factory=dict)


OPTIONS: tuple[Option, ...] = (
    Option("--host", "a loopback address to bind", {"type": _host, "default": "127.0.0.1"}),
    Option("--port", "the port; 0 picks a free one", {"type": _port, "default": 0}),
    Option(
        "--service-plan-id",
        f"the plan to serve (default: ${ENV_SERVICE_PLAN_ID}, else {DEFAULT_PLAN!r})",
        {"metavar": "ID", "default": argparse.SUPPRESS},
    ),
    Option(
        "--token",
        f"the bearer token to accept (default: ${ENV_TOKEN}, else {DEFAULT_TOKEN!r})",
        {"default": argparse.SUPPRESS},
    ),
    Option(
        "--clock",
        "real: messages advance as wall-clock time passes; manual: time stands still"
        " until moved through the control API (POST /_simulator/clock)",
        {"choices": ("real", "manual"), "default": "real"},
    ),
    Option(
        "--dispatch-after",
        "seconds from submission (or send_at) until messages are dispatched",
        {"type": _seconds, "default": 1.0, "metavar": "SECONDS"},
    ),
    Option(
        "--deliver-after",
        "seconds from dispatch until messages are delivered (or fail, or expire)",
        {"type": _seconds, "default": 2.0, "metavar": "SECONDS"},
    ),
    Option(
        "--mo-callback-url",
        "POST inbound (MO) messages to this loopback URL, as the plan's MO callback",
        {"metavar": "URL", "default": None},
    ),
    Option(
        "--callback-secret",
        f"sign every callback with this secret, as XMS does (default: ${ENV_CALLBACK_SECRET})",
        {"metavar": "SECRET", "default": None},
    ),
)
"""The options both entry points accept, in the order `--help` lists them."""


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add every option of `OPTIONS` to `parser`."""
    for option in OPTIONS:
        parser.add_argument(option.flag, help=option.help, **option.settings)


def simulator_from(args: argparse.Namespace, env: Mapping[str, str]) -> Simulator:
    """Build the simulator the parsed options describe."""
    manual = args.clock == "manual"
    return Simulator(
        service_plan_id=_plan(args, env),
        token=getattr(args, "token", None) or env.get(ENV_TOKEN) or DEFAULT_TOKEN,
        # A manual clock starts at the current second, so that send_at times make sense.
        clock=ManualClock(real_clock().replace(microsecond=0)) if manual else real_clock,
        dispatch_after=args.dispatch_after,
        deliver_after=args.deliver_after,
        mo_callback_url=args.mo_callback_url,
        callback_secret=args.callback_secret or env.get(ENV_CALLBACK_SECRET) or None,
    )


def _plan(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    return getattr(args, "service_plan_id", None) or env.get(ENV_SERVICE_PLAN_ID) or DEFAULT_PLAN


def run(
    args: argparse.Namespace,
    *,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    name: str,
    stop: threading.Event | None = None,
) -> int:
    """Serve until Ctrl-C or SIGTERM; print where (never the token) first.

    Args:
        args: Options parsed by a parser that `add_options` set up.
        env: Where `XMS_SERVICE_PLAN_ID` and `XMS_TOKEN` are read.
        out: Where the URL lines go.
        err: Where a failure to listen is reported.
        name: The program name to prefix that report with.
        stop: Set it to stop serving (as Ctrl-C and SIGTERM do in the main thread).

    Returns:
        0 once stopped; 1 if the port cannot be bound.
    """
    simulator = simulator_from(args, env)
    try:
        server = start(
            simulator.handle,
            host=args.host,
            port=args.port,
            callbacks=simulator.take_callbacks,
            callback_answered=simulator.callback_answered,
            control=simulator,
        )
    except OSError as exc:
        err.write(f"{name}: cannot listen on {args.host}:{args.port}: {exc.strerror}\n")
        return 1
    if stop is None:
        stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, request_stop)
    try:
        plan = simulator.service_plan_id
        assert server.control is not None  # noqa: S101 - started with control= above
        control = server.url.removesuffix(server.base_path) + server.control.path
        out.write(f"XMS simulator on {server.url} (service plan {plan!r})\n")
        out.write(
            f"  export XMS_ENDPOINT={quote(server.url)} {ENV_SERVICE_PLAN_ID}={quote(plan)}\n"
        )
        out.write(f"  control API: {control} ({args.clock} clock)\n")
        out.write("  stop it with Ctrl-C\n")
        out.flush()
        while not stop.wait(_WAKE_UP):
            pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of `python -m transports.simulator`."""
    parser = argparse.ArgumentParser(
        prog="python -m transports.simulator",
        description="Serve an in-memory XMS service plan over HTTP on a loopback address"
        " (the same as `xms simulate`).",
        allow_abbrev=False,
    )
    add_options(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `python -m transports.simulator`.

    Args:
        argv: The arguments, without the program name; `sys.argv[1:]` when None.

    Returns:
        The exit status: 0 after Ctrl-C or SIGTERM, 1 if the port cannot be bound
        (2, through `SystemExit`, on a usage error).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    return run(args, env=os.environ, out=sys.stdout, err=sys.stderr, name=parser.prog)
