"""`main`: parse the command line, run one command, turn failures into exit statuses."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from typing import TextIO

from transports.cli._context import ENV_CALLBACK_SECRET, ENV_TOKEN, Context
from transports.cli._output import Output, UsageError
from transports.cli._parser import build_parser
from xms_core.exceptions import ApiException, ErrorResponseException, TransportException

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_API = 3
EXIT_TRANSPORT = 4
EXIT_INTERRUPTED = 130

_MIN_SECRET_LENGTH = 6


def _status(code: object) -> int:
    """The exit status that `SystemExit(code)` stands for."""
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_USAGE


EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, as a shell reports a program stopped by a closed pipe."""


def main(
    argv: list[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run the `xms` command line.

    Args:
        argv: The arguments without the program name; `sys.argv[1:]` when None.
        stdout: Where results go; `sys.stdout` when None.
        stderr: Where errors and progress go; `sys.stderr` when None.
        env: The environment to read the configuration from; `os.environ` when None.

    Returns:
        The exit status: 0 success, 2 usage error (nothing was sent), 3 XMS answered
        with an error, 4 no answer from XMS, 130 interrupted.
    """
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    environ = os.environ if env is None else env
    arguments = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    complaint = io.StringIO()
    try:
        # argparse prints help and usage errors on sys.stdout and sys.stderr itself.
        with redirect_stdout(out), redirect_stderr(complaint):
            args = parser.parse_args(arguments)
    except SystemExit as exc:
        # "unrecognized arguments" would quote a token given to a mistyped flag.
        text = _redacted(complaint.getvalue(), _tokens(arguments, environ))
        err.write(text)
        status = _status(exc.code)
        if status != EXIT_OK and "--json" in arguments:
            lines = [line for line in text.splitlines() if line.strip()]
            message = lines[-1].removeprefix("xms: ") if lines else "usage error"
            _json_error(out, "UsageError", message, status)
        return status
    context = Context(args, out=Output(out, as_json=args.json), err=err, env=environ)
    try:
        return int(args.run(args, context))
    except BrokenPipeError:
        # The reader went away (`xms batches list | head -1`): stop quietly, and keep
        # the interpreter's final flush of stdout from failing again.
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (UsageError, TypeError, ValueError, ApiException, KeyboardInterrupt) as exc:
        status, message = _failure(exc)
        message = _redacted(message, _tokens(arguments, environ))
        err.write(f"xms: {message}\n")
        if args.json and not context.out.written:  # stdout keeps one JSON document
            code = exc.error_code if isinstance(exc, ErrorResponseException) else None
            detail = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
            detail = _redacted(detail, _tokens(arguments, environ))
            _json_error(out, type(exc).__name__, detail, status, code)
        return status
    finally:
        context.close()


def _json_error(
    out: TextIO, error: str, message: str, status: int, code: str | None = None
) -> None:
    """Write a failure as one JSON object on stdout, for scripts reading `--json` output."""
    document: dict[str, object] = {"error": error, "message": message, "exit_status": status}
    if code is not None:
        document["code"] = code
    with contextlib.suppress(BrokenPipeError, ValueError):  # a closed reader needs no answer
        out.write(json.dumps(document, ensure_ascii=False) + "\n")
        out.flush()


def _tokens(argv: list[str], env: Mapping[str, str]) -> list[str]:
    """The secrets this run may know of: `XMS_TOKEN`, `XMS_CALLBACK_SECRET` and flag values.

    Any flag with `tok` or `secr` in its name counts, so that a mistyped
    `--tokn VALUE`, which argparse quotes in its complaint, is caught too.
    """
    found = [env.get(ENV_TOKEN, ""), env.get(ENV_CALLBACK_SECRET, "")]
    for i, arg in enumerate(argv):
        name, equals, value = arg.partition("=")
        if not name.startswith("--") or not any(w in name.lower() for w in ("tok", "secr")):
            continue
        if equals:
            found.append(value)
        elif i + 1 < len(argv):
            found.append(argv[i + 1])
    # Short values (the simulator's stand-in `token`) would blank out ordinary words.
    return sorted({t for t in found if len(t) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)


def _redacted(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "<redacted>")
    return text


def _failure(exc: BaseException) -> tuple[int, str]:
    """The exit status and the one-line message for a failed command."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, TransportException):
        return EXIT_TRANSPORT, f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ApiException):
        return EXIT_API, f"{type(exc).__name__}: {exc}"
    # A UsageError, or a TypeError/ValueError from the SDK's validators: raised while
    # a value was built, before anything was sent; the message names the field.
    return EXIT_USAGE, f"error: {exc}"
