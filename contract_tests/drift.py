"""Planted drifts: an ASGI wrapper that makes one operation break its contract the way real APIs drift.

It exists to prove the contract catches drift (tests, and `convomock contract --drift NAME` for a demo report);
the mock itself never drifts. Each API names its drifts; one per kind of breakage.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.engine.asgi import read_body, send_bytes
from mock_server.engine.types import Receive, Scope, Send

__all__ = ["DRIFTS", "Drift", "DriftingApp", "drift_named"]

Body = Any


@dataclass(frozen=True)
class Drift:
    name: str
    api: str
    operation_id: str  # the operation that breaks
    kind: str  # what kind of breakage
    method: str
    path: str  # regex on the path the app sees
    request: Callable[[Scope], Scope] | None = None
    response: Callable[[int, Body], tuple[int, Body]] | None = None
    retry: Callable[[Scope, int], Scope | None] | None = None  # ask again differently after seeing the answer
    observe: tuple[str, ...] = ()  # other operations a run needs to see it (a workflow: create, delete, get)

    @property
    def operations(self) -> list[str]:
        return [self.operation_id, *self.observe]

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path) is not None


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope["headers"] if k.lower() == name), None)


def _with_header(scope: Scope, name: bytes, value: bytes) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != name] + [(name, value)]
    return {**scope, "headers": headers}


def _on_items(change: Callable[[dict[str, Any]], None]) -> Callable[[int, Body], tuple[int, Body]]:
    def response(status: int, body: Body) -> tuple[int, Body]:
        if status == 200 and isinstance(body, dict):
            for item in body.get("items", []):
                change(item)
        return status, body

    return response


def _drop_is_tester(status: int, body: Body) -> tuple[int, Body]:
    if status == 200 and isinstance(body, dict):
        body.pop("is_tester", None)
    return status, body


def _rename_window_status(status: int, body: Body) -> tuple[int, Body]:
    if status == 200 and isinstance(body, dict) and isinstance(body.get("window"), dict):
        body["window"]["status"] = {"open": "opened", "closed": "expired"}.get(body["window"]["status"], "expired")
    return status, body


def _status_as(real: int, drifted: int) -> Callable[[int, Body], tuple[int, Body]]:
    """A documented success status answered as another (202 -> 200, 201 -> 200)."""

    def response(status: int, body: Body) -> tuple[int, Body]:
        return (drifted if status == real else status), body

    return response


def _nest_error(status: int, body: Body) -> tuple[int, Body]:
    if status >= 400:
        return status, {"error": {"status": status, "detail": (body or {}).get("message", "error")}}
    return status, body


def _ignore_limit(scope: Scope) -> Scope:
    query = re.sub(rb"(^|&)limit=[^&]*", b"", scope.get("query_string", b"")).strip(b"&")
    return {**scope, "query_string": (query + b"&" if query else b"") + b"limit=100"}


ACME_TOKEN = b"Bearer sk_1to1_acme_live_4f9c2e7b1d8a6350c2e9f7a1"


def _anyone_in(token: bytes) -> Callable[[Scope], Scope]:
    """Requests without credentials get a valid one added: the API no longer enforces auth."""

    def request(scope: Scope) -> Scope:
        return scope if _header(scope, b"authorization") else _with_header(scope, b"authorization", token)

    return request


def _leak_other_tenant(scope: Scope, status: int) -> Scope | None:
    """A 404 for a non-acme business: ask again as acme, so another tenant reads acme's conversation."""
    if status != 404 or "/acme/" in scope["path"]:
        return None
    path = re.sub(r"^(/1to1ai)?(/api/v1/public/)[^/]+/", r"\1\2acme/", scope["path"])
    scope = _with_header({**scope, "path": path, "raw_path": path.encode()}, b"authorization", ACME_TOKEN)
    return scope


_ONE = r"(/1to1ai)?/api/v1/public/[^/]+"
DRIFTS: dict[str, Drift] = {
    d.name: d
    for d in [
        Drift(
            "1to1ai-field-dropped",
            "1to1ai",
            "getConversation",
            "a required field dropped",
            "GET",
            _ONE + r"/conversations/[^/]+",
            response=_drop_is_tester,
        ),
        Drift(
            "1to1ai-type-changed",
            "1to1ai",
            "listConversations",
            "a type changed (unread_count as a string)",
            "GET",
            _ONE + r"/conversations",
            response=_on_items(lambda c: c.update(unread_count=str(c["unread_count"]))),
        ),
        Drift(
            "1to1ai-enum-renamed",
            "1to1ai",
            "getConversationStatus",
            "an enum value renamed (open -> opened)",
            "POST",
            _ONE + r"/conversation/status",
            response=_rename_window_status,
        ),
        Drift(
            "1to1ai-status-changed",
            "1to1ai",
            "runActionGroup",
            "a status changed (202 -> 200)",
            "POST",
            _ONE + r"/conversation/actions",
            response=_status_as(202, 200),
        ),
        Drift(
            "1to1ai-error-shape",
            "1to1ai",
            "getContact",
            "an error body in another shape",
            "GET",
            _ONE + r"/contacts/[^/]+",
            response=_nest_error,
        ),
        Drift(
            "1to1ai-paging-ignored",
            "1to1ai",
            "listConversations",
            "a paging limit ignored",
            "GET",
            _ONE + r"/conversations",
            request=_ignore_limit,
        ),
        Drift(
            "1to1ai-auth-ignored",
            "1to1ai",
            "listConversations",
            "auth not enforced",
            "GET",
            _ONE + r"/conversations",
            request=_anyone_in(ACME_TOKEN),
        ),
        Drift(
            "1to1ai-tenant-leak",
            "1to1ai",
            "getConversation",
            "another tenant's object readable",
            "GET",
            _ONE + r"/conversations/[^/]+",
            retry=_leak_other_tenant,
        ),
    ]
}


HL_TOKEN = b"Bearer pit-acme-full-6f3b2a1c-9d8e-4f70-b1a2-c3d4e5f60718"


def _ask_again_as(refused: int, headers: Callable[[], dict[bytes, bytes]]) -> Callable[[Scope, int], Scope | None]:
    """Another tenant was refused (`refused`): ask again with the first tenant's headers, so it reads their data."""

    def retry(scope: Scope, status: int) -> Scope | None:
        wanted = headers()
        if status != refused or all(_header(scope, k) == v for k, v in wanted.items()):
            return None
        for name, value in wanted.items():
            scope = _with_header(scope, name, value)
        return scope

    return retry


def _delete_as_read(scope: Scope) -> Scope:
    return {**scope, "method": "GET"}


def _pretend_deleted(status: int, body: Body) -> tuple[int, Body]:
    if status == 200 and isinstance(body, dict) and "id" in body:
        return 200, {"success": True, "id": body["id"], "traceId": body.get("traceId", "drift")}
    return status, body


def _on_body(change: Callable[[dict[str, Any]], None]) -> Callable[[int, Body], tuple[int, Body]]:
    def response(status: int, body: Body) -> tuple[int, Body]:
        if status in (200, 201) and isinstance(body, dict):
            change(body)
        return status, body

    return response


def _flat_error(status: int, body: Body) -> tuple[int, Body]:
    if status >= 400 and isinstance(body, dict):
        return status, {"error": body.get("message")}
    return status, body


_HL = r"(/highlevel)?/conversation-ai"
DRIFTS.update(
    {
        d.name: d
        for d in [
            Drift(
                "highlevel-field-dropped",
                "highlevel",
                "get-agent",
                "a required field dropped",
                "GET",
                _HL + r"/agents/(?!search$)[^/]+",
                response=_on_body(lambda a: a.pop("autoPilotMaxMessages", None)),
            ),
            Drift(
                "highlevel-type-changed",
                "highlevel",
                "search-agent",
                "a type changed (totalCount as a string)",
                "GET",
                _HL + r"/agents/search",
                response=_on_body(lambda b: b.update(totalCount=str(b.get("totalCount")))),
            ),
            Drift(
                "highlevel-enum-renamed",
                "highlevel",
                "get-agent",
                "an enum value renamed (auto-pilot -> AUTO_PILOT)",
                "GET",
                _HL + r"/agents/(?!search$)[^/]+",
                response=_on_body(lambda a: a.update(mode=str(a.get("mode", "off")).upper().replace("-", "_"))),
            ),
            Drift(
                "highlevel-status-changed",
                "highlevel",
                "create-agent",
                "a status changed (201 -> 200)",
                "POST",
                _HL + r"/agents",
                response=_status_as(201, 200),
            ),
            Drift(
                "highlevel-error-shape",
                "highlevel",
                "get-agent",
                "an error body in another shape",
                "GET",
                _HL + r"/agents/(?!search$)[^/]+",
                response=_flat_error,
            ),
            Drift(
                "highlevel-paging-ignored",
                "highlevel",
                "search-agent",
                "a paging limit ignored",
                "GET",
                _HL + r"/agents/search",
                request=_ignore_limit,
            ),
            Drift(
                "highlevel-auth-ignored",
                "highlevel",
                "search-agent",
                "auth not enforced",
                "GET",
                _HL + r"/agents/search",
                request=_anyone_in(HL_TOKEN),
            ),
            Drift(
                "highlevel-tenant-leak",
                "highlevel",
                "get-agent",
                "another tenant's object readable",
                "GET",
                _HL + r"/agents/(?!search$)[^/]+",
                retry=_ask_again_as(400, lambda: {b"authorization": HL_TOKEN}),
            ),
            Drift(
                "highlevel-delete-ignored",
                "highlevel",
                "delete-agent",
                "a resource still readable after delete",
                "DELETE",
                _HL + r"/agents/[^/]+",
                request=_delete_as_read,
                response=_pretend_deleted,
                observe=("create-agent", "get-agent"),
            ),
        ]
    }
)


CRM_TOKEN = b"Bearer crm_alice_5b1f3e7a9c2d4e6f8a0b"
CRM_ORG = b"0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d01"


def _crm_anyone_in(scope: Scope) -> Scope:
    scope = _anyone_in(CRM_TOKEN)(scope)
    return scope if _header(scope, b"x-org-id") else _with_header(scope, b"x-org-id", CRM_ORG)


_CRM = r"(/crm-inbox)?/conversations"
_CRM_ID = _CRM + r"/(?!views$|sla$|media$|overdue$)[^/]+"
DRIFTS.update(
    {
        d.name: d
        for d in [
            Drift(
                "crm-inbox-field-dropped",
                "crm-inbox",
                "getConversation",
                "a required field dropped",
                "GET",
                _CRM_ID,
                response=_on_body(lambda c: c.pop("overdue", None)),
            ),
            Drift(
                "crm-inbox-type-changed",
                "crm-inbox",
                "listConversations",
                "a type changed (total as a string)",
                "GET",
                _CRM,
                response=_on_body(lambda page: page.update(total=str(page.get("total")))),
            ),
            Drift(
                "crm-inbox-enum-renamed",
                "crm-inbox",
                "listConversationMessages",
                "an enum value renamed (sms -> SMS)",
                "GET",
                _CRM_ID + r"/messages",
                response=_on_items(lambda a: a.update(type=str(a["type"]).upper())),
            ),
            Drift(
                "crm-inbox-status-changed",
                "crm-inbox",
                "uploadConversationMedia",
                "a status changed (201 -> 200)",
                "POST",
                _CRM + r"/media",
                response=_status_as(201, 200),
            ),
            Drift(
                "crm-inbox-error-shape",
                "crm-inbox",
                "getConversation",
                "an error body in another shape",
                "GET",
                _CRM_ID,
                response=_flat_error,
            ),
            Drift(
                "crm-inbox-paging-ignored",
                "crm-inbox",
                "listConversations",
                "a paging limit ignored",
                "GET",
                _CRM,
                request=_ignore_limit,
            ),
            Drift(
                "crm-inbox-auth-ignored",
                "crm-inbox",
                "listConversations",
                "auth not enforced",
                "GET",
                _CRM,
                request=_crm_anyone_in,
            ),
            Drift(
                "crm-inbox-tenant-leak",
                "crm-inbox",
                "getConversation",
                "another tenant's object readable",
                "GET",
                _CRM_ID,
                retry=_ask_again_as(404, lambda: {b"authorization": CRM_TOKEN, b"x-org-id": CRM_ORG}),
            ),
        ]
    }
)


OMNI_WORKSPACE = "665f00000000000000000001"


@functools.lru_cache(maxsize=1)
def _omni_token() -> bytes:
    """A seeded access token of Ana (Acme), the same on every start (the seed is deterministic)."""
    from mock_server.server import create_app

    app = create_app(apis=["omni-inbox"])
    runtime = app.backend.runtimes["omni-inbox"]
    token: str = next(c["token"] for c in runtime.binding.credentials(runtime.store) if c["tenant"] == OMNI_WORKSPACE)
    return b"Bearer " + token.encode()


def _omni_anyone_in(scope: Scope) -> Scope:
    return _anyone_in(_omni_token())(scope)


_OMNI = r"(/omni-inbox)?"
DRIFTS.update(
    {
        d.name: d
        for d in [
            Drift(
                "omni-inbox-field-dropped",
                "omni-inbox",
                "getConversation",
                "a required field dropped",
                "GET",
                _OMNI + r"/conversations/[^/]+",
                response=_on_body(lambda c: c.pop("pipelineStage", None)),
            ),
            Drift(
                "omni-inbox-type-changed",
                "omni-inbox",
                "findConversations",
                "a type changed (total as a string)",
                "GET",
                _OMNI + r"/conversations",
                response=_on_body(lambda page: page.update(total=str(page.get("total")))),
            ),
            Drift(
                "omni-inbox-enum-renamed",
                "omni-inbox",
                "getConversation",
                "an enum value renamed (open -> OPEN)",
                "GET",
                _OMNI + r"/conversations/[^/]+",
                response=_on_body(lambda c: c.update(status=str(c["status"]).upper())),
            ),
            Drift(
                "omni-inbox-status-changed",
                "omni-inbox",
                "createPredefinedMessage",
                "a status changed (201 -> 200)",
                "POST",
                _OMNI + r"/conversation-predefined-messages",
                response=_status_as(201, 200),
            ),
            Drift(
                "omni-inbox-error-shape",
                "omni-inbox",
                "getConversation",
                "an error body in another shape",
                "GET",
                _OMNI + r"/conversations/[^/]+",
                response=_flat_error,
            ),
            Drift(
                "omni-inbox-paging-ignored",
                "omni-inbox",
                "findConversations",
                "a paging limit ignored",
                "GET",
                _OMNI + r"/conversations",
                request=lambda scope: {**scope, "query_string": b"$limit=50"},
            ),
            Drift(
                "omni-inbox-auth-ignored",
                "omni-inbox",
                "findConversations",
                "auth not enforced",
                "GET",
                _OMNI + r"/conversations",
                request=_omni_anyone_in,
            ),
            Drift(
                "omni-inbox-tenant-leak",
                "omni-inbox",
                "getConversation",
                "another tenant's object readable",
                "GET",
                _OMNI + r"/conversations/[^/]+",
                retry=_ask_again_as(404, lambda: {b"authorization": _omni_token()}),
            ),
            Drift(
                "omni-inbox-delete-ignored",
                "omni-inbox",
                "removePredefinedMessage",
                "a resource still readable after delete",
                "DELETE",
                _OMNI + r"/conversation-predefined-messages/[^/]+",
                request=_delete_as_read,
                observe=("createPredefinedMessage", "getPredefinedMessage"),
            ),
        ]
    }
)


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
        body = await read_body(receive)
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
