"""Action groups (`POST /conversation/actions`): a synchronous preflight, then the actions in order, later.

The preflight refuses the whole group (and runs nothing) on: more than 10 actions or more than 3 that trigger
the AI; an unknown conversation, label, mailbox, AI employee, quick reply, template or file, or a file not
confirmed yet; a template that is not APPROVED; an AI action while the business has no tokens. What depends on
the moment (the 24h window, the balance after earlier actions spent it) is decided when each action runs, and
recorded in the activity log.

This module only decides: which checks a group needs, which state operation each action is, and what to record.
Every change, the activity log included, is a `Business` operation (state.py), the same a direct endpoint calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_server.apis.onetoone import delivery, errors
from mock_server.apis.onetoone.state import AiEmployee, Business, Contact, Conversation, Message
from mock_server.engine.clock import MockClock
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner

__all__ = [
    "AI_ACTIONS",
    "HISTORY",
    "MAX_ACTIONS",
    "MAX_AI_ACTIONS",
    "AiOutput",
    "GroupRun",
    "preflight",
    "reply",
    "submit_group",
    "suggest",
]

MAX_ACTIONS = 10
MAX_AI_ACTIONS = 3
AI_ACTIONS = frozenset({"run_ai", "ai_assistance"})
Action = Mapping[str, Any]


@dataclass
class GroupRun:
    """One accepted group while its jobs run: not a record of the API, only what its jobs share (stop on error)."""

    uuid: str
    business: Business
    conversation: Conversation
    stop_on_error: bool
    author: str
    jobs: JobRunner
    halted: bool = False


def _check_action(business: Business, conversation: Conversation, action: Action) -> None:
    kind = action["type"]
    if kind in ("assign_label", "remove_label"):
        for ref in action["tags"]:
            business.label(ref)
    elif kind == "assign_mailbox":
        business.mailbox(action["mailbox"])
    elif kind in ("run_ai", "ai_assistance", "assign_ai_employee") and action.get("ai_employee") is not None:
        business.ai_employee(action["ai_employee"])
    elif kind == "send_message":
        message = action["message"]
        if message["kind"] == "text":
            business.check_text(conversation, message)
        elif message["kind"] == "quick_reply":
            business.check_quick_reply(message)
        else:
            business.check_template(message)
    elif kind == "send_quick_reply_or_template":
        business.check_quick_reply(action)
        business.check_template(action)


def preflight(business: Business, body: Mapping[str, Any]) -> Conversation:
    """Every synchronous refusal; returns the conversation when the group may run."""
    actions = body["actions"]
    if len(actions) > MAX_ACTIONS:
        raise errors.BatchLimitExceeded(detail=f"this group has {len(actions)}")
    ai_count = sum(action["type"] in AI_ACTIONS for action in actions)
    if ai_count > MAX_AI_ACTIONS:
        raise errors.BatchLimitExceeded(detail=f"this group has {ai_count} that trigger the AI")
    conversation = business.conversation_by(body["conversation"])
    for action in actions:
        _check_action(business, conversation, action)
    if ai_count:
        business.check_ai_tokens()
    return conversation


# -- running -----------------------------------------------------------------------------------------------------


def _employee(run: GroupRun, action: Action) -> AiEmployee:
    """The AI employee the action names, else the conversation's own."""
    if action.get("ai_employee") is not None:
        return run.business.ai_employee(action["ai_employee"])
    employee = run.business.ai_employee_by_uuid(run.conversation.ai_employee_uuid)
    if employee is None:
        raise errors.AiEmployeeNotAssigned()
    return employee


def _run_ai(run: GroupRun, action: Action, rng: SeededRandom, now: datetime) -> dict[str, Any]:
    """run_ai answers the customer (needs the window); ai_assistance leaves a draft. Both spend the balance."""
    business, conversation = run.business, run.conversation
    employee = _employee(run, action)
    business.start_ai_action()
    contact = business.contacts[conversation.contact_uuid]
    if action["type"] == "run_ai":
        conversation.require_open_window(now)
        output = reply(employee, contact, conversation, rng)
    else:
        output = suggest(employee, contact, conversation, rng, action.get("instructions"))
    message = business.add_ai_message(
        conversation,
        rng,
        now,
        employee=employee,
        text=output.text,
        tokens=output.tokens,
        draft=action["type"] != "run_ai",
    )
    return {
        "message_uuid": message.uuid,
        "tokens_spent": message.tokens_spent,
        "ai_employee_uuid": employee.uuid,
        "balance_after": business.ai_token_balance,
    }


def _execute(
    run: GroupRun, action: Action, rng: SeededRandom, now: datetime, rejected: delivery.Rejected
) -> dict[str, Any]:
    """Do one action; raise a OneToOneError to record it as failed. Returns details for the activity log.
    `rejected` records a template Meta rejects after the action succeeded."""
    business, conversation, kind = run.business, run.conversation, action["type"]

    def template(fields: Action) -> str:
        return delivery.send_template(business, conversation, fields, rng, now, run.author, run.jobs, rejected).uuid

    if kind == "send_message":
        message = action["message"]
        if message["kind"] == "text":
            return {"message_uuid": business.send_text(conversation, message, rng, now, run.author).uuid}
        if message["kind"] == "quick_reply":
            sent = business.send_quick_reply(conversation, message, rng, now, run.author)
            return {"message_uuids": [m.uuid for m in sent]}
        return {"message_uuid": template(message)}
    if kind == "send_quick_reply_or_template":
        if conversation.window_open(now):
            sent = business.send_quick_reply(conversation, action, rng, now, run.author)
            return {"mode": "quick_reply", "message_uuids": [m.uuid for m in sent]}
        return {"mode": "template", "message_uuids": [template(action)]}
    if kind == "assign_label":
        return {"tags": business.assign_labels(conversation, action["tags"])}
    if kind == "remove_label":
        return {"tags": business.remove_labels(conversation, action["tags"])}
    if kind == "assign_mailbox":
        return {"mailbox_uuid": business.move_to_mailbox(conversation, action["mailbox"]).uuid}
    if kind == "context_note":
        note = business.add_outbound(
            conversation, rng, now, body=action["note"], author=run.author, event_type="context_note"
        )
        return {"message_uuid": note.uuid}
    if kind in ("mark_resolved", "mark_pending"):
        business.set_inbox_status(conversation, "resolved" if kind == "mark_resolved" else "pending")
        return {"inbox_status": conversation.inbox_status}
    if kind == "assign_ai_employee":
        return {"ai_employee_uuid": business.assign_ai_employee(conversation, action["ai_employee"]).uuid}
    if kind in AI_ACTIONS:
        return _run_ai(run, action, rng, now)
    raise errors.InvalidRequest(f"unknown action type {kind!r}")  # the spec's enum makes this unreachable


def _job(run: GroupRun, index: int, action: Action, rng: SeededRandom, clock: MockClock) -> Callable[[], None]:
    def record(
        now: datetime, status: str, error: errors.OneToOneError | None = None, detail: dict[str, Any] | None = None
    ) -> None:
        run.business.record_activity(
            rng,
            now,
            group_uuid=run.uuid,
            conversation_uuid=run.conversation.uuid,
            index=index,
            kind=action["type"],
            status=status,
            error=error,
            detail=detail,
        )

    def job() -> None:
        now = clock.now()
        run.business.fire_due_schedules(rng, now)
        if run.halted:
            record(now, "skipped")
            return

        def rejected(message: Message, at: datetime) -> None:
            record(at, "failed", errors.SendFailed(), {"message_uuid": message.uuid, "rejected_after_send": True})

        try:
            detail = _execute(run, action, rng, now, rejected)
        except errors.OneToOneError as exc:
            record(now, "failed", exc)
            run.halted = run.stop_on_error
            return
        record(now, "succeeded", detail=detail)

    return job


def submit_group(
    business: Business,
    conversation: Conversation,
    body: Mapping[str, Any],
    rng: SeededRandom,
    clock: MockClock,
    jobs: JobRunner,
    author: str,
) -> GroupRun:
    """Queue each action as its own job on the conversation's queue: in order, after the 202 has gone out."""
    run = GroupRun(
        uuid=rng.uuid4(),
        business=business,
        conversation=conversation,
        stop_on_error=body.get("stop_on_error", True),
        author=author,
        jobs=jobs,
    )
    for index, action in enumerate(body["actions"]):
        jobs.submit(f"1to1ai:{business.slug}:{conversation.uuid}", _job(run, index, action, rng, clock))
    return run


# -- the AI employee --------------------------------------------------------------------------------------------------
# The AI employee as the mock plays it: a deterministic reply built from the thread, with a token cost.
# It is no language model: it picks, with the seeded generator, a reply in the employee's role that answers the
# customer's last words, so a test sees a plausible message appear and the business's balance go down by a cost
# that follows the size of the conversation read and the reply written (about 4 characters a token).

HISTORY = 10  # messages the AI reads

_OPENINGS = {
    "sales": [
        "¡Hola {name}! Gracias por escribirnos.",
        "Hola {name}, con gusto te ayudo.",
        "¡Qué gusto saludarte, {name}!",
    ],
    "support": [
        "Hola {name}, lamento el inconveniente.",
        "Hola {name}, ya estoy revisando tu caso.",
        "Gracias por tu paciencia, {name}.",
    ],
}
_BODIES = {
    "sales": [
        'Sobre "{topic}": te puedo enviar una cotización hoy mismo.',
        'Respecto a "{topic}", tenemos disponibilidad y envío en 48 horas.',
        'Con gusto te comparto precios y opciones para "{topic}".',
    ],
    "support": [
        'Sobre "{topic}": ya levanté un reporte y te aviso en cuanto tenga novedades.',
        'Respecto a "{topic}", ¿me confirmas tu número de pedido?',
        'Para "{topic}", te sugiero reiniciar el equipo y contarme si persiste.',
    ],
}


@dataclass(frozen=True)
class AiOutput:
    text: str
    tokens: int


def _topic(conversation: Conversation) -> str:
    for message in reversed(conversation.messages):
        if message.is_from_customer and message.body:
            words = message.body.split()
            return " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    return "tu consulta"


def _cost(conversation: Conversation, text: str) -> int:
    read = sum(len(m.body or "") for m in conversation.visible()[-HISTORY:])
    return max(1, math.ceil((read + len(text)) / 4))


def reply(employee: AiEmployee, contact: Contact, conversation: Conversation, rng: SeededRandom) -> AiOutput:
    role = employee.role if employee.role in _OPENINGS else "sales"
    name = contact.first_name or contact.profile_name or ""
    text = (
        rng.choice(_OPENINGS[role]).format(name=name).replace(" !", "!").replace(" ,", ",")
        + " "
        + rng.choice(_BODIES[role]).format(topic=_topic(conversation))
    )
    if employee.knowledge:
        text += " " + rng.choice(employee.knowledge)
    return AiOutput(text=text, tokens=_cost(conversation, text))


def suggest(
    employee: AiEmployee, contact: Contact, conversation: Conversation, rng: SeededRandom, instructions: str | None
) -> AiOutput:
    """A draft for a human to send: the same voice, marked as a suggestion, following any instructions."""
    draft = reply(employee, contact, conversation, rng)
    text = draft.text if not instructions else f"{draft.text} ({instructions})"
    return AiOutput(text=text, tokens=_cost(conversation, text))
