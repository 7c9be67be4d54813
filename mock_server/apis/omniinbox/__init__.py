"""Feathers-style omnichannel inbox (`/omni-inbox`): the binding the engine serves, plus JWT authentication, the
signed-upload target and the control simulations (a customer writes in)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote

import jwt

from mock_server import DATA_ROOT
from mock_server.apis.omniinbox import errors, services
from mock_server.apis.omniinbox.handlers import AUDIENCE, HANDLERS
from mock_server.apis.omniinbox.seed import seed
from mock_server.apis.omniinbox.state import OmniStore
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


@functools.lru_cache(maxsize=1024)
def _verified_claims(token: str, secret: str) -> Mapping[str, Any]:
    """Signature and audience, checked once per token (a third of a request's time otherwise); the expiry is
    checked on every request against the mock clock, which moves."""
    return MappingProxyType(
        jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, options={"verify_exp": False})
    )


def authenticate(view: RequestView, store: OmniStore) -> Principal:
    """A JWT from POST /authentication (or a seeded one): signature, audience and expiry on the mock clock."""
    scheme, _, token = view.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.NotAuthenticated("Not authenticated")
    try:
        claims = _verified_claims(token.strip(), store.jwt_secret)
    except jwt.PyJWTError:
        raise errors.NotAuthenticated("invalid token") from None
    if view.now is not None and int(claims.get("exp", 0)) <= view.now.timestamp():
        raise errors.NotAuthenticated("jwt expired")
    found = store.user(str(claims.get("sub", "")))
    if found is None:
        raise errors.NotAuthenticated("No record found for the token's user")
    workspace, user = found
    return Principal(tenant_id=workspace.id, key=user["_id"], label=user["name"], scopes=frozenset())


def credentials(store: OmniStore) -> list[dict[str, Any]]:
    found = []
    for token, user_id in store.tokens.items():
        located = store.user(user_id)
        if located is not None:
            workspace, user = located
            found.append(
                {
                    "tenant": workspace.id,
                    "token": token,
                    "base_path": "",
                    "user": user["email"],
                    "password": user["password"],
                    "workspace": workspace.name,
                }
            )
    return found


# -- control simulations -----------------------------------------------------------------------------------------


def inbound(call: ControlCall) -> Any:
    """A customer writes: `{"workspace", "conversation", "text"}`; WhatsApp's window reopens for 24 h."""
    body = call.body if isinstance(call.body, dict) else {}
    workspace = call.store.workspaces.get(body.get("workspace"))
    if workspace is None:
        raise ControlError(404, f"no workspace {body.get('workspace')!r}")
    conversation = workspace.conversations.get(body.get("conversation"))
    if conversation is None:
        raise ControlError(404, f"no conversation {body.get('conversation')!r} in workspace {workspace.id}")
    text = call.text("text")
    message = services.add_message(
        workspace,
        conversation,
        call.rng,
        call.clock.now(),
        direction="inbound",
        text=text,
        sender={"type": "contact", "id": conversation["contact"]["_id"]},
    )
    return 201, {"message": message, "conversation": conversation}


def upload_limit(store: OmniStore, path_params: Mapping[str, str]) -> int:
    """The signed URL takes the size its signing announced; an unknown key, the control API's usual limit."""
    key = unquote(path_params.get("key", ""))
    for workspace in store.workspaces.values():
        if key in workspace.uploads:
            return int(workspace.uploads[key]["size"])
    return CONTROL_BODY_BYTES


def upload(call: ControlCall) -> Any:
    """The signed URL of POST /s3-url-signing takes the bytes (signature and expiry checked, size compared)."""
    key = unquote(call.path_params["key"])
    workspace = next((w for w in call.store.workspaces.values() if key in w.uploads), None)
    if workspace is None:
        raise ControlError(403, "SignatureDoesNotMatch: no such upload")
    try:
        pending = services.check_signature(
            workspace, key, call.query.get("expires", ""), call.query.get("signature", ""), call.clock.now()
        )
    except errors.FeathersError as exc:
        raise ControlError(403, exc.message) from None
    if len(call.raw_body) != pending["size"]:
        raise ControlError(400, f"announced {pending['size']} bytes, received {len(call.raw_body)}")
    pending["uploadedSize"] = len(call.raw_body)
    return {"key": key, "size": pending["uploadedSize"]}


API = ApiBinding(
    tenant_collection="workspaces",
    name="omni-inbox",
    prefix="/omni-inbox",
    spec_path=ROOT / "specs" / "omni-inbox.yaml",
    fixtures_path=ROOT / "fixtures" / "omni-inbox.yaml",
    dashboard_script=Path(__file__).with_name("dashboard.js"),
    store_type=OmniStore,
    handlers=HANDLERS,
    new_store=lambda: OmniStore(jwt_secret=""),
    seed=seed,
    authenticate=authenticate,
    errors=errors.STYLE,
    credentials=credentials,
    control_routes=(
        ControlRoute("POST", "inbound", inbound),
        ControlRoute("PUT", "uploads/{key}", upload, body_limit=upload_limit),
    ),
)
