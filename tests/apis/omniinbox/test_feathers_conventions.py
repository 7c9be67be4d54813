"""Feathers conventions of the omnichannel inbox: authentication, the error shape, tenancy, the paginated envelope,
the qs-style query syntax the Feathers REST client sends, 405s, multi patch/remove and body validation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import jwt

from tests.support.omniinbox import (
    OMNI_ACME,
    OMNI_ANA,
    OMNI_BEN,
    OMNI_GINA,
    OMNI_GLOBEX,
    OMNI_GLOBEX_THREAD,
    OMNI_SMS,
    OMNI_WA_OPEN,
    OmniClient,
)

Keep = Callable[[dict[str, Any]], bool]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def everything(omni: OmniClient, path: str = "/conversations") -> list[dict[str, Any]]:
    """The unfiltered full listing, page by page at the maximum page size."""
    found: list[dict[str, Any]] = []
    while True:
        joiner = "&" if "?" in path else "?"
        response = omni.get(f"{path}{joiner}$limit=50&$skip={len(found)}")
        assert response.status_code == 200, response.text
        body = response.json()
        found += body["data"]
        if not body["data"] or len(found) >= body["total"]:
            assert len(found) == body["total"]
            return found


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["_id"] for r in records]


def find_all(omni: OmniClient, query: str) -> dict[str, Any]:
    response = omni.get(f"/conversations?{query}&$limit=50")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["data"]), "the test expects one page"
    return dict(body)


def assert_error(response: Any, status: int, name: str, class_name: str, message: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["name"] == name and body["code"] == status and body["className"] == class_name, body
    if message is not None:
        assert body["message"] == message, body
    return dict(body)


# -- authentication --------------------------------------------------------------------------------------------


def test_authentication_answers_a_jwt_with_its_payload_and_the_user(omni: OmniClient) -> None:
    response = omni.http.post(
        "/omni-inbox/authentication", json={"strategy": "local", "email": "agent@acme.example", "password": "convomock"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["accessToken"], str) and body["accessToken"].count(".") == 2
    authentication = body["authentication"]
    assert authentication["strategy"] == "local"
    payload = authentication["payload"]
    assert set(payload) >= {"sub", "aud", "exp", "iat", "jti"}
    assert payload["sub"] == OMNI_ANA and payload["exp"] > payload["iat"]
    claims = jwt.decode(body["accessToken"], options={"verify_signature": False})
    assert claims["sub"] == payload["sub"] and claims["jti"] == payload["jti"]
    assert body["user"]["_id"] == OMNI_ANA and body["user"]["email"] == "agent@acme.example"
    assert body["user"]["workspaceId"] == OMNI_ACME
    assert "password" not in body["user"]
    # the token works
    listed = omni.http.get("/omni-inbox/conversations", headers={"Authorization": f"Bearer {body['accessToken']}"})
    assert listed.status_code == 200


def test_wrong_password_is_invalid_login(omni: OmniClient) -> None:
    for email in ("agent@acme.example", "nobody@acme.example"):
        response = omni.http.post(
            "/omni-inbox/authentication", json={"strategy": "local", "email": email, "password": "wrong"}
        )
        body = assert_error(response, 401, "NotAuthenticated", "not-authenticated", "Invalid login")
        assert "accessToken" not in body


def test_no_token_or_garbage_token_is_401_in_feathers_shape(omni: OmniClient) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer garbage"},
        {"Authorization": f"Basic {omni.token}"},
        {"Authorization": f"Bearer {omni.token}x"},
    ):
        response = omni.http.get("/omni-inbox/conversations", headers=headers)
        body = assert_error(response, 401, "NotAuthenticated", "not-authenticated")
        assert "total" not in body and body["message"]


def test_a_globex_token_sees_only_globex(omni: OmniClient) -> None:
    gina = omni.as_(OMNI_GINA)
    theirs = everything(gina)
    assert theirs and all(c["workspaceId"] == OMNI_GLOBEX for c in theirs)
    assert OMNI_GLOBEX_THREAD in ids(theirs)
    ours = everything(omni)
    assert all(c["workspaceId"] == OMNI_ACME for c in ours)
    assert not set(ids(ours)) & set(ids(theirs))
    assert_error(
        gina.get(f"/conversations/{OMNI_WA_OPEN}"),
        404,
        "NotFound",
        "not-found",
        f"No record found for id '{OMNI_WA_OPEN}'",
    )
    assert_error(
        omni.get(f"/conversations/{OMNI_GLOBEX_THREAD}"),
        404,
        "NotFound",
        "not-found",
        f"No record found for id '{OMNI_GLOBEX_THREAD}'",
    )
    assert gina.get(f"/conversations/{OMNI_GLOBEX_THREAD}").json()["_id"] == OMNI_GLOBEX_THREAD


# -- paging ----------------------------------------------------------------------------------------------------


def test_find_envelope_and_default_limit(omni: OmniClient) -> None:
    body = omni.get("/conversations").json()
    assert set(body) == {"total", "limit", "skip", "data"}
    assert body["limit"] == 10 and body["skip"] == 0
    assert body["total"] == len(everything(omni)) > 10
    assert len(body["data"]) == 10
    assert ids(body["data"]) == ids(everything(omni))[:10], "default order is _id order"


def test_limit_is_clamped_not_refused(omni: OmniClient) -> None:
    total = len(everything(omni))
    big = omni.get("/conversations?$limit=100")
    assert big.status_code == 200
    assert big.json()["limit"] == 50 and len(big.json()["data"]) == min(total, 50)
    zero = omni.get("/conversations?$limit=0").json()
    assert zero == {"total": total, "limit": 0, "skip": 0, "data": []}
    negative = omni.get("/conversations?$limit=-5").json()
    assert negative["limit"] == 5 and len(negative["data"]) == 5 and negative["total"] == total


def test_skip_pages_without_overlap(omni: OmniClient) -> None:
    full = ids(everything(omni))
    seen: list[str] = []
    for skip in range(0, len(full), 7):
        body = omni.get(f"/conversations?$limit=7&$skip={skip}").json()
        assert body["skip"] == skip and body["limit"] == 7
        seen += ids(body["data"])
    assert seen == full and len(set(seen)) == len(full)


# -- filters (raw query strings as the Feathers REST client writes them) ---------------------------------------


def test_equality_filters(omni: OmniClient) -> None:
    full = everything(omni)
    cases: list[tuple[str, Keep]] = [
        ("channel=whatsapp", lambda c: c["channel"] == "whatsapp"),
        ("status=open", lambda c: c["status"] == "open"),
        (f"assigneeId={OMNI_BEN}", lambda c: c["assigneeId"] == OMNI_BEN),
        ("channel=whatsapp&status=open", lambda c: c["channel"] == "whatsapp" and c["status"] == "open"),
        ("unreadCount=0", lambda c: c["unreadCount"] == 0),
    ]
    for query, keep in cases:
        expected = [c["_id"] for c in full if keep(c)]
        body = find_all(omni, query)
        assert ids(body["data"]) == expected, query
        assert expected, f"{query} should match something in the seed"


def test_operator_queries(omni: OmniClient) -> None:
    full = everything(omni)
    pivot = sorted(c["updatedAt"] for c in full)[len(full) // 2]
    pivot_js = when(pivot).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # as JavaScript's toISOString() writes it
    cases: dict[str, Keep] = {
        "status[$in][0]=open&status[$in][1]=pending": lambda c: c["status"] in ("open", "pending"),
        "channel[$nin][0]=sms": lambda c: c["channel"] != "sms",
        "unreadCount[$gt]=0": lambda c: c["unreadCount"] > 0,
        f"updatedAt[$gte]={pivot_js}": lambda c: when(c["updatedAt"]) >= when(pivot),
        "status[$ne]=closed": lambda c: c["status"] != "closed",
        "$or[0][channel]=sms&$or[1][channel]=playground": lambda c: c["channel"] in ("sms", "playground"),
    }
    for query, keep in cases.items():
        expected = [c["_id"] for c in full if keep(c)]
        assert 0 < len(expected) < len(full), query
        assert ids(find_all(omni, query)["data"]) == expected, query


def test_percent_encoded_query_is_the_same(omni: OmniClient) -> None:
    plain = find_all(omni, "status[$in][0]=open&status[$in][1]=pending")
    encoded = find_all(omni, "status%5B%24in%5D%5B0%5D=open&status%5B%24in%5D%5B1%5D=pending")
    assert ids(plain["data"]) == ids(encoded["data"]) and plain["total"] == encoded["total"]


def test_sort(omni: OmniClient) -> None:
    full = everything(omni)
    newest = find_all(omni, "$sort[updatedAt]=-1")["data"]
    times = [when(c["updatedAt"]) for c in newest]
    assert times == sorted(times, reverse=True)
    assert sorted(ids(newest)) == sorted(ids(full))
    stages = find_all(omni, "$sort[pipelineStage]=1")["data"]
    assert [c["pipelineStage"] for c in stages] == sorted(c["pipelineStage"] for c in full)
    assert len({c["pipelineStage"] for c in stages}) > 1


def test_select_returns_only_id_and_the_fields(omni: OmniClient) -> None:
    full = {c["_id"]: c for c in everything(omni)}
    response = omni.get("/conversations?$select[0]=status&$limit=50")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert len(data) == len(full)
    for item in data:
        assert set(item) == {"_id", "status"}
        assert item["status"] == full[item["_id"]]["status"]


def test_unknown_operator_is_bad_request(omni: OmniClient) -> None:
    body = assert_error(omni.get("/conversations?status[$regex]=x"), 400, "BadRequest", "bad-request")
    assert "$regex" in body["message"]


# -- methods and paths -----------------------------------------------------------------------------------------


def test_methods_a_service_does_not_list_are_405_with_allow(omni: OmniClient) -> None:
    before = omni.state()
    for method, path, verb in (
        ("POST", "/conversations", "create"),
        ("PATCH", f"/conversation-messages-whatsapp/{OMNI_WA_OPEN}", "patch"),
        ("PUT", f"/conversations/{OMNI_WA_OPEN}", "update"),
    ):
        response = omni.request(method, path, json={"status": "open"})
        assert_error(
            response,
            405,
            "MethodNotAllowed",
            "method-not-allowed",
            f"Method `{verb}` is not supported by this endpoint.",
        )
        allow = {m.strip() for m in response.headers["allow"].split(",")}
        assert method not in allow and "GET" in allow
    assert omni.state() == before


def test_unknown_service_is_404_page_not_found(omni: OmniClient) -> None:
    assert_error(omni.get("/no-such-service"), 404, "NotFound", "not-found", "Page not found")


# -- multi patch / multi remove --------------------------------------------------------------------------------


def test_patch_many_tags_every_sms_conversation(omni: OmniClient) -> None:
    full = everything(omni)
    sms = [c["_id"] for c in full if c["channel"] == "sms"]
    assert OMNI_SMS in sms
    response = omni.patch("/conversations?channel=sms", json={"tags": ["bulk"]})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert isinstance(patched, list) and sorted(ids(patched)) == sorted(sms)
    assert all(c["tags"] == ["bulk"] and c["channel"] == "sms" for c in patched)
    after = everything(omni)
    assert all(c["tags"] == ["bulk"] for c in after if c["channel"] == "sms")
    untouched = {c["_id"]: c["tags"] for c in full if c["channel"] != "sms"}
    assert {c["_id"]: c["tags"] for c in after if c["channel"] != "sms"} == untouched


def test_remove_many_removes_the_matches_and_their_messages(omni: OmniClient) -> None:
    full = everything(omni)
    closed = [c for c in full if c["status"] == "closed"]
    assert closed
    messages = {
        c["_id"]: ids(everything(omni, f"/conversation-messages-{c['channel']}?conversationId={c['_id']}"))
        for c in closed
    }
    assert any(messages.values())
    response = omni.delete("/conversations?status=closed")
    assert response.status_code == 200, response.text
    removed = response.json()
    assert isinstance(removed, list) and sorted(ids(removed)) == sorted(ids(closed))
    assert all(c["status"] == "closed" for c in removed)
    assert sorted(ids(everything(omni))) == sorted(c["_id"] for c in full if c["status"] != "closed")
    for conversation in closed:
        assert omni.get(f"/conversations/{conversation['_id']}").status_code == 404
        for message_id in messages[conversation["_id"]]:
            assert omni.get(f"/conversation-messages-{conversation['channel']}/{message_id}").status_code == 404


def test_remove_many_without_a_query_is_refused(omni: OmniClient) -> None:
    before = omni.state()
    total = len(everything(omni))
    body = assert_error(omni.delete("/conversations"), 400, "BadRequest", "bad-request")
    assert body["message"]
    assert omni.state() == before
    assert len(everything(omni)) == total


def test_a_body_that_breaks_the_schema_is_validation_failed(omni: OmniClient) -> None:
    before = omni.state()
    original = omni.get(f"/conversations/{OMNI_WA_OPEN}").json()
    for bad in ({"status": "bogus"}, {}, {"tags": "vip"}, {"unknownField": 1}):
        response = omni.patch(f"/conversations/{OMNI_WA_OPEN}", json=bad)
        body = assert_error(response, 400, "BadRequest", "bad-request", "validation failed")
        assert isinstance(body["data"], list) and body["data"], bad
    status_error = omni.patch(f"/conversations/{OMNI_WA_OPEN}", json={"status": "bogus"}).json()
    assert any(item["instancePath"] == "/status" for item in status_error["data"])
    assert omni.patch("/conversations?channel=sms", json={"status": "bogus"}).status_code == 400
    assert omni.get(f"/conversations/{OMNI_WA_OPEN}").json() == original
    assert omni.state() == before


def test_a_multi_remove_where_the_service_does_not_allow_it(omni: OmniClient) -> None:
    before = omni.state()
    response = omni.delete("/conversation-messages-whatsapp", params={"conversationId": OMNI_WA_OPEN})
    assert response.status_code == 405
    assert response.json() == {
        "name": "MethodNotAllowed",
        "message": "Can not remove multiple entries",
        "code": 405,
        "className": "method-not-allowed",
    }
    assert omni.state() == before
