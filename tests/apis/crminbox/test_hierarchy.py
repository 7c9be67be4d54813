"""The CRM inbox's org hierarchy and "view as client" impersonation over HTTP (Iron's subaccounts and authentication
pages).

The seeded tree (fixtures/crm-inbox.yaml): Acme Homes → its client subaccounts Lakeside Realty (the docs' example
`X-Org-Id`; → Lakeside North, Acme's grandchild) and Acme Rentals; Globex Rentals is unrelated. Alice owns Acme and
administers Lakeside; Bob is a member of Acme and Acme Rentals; membership is never inherited.

RLS, as convomock reads "the acting org sees itself plus its direct children" (subaccounts page): acting in an org,
a thread or contact of a direct child is read and written by id (answering with the child's `org_id`), while lists
and counts show the acting org's own records only; a grandchild's, the parent's, a sibling's or a stranger's id is
404 like an id that does not exist.

Impersonation (authentication page): an admin or owner of the acting org mints a time-boxed token for that org or a
direct subaccount (403 otherwise, 404 for an unknown org) and sends it as `X-Impersonate-Token` beside their own JWT;
the request acts in the token's org and is attributed to the real admin. Every refusal changes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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

GRACE = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d1e01"  # Lakeside's contact, the thread CRM_LAKESIDE_THREAD
OMAR = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d1e02"  # Lakeside's contact, answered by Alice
OMAR_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4d02"
HANA = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d2e01"  # Lakeside North's contact
ACME_QUEUED = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a01"
LAKESIDE_QUEUED = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6d01"
UNKNOWN_ORG = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291dff"
NOT_FOUND = {"detail": "Conversation not found"}
NOT_A_MEMBER = {"detail": "Not a member of this organization"}
NOT_DIRECT = {"detail": "Not your organization or one of its direct subaccounts"}
INVALID_GRANT = {"detail": "Invalid impersonation token"}
NOT_A_MANAGER = {"detail": "Only an owner or admin can impersonate"}
GRANT = re.compile(r"imp_[0-9a-f]{32}")


# -- helpers ---------------------------------------------------------------------------------------------------------


def refused(response: httpx.Response, status: int, body: Any) -> None:
    assert response.status_code == status, response.text
    assert response.json() == body


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def threads(client: CrmClient, **query: Any) -> list[dict[str, Any]]:
    """Every thread the list returns to `client` (one page of 100 holds them all)."""
    page = ok(client.get("/conversations", params={"limit": 100, **query}))
    assert page["total"] == len(page["items"])
    return list(page["items"])


def ids(client: CrmClient, **query: Any) -> set[str]:
    return {c["id"] for c in threads(client, **query)}


def now(crm: CrmClient) -> datetime:
    response = crm.http.get("/__mock/clock")
    assert response.status_code == 200
    return datetime.fromisoformat(response.json()["now"])


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def impersonate(client: CrmClient, org: str) -> str:
    """A grant for `org`, as `client` takes it; its token."""
    grant = ok(client.post("/impersonate", json={"org_id": org}), 201)
    assert grant["org_id"] == org
    return str(grant["token"])


def viewing(client: CrmClient, token: str, org: str | None = None) -> CrmClient:
    """`client`'s user with an impersonation token beside their JWT (and `X-Org-Id: org` unless None)."""
    headers = {"Authorization": client.sent["Authorization"], "X-Impersonate-Token": token}
    if org is not None:
        headers["X-Org-Id"] = org
    return CrmClient(client.mock, client.base_path, headers, client.user, org)


@pytest.fixture
def alice(crm: CrmClient) -> CrmClient:
    """Alice, owner of Acme, acting in Acme."""
    return crm.as_(CRM_ALICE, CRM_ACME)


# -- the tree --------------------------------------------------------------------------------------------------------


def test_the_credentials_publish_each_orgs_parent(crm: CrmClient) -> None:
    listed = crm.http.get("/__mock/credentials").json()["crm-inbox"]
    parents = {c["tenant"]: c["parent_org_id"] for c in listed if "purpose" not in c}
    assert parents == {
        CRM_ACME: None,
        CRM_LAKESIDE: CRM_ACME,
        CRM_ACME_RENTALS: CRM_ACME,
        CRM_GLOBEX: None,
    }  # Lakeside North has no member, so no credential
    alice = {c["tenant"]: c["role"] for c in listed if c.get("user_id") == CRM_ALICE}
    assert alice == {CRM_ACME: "owner", CRM_LAKESIDE: "admin"}


# -- RLS: a direct child's records by id -----------------------------------------------------------------------------


def test_acting_in_acme_a_direct_childs_thread_is_read_by_id(crm: CrmClient, alice: CrmClient) -> None:
    thread = ok(alice.get(f"/conversations/{CRM_LAKESIDE_THREAD}"))
    assert (thread["id"], thread["org_id"], thread["contact"]["id"]) == (CRM_LAKESIDE_THREAD, CRM_LAKESIDE, GRACE)
    in_lakeside = crm.as_(CRM_ALICE, CRM_LAKESIDE)
    assert thread == ok(in_lakeside.get(f"/conversations/{CRM_LAKESIDE_THREAD}"))
    messages = ok(alice.get(f"/conversations/{CRM_LAKESIDE_THREAD}/messages"))
    assert messages == ok(in_lakeside.get(f"/conversations/{CRM_LAKESIDE_THREAD}/messages"))
    assert [m["type"] for m in messages["items"]] == ["sms", "suggestion"]


def test_acting_in_acme_a_direct_childs_thread_is_written_by_id(crm: CrmClient, alice: CrmClient) -> None:
    """Star, read, archive and send from Acme land on Lakeside's thread, as Lakeside itself then reads it."""
    path = f"/conversations/{CRM_LAKESIDE_THREAD}"
    starred = ok(alice.post(f"{path}/star"))
    assert (starred["org_id"], starred["starred"]) == (CRM_LAKESIDE, True)
    assert ok(alice.post(f"{path}/read"))["unread_count"] == 0
    assert ok(alice.post(f"{path}/archive", json={"archived": True}))["archived"] is True
    assert ok(alice.post(f"{path}/archive", json={"archived": False}))["archived"] is False
    sent = ok(alice.post(f"{path}/messages", json={"channel": "sms", "body": "Price sheet on its way."}), 201)
    assert (sent["to"], sent["author_id"], sent["actor"]) == ("+15553450001", CRM_ALICE, f"user:{CRM_ALICE}")
    in_lakeside = crm.as_(CRM_ALICE, CRM_LAKESIDE)
    seen = ok(in_lakeside.get(path))
    assert (seen["starred"], seen["archived"], seen["unread_count"]) == (True, False, 0)
    assert ok(in_lakeside.get(f"{path}/messages"))["items"][-1] == sent
    assert ok(alice.get(path)) == seen


def test_a_direct_childs_thread_is_assigned_to_a_member_of_the_child(crm: CrmClient, alice: CrmClient) -> None:
    """From Acme, Lakeside's thread takes a Lakeside member (Erin, a client member there, no member of Acme); Bob, a
    member of Acme only, is refused with the assign endpoint's 422."""
    path = f"/conversations/{CRM_LAKESIDE_THREAD}/assign"
    assert ok(alice.post(path, json={"assigned_to": CRM_ERIN}))["assigned_to"] == CRM_ERIN
    before = crm.state()
    issue = {
        "type": "value_error",
        "loc": ["body", "assigned_to"],
        "msg": "Value error, user is not a member of this organization",
        "input": CRM_BOB,
    }
    refused(alice.post(path, json={"assigned_to": CRM_BOB}), 422, {"detail": [issue]})
    assert crm.state() == before


def test_acting_in_acme_opens_a_direct_childs_contacts_thread(alice: CrmClient) -> None:
    grace = ok(alice.post(f"/contacts/{GRACE}/conversations"))
    assert (grace["id"], grace["org_id"], grace["contact"]["name"]) == (CRM_LAKESIDE_THREAD, CRM_LAKESIDE, "Grace Hall")
    omar = ok(alice.post(f"/contacts/{OMAR}/conversations", json={"channel": "sms"}))
    assert (omar["id"], omar["org_id"]) == (OMAR_THREAD, CRM_LAKESIDE)


def test_lists_and_counts_show_only_the_acting_orgs_own_threads(crm: CrmClient, alice: CrmClient) -> None:
    """A child's thread changed from Acme (starred, made unread) never enters Acme's lists or counts."""
    lakeside = ids(crm.as_(CRM_ALICE, CRM_LAKESIDE))
    counts = ok(alice.get("/conversations/views/counts"))
    overdue = ok(alice.get("/conversations/overdue/count"))
    ok(alice.post(f"/conversations/{CRM_LAKESIDE_THREAD}/star"))
    ok(alice.post(f"/conversations/{CRM_LAKESIDE_THREAD}/unread"))
    for query in ({}, {"archived": "true"}, {"starred": "true"}, {"unread": "true"}, {"scope": "mine"}):
        listed = threads(alice, **query)
        assert {c["org_id"] for c in listed} <= {CRM_ACME}, query
        assert not {c["id"] for c in listed} & lakeside, query
    assert ok(alice.get("/conversations/views/counts")) == counts
    assert ok(alice.get("/conversations/overdue/count")) == overdue
    assert ok(alice.get("/setter/queue"))["items"] and all(
        a["org_id"] == CRM_ACME for a in ok(alice.get("/setter/queue"))["items"]
    )


RELATED = {  # (user, acting org, a thread of an org the acting one does not see)
    "grandchild": (CRM_ALICE, CRM_ACME, CRM_NORTH_THREAD),
    "parent": (CRM_ALICE, CRM_LAKESIDE, CRM_THREAD),
    "sibling": (CRM_BOB, CRM_ACME_RENTALS, CRM_LAKESIDE_THREAD),
    "stranger": (CRM_ALICE, CRM_ACME, CRM_GLOBEX_THREAD),
}


@pytest.mark.parametrize(("user", "org", "thread"), list(RELATED.values()), ids=list(RELATED))
def test_a_grandchild_parent_sibling_or_strangers_thread_is_not_found(
    crm: CrmClient, user: str, org: str, thread: str
) -> None:
    client = crm.as_(user, org)
    before = crm.state()
    for response in (
        client.get(f"/conversations/{thread}"),
        client.get(f"/conversations/{thread}/messages"),
        client.post(f"/conversations/{thread}/star"),
        client.post(f"/conversations/{thread}/archive", json={"archived": True}),
        client.post(f"/conversations/{thread}/messages", json={"channel": "sms", "body": "Hello"}),
    ):
        refused(response, 404, NOT_FOUND)
    assert crm.state() == before
    unknown = client.get("/conversations/7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4bff")
    assert (unknown.status_code, unknown.content) == (404, client.get(f"/conversations/{thread}").content)


@pytest.mark.parametrize(
    ("org", "contact"), [(CRM_ACME, HANA), (CRM_LAKESIDE, CRM_MARIA)], ids=["grandchild", "parent"]
)
def test_a_grandchilds_or_parents_contact_is_not_found(crm: CrmClient, org: str, contact: str) -> None:
    before = crm.state()
    refused(crm.as_(CRM_ALICE, org).post(f"/contacts/{contact}/conversations"), 404, {"detail": "Contact not found"})
    assert crm.state() == before


def test_setter_assignments_stay_with_their_own_org(crm: CrmClient, alice: CrmClient) -> None:
    """The setter's queue is no record reached through RLS: a subaccount's assignment is not found from Acme."""
    refused(alice.get(f"/setter/assignments/{LAKESIDE_QUEUED}"), 404, {"detail": "Assignment not found"})
    in_lakeside = crm.as_(CRM_ALICE, CRM_LAKESIDE)
    refused(in_lakeside.get(f"/setter/assignments/{ACME_QUEUED}"), 404, {"detail": "Assignment not found"})
    assert ok(in_lakeside.get(f"/setter/assignments/{LAKESIDE_QUEUED}"))["org_id"] == CRM_LAKESIDE


# -- impersonation -----------------------------------------------------------------------------------------------------


def test_an_owner_impersonates_a_direct_subaccount(crm: CrmClient, alice: CrmClient) -> None:
    response = alice.post("/impersonate", json={"org_id": CRM_LAKESIDE})
    grant = ok(response, 201)
    assert set(grant) == {"token", "org_id", "expires_at"}
    assert GRANT.fullmatch(grant["token"]), grant["token"]
    assert (grant["org_id"], grant["expires_at"]) == (CRM_LAKESIDE, iso(now(crm) + timedelta(hours=1)))
    as_client = viewing(alice, grant["token"])
    listed = threads(as_client)
    assert listed == threads(crm.as_(CRM_ALICE, CRM_LAKESIDE))
    assert {c["org_id"] for c in listed} == {CRM_LAKESIDE}
    assert ok(as_client.get("/conversations/sla"))["timezone"] == "America/Denver"  # Lakeside's, not Acme's


def test_impersonating_the_acting_org_itself(crm: CrmClient, alice: CrmClient) -> None:
    token = impersonate(alice, CRM_ACME)
    assert threads(viewing(alice, token)) == threads(alice)


def test_impersonating_a_direct_child_the_owner_is_not_a_member_of(crm: CrmClient, alice: CrmClient) -> None:
    """Alice is no member of Acme Rentals (Bob is); as Acme's owner she views it as a client, and what she sends
    there is hers (actor and author are Alice, the real admin)."""
    refused(crm.as_(CRM_ALICE, CRM_ACME_RENTALS).get("/conversations"), 403, NOT_A_MEMBER)
    token = impersonate(alice, CRM_ACME_RENTALS)
    as_client = viewing(alice, token)
    listed = threads(as_client)
    assert listed and {c["org_id"] for c in listed} == {CRM_ACME_RENTALS}
    bob = crm.as_(CRM_BOB, CRM_ACME_RENTALS)
    assert listed == threads(bob)
    assert threads(viewing(alice, token, CRM_ACME_RENTALS)) == listed  # naming the token's own org is fine
    thread = listed[0]["id"]
    sent = ok(as_client.post(f"/conversations/{thread}/messages", json={"channel": "sms", "body": "Checking in."}), 201)
    assert (sent["author_id"], sent["actor"]) == (CRM_ALICE, f"user:{CRM_ALICE}")
    assert ok(bob.get(f"/conversations/{thread}/messages", params={"limit": 100}))["items"][-1] == sent
    assert ok(as_client.get("/conversations/sla"))["first_response_minutes"] == 120  # Acme Rentals' SLA


@pytest.mark.parametrize("target", [CRM_LAKESIDE_NORTH, CRM_GLOBEX], ids=["grandchild", "stranger"])
def test_a_grandchild_or_a_stranger_cannot_be_impersonated(crm: CrmClient, alice: CrmClient, target: str) -> None:
    before = crm.state()
    refused(alice.post("/impersonate", json={"org_id": target}), 403, NOT_DIRECT)
    assert crm.state() == before


@pytest.mark.parametrize(
    ("acting", "target"),
    [(CRM_LAKESIDE, CRM_ACME), (CRM_LAKESIDE, CRM_ACME_RENTALS)],
    ids=["parent", "sibling"],
)
def test_from_a_subaccount_its_parent_and_siblings_cannot_be_impersonated(
    crm: CrmClient, acting: str, target: str
) -> None:
    """Alice administers Lakeside: acting there, her own Acme is Lakeside's parent, and Acme Rentals its sibling."""
    before = crm.state()
    refused(crm.as_(CRM_ALICE, acting).post("/impersonate", json={"org_id": target}), 403, NOT_DIRECT)
    assert crm.state() == before


def test_an_unknown_org_is_404(crm: CrmClient, alice: CrmClient) -> None:
    before = crm.state()
    refused(alice.post("/impersonate", json={"org_id": UNKNOWN_ORG}), 404, {"detail": "Organization not found"})
    assert crm.state() == before


@pytest.mark.parametrize(
    ("body", "issue"),
    [
        (
            {"org_id": "not-a-uuid"},
            {
                "type": "uuid_parsing",
                "loc": ["body", "org_id"],
                "msg": "Input should be a valid UUID",
                "input": "not-a-uuid",
            },
        ),
        ({}, {"type": "missing", "loc": ["body", "org_id"], "msg": "Field required", "input": None}),
    ],
    ids=["bad-uuid", "missing"],
)
def test_an_org_id_that_is_no_uuid_is_422(crm: CrmClient, alice: CrmClient, body: Any, issue: Any) -> None:
    before = crm.state()
    response = alice.post("/impersonate", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0] == issue
    assert crm.state() == before


@pytest.mark.parametrize("target", [CRM_LAKESIDE, CRM_ACME, UNKNOWN_ORG], ids=["child", "own", "unknown"])
def test_a_plain_member_cannot_impersonate(crm: CrmClient, target: str) -> None:
    """Bob is a member (neither owner nor admin) of Acme: refused before the target is even looked up."""
    before = crm.state()
    refused(crm.as_(CRM_BOB, CRM_ACME).post("/impersonate", json={"org_id": target}), 403, NOT_A_MANAGER)
    refused(crm.as_(CRM_ERIN, CRM_LAKESIDE).post("/impersonate", json={"org_id": CRM_LAKESIDE}), 403, NOT_A_MANAGER)
    assert crm.state() == before


def test_the_role_counted_is_the_one_in_the_acting_org(crm: CrmClient) -> None:
    """Dave is a plain member of Acme and an admin of Globex."""
    refused(crm.as_(CRM_DAVE, CRM_ACME).post("/impersonate", json={"org_id": CRM_ACME}), 403, NOT_A_MANAGER)
    assert impersonate(crm.as_(CRM_DAVE, CRM_GLOBEX), CRM_GLOBEX).startswith("imp_")
    assert impersonate(crm.as_(CRM_CAROL, CRM_GLOBEX), CRM_GLOBEX).startswith("imp_")


def test_a_token_used_by_another_user_is_invalid(crm: CrmClient, alice: CrmClient) -> None:
    token = impersonate(alice, CRM_LAKESIDE)
    bob = crm.as_(CRM_BOB, None)
    before = crm.state()
    refused(viewing(bob, token).get("/conversations"), 403, INVALID_GRANT)
    refused(viewing(bob, token, CRM_LAKESIDE).get("/conversations"), 403, INVALID_GRANT)
    refused(viewing(bob, token).post(f"/conversations/{CRM_LAKESIDE_THREAD}/star"), 403, INVALID_GRANT)
    assert crm.state() == before


def test_an_unknown_token_is_invalid(crm: CrmClient, alice: CrmClient) -> None:
    before = crm.state()
    for token in ("imp_00000000000000000000000000000000", "not-a-grant", ""):
        refused(viewing(alice, token).get("/conversations"), 403, INVALID_GRANT)
    assert crm.state() == before


def test_a_token_lives_one_hour_on_the_mock_clock(crm: CrmClient, alice: CrmClient) -> None:
    token = impersonate(alice, CRM_LAKESIDE)
    crm.advance("59m")
    assert {c["org_id"] for c in threads(viewing(alice, token))} == {CRM_LAKESIDE}
    crm.advance("2m")  # 61 minutes after it was minted
    before = crm.state()
    refused(viewing(alice, token).get("/conversations"), 403, INVALID_GRANT)
    refused(viewing(alice, token).post(f"/conversations/{CRM_LAKESIDE_THREAD}/star"), 403, INVALID_GRANT)
    assert crm.state() == before
    assert ids(alice)  # her own JWT still works


def test_an_expired_token_after_61_minutes(crm: CrmClient, alice: CrmClient) -> None:
    token = impersonate(alice, CRM_ACME_RENTALS)
    response = crm.http.post("/__mock/clock", json={"advance": "61m"})
    assert response.status_code == 200
    refused(viewing(alice, token).get("/conversations"), 403, INVALID_GRANT)


def test_an_x_org_id_naming_another_org_than_the_tokens_is_403(crm: CrmClient, alice: CrmClient) -> None:
    token = impersonate(alice, CRM_LAKESIDE)
    before = crm.state()
    for org in (CRM_ACME, CRM_ACME_RENTALS, CRM_GLOBEX, UNKNOWN_ORG):
        refused(viewing(alice, token, org).get("/conversations"), 403, NOT_A_MEMBER)
    assert crm.state() == before
    assert {c["org_id"] for c in threads(viewing(alice, token, CRM_LAKESIDE))} == {CRM_LAKESIDE}


def test_an_impersonation_token_needs_the_admins_own_jwt(crm: CrmClient, alice: CrmClient) -> None:
    token = impersonate(alice, CRM_LAKESIDE)
    response = crm.http.get(crm.url("/conversations"), headers={"X-Impersonate-Token": token})
    refused(response, 401, {"detail": "Not authenticated"})
    assert response.headers["www-authenticate"] == "Bearer"


def test_under_impersonation_rls_is_the_impersonated_orgs(crm: CrmClient, alice: CrmClient) -> None:
    """Viewing Lakeside as a client, Alice reaches Lakeside's direct child (Lakeside North) by id, and no longer her
    own Acme's thread (Lakeside's parent)."""
    as_client = viewing(alice, impersonate(alice, CRM_LAKESIDE))
    assert ok(as_client.get(f"/conversations/{CRM_NORTH_THREAD}"))["org_id"] == CRM_LAKESIDE_NORTH
    refused(as_client.get(f"/conversations/{CRM_THREAD}"), 404, NOT_FOUND)


@pytest.mark.parametrize("named", ["junk", "", "{11111111-2222-3333-4444-555555555555}"])
def test_a_malformed_org_header_beside_an_impersonation_token_is_400(
    crm: CrmClient, alice: CrmClient, named: str
) -> None:
    token = impersonate(alice, CRM_LAKESIDE)
    before = crm.state()
    client = viewing(alice, token)
    response = client.get("/conversations", headers={"X-Org-Id": named})
    refused(response, 400, {"detail": "X-Org-Id must be a UUID"})
    assert crm.state() == before
