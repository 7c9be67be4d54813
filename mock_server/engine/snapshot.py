"""Lossless JSON for the API stores (plain dataclasses), with cattrs doing the (un)structuring.

cattrs was chosen over a hand-written walker: it already handles nested dataclasses, Optional, dict/list and
datetimes through one converter, and its errors name the field that failed to load.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import cattrs
from cattrs.preconf.json import make_converter

__all__ = ["to_json_data", "from_json_data", "dumps", "SnapshotError"]

_converter = make_converter()
_converter.register_unstructure_hook(datetime, lambda value: value.isoformat())
_converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))


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
