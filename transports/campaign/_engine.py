"""The campaign engine: stream recipients, send each chunk exactly once, journal everything.

`send_campaign` cuts the recipients into chunks of at most 1000, gives chunk `n` the
reference `chunk_reference(campaign_id, n)`, and sends the chunks concurrently over one
`AsyncClient` (on trio), each through `create_batch_once`. Before a create leaves, the
journal marks the chunk `sending` (synced to disk); after it, `sent` with the batch id,
or `failed` when XMS provably did not create it. Run again on the same journal, it skips
the chunks already sent, looks up those left `sending` by their reference, and sends only
what never reached XMS.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, final

import attrs

from transports._async_client import AsyncClient

if sys.version_info < (3, 11):  # pragma: no cover - trio brings the backport there
    try:
        from exceptiongroup import BaseExceptionGroup
    except ImportError:  # no trio either: the CSV reader still imports; the engine needs trio
        BaseExceptionGroup = BaseException
if TYPE_CHECKING:
    import trio  # imported where it runs, so that the CSV reader works without trio
from transports.campaign._journal import (
    FAILED,
    SENDING,
    SENT,
    ChunkRecord,
    Header,
    Journal,
    JournalError,
)
from xms_core import (
    MAX_RECIPIENTS,
    ApiException,
    ConnectException,
    ErrorResponseException,
    NotCreatedException,
    TokenBucket,
    UnauthorizedException,
    chunk_reference,
    chunked,
)
from xms_core._campaign import DEFAULT_CONCURRENCY, check_campaign_id, is_refusal
from xms_core.api import MtBatchTextSmsCreate

REFUSAL_ATTEMPTS = 10
"""How often one chunk is offered again after 429s or refused connections."""

REFUSAL_DELAY = 0.25
"""The first wait after a refusal without `Retry-After`, doubled each time."""

MAX_REFUSAL_DELAY = 30.0
"""The longest wait after a refusal, whatever `Retry-After` says."""


@final
@attrs.frozen(kw_only=True)
class Recipient:
    """One recipient of a campaign.

    Attributes:
        msisdn: The phone number.
        parameters: Template values for this recipient, by parameter name.
        line: Where it came from (a CSV line number), for the journal; None if unknown.
    """

    msisdn: str
    parameters: Mapping[str, str] = attrs.field(factory=dict)
    line: int | None = None


@final
@attrs.frozen(kw_only=True)
class Campaign:
    """The message of a campaign and the options of each of its batches.

    Attributes:
        body: The text or template, e.g. `"Hi ${name}"`; each recipient's `parameters`
            fill it.
        sender: The originator.
        delivery_report: The delivery report kind to ask for (`summary`, `full`, ...).
        send_at: When to send; expire_at: when to give up.
        callback_url: Where XMS posts delivery reports.
        tags: Tags for every batch.
        chunk_size: Recipients per batch, at most 1000.
    """

    body: str
    sender: str | None = None
    delivery_report: str | None = None
    send_at: datetime | None = None
    expire_at: datetime | None = None
    callback_url: str | None = None
    tags: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    chunk_size: int = MAX_RECIPIENTS

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.chunk_size <= MAX_RECIPIENTS:
            raise ValueError(f"chunk_size: must be between 1 and {MAX_RECIPIENTS}")
        # Any bad option fails here, before a journal is written or a byte sent.
        self.batch("check", [Recipient(msisdn="+4670000000")])

    def definition(self) -> str:
        """The campaign as canonical JSON: a resume must match it exactly."""
        fields: dict[str, Any] = attrs.asdict(self)
        for key in ("send_at", "expire_at"):
            if fields[key] is not None:
                fields[key] = fields[key].isoformat()
        fields["tags"] = list(self.tags)
        return json.dumps(fields, sort_keys=True, ensure_ascii=False)

    def batch(self, reference: str, rows: Iterable[Recipient]) -> MtBatchTextSmsCreate:
        """The batch that carries `rows`, with its `client_reference`."""
        recipients = [row.msisdn for row in rows]
        parameters: dict[str, dict[str, str]] = {}
        for row in rows:
            for name, value in row.parameters.items():
                parameters.setdefault(name, {})[row.msisdn] = value
        return MtBatchTextSmsCreate(
            sender=self.sender,
            recipients=recipients,
            body=self.body,
            parameters=parameters,
            delivery_report=self.delivery_report,
            send_at=self.send_at,
            expire_at=self.expire_at,
            callback_url=self.callback_url,
            client_reference=reference,
            tags=self.tags,
        )


class CampaignMismatchError(JournalError):
    """The journal belongs to another campaign, or the input changed since it was written."""


@final
@attrs.frozen(kw_only=True)
class Progress:
    """Where a run stands, passed to the `progress` callback after each chunk settles.

    Attributes:
        recipients_done: Recipients in chunks sent (in this run or before).
        recipients_total: All recipients, if known.
        chunks_done: Chunks sent.
        chunks_failed: Chunks failed or left unresolved in this run.
        started: When this run started (`time.monotonic()`).
        recipients_at_start: Recipients already sent when this run started.
    """

    recipients_done: int
    recipients_total: int | None
    chunks_done: int
    chunks_failed: int
    started: float
    recipients_at_start: int


@final
@attrs.frozen(kw_only=True)
class Report:
    """What a run achieved, read back from the journal at its end.

    Attributes:
        campaign_id: The campaign.
        chunks: Chunks in the journal.
        recipients: Recipients in the journal's chunks.
        sent: Chunks sent (by this run or an earlier one).
        sent_now: Chunks this run sent.
        failed: Chunks XMS provably did not create (with their errors and lines).
        unresolved: Chunks that may exist in XMS but could not be confirmed; a resume
            looks them up again.
        elapsed: Seconds this run took.
    """

    campaign_id: str
    chunks: int
    recipients: int
    sent: int
    sent_now: int
    failed: tuple[ChunkRecord, ...]
    unresolved: tuple[ChunkRecord, ...]
    elapsed: float

    @property
    def complete(self) -> bool:
        """Whether every chunk is sent."""
        return not self.failed and not self.unresolved


def new_campaign_id(now: datetime | None = None) -> str:
    """A fresh campaign id: the UTC date and time and 48 random bits."""
    when = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S")
    return f"c{when}-{secrets.token_hex(6)}"


def chunk_digest(rows: Iterable[Recipient]) -> str:
    """A digest of a chunk's recipients and parameters: the input of a resume must match."""
    data = [(row.msisdn, row.parameters) for row in rows]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def prepare(
    journal: Journal,
    campaign: Campaign | None,
    *,
    campaign_id: str | None = None,
    fingerprint: str | None = None,
    source: str | None = None,
    recipients: int | None = None,
) -> tuple[Header, Campaign]:
    """Start a campaign in `journal`, or check that it is the campaign already there.

    Args:
        journal: The journal.
        campaign: The campaign; None to take it from the journal (a resume).
        campaign_id: The id of a new campaign; a fresh one when None.
        fingerprint: The input's fingerprint; a resume with another one is refused.
        source: Where the input is (a CSV path), kept for `resume`.
        recipients: The number of recipients, if known.

    Raises:
        CampaignMismatchError: The journal records another campaign or other input.
        JournalError: A resume of a journal that records no campaign.
    """
    header = journal.header()
    if header is None:
        if campaign is None:
            raise JournalError(f"{journal.path} records no campaign to resume")
        fresh = Header(
            campaign_id=check_campaign_id(campaign_id or new_campaign_id()),
            definition=campaign.definition(),
            fingerprint=fingerprint,
            source=source,
            recipients=recipients,
        )
        return journal.begin(fresh), campaign
    if campaign is None:
        campaign = _campaign_of(header.definition)
    if campaign.definition() != header.definition:
        raise CampaignMismatchError(
            f"{journal.path} records campaign {header.campaign_id} with another template or"
            " other batch options; use a new journal for a new campaign"
        )
    if campaign_id is not None and campaign_id != header.campaign_id:
        raise CampaignMismatchError(
            f"{journal.path} records campaign {header.campaign_id}, not {campaign_id}"
        )
    if fingerprint is not None and header.fingerprint not in (None, fingerprint):
        raise CampaignMismatchError(
            f"the input is not the one campaign {header.campaign_id} was started with"
            f" (fingerprint {fingerprint[:16]}..., journal {header.fingerprint[:16]}...);"
            " nothing was sent"
        )
    return header, campaign


def _campaign_of(definition: str) -> Campaign:
    fields = json.loads(definition)
    for key in ("send_at", "expire_at"):
        if fields.get(key) is not None:
            fields[key] = datetime.fromisoformat(fields[key])
    return Campaign(**fields)


@final
class _Run:
    """The state shared by one run's producer and workers."""

    def __init__(
        self,
        client: AsyncClient,
        journal: Journal,
        header: Header,
        campaign: Campaign,
        *,
        rate: float | None,
        progress: Callable[[Progress], None] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.journal = journal
        self.header = header
        self.campaign = campaign
        self.progress = progress
        self.clock = clock
        self.bucket = None if rate is None else TokenBucket(rate, now=_trio().current_time())
        self.known = {record.number: record for record in journal.chunks()}
        done = [r for r in self.known.values() if r.state == SENT]
        self.recipients_done = sum(r.recipients for r in done)
        self.chunks_done = len(done)
        self.chunks_failed = 0
        self.sent_now = 0
        self.started = time.monotonic()
        self.recipients_at_start = self.recipients_done

    def report_progress(self) -> None:
        if self.progress is not None:
            self.progress(
                Progress(
                    recipients_done=self.recipients_done,
                    recipients_total=self.header.recipients,
                    chunks_done=self.chunks_done,
                    chunks_failed=self.chunks_failed,
                    started=self.started,
                    recipients_at_start=self.recipients_at_start,
                )
            )

    async def produce(
        self,
        rows: Iterable[Recipient],
        out: trio.MemorySendChannel[tuple[ChunkRecord, list[Recipient]]],
    ) -> None:
        async with out:
            for number, chunk in chunked(rows, self.campaign.chunk_size):
                reference = chunk_reference(self.header.campaign_id, number)
                record = ChunkRecord(
                    number=number,
                    reference=reference,
                    first_line=chunk[0].line,
                    last_line=chunk[-1].line,
                    recipients=len(chunk),
                    digest=chunk_digest(chunk),
                    state="planned",
                )
                known = self.known.pop(number, None)
                if known is not None and known.digest != record.digest:
                    raise CampaignMismatchError(
                        f"chunk {number} (lines {known.first_line}-{known.last_line}) is not"
                        f" what campaign {self.header.campaign_id} journalled; the input"
                        " changed, so the rest is not sent"
                    )
                if known is not None and known.state == SENT:
                    continue
                if known is None:
                    self.journal.plan(record)
                else:
                    record = known
                await out.send((record, chunk))
                await _trio().lowlevel.checkpoint()

    async def work(
        self, chunks: trio.MemoryReceiveChannel[tuple[ChunkRecord, list[Recipient]]]
    ) -> None:
        async for record, rows in chunks:
            await self.send_chunk(record, rows)
            self.report_progress()

    async def send_chunk(self, record: ChunkRecord, rows: list[Recipient]) -> None:
        try:
            batch = self.campaign.batch(record.reference, rows)
        except (TypeError, ValueError) as exc:
            self.journal.failed(record.number, f"{type(exc).__name__}: {exc}")
            self.chunks_failed += 1
            return
        # A chunk that was ever marked sending may exist in XMS: it is looked up first,
        # whatever the journal says became of it (a failure, a crash).
        since = record.sending_since
        for attempt in range(1, REFUSAL_ATTEMPTS + 2):
            if self.bucket is not None:
                pause = self.bucket.reserve(len(rows), _trio().current_time())
                await _trio().sleep(pause)
            if since is None:
                mark = self.clock()
                self.journal.sending(record.number, mark)
            try:
                result = await self.client.create_batch_once(batch, since=since)
            except ApiException as exc:
                since = since or mark
                delay = self._settle_failure(record, exc, attempt)
                if delay is None:
                    return
                await _trio().sleep(delay)
                continue
            self.journal.sent(record.number, result.batch_id)
            self.chunks_done += 1
            self.sent_now += 1
            self.recipients_done += record.recipients
            return

    def _settle_failure(
        self, record: ChunkRecord, error: ApiException, attempt: int
    ) -> float | None:
        """Journal what `error` means for the chunk; return a delay to try again, or None.

        A refusal (429, or a connection never made) is tried again after `Retry-After`
        or a backoff. Otherwise the chunk is `failed` when XMS answered that it did not
        create it, and stays `sending` (unresolved) when that is unknown.
        """
        text = f"{type(error).__name__}: {error}"
        refused = is_refusal(error) or isinstance(error, ConnectException)
        if refused and attempt <= REFUSAL_ATTEMPTS:
            wait = getattr(error, "retry_after", None)
            if isinstance(wait, (int, float)) and wait >= 0:
                return min(float(wait), MAX_REFUSAL_DELAY)
            return min(MAX_REFUSAL_DELAY, REFUSAL_DELAY * 2.0 ** (attempt - 1))
        if refused or isinstance(error, _DEFINITE):
            self.journal.failed(record.number, text)
        else:
            self.journal.unresolved(record.number, text)
        self.chunks_failed += 1
        return None


_DEFINITE = (NotCreatedException, ErrorResponseException, UnauthorizedException)
"""Answers that say the batch was not created (a resume still looks it up first)."""


async def send_campaign(
    client: AsyncClient,
    journal: Journal,
    recipients: Iterable[Recipient],
    campaign: Campaign | None = None,
    *,
    campaign_id: str | None = None,
    fingerprint: str | None = None,
    source: str | None = None,
    total: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate: float | None = None,
    progress: Callable[[Progress], None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Report:
    """Send (or resume) a campaign on trio; see the module docstring.

    Args:
        client: The client (on `TrioTransport`); its pool bounds the connections.
        journal: The journal; a new one starts the campaign, an existing one resumes it.
        recipients: The recipients, streamed in the same order on every run.
        campaign: The template and options; None on a resume takes the journal's.
        campaign_id: The id of a new campaign (default: a fresh one).
        fingerprint: The input's fingerprint (a CSV file's SHA-256).
        source: Where the input is, kept in the journal.
        total: How many recipients there are, for progress.
        concurrency: Chunks in flight at once.
        rate: Messages per second at most (a batch of N counts N); None for no pace.
        progress: Called after each chunk settles.
        clock: The current time (aware UTC) for the journal and the look-up windows.

    Returns:
        The report, read back from the journal.

    Raises:
        CampaignMismatchError: The journal records another campaign or other input.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency: must be at least 1 (got {concurrency})")
    header, campaign = prepare(
        journal,
        campaign,
        campaign_id=campaign_id,
        fingerprint=fingerprint,
        source=source,
        recipients=total,
    )
    run = _Run(
        client,
        journal,
        header,
        campaign,
        rate=rate,
        progress=progress,
        clock=clock or (lambda: datetime.now(timezone.utc)),
    )
    run.report_progress()
    trio = _trio()
    send, receive = trio.open_memory_channel[tuple[ChunkRecord, list[Recipient]]](concurrency)
    try:
        async with trio.open_nursery() as nursery:
            async with receive:
                for _ in range(concurrency):
                    nursery.start_soon(run.work, receive.clone())
            await run.produce(recipients, send)
    except BaseExceptionGroup as group:
        raise _sole(group) from None
    return _report(journal, header.campaign_id, run)


def _trio() -> Any:  # noqa: ANN401 - the trio module
    """The trio module, imported on first use (the engine runs on trio; its CSV reader not)."""
    import trio  # noqa: PLC0415

    return trio


def _sole(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one exception in a nursery's group (a bad input, a Ctrl-C), or the group."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        item = pending.pop()
        if isinstance(item, BaseExceptionGroup):
            pending.extend(item.exceptions)
        else:
            leaves.append(item)
    return leaves[0] if len(leaves) == 1 else group


def _report(journal: Journal, campaign_id: str, run: _Run) -> Report:
    counts = journal.counts()
    failed = tuple(journal.chunks(FAILED))
    unresolved = tuple(journal.chunks(SENDING))
    others = tuple(r for r in journal.chunks("planned"))
    if not failed and not unresolved and not others:
        journal.finished()
    return Report(
        campaign_id=campaign_id,
        chunks=sum(c for c, _ in counts.values()),
        recipients=sum(r for _, r in counts.values()),
        sent=counts[SENT][0],
        sent_now=run.sent_now,
        failed=failed,
        unresolved=unresolved + others,
        elapsed=time.monotonic() - run.started,
    )
