"""The rows of the table: one documented request per API, and how to send it to the mock and to Prism.

Tokens and tenant headers come from the mock's own `GET /__mock/credentials` (the first credential of each API
is the acme tenant with full rights), so a new seed or key changes nothing here. The mock serves each API under
a prefix (`/1to1ai`, ...) plus the spec's server path; Prism serves the spec's paths at its root, so the
1TO1 AI slug (part of the credential's base path) is kept and the server path dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.load import Request
from mock_server import DATA_ROOT
from mock_server.engine.backend import client_headers
from mock_server.engine.specs import load_spec

__all__ = [
    "ACTION_GROUP",
    "DOCS_CONVERSATION",
    "GLOBEX_CONVERSATION",
    "ROWS",
    "SPECS_DIR",
    "Credential",
    "Row",
    "credential",
    "mock_request",
    "prism_request",
    "spec_path",
]

SPECS_DIR = DATA_ROOT / "specs"

DOCS_CONVERSATION = "550e8400-e29b-41d4-a716-446655440000"  # acme's, in the vendor's docs
OMNI_ORGANIZATION = 456  # acme's organization (Acme Solutions), the one its API key belongs to
GLOBEX_CONVERSATION = "9a1b2c3d-0002-4e4f-8a5b-6c7d8e9f0a01"  # globex's first fixed one

# Three actions that succeed every time and leave the conversation as seeded: the label it already has, the
# mailbox it is already in, the AI employee it already has. An AI action would spend the business's tokens and
# end in 402 INSUFFICIENT_AI_TOKENS within seconds; a note or message would grow the thread by one per request.
ACTION_GROUP = {
    "conversation": {"uuid": DOCS_CONVERSATION},
    "stop_on_error": False,
    "actions": [
        {"type": "assign_label", "tags": [{"name": "VIP"}]},
        {"type": "assign_mailbox", "mailbox": {"name": "Bandeja principal"}},
        {"type": "assign_ai_employee", "ai_employee": {"name": "Sales Agent"}},
    ],
}


@dataclass(frozen=True)
class Row:
    """A table row: `path` is relative to the tenant's base path (for 1TO1 AI that includes `/{slug}`)."""

    key: str
    title: str
    api: str
    method: str
    path: str
    body: Mapping[str, Any] | None = None

    @property
    def spec(self) -> Path:
        return SPECS_DIR / f"{self.api}.yaml"

    @property
    def is_get(self) -> bool:
        return self.method == "GET"


ROWS: tuple[Row, ...] = (
    Row("get-conversation", "1TO1 AI GET conversation", "1to1ai", "GET", f"/conversations/{DOCS_CONVERSATION}"),
    Row("post-actions", "1TO1 AI POST action group (3)", "1to1ai", "POST", "/conversation/actions", ACTION_GROUP),
    Row("hl-search", "HighLevel agents search", "highlevel", "GET", "/conversation-ai/agents/search"),
    Row(
        "omni-find",
        "omni-inbox find $limit=50",
        "omni-inbox",
        "GET",
        f"/conversations?organization_id={OMNI_ORGANIZATION}&$limit=50",
    ),
    Row("crm-list", "CRM GET /api/v1/conversations", "crm-inbox", "GET", "/conversations"),
)


@dataclass(frozen=True)
class Credential:
    """One working credential as the mock lists it: where the tenant lives and the headers it sends."""

    api: str
    tenant: str
    mock_base: str  # path on the mock, e.g. /1to1ai/api/v1/public/acme
    base_path: str  # path after the spec's server URL, e.g. /api/v1/public/acme
    headers: tuple[tuple[str, str], ...]


def credential(
    credentials: Mapping[str, Sequence[Mapping[str, Any]]], api: str, tenant: str | None = None
) -> Credential:
    """The first credential of `api` (of `tenant` when given)."""
    entries = [c for c in credentials[api] if tenant is None or c["tenant"] == tenant]
    if not entries:
        raise LookupError(f"GET /__mock/credentials lists no {api} credential for tenant {tenant!r}")
    entry = entries[0]
    headers = client_headers(entry)
    return Credential(
        api=api,
        tenant=entry["tenant"],
        mock_base=urlsplit(entry["base_url"]).path,
        base_path=entry.get("base_path", ""),
        headers=tuple(headers.items()),
    )


def _with_body(cred: Credential, path: str, row: Row) -> Request:
    headers = cred.headers
    body = None
    if row.body is not None:
        headers = (*headers, ("Content-Type", "application/json"))
        body = json.dumps(row.body, separators=(",", ":")).encode("utf-8")
    return Request(row.method, path, headers, body)


def mock_request(row: Row, cred: Credential) -> Request:
    return _with_body(cred, cred.mock_base + row.path, row)


def spec_path(api: str) -> str:
    """The path part of the spec's first server URL (`/api/v1/public` for 1TO1 AI, '' for the others)."""
    return load_spec(SPECS_DIR / f"{api}.yaml").base_path


def prism_request(row: Row, cred: Credential) -> Request:
    server = spec_path(row.api)
    tenant_part = cred.base_path.removeprefix(server)
    return _with_body(cred, tenant_part + row.path, row)
