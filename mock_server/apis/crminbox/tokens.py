"""Iron's access tokens: Supabase Auth JWTs, HS256 with audience `authenticated`, signed with the deployment's shared
secret (Iron's authentication page). The mock mints them (the seed's long-lived ones, `POST /__mock/crm-inbox/tokens`)
and checks them on every request, expiry on the mock clock.

The claims follow Supabase's access-token layout; the pages name only the algorithm, the audience and the secret,
so only those (plus `exp` and a uuid `sub`) are checked: `iss`, `role`, `email` are what Supabase puts there,
read by nobody (convomock design).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import jwt

__all__ = ["AUDIENCE", "ISSUER", "SEEDED_LIFETIME", "claims_of", "mint"]

AUDIENCE = "authenticated"
ISSUER = "https://your-domain.example/auth/v1"  # Supabase Auth at the operator's domain (convomock design)
SEEDED_LIFETIME = timedelta(days=3650)  # the seed's tokens outlive any test run


def mint(
    secret: str,
    user_id: str,
    email: str,
    name: str,
    issued: datetime,
    lifetime: timedelta,
    session_id: str,
    audience: str = AUDIENCE,
) -> str:
    """A Supabase-style access token for one staff member, issued at `issued` (the mock clock)."""
    iat = int(issued.timestamp())
    payload = {
        "iss": ISSUER,
        "sub": user_id,
        "aud": audience,
        "exp": int((issued + lifetime).timestamp()),
        "iat": iat,
        "email": email,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"full_name": name},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": iat}],
        "session_id": session_id,
        "is_anonymous": False,
    }
    return jwt.encode(payload, secret, algorithm="HS256", headers={"typ": "JWT"})


@functools.lru_cache(maxsize=1024)
def _verified(token: str, secret: str) -> Mapping[str, Any] | None:
    """Signature, algorithm (HS256 only) and audience, checked once per token (the clock moves, so expiry is not)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["sub", "exp", "aud"]},
        )
    except jwt.PyJWTError:
        return None
    return MappingProxyType(claims)


def claims_of(token: str, secret: str, now: datetime | None) -> Mapping[str, Any] | None:
    """The claims of a valid, unexpired token whose `sub` is a uuid; None for anything else (one 401 for all)."""
    claims = _verified(token, secret)
    if claims is None:
        return None
    exp, sub = claims.get("exp"), claims.get("sub")
    if not isinstance(exp, int) or isinstance(exp, bool) or (now is not None and exp <= now.timestamp()):
        return None
    try:  # the canonical form only: a hyphen-less or braced copy of a user's id is no user's id
        canonical = str(uuid.UUID(str(sub))) == str(sub).lower()
    except ValueError:
        return None
    return claims if canonical else None
