"""No request, however malformed, makes the simulator raise or answer 5xx."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.simulator._helpers import AUTH, BASE, JSON, Api
from transports.simulator._core import Simulator
from xms_core import HttpRequest

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ROUTES = [
    ("POST", "batches"),
    ("POST", "batches/dry_run"),
    ("PUT", "batches/{batch}"),
    ("POST", "batches/{batch}"),
    ("PUT", "batches/{batch}/tags"),
    ("POST", "batches/{batch}/tags"),
    ("POST", "batches/{batch}/delivery_feedback"),
    ("POST", "groups"),
    ("PUT", "groups/{group}"),
    ("POST", "groups/{group}"),
    ("PUT", "groups/{group}/tags"),
    ("POST", "groups/{group}/tags"),
]
GETS = [
    "batches",
    "batches/{batch}",
    "batches/{batch}/tags",
    "batches/{batch}/delivery_report",
    "batches/{batch}/delivery_report/%2B46700000001",
    "delivery_reports",
    "groups",
    "groups/{group}",
    "groups/{group}/members",
    "groups/{group}/tags",
    "inbounds",
    "inbounds/{inbound}",
]
KEYS = [
    "type",
    "from",
    "to",
    "body",
    "udh",
    "parameters",
    "delivery_report",
    "send_at",
    "expire_at",
    "callback_url",
    "tags",
    "client_reference",
    "feedback_enabled",
    "flash_message",
    "max_number_of_message_parts",
    "truncate_concat",
    "from_ton",
    "from_npi",
    "to_add",
    "to_remove",
    "recipients",
    "add",
    "remove",
    "name",
    "members",
    "child_groups",
    "auto_update",
    "child_groups_add",
    "child_groups_remove",
    "add_from_group",
    "remove_from_group",
    "first_word",
    "second_word",
    "default",
    "+46700000001",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "+46700000001",
            "mt_binary",
            "mt_text",
            "AAECAw==",
            "0a0b",
            "2026-01-02T00:00:00Z",
            "summary",
            "full",
            "per_recipient",
            "https://e.com/cb",
            "${a}",
            "€",
            "😀",
            "GROUP",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), children, max_size=5),
    ),
    max_leaves=20,
)
bodies = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


def _world() -> tuple[Simulator, dict[str, str]]:
    api = Api()
    group = api.group(
        members=["+46700000001"], auto_update={"to": "12345", "add": {"first_word": "in"}}
    )
    batch = api.create(
        to=["+46700000001", group["id"]],
        feedback_enabled=True,
        callback_url="https://e.com/cb",
        delivery_report="per_recipient",
        send_at="2026-01-01T00:00:30Z",
    )
    inbound = api.sim.inject_inbound(sender="+46700000002", recipient="12345", body="in")
    return api.sim, {"batch": batch["id"], "group": group["id"], "inbound": inbound}


def _fill(path: str, ids: dict[str, str], body: Any) -> str:
    # Sometimes aim at the real objects, sometimes at ids taken from the body.
    if isinstance(body, dict) and isinstance(body.get("name"), str):
        return path.format(
            batch=quote(body["name"], safe=""), group=quote(body["name"], safe=""), inbound="x"
        )
    return path.format(**ids)


def _check(sim: Simulator, request: HttpRequest) -> int:
    response = sim.handle(request)
    assert 200 <= response.status < 500, (request, response)
    if response.header("content-type") == "application/json":
        json.loads(response.body)
    return response.status


@FAST
@given(route=st.sampled_from(ROUTES), raw=st.binary(max_size=200))
def test_arbitrary_bytes_are_4xx(route: tuple[str, str], raw: bytes) -> None:
    sim, ids = _world()
    method, path = route
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    request = HttpRequest(
        method=method, url=f"{BASE}/{path.format(**ids)}", headers=(AUTH, JSON), body=raw
    )
    status = _check(sim, request)
    if not isinstance(parsed, dict):
        assert 400 <= status < 500


@FAST
@given(route=st.sampled_from(ROUTES), body=values)
def test_arbitrary_json_never_breaks(route: tuple[str, str], body: Any) -> None:
    sim, ids = _world()
    method, path = route
    raw = json.dumps(body).encode()
    request = HttpRequest(
        method=method, url=f"{BASE}/{_fill(path, ids, body)}", headers=(AUTH, JSON), body=raw
    )
    _check(sim, request)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(route=st.sampled_from(ROUTES), body=bodies, steps=st.lists(st.floats(0, 100), max_size=3))
def test_structured_bodies_never_break(
    route: tuple[str, str], body: dict[str, Any], steps: list[float]
) -> None:
    sim, ids = _world()
    method, path = route
    raw = json.dumps(body, ensure_ascii=False).encode()
    request = HttpRequest(
        method=method, url=f"{BASE}/{_fill(path, ids, body)}", headers=(AUTH, JSON), body=raw
    )
    _check(sim, request)
    for step in steps:
        sim.advance(step)
        for path_ in GETS:
            _check(
                sim, HttpRequest(method="GET", url=f"{BASE}/{path_.format(**ids)}", headers=(AUTH,))
            )
    sim.take_callbacks()


query_values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "0",
            "100",
            "101",
            "-1",
            "1e3",
            "2026-01-01",
            "2026-01-01T00:00:00+01:00",
            "Delivered,Failed",
            "0,400",
            "full",
            "summary",
            "true",
            "x" * 40,
            "9" * 40,
        ]
    ),
)
query_names = st.sampled_from(
    [
        "page",
        "page_size",
        "start_date",
        "end_date",
        "from",
        "tags",
        "to",
        "status",
        "code",
        "type",
        "client_reference",
        "per_recipient",
        "number_of_recipients",
    ]
)


@FAST
@given(
    path=st.sampled_from([*GETS, "batches/dry_run"]),
    query=st.dictionaries(query_names, query_values, max_size=4),
)
def test_arbitrary_queries_never_break(path: str, query: dict[str, str]) -> None:
    sim, ids = _world()
    method = "POST" if path == "batches/dry_run" else "GET"
    encoded = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())
    body = json.dumps({"to": ["+46700000001"], "body": "x"}).encode() if method == "POST" else None
    headers = (AUTH, JSON) if body else (AUTH,)
    url = f"{BASE}/{path.format(**ids)}?{encoded}"
    _check(sim, HttpRequest(method=method, url=url, headers=headers, body=body))


@FAST
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get", "x"]),
    path=st.text(max_size=60),
    headers=st.lists(
        st.tuples(st.sampled_from(["authorization", "content-type", "x"]), st.text(max_size=20)),
        max_size=3,
    ),
    body=st.none() | st.binary(max_size=50),
)
def test_arbitrary_urls_and_headers_never_break(
    method: str, path: str, headers: list[tuple[str, str]], body: bytes | None
) -> None:
    sim, _ = _world()
    for url in (f"{BASE}/{path}", f"{BASE}/{quote(path)}", path):
        _check(sim, HttpRequest(method=method, url=url, headers=(AUTH, *headers), body=body))
