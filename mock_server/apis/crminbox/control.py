"""The CRM inbox's control simulations under `/__mock/crm-inbox/`: a customer writes in (and the setter drafts a
reply), the setter's mode, the training pairs it has collected. They answer in our own plain shape (ControlError),
not the vendor's, and change state only through its operations."""

from __future__ import annotations

from typing import Any

from mock_server.apis.crminbox import setter, wire
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


def training_pairs(call: ControlCall) -> Any:
    org = _org(call.store, call.query.get("org"))
    return {"org": org.id, "items": [wire.training_pair_json(p) for p in org.training_pairs]}


def setter_mode(call: ControlCall) -> Any:
    body = call.body if isinstance(call.body, dict) else {}
    org = _org(call.store, body.get("org"))
    if body.get("mode") not in SETTER_MODES:
        raise ControlError(400, "mode is off or suggestive")
    org.set_setter_mode(body["mode"])
    return {"org": org.id, "mode": org.setter_mode}


CONTROL_ROUTES = (
    ControlRoute("POST", "inbound", inbound),
    ControlRoute("GET", "training-pairs", training_pairs),
    ControlRoute("POST", "setter", setter_mode),
)
