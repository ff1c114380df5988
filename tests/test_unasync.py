"""The sync `Client` is generated from `AsyncClient`; the committed file must match."""

from __future__ import annotations

from tests.unasync import TARGET, generate


def test_the_sync_client_is_generated_from_the_async_one() -> None:
    assert TARGET.read_text() == generate(), (
        "transports/_client.py is out of date: run `python -m tests.unasync`"
    )
