"""What `POST /automations-executions` does: the automation's steps, in order, against one conversation, at once
(convomock design: the pages document the call and its body, not the runner). A step that fails fails the
execution with its error; the steps after it are skipped; what the steps before it did stays done. Every change
is a state operation (`state.py`).

Steps: `send_predefined_message` {predefined_message_id} (on the conversation's channel, as no user; WhatsApp's
24h window applies), `add_contact_tag` {tag_id}, `move_pipeline_stage` {pipeline_id, pipeline_stage_id},
`assign_user` {user_id}, `set_status` {status}.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mock_server.apis.omniinbox import state
from mock_server.apis.omniinbox.errors import BadRequest, FeathersError
from mock_server.apis.omniinbox.state import AchieveApexStore, Organization, Record
from mock_server.apis.omniinbox.wire import iso_ms

__all__ = ["STEP_TYPES", "run"]

STEP_TYPES = ("send_predefined_message", "add_contact_tag", "move_pipeline_stage", "assign_user", "set_status")


def _step(
    store: AchieveApexStore,
    org: Organization,
    conversation: Record,
    step: Mapping[str, Any],
    now: datetime,
    sent: list[Record],
) -> None:
    kind = step.get("type")
    if kind == "send_predefined_message":
        predefined = org.get("predefined", step.get("predefined_message_id"))
        sent.append(state.send_predefined(store, org, conversation, predefined, now))
    elif kind == "add_contact_tag":
        if conversation["contact_id"] is None:
            raise BadRequest(f"Conversation {conversation['id']} has no contact")
        state.add_contact_tag(org, org.get("contacts", conversation["contact_id"]), step.get("tag_id"), now)
    elif kind == "move_pipeline_stage":
        patch = {"pipeline_id": step.get("pipeline_id"), "pipeline_stage_id": step.get("pipeline_stage_id")}
        state.patch_conversation(store, org, conversation, patch, now)
    elif kind == "assign_user":
        state.patch_conversation(store, org, conversation, {"assigned_user_id": step.get("user_id")}, now)
    elif kind == "set_status" and step.get("status") in ("open", "closed"):
        state.patch_conversation(store, org, conversation, {"status": step["status"]}, now)
    else:
        raise BadRequest(f"Unknown automation step {kind} {step.get('status', '')}".rstrip())


def run(
    store: AchieveApexStore,
    org: Organization,
    automation: Record,
    conversation: Record,
    payload: Mapping[str, Any],
    user_id: int | None,
    now: datetime,
    sent: list[Record] | None = None,
) -> Record:
    """The execution record; the messages the steps sent are added to `sent` (what follows a send, such as a
    delivery failure, is the caller's to queue)."""
    sent = [] if sent is None else sent
    results: list[Record] = []
    failed = False
    for step in automation["steps"]:
        if failed:
            results.append({"type": step.get("type"), "status": "skipped", "error": None})
            continue
        try:
            _step(store, org, conversation, step, now, sent)
            results.append({"type": step.get("type"), "status": "completed", "error": None})
        except FeathersError as error:
            failed = True
            results.append({"type": step.get("type"), "status": "failed", "error": error.message})
    at = iso_ms(now)
    execution = {
        "id": state.next_id(store, "executions"),
        "automation_id": automation["id"],
        "organization_id": org.id,
        "conversation_id": conversation["id"],
        "status": "failed" if failed else "completed",
        "initial_payload": dict(payload),
        "results": results,
        "created_by_user_id": user_id,
        "created_at": at,
        "updated_at": at,
    }
    return org.keep("executions", execution)
