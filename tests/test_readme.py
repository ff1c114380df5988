"""Every example in README.md runs, against the served simulator, as a user would run it.

Python examples run in a fresh interpreter each (so `asyncio.run` gets a plain
asyncio loop), with `SERVICE_PLAN_ID`, `TOKEN` and `ENDPOINT` pointing at the
simulator. The pytest example runs under pytest. Console examples run their
`xms` and `curl` lines with the simulator's settings in the environment.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest

from transports import Client
from transports.simulator import Simulator, SimulatorServer, serve

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(python|console)\n(.*?)```", README, flags=re.DOTALL)
PYTHON = [code for kind, code in BLOCKS if kind == "python"]
CONSOLE = [code for kind, code in BLOCKS if kind == "console"]

CALLBACK_CHECK = """
import io, json
from wsgiref.util import setup_testing_defaults

def post(body, content_type="application/json"):
    environ = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD="POST", CONTENT_TYPE=content_type,
                   CONTENT_LENGTH=str(len(body)), **{"wsgi.input": io.BytesIO(body)})
    seen = []
    app(environ, lambda status, headers: seen.append(status))
    return seen[0]

report = {"type": "recipient_delivery_report_sms", "batch_id": "b1", "recipient": "46701234567",
          "code": 0, "status": "Delivered", "at": "2024-01-03T12:53:09.286Z"}
assert post(json.dumps(report).encode()) == "204 No Content"
assert post(b"{not json") == "400 Bad Request"
print("callback receiver ok")
"""


# Serves the README's `receiver` (ASGI, under uvicorn) or `application` (WSGI, under
# wsgiref) on 127.0.0.1 and posts signed, forged, stale and (ASGI) replayed callbacks.
SIGNED_RECEIVER_CHECK = """
import http.client, json, socket, threading, time
from xms_core import sign_callback

def _serve(kind):
    if kind == "wsgi":
        from wsgiref.simple_server import WSGIRequestHandler, make_server
        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass
        server = make_server("127.0.0.1", 0, application, handler_class=Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        return server.server_address[1], server.shutdown
    import uvicorn
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(receiver, log_level="critical", http="h11",
                                           ws="none", loop="asyncio", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.01)
    def stop():
        server.should_exit = True
        thread.join()
    return sock.getsockname()[1], stop

def _post(port, body, signed_with, nonce, at):
    headers = dict(sign_callback(body, signed_with, nonce=nonce, timestamp=at))
    headers["content-type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/callbacks", body=body, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status

_mo = json.dumps({"type": "mo_text", "id": "mo-1", "from": "46701234567", "to": "12345",
                  "body": "STOP", "received_at": "2026-05-18T15:04:01.135Z"}).encode()
port, stop = _serve(KIND)
now = int(time.time())
assert _post(port, _mo, SECRET, "n-1", now) == 204
assert _post(port, _mo, SECRET, "n-1", now) == (401 if KIND == "asgi" else 204)  # a replay
assert _post(port, _mo, "a guess", "n-2", now) == 401
assert _post(port, _mo, SECRET, "n-3", now - 3600) == 401
assert _post(port, b"[]", SECRET, "n-4", now) == 400
stop()
print(KIND, "receiver ok")
"""


@pytest.fixture(scope="module")
def served() -> Iterator[SimulatorServer]:
    simulator = Simulator(service_plan_id="plan", token="token")
    with serve(simulator.handle, callbacks=simulator.take_callbacks) as server:
        yield server


def run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and tools
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, (args, completed.stdout, completed.stderr)
    return completed.stdout


def test_the_readme_has_examples_of_every_kind() -> None:
    assert len(PYTHON) >= 9
    assert len(CONSOLE) >= 4
    needles = ("TrioTransport", "AsyncioTransport", "AsyncioClient", "parse_callback")
    needles += ("= asgi_app(", "= wsgi_app(", "callback_secret=", "seen_nonces=")
    for needle in needles:
        assert any(needle in code for code in PYTHON), needle


@pytest.mark.parametrize("code", PYTHON, ids=lambda code: code.strip().splitlines()[0][:40])
def test_python_example_runs(code: str, served: SimulatorServer, tmp_path: Path) -> None:
    if code.startswith("# test_"):
        (tmp_path / "test_example.py").write_text(code)
        out = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path)
        assert re.search(r"\b3 passed\b", out), out
        return
    prelude = f"SERVICE_PLAN_ID = 'plan'\nTOKEN = 'token'\nENDPOINT = {served.url!r}\n"
    epilogue = CALLBACK_CHECK if "def app(environ" in code else ""
    kind = "asgi" if "= asgi_app(" in code else "wsgi" if "= wsgi_app(" in code else None
    if kind is not None:
        epilogue = f"KIND = {kind!r}\n" + SIGNED_RECEIVER_CHECK
    script = tmp_path / "example.py"
    script.write_text(prelude + code + "\n" + epilogue)
    out = run([sys.executable, str(script)], cwd=tmp_path)
    if kind == "asgi":
        assert out.splitlines() == ["unsubscribe 46701234567", "asgi receiver ok"]
    elif kind == "wsgi":
        assert out.splitlines() == ["callback MoTextSms"] * 2 + ["wsgi receiver ok"]


def placeholders(served: SimulatorServer) -> dict[str, str]:
    """`BATCH_ID` and `GROUP_ID` in console examples stand for the newest of each."""
    with Client("plan", "token", served.url) as client:
        batches = list(islice(client.fetch_batches().items(), 1))
        groups = list(islice(client.fetch_groups().items(), 1))
    found = {"BATCH_ID": batches[0].batch_id if batches else None}
    found["GROUP_ID"] = groups[0].group_id if groups else None
    return {name: value for name, value in found.items() if value is not None}


def console_lines(code: str) -> list[str]:
    code = re.sub(r"\\\n\s*", " ", code)  # join continued lines
    lines = [line[2:].strip() for line in code.splitlines() if line.startswith("$ ")]
    return [line for line in lines if line.startswith(("xms ", "curl "))]


def test_console_examples_run(served: SimulatorServer, tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "recipient,name,order\n+46701234567,Mary,A-17\n+46709876543,Joe,B-2\n"
    )
    env = {
        **os.environ,
        "XMS_ENDPOINT": served.url,
        "XMS_SERVICE_PLAN_ID": "plan",
        "XMS_TOKEN": "token",
    }
    ran = 0
    for code in CONSOLE:
        for line in console_lines(code):
            words = shlex.split(line.split(" &")[0].split("  #")[0])
            words = [placeholders(served).get(word, word) for word in words]
            if words[:2] == ["xms", "simulate"]:
                continue  # the served simulator stands in for it
            if words[0] == "xms":
                out = run(
                    [sys.executable, "-m", "transports.cli", *words[1:]], cwd=tmp_path, env=env
                )
            else:
                assert shutil.which("curl"), "curl is needed for the curl example"
                words = [w.replace("http://127.0.0.1:8080/xms", served.url) for w in words]
                out = run(words, cwd=tmp_path)
                answer = json.loads(out)
                if "POST" in words:
                    assert answer["body"] == "hi"
                else:
                    assert "hi" in [batch["body"] for batch in answer["batches"]]
            assert "token" not in out.replace("tokens", "")
            ran += 1
    assert ran >= 10


def test_every_name_the_readme_mentions_imports_from_where_it_says() -> None:
    names = set(re.findall(r"`((?:xms_core|transports)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)", README))
    imports = re.findall(
        r"^from ((?:xms_core|transports)[\w.]*) import \(([^)]*)\)", README, re.MULTILINE
    )
    imports += re.findall(
        r"^from ((?:xms_core|transports)[\w.]*) import ([\w, ]+)$", README, re.MULTILINE
    )
    for module, listed in imports:
        names |= {f"{module}.{name.strip()}" for name in listed.split(",") if name.strip()}
    assert len(names) >= 20
    for dotted in sorted(names):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):  # the longest importable module, then attributes
            try:
                value: object = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attribute in parts[cut:]:
                assert hasattr(value, attribute), f"README names {dotted}, which does not exist"
                value = getattr(value, attribute)
            break
        else:
            pytest.fail(f"README names {dotted}, which does not import")
