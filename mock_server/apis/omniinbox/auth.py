"""Omni-inbox authentication: the JWTs of POST /authentication (issued and verified here, signature and audience
once per token, expiry on the mock clock), and the seeded credentials the engine lists."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import jwt

from mock_server.apis.omniinbox import errors
from mock_server.apis.omniinbox.state import OmniStore
from mock_server.engine.types import Principal, RequestView

__all__ = ["AUDIENCE", "TOKEN_TTL", "authenticate", "credentials", "issue_token"]

AUDIENCE = "https://inbox.example.com"
TOKEN_TTL = timedelta(days=1)


def issue_token(store: OmniStore, user_id: str, issued: Any, jti: str, ttl: timedelta = TOKEN_TTL) -> str:
    payload = {
        "sub": user_id,
        "aud": AUDIENCE,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": jti,
    }
    return jwt.encode(payload, store.jwt_secret, algorithm="HS256")


@functools.lru_cache(maxsize=1024)
def _verified_claims(token: str, secret: str) -> Mapping[str, Any]:
    """Signature and audience, checked once per token (a third of a request's time otherwise); the expiry is
    checked on every request against the mock clock, which moves."""
    return MappingProxyType(
        jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, options={"verify_exp": False})
    )


def authenticate(view: RequestView, store: OmniStore) -> Principal:
    """A JWT from POST /authentication (or a seeded one): signature, audience and expiry on the mock clock."""
    scheme, _, token = view.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.NotAuthenticated("Not authenticated")
    try:
        claims = _verified_claims(token.strip(), store.jwt_secret)
    except jwt.PyJWTError:
        raise errors.NotAuthenticated("invalid token") from None
    if view.now is not None and int(claims.get("exp", 0)) <= view.now.timestamp():
        raise errors.NotAuthenticated("jwt expired")
    found = store.user(str(claims.get("sub", "")))
    if found is None:
        raise errors.NotAuthenticated("No record found for the token's user")
    workspace, user = found
    return Principal(tenant_id=workspace.id, key=user["_id"], label=user["name"], scopes=frozenset())


def credentials(store: OmniStore) -> list[dict[str, Any]]:
    found = []
    for token, user_id in store.tokens.items():
        located = store.user(user_id)
        if located is not None:
            workspace, user = located
            found.append(
                {
                    "tenant": workspace.id,
                    "token": token,
                    "base_path": "",
                    "user": user["email"],
                    "password": user["password"],
                    "workspace": workspace.name,
                }
            )
    return found
