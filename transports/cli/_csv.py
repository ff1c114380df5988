"""Recipients and template parameters read from a CSV file, checked row by row.

The checks are those of `xms campaign` (`transports.campaign.scan_csv`): a header
line, then one row per recipient; the recipient column is the one named `recipient`,
`to` or `msisdn` (any case), else the first; every other column is a template
parameter. Cells are trimmed; control characters, bad numbers and duplicates (however
they are written: `+46...` and `0046...` are one recipient) are reported with their
line numbers before anything is sent. A file separated by semicolons gets a hint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import final

import attrs

from transports.campaign import CsvError, read_csv, scan_csv
from transports.cli._output import UsageError


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


def read_recipients(path: str, *, delimiter: str = ",") -> Recipients:
    """Read and check a recipients CSV file.

    Args:
        path: The file, UTF-8 (a byte order mark is allowed).
        delimiter: The field separator.

    Returns:
        Every recipient with its parameter values.

    Raises:
        UsageError: The file cannot be read, has no header or no recipient, or has
            bad rows (they are listed, with their line numbers).
    """
    try:
        scan = scan_csv(path, delimiter=delimiter)
        rows = list(read_csv(scan))
    except CsvError as exc:
        raise UsageError(str(exc)) from None
    return Recipients(
        recipients=tuple(row.msisdn for row in rows),
        columns=scan.columns,
        values=tuple(tuple(row.parameters[c] for c in scan.columns) for row in rows),
    )
