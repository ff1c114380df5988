"""Dry run and message part counting (protocol 3.2, 4.6, 8)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.simulator._helpers import Api
from transports.simulator import _sim_text as text
from transports.simulator._sim_wire import CONSTRAINT

A, B = "+46700000001", "+46700000002"

# GSM 03.38 basic table, in code order (0x1B, the escape, is left out).
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = "\x0c^{}\\[~]|€"


def dry_run(api: Api, body: dict[str, Any], query: str = "per_recipient=true") -> dict[str, Any]:
    result: dict[str, Any] = api.ok("POST", "batches/dry_run", {"to": [A]} | body, query=query)
    return result


def test_the_gsm_tables_are_complete() -> None:
    assert len(BASIC) == 127
    assert len(EXTENSION) == 10
    assert frozenset(BASIC) == text.GSM_BASIC
    assert frozenset(EXTENSION) == text.GSM_EXTENSION
    assert text.is_gsm(BASIC + EXTENSION)
    for outside in ("`", "\x1b", "ç", "á", "€\u0301", "😀", "Ж", "\t"):
        assert not text.is_gsm(outside), outside


@pytest.mark.parametrize(
    ("body", "parts", "encoding"),
    [
        ("", 1, "text"),
        ("a" * 160, 1, "text"),
        ("a" * 161, 2, "text"),
        ("a" * 306, 2, "text"),
        ("a" * 307, 3, "text"),
        (BASIC[:127] + "a" * 33, 1, "text"),
        ("€" * 80, 1, "text"),
        ("€" * 81, 2, "text"),
        ("a" * 158 + "{", 1, "text"),
        ("a" * 159 + "{", 2, "text"),
        # 152 septets then an extension char: it moves whole to the next part.
        ("a" * 152 + "[" + "a" * 153, 3, "text"),
        ("a" * 151 + "[" + "a" * 153, 2, "text"),
        ("ж" * 70, 1, "unicode"),
        ("ж" * 71, 2, "unicode"),
        ("ж" * 134, 2, "unicode"),
        ("ж" * 135, 3, "unicode"),
        ("a" * 69 + "ж", 1, "unicode"),
        ("a" * 160 + "`", 3, "unicode"),
        ("😀" * 35, 1, "unicode"),
        ("😀" * 36, 2, "unicode"),
        ("a" + "😀" * 34, 1, "unicode"),
        # 134 units, but the pair at unit 67 is never split: 66 + 67 + 1.
        ("a" * 66 + "😀" + "a" * 66, 3, "unicode"),
    ],
)
def test_part_counting(body: str, parts: int, encoding: str) -> None:
    assert text.count_parts(body) == (parts, encoding)
    result = dry_run(Api(), {"body": body})
    assert result["number_of_messages"] == parts
    assert result["per_recipient"] == [
        {"recipient": A, "number_of_parts": parts, "body": body, "encoding": encoding}
    ]


def test_templates_are_expanded_per_recipient() -> None:
    api = Api()
    body = {
        "to": [A, B, "+46700000003"],
        "body": "Hi ${name}, ${greeting} ${unknown}",
        "parameters": {
            "name": {"0046700000001": "Ann", "default": "friend"},
            "greeting": {A: "hej", B: "Ж" * 70},
        },
    }
    result = dry_run(api, body)
    assert result["number_of_recipients"] == 3
    assert [
        (r["recipient"], r["body"], r["encoding"], r["number_of_parts"])
        for r in result["per_recipient"]
    ] == [
        (A, "Hi Ann, hej ${unknown}", "text", 1),
        (B, "Hi friend, " + "Ж" * 70 + " ${unknown}", "unicode", 2),
        ("+46700000003", "Hi friend, ${greeting} ${unknown}", "text", 1),
    ]
    assert result["number_of_messages"] == 4
    assert api.sim.batch_count == 0  # nothing was sent


def test_per_recipient_only_when_asked_and_limited() -> None:
    api = Api()
    many = [f"+4670{i:07d}" for i in range(150)]
    plain = api.ok("POST", "batches/dry_run", {"to": many, "body": "x" * 200})
    assert plain == {"number_of_recipients": 150, "number_of_messages": 300}
    default = dry_run(api, {"to": many, "body": "x"})
    assert len(default["per_recipient"]) == 100
    assert default["number_of_messages"] == 150
    five = dry_run(api, {"to": many, "body": "x"}, "per_recipient=true&number_of_recipients=5")
    assert [r["recipient"] for r in five["per_recipient"]] == many[:5]
    none = dry_run(api, {"to": many, "body": "x"}, "per_recipient=TRUE&number_of_recipients=0")
    assert none["per_recipient"] == []
    off = dry_run(api, {"to": many, "body": "x"}, "per_recipient=false&number_of_recipients=5")
    assert "per_recipient" not in off
    for query in ("number_of_recipients=1001", "per_recipient=yes", "number_of_recipients=-1"):
        assert api.error("POST", "batches/dry_run", {"to": [A], "body": "x"}, query=query) == (
            "syntax_constraint_violation"
        )


def test_dry_run_validates_like_create() -> None:
    api = Api()
    assert api.error("POST", "batches/dry_run", {"to": [A]}) == "syntax_constraint_violation"
    assert (
        api.error("POST", "batches/dry_run", {"to": ["x"], "body": "x"})
        == "syntax_invalid_parameter_format"
    )
    assert (
        api.error(
            "POST",
            "batches/dry_run",
            raw=b"nope",
            headers=(("authorization", "Bearer token"), ("content-type", "application/json")),
        )
        == "syntax_invalid_json"
    )


def test_dry_run_expands_groups_and_truncates() -> None:
    api = Api()
    group = api.group(members=[B, A])
    result = dry_run(api, {"to": [A, group["id"]], "body": "x" * 400, "truncate_concat": True})
    assert [
        (r["recipient"], r["number_of_parts"], len(r["body"])) for r in result["per_recipient"]
    ] == [
        (A, 1, 160),
        (B, 1, 160),
    ]
    assert text.truncate("ж" * 100) == "ж" * 70
    assert text.truncate("😀" * 40) == "😀" * 35
    assert text.truncate("short") == "short"


@pytest.mark.parametrize(
    ("size", "udh"),
    [(0, b""), (140, b""), (134, b"\x05\x00\x03\x01\x02\x01")],
)
def test_binary_messages_fit_one_part(size: int, udh: bytes) -> None:
    body = {
        "type": "mt_binary",
        "body": base64.b64encode(b"\x01" * size).decode(),
        "udh": udh.hex(),
    }
    result = dry_run(Api(), body)
    assert result["number_of_messages"] == 1
    assert result["per_recipient"][0]["encoding"] == "binary"
    assert result["per_recipient"][0]["body"] == body["body"]


@pytest.mark.parametrize(
    ("size", "udh"),
    [(141, b""), (135, b"\x00\x00\x00\x00\x00\x00"), (134 * 3, b"")],
)
def test_binary_over_140_bytes_is_refused_as_xms_does(size: int, udh: bytes) -> None:
    # Protocol 4.3 and 8: body and UDH together at most 140 bytes.
    body = {
        "type": "mt_binary",
        "body": base64.b64encode(b"\x01" * size).decode(),
        "udh": udh.hex(),
    }
    assert Api().error("POST", "batches/dry_run", {"to": [A]} | body) == CONSTRAINT
    assert Api().error("POST", "batches", {"to": [A]} | body) == CONSTRAINT


def test_binary_helpers() -> None:
    assert text.binary_parts(200, 134) is None
    assert text.b64_bytes("AAEC\nAw==\n") == b"\x00\x01\x02\x03"
    assert text.b64_bytes("AAE") is None
    assert text.b64_bytes("é") is None
    assert text.hex_bytes("0aFF") == b"\x0a\xff"
    assert text.hex_bytes("0") is None
    assert text.hex_bytes("zz") is None
