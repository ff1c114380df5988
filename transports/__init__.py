"""Clients and transports of the xms SDK.

This package imports nothing optional: `import transports` works with only
the base install. Adapters are imported by name, e.g.
`from transports.requests import RequestsTransport`,
`from transports.trio import TrioTransport`,
`from transports.asyncio import AsyncioTransport`.

The names below are loaded on first use, so that importing the package (as
pytest does for the plugin in every run of every project that installed the
SDK) costs almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transports._async_client import AsyncClient
    from transports._client import Client
    from transports._loops import WrongEventLoopError
    from transports.base import AsyncTransport, SyncTransport
    from transports.memory import MemoryTransport
    from xms_core._pages import AsyncPages, Pages

__all__ = [
    "AsyncClient",
    "AsyncPages",
    "AsyncTransport",
    "Client",
    "MemoryTransport",
    "Pages",
    "SyncTransport",
    "WrongEventLoopError",
]

_HOMES = {
    "AsyncClient": "transports._async_client",
    "AsyncPages": "xms_core._pages",
    "AsyncTransport": "transports.base",
    "Client": "transports._client",
    "MemoryTransport": "transports.memory",
    "Pages": "xms_core._pages",
    "SyncTransport": "transports.base",
    "WrongEventLoopError": "transports._loops",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        msg = f"module 'transports' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
