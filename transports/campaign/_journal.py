"""The campaign journal: one SQLite file (WAL mode) recording every chunk's state.

Tables:

* `campaign`: one row, the campaign's definition: its id, the batch options and the
  template (`definition`, canonical JSON), the input's fingerprint, the number of
  recipients, when it started and when it last finished.
* `chunks`: one row per chunk: its number, `client_reference`, the input lines it
  covers, its recipient count, a digest of its rows, its state and, once known, the
  batch id or the error.

A chunk goes `planned` -> `sending` -> `sent` (or `failed`). The `sending` mark is
written, and synced to disk, before the create leaves; so a chunk found `planned` (or
not found) on a resume provably never reached XMS, and one found `sending` is looked up
by its reference before anything is sent again. Every change is its own transaction:
whenever the process dies, the file is consistent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import final

import attrs

PLANNED = "planned"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
STATES = (PLANNED, SENDING, SENT, FAILED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS campaign (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    campaign_id TEXT NOT NULL,
    definition TEXT NOT NULL,
    fingerprint TEXT,
    source TEXT,
    recipients INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    number INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    first_line INTEGER,
    last_line INTEGER,
    recipients INTEGER NOT NULL,
    digest TEXT NOT NULL,
    state TEXT NOT NULL,
    batch_id TEXT,
    error TEXT,
    sending_since TEXT,
    updated_at TEXT NOT NULL
);
"""


class JournalError(Exception):
    """The journal cannot be used: unreadable, of another campaign, or of other input."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@final
@attrs.frozen(kw_only=True)
class Header:
    """The campaign a journal belongs to.

    Attributes:
        campaign_id: The id its chunk references derive from.
        definition: The template and batch options, as canonical JSON.
        fingerprint: The input's fingerprint (a CSV file's SHA-256), if known.
        source: Where the input came from (a CSV path), for `resume`.
        recipients: How many recipients the input holds, if known.
        started_at: When the campaign was first started (ISO 8601).
        finished_at: When a run last ended with every chunk settled, or None.
    """

    campaign_id: str
    definition: str
    fingerprint: str | None
    source: str | None
    recipients: int | None
    started_at: str = ""
    finished_at: str | None = None


@final
@attrs.frozen(kw_only=True)
class ChunkRecord:
    """One chunk as the journal knows it."""

    number: int
    reference: str
    first_line: int | None
    last_line: int | None
    recipients: int
    digest: str
    state: str
    batch_id: str | None = None
    error: str | None = None
    sending_since: datetime | None = None


@final
class Journal:
    """A campaign journal file; open it with `Journal.open(path)` and close it when done.

    Args:
        connection: An open SQLite connection in autocommit mode.
        path: The file.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Journal:
        """Open (and with `create`, create) the journal at `path`.

        Raises:
            JournalError: The file is missing (without `create`) or is not a journal.
        """
        where = Path(path)
        if not create and not where.is_file():
            raise JournalError(f"{where}: no such journal")
        try:
            db = sqlite3.connect(where, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise JournalError(f"{where}: cannot open the journal: {exc}") from None
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise JournalError(f"{where}: not a campaign journal ({exc})") from None
        return cls(db, where)

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    # ------------------------------------------------------------------ the campaign

    def header(self) -> Header | None:
        """The campaign this journal records, or None for a new journal."""
        row = self._db.execute(
            "SELECT campaign_id, definition, fingerprint, source, recipients, started_at,"
            " finished_at FROM campaign WHERE id = 1"
        ).fetchone()
        if row is None:
            return None
        return Header(
            campaign_id=row[0],
            definition=row[1],
            fingerprint=row[2],
            source=row[3],
            recipients=row[4],
            started_at=row[5],
            finished_at=row[6],
        )

    def begin(self, header: Header) -> Header:
        """Record a new campaign's definition; return it as stored."""
        stored = attrs.evolve(header, started_at=_now(), finished_at=None)
        self._db.execute(
            "INSERT INTO campaign (id, campaign_id, definition, fingerprint, source, recipients,"
            " started_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
            (
                stored.campaign_id,
                stored.definition,
                stored.fingerprint,
                stored.source,
                stored.recipients,
                stored.started_at,
            ),
        )
        return stored

    def finished(self) -> None:
        """Note that a run ended with every chunk settled."""
        self._db.execute("UPDATE campaign SET finished_at = ? WHERE id = 1", (_now(),))

    # ------------------------------------------------------------------ chunks

    def chunks(self, state: str | None = None) -> Iterator[ChunkRecord]:
        """Every chunk (in a `state`, if given), in order."""
        query = (
            "SELECT number, reference, first_line, last_line, recipients, digest, state,"
            " batch_id, error, sending_since FROM chunks"
        )
        rows = (
            self._db.execute(query + " WHERE state = ? ORDER BY number", (state,))
            if state is not None
            else self._db.execute(query + " ORDER BY number")
        )
        for row in rows:
            since = None if row[9] is None else datetime.fromisoformat(row[9])
            yield ChunkRecord(
                number=row[0],
                reference=row[1],
                first_line=row[2],
                last_line=row[3],
                recipients=row[4],
                digest=row[5],
                state=row[6],
                batch_id=row[7],
                error=row[8],
                sending_since=since,
            )

    def counts(self) -> dict[str, tuple[int, int]]:
        """Chunks and recipients per state."""
        found = dict.fromkeys(STATES, (0, 0))
        for state, chunks, recipients in self._db.execute(
            "SELECT state, COUNT(*), COALESCE(SUM(recipients), 0) FROM chunks GROUP BY state"
        ):
            found[state] = (chunks, recipients)
        return found

    def plan(self, record: ChunkRecord) -> None:
        """Record a chunk that is about to be queued (`planned`)."""
        self._db.execute(
            "INSERT INTO chunks (number, reference, first_line, last_line, recipients, digest,"
            " state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.number,
                record.reference,
                record.first_line,
                record.last_line,
                record.recipients,
                record.digest,
                PLANNED,
                _now(),
            ),
        )

    def sending(self, number: int, since: datetime) -> None:
        """Mark a chunk `sending` from `since`, synced to disk before the create may leave."""
        self._db.execute("PRAGMA synchronous=FULL")
        try:
            self._db.execute(
                "UPDATE chunks SET state = ?, sending_since = COALESCE(sending_since, ?),"
                " error = NULL, updated_at = ? WHERE number = ?",
                (SENDING, since.isoformat(), _now(), number),
            )
        finally:
            self._db.execute("PRAGMA synchronous=NORMAL")

    def sent(self, number: int, batch_id: str) -> None:
        """Mark a chunk `sent` as batch `batch_id`."""
        self._db.execute(
            "UPDATE chunks SET state = ?, batch_id = ?, error = NULL, updated_at = ?"
            " WHERE number = ?",
            (SENT, batch_id, _now(), number),
        )

    def failed(self, number: int, error: str) -> None:
        """Mark a chunk `failed`: XMS answered that it did not create it.

        Its `sending_since` stays: a resume looks the chunk up before sending it again.
        """
        self._db.execute(
            "UPDATE chunks SET state = ?, error = ?, updated_at = ? WHERE number = ?",
            (FAILED, error, _now(), number),
        )

    def unresolved(self, number: int, error: str) -> None:
        """Keep a chunk `sending` (it may exist in XMS) and note why it is not settled."""
        self._db.execute(
            "UPDATE chunks SET error = ?, updated_at = ? WHERE number = ?",
            (error, _now(), number),
        )
