"""HighLevel state: locations (the tenants) with their agents, actions, knowledge bases, contacts, threads and
the generation record behind every AI reply. No HTTP here; every "not found" is raised by one lookup."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.apis.highlevel import errors

__all__ = [
    "Action",
    "Agent",
    "Contact",
    "Conversation",
    "Faq",
    "Generation",
    "HighLevelStore",
    "KnowledgeBase",
    "Location",
    "Message",
    "Token",
    "WebChunk",
]


@dataclass
class Token:
    token: str
    name: str
    scopes: list[str]
    location_id: str | None  # None: an agency token, refused on location endpoints


@dataclass
class Agent:
    id: str
    location_id: str
    name: str
    personality: str
    goal: str
    instructions: str
    created_at: datetime
    updated_at: datetime
    business_name: str | None = None
    mode: str = "off"
    channels: list[str] = field(default_factory=list)
    is_primary: bool = False
    wait_time: float = 2
    wait_time_unit: str = "seconds"
    sleep_enabled: bool = False
    sleep_time: float | None = None
    sleep_time_unit: str | None = None
    auto_pilot_max_messages: float = 75
    knowledge_base_ids: list[str] = field(default_factory=list)
    respond_to_images: bool = False
    respond_to_audio: bool = False
    sleep_on_manual_message: bool = False
    sleep_on_workflow_message: bool = False
    action_ids: list[str] = field(default_factory=list)

    @property
    def name_lower(self) -> str:
        return self.name.lower()


@dataclass
class Action:
    id: str
    agent_id: str
    name: str
    type: str
    details: dict[str, Any]


@dataclass
class Faq:
    id: str
    title: str
    content: str


@dataclass
class WebChunk:
    id: str
    url: str
    content: str


@dataclass
class KnowledgeBase:
    id: str
    name: str
    faqs: list[Faq] = field(default_factory=list)
    website: list[WebChunk] = field(default_factory=list)


@dataclass
class Contact:
    id: str
    name: str
    phone: str | None = None
    email: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Message:
    id: str
    conversation_id: str
    direction: str  # inbound, outbound
    source: str  # customer, ai, manual, workflow
    body: str
    channel: str
    created_at: datetime
    agent_id: str | None = None
    draft: bool = False  # a suggestion (suggestive mode), not sent


@dataclass
class Conversation:
    id: str
    contact_id: str
    channel: str
    agent_id: str | None = None  # the agent assigned (else the location's primary one)
    messages: list[Message] = field(default_factory=list)
    ai_replies: int = 0
    bot_stopped: bool = False
    handed_over: bool = False
    sleeping_until: datetime | None = None
    sleeping_indefinitely: bool = False
    workflows_triggered: list[str] = field(default_factory=list)

    def asleep(self, now: datetime) -> bool:
        return self.sleeping_indefinitely or (self.sleeping_until is not None and now < self.sleeping_until)


@dataclass
class Generation:
    message_id: str
    source: str  # conversation, workflow
    agent_id: str
    mode: str
    prompt: str
    input: str
    response_message: str
    intent: str
    history: list[dict[str, str]] = field(default_factory=list)
    action_logs: list[dict[str, Any]] = field(default_factory=list)
    faqs: list[dict[str, str]] = field(default_factory=list)
    website: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Location:
    id: str
    name: str
    business_name: str
    agents: dict[str, Agent] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    knowledge_bases: dict[str, KnowledgeBase] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    generations: dict[str, Generation] = field(default_factory=dict)

    def agent(self, agent_id: str) -> Agent:
        found = self.agents.get(agent_id)
        if found is None:
            raise errors.NoAgentFound(id=agent_id)
        return found

    def action(self, agent: Agent, action_id: str) -> Action:
        found = self.actions.get(action_id)
        if found is None or action_id not in agent.action_ids:
            raise errors.NoActionFound(id=action_id)
        return found

    def generation(self, message_id: str, source: str) -> Generation:
        found = self.generations.get(message_id)
        if found is None or found.source != source:
            raise errors.NoGenerationFound(id=message_id)
        return found

    def ordered_agents(self) -> list[Agent]:
        return sorted(self.agents.values(), key=lambda a: (a.created_at, a.id))

    def primary(self) -> Agent | None:
        return next((a for a in self.ordered_agents() if a.is_primary), None)

    def make_primary(self, agent: Agent) -> None:
        for other in self.agents.values():
            other.is_primary = other.id == agent.id

    def remove_agent(self, agent: Agent) -> None:
        """The agent and its actions go; another agent becomes primary if it was (convomock design)."""
        for action_id in agent.action_ids:
            self.actions.pop(action_id, None)
        del self.agents[agent.id]
        if agent.is_primary and self.agents:
            self.make_primary(self.ordered_agents()[0])


@dataclass
class HighLevelStore:
    locations: dict[str, Location] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)

    def token(self, value: str) -> Token | None:
        return next((t for t in self.tokens if t.token == value), None)

    def location(self, location_id: str) -> Location:
        return self.locations[location_id]
