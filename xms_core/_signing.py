"""Signed callbacks (protocol section 7): verifying and producing the HMAC headers, purely.

A service plan can have its callbacks signed. XMS then adds three headers:

* `X-Sinch-Webhook-Signature`: Base64 of HMAC-SHA256, keyed with the callback
  secret (UTF-8), over `body + "." + nonce + "." + timestamp` (UTF-8);
* `X-Sinch-Webhook-Signature-Nonce`: a value unique to the delivery;
* `X-Sinch-Webhook-Signature-Timestamp`: the sending time in epoch seconds.

`verify_callback` checks all of it and, unlike Sinch's own SDK, the freshness
of the timestamp: a captured callback cannot be replayed after `tolerance`
seconds, and an optional `SeenNonces` store refuses a replay inside that window.
It reads no clock (`now` is an argument) and no state but the store it is given.

Every refusal is a `CallbackVerificationException` with one `CallbackRejection`
reason. The checks run in this order, so a request that is wrong in several
ways reports the first: missing or repeated header, algorithm, timestamp
format, freshness, signature format, signature match, nonce. The nonce is
remembered only once the request is proven authentic and fresh, so forged
requests cannot fill the store.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping
from typing import Protocol

from xms_core._errors import CallbackRejection, CallbackVerificationException

SIGNATURE_HEADER = "x-sinch-webhook-signature"
NONCE_HEADER = "x-sinch-webhook-signature-nonce"
TIMESTAMP_HEADER = "x-sinch-webhook-signature-timestamp"
ALGORITHM_HEADER = "x-sinch-webhook-signature-algorithm"
ALGORITHM = "HmacSHA256"
DEFAULT_TOLERANCE = 300
"""Seconds a signed callback's timestamp may differ from `now` (either way)."""

_REQUIRED = (SIGNATURE_HEADER, NONCE_HEADER, TIMESTAMP_HEADER)
_WATCHED = frozenset((*_REQUIRED, ALGORITHM_HEADER))
_TIMESTAMP = re.compile(r"[0-9]{1,15}")
_DIGEST_SIZE = hashlib.sha256().digest_size
_SHOWN = 40

HeaderSource = Mapping[str, str] | Iterable[tuple[str, str]]


class SeenNonces(Protocol):
    """Where a receiver remembers the nonces of the callbacks it accepted.

    `verify_callback` calls it once per authentic, fresh callback. An in-memory
    dict serves one process; receivers spread over several processes share a
    store with expiry, e.g. Redis `SET key 1 NX EXAT until` or a database table
    with a unique key on the nonce. An exception it raises propagates unchanged
    (a receiver then answers 5xx, and XMS tries again later).
    """

    def remember(self, nonce: str, *, now: float, until: float) -> bool:
        """Remember `nonce` until the epoch second `until`.

        Args:
            nonce: The callback's nonce.
            now: The `now` given to `verify_callback`: entries that expired
                before it can be forgotten.
            until: When the nonce's timestamp leaves the window; after that
                the timestamp check refuses the callback anyway.

        Returns:
            False if the nonce is already remembered (the callback is a replay),
            True if it was not and is remembered now.
        """
        ...


def _shown(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "...")


def _reject(reason: CallbackRejection, message: str) -> CallbackVerificationException:
    return CallbackVerificationException(reason, message)


def check_secret(secret: str | bytes) -> bytes:
    """Return the secret as key bytes; TypeError or ValueError if it is unusable."""
    if isinstance(secret, str):
        secret = secret.encode("utf-8", "surrogatepass")
    elif not isinstance(secret, bytes):
        raise TypeError(f"secret: expected str or bytes, got {type(secret).__name__}")
    if not secret:
        # An empty key would make forgeries trivial: it is a configuration mistake.
        raise ValueError("secret: must not be empty")
    return secret


def _seconds(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def _utf8(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")


def _digest(secret: bytes, body: bytes, nonce: str, timestamp: str) -> bytes:
    signed = b".".join((body, _utf8(nonce), _utf8(timestamp)))
    return hmac.new(secret, signed, hashlib.sha256).digest()


def sign_callback(
    body: bytes | str, secret: str | bytes, *, nonce: str, timestamp: int
) -> tuple[tuple[str, str], ...]:
    """Return the headers XMS adds to a signed callback, e.g. to test a receiver.

    Args:
        body: The callback body exactly as it is sent.
        secret: The service plan's callback secret.
        nonce: A value unique to this delivery.
        timestamp: The sending time in epoch seconds.

    Returns:
        The signature, nonce, timestamp and algorithm headers (lower-case names).
    """
    if type(timestamp) is not int or timestamp < 0:
        raise ValueError(f"timestamp: expected epoch seconds (an int >= 0), got {timestamp!r}")
    if not nonce:
        raise ValueError("nonce: must not be empty")
    stamp = str(timestamp)
    digest = _digest(check_secret(secret), _utf8(body), nonce, stamp)
    return (
        (SIGNATURE_HEADER, base64.b64encode(digest).decode("ascii")),
        (NONCE_HEADER, nonce),
        (TIMESTAMP_HEADER, stamp),
        (ALGORITHM_HEADER, ALGORITHM),
    )


def _signature_headers(headers: HeaderSource) -> dict[str, str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    found: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key not in _WATCHED:
            continue
        if key in found:
            raise _reject(CallbackRejection.DUPLICATE_HEADER, f"header {key!r} is repeated")
        found[key] = value.strip(" \t")
    for key in _REQUIRED:
        if not found.get(key):
            raise _reject(CallbackRejection.MISSING_HEADER, f"header {key!r} is missing or empty")
    return found


def verify_callback(
    body: bytes | str,
    headers: HeaderSource,
    secret: str | bytes,
    *,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE,
    seen_nonces: SeenNonces | None = None,
) -> None:
    """Check that a callback was signed with `secret`, recently, and (optionally) only once.

    Args:
        body: The raw request body, exactly as received (bytes), or its text.
        headers: The request headers, a mapping or pairs; names in any case.
        secret: The callback secret of the service plan (never shown in a message).
        now: The current time in epoch seconds, e.g. `time.time()`.
        tolerance: How many seconds the signed timestamp may be before or after `now`.
        seen_nonces: Where accepted nonces are remembered; a nonce seen before is a replay.

    Raises:
        CallbackVerificationException: The callback is not authentic or not fresh;
            `reason` says why.
        TypeError, ValueError: `secret`, `now` or `tolerance` is not usable (a
            programmer mistake, raised before any header is looked at).
    """
    key = check_secret(secret)
    now = _seconds(now, "now")
    tolerance = _seconds(tolerance, "tolerance")
    if tolerance < 0:
        raise ValueError(f"tolerance: must not be negative, got {tolerance!r}")
    found = _signature_headers(headers)
    algorithm = found.get(ALGORITHM_HEADER)
    if algorithm is not None and algorithm.lower() != ALGORITHM.lower():
        raise _reject(
            CallbackRejection.UNSUPPORTED_ALGORITHM,
            f"signature algorithm {_shown(algorithm)} is not {ALGORITHM}",
        )
    stamp = found[TIMESTAMP_HEADER]
    if not _TIMESTAMP.fullmatch(stamp):
        raise _reject(
            CallbackRejection.MALFORMED_TIMESTAMP,
            f"timestamp {_shown(stamp)} is not a number of epoch seconds",
        )
    skew = int(stamp) - now
    if abs(skew) > tolerance:
        when = f"{-skew:.0f} s old" if skew < 0 else f"{skew:.0f} s in the future"
        raise _reject(
            CallbackRejection.STALE_TIMESTAMP,
            f"timestamp {stamp} is {when}, outside the window of {tolerance:g} s",
        )
    try:
        claimed = base64.b64decode(found[SIGNATURE_HEADER], validate=True)
    except (binascii.Error, ValueError):
        claimed = b""
    if len(claimed) != _DIGEST_SIZE:
        raise _reject(
            CallbackRejection.MALFORMED_SIGNATURE,
            "signature is not the Base64 of an HMAC-SHA256 digest",
        )
    nonce = found[NONCE_HEADER]
    if not hmac.compare_digest(claimed, _digest(key, _utf8(body), nonce, stamp)):
        raise _reject(
            CallbackRejection.BAD_SIGNATURE,
            "signature does not match: the body, nonce or timestamp was altered,"
            " or the secret is not the one the callback was signed with",
        )
    if seen_nonces is not None and not seen_nonces.remember(
        nonce, now=now, until=int(stamp) + tolerance
    ):
        raise _reject(
            CallbackRejection.REPLAYED_NONCE, f"nonce {_shown(nonce)} was seen before: a replay"
        )
