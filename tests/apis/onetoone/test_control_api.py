"""The control API under /__mock: health, credentials, reset, scenarios, clock, journal, state, settle and the
1TO1 AI simulations (a customer writing in, the activity log)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
from starlette.testclient import TestClient

from mock_server.server import create_app
from tests.support.clients import in_process
from tests.support.onetoone import (
    ACME_QA_TOKEN,
    ACME_REVOKED_TOKEN,
    ACME_TOKEN,
    DOC_CONVERSATION,
    DOC_PHONE,
    GLOBEX_TOKEN,
    OneToOneClient,
)

SCENARIO_NAMES = {
    "agent-hands-over",
    "ai-tokens-run-out",
    "carrier-refuses",
    "send-failed",
    "template-rejected",
    "whatsapp-fails",
    "ai-tokens-empty",
    "window-expired",
    "real-limits",
    "rate-limited",
    "vendor-down",
    "slow",
    "token-revoked",
    "scope-missing",
}

# The control API as an app serving the 1TO1 AI API alone shows it (health's `apis`, the credentials listed).
pytestmark = pytest.mark.convomock(apis=["1to1ai"])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- health and credentials ----------------------------------------------------------------------------------------


def test_health(http: TestClient) -> None:
    response = http.get("/__mock/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["apis"] == {"1to1ai": "/1to1ai"}
    assert body["clock"]["frozen"] is True
    assert body["clock"]["now"] == "2026-01-15T15:00:00Z"
    assert body["scenarios"] == []
    assert body["strict"] is True
    assert body["strict_violations"] == 0 and body["internal_errors"] == 0


def test_credentials_work_and_hold_no_revoked_key(api: OneToOneClient) -> None:
    http = api.http
    response = http.get("/__mock/credentials")
    assert response.status_code == 200
    creds = response.json()["1to1ai"]
    assert {c["tenant"] for c in creds} == {"acme", "globex"}
    tokens = {c["token"] for c in creds}
    assert tokens == {ACME_TOKEN, ACME_QA_TOKEN, GLOBEX_TOKEN}
    assert ACME_REVOKED_TOKEN not in json.dumps(response.json())
    for credential in creds:
        client = api.as_(credential["tenant"], credential["token"])
        answer = client.get("/conversations", params={"limit": 1})
        assert answer.status_code == 200, (credential, answer.text)
        assert len(answer.json()["items"]) == 1
    assert {c["ai_token_balance"] for c in creds if c["tenant"] == "acme"} == {100000}


# -- reset -------------------------------------------------------------------------------------------------------


def test_reset_undoes_changes_and_empties_the_journal(api: OneToOneClient) -> None:
    assert api.conversation()["inbox_status"] == "pending"
    resolved = api.post("/conversation/resolve", json={"conversation": {"uuid": DOC_CONVERSATION}})
    assert resolved.status_code == 200, resolved.text
    assert api.conversation()["inbox_status"] == "resolved"
    api.advance("3h")
    assert api.http.get("/__mock/requests").json()["count"] > 0

    response = api.http.post("/__mock/reset")
    assert response.status_code == 200
    assert response.json()["reset"] is True
    assert response.json()["clock"]["now"] == "2026-01-15T15:00:00Z"
    assert api.http.get("/__mock/requests").json()["count"] == 0
    assert api.conversation()["inbox_status"] == "pending"


def test_reset_gives_back_the_seeded_state(api: OneToOneClient) -> None:
    seeded = api.state()
    api.inbound("hola", phone="+5215599990000")
    assert api.state() != seeded
    api.http.post("/__mock/reset")
    assert api.state() == seeded


# -- scenarios ---------------------------------------------------------------------------------------------------


def test_scenario_list(http: TestClient) -> None:
    response = http.get("/__mock/scenarios")
    assert response.status_code == 200
    body = response.json()
    assert {s["name"] for s in body["scenarios"]} == SCENARIO_NAMES
    for scenario in body["scenarios"]:
        assert isinstance(scenario["description"], str) and scenario["description"]
        assert scenario["active"] is False
    assert body["active"] == []


def test_scenario_toggle(api: OneToOneClient) -> None:
    http = api.http
    on = http.post("/__mock/scenarios/vendor-down")
    assert on.status_code == 200
    assert on.json()["name"] == "vendor-down" and on.json()["active"] is True and on.json()["changed"] is True
    assert http.post("/__mock/scenarios/vendor-down").json()["changed"] is False
    assert http.get("/__mock/scenarios/vendor-down").json()["active"] is True
    listed = {s["name"]: s["active"] for s in http.get("/__mock/scenarios").json()["scenarios"]}
    assert listed["vendor-down"] is True and listed["slow"] is False
    assert http.get("/__mock/health").json()["scenarios"] == ["vendor-down"]
    assert api.get("/conversations").status_code == 503

    off = http.delete("/__mock/scenarios/vendor-down")
    assert off.status_code == 200
    assert off.json()["active"] is False and off.json()["changed"] is True
    assert http.delete("/__mock/scenarios/vendor-down").json()["changed"] is False
    assert http.get("/__mock/scenarios").json()["active"] == []
    assert api.get("/conversations").status_code == 200


def test_unknown_scenario_is_404(http: TestClient) -> None:
    for response in (
        http.post("/__mock/scenarios/nope"),
        http.delete("/__mock/scenarios/nope"),
        http.get("/__mock/scenarios/nope"),
    ):
        assert response.status_code == 404
        assert "nope" in response.json()["error"]
    assert http.get("/__mock/scenarios").json()["active"] == []


# -- clock -------------------------------------------------------------------------------------------------------


def test_clock_read(http: TestClient) -> None:
    body = http.get("/__mock/clock").json()
    assert body["now"] == "2026-01-15T15:00:00Z"
    assert body["start"] == "2026-01-15T15:00:00Z"
    assert body["frozen"] is True


def test_clock_advance_moves_now_exactly(http: TestClient) -> None:
    before = instant(http.get("/__mock/clock").json()["now_precise"])
    response = http.post("/__mock/clock", json={"advance": "25h"})
    assert response.status_code == 200
    after = instant(response.json()["now_precise"])
    assert after - before == timedelta(hours=25)
    assert http.get("/__mock/clock").json()["now"] == "2026-01-16T16:00:00Z"


def test_clock_set(http: TestClient) -> None:
    response = http.post("/__mock/clock", json={"set": "2026-02-01T00:00:00Z"})
    assert response.status_code == 200
    assert response.json()["now"] == "2026-02-01T00:00:00Z"
    assert http.get("/__mock/clock").json()["now"] == "2026-02-01T00:00:00Z"


def test_clock_unfreeze_and_freeze(http: TestClient) -> None:
    response = http.post("/__mock/clock", json={"freeze": False})
    assert response.status_code == 200 and response.json()["frozen"] is False
    first = instant(http.get("/__mock/clock").json()["now_precise"])
    time.sleep(0.02)
    second = instant(http.get("/__mock/clock").json()["now_precise"])
    assert second > first, "an unfrozen clock runs"

    response = http.post("/__mock/clock", json={"freeze": True})
    assert response.status_code == 200 and response.json()["frozen"] is True
    first = http.get("/__mock/clock").json()["now_precise"]
    time.sleep(0.02)
    assert http.get("/__mock/clock").json()["now_precise"] == first


def test_bad_clock_bodies_are_400(http: TestClient) -> None:
    before = http.get("/__mock/clock").json()
    bad = [{}, [], {"advance": "soon"}, {"advance": True}, {"set": "not a date"}, {"freeze": "yes"}, {"rewind": "1h"}]
    for body in bad:
        response = http.post("/__mock/clock", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"], body
    response = http.post("/__mock/clock", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert http.get("/__mock/clock").json() == before


# -- the journal -------------------------------------------------------------------------------------------------


def test_requests_newest_first_with_details(api: OneToOneClient) -> None:
    api.get("/conversations", params={"limit": 1})
    api.get(f"/conversations/{DOC_CONVERSATION}")
    api.post("/conversation/status", json={"conversation": {"uuid": DOC_CONVERSATION}})
    api.as_("acme", None).get("/conversations")
    body = api.http.get("/__mock/requests").json()
    assert body["count"] == 4 and body["held"] == 4 and body["bound"] == 1000
    entries = body["items"]
    assert [e["operation_id"] for e in entries] == [
        "listConversations",
        "getConversationStatus",
        "getConversation",
        "listConversations",
    ]
    assert [e["status"] for e in entries] == [401, 200, 200, 200]
    assert [e["tenant"] for e in entries] == [None, "acme", "acme", "acme"]
    assert entries[0]["id"] > entries[1]["id"] > entries[2]["id"] > entries[3]["id"]
    assert entries[1]["method"] == "POST"
    assert entries[1]["request_body"] == {"conversation": {"uuid": DOC_CONVERSATION}}
    assert entries[1]["response_body"]["window"]["status"] == "open"
    assert entries[3]["query"] == "limit=1"
    assert entries[0]["response_body"]["code"] == "INVALID_API_TOKEN"
    for entry in entries[1:]:
        authorization = entry["request_headers"]["authorization"]
        assert authorization.startswith("Bearer sk_1t") and authorization.endswith("…")
        assert ACME_TOKEN not in json.dumps(entry)


def test_requests_filters_and_limit(api: OneToOneClient) -> None:
    api.get("/conversations", params={"limit": 1})
    api.get(f"/conversations/{DOC_CONVERSATION}")
    api.get(f"/conversations/{DOC_CONVERSATION}/messages")
    api.post("/conversation/status", json={"conversation": {"uuid": DOC_CONVERSATION}})
    http = api.http

    posts = http.get("/__mock/requests", params={"method": "post"}).json()["items"]
    assert [e["operation_id"] for e in posts] == ["getConversationStatus"]
    assert http.get("/__mock/requests", params={"api": "1to1ai"}).json()["count"] == 4
    assert http.get("/__mock/requests", params={"api": "other"}).json()["count"] == 0

    prefix = api.url(f"/conversations/{DOC_CONVERSATION}")
    under = http.get("/__mock/requests", params={"path": prefix}).json()["items"]
    assert [e["operation_id"] for e in under] == ["listConversationMessages", "getConversation"]
    exact = http.get("/__mock/requests", params={"path": prefix + "$"}).json()["items"]
    assert [e["operation_id"] for e in exact] == ["getConversation"]
    by_operation = http.get("/__mock/requests", params={"operation_id": "listConversations"}).json()
    assert by_operation["count"] == 1

    limited = http.get("/__mock/requests", params={"limit": 2}).json()
    assert [e["operation_id"] for e in limited["items"]] == ["getConversationStatus", "listConversationMessages"]
    assert limited["held"] == 4
    assert http.get("/__mock/requests", params={"limit": "two"}).status_code == 400


def test_clearing_the_journal(api: OneToOneClient) -> None:
    api.get("/conversations", params={"limit": 1})
    assert api.http.delete("/__mock/requests").json() == {"cleared": True}
    assert api.http.get("/__mock/requests").json()["count"] == 0


def test_journal_is_bounded() -> None:
    with in_process(create_app(apis=["1to1ai"], frozen=True, journal_limit=5)) as mock:
        api = OneToOneClient.acme(mock)
        for limit in range(1, 9):
            assert api.get("/conversations", params={"limit": limit}).status_code == 200
        body = mock.control.get("/__mock/requests").json()
    assert body["bound"] == 5 and body["held"] == 5 and body["count"] == 5
    assert [e["query"] for e in body["items"]] == [f"limit={n}" for n in (8, 7, 6, 5, 4)]


# -- state -------------------------------------------------------------------------------------------------------


def test_state_round_trip_restores_exactly(api: OneToOneClient) -> None:
    http = api.http
    first = api.state()
    assert api.post("/conversation/resolve", json={"conversation": {"uuid": DOC_CONVERSATION}}).status_code == 200
    assert (
        api.post(
            "/conversation/messages/text", json={"conversation": {"uuid": DOC_CONVERSATION}, "body": "hola"}
        ).status_code
        == 201
    )
    api.inbound("soy nuevo", phone="+5215599990001")
    assert api.state() != first

    response = http.put("/__mock/state", content=first.encode("utf-8"), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == {"restored": True}
    assert api.state() == first
    assert api.conversation()["inbox_status"] == "pending"
    assert len(api.messages()) == 3


def test_restore_keeps_the_snapshots_scenarios_on(api: OneToOneClient) -> None:
    http = api.http
    assert http.post("/__mock/scenarios/ai-tokens-empty").status_code == 200
    taken = api.state()
    assert http.post("/__mock/reset").status_code == 200
    assert http.get("/__mock/scenarios").json()["active"] == []
    restored = http.put("/__mock/state", content=taken.encode(), headers={"content-type": "application/json"})
    assert restored.status_code == 200
    assert http.get("/__mock/scenarios").json()["active"] == ["ai-tokens-empty"]
    refused = api.post(
        "/conversation/actions", json={"conversation": {"uuid": DOC_CONVERSATION}, "actions": [{"type": "run_ai"}]}
    )
    assert refused.status_code == 402 and refused.json()["code"] == "INSUFFICIENT_AI_TOKENS"


def test_a_refused_inbound_leaves_a_due_schedule_unsent(api: OneToOneClient) -> None:
    """The seeded schedule is due a day after the start; a refused inbound changes nothing, not even that."""
    api.advance("2d")
    before = api.state()
    for body in ({"slug": "acme", "body": "hola"}, {"slug": "acme", "phone": "12", "body": "hola"}):
        refused = api.http.post("/__mock/1to1ai/inbound", json=body)
        assert refused.status_code == 400 and "phone" in refused.json()["error"], refused.text
    unknown = api.http.post("/__mock/1to1ai/inbound", json={"slug": "acme", "conversation": "nope", "body": "hola"})
    assert unknown.status_code == 404
    assert api.state() == before
    written = api.inbound("hola", conversation=DOC_CONVERSATION)
    assert written["created"] is False
    assert api.state() != before  # the customer's message, and the schedule that was due went out first


def test_a_state_saved_before_the_docs_vocabulary_restores_in_it(api: OneToOneClient) -> None:
    """Schedules saved as `message_kind: text` (before issue 16) come back as the docs' `message`, and fire."""
    snapshot = json.loads(api.state())
    schedules = snapshot["apis"]["1to1ai"]["store"]["businesses"]["acme"]["schedules"]
    schedules[0]["message_kind"] = "text"
    restored = api.http.put("/__mock/state", json=snapshot)
    assert restored.status_code == 200, restored.text
    response = api.get("/conversation/scheduled-message", params={"uuid": DOC_CONVERSATION})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["message_kind"], data["message_snapshot"]["kind"]) == ("message", "message")
    assert data["message_snapshot"]["data"]["text"] == schedules[0]["text"]


def test_bad_state_is_400_and_changes_nothing(api: OneToOneClient) -> None:
    http = api.http
    assert api.post("/conversation/resolve", json={"conversation": {"uuid": DOC_CONVERSATION}}).status_code == 200
    before = api.state()
    snapshot = json.loads(before)
    broken_store = json.loads(before)
    broken_store["apis"]["1to1ai"]["store"]["businesses"]["acme"]["conversations"] = "nope"
    broken_rng = json.loads(before)
    broken_rng["apis"]["1to1ai"]["rng"] = "nope"
    garbage = [
        {"garbage": 1},
        [],
        {"format": 2, "apis": snapshot["apis"]},
        {"format": 1, "apis": {}},
        broken_store,
        broken_rng,
    ]
    for body in garbage:
        response = http.put("/__mock/state", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]
        assert api.state() == before
    response = http.put("/__mock/state", content=b"not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert api.state() == before
    assert api.conversation()["inbox_status"] == "resolved"


# -- settle ------------------------------------------------------------------------------------------------------


def test_settle(api: OneToOneClient) -> None:
    body = api.settle()
    assert body["settled"] is True and body["jobs_run"] == 0 and body["failures"] == []
    accepted = api.post(
        "/conversation/actions",
        json={
            "conversation": {"uuid": DOC_CONVERSATION},
            "actions": [{"type": "assign_label", "tags": [{"name": "Soporte"}]}],
        },
    )
    assert accepted.status_code == 202, accepted.text
    group = accepted.json()["group_uuid"]
    body = api.settle()  # the job may already have run on the event loop; settle only promises none is left
    assert body["settled"] is True and body["failures"] == []
    assert api.http.get("/__mock/health").json()["jobs_pending"] == 0
    assert "Soporte" in [t["name"] for t in api.conversation()["tags"]]
    log = api.activity(group=group)["items"]
    assert [(e["type"], e["status"]) for e in log] == [("assign_label", "succeeded")]


# -- 1TO1 AI simulations -------------------------------------------------------------------------------------------


def test_inbound_from_a_new_phone_creates_a_conversation(api: OneToOneClient) -> None:
    response = api.http.post(
        "/__mock/1to1ai/inbound",
        json={"slug": "acme", "phone": "+52 1 55 9999 0002", "body": "Hola, soy nuevo", "profile_name": "Nuevo"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    assert body["message"]["body"] == "Hola, soy nuevo" and body["message"]["is_from_customer"] is True
    assert body["messaging_window_expires_at"] == "2026-01-16T15:00:00Z"
    uuid = body["conversation_uuid"]

    first = api.get("/conversations", params={"limit": 1}).json()["items"][0]
    assert first["uuid"] == uuid  # newest first
    assert first["unread_count"] == 1
    assert first["contact"]["phone"] == "+5215599990002"
    assert first["contact"]["profile_name"] == "Nuevo"
    assert first["is_tester"] is False
    assert first["last_message_preview"]["body"] == "Hola, soy nuevo"
    window = api.post("/conversation/status", json={"conversation": {"uuid": uuid}}).json()["window"]
    assert window == {"status": "open", "hours_remaining": 24.0, "expires_at": "2026-01-16T15:00:00Z"}


def test_inbound_from_an_existing_phone_adds_to_its_conversation(api: OneToOneClient) -> None:
    total = len(api.http.get("/__mock/state").json()["apis"]["1to1ai"]["store"]["businesses"]["acme"]["conversations"])
    response = api.http.post("/__mock/1to1ai/inbound", json={"slug": "acme", "phone": DOC_PHONE, "body": "¿Sigue?"})
    assert response.status_code == 200, response.text
    assert response.json()["created"] is False
    assert response.json()["conversation_uuid"] == DOC_CONVERSATION
    assert api.messages()[0]["body"] == "¿Sigue?"
    assert api.conversation()["unread_count"] == 2
    assert (
        len(api.http.get("/__mock/state").json()["apis"]["1to1ai"]["store"]["businesses"]["acme"]["conversations"])
        == total
    )


def test_inbound_bad_bodies_are_400(api: OneToOneClient) -> None:
    before = api.state()
    bad = [
        {"slug": "acme", "body": "hola"},
        {"slug": "acme", "phone": DOC_PHONE},
        {"slug": "acme", "phone": DOC_PHONE, "body": "   "},
        {"slug": "acme", "phone": "123", "body": "hola"},
        {"slug": "acme", "phone": DOC_PHONE, "body": "x" * 4097},
    ]
    for body in bad:
        response = api.http.post("/__mock/1to1ai/inbound", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]
    assert api.state() == before


def test_inbound_unknown_slug_is_404(api: OneToOneClient) -> None:
    before = api.state()
    response = api.http.post("/__mock/1to1ai/inbound", json={"slug": "nope", "phone": DOC_PHONE, "body": "hola"})
    assert response.status_code == 404
    assert "nope" in response.json()["error"]
    assert api.state() == before


def test_activity_needs_a_slug(http: TestClient) -> None:
    response = http.get("/__mock/1to1ai/activity")
    assert response.status_code == 404
    assert "slug" in response.json()["error"]
    unknown = http.get("/__mock/1to1ai/activity", params={"slug": "nope"})
    assert unknown.status_code == 404
    body = http.get("/__mock/1to1ai/activity", params={"slug": "ACME"}).json()
    assert body["slug"] == "acme" and body["items"] == [] and body["ai_token_balance"] == 100000


def test_unknown_control_endpoint_is_404(http: TestClient) -> None:
    response = http.get("/__mock/nothing")
    assert response.status_code == 404
    assert "error" in response.json()
    assert http.delete("/__mock/health").status_code == 405
