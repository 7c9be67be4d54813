"""HighLevel's rate limits (100 requests per 10 s and 200,000 a day, per location): counted on the mock clock and
reported in five X-RateLimit-* headers on every answer once the token names the location, enforced (429) only
under the `real-limits` scenario; and the other scenarios as a HighLevel client sees them: NestJS error bodies for
rate-limited, vendor-down, token-revoked and scope-missing, added latency for slow, and the one-request
X-Mock-Scenario header."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mock_server.server import create_app
from mock_server.testing import ConvoMock
from tests.support.clients import in_process
from tests.support.highlevel import HL_ACME_FULL, HL_ACME_READ, HL_GLOBEX_FULL, HighLevelClient
from tests.support.onetoone import ACME_TOKEN, DOC_CONVERSATION, OneToOneClient

RATE_HEADERS = (
    "X-RateLimit-Limit-Daily",
    "X-RateLimit-Daily-Remaining",
    "X-RateLimit-Interval-Milliseconds",
    "X-RateLimit-Max",
    "X-RateLimit-Remaining",
)
AGENT = "/conversation-ai/agents/agent_seed_1"
GLOBEX_AGENT = "/conversation-ai/agents/agent_globex_1"
SCOPE_MESSAGE = "The token is not authorized for this scope."
TOO_MANY = {"statusCode": 429, "message": "Too Many Requests"}
UPDATE = {"name": "Renamed Desk", "autoPilotMaxMessages": 5}


def scenario_on(hl: HighLevelClient, name: str) -> None:
    response = hl.http.post(f"/__mock/scenarios/{name}")
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True


def scenario_off(hl: HighLevelClient, name: str) -> None:
    response = hl.http.delete(f"/__mock/scenarios/{name}")
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False


def advance(hl: HighLevelClient, duration: str) -> None:
    assert hl.http.post("/__mock/clock", json={"advance": duration}).status_code == 200


def read_agent(hl: HighLevelClient) -> Any:
    response = hl.get(AGENT)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == "agent_seed_1" and response.json()["name"] == "Front Desk"
    return response


def rate(response: Any) -> dict[str, int]:
    missing = [name for name in RATE_HEADERS if name not in response.headers]
    assert not missing, f"{response.status_code} without {missing}"
    return {name: int(response.headers[name]) for name in RATE_HEADERS}


def burn(hl: HighLevelClient, count: int) -> Any:
    """`count` successful reads; the last answer."""
    response = None
    for _ in range(count):
        response = read_agent(hl)
    return response


def assert_throttled(response: Any, daily_remaining: int, retry_after: str = "10") -> None:
    assert response.status_code == 429, response.text
    assert response.json() == TOO_MANY
    assert rate(response) == {
        "X-RateLimit-Limit-Daily": 200000,
        "X-RateLimit-Daily-Remaining": daily_remaining,
        "X-RateLimit-Interval-Milliseconds": 10000,
        "X-RateLimit-Max": 100,
        "X-RateLimit-Remaining": 0,
    }
    assert response.headers["Retry-After"] == retry_after  # the whole window was used at one frozen instant


# -- real-limits ---------------------------------------------------------------------------------------------


def test_real_limits_put_the_five_headers_on_every_answer(hl: HighLevelClient) -> None:
    scenario_on(hl, "real-limits")
    first = rate(read_agent(hl))
    assert first == {
        "X-RateLimit-Limit-Daily": 200000,
        "X-RateLimit-Daily-Remaining": 199999,
        "X-RateLimit-Interval-Milliseconds": 10000,
        "X-RateLimit-Max": 100,
        "X-RateLimit-Remaining": 99,
    }
    search = hl.get("/conversation-ai/agents/search", params={"limit": 2})
    assert search.status_code == 200 and search.json()["count"] == 2
    updated = hl.put(AGENT, json=UPDATE)
    assert updated.status_code == 200 and updated.json()["name"] == "Renamed Desk"
    assert [rate(r)["X-RateLimit-Remaining"] for r in (search, updated)] == [98, 97]
    assert [rate(r)["X-RateLimit-Daily-Remaining"] for r in (search, updated)] == [199998, 199997]


def test_real_limits_headers_on_an_error_answer_too(hl: HighLevelClient) -> None:
    scenario_on(hl, "real-limits")
    read_agent(hl)
    missing = hl.get("/conversation-ai/agents/agent_missing")
    assert missing.status_code == 400
    assert missing.json() == {
        "statusCode": 400,
        "message": "No Agent found for the id: agent_missing",
        "error": "Bad Request",
    }
    assert rate(missing)["X-RateLimit-Remaining"] == 98  # it was counted, so it says so
    assert rate(read_agent(hl))["X-RateLimit-Remaining"] == 97


def test_the_101st_request_in_ten_seconds_is_refused(hl: HighLevelClient) -> None:
    scenario_on(hl, "real-limits")
    remaining = [rate(read_agent(hl))["X-RateLimit-Remaining"] for _ in range(100)]
    assert remaining == list(range(99, -1, -1))
    assert_throttled(hl.get(AGENT), daily_remaining=199900)
    refused_write = hl.put(AGENT, json=UPDATE)
    assert_throttled(refused_write, daily_remaining=199900)
    assert read_agent_after_window(hl)["name"] == "Front Desk"  # the refused PUT changed nothing


def read_agent_after_window(hl: HighLevelClient) -> dict[str, Any]:
    advance(hl, "10s")
    response = read_agent(hl)
    # A fresh window; the refused requests were not counted anywhere.
    assert rate(response)["X-RateLimit-Remaining"] == 99
    assert rate(response)["X-RateLimit-Daily-Remaining"] == 199899
    return dict(response.json())


def test_the_limit_is_per_location_not_per_token(hl: HighLevelClient) -> None:
    scenario_on(hl, "real-limits")
    burn(hl, 100)
    assert_throttled(hl.as_(HL_ACME_READ).get(AGENT), daily_remaining=199900)
    globex = hl.as_(HL_GLOBEX_FULL).get(GLOBEX_AGENT)
    assert globex.status_code == 200, globex.text
    assert globex.json()["id"] == "agent_globex_1"
    assert rate(globex)["X-RateLimit-Remaining"] == 99
    assert rate(globex)["X-RateLimit-Daily-Remaining"] == 199999


def test_advancing_the_clock_frees_the_window(hl: HighLevelClient) -> None:
    scenario_on(hl, "real-limits")
    burn(hl, 100)
    assert_throttled(hl.get(AGENT), daily_remaining=199900)
    advance(hl, "9s")
    assert_throttled(hl.get(AGENT), daily_remaining=199900, retry_after="1")
    advance(hl, "1s")
    again = read_agent(hl)
    assert rate(again)["X-RateLimit-Remaining"] == 99
    reader = hl.as_(HL_ACME_READ).get(AGENT)
    assert reader.status_code == 200 and reader.json()["id"] == "agent_seed_1"


def test_the_daily_count_keeps_going_down_across_windows(hl: HighLevelClient) -> None:
    scenario_on(hl, "real-limits")
    assert rate(burn(hl, 100))["X-RateLimit-Daily-Remaining"] == 199900
    advance(hl, "10s")
    last = rate(burn(hl, 50))
    assert last["X-RateLimit-Daily-Remaining"] == 200000 - 150
    assert last["X-RateLimit-Remaining"] == 50


# -- counted without real-limits -----------------------------------------------------------------------------------


def rate_headers(response: Any) -> list[str]:
    return [name for name in response.headers if name.lower().startswith("x-ratelimit")]


def test_without_real_limits_every_answer_counts_and_nothing_is_refused(hl: HighLevelClient) -> None:
    """The vendor's page: every answer reports the count. The mock clock stands still, so all 101 share a window."""
    counts = [rate(read_agent(hl)) for _ in range(101)]
    assert [c["X-RateLimit-Remaining"] for c in counts] == [*range(99, -1, -1), 0]  # served, and says 0
    assert [c["X-RateLimit-Daily-Remaining"] for c in counts[-2:]] == [199900, 199899]
    assert {
        (c["X-RateLimit-Max"], c["X-RateLimit-Limit-Daily"], c["X-RateLimit-Interval-Milliseconds"]) for c in counts
    } == {(100, 200000, 10000)}
    write = hl.put(AGENT, json=UPDATE)  # a write over the burst is served too
    assert write.status_code == 200 and write.json()["name"] == "Renamed Desk"
    assert rate(write)["X-RateLimit-Remaining"] == 0


def test_headers_on_every_kind_of_answer_once_the_location_is_known(hl: HighLevelClient) -> None:
    read = read_agent(hl)
    created = hl.post(
        "/conversation-ai/agents", json={"name": "n", "personality": "p", "goal": "g", "instructions": "i"}
    )
    assert created.status_code == 201 and created.json()["name"] == "n"
    no_version = hl.as_(HL_ACME_FULL, version=None).get(AGENT)
    assert no_version.status_code == 400 and no_version.json()["message"].startswith("Version header must be")
    unknown = hl.get("/conversation-ai/agents/agent_missing")
    assert unknown.status_code == 400 and unknown.json()["message"] == "No Agent found for the id: agent_missing"
    invalid = hl.put(AGENT, json={})
    assert invalid.status_code == 422 and invalid.json()["message"] == ["autoPilotMaxMessages should not be empty"]
    not_json = hl.put(AGENT, content=b"x=1", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 415, not_json.text
    answers = [read, created, no_version, unknown, invalid, not_json]
    assert [rate(r)["X-RateLimit-Remaining"] for r in answers] == [99, 98, 97, 96, 95, 94]
    # convomock design: before the token names a location there is nothing to count against
    anonymous = hl.as_(None).get(AGENT)
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "Invalid token: access token is invalid"
    nowhere = hl.get("/conversation-ai/nowhere")
    assert nowhere.status_code == 404 and nowhere.json()["message"] == "Cannot GET /conversation-ai/nowhere"
    assert rate_headers(anonymous) == [] and rate_headers(nowhere) == []
    assert rate(read_agent(hl))["X-RateLimit-Remaining"] == 93  # neither was counted


def test_switching_real_limits_on_enforces_the_count_already_made(hl: HighLevelClient) -> None:
    assert rate(burn(hl, 100))["X-RateLimit-Remaining"] == 0
    scenario_on(hl, "real-limits")
    assert_throttled(hl.get(AGENT), daily_remaining=199900)
    scenario_off(hl, "real-limits")
    served = rate(read_agent(hl))  # counted in the day; the full burst window stays full, not overfull...
    assert (served["X-RateLimit-Remaining"], served["X-RateLimit-Daily-Remaining"]) == (0, 199899)
    advance(hl, "10s")
    assert rate(read_agent(hl))["X-RateLimit-Remaining"] == 99  # ...so the next window starts afresh


def test_advancing_the_clock_frees_the_window_without_real_limits(hl: HighLevelClient) -> None:
    burn(hl, 100)
    advance(hl, "9s")
    assert rate(read_agent(hl))["X-RateLimit-Remaining"] == 0
    advance(hl, "1s")
    again = rate(read_agent(hl))
    assert again["X-RateLimit-Remaining"] == 99
    assert again["X-RateLimit-Daily-Remaining"] == 200000 - 102
    advance(hl, "1d")
    assert rate(read_agent(hl))["X-RateLimit-Daily-Remaining"] == 199999  # a day later, a fresh day


def test_setting_the_clock_back_forgets_the_requests_not_yet_made(hl: HighLevelClient) -> None:
    """Hits stamped after the new now have not happened yet: the count starts over, and real-limits does not
    refuse for months."""
    burn(hl, 52)
    assert hl.http.post("/__mock/clock", json={"set": "2020-01-01T00:00:00Z"}).status_code == 200
    first = rate(read_agent(hl))
    assert (first["X-RateLimit-Remaining"], first["X-RateLimit-Daily-Remaining"]) == (99, 199999)
    burn(hl, 99)
    advance(hl, "1h")
    response = hl.get(AGENT, headers={"X-Mock-Scenario": "real-limits"})
    assert response.status_code == 200, response.text
    assert rate(response)["X-RateLimit-Remaining"] == 99


# -- fault scenarios -------------------------------------------------------------------------------------------


def test_rate_limited_answers_429_in_the_nestjs_shape(hl: HighLevelClient) -> None:
    scenario_on(hl, "rate-limited")
    for response in (hl.get(AGENT), hl.put(AGENT, json=UPDATE), hl.get("/conversation-ai/agents/search")):
        assert response.status_code == 429
        assert response.json() == TOO_MANY
        assert response.headers["Retry-After"] == "30"
    scenario_off(hl, "rate-limited")
    assert read_agent(hl).json()["name"] == "Front Desk"


def test_vendor_down_answers_503_and_changes_nothing(hl: HighLevelClient) -> None:
    before = hl.state()
    scenario_on(hl, "vendor-down")
    for response in (hl.get(AGENT), hl.put(AGENT, json=UPDATE), hl.delete(AGENT)):
        assert response.status_code == 503
        assert response.json() == {"statusCode": 503, "message": "Service Unavailable", "error": "Service Unavailable"}
    scenario_off(hl, "vendor-down")
    assert hl.state() == before
    assert read_agent(hl).json()["name"] == "Front Desk"


def test_vendor_down_says_when_to_retry(hl: HighLevelClient) -> None:
    """scenarios/vendor-down.yaml: "every call answers 503 in the vendor's error shape, with Retry-After" (30)."""
    scenario_on(hl, "vendor-down")
    response = hl.get(AGENT)
    assert response.status_code == 503
    assert response.headers.get("Retry-After") == "30"


def test_token_revoked_answers_401_invalid_token(hl: HighLevelClient) -> None:
    scenario_on(hl, "token-revoked")
    expected = {"statusCode": 401, "message": "Invalid token: access token is invalid", "error": "Unauthorized"}
    for client in (hl, hl.as_(HL_ACME_READ), hl.as_(HL_GLOBEX_FULL)):
        response = client.get("/conversation-ai/agents/search")
        assert response.status_code == 401 and response.json() == expected
    refused = hl.put(AGENT, json=UPDATE)
    assert refused.status_code == 401 and refused.json() == expected
    scenario_off(hl, "token-revoked")
    assert read_agent(hl).json()["name"] == "Front Desk"


def test_scope_missing_refuses_reads_and_writes(hl: HighLevelClient) -> None:
    before = hl.state()
    scenario_on(hl, "scope-missing")
    expected = {"statusCode": 401, "message": SCOPE_MESSAGE, "error": "Unauthorized"}
    responses = [
        hl.get(AGENT),
        hl.get("/conversation-ai/generations", params={"messageId": "msg_1", "source": "conversation"}),
        hl.put(AGENT, json=UPDATE),
        hl.delete(AGENT),
        hl.as_(HL_GLOBEX_FULL).get(GLOBEX_AGENT),
    ]
    for response in responses:
        assert response.status_code == 401, response.text
        assert response.json() == expected
    scenario_off(hl, "scope-missing")
    assert hl.state() == before
    generation = hl.get("/conversation-ai/generations", params={"messageId": "msg_1", "source": "conversation"})
    assert generation.status_code == 200 and generation.json()["agentId"] == "agent_seed_1"


@pytest.fixture
def both() -> Iterator[ConvoMock]:
    with in_process(create_app(apis=["1to1ai", "highlevel"], frozen=True)) as mock:
        yield mock


def test_scope_missing_does_not_touch_the_1to1_ai_api(both: ConvoMock) -> None:
    hl = HighLevelClient.acme(both)
    scenario_on(hl, "scope-missing")
    one = OneToOneClient.acme(both).as_("acme", ACME_TOKEN)
    assert one.url(f"/conversations/{DOC_CONVERSATION}").startswith("/1to1ai/api/v1/public/acme/")
    response = one.get(f"/conversations/{DOC_CONVERSATION}")
    assert response.status_code == 200, response.text
    assert response.json()["uuid"] == DOC_CONVERSATION
    refused = hl.get(AGENT)
    assert refused.status_code == 401 and refused.json()["message"] == SCOPE_MESSAGE


def test_1to1_ai_is_neither_counted_nor_reported_without_real_limits(both: ConvoMock) -> None:
    """Counting on every answer is HighLevel's (its docs say every answer reports the count); 1TO1 AI tells its
    count only on its 429s, so without `real-limits` its answers carry no rate headers and nothing is counted."""
    hl = HighLevelClient.acme(both)
    one = OneToOneClient.acme(both).as_("acme", ACME_TOKEN)
    answers = [one.get(f"/conversations/{DOC_CONVERSATION}") for _ in range(61)]
    assert [r.status_code for r in answers] == [200] * 61
    assert all(rate_headers(r) == [] for r in answers)
    assert rate(read_agent(hl))["X-RateLimit-Remaining"] == 99
    scenario_on(hl, "real-limits")  # the 61 reads were not counted: 1TO1 AI's minute starts now
    statuses = [one.get(f"/conversations/{DOC_CONVERSATION}").status_code for _ in range(61)]
    assert statuses == [200] * 60 + [429]


def test_slow_adds_latency_and_leaves_the_answer_alone(hl: HighLevelClient) -> None:
    normal = read_agent(hl).json()
    scenario_on(hl, "slow")
    slow = read_agent(hl).json()
    assert {k: v for k, v in slow.items() if k != "traceId"} == {k: v for k, v in normal.items() if k != "traceId"}
    journal = hl.http.get("/__mock/requests", params={"api": "highlevel", "limit": 2})
    assert journal.status_code == 200
    latest, earlier = journal.json()["items"]
    assert latest["status"] == 200 and latest["scenarios"] == ["slow"]
    assert latest["duration_ms"] >= 750
    assert earlier["duration_ms"] < 750 and earlier["scenarios"] == []


def test_the_scenario_header_applies_to_one_request_only(hl: HighLevelClient) -> None:
    down = hl.get(AGENT, headers={"X-Mock-Scenario": "vendor-down"})
    assert down.status_code == 503
    assert down.json() == {"statusCode": 503, "message": "Service Unavailable", "error": "Service Unavailable"}
    assert read_agent(hl).json()["id"] == "agent_seed_1"
    listed = hl.http.get("/__mock/scenarios")
    assert listed.status_code == 200 and listed.json()["active"] == []
    journal = hl.http.get("/__mock/requests", params={"limit": 2}).json()["items"]
    assert [(e["status"], e["scenarios"]) for e in journal] == [(200, []), (503, ["vendor-down"])]
