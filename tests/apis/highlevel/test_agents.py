"""HighLevel Conversation AI agents over HTTP: create, get, update, delete, the 422 validation rules (class-validator
messages in a list) and the search with its cursor, its counts and its lowercase-only query."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.highlevel import HL_GLOBEX_FULL, HighLevelClient, assert_422

AGENTS = "/conversation-ai/agents"
ACME_AGENT_COUNT = 12  # fixtures/highlevel.yaml: 3 fixed agents + agents_per_location 9 generated
START = "2026-01-15T15:00:00Z"  # the frozen mock clock
SEED_1_ACTIONS = [
    "act_stop_1",
    "act_handover_1",
    "act_email_1",
    "act_workflow_1",
    "act_booking_1",
    "act_followup_1",
    "act_transfer_1",
]

# The body the official SDK sent in a recorded call (notes/CLIENTS.md), verbatim.
SDK_BODY = {
    "name": "Probe Agent",
    "businessName": "Probe Co",
    "mode": "auto-pilot",
    "channels": ["SMS", "WebChat"],
    "isPrimary": False,
    "waitTime": 30,
    "waitTimeUnit": "seconds",
    "sleepEnabled": False,
    "personality": "p",
    "goal": "g",
    "instructions": "i",
    "autoPilotMaxMessages": 20,
    "knowledgeBaseIds": ["kb_1"],
    "respondToImages": True,
    "respondToAudio": False,
    "sleepOnManualMessage": True,
    "sleepOnWorkflowMessage": False,
}
MINIMAL = {
    "name": "Sales Agent",
    "personality": "Friendly and concise.",
    "goal": "Book a discovery call.",
    "instructions": "Ask for the contact's email before offering times.",
}


def create(hl: HighLevelClient, **fields: Any) -> httpx.Response:
    return hl.post(AGENTS, json={**MINIMAL, **fields})


def created(hl: HighLevelClient, **fields: Any) -> dict[str, Any]:
    response = create(hl, **fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


def get(hl: HighLevelClient, agent_id: str) -> dict[str, Any]:
    response = hl.get(f"{AGENTS}/{agent_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def search(hl: HighLevelClient, **query: Any) -> dict[str, Any]:
    response = hl.get(f"{AGENTS}/search", params=query)
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_no_agent(response: httpx.Response, agent_id: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {
        "statusCode": 400,
        "message": f"No Agent found for the id: {agent_id}",
        "error": "Bad Request",
    }


# -- create and get ------------------------------------------------------------------------------------------------


def test_create_with_the_sdk_recorded_body(hl: HighLevelClient) -> None:
    response = hl.post(AGENTS, json=SDK_BODY)
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body.pop("traceId"), str)
    agent_id = body.pop("id")
    assert isinstance(agent_id, str) and agent_id
    expected = {k: v for k, v in SDK_BODY.items() if k not in ("respondToImages", "respondToAudio")}
    assert body == {**expected, "actions": []}  # sleep off: no sleepTime/sleepTimeUnit (the vendor's schema: no null)
    assert "respondToImages" not in body and "respondToAudio" not in body
    again = get(hl, agent_id)
    assert again.pop("traceId") != response.json()["traceId"]
    assert again == {**body, "id": agent_id}


def test_create_minimal_takes_the_documented_defaults(hl: HighLevelClient) -> None:
    agent = created(hl)
    assert agent["name"] == "Sales Agent" and agent["goal"] == "Book a discovery call."
    assert agent["mode"] == "off"
    assert (agent["waitTime"], agent["waitTimeUnit"]) == (2, "seconds")
    assert agent["autoPilotMaxMessages"] == 75
    assert agent["isPrimary"] is False  # the seed already has a primary agent
    assert agent["channels"] == [] and agent["knowledgeBaseIds"] == [] and agent["actions"] == []
    assert agent["sleepEnabled"] is False and "sleepTime" not in agent and "sleepTimeUnit" not in agent


def test_get_seeded_agent(hl: HighLevelClient) -> None:
    agent = get(hl, "agent_seed_1")
    assert agent["name"] == "Front Desk" and agent["mode"] == "auto-pilot" and agent["isPrimary"] is True
    assert agent["channels"] == ["SMS", "WebChat", "WhatsApp", "Live_Chat"]
    assert (agent["sleepEnabled"], agent["sleepTime"], agent["sleepTimeUnit"]) == (True, 2, "hours")
    assert agent["knowledgeBaseIds"] == ["kb_1"] and agent["autoPilotMaxMessages"] == 5
    assert [a["id"] for a in agent["actions"]] == SEED_1_ACTIONS
    assert agent["actions"][0] == {"id": "act_stop_1", "type": "stopBot"}


def test_first_agent_of_an_empty_location_is_primary(hl: HighLevelClient) -> None:
    globex = hl.as_(HL_GLOBEX_FULL)
    for item in search(globex, limit=100)["agents"]:
        assert globex.delete(f"{AGENTS}/{item['id']}").status_code == 200
    assert search(globex)["totalCount"] == 0
    first = created(globex)
    assert first["isPrimary"] is True
    second = created(globex, name="Second")
    assert second["isPrimary"] is False
    assert get(globex, first["id"])["isPrimary"] is True


def test_creating_a_primary_agent_moves_primary(hl: HighLevelClient) -> None:
    agent = created(hl, isPrimary=True, mode="auto-pilot")
    assert agent["isPrimary"] is True
    assert get(hl, "agent_seed_1")["isPrimary"] is False
    primaries = [a["id"] for a in search(hl, limit=100)["agents"] if a["isPrimary"]]
    assert primaries == [agent["id"]]


# -- update --------------------------------------------------------------------------------------------------------


def test_update_requires_auto_pilot_max_messages(hl: HighLevelClient) -> None:
    before = hl.state()
    response = hl.put(f"{AGENTS}/agent_seed_2", json={"name": "Renamed"})
    assert assert_422(response) == ["autoPilotMaxMessages should not be empty"]
    assert hl.state() == before


def test_partial_update_keeps_other_fields(hl: HighLevelClient) -> None:
    before = get(hl, "agent_seed_2")
    response = hl.put(f"{AGENTS}/agent_seed_2", json={"autoPilotMaxMessages": 40, "name": "Sales Desk"})
    assert response.status_code == 200, response.text
    after = response.json()
    assert isinstance(after.pop("traceId"), str)
    before.pop("traceId")
    assert after == {**before, "autoPilotMaxMessages": 40, "name": "Sales Desk"}
    assert get(hl, "agent_seed_2")["name"] == "Sales Desk"
    item = next(a for a in search(hl, query="sales desk")["agents"] if a["id"] == "agent_seed_2")
    assert item["updatedAt"] == START and item["createdAt"] != START


def test_update_checks_wait_time_against_the_stored_unit(hl: HighLevelClient) -> None:
    response = hl.put(
        f"{AGENTS}/agent_seed_3", json={"autoPilotMaxMessages": 10, "waitTimeUnit": "minutes", "waitTime": 3}
    )
    assert response.status_code == 200, response.text
    before = hl.state()
    response = hl.put(f"{AGENTS}/agent_seed_3", json={"autoPilotMaxMessages": 10, "waitTime": 6})
    assert_422(response, "waitTime must not be greater than 5 when waitTimeUnit is minutes")
    assert hl.state() == before
    assert (get(hl, "agent_seed_3")["waitTime"]) == 3


def test_sleep_disabled_clears_sleep_time(hl: HighLevelClient) -> None:
    response = hl.put(f"{AGENTS}/agent_seed_1", json={"autoPilotMaxMessages": 5, "sleepEnabled": False})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sleepEnabled"] is False and not {"sleepTime", "sleepTimeUnit"} & set(body)  # absent, never null
    stored = get(hl, "agent_seed_1")
    assert stored["sleepEnabled"] is False and not {"sleepTime", "sleepTimeUnit"} & set(stored)
    listed = next(a for a in search(hl)["agents"] if a["id"] == "agent_seed_1")
    assert listed["sleepEnabled"] is False and not {"sleepTime", "sleepTimeUnit"} & set(listed)


def test_update_primary_without_mode_is_refused(hl: HighLevelClient) -> None:
    before = hl.state()
    response = hl.put(f"{AGENTS}/agent_seed_2", json={"autoPilotMaxMessages": 75, "isPrimary": True})
    assert_422(response, "mode is required when isPrimary is true")
    assert hl.state() == before
    response = hl.put(
        f"{AGENTS}/agent_seed_2", json={"autoPilotMaxMessages": 75, "isPrimary": True, "mode": "auto-pilot"}
    )
    assert response.status_code == 200 and response.json()["isPrimary"] is True
    assert get(hl, "agent_seed_1")["isPrimary"] is False


# -- delete and unknown ids ----------------------------------------------------------------------------------------


def test_delete_agent_and_its_actions(hl: HighLevelClient) -> None:
    response = hl.delete(f"{AGENTS}/agent_seed_1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body.pop("traceId"), str)
    assert body == {"success": True, "id": "agent_seed_1"}
    assert_no_agent(hl.get(f"{AGENTS}/agent_seed_1"), "agent_seed_1")
    assert_no_agent(hl.get(f"{AGENTS}/agent_seed_1/actions/list"), "agent_seed_1")
    assert_no_agent(hl.get(f"{AGENTS}/agent_seed_1/actions/act_stop_1"), "agent_seed_1")
    # the actions themselves are gone, not only unreachable through their agent
    response = hl.patch(
        f"{AGENTS}/agent_seed_2/followup-settings",
        json={"actionIds": ["act_followup_1"], "followupSettings": {"dynamicChannelSwitching": True}},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "No Action found for the id: act_followup_1"
    state = hl.state()
    assert not any(action_id in state for action_id in SEED_1_ACTIONS)
    assert_no_agent(hl.delete(f"{AGENTS}/agent_seed_1"), "agent_seed_1")
    assert "agent_seed_1" not in [a["id"] for a in search(hl, limit=100)["agents"]]
    assert search(hl)["totalCount"] == ACME_AGENT_COUNT - 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_agent_is_a_400(hl: HighLevelClient, method: str) -> None:
    json = {"autoPilotMaxMessages": 10} if method == "PUT" else None
    assert_no_agent(hl.request(method, f"{AGENTS}/nope", json=json), "nope")


# -- validation ----------------------------------------------------------------------------------------------------

SLEEP_NOT_ALLOWED = "sleepTime should not be provided when sleepEnabled is false"
RULES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("wait-301-seconds", {"waitTime": 301}, ["waitTime must not be greater than 300 when waitTimeUnit is seconds"]),
    (
        "wait-6-minutes",
        {"waitTime": 6, "waitTimeUnit": "minutes"},
        ["waitTime must not be greater than 5 when waitTimeUnit is minutes"],
    ),
    ("sleep-time-without-sleep", {"sleepTime": 2}, [SLEEP_NOT_ALLOWED]),
    (
        "sleep-unit-without-sleep",
        {"sleepEnabled": False, "sleepTimeUnit": "hours"},
        ["sleepTimeUnit should not be provided when sleepEnabled is false"],
    ),
    (
        "sleep-without-time",
        {"sleepEnabled": True},
        ["sleepTime is required when sleepEnabled is true", "sleepTimeUnit is required when sleepEnabled is true"],
    ),
    (
        "sleep-2881-minutes",
        {"sleepEnabled": True, "sleepTime": 2881, "sleepTimeUnit": "minutes"},
        ["sleepTime must not be greater than 2880 when sleepTimeUnit is minutes"],
    ),
    (
        "sleep-172801-seconds",
        {"sleepEnabled": True, "sleepTime": 172801, "sleepTimeUnit": "seconds"},
        ["sleepTime must not be greater than 172800 when sleepTimeUnit is seconds"],
    ),
    (
        "sleep-49-hours",
        {"sleepEnabled": True, "sleepTime": 49, "sleepTimeUnit": "hours"},
        ["sleepTime must not be greater than 48 when sleepTimeUnit is hours"],
    ),
    ("max-messages-0", {"autoPilotMaxMessages": 0}, ["autoPilotMaxMessages must not be less than 1"]),
    ("max-messages-101", {"autoPilotMaxMessages": 101}, ["autoPilotMaxMessages must not be greater than 100"]),
    (
        "mode-prose-spelling",
        {"mode": "AUTO_PILOT"},
        ["mode must be one of the following values: off, suggestive, auto-pilot"],
    ),
    (
        "channel-upper",
        {"channels": ["SMS", "LIVE_CHAT"]},
        ["each value in channels must be one of the following values: IG, FB, SMS, WebChat, WhatsApp, Live_Chat"],
    ),
    ("server-id", {"id": "mine"}, ["property id should not exist"]),
    ("server-nameLower", {"nameLower": "x"}, ["property nameLower should not exist"]),
    ("server-llm", {"llm": "gpt-4o"}, ["property llm should not exist"]),
    ("server-createdAt", {"createdAt": START}, ["property createdAt should not exist"]),
    ("server-updatedAt", {"updatedAt": START}, ["property updatedAt should not exist"]),
]


@pytest.mark.parametrize(("fields", "messages"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_create_rules_answer_422(hl: HighLevelClient, fields: dict[str, Any], messages: list[str]) -> None:
    before = hl.state()
    assert_422(create(hl, **fields), *messages)
    assert hl.state() == before


@pytest.mark.parametrize(("fields", "messages"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_update_rules_answer_422(hl: HighLevelClient, fields: dict[str, Any], messages: list[str]) -> None:
    before = hl.state()
    assert_422(hl.put(f"{AGENTS}/agent_seed_3", json={"autoPilotMaxMessages": 10, **fields}), *messages)
    assert hl.state() == before


@pytest.mark.parametrize("field", ["name", "personality", "goal", "instructions"])
def test_create_requires_the_four_texts(hl: HighLevelClient, field: str) -> None:
    before = hl.state()
    body = {k: v for k, v in MINIMAL.items() if k != field}
    assert_422(hl.post(AGENTS, json=body), f"{field} should not be empty")
    assert_422(create(hl, **{field: 7}), f"{field} must be a string")
    assert hl.state() == before
    # the vendor publishes no minimum length: an empty text is a text
    assert created(hl, **{field: ""})[field] == ""


def test_every_broken_rule_is_listed(hl: HighLevelClient) -> None:
    before = hl.state()
    body = {
        "personality": "p",
        "goal": "g",
        "instructions": "i",
        "waitTime": 301,
        "llm": "x",
        "autoPilotMaxMessages": 0,
        "sleepTime": 1,
        "mode": "AUTO_PILOT",
    }
    messages = assert_422(
        hl.post(AGENTS, json=body),
        "name should not be empty",
        "waitTime must not be greater than 300 when waitTimeUnit is seconds",
        "property llm should not exist",
        "autoPilotMaxMessages must not be less than 1",
        SLEEP_NOT_ALLOWED,
        "mode must be one of the following values: off, suggestive, auto-pilot",
    )
    assert len(messages) == len(set(messages)) == 6
    assert hl.state() == before


def test_sleep_indefinitely_is_accepted(hl: HighLevelClient) -> None:
    agent = created(hl, sleepEnabled=True, sleepTime=None, sleepTimeUnit=None)  # "null for indefinite sleep"
    assert agent["sleepEnabled"] is True and not {"sleepTime", "sleepTimeUnit"} & set(agent)  # answers hold no null


# -- search --------------------------------------------------------------------------------------------------------


def test_search_counts_and_limit(hl: HighLevelClient) -> None:
    page = search(hl)
    assert isinstance(page["traceId"], str)
    assert page["totalCount"] == ACME_AGENT_COUNT and page["count"] == len(page["agents"]) == ACME_AGENT_COUNT
    page = search(hl, limit=5)
    assert page["totalCount"] == ACME_AGENT_COUNT and page["count"] == len(page["agents"]) == 5


def test_search_start_after_walks_every_agent_once_by_id(hl: HighLevelClient) -> None:
    seen: list[str] = []
    sizes: list[int] = []
    cursor = ""
    while True:
        page = search(hl, limit=5, startAfter=cursor) if cursor else search(hl, limit=5)
        assert page["totalCount"] == ACME_AGENT_COUNT
        sizes.append(page["count"])
        seen += [a["id"] for a in page["agents"]]
        if page["count"] < 5:
            break
        cursor = page["agents"][-1]["id"]
    assert sizes == [5, 5, 2]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == ACME_AGENT_COUNT
    assert {"agent_seed_1", "agent_seed_2", "agent_seed_3"} <= set(seen)


def test_search_query_is_a_lowercase_substring(hl: HighLevelClient) -> None:
    page = search(hl, query="front")
    assert [a["id"] for a in page["agents"]] == ["agent_seed_1"]
    assert page["count"] == 1 and page["totalCount"] == ACME_AGENT_COUNT
    page = search(hl, query="desk")
    assert "agent_seed_1" in [a["id"] for a in page["agents"]]
    assert all("desk" in a["name"].lower() for a in page["agents"])


def test_search_query_with_capitals_finds_nothing(hl: HighLevelClient) -> None:
    page = search(hl, query="Front")
    assert page["agents"] == [] and page["count"] == 0 and page["totalCount"] == ACME_AGENT_COUNT


def test_search_list_item_shape(hl: HighLevelClient) -> None:
    item = next(a for a in search(hl, query="front")["agents"])
    assert item["goal"] == {"prompt": "Book the patient's next dental appointment.", "type": "custom", "actionId": None}
    assert item["createdAt"] == "2025-12-16T15:00:00Z" == item["updatedAt"]  # created -30d before the start
    assert "personality" not in item and "instructions" not in item
    assert item["isPrimary"] is True and item["mode"] == "auto-pilot" and item["autoPilotMaxMessages"] == 5
    assert [a["id"] for a in item["actions"]] == SEED_1_ACTIONS
    # the vendor's EmployeeListItemDTO: sleep settings and knowledge bases too (sleepEnabled required)
    assert (item["sleepEnabled"], item["sleepTime"], item["sleepTimeUnit"]) == (True, 2, "hours")
    assert item["knowledgeBaseIds"] == ["kb_1"] and item["sleepOnManualMessage"] is True
    assert isinstance(item["sleepOnWorkflowMessage"], bool)
    assert (item["waitTime"], item["waitTimeUnit"]) == (get(hl, "agent_seed_1")["waitTime"], "seconds")
