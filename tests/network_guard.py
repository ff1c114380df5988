"""Refuse, for the whole test session, every connection and name lookup off loopback.

Tests talk to servers they start on 127.0.0.1; nothing else on the network may
ever be contacted (the public XMS endpoint least of all). Installed from
`tests/conftest.py`, it patches the standard library's socket layer, which
requests, h11, trio and asyncio all go through, so a mistake fails loudly
instead of sending anything.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
_installed = False


class NetworkGuardError(OSError):
    """A test tried to reach something that is not loopback."""


def is_loopback(host: object) -> bool:
    """Tell whether `host` (a name or an address) stays on this machine."""
    if host is None:
        return True  # getaddrinfo(None, ...) means the local host
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any, family: int) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return  # unix sockets and the like never leave the machine
    host = address[0] if isinstance(address, tuple) else address
    if not is_loopback(host):
        raise NetworkGuardError(f"tests may only connect to loopback, not {host!r}")


def install_network_guard() -> None:
    """Patch `socket` so that only loopback can be reached (idempotent)."""
    global _installed  # noqa: PLW0603 - installed once per session
    if _installed:
        return
    _installed = True
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        _check(address, self.family)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(address, self.family)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback(host):
            raise NetworkGuardError(f"tests may only look up loopback names, not {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
