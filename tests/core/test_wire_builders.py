"""The decoders' fast paths: compiled builders, the C string check, the inline readers.

They must build exactly what the attrs `__init__` builds (type, equality, hash,
frozenness, pickling) and read answers exactly as the strict readers do.
"""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timezone

import attrs
import pytest

from xms_core import FetchBatch, HttpResponse, Settings, UnexpectedResponseException, _builders
from xms_core import _settings as settings_module
from xms_core._batches import read_batch
from xms_core._builders import constructor
from xms_core._delivery_reports import read_batch_report
from xms_core._wire import WireError, all_str, str_items
from xms_core.api import BatchDeliveryReportStatus, MtBatchTextSmsResult

UTC = timezone.utc


@attrs.frozen(kw_only=True)
class _Sample:
    required: int = attrs.field(validator=attrs.validators.gt(0))
    items: list[int] = attrs.field(factory=list)
    label: str = "plain"


def test_constructor_builds_what_init_builds_skipping_validators() -> None:
    build = constructor(BatchDeliveryReportStatus, "code", "status", "count")
    built = build(0, "Delivered", 2)
    assert type(built) is BatchDeliveryReportStatus
    assert built == BatchDeliveryReportStatus(code=0, status="Delivered", count=2)
    assert hash(built) == hash(BatchDeliveryReportStatus(code=0, status="Delivered", count=2))
    assert built.recipients == ()
    assert pickle.loads(pickle.dumps(built)) == built  # noqa: S301 - our own bytes
    assert attrs.evolve(built, count=3).count == 3
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.count = 5  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del built.count  # type: ignore[misc]

    sample = constructor(_Sample, "required")(-1)  # no validator runs
    assert (sample.required, sample.items, sample.label) == (-1, [], "plain")
    assert sample.items is not constructor(_Sample, "required")(1).items


def test_constructors_of_one_class_share_the_writable_twin() -> None:
    first = constructor(_Sample, "required", "label")(5, "x")
    second = constructor(_Sample, "label", "required")(label="x", required=5)
    assert first == second
    assert type(first) is type(second) is _Sample
    twins = [twin for twin in _builders._WRITABLE.values() if twin.__base__ is _Sample]
    assert len(twins) == 1


def test_constructor_refuses_bad_field_lists() -> None:
    with pytest.raises(ValueError, match="bad field names"):
        constructor(_Sample, "required", "nope")
    with pytest.raises(ValueError, match="bad field names"):
        constructor(_Sample, "required", "required")
    with pytest.raises(ValueError, match="field 'required' has no default"):
        constructor(_Sample, "label")


def test_all_str_checks_every_item() -> None:
    assert all_str([])
    assert all_str(["a", "b"])
    assert not all_str(["a", 1])
    assert not all_str([None])
    assert str_items(["a", "b"], "x") == ("a", "b")
    with pytest.raises(WireError, match="x: expected strings, found null"):
        str_items(["a", "b", None, 1], "x")


def _batch(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "b1",
        "to": ["+46701234567"],
        "body": "hi",
        "type": "mt_text",
        "created_at": "2024-05-01T12:00:00.123Z",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("key", ["send_at", "expire_at", "created_at", "modified_at"])
def test_batch_timestamps_fast_and_slow(key: str) -> None:
    noon = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert getattr(read_batch(_batch(**{key: "2024-05-01T14:00:00+02:00"})), key) == noon
    assert getattr(read_batch(_batch(**{key: "2024-05-01T12:00:00"})), key) == noon
    assert getattr(read_batch(_batch(**{key: "2024-05-01 12:00:00.000z"})), key) == noon
    assert getattr(read_batch(_batch(**{key: None})), key) is None
    with pytest.raises(WireError, match=f"{key}: 'soon' is not an ISO-8601 timestamp"):
        read_batch(_batch(**{key: "soon"}))
    with pytest.raises(WireError, match=f"field '{key}': expected a timestamp string, got array"):
        read_batch(_batch(**{key: []}))


def test_batch_reader_takes_the_rare_forms_through_the_strict_readers() -> None:
    batch = read_batch(_batch(from_ton="5", from_npi="1", send_at="2024-05-01T12:00:00"))
    assert isinstance(batch, MtBatchTextSmsResult)
    assert (batch.from_ton, batch.from_npi) == (5, 1)  # digit strings, protocol 4.8
    assert batch.send_at == datetime(2024, 5, 1, 12, tzinfo=UTC)  # no offset means UTC
    assert batch.created_at == datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert batch.canceled is False
    assert read_batch(_batch(canceled=None)).canceled is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": 5}, "field 'id': expected a string, got int"),
        ({"to": "x"}, "to: expected an array of strings, got string"),
        ({"to": ["a", 2]}, "to: expected strings, found int"),
        ({"from": 1}, "field 'from': expected a string, got int"),
        ({"send_at": "soon"}, "send_at: 'soon' is not an ISO-8601 timestamp"),
        ({"send_at": 3}, "field 'send_at': expected a timestamp string, got int"),
        ({"from_ton": 1.5}, "field 'from_ton': expected an integer, got float"),
        ({"canceled": "no"}, "field 'canceled': expected a boolean, got string"),
        ({"body": None}, "field 'body': expected a string, got null"),
        ({"flash_message": 1}, "field 'flash_message': expected a boolean, got int"),
        ({"id": 5, "from": 1}, "field 'id'"),  # the first bad field is the one named
    ],
)
def test_batch_reader_names_the_first_bad_field(changes: dict[str, object], message: str) -> None:
    with pytest.raises(WireError, match=message):
        read_batch(_batch(**changes))


def test_report_reader_checks_buckets_in_order() -> None:
    report = {
        "type": "delivery_report_sms",
        "batch_id": "b",
        "total_message_count": 2,
        "statuses": [{"code": "0", "status": "Delivered", "count": 2, "recipients": ["1", "2"]}],
    }
    assert read_batch_report(report).statuses[0].code == 0
    report["statuses"] = [{"code": 0, "status": 1, "count": 2}]
    with pytest.raises(WireError, match="field 'status'"):
        read_batch_report(report)
    report["statuses"] = [{"code": True, "status": 1, "count": "x", "recipients": [1]}]
    with pytest.raises(WireError, match="recipients'"):
        read_batch_report(report)
    report["statuses"] = ["bucket"]
    with pytest.raises(WireError, match="status bucket: expected a JSON object"):
        read_batch_report(report)


def test_bodies_that_are_not_plain_utf8_objects_still_decode_as_json_loads_does() -> None:
    settings = Settings(service_plan_id="p", token="t", endpoint="https://h.test/xms")
    command = FetchBatch(batch_id="b1")
    request = command.build_request(settings)
    text = json.dumps(_batch())
    for body in (
        text.encode("utf-16"),
        b"\xef\xbb\xbf" + text.encode(),
        b" " + text.encode(),
    ):
        response = HttpResponse(
            status=200, headers=[("content-type", "application/json")], body=body
        )
        assert command.parse_response(request, response).batch_id == "b1"
    broken = HttpResponse(status=200, body=b'{"id": "\xff"}')
    with pytest.raises(UnexpectedResponseException, match="not valid JSON"):
        command.parse_response(request, broken)


def test_path_segments_are_encoded_and_remembered_within_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings_module, "_SEGMENTS", {})
    monkeypatch.setattr(settings_module, "_SEGMENTS_KEPT", 2)
    settings = Settings(service_plan_id="p", token="t", endpoint="https://h.test/xms")
    assert settings.url("a b", "c/d") == "https://h.test/xms/v1/p/a%20b/c%2Fd"
    assert settings_module._SEGMENTS == {"a b": "a%20b", "c/d": "c%2Fd"}
    assert settings.url("e") == "https://h.test/xms/v1/p/e"
    assert settings_module._SEGMENTS == {"e": "e"}  # full: forgotten, then remembered
    assert settings.url(b"f g") == "https://h.test/xms/v1/p/f%20g"  # type: ignore[arg-type]
    assert settings_module._SEGMENTS == {"e": "e"}
