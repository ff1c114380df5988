"""Smoke test of one installed variant of xms, run by `check_dist.py` inside a fresh venv.

    python smoke.py base|trio|trio-asyncio VERSION

It runs from a temporary directory, so everything it imports comes from the
installed wheel, never from a source checkout. Each step prints one line; the
first failure raises and the process exits non-zero.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

PLAN, TOKEN, NUMBER = "plan", "token", "+46701234567"

ALWAYS = [
    "xms_core",
    "xms_core.api",
    "xms_core.exceptions",
    "transports",
    "transports.asyncio",
    "transports.cli",
    "transports.h11",
    "transports.memory",
    "transports.pytest_plugin",
    "transports.requests",
    "transports.simulator",
    "transports.testing",
]
OPTIONAL = {"transports.trio": "trio", "transports.trio_asyncio": "trio-asyncio"}
PRESENT = {
    "base": set(),
    "trio": {"transports.trio"},
    "trio-asyncio": {"transports.trio", "transports.trio_asyncio"},
}

UNRELATED_TEST = """
def test_arithmetic():
    assert 1 + 1 == 2
"""

FIXTURE_TEST = """
from transports import Client


def test_sends_one(xms_client, xms_simulator, xms_clock):
    batch = xms_client.create_text_message("12345", "+46701234567", "hello")
    assert xms_simulator.batch(batch.batch_id)["body"] == "hello"
    xms_clock.advance(10)
    report = xms_client.fetch_delivery_report(batch.batch_id)
    assert report.statuses[0].status == "Delivered"


def test_served(xms_server, xms_simulator):
    with Client("plan", "token", xms_server.url) as client:
        client.create_text_message("12345", "+46701234567", "over http")
    assert xms_simulator.batch_count == 1
"""

ASYNC_FIXTURE_TEST = """
async def test_async_fixture(xms_async_client, xms_simulator):
    batch = await xms_async_client.create_text_message("12345", "+46701234567", "async")
    assert xms_simulator.batch(batch.batch_id)["body"] == "async"
"""


def step(text: str) -> None:
    print(f"  ok  {text}", flush=True)


def bin_path(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def check_imports(variant: str) -> None:
    site = Path(sys.prefix)
    for name in ALWAYS:
        module = importlib.import_module(name)
        assert Path(module.__file__ or "").is_relative_to(site), (name, module.__file__)
    for name, extra in OPTIONAL.items():
        if name in PRESENT[variant]:
            importlib.import_module(name)
            continue
        try:
            importlib.import_module(name)
        except ImportError as error:
            assert f"pip install 'xms[{extra}]'" in str(error), str(error)
        else:
            raise AssertionError(f"{name} imported without the {extra} extra")
    step(f"imports ({len(ALWAYS)} modules; optional ones as the variant allows)")


def check_cli_basics(version: str) -> None:
    out = subprocess.run([bin_path("xms"), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"xms {version}", out.stdout
    out = subprocess.run([bin_path("xms"), "--help"], capture_output=True, text=True, check=True)
    assert "simulate" in out.stdout and "batches" in out.stdout, out.stdout
    step("xms --version, xms --help")


def check_served_simulator(variant: str) -> None:
    server = subprocess.Popen(
        [bin_path("xms"), "simulate", "--port", "0", "--clock", "manual"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/\S*", first)
        assert match, first
        url = match.group(0)
        from transports import Client

        with Client(PLAN, TOKEN, url) as client:
            batch = client.create_text_message("12345", NUMBER, "from Client")
            assert client.fetch_batch(batch.batch_id).body == "from Client"
        env = {**os.environ, "XMS_ENDPOINT": url, "XMS_SERVICE_PLAN_ID": PLAN, "XMS_TOKEN": TOKEN}
        sent = subprocess.run(
            [bin_path("xms"), "--json", "send", "--from", "12345", "--to", NUMBER, "--body", "cli"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert sent.returncode == 0, sent.stderr
        with Client(PLAN, TOKEN, url) as client:
            bodies = sorted(b.body for b in client.fetch_batches().items())
        assert bodies == ["cli", "from Client"], bodies
        if variant != "base":
            check_async(url, variant)
    finally:
        server.terminate()
        server.wait(timeout=30)
    step("xms simulate served; one batch each through Client and the CLI")


def check_async(url: str, variant: str) -> None:
    import trio

    from transports import AsyncClient

    async def on_trio() -> str:
        async with AsyncClient(PLAN, TOKEN, url) as client:  # the loop's transport
            batch = await client.create_text_message("12345", NUMBER, "trio")
            return (await client.fetch_batch(batch.batch_id)).body

    assert trio.run(on_trio) == "trio"
    step("AsyncClient on trio without transport=")
    if variant == "trio-asyncio":
        import trio_asyncio

        from transports.trio import TrioTransport
        from transports.trio_asyncio import AsyncioClient

        async def on_asyncio(client: AsyncioClient) -> str:
            batch = await client.create_text_message("12345", NUMBER, "asyncio")
            return (await client.fetch_batch(batch.batch_id)).body

        async def host() -> str:
            async with (
                trio_asyncio.open_loop(),
                AsyncClient(PLAN, TOKEN, url, transport=TrioTransport()) as client,
            ):
                body: str = await trio_asyncio.aio_as_trio(on_asyncio)(AsyncioClient(client))
                return body

        assert trio.run(host) == "asyncio"
        step("AsyncioClient under trio-asyncio")


def check_pytest(variant: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "test_unrelated.py").write_text(UNRELATED_TEST)
        run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        alone = subprocess.run(
            [*run, "test_unrelated.py"], cwd=root, capture_output=True, text=True, check=False
        )
        assert alone.returncode == 0 and "1 passed" in alone.stdout, alone.stdout + alone.stderr
        step("an unrelated pytest file passes with the plugin installed")
        (root / "test_fixtures.py").write_text(FIXTURE_TEST)
        files, expected = ["test_fixtures.py"], 2
        if variant != "base":  # pytest-trio is installed next to the trio extras
            (root / "test_async_fixture.py").write_text(textwrap.dedent(ASYNC_FIXTURE_TEST))
            files.append("test_async_fixture.py")
            run += ["-o", "trio_mode=true"]
            expected += 1
        result = subprocess.run(
            [*run, *files], cwd=root, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{expected} passed" in result.stdout, result.stdout
        step(f"{expected} tests using the plugin's fixtures pass")


def main() -> None:
    variant, version = sys.argv[1], sys.argv[2]
    check_imports(variant)
    check_cli_basics(version)
    check_served_simulator(variant)
    check_pytest(variant)


if __name__ == "__main__":
    main()
