"""CRM inbox handlers, one per operationId: validated input in, a plain object (or a Reply) out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.apis.crminbox import errors, inbox, setter
from mock_server.apis.crminbox.state import SYSTEM_VIEWS, Conversation, CrmStore, Media, Org, User, View
from mock_server.engine.clock import iso
from mock_server.engine.types import Call, Handler, Reply
from mock_server.engine.validation import UploadedPart

__all__ = ["HANDLERS", "MAX_MEDIA_BYTES"]

MAX_MEDIA_BYTES = 10 * 1024 * 1024
_FILTERS = ("scope", "archived", "overdue", "starred", "unread", "channel")


def _org(call: Call) -> Org:
    store: CrmStore = call.store
    return store.orgs[call.principal.tenant_id]


def _user(call: Call) -> User:
    store: CrmStore = call.store
    return store.users[call.principal.key]


def _conversation(call: Call) -> tuple[Org, Conversation]:
    org = _org(call)
    return org, org.conversation(call.path["conversation_id"])


def _page(items: list[Any], call: Call) -> dict[str, Any]:
    limit, offset = call.query.get("limit", 50), call.query.get("offset", 0)
    return {"items": items[offset : offset + limit], "total": len(items), "limit": limit, "offset": offset}


def list_conversations(call: Call) -> Any:
    org = _org(call)
    filters = {k: call.query[k] for k in _FILTERS if k in call.query}
    now = call.now  # one instant for the whole page
    found = inbox.select(org, filters, call.principal.key, now)
    page = _page(found, call)
    page["items"] = [inbox.conversation_json(org, c, now) for c in page["items"]]
    return page


def get_conversation(call: Call) -> Any:
    org, conversation = _conversation(call)
    return inbox.conversation_json(org, conversation, call.now)


def list_conversation_messages(call: Call) -> Any:
    org, conversation = _conversation(call)
    page = _page(conversation.activities, call)  # the timeline, oldest first, drafts included
    page["items"] = [inbox.activity_json(org, a) for a in page["items"]]
    return page


def send_conversation_message(call: Call) -> Any:
    org, conversation = _conversation(call)
    body = call.body
    activity, created = setter.send(
        org,
        conversation,
        _user(call),
        body["channel"],
        body["body"],
        call.rng,
        call.now,
        subject=body.get("subject"),
        media_ids=body.get("media_ids", []),
        provider_message_id=body.get("provider_message_id"),
    )
    return Reply(inbox.activity_json(org, activity), status=201 if created else 200)


def upload_conversation_media(call: Call) -> Any:
    org = _org(call)
    part = call.body.get("file")
    if not isinstance(part, UploadedPart):
        raise errors.ValidationFailed([errors.issue("missing", ["body", "file"], "Field required", None)])
    if len(part.data) > MAX_MEDIA_BYTES:
        raise errors.TooLarge()
    media = Media(
        id=call.rng.uuid4(),
        filename=part.filename or "upload",
        content_type=part.content_type,
        size=len(part.data),
        created_at=call.now,
    )
    org.media[media.id] = media
    return {
        "id": media.id,
        "filename": media.filename,
        "content_type": media.content_type,
        "size": media.size,
        "created_at": iso(media.created_at),
    }


def open_contact_conversation(call: Call) -> Any:
    org = _org(call)
    contact = org.contact(call.path["contact_id"])
    existing = org.conversation_of(contact.id)
    if existing is not None:  # one thread per contact: opening again returns it
        return Reply(inbox.conversation_json(org, existing, call.now), status=200)
    requested = call.body or {}
    conversation = Conversation(
        id=call.rng.uuid4(),
        org_id=org.id,
        contact_id=contact.id,
        created_at=call.now,
        updated_at=call.now,
        subject=requested.get("subject"),
        opened_on=requested.get("channel", "sms"),
    )
    org.conversations[conversation.id] = conversation
    return Reply(inbox.conversation_json(org, conversation, call.now), status=201)


def _changed(call: Call, change: Mapping[str, Any]) -> Any:
    org, conversation = _conversation(call)
    for name, value in change.items():
        setattr(conversation, name, value)
    conversation.updated_at = call.now
    return inbox.conversation_json(org, conversation, call.now)


def star_conversation(call: Call) -> Any:
    return _changed(call, {"starred": True})


def unstar_conversation(call: Call) -> Any:
    return _changed(call, {"starred": False})


def mark_conversation_read(call: Call) -> Any:
    return _changed(call, {"unread_count": 0})


def mark_conversation_unread(call: Call) -> Any:
    _, conversation = _conversation(call)
    return _changed(call, {"unread_count": max(1, conversation.unread_count)})


def assign_conversation(call: Call) -> Any:
    _conversation(call)  # an unknown thread is a 404 whatever the body says
    assignee = call.body["assigned_to"]
    if assignee is not None:
        store: CrmStore = call.store
        if call.principal.tenant_id not in getattr(store.users.get(assignee.lower()), "org_ids", []):
            raise errors.ValidationFailed(
                [
                    errors.issue(
                        "value_error",
                        ["body", "assigned_to"],
                        "Value error, user is not a member of this organization",
                        assignee,
                    )
                ]
            )
        assignee = assignee.lower()
    return _changed(call, {"assigned_to": assignee})


def archive_conversation(call: Call) -> Any:
    return _changed(call, {"archived": call.body["archived"]})


def list_conversation_views(call: Call) -> Any:
    return {"views": [inbox.view_json(v) for v in inbox.views_of(_org(call), call.principal.key)]}


def _refuse(message: str, value: Any = None) -> errors.ValidationFailed:
    return errors.ValidationFailed([errors.issue("value_error", ["body", "views"], f"Value error, {message}", value)])


def save_conversation_views(call: Call) -> Any:
    """Replace the member's views; the four system views must stay, unchanged. Everything is checked before
    anything is drawn or saved, so a refusal changes nothing at all."""
    org, user_id = _org(call), call.principal.key
    current = {v.id: v for v in inbox.views_of(org, user_id)}
    system = {v.name: v for v in current.values() if v.system}
    planned: list[tuple[View | None, dict[str, Any], int, bool]] = []  # (existing view, item, position, system)
    names: set[str] = set()
    for index, item in enumerate(call.body["views"]):
        name = item["name"]
        if name.casefold() in names:
            raise _refuse(f"two views are named {name!r}", name)
        names.add(name.casefold())
        if "id" in item:
            known = current.get(str(item["id"]).lower())
            if known is None:
                raise _refuse(f"no view with id {item['id']}", item["id"])
        else:
            known = system.get(name)  # a view sent without an id under a system view's name is that view
        if known is not None and known.system and (item["filters"] != known.filters or name != known.name):
            raise _refuse(f"system view {known.name} cannot be changed", name)
        planned.append((known, item, item.get("position", index), known is not None and known.system))
    kept = {known.name for known, _, _, is_system in planned if is_system and known is not None}
    missing = [name for name, _ in SYSTEM_VIEWS if name not in kept]
    if missing:
        raise _refuse(f"system view {missing[0]} cannot be removed", [v["name"] for v in call.body["views"]])
    saved = [
        View(
            known.id if known is not None else call.rng.uuid4(),
            known.name if is_system and known else item["name"],
            is_system,
            dict(known.filters if is_system and known else item["filters"]),
            position,
        )
        for known, item, position, is_system in planned
    ]
    org.views[user_id] = saved
    return list_conversation_views(call)


def get_conversation_view_counts(call: Call) -> Any:
    return {"counts": inbox.counts(_org(call), call.principal.key, call.now)}


def get_conversation_sla(call: Call) -> Any:
    org = _org(call)
    return {
        "enabled": True,
        "first_response_minutes": org.sla_minutes,
        "business_hours": None,
        "timezone": org.timezone,
    }


def get_overdue_conversation_count(call: Call) -> Any:
    org = _org(call)
    return {"count": len(inbox.select(org, {"overdue": True}, call.principal.key, call.now))}


def send_suggestion(call: Call) -> Any:
    org, conversation = _conversation(call)
    draft, message = setter.send_suggestion(
        org, conversation, call.path["activity_id"], _user(call), call.rng, call.now
    )
    return {"suggestion": inbox.activity_json(org, draft), "message": inbox.activity_json(org, message)}


def dismiss_suggestion(call: Call) -> Any:
    org, conversation = _conversation(call)
    draft = setter.dismiss_suggestion(org, conversation, call.path["activity_id"])
    return {"suggestion": inbox.activity_json(org, draft)}


HANDLERS: Mapping[str, Handler] = {
    "listConversations": list_conversations,
    "getConversation": get_conversation,
    "listConversationMessages": list_conversation_messages,
    "sendConversationMessage": send_conversation_message,
    "uploadConversationMedia": upload_conversation_media,
    "openContactConversation": open_contact_conversation,
    "starConversation": star_conversation,
    "unstarConversation": unstar_conversation,
    "markConversationRead": mark_conversation_read,
    "markConversationUnread": mark_conversation_unread,
    "assignConversation": assign_conversation,
    "archiveConversation": archive_conversation,
    "listConversationViews": list_conversation_views,
    "saveConversationViews": save_conversation_views,
    "getConversationViewCounts": get_conversation_view_counts,
    "getConversationSla": get_conversation_sla,
    "getOverdueConversationCount": get_overdue_conversation_count,
    "sendSuggestion": send_suggestion,
    "dismissSuggestion": dismiss_suggestion,
}
