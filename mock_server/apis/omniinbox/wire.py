"""The wire form of queries and lists, as Feathers has them: the qs-style query string the REST client sends,
parsed into a nested query; the Finder filters that apply it the way Feathers' adapters do (equality, $in, $nin,
$lt, $lte, $gt, $gte, $ne, $or, $sort, $select, $limit clamped to the service's maximum, $skip); and `page`, the
`{total, limit, skip, data}` list every find answers with.

    status[$in][0]=open&status[$in][1]=pending&$sort[updatedAt]=-1&$limit=20
      -> {"status": {"$in": ["open", "pending"]}, "$sort": {"updatedAt": -1}, "$limit": 20}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mock_server.apis.omniinbox.errors import BadRequest

__all__ = ["Finder", "filters_only", "page", "parse"]

_OPERATORS = {"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne"}
_SPECIAL = {"$sort", "$select", "$limit", "$skip", "$or"}
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
# Node's qs, which Feathers' REST transport parses queries with, at its defaults (why this is ours and not the
# qs-codec port: mock_server/apis/README.md, "Parsers"): past DEPTH brackets the rest of a key is one literal name,
# so no key nests deeper; pairs past PARAMETER_LIMIT are dropped. qs's arrayLimit (20) is not kept: bulk actions'
# JSON queries come through here too, and Feathers takes their arrays whole.
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


class Finder:
    """A service's query rules: how each field's text is typed, which fields exist."""

    def __init__(
        self,
        fields: Mapping[str, Callable[[str], Any]],
        getters: Mapping[str, Callable[[Mapping[str, Any]], Any]] | None = None,
    ) -> None:
        self.fields = fields
        self.getters = getters or {}  # query names that read a nested value (contactId -> contact._id)

    def value(self, item: Mapping[str, Any], name: str) -> Any:
        getter = self.getters.get(name)
        return getter(item) if getter is not None else item.get(name)

    def _typed(self, name: str, value: Any) -> Any:
        if isinstance(value, list):
            return [self._typed(name, v) for v in value]
        if value == "" or value is None:
            return None
        convert = self.fields.get(name, str)
        try:
            return convert(value) if isinstance(value, str) else value
        except ValueError:
            raise BadRequest(f"Invalid value for {name}: {value!r}") from None

    def _test(self, item: Mapping[str, Any], name: str, condition: Any) -> bool:
        actual = self.value(item, name)
        if name in self.fields and isinstance(actual, str):
            actual = self._typed(name, actual)  # stored ISO text compared as an instant, like the query's value
        if isinstance(condition, dict):
            for operator, expected in condition.items():
                if operator not in _OPERATORS:
                    raise BadRequest(f"Invalid query parameter {operator}")
                if not _compare(operator, actual, self._typed(name, expected)):
                    return False
            return True
        expected = self._typed(name, condition)
        return expected in actual if isinstance(actual, list) else actual == expected

    def matches(self, item: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
        for name, condition in query.items():
            if name == "$or":
                branches = condition if isinstance(condition, list) else list(condition.values())
                if not any(self.matches(item, branch) for branch in branches if isinstance(branch, dict)):
                    return False
            elif name in _SPECIAL:
                continue
            elif name.startswith("$"):
                raise BadRequest(f"Invalid query parameter {name}")
            elif not self._test(item, name, condition):
                return False
        return True

    def sort(self, items: list[dict[str, Any]], query: Mapping[str, Any]) -> list[dict[str, Any]]:
        order = query.get("$sort")
        if not isinstance(order, dict):
            return items
        for name, direction in reversed(list(order.items())):
            descending = str(direction).strip() in ("-1", "desc", "descending")
            present = [i for i in items if self.value(i, name) is not None]
            missing = [i for i in items if self.value(i, name) is None]
            items = sorted(present, key=lambda i: self.value(i, name), reverse=descending) + missing
        return items


def _compare(operator: str, actual: Any, expected: Any) -> bool:
    values = actual if isinstance(actual, list) else [actual]
    if operator == "$in":
        return any(v in (expected if isinstance(expected, list) else [expected]) for v in values)
    if operator == "$nin":
        return not any(v in (expected if isinstance(expected, list) else [expected]) for v in values)
    if operator == "$ne":
        return expected not in values
    if actual is None or expected is None:
        return False
    try:
        return bool(
            {
                "$lt": actual < expected,
                "$lte": actual <= expected,
                "$gt": actual > expected,
                "$gte": actual >= expected,
            }[operator]
        )
    except TypeError:
        return False


def _int(value: Any, name: str) -> int:
    try:
        return abs(int(value))
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid query parameter {name}: {value!r}") from None


def page(items: list[dict[str, Any]], query: Mapping[str, Any], finder: Finder) -> dict[str, Any]:
    """Filter, sort, select and paginate: `{total, limit, skip, data}`, `$limit` clamped, `$limit=0` counts only."""
    found = finder.sort([i for i in items if finder.matches(i, query)], query)
    limit = min(_int(query.get("$limit", DEFAULT_LIMIT), "$limit"), MAX_LIMIT)
    skip = _int(query.get("$skip", 0), "$skip")
    data = found[skip : skip + limit] if limit else []
    select = query.get("$select")
    if select is not None:
        wanted = {"_id", *(select if isinstance(select, list) else [select])}
        data = [{k: v for k, v in item.items() if k in wanted} for item in data]
    return {"total": len(found), "limit": limit, "skip": skip, "data": data}


def filters_only(query: Mapping[str, Any]) -> dict[str, Any]:
    """The query without paging and shaping keys: what a multi patch or remove acts on."""
    return {k: v for k, v in query.items() if k not in ("$limit", "$skip", "$sort", "$select")}
