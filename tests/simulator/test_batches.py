"""Batches: create, fetch, list, replace, update, cancel and tags (protocol 3.1-3.8)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator._helpers import Api

TO = "+46701234567"


def test_create_text_batch_echoes_every_field() -> None:
    api = Api()
    body = {
        "type": "mt_text",
        "from": "12345",
        "to": [TO, "0046 70-987 (6543)"],
        "body": "Hi ${name}!",
        "parameters": {"name": {TO: "Joe", "default": "there"}},
        "delivery_report": "per_recipient_final",
        "send_at": "2026-01-02T00:00:00Z",
        "expire_at": "2026-01-03T00:00:00+00:00",
        "callback_url": "https://example.com/dlr",
        "tags": ["a", "b", "a"],
        "client_reference": "order-42",
        "feedback_enabled": True,
        "flash_message": False,
        "max_number_of_message_parts": 3,
        "truncate_concat": False,
        "from_ton": 6,
        "from_npi": 18,
        "unknown_future_field": 1,
    }
    batch = api.ok("POST", "batches", body, status=201)
    assert batch == {
        "id": batch["id"],
        "type": "mt_text",
        "from": "12345",
        "to": [TO, "0046 70-987 (6543)"],
        "body": "Hi ${name}!",
        "parameters": {"name": {TO: "Joe", "default": "there"}},
        "delivery_report": "per_recipient_final",
        "send_at": "2026-01-02T00:00:00.000Z",
        "expire_at": "2026-01-03T00:00:00.000Z",
        "callback_url": "https://example.com/dlr",
        "client_reference": "order-42",
        "feedback_enabled": True,
        "flash_message": False,
        "max_number_of_message_parts": 3,
        "truncate_concat": False,
        "from_ton": 6,
        "from_npi": 18,
        "tags": ["a", "b"],
        "created_at": "2026-01-01T00:00:00.000Z",
        "modified_at": "2026-01-01T00:00:00.000Z",
        "canceled": False,
    }
    assert api.ok("GET", f"batches/{batch['id']}") == batch
    assert api.sim.batch(batch["id"]) == batch
    assert api.sim.batches() == [batch]
    assert api.sim.batch_count == 1


def test_minimal_create_gets_defaults_and_omits_nulls() -> None:
    batch = Api().create(**{"from": None, "send_at": None, "parameters": None})
    assert batch["type"] == "mt_text"
    assert batch["delivery_report"] == "none"
    assert batch["canceled"] is False
    for absent in ("from", "send_at", "expire_at", "callback_url", "parameters", "tags", "udh"):
        assert absent not in batch


def test_to_keeps_order_and_drops_duplicates_by_number() -> None:
    batch = Api().create(to=["+46709999999", TO, "0046701234567", "46701234567", "+46709999999"])
    assert batch["to"] == ["+46709999999", TO]


def test_binary_batch_is_normalised() -> None:
    api = Api()
    batch = api.create(type="mt_binary", body="AAECAw==\n", udh="0A0B0c")
    assert (batch["body"], batch["udh"], batch["type"]) == ("AAECAw==", "0a0b0c", "mt_binary")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"type": "mt_binary", "body": "AAECAw=="}, "syntax_constraint_violation"),
        (
            {"type": "mt_binary", "body": "not base64!", "udh": "00"},
            "syntax_invalid_parameter_format",
        ),
        ({"type": "mt_binary", "body": "AAE", "udh": "00"}, "syntax_invalid_parameter_format"),
        ({"type": "mt_binary", "body": "AA==", "udh": "0g"}, "syntax_invalid_parameter_format"),
        ({"type": "mt_binary", "body": "AA==", "udh": "000"}, "syntax_invalid_parameter_format"),
        (
            {"type": "mt_binary", "body": "AA==", "udh": "00", "parameters": {}},
            "syntax_constraint_violation",
        ),
        ({"type": "mt_binary", "body": "AA==", "udh": "00" * 140}, "syntax_constraint_violation"),
        ({"udh": "00"}, "syntax_constraint_violation"),
        ({"type": "mt_media"}, "syntax_constraint_violation"),
        ({"type": 1}, "syntax_constraint_violation"),
        ({"to": None}, "syntax_constraint_violation"),
        ({"to": []}, "syntax_constraint_violation"),
        ({"to": TO}, "syntax_constraint_violation"),
        ({"to": [1]}, "syntax_constraint_violation"),
        ({"to": ["+4670123456789012"]}, "syntax_invalid_parameter_format"),
        ({"to": ["1234"]}, "syntax_invalid_parameter_format"),
        ({"to": ["+46 70 abc"]}, "syntax_invalid_parameter_format"),
        ({"to": ["٤٦٧٠١٢٣٤٥٦٧"]}, "syntax_invalid_parameter_format"),
        ({"to": [f"+4670{i:07d}" for i in range(1001)]}, "syntax_constraint_violation"),
        ({"body": None}, "syntax_constraint_violation"),
        ({"body": 5}, "syntax_constraint_violation"),
        ({"body": "x" * 2001}, "syntax_constraint_violation"),
        ({"from": ["12345"]}, "syntax_constraint_violation"),
        ({"delivery_report": "sometimes"}, "syntax_constraint_violation"),
        ({"callback_url": "ftp://example.com"}, "syntax_invalid_parameter_format"),
        ({"callback_url": "http://"}, "syntax_invalid_parameter_format"),
        ({"callback_url": "http://[::1"}, "syntax_invalid_parameter_format"),
        ({"callback_url": "https://e.com/" + "x" * 2048}, "syntax_constraint_violation"),
        ({"flash_message": "yes"}, "syntax_constraint_violation"),
        ({"feedback_enabled": 1}, "syntax_constraint_violation"),
        ({"from_ton": 7}, "syntax_constraint_violation"),
        ({"from_npi": -1}, "syntax_constraint_violation"),
        ({"from_ton": True}, "syntax_constraint_violation"),
        ({"from_ton": 1.0}, "syntax_constraint_violation"),
        ({"max_number_of_message_parts": 0}, "syntax_constraint_violation"),
        ({"max_number_of_message_parts": 10**100}, "syntax_constraint_violation"),
        ({"tags": "a"}, "syntax_constraint_violation"),
        ({"tags": [""]}, "syntax_constraint_violation"),
        ({"parameters": []}, "syntax_constraint_violation"),
        ({"parameters": {"bad key": {"default": "x"}}}, "syntax_invalid_parameter_format"),
        ({"parameters": {"k" * 17: {"default": "x"}}}, "syntax_invalid_parameter_format"),
        ({"parameters": {"k": "x"}}, "syntax_constraint_violation"),
        ({"parameters": {"k": {"nobody": "x"}}}, "syntax_invalid_parameter_format"),
        ({"parameters": {"k": {"default": 1}}}, "syntax_constraint_violation"),
        ({"parameters": {"k": {"default": "x" * 161}}}, "syntax_constraint_violation"),
        (
            {"send_at": "2026-01-05T00:00:00Z", "expire_at": "2026-01-04T00:00:00Z"},
            "syntax_constraint_violation",
        ),
        ({"expire_at": "2025-12-31T00:00:00Z"}, "syntax_constraint_violation"),
        ({"client_reference": "x" * 2049}, "syntax_constraint_violation"),
    ],
)
def test_invalid_creates_are_400(fields: dict[str, Any], code: str) -> None:
    api = Api()
    body = {"to": [TO], "body": "hello"} | fields
    body = {k: v for k, v in body.items() if not (k in {"to", "body"} and v is None)}
    assert api.error("POST", "batches", body) == code
    assert api.error("PUT", f"batches/{api.create()['id']}", body) == code
    assert api.sim.batch_count == 1  # only the one created for the PUT


def test_msisdns_accept_plus_00_and_separators() -> None:
    batch = Api().create(to=["+46 70 123 45 67", "0046-70-111-22-33", "(46)709998877", "12345"])
    assert len(batch["to"]) == 4


def test_fetch_unknown_batch_is_404() -> None:
    assert Api().status("GET", "batches/nope") == 404


def test_list_is_newest_first_and_paged() -> None:
    api = Api()
    ids = []
    for _ in range(35):
        ids.append(api.create()["id"])
        api.sim.advance(1)
    first = api.ok("GET", "batches")
    assert (first["count"], first["page"], first["page_size"]) == (35, 0, 30)
    assert [b["id"] for b in first["batches"]] == ids[::-1][:30]
    second = api.ok("GET", "batches", query="page=1")
    assert (second["page"], second["page_size"]) == (1, 5)
    assert [b["id"] for b in second["batches"]] == ids[::-1][30:]
    assert api.ok("GET", "batches", query="page=2")["page_size"] == 0
    small = api.ok("GET", "batches", query="page=3&page_size=10")
    assert [b["id"] for b in small["batches"]] == ids[::-1][30:]
    assert api.ok("GET", "batches", query="page_size=100")["page_size"] == 35


@pytest.mark.parametrize(
    "query",
    [
        "page_size=0",
        "page_size=101",
        "page=-1",
        "page=abc",
        "page_size=1.5",
        "page=" + "9" * 30,
        "start_date=yesterday",
        "end_date=2026-13-01",
    ],
)
def test_bad_list_queries_are_400(query: str) -> None:
    api = Api()
    paths = ["batches", "inbounds", "delivery_reports"]
    if "date" not in query:
        paths.append("groups")  # groups have no date filter
    for path in paths:
        assert api.error("GET", path, query=query) == "syntax_constraint_violation"


def test_list_filters() -> None:
    api = Api()
    a = api.create(**{"from": "+46700000001", "tags": ["red"], "client_reference": "ref-a"})
    b = api.create(**{"from": "12345", "tags": ["blue", "green"]})
    c = api.create()

    def listed(query: str) -> list[str]:
        return [x["id"] for x in api.ok("GET", "batches", query=query)["batches"]]

    assert listed("") == [c["id"], b["id"], a["id"]]
    assert listed("from=0046700000001") == [a["id"]]
    assert listed("from=12345%2C46700000001") == [b["id"], a["id"]]
    assert listed("tags=green%2Cred") == [b["id"], a["id"]]
    assert listed("tags=red&tags=blue") == [b["id"], a["id"]]
    assert listed("tags=nothing") == []
    assert listed("client_reference=ref-a") == [a["id"]]
    assert listed("tags=") == [c["id"], b["id"], a["id"]]
    d = api.create(**{"from": "Acme"})
    assert listed("from=Acme") == [d["id"]]
    assert listed("from=acme") == []


def test_list_date_window() -> None:
    api = Api()
    old = api.create()
    api.sim.advance(25 * 3600)
    new = api.create()

    def listed(query: str) -> list[str]:
        return [x["id"] for x in api.ok("GET", "batches", query=query)["batches"]]

    assert listed("") == [new["id"]]  # start_date defaults to now - 24 h
    assert listed("start_date=2026-01-01") == [new["id"], old["id"]]
    assert listed("start_date=2026-01-01T00:00:00.001Z") == [new["id"]]
    assert listed("start_date=2026-01-01&end_date=2026-01-02T01:00:00Z") == [old["id"]]
    assert listed("start_date=2026-01-01&end_date=2026-01-01T00:00:00Z") == []  # exclusive
    assert listed("start_date=2025-12-31T19:00:00-05:00") == [new["id"], old["id"]]
    assert listed("start_date=2025-12-31T23:00:00 00:00&end_date=2026-01-01T00:00:01Z") == [
        old["id"]
    ]


def test_replace_keeps_id_and_created_at_and_restarts_delivery() -> None:
    api = Api()
    batch = api.create(tags=["t"], callback_url="https://e.com/cb", delivery_report="summary")
    api.sim.advance(10)
    assert api.report(batch["id"])["statuses"][0]["status"] == "Delivered"
    body = {"type": "mt_text", "to": ["+46709999999"], "body": "new"}
    replaced = api.ok("PUT", f"batches/{batch['id']}", body)
    assert replaced["id"] == batch["id"]
    assert replaced["created_at"] == batch["created_at"]
    assert replaced["modified_at"] == "2026-01-01T00:00:10.000Z"
    assert replaced["to"] == ["+46709999999"]
    assert "tags" not in replaced
    assert "callback_url" not in replaced
    assert replaced["delivery_report"] == "none"
    assert api.sim.batch_count == 1
    report = api.report(batch["id"], "type=full")
    assert report["statuses"] == [
        {"code": 400, "status": "Queued", "count": 1, "recipients": ["+46709999999"]}
    ]
    assert api.status("PUT", "batches/nope", body) == 404


def test_replace_revives_a_cancelled_batch() -> None:
    api = Api()
    batch = api.create()
    assert api.ok("DELETE", f"batches/{batch['id']}")["canceled"] is True
    replaced = api.ok("PUT", f"batches/{batch['id']}", {"to": [TO], "body": "again"})
    assert replaced["canceled"] is False
    api.sim.advance(5)
    assert api.recipient(batch["id"], TO)["status"] == "Delivered"


def test_update_three_states() -> None:
    api = Api()
    batch = api.create(
        **{
            "from": "12345",
            "body": "Hi ${n}",
            "parameters": {"n": {"default": "you"}},
            "delivery_report": "full",
            "send_at": "2026-02-01T00:00:00Z",
            "expire_at": "2026-02-02T00:00:00Z",
            "callback_url": "https://e.com/cb",
            "client_reference": "r",
            "feedback_enabled": True,
            "flash_message": True,
            "max_number_of_message_parts": 2,
            "truncate_concat": True,
            "from_ton": 1,
            "from_npi": 1,
        }
    )
    api.sim.advance(60)
    unchanged = api.ok("POST", f"batches/{batch['id']}", {"type": "mt_text"})
    assert unchanged == batch | {"modified_at": "2026-01-01T00:01:00.000Z"}
    reset_keys = [
        "from",
        "parameters",
        "send_at",
        "expire_at",
        "callback_url",
        "client_reference",
        "feedback_enabled",
        "flash_message",
        "max_number_of_message_parts",
        "truncate_concat",
        "from_ton",
        "from_npi",
    ]
    reset = api.ok(
        "POST",
        f"batches/{batch['id']}",
        dict.fromkeys([*reset_keys, "delivery_report"]) | {"body": "plain"},
    )
    for key in reset_keys:
        assert key not in reset, key
    assert reset["delivery_report"] == "none"
    assert reset["body"] == "plain"
    assert reset["to"] == batch["to"]
    changed = api.ok(
        "POST",
        f"batches/{batch['id']}",
        {"from": "Acme", "send_at": "2026-03-01T00:00:00Z", "delivery_report": "summary"},
    )
    assert (changed["from"], changed["send_at"], changed["delivery_report"]) == (
        "Acme",
        "2026-03-01T00:00:00.000Z",
        "summary",
    )
    assert api.ok("GET", f"batches/{batch['id']}") == changed
    assert api.sim.batch_count == 1


def test_update_recipients_adds_before_removes() -> None:
    api = Api()
    batch = api.create(to=["+46700000001", "+46700000002"], send_at="2026-02-01T00:00:00Z")
    updated = api.ok(
        "POST",
        f"batches/{batch['id']}",
        {
            "to_add": ["+46700000003", "0046700000001", "+46700000004"],
            "to_remove": ["46700000002", "+46700000004", "+46709999999"],
        },
    )
    assert updated["to"] == ["+46700000001", "+46700000003"]
    report = api.report(batch["id"], "type=full")
    assert report["statuses"][0]["recipients"] == ["+46700000001", "+46700000003"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "mt_binary"}, "syntax_constraint_violation"),
        ({"type": "mt_media"}, "syntax_constraint_violation"),
        ({"body": None}, "syntax_constraint_violation"),
        ({"body": 1}, "syntax_constraint_violation"),
        ({"udh": "00"}, "syntax_constraint_violation"),
        ({"to_remove": ["+46701234567"]}, "syntax_constraint_violation"),
        ({"to_remove": [1]}, "syntax_constraint_violation"),
        ({"to_add": ["bad"]}, "syntax_invalid_parameter_format"),
        ({"to_add": "+46700000001"}, "syntax_constraint_violation"),
        ({"delivery_report": "x"}, "syntax_constraint_violation"),
        ({"expire_at": "2026-01-01T00:00:00Z"}, "syntax_constraint_violation"),
        ({"parameters": {"a b": {}}}, "syntax_invalid_parameter_format"),
    ],
)
def test_invalid_updates_are_400_and_change_nothing(body: dict[str, Any], code: str) -> None:
    api = Api()
    batch = api.create()
    assert api.error("POST", f"batches/{batch['id']}", body) == code
    assert api.sim.batch(batch["id"]) == batch


def test_binary_update() -> None:
    api = Api()
    batch = api.create(type="mt_binary", body="AAECAw==", udh="00")
    updated = api.ok(
        "POST", f"batches/{batch['id']}", {"type": "mt_binary", "body": "/w==", "udh": "FF"}
    )
    assert (updated["body"], updated["udh"]) == ("/w==", "ff")
    for body in ({"udh": None}, {"parameters": {"a": {"default": "x"}}}, {"type": "mt_text"}):
        assert api.error("POST", f"batches/{batch['id']}", body) == "syntax_constraint_violation"


def test_update_after_dispatch_or_cancel_is_403() -> None:
    api = Api()
    batch = api.create()
    api.sim.advance(0.999)
    assert (
        api.ok("POST", f"batches/{batch['id']}", {"body": "still queued"})["body"] == "still queued"
    )
    api.sim.advance(1)  # the update re-queued it at 0.999 s; dispatch at 1.999 s
    code = api.error("POST", f"batches/{batch['id']}", {"body": "late"}, status=403)
    assert code == "batch_already_dispatched"
    other = api.create(send_at="2026-05-01T00:00:00Z")
    api.call("DELETE", f"batches/{other['id']}")
    assert api.error("POST", f"batches/{other['id']}", {}, status=403) == "batch_already_dispatched"
    assert api.status("POST", "batches/nope", {}) == 404


def test_cancel() -> None:
    api = Api()
    batch = api.create(to=["+46700000001", "+46700000002"], send_at="2026-01-01T01:00:00Z")
    api.sim.advance(60)
    cancelled = api.ok("DELETE", f"batches/{batch['id']}")
    assert cancelled["canceled"] is True
    assert cancelled["modified_at"] == "2026-01-01T00:01:00.000Z"
    assert api.ok("GET", f"batches/{batch['id']}") == cancelled
    api.sim.advance(7200)
    report = api.report(batch["id"], "type=full")
    assert report["statuses"] == [
        {
            "code": 407,
            "status": "Cancelled",
            "count": 2,
            "recipients": ["+46700000001", "+46700000002"],
        }
    ]
    rdr = api.recipient(batch["id"], "+46700000001")
    assert (rdr["status"], rdr["code"], rdr["at"]) == ("Cancelled", 407, "2026-01-01T00:01:00.000Z")
    assert "operator_status_at" not in rdr
    assert api.ok("DELETE", f"batches/{batch['id']}") == cancelled  # idempotent
    assert api.status("DELETE", "batches/nope") == 404


def test_cancel_after_dispatch_changes_no_delivery() -> None:
    api = Api()
    batch = api.create()
    api.sim.advance(1.5)
    api.call("DELETE", f"batches/{batch['id']}")
    api.sim.advance(5)
    assert api.recipient(batch["id"], TO)["status"] == "Delivered"


@pytest.mark.parametrize("resource", ["batches", "groups"])
def test_tags(resource: str) -> None:
    api = Api()
    item = api.create(tags=["one"]) if resource == "batches" else api.group(tags=["one"])
    path = f"{resource}/{item['id']}/tags"
    assert api.ok("GET", path) == {"tags": ["one"]}
    assert api.ok("PUT", path, {"tags": ["b", "a", "b"]}) == {"tags": ["b", "a"]}
    assert api.ok("PUT", path, {"tags": []}) == {"tags": []}
    assert api.ok("POST", path, {"add": ["x", "y"], "remove": []}) == {"tags": ["x", "y"]}
    assert api.ok("POST", path, {"add": ["z", "q"], "remove": ["x", "q", "nope"]}) == {
        "tags": ["y", "z"]
    }
    assert api.ok("POST", path, {"remove": ["y"]}) == {"tags": ["z"]}
    assert api.ok("POST", path, {"add": None}) == {"tags": ["z"]}
    assert api.ok("GET", path) == {"tags": ["z"]}
    for body in ({}, {"tags": "z"}, {"tags": [1]}):
        assert api.error("PUT", path, body) == "syntax_constraint_violation"
    assert api.error("POST", path, {"add": "z"}) == "syntax_constraint_violation"
    assert api.status("GET", f"{resource}/nope/tags") == 404
    assert api.status("PUT", f"{resource}/nope/tags", {"tags": []}) == 404
    listed = api.ok("GET", resource, query="tags=z")
    assert [x["id"] for x in listed[resource]] == [item["id"]]


def test_update_cannot_exceed_1000_recipients() -> None:
    api = Api()
    batch = api.create(to=[f"+4670{i:07d}" for i in range(600)])
    more = [f"+4671{i:07d}" for i in range(401)]
    assert (
        api.error("POST", f"batches/{batch['id']}", {"to_add": more})
        == "syntax_constraint_violation"
    )
    assert api.ok("POST", f"batches/{batch['id']}", {"to_add": more[:400]})["to"][-1] == more[399]
