"""Who calls the CRM inbox: a staff member's bearer token, then the org they act in (`X-Org-Id`), and the
credentials `/__mock/credentials` lists (one per member and org)."""

from __future__ import annotations

import uuid
from typing import Any

from mock_server.apis.crminbox import errors
from mock_server.apis.crminbox.state import CrmStore
from mock_server.engine.errors import RequestInvalid
from mock_server.engine.types import Principal, RequestView

__all__ = ["authenticate", "credentials"]


def authenticate(view: RequestView, store: CrmStore) -> Principal:
    """A staff member's token, then `X-Org-Id`: 401 without a known token, 422 without a valid header, 403 for an
    org the member does not belong to (convomock design, FastAPI style)."""
    scheme, _, token = view.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.NotAuthenticated()
    user = store.user_by_token(token.strip())
    if user is None:
        raise errors.InvalidCredentials()
    org_id = view.headers.get("x-org-id")
    if org_id is None:
        raise RequestInvalid.single("header", '"X-Org-Id" is a required header', ["X-Org-Id"], "required")
    try:
        org_id = str(uuid.UUID(org_id))
    except ValueError:
        raise RequestInvalid.single(
            "header", f'"{org_id}" is not a "uuid"', ["X-Org-Id"], "format", allowed=("uuid",), value=org_id
        ) from None
    if org_id not in user.org_ids or org_id not in store.orgs:
        raise errors.NotAMember()
    return Principal(tenant_id=org_id, key=user.id, label=user.name)


def credentials(store: CrmStore) -> list[dict[str, Any]]:
    """Every member's token in every org they belong to, with the `X-Org-Id` header that selects it."""
    return [
        {
            "tenant": org_id,
            "token": user.token,
            "base_path": "",
            "user_id": user.id,
            "user": user.name,
            "org": store.orgs[org_id].name,
            "tenant_headers": {"X-Org-Id": org_id},
        }
        for user in store.users.values()
        for org_id in user.org_ids
        if org_id in store.orgs
    ]
