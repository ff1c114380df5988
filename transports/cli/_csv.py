"""Recipients and template parameters read from a CSV file, checked row by row.

The first line is a header. The recipient column is the one named `recipient`,
`to` or `msisdn` (any case), else the first column; every other column is a
template parameter named by its header, so `Hi ${name}` takes each recipient's
`name` cell. A recipient is an MSISDN or a group id, as in a batch's `to`; a
group id cannot have template values (XMS keys them by MSISDN), so it is only
allowed in a file without parameter columns. Every row is checked before
anything is sent, and every bad row is reported with its line number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from typing import final

import attrs

from transports.cli._output import UsageError, clean
from xms_core import is_group_id, is_msisdn
from xms_core.api import MtBatchTextSmsCreate

RECIPIENT_COLUMNS = ("recipient", "to", "msisdn")
"""Header names that mark the recipient column (compared without case)."""

MAX_PROBLEMS_SHOWN = 20
"""How many bad rows are listed before the rest are only counted."""


@final
@attrs.frozen(kw_only=True)
class Recipients:
    """The recipients of a CSV file and their template parameters.

    Attributes:
        recipients: The recipients, in file order.
        columns: The parameter names (the other columns' headers), in file order.
        values: One tuple of cells per recipient, in `columns` order.
    """

    recipients: tuple[str, ...]
    columns: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]

    def chunks(self, size: int) -> Iterator[tuple[tuple[str, ...], dict[str, dict[str, str]]]]:
        """Split into runs of at most `size` recipients, each with its `parameters`."""
        for start in range(0, len(self.recipients), size):
            recipients = self.recipients[start : start + size]
            rows = self.values[start : start + size]
            parameters = {
                column: {r: row[i] for r, row in zip(recipients, rows, strict=True)}
                for i, column in enumerate(self.columns)
            }
            yield recipients, parameters


def _recipient_problem(value: str, *, with_parameters: bool) -> str | None:
    """Why `value` cannot be a recipient, in the SDK's own words; None if it can."""
    try:
        MtBatchTextSmsCreate(recipients=(value,), body="-")
    except (TypeError, ValueError) as exc:
        return str(exc)
    if with_parameters and is_group_id(value):
        return (
            f"{value!r} is a group id, which cannot have template values (XMS keys them by"
            " MSISDN); send to the group with --to, or list its members here"
        )
    return None


def _header(path: str, row: Sequence[str]) -> tuple[int, tuple[str, ...]]:
    """Return the recipient column's index and the parameter names of a header row."""
    names = [cell.strip() for cell in row]
    lowered = [name.lower() for name in names]
    index = next((lowered.index(n) for n in RECIPIENT_COLUMNS if n in lowered), 0)
    if is_msisdn(names[index]):
        raise UsageError(
            f"{path}, line 1: {clean(names[index])!r} is a phone number, not a column name;"
            " start the file with a header line such as 'recipient,name'"
        )
    columns = tuple(name for i, name in enumerate(names) if i != index)
    for position, name in enumerate(names, start=1):
        if not name:
            raise UsageError(f"{path}, line 1: column {position} has no name")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UsageError(f"{path}, line 1: duplicate column names: {', '.join(duplicates)}")
    return index, columns


class _Collector:
    """Checks data rows one by one, keeping the good ones and a note for each bad one."""

    def __init__(self, width: int, index: int) -> None:
        self.width = width
        self.index = index
        self.recipients: list[str] = []
        self.values: list[tuple[str, ...]] = []
        self.problems: list[str] = []
        self.first_line: dict[str, int] = {}

    def add(self, line: int, row: list[str]) -> None:
        if not any(cell.strip() for cell in row):
            return
        problem = None
        recipient = row[self.index].strip() if len(row) == self.width else ""
        if len(row) != self.width:
            problem = f"expected {self.width} fields, got {len(row)}"
        elif (why := _recipient_problem(recipient, with_parameters=self.width > 1)) is not None:
            problem = why
        elif recipient in self.first_line:
            first = self.first_line[recipient]
            problem = f"duplicate recipient {recipient!r} (first on line {first})"
        if problem is not None:
            self.problems.append(f"line {line}: {problem}")
            return
        self.first_line[recipient] = line
        self.recipients.append(recipient)
        self.values.append(tuple(cell for i, cell in enumerate(row) if i != self.index))


def _collect(path: str) -> tuple[tuple[str, ...], _Collector]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:  # noqa: PTH123 - a path str
            reader = csv.reader(file, skipinitialspace=True)
            header = next(reader, None)
            if header is None:
                raise UsageError(f"{path} is empty; expected a header line and recipients")
            index, columns = _header(path, header)
            rows = _Collector(len(header), index)
            for row in reader:
                rows.add(reader.line_num, row)
    except OSError as exc:
        raise UsageError(f"--csv: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--csv: {path} is not UTF-8 text") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: not valid CSV: {exc}") from None
    return columns, rows


def read_recipients(path: str) -> Recipients:
    """Read and check a recipients CSV file.

    Args:
        path: The file, UTF-8 (a byte order mark is allowed).

    Returns:
        Every recipient with its parameter values.

    Raises:
        UsageError: The file cannot be read, has no header or no recipient, or has
            bad rows (all of them are listed, with their line numbers).
    """
    columns, rows = _collect(path)
    if rows.problems:
        shown = rows.problems[:MAX_PROBLEMS_SHOWN]
        if len(rows.problems) > len(shown):
            shown.append(f"... and {len(rows.problems) - len(shown)} more")
        listing = "\n".join(f"  {clean(problem)}" for problem in shown)
        raise UsageError(f"{path}: {len(rows.problems)} bad row(s), nothing was sent:\n{listing}")
    if not rows.recipients:
        raise UsageError(f"{path} has a header but no recipients")
    return Recipients(recipients=tuple(rows.recipients), columns=columns, values=tuple(rows.values))
