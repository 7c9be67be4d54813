"""The CRM inbox's control simulations under `/__mock/crm-inbox/`: a customer writes in (through the webhooks' code,
so the setter answers), tokens minted for any seeded user, the training pairs the setter collected, the inbound
emails parked as dead letters. They answer in our own plain shape (ControlError), not the vendor's, and change
state only through its operations. The setter's mode is the API's now (`PUT /api/v1/agents/setter/config`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mock_server.apis.crminbox import tokens, webhooks, wire
from mock_server.apis.crminbox.state import CALL_OUTCOMES, CallDetails, CrmStore, Org
from mock_server.engine.types import ControlCall, ControlError, ControlRoute

__all__ = ["CONTROL_ROUTES"]


def _org(store: CrmStore, org_id: Any) -> Org:
    if not isinstance(org_id, str) or org_id not in store.orgs:
        raise ControlError(404, f"no org {org_id!r}; known: {', '.join(store.orgs)}")
    return store.orgs[org_id]


def inbound(call: ControlCall) -> Any:
    """A customer touchpoint: `{"org", "contact" or "conversation", "channel", "body"}` (+ subject, provider_message_id,
    call {duration_seconds, outcome, summary}). It lands as the webhooks land theirs (webhooks.receive: dedupe,
    an archived thread back in the inbox, the setter's answer)."""
    body = call.fields
    org = _org(call.store, body.get("org"))
    channel = body.get("channel", "sms")
    if channel not in ("sms", "email", "call", "note"):
        raise ControlError(400, "channel is sms, email, call or note")
    text = call.text("body") if channel != "call" else body.get("body")
    for name in ("body", "subject", "provider_message_id"):
        if body.get(name) is not None and (not isinstance(body[name], str) or len(body[name]) > 4096):
            raise ControlError(400, f"{name}: a string of up to 4096 characters")
    details = None
    if channel == "call":
        raw: dict[str, Any] = body["call"] if isinstance(body.get("call"), dict) else {}
        duration, outcome = raw.get("duration_seconds", 0), raw.get("outcome", "missed")
        if not isinstance(duration, int) or isinstance(duration, bool) or not 0 <= duration <= 86400:
            raise ControlError(400, "call.duration_seconds: whole seconds, 0 to 86400")
        if outcome not in CALL_OUTCOMES:
            raise ControlError(400, f"call.outcome: one of {', '.join(CALL_OUTCOMES)}")
        details = CallDetails(
            duration_seconds=duration,
            recording_url=None,
            summary=str(raw.get("summary", "Missed call."))[:4096],
            outcome=outcome,
        )
    conversation, contact = None, None
    if isinstance(body.get("conversation"), str):
        conversation = org.conversations.get(body["conversation"].lower())
        if conversation is None:
            raise ControlError(404, f"no conversation {body['conversation']} in org {org.id}")
    else:
        contact_id = body.get("contact")
        if not isinstance(contact_id, str) or contact_id.lower() not in org.contacts:
            raise ControlError(404, f"give an existing contact or conversation of org {org.id}")
        contact = org.contacts[contact_id.lower()]
        conversation = org.conversation_of(contact.id)
    landing = webhooks.receive(
        org,
        channel,
        text if isinstance(text, str) else None,
        call.rng,
        call.clock.now(),
        call.jobs,
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
