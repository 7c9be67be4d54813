"""What the shared test suites send to the 1TO1 AI API (`mock_server/engine/probes.py`): for every operation a
request acme may send, and the ways globex tries to reach acme's objects with it (its own key naming acme's slug,
in any case, and its own slug with acme's ids in the body). Ids are the fixed records of fixtures/1to1ai.yaml."""

from __future__ import annotations

from typing import Any

from mock_server.engine.probes import Caller, Case, Cases, Objects, Probes, ProbeSession, TenancyProbes

__all__ = ["PROBES"]

BASE = "base"
ACME_TOKEN = "sk_1to1_acme_live_4f9c2e7b1d8a6350c2e9f7a1"
ACME_REVOKED_TOKEN = "sk_1to1_acme_revoked_5a2c8e1f7b3d9046"
GLOBEX_TOKEN = "sk_1to1_globex_live_7e3a9c1b5d2f8046a7c3"
DOC_CONVERSATION = "550e8400-e29b-41d4-a716-446655440000"
GLOBEX_CONVERSATION = "9a1b2c3d-0002-4e4f-8a5b-6c7d8e9f0a01"
DOC_PHONE = "+5215512345678"
JOSE_BSUID = "US.13491208655302741918"  # the closed-window conversation's contact has a BSUID
DOC_CONTACT = "6f7a8b9c-0001-4d0e-9f1a-3b4c5d6e7f01"
VIP_LABEL = "1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a01"
SALES_MAILBOX = "2b3c4d5e-0001-4f6a-9b0c-1d2e3f4a5b02"
SALES_AGENT = "3c4d5e6f-0001-4a7b-8c9d-0e1f2a3b4c01"
GREETING_REPLY = "4d5e6f7a-0001-4b8c-9d0e-1f2a3b4c5d01"


def _1to1ai(text: str, **conversation: str) -> dict[str, Any]:
    return {"conversation": conversation or {"uuid": DOC_CONVERSATION}, "body": text}


def _group(*actions: dict[str, Any], conversation: str = DOC_CONVERSATION) -> dict[str, Any]:
    return {"conversation": {"uuid": conversation}, "actions": [*actions, {"type": "context_note", "note": "n"}]}


def _mixed(body: Any, mentions: str, status: int = 404, **kw: Any) -> Case:
    return Case(body=body, refused=status, mentions=mentions, proof=False, **kw)


CASES: dict[str, Cases] = {
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
        "by-bsuid": lambda o: Case(body={"conversation": {"whatsapp_user_id": JOSE_BSUID}}),
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
        "by-bsuid": lambda o: Case(query={"whatsapp_user_id": JOSE_BSUID}),
    },
    "requestFileUpload": {
        BASE: lambda o: Case(body={"filename": "c.pdf", "mime_type": "application/pdf", "size_bytes": 10}, refused=None)
    },
    "confirmFileUpload": {BASE: lambda o: Case(body={"file_uuid": o["file"]})},
}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _callers(session: ProbeSession) -> dict[str, Caller]:
    return {
        "first": Caller(_bearer(ACME_TOKEN), {"slug": "acme"}),
        "revoked-key": Caller(_bearer(ACME_REVOKED_TOKEN), {"slug": "acme"}),
        "globex@acme-slug": Caller(_bearer(GLOBEX_TOKEN), {"slug": "acme"}),
        "globex@AcMe-slug": Caller(_bearer(GLOBEX_TOKEN), {"slug": "AcMe"}),
        "globex@globex-slug": Caller(_bearer(GLOBEX_TOKEN), {"slug": "globex"}),
    }


def _uploaded_file(session: ProbeSession) -> str:
    """A file through the whole flow: reserved, its bytes PUT to the upload URL as given, confirmed."""
    ticket = session.first(
        "POST",
        "/files/request-upload",
        json={"filename": "cotizacion.pdf", "mime_type": "application/pdf", "size_bytes": 8},
    )
    put = session.request("PUT", ticket["upload_url"], content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"})
    assert put.status_code == 200, put.text
    session.first("POST", "/files/confirm", json={"file_uuid": ticket["file_uuid"]})
    return str(ticket["file_uuid"])


def _prepare(session: ProbeSession) -> Objects:
    """acme's objects the seed does not name: a file uploaded and confirmed, a message's id, each list's cursor."""
    return {
        "file": _uploaded_file(session),
        "message": session.first("GET", f"/conversations/{DOC_CONVERSATION}/messages")["items"][-1]["uuid"],
        "cursor": session.first("GET", "/conversations", params={"limit": 2})["next_cursor"],
        "tester_cursor": session.first("GET", "/tester/conversations", params={"limit": 1})["next_cursor"],
        "contacts_cursor": session.first("GET", "/tester/contacts", params={"limit": 1})["next_cursor"],
    }


PROBES = Probes(
    write="/conversation/status",
    read=f"/conversations/{DOC_CONVERSATION}",
    tenancy=TenancyProbes(
        container="businesses",
        first="acme",
        second="globex",
        cases=CASES,
        # True: the caller names acme's business itself (the slug), which is refused before anything is read
        shapes={"globex@acme-slug": True, "globex@AcMe-slug": True, "globex@globex-slug": False},
        callers=_callers,
        unauthorized="INVALID_API_TOKEN",
        revoked=("revoked-key",),
        prepare=_prepare,
    ),
)
