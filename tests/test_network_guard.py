"""The session's network guard: nothing but loopback can be reached from a test."""

from __future__ import annotations

import socket

import pytest

from tests.adapters import PLAN, TOKEN
from tests.network_guard import NetworkGuardError, is_loopback
from transports import Client
from xms_core import DEFAULT_ENDPOINT, US_ENDPOINT, RetryPolicy
from xms_core.exceptions import ConnectException


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"])
def test_loopback_is_allowed(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["192.0.2.1", "10.0.0.1", "api.clxcommunications.com", "us.sms.api.sinch.com", ""]
)
def test_everything_else_is_refused(host: str) -> None:
    assert not is_loopback(host)


def test_a_raw_connection_off_loopback_is_refused_before_any_packet() -> None:
    with socket.socket() as sock, pytest.raises(NetworkGuardError):
        sock.connect(("192.0.2.1", 443))
    with pytest.raises(NetworkGuardError):
        socket.getaddrinfo("api.clxcommunications.com", 443)


@pytest.mark.parametrize("endpoint", [DEFAULT_ENDPOINT, US_ENDPOINT])
def test_a_client_pointed_at_a_public_xms_host_never_reaches_it(endpoint: str) -> None:
    # The default transport, the default endpoint: the guard stops the lookup, and the
    # client reports it as a connection that was never made.
    with (
        Client(PLAN, TOKEN, endpoint, retry=RetryPolicy.off()) as client,
        pytest.raises(ConnectException) as info,
    ):
        client.fetch_batch("any")
    assert "loopback" in str(info.value)
