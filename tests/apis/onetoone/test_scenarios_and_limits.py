"""Scenarios through HTTP (faults, state effects, per-request header) and the real rate limit on the mock clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from mock_server.server import create_app
from mock_server.testing import ConvoMock
from tests.support.clients import in_process
from tests.support.onetoone import ACME_QA_TOKEN, DOC_CONVERSATION, GLOBEX_TOKEN, OneToOneClient

TEXT = {"conversation": {"uuid": DOC_CONVERSATION}, "body": "¿Sigues ahí?"}
RUN_AI = {
    "conversation": {"uuid": DOC_CONVERSATION},
    "actions": [{"type": "run_ai", "ai_employee": {"name": "Sales Agent"}}],
}


def activate(api: OneToOneClient, name: str) -> None:
    response = api.http.post(f"/__mock/scenarios/{name}")
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True


def deactivate(api: OneToOneClient, name: str) -> None:
    response = api.http.delete(f"/__mock/scenarios/{name}")
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False


def last_entry(api: OneToOneClient) -> dict[str, Any]:
    return dict(api.http.get("/__mock/requests", params={"limit": 1}).json()["items"][0])


def mock_epoch(api: OneToOneClient) -> int:
    """Now on the mock clock, in whole seconds since the epoch."""
    return int(datetime.fromisoformat(api.http.get("/__mock/clock").json()["now_precise"]).timestamp())


def first_page(api: OneToOneClient, headers: dict[str, str] | None = None) -> Any:
    return api.get("/conversations", params={"limit": 1}, headers=headers)


# -- fault scenarios ---------------------------------------------------------------------------------------------


def test_rate_limited(api: OneToOneClient) -> None:
    activate(api, "rate-limited")
    before = api.state()
    sent_at = mock_epoch(api)
    response = api.post("/conversation/messages/text", json=TEXT)
    answered_at = mock_epoch(api)
    assert response.status_code == 429
    assert response.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert response.json()["message"]
    assert int(response.headers["retry-after"]) == 30
    assert response.headers["x-ratelimit-limit"] == "60"
    assert int(response.headers["x-ratelimit-remaining"]) >= 0
    # the epoch Retry-After points at, on the mock clock (it was 0)
    assert sent_at + 30 <= int(response.headers["x-ratelimit-reset"]) <= answered_at + 30
    assert api.state() == before, "a faulted send changed the state"
    assert api.as_("globex", GLOBEX_TOKEN).get("/conversations").status_code == 429
    deactivate(api, "rate-limited")
    assert first_page(api).status_code == 200


def test_vendor_down(api: OneToOneClient) -> None:
    activate(api, "vendor-down")
    response = api.get(f"/conversations/{DOC_CONVERSATION}")
    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert set(response.json()) == {"code", "message"}
    assert int(response.headers["retry-after"]) > 0
    assert api.post("/conversation/messages/text", json=TEXT).status_code == 503
    deactivate(api, "vendor-down")
    assert api.get(f"/conversations/{DOC_CONVERSATION}").status_code == 200


def test_token_revoked_refuses_a_good_key(api: OneToOneClient) -> None:
    assert first_page(api).status_code == 200
    activate(api, "token-revoked")
    for client in (api, api.as_("acme", ACME_QA_TOKEN), api.as_("globex", GLOBEX_TOKEN)):
        response = first_page(client)
        assert response.status_code == 401
        assert response.json()["code"] == "INVALID_API_TOKEN"
    deactivate(api, "token-revoked")
    assert first_page(api).status_code == 200


def test_slow_adds_latency_and_keeps_the_answer(api: OneToOneClient) -> None:
    normal = first_page(api)
    assert last_entry(api)["duration_ms"] < 750
    activate(api, "slow")
    slow = first_page(api)
    assert slow.status_code == 200
    assert slow.json() == normal.json()
    entry = last_entry(api)
    assert entry["duration_ms"] >= 750
    assert entry["scenarios"] == ["slow"]


def test_scenarios_compose_rate_limited_then_slow(api: OneToOneClient) -> None:
    activate(api, "rate-limited")
    activate(api, "slow")
    response = first_page(api)
    assert response.status_code == 429
    assert response.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert last_entry(api)["scenarios"] == ["rate-limited", "slow"]


def test_scenarios_compose_slow_then_rate_limited(api: OneToOneClient) -> None:
    """Both on is both on, whatever the order they were switched on in: slow, and then refused."""
    activate(api, "slow")
    activate(api, "rate-limited")
    response = first_page(api)
    assert response.status_code == 429
    assert response.json()["code"] == "RATE_LIMIT_EXCEEDED"
    entry = last_entry(api)
    assert entry["status"] == 429
    assert entry["duration_ms"] >= 750


# -- the per-request header ----------------------------------------------------------------------------------------


def test_header_scenario_affects_only_that_request(api: OneToOneClient) -> None:
    response = first_page(api, {"X-Mock-Scenario": "vendor-down"})
    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert last_entry(api)["scenarios"] == ["vendor-down"]
    assert api.http.get("/__mock/scenarios").json()["active"] == []
    assert first_page(api).status_code == 200


def test_header_scenario_with_state_effect_is_undone(api: OneToOneClient) -> None:
    before = api.state()
    response = api.post(
        "/conversation/status",
        json={"conversation": {"uuid": DOC_CONVERSATION}},
        headers={"X-Mock-Scenario": "window-expired"},
    )
    assert response.status_code == 200
    assert response.json()["window"]["status"] == "closed"
    assert api.state() == before
    refused = api.post("/conversation/messages/text", json=TEXT, headers={"X-Mock-Scenario": "window-expired"})
    assert refused.status_code == 422 and refused.json()["code"] == "WINDOW_CLOSED"
    assert api.post("/conversation/messages/text", json=TEXT).status_code == 201


def test_header_with_several_scenarios(api: OneToOneClient) -> None:
    response = first_page(api, {"X-Mock-Scenario": "slow, token-revoked"})
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_API_TOKEN"
    entry = last_entry(api)
    assert entry["scenarios"] == ["slow", "token-revoked"]
    assert entry["duration_ms"] >= 750


def test_unknown_scenario_in_header_is_400(api: OneToOneClient) -> None:
    before = api.state()
    response = first_page(api, {"X-Mock-Scenario": "meteor-strike"})
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert "meteor-strike" in response.json()["message"]
    assert "X-Mock-Scenario" in response.json()["message"]
    assert api.state() == before


# -- state scenarios ---------------------------------------------------------------------------------------------


def test_window_expired(api: OneToOneClient) -> None:
    activate(api, "window-expired")
    count = len(api.messages())
    response = api.post("/conversation/messages/text", json=TEXT)
    assert response.status_code == 422
    assert response.json()["code"] == "WINDOW_CLOSED"
    assert len(api.messages()) == count
    window = api.post("/conversation/status", json={"conversation": {"uuid": DOC_CONVERSATION}}).json()["window"]
    assert window["status"] == "closed" and window["hours_remaining"] == 0
    deactivate(api, "window-expired")
    window = api.post("/conversation/status", json={"conversation": {"uuid": DOC_CONVERSATION}}).json()["window"]
    assert window == {"status": "open", "hours_remaining": 22.0, "expires_at": "2026-01-16T13:00:00Z"}
    response = api.post("/conversation/messages/text", json=TEXT)
    assert response.status_code == 201, response.text
    assert api.messages()[0]["body"] == TEXT["body"]


@pytest.fixture
def tokens_empty() -> Iterator[ConvoMock]:
    with in_process(create_app(apis=["1to1ai"], frozen=True, scenarios=["ai-tokens-empty"])) as mock:
        yield mock


def test_ai_tokens_empty_at_start(tokens_empty: ConvoMock) -> None:
    http = tokens_empty.control
    creds = http.get("/__mock/credentials").json()["1to1ai"]
    assert creds and all(c["ai_token_balance"] == 0 for c in creds)
    assert http.get("/__mock/scenarios").json()["active"] == ["ai-tokens-empty"]
    api = OneToOneClient.acme(tokens_empty)
    response = api.post("/conversation/actions", json=RUN_AI)
    assert response.status_code == 402
    assert response.json()["code"] == "INSUFFICIENT_AI_TOKENS"
    # a reset keeps the start scenarios on
    http.post("/__mock/reset")
    assert all(c["ai_token_balance"] == 0 for c in http.get("/__mock/credentials").json()["1to1ai"])
    # switching it off gives back the seeded balances
    assert http.delete("/__mock/scenarios/ai-tokens-empty").json()["changed"] is True
    balances = {c["tenant"]: c["ai_token_balance"] for c in http.get("/__mock/credentials").json()["1to1ai"]}
    assert balances == {"acme": 100000, "globex": 2500}
    assert api.post("/conversation/actions", json=RUN_AI).status_code == 202


# -- the real rate limit -----------------------------------------------------------------------------------------


def test_real_limits_per_key_on_the_mock_clock(api: OneToOneClient) -> None:
    activate(api, "real-limits")
    for n in range(60):
        response = first_page(api)
        assert response.status_code == 200, f"request {n + 1}: {response.text}"
    before = api.state()
    response = first_page(api)
    assert response.status_code == 429
    assert response.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.headers["x-ratelimit-limit"] == "60"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["x-ratelimit-reset"]) > 0
    assert api.state() == before

    qa = api.as_("acme", ACME_QA_TOKEN)
    assert first_page(qa).status_code == 200, "the limit counts per key, not per business"

    api.advance("61s")
    response = first_page(api)
    assert response.status_code == 200, response.text


def test_real_limits_retry_after_follows_the_window(api: OneToOneClient) -> None:
    activate(api, "real-limits")
    for _ in range(30):
        assert first_page(api).status_code == 200
    api.advance("20s")
    for _ in range(30):
        assert first_page(api).status_code == 200
    refused = first_page(api)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 40  # the first 30 leave the window 60s after they came
    api.advance("40s")
    for _ in range(30):
        assert first_page(api).status_code == 200
    assert first_page(api).status_code == 429


def test_without_real_limits_100_quick_requests_succeed(api: OneToOneClient) -> None:
    statuses = [first_page(api).status_code for _ in range(100)]
    assert statuses == [200] * 100


def test_real_limits_off_again_stops_throttling(api: OneToOneClient) -> None:
    activate(api, "real-limits")
    for _ in range(60):
        first_page(api)
    assert first_page(api).status_code == 429
    deactivate(api, "real-limits")
    assert first_page(api).status_code == 200
