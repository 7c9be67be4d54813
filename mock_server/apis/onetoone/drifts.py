"""The ways the 1TO1 AI API could drift from its spec, one per kind of breakage, for the contract toolkit to plant
(`convomock contract --drift NAME`, `mock_server/engine/drift.py`): each must make a contract run fail."""

from __future__ import annotations

import re
from typing import Any

from mock_server.engine.drift import (
    Drift,
    anyone_in,
    ignore_limit,
    nest_error,
    on_list,
    status_as,
    with_header,
)
from mock_server.engine.types import Scope

__all__ = ["DRIFTS"]

ACME = {b"authorization": b"Bearer sk_1to1_acme_live_4f9c2e7b1d8a6350c2e9f7a1"}
_ONE = r"(/1to1ai)?/api/v1/public/[^/]+"


def _drop_is_tester(status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and isinstance(body, dict):
        body.pop("is_tester", None)
    return status, body


def _rename_window_status(status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and isinstance(body, dict) and isinstance(body.get("window"), dict):
        body["window"]["status"] = {"open": "opened", "closed": "expired"}.get(body["window"]["status"], "expired")
    return status, body


def _leak_other_tenant(scope: Scope, status: int) -> Scope | None:
    """A 404 for a business other than acme: ask again as acme, so another tenant reads acme's conversation."""
    if status != 404 or "/acme/" in scope["path"]:
        return None
    path = re.sub(r"^(/1to1ai)?(/api/v1/public/)[^/]+/", r"\1\2acme/", scope["path"])
    return with_header({**scope, "path": path, "raw_path": path.encode()}, b"authorization", ACME[b"authorization"])


DRIFTS = (
    Drift(
        "1to1ai-field-dropped",
        "1to1ai",
        "getConversation",
        "a required field dropped",
        "GET",
        _ONE + r"/conversations/[^/]+",
        response=_drop_is_tester,
        caught_as="Response violates schema",
    ),
    Drift(
        "1to1ai-type-changed",
        "1to1ai",
        "listConversations",
        "a type changed (unread_count as a string)",
        "GET",
        _ONE + r"/conversations",
        response=on_list("items", lambda c: c.update(unread_count=str(c["unread_count"]))),
        caught_as="Response violates schema",
    ),
    Drift(
        "1to1ai-enum-renamed",
        "1to1ai",
        "getConversationStatus",
        "an enum value renamed (open -> opened)",
        "POST",
        _ONE + r"/conversation/status",
        response=_rename_window_status,
        caught_as="Response violates schema",
    ),
    Drift(
        "1to1ai-status-changed",
        "1to1ai",
        "runActionGroup",
        "a status changed (202 -> 200)",
        "POST",
        _ONE + r"/conversation/actions",
        response=status_as(202, 200),
        caught_as="documented_success_status",
    ),
    Drift(
        "1to1ai-error-shape",
        "1to1ai",
        "getContact",
        "an error body in another shape",
        "GET",
        _ONE + r"/contacts/[^/]+",
        response=nest_error,
        caught_as="vendor_error_envelope",
    ),
    Drift(
        "1to1ai-paging-ignored",
        "1to1ai",
        "listConversations",
        "a paging limit ignored",
        "GET",
        _ONE + r"/conversations",
        request=ignore_limit,
        caught_as="paging_limit",
    ),
    Drift(
        "1to1ai-auth-ignored",
        "1to1ai",
        "listConversations",
        "auth not enforced",
        "GET",
        _ONE + r"/conversations",
        request=anyone_in(lambda: ACME),
        caught_as="API accepts requests without authentication",
    ),
    Drift(
        "1to1ai-tenant-leak",
        "1to1ai",
        "getConversation",
        "another tenant's object readable",
        "GET",
        _ONE + r"/conversations/[^/]+",
        retry=_leak_other_tenant,
        caught_as="other_tenant_not_found",
    ),
)
