"""The ways the CRM inbox could drift from its spec, one per kind of breakage, for the contract toolkit to plant
(`convomock contract --drift NAME`, `mock_server/engine/drift.py`): each must make a contract run fail."""

from __future__ import annotations

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

ALICE_IN_ACME = {
    b"authorization": b"Bearer crm_alice_5b1f3e7a9c2d4e6f8a0b",
    b"x-org-id": b"0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d01",
}
_CRM = r"(/crm-inbox)?/conversations"
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
        request=anyone_in(lambda: ALICE_IN_ACME),
        caught_as="API accepts requests without authentication",
    ),
    Drift(
        "crm-inbox-tenant-leak",
        "crm-inbox",
        "getConversation",
        "another tenant's object readable",
        "GET",
        _CRM_ID,
        retry=ask_again_as(404, lambda: ALICE_IN_ACME),
        caught_as="other_tenant_not_found",
    ),
)
