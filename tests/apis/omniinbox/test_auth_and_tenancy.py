"""AchieveApex's two documented ways in (an organization's `x-api-key`; a Feathers JWT from `POST /authentication`,
re-authenticated with the `jwt` strategy and logged out with `DELETE /authentication`), the requests the Feathers
authentication client sends, tenancy (an organization is the tenant: a key reaches one, a user its memberships, and
nothing of another organization is ever shown), and the documented rate limit under `real-limits`."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest

from tests.support.omniinbox import (
    OMNI_ACME,
    OMNI_ACME_INC,
    OMNI_ADMIN,
    OMNI_AGENT,
    OMNI_EXAMPLE_USER,
    OMNI_GLOBEX,
    OMNI_GLOBEX_THREAD,
    OMNI_KEYS,
    OMNI_MESSENGER,
    OMNI_REVOKED_KEY,
    OMNI_WA_OPEN,
    OmniClient,
)

INVALID_KEY = {"name": "NotAuthenticated", "message": "Invalid API key", "code": 401, "className": "not-authenticated"}
EXAMPLE_USER = {  # the login page's user object (camelCase times there only [doc])
    "id": OMNI_EXAMPLE_USER,
    "email": "user@example.com",
    "name": "Example User",
    "avatar": "https://example.com/avatar.jpg",
    "createdAt": "2023-01-01T00:00:00.000Z",
    "updatedAt": "2023-01-01T00:00:00.000Z",
}
LOGIN = {"strategy": "local", "email": "user@example.com", "password": "your-password"}
SECRET = "convomock-achieveapex-jwt-signing-secret-2026"  # fixtures/omni-inbox.yaml
# What Node's fetch adds to every request of the Feathers REST client (notes/CLIENTS.md)
NODE_FETCH = {
    "accept-language": "*",
    "sec-fetch-mode": "cors",
    "user-agent": "node",
    "accept-encoding": "gzip, deflate",
}
NO_PAYLOAD: dict[str, Any] = {"conversation": {}, "contact": None, "messages": []}


def refused(response: httpx.Response, status: int, message: str) -> None:
    """Feathers' error body, exactly: `{name, message, code, className}` and nothing more."""
    classes = {400: "BadRequest", 401: "NotAuthenticated", 403: "Forbidden", 404: "NotFound"}
    class_names = {400: "bad-request", 401: "not-authenticated", 403: "forbidden", 404: "not-found"}
    assert response.status_code == status, response.text
    assert response.json() == {
        "name": classes[status],
        "message": message,
        "code": status,
        "className": class_names[status],
    }


def anonymous(omni: OmniClient) -> OmniClient:
    return OmniClient(omni.mock, omni.base_path, {})


def bearer(omni: OmniClient, token: str) -> OmniClient:
    return OmniClient(omni.mock, omni.base_path, {"Authorization": f"Bearer {token}"})


def log_in(omni: OmniClient, body: Any = None) -> dict[str, Any]:
    response = anonymous(omni).post("/authentication", json=LOGIN if body is None else body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def conversation_ids(client: OmniClient, organization: int) -> set[int]:
    page = client.ok("GET", "/conversations", params={"organization_id": organization, "$limit": 50})
    assert page["total"] == len(page["data"]) > 0
    assert {c["organization_id"] for c in page["data"]} == {organization}
    return {c["id"] for c in page["data"]}


def now_ms(omni: OmniClient) -> str:
    """The mock clock as AchieveApex writes times (milliseconds, `Z`)."""
    now = str(omni.http.get("/__mock/clock").json()["now"])
    return now.removesuffix("Z") + ".000Z"


# -- API keys ------------------------------------------------------------------------------------------------------


def test_an_api_key_reaches_its_own_organization_only(omni: OmniClient) -> None:
    assert {OMNI_WA_OPEN, OMNI_MESSENGER} <= conversation_ids(omni, OMNI_ACME)
    globex = omni.with_key(OMNI_GLOBEX)
    assert OMNI_GLOBEX_THREAD in conversation_ids(globex, OMNI_GLOBEX)
    # finds that do not name an organization are filtered to the key's
    contacts = omni.ok("GET", "/contacts", params={"$limit": 50})
    assert contacts["total"] > 0 and {c["organization_id"] for c in contacts["data"]} == {OMNI_ACME}
    predefined = globex.ok("GET", "/conversation-predefined-messages")
    assert [(p["id"], p["title"]) for p in predefined["data"]] == [(44, "Welcome")]


@pytest.mark.parametrize(
    "key",
    [OMNI_REVOKED_KEY, "aa_live_00000000000000000000000000000000", "", OMNI_KEYS[OMNI_ACME].upper()],
    ids=["revoked", "unknown", "empty", "wrong-case"],
)
def test_a_bad_or_revoked_key_is_the_pages_401(omni: OmniClient, key: str) -> None:
    client = OmniClient(omni.mock, omni.base_path, {"x-api-key": key})
    before = omni.state()
    assert client.get(f"/conversations/{OMNI_WA_OPEN}").json() == INVALID_KEY
    response = client.patch(f"/conversations/{OMNI_WA_OPEN}", json={"status": "closed"})
    assert response.status_code == 401 and response.json() == INVALID_KEY
    assert omni.state() == before


def test_with_a_key_and_a_bearer_token_both_must_hold_and_the_key_decides(omni: OmniClient) -> None:
    token = log_in(omni)["accessToken"]  # user 123, a member of 456 and owner of 123
    both = {"x-api-key": OMNI_REVOKED_KEY, "Authorization": f"Bearer {token}"}
    refused(anonymous(omni).get(f"/conversations/{OMNI_WA_OPEN}", headers=both), 401, "Invalid API key")
    both = {"x-api-key": OMNI_KEYS[OMNI_ACME], "Authorization": "Bearer not.a.jwt"}
    refused(anonymous(omni).get(f"/conversations/{OMNI_WA_OPEN}", headers=both), 401, "jwt malformed")
    both = {"x-api-key": OMNI_KEYS[OMNI_ACME], "Authorization": f"Bearer {token}"}
    organizations = anonymous(omni).get("/organizations", headers=both).json()["data"]
    assert [o["id"] for o in organizations] == [OMNI_ACME]  # the key's organization, not the user's two
    # the header name is case-insensitive, as in any HTTP server
    good = anonymous(omni).get(f"/conversations/{OMNI_WA_OPEN}", headers={"X-API-KEY": OMNI_KEYS[OMNI_ACME]})
    assert good.status_code == 200 and good.json()["id"] == OMNI_WA_OPEN


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": f"Basic {OMNI_KEYS[OMNI_ACME]}"}],
    ids=["none", "empty-bearer", "basic"],
)
def test_no_credential_is_not_authenticated(omni: OmniClient, headers: dict[str, str]) -> None:
    refused(anonymous(omni).get("/organizations", headers=headers), 401, "Not authenticated")


# -- JWT: the local and jwt strategies, log-out ----------------------------------------------------------------------


def test_local_login_answers_the_pages_result(omni: OmniClient) -> None:
    result = log_in(omni)
    token = result.pop("accessToken")
    assert result == {"authentication": {"strategy": "local"}, "user": EXAMPLE_USER}
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "access"}  # the page's example header
    claims = jwt.decode(
        token,
        SECRET,
        algorithms=["HS256"],
        audience="https://yourdomain.com",
        issuer="feathers",
        options={"verify_exp": False},  # the mock clock's day, not today's
    )
    issued = int(omni.mock.clock.now().timestamp())
    assert (claims["sub"], claims["iat"], claims["exp"]) == (str(OMNI_EXAMPLE_USER), issued, issued + 86400)
    assert isinstance(claims["jti"], str) and claims["jti"]
    # the token reaches the user's organizations
    assert OMNI_WA_OPEN in conversation_ids(bearer(omni, token), OMNI_ACME)


@pytest.mark.parametrize(
    "body",
    [
        {**LOGIN, "password": "not-the-password"},
        {**LOGIN, "email": "nobody@example.com"},
        {"strategy": "local", "email": "user@example.com"},
        {**LOGIN, "password": "convomock"},  # another user's password
    ],
    ids=["wrong-password", "unknown-email", "no-password", "other-users-password"],
)
def test_a_wrong_login_is_invalid_login(omni: OmniClient, body: dict[str, Any]) -> None:
    refused(anonymous(omni).post("/authentication", json=body), 401, "Invalid login")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"email": "user@example.com", "password": "your-password"},
            "Invalid authentication information (no `strategy` set)",
        ),
        ({**LOGIN, "strategy": "oauth"}, "Invalid authentication information (strategy not allowed in authStrategies)"),
        (
            {**LOGIN, "strategy": "api-key"},
            "Invalid authentication information (strategy not allowed in authStrategies)",
        ),
    ],
    ids=["missing", "oauth", "api-key"],
)
def test_a_missing_or_unknown_strategy_is_refused(omni: OmniClient, body: dict[str, Any], message: str) -> None:
    refused(anonymous(omni).post("/authentication", json=body), 401, message)


def test_jwt_strategy_re_authenticates_with_the_same_token(omni: OmniClient) -> None:
    token = log_in(omni)["accessToken"]
    again = log_in(omni, {"strategy": "jwt", "accessToken": token})
    assert again == {"accessToken": token, "authentication": {"strategy": "jwt"}, "user": EXAMPLE_USER}


def test_logout_answers_200_and_the_token_is_refused_afterwards(omni: OmniClient) -> None:
    token = log_in(omni)["accessToken"]
    client = bearer(omni, token)
    other = log_in(omni)["accessToken"]  # a second session of the same user
    assert other != token
    response = client.delete("/authentication")
    assert response.status_code == 200, response.text
    assert response.json() == {"accessToken": token, "authentication": {"strategy": "jwt"}, "user": EXAMPLE_USER}
    refused(client.get(f"/conversations/{OMNI_WA_OPEN}"), 401, "Invalid access token")
    refused(client.delete("/authentication"), 401, "Invalid access token")
    jwt_login = anonymous(omni).post("/authentication", json={"strategy": "jwt", "accessToken": token})
    refused(jwt_login, 401, "Invalid access token")
    # only that token: the other session goes on
    assert bearer(omni, other).ok("GET", f"/conversations/{OMNI_WA_OPEN}")["id"] == OMNI_WA_OPEN


def test_an_api_key_has_nothing_to_log_out(omni: OmniClient) -> None:
    refused(omni.delete("/authentication"), 401, "Not authenticated")
    assert omni.ok("GET", f"/conversations/{OMNI_WA_OPEN}")["id"] == OMNI_WA_OPEN


def test_a_token_expires_a_day_later_on_the_mock_clock(omni: OmniClient) -> None:
    token = log_in(omni)["accessToken"]
    client = bearer(omni, token)
    omni.advance("23h59m59s")
    assert client.ok("GET", f"/conversations/{OMNI_WA_OPEN}")["id"] == OMNI_WA_OPEN
    omni.advance("1s")
    refused(client.get(f"/conversations/{OMNI_WA_OPEN}"), 401, "jwt expired")
    refused(anonymous(omni).post("/authentication", json={"strategy": "jwt", "accessToken": token}), 401, "jwt expired")
    refused(client.delete("/authentication"), 401, "jwt expired")
    fresh = bearer(omni, log_in(omni)["accessToken"])  # a new login works at the new time
    assert fresh.ok("GET", f"/conversations/{OMNI_WA_OPEN}")["id"] == OMNI_WA_OPEN


def _forged(secret: str, **changes: Any) -> str:
    claims = {"sub": str(OMNI_EXAMPLE_USER), "aud": "https://yourdomain.com", "iss": "feathers", "exp": 4102444800}
    return jwt.encode({**claims, **changes}, secret, algorithm="HS256", headers={"typ": "access"})


def test_a_token_signed_with_another_secret_or_tampered_with_has_an_invalid_signature(omni: OmniClient) -> None:
    assert bearer(omni, _forged(SECRET)).ok("GET", "/organizations")["total"] == 2  # the same claims, well signed
    refused(
        bearer(omni, _forged("another-secret-of-at-least-thirty-two-bytes")).get("/organizations"),
        401,
        "invalid signature",
    )
    header, _, signature = log_in(omni)["accessToken"].split(".")
    admin = _forged(SECRET, sub=str(OMNI_ADMIN)).split(".")[1]  # the admin's claims under the user's signature
    refused(bearer(omni, f"{header}.{admin}.{signature}").get("/organizations"), 401, "invalid signature")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30"], ids=["word", "dots", "two-parts"])
def test_a_malformed_token_is_jwt_malformed(omni: OmniClient, token: str) -> None:
    refused(bearer(omni, token).get("/organizations"), 401, "jwt malformed")
    refused(
        anonymous(omni).post("/authentication", json={"strategy": "jwt", "accessToken": token}), 401, "jwt malformed"
    )


@pytest.mark.parametrize("exp", ["abc", None, [1], True], ids=["text", "null", "array", "boolean"])
def test_a_well_signed_token_whose_exp_is_not_a_number_is_invalid_exp_value(omni: OmniClient, exp: Any) -> None:
    """Only `exp` is wrong (the seed's secret signs it): jsonwebtoken's 401, never a 500, and nothing changes."""
    token = _forged(SECRET, exp=exp)
    before = omni.state()
    refused(bearer(omni, token).get("/organizations"), 401, "invalid exp value")
    refused(
        bearer(omni, token).patch(f"/conversations/{OMNI_WA_OPEN}", json={"status": "closed"}), 401, "invalid exp value"
    )
    refused(
        anonymous(omni).post("/authentication", json={"strategy": "jwt", "accessToken": token}),
        401,
        "invalid exp value",
    )
    assert omni.state() == before


def test_the_feathers_authentication_client_works_as_it_sends(omni: OmniClient) -> None:
    """`app.authenticate`, a service call, `app.reAuthenticate(true)`, `app.logout()`: the requests byte for byte
    as notes/CLIENTS.md recorded them (JSON.stringify's body, no Authorization on the two POSTs)."""
    base = omni.url("")
    http = omni.http
    posted = {**NODE_FETCH, "accept": "application/json", "content-type": "application/json"}
    body = json.dumps(LOGIN, separators=(",", ":")).encode()
    login = http.post(f"{base}/authentication", content=body, headers=posted)
    assert login.status_code == 201, login.text
    token = login.json()["accessToken"]
    assert login.json()["authentication"] == {"strategy": "local"}
    called = {**NODE_FETCH, "accept": "application/json", "authorization": f"Bearer {token}"}
    page = http.get(f"{base}/conversations?organization_id={OMNI_ACME}&%24limit=1", headers=called)
    assert (
        page.status_code == 200 and page.json()["limit"] == 1 and page.json()["data"][0]["organization_id"] == OMNI_ACME
    )
    again = json.dumps({"strategy": "jwt", "accessToken": token}, separators=(",", ":")).encode()
    reauth = http.post(f"{base}/authentication", content=again, headers=posted)
    assert reauth.status_code == 201 and reauth.json()["accessToken"] == token
    logout = http.delete(f"{base}/authentication", headers=called)
    assert logout.status_code == 200 and logout.json()["accessToken"] == token
    refused(http.get(f"{base}/conversations?organization_id={OMNI_ACME}", headers=called), 401, "Invalid access token")


# -- a user in several organizations ---------------------------------------------------------------------------------


def test_a_user_in_several_organizations_names_one(omni: OmniClient) -> None:
    user = omni.login(OMNI_EXAMPLE_USER)  # member of 456, owner of 123
    acme = conversation_ids(user, OMNI_ACME)
    assert acme == conversation_ids(omni, OMNI_ACME)  # what the organization's key sees
    assert not acme & conversation_ids(user, OMNI_ACME_INC)
    both = user.ok("GET", "/contacts", params={"$limit": 50})  # optional on other finds: every organization of theirs
    assert {c["organization_id"] for c in both["data"]} == {OMNI_ACME, OMNI_ACME_INC}
    one = user.ok("GET", "/contacts", params={"organization_id": OMNI_ACME_INC, "$limit": 50})
    assert one["total"] > 0 and {c["organization_id"] for c in one["data"]} == {OMNI_ACME_INC}


def test_organization_id_is_required_on_the_conversations_find(omni: OmniClient) -> None:
    for client in (omni, omni.login(OMNI_EXAMPLE_USER)):
        response = client.get("/conversations", params={"status": "open"})
        assert response.status_code == 400, response.text
        assert response.json() == {
            "name": "BadRequest",
            "message": "validation failed",
            "code": 400,
            "className": "bad-request",
            "data": [
                {
                    "instancePath": "",
                    "keyword": "required",
                    "params": {"missingProperty": "organization_id"},
                    "message": "must have required property 'organization_id'",
                }
            ],
        }


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/conversations", {"organization_id": OMNI_GLOBEX}),
        ("/contacts", {"organization_id[$in][0]": OMNI_ACME, "organization_id[$in][1]": OMNI_GLOBEX}),
        (f"/conversations/{OMNI_WA_OPEN}", {"organization_id": OMNI_GLOBEX}),
        ("/contacts", {"organization_id": OMNI_GLOBEX}),
        ("/users", {"organization_id": OMNI_GLOBEX}),
        ("/conversation-predefined-messages", {"organization_id": OMNI_GLOBEX}),
        ("/conversation-messages-messenger", {"organization_id": OMNI_GLOBEX, "conversation_id": OMNI_GLOBEX_THREAD}),
        ("/automations", {"organization_id": OMNI_GLOBEX}),
    ],
    ids=["find", "contacts-in", "get", "contacts", "users", "predefined", "messages", "automations"],
)
def test_a_foreign_organization_is_forbidden_and_shows_nothing(
    omni: OmniClient, path: str, query: dict[str, Any]
) -> None:
    for client in (omni.login(OMNI_EXAMPLE_USER), omni):
        response = client.get(path, params=query)
        refused(response, 403, f"You are not a member of organization {OMNI_GLOBEX}")
        assert "Globex" not in response.text and str(OMNI_GLOBEX_THREAD) not in response.text


def test_an_organization_that_does_not_exist_is_refused_alike(omni: OmniClient) -> None:
    user = omni.login(OMNI_EXAMPLE_USER)
    refused(
        user.get("/conversations", params={"organization_id": 999}), 403, "You are not a member of organization 999"
    )


def test_a_foreign_record_is_not_found_as_if_missing(omni: OmniClient) -> None:
    user = omni.login(OMNI_EXAMPLE_USER)
    for record in (OMNI_GLOBEX_THREAD, 999999):
        refused(user.get(f"/conversations/{record}"), 404, f"No record found for id '{record}'")
    refused(user.get("/contacts/456"), 404, "No record found for id '456'")  # Globex's contact 456
    # the user's own records in either organization are found
    assert user.ok("GET", f"/conversations/{OMNI_WA_OPEN}")["organization_id"] == OMNI_ACME
    assert user.ok("GET", f"/organizations/{OMNI_ACME_INC}")["name"] == "Acme Inc"
    # naming the other of the user's organizations narrows the get to it
    narrowed = user.get(f"/conversations/{OMNI_WA_OPEN}", params={"organization_id": OMNI_ACME_INC})
    refused(narrowed, 404, f"No record found for id '{OMNI_WA_OPEN}'")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/conversation-predefined-messages", {"title": "Hello", "message_type": "text", "content": "Hi there"}),
        ("/contacts", {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}),
    ],
    ids=["predefined", "contact"],
)
def test_a_create_needs_organization_id_when_the_caller_has_several(
    omni: OmniClient, path: str, body: dict[str, Any]
) -> None:
    user = omni.login(OMNI_EXAMPLE_USER)
    before = omni.state()
    refused(user.post(path, json=body), 400, "organization_id is required")
    refused(
        user.post(path, json={**body, "organization_id": OMNI_GLOBEX}), 403, "You are not a member of organization 27"
    )
    assert omni.state() == before
    made = user.ok("POST", path, json={**body, "organization_id": OMNI_ACME_INC}, status=201)
    assert made["organization_id"] == OMNI_ACME_INC and made["created_by_user_id"] == OMNI_EXAMPLE_USER
    # an API key's organization is the only one: no organization_id needed
    keyed = omni.ok("POST", path, json=body, status=201)
    assert keyed["organization_id"] == OMNI_ACME and keyed["created_by_user_id"] == OMNI_ADMIN


# -- nothing of organization 27 with organization 456's key -----------------------------------------------------------

NOT_FOUND = "No record found for id '{}'"
FOREIGN: list[tuple[str, str, Any, str]] = [
    ("GET", f"/conversations/{OMNI_GLOBEX_THREAD}", None, NOT_FOUND.format(OMNI_GLOBEX_THREAD)),
    ("PATCH", f"/conversations/{OMNI_GLOBEX_THREAD}", {"status": "closed"}, NOT_FOUND.format(OMNI_GLOBEX_THREAD)),
    ("DELETE", f"/conversations/{OMNI_GLOBEX_THREAD}", None, NOT_FOUND.format(OMNI_GLOBEX_THREAD)),
    (
        "POST",
        "/conversation-messages-transform-outgoing-messenger",
        {"conversation_id": OMNI_GLOBEX_THREAD, "message_text": "Hijack"},
        NOT_FOUND.format(OMNI_GLOBEX_THREAD),
    ),
    (
        "POST",
        "/s3-url-signing",
        {"file_name": "a.png", "file_type": "image/png", "file_size": 3, "conversation_id": OMNI_GLOBEX_THREAD},
        NOT_FOUND.format(OMNI_GLOBEX_THREAD),
    ),
    ("GET", "/conversation-predefined-messages/44", None, NOT_FOUND.format(44)),
    ("PATCH", "/conversation-predefined-messages/44", {"title": "Hijacked"}, NOT_FOUND.format(44)),
    ("DELETE", "/conversation-predefined-messages/44", None, NOT_FOUND.format(44)),
    ("GET", "/automations/79", None, NOT_FOUND.format(79)),
    (
        "POST",
        "/automations-executions",
        {
            "automation_id": 79,
            "organization_id": OMNI_ACME,
            "conversation_id": OMNI_MESSENGER,
            "initial_payload": NO_PAYLOAD,
        },
        NOT_FOUND.format(79),
    ),
    (
        "POST",
        "/automations-executions",
        {
            "automation_id": 77,
            "organization_id": OMNI_ACME,
            "conversation_id": OMNI_GLOBEX_THREAD,
            "initial_payload": NO_PAYLOAD,
        },
        NOT_FOUND.format(OMNI_GLOBEX_THREAD),
    ),
    ("GET", "/contacts/456", None, NOT_FOUND.format(456)),
    ("GET", "/tags/21", None, NOT_FOUND.format(21)),
    ("GET", "/pipelines/790", None, NOT_FOUND.format(790)),
    ("GET", "/pipeline-stages/103", None, NOT_FOUND.format(103)),
    ("GET", "/conversation-views/32", None, NOT_FOUND.format(32)),
    ("GET", "/ai-assistants/65", None, NOT_FOUND.format(65)),
    ("GET", "/organizations/27", None, NOT_FOUND.format(27)),
    ("GET", "/users/45", None, NOT_FOUND.format(45)),
    (
        "POST",
        "/conversations-bulk-actions",
        {"action": "update_status", "status": "closed", "view_id": 32},
        NOT_FOUND.format(32),
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "message"), FOREIGN, ids=[f"{m} {p} {i}" for i, (m, p, _, _) in enumerate(FOREIGN)]
)
def test_another_organizations_record_is_not_found_and_unchanged(
    omni: OmniClient, method: str, path: str, body: Any, message: str
) -> None:
    before = omni.state()
    refused(omni.request(method, path, json=body), 404, message)
    assert omni.state() == before
    globex = omni.with_key(OMNI_GLOBEX)  # it is there for its own organization
    assert globex.ok("GET", f"/conversations/{OMNI_GLOBEX_THREAD}")["status"] == "open"
    assert globex.ok("GET", "/conversation-predefined-messages/44")["title"] == "Welcome"


def test_another_organizations_messages_are_neither_listed_nor_reachable(omni: OmniClient) -> None:
    globex = omni.with_key(OMNI_GLOBEX)
    theirs = globex.messages(OMNI_GLOBEX_THREAD, "messenger")
    assert [m["message_text"] for m in theirs] == ["Is my order on its way?"]
    listed = omni.ok("GET", "/conversation-messages-messenger", params={"conversation_id": OMNI_GLOBEX_THREAD})
    assert listed == {"total": 0, "limit": 10, "skip": 0, "data": []}
    message_id = theirs[0]["_id"]
    refused(omni.get(f"/conversation-messages-messenger/{message_id}"), 404, f"No record found for id '{message_id}'")
    refused(
        omni.delete(f"/conversation-messages-messenger/{message_id}"), 404, f"No record found for id '{message_id}'"
    )
    assert globex.messages(OMNI_GLOBEX_THREAD, "messenger") == theirs


def test_a_bulk_action_skips_another_organizations_ids_without_counting_them(omni: OmniClient) -> None:
    body = {"action": "update_status", "status": "closed", "conversation_ids": [OMNI_MESSENGER, OMNI_GLOBEX_THREAD]}
    answer = omni.ok("POST", "/conversations-bulk-actions", json=body, status=201)
    assert answer == {"action": "update_status", "processed_count": 1, "conversation_ids": [OMNI_MESSENGER]}
    assert omni.ok("GET", f"/conversations/{OMNI_MESSENGER}")["status"] == "closed"
    assert omni.with_key(OMNI_GLOBEX).ok("GET", f"/conversations/{OMNI_GLOBEX_THREAD}")["status"] == "open"
    only_foreign = {**body, "conversation_ids": [OMNI_GLOBEX_THREAD]}
    answer = omni.ok("POST", "/conversations-bulk-actions", json=only_foreign, status=201)
    assert answer == {"action": "update_status", "processed_count": 0, "conversation_ids": []}
    by_filter = {"action": "update_status", "status": "closed", "filter": {"organization_id": OMNI_GLOBEX}}
    refused(omni.post("/conversations-bulk-actions", json=by_filter), 403, "You are not a member of organization 27")
    assert omni.with_key(OMNI_GLOBEX).ok("GET", f"/conversations/{OMNI_GLOBEX_THREAD}")["status"] == "open"


def test_organizations_and_users_lists_show_only_the_callers(omni: OmniClient) -> None:
    organizations = omni.ok("GET", "/organizations")
    assert [(o["id"], o["name"]) for o in organizations["data"]] == [(OMNI_ACME, "Acme Solutions")]
    assert organizations["total"] == 1
    users = omni.ok("GET", "/users")["data"]
    assert sorted(u["id"] for u in users) == sorted([OMNI_EXAMPLE_USER, OMNI_ADMIN, OMNI_AGENT])
    # user 123 also belongs to 123, which the key does not reach: only the shared organization shows
    assert {u["id"]: u["organization_ids"] for u in users}[OMNI_EXAMPLE_USER] == [OMNI_ACME]
    assert all("password" not in u for u in users)
    mine = omni.login(OMNI_EXAMPLE_USER).ok("GET", "/organizations")
    assert sorted(o["id"] for o in mine["data"]) == [OMNI_ACME_INC, OMNI_ACME]
    globex = omni.with_key(OMNI_GLOBEX)
    assert [o["id"] for o in globex.ok("GET", "/organizations")["data"]] == [OMNI_GLOBEX]
    assert sorted(u["id"] for u in globex.ok("GET", "/users")["data"]) == [45, 46]
    assert omni.ok("GET", "/organizations", params={"searchTerm": "globex"})["total"] == 0


# -- the rate limit (real-limits) -------------------------------------------------------------------------------------


def _burn(client: OmniClient, count: int) -> None:
    for _ in range(count):
        response = client.get(f"/conversations/{OMNI_WA_OPEN}")
        assert response.status_code == 200, response.text


def _no_rate_headers(response: httpx.Response) -> None:
    named = [name for name in response.headers if "ratelimit" in name.lower() or name.lower() == "retry-after"]
    assert named == [], f"rate-limit headers the page does not document: {named}"


def _throttled(response: httpx.Response, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {
        "name": "TooManyRequests",
        "message": "Rate limit exceeded",
        "code": 429,
        "data": {"limit": 1000, "current": 1001, "window": 3600, "retryAfter": retry_after},
    }
    _no_rate_headers(response)


def test_the_1001st_request_in_an_hour_is_refused_until_the_window_slides(omni: OmniClient) -> None:
    activated = omni.http.post("/__mock/scenarios/real-limits")
    assert activated.status_code == 200 and activated.json()["active"] is True
    _no_rate_headers(omni.get(f"/conversations/{OMNI_WA_OPEN}"))  # 1
    _burn(omni, 399)  # 400 at the start
    omni.advance("20m")
    _burn(omni, 600)  # 600 twenty minutes later: 1000 in the last hour
    _throttled(omni.get(f"/conversations/{OMNI_WA_OPEN}"), 2400)  # the first 400 leave 40 minutes from now
    _throttled(omni.post("/conversations-bulk-actions", json={}), 2400)  # any request, before it is even read
    assert omni.ok("GET", f"/conversations/{OMNI_WA_OPEN}", status=429)["data"]["current"] == 1001  # refusals uncounted
    globex = omni.with_key(OMNI_GLOBEX)  # another organization's key has its own window
    assert globex.ok("GET", f"/conversations/{OMNI_GLOBEX_THREAD}")["id"] == OMNI_GLOBEX_THREAD
    omni.advance("39m59s")
    _throttled(omni.get(f"/conversations/{OMNI_WA_OPEN}"), 1)
    omni.advance("1s")  # an hour after the first 400: they slid out, the 600 are still in
    _burn(omni, 400)
    _throttled(omni.get(f"/conversations/{OMNI_WA_OPEN}"), 1200)


def test_without_real_limits_there_is_no_limit_and_no_headers(omni: OmniClient) -> None:
    statuses = {omni.get(f"/conversations/{OMNI_WA_OPEN}").status_code for _ in range(1001)}
    assert statuses == {200}
    _no_rate_headers(omni.get(f"/conversations/{OMNI_WA_OPEN}"))
