"""`AsyncClient`: every XMS operation, sent through any `AsyncTransport`.

No request building or parsing lives here: each method builds a core command
and hands it to `send`, which runs the retry loop of `xms_core.Exchange`. The
pause between retries is the transport's `sleep` in the async client, the
`sleep` argument in the blocking one; nothing else differs.

Written once, in `_async_client.py`; `_client.py` is generated from it by
`./dev unasync` (`tests/test_unasync.py` checks that it is up to date).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from types import TracebackType
from typing import TypeVar, final

from transports._client_common import (
    check_timeout,
    default_async_transport,
    settings_for,
    utc_now,
)
from transports.base import AsyncTransport
from xms_core import (
    DEFAULT_ENDPOINT,
    DEFAULT_TIMEOUT,
    ApiException,
    CancelBatch,
    ClientClosedException,
    Command,
    CreateBatch,
    CreateBatchDryRun,
    CreateGroup,
    DeleteGroup,
    Exchange,
    FetchBatch,
    FetchBatches,
    FetchBatchTags,
    FetchDeliveryReport,
    FetchDeliveryReports,
    FetchGroup,
    FetchGroupMembers,
    FetchGroups,
    FetchGroupTags,
    FetchInbound,
    FetchInbounds,
    FetchRecipientDeliveryReport,
    ReplaceBatch,
    ReplaceBatchTags,
    ReplaceGroup,
    ReplaceGroupTags,
    Retry,
    RetryPolicy,
    SendDeliveryFeedback,
    Settings,
    TransportException,
    UpdateBatch,
    UpdateBatchTags,
    UpdateGroup,
    UpdateGroupTags,
)
from xms_core._campaign import CreateOnce, Found
from xms_core._pages import AsyncPages
from xms_core.api import (
    BatchDeliveryReport,
    BatchRecipientDeliveryReport,
    GroupCreate,
    GroupResult,
    GroupUpdate,
    MoBinarySms,
    MoTextSms,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsResult,
    MtBatchBinarySmsUpdate,
    MtBatchDryRunResult,
    MtBatchTextSmsCreate,
    MtBatchTextSmsResult,
    MtBatchTextSmsUpdate,
)

T = TypeVar("T")
log = logging.getLogger("xms")

BatchCreate = MtBatchTextSmsCreate | MtBatchBinarySmsCreate
BatchResult = MtBatchTextSmsResult | MtBatchBinarySmsResult
BatchUpdate = MtBatchTextSmsUpdate | MtBatchBinarySmsUpdate
MoMessage = MoTextSms | MoBinarySms


@final
class AsyncClient:
    """Talks to XMS over a transport: any `AsyncTransport`, or the default one.

    Args:
        service_plan_id: The service plan identifier.
        token: The API token; it never appears in a repr, log line or exception.
        endpoint: The base URL, everything before `/v1/` (`DEFAULT_ENDPOINT`, or a
            regional one such as `xms_core.EU_ENDPOINT`).
        timeout: Connect and read timeout, in seconds; a whole attempt is bounded by
            the transport's deadline, by default twice this (see the README).
        transport: Any `AsyncTransport`; by default `default_async_transport()`: for a
            blocking client a `RequestsTransport`, for an async one the transport of
            the event loop it is first used on.
        retry: The retry policy; `RetryPolicy.off()` disables retries.
        user_agent: Overrides the `User-Agent` header.
        allow_insecure_http: Allow plain `http://` to a host that is not loopback.
        clock: The current time, for `Retry-After` dates.
        jitter: A source of numbers in [0, 1) for backoff jitter.
    """

    DEFAULT_ENDPOINT = DEFAULT_ENDPOINT
    DEFAULT_TIMEOUT = DEFAULT_TIMEOUT

    def __init__(
        self,
        service_plan_id: str,
        token: str,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        transport: AsyncTransport | None = None,
        retry: RetryPolicy | None = None,
        user_agent: str | None = None,
        allow_insecure_http: bool = False,
        clock: Callable[[], datetime] = utc_now,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings_for(
            service_plan_id, token, endpoint, user_agent, allow_insecure_http=allow_insecure_http
        )
        self._timeout = check_timeout(timeout)
        self._transport = transport if transport is not None else default_async_transport()
        self._closed = False
        self._retry = retry if retry is not None else RetryPolicy()
        self._clock = clock
        self._jitter = jitter

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        transport: AsyncTransport | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
    ) -> AsyncClient:
        """Build a client from ready `Settings`."""
        return cls(
            settings.service_plan_id,
            settings.token,
            settings.endpoint,
            timeout,
            transport=transport,
            retry=retry,
            user_agent=settings.user_agent,
            allow_insecure_http=settings.allow_insecure_http,
        )

    def __repr__(self) -> str:
        return (
            f"AsyncClient(service_plan_id={self.service_plan_id!r}, endpoint={self.endpoint!r},"
            f" timeout={self._timeout!r}, transport={self._transport!r})"
        )

    @property
    def service_plan_id(self) -> str:
        """The service plan identifier."""
        return self._settings.service_plan_id

    @property
    def token(self) -> str:
        """The API token (the reference's property; never shown in a repr or log)."""
        return self._settings.token

    @property
    def endpoint(self) -> str:
        """The XMS base URL."""
        return self._settings.endpoint

    @property
    def timeout(self) -> float:
        """The connect and read timeout, in seconds."""
        return self._timeout

    @property
    def settings(self) -> Settings:
        """The connection settings."""
        return self._settings

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        """Whether the client was closed; every request on it then raises at once."""
        return self._closed

    async def aclose(self) -> None:
        """Close the transport's connections; later requests raise `ClientClosedException`."""
        self._closed = True
        await self._transport.aclose()

    async def send(self, command: Command[T]) -> T:
        """Run any command, retrying as the policy allows, and return its result.

        Raises:
            ApiException: The request failed; see the exception tree.
            ClientClosedException: The client was closed (checked before every attempt).
        """
        exchange = Exchange(
            command, self._settings, self._retry, now=self._clock, jitter=self._jitter
        )
        request = exchange.request
        while True:
            if self._closed:
                raise ClientClosedException(f"{type(self).__name__} is closed")
            started = time.perf_counter()
            try:
                response = await self._transport.handle_async_request(
                    request, timeout=self._timeout
                )
            except TransportException as exc:
                log.debug("%s %s failed: %s", request.method, request.url, type(exc).__name__)
                step: T | Retry = exchange.on_error(exc)
            else:
                if log.isEnabledFor(logging.DEBUG):
                    elapsed = (time.perf_counter() - started) * 1000
                    log.debug(
                        "%s %s -> %d in %.1f ms",
                        request.method,
                        request.url,
                        response.status,
                        elapsed,
                    )
                step = exchange.on_response(response)
            if not isinstance(step, Retry):
                return step
            log.debug("retrying %s %s in %.2f s", request.method, request.url, step.delay)
            await self._transport.sleep(step.delay)

    # ------------------------------------------------------------------ batches

    async def create_text_message(self, sender: str, recipient: str, body: str) -> BatchResult:
        """Send a text message to one recipient."""
        batch = MtBatchTextSmsCreate(sender=sender, recipients=(recipient,), body=body)
        return await self.send(CreateBatch(batch=batch))

    async def create_binary_message(
        self, sender: str, recipient: str, udh: bytes, body: bytes
    ) -> BatchResult:
        """Send a binary message to one recipient."""
        batch = MtBatchBinarySmsCreate(sender=sender, recipients=(recipient,), udh=udh, body=body)
        return await self.send(CreateBatch(batch=batch))

    async def create_batch(self, batch: BatchCreate) -> BatchResult:
        """Send a text or binary batch."""
        return await self.send(CreateBatch(batch=batch))

    async def create_batch_once(
        self, batch: BatchCreate, *, since: datetime | None = None, attempts: int = 3
    ) -> BatchResult:
        """Create `batch` exactly once, finding out after an ambiguous failure whether it exists.

        `batch` must carry a `client_reference` that no other batch has. After a timeout,
        a connection lost once the request was written, a 5xx or an unreadable answer,
        the batches carrying that reference are listed (within a `start_date` window
        from the attempt on, since XMS lists only recent batches by default): exactly
        one is the batch and is returned; none means it never reached XMS, and it is
        sent again (at most `attempts` creates in all); several raise
        `DuplicateBatchesException`. The decisions are the core's `CreateOnce`.

        Args:
            batch: The batch, with its `client_reference`.
            since: When an earlier attempt may have been sent (e.g. before a crash): the
                batch is then looked up first and created only if it is not found.
            attempts: The most creates sent.

        Raises:
            DuplicateBatchesException: Several batches carry the reference.
            NotCreatedException: Every create failed and none reached XMS.
            ApiException: A failure that proves the batch was not created (a 4xx, a
                429, a connection never made), or a failed look-up (the batch may exist:
                call again with `since`).
        """
        plan = CreateOnce(batch, since=since, now=self._clock(), attempts=attempts)
        command: CreateBatch | FetchBatches = plan.first()
        while True:
            if isinstance(command, CreateBatch):
                started = self._clock()
                try:
                    return await self.send(command)
                except ApiException as exc:
                    command = plan.after_error(exc, started)
                continue
            found = [
                b
                async for b in AsyncPages(self.send, command).items()
                if b.client_reference == plan.reference
            ]
            verdict = plan.verdict(found)
            if isinstance(verdict, Found):
                return verdict.batch
            command = verdict.command

    async def create_batch_dry_run(
        self,
        batch: BatchCreate,
        num_recipients: int | None = None,
        *,
        per_recipient: bool | None = None,
    ) -> MtBatchDryRunResult:
        """Simulate sending `batch`; `num_recipients` asks for that many per-recipient rows."""
        return await self.send(
            CreateBatchDryRun(
                batch=batch, num_recipients=num_recipients, per_recipient=per_recipient
            )
        )

    async def replace_batch(self, batch_id: str, batch: BatchCreate) -> BatchResult:
        """Replace a batch with a new one."""
        return await self.send(ReplaceBatch(batch_id=batch_id, batch=batch))

    async def update_batch(self, batch_id: str, batch: BatchUpdate) -> BatchResult:
        """Change some fields of a batch."""
        return await self.send(UpdateBatch(batch_id=batch_id, batch=batch))

    async def cancel_batch(self, batch_id: str) -> BatchResult:
        """Cancel a batch and return it as cancelled."""
        return await self.send(CancelBatch(batch_id=batch_id))

    async def fetch_batch(self, batch_id: str) -> BatchResult:
        """Fetch one batch."""
        return await self.send(FetchBatch(batch_id=batch_id))

    def fetch_batches(
        self,
        page_size: int | None = None,
        senders: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        *,
        client_reference: str | None = None,
    ) -> AsyncPages[BatchResult]:
        """List batches lazily; no request is made until a page is asked for."""
        command = FetchBatches(
            page_size=page_size,
            senders=senders,
            tags=tags,
            start_date=start_date,
            end_date=end_date,
            client_reference=client_reference,
        )
        return AsyncPages(self.send, command)

    async def fetch_batch_tags(self, batch_id: str) -> tuple[str, ...]:
        """Fetch the tags of a batch."""
        return await self.send(FetchBatchTags(batch_id=batch_id))

    async def replace_batch_tags(self, batch_id: str, tags: Iterable[str]) -> tuple[str, ...]:
        """Replace the tags of a batch."""
        return await self.send(ReplaceBatchTags(batch_id=batch_id, tags=tags))

    async def update_batch_tags(
        self, batch_id: str, tags_to_add: Iterable[str], tags_to_remove: Iterable[str]
    ) -> tuple[str, ...]:
        """Add and remove tags of a batch."""
        return await self.send(
            UpdateBatchTags(
                batch_id=batch_id, tags_to_add=tags_to_add, tags_to_remove=tags_to_remove
            )
        )

    # ------------------------------------------------------------------ delivery reports

    async def fetch_delivery_report(
        self,
        batch_id: str,
        kind: str | None = None,
        status: Iterable[str] | None = None,
        code: Iterable[int] | None = None,
        *,
        client_reference: str | None = None,
    ) -> BatchDeliveryReport:
        """Fetch the delivery report of a batch (`kind` is `summary` or `full`)."""
        return await self.send(
            FetchDeliveryReport(
                batch_id=batch_id,
                kind=kind,
                status=status,
                code=code,
                client_reference=client_reference,
            )
        )

    async def fetch_recipient_delivery_report(
        self, batch_id: str, recipient: str
    ) -> BatchRecipientDeliveryReport:
        """Fetch the delivery report of one recipient of a batch."""
        return await self.send(FetchRecipientDeliveryReport(batch_id=batch_id, recipient=recipient))

    def fetch_delivery_reports(
        self,
        page_size: int | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        status: Iterable[str] | None = None,
        code: Iterable[int] | None = None,
        *,
        client_reference: str | None = None,
    ) -> AsyncPages[BatchRecipientDeliveryReport]:
        """List finished recipient delivery reports lazily (later API)."""
        command = FetchDeliveryReports(
            page_size=page_size,
            start_date=start_date,
            end_date=end_date,
            status=status,
            code=code,
            client_reference=client_reference,
        )
        return AsyncPages(self.send, command)

    async def send_delivery_feedback(self, batch_id: str, recipients: Iterable[str] = ()) -> None:
        """Report which recipients got the message; empty means all (later API)."""
        await self.send(SendDeliveryFeedback(batch_id=batch_id, recipients=recipients))

    # ------------------------------------------------------------------ groups

    async def create_group(self, group: GroupCreate) -> GroupResult:
        """Create a group."""
        return await self.send(CreateGroup(group=group))

    async def fetch_group(self, group_id: str) -> GroupResult:
        """Fetch one group."""
        return await self.send(FetchGroup(group_id=group_id))

    def fetch_groups(
        self, page_size: int | None = None, tags: Iterable[str] | None = None
    ) -> AsyncPages[GroupResult]:
        """List groups lazily."""
        return AsyncPages(self.send, FetchGroups(page_size=page_size, tags=tags))

    async def fetch_group_members(self, group_id: str) -> tuple[str, ...]:
        """Fetch the members of a group."""
        return await self.send(FetchGroupMembers(group_id=group_id))

    async def fetch_group_tags(self, group_id: str) -> tuple[str, ...]:
        """Fetch the tags of a group."""
        return await self.send(FetchGroupTags(group_id=group_id))

    async def replace_group_tags(self, group_id: str, tags: Iterable[str]) -> tuple[str, ...]:
        """Replace the tags of a group."""
        return await self.send(ReplaceGroupTags(group_id=group_id, tags=tags))

    async def update_group_tags(
        self, group_id: str, tags_to_add: Iterable[str], tags_to_remove: Iterable[str]
    ) -> tuple[str, ...]:
        """Add and remove tags of a group."""
        return await self.send(
            UpdateGroupTags(
                group_id=group_id, tags_to_add=tags_to_add, tags_to_remove=tags_to_remove
            )
        )

    async def replace_group(self, group_id: str, group: GroupCreate) -> GroupResult:
        """Replace a group."""
        return await self.send(ReplaceGroup(group_id=group_id, group=group))

    async def update_group(self, group_id: str, group: GroupUpdate) -> GroupResult:
        """Change some fields of a group."""
        return await self.send(UpdateGroup(group_id=group_id, group=group))

    async def delete_group(self, group_id: str) -> None:
        """Delete a group."""
        await self.send(DeleteGroup(group_id=group_id))

    # ------------------------------------------------------------------ inbounds

    async def fetch_inbound(self, inbound_id: str) -> MoMessage:
        """Fetch one inbound message."""
        return await self.send(FetchInbound(inbound_id=inbound_id))

    def fetch_inbounds(
        self,
        page_size: int | None = None,
        recipients: Iterable[str] | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        *,
        client_reference: str | None = None,
    ) -> AsyncPages[MoMessage]:
        """List inbound messages lazily."""
        command = FetchInbounds(
            page_size=page_size,
            recipients=recipients,
            start_date=start_date,
            end_date=end_date,
            client_reference=client_reference,
        )
        return AsyncPages(self.send, command)
