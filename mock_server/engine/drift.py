"""Drifts: the ways a real API breaks its contract (a field dropped, a type or status changed, auth not enforced,
another tenant's object readable...), each written as a bend of one operation's request or answer.

Each API's package names its own drifts (`drifts.py`, `ApiBinding.drifts`); the contract toolkit plants one
(`contract_tests/drift.py`) to prove that a contract run catches it. The mock itself never drifts. The bends below
are the ones every API's drifts are made of; a package adds its own where its vendor's shapes need it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.engine.types import Scope

__all__ = [
    "Drift",
    "RequestBend",
    "ResponseBend",
    "Retry",
    "anyone_in",
    "ask_again_as",
    "delete_as_read",
    "flat_error",
    "header",
    "ignore_limit",
    "nest_error",
    "on_body",
    "on_list",
    "status_as",
    "with_header",
]

Body = Any
RequestBend = Callable[[Scope], Scope]
ResponseBend = Callable[[int, Body], tuple[int, Body]]
Retry = Callable[[Scope, int], Scope | None]  # ask again differently after seeing the answer (None: don't)


@dataclass(frozen=True)
class Drift:
    name: str
    api: str
    operation_id: str  # the operation that breaks
    kind: str  # what kind of breakage
    method: str
    path: str  # regex on the path the app sees
    request: RequestBend | None = None
    response: ResponseBend | None = None
    retry: Retry | None = None
    observe: tuple[str, ...] = ()  # other operations a run needs to see it (a workflow: create, delete, get)
    # What a contract run reports it as: schemathesis' failure title or convomock's check name ("a|b": either)
    caught_as: str = ""

    @property
    def operations(self) -> list[str]:
        return [self.operation_id, *self.observe]

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path) is not None


def header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope["headers"] if k.lower() == name), None)


def with_header(scope: Scope, name: bytes, value: bytes) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != name] + [(name, value)]
    return {**scope, "headers": headers}


# -- answers -------------------------------------------------------------------------------------------------------


def on_body(change: Callable[[dict[str, Any]], None]) -> ResponseBend:
    """A success's JSON object, changed in place (a field dropped, a type changed, an enum renamed)."""

    def response(status: int, body: Body) -> tuple[int, Body]:
        if status in (200, 201) and isinstance(body, dict):
            change(body)
        return status, body

    return response


def on_list(field: str, change: Callable[[dict[str, Any]], None]) -> ResponseBend:
    """Each item of a success's list under `field`, changed in place."""

    def response(status: int, body: Body) -> tuple[int, Body]:
        if status == 200 and isinstance(body, dict):
            for item in body.get(field, []):
                change(item)
        return status, body

    return response


def status_as(real: int, drifted: int) -> ResponseBend:
    """A documented success status answered as another (202 -> 200, 201 -> 200)."""

    def response(status: int, body: Body) -> tuple[int, Body]:
        return (drifted if status == real else status), body

    return response


def nest_error(status: int, body: Body) -> tuple[int, Body]:
    """An error body in another shape: nested under `error`."""
    if status >= 400:
        return status, {"error": {"status": status, "detail": (body or {}).get("message", "error")}}
    return status, body


def flat_error(status: int, body: Body) -> tuple[int, Body]:
    """An error body in another shape: only the message."""
    if status >= 400 and isinstance(body, dict):
        return status, {"error": body.get("message")}
    return status, body


# -- requests ------------------------------------------------------------------------------------------------------


def ignore_limit(scope: Scope, parameter: bytes = b"limit", given: bytes = b"100") -> Scope:
    """The page size asked for is ignored: the API answers as if asked for `given`."""
    pattern = rb"(^|&)" + re.escape(parameter) + rb"=[^&]*"
    query = re.sub(pattern, b"", scope.get("query_string", b"")).strip(b"&")
    return {**scope, "query_string": (query + b"&" if query else b"") + parameter + b"=" + given}


def anyone_in(headers: Callable[[], Mapping[bytes, bytes]]) -> RequestBend:
    """Requests without credentials get valid ones added: the API no longer enforces auth."""

    def request(scope: Scope) -> Scope:
        for name, value in headers().items():
            if not header(scope, name):
                scope = with_header(scope, name, value)
        return scope

    return request


def ask_again_as(refused: int, headers: Callable[[], Mapping[bytes, bytes]]) -> Retry:
    """Another tenant was refused (`refused`): ask again with the first tenant's headers, so it reads their data."""

    def retry(scope: Scope, status: int) -> Scope | None:
        wanted = headers()
        if status != refused or all(header(scope, k) == v for k, v in wanted.items()):
            return None
        for name, value in wanted.items():
            scope = with_header(scope, name, value)
        return scope

    return retry


def delete_as_read(scope: Scope) -> Scope:
    """A delete that deletes nothing (the request reads instead)."""
    return {**scope, "method": "GET"}
