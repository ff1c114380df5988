"""xms_core: the pure, I/O-free protocol core of the xms SDK.

Values (the reference's `api` classes), one command per client operation,
the two seam values `HttpRequest`/`HttpResponse`, the status classifier,
paging and retry decisions. Nothing here opens a socket, reads a clock or
starts a thread.
"""

from __future__ import annotations

from xms_core._batch_commands import (
    CancelBatch,
    CreateBatch,
    CreateBatchDryRun,
    FetchBatch,
    FetchBatches,
    FetchBatchTags,
    ReplaceBatch,
    ReplaceBatchTags,
    UpdateBatch,
    UpdateBatchTags,
)
from xms_core._batches import MAX_RECIPIENTS
from xms_core._callbacks import Callback, parse_callback
from xms_core._campaign import (
    CreateOnce,
    DuplicateBatchesException,
    Found,
    NotCreatedException,
    SendAgain,
    TokenBucket,
    chunk_reference,
    chunked,
)
from xms_core._command import Command, classify
from xms_core._delivery_reports import (
    FetchDeliveryReport,
    FetchDeliveryReports,
    FetchRecipientDeliveryReport,
    SendDeliveryFeedback,
)
from xms_core._errors import (
    ApiException,
    CallbackRejection,
    CallbackVerificationException,
    ClientClosedException,
    ConnectException,
    ConnectionLostException,
    ErrorResponseException,
    NotFoundException,
    TimeoutException,
    TlsException,
    TooManyRequestsException,
    TransportException,
    UnauthorizedException,
    UnexpectedResponseException,
)
from xms_core._groups import (
    CreateGroup,
    DeleteGroup,
    FetchGroup,
    FetchGroupMembers,
    FetchGroups,
    FetchGroupTags,
    ReplaceGroup,
    ReplaceGroupTags,
    UpdateGroup,
    UpdateGroupTags,
)
from xms_core._http import HttpRequest, HttpResponse, Secret
from xms_core._inbounds import FetchInbound, FetchInbounds
from xms_core._json import to_json
from xms_core._paging import Page, has_next_page
from xms_core._retry import Exchange, Retry, RetryPolicy
from xms_core._settings import (
    AU_ENDPOINT,
    BR_ENDPOINT,
    CA_ENDPOINT,
    DEFAULT_ENDPOINT,
    DEFAULT_TIMEOUT,
    EU_ENDPOINT,
    US_ENDPOINT,
    USER_AGENT,
    Settings,
)
from xms_core._signing import SeenNonces, sign_callback, verify_callback
from xms_core._validate import is_group_id, is_msisdn
from xms_core._version import __version__

__all__ = [
    "AU_ENDPOINT",
    "BR_ENDPOINT",
    "CA_ENDPOINT",
    "DEFAULT_ENDPOINT",
    "DEFAULT_TIMEOUT",
    "EU_ENDPOINT",
    "MAX_RECIPIENTS",
    "USER_AGENT",
    "US_ENDPOINT",
    "ApiException",
    "Callback",
    "CallbackRejection",
    "CallbackVerificationException",
    "CancelBatch",
    "ClientClosedException",
    "Command",
    "ConnectException",
    "ConnectionLostException",
    "CreateBatch",
    "CreateBatchDryRun",
    "CreateGroup",
    "CreateOnce",
    "DeleteGroup",
    "DuplicateBatchesException",
    "ErrorResponseException",
    "Exchange",
    "FetchBatch",
    "FetchBatchTags",
    "FetchBatches",
    "FetchDeliveryReport",
    "FetchDeliveryReports",
    "FetchGroup",
    "FetchGroupMembers",
    "FetchGroupTags",
    "FetchGroups",
    "FetchInbound",
    "FetchInbounds",
    "FetchRecipientDeliveryReport",
    "Found",
    "HttpRequest",
    "HttpResponse",
    "NotCreatedException",
    "NotFoundException",
    "Page",
    "ReplaceBatch",
    "ReplaceBatchTags",
    "ReplaceGroup",
    "ReplaceGroupTags",
    "Retry",
    "RetryPolicy",
    "Secret",
    "SeenNonces",
    "SendAgain",
    "SendDeliveryFeedback",
    "Settings",
    "TimeoutException",
    "TlsException",
    "TokenBucket",
    "TooManyRequestsException",
    "TransportException",
    "UnauthorizedException",
    "UnexpectedResponseException",
    "UpdateBatch",
    "UpdateBatchTags",
    "UpdateGroup",
    "UpdateGroupTags",
    "__version__",
    "chunk_reference",
    "chunked",
    "classify",
    "has_next_page",
    "is_group_id",
    "is_msisdn",
    "parse_callback",
    "sign_callback",
    "to_json",
    "verify_callback",
]
