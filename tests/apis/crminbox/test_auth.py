"""CRM inbox: Iron's user authentication through HTTP (its authentication page; issue 15, design §2). A Supabase
access token, HS256 with audience `authenticated`, signed with the deployment's secret and unexpired on the mock
clock, whose `sub` is a staff member's uuid; anything else is one 401 with `WWW-Authenticate: Bearer`. Also the
control API's token mint (`POST /__mock/crm-inbox/tokens`) and what `/__mock/credentials` publishes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import jwt
import pytest

from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_BOB,
    CRM_DAVE,
    CRM_FIXTURES,
    CRM_GLOBEX,
    CRM_JWT_SECRET,
    CRM_THREAD,
    CRM_TOKENS,
    CrmClient,
)

INVALID = {"detail": "Invalid authentication credentials"}
NOT_AUTHENTICATED = {"detail": "Not authenticated"}
ISSUER = "https://your-domain.example/auth/v1"
OTHER_SECRET = "another-deployments-supabase-jwt-secret-0123456789"
OLD_OPAQUE_TOKEN = "crm_alice_5b1f3e7a9c2d4e6f8a0b"  # the mock's earlier credential, before Iron's JWTs
NO_USER = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1bff"  # a uuid no seeded staff member has
TEN_YEARS = 3650 * 24 * 3600
USERS: dict[str, dict[str, Any]] = {u["id"]: u for u in CRM_FIXTURES["users"]}
EMAILS = [u["email"] for u in CRM_FIXTURES["users"]]
BAD_EXPIRES_IN = {"error": "expires_in: seconds, 1 to 315360000 (default 3600)"}
BAD_AUD = {"error": "aud: a string (default authenticated)"}


def bearer(crm: CrmClient, token: str, org: str | None = CRM_ACME, scheme: str = "Bearer") -> CrmClient:
    """A client sending `token` (and `X-Org-Id: org` unless None)."""
    headers = {"Authorization": f"{scheme} {token}"}
    if org is not None:
        headers["X-Org-Id"] = org
    return CrmClient(crm.mock, crm.base_path, headers, org=org)


def sending(crm: CrmClient, headers: dict[str, str]) -> CrmClient:
    """A client sending only `headers`."""
    return CrmClient(crm.mock, crm.base_path, headers)


def thread_ids(response: httpx.Response, org: str) -> set[str]:
    """The ids of a first page of threads, every one of them the org's."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert body["items"], body
    assert {c["org_id"] for c in body["items"]} == {org}
    return {c["id"] for c in body["items"]}


def invalid(response: httpx.Response) -> None:
    """The one 401 every bad token gets: FastAPI's HTTPBearer text, with the bearer challenge."""
    assert response.status_code == 401, response.text
    assert response.json() == INVALID
    assert response.headers.get("www-authenticate") == "Bearer"


def not_authenticated(response: httpx.Response) -> None:
    """No bearer token at all: FastAPI's HTTPBearer text, with the bearer challenge."""
    assert response.status_code == 401, response.text
    assert response.json() == NOT_AUTHENTICATED
    assert response.headers.get("www-authenticate") == "Bearer"


def now(crm: CrmClient) -> int:
    """The mock clock, in Unix seconds (what `iat` and `exp` are written in)."""
    response = crm.http.get("/__mock/clock")
    assert response.status_code == 200
    return int(datetime.fromisoformat(response.json()["now"]).timestamp())


def mint(crm: CrmClient, **body: Any) -> dict[str, Any]:
    response = crm.http.post("/__mock/crm-inbox/tokens", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def verify(
    token: str, secret: str = CRM_JWT_SECRET, algorithm: str = "HS256", audience: str = "authenticated"
) -> dict[str, Any]:
    """The claims of a token checked as Iron checks it, except the times: those are on the mock clock, not the wall
    clock PyJWT reads."""
    found: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=[algorithm],
        audience=audience,
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    return found


def claims(token: str) -> dict[str, Any]:
    """The claims as a client reads them: no verification."""
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


def alice_claims() -> dict[str, Any]:
    """A valid set of claims to alter: those of Alice's seeded token."""
    return claims(CRM_TOKENS[CRM_ALICE])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def by_hand(header: dict[str, Any], payload: dict[str, Any], secret: str | None = CRM_JWT_SECRET) -> str:
    """A JWT written without PyJWT: whatever header it claims, signed HMAC-SHA256 with `secret` (None: unsigned,
    the empty signature of `alg: none`)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if secret is None:
        return f"{signing_input}."
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def signed(payload: dict[str, Any], secret: str = CRM_JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret, algorithm=algorithm, headers={"typ": "JWT"})


def without(payload: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in names}


def tampered(payload: dict[str, Any]) -> str:
    """Alice's signature on a payload that now names Bob."""
    head, _, signature = signed(payload).split(".")
    return f"{head}.{b64(json.dumps({**payload, 'sub': CRM_BOB}).encode())}.{signature}"


def supabase_key(role: str, at: int) -> dict[str, Any]:
    """A Supabase project's anon / service_role API key: no `aud`, no `sub`."""
    return {"iss": "supabase", "ref": "yourproject", "role": role, "iat": at, "exp": at + TEN_YEARS}


# -- the seeded tokens -------------------------------------------------------------------------------------------------


def test_the_seeded_token_works(crm: CrmClient) -> None:
    assert crm.sent["Authorization"] == f"Bearer {CRM_TOKENS[CRM_ALICE]}"
    ids = thread_ids(crm.get("/conversations", params={"limit": 100}), CRM_ACME)
    assert CRM_THREAD in ids
    response = crm.get(f"/conversations/{CRM_THREAD}")
    assert response.status_code == 200
    assert response.json()["id"] == CRM_THREAD and response.json()["org_id"] == CRM_ACME


@pytest.mark.parametrize("user", list(USERS))
def test_a_seeded_token_is_a_supabase_access_token(crm: CrmClient, user: str) -> None:
    token = CRM_TOKENS[user]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    found = claims(token)
    start = now(crm)
    assert found["aud"] == "authenticated"
    assert found["sub"] == user
    assert found["iss"] == ISSUER
    assert found["role"] == "authenticated"
    assert found["email"] == USERS[user]["email"]
    assert found["user_metadata"] == {"full_name": USERS[user]["name"]}
    assert found["is_anonymous"] is False
    assert found["iat"] == start and found["exp"] == start + TEN_YEARS  # issued at the clock's start, for ten years
    # and it verifies as Iron verifies it
    assert verify(token) == found


def test_a_seeded_token_lasts_ten_years_on_the_mock_clock(crm: CrmClient) -> None:
    crm.advance("3649d")
    assert CRM_THREAD in thread_ids(crm.get("/conversations", params={"limit": 100}), CRM_ACME)
    crm.advance("1d")
    invalid(crm.get("/conversations"))


# -- minted tokens -----------------------------------------------------------------------------------------------------


def test_a_minted_token_is_supabases_token_response_and_works(crm: CrmClient) -> None:
    at = now(crm)
    body = mint(crm, user="alice@acme-homes.example")
    token = body.pop("access_token")
    assert body == {
        "token_type": "bearer",
        "expires_in": 3600,  # Supabase's default
        "expires_at": at + 3600,
        "user": {"id": CRM_ALICE, "email": "alice@acme-homes.example"},
    }
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    verified = verify(token)
    assert verified["sub"] == CRM_ALICE and verified["iat"] == at and verified["exp"] == at + 3600
    assert verified["iss"] == ISSUER and verified["role"] == "authenticated"
    seeded = crm.get("/conversations", params={"limit": 100})
    minted = bearer(crm, token).get("/conversations", params={"limit": 100})
    assert thread_ids(minted, CRM_ACME) == thread_ids(seeded, CRM_ACME)
    assert minted.json() == seeded.json()


@pytest.mark.parametrize("user", [CRM_DAVE, CRM_DAVE.upper(), "dave@consulting.example", "DAVE@Consulting.Example"])
def test_a_token_is_minted_for_a_user_named_by_id_or_email(crm: CrmClient, user: str) -> None:
    body = mint(crm, user=user, expires_in=600)
    assert body["user"] == {"id": CRM_DAVE, "email": "dave@consulting.example"}
    assert body["expires_in"] == 600
    assert claims(body["access_token"])["sub"] == CRM_DAVE
    # no X-Org-Id: Dave's earliest-joined org, Globex
    thread_ids(bearer(crm, body["access_token"], None).get("/conversations"), CRM_GLOBEX)


def test_a_minted_token_expires_on_the_mock_clock(crm: CrmClient) -> None:
    at = now(crm)
    body = mint(crm, user=CRM_ALICE, expires_in=120)
    assert body["expires_at"] == at + 120 == claims(body["access_token"])["exp"]
    client = bearer(crm, body["access_token"])
    crm.advance("119s")
    thread_ids(client.get("/conversations"), CRM_ACME)  # a second before exp
    crm.advance("1s")
    before = crm.state()
    invalid(client.get("/conversations"))  # exactly at exp: expired
    invalid(client.post(f"/conversations/{CRM_THREAD}/read"))
    assert crm.state() == before
    crm.advance("1h")
    invalid(client.get("/conversations"))  # long after
    thread_ids(crm.get("/conversations"), CRM_ACME)  # the seeded token is still good


def test_a_token_minted_for_another_audience_is_refused(crm: CrmClient) -> None:
    body = mint(crm, user=CRM_ALICE, aud="anon")
    assert body["user"] == {"id": CRM_ALICE, "email": "alice@acme-homes.example"}
    assert claims(body["access_token"])["aud"] == "anon"
    before = crm.state()
    invalid(bearer(crm, body["access_token"]).get("/conversations"))
    assert crm.state() == before


@pytest.mark.parametrize("expires_in", [1, 315_360_000])
def test_the_lifetime_bounds_are_accepted(crm: CrmClient, expires_in: int) -> None:
    at = now(crm)
    body = mint(crm, user=CRM_BOB, expires_in=expires_in)
    assert body["expires_in"] == expires_in and body["expires_at"] == at + expires_in
    assert claims(body["access_token"])["exp"] == at + expires_in
    thread_ids(bearer(crm, body["access_token"]).get("/conversations"), CRM_ACME)


# -- the mint's refusals -----------------------------------------------------------------------------------------------


def test_minting_for_an_unknown_user_is_404_listing_the_emails(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.http.post("/__mock/crm-inbox/tokens", json={"user": "nobody@example.com"})
    assert response.status_code == 404
    assert response.json() == {
        "error": f"no user 'nobody@example.com'; give a user id or email: {', '.join(EMAILS)}",
    }
    assert crm.state() == before


@pytest.mark.parametrize(
    "body", [{}, {"user": NO_USER}, {"user": 42}, {"user": ""}], ids=["none", "uuid", "int", "empty"]
)
def test_minting_without_a_known_user_is_404(crm: CrmClient, body: dict[str, Any]) -> None:
    response = crm.http.post("/__mock/crm-inbox/tokens", json=body)
    assert response.status_code == 404
    [error] = response.json().values()
    assert set(response.json()) == {"error"}
    assert error.startswith("no user ") and error.endswith(f"give a user id or email: {', '.join(EMAILS)}")


@pytest.mark.parametrize("expires_in", [0, -1, 315_360_001, "3600", 1.5, True, None])
def test_minting_with_a_bad_lifetime_is_400(crm: CrmClient, expires_in: Any) -> None:
    before = crm.state()
    response = crm.http.post("/__mock/crm-inbox/tokens", json={"user": CRM_ALICE, "expires_in": expires_in})
    assert response.status_code == 400
    assert response.json() == BAD_EXPIRES_IN
    assert crm.state() == before


@pytest.mark.parametrize("aud", ["", 5, None])
def test_minting_with_a_bad_audience_is_400(crm: CrmClient, aud: Any) -> None:
    response = crm.http.post("/__mock/crm-inbox/tokens", json={"user": CRM_ALICE, "aud": aud})
    assert response.status_code == 400
    assert response.json() == BAD_AUD


# -- tokens signed by hand ---------------------------------------------------------------------------------------------


def test_a_hand_signed_token_with_the_published_secret_works(crm: CrmClient) -> None:
    """Only alg, signature, aud, exp and a uuid sub are checked: a bare token (no iss, role, email) is accepted, and
    `aud` may be a list that contains `authenticated`."""
    exp = now(crm) + 60
    bare = {"sub": CRM_ALICE, "aud": "authenticated", "exp": exp}
    listed = {"sub": CRM_ALICE, "aud": ["authenticated", "other"], "exp": exp}
    expected = thread_ids(crm.get("/conversations"), CRM_ACME)
    for payload in (alice_claims(), bare, listed):
        assert thread_ids(bearer(crm, signed(payload)).get("/conversations"), CRM_ACME) == expected
    assert thread_ids(bearer(crm, by_hand({"alg": "HS256", "typ": "JWT"}, bare)).get("/conversations"), CRM_ACME)


BAD_TOKENS: dict[str, Callable[[dict[str, Any], int], str]] = {
    "wrong-secret": lambda c, at: signed(c, OTHER_SECRET),
    "alg-none": lambda c, at: by_hand({"alg": "none", "typ": "JWT"}, c, None),
    "alg-none-signed": lambda c, at: by_hand({"alg": "none", "typ": "JWT"}, c),
    "hs384": lambda c, at: signed(c, algorithm="HS384"),
    "rs256-header": lambda c, at: by_hand({"alg": "RS256", "typ": "JWT"}, c),
    "no-alg": lambda c, at: by_hand({"typ": "JWT"}, c),
    "tampered": lambda c, at: tampered(c),
    "aud-anon": lambda c, at: signed({**c, "aud": "anon"}),
    "aud-service-role": lambda c, at: signed({**c, "aud": "service_role"}),
    "no-aud": lambda c, at: signed(without(c, "aud")),
    "anon-key": lambda c, at: signed(supabase_key("anon", at)),
    "service-role-key": lambda c, at: signed(supabase_key("service_role", at)),
    "expired": lambda c, at: signed({**c, "iat": at - 3600, "exp": at - 1}),
    "exp-now": lambda c, at: signed({**c, "iat": at - 3600, "exp": at}),
    "no-exp": lambda c, at: signed(without(c, "exp")),
    "exp-text": lambda c, at: signed({**c, "exp": str(at + 3600)}),
    "no-sub": lambda c, at: signed(without(c, "sub")),
    "sub-not-uuid": lambda c, at: signed({**c, "sub": "alice@acme-homes.example"}),
    "sub-empty": lambda c, at: signed({**c, "sub": ""}),
    # Alice's id in the other spellings Python's uuid.UUID takes: no user's id (no second Alice provisioned)
    "sub-hyphenless": lambda c, at: signed({**c, "sub": CRM_ALICE.replace("-", "")}),
    "sub-braced": lambda c, at: signed({**c, "sub": "{" + CRM_ALICE + "}"}),
    "sub-urn": lambda c, at: signed({**c, "sub": "urn:uuid:" + CRM_ALICE}),
    "two-parts": lambda c, at: ".".join(signed(c).split(".")[:2]),
    "four-parts": lambda c, at: signed(c) + ".e30",
    "not-a-jwt": lambda c, at: "not-a-jwt",
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_a_bad_token_is_401_invalid_credentials(crm: CrmClient, kind: str) -> None:
    token = BAD_TOKENS[kind](alice_claims(), now(crm))
    client = bearer(crm, token)
    before = crm.state()
    invalid(client.get("/conversations"))
    invalid(client.post(f"/conversations/{CRM_THREAD}/read"))
    invalid(bearer(crm, token, None).get("/conversations"))
    assert crm.state() == before


# -- first login (Iron's Logging in page): a valid token of a user never seen gets a fresh org -----------------------


def test_a_brand_new_user_is_provisioned_an_org_of_their_own_on_the_first_request(crm: CrmClient) -> None:
    token = signed(
        {**alice_claims(), "sub": NO_USER, "email": "nia@new.example", "user_metadata": {"full_name": "Nia New"}}
    )
    before = crm.state()
    named = bearer(crm, token, CRM_ACME).get("/conversations")  # provisioned, but not a member of Acme
    assert named.status_code == 403 and named.json() == {"detail": "Not a member of this organization"}
    assert crm.state() != before  # the first authenticated request provisioned the user all the same
    own = bearer(crm, token, None)
    page = own.get("/conversations")
    assert page.status_code == 200 and page.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    config = own.get("/agents/setter/config").json()  # the new org is theirs: owner, documented default mode
    assert config["response_mode"] == "suggestive" and config["autopilot_available"] is False
    saved = own.put("/agents/setter/config", json={"response_mode": "off"})
    assert saved.status_code == 200 and saved.json()["response_mode"] == "off"  # only an owner may
    again = bearer(crm, token, None).get("/conversations/sla").json()
    assert again["timezone"] == "UTC" and again["first_response_minutes"] == 60
    # the same user a second time: no second org
    assert own.get("/conversations").json()["total"] == 0 and crm.state() == crm.state()


def test_a_token_whose_sub_is_an_org_id_provisions_a_user_with_that_id_not_the_org(crm: CrmClient) -> None:
    token = signed({**alice_claims(), "sub": CRM_ACME})
    response = bearer(crm, token, CRM_ACME).get("/conversations")  # a user id, not a membership of Acme
    assert response.status_code == 403 and response.json() == {"detail": "Not a member of this organization"}
    assert bearer(crm, token, None).get("/conversations").json()["total"] == 0


@pytest.mark.parametrize("token", [OLD_OPAQUE_TOKEN, "crm_nobody_0000000000000000"], ids=["old-alice", "old-unknown"])
def test_the_old_opaque_tokens_are_401_invalid_credentials(crm: CrmClient, token: str) -> None:
    before = crm.state()
    invalid(bearer(crm, token).get("/conversations"))
    invalid(bearer(crm, token).get(f"/conversations/{CRM_THREAD}"))
    invalid(bearer(crm, token).post(f"/conversations/{CRM_THREAD}/star"))
    assert crm.state() == before


# -- the Authorization header ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(crm: CrmClient, scheme: str) -> None:
    expected = thread_ids(crm.get("/conversations"), CRM_ACME)
    assert thread_ids(bearer(crm, CRM_TOKENS[CRM_ALICE], scheme=scheme).get("/conversations"), CRM_ACME) == expected


def test_no_authorization_header_is_401_not_authenticated(crm: CrmClient) -> None:
    before = crm.state()
    not_authenticated(sending(crm, {"X-Org-Id": CRM_ACME}).get("/conversations"))
    not_authenticated(sending(crm, {}).get("/conversations"))
    not_authenticated(sending(crm, {}).post(f"/conversations/{CRM_THREAD}/star"))
    assert crm.state() == before


ALICE = CRM_TOKENS[CRM_ALICE]


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer ",
        "Bearer",
        OLD_OPAQUE_TOKEN,  # no scheme
        ALICE,  # no scheme
        f"Token {ALICE}",
        f"JWT {ALICE}",
        f"Bearer: {ALICE}",
        f"Basic {ALICE}",
    ],
    ids=[
        "basic",
        "bearer-space",
        "bearer-alone",
        "opaque-alone",
        "jwt-alone",
        "token",
        "jwt",
        "bearer-colon",
        "basic-jwt",
    ],
)
def test_a_header_that_is_no_bearer_token_is_not_authenticated(crm: CrmClient, authorization: str) -> None:
    before = crm.state()
    client = sending(crm, {"Authorization": authorization, "X-Org-Id": CRM_ACME})
    not_authenticated(client.get("/conversations"))
    not_authenticated(client.post(f"/conversations/{CRM_THREAD}/star"))
    assert crm.state() == before


# -- /__mock/credentials -----------------------------------------------------------------------------------------------


def test_the_credentials_publish_each_members_token_and_how_to_verify_it(crm: CrmClient) -> None:
    response = crm.http.get("/__mock/credentials")
    assert response.status_code == 200
    listed = response.json()["crm-inbox"]
    members = [c for c in listed if "purpose" not in c]
    memberships = {(u["id"], m["org"]) for u in CRM_FIXTURES["users"] for m in u["memberships"]}
    assert {(c["user_id"], c["tenant"]) for c in members} == memberships
    assert len(members) == len(memberships)
    for entry in members:
        assert entry["jwt"] == {"alg": "HS256", "aud": "authenticated", "secret": CRM_JWT_SECRET}
        assert entry["token"] == CRM_TOKENS[entry["user_id"]]
        assert entry["tenant_headers"] == {"X-Org-Id": entry["tenant"]}
        verified = verify(entry["token"], entry["jwt"]["secret"], entry["jwt"]["alg"], entry["jwt"]["aud"])
        assert verified["sub"] == entry["user_id"]
        assert verified["email"] == entry["email"] == USERS[entry["user_id"]]["email"]
    for entry in listed:
        if "purpose" in entry:
            assert "jwt" not in entry and "user_id" not in entry, entry


def test_every_published_member_credential_works_in_its_org(crm: CrmClient) -> None:
    for entry in crm.http.get("/__mock/credentials").json()["crm-inbox"]:
        if "purpose" in entry:
            continue
        client = CrmClient(crm.mock, entry["base_url"], {"Authorization": f"Bearer {entry['token']}"})
        response = client.get("/conversations", headers=entry["tenant_headers"], params={"limit": 100})
        assert response.status_code == 200, (entry["user"], entry["org"], response.text)
        assert {c["org_id"] for c in response.json()["items"]} <= {entry["tenant"]}
