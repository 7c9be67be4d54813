"""The omni-inbox's control routes (`/__mock/omni-inbox/...`): a customer writes in (`inbound`), and the signed
upload target of POST /s3-url-signing (`uploads/{key}`, its body limit the size the signing announced)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from mock_server.apis.omniinbox import errors, state
from mock_server.apis.omniinbox.state import OmniStore
from mock_server.engine.types import CONTROL_BODY_BYTES, ControlCall, ControlError, ControlRoute

__all__ = ["CONTROL_ROUTES", "inbound", "upload", "upload_limit"]


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
    message = state.add_message(
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
        pending = state.check_signature(
            workspace, key, call.query.get("expires", ""), call.query.get("signature", ""), call.clock.now()
        )
    except errors.FeathersError as exc:
        raise ControlError(403, exc.message) from None
    if len(call.raw_body) != pending["size"]:
        raise ControlError(400, f"announced {pending['size']} bytes, received {len(call.raw_body)}")
    pending["uploadedSize"] = len(call.raw_body)
    return {"key": key, "size": pending["uploadedSize"]}


CONTROL_ROUTES = (
    ControlRoute("POST", "inbound", inbound),
    ControlRoute("PUT", "uploads/{key}", upload, body_limit=upload_limit),
)
