"""A bounded record of every exchange, newest first on read; the control API and test helpers query it."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from mock_server.engine.clock import iso

__all__ = ["Journal", "JournalEntry"]

_SECRET_HEADERS = ("authorization", "cookie", "x-api-key")


@dataclass(slots=True)
class JournalEntry:
    id: int
    at: datetime  # mock-clock time of arrival (formatted only when read: recording stays cheap)
    api: str | None
    method: str
    path: str
    query: str
    operation_id: str | None
    tenant: str | None
    status: int
    raw_headers: Mapping[str, str]  # as received; `request_headers` (and the JSON) cut the secrets, when read
    request_body: Any
    response_body: Any
    duration_ms: float
    scenarios: list[str]

    @property
    def request_headers(self) -> dict[str, str]:
        return _redact(self.raw_headers.items())

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["raw_headers"]
        return {**data, "at": iso(self.at), "request_headers": self.request_headers}


def _redact(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    result = {}
    for name, value in headers:
        if name in _SECRET_HEADERS and len(value) > 12:
            value = value[:12] + "…"
        result[name] = value
    return result


class Journal:
    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self._entries: deque[JournalEntry] = deque(maxlen=limit)
        self._ids = itertools.count(1)

    def record(self, **fields: Any) -> JournalEntry:
        entry = JournalEntry(id=next(self._ids), **fields)
        self._entries.append(entry)
        return entry

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def query(
        self,
        api: str | None = None,
        method: str | None = None,
        path: str | None = None,
        operation_id: str | None = None,
        limit: int | None = None,
        after: int | None = None,
    ) -> list[JournalEntry]:
        """Newest first. `path` matches a prefix, or exactly when it ends with '$'; `after` keeps only entries
        newer than that id (ids only grow, across clears too), so a poller fetches just what is new."""
        found = []
        for entry in reversed(self._entries):
            if after is not None and entry.id <= after:
                break
            if api and entry.api != api:
                continue
            if method and entry.method != method.upper():
                continue
            if operation_id and entry.operation_id != operation_id:
                continue
            if path and not (entry.path == path[:-1] if path.endswith("$") else entry.path.startswith(path)):
                continue
            found.append(entry)
            if limit is not None and len(found) >= limit:
                break
        return found
