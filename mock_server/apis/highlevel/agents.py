"""AI employees at work: what an agent does when a customer writes, and the generation record behind each reply.

The responsible agent is the conversation's assigned one, else the location's primary agent, and only on its
channels. `auto-pilot` replies after its wait time (a delayed job on the mock clock), `suggestive` leaves a draft,
`off` does nothing. Before replying, the agent's actions fire on their trigger words: `stopBot` stops it,
`humanHandOver` hands over, `updateContactField` writes the contact, `triggerWorkflow` starts workflows,
`appointmentBooking` sends a booking link, `transferBot` passes the thread to another agent. After
`autoPilotMaxMessages` replies it hands over. Where the `agent_handover` scenario effect covers the thread, the agent
hands over instead of replying, whatever the customer wrote. A manual (or workflow) outbound message puts it to sleep
when the agent asks for that. Replies are deterministic text from the agent's goal, instructions and knowledge bases.

This module decides; the records change through their state operations (`state.py`), so that every write a
record can undergo is found there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mock_server.apis.highlevel.state import (
    Action,
    Agent,
    Contact,
    Conversation,
    Generation,
    Location,
    Message,
    Task,
    new_id,
)
from mock_server.engine.clock import MockClock
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner

__all__ = ["HANDOVER_MESSAGE", "HANDOVER_TAG", "delay", "receive", "responsible_agent", "seeded_reply", "send_manual"]

_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_BOOKING_WORDS = ("appointment", "book", "schedule", "cita", "agendar")
_HISTORY = 10
# The documented defaults of a human handover (help.gohighlevel.com, "Conversation AI - Human Handover Action"): the
# closing message, the tag and a task due in 24 hours.
HANDOVER_MESSAGE = "Thank you! Someone from the team will get back to you."
HANDOVER_TAG = "human_handover"
_TASK_DUE = timedelta(hours=24)


_LONGEST = timedelta(days=36_500)


def delay(amount: float | None, unit: str | None) -> timedelta | None:
    """A wait or sleep setting as a duration. The vendor publishes no lower bound and, inside action details, no
    upper one: a negative amount waits nothing and one past a century waits a century (convomock design), so the
    instant it gives is always a date."""
    if amount is None or unit is None:
        return None
    seconds = float(amount) * _UNITS.get(unit, 1)  # JSON carries no NaN; a huge amount may give infinity
    if seconds <= 0:
        return timedelta(0)
    return _LONGEST if seconds > _LONGEST.total_seconds() else timedelta(seconds=seconds)


def responsible_agent(location: Location, conversation: Conversation) -> Agent | None:
    if conversation.agent_id and conversation.agent_id in location.agents:
        return location.agents[conversation.agent_id]
    return location.primary()


def _mentions(text: str, phrases: list[str]) -> bool:
    folded = text.casefold()
    return any(phrase and phrase.casefold() in folded for phrase in phrases)


# -- actions firing on trigger words -----------------------------------------------------------------------------


def _fire(
    location: Location,
    agent: Agent,
    conversation: Conversation,
    contact: Contact,
    text: str,
    rng: SeededRandom,
    now: datetime,
) -> tuple[list[dict[str, Any]], str | None]:
    """Run the agent's actions the customer's words trigger; returns the action logs and a final message if the
    agent is to stop talking."""
    logs: list[dict[str, Any]] = []
    final: str | None = None
    for action_id in agent.action_ids:
        action = location.actions.get(action_id)
        if action is None:
            continue
        d = action.details
        if action.type == "stopBot" and d.get("enabled") and _mentions(text, list(d.get("stopBotExamples", []))):
            _pause(conversation, d, now, handover=False)
            logs.append({"stopBotAction": [{"actionId": action.id, "finalMessage": d.get("finalMessage")}]})
            final = d.get("finalMessage") or final
        elif (
            action.type == "humanHandOver"
            and d.get("enabled")
            and _mentions(text, list(d.get("examples") or []) + [d.get("triggerCondition", "")])
        ):
            logs.append(_hand_over(agent, conversation, contact, action, rng, now))
            final = d.get("finalMessage") or final
        elif action.type == "updateContactField":
            value = _field_value(d, text)
            if value is not None:
                field_id = d["contactFieldId"]
                contact.update_field(field_id, value)
                logs.append({"contactUpdateAction": [{"fieldId": field_id, "value": value}]})
        elif action.type == "triggerWorkflow" and _mentions(text, [d.get("triggerCondition", "")]):
            conversation.trigger_workflows(d.get("workflowIds", []))
            logs.append({"triggerWorkflowAction": [{"actionId": action.id, "workflowIds": d.get("workflowIds", [])}]})
        elif action.type == "appointmentBooking" and _mentions(text, list(_BOOKING_WORDS)):
            logs.append(
                {
                    "appointmentBookingAction": [
                        {
                            "actionId": action.id,
                            "calendarId": d.get("calendarId"),
                            "onlySendLink": d.get("onlySendLink", False),
                        }
                    ]
                }
            )
        elif (
            action.type == "transferBot"
            and d.get("enabled")
            and d.get("transferToBot") in location.agents
            and (d.get("transferBotType") == "Default" or _mentions(text, list(d.get("transferBotExamples") or [])))
        ):
            conversation.assign(d["transferToBot"])
            logs.append({"transferBotAction": [{"actionId": action.id, "transferToBot": d["transferToBot"]}]})
    return logs, final


def _pause(conversation: Conversation, details: dict[str, Any], now: datetime, handover: bool) -> None:
    """A stopBot or humanHandOver action fired: the agent sleeps for a while when the action reactivates it,
    else it is out of the thread for good (stopped, or handed over to a human)."""
    if details.get("reactivateEnabled"):
        wait = delay(details.get("sleepTime"), details.get("sleepTimeUnit"))
        conversation.sleep(now + (wait or timedelta(0)))
    elif handover:
        conversation.hand_over()
    else:
        conversation.stop_bot()


def _hand_over(
    agent: Agent, conversation: Conversation, contact: Contact, action: Action | None, rng: SeededRandom, now: datetime
) -> dict[str, Any]:
    """Hand the thread to a human as the vendor's docs describe it: assign it to the action's user (unless it skips
    that; else the assignment stays), tag the contact (the action's tags, else `human_handover`), create a task due
    in 24 hours when the action asks, and pause the agent. Returns the action log. Without an action (the
    `agent_handover` effect on an agent that has none enabled) the docs' defaults apply and no task is made; the
    task's title and body are convomock design."""
    details = action.details if action is not None else {}
    _pause(conversation, details, now, handover=True)
    user = details.get("assignToUserId")
    if user and not details.get("skipAssignToUser"):
        conversation.assign_user(user)
    contact.add_tags(details.get("tags") or [HANDOVER_TAG])
    if details.get("createTask"):
        contact.add_task(
            Task(
                id=new_id(rng),
                title=f"Conversation handed over by {agent.name}",
                body=f"{agent.name} handed the conversation on {conversation.channel} over to the team.",
                due_date=now + _TASK_DUE,
                assigned_to=conversation.assigned_to,
            )
        )
    return {
        "humanHandOverAction": [
            {
                "actionId": action.id if action is not None else None,
                "assignToUserId": user,
                "handoverType": details.get("handoverType", "custom"),
            }
        ]
    }


def _hand_over_instead(
    location: Location,
    agent: Agent,
    conversation: Conversation,
    contact: Contact,
    text: str,
    rng: SeededRandom,
    now: datetime,
) -> str:
    """The `agent_handover` effect: the agent answers the customer with its handover's final message (its first
    enabled humanHandOver action's, else the docs' default) and hands over; returns that message."""
    action = next(
        (
            location.actions[a]
            for a in agent.action_ids
            if a in location.actions
            and location.actions[a].type == "humanHandOver"
            and location.actions[a].details.get("enabled")
        ),
        None,
    )
    log = _hand_over(agent, conversation, contact, action, rng, now)
    final = str((action.details.get("finalMessage") if action is not None else None) or HANDOVER_MESSAGE)
    _speak(location, agent, conversation, contact, text, [log], rng, now, draft=False, fixed=final)
    return final


def _field_value(details: dict[str, Any], text: str) -> str | None:
    field_id = details.get("contactFieldId", "")
    if field_id == "email" or "email" in details.get("description", "").lower():
        found = _EMAIL.search(text)
        return found.group(0) if found else None
    if field_id == "phone" or "phone" in details.get("description", "").lower():
        found = _PHONE.search(text)
        return re.sub(r"[^\d+]", "", found.group(0)) if found else None
    if _mentions(text, list(details.get("contactUpdateExamples") or [])):
        return text.split(":", 1)[-1].strip()
    return None


# -- replies and their generation records ------------------------------------------------------------------------


def _prompt(location: Location, agent: Agent, conversation: Conversation) -> str:
    actions = (
        ", ".join(
            f"{location.actions[a].type} ({location.actions[a].name})"
            for a in agent.action_ids
            if a in location.actions
        )
        or "none"
    )
    return (
        f"You are {agent.name}, an AI employee of {agent.business_name or location.business_name}.\n"
        f"Personality: {agent.personality}\nGoal: {agent.goal}\nInstructions: {agent.instructions}\n"
        f"Channel: {conversation.channel}. Mode: {agent.mode}. Actions available: {actions}."
    )


def _chunks(location: Location, agent: Agent, text: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    words = {w for w in re.findall(r"\w{4,}", text.casefold())}

    def score(content: str) -> int:
        return len(words & set(re.findall(r"\w{4,}", content.casefold())))

    faqs, pages = [], []
    for kb_id in agent.knowledge_base_ids:
        kb = location.knowledge_bases.get(kb_id)
        if kb is None:
            continue
        faqs += [f for f in kb.faqs if score(f.title + " " + f.content) > 0]
        pages += [w for w in kb.website if score(w.content) > 0]
    faqs.sort(key=lambda f: -score(f.title + " " + f.content))
    pages.sort(key=lambda w: -score(w.content))
    return (
        [{"id": f.id, "content": f.content, "title": f.title} for f in faqs[:2]],
        [{"id": w.id, "content": w.content, "url": w.url} for w in pages[:2]],
    )


def _intent(text: str) -> str:
    folded = text.casefold()
    if _mentions(folded, list(_BOOKING_WORDS)):
        return "book_appointment"
    if "?" in text:
        return "question"
    if re.search(r"\b(hi|hello|hola|hey)\b", folded):
        return "greeting"
    return "statement"


def _reply_text(
    location: Location,
    agent: Agent,
    contact: Contact,
    text: str,
    faqs: list[dict[str, str]],
    logs: list[dict[str, Any]],
    rng: SeededRandom,
) -> str:
    first = contact.name.split()[0] if contact.name else "there"
    opening = rng.choice([f"Hi {first}!", f"Hello {first},", f"Thanks for reaching out, {first}."])
    parts = [opening]
    if faqs:
        parts.append(faqs[0]["content"])
    if any("appointmentBookingAction" in log for log in logs):
        parts.append(
            "You can pick a time that suits you here: https://link.example/book/"
            + next(
                log["appointmentBookingAction"][0]["calendarId"] for log in logs if "appointmentBookingAction" in log
            )
        )
    parts.append(
        rng.choice(
            [
                f"My goal is simple: {agent.goal.rstrip('.')}.",
                "Would you like me to book a visit for you?",
                "Is there anything else I can help you with?",
            ]
        )
    )
    return " ".join(parts)


def _speak(
    location: Location,
    agent: Agent,
    conversation: Conversation,
    contact: Contact,
    text: str,
    logs: list[dict[str, Any]],
    rng: SeededRandom,
    now: datetime,
    draft: bool,
    fixed: str | None = None,
    fixed_id: str | None = None,
) -> Message:
    history = [
        {"role": "user" if m.direction == "inbound" else "assistant", "content": m.body}
        for m in conversation.messages
        if not m.draft
    ][-_HISTORY:]
    faqs, pages = _chunks(location, agent, text)
    reply = fixed or _reply_text(location, agent, contact, text, faqs, logs, rng)
    message = conversation.add_message(rng, now, "outbound", "ai", reply, agent.id, draft=draft, fixed_id=fixed_id)
    location.record_generation(
        Generation(
            message_id=message.id,
            source="conversation",
            agent_id=agent.id,
            mode=agent.mode,
            prompt=_prompt(location, agent, conversation),
            input=text,
            response_message=reply,
            intent=_intent(text),
            history=history,
            action_logs=logs,
            faqs=faqs,
            website=pages,
        )
    )
    return message


def _reply_job(
    location: Location,
    conversation: Conversation,
    agent_id: str,
    text: str,
    logs: list[dict[str, Any]],
    rng: SeededRandom,
    clock: MockClock,
) -> Callable[[], None]:
    def job() -> None:
        now = clock.now()
        agent = location.agents.get(agent_id)
        # Re-checked when the wait is over: the agent may be gone, off, asleep, or a human took over.
        if (
            agent is None
            or agent.mode == "off"
            or conversation.bot_stopped
            or conversation.handed_over
            or conversation.asleep(now)
            or conversation.id not in location.conversations
        ):
            return
        contact = location.contacts[conversation.contact_id]
        if location.hands_over(conversation):  # the effect came on while the agent waited
            _hand_over_instead(location, agent, conversation, contact, text, rng, now)
            return
        draft = agent.mode == "suggestive"
        _speak(location, agent, conversation, contact, text, logs, rng, now, draft)
        if not draft and conversation.count_ai_reply() >= agent.auto_pilot_max_messages:
            conversation.hand_over()  # the limit reached: a human takes it from here

    return job


def receive(
    location: Location, conversation: Conversation, text: str, rng: SeededRandom, clock: MockClock, jobs: JobRunner
) -> tuple[Message, str]:
    """A customer message arrives; returns it and what the agent will do (for the control API's answer)."""
    now = clock.now()
    message = conversation.add_message(rng, now, "inbound", "customer", text)
    agent = responsible_agent(location, conversation)
    if agent is None:
        return message, "no agent: the location has no primary agent and none is assigned"
    if conversation.channel not in agent.channels:
        return message, f"agent {agent.id} does not work on {conversation.channel}"
    if agent.mode == "off":
        return message, f"agent {agent.id} is off"
    if conversation.bot_stopped or conversation.handed_over:
        return message, "the bot was stopped or handed over in this conversation"
    if conversation.asleep(now):
        return message, f"agent {agent.id} is asleep"
    contact = location.contacts[conversation.contact_id]
    if location.hands_over(conversation):
        said = _hand_over_instead(location, agent, conversation, contact, text, rng, now)
        return message, f"agent {agent.id} handed the conversation over: {said}"
    logs, final = _fire(location, agent, conversation, contact, text, rng, now)
    transferred = responsible_agent(location, conversation)
    if final is not None:
        _speak(location, agent, conversation, contact, text, logs, rng, now, draft=False, fixed=final)
        return message, f"agent {agent.id} stopped: {final}"
    acting = transferred or agent
    due = now + (delay(acting.wait_time, acting.wait_time_unit) or timedelta(0))
    jobs.submit(
        f"highlevel:{location.id}:{conversation.id}",
        _reply_job(location, conversation, acting.id, text, logs, rng, clock),
        due,
    )
    what = "draft" if acting.mode == "suggestive" else "reply"
    return message, f"agent {acting.id} will {what} at {due.isoformat()}"


def send_manual(
    location: Location, conversation: Conversation, text: str, source: str, rng: SeededRandom, now: datetime
) -> Message:
    """A human (or a workflow) writes to the customer; the agent sleeps if it is set to."""
    message = conversation.add_message(rng, now, "outbound", source, text)
    agent = responsible_agent(location, conversation)
    if agent is not None and (
        (source == "manual" and agent.sleep_on_manual_message)
        or (source == "workflow" and agent.sleep_on_workflow_message)
    ):
        wait = delay(agent.sleep_time, agent.sleep_time_unit)
        conversation.sleep(None if wait is None else now + wait)  # no sleep time: until further notice
    return message


def seeded_reply(
    location: Location, conversation: Conversation, agent: Agent, rng: SeededRandom, now: datetime, fixed_id: str
) -> Message:
    """A reply the agent gave before the mock started (the seed's `msg_1`), with its generation record."""
    text = next(m.body for m in reversed(conversation.messages) if m.direction == "inbound")
    contact = location.contacts[conversation.contact_id]
    message = _speak(location, agent, conversation, contact, text, [], rng, now, draft=False, fixed_id=fixed_id)
    conversation.count_ai_reply()
    return message
