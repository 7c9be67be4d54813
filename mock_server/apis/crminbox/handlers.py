"""CRM inbox handlers of the Conversations page's operations and impersonation, one per operationId: read the
validated input, call the state's operations, answer in the wire shape (wire.py). No handler writes a record
itself; the rules that guard a write live with it in state.py. The setter's handlers are in setter.py and
assignments.py, the webhooks' in webhooks.py: merged here into HANDLERS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.apis.crminbox import assignments, auth, carrier, errors, setter, webhooks, wire
from mock_server.apis.crminbox.calls import acting_org, caller
from mock_server.apis.crminbox.state import Conversation, CrmStore, Org
from mock_server.engine.types import Call, Handler, Reply
from mock_server.engine.validation import UploadedPart

__all__ = ["HANDLERS"]

_FILTERS = ("scope", "archived", "overdue", "starred", "unread", "channel")


_org, _user = acting_org, caller


def _conversation(call: Call) -> tuple[Org, Conversation]:
    """The thread named in the path and the org that holds it: the acting org's, or a direct child's (Iron's RLS)."""
    store: CrmStore = call.store
    return store.conversation(_org(call), call.path["conversation_id"])


def list_conversations(call: Call) -> Any:
    org = _org(call)
    filters = {k: call.query[k] for k in _FILTERS if k in call.query}
    now = call.now  # one instant for the whole page
    found = org.select(filters, call.principal.key, now)
    return wire.page(found, call.query, lambda c: wire.conversation_json(org, c, now))


def get_conversation(call: Call) -> Any:
    org, conversation = _conversation(call)
    return wire.conversation_json(org, conversation, call.now)


def list_conversation_messages(call: Call) -> Any:
    org, conversation = _conversation(call)
    # the timeline, oldest first, drafts included
    return wire.page(conversation.activities, call.query, lambda a: wire.activity_json(org, a))


def send_conversation_message(call: Call) -> Any:
    org, conversation = _conversation(call)
    body = call.body
    activity, created = org.send(
        conversation,
        _user(call),
        body["channel"],
        body["body"],
        call.rng,
        call.now,
        subject=body.get("subject"),
        media_ids=body.get("media_ids", []),
        provider_message_id=body.get("provider_message_id"),
        actor=_actor(call),
    )
    if created:
        carrier.after_send(org, conversation, activity, call.jobs)  # answered as sent; a refusal comes later
    return Reply(wire.activity_json(org, activity), status=201 if created else 200)


def _actor(call: Call) -> str | None:
    """`X-Actor` when it names an `api:`, `agent:` or `system` actor (Iron's operator model); a `user:` value, or
    anything else, is not honoured: the activity names the caller (None)."""
    value = call.input.headers.get("X-Actor")
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value == "system" or (value.startswith(("api:", "agent:")) and len(value.split(":", 1)[1].strip()) > 0):
        return value
    return None


def upload_conversation_media(call: Call) -> Any:
    org = _org(call)
    part = call.body.get("file")
    if not isinstance(part, UploadedPart):
        raise errors.ValidationFailed([errors.issue("missing", ["body", "file"], "Field required", None)])
    media = org.add_media(part.filename or "upload", part.content_type, len(part.data), call.rng, call.now)
    return wire.media_json(media)


def open_contact_conversation(call: Call) -> Any:
    store: CrmStore = call.store
    org, contact = store.contact(_org(call), call.path["contact_id"])
    requested = call.body or {}
    conversation, created = org.open_conversation(
        contact.id, call.rng, call.now, subject=requested.get("subject"), channel=requested.get("channel", "sms")
    )
    return Reply(wire.conversation_json(org, conversation, call.now), status=201 if created else 200)


def star_conversation(call: Call) -> Any:
    org, conversation = _conversation(call)
    conversation.set_starred(True, call.now)
    return wire.conversation_json(org, conversation, call.now)


def unstar_conversation(call: Call) -> Any:
    org, conversation = _conversation(call)
    conversation.set_starred(False, call.now)
    return wire.conversation_json(org, conversation, call.now)


def mark_conversation_read(call: Call) -> Any:
    org, conversation = _conversation(call)
    conversation.mark_read(call.now)
    return wire.conversation_json(org, conversation, call.now)


def mark_conversation_unread(call: Call) -> Any:
    org, conversation = _conversation(call)
    conversation.mark_unread(call.now)
    return wire.conversation_json(org, conversation, call.now)


def assign_conversation(call: Call) -> Any:
    org, conversation = _conversation(call)  # an unknown thread is a 404 whatever the body says
    store: CrmStore = call.store
    store.assign(org, conversation, call.body["assigned_to"], call.now)
    return wire.conversation_json(org, conversation, call.now)


def archive_conversation(call: Call) -> Any:
    org, conversation = _conversation(call)
    conversation.set_archived(call.body["archived"], call.now)
    return wire.conversation_json(org, conversation, call.now)


def list_conversation_views(call: Call) -> Any:
    return {"views": [wire.view_json(v) for v in _org(call).views_of(call.principal.key)]}


def save_conversation_views(call: Call) -> Any:
    _org(call).save_views(call.principal.key, call.body["views"], call.rng)
    return list_conversation_views(call)  # the views as a read shows them (sorted by position, then name)


def get_conversation_view_counts(call: Call) -> Any:
    return {"counts": [wire.view_count_json(c) for c in _org(call).view_counts(call.principal.key, call.now)]}


def get_conversation_sla(call: Call) -> Any:
    return wire.sla_json(_org(call))


def get_overdue_conversation_count(call: Call) -> Any:
    return {"count": len(_org(call).select({"overdue": True}, call.principal.key, call.now))}


def send_suggestion(call: Call) -> Any:
    org, conversation = _conversation(call)
    draft, message = org.send_suggestion(conversation, call.path["activity_id"], _user(call), call.rng, call.now)
    carrier.after_send(org, conversation, message, call.jobs)
    return {"suggestion": wire.activity_json(org, draft), "message": wire.activity_json(org, message)}


def dismiss_suggestion(call: Call) -> Any:
    org, conversation = _conversation(call)
    draft = org.dismiss_suggestion(conversation, call.path["activity_id"])
    return {"suggestion": wire.activity_json(org, draft)}


def create_impersonation(call: Call) -> Any:
    store: CrmStore = call.store
    grant = auth.impersonate(store, _user(call), _org(call), call.body["org_id"], call.rng, call.now)
    return Reply(wire.impersonation_json(grant), status=201)


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
    "createImpersonation": create_impersonation,
    **setter.HANDLERS,
    **webhooks.HANDLERS,
    **assignments.HANDLERS,
}
