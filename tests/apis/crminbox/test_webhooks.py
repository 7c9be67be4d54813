"""The CRM inbox's webhook seams over HTTP: `POST /webhooks/inbound-sms` (the shared secret, the org in the body) and
`POST /webhooks/inbound-email` (an installation's token, or the secret with `org_id`), and the control API's
inbound, which lands through the same code: how they authenticate, dedupe by provider id within the org, match the
sender to a contact (or make one), bring an archived thread back, count the message unread and let the setter
answer; inbound email's dead-letter table (never an error once authenticated); refusals that change nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_ARCHIVED_THREAD,
    CRM_CAROL,
    CRM_EMAIL_THREAD,
    CRM_GLOBEX,
    CRM_GLOBEX_THREAD,
    CRM_MARIA,
    CRM_NINA,
    CRM_SECRET,
    CRM_THREAD,
    CRM_TOKENS,
    CRM_TOM,
    CrmClient,
)

START = "2026-01-15T15:00:00Z"  # the frozen mock clock
ORG_PHONE, ORG_EMAIL = "+15550009999", "inbox@crm.example.com"
MARIA_PHONE = "+15551230001"
LUIS = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e04"  # Acme's contact whose thread is archived
LUIS_PHONE = "+15551230004"
SAM = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0f01"  # Globex's contact
SAM_PHONE = "+15552340001"
ACME_TOKEN = "inst_acme_4f2a9c1e7b3d5f8a0c2e4b6d8f1a3c5e"
GLOBEX_TOKEN = "inst_globex_9b1d3f5a7c2e4a6c8e0b2d4f6a8c1e3b"
SECRET = {"X-Iron-CRM-Secret": CRM_SECRET}
UNKNOWN_ORG = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d99"


# -- helpers -------------------------------------------------------------------------------------------------------


def post_sms(crm: CrmClient, body: Any, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    """The telephony engine's call: no user token, the secret unless `headers` says otherwise."""
    return crm.http.post(
        crm.url("/webhooks/inbound-sms"), json=body, headers=SECRET if headers is None else headers, **kwargs
    )


def sms(crm: CrmClient, sender: str, text: str, provider_id: str, org: str = CRM_ACME, **extra: Any) -> dict[str, Any]:
    body = {"org_id": org, "from": sender, "body": text, "provider_message_id": provider_id, **extra}
    response = post_sms(crm, body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def post_email(
    crm: CrmClient,
    body: Any = None,
    token: str | None = ACME_TOKEN,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """The cold-email engine's call: the installation token in the query (or none), headers as given."""
    params = {"token": token} if token is not None else {}
    if content is not None:
        sent = {"Content-Type": "application/json", **(headers or {})}
        return crm.http.post(crm.url("/webhooks/inbound-email"), content=content, params=params, headers=sent)
    return crm.http.post(crm.url("/webhooks/inbound-email"), json=body, params=params, headers=headers or {})


def email(
    crm: CrmClient, sender: str, text: str, message_id: str, token: str = ACME_TOKEN, **extra: Any
) -> dict[str, Any]:
    response = post_email(crm, {"from": sender, "text": text, "message_id": message_id, **extra}, token=token)
    assert response.status_code == 200, response.text
    return dict(response.json())


def thread(crm: CrmClient, conversation_id: str) -> dict[str, Any]:
    response = crm.get(f"/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def messages(crm: CrmClient, conversation_id: str) -> list[dict[str, Any]]:
    response = crm.get(f"/conversations/{conversation_id}/messages", params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def drafts(crm: CrmClient, conversation_id: str) -> list[dict[str, Any]]:
    return [m for m in messages(crm, conversation_id) if m["type"] == "suggestion"]


def inbox(crm: CrmClient, **params: Any) -> list[str]:
    """The ids GET /conversations lists (its default filters unless `params` says otherwise)."""
    response = crm.get("/conversations", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


def dead_letters(crm: CrmClient, org: str | None = None) -> list[dict[str, Any]]:
    response = crm.http.get("/__mock/crm-inbox/dead-letters", params={"org": org} if org else {})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def records(crm: CrmClient) -> Any:
    """The CRM inbox's records without the dead-letter table and the id generator (a parked email draws an id)."""
    snapshot = json.loads(crm.state())
    crm_inbox = snapshot["apis"]["crm-inbox"]
    del crm_inbox["store"]["dead_letters"], crm_inbox["rng"]
    return snapshot


def assert_detail(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"detail": detail}
    assert "www-authenticate" not in response.headers


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and str(uuid.UUID(value)) == value


def inbound_activity(
    activity_id: str, conversation_id: str, channel: str, body: str, sender: str, provider_id: str, **more: Any
) -> dict[str, Any]:
    """An inbound message as the timeline shows it, landed now through a seam."""
    return {
        "id": activity_id,
        "conversation_id": conversation_id,
        "type": channel,
        "direction": "inbound",
        "body": body,
        "subject": None,
        "from": sender,
        "to": ORG_PHONE if channel == "sms" else ORG_EMAIL,
        "provider_message_id": provider_id,
        "status": "received",
        "media": [],
        "call": None,
        "author_id": None,
        "actor": "system",
        "action": None,
        "created_at": START,
        "suggestion_id": None,
        **more,
    }


# -- inbound SMS: landing --------------------------------------------------------------------------------------------


def test_an_sms_from_a_known_number_lands_on_the_contacts_thread(crm: CrmClient) -> None:
    old_draft = next(d for d in drafts(crm, CRM_THREAD) if d["status"] == "pending")
    assert thread(crm, CRM_THREAD)["unread_count"] == 1
    text = "Can I see the Elm Street house on Saturday?"
    receipt = sms(crm, MARIA_PHONE, text, "SM7f3e2a1b0c9d8e7f6a5b4c3d2e1f0a9b", to=ORG_PHONE)
    assert set(receipt) == {"status", "conversation_id", "activity_id", "contact_id", "contact_created"}
    assert is_uuid(receipt["activity_id"])
    assert receipt == {
        "status": "received",
        "conversation_id": CRM_THREAD,
        "activity_id": receipt["activity_id"],
        "contact_id": CRM_MARIA,
        "contact_created": False,
    }
    timeline = messages(crm, CRM_THREAD)
    landed = next(m for m in timeline if m["id"] == receipt["activity_id"])
    assert landed == inbound_activity(
        receipt["activity_id"], CRM_THREAD, "sms", text, MARIA_PHONE, "SM7f3e2a1b0c9d8e7f6a5b4c3d2e1f0a9b"
    )
    after = thread(crm, CRM_THREAD)
    assert after["unread_count"] == 2
    assert after["last_activity_preview"] == {"type": "sms", "direction": "inbound", "body": text, "at": START}
    assert (after["archived"], after["updated_at"]) == (False, START)
    # Acme's setter is suggestive: the older pending draft is superseded by one answering the new message
    statuses = {d["id"]: d["status"] for d in drafts(crm, CRM_THREAD)}
    assert statuses[old_draft["id"]] == "superseded"
    new = [d for d in drafts(crm, CRM_THREAD) if d["status"] == "pending"]
    assert len(new) == 1 and new[0]["id"] != old_draft["id"]
    assert (new[0]["actor"], new[0]["created_at"], new[0]["author_id"]) == ("agent:setter", START, None)
    assert "Maria" in new[0]["body"]


@pytest.mark.parametrize("written", ["+1 (555) 123-0001", "+1 555 123 0001", "+1.555.123.0001", "+1-555-123-0001"])
def test_spaces_dashes_dots_and_brackets_in_the_number_are_ignored(crm: CrmClient, written: str) -> None:
    receipt = sms(crm, written, "Still there?", "SM-format")
    assert (receipt["status"], receipt["conversation_id"], receipt["contact_id"], receipt["contact_created"]) == (
        "received",
        CRM_THREAD,
        CRM_MARIA,
        False,
    )
    assert messages(crm, CRM_THREAD)[-2]["from"] == MARIA_PHONE  # the contact's number, as stored


def test_an_unknown_number_becomes_a_contact_with_a_new_thread(crm: CrmClient) -> None:
    before = inbox(crm)
    receipt = sms(crm, "+1 (555) 777-0000", "Hi, do you manage rentals in Midtown?", "SM-new-1")
    assert receipt["status"] == "received" and receipt["contact_created"] is True
    conversation_id, contact_id = receipt["conversation_id"], receipt["contact_id"]
    assert is_uuid(conversation_id) and is_uuid(contact_id)
    assert conversation_id not in before and contact_id != CRM_MARIA
    created = thread(crm, conversation_id)
    assert created == {
        "id": conversation_id,
        "org_id": CRM_ACME,
        "contact": {"id": contact_id, "name": "+15557770000", "phone": "+15557770000", "email": None},
        "channel": "sms",
        "subject": None,
        "last_activity_at": START,
        "last_activity_preview": {
            "type": "sms",
            "direction": "inbound",
            "body": "Hi, do you manage rentals in Midtown?",
            "at": START,
        },
        "unread_count": 1,
        "starred": False,
        "archived": False,
        "assigned_to": None,
        "overdue": False,
        "awaiting_reply_since": START,
        "sla_due_at": "2026-01-15T16:00:00Z",
        "created_at": START,
        "updated_at": START,
    }
    assert inbox(crm)[0] == conversation_id  # in the default list, newest first
    assert sorted(inbox(crm)) == sorted([*before, conversation_id])
    timeline = messages(crm, conversation_id)
    assert [(m["type"], m["status"]) for m in timeline] == [("sms", "received"), ("suggestion", "pending")]
    assert timeline[0] == inbound_activity(
        receipt["activity_id"],
        conversation_id,
        "sms",
        "Hi, do you manage rentals in Midtown?",
        "+15557770000",
        "SM-new-1",
    )
    # the same number written differently is now that contact
    again = sms(crm, "+15557770000", "Hello?", "SM-new-2")
    assert (again["conversation_id"], again["contact_id"], again["contact_created"]) == (
        conversation_id,
        contact_id,
        False,
    )
    assert thread(crm, conversation_id)["unread_count"] == 2


def test_an_sms_to_an_archived_thread_brings_it_back_to_the_inbox(crm: CrmClient) -> None:
    assert thread(crm, CRM_ARCHIVED_THREAD)["archived"] is True
    assert CRM_ARCHIVED_THREAD not in inbox(crm)
    unread = thread(crm, CRM_ARCHIVED_THREAD)["unread_count"]
    receipt = sms(crm, "+1 (555) 123-0004", "We're looking again, anything new?", "SM-luis")
    assert receipt == {
        "status": "received",
        "conversation_id": CRM_ARCHIVED_THREAD,
        "activity_id": receipt["activity_id"],
        "contact_id": LUIS,
        "contact_created": False,
    }
    back = thread(crm, CRM_ARCHIVED_THREAD)
    assert (back["archived"], back["unread_count"], back["updated_at"]) == (False, unread + 1, START)
    assert CRM_ARCHIVED_THREAD in inbox(crm)
    assert CRM_ARCHIVED_THREAD not in inbox(crm, archived=True)
    assert messages(crm, CRM_ARCHIVED_THREAD)[-2]["id"] == receipt["activity_id"]  # then the setter's draft


def test_globex_has_the_setter_off_so_an_sms_leaves_no_draft(crm: CrmClient) -> None:
    carol = crm.as_(CRM_CAROL, CRM_GLOBEX)
    before = messages(carol, CRM_GLOBEX_THREAD)
    receipt = sms(crm, SAM_PHONE, "Is the loft still free?", "SM-globex", org=CRM_GLOBEX)
    assert receipt == {
        "status": "received",
        "conversation_id": CRM_GLOBEX_THREAD,
        "activity_id": receipt["activity_id"],
        "contact_id": SAM,
        "contact_created": False,
    }
    after = messages(carol, CRM_GLOBEX_THREAD)
    assert after == [
        *before,
        inbound_activity(
            receipt["activity_id"], CRM_GLOBEX_THREAD, "sms", "Is the loft still free?", SAM_PHONE, "SM-globex"
        ),
    ]
    assert thread(carol, CRM_GLOBEX_THREAD)["unread_count"] == 2


def test_an_sms_from_acmes_number_to_globex_is_globexs_new_contact(crm: CrmClient) -> None:
    # contacts are matched within the org named in the body: Maria is Acme's, unknown to Globex
    receipt = sms(crm, MARIA_PHONE, "Hello Globex", "SM-cross", org=CRM_GLOBEX)
    assert receipt["contact_created"] is True and receipt["contact_id"] != CRM_MARIA
    carol = crm.as_(CRM_CAROL, CRM_GLOBEX)
    assert thread(carol, receipt["conversation_id"])["contact"]["phone"] == MARIA_PHONE
    assert crm.get(f"/conversations/{receipt['conversation_id']}").status_code == 404  # not Acme's


def test_the_org_id_is_read_case_insensitively(crm: CrmClient) -> None:
    receipt = sms(crm, MARIA_PHONE, "Upper case org", "SM-upper", org=CRM_ACME.upper())
    assert (receipt["status"], receipt["conversation_id"]) == ("received", CRM_THREAD)


# -- inbound SMS: dedupe ---------------------------------------------------------------------------------------------


def test_a_duplicate_sms_changes_nothing(crm: CrmClient) -> None:
    first = sms(crm, MARIA_PHONE, "Is parking included?", "SM-dup")
    pending = [d for d in drafts(crm, CRM_THREAD) if d["status"] == "pending"]
    assert first["status"] == "received" and len(pending) == 1
    unread = thread(crm, CRM_THREAD)["unread_count"]
    before = crm.state()
    again = sms(crm, MARIA_PHONE, "Is parking included?", "SM-dup")
    assert again == {**first, "status": "duplicate"}
    # a resend with another text or sender is still the same provider message
    other = sms(crm, "+15550000000", "something else", "SM-dup")
    assert other == {**first, "status": "duplicate"}
    assert crm.state() == before  # no activity, no draft, no contact, no unread bump
    assert thread(crm, CRM_THREAD)["unread_count"] == unread
    assert [d for d in drafts(crm, CRM_THREAD) if d["status"] == "pending"] == pending
    assert [m["id"] for m in messages(crm, CRM_THREAD)].count(first["activity_id"]) == 1


def test_a_seeded_provider_id_is_a_duplicate_of_the_seeded_message(crm: CrmClient) -> None:
    seeded = next(m for m in messages(crm, CRM_THREAD) if m["provider_message_id"] == "SM0001")
    before = crm.state()
    receipt = sms(crm, MARIA_PHONE, "Is the 3-bedroom on Elm Street still available?", "SM0001")
    assert receipt == {
        "status": "duplicate",
        "conversation_id": CRM_THREAD,
        "activity_id": seeded["id"],
        "contact_id": CRM_MARIA,
        "contact_created": False,
    }
    assert crm.state() == before


def test_dedupe_is_within_the_org(crm: CrmClient) -> None:
    acme = sms(crm, MARIA_PHONE, "Hi Acme", "SM-shared")
    globex = sms(crm, SAM_PHONE, "Hi Globex", "SM-shared", org=CRM_GLOBEX)
    assert (acme["status"], globex["status"]) == ("received", "received")
    assert globex["activity_id"] != acme["activity_id"] and globex["conversation_id"] == CRM_GLOBEX_THREAD
    globex_seeded = sms(crm, MARIA_PHONE, "Globex's seeded id, in Acme", "SM9001")
    assert globex_seeded["status"] == "received" and globex_seeded["conversation_id"] == CRM_THREAD


def test_an_unknown_sender_resent_is_not_a_second_contact(crm: CrmClient) -> None:
    first = sms(crm, "+15558889999", "New here", "SM-stranger")
    before = crm.state()
    again = sms(crm, "+15558889999", "New here", "SM-stranger")
    assert again == {**first, "status": "duplicate", "contact_created": False}
    assert crm.state() == before


# -- inbound SMS: refusals -------------------------------------------------------------------------------------------

VALID_SMS = {"org_id": CRM_ACME, "from": MARIA_PHONE, "body": "Hi", "provider_message_id": "SM-refused"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Iron-CRM-Secret": ""},
        {"X-Iron-CRM-Secret": "wrong"},
        {"X-Iron-CRM-Secret": CRM_SECRET + "x"},
        {"X-Iron-CRM-Secret": CRM_SECRET.upper()},
        {"Authorization": f"Bearer {CRM_TOKENS[CRM_ALICE]}"},
        {"Authorization": f"Bearer {CRM_TOKENS[CRM_ALICE]}", "X-Org-Id": CRM_ACME},
        {"Authorization": f"Bearer {CRM_SECRET}"},
    ],
    ids=["none", "empty", "wrong", "longer", "upper-case", "user-jwt", "user-jwt-and-org", "secret-as-bearer"],
)
def test_inbound_sms_without_the_secret_is_401_and_changes_nothing(crm: CrmClient, headers: dict[str, str]) -> None:
    before = crm.state()
    assert_detail(post_sms(crm, VALID_SMS, headers=headers), 401, "Invalid CRM secret")
    assert crm.state() == before


def test_an_installation_token_does_not_open_inbound_sms(crm: CrmClient) -> None:
    before = crm.state()
    assert_detail(post_sms(crm, VALID_SMS, headers={}, params={"token": ACME_TOKEN}), 401, "Invalid CRM secret")
    assert crm.state() == before


def test_an_unknown_org_is_404_and_changes_nothing(crm: CrmClient) -> None:
    before = crm.state()
    assert_detail(post_sms(crm, {**VALID_SMS, "org_id": UNKNOWN_ORG}), 404, "Organization not found")
    assert crm.state() == before


@pytest.mark.parametrize(
    ("change", "issue"),
    [
        ({"org_id": None}, {"type": "missing", "loc": ["body", "org_id"], "msg": "Field required", "input": None}),
        ({"from": None}, {"type": "missing", "loc": ["body", "from"], "msg": "Field required", "input": None}),
        ({"body": None}, {"type": "missing", "loc": ["body", "body"], "msg": "Field required", "input": None}),
        (
            {"provider_message_id": None},
            {"type": "missing", "loc": ["body", "provider_message_id"], "msg": "Field required", "input": None},
        ),
        (
            {"org_id": "acme"},
            {"type": "uuid_parsing", "loc": ["body", "org_id"], "msg": "Input should be a valid UUID", "input": "acme"},
        ),
        (
            {"from": "maria"},
            {
                "type": "string_pattern_mismatch",
                "loc": ["body", "from"],
                "msg": "String should match pattern '^\\+?(?:[ ().-]*[0-9]){7,15}[ ().-]*$'",
                "input": "maria",
            },
        ),
        (
            {"body": 5},
            {"type": "string_type", "loc": ["body", "body"], "msg": "Input should be a valid string", "input": 5},
        ),
        (
            {"provider_message_id": ""},
            {
                "type": "string_too_short",
                "loc": ["body", "provider_message_id"],
                "msg": "String should have at least 1 character",
                "input": "",
            },
        ),
        (
            {"media_urls": ["not a uri"]},
            {
                "type": "value_error",
                "loc": ["body", "media_urls", 0],
                "msg": 'Value error, "not a uri" is not a "uri"',
                "input": "not a uri",
            },
        ),
    ],
    ids=[
        "no-org",
        "no-from",
        "no-body",
        "no-provider-id",
        "org-not-uuid",
        "from-not-a-number",
        "body-not-text",
        "empty-provider-id",
        "media-not-uri",
    ],
)
def test_inbound_sms_schema_errors_are_422_and_change_nothing(
    crm: CrmClient, change: dict[str, Any], issue: dict[str, Any]
) -> None:
    body = {k: v for k, v in {**VALID_SMS, **change}.items() if v is not None}
    before = crm.state()
    response = post_sms(crm, body)
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": [issue]}
    assert crm.state() == before


def test_an_sms_body_over_1600_characters_is_422(crm: CrmClient) -> None:
    text = "x" * 1601
    before = crm.state()
    response = post_sms(crm, {**VALID_SMS, "body": text})
    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": [
            {
                "type": "string_too_long",
                "loc": ["body", "body"],
                "msg": "String should have at most 1600 characters",
                "input": text,
            }
        ]
    }
    assert crm.state() == before


def test_an_sms_body_that_is_not_an_object_is_422(crm: CrmClient) -> None:
    before = crm.state()
    response = post_sms(crm, [VALID_SMS])
    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": [
            {"type": "model_type", "loc": ["body"], "msg": "Input should be a valid object", "input": [VALID_SMS]}
        ]
    }
    assert crm.state() == before


def test_the_optional_sms_fields_are_taken(crm: CrmClient) -> None:
    receipt = sms(
        crm,
        MARIA_PHONE,
        "Photos attached",
        "SM-optional",
        to=ORG_PHONE,
        media_urls=["https://media.example.com/a.jpg"],
        received_at="2026-01-15T14:59:58Z",
        engine_field="ignored",
    )
    assert (receipt["status"], receipt["conversation_id"]) == ("received", CRM_THREAD)


# -- inbound email: landing ------------------------------------------------------------------------------------------


def test_an_email_with_the_installation_token_lands_on_the_senders_thread(crm: CrmClient) -> None:
    unread = thread(crm, CRM_EMAIL_THREAD)["unread_count"]
    receipt = email(
        crm, "TOM@Example.com", "Any news from the seller?", "<CAF=0a1b2c3d@mail.example.com>", subject="Re: Offer"
    )
    assert receipt == {
        "status": "received",
        "conversation_id": CRM_EMAIL_THREAD,
        "activity_id": receipt["activity_id"],
        "contact_id": CRM_TOM,
        "contact_created": False,
    }
    landed = messages(crm, CRM_EMAIL_THREAD)[-2]  # then the setter's draft (Acme: suggestive)
    assert landed == inbound_activity(
        receipt["activity_id"],
        CRM_EMAIL_THREAD,
        "email",
        "Any news from the seller?",
        "tom@example.com",
        "<CAF=0a1b2c3d@mail.example.com>",
        subject="Re: Offer",
    )
    after = thread(crm, CRM_EMAIL_THREAD)
    assert (after["unread_count"], after["subject"], after["channel"]) == (unread + 1, "Re: Offer", "email")
    assert messages(crm, CRM_EMAIL_THREAD)[-1]["status"] == "pending"


def test_an_email_with_the_secret_names_its_org_in_the_body(crm: CrmClient) -> None:
    response = post_email(
        crm,
        {"org_id": CRM_GLOBEX, "from": "sam@EXAMPLE.com", "text": "Is the loft furnished?", "message_id": "<g1@x>"},
        token=None,
        headers=SECRET,
    )
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt == {
        "status": "received",
        "conversation_id": CRM_GLOBEX_THREAD,
        "activity_id": receipt["activity_id"],
        "contact_id": SAM,
        "contact_created": False,
    }
    carol = crm.as_(CRM_CAROL, CRM_GLOBEX)
    timeline = messages(carol, CRM_GLOBEX_THREAD)
    assert timeline[-1]["id"] == receipt["activity_id"] and timeline[-1]["type"] == "email"  # Globex: no draft


def test_the_globex_token_lands_in_globex_whatever_the_body_says(crm: CrmClient) -> None:
    receipt = email(crm, "sam@example.com", "Hello", "<g2@x>", token=GLOBEX_TOKEN, org_id=CRM_ACME)
    assert (receipt["status"], receipt["conversation_id"], receipt["contact_id"]) == (
        "received",
        CRM_GLOBEX_THREAD,
        SAM,
    )
    acme = email(crm, "sam@example.com", "Hello", "<g3@x>", org_id=CRM_GLOBEX)  # the Acme token
    assert acme["contact_created"] is True and acme["conversation_id"] != CRM_GLOBEX_THREAD


def test_an_unknown_sender_email_becomes_a_contact_with_a_new_thread(crm: CrmClient) -> None:
    before = inbox(crm)
    receipt = email(crm, "New.Person@Example.org", "Do you list condos?", "<n1@x>", subject="Condos")
    assert receipt["status"] == "received" and receipt["contact_created"] is True
    created = thread(crm, receipt["conversation_id"])
    assert created["contact"] == {
        "id": receipt["contact_id"],
        "name": "New.Person",
        "phone": None,
        "email": "New.Person@Example.org",
    }
    assert (created["channel"], created["subject"], created["unread_count"], created["archived"]) == (
        "email",
        "Condos",
        1,
        False,
    )
    assert receipt["conversation_id"] not in before and inbox(crm)[0] == receipt["conversation_id"]
    again = email(crm, "new.person@example.ORG", "Hello again", "<n2@x>")
    assert (again["contact_id"], again["contact_created"]) == (receipt["contact_id"], False)


def test_a_known_contact_without_a_thread_gets_one(crm: CrmClient) -> None:
    receipt = email(crm, "nina@example.com", "Hi! Two-bedroom rentals?", "<nina@x>")
    assert (receipt["contact_id"], receipt["contact_created"]) == (CRM_NINA, False)
    assert thread(crm, receipt["conversation_id"])["contact"]["id"] == CRM_NINA
    assert receipt["conversation_id"] in inbox(crm)


def test_an_email_brings_the_archived_thread_back(crm: CrmClient) -> None:
    receipt = email(crm, "Luis@Example.com", "Back on the market", "<luis@x>")
    assert (receipt["conversation_id"], receipt["contact_id"], receipt["contact_created"]) == (
        CRM_ARCHIVED_THREAD,
        LUIS,
        False,
    )
    assert thread(crm, CRM_ARCHIVED_THREAD)["archived"] is False
    assert CRM_ARCHIVED_THREAD in inbox(crm)


def test_a_duplicate_email_changes_nothing(crm: CrmClient) -> None:
    first = email(crm, "maria@example.com", "Saturday at 11?", "<dup@mail>")
    before = crm.state()
    again = email(crm, "maria@example.com", "Saturday at 11?", "<dup@mail>")
    assert again == {**first, "status": "duplicate"}
    secret = post_email(
        crm,
        {"org_id": CRM_ACME, "from": "maria@example.com", "text": "Saturday at 11?", "message_id": "<dup@mail>"},
        token=None,
        headers=SECRET,
    )
    assert secret.status_code == 200 and secret.json() == again
    assert crm.state() == before
    assert dead_letters(crm) == []


def test_a_seeded_email_id_is_a_duplicate(crm: CrmClient) -> None:
    seeded = next(m for m in messages(crm, CRM_EMAIL_THREAD) if m["provider_message_id"] == "<msg-1@example.com>")
    before = crm.state()
    receipt = email(crm, "tom@example.com", "We'd like to offer $420k.", "<msg-1@example.com>")
    assert receipt == {
        "status": "duplicate",
        "conversation_id": CRM_EMAIL_THREAD,
        "activity_id": seeded["id"],
        "contact_id": CRM_TOM,
        "contact_created": False,
    }
    assert crm.state() == before


# -- inbound email: authentication -----------------------------------------------------------------------------------

VALID_EMAIL = {"org_id": CRM_ACME, "from": "maria@example.com", "text": "Hi", "message_id": "<refused@x>"}


@pytest.mark.parametrize(
    ("token", "headers"),
    [
        (None, {}),
        ("", {}),
        ("wrong", {}),
        (ACME_TOKEN + "x", {}),
        (None, {"X-Iron-CRM-Secret": "wrong"}),
        ("wrong", {"X-Iron-CRM-Secret": "wrong"}),
        (None, {"Authorization": f"Bearer {CRM_TOKENS[CRM_ALICE]}", "X-Org-Id": CRM_ACME}),
        (None, {"Authorization": f"Bearer {ACME_TOKEN}"}),
        (None, {"X-Iron-CRM-Secret": ACME_TOKEN}),
    ],
    ids=[
        "none",
        "empty",
        "wrong",
        "longer",
        "wrong-secret",
        "both-wrong",
        "user-jwt",
        "token-as-bearer",
        "token-as-secret",
    ],
)
def test_inbound_email_without_a_token_or_secret_is_401_and_changes_nothing(
    crm: CrmClient, token: str | None, headers: dict[str, str]
) -> None:
    before = crm.state()
    assert_detail(post_email(crm, VALID_EMAIL, token=token, headers=headers), 401, "Invalid webhook token")
    assert crm.state() == before
    assert dead_letters(crm) == []


def test_an_unauthenticated_bad_body_is_401_not_dead_lettered(crm: CrmClient) -> None:
    before = crm.state()
    assert_detail(post_email(crm, token=None, content=b"{not json"), 401, "Invalid webhook token")
    assert crm.state() == before


def test_a_wrong_secret_with_a_good_token_still_lands(crm: CrmClient) -> None:
    response = post_email(crm, VALID_EMAIL, headers={"X-Iron-CRM-Secret": "wrong"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "received"


# -- inbound email: the dead-letter table ----------------------------------------------------------------------------


def park(crm: CrmClient, response: httpx.Response, error: str) -> dict[str, Any]:
    """The answer of a parked email, exactly; returns it."""
    assert response.status_code == 200, response.text
    answer = dict(response.json())
    assert is_uuid(answer.get("dead_letter_id"))
    assert answer == {"status": "dead_lettered", "dead_letter_id": answer["dead_letter_id"], "error": error}
    return answer


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"{not json", "body: not valid JSON"),
        (b"\xff\xfe\x00", "body: not valid JSON"),
        (b'{"from": "maria@example.com", "text": "Hi \\ud800", "message_id": "<p0@x>"}', "body: not valid JSON"),
        (b"", "body: a JSON object is required"),
        (b"[1, 2]", "body: a JSON object is required"),
        (b'"a string"', "body: a JSON object is required"),
        (b"null", "body: a JSON object is required"),
        (b'{"text": "Hi", "message_id": "<p1@x>"}', "from: Field required"),
        (b'{"from": "maria@example.com", "message_id": "<p2@x>"}', "text: Field required"),
        (b'{"from": "maria@example.com", "text": "Hi"}', "message_id: Field required"),
        (
            b'{"from": "maria@example.com", "text": "  ", "message_id": "<p3@x>"}',
            "text: String should have at least 1 character",
        ),
        (b'{"from": "maria", "text": "Hi", "message_id": "<p4@x>"}', "from: not an email address"),
        (b'{"from": 7, "text": "Hi", "message_id": "<p5@x>"}', "from: Input should be a valid string"),
        (
            b'{"from": "maria@example.com", "text": "Hi", "message_id": "<p6@x>", "subject": 5}',
            "subject: Input should be a valid string",
        ),
        (
            b'{"from": "maria@example.com", "text": "Hi", "message_id": "<p7@x>", "to": ["a@b.c"]}',
            "to: Input should be a valid string",
        ),
        (
            b'{"from": "maria@example.com", "text": "Hi", "message_id": "<p8@x>", "in_reply_to": {}}',
            "in_reply_to: Input should be a valid string",
        ),
    ],
    ids=[
        "not-json",
        "not-utf8",
        "lone-surrogate",
        "empty",
        "array",
        "string",
        "null",
        "no-from",
        "no-text",
        "no-message-id",
        "blank-text",
        "from-not-email",
        "from-not-text",
        "subject-not-text",
        "to-not-text",
        "in-reply-to-not-text",
    ],
)
def test_what_an_authenticated_email_cannot_land_is_parked(crm: CrmClient, payload: bytes, error: str) -> None:
    before = records(crm)
    answer = park(crm, post_email(crm, content=payload), error)
    assert dead_letters(crm) == [
        {
            "id": answer["dead_letter_id"],
            "received_at": START,
            "org_id": CRM_ACME,  # the token named it
            "payload": payload.decode("utf-8", errors="replace"),
            "error": error,
        }
    ]
    assert records(crm) == before  # nothing landed anywhere


def test_an_unknown_or_missing_org_with_the_secret_is_parked(crm: CrmClient) -> None:
    before = records(crm)
    unknown = {**VALID_EMAIL, "org_id": UNKNOWN_ORG}
    first = park(crm, post_email(crm, unknown, token=None, headers=SECRET), f"org_id: no organization {UNKNOWN_ORG}")
    missing = {k: v for k, v in VALID_EMAIL.items() if k != "org_id"}
    second = park(
        crm, post_email(crm, missing, token=None, headers=SECRET), "org_id: a uuid is required with X-Iron-CRM-Secret"
    )
    third = park(
        crm,
        post_email(crm, {**VALID_EMAIL, "org_id": "acme"}, token=None, headers=SECRET),
        "org_id: a uuid is required with X-Iron-CRM-Secret",
    )
    letters = dead_letters(crm)
    assert [(d["id"], d["org_id"], d["received_at"]) for d in letters] == [
        (first["dead_letter_id"], None, START),
        (second["dead_letter_id"], None, START),
        (third["dead_letter_id"], None, START),
    ]
    assert json.loads(letters[0]["payload"]) == unknown and json.loads(letters[1]["payload"]) == missing
    assert len({d["id"] for d in letters}) == 3
    assert records(crm) == before


def test_dead_letters_are_listed_oldest_first_and_by_org(crm: CrmClient) -> None:
    acme = park(crm, post_email(crm, content=b"[]"), "body: a JSON object is required")
    crm.advance("1h")
    globex = park(crm, post_email(crm, {"text": "Hi"}, token=GLOBEX_TOKEN), "from: Field required")
    # a good email in between is not a dead letter
    assert email(crm, "maria@example.com", "fine", "<fine@x>")["status"] == "received"
    everything = dead_letters(crm)
    assert [(d["id"], d["org_id"], d["received_at"]) for d in everything] == [
        (acme["dead_letter_id"], CRM_ACME, START),
        (globex["dead_letter_id"], CRM_GLOBEX, "2026-01-15T16:00:00Z"),
    ]
    assert dead_letters(crm, CRM_ACME) == everything[:1]
    assert dead_letters(crm, CRM_GLOBEX) == everything[1:]
    assert dead_letters(crm, UNKNOWN_ORG) == []


def test_a_parked_email_can_be_sent_again_once_fixed(crm: CrmClient) -> None:
    park(crm, post_email(crm, {"from": "maria@example.com", "message_id": "<retry@x>"}), "text: Field required")
    receipt = email(crm, "maria@example.com", "Now with text", "<retry@x>")  # the parked one did not count
    assert (receipt["status"], receipt["conversation_id"]) == ("received", CRM_THREAD)
    assert len(dead_letters(crm)) == 1


# -- the control API's inbound goes through the same code ------------------------------------------------------------


def control_inbound(crm: CrmClient, **body: Any) -> httpx.Response:
    return crm.http.post("/__mock/crm-inbox/inbound", json={"org": CRM_ACME, "channel": "sms", **body})


def test_control_inbound_dedupes_by_provider_id(crm: CrmClient) -> None:
    first = control_inbound(crm, contact=CRM_MARIA, body="Via control", provider_message_id="SM-control")
    assert first.status_code == 201, first.text
    before = crm.state()
    again = control_inbound(crm, contact=CRM_MARIA, body="Via control", provider_message_id="SM-control")
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert again.json()["activity"] == first.json()["activity"]
    assert again.json()["conversation_id"] == CRM_THREAD
    assert crm.state() == before
    # and the webhook sees the same provider ids
    assert sms(crm, MARIA_PHONE, "Via control", "SM-control")["status"] == "duplicate"
    assert crm.state() == before


def test_control_inbound_and_the_webhook_share_provider_ids(crm: CrmClient) -> None:
    receipt = sms(crm, MARIA_PHONE, "Via webhook", "SM-webhook")
    before = crm.state()
    again = control_inbound(crm, contact=CRM_MARIA, body="Via webhook", provider_message_id="SM-webhook")
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["activity"]["id"]) == (False, receipt["activity_id"])
    assert crm.state() == before


def test_a_control_inbound_duplicate_for_a_contact_without_a_thread_changes_nothing(crm: CrmClient) -> None:
    before = crm.state()
    response = control_inbound(crm, contact=CRM_NINA, body="Dup", provider_message_id="SM0001")
    assert response.status_code == 200, response.text
    assert response.json()["created"] is False
    assert crm.state() == before


def test_control_inbound_brings_the_archived_thread_back(crm: CrmClient) -> None:
    response = control_inbound(crm, contact=LUIS, body="Looking again", provider_message_id="SM-luis-control")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["conversation_id"] == CRM_ARCHIVED_THREAD and body["created"] is True
    assert body["activity"] == inbound_activity(
        body["activity"]["id"], CRM_ARCHIVED_THREAD, "sms", "Looking again", LUIS_PHONE, "SM-luis-control"
    )
    assert body["suggestion"] is not None and body["suggestion"]["status"] == "pending"
    back = thread(crm, CRM_ARCHIVED_THREAD)
    assert (back["archived"], back["updated_at"]) == (False, START)
    assert CRM_ARCHIVED_THREAD in inbox(crm)


# -- senders and control bodies that are no message (found on review) ----------------------------------------------


@pytest.mark.parametrize("sender", ["-------", "(((   )))", "+", "..-..-..", "+1-"])
def test_a_sender_with_no_digits_is_refused_before_anything_lands(crm: CrmClient, sender: str) -> None:
    before = crm.state()
    response = post_sms(
        crm, {"org_id": CRM_ACME, "from": sender, "body": "Hi", "provider_message_id": f"SM-{uuid.uuid4()}"}, SECRET
    )
    assert response.status_code == 422, response.text
    assert [(i["type"], i["loc"]) for i in response.json()["detail"]] == [("string_pattern_mismatch", ["body", "from"])]
    assert crm.state() == before


def test_a_new_contact_named_by_its_number_gets_a_draft_that_greets_them(crm: CrmClient) -> None:
    landed = sms(crm, "+1 (555) 777-0001", "Do you have anything near the lake?", "SM-greet-1")
    assert landed["contact_created"] is True
    draft = drafts(crm, landed["conversation_id"])[-1]
    assert draft["status"] == "pending" and draft["body"].split()[1].rstrip(",!.") == "+15557770001"


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"provider_message_id": 5}, "provider_message_id: a string of up to 4096 characters"),
        ({"subject": ["x"]}, "subject: a string of up to 4096 characters"),
        ({"channel": "call", "call": {"duration_seconds": "abc"}}, "call.duration_seconds: whole seconds, 0 to 86400"),
        ({"channel": "call", "call": {"duration_seconds": -1}}, "call.duration_seconds: whole seconds, 0 to 86400"),
        ({"channel": "call", "call": {"outcome": "hung-up"}}, "call.outcome: one of answered, missed, voicemail"),
    ],
    ids=["provider-id-number", "subject-list", "duration-text", "duration-negative", "outcome-unknown"],
)
def test_control_inbound_refuses_values_the_thread_could_not_show(
    crm: CrmClient, extra: dict[str, Any], error: str
) -> None:
    before = crm.state()
    response = control_inbound(crm, contact=CRM_MARIA, body="Hi", **extra)
    assert response.status_code == 400 and response.json() == {"error": error}
    assert crm.state() == before
