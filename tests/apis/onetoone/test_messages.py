"""Messages, templates, quick replies, conversation identification (BSUIDs too) and small conversation changes,
all through the public HTTP API (plus the mock's control routes for the clock and inbound messages). Files and
media: test_files.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.onetoone import (
    CLOSED_CONVERSATION,
    DOC_CONVERSATION,
    DOC_PHONE,
    GLOBEX_CONVERSATION,
    GLOBEX_TOKEN,
    JOSE_BSUID,
    SEEDED_FILE,
    OneToOneClient,
)

KEY_NAME = "Integración CRM"
START = "2026-01-15T15:00:00Z"
START_PLUS_24H = "2026-01-16T15:00:00Z"
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
SCHEDULE_UUID = "8c9d0e1f-0001-4a2b-9c3d-4e5f6a7b8c01"
SCHEDULE_TEXT = "¿Pudiste revisar la cotización del X200?"
VENTAS_MAILBOX = "2b3c4d5e-0001-4f6a-9b0c-1d2e3f4a5b02"
GLOBEX_MAILBOX = "2b3c4d5e-0002-4f6a-9b0c-1d2e3f4a5b02"
CATALOGO_QR = "4d5e6f7a-0001-4b8c-9d0e-1f2a3b4c5d02"


def conv(uuid: str = DOC_CONVERSATION) -> dict[str, str]:
    return {"uuid": uuid}


def send_text(api: OneToOneClient, body: str = "Hola", uuid: str = DOC_CONVERSATION, **extra: Any) -> Any:
    return api.post("/conversation/messages/text", json={"conversation": conv(uuid), "body": body, **extra})


def send_template(api: OneToOneClient, uuid: str = DOC_CONVERSATION, **fields: Any) -> Any:
    return api.post("/conversation/messages/template", json={"conversation": conv(uuid), **fields})


def status(api: OneToOneClient, identifier: dict[str, str]) -> Any:
    return api.post("/conversation/status", json={"conversation": identifier})


def assert_error(response: Any, status_code: int, code: str) -> dict[str, Any]:
    assert response.status_code == status_code, response.text
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return dict(body)


ORDER_VARS = [{"index": 1, "value": "Ana"}, {"index": 2, "value": "A-7"}]
DOCUMENTED_MESSAGE_KEYS = {
    "uuid",
    "conversation_uuid",
    "is_from_customer",
    "body",
    "author",
    "external_id",
    "created_at",
    "sent_at",
    "event_type",
}


# -- text ---------------------------------------------------------------------------------------------------------


def test_send_text_appears_first_and_updates_the_conversation(api: OneToOneClient) -> None:
    before = api.conversation()
    assert before["response_status"] == "unread" and before["unread_count"] == 1
    assert before["last_message_preview"]["is_from_customer"] is True

    response = send_text(api, "Claro, te envío la cotización.")
    assert response.status_code == 201, response.text
    sent = response.json()
    assert set(sent) == {"message_uuid", "wamid"}
    assert sent["wamid"].startswith("wamid.")

    newest = api.messages()[0]
    assert newest["uuid"] == sent["message_uuid"]
    assert newest["external_id"] == sent["wamid"]
    assert newest["body"] == "Claro, te envío la cotización."
    assert newest["author"] == {"name": KEY_NAME}
    assert newest["is_from_customer"] is False
    assert newest["event_type"] is None
    assert newest["created_at"] == START and newest["sent_at"] == START

    after = api.conversation()
    assert after["last_message_preview"] == {
        "body": "Claro, te envío la cotización.",
        "content_type": "text",
        "is_from_customer": False,
    }
    assert after["last_message_at"] == START
    assert after["response_status"] == "responded"
    assert after["unread_count"] == 0


def test_every_message_has_exactly_the_documented_fields(api: OneToOneClient) -> None:
    assert send_text(api, "texto").status_code == 201
    assert send_text(api, "documento", file_uuid=SEEDED_FILE).status_code == 201
    assert (
        send_template(api, template_name="order_update", language="es_MX", body_variables=ORDER_VARS).status_code == 201
    )
    quick = api.post(
        "/conversation/messages/quick-reply", json={"conversation": conv(), "quick_reply": {"name": "catalogo"}}
    )
    assert quick.status_code == 201, quick.text
    group = {
        "conversation": conv(),
        "actions": [{"type": "context_note", "note": "nota"}, {"type": "ai_assistance", "instructions": "breve"}],
    }
    assert api.post("/conversation/actions", json=group).status_code == 202
    api.settle()
    api.inbound("gracias", conversation=DOC_CONVERSATION)

    items = api.messages()
    assert [m["event_type"] for m in items[:3]] == [None, "ai_draft", "context_note"]
    assert (
        len(items) == 3 + 1 + 2 + 1 + 1 + 1 + 1 + 1
    )  # seeded, text, media, template, quick reply (2), note, draft, inbound
    for item in items:
        assert set(item) == DOCUMENTED_MESSAGE_KEYS, item


def test_text_to_closed_window_is_refused_and_changes_nothing(api: OneToOneClient) -> None:
    before = api.state()
    assert_error(send_text(api, "¿Sigues ahí?", CLOSED_CONVERSATION), 422, "WINDOW_CLOSED")
    assert api.state() == before


def test_window_closes_after_24h_and_inbound_reopens_it(api: OneToOneClient) -> None:
    api.advance("25h")
    window = status(api, conv()).json()["window"]
    assert window["status"] == "closed" and window["hours_remaining"] == 0
    assert_error(send_text(api), 422, "WINDOW_CLOSED")

    inbound = api.inbound("Hola de nuevo", conversation=DOC_CONVERSATION)
    assert inbound["conversation_uuid"] == DOC_CONVERSATION and inbound["created"] is False
    window = status(api, conv()).json()["window"]
    assert window == {"status": "open", "hours_remaining": 24.0, "expires_at": "2026-01-17T16:00:00Z"}
    assert send_text(api, "Bienvenida de vuelta").status_code == 201


# -- templates ----------------------------------------------------------------------------------------------------


def test_template_goes_out_with_window_closed_and_reopens_it(api: OneToOneClient) -> None:
    assert api.conversation(CLOSED_CONVERSATION)["messaging_window_expires_at"] < START
    response = send_template(
        api, CLOSED_CONVERSATION, template_name="order_update", language="es_MX", body_variables=ORDER_VARS
    )
    assert response.status_code == 201, response.text
    newest = api.messages(CLOSED_CONVERSATION)[0]
    assert newest["uuid"] == response.json()["message_uuid"]
    assert newest["body"] == "Hola Ana, tu pedido A-7 ya va en camino."
    assert api.conversation(CLOSED_CONVERSATION)["last_message_preview"]["content_type"] == "template"
    assert newest["author"] == {"name": KEY_NAME}
    assert api.conversation(CLOSED_CONVERSATION)["messaging_window_expires_at"] == START_PLUS_24H
    assert status(api, conv(CLOSED_CONVERSATION)).json()["window"]["status"] == "open"
    assert send_text(api, "Ya puedo escribirte", CLOSED_CONVERSATION).status_code == 201


@pytest.mark.parametrize(
    "name, variables",
    [("promo_verano", [{"index": 1, "value": "Ana"}]), ("factura_lista", [{"index": 1, "value": "F-1"}])],
)
def test_templates_not_approved_are_refused(api: OneToOneClient, name: str, variables: list[Any]) -> None:
    before = api.state()
    body = assert_error(
        send_template(api, template_name=name, language="es_MX", body_variables=variables), 422, "TEMPLATE_NOT_APPROVED"
    )
    assert name in body["message"]
    assert api.state() == before


def test_template_language_required_and_normalised(api: OneToOneClient) -> None:
    body = assert_error(
        send_template(api, template_name="order_update", body_variables=ORDER_VARS), 422, "TEMPLATE_LANGUAGE_REQUIRED"
    )
    assert "es_MX" in body["message"] and "en_US" in body["message"]
    response = send_template(api, template_name="ORDER_UPDATE", language="es_mx", body_variables=ORDER_VARS)
    assert response.status_code == 201, response.text
    assert api.messages()[0]["body"] == "Hola Ana, tu pedido A-7 ya va en camino."
    response = send_template(api, template_name="order_update", language="EN_us", body_variables=ORDER_VARS)
    assert response.status_code == 201, response.text
    assert api.messages()[0]["body"] == "Hi Ana, your order A-7 is on its way."


@pytest.mark.parametrize("variables", [[{"index": 1, "value": "Ana"}], ORDER_VARS + [{"index": 3, "value": "x"}], []])
def test_wrong_body_variables_count_is_invalid(api: OneToOneClient, variables: list[Any]) -> None:
    before = api.state()
    body = assert_error(
        send_template(api, template_name="order_update", language="es_MX", body_variables=variables),
        400,
        "INVALID_REQUEST",
    )
    assert "body_variables" in body["message"]
    assert api.state() == before


def test_get_template_by_name_and_language(api: OneToOneClient) -> None:
    response = api.get("/templates/ORDER_UPDATE/es_mx")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["name"] == "order_update" and data["language"] == "es_MX"
    assert data["uuid"] == "5e6f7a8b-0001-4c9d-8e0f-2a3b4c5d6e01"
    assert data["status"] == "APPROVED" and data["body_text"] == "Hola {{1}}, tu pedido {{2}} ya va en camino."
    assert data["parameters"]["body_variables"] == [{"index": 1, "example": "María"}, {"index": 2, "example": "A-1042"}]
    assert data["parameters"]["header_parameter"] is None
    assert data["parameters"]["button_parameters"] == [{"index": 0, "text": "Ver pedido"}]

    pending = api.get("/templates/promo_verano/es_MX")
    assert pending.status_code == 200 and pending.json()["data"]["status"] == "PENDING"
    assert_error(api.get("/templates/order_update/fr_FR"), 404, "TEMPLATE_NOT_FOUND")
    assert_error(api.get("/templates/no_such_template/es_MX"), 404, "TEMPLATE_NOT_FOUND")
    assert_error(api.get("/templates/order-update/es_MX"), 400, "INVALID_REQUEST")


# -- quick replies ------------------------------------------------------------------------------------------------


def test_quick_reply_by_name_sends_its_parts_in_order(api: OneToOneClient) -> None:
    response = api.post(
        "/conversation/messages/quick-reply", json={"conversation": conv(), "quick_reply": {"name": "CATALOGO"}}
    )
    assert response.status_code == 201, response.text
    sent = response.json()["messages"]
    assert [m["subtype"] for m in sent] == ["text", "document"]
    assert all(m["wamid"].startswith("wamid.") for m in sent)

    newest = api.messages()[:2]
    assert [m["uuid"] for m in newest] == [sent[1]["message_uuid"], sent[0]["message_uuid"]]
    document, text = newest
    assert text["body"] == "Te comparto nuestro catálogo 2026 👇"
    assert document["body"] == "Catálogo Acme 2026"
    stored = api.stored_message(document["uuid"])
    assert stored["content_type"] == "document"
    assert stored["media"]["mime_type"] == "application/pdf" and stored["media"]["filename"] == "catalogo-2026.pdf"
    assert text["author"] == document["author"] == {"name": KEY_NAME}
    assert api.conversation()["last_message_preview"]["content_type"] == "document"


def test_quick_reply_by_uuid_unknown_and_closed_window(api: OneToOneClient) -> None:
    response = api.post(
        "/conversation/messages/quick-reply", json={"conversation": conv(), "quick_reply_uuid": CATALOGO_QR}
    )
    assert response.status_code == 201, response.text
    assert len(response.json()["messages"]) == 2
    assert api.messages()[1]["body"] == "Te comparto nuestro catálogo 2026 👇"

    before = api.state()
    assert_error(
        api.post(
            "/conversation/messages/quick-reply", json={"conversation": conv(), "quick_reply": {"name": "despedida"}}
        ),
        404,
        "QUICK_REPLY_NOT_FOUND",
    )
    assert_error(
        api.post("/conversation/messages/quick-reply", json={"conversation": conv(), "quick_reply_uuid": UNKNOWN_UUID}),
        404,
        "QUICK_REPLY_NOT_FOUND",
    )
    assert_error(
        api.post(
            "/conversation/messages/quick-reply",
            json={"conversation": conv(CLOSED_CONVERSATION), "quick_reply": {"name": "greeting"}},
        ),
        422,
        "WINDOW_CLOSED",
    )
    assert api.state() == before


def test_reply_to_must_be_a_message_of_the_conversation(api: OneToOneClient) -> None:
    before = api.state()
    assert_error(send_text(api, "Respuesta", reply_to_uuid=UNKNOWN_UUID), 404, "MESSAGE_NOT_FOUND")
    other = api.messages(CLOSED_CONVERSATION)[0]["uuid"]
    assert_error(send_text(api, "Respuesta", reply_to_uuid=other), 404, "MESSAGE_NOT_FOUND")
    assert api.state() == before
    quoted = api.messages()[0]["uuid"]
    assert send_text(api, "Respuesta", reply_to_uuid=quoted).status_code == 201


# -- identifying the conversation ---------------------------------------------------------------------------------


def test_phone_is_compared_as_digits(api: OneToOneClient) -> None:
    response = status(api, {"phone": "+52 1 55 1234 5678"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["conversation"] == {"uuid": DOC_CONVERSATION}
    assert body["mailbox"]["name"] == "Bandeja principal" and [t["name"] for t in body["tags"]] == ["VIP"]
    assert body["window"] == {"status": "open", "hours_remaining": 22.0, "expires_at": "2026-01-16T13:00:00Z"}
    response = api.post(
        "/conversation/messages/text", json={"conversation": {"phone": "+52 (1) 55-1234-5678"}, "body": "por teléfono"}
    )
    assert response.status_code == 201, response.text
    assert api.messages()[0]["body"] == "por teléfono"


def test_whatsapp_user_id_resolves(api: OneToOneClient) -> None:
    response = status(api, {"whatsapp_user_id": "5215512345678"})
    assert response.status_code == 200, response.text
    assert response.json()["conversation"] == {"uuid": DOC_CONVERSATION}


def test_a_bsuid_resolves_its_contact_everywhere(api: OneToOneClient) -> None:
    response = status(api, {"whatsapp_user_id": JOSE_BSUID})
    assert response.status_code == 200, response.text
    assert response.json()["conversation"] == {"uuid": CLOSED_CONVERSATION}
    assert response.json()["window"]["status"] == "closed" and response.json()["mailbox"]["name"] == "Ventas"
    scheduled = api.get("/conversation/scheduled-message", params={"whatsapp_user_id": JOSE_BSUID})
    assert scheduled.status_code == 200 and scheduled.json() == {"data": None}

    # a text send resolves the conversation, then meets its closed window: the resolution worked
    before = api.state()
    closed = api.post(
        "/conversation/messages/text", json={"conversation": {"whatsapp_user_id": JOSE_BSUID}, "body": "x"}
    )
    assert_error(closed, 422, "WINDOW_CLOSED")
    assert api.state() == before
    template = api.post(
        "/conversation/messages/template",
        json={
            "conversation": {"whatsapp_user_id": JOSE_BSUID},
            "template_name": "order_update",
            "language": "es_MX",
            "body_variables": ORDER_VARS,
        },
    )
    assert template.status_code == 201, template.text
    assert api.messages(CLOSED_CONVERSATION)[0]["uuid"] == template.json()["message_uuid"]


def test_the_digits_of_a_contact_with_a_bsuid_still_resolve(api: OneToOneClient) -> None:
    for identifier in ({"whatsapp_user_id": "5215587654321"}, {"phone": "+52 1 55 8765 4321"}):
        response = status(api, identifier)
        assert response.status_code == 200, response.text
        assert response.json()["conversation"] == {"uuid": CLOSED_CONVERSATION}


def test_a_bsuid_is_never_read_as_a_phone(api: OneToOneClient) -> None:
    # the docs' conversation has the phone 5215512345678: a BSUID holding those digits is another person
    for bsuid in ("US.5215512345678", "MX.5215512345678", "US.13491208655302741919", "US.ENT.13491208655302741918"):
        assert_error(status(api, {"whatsapp_user_id": bsuid}), 404, "CONVERSATION_NOT_FOUND")
    assert_error(
        api.get("/conversation/scheduled-message", params={"whatsapp_user_id": "US.5215512345678"}),
        404,
        "CONVERSATION_NOT_FOUND",
    )


@pytest.mark.parametrize(
    "value", ["US-13491208655302741918", "us.13491208655302741918", "+5215512345678", "US.", "12345"]
)
def test_malformed_whatsapp_user_ids_are_invalid(api: OneToOneClient, value: str) -> None:
    body = assert_error(status(api, {"whatsapp_user_id": value}), 400, "INVALID_REQUEST")
    assert "whatsapp_user_id" in body["message"]
    query = api.get("/conversation/scheduled-message", params={"whatsapp_user_id": value})
    assert_error(query, 400, "INVALID_REQUEST")


def test_another_business_bsuid_is_not_found(api: OneToOneClient) -> None:
    globex = api.as_("globex", GLOBEX_TOKEN)
    assert_error(status(globex, {"whatsapp_user_id": JOSE_BSUID}), 404, "CONVERSATION_NOT_FOUND")


def test_uuid_decides_without_fallback(api: OneToOneClient) -> None:
    assert_error(status(api, {"uuid": UNKNOWN_UUID, "phone": DOC_PHONE}), 404, "CONVERSATION_NOT_FOUND")
    assert_error(status(api, {"whatsapp_user_id": "5215599999999", "phone": DOC_PHONE}), 404, "CONVERSATION_NOT_FOUND")
    before = api.state()
    assert_error(
        api.post(
            "/conversation/messages/text",
            json={"conversation": {"uuid": UNKNOWN_UUID, "phone": DOC_PHONE}, "body": "x"},
        ),
        404,
        "CONVERSATION_NOT_FOUND",
    )
    assert api.state() == before


def test_other_business_conversation_is_not_found(api: OneToOneClient) -> None:
    before = api.state()
    assert_error(status(api, conv(GLOBEX_CONVERSATION)), 404, "CONVERSATION_NOT_FOUND")
    assert_error(send_text(api, "hola", GLOBEX_CONVERSATION), 404, "CONVERSATION_NOT_FOUND")
    assert_error(api.get(f"/conversations/{GLOBEX_CONVERSATION}"), 404, "CONVERSATION_NOT_FOUND")
    assert_error(status(api, {"phone": "+5215511112222"}), 404, "CONVERSATION_NOT_FOUND")
    assert api.state() == before


# -- inbox status and mailbox -------------------------------------------------------------------------------------


def test_resolve_then_inbound_sets_pending_again(api: OneToOneClient) -> None:
    assert api.conversation()["inbox_status"] == "pending"
    response = api.post("/conversation/resolve", json={"conversation": conv()})
    assert response.status_code == 200, response.text
    assert response.json() == {"conversation": {"uuid": DOC_CONVERSATION}, "inbox_status": "resolved"}
    assert api.conversation()["inbox_status"] == "resolved"
    again = api.post("/conversation/resolve", json={"conversation": {"phone": DOC_PHONE}})
    assert again.status_code == 200 and api.conversation()["inbox_status"] == "resolved"

    api.inbound("Una pregunta más", conversation=DOC_CONVERSATION)
    after = api.conversation()
    assert after["inbox_status"] == "pending"
    assert after["unread_count"] == 2 and after["response_status"] == "unread"
    assert api.messages()[0]["body"] == "Una pregunta más" and api.messages()[0]["is_from_customer"] is True


def test_move_to_mailbox(api: OneToOneClient) -> None:
    response = api.post("/conversation/mailbox", json={"conversation": conv(), "mailbox": {"uuid": VENTAS_MAILBOX}})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "conversation": {"uuid": DOC_CONVERSATION},
        "mailbox": {"uuid": VENTAS_MAILBOX, "name": "Ventas"},
    }
    assert api.conversation()["mailbox"] == {"uuid": VENTAS_MAILBOX, "name": "Ventas"}

    before = api.state()
    for mailbox in (UNKNOWN_UUID, GLOBEX_MAILBOX):
        assert_error(
            api.post("/conversation/mailbox", json={"conversation": conv(), "mailbox": {"uuid": mailbox}}),
            404,
            "MAILBOX_NOT_FOUND",
        )
    assert api.state() == before


# -- scheduled messages -------------------------------------------------------------------------------------------


def test_seeded_schedule_is_pending_then_fires(api: OneToOneClient) -> None:
    response = api.get("/conversation/scheduled-message", params={"uuid": DOC_CONVERSATION})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["uuid"] == SCHEDULE_UUID
    assert data["status"] == "pending" and data["schedule_at"] == "2026-01-16T11:00:00Z"
    assert data["message_kind"] == "message"  # the docs' vocabulary
    assert data["message_snapshot"] == {"kind": "message", "data": {"text": SCHEDULE_TEXT, "media": None}}
    assert data["author_snapshot"]["name"] == KEY_NAME and data["author_snapshot"]["type"] == "api_token"
    assert data["executor_kind"] == "human_user" and data["template_snapshot"] is None
    assert data["fired_at"] is None and data["created_at"] == "2026-01-15T14:00:00Z"
    by_phone = api.get("/conversation/scheduled-message", params={"phone": DOC_PHONE})
    assert by_phone.status_code == 200 and by_phone.json()["data"]["uuid"] == SCHEDULE_UUID
    assert api.get("/conversation/scheduled-message", params={"uuid": CLOSED_CONVERSATION}).json() == {"data": None}

    api.advance("21h")
    response = api.get("/conversation/scheduled-message", params={"uuid": DOC_CONVERSATION})
    assert response.status_code == 200 and response.json() == {"data": None}
    newest = api.messages()[0]
    assert newest["body"] == SCHEDULE_TEXT and newest["author"] == {"name": KEY_NAME}
    assert newest["created_at"] == "2026-01-16T11:00:00Z"


def test_scheduled_message_needs_an_identifier(api: OneToOneClient) -> None:
    body = assert_error(api.get("/conversation/scheduled-message"), 400, "INVALID_REQUEST")
    assert "uuid" in body["message"]
    assert_error(
        api.get("/conversation/scheduled-message", params={"uuid": UNKNOWN_UUID, "phone": DOC_PHONE}),
        404,
        "CONVERSATION_NOT_FOUND",
    )


def test_schedule_due_before_an_inbound_message_is_sent_before_it(api: OneToOneClient) -> None:
    # The schedule (+20h) is due before the customer writes (+21h): the thread must keep time order and the
    # customer's message, the last one, must leave the conversation unread.
    api.advance("21h")
    api.inbound("Sí, ya la revisé", conversation=DOC_CONVERSATION)
    newest = api.messages()[:2]
    assert [(m["body"], m["created_at"]) for m in newest] == [
        ("Sí, ya la revisé", "2026-01-16T12:00:00Z"),
        (SCHEDULE_TEXT, "2026-01-16T11:00:00Z"),
    ]
    after = api.conversation()
    assert after["last_message_preview"]["is_from_customer"] is True
    assert after["response_status"] == "unread" and after["unread_count"] == 1
