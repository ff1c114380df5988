"""Where and as whom to talk to XMS, and how a request is put together."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from typing import Any, final
from urllib.parse import quote, urlencode, urlsplit

import attrs

from xms_core._builders import constructor
from xms_core._http import HttpRequest, Secret
from xms_core._validate import check_identifier
from xms_core._version import __version__

DEFAULT_ENDPOINT = "https://api.clxcommunications.com/xms"
"""The reference SDK's default endpoint (the CLX-era host)."""

US_ENDPOINT = "https://us.sms.api.sinch.com/xms"
EU_ENDPOINT = "https://eu.sms.api.sinch.com/xms"
AU_ENDPOINT = "https://au.sms.api.sinch.com/xms"
BR_ENDPOINT = "https://br.sms.api.sinch.com/xms"
CA_ENDPOINT = "https://ca.sms.api.sinch.com/xms"

DEFAULT_TIMEOUT = 30.0
"""The default connect and read timeout, in seconds."""

USER_AGENT = f"xms-python/{__version__}"

Query = Sequence[tuple[str, str]]

_TOKEN = re.compile(r"[\x21-\x7e]+")


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_json(value: object) -> bytes:
    """Encode a JSON value deterministically: compact, UTF-8, keys in insertion order."""
    # One encoder for every call: json.dumps with options builds a new one each time.
    return _ENCODER.encode(value).encode()


_SEGMENTS: dict[str, str] = {}
_SEGMENTS_KEPT = 1024


def _segment(text: str) -> str:
    """Percent-encode one path segment, remembering the last few (`batches`, ids)."""
    quoted = _SEGMENTS.get(text) if type(text) is str else None
    if quoted is None:
        quoted = quote(text, safe="")
        if type(text) is str:
            if len(_SEGMENTS) >= _SEGMENTS_KEPT:
                _SEGMENTS.clear()
            _SEGMENTS[text] = quoted
    return quoted


# The core's own requests carry header names already in lower case: skip the converter.
_new_request = constructor(HttpRequest, "method", "url", "headers", "body", converted=("headers",))


@final
@attrs.frozen(kw_only=True)
class Settings:
    """Where and as whom to talk to XMS. Holds no connection.

    Attributes:
        service_plan_id: The service plan identifier.
        token: The API token; never shown in a repr.
        endpoint: The base URL, everything before `/v1/`.
        user_agent: The `User-Agent` header value.
        allow_insecure_http: Allow sending the token over plain `http://` to a host
            that is not loopback. Off by default.
    """

    service_plan_id: str = attrs.field()
    token: str = attrs.field(repr=False)
    endpoint: str = attrs.field(default=DEFAULT_ENDPOINT)
    user_agent: str = attrs.field(default=USER_AGENT)
    allow_insecure_http: bool = False
    _base: str = attrs.field(init=False, repr=False, eq=False)
    _headers: tuple[tuple[str, str], ...] = attrs.field(init=False, repr=False, eq=False)

    @service_plan_id.validator
    def _check_plan(self, attribute: attrs.Attribute[Any], value: object) -> None:
        check_identifier(attribute.name, value)

    @token.validator
    def _check_token(self, attribute: attrs.Attribute[Any], value: object) -> None:
        # The message never quotes the value: it is a secret.
        if not isinstance(value, str):
            raise TypeError(f"token: expected str, got {type(value).__name__}")
        if not _TOKEN.fullmatch(value):
            raise ValueError("token: must be non-empty printable ASCII without spaces")

    @endpoint.validator
    def _check_endpoint(self, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            raise TypeError(f"endpoint: expected str, got {type(value).__name__}")
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"endpoint: expected an http(s) URL with a host (got {value!r})")
        # An empty `?` or `#` leaves parts.query/fragment empty but still breaks the URL.
        if "?" in value or "#" in value or any(c.isspace() or not c.isprintable() for c in value):
            raise ValueError(
                "endpoint: must not carry a query, fragment, space or control character"
                f" ({value!r})"
            )
        if (
            parts.scheme == "http"
            and not self.allow_insecure_http
            and not _loopback(parts.hostname)
        ):
            raise ValueError(
                "endpoint: plain http:// to a host that is not loopback would expose the token;"
                " use https:// or pass allow_insecure_http=True"
            )

    @user_agent.validator
    def _check_user_agent(self, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            raise TypeError(f"user_agent: expected str, got {type(value).__name__}")
        if not value or not value.isprintable():
            raise ValueError("user_agent: expected a non-empty printable str")

    def __attrs_post_init__(self) -> None:
        base = f"{self.endpoint.rstrip('/')}/v1/{quote(self.service_plan_id, safe='')}"
        object.__setattr__(self, "_base", base)
        object.__setattr__(self, "token", Secret(self.token))
        headers = (
            ("authorization", Secret(f"Bearer {self.token}")),
            ("accept", "application/json"),
            ("user-agent", self.user_agent),
        )
        object.__setattr__(self, "_headers", headers)

    def url(self, *segments: str, query: Query = ()) -> str:
        """Return the URL of `segments` below the service plan, each encoded as one segment."""
        url = self._base
        if segments:
            url += "/" + "/".join([_segment(s) for s in segments])
        if query:
            url += "?" + urlencode(query)
        return url

    def request(
        self,
        method: str,
        *segments: str,
        query: Query = (),
        json: object = None,
    ) -> HttpRequest:
        """Build a request to the path `segments` with an optional JSON body.

        Args:
            method: The HTTP method.
            *segments: Path segments after the service plan id; each is percent-encoded.
            query: Query pairs, form-encoded in the given order.
            json: A JSON value for the body, or None for no body.

        Returns:
            The request, with authorization, accept, user-agent and (with a body)
            content-type headers.
        """
        url = self.url(*segments, query=query)
        if json is None:
            return _new_request(method, url, self._headers, None)
        return _new_request(
            method, url, (*self._headers, ("content-type", "application/json")), encode_json(json)
        )
