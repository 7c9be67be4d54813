"""HighLevel records on the wire, as the spec names them: agents come bare (the search list has a shape of its
own), actions and generations as the handlers wrap them, and the threads the control API lists. Also the other
direction: an agent's settings as a request body names them. Reads only; nothing here changes a record."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mock_server.apis.highlevel.state import Action, Agent, Contact, Conversation, Generation, Location, Message
from mock_server.engine.clock import iso

__all__ = [
    "AGENT_FIELDS",
    "agent_settings",
    "agent_json",
    "agent_list_item",
    "page_size",
    "search_page",
    "action_json",
    "generation_json",
    "contact_json",
    "conversation_json",
]

AGENT_FIELDS = {  # wire name -> attribute, for create and update
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


def agent_settings(body: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a create or update body gives (attribute -> value); what it leaves out stays as it is."""
    return {attribute: body[wire] for wire, attribute in AGENT_FIELDS.items() if wire in body}


def _number(value: float) -> float | int:
    """2.0 goes out as 2, as the live service (JavaScript) writes it."""
    return int(value) if float(value).is_integer() else value


def _action_refs(location: Location, agent: Agent) -> list[dict[str, Any]]:
    return [{"id": a, "type": location.actions[a].type} for a in agent.action_ids if a in location.actions]


def _sleep(agent: Agent) -> dict[str, Any]:
    """`sleepTime` and `sleepTimeUnit` when the agent has them; absent otherwise (sleep off, or indefinite): the
    vendor's published answer schemas have no nullable field."""
    found: dict[str, Any] = {}
    if agent.sleep_time is not None:
        found["sleepTime"] = _number(agent.sleep_time)
    if agent.sleep_time_unit is not None:
        found["sleepTimeUnit"] = agent.sleep_time_unit
    return found


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
        **_sleep(agent),
        "personality": agent.personality,
        "goal": agent.goal,
        "instructions": agent.instructions,
        "actions": _action_refs(location, agent),
        "isPrimary": agent.is_primary,
        "autoPilotMaxMessages": _number(agent.auto_pilot_max_messages),
        "knowledgeBaseIds": list(agent.knowledge_base_ids),
        "sleepOnManualMessage": agent.sleep_on_manual_message,
        "sleepOnWorkflowMessage": agent.sleep_on_workflow_message,
    }


def agent_list_item(location: Location, agent: Agent) -> dict[str, Any]:
    """The search list's own shape, in the vendor's order (EmployeeListItemDTO): `goal` is an object there, and
    there is no personality or instructions."""
    return {
        "id": agent.id,
        "name": agent.name,
        "businessName": agent.business_name,
        "mode": agent.mode,
        "channels": list(agent.channels),
        "waitTime": _number(agent.wait_time),
        "waitTimeUnit": agent.wait_time_unit,
        "sleepEnabled": agent.sleep_enabled,
        **_sleep(agent),
        "actions": _action_refs(location, agent),
        "isPrimary": agent.is_primary,
        "autoPilotMaxMessages": _number(agent.auto_pilot_max_messages),
        "goal": {"prompt": agent.goal, "type": "custom", "actionId": None},
        "knowledgeBaseIds": list(agent.knowledge_base_ids),
        "createdAt": iso(agent.created_at),
        "updatedAt": iso(agent.updated_at),
        "sleepOnManualMessage": agent.sleep_on_manual_message,
        "sleepOnWorkflowMessage": agent.sleep_on_workflow_message,
    }


DEFAULT_PAGE_SIZE = 20  # convomock design: the vendor gives `limit` no default


def page_size(limit: float | None) -> int:
    """How many agents a search page holds for the `limit` asked (the vendor's `number` with no bound; the rest is
    convomock design): absent gives 20, a fraction is floored, 0 or less gives an empty page, and there is no
    upper cap (a huge or infinite limit gives every agent found)."""
    if limit is None:
        return DEFAULT_PAGE_SIZE
    if limit <= 0:
        return 0
    return sys.maxsize if math.isinf(limit) else math.floor(limit)


def search_page(location: Location, found: list[Agent], limit: int) -> dict[str, Any]:
    """The first `limit` agents found; `totalCount` counts the location's agents, not the matches."""
    page = found[:limit]
    return {
        "agents": [agent_list_item(location, a) for a in page],
        "totalCount": len(location.agents),
        "count": len(page),
    }


def action_json(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "name": action.name,
        "type": action.type,
        "details": action.details,
        "agentId": action.agent_id,
    }


def generation_json(generation: Generation) -> dict[str, Any]:
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


# -- the control API's threads (ours, not HighLevel's: snake_case) ---------------------------------------------------


def _message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "source": message.source,
        "body": message.body,
        "channel": message.channel,
        "agent_id": message.agent_id,
        "draft": message.draft,
        "created_at": iso(message.created_at),
    }


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "fields": dict(contact.fields),
        "tags": list(contact.tags),
        "tasks": [
            {
                "id": t.id,
                "title": t.title,
                "body": t.body,
                "assigned_to": t.assigned_to,
                "due_date": iso(t.due_date),
                "completed": t.completed,
            }
            for t in contact.tasks
        ],
    }


def conversation_json(
    location: Location, conversation: Conversation, agent_id: str | None, now: datetime
) -> dict[str, Any]:
    """A thread with its contact, its messages and drafts, and the state of the agent responsible (`agent_id`)."""
    c = conversation
    return {
        "id": c.id,
        "contact_id": c.contact_id,
        "channel": c.channel,
        "type": c.type,
        "agent_id": agent_id,
        "assigned_to": c.assigned_to,
        "ai_replies": c.ai_replies,
        "bot_stopped": c.bot_stopped,
        "handed_over": c.handed_over,
        "asleep": c.asleep(now),
        "sleeping_until": iso(c.sleeping_until) if c.sleeping_until else None,
        "workflows_triggered": c.workflows_triggered,
        "contact": contact_json(location.contacts[c.contact_id]),
        "messages": [_message_json(m) for m in c.messages],
    }
