"""The reference's `exceptions` module: every exception this SDK raises."""

from __future__ import annotations

from xms_core._campaign import DuplicateBatchesException, NotCreatedException
from xms_core._errors import (
    ApiException,
    CallbackRejection,
    CallbackVerificationException,
    ClientClosedException,
    ConnectException,
    ConnectionLostException,
    ErrorResponseException,
    NotFoundException,
    TimeoutException,
    TlsException,
    TooManyRequestsException,
    TransportException,
    UnauthorizedException,
    UnexpectedResponseException,
)

__all__ = [
    "ApiException",
    "CallbackRejection",
    "CallbackVerificationException",
    "ClientClosedException",
    "ConnectException",
    "ConnectionLostException",
    "DuplicateBatchesException",
    "ErrorResponseException",
    "NotCreatedException",
    "NotFoundException",
    "TimeoutException",
    "TlsException",
    "TooManyRequestsException",
    "TransportException",
    "UnauthorizedException",
    "UnexpectedResponseException",
]
