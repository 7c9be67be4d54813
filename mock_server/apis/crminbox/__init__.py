"""CRM inbox Conversations API (`/crm-inbox`): the binding the engine serves, plus this vendor's member-token and
org-header rules and the control simulations (a customer writes in, the setter's mode, the training pairs)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from mock_server import DATA_ROOT
from mock_server.apis.crminbox import errors, inbox, setter
from mock_server.apis.crminbox.handlers import HANDLERS
from mock_server.apis.crminbox.seed import seed
from mock_server.apis.crminbox.state import CallDetails, Conversation, CrmStore, Org
from mock_server.engine.clock import iso
from mock_server.engine.errors import RequestInvalid
from mock_server.engine.types import ApiBinding, ControlCall, ControlError, ControlRoute, Principal, RequestView

__all__ = ["API"]

ROOT = DATA_ROOT  # specs/ and fixtures/


def authenticate(view: RequestView, store: CrmStore) -> Principal:
    """A staff member's token, then `X-Org-Id`: 401 without a known token, 422 without a valid header, 403 for an
    org the member does not belong to (convomock design, FastAPI style)."""
    scheme, _, token = view.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.NotAuthenticated()
    user = store.user_by_token(token.strip())
    if user is None:
        raise errors.InvalidCredentials()
    org_id = view.headers.get("x-org-id")
    if org_id is None:
        raise RequestInvalid.single("header", '"X-Org-Id" is a required header', ["X-Org-Id"], "required")
    try:
        org_id = str(uuid.UUID(org_id))
    except ValueError:
        raise RequestInvalid.single(
            "header", f'"{org_id}" is not a "uuid"', ["X-Org-Id"], "format", allowed=("uuid",), value=org_id
        ) from None
    if org_id not in user.org_ids or org_id not in store.orgs:
        raise errors.NotAMember()
    return Principal(tenant_id=org_id, key=user.id, label=user.name)


def credentials(store: CrmStore) -> list[dict[str, Any]]:
    return [
        {
            "tenant": org_id,
            "token": user.token,
            "base_path": "",
            "user_id": user.id,
            "user": user.name,
            "org": store.orgs[org_id].name,
            "tenant_headers": {"X-Org-Id": org_id},
        }
        for user in store.users.values()
        for org_id in user.org_ids
        if org_id in store.orgs
    ]


# -- control simulations -----------------------------------------------------------------------------------------


def _org(store: CrmStore, org_id: Any) -> Org:
    if not isinstance(org_id, str) or org_id not in store.orgs:
        raise ControlError(404, f"no org {org_id!r}; known: {', '.join(store.orgs)}")
    return store.orgs[org_id]


def _thread(org: Org, call: ControlCall, body: dict[str, Any]) -> Conversation:
    if isinstance(body.get("conversation"), str):
        found = org.conversations.get(body["conversation"].lower())
        if found is None:
            raise ControlError(404, f"no conversation {body['conversation']} in org {org.id}")
        return found
    contact_id = body.get("contact")
    if not isinstance(contact_id, str) or contact_id.lower() not in org.contacts:
        raise ControlError(404, f"give an existing contact or conversation of org {org.id}")
    existing = org.conversation_of(contact_id.lower())
    if existing is not None:
        return existing
    now = call.clock.now()
    conversation = Conversation(
        id=call.rng.uuid4(), org_id=org.id, contact_id=contact_id.lower(), created_at=now, updated_at=now
    )
    org.conversations[conversation.id] = conversation
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
    activity, created = setter.receive(
        org,
        conversation,
        channel,
        text if isinstance(text, str) else None,
        call.rng,
        call.clock.now(),
        subject=body.get("subject"),
        provider_message_id=body.get("provider_message_id"),
        call=details,
    )
    pending = conversation.pending_suggestion()
    return 201 if created else 200, {
        "conversation_id": conversation.id,
        "created": created,
        "activity": inbox.activity_json(org, activity),
        "suggestion": inbox.activity_json(org, pending) if pending else None,
    }


def training_pairs(call: ControlCall) -> Any:
    org = _org(call.store, call.query.get("org"))
    return {
        "org": org.id,
        "items": [
            {
                "id": p.id,
                "conversation_id": p.conversation_id,
                "suggestion_id": p.suggestion_id,
                "draft": p.draft,
                "sent": p.sent,
                "label": p.label,
                "author_id": p.author_id,
                "created_at": iso(p.created_at),
            }
            for p in org.training_pairs
        ],
    }


def setter_mode(call: ControlCall) -> Any:
    body = call.body if isinstance(call.body, dict) else {}
    org = _org(call.store, body.get("org"))
    if body.get("mode") not in ("off", "suggestive"):
        raise ControlError(400, "mode is off or suggestive")
    org.setter_mode = body["mode"]
    return {"org": org.id, "mode": org.setter_mode}


API = ApiBinding(
    tenant_collection="orgs",
    name="crm-inbox",
    prefix="/crm-inbox",
    spec_path=ROOT / "specs" / "crm-inbox.yaml",
    fixtures_path=ROOT / "fixtures" / "crm-inbox.yaml",
    dashboard_script=Path(__file__).with_name("dashboard.js"),
    store_type=CrmStore,
    handlers=HANDLERS,
    new_store=CrmStore,
    seed=seed,
    authenticate=authenticate,
    errors=errors.STYLE,
    credentials=credentials,
    control_routes=(
        ControlRoute("POST", "inbound", inbound),
        ControlRoute("GET", "training-pairs", training_pairs),
        ControlRoute("POST", "setter", setter_mode),
    ),
)
