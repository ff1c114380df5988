"""Group values, their codecs and the group commands.

Endpoints (protocol 2, relative to `/v1/{service_plan_id}`):

* `CreateGroup`        POST   /groups                       201 group
* `FetchGroups`        GET    /groups                       200 page of groups
* `FetchGroup`         GET    /groups/{group_id}            200 group
* `ReplaceGroup`       PUT    /groups/{group_id}            200 group
* `UpdateGroup`        POST   /groups/{group_id}            200 group
* `DeleteGroup`        DELETE /groups/{group_id}            200, nothing relied on
* `FetchGroupMembers`  GET    /groups/{group_id}/members    200 bare array of MSISDNs
* `FetchGroupTags`     GET    /groups/{group_id}/tags       200 tags
* `ReplaceGroupTags`   PUT    /groups/{group_id}/tags       200 tags
* `UpdateGroupTags`    POST   /groups/{group_id}/tags       200 tags
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any, ClassVar, final

import attrs

from xms_core import _validate as v
from xms_core._batches import read_tags, write_tags, write_tags_update
from xms_core._builders import constructor
from xms_core._command import classify, expect_json
from xms_core._constants import Reset
from xms_core._filters import filter_strings, filter_values, joined
from xms_core._http import HttpRequest, HttpResponse
from xms_core._paging import Page, PageQuery, following_page, read_page
from xms_core._sets import TupleSet, from_answer, to_tuple_set
from xms_core._settings import Settings
from xms_core._wire import (
    JsonObject,
    decode,
    obj,
    opt_str,
    opt_time,
    req_int,
    req_str,
    str_items,
    str_tuple,
)

MAX_MEMBERS = 10_000
"""The most members a group create or replace may list, and an update add or remove (4.11)."""
MAX_CHILD_GROUPS = 10
"""The most child groups a group may have (protocol 4.11)."""
MAX_KEYWORD = 15
"""The longest auto-update keyword (protocol 4.11)."""

_NO_STRINGS = TupleSet()


def _keyword(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    # Protocol 4.11: a keyword is one word of at most 15 characters.
    v.optional_single_line(inst, field, value)
    if value is None:
        return
    word = str(value)
    if len(word.split()) != 1 or word != word.strip():
        raise ValueError(f"{field.name}: must be a single word (got {v.show(word)}; protocol 4.11)")
    if len(word) > MAX_KEYWORD:
        raise ValueError(
            f"{field.name}: at most {MAX_KEYWORD} characters (got {len(word)}; protocol 4.11)"
        )


@final
@attrs.frozen
class GroupAutoUpdate:
    """Keyword rules that add or remove an MO's sender to or from a group.

    An MO sent to `recipient` whose first (and, if set, second) word match the
    add words adds the sender; matching the remove words removes the sender.
    As in the reference, the fields may be given by position:
    `GroupAutoUpdate("12345", "join", remove_first_word="stop")`.

    Attributes:
        recipient: The short code or long number the MO is sent to.
        add_first_word: First keyword that adds the sender.
        add_second_word: Second keyword that adds the sender.
        remove_first_word: First keyword that removes the sender.
        remove_second_word: Second keyword that removes the sender.
    """

    recipient: str = attrs.field(validator=v.single_line)
    add_first_word: str | None = attrs.field(default=None, validator=_keyword)
    add_second_word: str | None = attrs.field(default=None, validator=_keyword)
    remove_first_word: str | None = attrs.field(default=None, validator=_keyword)
    remove_second_word: str | None = attrs.field(default=None, validator=_keyword)

    def __attrs_post_init__(self) -> None:
        # Protocol 4.11: inside `add` or `remove`, `first_word` is required.
        for action in ("add", "remove"):
            if getattr(self, f"{action}_second_word") is not None and (
                getattr(self, f"{action}_first_word") is None
            ):
                raise ValueError(
                    f"{action}_second_word: needs {action}_first_word too (protocol 4.11)"
                )

    @property
    def add_word_pair(self) -> tuple[str | None, str | None]:
        """The (first, second) keywords that add the sender."""
        return (self.add_first_word, self.add_second_word)

    @property
    def remove_word_pair(self) -> tuple[str | None, str | None]:
        """The (first, second) keywords that remove the sender."""
        return (self.remove_first_word, self.remove_second_word)


def _auto_update(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, (GroupAutoUpdate, Reset)):
        raise TypeError(f"{field.name}: expected GroupAutoUpdate, RESET or None")


def _name(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if value is None or isinstance(value, Reset):
        return
    v.optional_single_line(inst, field, value)


@final
@attrs.frozen(kw_only=True)
class GroupCreate:
    """A group to create, or the full replacement of one.

    Attributes:
        name: The group name.
        members: MSISDNs in the group.
        child_groups: Identifiers of groups whose members belong to this one too.
        auto_update: Keyword rules, or None.
        tags: Tags of the group (CLX-era API).
    """

    name: str | None = attrs.field(default=None, validator=v.optional_single_line)
    members: TupleSet = attrs.field(
        default=_NO_STRINGS,
        converter=to_tuple_set,
        validator=[v.msisdns, v.at_most(MAX_MEMBERS, "members", "4.11")],
    )
    child_groups: TupleSet = attrs.field(
        default=_NO_STRINGS,
        converter=to_tuple_set,
        validator=[v.group_ids, v.at_most(MAX_CHILD_GROUPS, "child groups", "4.11")],
    )
    auto_update: GroupAutoUpdate | None = attrs.field(default=None, validator=_auto_update)
    tags: TupleSet = attrs.field(default=_NO_STRINGS, converter=to_tuple_set, validator=v.strings)


@final
@attrs.frozen(kw_only=True)
class GroupResult:
    """A group as XMS returns it.

    Attributes:
        group_id: The group identifier.
        name: The group name, if any.
        size: How many members the group has.
        child_groups: Identifiers of child groups.
        auto_update: Keyword rules, or None.
        created_at: When the group was created.
        modified_at: When it was last changed.
    """

    group_id: str
    name: str | None = None
    size: int = 0
    child_groups: TupleSet = attrs.field(default=_NO_STRINGS, converter=to_tuple_set)
    auto_update: GroupAutoUpdate | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None


@final
@attrs.frozen(kw_only=True)
class GroupUpdate:
    """Changes to a group. For `name` and `auto_update`, None keeps and `RESET` removes.

    Attributes:
        name: New name.
        member_insertions: MSISDNs to add (applied before removals).
        member_removals: MSISDNs to remove.
        child_group_insertions: Child groups to add.
        child_group_removals: Child groups to remove.
        add_from_group: A group whose members are added.
        remove_from_group: A group whose members are removed.
        auto_update: New keyword rules.
    """

    name: str | Reset | None = attrs.field(default=None, validator=_name)
    member_insertions: TupleSet = attrs.field(
        default=_NO_STRINGS,
        converter=to_tuple_set,
        validator=[v.msisdns, v.at_most(MAX_MEMBERS, "members", "4.11")],
    )
    member_removals: TupleSet = attrs.field(
        default=_NO_STRINGS,
        converter=to_tuple_set,
        validator=[v.msisdns, v.at_most(MAX_MEMBERS, "members", "4.11")],
    )
    child_group_insertions: TupleSet = attrs.field(
        default=_NO_STRINGS, converter=to_tuple_set, validator=v.group_ids
    )
    child_group_removals: TupleSet = attrs.field(
        default=_NO_STRINGS, converter=to_tuple_set, validator=v.group_ids
    )
    add_from_group: str | None = attrs.field(default=None, validator=v.optional_group_id)
    remove_from_group: str | None = attrs.field(default=None, validator=v.optional_group_id)
    auto_update: GroupAutoUpdate | Reset | None = attrs.field(default=None, validator=_auto_update)


# --------------------------------------------------------------------------- codecs


def _write_words(first: str | None, second: str | None) -> JsonObject | None:
    words: JsonObject = {}
    if first is not None:
        words["first_word"] = first
    if second is not None:
        words["second_word"] = second
    return words or None


def write_auto_update(rule: GroupAutoUpdate) -> JsonObject:
    """Encode keyword rules (protocol 4.11)."""
    out: JsonObject = {"to": rule.recipient}
    add = _write_words(rule.add_first_word, rule.add_second_word)
    if add is not None:
        out["add"] = add
    remove = _write_words(rule.remove_first_word, rule.remove_second_word)
    if remove is not None:
        out["remove"] = remove
    return out


def write_group(group: GroupCreate) -> JsonObject:
    """Encode a group to create or replace."""
    out: JsonObject = {}
    if group.name is not None:
        out["name"] = group.name
    if group.members:
        out["members"] = list(group.members)
    if group.child_groups:
        out["child_groups"] = list(group.child_groups)
    if group.auto_update is not None:
        out["auto_update"] = write_auto_update(group.auto_update)
    if group.tags:
        out["tags"] = list(group.tags)
    return out


def write_group_update(update: GroupUpdate) -> JsonObject:
    """Encode a group update: absent keeps, `null` removes (protocol 3.17)."""
    out: JsonObject = {}
    if update.name is not None:
        out["name"] = None if isinstance(update.name, Reset) else update.name
    for key, values in (
        ("add", update.member_insertions),
        ("remove", update.member_removals),
        ("child_groups_add", update.child_group_insertions),
        ("child_groups_remove", update.child_group_removals),
    ):
        if values:
            out[key] = list(values)
    if update.add_from_group is not None:
        out["add_from_group"] = update.add_from_group
    if update.remove_from_group is not None:
        out["remove_from_group"] = update.remove_from_group
    if update.auto_update is not None:
        out["auto_update"] = (
            None if isinstance(update.auto_update, Reset) else write_auto_update(update.auto_update)
        )
    return out


def _read_words(data: JsonObject, key: str) -> tuple[str | None, str | None]:
    raw = data.get(key)
    if raw is None:
        return None, None
    words = obj(raw, f"field {key!r}")
    return opt_str(words, "first_word"), opt_str(words, "second_word")


# A server's rules are kept as sent: the hook only checks the 4.11 pairing, like a validator.
_new_auto_update = constructor(
    GroupAutoUpdate,
    "recipient",
    "add_first_word",
    "add_second_word",
    "remove_first_word",
    "remove_second_word",
    skip_post_init=True,
)
# The decoder wraps the child groups of an answer with `from_answer`: no converter runs on them.
_new_group = constructor(
    GroupResult,
    "group_id",
    "name",
    "size",
    "child_groups",
    "auto_update",
    "created_at",
    "modified_at",
    converted=("child_groups",),
)


def read_auto_update(value: object) -> GroupAutoUpdate:
    """Decode keyword rules."""
    data = obj(value, "auto_update")
    add_first, add_second = _read_words(data, "add")
    remove_first, remove_second = _read_words(data, "remove")
    return _new_auto_update(
        recipient=req_str(data, "to"),
        add_first_word=add_first,
        add_second_word=add_second,
        remove_first_word=remove_first,
        remove_second_word=remove_second,
    )


def read_group(value: object) -> GroupResult:
    """Decode a group answer."""
    data = obj(value, "group")
    raw_rule = data.get("auto_update")
    return _new_group(
        group_id=req_str(data, "id"),
        name=opt_str(data, "name"),
        size=req_int(data, "size") if data.get("size") is not None else 0,
        child_groups=from_answer(str_tuple(data, "child_groups")),
        auto_update=None if raw_rule is None else read_auto_update(raw_rule),
        created_at=opt_time(data, "created_at"),
        modified_at=opt_time(data, "modified_at"),
    )


def read_members(value: object) -> TupleSet:
    """Decode the bare array of members (protocol 3.19)."""
    return from_answer(str_items(value, "members"))


# --------------------------------------------------------------------------- commands


def _group_create(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, GroupCreate):
        raise TypeError(f"{field.name}: expected GroupCreate, got {type(value).__name__}")


def _group_update(inst: object, field: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, GroupUpdate):
        raise TypeError(f"{field.name}: expected GroupUpdate, got {type(value).__name__}")


@final
@attrs.frozen(kw_only=True)
class CreateGroup:
    """Create a group."""

    method: ClassVar[str] = "POST"
    group: GroupCreate = attrs.field(validator=_group_create)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `POST /groups`."""
        return settings.request(self.method, "groups", json=write_group(self.group))

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> GroupResult:
        """Read the created group."""
        return decode(expect_json(request, response), read_group)


@final
@attrs.frozen(kw_only=True)
class FetchGroup:
    """Look up one group."""

    method: ClassVar[str] = "GET"
    group_id: str = attrs.field(validator=v.identifier)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /groups/{group_id}`."""
        return settings.request(self.method, "groups", self.group_id)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> GroupResult:
        """Read the group."""
        return decode(expect_json(request, response), read_group)


@final
@attrs.frozen(kw_only=True)
class FetchGroups(PageQuery):
    """Fetch one page of groups.

    Attributes:
        page: The page number, from 0.
        items_before: How many items the earlier pages held; `next_page` keeps it.
        page_size: Groups per page (1 to 100); None for the XMS default (30).
        tags: Only groups with one of these tags (CLX-era API).
    """

    tags: tuple[str, ...] = attrs.field(
        default=(), converter=filter_values, validator=filter_strings
    )

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /groups` with the page and filters."""
        query = self.page_query()
        if self.tags:
            query.append(("tags", joined(self.tags)))
        return settings.request(self.method, "groups", query=query)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> Page[GroupResult]:
        """Read the page of groups."""
        return decode(
            expect_json(request, response), lambda data: read_page(data, "groups", read_group)
        )

    def next_page(self, page: Page[GroupResult]) -> FetchGroups | None:
        """Return the command for the page after `page`, or None at the end."""
        return following_page(self, page)

    def item_key(self, item: GroupResult) -> Hashable:
        """Tell items apart by the group id, so `items()` gives none twice."""
        return item.group_id


@final
@attrs.frozen(kw_only=True)
class ReplaceGroup:
    """Replace a group's name, members, child groups, rules and tags."""

    method: ClassVar[str] = "PUT"
    group_id: str = attrs.field(validator=v.identifier)
    group: GroupCreate = attrs.field(validator=_group_create)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `PUT /groups/{group_id}`."""
        return settings.request(self.method, "groups", self.group_id, json=write_group(self.group))

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> GroupResult:
        """Read the group after the replacement."""
        return decode(expect_json(request, response), read_group)


@final
@attrs.frozen(kw_only=True)
class UpdateGroup:
    """Change some fields of a group."""

    method: ClassVar[str] = "POST"
    group_id: str = attrs.field(validator=v.identifier)
    group: GroupUpdate = attrs.field(validator=_group_update)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `POST /groups/{group_id}`."""
        return settings.request(
            self.method, "groups", self.group_id, json=write_group_update(self.group)
        )

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> GroupResult:
        """Read the group after the change."""
        return decode(expect_json(request, response), read_group)


@final
@attrs.frozen(kw_only=True)
class DeleteGroup:
    """Delete a group."""

    method: ClassVar[str] = "DELETE"
    group_id: str = attrs.field(validator=v.identifier)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `DELETE /groups/{group_id}`."""
        return settings.request(self.method, "groups", self.group_id)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> None:
        """Accept any 2xx; nothing in the answer is relied on."""
        classify(request, response)


@final
@attrs.frozen(kw_only=True)
class FetchGroupMembers:
    """Fetch the MSISDNs of a group."""

    method: ClassVar[str] = "GET"
    group_id: str = attrs.field(validator=v.identifier)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /groups/{group_id}/members`."""
        return settings.request(self.method, "groups", self.group_id, "members")

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> TupleSet:
        """Read the members."""
        return decode(expect_json(request, response), read_members)


@final
@attrs.frozen(kw_only=True)
class FetchGroupTags:
    """Fetch the tags of a group."""

    method: ClassVar[str] = "GET"
    group_id: str = attrs.field(validator=v.identifier)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `GET /groups/{group_id}/tags`."""
        return settings.request(self.method, "groups", self.group_id, "tags")

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> TupleSet:
        """Read the tags."""
        return decode(expect_json(request, response), read_tags)


@final
@attrs.frozen(kw_only=True)
class ReplaceGroupTags:
    """Replace every tag of a group."""

    method: ClassVar[str] = "PUT"
    group_id: str = attrs.field(validator=v.identifier)
    tags: TupleSet = attrs.field(converter=to_tuple_set, validator=v.strings)

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `PUT /groups/{group_id}/tags`."""
        return settings.request(
            self.method, "groups", self.group_id, "tags", json=write_tags(self.tags)
        )

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> TupleSet:
        """Read the tags now set."""
        return decode(expect_json(request, response), read_tags)


@final
@attrs.frozen(kw_only=True)
class UpdateGroupTags:
    """Add and remove tags of a group."""

    method: ClassVar[str] = "POST"
    group_id: str = attrs.field(validator=v.identifier)
    tags_to_add: TupleSet = attrs.field(
        default=_NO_STRINGS, converter=to_tuple_set, validator=v.strings
    )
    tags_to_remove: TupleSet = attrs.field(
        default=_NO_STRINGS, converter=to_tuple_set, validator=v.strings
    )

    def build_request(self, settings: Settings) -> HttpRequest:
        """Build `POST /groups/{group_id}/tags`."""
        body = write_tags_update(self.tags_to_add, self.tags_to_remove)
        return settings.request(self.method, "groups", self.group_id, "tags", json=body)

    def parse_response(self, request: HttpRequest, response: HttpResponse) -> TupleSet:
        """Read the tags after the change."""
        return decode(expect_json(request, response), read_tags)
