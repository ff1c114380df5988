"""The command protocol and the one function that gives a status its meaning.

A command is a frozen value that builds its `HttpRequest` and reads its
`HttpResponse`; it never does I/O. `classify()` is the only place where an
HTTP status becomes an exception (protocol 1.7):

* any 2xx is success;
* 400 and 403 carry an XMS error object: `ErrorResponseException`;
* 401: `UnauthorizedException`; 404: `NotFoundException` with the URL;
* 429: `TooManyRequestsException` (a refusal, protocol 6) with `retry_after`;
* 407 (a proxy on the way wants credentials): `UnexpectedResponseException`
  whose message says so;
* anything else: `UnexpectedResponseException` with the body.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

from xms_core._errors import (
    ErrorResponseException,
    NotFoundException,
    TooManyRequestsException,
    UnauthorizedException,
    UnexpectedResponseException,
)
from xms_core._http import HttpRequest, HttpResponse
from xms_core._settings import Settings
from xms_core._wire import body_text

ResultT_co = TypeVar("ResultT_co", covariant=True)

_HTTP_OK_LOW = 200
_HTTP_OK_HIGH = 299
_BAD_REQUEST = 400
_UNAUTHORIZED = 401
_FORBIDDEN = 403
_NOT_FOUND = 404
_PROXY_AUTHENTICATION_REQUIRED = 407
_TOO_MANY_REQUESTS = 429


class Command(Protocol[ResultT_co]):
    """A request to XMS that knows how to read its own answer.

    Attributes:
        method: The HTTP method the command uses; the retry policy reads it.
    """

    @property
    def method(self) -> str:
        """The HTTP method of the request this command builds."""
        ...

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build the request; pure."""
        ...

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> ResultT_co:
        """Read the answer to `request` into a typed result, or raise an `ApiException`."""
        ...


def classify(request: HttpRequest, response: HttpResponse) -> None:
    """Raise the exception that a non-2xx `response` to `request` stands for."""
    status = response.status
    if _HTTP_OK_LOW <= status <= _HTTP_OK_HIGH:
        return
    if status in (_BAD_REQUEST, _FORBIDDEN):
        code, text = error_fields(response.body)
        if code is not None:
            raise ErrorResponseException(text, code, status)
        raise UnexpectedResponseException(
            f"HTTP status {status} without an XMS error object", body_text(response.body), status
        )
    if status == _UNAUTHORIZED:
        raise UnauthorizedException(_service_plan_of(request.url))
    if status == _NOT_FOUND:
        raise NotFoundException(request.url)
    if status == _TOO_MANY_REQUESTS:
        raise TooManyRequestsException(
            "XMS refused the request: 429 Too Many Requests",
            body_text(response.body),
            retry_after_seconds(response),
        )
    if status == _PROXY_AUTHENTICATION_REQUIRED:
        raise UnexpectedResponseException(
            "407 Proxy Authentication Required: the HTTP proxy wants credentials"
            " (give them in the proxy URL as http://user:password@host:port)",
            body_text(response.body),
            status,
        )
    raise UnexpectedResponseException(
        f"unexpected HTTP status {status}", body_text(response.body), status
    )


def retry_after_seconds(response: HttpResponse) -> float | None:
    """The `Retry-After` of `response` when it is a whole number of seconds, else None."""
    value = response.header("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # not "²": float() would refuse it
        return float(value)
    return None


def error_fields(body: bytes) -> tuple[str | None, str]:
    """Read an XMS error object in any of its known shapes (protocol 6)."""
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        return None, ""
    if type(data) is not dict:
        return None, ""
    code, text = data.get("code"), data.get("text")
    if type(code) is str:  # shape A: {code, text}
        return code, text if type(text) is str else ""
    error = data.get("error")
    if type(error) is dict:  # shape C: {"error": {code, message, status}}
        status, message = error.get("status"), error.get("message")
        name = status if type(status) is str else str(error.get("code", "error"))
        return name, message if type(message) is str else ""
    if type(error) is str:  # shape B: {timestamp, status, error, path}
        return error, str(data.get("message", error))
    return None, ""


_RESOURCES = frozenset({"batches", "groups", "inbounds", "delivery_reports"})


def _service_plan_of(url: str) -> str:
    """Find the plan id in `.../v1/{plan}/{resource}...`, even if the base holds a `v1`."""
    segments = urlsplit(url).path.split("/")
    for index in range(len(segments) - 2, 0, -1):
        if segments[index - 1] == "v1" and segments[index + 1] in _RESOURCES:
            return unquote(segments[index])
    for index, segment in enumerate(segments[:-1]):
        if segment == "v1":
            return unquote(segments[index + 1])
    return ""


def expect_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Classify `response`; return it when it is a success that should carry JSON."""
    classify(request, response)
    return response
