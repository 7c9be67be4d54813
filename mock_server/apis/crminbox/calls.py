"""What every CRM inbox handler reads of a call: the acting org, the calling staff member, whether they manage the
org (owner or admin), and the one uuid shape Iron's ids take on the wire."""

from __future__ import annotations

import re

from mock_server.apis.crminbox.state import CrmStore, Org, User
from mock_server.engine.types import Call

__all__ = ["UUID_TEXT", "acting_org", "caller", "manages"]

# The canonical 8-4-4-4-12 form, any case (Python's uuid.UUID also takes braces, `urn:` and no hyphens: not this).
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MANAGERS = frozenset({"role:owner", "role:admin"})


def acting_org(call: Call) -> Org:
    store: CrmStore = call.store
    return store.orgs[call.principal.tenant_id]


def caller(call: Call) -> User:
    store: CrmStore = call.store
    return store.users[call.principal.key]


def manages(call: Call) -> bool:
    """An owner or admin of the acting org (an impersonating admin counts as one)."""
    return bool(call.principal.scopes & _MANAGERS)
