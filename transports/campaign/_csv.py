"""Recipients from a CSV file, checked in one streaming pass and read in another.

The first line is a header. The recipient column is the one named `recipient`, `to` or
`msisdn` (any case), else the first column; every other column is a template parameter
named by its header. Cells are trimmed. `scan_csv` checks every row before anything is
sent (field counts, phone numbers, control characters, duplicates however they are
written: `+46...`, `0046...` and `+46 70-...` are one recipient) and fingerprints the
file; `read_csv` then streams the rows. Memory stays flat whatever the file size: the
duplicate check keeps about 10 bits per recipient.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import final

import attrs

from transports.campaign._engine import Recipient
from xms_core._validate import check_msisdn, check_recipient, is_group_id

RECIPIENT_COLUMNS = ("recipient", "to", "msisdn")
"""Header names that mark the recipient column (compared without case)."""

MAX_PROBLEMS_SHOWN = 20
"""How many bad rows are listed before the rest are only counted."""

_SEPARATORS = str.maketrans("", "", " -()./")
_ALLOWED_CONTROLS = frozenset("\t\n\r")


class CsvError(ValueError):
    """The CSV file cannot be used; the message says why, with line numbers."""


def recipient_key(value: str) -> str:
    """The digits that identify a phone number however it is written (`+46`, `0046`, spaces).

    A group id is its own key, marked so that it never equals a number's.
    """
    if is_group_id(value):
        return f"group:{value}"
    text = value.translate(_SEPARATORS)
    if text.startswith("+"):
        return text[1:]
    return text.removeprefix("00")


def control_character(text: str) -> str | None:
    """The first control character in `text` (tab and line breaks allowed), or None."""
    if text.isprintable():
        return None
    for char in text:
        if (ord(char) < 0x20 and char not in _ALLOWED_CONTROLS) or 0x7F <= ord(char) < 0xA0:  # noqa: PLR2004
            return char
    return None


def recipient_problem(value: str, *, groups: bool = False) -> str | None:
    """Why `value` cannot be a recipient, in the SDK's own words; None if it can.

    With `groups` (a file without parameter columns), a group id is a recipient
    too, as in a batch's `to` (protocol 3.1); in a file with parameter columns
    it is not: XMS keys template values by MSISDN (protocol 4.2).
    """
    if is_group_id(value):
        if groups:
            return None
        return (
            f"{value!r} is a group id, which cannot have template values (XMS keys them by"
            " MSISDN); send to the group with --to, or list its members here"
        )
    try:
        (check_recipient if groups else check_msisdn)("recipients", value)
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


@final
@attrs.frozen(kw_only=True)
class CsvScan:
    """A checked CSV file.

    Attributes:
        path: The file.
        delimiter: The field separator.
        fingerprint: The SHA-256 of the file's bytes.
        recipients: How many recipients it holds.
        columns: The parameter names, in file order.
        index: The recipient column's position.
    """

    path: str
    delimiter: str
    fingerprint: str
    recipients: int
    columns: tuple[str, ...]
    index: int


def _fingerprint(path: str) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _header(path: str, row: Sequence[str], delimiter: str) -> tuple[int, tuple[str, ...]]:
    names = [cell.strip() for cell in row]
    if len(names) == 1 and delimiter != ";" and ";" in names[0]:
        raise CsvError(
            f"{path}, line 1: the fields seem to be separated by ';' (a spreadsheet export"
            " in some locales); pass --delimiter ';' or save the file with commas"
        )
    lowered = [name.lower() for name in names]
    index = next((lowered.index(n) for n in RECIPIENT_COLUMNS if n in lowered), 0)
    if recipient_problem(names[index]) is None:
        raise CsvError(
            f"{path}, line 1: {names[index]!r} is a phone number, not a column name;"
            " start the file with a header line such as 'recipient,name'"
        )
    for position, name in enumerate(names, start=1):
        if not name:
            raise CsvError(f"{path}, line 1: column {position} has no name")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise CsvError(f"{path}, line 1: duplicate column names: {', '.join(duplicates)}")
    return index, tuple(name for i, name in enumerate(names) if i != index)


def _rows(path: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, trimmed cells) for the header and every non-blank row."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file, delimiter=delimiter)
            line = 1
            for row in reader:
                cells = [cell.strip() for cell in row]
                if any(cells):
                    yield line, cells
                line = reader.line_num + 1
    except OSError as exc:
        raise CsvError(f"--csv: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CsvError(f"--csv: {path} is not UTF-8 text") from None
    except csv.Error as exc:
        raise CsvError(f"{path}: not valid CSV: {exc}") from None


def _row_problem(cells: list[str], width: int, index: int) -> str | None:
    if len(cells) != width:
        return f"expected {width} fields, got {len(cells)}"
    for cell in cells:
        char = control_character(cell)
        if char is not None:
            return f"the control character {char!r} is not allowed in a cell"
    return recipient_problem(cells[index], groups=width == 1)


@final
class _SeenFilter:
    """A Bloom filter of recipient keys: "maybe seen" or "surely new", in ~10 bits a row.

    Sized from the file (a row takes at least 12 bytes: a number and a line break), so
    memory stays a small fraction of the file whatever its length. A key it may have
    seen is kept exactly; a second read then tells real duplicates from false alarms.
    """

    _PROBES = 4

    def __init__(self, file_size: int) -> None:
        self._bits = max(1 << 16, file_size * 10 // 12)
        self._array = bytearray(self._bits // 8 + 1)
        self.suspects: set[str] = set()

    def add(self, key: str) -> None:
        """Record `key`, noting it as a suspect if it may have been seen before."""
        first, step = hash(key), hash(key + "\x00") | 1
        seen = True
        for probe in range(self._PROBES):
            bit = (first + probe * step) % self._bits
            byte, mask = bit >> 3, 1 << (bit & 7)
            if not self._array[byte] & mask:
                seen = False
                self._array[byte] |= mask
        if seen:
            self.suspects.add(key)


def scan_csv(path: str, *, delimiter: str = ",") -> CsvScan:
    """Check every row of a recipients CSV file; nothing is kept but a count and a filter.

    Raises:
        CsvError: The file cannot be read, has no header or no recipient, or has bad
            rows (the first ones are listed with their line numbers).
    """
    rows = _rows(path, delimiter)
    first = next(rows, None)
    if first is None:
        raise CsvError(f"{path} is empty; expected a header line and recipients")
    index, columns = _header(path, first[1], delimiter)
    width = len(columns) + 1
    problems: list[tuple[int, str]] = []
    problem_count = 0
    try:
        seen = _SeenFilter(Path(path).stat().st_size)
    except OSError as exc:
        raise CsvError(f"--csv: cannot read {path}: {exc.strerror or exc}") from None
    recipients = 0
    for line, cells in rows:
        problem = _row_problem(cells, width, index)
        if problem is not None:
            problem_count += 1
            if len(problems) < MAX_PROBLEMS_SHOWN:
                problems.append((line, f"line {line}: {problem}"))
            continue
        seen.add(recipient_key(cells[index]))
        recipients += 1
    duplicates = _duplicates(path, delimiter, (index, width), seen.suspects)
    problem_count += len(duplicates)
    if problem_count:
        shown = [text for _, text in sorted(problems + duplicates)[:MAX_PROBLEMS_SHOWN]]
        if problem_count > len(shown):
            shown.append(f"... and {problem_count - len(shown)} more")
        listing = "\n".join(f"  {problem!s}" for problem in shown)
        raise CsvError(f"{path}: {problem_count} bad row(s), nothing was sent:\n{listing}")
    if not recipients:
        raise CsvError(f"{path} has a header but no recipients")
    return CsvScan(
        path=path,
        delimiter=delimiter,
        fingerprint=_fingerprint(path),
        recipients=recipients,
        columns=columns,
        index=index,
    )


def _duplicates(
    path: str, delimiter: str, shape: tuple[int, int], suspects: set[str]
) -> list[tuple[int, str]]:
    """One note per repeated recipient: a second read looks only at the suspects."""
    index, width = shape
    if not suspects:
        return []
    first_line: dict[str, int] = {}
    notes: list[tuple[int, str]] = []
    rows = _rows(path, delimiter)
    next(rows)
    for line, cells in rows:
        if _row_problem(cells, width, index) is not None:
            continue
        key = recipient_key(cells[index])
        if key not in suspects:
            continue
        if key in first_line:
            first = first_line[key]
            notes.append(
                (line, f"line {line}: duplicate recipient {cells[index]!r} (first on line {first})")
            )
        else:
            first_line[key] = line
    return notes


def read_csv(scan: CsvScan) -> Iterator[Recipient]:
    """Stream the recipients of a scanned file, with their parameters and line numbers."""
    rows = _rows(scan.path, scan.delimiter)
    next(rows)
    index = scan.index
    columns = scan.columns
    for line, cells in rows:
        recipient = cells[index]
        values = cells[:index] + cells[index + 1 :]
        yield Recipient(
            msisdn=recipient, parameters=dict(zip(columns, values, strict=True)), line=line
        )
