"""Action groups (`POST /conversation/actions`): a synchronous preflight, then the actions in order, later.

The preflight refuses the whole group (and runs nothing) on: more than 10 actions or more than 3 that trigger
the AI; an unknown conversation, label, mailbox, AI employee, quick reply, template or file; a template that is
not APPROVED; an AI action while the business has no tokens. What depends on the moment (the 24h window, the
balance after earlier actions spent it) is decided when each action runs, and recorded in the activity log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.apis.onetoone import ai, errors, messaging
from mock_server.apis.onetoone.state import ActivityEntry, AiEmployee, Business, Conversation
from mock_server.engine.clock import MockClock
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner

__all__ = ["AI_ACTIONS", "MAX_ACTIONS", "MAX_AI_ACTIONS", "preflight", "submit_group"]

MAX_ACTIONS = 10
MAX_AI_ACTIONS = 3
AI_ACTIONS = frozenset({"run_ai", "ai_assistance"})
Action = Mapping[str, Any]


@dataclass
class GroupRun:
    uuid: str
    business: Business
    conversation: Conversation
    stop_on_error: bool
    author: str
    halted: bool = False
    results: list[ActivityEntry] = field(default_factory=list)


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
            messaging.check_text(business, conversation, message)
        elif message["kind"] == "quick_reply":
            messaging.check_quick_reply(business, message)
        else:
            messaging.check_template(business, message)
    elif kind == "send_quick_reply_or_template":
        messaging.check_quick_reply(business, action)
        messaging.check_template(business, action)


def preflight(business: Business, body: Mapping[str, Any]) -> Conversation:
    """Every synchronous refusal; returns the conversation when the group may run."""
    actions = body["actions"]
    if len(actions) > MAX_ACTIONS:
        raise errors.BatchLimitExceeded(detail=f"this group has {len(actions)}")
    ai_count = sum(action["type"] in AI_ACTIONS for action in actions)
    if ai_count > MAX_AI_ACTIONS:
        raise errors.BatchLimitExceeded(detail=f"this group has {ai_count} that trigger the AI")
    conversation = messaging.resolve(business, body["conversation"])
    for action in actions:
        _check_action(business, conversation, action)
    if ai_count and business.ai_token_balance <= 0:
        raise errors.InsufficientAiTokens()
    return conversation


# -- running -----------------------------------------------------------------------------------------------------


def _employee(run: GroupRun, action: Action) -> AiEmployee:
    if action.get("ai_employee") is not None:
        return run.business.ai_employee(action["ai_employee"])
    employee = run.business.ai_employee_by_uuid(run.conversation.ai_employee_uuid)
    if employee is None:
        raise errors.AiEmployeeNotAssigned()
    return employee


def _spend(business: Business, tokens: int) -> int:
    spent = min(tokens, business.ai_token_balance)
    business.ai_token_balance -= spent
    return spent


def _execute(run: GroupRun, action: Action, rng: SeededRandom, now: datetime) -> dict[str, Any]:
    """Do one action; raise a OneToOneError to record it as failed. Returns details for the activity log."""
    business, conversation, kind = run.business, run.conversation, action["type"]
    if kind == "send_message":
        message = action["message"]
        if message["kind"] == "text":
            return {"message_uuid": messaging.send_text(business, conversation, message, rng, now, run.author).uuid}
        if message["kind"] == "quick_reply":
            sent = messaging.send_quick_reply(business, conversation, message, rng, now, run.author)
            return {"message_uuids": [m.uuid for m in sent]}
        return {"message_uuid": messaging.send_template(business, conversation, message, rng, now, run.author).uuid}
    if kind == "send_quick_reply_or_template":
        if conversation.window_open(now):
            sent = messaging.send_quick_reply(business, conversation, action, rng, now, run.author)
            return {"mode": "quick_reply", "message_uuids": [m.uuid for m in sent]}
        message = messaging.send_template(business, conversation, action, rng, now, run.author)
        return {"mode": "template", "message_uuids": [message.uuid]}
    if kind == "assign_label":
        for ref in action["tags"]:
            label = business.label(ref)
            if label.uuid not in conversation.label_uuids:
                conversation.label_uuids.append(label.uuid)
        return {"tags": list(conversation.label_uuids)}
    if kind == "remove_label":
        for ref in action["tags"]:
            label = business.label(ref)
            if label.uuid in conversation.label_uuids:
                conversation.label_uuids.remove(label.uuid)
        return {"tags": list(conversation.label_uuids)}
    if kind == "assign_mailbox":
        conversation.mailbox_uuid = business.mailbox(action["mailbox"]).uuid
        return {"mailbox_uuid": conversation.mailbox_uuid}
    if kind == "context_note":
        note = business.add_outbound(
            conversation, rng, now, body=action["note"], author=run.author, event_type="context_note"
        )
        return {"message_uuid": note.uuid}
    if kind in ("mark_resolved", "mark_pending"):
        conversation.inbox_status = "resolved" if kind == "mark_resolved" else "pending"
        return {"inbox_status": conversation.inbox_status}
    if kind == "assign_ai_employee":
        conversation.ai_employee_uuid = business.ai_employee(action["ai_employee"]).uuid
        return {"ai_employee_uuid": conversation.ai_employee_uuid}
    if kind in AI_ACTIONS:
        employee = _employee(run, action)
        if business.ai_token_balance <= 0:
            raise errors.InsufficientAiTokens()
        contact = business.contacts[conversation.contact_uuid]
        if kind == "run_ai":
            if not conversation.window_open(now):
                raise errors.WindowClosed()
            output = ai.reply(employee, contact, conversation, rng)
            spent = _spend(business, output.tokens)
            message = business.add_outbound(
                conversation, rng, now, body=output.text, author=employee.name, tokens_spent=spent
            )
        else:
            output = ai.suggest(employee, contact, conversation, rng, action.get("instructions"))
            spent = _spend(business, output.tokens)
            message = business.add_outbound(
                conversation,
                rng,
                now,
                body=output.text,
                author=employee.name,
                event_type="ai_draft",
                tokens_spent=spent,
            )
        return {
            "message_uuid": message.uuid,
            "tokens_spent": spent,
            "ai_employee_uuid": employee.uuid,
            "balance_after": business.ai_token_balance,
        }
    raise errors.InvalidRequest(f"unknown action type {kind!r}")  # the spec's enum makes this unreachable


ACTIVITY_KEPT = 10_000  # entries per business in the activity log (/__mock/1to1ai/activity): the newest are kept


def _record(
    run: GroupRun,
    rng: SeededRandom,
    now: datetime,
    index: int,
    kind: str,
    status: str,
    error: errors.OneToOneError | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    entry = ActivityEntry(
        uuid=rng.uuid4(),
        at=now,
        group_uuid=run.uuid,
        conversation_uuid=run.conversation.uuid,
        index=index,
        type=kind,
        status=status,
        code=error.code if error else None,
        message=error.message if error else None,
        detail=detail or {},
    )
    log = run.business.activity
    log.append(entry)
    if len(log) > ACTIVITY_KEPT + ACTIVITY_KEPT // 4:  # trimmed in batches, so appending stays O(1) on average
        del log[: len(log) - ACTIVITY_KEPT]
    run.results.append(entry)


def _job(run: GroupRun, index: int, action: Action, rng: SeededRandom, clock: MockClock) -> Callable[[], None]:
    def job() -> None:
        now = clock.now()
        run.business.fire_due_schedules(rng, now)
        if run.halted:
            _record(run, rng, now, index, action["type"], "skipped")
            return
        try:
            detail = _execute(run, action, rng, now)
        except errors.OneToOneError as exc:
            _record(run, rng, now, index, action["type"], "failed", exc)
            run.halted = run.stop_on_error
            return
        _record(run, rng, now, index, action["type"], "succeeded", detail=detail)

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
    )
    for index, action in enumerate(body["actions"]):
        jobs.submit(f"1to1ai:{business.slug}:{conversation.uuid}", _job(run, index, action, rng, clock))
    return run
