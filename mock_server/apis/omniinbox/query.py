"""Feathers queries: the qs-style query string the REST client sends, parsed into a nested query, then applied
the way Feathers' adapters do (equality, $in, $nin, $lt, $lte, $gt, $gte, $ne, $or, $sort, $select, $limit
clamped to the service's maximum, $skip).

    status[$in][0]=open&status[$in][1]=pending&$sort[updatedAt]=-1&$limit=20
      -> {"status": {"$in": ["open", "pending"]}, "$sort": {"updatedAt": -1}, "$limit": 20}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mock_server.apis.omniinbox.errors import BadRequest

__all__ = ["Finder", "filters_only", "page", "parse"]

_SEGMENT = re.compile(r"\[([^\]]*)\]")
_OPERATORS = {"$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$ne"}
_SPECIAL = {"$sort", "$select", "$limit", "$skip", "$or"}
MAX_LIMIT = 50
DEFAULT_LIMIT = 10


def _path(key: str) -> list[str]:
    head = key.split("[", 1)[0]
    return [head, *_SEGMENT.findall(key[len(head) :])]


def _listify(node: Any) -> Any:
    """Objects whose keys are all indices (or empty, from `a[]=`) become lists, as qs does."""
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k == "" or k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=lambda k: (k == "", int(k) if k.isdigit() else 0))]
    return node


def parse(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, value in pairs:
        if not key or key.startswith("["):
            continue  # `?=x` or `?[a]=x` names no field: ignored, as qs does
        path = _path(key)
        node = query
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise BadRequest(f"Invalid query parameter {key}")
            node = child
        last = path[-1]
        if last == "" and isinstance(node, dict):  # a[]=x&a[]=y
            last = str(sum(1 for k in node if k.isdigit() or k.startswith("_")))
            last = f"_{last}"
        node[last] = value
    parsed = _listify(_rekey(query))
    return parsed if isinstance(parsed, dict) else {}


def _rekey(node: Any) -> Any:
    """`_0`, `_1` keys made by `a[]=` become indices."""
    if isinstance(node, dict):
        return {(k[1:] if k.startswith("_") and k[1:].isdigit() else k): _rekey(v) for k, v in node.items()}
    return node


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
