"""Clients and transports of the xms SDK.

This package imports nothing optional: `import transports` works with only
`attrs` installed. Adapters are imported by name, e.g.
`from transports.requests import RequestsTransport`,
`from transports.trio import TrioTransport`,
`from transports.asyncio import AsyncioTransport`.
"""

from __future__ import annotations

from transports._async_client import AsyncClient
from transports._client import Client
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
]
