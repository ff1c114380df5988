"""Delivering the simulator's queued callbacks over HTTP, to loopback only.

The pure simulator queues the requests XMS would POST to a batch's
`callback_url`; the served simulator hands them to `post_callback`, which
sends each to its URL with the standard library. Only loopback targets are
contacted: a callback URL elsewhere is dropped and reported, never sent.
"""

from __future__ import annotations

import http.client
import ipaddress
from typing import final
from urllib.parse import urlsplit

import attrs

from xms_core import HttpRequest


@final
@attrs.frozen(kw_only=True)
class CallbackDelivery:
    """What happened to one callback.

    Attributes:
        url: Where it was meant to go.
        status: The receiver's HTTP status, or None when nothing was answered.
        error: Why it was not delivered, or None.
        attempted: False when it was not sent at all (a URL off loopback).
    """

    url: str
    status: int | None = None
    error: str | None = None
    attempted: bool = True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def post_callback(request: HttpRequest, *, timeout: float = 5.0) -> CallbackDelivery:
    """POST one queued callback to its (loopback) URL and report the outcome."""
    parts = urlsplit(request.url)
    host = parts.hostname or ""
    if parts.scheme != "http" or not _is_loopback(host):
        return CallbackDelivery(
            url=request.url, error="only http:// loopback callbacks are sent", attempted=False
        )
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection = http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)
    try:
        connection.request(request.method, target, body=request.body, headers=dict(request.headers))
        reply = connection.getresponse()
        reply.read()
        return CallbackDelivery(url=request.url, status=reply.status)
    except OSError as exc:
        return CallbackDelivery(url=request.url, error=f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
