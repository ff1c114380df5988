"""The XMS simulator: a pure in-memory XMS server and its loopback HTTP server.

`Simulator.handle` is a function from `HttpRequest` to `HttpResponse` over
in-memory state with an injected clock; `MemoryTransport(simulator.handle)`
makes it an offline XMS, and `serve(simulator.handle)` puts it on 127.0.0.1.
`serve(simulator.handle, control=simulator)` adds its control API under
`/_simulator`. `python -m transports.simulator` and `xms simulate` (one entry
point) serve it from the command line.
"""

from __future__ import annotations

from transports.simulator._core import ManualClock, Simulator
from transports.simulator._faults import Fault, FaultPlan
from transports.simulator._server import SimulatorServer, serve, start

__all__ = ["Fault", "FaultPlan", "ManualClock", "Simulator", "SimulatorServer", "serve", "start"]
