"""The original SDK, `clx-sdk-xms` 1.0.0, as a contender: only where it is installed.

`./benchmarks/run` installs it into `benchmarks/.venv-bench`; it is never a
dependency of xms. Without it every original contender is simply left out.
"""

from __future__ import annotations

from typing import Any

from benchmarks import fixtures

try:
    import clx.xms as _clx  # type: ignore[import-not-found, unused-ignore]
    from clx.xms import deserialize as _deserialize  # type: ignore[import-not-found, unused-ignore]
    from clx.xms import serialize as _serialize  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # the benchmarks still run, without the original's column
    _clx = None
    _deserialize = None
    _serialize = None

AVAILABLE = _clx is not None


def version() -> str | None:
    """The installed original's version, or None."""
    if _clx is None:
        return None
    from clx.xms import __about__  # type: ignore[import-not-found, unused-ignore]

    return str(__about__.__version__)


def client(endpoint: str) -> Any:
    """An original `clx.xms.Client` on `endpoint` (its own `requests.Session`)."""
    assert _clx is not None
    return _clx.Client(fixtures.PLAN, fixtures.TOKEN, endpoint=endpoint)


def close(client: Any) -> None:
    """Close an original client's session (it has no close method of its own)."""
    client._session.close()  # noqa: SLF001 - the only way to release its connections


def text_batch(recipients: tuple[str, ...] = fixtures.RECIPIENTS) -> Any:
    """The benchmark's batch, as the original takes it."""
    assert _clx is not None
    batch = _clx.api.MtBatchTextSmsCreate()
    batch.sender = fixtures.SENDER
    batch.recipients = set(recipients)
    batch.body = fixtures.BODY
    return batch


def response(body: bytes, status: int = 200) -> Any:
    """A `requests.Response` holding `body`, built as requests' HTTP adapter builds one."""
    import requests
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers

    reply = requests.Response()
    reply.status_code = status
    reply.headers = CaseInsensitiveDict(
        {"content-type": "application/json", "content-length": str(len(body))}
    )
    reply.encoding = get_encoding_from_headers(reply.headers)
    # What Response.content caches once the body is read.
    reply._content = body  # noqa: SLF001 - see above
    setattr(reply, "_content_consumed", True)  # noqa: B010 - not in requests' stubs
    return reply


def decode_batch(reply: Any) -> Any:
    """The original's decoder of a batch answer."""
    assert _deserialize is not None
    return _deserialize.batch_result(reply)


def decode_page(reply: Any) -> Any:
    """The original's decoder of a page of batches."""
    assert _deserialize is not None
    return _deserialize.batches_page(reply)


def decode_delivery_report(reply: Any) -> Any:
    """The original's decoder of a batch delivery report."""
    assert _deserialize is not None
    return _deserialize.batch_delivery_report(reply)


def encode_create(batch: Any) -> bytes:
    """What the original does to a batch before sending: its serializer, then requests' `json=`."""
    import json

    assert _serialize is not None
    fields = _serialize.text_batch(batch)
    return json.dumps(fields, allow_nan=False).encode("utf-8")
