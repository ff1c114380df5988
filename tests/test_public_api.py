"""The public surface: sorted `__all__`s, final classes, and the reference SDK's names."""

from __future__ import annotations

import enum
import inspect
import re
import sys
import types
from typing import Any

import pytest

import xms_core
import xms_core.api
import xms_core.deserialize
import xms_core.exceptions
import xms_core.serialize

FACADES = [xms_core, xms_core.api, xms_core.exceptions]

# The reference SDK (clx-sdk-xms 1.0): the classes of `clx.xms.api` with the attributes
# its documentation lists, and the exceptions of `clx.xms.exceptions`.
REFERENCE_API: dict[str, list[str]] = {
    "BatchDeliveryReport": ["batch_id", "total_message_count", "statuses"],
    "BatchDeliveryReportStatus": ["code", "status", "count", "recipients"],
    "BatchRecipientDeliveryReport": [
        "batch_id",
        "recipient",
        "code",
        "status",
        "status_message",
        "operator",
        "status_at",
        "operator_status_at",
    ],
    "DeliveryReportType": ["FULL", "SUMMARY"],
    "DeliveryStatus": [
        "ABORTED",
        "DELIVERED",
        "DISPATCHED",
        "EXPIRED",
        "FAILED",
        "QUEUED",
        "REJECTED",
        "UNKNOWN",
    ],
    "DryRunPerRecipient": [
        "recipient",
        "number_of_parts",
        "body",
        "encoding",
        "ENCODING_TEXT",
        "ENCODING_UNICODE",
    ],
    "Error": ["code", "text"],
    "GroupAutoUpdate": ["recipient", "add_word_pair", "remove_word_pair"],
    "GroupCreate": ["name", "members", "child_groups", "auto_update", "tags"],
    "GroupResult": [
        "group_id",
        "name",
        "size",
        "child_groups",
        "auto_update",
        "created_at",
        "modified_at",
    ],
    "GroupUpdate": [
        "name",
        "member_insertions",
        "member_removals",
        "child_group_insertions",
        "child_group_removals",
        "add_from_group",
        "remove_from_group",
        "auto_update",
    ],
    "MoBinarySms": ["body", "udh"],
    "MoSms": ["message_id", "recipient", "sender", "operator", "sent_at", "received_at"],
    "MoTextSms": ["body", "keyword"],
    "MtBatchBinarySmsCreate": ["body", "udh"],
    "MtBatchBinarySmsResult": ["body", "udh"],
    "MtBatchBinarySmsUpdate": ["body", "udh"],
    "MtBatchDryRunResult": ["number_of_recipients", "number_of_message", "per_recipient"],
    "MtBatchSms": [
        "recipients",
        "sender",
        "delivery_report",
        "send_at",
        "expire_at",
        "callback_url",
    ],
    "MtBatchSmsCreate": ["tags"],
    "MtBatchSmsResult": ["batch_id", "created_at", "modified_at", "canceled"],
    "MtBatchSmsUpdate": [
        "recipient_insertions",
        "recipient_removals",
        "sender",
        "delivery_report",
        "send_at",
        "expire_at",
        "callback_url",
    ],
    "MtBatchTextSmsCreate": ["body", "parameters"],
    "MtBatchTextSmsResult": ["body", "parameters"],
    "MtBatchTextSmsUpdate": ["body", "parameters"],
    "Page": ["page", "size", "total_size", "content"],
    "ReportType": ["FULL", "NONE", "PER_RECIPIENT", "SUMMARY"],
    "Reset": [],
    "RESET": [],
}
# `Pages` and `PagesIterator` fetch pages, which takes I/O: they belong to the clients
# (`transports.Pages` is iterable itself), not to the pure core.
REFERENCE_PAGERS = {"Pages", "PagesIterator"}
REFERENCE_EXCEPTIONS = [
    "ApiException",
    "ErrorResponseException",
    "NotFoundException",
    "UnauthorizedException",
    "UnexpectedResponseException",
]
REFERENCE_BASES = {
    "MtBatchSms",
    "MtBatchSmsCreate",
    "MtBatchSmsResult",
    "MtBatchSmsUpdate",
    "MoSms",
}
REFERENCE_SUBCLASSES = [
    ("MtBatchSmsCreate", "MtBatchSms"),
    ("MtBatchSmsResult", "MtBatchSms"),
    ("MtBatchTextSmsCreate", "MtBatchSmsCreate"),
    ("MtBatchBinarySmsCreate", "MtBatchSmsCreate"),
    ("MtBatchTextSmsResult", "MtBatchSmsResult"),
    ("MtBatchBinarySmsResult", "MtBatchSmsResult"),
    ("MtBatchTextSmsUpdate", "MtBatchSmsUpdate"),
    ("MtBatchBinarySmsUpdate", "MtBatchSmsUpdate"),
    ("MoTextSms", "MoSms"),
    ("MoBinarySms", "MoSms"),
]


def _isort_style_key(name: str) -> tuple[int, list[Any]]:
    """Ruff's RUF022 order: SCREAMING_SNAKE_CASE, then CamelCase, then the rest, naturally."""
    if len(name) > 1 and name.isupper():
        category = 0
    elif name[:1].isupper():
        category = 1
    else:
        category = 2
    natural = [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
    return category, natural


def _public_names(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if (not name.startswith("_") or name == "__version__")
        and name != "annotations"
        and not isinstance(value, types.ModuleType)
    }


@pytest.mark.parametrize("module", FACADES, ids=lambda m: m.__name__)
def test_all_is_sorted_unique_and_complete(module: types.ModuleType) -> None:
    names = list(module.__all__)
    assert names == sorted(set(names), key=_isort_style_key)
    assert set(names) == _public_names(module)
    for name in names:
        assert getattr(module, name) is not None


def _public_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for module in FACADES:
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type):
                found[name] = value
    return found


def _exempt_from_final(name: str, cls: type) -> bool:
    return (
        issubclass(cls, BaseException)
        or getattr(cls, "_is_protocol", False)
        or issubclass(cls, enum.Enum)
        or name in REFERENCE_BASES
    )


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.final sets __final__ from 3.11")
def test_every_public_concrete_class_is_final() -> None:
    classes = _public_classes()
    checked = [name for name, cls in classes.items() if not _exempt_from_final(name, cls)]
    assert len(checked) > 50
    not_final = [name for name in checked if getattr(classes[name], "__final__", False) is not True]
    assert not_final == []
    for name in REFERENCE_BASES:
        assert getattr(classes[name], "__final__", False) is False, name


def test_enums_are_final_by_having_members() -> None:
    for name, cls in _public_classes().items():
        if issubclass(cls, enum.Enum):
            assert len(cls) > 0, name


def test_every_reference_api_name_exists() -> None:
    missing = [name for name in REFERENCE_API if not hasattr(xms_core.api, name)]
    assert missing == []
    assert set(REFERENCE_API) <= set(xms_core.api.__all__)


@pytest.mark.parametrize("name", sorted(REFERENCE_API))
def test_reference_attributes_exist(name: str) -> None:
    value = getattr(xms_core.api, name)
    for attribute in REFERENCE_API[name]:
        assert hasattr(value, attribute), f"{name}.{attribute}"


@pytest.mark.parametrize(("child", "parent"), REFERENCE_SUBCLASSES)
def test_reference_class_hierarchy(child: str, parent: str) -> None:
    assert issubclass(getattr(xms_core.api, child), getattr(xms_core.api, parent))


def test_reference_pager_is_in_the_api_module_and_with_the_clients() -> None:
    import transports

    assert set(xms_core.api.__all__) >= REFERENCE_PAGERS
    assert transports.Pages is xms_core.api.Pages
    assert callable(xms_core.api.PagesIterator.next)


def test_every_reference_exception_exists() -> None:
    for name in REFERENCE_EXCEPTIONS:
        cls = getattr(xms_core.exceptions, name)
        assert issubclass(cls, xms_core.exceptions.ApiException)
        assert getattr(xms_core, name) is cls
    assert issubclass(xms_core.exceptions.ApiException, Exception)


def test_exception_tree() -> None:
    e = xms_core.exceptions
    assert issubclass(e.TransportException, e.ApiException)
    assert issubclass(e.ConnectException, e.TransportException)
    assert issubclass(e.TlsException, e.ConnectException)
    assert issubclass(e.TimeoutException, e.TransportException)
    assert issubclass(e.ConnectionLostException, e.TransportException)
    assert issubclass(e.TooManyRequestsException, e.UnexpectedResponseException)
    assert e.TooManyRequestsException("slow down", "", 2.0).retry_after == 2.0
    for name in ("ErrorResponseException", "NotFoundException", "UnexpectedResponseException"):
        assert not issubclass(getattr(e, name), e.TransportException)


def test_facades_share_objects() -> None:
    assert xms_core.Page is xms_core.api.Page
    for name in xms_core.exceptions.__all__:
        assert getattr(xms_core, name) is getattr(xms_core.exceptions, name)


def test_version_is_a_string() -> None:
    assert isinstance(xms_core.__version__, str)
    assert xms_core.USER_AGENT.endswith(f"/{xms_core.__version__}")


# The reference's `clx.xms.serialize` and `clx.xms.deserialize` functions.
REFERENCE_FUNCTIONS = {
    xms_core.serialize: [
        "binary_batch",
        "binary_batch_update",
        "group_create",
        "group_update",
        "tags",
        "tags_update",
        "text_batch",
        "text_batch_update",
    ],
    xms_core.deserialize: [
        "batch_delivery_report",
        "batch_dry_run_result",
        "batch_recipient_delivery_report",
        "batch_result",
        "batches_page",
        "error",
        "group_members",
        "group_result",
        "groups_page",
        "inbounds_page",
        "mo_sms",
        "tags",
    ],
}


@pytest.mark.parametrize("module", list(REFERENCE_FUNCTIONS), ids=lambda m: m.__name__)
def test_codec_facades_have_the_reference_functions_and_no_more(module: types.ModuleType) -> None:
    defined = {
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and value.__module__ == module.__name__
        and not name.startswith("_")
    }
    assert module.__all__ == REFERENCE_FUNCTIONS[module]
    assert set(module.__all__) == defined


def test_positional_constructors_follow_the_reference() -> None:
    rule = xms_core.api.GroupAutoUpdate("12345", "join", None, "stop")
    assert (rule.recipient, rule.add_word_pair, rule.remove_word_pair) == (
        "12345",
        ("join", None),
        ("stop", None),
    )
    assert xms_core.api.GroupAutoUpdate("12345", add_first_word="add").add_first_word == "add"
    error = xms_core.api.Error("syntax_constraint_violation", "missing to")
    assert (error.code, error.text) == ("syntax_constraint_violation", "missing to")
    with pytest.raises(TypeError):
        xms_core.api.MtBatchTextSmsCreate(["+46701234567"], "hi")  # type: ignore[misc]
