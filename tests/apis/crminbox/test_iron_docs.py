"""Iron's own pages, replayed against the mock with only the host changed: a client written from the pages works.

Every request a page shows or describes goes out as the page writes it: the full path under `/api/v1` (the mock
mounts it at `/crm-inbox`, so `https://your-domain.example/api/v1/conversations` becomes
`/crm-inbox/api/v1/conversations`), `Authorization: Bearer <supabase-jwt>`, with and without `X-Org-Id` (the
subaccounts page's `X-Org-Id: 11111111-2222-3333-4444-555555555555` verbatim), and the pages' three bodies
(`{"assigned_to": ...}`, `{"archived": ...}`, `{"org_id": ...}`). The pages show no JSON answer, so every answer is
checked against what the page says happens and against the seed (fixtures/crm-inbox.yaml), field by field, with a
follow-up read where the page describes a change. Tokens and secrets come from `GET /__mock/credentials`, as a
user of the mock gets them, never from constants.

The pages (search corpus "pages"; the conversations page is /work/shared/seeds/001_aee68e6a0d3ec819.txt), each test
naming the one it replays:
- https://docs.2.24.223.166.sslip.io/api/conversations/
- https://docs.2.24.223.166.sslip.io/api/setter/
- https://docs.2.24.223.166.sslip.io/api/authentication/
- https://docs.2.24.223.166.sslip.io/api/webhooks/
- https://docs.2.24.223.166.sslip.io/getting-started/logging-in/
- https://docs.2.24.223.166.sslip.io/getting-started/subaccounts/
- https://docs.2.24.223.166.sslip.io/getting-started/operator-model/

The module follows the pages in that order, one replay per documented request; the org hierarchy and
impersonation in depth are in test_hierarchy.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_ARCHIVED_THREAD,
    CRM_BOB,
    CRM_CALL_THREAD,
    CRM_CAROL,
    CRM_DAVE,
    CRM_EMAIL_THREAD,
    CRM_GLOBEX,
    CRM_GLOBEX_THREAD,
    CRM_LAKESIDE,
    CRM_LAKESIDE_NORTH,
    CRM_LAKESIDE_THREAD,
    CRM_MARIA,
    CRM_NINA,
    CRM_NORTH_THREAD,
    CRM_THREAD,
    CRM_TOM,
)

Json = dict[str, Any]

BASE = "/crm-inbox/api/v1"  # https://your-domain.example/api/v1, with only the host changed
DOCS_ORG = "11111111-2222-3333-4444-555555555555"  # the subaccounts page's X-Org-Id, verbatim
ACME_RENTALS = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d11"
ALICE, BOB, CAROL, DAVE = (
    "alice@acme-homes.example",
    "bob@acme-homes.example",
    "carol@globex.example",
    "dave@consulting.example",
)
MARIA_PHONE, ORG_PHONE, ORG_EMAIL = "+15551230001", "+15550009999", "inbox@crm.example.com"
GRACE_DRAFT = "Hi Grace, yes — two lake-view lots are still open. Want the price sheet?"
MARIA_DRAFT = "Hi Maria, yes — the Elm Street home is still available. Would you like a viewing this week?"
ALICES, CLAIMED, COMPLETED = (
    "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a01",  # Acme, Maria's thread, claimed by Alice (the spec's example)
    "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a02",  # Acme, Tom's thread, claimed by Bob
    "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a03",  # Acme, the archived thread, booked by Alice
)
LAKESIDE_QUEUED = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6d01"
NO_ONE = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1bff"  # a uuid no staff member has
NOT_A_MEMBER = {"detail": "Not a member of this organization"}
INVALID = {"detail": "Invalid authentication credentials"}
NOT_FOUND = {"detail": "Conversation not found"}
SYSTEM_VIEWS = {
    "Unread": {"unread": True, "archived": False},
    "Recents": {"archived": False},
    "Starred": {"starred": True},
    "All": {},
}


# -- a client written from the pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Iron:
    """What the logging-in page tells an API caller to send: `Authorization: Bearer <supabase-jwt>` and, for most
    endpoints, `X-Org-Id: <org-uuid>` (None: left out); paths as the pages write them, under `/api/v1`."""

    http: httpx.Client
    token: str
    org: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def in_org(self, org: str | None) -> Iron:
        return replace(self, org=org)

    def sending(self, **headers: str) -> Iron:
        """The same caller with more headers (`X-Impersonate-Token`, `X-Actor`); `X_Actor` spells `X-Actor`."""
        return replace(self, extra={**self.extra, **{k.replace("_", "-"): v for k, v in headers.items()}})

    def headers(self) -> dict[str, str]:
        sent = {"Authorization": f"Bearer {self.token}", **self.extra}
        if self.org is not None:
            sent["X-Org-Id"] = self.org
        return sent

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, BASE + path, headers=self.headers(), **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Json:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return dict(response.json())

    def everything(self, **query: Any) -> list[Json]:
        """Every thread `GET /conversations` returns under `query` (one page of 100 holds them all here)."""
        page = self.ok("GET", "/conversations", params={"limit": 100, **query})
        assert page["total"] == len(page["items"]), page["total"]
        return list(page["items"])

    def ids(self, **query: Any) -> list[str]:
        return [c["id"] for c in self.everything(**query)]

    def messages(self, conversation: str) -> list[Json]:
        page = self.ok("GET", f"/conversations/{conversation}/messages", params={"limit": 100})
        assert page["total"] == len(page["items"])
        return list(page["items"])


def published(http: httpx.Client) -> list[Json]:
    """The CRM inbox's entries of `GET /__mock/credentials`."""
    response = http.get("/__mock/credentials")
    assert response.status_code == 200, response.text
    return list(response.json()["crm-inbox"])


def staff(http: httpx.Client, email: str, org: str | None = CRM_ACME) -> Iron:
    """A staff member's published token (the same whatever org it is listed under), acting in `org`."""
    token = next(c["token"] for c in published(http) if c.get("email") == email)
    return Iron(http, token, org)


def seam(http: httpx.Client, purpose: str, org: str = CRM_ACME) -> Json:
    """A webhook seam's published secret: `webhooks` (X-Iron-CRM-Secret) or `inbound-email` (the token)."""
    return next(c for c in published(http) if c.get("purpose") == purpose and c["tenant"] == org)


def texted(http: httpx.Client, sender: str, text: str, provider_id: str, org: str = CRM_ACME) -> Json:
    """Webhooks page: an SMS from the telephony engine, with the org's published `X-Iron-CRM-Secret` and the org in
    the body; the receipt (200)."""
    secret = seam(http, "webhooks", org)
    landed = http.post(
        BASE + "/webhooks/inbound-sms",
        headers={secret["token_header"]: secret["token"]},
        json={**secret["body"], "from": sender, "body": text, "provider_message_id": provider_id},
    )
    assert landed.status_code == 200, landed.text
    return dict(landed.json())


def clock(http: httpx.Client) -> datetime:
    response = http.get("/__mock/clock")
    assert response.status_code == 200
    return datetime.fromisoformat(response.json()["now"])


def advance(http: httpx.Client, duration: str) -> None:
    assert http.post("/__mock/clock", json={"advance": duration}).status_code == 200


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def snapshot(http: httpx.Client) -> str:
    response = http.get("/__mock/state")
    assert response.status_code == 200
    return response.text


def refused(response: httpx.Response, status: int, body: Any) -> None:
    assert response.status_code == status, response.text
    assert response.json() == body


def not_a_member_422(assignee: str) -> Json:
    return {
        "detail": [
            {
                "type": "value_error",
                "loc": ["body", "assigned_to"],
                "msg": "Value error, user is not a member of this organization",
                "input": assignee,
            }
        ]
    }


def draft_of(client: Iron, conversation: str) -> Json:
    """The thread's pending AI draft."""
    return next(a for a in client.messages(conversation) if a["type"] == "suggestion" and a["status"] == "pending")


def training_pairs(http: httpx.Client, org: str) -> list[Json]:
    response = http.get("/__mock/crm-inbox/training-pairs", params={"org": org})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def supabase_token(http: httpx.Client, sub: str, lifetime: timedelta = timedelta(hours=1), **claims: Any) -> str:
    """A token as Supabase Auth signs it, with the published secret: HS256, audience `authenticated`, on the mock
    clock (what any client holding the deployment's secret could make)."""
    info = next(c["jwt"] for c in published(http) if "jwt" in c)
    now = clock(http)
    payload = {
        "sub": sub,
        "aud": "authenticated",
        "role": "authenticated",
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        **claims,
    }
    return jwt.encode(payload, info["secret"], algorithm=info["alg"])


@pytest.fixture
def alice(http: httpx.Client) -> Iron:
    """Alice Moreno, owner of Acme Homes, acting there by `X-Org-Id`."""
    return staff(http, ALICE)


# -- https://docs.2.24.223.166.sslip.io/api/conversations/ : the threads ---------------------------------------------


def test_list_conversations_in_the_x_org_id_org_or_the_earliest_joined(alice: Iron) -> None:
    """Conversations page, `GET /conversations`: "All endpoints are org-scoped via X-Org-Id". Alice's threads in
    Acme with the header; the same without it (Acme is her earliest-joined org); Lakeside's with the docs' example
    header, verbatim."""
    page = alice.ok("GET", "/conversations")
    assert set(page) == {"items", "total", "limit", "offset"}
    assert (page["limit"], page["offset"]) == (50, 0)
    assert {c["org_id"] for c in page["items"]} == {CRM_ACME}
    assert CRM_THREAD in [c["id"] for c in page["items"]]
    assert alice.in_org(None).ok("GET", "/conversations") == page
    stamps = [c["last_activity_at"] for c in alice.everything() if c["last_activity_at"] is not None]
    assert stamps == sorted(stamps, reverse=True)  # newest activity first
    lakeside = alice.in_org("11111111-2222-3333-4444-555555555555").everything()
    assert {c["org_id"] for c in lakeside} == {DOCS_ORG}
    assert {CRM_LAKESIDE_THREAD, "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4d02"} <= {c["id"] for c in lakeside}
    assert not {c["id"] for c in lakeside} & {c["id"] for c in alice.everything()}


READS = [
    "/conversations",
    f"/conversations/{CRM_THREAD}",
    f"/conversations/{CRM_THREAD}/messages",
    "/conversations/views",
    "/conversations/views/counts",
    "/conversations/sla",
    "/conversations/overdue/count",
    "/setter/queue",
    "/setter/queue/counts",
    "/setter/stats",
    "/setter/leaderboard",
    f"/setter/assignments/{ALICES}",
    "/agents/voice/config",
    "/agents/setter/config",
]


@pytest.mark.parametrize("path", READS)
def test_every_read_without_x_org_id_acts_in_the_earliest_joined_org(alice: Iron, path: str) -> None:
    """Logging-in page: "Most endpoints expect an X-Org-Id header ... If X-Org-Id is omitted, the API falls back to
    your earliest-joined org": Alice joined Acme first, so each documented read answers the same either way."""
    assert alice.in_org(None).ok("GET", path) == alice.ok("GET", path)


def test_list_conversations_scope_mine_and_team(http: httpx.Client, alice: Iron) -> None:
    """Conversations page: "Supports ?scope=mine|team". Mine: the caller's threads; team: everyone's."""
    team = alice.everything(scope="team")
    mine = alice.everything(scope="mine")
    assert team == alice.everything()  # team is the default
    assert mine and all(c["assigned_to"] == CRM_ALICE for c in mine)
    assert CRM_THREAD in [c["id"] for c in mine] and CRM_EMAIL_THREAD not in [c["id"] for c in mine]
    assert [c for c in team if c["assigned_to"] == CRM_ALICE] == mine
    bobs = staff(http, BOB).ids(scope="mine")
    assert CRM_EMAIL_THREAD in bobs and CRM_THREAD not in bobs


def test_list_conversations_archived(alice: Iron) -> None:
    """Conversations page: "Supports ... ?archived=". true: the archived threads; false (the default): the rest."""
    archived = alice.everything(archived="true")
    assert archived and all(c["archived"] for c in archived)
    assert CRM_ARCHIVED_THREAD in [c["id"] for c in archived]
    active = alice.everything(archived="false")
    assert active == alice.everything() and not any(c["archived"] for c in active)
    assert CRM_ARCHIVED_THREAD not in [c["id"] for c in active]


def test_list_conversations_overdue(alice: Iron) -> None:
    """Conversations page: "Supports ... ?overdue=". Maria's thread waits for a reply past Acme's 60-minute SLA;
    Priya's voicemail came 30 minutes ago."""
    overdue = alice.everything(overdue="true")
    on_time = alice.everything(overdue="false")
    assert overdue and all(c["overdue"] for c in overdue) and not any(c["overdue"] for c in on_time)
    assert CRM_THREAD in [c["id"] for c in overdue] and CRM_CALL_THREAD in [c["id"] for c in on_time]
    assert len(overdue) + len(on_time) == len(alice.everything())


def test_get_a_thread(http: httpx.Client, alice: Iron) -> None:
    """Conversations page, `GET /conversations/{conversation_id}`: Maria's SMS thread, starred, assigned to Alice,
    an inbound message 2 hours old unanswered (overdue against the 60-minute SLA). An unknown id is 404."""
    now = clock(http)
    thread = alice.ok("GET", f"/conversations/{CRM_THREAD}")
    assert thread["id"] == CRM_THREAD and thread["org_id"] == CRM_ACME
    assert thread["contact"] == {
        "id": CRM_MARIA,
        "name": "Maria Lopez",
        "phone": MARIA_PHONE,
        "email": "maria@example.com",
    }
    assert thread["last_activity_preview"] == {
        "type": "sms",
        "direction": "inbound",
        "body": "Is the 3-bedroom on Elm Street still available?",
        "at": iso(now - timedelta(hours=2)),
    }
    assert (thread["channel"], thread["starred"], thread["archived"]) == ("sms", True, False)
    assert (thread["assigned_to"], thread["overdue"]) == (CRM_ALICE, True)
    assert thread["last_activity_at"] == thread["awaiting_reply_since"] == iso(now - timedelta(hours=2))
    assert thread["sla_due_at"] == iso(now - timedelta(hours=1))
    assert thread["unread_count"] == 1  # Maria's question, after Alice's SMS
    assert thread in alice.everything()
    refused(alice.call("GET", "/conversations/7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4bff"), 404, NOT_FOUND)


def test_messages_render_calls_inline_with_their_ai_summary(http: httpx.Client, alice: Iron) -> None:
    """Conversations page, `GET /conversations/{conversation_id}/messages`: "calls render inline with their AI
    summary". Priya's voicemail is a `call` activity carrying its summary."""
    [call] = alice.messages(CRM_CALL_THREAD)
    assert call["type"] == "call" and call["direction"] == "inbound"
    assert call["call"] == {
        "duration_seconds": 0,
        "recording_url": None,
        "summary": "Priya left a voicemail asking to reschedule Thursday's showing to Friday afternoon.",
        "outcome": "voicemail",
    }
    assert call["provider_message_id"] == "CA0001" and call["actor"] == "system"
    assert call["created_at"] == iso(clock(http) - timedelta(minutes=30))


def test_messages_are_the_threads_activities_oldest_first(alice: Iron) -> None:
    """Conversations page: "One activity row exists per touchpoint (SMS, email, call, note)". Maria's thread: Alice's
    SMS, Maria's answer, and the setter's draft (suggestive mode)."""
    outbound, inbound, draft = alice.messages(CRM_THREAD)
    assert (outbound["type"], outbound["direction"], outbound["author_id"]) == ("sms", "outbound", CRM_ALICE)
    assert outbound["actor"] == f"user:{CRM_ALICE}"
    assert (inbound["type"], inbound["direction"], inbound["provider_message_id"]) == ("sms", "inbound", "SM0001")
    assert (inbound["from"], inbound["to"]) == (MARIA_PHONE, ORG_PHONE)
    assert (draft["type"], draft["status"], draft["body"]) == ("suggestion", "pending", MARIA_DRAFT)
    assert (draft["actor"], draft["author_id"]) == ("agent:setter", None)
    assert outbound["created_at"] < inbound["created_at"] <= draft["created_at"]


def test_send_an_sms_in_the_thread(http: httpx.Client, alice: Iron) -> None:
    """Conversations page, `POST /conversations/{conversation_id}/messages`: "Send a message (SMS/email) in the
    thread". It goes to Maria's phone, joins the timeline and answers the thread for the SLA."""
    now = clock(http)
    sent = alice.ok(
        "POST", f"/conversations/{CRM_THREAD}/messages", 201, json={"channel": "sms", "body": "Yes! Saturday at 11?"}
    )
    assert (sent["type"], sent["direction"], sent["status"]) == ("sms", "outbound", "sent")
    assert (sent["body"], sent["from"], sent["to"]) == ("Yes! Saturday at 11?", ORG_PHONE, MARIA_PHONE)
    assert (sent["author_id"], sent["actor"]) == (CRM_ALICE, f"user:{CRM_ALICE}")
    assert (sent["conversation_id"], sent["created_at"]) == (CRM_THREAD, iso(now))
    assert alice.messages(CRM_THREAD)[-1] == sent
    thread = alice.ok("GET", f"/conversations/{CRM_THREAD}")
    assert (thread["overdue"], thread["awaiting_reply_since"], thread["sla_due_at"]) == (False, None, None)
    assert thread["last_activity_preview"]["direction"] == "outbound" and thread["unread_count"] == 0


def test_send_an_email_in_the_thread(alice: Iron) -> None:
    """Conversations page, `POST /conversations/{conversation_id}/messages` with an email: to Tom's address."""
    sent = alice.ok(
        "POST",
        f"/conversations/{CRM_EMAIL_THREAD}/messages",
        201,
        json={"channel": "email", "subject": "Re: Offer on 12 Oak Lane", "body": "The seller accepted."},
    )
    assert (sent["type"], sent["subject"], sent["body"]) == (
        "email",
        "Re: Offer on 12 Oak Lane",
        "The seller accepted.",
    )
    assert (sent["from"], sent["to"]) == (ORG_EMAIL, "tom@example.com")
    thread = alice.ok("GET", f"/conversations/{CRM_EMAIL_THREAD}")
    assert (thread["channel"], thread["subject"]) == ("email", "Re: Offer on 12 Oak Lane")


def test_a_touchpoint_is_stored_once_per_provider_message_id(http: httpx.Client, alice: Iron) -> None:
    """Conversations page: "deduped by provider_message_id". A send repeated with its provider id answers the first
    activity and stores nothing; a send naming the id of Maria's seeded SMS answers that activity."""
    body = {"channel": "sms", "body": "Confirming Saturday.", "provider_message_id": "SMout-42"}
    first = alice.ok("POST", f"/conversations/{CRM_CALL_THREAD}/messages", 201, json=body)
    before = snapshot(http)
    again = alice.ok("POST", f"/conversations/{CRM_CALL_THREAD}/messages", 200, json=body)
    assert again == first and snapshot(http) == before
    assert [m["id"] for m in alice.messages(CRM_CALL_THREAD)].count(first["id"]) == 1
    seeded = next(m for m in alice.messages(CRM_THREAD) if m["provider_message_id"] == "SM0001")
    echo = alice.ok(
        "POST", f"/conversations/{CRM_THREAD}/messages", 200, json={**body, "provider_message_id": "SM0001"}
    )
    assert echo == seeded and snapshot(http) == before


def test_upload_media_for_an_outbound_message(http: httpx.Client, alice: Iron) -> None:
    """Conversations page, `POST /conversations/media`: "Upload media for an outbound message", then sent with it."""
    pdf = b"%PDF-1.4 the plan we discussed"
    media = alice.ok("POST", "/conversations/media", 201, files={"file": ("plan.pdf", pdf, "application/pdf")})
    assert set(media) == {"id", "filename", "content_type", "size", "created_at"}
    assert (media["filename"], media["content_type"], media["size"]) == ("plan.pdf", "application/pdf", len(pdf))
    assert media["created_at"] == iso(clock(http))
    sent = alice.ok(
        "POST",
        f"/conversations/{CRM_EMAIL_THREAD}/messages",
        201,
        json={"channel": "email", "subject": "The plan", "body": "Attached.", "media_ids": [media["id"]]},
    )
    assert sent["media"] == [{k: media[k] for k in ("id", "filename", "content_type", "size")}]


def test_open_a_conversation_for_a_contact(alice: Iron) -> None:
    """Conversations page, `POST /contacts/{contact_id}/conversations`: Nina has no thread yet, so one is opened
    (empty); opening again, or for Maria, answers the contact's thread."""
    opened = alice.ok("POST", f"/contacts/{CRM_NINA}/conversations", 201)
    assert (opened["org_id"], opened["contact"]["id"], opened["contact"]["name"]) == (CRM_ACME, CRM_NINA, "Nina Park")
    assert (opened["channel"], opened["last_activity_at"], opened["last_activity_preview"]) == ("sms", None, None)
    assert (opened["unread_count"], opened["starred"], opened["archived"], opened["assigned_to"]) == (
        0,
        False,
        False,
        None,
    )
    assert alice.messages(opened["id"]) == []
    assert alice.ok("POST", f"/contacts/{CRM_NINA}/conversations") == opened
    assert opened["id"] in alice.ids()
    maria = alice.ok("POST", f"/contacts/{CRM_MARIA}/conversations", json={"channel": "sms"})
    assert maria == alice.ok("GET", f"/conversations/{CRM_THREAD}")


# -- https://docs.2.24.223.166.sslip.io/api/conversations/ : the thread's state ---------------------------------------


def test_star_and_unstar(alice: Iron) -> None:
    """Conversations page, `POST` and `DELETE /conversations/{conversation_id}/star`."""
    starred = alice.ok("POST", f"/conversations/{CRM_CALL_THREAD}/star")
    assert (starred["id"], starred["starred"]) == (CRM_CALL_THREAD, True)
    assert alice.ok("GET", f"/conversations/{CRM_CALL_THREAD}")["starred"] is True
    assert CRM_CALL_THREAD in alice.ids(starred="true")
    unstarred = alice.ok("DELETE", f"/conversations/{CRM_CALL_THREAD}/star")
    assert unstarred["starred"] is False
    assert alice.ok("GET", f"/conversations/{CRM_CALL_THREAD}") == unstarred


def test_mark_read_and_unread(alice: Iron) -> None:
    """Conversations page, `POST /conversations/{conversation_id}/read` and `/unread`."""
    assert alice.ok("GET", f"/conversations/{CRM_THREAD}")["unread_count"] >= 1
    read = alice.ok("POST", f"/conversations/{CRM_THREAD}/read")
    assert read["unread_count"] == 0 and CRM_THREAD not in alice.ids(unread="true")
    unread = alice.ok("POST", f"/conversations/{CRM_THREAD}/unread")
    assert unread["unread_count"] == 1 and CRM_THREAD in alice.ids(unread="true")
    assert alice.ok("GET", f"/conversations/{CRM_THREAD}") == unread


def test_assign_to_a_staff_member_or_to_nobody(http: httpx.Client, alice: Iron) -> None:
    """Conversations page, `POST /conversations/{conversation_id}/assign` with `{ "assigned_to": "<uuid>|null" }`."""
    assigned = alice.ok("POST", f"/conversations/{CRM_CALL_THREAD}/assign", json={"assigned_to": CRM_BOB})
    assert assigned["assigned_to"] == CRM_BOB
    assert CRM_CALL_THREAD in staff(http, BOB).ids(scope="mine")
    unassigned = alice.ok("POST", f"/conversations/{CRM_CALL_THREAD}/assign", json={"assigned_to": None})
    assert unassigned["assigned_to"] is None
    assert CRM_CALL_THREAD not in staff(http, BOB).ids(scope="mine")


@pytest.mark.parametrize("assignee", [CRM_CAROL, NO_ONE], ids=["globex-owner", "no-such-user"])
def test_assigning_a_non_member_is_422(http: httpx.Client, alice: Iron, assignee: str) -> None:
    """Conversations page: "422 if not an org member". Carol belongs to Globex only; nothing changes."""
    before = snapshot(http)
    response = alice.call("POST", f"/conversations/{CRM_THREAD}/assign", json={"assigned_to": assignee})
    refused(response, 422, not_a_member_422(assignee))
    assert snapshot(http) == before


def test_archive_and_unarchive(alice: Iron) -> None:
    """Conversations page, `POST /conversations/{conversation_id}/archive` with `{ "archived": true|false }`."""
    archived = alice.ok("POST", f"/conversations/{CRM_CALL_THREAD}/archive", json={"archived": True})
    assert archived["archived"] is True
    assert CRM_CALL_THREAD not in alice.ids() and CRM_CALL_THREAD in alice.ids(archived="true")
    restored = alice.ok("POST", f"/conversations/{CRM_CALL_THREAD}/archive", json={"archived": False})
    assert restored["archived"] is False
    assert CRM_CALL_THREAD in alice.ids() and CRM_CALL_THREAD not in alice.ids(archived="true")


# -- https://docs.2.24.223.166.sslip.io/api/conversations/ : views, SLA ----------------------------------------------


def test_list_saved_views_has_the_four_system_views(alice: Iron) -> None:
    """Conversations page, `GET /conversations/views`: "Unread / Recents / Starred / All"."""
    views = alice.ok("GET", "/conversations/views")["views"]
    assert [(v["name"], v["filters"], v["system"], v["position"]) for v in views] == [
        (name, filters, True, index) for index, (name, filters) in enumerate(SYSTEM_VIEWS.items())
    ]


def test_save_views_with_a_custom_one(alice: Iron) -> None:
    """Conversations page, `PUT /conversations/views`: the system views kept, one view added."""
    current = alice.ok("GET", "/conversations/views")["views"]
    mine = {"name": "My overdue", "filters": {"scope": "mine", "overdue": True}}
    saved = alice.ok("PUT", "/conversations/views", json={"views": [*current, mine]})["views"]
    assert saved[:4] == current
    assert {k: saved[4][k] for k in ("name", "filters", "system", "position")} == {
        **mine,
        "system": False,
        "position": 4,
    }
    assert alice.ok("GET", "/conversations/views")["views"] == saved
    counts = alice.ok("GET", "/conversations/views/counts")["counts"]
    assert [c["name"] for c in counts] == [*SYSTEM_VIEWS, "My overdue"]
    assert counts[4]["total"] == len(alice.everything(scope="mine", overdue="true"))


@pytest.mark.parametrize("dropped", list(SYSTEM_VIEWS))
def test_a_system_view_cannot_be_deleted(http: httpx.Client, alice: Iron, dropped: str) -> None:
    """Conversations page: "Unread / Recents / Starred / All are non-deletable": one of them left out (a custom view
    in its place) is refused, and nothing is saved."""
    kept = [{"name": name, "filters": filters} for name, filters in SYSTEM_VIEWS.items() if name != dropped]
    kept.append({"name": "Mine", "filters": {"scope": "mine"}})
    before = snapshot(http)
    response = alice.call("PUT", "/conversations/views", json={"views": kept})
    issue = {
        "type": "value_error",
        "loc": ["body", "views"],
        "msg": f"Value error, system view {dropped} cannot be removed",
        "input": [v["name"] for v in kept],
    }
    refused(response, 422, {"detail": [issue]})
    assert snapshot(http) == before


def test_view_counts_are_each_views_unread_and_total(alice: Iron) -> None:
    """Conversations page, `GET /conversations/views/counts`: "Per-view unread/total counts", each what the list
    returns under the view's filters."""
    views = {v["id"]: v for v in alice.ok("GET", "/conversations/views")["views"]}
    counts = alice.ok("GET", "/conversations/views/counts")["counts"]
    assert [c["view_id"] for c in counts] == list(views)
    for count in counts:
        filters = views[count["view_id"]]["filters"]
        listed = alice.everything(**{k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items()})
        assert count["name"] == views[count["view_id"]]["name"]
        assert count["total"] == len(listed), count
        assert count["unread"] == sum(1 for c in listed if c["unread_count"] > 0), count


def test_get_the_sla_config(http: httpx.Client, alice: Iron) -> None:
    """Conversations page, `GET /conversations/sla`: each org's own first-response SLA."""
    assert alice.ok("GET", "/conversations/sla") == {
        "enabled": True,
        "first_response_minutes": 60,
        "business_hours": None,
        "timezone": "America/New_York",
    }
    assert alice.in_org(DOCS_ORG).ok("GET", "/conversations/sla")["timezone"] == "America/Denver"
    globex = staff(http, CAROL, CRM_GLOBEX).ok("GET", "/conversations/sla")
    assert (globex["first_response_minutes"], globex["timezone"]) == (30, "America/Chicago")


def test_count_of_sla_overdue_threads(http: httpx.Client, alice: Iron) -> None:
    """Conversations page, `GET /conversations/overdue/count`: the threads `?overdue=true` lists; Priya's voicemail
    (30 minutes old) joins them once the 60-minute SLA passes on the mock clock."""
    count = alice.ok("GET", "/conversations/overdue/count")
    assert count == {"count": len(alice.everything(overdue="true"))}
    assert CRM_CALL_THREAD not in alice.ids(overdue="true")
    advance(http, "31m")
    assert CRM_CALL_THREAD in alice.ids(overdue="true")
    later = alice.ok("GET", "/conversations/overdue/count")["count"]
    assert later == len(alice.everything(overdue="true")) > count["count"]


# -- https://docs.2.24.223.166.sslip.io/api/conversations/ : the setter's drafts -------------------------------------


def test_send_a_suggested_draft_in_one_click(http: httpx.Client, alice: Iron) -> None:
    """Conversations page, `POST /conversations/{conversation_id}/suggestions/{activity_id}/send`: "Send a
    suggested draft (one-click)". The draft goes to Maria as it is; a second click is refused."""
    draft = draft_of(alice, CRM_THREAD)
    sent = alice.ok("POST", f"/conversations/{CRM_THREAD}/suggestions/{draft['id']}/send")
    assert set(sent) == {"suggestion", "message"}
    assert sent["suggestion"] == {**draft, "status": "sent"}
    message = sent["message"]
    assert (message["type"], message["direction"], message["body"]) == ("sms", "outbound", MARIA_DRAFT)
    assert (message["to"], message["suggestion_id"]) == (MARIA_PHONE, draft["id"])
    assert (message["author_id"], message["actor"]) == (CRM_ALICE, f"user:{CRM_ALICE}")
    assert alice.messages(CRM_THREAD)[-1] == message
    assert training_pairs(http, CRM_ACME) == []  # sent as drafted by the click: no pair
    again = alice.call("POST", f"/conversations/{CRM_THREAD}/suggestions/{draft['id']}/send")
    refused(again, 409, {"detail": "Suggestion already sent"})


def test_dismiss_a_suggested_draft(http: httpx.Client, alice: Iron) -> None:
    """Conversations page, `POST /conversations/{conversation_id}/suggestions/{activity_id}/dismiss`, in the docs'
    example org: Grace's draft is dismissed and nothing is sent."""
    lakeside = alice.in_org("11111111-2222-3333-4444-555555555555")
    draft = draft_of(lakeside, CRM_LAKESIDE_THREAD)
    assert draft["body"] == GRACE_DRAFT
    before = lakeside.messages(CRM_LAKESIDE_THREAD)
    dismissed = lakeside.ok("POST", f"/conversations/{CRM_LAKESIDE_THREAD}/suggestions/{draft['id']}/dismiss")
    assert dismissed == {"suggestion": {**draft, "status": "dismissed"}}
    assert lakeside.messages(CRM_LAKESIDE_THREAD) == [
        dismissed["suggestion"] if m["id"] == draft["id"] else m for m in before
    ]
    state = snapshot(http)
    for action in ("send", "dismiss"):
        response = lakeside.call("POST", f"/conversations/{CRM_LAKESIDE_THREAD}/suggestions/{draft['id']}/{action}")
        refused(response, 409, {"detail": "Suggestion already dismissed"})
    unknown = lakeside.call("POST", f"/conversations/{CRM_LAKESIDE_THREAD}/suggestions/{NO_ONE}/send")
    refused(unknown, 404, {"detail": "Suggestion not found"})
    assert snapshot(http) == state


def test_a_human_send_while_a_draft_waits_is_one_labelled_training_pair(http: httpx.Client, alice: Iron) -> None:
    """Conversations page: "When a human sends while a pending suggestion existed, the AI draft and the human-sent
    message are captured as one labelled training pair". An edited text in Acme, the draft's own in Lakeside."""
    draft = draft_of(alice, CRM_THREAD)
    edited = "Hi Maria, it is! Would Saturday at 11 suit you for a viewing?"
    sent = alice.ok("POST", f"/conversations/{CRM_THREAD}/messages", 201, json={"channel": "sms", "body": edited})
    assert next(m for m in alice.messages(CRM_THREAD) if m["id"] == draft["id"])["status"] == "superseded"
    [pair] = training_pairs(http, CRM_ACME)
    assert {k: pair[k] for k in ("conversation_id", "suggestion_id", "draft", "sent", "label", "author_id")} == {
        "conversation_id": CRM_THREAD,
        "suggestion_id": draft["id"],
        "draft": MARIA_DRAFT,
        "sent": edited,
        "label": "edited",
        "author_id": CRM_ALICE,
    }
    assert pair["created_at"] == sent["created_at"]
    lakeside = alice.in_org(DOCS_ORG)
    lakeside.ok(
        "POST", f"/conversations/{CRM_LAKESIDE_THREAD}/messages", 201, json={"channel": "sms", "body": GRACE_DRAFT}
    )
    [accepted] = training_pairs(http, CRM_LAKESIDE)
    assert (accepted["draft"], accepted["sent"], accepted["label"]) == (GRACE_DRAFT, GRACE_DRAFT, "accepted")


# -- https://docs.2.24.223.166.sslip.io/api/setter/ --------------------------------------------------------------------


def test_setter_work_queue_and_its_counts(alice: Iron) -> None:
    """Setter page, `GET /setter/queue` ("The setter work queue") and `GET /setter/queue/counts` ("Queue counts (by
    state)"), org-scoped via X-Org-Id under /api/v1/setter."""
    queue = alice.ok("GET", "/setter/queue")
    assert [a["id"] for a in queue["items"]] == [CLAIMED, ALICES]  # the open ones, due first
    assert [a["state"] for a in queue["items"]] == ["claimed", "claimed"]
    assert {a["org_id"] for a in queue["items"]} == {CRM_ACME} and queue["total"] == 2
    assert alice.ok("GET", "/setter/queue/counts") == {"queued": 0, "claimed": 2, "completed": 1}
    assert [a["id"] for a in alice.ok("GET", "/setter/queue", params={"state": "completed"})["items"]] == [COMPLETED]
    lakeside = alice.in_org(DOCS_ORG)
    assert [a["id"] for a in lakeside.ok("GET", "/setter/queue")["items"]] == [LAKESIDE_QUEUED]
    assert lakeside.ok("GET", "/setter/queue/counts") == {"queued": 1, "claimed": 0, "completed": 0}


def test_claim_the_next_available_assignment(http: httpx.Client, alice: Iron) -> None:
    """Setter page, `POST /setter/claim-next`: "Claim the next available assignment"; then none is left. (Alice
    puts her seeded claim back in the queue first: the seed's Acme queue has nothing queued.)"""
    now = clock(http)
    nothing = alice.call("POST", "/setter/claim-next")
    assert (nothing.status_code, nothing.content) == (204, b"")
    alice.ok("POST", f"/setter/assignments/{ALICES}/release")
    claimed = alice.ok("POST", "/setter/claim-next")
    assert (claimed["id"], claimed["state"]) == (ALICES, "claimed")
    assert (claimed["claimed_by"], claimed["claimed_at"]) == (CRM_ALICE, iso(now))
    nothing = alice.call("POST", "/setter/claim-next")
    assert (nothing.status_code, nothing.content) == (204, b"")
    assert alice.ok("GET", "/setter/queue/counts") == {"queued": 0, "claimed": 2, "completed": 1}


def test_get_claim_release_and_disposition_an_assignment(http: httpx.Client, alice: Iron) -> None:
    """Setter page, `GET /setter/assignments/{assignment_id}` and its `/claim`, `/release` and `/disposition`."""
    now = clock(http)
    fetched = alice.ok("GET", f"/setter/assignments/{ALICES}")
    assert (fetched["conversation_id"], fetched["contact_id"], fetched["state"]) == (CRM_THREAD, CRM_MARIA, "claimed")
    released = alice.ok("POST", f"/setter/assignments/{ALICES}/release")
    assert (released["state"], released["claimed_by"], released["claimed_at"]) == ("queued", None, None)
    assert alice.ok("POST", f"/setter/assignments/{ALICES}/claim")["claimed_by"] == CRM_ALICE
    done = alice.ok(
        "POST", f"/setter/assignments/{ALICES}/disposition", json={"outcome": "booked", "note": "Viewing on Saturday."}
    )
    assert done["state"] == "completed"
    assert done["disposition"] == {"outcome": "booked", "note": "Viewing on Saturday.", "by": CRM_ALICE, "at": iso(now)}
    assert alice.ok("GET", f"/setter/assignments/{ALICES}") == done
    refused(alice.call("GET", f"/setter/assignments/{LAKESIDE_QUEUED}"), 404, {"detail": "Assignment not found"})


def test_assign_an_assignment_to_a_staff_member(http: httpx.Client, alice: Iron) -> None:
    """Setter page, `POST /setter/assignments/{assignment_id}/assign`: "Assign to a staff member" (a non-member is
    refused as the conversation assign's documented 422)."""
    assigned = alice.ok("POST", f"/setter/assignments/{ALICES}/assign", json={"assigned_to": CRM_BOB})
    assert assigned["assigned_to"] == CRM_BOB
    before = snapshot(http)
    response = alice.call("POST", f"/setter/assignments/{ALICES}/assign", json={"assigned_to": CRM_CAROL})
    refused(response, 422, not_a_member_422(CRM_CAROL))
    assert snapshot(http) == before
    assert alice.ok("POST", f"/setter/assignments/{ALICES}/assign", json={"assigned_to": None})["assigned_to"] is None


def test_setter_stats_and_leaderboard(alice: Iron) -> None:
    """Setter page, `GET /setter/stats` ("Setter performance stats") and `GET /setter/leaderboard` ("Setting
    leaderboard"): Alice booked the archived thread's viewing."""
    stats = alice.ok("GET", "/setter/stats")
    assert stats["assignments"] == alice.ok("GET", "/setter/queue/counts")
    assert stats["dispositions"]["booked"] == 1 and sum(stats["dispositions"].values()) == 1
    assert stats["suggestions"]["pending"] >= 1
    board = alice.ok("GET", "/setter/leaderboard")["items"]
    assert board[0] == {"user_id": CRM_ALICE, "name": "Alice Moreno", "dispositions": 1, "booked": 1, "quoted": 0}
    assert {row["user_id"] for row in board} == {CRM_ALICE, CRM_BOB, CRM_DAVE}  # Acme's members


def test_voice_agent_config_get_and_put(http: httpx.Client, alice: Iron) -> None:
    """Setter page, `GET / PUT /agents/voice/config`: "Voice-agent config (org-scoped)"."""
    initial = alice.ok("GET", "/agents/voice/config")
    assert (initial["enabled"], initial["transfer_to"], initial["updated_at"]) == (False, None, None)
    saved = alice.ok("PUT", "/agents/voice/config", json={"enabled": True, "transfer_to": "+15550001111"})
    assert saved == {**initial, "enabled": True, "transfer_to": "+15550001111", "updated_at": iso(clock(http))}
    assert alice.ok("GET", "/agents/voice/config") == saved
    assert alice.in_org(DOCS_ORG).ok("GET", "/agents/voice/config") == initial  # Lakeside's own config
    before = snapshot(http)
    response = staff(http, BOB).call("PUT", "/agents/voice/config", json={"enabled": False})
    refused(response, 403, {"detail": "Only an owner or admin can change the voice agent config"})
    assert snapshot(http) == before


def test_setter_config_at_the_agents_router(http: httpx.Client, alice: Iron) -> None:
    """Setter page: "Setter behavior is configured per org (response mode off / suggestive / autopilot ...)" and
    "The config ... [is] served by the agents router"; the path `/agents/setter/config` is convomock design. By
    default suggestive, autopilot gated off; `reply_objective` shapes the draft's structured action."""
    config = alice.ok("GET", "/agents/setter/config")
    assert (config["response_mode"], config["reply_objective"], config["autopilot_available"]) == (
        "suggestive",
        "default",
        False,
    )
    before = snapshot(http)
    gated = alice.call("PUT", "/agents/setter/config", json={"response_mode": "autopilot"})
    issue = {
        "type": "value_error",
        "loc": ["body", "response_mode"],
        "msg": "Value error, autopilot is gated off for this organization",
        "input": "autopilot",
    }
    refused(gated, 422, {"detail": [issue]})
    assert snapshot(http) == before
    saved = alice.ok("PUT", "/agents/setter/config", json={"reply_objective": "book_call"})
    assert (saved["reply_objective"], saved["response_mode"]) == ("book_call", "suggestive")
    texted(http, "+15551230003", "Can we talk about Friday?", "SMq1")
    assert draft_of(alice, CRM_CALL_THREAD)["action"] == {"type": "book_call"}


def test_the_setter_drafts_in_suggestive_mode_and_not_when_off(http: httpx.Client, alice: Iron) -> None:
    """Setter page: "By default it runs in suggestive mode (writes drafts a human sends)". Acme's customer gets a
    pending draft; Globex's setter is off, so its customer gets none."""
    texted(http, "+15551230003", "Is Friday afternoon free?", "SMd1")
    draft = draft_of(alice, CRM_CALL_THREAD)
    assert (draft["actor"], draft["author_id"], draft["direction"]) == ("agent:setter", None, "outbound")
    texted(http, "+15552340001", "Still for rent?", "SMd2", CRM_GLOBEX)
    carol = staff(http, CAROL, CRM_GLOBEX)
    assert not [m for m in carol.messages(CRM_GLOBEX_THREAD) if m["type"] == "suggestion"]


# -- https://docs.2.24.223.166.sslip.io/api/authentication/ and /getting-started/logging-in/ -------------------------


def test_the_bearer_token_is_a_supabase_jwt(http: httpx.Client, alice: Iron) -> None:
    """Authentication page: "validated as HS256 with audience authenticated, signed by the shared Supabase auth
    secret". The published token verifies so; one signed the same way by the caller works like it."""
    info = next(c["jwt"] for c in published(http) if c.get("email") == ALICE)
    assert (info["alg"], info["aud"]) == ("HS256", "authenticated")
    claims = jwt.decode(
        alice.token, info["secret"], algorithms=["HS256"], audience="authenticated", options={"verify_exp": False}
    )
    assert claims["sub"] == CRM_ALICE
    own = Iron(http, supabase_token(http, CRM_ALICE), CRM_ACME)
    assert own.ok("GET", "/conversations") == alice.ok("GET", "/conversations")


def bad_tokens(http: httpx.Client) -> dict[str, str]:
    secret = next(c["jwt"]["secret"] for c in published(http) if "jwt" in c)
    now = clock(http)
    claims = {"sub": CRM_ALICE, "aud": "authenticated", "exp": int((now + timedelta(hours=1)).timestamp())}
    return {
        "garbage": "not-a-jwt",
        "another-secret": jwt.encode(claims, "another-deployments-secret-0123456789abcdef", algorithm="HS256"),
        "hs384": jwt.encode(claims, secret, algorithm="HS384"),
        "anon-audience": jwt.encode({**claims, "aud": "anon"}, secret, algorithm="HS256"),
        "expired": jwt.encode(
            {**claims, "exp": int((now - timedelta(seconds=1)).timestamp())}, secret, algorithm="HS256"
        ),
    }


def test_an_invalid_or_expired_token_is_401_with_www_authenticate_bearer(http: httpx.Client, alice: Iron) -> None:
    """Authentication page: "Failures return 401 Unauthorized with a WWW-Authenticate: Bearer header" (logging-in
    page: "An invalid or expired token")."""
    for name, token in bad_tokens(http).items():
        response = Iron(http, token, CRM_ACME).call("GET", "/conversations")
        refused(response, 401, INVALID)
        assert response.headers["www-authenticate"] == "Bearer", name
    missing = http.get(BASE + "/conversations", headers={"X-Org-Id": CRM_ACME})
    refused(missing, 401, {"detail": "Not authenticated"})
    assert missing.headers["www-authenticate"] == "Bearer"
    minted = http.post("/__mock/crm-inbox/tokens", json={"user": ALICE, "expires_in": 60})
    short = Iron(http, minted.json()["access_token"], CRM_ACME)
    assert short.call("GET", "/conversations").status_code == 200
    advance(http, "2m")
    refused(short.call("GET", "/conversations"), 401, INVALID)


def test_the_user_is_resolved_before_the_org(http: httpx.Client) -> None:
    """Authentication page: "After the user is resolved, the request resolves an acting org": a bad token is 401
    whatever `X-Org-Id` says."""
    for org in ("not-a-uuid", CRM_GLOBEX, CRM_ACME, None):
        refused(Iron(http, "not-a-jwt", org).call("GET", "/conversations"), 401, INVALID)


def test_the_x_org_id_rules(http: httpx.Client, alice: Iron) -> None:
    """Authentication page, "Org context (X-Org-Id)": member → acts there; not a member → 403 (existence is never
    leaked); malformed UUID → 400; omitted → the earliest-joined org (Dave joined Globex before Acme)."""
    assert {c["org_id"] for c in alice.in_org(DOCS_ORG).everything()} == {DOCS_ORG}
    before = snapshot(http)
    existing = alice.in_org(CRM_GLOBEX).call("GET", "/conversations")
    unknown = alice.in_org("0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291dff").call("GET", "/conversations")
    refused(existing, 403, NOT_A_MEMBER)
    assert (unknown.status_code, unknown.content, dict(unknown.headers)) == (
        403,
        existing.content,
        dict(existing.headers),
    )
    for malformed in ("not-a-uuid", "11111111222233334444555555555555", ""):
        refused(alice.in_org(malformed).call("GET", "/conversations"), 400, {"detail": "X-Org-Id must be a UUID"})
    assert snapshot(http) == before
    dave = staff(http, DAVE, None)
    assert {c["org_id"] for c in dave.everything()} == {CRM_GLOBEX}
    assert dave.in_org(CRM_ACME).ids() == alice.ids()


def test_impersonate_as_the_page_writes_it(http: httpx.Client, alice: Iron) -> None:
    """Authentication page, "View as client" impersonation: `POST /api/v1/impersonate` with
    `{ "org_id": "<target-subaccount-uuid>" }`; "The minted token is then passed on subsequent requests via the
    X-Impersonate-Token header"; "The audit row records the real admin's identity"."""
    now = clock(http)
    response = http.post(
        "/crm-inbox/api/v1/impersonate",
        headers={"Authorization": f"Bearer {alice.token}", "Content-Type": "application/json"},
        content=b'{ "org_id": "11111111-2222-3333-4444-555555555555" }',
    )
    assert response.status_code == 201, response.text
    grant = response.json()
    assert set(grant) == {"token", "org_id", "expires_at"}
    assert re.fullmatch(r"imp_[0-9a-f]{32}", grant["token"])
    assert (grant["org_id"], grant["expires_at"]) == (DOCS_ORG, iso(now + timedelta(hours=1)))
    viewing = alice.in_org(None).sending(X_Impersonate_Token=grant["token"])
    assert viewing.everything() == alice.in_org(DOCS_ORG).everything()
    sent = viewing.ok(
        "POST",
        f"/conversations/{CRM_LAKESIDE_THREAD}/messages",
        201,
        json={"channel": "sms", "body": "Price sheet attached."},
    )
    assert (sent["author_id"], sent["actor"]) == (CRM_ALICE, f"user:{CRM_ALICE}")


def test_impersonation_targets_are_the_callers_org_or_a_direct_subaccount(http: httpx.Client, alice: Iron) -> None:
    """Authentication page: "The target must be the caller's own org or one of its direct subaccounts ... never a
    sibling, the parent, or another agency's client. A violation returns 403. An unknown target returns 404." and
    "The caller must be an admin/owner of their current org"."""
    assert alice.ok("POST", "/impersonate", 201, json={"org_id": CRM_ACME})["org_id"] == CRM_ACME
    before = snapshot(http)
    violation = {"detail": "Not your organization or one of its direct subaccounts"}
    in_lakeside = alice.in_org(DOCS_ORG)
    refused(in_lakeside.call("POST", "/impersonate", json={"org_id": ACME_RENTALS}), 403, violation)  # a sibling
    refused(in_lakeside.call("POST", "/impersonate", json={"org_id": CRM_ACME}), 403, violation)  # the parent
    dave = staff(http, DAVE, CRM_GLOBEX)  # Globex's admin
    refused(dave.call("POST", "/impersonate", json={"org_id": DOCS_ORG}), 403, violation)  # another agency's client
    unknown = alice.call("POST", "/impersonate", json={"org_id": "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291dff"})
    refused(unknown, 404, {"detail": "Organization not found"})
    member = staff(http, BOB).call("POST", "/impersonate", json={"org_id": DOCS_ORG})
    refused(member, 403, {"detail": "Only an owner or admin can impersonate"})
    assert snapshot(http) == before


def test_the_shared_secret_is_not_for_user_facing_calls(http: httpx.Client) -> None:
    """Authentication page: "Do not use the shared secret for user-facing calls — use a JWT."."""
    secret = seam(http, "webhooks")
    response = http.get(
        BASE + "/conversations", headers={secret["token_header"]: secret["token"], "X-Org-Id": CRM_ACME}
    )
    refused(response, 401, {"detail": "Not authenticated"})
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_first_authenticated_request_provisions_a_fresh_org(http: httpx.Client) -> None:
    """Logging-in page, "First login provisioning": "On the first authenticated request for a brand-new user, the
    API auto-provisions a fresh org, an owner membership ... then the rest of the request runs org-scoped"."""
    newcomer = Iron(http, supabase_token(http, "5b3c7d9e-1f2a-4b6c-8d0e-2f4a6b8c0d1e", email="zoe@new.example"))
    assert newcomer.ok("GET", "/conversations") == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert [v["name"] for v in newcomer.ok("GET", "/conversations/views")["views"]] == list(SYSTEM_VIEWS)
    assert newcomer.ok("GET", "/conversations/sla")["first_response_minutes"] == 60
    views = [*newcomer.ok("GET", "/conversations/views")["views"], {"name": "Mine", "filters": {"scope": "mine"}}]
    saved = newcomer.ok("PUT", "/conversations/views", json={"views": views})
    assert newcomer.ok("GET", "/conversations/views") == saved  # the same org on the next request
    refused(newcomer.in_org(CRM_ACME).call("GET", "/conversations"), 403, NOT_A_MEMBER)


# -- https://docs.2.24.223.166.sslip.io/getting-started/subaccounts/ ---------------------------------------------------


def test_the_acting_org_sees_itself_plus_its_direct_children(alice: Iron) -> None:
    """Subaccounts page: "RLS scoping — at the database level, the acting org sees itself plus its direct children."
    From Acme, Lakeside's thread is read by id (with its own org_id); Lakeside North's (a grandchild) is not."""
    child = alice.ok("GET", f"/conversations/{CRM_LAKESIDE_THREAD}")
    assert child == alice.in_org(DOCS_ORG).ok("GET", f"/conversations/{CRM_LAKESIDE_THREAD}")
    assert child["org_id"] == DOCS_ORG
    refused(alice.call("GET", f"/conversations/{CRM_NORTH_THREAD}"), 404, NOT_FOUND)
    refused(alice.in_org(CRM_LAKESIDE_NORTH).call("GET", f"/conversations/{CRM_NORTH_THREAD}"), 403, NOT_A_MEMBER)


# -- https://docs.2.24.223.166.sslip.io/getting-started/operator-model/ ------------------------------------------------


def test_each_timeline_row_carries_an_actor(http: httpx.Client, alice: Iron) -> None:
    """Operator-model page, "Actor attribution": `user:{uuid}` a human, `agent:{name}` (`agent:setter`), `system`
    internal actions; "the activity timeline carries an actor on each row"."""
    landed = texted(http, MARIA_PHONE, "Saturday works.", "SMa1")
    alice.ok("POST", f"/conversations/{CRM_THREAD}/messages", 201, json={"channel": "sms", "body": "See you then."})
    rows = alice.messages(CRM_THREAD)
    assert all(isinstance(r["actor"], str) for r in rows)
    inbound = next(r for r in rows if r["id"] == landed["activity_id"])
    assert inbound["actor"] == "system"
    assert {r["actor"] for r in rows if r["type"] == "suggestion"} == {"agent:setter"}
    assert rows[-1]["actor"] == f"user:{CRM_ALICE}"


@pytest.mark.parametrize(
    ("sent", "recorded"),
    [
        ("api:mcp", "api:mcp"),
        ("agent:setter", "agent:setter"),
        ("system", "system"),
        (f"user:{CRM_BOB}", f"user:{CRM_ALICE}"),
        ("user:alice", f"user:{CRM_ALICE}"),
        ("root", f"user:{CRM_ALICE}"),
    ],
)
def test_x_actor_is_honoured_only_for_api_agent_and_system(alice: Iron, sent: str, recorded: str) -> None:
    """Operator-model page: "A caller cannot forge a user: identity — the X-Actor override is only honored for api:*
    / agent:* / system actors"."""
    message = alice.sending(X_Actor=sent).ok(
        "POST", f"/conversations/{CRM_CALL_THREAD}/messages", 201, json={"channel": "sms", "body": "Friday works."}
    )
    assert message["actor"] == recorded
    assert message["author_id"] == CRM_ALICE


def test_an_agent_cannot_read_another_org(http: httpx.Client, alice: Iron) -> None:
    """Operator-model page: the MCP server "reuses the same multi-tenant auth and org scoping ... (an agent cannot
    read another org; the API returns 403)"."""
    agent = alice.sending(X_Actor="api:mcp")
    assert agent.ok("GET", "/conversations")["items"]
    refused(agent.in_org(CRM_GLOBEX).call("GET", "/conversations"), 403, NOT_A_MEMBER)
    refused(agent.in_org(CRM_GLOBEX).call("GET", f"/conversations/{CRM_GLOBEX_THREAD}"), 403, NOT_A_MEMBER)


# -- https://docs.2.24.223.166.sslip.io/api/webhooks/ ------------------------------------------------------------------


def test_inbound_sms_with_the_shared_secret(http: httpx.Client, alice: Iron) -> None:
    """Webhooks page, `POST /webhooks/inbound-sms` ("Inbound SMS (from the telephony engine)"): no user JWT, no
    X-Org-Id, "Shared secret (X-Iron-CRM-Secret) ... The org is passed explicitly in the body"; a repeat of the
    provider id is the same activity (conversations page: deduped by provider_message_id)."""
    secret = seam(http, "webhooks")
    assert secret["token_header"] == "X-Iron-CRM-Secret" and secret["body"] == {"org_id": CRM_ACME}
    body = {**secret["body"], "from": MARIA_PHONE, "to": ORG_PHONE, "body": "Is 11 ok?", "provider_message_id": "SMw1"}
    unread = alice.ok("GET", f"/conversations/{CRM_THREAD}")["unread_count"]
    landed = http.post(BASE + "/webhooks/inbound-sms", headers={"X-Iron-CRM-Secret": secret["token"]}, json=body)
    assert landed.status_code == 200, landed.text
    receipt = landed.json()
    assert {k: receipt[k] for k in ("status", "conversation_id", "contact_id", "contact_created")} == {
        "status": "received",
        "conversation_id": CRM_THREAD,
        "contact_id": CRM_MARIA,
        "contact_created": False,
    }
    activity = next(m for m in alice.messages(CRM_THREAD) if m["id"] == receipt["activity_id"])
    assert (activity["type"], activity["direction"], activity["body"]) == ("sms", "inbound", "Is 11 ok?")
    assert (activity["provider_message_id"], activity["from"]) == ("SMw1", MARIA_PHONE)
    assert alice.ok("GET", f"/conversations/{CRM_THREAD}")["unread_count"] == unread + 1
    before = snapshot(http)
    again = http.post(BASE + "/webhooks/inbound-sms", headers={"X-Iron-CRM-Secret": secret["token"]}, json=body)
    assert again.json() == {**receipt, "status": "duplicate"}
    assert snapshot(http) == before


def test_inbound_sms_without_the_secret_is_refused(http: httpx.Client, alice: Iron) -> None:
    """Webhooks page: the seams "do not carry a user JWT ... They authenticate with a shared secret": no secret, a
    wrong one or a user's JWT instead gets 401 and nothing lands."""
    secret = seam(http, "webhooks")
    body = {**secret["body"], "from": MARIA_PHONE, "body": "Hello?", "provider_message_id": "SMw2"}
    before = snapshot(http)
    for headers in ({}, {"X-Iron-CRM-Secret": "not-the-secret"}, {"Authorization": f"Bearer {alice.token}"}):
        response = http.post(BASE + "/webhooks/inbound-sms", headers=headers, json=body)
        refused(response, 401, {"detail": "Invalid CRM secret"})
        assert "www-authenticate" not in response.headers
    assert snapshot(http) == before


def test_inbound_email_with_the_installation_token(http: httpx.Client, alice: Iron) -> None:
    """Webhooks page, `POST /webhooks/inbound-email`: "Per-installation token — for example, the Instantly inbound
    webhook authenticates with the installation's token" (the org comes from the token)."""
    installation = seam(http, "inbound-email")
    body = {
        "from": "tom@example.com",
        "subject": "Re: Offer on 12 Oak Lane",
        "text": "Any news?",
        "message_id": "<n1@x.example>",
    }
    landed = http.post(BASE + "/webhooks/inbound-email", params=installation["query"], json=body)
    assert landed.status_code == 200, landed.text
    receipt = landed.json()
    assert (receipt["status"], receipt["conversation_id"], receipt["contact_id"]) == (
        "received",
        CRM_EMAIL_THREAD,
        CRM_TOM,
    )
    activity = next(m for m in alice.messages(CRM_EMAIL_THREAD) if m["id"] == receipt["activity_id"])
    assert (activity["type"], activity["direction"], activity["from"]) == ("email", "inbound", "tom@example.com")
    assert (activity["subject"], activity["body"], activity["provider_message_id"]) == (
        "Re: Offer on 12 Oak Lane",
        "Any news?",
        "<n1@x.example>",
    )
    again = http.post(BASE + "/webhooks/inbound-email", params=installation["query"], json=body)
    assert again.json() == {**receipt, "status": "duplicate"}
    refused(
        http.post(BASE + "/webhooks/inbound-email", params={"token": "inst_nope"}, json=body),
        401,
        {"detail": "Invalid webhook token"},
    )


def test_inbound_email_with_the_shared_secret_and_the_org_in_the_body(http: httpx.Client) -> None:
    """Webhooks page: "Shared secret (X-Iron-CRM-Secret) ... The org is passed explicitly in the body"; an unknown
    sender becomes a contact with a thread of Globex."""
    secret = seam(http, "webhooks", CRM_GLOBEX)
    body = {
        **secret["body"],
        "from": "newlead@example.org",
        "text": "Is the loft free?",
        "message_id": "<n2@x.example>",
    }
    landed = http.post(BASE + "/webhooks/inbound-email", headers={"X-Iron-CRM-Secret": secret["token"]}, json=body)
    assert landed.status_code == 200, landed.text
    assert (landed.json()["status"], landed.json()["contact_created"]) == ("received", True)
    thread = staff(http, CAROL, CRM_GLOBEX).ok("GET", f"/conversations/{landed.json()['conversation_id']}")
    assert (thread["org_id"], thread["contact"]["email"], thread["channel"]) == (
        CRM_GLOBEX,
        "newlead@example.org",
        "email",
    )


def test_inbound_email_never_500s_failures_park_in_a_dead_letter_table(http: httpx.Client) -> None:
    """Webhooks page: "Token-authed; never 500s — failures park in a dead-letter table"."""
    installation = seam(http, "inbound-email")
    missing = http.post(
        BASE + "/webhooks/inbound-email",
        params=installation["query"],
        json={"from": "tom@example.com", "message_id": "<n3@x>"},
    )
    assert missing.status_code == 200, missing.text
    assert {k: missing.json()[k] for k in ("status", "error")} == {
        "status": "dead_lettered",
        "error": "text: Field required",
    }
    garbage = http.post(
        BASE + "/webhooks/inbound-email",
        params=installation["query"],
        content=b"\x00not json",
        headers={"Content-Type": "application/json"},
    )
    assert (garbage.status_code, garbage.json()["status"]) == (200, "dead_lettered")
    letters = http.get("/__mock/crm-inbox/dead-letters", params={"org": CRM_ACME}).json()["items"]
    assert [d["id"] for d in letters] == [missing.json()["dead_letter_id"], garbage.json()["dead_letter_id"]]
