"""The wire form of AchieveApex's Feathers services: the qs-style query string parsed into a Feathers query (Node
qs's rules), the `Finder` that applies it as Feathers' adapters do, `page` (the `{total, limit, skip, data}` every
find answers), the wire form of times, and the one record whose wire shape is not its stored shape (a user).

    status=open&unread_count[$gt]=0&$sort[last_interaction_at]=-1&$limit=20
      -> {"status": "open", "unread_count": {"$gt": "0"}, "$sort": {"last_interaction_at": "-1"}, "$limit": "20"}

Values arrive as text and are typed by the field they filter (numbers for ids and counts, `null` for the text
`null`, `true`/`false`, ISO instants compared as instants). Anything Feathers would refuse is a 400 BadRequest in
its words (an unknown `$` filter, an unknown operator, an unknown field, a malformed `$or`, `$sort` or `$select`),
never a crash.

The module is long (~600 lines) on purpose: the qs parser (~150, kept as it was rewritten on qs's rules), the
finder that reads what it parses (~220), and each service's fields with the inbox's own filters (~200) are one
story, a query's, and none of the parts is read without the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mock_server.apis.omniinbox.errors import BadRequest
from mock_server.engine.clock import iso_date_time, parse_instant
from mock_server.engine.errors import RequestInvalid, Violation

if TYPE_CHECKING:  # state.py writes times with iso_ms
    from mock_server.apis.omniinbox.state import AchieveApexStore, Organization

__all__ = [
    "ASSISTANT_TYPES",
    "CHANNELS",
    "CONVERSATIONS",
    "DEFAULT_LIMIT",
    "FINDERS",
    "MESSAGE_TYPES",
    "MAX_LIMIT",
    "MESSAGES",
    "ORGANIZATIONS",
    "USERS",
    "Finder",
    "as_query",
    "conversation_filter",
    "iso_ms",
    "named_organizations",
    "page",
    "parse",
    "require",
    "user_json",
]

Record = dict[str, Any]
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
# Node's qs, which Feathers' REST transport parses queries with, at its defaults (why this is ours and not the
# qs-codec port: mock_server/apis/README.md, "Parsers"): past DEPTH brackets the rest of a key is one literal name,
# so no key nests deeper; pairs past PARAMETER_LIMIT are dropped. qs's arrayLimit (20) is not kept: a long `$in`
# stays an array, as Feathers' clients expect of it.
DEPTH = 5
PARAMETER_LIMIT = 1000


class _Seq(dict[int, Any]):
    """An array being built, index -> item; a list in index order at the end, holes closed."""

    def push(self, item: Any) -> None:
        """Where qs's merge meets a taken index, the newcomer goes to the end."""
        self[max(self) + 1 if self else 0] = item


class _Conflict(Exception):
    """One name given both a value and fields (`a=1&a[b]=2`): qs keeps both in a list; we refuse it."""


def _index(segment: str) -> int | None:
    """`[3]` is index 3; `[03]`, `[-1]`, `[ 3]` and a bare `3` are object keys, as in qs."""
    text = segment[1:-1]
    if segment[0] == "[" and text.isdigit() and text.isascii() and (text == "0" or text[0] != "0"):
        return int(text)
    return None


def _is_array(segment: str) -> bool:
    return segment == "[]" or _index(segment) is not None


def _path(key: str) -> list[str]:
    """qs's key splitting: the name before the first `[` (if any), then up to DEPTH balanced `[…]` groups, brackets
    kept; an unclosed group, or all that lies past the DEPTH-th, is one last literal segment."""
    start = key.find("[")
    if start < 0:
        return [key]
    path = [key[:start]] if start else []  # `[a]=x` is `a=x`
    for _ in range(DEPTH):
        close = key.find("]", start)
        if close >= 0 and key.find("[", start + 1, close) >= 0:  # nested brackets: the matching close
            level, close = 0, -1
            for at in range(start, len(key)):
                level += 1 if key[at] == "[" else -1 if key[at] == "]" else 0
                if level == 0:
                    close = at
                    break
        if close < 0:
            break
        path.append(key[start : close + 1])
        start = key.find("[", close + 1)
        if start < 0:
            return path
    path.append(f"[{key[start:]}]")  # its wrapping brackets come off in _name: the literal remainder
    return path


def _name(segment: str) -> str:
    """An object's key: the segment without its wrapping brackets (`[]` merges into an object as key "0", as in qs)."""
    if segment == "[]":
        return "0"
    return segment[1:-1] if segment[0] == "[" and segment[-1] == "]" else segment


def _join(old: Any, new: Any) -> _Seq:
    """Two values for one name (`a=1&a=2`): qs combines them into an array."""
    if isinstance(old, dict) and not isinstance(old, _Seq):
        raise _Conflict
    joined = old if isinstance(old, _Seq) else _Seq({0: old})
    for item in new.values() if isinstance(new, _Seq) else (new,):
        joined.push(item)
    return joined


def _put(query: dict[str, Any], path: list[str], value: Any) -> None:
    """Merge one key's value into the query the way qs merges each key's object into the whole."""
    if "[]" in path:  # qs's `[]` concatenates: before an index, or over `a[]=1&a[]=2`'s array, it adds nothing
        last = len(path) - 1
        kept = [
            segment
            for at, segment in enumerate(path)
            if segment != "[]"
            or (at < last and not _is_array(path[at + 1]))
            or (at == last and not isinstance(value, _Seq))
        ]
        path = kept or path
    node: dict[Any, Any] = query
    parent: dict[Any, Any] = query
    above: Any = None
    last = len(path) - 1
    for depth, segment in enumerate(path):
        if isinstance(node, _Seq) and not _is_array(segment):  # `a[0]=x&a[b]=y`: the array becomes an object
            node = parent[above] = {str(k): v for k, v in sorted(node.items())}
        key: Any = (0 if segment == "[]" else _index(segment)) if isinstance(node, _Seq) else _name(segment)
        if key not in node:
            if depth == last:
                node[key] = value
                return
            node[key] = _Seq() if _is_array(path[depth + 1]) else {}
        elif depth == last:
            if isinstance(node, _Seq):
                node.push(value)
            elif value != "":  # qs's merge keeps what an object has over an empty value
                node[key] = _join(node[key], value)
            return
        elif not isinstance(node[key], dict):  # a value where the rest of the path needs an array or an object
            if isinstance(node, _Seq):  # in an array: the newcomer goes to the end
                key = max(node) + 1
                node[key] = _Seq() if _is_array(path[depth + 1]) else {}
            elif _is_array(path[depth + 1]):  # `a=1&a[0]=2`: ["1", "2"]
                node[key] = _Seq({0: node[key]})
            else:
                raise _Conflict
        parent, above, node = node, key, node[key]


def _listify(node: Any) -> Any:
    """Arrays built as index -> item become lists in index order (`a[1]=x&a[5]=y` is ["x", "y"], as in qs)."""
    if isinstance(node, _Seq):
        return [_listify(node[k]) for k in sorted(node)]
    if isinstance(node, dict):
        return {k: _listify(v) for k, v in node.items()}
    return node


def parse(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Decoded `(key, value)` pairs into the nested query qs makes of them. Keys are never nested deeper than DEPTH;
    a name given both a value and fields is a BadRequest (qs would make a list of both)."""
    flat: dict[str, Any] = {}
    for key, value in pairs[:PARAMETER_LIMIT]:
        flat[key] = _join(flat[key], value) if key in flat else value  # `a=1&a=2`: ["1", "2"]
    query: dict[str, Any] = {}
    for key, value in flat.items():
        if key:  # `=x` names nothing: ignored, as qs does
            try:
                _put(query, _path(key), value)
            except _Conflict:
                raise BadRequest(f"Invalid query parameter {key}: one name given both a value and fields") from None
    parsed: dict[str, Any] = _listify(query)
    return parsed


# -- the finder ----------------------------------------------------------------------------------------------------

_OPERATORS = frozenset({"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne"})
_PAGING = frozenset({"$limit", "$skip", "$sort", "$select"})
CHANNELS = ("whatsapp", "instagram", "messenger", "webchat", "sms", "playground")
MESSAGE_TYPES = ("text", "image", "video", "document", "audio", "location", "note", "reaction", "template")
ASSISTANT_TYPES = ("conversation", "support-ticket", "ai-chat", "voice")
_INTEGER = re.compile(r"-?\d{1,18}")
_PARSE_INT = re.compile(r"\s*([+-]?\d+)")
Kind = str  # "int", "id" (a number or a text id), "str", "bool", "time", "ints" (an array of numbers), "json"
Predicate = Callable[[Record], bool]


def iso_ms(value: datetime) -> str:
    """AchieveApex's times on the wire: UTC, milliseconds, `Z` (`2023-01-01T00:00:00.000Z`)."""
    value = value.astimezone(UTC)
    return f"{iso_date_time(value)}.{value.microsecond // 1000:03d}Z"


def _parse_int(value: Any) -> int | None:
    """JavaScript's parseInt(value, 10) of a query value: the leading digits, else NaN (None)."""
    text = ",".join(map(str, value)) if isinstance(value, list) else value
    found = _PARSE_INT.match(text) if isinstance(text, str) else None
    return int(found.group(1)) if found and len(found.group(1)) < 19 else None


class Finder:
    """One service's query rules: each field's kind (how its text is typed and compared); `getters` read a field a
    record does not hold itself (a conversation's `tag_id`: its contact's tags); `order` the sort without `$sort`."""

    def __init__(
        self,
        fields: Mapping[str, Kind],
        order: Sequence[tuple[str, int]] = (("id", 1),),
        getters: Mapping[str, Callable[[Record], Any]] | None = None,
        id_field: str = "id",
        enums: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.fields = fields
        self.order = tuple(order)
        self.getters = getters or {}
        self.id_field = id_field
        self.enums = enums or {}  # text fields whose values the spec enumerates: a value outside is a 400

    def with_getters(self, getters: Mapping[str, Callable[[Record], Any]]) -> Finder:
        fields = {**self.fields, **{name: "ints" for name in getters}}
        return Finder(fields, self.order, getters, self.id_field, self.enums)

    def value(self, item: Record, name: str) -> Any:
        getter = self.getters.get(name)
        return getter(item) if getter is not None else item.get(name)

    # -- typing --------------------------------------------------------------------------------------------------

    def typed(self, name: str, value: Any) -> Any:
        kind = self.fields[name]
        if isinstance(value, (list, dict)):
            raise BadRequest(f"Invalid query parameter {name}: one value expected")
        if value is None or value == "null" or (value == "" and kind != "str"):
            return None
        if not isinstance(value, str):
            return value
        allowed = self.enums.get(name)
        if allowed is not None and value not in allowed:
            raise BadRequest(f"Invalid query parameter {name}: '{value[:40]}' is not one of {', '.join(allowed)}")
        if kind in ("int", "ints") or (kind == "id" and _INTEGER.fullmatch(value)):
            if not _INTEGER.fullmatch(value):
                raise BadRequest(f"Invalid query parameter {name}: '{value[:40]}' is not a number")
            return int(value)
        if kind == "bool":
            if value not in ("true", "false"):
                raise BadRequest(f"Invalid query parameter {name}: '{value[:40]}' is not true or false")
            return value == "true"
        if kind == "time":
            try:
                return iso_ms(parse_instant(value))
            except ValueError:
                raise BadRequest(f"Invalid query parameter {name}: '{value[:40]}' is not an ISO 8601 date") from None
        return value

    # -- compiling a query into a predicate ----------------------------------------------------------------------

    def predicate(self, query: Mapping[str, Any], top: bool = True) -> Predicate:
        tests: list[Predicate] = []
        for name, condition in query.items():
            if name in ("$or", "$and"):
                branches = self._branches(name, condition)
                if name == "$or":
                    tests.append(_either(branches))
                else:
                    tests.extend(branches)
            elif name in _PAGING and top:
                continue
            elif name.startswith("$"):
                raise BadRequest(f"Invalid filter value {_shown(name)}")
            elif name not in self.fields or self.fields[name] == "json":
                raise BadRequest(f"Invalid query parameter {_shown(name)}")
            else:
                tests.append(self._condition(name, condition))
        return lambda item: all(test(item) for test in tests)

    def _branches(self, name: str, condition: Any) -> list[Predicate]:
        if not isinstance(condition, list) or not all(isinstance(b, dict) for b in condition):
            raise BadRequest(f"Invalid query parameter {name}: an array of queries is expected")
        return [self.predicate(branch, top=False) for branch in condition]

    def _condition(self, name: str, condition: Any) -> Predicate:
        many = self.fields[name] == "ints"
        if not isinstance(condition, dict):
            expected = self.typed(name, condition)
            return lambda item: _equal(self.value(item, name), expected, many)
        tests: list[Predicate] = []
        for operator, raw in condition.items():
            if operator not in _OPERATORS:
                raise BadRequest(f"Invalid query parameter {_shown(operator)}")
            if operator in ("$in", "$nin"):
                if not isinstance(raw, list):
                    raise BadRequest(f"Invalid query parameter {operator}: an array is expected for {name}")
                tests.append(self._membership(name, [self.typed(name, v) for v in raw], operator == "$in", many))
            else:
                tests.append(self._comparison(name, operator, self.typed(name, raw), many))
        return lambda item: all(test(item) for test in tests)

    def _membership(self, name: str, values: list[Any], inside: bool, many: bool) -> Predicate:
        return lambda item: _any_in(self.value(item, name), values, many) == inside

    def _comparison(self, name: str, operator: str, expected: Any, many: bool) -> Predicate:
        return lambda item: _compare(operator, self.value(item, name), expected, many)

    # -- sort, select, page --------------------------------------------------------------------------------------

    def sort_order(self, query: Mapping[str, Any]) -> list[tuple[str, int]]:
        order = query.get("$sort")
        if order is None:
            return list(self.order)
        if not isinstance(order, dict) or not order:
            raise BadRequest("Invalid query parameter $sort: an object of fields and 1 or -1 is expected")
        found = []
        for name, direction in order.items():
            if name not in self.fields or self.fields[name] in ("ints", "json"):
                raise BadRequest(f"Invalid query parameter $sort[{name}]: no such field to sort by")
            number = direction if isinstance(direction, int) else _parse_int(direction)
            if number not in (1, -1):
                raise BadRequest(f"Invalid query parameter $sort[{name}]: 1 or -1 is expected")
            found.append((name, number))
        return found

    def select(self, query: Mapping[str, Any]) -> list[str] | None:
        select = query.get("$select")
        if select is None:
            return None
        names = [select] if isinstance(select, str) else select
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise BadRequest("Invalid query parameter $select: an array of field names is expected")
        unknown = [n for n in names if n not in self.fields and n not in ("id", "_id")]
        if unknown:
            raise BadRequest(f"Invalid query parameter $select: no field {unknown[0][:40]}")
        return [self.id_field, *names]

    def sort(self, items: list[Record], order: Sequence[tuple[str, int]]) -> list[Record]:
        """Stable, one key at a time from the last; records without the field last, whatever the direction."""
        for name, direction in reversed(order):
            getter = self.getters.get(name)
            valued = [(getter(item) if getter else item.get(name), item) for item in items]
            present = [(_sort_key(value), item) for value, item in valued if value is not None]
            present.sort(key=_first, reverse=direction < 0)
            items = [item for _, item in present] + [item for value, item in valued if value is None]
        return items


def _shown(name: str) -> str:
    """A parameter's name in a message. qs keeps all that lies past DEPTH brackets as one literal name, so operators
    nested hundreds deep would come back as kilobytes of brackets: say what happened instead."""
    if name.startswith("["):
        return f"{name[:40]}... (nested deeper than {DEPTH} levels)"
    return name if len(name) <= 60 else f"{name[:60]}..."


def _either(branches: list[Predicate]) -> Predicate:
    return lambda item: any(test(item) for test in branches)


def _everything(record: Record) -> bool:
    return True


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 0, value
    return (1, value) if isinstance(value, str) else (2, str(value))


def _equal(actual: Any, expected: Any, many: bool) -> bool:
    return expected in actual if many and isinstance(actual, list) else actual == expected


def _any_in(actual: Any, values: list[Any], many: bool) -> bool:
    if many and isinstance(actual, list):
        return any(v in values for v in actual)
    return actual in values


def _compare(operator: str, actual: Any, expected: Any, many: bool) -> bool:
    if operator == "$ne":
        return not _equal(actual, expected, many)
    if actual is None or expected is None:
        return False
    try:
        return bool(
            {
                "$lt": lambda: actual < expected,
                "$lte": lambda: actual <= expected,
                "$gt": lambda: actual > expected,
                "$gte": lambda: actual >= expected,
            }[operator]()
        )
    except TypeError:
        return False


def page(items: Iterable[Record], query: Mapping[str, Any], finder: Finder) -> dict[str, Any]:
    """Filter, sort, select and page as a Feathers find: `{total, limit, skip, data}`. `$limit` absent, negative or
    not a number: 10; over 50: 50; 0: the count alone. `$skip` negative or not a number: 400."""
    test = finder.predicate(query)
    order = finder.sort_order(query)
    selected = finder.select(query)
    limit = _parse_int(query["$limit"]) if "$limit" in query else None
    limit = DEFAULT_LIMIT if limit is None or limit < 0 else min(limit, MAX_LIMIT)
    skip = _parse_int(query["$skip"]) if "$skip" in query else 0
    if skip is None or skip < 0:
        raise BadRequest("Invalid query parameter $skip")
    found = finder.sort([item for item in items if test(item)], order)
    data = found[skip : skip + limit] if limit else []
    if selected is not None:
        data = [{k: item[k] for k in selected if k in item} for item in data]
    return {"total": len(found), "limit": limit, "skip": skip, "data": data}


def user_json(user: Record, visible: Sequence[int], organization_id: int | None = None) -> Record:
    """A user as `/users` shows it: no password; `role` in the organization asked about (else the first one the
    caller shares); `organization_ids` only those the caller shares with the user (convomock design)."""
    shared = [org for org in user["memberships"] if int(org) in visible]
    role_of = str(organization_id) if organization_id is not None and str(organization_id) in shared else shared[0]
    return {
        "id": user["id"],
        "email": user["email"],
        "name": user["name"],
        "avatar": user["avatar"],
        "role": user["memberships"][role_of],
        "organization_ids": [int(org) for org in shared],
        "created_at": user["created_at"],
        "updated_at": user["updated_at"],
    }


# -- each service's fields, and the queries that need more than its records ---------------------------------------

_TIMES = {"created_at": "time", "updated_at": "time", "deleted_at": "time"}
CONVERSATIONS = Finder(
    {
        "id": "int",
        "organization_id": "int",
        "contact_id": "int",
        "channel": "str",
        "status": "str",
        "assigned_user_id": "int",
        "assigned_ai_assistant_id": "id",
        "pipeline_id": "int",
        "pipeline_stage_id": "int",
        "unread_count": "int",
        "ai_context_cut": "time",
        "ai_auto_assignment_disabled": "bool",
        "ai_auto_assignment_disabled_reason": "str",
        "blocked": "bool",
        "last_interaction_at": "time",
        **_TIMES,
        "whatsapp_window_expires_at": "time",
        "waiting_response": "bool",
        "last_message_text": "str",
    },
    order=(("last_interaction_at", -1), ("id", -1)),  # the inbox's own order [doc]
    enums={"channel": CHANNELS, "status": ("open", "closed")},
)
_MESSAGE = {
    "conversation_id": "int",
    "organization_id": "int",
    "message_type": "str",
    "message_text": "str",
    "direction": "str",
    "sender_user_id": "int",
    "media_url": "str",
    "file_name": "str",
    "file_type": "str",
    "file_size": "int",
    "conversation_file_id": "str",
    "template": "json",
    "status": "str",
    **_TIMES,
}
MESSAGES = {
    channel: Finder(
        {key: kind, **_MESSAGE},
        order=(("created_at", 1), (key, 1)),
        id_field=key,
        enums={"message_type": MESSAGE_TYPES},
    )
    for channel, key, kind in [(c, "_id", "str") for c in ("whatsapp", "instagram", "messenger", "webchat")]
    + [(c, "id", "int") for c in ("sms", "playground")]
}
_OWNED = {"id": "int", "organization_id": "int"}
FINDERS = {
    "contacts": Finder(
        {
            **_OWNED,
            **dict.fromkeys(("first_name", "last_name", "email", "phone", "phone_country_code"), "str"),
            "phone_country_iso": "str",
            **_TIMES,
            **dict.fromkeys(("created_by_user_id", "owned_by_user_id", "company_id"), "int"),
            **dict.fromkeys(("channel_whatsapp_wa_id", "channel_instagram_user_id", "system_type"), "str"),
            "avatar_url": "str",
            "custom_fields_by_name": "json",
            "tag_ids": "ints",
        }
    ),
    "pipelines": Finder({**_OWNED, "name": "str", **_TIMES}),
    "stages": Finder(
        {**_OWNED, "pipeline_id": "int", "name": "str", "position": "int", **_TIMES},
        order=(("pipeline_id", 1), ("position", 1), ("id", 1)),
    ),
    "tags": Finder({**_OWNED, "name": "str", "color": "str", **_TIMES}),
    "views": Finder({**_OWNED, "name": "str", "filter": "json", "created_by_user_id": "int", **_TIMES}),
    "assistants": Finder(
        {**_OWNED, "name": "str", "type": "str", "ai_model_id": "int", "timezone": "str", "instructions": "str"}
        | _TIMES,
        enums={"type": ASSISTANT_TYPES},
    ),
    "automations": Finder({**_OWNED, "name": "str", "steps": "json", **_TIMES}),
    "predefined": Finder(
        {
            **_OWNED,
            **dict.fromkeys(("title", "content", "message_type", "media_url", "filename", "mime_type"), "str"),
            "created_by_user_id": "int",
            **_TIMES,
        },
        order=(("title", 1), ("id", 1)),  # sorted by title [doc]
    ),
}
PREDEFINED = FINDERS["predefined"]
ORGANIZATIONS = Finder({"id": "int", "name": "str", "subscription_status": "str", "created_at": "time"} | _TIMES)
USERS = Finder(
    {"id": "int", "email": "str", "name": "str", "avatar": "str", "role": "str", "organization_ids": "ints"} | _TIMES
)
_INBOX = Finder({"organization_id": "int", "waitingResponseOnly": "bool", "view_id": "int"})  # fields of no record


def require(query: Mapping[str, Any], name: str) -> None:
    """A required query parameter, refused as Feathers' query schema refuses it (400 "validation failed")."""
    if name not in query:
        raise RequestInvalid([Violation("query", (name,), "required", f'"{name}" is a required parameter')])


def named_organizations(query: Mapping[str, Any]) -> list[int] | None:
    """The organizations a query names (`organization_id=456`, `organization_id[$in][0]=456`), to be checked
    against the caller's; None when it names none (another operator filters, it does not name)."""
    value = query.get("organization_id")
    if value is None:
        return None
    if isinstance(value, dict):
        listed = value.get("$in")
        return None if not isinstance(listed, list) else [v for v in map(_org_id, listed) if v is not None] or None
    named = _org_id(value)
    return None if named is None else [named]


def _org_id(value: Any) -> int | None:
    typed = _INBOX.typed("organization_id", value)
    return typed if isinstance(typed, int) else None


def as_query(filter_: Mapping[str, Any]) -> dict[str, Any]:
    """A stored filter (a saved view's) as a query string gives it: values as text, for the finder to type."""

    def text(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: text(v) for k, v in value.items()}
        if isinstance(value, list):
            return [text(v) for v in value]
        return "null" if value is None else ("true" if value is True else "false" if value is False else str(value))

    return {k: text(v) for k, v in filter_.items() if k != "organization_id"}


def _term(query: dict[str, Any], name: str) -> str:
    value = query.pop(name, None)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"Invalid query parameter {name}: one text expected")
    return (value or "").strip().lower()


def conversation_filter(
    store: AchieveApexStore, orgs: Sequence[Organization], query: Mapping[str, Any]
) -> tuple[dict[str, Any], Predicate, Finder]:
    """The inbox's own filters [doc §1.5], none of them a field: `waitingResponseOnly`, `searchTerm` (the contact's
    name, email or phone), `messageSearchTerm` (a message's text, 3 characters or more, else ignored), `view_id`
    (the saved view's filter, and-ed), `tag_id` (the contact's tags). The rest of the query, what the extra
    filters keep, and the finder that reads `tag_id`."""
    rest = dict(query)
    tests: list[Predicate] = []
    waiting = rest.pop("waitingResponseOnly", None)
    if waiting is not None and _INBOX.typed("waitingResponseOnly", waiting):
        tests.append(lambda c: bool(c["waiting_response"]))
    contacts = {str(org.id): org.contacts for org in orgs}
    search = _term(rest, "searchTerm")
    if search:

        def names(conversation: Record) -> str:
            contact = contacts[str(conversation["organization_id"])].get(str(conversation["contact_id"])) or {}
            parts = [str(contact.get(k) or "") for k in ("first_name", "last_name", "email", "phone")]
            return " ".join([*parts, f"{parts[0]} {parts[1]}"]).lower()

        tests.append(lambda c: search in names(c))
    words = _term(rest, "messageSearchTerm")
    if len(words) >= 3:
        hits = {
            (m["organization_id"], m["conversation_id"])
            for org in orgs
            for channel in org.messages.values()
            for m in channel.values()
            if m["deleted_at"] is None and words in (m["message_text"] or "").lower()
        }
        tests.append(lambda c: (c["organization_id"], c["id"]) in hits)
    view_id = rest.pop("view_id", None)
    if view_id is not None:
        typed = _INBOX.typed("view_id", view_id)
        view = store.locate([org.id for org in orgs], "views", typed)[1]
        existing = rest.get("$and", [])
        if isinstance(existing, list):
            rest["$and"] = [*existing, as_query(view["filter"])]

    def tags(conversation: Record) -> list[int]:
        contact = contacts.get(str(conversation["organization_id"]), {}).get(str(conversation["contact_id"]))
        return list(contact["tag_ids"]) if contact else []

    keep: Predicate = (
        _everything if not tests else tests[0] if len(tests) == 1 else (lambda c: all(t(c) for t in tests))
    )
    return rest, keep, CONVERSATIONS.with_getters({"tag_id": tags})
