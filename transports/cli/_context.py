"""What every command gets: where to print, and a `Client` built from flags and environment.

Configuration comes from the flags, then the environment (`XMS_SERVICE_PLAN_ID`,
`XMS_TOKEN`, `XMS_ENDPOINT`), then the defaults. The client is built only when a
command first asks for it, so a usage mistake never needs credentials.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TextIO, final

from transports import Client
from transports.cli._output import Output, UsageError
from xms_core import (
    AU_ENDPOINT,
    BR_ENDPOINT,
    CA_ENDPOINT,
    DEFAULT_ENDPOINT,
    EU_ENDPOINT,
    US_ENDPOINT,
    RetryPolicy,
)

ENV_SERVICE_PLAN_ID = "XMS_SERVICE_PLAN_ID"
ENV_TOKEN = "XMS_TOKEN"  # noqa: S105 - the variable's name, not a secret
ENV_CALLBACK_SECRET = "XMS_CALLBACK_SECRET"  # noqa: S105 - the variable's name
ENV_ENDPOINT = "XMS_ENDPOINT"

REGIONS: Mapping[str, str] = {
    "us": US_ENDPOINT,
    "eu": EU_ENDPOINT,
    "au": AU_ENDPOINT,
    "br": BR_ENDPOINT,
    "ca": CA_ENDPOINT,
}


def endpoint_of(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    """Pick the endpoint: `--endpoint`, `--region`, `XMS_ENDPOINT`, then the default."""
    if args.endpoint is not None and args.region is not None:
        raise UsageError("--endpoint and --region: give one or the other, not both")
    if args.endpoint is not None:
        return str(args.endpoint)
    if args.region is not None:
        return REGIONS[args.region]
    return env.get(ENV_ENDPOINT) or DEFAULT_ENDPOINT


@final
class Context:
    """The output streams, the environment and (on demand) the client of one run.

    Args:
        args: The parsed command line.
        out: Where results go.
        err: Where messages and the progress bar go.
        env: The environment variables to read.
    """

    def __init__(
        self, args: argparse.Namespace, *, out: Output, err: TextIO, env: Mapping[str, str]
    ) -> None:
        self.args = args
        self.out = out
        self.err = err
        self.env = env
        self._client: Client | None = None

    def __repr__(self) -> str:
        return f"Context(command={getattr(self.args, 'command', None)!r})"

    def client(self) -> Client:
        """Return the client, building it on the first call.

        Raises:
            UsageError: The service plan id or the token is missing.
            ValueError: The SDK rejected a setting (it names the field, never the token).
        """
        if self._client is None:
            plan = self.args.service_plan_id or self.env.get(ENV_SERVICE_PLAN_ID)
            if not plan:
                raise UsageError(
                    f"no service plan id: set {ENV_SERVICE_PLAN_ID} or pass --service-plan-id"
                )
            token = self.args.token or self.env.get(ENV_TOKEN)
            if not token:
                raise UsageError(
                    f"no API token: set {ENV_TOKEN} (--token works too, but other users"
                    " of this machine can read command lines)"
                )
            try:
                from transports.requests import RequestsTransport  # noqa: PLC0415 - an extra
            except ImportError:
                raise UsageError("xms needs requests: pip install 'xms[requests]'") from None
            self._client = Client(
                plan,
                token,
                endpoint_of(self.args, self.env),
                self.args.timeout,
                transport=RequestsTransport(),
                retry=RetryPolicy(attempts=self.args.retries + 1),
            )
        return self._client

    def close(self) -> None:
        """Close the client's connections, if a client was built."""
        if self._client is not None:
            self._client.close()
            self._client = None


Handler = Callable[[argparse.Namespace, Context], int]
"""What runs a command: it prints through `context.out` and returns the exit status."""
