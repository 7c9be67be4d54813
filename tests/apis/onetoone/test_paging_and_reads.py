"""1TO1 AI reads through HTTP: cursor paging of conversations, messages and tester contacts, contacts, and the
conversation status with its 24h window on the mock clock."""

from __future__ import annotations

from typing import Any

from tests.support.onetoone import (
    CLOSED_CONVERSATION,
    DOC_CONVERSATION,
    DOC_PHONE,
    GLOBEX_CONVERSATION,
    GLOBEX_TOKEN,
    TESTER_CONVERSATION,
    OneToOneClient,
)

GENERATED_PER_BUSINESS = 50  # fixtures/1to1ai.yaml: generated.conversations_per_business
ACME_FIXED = [DOC_CONVERSATION, CLOSED_CONVERSATION, TESTER_CONVERSATION]
DOC_CONTACT = "6f7a8b9c-0001-4d0e-9f1a-3b4c5d6e7f01"
TESTER_CONTACT = "6f7a8b9c-0001-4d0e-9f1a-3b4c5d6e7f03"
GLOBEX_CONTACT = "6f7a8b9c-0002-4d0e-9f1a-3b4c5d6e7f01"


def walk(api: OneToOneClient, path: str, limit: int | None) -> list[dict[str, Any]]:
    """Every page of a list, following next_cursor; checks the page invariants on the way."""
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {} if limit is None else {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = api.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor", "has_more"}
        pages.append(page)
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return pages
        assert isinstance(page["next_cursor"], str) and page["next_cursor"]
        assert len(page["items"]) == (limit or 50)
        cursor = page["next_cursor"]
        assert len(pages) < 200, "paging never ends"


def items(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for page in pages for item in page["items"]]


# -- conversations -----------------------------------------------------------------------------------------------


def test_walking_with_limit_7_visits_every_conversation_once(api: OneToOneClient) -> None:
    everything = items(walk(api, "/conversations", 100))
    expected = GENERATED_PER_BUSINESS + len(ACME_FIXED)
    assert len(everything) == expected
    assert len({c["uuid"] for c in everything}) == expected

    pages = walk(api, "/conversations", 7)
    walked = items(pages)
    uuids = [c["uuid"] for c in walked]
    assert len(uuids) == len(set(uuids)), "a conversation was visited twice"
    assert set(uuids) == {c["uuid"] for c in everything}
    assert set(ACME_FIXED) <= set(uuids)
    assert len(pages) == -(-expected // 7)
    assert len(pages[-1]["items"]) == expected - 7 * (len(pages) - 1)
    # the walk gives the same order as one big page
    assert uuids == [c["uuid"] for c in everything]


def test_conversations_are_newest_first(api: OneToOneClient) -> None:
    walked = items(walk(api, "/conversations", 7))
    stamps = [c["last_message_at"] or "" for c in walked]
    assert stamps == sorted(stamps, reverse=True)
    # the tester conversation (-30m) is the most recent of all, the doc one (-2h) right after it
    assert [c["uuid"] for c in walked[:2]] == [TESTER_CONVERSATION, DOC_CONVERSATION]
    assert walked[1]["last_message_at"] == "2026-01-15T13:00:00Z"


def test_default_page_is_50_then_the_rest(api: OneToOneClient) -> None:
    first = api.get("/conversations").json()
    assert len(first["items"]) == 50
    assert first["has_more"] is True
    rest = api.get("/conversations", params={"cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == len(ACME_FIXED)
    assert rest["has_more"] is False and rest["next_cursor"] is None


def test_real_and_tester_conversations_are_mixed(api: OneToOneClient) -> None:
    walked = items(walk(api, "/conversations", 100))
    assert {c["is_tester"] for c in walked} == {True, False}
    by_uuid = {c["uuid"]: c for c in walked}
    assert by_uuid[TESTER_CONVERSATION]["is_tester"] is True
    assert by_uuid[DOC_CONVERSATION]["is_tester"] is False


def test_tester_conversations_are_only_testers(api: OneToOneClient) -> None:
    everything = items(walk(api, "/conversations", 100))
    testers = items(walk(api, "/tester/conversations", 2))
    assert testers, "the seed has tester conversations"
    assert all(c["is_tester"] is True for c in testers)
    assert len(testers) == sum(1 for c in everything if c["is_tester"])
    assert {c["uuid"] for c in testers} == {c["uuid"] for c in everything if c["is_tester"]}
    assert TESTER_CONVERSATION in {c["uuid"] for c in testers}
    assert DOC_CONVERSATION not in {c["uuid"] for c in testers}


def test_lists_are_limited_to_the_business(api: OneToOneClient) -> None:
    acme = {c["uuid"] for c in items(walk(api, "/conversations", 100))}
    globex = {c["uuid"] for c in items(walk(api.as_("globex", GLOBEX_TOKEN), "/conversations", 100))}
    assert GLOBEX_CONVERSATION in globex and GLOBEX_CONVERSATION not in acme
    assert not acme & globex
    assert len(globex) == GENERATED_PER_BUSINESS + 1


# -- messages ----------------------------------------------------------------------------------------------------


def test_messages_are_newest_first_and_page_by_two(api: OneToOneClient) -> None:
    path = f"/conversations/{DOC_CONVERSATION}/messages"
    first = api.get(path, params={"limit": 2}).json()
    assert [m["body"] for m in first["items"]] == [
        "sí, te mando el documento",
        "¡Hola María! Sí, tenemos el X200. ¿Te envío la cotización?",
    ]
    assert first["has_more"] is True and first["next_cursor"]
    second = api.get(path, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [m["body"] for m in second["items"]] == ["Hola, ¿tienen el modelo X200 en existencia?"]
    assert second["has_more"] is False and second["next_cursor"] is None
    assert [m["is_from_customer"] for m in first["items"] + second["items"]] == [True, False, True]
    assert all(m["conversation_uuid"] == DOC_CONVERSATION for m in first["items"] + second["items"])
    assert first["items"][1]["author"] == {"name": "Sales Agent"}


def test_messages_default_limit_is_50(api: OneToOneClient) -> None:
    for n in range(52):
        api.inbound(f"mensaje {n}", conversation=DOC_CONVERSATION)
    pages = walk(api, f"/conversations/{DOC_CONVERSATION}/messages", None)
    assert [len(p["items"]) for p in pages] == [50, 5]
    bodies = [m["body"] for m in items(pages)]
    assert bodies[:3] == ["mensaje 51", "mensaje 50", "mensaje 49"]
    assert bodies[-1] == "Hola, ¿tienen el modelo X200 en existencia?"
    assert len({m["uuid"] for m in items(pages)}) == 55


def test_messages_of_unknown_conversation_is_404(api: OneToOneClient) -> None:
    response = api.get("/conversations/00000000-0000-4000-8000-000000000000/messages")
    assert response.status_code == 404
    assert response.json()["code"] == "CONVERSATION_NOT_FOUND"
    response = api.get(f"/conversations/{GLOBEX_CONVERSATION}/messages")
    assert response.status_code == 404
    assert response.json()["code"] == "CONVERSATION_NOT_FOUND"


def test_messages_cursor_belongs_to_its_conversation(api: OneToOneClient) -> None:
    cursor = api.get(f"/conversations/{DOC_CONVERSATION}/messages", params={"limit": 1}).json()["next_cursor"]
    response = api.get(f"/conversations/{CLOSED_CONVERSATION}/messages", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert "cursor" in response.json()["message"]


# -- contacts ----------------------------------------------------------------------------------------------------


def test_contact_of_the_doc_conversation(api: OneToOneClient) -> None:
    contact_uuid = api.conversation()["contact"]["uuid"]
    assert contact_uuid == DOC_CONTACT
    response = api.get(f"/contacts/{contact_uuid}")
    assert response.status_code == 200, response.text
    contact = response.json()
    assert contact["uuid"] == DOC_CONTACT
    assert contact["first_name"] == "María"
    assert contact["middle_name"] is None
    assert contact["last_name"] == "González"
    assert contact["second_last_name"] == "Ruiz"
    assert contact["full_name"] == "María González Ruiz"
    assert contact["whatsapp_id"] == "5215512345678"
    assert contact["is_tester"] is False
    assert contact["acquisition_source"] == "whatsapp"
    assert contact["created_at"] == "2025-12-16T15:00:00Z"  # -30d from the start


def test_unknown_contact_is_404(api: OneToOneClient) -> None:
    response = api.get("/contacts/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "CONTACT_NOT_FOUND"
    assert "00000000-0000-4000-8000-000000000000" in response.json()["message"]


def test_other_business_contact_is_404(api: OneToOneClient) -> None:
    assert api.as_("globex", GLOBEX_TOKEN).get(f"/contacts/{GLOBEX_CONTACT}").json()["first_name"] == "Ana"
    response = api.get(f"/contacts/{GLOBEX_CONTACT}")
    assert response.status_code == 404
    assert response.json()["code"] == "CONTACT_NOT_FOUND"


def test_tester_contacts_are_only_testers(api: OneToOneClient) -> None:
    contacts = items(walk(api, "/tester/contacts", 2))
    assert contacts
    assert all(c["is_tester"] is True for c in contacts)
    uuids = [c["uuid"] for c in contacts]
    assert len(uuids) == len(set(uuids))
    assert TESTER_CONTACT in uuids and DOC_CONTACT not in uuids
    tester_conversations = items(walk(api, "/tester/conversations", 100))
    assert set(uuids) == {c["contact"]["uuid"] for c in tester_conversations}
    stamps = [c["created_at"] for c in contacts]
    assert stamps == sorted(stamps, reverse=True)


# -- conversation status and the 24h window -------------------------------------------------------------------------


def status(api: OneToOneClient, **identifier: str) -> dict[str, Any]:
    response = api.post("/conversation/status", json={"conversation": identifier})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_doc_conversation_window_is_open_with_22_hours(api: OneToOneClient) -> None:
    body = status(api, uuid=DOC_CONVERSATION)
    assert body["conversation"] == {"uuid": DOC_CONVERSATION}
    assert body["window"] == {"status": "open", "hours_remaining": 22.0, "expires_at": "2026-01-16T13:00:00Z"}
    assert body["inbox_status"] == "pending"
    assert body["response_status"] == "unread"
    assert body["unread_count"] == 1
    assert body["mailbox"] == {"uuid": "2b3c4d5e-0001-4f6a-9b0c-1d2e3f4a5b01", "name": "Bandeja principal"}
    assert body["ai_employee"] == {"uuid": "3c4d5e6f-0001-4a7b-8c9d-0e1f2a3b4c01", "name": "Sales Agent"}
    assert body["tags"] == [{"uuid": "1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a01", "name": "VIP", "color": "#F5A623"}]


def test_status_by_phone_is_the_same_conversation(api: OneToOneClient) -> None:
    assert status(api, phone=DOC_PHONE) == status(api, uuid=DOC_CONVERSATION)
    assert status(api, whatsapp_user_id="5215512345678")["conversation"]["uuid"] == DOC_CONVERSATION


def test_closed_window_has_zero_hours_and_a_past_expiry(api: OneToOneClient) -> None:
    now = api.http.get("/__mock/clock").json()["now"]
    body = status(api, uuid=CLOSED_CONVERSATION)
    assert body["window"]["status"] == "closed"
    assert body["window"]["hours_remaining"] == 0
    assert body["window"]["expires_at"] == "2026-01-13T15:00:00Z"  # last inbound -72h, plus 24h
    assert body["window"]["expires_at"] < now
    assert body["inbox_status"] == "resolved"
    assert body["response_status"] == "responded"
    assert body["unread_count"] == 0
    assert body["mailbox"]["name"] == "Ventas"
    assert body["ai_employee"]["name"] == "Sales Agent"
    assert body["tags"] == []


def test_tester_conversation_has_no_ai_employee(api: OneToOneClient) -> None:
    body = status(api, uuid=TESTER_CONVERSATION)
    assert body["ai_employee"] is None
    assert body["window"]["status"] == "open"
    assert body["window"]["hours_remaining"] == 23.5


def test_window_follows_the_mock_clock(api: OneToOneClient) -> None:
    api.advance("21h")
    body = status(api, uuid=DOC_CONVERSATION)
    assert body["window"]["status"] == "open"
    assert body["window"]["hours_remaining"] == 1.0
    assert body["window"]["expires_at"] == "2026-01-16T13:00:00Z"
    api.advance("1h30m")
    body = status(api, uuid=DOC_CONVERSATION)
    assert body["window"]["status"] == "closed"
    assert body["window"]["hours_remaining"] == 0


def test_status_of_another_business_conversation_is_404(api: OneToOneClient) -> None:
    response = api.post("/conversation/status", json={"conversation": {"uuid": GLOBEX_CONVERSATION}})
    assert response.status_code == 404
    assert response.json()["code"] == "CONVERSATION_NOT_FOUND"
