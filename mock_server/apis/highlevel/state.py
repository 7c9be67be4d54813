"""HighLevel state: locations (the tenants) with their agents, actions, knowledge bases, contacts, threads and
the generation record behind every AI reply.

Every change a record can undergo is a method here (moto's backend): handlers, the control routes, the agents at
work (`agents.py`) and the seed decide what happens, and state is where it happens, so a reader finds every write
in one file. Every "not found" is raised by one lookup per kind. No HTTP and no JSON shapes (`wire.py` has those);
time is passed in from the mock clock and ids come from the seeded generator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.apis.highlevel import errors
from mock_server.engine.ids import SeededRandom

__all__ = [
    "CONVERSATION_TYPES",
    "Action",
    "Agent",
    "Contact",
    "Conversation",
    "Faq",
    "Generation",
    "HandoverRule",
    "HighLevelStore",
    "KnowledgeBase",
    "Location",
    "Message",
    "Task",
    "Token",
    "WebChunk",
    "conversation_type",
    "new_id",
]

# A thread's HighLevel `type`, fixed when it opens, from the channel the customer first wrote on: the vendor's enum
# is TYPE_PHONE, TYPE_EMAIL, TYPE_FB_MESSENGER, TYPE_REVIEW, TYPE_GROUP_SMS. WhatsApp, web chat and live chat go
# in the phone thread (one thread per contact) and Instagram in the Messenger one: convomock design.
CONVERSATION_TYPES = ("TYPE_PHONE", "TYPE_EMAIL", "TYPE_FB_MESSENGER", "TYPE_REVIEW", "TYPE_GROUP_SMS")
_TYPES = {"Email": "TYPE_EMAIL", "FB": "TYPE_FB_MESSENGER", "IG": "TYPE_FB_MESSENGER"}


def conversation_type(channel: str) -> str:
    return _TYPES.get(channel, "TYPE_PHONE")


def new_id(rng: SeededRandom) -> str:
    """HighLevel-style ids: 20 letters and digits (agents, actions, conversations, messages)."""
    return rng.token(20)


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

    def apply(self, settings: Mapping[str, Any]) -> None:
        """Set the given settings (attribute -> value; lists copied, the caller keeps its own); an agent that does
        not sleep keeps no sleep time."""
        for attribute, value in settings.items():
            setattr(self, attribute, list(value) if isinstance(value, list) else value)
        if not self.sleep_enabled:
            self.sleep_time = self.sleep_time_unit = None


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
class Task:
    """A contact's task (HighLevel's `title`, `body`, `assignedTo`, `dueDate`, `completed`): a human handover makes
    one when its action asks for it."""

    id: str
    title: str
    body: str
    due_date: datetime
    assigned_to: str | None = None
    completed: bool = False


@dataclass
class Contact:
    id: str
    name: str
    phone: str | None = None
    email: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)

    def add_tags(self, tags: Iterable[str]) -> None:
        """Tags the contact lacks, in order (a tag is kept once)."""
        self.tags.extend(tag for tag in dict.fromkeys(tags) if tag not in self.tags)

    def add_task(self, task: Task) -> None:
        self.tasks.append(task)

    def update_field(self, field_id: str, value: str) -> None:
        """A custom field; `email` and `phone` are the contact's own fields too."""
        self.fields[field_id] = value
        if field_id == "email":
            self.email = value
        elif field_id == "phone":
            self.phone = value


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
    type: str = "TYPE_PHONE"  # HighLevel's conversation type, from the channel it opened on (`conversation_type`)
    agent_id: str | None = None  # the agent assigned (else the location's primary one)
    assigned_to: str | None = None  # the user (a human) the thread is assigned to: a handover's `assignToUserId`
    messages: list[Message] = field(default_factory=list)
    ai_replies: int = 0
    bot_stopped: bool = False
    handed_over: bool = False
    sleeping_until: datetime | None = None
    sleeping_indefinitely: bool = False
    workflows_triggered: list[str] = field(default_factory=list)

    def asleep(self, now: datetime) -> bool:
        return self.sleeping_indefinitely or (self.sleeping_until is not None and now < self.sleeping_until)

    def add_message(
        self,
        rng: SeededRandom,
        now: datetime,
        direction: str,
        source: str,
        body: str,
        agent_id: str | None = None,
        draft: bool = False,
        fixed_id: str | None = None,
    ) -> Message:
        """A message on the thread's current channel; `fixed_id` for the seed's named ones (no id drawn)."""
        message = Message(
            id=fixed_id or new_id(rng),
            conversation_id=self.id,
            direction=direction,
            source=source,
            body=body,
            channel=self.channel,
            created_at=now,
            agent_id=agent_id,
            draft=draft,
        )
        self.messages.append(message)
        return message

    def switch_channel(self, channel: str) -> None:
        """The customer wrote from another channel: the thread follows them there."""
        self.channel = channel

    def assign(self, agent_id: str) -> None:
        """Another agent takes the thread (a transferBot action)."""
        self.agent_id = agent_id

    def count_ai_reply(self) -> int:
        """One more reply the AI sent (drafts do not count); returns how many it has sent here."""
        self.ai_replies += 1
        return self.ai_replies

    def sleep(self, until: datetime | None) -> None:
        """The agent stays quiet until `until`, or until further notice when None."""
        if until is None:
            self.sleeping_indefinitely = True
        else:
            self.sleeping_until = until

    def stop_bot(self) -> None:
        self.bot_stopped = True

    def hand_over(self) -> None:
        """A human takes the thread; the agent stays out of it."""
        self.handed_over = True

    def assign_user(self, user_id: str) -> None:
        self.assigned_to = user_id

    def trigger_workflows(self, workflow_ids: Iterable[str]) -> None:
        self.workflows_triggered.extend(workflow_ids)


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
class HandoverRule:
    """The `agent_handover` scenario effect in one location: its agents hand over instead of replying, in every
    thread (both fields None), in one thread, or in one contact's."""

    conversation_id: str | None = None
    contact_id: str | None = None
    key: str = ""  # the switching-on that added it (Target.key)

    def covers(self, conversation: Conversation) -> bool:
        return self.conversation_id in (None, conversation.id) and self.contact_id in (None, conversation.contact_id)


@dataclass
class Location:
    id: str
    name: str
    business_name: str
    key: str | None = None  # the fixtures' name for it (acme), which the control routes take as well as the id
    agents: dict[str, Agent] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    knowledge_bases: dict[str, KnowledgeBase] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    generations: dict[str, Generation] = field(default_factory=dict)
    handover_rules: list[HandoverRule] = field(default_factory=list)

    # -- lookups -------------------------------------------------------------------------------------------------

    def agent(self, agent_id: str) -> Agent:
        found = self.agents.get(agent_id)
        if found is None:
            raise errors.NoAgentFound(id=agent_id)
        return found

    def action(self, agent: Agent, action_id: str, of_type: str | None = None) -> Action:
        """One of the agent's actions (of that type, when given: only advancedFollowup actions take settings)."""
        found = self.actions.get(action_id)
        if found is None or action_id not in agent.action_ids or (of_type is not None and found.type != of_type):
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

    def search_agents(self, query: str | None, start_after: str | None) -> list[Agent]:
        """The agents after the cursor whose name matches, by id (a cursor by id, as the docs describe it)."""
        agents = sorted(self.agents.values(), key=lambda a: a.id)
        if query:
            # The server matches a lower-cased copy of the name: a query with capitals finds nothing (the docs say so).
            agents = [a for a in agents if query in a.name_lower]
        if start_after:  # a position: it works even when that agent has since been deleted
            agents = [a for a in agents if a.id > start_after]
        return agents

    # -- agents --------------------------------------------------------------------------------------------------

    def create_agent(self, rng: SeededRandom, now: datetime, settings: Mapping[str, Any]) -> Agent:
        """A new agent with the given settings; the first agent of a location is primary."""
        agent = Agent(
            id=new_id(rng),
            location_id=self.id,
            name="",
            personality="",
            goal="",
            instructions="",
            created_at=now,
            updated_at=now,
            business_name=self.business_name,
        )
        agent.apply(settings)
        self.agents[agent.id] = agent
        if agent.is_primary or self.primary() is None:
            self.make_primary(agent)
        return agent

    def update_agent(self, agent: Agent, settings: Mapping[str, Any], now: datetime) -> None:
        """Only the given settings change. Made primary, the agent takes over; unmade, the location never stays
        without a primary agent (its oldest one becomes it)."""
        agent.apply(settings)
        agent.updated_at = now
        if settings.get("is_primary") is True:
            self.make_primary(agent)
        elif settings.get("is_primary") is False and self.primary() is None and self.agents:
            self.make_primary(self.ordered_agents()[0])

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

    # -- actions -------------------------------------------------------------------------------------------------

    def add_action(
        self, agent: Agent, rng: SeededRandom, now: datetime, name: str, type: str, details: Mapping[str, Any]
    ) -> Action:
        action = Action(id=new_id(rng), agent_id=agent.id, name=name, type=type, details=dict(details))
        self.actions[action.id] = action
        agent.action_ids.append(action.id)
        agent.updated_at = now
        return action

    def update_action(self, action: Action, name: str, type: str, details: Mapping[str, Any]) -> None:
        """A full replacement (PUT); the agent's `updatedAt` does not move."""
        action.name, action.type, action.details = name, type, dict(details)

    def remove_action(self, action: Action) -> None:
        """The action goes, "removed from all associated agents" (the docs)."""
        for agent in self.agents.values():
            if action.id in agent.action_ids:
                agent.action_ids.remove(action.id)
        del self.actions[action.id]

    def set_followup_settings(self, actions: Iterable[Action], settings: Mapping[str, Any]) -> None:
        """The same settings on each advancedFollowup action (each keeps its own copy)."""
        for action in actions:
            action.details = {**action.details, "followupSettings": dict(settings)}

    # -- contacts, threads and generations -------------------------------------------------------------------------

    def contact_by(self, phone: str | None, email: str | None) -> Contact | None:
        """The contact with this phone (the same digits) or email (any case), if there is one."""
        digits = "".join(ch for ch in phone if ch.isdigit()) if phone else None
        for contact in self.contacts.values():
            if digits and contact.phone and "".join(ch for ch in contact.phone if ch.isdigit()) == digits:
                return contact
            if email and contact.email and contact.email.casefold() == email.casefold():
                return contact
        return None

    def add_contact(self, rng: SeededRandom, name: str, phone: str | None, email: str | None) -> Contact:
        """A new contact, as HighLevel makes one for a customer who writes in first: a 20-character id."""
        contact = Contact(id=new_id(rng), name=name, phone=phone, email=email)
        self.contacts[contact.id] = contact
        return contact

    def hands_over(self, conversation: Conversation) -> bool:
        """The `agent_handover` effect covers this thread: its agent hands over instead of replying."""
        return any(rule.covers(conversation) for rule in self.handover_rules)

    def add_handover_rule(self, rule: HandoverRule) -> None:
        self.handover_rules.append(rule)

    def remove_handover_rule(self, rule: HandoverRule) -> None:
        """That very rule (another one alike, from another scenario, stays)."""
        self.handover_rules[:] = [each for each in self.handover_rules if each is not rule]

    def thread_of(self, contact_id: str) -> Conversation | None:
        return next((c for c in self.conversations.values() if c.contact_id == contact_id), None)

    def conversation_with(self, contact_id: str, channel: str | None, rng: SeededRandom) -> Conversation:
        """The contact's thread (one per contact), opened on `channel` (SMS unless given) when there is none yet;
        an existing one moves to `channel` when given."""
        conversation = self.thread_of(contact_id)
        if conversation is None:
            opened_on = channel or "SMS"
            conversation = Conversation(
                id=new_id(rng), contact_id=contact_id, channel=opened_on, type=conversation_type(opened_on)
            )
            self.conversations[conversation.id] = conversation
        elif channel is not None:
            conversation.switch_channel(channel)
        return conversation

    def record_generation(self, generation: Generation) -> None:
        """What went into an AI reply, found by the reply's message id."""
        self.generations[generation.message_id] = generation


@dataclass
class HighLevelStore:
    locations: dict[str, Location] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)

    def token(self, value: str) -> Token | None:
        return next((t for t in self.tokens if t.token == value), None)

    def location(self, location_id: str) -> Location:
        return self.locations[location_id]
