"""HighLevel's control routes (`/__mock/highlevel/...`): a customer writes in (`inbound`, a known contact or anyone
by phone or email, and the agent acts on it when the jobs settle), a human or a workflow writes out (`outbound`,
which may put the agent to sleep), and the threads with their drafts and agent states (`conversations`). Also the
scenario effect `agent_handover` and the check of a scenario's scope (`find_target`). The control API is ours, not
HighLevel's: refusals are plain `ControlError`s, and what happens to a thread is the agents' business (`agents.py`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mock_server.apis.highlevel import agents, wire
from mock_server.apis.highlevel.state import Contact, Conversation, HandoverRule, HighLevelStore, Location
from mock_server.engine.clock import MockClock
from mock_server.engine.scenarios import Effect, Target, Undo
from mock_server.engine.types import ControlCall, ControlError, ControlRoute

__all__ = ["CHANNELS", "CONTROL_ROUTES", "SCENARIO_EFFECTS", "conversations", "find_target", "inbound", "outbound"]

# Where a simulated customer may write from: the agents' channels, and Email (no agent works on it).
CHANNELS = ("IG", "FB", "SMS", "WebChat", "WhatsApp", "Live_Chat", "Email")
_BY_PHONE = ("SMS", "WhatsApp")  # a new customer on these is known by their number; on Email by their address
_PHONE = re.compile(r"\+?[\d\s().-]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# -- scenario effects and their scope ------------------------------------------------------------------------------


def _locations(store: HighLevelStore, target: Target) -> list[Location]:
    return [location for location in store.locations.values() if target.has_tenant(location.id, location.key)]


def _where(target: Target, locations: list[Location]) -> str:
    if target.tenants is None:
        return "any location"
    return "location " + (", ".join(location.id for location in locations) or "(none)")


def drop_rules(store: HighLevelStore, key: str) -> None:
    """Every handover rule the switching-on `key` added (after a restore)."""
    for location in store.locations.values():
        location.handover_rules[:] = [rule for rule in location.handover_rules if rule.key != key]


def find_target(store: HighLevelStore, target: Target) -> str | None:
    """What a scoped scenario names that the store does not hold, in one line (None when it holds it): a thread by
    its id; a contact by its id, phone or email; both together must be the contact's thread."""
    locations = _locations(store, target)
    threads = [(location, c) for location in locations for c in location.conversations.values()]
    if target.conversation is not None and not any(target.has_conversation(c.id) for _, c in threads):
        return f"no conversation {target.conversation!r} in {_where(target, locations)}"
    contacts = [c for location in locations for c in location.contacts.values()]
    if target.contact is not None and not any(target.has_contact(c.id, c.phone, c.email) for c in contacts):
        return f"no contact {target.contact!r} in {_where(target, locations)}"
    if (
        target.conversation is not None
        and target.contact is not None
        and not any(_covered(at, c, target) for at, c in threads)
    ):
        return f"conversation {target.conversation!r} is not with contact {target.contact!r}"
    return None


def target_ids(store: HighLevelStore, target: Target) -> frozenset[str]:
    """Every id a request may name what the target covers by: each thread's id, its contact's id, phone and email."""

    def reach(contact: Contact | None) -> tuple[str | None, str | None]:
        return (contact.phone, contact.email) if contact is not None else (None, None)

    return target.ids_of(
        (conversation.id, (conversation.contact_id, *reach(location.contacts.get(conversation.contact_id))))
        for location in _locations(store, target)
        for conversation in location.conversations.values()
    )


def _covered(location: Location, conversation: Conversation, target: Target) -> bool:
    contact = location.contacts.get(conversation.contact_id)
    ids = (contact.id, contact.phone, contact.email) if contact else (conversation.contact_id,)
    return target.has_conversation(conversation.id) and target.has_contact(*ids)


def _agent_handover(store: HighLevelStore, value: Any, clock: MockClock, target: Target) -> Undo:
    """`always`: where the target reaches (every thread, a location's, one thread, one contact's), the responsible
    agent hands the thread over to a human instead of replying to the customer's next message. Switched off, the
    agents reply again; threads already handed over stay with their human, as on HighLevel."""
    if value != "always":
        raise ValueError(f"agent_handover: only 'always' is supported, not {value!r}")
    added: list[tuple[Location, HandoverRule]] = []
    for location in _locations(store, target):
        if target.conversation is None and target.contact is None:
            added.append((location, HandoverRule(key=target.key)))
        elif target.conversation is not None:
            added += [
                (location, HandoverRule(conversation_id=c.id, key=target.key))
                for c in location.conversations.values()
                if _covered(location, c, target)
            ]
        else:
            added += [
                (location, HandoverRule(contact_id=c.id, key=target.key))
                for c in location.contacts.values()
                if target.has_contact(c.id, c.phone, c.email)
            ]
    if not added:
        raise ValueError(f"agent_handover: the scope reaches no conversation or contact ({find_target(store, target)})")
    for location, rule in added:
        location.add_handover_rule(rule)

    def undo() -> None:
        for location, rule in added:
            location.remove_handover_rule(rule)

    return undo


SCENARIO_EFFECTS: Mapping[str, Effect] = {"agent_handover": _agent_handover}


# -- control simulations -------------------------------------------------------------------------------------------


def _location(store: HighLevelStore, given: Any) -> Location:
    """A location by its id or its fixtures' key (acme)."""
    known = ", ".join(f"{each.id} ({each.key})" if each.key else each.id for each in store.locations.values())
    if not isinstance(given, str) or not given:
        raise ControlError(400, f"location: give a location id or key; known: {known}")
    found = store.locations.get(given) or next((each for each in store.locations.values() if each.key == given), None)
    if found is None:
        raise ControlError(404, f"no location {given!r}; known: {known}")
    return found


def _text_field(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ControlError(400, f"{name}: a string, not {type(value).__name__}")
    return value.strip() if value is not None else None


def _phone(body: Mapping[str, Any]) -> str | None:
    """The customer's number as HighLevel stores it (E.164: `+` and 8 to 15 digits), if given."""
    given = _text_field(body, "phone")
    if given is None:
        return None
    digits = re.sub(r"\D", "", given)
    if not _PHONE.fullmatch(given) or not 8 <= len(digits) <= 15:
        raise ControlError(400, f"phone: a number of 8 to 15 digits such as +15550001111, not {given!r}")
    return f"+{digits}"


def _email(body: Mapping[str, Any]) -> str | None:
    given = _text_field(body, "email")
    if given is not None and (not _EMAIL.fullmatch(given) or len(given) > 254):
        raise ControlError(400, f"email: an address such as ann@example.com, not {given!r}")
    return given


def _known_contact(
    location: Location, body: Mapping[str, Any], channel: str | None
) -> tuple[Contact | None, dict[str, Any]]:
    """The contact the body names: `contact` (an id), else the one with its `phone` or `email`; None (with what
    to make a new one from) when no contact has them. Every field is checked here, before anything changes."""
    contact_id = _text_field(body, "contact")
    phone, email, name = _phone(body), _email(body), _text_field(body, "name")
    if contact_id is not None:
        if phone or email:
            raise ControlError(400, "give contact (an id), or phone / email, not both")
        if contact_id not in location.contacts:
            raise ControlError(404, f"no contact {contact_id!r} in location {location.id}")
        return location.contacts[contact_id], {}
    if phone is None and email is None:
        raise ControlError(400, "give contact (an id), phone or email")
    if channel == "Email" and email is None:
        raise ControlError(400, "email: a customer writing on Email is known by their address; give email")
    if channel in _BY_PHONE and phone is None:
        raise ControlError(400, f"phone: a customer writing on {channel} is known by their number; give phone")
    if name is not None and len(name) > 200:
        raise ControlError(400, "name: at most 200 characters")
    return location.contact_by(phone, email), {"name": name or "", "phone": phone, "email": email}


def _reachable(contact: Contact, channel: str) -> None:
    """A known contact writes on a phone channel only with a number on file, on Email only with an address."""
    if channel in _BY_PHONE and not contact.phone:
        raise ControlError(400, f"channel: contact {contact.id} has no phone number to write on {channel} from")
    if channel == "Email" and not contact.email:
        raise ControlError(400, f"channel: contact {contact.id} has no email address to write on Email from")


def inbound(call: ControlCall) -> Any:
    """A customer writes in; the agent acts on it as HighLevel's would (settle runs its reply). The body:

        {"location": "<location id, or its fixtures' key: acme>",
         "contact": "<contact id>",                 # a known contact; or instead
         "phone": "+15550001111", "email": "ann@example.com", "name": "Ann Lee",   # anyone
         "channel": "SMS",   # IG, FB, SMS, WebChat, WhatsApp, Live_Chat or Email; by default a known customer's
                             # thread's, else SMS (Email when only an email is given)
         "body": "<the message, 1 to 4096 characters>"}

    A customer known by that phone (the same digits) or email (any case) writes in their own thread; anyone else
    becomes a new contact (a 20-character id, the name given or none) with a new thread, whose `type` follows the
    channel (TYPE_PHONE; TYPE_EMAIL for Email; TYPE_FB_MESSENGER for FB and IG). SMS and WhatsApp customers are known
    by their number, Email ones by their address. Answers 201 with the thread, the message and what the agent will
    do; `contact_created` says whether the customer was new."""
    body = call.fields
    location = _location(call.store, body.get("location"))
    given = body.get("channel")
    if given is not None and given not in CHANNELS:
        raise ControlError(400, f"channel must be one of {', '.join(CHANNELS)}")
    default = "SMS" if "phone" in body or "email" not in body else "Email"
    text = call.text("body")
    contact, new = _known_contact(location, body, given or default)
    created = contact is None
    thread = None if contact is None else location.thread_of(contact.id)
    # A known customer writes where their thread is unless the body names another channel (convomock design).
    channel = given or (thread.channel if thread is not None else default)
    if contact is not None:
        _reachable(contact, channel)
    if contact is None:
        contact = location.add_contact(call.rng, new["name"], new["phone"], new["email"])
    conversation = location.conversation_with(contact.id, channel, call.rng)
    message, what = agents.receive(location, conversation, text, call.rng, call.clock, call.jobs)
    return 201, {
        "conversation_id": conversation.id,
        "message_id": message.id,
        "contact_id": contact.id,
        "contact_created": created,
        "agent": what,
    }


def outbound(call: ControlCall) -> Any:
    """A human (`source: manual`, the default) or a workflow writes to a contact (`contact`: an id, or the
    `phone` / `email` of a known one): `{"location", "contact", "body", "source"}`."""
    body = call.fields
    location = _location(call.store, body.get("location"))
    source = body.get("source", "manual")
    if source not in ("manual", "workflow"):
        raise ControlError(400, "source is manual or workflow")
    text = call.text("body")
    contact, new = _known_contact(location, body, None)
    if contact is None:
        named = " or ".join(f"{key} {new[key]!r}" for key in ("phone", "email") if new[key])
        raise ControlError(404, f"no contact with {named} in location {location.id}")
    conversation = location.conversation_with(contact.id, None, call.rng)
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
