"""Generate the sync `Client` (transports/_client.py) from `AsyncClient`.

`transports/_async_client.py` is the one written by hand; the sync twin is its
text with the async words taken out and a few sync-only lines put in, then
formatted by ruff. `tests/test_unasync.py` fails when the committed file
differs from what this produces; `python -m tests.unasync` rewrites it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "transports" / "_async_client.py"
TARGET = ROOT / "transports" / "_client.py"

# Whole passages that differ, async text -> sync text, applied first and in order.
PASSAGES: list[tuple[str, str]] = [
    (
        '''"""`AsyncClient`: every operation of `Client` as a coroutine, on any event loop.

It shares every command, the paging rule and the retry decisions with `Client`;
it awaits nothing but its transport (even the pause between retries is the
transport's `sleep`), so the same client runs on trio and on asyncio.

This file is the source of `_client.py`, which `python -m tests.unasync`
generates from it (and `tests/test_unasync.py` checks is up to date).
"""''',
        '''"""`Client`: every operation of the reference client over a blocking transport.

No request building or parsing lives here: each method builds a core command
and hands it to `send`, which runs the retry loop of `xms_core.Exchange`.

Generated from `_async_client.py` by `python -m tests.unasync`: edit that file.
"""''',
    ),
    (
        "from transports._client_common import check_timeout, settings_for, utc_now\n",
        (
            "from transports._client_common import"
            " check_timeout, default_transport, settings_for, utc_now\n"
        ),
    ),
    (
        '"""Talks to XMS over an async transport (trio, asyncio, or your own).',
        '"""Talks to XMS over a blocking transport (by default `requests`).',
    ),
    (
        (
            "transport: Any `AsyncTransport`, e.g. `TrioTransport()` or `AsyncioTransport()`;\n"
            "            by default the one for the event loop the client is first used on."
        ),
        "transport: Any `SyncTransport`; a `RequestsTransport` by default.",
    ),
    (
        "        allow_insecure_http: Allow plain `http://` to a host that is not loopback.\n",
        (
            "        allow_insecure_http: Allow plain `http://` to a host that is not loopback.\n"
            "        sleep: What waits between retries (tests pass a fake).\n"
        ),
    ),
    (
        "        allow_insecure_http: bool = False,\n        clock:",
        (
            "        allow_insecure_http: bool = False,\n"
            "        sleep: Callable[[float], object] = time.sleep,\n        clock:"
        ),
    ),
    ("from transports._auto import LoopTransport\n", ""),
    ("transport: AsyncTransport | None = None,\n", "transport: SyncTransport | None = None,\n"),
    ("else LoopTransport()\n", "else default_transport()\n"),
    ("        self._clock = clock\n", "        self._sleep = sleep\n        self._clock = clock\n"),
    ("await self._transport.sleep(step.delay)", "self._sleep(step.delay)"),
]

# Then words, as whole identifiers.
WORDS = {
    "AsyncClient": "Client",
    "AsyncPages": "Pages",
    "AsyncTransport": "SyncTransport",
    "handle_async_request": "handle_request",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "aclose": "close",
}


def generate() -> str:
    """Return the text of `_client.py` as generated from `_async_client.py`."""
    text = SOURCE.read_text()
    for old, new in PASSAGES:
        if old not in text:
            raise ValueError(f"unasync: the async source lost a passage: {old[:60]!r}")
        text = text.replace(old, new)
    text = re.sub(r"\b(" + "|".join(WORDS) + r")\b", lambda m: WORDS[m.group(1)], text)
    text = text.replace("async def ", "def ").replace("async with ", "with ")
    text = text.replace("async for ", "for ").replace("await ", "")
    formatted = subprocess.run(  # noqa: S603 - the project's own formatter
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return formatted.stdout


if __name__ == "__main__":
    TARGET.write_text(generate())
    print(f"wrote {TARGET.relative_to(ROOT)}")
