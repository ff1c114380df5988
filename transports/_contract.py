"""What every transport shares of the contract in `transports.base`.

* `check_request`: the header rules. The h11 transports have h11 check each
  head; `MemoryTransport` and `RequestsTransport` call `check_request`, so a
  request that one transport refuses is refused by all of them, before any
  byte is sent, with the header named (never its value, which may be a secret).
* `attempt_deadline`: the default overall deadline of one attempt.
* `MAX_INTERIM_RESPONSES`: how many interim (1xx) answers are skipped.
* `certificate_failure`: whether a TLS failure is a certificate that failed
  verification, which no retry can fix.
"""

from __future__ import annotations

import re
import ssl
from typing import Final, final

from xms_core import HttpRequest
from xms_core.exceptions import ConnectException

# RFC 9110 5.1 (token) and 5.5 (field-value without obs-text: h11 sends ASCII only).
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE: Final = re.compile(r"(?:[\x21-\x7f](?:[ \t]*[\x21-\x7f])*)?")

DEADLINE_FACTOR: Final = 2.0
"""An attempt's default overall deadline, in multiples of the call's timeout."""

MAX_INTERIM_RESPONSES: Final = 8
"""The most interim (1xx) answers a transport skips before the final one."""


def attempt_deadline(timeout: float, deadline: float | None) -> float:
    """The overall deadline of one attempt: `deadline`, or `DEADLINE_FACTOR` x `timeout`."""
    return deadline if deadline is not None else DEADLINE_FACTOR * timeout


def check_request(request: HttpRequest) -> None:
    """Refuse what HTTP/1.1 cannot carry: a bad method, header name or header value.

    Raises:
        ConnectException: Naming the method or header; nothing was sent. It is
            `permanent`: the same request would be refused again.
    """
    problem = None
    if not _TOKEN.fullmatch(request.method):
        problem = f"invalid method {request.method!r}"
    for name, value in request.headers:
        if problem is not None:
            break
        if not _TOKEN.fullmatch(name):
            problem = f"invalid header name {name!r}"
        elif not _VALUE.fullmatch(value):
            problem = (
                f"the value of header {name!r} is not printable ASCII"
                " without leading or trailing whitespace"
            )
    if problem is not None:
        error = ConnectException(f"cannot send the request: {problem}")
        error.permanent = True
        raise error


def certificate_failure(error: BaseException) -> bool:
    """Whether `error` (or a cause of it) is a certificate that failed verification."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


@final
class CheckedHeads:
    """`check_request`, done once per distinct method and header tuple.

    Clients send the same few heads again and again; a bounded set of the
    ones already found valid saves the regular expressions on every request.

    Args:
        size: How many heads to remember before starting over.
    """

    __slots__ = ("_size", "_valid")

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._valid: set[tuple[str, tuple[tuple[str, str], ...]]] = set()

    def check(self, request: HttpRequest) -> None:
        """Raise as `check_request` does, checking each distinct head once."""
        key = (request.method, request.headers)
        valid = self._valid
        try:
            if key in valid:
                return
        except TypeError:  # an unhashable value slipped past the annotations
            check_request(request)
            return
        check_request(request)
        if len(valid) >= self._size:
            valid.clear()
        valid.add(key)
