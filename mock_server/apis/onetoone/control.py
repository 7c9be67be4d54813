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
from mock_server.apis.onetoone.state import Business, Conversation, OneToOneStore, digits
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
    "inbound",
    "overview",
    "upload",
    "upload_limit",
]


# -- scenario effects: each changes state and returns how to undo it (only where nothing changed it since) ---------


def _set_balance(store: OneToOneStore, value: Any, clock: MockClock, target: Target) -> Undo:
    if target.conversation is not None or target.contact is not None:
        raise ValueError("ai_token_balance is a business's: scope it to a tenant or the whole API")
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


SCENARIO_EFFECTS: Mapping[str, Effect] = {
    "ai_token_balance": _set_balance,
    "messaging_window": _close_windows,
}


# -- control simulations -----------------------------------------------------------------------------------------


def _business_of(store: OneToOneStore, slug: Any) -> Business:
    if not isinstance(slug, str) or slug.lower() not in store.businesses:
        raise ControlError(404, f"no business with slug {slug!r}; known: {', '.join(store.businesses)}")
    return store.business(slug)


def inbound(call: ControlCall) -> Any:
    """A customer writes in: by conversation uuid, or by phone (a new number starts a new conversation)."""
    body = call.fields
    business = _business_of(call.store, body.get("slug"))
    text = call.text("body")
    now = call.clock.now()
    # Everything is checked before anything changes: a refused call leaves the due schedules unsent.
    conversation: Conversation | None = None
    if isinstance(body.get("conversation"), str):
        try:
            conversation = business.conversation(uuid=body["conversation"])
        except errors.OneToOneError as exc:
            raise ControlError(404, exc.message) from None
    elif isinstance(body.get("phone"), str) and 8 <= len(digits(body["phone"])) <= 15:
        try:
            conversation = business.conversation(phone=body["phone"])
        except errors.ConversationNotFound:
            conversation = None
    else:
        raise ControlError(400, "give conversation (a uuid) or phone (8 to 15 digits)")
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
