"""The exceptions of xms, one tree for every transport.

::

    ApiException                         base of everything this SDK raises at run time
     +-- ErrorResponseException           400, 403: the server's code (error_code) and text
     +-- UnauthorizedException            401: service_plan_id; never the token
     +-- NotFoundException                404: url
     +-- UnexpectedResponseException      any other status, or an answer we cannot read: http_body
     |    +-- TooManyRequestsException    429 still there after the retries: retry_after
     +-- TransportException               no complete answer; raised by transports; cause chained
          +-- ConnectException            provably not sent: refused, DNS, stale pooled connection
          |    +-- TlsException           handshake or certificate verification failed
          +-- TimeoutException            connect/read/overall deadline; may have been sent
          +-- ConnectionLostException     dropped or malformed mid-answer; may have been sent

    CallbackVerificationException        a callback request is not authentic or not fresh:
                                         reason (a CallbackRejection); not an answer from
                                         XMS, so not an ApiException

Programmer mistakes (a bad argument) are `TypeError`/`ValueError` raised at
construction, before any byte is sent. No exception ever holds the API token:
text that comes from a server passes through `scrub` before it is kept.
Every `ApiException` has an `attempts` attribute: how many times the request
was tried before this exception was raised (1 unless the client retried).
"""

from __future__ import annotations

import enum

from xms_core._error_value import Error

_MAX_BODY_IN_MESSAGE = 200


class ApiException(Exception):
    """Base class for exceptions raised by the XMS SDK.

    Attributes:
        attempts: How many times the request was tried (1 unless the client retried).
    """

    attempts: int = 1

    def __str__(self) -> str:
        text = self._describe()
        if self.attempts > 1:
            text += f" (after {self.attempts} attempts)"
        return text

    def _describe(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


class ErrorResponseException(ApiException):
    """XMS answered with an error object (400 or 403).

    Attributes:
        error_code: The machine readable error code, e.g. `syntax_constraint_violation`.
        text: The human readable error text.
        status: The HTTP status the error came with.
    """

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message, code)
        self.text = message
        self.error_code = code
        self.status = status

    @property
    def error(self) -> Error:
        """The error object, as the reference's `Error` value."""
        return Error(code=self.error_code, text=self.text)

    def _describe(self) -> str:
        return f"{self.error_code}: {self.text}"


class UnauthorizedException(ApiException):
    """XMS did not accept the service plan id and token (401).

    Attributes:
        service_plan_id: The service plan that did not pass authentication.
        token: Always `"<redacted>"`: the token is never kept in an exception.
    """

    token = "<redacted>"  # noqa: S105 - a placeholder, never the secret

    def __init__(self, service_plan_id: str) -> None:
        super().__init__(service_plan_id)
        self.service_plan_id = service_plan_id

    def _describe(self) -> str:
        return f"XMS rejected the credentials of service plan {self.service_plan_id!r}"


class NotFoundException(ApiException):
    """The requested resource does not exist in XMS (404).

    Attributes:
        url: The URL that was not found.
    """

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url

    def _describe(self) -> str:
        return f"not found: {self.url}"


class UnexpectedResponseException(ApiException):
    """XMS answered with a status or a body that this SDK cannot read.

    Attributes:
        http_body: The body of the answer, decoded as UTF-8 with replacement.
        status: The HTTP status, or None where no status applies (a callback body).
    """

    def __init__(self, message: str, http_body: str, status: int | None = None) -> None:
        super().__init__(message, http_body)
        self.message = message
        self.http_body = http_body
        self.status = status

    def _describe(self) -> str:
        body = self.http_body
        if len(body) > _MAX_BODY_IN_MESSAGE:
            body = body[:_MAX_BODY_IN_MESSAGE] + f"... ({len(self.http_body)} characters)"
        return f"{self.message}; body: {body!r}"


class TooManyRequestsException(UnexpectedResponseException):
    """XMS kept refusing the request with 429 Too Many Requests (protocol 6).

    A 429 is a refusal: XMS did not act on the request, so the client retries
    it (POST included) and raises this only once the attempts are used up.

    Attributes:
        retry_after: The seconds the last answer's `Retry-After` asked for (an
            HTTP date already turned into seconds), or None when it gave none
            that could be read.
    """

    def __init__(self, message: str, http_body: str, retry_after: float | None) -> None:
        super().__init__(message, http_body, 429)
        self.retry_after = retry_after


class TransportException(ApiException):
    """No complete answer arrived; raised by transports with the cause chained.

    Attributes:
        permanent: True when trying again cannot help (a certificate that fails
            verification, a proxy asking for credentials with 407): the retry
            policy gives up at once.
    """

    permanent: bool = False


class ConnectException(TransportException):
    """The request provably never reached the server (refused, DNS, stale connection)."""


class TlsException(ConnectException):
    """The TLS handshake or the certificate verification failed."""


class TimeoutException(TransportException):
    """A connect, read or overall deadline passed; the request may have been received."""


class ConnectionLostException(TransportException):
    """The connection dropped or broke the protocol mid-exchange; it may have been received."""


class ClientClosedException(RuntimeError):
    """A request was made on a `Client` or `AsyncClient` after it was closed.

    A programming mistake, not an answer from XMS, so it is a `RuntimeError`
    and no `ApiException`: it is raised before anything is sent, with no retry
    and no backoff.
    """


class CallbackRejection(str, enum.Enum):
    """Why `verify_callback` refused a callback request (protocol section 7)."""

    MISSING_HEADER = "missing_header"
    """A signature, nonce or timestamp header is absent or empty."""
    DUPLICATE_HEADER = "duplicate_header"
    """A signature header appears more than once."""
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    """The algorithm header names something other than HmacSHA256."""
    MALFORMED_TIMESTAMP = "malformed_timestamp"
    """The timestamp is not a plain number of epoch seconds."""
    STALE_TIMESTAMP = "stale_timestamp"
    """The timestamp is further than the tolerance from now, before or after."""
    MALFORMED_SIGNATURE = "malformed_signature"
    """The signature is not Base64 of a 32-byte HMAC-SHA256 digest."""
    BAD_SIGNATURE = "bad_signature"
    """The signature does not match: a byte of the body, the nonce or the timestamp
    changed, or the secret differs (an HMAC cannot tell these apart)."""
    REPLAYED_NONCE = "replayed_nonce"
    """The nonce was accepted before, inside the window: a replay."""


class CallbackVerificationException(Exception):
    """A request to your callback URL is not an authentic, fresh callback from XMS.

    Answer it with 401. It holds no secret: the message says what was wrong.

    Attributes:
        reason: Why it was refused.
        message: A sentence saying what was wrong.
    """

    def __init__(self, reason: CallbackRejection, message: str) -> None:
        super().__init__(reason, message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"callback refused ({self.reason.value}): {self.message}"


MASK = "<redacted>"
"""What replaces the token wherever server text is kept."""

_SCRUBBED_FIELDS = ("message", "http_body", "text", "error_code", "url")


def scrub(error: BaseException, secret: str) -> None:
    """Replace every occurrence of `secret` in `error`, its fields and its causes.

    Servers echo requests back (a 403 quoting the `Authorization` header), and
    an exception is printed, logged and shipped to error trackers: whatever a
    server said is cleaned here before anyone sees it.
    """
    if not secret:
        return
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(secret in str(arg) for arg in current.args):
            current.args = tuple(
                arg.replace(secret, MASK) if isinstance(arg, str) else _masked_text(arg, secret)
                for arg in current.args
            )
        for name in _SCRUBBED_FIELDS:
            value = current.__dict__.get(name)
            if isinstance(value, str) and secret in value:
                setattr(current, name, value.replace(secret, MASK))
        current = current.__cause__ or current.__context__


def _masked_text(arg: object, secret: str) -> object:
    """A non-string argument whose text holds the secret becomes that text, masked."""
    text = str(arg)
    return text.replace(secret, MASK) if secret in text else arg
