"""Who calls AchieveApex: an `x-api-key` (scoped to one organization, tied to one user [doc]), else a Feathers JWT
from `POST /authentication` (`Authorization: Bearer`), checked as Feathers' jwt strategy checks it (HS256 with the
seeded secret, audience and issuer once per token; expiry on the mock clock and log-out on every request, in
jsonwebtoken's words). Also the credentials `/__mock/credentials` lists, and the documented rate limit.

The principal: `tenant_id` the caller's first organization, `key` what the rate limit counts against
(`org:<id>` for a key, the limit being per organization [doc]; `user:<id>` for a JWT), `label` the acting user
(`user:<id>`; a key acts as its user), `scopes` the credential's facts a handler needs (`strategy:api-key` or
`strategy:jwt`, and a JWT's `jti:` and `token:`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import jwt

from mock_server.apis.omniinbox import errors
from mock_server.apis.omniinbox.state import AchieveApexStore, Record
from mock_server.engine.ratelimit import RateLimitPolicy
from mock_server.engine.types import Principal, RequestView

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "RATE_LIMITS",
    "TOKEN_TTL",
    "authenticate",
    "credentials",
    "issue_token",
    "verify_token",
]

AUDIENCE = "https://yourdomain.com"  # Feathers' defaults, which AchieveApex keeps (convomock design)
ISSUER = "feathers"
TOKEN_TTL = timedelta(days=1)
RATE_LIMITS = (RateLimitPolicy(errors.RATE_LIMIT, timedelta(seconds=errors.RATE_WINDOW), "hour"),)


def issue_token(
    store: AchieveApexStore, user_id: int | str, issued: datetime, jti: str, ttl: timedelta = TOKEN_TTL
) -> str:
    payload = {
        "sub": str(user_id),
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": jti,
    }
    return jwt.encode(payload, store.jwt_secret, algorithm="HS256", headers={"typ": "access"})


@functools.lru_cache(maxsize=1024)
def _claims(token: str, secret: str) -> Mapping[str, Any] | str:
    """Signature, algorithm, audience and issuer, checked once per token (the clock moves, so expiry is not);
    the claims, or jsonwebtoken's words for what is wrong."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"verify_exp": False, "require": ["sub"]},
        )
    except jwt.InvalidSignatureError:
        return "invalid signature"
    except jwt.InvalidAlgorithmError:
        return "jwt signature is required" if token.endswith(".") else "invalid algorithm"
    except jwt.InvalidAudienceError:
        return f"jwt audience invalid. expected: {AUDIENCE}"
    except jwt.InvalidIssuerError:
        return f"jwt issuer invalid. expected: {ISSUER}"
    except jwt.PyJWTError:
        return "jwt malformed"
    return MappingProxyType(claims)


def verify_token(store: AchieveApexStore, token: str, now: datetime | None) -> tuple[Record, Mapping[str, Any]]:
    """The user a JWT names and its claims, or 401 NotAuthenticated in jsonwebtoken's (or Feathers') words."""
    claims = _claims(token, store.jwt_secret)
    if isinstance(claims, str):
        raise errors.NotAuthenticated(claims)
    if "exp" not in claims:
        raise errors.NotAuthenticated("jwt malformed")
    exp = claims["exp"]  # a number, as jsonwebtoken checks it ("abc", null, [1], true, NaN: its words below)
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or (isinstance(exp, float) and math.isnan(exp)):
        raise errors.NotAuthenticated("invalid exp value")
    if now is not None and exp <= now.timestamp():
        raise errors.NotAuthenticated("jwt expired")
    user = store.user(str(claims.get("sub", "")))
    if user is None:
        raise errors.NotAuthenticated("Not authenticated")
    home = store.home(user)
    if home is not None and str(claims.get("jti", "")) in home.revoked:
        raise errors.NotAuthenticated("Invalid access token")
    return user, claims


def authenticate(view: RequestView, store: AchieveApexStore) -> Principal:
    """Every credential a request presents must hold (convomock design: the pages are silent on sending both); with
    a key and a JWT, the key decides the organization and the user."""
    key = view.headers.get("x-api-key")
    authorization = view.headers.get("authorization")
    if key is not None:
        found = store.api_keys.get(key.strip())
        if found is None or found["revoked"] or str(found["organization_id"]) not in store.organizations:
            raise errors.NotAuthenticated("Invalid API key")
        if authorization is not None:
            _bearer_user(store, authorization, view.now)
        org = found["organization_id"]
        scopes = frozenset({"strategy:api-key"})
        return Principal(tenant_id=str(org), key=f"org:{org}", label=f"user:{found['user_id']}", scopes=scopes)
    user, claims, token = _bearer_user(store, authorization or "", view.now)
    first = next(iter(user["memberships"]), "")
    scopes = frozenset({"strategy:jwt", f"jti:{claims.get('jti', '')}", f"token:{token}"})
    return Principal(tenant_id=first, key=f"user:{user['id']}", label=f"user:{user['id']}", scopes=scopes)


def _bearer_user(
    store: AchieveApexStore, authorization: str, now: datetime | None
) -> tuple[Record, Mapping[str, Any], str]:
    """The user, claims and token of an `Authorization: Bearer <jwt>` header, or 401 NotAuthenticated."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() not in ("bearer", "jwt") or not token:
        raise errors.NotAuthenticated("Not authenticated")
    user, claims = verify_token(store, token, now)
    return user, claims, token


def credentials(store: AchieveApexStore) -> list[dict[str, Any]]:
    """Per organization (the fixtures' order): its API key (sent as `x-api-key`), then a seeded JWT of each member
    (as a bearer token; it names no organization, so a request passes `organization_id`). `schemes` names the
    spec's security scheme each is for: the docs page pre-authorises `apiKey` with the first key and `bearer` with
    the first JWT, and Swagger UI sends both on an operation that takes either (the key then decides)."""
    tokens = {user_id: token for token, user_id in store.tokens.items()}
    found: list[dict[str, Any]] = []
    for org in store.organizations.values():
        name = org.record["name"]
        for key in store.api_keys.values():
            if key["organization_id"] == org.id and not key["revoked"]:
                user = store.users[str(key["user_id"])]
                found.append(
                    {
                        "tenant": str(org.id),
                        "token": key["key"],
                        "token_header": "x-api-key",
                        "schemes": ["apiKey"],
                        "base_path": "",
                        "organization": name,
                        "user": user["email"],
                    }
                )
        for user in store.users.values():
            if str(org.id) in user["memberships"] and str(user["id"]) in tokens:
                found.append(
                    {
                        "tenant": str(org.id),
                        "token": tokens[str(user["id"])],
                        "schemes": ["bearer"],
                        "base_path": "",
                        "organization": name,
                        "user": user["email"],
                        "password": user["password"],
                        "role": user["memberships"][str(org.id)],
                    }
                )
    return found
