"""The reference's constants classes and the RESET sentinel."""

from __future__ import annotations

import enum
from typing import Final


class Reset(enum.Enum):
    """The type of `RESET`: asks XMS to reset a field to its default in an update."""

    RESET = "reset"

    def __repr__(self) -> str:
        return "RESET"


RESET: Final = Reset.RESET
"""Sentinel for update fields: reset this field to its XMS default (sent as `null`)."""


class ReportType(str, enum.Enum):
    """Delivery report types a batch can ask for (the batch's `delivery_report`)."""

    NONE = "none"
    SUMMARY = "summary"
    FULL = "full"
    PER_RECIPIENT = "per_recipient"
    PER_RECIPIENT_FINAL = "per_recipient_final"

    def __str__(self) -> str:
        return self.value


class DeliveryReportType(str, enum.Enum):
    """The kinds of batch delivery report that can be fetched."""

    SUMMARY = "summary"
    FULL = "full"

    def __str__(self) -> str:
        return self.value


class DeliveryStatus(str, enum.Enum):
    """Known delivery statuses; XMS may add more, so results keep unknown ones as text."""

    QUEUED = "Queued"
    DISPATCHED = "Dispatched"
    ABORTED = "Aborted"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"
    DELETED = "Deleted"
    DELIVERED = "Delivered"
    FAILED = "Failed"
    EXPIRED = "Expired"
    UNKNOWN = "Unknown"

    def __str__(self) -> str:
        return self.value
