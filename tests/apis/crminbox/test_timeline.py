"""CRM inbox: a thread and its timeline of activities, sending (dedupe, media), opening threads, inbound messages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.crminbox import (
    CRM_ALICE,
    CRM_ARCHIVED_THREAD,
    CRM_BOB,
    CRM_CALL_THREAD,
    CRM_EMAIL_THREAD,
    CRM_MARIA,
    CRM_NINA,
    CRM_THREAD,
    CrmClient,
)

START = "2026-01-15T15:00:00Z"
ORG_PHONE, ORG_EMAIL = "+15550009999", "inbox@crm.example.com"
MARIA_PHONE = "+15551230001"
PRIYA = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e03"
LUIS = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e04"
ACTIVITY_FIELDS = {
    "id",
    "conversation_id",
    "type",
    "direction",
    "body",
    "subject",
    "from",
    "to",
    "provider_message_id",
    "status",
    "media",
    "call",
    "author_id",
    "actor",
    "action",
    "suggestion_id",
    "created_at",
}


def thread(crm: CrmClient, conversation_id: str) -> dict[str, Any]:
    response = crm.get(f"/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def messages(crm: CrmClient, conversation_id: str, **params: Any) -> dict[str, Any]:
    response = crm.get(f"/conversations/{conversation_id}/messages", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def send(crm: CrmClient, conversation_id: str, status: int = 201, **body: Any) -> dict[str, Any]:
    response = crm.post(f"/conversations/{conversation_id}/messages", json=body)
    assert response.status_code == status, response.text
    return dict(response.json())


# -- reading ---------------------------------------------------------------------------------------------------------


def test_get_a_thread_has_every_field_of_the_schema(crm: CrmClient) -> None:
    assert thread(crm, CRM_THREAD) == {
        "id": CRM_THREAD,
        "org_id": "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d01",
        "contact": {"id": CRM_MARIA, "name": "Maria Lopez", "phone": MARIA_PHONE, "email": "maria@example.com"},
        "channel": "sms",
        "subject": None,
        "last_activity_at": "2026-01-15T13:00:00Z",
        "last_activity_preview": {
            "type": "sms",
            "direction": "inbound",
            "body": "Is the 3-bedroom on Elm Street still available?",
            "at": "2026-01-15T13:00:00Z",
        },  # the later draft never becomes the preview
        "unread_count": 1,
        "starred": True,
        "archived": False,
        "assigned_to": CRM_ALICE,
        "overdue": True,
        "awaiting_reply_since": "2026-01-15T13:00:00Z",
        "sla_due_at": "2026-01-15T14:00:00Z",
        "created_at": "2026-01-12T15:00:00Z",
        "updated_at": "2026-01-15T13:00:00Z",
    }


def test_messages_are_oldest_first_with_every_activity_field(crm: CrmClient) -> None:
    page = messages(crm, CRM_THREAD)
    assert page["total"] == 3 and page["limit"] == 100 and page["offset"] == 0
    outbound, inbound, draft = page["items"]
    assert all(set(item) == ACTIVITY_FIELDS for item in page["items"])
    assert all(item["conversation_id"] == CRM_THREAD for item in page["items"])
    assert [outbound["created_at"], inbound["created_at"]] == ["2026-01-12T15:00:00Z", "2026-01-15T13:00:00Z"]
    assert (outbound["type"], outbound["direction"], outbound["status"], outbound["author_id"]) == (
        "sms",
        "outbound",
        "sent",
        CRM_ALICE,
    )
    assert (outbound["from"], outbound["to"]) == (ORG_PHONE, MARIA_PHONE)
    assert (inbound["direction"], inbound["status"], inbound["provider_message_id"]) == (
        "inbound",
        "received",
        "SM0001",
    )
    assert (inbound["from"], inbound["to"], inbound["author_id"]) == (MARIA_PHONE, ORG_PHONE, None)
    assert (draft["type"], draft["direction"], draft["status"], draft["author_id"]) == (
        "suggestion",
        "outbound",
        "pending",
        None,
    )
    assert draft["body"].startswith("Hi Maria, yes")
    # Iron's operator model: who did it
    assert [outbound["actor"], inbound["actor"], draft["actor"]] == [f"user:{CRM_ALICE}", "system", "agent:setter"]
    assert [outbound["action"], inbound["action"], draft["action"]] == [None, None, None]


def test_every_seeded_timeline_is_oldest_first(crm: CrmClient) -> None:
    for archived in ("false", "true"):
        for conversation in crm.get("/conversations", params={"limit": 100, "archived": archived}).json()["items"]:
            times = [a["created_at"] for a in messages(crm, conversation["id"])["items"]]
            assert times == sorted(times), conversation["id"]


def test_a_call_renders_inline_with_its_ai_summary(crm: CrmClient) -> None:
    [call] = messages(crm, CRM_CALL_THREAD)["items"]
    assert (call["type"], call["direction"], call["status"], call["body"]) == ("call", "inbound", "received", None)
    assert call["provider_message_id"] == "CA0001"
    assert call["created_at"] == "2026-01-15T14:30:00Z"
    assert call["call"] == {
        "duration_seconds": 0,
        "recording_url": None,
        "outcome": "voicemail",
        "summary": "Priya left a voicemail asking to reschedule Thursday's showing to Friday afternoon.",
    }
    assert thread(crm, CRM_CALL_THREAD)["channel"] == "call"


def test_email_activities_carry_their_subject_and_addresses(crm: CrmClient) -> None:
    first, reply = messages(crm, CRM_EMAIL_THREAD)["items"]
    assert (first["type"], first["direction"], first["subject"]) == ("email", "inbound", "Offer on 12 Oak Lane")
    assert (first["from"], first["to"], first["provider_message_id"]) == (
        "tom@example.com",
        ORG_EMAIL,
        "<msg-1@example.com>",
    )
    assert (reply["direction"], reply["subject"], reply["author_id"]) == (
        "outbound",
        "Re: Offer on 12 Oak Lane",
        CRM_BOB,
    )
    assert (reply["from"], reply["to"]) == (ORG_EMAIL, "tom@example.com")
    conversation = thread(crm, CRM_EMAIL_THREAD)
    assert conversation["channel"] == "email"
    assert conversation["awaiting_reply_since"] is None and conversation["overdue"] is False


def test_a_note_is_internal_and_logged(crm: CrmClient) -> None:
    inbound, note = messages(crm, CRM_ARCHIVED_THREAD)["items"]
    assert inbound["direction"] == "inbound"
    assert (note["type"], note["direction"], note["status"]) == ("note", "internal", "logged")
    assert (note["body"], note["author_id"], note["provider_message_id"]) == (
        "Closed: bought elsewhere.",
        CRM_ALICE,
        None,
    )


def test_from_and_to_are_null_exactly_for_notes_and_suggestions(crm: CrmClient) -> None:
    """Activity.from / .to: 'The sender's / recipient's phone number or email address; null for notes and
    suggestions.'"""
    wrong = []
    for conversation_id in (CRM_THREAD, CRM_EMAIL_THREAD, CRM_CALL_THREAD, CRM_ARCHIVED_THREAD):
        for item in messages(crm, conversation_id)["items"]:
            blank = item["type"] in ("note", "suggestion")
            for field in ("from", "to"):
                if (item[field] is None) != blank:
                    wrong.append((item["type"], item["direction"], field, item[field]))
    assert wrong == []


def test_messages_page_with_limit_offset_and_total(crm: CrmClient) -> None:
    everything = messages(crm, CRM_THREAD)["items"]
    first = messages(crm, CRM_THREAD, limit=2)
    rest = messages(crm, CRM_THREAD, limit=2, offset=2)
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (3, 2, 0, 2)
    assert (rest["total"], rest["limit"], rest["offset"], len(rest["items"])) == (3, 2, 2, 1)
    assert first["items"] + rest["items"] == everything
    past = messages(crm, CRM_THREAD, offset=10)
    assert past["items"] == [] and past["total"] == 3


def test_reading_messages_does_not_mark_the_thread_read(crm: CrmClient) -> None:
    messages(crm, CRM_THREAD)
    assert thread(crm, CRM_THREAD)["unread_count"] == 1


# -- sending ---------------------------------------------------------------------------------------------------------


def test_send_sms_is_recorded_last_and_answers_the_thread(crm: CrmClient) -> None:
    sent = send(crm, CRM_THREAD, channel="sms", body="Yes! Want to see it Saturday?")
    assert set(sent) == ACTIVITY_FIELDS
    assert {k: v for k, v in sent.items() if k != "id"} == {
        "conversation_id": CRM_THREAD,
        "type": "sms",
        "direction": "outbound",
        "body": "Yes! Want to see it Saturday?",
        "subject": None,
        "from": ORG_PHONE,
        "to": MARIA_PHONE,
        "provider_message_id": None,
        "status": "sent",
        "media": [],
        "call": None,
        "author_id": CRM_ALICE,
        "actor": f"user:{CRM_ALICE}",
        "action": None,
        "suggestion_id": None,
        "created_at": START,
    }
    page = messages(crm, CRM_THREAD)
    assert page["total"] == 4
    assert page["items"][-1] == sent
    assert page["items"][2]["status"] == "superseded"  # the pending draft, replaced by what a human wrote
    conversation = thread(crm, CRM_THREAD)
    assert conversation["last_activity_preview"] == {
        "type": "sms",
        "direction": "outbound",
        "body": "Yes! Want to see it Saturday?",
        "at": START,
    }
    assert conversation["last_activity_at"] == START and conversation["updated_at"] == START
    assert conversation["unread_count"] == 0
    assert (conversation["overdue"], conversation["awaiting_reply_since"], conversation["sla_due_at"]) == (
        False,
        None,
        None,
    )


def test_send_email_with_subject(crm: CrmClient) -> None:
    sent = send(crm, CRM_EMAIL_THREAD, channel="email", subject="Re: Offer on 12 Oak Lane", body="The seller accepted.")
    assert (sent["type"], sent["subject"], sent["from"], sent["to"]) == (
        "email",
        "Re: Offer on 12 Oak Lane",
        ORG_EMAIL,
        "tom@example.com",
    )
    assert messages(crm, CRM_EMAIL_THREAD)["items"][-1]["id"] == sent["id"]


def test_the_thread_subject_is_its_latest_emails_subject(crm: CrmClient) -> None:
    send(crm, CRM_EMAIL_THREAD, channel="email", subject="Counter-offer on 12 Oak Lane", body="They want $430k.")
    assert thread(crm, CRM_EMAIL_THREAD)["subject"] == "Counter-offer on 12 Oak Lane"


def test_an_email_without_subject_is_422(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.post(f"/conversations/{CRM_EMAIL_THREAD}/messages", json={"channel": "email", "body": "Hello"})
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert (item["type"], item["loc"], item["msg"]) == ("missing", ["body", "subject"], "Field required")
    assert crm.state() == before


@pytest.mark.parametrize(
    ("conversation_id", "body", "missing"),
    [
        (CRM_EMAIL_THREAD, {"channel": "sms", "body": "Hi Tom"}, "phone number"),  # Tom has no phone
        (CRM_CALL_THREAD, {"channel": "email", "subject": "Friday", "body": "Hi Priya"}, "email address"),  # no email
    ],
)
def test_a_channel_the_contact_cannot_receive_is_422(
    crm: CrmClient, conversation_id: str, body: dict[str, Any], missing: str
) -> None:
    before = crm.state()
    response = crm.post(f"/conversations/{conversation_id}/messages", json=body)
    assert response.status_code == 422, response.text
    [item] = response.json()["detail"]
    assert (item["type"], item["loc"]) == ("value_error", ["body", "channel"])
    assert item["msg"] == f"Value error, the contact has no {missing}"
    assert crm.state() == before


def test_a_repeated_provider_message_id_answers_the_same_activity(crm: CrmClient) -> None:
    first = send(crm, CRM_THREAD, channel="sms", body="See you at 11.", provider_message_id="SMout-42")
    assert first["provider_message_id"] == "SMout-42"
    total = messages(crm, CRM_THREAD)["total"]
    again = send(crm, CRM_THREAD, status=200, channel="sms", body="A different text", provider_message_id="SMout-42")
    assert again == first  # the existing activity, as it is
    assert messages(crm, CRM_THREAD)["total"] == total


def test_a_provider_message_id_already_received_sends_nothing(crm: CrmClient) -> None:
    before = crm.state()
    existing = send(crm, CRM_THREAD, status=200, channel="sms", body="Hi", provider_message_id="SM0001")
    assert (existing["direction"], existing["body"]) == ("inbound", "Is the 3-bedroom on Elm Street still available?")
    assert crm.state() == before


# -- media -----------------------------------------------------------------------------------------------------------


def upload(
    crm: CrmClient, name: str = "plan.pdf", data: bytes = b"%PDF-1.4 the plan", content_type: str = "application/pdf"
) -> dict[str, Any]:
    response = crm.post("/conversations/media", files={"file": (name, data, content_type)})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_upload_media_answers_its_description(crm: CrmClient) -> None:
    data = b"%PDF-1.4\n" + bytes(range(256)) * 4
    media = upload(crm, data=data)
    assert set(media) == {"id", "filename", "content_type", "size", "created_at"}
    assert (media["filename"], media["content_type"], media["size"], media["created_at"]) == (
        "plan.pdf",
        "application/pdf",
        len(data),
        START,
    )


def test_a_sent_message_carries_its_media(crm: CrmClient) -> None:
    media = upload(crm)
    sent = send(crm, CRM_THREAD, channel="sms", body="The plan", media_ids=[media["id"]])
    ref = {"id": media["id"], "filename": "plan.pdf", "content_type": "application/pdf", "size": media["size"]}
    assert sent["media"] == [ref]
    assert messages(crm, CRM_THREAD)["items"][-1]["media"] == [ref]
    again = send(crm, CRM_EMAIL_THREAD, channel="email", subject="Plan", body="Plan", media_ids=[media["id"]])
    assert again["media"] == [ref]  # an upload is not tied to a thread


def test_an_unknown_media_id_is_404_and_nothing_is_sent(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.post(
        f"/conversations/{CRM_THREAD}/messages",
        json={"channel": "sms", "body": "x", "media_ids": ["c7d6e5f4-3b2a-4190-8f7e-6d5c4b3a2fff"]},
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Media not found"}
    assert crm.state() == before


def test_media_up_to_10_mib_is_accepted_and_above_is_413(crm: CrmClient) -> None:
    limit = 10 * 1024 * 1024
    assert upload(crm, "big.bin", b"\0" * limit, "application/octet-stream")["size"] == limit
    before = crm.state()
    response = crm.post("/conversations/media", files={"file": ("huge.bin", b"\0" * (limit + 1), "video/mp4")})
    assert response.status_code == 413
    assert response.json() == {"detail": "Request Entity Too Large"}
    assert crm.state() == before


def test_upload_without_a_file_part_or_not_multipart(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.post("/conversations/media", files={"other": ("a.txt", b"hi", "text/plain")})
    assert response.status_code == 422
    assert any(i["type"] == "missing" and i["loc"] == ["body", "file"] for i in response.json()["detail"])
    response = crm.post("/conversations/media", json={"file": "aGVsbG8="})
    assert response.status_code == 415
    assert response.json()["detail"].startswith("Unsupported Media Type")
    assert crm.state() == before


# -- opening a thread ------------------------------------------------------------------------------------------------


def test_open_a_thread_for_a_contact_without_one(crm: CrmClient) -> None:
    response = crm.post(f"/contacts/{CRM_NINA}/conversations", json={"channel": "email", "subject": "Your visit"})
    assert response.status_code == 201, response.text
    opened = response.json()
    assert opened["contact"] == {
        "id": CRM_NINA,
        "name": "Nina Park",
        "phone": "+15551230005",
        "email": "nina@example.com",
    }
    assert {
        k: opened[k]
        for k in (
            "channel",
            "subject",
            "last_activity_at",
            "last_activity_preview",
            "unread_count",
            "starred",
            "archived",
            "assigned_to",
            "overdue",
            "awaiting_reply_since",
            "sla_due_at",
            "created_at",
            "updated_at",
        )
    } == {
        "channel": "email",
        "subject": "Your visit",
        "last_activity_at": None,
        "last_activity_preview": None,
        "unread_count": 0,
        "starred": False,
        "archived": False,
        "assigned_to": None,
        "overdue": False,
        "awaiting_reply_since": None,
        "sla_due_at": None,
        "created_at": START,
        "updated_at": START,
    }
    assert thread(crm, opened["id"]) == opened
    assert messages(crm, opened["id"]) == {"items": [], "total": 0, "limit": 100, "offset": 0}
    again = crm.post(f"/contacts/{CRM_NINA}/conversations", json={"channel": "sms"})
    assert again.status_code == 200
    assert again.json() == opened  # the same thread, unchanged; the body is ignored


def test_open_without_a_body_defaults_to_sms(crm: CrmClient) -> None:
    response = crm.post(f"/contacts/{CRM_NINA}/conversations")
    assert response.status_code == 201, response.text
    assert (response.json()["channel"], response.json()["subject"]) == ("sms", None)


def test_opening_for_a_contact_with_a_thread_answers_it(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.post(f"/contacts/{CRM_MARIA}/conversations", json={"channel": "email", "subject": "New"})
    assert response.status_code == 200
    assert response.json() == thread(crm, CRM_THREAD)
    archived = crm.post(f"/contacts/{LUIS}/conversations")
    assert archived.status_code == 200
    assert (archived.json()["id"], archived.json()["archived"]) == (CRM_ARCHIVED_THREAD, True)
    assert crm.state() == before


def test_opening_for_an_unknown_contact_is_404(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.post("/contacts/3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0eff/conversations", json={"channel": "sms"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Contact not found"}
    assert crm.state() == before


# -- inbound (control API) -------------------------------------------------------------------------------------------


def test_an_inbound_message_lands_on_the_timeline_and_is_unread(crm: CrmClient) -> None:
    before = thread(crm, CRM_THREAD)
    total = messages(crm, CRM_THREAD)["total"]
    result = crm.inbound("Can I see it Friday?", contact=CRM_MARIA, channel="sms", provider_message_id="SM0002")
    assert result["conversation_id"] == CRM_THREAD and result["created"] is True
    activity = result["activity"]
    assert (activity["type"], activity["direction"], activity["status"], activity["body"]) == (
        "sms",
        "inbound",
        "received",
        "Can I see it Friday?",
    )
    assert (activity["from"], activity["to"], activity["provider_message_id"]) == (MARIA_PHONE, ORG_PHONE, "SM0002")
    page = messages(crm, CRM_THREAD)
    assert activity in page["items"]
    assert page["total"] == total + 2  # the message and the setter's new draft
    after = thread(crm, CRM_THREAD)
    assert after["unread_count"] == before["unread_count"] + 1
    assert after["last_activity_preview"]["body"] == "Can I see it Friday?"
    assert after["awaiting_reply_since"] == before["awaiting_reply_since"]  # the oldest unanswered one still counts


def test_the_same_provider_message_id_inbound_twice_adds_one_activity(crm: CrmClient) -> None:
    first = crm.inbound("Friday works", contact=PRIYA, channel="sms", provider_message_id="SM7777")
    total, unread = messages(crm, CRM_CALL_THREAD)["total"], thread(crm, CRM_CALL_THREAD)["unread_count"]
    again = {
        "org": crm.org,
        "contact": PRIYA,
        "channel": "sms",
        "body": "Friday works",
        "provider_message_id": "SM7777",
    }
    response = crm.http.post("/__mock/crm-inbox/inbound", json=again)
    assert response.status_code == 200, response.text
    assert response.json()["created"] is False
    assert response.json()["activity"]["id"] == first["activity"]["id"]
    assert messages(crm, CRM_CALL_THREAD)["total"] == total
    assert thread(crm, CRM_CALL_THREAD)["unread_count"] == unread


def test_inbound_from_a_contact_without_a_thread_opens_one(crm: CrmClient) -> None:
    result = crm.inbound("Hi, is the condo available?", contact=CRM_NINA, channel="sms")
    conversation = thread(crm, result["conversation_id"])
    assert conversation["contact"]["id"] == CRM_NINA
    assert (conversation["unread_count"], conversation["channel"]) == (1, "sms")
    assert conversation["awaiting_reply_since"] == START
    listed = crm.get("/conversations").json()["items"]
    assert listed[0]["id"] == result["conversation_id"]  # newest activity first
