"""`xms campaign send | resume | status`: durable, exactly-once bulk sending from a CSV file.

`send` checks the whole file (nothing is sent if a row is bad), then streams it in
batches of at most 1000 recipients through `transports.campaign.send_campaign`, with a
progress bar (rate and ETA) on a terminal and a summary at the end. Every chunk's state
is in the journal, so `resume` (or the same `send` again) finishes an interrupted
campaign without sending any recipient twice. `status` reads the journal only.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, final

import trio

from transports import AsyncClient
from transports.campaign import (
    Campaign,
    ChunkRecord,
    CsvError,
    Journal,
    JournalError,
    Progress,
    Report,
    read_csv,
    scan_csv,
    send_campaign,
)
from transports.campaign._csv import control_character
from transports.campaign._journal import FAILED, PLANNED, SENDING, SENT
from transports.cli._context import Context
from transports.cli._output import UsageError, clean
from xms_core import RetryPolicy

EXIT_FAILED_CHUNKS = 5
"""Some chunks failed for good: XMS refused them (they are listed with their lines)."""

EXIT_UNFINISHED = 6
"""Some chunks are not settled (XMS could not be reached to confirm them): resume."""

_BAR_WIDTH = 20
_MAX_LISTED = 20


def _check_body(body: str) -> None:
    char = control_character(body)
    if char is not None:
        raise UsageError(f"--body: the control character {char!r} is not allowed")


def campaign_of(args: argparse.Namespace) -> Campaign:
    """The campaign the `send` flags describe (raises ValueError/TypeError naming a field)."""
    _check_body(args.body)
    return Campaign(
        body=args.body,
        sender=args.sender,
        delivery_report=args.delivery_report,
        send_at=args.send_at,
        expire_at=args.expire_at,
        callback_url=args.callback_url,
        tags=tuple(args.tag or ()),
        chunk_size=args.batch_size,
    )


@final
class Bar:
    """A progress line on a terminal: recipients, chunks, rate and time left."""

    def __init__(self, stream: TextIO) -> None:
        isatty = getattr(stream, "isatty", None)
        self._enabled = bool(isatty is not None and isatty())
        self._stream = stream
        self._shown = False

    def __call__(self, progress: Progress) -> None:
        """Redraw for `progress`."""
        if not self._enabled:
            return
        total = progress.recipients_total or 0
        done = progress.recipients_done
        elapsed = max(time.monotonic() - progress.started, 1e-6)
        rate = (done - progress.recipients_at_start) / elapsed
        left = max(total - done, 0)
        eta = f"{left / rate:.0f} s left" if rate > 0 and left else "--"
        filled = _BAR_WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        failed = f", {progress.chunks_failed} failed" if progress.chunks_failed else ""
        line = f"[{bar}] {done}/{total} recipients, {rate:,.0f}/s, {eta}{failed}"
        self._stream.write("\r" + line.ljust(78))
        self._stream.flush()
        self._shown = True

    def end(self) -> None:
        """End the line, if one was drawn."""
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False


def _client(ctx: Context, concurrency: int) -> AsyncClient:
    from transports.trio import TrioTransport  # noqa: PLC0415 - an optional extra

    plan, token, endpoint = ctx.connection()
    return AsyncClient(
        plan,
        token,
        endpoint,
        ctx.args.timeout,
        transport=TrioTransport(max_connections=concurrency),
        retry=RetryPolicy(attempts=ctx.args.retries + 1),
    )


def _run(
    ctx: Context,
    journal: Journal,
    campaign: Campaign | None,
    csv_path: str,
    delimiter: str,
) -> int:
    args = ctx.args
    try:
        scan = scan_csv(csv_path, delimiter=delimiter)
    except CsvError as exc:
        raise UsageError(str(exc)) from None
    source = str(Path(scan.path).resolve())
    bar = Bar(ctx.err)
    client = _client(ctx, args.concurrency)
    last: list[Progress] = []

    def progress(now: Progress) -> None:
        last[:] = [now]
        bar(now)

    async def main() -> Report:
        async with client:
            return await send_campaign(
                client,
                journal,
                read_csv(scan),
                campaign,
                campaign_id=args.campaign_id,
                fingerprint=scan.fingerprint,
                source=source,
                total=scan.recipients,
                concurrency=args.concurrency,
                rate=args.rate,
                progress=progress,
            )

    try:
        report = trio.run(main)
    except KeyboardInterrupt:
        bar.end()
        _interrupted(ctx.err, journal, last[0] if last else None)
        raise
    except JournalError as exc:
        bar.end()
        raise UsageError(str(exc)) from None
    bar.end()
    return _summary(ctx, journal, report)


def _interrupted(err: TextIO, journal: Journal, progress: Progress | None) -> None:
    counts = journal.counts()
    in_flight = counts[SENDING][0]
    done = progress.recipients_done if progress is not None else counts[SENT][1]
    err.write(
        f"xms: interrupted; {counts[SENT][0]} chunk(s), {done} recipient(s) sent so far."
        f" {in_flight} chunk(s) were in flight and may have been created: the journal marks"
        f" them 'sending', and a resume looks them up before sending anything.\n"
        f"resume with: xms campaign resume --journal {journal.path}\n"
    )


def _lines(record: ChunkRecord) -> str:
    if record.first_line is None:
        return f"{record.recipients} recipient(s)"
    return f"lines {record.first_line}-{record.last_line}, {record.recipients} recipient(s)"


def _summary(ctx: Context, journal: Journal, report: Report) -> int:
    out = ctx.out
    header = journal.header()
    if out.as_json:
        out.json(_status_json(journal))
    else:
        out.fields(
            [
                ("campaign", report.campaign_id),
                ("chunks", report.chunks),
                ("recipients", header.recipients if header is not None else report.recipients),
                ("batches", f"{report.sent} ({report.sent_now} sent by this run)"),
                ("failures", len(report.failed) + len(report.unresolved) or "none"),
                ("time", f"{report.elapsed:.1f} s"),
            ]
        )
        _list_problems(ctx, report.failed, report.unresolved, journal)
    if report.failed:
        return EXIT_FAILED_CHUNKS
    if report.unresolved:
        return EXIT_UNFINISHED
    return 0


def _list_problems(
    ctx: Context,
    failed: tuple[ChunkRecord, ...],
    unresolved: tuple[ChunkRecord, ...],
    journal: Journal,
) -> None:
    err = ctx.err
    for title, records in (
        ("failed (XMS did not create them)", failed),
        ("not settled (they may exist in XMS)", unresolved),
    ):
        if not records:
            continue
        err.write(f"{len(records)} chunk(s) {title}:\n")
        for record in records[:_MAX_LISTED]:
            why = clean(record.error or record.state)
            err.write(f"  chunk {record.number} ({_lines(record)}): {why}\n")
        if len(records) > _MAX_LISTED:
            err.write(f"  ... and {len(records) - _MAX_LISTED} more (xms campaign status)\n")
    if failed or unresolved:
        err.write(f"resume with: xms campaign resume --journal {journal.path}\n")


def _status_json(journal: Journal) -> dict[str, object]:
    header = journal.header()
    counts = journal.counts()
    return {
        "campaign_id": header.campaign_id if header else None,
        "source": header.source if header else None,
        "recipients": header.recipients if header else None,
        "started_at": header.started_at if header else None,
        "finished_at": header.finished_at if header else None,
        "chunks": {state: {"chunks": c, "recipients": r} for state, (c, r) in counts.items()},
        "problems": [
            {
                "chunk": r.number,
                "state": r.state,
                "client_reference": r.reference,
                "first_line": r.first_line,
                "last_line": r.last_line,
                "recipients": r.recipients,
                "error": r.error,
            }
            for state in (FAILED, SENDING, PLANNED)
            for r in journal.chunks(state)
        ],
    }


def _open(path: str, *, create: bool) -> Journal:
    try:
        return Journal.open(path, create=create)
    except JournalError as exc:
        raise UsageError(str(exc)) from None


def _guarded(path: str, *, create: bool, body: Callable[[Journal], int]) -> int:
    journal = _open(path, create=create)
    try:
        return body(journal)
    finally:
        journal.close()


def send(args: argparse.Namespace, ctx: Context) -> int:
    """`xms campaign send`: start a campaign, or continue the one its journal records."""
    campaign = campaign_of(args)
    ctx.connection()  # a missing setting fails before the journal is created
    return _guarded(
        args.journal,
        create=True,
        body=lambda journal: _run(ctx, journal, campaign, args.csv, args.delimiter),
    )


def resume(args: argparse.Namespace, ctx: Context) -> int:
    """`xms campaign resume`: finish the campaign its journal records."""

    def body(journal: Journal) -> int:
        header = journal.header()
        if header is None:
            raise UsageError(
                f"{journal.path} records no campaign to resume (it stopped before the"
                " campaign started, so nothing was sent): run `xms campaign send` again"
            )
        path = args.csv or header.source
        if path is None:
            raise UsageError("--csv: the journal does not say where its input is; give it")
        return _run(ctx, journal, None, path, args.delimiter)

    ctx.connection()
    return _guarded(args.journal, create=False, body=body)


def status(args: argparse.Namespace, ctx: Context) -> int:
    """`xms campaign status`: what the journal says, without contacting XMS."""

    def body(journal: Journal) -> int:
        header = journal.header()
        if header is None:
            raise UsageError(f"{journal.path} records no campaign")
        counts = journal.counts()
        failed = tuple(journal.chunks(FAILED))
        unsettled = tuple(journal.chunks(SENDING)) + tuple(journal.chunks(PLANNED))
        if ctx.out.as_json:
            ctx.out.json(_status_json(journal))
        else:
            ctx.out.fields(
                [
                    ("campaign", header.campaign_id),
                    ("input", header.source),
                    ("recipients", header.recipients),
                    ("started", header.started_at),
                    ("finished", header.finished_at or "no"),
                    *(
                        (state, f"{c} chunk(s), {r} recipient(s)")
                        for state, (c, r) in counts.items()
                    ),
                ]
            )
            _list_problems(ctx, failed, unsettled, journal)
        if failed:
            return EXIT_FAILED_CHUNKS
        sent = counts[SENT][1]
        if unsettled or (header.recipients is not None and sent < header.recipients):
            return EXIT_UNFINISHED
        return 0

    return _guarded(args.journal, create=False, body=body)
