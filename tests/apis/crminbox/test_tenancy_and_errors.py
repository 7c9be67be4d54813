"""CRM inbox: the member token, the X-Org-Id tenancy and FastAPI-style error bodies (specs/crm-inbox.yaml)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_BOB,
    CRM_CAROL,
    CRM_DAVE,
    CRM_GLOBEX,
    CRM_GLOBEX_THREAD,
    CRM_MARIA,
    CRM_THREAD,
    CrmClient,
)

SAM = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0f01"  # Globex's contact
UNKNOWN_ORG = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291dff"


def issues(response: httpx.Response) -> list[dict[str, Any]]:
    """The 422 body: {"detail": [{type, loc, msg, ...}, ...]}, checked for its shape."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    for item in detail:
        assert isinstance(item["type"], str) and isinstance(item["msg"], str) and item["msg"]
        assert isinstance(item["loc"], list) and item["loc"]
    return list(detail)


def ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] <= 100, "the page must hold every thread for this check"
    return {c["id"] for c in body["items"]}


# -- the token -------------------------------------------------------------------------------------------------------


def test_no_token_is_401_not_authenticated(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.http.get("/crm-inbox/conversations", headers={"X-Org-Id": CRM_ACME})
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert crm.state() == before


@pytest.mark.parametrize("authorization", ["Basic YWxpY2U6c2VjcmV0", "Bearer ", "crm_alice_5b1f3e7a9c2d4e6f8a0b"])
def test_a_header_that_is_no_bearer_token_is_not_authenticated(crm: CrmClient, authorization: str) -> None:
    response = crm.http.get("/crm-inbox/conversations", headers={"Authorization": authorization, "X-Org-Id": CRM_ACME})
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


def test_unknown_token_is_401_invalid_credentials(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.get("/conversations", headers={"Authorization": "Bearer crm_nobody_0000000000000000"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid authentication credentials"}
    assert crm.state() == before


@pytest.mark.parametrize(
    "headers", [{"X-Org-Id": CRM_ACME}, {"X-Org-Id": CRM_ACME, "Authorization": "Bearer crm_nobody_0000000000000000"}]
)
def test_both_401s_carry_www_authenticate_bearer(crm: CrmClient, headers: dict[str, str]) -> None:
    response = crm.http.get("/crm-inbox/conversations", headers=headers)
    assert response.status_code == 401
    assert response.headers.get("www-authenticate") == "Bearer"  # the spec: "both with WWW-Authenticate: Bearer"


def test_the_token_is_checked_before_the_org_header_and_the_parameters(crm: CrmClient) -> None:
    response = crm.http.get("/crm-inbox/conversations/not-a-uuid", params={"limit": 0})
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


# -- the X-Org-Id header ---------------------------------------------------------------------------------------------


def test_missing_org_header_is_422_missing(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.as_(CRM_ALICE, None).get("/conversations")
    [item] = issues(response)
    assert item["type"] == "missing"
    assert item["loc"] == ["header", "x-org-id"]
    assert item["msg"] == "Field required"
    assert crm.state() == before


@pytest.mark.parametrize("org", ["acme", "0f6c3a52-8b1e-4d7a-9c2f", "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d0z"])
def test_malformed_org_header_is_422_uuid_parsing(crm: CrmClient, org: str) -> None:
    before = crm.state()
    [item] = issues(crm.as_(CRM_ALICE, org).get("/conversations"))
    assert item["type"] == "uuid_parsing"
    assert item["loc"] == ["header", "x-org-id"]
    assert item["input"] == org
    assert crm.state() == before


@pytest.mark.parametrize(("user", "org"), [(CRM_ALICE, CRM_GLOBEX), (CRM_CAROL, CRM_ACME), (CRM_ALICE, UNKNOWN_ORG)])
def test_an_org_the_member_does_not_belong_to_is_403(crm: CrmClient, user: str, org: str) -> None:
    before = crm.state()
    response = crm.as_(user, org).get("/conversations")
    assert response.status_code == 403
    assert response.json() == {"detail": "Not a member of this organization"}
    assert crm.state() == before


def test_membership_is_checked_before_parameters_and_lookups(crm: CrmClient) -> None:
    outsider = crm.as_(CRM_ALICE, CRM_GLOBEX)
    for response in (
        outsider.get("/conversations", params={"limit": 0}),
        outsider.get(f"/conversations/{CRM_GLOBEX_THREAD}"),
        outsider.post(f"/conversations/{CRM_GLOBEX_THREAD}/star"),
    ):
        assert response.status_code == 403, response.text
        assert response.json() == {"detail": "Not a member of this organization"}


def test_a_member_of_both_orgs_sees_each_orgs_threads_by_the_header(crm: CrmClient) -> None:
    in_acme = ids(crm.as_(CRM_DAVE, CRM_ACME).get("/conversations", params={"limit": 100, "archived": "false"}))
    in_acme |= ids(crm.as_(CRM_DAVE, CRM_ACME).get("/conversations", params={"limit": 100, "archived": "true"}))
    in_globex = ids(crm.as_(CRM_DAVE, CRM_GLOBEX).get("/conversations", params={"limit": 100}))
    in_globex |= ids(crm.as_(CRM_DAVE, CRM_GLOBEX).get("/conversations", params={"limit": 100, "archived": "true"}))
    assert CRM_THREAD in in_acme and CRM_GLOBEX_THREAD not in in_acme
    assert CRM_GLOBEX_THREAD in in_globex and CRM_THREAD not in in_globex
    assert not in_acme & in_globex
    assert in_acme == ids(crm.get("/conversations", params={"limit": 100})) | ids(
        crm.get("/conversations", params={"limit": 100, "archived": "true"})
    )  # Alice sees what Dave sees in Acme
    for thread_id in in_globex:
        response = crm.as_(CRM_DAVE, CRM_GLOBEX).get(f"/conversations/{thread_id}")
        assert response.json()["org_id"] == CRM_GLOBEX
    assert crm.as_(CRM_DAVE, CRM_ACME).get(f"/conversations/{CRM_GLOBEX_THREAD}").status_code == 404


# -- another org's ids are not found -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("GET", "/messages", None),
        ("POST", "/star", None),
        ("DELETE", "/star", None),
        ("POST", "/read", None),
        ("POST", "/unread", None),
        ("POST", "/assign", {"assigned_to": CRM_ALICE}),
        ("POST", "/archive", {"archived": True}),
        ("POST", "/messages", {"channel": "sms", "body": "Hello from the wrong org"}),
        ("POST", "/suggestions/b4e2d1c0-6a5f-4e3d-9c2b-1a0f9e8d7c04/send", None),
        ("POST", "/suggestions/b4e2d1c0-6a5f-4e3d-9c2b-1a0f9e8d7c04/dismiss", None),
    ],
)
def test_another_orgs_conversation_is_not_found(crm: CrmClient, method: str, suffix: str, body: Any) -> None:
    owner = crm.as_(CRM_DAVE, CRM_GLOBEX)
    assert owner.get(f"/conversations/{CRM_GLOBEX_THREAD}").status_code == 200  # it exists, in Globex
    before = crm.state()
    response = crm.request(method, f"/conversations/{CRM_GLOBEX_THREAD}{suffix}", json=body)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Conversation not found"}
    assert crm.state() == before


def test_an_unknown_conversation_is_not_found_like_another_orgs(crm: CrmClient) -> None:
    response = crm.get("/conversations/7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4bff")
    assert response.status_code == 404
    assert response.json() == {"detail": "Conversation not found"}


def test_another_orgs_contact_is_not_found(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.post(f"/contacts/{SAM}/conversations", json={"channel": "sms"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Contact not found"}
    assert crm.state() == before
    assert crm.post(f"/contacts/{CRM_MARIA}/conversations").status_code == 200  # Acme's own contact is found


def test_another_orgs_media_is_not_found(crm: CrmClient) -> None:
    globex = crm.as_(CRM_DAVE, CRM_GLOBEX)
    upload = globex.post("/conversations/media", files={"file": ("lease.pdf", b"%PDF-1.4 lease", "application/pdf")})
    assert upload.status_code == 201, upload.text
    before = crm.state()
    response = crm.post(
        f"/conversations/{CRM_THREAD}/messages",
        json={"channel": "sms", "body": "See attached", "media_ids": [upload.json()["id"]]},
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Media not found"}
    assert crm.state() == before


# -- routing -------------------------------------------------------------------------------------------------------


def test_unknown_route_is_404_not_found(crm: CrmClient) -> None:
    for path in ("/conversationz", "/conversations/sla/extra", "/contacts"):
        response = crm.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not Found"}


def test_a_method_the_path_does_not_have_is_405_with_allow(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.request("PATCH", f"/conversations/{CRM_THREAD}", json={"starred": False})
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert "GET" in allowed and "PATCH" not in allowed
    response = crm.put(f"/conversations/{CRM_THREAD}/star")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"POST", "DELETE"}
    assert crm.state() == before


@pytest.mark.parametrize("suffix", ["", "/messages", "/star"])
def test_a_conversation_id_that_is_no_uuid_is_422_uuid_parsing(crm: CrmClient, suffix: str) -> None:
    method = "POST" if suffix == "/star" else "GET"
    before = crm.state()
    [item] = issues(crm.request(method, f"/conversations/not-a-uuid{suffix}"))
    assert item["type"] == "uuid_parsing"
    assert item["loc"] == ["path", "conversation_id"]
    assert item["input"] == "not-a-uuid"
    assert crm.state() == before


# -- query parameters ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name", "value", "kind"),
    [
        ("/conversations", "limit", "0", "greater_than_equal"),
        ("/conversations", "limit", "101", "less_than_equal"),
        ("/conversations", "offset", "-1", "greater_than_equal"),
        (f"/conversations/{CRM_THREAD}/messages", "limit", "0", "greater_than_equal"),
        (f"/conversations/{CRM_THREAD}/messages", "limit", "101", "less_than_equal"),
        (f"/conversations/{CRM_THREAD}/messages", "offset", "-1", "greater_than_equal"),
    ],
)
def test_paging_out_of_range_is_422(crm: CrmClient, path: str, name: str, value: str, kind: str) -> None:
    [item] = issues(crm.get(path, params={name: value}))
    assert item["type"] == kind
    assert item["loc"] == ["query", name]


def test_paging_bounds_are_accepted(crm: CrmClient) -> None:
    for limit in (1, 100):
        body = crm.get("/conversations", params={"limit": limit, "offset": 0}).json()
        assert body["limit"] == limit and body["offset"] == 0 and len(body["items"]) <= limit


def test_an_unknown_scope_is_422_enum(crm: CrmClient) -> None:
    [item] = issues(crm.get("/conversations", params={"scope": "everyone"}))
    assert item["type"] == "enum"
    assert item["loc"] == ["query", "scope"]
    assert item["input"] == "everyone"


def test_a_boolean_filter_that_is_no_boolean_is_422(crm: CrmClient) -> None:
    [item] = issues(crm.get("/conversations", params={"starred": "maybe"}))
    assert item["loc"] == ["query", "starred"]


def test_parameters_are_checked_before_lookups(crm: CrmClient) -> None:
    [item] = issues(crm.get(f"/conversations/{CRM_GLOBEX_THREAD}/messages", params={"limit": 500}))
    assert item["type"] == "less_than_equal"


# -- bodies --------------------------------------------------------------------------------------------------------


def test_an_unknown_field_in_a_send_is_422_extra_forbidden(crm: CrmClient) -> None:
    before = crm.state()
    [item] = issues(
        crm.post(f"/conversations/{CRM_THREAD}/messages", json={"channel": "sms", "body": "Hi", "priority": "high"})
    )
    assert item["type"] == "extra_forbidden"
    assert item["loc"] == ["body", "priority"]
    assert item["input"] == "high"
    assert crm.state() == before


def test_a_body_that_is_not_json_is_422(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.post(
        f"/conversations/{CRM_THREAD}/messages",
        content=b'{"channel": "sms", body',
        headers={"Content-Type": "application/json"},
    )
    [item] = issues(response)
    assert item["type"] == "json_invalid"
    assert item["loc"][0] == "body"
    assert crm.state() == before


def test_a_body_that_is_not_json_at_all_is_415(crm: CrmClient) -> None:
    before = crm.state()
    response = crm.post(
        f"/conversations/{CRM_THREAD}/messages", content=b"channel=sms&body=hi", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json() == {"detail": "Unsupported Media Type: text/plain"}
    assert crm.state() == before


@pytest.mark.parametrize(
    ("body", "kind", "loc"),
    [
        ({"body": "Hi"}, "missing", ["body", "channel"]),
        ({"channel": "sms"}, "missing", ["body", "body"]),
        ({"channel": "fax", "body": "Hi"}, "enum", ["body", "channel"]),
        ({"channel": "sms", "body": ""}, "string_too_short", ["body", "body"]),
        ({"channel": "sms", "body": "Hi", "media_ids": ["nope"]}, "uuid_parsing", ["body", "media_ids", 0]),
    ],
)
def test_an_invalid_send_is_422_where_it_failed(
    crm: CrmClient, body: dict[str, Any], kind: str, loc: list[Any]
) -> None:
    before = crm.state()
    found = issues(crm.post(f"/conversations/{CRM_THREAD}/messages", json=body))
    assert any(i["type"] == kind and i["loc"] == loc for i in found), found
    assert crm.state() == before


def test_a_missing_body_is_422(crm: CrmClient) -> None:
    before = crm.state()
    found = issues(crm.post(f"/conversations/{CRM_THREAD}/assign"))
    assert found[0]["type"] == "missing" and found[0]["loc"][0] == "body"
    assert crm.state() == before


def test_refusals_change_nothing_and_the_next_request_works(crm: CrmClient) -> None:
    before = crm.state()
    refused = [
        crm.as_(CRM_BOB, CRM_GLOBEX).post(f"/conversations/{CRM_GLOBEX_THREAD}/star"),
        crm.post(f"/conversations/{CRM_THREAD}/archive", json={"archived": "yes"}),
        crm.post(f"/conversations/{CRM_THREAD}/assign", json={"assigned_to": "bob"}),
        crm.post(f"/conversations/{CRM_THREAD}/messages", json={"channel": "sms", "body": "x" * 4097}),
    ]
    assert [r.status_code for r in refused] == [403, 422, 422, 422]
    assert crm.state() == before
    assert crm.post(f"/conversations/{CRM_THREAD}/archive", json={"archived": True}).json()["archived"] is True
    assert crm.state() != before
