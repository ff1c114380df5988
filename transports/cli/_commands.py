"""The commands over existing resources: batches, delivery reports, groups and inbounds.

Each handler calls one `Client` method (listings page lazily and stop at
`--limit`) and prints the result through `Context.out`: one JSON document with
`--json`, otherwise a table or an aligned list of fields.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

from transports.cli._context import Context
from transports.cli._output import Output, UsageError, body_text, short, when
from xms_core import to_json
from xms_core.api import (
    RESET,
    BatchDeliveryReport,
    BatchRecipientDeliveryReport,
    GroupCreate,
    GroupResult,
    GroupUpdate,
    MoBinarySms,
    MoTextSms,
    MtBatchBinarySmsResult,
    MtBatchTextSmsResult,
)

T = TypeVar("T")
_RECIPIENTS_SHOWN = 10


def _first(items: Iterator[T], limit: int | None) -> list[T]:
    return list(islice(items, limit))


def _recipients(recipients: tuple[str, ...]) -> str:
    if len(recipients) <= _RECIPIENTS_SHOWN:
        return ", ".join(recipients)
    shown = ", ".join(recipients[:_RECIPIENTS_SHOWN])
    return f"{shown}, ... ({len(recipients)} in all)"


# --------------------------------------------------------------------------- batches

Batch = MtBatchTextSmsResult | MtBatchBinarySmsResult


def _show_batch(out: Output, batch: Batch) -> None:
    parameters = getattr(batch, "parameters", {})
    out.fields(
        [
            ("id", batch.batch_id),
            ("type", "text" if isinstance(batch, MtBatchTextSmsResult) else "binary"),
            ("from", batch.sender),
            ("to", _recipients(batch.recipients)),
            ("body", short(body_text(batch.body), 200)),
            ("udh", batch.udh.hex() if isinstance(batch, MtBatchBinarySmsResult) else None),
            ("parameters", ", ".join(parameters)),
            ("delivery report", batch.delivery_report),
            ("send at", batch.send_at),
            ("expire at", batch.expire_at),
            ("callback url", batch.callback_url),
            ("client reference", batch.client_reference),
            ("tags", batch.tags),
            ("created", batch.created_at),
            ("modified", batch.modified_at),
            ("canceled", batch.canceled),
        ]
    )


def batches_list(args: argparse.Namespace, ctx: Context) -> int:
    """`xms batches list`: batches, newest first."""
    pages = ctx.client().fetch_batches(
        page_size=args.page_size,
        senders=args.senders,
        tags=args.tags,
        start_date=args.start_date,
        end_date=args.end_date,
        client_reference=args.client_reference,
    )
    batches = _first(pages.items(), args.limit)
    if ctx.out.as_json:
        ctx.out.json(batches)
        return 0
    ctx.out.table(
        ("ID", "FROM", "TO", "CREATED", "CANCELED", "BODY"),
        [
            (
                b.batch_id,
                b.sender,
                b.recipients[0] if len(b.recipients) == 1 else f"{len(b.recipients)} recipients",
                b.created_at,
                b.canceled,
                short(body_text(b.body)),
            )
            for b in batches
        ],
    )
    return 0


def batches_show(args: argparse.Namespace, ctx: Context) -> int:
    """`xms batches show ID`."""
    batch = ctx.client().fetch_batch(args.batch_id)
    if ctx.out.as_json:
        ctx.out.json(batch)
    else:
        _show_batch(ctx.out, batch)
    return 0


def batches_cancel(args: argparse.Namespace, ctx: Context) -> int:
    """`xms batches cancel ID`: messages not yet dispatched are cancelled."""
    batch = ctx.client().cancel_batch(args.batch_id)
    if ctx.out.as_json:
        ctx.out.json(batch)
    else:
        ctx.out.line(f"Cancelled batch {batch.batch_id}")
    return 0


# --------------------------------------------------------------------------- delivery reports


def reports_batch(args: argparse.Namespace, ctx: Context) -> int:
    """`xms reports summary|full BATCH_ID`: message counts by status (and recipients)."""
    report: BatchDeliveryReport = ctx.client().fetch_delivery_report(
        args.batch_id, args.kind, status=args.status, code=args.code
    )
    out = ctx.out
    if out.as_json:
        out.json(report)
        return 0
    out.fields(
        [
            ("batch", report.batch_id),
            ("messages", report.total_message_count),
            ("client reference", report.client_reference),
        ]
    )
    out.line()
    if args.kind == "full":
        out.table(
            ("STATUS", "CODE", "COUNT", "RECIPIENTS"),
            [(s.status, s.code, s.count, s.recipients) for s in report.statuses],
        )
    else:
        out.table(
            ("STATUS", "CODE", "COUNT"), [(s.status, s.code, s.count) for s in report.statuses]
        )
    return 0


def reports_recipient(args: argparse.Namespace, ctx: Context) -> int:
    """`xms reports recipient BATCH_ID MSISDN`."""
    report = ctx.client().fetch_recipient_delivery_report(args.batch_id, args.recipient)
    if ctx.out.as_json:
        ctx.out.json(report)
        return 0
    ctx.out.fields(
        [
            ("batch", report.batch_id),
            ("recipient", report.recipient),
            ("status", report.status),
            ("code", report.code),
            ("at", report.status_at),
            ("status message", report.status_message),
            ("operator", report.operator),
            ("operator status at", report.operator_status_at),
            ("client reference", report.client_reference),
            ("applied originator", report.applied_originator),
            ("parts", report.number_of_message_parts),
            ("encoding", report.encoding),
        ]
    )
    return 0


def reports_list(args: argparse.Namespace, ctx: Context) -> int:
    """`xms reports list`: finished recipient delivery reports across batches."""
    pages = ctx.client().fetch_delivery_reports(
        page_size=args.page_size,
        start_date=args.start_date,
        end_date=args.end_date,
        status=args.status,
        code=args.code,
        client_reference=args.client_reference,
    )
    reports: list[BatchRecipientDeliveryReport] = _first(pages.items(), args.limit)
    if ctx.out.as_json:
        ctx.out.json(reports)
        return 0
    ctx.out.table(
        ("BATCH", "RECIPIENT", "STATUS", "CODE", "AT"),
        [(r.batch_id, r.recipient, r.status, r.code, r.status_at) for r in reports],
    )
    return 0


# --------------------------------------------------------------------------- groups


def _show_group(out: Output, group: GroupResult) -> None:
    rule = group.auto_update
    out.fields(
        [
            ("id", group.group_id),
            ("name", group.name),
            ("size", group.size),
            ("child groups", group.child_groups),
            ("auto update to", rule.recipient if rule else None),
            ("add keywords", " ".join(w for w in rule.add_word_pair if w) if rule else None),
            ("remove keywords", " ".join(w for w in rule.remove_word_pair if w) if rule else None),
            ("created", group.created_at),
            ("modified", group.modified_at),
        ]
    )


def _group_result(ctx: Context, group: GroupResult, action: str) -> int:
    if ctx.out.as_json:
        ctx.out.json(group)
    else:
        if action:
            ctx.out.line(f"{action} group {group.group_id}")
        _show_group(ctx.out, group)
    return 0


def groups_create(args: argparse.Namespace, ctx: Context) -> int:
    """`xms groups create --name N`."""
    group = GroupCreate(
        name=args.name,
        members=args.member or (),
        child_groups=args.child or (),
        tags=args.tag or (),
    )
    return _group_result(ctx, ctx.client().create_group(group), "Created")


def groups_list(args: argparse.Namespace, ctx: Context) -> int:
    """`xms groups list`."""
    pages = ctx.client().fetch_groups(page_size=args.page_size, tags=args.tags)
    groups = _first(pages.items(), args.limit)
    if ctx.out.as_json:
        ctx.out.json(groups)
        return 0
    ctx.out.table(
        ("ID", "NAME", "SIZE", "CHILD GROUPS", "CREATED"),
        [(g.group_id, g.name, g.size, g.child_groups, g.created_at) for g in groups],
    )
    return 0


def groups_show(args: argparse.Namespace, ctx: Context) -> int:
    """`xms groups show ID`: the group with its members, child groups, rules and tags."""
    client = ctx.client()
    group = client.fetch_group(args.group_id)
    members = client.fetch_group_members(args.group_id)
    tags = client.fetch_group_tags(args.group_id)
    if ctx.out.as_json:
        document = to_json(group)
        if isinstance(document, dict):  # a GroupResult always gives a dict
            document.update(members=to_json(members), tags=to_json(tags))
        ctx.out.json(document)
        return 0
    _show_group(ctx.out, group)
    ctx.out.fields([("tags", sorted(tags)), ("members", sorted(members))])
    return 0


def groups_delete(args: argparse.Namespace, ctx: Context) -> int:
    """`xms groups delete ID`."""
    ctx.client().delete_group(args.group_id)
    if ctx.out.as_json:
        ctx.out.json({"deleted": args.group_id})
    else:
        ctx.out.line(f"Deleted group {args.group_id}")
    return 0


# --------------------------------------------------------------------------- tags


def _tags(args: argparse.Namespace, ctx: Context, resource: str, identifier: str) -> int:
    """Show, replace, or add and remove the tags of a batch or a group."""
    client = ctx.client()
    changes = bool(args.add or args.remove)
    if args.set is not None or args.clear:
        if changes:
            raise UsageError("--set/--clear replace every tag: do not mix them with --add/--remove")
        replace = client.replace_batch_tags if resource == "batch" else client.replace_group_tags
        tags = replace(identifier, args.set or ())
    elif changes:
        update = client.update_batch_tags if resource == "batch" else client.update_group_tags
        tags = update(identifier, args.add or (), args.remove or ())
    else:
        fetch = client.fetch_batch_tags if resource == "batch" else client.fetch_group_tags
        tags = fetch(identifier)
    if ctx.out.as_json:
        ctx.out.json(tags)
    else:
        for tag in sorted(tags):
            ctx.out.line(tag)
    return 0


def batches_tags(args: argparse.Namespace, ctx: Context) -> int:
    """`xms batches tags ID [--set T | --clear | --add T --remove T]`."""
    return _tags(args, ctx, "batch", args.batch_id)


def groups_tags(args: argparse.Namespace, ctx: Context) -> int:
    """`xms groups tags ID [--set T | --clear | --add T --remove T]`."""
    return _tags(args, ctx, "group", args.group_id)


def groups_members(args: argparse.Namespace, ctx: Context) -> int:
    """`xms groups members ID`: one MSISDN per line."""
    members = ctx.client().fetch_group_members(args.group_id)
    if ctx.out.as_json:
        ctx.out.json(members)
    else:
        for member in members:
            ctx.out.line(member)
    return 0


def groups_update(args: argparse.Namespace, ctx: Context) -> int:
    """`xms groups update ID`: rename, add and remove members."""
    update = GroupUpdate(
        name=RESET if args.clear_name else args.name,
        member_insertions=args.add or (),
        member_removals=args.remove or (),
        add_from_group=args.add_from_group,
        remove_from_group=args.remove_from_group,
    )
    if update == GroupUpdate():
        raise UsageError(
            "nothing to change: give --name, --clear-name, --add, --remove,"
            " --add-from-group or --remove-from-group"
        )
    return _group_result(ctx, ctx.client().update_group(args.group_id, update), "Updated")


# --------------------------------------------------------------------------- inbounds


def _inbound_rows(messages: Iterable[MoTextSms | MoBinarySms]) -> list[tuple[object, ...]]:
    return [
        (m.message_id, m.sender, m.recipient, m.received_at, short(body_text(m.body)))
        for m in messages
    ]


def inbounds_list(args: argparse.Namespace, ctx: Context) -> int:
    """`xms inbounds list`: inbound messages, newest first."""
    pages = ctx.client().fetch_inbounds(
        page_size=args.page_size,
        recipients=args.recipients,
        start_date=args.start_date,
        end_date=args.end_date,
    )
    messages = _first(pages.items(), args.limit)
    if ctx.out.as_json:
        ctx.out.json(messages)
        return 0
    ctx.out.table(("ID", "FROM", "TO", "RECEIVED", "BODY"), _inbound_rows(messages))
    return 0


def inbounds_show(args: argparse.Namespace, ctx: Context) -> int:
    """`xms inbounds show ID`."""
    message = ctx.client().fetch_inbound(args.inbound_id)
    if ctx.out.as_json:
        ctx.out.json(message)
        return 0
    ctx.out.fields(
        [
            ("id", message.message_id),
            ("type", "text" if isinstance(message, MoTextSms) else "binary"),
            ("from", message.sender),
            ("to", message.recipient),
            ("body", short(body_text(message.body), 1000)),
            ("udh", message.udh.hex() if isinstance(message, MoBinarySms) else None),
            ("keyword", message.keyword if isinstance(message, MoTextSms) else None),
            ("operator", message.operator),
            ("sent", when(message.sent_at)),
            ("received", message.received_at),
            ("client reference", message.client_reference),
        ]
    )
    return 0
