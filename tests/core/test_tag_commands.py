"""Batch tag and group tag commands: how they read their answers.

Their requests are checked with every command's in `test_command_requests.py`.
"""

from __future__ import annotations

import pytest

from tests.core.command_cases import CASES, exchange, raw


@pytest.mark.parametrize("name", ["FetchBatchTags", "ReplaceBatchTags", "UpdateBatchTags"])
def test_batch_tag_commands_read_tags(name: str) -> None:
    assert exchange(CASES[name].command, raw("tags.json")) == ("tag1", "tag2", "таг")


@pytest.mark.parametrize("name", ["FetchGroupTags", "ReplaceGroupTags", "UpdateGroupTags"])
def test_group_tag_commands_read_tags(name: str) -> None:
    assert exchange(CASES[name].command, raw("tags.json")) == ("tag1", "tag2", "таг")
    assert exchange(CASES[name].command, {"tags": []}) == ()
