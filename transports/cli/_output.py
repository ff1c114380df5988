"""How the command line writes: JSON documents, aligned tables, field lists, a progress bar.

Everything a command prints goes through `Output`, so `--json` is honoured in one
place. Text that comes from the network (message bodies, names) is escaped before
it reaches a terminal: a control character never moves the cursor or changes colours.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TextIO, final

from xms_core import to_json
from xms_core._json import timestamp

_BODY_WIDTH = 40
_BAR_WIDTH = 20


class UsageError(Exception):
    """A mistake on the command line or in its input files; exits with status 2."""


def when(value: datetime | date | None) -> str:
    """Format a timestamp as ISO 8601, UTC as `Z`; a missing one as an empty string."""
    return timestamp(value)


def clean(text: str) -> str:
    """Escape control and other unprintable characters, so text is safe on a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def short(text: str, width: int = _BODY_WIDTH) -> str:
    """Escape `text` and cut it to `width` characters, marking the cut with `...`."""
    text = clean(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def body_text(body: str | bytes) -> str:
    """Show a message body: text as it is, binary as hex."""
    return body if isinstance(body, str) else body.hex()


@final
class Output:
    """Writes a command's result to stdout, as JSON or as text for people.

    Args:
        stream: Where results go.
        as_json: Whether the command prints one JSON document instead of text.
    """

    def __init__(self, stream: TextIO, *, as_json: bool) -> None:
        self.stream = stream
        self.as_json = as_json
        self.written = False

    def json(self, value: object) -> None:
        """Write `value` as one indented JSON document."""
        self.written = True
        self.stream.write(json.dumps(to_json(value), indent=2, ensure_ascii=False) + "\n")

    def line(self, text: str = "") -> None:
        """Write one line of text."""
        self.written = True
        self.stream.write(text + "\n")

    def fields(self, pairs: Iterable[tuple[str, object]]) -> None:
        """Write `name  value` lines with the values aligned; empty values are left out."""
        shown = [(name, _cell(value)) for name, value in pairs]
        shown = [(name, text) for name, text in shown if text]
        width = max((len(name) for name, _ in shown), default=0)
        for name, text in shown:
            self.line(f"{name:<{width}}  {text}")

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        """Write an aligned table with a header line; `(none)` when there are no rows."""
        cells = [[_cell(value) for value in row] for row in rows]
        if not cells:
            self.line("(none)")
            return
        widths = [
            max(len(header), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)
        ]
        for row in [list(headers), *cells]:
            padded = [text.ljust(width) for text, width in zip(row, widths, strict=True)]
            self.line("  ".join(padded).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return clean(str(value.value))
    if isinstance(value, (datetime, date)):
        return when(value)
    if isinstance(value, (tuple, list)):
        return ", ".join(_cell(item) for item in value)
    return clean(str(value))


@final
class Progress:
    """A one-line progress bar, drawn only when the stream is a terminal.

    Args:
        stream: Where to draw it (stderr, so stdout stays clean).
        total: How many steps there are.
        unit: What a step is called, e.g. `batches`.
        show: False to never draw it.
    """

    def __init__(self, stream: TextIO, total: int, unit: str, *, show: bool = True) -> None:
        isatty = getattr(stream, "isatty", None)
        self._enabled = show and bool(isatty is not None and isatty())
        self._stream = stream
        self._total = total
        self._unit = unit
        self._done = 0
        self._width = 0

    def step(self) -> None:
        """Count one finished step and redraw."""
        self._done += 1
        if not self._enabled:
            return
        filled = _BAR_WIDTH * self._done // max(self._total, 1)
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        line = f"[{bar}] {self._done}/{self._total} {self._unit}"
        self._width = len(line)
        self._stream.write("\r" + line + ("\n" if self._done >= self._total else ""))
        self._stream.flush()

    def clear(self) -> None:
        """Blank the bar's line, so that a line printed next on the terminal starts clean."""
        if self._enabled and 0 < self._done < self._total:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()

    def finish(self) -> None:
        """End the bar's line if it was left unfinished (a failure part way)."""
        if self._enabled and 0 < self._done < self._total:
            self._stream.write("\n")
            self._stream.flush()
