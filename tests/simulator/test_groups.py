"""Groups, inbounds and keyword auto-update (protocol 3.13-3.21, 4.11, 4.12)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from tests.simulator._helpers import Api

A, B, C, D = "+46700000001", "+46700000002", "+46700000003", "+46700000004"


def test_create_minimal_and_full_group() -> None:
    api = Api()
    empty = api.group()
    assert empty == {
        "id": empty["id"],
        "size": 0,
        "child_groups": [],
        "created_at": "2026-01-01T00:00:00.000Z",
        "modified_at": "2026-01-01T00:00:00.000Z",
    }
    auto = {"to": "54321", "add": {"first_word": "Sinch", "second_word": "Join"}, "remove": {}}
    full = api.group(
        name="friends",
        members=[A, B, "0046700000001"],
        child_groups=[empty["id"]],
        auto_update=auto,
        tags=["t"],
    )
    assert full == {
        "id": full["id"],
        "name": "friends",
        "size": 2,
        "child_groups": [empty["id"]],
        "auto_update": auto,
        "created_at": "2026-01-01T00:00:00.000Z",
        "modified_at": "2026-01-01T00:00:00.000Z",
    }
    assert api.ok("GET", f"groups/{full['id']}") == full
    assert api.sim.group(full["id"]) == full | {"members": [A, B], "tags": ["t"]}
    assert [g["id"] for g in api.sim.groups()] == [empty["id"], full["id"]]
    assert api.ok("GET", f"groups/{full['id']}/members") == [A, B]
    assert api.status("GET", "groups/nope") == 404
    assert api.status("GET", "groups/nope/members") == 404


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": 5}, 400, "syntax_constraint_violation"),
        ({"members": A}, 400, "syntax_constraint_violation"),
        ({"members": ["nope"]}, 400, "syntax_invalid_parameter_format"),
        ({"members": [5]}, 400, "syntax_constraint_violation"),
        ({"child_groups": ["nope"]}, 403, "unknown_group"),
        ({"child_groups": "nope"}, 400, "syntax_constraint_violation"),
        ({"auto_update": "x"}, 400, "syntax_constraint_violation"),
        ({"auto_update": {}}, 400, "syntax_constraint_violation"),
        ({"auto_update": {"to": 1}}, 400, "syntax_constraint_violation"),
        ({"auto_update": {"to": "1", "add": "join"}}, 400, "syntax_constraint_violation"),
        (
            {"auto_update": {"to": "1", "add": {"first_word": "two words"}}},
            400,
            "syntax_constraint_violation",
        ),
        (
            {"auto_update": {"to": "1", "add": {"second_word": "x"}}},
            400,
            "syntax_constraint_violation",
        ),
        (
            {"auto_update": {"to": "1", "remove": {"first_word": 3}}},
            400,
            "syntax_constraint_violation",
        ),
        ({"tags": [1]}, 400, "syntax_constraint_violation"),
        ({"members": [f"+4670{i:07d}" for i in range(10_001)]}, 400, "syntax_constraint_violation"),
    ],
)
def test_invalid_group_bodies(body: dict[str, Any], status: int, code: str) -> None:
    api = Api()
    assert api.error("POST", "groups", body, status=status) == code
    existing = api.group()
    assert api.error("PUT", f"groups/{existing['id']}", body, status=status) == code
    assert api.sim.group(existing["id"])["size"] == 0


def test_too_many_child_groups() -> None:
    api = Api()
    children = [api.group()["id"] for _ in range(11)]
    assert api.error("POST", "groups", {"child_groups": children}) == "syntax_constraint_violation"
    parent = api.group(child_groups=children[:10])
    assert api.error("POST", f"groups/{parent['id']}", {"child_groups_add": children[10:]}) == (
        "syntax_constraint_violation"
    )


def test_group_names_must_be_unique() -> None:
    api = Api()
    first = api.group(name="club")
    other = api.group(name="other")
    assert api.error("POST", "groups", {"name": "club"}, status=403) == "conflict_group_name"
    assert (
        api.error("PUT", f"groups/{other['id']}", {"name": "club"}, status=403)
        == "conflict_group_name"
    )
    assert (
        api.error("POST", f"groups/{other['id']}", {"name": "club"}, status=403)
        == "conflict_group_name"
    )
    assert api.ok("PUT", f"groups/{first['id']}", {"name": "club"})["name"] == "club"
    assert api.ok("POST", f"groups/{first['id']}", {"name": "club"})["name"] == "club"
    assert api.group(name="Club")["name"] == "Club"


def test_list_groups() -> None:
    api = Api()
    ids = []
    for index in range(35):
        ids.append(api.group(tags=["even" if index % 2 == 0 else "odd"])["id"])
        api.sim.advance(1)
    page = api.ok("GET", "groups")
    assert (page["count"], page["page"], page["page_size"]) == (35, 0, 30)
    assert [g["id"] for g in page["groups"]] == ids[::-1][:30]
    assert [g["id"] for g in api.ok("GET", "groups", query="page=1")["groups"]] == ids[::-1][30:]
    odd = api.ok("GET", "groups", query="tags=odd&page_size=100")
    assert [g["id"] for g in odd["groups"]] == ids[1::2][::-1]
    assert api.ok("GET", "groups", query="tags=odd%2Ceven&page_size=100")["count"] == 35
    api.sim.advance(3 * 86400)
    assert api.ok("GET", "groups")["count"] == 35  # no date window for groups


def test_replace_group() -> None:
    api = Api()
    child = api.group()
    group = api.group(
        name="g", members=[A], child_groups=[child["id"]], auto_update={"to": "1"}, tags=["t"]
    )
    api.sim.advance(5)
    replaced = api.ok("PUT", f"groups/{group['id']}", {"members": [B, C]})
    assert replaced == {
        "id": group["id"],
        "size": 2,
        "child_groups": [],
        "created_at": group["created_at"],
        "modified_at": "2026-01-01T00:00:05.000Z",
    }
    assert api.ok("GET", f"groups/{group['id']}/members") == [B, C]
    assert api.ok("GET", f"groups/{group['id']}/tags") == {"tags": []}
    assert api.error("PUT", f"groups/{group['id']}", {"child_groups": [group["id"]]}) == (
        "syntax_constraint_violation"
    )
    assert api.status("PUT", "groups/nope", {}) == 404


def test_update_group_adds_before_removes() -> None:
    api = Api()
    source = api.group(members=[C, D])
    group = api.group(name="g", members=[A, B], auto_update={"to": "1"})
    api.sim.advance(1)
    updated = api.ok(
        "POST",
        f"groups/{group['id']}",
        {"add": [C, "0046700000009", B], "remove": ["0046700000009", A, "+46709999999"]},
    )
    assert api.ok("GET", f"groups/{group['id']}/members") == [B, C]
    assert updated["size"] == 2
    assert updated["name"] == "g"
    assert updated["auto_update"] == {"to": "1"}
    assert updated["modified_at"] == "2026-01-01T00:00:01.000Z"
    api.ok("POST", f"groups/{group['id']}", {"add_from_group": source["id"]})
    assert api.ok("GET", f"groups/{group['id']}/members") == [B, C, D]
    api.ok("POST", f"groups/{group['id']}", {"add": [A], "remove_from_group": source["id"]})
    assert api.ok("GET", f"groups/{group['id']}/members") == [B, A]
    api.ok("POST", f"groups/{group['id']}", {"add_from_group": source["id"], "remove": [C]})
    assert api.ok("GET", f"groups/{group['id']}/members") == [B, A, D]
    cleared = api.ok("POST", f"groups/{group['id']}", {"name": None, "auto_update": None})
    assert "name" not in cleared
    assert "auto_update" not in cleared
    renamed = api.ok("POST", f"groups/{group['id']}", {"name": "new", "auto_update": {"to": "2"}})
    assert (renamed["name"], renamed["auto_update"]) == ("new", {"to": "2"})
    assert api.ok("POST", f"groups/{group['id']}", {}) == renamed | {
        "modified_at": renamed["modified_at"]
    }


def test_update_group_children_and_errors() -> None:
    api = Api()
    one, two = api.group(), api.group()
    group = api.group(child_groups=[one["id"]])
    updated = api.ok("POST", f"groups/{group['id']}", {"child_groups_add": [two["id"], one["id"]]})
    assert updated["child_groups"] == [one["id"], two["id"]]
    updated = api.ok("POST", f"groups/{group['id']}", {"child_groups_remove": [one["id"], "nope"]})
    assert updated["child_groups"] == [two["id"]]
    path = f"groups/{group['id']}"
    assert api.error("POST", path, {"child_groups_add": ["nope"]}, status=403) == "unknown_group"
    assert api.error("POST", path, {"add_from_group": "nope"}, status=403) == "unknown_group"
    assert api.error("POST", path, {"remove_from_group": "nope"}, status=403) == "unknown_group"
    assert api.error("POST", path, {"add": ["bad"]}) == "syntax_invalid_parameter_format"
    assert api.error("POST", path, {"add": "+46700000001"}) == "syntax_constraint_violation"
    assert api.error("POST", path, {"auto_update": {"add": {}}}) == "syntax_constraint_violation"
    assert (
        api.error("POST", path, {"child_groups_add": [group["id"]]})
        == "syntax_constraint_violation"
    )
    assert api.ok("GET", path) == updated
    assert api.status("POST", "groups/nope", {}) == 404


def test_delete_group() -> None:
    api = Api()
    child = api.group()
    parent = api.group(child_groups=[child["id"]])
    response = api.call("DELETE", f"groups/{child['id']}")
    assert (response.status, response.body, response.header("content-type")) == (200, b"", None)
    assert api.status("GET", f"groups/{child['id']}") == 404
    assert api.status("DELETE", f"groups/{child['id']}") == 404
    assert api.ok("GET", f"groups/{parent['id']}")["child_groups"] == []
    assert (
        api.error("POST", "groups", {"child_groups": [child["id"]]}, status=403) == "unknown_group"
    )
    assert [g["id"] for g in api.sim.groups()] == [parent["id"]]


# --------------------------------------------------------------------------------------
# Inbounds and auto-update


def test_inject_and_fetch_inbounds() -> None:
    api = Api()
    sent = datetime(2025, 12, 31, 23, 59, tzinfo=timezone.utc)
    text_id = api.sim.inject_inbound(
        sender=A,
        recipient="12345",
        body="Hello",
        keyword="HELLO",
        operator_id="24001",
        sent_at=sent,
        client_reference="ref",
    )
    api.sim.advance(1)
    binary_id = api.sim.inject_inbound(
        sender=B, recipient="54321", body=b"\x00\x01", udh=b"\x05\x00"
    )
    text_mo = api.ok("GET", f"inbounds/{text_id}")
    assert text_mo == {
        "type": "mo_text",
        "id": text_id,
        "from": A,
        "to": "12345",
        "body": "Hello",
        "keyword": "HELLO",
        "operator_id": "24001",
        "client_reference": "ref",
        "sent_at": "2025-12-31T23:59:00.000Z",
        "received_at": "2026-01-01T00:00:00.000Z",
    }
    binary_mo = api.ok("GET", f"inbounds/{binary_id}")
    assert binary_mo == {
        "type": "mo_binary",
        "id": binary_id,
        "from": B,
        "to": "54321",
        "body": "AAE=",
        "udh": "0500",
        "received_at": "2026-01-01T00:00:01.000Z",
    }
    assert api.sim.inbounds() == [text_mo, binary_mo]
    assert api.status("GET", "inbounds/nope") == 404
    no_udh = api.sim.inject_inbound(sender=B, recipient="54321", body=b"")
    assert api.ok("GET", f"inbounds/{no_udh}")["udh"] == ""
    with pytest.raises(TypeError):
        api.sim.inject_inbound(sender=A, recipient="1", body=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sender"):
        api.sim.inject_inbound(sender="", recipient="1", body="x")


def test_list_inbounds() -> None:
    api = Api()
    ids = []
    for index in range(35):
        ids.append(
            api.sim.inject_inbound(
                sender=A,
                recipient="12345" if index % 2 else "+46711111111",
                body=str(index),
                client_reference="even" if index % 2 == 0 else None,
            )
        )
        api.sim.advance(60)

    def listed(query: str) -> list[str]:
        return [mo["id"] for mo in api.ok("GET", "inbounds", query=query)["inbounds"]]

    page = api.ok("GET", "inbounds")
    assert (page["count"], page["page_size"]) == (35, 30)
    assert listed("") == ids[::-1][:30]
    assert listed("page=1") == ids[::-1][30:]
    assert listed("to=12345&page_size=100") == ids[1::2][::-1]
    assert listed("to=0046711111111%2C12345&page_size=100") == ids[::-1]
    assert listed("client_reference=even&page_size=100") == ids[::2][::-1]
    assert listed("start_date=2026-01-01T00:33:00Z") == ids[33:][::-1]
    assert listed("start_date=2026-01-01&end_date=2026-01-01T00:01:00Z") == ids[:1]
    api.sim.advance(86400)
    assert listed("") == []
    assert len(listed("start_date=2026-01-01&page_size=100")) == 35


def test_auto_update_by_keywords() -> None:
    api = Api()
    one = api.group(
        members=[A],
        auto_update={
            "to": "+46711111111",
            "add": {"first_word": "join"},
            "remove": {"first_word": "STOP"},
        },
    )
    two = api.group(
        auto_update={
            "to": "12345",
            "add": {"first_word": "Sinch", "second_word": "Join"},
            "remove": {"first_word": "sinch", "second_word": "leave"},
        }
    )

    def members(group: dict[str, Any]) -> list[str]:
        result: list[str] = api.ok("GET", f"groups/{group['id']}/members")
        return result

    api.sim.advance(1)
    api.sim.inject_inbound(sender=B, recipient="0046711111111", body="  JOIN please")
    assert members(one) == [A, B]
    assert api.ok("GET", f"groups/{one['id']}")["modified_at"] == "2026-01-01T00:00:01.000Z"
    api.sim.inject_inbound(sender="0046700000002", recipient="+46711111111", body="join")
    assert members(one) == [A, B]
    api.sim.inject_inbound(sender=A, recipient="+46711111111", body="stop it")
    assert members(one) == [B]
    api.sim.inject_inbound(sender=C, recipient="99999", body="join")
    api.sim.inject_inbound(sender=C, recipient="+46711111111", body="joining")
    api.sim.inject_inbound(sender=C, recipient="+46711111111", body=b"join")
    assert members(one) == [B]
    api.sim.inject_inbound(sender=C, recipient="12345", body="sinch")
    api.sim.inject_inbound(sender=C, recipient="12345", body="join sinch")
    assert members(two) == []
    api.sim.inject_inbound(sender=C, recipient="12345", body="SINCH join now")
    assert members(two) == [C]
    api.sim.inject_inbound(sender=C, recipient="12345", body="sinch LEAVE")
    assert members(two) == []
    assert len(api.sim.inbounds()) == 10


def test_group_limits_and_duplicate_children() -> None:
    api = Api()
    child = api.group()
    group = api.group(
        members=[f"+4670{i:07d}" for i in range(6000)], child_groups=[child["id"], child["id"]]
    )
    assert group["child_groups"] == [child["id"]]
    more = [f"+4671{i:07d}" for i in range(4001)]
    assert (
        api.error("POST", f"groups/{group['id']}", {"add": more}) == "syntax_constraint_violation"
    )
    assert api.ok("POST", f"groups/{group['id']}", {"add": more[:4000]})["size"] == 10_000
