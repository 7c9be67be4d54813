"""GET /__mock/1to1ai/overview: what the dashboard shows of each business that no public endpoint tells (the AI
token balance), and how many of its 24h windows are open on the mock clock."""

from __future__ import annotations

from typing import Any

from tests.support.onetoone import CLOSED_CONVERSATION, OneToOneClient


def overview(api: OneToOneClient) -> dict[str, Any]:
    response = api.http.get("/__mock/1to1ai/overview")
    assert response.status_code == 200, response.text
    return {business["slug"]: business for business in response.json()["businesses"]}


def test_balances_conversations_and_open_windows(api: OneToOneClient) -> None:
    businesses = overview(api)
    assert set(businesses) == {"acme", "globex"}
    acme = businesses["acme"]
    assert acme["name"] == "Acme Comercial" and acme["ai_token_balance"] == 100_000
    assert businesses["globex"]["ai_token_balance"] == 2_500
    listed = api.get("/conversations", params={"limit": 100}).json()
    assert acme["conversations"] == len(listed["items"])
    assert 0 < acme["open_windows"] < acme["conversations"]
    assert "Sales Agent" in acme["ai_employees"]


def test_it_follows_scenarios_the_clock_and_customers(api: OneToOneClient) -> None:
    before = overview(api)["acme"]["open_windows"]
    api.inbound("hola de nuevo", conversation=CLOSED_CONVERSATION)
    assert overview(api)["acme"]["open_windows"] == before + 1
    assert api.http.post("/__mock/scenarios/ai-tokens-empty").status_code == 200
    assert {b["ai_token_balance"] for b in overview(api).values()} == {0}
    api.advance("25h")
    assert {b["open_windows"] for b in overview(api).values()} == {0}
