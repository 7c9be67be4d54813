"""The CRM inbox's control simulations under `/__mock/crm-inbox/`: a customer writes in (and the setter drafts a
reply), the setter's mode, the training pairs it has collected. They answer in our own plain shape (ControlError),
not the vendor's, and change state only through its operations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mock_server.apis.crminbox import setter, tokens, wire
from mock_server.apis.crminbox.state import SETTER_MODES, CallDetails, Conversation, CrmStore, Org
from mock_server.engine.types import ControlCall, ControlError, ControlRoute

__all__ = ["CONTROL_ROUTES"]


def _org(store: CrmStore, org_id: Any) -> Org:
    if not isinstance(org_id, str) or org_id not in store.orgs:
        raise ControlError(404, f"no org {org_id!r}; known: {', '.join(store.orgs)}")
    return store.orgs[org_id]


def _thread(org: Org, call: ControlCall, body: dict[str, Any]) -> Conversation:
    """The conversation named, or the contact's (opened on SMS when they have none yet)."""
    if isinstance(body.get("conversation"), str):
        found = org.conversations.get(body["conversation"].lower())
        if found is None:
            raise ControlError(404, f"no conversation {body['conversation']} in org {org.id}")
        return found
    contact_id = body.get("contact")
    if not isinstance(contact_id, str) or contact_id.lower() not in org.contacts:
        raise ControlError(404, f"give an existing contact or conversation of org {org.id}")
    conversation, _ = org.open_conversation(contact_id.lower(), call.rng, call.clock.now())
    return conversation


def inbound(call: ControlCall) -> Any:
    """A customer touchpoint: `{"org", "contact" or "conversation", "channel", "body"}` (+ subject, provider_message_id,
    call {duration_seconds, outcome, summary}); the setter drafts a reply in suggestive mode."""
    body = call.body if isinstance(call.body, dict) else {}
    org = _org(call.store, body.get("org"))
    channel = body.get("channel", "sms")
    if channel not in ("sms", "email", "call", "note"):
        raise ControlError(400, "channel is sms, email, call or note")
    text = call.text("body") if channel != "call" else body.get("body")
    details = None
    if channel == "call":
        raw: dict[str, Any] = body["call"] if isinstance(body.get("call"), dict) else {}
        details = CallDetails(
            duration_seconds=int(raw.get("duration_seconds", 0)),
            recording_url=None,
            summary=str(raw.get("summary", "Missed call.")),
            outcome=str(raw.get("outcome", "missed")),
        )
    conversation = _thread(org, call, body)
    now = call.clock.now()
    activity, created = org.receive(
        conversation,
        channel,
        text if isinstance(text, str) else None,
        call.rng,
        now,
        subject=body.get("subject"),
        provider_message_id=body.get("provider_message_id"),
        call=details,
    )
    if created:  # a message seen before (same provider_message_id) gets no second draft
        setter.draft_reply(org, conversation, activity, call.rng, now)
    pending = conversation.pending_suggestion()
    return 201 if created else 200, {
        "conversation_id": conversation.id,
        "created": created,
        "activity": wire.activity_json(org, activity),
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


def setter_mode(call: ControlCall) -> Any:
    body = call.body if isinstance(call.body, dict) else {}
    org = _org(call.store, body.get("org"))
    if body.get("mode") not in SETTER_MODES:
        raise ControlError(400, "mode is off or suggestive")
    org.setter.response_mode = body["mode"]
    return {"org": org.id, "mode": org.setter_mode}


CONTROL_ROUTES = (
    ControlRoute("POST", "inbound", inbound),
    ControlRoute("GET", "training-pairs", training_pairs),
    ControlRoute("POST", "tokens", mint_token),
    ControlRoute("POST", "setter", setter_mode),
)
