"""The request every command builds: request line, query, body and headers.

Pure tests over the table of every command (`command_cases.CASES`); the bytes of
each resource's bodies are checked in its own `test_*_commands.py`.
"""

from __future__ import annotations

import json

import pytest

from tests.core.command_cases import (
    CASES,
    COMMAND_CLASSES,
    HOST,
    PREFIX,
    SETTINGS,
    TOKEN,
    path_and_query,
)
from xms_core import USER_AGENT, FetchBatch, Settings


def test_cases_cover_every_command() -> None:
    assert len(COMMAND_CLASSES) == 26
    assert {type(case.command).__name__ for case in CASES.values()} == COMMAND_CLASSES


@pytest.mark.parametrize("name", sorted(CASES))
def test_request_line_query_and_body(name: str) -> None:
    case = CASES[name]
    request = case.command.build_request(SETTINGS)
    assert request.method == case.method
    assert case.command.method == case.method
    path, query = path_and_query(request)
    assert path == case.path
    assert query == case.query
    if case.body is None:
        assert request.body is None
    else:
        assert request.body is not None
        assert json.loads(request.body) == case.body


@pytest.mark.parametrize("name", sorted(CASES))
def test_headers_carry_token_and_content_type_only_with_a_body(name: str) -> None:
    case = CASES[name]
    request = case.command.build_request(SETTINGS)
    common = (
        ("authorization", f"Bearer {TOKEN}"),
        ("accept", "application/json"),
        ("user-agent", USER_AGENT),
    )
    if case.body is None:
        assert request.headers == common
        assert request.header("Content-Type") is None
    else:
        assert request.headers == (*common, ("content-type", "application/json"))
    assert TOKEN not in repr(request)


def test_build_request_is_pure_and_deterministic() -> None:
    for case in CASES.values():
        assert case.command.build_request(SETTINGS) == case.command.build_request(SETTINGS)


def test_filters_are_comma_joined_and_form_encoded() -> None:
    request = CASES["FetchDeliveryReport"].command.build_request(SETTINGS)
    assert request.url == (
        f"https://{HOST}{PREFIX}/batches/b1/delivery_report"
        "?type=full&status=Delivered%2CFailed&code=0%2C11%2C400&client_reference=order-42"
    )


def test_endpoint_trailing_slash_and_plan_id_are_normalised() -> None:
    settings = Settings(service_plan_id="my plan", token=TOKEN, endpoint=f"https://{HOST}/xms/")
    request = FetchBatch(batch_id="b1").build_request(settings)
    assert request.url == f"https://{HOST}/xms/v1/my%20plan/batches/b1"


def test_settings_url_of_the_plan_itself() -> None:
    assert SETTINGS.url() == f"https://{HOST}{PREFIX}"
    assert SETTINGS.url("a/b", query=[("q", "x y")]) == f"https://{HOST}{PREFIX}/a%2Fb?q=x+y"
