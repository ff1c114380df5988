"""What `Client` and `AsyncClient` share besides their generated text."""

from __future__ import annotations

from datetime import datetime, timezone

from transports.base import AsyncTransport, SyncTransport
from xms_core import USER_AGENT, Settings


def utc_now() -> datetime:
    """Return the current time in UTC (the clients' default clock)."""
    return datetime.now(timezone.utc)


def check_timeout(timeout: object) -> float:
    """Return `timeout` as a float if it is a positive number of seconds."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout: expected a positive number of seconds (got {timeout!r})")
    return float(timeout)


def settings_for(
    service_plan_id: str,
    token: str,
    endpoint: str,
    user_agent: str | None,
    *,
    allow_insecure_http: bool,
) -> Settings:
    """Build the `Settings` of a client from its constructor arguments."""
    return Settings(
        service_plan_id=service_plan_id,
        token=token,
        endpoint=endpoint,
        user_agent=USER_AGENT if user_agent is None else user_agent,
        allow_insecure_http=allow_insecure_http,
    )


def default_transport() -> SyncTransport:
    """Return the default sync transport, on `requests` (the `requests` extra)."""
    from transports.requests import RequestsTransport  # noqa: PLC0415 - an optional extra

    return RequestsTransport()


def default_async_transport() -> AsyncTransport:
    """Return the default async transport: the one for the loop it is first used on."""
    from transports._auto import LoopTransport  # noqa: PLC0415 - keeps the sync client lean

    return LoopTransport()
