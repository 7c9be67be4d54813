"""1TO1 AI handlers, one per operationId: validated input in, a plain object out (the engine serialises it).

Each handler only reads the call, asks the business (state.py) to look up or change things, and answers with a
wire shape (wire.py): the rules live in state.py, so an action group applies exactly the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.apis.onetoone import actions, delivery, errors, wire
from mock_server.apis.onetoone.state import Business, Conversation
from mock_server.engine.clock import iso
from mock_server.engine.types import Call, Handler

__all__ = ["HANDLERS"]


def _business(call: Call) -> Business:
    """The caller's business, with every schedule due by now already sent (1TO1 AI fires them on its own clock)."""
    business: Business = call.store.business(call.principal.tenant_id)
    business.fire_due_schedules(call.rng, call.now)
    return business


def _conversation(call: Call, business: Business) -> Conversation:
    return business.conversation_by(call.body["conversation"])


def _by_recent(conversation: Conversation) -> list[str]:
    last = conversation.last_message
    return [iso(last.created_at) if last else "", conversation.uuid]


def _conversation_page(call: Call, scope: str, tester_only: bool) -> dict[str, Any]:
    business = _business(call)
    found = [c for c in business.conversations.values() if c.is_tester or not tester_only]
    found.sort(key=_by_recent, reverse=True)
    return wire.page(
        found,
        scope,
        _by_recent,
        lambda c: wire.conversation_json(business, c),
        call.query.get("cursor"),
        call.query.get("limit", 50),
    )


def get_conversation(call: Call) -> Any:
    business = _business(call)
    return wire.conversation_json(business, business.conversation(uuid=call.path["uuid"]))


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
    return wire.page(
        indexed,
        f"messages:{conversation.uuid}",
        lambda pair: [pair[0]],
        lambda pair: wire.message_json(pair[1]),
        call.query.get("cursor"),
        call.query.get("limit", 50),
        shape=(int,),  # the message's index
    )


def get_contact(call: Call) -> Any:
    return wire.contact_json(_business(call).contact(call.path["uuid"]))


def list_tester_contacts(call: Call) -> Any:
    business = _business(call)
    found = sorted(
        (c for c in business.contacts.values() if c.is_tester), key=lambda c: [iso(c.created_at), c.uuid], reverse=True
    )
    return wire.page(
        found,
        "tester/contacts",
        lambda c: [iso(c.created_at), c.uuid],
        wire.contact_json,
        call.query.get("cursor"),
        call.query.get("limit", 50),
    )


def get_conversation_status(call: Call) -> Any:
    business = _business(call)
    return wire.status_json(business, _conversation(call, business), call.now)


def send_text_message(call: Call) -> Any:
    business = _business(call)
    conversation = _conversation(call, business)
    return wire.sent_json(business.send_text(conversation, call.body, call.rng, call.now, call.principal.label))


def send_quick_reply(call: Call) -> Any:
    business = _business(call)
    conversation = _conversation(call, business)
    sent = business.send_quick_reply(conversation, call.body, call.rng, call.now, call.principal.label)
    return wire.quick_reply_sent_json(sent)


def send_template_message(call: Call) -> Any:
    business = _business(call)
    conversation = _conversation(call, business)
    message = delivery.send_template(
        business, conversation, call.body, call.rng, call.now, call.principal.label, call.jobs
    )
    return wire.sent_json(message)


def get_template(call: Call) -> Any:
    return wire.template_json(_business(call).template(call.path["name"], call.path["language"]))


def resolve_conversation(call: Call) -> Any:
    business = _business(call)
    conversation = _conversation(call, business)
    business.set_inbox_status(conversation, "resolved")
    return {"conversation": {"uuid": conversation.uuid}, "inbox_status": "resolved"}


def move_conversation_to_mailbox(call: Call) -> Any:
    business = _business(call)
    conversation = _conversation(call, business)
    mailbox = business.move_to_mailbox(conversation, call.body["mailbox"])
    return {"conversation": {"uuid": conversation.uuid}, "mailbox": {"uuid": mailbox.uuid, "name": mailbox.name}}


def get_scheduled_message(call: Call) -> Any:
    business = _business(call)
    identifier: Mapping[str, str] = {k: v for k, v in call.query.items() if k in ("uuid", "whatsapp_user_id", "phone")}
    if not identifier:
        raise errors.InvalidRequest("query: give uuid, whatsapp_user_id or phone")
    schedule = business.pending_schedule(business.conversation_by(identifier))
    return {"data": wire.schedule_json(schedule) if schedule else None}


def request_file_upload(call: Call) -> Any:
    business = _business(call)
    upload = business.reserve_upload(
        call.rng, call.now, call.body["filename"], call.body["mime_type"], call.body["size_bytes"]
    )
    return wire.file_ticket_json(upload, call.base_url)


def confirm_file_upload(call: Call) -> Any:
    return wire.file_confirmed_json(_business(call).confirm_upload(call.body["file_uuid"], call.now))


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
    "confirmFileUpload": confirm_file_upload,
}
