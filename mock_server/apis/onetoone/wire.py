"""The wire shapes of 1TO1 AI objects as specs/1to1ai.yaml names them, built from state, and cursor paging.

Only reads: handlers and the control API answer with these shapes, so a record looks the same wherever it appears.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from mock_server.apis.onetoone import errors
from mock_server.apis.onetoone.state import Business, Contact, Conversation, Message, Schedule, Template, UploadedFile
from mock_server.engine.clock import iso

__all__ = [
    "contact_json",
    "conversation_json",
    "file_confirmed_json",
    "file_ticket_json",
    "message_json",
    "page",
    "quick_reply_sent_json",
    "schedule_json",
    "sent_json",
    "status_json",
    "template_json",
    "window_json",
]

T = TypeVar("T")


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def window_json(conversation: Conversation, now: datetime) -> dict[str, Any]:
    expires = conversation.window_expires_at
    remaining = max(0.0, (expires - now).total_seconds() / 3600) if expires is not None else 0.0
    return {
        "status": "open" if conversation.window_open(now) else "closed",
        "hours_remaining": round(remaining, 2),
        "expires_at": _iso(expires),
    }


def _summary(business: Business, conversation: Conversation) -> dict[str, Any]:
    mailbox = business.mailbox_by_uuid(conversation.mailbox_uuid)
    employee = business.ai_employee_by_uuid(conversation.ai_employee_uuid)
    labels = [business.label_by_uuid(uuid) for uuid in conversation.label_uuids]
    return {
        "inbox_status": conversation.inbox_status,
        "response_status": conversation.response_status,
        "unread_count": conversation.unread_count,
        "mailbox": {"uuid": mailbox.uuid, "name": mailbox.name},
        "ai_employee": {"uuid": employee.uuid, "name": employee.name} if employee else None,
        "tags": [{"uuid": t.uuid, "name": t.name, "color": t.color} for t in labels if t is not None],
    }


def conversation_json(business: Business, conversation: Conversation) -> dict[str, Any]:
    contact = business.contacts[conversation.contact_uuid]
    last = conversation.last_message
    return {
        "uuid": conversation.uuid,
        "contact": {
            "uuid": contact.uuid,
            "name": contact.full_name,
            "profile_name": contact.profile_name,
            "phone": "+" + contact.phone,
        },
        "last_message_at": _iso(last.created_at) if last else None,
        "last_message_preview": {
            "body": last.body,
            "content_type": last.content_type,
            "is_from_customer": last.is_from_customer,
        }
        if last
        else None,
        **_summary(business, conversation),
        "messaging_window_expires_at": _iso(conversation.window_expires_at),
        "is_tester": conversation.is_tester,
    }


def status_json(business: Business, conversation: Conversation, now: datetime) -> dict[str, Any]:
    return {
        "conversation": {"uuid": conversation.uuid},
        "window": window_json(conversation, now),
        **_summary(business, conversation),
    }


def message_json(message: Message) -> dict[str, Any]:
    """Exactly the docs' nine fields; the content type and the file stay in state (the preview and a quick reply's
    `subtype` show the kind). A message Meta refused (the docs: "persisted as failed") also says so, in `status` and
    `failure_reason` (convomock design: the docs do not show how a read reports the failed state)."""
    shown = {
        "uuid": message.uuid,
        "conversation_uuid": message.conversation_uuid,
        "is_from_customer": message.is_from_customer,
        "body": message.body,
        "author": {"name": message.author_name} if message.author_name else None,
        "external_id": message.external_id,
        "created_at": iso(message.created_at),
        "sent_at": _iso(message.sent_at),
        "event_type": message.event_type,
    }
    if message.failure_reason is not None:
        shown |= {"status": "failed", "failure_reason": message.failure_reason}
    return shown


def sent_json(message: Message) -> dict[str, Any]:
    """What a send answers: the message's uuid and the WhatsApp id (wamid) Meta gave it."""
    return {"message_uuid": message.uuid, "wamid": message.external_id}


def quick_reply_sent_json(messages: Sequence[Message]) -> dict[str, Any]:
    return {"messages": [{"message_uuid": m.uuid, "wamid": m.external_id, "subtype": m.content_type} for m in messages]}


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "uuid": contact.uuid,
        "first_name": contact.first_name,
        "middle_name": contact.middle_name,
        "last_name": contact.last_name,
        "second_last_name": contact.second_last_name,
        "full_name": contact.full_name,
        "whatsapp_id": contact.phone,
        "acquisition_source": contact.acquisition_source,
        "is_tester": contact.is_tester,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


def template_json(template: Template) -> dict[str, Any]:
    return {
        "data": {
            "uuid": template.uuid,
            "name": template.name,
            "language": template.language,
            "status": template.status,
            "category": template.category,
            "body_text": template.body_text,
            "parameters": {
                "body_variables": [{"index": i, "example": e} for i, e in enumerate(template.body_examples, start=1)],
                "header_parameter": (
                    {"type": template.header_type, "example": template.header_example or ""}
                    if template.header_type
                    else None
                ),
                "button_parameters": [{"index": i, "text": t} for i, t in enumerate(template.buttons)],
            },
        }
    }


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    return {
        "uuid": schedule.uuid,
        "executor_kind": "human_user",  # the docs' only record: an API token's schedule runs as human_user
        "schedule_at": iso(schedule.schedule_at),
        "status": schedule.status,
        "author_snapshot": {"type": "api_token", "uuid": schedule.author_uuid, "name": schedule.author_name},
        "message_kind": schedule.message_kind,
        "message_snapshot": (
            {"kind": "message", "data": {"text": schedule.text, "media": None}}
            if schedule.message_kind == "message"
            else None
        ),
        "template_snapshot": (
            {"name": schedule.template_name, "language": schedule.template_language}
            if schedule.message_kind == "template"
            else None
        ),
        "fired_at": _iso(schedule.fired_at),
        "cancelled_at": _iso(schedule.cancelled_at),
        "cancel_reason": schedule.cancel_reason,
        "failure_reason": schedule.failure_reason,
        "created_at": iso(schedule.created_at),
        "updated_at": iso(schedule.updated_at),
    }


def file_ticket_json(upload: UploadedFile, base_url: str) -> dict[str, Any]:
    """The URL carries the token as Supabase's signed upload URLs do (`?token=`), so a PUT to it as given works."""
    return {
        "file_uuid": upload.uuid,
        "upload_url": f"{base_url}/__mock/1to1ai/uploads/{upload.uuid}?token={upload.upload_token}",
        "upload_token": upload.upload_token,
        "storage_path": upload.storage_path,
        "expires_at": iso(upload.expires_at),
    }


def file_confirmed_json(upload: UploadedFile) -> dict[str, Any]:
    return {
        "file_uuid": upload.uuid,
        "filename": upload.filename,
        "mime_type": upload.mime_type,
        "size_bytes": upload.size_bytes,
        "confirmed_at": _iso(upload.confirmed_at),
    }


# -- cursor paging: opaque, bound to the endpoint that issued it ------------------------------------------------


def _encode(scope: str, position: Any) -> str:
    raw = json.dumps({"s": scope, "p": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, scope: str, shape: tuple[type, ...]) -> list[Any]:
    """The position a cursor holds, checked to be a key of the list's `shape` (the types of a key's parts): base64
    can carry any JSON, and a position of another shape would not compare with the list's keys."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise errors.InvalidRequest("cursor: not a cursor this API issued") from None
    if not isinstance(data, dict) or data.get("s") != scope or "p" not in data:
        raise errors.InvalidRequest(
            "cursor: issued by another endpoint or list; cursors are not reusable across endpoints"
        ) from None
    position = data["p"]
    if (
        not isinstance(position, list)
        or len(position) != len(shape)
        or any(type(part) is not kind for part, kind in zip(position, shape, strict=True))
    ):
        raise errors.InvalidRequest("cursor: not a cursor this API issued") from None
    return position


def page(
    items: Sequence[T],
    scope: str,
    key: Callable[[T], list[Any]],
    render: Callable[[T], dict[str, Any]],
    cursor: str | None,
    limit: int,
    shape: tuple[type, ...] = (str, str),
) -> dict[str, Any]:
    """`items` sorted by `key` descending; the cursor holds the key of the last item given (keyset paging), whose
    parts have the types of `shape` (a time and a uuid unless said otherwise)."""
    start = 0
    if cursor is not None:
        position = _decode(cursor, scope, shape)
        start = next((i for i, item in enumerate(items) if key(item) < position), len(items))
    chunk = items[start : start + limit]
    has_more = start + limit < len(items)
    return {
        "items": [render(item) for item in chunk],
        "next_cursor": _encode(scope, key(chunk[-1])) if has_more and chunk else None,
        "has_more": has_more,
    }
