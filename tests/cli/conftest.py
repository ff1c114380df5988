"""Fixtures of the command-line tests: the served simulator and an in-process `xms`.

Each test module provides its own `sim` (a manual clock, or real time where a
campaign needs it); everything here is built on it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest

from tests.cli.support import PLAN, TOKEN, Run
from transports import Client, MemoryTransport
from transports.cli import main
from transports.simulator import Simulator, SimulatorServer, serve


@pytest.fixture
def server(sim: Simulator) -> Iterator[SimulatorServer]:
    with serve(sim.handle) as running:
        yield running


@pytest.fixture
def env(server: SimulatorServer) -> dict[str, str]:
    return {"XMS_SERVICE_PLAN_ID": PLAN, "XMS_TOKEN": TOKEN, "XMS_ENDPOINT": server.url}


@pytest.fixture
def xms(env: dict[str, str]) -> Callable[..., Run]:
    """Run `xms` in-process; the token must appear in neither stream."""

    def run(
        *argv: str,
        environ: dict[str, str] | None = None,
        stdout: io.StringIO | None = None,
        stderr: io.StringIO | None = None,
    ) -> Run:
        out = stdout if stdout is not None else io.StringIO()
        err = stderr if stderr is not None else io.StringIO()
        code = main(list(argv), stdout=out, stderr=err, env=env if environ is None else environ)
        result = Run(code, out.getvalue(), err.getvalue())
        assert TOKEN not in result.out
        assert TOKEN not in result.err
        return result

    return run


@pytest.fixture
def client(sim: Simulator) -> Client:
    """A client on the same simulator, in memory, to set up state."""
    return Client(PLAN, TOKEN, "https://xms.test/xms", transport=MemoryTransport(sim.handle))
