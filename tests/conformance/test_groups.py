"""Groups end to end, for every client and transport kind."""

from __future__ import annotations

import pytest

from tests.adapters import Subject
from transports.simulator import Simulator
from xms_core.api import RESET, GroupAutoUpdate, GroupCreate, GroupUpdate
from xms_core.exceptions import ErrorResponseException, NotFoundException


async def test_group_is_created_with_members_children_and_rules(xms: Subject) -> None:
    child = await xms.create_group(GroupCreate(name="child", members=["+46700000001"]))
    rule = GroupAutoUpdate(
        recipient="54321", add_first_word="JOIN", remove_first_word="STOP", remove_second_word="NOW"
    )
    group = await xms.create_group(
        GroupCreate(
            name="parent",
            members=["+46701234567", "+46709876543"],
            child_groups=[child.group_id],
            auto_update=rule,
            tags=["vip"],
        )
    )

    assert group.name == "parent"
    assert group.size == 2
    assert group.child_groups == (child.group_id,)
    assert group.auto_update == rule
    assert await xms.fetch_group(group.group_id) == group
    assert set(await xms.fetch_group_members(group.group_id)) == {"+46701234567", "+46709876543"}
    assert await xms.fetch_group_tags(group.group_id) == ("vip",)


async def test_update_adds_before_it_removes(xms: Subject) -> None:
    other = await xms.create_group(GroupCreate(members=["+46700000005", "+46700000006"]))
    group = await xms.create_group(GroupCreate(name="team", members=["+46700000001"]))

    updated = await xms.update_group(
        group.group_id,
        GroupUpdate(
            member_insertions=["+46700000002", "+46700000003"],
            member_removals=["+46700000003"],
            add_from_group=other.group_id,
            name=RESET,
        ),
    )

    assert updated.name is None
    members = set(await xms.fetch_group_members(group.group_id))
    assert members == {"+46700000001", "+46700000002", "+46700000005", "+46700000006"}
    assert updated.size == 4


async def test_update_with_an_unknown_source_group_is_refused(xms: Subject) -> None:
    group = await xms.create_group(GroupCreate(name="g"))
    with pytest.raises(ErrorResponseException) as info:
        await xms.update_group(group.group_id, GroupUpdate(add_from_group="nosuchgroup"))
    assert info.value.status == 403


async def test_replace_and_delete(xms: Subject, simulator: Simulator) -> None:
    group = await xms.create_group(GroupCreate(name="old", members=["+46700000001"]))

    replaced = await xms.replace_group(
        group.group_id, GroupCreate(name="new", members=["+46700000009"])
    )
    assert (replaced.group_id, replaced.name, replaced.size) == (group.group_id, "new", 1)
    assert await xms.fetch_group_members(group.group_id) == ("+46700000009",)

    assert await xms.delete_group(group.group_id) is None
    with pytest.raises(NotFoundException):
        await xms.fetch_group(group.group_id)
    assert simulator.groups() == []


async def test_group_tags_can_be_replaced_and_updated(xms: Subject) -> None:
    group = await xms.create_group(GroupCreate(name="tagged"))
    assert set(await xms.replace_group_tags(group.group_id, ["a", "b"])) == {"a", "b"}
    assert set(await xms.update_group_tags(group.group_id, ["c"], ["a"])) == {"b", "c"}


async def test_groups_list_across_pages(xms: Subject) -> None:
    ids = {(await xms.create_group(GroupCreate(name=f"g{i}"))).group_id for i in range(7)}
    await xms.create_group(GroupCreate(name="tagged", tags=["special"]))

    listed = [group.group_id async for group in xms.fetch_groups(page_size=3).items()]
    special = [group.name async for group in xms.fetch_groups(tags=["special"]).items()]

    assert ids < set(listed)
    assert len(listed) == 8
    assert special == ["tagged"]


async def test_keyword_rules_move_senders_in_and_out(xms: Subject, simulator: Simulator) -> None:
    rule = GroupAutoUpdate(recipient="54321", add_first_word="join", remove_first_word="stop")
    group = await xms.create_group(GroupCreate(name="club", auto_update=rule))

    simulator.inject_inbound(sender="+46701111111", recipient="54321", body="JOIN please")
    assert await xms.fetch_group_members(group.group_id) == ("+46701111111",)
    simulator.inject_inbound(sender="+46701111111", recipient="54321", body="stop")
    assert await xms.fetch_group_members(group.group_id) == ()
