"""Signed callbacks: `verify_callback` and `parse_callback(secret=...)` (protocol section 7)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xms_core import (
    ApiException,
    CallbackRejection,
    CallbackVerificationException,
    UnexpectedResponseException,
    parse_callback,
    sign_callback,
    verify_callback,
)
from xms_core.api import MoTextSms

SECRET = "sëcret-42"
NONCE = "01FJA8B4A7BM43YGWSG9GBV067"
SENT = 1779116641  # 2026-05-18T15:04:01Z
BODY = (
    '{"type":"mo_text","id":"b88b4cee","from":"14165550100","to":"12362320246",'
    '"body":"Grüße ☺","received_at":"2026-05-18T15:04:01.135Z"}'
).encode()
# Computed apart from Python, from the recipe of the protocol sheet:
#   printf '%s' "$BODY.$NONCE.$SENT" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
KNOWN_SIGNATURE = "hszuwlmkVV4Kd0d8avN44qQ2BN2LqCdFVLAUjOnsq84="


def recipe(body: bytes, secret: str, nonce: str, timestamp: str) -> str:
    """The documented recipe, written out here apart from the SDK's own code."""
    signed = body + b"." + nonce.encode() + b"." + timestamp.encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_headers(
    body: bytes = BODY, *, secret: str = SECRET, nonce: str = NONCE, timestamp: int = SENT
) -> dict[str, str]:
    return {
        "X-Sinch-Webhook-Signature": recipe(body, secret, nonce, str(timestamp)),
        "X-Sinch-Webhook-Signature-Nonce": nonce,
        "X-Sinch-Webhook-Signature-Timestamp": str(timestamp),
    }


class MemoryNonces:
    def __init__(self) -> None:
        self.until: dict[str, float] = {}
        self.calls = 0

    def remember(self, nonce: str, *, now: float, until: float) -> bool:
        self.calls += 1
        self.until = {n: t for n, t in self.until.items() if t >= now}
        if nonce in self.until:
            return False
        self.until[nonce] = until
        return True


def refused(
    body: bytes | str,
    headers: dict[str, str] | Iterable[tuple[str, str]],
    *,
    secret: str = SECRET,
    now: float = SENT,
) -> CallbackVerificationException:
    with pytest.raises(CallbackVerificationException) as info:
        verify_callback(body, headers, secret, now=now)
    assert secret not in str(info.value)
    assert secret not in repr(info.value)
    assert all(secret not in str(arg) for arg in info.value.args)
    return info.value


# --------------------------------------------------------------------------------------
# Known answers


def test_the_recipe_gives_the_known_answer() -> None:
    assert recipe(BODY, SECRET, NONCE, str(SENT)) == KNOWN_SIGNATURE


def test_a_callback_signed_by_the_recipe_is_accepted() -> None:
    headers = signed_headers()
    assert headers["X-Sinch-Webhook-Signature"] == KNOWN_SIGNATURE
    verify_callback(BODY, headers, SECRET, now=SENT)
    verify_callback(BODY.decode(), headers, SECRET.encode(), now=SENT + 0.5)


def test_sign_callback_follows_the_recipe() -> None:
    headers = dict(sign_callback(BODY, SECRET, nonce=NONCE, timestamp=SENT))
    assert headers == {
        "x-sinch-webhook-signature": KNOWN_SIGNATURE,
        "x-sinch-webhook-signature-nonce": NONCE,
        "x-sinch-webhook-signature-timestamp": str(SENT),
        "x-sinch-webhook-signature-algorithm": "HmacSHA256",
    }
    verify_callback(BODY, headers, SECRET, now=SENT)


@pytest.mark.parametrize(
    "spell",
    [str.lower, str.upper, str.title, lambda name: name.swapcase()],
    ids=["lower", "upper", "title", "swapcase"],
)
def test_header_names_are_case_insensitive(spell: object) -> None:
    pairs = [(spell(name), value) for name, value in signed_headers().items()]  # type: ignore[operator]
    verify_callback(BODY, pairs, SECRET, now=SENT)
    verify_callback(BODY, dict(pairs), SECRET, now=SENT)


def test_unrelated_headers_are_ignored_and_whitespace_is_trimmed() -> None:
    headers = {name: f" {value}\t" for name, value in signed_headers().items()}
    pairs = [("Content-Type", "application/json"), ("X-Other", ""), *headers.items()]
    verify_callback(BODY, pairs, SECRET, now=SENT)


def test_the_window_is_inclusive_on_both_sides() -> None:
    verify_callback(BODY, signed_headers(), SECRET, now=SENT + 300)
    verify_callback(BODY, signed_headers(), SECRET, now=SENT - 300)
    verify_callback(BODY, signed_headers(), SECRET, now=SENT + 10, tolerance=10)
    verify_callback(BODY, signed_headers(), SECRET, now=SENT, tolerance=0)


# --------------------------------------------------------------------------------------
# Each refusal and its reason


@pytest.mark.parametrize(
    "missing",
    [
        "X-Sinch-Webhook-Signature",
        "X-Sinch-Webhook-Signature-Nonce",
        "X-Sinch-Webhook-Signature-Timestamp",
    ],
)
def test_a_missing_header_is_refused(missing: str) -> None:
    headers = signed_headers()
    del headers[missing]
    error = refused(BODY, headers)
    assert error.reason is CallbackRejection.MISSING_HEADER
    assert missing.lower() in str(error)
    headers[missing] = ""
    assert refused(BODY, headers).reason is CallbackRejection.MISSING_HEADER


def test_no_headers_at_all_is_refused() -> None:
    assert refused(BODY, {}).reason is CallbackRejection.MISSING_HEADER


def test_a_repeated_header_is_refused() -> None:
    pairs = [*signed_headers().items(), ("x-sinch-webhook-signature-nonce", "other")]
    error = refused(BODY, pairs)
    assert error.reason is CallbackRejection.DUPLICATE_HEADER
    assert "x-sinch-webhook-signature-nonce" in str(error)


def test_another_algorithm_is_refused_and_hmacsha256_in_any_case_accepted() -> None:
    headers = signed_headers()
    headers["X-Sinch-Webhook-Signature-Algorithm"] = "hmacsha256"
    verify_callback(BODY, headers, SECRET, now=SENT)
    headers["X-Sinch-Webhook-Signature-Algorithm"] = "HmacSHA1"
    assert refused(BODY, headers).reason is CallbackRejection.UNSUPPORTED_ALGORITHM


@pytest.mark.parametrize(
    "stamp",
    [
        "yesterday",
        "1779116641.5",
        "-1779116641",
        "1.779e9",
        "0x6A0B",
        "\uff11\uff17\uff17\uff19",  # fullwidth digits, which int() would take
        "1" * 16,
    ],
)
def test_a_malformed_timestamp_is_refused(stamp: str) -> None:
    headers = signed_headers()
    headers["X-Sinch-Webhook-Signature-Timestamp"] = stamp
    headers["X-Sinch-Webhook-Signature"] = recipe(BODY, SECRET, NONCE, stamp)
    error = refused(BODY, headers)
    assert error.reason is CallbackRejection.MALFORMED_TIMESTAMP


@pytest.mark.parametrize(("now", "words"), [(SENT + 301, "301 s old"), (SENT - 301, "future")])
def test_a_timestamp_outside_the_window_is_refused(now: int, words: str) -> None:
    error = refused(BODY, signed_headers(), now=now)
    assert error.reason is CallbackRejection.STALE_TIMESTAMP
    assert words in str(error)


def test_an_old_but_validly_signed_callback_is_refused() -> None:
    an_hour_ago = signed_headers(timestamp=SENT - 3600)
    assert refused(BODY, an_hour_ago).reason is CallbackRejection.STALE_TIMESTAMP
    verify_callback(BODY, an_hour_ago, SECRET, now=SENT, tolerance=3600)


@pytest.mark.parametrize(
    "signature",
    [
        "not base64!",
        "QthX/fmsvEb/bzYakESU2KoVVhajbbVezOL1FxsIibY",
        "c2hvcnQ=",
        "é",
        KNOWN_SIGNATURE * 2,
    ],
)
def test_a_malformed_signature_is_refused(signature: str) -> None:
    headers = signed_headers()
    headers["X-Sinch-Webhook-Signature"] = signature
    assert refused(BODY, headers).reason is CallbackRejection.MALFORMED_SIGNATURE


def test_a_wrong_secret_is_refused() -> None:
    error = refused(BODY, signed_headers(secret="not-the-secret"))
    assert error.reason is CallbackRejection.BAD_SIGNATURE


@pytest.mark.parametrize("position", [0, 17, len(BODY) // 2, len(BODY) - 1])
def test_a_body_altered_by_one_byte_is_refused(position: int) -> None:
    altered = bytearray(BODY)
    altered[position] ^= 0x01
    error = refused(bytes(altered), signed_headers())
    assert error.reason is CallbackRejection.BAD_SIGNATURE
    assert "altered" in str(error)


def test_a_changed_nonce_or_timestamp_is_refused() -> None:
    headers = signed_headers()
    headers["X-Sinch-Webhook-Signature-Nonce"] = NONCE[:-1] + "8"
    assert refused(BODY, headers).reason is CallbackRejection.BAD_SIGNATURE
    headers = signed_headers()
    headers["X-Sinch-Webhook-Signature-Timestamp"] = str(SENT + 1)
    assert refused(BODY, headers).reason is CallbackRejection.BAD_SIGNATURE


def test_a_reused_nonce_is_refused_inside_the_window() -> None:
    nonces = MemoryNonces()
    verify_callback(BODY, signed_headers(), SECRET, now=SENT, seen_nonces=nonces)
    assert nonces.until == {NONCE: SENT + 300}
    with pytest.raises(CallbackVerificationException) as info:
        verify_callback(BODY, signed_headers(), SECRET, now=SENT + 5, seen_nonces=nonces)
    assert info.value.reason is CallbackRejection.REPLAYED_NONCE
    assert NONCE in str(info.value)
    other = signed_headers(nonce="another-nonce")
    verify_callback(BODY, other, SECRET, now=SENT + 5, seen_nonces=nonces)


def test_the_nonce_store_sees_only_authentic_fresh_callbacks() -> None:
    nonces = MemoryNonces()
    for headers, now in [
        (signed_headers(secret="forged"), SENT),
        (signed_headers(), SENT + 1000),
        ({}, SENT),
    ]:
        with pytest.raises(CallbackVerificationException):
            verify_callback(BODY, headers, SECRET, now=now, seen_nonces=nonces)
    assert nonces.calls == 0


def test_a_failing_nonce_store_propagates() -> None:
    class Down:
        def remember(self, nonce: str, *, now: float, until: float) -> bool:
            raise ConnectionError("store unreachable")

    with pytest.raises(ConnectionError):
        verify_callback(BODY, signed_headers(), SECRET, now=SENT, seen_nonces=Down())


def test_the_exception_is_its_own_family() -> None:
    error = refused(BODY, {})
    assert not isinstance(error, ApiException)
    assert isinstance(error, Exception)
    assert str(error).startswith("callback refused (missing_header): ")
    assert error.reason == "missing_header"


@pytest.mark.parametrize(
    ("kwargs", "exception", "field"),
    [
        ({"secret": ""}, ValueError, "secret"),
        ({"secret": b""}, ValueError, "secret"),
        ({"secret": 42}, TypeError, "secret"),
        ({"now": float("nan")}, ValueError, "now"),
        ({"now": "1779116641"}, TypeError, "now"),
        ({"now": True}, TypeError, "now"),
        ({"tolerance": -1}, ValueError, "tolerance"),
        ({"tolerance": float("inf")}, ValueError, "tolerance"),
    ],
)
def test_programmer_mistakes_name_the_argument(
    kwargs: dict[str, object], exception: type[Exception], field: str
) -> None:
    arguments: dict[str, object] = {"secret": SECRET, "now": SENT} | kwargs
    with pytest.raises(exception, match=field):
        verify_callback(BODY, signed_headers(), **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timestamp": -1}, "timestamp"),
        ({"timestamp": True}, "timestamp"),
        ({"nonce": ""}, "nonce"),
    ],
)
def test_sign_callback_refuses_bad_arguments(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"nonce": NONCE, "timestamp": SENT} | kwargs
    with pytest.raises(ValueError, match=field):
        sign_callback(BODY, SECRET, **arguments)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# parse_callback(secret=...)


def test_parse_callback_verifies_then_reads() -> None:
    event = parse_callback(BODY, signed_headers(), secret=SECRET, now=SENT)
    assert isinstance(event, MoTextSms)
    assert event.body == "Grüße ☺"
    with pytest.raises(CallbackVerificationException) as info:
        parse_callback(BODY, signed_headers(), secret="wrong", now=SENT)
    assert info.value.reason is CallbackRejection.BAD_SIGNATURE
    nonces = MemoryNonces()
    parse_callback(BODY, signed_headers(), secret=SECRET, now=SENT, seen_nonces=nonces)
    with pytest.raises(CallbackVerificationException) as info:
        parse_callback(BODY, signed_headers(), secret=SECRET, now=SENT, seen_nonces=nonces)
    assert info.value.reason is CallbackRejection.REPLAYED_NONCE
    with pytest.raises(CallbackVerificationException) as info:
        parse_callback(BODY, signed_headers(), secret=SECRET, now=SENT + 61, tolerance=60)
    assert info.value.reason is CallbackRejection.STALE_TIMESTAMP


def test_parse_callback_with_a_secret_needs_now() -> None:
    with pytest.raises(ValueError, match="now"):
        parse_callback(BODY, signed_headers(), secret=SECRET)


def test_without_a_secret_nothing_is_verified() -> None:
    assert isinstance(parse_callback(BODY, {}, now=0), MoTextSms)


def test_a_signed_but_malformed_callback_names_the_callback() -> None:
    body = json.dumps({"type": "mo_text", "id": "x"}).encode()
    with pytest.raises(UnexpectedResponseException) as info:
        parse_callback(body, signed_headers(body), secret=SECRET, now=SENT)
    assert str(info.value).startswith("malformed callback: ")
    assert "answer" not in info.value.message


def test_an_unsigned_body_is_refused_before_it_is_read() -> None:
    with pytest.raises(CallbackVerificationException):
        parse_callback(b"{not json", {}, secret=SECRET, now=SENT)


# --------------------------------------------------------------------------------------
# Properties

NAMES = [
    "x-sinch-webhook-signature",
    "x-sinch-webhook-signature-nonce",
    "x-sinch-webhook-signature-timestamp",
    "x-sinch-webhook-signature-algorithm",
    "content-type",
]


@st.composite
def header_name(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES) | st.text(max_size=20))
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if up else c for c, up in zip(name, flips, strict=True))


@st.composite
def header_value(draw: st.DrawFn) -> str:
    return draw(
        st.text(max_size=60)
        | st.integers(min_value=-(10**20), max_value=10**20).map(str)
        | st.sampled_from([KNOWN_SIGNATURE, NONCE, str(SENT), "HmacSHA256", "", " ", "="])
        | st.binary(min_size=0, max_size=40).map(lambda b: base64.b64encode(b).decode())
    )


SECRETS = ["s3cr3t-\u2603-distinctive", b"\x00raw-bytes-secret\xff", "\u00e9\u00e9-42-\u00e9\u00e9"]


@given(
    body=st.binary(max_size=200) | st.text(max_size=200) | st.just(BODY),
    headers=st.lists(st.tuples(header_name(), header_value()), max_size=8),
    secret=st.sampled_from(SECRETS),
    now=st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**12), 10**12),
    tolerance=st.floats(min_value=0, max_value=1e12),
)
def test_verify_callback_raises_only_its_own_exception(
    body: bytes | str,
    headers: list[tuple[str, str]],
    secret: str | bytes,
    now: float,
    tolerance: float,
) -> None:
    outcomes = []
    for source in (headers, dict(headers)):
        try:
            verify_callback(
                body, source, secret, now=now, tolerance=tolerance, seen_nonces=MemoryNonces()
            )
            outcomes.append(None)
        except CallbackVerificationException as error:
            outcomes.append(error)
    for error in outcomes:
        if error is not None:
            assert isinstance(error.reason, CallbackRejection)
            shown = secret if isinstance(secret, str) else secret.decode("latin-1")
            assert shown not in str(error)


@given(
    body=st.binary(max_size=300),
    secret=st.text(min_size=1, max_size=30),
    nonce=st.text(min_size=1, max_size=40).filter(lambda n: n.strip(" \t") == n),
    timestamp=st.integers(min_value=0, max_value=10**12),
    skew=st.integers(min_value=-300, max_value=300),
)
def test_whatever_is_signed_by_the_recipe_verifies(
    body: bytes, secret: str, nonce: str, timestamp: int, skew: int
) -> None:
    headers = signed_headers(body, secret=secret, nonce=nonce, timestamp=timestamp)
    verify_callback(body, headers, secret, now=timestamp + skew)
    assert (
        dict(sign_callback(body, secret, nonce=nonce, timestamp=timestamp))[
            "x-sinch-webhook-signature"
        ]
        == headers["X-Sinch-Webhook-Signature"]
    )
