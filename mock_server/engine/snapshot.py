"""Lossless JSON for the API stores (plain dataclasses), with cattrs doing the (un)structuring.

cattrs was chosen over a hand-written walker: it already handles nested dataclasses, Optional, dict/list and
datetimes through one converter, and its errors name the field that failed to load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import cattrs
from cattrs.preconf.json import make_converter

__all__ = ["SnapshotError", "dumps", "from_json_data", "iter_dumps", "to_json_data"]

# An unknown key is a snapshot of another shape (or a typo), not something to drop silently.
_converter = make_converter(forbid_extra_keys=True)
_converter.register_unstructure_hook(datetime, lambda value: value.isoformat())


def _instant(value: Any, _: Any) -> datetime:
    """An ISO 8601 instant with its offset: a naive one could not be compared with the clock's (a 500 later)."""
    if not isinstance(value, str):
        raise TypeError(f"{_short(value)} is not an ISO 8601 instant")
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(f"{_short(value)} has no UTC offset")
    return instant


def _number(value: Any, _: Any) -> float:
    """A float field keeps the int it held (30 stays 30, not 30.0), so a restored snapshot reads back the same."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{_short(value)} is not a number")
    return value


def _integer(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{_short(value)} is not an integer")
    return value


def _text(value: Any, _: Any) -> str:
    """cattrs' default would make `str(5)` of a 5; a snapshot with a number where text belongs is refused."""
    if not isinstance(value, str):
        raise TypeError(f"{_short(value)} is not a string")
    return value


def _flag(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):  # cattrs' default takes "no" for True
        raise TypeError(f"{_short(value)} is not true or false")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_converter.register_structure_hook(datetime, _instant)
_converter.register_structure_hook(float, _number)
_converter.register_structure_hook(int, _integer)
_converter.register_structure_hook(str, _text)
_converter.register_structure_hook(bool, _flag)


class SnapshotError(ValueError):
    """A snapshot that does not fit the stores' shape."""


def to_json_data(store: Any) -> Any:
    return _converter.unstructure(store)


def from_json_data(data: Any, store_type: type) -> Any:
    try:
        return _converter.structure(data, store_type)
    except (cattrs.BaseValidationError, AttributeError, KeyError, TypeError, ValueError) as exc:
        detail = "; ".join(cattrs.transform_error(exc)) if isinstance(exc, cattrs.BaseValidationError) else str(exc)
        raise SnapshotError(f"state does not fit {store_type.__name__}: {detail}") from None


def dumps(data: Any) -> str:
    """Canonical text: sorted keys, so equal state gives byte-identical files."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def iter_dumps(data: Any, depth: int = 7) -> Iterator[str]:
    """`dumps(data)` in pieces that join to the same text, for snapshots too large to hold as one string (10,000
    conversations a tenant is over 100 MB). Containers down to `depth` levels are written piece by piece, deeper ones
    whole: 7 reaches the items of each tenant's collections (snapshot, apis, api, store, tenants, tenant,
    collection), so no piece is large and most are encoded by json's C encoder."""
    if depth > 0 and isinstance(data, dict) and data and all(isinstance(key, str) for key in data):
        for index, key in enumerate(sorted(data)):
            yield ("{" if index == 0 else ",") + json.dumps(key, ensure_ascii=False) + ":"
            yield from iter_dumps(data[key], depth - 1)
        yield "}"
    elif depth > 0 and isinstance(data, list) and data:
        for index, item in enumerate(data):
            yield "[" if index == 0 else ","
            yield from iter_dumps(item, depth - 1)
        yield "]"
    else:
        yield dumps(data)
