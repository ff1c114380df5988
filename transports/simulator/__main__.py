"""Serve the XMS simulator on loopback until Ctrl-C or SIGTERM; the same as `xms simulate`.

    python -m transports.simulator [--host 127.0.0.1] [--port 0]
        [--service-plan-id ID] [--token TOKEN] [--clock real|manual]
        [--dispatch-after SECONDS] [--deliver-after SECONDS]

It prints `XMS simulator on URL (service plan 'ID')` first, and never the token.
Both names run `transports.simulator._command`; see there for the options.
"""

from __future__ import annotations

import sys

from transports.simulator._command import main, real_clock

__all__ = ["main", "real_clock"]

if __name__ == "__main__":
    sys.exit(main())
