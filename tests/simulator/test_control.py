"""The control API as a pure handler, without a server."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from transports.simulator._callbacks import CallbackDelivery
from transports.simulator._control import ControlApi
from transports.simulator._core import Simulator
from xms_core import HttpRequest

ORIGIN = "http://127.0.0.1:8080"


def get(api: ControlApi, path: str) -> tuple[int, Any]:
    response = api.handle(HttpRequest(method="GET", url=ORIGIN + path))
    return response.status, json.loads(response.body) if response.body else None


def test_paths_outside_the_prefix_are_404_naming_the_prefix() -> None:
    api = ControlApi(Simulator(), path="/ctl/")
    assert repr(api) == "ControlApi(path='/ctl')"
    assert get(api, "/ctlx") == (
        404,
        {"code": "not_found", "text": "the control API is under /ctl"},
    )
    assert get(api, "/ctl")[0] == 200


@pytest.mark.parametrize("path", ["", "relative", "/"])
def test_the_prefix_must_be_an_absolute_path_below_the_root(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        ControlApi(Simulator(), path=path)


def test_without_a_server_no_callbacks_were_posted() -> None:
    assert get(ControlApi(Simulator()), "/_simulator/callbacks") == (200, [])


def test_callbacks_count_as_sent_only_with_a_2xx_answer() -> None:
    deliveries = (
        CallbackDelivery(url="http://127.0.0.1:1/a", status=204),
        CallbackDelivery(url="http://127.0.0.1:1/b", status=500),
        CallbackDelivery(
            url="http://192.0.2.1/c", error="only http:// loopback callbacks are sent"
        ),
    )
    api = ControlApi(Simulator(), deliveries=lambda: deliveries)
    status = get(api, "/_simulator")[1]
    assert status["callbacks"] == {"sent": 1, "not_sent": 2}
    assert get(api, "/_simulator/callbacks")[1][2] == {
        "url": "http://192.0.2.1/c",
        "status": None,
        "error": "only http:// loopback callbacks are sent",
    }


def test_a_bug_answers_500_instead_of_raising() -> None:
    readings = [datetime(2026, 1, 1, tzinfo=timezone.utc)]

    def broken_clock() -> datetime:
        if readings:
            return readings.pop()
        raise RuntimeError("clock failure")

    api = ControlApi(Simulator(clock=broken_clock))
    status, body = get(api, "/_simulator/clock")
    assert (status, body) == (500, {"code": "internal_error", "text": "simulator failure"})
