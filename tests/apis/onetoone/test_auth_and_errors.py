"""1TO1 AI authentication and the vendor's error envelope, through HTTP.

Every refusal must answer `{code, message}` with the documented status, and must leave the whole state
(`GET /__mock/state`) byte-identical: a refused request changes nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.onetoone import (
    ACME_QA_TOKEN,
    ACME_REVOKED_TOKEN,
    ACME_TOKEN,
    CLOSED_CONVERSATION,
    DOC_CONVERSATION,
    GLOBEX_TOKEN,
    OneToOneClient,
)

STATUS = "/conversation/status"
JSON = {"content-type": "application/json"}
STATUS_BODY = {"conversation": {"uuid": DOC_CONVERSATION}}


def refused(api: OneToOneClient, send: Callable[[], httpx.Response], status: int, code: str) -> dict[str, Any]:
    """Send a request that must be refused; check the envelope and that the state did not move."""
    before = api.state()
    response = send()
    after = api.state()
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"].strip()
    assert after == before, "a refused request changed the state"
    return dict(body)


def raw_status(api: OneToOneClient, content: bytes, content_type: str = "application/json") -> httpx.Response:
    return api.post(STATUS, content=content, headers={"content-type": content_type})


# -- authentication ----------------------------------------------------------------------------------------------


def test_missing_authorization_is_401(api: OneToOneClient) -> None:
    anonymous = api.as_("acme", None)
    body = refused(api, lambda: anonymous.get("/conversations"), 401, "INVALID_API_TOKEN")
    assert "Bearer" in body["message"]


def test_basic_scheme_is_401(api: OneToOneClient) -> None:
    refused(
        api,
        lambda: api.http.get(api.url("/conversations"), headers={"Authorization": "Basic x"}),
        401,
        "INVALID_API_TOKEN",
    )


def test_bearer_without_token_is_401(api: OneToOneClient) -> None:
    refused(
        api,
        lambda: api.http.get(api.url("/conversations"), headers={"Authorization": "Bearer   "}),
        401,
        "INVALID_API_TOKEN",
    )


def test_unknown_key_is_401(api: OneToOneClient) -> None:
    stranger = api.as_("acme", "sk_1to1_acme_live_000000000000000000000000")
    refused(api, lambda: stranger.get("/conversations"), 401, "INVALID_API_TOKEN")


def test_revoked_seeded_key_is_401(api: OneToOneClient) -> None:
    revoked = api.as_("acme", ACME_REVOKED_TOKEN)
    refused(api, lambda: revoked.get(f"/conversations/{DOC_CONVERSATION}"), 401, "INVALID_API_TOKEN")


def test_other_business_key_is_403_mismatch(api: OneToOneClient) -> None:
    globex_on_acme = api.as_("acme", GLOBEX_TOKEN)
    body = refused(
        api, lambda: globex_on_acme.get(f"/conversations/{DOC_CONVERSATION}"), 403, "TOKEN_BUSINESS_MISMATCH"
    )
    assert "acme" in body["message"]
    # and the key still works on its own business
    assert api.as_("globex", GLOBEX_TOKEN).get("/conversations", params={"limit": 1}).status_code == 200


def test_acme_key_on_globex_is_403_mismatch(api: OneToOneClient) -> None:
    refused(api, lambda: api.as_("globex", ACME_TOKEN).get("/conversations"), 403, "TOKEN_BUSINESS_MISMATCH")


def test_slug_is_case_insensitive(api: OneToOneClient) -> None:
    response = api.as_("ACME", ACME_TOKEN).get(f"/conversations/{DOC_CONVERSATION}")
    assert response.status_code == 200, response.text
    assert response.json()["uuid"] == DOC_CONVERSATION
    assert api.as_("AcMe", ACME_TOKEN).get("/conversations", params={"limit": 1}).status_code == 200


def test_qa_key_of_acme_works(api: OneToOneClient) -> None:
    qa = api.as_("acme", ACME_QA_TOKEN)
    response = qa.get(f"/conversations/{DOC_CONVERSATION}")
    assert response.status_code == 200, response.text
    assert response.json()["contact"]["phone"] == "+5215512345678"
    entry = api.http.get("/__mock/requests", params={"limit": 1}).json()["items"][0]
    assert entry["tenant"] == "acme" and entry["status"] == 200


# -- routing -----------------------------------------------------------------------------------------------------


def test_unknown_path_under_prefix_is_404(api: OneToOneClient) -> None:
    body = refused(api, lambda: api.get("/no/such/endpoint"), 404, "NOT_FOUND")
    assert body["message"]
    refused(api, lambda: api.http.get("/1to1ai/api/v1/public"), 404, "NOT_FOUND")


def test_wrong_method_is_405_with_allow(api: OneToOneClient) -> None:
    before = api.state()
    response = api.http.delete(api.url(f"/conversations/{DOC_CONVERSATION}"), headers=api.headers())
    assert response.status_code == 405, response.text
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in response.json()["message"]
    assert [m.strip() for m in response.headers["allow"].split(",")] == ["GET"]
    assert api.state() == before
    # the conversation is still there
    assert api.conversation()["uuid"] == DOC_CONVERSATION


def test_get_on_post_only_endpoint_is_405(api: OneToOneClient) -> None:
    response = api.get(STATUS)
    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in response.headers["allow"]


def test_bad_uuid_in_path_is_400_naming_parameter(api: OneToOneClient) -> None:
    body = refused(api, lambda: api.get("/conversations/not-a-uuid"), 400, "INVALID_REQUEST")
    assert "uuid" in body["message"]
    assert "not-a-uuid" in body["message"]


def test_request_outside_any_prefix_is_404_json(http: Any) -> None:
    response = http.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "error" in body
    assert body["apis"]["1to1ai"] == "/1to1ai"


# -- query parameters --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "101", "-1"])
def test_limit_out_of_range_is_400(api: OneToOneClient, limit: str) -> None:
    body = refused(api, lambda: api.get("/conversations", params={"limit": limit}), 400, "INVALID_REQUEST")
    assert "limit" in body["message"]


def test_limit_not_a_number_is_400(api: OneToOneClient) -> None:
    body = refused(api, lambda: api.get("/conversations", params={"limit": "abc"}), 400, "INVALID_REQUEST")
    assert "limit" in body["message"]


def test_limit_bounds_are_accepted(api: OneToOneClient) -> None:
    assert len(api.get("/conversations", params={"limit": 1}).json()["items"]) == 1
    assert api.get("/conversations", params={"limit": 100}).status_code == 200


def test_cursor_from_another_endpoint_is_400(api: OneToOneClient) -> None:
    first = api.get("/conversations", params={"limit": 2}).json()
    cursor = first["next_cursor"]
    assert cursor
    # the cursor is good where it was issued
    assert api.get("/conversations", params={"limit": 2, "cursor": cursor}).status_code == 200
    body = refused(api, lambda: api.get("/tester/conversations", params={"cursor": cursor}), 400, "INVALID_REQUEST")
    assert "cursor" in body["message"]


@pytest.mark.parametrize("cursor", ["!!!garbage!!!", "Zm9v", "eyJ4IjoxfQ"])
def test_garbage_cursor_is_400(api: OneToOneClient, cursor: str) -> None:
    body = refused(api, lambda: api.get("/conversations", params={"cursor": cursor}), 400, "INVALID_REQUEST")
    assert "cursor" in body["message"]


def _cursor(data: Any) -> str:
    """A cursor made as the mock makes them (base64url of JSON, padding off), holding whatever `data` is."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


WRONG_POSITIONS = [
    ("/conversations", {"s": "conversations", "p": "x"}),
    ("/conversations", {"s": "conversations", "p": [1, 2]}),
    ("/conversations", {"s": "conversations", "p": [1, "x"]}),
    ("/conversations", {"s": "conversations", "p": None}),
    ("/conversations", {"s": "conversations", "p": {"a": 1}}),
    ("/conversations", {"s": "conversations", "p": ["x"]}),
    ("/conversations", [1]),
    ("/conversations", "x"),
    ("/tester/conversations", {"s": "tester/conversations", "p": [[1], [2]]}),
    ("/tester/contacts", {"s": "tester/contacts", "p": ["2026-01-08T15:00:00Z", 7]}),
    (f"/conversations/{DOC_CONVERSATION}/messages", {"s": f"messages:{DOC_CONVERSATION}", "p": ["x"]}),
    (f"/conversations/{DOC_CONVERSATION}/messages", {"s": f"messages:{DOC_CONVERSATION}", "p": [True]}),
    (f"/conversations/{DOC_CONVERSATION}/messages", {"s": f"messages:{DOC_CONVERSATION}", "p": 3}),
]


@pytest.mark.parametrize(("path", "data"), WRONG_POSITIONS, ids=[json.dumps(d) for _, d in WRONG_POSITIONS])
def test_a_cursor_holding_a_wrong_typed_position_is_400(api: OneToOneClient, path: str, data: Any) -> None:
    """base64 carries any JSON: a position that is not a key of the list is refused, never compared (a 500)."""
    body = refused(api, lambda: api.get(path, params={"cursor": _cursor(data)}), 400, "INVALID_REQUEST")
    assert body["message"].startswith("cursor: ")


# -- bodies ------------------------------------------------------------------------------------------------------


def test_valid_status_body_is_accepted(api: OneToOneClient) -> None:
    """The control for the body tests below: the same endpoint answers 200 to a good body."""
    response = raw_status(api, json.dumps(STATUS_BODY).encode())
    assert response.status_code == 200, response.text
    assert response.json()["conversation"]["uuid"] == DOC_CONVERSATION


def test_unknown_body_field_is_400(api: OneToOneClient) -> None:
    body = refused(api, lambda: api.post(STATUS, json={**STATUS_BODY, "surprise": 1}), 400, "INVALID_REQUEST")
    assert "surprise" in body["message"]


def test_body_of_wrong_top_level_type_is_400(api: OneToOneClient) -> None:
    body = refused(api, lambda: api.post(STATUS, json=[STATUS_BODY]), 400, "INVALID_REQUEST")
    assert "object" in body["message"]


def test_missing_body_is_400(api: OneToOneClient) -> None:
    refused(api, lambda: raw_status(api, b""), 400, "INVALID_REQUEST")


def test_not_json_body_is_400(api: OneToOneClient) -> None:
    body = refused(api, lambda: raw_status(api, b"{conversation: nope"), 400, "INVALID_REQUEST")
    assert "JSON" in body["message"]


def test_text_plain_is_415(api: OneToOneClient) -> None:
    body = refused(
        api, lambda: raw_status(api, json.dumps(STATUS_BODY).encode(), "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"
    )
    assert "text/plain" in body["message"]


def test_body_over_one_mib_is_413(api: OneToOneClient) -> None:
    payload = json.dumps({**STATUS_BODY, "padding": "x" * (1024 * 1024)}).encode()
    assert len(payload) > 1024 * 1024
    body = refused(api, lambda: raw_status(api, payload), 413, "PAYLOAD_TOO_LARGE")
    assert "1048576" in body["message"]


def test_duplicate_json_keys_are_400(api: OneToOneClient) -> None:
    content = (
        f'{{"conversation": {{"uuid": "{DOC_CONVERSATION}"}}, "conversation": {{"uuid": "{CLOSED_CONVERSATION}"}}}}'
    ).encode()
    body = refused(api, lambda: raw_status(api, content), 400, "INVALID_REQUEST")
    assert "duplicate" in body["message"]


def test_json_nested_ten_thousand_deep_is_400(api: OneToOneClient) -> None:
    content = b"[" * 10_000 + b"]" * 10_000
    body = refused(api, lambda: raw_status(api, content), 400, "INVALID_REQUEST")
    assert "nested" in body["message"]


def test_json_nested_ten_thousand_deep_object_is_400(api: OneToOneClient) -> None:
    content = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    body = refused(api, lambda: raw_status(api, content), 400, "INVALID_REQUEST")
    assert "nested" in body["message"]


def test_invalid_utf8_is_400(api: OneToOneClient) -> None:
    content = b'{"conversation": {"uuid": "\xff\xfe"}}'
    body = refused(api, lambda: raw_status(api, content), 400, "INVALID_REQUEST")
    assert "UTF-8" in body["message"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_400(api: OneToOneClient, constant: str) -> None:
    content = f'{{"conversation": {{"uuid": {constant}}}}}'.encode()
    body = refused(api, lambda: raw_status(api, content), 400, "INVALID_REQUEST")
    assert constant.lstrip("-") in body["message"]


def test_refusals_on_a_write_endpoint_change_nothing(api: OneToOneClient) -> None:
    """A refused send leaves no message behind; the same body with a good key then sends exactly one."""
    text = {"conversation": {"uuid": DOC_CONVERSATION}, "body": "hola"}
    count = len(api.messages())
    refused(
        api,
        lambda: api.as_("acme", ACME_REVOKED_TOKEN).post("/conversation/messages/text", json=text),
        401,
        "INVALID_API_TOKEN",
    )
    refused(api, lambda: api.post("/conversation/messages/text", json={**text, "extra": True}), 400, "INVALID_REQUEST")
    assert len(api.messages()) == count
    assert api.post("/conversation/messages/text", json=text).status_code == 201
    assert len(api.messages()) == count + 1
