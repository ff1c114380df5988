"""Lazy paged results: the reference's `Pages` and `PagesIterator`, and their async twin.

`AsyncPages` (`_async_pages`) is written by hand; `Pages` (`_sync_pages`) is
generated from it by `./dev unasync`; what they share is in `_pages_common`.
"""

from __future__ import annotations

from xms_core._async_pages import AsyncPages
from xms_core._pages_common import PageCommand, PagesIterator
from xms_core._sync_pages import Pages

__all__ = ["AsyncPages", "PageCommand", "Pages", "PagesIterator"]
