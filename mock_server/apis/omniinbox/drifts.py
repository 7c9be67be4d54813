"""The ways the omnichannel inbox could drift from its spec, one per kind of breakage, for the contract toolkit to
plant (`convomock contract --drift NAME`, `mock_server/engine/drift.py`): each must make a contract run fail."""

from __future__ import annotations

import functools

from mock_server.engine.drift import (
    Drift,
    anyone_in,
    ask_again_as,
    delete_as_read,
    flat_error,
    on_body,
    status_as,
)

__all__ = ["DRIFTS"]

ACME_WORKSPACE = "665f00000000000000000001"
_OMNI = r"(/omni-inbox)?"


@functools.lru_cache(maxsize=1)
def _ana() -> dict[bytes, bytes]:
    """A seeded access token of Ana (Acme), the same on every start (the seed is deterministic)."""
    from mock_server.server import create_app  # at first use: the token is signed with the seeded secret

    runtime = create_app(apis=["omni-inbox"]).backend.runtimes["omni-inbox"]
    token = next(c["token"] for c in runtime.binding.credentials(runtime.store) if c["tenant"] == ACME_WORKSPACE)
    return {b"authorization": b"Bearer " + str(token).encode()}


DRIFTS = (
    Drift(
        "omni-inbox-field-dropped",
        "omni-inbox",
        "getConversation",
        "a required field dropped",
        "GET",
        _OMNI + r"/conversations/[^/]+",
        response=on_body(lambda c: c.pop("pipelineStage", None)),
        caught_as="Response violates schema",
    ),
    Drift(
        "omni-inbox-type-changed",
        "omni-inbox",
        "findConversations",
        "a type changed (total as a string)",
        "GET",
        _OMNI + r"/conversations",
        response=on_body(lambda page: page.update(total=str(page.get("total")))),
        caught_as="Response violates schema",
    ),
    Drift(
        "omni-inbox-enum-renamed",
        "omni-inbox",
        "getConversation",
        "an enum value renamed (open -> OPEN)",
        "GET",
        _OMNI + r"/conversations/[^/]+",
        response=on_body(lambda c: c.update(status=str(c["status"]).upper())),
        caught_as="Response violates schema",
    ),
    Drift(
        "omni-inbox-status-changed",
        "omni-inbox",
        "createPredefinedMessage",
        "a status changed (201 -> 200)",
        "POST",
        _OMNI + r"/conversation-predefined-messages",
        response=status_as(201, 200),
        caught_as="documented_success_status",
    ),
    Drift(
        "omni-inbox-error-shape",
        "omni-inbox",
        "getConversation",
        "an error body in another shape",
        "GET",
        _OMNI + r"/conversations/[^/]+",
        response=flat_error,
        caught_as="vendor_error_envelope",
    ),
    Drift(
        "omni-inbox-paging-ignored",
        "omni-inbox",
        "findConversations",
        "a paging limit ignored",
        "GET",
        _OMNI + r"/conversations",
        request=lambda scope: {**scope, "query_string": b"$limit=50"},
        caught_as="negative_data_rejection|paging_limit",
    ),
    Drift(
        "omni-inbox-auth-ignored",
        "omni-inbox",
        "findConversations",
        "auth not enforced",
        "GET",
        _OMNI + r"/conversations",
        request=anyone_in(_ana),
        caught_as="API accepts requests without authentication",
    ),
    Drift(
        "omni-inbox-tenant-leak",
        "omni-inbox",
        "getConversation",
        "another tenant's object readable",
        "GET",
        _OMNI + r"/conversations/[^/]+",
        retry=ask_again_as(404, _ana),
        caught_as="other_tenant_not_found",
    ),
    Drift(
        "omni-inbox-delete-ignored",
        "omni-inbox",
        "removePredefinedMessage",
        "a resource still readable after delete",
        "DELETE",
        _OMNI + r"/conversation-predefined-messages/[^/]+",
        request=delete_as_read,
        observe=("createPredefinedMessage", "getPredefinedMessage"),
        caught_as="Deleted resource still available",
    ),
)
