"""Drive a Simulator with hand-built raw requests (no SDK commands)."""

from __future__ import annotations

import json
from typing import Any

from transports.simulator._core import Simulator
from xms_core import HttpRequest, HttpResponse

ORIGIN = "http://127.0.0.1:8080"
BASE = f"{ORIGIN}/xms/v1/plan"
AUTH = ("authorization", "Bearer token")
JSON = ("content-type", "application/json")


def request(
    method: str,
    path: str,
    body: object = None,
    *,
    query: str = "",
    raw: bytes | None = None,
    headers: tuple[tuple[str, str], ...] | None = None,
    base: str = BASE,
) -> HttpRequest:
    """Build a request to `base/path`; `body` is JSON-encoded, `raw` sent as is."""
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
    if headers is None:
        headers = (AUTH, JSON) if data is not None else (AUTH,)
    url = f"{base}/{path}" if path else base
    if query:
        url += f"?{query}"
    return HttpRequest(method=method, url=url, headers=headers, body=data)


class Api:
    """A thin raw-HTTP client of one simulator."""

    def __init__(self, sim: Simulator | None = None, **kwargs: Any) -> None:
        self.sim = Simulator(**kwargs) if sim is None else sim

    def call(self, method: str, path: str, body: object = None, **kwargs: Any) -> HttpResponse:
        return self.sim.handle(request(method, path, body, **kwargs))

    def ok(
        self, method: str, path: str, body: object = None, *, status: int = 200, **kwargs: Any
    ) -> Any:
        response = self.call(method, path, body, **kwargs)
        assert response.status == status, (response.status, response.body)
        assert response.header("content-type") == "application/json"
        return json.loads(response.body)

    def error(
        self, method: str, path: str, body: object = None, *, status: int = 400, **kwargs: Any
    ) -> str:
        """Assert an XMS error answer and return its code."""
        response = self.call(method, path, body, **kwargs)
        assert response.status == status, (response.status, response.body)
        assert response.header("content-type") == "application/json"
        error = json.loads(response.body)
        assert set(error) == {"code", "text"}
        assert isinstance(error["text"], str)
        assert error["text"]
        return str(error["code"])

    def status(self, method: str, path: str, body: object = None, **kwargs: Any) -> int:
        return self.call(method, path, body, **kwargs).status

    # shortcuts

    def create(self, **fields: Any) -> dict[str, Any]:
        body = {"to": ["+46701234567"], "body": "hello"} | fields
        result: dict[str, Any] = self.ok("POST", "batches", body, status=201)
        return result

    def report(self, batch_id: str, query: str = "") -> dict[str, Any]:
        result: dict[str, Any] = self.ok("GET", f"batches/{batch_id}/delivery_report", query=query)
        return result

    def recipient(self, batch_id: str, msisdn: str) -> dict[str, Any]:
        from urllib.parse import quote

        path = f"batches/{batch_id}/delivery_report/{quote(msisdn, safe='')}"
        result: dict[str, Any] = self.ok("GET", path)
        return result

    def group(self, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("POST", "groups", fields, status=201)
        return result


def statuses(report: dict[str, Any]) -> list[tuple[int, str, int]]:
    return [(s["code"], s["status"], s["count"]) for s in report["statuses"]]
