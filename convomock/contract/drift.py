"""Planted drifts: an ASGI wrapper that makes one operation break its contract the way real APIs drift.

It exists to prove the contract catches drift (tests, and `convomock contract --drift NAME` for a demo report);
the mock itself never drifts. Each API's package names its drifts (`ApiBinding.drifts`, one per kind of breakage,
made of the bends in `mock_server/engine/drift.py`); this module only plants one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mock_server.apis import BINDINGS
from mock_server.engine.asgi import read_body, send_bytes
from mock_server.engine.drift import Drift
from mock_server.engine.errors import ClientGone
from mock_server.engine.types import Receive, Scope, Send

__all__ = ["DRIFTS", "Drift", "DriftingApp", "drift_named"]

DRIFTS: dict[str, Drift] = {drift.name: drift for binding in BINDINGS.values() for drift in binding.drifts}


def drift_named(name: str) -> Drift:
    if name not in DRIFTS:
        raise KeyError(f"unknown drift {name!r}; known: {', '.join(DRIFTS)}")
    return DRIFTS[name]


class DriftingApp:
    """Wraps an ASGI app; requests the drift matches are changed on the way in and out. The rest pass through."""

    def __init__(self, app: Any, drift: Drift) -> None:
        self.app = app
        self.drift = drift

    def __getattr__(self, name: str) -> Any:  # runtimes, api_root, ... of the wrapped mock
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.drift.matches(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive)
        except ClientGone:  # the client left before its body all arrived: nothing to answer
            return
        if self.drift.request:
            scope = self.drift.request(scope)
        status, headers, payload = await _call(self.app, scope, body)
        if self.drift.retry:
            again = self.drift.retry(scope, status)
            if again is not None:
                status, headers, payload = await _call(self.app, again, body)
        if self.drift.response:
            try:
                decoded = json.loads(payload) if payload else None
            except ValueError:
                decoded = None
            if decoded is not None:
                status, changed = self.drift.response(status, decoded)
                payload = json.dumps(changed).encode()
        await send_bytes(send, status, payload, [(k, v) for k, v in headers if k.lower() != b"content-length"])


async def _call(app: Any, scope: Scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    sent = False
    result: dict[str, Any] = {"body": b""}

    async def receive() -> Mapping[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Mapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            result["status"], result["headers"] = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            result["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return result["status"], result["headers"], result["body"]
