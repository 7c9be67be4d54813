"""HighLevel Conversation AI handlers, one per operationId. Agents come bare, actions inside `{data, success}`,
and every success carries a `traceId`, as the live service sends them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.apis.highlevel import errors
from mock_server.apis.highlevel.state import Action, Agent, Generation, Location
from mock_server.engine.clock import iso
from mock_server.engine.types import Call, Handler

__all__ = ["HANDLERS", "agent_json"]

_AGENT_FIELDS = {  # wire name -> attribute, for create and update
    "name": "name",
    "businessName": "business_name",
    "mode": "mode",
    "channels": "channels",
    "isPrimary": "is_primary",
    "waitTime": "wait_time",
    "waitTimeUnit": "wait_time_unit",
    "sleepEnabled": "sleep_enabled",
    "sleepTime": "sleep_time",
    "sleepTimeUnit": "sleep_time_unit",
    "personality": "personality",
    "goal": "goal",
    "instructions": "instructions",
    "autoPilotMaxMessages": "auto_pilot_max_messages",
    "knowledgeBaseIds": "knowledge_base_ids",
    "respondToImages": "respond_to_images",
    "respondToAudio": "respond_to_audio",
    "sleepOnManualMessage": "sleep_on_manual_message",
    "sleepOnWorkflowMessage": "sleep_on_workflow_message",
}


def _location(call: Call) -> Location:
    location: Location = call.store.location(call.principal.tenant_id)
    return location


def _traced(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "traceId": call.rng.uuid4()}


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def agent_json(location: Location, agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name,
        "businessName": agent.business_name,
        "mode": agent.mode,
        "channels": list(agent.channels),
        "waitTime": _number(agent.wait_time),
        "waitTimeUnit": agent.wait_time_unit,
        "sleepEnabled": agent.sleep_enabled,
        "sleepTime": _number(agent.sleep_time) if agent.sleep_time is not None else None,
        "sleepTimeUnit": agent.sleep_time_unit,
        "personality": agent.personality,
        "goal": agent.goal,
        "instructions": agent.instructions,
        "actions": [{"id": a, "type": location.actions[a].type} for a in agent.action_ids if a in location.actions],
        "isPrimary": agent.is_primary,
        "autoPilotMaxMessages": _number(agent.auto_pilot_max_messages),
        "knowledgeBaseIds": list(agent.knowledge_base_ids),
        "sleepOnManualMessage": agent.sleep_on_manual_message,
        "sleepOnWorkflowMessage": agent.sleep_on_workflow_message,
    }


def _list_item(location: Location, agent: Agent) -> dict[str, Any]:
    """The search list's own shape: `goal` is an object there, and there is no personality or instructions."""
    return {
        "id": agent.id,
        "name": agent.name,
        "businessName": agent.business_name,
        "mode": agent.mode,
        "channels": list(agent.channels),
        "isPrimary": agent.is_primary,
        "waitTime": _number(agent.wait_time),
        "waitTimeUnit": agent.wait_time_unit,
        "autoPilotMaxMessages": _number(agent.auto_pilot_max_messages),
        "actions": [{"id": a, "type": location.actions[a].type} for a in agent.action_ids if a in location.actions],
        "goal": {"prompt": agent.goal, "type": "custom", "actionId": None},
        "createdAt": iso(agent.created_at),
        "updatedAt": iso(agent.updated_at),
    }


def _action_json(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "name": action.name,
        "type": action.type,
        "details": action.details,
        "agentId": action.agent_id,
    }


def _apply(agent: Agent, body: Mapping[str, Any]) -> None:
    for wire, attribute in _AGENT_FIELDS.items():
        if wire in body:
            value = body[wire]
            setattr(agent, attribute, list(value) if isinstance(value, list) else value)
    if not agent.sleep_enabled:
        agent.sleep_time = agent.sleep_time_unit = None


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


def create_agent(call: Call) -> Any:
    location = _location(call)
    now = call.now
    agent = Agent(
        id=call.rng.token(20),
        location_id=location.id,
        name="",
        personality="",
        goal="",
        instructions="",
        created_at=now,
        updated_at=now,
        business_name=location.business_name,
    )
    _apply(agent, call.body)
    location.agents[agent.id] = agent
    if agent.is_primary or location.primary() is None:  # the first agent of a location is primary
        location.make_primary(agent)
    return _traced(call, agent_json(location, agent))


def search_agent(call: Call) -> Any:
    location = _location(call)
    agents = sorted(location.agents.values(), key=lambda a: a.id)  # a cursor by id, as the docs describe it
    query = call.query.get("query")
    if query:
        # The server matches a lower-cased copy of the name: a query with capitals finds nothing (the docs say so).
        agents = [a for a in agents if query in a.name_lower]
    start_after = call.query.get("startAfter")
    if start_after:  # a position: it works even when that agent has since been deleted
        agents = [a for a in agents if a.id > start_after]
    page = agents[: int(call.query.get("limit", 20))]
    return _traced(
        call,
        {"agents": [_list_item(location, a) for a in page], "totalCount": len(location.agents), "count": len(page)},
    )


def get_agent(call: Call) -> Any:
    location = _location(call)
    return _traced(call, agent_json(location, location.agent(call.path["agentId"])))


def update_agent(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    body = call.body
    _check_stored_rules(call, agent)
    _apply(agent, body)
    agent.updated_at = call.now
    if body.get("isPrimary") is True:
        location.make_primary(agent)
    elif body.get("isPrimary") is False and location.primary() is None and location.agents:
        location.make_primary(location.ordered_agents()[0])
    return _traced(call, agent_json(location, agent))


def delete_agent(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    location.remove_agent(agent)
    return _traced(call, {"success": True, "id": agent.id})


def _check_targets(location: Location, body: Mapping[str, Any]) -> None:
    """Agent ids inside details must be agents of this location."""
    details = body["details"]
    for key in ("transferToBot", "transferAgent"):
        target = details.get(key)
        if isinstance(target, str) and target and target not in location.agents:
            raise errors.Unprocessable([f"details.{key} must be the id of an agent of this location"])


def create_action(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    _check_targets(location, call.body)
    action = Action(
        id=call.rng.token(20),
        agent_id=agent.id,
        name=call.body["name"],
        type=call.body["type"],
        details=dict(call.body["details"]),
    )
    location.actions[action.id] = action
    agent.action_ids.append(action.id)
    agent.updated_at = call.now
    return _traced(call, {"data": _action_json(action), "success": True})


def list_actions(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    return _traced(
        call,
        {
            "data": [_action_json(location.actions[a]) for a in agent.action_ids if a in location.actions],
            "success": True,
        },
    )


def get_action_by_id(call: Call) -> Any:
    location = _location(call)
    action = location.action(location.agent(call.path["agentId"]), call.path["actionId"])
    return _traced(call, {"data": _action_json(action), "success": True})


def update_action(call: Call) -> Any:
    location = _location(call)
    action = location.action(location.agent(call.path["agentId"]), call.path["actionId"])
    _check_targets(location, call.body)
    action.name, action.type, action.details = call.body["name"], call.body["type"], dict(call.body["details"])
    return _traced(call, {"data": _action_json(action), "success": True})


def delete_action(call: Call) -> Any:
    location = _location(call)
    action = location.action(location.agent(call.path["agentId"]), call.path["actionId"])
    for agent in location.agents.values():  # "removed from all associated agents"
        if action.id in agent.action_ids:
            agent.action_ids.remove(action.id)
    del location.actions[action.id]
    return _traced(call, {"data": {"id": action.id}, "success": True})


def update_followup_settings(call: Call) -> Any:
    location = _location(call)
    agent = location.agent(call.path["agentId"])
    chosen = []
    for action_id in call.body["actionIds"]:
        action = location.actions.get(action_id)
        if action is None or action_id not in agent.action_ids or action.type != "advancedFollowup":
            raise errors.NoActionFound(id=action_id)  # only this agent's advancedFollowup actions take settings
        chosen.append(action)
    for action in chosen:
        action.details = {**action.details, "followupSettings": dict(call.body["followupSettings"])}
    return _traced(call, {"data": _action_json(chosen[0]), "success": True})


def _generation_json(generation: Generation) -> dict[str, Any]:
    return {
        "prompt": generation.prompt,
        "responseMessage": generation.response_message,
        "actionLogs": generation.action_logs,
        "history": generation.history,
        "intent": generation.intent,
        "faqs": generation.faqs,
        "website": generation.website,
        "agentId": generation.agent_id,
        "input": generation.input,
        "mode": generation.mode,
    }


def get_generation_details(call: Call) -> Any:
    generation = _location(call).generation(call.query["messageId"], call.query["source"])
    return _traced(call, _generation_json(generation))


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
