"""`xms send` and `xms dry-run`: one batch to `--to` recipients, or templated batches from a CSV.

Every batch is built (and so checked by the SDK's validators) before the first
one is sent: a bad recipient, sender or CSV row stops the run with nothing sent.
A CSV list is split into batches of at most `BATCH_SIZE` recipients, each with
the template parameters of its own recipients.
"""

from __future__ import annotations

import argparse
import re

from transports.campaign._csv import control_character
from transports.cli._context import Context
from transports.cli._csv import read_recipients
from transports.cli._output import Output, Progress, UsageError, clean, when
from xms_core import MAX_RECIPIENTS, ApiException
from xms_core.api import (
    DryRunPerRecipient,
    MtBatchBinarySmsResult,
    MtBatchDryRunResult,
    MtBatchTextSmsCreate,
    MtBatchTextSmsResult,
)

BATCH_SIZE = MAX_RECIPIENTS
"""The most recipients put in one batch (the XMS limit)."""

BatchResult = MtBatchTextSmsResult | MtBatchBinarySmsResult

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def build_batches(args: argparse.Namespace) -> list[MtBatchTextSmsCreate]:
    """Build every batch the command line asks for, checking all of them.

    Raises:
        UsageError: A bad CSV file, or a template placeholder with no CSV column.
        ValueError, TypeError: The SDK rejected a value; the message names the field.
    """
    common = {
        "sender": args.sender,
        "body": args.body,
        "delivery_report": args.delivery_report,
        "send_at": args.send_at,
        "expire_at": args.expire_at,
        "callback_url": args.callback_url,
        "client_reference": args.client_reference,
        "tags": args.tag or (),
    }
    char = control_character(args.body)
    if char is not None:
        raise UsageError(f"--body: the control character {char!r} is not allowed; nothing was sent")
    if args.csv is None:
        return [MtBatchTextSmsCreate(recipients=args.to, **common)]
    table = read_recipients(args.csv, delimiter=args.delimiter)
    unknown = [name for name in _PLACEHOLDER.findall(args.body) if name not in table.columns]
    if unknown:
        columns = ", ".join(table.columns) or "none besides the recipient"
        raise UsageError(
            f"body: ${{{unknown[0]}}} is not a column of {args.csv} (columns: {columns});"
            " nothing was sent"
        )
    return [
        MtBatchTextSmsCreate(recipients=recipients, parameters=parameters, **common)
        for recipients, parameters in table.chunks(BATCH_SIZE)
    ]


LARGE_LIST = 10
"""Above this many batches, `xms send` suggests `xms campaign send`."""


class OutputClosedError(BrokenPipeError):
    """Stdout was closed during a send that went on to the end; reported on stderr."""


def send(args: argparse.Namespace, ctx: Context) -> int:
    """Send the batches (or, with `--dry-run`, only show what sending would do).

    A closed stdout (`xms send ... | head -1`) does not stop the send: the batches not
    shown are listed on stderr and the exit status is 141. Ctrl-C says which batches were
    sent and which one was in flight (it may have been created).
    """
    batches = build_batches(args)
    if args.dry_run:
        return _dry_run(ctx, batches, args.per_recipient)
    if args.per_recipient is not None:
        raise UsageError("--per-recipient: only a dry run (--dry-run) shows recipients")
    _suggest_campaign(ctx, len(batches))
    client = ctx.client()
    out = ctx.out
    progress = Progress(ctx.err, len(batches), "batches", show=args.csv is not None)
    sent: list[BatchResult] = []
    shown = 0
    in_flight: MtBatchTextSmsCreate | None = None
    try:
        for batch in batches:
            in_flight = batch
            sent.append(client.create_batch(batch))
            in_flight = None
            shown += _say_sent(out, sent[-1], progress, closed=shown < len(sent) - 1)
            progress.step()
    except ApiException:
        progress.finish()
        if sent:
            ctx.err.write(f"{len(sent)} of {len(batches)} batches were sent before the failure\n")
        if sent and out.as_json:
            out.json(sent)
        raise
    except KeyboardInterrupt:
        progress.finish()
        _interrupted(ctx, batches, sent, in_flight)
        raise
    if out.as_json:
        shown = _final_json(out, sent)
    if shown < len(sent):
        _output_closed(ctx, sent, shown)
    return 0


def _suggest_campaign(ctx: Context, count: int) -> None:
    if count > LARGE_LIST:
        ctx.err.write(
            f"xms: {count} batches; xms send keeps no record of what it sent, so an"
            " interrupted send cannot be resumed: for large lists use `xms campaign send`"
            " (journalled, resumable, each recipient exactly once)\n"
        )


def _final_json(out: Output, sent: list[BatchResult]) -> int:
    """Print the sent batches as JSON; return how many were shown (0 if stdout is closed)."""
    try:
        out.json(sent)
        out.stream.flush()
    except BrokenPipeError:
        return 0
    return len(sent)


def _say_sent(out: Output, batch: BatchResult, progress: Progress, *, closed: bool) -> int:
    """Show one sent batch; return 1 if it was shown, 0 if stdout is (or just got) closed."""
    if out.as_json or closed:
        return 0
    progress.clear()
    scheduled = f", scheduled for {when(batch.send_at)}" if batch.send_at else ""
    try:
        out.line(f"Sent batch {batch.batch_id} to {len(batch.recipients)} recipient(s){scheduled}")
        out.stream.flush()
    except BrokenPipeError:
        return 0
    return 1


def _interrupted(
    ctx: Context,
    batches: list[MtBatchTextSmsCreate],
    sent: list[BatchResult],
    in_flight: MtBatchTextSmsCreate | None,
) -> None:
    err = ctx.err
    ids = ", ".join(b.batch_id for b in sent) or "none"
    err.write(f"xms: interrupted: {len(sent)} of {len(batches)} batches were sent ({ids})\n")
    if in_flight is not None:
        first = in_flight.recipients[0]
        err.write(
            f"xms: batch {len(sent) + 1} ({len(in_flight.recipients)} recipient(s), from"
            f" {first}) was being sent and may have been created: check `xms batches list`"
            " before sending it again\n"
        )


def _output_closed(ctx: Context, sent: list[BatchResult], shown: int) -> None:
    """Say on stderr what stdout could not show, then stop with status 141."""
    err = ctx.err
    err.write(
        f"xms: stdout was closed; the send went on: all {len(sent)} batches were sent."
        f" Not shown on stdout ({len(sent) - shown}):\n"
    )
    for batch in sent[shown:]:
        err.write(f"  {batch.batch_id} to {len(batch.recipients)} recipient(s)\n")
    raise OutputClosedError


def dry_run(args: argparse.Namespace, ctx: Context) -> int:
    """Show what sending would do, per recipient on request; send nothing."""
    return _dry_run(ctx, build_batches(args), args.per_recipient)


def _dry_run(ctx: Context, batches: list[MtBatchTextSmsCreate], per_recipient: int | None) -> int:
    client = ctx.client()
    remaining = per_recipient or 0
    recipients = messages = 0
    rows: list[DryRunPerRecipient] = []
    for batch in batches:
        wanted = min(remaining - len(rows), len(batch.recipients))
        result = client.create_batch_dry_run(batch, wanted if wanted > 0 else None)
        recipients += result.number_of_recipients
        messages += result.number_of_messages
        rows.extend(result.per_recipient)
    total = MtBatchDryRunResult(
        number_of_recipients=recipients, number_of_messages=messages, per_recipient=tuple(rows)
    )
    out = ctx.out
    if out.as_json:
        out.json(total)
        return 0
    out.line("Dry run: nothing was sent.")
    out.fields(
        [
            ("batches", len(batches) if len(batches) > 1 else None),
            ("recipients", total.number_of_recipients),
            ("messages", total.number_of_messages),
        ]
    )
    if rows:
        out.line()
        out.table(
            ("RECIPIENT", "PARTS", "ENCODING", "BODY"),
            [(r.recipient, r.number_of_parts, r.encoding, clean(r.body)) for r in rows],
        )
    return 0
