"""Campaigns: durable, exactly-once bulk sending with a SQLite journal (on trio).

`send_campaign(client, journal, recipients, campaign)` cuts the recipients into batches
of at most 1000, each with a `client_reference` derived from the campaign id and its
chunk number, sends them concurrently over one `AsyncClient`, and records every chunk's
state in the journal. Run it again on the same journal after any interruption and it
finishes the campaign: every recipient gets the message exactly once. `scan_csv` and
`read_csv` check and stream a recipients CSV file.
"""

from __future__ import annotations

from transports.campaign._csv import CsvError, CsvScan, read_csv, recipient_key, scan_csv
from transports.campaign._engine import (
    Campaign,
    CampaignMismatchError,
    Progress,
    Recipient,
    Report,
    send_campaign,
)
from transports.campaign._journal import ChunkRecord, Header, Journal, JournalError
from xms_core._campaign import DEFAULT_CONCURRENCY

__all__ = [
    "DEFAULT_CONCURRENCY",
    "Campaign",
    "CampaignMismatchError",
    "ChunkRecord",
    "CsvError",
    "CsvScan",
    "Header",
    "Journal",
    "JournalError",
    "Progress",
    "Recipient",
    "Report",
    "read_csv",
    "recipient_key",
    "scan_csv",
    "send_campaign",
]
