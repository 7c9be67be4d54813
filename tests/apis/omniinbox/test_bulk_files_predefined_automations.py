"""The omni-inbox's bulk actions, the attachment upload flow, predefined messages and automation runs, as
AchieveApex's pages describe them (VENDOR_DOCS 1.7, 1.10–1.12) and the design fills them in (achieveapex.md §6, §8,
§9): every effect is checked in a follow-up read, every refusal leaves the state as it was."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.apis.omniinbox.reads import Record, conversation, find_all, now_ms, refused
from tests.support.omniinbox import (
    OMNI_ACME,
    OMNI_ADMIN,
    OMNI_AGENT,
    OMNI_BROKEN,
    OMNI_GLOBEX,
    OMNI_GLOBEX_THREAD,
    OMNI_GREETING,
    OMNI_INSTAGRAM,
    OMNI_MESSENGER,
    OMNI_PIPELINE,
    OMNI_QUALIFY,
    OMNI_WA_OPEN,
    OMNI_WEBCHAT,
    OmniClient,
)

OBJECT_ID = re.compile(r"[0-9a-f]{24}")
BUCKET = "achieveapex-conversation-files"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200))
SALES_ASSISTANT = 55


# -- helpers -------------------------------------------------------------------------------------------------------


def bulk(omni: OmniClient, body: Record) -> Record:
    answer: Record = omni.ok("POST", "/conversations-bulk-actions", body, 201)
    return answer


def sorted_ids(records: list[Record]) -> list[int]:
    return sorted(r["id"] for r in records)


# -- bulk actions --------------------------------------------------------------------------------------------------


def test_assign_by_ids_skips_foreign_and_unknown_ids(omni: OmniClient) -> None:
    globex = omni.with_key(OMNI_GLOBEX)
    foreign = globex.ok("GET", f"/conversations/{OMNI_GLOBEX_THREAD}")
    targets = [OMNI_MESSENGER, OMNI_WEBCHAT, OMNI_GLOBEX_THREAD, 99999, OMNI_MESSENGER]
    answer = bulk(omni, {"action": "assign", "conversation_ids": targets, "assigned_user_id": OMNI_AGENT})
    assert answer == {"action": "assign", "processed_count": 2, "conversation_ids": [OMNI_MESSENGER, OMNI_WEBCHAT]}
    for conversation_id in (OMNI_MESSENGER, OMNI_WEBCHAT):
        changed = conversation(omni, conversation_id)
        assert (changed["assigned_user_id"], changed["updated_at"]) == (OMNI_AGENT, now_ms(omni))
    assert {OMNI_MESSENGER, OMNI_WEBCHAT} <= set(sorted_ids(find_all(omni, assigned_user_id=OMNI_AGENT)))
    assert globex.ok("GET", f"/conversations/{OMNI_GLOBEX_THREAD}") == foreign
    # assign is also how a conversation is unassigned
    answer = bulk(omni, {"action": "assign", "conversation_ids": [OMNI_WA_OPEN], "assigned_user_id": None})
    assert answer["processed_count"] == 1 and conversation(omni, OMNI_WA_OPEN)["assigned_user_id"] is None


def test_a_removed_conversation_is_skipped(omni: OmniClient) -> None:
    omni.ok("DELETE", f"/conversations/{OMNI_WEBCHAT}")
    answer = bulk(
        omni, {"action": "update_status", "conversation_ids": [OMNI_WEBCHAT, OMNI_MESSENGER], "status": "closed"}
    )
    assert (answer["processed_count"], answer["conversation_ids"]) == (1, [OMNI_MESSENGER])
    assert conversation(omni, OMNI_MESSENGER)["status"] == "closed"
    refused(omni.get(f"/conversations/{OMNI_WEBCHAT}"), 404)


def test_update_status_by_view(omni: OmniClient) -> None:
    in_view = sorted_ids(find_all(omni, view_id=31))  # Open WhatsApp
    assert len(in_view) > 1
    answer = bulk(omni, {"action": "update_status", "view_id": 31, "status": "closed"})
    assert answer == {"action": "update_status", "processed_count": len(in_view), "conversation_ids": in_view}
    assert find_all(omni, view_id=31) == []
    assert set(in_view) <= set(sorted_ids(find_all(omni, status="closed", channel="whatsapp")))


def test_assign_ai_assistant_by_filter(omni: OmniClient) -> None:
    instagram = sorted_ids(find_all(omni, channel="instagram"))
    others = {c["id"]: c for c in find_all(omni, **{"channel[$ne]": "instagram"})}
    body = {"action": "assign_ai_assistant", "filter": {"organization_id": OMNI_ACME, "channel": "instagram"}}
    answer = bulk(omni, {**body, "assigned_ai_assistant_id": SALES_ASSISTANT})
    assert (answer["processed_count"], answer["conversation_ids"]) == (len(instagram), instagram)
    assert set(instagram) <= set(sorted_ids(find_all(omni, assigned_ai_assistant_id=SALES_ASSISTANT)))
    assert {c["id"]: c for c in find_all(omni, **{"channel[$ne]": "instagram"})} == others, "nothing else changed"
    # and to unassign the AI, narrowed by status
    opened = sorted_ids(find_all(omni, channel="instagram", status="open"))
    narrowed = {"organization_id": OMNI_ACME, "channel": "instagram", "status": "open"}
    answer = bulk(omni, {"action": "assign_ai_assistant", "filter": narrowed, "assigned_ai_assistant_id": None})
    assert answer["conversation_ids"] == opened
    assert all(conversation(omni, i)["assigned_ai_assistant_id"] is None for i in opened)


def test_move_by_filter(omni: OmniClient) -> None:
    new_leads = sorted_ids(find_all(omni, pipeline_stage_id=100))
    won = sorted_ids(find_all(omni, pipeline_stage_id=102))
    move = {"action": "move", "pipeline_id": OMNI_PIPELINE, "pipeline_stage_id": 102}
    answer = bulk(omni, {**move, "filter": {"organization_id": OMNI_ACME, "pipeline_stage_id": 100}})
    assert answer == {"action": "move", "processed_count": len(new_leads), "conversation_ids": new_leads}
    assert find_all(omni, pipeline_stage_id=100) == []
    assert sorted_ids(find_all(omni, pipeline_stage_id=102)) == sorted(won + new_leads)


ONE = {"conversation_ids": [OMNI_WA_OPEN]}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"action": "assign", "assigned_user_id": OMNI_AGENT}, 400, "validation failed"),  # no target
        ({"action": "assign", **ONE, "view_id": 31, "assigned_user_id": None}, 400, "validation failed"),
        (
            {"action": "update_status", "view_id": 31, "filter": {"organization_id": OMNI_ACME}, "status": "open"},
            400,
            "validation failed",
        ),
        ({"action": "move", **ONE, "pipeline_id": OMNI_PIPELINE, "pipeline_stage_id": 103}, 400, None),
        ({"action": "assign", **ONE, "assigned_user_id": 46}, 400, "User 46 is not a member of organization 456"),
        (
            {"action": "update_status", "filter": {"organization_id": OMNI_GLOBEX}, "status": "closed"},
            403,
            "You are not a member of organization 27",
        ),
    ],
)
def test_a_refused_bulk_action_changes_nothing(
    omni: OmniClient, body: Record, status: int, message: str | None
) -> None:
    before = omni.state()
    refused(omni.post("/conversations-bulk-actions", json=body), status, message)
    assert omni.state() == before


# -- the upload flow -----------------------------------------------------------------------------------------------


def sign(omni: OmniClient, data: bytes, name: str = "photo.png", conversation_id: int = OMNI_WA_OPEN) -> Record:
    body = {"file_name": name, "file_type": "image/png", "file_size": len(data), "organization_id": OMNI_ACME}
    signed: Record = omni.ok("POST", "/s3-url-signing", {**body, "conversation_id": conversation_id}, 201)
    return signed


def upload(omni: OmniClient, data: bytes = PNG, conversation_id: int = OMNI_WA_OPEN) -> tuple[Record, Record]:
    """The three steps of the page: sign, PUT the bytes, record the conversation file."""
    signed = sign(omni, data, conversation_id=conversation_id)
    put = omni.http.put(signed["url"], content=data, headers={"Content-Type": "image/png"})
    assert put.status_code == 200, put.text
    record = omni.ok("POST", "/conversation-files", file_body(signed, data, conversation_id), 201)
    return signed, record


def file_body(signed: Record, data: bytes, conversation_id: int = OMNI_WA_OPEN) -> Record:
    return {
        "conversation_id": conversation_id,
        "organization_id": OMNI_ACME,
        "file_name": "photo.png",
        "file_type": "image/png",
        "file_size": len(data),
        "s3_key": signed["s3PathWithoutBucket"],
        "s3_path": signed["s3Path"],
        "file_category": "image",
    }


def test_signing_answers_the_documented_fields(omni: OmniClient) -> None:
    signed = sign(omni, PNG)
    assert set(signed) == {"url", "s3PathWithoutBucket", "s3Path", "bucket", "expires_at"}
    key = signed["s3PathWithoutBucket"]
    assert re.fullmatch(rf"organizations/{OMNI_ACME}/conversations/{OMNI_WA_OPEN}/[0-9a-f]{{24}}/photo\.png", key)
    assert (signed["bucket"], signed["s3Path"]) == (BUCKET, f"s3://{BUCKET}/{key}")
    assert "/__mock/omni-inbox/s3/" in signed["url"] and "signature=" in signed["url"]
    assert signed["expires_at"] == now_ms(omni, timedelta(minutes=15))  # on the mock clock


def test_upload_then_the_file_url_serves_the_bytes(omni: OmniClient) -> None:
    signed, record = upload(omni)
    assert OBJECT_ID.fullmatch(record["_id"])
    assert {k: record[k] for k in file_body(signed, PNG) if k != "organization_id"} == {
        k: v for k, v in file_body(signed, PNG).items() if k != "organization_id"
    }
    assert (record["organization_id"], record["created_by_user_id"]) == (OMNI_ACME, OMNI_ADMIN)
    served = omni.http.get(record["url"])
    assert served.status_code == 200
    assert served.content == PNG  # the raw bytes,
    assert served.headers["content-type"] == record["file_type"]  # with the file's own type


def test_the_signed_put_checks_signature_size_and_expiry(omni: OmniClient) -> None:
    signed = sign(omni, PNG)
    tampered = re.sub(r"signature=[0-9a-f]+", "signature=" + "0" * 64, signed["url"])
    assert omni.http.put(tampered, content=PNG).status_code == 403
    short = omni.http.put(signed["url"], content=PNG[:-1])
    assert short.status_code == 400 and "IncompleteBody" in short.text
    not_put = omni.post("/conversation-files", json=file_body(signed, PNG))
    refused(not_put, 400, f"File {signed['s3PathWithoutBucket']} was not uploaded")
    omni.advance("16m")
    expired = omni.http.put(signed["url"], content=PNG)
    assert expired.status_code == 403 and "expired" in expired.text
    refused(omni.post("/conversation-files", json=file_body(signed, PNG)), 400)


def test_a_key_never_uploaded_is_refused(omni: OmniClient) -> None:
    before = omni.state()
    key = f"organizations/{OMNI_ACME}/conversations/{OMNI_WA_OPEN}/0123456789abcdef01234567/never.png"
    body = file_body({"s3PathWithoutBucket": key, "s3Path": f"s3://{BUCKET}/{key}"}, PNG)
    refused(omni.post("/conversation-files", json=body), 400, f"File {key} was not uploaded")
    assert omni.state() == before


def test_send_a_file_by_conversation_file_id_and_by_s3_path(omni: OmniClient) -> None:
    signed, record = upload(omni)
    by_file = {"conversation_id": OMNI_WA_OPEN, "conversation_file_id": record["_id"], "message_type": "image"}
    sent = omni.ok("POST", "/conversation-messages-transform-outgoing-whatsapp", by_file, 201)
    assert (sent["message_type"], sent["conversation_file_id"], sent["media_url"]) == (
        "image",
        record["_id"],
        record["url"],
    )
    assert (sent["file_name"], sent["file_type"], sent["file_size"]) == ("photo.png", "image/png", len(PNG))
    assert omni.messages(OMNI_WA_OPEN, "whatsapp")[-1] == sent
    by_path = {"conversation_id": OMNI_INSTAGRAM, "s3_path": signed["s3Path"], "message_type": "image"}
    by_path["file_size"] = len(PNG)
    sent = omni.ok("POST", "/conversation-messages-transform-outgoing-instagram", by_path, 201)
    assert sent["media_url"] == f"https://{BUCKET}.s3.amazonaws.com/{signed['s3PathWithoutBucket']}"
    assert (sent["message_type"], sent["file_name"], sent["file_size"]) == ("image", "photo.png", len(PNG))
    assert omni.messages(OMNI_INSTAGRAM, "instagram")[-1] == sent
    before = omni.state()  # a file of another conversation
    elsewhere = {"conversation_id": OMNI_INSTAGRAM, "conversation_file_id": record["_id"], "message_type": "image"}
    response = omni.post("/conversation-messages-transform-outgoing-instagram", json=elsewhere)
    refused(response, 400, f"Unknown conversation file {record['_id']}")
    assert omni.state() == before


# -- predefined messages -------------------------------------------------------------------------------------------


def predefined(omni: OmniClient, **params: Any) -> list[Record]:
    page = omni.ok("GET", "/conversation-predefined-messages", params={"organization_id": OMNI_ACME, **params})
    return list(page["data"])


def test_predefined_messages_sorted_by_title(omni: OmniClient) -> None:
    seeded = predefined(omni)
    assert [m["title"] for m in seeded] == sorted(m["title"] for m in seeded)
    assert OMNI_GREETING in [m["id"] for m in seeded]
    fields = {"title": "Away message", "content": "We're away until Monday.", "message_type": "text"}
    created = omni.ok("POST", "/conversation-predefined-messages", {**fields, "organization_id": OMNI_ACME}, 201)
    assert created["id"] > max(m["id"] for m in seeded)
    assert created == {
        "id": created["id"],
        "organization_id": OMNI_ACME,
        **fields,
        "media_url": None,
        "filename": None,
        "mime_type": None,
        "created_by_user_id": OMNI_ADMIN,
        "created_at": now_ms(omni),
        "updated_at": now_ms(omni),
        "deleted_at": None,
    }
    titles = [m["title"] for m in predefined(omni)]
    assert titles[0] == "Away message" and titles == sorted(titles), "by title, not by id"
    assert [m["title"] for m in predefined(omni, **{"$sort[title]": -1})] == sorted(titles, reverse=True)
    newest = predefined(omni, **{"$sort[created_at]": -1})
    assert newest[0]["id"] == created["id"] and [m["created_at"] for m in newest] == sorted(
        (m["created_at"] for m in newest), reverse=True
    )


def test_predefined_message_crud(omni: OmniClient) -> None:
    media = {"title": "Catalogue", "message_type": "document", "content": None, "filename": "catalogue.pdf"}
    media |= {"media_url": "organizations/456/predefined/catalogue.pdf", "mime_type": "application/pdf"}
    created = omni.ok("POST", "/conversation-predefined-messages", media, 201)  # the key's one organization
    assert {k: created[k] for k in media} == media and created["organization_id"] == OMNI_ACME
    path = f"/conversation-predefined-messages/{created['id']}"
    assert omni.ok("GET", path) == created
    patched = omni.ok("PATCH", path, {"title": "Zebra catalogue"})
    assert patched == {**created, "title": "Zebra catalogue"} == omni.ok("GET", path)
    assert predefined(omni)[-1]["id"] == created["id"]
    removed = omni.ok("DELETE", path)
    assert removed == {**patched, "deleted_at": now_ms(omni)}
    assert created["id"] not in [m["id"] for m in predefined(omni)]
    refused(omni.get(path), 404, f"No record found for id '{created['id']}'")
    before = omni.state()
    refused(omni.post("/conversation-predefined-messages", json={"title": "Empty", "message_type": "text"}), 400)
    assert omni.state() == before


# -- automations ---------------------------------------------------------------------------------------------------


def payload(omni: OmniClient, conversation_id: int) -> Record:
    """The initial payload as the page builds it: the conversation, its contact, its last 50 messages in order."""
    found = omni.ok("GET", f"/conversations/{conversation_id}", params={"organization_id": OMNI_ACME})
    contact = omni.ok("GET", f"/contacts/{found['contact_id']}") if found["contact_id"] else None
    query = {"conversation_id": conversation_id, "$limit": 50, "$sort[created_at]": -1}
    messages = omni.ok("GET", f"/conversation-messages-{found['channel']}", params=query)["data"]
    return {"conversation": found, "contact": contact, "messages": list(reversed(messages))}


def run(omni: OmniClient, automation: int, conversation_id: int) -> Any:
    body = {"automation_id": automation, "organization_id": OMNI_ACME, "conversation_id": conversation_id}
    return omni.post("/automations-executions", json={**body, "initial_payload": payload(omni, conversation_id)})


def test_an_automation_run_does_every_step(omni: OmniClient) -> None:
    before = conversation(omni, OMNI_INSTAGRAM)
    contact = before["contact_id"]
    assert 12 not in omni.ok("GET", f"/contacts/{contact}")["tag_ids"]
    assert (before["pipeline_stage_id"], before["assigned_user_id"]) == (None, None)
    sent_payload = payload(omni, OMNI_INSTAGRAM)
    response = run(omni, OMNI_QUALIFY, OMNI_INSTAGRAM)
    assert response.status_code == 201, response.text
    execution = response.json()
    assert (execution["automation_id"], execution["conversation_id"], execution["organization_id"]) == (
        OMNI_QUALIFY,
        OMNI_INSTAGRAM,
        OMNI_ACME,
    )
    assert execution["initial_payload"] == sent_payload
    steps = omni.ok("GET", f"/automations/{OMNI_QUALIFY}")["steps"]
    assert execution["status"] == "completed"
    assert execution["results"] == [{"type": s["type"], "status": "completed", "error": None} for s in steps]
    greeting = omni.ok("GET", f"/conversation-predefined-messages/{OMNI_GREETING}")
    last = omni.messages(OMNI_INSTAGRAM, "instagram")[-1]
    assert (last["message_text"], last["direction"], last["sender_user_id"]) == (greeting["content"], "outbound", None)
    assert 12 in omni.ok("GET", f"/contacts/{contact}")["tag_ids"]
    after = conversation(omni, OMNI_INSTAGRAM)
    assert (after["pipeline_id"], after["pipeline_stage_id"], after["assigned_user_id"]) == (
        OMNI_PIPELINE,
        101,
        OMNI_AGENT,
    )
    assert OMNI_INSTAGRAM in sorted_ids(find_all(omni, tag_id=12))


def test_a_failing_step_fails_the_run_and_skips_the_rest(omni: OmniClient) -> None:
    contact = conversation(omni, OMNI_MESSENGER)["contact_id"]
    thread = omni.messages(OMNI_MESSENGER, "messenger")
    response = run(omni, OMNI_BROKEN, OMNI_MESSENGER)
    assert response.status_code == 201, response.text
    execution = response.json()
    assert execution["status"] == "failed"
    assert execution["results"] == [
        {"type": "add_contact_tag", "status": "completed", "error": None},
        {"type": "send_predefined_message", "status": "failed", "error": "No record found for id '49'"},
        {"type": "set_status", "status": "skipped", "error": None},
    ]
    assert 11 in omni.ok("GET", f"/contacts/{contact}")["tag_ids"], "what ran before the failure stays done"
    assert omni.messages(OMNI_MESSENGER, "messenger") == thread
    assert conversation(omni, OMNI_MESSENGER)["status"] == "open", "the skipped step did not close it"


@pytest.mark.parametrize(
    ("automation", "conversation_id", "missing"),
    [(999, OMNI_WA_OPEN, 999), (79, OMNI_WA_OPEN, 79), (OMNI_QUALIFY, OMNI_GLOBEX_THREAD, OMNI_GLOBEX_THREAD)],
)
def test_an_unknown_or_foreign_automation_is_not_found(
    omni: OmniClient, automation: int, conversation_id: int, missing: int
) -> None:
    before = omni.state()
    body = {"automation_id": automation, "organization_id": OMNI_ACME, "conversation_id": conversation_id}
    empty: Record = {"conversation": {"id": conversation_id}, "contact": None, "messages": []}
    response = omni.post("/automations-executions", json={**body, "initial_payload": empty})
    refused(response, 404, f"No record found for id '{missing}'")
    assert omni.state() == before
