"""`xms simulate`: serve the in-memory XMS simulator on loopback until Ctrl-C or SIGTERM.

The same entry point as `python -m transports.simulator` (`transports.simulator._command`):
the same options, the same callback delivery and control API. The plan id and token
come from the flags, else from `XMS_SERVICE_PLAN_ID` and `XMS_TOKEN`, so that pointing
`XMS_ENDPOINT` at the printed URL is all the other commands need.
"""

from __future__ import annotations

import argparse

from transports.cli._context import Context
from transports.simulator._command import run


def simulate(args: argparse.Namespace, ctx: Context) -> int:
    """Serve until interrupted; print the URL line first (never the token).

    Returns:
        0 once stopped; 1 if the port cannot be bound.
    """
    return run(args, env=ctx.env, out=ctx.out.stream, err=ctx.err, name="xms")
