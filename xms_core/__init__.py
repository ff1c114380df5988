"""xms_core: the pure, I/O-free protocol core of the xms SDK."""

from __future__ import annotations

from xms_core._errors import (
    ApiException,
    ConnectException,
    ConnectionLostException,
    ErrorResponseException,
    NotFoundException,
    TimeoutException,
    TlsException,
    TransportException,
    UnauthorizedException,
    UnexpectedResponseException,
)
from xms_core._http import HttpRequest, HttpResponse
from xms_core._settings import (
    AU_ENDPOINT,
    BR_ENDPOINT,
    CA_ENDPOINT,
    DEFAULT_ENDPOINT,
    DEFAULT_TIMEOUT,
    EU_ENDPOINT,
    US_ENDPOINT,
    USER_AGENT,
    Settings,
)
from xms_core._version import __version__

__all__ = [
    "AU_ENDPOINT",
    "BR_ENDPOINT",
    "CA_ENDPOINT",
    "DEFAULT_ENDPOINT",
    "DEFAULT_TIMEOUT",
    "EU_ENDPOINT",
    "USER_AGENT",
    "US_ENDPOINT",
    "ApiException",
    "ConnectException",
    "ConnectionLostException",
    "ErrorResponseException",
    "HttpRequest",
    "HttpResponse",
    "NotFoundException",
    "Settings",
    "TimeoutException",
    "TlsException",
    "TransportException",
    "UnauthorizedException",
    "UnexpectedResponseException",
    "__version__",
]
