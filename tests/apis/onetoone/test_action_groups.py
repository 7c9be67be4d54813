"""Action groups (`POST /conversation/actions`): the synchronous preflight, the 202, and the background run read
back from the conversation's state and the business's activity log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.onetoone import (
    CLOSED_CONVERSATION,
    DOC_CONVERSATION,
    DOC_PHONE,
    GLOBEX_CONVERSATION,
    TESTER_CONVERSATION,
    OneToOneClient,
)

START = "2026-01-15T15:00:00Z"
START_PLUS_24H = "2026-01-16T15:00:00Z"
KEY_NAME = "Integración CRM"
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
VIP = "1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a01"
COTIZACION = "1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a02"
VENTAS_MAILBOX = "2b3c4d5e-0001-4f6a-9b0c-1d2e3f4a5b02"
SALES_AGENT = "3c4d5e6f-0001-4a7b-8c9d-0e1f2a3b4c01"
SUPPORT_AGENT = "3c4d5e6f-0001-4a7b-8c9d-0e1f2a3b4c02"
ACME_BALANCE = 100000
GREETING = "¡Hola! Gracias por escribir a Acme. ¿En qué te podemos ayudar?"
HELLO_AGAIN = "Hola, ¿podemos retomar tu conversación?"

DOCS_EXAMPLE = {
    "conversation": {"phone": "+5215512345678"},
    "stop_on_error": False,
    "actions": [
        {"type": "assign_label", "tags": [{"name": "VIP"}]},
        {"type": "context_note", "note": "Customer requested a quote."},
        {"type": "run_ai", "ai_employee": {"name": "Sales Agent"}},
    ],
}


def group(api: OneToOneClient, actions: list[dict[str, Any]], uuid: str = DOC_CONVERSATION, **extra: Any) -> Any:
    return api.post("/conversation/actions", json={"conversation": {"uuid": uuid}, "actions": actions, **extra})


def run(
    api: OneToOneClient, actions: list[dict[str, Any]], uuid: str = DOC_CONVERSATION, **extra: Any
) -> list[dict[str, Any]]:
    """Submit a group, expect 202, settle, and return its activity entries (oldest first)."""
    response = group(api, actions, uuid, **extra)
    assert response.status_code == 202, response.text
    api.settle()
    items = api.activity(group=response.json()["group_uuid"])["items"]
    assert [e["index"] for e in items] == list(range(len(actions)))
    return list(items)


def outcomes(entries: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(e["type"], e["status"], e["code"]) for e in entries]


def balance(api: OneToOneClient) -> int:
    return int(api.activity()["ai_token_balance"])


def assert_refused(
    api: OneToOneClient, actions: list[dict[str, Any]], status: int, code: str, uuid: str = DOC_CONVERSATION
) -> dict[str, Any]:
    """A preflight refusal: the error answers synchronously and nothing runs or changes."""
    before = api.state()
    response = group(api, actions, uuid)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code and body["message"]
    assert api.settle()["jobs_run"] == 0
    assert api.state() == before
    assert api.activity()["items"] == []
    return dict(body)


def note(text: str) -> dict[str, Any]:
    return {"type": "context_note", "note": text}


RUN_AI = {"type": "run_ai"}
TEXT = {"type": "send_message", "message": {"kind": "text", "body": "¿Seguimos con tu pedido?"}}
QR_OR_TEMPLATE = {
    "type": "send_quick_reply_or_template",
    "quick_reply": {"name": "greeting"},
    "template_name": "hello_again",
    "language": "es_MX",
}


# -- the docs' example --------------------------------------------------------------------------------------------


def test_docs_example_runs_all_three_actions(api: OneToOneClient) -> None:
    balance_before = balance(api)
    response = api.post("/conversation/actions", json=DOCS_EXAMPLE)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert set(accepted) == {"group_uuid", "status", "conversation", "action_count", "accepted_at"}
    assert accepted["status"] == "accepted"
    assert accepted["conversation"] == {"uuid": DOC_CONVERSATION}
    assert accepted["action_count"] == 3 and accepted["accepted_at"] == START

    api.settle()
    entries = api.activity(group=accepted["group_uuid"])["items"]
    assert [(e["index"], e["type"], e["status"]) for e in entries] == [
        (0, "assign_label", "succeeded"),
        (1, "context_note", "succeeded"),
        (2, "run_ai", "succeeded"),
    ]
    assert all(e["conversation_uuid"] == DOC_CONVERSATION and e["code"] is None for e in entries)

    messages = api.messages()
    notes = [m for m in messages if m["event_type"] == "context_note"]
    assert len(notes) == 1 and notes[0]["body"] == "Customer requested a quote."
    assert notes[0]["sent_at"] is None and notes[0]["external_id"] is None
    ai_message = messages[0]
    assert ai_message["uuid"] == entries[2]["detail"]["message_uuid"]
    assert ai_message["author"] == {"name": "Sales Agent"} and ai_message["event_type"] is None
    assert ai_message["is_from_customer"] is False and ai_message["sent_at"] == START and ai_message["body"]
    assert [t["name"] for t in api.conversation()["tags"]] == ["VIP"]

    spent = sum(e["detail"].get("tokens_spent", 0) for e in entries)
    assert spent > 0
    assert balance(api) == balance_before - spent == entries[2]["detail"]["balance_after"]


# -- preflight refusals -------------------------------------------------------------------------------------------


def test_eleven_actions_exceed_the_batch_limit(api: OneToOneClient) -> None:
    assert_refused(api, [note(f"n{i}") for i in range(11)], 422, "BATCH_LIMIT_EXCEEDED")


def test_four_ai_actions_exceed_the_batch_limit(api: OneToOneClient) -> None:
    actions = [RUN_AI, {"type": "ai_assistance"}, RUN_AI, {"type": "ai_assistance", "instructions": "breve"}]
    body = assert_refused(api, actions, 422, "BATCH_LIMIT_EXCEEDED")
    assert "4" in body["message"]


def test_three_ai_actions_and_ten_actions_are_accepted(api: OneToOneClient) -> None:
    entries = run(api, [RUN_AI, {"type": "ai_assistance"}, RUN_AI] + [note(f"n{i}") for i in range(7)])
    assert len(entries) == 10
    assert all(e["status"] == "succeeded" for e in entries)
    assert sum(1 for e in entries if "tokens_spent" in e["detail"]) == 3


@pytest.mark.parametrize(
    "action, code",
    [
        ({"type": "assign_label", "tags": [{"name": "VIP"}, {"name": "Inexistente"}]}, "LABEL_NOT_FOUND"),
        ({"type": "remove_label", "tags": [{"uuid": UNKNOWN_UUID}]}, "LABEL_NOT_FOUND"),
        ({"type": "assign_mailbox", "mailbox": {"name": "Cobranza"}}, "MAILBOX_NOT_FOUND"),
        ({"type": "run_ai", "ai_employee": {"name": "Asistente Cobranza"}}, "AI_EMPLOYEE_NOT_FOUND"),
        ({"type": "assign_ai_employee", "ai_employee": {"uuid": UNKNOWN_UUID}}, "AI_EMPLOYEE_NOT_FOUND"),
        (
            {"type": "send_message", "message": {"kind": "quick_reply", "quick_reply": {"name": "nope"}}},
            "QUICK_REPLY_NOT_FOUND",
        ),
        (
            {
                "type": "send_message",
                "message": {"kind": "template", "template_name": "no_existe", "language": "es_MX"},
            },
            "TEMPLATE_NOT_FOUND",
        ),
        ({**QR_OR_TEMPLATE, "template_name": "recordatorio_pago"}, "TEMPLATE_NOT_FOUND"),
        (
            {"type": "send_message", "message": {"kind": "text", "body": "x", "file_uuid": UNKNOWN_UUID}},
            "FILE_NOT_FOUND",
        ),
    ],
)
def test_unknown_references_refuse_the_whole_group(api: OneToOneClient, action: dict[str, Any], code: str) -> None:
    assert_refused(api, [note("antes"), action, {"type": "mark_resolved"}], 404, code)


@pytest.mark.parametrize("uuid", [UNKNOWN_UUID, GLOBEX_CONVERSATION])
def test_unknown_conversation_refuses_the_group(api: OneToOneClient, uuid: str) -> None:
    assert_refused(api, [note("x")], 404, "CONVERSATION_NOT_FOUND", uuid=uuid)


def test_template_not_approved_refuses_the_group(api: OneToOneClient) -> None:
    action = {
        "type": "send_message",
        "message": {
            "kind": "template",
            "template_name": "promo_verano",
            "language": "es_MX",
            "body_variables": [{"index": 1, "value": "A"}],
        },
    }
    body = assert_refused(api, [note("x"), action], 422, "TEMPLATE_NOT_APPROVED")
    assert "promo_verano" in body["message"]


def test_template_language_required_refuses_the_group(api: OneToOneClient) -> None:
    action = {"type": "send_message", "message": {"kind": "template", "template_name": "order_update"}}
    assert_refused(api, [action], 422, "TEMPLATE_LANGUAGE_REQUIRED")


def test_ai_tokens_empty_refuses_ai_groups_only(api: OneToOneClient) -> None:
    assert api.http.post("/__mock/scenarios/ai-tokens-empty").status_code == 200
    assert balance(api) == 0
    assert_refused(
        api, [{"type": "assign_label", "tags": [{"name": "Soporte"}]}, RUN_AI], 402, "INSUFFICIENT_AI_TOKENS"
    )
    assert_refused(api, [{"type": "ai_assistance"}], 402, "INSUFFICIENT_AI_TOKENS")

    entries = run(api, [{"type": "assign_label", "tags": [{"name": "Soporte"}]}])
    assert outcomes(entries) == [("assign_label", "succeeded", None)]
    assert "Soporte" in [t["name"] for t in api.conversation()["tags"]]

    assert api.http.delete("/__mock/scenarios/ai-tokens-empty").status_code == 200
    assert balance(api) == ACME_BALANCE
    assert group(api, [RUN_AI]).status_code == 202


# -- stop_on_error ------------------------------------------------------------------------------------------------


HALTING: list[dict[str, Any]] = [{"type": "assign_label", "tags": [{"name": "VIP"}]}, TEXT, {"type": "mark_resolved"}]


def _pending_closed_conversation(api: OneToOneClient) -> None:
    """The closed-window conversation is seeded resolved; make it pending so mark_resolved shows."""
    assert outcomes(run(api, [{"type": "mark_pending"}], CLOSED_CONVERSATION)) == [("mark_pending", "succeeded", None)]
    assert api.conversation(CLOSED_CONVERSATION)["inbox_status"] == "pending"


@pytest.mark.parametrize("extra", [{"stop_on_error": True}, {}], ids=["explicit", "default"])
def test_stop_on_error_halts_after_the_first_failure(api: OneToOneClient, extra: dict[str, Any]) -> None:
    _pending_closed_conversation(api)
    messages_before = api.messages(CLOSED_CONVERSATION)
    entries = run(api, HALTING, CLOSED_CONVERSATION, **extra)
    assert outcomes(entries) == [
        ("assign_label", "succeeded", None),
        ("send_message", "failed", "WINDOW_CLOSED"),
        ("mark_resolved", "skipped", None),
    ]
    assert entries[1]["message"]
    after = api.conversation(CLOSED_CONVERSATION)
    assert [t["name"] for t in after["tags"]] == ["VIP"]
    assert after["inbox_status"] == "pending"
    assert api.messages(CLOSED_CONVERSATION) == messages_before


def test_stop_on_error_false_runs_every_action(api: OneToOneClient) -> None:
    _pending_closed_conversation(api)
    entries = run(api, HALTING, CLOSED_CONVERSATION, stop_on_error=False)
    assert outcomes(entries) == [
        ("assign_label", "succeeded", None),
        ("send_message", "failed", "WINDOW_CLOSED"),
        ("mark_resolved", "succeeded", None),
    ]
    after = api.conversation(CLOSED_CONVERSATION)
    assert [t["name"] for t in after["tags"]] == ["VIP"] and after["inbox_status"] == "resolved"


# -- run-time decisions -------------------------------------------------------------------------------------------


def test_quick_reply_or_template_sends_the_quick_reply_while_open(api: OneToOneClient) -> None:
    entries = run(api, [QR_OR_TEMPLATE])
    assert outcomes(entries) == [("send_quick_reply_or_template", "succeeded", None)]
    assert entries[0]["detail"]["mode"] == "quick_reply"
    newest = api.messages()[0]
    assert newest["uuid"] == entries[0]["detail"]["message_uuids"][0]
    assert newest["body"] == GREETING and api.conversation()["last_message_preview"]["content_type"] == "text"
    assert newest["author"] == {"name": KEY_NAME}


def test_quick_reply_or_template_sends_the_template_when_closed(api: OneToOneClient) -> None:
    entries = run(api, [QR_OR_TEMPLATE], CLOSED_CONVERSATION)
    assert entries[0]["status"] == "succeeded" and entries[0]["detail"]["mode"] == "template"
    newest = api.messages(CLOSED_CONVERSATION)[0]
    assert newest["body"] == HELLO_AGAIN
    assert api.conversation(CLOSED_CONVERSATION)["last_message_preview"]["content_type"] == "template"
    assert api.conversation(CLOSED_CONVERSATION)["messaging_window_expires_at"] == START_PLUS_24H


def test_window_expired_scenario_makes_it_pick_the_template(api: OneToOneClient) -> None:
    assert api.http.post("/__mock/scenarios/window-expired").status_code == 200
    entries = run(api, [QR_OR_TEMPLATE])
    assert entries[0]["detail"]["mode"] == "template"
    assert api.messages()[0]["body"] == HELLO_AGAIN


def test_window_is_decided_when_each_action_runs(api: OneToOneClient) -> None:
    # Jobs start on the server's loop as soon as the 202 is out, so a scenario cannot be switched on between
    # the 202 and the run; instead an earlier action reopens the window that a later one depends on.
    entries = run(api, [QR_OR_TEMPLATE, QR_OR_TEMPLATE], CLOSED_CONVERSATION)
    assert [e["detail"]["mode"] for e in entries] == ["template", "quick_reply"]

    entries = run(
        api,
        [
            {"type": "send_message", "message": {"kind": "text", "body": "antes"}},
            {"type": "send_message", "message": {"kind": "template", "template_name": "hello_again"}},
            {"type": "send_message", "message": {"kind": "text", "body": "después"}},
        ],
        TESTER_CONVERSATION,
    )
    assert outcomes(entries) == [("send_message", "succeeded", None)] * 3  # window open: control group

    api.advance("25h")  # every seeded window is closed now
    entries = run(
        api,
        [
            {"type": "send_message", "message": {"kind": "text", "body": "antes"}},
            {"type": "send_message", "message": {"kind": "template", "template_name": "hello_again"}},
            {"type": "send_message", "message": {"kind": "text", "body": "después"}},
        ],
        TESTER_CONVERSATION,
        stop_on_error=False,
    )
    assert outcomes(entries) == [
        ("send_message", "failed", "WINDOW_CLOSED"),
        ("send_message", "succeeded", None),
        ("send_message", "succeeded", None),
    ]
    assert [m["body"] for m in api.messages(TESTER_CONVERSATION)[:2]] == ["después", HELLO_AGAIN]


# -- the other actions --------------------------------------------------------------------------------------------


def test_remove_label(api: OneToOneClient) -> None:
    entries = run(api, [{"type": "remove_label", "tags": [{"uuid": VIP}, {"name": "Mayoreo"}]}])
    assert outcomes(entries) == [("remove_label", "succeeded", None)]
    assert entries[0]["detail"] == {"tags": []}
    assert api.conversation()["tags"] == []


def test_assign_label_keeps_existing_ones(api: OneToOneClient) -> None:
    run(api, [{"type": "assign_label", "tags": [{"name": "vip"}, {"uuid": COTIZACION}]}])
    assert [t["uuid"] for t in api.conversation()["tags"]] == [VIP, COTIZACION]


def test_assign_mailbox_by_name(api: OneToOneClient) -> None:
    entries = run(api, [{"type": "assign_mailbox", "mailbox": {"name": "ventas"}}])
    assert entries[0]["status"] == "succeeded"
    assert api.conversation()["mailbox"] == {"uuid": VENTAS_MAILBOX, "name": "Ventas"}


def test_mark_pending_after_resolve(api: OneToOneClient) -> None:
    assert api.post("/conversation/resolve", json={"conversation": {"phone": DOC_PHONE}}).status_code == 200
    assert api.conversation()["inbox_status"] == "resolved"
    entries = run(api, [{"type": "mark_pending"}])
    assert outcomes(entries) == [("mark_pending", "succeeded", None)]
    assert api.conversation()["inbox_status"] == "pending"


def test_run_ai_uses_the_employee_assigned_earlier_in_the_group(api: OneToOneClient) -> None:
    entries = run(api, [{"type": "assign_ai_employee", "ai_employee": {"name": "Support Agent"}}, RUN_AI])
    assert outcomes(entries) == [("assign_ai_employee", "succeeded", None), ("run_ai", "succeeded", None)]
    assert entries[1]["detail"]["ai_employee_uuid"] == SUPPORT_AGENT
    assert api.conversation()["ai_employee"] == {"uuid": SUPPORT_AGENT, "name": "Support Agent"}
    assert api.messages()[0]["author"] == {"name": "Support Agent"}


def test_run_ai_without_an_employee_fails_at_run_time(api: OneToOneClient) -> None:
    assert api.conversation(TESTER_CONVERSATION)["ai_employee"] is None
    balance_before = balance(api)
    messages_before = api.messages(TESTER_CONVERSATION)
    entries = run(api, [RUN_AI], TESTER_CONVERSATION)
    assert outcomes(entries) == [("run_ai", "failed", "AI_EMPLOYEE_NOT_ASSIGNED")]
    assert api.messages(TESTER_CONVERSATION) == messages_before
    assert balance(api) == balance_before


def test_ai_assistance_adds_a_draft_that_is_not_sent(api: OneToOneClient) -> None:
    preview_before = api.conversation()["last_message_preview"]
    balance_before = balance(api)
    entries = run(api, [{"type": "ai_assistance", "instructions": "Ofrece envío gratis"}])
    assert entries[0]["status"] == "succeeded"
    draft = api.messages()[0]
    assert draft["uuid"] == entries[0]["detail"]["message_uuid"]
    assert draft["event_type"] == "ai_draft"
    assert draft["sent_at"] is None and draft["external_id"] is None
    assert draft["author"] == {"name": "Sales Agent"} and "Ofrece envío gratis" in draft["body"]
    after = api.conversation()
    assert after["last_message_preview"] == preview_before
    assert after["unread_count"] == 1 and after["response_status"] == "unread"
    assert balance(api) == balance_before - entries[0]["detail"]["tokens_spent"]


def test_run_ai_on_a_closed_window_fails(api: OneToOneClient) -> None:
    balance_before = balance(api)
    messages_before = api.messages(CLOSED_CONVERSATION)
    entries = run(api, [{"type": "run_ai", "ai_employee": {"uuid": SALES_AGENT}}], CLOSED_CONVERSATION)
    assert outcomes(entries) == [("run_ai", "failed", "WINDOW_CLOSED")]
    assert api.messages(CLOSED_CONVERSATION) == messages_before
    assert balance(api) == balance_before


def test_two_groups_on_one_conversation_run_in_submission_order(api: OneToOneClient) -> None:
    first = group(api, [note("A1"), {"type": "assign_label", "tags": [{"name": "Cotización"}]}, note("A2")])
    second = group(api, [note("B1"), {"type": "remove_label", "tags": [{"name": "Cotización"}]}])
    assert first.status_code == 202 and second.status_code == 202, (first.text, second.text)
    api.settle()
    items = api.activity(conversation=DOC_CONVERSATION)["items"]
    groups = {first.json()["group_uuid"]: "A", second.json()["group_uuid"]: "B"}
    assert [(groups[e["group_uuid"]], e["index"]) for e in items] == [("A", 0), ("A", 1), ("A", 2), ("B", 0), ("B", 1)]
    notes = [m["body"] for m in api.messages() if m["event_type"] == "context_note"]
    assert notes == ["B1", "A2", "A1"]  # newest first
    assert [t["name"] for t in api.conversation()["tags"]] == ["VIP"]
