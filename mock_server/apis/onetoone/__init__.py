"""1TO1 AI public API (`/1to1ai`): the binding the engine serves, plus this vendor's auth, scenario effects and
control simulations (a customer writing in, the activity log, the upload target)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from mock_server import DATA_ROOT
from mock_server.apis.onetoone import errors
from mock_server.apis.onetoone.handlers import HANDLERS
from mock_server.apis.onetoone.seed import seed
from mock_server.apis.onetoone.state import Business, Contact, Conversation, OneToOneStore, digits
from mock_server.apis.onetoone.views import message_json
from mock_server.engine.clock import MockClock, iso
from mock_server.engine.ratelimit import RateLimitPolicy
from mock_server.engine.scenarios import Undo
from mock_server.engine.types import (
    CONTROL_BODY_BYTES,
    ApiBinding,
    ControlCall,
    ControlError,
    ControlRoute,
    Principal,
    RequestView,
)

__all__ = ["API"]

ROOT = DATA_ROOT  # specs/ and fixtures/


def authenticate(view: RequestView, store: OneToOneStore) -> Principal:
    """Bearer key -> its business; the slug in the path must be that business (case-insensitive)."""
    scheme, _, token = view.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise errors.InvalidApiToken("The Authorization header must be 'Bearer sk_1to1_...'.")
    owner = store.key_owner(token)
    if owner is None or owner[1].revoked:
        raise errors.InvalidApiToken()
    business, key = owner
    slug = view.path_params.get("slug", "")
    if slug.lower() != business.slug:
        raise errors.TokenBusinessMismatch(slug=slug)
    return Principal(tenant_id=business.slug, key=key.uuid, label=key.name)


def credentials(store: OneToOneStore) -> list[dict[str, Any]]:
    return [
        {
            "tenant": b.slug,
            "token": k.token,
            "base_path": f"/api/v1/public/{b.slug}",
            "business": b.name,
            "key_name": k.name,
            "slug": b.slug,
            "path_params": {"slug": b.slug},
            "ai_token_balance": b.ai_token_balance,
        }
        for b in store.businesses.values()
        for k in b.keys
        if not k.revoked
    ]


# -- scenario effects: each changes state and returns how to undo it (only where nothing changed it since) ---------


def _set_balance(store: OneToOneStore, value: Any, clock: MockClock) -> Undo:
    before = {slug: b.ai_token_balance for slug, b in store.businesses.items()}
    for business in store.businesses.values():
        business.ai_token_balance = int(value)

    def undo() -> None:
        for slug, balance in before.items():
            business = store.businesses.get(slug)
            if business is not None and business.ai_token_balance == int(value):
                business.ai_token_balance = balance

    return undo


def _close_windows(store: OneToOneStore, value: Any, clock: MockClock) -> Undo:
    if value != "closed":
        raise ValueError("messaging_window: only 'closed' is supported")
    now = clock.now()
    closed_at = now - timedelta(seconds=1)
    changed: list[tuple[Conversation, Any]] = []
    for business in store.businesses.values():
        for conversation in business.conversations.values():
            if conversation.window_open(now):
                changed.append((conversation, conversation.window_expires_at))
                conversation.window_expires_at = closed_at

    def undo() -> None:
        for conversation, expires in changed:
            if conversation.window_expires_at == closed_at:
                conversation.window_expires_at = expires

    return undo


# -- control simulations -----------------------------------------------------------------------------------------


def _business_of(store: OneToOneStore, slug: Any) -> Business:
    if not isinstance(slug, str) or slug.lower() not in store.businesses:
        raise ControlError(404, f"no business with slug {slug!r}; known: {', '.join(store.businesses)}")
    return store.business(slug)


def inbound(call: ControlCall) -> Any:
    """A customer writes in: by conversation uuid, or by phone (a new number starts a new conversation)."""
    body = call.body if isinstance(call.body, dict) else {}
    business = _business_of(call.store, body.get("slug"))
    text = call.text("body")
    now = call.clock.now()
    business.fire_due_schedules(call.rng, now)  # what was due before the customer wrote goes out first
    created = False
    if isinstance(body.get("conversation"), str):
        try:
            conversation = business.conversation(uuid=body["conversation"])
        except errors.OneToOneError as exc:
            raise ControlError(404, exc.message) from None
    elif isinstance(body.get("phone"), str) and 8 <= len(digits(body["phone"])) <= 15:
        try:
            conversation = business.conversation(phone=body["phone"])
        except errors.ConversationNotFound:
            conversation = _new_conversation(business, call, digits(body["phone"]), body.get("profile_name"))
            created = True
    else:
        raise ControlError(400, "give conversation (a uuid) or phone (8 to 15 digits)")
    message = business.add_inbound(conversation, call.rng, now, text)
    return 201 if created else 200, {
        "conversation_uuid": conversation.uuid,
        "created": created,
        "message": message_json(message),
        "messaging_window_expires_at": iso(conversation.window_expires_at) if conversation.window_expires_at else None,
    }


def _new_conversation(business: Business, call: ControlCall, phone: str, profile_name: Any) -> Conversation:
    now = call.clock.now()
    name = profile_name if isinstance(profile_name, str) and profile_name.strip() else None
    contact = Contact(
        uuid=call.rng.uuid4(),
        first_name=name,
        middle_name=None,
        last_name=None,
        second_last_name=None,
        profile_name=name,
        phone=phone,
        acquisition_source="whatsapp",
        is_tester=False,
        created_at=now,
        updated_at=now,
    )
    business.contacts[contact.uuid] = contact
    conversation = Conversation(
        uuid=call.rng.uuid4(), contact_uuid=contact.uuid, is_tester=False, mailbox_uuid=business.mailboxes[0].uuid
    )
    business.conversations[conversation.uuid] = conversation
    return conversation


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
    """The upload URL takes the size its reservation announced (up to the docs' 100 MiB); an unknown one, the
    control API's usual limit (the handler answers 404)."""
    file_uuid = path_params.get("file_uuid", "").lower()
    for business in store.businesses.values():
        reserved = business.files.get(file_uuid)
        if reserved is not None:
            return reserved.size_bytes
    return CONTROL_BODY_BYTES


def upload(call: ControlCall) -> Any:
    """The `upload_url` of request-upload: takes the bytes and checks them against the announced size."""
    file_uuid = call.path_params["file_uuid"].lower()
    for business in call.store.businesses.values():
        upload_file = business.files.get(file_uuid)
        if upload_file is None:
            continue
        if call.clock.now() > upload_file.expires_at:
            raise ControlError(410, "the upload URL has expired; request a new one")
        if len(call.raw_body) != upload_file.size_bytes:
            raise ControlError(400, f"announced {upload_file.size_bytes} bytes, received {len(call.raw_body)}")
        upload_file.uploaded_bytes = len(call.raw_body)
        return {"file_uuid": upload_file.uuid, "uploaded_bytes": upload_file.uploaded_bytes}
    raise ControlError(404, f"no pending upload {file_uuid}")


API = ApiBinding(
    tenant_collection="businesses",
    name="1to1ai",
    prefix="/1to1ai",
    spec_path=ROOT / "specs" / "1to1ai.yaml",
    fixtures_path=ROOT / "fixtures" / "1to1ai.yaml",
    dashboard_script=Path(__file__).with_name("dashboard.js"),
    store_type=OneToOneStore,
    handlers=HANDLERS,
    new_store=OneToOneStore,
    seed=seed,
    authenticate=authenticate,
    errors=errors.STYLE,
    credentials=credentials,
    rate_limits=(RateLimitPolicy(limit=errors.RATE_LIMIT, window=timedelta(minutes=1), name="minute"),),
    scenario_effects={"ai_token_balance": _set_balance, "messaging_window": _close_windows},
    control_routes=(
        ControlRoute("POST", "inbound", inbound),
        ControlRoute("GET", "activity", activity),
        ControlRoute("GET", "overview", overview),
        ControlRoute("PUT", "uploads/{file_uuid}", upload, body_limit=upload_limit),
    ),
)
