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

_converter = make_converter()
_converter.register_unstructure_hook(datetime, lambda value: value.isoformat())
_converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))


def _number(value: Any, _: Any) -> float:
    """A float field keeps the int it held (30 stays 30, not 30.0), so a restored snapshot reads back the same."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{value!r} is not a number")
    return value


_converter.register_structure_hook(float, _number)


class SnapshotError(ValueError):
    """A snapshot that does not fit the stores' shape."""


def to_json_data(store: Any) -> Any:
    return _converter.unstructure(store)


def from_json_data(data: Any, store_type: type) -> Any:
    try:
        return _converter.structure(data, store_type)
    except (cattrs.BaseValidationError, KeyError, TypeError, ValueError) as exc:
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
