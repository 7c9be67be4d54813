"""The inbox's reads: the wire shapes, the list filters (one function, shared by the list, the saved views and
their counts, so they agree at every moment) and the per-member saved views."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mock_server.apis.crminbox.state import SYSTEM_VIEWS, Activity, Conversation, Org, View
from mock_server.engine.clock import iso

__all__ = ["DEFAULTS", "activity_json", "conversation_json", "counts", "select", "view_json", "views_of"]

DEFAULTS: dict[str, Any] = {"scope": "team", "archived": False}  # the inbox hides archived threads by default
_NEVER = datetime.min.replace(tzinfo=UTC)  # sorts a thread with no activity after every other


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def conversation_json(org: Org, conversation: Conversation, now: datetime) -> dict[str, Any]:
    contact = org.contacts[conversation.contact_id]
    summary = conversation.summary()
    last, since, sla = summary.last, summary.awaiting_since, org.sla
    return {
        "id": conversation.id,
        "org_id": org.id,
        "contact": {"id": contact.id, "name": contact.name, "phone": contact.phone, "email": contact.email},
        "channel": last.type if last is not None else conversation.opened_on,
        "subject": summary.subject,
        "last_activity_at": _iso(last.created_at) if last else None,
        "last_activity_preview": (
            {"type": last.type, "direction": last.direction, "body": last.body, "at": iso(last.created_at)}
            if last
            else None
        ),
        "unread_count": conversation.unread_count,
        "starred": conversation.starred,
        "archived": conversation.archived,
        "assigned_to": conversation.assigned_to,
        "overdue": since is not None and now - since > sla,
        "awaiting_reply_since": _iso(since),
        "sla_due_at": _iso(since + sla) if since else None,
        "created_at": iso(conversation.created_at),
        "updated_at": iso(conversation.updated_at),
    }


def activity_json(org: Org, activity: Activity) -> dict[str, Any]:
    media = [org.media[m] for m in activity.media_ids if m in org.media]
    call = activity.call
    return {
        "id": activity.id,
        "conversation_id": activity.conversation_id,
        "type": activity.type,
        "direction": activity.direction,
        "body": activity.body,
        "subject": activity.subject,
        "from": activity.sender,
        "to": activity.recipient,
        "provider_message_id": activity.provider_message_id,
        "status": activity.status,
        "media": [{"id": m.id, "filename": m.filename, "content_type": m.content_type, "size": m.size} for m in media],
        "call": (
            {
                "duration_seconds": call.duration_seconds,
                "recording_url": call.recording_url,
                "summary": call.summary,
                "outcome": call.outcome,
            }
            if call
            else None
        ),
        "author_id": activity.author_id,
        "created_at": iso(activity.created_at),
        "suggestion_id": activity.suggestion_id,
    }


def _matches(org: Org, conversation: Conversation, filters: Mapping[str, Any], user_id: str, now: datetime) -> bool:
    if filters.get("scope") == "mine" and conversation.assigned_to != user_id:
        return False
    if "archived" in filters and conversation.archived != filters["archived"]:
        return False
    if "starred" in filters and conversation.starred != filters["starred"]:
        return False
    if "unread" in filters and (conversation.unread_count > 0) != filters["unread"]:
        return False
    if "overdue" in filters and conversation.overdue(now, org.sla) != filters["overdue"]:
        return False
    return "channel" not in filters or conversation.channel == filters["channel"]


def _recency(conversation: Conversation) -> tuple[datetime, str]:
    # To the second, as the wire shows it: threads active in the same second go by id.
    last = conversation.summary().last_second
    return (last if last is not None else _NEVER, conversation.id)


def select(org: Org, filters: Mapping[str, Any], user_id: str, now: datetime) -> list[Conversation]:
    """The conversations the list endpoint returns for these filters (defaults applied), newest activity first."""
    chosen = {**DEFAULTS, **{k: v for k, v in filters.items() if v is not None}}
    found = [c for c in org.conversations.values() if _matches(org, c, chosen, user_id, now)]
    return sorted(found, key=_recency, reverse=True)


def _system_view_id(org: Org, user_id: str, name: str) -> str:
    """System views get stable ids (no generator draw on a read), the same on every start."""
    return str(uuid.uuid5(uuid.UUID(org.id), f"{user_id}:{name}"))


def views_of(org: Org, user_id: str) -> list[View]:
    """The member's saved views; until they save some, the four system views (a read stores nothing)."""
    views = org.views.get(user_id) or [
        View(id=_system_view_id(org, user_id, name), name=name, system=True, filters=dict(filters), position=index)
        for index, (name, filters) in enumerate(SYSTEM_VIEWS)
    ]
    return sorted(views, key=lambda v: (v.position, v.name))


def view_json(view: View) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "system": view.system,
        "filters": dict(view.filters),
        "position": view.position,
    }


def counts(org: Org, user_id: str, now: datetime) -> list[dict[str, Any]]:
    result = []
    for view in views_of(org, user_id):
        found = select(org, view.filters, user_id, now)
        result.append(
            {
                "view_id": view.id,
                "name": view.name,
                "total": len(found),
                "unread": sum(1 for c in found if c.unread_count > 0),
            }
        )
    return result
