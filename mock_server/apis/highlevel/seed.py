"""Deterministic HighLevel seed: fixtures/highlevel.yaml's locations, tokens, knowledge bases, contacts, agents
with actions of every type and a thread with a generated reply (`msg_1`), plus Faker-made agents per location."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from faker import Faker

from mock_server.apis.highlevel import agents
from mock_server.apis.highlevel.state import (
    Action,
    Agent,
    Contact,
    Conversation,
    Faq,
    HighLevelStore,
    KnowledgeBase,
    Location,
    Token,
    WebChunk,
    conversation_type,
)
from mock_server.apis.highlevel.wire import AGENT_FIELDS
from mock_server.engine.clock import parse_duration
from mock_server.engine.ids import SeededRandom
from mock_server.engine.types import MockOptions

__all__ = ["seed"]

_ROLES = [
    "Receptionist",
    "Support Specialist",
    "Sales Advisor",
    "Billing Assistant",
    "Scheduling Coordinator",
    "Onboarding Guide",
    "Retention Specialist",
    "Lead Qualifier",
    "Concierge",
]


def _agent(location: Location, raw: Mapping[str, Any], start: datetime) -> Agent:
    created = start + parse_duration(raw.get("created", "-1d"))
    agent = Agent(
        id=raw["id"],
        location_id=location.id,
        name=raw["name"],
        personality=raw["personality"],
        goal=raw["goal"],
        instructions=raw["instructions"],
        created_at=created,
        updated_at=created,
        business_name=location.business_name,
    )
    for wire, attribute in AGENT_FIELDS.items():  # the fields a client may set, as the seed may
        if wire in raw:
            setattr(agent, attribute, list(raw[wire]) if isinstance(raw[wire], list) else raw[wire])
    for action in raw.get("actions", []):
        location.actions[action["id"]] = Action(
            id=action["id"],
            agent_id=agent.id,
            name=action["name"],
            type=action["type"],
            details=dict(action["details"]),
        )
        agent.action_ids.append(action["id"])
    return agent


def _generated_agents(location: Location, count: int, fake: Faker, rng: SeededRandom, start: datetime) -> None:
    for index in range(count):
        created = start - parse_duration(f"{rng.randrange(1, 90 * 24)}h")
        role = _ROLES[index % len(_ROLES)]
        name = f"{fake.first_name()} the {role}"
        agent = Agent(
            id=rng.token(20),
            location_id=location.id,
            name=name,
            personality=rng.choice(["Friendly.", "Formal and precise.", "Playful.", "Patient."]),
            goal=f"Help customers as our {role.lower()}.",
            instructions=fake.sentence(nb_words=12),
            created_at=created,
            updated_at=created,
            business_name=location.business_name,
            mode=rng.choice(["off", "suggestive", "auto-pilot"]),
            channels=sorted(rng.sample(["IG", "FB", "SMS", "WebChat", "WhatsApp", "Live_Chat"], rng.randint(1, 3))),
            wait_time=rng.choice([2, 15, 60]),
            auto_pilot_max_messages=rng.choice([10, 25, 75]),
        )
        location.agents[agent.id] = agent


def _conversation(location: Location, raw: Mapping[str, Any], rng: SeededRandom, start: datetime) -> None:
    conversation = Conversation(
        id=raw["id"],
        contact_id=raw["contact"],
        channel=raw["channel"],
        type=conversation_type(raw["channel"]),
        agent_id=raw.get("agent"),
    )
    location.conversations[conversation.id] = conversation
    for line in raw.get("messages", []):
        at = start + parse_duration(line["at"])
        if "ai_reply" in line:
            agent = agents.responsible_agent(location, conversation)
            assert agent is not None, f"{conversation.id}: no agent to have replied"
            agents.seeded_reply(location, conversation, agent, rng, at, line["ai_reply"])
        else:
            source = "customer" if line["direction"] == "inbound" else "manual"
            conversation.add_message(rng, at, line["direction"], source, line["body"])


def seed(
    store: HighLevelStore, fixtures: Mapping[str, Any], rng: SeededRandom, start: datetime, options: MockOptions
) -> None:
    settings = fixtures.get("generated", {})
    fake = Faker(settings.get("faker_locale", "en_US"), use_weighting=False)  # uniform picks: 5x faster seeding
    fake.seed_instance(rng.getrandbits(32))
    store.tokens += [
        Token(token=t["token"], name=t["name"], scopes=[], location_id=None) for t in fixtures.get("agency_tokens", [])
    ]
    for raw in fixtures["locations"]:
        location = Location(id=raw["id"], name=raw["name"], business_name=raw["business_name"], key=raw.get("key"))
        store.locations[location.id] = location
        store.tokens += [
            Token(token=t["token"], name=t["name"], scopes=list(t["scopes"]), location_id=location.id)
            for t in raw.get("tokens", [])
        ]
        for kb in raw.get("knowledge_bases", []):
            location.knowledge_bases[kb["id"]] = KnowledgeBase(
                id=kb["id"],
                name=kb["name"],
                faqs=[Faq(**f) for f in kb.get("faqs", [])],
                website=[WebChunk(**w) for w in kb.get("website", [])],
            )
        for contact in raw.get("contacts", []):
            location.contacts[contact["id"]] = Contact(
                id=contact["id"], name=contact["name"], phone=contact.get("phone"), email=contact.get("email")
            )
        for agent in raw.get("agents", []):
            location.agents[agent["id"]] = _agent(location, agent, start)
        _generated_agents(location, int(settings.get("agents_per_location", 9)), fake, rng, start)
        for conversation in raw.get("conversations", []):
            _conversation(location, conversation, rng, start)
