"""Batch commands, one per batch operation of the reference client.

Endpoints (protocol 2, relative to `/v1/{service_plan_id}`):

* `CreateBatch`          POST   /batches                       201 batch
* `CreateBatchDryRun`    POST   /batches/dry_run               200 dry-run result
* `FetchBatches`         GET    /batches                       200 page of batches
* `FetchBatch`           GET    /batches/{batch_id}            200 batch
* `ReplaceBatch`         PUT    /batches/{batch_id}            200 batch
* `UpdateBatch`          POST   /batches/{batch_id}            200 batch
* `CancelBatch`          DELETE /batches/{batch_id}            200 batch (cancelled)
* `FetchBatchTags`       GET    /batches/{batch_id}/tags       200 tags
* `ReplaceBatchTags`     PUT    /batches/{batch_id}/tags       200 tags
* `UpdateBatchTags`      POST   /batches/{batch_id}/tags       200 tags
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date
from typing import Any, ClassVar, final

import attrs

from xms_core import _validate as v
from xms_core._batches import (
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsUpdate,
    MtBatchCreate,
    MtBatchDryRunResult,
    MtBatchResult,
    MtBatchTextSmsCreate,
    MtBatchTextSmsUpdate,
    MtBatchUpdate,
    read_batch,
    read_dry_run,
    read_tags,
    write_create,
    write_tags,
    write_tags_update,
    write_update,
)
from xms_core._command import expect_json
from xms_core._filters import add_dates, filter_strings, filter_values, joined
from xms_core._http import HttpRequest, HttpResponse
from xms_core._paging import Page, PageQuery, following_page, read_page
from xms_core._sets import TupleSet, to_tuple_set
from xms_core._settings import Settings
from xms_core._wire import decode

MAX_DRY_RUN_RECIPIENTS = 1000


def _batch_create(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, (MtBatchTextSmsCreate, MtBatchBinarySmsCreate)):
        raise TypeError(
            f"{field.name}: expected MtBatchTextSmsCreate or MtBatchBinarySmsCreate,"
            f" got {type(value).__name__}"
        )


def _batch_update(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, (MtBatchTextSmsUpdate, MtBatchBinarySmsUpdate)):
        raise TypeError(
            f"{field.name}: expected MtBatchTextSmsUpdate or MtBatchBinarySmsUpdate,"
            f" got {type(value).__name__}"
        )


def _tags(inst: object, field: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    v.strings(inst, field, value)


@final
@attrs.frozen(kw_only=True)
class CreateBatch:
    """Send a text or binary batch."""

    method: ClassVar[str] = "POST"
    batch: MtBatchCreate = attrs.field(validator=_batch_create)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `POST /batches`."""
        return settings.request(self.method, "batches", json=write_create(self.batch))

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> MtBatchResult:
        """Read the created batch."""
        return decode(expect_json(request, response), read_batch)


@final
@attrs.frozen(kw_only=True)
class CreateBatchDryRun:
    """Ask what sending a batch would do, without sending it.

    Attributes:
        batch: The batch to simulate.
        num_recipients: How many per-recipient entries to return (1 to 1000);
            giving it asks for per-recipient details.
        per_recipient: Ask for per-recipient details; None follows `num_recipients`.
    """

    method: ClassVar[str] = "POST"
    batch: MtBatchCreate = attrs.field(validator=_batch_create)
    num_recipients: int | None = attrs.field(
        default=None, validator=v.optional_int_range(1, MAX_DRY_RUN_RECIPIENTS)
    )
    per_recipient: bool | None = attrs.field(default=None, validator=v.optional_bool)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `POST /batches/dry_run` with its per-recipient query."""
        query: list[tuple[str, str]] = []
        wanted = self.per_recipient if self.per_recipient is not None else bool(self.num_recipients)
        if wanted:
            query.append(("per_recipient", "true"))
        if self.num_recipients is not None:
            query.append(("number_of_recipients", str(self.num_recipients)))
        return settings.request(
            self.method, "batches", "dry_run", query=query, json=write_create(self.batch)
        )

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> MtBatchDryRunResult:
        """Read the dry-run result."""
        return decode(expect_json(request, response), read_dry_run)


@final
@attrs.frozen(kw_only=True)
class FetchBatch:
    """Look up one batch by its identifier."""

    method: ClassVar[str] = "GET"
    batch_id: str = attrs.field(validator=v.identifier)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /batches/{batch_id}`."""
        return settings.request(self.method, "batches", self.batch_id)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> MtBatchResult:
        """Read the batch."""
        return decode(expect_json(request, response), read_batch)


@final
@attrs.frozen(kw_only=True)
class ReplaceBatch:
    """Replace a batch with a new one (cancel, then send anew)."""

    method: ClassVar[str] = "PUT"
    batch_id: str = attrs.field(validator=v.identifier)
    batch: MtBatchCreate = attrs.field(validator=_batch_create)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `PUT /batches/{batch_id}`."""
        return settings.request(
            self.method, "batches", self.batch_id, json=write_create(self.batch)
        )

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> MtBatchResult:
        """Read the replacement batch."""
        return decode(expect_json(request, response), read_batch)


@final
@attrs.frozen(kw_only=True)
class UpdateBatch:
    """Change some fields of a batch that has not been sent yet."""

    method: ClassVar[str] = "POST"
    batch_id: str = attrs.field(validator=v.identifier)
    batch: MtBatchUpdate = attrs.field(validator=_batch_update)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `POST /batches/{batch_id}`."""
        return settings.request(
            self.method, "batches", self.batch_id, json=write_update(self.batch)
        )

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> MtBatchResult:
        """Read the updated batch."""
        return decode(expect_json(request, response), read_batch)


@final
@attrs.frozen(kw_only=True)
class CancelBatch:
    """Cancel a batch; returns it as cancelled (the original SDK dropped it)."""

    method: ClassVar[str] = "DELETE"
    batch_id: str = attrs.field(validator=v.identifier)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `DELETE /batches/{batch_id}`."""
        return settings.request(self.method, "batches", self.batch_id)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> MtBatchResult:
        """Read the cancelled batch."""
        return decode(expect_json(request, response), read_batch)


@final
@attrs.frozen(kw_only=True)
class FetchBatches(PageQuery):
    """Fetch one page of batches matching the filters.

    Attributes:
        page: The page number, from 0.
        items_before: How many items the earlier pages held; `next_page` keeps it.
        page_size: Batches per page (1 to 100); None for the XMS default (30).
        senders: Only batches from one of these senders.
        tags: Only batches with one of these tags.
        start_date: Only batches created at or after this date (XMS default: 24 h ago).
        end_date: Only batches created before this date.
        client_reference: Only batches with this client reference (later API).
    """

    senders: tuple[str, ...] = attrs.field(
        default=(), converter=filter_values, validator=filter_strings
    )
    tags: tuple[str, ...] = attrs.field(
        default=(), converter=filter_values, validator=filter_strings
    )
    start_date: date | None = attrs.field(default=None, validator=v.optional_day)
    end_date: date | None = attrs.field(default=None, validator=v.optional_day)
    client_reference: str | None = attrs.field(default=None, validator=v.optional_single_line)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /batches` with the page and filters."""
        query = self.page_query()
        if self.senders:
            query.append(("from", joined(self.senders)))
        if self.tags:
            query.append(("tags", joined(self.tags)))
        add_dates(query, self.start_date, self.end_date)
        if self.client_reference is not None:
            query.append(("client_reference", self.client_reference))
        return settings.request(self.method, "batches", query=query)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> Page[MtBatchResult]:
        """Read the page of batches."""
        return decode(
            expect_json(request, response), lambda data: read_page(data, "batches", read_batch)
        )

    def next_page(self, page: Page[MtBatchResult]) -> FetchBatches | None:
        """Return the command for the page after `page`, or None at the end."""
        return following_page(self, page)

    def item_key(self, item: MtBatchResult) -> Hashable:
        """Tell items apart by the batch id, so `items()` gives none twice."""
        return item.batch_id


@final
@attrs.frozen(kw_only=True)
class FetchBatchTags:
    """Fetch the tags of a batch (CLX-era API)."""

    method: ClassVar[str] = "GET"
    batch_id: str = attrs.field(validator=v.identifier)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /batches/{batch_id}/tags`."""
        return settings.request(self.method, "batches", self.batch_id, "tags")

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> TupleSet:
        """Read the tags."""
        return decode(expect_json(request, response), read_tags)


@final
@attrs.frozen(kw_only=True)
class ReplaceBatchTags:
    """Replace every tag of a batch (CLX-era API)."""

    method: ClassVar[str] = "PUT"
    batch_id: str = attrs.field(validator=v.identifier)
    tags: TupleSet = attrs.field(converter=to_tuple_set, validator=_tags)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `PUT /batches/{batch_id}/tags`."""
        return settings.request(
            self.method, "batches", self.batch_id, "tags", json=write_tags(self.tags)
        )

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> TupleSet:
        """Read the tags now set."""
        return decode(expect_json(request, response), read_tags)


@final
@attrs.frozen(kw_only=True)
class UpdateBatchTags:
    """Add and remove tags of a batch (CLX-era API)."""

    method: ClassVar[str] = "POST"
    batch_id: str = attrs.field(validator=v.identifier)
    tags_to_add: TupleSet = attrs.field(default=TupleSet(), converter=to_tuple_set, validator=_tags)
    tags_to_remove: TupleSet = attrs.field(
        default=TupleSet(), converter=to_tuple_set, validator=_tags
    )

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `POST /batches/{batch_id}/tags`."""
        body = write_tags_update(self.tags_to_add, self.tags_to_remove)
        return settings.request(self.method, "batches", self.batch_id, "tags", json=body)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> TupleSet:
        """Read the tags after the change."""
        return decode(expect_json(request, response), read_tags)
