"""Reading what XMS POSTs to your callback URL (protocol section 7), purely.

`parse_callback(body, headers)` turns the body of a callback request into a
typed value, routed on its `type`:

* `delivery_report_sms`, `delivery_report_mms`: `BatchDeliveryReport`
  (batches with `delivery_report` `summary` or `full`);
* `recipient_delivery_report_sms`, `recipient_delivery_report_mms`:
  `BatchRecipientDeliveryReport` (`per_recipient`, `per_recipient_final`);
* `mo_text`, `mo_binary`: `MoTextSms`, `MoBinarySms` (inbound messages).

It validates like a response decoder: unknown fields are ignored, and a body
that is not JSON, has an unknown `type` or a missing or ill-typed field raises
`UnexpectedResponseException` ("malformed callback: ..."), never a `KeyError`
or `ValueError`. Given the plan's callback `secret` (and `now`), it first runs
`verify_callback`, which raises `CallbackVerificationException`. Answer the
callback with 2xx once parsed, 400 for a malformed body, 401 for a refused
signature; XMS retries 5xx and 429 and drops other 4xx.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from xms_core._delivery_reports import (
    BATCH_REPORT_TYPES,
    RECIPIENT_REPORT_TYPES,
    BatchDeliveryReport,
    BatchRecipientDeliveryReport,
    read_batch_report,
    read_recipient_report,
)
from xms_core._errors import UnexpectedResponseException
from xms_core._inbounds import MO_TYPES, MoBinarySms, MoTextSms, read_mo
from xms_core._signing import DEFAULT_TOLERANCE, HeaderSource, SeenNonces, verify_callback
from xms_core._wire import WireError, body_text, obj, read_value, req_str

Callback = BatchDeliveryReport | BatchRecipientDeliveryReport | MoTextSms | MoBinarySms


def _read_callback(data: Any) -> Callback:  # noqa: ANN401 - decoded JSON
    kind = req_str(obj(data, "callback"), "type")
    if kind in BATCH_REPORT_TYPES:
        return read_batch_report(data)
    if kind in RECIPIENT_REPORT_TYPES:
        return read_recipient_report(data)
    if kind in MO_TYPES:
        return read_mo(data)
    raise WireError(f"unknown callback type {kind!r}")


def parse_callback(
    body: bytes | str,
    headers: HeaderSource = (),
    *,
    secret: str | bytes | None = None,
    now: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    seen_nonces: SeenNonces | None = None,
) -> Callback:
    """Read the body of a request XMS sent to a callback URL, verifying it first if signed.

    Args:
        body: The request body, exactly as received (bytes), or its text.
        headers: The request headers (a mapping or pairs, names in any case); when a
            content type is given it must be JSON.
        secret: The service plan's callback secret: when given, the request must carry
            a valid, fresh signature (see `verify_callback`) before its body is read.
        now: The current time in epoch seconds; required with `secret`.
        tolerance: With `secret`: how far the signed timestamp may be from `now`.
        seen_nonces: With `secret`: where accepted nonces are remembered, to refuse
            replays inside the window.

    Returns:
        A batch delivery report, a recipient delivery report or an inbound message.

    Raises:
        CallbackVerificationException: With `secret`: the signature is missing, wrong,
            stale or replayed (answer 401).
        UnexpectedResponseException: The body is not a callback this SDK can read
            (answer 400).
    """
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
    if secret is not None:
        if now is None:
            raise ValueError("now: required with secret (the core reads no clock)")
        verify_callback(raw, pairs, secret, now=now, tolerance=tolerance, seen_nonces=seen_nonces)
    for name, value in pairs:
        if name.lower() == "content-type" and "json" not in value.lower():
            raise UnexpectedResponseException(
                f"callback content-type is {value!r}, not JSON", body_text(raw)
            )
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise UnexpectedResponseException(
            f"callback is not valid JSON: {exc}", body_text(raw)
        ) from exc
    return read_value(data, _read_callback, raw, None, "callback")
