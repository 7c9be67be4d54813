"""Every documented failure reachable (issue 18, items 3 and 5): the scope check of a scoped scenario (find_target),
what produces each documented non-2xx answer (failures.py), the state effects send_outcome, template_delivery and
ai_tokens_run_out_after with their scenarios, and a customer who is not a contact yet writing in."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from mock_server import DATA_ROOT
from mock_server.apis.onetoone.control import find_target
from mock_server.apis.onetoone.failures import FAILURE_SOURCES
from mock_server.engine.scenarios import Target
from mock_server.testing import ConvoMock
from tests.support.onetoone import (
    ACME_REVOKED_TOKEN,
    CLOSED_CONVERSATION,
    DOC_CONVERSATION,
    DOC_PHONE,
    GLOBEX_TOKEN,
    JOSE_BSUID,
    TESTER_CONVERSATION,
    OneToOneClient,
)

START = "2026-01-15T15:00:00Z"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
TEXT = {"body": "¿Te llegó la cotización?"}
GREETING = {"quick_reply": {"name": "greeting"}}
HELLO_AGAIN = {"template_name": "hello_again", "language": "es_MX"}
SALES_AGENT = {"name": "Sales Agent"}
NEW_PHONE = "+52 1 55 4444 3333"


def on(api: OneToOneClient, name: str, **body: Any) -> None:
    response = api.http.post(f"/__mock/scenarios/{name}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True


def off(api: OneToOneClient, name: str) -> None:
    response = api.http.delete(f"/__mock/scenarios/{name}")
    assert response.status_code == 200 and response.json()["active"] is False, response.text


def send(api: OneToOneClient, kind: str, fields: dict[str, Any], uuid: str = DOC_CONVERSATION) -> Any:
    return api.post(f"/conversation/messages/{kind}", json={"conversation": {"uuid": uuid}, **fields})


def group(api: OneToOneClient, actions: list[dict[str, Any]], uuid: str = DOC_CONVERSATION, **extra: Any) -> Any:
    response = api.post("/conversation/actions", json={"conversation": {"uuid": uuid}, "actions": actions, **extra})
    assert response.status_code == 202, response.text
    return response.json()["group_uuid"]


def entries(api: OneToOneClient, group_uuid: str) -> list[tuple[int, str, str, str | None]]:
    return [(e["index"], e["type"], e["status"], e["code"]) for e in api.activity(group=group_uuid)["items"]]


def window(api: OneToOneClient, uuid: str) -> str:
    response = api.post("/conversation/status", json={"conversation": {"uuid": uuid}})
    assert response.status_code == 200, response.text
    return str(response.json()["window"]["status"])


def balance(api: OneToOneClient) -> int:
    return int(api.activity()["ai_token_balance"])


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code and body["message"], body


# -- A: a scope's conversation and contact ------------------------------------------------------------------------


def test_find_target_names_what_the_store_does_not_hold(mock: ConvoMock) -> None:
    store = mock.app.backend.runtimes["1to1ai"].store
    globex = mock.app.backend.tenant_ids("1to1ai", "globex")
    assert find_target(store, Target(conversation=DOC_CONVERSATION)) is None
    assert find_target(store, Target(contact="+52 1 55 1234 5678")) is None  # a phone, as written
    assert find_target(store, Target(contact=JOSE_BSUID)) is None  # a BSUID
    assert find_target(store, Target(contact="6f7a8b9c-0001-4d0e-9f1a-3b4c5d6e7f01")) is None  # a contact uuid
    assert find_target(store, Target(conversation=UNKNOWN)) == f"no conversation '{UNKNOWN}' in any business"
    assert find_target(store, Target(tenants=globex, conversation=DOC_CONVERSATION)) == (
        f"no conversation '{DOC_CONVERSATION}' in globex"
    )
    assert find_target(store, Target(tenants=globex, contact=DOC_PHONE)) == (
        f"no contact '{DOC_PHONE}' (by uuid, phone or BSUID) in globex"
    )


def test_a_scope_the_store_does_not_hold_is_refused_with_400(api: OneToOneClient) -> None:
    before = api.state()
    response = api.http.post("/__mock/scenarios/send-failed", json={"conversation": UNKNOWN})
    assert response.status_code == 400
    assert f"no conversation '{UNKNOWN}'" in response.json()["error"]
    refused = api.http.post("/__mock/scenarios/ai-tokens-run-out", json={"conversation": DOC_CONVERSATION})
    assert refused.status_code == 400 and "ai_tokens_run_out_after is a business's" in refused.json()["error"]
    assert api.state() == before


# -- B: what produces each documented failure ---------------------------------------------------------------------


def test_every_documented_failure_has_one_source() -> None:
    spec = yaml.safe_load((DATA_ROOT / "specs" / "1to1ai.yaml").read_text(encoding="utf-8"))
    documented = {
        (operation["operationId"], str(status))
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
        for status in operation["responses"]
        if not str(status).startswith("2")
    }
    operations = {operation for operation, _ in documented}
    everywhere = {status for status in {s for _, s in documented} if all((o, status) in documented for o in operations)}
    keys = set(FAILURE_SOURCES)
    for operation, status in documented:
        assert f"{operation} {status}" in keys or f"* {status}" in keys, (operation, status)
    for key in keys:
        operation, status = key.split(" ")
        assert (operation == "*" and status in everywhere) or (operation, status) in documented, key
        assert not (operation != "*" and f"* {status}" in keys), f"{key} repeats * {status}"
    assert all(FAILURE_SOURCES[key].strip() and "\n" not in FAILURE_SOURCES[key] for key in keys)


CASES: list[tuple[str, str | None, str, str, dict[str, Any], int, str]] = [
    # (FAILURE_SOURCES key, scenario, method, path, json body, status, code)
    ("sendTextMessage 502", "send-failed", "POST", "/conversation/messages/text", TEXT, 502, "SEND_FAILED"),
    ("sendQuickReply 502", "send-failed", "POST", "/conversation/messages/quick-reply", GREETING, 502, "SEND_FAILED"),
    (
        "sendTemplateMessage 502",
        "send-failed",
        "POST",
        "/conversation/messages/template",
        HELLO_AGAIN,
        502,
        "SEND_FAILED",
    ),
    ("sendTextMessage 422", "window-expired", "POST", "/conversation/messages/text", TEXT, 422, "WINDOW_CLOSED"),
    (
        "sendQuickReply 422",
        "window-expired",
        "POST",
        "/conversation/messages/quick-reply",
        GREETING,
        422,
        "WINDOW_CLOSED",
    ),
    (
        "sendTemplateMessage 422",
        None,
        "POST",
        "/conversation/messages/template",
        {"template_name": "promo_verano", "body_variables": [{"index": 1, "value": "Ana"}]},
        422,
        "TEMPLATE_NOT_APPROVED",
    ),
    (
        "runActionGroup 402",
        "ai-tokens-empty",
        "POST",
        "/conversation/actions",
        {"actions": [{"type": "run_ai"}]},
        402,
        "INSUFFICIENT_AI_TOKENS",
    ),
    (
        "runActionGroup 422",
        None,
        "POST",
        "/conversation/actions",
        {"actions": [{"type": "run_ai"}] * 4},
        422,
        "BATCH_LIMIT_EXCEEDED",
    ),
    ("getConversation 404", None, "GET", f"/conversations/{UNKNOWN}", {}, 404, "CONVERSATION_NOT_FOUND"),
    ("getContact 404", None, "GET", f"/contacts/{UNKNOWN}", {}, 404, "CONTACT_NOT_FOUND"),
    ("getTemplate 400", None, "GET", "/templates/no-dashes/es_MX", {}, 400, "INVALID_REQUEST"),
    (
        "requestFileUpload 400",
        None,
        "POST",
        "/files/request-upload",
        {"filename": "a.webp", "mime_type": "image/webp", "size_bytes": 10},
        400,
        "INVALID_REQUEST",
    ),
    ("confirmFileUpload 404", None, "POST", "/files/confirm", {"file_uuid": UNKNOWN}, 404, "FILE_NOT_FOUND"),
    ("* 401", "token-revoked", "GET", "/conversations", {}, 401, "INVALID_API_TOKEN"),
    ("* 429", "rate-limited", "GET", "/conversations", {}, 429, "RATE_LIMIT_EXCEEDED"),
]


@pytest.mark.parametrize(
    ("key", "scenario", "method", "path", "body", "status", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_a_documented_failure_is_sent_as_its_source_says(
    api: OneToOneClient,
    key: str,
    scenario: str | None,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    if scenario is not None:
        assert f"`{scenario}`" in FAILURE_SOURCES[key]
        on(api, scenario)
    payload = {"conversation": {"uuid": DOC_CONVERSATION}, **body} if method == "POST" and "files" not in path else body
    assert_error(api.request(method, path, json=payload if method == "POST" else None), status, code)


def test_the_generic_failures_need_no_scenario(api: OneToOneClient) -> None:
    assert_error(api.as_("acme", ACME_REVOKED_TOKEN).get("/conversations"), 401, "INVALID_API_TOKEN")
    assert_error(api.as_("globex", api.sent["Authorization"][7:]).get("/conversations"), 403, "TOKEN_BUSINESS_MISMATCH")
    big = {"conversation": {"uuid": DOC_CONVERSATION}, "body": "x" * (1024 * 1024)}
    assert_error(api.post("/conversation/messages/text", json=big), 413, "PAYLOAD_TOO_LARGE")
    plain = api.post("/conversation/resolve", content=b"hola", headers={"Content-Type": "text/plain"})
    assert_error(plain, 415, "UNSUPPORTED_MEDIA_TYPE")


# -- C1: send_outcome: failed (scenario send-failed) --------------------------------------------------------------


def test_send_failed_answers_502_and_keeps_the_message_as_failed(api: OneToOneClient) -> None:
    before = api.conversation()
    on(api, "send-failed")
    response = send(api, "text", TEXT)
    assert_error(response, 502, "SEND_FAILED")
    failed = api.messages()[0]
    assert failed["body"] == TEXT["body"] and failed["is_from_customer"] is False
    assert (failed["status"], failed["failure_reason"]) == ("failed", "SEND_FAILED")
    assert failed["external_id"] is None and failed["sent_at"] is None and failed["created_at"] == START
    after = api.conversation()  # the customer got nothing: the preview is still theirs, the window unchanged
    assert after["last_message_preview"] == before["last_message_preview"]
    assert after["messaging_window_expires_at"] == before["messaging_window_expires_at"]
    assert all("status" not in m for m in api.messages()[1:])  # every other message keeps the docs' nine fields

    quick = send(api, "quick-reply", {"quick_reply": {"name": "catalogo"}})
    assert_error(quick, 502, "SEND_FAILED")
    assert [m.get("status") for m in api.messages()[:3]] == ["failed", "failed", None]  # the first part only

    closed = send(api, "template", HELLO_AGAIN, CLOSED_CONVERSATION)
    assert_error(closed, 502, "SEND_FAILED")
    assert window(api, CLOSED_CONVERSATION) == "closed"  # a refused template reopens nothing
    assert api.messages(CLOSED_CONVERSATION)[0]["status"] == "failed"

    off(api, "send-failed")
    assert send(api, "text", TEXT).status_code == 201
    assert "status" not in api.messages()[0]


def test_send_failed_lets_the_4xx_checks_go_first(api: OneToOneClient) -> None:
    on(api, "send-failed")
    before = api.state()
    assert_error(send(api, "text", TEXT, CLOSED_CONVERSATION), 422, "WINDOW_CLOSED")
    assert_error(send(api, "text", TEXT, UNKNOWN), 404, "CONVERSATION_NOT_FOUND")
    assert api.state() == before


def test_send_failed_in_an_action_group_records_the_action_failed(api: OneToOneClient) -> None:
    on(api, "send-failed")
    text = {"type": "send_message", "message": {"kind": "text", "body": "hola"}}
    uuid = group(api, [text, {"type": "mark_resolved"}])
    api.settle()
    assert entries(api, uuid) == [(0, "send_message", "failed", "SEND_FAILED"), (1, "mark_resolved", "skipped", None)]
    assert api.messages()[0]["status"] == "failed" and api.messages()[0]["body"] == "hola"


def test_send_failed_scoped_to_a_contact_spares_the_others(api: OneToOneClient) -> None:
    on(api, "send-failed", contact=DOC_PHONE)
    assert_error(send(api, "text", TEXT), 502, "SEND_FAILED")
    assert send(api, "text", TEXT, TESTER_CONVERSATION).status_code == 201


def test_send_failed_for_one_request_alone(api: OneToOneClient) -> None:
    one = api.post(
        "/conversation/messages/text",
        json={"conversation": {"uuid": DOC_CONVERSATION}, **TEXT},
        headers={"X-Mock-Scenario": "send-failed"},
    )
    assert_error(one, 502, "SEND_FAILED")
    assert send(api, "text", TEXT).status_code == 201
    assert [m.get("status") for m in api.messages()[:2]] == [None, "failed"]


# -- C2: template_delivery: rejected (scenario template-rejected) -------------------------------------------------


def test_a_rejected_template_is_accepted_then_fails_in_the_background(api: OneToOneClient) -> None:
    on(api, "template-rejected")
    response = send(api, "template", HELLO_AGAIN, CLOSED_CONVERSATION)
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["wamid"].startswith("wamid.")
    first = api.messages(CLOSED_CONVERSATION)[0]
    assert first["uuid"] == sent["message_uuid"] and "status" not in first
    assert window(api, CLOSED_CONVERSATION) == "open"  # the template reopened it

    api.settle()  # Meta's answer arrives 5 s later on the mock clock
    rejected = api.messages(CLOSED_CONVERSATION)[0]
    assert rejected["uuid"] == sent["message_uuid"]
    assert (rejected["status"], rejected["failure_reason"]) == ("failed", "SEND_FAILED")
    assert rejected["external_id"] == sent["wamid"] and rejected["sent_at"] == START  # it had been accepted
    assert api.http.get("/__mock/clock").json()["now"] == "2026-01-15T15:00:05Z"
    assert window(api, CLOSED_CONVERSATION) == "closed"  # the customer never got it
    assert_error(send(api, "text", TEXT, CLOSED_CONVERSATION), 422, "WINDOW_CLOSED")
    assert send(api, "text", TEXT).status_code == 201  # text is not a template: it goes
    api.settle()
    assert "status" not in api.messages()[0]


def test_a_rejected_template_of_an_action_group_shows_in_the_activity(api: OneToOneClient) -> None:
    on(api, "template-rejected")
    template = {"type": "send_message", "message": {"kind": "template", **HELLO_AGAIN}}
    uuid = group(api, [template, {"type": "context_note", "note": "seguimiento"}])
    api.settle()
    assert entries(api, uuid) == [
        (0, "send_message", "succeeded", None),
        (1, "context_note", "succeeded", None),
        (0, "send_message", "failed", "SEND_FAILED"),  # Meta's later rejection of action 0
    ]
    items = api.activity(group=uuid)["items"]
    assert items[2]["detail"]["message_uuid"] == items[0]["detail"]["message_uuid"]
    sent = next(m for m in api.messages() if m["uuid"] == items[0]["detail"]["message_uuid"])
    assert sent["status"] == "failed"


def test_a_template_sent_after_switching_off_stays_sent(api: OneToOneClient) -> None:
    on(api, "template-rejected")
    off(api, "template-rejected")
    assert send(api, "template", HELLO_AGAIN).status_code == 201
    assert api.settle()["jobs_run"] == 0
    assert "status" not in api.messages()[0]


# -- C3: ai_tokens_run_out_after (scenario ai-tokens-run-out) -----------------------------------------------------


def test_the_ai_runs_out_of_tokens_halfway_through_a_group(api: OneToOneClient) -> None:
    start = balance(api)
    on(api, "ai-tokens-run-out")
    run_ai = {"type": "run_ai", "ai_employee": SALES_AGENT}
    uuid = group(api, [run_ai, {"type": "assign_label", "tags": [{"name": "VIP"}]}, run_ai, {"type": "mark_resolved"}])
    api.settle()
    assert entries(api, uuid) == [
        (0, "run_ai", "succeeded", None),
        (1, "assign_label", "succeeded", None),
        (2, "run_ai", "failed", "INSUFFICIENT_AI_TOKENS"),
        (3, "mark_resolved", "skipped", None),
    ]
    spent = api.activity(group=uuid)["items"][0]["detail"]["tokens_spent"]
    assert balance(api) == 0
    assert_error(
        api.post("/conversation/actions", json={"conversation": {"uuid": DOC_CONVERSATION}, "actions": [run_ai]}),
        402,
        "INSUFFICIENT_AI_TOKENS",
    )
    off(api, "ai-tokens-run-out")
    assert balance(api) == start - spent  # what was left comes back


def test_ai_tokens_run_out_after_zero_fails_the_first_ai_step_after_preflight(api: OneToOneClient) -> None:
    on(api, "ai-tokens-run-out", tenant="acme", params={"ai_tokens_run_out_after": 0})
    uuid = group(api, [{"type": "ai_assistance", "ai_employee": SALES_AGENT}], stop_on_error=False)
    api.settle()
    assert entries(api, uuid) == [(0, "ai_assistance", "failed", "INSUFFICIENT_AI_TOKENS")]
    globex = api.as_("globex", GLOBEX_TOKEN)
    assert int(globex.activity("globex")["ai_token_balance"]) > 0  # another tenant keeps its tokens
    bad = api.http.post("/__mock/scenarios/ai-tokens-run-out", json={"params": {"ai_tokens_run_out_after": -1}})
    assert bad.status_code == 400 and "ai_tokens_run_out_after" in bad.json()["error"]


# -- D: a customer who is not a contact yet writes in -------------------------------------------------------------


def test_a_new_number_becomes_a_contact_with_a_conversation_like_a_known_one(api: OneToOneClient) -> None:
    on(api, "send-failed", tenant="acme")  # a tenant's rule covers a conversation that starts later
    written = api.inbound("Hola, ¿tienen envíos?", phone=NEW_PHONE, profile_name="Lupita")
    assert written["created"] is True and written["messaging_window_expires_at"] == "2026-01-16T15:00:00Z"
    uuid = written["conversation_uuid"]
    conversation = api.conversation(uuid)
    assert conversation["contact"]["phone"] == "+5215544443333" and conversation["contact"]["name"] == "Lupita"
    assert (conversation["unread_count"], conversation["response_status"], conversation["inbox_status"]) == (
        1,
        "unread",
        "pending",
    )
    contact = api.get(f"/contacts/{conversation['contact']['uuid']}").json()
    assert contact["whatsapp_id"] == "5215544443333" and contact["acquisition_source"] == "whatsapp"
    assert contact["created_at"] == START

    again = api.inbound("¿Siguen ahí?", phone="+5215544443333")  # the same number, written otherwise
    assert again["created"] is False and again["conversation_uuid"] == uuid
    assert api.conversation(uuid)["unread_count"] == 2
    assert window(api, uuid) == "open"

    # The AI employee answers when an action group runs it, by the number as a client knows it.
    response = api.post(
        "/conversation/actions",
        json={"conversation": {"phone": NEW_PHONE}, "actions": [{"type": "run_ai", "ai_employee": SALES_AGENT}]},
    )
    assert response.status_code == 202, response.text
    api.settle()
    reply = api.messages(uuid)[0]
    assert reply["author"] == {"name": "Sales Agent"} and reply["is_from_customer"] is False
    assert "Lupita" in reply["body"] and reply["external_id"].startswith("wamid.")
    assert api.conversation(uuid)["unread_count"] == 0

    assert_error(send(api, "text", TEXT, uuid), 502, "SEND_FAILED")
    assert api.messages(uuid)[0]["status"] == "failed"


def test_a_known_number_lands_in_its_conversation(api: OneToOneClient) -> None:
    written = api.inbound("Ya te mandé el documento", phone="+52 1 55 1234 5678")
    assert written["created"] is False and written["conversation_uuid"] == DOC_CONVERSATION
    assert api.messages()[0]["body"] == "Ya te mandé el documento"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"body": "hola", "phone": DOC_PHONE}, 404, "slug: name a business"),
        ({"slug": "acme", "body": "hola", "phone": 5215512345678}, 400, "phone: text"),
        ({"slug": "acme", "body": "hola", "phone": "12"}, 400, "'12' has 2 digits"),
        ({"slug": "acme", "body": "hola", "conversation": 7}, 400, "conversation: a conversation uuid"),
        ({"slug": "acme", "body": "hola"}, 400, "give conversation (a uuid) or phone"),
    ],
)
def test_a_refused_inbound_says_what_was_wrong(
    api: OneToOneClient, body: dict[str, Any], status: int, says: str
) -> None:
    before = api.state()
    response = api.http.post("/__mock/1to1ai/inbound", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert says in error and "None" not in error, error
    assert api.state() == before
