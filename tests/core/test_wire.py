"""Timestamps, the frozen map and the two seam values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import attrs
import pytest

from xms_core import HttpRequest, HttpResponse, Page, Settings
from xms_core._builders import constructor
from xms_core._wire import WireError, parse_time, write_day, write_time
from xms_core.api import FrozenMap

UTC = timezone.utc


def tz(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-12-14T08:15:29.969Z", datetime(2016, 12, 14, 8, 15, 29, 969000, tzinfo=UTC)),
        ("2016-12-01T11:03:13Z", datetime(2016, 12, 1, 11, 3, 13, tzinfo=UTC)),
        ("2016-12-05T16:24:00.000Z", datetime(2016, 12, 5, 16, 24, tzinfo=UTC)),
        ("2022-02-25T23:01:01Z", datetime(2022, 2, 25, 23, 1, 1, tzinfo=UTC)),
        ("2016-12-01T11:03:13+01:00", datetime(2016, 12, 1, 11, 3, 13, tzinfo=tz(1))),
        ("2016-12-01T11:03:13-05:30", datetime(2016, 12, 1, 11, 3, 13, tzinfo=tz(-5, -30))),
        ("2016-12-01T11:03:13+0100", datetime(2016, 12, 1, 11, 3, 13, tzinfo=tz(1))),
        ("2016-12-01T11:03:13+01", datetime(2016, 12, 1, 11, 3, 13, tzinfo=tz(1))),
        ("2016-12-01T11:03:13 +01:00", datetime(2016, 12, 1, 11, 3, 13, tzinfo=tz(1))),
        ("2016-12-01T11:03:13", datetime(2016, 12, 1, 11, 3, 13, tzinfo=UTC)),
        ("2016-12-01T11:03:13.192", datetime(2016, 12, 1, 11, 3, 13, 192000, tzinfo=UTC)),
        ("2016-12-01", datetime(2016, 12, 1, tzinfo=UTC)),
        ("2016-12-01 11:03:13Z", datetime(2016, 12, 1, 11, 3, 13, tzinfo=UTC)),
        ("2016-12-01 11:03:13.5", datetime(2016, 12, 1, 11, 3, 13, 500000, tzinfo=UTC)),
        ("2014-10-02T09:30Z", datetime(2014, 10, 2, 9, 30, tzinfo=UTC)),
        ("2016-12-01T11:03:13.1234567Z", datetime(2016, 12, 1, 11, 3, 13, 123456, tzinfo=UTC)),
        (
            "2016-12-01T11:03:13.123456789+02:00",
            datetime(2016, 12, 1, 11, 3, 13, 123456, tzinfo=tz(2)),
        ),
        ("2016-12-01T11:03:13,25Z", datetime(2016, 12, 1, 11, 3, 13, 250000, tzinfo=UTC)),
        (
            "2022-10-02 09:34:18.542000+00:00",
            datetime(2022, 10, 2, 9, 34, 18, 542000, tzinfo=UTC),
        ),
        ("0999-01-01T00:00:00Z", datetime(999, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_protocol_variants(text: str, expected: datetime) -> None:
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "2016-12-05T16:24:23318Z",
        "20140623TZ",
        "2016-13-01T00:00:00Z",
        "2016-12-32",
        "2016-12-01T24:00:00Z",
        "2016-12-01T11:03:13+25:00",
        "2016-12-01T11:03:13 UTC",
        "12/01/2016",
        "yesterday",
        "",
        "2016-12",
        "1481703329",
    ],
)
def test_parse_time_rejects_malformed_text(text: str) -> None:
    with pytest.raises(WireError) as info:
        parse_time(text, "send_at")
    assert str(info.value).startswith("send_at")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2016, 12, 1, 11, 3, 13, tzinfo=UTC), "2016-12-01T11:03:13.000Z"),
        (datetime(2016, 12, 1, 11, 3, 13, 192000, tzinfo=UTC), "2016-12-01T11:03:13.192Z"),
        (datetime(2016, 12, 1, 11, 3, 13, 192001, tzinfo=UTC), "2016-12-01T11:03:13.192001Z"),
        (datetime(2016, 12, 1, 12, 3, 13, tzinfo=tz(1)), "2016-12-01T11:03:13.000Z"),
        (datetime(2016, 12, 1, 0, 30, tzinfo=tz(5, 30)), "2016-11-30T19:00:00.000Z"),
        (datetime(999, 1, 1, tzinfo=UTC), "0999-01-01T00:00:00.000Z"),
    ],
)
def test_write_time_is_utc_with_z(value: datetime, text: str) -> None:
    assert write_time(value) == text
    assert parse_time(text) == value


def test_write_time_gives_one_text_per_instant() -> None:
    instant = datetime(2020, 2, 29, 23, 59, 59, 999000, tzinfo=UTC)
    texts = {write_time(instant.astimezone(tz(h))) for h in range(-12, 15)}
    assert texts == {"2020-02-29T23:59:59.999Z"}


def test_write_day() -> None:
    assert write_day(date(2016, 12, 1)) == "2016-12-01"
    assert write_day(datetime(2016, 12, 1, 1, tzinfo=tz(2))) == "2016-11-30T23:00:00.000Z"


# --------------------------------------------------------------------------- FrozenMap


def test_frozen_map_is_a_read_only_ordered_mapping() -> None:
    value = FrozenMap({"b": 1, "a": 2})
    assert list(value) == ["b", "a"]
    assert value["a"] == 2
    assert len(value) == 2
    assert "b" in value
    assert value.get("c") is None
    assert dict(value) == {"b": 1, "a": 2}
    assert repr(value) == "FrozenMap({'b': 1, 'a': 2})"
    with pytest.raises(TypeError):
        value["c"] = 3  # type: ignore[index]
    with pytest.raises(AttributeError):
        value.update  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(KeyError):
        value["missing"]


def test_frozen_map_equality_and_hash() -> None:
    first = FrozenMap([("a", 1), ("b", 2)])
    second = FrozenMap({"b": 2, "a": 1})
    assert first == second
    assert hash(first) == hash(second)
    assert first == {"a": 1, "b": 2}
    assert first != {"a": 1}
    assert first != FrozenMap()
    assert (first == [("a", 1)]) is False
    assert len({first, second, FrozenMap()}) == 2
    nested = FrozenMap({"p": FrozenMap({"default": "x"})})
    assert hash(nested) == hash(FrozenMap({"p": FrozenMap({"default": "x"})}))


def test_frozen_map_copies_its_input() -> None:
    source = {"a": 1}
    value = FrozenMap(source)
    source["b"] = 2
    assert dict(value) == {"a": 1}


# --------------------------------------------------------------------------- seam values


def test_request_repr_redacts_the_authorization_header() -> None:
    settings = Settings(service_plan_id="plan", token="top-secret", endpoint="https://h.test/x")
    request = settings.request("POST", "batches", json={"to": ["1"]})
    shown = repr(request)
    assert "top-secret" not in shown
    assert "('authorization', '<redacted>')" in shown
    assert "https://h.test/x/v1/plan/batches" in shown
    assert 'b\'{"to":["1"]}\'' in shown
    assert request.header("Authorization") == "Bearer top-secret"


def test_request_repr_summarises_long_bodies() -> None:
    request = HttpRequest(method="POST", url="https://h.test/", body=b"x" * 500)
    assert "<500 bytes>" in repr(request)
    assert HttpRequest(method="GET", url="https://h.test/").body is None
    assert "body=None" in repr(HttpRequest(method="GET", url="https://h.test/"))


def test_headers_are_lower_cased_and_looked_up_in_any_case() -> None:
    response = HttpResponse(
        status=200,
        headers=[("Content-Type", "application/json"), ("X-Thing", "1"), ("x-thing", "2")],
        body=b"{}",
    )
    assert response.headers == (
        ("content-type", "application/json"),
        ("x-thing", "1"),
        ("x-thing", "2"),
    )
    assert response.header("CONTENT-TYPE") == "application/json"
    assert response.header("content-type") == "application/json"
    assert response.header("X-THING") == "1"
    assert response.header("missing") is None
    request = HttpRequest(method="GET", url="https://h.test/", headers=[("Accept", "a/b")])
    assert request.header("accept") == "a/b"
    assert request.header("ACCEPT") == "a/b"


def test_response_repr_and_equality() -> None:
    response = HttpResponse(status=204)
    assert response.body == b""
    assert response.headers == ()
    assert response == HttpResponse(status=204, headers=[], body=b"")
    assert "<300 bytes>" in repr(HttpResponse(status=200, body=b"y" * 300))


# --------------------------------------------------------------------------- builders


def _double(value: int) -> int:
    return value * 2


@attrs.frozen(kw_only=True)
class _Sample:
    required: int = attrs.field(validator=attrs.validators.gt(0))
    items: list[int] = attrs.field(factory=list)
    hook: Callable[[int], int] = _double


def test_builder_skips_validators_and_fills_defaults() -> None:
    build = constructor(_Sample, "required")
    sample = build(required=-1)
    assert sample.required == -1
    assert sample.items == []
    assert sample.items is not build(1).items
    assert sample.hook is _double  # a plain default that is callable is not called


def test_builder_names_a_missing_required_field_when_compiled() -> None:
    with pytest.raises(ValueError, match="field 'required' has no default"):
        constructor(_Sample, "items")
    with pytest.raises(ValueError, match="field 'size' has no default"):
        constructor(Page, "page")
