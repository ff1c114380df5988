"""Group commands: create, fetch, list, replace, update, members and delete.

Pure tests of the three states of a group update's fields and of how the
realistic group answers in `tests/data/` are read.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.core.command_cases import (
    CASES,
    SETTINGS,
    UTC,
    check_three_states,
    exchange,
    raw,
    three_states,
    update_body,
)
from xms_core import DeleteGroup, FetchGroup, FetchGroupMembers, FetchGroups, HttpResponse
from xms_core.api import GroupAutoUpdate, GroupResult, GroupUpdate

# --------------------------------------------------------------------------- update semantics


RESETTABLE = [
    (GroupUpdate, "name", "name", "new name", "new name"),
    (GroupUpdate, "auto_update", "auto_update", GroupAutoUpdate(recipient="1"), {"to": "1"}),
]


@three_states(RESETTABLE)
def test_update_field_three_states(
    cls: type, attribute: str, key: str, value: object, encoded: object
) -> None:
    check_three_states(cls, attribute, key, value, encoded)


def test_update_of_a_group_with_only_add_words() -> None:
    rule = GroupAutoUpdate(recipient="1", add_first_word="a")
    assert update_body(GroupUpdate, auto_update=rule) == {
        "auto_update": {"to": "1", "add": {"first_word": "a"}}
    }


# --------------------------------------------------------------------------- decoding answers


@pytest.mark.parametrize("name", ["CreateGroup", "FetchGroup", "ReplaceGroup", "UpdateGroup"])
def test_group_commands_read_the_group(name: str) -> None:
    group = exchange(CASES[name].command, raw("group.json"))
    assert group == GroupResult(
        group_id="4cldmgEdAcBfcHW3",
        name="my group",
        size=2,
        child_groups=("cg1", "cg2"),
        auto_update=GroupAutoUpdate(
            recipient="54321",
            add_first_word="Sinch",
            add_second_word="Join",
            remove_first_word="SINCH",
            remove_second_word="leave",
        ),
        created_at=datetime(2016, 12, 8, 12, 38, 19, 962000, tzinfo=UTC),
        modified_at=datetime(2016, 12, 10, 8, tzinfo=UTC),
    )
    assert group.auto_update is not None
    assert group.auto_update.add_word_pair == ("Sinch", "Join")
    assert group.auto_update.remove_word_pair == ("SINCH", "leave")


def test_minimal_group_answer() -> None:
    group = exchange(FetchGroup(group_id="g"), {"id": "g"})
    assert group == GroupResult(group_id="g")


def test_fetch_groups_reads_empty_word_objects() -> None:
    page = exchange(FetchGroups(page=2, page_size=1), raw("page_groups.json"))
    assert (page.page, page.size, page.total_size) == (2, 1, 8)
    (group,) = page.content
    assert group.auto_update == GroupAutoUpdate(recipient="12345")
    assert group.auto_update.add_word_pair == (None, None)
    assert group.child_groups == ()


def test_group_members_are_a_bare_array() -> None:
    members = exchange(FetchGroupMembers(group_id="g1"), raw("group_members.json"))
    assert members == ("123456789", "987654321", "+46701234567")


@pytest.mark.parametrize(("status", "body"), [(200, b""), (204, b""), (200, b"{}")])
def test_delete_group_returns_none(status: int, body: bytes) -> None:
    command = DeleteGroup(group_id="g1")
    request = command.build_request(SETTINGS)
    assert command.parse_response(request, HttpResponse(status=status, body=body)) is None
