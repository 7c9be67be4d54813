"""1TO1 AI credentials: a business's bearer key, bound to the business slug in the path, and its rate limit.

The key alone names the business; the slug in the path must agree, so a key used against another business is the
vendor's 403, not a 404. The limit is counted per key (the docs' 60 requests a minute), and 1TO1 AI tells it only on
its 429s (errors.py words those), so successes carry no rate-limit headers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mock_server.apis.onetoone import errors
from mock_server.apis.onetoone.state import OneToOneStore
from mock_server.engine.ratelimit import RateLimitPolicy
from mock_server.engine.types import Principal, RequestView

__all__ = ["RATE_LIMITS", "authenticate", "credentials"]

RATE_LIMITS = (RateLimitPolicy(limit=errors.RATE_LIMIT, window=timedelta(minutes=1), name="minute"),)


def authenticate(view: RequestView, store: OneToOneStore) -> Principal:
    """Bearer key -> its business; the slug in the path must be that business (case-insensitive)."""
    scheme, _, token = view.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise errors.InvalidApiToken("The Authorization header must be 'Bearer sk_1to1_...'.")
    owner = store.key_owner(token)
    if owner is None or owner[1].revoked:
        raise errors.InvalidApiToken()
    business, key = owner
    slug = view.path_params.get("slug", "")
    if slug.lower() != business.slug:
        raise errors.TokenBusinessMismatch(slug=slug)
    return Principal(tenant_id=business.slug, key=key.uuid, label=key.name)


def credentials(store: OneToOneStore) -> list[dict[str, Any]]:
    """Every key that still works, with what a client needs to call as it (`/__mock/credentials`)."""
    return [
        {
            "tenant": b.slug,
            "token": k.token,
            "base_path": f"/api/v1/public/{b.slug}",
            "business": b.name,
            "key_name": k.name,
            "slug": b.slug,
            "path_params": {"slug": b.slug},
            "ai_token_balance": b.ai_token_balance,
        }
        for b in store.businesses.values()
        for k in b.keys
        if not k.revoked
    ]
