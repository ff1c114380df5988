"""The reference's `deserialize` module: typed values from the bodies XMS sends.

Each function takes the body of an answer (bytes or str), or a whole
`HttpResponse`, and returns exactly what the client method for that answer
returns, with the same errors: it is the command's own codec (the status
classifier, then the same reader), not a second one. A typical use is a
webhook handler: `deserialize.mo_sms(request_body)`.

Given bytes or str, the body is read as the JSON of a successful answer. Given
an `HttpResponse`, its status counts as it does for a client: 400 and 403
raise `ErrorResponseException`, 401 `UnauthorizedException`, 404
`NotFoundException` (with no URL, as there was no request), other statuses
`UnexpectedResponseException`. A body that cannot be read raises
`UnexpectedResponseException`, never a bare `KeyError` or `ValueError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from xms_core._batch_commands import FetchBatches
from xms_core._batches import (
    MtBatchDryRunResult,
    MtBatchResult,
    read_batch,
    read_dry_run,
    read_tags,
)
from xms_core._command import error_fields, expect_json
from xms_core._delivery_reports import (
    BatchDeliveryReport,
    BatchRecipientDeliveryReport,
    read_batch_report,
    read_recipient_report,
)
from xms_core._error_value import Error
from xms_core._errors import UnexpectedResponseException
from xms_core._groups import FetchGroups, GroupResult, read_group, read_members
from xms_core._http import HttpRequest, HttpResponse
from xms_core._inbounds import FetchInbounds, MoMessage, read_mo
from xms_core._paging import Page
from xms_core._sets import TupleSet
from xms_core._wire import body_text, decode

__all__ = [
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
]

_T = TypeVar("_T")
# What every function takes: the body of an answer, or the whole answer.
_Answer = bytes | str | HttpResponse

# Stands for the request an answer is read against: only a 401 or 404 reads it.
_NO_REQUEST = HttpRequest(method="GET", url="")
_JSON = (("content-type", "application/json"),)


def _response(response: _Answer) -> HttpResponse:
    if isinstance(response, HttpResponse):
        return response
    if isinstance(response, str):
        return HttpResponse(status=200, headers=_JSON, body=response.encode("utf-8"))
    if isinstance(response, bytes):
        return HttpResponse(status=200, headers=_JSON, body=response)
    raise TypeError(f"response: expected bytes, str or HttpResponse, got {type(response).__name__}")


def _read(response: _Answer, read: Callable[[Any], _T]) -> _T:
    """Classify and decode, as every command's `parse_response` does."""
    return decode(expect_json(_NO_REQUEST, _response(response)), read)


def batch_result(response: _Answer) -> MtBatchResult:
    """Read a batch (`MtBatchTextSmsResult` or `MtBatchBinarySmsResult`; protocol 4.1-4.3)."""
    return _read(response, read_batch)


def batches_page(response: _Answer) -> Page[MtBatchResult]:
    """Read a page of batches (protocol 3.3, 4.13)."""
    return FetchBatches().parse_response(_NO_REQUEST, _response(response))


def batch_dry_run_result(response: _Answer) -> MtBatchDryRunResult:
    """Read a dry-run result (protocol 4.6)."""
    return _read(response, read_dry_run)


def batch_delivery_report(response: _Answer) -> BatchDeliveryReport:
    """Read a batch delivery report, fetched or posted to a callback (protocol 4.7)."""
    return _read(response, read_batch_report)


def batch_recipient_delivery_report(response: _Answer) -> BatchRecipientDeliveryReport:
    """Read a recipient delivery report, fetched or posted to a callback (protocol 4.8)."""
    return _read(response, read_recipient_report)


def error(response: _Answer) -> Error:
    """Read an XMS error object (protocol 6), whatever the status it came with.

    Raises:
        UnexpectedResponseException: The body is not an error object.
    """
    answer = _response(response)
    code, text = error_fields(answer.body)
    if code is None:
        raise UnexpectedResponseException(
            "answer is not an XMS error object", body_text(answer.body), answer.status
        )
    return Error(code, text)


def group_result(response: _Answer) -> GroupResult:
    """Read a group (protocol 4.11)."""
    return _read(response, read_group)


def groups_page(response: _Answer) -> Page[GroupResult]:
    """Read a page of groups (protocol 3.14, 4.13)."""
    return FetchGroups().parse_response(_NO_REQUEST, _response(response))


def group_members(response: _Answer) -> TupleSet:
    """Read a group's members, the bare array of MSISDNs (protocol 3.19)."""
    return _read(response, read_members)


def tags(response: _Answer) -> TupleSet:
    """Read the tags of a batch or group (protocol 3.8)."""
    return _read(response, read_tags)


def inbounds_page(response: _Answer) -> Page[MoMessage]:
    """Read a page of inbound messages (protocol 3.20, 4.13)."""
    return FetchInbounds().parse_response(_NO_REQUEST, _response(response))


def mo_sms(response: _Answer) -> MoMessage:
    """Read an inbound message (`MoTextSms` or `MoBinarySms`), fetched or posted (4.12)."""
    return _read(response, read_mo)
