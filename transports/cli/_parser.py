"""The `xms` argument parser: global options and every command's flags.

The connection options (`--service-plan-id`, `--token`, `--endpoint`, `--region`,
`--timeout`, `--retries`, `--json`) are accepted before the command and after it;
given after it, they win.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime

from transports.cli import _commands, _send, _simulate
from transports.cli._context import ENV_ENDPOINT, ENV_SERVICE_PLAN_ID, ENV_TOKEN, REGIONS
from transports.simulator._command import add_options as add_simulator_options
from xms_core import DEFAULT_TIMEOUT, __version__
from xms_core.api import ReportType

EPILOG = f"""\
configuration:
  {ENV_SERVICE_PLAN_ID}   the service plan id (or --service-plan-id)
  {ENV_TOKEN}             the API token; prefer it to --token, which other users
                        of the machine can see in the process list
  {ENV_ENDPOINT}          the base URL, e.g. http://127.0.0.1:8080/xms from
                        `xms simulate` (or --endpoint, or --region)

exit status:
  0  success
  2  usage error: bad flags, missing configuration, or a value the SDK rejects
     (a bad phone number, a bad CSV row); nothing was sent
  3  XMS answered with an error (ErrorResponseException, NotFoundException,
     UnauthorizedException, UnexpectedResponseException)
  4  no answer from XMS (TransportException: connect failure, timeout, dropped
     connection)
  130  interrupted (Ctrl-C)

The token is never printed."""

_FORMATTER = argparse.RawDescriptionHelpFormatter


def _timestamp(text: str) -> datetime:
    """An ISO 8601 time with a zone; `Z` is accepted for UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2026-05-01T09:00:00+02:00"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone (add Z or +HH:MM)")
    return value


def _day(text: str) -> date:
    """An ISO 8601 date, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-05-01") from None


def _at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least {low}")
    return value


def _positive(text: str) -> int:
    """An integer of at least 1."""
    return _at_least(text, 1)


def _count(text: str) -> int:
    """An integer of at least 0."""
    return _at_least(text, 0)


def _connection_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Add the options every command shares; below the top level they default to absent."""

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    group = parser.add_argument_group("connection and output")
    group.add_argument(
        "--service-plan-id",
        metavar="ID",
        help=f"the service plan id (default: ${ENV_SERVICE_PLAN_ID})",
        default=default(None),
    )
    group.add_argument(
        "--token",
        help=f"the API token; avoid it, set ${ENV_TOKEN} instead: other users can"
        " read command lines",
        default=default(None),
    )
    group.add_argument(
        "--endpoint",
        metavar="URL",
        help=f"the XMS base URL (default: ${ENV_ENDPOINT})",
        default=default(None),
    )
    group.add_argument(
        "--region", choices=sorted(REGIONS), help="use a regional endpoint", default=default(None)
    )
    group.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"connect and read timeout (default: {DEFAULT_TIMEOUT:g})",
        default=default(DEFAULT_TIMEOUT),
    )
    group.add_argument(
        "--retries",
        type=_count,
        metavar="N",
        help="retry a failed request up to N times when that is safe (default: 2)",
        default=default(2),
    )
    group.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document instead of tables",
        default=False if top else argparse.SUPPRESS,
    )


def _leaf(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help=text, description=text, formatter_class=_FORMATTER, allow_abbrev=False
    )
    _connection_options(parser, top=False)
    return parser


def _resource(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add a command with actions below it, e.g. `batches` (list, show, cancel)."""
    parser = commands.add_parser(name, help=text, description=text, allow_abbrev=False)
    return parser.add_subparsers(
        dest="action", metavar="ACTION", required=True, help="what to do (each has --help)"
    )


def _listing(parser: argparse.ArgumentParser, *, dates: bool = True) -> None:
    parser.add_argument("--page-size", type=int, metavar="N", help="items per request (1-100)")
    parser.add_argument("--limit", type=_positive, metavar="N", help="show at most N items")
    if dates:
        parser.add_argument("--start-date", type=_day, metavar="DATE", help="from this day on")
        parser.add_argument("--end-date", type=_day, metavar="DATE", help="before this day")


def _message_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="sender", metavar="SENDER", help="the originator")
    targets = parser.add_mutually_exclusive_group(required=True)
    targets.add_argument("--to", action="append", metavar="MSISDN", help="a recipient (repeatable)")
    targets.add_argument(
        "--csv",
        metavar="FILE",
        help="recipients and template parameters: a header line, then one row per recipient",
    )
    parser.add_argument(
        "--body", required=True, metavar="TEXT", help="the text, or a template like 'Hi ${name}'"
    )
    kinds = [kind.value for kind in ReportType]
    parser.add_argument(
        "--delivery-report",
        choices=kinds,
        metavar="KIND",
        help=f"the delivery report to ask for: {', '.join(kinds)}",
    )
    parser.add_argument("--send-at", type=_timestamp, metavar="ISO", help="when to send")
    parser.add_argument("--expire-at", type=_timestamp, metavar="ISO", help="when to give up")
    parser.add_argument("--callback-url", metavar="URL", help="where XMS posts delivery reports")
    parser.add_argument("--client-reference", metavar="REF", help="your reference for the batch")
    parser.add_argument("--tag", action="append", metavar="TAG", help="a tag (repeatable)")
    parser.add_argument(
        "--per-recipient",
        type=_positive,
        metavar="N",
        help="in a dry run, show the first N recipients' bodies and encodings",
    )


def _batches(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = _leaf(commands, "send", "send a text message to recipients or to a CSV list")
    _message_options(send)
    send.add_argument("--dry-run", action="store_true", help="only show what would be sent")
    send.set_defaults(run=_send.send)
    dry = _leaf(commands, "dry-run", "show what a send would do, sending nothing")
    _message_options(dry)
    dry.set_defaults(run=_send.dry_run)

    sub = _resource(commands, "batches", "list, show and cancel batches; show and change tags")
    listing = _leaf(sub, "list", "list batches, newest first")
    _listing(listing)
    listing.add_argument(
        "--from",
        dest="senders",
        action="append",
        metavar="SENDER",
        help="only batches from this sender (repeatable)",
    )
    listing.add_argument(
        "--tag", dest="tags", action="append", metavar="TAG", help="only batches with this tag"
    )
    listing.add_argument(
        "--client-reference", metavar="REF", help="only batches with this client reference"
    )
    listing.set_defaults(run=_commands.batches_list)
    show = _leaf(sub, "show", "show one batch")
    show.add_argument("batch_id", metavar="ID", help="the batch id")
    show.set_defaults(run=_commands.batches_show)
    cancel = _leaf(sub, "cancel", "cancel a batch's undelivered messages")
    cancel.add_argument("batch_id", metavar="ID", help="the batch id")
    cancel.set_defaults(run=_commands.batches_cancel)
    tags = _leaf(sub, "tags", "show a batch's tags, or replace, add and remove them")
    tags.add_argument("batch_id", metavar="ID", help="the batch id")
    _tag_changes(tags)
    tags.set_defaults(run=_commands.batches_tags)


def _tag_changes(parser: argparse.ArgumentParser) -> None:
    """Add the flags of `batches tags` and `groups tags`; with none, the tags are shown."""
    parser.add_argument(
        "--set", action="append", metavar="TAG", help="replace every tag by these (repeatable)"
    )
    parser.add_argument("--clear", action="store_true", help="remove every tag")
    parser.add_argument("--add", action="append", metavar="TAG", help="add a tag (repeatable)")
    parser.add_argument(
        "--remove", action="append", metavar="TAG", help="remove a tag (repeatable)"
    )


def _reports(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _resource(commands, "reports", "delivery reports")
    summary = _leaf(sub, "summary", "count a batch's messages by delivery status")
    summary.add_argument("batch_id", metavar="BATCH_ID", help="the batch id")
    summary.set_defaults(run=_commands.reports_batch, kind="summary")
    full = _leaf(sub, "full", "a batch's delivery statuses with their recipients")
    full.add_argument("batch_id", metavar="BATCH_ID", help="the batch id")
    full.set_defaults(run=_commands.reports_batch, kind="full")
    for parser in (summary, full):
        _report_filters(parser)
    recipient = _leaf(sub, "recipient", "the delivery report of one recipient")
    recipient.add_argument("batch_id", metavar="BATCH_ID", help="the batch id")
    recipient.add_argument("recipient", metavar="MSISDN", help="one of the batch's recipients")
    recipient.set_defaults(run=_commands.reports_recipient)
    listing = _leaf(sub, "list", "list finished recipient delivery reports")
    _listing(listing)
    _report_filters(listing)
    listing.add_argument(
        "--client-reference", metavar="REF", help="only reports of batches with this reference"
    )
    listing.set_defaults(run=_commands.reports_list)


def _report_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--status",
        action="append",
        metavar="S",
        help="only this delivery status, e.g. Delivered (repeatable)",
    )
    parser.add_argument(
        "--code",
        action="append",
        type=int,
        metavar="C",
        help="only this delivery code, e.g. 0 (repeatable)",
    )


def _groups(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _resource(commands, "groups", "recipient groups")
    create = _leaf(sub, "create", "create a group")
    create.add_argument("--name", required=True, help="the group's name")
    create.add_argument("--member", action="append", metavar="MSISDN", help="a member (repeatable)")
    create.add_argument(
        "--child", action="append", metavar="GROUP_ID", help="a child group (repeatable)"
    )
    create.add_argument("--tag", action="append", metavar="TAG", help="a tag (repeatable)")
    create.set_defaults(run=_commands.groups_create)
    listing = _leaf(sub, "list", "list groups")
    _listing(listing, dates=False)
    listing.add_argument(
        "--tag", dest="tags", action="append", metavar="TAG", help="only groups with this tag"
    )
    listing.set_defaults(run=_commands.groups_list)
    show = _leaf(sub, "show", "show one group: members, child groups, auto-update rules and tags")
    show.add_argument("group_id", metavar="ID", help="the group id")
    show.set_defaults(run=_commands.groups_show)
    members = _leaf(sub, "members", "list a group's members")
    members.add_argument("group_id", metavar="ID", help="the group id")
    members.set_defaults(run=_commands.groups_members)
    delete = _leaf(sub, "delete", "delete a group")
    delete.add_argument("group_id", metavar="ID", help="the group id")
    delete.set_defaults(run=_commands.groups_delete)
    tags = _leaf(sub, "tags", "show a group's tags, or replace, add and remove them")
    tags.add_argument("group_id", metavar="ID", help="the group id")
    _tag_changes(tags)
    tags.set_defaults(run=_commands.groups_tags)
    update = _leaf(sub, "update", "rename a group or change its members")
    update.add_argument("group_id", metavar="ID", help="the group id")
    naming = update.add_mutually_exclusive_group()
    naming.add_argument("--name", help="the new name")
    naming.add_argument("--clear-name", action="store_true", help="remove the name")
    update.add_argument(
        "--add", action="append", metavar="MSISDN", help="add a member (repeatable)"
    )
    update.add_argument(
        "--remove", action="append", metavar="MSISDN", help="remove a member (repeatable)"
    )
    update.add_argument("--add-from-group", metavar="GROUP_ID", help="add its members")
    update.add_argument("--remove-from-group", metavar="GROUP_ID", help="remove its members")
    update.set_defaults(run=_commands.groups_update)


def _inbounds(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _resource(commands, "inbounds", "inbound (MO) messages")
    listing = _leaf(sub, "list", "list inbound messages, newest first")
    _listing(listing)
    listing.add_argument(
        "--to",
        dest="recipients",
        action="append",
        metavar="NUMBER",
        help="only messages sent to this number or short code (repeatable)",
    )
    listing.set_defaults(run=_commands.inbounds_list)
    show = _leaf(sub, "show", "show one inbound message")
    show.add_argument("inbound_id", metavar="ID", help="the inbound message id")
    show.set_defaults(run=_commands.inbounds_show)


def _simulator(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "serve an in-memory XMS on a loopback address until Ctrl-C"
    simulate = commands.add_parser(
        "simulate",
        help=text,
        description=f"{text} (the same as `python -m transports.simulator`)",
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    add_simulator_options(simulate)
    simulate.set_defaults(run=_simulate.simulate)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of the `xms` command line."""
    parser = argparse.ArgumentParser(
        prog="xms",
        description="Send SMS and read delivery reports, groups and inbound messages over XMS.",
        epilog=EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    parser.add_argument(
        "--version", action="version", version=f"xms {__version__}", help="show the version"
    )
    _connection_options(parser, top=True)
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, help="what to do (each has --help)"
    )
    _batches(commands)
    _reports(commands)
    _groups(commands)
    _inbounds(commands)
    _simulator(commands)
    return parser
