"""The reference's `api` module: the values sent to and received from XMS."""

from __future__ import annotations

from xms_core._batches import (
    DryRunPerRecipient,
    MtBatchBinarySmsCreate,
    MtBatchBinarySmsResult,
    MtBatchBinarySmsUpdate,
    MtBatchDryRunResult,
    MtBatchSms,
    MtBatchSmsCreate,
    MtBatchSmsResult,
    MtBatchSmsUpdate,
    MtBatchTextSmsCreate,
    MtBatchTextSmsResult,
    MtBatchTextSmsUpdate,
)
from xms_core._constants import RESET, DeliveryReportType, DeliveryStatus, ReportType, Reset
from xms_core._delivery_reports import (
    BatchDeliveryReport,
    BatchDeliveryReportStatus,
    BatchRecipientDeliveryReport,
)
from xms_core._error_value import Error
from xms_core._groups import GroupAutoUpdate, GroupCreate, GroupResult, GroupUpdate
from xms_core._inbounds import MoBinarySms, MoSms, MoTextSms
from xms_core._pages import AsyncPages, Pages, PagesIterator
from xms_core._paging import Page
from xms_core._sets import TupleSet
from xms_core._validate import FrozenMap

__all__ = [
    "RESET",
    "AsyncPages",
    "BatchDeliveryReport",
    "BatchDeliveryReportStatus",
    "BatchRecipientDeliveryReport",
    "DeliveryReportType",
    "DeliveryStatus",
    "DryRunPerRecipient",
    "Error",
    "FrozenMap",
    "GroupAutoUpdate",
    "GroupCreate",
    "GroupResult",
    "GroupUpdate",
    "MoBinarySms",
    "MoSms",
    "MoTextSms",
    "MtBatchBinarySmsCreate",
    "MtBatchBinarySmsResult",
    "MtBatchBinarySmsUpdate",
    "MtBatchDryRunResult",
    "MtBatchSms",
    "MtBatchSmsCreate",
    "MtBatchSmsResult",
    "MtBatchSmsUpdate",
    "MtBatchTextSmsCreate",
    "MtBatchTextSmsResult",
    "MtBatchTextSmsUpdate",
    "Page",
    "Pages",
    "PagesIterator",
    "ReportType",
    "Reset",
    "TupleSet",
]
