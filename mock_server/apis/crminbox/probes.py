"""What the shared test suites send to the CRM inbox (`mock_server/engine/probes.py`): for every operation a
request Alice may send in Acme Homes, and globex's staff trying it on acme's threads (Carol naming acme's org, in
any case, or her own org with acme's ids; Dave, in both, acting in globex). Ids are the fixed records of
fixtures/crm-inbox.yaml. The webhooks are a trusted seam's (a shared secret, no user): not a tenant's to cross."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.apis.crminbox.seed import default_tokens
from mock_server.engine.probes import Caller, Case, Cases, Objects, Probes, ProbeSession, TenancyProbes

__all__ = ["PROBES"]

BASE = "base"
ACME = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d01"  # org Acme Homes
GLOBEX = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d02"  # org Globex Rentals
ALICE = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b01"  # member of Acme
NAMES = {
    "alice": ALICE,
    "carol": "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b03",
    "dave": "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b04",
}


def _token(name: str) -> str:
    """The seeded token of Alice (Acme), Carol (Globex's owner) or Dave (Acme member, Globex admin)."""
    return default_tokens()[NAMES[name]]


THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b01"  # Maria, SMS, overdue, starred, pending draft, Alice's
GLOBEX_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4c01"
NINA = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e05"  # a contact with no conversation yet
ALICES = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a01"  # acme's assignment claimed by Alice (Maria's thread)
CLAIMED = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a02"  # acme's assignment claimed by Bob (Tom's thread)


def _mixed(body: Any, mentions: str, status: int = 404, **kw: Any) -> Case:
    return Case(body=body, refused=status, mentions=mentions, proof=False, **kw)


def _thread(**kw: Any) -> Case:
    return Case({"conversation_id": THREAD}, **kw)


def _suggestion(o: Objects) -> Case:
    return Case({"conversation_id": THREAD, "activity_id": o["suggestion"]})


def _own_suggestion(o: Objects) -> Case:
    return Case(
        {"conversation_id": GLOBEX_THREAD, "activity_id": o["suggestion"]},
        refused=404,
        mentions="Suggestion not found",
        proof=False,
    )


CASES: dict[str, Cases] = {
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
            path={"conversation_id": GLOBEX_THREAD},
        ),
        # acme already holds SM0001: deduplication must not hand acme's activity to globex
        "own-conversation+acme-provider-id": lambda o: Case(
            {"conversation_id": GLOBEX_THREAD},
            body={"channel": "sms", "body": "x", "provider_message_id": "SM0001"},
            refused=None,
            proof=False,
        ),
    },
    "uploadConversationMedia": {
        BASE: lambda o: Case(files={"file": ("plan.pdf", b"%PDF-1.4", "application/pdf")}, refused=None)
    },
    "openContactConversation": {BASE: lambda o: Case({"contact_id": NINA}, body={"channel": "sms"})},
    "starConversation": {BASE: lambda o: _thread()},
    "unstarConversation": {BASE: lambda o: _thread()},
    "markConversationRead": {BASE: lambda o: _thread()},
    "markConversationUnread": {BASE: lambda o: _thread()},
    "assignConversation": {
        BASE: lambda o: _thread(body={"assigned_to": ALICE}),
        "own-conversation+acme-only-member": lambda o: _mixed(
            {"assigned_to": ALICE}, "not a member", 422, path={"conversation_id": GLOBEX_THREAD}
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
    # the org's own config (Carol owns Globex, Dave is its admin): nothing of acme's is named
    "getSetterConfig": {BASE: lambda o: Case(refused=None)},
    "saveSetterConfig": {BASE: lambda o: Case(body={"reply_objective": "book_call"}, refused=None)},
    "getVoiceAgentConfig": {BASE: lambda o: Case(refused=None)},
    "saveVoiceAgentConfig": {BASE: lambda o: Case(body={"enabled": True}, refused=None)},
    # the setter's work queue: lists, counts and claim-next name nothing of acme's (globex's setter is off: empty,
    # claim-next 204); by id, acme's claimed ones (Alice's on Maria's thread, Bob's, which Alice as owner may release)
    "listSetterQueue": {BASE: lambda o: Case(query={"state": "queued", "limit": "100"}, refused=None)},
    "getSetterQueueCounts": {BASE: lambda o: Case(refused=None)},
    "claimNextSetterAssignment": {BASE: lambda o: Case(refused=None)},
    "getSetterStats": {BASE: lambda o: Case(refused=None)},
    "getSetterLeaderboard": {BASE: lambda o: Case(refused=None)},
    "getSetterAssignment": {BASE: lambda o: Case({"assignment_id": ALICES}, mentions="Assignment not found")},
    "claimSetterAssignment": {BASE: lambda o: Case({"assignment_id": ALICES}, mentions="Assignment not found")},
    "releaseSetterAssignment": {BASE: lambda o: Case({"assignment_id": CLAIMED}, mentions="Assignment not found")},
    "dispositionSetterAssignment": {
        BASE: lambda o: Case({"assignment_id": ALICES}, body={"outcome": "booked"}, mentions="Assignment not found")
    },
    "assignSetterAssignment": {
        BASE: lambda o: Case({"assignment_id": ALICES}, body={"assigned_to": ALICE}, mentions="Assignment not found")
    },
    # acme is no subaccount of globex: impersonating it is refused (403 [Iron: Authentication]); acme itself may
    "createImpersonation": {BASE: lambda o: Case(body={"org_id": ACME}, refused=403, mentions="direct subaccounts")},
}
SEAMS = {
    "receiveInboundSms": "the telephony engine's shared X-Iron-CRM-Secret, the org in the body (tests/apis/crminbox)",
    "receiveInboundEmail": "an installation's token or the shared secret (tests/apis/crminbox/test_webhooks.py)",
}


def _member(name: str, org: str) -> Caller:
    return Caller({"Authorization": f"Bearer {_token(name)}", "X-Org-Id": org})


def _callers(session: ProbeSession) -> dict[str, Caller]:
    return {
        "first": _member("alice", ACME),
        "carol@acme-org": _member("carol", ACME),
        "carol@ACME-ORG": _member("carol", ACME.upper()),
        "carol@globex-org": _member("carol", GLOBEX),
        "dave@globex-org": _member("dave", GLOBEX),
    }


def _prepare(session: ProbeSession) -> Objects:
    """acme's objects the seed does not name: an uploaded file, the pending suggestion, Alice's saved views."""
    activities = session.first("GET", f"/conversations/{THREAD}/messages")["items"]
    media = {"file": ("plan.pdf", b"%PDF-1.4 acme", "application/pdf")}
    return {
        "media": session.first("POST", "/conversations/media", files=media)["id"],
        "suggestion": next(a["id"] for a in activities if a["type"] == "suggestion" and a["status"] == "pending"),
        "views": session.first("GET", "/conversations/views")["views"],
    }


def _globals(store: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """Staff members live beside the orgs: acme's alone, and everyone else (Dave belongs to both)."""
    users = list(store["users"].values())
    acme_only = [u for u in users if [m["org_id"] for m in u["memberships"]] == [ACME]]
    return acme_only, [u for u in users if u not in acme_only]


PROBES = Probes(
    write=f"/conversations/{THREAD}/assign",
    read=f"/conversations/{THREAD}",
    tenancy=TenancyProbes(
        container="orgs",
        first=ACME,
        second=GLOBEX,
        cases=CASES,
        # True: the caller names acme's org itself (X-Org-Id), which is refused before anything is read
        shapes={"carol@acme-org": True, "carol@ACME-ORG": True, "carol@globex-org": False, "dave@globex-org": False},
        callers=_callers,
        unauthorized="Invalid authentication credentials",
        challenge={"www-authenticate": "Bearer"},
        prepare=_prepare,
        globals=_globals,
        seams=SEAMS,
    ),
)
