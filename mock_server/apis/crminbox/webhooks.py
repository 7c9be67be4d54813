"""How a customer's message reaches a thread: Iron's webhook seams (`/webhooks/inbound-sms` from the telephony
engine, `/webhooks/inbound-email` from the cold-email engine) and the control API's inbound, one code path.

Iron's pages fix the seams' auth (a shared secret with the org in the body, or an installation token), that every
touchpoint is one activity deduplicated by `provider_message_id`, and that inbound email never fails: what it
cannot take is parked in a dead-letter table. The bodies' fields, a new contact for an unknown sender and an
archived thread coming back to the inbox are convomock design (specs/crm-inbox.yaml).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_server.apis.crminbox import errors, setter
from mock_server.apis.crminbox.calls import UUID_TEXT
from mock_server.apis.crminbox.state import Activity, CallDetails, Contact, Conversation, CrmStore, DeadLetter, Org
from mock_server.engine.clock import iso
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner
from mock_server.engine.types import Call, Handler, Reply
from mock_server.engine.validation import find_unencodable

__all__ = ["HANDLERS", "Landing", "Sender", "dead_letter_json", "plain_phone", "receipt", "receive"]

_PHONE_NOISE = re.compile(r"[\s().-]")


@dataclass(frozen=True)
class Landing:
    """Where a customer message landed: its thread, activity and contact; `created` False for a duplicate."""

    conversation: Conversation
    activity: Activity
    contact: Contact
    created: bool
    contact_created: bool
    suggestion: Activity | None


def plain_phone(value: str) -> str:
    """A phone number without the spaces, dashes, dots and brackets people write in it."""
    return _PHONE_NOISE.sub("", value)


@dataclass(frozen=True)
class Sender:
    """Who wrote in, as the seam knows them: a phone number (SMS, calls), an email address, and for a new contact
    a name (the control API's inbound may give all three; a webhook gives its channel's one)."""

    phone: str | None = None
    email: str | None = None
    name: str | None = None


def _contact(org: Org, channel: str, sender: Sender, rng: SeededRandom) -> tuple[Contact, bool]:
    """The org's contact with the sender's number or address (the channel's first: email for an email, else the
    phone); a sender known by neither becomes a contact, named by `name`, else the number or the address's local
    part."""
    phone = plain_phone(sender.phone) if sender.phone else None
    email = sender.email.strip() if sender.email else None
    by_phone = next((c for c in org.contacts.values() if phone and c.phone and plain_phone(c.phone) == phone), None)
    by_email = next(
        (c for c in org.contacts.values() if email and c.email and c.email.casefold() == email.casefold()), None
    )
    found = (by_email or by_phone) if channel == "email" else (by_phone or by_email)
    if found is not None:
        return found, False
    name = (sender.name or "").strip() or phone or (email.split("@")[0] if email else "") or email or ""
    contact = Contact(id=rng.uuid4(), name=name, phone=phone, email=email)
    org.contacts[contact.id] = contact
    return contact, True


def receive(
    org: Org,
    channel: str,
    text: str | None,
    rng: SeededRandom,
    now: datetime,
    jobs: JobRunner | None,
    *,
    sender: Sender | None = None,
    contact: Contact | None = None,
    conversation: Conversation | None = None,
    subject: str | None = None,
    provider_message_id: str | None = None,
    call: CallDetails | None = None,
) -> Landing:
    """A customer touchpoint (or a note) lands: deduplicated by provider id (before anything else changes), on the
    thread the caller names, or the contact's, or the sender's (a new contact and thread for an unknown sender), an
    archived thread back in the inbox, unread +1, and the setter's answer."""
    if provider_message_id is not None:
        seen = org.find_provider_message(provider_message_id)
        if seen is not None:
            thread = org.conversations[seen.conversation_id]
            return Landing(thread, seen, org.contacts[thread.contact_id], False, False, None)
    contact_created = False
    if conversation is None:
        if contact is None:
            contact, contact_created = _contact(org, channel, sender or Sender(), rng)
        conversation, _ = org.open_conversation(contact.id, rng, now, subject=subject, channel=channel)
    if conversation.archived:
        conversation.set_archived(False, now)
    activity, _ = org.receive(
        conversation, channel, text, rng, now, subject=subject, provider_message_id=provider_message_id, call=call
    )
    suggestion = setter.on_customer_message(org, conversation, activity, rng, now, jobs)
    contact = org.contacts[conversation.contact_id]
    return Landing(conversation, activity, contact, True, contact_created, suggestion)


def receipt(landing: Landing) -> dict[str, Any]:
    return {
        "status": "received" if landing.created else "duplicate",
        "conversation_id": landing.conversation.id,
        "activity_id": landing.activity.id,
        "contact_id": landing.contact.id,
        "contact_created": landing.contact_created,
    }


def receive_inbound_sms(call: Call) -> Any:
    store: CrmStore = call.store
    body = call.body
    org = store.orgs.get(body["org_id"].lower())
    if org is None:
        raise errors.NotFound(what="Organization")
    landing = receive(
        org,
        "sms",
        body["body"],
        call.rng,
        call.now,
        call.jobs,
        sender=Sender(phone=body["from"]),
        provider_message_id=body["provider_message_id"],
    )
    return receipt(landing)


class _Parked(Exception):
    """Why an inbound email cannot land (the dead letter's `error`)."""


def _email_fields(store: CrmStore, call: Call) -> tuple[Org, dict[str, Any]]:
    raw: bytes = call.body or b""
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        raise _Parked("body: not valid JSON") from None
    if find_unencodable(body) is not None:  # a lone UTF-16 surrogate escape: no text, and no state may hold it
        raise _Parked("body: not valid JSON")
    if not isinstance(body, dict):
        raise _Parked("body: a JSON object is required")
    if call.principal.tenant_id:  # an installation's token names the org
        org = store.orgs[call.principal.tenant_id]
    else:
        org_id = body.get("org_id")
        if not isinstance(org_id, str) or not UUID_TEXT.fullmatch(org_id):
            raise _Parked("org_id: a uuid is required with X-Iron-CRM-Secret")
        found = store.orgs.get(org_id.lower())
        if found is None:
            raise _Parked(f"org_id: no organization {org_id}")
        org = found
    for name in ("from", "text", "message_id"):
        if body.get(name) is None:
            raise _Parked(f"{name}: Field required")
        if not isinstance(body[name], str):
            raise _Parked(f"{name}: Input should be a valid string")
        if not body[name].strip():
            raise _Parked(f"{name}: String should have at least 1 character")
    if "@" not in body["from"]:
        raise _Parked("from: not an email address")
    for name in ("subject", "to", "in_reply_to"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise _Parked(f"{name}: Input should be a valid string")
    return org, body


def receive_inbound_email(call: Call) -> Any:
    """Never an error once authenticated: what cannot land is parked and answered 200 with the reason."""
    store: CrmStore = call.store
    org: Org | None = None
    try:
        org, body = _email_fields(store, call)
        subject = body.get("subject")
        landing = receive(
            org,
            "email",
            body["text"],
            call.rng,
            call.now,
            call.jobs,
            sender=Sender(email=body["from"]),
            subject=subject[:998] if subject else None,
            provider_message_id=body["message_id"][:255],
        )
        return receipt(landing)
    except Exception as exc:  # Iron's receiver never 500s: a failure of any kind is parked  # noqa: BLE001
        error = str(exc) if isinstance(exc, _Parked) else f"processing failed: {type(exc).__name__}"
        raw: bytes = call.body if isinstance(call.body, bytes) else b""
        letter = DeadLetter(
            id=call.rng.uuid4(),
            received_at=call.now,
            org_id=org.id if org is not None else (call.principal.tenant_id or None),
            payload=raw.decode("utf-8", errors="replace")[:65536],
            error=error,
        )
        store.dead_letters.append(letter)
        return Reply({"status": "dead_lettered", "dead_letter_id": letter.id, "error": letter.error})


def dead_letter_json(letter: DeadLetter) -> Mapping[str, Any]:
    """A parked email as `GET /__mock/crm-inbox/dead-letters` lists it."""
    return {
        "id": letter.id,
        "received_at": iso(letter.received_at),
        "org_id": letter.org_id,
        "payload": letter.payload,
        "error": letter.error,
    }


HANDLERS: Mapping[str, Handler] = {
    "receiveInboundSms": receive_inbound_sms,
    "receiveInboundEmail": receive_inbound_email,
}
