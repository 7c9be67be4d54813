"""Conversations (get, patch, remove) and their messages: each channel's own message service, the outgoing
services, WhatsApp's 24h window, and how a conversation's summary fields follow its messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.support.omniinbox import (
    OMNI_ANA,
    OMNI_BEN,
    OMNI_INSTAGRAM,
    OMNI_PLAYGROUND,
    OMNI_SMS,
    OMNI_WA_CLOSED,
    OMNI_WA_OPEN,
    OmniClient,
)

AI_ASSISTANT = "665f6e000000000000000001"
WINDOW_CLOSED = "The 24h window is closed; send a template"


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def conversation(omni: OmniClient, conversation_id: str) -> dict[str, Any]:
    response = omni.get(f"/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def messages(omni: OmniClient, channel: str, conversation_id: str | None = None) -> list[dict[str, Any]]:
    query = f"conversationId={conversation_id}&" if conversation_id else ""
    found: list[dict[str, Any]] = []
    while True:
        body = omni.get(f"/conversation-messages-{channel}?{query}$limit=50&$skip={len(found)}").json()
        found += body["data"]
        if not body["data"] or len(found) >= body["total"]:
            return found


def conversation_ids(omni: OmniClient, query: str) -> list[str]:
    response = omni.get(f"/conversations?{query}&$limit=50")
    assert response.status_code == 200, response.text
    return [c["_id"] for c in response.json()["data"]]


def error(response: Any, status: int, name: str, class_name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["name"], body["code"], body["className"]) == (name, status, class_name), body
    return dict(body)


# -- conversations ---------------------------------------------------------------------------------------------


def test_get_a_conversation(omni: OmniClient) -> None:
    found = conversation(omni, OMNI_WA_OPEN)
    assert found["_id"] == OMNI_WA_OPEN and found["channel"] == "whatsapp" and found["status"] == "open"
    assert found["tags"] == ["vip"] and found["contact"]["name"] == "Maya Singh"
    assert found["lastMessagePreview"] == "Any news?"
    body = error(omni.get("/conversations/665f1c2e9b1d4a0012a3b4c5"), 404, "NotFound", "not-found")
    assert body["message"] == "No record found for id '665f1c2e9b1d4a0012a3b4c5'"


def test_patch_a_conversation_and_find_it_by_the_new_values(omni: OmniClient) -> None:
    before = conversation(omni, OMNI_INSTAGRAM)
    assert before["assigneeId"] is None and before["status"] == "open"
    change = {
        "status": "pending",
        "assigneeId": OMNI_BEN,
        "pipelineStage": "negotiation",
        "aiAssistantId": AI_ASSISTANT,
        "tags": ["hot", "canada"],
    }
    response = omni.patch(f"/conversations/{OMNI_INSTAGRAM}", json=change)
    assert response.status_code == 200, response.text
    patched = response.json()
    assert {k: patched[k] for k in change} == change
    assert patched["channel"] == "instagram" and patched["contact"] == before["contact"]
    assert when(patched["updatedAt"]) >= when(before["updatedAt"])
    assert conversation(omni, OMNI_INSTAGRAM) == patched
    assert OMNI_INSTAGRAM in conversation_ids(omni, f"assigneeId={OMNI_BEN}")
    assert conversation_ids(omni, "pipelineStage=negotiation") == [OMNI_INSTAGRAM]
    assert OMNI_INSTAGRAM in conversation_ids(omni, f"aiAssistantId={AI_ASSISTANT}")
    assert conversation_ids(omni, "tags=canada") == [OMNI_INSTAGRAM]
    assert OMNI_INSTAGRAM in conversation_ids(omni, "status=pending")
    assert OMNI_INSTAGRAM not in conversation_ids(omni, "status=open")
    # unassign and clear the assistant
    cleared = omni.patch(f"/conversations/{OMNI_INSTAGRAM}", json={"assigneeId": None, "aiAssistantId": None}).json()
    assert cleared["assigneeId"] is None and cleared["aiAssistantId"] is None
    assert cleared["pipelineStage"] == "negotiation", "only the given fields change"


def test_an_assignee_outside_the_workspace_is_refused(omni: OmniClient) -> None:
    before = omni.state()
    original = conversation(omni, OMNI_WA_OPEN)
    for outsider in ("665f5d000000000000000003", "665f5d0000000000000000ff"):  # Gina (Globex), nobody
        response = omni.patch(f"/conversations/{OMNI_WA_OPEN}", json={"assigneeId": outsider, "status": "closed"})
        body = error(response, 400, "BadRequest", "bad-request")
        assert outsider in body["message"]
    assert conversation(omni, OMNI_WA_OPEN) == original
    assert omni.state() == before


def test_remove_a_conversation_removes_its_messages(omni: OmniClient) -> None:
    thread = messages(omni, "whatsapp", OMNI_WA_OPEN)
    assert len(thread) == 3
    original = conversation(omni, OMNI_WA_OPEN)
    response = omni.delete(f"/conversations/{OMNI_WA_OPEN}")
    assert response.status_code == 200, response.text
    assert response.json() == original
    error(omni.get(f"/conversations/{OMNI_WA_OPEN}"), 404, "NotFound", "not-found")
    for message in thread:
        error(omni.get(f"/conversation-messages-whatsapp/{message['_id']}"), 404, "NotFound", "not-found")
    assert messages(omni, "whatsapp", OMNI_WA_OPEN) == []
    assert len(messages(omni, "whatsapp", OMNI_WA_CLOSED)) == 1, "other threads stay"
    error(omni.delete(f"/conversations/{OMNI_WA_OPEN}"), 404, "NotFound", "not-found")


# -- message services ------------------------------------------------------------------------------------------


def test_a_message_lives_only_in_its_channels_service(omni: OmniClient) -> None:
    message = messages(omni, "whatsapp", OMNI_WA_OPEN)[0]
    found = omni.get(f"/conversation-messages-whatsapp/{message['_id']}")
    assert found.status_code == 200 and found.json() == message
    assert found.json()["channel"] == "whatsapp" and found.json()["conversationId"] == OMNI_WA_OPEN
    for other in ("instagram", "sms", "playground"):
        body = error(omni.get(f"/conversation-messages-{other}/{message['_id']}"), 404, "NotFound", "not-found")
        assert body["message"] == f"No record found for id '{message['_id']}'"
    assert all(m["channel"] == "instagram" for m in messages(omni, "instagram"))
    assert messages(omni, "instagram", OMNI_WA_OPEN) == []


def test_find_messages_by_conversation(omni: OmniClient) -> None:
    every = messages(omni, "whatsapp")
    for conversation_id in (OMNI_WA_OPEN, OMNI_WA_CLOSED):
        expected = [m["_id"] for m in every if m["conversationId"] == conversation_id]
        body = omni.get(f"/conversation-messages-whatsapp?conversationId={conversation_id}").json()
        assert [m["_id"] for m in body["data"]] == expected and body["total"] == len(expected)
    texts = [m["text"] for m in messages(omni, "whatsapp", OMNI_WA_OPEN)]
    assert texts == ["Hi, my order hasn't arrived yet.", "Sorry to hear that! Let me check.", "Any news?"]
    inbound = omni.get(f"/conversation-messages-whatsapp?conversationId={OMNI_WA_OPEN}&direction=inbound").json()
    assert [m["text"] for m in inbound["data"]] == ["Hi, my order hasn't arrived yet.", "Any news?"]


# -- outgoing --------------------------------------------------------------------------------------------------


def test_whatsapp_text_inside_the_window(omni: OmniClient) -> None:
    response = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversationId": OMNI_WA_OPEN, "text": "It ships today."},
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["direction"] == "outbound" and sent["type"] == "text" and sent["text"] == "It ships today."
    assert sent["sender"] == {"type": "user", "id": OMNI_ANA}
    assert sent["channel"] == "whatsapp" and sent["conversationId"] == OMNI_WA_OPEN
    assert sent["template"] is None and sent["attachments"] == []
    assert messages(omni, "whatsapp", OMNI_WA_OPEN)[-1] == sent
    assert omni.get(f"/conversation-messages-whatsapp/{sent['_id']}").json() == sent


def test_whatsapp_text_outside_the_window_is_unprocessable(omni: OmniClient) -> None:
    before = omni.state()
    response = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversationId": OMNI_WA_CLOSED, "text": "Here is the quote"},
    )
    body = error(response, 422, "Unprocessable", "unprocessable")
    assert body["message"] == WINDOW_CLOSED
    assert omni.state() == before
    assert len(messages(omni, "whatsapp", OMNI_WA_CLOSED)) == 1


def test_whatsapp_template_outside_the_window(omni: OmniClient) -> None:
    template = {"name": "quote_ready", "language": "en", "variables": ["Leo", "Q-42"]}
    response = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversationId": OMNI_WA_CLOSED, "template": template},
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["type"] == "template" and sent["template"] == template and sent["text"] is None
    assert sent["direction"] == "outbound" and sent["sender"] == {"type": "user", "id": OMNI_ANA}
    assert [m["_id"] for m in messages(omni, "whatsapp", OMNI_WA_CLOSED)][-1] == sent["_id"]


def test_an_inbound_message_reopens_the_window(omni: OmniClient) -> None:
    assert conversation(omni, OMNI_WA_CLOSED)["windowExpiresAt"] is not None
    reply = omni.inbound(OMNI_WA_CLOSED, "hi")
    now = when(reply["message"]["createdAt"])
    after = conversation(omni, OMNI_WA_CLOSED)
    assert when(after["windowExpiresAt"]) == now + timedelta(hours=24)
    response = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversationId": OMNI_WA_CLOSED, "text": "Here is the quote"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["type"] == "text"
    assert [m["text"] for m in messages(omni, "whatsapp", OMNI_WA_CLOSED)][-2:] == ["hi", "Here is the quote"]


def test_the_window_closes_again_after_24h(omni: OmniClient) -> None:
    omni.inbound(OMNI_WA_CLOSED, "hi")
    omni.advance("25h")
    omni = omni.as_(OMNI_ANA)  # the first token expired with the day
    response = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversationId": OMNI_WA_CLOSED, "text": "Too late"},
    )
    assert error(response, 422, "Unprocessable", "unprocessable")["message"] == WINDOW_CLOSED


def test_outgoing_on_the_wrong_channel_is_bad_request(omni: OmniClient) -> None:
    before = omni.state()
    response = omni.post(
        "/conversation-messages-transform-outgoing-instagram", json={"conversationId": OMNI_WA_OPEN, "text": "Hello"}
    )
    body = error(response, 400, "BadRequest", "bad-request")
    assert body["message"] == f"Conversation {OMNI_WA_OPEN} is on whatsapp, not instagram"
    response = omni.post("/conversation-messages-sms", json={"conversationId": OMNI_INSTAGRAM, "text": "Hello"})
    assert error(response, 400, "BadRequest", "bad-request")["message"] == (
        f"Conversation {OMNI_INSTAGRAM} is on instagram, not sms"
    )
    response = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversationId": "665f1c2e9b1d4a0012a3b4c5", "text": "Hello"},
    )
    error(response, 404, "NotFound", "not-found")
    assert omni.state() == before


def test_sms_create(omni: OmniClient) -> None:
    response = omni.post("/conversation-messages-sms", json={"conversationId": OMNI_SMS, "text": "Glad to help"})
    assert response.status_code == 201, response.text
    sent = response.json()
    assert (sent["channel"], sent["direction"], sent["type"], sent["text"]) == (
        "sms",
        "outbound",
        "text",
        "Glad to help",
    )
    assert sent["sender"] == {"type": "user", "id": OMNI_ANA}
    assert messages(omni, "sms", OMNI_SMS)[-1] == sent


def test_sms_refuses_a_template(omni: OmniClient) -> None:
    before = omni.state()
    response = omni.post(
        "/conversation-messages-sms", json={"conversationId": OMNI_SMS, "template": {"name": "promo", "language": "en"}}
    )
    body = error(response, 400, "BadRequest", "bad-request")
    assert omni.state() == before
    assert body["message"] == "A template cannot be sent on sms"


def test_playground_create_is_delivered_at_once(omni: OmniClient) -> None:
    response = omni.post(
        "/conversation-messages-playground", json={"conversationId": OMNI_PLAYGROUND, "text": "Testing 1 2 3"}
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["channel"] == "playground" and sent["type"] == "text" and sent["direction"] == "outbound"
    assert messages(omni, "playground", OMNI_PLAYGROUND) == [sent]
    assert sent["status"] == "delivered"


# -- the conversation follows its messages ---------------------------------------------------------------------


def test_summary_fields_follow_inbound_and_outbound(omni: OmniClient) -> None:
    start = conversation(omni, OMNI_INSTAGRAM)
    first = omni.inbound(OMNI_INSTAGRAM, "Also, do you ship to Mexico?")["message"]
    omni.inbound(OMNI_INSTAGRAM, "Hello?")
    after_inbound = conversation(omni, OMNI_INSTAGRAM)
    assert after_inbound["unreadCount"] == start["unreadCount"] + 2
    assert after_inbound["lastMessagePreview"] == "Hello?"
    assert after_inbound["lastMessageAt"] == first["createdAt"]
    assert first["direction"] == "inbound" and first["status"] == "received"
    assert first["sender"] == {"type": "contact", "id": start["contact"]["_id"]}
    omni.advance("5m")
    sent = omni.post(
        "/conversation-messages-transform-outgoing-instagram",
        json={"conversationId": OMNI_INSTAGRAM, "text": "Yes, we do!"},
    ).json()
    after_outbound = conversation(omni, OMNI_INSTAGRAM)
    assert after_outbound["unreadCount"] == 0
    assert after_outbound["lastMessagePreview"] == "Yes, we do!"
    assert after_outbound["lastMessageAt"] == sent["createdAt"]
    assert when(sent["createdAt"]) == when(first["createdAt"]) + timedelta(minutes=5)
    assert after_outbound["windowExpiresAt"] is None, "instagram has no window"


def test_an_inbound_message_reopens_a_closed_conversation(omni: OmniClient) -> None:
    assert conversation(omni, OMNI_SMS)["status"] == "closed"
    omni.inbound(OMNI_SMS, "One more question")
    reopened = conversation(omni, OMNI_SMS)
    assert reopened["status"] == "open" and reopened["unreadCount"] >= 1
    assert OMNI_SMS in conversation_ids(omni, "status=open")
    assert OMNI_SMS not in conversation_ids(omni, "status=closed")
