"""What the shared test suites send to the HighLevel API (`mock_server/engine/probes.py`): for every operation a
request Acme Dental's token may send, and globex's token trying it on acme's agents, actions and generations (with
and without acme's location id as a hint: the token alone decides the location). Ids are the fixed records of
fixtures/highlevel.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.apis.highlevel.state import CONVERSATION_TYPES
from mock_server.engine.probes import Caller, Case, Cases, Probes, ProbeSession, TenancyProbes

__all__ = ["PROBES"]

BASE = "base"
ACME_LOCATION = "yvQzG4k2Lm8RtP0aNcXs"
GLOBEX_LOCATION = "Bq7WnE3rTy5UiOp9AsDf"
ACME_FULL = "pit-acme-full-6f3b2a1c-9d8e-4f70-b1a2-c3d4e5f60718"
ACME_READ = "pit-acme-read-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
GLOBEX_FULL = "pit-globex-full-7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
AGENCY = "pit-agency-2b9d7c41-5e08-4f3a-9c6b-1d2e3f4a5b6c"
SDK_VERSION = "2023-02-21"  # what the official SDK sends unless told otherwise


def _mixed(body: Any, mentions: str, status: int = 404, **kw: Any) -> Case:
    return Case(body=body, refused=status, mentions=mentions, proof=False, **kw)


TRIGGER = {
    "type": "triggerWorkflow",
    "name": "Send pricing",
    "details": {"workflowIds": ["wf_1"], "triggerCondition": "Pricing.", "triggerMessage": "Sending it now."},
}
FOLLOWUP = {
    "actionIds": ["act_followup_1"],
    "followupSettings": {
        "dynamicChannelSwitching": True,
        "followUpHours": False,
        "timezoneToUse": "contact",
        "workingHours": [],
    },
}
HL_NOT_FOUND = 400  # HighLevel's "No Agent found for the id" (info.x-convomock.not-found-statuses)


def _hl(path: dict[str, str], body: Any = None, mentions: str = "") -> Case:
    return Case(path, body=body, refused=HL_NOT_FOUND, mentions=mentions)


def _hl_own(action: str, body: Any = None) -> Case:
    """globex's own agent with acme's action id: the action lookup is per location too."""
    return Case(
        {"agentId": "agent_globex_1", "actionId": action},
        body=body,
        refused=HL_NOT_FOUND,
        mentions=f"No Action found for the id: {action}",
        proof=False,
    )


CASES: dict[str, Cases] = {
    "create-agent": {
        BASE: lambda o: Case(
            body={"name": "Probe", "personality": "p", "goal": "g", "instructions": "i", "knowledgeBaseIds": ["kb_1"]},
            refused=None,
        )
    },
    "search-agent": {
        BASE: lambda o: Case(query={"query": "front desk", "startAfter": "agent_seed_1", "limit": "10"}, refused=None)
    },
    "get-agent": {BASE: lambda o: _hl({"agentId": "agent_seed_1"}, mentions="No Agent found")},
    "update-agent": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1"}, {"autoPilotMaxMessages": 50}),
        # knowledge base ids are not checked (the spec names no refusal); test_a_foreign_knowledge_base_* below
        "own-agent+acme-knowledge-base": lambda o: Case(
            {"agentId": "agent_globex_1"},
            body={"autoPilotMaxMessages": 20, "knowledgeBaseIds": ["kb_1"]},
            refused=None,
            proof=False,
        ),
    },
    "delete-agent": {BASE: lambda o: _hl({"agentId": "agent_seed_2"})},
    "create-action": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1"}, TRIGGER),
        "own-agent+acme-transfer-target": lambda o: _mixed(
            {
                "type": "transferBot",
                "name": "t",
                "details": {
                    "transferBotType": "Custom",
                    "transferToBot": "agent_seed_2",
                    "enabled": True,
                    "transferBotTriggerCondition": "Spanish.",
                    "transferBotExamples": ["Hola", "Buenas"],
                },
            },
            "must be the id of an agent of this location",
            422,
            path={"agentId": "agent_globex_1"},
        ),
    },
    "list-actions": {BASE: lambda o: _hl({"agentId": "agent_seed_1"})},
    "get-action-by-id": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1", "actionId": "act_stop_1"}),
        "own-agent+acme-action": lambda o: _hl_own("act_stop_1"),
    },
    "update-action": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1", "actionId": "act_workflow_1"}, TRIGGER),
        "own-agent+acme-action": lambda o: _hl_own("act_workflow_1", TRIGGER),
    },
    "delete-action": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1", "actionId": "act_email_1"}),
        "own-agent+acme-action": lambda o: _hl_own("act_email_1"),
    },
    "update-followup-settings": {
        BASE: lambda o: _hl({"agentId": "agent_seed_1"}, FOLLOWUP),
        "own-agent+acme-action": lambda o: Case(
            {"agentId": "agent_globex_1"},
            body=FOLLOWUP,
            refused=HL_NOT_FOUND,
            mentions="No Action found for the id: act_followup_1",
            proof=False,
        ),
    },
    "get-generation-details": {
        BASE: lambda o: Case(
            query={"messageId": "msg_1", "source": "conversation"}, refused=HL_NOT_FOUND, mentions="No generation found"
        )
    },
}


def _bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Version": SDK_VERSION, **headers}


def _callers(session: ProbeSession) -> dict[str, Caller]:
    return {
        "first": Caller(_bearer(ACME_FULL)),
        "acme-read-only": Caller(_bearer(ACME_READ)),
        "agency": Caller(_bearer(AGENCY)),
        "globex": Caller(_bearer(GLOBEX_FULL)),
        "globex+acme-location-hints": Caller(
            _bearer(GLOBEX_FULL, **{"Location-Id": ACME_LOCATION}), query={"locationId": ACME_LOCATION}
        ),
    }


def _globals(store: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """Tokens live beside the locations: acme's, and everyone else's (globex's, the agency's). The vendor's
    conversation types are words every location's threads use, not acme's data."""
    tokens = store["tokens"]
    return [t for t in tokens if t["location_id"] == ACME_LOCATION], [
        *(t for t in tokens if t["location_id"] != ACME_LOCATION),
        list(CONVERSATION_TYPES),
    ]


PROBES = Probes(
    write="/conversation-ai/agents",
    read="/conversation-ai/agents/agent_seed_1",
    tenancy=TenancyProbes(
        container="locations",
        first=ACME_LOCATION,
        second=GLOBEX_LOCATION,
        cases=CASES,
        shapes={"globex": False, "globex+acme-location-hints": False},  # the token alone decides the location
        callers=_callers,
        unauthorized="Invalid token: access token is invalid",
        globals=_globals,
    ),
)
