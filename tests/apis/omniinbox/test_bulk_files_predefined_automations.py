"""Bulk actions over conversations, signed uploads and file records, predefined messages (CRUD) and running
automations on a conversation."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.omniinbox import (
    OMNI_BEN,
    OMNI_BROKEN,
    OMNI_GREETING,
    OMNI_INSTAGRAM,
    OMNI_QUALIFY,
    OMNI_SMS,
    OMNI_WA_CLOSED,
    OMNI_WA_OPEN,
    OmniClient,
)

UNKNOWN = "665f1c2e9b1d4a0012a3b4c5"
AI_ASSISTANT = "665f6e000000000000000001"
GREETING_TEXT = "Hi! Thanks for contacting Acme. How can we help?"
PDF = b"%PDF-1.4 convomock test file\n" * 10


def conversation(omni: OmniClient, conversation_id: str) -> dict[str, Any]:
    response = omni.get(f"/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def listing(omni: OmniClient) -> list[dict[str, Any]]:
    body = omni.get("/conversations?$limit=50").json()
    assert body["total"] == len(body["data"])
    return list(body["data"])


def bulk(omni: OmniClient, body: dict[str, Any]) -> dict[str, Any]:
    response = omni.post("/conversations-bulk-actions", json=body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["action"] == body["action"] and result["total"] == len(result["results"])
    return dict(result)


def error(response: Any, status: int, name: str, class_name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["name"], body["code"], body["className"]) == (name, status, class_name), body
    return dict(body)


# -- bulk actions ----------------------------------------------------------------------------------------------


def test_assign_by_ids_with_an_unknown_id(omni: OmniClient) -> None:
    result = bulk(omni, {"action": "assign", "ids": [OMNI_WA_OPEN, UNKNOWN, OMNI_INSTAGRAM], "value": OMNI_BEN})
    assert [(r["_id"], r["status"]) for r in result["results"]] == [
        (OMNI_WA_OPEN, "ok"),
        (UNKNOWN, "error"),
        (OMNI_INSTAGRAM, "ok"),
    ]
    assert (result["total"], result["succeeded"], result["failed"]) == (3, 2, 1)
    failure = result["results"][1]["error"]
    assert (failure["name"], failure["code"], failure["className"]) == ("NotFound", 404, "not-found")
    assert UNKNOWN in failure["message"]
    assert result["results"][0]["error"] is None
    assert conversation(omni, OMNI_WA_OPEN)["assigneeId"] == OMNI_BEN
    assert conversation(omni, OMNI_INSTAGRAM)["assigneeId"] == OMNI_BEN


def test_stop_on_error_skips_the_rest(omni: OmniClient) -> None:
    result = bulk(
        omni,
        {
            "action": "assign",
            "ids": [OMNI_WA_OPEN, UNKNOWN, OMNI_INSTAGRAM, OMNI_SMS],
            "value": OMNI_BEN,
            "stopOnError": True,
        },
    )
    assert [r["status"] for r in result["results"]] == ["ok", "error", "skipped", "skipped"]
    assert [r["_id"] for r in result["results"]] == [OMNI_WA_OPEN, UNKNOWN, OMNI_INSTAGRAM, OMNI_SMS]
    assert (result["succeeded"], result["failed"]) == (1, 1)
    assert result["results"][2]["error"] is None
    assert conversation(omni, OMNI_WA_OPEN)["assigneeId"] == OMNI_BEN
    assert conversation(omni, OMNI_INSTAGRAM)["assigneeId"] is None
    assert conversation(omni, OMNI_SMS)["assigneeId"] is None


def test_by_query_and_by_ids_plus_query(omni: OmniClient) -> None:
    whatsapp = [c["_id"] for c in listing(omni) if c["channel"] == "whatsapp"]
    assert len(whatsapp) > 2
    result = bulk(omni, {"action": "addTag", "query": {"channel": "whatsapp"}, "value": "wa"})
    assert sorted(r["_id"] for r in result["results"]) == sorted(whatsapp)
    assert all(r["status"] == "ok" for r in result["results"]) and result["succeeded"] == len(whatsapp)
    after = listing(omni)
    assert all(("wa" in c["tags"]) == (c["channel"] == "whatsapp") for c in after)
    both = bulk(
        omni,
        {
            "action": "addTag",
            "ids": [OMNI_WA_OPEN, OMNI_INSTAGRAM, OMNI_SMS],
            "query": {"channel": "whatsapp"},
            "value": "both",
        },
    )
    assert [r["_id"] for r in both["results"]] == [OMNI_WA_OPEN]
    assert [c["_id"] for c in listing(omni) if "both" in c["tags"]] == [OMNI_WA_OPEN]


def test_tag_stage_archive_and_ai_assistant_actions(omni: OmniClient) -> None:
    targets = [OMNI_WA_OPEN, OMNI_INSTAGRAM]
    assert all(r["status"] == "ok" for r in bulk(omni, {"action": "addTag", "ids": targets, "value": "x"})["results"])
    assert conversation(omni, OMNI_WA_OPEN)["tags"] == ["vip", "x"]
    bulk(omni, {"action": "addTag", "ids": targets, "value": "x"})
    assert conversation(omni, OMNI_WA_OPEN)["tags"] == ["vip", "x"], "added only if missing"
    bulk(omni, {"action": "removeTag", "ids": targets, "value": "vip"})
    assert conversation(omni, OMNI_WA_OPEN)["tags"] == ["x"] and conversation(omni, OMNI_INSTAGRAM)["tags"] == ["x"]
    bulk(omni, {"action": "moveStage", "ids": targets, "value": "won"})
    bulk(omni, {"action": "archive", "ids": targets})
    bulk(omni, {"action": "assignAiAssistant", "ids": [OMNI_WA_OPEN], "value": AI_ASSISTANT})
    wa, ig = conversation(omni, OMNI_WA_OPEN), conversation(omni, OMNI_INSTAGRAM)
    assert wa["pipelineStage"] == ig["pipelineStage"] == "won"
    assert wa["status"] == ig["status"] == "closed"
    assert wa["aiAssistantId"] == AI_ASSISTANT
    bulk(omni, {"action": "assignAiAssistant", "ids": [OMNI_INSTAGRAM], "value": None})
    assert conversation(omni, OMNI_INSTAGRAM)["aiAssistantId"] is None


def test_move_stage_without_a_value_is_refused(omni: OmniClient) -> None:
    before = omni.state()
    for body in ({"action": "moveStage", "ids": [OMNI_WA_OPEN]}, {"action": "addTag", "ids": [OMNI_WA_OPEN]}):
        response = omni.post("/conversations-bulk-actions", json=body)
        error(response, 400, "BadRequest", "bad-request")
    assert omni.state() == before
    assert conversation(omni, OMNI_WA_OPEN)["pipelineStage"] == "new"


# -- files -----------------------------------------------------------------------------------------------------


def sign(omni: OmniClient, size: int = len(PDF), name: str = "invoice.pdf") -> dict[str, Any]:
    response = omni.post("/s3-url-signing", json={"fileName": name, "contentType": "application/pdf", "size": size})
    assert response.status_code == 201, response.text
    return dict(response.json())


def local(url: str) -> str:
    """TestClient takes the path and query of the signed URL."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def upload(omni: OmniClient, size: int = len(PDF)) -> dict[str, Any]:
    signed = sign(omni, size)
    response = omni.http.put(local(signed["url"]), content=PDF, headers=signed["headers"])
    assert response.status_code == 200, response.text
    record = omni.post("/conversation-files", json={"key": signed["key"]})
    assert record.status_code == 201, record.text
    return dict(record.json())


def test_signed_upload_then_file_record(omni: OmniClient) -> None:
    signed = sign(omni)
    assert set(signed) >= {"url", "key", "method", "headers", "expiresAt"}
    assert signed["method"] == "PUT" and signed["headers"]["Content-Type"] == "application/pdf"
    assert signed["key"].endswith("invoice.pdf")
    query = parse_qs(urlsplit(signed["url"]).query)
    assert "signature" in query and "expires" in query
    error(omni.post("/conversation-files", json={"key": signed["key"]}), 400, "BadRequest", "bad-request")
    put = omni.http.put(local(signed["url"]), content=PDF, headers=signed["headers"])
    assert put.status_code == 200, put.text
    response = omni.post("/conversation-files", json={"key": signed["key"]})
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["key"] == signed["key"] and record["size"] == len(PDF)
    assert record["name"] == "invoice.pdf" and record["mimeType"] == "application/pdf"
    assert record["_id"] and record["url"]


def test_a_key_never_uploaded_is_refused(omni: OmniClient) -> None:
    for key in (sign(omni)["key"], "665f00000000000000000001/nothing/here.pdf"):
        body = error(omni.post("/conversation-files", json={"key": key}), 400, "BadRequest", "bad-request")
        assert body["message"] == f"File {key} was not uploaded"


def test_a_wrong_signature_is_forbidden(omni: OmniClient) -> None:
    signed = sign(omni)
    parts = urlsplit(signed["url"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["signature"] = ("0" if query["signature"][0] != "0" else "1") + query["signature"][1:]
    response = omni.http.put(f"{parts.path}?{urlencode(query)}", content=PDF, headers=signed["headers"])
    assert response.status_code == 403, response.text
    error(omni.post("/conversation-files", json={"key": signed["key"]}), 400, "BadRequest", "bad-request")


def test_an_expired_url_is_refused(omni: OmniClient) -> None:
    signed = sign(omni)
    assert omni.http.post("/__mock/clock", json={"advance": "16m"}).status_code == 200
    response = omni.http.put(local(signed["url"]), content=PDF, headers=signed["headers"])
    assert response.status_code == 403, response.text
    assert "expired" in response.text
    body = error(omni.post("/conversation-files", json={"key": signed["key"]}), 400, "BadRequest", "bad-request")
    assert "was not uploaded" in body["message"]


def test_an_uploaded_file_attached_to_a_message(omni: OmniClient) -> None:
    record = upload(omni)
    response = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversationId": OMNI_WA_OPEN, "attachments": [{"fileId": record["_id"]}]},
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["type"] == "media" and sent["text"] is None
    assert sent["attachments"] == [
        {
            "fileId": record["_id"],
            "name": record["name"],
            "mimeType": record["mimeType"],
            "size": record["size"],
            "url": record["url"],
        }
    ]
    stored = omni.get(f"/conversation-messages-whatsapp/{sent['_id']}").json()
    assert stored["attachments"] == sent["attachments"]


def test_an_attachment_with_a_caption_is_a_media_message(omni: OmniClient) -> None:
    record = upload(omni)
    response = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversationId": OMNI_WA_OPEN, "text": "Your invoice", "attachments": [{"fileId": record["_id"]}]},
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["text"] == "Your invoice" and sent["attachments"][0]["fileId"] == record["_id"]
    assert sent["type"] == "media"


def test_an_unknown_file_id_is_refused(omni: OmniClient) -> None:
    before = omni.state()
    response = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversationId": OMNI_WA_OPEN, "text": "See attached", "attachments": [{"fileId": UNKNOWN}]},
    )
    body = error(response, 400, "BadRequest", "bad-request")
    assert UNKNOWN in body["message"]
    assert omni.state() == before


# -- predefined messages ---------------------------------------------------------------------------------------


def test_predefined_messages_crud(omni: OmniClient) -> None:
    created = omni.post(
        "/conversation-predefined-messages",
        json={"title": "Shipping", "text": "Orders ship in 2 days.", "shortcut": "/ship", "tags": ["sales"]},
    )
    assert created.status_code == 201, created.text
    record = created.json()
    assert (record["title"], record["text"], record["shortcut"], record["tags"]) == (
        "Shipping",
        "Orders ship in 2 days.",
        "/ship",
        ["sales"],
    )
    found = omni.get("/conversation-predefined-messages?shortcut=/ship").json()
    assert found["total"] == 1 and found["data"] == [record]
    greeting = omni.get("/conversation-predefined-messages?shortcut=/hi").json()["data"]
    assert [p["_id"] for p in greeting] == [OMNI_GREETING]
    assert omni.get(f"/conversation-predefined-messages/{record['_id']}").json() == record
    patched = omni.patch(f"/conversation-predefined-messages/{record['_id']}", json={"text": "Ships in 1 day."})
    assert patched.status_code == 200, patched.text
    assert patched.json()["text"] == "Ships in 1 day." and patched.json()["title"] == "Shipping"
    assert omni.get(f"/conversation-predefined-messages/{record['_id']}").json() == patched.json()
    removed = omni.delete(f"/conversation-predefined-messages/{record['_id']}")
    assert removed.status_code == 200 and removed.json() == patched.json()
    body = error(omni.get(f"/conversation-predefined-messages/{record['_id']}"), 404, "NotFound", "not-found")
    assert body["message"] == f"No record found for id '{record['_id']}'"
    assert omni.get("/conversation-predefined-messages?shortcut=/ship").json()["total"] == 0


def test_a_duplicate_shortcut_is_conflict(omni: OmniClient) -> None:
    before = omni.state()
    response = omni.post("/conversation-predefined-messages", json={"title": "Hey", "text": "Hey!", "shortcut": "/hi"})
    error(response, 409, "Conflict", "conflict")
    other = "665f3b000000000000000002"
    error(
        omni.patch(f"/conversation-predefined-messages/{other}", json={"shortcut": "/hi"}), 409, "Conflict", "conflict"
    )
    assert omni.state() == before


# -- automations -----------------------------------------------------------------------------------------------


def run(omni: OmniClient, automation: str, conversation_id: str = OMNI_WA_OPEN) -> dict[str, Any]:
    response = omni.post(
        "/automations-executions", json={"automationId": automation, "conversationId": conversation_id}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_qualify_automation_completes(omni: OmniClient) -> None:
    execution = run(omni, OMNI_QUALIFY)
    assert execution["status"] == "completed"
    assert execution["automationId"] == OMNI_QUALIFY and execution["conversationId"] == OMNI_WA_OPEN
    assert [(s["index"], s["type"], s["status"]) for s in execution["steps"]] == [
        (0, "sendPredefinedMessage", "ok"),
        (1, "addTag", "ok"),
        (2, "moveStage", "ok"),
        (3, "assign", "ok"),
    ]
    assert all(s["error"] is None for s in execution["steps"])
    after = conversation(omni, OMNI_WA_OPEN)
    assert "qualified" in after["tags"] and after["pipelineStage"] == "qualified" and after["assigneeId"] == OMNI_BEN
    last = omni.get(f"/conversation-messages-whatsapp?conversationId={OMNI_WA_OPEN}&$sort[createdAt]=-1&$limit=1")
    message = last.json()["data"][0]
    assert message["text"] == GREETING_TEXT and message["direction"] == "outbound"
    assert message["sender"]["type"] == "automation"
    assert after["lastMessagePreview"] == GREETING_TEXT


def test_send_step_result_is_the_sent_message(omni: OmniClient) -> None:
    result = run(omni, OMNI_QUALIFY)["steps"][0]["result"]
    thread = omni.get(f"/conversation-messages-whatsapp?conversationId={OMNI_WA_OPEN}&$limit=50").json()["data"]
    assert result == thread[-1]


def test_broken_automation_fails_and_keeps_earlier_steps(omni: OmniClient) -> None:
    execution = run(omni, OMNI_BROKEN)
    assert execution["status"] == "failed"
    assert [s["status"] for s in execution["steps"]] == ["ok", "error", "skipped"]
    failure = execution["steps"][1]["error"]
    assert failure["name"] and failure["code"] >= 400 and failure["className"]
    assert execution["steps"][2]["result"] is None and execution["steps"][2]["error"] is None
    after = conversation(omni, OMNI_WA_OPEN)
    assert "triage" in after["tags"] and after["pipelineStage"] == "new"


def test_automation_on_a_closed_window_fails_at_the_send(omni: OmniClient) -> None:
    execution = run(omni, OMNI_QUALIFY, OMNI_WA_CLOSED)
    assert execution["status"] == "failed"
    assert [s["status"] for s in execution["steps"]] == ["error", "skipped", "skipped", "skipped"]
    assert execution["steps"][0]["error"]["name"] == "Unprocessable"
    assert "qualified" not in conversation(omni, OMNI_WA_CLOSED)["tags"]


def test_unknown_automation_or_conversation_is_404(omni: OmniClient) -> None:
    before = omni.state()
    for body in (
        {"automationId": "665f4c0000000000000000ff", "conversationId": OMNI_WA_OPEN},
        {"automationId": OMNI_QUALIFY, "conversationId": UNKNOWN},
    ):
        error(omni.post("/automations-executions", json=body), 404, "NotFound", "not-found")
    assert omni.state() == before
