"""1TO1 AI handlers, one per operationId: validated input in, a plain object out (the engine serialises it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mock_server.apis.onetoone import actions, errors, messaging, views
from mock_server.apis.onetoone.state import Business, Conversation, UploadedFile
from mock_server.engine.clock import iso
from mock_server.engine.types import Call, Handler

__all__ = ["HANDLERS"]

UPLOAD_TTL = timedelta(hours=1)


def _business(call: Call) -> Business:
    business: Business = call.store.business(call.principal.tenant_id)
    business.fire_due_schedules(call.rng, call.now)
    return business


def _conversation(call: Call, business: Business) -> Conversation:
    return messaging.resolve(business, call.body["conversation"])


def _by_recent(conversation: Conversation) -> list[str]:
    last = conversation.last_message
    return [iso(last.created_at) if last else "", conversation.uuid]


def _conversation_page(call: Call, scope: str, tester_only: bool) -> dict[str, Any]:
    business = _business(call)
    found = [c for c in business.conversations.values() if c.is_tester or not tester_only]
    found.sort(key=_by_recent, reverse=True)
    return views.page(
        found,
        scope,
        _by_recent,
        lambda c: views.conversation_json(business, c),
        call.query.get("cursor"),
        call.query.get("limit", 50),
    )


def get_conversation(call: Call) -> Any:
    business = _business(call)
    return views.conversation_json(business, business.conversation(uuid=call.path["uuid"]))


def run_action_group(call: Call) -> Any:
    business = _business(call)
    conversation = actions.preflight(business, call.body)
    run = actions.submit_group(business, conversation, call.body, call.rng, call.clock, call.jobs, call.principal.label)
    return {
        "group_uuid": run.uuid,
        "status": "accepted",
        "conversation": {"uuid": conversation.uuid},
        "action_count": len(call.body["actions"]),
        "accepted_at": iso(call.now),
    }


def list_conversations(call: Call) -> Any:
    return _conversation_page(call, "conversations", tester_only=False)


def list_tester_conversations(call: Call) -> Any:
    return _conversation_page(call, "tester/conversations", tester_only=True)


def list_conversation_messages(call: Call) -> Any:
    business = _business(call)
    conversation = business.conversation(uuid=call.path["uuid"])
    indexed = list(enumerate(conversation.messages))[::-1]  # newest first; the position never changes
    return views.page(
        indexed,
        f"messages:{conversation.uuid}",
        lambda pair: [pair[0]],
        lambda pair: views.message_json(pair[1]),
        call.query.get("cursor"),
        call.query.get("limit", 50),
    )


def get_contact(call: Call) -> Any:
    return views.contact_json(_business(call).contact(call.path["uuid"]))


def list_tester_contacts(call: Call) -> Any:
    business = _business(call)
    found = sorted(
        (c for c in business.contacts.values() if c.is_tester), key=lambda c: [iso(c.created_at), c.uuid], reverse=True
    )
    return views.page(
        found,
        "tester/contacts",
        lambda c: [iso(c.created_at), c.uuid],
        views.contact_json,
        call.query.get("cursor"),
        call.query.get("limit", 50),
    )


def get_conversation_status(call: Call) -> Any:
    business = _business(call)
    return views.status_json(business, _conversation(call, business), call.now)


def _sent(message_uuid: str, external_id: str | None) -> dict[str, Any]:
    return {"message_uuid": message_uuid, "wamid": external_id}


def send_text_message(call: Call) -> Any:
    business = _business(call)
    message = messaging.send_text(
        business, _conversation(call, business), call.body, call.rng, call.now, call.principal.label
    )
    return _sent(message.uuid, message.external_id)


def send_quick_reply(call: Call) -> Any:
    business = _business(call)
    sent = messaging.send_quick_reply(
        business, _conversation(call, business), call.body, call.rng, call.now, call.principal.label
    )
    return {"messages": [{"message_uuid": m.uuid, "wamid": m.external_id, "subtype": m.content_type} for m in sent]}


def send_template_message(call: Call) -> Any:
    business = _business(call)
    message = messaging.send_template(
        business, _conversation(call, business), call.body, call.rng, call.now, call.principal.label
    )
    return _sent(message.uuid, message.external_id)


def get_template(call: Call) -> Any:
    return views.template_json(_business(call).template(call.path["name"], call.path["language"]))


def resolve_conversation(call: Call) -> Any:
    business = _business(call)
    conversation = _conversation(call, business)
    conversation.inbox_status = "resolved"
    return {"conversation": {"uuid": conversation.uuid}, "inbox_status": "resolved"}


def move_conversation_to_mailbox(call: Call) -> Any:
    business = _business(call)
    conversation = _conversation(call, business)
    mailbox = business.mailbox(call.body["mailbox"])
    conversation.mailbox_uuid = mailbox.uuid
    return {"conversation": {"uuid": conversation.uuid}, "mailbox": {"uuid": mailbox.uuid, "name": mailbox.name}}


def get_scheduled_message(call: Call) -> Any:
    business = _business(call)
    identifier: Mapping[str, str] = {k: v for k, v in call.query.items() if k in ("uuid", "whatsapp_user_id", "phone")}
    if not identifier:
        raise errors.InvalidRequest("query: give uuid, whatsapp_user_id or phone")
    schedule = business.pending_schedule(messaging.resolve(business, identifier))
    return {"data": views.schedule_json(schedule) if schedule else None}


def request_file_upload(call: Call) -> Any:
    business = _business(call)
    uuid = call.rng.uuid4()
    upload = UploadedFile(
        uuid=uuid,
        filename=call.body["filename"],
        mime_type=call.body["mime_type"],
        size_bytes=call.body["size_bytes"],
        upload_token=call.rng.token(32),
        storage_path=f"businesses/{business.uuid}/uploads/{uuid}/{call.body['filename']}",
        expires_at=call.now + UPLOAD_TTL,
    )
    business.files[uuid] = upload
    return views.file_ticket_json(upload, call.base_url)


HANDLERS: Mapping[str, Handler] = {
    "getConversation": get_conversation,
    "runActionGroup": run_action_group,
    "listConversations": list_conversations,
    "listTesterConversations": list_tester_conversations,
    "listConversationMessages": list_conversation_messages,
    "getContact": get_contact,
    "listTesterContacts": list_tester_contacts,
    "getConversationStatus": get_conversation_status,
    "sendTextMessage": send_text_message,
    "sendQuickReply": send_quick_reply,
    "sendTemplateMessage": send_template_message,
    "getTemplate": get_template,
    "resolveConversation": resolve_conversation,
    "moveConversationToMailbox": move_conversation_to_mailbox,
    "getScheduledMessage": get_scheduled_message,
    "requestFileUpload": request_file_upload,
}
