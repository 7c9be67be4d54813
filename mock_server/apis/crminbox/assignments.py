"""The AI setter's work queue (Iron's setter page, `/api/v1/setter/...`): assignments, the rules of their states,
and the handlers of the queue's ten endpoints.

An assignment is one lead a member works: it comes in when a customer writes in a thread of an org whose setter is
not `off` (one open assignment per thread: a later message updates the open one), is claimed by a member, released
or closed with a disposition; a `follow_up` disposition queues the next one. The page lists the endpoints only:
every state, field, outcome, order and refusal here is convomock design (specs/crm-inbox.yaml, the `Setter` tag).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mock_server.apis.crminbox import errors, wire
from mock_server.apis.crminbox.calls import acting_org, manages
from mock_server.apis.crminbox.state import ANSWERABLE, Activity, Assignment, Conversation, CrmStore, Disposition, Org
from mock_server.engine.clock import parse_instant
from mock_server.engine.ids import SeededRandom
from mock_server.engine.types import Call, Handler, Reply

__all__ = ["HANDLERS", "OPEN", "OUTCOMES", "STATES", "on_customer_message"]

STATES = ("queued", "claimed", "completed")
OPEN = ("queued", "claimed")  # what the queue lists by default; a thread has at most one open assignment
OUTCOMES = ("booked", "quoted", "not_interested", "no_answer", "follow_up", "disqualified")


# -- the rules ------------------------------------------------------------------------------------------------------


def _queue(
    org: Org,
    conversation_id: str,
    contact_id: str,
    reason: str,
    due_at: datetime,
    now: datetime,
    rng: SeededRandom,
    last_inbound_at: datetime | None,
) -> Assignment:
    """A new queued assignment for the thread, pointing at its pending draft if it has one."""
    conversation = org.conversations.get(conversation_id)
    draft = conversation.pending_suggestion() if conversation is not None else None
    assignment = Assignment(
        id=rng.uuid4(),
        org_id=org.id,
        conversation_id=conversation_id,
        contact_id=contact_id,
        state="queued",
        reason=reason,
        due_at=due_at,
        created_at=now,
        updated_at=now,
        last_inbound_at=last_inbound_at,
        suggestion_id=draft.id if draft is not None else None,
    )
    org.assignments[assignment.id] = assignment
    return assignment


def on_customer_message(
    org: Org, conversation: Conversation, message: Activity, rng: SeededRandom, now: datetime
) -> Assignment | None:
    """A customer message landed (the setter has drafted already): a new `first_touch` assignment for the thread,
    due now, unless it has an open one, which then points at the thread's pending draft. Nothing when the org's
    setter is off, or for what is no customer message (a note)."""
    if org.setter_mode == "off" or message.direction != "inbound" or message.type not in ANSWERABLE:
        return None
    draft = conversation.pending_suggestion()
    current = _open_of(org, conversation.id)
    if current is not None:
        current.suggestion_id = draft.id if draft is not None else None
        current.last_inbound_at = message.created_at
        current.updated_at = now
        return current
    return _queue(org, conversation.id, conversation.contact_id, "first_touch", now, now, rng, message.created_at)


def _open_of(org: Org, conversation_id: str) -> Assignment | None:
    return next((a for a in org.assignments.values() if a.conversation_id == conversation_id and a.state in OPEN), None)


def assignment(org: Org, assignment_id: str) -> Assignment:
    """The org's assignment: the only place that raises its "not found" (another org's id is unknown here)."""
    found = org.assignments.get(assignment_id.lower())
    if found is None:
        raise errors.NotFound(what="Assignment")
    return found


def queue(org: Org, state: str | None = None, mine: str | None = None) -> list[Assignment]:
    """The org's assignments in one state (default: the open ones), those assigned to or claimed by `mine` when it
    is given; due first, then by id (due times to the second, as the wire shows them)."""
    states = (state,) if state is not None else OPEN
    found = [
        a
        for a in org.assignments.values()
        if a.state in states and (mine is None or mine in (a.assigned_to, a.claimed_by))
    ]
    return sorted(found, key=lambda a: (a.due_at.replace(microsecond=0), a.id))


def counts(org: Org) -> dict[str, int]:
    found = dict.fromkeys(STATES, 0)
    for item in org.assignments.values():
        found[item.state] += 1
    return found


def _open_for_writes(item: Assignment) -> None:
    """A completed assignment is closed: every write is refused the same way."""
    if item.state == "completed":
        raise errors.Conflict("Assignment already completed")


def claim(item: Assignment, user_id: str, now: datetime) -> Assignment:
    """Queued: claimed by the caller. Claimed by the caller already: unchanged (idempotent)."""
    _open_for_writes(item)
    if item.state == "claimed":
        if item.claimed_by != user_id:
            raise errors.Conflict("Assignment already claimed")
        return item
    item.state, item.claimed_by, item.claimed_at, item.updated_at = "claimed", user_id, now, now
    return item


def claim_next(org: Org, user_id: str, now: datetime) -> Assignment | None:
    """The first queued assignment in queue order that is unassigned or assigned to the caller, now claimed."""
    for item in queue(org, "queued"):
        if item.assigned_to in (None, user_id):
            return claim(item, user_id, now)
    return None


def release(item: Assignment, user_id: str, manager: bool, now: datetime) -> Assignment:
    """Claimed: back to the queue. Only its claimer, or an owner or admin, may release it."""
    _open_for_writes(item)
    if item.state != "claimed":
        raise errors.Conflict("Assignment is not claimed")
    if item.claimed_by != user_id and not manager:
        raise errors.Forbidden(why="Assignment is claimed by another member")
    item.state, item.claimed_by, item.claimed_at, item.updated_at = "queued", None, None, now
    return item


def dispose(
    org: Org,
    item: Assignment,
    user_id: str,
    outcome: str,
    note: str | None,
    follow_up_at: datetime | None,
    rng: SeededRandom,
    now: datetime,
) -> Assignment:
    """The caller's claimed assignment closed with an outcome; `follow_up` queues the thread's next assignment, due
    at `follow_up_at` and assigned like this one."""
    _open_for_writes(item)
    if item.state != "claimed":
        raise errors.Conflict("Assignment is not claimed")
    if item.claimed_by != user_id:
        raise errors.Conflict("Assignment already claimed")
    item.state, item.updated_at = "completed", now
    item.disposition = Disposition(outcome=outcome, note=note, by=user_id, at=now)
    if outcome == "follow_up" and follow_up_at is not None:
        follow_up = _queue(
            org, item.conversation_id, item.contact_id, "follow_up", follow_up_at, now, rng, item.last_inbound_at
        )
        follow_up.assigned_to = item.assigned_to
    return item


def assign(store: CrmStore, org: Org, item: Assignment, assignee: str | None, now: datetime) -> Assignment:
    """Assigned to a member of the org (None: unassigned); anyone else is pydantic's value_error, as the
    conversation assign's documented rule."""
    _open_for_writes(item)
    assignee = store.assignee(org, assignee)
    item.assigned_to, item.updated_at = assignee, now
    return item


def stats(org: Org) -> dict[str, Any]:
    """The org's setter in numbers: assignments by state, dispositions by outcome, drafts by status, pairs by label."""
    dispositions = dict.fromkeys(OUTCOMES, 0)
    for item in org.assignments.values():
        if item.disposition is not None:
            dispositions[item.disposition.outcome] += 1
    suggestions = dict.fromkeys(("pending", "sent", "dismissed", "superseded"), 0)
    for conversation in org.conversations.values():
        for activity in conversation.activities:
            if activity.type == "suggestion" and activity.status in suggestions:
                suggestions[activity.status] += 1
    pairs = dict.fromkeys(("accepted", "edited"), 0)
    for pair in org.training_pairs:
        pairs[pair.label] = pairs.get(pair.label, 0) + 1
    return {
        "assignments": counts(org),
        "dispositions": dispositions,
        "suggestions": suggestions,
        "training_pairs": pairs,
    }


def leaderboard(store: CrmStore, org: Org) -> list[dict[str, Any]]:
    """Every member of the org with the dispositions they made here: most booked first, then most dispositions,
    then by name."""
    rows = []
    for user in store.members(org.id):
        made = [a.disposition for a in org.assignments.values() if a.disposition and a.disposition.by == user.id]
        rows.append(
            {
                "user_id": user.id,
                "name": user.name,
                "dispositions": len(made),
                "booked": sum(1 for d in made if d.outcome == "booked"),
                "quoted": sum(1 for d in made if d.outcome == "quoted"),
            }
        )
    return sorted(rows, key=lambda r: (-r["booked"], -r["dispositions"], r["name"], r["user_id"]))


# -- the handlers ---------------------------------------------------------------------------------------------------


def _assignment(call: Call) -> tuple[Org, Assignment]:
    org = acting_org(call)
    return org, assignment(org, call.path["assignment_id"])


def _follow_up_at(call: Call) -> datetime | None:
    """`follow_up_at` read as pydantic would: an instant in the future, sent only with the `follow_up` outcome (the
    schema already requires it there). Checked before any lookup, as a body validator runs first."""
    body = call.body
    raw = body.get("follow_up_at")
    if raw is None:
        return None
    loc = ["body", "follow_up_at"]
    if body["outcome"] != "follow_up":
        raise errors.ValidationFailed(
            [errors.issue("value_error", loc, "Value error, follow_up_at is only allowed with outcome follow_up", raw)]
        )
    try:
        at = parse_instant(raw).astimezone(UTC)
    except (ValueError, OverflowError):
        issue = errors.issue("datetime_parsing", loc, "Input should be a valid datetime", raw)
        raise errors.ValidationFailed([issue]) from None
    if at <= call.now:
        raise errors.ValidationFailed(
            [errors.issue("value_error", loc, "Value error, follow_up_at must be in the future", raw)]
        )
    return at


def list_setter_queue(call: Call) -> Any:
    mine = call.principal.key if call.query.get("mine") else None
    return wire.page(queue(acting_org(call), call.query.get("state"), mine), call.query, wire.assignment_json)


def get_setter_queue_counts(call: Call) -> Any:
    return counts(acting_org(call))


def claim_next_setter_assignment(call: Call) -> Any:
    claimed = claim_next(acting_org(call), call.principal.key, call.now)
    if claimed is None:
        return Reply(None, status=204)
    return wire.assignment_json(claimed)


def get_setter_stats(call: Call) -> Any:
    return stats(acting_org(call))


def get_setter_leaderboard(call: Call) -> Any:
    return {"items": leaderboard(call.store, acting_org(call))}


def get_setter_assignment(call: Call) -> Any:
    return wire.assignment_json(_assignment(call)[1])


def claim_setter_assignment(call: Call) -> Any:
    return wire.assignment_json(claim(_assignment(call)[1], call.principal.key, call.now))


def release_setter_assignment(call: Call) -> Any:
    manager = manages(call)
    return wire.assignment_json(release(_assignment(call)[1], call.principal.key, manager, call.now))


def disposition_setter_assignment(call: Call) -> Any:
    follow_up_at = _follow_up_at(call)
    org, item = _assignment(call)
    body = call.body
    disposed = dispose(
        org, item, call.principal.key, body["outcome"], body.get("note"), follow_up_at, call.rng, call.now
    )
    return wire.assignment_json(disposed)


def assign_setter_assignment(call: Call) -> Any:
    org, item = _assignment(call)  # an unknown assignment is a 404 whatever the body says
    return wire.assignment_json(assign(call.store, org, item, call.body["assigned_to"], call.now))


HANDLERS: Mapping[str, Handler] = {
    "listSetterQueue": list_setter_queue,
    "getSetterQueueCounts": get_setter_queue_counts,
    "claimNextSetterAssignment": claim_next_setter_assignment,
    "getSetterStats": get_setter_stats,
    "getSetterLeaderboard": get_setter_leaderboard,
    "getSetterAssignment": get_setter_assignment,
    "claimSetterAssignment": claim_setter_assignment,
    "releaseSetterAssignment": release_setter_assignment,
    "dispositionSetterAssignment": disposition_setter_assignment,
    "assignSetterAssignment": assign_setter_assignment,
}
