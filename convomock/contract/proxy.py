"""The validating proxy: forwards a client's real traffic upstream, untouched, and reports what breaks the spec.

Requests are matched to the spec's operations and validated the way the mock validates them (the engine's own
routing and validators); answers are checked against the documented statuses and schemas. Nothing is changed
on the wire: a violation is logged and kept for `GET /__mock/violations`, and the traffic flows on.
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import zlib
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from convomock.contract.loader import ContractOptions, _spec_for
from mock_server.engine.asgi import path_of, read_body, send_bytes, send_json
from mock_server.engine.errors import ClientGone, MethodNotAllowed, MockError, RouteNotFound
from mock_server.engine.routing import RouteTable
from mock_server.engine.specs import Operation, Spec, load_spec
from mock_server.engine.types import Receive, Scope, Send
from mock_server.engine.validation import validate_request

__all__ = ["ValidatingProxy", "Violation"]

log = logging.getLogger("convomock.proxy")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


@dataclass
class Violation:
    id: int
    at: str
    method: str
    path: str
    operation_id: str | None
    side: str  # request or response
    status: int | None
    problem: str


class ValidatingProxy:
    def __init__(
        self, spec: Spec, upstream: str, transport: httpx.AsyncBaseTransport | None = None, limit: int = 1000
    ) -> None:
        self.spec = spec
        self.upstream = upstream.rstrip("/")
        self.routes: RouteTable[Operation] = RouteTable()
        for operation in spec.operations:
            self.routes.add(operation.method, operation.path, operation)
        self.violations: deque[Violation] = deque(maxlen=limit)
        self.forwarded = 0
        self._ids = itertools.count(1)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def for_api(
        cls,
        api: str | None = None,
        spec: Path | None = None,
        upstream: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> ValidatingProxy:
        _, path = _spec_for(ContractOptions(api=api, spec=spec))
        return cls(load_spec(path), upstream, transport)

    def _note(
        self, method: str, path: str, operation: Operation | None, side: str, status: int | None, problem: str
    ) -> None:
        violation = Violation(
            next(self._ids),
            datetime.now(UTC).isoformat(),
            method,
            path,
            operation.operation_id if operation else None,
            side,
            status,
            problem,
        )
        self.violations.append(violation)
        log.warning("spec violation (%s) %s %s -> %s: %s", side, method, path, status, problem)

    # -- ASGI ----------------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    if self._client is not None:
                        await self._client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path = path_of(scope)
        if path.startswith("/__mock/"):
            await self._control(scope, send, path)
            return
        try:
            body = await read_body(receive)
        except ClientGone:  # the client left before its body all arrived: nothing to forward
            return
        await self._forward(scope, send, path, body)

    async def _forward(self, scope: Scope, send: Send, path: str, body: bytes) -> None:
        method = scope["method"].upper()
        query_string = scope.get("query_string", b"").decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        lowered = {k.lower(): v for k, v in headers}
        operation = self._check_request(method, path, query_string, lowered, body)
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, timeout=60.0)
        url = self.upstream + path + (f"?{query_string}" if query_string else "")
        request = self._client.build_request(
            method, url, content=body, headers=[(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        )
        response = await self._client.send(request, stream=True)
        try:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        self.forwarded += 1
        if operation is not None:
            self._check_response(method, path, operation, response, raw)
        out = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.multi_items()
            if k.lower() not in _HOP_BY_HOP
        ]
        await send_bytes(send, response.status_code, raw, out)

    def _check_request(
        self, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes
    ) -> Operation | None:
        try:
            match = self.routes.match(method, path)
        except (RouteNotFound, MethodNotAllowed):
            self._note(method, path, None, "request", None, "no operation of the spec matches this method and path")
            return None
        try:
            validate_request(
                match.target,
                match.path_params,
                parse_qsl(query_string, keep_blank_values=True),
                headers,
                body,
                headers.get("content-type"),
            )
        except MockError as exc:
            self._note(method, path, match.target, "request", None, f"request breaks the spec: {exc}")
        return match.target

    def _check_response(
        self, method: str, path: str, operation: Operation, response: httpx.Response, raw: bytes
    ) -> None:
        status = response.status_code
        validator = operation.response_validator(status)
        if validator is False:
            self._note(method, path, operation, "response", status, f"status {status} is not documented")
            return
        if validator is None:
            return
        try:
            payload = json.loads(_decode(raw, response.headers.get("content-encoding", "")) or b"null")
        except (ValueError, OSError, zlib.error):
            self._note(method, path, operation, "response", status, "answer is not JSON")
            return
        problems = validator.errors(payload, limit=3)
        if problems:
            detail = "; ".join(f"/{'/'.join(map(str, p))}: {m}" for p, m in problems)
            self._note(method, path, operation, "response", status, f"answer breaks the spec: {detail}")

    async def _control(self, scope: Scope, send: Send, path: str) -> None:
        method = scope["method"].upper()
        if path == "/__mock/violations" and method == "GET":
            status, payload = (
                200,
                {
                    "count": len(self.violations),
                    "forwarded": self.forwarded,
                    "items": [asdict(v) for v in reversed(self.violations)],
                },
            )
        elif path == "/__mock/violations" and method == "DELETE":
            self.violations.clear()
            status, payload = 200, {"cleared": True}
        elif path == "/__mock/health" and method == "GET":
            status, payload = (
                200,
                {
                    "status": "ok",
                    "upstream": self.upstream,
                    "forwarded": self.forwarded,
                    "violations": len(self.violations),
                },
            )
        else:
            status, payload = 404, {"error": f"no proxy control endpoint {method} {path}"}
        await send_json(send, status, payload)


def _decode(raw: bytes, encoding: str) -> bytes:
    encoding = encoding.lower().strip()
    if encoding == "gzip":
        return gzip.decompress(raw)
    if encoding == "deflate":
        return zlib.decompress(raw)
    return raw
