"""1TO1 AI's control routes (`/__mock/1to1ai/...`) and scenario effects: what a test does that no client of the
real API can, such as a customer writing in, reading the activity log an action group leaves, or the upload target.

These routes read their input and answer in the control API's own plain shape; every change they make is a state
operation (state.py), the same one the public API would run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mock_server.apis.onetoone import errors
from mock_server.apis.onetoone.state import Business, Contact, Conversation, OneToOneStore, RuleScope, digits
from mock_server.apis.onetoone.wire import message_json
from mock_server.engine.clock import MockClock, iso
from mock_server.engine.scenarios import Effect, Target, Undo
from mock_server.engine.types import CONTROL_BODY_BYTES, ControlCall, ControlError, ControlRoute

MAX_UPLOAD_BYTES = 104_857_600  # the docs' size_bytes maximum (100 MiB)

__all__ = [
    "CONTROL_ROUTES",
    "MAX_UPLOAD_BYTES",
    "SCENARIO_EFFECTS",
    "activity",
    "find_target",
    "inbound",
    "overview",
    "upload",
    "upload_limit",
]


# -- scenario effects: each changes state and returns how to undo it (only where nothing changed it since) ---------


def _business_wide(effect: str, target: Target) -> None:
    if target.conversation is not None or target.contact is not None:
        raise ValueError(f"{effect} is a business's: scope it to a tenant or the whole API")


def _set_balance(store: OneToOneStore, value: Any, clock: MockClock, target: Target) -> Undo:
    _business_wide("ai_token_balance", target)
    balance = int(value)
    before = store.set_ai_token_balances(balance, target)
    return lambda: store.restore_ai_token_balances(before, balance)


def _close_windows(store: OneToOneStore, value: Any, clock: MockClock, target: Target) -> Undo:
    if value != "closed":
        raise ValueError("messaging_window: only 'closed' is supported")
    now = clock.now()
    closed_at = now - timedelta(seconds=1)
    changed = store.close_windows(now, closed_at, target)
    return lambda: store.reopen_windows(changed, closed_at)


def _fail_sends(store: OneToOneStore, value: Any, clock: MockClock, target: Target) -> Undo:
    """`send_outcome: failed`: Meta refuses every text, media, quick-reply and template send the target covers,
    direct or in an action group: the message is stored as failed and the send answers 502 SEND_FAILED (an action
    is recorded failed with that code). A conversation that starts later inside the target is covered too."""
    if value != "failed":
        raise ValueError("send_outcome: only 'failed' is supported")
    added = store.add_rules(lambda business: business.send_failures, target)
    return lambda: store.remove_rules(added, RuleScope.of(target))


def _reject_templates(store: OneToOneStore, value: Any, clock: MockClock, target: Target) -> Undo:
    """`template_delivery: rejected`: template sends the target covers are accepted as usual, and Meta rejects
    each a moment later (state.REJECTION_DELAY, a background job): see delivery.py."""
    if value != "rejected":
        raise ValueError("template_delivery: only 'rejected' is supported")
    added = store.add_rules(lambda business: business.template_rejections, target)
    return lambda: store.remove_rules(added, RuleScope.of(target))


def _run_out_of_ai_tokens(store: OneToOneStore, value: Any, clock: MockClock, target: Target) -> Undo:
    """`ai_tokens_run_out_after: N`: each business the target covers has tokens for N more AI actions; the next
    one finds the balance gone (see Business.start_ai_action)."""
    _business_wide("ai_tokens_run_out_after", target)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"ai_tokens_run_out_after: a number of AI actions, 0 or more (not {value!r})")
    added = store.add_ai_run_outs(value, target)
    return lambda: store.remove_ai_run_outs(added)


SCENARIO_EFFECTS: Mapping[str, Effect] = {
    "ai_token_balance": _set_balance,
    "ai_tokens_run_out_after": _run_out_of_ai_tokens,
    "messaging_window": _close_windows,
    "send_outcome": _fail_sends,
    "template_delivery": _reject_templates,
}


def find_target(store: OneToOneStore, target: Target) -> str | None:
    """The scope's conversation (a uuid) and contact (a uuid, phone or BSUID), each in a business of the target:
    one line naming what is missing, else None."""
    businesses = store.businesses_in(target)
    where = (", ".join(b.slug for b in businesses) or "that tenant") if target.tenants is not None else "any business"
    if target.conversation is not None and not any(
        target.has_conversation(uuid) for business in businesses for uuid in business.conversations
    ):
        return f"no conversation {target.conversation!r} in {where}"
    if target.contact is not None and not any(
        target.has_contact(contact.uuid, contact.phone, contact.whatsapp_user_id)
        for business in businesses
        for contact in business.contacts.values()
    ):
        return f"no contact {target.contact!r} (by uuid, phone or BSUID) in {where}"
    return None


def target_ids(store: OneToOneStore, target: Target) -> frozenset[str]:
    """Every id a request may name what the target covers by: each conversation's uuid, its contact's uuid, phone
    and BSUID."""

    def reach(contact: Contact | None) -> tuple[str | None, str | None]:
        return (contact.phone, contact.whatsapp_user_id) if contact is not None else (None, None)

    return target.ids_of(
        (conversation.uuid, (conversation.contact_uuid, *reach(business.contacts.get(conversation.contact_uuid))))
        for business in store.businesses_in(target)
        for conversation in business.conversations.values()
    )


# -- control simulations -----------------------------------------------------------------------------------------


def _business_of(store: OneToOneStore, slug: Any) -> Business:
    known = ", ".join(store.businesses)
    if not isinstance(slug, str) or not slug:  # 404 as for an unknown slug: no business is named
        raise ControlError(404, f"slug: name a business by its slug (known: {known})")
    if slug.lower() not in store.businesses:
        raise ControlError(404, f"no business with slug {slug!r}; known: {known}")
    return store.business(slug)


def inbound(call: ControlCall) -> Any:
    """A customer writes in over WhatsApp. The body:

        {"slug": "acme", "body": "<1 to 4096 characters>",
         "conversation": "<uuid>"                         # an existing conversation, or
         "phone": "+52 1 55 1234 5678",                   # any number (8 to 15 digits)
         "profile_name": "Mary G"}                        # optional: the WhatsApp profile name of a new contact

    `conversation` wins when both are given. A number the business knows (compared as digits) lands in its
    contact's conversation (200); a number it has never heard from becomes a new contact with its conversation in
    the first mailbox (201). Either way the customer's message opens or resets the 24h window, adds to the unread
    count and makes a resolved conversation pending again; schedules that were due go out first. 1TO1 AI's AI
    employees answer only when an action group runs them (`run_ai`), for a new contact as for a known one."""
    body = call.fields
    business = _business_of(call.store, body.get("slug"))
    text = call.text("body")
    now = call.clock.now()
    # Everything is checked before anything changes: a refused call leaves the due schedules unsent.
    conversation: Conversation | None = None
    given, phone = body.get("conversation"), body.get("phone")
    if given is not None:
        if not isinstance(given, str) or not given:
            raise ControlError(400, "conversation: a conversation uuid (or give phone instead)")
        try:
            conversation = business.conversation(uuid=given)
        except errors.OneToOneError as exc:
            raise ControlError(404, exc.message) from None
    elif phone is None:
        raise ControlError(400, "give conversation (a uuid) or phone (8 to 15 digits)")
    elif not isinstance(phone, str):
        raise ControlError(400, 'phone: text, such as "+5215512345678"')
    elif not 8 <= len(digits(phone)) <= 15:
        raise ControlError(400, f"phone: {phone[:40]!r} has {len(digits(phone))} digits; a number has 8 to 15")
    else:
        try:
            conversation = business.conversation(phone=phone)
        except errors.ConversationNotFound:
            conversation = None
    business.fire_due_schedules(call.rng, now)  # what was due before the customer wrote goes out first
    created = conversation is None
    if conversation is None:
        profile_name = body.get("profile_name")
        name = profile_name if isinstance(profile_name, str) and profile_name.strip() else None
        # Read again: the contact is stamped when it is made (on a running clock, a moment after `now`).
        conversation = business.open_conversation(call.rng, call.clock.now(), digits(body["phone"]), name)
    message = business.add_inbound(conversation, call.rng, now, text)
    return 201 if created else 200, {
        "conversation_uuid": conversation.uuid,
        "created": created,
        "message": message_json(message),
        "messaging_window_expires_at": iso(conversation.window_expires_at) if conversation.window_expires_at else None,
    }


def activity(call: ControlCall) -> Any:
    """The business's activity log, oldest first (its newest 10,000 entries); filter by conversation or group."""
    business = _business_of(call.store, call.query.get("slug"))
    items = [
        e
        for e in business.activity
        if call.query.get("conversation") in (None, e.conversation_uuid)
        and call.query.get("group") in (None, e.group_uuid)
    ]
    return {
        "slug": business.slug,
        "ai_token_balance": business.ai_token_balance,
        "items": [
            {
                "uuid": e.uuid,
                "at": iso(e.at),
                "group_uuid": e.group_uuid,
                "conversation_uuid": e.conversation_uuid,
                "index": e.index,
                "type": e.type,
                "status": e.status,
                "code": e.code,
                "message": e.message,
                "detail": e.detail,
            }
            for e in items
        ],
    }


def overview(call: ControlCall) -> Any:
    """Each business at a glance, for the dashboard: its AI token balance (no public endpoint tells it), how many
    conversations it has and how many of their 24h windows are open on the mock clock."""
    now = call.clock.now()
    return {
        "businesses": [
            {
                "slug": b.slug,
                "name": b.name,
                "ai_token_balance": b.ai_token_balance,
                "conversations": len(b.conversations),
                "open_windows": sum(1 for c in b.conversations.values() if c.window_open(now)),
                "ai_employees": [e.name for e in b.ai_employees],
            }
            for b in call.store.businesses.values()
        ]
    }


def upload_limit(store: OneToOneStore, path_params: Mapping[str, str]) -> int:
    """The upload URL of a reservation takes up to the docs' 100 MiB (the size is compared at /files/confirm); an
    unknown one, the control API's usual limit (the handler answers 404)."""
    reserved = store.upload(path_params.get("file_uuid", ""))
    return MAX_UPLOAD_BYTES if reserved is not None else CONTROL_BODY_BYTES


def upload(call: ControlCall) -> Any:
    """The `upload_url` of request-upload: takes the bytes with the reservation's token (`?token=`, as the URL
    carries it). Their size is checked when the client confirms the file, as the docs' "re-validated at /confirm"
    says, so a wrong size can be PUT again until the URL expires."""
    file_uuid = call.path_params["file_uuid"].lower()
    upload_file = call.store.upload(file_uuid)
    if upload_file is None:
        raise ControlError(404, f"no pending upload {file_uuid}")
    if call.query.get("token") != upload_file.upload_token:
        raise ControlError(403, "missing or wrong token: PUT to the upload_url as given (it carries ?token=)")
    if call.clock.now() > upload_file.expires_at:
        raise ControlError(410, "the upload URL has expired; request a new one")
    if upload_file.confirmed_at is not None:
        raise ControlError(409, "the file is already confirmed; its bytes can no longer change")
    call.store.receive_upload(upload_file, len(call.raw_body))
    return {"file_uuid": upload_file.uuid, "uploaded_bytes": upload_file.uploaded_bytes}


CONTROL_ROUTES = (
    ControlRoute("POST", "inbound", inbound),
    ControlRoute("GET", "activity", activity),
    ControlRoute("GET", "overview", overview),
    ControlRoute("PUT", "uploads/{file_uuid}", upload, body_limit=upload_limit, client=True),
)
