"""The ways the CRM inbox could drift from its spec, one per kind of breakage, for the contract toolkit to plant
(`convomock contract --drift NAME`, `mock_server/engine/drift.py`): each must make a contract run fail."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from mock_server.apis.crminbox.seed import default_tokens
from mock_server.engine.drift import (
    Drift,
    anyone_in,
    ask_again_as,
    flat_error,
    ignore_limit,
    on_body,
    on_list,
    status_as,
)

__all__ = ["DRIFTS"]


@functools.cache
def alice_in_acme() -> Mapping[bytes, bytes]:
    """Alice's seeded token (the default clock's) and Acme's `X-Org-Id`: the first tenant's headers."""
    return {b"authorization": f"Bearer {default_tokens()[ALICE]}".encode(), b"x-org-id": ACME.encode()}


ALICE, ACME = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b01", "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d01"
_CRM = r"(/crm-inbox)?(/api/v1)?/conversations"
_CRM_ID = _CRM + r"/(?!views$|sla$|media$|overdue$)[^/]+"

DRIFTS = (
    Drift(
        "crm-inbox-field-dropped",
        "crm-inbox",
        "getConversation",
        "a required field dropped",
        "GET",
        _CRM_ID,
        response=on_body(lambda c: c.pop("overdue", None)),
        caught_as="Response violates schema",
    ),
    Drift(
        "crm-inbox-type-changed",
        "crm-inbox",
        "listConversations",
        "a type changed (total as a string)",
        "GET",
        _CRM,
        response=on_body(lambda page: page.update(total=str(page.get("total")))),
        caught_as="Response violates schema",
    ),
    Drift(
        "crm-inbox-enum-renamed",
        "crm-inbox",
        "listConversationMessages",
        "an enum value renamed (sms -> SMS)",
        "GET",
        _CRM_ID + r"/messages",
        response=on_list("items", lambda a: a.update(type=str(a["type"]).upper())),
        caught_as="Response violates schema",
    ),
    Drift(
        "crm-inbox-status-changed",
        "crm-inbox",
        "uploadConversationMedia",
        "a status changed (201 -> 200)",
        "POST",
        _CRM + r"/media",
        response=status_as(201, 200),
        caught_as="documented_success_status",
    ),
    Drift(
        "crm-inbox-error-shape",
        "crm-inbox",
        "getConversation",
        "an error body in another shape",
        "GET",
        _CRM_ID,
        response=flat_error,
        caught_as="vendor_error_envelope",
    ),
    Drift(
        "crm-inbox-paging-ignored",
        "crm-inbox",
        "listConversations",
        "a paging limit ignored",
        "GET",
        _CRM,
        request=ignore_limit,
        caught_as="negative_data_rejection|paging_limit",
    ),
    Drift(
        "crm-inbox-auth-ignored",
        "crm-inbox",
        "listConversations",
        "auth not enforced",
        "GET",
        _CRM,
        request=anyone_in(alice_in_acme),
        caught_as="API accepts requests without authentication",
    ),
    Drift(
        "crm-inbox-tenant-leak",
        "crm-inbox",
        "getConversation",
        "another tenant's object readable",
        "GET",
        _CRM_ID,
        retry=ask_again_as(404, alice_in_acme),
        caught_as="other_tenant_not_found",
    ),
)
