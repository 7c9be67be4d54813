"""HighLevel Conversation AI handlers, one per operationId: each reads the validated call, asks the location's
state for the change or the record (`state.py`) and answers its wire form (`wire.py`). Agents come bare, actions
inside `{data, success}`, and every success carries a `traceId`, as the live service sends them; the trace id is
drawn last, after any id the operation makes, so seeded runs repeat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.apis.highlevel import errors, wire
from mock_server.apis.highlevel.state import Agent, Location
from mock_server.engine.types import Call, Handler

__all__ = ["HANDLERS"]


def _location(call: Call) -> Location:
    location: Location = call.store.location(call.principal.tenant_id)
    return location


def _traced(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "traceId": call.rng.uuid4()}


def _check_stored_rules(call: Call, agent: Agent) -> None:
    """What the body alone cannot show: a waitTime against the unit already stored (the spec's rule, applied to
    the body with the stored wait filled in)."""
    body = call.body
    call.check(
        {
            **body,
            "waitTime": body.get("waitTime", agent.wait_time),
            "waitTimeUnit": body.get("waitTimeUnit", agent.wait_time_unit),
        }
    )


def _check_targets(location: Location, body: Mapping[str, Any]) -> None:
    """Agent ids inside details must be agents of this location (convomock design): `transferToBot` always, and
    `transferAgent` when it is given, or needed (`transferBot: true`). The vendor publishes no length for them, so
    an empty id is refused here, not by the schema."""
    details = body["details"]
    for key in ("transferToBot", "transferAgent"):
        target = details.get(key)
        needed = key == "transferToBot" or details.get("transferBot") is True
        if isinstance(target, str) and (target or needed) and target not in location.agents:
            raise errors.Unprocessable([f"details.{key} must be the id of an agent of this location"])


# -- agents ------------------------------------------------------------------------------------------------------


def create_agent(call: Call) -> Any:
    location = _location(call)
    agent = location.create_agent(call.rng, call.now, wire.agent_settings(call.body))
    return _traced(call, wire.agent_json(location, agent))


def search_agent(call: Call) -> Any:
    location = _location(call)
    found = location.search_agents(call.query.get("query"), call.query.get("startAfter"))
    return _traced(call, wire.search_page(location, found, wire.page_size(call.query.get("limit"))))


def get_agent(call: Call) -> Any:
    location = _location(call)
    return _traced(call, wire.agent_json(location, location.agent(call.path["agentId"])))


def update_agent(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    _check_stored_rules(call, agent)
    location.update_agent(agent, wire.agent_settings(call.body), call.now)
    return _traced(call, wire.agent_json(location, agent))


def delete_agent(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    location.remove_agent(agent)
    return _traced(call, {"success": True, "id": agent.id})


# -- actions -----------------------------------------------------------------------------------------------------


def create_action(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    _check_targets(location, call.body)
    body = call.body
    action = location.add_action(agent, call.rng, call.now, body["name"], body["type"], body["details"])
    return _traced(call, {"data": wire.action_json(action), "success": True})


def list_actions(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    return _traced(
        call,
        {
            "data": [wire.action_json(location.actions[a]) for a in agent.action_ids if a in location.actions],
            "success": True,
        },
    )


def get_action_by_id(call: Call) -> Any:
    location = _location(call)
    action = location.action(location.agent(call.path["agentId"]), call.path["actionId"])
    return _traced(call, {"data": wire.action_json(action), "success": True})


def update_action(call: Call) -> Any:
    location = _location(call)
    action = location.action(location.agent(call.path["agentId"]), call.path["actionId"])
    _check_targets(location, call.body)
    location.update_action(action, call.body["name"], call.body["type"], call.body["details"])
    return _traced(call, {"data": wire.action_json(action), "success": True})


def delete_action(call: Call) -> Any:
    location = _location(call)
    action = location.action(location.agent(call.path["agentId"]), call.path["actionId"])
    location.remove_action(action)
    return _traced(call, {"data": {"id": action.id}, "success": True})


def update_followup_settings(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    # Every id is looked up before any changes: one that is not this agent's advancedFollowup action changes nothing.
    chosen = [location.action(agent, action_id, "advancedFollowup") for action_id in call.body["actionIds"]]
    location.set_followup_settings(chosen, call.body["followupSettings"])
    return _traced(call, {"data": wire.action_json(chosen[0]), "success": True})


# -- generations -------------------------------------------------------------------------------------------------


def get_generation_details(call: Call) -> Any:
    generation = _location(call).generation(call.query["messageId"], call.query["source"])
    return _traced(call, wire.generation_json(generation))


HANDLERS: Mapping[str, Handler] = {
    "create-agent": create_agent,
    "search-agent": search_agent,
    "get-agent": get_agent,
    "update-agent": update_agent,
    "delete-agent": delete_agent,
    "create-action": create_action,
    "list-actions": list_actions,
    "get-action-by-id": get_action_by_id,
    "update-action": update_action,
    "delete-action": delete_action,
    "update-followup-settings": update_followup_settings,
    "get-generation-details": get_generation_details,
}
