"""What the shared test suites send to the omnichannel inbox (`mock_server/engine/probes.py`): for every service
method a request Ana (Acme Support) may send, and Gina (Globex) trying it on acme's records (with acme's workspace id
in the query as a hint: her JWT alone decides the workspace); JWTs that must be refused (expired on the mock clock,
forged, unsigned). Ids are the fixed records of fixtures/omni-inbox.yaml."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from mock_server.engine.probes import Caller, Case, Cases, Objects, Probes, ProbeSession, TenancyProbes

__all__ = ["PROBES"]

BASE = "base"
ACME = "665f00000000000000000001"  # workspace Acme Support
GLOBEX = "665f00000000000000000002"
ANA = "665f5d000000000000000001"  # owner, agent@acme.example
WA_OPEN = "665f1c2e9b1d4a0012a3b401"  # WhatsApp, window open
WA_CLOSED = "665f1c2e9b1d4a0012a3b402"  # WhatsApp, window closed
INSTAGRAM = "665f1c2e9b1d4a0012a3b403"
SMS = "665f1c2e9b1d4a0012a3b404"
PLAYGROUND = "665f1c2e9b1d4a0012a3b405"
GLOBEX_THREAD = "665f1c2e9b1d4a0012a3b501"  # messenger
GREETING = "665f3b000000000000000001"  # predefined message /hi
QUALIFY = "665f4c000000000000000001"  # automation
ASSISTANT = "665f6e000000000000000001"
MAYA = "665f2a000000000000000001"  # contact of WA_OPEN
LOGIN = {"strategy": "local", "email": "agent@acme.example", "password": "convomock"}


def _mixed(body: Any, mentions: str, status: int = 404, **kw: Any) -> Case:
    return Case(body=body, refused=status, mentions=mentions, proof=False, **kw)


def _channel_cases(channel: str) -> dict[str, Cases]:
    name = channel.capitalize()
    return {
        f"find{name}Messages": {
            BASE: lambda o: Case(query={"conversationId": o["conversation"][channel], "$limit": "50"}, refused=None)
        },
        f"get{name}Message": {BASE: lambda o: Case({"id": o["message"][channel]})},
        f"remove{name}Message": {BASE: lambda o: Case({"id": o["message"][channel]})},
    }


def _send(conversation: str | Callable[[Objects], str]) -> Callable[[Objects], Case]:
    return lambda o: Case(
        body={"conversationId": conversation(o) if callable(conversation) else conversation, "text": "On its way."}
    )


CASES: dict[str, Cases] = {
    "findConversations": {BASE: lambda o: Case(query={"contactId": MAYA, "$limit": "50"}, refused=None)},
    "removeConversations": {BASE: lambda o: Case(query={"contactId": MAYA}, refused=None)},
    "patchConversations": {
        BASE: lambda o: Case(query={"contactId": MAYA}, body={"pipelineStage": "qualified"}, refused=None)
    },
    "getConversation": {BASE: lambda o: Case({"id": WA_OPEN})},
    "removeConversation": {BASE: lambda o: Case({"id": WA_OPEN})},
    "patchConversation": {
        BASE: lambda o: Case({"id": WA_OPEN}, body={"assigneeId": ANA, "aiAssistantId": ASSISTANT}),
        "own-conversation+acme-assignee": lambda o: _mixed(
            {"assigneeId": ANA}, "is not part of this workspace", 400, path={"id": GLOBEX_THREAD}
        ),
        "own-conversation+acme-assistant": lambda o: _mixed(
            {"aiAssistantId": ASSISTANT}, "is not part of this workspace", 400, path={"id": GLOBEX_THREAD}
        ),
    },
    # bulk answers one result per id: each acme id must be the vendor's NotFound, nothing else
    "createConversationsBulkAction": {
        BASE: lambda o: Case(
            body={"action": "addTag", "ids": [WA_OPEN, WA_CLOSED], "value": "vip"},
            refused=None,
            mentions='"succeeded":0',
        ),
        "by-acme-contact": lambda o: Case(
            body={"action": "archive", "query": {"contactId": MAYA}}, refused=None, mentions='"total":0'
        ),
    },
    **{
        key: value
        for channel in ("whatsapp", "instagram", "messenger", "webchat", "sms", "playground")
        for key, value in _channel_cases(channel).items()
    },
    "createSmsMessage": {BASE: _send(SMS)},
    "createPlaygroundMessage": {BASE: _send(PLAYGROUND)},
    "createWhatsappOutgoing": {BASE: _send(WA_OPEN)},
    "createInstagramOutgoing": {BASE: _send(INSTAGRAM)},
    "createMessengerOutgoing": {
        BASE: lambda o: Case(
            body={"conversationId": o["conversation"]["messenger"], "text": "x", "attachments": [{"fileId": o["file"]}]}
        ),
        "own-conversation+acme-file": lambda o: _mixed(
            {"conversationId": GLOBEX_THREAD, "text": "x", "attachments": [{"fileId": o["file"]}]},
            "Unknown file",
            400,
        ),
    },
    "createWebchatOutgoing": {BASE: _send(lambda o: str(o["conversation"]["webchat"]))},
    "createS3UrlSigning": {
        BASE: lambda o: Case(body={"fileName": "a.pdf", "contentType": "application/pdf", "size": 5}, refused=None)
    },
    # an upload key of acme's workspace is "never uploaded" in globex's: 400, as an unknown key is
    "createConversationFile": {
        BASE: lambda o: Case(
            body={"key": o["upload_key"], "conversationId": WA_OPEN}, refused=400, mentions="was not uploaded"
        ),
        "own-upload+acme-conversation": lambda o: _mixed(
            {"key": o["globex_upload_key"], "conversationId": WA_OPEN}, WA_OPEN
        ),
    },
    "findPredefinedMessages": {BASE: lambda o: Case(query={"shortcut": "/hi"}, refused=None)},
    "createPredefinedMessage": {
        BASE: lambda o: Case(body={"title": "Ship", "text": "Two days.", "shortcut": "/ship"}, refused=None),
        # acme owns the shortcut /hi: globex must not get acme's 409
        "acme-shortcut": lambda o: Case(
            body={"title": "Hi", "text": "Hello.", "shortcut": "/hi"}, refused=None, proof=False
        ),
    },
    "getPredefinedMessage": {BASE: lambda o: Case({"id": GREETING})},
    "removePredefinedMessage": {BASE: lambda o: Case({"id": GREETING})},
    "patchPredefinedMessage": {BASE: lambda o: Case({"id": GREETING}, body={"text": "Hello!"})},
    "createAutomationExecution": {
        BASE: lambda o: Case(body={"automationId": QUALIFY, "conversationId": WA_OPEN}),
        "own-conversation+acme-automation": lambda o: _mixed(
            {"automationId": QUALIFY, "conversationId": GLOBEX_THREAD}, QUALIFY
        ),
    },
}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _forged_jwt(header: Mapping[str, Any], sub: str, secret: str = "not-the-signing-secret") -> str:
    """A JWT for acme's Ana that the mock never issued: signed with another secret, or not signed at all."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    claims = {"sub": sub, "aud": "https://inbox.example.com", "iat": 1700000000, "exp": 4102444800, "jti": "forged"}
    signed = part(json.dumps(header).encode()) + "." + part(json.dumps(claims).encode())
    if header.get("alg") == "none":
        return signed + "."
    return signed + "." + part(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())


def _callers(session: ProbeSession) -> dict[str, Caller]:
    tokens = {c["user"]: c["token"] for c in session.credentials()}
    login = session.call("POST", "/authentication", json=LOGIN)
    assert login.status_code == 201, login.text
    return {
        "first": Caller(_bearer(tokens["agent@acme.example"])),
        "gina": Caller(_bearer(tokens["gina@globex.example"])),
        "gina+acme-workspace-query": Caller(_bearer(tokens["gina@globex.example"]), query={"workspaceId": ACME}),
        "expired-jwt": Caller(_bearer(login.json()["accessToken"])),  # a day's token, used 25 hours later
        "forged-jwt": Caller(_bearer(_forged_jwt({"alg": "HS256", "typ": "JWT"}, ANA))),
        "alg-none-jwt": Caller(_bearer(_forged_jwt({"alg": "none", "typ": "JWT"}, ANA))),
    }


def _upload(session: ProbeSession, caller: str) -> Any:
    """A signed upload, uploaded: the file records need one."""
    wanted = {"fileName": "invoice.pdf", "contentType": "application/pdf", "size": 5}
    signed = session.call("POST", "/s3-url-signing", caller, json=wanted).json()
    put = session.request("PUT", signed["url"], content=b"%PDF-", headers={"Content-Type": "application/pdf"})
    assert put.is_success, put.text
    return signed


def _prepare(session: ProbeSession) -> Objects:
    """acme's objects the seed does not name: an upload, a file record, one message per channel (and its thread)."""
    signed, globex_key = _upload(session, "first"), _upload(session, "gina")["key"]
    workspace = session.store()["workspaces"][ACME]
    messages: dict[str, Any] = {}
    for message in sorted(workspace["messages"].values(), key=lambda m: m["_id"]):
        messages.setdefault(message["channel"], message)
    return {
        "upload_key": signed["key"],
        "globex_upload_key": globex_key,
        "file": session.first("POST", "/conversation-files", json={"key": signed["key"]})["_id"],
        "message": {channel: m["_id"] for channel, m in messages.items()},
        "conversation": {channel: m["conversationId"] for channel, m in messages.items()},
    }


def _globals(store: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """Issued tokens live beside the workspaces: acme's users', and everyone else's."""
    acme_users = store["workspaces"][ACME]["users"]
    owned = [((token, user), user in acme_users) for token, user in store["tokens"].items()]
    return [r for r, acme in owned if acme], [r for r, acme in owned if not acme]


def _expire_tokens(session: ProbeSession) -> None:
    """Tokens live a day: 25 hours on, the login's token has expired (the suite sets the clock back after)."""
    moved = session.request("POST", "/__mock/clock", json={"advance": "25h"})
    assert moved.status_code == 200, moved.text


PROBES = Probes(
    write="/conversation-predefined-messages",
    read=f"/conversations/{WA_OPEN}",
    tenancy=TenancyProbes(
        container="workspaces",
        first=ACME,
        second=GLOBEX,
        cases=CASES,
        shapes={"gina": False, "gina+acme-workspace-query": False},  # the JWT's user alone decides the workspace
        callers=_callers,
        unauthorized="NotAuthenticated",
        revoked=("expired-jwt", "forged-jwt", "alg-none-jwt"),
        public={"createAuthentication": Case(body=LOGIN)},
        prepare=_prepare,
        globals=_globals,
        before_revoked={"expired-jwt": _expire_tokens},
    ),
)
