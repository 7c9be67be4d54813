"""HighLevel Conversation AI actions over HTTP: the seven types in their `{data, success}` envelope, how they show
on the agent, the details rules (422 with `details.`-prefixed messages) and PATCH followup-settings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.highlevel import HighLevelClient, assert_422

AGENTS = "/conversation-ai/agents"
SEED_1_ACTIONS = [
    "act_stop_1",
    "act_handover_1",
    "act_email_1",
    "act_workflow_1",
    "act_booking_1",
    "act_followup_1",
    "act_transfer_1",
]

MINIMAL_DETAILS: dict[str, dict[str, Any]] = {
    "triggerWorkflow": {"workflowIds": ["wf_1"], "triggerCondition": "The contact asks about pricing."},
    "updateContactField": {"contactFieldId": "budget", "description": "The budget the contact mentions."},
    "appointmentBooking": {
        "calendarId": "cal_1",
        "onlySendLink": False,
        "triggerWorkflow": False,
        "sleepAfterBooking": False,
        "transferBot": False,
        "rescheduleEnabled": False,
        "cancelEnabled": False,
    },
    "stopBot": {
        "stopBotDetectionType": "Goodbye",
        "stopBotTriggerCondition": "The contact says goodbye.",
        "reactivateEnabled": False,
        "enabled": True,
        "stopBotExamples": ["Bye", "Thanks, that's all"],
        "finalMessage": "Thanks for reaching out!",
    },
    "humanHandOver": {
        "enabled": True,
        "triggerCondition": "The bot cannot answer.",
        "reactivateEnabled": False,
        "finalMessage": "A teammate will reply shortly.",
        "handoverType": "lackOfInformation",
    },
    "advancedFollowup": {
        "enabled": True,
        "scenarioId": "contactIsBusy",
        "followupSequence": [{"id": 1, "followupTimeUnit": "hours", "followupTime": 4}],
    },
    "transferBot": {"transferBotType": "Default", "transferToBot": "agent_seed_2", "enabled": True},
}
BOOKING_1 = {
    "id": "act_booking_1",
    "agentId": "agent_seed_1",
    "name": "Book appointment",
    "type": "appointmentBooking",
    "details": {
        "calendarId": "cal_cleanings",
        "onlySendLink": True,
        "triggerWorkflow": False,
        "sleepAfterBooking": False,
        "transferBot": False,
        "rescheduleEnabled": False,
        "cancelEnabled": False,
    },
}
BUSINESS_HOURS = {
    "dynamicChannelSwitching": False,
    "followUpHours": True,
    "timezoneToUse": "contact",
    "workingHours": [
        {"dayOfTheWeek": 1, "intervals": [{"startHour": 9, "startMinute": 0, "endHour": 17, "endMinute": 0}]},
        {
            "dayOfTheWeek": 2,
            "intervals": [
                {"startHour": 9, "startMinute": 0, "endHour": 12, "endMinute": 30},
                {"startHour": 13, "startMinute": 30, "endHour": 17, "endMinute": 0},
            ],
        },
    ],
}


def actions_url(agent_id: str, suffix: str = "") -> str:
    return f"{AGENTS}/{agent_id}/actions{suffix}"


def envelope(response: httpx.Response, status: int = 200) -> Any:
    """The `{data, success: true, traceId}` envelope; returns `data`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"data", "success", "traceId"}
    assert body["success"] is True and isinstance(body["traceId"], str)
    return body["data"]


def listed(hl: HighLevelClient, agent_id: str) -> list[dict[str, Any]]:
    return list(envelope(hl.get(actions_url(agent_id, "/list"))))


def agent_actions(hl: HighLevelClient, agent_id: str) -> list[dict[str, str]]:
    response = hl.get(f"{AGENTS}/{agent_id}")
    assert response.status_code == 200, response.text
    return list(response.json()["actions"])


def seed_action(hl: HighLevelClient, action_id: str, agent_id: str = "agent_seed_1") -> dict[str, Any]:
    return dict(envelope(hl.get(actions_url(agent_id, f"/{action_id}"))))


def assert_400(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "message": message, "error": "Bad Request"}


# -- create, read, update, delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(MINIMAL_DETAILS))
def test_create_each_type(hl: HighLevelClient, kind: str) -> None:
    body = {"type": kind, "name": f"My {kind}", "details": MINIMAL_DETAILS[kind]}
    data = envelope(hl.post(actions_url("agent_seed_3"), json=body), 201)
    action_id = data.pop("id")
    assert isinstance(action_id, str) and action_id
    assert data == {"name": f"My {kind}", "type": kind, "details": MINIMAL_DETAILS[kind], "agentId": "agent_seed_3"}
    assert listed(hl, "agent_seed_3") == [{**data, "id": action_id}]
    assert agent_actions(hl, "agent_seed_3") == [{"id": action_id, "type": kind}]
    assert seed_action(hl, action_id, "agent_seed_3") == {**data, "id": action_id}


def test_new_actions_append_to_the_agent(hl: HighLevelClient) -> None:
    body = {"type": "stopBot", "name": "Another stop", "details": MINIMAL_DETAILS["stopBot"]}
    action_id = envelope(hl.post(actions_url("agent_seed_1"), json=body), 201)["id"]
    assert [a["id"] for a in agent_actions(hl, "agent_seed_1")] == [*SEED_1_ACTIONS, action_id]
    assert [a["id"] for a in listed(hl, "agent_seed_1")] == [*SEED_1_ACTIONS, action_id]


def test_get_seeded_action(hl: HighLevelClient) -> None:
    assert seed_action(hl, "act_booking_1") == BOOKING_1


def test_action_of_another_agent_is_not_found(hl: HighLevelClient) -> None:
    assert_400(hl.get(actions_url("agent_seed_2", "/act_stop_1")), "No Action found for the id: act_stop_1")
    assert_400(hl.get(actions_url("agent_seed_1", "/act_nope")), "No Action found for the id: act_nope")
    assert_400(hl.get(actions_url("nope", "/act_stop_1")), "No Agent found for the id: nope")
    assert_400(hl.get(actions_url("nope", "/list")), "No Agent found for the id: nope")


def test_update_replaces_type_name_and_details(hl: HighLevelClient) -> None:
    body = {"type": "triggerWorkflow", "name": "Send pricing", "details": MINIMAL_DETAILS["triggerWorkflow"]}
    data = envelope(hl.put(actions_url("agent_seed_1", "/act_email_1"), json=body))
    expected = {"id": "act_email_1", "agentId": "agent_seed_1", **body}
    assert data == expected
    assert seed_action(hl, "act_email_1") == expected  # nothing merged: contactFieldId is gone
    assert {"id": "act_email_1", "type": "triggerWorkflow"} in agent_actions(hl, "agent_seed_1")
    assert [a["id"] for a in agent_actions(hl, "agent_seed_1")] == SEED_1_ACTIONS  # same place


def test_update_of_another_agents_action_is_refused(hl: HighLevelClient) -> None:
    before = hl.state()
    body = {"type": "stopBot", "name": "x", "details": MINIMAL_DETAILS["stopBot"]}
    assert_400(hl.put(actions_url("agent_seed_2", "/act_stop_1"), json=body), "No Action found for the id: act_stop_1")
    assert hl.state() == before


def test_delete_action(hl: HighLevelClient) -> None:
    response = hl.delete(actions_url("agent_seed_1", "/act_stop_1"))
    assert envelope(response) == {"id": "act_stop_1"}
    assert "act_stop_1" not in [a["id"] for a in listed(hl, "agent_seed_1")]
    assert [a["id"] for a in agent_actions(hl, "agent_seed_1")] == SEED_1_ACTIONS[1:]
    assert_400(hl.get(actions_url("agent_seed_1", "/act_stop_1")), "No Action found for the id: act_stop_1")
    assert_400(hl.delete(actions_url("agent_seed_1", "/act_stop_1")), "No Action found for the id: act_stop_1")


# -- details rules -------------------------------------------------------------------------------------------------


def with_details(kind: str, **changes: Any) -> dict[str, Any]:
    details = {**MINIMAL_DETAILS[kind], **changes}
    return {"type": kind, "name": "Rule check", "details": {k: v for k, v in details.items() if v is not DROP}}


DROP = object()
TYPE_MESSAGE = (
    "type must be one of the following values: triggerWorkflow, updateContactField, appointmentBooking, "
    "stopBot, humanHandOver, advancedFollowup, transferBot"
)
DETAIL_RULES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "stop-one-example",
        with_details("stopBot", stopBotExamples=["bye"]),
        ["details.stopBotExamples must contain at least 2 elements"],
    ),
    (
        "stop-reactivate-without-sleep",
        with_details("stopBot", reactivateEnabled=True),
        [
            "details.sleepTime is required when reactivateEnabled is true",
            "details.sleepTimeUnit is required when reactivateEnabled is true",
        ],
    ),
    (
        "booking-link-and-workflow",
        with_details("appointmentBooking", onlySendLink=True, triggerWorkflow=True, workflowIds=["wf_1"]),
        ["details.triggerWorkflow must be false when onlySendLink is true"],
    ),
    (
        "booking-link-and-cancel",
        with_details("appointmentBooking", onlySendLink=True, cancelEnabled=True),
        ["details.cancelEnabled must be false when onlySendLink is true"],
    ),
    (
        "booking-workflow-without-ids",
        with_details("appointmentBooking", triggerWorkflow=True),
        ["details.workflowIds is required when triggerWorkflow is true"],
    ),
    (
        "booking-sleep-without-fields",
        with_details("appointmentBooking", sleepAfterBooking=True),
        [
            "details.sleepTime is required when sleepAfterBooking is true",
            "details.sleepTimeUnit is required when sleepAfterBooking is true",
        ],
    ),
    (
        "booking-transfer-without-agent",
        with_details("appointmentBooking", transferBot=True),
        ["details.transferAgent is required when transferBot is true"],
    ),
    (
        "handover-custom-without-examples",
        with_details("humanHandOver", handoverType="custom"),
        ["details.examples is required when handoverType is custom or contactRequest"],
    ),
    (
        "transfer-custom-bare",
        with_details("transferBot", transferBotType="Custom"),
        [
            "details.transferBotTriggerCondition is required when transferBotType is Custom",
            "details.transferBotExamples is required when transferBotType is Custom",
        ],
    ),
    (
        "followup-61-minutes",
        with_details(
            "advancedFollowup", followupSequence=[{"id": 1, "followupTimeUnit": "minutes", "followupTime": 61}]
        ),
        ["details.followupSequence.0.followupTime must not be greater than 60 when followupTimeUnit is minutes"],
    ),
    (
        "followup-25-hours",
        with_details(
            "advancedFollowup",
            followupSequence=[
                {"id": 1, "followupTimeUnit": "hours", "followupTime": 1},
                {"id": 2, "followupTimeUnit": "hours", "followupTime": 25},
            ],
        ),
        ["details.followupSequence.1.followupTime must not be greater than 24 when followupTimeUnit is hours"],
    ),
    (
        "followup-custom-message-missing",
        with_details(
            "advancedFollowup",
            followupSequence=[{"id": 1, "followupTimeUnit": "days", "followupTime": 2, "aiEnabledMessage": False}],
        ),
        ["details.followupSequence.0.customMessage is required when aiEnabledMessage is false"],
    ),
    ("unknown-detail-field", with_details("triggerWorkflow", x=1), ["property details.x should not exist"]),
    (
        "missing-required-detail",
        with_details("updateContactField", contactFieldId=DROP),
        ["details.contactFieldId should not be empty"],
    ),
    (
        "details-of-another-type",
        {"type": "stopBot", "name": "x", "details": MINIMAL_DETAILS["triggerWorkflow"]},
        ["property details.workflowIds should not exist", "details.finalMessage should not be empty"],
    ),
    (
        "unknown-type",
        {"type": "TRIGGER_WORKFLOW", "name": "x", "details": MINIMAL_DETAILS["triggerWorkflow"]},
        [TYPE_MESSAGE],
    ),
    (
        "missing-name",
        {"type": "triggerWorkflow", "details": MINIMAL_DETAILS["triggerWorkflow"]},
        ["name should not be empty"],
    ),
]


@pytest.mark.parametrize(("body", "messages"), [r[1:] for r in DETAIL_RULES], ids=[r[0] for r in DETAIL_RULES])
def test_create_details_rules(hl: HighLevelClient, body: dict[str, Any], messages: list[str]) -> None:
    before = hl.state()
    assert_422(hl.post(actions_url("agent_seed_3"), json=body), *messages)
    assert hl.state() == before


@pytest.mark.parametrize(("body", "messages"), [r[1:] for r in DETAIL_RULES], ids=[r[0] for r in DETAIL_RULES])
def test_update_details_rules(hl: HighLevelClient, body: dict[str, Any], messages: list[str]) -> None:
    before = hl.state()
    assert_422(hl.put(actions_url("agent_seed_1", "/act_workflow_1"), json=body), *messages)
    assert hl.state() == before


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_transfer_to_an_agent_of_another_location(hl: HighLevelClient, method: str) -> None:
    before = hl.state()
    body = with_details("transferBot", transferToBot="agent_globex_1")
    url = actions_url("agent_seed_1", "/act_transfer_1" if method == "PUT" else "")
    messages = assert_422(hl.request(method, url, json=body))
    assert messages == ["details.transferToBot must be the id of an agent of this location"]
    assert hl.state() == before


def test_transfer_to_an_agent_of_this_location(hl: HighLevelClient) -> None:
    body = with_details("transferBot", transferToBot="agent_seed_3")
    assert envelope(hl.post(actions_url("agent_seed_1"), json=body), 201)["details"]["transferToBot"] == "agent_seed_3"


# -- PATCH followup-settings ---------------------------------------------------------------------------------------


def followup(
    hl: HighLevelClient, action_ids: list[str], settings: dict[str, Any], agent_id: str = "agent_seed_1"
) -> httpx.Response:
    return hl.patch(
        f"{AGENTS}/{agent_id}/followup-settings", json={"actionIds": action_ids, "followupSettings": settings}
    )


def test_followup_settings_update(hl: HighLevelClient) -> None:
    old = seed_action(hl, "act_followup_1")
    data = envelope(followup(hl, ["act_followup_1"], BUSINESS_HOURS))
    expected = {**old, "details": {**old["details"], "followupSettings": BUSINESS_HOURS}}
    assert data == expected
    assert data["details"]["followupSequence"] == old["details"]["followupSequence"]  # the rest is kept
    assert seed_action(hl, "act_followup_1") == expected


def test_followup_settings_apply_to_every_listed_action(hl: HighLevelClient) -> None:
    body = {"type": "advancedFollowup", "name": "Busy", "details": MINIMAL_DETAILS["advancedFollowup"]}
    new_id = envelope(hl.post(actions_url("agent_seed_1"), json=body), 201)["id"]
    data = envelope(followup(hl, [new_id, "act_followup_1"], BUSINESS_HOURS))
    assert data["id"] == new_id  # the first of actionIds
    for action_id in (new_id, "act_followup_1"):
        assert seed_action(hl, action_id)["details"]["followupSettings"] == BUSINESS_HOURS


@pytest.mark.parametrize("action_ids", [["act_stop_1"], ["act_followup_1", "act_stop_1"], ["act_nope"]])
def test_followup_settings_on_a_non_followup_action(hl: HighLevelClient, action_ids: list[str]) -> None:
    before = hl.state()
    assert_400(followup(hl, action_ids, BUSINESS_HOURS), f"No Action found for the id: {action_ids[-1]}")
    assert hl.state() == before


def test_followup_settings_of_another_agents_action(hl: HighLevelClient) -> None:
    before = hl.state()
    assert_400(
        followup(hl, ["act_followup_1"], BUSINESS_HOURS, "agent_seed_2"), "No Action found for the id: act_followup_1"
    )
    assert_400(followup(hl, ["act_followup_1"], BUSINESS_HOURS, "nope"), "No Agent found for the id: nope")
    assert hl.state() == before


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {**BUSINESS_HOURS, "timezoneToUse": "location"},
            "followupSettings.timezoneToUse must be one of the following values: contact, business",
        ),
        ({"timezoneToUse": "contact"}, "followupSettings.dynamicChannelSwitching should not be empty"),
        (
            {
                "dynamicChannelSwitching": True,
                "workingHours": [
                    {
                        "dayOfTheWeek": 1,
                        "intervals": [{"startHour": 24, "startMinute": 0, "endHour": 17, "endMinute": 0}],
                    }
                ],
            },
            "followupSettings.workingHours.0.intervals.0.startHour must be between 0 and 23",
        ),
        ({"dynamicChannelSwitching": True, "color": "red"}, "property followupSettings.color should not exist"),
    ],
)
def test_followup_settings_rules(hl: HighLevelClient, settings: dict[str, Any], message: str) -> None:
    before = hl.state()
    assert_422(followup(hl, ["act_followup_1"], settings), message)
    assert hl.state() == before


def test_followup_settings_need_action_ids(hl: HighLevelClient) -> None:
    before = hl.state()
    assert_422(followup(hl, [], BUSINESS_HOURS), "actionIds should not be empty")
    assert hl.state() == before
