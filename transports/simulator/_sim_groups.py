"""Groups in the simulator: create, list, fetch, replace, update, delete, members, tags.

Endpoints (protocol 3.13-3.19, 3.8, object 4.11): POST|GET /groups,
GET|PUT|POST|DELETE /groups/{id}, GET /groups/{id}/members, GET|PUT|POST /groups/{id}/tags.

* `size` and `/members` count a group's own members; child groups add their members only
  when a batch is sent to the group (recursively, each group once).
* A deleted group disappears from every other group's `child_groups`; naming it later in a
  batch or group is 403 `unknown_group`.
* DELETE answers 200 with an empty body and no content type.
* Group tags are not part of the group JSON (protocol 4.11); use the tags endpoints.
"""

from __future__ import annotations

from transports.simulator._sim_store import Call, Group, Store, apply_tags, empty
from transports.simulator._sim_wire import (
    bad,
    forbidden,
    format_time,
    json_response,
    msisdn,
    not_found,
    page_of,
    read_list,
    read_msisdn,
    read_str,
    read_strings,
    same_number,
)
from xms_core import HttpResponse

MAX_MEMBERS = 10_000
MAX_CHILD_GROUPS = 10
UNKNOWN_GROUP = "unknown_group"
CONFLICT_GROUP_NAME = "conflict_group_name"


def find_group(store: Store, group_id: str) -> Group:
    """Return the group `group_id` or answer 404."""
    group = store.groups.get(group_id)
    if group is None:
        not_found()
    return group


def _existing(store: Store, key: str, value: object) -> Group:
    group_id = read_str(key, value)
    group = store.groups.get(group_id)
    if group is None:
        forbidden(UNKNOWN_GROUP, f"'{key}' names a group that does not exist")
    return group


def _members(key: str, value: object) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in read_list(key, value):
        spelling, digits = read_msisdn(key, item)
        out.setdefault(digits, spelling)
    if len(out) > MAX_MEMBERS:
        bad(f"'{key}' must hold at most {MAX_MEMBERS} numbers")
    return out


def _children(store: Store, key: str, value: object, self_id: str | None) -> list[str]:
    out: list[str] = []
    for item in read_list(key, value):
        child = _existing(store, key, item)
        if child.id == self_id:
            bad(f"'{key}': a group cannot be its own child")
        if child.id not in out:
            out.append(child.id)
    return out


def _name(store: Store, value: object, self_id: str | None) -> str:
    name = read_str("name", value)
    if any(g.name == name and g.id != self_id for g in store.groups.values()):
        forbidden(CONFLICT_GROUP_NAME, "another group already has this name")
    return name


def _words(key: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        bad(f"'auto_update.{key}' must be an object")
    words: dict[str, str] = {}
    for name in ("first_word", "second_word"):
        word = value.get(name)
        if word is None:
            continue
        word = read_str(f"auto_update.{key}.{name}", word)
        if not word or len(word.split()) != 1:
            bad(f"'auto_update.{key}.{name}' must be a single word")
        words[name] = word
    if "second_word" in words and "first_word" not in words:
        bad(f"'auto_update.{key}' has a second_word without a first_word")
    return words


def _auto_update(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        bad("'auto_update' must be an object")
    to = value.get("to")
    if to is None:
        bad("'auto_update.to' is required")
    out: dict[str, object] = {"to": read_str("auto_update.to", to)}
    for key in ("add", "remove"):
        if value.get(key) is not None:
            out[key] = _words(key, value[key])
    return out


def _copy(auto_update: dict[str, object]) -> dict[str, object]:
    return {k: dict(v) if isinstance(v, dict) else v for k, v in auto_update.items()}


def render_group(group: Group) -> dict[str, object]:
    """Return the JSON of a stored group (protocol 4.11), null fields left out."""
    out: dict[str, object] = {"id": group.id}
    if group.name is not None:
        out["name"] = group.name
    out["size"] = len(group.members)
    out["child_groups"] = list(group.child_groups)
    if group.auto_update is not None:
        out["auto_update"] = _copy(group.auto_update)
    out["created_at"] = format_time(group.created_at)
    out["modified_at"] = format_time(group.modified_at)
    return out


def _fill(store: Store, group: Group, body: dict[str, object]) -> None:
    """Validate a create/replace body, then set every field of `group` from it."""
    self_id = group.id
    name = None if body.get("name") is None else _name(store, body["name"], self_id)
    members = {} if body.get("members") is None else _members("members", body["members"])
    children = (
        []
        if body.get("child_groups") is None
        else _children(store, "child_groups", body["child_groups"], self_id)
    )
    if len(children) > MAX_CHILD_GROUPS:
        bad(f"'child_groups' must hold at most {MAX_CHILD_GROUPS} groups")
    auto = None if body.get("auto_update") is None else _auto_update(body["auto_update"])
    tags = [] if body.get("tags") is None else read_strings("tags", body["tags"])
    group.name, group.members, group.child_groups = name, list(members.values()), children
    group.auto_update, group.tags = auto, tags


# ---------------------------------------------------------------------------------------
# Handlers


def create_group(store: Store, call: Call) -> HttpResponse:
    """POST /groups -> 201 with the group."""
    body = call.json()
    now = store.now
    group = Group(id="", index=0, created_at=now, modified_at=now)
    _fill(store, group, body)
    group.id = store.new_id()
    group.index = store.counter
    store.groups[group.id] = group
    return json_response(201, render_group(group))


def list_groups(store: Store, call: Call) -> HttpResponse:
    """GET /groups: newest first, filter `tags` (any of)."""
    tags = call.query.items("tags")
    rows = sorted(
        (g for g in store.groups.values() if tags is None or any(t in g.tags for t in tags)),
        key=lambda g: (g.created_at, g.index),
        reverse=True,
    )
    return page_of(call.query, rows, "groups", render_group)


def fetch_group(store: Store, call: Call) -> HttpResponse:
    """GET /groups/{id}."""
    return json_response(200, render_group(find_group(store, call.params[0])))


def replace_group(store: Store, call: Call) -> HttpResponse:
    """PUT /groups/{id}: full replacement keeping id and created_at."""
    group = find_group(store, call.params[0])
    _fill(store, group, call.json())
    group.modified_at = store.now
    return json_response(200, render_group(group))


def _updated_members(store: Store, group: Group, body: dict[str, object]) -> list[str]:
    members = {msisdn(m) or m: m for m in group.members}
    added = {} if body.get("add") is None else _members("add", body["add"])
    if body.get("add_from_group") is not None:
        source = _existing(store, "add_from_group", body["add_from_group"])
        added.update((msisdn(m) or m, m) for m in source.members if (msisdn(m) or m) not in added)
    removed = set() if body.get("remove") is None else set(_members("remove", body["remove"]))
    if body.get("remove_from_group") is not None:
        source = _existing(store, "remove_from_group", body["remove_from_group"])
        removed.update(msisdn(m) or m for m in source.members)
    for digits, spelling in added.items():
        members.setdefault(digits, spelling)
    out = [spelling for digits, spelling in members.items() if digits not in removed]
    if len(out) > MAX_MEMBERS:
        bad(f"a group holds at most {MAX_MEMBERS} members")
    return out


def _updated_children(store: Store, group: Group, body: dict[str, object]) -> list[str]:
    children = list(group.child_groups)
    if body.get("child_groups_add") is not None:
        for child in _children(store, "child_groups_add", body["child_groups_add"], group.id):
            if child not in children:
                children.append(child)
    if body.get("child_groups_remove") is not None:
        removed = read_strings("child_groups_remove", body["child_groups_remove"])
        children = [child for child in children if child not in removed]
    if len(children) > MAX_CHILD_GROUPS:
        bad(f"a group holds at most {MAX_CHILD_GROUPS} child groups")
    return children


def update_group(store: Store, call: Call) -> HttpResponse:
    """POST /groups/{id}: partial update (protocol 3.17).

    Adds (`add`, `add_from_group`) are applied before removes (`remove`,
    `remove_from_group`), so a number in both ends up out of the group. `name` and
    `auto_update` set to null are removed; absent keys keep their value.
    """
    group = find_group(store, call.params[0])
    body = call.json()
    name = group.name
    if "name" in body:
        name = None if body["name"] is None else _name(store, body["name"], group.id)
    members = _updated_members(store, group, body)
    children = _updated_children(store, group, body)
    auto = group.auto_update
    if "auto_update" in body:
        auto = None if body["auto_update"] is None else _auto_update(body["auto_update"])
    group.name, group.members, group.child_groups = name, members, children
    group.auto_update, group.modified_at = auto, store.now
    return json_response(200, render_group(group))


def delete_group(store: Store, call: Call) -> HttpResponse:
    """DELETE /groups/{id} -> 200, empty body."""
    group = find_group(store, call.params[0])
    del store.groups[group.id]
    store.deleted_groups.add(group.id)
    for other in store.groups.values():
        if group.id in other.child_groups:
            other.child_groups.remove(group.id)
    return empty(200)


def group_members(store: Store, call: Call) -> HttpResponse:
    """GET /groups/{id}/members -> a bare JSON array of MSISDNs."""
    return json_response(200, list(find_group(store, call.params[0]).members))


def group_tags(store: Store, call: Call) -> HttpResponse:
    """GET|PUT|POST /groups/{id}/tags -> {"tags": [...]} after the change."""
    group = find_group(store, call.params[0])
    tags = apply_tags(call, group.tags)
    if call.method != "GET":
        group.tags = tags
        group.modified_at = store.now
    return json_response(200, {"tags": tags})


# ---------------------------------------------------------------------------------------
# Keyword rules of inbound messages


def _matches(rule: object, words: list[str]) -> bool:
    if not isinstance(rule, dict) or "first_word" not in rule:
        return False
    for position, name in enumerate(("first_word", "second_word")):
        wanted = rule.get(name)
        if wanted is None:
            continue
        if position >= len(words) or str(wanted).casefold() != words[position].casefold():
            return False
    return True


def apply_auto_update(store: Store, sender: str, recipient: str, body: str) -> None:
    """Add or remove `sender` in every group whose `auto_update` rule matches the MO.

    The MO's `to` must be the rule's `to` (compared by digits); the first word of the
    body, and the second if the rule has one, must equal the keywords, ignoring case.
    """
    words = body.split()
    digits = msisdn(sender) or sender
    for group in store.groups.values():
        rule = group.auto_update
        if rule is None or not same_number(str(rule.get("to")), recipient):
            continue
        members = {msisdn(m) or m: m for m in group.members}
        if _matches(rule.get("add"), words):
            members.setdefault(digits, sender)
        if _matches(rule.get("remove"), words):
            members.pop(digits, None)
        if list(members.values()) != group.members:
            group.members = list(members.values())
            group.modified_at = store.now
