"""What HighLevel requests may hold where the vendor publishes no bound (issue 16): the search `limit` is a plain
number (a fraction floored, 0 or less an empty page, no cap, 20 when left out), ids are plain strings (an id no
record has is the usual 400), required texts may be empty, waits and sleeps have no lower bound, a hand-over needs
any number of examples, and working hours are numbers. The bounds the vendor does describe still hold."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.highlevel import HighLevelClient, assert_422

AGENTS = "/conversation-ai/agents"
ACME_AGENT_COUNT = 12  # fixtures/highlevel.yaml: 3 fixed agents + 9 generated
TEXTS = {"name": "Bounds", "personality": "p", "goal": "g", "instructions": "i"}
LIMIT_MESSAGE = "limit must be a number conforming to the specified constraints"


def search(hl: HighLevelClient, **query: Any) -> dict[str, Any]:
    response = hl.get(f"{AGENTS}/search", params=query)
    assert response.status_code == 200, response.text
    body = dict(response.json())
    assert body["count"] == len(body["agents"]) and body["totalCount"] == ACME_AGENT_COUNT
    return body


def assert_400(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "message": message, "error": "Bad Request"}


# -- search limit ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "count"),
    [("2.5", 2), ("0.5", 0), ("1", 1), ("0", 0), ("-1", 0), ("-0.5", 0), ("1000", ACME_AGENT_COUNT), ("1e2", 12)],
)
def test_search_limit_is_any_number(hl: HighLevelClient, limit: str, count: int) -> None:
    page = search(hl, limit=limit)
    assert page["count"] == count
    assert [a["id"] for a in page["agents"]] == [a["id"] for a in search(hl, limit=100)["agents"]][:count]


def test_search_without_limit_gives_20(hl: HighLevelClient) -> None:
    for n in range(9):
        assert hl.post(AGENTS, json={**TEXTS, "name": f"Extra {n}"}).status_code == 201
    page = hl.get(f"{AGENTS}/search").json()
    assert (page["count"], page["totalCount"]) == (20, ACME_AGENT_COUNT + 9)
    assert hl.get(f"{AGENTS}/search", params={"limit": 21}).json()["count"] == 21


@pytest.mark.parametrize("limit", ["abc", "", "1e400", "-1e9999", "NaN"])
def test_search_limit_that_is_not_a_number_is_a_422(hl: HighLevelClient, limit: str) -> None:
    assert assert_422(hl.get(f"{AGENTS}/search", params={"limit": limit})) == [LIMIT_MESSAGE]


# -- ids -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("agent_id", ["a.b!c", "x" * 65, "ümlaut", "with space"])
def test_any_agent_id_is_looked_up(hl: HighLevelClient, agent_id: str) -> None:
    assert_400(hl.get(f"{AGENTS}/{agent_id}"), f"No Agent found for the id: {agent_id}")
    assert_400(hl.get(f"{AGENTS}/{agent_id}/actions/list"), f"No Agent found for the id: {agent_id}")


def test_any_action_id_and_message_id_is_looked_up(hl: HighLevelClient) -> None:
    assert_400(hl.get(f"{AGENTS}/agent_seed_1/actions/x.y"), "No Action found for the id: x.y")
    long_id = "a" * 65
    assert_400(hl.delete(f"{AGENTS}/agent_seed_1/actions/{long_id}"), f"No Action found for the id: {long_id}")
    empty = hl.get("/conversation-ai/generations", params={"messageId": "", "source": "conversation"})
    assert_400(empty, "No generation found for the messageId: ")


# -- agent bodies ----------------------------------------------------------------------------------------------------


def test_empty_texts_and_negative_waits_are_taken(hl: HighLevelClient) -> None:
    body = {"name": "", "personality": "", "goal": "", "instructions": "", "waitTime": -1, "autoPilotMaxMessages": 1}
    response = hl.post(AGENTS, json=body)
    assert response.status_code == 201, response.text
    agent = response.json()
    assert {k: agent[k] for k in body} == body
    updated = hl.put(f"{AGENTS}/{agent['id']}", json={"autoPilotMaxMessages": 100, "name": "", "waitTime": -0.5})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["waitTime"], updated.json()["autoPilotMaxMessages"]) == (-0.5, 100)


def test_a_negative_sleep_is_taken_and_the_described_maxima_still_hold(hl: HighLevelClient) -> None:
    sleeping = {"sleepEnabled": True, "sleepTime": -2, "sleepTimeUnit": "hours", "autoPilotMaxMessages": 75}
    response = hl.put(f"{AGENTS}/agent_seed_3", json=sleeping)
    assert response.status_code == 200, response.text
    assert (response.json()["sleepTime"], response.json()["sleepTimeUnit"]) == (-2, "hours")
    before = hl.state()
    assert_422(
        hl.put(f"{AGENTS}/agent_seed_3", json={**sleeping, "sleepTime": 49}),
        "sleepTime must not be greater than 48 when sleepTimeUnit is hours",
    )
    assert_422(
        hl.post(AGENTS, json={**TEXTS, "waitTime": 301}),
        "waitTime must not be greater than 300 when waitTimeUnit is seconds",
    )
    assert_422(
        hl.post(AGENTS, json={**TEXTS, "autoPilotMaxMessages": 0}), "autoPilotMaxMessages must not be less than 1"
    )
    assert hl.state() == before


# -- action bodies ---------------------------------------------------------------------------------------------------

ACTIONS = f"{AGENTS}/agent_seed_3/actions"


def created_action(hl: HighLevelClient, body: dict[str, Any]) -> dict[str, Any]:
    response = hl.post(ACTIONS, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["success"] is True
    data = dict(response.json()["data"])
    assert {k: data[k] for k in body} == body  # stored and answered as sent
    return data


def test_a_hand_over_takes_any_number_of_examples(hl: HighLevelClient) -> None:
    details = {
        "enabled": True,
        "triggerCondition": "The contact asks for a person.",
        "reactivateEnabled": True,
        "sleepTime": -1,
        "sleepTimeUnit": "hours",
        "finalMessage": "",
        "handoverType": "contactRequest",
        "examples": ["hi"],
    }
    created_action(hl, {"type": "humanHandOver", "name": "", "details": details})
    before = hl.state()
    missing = {k: v for k, v in details.items() if k != "examples"}
    assert_422(
        hl.post(ACTIONS, json={"type": "humanHandOver", "name": "x", "details": missing}),
        "details.examples is required when handoverType is custom or contactRequest",
    )
    assert hl.state() == before


def test_empty_detail_strings_and_lists_are_taken(hl: HighLevelClient) -> None:
    booking = {
        "calendarId": "",
        "onlySendLink": False,
        "triggerWorkflow": True,
        "workflowIds": [],
        "sleepAfterBooking": True,
        "sleepTime": -3,
        "sleepTimeUnit": "days",
        "transferBot": False,
        "rescheduleEnabled": False,
        "cancelEnabled": False,
    }
    created_action(hl, {"type": "appointmentBooking", "name": "Booking", "details": booking})
    field = {"contactFieldId": "", "description": ""}
    created_action(hl, {"type": "updateContactField", "name": "Field", "details": field})
    followup = {
        "enabled": True,
        "scenarioId": "contactIsBusy",
        "followupSequence": [{"id": 1, "followupTimeUnit": "minutes", "followupTime": 0}],
    }
    created_action(hl, {"type": "advancedFollowup", "name": "Soon", "details": followup})


def test_the_described_detail_bounds_still_hold(hl: HighLevelClient) -> None:
    before = hl.state()
    stop = {
        "stopBotDetectionType": "Goodbye",
        "stopBotTriggerCondition": "",
        "reactivateEnabled": False,
        "enabled": True,
        "stopBotExamples": ["bye"],
        "finalMessage": "",
    }
    refused = hl.post(ACTIONS, json={"type": "stopBot", "name": "Stop", "details": stop})
    assert assert_422(refused) == ["details.stopBotExamples must contain at least 2 elements"]
    transfer = {"transferBotType": "Custom", "transferToBot": "agent_seed_1", "enabled": True}
    transfer |= {"transferBotTriggerCondition": "Spanish", "transferBotExamples": ["hola"]}
    refused = hl.post(ACTIONS, json={"type": "transferBot", "name": "T", "details": transfer})
    assert assert_422(refused) == ["details.transferBotExamples must contain at least 2 elements"]
    assert hl.state() == before


@pytest.mark.parametrize(
    "details",
    [
        {"transferBotType": "Default", "transferToBot": "", "enabled": True},
        {
            "calendarId": "cal_1",
            "onlySendLink": False,
            "triggerWorkflow": False,
            "sleepAfterBooking": False,
            "transferBot": True,
            "transferAgent": "",
            "rescheduleEnabled": False,
            "cancelEnabled": False,
        },
    ],
    ids=["transferToBot", "transferAgent"],
)
def test_an_empty_agent_id_in_details_is_not_an_agent(hl: HighLevelClient, details: dict[str, Any]) -> None:
    """convomock design: an agent id the transfer needs must be an agent of this location; the empty one is none."""
    before = hl.state()
    kind = "transferBot" if "transferToBot" in details else "appointmentBooking"
    key = "transferToBot" if kind == "transferBot" else "transferAgent"
    refused = hl.post(ACTIONS, json={"type": kind, "name": "x", "details": details})
    assert assert_422(refused) == [f"details.{key} must be the id of an agent of this location"]
    assert hl.state() == before


def test_working_hours_are_numbers_within_the_described_clock(hl: HighLevelClient) -> None:
    settings = {
        "dynamicChannelSwitching": True,
        "workingHours": [
            {"dayOfTheWeek": 1.0, "intervals": [{"startHour": 9.5, "startMinute": 0, "endHour": 17, "endMinute": 0}]}
        ],
    }
    url = f"{AGENTS}/agent_seed_1/followup-settings"
    response = hl.patch(url, json={"actionIds": ["act_followup_1"], "followupSettings": settings})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["details"]["followupSettings"] == settings
    before = hl.state()
    late = {**settings, "workingHours": [{"dayOfTheWeek": 7}]}
    refused = hl.patch(url, json={"actionIds": ["act_followup_1"], "followupSettings": late})
    assert assert_422(refused) == ["followupSettings.workingHours.0.dayOfTheWeek must be between 0 (Sunday) and 6"]
    assert hl.state() == before
