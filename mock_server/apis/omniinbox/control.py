"""The omni-inbox's control routes (`/__mock/omni-inbox/...`) and scenario effects: what a test does that no client
of AchieveApex can. A customer writes in (`inbound`: into a conversation by id, or by phone or email on a channel:
a known customer's conversation of that channel, else a new one, with a new contact for a stranger); the signed
upload target of `POST /s3-url-signing` (`PUT s3/{key}`, its body limit the size the signing announced) and the
file URL of a conversation file (`GET s3/{key}`). A scenario's `state:` may close WhatsApp windows
(`messaging_window: closed`) or make outbound WhatsApp messages fail after acceptance (`whatsapp_delivery: failed`,
see `delivery.py`), each inside the scenario's target (`find_target` checks a scope's conversation and contact).
`GET s3/{key}` serves the uploaded bytes with their `file_type` as content type, as the bucket would.
Every change is a state operation (`state.py`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mock_server.apis.omniinbox import state
from mock_server.apis.omniinbox.state import CHANNELS, AchieveApexStore, Organization, Record
from mock_server.apis.omniinbox.wire import iso_ms
from mock_server.engine.clock import MockClock
from mock_server.engine.scenarios import Effect, Target, Undo
from mock_server.engine.types import CONTROL_BODY_BYTES, ControlCall, ControlError, ControlRoute, FileReply

__all__ = ["CONTROL_ROUTES", "SCENARIO_EFFECTS", "file", "find_target", "inbound", "upload", "upload_limit"]


# -- scenario effects ------------------------------------------------------------------------------------------------


def _covered(store: AchieveApexStore, target: Target) -> list[Organization]:
    return [org for org in store.organizations.values() if target.has_tenant(org.id, org.key)]


def _live(records: Mapping[str, Record]) -> list[Record]:
    return [record for record in records.values() if record.get("deleted_at") is None]


def find_target(store: AchieveApexStore, target: Target) -> str | None:
    """A scope's conversation (by id) and contact (by id, phone or email) must be live records of its organizations
    (every organization without a tenant); one line naming what is missing, else None."""
    orgs = _covered(store, target)
    where = ", ".join(f"organization {org.id}" for org in orgs) if target.tenants is not None else "any organization"
    conversations = [(org, c) for org in orgs for c in _live(org.conversations) if target.has_conversation(c["id"])]
    if target.conversation is not None and not conversations:
        return f"no conversation {target.conversation!r} in {where or 'this tenant'}"
    contacts = [c for org in orgs for c in _live(org.contacts) if target.has_contact(*state.contact_names(c))]
    if target.contact is not None and not contacts:
        return f"no contact {target.contact!r} (by id, phone or email) in {where or 'this tenant'}"
    theirs = any(target.has_contact(*state.contact_ids(org, c)) for org, c in conversations)
    if target.conversation is not None and target.contact is not None and not theirs:
        return f"conversation {target.conversation!r} is not a conversation of contact {target.contact!r}"
    return None


def target_ids(store: AchieveApexStore, target: Target) -> frozenset[str]:
    """Every id a request may name what the target covers by: each conversation's id and its contact's ids."""
    return target.ids_of(
        (conversation["id"], tuple(state.contact_ids(org, conversation)))
        for org in _covered(store, target)
        for conversation in _live(org.conversations)
    )


def _close_windows(store: AchieveApexStore, value: Any, clock: MockClock, target: Target) -> Undo:
    if value != "closed":
        raise ValueError("messaging_window: only 'closed' is supported")
    closed_at = iso_ms(clock.now() - timedelta(seconds=1))
    changed: list[tuple[Record, str]] = []
    for org in _covered(store, target):
        for conversation in org.conversations.values():
            if not target.has_conversation(conversation["id"]) or not target.has_contact(
                *state.contact_ids(org, conversation)
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


def _fail_whatsapp(store: AchieveApexStore, value: Any, clock: MockClock, target: Target) -> Undo:
    """`whatsapp_delivery: failed`: from now on, outbound WhatsApp messages of the conversations the target covers
    (new ones too: a stranger writing in to a covered organization) are accepted and then fail (`delivery.py`).
    Switching it off lets the messages sent afterwards go through; those that failed stay failed."""
    if value != "failed":
        raise ValueError(f"whatsapp_delivery: only 'failed' is supported, not {json.dumps(value)}")
    orgs = _covered(store, target)
    if target.conversation is not None and not any(
        c["channel"] == "whatsapp" and target.has_conversation(c["id"])
        for org in orgs
        for c in _live(org.conversations)
    ):
        raise ValueError(f"whatsapp_delivery: conversation {target.conversation!r} is not a WhatsApp conversation")
    added: list[tuple[Organization, Record]] = []
    for org in orgs:
        rule: Record = {"conversation": target.conversation, "contact": target.contact, "key": target.key}
        org.failing_whatsapp.append(rule)
        added.append((org, rule))

    def undo() -> None:  # only the rules this switching-on added (another scenario's equal rule stays)
        for org, rule in added:
            org.failing_whatsapp[:] = [kept for kept in org.failing_whatsapp if kept is not rule]

    return undo


def drop_rules(store: AchieveApexStore, key: str) -> None:
    """Every failing-WhatsApp rule the switching-on `key` added (after a restore)."""
    for org in store.organizations.values():
        org.failing_whatsapp[:] = [rule for rule in org.failing_whatsapp if rule.get("key") != key]


SCENARIO_EFFECTS: Mapping[str, Effect] = {"messaging_window": _close_windows, "whatsapp_delivery": _fail_whatsapp}


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
    """A wrong value as a refusal names it: its JSON type, or the JSON text of a scalar (`null`, never `None`)."""
    kinds = {list: "an array", dict: "an object", bool: "a boolean", float: "a number"}
    return kinds.get(type(value)) or json.dumps(value)


def _texts(fields: Mapping[str, Any]) -> None:
    """The optional text fields are text (a contact stored with an array as its email would break every read)."""
    for name in ("channel", "phone", "email", "name"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise ControlError(400, f"{name}: a string, not {_shown(fields[name])}")
    if isinstance(fields.get("phone"), str) and not any(ch.isdigit() for ch in fields["phone"]):
        raise ControlError(400, "phone: a phone number, with its digits")
    if isinstance(fields.get("email"), str) and "@" not in fields["email"].strip()[1:-1]:
        raise ControlError(400, f"email: an email address such as ana@example.com, not {_shown(fields['email'])}")


def _customer(call: ControlCall, org: Organization) -> tuple[Record, Record]:
    """The contact writing in by phone or email on `channel`, and the conversation their message lands in: a known
    customer's latest conversation of that channel (a new one if they have none there); a stranger becomes a new
    contact (convomock design: `first_name`/`last_name` from `name`, default New/Customer; the phone kept as its
    digits, on WhatsApp also as `channel_whatsapp_wa_id`; no country code is guessed)."""
    fields = call.fields
    phone, email = fields.get("phone"), fields.get("email")
    if phone is None and email is None:
        raise ControlError(400, "send conversation_id, or channel with phone or email (a customer writing in)")
    channel = fields.get("channel")
    if channel not in CHANNELS:
        given = "missing" if "channel" not in fields else f"not {_shown(channel)}"
        raise ControlError(400, f"channel: one of {', '.join(CHANNELS)} with phone or email ({given})")
    if channel in ("whatsapp", "sms") and phone is None:
        raise ControlError(400, f"phone: required for a customer writing in on {channel}")
    now = call.clock.now()
    contact = state.find_customer(org, phone, email)
    if contact is None:
        first, _, last = (" ".join(str(fields.get("name") or "").split()) or "New Customer").partition(" ")
        digits = "".join(ch for ch in phone if ch.isdigit()) if phone else None
        body = {"first_name": first, "last_name": last or None, "email": email, "phone": digits}
        if channel == "whatsapp":
            body["channel_whatsapp_wa_id"] = digits
        contact = state.create_contact(call.store, org, body, None, now)
    conversation = state.customer_conversation(org, contact, channel)
    if conversation is None:
        conversation = state.start_conversation(call.store, org, channel, contact, now)
    return contact, conversation


def inbound(call: ControlCall) -> Any:
    """A customer message. The body, a JSON object:

    - `organization_id` (number or text; the organization's id or fixture key, default 456) and `text` (1 to 4096
      characters), with either
    - `conversation_id`: the message lands in that conversation; or
    - `channel` (whatsapp, instagram, messenger, webchat, sms, playground) with `phone` and/or `email` (and an
      optional `name`, "First Last"): the customer known by that phone (its digits, with or without the country
      code) or email writes into their latest conversation of that channel, or a new one; a customer no contact
      has becomes a new contact first. WhatsApp and SMS need `phone`.

    What follows is what any customer message does: the conversation is open, `unread_count` grows by one,
    `waiting_response` is true and WhatsApp's 24h window opens for a day (a closed one reopens). Answers 201
    `{message, conversation, contact}` (`contact` null for a conversation without one); a refusal names the field
    and changes nothing."""
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
            raise ControlError(404, f"no conversation {_shown(fields['conversation_id'])} in organization {org.id}")
        contact = org.contacts.get(str(conversation["contact_id"]))
    else:
        contact, conversation = _customer(call, org)
    message = state.add_message(call.store, org, conversation, call.clock.now(), direction="inbound", text=text)
    return 201, {"message": message, "conversation": conversation, "contact": contact}


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
