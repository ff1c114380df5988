"""What a newcomer meets first: installs with parts missing, the pytest plugin, the
default async transport, wrong-loop and closed-client errors, and `to_json`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
import trio

from tests.packaging.smoke import ALWAYS as EVERY_MODULE
from transports import AsyncClient, Client, MemoryTransport, WrongEventLoopError
from transports._auto import LoopTransport
from transports.asyncio import AsyncioTransport
from transports.simulator import ManualClock, Simulator, SimulatorServer, serve
from transports.trio import TrioTransport
from xms_core import HttpRequest, HttpResponse, RetryPolicy, to_json
from xms_core.api import (
    GroupAutoUpdate,
    GroupCreate,
    MtBatchBinarySmsCreate,
    MtBatchTextSmsCreate,
    ReportType,
)
from xms_core.exceptions import ClientClosedException

pytest_plugins = ["pytester"]

PLAN, TOKEN, NUMBER = "plan", "token", "+46701234567"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# --------------------------------------------------------------------------- installs


@pytest.mark.parametrize(
    ("package", "module", "extra"),
    [
        ("trio", "transports.trio", "trio"),
        ("trio_asyncio", "transports.trio_asyncio", "trio-asyncio"),
    ],
)
def test_a_missing_extra_names_itself_and_breaks_nothing_else(
    package: str, module: str, extra: str
) -> None:
    result = run_python(f"""
        import importlib, sys
        sys.modules[{package!r}] = None  # as if the package were not installed
        for name in {EVERY_MODULE!r}:
            importlib.import_module(name)
        from transports import AsyncClient, Client
        Client("plan", "token").close()
        try:
            importlib.import_module({module!r})
        except ImportError as error:
            print(error)
        else:
            raise SystemExit("imported")
    """)
    assert result.returncode == 0, result.stderr
    assert f"{module} needs the {package!r} package" in result.stdout
    assert f"pip install 'xms[{extra}]'" in result.stdout


def test_importing_the_plugin_loads_nothing_of_the_sdk() -> None:
    result = run_python("""
        import sys
        import pytest  # loaded by pytest before any plugin
        before = set(sys.modules)
        import transports.pytest_plugin
        print(sorted(set(sys.modules) - before))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['transports', 'transports.pytest_plugin']"


def test_the_package_facade_loads_its_names_on_first_use() -> None:
    import transports

    assert transports.Client is Client
    assert "MemoryTransport" in dir(transports)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = transports.Nope  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the plugin

PLUGIN_USERS = """
from transports import Client


def test_unrelated():
    assert 1 + 1 == 2


def test_in_memory(xms_client, xms_simulator):
    xms_client.create_text_message("12345", "+46701234567", "hi")
    assert xms_simulator.batch_count == 1


def test_served(xms_server):
    assert xms_server.url
"""


def test_a_fixture_missing_its_dependency_fails_only_its_tests(pytester: pytest.Pytester) -> None:
    # h11 "uninstalled" for the run: the simulator's fixtures fail, nothing else does.
    pytester.makeconftest("import sys\nsys.modules['h11'] = None\n")
    pytester.makepyfile(test_users=PLUGIN_USERS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(["*the xms_clock fixture needs 'h11'*pip install xms*"])
    result.stdout.fnmatch_lines(["*test_unrelated PASSED*"])


def test_the_async_fixture_says_it_needs_an_async_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_async="""
        async def test_uses_it(xms_async_client):
            await xms_async_client.fetch_batches().get(0)


        def test_unrelated():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:trio", "-q")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*xms_async_client*no plugin that runs them*pytest-trio*"])


# --------------------------------------------------------------------------- the loop's transport


@pytest.fixture
def sim() -> Simulator:
    return Simulator(service_plan_id=PLAN, token=TOKEN, clock=ManualClock())


@pytest.fixture
def served(sim: Simulator) -> Iterator[SimulatorServer]:
    with serve(sim.handle) as server:
        yield server


async def test_async_client_on_trio_picks_the_trio_transport(
    served: SimulatorServer, sim: Simulator
) -> None:
    async with AsyncClient(PLAN, TOKEN, served.url) as client:
        batch = await client.create_text_message("12345", NUMBER, "on trio")
        assert "LoopTransport(TrioTransport(" in repr(client)
    assert sim.batch(batch.batch_id)["body"] == "on trio"


def test_async_client_on_asyncio_picks_the_asyncio_transport(
    served: SimulatorServer, sim: Simulator
) -> None:
    client = AsyncClient(PLAN, TOKEN, served.url)  # built outside any loop

    async def main() -> str:
        async with client:
            batch = await client.create_text_message("12345", NUMBER, "on asyncio")
            assert "LoopTransport(AsyncioTransport(" in repr(client)
            return batch.batch_id

    assert sim.batch(asyncio.run(main()))["body"] == "on asyncio"


def test_the_loop_transport_waits_for_a_loop() -> None:
    transport = LoopTransport()
    assert transport.inner is None
    assert repr(transport) == "LoopTransport(not chosen yet)"
    request = HttpRequest(method="GET", url="http://127.0.0.1:9/xms")
    coroutine = transport.handle_async_request(request, timeout=1)
    with pytest.raises(RuntimeError, match="needs a running trio or asyncio event loop"):
        coroutine.send(None)


def test_trio_transport_on_asyncio_names_the_asyncio_transport(served: SimulatorServer) -> None:
    async def main() -> None:
        async with AsyncClient(PLAN, TOKEN, served.url, transport=TrioTransport()) as client:
            await client.fetch_batches().get(0)

    with pytest.raises(WrongEventLoopError) as info:
        asyncio.run(main())
    assert "TrioTransport runs on trio, but it was used on asyncio" in str(info.value)
    assert "transports.asyncio.AsyncioTransport" in str(info.value)


async def test_asyncio_transport_on_trio_names_the_trio_transport(served: SimulatorServer) -> None:
    client = AsyncClient(PLAN, TOKEN, served.url, transport=AsyncioTransport())
    with pytest.raises(WrongEventLoopError) as info:
        await client.fetch_batches().get(0)
    assert "AsyncioTransport runs on asyncio, but it was used on trio" in str(info.value)
    assert "transports.trio.TrioTransport" in str(info.value)
    with pytest.raises(WrongEventLoopError):
        await client._transport.sleep(0)


# --------------------------------------------------------------------------- closed clients


def _flaky(sim: Simulator) -> tuple[MemoryTransport, list[HttpRequest]]:
    """A transport answering 503 to the first request, then passing on to `sim`."""
    seen: list[HttpRequest] = []

    def handler(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        if len(seen) == 1:
            return HttpResponse(status=503)
        return sim.handle(request)

    return MemoryTransport(handler), seen


def test_a_closed_client_raises_at_once(sim: Simulator) -> None:
    transport = MemoryTransport(sim.handle)
    sleeps: list[float] = []
    client = Client(PLAN, TOKEN, transport=transport, sleep=sleeps.append)
    client.close()
    assert client.closed
    with pytest.raises(ClientClosedException, match="Client is closed"):
        client.create_text_message("12345", NUMBER, "never")
    with pytest.raises(ClientClosedException):
        next(client.fetch_batches().items())
    assert transport.requests == []
    assert sleeps == []
    assert sim.batch_count == 0


def test_closing_during_a_backoff_stops_the_retry(sim: Simulator) -> None:
    transport, seen = _flaky(sim)
    client: Client

    def close_while_waiting(seconds: float) -> None:
        client.close()

    client = Client(PLAN, TOKEN, transport=transport, sleep=close_while_waiting)
    with pytest.raises(ClientClosedException):
        client.fetch_batch("some-batch")
    assert len(seen) == 1


async def test_a_closed_async_client_raises_at_once(sim: Simulator) -> None:
    transport = MemoryTransport(sim.handle)
    async with AsyncClient(PLAN, TOKEN, transport=transport, retry=RetryPolicy()) as client:
        await client.fetch_batches().get(0)
    assert client.closed
    with pytest.raises(ClientClosedException, match="AsyncClient is closed"):
        await client.fetch_batches().get(0)
    assert len(transport.requests) == 1


# --------------------------------------------------------------------------- to_json


def test_every_result_type_serialises_with_to_json(sim: Simulator) -> None:
    clock = sim.clock
    assert isinstance(clock, ManualClock)
    client = Client(PLAN, TOKEN, transport=MemoryTransport(sim.handle))
    text = client.create_batch(
        MtBatchTextSmsCreate(
            sender="12345",
            recipients=[NUMBER, "+46709876543"],
            body="Hi ${name}",
            parameters={"name": {NUMBER: "Ann", "default": "you"}},
            delivery_report=ReportType.FULL,
            tags=["b", "a"],
        )
    )
    binary = client.create_batch(
        MtBatchBinarySmsCreate(recipients=[NUMBER], udh=b"\x05\x00\x03", body=b"\x00\xff")
    )
    clock.advance(10)
    group = client.create_group(
        GroupCreate(
            name="Friends",
            members=[NUMBER],
            auto_update=GroupAutoUpdate(recipient="12345", add_first_word="join"),
        )
    )
    inbound = sim.inject_inbound(sender=NUMBER, recipient="12345", body="STOP")
    results: list[object] = [
        text,
        binary,
        client.create_batch_dry_run(
            MtBatchTextSmsCreate(recipients=[NUMBER], body="dry"), num_recipients=1
        ),
        client.fetch_delivery_report(text.batch_id, "full"),
        client.fetch_recipient_delivery_report(text.batch_id, NUMBER),
        client.fetch_batch_tags(text.batch_id),
        group,
        client.fetch_group_members(group.group_id),
        client.fetch_inbound(inbound),
        client.fetch_batches().get(0),
        client.fetch_groups().get(0),
        client.fetch_inbounds().get(0),
        client.fetch_delivery_reports().get(0),
    ]
    for result in results:
        data = json.loads(json.dumps(to_json(result)))
        assert data, type(result).__name__
    text_data = to_json(text)
    assert isinstance(text_data, dict)
    assert text_data["batch_id"] == text.batch_id
    assert text_data["parameters"] == {"name": {NUMBER: "Ann", "default": "you"}}
    assert text_data["delivery_report"] == "full"
    assert str(text_data["created_at"]).endswith("Z")
    binary_data = to_json(binary)
    assert isinstance(binary_data, dict)
    assert binary_data["udh"] == "050003"
    assert binary_data["body"] == "AP8="
    assert to_json(frozenset({"b", "a"})) == ["a", "b"]
    assert to_json(trio.Nursery) == str(trio.Nursery)  # anything else: its str
