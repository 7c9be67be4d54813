"""ASGI plumbing shared by the mock, its control API, the validating proxy and the drift wrapper: read a body
(bounded), read headers, answer JSON. One copy, so every door of the server reads and writes the same way."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from mock_server.engine.errors import ClientGone, PayloadTooLarge
from mock_server.engine.types import Receive, Send

__all__ = ["base_url", "encode_json", "path_of", "read_body", "request_headers", "send_bytes", "send_json"]


async def read_body(receive: Receive, limit: int | None = None) -> bytes:
    """The whole request body; PayloadTooLarge past `limit` bytes; ClientGone when the connection closes first."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def request_headers(scope: Mapping[str, Any]) -> dict[str, str]:
    """Lower-case names; repeated headers joined with ', ' as HTTP allows."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def base_url(scope: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    host = headers.get("host")
    if not host and scope.get("server"):
        server_host, port = scope["server"]
        host = f"{server_host}:{port}"
    return f"{scope.get('scheme', 'http')}://{host or '127.0.0.1'}"


def path_of(scope: Mapping[str, Any]) -> str:
    """The raw path as sent (percent-escapes kept), without the query string."""
    raw = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
    return str(raw.split("?", 1)[0])


async def send_bytes(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


_JSON = [(b"content-type", b"application/json")]


def encode_json(payload: Any) -> bytes:
    """Compact UTF-8 JSON. orjson on the hot path; json for what orjson refuses (integers past 64 bits echoed
    back in an error, say), with the same compact form. A string UTF-8 cannot encode (a lone surrogate, from a
    state file, say) is written as its `\\ud800` escape, so nothing stored can make an answer fail."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


_NO_BODY = frozenset({204, 304})  # RFC 9110: no content, and no Content-Length or Content-Type to announce one


async def send_json(send: Send, status: int, payload: Any, extra: Mapping[str, str] | None = None) -> bytes:
    """Answer `payload` as JSON; returns the body sent (the journal sizes the answer by it, never encoding twice)."""
    if status in _NO_BODY:
        plain = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in (extra or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": plain})
        await send({"type": "http.response.body", "body": b""})
        return b""
    headers = (
        _JSON
        if not extra
        else [*_JSON, *[(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in extra.items()]]
    )
    body = encode_json(payload)
    await send_bytes(send, status, body, headers)
    return body
