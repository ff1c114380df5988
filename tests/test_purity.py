"""The core is I/O-free: importing it loads no network, thread or event-loop module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NEWLY_BANNED = [
    "socket",
    "ssl",
    "asyncio",
    "requests",
    "trio",
    "h11",
    "threading",
    "urllib.request",
    "select",
    "selectors",
]
ROOT = Path(__file__).resolve().parent.parent
NEVER_LOADED = ["socket", "ssl", "asyncio", "requests", "trio", "h11", "urllib.request"]

SCRIPT = """
import json, sys
import attrs  # attrs itself imports threading: snapshot after it
before = set(sys.modules)
import xms_core, xms_core.api, xms_core.exceptions
after = set(sys.modules)
print(json.dumps({"before": sorted(before), "new": sorted(after - before)}))
"""


def _import_in_fresh_interpreter() -> tuple[set[str], set[str]]:
    completed = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    )
    data = json.loads(completed.stdout)
    return set(data["before"]), set(data["new"])


def test_importing_the_core_loads_no_io_module() -> None:
    before, new = _import_in_fresh_interpreter()
    assert "xms_core" in new
    assert "xms_core._retry" in new
    for name in NEWLY_BANNED:
        assert name not in new, f"importing xms_core loaded {name}"
    loaded = before | new
    for name in NEVER_LOADED:
        assert name not in loaded, f"{name} is loaded after importing xms_core"
    assert not any(name.startswith(("transports", "requests.", "trio.", "h11.")) for name in new)
