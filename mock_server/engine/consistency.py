"""Dangling references in a store that a snapshot or state file brought in. Its shape was checked already
(`snapshot.py`); what it refers to is each API's own business, so each package lists its references
(`ApiBinding.check_state`) and writes them down with this one helper."""

from __future__ import annotations

from collections.abc import Callable, Container, Hashable, Mapping
from typing import Any

__all__ = ["StateCheck"]


class StateCheck:
    """Collects one line per problem: a record filed under another's key, a reference to nothing."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def keyed(self, where: str, records: Mapping[Any, Any], key_of: Callable[[Any], Any]) -> None:
        """Each record of `records` is filed under its own key (lookups by key would find the wrong one)."""
        for key, record in records.items():
            own = key_of(record)
            if own != key:
                self.problems.append(f"{where}[{key!r}] holds the record of {own!r}")

    def refers(self, where: str, value: Any, known: Container[Any], kind: str) -> None:
        """`value` (None: no reference) names a record of `known`."""
        if value is None:
            return
        if not isinstance(value, Hashable) or value not in known:
            self.problems.append(f"{where}: no {kind} {value!r}"[:300])
