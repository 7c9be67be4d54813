"""Tenancy on every operation of every spec (issue 7, item 4). Operations are enumerated from the specs, so a new
one without a case here fails `test_another_tenant_gets_nothing` instead of skipping it.

- Another tenant: globex's credential against acme's real objects (seeded, or made by acme first) answers the
  vendor's not-found or forbidden in its error envelope, shows none of acme's strings and changes nothing; the same
  request with acme's own credential gets a real answer, which proves the body was valid. Where an operation names
  no object (a list, a create), globex gets its own data and acme's state is left alone.
- Revoked, expired and forged credentials, and the `token-revoked` scenario, answer the vendor's 401 on every
  operation (missing and malformed ones: test_auth_everywhere.py).
- HighLevel scopes: the read-only token writes nothing, reads everything; agency tokens and `scope-missing` refuse.
- Ids a vendor stores unchecked (a HighLevel agent's knowledge bases) feed nothing of acme's into globex's replies.

Each case restores the prepared state afterwards, so the whole file runs on one app per API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
import jsonschema_rs
import pytest
from starlette.testclient import TestClient

from mock_server.apis import BINDINGS
from mock_server.engine.app import MockApp
from mock_server.engine.specs import Operation, load_spec
from mock_server.server import create_app
from tests.conftest import (
    ACME_REVOKED_TOKEN,
    ACME_TOKEN,
    CRM_ACME,
    CRM_ALICE,
    CRM_CAROL,
    CRM_DAVE,
    CRM_GLOBEX,
    CRM_GLOBEX_THREAD,
    CRM_NINA,
    CRM_THREAD,
    CRM_TOKENS,
    DOC_CONVERSATION,
    DOC_PHONE,
    GLOBEX_CONVERSATION,
    GLOBEX_TOKEN,
    HL_ACME,
    HL_ACME_FULL,
    HL_ACME_READ,
    HL_AGENCY,
    HL_GLOBEX,
    HL_GLOBEX_FULL,
    OMNI_ACME,
    OMNI_ANA,
    OMNI_GLOBEX,
    OMNI_GLOBEX_THREAD,
    OMNI_GREETING,
    OMNI_INSTAGRAM,
    OMNI_PLAYGROUND,
    OMNI_QUALIFY,
    OMNI_SMS,
    OMNI_WA_CLOSED,
    OMNI_WA_OPEN,
    SDK_VERSION,
)

SPECS = {name: load_spec(binding.spec_path) for name, binding in BINDINGS.items()}
OPERATIONS = {(api, op.operation_id): op for api, spec in SPECS.items() for op in spec.operations}
BASE_URL = "http://127.0.0.1:8000"
BASE = "acme-ids"  # the variant every operation has: acme's ids everywhere, valid for acme itself
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT")
WORD = re.compile(r"[A-Za-z][A-Za-z_.-]*")  # an enum value or field name when the spec has it too, not an identity
LOWER_WORD = re.compile(r"[a-z][a-z_-]*")  # 'inbound', 'triage': too common to name acme

# acme's fixed records beyond the ones conftest names (fixtures/*.yaml)
DOC_CONTACT = "6f7a8b9c-0001-4d0e-9f1a-3b4c5d6e7f01"
VIP_LABEL = "1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a01"
SALES_MAILBOX = "2b3c4d5e-0001-4f6a-9b0c-1d2e3f4a5b02"
SALES_AGENT = "3c4d5e6f-0001-4a7b-8c9d-0e1f2a3b4c01"
GREETING_REPLY = "4d5e6f7a-0001-4b8c-9d0e-1f2a3b4c5d01"
OMNI_ASSISTANT = "665f6e000000000000000001"
OMNI_MAYA = "665f2a000000000000000001"  # contact of OMNI_WA_OPEN


@dataclass(frozen=True)
class Case:
    """One request, relative to the caller: path params (the slug comes from the caller), query, JSON body or
    multipart files. `refused` is the status another tenant must get (None: the operation names no acme object,
    so globex acts on its own data); `mentions` is text the answer must hold, so it was refused for the right
    reason; `proof` says whether acme may send the same request (a mixed case names globex's own objects)."""

    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    refused: int | None = 404
    mentions: str = ""
    proof: bool = True


Cases = Mapping[str, Callable[[dict[str, Any]], Case]]  # variant -> case, from the objects acme has


def _1to1ai(text: str, **conversation: str) -> dict[str, Any]:
    return {"conversation": conversation or {"uuid": DOC_CONVERSATION}, "body": text}


def _group(*actions: dict[str, Any], conversation: str = DOC_CONVERSATION) -> dict[str, Any]:
    return {"conversation": {"uuid": conversation}, "actions": [*actions, {"type": "context_note", "note": "n"}]}


def _mixed(body: Any, mentions: str, status: int = 404, **kw: Any) -> Case:
    return Case(body=body, refused=status, mentions=mentions, proof=False, **kw)


ONETOONE: dict[str, Cases] = {
    "getConversation": {BASE: lambda o: Case({"uuid": DOC_CONVERSATION})},
    "runActionGroup": {
        BASE: lambda o: Case(
            body=_group(
                {"type": "assign_label", "tags": [{"uuid": VIP_LABEL}]},
                {"type": "assign_mailbox", "mailbox": {"uuid": SALES_MAILBOX}},
                {"type": "assign_ai_employee", "ai_employee": {"uuid": SALES_AGENT}},
                {"type": "send_message", "message": {"kind": "quick_reply", "quick_reply_uuid": GREETING_REPLY}},
            )
        ),
        "own-conversation+acme-label": lambda o: _mixed(
            _group({"type": "assign_label", "tags": [{"uuid": VIP_LABEL}]}, conversation=GLOBEX_CONVERSATION),
            "LABEL_NOT_FOUND",
        ),
        "own-conversation+acme-mailbox": lambda o: _mixed(
            _group({"type": "assign_mailbox", "mailbox": {"uuid": SALES_MAILBOX}}, conversation=GLOBEX_CONVERSATION),
            "MAILBOX_NOT_FOUND",
        ),
        "own-conversation+acme-ai-employee": lambda o: _mixed(
            _group({"type": "run_ai", "ai_employee": {"uuid": SALES_AGENT}}, conversation=GLOBEX_CONVERSATION),
            "AI_EMPLOYEE_NOT_FOUND",
        ),
        "own-conversation+acme-quick-reply": lambda o: _mixed(
            _group(
                {"type": "send_message", "message": {"kind": "quick_reply", "quick_reply_uuid": GREETING_REPLY}},
                conversation=GLOBEX_CONVERSATION,
            ),
            "QUICK_REPLY_NOT_FOUND",
        ),
        "own-conversation+acme-file": lambda o: _mixed(
            _group(
                {"type": "send_message", "message": {"kind": "text", "body": "x", "file_uuid": o["file"]}},
                conversation=GLOBEX_CONVERSATION,
            ),
            "FILE_NOT_FOUND",
        ),
    },
    "listConversations": {BASE: lambda o: Case(query={"cursor": o["cursor"], "limit": "5"}, refused=None)},
    "listTesterConversations": {BASE: lambda o: Case(query={"cursor": o["tester_cursor"]}, refused=None)},
    "listConversationMessages": {BASE: lambda o: Case({"uuid": DOC_CONVERSATION}, {"limit": "10"})},
    "getContact": {BASE: lambda o: Case({"uuid": DOC_CONTACT})},
    "listTesterContacts": {BASE: lambda o: Case(query={"cursor": o["contacts_cursor"]}, refused=None)},
    "getConversationStatus": {
        BASE: lambda o: Case(body={"conversation": {"uuid": DOC_CONVERSATION}}),
        "by-phone": lambda o: Case(body={"conversation": {"phone": DOC_PHONE}}),
        "by-whatsapp-id": lambda o: Case(body={"conversation": {"whatsapp_user_id": DOC_PHONE.lstrip("+")}}),
    },
    "sendTextMessage": {
        BASE: lambda o: Case(body={**_1to1ai("Aquí está."), "file_uuid": o["file"], "reply_to_uuid": o["message"]}),
        "own-conversation+acme-file": lambda o: _mixed(
            {**_1to1ai("x", uuid=GLOBEX_CONVERSATION), "file_uuid": o["file"]}, "FILE_NOT_FOUND"
        ),
        "own-conversation+acme-reply-to": lambda o: _mixed(
            {**_1to1ai("x", uuid=GLOBEX_CONVERSATION), "reply_to_uuid": o["message"]}, "MESSAGE_NOT_FOUND"
        ),
    },
    "sendQuickReply": {
        BASE: lambda o: Case(body={"conversation": {"phone": DOC_PHONE}, "quick_reply_uuid": GREETING_REPLY}),
        "own-conversation+acme-quick-reply": lambda o: _mixed(
            {"conversation": {"uuid": GLOBEX_CONVERSATION}, "quick_reply_uuid": GREETING_REPLY}, "QUICK_REPLY_NOT_FOUND"
        ),
    },
    "sendTemplateMessage": {
        BASE: lambda o: Case(
            body={
                "conversation": {"uuid": DOC_CONVERSATION},
                "template_name": "order_update",
                "language": "es_MX",
                "body_variables": [{"index": 1, "value": "Ana"}, {"index": 2, "value": "A-1"}],
            }
        ),
        "own-conversation+acme-template": lambda o: _mixed(
            {
                "conversation": {"uuid": GLOBEX_CONVERSATION},
                "template_name": "order_update",
                "language": "es_MX",
                "body_variables": [{"index": 1, "value": "Ana"}, {"index": 2, "value": "A-1"}],
            },
            "TEMPLATE_NOT_FOUND",
        ),
    },
    "getTemplate": {BASE: lambda o: Case({"name": "order_update", "language": "es_MX"})},
    "resolveConversation": {BASE: lambda o: Case(body={"conversation": {"uuid": DOC_CONVERSATION}})},
    "moveConversationToMailbox": {
        BASE: lambda o: Case(body={"conversation": {"uuid": DOC_CONVERSATION}, "mailbox": {"uuid": SALES_MAILBOX}}),
        "own-conversation+acme-mailbox": lambda o: _mixed(
            {"conversation": {"uuid": GLOBEX_CONVERSATION}, "mailbox": {"uuid": SALES_MAILBOX}}, "MAILBOX_NOT_FOUND"
        ),
    },
    "getScheduledMessage": {
        BASE: lambda o: Case(query={"uuid": DOC_CONVERSATION}),
        "by-phone": lambda o: Case(query={"phone": DOC_PHONE}),
    },
    "requestFileUpload": {
        BASE: lambda o: Case(body={"filename": "c.pdf", "mime_type": "application/pdf", "size_bytes": 10}, refused=None)
    },
}

TRIGGER = {
    "type": "triggerWorkflow",
    "name": "Send pricing",
    "details": {"workflowIds": ["wf_1"], "triggerCondition": "Pricing.", "triggerMessage": "Sending it now."},
}
FOLLOWUP = {
    "actionIds": ["act_followup_1"],
    "followupSettings": {
        "dynamicChannelSwitching": True,
        "followUpHours": False,
        "timezoneToUse": "contact",
        "workingHours": [],
    },
}
HL_NOT_FOUND = 400  # HighLevel's "No Agent found for the id" (info.x-convomock.not-found-statuses)


def _hl(path: dict[str, str], body: Any = None, mentions: str = "") -> Case:
    return Case(path, body=body, refused=HL_NOT_FOUND, mentions=mentions)


def _hl_own(action: str, body: Any = None) -> Case:
    """globex's own agent with acme's action id: the action lookup is per location too."""
    return Case(
        {"agentId": "agent_globex_1", "actionId": action},
        body=body,
        refused=HL_NOT_FOUND,
        mentions=f"No Action found for the id: {action}",
        proof=False,
    )


HIGHLEVEL: dict[str, Cases] = {
    "create-agent": {
        BASE: lambda o: Case(
            body={"name": "Probe", "personality": "p", "goal": "g", "instructions": "i", "knowledgeBaseIds": ["kb_1"]},
            refused=None,
        )
    },
    "search-agent": {
        BASE: lambda o: Case(query={"query": "front desk", "startAfter": "agent_seed_1", "limit": "10"}, refused=None)
    },
    "get-agent": {BASE: lambda o: _hl({"agentId": "agent_seed_1"}, mentions="No Agent found")},
    "update-agent": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1"}, {"autoPilotMaxMessages": 50}),
        # knowledge base ids are not checked (the spec names no refusal); test_a_foreign_knowledge_base_* below
        "own-agent+acme-knowledge-base": lambda o: Case(
            {"agentId": "agent_globex_1"},
            body={"autoPilotMaxMessages": 20, "knowledgeBaseIds": ["kb_1"]},
            refused=None,
            proof=False,
        ),
    },
    "delete-agent": {BASE: lambda o: _hl({"agentId": "agent_seed_2"})},
    "create-action": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1"}, TRIGGER),
        "own-agent+acme-transfer-target": lambda o: _mixed(
            {
                "type": "transferBot",
                "name": "t",
                "details": {
                    "transferBotType": "Custom",
                    "transferToBot": "agent_seed_2",
                    "enabled": True,
                    "transferBotTriggerCondition": "Spanish.",
                    "transferBotExamples": ["Hola", "Buenas"],
                },
            },
            "must be the id of an agent of this location",
            422,
            path={"agentId": "agent_globex_1"},
        ),
    },
    "list-actions": {BASE: lambda o: _hl({"agentId": "agent_seed_1"})},
    "get-action-by-id": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1", "actionId": "act_stop_1"}),
        "own-agent+acme-action": lambda o: _hl_own("act_stop_1"),
    },
    "update-action": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1", "actionId": "act_workflow_1"}, TRIGGER),
        "own-agent+acme-action": lambda o: _hl_own("act_workflow_1", TRIGGER),
    },
    "delete-action": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1", "actionId": "act_email_1"}),
        "own-agent+acme-action": lambda o: _hl_own("act_email_1"),
    },
    "update-followup-settings": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1"}, FOLLOWUP),
        "own-agent+acme-action": lambda o: Case(
            {"agentId": "agent_globex_1"},
            body=FOLLOWUP,
            refused=HL_NOT_FOUND,
            mentions="No Action found for the id: act_followup_1",
            proof=False,
        ),
    },
    "get-generation-details": {
        BASE: lambda o: Case(
            query={"messageId": "msg_1", "source": "conversation"}, refused=HL_NOT_FOUND, mentions="No generation found"
        )
    },
}


def _thread(**kw: Any) -> Case:
    return Case({"conversation_id": CRM_THREAD}, **kw)


def _suggestion(o: dict[str, Any]) -> Case:
    return Case({"conversation_id": CRM_THREAD, "activity_id": o["suggestion"]})


def _own_suggestion(o: dict[str, Any]) -> Case:
    return Case(
        {"conversation_id": CRM_GLOBEX_THREAD, "activity_id": o["suggestion"]},
        refused=404,
        mentions="Suggestion not found",
        proof=False,
    )


CRM: dict[str, Cases] = {
    "listConversations": {
        BASE: lambda o: Case(query={"scope": "team", "channel": "sms", "limit": "100"}, refused=None)
    },
    "getConversation": {BASE: lambda o: _thread()},
    "listConversationMessages": {BASE: lambda o: _thread(query={"limit": "100"})},
    "sendConversationMessage": {
        BASE: lambda o: _thread(body={"channel": "sms", "body": "Friday works.", "media_ids": [o["media"]]}),
        "own-conversation+acme-media": lambda o: _mixed(
            {"channel": "sms", "body": "x", "media_ids": [o["media"]]},
            "Media not found",
            path={"conversation_id": CRM_GLOBEX_THREAD},
        ),
        # acme already holds SM0001: deduplication must not hand acme's activity to globex
        "own-conversation+acme-provider-id": lambda o: Case(
            {"conversation_id": CRM_GLOBEX_THREAD},
            body={"channel": "sms", "body": "x", "provider_message_id": "SM0001"},
            refused=None,
            proof=False,
        ),
    },
    "uploadConversationMedia": {
        BASE: lambda o: Case(files={"file": ("plan.pdf", b"%PDF-1.4", "application/pdf")}, refused=None)
    },
    "openContactConversation": {BASE: lambda o: Case({"contact_id": CRM_NINA}, body={"channel": "sms"})},
    "starConversation": {BASE: lambda o: _thread()},
    "unstarConversation": {BASE: lambda o: _thread()},
    "markConversationRead": {BASE: lambda o: _thread()},
    "markConversationUnread": {BASE: lambda o: _thread()},
    "assignConversation": {
        BASE: lambda o: _thread(body={"assigned_to": CRM_ALICE}),
        "own-conversation+acme-only-member": lambda o: _mixed(
            {"assigned_to": CRM_ALICE}, "not a member", 422, path={"conversation_id": CRM_GLOBEX_THREAD}
        ),
    },
    "archiveConversation": {BASE: lambda o: _thread(body={"archived": True})},
    "listConversationViews": {BASE: lambda o: Case(refused=None)},
    # acme's (Alice's) view ids, one renamed custom view added: another org knows none of those ids (a 422 rule)
    "saveConversationViews": {
        BASE: lambda o: Case(
            body={"views": [*o["views"], {"name": "Mine", "filters": {"scope": "mine"}}]},
            refused=422,
            mentions="no view with id",
        )
    },
    "getConversationViewCounts": {BASE: lambda o: Case(refused=None)},
    "getConversationSla": {BASE: lambda o: Case(refused=None)},
    "getOverdueConversationCount": {BASE: lambda o: Case(refused=None)},
    "sendSuggestion": {BASE: _suggestion, "own-conversation+acme-suggestion": _own_suggestion},
    "dismissSuggestion": {BASE: _suggestion, "own-conversation+acme-suggestion": _own_suggestion},
}


def _channel_cases(channel: str) -> dict[str, Cases]:
    name = channel.capitalize()
    return {
        f"find{name}Messages": {
            BASE: lambda o: Case(query={"conversationId": o["conversation"][channel], "$limit": "50"}, refused=None)
        },
        f"get{name}Message": {BASE: lambda o: Case({"id": o["message"][channel]})},
        f"remove{name}Message": {BASE: lambda o: Case({"id": o["message"][channel]})},
    }


def _send(conversation: str | Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], Case]:
    return lambda o: Case(
        body={"conversationId": conversation(o) if callable(conversation) else conversation, "text": "On its way."}
    )


OMNI: dict[str, Cases] = {
    "findConversations": {BASE: lambda o: Case(query={"contactId": OMNI_MAYA, "$limit": "50"}, refused=None)},
    "removeConversations": {BASE: lambda o: Case(query={"contactId": OMNI_MAYA}, refused=None)},
    "patchConversations": {
        BASE: lambda o: Case(query={"contactId": OMNI_MAYA}, body={"pipelineStage": "qualified"}, refused=None)
    },
    "getConversation": {BASE: lambda o: Case({"id": OMNI_WA_OPEN})},
    "removeConversation": {BASE: lambda o: Case({"id": OMNI_WA_OPEN})},
    "patchConversation": {
        BASE: lambda o: Case({"id": OMNI_WA_OPEN}, body={"assigneeId": OMNI_ANA, "aiAssistantId": OMNI_ASSISTANT}),
        "own-conversation+acme-assignee": lambda o: _mixed(
            {"assigneeId": OMNI_ANA}, "is not part of this workspace", 400, path={"id": OMNI_GLOBEX_THREAD}
        ),
        "own-conversation+acme-assistant": lambda o: _mixed(
            {"aiAssistantId": OMNI_ASSISTANT}, "is not part of this workspace", 400, path={"id": OMNI_GLOBEX_THREAD}
        ),
    },
    # bulk answers one result per id: each acme id must be the vendor's NotFound, nothing else
    "createConversationsBulkAction": {
        BASE: lambda o: Case(
            body={"action": "addTag", "ids": [OMNI_WA_OPEN, OMNI_WA_CLOSED], "value": "vip"},
            refused=None,
            mentions='"succeeded":0',
        ),
        "by-acme-contact": lambda o: Case(
            body={"action": "archive", "query": {"contactId": OMNI_MAYA}}, refused=None, mentions='"total":0'
        ),
    },
    **{
        key: value
        for channel in ("whatsapp", "instagram", "messenger", "webchat", "sms", "playground")
        for key, value in _channel_cases(channel).items()
    },
    "createSmsMessage": {BASE: _send(OMNI_SMS)},
    "createPlaygroundMessage": {BASE: _send(OMNI_PLAYGROUND)},
    "createWhatsappOutgoing": {BASE: _send(OMNI_WA_OPEN)},
    "createInstagramOutgoing": {BASE: _send(OMNI_INSTAGRAM)},
    "createMessengerOutgoing": {
        BASE: lambda o: Case(
            body={"conversationId": o["conversation"]["messenger"], "text": "x", "attachments": [{"fileId": o["file"]}]}
        ),
        "own-conversation+acme-file": lambda o: _mixed(
            {"conversationId": OMNI_GLOBEX_THREAD, "text": "x", "attachments": [{"fileId": o["file"]}]},
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
            body={"key": o["upload_key"], "conversationId": OMNI_WA_OPEN}, refused=400, mentions="was not uploaded"
        ),
        "own-upload+acme-conversation": lambda o: _mixed(
            {"key": o["globex_upload_key"], "conversationId": OMNI_WA_OPEN}, OMNI_WA_OPEN
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
    "getPredefinedMessage": {BASE: lambda o: Case({"id": OMNI_GREETING})},
    "removePredefinedMessage": {BASE: lambda o: Case({"id": OMNI_GREETING})},
    "patchPredefinedMessage": {BASE: lambda o: Case({"id": OMNI_GREETING}, body={"text": "Hello!"})},
    "createAutomationExecution": {
        BASE: lambda o: Case(body={"automationId": OMNI_QUALIFY, "conversationId": OMNI_WA_OPEN}),
        "own-conversation+acme-automation": lambda o: _mixed(
            {"automationId": OMNI_QUALIFY, "conversationId": OMNI_GLOBEX_THREAD}, OMNI_QUALIFY
        ),
    },
}
PUBLIC = {
    ("omni-inbox", "createAuthentication"): Case(
        body={"strategy": "local", "email": "agent@acme.example", "password": "convomock"}
    )
}
TABLES: dict[str, dict[str, Cases]] = {"1to1ai": ONETOONE, "highlevel": HIGHLEVEL, "crm-inbox": CRM, "omni-inbox": OMNI}

# -- the callers ---------------------------------------------------------------------------------------------------

# Per API, the other tenant's ways in; True marks a caller that names acme's tenant itself (slug, X-Org-Id), which
# the vendor refuses as forbidden before it reads anything else.
SHAPES: dict[str, dict[str, bool]] = {
    "1to1ai": {"globex@acme-slug": True, "globex@AcMe-slug": True, "globex@globex-slug": False},
    "highlevel": {"globex": False, "globex+acme-location-hints": False},  # the token decides the location
    "crm-inbox": {"carol@acme-org": True, "carol@ACME-ORG": True, "carol@globex-org": False, "dave@globex-org": False},
    "omni-inbox": {"gina": False, "gina+acme-workspace-query": False},  # the JWT's user decides the workspace
}
TENANTS = {
    "1to1ai": ("businesses", "acme", "globex"),
    "highlevel": ("locations", HL_ACME, HL_GLOBEX),
    "crm-inbox": ("orgs", CRM_ACME, CRM_GLOBEX),
    "omni-inbox": ("workspaces", OMNI_ACME, OMNI_GLOBEX),
}


@dataclass(frozen=True)
class Caller:
    headers: Mapping[str, str]
    slug: str = ""
    query: Mapping[str, str] = field(default_factory=dict)


def _bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def _forged_jwt(header: Mapping[str, Any], sub: str, secret: str = "not-the-signing-secret") -> str:
    """A JWT for acme's Ana that the mock never issued: signed with another secret, or not signed at all."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    claims = {"sub": sub, "aud": "https://inbox.example.com", "iat": 1700000000, "exp": 4102444800, "jti": "forged"}
    signed = part(json.dumps(header).encode()) + "." + part(json.dumps(claims).encode())
    if header.get("alg") == "none":
        return signed + "."
    return signed + "." + part(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())


def _callers(api: str, http: TestClient) -> dict[str, Caller]:
    if api == "1to1ai":
        return {
            "acme": Caller(_bearer(ACME_TOKEN), "acme"),
            "revoked-key": Caller(_bearer(ACME_REVOKED_TOKEN), "acme"),
            "globex@acme-slug": Caller(_bearer(GLOBEX_TOKEN), "acme"),
            "globex@AcMe-slug": Caller(_bearer(GLOBEX_TOKEN), "AcMe"),
            "globex@globex-slug": Caller(_bearer(GLOBEX_TOKEN), "globex"),
        }
    if api == "highlevel":
        return {
            "acme": Caller(_bearer(HL_ACME_FULL, Version=SDK_VERSION)),
            "acme-read-only": Caller(_bearer(HL_ACME_READ, Version=SDK_VERSION)),
            "agency": Caller(_bearer(HL_AGENCY, Version=SDK_VERSION)),
            "globex": Caller(_bearer(HL_GLOBEX_FULL, Version=SDK_VERSION)),
            "globex+acme-location-hints": Caller(
                _bearer(HL_GLOBEX_FULL, Version=SDK_VERSION, **{"Location-Id": HL_ACME}), query={"locationId": HL_ACME}
            ),
        }
    if api == "crm-inbox":
        return {
            "acme": Caller(_bearer(CRM_TOKENS[CRM_ALICE], **{"X-Org-Id": CRM_ACME})),
            "carol@acme-org": Caller(_bearer(CRM_TOKENS[CRM_CAROL], **{"X-Org-Id": CRM_ACME})),
            "carol@ACME-ORG": Caller(_bearer(CRM_TOKENS[CRM_CAROL], **{"X-Org-Id": CRM_ACME.upper()})),
            "carol@globex-org": Caller(_bearer(CRM_TOKENS[CRM_CAROL], **{"X-Org-Id": CRM_GLOBEX})),
            "dave@globex-org": Caller(_bearer(CRM_TOKENS[CRM_DAVE], **{"X-Org-Id": CRM_GLOBEX})),
        }
    tokens = {c["user"]: c["token"] for c in http.get("/__mock/credentials").json()[api]}
    login = http.post("/omni-inbox/authentication", json=PUBLIC[(api, "createAuthentication")].body)
    assert login.status_code == 201, login.text
    return {
        "acme": Caller(_bearer(tokens["agent@acme.example"])),
        "gina": Caller(_bearer(tokens["gina@globex.example"])),
        "gina+acme-workspace-query": Caller(_bearer(tokens["gina@globex.example"]), query={"workspaceId": OMNI_ACME}),
        "expired-jwt": Caller(_bearer(login.json()["accessToken"])),  # a day's token, used 25 hours later
        "forged-jwt": Caller(_bearer(_forged_jwt({"alg": "HS256", "typ": "JWT"}, OMNI_ANA))),
        "alg-none-jwt": Caller(_bearer(_forged_jwt({"alg": "none", "typ": "JWT"}, OMNI_ANA))),
    }


# -- one running mock per API, with the objects acme holds -----------------------------------------------------------


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():  # keys are field names, or ids that the record repeats as a value
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _strings(item)


def _globals(api: str, store: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """Records kept outside the tenants (tokens, staff members): (acme's alone, everyone else's)."""
    if api == "highlevel":
        owned = [(t, t["location_id"] == HL_ACME) for t in store["tokens"]]
    elif api == "crm-inbox":
        owned = [(u, u["org_ids"] == [CRM_ACME]) for u in store["users"].values()]
    elif api == "omni-inbox":
        acme_users = store["workspaces"][OMNI_ACME]["users"]
        owned = [((token, user), user in acme_users) for token, user in store["tokens"].items()]
    else:
        owned = []
    return [r for r, acme in owned if acme], [r for r, acme in owned if not acme]


@dataclass
class Mock:
    api: str
    app: MockApp
    http: TestClient
    envelope: Any = None
    callers: dict[str, Caller] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    baseline: str = ""
    acme_strings: frozenset[str] = frozenset()
    dirty: bool = False

    def state(self) -> str:
        response = self.http.get("/__mock/state")
        assert response.status_code == 200
        return response.text

    def fresh(self) -> None:
        """Back to the prepared state when a previous case changed it (restoring costs less than a new app)."""
        if self.dirty:
            response = self.http.put(
                "/__mock/state", content=self.baseline, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 200, response.text
            self.dirty = False

    def acme_part(self, snapshot: str) -> str:
        """Everything but globex's own tenant and the id generator: what a globex call may never change."""
        container, _, globex = TENANTS[self.api]
        store = json.loads(snapshot)["apis"][self.api]["store"]
        del store[container][globex]
        return json.dumps(store, sort_keys=True)

    def send(self, caller: Caller, operation: Operation, case: Case, **headers: str) -> httpx.Response:
        values = {"slug": caller.slug, **case.path}
        path = re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], operation.path)
        query = {**case.query, **caller.query}
        sent = {**caller.headers, **headers}
        if case.files is not None:
            return self.http.request(
                operation.method, BINDINGS[self.api].prefix + path, params=query, headers=sent, files=case.files
            )
        content = None if case.body is None else json.dumps(case.body).encode()
        if content is not None:
            sent["Content-Type"] = "application/json"
        return self.http.request(
            operation.method, BINDINGS[self.api].prefix + path, params=query, headers=sent, content=content
        )

    def as_acme(self, method: str, path: str, **kwargs: Any) -> Any:
        base = BINDINGS[self.api].prefix + ("/api/v1/public/acme" if self.api == "1to1ai" else "")
        response = self.http.request(method, base + path, headers=self.callers["acme"].headers, **kwargs)
        assert response.is_success, (self.api, method, path, response.status_code, response.text[:200])
        return response.json()

    def leaks(self, response: httpx.Response) -> list[str]:
        """acme's strings in an answer to globex, apart from what the request itself carried (an echoed id)."""
        request = unquote(str(response.request.url)) + response.request.content.decode("utf-8", "replace")
        return self.acme_strings_in(response.text, request)

    def acme_strings_in(self, text: str, sent: str = "") -> list[str]:
        shown = sorted(s for s in self.acme_strings if s in text and s not in sent)
        if "acme" in text.lower() and "acme" not in sent.lower():
            shown.append("acme")
        return shown


def _upload(mock: Mock, caller: str) -> Any:
    """A signed upload, uploaded: the omni inbox's file records need one."""
    signed = mock.http.post(
        "/omni-inbox/s3-url-signing",
        headers=mock.callers[caller].headers,
        json={"fileName": "invoice.pdf", "contentType": "application/pdf", "size": 5},
    ).json()
    put = mock.http.put(
        signed["url"].removeprefix(BASE_URL), content=b"%PDF-", headers={"Content-Type": "application/pdf"}
    )
    assert put.is_success, put.text
    return signed


def _prepare(mock: Mock) -> dict[str, Any]:
    """acme's objects the seed does not name: made by acme through the API, or read from the seeded state."""
    if mock.api == "1to1ai":
        return {
            "file": mock.as_acme(
                "POST",
                "/files/request-upload",
                json={"filename": "cotizacion.pdf", "mime_type": "application/pdf", "size_bytes": 1024},
            )["file_uuid"],
            "message": mock.as_acme("GET", f"/conversations/{DOC_CONVERSATION}/messages")["items"][-1]["uuid"],
            "cursor": mock.as_acme("GET", "/conversations", params={"limit": 2})["next_cursor"],
            "tester_cursor": mock.as_acme("GET", "/tester/conversations", params={"limit": 1})["next_cursor"],
            "contacts_cursor": mock.as_acme("GET", "/tester/contacts", params={"limit": 1})["next_cursor"],
        }
    if mock.api == "crm-inbox":
        activities = mock.as_acme("GET", f"/conversations/{CRM_THREAD}/messages")["items"]
        return {
            "media": mock.as_acme(
                "POST", "/conversations/media", files={"file": ("plan.pdf", b"%PDF-1.4 acme", "application/pdf")}
            )["id"],
            "suggestion": next(a["id"] for a in activities if a["type"] == "suggestion" and a["status"] == "pending"),
            "views": mock.as_acme("GET", "/conversations/views")["views"],
        }
    if mock.api == "omni-inbox":
        signed, globex_key = _upload(mock, "acme"), _upload(mock, "gina")["key"]
        workspace = json.loads(mock.state())["apis"][mock.api]["store"]["workspaces"][OMNI_ACME]
        messages: dict[str, Any] = {}
        for message in sorted(workspace["messages"].values(), key=lambda m: m["_id"]):
            messages.setdefault(message["channel"], message)
        return {
            "upload_key": signed["key"],
            "globex_upload_key": globex_key,
            "file": mock.as_acme("POST", "/conversation-files", json={"key": signed["key"]})["_id"],
            "message": {channel: m["_id"] for channel, m in messages.items()},
            "conversation": {channel: m["conversationId"] for channel, m in messages.items()},
        }
    return {}


def _envelope(api: str) -> Any:
    document = SPECS[api].document
    registry = jsonschema_rs.Registry([("urn:spec", dict(document))])
    return jsonschema_rs.Draft202012Validator(
        {"$ref": "urn:spec" + document["info"]["x-convomock"]["error-envelope"]}, registry=registry
    )


def _start(api: str) -> Mock:
    app = create_app(apis=[api], frozen=True)
    http = TestClient(app, base_url=BASE_URL)
    http.__enter__()
    mock = Mock(api, app, http, _envelope(api))
    mock.callers = _callers(api, http)
    mock.objects = _prepare(mock)
    mock.baseline, mock.dirty = mock.state(), True
    mock.fresh()  # restored once, the snapshot is the fixed point (test_a_restored_snapshot_reads_back_unchanged)
    mock.baseline = mock.state()
    container, acme, globex = TENANTS[api]
    store = json.loads(mock.baseline)["apis"][api]["store"]
    acme_globals, other_globals = _globals(api, store)
    others = "\x00".join(_strings([store[container][globex], other_globals]))
    spec = json.dumps(SPECS[api].document)
    mock.acme_strings = frozenset(
        s
        for s in _strings([store[container][acme], acme_globals])
        if len(s) >= 6
        and not TIMESTAMP.match(s)
        and s not in others
        and not LOWER_WORD.fullmatch(s)
        and not (WORD.fullmatch(s) and f'"{s}"' in spec)
    )
    return mock


class Mocks(dict[str, Mock]):
    def __missing__(self, api: str) -> Mock:
        self[api] = _start(api)
        return self[api]


@pytest.fixture(scope="module")
def mocks() -> Iterator[Mocks]:
    started = Mocks()
    yield started
    for mock in started.values():
        mock.http.__exit__(None, None, None)
        assert mock.app.backend.internal_errors == [] and mock.app.backend.strict_violations == [], (
            mock.api,
            mock.app.backend.internal_errors,
            mock.app.backend.strict_violations,
        )


# -- other tenants -------------------------------------------------------------------------------------------------


def _refusals(api: str) -> frozenset[int]:
    """Unauthorized, forbidden and the vendor's not-found (404 unless the spec says otherwise), plus the statuses it
    documents for a schema-valid request naming what is not there (an unknown id in a body, a view it does not
    know)."""
    extension = SPECS[api].info["x-convomock"]
    return frozenset(
        {401, 403, *extension.get("not-found-statuses", [404]), *extension.get("schema-valid-refusals", [])}
    )


REFUSALS = {api: _refusals(api) for api in BINDINGS}


def _operations(api: str | None = None, public: bool = False) -> Iterator[tuple[str, Operation]]:
    for (name, _), operation in OPERATIONS.items():
        if (api is None or name == api) and (public or not operation.public):
            yield name, operation


def _tenancy_params() -> Iterator[Any]:
    for api, operation in _operations():
        variants = TABLES[api].get(operation.operation_id, {BASE: None})
        for shape, at_acme in SHAPES[api].items():
            for variant in variants:
                if variant != BASE and at_acme:
                    continue  # refused on the tenant alone: the body is never read
                yield pytest.param(
                    api, operation.operation_id, shape, variant, id=f"{api}-{operation.operation_id}-{shape}-{variant}"
                )


def _where(api: str, operation_id: str, label: str, response: httpx.Response) -> str:
    return f"{api} {operation_id} [{label}]: {response.status_code} {response.text[:200]}"


@pytest.mark.parametrize("api", list(BINDINGS))
def test_a_restored_snapshot_reads_back_unchanged(api: str) -> None:
    """Every case here restores the state between calls and compares snapshots as text, so a round trip must be
    byte-identical."""
    app = create_app(apis=[api], frozen=True)
    with TestClient(app, base_url=BASE_URL) as http:
        seeded = http.get("/__mock/state").text
        assert http.put("/__mock/state", content=seeded, headers={"Content-Type": "application/json"}).is_success
        restored = http.get("/__mock/state").text
    assert json.loads(restored) == json.loads(seeded)
    first = next(
        (i for i, (a, b) in enumerate(zip(seeded, restored, strict=False)) if a != b), min(len(seeded), len(restored))
    )
    assert restored == seeded, (
        f"...{seeded[first - 80 : first + 40]}... became ...{restored[first - 80 : first + 40]}..."
    )


def test_every_table_entry_is_an_operation() -> None:
    for api, table in TABLES.items():
        assert set(table) <= {op.operation_id for _, op in _operations(api)}, (api, sorted(table))
    assert set(TABLES) == set(BINDINGS) == set(SHAPES)
    assert len(list(_operations())) >= 86


@pytest.mark.parametrize(("api", "operation_id", "shape", "variant"), list(_tenancy_params()))
def test_another_tenant_gets_nothing(mocks: Mocks, api: str, operation_id: str, shape: str, variant: str) -> None:
    assert operation_id in TABLES[api], f"{api} {operation_id}: no tenancy case; add one to the table"
    mock = mocks[api]
    operation = OPERATIONS[(api, operation_id)]
    case = TABLES[api][operation_id][variant](mock.objects)
    mock.fresh()
    before = mock.state()
    response = mock.send(mock.callers[shape], operation, case)
    where = _where(api, operation_id, f"{shape}, {variant}", response)
    refused = 403 if SHAPES[api][shape] else case.refused
    if refused is None:  # nothing of acme's is named: globex works on its own data, and only on it
        mock.dirty = True
        assert response.is_success, where
        assert mock.acme_part(mock.state()) == mock.acme_part(before), f"{where}: acme's state changed"
    else:
        assert refused in operation.responses, f"{where}: the table expects {refused}, which the spec does not list"
        assert refused in REFUSALS[api], f"{where}: {refused} is no refusal this vendor documents for a foreign id"
        assert response.status_code == refused, where
        assert mock.envelope.is_valid(response.json()), f"{where}: not the vendor's error envelope"
        assert mock.state() == before, f"{where}: the refusal changed the state"
    if case.mentions and not SHAPES[api][shape]:
        assert case.mentions in response.text, f"{where}: expected {case.mentions!r}"
    assert not mock.leaks(response), f"{where}: shows acme's {mock.leaks(response)[:5]}"
    if case.proof:  # the same request is a real one: acme itself gets an answer
        mock.dirty = True
        own = mock.send(mock.callers["acme"], operation, case)
        assert own.is_success, _where(api, operation_id, f"acme itself, {variant}", own)


# -- revoked, expired and forged credentials; the token-revoked scenario ---------------------------------------------

# Credentials that look real but no longer (or never) work, per API that has them: 1TO1's revoked key is seeded;
# the omni inbox's JWTs expire on the mock clock and are checked for signature and algorithm.
REVOKED = {"1to1ai": ("revoked-key",), "omni-inbox": ("expired-jwt", "forged-jwt", "alg-none-jwt")}
UNAUTHORIZED = {
    "1to1ai": "INVALID_API_TOKEN",
    "highlevel": "Invalid token: access token is invalid",
    "crm-inbox": "Invalid authentication credentials",
    "omni-inbox": "NotAuthenticated",
}
SCOPE_MESSAGE = "The token is not authorized for this scope."


def _case(api: str, operation: Operation, objects: dict[str, Any]) -> Case:
    """The operation's base request, valid for acme (the public login has its own)."""
    if operation.public:
        return PUBLIC[(api, operation.operation_id)]
    assert operation.operation_id in TABLES[api], f"{api} {operation.operation_id}: no case; add one to the table"
    return TABLES[api][operation.operation_id][BASE](objects)


def _refused_alike(
    mock: Mock, operation: Operation, case: Case, caller: Caller, status: int, mentions: str, label: str, **headers: str
) -> None:
    """The vendor's refusal in its envelope, naming why, showing none of acme's data, changing nothing."""
    mock.fresh()
    before = mock.state()
    response = mock.send(caller, operation, case, **headers)
    where = _where(mock.api, operation.operation_id, label, response)
    assert response.status_code == status, where
    assert mock.envelope.is_valid(response.json()), f"{where}: not the vendor's error envelope"
    assert mentions in response.text, f"{where}: expected {mentions!r}"
    if mock.api == "crm-inbox" and status == 401:
        assert response.headers.get("www-authenticate") == "Bearer", f"{where}: no WWW-Authenticate challenge"
    assert not mock.leaks(response), f"{where}: shows acme's {mock.leaks(response)[:5]}"
    assert mock.state() == before, f"{where}: the refusal changed the state"


def _per_operation(kinds: Mapping[str, tuple[str, ...]], public: bool = False) -> list[Any]:
    return [
        pytest.param(api, operation.operation_id, kind, id=f"{api}-{operation.operation_id}-{kind}")
        for api, names in kinds.items()
        for kind in names
        for _, operation in _operations(api, public)
    ]


@pytest.mark.parametrize(("api", "operation_id", "credential"), _per_operation(REVOKED))
def test_a_revoked_or_forged_credential_is_the_vendors_401(
    mocks: Mocks, api: str, operation_id: str, credential: str
) -> None:
    mock = mocks[api]
    operation = OPERATIONS[(api, operation_id)]
    clock = mock.http.get("/__mock/clock").json()
    if credential == "expired-jwt":  # issued at the start for a day: 25 hours later it has expired
        assert mock.http.post("/__mock/clock", json={"advance": "25h"}).status_code == 200
    try:
        _refused_alike(
            mock,
            operation,
            _case(api, operation, mock.objects),
            mock.callers[credential],
            401,
            UNAUTHORIZED[api],
            credential,
        )
    finally:
        assert mock.http.post("/__mock/clock", json={"set": clock["now"]}).status_code == 200


@pytest.mark.parametrize(
    ("api", "operation_id", "switched"),
    _per_operation({api: ("activated", "per-request-header") for api in BINDINGS}, public=True),
)
def test_the_token_revoked_scenario_refuses_every_operation(
    mocks: Mocks, api: str, operation_id: str, switched: str
) -> None:
    mock = mocks[api]
    operation = OPERATIONS[(api, operation_id)]
    case = _case(api, operation, mock.objects)
    if switched == "per-request-header":
        _refused_alike(
            mock,
            operation,
            case,
            mock.callers["acme"],
            401,
            UNAUTHORIZED[api],
            switched,
            **{"X-Mock-Scenario": "token-revoked"},
        )
        return
    mock.fresh()  # before switching on: restoring a snapshot sets the scenarios the snapshot names
    assert mock.http.post("/__mock/scenarios/token-revoked").status_code == 200
    try:
        _refused_alike(mock, operation, case, mock.callers["acme"], 401, UNAUTHORIZED[api], switched)
    finally:
        assert mock.http.delete("/__mock/scenarios/token-revoked").status_code == 200


# -- HighLevel scopes ------------------------------------------------------------------------------------------------
# The other APIs have none: 1TO1 keys carry no scopes, a CRM member's only boundary is the org (the forbidden
# `carol@acme-org` caller above), and the omni inbox's user roles are attached to no operation (specs/omni-inbox.yaml).


@pytest.mark.parametrize(
    ("api", "operation_id", "credential"), _per_operation({"highlevel": ("acme-read-only", "agency", "scope-missing")})
)
def test_highlevel_scopes(mocks: Mocks, api: str, operation_id: str, credential: str) -> None:
    mock = mocks[api]
    operation = OPERATIONS[(api, operation_id)]
    case = _case(api, operation, mock.objects)
    if credential == "acme-read-only" and operation.method == "GET":  # reads need only conversation-ai.readonly
        assert operation.scopes == ("conversation-ai.readonly",), operation.scopes
        mock.fresh()
        response = mock.send(mock.callers[credential], operation, case)
        mock.dirty = True
        assert response.is_success, _where(api, operation_id, credential, response)
        return
    mock.fresh()  # before switching on: restoring a snapshot sets the scenarios the snapshot names
    if credential == "scope-missing":
        assert mock.http.post("/__mock/scenarios/scope-missing").status_code == 200
    try:
        caller = mock.callers["acme" if credential == "scope-missing" else credential]
        _refused_alike(mock, operation, case, caller, 401, SCOPE_MESSAGE, credential)
    finally:
        if credential == "scope-missing":
            assert mock.http.delete("/__mock/scenarios/scope-missing").status_code == 200


def test_a_foreign_knowledge_base_feeds_no_reply(mocks: Mocks) -> None:
    """HighLevel stores `knowledgeBaseIds` unchecked, so globex can point its agent at acme's `kb_1`; its AI must
    still draw nothing from acme's FAQ (the reply, the generation record and acme's state all say so)."""
    mock = mocks["highlevel"]
    mock.fresh()
    mock.dirty = True
    globex = mock.callers["globex"].headers
    before = mock.acme_part(mock.state())
    clock = mock.http.get("/__mock/clock").json()
    try:
        linked = mock.http.put(
            "/highlevel/conversation-ai/agents/agent_globex_1",
            headers=globex,
            json={"autoPilotMaxMessages": 20, "knowledgeBaseIds": ["kb_globex_1", "kb_1"]},
        )
        assert linked.status_code == 200, linked.text[:200]
        asked = mock.http.post(
            "/__mock/highlevel/inbound",
            json={
                "location": HL_GLOBEX,
                "contact": "contact_globex_1",
                "channel": "SMS",
                "body": "How much is a regular cleaning, and which insurance plans do you accept?",
            },
        )
        assert asked.status_code == 201, asked.text[:200]
        assert mock.http.post("/__mock/clock", json={"advance": "1m"}).status_code == 200
        assert mock.http.post("/__mock/settle").status_code == 200
        threads = mock.http.get("/__mock/highlevel/conversations", params={"location": HL_GLOBEX})
        replies = [m for c in threads.json()["conversations"] for m in c["messages"] if m["source"] == "ai"]
        assert replies, f"globex's agent did not answer: {threads.text[:200]}"
        generation = mock.http.get(
            "/highlevel/conversation-ai/generations",
            headers=globex,
            params={"messageId": replies[-1]["id"], "source": "conversation"},
        )
        assert generation.status_code == 200, generation.text[:200]
        for label, text in (("thread", threads.text), ("generation", generation.text)):
            assert not mock.acme_strings_in(text), f"{label} shows acme's {mock.acme_strings_in(text)[:5]}"
        assert mock.acme_part(mock.state()) == before, "acme's state changed"
    finally:
        assert mock.http.post("/__mock/clock", json={"set": clock["now"]}).status_code == 200
