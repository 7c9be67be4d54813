"""The CRM inbox's control simulations under `/__mock/crm-inbox/`: a customer writes in (through the webhooks' code,
so the setter answers; a customer not yet a contact becomes one), tokens minted for any seeded user, the training
pairs the setter collected, the inbound emails parked as dead letters. They answer in our own plain shape
(ControlError), not the vendor's, and change state only through its operations. The setter's mode is the API's now
(`PUT /api/v1/agents/setter/config`). Also the scenario side: the state effects (`carrier: refuses`, carrier.py)
and `find_target`, which checks a scoped scenario's conversation or contact exists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mock_server.apis.crminbox import carrier, tokens, webhooks, wire
from mock_server.apis.crminbox.state import CALL_OUTCOMES, CallDetails, Contact, Conversation, CrmStore, Org
from mock_server.engine.scenarios import Effect, Target
from mock_server.engine.types import ControlCall, ControlError, ControlRoute

__all__ = ["CONTROL_ROUTES", "SCENARIO_EFFECTS", "find_target", "inbound"]

SCENARIO_EFFECTS: Mapping[str, Effect] = {"carrier": carrier.refuse}

_PHONE = re.compile(r"\+?[0-9]{8,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def find_target(store: CrmStore, target: Target) -> str | None:
    """What a scoped scenario names that the store does not hold (inside its tenant when it names one): the
    conversation by id, the contact by id, phone or email, or a conversation that is not the named contact's."""
    orgs = [org for org in store.orgs.values() if target.has_tenant(org.id, org.key)]
    where = "any org" if target.tenants is None else ", ".join(f"org {o.id}" for o in orgs) or "the tenant"
    threads = [c for org in orgs for c in org.conversations.values() if target.has_conversation(c.id)]
    if target.conversation is not None and not threads:
        return f"no conversation {target.conversation!r} in {where}"
    if target.contact is None:
        return None
    contacts = {c.id for org in orgs for c in org.contacts.values() if target.has_contact(c.id, c.phone, c.email)}
    if not contacts:
        return f"no contact {target.contact!r} (an id, phone or email) in {where}"
    if target.conversation is not None and not any(c.contact_id in contacts for c in threads):
        return f"conversation {target.conversation!r} is not contact {target.contact!r}'s"
    return None


def target_ids(store: CrmStore, target: Target) -> frozenset[str]:
    """Every id a request may name what the target covers by: each thread's id, its contact's id, phone and email."""
    return target.ids_of(
        (conversation.id, (conversation.contact_id, *_reach(org.contacts.get(conversation.contact_id))))
        for org in store.orgs.values()
        if target.has_tenant(org.id, org.key)
        for conversation in org.conversations.values()
    )


def _reach(contact: Contact | None) -> tuple[str | None, str | None]:
    return (contact.phone, contact.email) if contact is not None else (None, None)


def _org(store: CrmStore, value: Any) -> Org:
    """An org by its id or its fixture key (acme, globex); none given or an unknown one: 404, naming the known."""
    known = ", ".join(f"{o.id} ({o.key})" if o.key else o.id for o in store.orgs.values())
    if not isinstance(value, str) or not value.strip():
        raise ControlError(404, f"org: give an org's id or fixture key; known: {known}")
    wanted = value.strip().lower()
    found = next((o for o in store.orgs.values() if wanted in (o.id, (o.key or "").lower())), None)
    if found is None:
        raise ControlError(404, f"no org {value!r}; known: {known}")
    return found


def _call_details(body: Mapping[str, Any]) -> CallDetails:
    raw: dict[str, Any] = body["call"] if isinstance(body.get("call"), dict) else {}
    duration, outcome = raw.get("duration_seconds", 0), raw.get("outcome", "missed")
    if not isinstance(duration, int) or isinstance(duration, bool) or not 0 <= duration <= 86400:
        raise ControlError(400, "call.duration_seconds: whole seconds, 0 to 86400")
    if outcome not in CALL_OUTCOMES:
        raise ControlError(400, f"call.outcome: one of {', '.join(CALL_OUTCOMES)}")
    return CallDetails(
        duration_seconds=duration,
        recording_url=None,
        summary=str(raw.get("summary", "Missed call."))[:4096],
        outcome=outcome,
    )


def _sender(body: Mapping[str, Any], channel: str) -> webhooks.Sender:
    """A customer who may not be a contact yet: `phone` (8 to 15 digits; needed for sms and call), `email`
    (needed for email), `name` (for a new contact)."""
    phone, email, name = body.get("phone"), body.get("email"), body.get("name")
    if phone is not None and (not isinstance(phone, str) or not _PHONE.fullmatch(webhooks.plain_phone(phone))):
        raise ControlError(400, "phone: a phone number of 8 to 15 digits, e.g. +15551230077")
    if email is not None and (not isinstance(email, str) or len(email) > 254 or not _EMAIL.fullmatch(email.strip())):
        raise ControlError(400, "email: an email address of up to 254 characters, e.g. sam@example.com")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 200):
        raise ControlError(400, "name: the new contact's name, 1 to 200 characters")
    needed = "email" if channel == "email" else "phone"
    if channel != "note" and {"phone": phone, "email": email}[needed] is None:
        raise ControlError(
            400, f"a customer writing in by {channel}: give {needed}, or an existing contact or conversation"
        )
    if phone is None and email is None:
        raise ControlError(400, "give conversation, contact, or the customer's phone or email")
    return webhooks.Sender(phone=phone, email=email, name=name)


def _contact_of(org: Org, value: str) -> Contact:
    """A contact of the org named by its id, phone or email."""
    target = Target(contact=value)
    found = org.contacts.get(value.lower()) or next(
        (c for c in org.contacts.values() if target.has_contact(c.id, c.phone, c.email)), None
    )
    if found is None:
        raise ControlError(404, f"no contact {value!r} (an id, phone or email) in org {org.id}")
    return found


def _named_contact(org: Org, body: Mapping[str, Any]) -> Contact | None:
    """The contact a body's `conversation` or `contact` names (None when it names neither, or nothing known:
    `inbound` says why below)."""
    if isinstance(body.get("conversation"), str):
        conversation = org.conversations.get(body["conversation"].lower())
        return org.contacts.get(conversation.contact_id) if conversation is not None else None
    if body.get("conversation") is None and isinstance(body.get("contact"), str):
        try:
            return _contact_of(org, body["contact"])
        except ControlError:
            return None
    return None


def inbound(call: ControlCall) -> Any:
    """A customer touchpoint, the body:

        {"org": <org id or fixture key>, "channel": "sms" | "email" | "call" | "note" (default sms; for a known
         contact sms when they have a phone, else email),
         "body": <text; optional for a call>, "subject"?, "provider_message_id"?,
         "call"?: {"duration_seconds", "outcome", "summary"},
         and where it lands, the first given of:
         "conversation": <thread id>, "contact": <contact id, phone or email>,
         "phone" / "email" (+ "name"): the customer, a contact or not yet}

    A customer not yet a contact (by `phone` for sms and call, `email` for email) becomes one (named `name`, else
    the number or the address) with a thread; one already known by that phone or email lands in their thread. It
    lands as the webhooks land theirs (webhooks.receive: dedupe by provider id first, an archived thread back in
    the inbox, unread +1, the setter's draft or autopilot answer, the lead in the setter's queue). Everything is
    checked before anything changes. 201 when it landed, 200 for a duplicate provider id."""
    body = call.fields
    org = _org(call.store, body.get("org"))
    channel = body.get("channel", "sms")
    if channel not in ("sms", "email", "call", "note"):
        raise ControlError(400, "channel: sms, email, call or note")
    known = _named_contact(org, body)
    if known is not None:
        # A known customer writes by sms when they have a number, else by email, unless the body says (convomock
        # design); a channel they have no address for is refused.
        channel = body.get("channel", "sms" if known.phone else "email")
        needed = {"sms": known.phone, "email": known.email}.get(channel, True)  # a call's log needs neither
        if not needed:
            what = "email address" if channel == "email" else "phone number"  # sms
            raise ControlError(400, f"channel: contact {known.id} has no {what} to write by {channel} from")
    text = call.text("body") if channel != "call" else body.get("body")
    for name in ("body", "subject", "provider_message_id"):
        if body.get(name) is not None and (not isinstance(body[name], str) or len(body[name]) > 4096):
            raise ControlError(400, f"{name}: a string of up to 4096 characters")
    details = _call_details(body) if channel == "call" else None
    conversation: Conversation | None = None
    contact: Contact | None = None
    sender: webhooks.Sender | None = None
    if body.get("conversation") is not None:
        if not isinstance(body["conversation"], str):
            raise ControlError(400, "conversation: a conversation id")
        conversation = org.conversations.get(body["conversation"].lower())
        if conversation is None:
            raise ControlError(404, f"no conversation {body['conversation']!r} in org {org.id}")
    elif body.get("contact") is not None:
        if not isinstance(body["contact"], str):
            raise ControlError(400, "contact: a contact's id, phone or email")
        contact = _contact_of(org, body["contact"])
        conversation = org.conversation_of(contact.id)
    else:
        sender = _sender(body, channel)
    landing = webhooks.receive(
        org,
        channel,
        text if isinstance(text, str) else None,
        call.rng,
        call.clock.now(),
        call.jobs,
        sender=sender,
        contact=contact,
        conversation=conversation,
        subject=body.get("subject"),
        provider_message_id=body.get("provider_message_id"),
        call=details,
    )
    pending = landing.conversation.pending_suggestion()
    return 201 if landing.created else 200, {
        "conversation_id": landing.conversation.id,
        "created": landing.created,
        "contact": wire.contact_json(landing.contact),
        "contact_created": landing.contact_created,
        "activity": wire.activity_json(org, landing.activity),
        "suggestion": wire.activity_json(org, pending) if pending else None,
    }


def mint_token(call: ControlCall) -> Any:
    """`{"user": <uuid or email>, "expires_in": seconds, "aud"?}`: a Supabase access token for a seeded staff member,
    issued now on the mock clock (Supabase's token-response shape, without a refresh token)."""
    body = call.fields
    wanted = body.get("user")
    user = next(
        (u for u in call.store.users.values() if isinstance(wanted, str) and wanted.lower() in (u.id, u.email.lower())),
        None,
    )
    if user is None:
        known = ", ".join(u.email for u in call.store.users.values())
        raise ControlError(404, f"no user {wanted!r}; give a user id or email: {known}")
    expires_in = body.get("expires_in", 3600)
    if not isinstance(expires_in, int) or isinstance(expires_in, bool) or not 1 <= expires_in <= 315_360_000:
        raise ControlError(400, "expires_in: seconds, 1 to 315360000 (default 3600)")
    audience = body.get("aud", tokens.AUDIENCE)
    if not isinstance(audience, str) or not audience:
        raise ControlError(400, "aud: a string (default authenticated)")
    now = call.clock.now()
    token = tokens.mint(
        call.store.jwt_secret,
        user.id,
        user.email,
        user.name,
        now,
        timedelta(seconds=expires_in),
        call.rng.uuid4(),
        audience=audience,
    )
    return 201, {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "expires_at": int(now.timestamp()) + expires_in,
        "user": {"id": user.id, "email": user.email},
    }


def training_pairs(call: ControlCall) -> Any:
    org = _org(call.store, call.query.get("org"))
    return {"org": org.id, "items": [wire.training_pair_json(p) for p in org.training_pairs]}


def dead_letters(call: ControlCall) -> Any:
    """The inbound emails parked in the dead-letter table, oldest first (`?org=` for one org's)."""
    wanted = call.query.get("org")
    letters = [d for d in call.store.dead_letters if wanted is None or d.org_id == wanted]
    return {"items": [webhooks.dead_letter_json(d) for d in letters]}


CONTROL_ROUTES = (
    ControlRoute("POST", "inbound", inbound),
    ControlRoute("GET", "training-pairs", training_pairs),
    ControlRoute("POST", "tokens", mint_token),
    ControlRoute("GET", "dead-letters", dead_letters),
)
