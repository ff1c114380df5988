"""What the command-line tests share that is not a fixture: settings, results, small files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import attrs

PLAN = "cli-plan"
TOKEN = "cli-tok-7f3a9c1e5b-secret"
A, B, C = "+46701234567", "+46709876543", "+46705550000"


@attrs.frozen
class Run:
    """What one `xms` run returned and printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def write_csv(tmp_path: Path, text: str, name: str = "recipients.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)
