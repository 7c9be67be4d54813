"""HighLevel's control routes (`/__mock/highlevel/...`): a customer writes in (`inbound`, and the agent acts on it
when the jobs settle), a human or a workflow writes out (`outbound`, which may put the agent to sleep), and the
threads with their drafts and agent states (`conversations`). The control API is ours, not HighLevel's: refusals
are plain `ControlError`s, and what happens to a thread is the agents' business (`agents.py`)."""

from __future__ import annotations

from typing import Any

from mock_server.apis.highlevel import agents, wire
from mock_server.apis.highlevel.state import Conversation, HighLevelStore, Location
from mock_server.engine.types import ControlCall, ControlError, ControlRoute

__all__ = ["CHANNELS", "CONTROL_ROUTES", "conversations", "inbound", "outbound"]

CHANNELS = ("IG", "FB", "SMS", "WebChat", "WhatsApp", "Live_Chat")  # where a simulated customer may write from


def _location(store: HighLevelStore, location_id: Any) -> Location:
    if not isinstance(location_id, str) or location_id not in store.locations:
        raise ControlError(404, f"no location {location_id!r}; known: {', '.join(store.locations)}")
    return store.locations[location_id]


def _conversation_of(location: Location, call: ControlCall, body: dict[str, Any], channel: str | None) -> Conversation:
    """The contact's thread (opened on first contact); a customer writing from another channel moves it there."""
    contact_id = body.get("contact")
    if not isinstance(contact_id, str) or contact_id not in location.contacts:
        raise ControlError(404, f"no contact {contact_id!r} in location {location.id}")
    return location.conversation_with(contact_id, channel, call.rng)


def inbound(call: ControlCall) -> Any:
    """A customer writes: `{"location", "contact", "channel", "body"}`; the agent acts on it (settle runs it)."""
    body = call.body if isinstance(call.body, dict) else {}
    location = _location(call.store, body.get("location"))
    channel = body.get("channel", "SMS")
    if channel not in CHANNELS:
        raise ControlError(400, f"channel must be one of {', '.join(CHANNELS)}")
    text = call.text("body")
    conversation = _conversation_of(location, call, body, channel)
    message, what = agents.receive(location, conversation, text, call.rng, call.clock, call.jobs)
    return 201, {"conversation_id": conversation.id, "message_id": message.id, "agent": what}


def outbound(call: ControlCall) -> Any:
    """A human (`source: manual`, the default) or a workflow writes to the customer."""
    body = call.body if isinstance(call.body, dict) else {}
    location = _location(call.store, body.get("location"))
    source = body.get("source", "manual")
    if source not in ("manual", "workflow"):
        raise ControlError(400, "source is manual or workflow")
    text = call.text("body")
    conversation = _conversation_of(location, call, body, None)
    message = agents.send_manual(location, conversation, text, source, call.rng, call.clock.now())
    return 201, {
        "conversation_id": conversation.id,
        "message_id": message.id,
        "agent_sleeping": conversation.asleep(call.clock.now()),
    }


def conversations(call: ControlCall) -> Any:
    """`?location=`: every thread of the location, with the agent now responsible for it."""
    location = _location(call.store, call.query.get("location"))
    now = call.clock.now()

    def agent_id(conversation: Conversation) -> str | None:
        agent = agents.responsible_agent(location, conversation)
        return agent.id if agent else None

    return {
        "location": location.id,
        "conversations": [
            wire.conversation_json(location, c, agent_id(c), now) for c in location.conversations.values()
        ],
    }


CONTROL_ROUTES = (
    ControlRoute("POST", "inbound", inbound),
    ControlRoute("POST", "outbound", outbound),
    ControlRoute("GET", "conversations", conversations),
)
