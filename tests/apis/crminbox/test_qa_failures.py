"""Issue 18 (items 3 and 5) for the CRM inbox: a scoped scenario's conversation or contact checked against the store
(`find_target`), what produces every documented failure (`failures.FAILURE_SOURCES`, a handful sent for real), the
carrier refusing outbound SMS after the send was accepted (`carrier: refuses`, scenario `carrier-refuses`: read on
the timeline), and a customer who is not a contact yet writing in through `POST /__mock/crm-inbox/inbound`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mock_server import DATA_ROOT
from mock_server.apis.crminbox.control import find_target
from mock_server.apis.crminbox.failures import FAILURE_SOURCES
from mock_server.engine.scenarios import Target
from mock_server.engine.specs import load_yaml
from mock_server.testing import ConvoMock
from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_BOB,
    CRM_CALL_THREAD,
    CRM_CAROL,
    CRM_EMAIL_THREAD,
    CRM_GLOBEX,
    CRM_LAKESIDE,
    CRM_MARIA,
    CRM_SECRET,
    CRM_THREAD,
    CRM_TOM,
    CrmClient,
)

SCENARIO = "/__mock/scenarios/carrier-refuses"
INBOUND = "/__mock/crm-inbox/inbound"
DRAFT = "b4e2d1c0-6a5f-4e3d-9c2b-1a0f9e8d7c04"  # the pending setter draft of Maria's thread
MARIA_PHONE = "+15551230001"
OMAR_PHONE = "+15553450002"
OMAR_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4d02"  # Lakeside (autopilot available), answered
UNKNOWN = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4f99"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


# -- helpers ---------------------------------------------------------------------------------------------------------


def switch_on(crm: CrmClient, **body: Any) -> httpx.Response:
    return crm.http.post(SCENARIO, json=body or None)


def send_sms(client: CrmClient, conversation: str, text: str = "See you Friday!") -> dict[str, Any]:
    response = client.post(f"/conversations/{conversation}/messages", json={"channel": "sms", "body": text})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "sent"  # accepted as usual: the carrier answers later
    return dict(response.json())


def timeline_status(client: CrmClient, conversation: str, activity: str) -> str:
    response = client.get(f"/conversations/{conversation}/messages", params={"limit": 100})
    assert response.status_code == 200, response.text
    return str(next(a["status"] for a in response.json()["items"] if a["id"] == activity))


def settle(crm: CrmClient) -> None:
    assert crm.settle()["failures"] == []


def inbound(crm: CrmClient, **body: Any) -> httpx.Response:
    return crm.http.post(INBOUND, json=body)


def conversation(client: CrmClient, conversation_id: str) -> dict[str, Any]:
    response = client.get(f"/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- A: find_target ----------------------------------------------------------------------------------------------------


def test_find_target_checks_the_scoped_conversation_and_contact_exist(convomock: ConvoMock) -> None:
    store = convomock.app.backend.runtimes["crm-inbox"].store
    acme = convomock.app.backend.tenant_ids("crm-inbox", "acme")
    globex = convomock.app.backend.tenant_ids("crm-inbox", "globex")
    assert find_target(store, Target()) is None
    assert find_target(store, Target(conversation=CRM_THREAD)) is None
    assert find_target(store, Target(tenants=acme, conversation=CRM_THREAD.upper())) is None
    assert find_target(store, Target(contact=CRM_MARIA)) is None
    assert find_target(store, Target(contact="+1 (555) 123-0001")) is None  # Maria by phone
    assert find_target(store, Target(contact="TOM@example.com")) is None  # Tom by email
    assert find_target(store, Target(conversation=OMAR_THREAD, contact=OMAR_PHONE)) is None  # a subaccount's
    assert find_target(store, Target(conversation=UNKNOWN)) == f"no conversation '{UNKNOWN}' in any org"
    assert find_target(store, Target(tenants=globex, conversation=CRM_THREAD)) == (
        f"no conversation '{CRM_THREAD}' in org {CRM_GLOBEX}"
    )
    assert find_target(store, Target(contact="nobody@example.com")) == (
        "no contact 'nobody@example.com' (an id, phone or email) in any org"
    )
    assert find_target(store, Target(tenants=globex, contact=MARIA_PHONE)) == (
        f"no contact '{MARIA_PHONE}' (an id, phone or email) in org {CRM_GLOBEX}"
    )
    assert find_target(store, Target(conversation=CRM_THREAD, contact=CRM_TOM)) == (
        f"conversation '{CRM_THREAD}' is not contact '{CRM_TOM}''s"
    )


def test_a_scope_the_store_does_not_hold_is_refused_and_changes_nothing(crm: CrmClient) -> None:
    before = crm.state()
    refused = switch_on(crm, conversation=UNKNOWN)
    assert refused.status_code == 400, refused.text
    assert refused.json() == {"error": f"scope.conversation: crm-inbox: no conversation '{UNKNOWN}' in any org"}
    refused = switch_on(crm, contact="nobody@example.com")
    assert refused.status_code == 400, refused.text
    assert "no contact 'nobody@example.com'" in refused.json()["error"]
    refused = switch_on(crm, params={"carrier": "delivers"})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"].startswith("params.carrier: ")
    assert crm.state() == before
    assert crm.http.get(SCENARIO).json()["active"] is False


# -- B: failure sources ------------------------------------------------------------------------------------------------


def _documented() -> set[tuple[str, str]]:
    spec = load_yaml(DATA_ROOT / "specs" / "crm-inbox.yaml")
    found = set()
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                found |= {(operation["operationId"], str(s)) for s in operation["responses"] if str(s)[0] != "2"}
    return found


def test_every_documented_failure_has_one_source_and_every_source_a_documented_failure() -> None:
    documented = _documented()
    stars = {key.split()[1] for key in FAILURE_SOURCES if key.startswith("* ")}
    missing = sorted(
        f"{op} {status}" for op, status in documented if status not in stars and f"{op} {status}" not in FAILURE_SOURCES
    )
    assert missing == []
    statuses = {status for _, status in documented}
    named = {(key.split()[0], key.split()[1]) for key in FAILURE_SOURCES if not key.startswith("* ")}
    assert sorted(named - documented) == []
    assert stars <= statuses
    for key in FAILURE_SOURCES:  # a star row is not shadowed by a row of its own status
        assert not (key.split()[1] in stars and not key.startswith("* ")), key
    for key, sentence in FAILURE_SOURCES.items():
        assert sentence.strip() and "\n" not in sentence and len(sentence) <= 120, key


def _suggestion_twice(crm: CrmClient) -> httpx.Response:
    assert crm.post(f"/conversations/{CRM_THREAD}/suggestions/{DRAFT}/dismiss").status_code == 200
    return crm.post(f"/conversations/{CRM_THREAD}/suggestions/{DRAFT}/send")


def _with_scenario(name: str, send: Callable[[CrmClient], httpx.Response]) -> Callable[[CrmClient], httpx.Response]:
    def sent(crm: CrmClient) -> httpx.Response:
        with crm.mock.scenario(name):
            return send(crm)

    return sent


# key, what the sentence names (scenario or input), the request, status, body
CASES: list[tuple[str, str, Callable[[CrmClient], httpx.Response], int, Any]] = [
    (
        "listConversations 400",
        "not a uuid",
        lambda crm: crm.get("/conversations", headers={"X-Org-Id": "acme"}),
        400,
        {"detail": "X-Org-Id must be a UUID"},
    ),
    (
        "getConversation 403",
        "not a member",
        lambda crm: crm.get(f"/conversations/{CRM_THREAD}", headers={"X-Org-Id": CRM_GLOBEX}),
        403,
        {"detail": "Not a member of this organization"},
    ),
    (
        "getConversation 404",
        "conversation_id",
        lambda crm: crm.get(f"/conversations/{UNKNOWN}"),
        404,
        {"detail": "Conversation not found"},
    ),
    (
        "sendSuggestion 409",
        "no longer pending",
        _suggestion_twice,
        409,
        {"detail": "Suggestion already dismissed"},
    ),
    (
        "saveSetterConfig 403",
        "plain member",
        lambda crm: crm.as_(CRM_BOB).put("/agents/setter/config", json={"reply_delay_seconds": 5}),
        403,
        {"detail": "Only an owner or admin can change the setter config"},
    ),
    (
        "assignConversation 422",
        "not a member",
        lambda crm: crm.post(f"/conversations/{CRM_THREAD}/assign", json={"assigned_to": CRM_CAROL}),
        422,
        {
            "detail": [
                {
                    "type": "value_error",
                    "loc": ["body", "assigned_to"],
                    "msg": "Value error, user is not a member of this organization",
                    "input": CRM_CAROL,
                }
            ]
        },
    ),
    (
        "createImpersonation 404",
        "names no organisation",
        lambda crm: crm.post("/impersonate", json={"org_id": UNKNOWN}),
        404,
        {"detail": "Organization not found"},
    ),
    (
        "receiveInboundSms 401",
        "X-Iron-CRM-Secret",
        lambda crm: crm.post(
            "/webhooks/inbound-sms",
            json={"org_id": CRM_ACME, "from": MARIA_PHONE, "body": "Hi", "provider_message_id": "SM-x"},
            headers={"X-Iron-CRM-Secret": "wrong", "Authorization": ""},
        ),
        401,
        {"detail": "Invalid CRM secret"},
    ),
    (
        "receiveInboundSms 404",
        "names no organisation",
        lambda crm: crm.post(
            "/webhooks/inbound-sms",
            json={"org_id": UNKNOWN, "from": MARIA_PHONE, "body": "Hi", "provider_message_id": "SM-x"},
            headers={"X-Iron-CRM-Secret": CRM_SECRET},
        ),
        404,
        {"detail": "Organization not found"},
    ),
    (
        "uploadConversationMedia 415",
        "multipart/form-data",
        lambda crm: crm.post("/conversations/media", json={"file": "x"}),
        415,
        {"detail": "Unsupported Media Type: application/json"},
    ),
    (
        "* 401",
        "token-revoked",
        _with_scenario("token-revoked", lambda crm: crm.get("/conversations")),
        401,
        {"detail": "Invalid authentication credentials"},
    ),
    (
        "* 429",
        "rate-limited",
        _with_scenario("rate-limited", lambda crm: crm.get(f"/conversations/{CRM_THREAD}")),
        429,
        {"detail": "Too Many Requests"},
    ),
    (
        "* 503",
        "vendor-down",
        _with_scenario("vendor-down", lambda crm: crm.post(f"/conversations/{CRM_THREAD}/star")),
        503,
        {"detail": "Service Unavailable"},
    ),
]


@pytest.mark.parametrize(("key", "named", "send", "status", "body"), CASES, ids=[case[0] for case in CASES])
def test_a_documented_failure_is_sent_as_its_source_says(
    crm: CrmClient, key: str, named: str, send: Callable[[CrmClient], httpx.Response], status: int, body: Any
) -> None:
    sentence = FAILURE_SOURCES.get(key) or FAILURE_SOURCES[f"listConversations {key.split()[1]}"]
    assert named in sentence, (key, sentence)
    response = send(crm)
    assert response.status_code == status, response.text
    assert response.json() == body
    if status == 401 and key.startswith("*"):
        assert response.headers["WWW-Authenticate"] == "Bearer"
    if status in (429, 503):
        assert response.headers["Retry-After"] == "30"


# -- C: the carrier refuses ------------------------------------------------------------------------------------------


def test_the_carrier_refuses_an_accepted_sms_and_the_timeline_shows_it_failed(crm: CrmClient) -> None:
    on = switch_on(crm)
    assert on.status_code == 200 and on.json()["active"] is True, on.text
    sms = send_sms(crm, CRM_THREAD)
    email = crm.post(
        f"/conversations/{CRM_EMAIL_THREAD}/messages", json={"channel": "email", "subject": "Re", "body": "Hi"}
    )
    assert email.status_code == 201, email.text
    assert timeline_status(crm, CRM_THREAD, sms["id"]) == "sent"  # not yet: the receipt comes later
    crm.advance("4s")
    assert timeline_status(crm, CRM_THREAD, sms["id"]) == "sent"
    settle(crm)
    assert timeline_status(crm, CRM_THREAD, sms["id"]) == "failed"
    assert conversation(crm, CRM_THREAD)["updated_at"] == "2026-01-15T15:00:05Z"  # the receipt's time
    assert timeline_status(crm, CRM_EMAIL_THREAD, email.json()["id"]) == "sent"  # the carrier carries SMS only
    off = crm.http.delete(SCENARIO)
    assert off.status_code == 200 and off.json()["active"] is False, off.text
    later = send_sms(crm, CRM_THREAD, "Second try")
    settle(crm)
    assert timeline_status(crm, CRM_THREAD, later["id"]) == "sent"
    assert timeline_status(crm, CRM_THREAD, sms["id"]) == "failed"  # what it refused stays refused


def test_a_one_click_draft_send_is_refused_too(crm: CrmClient) -> None:
    assert switch_on(crm, conversation=CRM_THREAD).status_code == 200
    response = crm.post(f"/conversations/{CRM_THREAD}/suggestions/{DRAFT}/send")
    assert response.status_code == 200, response.text
    message = response.json()["message"]
    assert message["status"] == "sent"
    settle(crm)
    assert timeline_status(crm, CRM_THREAD, message["id"]) == "failed"
    assert timeline_status(crm, CRM_THREAD, DRAFT) == "sent"  # the draft was sent; the carrier refused the SMS


@pytest.mark.parametrize(
    "scope",
    [
        {"conversation": CRM_THREAD},
        {"contact": "+1 555 123 0001"},
        {"contact": "maria@example.com"},
        {"tenant": "acme"},
    ],
)
def test_a_scoped_refusal_refuses_only_inside_its_scope(crm: CrmClient, scope: dict[str, str]) -> None:
    assert switch_on(crm, **scope).status_code == 200
    maria = send_sms(crm, CRM_THREAD)
    priya = send_sms(crm, CRM_CALL_THREAD)
    carol = crm.as_(CRM_CAROL, CRM_GLOBEX)
    globex_thread = carol.get("/conversations").json()["items"][0]["id"]
    globex = send_sms(carol, globex_thread)
    settle(crm)
    assert timeline_status(crm, CRM_THREAD, maria["id"]) == "failed"
    assert timeline_status(crm, CRM_CALL_THREAD, priya["id"]) == ("failed" if "tenant" in scope else "sent")
    assert timeline_status(carol, globex_thread, globex["id"]) == "sent"
    assert crm.http.request("DELETE", SCENARIO, json=scope).json()["changed"] is True
    again = send_sms(crm, CRM_THREAD, "Again")
    settle(crm)
    assert timeline_status(crm, CRM_THREAD, again["id"]) == "sent"


def test_an_autopilot_reply_the_carrier_refuses_fails_after_it_was_sent(crm: CrmClient) -> None:
    lakeside = crm.as_(CRM_ALICE, CRM_LAKESIDE)
    saved = lakeside.put("/agents/setter/config", json={"response_mode": "autopilot"})
    assert saved.status_code == 200, saved.text
    assert switch_on(crm, contact=OMAR_PHONE).status_code == 200
    landed = inbound(crm, org=CRM_LAKESIDE, phone=OMAR_PHONE, body="Is the marina lot sold?")
    assert landed.status_code == 201, landed.text
    assert landed.json()["conversation_id"] == OMAR_THREAD
    draft = landed.json()["suggestion"]["id"]
    settle(crm)
    items = lakeside.get(f"/conversations/{OMAR_THREAD}/messages", params={"limit": 100}).json()["items"]
    reply = next(a for a in items if a["suggestion_id"] == draft)
    assert (reply["actor"], reply["to"], reply["status"]) == ("agent:setter", OMAR_PHONE, "failed")


# -- D: a customer who is not a contact yet writes in ----------------------------------------------------------------


def test_a_new_phone_becomes_a_contact_with_its_thread_and_the_setter_answers(crm: CrmClient) -> None:
    response = inbound(crm, org="acme", phone="+1 (555) 123-0077", name="Sam Rivera", body="Is Elm Street sold?")
    assert response.status_code == 201, response.text
    body = response.json()
    contact = body["contact"]
    assert UUID.fullmatch(contact["id"]) and UUID.fullmatch(body["conversation_id"])
    assert contact == {"id": contact["id"], "name": "Sam Rivera", "phone": "+15551230077", "email": None}
    assert (body["created"], body["contact_created"]) == (True, True)
    assert {k: body["activity"][k] for k in ("type", "direction", "status", "from", "to", "body", "actor")} == {
        "type": "sms",
        "direction": "inbound",
        "status": "received",
        "from": "+15551230077",
        "to": "+15550009999",
        "body": "Is Elm Street sold?",
        "actor": "system",
    }
    assert body["suggestion"]["status"] == "pending"  # Acme's setter is suggestive
    thread = conversation(crm, body["conversation_id"])
    assert (thread["contact"], thread["unread_count"], thread["org_id"]) == (contact, 1, CRM_ACME)
    assert thread["awaiting_reply_since"] == "2026-01-15T15:00:00Z"
    listed = crm.get("/conversations").json()["items"]
    assert listed[0]["id"] == body["conversation_id"]
    queue = crm.get("/setter/queue", params={"limit": 100}).json()["items"]
    assert any(a["conversation_id"] == body["conversation_id"] and a["contact_id"] == contact["id"] for a in queue)
    opened = crm.post(f"/contacts/{contact['id']}/conversations", json={})
    assert (opened.status_code, opened.json()["id"]) == (200, body["conversation_id"])  # Iron's contact, known now
    again = inbound(crm, org=CRM_ACME, phone="+15551230077", body="Hello?")
    assert again.status_code == 201, again.text
    assert (again.json()["conversation_id"], again.json()["contact_created"]) == (body["conversation_id"], False)
    assert conversation(crm, body["conversation_id"])["unread_count"] == 2


def test_a_new_email_sender_becomes_a_contact_and_a_known_address_lands_in_its_thread(crm: CrmClient) -> None:
    response = inbound(crm, org=CRM_ACME, channel="email", email="Sam@Example.com", subject="Viewing", body="Hi!")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["contact"] == {"id": body["contact"]["id"], "name": "Sam", "phone": None, "email": "Sam@Example.com"}
    assert body["contact_created"] is True
    assert (body["activity"]["type"], body["activity"]["from"], body["activity"]["subject"]) == (
        "email",
        "Sam@Example.com",
        "Viewing",
    )
    assert conversation(crm, body["conversation_id"])["subject"] == "Viewing"
    known = inbound(crm, org="acme", channel="email", email="TOM@example.com", subject="Offer", body="Any news?")
    assert known.status_code == 201, known.text
    assert (known.json()["conversation_id"], known.json()["contact"]["id"]) == (CRM_EMAIL_THREAD, CRM_TOM)
    assert known.json()["contact_created"] is False


def test_a_known_phone_lands_in_the_contacts_thread_and_a_new_one_in_globex_by_its_key(crm: CrmClient) -> None:
    maria = inbound(crm, org=CRM_ACME, phone="+1 555.123.0001", body="Still there?")
    assert maria.status_code == 201, maria.text
    assert (maria.json()["conversation_id"], maria.json()["contact"]["id"]) == (CRM_THREAD, CRM_MARIA)
    assert maria.json()["contact_created"] is False
    globex = inbound(crm, org="globex", channel="call", phone="+15557770000", call={"outcome": "missed"})
    assert globex.status_code == 201, globex.text
    assert globex.json()["contact"]["name"] == "+15557770000"
    assert globex.json()["activity"]["call"]["outcome"] == "missed"
    assert globex.json()["suggestion"] is None  # Globex's setter is off
    carol = crm.as_(CRM_CAROL, CRM_GLOBEX)
    assert conversation(carol, globex.json()["conversation_id"])["org_id"] == CRM_GLOBEX


def test_a_new_customers_duplicate_provider_id_creates_nobody(crm: CrmClient) -> None:
    before = crm.state()
    duplicate = inbound(crm, org=CRM_ACME, phone="+15551239999", body="Dup", provider_message_id="SM0001")
    assert duplicate.status_code == 200, duplicate.text
    assert (duplicate.json()["created"], duplicate.json()["conversation_id"]) == (False, CRM_THREAD)
    assert crm.state() == before


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"body": "Hi", "phone": "+15551230077"}, 404, "org: give an org's id or fixture key; known: "),
        ({"org": "initech", "body": "Hi", "phone": "+15551230077"}, 404, "no org 'initech'; known: "),
        ({"org": CRM_ACME, "body": "Hi"}, 400, "a customer writing in by sms: give phone, or an existing contact or"),
        (
            {"org": CRM_ACME, "channel": "email", "phone": "+15551230077", "body": "Hi"},
            400,
            "a customer writing in by email: give email, or an existing contact or conversation",
        ),
        ({"org": CRM_ACME, "phone": "call me", "body": "Hi"}, 400, "phone: a phone number of 8 to 15 digits"),
        ({"org": CRM_ACME, "channel": "email", "email": "sam", "body": "Hi"}, 400, "email: an email address"),
        ({"org": CRM_ACME, "phone": "+15551230077", "name": "", "body": "Hi"}, 400, "name: the new contact's name"),
        ({"org": CRM_ACME, "contact": "nobody@example.com", "body": "Hi"}, 404, "no contact 'nobody@example.com'"),
        ({"org": CRM_ACME, "conversation": UNKNOWN, "body": "Hi"}, 404, f"no conversation '{UNKNOWN}' in org"),
        ({"org": CRM_ACME, "conversation": 5, "body": "Hi"}, 400, "conversation: a conversation id"),
        ({"org": CRM_ACME, "phone": "+15551230077"}, 400, "body: a message of 1 to 4096 characters"),
    ],
)
def test_a_refused_inbound_says_what_was_wrong_and_changes_nothing(
    crm: CrmClient, body: dict[str, Any], status: int, error: str
) -> None:
    before = crm.state()
    response = inbound(crm, **body)
    assert response.status_code == status, response.text
    assert response.json()["error"].startswith(error), response.json()
    assert "None" not in response.json()["error"]
    assert crm.state() == before


def test_the_old_inbound_shapes_still_work(crm: CrmClient) -> None:
    by_contact = inbound(crm, org=CRM_ACME, contact=CRM_MARIA, channel="sms", body="By contact id")
    assert (by_contact.status_code, by_contact.json()["conversation_id"]) == (201, CRM_THREAD)
    by_thread = inbound(crm, org=CRM_ACME, conversation=CRM_EMAIL_THREAD, channel="note", body="A note")
    assert (by_thread.status_code, by_thread.json()["activity"]["status"]) == (201, "logged")
    by_phone_contact = inbound(crm, org=CRM_ACME, contact=MARIA_PHONE, body="By the contact's phone")
    assert by_phone_contact.json()["contact"]["id"] == CRM_MARIA


TOM_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b02"  # Tom Becker's: he has an email address and no phone


def test_a_known_customer_writes_by_a_channel_they_have_an_address_for(crm: CrmClient) -> None:
    landed = inbound(crm, org="acme", conversation=TOM_THREAD, body="Any update on the lease?")
    assert landed.status_code == 201, landed.text
    assert landed.json()["activity"]["type"] == "email"  # no phone on file: by email
    assert landed.json()["activity"]["from"] == "tom@example.com"
    before = crm.state()
    refused = inbound(crm, org="acme", conversation=TOM_THREAD, channel="sms", body="txt")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "channel: contact 3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e02 has no phone number to write by sms from"
    }
    assert crm.state() == before


def test_a_subaccount_with_credentials_is_a_tenant_a_scope_can_name(crm: CrmClient) -> None:
    lakeside = "11111111-2222-3333-4444-555555555555"  # the docs' X-Org-Id example: a subaccount, no fixture tenant
    on = crm.http.post("/__mock/scenarios/carrier-refuses", json={"tenant": lakeside})
    assert on.status_code == 200, on.text
    assert on.json()["activation"]["scope"] == {"tenant": lakeside}
    refused = crm.http.post(
        "/__mock/scenarios/carrier-refuses", json={"tenant": "22222222-0000-4000-8000-000000000000"}
    )
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("scope.tenant: crm-inbox has no tenant '22222222-0000-4000-8000-")
