"""Delivery: timelines, reports, feedback and callbacks (protocol 3.9-3.12, 4.7-4.10, 7)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.simulator._helpers import Api, statuses
from transports.simulator._core import ManualClock, Simulator

A, B, C = "+46700000001", "+46700000002", "+46700000003"


def test_a_recipient_goes_queued_dispatched_delivered() -> None:
    api = Api()
    batch = api.create(to=[A])
    first = api.recipient(batch["id"], A)
    assert first == {
        "type": "recipient_delivery_report_sms",
        "batch_id": batch["id"],
        "recipient": A,
        "code": 400,
        "status": "Queued",
        "at": "2026-01-01T00:00:00.000Z",
    }
    api.sim.advance(1)
    second = api.recipient(batch["id"], A)
    assert (second["status"], second["code"], second["at"]) == (
        "Dispatched",
        401,
        "2026-01-01T00:00:01.000Z",
    )
    assert "operator_status_at" not in second
    api.sim.advance(1.999)
    assert api.recipient(batch["id"], A)["status"] == "Dispatched"
    api.sim.advance(0.001)
    third = api.recipient(batch["id"], A)
    assert (third["status"], third["code"], third["at"]) == (
        "Delivered",
        0,
        "2026-01-01T00:00:03.000Z",
    )
    assert third["operator_status_at"] == "2026-01-01T00:00:03.000Z"


def test_custom_delays_and_a_scheduled_send() -> None:
    api = Api(dispatch_after=10, deliver_after=20)
    batch = api.create(to=[A], send_at="2026-01-01T01:00:00Z")
    api.sim.advance(3600 + 9)
    assert api.recipient(batch["id"], A)["status"] == "Queued"
    api.sim.advance(1)
    assert api.recipient(batch["id"], A)["status"] == "Dispatched"
    api.sim.advance(20)
    assert api.recipient(batch["id"], A)["at"] == "2026-01-01T01:00:30.000Z"


def test_send_at_in_the_past_sends_now() -> None:
    api = Api()
    api.sim.advance(3600)
    batch = api.create(to=[A], send_at="2025-06-01T00:00:00Z")
    api.sim.advance(1)
    assert api.recipient(batch["id"], A)["at"] == "2026-01-01T01:00:01.000Z"


def test_recipient_paths_accept_any_spelling_of_the_number() -> None:
    api = Api()
    batch = api.create(to=["0046700000001"])
    for spelled in (A, "46700000001", "0046700000001", "+46 70-000 00 01"):
        assert api.recipient(batch["id"], spelled)["recipient"] == "0046700000001"
    assert api.status("GET", f"batches/{batch['id']}/delivery_report/%2B46709999999") == 404
    assert api.status("GET", f"batches/{batch['id']}/delivery_report/garbage") == 404
    assert api.status("GET", f"batches/nope/delivery_report/{A}") == 404


def test_fail_and_expire_recipients() -> None:
    api = Api()
    batch = api.create(to=[A, B, C])
    api.sim.fail_recipient(batch["id"], B)
    api.sim.expire_recipient(batch["id"], "0046700000003")
    api.sim.fail_recipient(batch["id"], A, code=99)
    api.sim.advance(1)
    assert api.recipient(batch["id"], B)["status"] == "Dispatched"
    api.sim.advance(2)
    assert statuses(api.report(batch["id"])) == [
        (11, "Failed", 1),
        (99, "Failed", 1),
        (406, "Expired", 1),
    ]
    failed = api.recipient(batch["id"], B)
    assert (failed["status"], failed["code"], failed["operator_status_at"]) == (
        "Failed",
        11,
        "2026-01-01T00:00:03.000Z",
    )
    with pytest.raises(ValueError, match="already"):
        api.sim.fail_recipient(batch["id"], B)
    with pytest.raises(KeyError):
        api.sim.fail_recipient("nope", B)
    with pytest.raises(KeyError):
        api.sim.expire_recipient(batch["id"], "+46709999999")
    with pytest.raises(KeyError):
        api.sim.expire_recipient(batch["id"], "not a number")


def test_summary_and_full_reports_with_filters() -> None:
    api = Api()
    batch = api.create(to=[A, B, C], client_reference="ref")
    api.sim.fail_recipient(batch["id"], B, code=11)
    api.sim.advance(10)
    summary = api.report(batch["id"])
    assert summary == {
        "type": "delivery_report_sms",
        "batch_id": batch["id"],
        "total_message_count": 3,
        "statuses": [
            {"code": 0, "status": "Delivered", "count": 2},
            {"code": 11, "status": "Failed", "count": 1},
        ],
        "client_reference": "ref",
    }
    assert api.report(batch["id"], "type=summary") == summary
    full = api.report(batch["id"], "type=full")
    assert full["statuses"] == [
        {"code": 0, "status": "Delivered", "count": 2, "recipients": [A, C]},
        {"code": 11, "status": "Failed", "count": 1, "recipients": [B]},
    ]
    assert statuses(api.report(batch["id"], "status=Failed")) == [(11, "Failed", 1)]
    assert statuses(api.report(batch["id"], "status=failed%2CDelivered")) == [
        (0, "Delivered", 2),
        (11, "Failed", 1),
    ]
    assert statuses(api.report(batch["id"], "code=0")) == [(0, "Delivered", 2)]
    assert statuses(api.report(batch["id"], "code=11%2C400")) == [(11, "Failed", 1)]
    assert statuses(api.report(batch["id"], "status=Queued")) == []
    assert statuses(api.report(batch["id"], "client_reference=ref")) == [
        (0, "Delivered", 2),
        (11, "Failed", 1),
    ]
    assert statuses(api.report(batch["id"], "client_reference=other")) == []
    assert api.status("GET", f"batches/{batch['id']}/delivery_report", query="type=bogus") == 404
    assert api.error("GET", f"batches/{batch['id']}/delivery_report", query="code=x") == (
        "syntax_constraint_violation"
    )
    assert api.status("GET", "batches/nope/delivery_report") == 404


def test_report_without_client_reference_omits_it() -> None:
    api = Api()
    batch = api.create()
    assert "client_reference" not in api.report(batch["id"])
    assert "client_reference" not in api.recipient(batch["id"], "+46701234567")


def test_expire_at_before_dispatch_expires_the_message() -> None:
    api = Api(dispatch_after=60)
    batch = api.create(to=[A], expire_at="2026-01-01T00:00:30Z")
    api.sim.advance(30)
    rdr = api.recipient(batch["id"], A)
    assert (rdr["status"], rdr["code"], rdr["at"]) == ("Expired", 406, "2026-01-01T00:00:30.000Z")
    assert "operator_status_at" not in rdr


def test_expire_at_while_in_flight_expires_the_message() -> None:
    api = Api(dispatch_after=10, deliver_after=100)
    batch = api.create(to=[A], expire_at="2026-01-01T00:01:00Z")
    api.sim.advance(200)
    rdr = api.recipient(batch["id"], A)
    assert (rdr["status"], rdr["at"], rdr["operator_status_at"]) == (
        "Expired",
        "2026-01-01T00:01:00.000Z",
        "2026-01-01T00:01:00.000Z",
    )


def test_unmatched_parameter_and_parts_limit_abort() -> None:
    api = Api()
    batch = api.create(
        to=[A, B, C],
        body="Hi ${name} " + "x" * 150,
        parameters={"name": {A: "Al", B: "B" * 10}},
        max_number_of_message_parts=1,
    )
    api.sim.advance(5)
    assert statuses(api.report(batch["id"])) == [
        (0, "Delivered", 1),
        (405, "Aborted", 1),
        (411, "Aborted", 1),
    ]
    assert api.recipient(batch["id"], A)["number_of_message_parts"] == 1
    assert api.recipient(batch["id"], B)["number_of_message_parts"] == 2
    truncated = api.create(
        to=[A], body="x" * 500, max_number_of_message_parts=1, truncate_concat=True
    )
    api.sim.advance(5)
    rdr = api.recipient(truncated["id"], A)
    assert (rdr["status"], rdr["number_of_message_parts"]) == ("Delivered", 1)


def test_list_delivery_reports() -> None:
    api = Api()
    first = api.create(to=[A, B], client_reference="one")
    api.sim.fail_recipient(first["id"], B)
    api.sim.advance(1)
    second = api.create(to=[C])
    assert api.ok("GET", "delivery_reports")["count"] == 0  # nothing final yet
    api.sim.advance(2)
    page = api.ok("GET", "delivery_reports")
    assert (page["count"], page["page"], page["page_size"]) == (2, 0, 2)
    assert [(r["batch_id"], r["recipient"], r["status"]) for r in page["delivery_reports"]] == [
        (first["id"], A, "Delivered"),
        (first["id"], B, "Failed"),
    ]
    assert page["delivery_reports"][0]["client_reference"] == "one"
    api.sim.advance(10)
    everything = api.ok("GET", "delivery_reports")["delivery_reports"]
    assert [r["recipient"] for r in everything] == [C, A, B]  # newest first

    def recipients(query: str) -> list[str]:
        return [
            r["recipient"]
            for r in api.ok("GET", "delivery_reports", query=query)["delivery_reports"]
        ]

    assert recipients("status=Failed") == [B]
    assert recipients("code=0") == [C, A]
    assert recipients("client_reference=one") == [A, B]
    assert recipients("start_date=2026-01-01T00:00:04Z") == [C]
    assert recipients("end_date=2026-01-01T00:00:04Z") == [A, B]
    assert recipients("page_size=1&page=1") == [A]
    api.sim.advance(2 * 86400)
    assert recipients("") == []
    assert recipients("start_date=2026-01-01") == [C, A, B]
    assert second["id"] != first["id"]


def test_delivery_feedback() -> None:
    api = Api()
    enabled = api.create(to=[A, B], feedback_enabled=True)
    response = api.call("POST", f"batches/{enabled['id']}/delivery_feedback", {"recipients": [A]})
    assert (response.status, response.body, response.header("content-type")) == (202, b"", None)
    assert (
        api.status("POST", f"batches/{enabled['id']}/delivery_feedback", {"recipients": []}) == 202
    )
    path = f"batches/{enabled['id']}/delivery_feedback"
    assert api.error("POST", path, {}) == "syntax_constraint_violation"
    assert api.error("POST", path, {"recipients": None}) == "syntax_constraint_violation"
    assert api.error("POST", path, {"recipients": A}) == "syntax_constraint_violation"
    assert api.error("POST", path, {"recipients": ["nope"]}) == "syntax_invalid_parameter_format"
    assert (
        api.error(
            "POST",
            path,
            raw=b"[]",
            headers=(("authorization", "Bearer token"), ("content-type", "application/json")),
        )
        == "syntax_invalid_json"
    )
    plain = api.create(to=[A])
    code = api.error(
        "POST", f"batches/{plain['id']}/delivery_feedback", {"recipients": [A]}, status=403
    )
    assert code == "feedback_not_enabled"
    assert api.status("POST", "batches/nope/delivery_feedback", {"recipients": []}) == 404


def test_groups_in_to_are_expanded_at_send_time() -> None:
    api = Api()
    group = api.group(members=[A])
    batch = api.create(to=[group["id"], B], send_at="2026-01-01T01:00:00Z")
    assert api.report(batch["id"], "type=full")["statuses"][0]["recipients"] == [A, B]
    api.ok("POST", f"groups/{group['id']}", {"add": [C]})
    assert api.report(batch["id"])["total_message_count"] == 3
    api.sim.advance(3600)
    api.ok("POST", f"groups/{group['id']}", {"remove": [A, C]})  # too late: already sent
    api.sim.advance(10)
    full = api.report(batch["id"], "type=full")
    assert full["statuses"] == [
        {"code": 0, "status": "Delivered", "count": 3, "recipients": [A, C, B]}
    ]
    assert api.recipient(batch["id"], C)["status"] == "Delivered"


def test_child_groups_are_expanded_and_deleted_groups_count_as_empty() -> None:
    api = Api()
    child = api.group(members=[B, A])
    parent = api.group(members=[A], child_groups=[child["id"]])
    api.ok("POST", f"groups/{child['id']}", {"child_groups_add": [parent["id"]]})  # a cycle
    batch = api.create(to=[parent["id"]])
    api.sim.advance(1)
    assert api.report(batch["id"], "type=full")["statuses"][0]["recipients"] == [A, B]
    doomed = api.group(members=[C])
    scheduled = api.create(to=[doomed["id"], A], send_at="2026-01-02T00:00:00Z")
    api.call("DELETE", f"groups/{doomed['id']}")
    api.sim.advance(86400)
    assert api.report(scheduled["id"])["total_message_count"] == 1
    assert (
        api.error("POST", "batches", {"to": [doomed["id"]], "body": "x"}, status=403)
        == "unknown_group"
    )
    later = api.create(to=[A], send_at="2026-02-01T00:00:00Z")
    code = api.error("POST", f"batches/{later['id']}", {"to_add": [doomed["id"]]}, status=403)
    assert code == "unknown_group"


def test_dispatch_decision_on_update_with_group() -> None:
    api = Api()
    group = api.group(members=[A])
    batch = api.create(to=[B], send_at="2026-01-02T00:00:00Z")
    updated = api.ok("POST", f"batches/{batch['id']}", {"to_add": [group["id"]]})
    assert updated["to"] == [B, group["id"]]
    removed = api.ok("POST", f"batches/{batch['id']}", {"to_remove": [group["id"]]})
    assert removed["to"] == [B]


# --------------------------------------------------------------------------------------
# Callbacks


def _bodies(sim: Simulator) -> list[dict[str, Any]]:
    out = []
    for callback in sim.take_callbacks():
        assert callback.method == "POST"
        assert callback.url == "https://example.com/cb"
        assert callback.headers == (("content-type", "application/json"),)
        assert callback.body is not None
        out.append(json.loads(callback.body))
    return out


def test_per_recipient_callbacks_report_every_change_once() -> None:
    api = Api()
    batch = api.create(
        to=[A, B], delivery_report="per_recipient", callback_url="https://example.com/cb"
    )
    api.sim.fail_recipient(batch["id"], B)
    assert _bodies(api.sim) == []
    api.sim.advance(1)
    dispatched = _bodies(api.sim)
    assert [(c["recipient"], c["status"], c["code"]) for c in dispatched] == [
        (A, "Dispatched", 401),
        (B, "Dispatched", 401),
    ]
    assert dispatched[0]["type"] == "recipient_delivery_report_sms"
    assert dispatched[0]["batch_id"] == batch["id"]
    api.call("GET", "batches")
    api.sim.advance(5)
    final = _bodies(api.sim)
    assert [(c["recipient"], c["status"], c["code"], c["at"]) for c in final] == [
        (A, "Delivered", 0, "2026-01-01T00:00:03.000Z"),
        (B, "Failed", 11, "2026-01-01T00:00:03.000Z"),
    ]
    api.sim.advance(100)
    api.call("GET", f"batches/{batch['id']}/delivery_report")
    assert _bodies(api.sim) == []


def test_per_recipient_callbacks_catch_up_in_time_order() -> None:
    api = Api()
    batch = api.create(
        to=[A], delivery_report="per_recipient", callback_url="https://example.com/cb"
    )
    api.sim.advance(60)
    assert [(c["status"], c["at"]) for c in _bodies(api.sim)] == [
        ("Dispatched", "2026-01-01T00:00:01.000Z"),
        ("Delivered", "2026-01-01T00:00:03.000Z"),
    ]
    assert batch["id"]


def test_per_recipient_final_callbacks() -> None:
    api = Api()
    batch = api.create(
        to=[A, B],
        delivery_report="per_recipient_final",
        callback_url="https://example.com/cb",
        client_reference="ref",
    )
    api.sim.expire_recipient(batch["id"], A)
    api.sim.advance(1)
    assert _bodies(api.sim) == []
    api.sim.advance(2)
    bodies = _bodies(api.sim)
    assert [(c["recipient"], c["status"], c["client_reference"]) for c in bodies] == [
        (A, "Expired", "ref"),
        (B, "Delivered", "ref"),
    ]
    api.sim.advance(2)
    assert _bodies(api.sim) == []


@pytest.mark.parametrize("kind", ["summary", "full"])
def test_batch_callback_once_all_are_final(kind: str) -> None:
    api = Api()
    batch = api.create(to=[A, B], delivery_report=kind, callback_url="https://example.com/cb")
    api.sim.advance(2.5)
    assert _bodies(api.sim) == []
    api.sim.advance(0.5)
    bodies = _bodies(api.sim)
    assert len(bodies) == 1
    expected: dict[str, Any] = {"code": 0, "status": "Delivered", "count": 2}
    if kind == "full":
        expected["recipients"] = [A, B]
    assert bodies[0] == {
        "type": "delivery_report_sms",
        "batch_id": batch["id"],
        "total_message_count": 2,
        "statuses": [expected],
    }
    api.sim.advance(10)
    assert _bodies(api.sim) == []


def test_no_callbacks_without_url_or_report() -> None:
    api = Api()
    api.create(delivery_report="summary")
    api.create(delivery_report="none", callback_url="https://example.com/cb")
    api.create(callback_url="https://example.com/cb")
    api.sim.advance(100)
    assert api.sim.take_callbacks() == []


def test_cancel_and_replace_callbacks() -> None:
    api = Api()
    batch = api.create(
        to=[A],
        delivery_report="per_recipient",
        callback_url="https://example.com/cb",
        send_at="2026-01-01T01:00:00Z",
    )
    api.call("DELETE", f"batches/{batch['id']}")
    assert [(c["status"], c["code"]) for c in _bodies(api.sim)] == [("Cancelled", 407)]
    api.ok(
        "PUT",
        f"batches/{batch['id']}",
        {
            "to": [A],
            "body": "again",
            "delivery_report": "per_recipient",
            "callback_url": "https://example.com/cb",
        },
    )
    api.sim.advance(3)
    assert [c["status"] for c in _bodies(api.sim)] == ["Dispatched", "Delivered"]


def test_update_can_switch_callbacks_on() -> None:
    api = Api()
    batch = api.create(to=[A], send_at="2026-01-01T00:01:00Z")
    api.ok(
        "POST",
        f"batches/{batch['id']}",
        {"delivery_report": "summary", "callback_url": "https://example.com/cb"},
    )
    api.sim.advance(120)
    assert [c["type"] for c in _bodies(api.sim)] == ["delivery_report_sms"]


def test_callbacks_advance_lazily_on_any_clock() -> None:
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    api = Api(clock=lambda: now[0])
    api.create(to=[A], delivery_report="summary", callback_url="https://example.com/cb")
    now[0] = datetime(2026, 1, 1, 0, 1, tzinfo=timezone.utc)
    assert len(_bodies(api.sim)) == 1  # computed by take_callbacks itself
    now[0] = datetime(2026, 1, 1, 0, 2, tzinfo=timezone.utc)
    api.call("GET", "batches")
    assert _bodies(api.sim) == []


def test_callbacks_of_several_batches_are_ordered_by_time() -> None:
    clock = ManualClock()
    api = Api(clock=clock)
    first = api.create(
        to=[A],
        delivery_report="per_recipient_final",
        callback_url="https://example.com/cb",
        send_at="2026-01-01T00:00:10Z",
    )
    second = api.create(
        to=[B], delivery_report="per_recipient_final", callback_url="https://example.com/cb"
    )
    clock.advance(100)
    assert [c["batch_id"] for c in _bodies(api.sim)] == [second["id"], first["id"]]


def test_a_late_cancel_queues_no_second_batch_callback() -> None:
    api = Api()
    batch = api.create(to=[A], delivery_report="summary", callback_url="https://example.com/cb")
    api.sim.advance(10)
    assert len(_bodies(api.sim)) == 1
    api.call("DELETE", f"batches/{batch['id']}")
    api.sim.advance(10)
    assert _bodies(api.sim) == []
    assert api.recipient(batch["id"], A)["status"] == "Delivered"
