"""Who calls Iron's API (its authentication and subaccounts pages): a staff member's Supabase JWT, then the org they
act in (`X-Org-Id`, or their earliest-joined org); the webhook seams' shared secret or installation token; and the
credentials `/__mock/credentials` lists.

Order (Iron's authentication page): the user is resolved first (401 with `WWW-Authenticate: Bearer`), then the
acting org, validated against the user's `crm.org_members` rows: malformed 400, not a member 403 (the same bytes
whether the org exists or not), omitted: the earliest-joined org.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime
from typing import Any

from mock_server.apis.crminbox import errors, tokens
from mock_server.apis.crminbox.calls import UUID_TEXT
from mock_server.apis.crminbox.state import IMPERSONATION, CrmStore, Impersonation, Membership, Org, User
from mock_server.engine.ids import SeededRandom
from mock_server.engine.types import Principal, RequestView

__all__ = ["WEBHOOK_SECRET_HEADER", "authenticate", "credentials", "impersonate", "webhook_kind"]

WEBHOOK_SECRET_HEADER = "X-Iron-CRM-Secret"
_WEBHOOKS = ("inbound-sms", "inbound-email")


def webhook_kind(path: str) -> str | None:
    """`inbound-sms` / `inbound-email` for the webhook seams' paths, else None."""
    head, _, last = path.rstrip("/").rpartition("/")
    return last if last in _WEBHOOKS and head.endswith("/webhooks") else None


def authenticate(view: RequestView, store: CrmStore) -> Principal:
    kind = webhook_kind(view.path)
    if kind is not None:
        return _webhook(view, store, kind)
    user = _user(view, store)
    granted = view.headers.get("x-impersonate-token")
    if granted is not None:
        return _impersonating(view, store, user, granted)
    membership = _acting_org(view, store, user)
    scopes = frozenset({f"role:{membership.role}"})
    return Principal(tenant_id=membership.org_id, key=user.id, label=user.name, scopes=scopes)


def _user(view: RequestView, store: CrmStore) -> User:
    """The token's user; a valid token of a user never seen is Iron's first login: a fresh org, an owner."""
    scheme, _, token = view.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.NotAuthenticated()
    claims = tokens.claims_of(token.strip(), store.jwt_secret, view.now)
    if claims is None:
        raise errors.InvalidCredentials()
    sub = str(claims["sub"]).lower()
    user = store.users.get(sub)
    if user is None:
        if view.now is None:
            raise errors.InvalidCredentials()
        email = claims.get("email") if isinstance(claims.get("email"), str) and claims.get("email") else None
        email = email or f"{sub}@users.invalid"
        metadata = claims.get("user_metadata")
        name = metadata.get("full_name") if isinstance(metadata, dict) else None
        user = _provision(store, sub, email, str(name or email.split("@")[0])[:200], view.now)
    return user


def _impersonating(view: RequestView, store: CrmStore, user: User, token: str) -> Principal:
    """`X-Impersonate-Token` beside the admin's own JWT: act in the token's org, as the admin (audit keeps them).
    Unknown, expired or another user's token: 403; an `X-Org-Id` naming another org: 403 (convomock design)."""
    grant = store.impersonations.get(token.strip())
    if grant is None or grant.user_id != user.id or (view.now is not None and view.now >= grant.expires_at):
        raise errors.Forbidden(why="Invalid impersonation token")
    named = view.headers.get("x-org-id")
    if named is not None and not UUID_TEXT.fullmatch(named.strip()):
        raise errors.MalformedOrg()
    if named is not None and named.strip().lower() != grant.org_id:
        raise errors.NotAMember()
    if grant.org_id not in store.orgs:
        raise errors.Forbidden(why="Invalid impersonation token")
    scopes = frozenset({"role:admin", f"impersonating:{grant.org_id}"})
    return Principal(tenant_id=grant.org_id, key=user.id, label=user.name, scopes=scopes)


def _acting_org(view: RequestView, store: CrmStore, user: User) -> Membership:
    """The membership the call acts through: `X-Org-Id`'s when sent (a canonical uuid the user is a member of),
    else the earliest-joined org's (ties: the lower id, convomock design)."""
    named = view.headers.get("x-org-id")
    if named is None:
        present = [m for m in user.memberships if m.org_id in store.orgs]
        if not present:
            raise errors.NotAMember()
        return min(present, key=lambda m: (m.joined_at, m.org_id))
    named = named.strip()
    if not UUID_TEXT.fullmatch(named):
        raise errors.MalformedOrg()
    membership = user.membership(named.lower())
    if membership is None or membership.org_id not in store.orgs:
        raise errors.NotAMember()
    return membership


def _webhook(view: RequestView, store: CrmStore, kind: str) -> Principal:
    """Trusted seams carry no user JWT and no `X-Org-Id` (Iron's webhooks page): the shared secret (the org then
    comes in the body) or, for inbound email, the installation's token (`?token=`, which names the org)."""
    secret = view.headers.get(WEBHOOK_SECRET_HEADER.lower())
    if secret is not None and store.crm_secret and hmac.compare_digest(secret.encode(), store.crm_secret.encode()):
        return Principal(tenant_id="", key="webhook:crm-secret", label="system")
    if kind == "inbound-email":
        token = next((v for k, v in view.query if k == "token"), None)
        org = next(
            (
                o
                for o in store.orgs.values()
                if token and o.installation_token and hmac.compare_digest(token.encode(), o.installation_token.encode())
            ),
            None,
        )
        if org is not None:
            return Principal(tenant_id=org.id, key=f"webhook:installation:{org.id}", label="system")
        raise errors.WebhookUnauthorized("Invalid webhook token")
    raise errors.WebhookUnauthorized("Invalid CRM secret")


def impersonate(
    store: CrmStore, user: User, acting: Org, target_id: str, rng: SeededRandom, now: datetime
) -> Impersonation:
    """Iron's rules: the caller is an admin or owner of the acting org (403); the target is that org or a direct
    subaccount (403 for any other org, 404 for none). One hour on the mock clock (convomock design)."""
    membership = user.membership(acting.id)
    if membership is None or membership.role not in ("owner", "admin"):
        raise errors.Forbidden(why="Only an owner or admin can impersonate")
    target = store.orgs.get(target_id.lower())
    if target is None:
        raise errors.NotFound(what="Organization")
    if target.id != acting.id and target.parent_id != acting.id:
        raise errors.Forbidden(why="Not your organization or one of its direct subaccounts")
    grant = Impersonation("imp_" + rng.token(32, "0123456789abcdef"), user.id, target.id, now, now + IMPERSONATION)
    store.impersonations[grant.token] = grant
    return grant


def _provision(store: CrmStore, user_id: str, email: str, name: str, now: datetime) -> User:
    """Iron's first login: a brand-new user gets a fresh org and an owner membership (its id derived from the
    user's, so no generator draw: the same on every run)."""
    org = Org(
        id=str(uuid.uuid5(uuid.UUID(user_id), "iron-first-login-org")),
        name=f"{name}'s organization",
        sla_minutes=60,
        timezone="UTC",
    )
    store.orgs[org.id] = org
    user = User(user_id, name, email, token="", memberships=[Membership(org.id, "owner", False, now)])
    store.users[user.id] = user
    return user


def credentials(store: CrmStore) -> list[dict[str, Any]]:
    """Every member of every org (parents before their children), with the seeded token and the `X-Org-Id` that
    selects the org; then the webhook seams' secrets, marked with `purpose` (no user: clients skip them) and with
    `schemes`, the spec's security schemes they are for (the docs page authorises each scheme with the first
    credential naming it, the user's token everywhere else)."""
    jwt_info = {"alg": "HS256", "aud": tokens.AUDIENCE, "secret": store.jwt_secret}
    found: list[dict[str, Any]] = []
    for org in store.orgs.values():
        for user in store.users.values():
            membership = user.membership(org.id)
            if membership is None or not user.token:  # a user provisioned at first login: their own token
                continue
            found.append(
                {
                    "tenant": org.id,
                    "token": user.token,
                    "user_id": user.id,
                    "user": user.name,
                    "email": user.email,
                    "role": membership.role,
                    "client": membership.client,
                    "org": org.name,
                    "parent_org_id": org.parent_id,
                    "tenant_headers": {"X-Org-Id": org.id},
                    "jwt": jwt_info,
                }
            )
    for org in store.orgs.values():
        if org.installation_token is None:
            continue
        found.append(
            {
                "tenant": org.id,
                "purpose": "webhooks",
                "schemes": ["crmSecret"],
                "token_header": WEBHOOK_SECRET_HEADER,
                "token": store.crm_secret,
                "body": {"org_id": org.id},
            }
        )
        found.append(
            {
                "tenant": org.id,
                "purpose": "inbound-email",
                "schemes": ["installationToken"],
                "token": org.installation_token,
                "query": {"token": org.installation_token},
            }
        )
    return found
