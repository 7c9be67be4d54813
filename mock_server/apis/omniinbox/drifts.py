"""The ways AchieveApex's omni-inbox could drift from its spec, one per kind of breakage, for the contract toolkit
to plant (`convomock contract --drift NAME`, `mock_server/engine/drift.py`): each must make a contract run fail.
Where a drift needs a working credential it uses acme's API key (a fixture, the same on every start)."""

from __future__ import annotations

import re

from mock_server.engine.drift import Drift, anyone_in, ask_again_as, delete_as_read, flat_error, on_body, status_as
from mock_server.engine.types import Scope

__all__ = ["DRIFTS"]

_PREFIX = r"(/omni-inbox)?"
_ACME_KEY = {b"x-api-key": b"aa_live_4f1c2e9b7d3a4c5e8f6a1b2c3d4e5f60"}


def _acme() -> dict[bytes, bytes]:
    return dict(_ACME_KEY)


def _page_of_fifty(scope: Scope) -> Scope:
    """The page size asked for is ignored (a page of 50 whatever `$limit` says); the other filters stay."""
    query = scope.get("query_string", b"")
    kept = [pair for pair in query.split(b"&") if pair and not re.match(rb"(\$|%24)limit=", pair, re.IGNORECASE)]
    return {**scope, "query_string": b"&".join([*kept, b"$limit=50"])}


DRIFTS = (
    Drift(
        "omni-inbox-field-dropped",
        "omni-inbox",
        "getConversation",
        "a required field dropped",
        "GET",
        _PREFIX + r"/conversations/[^/]+",
        response=on_body(lambda c: c.pop("pipeline_stage_id", None)),
        caught_as="Response violates schema",
    ),
    Drift(
        "omni-inbox-type-changed",
        "omni-inbox",
        "findConversations",
        "a type changed (total as a string)",
        "GET",
        _PREFIX + r"/conversations",
        response=on_body(lambda page: page.update(total=str(page.get("total")))),
        caught_as="Response violates schema",
    ),
    Drift(
        "omni-inbox-enum-renamed",
        "omni-inbox",
        "getConversation",
        "an enum value renamed (open -> OPEN)",
        "GET",
        _PREFIX + r"/conversations/[^/]+",
        response=on_body(lambda c: c.update(status=str(c.get("status")).upper())),
        caught_as="Response violates schema",
    ),
    Drift(
        "omni-inbox-status-changed",
        "omni-inbox",
        "createPredefinedMessage",
        "a status changed (201 -> 200)",
        "POST",
        _PREFIX + r"/conversation-predefined-messages",
        response=status_as(201, 200),
        caught_as="documented_success_status",
    ),
    Drift(
        "omni-inbox-error-shape",
        "omni-inbox",
        "getConversation",
        "an error body in another shape",
        "GET",
        _PREFIX + r"/conversations/[^/]+",
        response=flat_error,
        caught_as="vendor_error_envelope",
    ),
    Drift(
        "omni-inbox-paging-ignored",
        "omni-inbox",
        "findConversations",
        "a paging limit ignored",
        "GET",
        _PREFIX + r"/conversations",
        request=_page_of_fifty,
        caught_as="negative_data_rejection|paging_limit",
    ),
    Drift(
        "omni-inbox-auth-ignored",
        "omni-inbox",
        "findConversations",
        "auth not enforced",
        "GET",
        _PREFIX + r"/conversations",
        request=anyone_in(_acme),
        caught_as="API accepts requests without authentication",
    ),
    Drift(
        "omni-inbox-tenant-leak",
        "omni-inbox",
        "getConversation",
        "another tenant's object readable",
        "GET",
        _PREFIX + r"/conversations/[^/]+",
        retry=ask_again_as(404, _acme),
        caught_as="other_tenant_not_found",
    ),
    Drift(
        "omni-inbox-delete-ignored",
        "omni-inbox",
        "removePredefinedMessage",
        "a resource still readable after delete",
        "DELETE",
        _PREFIX + r"/conversation-predefined-messages/[^/]+",
        request=delete_as_read,
        observe=("createPredefinedMessage", "getPredefinedMessage"),
        caught_as="Deleted resource still available",
    ),
)
