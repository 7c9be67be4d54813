"""HighLevel (LeadConnector) Conversation AI API (`/highlevel`): the binding the engine serves, plus this vendor's
token and scope rules, its two rate-limit windows and headers, and the control simulations (a customer writes
in, a human writes out, the threads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mock_server import DATA_ROOT
from mock_server.apis.highlevel import errors, sim
from mock_server.apis.highlevel.handlers import HANDLERS
from mock_server.apis.highlevel.limits import BURST, DAILY, rate_limit_headers
from mock_server.apis.highlevel.seed import seed
from mock_server.apis.highlevel.state import Conversation, HighLevelStore, Location
from mock_server.engine.clock import iso
from mock_server.engine.types import ApiBinding, ControlCall, ControlError, ControlRoute, Principal, RequestView

__all__ = ["API"]

ROOT = DATA_ROOT  # specs/ and fixtures/
CHANNELS = ("IG", "FB", "SMS", "WebChat", "WhatsApp", "Live_Chat")  # where a simulated customer may write from


def authenticate(view: RequestView, store: HighLevelStore) -> Principal:
    """The token decides the location; agency tokens and missing scopes get the scope refusal (401)."""
    scheme, _, value = view.headers.get("authorization", "").partition(" ")
    token = store.token(value.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise errors.InvalidToken()
    if token.location_id is None or not set(view.required_scopes) <= set(token.scopes):
        raise errors.ScopeNotAuthorized()
    return Principal(
        tenant_id=token.location_id, key=token.location_id, scopes=frozenset(token.scopes), label=token.name
    )


def credentials(store: HighLevelStore) -> list[dict[str, Any]]:
    return [
        {
            "tenant": t.location_id,
            "token": t.token,
            "base_path": "",
            "scopes": t.scopes,
            "location": store.locations[t.location_id].name,
            "headers": {"Version": "2021-07-28"},
        }
        for t in store.tokens
        if t.location_id is not None
    ]


# -- control simulations -----------------------------------------------------------------------------------------


def _location(store: HighLevelStore, location_id: Any) -> Location:
    if not isinstance(location_id, str) or location_id not in store.locations:
        raise ControlError(404, f"no location {location_id!r}; known: {', '.join(store.locations)}")
    return store.locations[location_id]


def _conversation_of(location: Location, call: ControlCall, body: dict[str, Any], channel: str | None) -> Conversation:
    contact_id = body.get("contact")
    if not isinstance(contact_id, str) or contact_id not in location.contacts:
        raise ControlError(404, f"no contact {contact_id!r} in location {location.id}")
    conversation = next((c for c in location.conversations.values() if c.contact_id == contact_id), None)
    if conversation is None:
        conversation = Conversation(id=call.rng.token(20), contact_id=contact_id, channel=channel or "SMS")
        location.conversations[conversation.id] = conversation
    elif channel is not None:
        conversation.channel = channel  # the customer moved to another channel
    return conversation


def inbound(call: ControlCall) -> Any:
    """A customer writes: `{"location", "contact", "channel", "body"}`; the agent acts on it (settle runs it)."""
    body = call.body if isinstance(call.body, dict) else {}
    location = _location(call.store, body.get("location"))
    channel = body.get("channel", "SMS")
    if channel not in CHANNELS:
        raise ControlError(400, f"channel must be one of {', '.join(CHANNELS)}")
    text = call.text("body")
    conversation = _conversation_of(location, call, body, channel)
    message, what = sim.receive(location, conversation, text, call.rng, call.clock, call.jobs)
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
    message = sim.send_manual(location, conversation, text, source, call.rng, call.clock.now())
    return 201, {
        "conversation_id": conversation.id,
        "message_id": message.id,
        "agent_sleeping": conversation.asleep(call.clock.now()),
    }


def conversations(call: ControlCall) -> Any:
    location = _location(call.store, call.query.get("location"))
    now = call.clock.now()

    def agent_id(conversation: Conversation) -> str | None:
        agent = sim.responsible_agent(location, conversation)
        return agent.id if agent else None

    return {
        "location": location.id,
        "conversations": [
            {
                "id": c.id,
                "contact_id": c.contact_id,
                "channel": c.channel,
                "agent_id": agent_id(c),
                "ai_replies": c.ai_replies,
                "bot_stopped": c.bot_stopped,
                "handed_over": c.handed_over,
                "asleep": c.asleep(now),
                "sleeping_until": iso(c.sleeping_until) if c.sleeping_until else None,
                "workflows_triggered": c.workflows_triggered,
                "contact": vars(location.contacts[c.contact_id]),
                "messages": [
                    {
                        "id": m.id,
                        "direction": m.direction,
                        "source": m.source,
                        "body": m.body,
                        "channel": m.channel,
                        "agent_id": m.agent_id,
                        "draft": m.draft,
                        "created_at": iso(m.created_at),
                    }
                    for m in c.messages
                ],
            }
            for c in location.conversations.values()
        ],
    }


API = ApiBinding(
    tenant_collection="locations",
    name="highlevel",
    prefix="/highlevel",
    spec_path=ROOT / "specs" / "highlevel.yaml",
    fixtures_path=ROOT / "fixtures" / "highlevel.yaml",
    dashboard_script=Path(__file__).with_name("dashboard.js"),
    store_type=HighLevelStore,
    handlers=HANDLERS,
    new_store=HighLevelStore,
    seed=seed,
    authenticate=authenticate,
    errors=errors.STYLE,
    credentials=credentials,
    rate_limits=(BURST, DAILY),
    rate_limit_headers=rate_limit_headers,
    control_routes=(
        ControlRoute("POST", "inbound", inbound),
        ControlRoute("POST", "outbound", outbound),
        ControlRoute("GET", "conversations", conversations),
    ),
)
