"""The validating proxy in front of the mock: traffic goes upstream and comes back byte for byte, whatever breaks
the spec (the client's request or the upstream's answer) is listed at /__mock/violations, and `convomock proxy`
runs as a real process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from contract_tests.drift import DRIFTS, DriftingApp
from contract_tests.proxy import ValidatingProxy
from mock_server.engine.app import MockApp
from mock_server.server import create_app
from tests.support.onetoone import ACME_TOKEN, DOC_CONVERSATION
from tests.support.processes import running, serving

AUTH = {"Authorization": f"Bearer {ACME_TOKEN}"}
VIA_PROXY = "/api/v1/public/acme"
DIRECT = "/1to1ai/api/v1/public/acme"


def make_proxy(upstream_app: Any) -> ValidatingProxy:
    return ValidatingProxy.for_api(
        api="1to1ai", upstream="http://mock/1to1ai", transport=httpx.ASGITransport(app=upstream_app)
    )


@pytest.fixture
def mock() -> MockApp:
    return create_app(apis=["1to1ai"], frozen=True)


@pytest.fixture
def proxied(mock: MockApp) -> Iterator[tuple[TestClient, TestClient]]:
    """(a client of the proxy, a client of the mock directly)."""
    with TestClient(make_proxy(mock)) as proxy, TestClient(mock) as direct:
        yield proxy, direct
    assert mock.backend.internal_errors == []


def violations(client: TestClient) -> dict[str, Any]:
    response = client.get("/__mock/violations")
    assert response.status_code == 200
    return dict(response.json())


def test_valid_get_comes_back_byte_for_byte(proxied: tuple[TestClient, TestClient]) -> None:
    proxy, direct = proxied
    through = proxy.get(f"{VIA_PROXY}/conversations/{DOC_CONVERSATION}", headers=AUTH)
    straight = direct.get(f"{DIRECT}/conversations/{DOC_CONVERSATION}", headers=AUTH)
    assert through.status_code == straight.status_code == 200
    assert through.content == straight.content
    assert through.json()["uuid"] == DOC_CONVERSATION
    assert through.headers["content-type"] == straight.headers["content-type"]
    listed = violations(proxy)
    assert listed == {"count": 0, "forwarded": 1, "items": []}


def test_invalid_request_is_forwarded_unchanged_and_recorded(proxied: tuple[TestClient, TestClient]) -> None:
    proxy, direct = proxied
    through = proxy.get(f"{VIA_PROXY}/conversations", params={"limit": 0}, headers=AUTH)
    straight = direct.get(f"{DIRECT}/conversations", params={"limit": 0}, headers=AUTH)
    assert through.status_code == 400
    assert through.json()["code"] == "INVALID_REQUEST"
    assert through.content == straight.content  # the mock's own refusal, not one made by the proxy
    listed = violations(proxy)
    assert listed["count"] == 1 and listed["forwarded"] == 1
    (item,) = listed["items"]
    assert item["side"] == "request"
    assert item["operation_id"] == "listConversations"
    assert item["method"] == "GET" and item["path"] == f"{VIA_PROXY}/conversations"
    assert item["status"] is None
    assert "limit" in item["problem"]


def test_post_through_the_proxy_changes_the_upstream_state(proxied: tuple[TestClient, TestClient]) -> None:
    proxy, direct = proxied
    before = direct.get(f"{DIRECT}/conversations/{DOC_CONVERSATION}", headers=AUTH).json()
    assert before["inbox_status"] != "resolved"
    resolved = proxy.post(
        f"{VIA_PROXY}/conversation/resolve", headers=AUTH, json={"conversation": {"uuid": DOC_CONVERSATION}}
    )
    assert resolved.status_code == 200
    assert resolved.json() == {"conversation": {"uuid": DOC_CONVERSATION}, "inbox_status": "resolved"}
    after = direct.get(f"{DIRECT}/conversations/{DOC_CONVERSATION}", headers=AUTH).json()
    assert after["inbox_status"] == "resolved"
    assert violations(proxy) == {"count": 0, "forwarded": 1, "items": []}


def test_undocumented_path_is_a_violation_and_the_upstream_404_comes_back(
    proxied: tuple[TestClient, TestClient],
) -> None:
    proxy, direct = proxied
    through = proxy.get(f"{VIA_PROXY}/no-such-endpoint", headers=AUTH)
    straight = direct.get(f"{DIRECT}/no-such-endpoint", headers=AUTH)
    assert through.status_code == straight.status_code == 404
    assert through.content == straight.content
    assert through.json()["code"] == "NOT_FOUND"
    (item,) = violations(proxy)["items"]
    assert item["side"] == "request"
    assert item["operation_id"] is None
    assert item["path"] == f"{VIA_PROXY}/no-such-endpoint"
    assert "no operation" in item["problem"]


def test_drifted_answer_is_a_response_violation_and_reaches_the_client_unchanged() -> None:
    drifting = DriftingApp(create_app(apis=["1to1ai"], frozen=True), DRIFTS["1to1ai-field-dropped"])
    with TestClient(make_proxy(drifting)) as proxy, TestClient(drifting) as direct:
        through = proxy.get(f"{VIA_PROXY}/conversations/{DOC_CONVERSATION}", headers=AUTH)
        straight = direct.get(f"{DIRECT}/conversations/{DOC_CONVERSATION}", headers=AUTH)
        assert through.status_code == 200
        body = through.json()
        assert body["uuid"] == DOC_CONVERSATION
        assert "is_tester" not in body  # the proxy does not repair the answer
        assert through.content == straight.content
        listed = violations(proxy)
    assert listed["count"] == 1 and listed["forwarded"] == 1
    (item,) = listed["items"]
    assert item["side"] == "response"
    assert item["operation_id"] == "getConversation"
    assert item["status"] == 200
    assert "is_tester" in item["problem"]


def test_violations_can_be_cleared_and_health_reports(proxied: tuple[TestClient, TestClient]) -> None:
    proxy, _ = proxied
    proxy.get(f"{VIA_PROXY}/conversations", params={"limit": 0}, headers=AUTH)
    proxy.get(f"{VIA_PROXY}/no-such-endpoint", headers=AUTH)
    assert violations(proxy)["count"] == 2
    health = proxy.get("/__mock/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "upstream": "http://mock/1to1ai", "forwarded": 2, "violations": 2}
    cleared = proxy.delete("/__mock/violations")
    assert cleared.status_code == 200 and cleared.json() == {"cleared": True}
    assert violations(proxy) == {"count": 0, "forwarded": 2, "items": []}
    assert proxy.get("/__mock/health").json()["violations"] == 0
    unknown = proxy.get("/__mock/nothing")
    assert unknown.status_code == 404 and "no proxy control endpoint" in unknown.json()["error"]


def test_proxy_process_in_front_of_a_served_mock() -> None:
    with serving() as (base, _), running("proxy", "--api", "1to1ai", "--upstream", f"{base}/1to1ai") as (proxy_base, _):
        through = httpx.get(f"{proxy_base}{VIA_PROXY}/conversations/{DOC_CONVERSATION}", headers=AUTH)
        straight = httpx.get(f"{base}{DIRECT}/conversations/{DOC_CONVERSATION}", headers=AUTH)
        assert through.status_code == straight.status_code == 200
        assert through.content == straight.content
        assert through.json()["uuid"] == DOC_CONVERSATION
        listed = httpx.get(proxy_base + "/__mock/violations").json()
        assert listed["count"] == 0 and listed["items"] == []
        assert listed["forwarded"] == 1
