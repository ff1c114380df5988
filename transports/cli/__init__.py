"""`xms`, the command line of the xms SDK (`python -m transports.cli`).

Send SMS (to `--to` recipients, or templated from a CSV file, split into batches
of at most 1000), dry runs, batches, delivery reports, groups and inbound
messages, and `xms simulate` to serve an offline XMS on 127.0.0.1. It uses the
ordinary `Client` over `requests`.

Configuration: `--service-plan-id`, `--token`, `--endpoint` or `--region`,
`--timeout`, `--retries`, falling back to the environment variables
`XMS_SERVICE_PLAN_ID`, `XMS_TOKEN` (preferred to `--token`, which other users can
see in the process list) and `XMS_ENDPOINT`. `--json` prints one JSON document
instead of tables. The token is never printed.

Exit status:

* 0: success.
* 2: usage error: bad flags, missing configuration, a value the SDK's validators
  reject (a bad MSISDN, a bad CSV row): nothing was sent.
* 3: XMS answered with an error: `ErrorResponseException`, `NotFoundException`,
  `UnauthorizedException`, `UnexpectedResponseException`.
* 4: no answer from XMS: the `TransportException` family (connect failure,
  timeout, dropped connection).
* 130: interrupted (Ctrl-C).
"""

from __future__ import annotations

from transports.cli._main import main

__all__ = ["main"]
