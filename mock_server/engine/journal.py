"""A bounded record of every exchange, newest first on read; the control API and test helpers query it.

Bounded twice: at most `limit` entries and about `max_bytes` bytes, the oldest dropped first. What an entry keeps is
cut on the way in, from sizes already known (the raw request body, the encoded answer), so recording never
serialises a body again: a body over BODY_LIMIT bytes is kept as `{"truncated": true, "bytes": N, "preview": "<its
first PREVIEW_BYTES as text>"}`, a bytes body (an upload, a raw receiver's input) as `{"bytes": N, "content_type":
...}`, a form's file part as its filename, content type and size, a header value over HEADER_LIMIT characters cut.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from mock_server.engine.clock import iso

__all__ = ["BODY_LIMIT", "BYTE_BUDGET", "HEADER_LIMIT", "PREVIEW_BYTES", "Journal", "JournalEntry"]

_SECRET_HEADERS = ("authorization", "cookie", "x-api-key")
BODY_LIMIT = 16 * 1024  # a body larger than this (its raw or encoded bytes) is kept as a preview
PREVIEW_BYTES = 4 * 1024  # the start of a cut body (or of a textual bytes body) kept as text
HEADER_LIMIT = 1024  # a header value longer than this is cut
BYTE_BUDGET = 64 * 1024 * 1024  # the whole journal's estimated size; the oldest entries go first past it
_ENTRY_BYTES = 512  # an entry's own fields (times, ids, status...), estimated
_TEXTUAL = ("text/", "json", "xml", "x-www-form-urlencoded")


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
    raw_headers: Mapping[str, str]  # as received, long values cut; `request_headers` (and the JSON) cut the secrets
    request_body: Any
    response_body: Any
    duration_ms: float
    scenarios: list[str]
    size: int = 0  # estimated bytes this entry holds (what the journal's byte budget counts)

    @property
    def request_headers(self) -> dict[str, str]:
        return _redact(self.raw_headers.items())

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["raw_headers"], data["size"]
        return {**data, "at": iso(self.at), "request_headers": self.request_headers}


def _redact(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    result = {}
    for name, value in headers:
        if name in _SECRET_HEADERS and len(value) > 12:
            value = value[:12] + "…"
        result[name] = value
    return result


class Journal:
    def __init__(self, limit: int = 1000, max_bytes: int = BYTE_BUDGET) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self.bytes = 0  # the entries' estimated size, kept up to date as they come and go
        self._entries: deque[JournalEntry] = deque()
        self._ids = itertools.count(1)

    def record(
        self,
        *,
        raw_headers: Mapping[str, str],
        request_body: Any,
        response_body: Any,
        request_raw: bytes | None = None,
        response_raw: bytes | None = None,
        **fields: Any,
    ) -> JournalEntry:
        """One exchange. `request_raw` and `response_raw` are the bytes as received and as sent, when known: their
        lengths decide whether a body is kept whole, and their start is a cut body's preview."""
        content_type = raw_headers.get("content-type")
        headers, header_bytes = _cut_headers(raw_headers)
        request_body, request_bytes = _kept_body(request_body, request_raw, content_type)
        response_body, response_bytes = _kept_body(response_body, response_raw, None)
        size = _ENTRY_BYTES + header_bytes + request_bytes + response_bytes
        size += len(fields.get("path", "")) + len(fields.get("query", ""))
        entry = JournalEntry(
            id=next(self._ids),
            raw_headers=headers,
            request_body=request_body,
            response_body=response_body,
            size=size,
            **fields,
        )
        self._entries.append(entry)
        self.bytes += size
        while len(self._entries) > self.limit or (self.bytes > self.max_bytes and len(self._entries) > 1):
            self.bytes -= self._entries.popleft().size
        return entry

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def describe(self) -> dict[str, int]:
        """Its size and bounds, as health shows them."""
        return {"entries": len(self), "bytes": self.bytes, "max_entries": self.limit, "max_bytes": self.max_bytes}

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


def _cut_headers(headers: Mapping[str, str]) -> tuple[Mapping[str, str], int]:
    """The headers with every value over HEADER_LIMIT cut (a copy only when one is), and their size."""
    if not headers:
        return headers, 0
    lengths = list(map(len, headers.values()))  # C-speed: recording stays cheap on the hot path
    if max(lengths) <= HEADER_LIMIT:
        return headers, sum(lengths) + 16 * len(lengths)  # names estimated
    cut = {name: _cut_text(value, HEADER_LIMIT) for name, value in headers.items()}
    return cut, sum(map(len, cut.values())) + 16 * len(cut)


def _cut_text(value: str, limit: int) -> str:
    return value if len(value) <= limit else f"{value[:limit]}… (cut: {len(value)} characters)"


def _kept_body(value: Any, raw: bytes | None, content_type: str | None) -> tuple[Any, int]:
    """What the journal keeps of a body, and its estimated size: the body itself when small, else metadata."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _bytes_meta(bytes(value[:PREVIEW_BYTES]), len(value), content_type)
    if content_type is not None and isinstance(value, dict) and content_type[:10].lower() == "multipart/":
        return _form(value)
    if raw is None:  # a caller that knows no size: only a long text is cut
        if isinstance(value, str) and len(value) > BODY_LIMIT:
            preview = value[:PREVIEW_BYTES]
            return {"truncated": True, "bytes": len(value.encode("utf-8", "replace")), "preview": preview}, len(preview)
        return value, 0
    size = len(raw)
    if size > BODY_LIMIT:
        preview = raw[:PREVIEW_BYTES].decode("utf-8", errors="replace")
        return {"truncated": True, "bytes": size, "preview": preview}, len(preview) + 64
    return value, size


def _bytes_meta(head: bytes, size: int, content_type: str | None) -> tuple[dict[str, Any], int]:
    """A bytes body as metadata; a textual one (JSON, text, XML, a form) with the start of it as a preview."""
    meta: dict[str, Any] = {"bytes": size, "content_type": content_type}
    if content_type and any(kind in content_type.lower() for kind in _TEXTUAL):
        meta["preview"] = head.decode("utf-8", errors="replace")
        if size > PREVIEW_BYTES:
            meta["truncated"] = True
    return meta, 64 + len(meta.get("preview", ""))


def _form(form: dict[Any, Any]) -> tuple[dict[str, Any], int]:
    """A parsed multipart form: its text fields (cut past PREVIEW_BYTES) and each file part as metadata."""
    kept: dict[str, Any] = {}
    size = 0
    for name, value in form.items():
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            part: dict[str, Any] = {}
            for each in dataclasses.fields(value):
                item = getattr(value, each.name)
                if isinstance(item, (bytes, bytearray, memoryview)):
                    part["bytes"] = len(item)
                elif item is None or isinstance(item, (str, int, float, bool)):
                    part[each.name] = _cut_text(item, PREVIEW_BYTES) if isinstance(item, str) else item
            value = part
            size += 64 + sum(len(v) for v in part.values() if isinstance(v, str))
        elif isinstance(value, str):
            value = _cut_text(value, PREVIEW_BYTES)
            size += len(value)
        else:  # python-multipart gives text and file parts only; anything else is shown, never kept as is
            value = _cut_text(str(value), PREVIEW_BYTES)
            size += len(value)
        kept[str(name)] = value
        size += len(str(name))
    return kept, size
