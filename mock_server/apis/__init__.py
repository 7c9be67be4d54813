"""The APIs convomock serves, by name. Each package exports one `API` binding; the engine never imports them."""

from __future__ import annotations

from mock_server.apis.crminbox import API as CRM_INBOX
from mock_server.apis.highlevel import API as HIGHLEVEL
from mock_server.apis.omniinbox import API as OMNI_INBOX
from mock_server.apis.onetoone import API as ONETOONE
from mock_server.engine.types import ApiBinding

__all__ = ["BINDINGS", "binding"]

BINDINGS: dict[str, ApiBinding] = {
    ONETOONE.name: ONETOONE,
    HIGHLEVEL.name: HIGHLEVEL,
    CRM_INBOX.name: CRM_INBOX,
    OMNI_INBOX.name: OMNI_INBOX,
}


def binding(name: str) -> ApiBinding:
    if name not in BINDINGS:
        raise KeyError(f"unknown API {name!r}; known: {', '.join(BINDINGS)}")
    return BINDINGS[name]
