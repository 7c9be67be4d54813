"""CRM inbox: the acting org (`X-Org-Id`; Iron's subaccounts and authentication pages; issue 15, design §3),
other orgs' records, and FastAPI-style error bodies (specs/crm-inbox.yaml). Checks run in this order: the token
(401), the acting org (400, 403), parameters and body (422), lookups (404); no refusal changes anything. The token's
own rules (the Authorization header, the JWT, expiry, the mint) are in test_auth.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.crminbox import (
    CRM_ACME,
    CRM_ACME_RENTALS,
    CRM_ALICE,
    CRM_BOB,
    CRM_CAROL,
    CRM_DAVE,
    CRM_ERIN,
    CRM_GLOBEX,
    CRM_GLOBEX_THREAD,
    CRM_LAKESIDE,
    CRM_LAKESIDE_NORTH,
    CRM_LAKESIDE_THREAD,
    CRM_MARIA,
    CRM_NORTH_THREAD,
    CRM_THREAD,
    CrmClient,
)

SAM = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0f01"  # Globex's contact
UNKNOWN_ORG = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291dff"
UNKNOWN_TOKEN = "Bearer crm_nobody_0000000000000000"
NOT_AUTHENTICATED = {"detail": "Not authenticated"}
INVALID = {"detail": "Invalid authentication credentials"}
MALFORMED_ORG = {"detail": "X-Org-Id must be a UUID"}
NOT_A_MEMBER = {"detail": "Not a member of this organization"}


def issues(response: httpx.Response) -> list[dict[str, Any]]:
    """The 422 body: {"detail": [{type, loc, msg, ...}, ...]}, checked for its shape."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    for item in detail:
        assert isinstance(item["type"], str) and isinstance(item["msg"], str) and item["msg"]
        assert isinstance(item["loc"], list) and item["loc"]
    return list(detail)


def refused(response: httpx.Response, status: int, body: dict[str, Any]) -> None:
    """The refusal exactly; only a 401 carries the bearer challenge."""
    assert response.status_code == status, response.text
    assert response.json() == body
    if status == 401:
        assert response.headers.get("www-authenticate") == "Bearer"
    else:
        assert "www-authenticate" not in response.headers


def ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] <= 100, "the page must hold every thread for this check"
    return {c["id"] for c in body["items"]}


def threads(client: CrmClient, org: str) -> set[str]:
    """Every thread the client lists, archived or not; each one is `org`'s."""
    found: set[str] = set()
    for archived in ("false", "true"):
        response = client.get("/conversations", params={"limit": 100, "archived": archived})
        assert response.status_code == 200, response.text
        assert {c["org_id"] for c in response.json()["items"]} <= {org}
        found |= ids(response)
    assert found
    return found


def anonymous(crm: CrmClient, headers: dict[str, str]) -> CrmClient:
    """A client sending only `headers`."""
    return CrmClient(crm.mock, crm.base_path, headers)


# -- the token comes first ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("org", [None, "acme", "", UNKNOWN_ORG, CRM_GLOBEX, CRM_ACME])
def test_the_token_is_checked_before_the_org_header_and_the_parameters(crm: CrmClient, org: str | None) -> None:
    before = crm.state()
    org_header = {} if org is None else {"X-Org-Id": org}
    missing = anonymous(crm, org_header)
    refused(missing.get("/conversations/not-a-uuid", params={"limit": 0}), 401, NOT_AUTHENTICATED)
    bad = anonymous(crm, {**org_header, "Authorization": UNKNOWN_TOKEN})
    refused(bad.get("/conversations/not-a-uuid", params={"limit": 0}), 401, INVALID)
    refused(bad.post(f"/conversations/{CRM_GLOBEX_THREAD}/assign", json={"assigned_to": "bob"}), 401, INVALID)
    assert crm.state() == before


# -- the X-Org-Id header: omitted --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "org"),
    [
        (CRM_DAVE, CRM_GLOBEX),
        (CRM_ALICE, CRM_ACME),
        (CRM_BOB, CRM_ACME),
        (CRM_CAROL, CRM_GLOBEX),
        (CRM_ERIN, CRM_LAKESIDE),
    ],
    ids=["dave-globex", "alice-acme", "bob-acme", "carol-globex", "erin-lakeside"],
)
def test_without_the_header_a_member_acts_in_their_earliest_joined_org(crm: CrmClient, user: str, org: str) -> None:
    """Dave joined Globex before Acme (though Acme is listed first); Alice and Bob joined Acme before their
    subaccounts."""
    assert threads(crm.as_(user, None), org) == threads(crm.as_(user, org), org)


def test_without_the_header_dave_reads_and_writes_in_globex(crm: CrmClient) -> None:
    dave = crm.as_(CRM_DAVE, None)
    response = dave.get(f"/conversations/{CRM_GLOBEX_THREAD}")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == CRM_GLOBEX_THREAD and response.json()["org_id"] == CRM_GLOBEX
    before = crm.state()
    refused(dave.get(f"/conversations/{CRM_THREAD}"), 404, {"detail": "Conversation not found"})  # Acme's
    refused(dave.post(f"/conversations/{CRM_THREAD}/star"), 404, {"detail": "Conversation not found"})
    assert crm.state() == before
    starred = dave.post(f"/conversations/{CRM_GLOBEX_THREAD}/star")
    assert starred.status_code == 200, starred.text
    assert starred.json()["starred"] is True and starred.json()["org_id"] == CRM_GLOBEX
    assert crm.as_(CRM_CAROL, CRM_GLOBEX).get(f"/conversations/{CRM_GLOBEX_THREAD}").json()["starred"] is True


# -- the X-Org-Id header: malformed ------------------------------------------------------------------------------------


MALFORMED = {
    "word": "acme",
    "empty": "",
    "truncated": "0f6c3a52-8b1e-4d7a-9c2f",
    "not-hex": "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d0z",
    "too-long": CRM_ACME + "0",
    "hyphenless": CRM_ACME.replace("-", ""),
    "braces": "{" + CRM_ACME + "}",
    "urn": "urn:uuid:" + CRM_ACME,
    "hyphens-moved": "0f6c3a528-b1e-4d7a-9c2f-5e4b3a291d01",
    "two-orgs": f"{CRM_ACME},{CRM_GLOBEX}",
    "integer": "42",
}


@pytest.mark.parametrize("org", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_org_header_is_400(crm: CrmClient, org: str) -> None:
    before = crm.state()
    refused(crm.as_(CRM_ALICE, org).get("/conversations"), 400, MALFORMED_ORG)
    refused(crm.as_(CRM_ALICE, org).post(f"/conversations/{CRM_THREAD}/star"), 400, MALFORMED_ORG)
    refused(crm.as_(CRM_CAROL, org).get(f"/conversations/{CRM_GLOBEX_THREAD}"), 400, MALFORMED_ORG)  # not a 403
    assert crm.state() == before


@pytest.mark.parametrize("org", ["acme", "", "{" + CRM_GLOBEX + "}"])
def test_the_org_header_is_checked_before_parameters_bodies_and_lookups(crm: CrmClient, org: str) -> None:
    client = crm.as_(CRM_ALICE, org)
    before = crm.state()
    for response in (
        client.get("/conversations", params={"limit": 0, "scope": "everyone"}),
        client.get("/conversations/not-a-uuid"),
        client.get(f"/conversations/{CRM_GLOBEX_THREAD}"),
        client.post(f"/conversations/{CRM_THREAD}/messages", json={"channel": "fax", "priority": "high"}),
        client.post(f"/conversations/{CRM_THREAD}/assign"),
    ):
        refused(response, 400, MALFORMED_ORG)
    assert crm.state() == before


# -- the X-Org-Id header: not a member ---------------------------------------------------------------------------------


OUTSIDERS = {  # (user, org): an org the user is not a member of, whatever it is to them
    "unknown-org": (CRM_ALICE, UNKNOWN_ORG),
    "sibling-top-level": (CRM_ALICE, CRM_GLOBEX),
    "other-top-level": (CRM_CAROL, CRM_ACME),
    "child-not-joined": (CRM_ALICE, CRM_ACME_RENTALS),
    "child-of-child": (CRM_ALICE, CRM_LAKESIDE_NORTH),
    "child-for-a-member": (CRM_BOB, CRM_LAKESIDE),
    "grandchild": (CRM_DAVE, CRM_LAKESIDE_NORTH),
    "parent": (CRM_ERIN, CRM_ACME),
    "own-child": (CRM_ERIN, CRM_LAKESIDE_NORTH),
    "docs-example": (CRM_CAROL, CRM_LAKESIDE),
    "unknown-upper-case": (CRM_ALICE, UNKNOWN_ORG.upper()),
}


@pytest.mark.parametrize(("user", "org"), list(OUTSIDERS.values()), ids=list(OUTSIDERS))
def test_an_org_the_member_does_not_belong_to_is_403(crm: CrmClient, user: str, org: str) -> None:
    before = crm.state()
    refused(crm.as_(user, org).get("/conversations"), 403, NOT_A_MEMBER)
    refused(crm.as_(user, org).post(f"/conversations/{CRM_THREAD}/read"), 403, NOT_A_MEMBER)
    assert crm.state() == before


def test_every_403_is_the_same_bytes_whether_the_org_exists_or_not(crm: CrmClient) -> None:
    """Iron never tells an org that exists from one that does not: same status, headers and body."""
    unknown = crm.as_(CRM_ALICE, UNKNOWN_ORG).get("/conversations")
    assert unknown.status_code == 403
    for name, (user, org) in OUTSIDERS.items():
        for response in (
            crm.as_(user, org).get("/conversations"),
            crm.as_(user, org).get(f"/conversations/{CRM_LAKESIDE_THREAD}"),
            crm.as_(user, org).post(f"/conversations/{CRM_THREAD}/star"),
        ):
            assert response.status_code == 403, name
            assert response.content == unknown.content, name
            assert dict(response.headers) == dict(unknown.headers), name


def test_the_docs_example_org_lists_lakesides_threads(crm: CrmClient) -> None:
    """`X-Org-Id: 11111111-2222-3333-4444-555555555555` (the authentication page's example) is Lakeside Realty, a
    subaccount of Acme: Alice (its admin) and Erin (a client member) act there; Carol is no member."""
    alice = crm.as_(CRM_ALICE, "11111111-2222-3333-4444-555555555555")
    response = alice.get("/conversations", params={"limit": 100})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items and all(c["org_id"] == "11111111-2222-3333-4444-555555555555" for c in items)
    lakeside = threads(alice, CRM_LAKESIDE)
    assert CRM_LAKESIDE_THREAD in lakeside
    assert not lakeside & {CRM_THREAD, CRM_GLOBEX_THREAD, CRM_NORTH_THREAD}  # its own, not the parent's or child's
    assert not lakeside & threads(crm, CRM_ACME)
    assert threads(crm.as_(CRM_ERIN, CRM_LAKESIDE), CRM_LAKESIDE) == lakeside
    thread = alice.get(f"/conversations/{CRM_LAKESIDE_THREAD}")
    assert thread.status_code == 200 and thread.json()["org_id"] == CRM_LAKESIDE
    before = crm.state()
    refused(crm.as_(CRM_CAROL, CRM_LAKESIDE).get("/conversations"), 403, NOT_A_MEMBER)
    refused(crm.as_(CRM_CAROL, CRM_LAKESIDE).get(f"/conversations/{CRM_LAKESIDE_THREAD}"), 403, NOT_A_MEMBER)
    assert crm.state() == before


def test_membership_is_not_inherited_down_the_hierarchy(crm: CrmClient) -> None:
    """Alice owns Acme and administers Lakeside, yet is no member of Acme Rentals (Acme's other child, Bob's) nor of
    Lakeside North (Lakeside's child)."""
    rentals = threads(crm.as_(CRM_BOB, CRM_ACME_RENTALS), CRM_ACME_RENTALS)
    assert not rentals & threads(crm, CRM_ACME)
    refused(crm.as_(CRM_ALICE, CRM_ACME_RENTALS).get("/conversations"), 403, NOT_A_MEMBER)
    refused(crm.as_(CRM_ALICE, CRM_LAKESIDE_NORTH).get("/conversations"), 403, NOT_A_MEMBER)
    refused(crm.as_(CRM_ALICE, CRM_LAKESIDE_NORTH).get(f"/conversations/{CRM_NORTH_THREAD}"), 403, NOT_A_MEMBER)


@pytest.mark.parametrize(("user", "org"), [(CRM_ALICE, CRM_ACME), (CRM_CAROL, CRM_GLOBEX), (CRM_DAVE, CRM_ACME)])
def test_an_upper_case_uuid_names_the_same_org(crm: CrmClient, user: str, org: str) -> None:
    upper = crm.as_(user, org.upper())
    assert threads(upper, org) == threads(crm.as_(user, org), org)  # org_id on the wire is the lower-case id
    mixed = crm.as_(user, org[:18] + org[18:].upper())
    assert threads(mixed, org) == threads(crm.as_(user, org), org)


def test_membership_is_checked_before_parameters_and_lookups(crm: CrmClient) -> None:
    outsider = crm.as_(CRM_ALICE, CRM_GLOBEX)
    before = crm.state()
    for response in (
        outsider.get("/conversations", params={"limit": 0}),
        outsider.get("/conversations/not-a-uuid"),
        outsider.get(f"/conversations/{CRM_GLOBEX_THREAD}"),
        outsider.post(f"/conversations/{CRM_GLOBEX_THREAD}/star"),
        outsider.post(f"/conversations/{CRM_GLOBEX_THREAD}/assign", json={"assigned_to": "bob"}),
    ):
        refused(response, 403, NOT_A_MEMBER)
    assert crm.state() == before


def test_a_member_of_both_orgs_sees_each_orgs_threads_by_the_header(crm: CrmClient) -> None:
    in_acme = threads(crm.as_(CRM_DAVE, CRM_ACME), CRM_ACME)
    in_globex = threads(crm.as_(CRM_DAVE, CRM_GLOBEX), CRM_GLOBEX)
    assert CRM_THREAD in in_acme and CRM_GLOBEX_THREAD not in in_acme
    assert CRM_GLOBEX_THREAD in in_globex and CRM_THREAD not in in_globex
    assert not in_acme & in_globex
    assert in_acme == threads(crm, CRM_ACME)  # Alice sees what Dave sees in Acme
    for thread_id in in_globex:
        response = crm.as_(CRM_DAVE, CRM_GLOBEX).get(f"/conversations/{thread_id}")
        assert response.json()["org_id"] == CRM_GLOBEX
    response = crm.as_(CRM_DAVE, CRM_ACME).get(f"/conversations/{CRM_GLOBEX_THREAD}")
    refused(response, 404, {"detail": "Conversation not found"})


# -- another org's ids are not found -----------------------------------------------------------------------------------


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


RELATED = {  # (user, acting org, a thread of an org that is not the acting one)
    "grandchild": (CRM_ALICE, CRM_ACME, CRM_NORTH_THREAD),
    "parent": (CRM_ALICE, CRM_LAKESIDE, CRM_THREAD),
    "parent-for-a-client": (CRM_ERIN, CRM_LAKESIDE, CRM_THREAD),
    "stranger": (CRM_ALICE, CRM_LAKESIDE, CRM_GLOBEX_THREAD),
    "sibling": (CRM_BOB, CRM_ACME_RENTALS, CRM_LAKESIDE_THREAD),
}


@pytest.mark.parametrize(("user", "org", "thread"), list(RELATED.values()), ids=list(RELATED))
def test_a_related_orgs_conversation_is_not_found(crm: CrmClient, user: str, org: str, thread: str) -> None:
    """Membership of a related org shows nothing of it: a grandchild's, the parent's, a sibling's thread is 404."""
    client = crm.as_(user, org)
    before = crm.state()
    refused(client.get(f"/conversations/{thread}"), 404, {"detail": "Conversation not found"})
    refused(client.post(f"/conversations/{thread}/star"), 404, {"detail": "Conversation not found"})
    assert crm.state() == before
    assert thread not in threads(client, org)


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


# -- routing -----------------------------------------------------------------------------------------------------------


def test_unknown_route_is_404_not_found(crm: CrmClient) -> None:
    for path in ("/conversationz", "/conversations/sla/extra", "/contacts"):
        response = crm.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("path", ["/conversations", f"/conversations/{CRM_THREAD}", "/conversations/views/counts"])
def test_the_paths_without_api_v1_are_gone(crm: CrmClient, path: str) -> None:
    assert crm.base_path == "/crm-inbox/api/v1"
    before = crm.state()
    for headers in (crm.sent, {}):
        response = crm.http.get(f"/crm-inbox{path}", headers=headers)
        refused(response, 404, {"detail": "Not Found"})
    response = crm.http.post(f"/crm-inbox/conversations/{CRM_THREAD}/star", headers=crm.sent)
    refused(response, 404, {"detail": "Not Found"})
    assert crm.state() == before


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


# -- query parameters --------------------------------------------------------------------------------------------------


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


# -- bodies ------------------------------------------------------------------------------------------------------------


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
    refusals = [
        anonymous(crm, {"X-Org-Id": CRM_ACME}).post(f"/conversations/{CRM_THREAD}/archive", json={"archived": True}),
        crm.post(
            f"/conversations/{CRM_THREAD}/archive", json={"archived": True}, headers={"Authorization": UNKNOWN_TOKEN}
        ),
        crm.as_(CRM_ALICE, "acme").post(f"/conversations/{CRM_THREAD}/archive", json={"archived": True}),
        crm.as_(CRM_BOB, CRM_GLOBEX).post(f"/conversations/{CRM_GLOBEX_THREAD}/star"),
        crm.as_(CRM_ERIN, CRM_ACME).post(f"/conversations/{CRM_THREAD}/archive", json={"archived": True}),
        crm.as_(CRM_ERIN, None).post(f"/conversations/{CRM_THREAD}/archive", json={"archived": True}),
        crm.post(f"/conversations/{CRM_THREAD}/archive", json={"archived": "yes"}),
        crm.post(f"/conversations/{CRM_THREAD}/assign", json={"assigned_to": "bob"}),
        crm.post(f"/conversations/{CRM_THREAD}/messages", json={"channel": "sms", "body": "x" * 4097}),
    ]
    assert [r.status_code for r in refusals] == [401, 401, 400, 403, 403, 404, 422, 422, 422]
    assert [r.json()["detail"] for r in refusals[:6]] == [
        NOT_AUTHENTICATED["detail"],
        INVALID["detail"],
        MALFORMED_ORG["detail"],
        NOT_A_MEMBER["detail"],
        NOT_A_MEMBER["detail"],
        "Conversation not found",  # Erin acts in Lakeside: Acme's thread is not there
    ]
    assert all(issues(r) for r in refusals[6:])
    assert crm.state() == before
    assert crm.post(f"/conversations/{CRM_THREAD}/archive", json={"archived": True}).json()["archived"] is True
    assert crm.state() != before
