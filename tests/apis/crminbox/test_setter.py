"""The AI setter over HTTP: the seeded pending draft, one-click send and dismiss with their 404/409 rules, the
training pair a human send leaves behind (edited or accepted), one pending draft per thread, the setter's mode per
organisation, and the control routes (/__mock/crm-inbox/inbound, /training-pairs, /setter)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_CAROL,
    CRM_GLOBEX,
    CRM_GLOBEX_THREAD,
    CRM_MARIA,
    CRM_NINA,
    CRM_THREAD,
    CrmClient,
)

SEED_DRAFT = "Hi Maria, yes — the Elm Street home is still available. Would you like a viewing this week?"
MARIA_PHONE = "+15551230001"
SAM = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0f01"  # Globex's contact (fixtures/crm-inbox.yaml)
START = "2026-01-15T15:00:00Z"  # the frozen mock clock


# -- helpers -------------------------------------------------------------------------------------------------------


def messages(crm: CrmClient, conversation_id: str = CRM_THREAD) -> list[dict[str, Any]]:
    response = crm.get(f"/conversations/{conversation_id}/messages", params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def drafts(crm: CrmClient, conversation_id: str = CRM_THREAD) -> list[dict[str, Any]]:
    return [m for m in messages(crm, conversation_id) if m["type"] == "suggestion"]


def pending(crm: CrmClient, conversation_id: str = CRM_THREAD) -> dict[str, Any]:
    found = [d for d in drafts(crm, conversation_id) if d["status"] == "pending"]
    assert len(found) == 1, found
    return found[0]


def conversation(crm: CrmClient, conversation_id: str = CRM_THREAD) -> dict[str, Any]:
    response = crm.get(f"/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def suggestion(crm: CrmClient, action: str, activity_id: str, conversation_id: str = CRM_THREAD) -> httpx.Response:
    return crm.post(f"/conversations/{conversation_id}/suggestions/{activity_id}/{action}")


def inbound(crm: CrmClient, contact: str, body: str, org: str = CRM_ACME) -> dict[str, Any]:
    response = crm.http.post(
        "/__mock/crm-inbox/inbound", json={"org": org, "contact": contact, "channel": "sms", "body": body}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def pairs(crm: CrmClient, org: str = CRM_ACME) -> list[dict[str, Any]]:
    response = crm.http.get("/__mock/crm-inbox/training-pairs", params={"org": org})
    assert response.status_code == 200, response.text
    assert response.json()["org"] == org
    return list(response.json()["items"])


def send_sms(crm: CrmClient, text: str, conversation_id: str = CRM_THREAD) -> dict[str, Any]:
    response = crm.post(f"/conversations/{conversation_id}/messages", json={"channel": "sms", "body": text})
    assert response.status_code == 201, response.text
    return dict(response.json())


def assert_detail(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"detail": detail}


# -- the seeded draft and one-click send -------------------------------------------------------------------------


def test_the_seeded_thread_has_one_pending_draft(crm: CrmClient) -> None:
    draft = pending(crm)
    assert len(drafts(crm)) == 1
    assert {
        k: draft[k] for k in ("conversation_id", "type", "direction", "body", "status", "author_id", "suggestion_id")
    } == {
        "conversation_id": CRM_THREAD,
        "type": "suggestion",
        "direction": "outbound",
        "body": SEED_DRAFT,
        "status": "pending",
        "author_id": None,
        "suggestion_id": None,
    }
    # drafts never count as the thread's last activity
    preview = conversation(crm)["last_activity_preview"]
    assert preview["type"] == "sms" and preview["direction"] == "inbound"


def test_the_seeded_draft_has_no_sender_recipient_or_provider_id(crm: CrmClient) -> None:
    # spec, Activity: `from`/`to` are "null for notes and suggestions"; provider_message_id null for suggestions
    draft = pending(crm)
    assert {k: draft[k] for k in ("from", "to", "provider_message_id", "call", "media")} == {
        "from": None,
        "to": None,
        "provider_message_id": None,
        "call": None,
        "media": [],
    }


def test_sending_the_draft_sends_it_as_alice(crm: CrmClient) -> None:
    draft = pending(crm)
    response = suggestion(crm, "send", draft["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"suggestion", "message"}
    assert body["suggestion"] == {**draft, "status": "sent"}
    message = body["message"]
    assert message["id"] != draft["id"] and str(uuid.UUID(message["id"])) == message["id"]
    assert {
        k: message[k]
        for k in (
            "conversation_id",
            "type",
            "direction",
            "body",
            "status",
            "author_id",
            "suggestion_id",
            "to",
            "subject",
            "created_at",
        )
    } == {
        "conversation_id": CRM_THREAD,
        "type": "sms",
        "direction": "outbound",
        "body": SEED_DRAFT,
        "status": "sent",
        "author_id": CRM_ALICE,
        "suggestion_id": draft["id"],
        "to": MARIA_PHONE,
        "subject": None,
        "created_at": START,
    }
    assert message["from"] is not None
    timeline = messages(crm)
    assert timeline[-1] == message
    assert next(m for m in timeline if m["id"] == draft["id"])["status"] == "sent"
    thread = conversation(crm)
    assert (thread["overdue"], thread["awaiting_reply_since"], thread["sla_due_at"], thread["unread_count"]) == (
        False,
        None,
        None,
        0,
    )
    assert thread["last_activity_preview"] == {"type": "sms", "direction": "outbound", "body": SEED_DRAFT, "at": START}
    assert pairs(crm) == []  # a draft sent unchanged leaves no training pair


def test_sending_a_sent_draft_again_is_a_conflict(crm: CrmClient) -> None:
    draft = pending(crm)
    assert suggestion(crm, "send", draft["id"]).status_code == 200
    before = crm.state()
    assert_detail(suggestion(crm, "send", draft["id"]), 409, "Suggestion already sent")
    assert_detail(suggestion(crm, "dismiss", draft["id"]), 409, "Suggestion already sent")
    assert crm.state() == before
    assert len([m for m in messages(crm) if m["suggestion_id"] == draft["id"]]) == 1


def test_a_dismissed_draft_cannot_be_sent(crm: CrmClient) -> None:
    created = inbound(crm, CRM_NINA, "Hi! Do you have any 2-bedroom rentals downtown?")
    draft = created["suggestion"]
    assert draft is not None and draft["status"] == "pending" and draft["type"] == "suggestion"
    thread = created["conversation_id"]
    assert draft["conversation_id"] == thread and pending(crm, thread) == draft
    response = suggestion(crm, "dismiss", draft["id"], thread)
    assert response.status_code == 200, response.text
    assert response.json() == {"suggestion": {**draft, "status": "dismissed"}}
    assert [m["direction"] for m in messages(crm, thread)] == ["inbound", "outbound"]  # nothing was sent
    assert drafts(crm, thread)[0]["status"] == "dismissed"
    before = crm.state()
    assert_detail(suggestion(crm, "send", draft["id"], thread), 409, "Suggestion already dismissed")
    assert_detail(suggestion(crm, "dismiss", draft["id"], thread), 409, "Suggestion already dismissed")
    assert crm.state() == before
    assert pairs(crm) == []


# -- not found ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["send", "dismiss"])
def test_an_unknown_activity_is_not_found(crm: CrmClient, action: str) -> None:
    before = crm.state()
    assert_detail(suggestion(crm, action, str(uuid.uuid4())), 404, "Suggestion not found")
    assert crm.state() == before
    assert pending(crm)["body"] == SEED_DRAFT


@pytest.mark.parametrize("action", ["send", "dismiss"])
def test_an_activity_that_is_not_a_suggestion_is_not_found(crm: CrmClient, action: str) -> None:
    sms = next(m for m in messages(crm) if m["type"] == "sms" and m["direction"] == "inbound")
    before = crm.state()
    assert_detail(suggestion(crm, action, sms["id"]), 404, "Suggestion not found")
    assert crm.state() == before


@pytest.mark.parametrize("action", ["send", "dismiss"])
def test_another_threads_draft_is_not_found_here(crm: CrmClient, action: str) -> None:
    other = inbound(crm, CRM_NINA, "Hello, can I book a viewing?")
    before = crm.state()
    assert_detail(suggestion(crm, action, other["suggestion"]["id"], CRM_THREAD), 404, "Suggestion not found")
    assert crm.state() == before
    assert pending(crm, other["conversation_id"])["id"] == other["suggestion"]["id"]


def test_another_organisations_thread_is_not_found(crm: CrmClient) -> None:
    draft = pending(crm)
    assert_detail(suggestion(crm, "send", draft["id"], CRM_GLOBEX_THREAD), 404, "Conversation not found")
    assert pending(crm)["id"] == draft["id"]


# -- a human answers while a draft is pending ------------------------------------------------------------------------


def test_a_human_reply_supersedes_the_draft_and_records_an_edited_pair(crm: CrmClient) -> None:
    draft = pending(crm)
    assert pairs(crm) == []
    text = "Hi Maria! Yes, it's available. Could you come by Thursday at 5pm?"
    sent = send_sms(crm, text)
    assert (sent["body"], sent["suggestion_id"], sent["author_id"]) == (text, None, CRM_ALICE)
    assert drafts(crm)[0] == {**draft, "status": "superseded"}
    recorded = pairs(crm)
    assert len(recorded) == 1
    assert {k: recorded[0][k] for k in ("draft", "sent", "label", "conversation_id", "suggestion_id")} == {
        "draft": SEED_DRAFT,
        "sent": text,
        "label": "edited",
        "conversation_id": CRM_THREAD,
        "suggestion_id": draft["id"],
    }
    assert pairs(crm, CRM_GLOBEX) == []
    assert_detail(suggestion(crm, "send", draft["id"]), 409, "Suggestion already superseded")
    send_sms(crm, "See you then!")  # no draft pending any more: no new pair
    assert pairs(crm) == recorded


def test_sending_the_drafts_exact_text_is_an_accepted_pair(crm: CrmClient) -> None:
    draft = pending(crm)
    send_sms(crm, SEED_DRAFT)
    assert drafts(crm)[0]["status"] == "superseded"
    recorded = pairs(crm)
    assert [(p["draft"], p["sent"], p["label"], p["conversation_id"], p["suggestion_id"]) for p in recorded] == [
        (SEED_DRAFT, SEED_DRAFT, "accepted", CRM_THREAD, draft["id"])
    ]


def test_a_second_inbound_supersedes_the_pending_draft(crm: CrmClient) -> None:
    first = pending(crm)
    created = inbound(crm, CRM_MARIA, "Also, is there a garage?")
    assert created["conversation_id"] == CRM_THREAD
    second = created["suggestion"]
    assert second["id"] != first["id"] and second["status"] == "pending"
    statuses = {d["id"]: d["status"] for d in drafts(crm)}
    assert statuses == {first["id"]: "superseded", second["id"]: "pending"}
    assert pending(crm) == second
    assert_detail(suggestion(crm, "send", first["id"]), 409, "Suggestion already superseded")
    assert pairs(crm) == []  # a newer draft is not a human answer
    response = suggestion(crm, "send", second["id"])
    assert response.status_code == 200, response.text
    assert response.json()["message"]["suggestion_id"] == second["id"]


# -- the setter's mode per organisation -----------------------------------------------------------------------------


def test_globex_has_the_setter_off(crm: CrmClient) -> None:
    carol = crm.as_(CRM_CAROL, CRM_GLOBEX)
    before = messages(carol, CRM_GLOBEX_THREAD)
    created = inbound(crm, SAM, "Is the loft still for rent?", org=CRM_GLOBEX)
    assert created["conversation_id"] == CRM_GLOBEX_THREAD and created["suggestion"] is None
    after = messages(carol, CRM_GLOBEX_THREAD)
    assert after == [*before, created["activity"]]
    assert not [m for m in after if m["type"] == "suggestion"]


def test_switching_globex_to_suggestive_makes_the_next_inbound_leave_a_draft(crm: CrmClient) -> None:
    carol = crm.as_(CRM_CAROL, CRM_GLOBEX)  # Globex's owner
    response = carol.put("/agents/setter/config", json={"response_mode": "suggestive"})
    assert response.status_code == 200, response.text
    assert response.json()["response_mode"] == "suggestive" and response.json()["updated_at"] == START
    assert carol.get("/agents/setter/config").json() == response.json()
    created = inbound(crm, SAM, "Can I see the loft on Saturday?", org=CRM_GLOBEX)
    draft = created["suggestion"]
    assert draft is not None and draft["status"] == "pending" and draft["conversation_id"] == CRM_GLOBEX_THREAD
    assert pending(carol, CRM_GLOBEX_THREAD) == draft
    assert inbound(crm, CRM_NINA, "Hi there")["suggestion"] is not None  # Acme unchanged: still suggestive


def test_switching_acme_off_stops_new_drafts(crm: CrmClient) -> None:
    response = crm.put("/agents/setter/config", json={"response_mode": "off"})  # Alice owns Acme
    assert response.status_code == 200 and response.json()["response_mode"] == "off"
    assert inbound(crm, CRM_NINA, "Hi there")["suggestion"] is None


@pytest.mark.parametrize("org", ["not-an-org", str(uuid.uuid4()), None])
def test_control_routes_refuse_an_unknown_org(crm: CrmClient, org: str | None) -> None:
    before = crm.state()
    calls = [
        crm.http.post("/__mock/crm-inbox/inbound", json={"org": org, "contact": CRM_NINA, "body": "Hi"}),
        crm.http.get("/__mock/crm-inbox/training-pairs", params={"org": org} if org else {}),
    ]
    for response in calls:
        assert response.status_code == 404, response.text
        assert "error" in response.json() and "org" in response.json()["error"]
    assert crm.state() == before
