"""The omni-inbox's reachable failures (issue 18, items 3 and 5): where a scoped scenario may act (`find_target`),
what produces every documented non-2xx answer (`failures.FAILURE_SOURCES`, a handful sent for real), WhatsApp
messages that fail after acceptance (`whatsapp_delivery: failed`, scenario `whatsapp-fails`), and a customer who
writes in by phone or email, known or not (`POST /__mock/omni-inbox/inbound`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_server.apis.omniinbox import control
from mock_server.apis.omniinbox.delivery import FAILURE_DELAY
from mock_server.apis.omniinbox.failures import FAILURE_SOURCES
from mock_server.engine.scenarios import Target
from mock_server.testing import ConvoMock
from tests.apis.omniinbox.reads import Record, conversation, now_ms, refused
from tests.support.omniinbox import (
    OMNI_ACME,
    OMNI_AGENT,
    OMNI_CONTACT,
    OMNI_GLOBEX,
    OMNI_INSTAGRAM,
    OMNI_QUALIFY,
    OMNI_WA_CLOSED,
    OMNI_WA_OPEN,
    OMNI_WEBCHAT,
    OmniClient,
)

SPEC = Path(__file__).resolve().parents[3] / "specs" / "omni-inbox.yaml"
WHATSAPP = "/conversation-messages-transform-outgoing-whatsapp"
WHATSAPP_MESSAGES = "/conversation-messages-whatsapp"
SCENARIO = "/__mock/scenarios/whatsapp-fails"
INBOUND = "/__mock/omni-inbox/inbound"
ACME_TENANT = frozenset({"456", "acme"})
GLOBEX_TENANT = frozenset({"27", "globex"})
CHANNEL_REFUSED = "channel: one of whatsapp, instagram, messenger, webchat, sms, playground with phone or email"
CONTACT_202_PHONE = "+1 (555) 010-0202"  # contact 202, the customer of WhatsApp conversation 1002


def text(conversation_id: int, words: str = "Your order has shipped") -> Record:
    return {"conversation_id": conversation_id, "message_type": "text", "message_text": words}


def sent(omni: OmniClient, body: Record, **kwargs: Any) -> Record:
    """A WhatsApp send that must be accepted as usual: 201, status sent."""
    message: Record = omni.ok("POST", WHATSAPP, body, 201, **kwargs)
    assert (message["direction"], message["status"]) == ("outbound", "sent"), message
    return message


def status_of(omni: OmniClient, message: Record) -> str:
    """The message's status as a client reads it: by get, and the same in the conversation's find."""
    got = omni.ok("GET", f"{WHATSAPP_MESSAGES}/{message['_id']}")
    listed = [m for m in omni.messages(message["conversation_id"], "whatsapp") if m["_id"] == message["_id"]]
    assert listed == [got]
    return str(got["status"])


def switch(omni: OmniClient, method: str, scope: Record | None = None, status: int = 200) -> Record:
    response = omni.http.request(method, SCENARIO, json=scope)
    assert response.status_code == status, response.text
    answer: Record = response.json()
    return answer


# -- A: find_target --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        (Target(conversation=str(OMNI_WA_OPEN)), None),
        (Target(tenants=ACME_TENANT, conversation=str(OMNI_WA_OPEN)), None),
        (Target(contact=str(OMNI_CONTACT)), None),
        (Target(contact="+1 123-456-7890"), None),  # contact 123: country code +1 and phone 1234567890
        (Target(contact="1234567890"), None),
        (Target(contact="JOHN.DOE@example.com"), None),
        (Target(conversation=str(OMNI_WA_CLOSED), contact=CONTACT_202_PHONE), None),
        (Target(conversation="999999"), "no conversation '999999' in any organization"),
        (
            Target(tenants=GLOBEX_TENANT, conversation=str(OMNI_WA_OPEN)),
            f"no conversation '{OMNI_WA_OPEN}' in organization {OMNI_GLOBEX}",
        ),
        (
            Target(contact="+44 20 7946 0000"),
            "no contact '+44 20 7946 0000' (by id, phone or email) in any organization",
        ),
        (
            Target(tenants=GLOBEX_TENANT, contact="john.doe@example.com"),
            f"no contact 'john.doe@example.com' (by id, phone or email) in organization {OMNI_GLOBEX}",
        ),
        (
            Target(conversation=str(OMNI_WA_OPEN), contact=CONTACT_202_PHONE),
            f"conversation '{OMNI_WA_OPEN}' is not a conversation of contact '{CONTACT_202_PHONE}'",
        ),
    ],
)
def test_find_target_names_what_the_store_does_not_hold(mock: ConvoMock, target: Target, problem: str | None) -> None:
    store = mock.app.backend.runtimes["omni-inbox"].store
    assert control.find_target(store, target) == problem


def test_a_deleted_conversation_is_no_target(omni: OmniClient) -> None:
    omni.ok("DELETE", f"/conversations/{OMNI_WEBCHAT}")
    store = omni.mock.app.backend.runtimes["omni-inbox"].store
    assert control.find_target(store, Target(conversation=str(OMNI_WEBCHAT))) == (
        f"no conversation '{OMNI_WEBCHAT}' in any organization"
    )


def test_a_scope_the_store_does_not_hold_is_a_400_that_changes_nothing(omni: OmniClient) -> None:
    before = omni.state()
    answer = switch(omni, "POST", {"api": "omni-inbox", "conversation": "999999"}, status=400)
    assert answer == {"error": "scope.conversation: omni-inbox: no conversation '999999' in any organization"}
    assert omni.state() == before


# -- B: every documented failure has a source, and a handful answer as said -------------------------------------------


def documented() -> set[tuple[str, str]]:
    spec = yaml.safe_load(SPEC.read_text())
    return {
        (operation["operationId"], str(status))
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
        for status in operation["responses"]
        if not str(status).startswith("2")
    }


def test_every_documented_failure_has_one_source_and_every_source_a_documented_failure() -> None:
    failures = documented()
    missing = sorted(
        f"{op} {status}"
        for op, status in failures
        if f"{op} {status}" not in FAILURE_SOURCES and f"* {status}" not in FAILURE_SOURCES
    )
    assert missing == []
    statuses = {status for _, status in failures}
    for key, sentence in FAILURE_SOURCES.items():
        operation, _, status = key.partition(" ")
        assert (operation == "*" and status in statuses) or (operation, status) in failures, key
        assert sentence and "\n" not in sentence and sentence.count(". ") == 0, key


def feathers(status: int, name: str, message: str, class_name: str | None) -> Record:
    body: Record = {"name": name, "message": message, "code": status}
    if class_name is not None:
        body["className"] = class_name
    return body


# (source key, scenario or None, method, path, query, body, status, the Feathers body without `data`)
SENT_FAILURES = [
    (
        "createWhatsappOutgoing 422",
        None,
        "POST",
        WHATSAPP,
        None,
        text(OMNI_WA_CLOSED),
        feathers(
            422,
            "Unprocessable",
            "The 24-hour customer service window is closed: send an approved template or a note",
            "unprocessable",
        ),
    ),
    (
        "createWhatsappOutgoing 422",
        "window-expired",
        "POST",
        WHATSAPP,
        None,
        text(OMNI_WA_OPEN),
        feathers(
            422,
            "Unprocessable",
            "The 24-hour customer service window is closed: send an approved template or a note",
            "unprocessable",
        ),
    ),
    (
        "createWhatsappOutgoing 400",
        None,
        "POST",
        WHATSAPP,
        None,
        text(OMNI_INSTAGRAM),
        feathers(
            400,
            "BadRequest",
            f"Conversation {OMNI_INSTAGRAM} is not a conversation of the whatsapp channel",
            "bad-request",
        ),
    ),
    (
        "createConversationsBulkAction 404",
        None,
        "POST",
        "/conversations-bulk-actions",
        None,
        {"action": "update_status", "view_id": 9999, "status": "closed"},
        feathers(404, "NotFound", "No record found for id '9999'", "not-found"),
    ),
    (
        "getOrganization 404",
        None,
        "GET",
        f"/organizations/{OMNI_GLOBEX}",
        None,
        None,
        feathers(404, "NotFound", f"No record found for id '{OMNI_GLOBEX}'", "not-found"),
    ),
    (
        "createConversationFile 400",
        None,
        "POST",
        "/conversation-files",
        None,
        {"conversation_id": OMNI_WA_OPEN, "s3_key": "organizations/456/never.png"},
        feathers(400, "BadRequest", "File organizations/456/never.png was not uploaded", "bad-request"),
    ),
    (
        "createAuthentication 401",
        None,
        "POST",
        "/authentication",
        None,
        {"strategy": "local", "email": "user@example.com", "password": "wrong"},
        feathers(401, "NotAuthenticated", "Invalid login", "not-authenticated"),
    ),
    (
        "* 403",
        None,
        "GET",
        "/contacts",
        {"organization_id": OMNI_GLOBEX},
        None,
        feathers(403, "Forbidden", f"You are not a member of organization {OMNI_GLOBEX}", "forbidden"),
    ),
    (
        "* 401",
        "token-revoked",
        "GET",
        f"/conversations/{OMNI_WA_OPEN}",
        None,
        None,
        feathers(401, "NotAuthenticated", "Invalid access token", "not-authenticated"),
    ),
    (
        "* 429",
        "rate-limited",
        "GET",
        "/conversations",
        {"organization_id": OMNI_ACME},
        None,
        feathers(429, "TooManyRequests", "Rate limit exceeded", None),
    ),
    (
        "* default",
        "vendor-down",
        "POST",
        WHATSAPP,
        None,
        text(OMNI_WA_OPEN),
        feathers(503, "Unavailable", "Service Unavailable", "unavailable"),
    ),
]


@pytest.mark.parametrize(
    ("source", "scenario", "method", "path", "query", "body", "expected"),
    SENT_FAILURES,
    ids=[f"{row[0]}/{row[1] or 'input'}" for row in SENT_FAILURES],
)
def test_a_documented_failure_answers_as_its_source_says(
    omni: OmniClient,
    source: str,
    scenario: str | None,
    method: str,
    path: str,
    query: Record | None,
    body: Record | None,
    expected: Record,
) -> None:
    assert source in FAILURE_SOURCES
    if scenario is not None:
        assert f"`{scenario}`" in FAILURE_SOURCES[source]
    before = omni.state()
    headers = {"X-Mock-Scenario": scenario} if scenario else None
    response = omni.request(method, path, json=body, params=query, headers=headers)
    assert response.status_code == expected["code"], response.text
    answer = response.json()
    assert {key: value for key, value in answer.items() if key != "data"} == expected
    if expected["code"] == 429:
        assert answer["data"] == {"limit": 1000, "current": 1001, "window": 3600, "retryAfter": 30}
    assert omni.state() == before


def test_a_member_deleting_a_conversation_is_forbidden(omni: OmniClient) -> None:
    assert "790" in FAILURE_SOURCES["removeConversation 403"]
    agent = omni.login(OMNI_AGENT)
    refused(
        agent.delete(f"/conversations/{OMNI_WEBCHAT}"),
        403,
        "Only an organization owner or admin can delete a conversation",
    )
    assert conversation(omni, OMNI_WEBCHAT)["deleted_at"] is None


# -- C: WhatsApp messages that fail after acceptance ------------------------------------------------------------------


def test_whatsapp_fails_accepts_then_fails_the_message_on_the_next_read(omni: OmniClient) -> None:
    activation = switch(omni, "POST")["activation"]
    assert activation["name"] == "whatsapp-fails"
    failed_at = now_ms(omni, FAILURE_DELAY)
    message = sent(omni, text(OMNI_WA_OPEN))
    template = sent(
        omni,
        {
            "conversation_id": OMNI_WA_CLOSED,
            "message_type": "template",
            "template": {"name": "hello_world", "language": "en_US"},
        },
    )
    note = sent(omni, {**text(OMNI_WA_OPEN, "Customer is travelling"), "message_type": "note"})
    assert status_of(omni, message) == "sent"  # nothing fails before the delay
    assert conversation(omni, OMNI_WA_OPEN)["last_message_text"] == "Your order has shipped"
    omni.mock.settle()  # runs the delivery reports, moving the clock to them
    assert now_ms(omni) == failed_at
    for failed in (message, template):
        got = omni.ok("GET", f"{WHATSAPP_MESSAGES}/{failed['_id']}")
        assert got == {**failed, "status": "failed", "updated_at": failed_at}
        assert status_of(omni, failed) == "failed"
    assert status_of(omni, note) == "sent"  # a note never leaves the inbox
    failed_only = omni.ok("GET", WHATSAPP_MESSAGES, params={"conversation_id": OMNI_WA_OPEN, "status": "failed"})
    assert [m["_id"] for m in failed_only["data"]] == [message["_id"]]


def test_the_failure_comes_two_seconds_after_the_send_on_the_mock_clock(omni: OmniClient) -> None:
    switch(omni, "POST")
    message = sent(omni, text(OMNI_WA_OPEN))
    omni.mock.clock.advance(FAILURE_DELAY - timedelta(milliseconds=1))
    assert status_of(omni, message) == "sent"
    omni.mock.clock.advance(timedelta(milliseconds=1))
    omni.mock.settle()
    assert status_of(omni, message) == "failed"


def test_switching_it_off_lets_later_messages_through_and_keeps_failed_ones(omni: OmniClient) -> None:
    switch(omni, "POST")
    failed = sent(omni, text(OMNI_WA_OPEN))
    omni.mock.settle()
    assert switch(omni, "DELETE")["changed"] is True
    later = sent(omni, text(OMNI_WA_OPEN, "Tracking number 1Z999"))
    omni.mock.settle()
    assert (status_of(omni, failed), status_of(omni, later)) == ("failed", "sent")


def test_switched_off_before_the_delay_the_accepted_message_still_fails(omni: OmniClient) -> None:
    """The fate of a message is decided when it is accepted."""
    switch(omni, "POST")
    message = sent(omni, text(OMNI_WA_OPEN))
    switch(omni, "DELETE")
    omni.mock.settle()
    assert status_of(omni, message) == "failed"


@pytest.mark.parametrize(
    ("scope", "failing", "passing"),
    [
        ({"conversation": str(OMNI_WA_OPEN)}, OMNI_WA_OPEN, OMNI_WA_CLOSED),
        ({"contact": CONTACT_202_PHONE}, OMNI_WA_CLOSED, OMNI_WA_OPEN),
        ({"contact": "john.doe@example.com"}, OMNI_WA_OPEN, OMNI_WA_CLOSED),
        ({"tenant": "acme"}, OMNI_WA_OPEN, None),
        ({"tenant": "globex"}, None, OMNI_WA_OPEN),
    ],
)
def test_a_scoped_whatsapp_fails_fails_only_what_it_covers(
    omni: OmniClient, scope: Record, failing: int | None, passing: int | None
) -> None:
    switch(omni, "POST", {"api": "omni-inbox", **scope})
    omni.inbound(OMNI_WA_CLOSED, "Is my order on its way?")  # both windows open
    messages = {c: sent(omni, text(c)) for c in (failing, passing) if c is not None}
    omni.mock.settle()
    assert {c: status_of(omni, m) for c, m in messages.items()} == {
        c: "failed" if c == failing else "sent" for c in messages
    }
    switch(omni, "DELETE", {"api": "omni-inbox", **scope})
    after = {c: sent(omni, text(c, "Again")) for c in messages}
    omni.mock.settle()
    assert {status_of(omni, m) for m in after.values()} == {"sent"}


def test_for_one_request_only_with_the_header(omni: OmniClient) -> None:
    failing = sent(omni, text(OMNI_WA_OPEN), headers={"X-Mock-Scenario": "whatsapp-fails"})
    passing = sent(omni, text(OMNI_WA_OPEN, "Second"))
    omni.mock.settle()
    assert (status_of(omni, failing), status_of(omni, passing)) == ("failed", "sent")


def test_an_automation_sending_on_whatsapp_fails_too(omni: OmniClient) -> None:
    switch(omni, "POST")
    payload: Record = {"conversation": conversation(omni, OMNI_WA_OPEN), "contact": None, "messages": []}
    run = {"automation_id": OMNI_QUALIFY, "organization_id": OMNI_ACME, "conversation_id": OMNI_WA_OPEN}
    execution = omni.ok("POST", "/automations-executions", {**run, "initial_payload": payload}, 201)
    assert execution["status"] == "completed"
    assert "sent" not in execution
    omni.mock.settle()
    greeting = omni.messages(OMNI_WA_OPEN, "whatsapp")[-1]
    assert (greeting["sender_user_id"], greeting["status"]) == (None, "failed")


@pytest.mark.parametrize(
    ("switched", "error"),
    [
        ({"params": {"whatsapp_delivery": "delivered"}}, "params.whatsapp_delivery: "),
        (
            {"api": "omni-inbox", "conversation": str(OMNI_INSTAGRAM)},
            f"whatsapp-fails: whatsapp_delivery: conversation '{OMNI_INSTAGRAM}' is not a WhatsApp conversation",
        ),
        (
            {"api": "omni-inbox", "contact": "nobody@example.com"},
            "scope.contact: omni-inbox: no contact 'nobody@example.com' (by id, phone or email) in any organization",
        ),
    ],
)
def test_a_value_or_scope_it_cannot_take_is_a_400_that_changes_nothing(
    omni: OmniClient, switched: Record, error: str
) -> None:
    before = omni.state()
    answer = switch(omni, "POST", switched, status=400)
    assert answer["error"].startswith(error), answer
    assert "None" not in answer["error"]
    assert omni.state() == before


# -- D: a customer writes in -----------------------------------------------------------------------------------------


def inbound(omni: OmniClient, body: Record, status: int = 201) -> Record:
    response = omni.http.post(INBOUND, json={"organization_id": OMNI_ACME, **body})
    assert response.status_code == status, response.text
    answer: Record = response.json()
    return answer


def contacts_total(omni: OmniClient) -> int:
    return int(omni.ok("GET", "/contacts", params={"organization_id": OMNI_ACME, "$limit": 0})["total"])


def test_a_stranger_on_whatsapp_gets_a_contact_a_conversation_and_an_open_window(omni: OmniClient) -> None:
    before = contacts_total(omni)
    at, window = now_ms(omni), now_ms(omni, timedelta(hours=24))
    answer = inbound(omni, {"channel": "whatsapp", "phone": "+52 1 55 9999 0001", "name": "Ana  Lopez", "text": "Hola"})
    contact, thread, message = answer["contact"], answer["conversation"], answer["message"]
    assert contact == {
        "id": contact["id"],
        "first_name": "Ana",
        "last_name": "Lopez",
        "email": None,
        "phone": "5215599990001",
        "phone_country_code": None,
        "phone_country_iso": None,
        "organization_id": OMNI_ACME,
        "created_at": at,
        "updated_at": at,
        "deleted_at": None,
        "created_by_user_id": None,
        "owned_by_user_id": None,
        "company_id": None,
        "channel_whatsapp_wa_id": "5215599990001",
        "channel_instagram_user_id": None,
        "system_type": "contact",
        "avatar_url": None,
        "custom_fields_by_name": {},
        "tag_ids": [],
    }
    assert omni.ok("GET", f"/contacts/{contact['id']}") == contact
    assert contacts_total(omni) == before + 1
    assert thread == conversation(omni, thread["id"])
    assert (thread["channel"], thread["contact_id"], thread["status"]) == ("whatsapp", contact["id"], "open")
    assert (thread["unread_count"], thread["waiting_response"]) == (1, True)
    assert (thread["whatsapp_window_expires_at"], thread["last_interaction_at"]) == (window, at)
    assert (thread["assigned_user_id"], thread["assigned_ai_assistant_id"], thread["last_message_text"]) == (
        None,
        None,
        "Hola",
    )
    assert omni.messages(thread["id"], "whatsapp") == [message]
    assert (message["direction"], message["status"], message["message_text"]) == ("inbound", "received", "Hola")
    listed = omni.ok("GET", "/conversations", params={"organization_id": OMNI_ACME, "unread_count[$gt]": 0})
    assert thread["id"] in [c["id"] for c in listed["data"]]
    sent(omni, text(thread["id"], "Hi Ana, how can we help?"))  # the window is open: free text goes out

    again = inbound(omni, {"channel": "whatsapp", "phone": "5215599990001", "text": "Sigo aqui"})
    assert (again["contact"]["id"], again["conversation"]["id"]) == (contact["id"], thread["id"])
    assert again["conversation"]["unread_count"] == 1  # the reply read it; this message is the one unread
    assert contacts_total(omni) == before + 1


def test_a_stranger_by_email_on_webchat_gets_a_contact_with_that_email(omni: OmniClient) -> None:
    answer = inbound(omni, {"channel": "webchat", "email": "Visitor@Example.org", "text": "Do you ship to Peru?"})
    contact = answer["contact"]
    assert (contact["first_name"], contact["last_name"], contact["email"]) == ("New", "Customer", "Visitor@Example.org")
    assert (contact["phone"], contact["channel_whatsapp_wa_id"]) == (None, None)
    thread = answer["conversation"]
    assert (thread["channel"], thread["contact_id"], thread["unread_count"]) == ("webchat", contact["id"], 1)
    assert thread["whatsapp_window_expires_at"] is None
    again = inbound(omni, {"channel": "webchat", "email": "visitor@example.ORG", "text": "Hello?"})
    assert (again["contact"]["id"], again["conversation"]["id"]) == (contact["id"], thread["id"])
    assert again["conversation"]["unread_count"] == 2


def test_a_known_phone_lands_in_the_contacts_conversation_of_that_channel(omni: OmniClient) -> None:
    before, contacts = conversation(omni, OMNI_WA_CLOSED), contacts_total(omni)
    answer = inbound(omni, {"channel": "whatsapp", "phone": CONTACT_202_PHONE, "text": "Any news?"})
    assert (answer["contact"]["id"], answer["conversation"]["id"]) == (202, OMNI_WA_CLOSED)
    assert answer["conversation"] == conversation(omni, OMNI_WA_CLOSED)
    assert answer["conversation"]["unread_count"] == before["unread_count"] + 1
    assert answer["conversation"]["whatsapp_window_expires_at"] == now_ms(omni, timedelta(hours=24))
    assert contacts_total(omni) == contacts
    sent(omni, text(OMNI_WA_CLOSED, "Yes, it ships today"))


def test_a_known_email_lands_in_the_contacts_conversation(omni: OmniClient) -> None:
    webchat = conversation(omni, OMNI_WEBCHAT)
    answer = inbound(omni, {"channel": "webchat", "email": "MAYA.SINGH@example.net", "text": "Hi again"})
    assert (answer["contact"]["id"], answer["conversation"]["id"]) == (webchat["contact_id"], OMNI_WEBCHAT)
    assert answer["conversation"]["unread_count"] == webchat["unread_count"] + 1


def test_a_known_customer_on_a_new_channel_gets_a_new_conversation_not_a_new_contact(omni: OmniClient) -> None:
    contacts = contacts_total(omni)
    answer = inbound(omni, {"channel": "sms", "phone": "+1 123 456 7890", "text": "Texting instead"})
    thread = answer["conversation"]
    assert (answer["contact"]["id"], thread["channel"], thread["unread_count"]) == (OMNI_CONTACT, "sms", 1)
    assert thread["id"] not in (OMNI_WA_OPEN, OMNI_WA_CLOSED)
    assert contacts_total(omni) == contacts
    again = inbound(omni, {"channel": "sms", "phone": "1234567890", "text": "And again"})
    assert again["conversation"]["id"] == thread["id"]


def test_a_stranger_writing_in_under_whatsapp_fails_gets_failing_replies(omni: OmniClient) -> None:
    switch(omni, "POST", {"tenant": "acme"})
    thread = inbound(omni, {"channel": "whatsapp", "phone": "+52 55 0000 1111", "text": "Hola"})["conversation"]
    reply = sent(omni, text(thread["id"], "Hola!"))
    omni.mock.settle()
    assert status_of(omni, reply) == "failed"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"organization_id": None, "conversation_id": OMNI_WA_OPEN, "text": "hi"},
            400,
            "organization_id: an organization's id or key, not null",
        ),
        ({"organization_id": 999, "conversation_id": OMNI_WA_OPEN, "text": "hi"}, 404, "no organization 999; known: "),
        ({"conversation_id": 999999, "text": "hi"}, 404, f"no conversation 999999 in organization {OMNI_ACME}"),
        ({"conversation_id": None, "text": "hi"}, 400, "send conversation_id, or channel with phone or email"),
        (
            {"phone": "+5215599990002", "text": "hi"},
            400,
            f"{CHANNEL_REFUSED} (missing)",
        ),
        (
            {"channel": None, "phone": "+5215599990002", "text": "hi"},
            400,
            f"{CHANNEL_REFUSED} (not null)",
        ),
        ({"channel": "telegram", "phone": "+5215599990002", "text": "hi"}, 400, f'{CHANNEL_REFUSED} (not "telegram")'),
        (
            {"channel": "whatsapp", "email": "ana@example.com", "text": "hi"},
            400,
            "phone: required for a customer writing in on whatsapp",
        ),
        (
            {"channel": "webchat", "email": "not-an-email", "text": "hi"},
            400,
            'email: an email address such as ana@example.com, not "not-an-email"',
        ),
        (
            {"channel": "whatsapp", "phone": "+5215599990002", "text": None},
            400,
            "text: a message of 1 to 4096 characters",
        ),
    ],
)
def test_a_refused_inbound_names_the_field_never_none_and_changes_nothing(
    omni: OmniClient, body: Record, status: int, error: str
) -> None:
    before = omni.state()
    answer = inbound(omni, body, status)
    assert answer["error"].startswith(error), answer
    assert "None" not in answer["error"]
    assert omni.state() == before


def test_a_contact_scoped_fault_is_not_set_off_by_an_organization_with_the_same_number(omni: OmniClient) -> None:
    """Globex's contact 456 and acme's organization 456 share a number: an acme request naming its organization is
    not the contact's, one naming the contact's conversation is."""
    on = omni.http.post("/__mock/scenarios/vendor-down", json={"api": "omni-inbox", "contact": "456"})
    assert on.status_code == 200, on.text
    listed = omni.get("/conversations", params={"organization_id": 456})
    assert listed.status_code == 200, listed.text
    theirs = control.target_ids(omni.mock.app.backend.runtimes["omni-inbox"].store, Target(contact="456"))
    conversation_id = next(each for each in sorted(theirs) if each.isdigit() and each != "456" and len(each) == 4)
    globex = omni.with_key(27)
    hit = globex.get(f"/conversations/{conversation_id}", params={"organization_id": 27})
    assert hit.status_code == 503, hit.text
