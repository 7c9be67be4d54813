"""The omni-inbox's conversations and messages as AchieveApex's pages describe them (VENDOR_DOCS 1.4–1.9): every
documented filter of `GET /conversations` selecting exactly the records it names, PATCH of exactly the patchable
fields, the soft remove, each channel's message service, the outgoing sends with WhatsApp's 24h window, and the
seed staying deterministic. Expectations come from other reads or from fixtures/omni-inbox.yaml, not from totals."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_server.server import create_app
from tests.apis.omniinbox.reads import Record, conversation, find_all, ids, now_ms, refused
from tests.support.clients import in_process
from tests.support.omniinbox import (
    OMNI_ACME,
    OMNI_ADMIN,
    OMNI_AGENT,
    OMNI_CONTACT,
    OMNI_EXAMPLE_USER,
    OMNI_GLOBEX,
    OMNI_GLOBEX_THREAD,
    OMNI_INSTAGRAM,
    OMNI_MESSENGER,
    OMNI_PIPELINE,
    OMNI_PLAYGROUND,
    OMNI_SMS,
    OMNI_WA_CLOSED,
    OMNI_WA_OPEN,
    OMNI_WEBCHAT,
    OmniClient,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "omni-inbox.yaml"
OBJECT_ID = re.compile(r"[0-9a-f]{24}")
BUCKET_URL = "https://achieveapex-conversation-files.s3.amazonaws.com/"
WINDOW_CLOSED = "The 24-hour customer service window is closed: send an approved template or a note"
SALES_ASSISTANT = 55  # AI assistant of organization 456
FIXED = {  # the seed's conversation of each channel in organization 456
    "whatsapp": OMNI_WA_OPEN,
    "instagram": OMNI_INSTAGRAM,
    "messenger": OMNI_MESSENGER,
    "webchat": OMNI_WEBCHAT,
    "sms": OMNI_SMS,
    "playground": OMNI_PLAYGROUND,
}
TRANSFORM = ["whatsapp", "instagram", "messenger", "webchat"]


# -- helpers -------------------------------------------------------------------------------------------------------


def selects(omni: OmniClient, params: dict[str, Any], keep: Callable[[Record], bool]) -> list[int]:
    """The filter selects exactly the conversations `keep` picks out of the unfiltered list, and tells some apart."""
    everything = find_all(omni)
    expected = sorted(c["id"] for c in everything if keep(c))
    assert 0 < len(expected) < len(everything), f"{params} must select some conversations and not others"
    assert sorted(ids(find_all(omni, **params))) == expected, params
    return expected


def contacts_of(omni: OmniClient) -> dict[int, Record]:
    found: list[Record] = []
    while True:
        page = omni.ok("GET", "/contacts", params={"organization_id": OMNI_ACME, "$limit": 50, "$skip": len(found)})
        found += page["data"]
        if not page["data"] or len(found) >= page["total"]:
            return {c["id"]: c for c in found}


def fixture_conversations() -> dict[int, Record]:
    raw = yaml.safe_load(FIXTURES.read_text(encoding="utf-8"))
    acme = next(org for org in raw["organizations"] if int(org["id"]) == OMNI_ACME)
    return {c["id"]: c for c in acme["conversations"]}


def send(omni: OmniClient, channel: str, body: Record) -> Any:
    return omni.post(f"/conversation-messages-transform-outgoing-{channel}", json=body)


# -- filters -------------------------------------------------------------------------------------------------------


def test_status_filters(omni: OmniClient) -> None:
    opened = selects(omni, {"status": "open"}, lambda c: c["status"] == "open")
    closed = selects(omni, {"status": "closed"}, lambda c: c["status"] == "closed")
    assert OMNI_SMS in closed and OMNI_WA_OPEN in opened


def test_channel_filters(omni: OmniClient) -> None:
    assert OMNI_WA_CLOSED in selects(omni, {"channel": "whatsapp"}, lambda c: c["channel"] == "whatsapp")
    inbox = selects(omni, {"channel[$ne]": "playground"}, lambda c: c["channel"] != "playground")
    assert OMNI_PLAYGROUND not in inbox
    picked = {"channel[$in][0]": "sms", "channel[$in][1]": "webchat"}
    assert {OMNI_SMS, OMNI_WEBCHAT} <= set(selects(omni, picked, lambda c: c["channel"] in ("sms", "webchat")))


def test_assignment_filters(omni: OmniClient) -> None:
    assert OMNI_WA_CLOSED in selects(omni, {"assigned_user_id": OMNI_AGENT}, lambda c: c["assigned_user_id"] == 790)
    assert OMNI_WEBCHAT in selects(omni, {"assigned_user_id": "null"}, lambda c: c["assigned_user_id"] is None)
    ai = selects(omni, {"assigned_ai_assistant_id": SALES_ASSISTANT}, lambda c: c["assigned_ai_assistant_id"] == 55)
    assert OMNI_INSTAGRAM in ai
    no_ai = selects(omni, {"assigned_ai_assistant_id": "null"}, lambda c: c["assigned_ai_assistant_id"] is None)
    assert OMNI_INSTAGRAM not in no_ai


def test_pipeline_filters(omni: OmniClient) -> None:
    assert OMNI_WA_OPEN in selects(omni, {"pipeline_id": OMNI_PIPELINE}, lambda c: c["pipeline_id"] == OMNI_PIPELINE)
    assert OMNI_WA_OPEN in selects(omni, {"pipeline_stage_id": 101}, lambda c: c["pipeline_stage_id"] == 101)
    assert OMNI_SMS in selects(omni, {"pipeline_stage_id": 102}, lambda c: c["pipeline_stage_id"] == 102)


@pytest.mark.parametrize(("tag", "fixed"), [(11, OMNI_WA_OPEN), (12, OMNI_WA_CLOSED)])  # vip: contact 123; lead: 202
def test_tag_id_selects_the_conversations_whose_contact_has_the_tag(omni: OmniClient, tag: int, fixed: int) -> None:
    contacts = contacts_of(omni)
    assert fixed in selects(omni, {"tag_id": tag}, lambda c: tag in contacts[c["contact_id"]]["tag_ids"])


def test_unread_count_with_operators(omni: OmniClient) -> None:
    assert OMNI_WA_OPEN in selects(omni, {"unread_count[$gt]": 0}, lambda c: c["unread_count"] > 0)
    assert OMNI_MESSENGER in selects(omni, {"unread_count": 0}, lambda c: c["unread_count"] == 0)
    selects(omni, {"unread_count[$gte]": 1, "unread_count[$lte]": 1}, lambda c: c["unread_count"] == 1)


def test_waiting_response_only(omni: OmniClient) -> None:
    waiting = selects(omni, {"waitingResponseOnly": "true"}, lambda c: c["waiting_response"])
    assert OMNI_WA_OPEN in waiting and OMNI_MESSENGER not in waiting  # the customer wrote last; we answered last
    assert len(find_all(omni, waitingResponseOnly="false")) == len(find_all(omni)), "false filters nothing"


def test_search_term_on_the_contact(omni: OmniClient) -> None:
    contacts = contacts_of(omni)

    def matches(term: str) -> Callable[[Record], bool]:
        def keep(c: Record) -> bool:
            contact = contacts[c["contact_id"]]
            parts = [contact[k] or "" for k in ("first_name", "last_name", "email", "phone")]
            return term.lower() in " ".join([*parts, f"{parts[0]} {parts[1]}"]).lower()

        return keep

    assert {OMNI_WA_OPEN, OMNI_WA_CLOSED} <= set(selects(omni, {"searchTerm": "john doe"}, matches("john doe")))
    assert selects(omni, {"searchTerm": "JOHN.DOE@EXAMPLE.COM"}, matches("john.doe@example.com")) == [OMNI_WA_OPEN]
    assert selects(omni, {"searchTerm": "1234567890"}, matches("1234567890")) == [OMNI_WA_OPEN]
    assert selects(omni, {"searchTerm": "Haddad"}, matches("haddad")) == [OMNI_SMS]


def test_message_search_term_needs_three_characters(omni: OmniClient) -> None:
    everything = find_all(omni)
    texts = {
        c["id"]: " ".join(m["message_text"] or "" for m in omni.messages(c["id"], c["channel"])) for c in everything
    }
    hits = selects(omni, {"messageSearchTerm": "ORDER"}, lambda c: "order" in texts[c["id"]].lower())
    assert OMNI_WA_OPEN in hits  # "Hi, my order hasn't arrived yet."
    assert selects(omni, {"messageSearchTerm": "quote"}, lambda c: "quote" in texts[c["id"]].lower()) == [
        OMNI_WA_CLOSED
    ]
    assert len(find_all(omni, messageSearchTerm="or")) == len(everything), "under 3 characters: ignored"


def test_view_id_applies_the_saved_view(omni: OmniClient) -> None:
    views = {v["id"]: v for v in omni.ok("GET", "/conversation-views", params={"organization_id": OMNI_ACME})["data"]}
    assert views[31]["filter"] == {"status": "open", "channel": "whatsapp"}
    open_whatsapp = selects(omni, {"view_id": 31}, lambda c: c["status"] == "open" and c["channel"] == "whatsapp")
    assert open_whatsapp == sorted(ids(find_all(omni, status="open", channel="whatsapp")))
    contacts = contacts_of(omni)
    unread_vips = selects(
        omni, {"view_id": 33}, lambda c: c["unread_count"] > 0 and 11 in contacts[c["contact_id"]]["tag_ids"]
    )
    assert unread_vips == sorted(ids(find_all(omni, tag_id=11, **{"unread_count[$gt]": 0})))
    # and-ed with the query's own filters
    mine = [c["id"] for c in find_all(omni, view_id=31) if c["assigned_user_id"] == OMNI_ADMIN]
    assert 0 < len(mine) < len(open_whatsapp)
    assert ids(find_all(omni, view_id=31, assigned_user_id=OMNI_ADMIN)) == mine
    refused(omni.get("/conversations", params={"organization_id": OMNI_ACME, "view_id": 32}), 404)  # Globex's


def test_created_at_range(omni: OmniClient) -> None:
    start, end = "2026-01-05T00:00:00.000Z", "2026-01-13T23:59:59.999Z"
    inside = selects(
        omni, {"created_at[$gte]": start, "created_at[$lte]": end}, lambda c: start <= c["created_at"] <= end
    )
    assert OMNI_WA_CLOSED in inside and OMNI_WA_OPEN not in inside
    selects(omni, {"created_at[$gte]": "2026-01-13T00:00:00Z"}, lambda c: c["created_at"] >= "2026-01-13T00:00:00")


def test_default_order_is_last_interaction_descending(omni: OmniClient) -> None:
    listed = find_all(omni)
    newest_first = sorted(listed, key=lambda c: (c["last_interaction_at"], c["id"]), reverse=True)
    assert ids(listed) == ids(newest_first)
    assert ids(listed) != sorted(ids(listed), reverse=True), "the order is not the ids'"
    assert ids(find_all(omni, **{"$sort[last_interaction_at]": -1})) == ids(listed)
    ascending = find_all(omni, **{"$sort[last_interaction_at]": 1})
    assert [c["last_interaction_at"] for c in ascending] == sorted(c["last_interaction_at"] for c in listed)
    by_created = [c["created_at"] for c in find_all(omni, **{"$sort[created_at]": 1})]
    assert by_created == sorted(by_created)


def test_select_keeps_the_named_fields_and_the_id(omni: OmniClient) -> None:
    page = omni.ok("GET", "/conversations", params={"organization_id": OMNI_ACME, "$select[0]": "status"})
    assert page["data"] and all(set(c) == {"id", "status"} for c in page["data"])
    full = {c["id"]: c["status"] for c in find_all(omni)}
    assert all(full[c["id"]] == c["status"] for c in page["data"])


# -- get, patch, remove -------------------------------------------------------------------------------------------


def test_get_a_conversation(omni: OmniClient) -> None:
    found = conversation(omni, OMNI_WA_OPEN)
    assert found == next(c for c in find_all(omni) if c["id"] == OMNI_WA_OPEN)
    fixed = fixture_conversations()[OMNI_WA_OPEN]
    assert (found["organization_id"], found["channel"], found["contact_id"]) == (OMNI_ACME, "whatsapp", OMNI_CONTACT)
    assert (found["assigned_user_id"], found["pipeline_id"], found["pipeline_stage_id"]) == (
        fixed["assigned_user"],
        OMNI_PIPELINE,
        fixed["pipeline_stage"],
    )
    assert found["last_message_text"] == fixed["messages"][-1]["text"]
    refused(omni.get(f"/conversations/{OMNI_GLOBEX_THREAD}"), 404, f"No record found for id '{OMNI_GLOBEX_THREAD}'")


PATCHES = [  # (conversation, body, what the conversation then holds)
    (OMNI_WA_OPEN, {"status": "closed"}, {"status": "closed"}),
    (OMNI_WA_OPEN, {"assigned_user_id": OMNI_AGENT}, {"assigned_user_id": OMNI_AGENT}),
    (OMNI_WA_OPEN, {"assigned_user_id": None}, {"assigned_user_id": None}),
    (OMNI_WA_OPEN, {"assigned_ai_assistant_id": SALES_ASSISTANT}, {"assigned_ai_assistant_id": SALES_ASSISTANT}),
    (OMNI_INSTAGRAM, {"assigned_ai_assistant_id": None}, {"assigned_ai_assistant_id": None}),
    (
        OMNI_INSTAGRAM,
        {"pipeline_id": OMNI_PIPELINE, "pipeline_stage_id": 102},
        {"pipeline_id": 789, "pipeline_stage_id": 102},
    ),
    (OMNI_WA_OPEN, {"pipeline_stage_id": 100}, {"pipeline_id": OMNI_PIPELINE, "pipeline_stage_id": 100}),
    (OMNI_WA_OPEN, {"pipeline_id": None, "pipeline_stage_id": None}, {"pipeline_id": None, "pipeline_stage_id": None}),
    (OMNI_WA_OPEN, {"pipeline_id": None}, {"pipeline_id": None, "pipeline_stage_id": None}),
    (OMNI_WA_OPEN, {"ai_context_cut": "2026-01-15T14:30:00Z"}, {"ai_context_cut": "2026-01-15T14:30:00.000Z"}),
    (OMNI_WA_OPEN, {"unread_count": 0}, {"unread_count": 0}),
    (OMNI_MESSENGER, {"unread_count": 1}, {"unread_count": 1}),
    (
        OMNI_WA_OPEN,
        {"ai_auto_assignment_disabled": True, "ai_auto_assignment_disabled_reason": "VIP: humans only"},
        {"ai_auto_assignment_disabled": True, "ai_auto_assignment_disabled_reason": "VIP: humans only"},
    ),
    (OMNI_WA_OPEN, {"blocked": True}, {"blocked": True}),
]


@pytest.mark.parametrize(("conversation_id", "body", "expected"), PATCHES)
def test_patch_each_documented_field(omni: OmniClient, conversation_id: int, body: Record, expected: Record) -> None:
    before = conversation(omni, conversation_id)
    assert any(before[k] != v for k, v in expected.items()), "the patch must change something"
    patched = omni.ok("PATCH", f"/conversations/{conversation_id}", body)
    assert patched == conversation(omni, conversation_id)
    assert patched == {**before, **expected, "updated_at": now_ms(omni)}


def test_an_ai_assistant_named_by_text_is_found_by_the_number_filter(omni: OmniClient) -> None:
    """The patch page allows the assistant id as a string; the list filter takes a number and must find it."""
    patched = omni.ok("PATCH", f"/conversations/{OMNI_WA_OPEN}", {"assigned_ai_assistant_id": str(SALES_ASSISTANT)})
    assert patched["assigned_ai_assistant_id"] == SALES_ASSISTANT
    assert OMNI_WA_OPEN in ids(find_all(omni, assigned_ai_assistant_id=SALES_ASSISTANT))
    refused(omni.patch(f"/conversations/{OMNI_WA_OPEN}", json={"assigned_ai_assistant_id": 65}), 400)  # Globex's


@pytest.mark.parametrize(
    "body",
    [{"channel": "sms"}, {"contact_id": 202}, {"waiting_response": False}, {"status": "closed", "organization_id": 27}],
)
def test_patch_of_an_undocumented_field_changes_nothing(omni: OmniClient, body: Record) -> None:
    before = omni.state()
    failed = refused(omni.patch(f"/conversations/{OMNI_WA_OPEN}", json=body), 400, "validation failed")
    assert failed["data"], "the validation errors say which field"
    assert omni.state() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"pipeline_stage_id": 103}, "Unknown pipeline stage 103"),  # Globex's stage
        ({"pipeline_id": OMNI_PIPELINE, "pipeline_stage_id": 104}, "Unknown pipeline stage 104"),
        ({"pipeline_id": None, "pipeline_stage_id": 101}, "Pipeline stage 101 does not belong to pipeline None"),
        ({"pipeline_id": 790, "pipeline_stage_id": 103}, "Unknown pipeline 790"),
    ],
)
def test_a_stage_outside_the_pipeline_is_refused(omni: OmniClient, body: Record, message: str) -> None:
    before = omni.state()
    refused(omni.patch(f"/conversations/{OMNI_WA_OPEN}", json=body), 400, message)
    assert omni.state() == before


def test_remove_is_soft_and_for_owners_and_admins(omni: OmniClient) -> None:
    before = conversation(omni, OMNI_WEBCHAT)
    for member in (OMNI_AGENT, OMNI_EXAMPLE_USER):  # members of 456
        forbidden = refused(omni.login(member).delete(f"/conversations/{OMNI_WEBCHAT}"), 403)
        assert forbidden["message"] == "Only an organization owner or admin can delete a conversation"
    assert conversation(omni, OMNI_WEBCHAT) == before
    removed = omni.ok("DELETE", f"/conversations/{OMNI_WEBCHAT}")  # acme's key acts as its owner, 789
    assert removed == {**before, "deleted_at": now_ms(omni), "updated_at": now_ms(omni)}
    assert OMNI_WEBCHAT not in ids(find_all(omni))
    refused(omni.get(f"/conversations/{OMNI_WEBCHAT}"), 404, f"No record found for id '{OMNI_WEBCHAT}'")
    refused(omni.delete(f"/conversations/{OMNI_WEBCHAT}"), 404)
    owner = omni.login(OMNI_ADMIN)
    assert owner.ok("DELETE", f"/conversations/{OMNI_SMS}")["deleted_at"] == now_ms(omni)


# -- messages ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", list(FIXED))
def test_messages_listed_by_conversation_with_their_id_kind(omni: OmniClient, channel: str) -> None:
    conversation_id = FIXED[channel]
    listed = omni.messages(conversation_id, channel)
    fixed = fixture_conversations()[conversation_id]["messages"]
    assert [(m["message_text"], m["direction"]) for m in listed] == [(m["text"], m["direction"]) for m in fixed]
    assert all(m["conversation_id"] == conversation_id and m["organization_id"] == OMNI_ACME for m in listed)
    for message in listed:
        if channel in TRANSFORM:
            assert OBJECT_ID.fullmatch(message["_id"]) and "id" not in message
        else:
            assert isinstance(message["id"], int) and "_id" not in message
        key = message["_id"] if channel in TRANSFORM else message["id"]
        assert omni.ok("GET", f"/conversation-messages-{channel}/{key}") == message
    other = "sms" if channel != "sms" else "webchat"  # another channel's service: not its conversation
    assert omni.ok("GET", f"/conversation-messages-{other}", params={"conversation_id": conversation_id})["total"] == 0


def test_messages_need_a_conversation_id(omni: OmniClient) -> None:
    body = refused(omni.get("/conversation-messages-whatsapp"), 400, "validation failed")
    assert "conversation_id" in str(body["data"])


def test_message_type_filters(omni: OmniClient) -> None:
    note = send(omni, "whatsapp", {"conversation_id": OMNI_WA_OPEN, "message_text": "VIP", "message_type": "note"})
    assert note.status_code == 201, note.text
    texts = [m["message_text"] for m in omni.messages(OMNI_WA_OPEN, "whatsapp", message_type="note")]
    assert texts == ["VIP"]
    others = omni.messages(OMNI_WA_OPEN, "whatsapp", **{"message_type[$ne]": "note"})
    assert [m["message_type"] for m in others] == ["text"] * len(fixture_conversations()[OMNI_WA_OPEN]["messages"])
    newest = omni.ok(
        "GET", "/conversation-messages-whatsapp", params={"conversation_id": OMNI_WA_OPEN, "$sort[created_at]": -1}
    )
    assert newest["data"][0]["_id"] == note.json()["_id"]


def test_remove_a_message_softly(omni: OmniClient) -> None:
    thread = omni.messages(OMNI_WA_OPEN, "whatsapp")
    gone = thread[1]
    removed = omni.ok("DELETE", f"/conversation-messages-whatsapp/{gone['_id']}")
    assert removed == {**gone, "deleted_at": now_ms(omni), "updated_at": now_ms(omni)}
    assert omni.messages(OMNI_WA_OPEN, "whatsapp") == [thread[0], thread[2]]
    refused(omni.get(f"/conversation-messages-whatsapp/{gone['_id']}"), 404, f"No record found for id '{gone['_id']}'")
    refused(omni.delete(f"/conversation-messages-whatsapp/{gone['_id']}"), 404)
    sms = omni.messages(OMNI_SMS, "sms")[0]
    assert omni.ok("DELETE", f"/conversation-messages-sms/{sms['id']}")["deleted_at"] == now_ms(omni)
    assert omni.messages(OMNI_SMS, "sms") == []


# -- sending -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", TRANSFORM)
def test_send_text_on_each_channel(omni: OmniClient, channel: str) -> None:
    conversation_id = FIXED[channel]
    omni.advance("1m")  # the send's instant is later than anything seeded
    body = {"conversation_id": conversation_id, "message_text": f"Hello on {channel}", "message_type": "text"}
    response = send(omni, channel, body)
    assert response.status_code == 201, response.text
    sent = response.json()
    assert OBJECT_ID.fullmatch(sent["_id"])
    assert {k: sent[k] for k in ("conversation_id", "message_text", "message_type")} == body
    assert (sent["direction"], sent["sender_user_id"], sent["status"], sent["created_at"]) == (
        "outbound",
        OMNI_ADMIN,
        "sent",
        now_ms(omni),
    )
    assert omni.messages(conversation_id, channel)[-1] == sent
    after = conversation(omni, conversation_id)
    assert (after["last_interaction_at"], after["unread_count"], after["waiting_response"]) == (now_ms(omni), 0, False)
    assert after["last_message_text"] == body["message_text"]


@pytest.mark.parametrize("channel", TRANSFORM)
def test_a_note_changes_nothing_on_the_conversation(omni: OmniClient, channel: str) -> None:
    conversation_id = OMNI_WA_CLOSED if channel == "whatsapp" else FIXED[channel]  # outside the window too
    before = conversation(omni, conversation_id)
    body = {"conversation_id": conversation_id, "message_text": "Call them back", "message_type": "note"}
    response = send(omni, channel, body)
    assert response.status_code == 201, response.text
    assert response.json()["message_type"] == "note"
    assert omni.messages(conversation_id, channel)[-1] == response.json()
    assert conversation(omni, conversation_id) == before


def test_whatsapp_text_outside_the_window_until_the_customer_writes(omni: OmniClient) -> None:
    text = {"conversation_id": OMNI_WA_CLOSED, "message_text": "Here is the quote", "message_type": "text"}
    before = omni.state()
    failed = refused(send(omni, "whatsapp", text), 422, WINDOW_CLOSED)
    assert failed["data"] == {
        "whatsapp_window_expires_at": conversation(omni, OMNI_WA_CLOSED)["whatsapp_window_expires_at"]
    }
    assert omni.state() == before
    omni.inbound(OMNI_WA_CLOSED, "Still waiting for that quote")
    assert conversation(omni, OMNI_WA_CLOSED)["whatsapp_window_expires_at"] == now_ms(omni, timedelta(hours=24))
    response = send(omni, "whatsapp", text)
    assert response.status_code == 201, response.text
    assert omni.messages(OMNI_WA_CLOSED, "whatsapp")[-1]["message_text"] == "Here is the quote"


def test_the_window_closes_24_hours_after_the_customer_wrote(omni: OmniClient) -> None:
    text = {"conversation_id": OMNI_WA_OPEN, "message_text": "Any update?", "message_type": "text"}
    expires = conversation(omni, OMNI_WA_OPEN)["whatsapp_window_expires_at"]
    assert send(omni, "whatsapp", text).status_code == 201
    omni.advance("22h")  # the customer wrote an hour before the clock's start
    assert now_ms(omni) < expires and send(omni, "whatsapp", text).status_code == 201
    omni.advance("1h")
    assert now_ms(omni) >= expires
    refused(send(omni, "whatsapp", text), 422, WINDOW_CLOSED)


def test_templates_outside_the_window(omni: OmniClient) -> None:
    template = {"conversation_id": OMNI_WA_CLOSED, "template": {"name": "hello_world", "language": "en_US"}}
    response = send(omni, "whatsapp", template)
    assert response.status_code == 201, response.text
    sent = response.json()
    assert (sent["message_type"], sent["template"]) == ("template", {"name": "hello_world", "language": "en_US"})
    assert omni.messages(OMNI_WA_CLOSED, "whatsapp")[-1] == sent
    assert conversation(omni, OMNI_WA_CLOSED)["last_interaction_at"] == now_ms(omni)
    before = omni.state()
    unknown = {"conversation_id": OMNI_WA_CLOSED, "template": {"name": "no_such_template", "language": "en_US"}}
    refused(send(omni, "whatsapp", unknown), 400, "Unknown template no_such_template")
    french = {"conversation_id": OMNI_WA_CLOSED, "template": {"name": "hello_world", "language": "fr"}}
    refused(send(omni, "whatsapp", french), 400, "Template hello_world has no language fr (approved: en_US)")
    assert omni.state() == before


def test_a_conversation_of_another_channel_is_refused(omni: OmniClient) -> None:
    before = omni.state()
    for channel, conversation_id in [("instagram", OMNI_WA_OPEN), ("whatsapp", OMNI_MESSENGER)]:
        body = {"conversation_id": conversation_id, "message_text": "Hi", "message_type": "text"}
        body_ = refused(send(omni, channel, body), 400)
        assert body_["message"] == f"Conversation {conversation_id} is not a conversation of the {channel} channel"
    refused(omni.post("/conversation-messages-sms", json={"conversation_id": OMNI_WEBCHAT, "message_text": "Hi"}), 400)
    assert omni.state() == before


def test_sms_text_and_media_by_s3_key(omni: OmniClient) -> None:
    numbers = [m["id"] for m in omni.messages(OMNI_SMS, "sms")]
    text = omni.ok("POST", "/conversation-messages-sms", {"conversation_id": OMNI_SMS, "message_text": "Thanks!"}, 201)
    assert isinstance(text["id"], int) and text["id"] > max(numbers)
    assert (text["message_type"], text["message_text"], text["direction"]) == ("text", "Thanks!", "outbound")
    key = "organizations/456/conversations/1006/receipt.jpg"
    media = omni.ok("POST", "/conversation-messages-sms", {"conversation_id": OMNI_SMS, "s3_key": key}, 201)
    assert media["media_url"] == BUCKET_URL + key  # the public URL the page builds
    assert (media["message_type"], media["file_name"], media["file_type"]) == ("image", "receipt.jpg", "image/jpeg")
    assert media["id"] == text["id"] + 1
    assert omni.messages(OMNI_SMS, "sms")[-2:] == [text, media]
    after = conversation(omni, OMNI_SMS)
    assert (after["last_interaction_at"], after["unread_count"], after["waiting_response"]) == (now_ms(omni), 0, False)


def test_playground_send_with_its_documented_fields(omni: OmniClient) -> None:
    read = conversation(omni, OMNI_PLAYGROUND)  # the page: read organization_id and contact_id first
    base = {
        "conversation_id": OMNI_PLAYGROUND,
        "organization_id": read["organization_id"],
        "contact_id": read["contact_id"],
    }
    text = omni.ok("POST", "/conversation-messages-playground", {**base, "message_text": "Try me"}, 201)
    assert isinstance(text["id"], int) and (text["message_text"], text["message_type"]) == ("Try me", "text")
    key = "organizations/456/conversations/1007/clip.mp4"
    media_fields: Record = {
        "s3_key": key,
        "s3_path": f"s3://achieveapex-conversation-files/{key}",
        "file_name": "clip.mp4",
    }
    media_fields |= {"file_type": "video/mp4", "file_size": 2048}
    media = omni.ok("POST", "/conversation-messages-playground", {**base, **media_fields}, 201)
    assert (media["message_type"], media["media_url"]) == ("video", BUCKET_URL + key)
    assert (media["file_name"], media["file_type"], media["file_size"]) == ("clip.mp4", "video/mp4", 2048)
    assert omni.messages(OMNI_PLAYGROUND, "playground")[-2:] == [text, media]
    before = omni.state()
    wrong = {**base, "contact_id": OMNI_CONTACT, "message_text": "Hi"}
    refused(omni.post("/conversation-messages-playground", json=wrong), 400)
    refused(omni.post("/conversation-messages-playground", json={**wrong, "organization_id": OMNI_GLOBEX}), 403)
    assert omni.state() == before


# -- the messaging_window scenario state ---------------------------------------------------------------------------


def test_the_window_expired_scenario_closes_whatsapp_windows(omni: OmniClient) -> None:
    """The shipped `window-expired` scenario (`messaging_window: closed`): free text refused, notes still go out,
    and switching it off gives the window back."""
    text = {"conversation_id": OMNI_WA_OPEN, "message_text": "Checking", "message_type": "text"}
    expires = conversation(omni, OMNI_WA_OPEN)["whatsapp_window_expires_at"]
    assert send(omni, "whatsapp", text).status_code == 201
    assert omni.http.post("/__mock/scenarios/window-expired").status_code == 200
    assert conversation(omni, OMNI_WA_OPEN)["whatsapp_window_expires_at"] < now_ms(omni)
    refused(send(omni, "whatsapp", text), 422, WINDOW_CLOSED)
    assert send(omni, "whatsapp", {**text, "message_type": "note"}).status_code == 201
    assert omni.http.delete("/__mock/scenarios/window-expired").status_code == 200
    assert conversation(omni, OMNI_WA_OPEN)["whatsapp_window_expires_at"] == expires
    assert send(omni, "whatsapp", text).status_code == 201


# -- the seed ------------------------------------------------------------------------------------------------------


def listed_with_seed(seed: int) -> dict[int, list[Record]]:
    """Every conversation of both organizations with conversations, from an app of its own seeded with `seed`."""
    with in_process(create_app(apis=["omni-inbox"], frozen=True, seed=seed)) as mock:
        omni = OmniClient.acme(mock)
        page = omni.with_key(OMNI_GLOBEX).ok(
            "GET", "/conversations", params={"organization_id": OMNI_GLOBEX, "$limit": 50}
        )
        assert page["total"] == len(page["data"])
        return {OMNI_ACME: find_all(omni), OMNI_GLOBEX: page["data"]}


def test_the_same_seed_gives_the_same_conversations() -> None:
    first, second = listed_with_seed(0), listed_with_seed(0)
    assert first == second
    assert {OMNI_WA_OPEN, *range(3000, 3012)} <= set(ids(first[OMNI_ACME]))


def test_another_seed_changes_only_the_generated_conversations() -> None:
    default, other = listed_with_seed(0), listed_with_seed(7)
    for organization in (OMNI_ACME, OMNI_GLOBEX):
        fixed = [{c["id"]: c for c in run[organization] if c["id"] < 3000} for run in (default, other)]
        assert fixed[0] == fixed[1] and fixed[0]
        generated = [[c for c in run[organization] if c["id"] >= 3000] for run in (default, other)]
        assert generated[0] and generated[1] and generated[0] != generated[1]
    assert OMNI_GLOBEX_THREAD in ids(default[OMNI_GLOBEX])


INBOUND_WRONG_TYPES = [
    ({"organization_id": [OMNI_ACME], "conversation_id": OMNI_WA_OPEN, "text": "hi"}, "organization_id: "),
    ({"organization_id": {"id": OMNI_ACME}, "conversation_id": OMNI_WA_OPEN, "text": "hi"}, "organization_id: "),
    ({"organization_id": True, "conversation_id": OMNI_WA_OPEN, "text": "hi"}, "organization_id: "),
    (
        {"workspace": [1], "organization_id": OMNI_ACME, "conversation_id": [OMNI_WA_OPEN], "text": "hi"},
        "conversation_id: ",
    ),
    (
        {"organization_id": OMNI_ACME, "channel": "webchat", "email": "a@b.example", "name": ["A"], "text": "hi"},
        "name: ",
    ),
    (
        {"organization_id": OMNI_ACME, "channel": "whatsapp", "phone": "+5215599999999", "email": [1], "text": "hi"},
        "email: ",
    ),
    ({"organization_id": OMNI_ACME, "channel": ["sms"], "phone": "+5215599999999", "text": "hi"}, "channel: "),
    ({"organization_id": OMNI_ACME, "channel": "sms", "phone": "call me", "text": "hi"}, "phone: "),
    ({"organization_id": OMNI_ACME, "conversation_id": OMNI_WA_OPEN, "text": ["hi"]}, "text: "),
]


@pytest.mark.parametrize(("body", "named"), INBOUND_WRONG_TYPES, ids=[n for _, n in INBOUND_WRONG_TYPES])
def test_inbound_with_a_wrong_typed_field_is_a_400_that_changes_nothing(
    omni: OmniClient, body: dict[str, Any], named: str
) -> None:
    """Issue 17: a list as the organization (or another field) answered 500, and an array stored as a new
    contact's email broke every later read of the contacts. Each is the control API's 400, naming the field."""
    before = omni.state()
    response = omni.http.post("/__mock/omni-inbox/inbound", json=body)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"} and response.json()["error"].startswith(named)
    assert omni.state() == before
    for whole in ([body], "hi", 1):
        assert omni.http.post("/__mock/omni-inbox/inbound", json=whole).status_code == 400
    assert omni.state() == before
