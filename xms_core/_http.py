"""The two values that cross the seam between the pure core and a transport.

A transport receives an `HttpRequest`, sends it exactly as given and hands back
an `HttpResponse` holding whatever came back, whatever its status. Only the core
gives a status or a body meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import final

import attrs


@final
class Secret(str):
    """A `str` whose repr is masked: the token and the `authorization` value live in one.

    It is an ordinary string to everything that reads it (transports, `==`,
    encoding); only `repr()`, which error trackers and debuggers show for
    frame locals and containers, prints `'<redacted>'`.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"


Headers = tuple[tuple[str, str], ...]
"""Header pairs, names lower-cased, in the order they are sent."""


def _lowered(headers: Iterable[tuple[str, str]]) -> Headers:
    return tuple([(name.lower(), value) for name, value in headers])


def _redacted(headers: Headers) -> str:
    return repr(tuple((k, "<redacted>" if k == "authorization" else v) for k, v in headers))


def _body_repr(body: bytes | None) -> str:
    if body is None:
        return "None"
    if len(body) <= 200:  # noqa: PLR2004 - short bodies are shown whole
        return repr(body)
    return f"<{len(body)} bytes>"


@final
@attrs.frozen(kw_only=True)
class HttpRequest:
    """One fully resolved request; a transport sends it exactly as given.

    Attributes:
        method: The HTTP method, upper case.
        url: The absolute URL, path segments and query already encoded.
        headers: Lower-cased header pairs; the `authorization` value never shows in a repr.
        body: The encoded body, or None for a request without one.
    """

    method: str
    url: str
    headers: Headers = attrs.field(default=(), converter=_lowered, repr=_redacted)
    body: bytes | None = attrs.field(default=None, repr=_body_repr)

    def header(self, name: str) -> str | None:
        """Return the first value of the header `name` (any case), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None


@final
@attrs.frozen(kw_only=True)
class HttpResponse:
    """Whatever came back, whatever the status; only the core gives it meaning.

    Attributes:
        status: The HTTP status code.
        headers: Lower-cased header pairs in the order received.
        body: The whole body, already de-chunked.
    """

    status: int
    headers: Headers = attrs.field(default=(), converter=_lowered)
    body: bytes = attrs.field(default=b"", repr=_body_repr)

    def header(self, name: str) -> str | None:
        """Return the first value of the header `name` (any case), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None
