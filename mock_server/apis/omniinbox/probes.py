"""What the shared test suites send to the omni-inbox (`mock_server/engine/probes.py`): for every service method a
request the Admin User (owner of Acme Solutions, org 456) may send, and Globex (org 27) trying it on acme's
records: Jane Smith's JWT in her own organization, and the same JWT or globex's API key naming acme's organization
(`organization_id=456`, refused with 403 before anything is read). Credentials that must be refused: an expired,
a forged, an unsigned and a logged-out JWT, and acme's revoked API key. Ids are the fixed records of
fixtures/omni-inbox.yaml.

Every caller sends its `organization_id` in the query (the finds need it); a create without one in its body then
goes to the caller's organization.
"""

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
ACME, GLOBEX = "456", "27"
ACME_KEY = "aa_live_4f1c2e9b7d3a4c5e8f6a1b2c3d4e5f60"
REVOKED_KEY = "aa_live_0b9e8d7c6b5a49382716f5e4d3c2b1a0"
GLOBEX_KEY = "aa_live_7c3e1a9f5b2d4e6c8a0f1e3d5c7b9a21"
ADMIN, AGENT = 789, 790  # acme's owner, acme's member
CONVERSATIONS = {
    "whatsapp": 1001,
    "instagram": 1003,
    "messenger": 1004,
    "webchat": 1005,
    "sms": 1006,
    "playground": 1007,
}
WA_CLOSED, GLOBEX_THREAD, PLAYGROUND_CONTACT = 1002, 2701, 207
LOGIN = {"strategy": "local", "email": "admin@example.com", "password": "convomock"}
PAYLOAD: dict[str, Any] = {"conversation": {"id": 1001}, "contact": None, "messages": []}
CHANNELS = tuple(CONVERSATIONS)


def _mixed(body: Any, mentions: str, status: int = 404, **kw: Any) -> Case:
    return Case(body=body, refused=status, mentions=mentions, proof=False, **kw)


def _id(value: Any) -> dict[str, str]:
    return {"id": str(value)}


def _channel_cases(channel: str) -> dict[str, Cases]:
    name = channel.capitalize()
    return {
        f"find{name}Messages": {
            BASE: lambda o: Case(
                query={"conversation_id": str(CONVERSATIONS[channel])}, refused=None, mentions='"total":0'
            )
        },
        f"get{name}Message": {BASE: lambda o: Case(_id(o["message"][channel]))},
        f"remove{name}Message": {BASE: lambda o: Case(_id(o["message"][channel]))},
    }


def _send(channel: str, **extra: Any) -> Callable[[Objects], Case]:
    return lambda o: Case(body={"conversation_id": CONVERSATIONS[channel], "message_text": "On its way.", **extra})


def _file_body(key: str, conversation: int) -> dict[str, Any]:
    return {
        "conversation_id": conversation,
        "file_name": "invoice.pdf",
        "file_type": "application/pdf",
        "file_size": 5,
        "s3_key": key,
        "s3_path": f"s3://achieveapex-conversation-files/{key}",
        "file_category": "file",
    }


def _run(automation: int, organization: int, conversation: int) -> dict[str, Any]:
    return {
        "automation_id": automation,
        "organization_id": organization,
        "conversation_id": conversation,
        "initial_payload": PAYLOAD,
    }


_STATUS = {"action": "update_status", "status": "closed"}
CASES: dict[str, Cases] = {
    "removeAuthentication": {BASE: lambda o: Case(refused=None)},  # each logs its own token out
    "findConversations": {BASE: lambda o: Case(query={"$limit": "50", "status": "open"}, refused=None)},
    "getConversation": {BASE: lambda o: Case(_id(1001))},
    "removeConversation": {BASE: lambda o: Case(_id(1001))},
    "patchConversation": {
        BASE: lambda o: Case(_id(1001), body={"status": "closed", "assigned_ai_assistant_id": 55}),
        "own-conversation+acme-assignee": lambda o: _mixed(
            {"assigned_user_id": AGENT}, "is not a member", 400, path=_id(GLOBEX_THREAD)
        ),
        "own-conversation+acme-assistant": lambda o: _mixed(
            {"assigned_ai_assistant_id": 55}, "Unknown AI assistant", 400, path=_id(GLOBEX_THREAD)
        ),
        "own-conversation+acme-stage": lambda o: _mixed(
            {"pipeline_stage_id": 101}, "Unknown pipeline stage", 400, path=_id(GLOBEX_THREAD)
        ),
    },
    # ids of another organization are skipped, not refused: nothing processed
    "createConversationsBulkAction": {
        BASE: lambda o: Case(
            body={**_STATUS, "conversation_ids": [1001, WA_CLOSED]}, refused=None, mentions='"processed_count":0'
        ),
        "acme-view": lambda o: Case(body={**_STATUS, "view_id": 31}, refused=404, mentions="No record found"),
        "acme-filter": lambda o: Case(
            body={**_STATUS, "filter": {"organization_id": 456}}, refused=403, mentions="not a member"
        ),
        "own-conversation+acme-assignee": lambda o: _mixed(
            {"action": "assign", "assigned_user_id": AGENT, "conversation_ids": [GLOBEX_THREAD]}, "is not a member", 400
        ),
    },
    **{key: value for channel in CHANNELS for key, value in _channel_cases(channel).items()},
    "createWhatsappOutgoing": {BASE: _send("whatsapp")},
    "createInstagramOutgoing": {BASE: _send("instagram")},
    "createWebchatOutgoing": {BASE: _send("webchat")},
    "createMessengerOutgoing": {
        BASE: lambda o: _send("messenger", conversation_file_id=o["file"])(o),
        "own-conversation+acme-file": lambda o: _mixed(
            {"conversation_id": GLOBEX_THREAD, "message_text": "x", "conversation_file_id": o["file"]},
            "Unknown conversation file",
            400,
        ),
    },
    "createSmsMessage": {BASE: _send("sms")},
    # the playground names the organization in its body [doc]: another's is refused before anything is read
    "createPlaygroundMessage": {
        BASE: lambda o: Case(
            body={**_send("playground")(o).body, "organization_id": 456, "contact_id": PLAYGROUND_CONTACT},
            refused=403,
            mentions="not a member",
        ),
        "own-org+acme-conversation": lambda o: _mixed(
            {**_send("playground")(o).body, "organization_id": 27, "contact_id": PLAYGROUND_CONTACT}, "No record found"
        ),
    },
    "createS3UrlSigning": {
        BASE: lambda o: Case(body={"file_name": "a.pdf", "file_type": "application/pdf", "file_size": 5}, refused=None),
        "acme-conversation": lambda o: Case(
            body={"file_name": "a.pdf", "file_type": "application/pdf", "file_size": 5, "conversation_id": 1001}
        ),
    },
    # an upload key of acme's is "never uploaded" for globex: 400, as an unknown key is
    "createConversationFile": {
        BASE: lambda o: Case(body=_file_body(o["upload_key"], 1004), refused=400, mentions="was not uploaded"),
        "own-upload+acme-conversation": lambda o: _mixed(_file_body(o["globex_upload_key"], 1004), "No record found"),
    },
    "findPredefinedMessages": {BASE: lambda o: Case(query={"$sort[title]": "1"}, refused=None)},
    "getPredefinedMessage": {BASE: lambda o: Case(_id(41))},
    "createPredefinedMessage": {
        BASE: lambda o: Case(body={"title": "Shipping", "message_type": "text", "content": "Two days."}, refused=None)
    },
    "patchPredefinedMessage": {BASE: lambda o: Case(_id(41), body={"content": "Hello!"})},
    "removePredefinedMessage": {BASE: lambda o: Case(_id(41))},
    "createAutomationExecution": {
        BASE: lambda o: Case(body=_run(77, 456, 1001), refused=403, mentions="not a member"),
        "own-org+acme-automation": lambda o: _mixed(_run(77, 27, GLOBEX_THREAD), "No record found"),
        "own-org+acme-conversation": lambda o: _mixed(_run(79, 27, 1001), "No record found"),
    },
    "findOrganizations": {BASE: lambda o: Case(refused=None)},
    "getOrganization": {BASE: lambda o: Case(_id(ACME))},
    "findUsers": {BASE: lambda o: Case(refused=None)},
    "getUser": {BASE: lambda o: Case(_id(AGENT))},
    "findContacts": {BASE: lambda o: Case(query={"searchTerm": "doe"}, refused=None)},
    "getContact": {BASE: lambda o: Case(_id(123))},
    "createContact": {
        BASE: lambda o: Case(
            body={"first_name": "Ana", "last_name": "Lima", "email": "ana.lima@example.org"}, refused=None
        )
    },
    "findPipelines": {BASE: lambda o: Case(refused=None)},
    "getPipeline": {BASE: lambda o: Case(_id(789))},
    "findPipelineStages": {BASE: lambda o: Case(refused=None)},
    "getPipelineStage": {BASE: lambda o: Case(_id(101))},
    "findTags": {BASE: lambda o: Case(refused=None)},
    "getTag": {BASE: lambda o: Case(_id(11))},
    "findConversationViews": {BASE: lambda o: Case(refused=None)},
    "getConversationView": {BASE: lambda o: Case(_id(31))},
    "findAiAssistants": {BASE: lambda o: Case(query={"type": "conversation"}, refused=None)},
    "getAiAssistant": {BASE: lambda o: Case(_id(55))},
    "findAutomations": {BASE: lambda o: Case(refused=None)},
    "getAutomation": {BASE: lambda o: Case(_id(77))},
}


def _bearer(token: str, org: str | None = None) -> Caller:
    return Caller({"Authorization": f"Bearer {token}"}, query={"organization_id": org} if org else {})


def _forged_jwt(header: Mapping[str, Any], sub: str, secret: str = "not-the-signing-secret") -> str:
    """A JWT for acme's admin that the mock never issued: signed with another secret, or not signed at all."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    claims = {"sub": sub, "aud": "https://yourdomain.com", "iss": "feathers", "iat": 1700000000, "exp": 4102444800}
    signed = part(json.dumps(header).encode()) + "." + part(json.dumps({**claims, "jti": "forged"}).encode())
    if header.get("alg") == "none":
        return signed + "."
    return signed + "." + part(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())


def _callers(session: ProbeSession) -> dict[str, Caller]:
    tokens = {c["user"]: c["token"] for c in session.credentials() if not c.get("token_header")}
    logins = []
    for _ in range(2):
        login = session.call("POST", "/authentication", json=LOGIN)
        assert login.status_code == 201, login.text
        logins.append(login.json()["accessToken"])
    logout = session.call("DELETE", "/authentication", headers={"Authorization": f"Bearer {logins[1]}"})
    assert logout.status_code == 200, logout.text
    return {
        "first": _bearer(tokens["admin@example.com"], ACME),
        "jane": _bearer(tokens["jane.smith@example.com"], GLOBEX),
        "jane+acme-org": _bearer(tokens["jane.smith@example.com"], ACME),
        "globex-key+acme-org": Caller({"x-api-key": GLOBEX_KEY}, query={"organization_id": ACME}),
        "expired-jwt": _bearer(logins[0]),  # a day's token, used 25 hours later
        "logged-out-jwt": _bearer(logins[1]),
        "forged-jwt": _bearer(_forged_jwt({"alg": "HS256", "typ": "access"}, str(ADMIN))),
        "alg-none-jwt": _bearer(_forged_jwt({"alg": "none", "typ": "access"}, str(ADMIN))),
        "revoked-api-key": Caller({"x-api-key": REVOKED_KEY}),
    }


def _upload(session: ProbeSession, caller: str, conversation: int | None = None) -> str:
    """A signed upload, uploaded: file records need one. Its key."""
    wanted: dict[str, Any] = {"file_name": "invoice.pdf", "file_type": "application/pdf", "file_size": 5}
    if conversation is not None:
        wanted["conversation_id"] = conversation
    signed = session.call("POST", "/s3-url-signing", caller, json=wanted)
    assert signed.status_code == 201, signed.text
    put = session.request("PUT", signed.json()["url"], content=b"%PDF-", headers={"Content-Type": "application/pdf"})
    assert put.is_success, put.text
    return str(signed.json()["s3PathWithoutBucket"])


def _prepare(session: ProbeSession) -> Objects:
    """acme's objects the seed does not name: an upload and its file record (on Messenger), one message a channel."""
    key = _upload(session, "first", 1004)
    messages = session.store()["organizations"][ACME]["messages"]
    return {
        "upload_key": key,
        "globex_upload_key": _upload(session, "jane"),
        "file": session.first("POST", "/conversation-files", json=_file_body(key, 1004))["_id"],
        "message": {channel: min(messages[channel], key=lambda k: (len(k), k)) for channel in CHANNELS},
    }


def _globals(store: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """Users, API keys and seeded tokens live beside the organizations: acme's alone, and everyone else's."""
    users = store["users"]
    alone = {uid for uid, user in users.items() if list(user["memberships"]) == [ACME]}
    firsts: list[Any] = [users[uid] for uid in sorted(alone)]
    others: list[Any] = [user for uid, user in users.items() if uid not in alone]
    for key in store["api_keys"].values():
        (firsts if str(key["organization_id"]) == ACME else others).append(key)
    for token, uid in store["tokens"].items():
        (firsts if uid in alone else others).append(token)
    return firsts, others


def _expire_tokens(session: ProbeSession) -> None:
    """Tokens live a day: 25 hours on, the login's token has expired (the suite sets the clock back after)."""
    moved = session.request("POST", "/__mock/clock", json={"advance": "25h"})
    assert moved.status_code == 200, moved.text


PROBES = Probes(
    write="/conversation-predefined-messages",
    read="/conversations/1001",
    tenancy=TenancyProbes(
        container="organizations",
        first=ACME,
        second=GLOBEX,
        cases=CASES,
        # True: the caller names acme's organization itself (organization_id=456), refused before anything is read
        shapes={"jane": False, "jane+acme-org": True, "globex-key+acme-org": True},
        callers=_callers,
        unauthorized="NotAuthenticated",
        # expired-jwt last: the suite restores the prepared state (and its clock) on the first revoked case, which
        # would undo the 25 hours its `before_revoked` moves the clock on
        revoked=("forged-jwt", "alg-none-jwt", "logged-out-jwt", "revoked-api-key", "expired-jwt"),
        public={"createAuthentication": Case(body=LOGIN)},
        prepare=_prepare,
        globals=_globals,
        before_revoked={"expired-jwt": _expire_tokens},
    ),
)
