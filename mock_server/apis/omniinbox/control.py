"""The omni-inbox's control routes (`/__mock/omni-inbox/...`) and scenario effects: what a test does that no client
of AchieveApex can. A customer writes in (`inbound`: into a conversation by id, or a new one by phone or email on a
channel); the signed upload target of `POST /s3-url-signing` (`PUT s3/{key}`, its body limit the size the signing
announced) and the file URL of a conversation file (`GET s3/{key}`); `messaging_window: closed` closes every open
WhatsApp window (a scenario's `state:`).
`GET s3/{key}` serves the uploaded bytes with their `file_type` as content type, as the bucket would.
Every change is a state operation (`state.py`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mock_server.apis.omniinbox import state
from mock_server.apis.omniinbox.state import CHANNELS, AchieveApexStore, Organization, Record
from mock_server.apis.omniinbox.wire import iso_ms
from mock_server.engine.clock import MockClock
from mock_server.engine.scenarios import Effect, Target, Undo
from mock_server.engine.types import CONTROL_BODY_BYTES, ControlCall, ControlError, ControlRoute, FileReply

__all__ = ["CONTROL_ROUTES", "SCENARIO_EFFECTS", "file", "inbound", "upload", "upload_limit"]


# -- scenario effects ------------------------------------------------------------------------------------------------


def _close_windows(store: AchieveApexStore, value: Any, clock: MockClock, target: Target) -> Undo:
    if value != "closed":
        raise ValueError("messaging_window: only 'closed' is supported")
    closed_at = iso_ms(clock.now() - timedelta(seconds=1))
    changed: list[tuple[Record, str]] = []
    for org in store.organizations.values():
        if not target.has_tenant(org.id, org.key):
            continue
        for conversation in org.conversations.values():
            if not target.has_conversation(conversation["id"]) or not target.has_contact(
                *_contact_ids(org, conversation)
            ):
                continue
            expires = conversation["whatsapp_window_expires_at"]
            if expires is not None and expires > closed_at:
                changed.append((conversation, expires))
                conversation["whatsapp_window_expires_at"] = closed_at

    def undo() -> None:  # only where nothing reopened the window since
        for conversation, expires in changed:
            if conversation["whatsapp_window_expires_at"] == closed_at:
                conversation["whatsapp_window_expires_at"] = expires

    return undo


def _contact_ids(org: Organization, conversation: Record) -> tuple[Any, ...]:
    """What a scope may name a conversation's customer by: the contact's id, phone (with its country code) or
    email."""
    contact = org.contacts.get(conversation["contact_id"])
    if contact is None:
        return (conversation["contact_id"],)
    phone = f"{contact.get('phone_country_code') or ''}{contact.get('phone') or ''}" if contact.get("phone") else None
    return (contact["id"], phone, contact.get("phone"), contact.get("email"))


SCENARIO_EFFECTS: Mapping[str, Effect] = {"messaging_window": _close_windows}


# -- a customer writes in ----------------------------------------------------------------------------------------------


def _organization(store: AchieveApexStore, value: Any) -> Organization:
    if not _id_like(value):
        raise ControlError(400, f"organization_id: an organization's id or key, not {_shown(value)}")
    for org in store.organizations.values():
        if str(value) in (str(org.id), org.key):
            return org
    known = ", ".join(f"{o.id} ({o.key})" for o in store.organizations.values())
    raise ControlError(404, f"no organization {value!r}; known: {known}")


def _id_like(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _shown(value: Any) -> str:
    """A wrong value's JSON type, as a refusal names it."""
    return {list: "an array", dict: "an object", bool: "a boolean", float: "a number"}.get(type(value), repr(value))


def _texts(fields: Mapping[str, Any]) -> None:
    """The optional text fields are text (a contact stored with an array as its email would break every read)."""
    for name in ("channel", "phone", "email", "name"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise ControlError(400, f"{name}: a string, not {_shown(fields[name])}")
    if isinstance(fields.get("phone"), str) and not any(ch.isdigit() for ch in fields["phone"]):
        raise ControlError(400, "phone: a phone number, with its digits")


def _new_conversation(call: ControlCall, org: Organization) -> Record:
    """A new conversation on `channel` for the contact with this phone or email (a new contact if none has it)."""
    fields = call.fields
    channel = fields.get("channel")
    if channel not in CHANNELS:
        raise ControlError(400, f"channel: one of {', '.join(CHANNELS)} (with phone or email, for a new conversation)")
    phone, email = fields.get("phone"), fields.get("email")
    if not isinstance(phone, str) and not isinstance(email, str):
        raise ControlError(400, "send conversation_id, or channel with phone or email")
    digits = "".join(ch for ch in phone if ch.isdigit()) if isinstance(phone, str) else None
    now = call.clock.now()
    contact = next(
        (
            c
            for c in org.contacts.values()
            if c["deleted_at"] is None
            and (
                (digits and c["phone"] and "".join(ch for ch in c["phone"] if ch.isdigit()) == digits)
                or (email and (c["email"] or "").lower() == str(email).lower())
            )
        ),
        None,
    )
    if contact is None:
        name = str(fields.get("name") or "New Customer").split(" ", 1)
        body = {"first_name": name[0], "last_name": name[1] if len(name) > 1 else None, "email": email, "phone": digits}
        if channel == "whatsapp" and digits:
            body["channel_whatsapp_wa_id"] = digits
        contact = state.create_contact(call.store, org, body, None, now)
    return state.start_conversation(call.store, org, channel, contact, now)


def inbound(call: ControlCall) -> Any:
    """`{"organization_id", "conversation_id", "text"}`, or `{"organization_id", "channel", "phone"|"email",
    "name"?, "text"}` for a new conversation. WhatsApp's 24h window opens for a day; a closed one reopens."""
    if not isinstance(call.body, dict):
        raise ControlError(400, "send a JSON object: {organization_id, conversation_id, text}")
    fields = call.fields
    org = _organization(call.store, fields.get("organization_id", fields.get("organization", "456")))
    text = call.text("text")
    _texts(fields)
    if fields.get("conversation_id") is not None and not _id_like(fields["conversation_id"]):
        raise ControlError(400, f"conversation_id: a conversation's id, not {_shown(fields['conversation_id'])}")
    if fields.get("conversation_id") is not None:
        conversation = org.conversations.get(str(fields["conversation_id"]))
        if conversation is None or conversation["deleted_at"] is not None:
            raise ControlError(404, f"no conversation {fields['conversation_id']!r} in organization {org.id}")
    else:
        conversation = _new_conversation(call, org)
    message = state.add_message(call.store, org, conversation, call.clock.now(), direction="inbound", text=text)
    return 201, {"message": message, "conversation": conversation}


# -- the upload target and the file URL ------------------------------------------------------------------------------


def _upload_of(store: AchieveApexStore, key: str) -> tuple[Organization, Record] | None:
    for org in store.organizations.values():
        if key in org.uploads:
            return org, org.uploads[key]
    return None


def upload_limit(store: AchieveApexStore, path_params: Mapping[str, str]) -> int:
    """The signed URL takes the size its signing announced; an unknown key, the control API's usual limit."""
    found = _upload_of(store, path_params.get("key", ""))
    return int(found[1]["file_size"]) if found else CONTROL_BODY_BYTES


def upload(call: ControlCall) -> Any:
    """S3's side of a signed PUT: signature and expiry (mock clock) checked, the announced size compared."""
    key = call.path_params["key"]
    found = _upload_of(call.store, key)
    if found is None:
        raise ControlError(403, "SignatureDoesNotMatch: no such upload")
    org, _ = found
    try:
        kept = state.receive_upload(
            org, key, call.query.get("expires", ""), call.query.get("signature", ""), call.raw_body, call.clock.now()
        )
    except PermissionError as exc:
        raise ControlError(403, str(exc)) from None
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return {"key": key, "size": kept["uploaded_size"], "file_type": kept["file_type"]}


def file(call: ControlCall) -> Any:
    """What a conversation file's `url` serves: the uploaded bytes, with the type the signing announced."""
    key = call.path_params["key"]
    found = _upload_of(call.store, key)
    if found is None or found[1]["data"] is None:
        raise ControlError(404, f"NoSuchKey: {key}")
    return FileReply(base64.b64decode(found[1]["data"]), str(found[1]["file_type"]))


CONTROL_ROUTES = (
    ControlRoute("POST", "inbound", inbound),
    ControlRoute("PUT", "s3/{key}", upload, body_limit=upload_limit, client=True),
    ControlRoute("GET", "s3/{key}", file, client=True),
)
