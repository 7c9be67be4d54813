"""The ways the HighLevel API could drift from its spec, one per kind of breakage, for the contract toolkit to plant
(`convomock contract --drift NAME`, `mock_server/engine/drift.py`): each must make a contract run fail."""

from __future__ import annotations

from typing import Any

from mock_server.engine.drift import (
    Drift,
    anyone_in,
    ask_again_as,
    delete_as_read,
    flat_error,
    ignore_limit,
    on_body,
    status_as,
)

__all__ = ["DRIFTS"]

ACME = {b"authorization": b"Bearer pit-acme-full-6f3b2a1c-9d8e-4f70-b1a2-c3d4e5f60718"}
_HL = r"(/highlevel)?/conversation-ai"
_AGENT = _HL + r"/agents/(?!search$)[^/]+"


def _pretend_deleted(status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and isinstance(body, dict) and "id" in body:
        return 200, {"success": True, "id": body["id"], "traceId": body.get("traceId", "drift")}
    return status, body


DRIFTS = (
    Drift(
        "highlevel-field-dropped",
        "highlevel",
        "get-agent",
        "a required field dropped",
        "GET",
        _AGENT,
        response=on_body(lambda a: a.pop("autoPilotMaxMessages", None)),
        caught_as="Response violates schema",
    ),
    Drift(
        "highlevel-type-changed",
        "highlevel",
        "search-agent",
        "a type changed (totalCount as a string)",
        "GET",
        _HL + r"/agents/search",
        response=on_body(lambda b: b.update(totalCount=str(b.get("totalCount")))),
        caught_as="Response violates schema",
    ),
    Drift(
        "highlevel-enum-renamed",
        "highlevel",
        "get-agent",
        "an enum value renamed (auto-pilot -> AUTO_PILOT)",
        "GET",
        _AGENT,
        response=on_body(lambda a: a.update(mode=str(a.get("mode", "off")).upper().replace("-", "_"))),
        caught_as="Response violates schema",
    ),
    Drift(
        "highlevel-status-changed",
        "highlevel",
        "create-agent",
        "a status changed (201 -> 200)",
        "POST",
        _HL + r"/agents",
        response=status_as(201, 200),
        caught_as="documented_success_status",
    ),
    Drift(
        "highlevel-error-shape",
        "highlevel",
        "get-agent",
        "an error body in another shape",
        "GET",
        _AGENT,
        response=flat_error,
        caught_as="vendor_error_envelope",
    ),
    Drift(
        "highlevel-paging-ignored",
        "highlevel",
        "search-agent",
        "a paging limit ignored",
        "GET",
        _HL + r"/agents/search",
        request=ignore_limit,
        caught_as="negative_data_rejection|paging_limit",
    ),
    Drift(
        "highlevel-auth-ignored",
        "highlevel",
        "search-agent",
        "auth not enforced",
        "GET",
        _HL + r"/agents/search",
        request=anyone_in(lambda: ACME),
        caught_as="API accepts requests without authentication",
    ),
    Drift(
        "highlevel-tenant-leak",
        "highlevel",
        "get-agent",
        "another tenant's object readable",
        "GET",
        _AGENT,
        retry=ask_again_as(400, lambda: ACME),
        caught_as="other_tenant_not_found",
    ),
    Drift(
        "highlevel-delete-ignored",
        "highlevel",
        "delete-agent",
        "a resource still readable after delete",
        "DELETE",
        _HL + r"/agents/[^/]+",
        request=delete_as_read,
        response=_pretend_deleted,
        observe=("create-agent", "get-agent"),
        caught_as="Deleted resource still available",
    ),
)
