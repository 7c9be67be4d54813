"""The CRM inbox's records as they look on the wire (the spec's names: `from`/`to`, nested `contact`, ISO times),
and its offset paging. Reads only: the shapes are built from state, never written back to it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from mock_server.apis.crminbox.state import (
    Activity,
    Assignment,
    Contact,
    Conversation,
    Impersonation,
    Media,
    Org,
    SetterConfig,
    TrainingPair,
    View,
    ViewCount,
    VoiceConfig,
)
from mock_server.engine.clock import iso

__all__ = [
    "activity_json",
    "assignment_json",
    "contact_json",
    "conversation_json",
    "impersonation_json",
    "media_json",
    "page",
    "setter_config_json",
    "sla_json",
    "training_pair_json",
    "view_count_json",
    "view_json",
    "voice_config_json",
]

T = TypeVar("T")


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def page(items: Sequence[T], query: Mapping[str, Any], shape: Callable[[T], Any]) -> dict[str, Any]:
    """One page of `items` (`limit`/`offset`, 50 and 0 unless asked), each in its wire shape, and the total."""
    limit, offset = query.get("limit", 50), query.get("offset", 0)
    return {
        "items": [shape(item) for item in items[offset : offset + limit]],
        "total": len(items),
        "limit": limit,
        "offset": offset,
    }


def contact_json(contact: Contact) -> dict[str, Any]:
    """A contact as a thread nests it (and the control API's inbound returns it)."""
    return {"id": contact.id, "name": contact.name, "phone": contact.phone, "email": contact.email}


def conversation_json(org: Org, conversation: Conversation, now: datetime) -> dict[str, Any]:
    contact = org.contacts[conversation.contact_id]
    summary = conversation.summary()
    last, since, sla = summary.last, summary.awaiting_since, org.sla
    return {
        "id": conversation.id,
        "org_id": org.id,
        "contact": contact_json(contact),
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
        "actor": activity.actor,
        "action": dict(activity.action) if activity.action else None,
        "created_at": iso(activity.created_at),
        "suggestion_id": activity.suggestion_id,
    }


def media_json(media: Media) -> dict[str, Any]:
    return {
        "id": media.id,
        "filename": media.filename,
        "content_type": media.content_type,
        "size": media.size,
        "created_at": iso(media.created_at),
    }


def view_json(view: View) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "system": view.system,
        "filters": dict(view.filters),
        "position": view.position,
    }


def view_count_json(count: ViewCount) -> dict[str, Any]:
    return {"view_id": count.view.id, "name": count.view.name, "total": count.total, "unread": count.unread}


def sla_json(org: Org) -> dict[str, Any]:
    """The org's first-response SLA; the mock keeps no business hours, so it counts around the clock."""
    return {
        "enabled": True,
        "first_response_minutes": org.sla_minutes,
        "business_hours": None,
        "timezone": org.timezone,
    }


def training_pair_json(pair: TrainingPair) -> dict[str, Any]:
    """A pair as `/__mock/crm-inbox/training-pairs` lists it."""
    return {
        "id": pair.id,
        "conversation_id": pair.conversation_id,
        "suggestion_id": pair.suggestion_id,
        "draft": pair.draft,
        "sent": pair.sent,
        "label": pair.label,
        "author_id": pair.author_id,
        "created_at": iso(pair.created_at),
    }


def setter_config_json(config: SetterConfig) -> dict[str, Any]:
    return {
        "response_mode": config.response_mode,
        "reply_objective": config.reply_objective,
        "reply_delay_seconds": config.reply_delay_seconds,
        "business_hours": copy.deepcopy(config.business_hours),
        "sleep_hours": dict(config.sleep_hours) if config.sleep_hours else None,
        "autopilot_available": config.autopilot_available,
        "updated_at": _iso(config.updated_at),
    }


def voice_config_json(voice: VoiceConfig) -> dict[str, Any]:
    return {
        "enabled": voice.enabled,
        "voice": voice.voice,
        "greeting": voice.greeting,
        "transfer_to": voice.transfer_to,
        "business_hours_only": voice.business_hours_only,
        "updated_at": _iso(voice.updated_at),
    }


def assignment_json(assignment: Assignment) -> dict[str, Any]:
    """A lead of the setter's work queue (every field name is convomock design)."""
    disposition = assignment.disposition
    return {
        "id": assignment.id,
        "org_id": assignment.org_id,
        "conversation_id": assignment.conversation_id,
        "contact_id": assignment.contact_id,
        "state": assignment.state,
        "reason": assignment.reason,
        "assigned_to": assignment.assigned_to,
        "claimed_by": assignment.claimed_by,
        "claimed_at": _iso(assignment.claimed_at),
        "suggestion_id": assignment.suggestion_id,
        "disposition": (
            {
                "outcome": disposition.outcome,
                "note": disposition.note,
                "by": disposition.by,
                "at": iso(disposition.at),
            }
            if disposition is not None
            else None
        ),
        "due_at": iso(assignment.due_at),
        "last_inbound_at": _iso(assignment.last_inbound_at),
        "created_at": iso(assignment.created_at),
        "updated_at": iso(assignment.updated_at),
    }


def impersonation_json(grant: Impersonation) -> dict[str, Any]:
    return {"token": grant.token, "org_id": grant.org_id, "expires_at": iso(grant.expires_at)}
