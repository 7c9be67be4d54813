"""Scenarios switched on at a scope (an API, a tenant, a conversation, a contact) and with parameters, through the
control API, the pytest helper and the CLI: what each changes, what it leaves alone, and the 400 that names what it
cannot take."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mock_server import cli
from mock_server.server import create_app
from mock_server.testing import ConvoMock, InProcessRunner, ServedRunner
from tests.support.onetoone import DOC_CONVERSATION, DOC_PHONE, GLOBEX_TOKEN, TESTER_CONVERSATION, OneToOneClient

RUN_AI = {"actions": [{"type": "run_ai", "ai_employee": {"name": "Sales Agent"}}]}
GLOBEX_CONVERSATION = "9a1b2c3d-0002-4e4f-8a5b-6c7d8e9f0a01"


def switch_on(client: OneToOneClient, name: str, **body: Any) -> dict[str, Any]:
    response = client.http.post(f"/__mock/scenarios/{name}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def window(api: OneToOneClient, uuid: str) -> str:
    response = api.post("/conversation/status", json={"conversation": {"uuid": uuid}})
    assert response.status_code == 200, response.text
    return str(response.json()["window"]["status"])


def text(api: OneToOneClient, uuid: str) -> Any:
    return api.post("/conversation/messages/text", json={"conversation": {"uuid": uuid}, "body": "hola"})


def run_ai(api: OneToOneClient, uuid: str) -> Any:
    return api.post("/conversation/actions", json={"conversation": {"uuid": uuid}, **RUN_AI})


def test_a_tenant_scope_with_a_parameter_changes_only_that_tenant(api: OneToOneClient) -> None:
    globex = api.as_("globex", GLOBEX_TOKEN)
    answer = switch_on(api, "ai-tokens-empty", tenant="globex", params={"ai_token_balance": 0})
    assert answer["changed"] is True
    assert answer["activation"] == {
        "name": "ai-tokens-empty",
        "scope": {"tenant": "globex"},
        "params": {"ai_token_balance": 0},
    }
    refused = run_ai(globex, GLOBEX_CONVERSATION)
    assert refused.status_code == 402, refused.text
    assert refused.json()["code"] == "INSUFFICIENT_AI_TOKENS"
    accepted = run_ai(api, DOC_CONVERSATION)  # acme keeps its balance
    assert accepted.status_code in (200, 201, 202), accepted.text
    off = api.http.delete("/__mock/scenarios/ai-tokens-empty", params={"tenant": "globex"})
    assert off.json()["changed"] is True and off.json()["active"] is False
    assert run_ai(globex, GLOBEX_CONVERSATION).status_code in (200, 201, 202)


def test_a_conversation_scope_closes_one_window_and_gives_it_back(api: OneToOneClient) -> None:
    switch_on(api, "window-expired", api="1to1ai", conversation=DOC_CONVERSATION)
    assert window(api, DOC_CONVERSATION) == "closed"
    assert window(api, TESTER_CONVERSATION) == "open"
    refused = text(api, DOC_CONVERSATION)
    assert refused.status_code == 422 and refused.json()["code"] == "WINDOW_CLOSED"
    assert text(api, TESTER_CONVERSATION).status_code == 201
    api.http.delete("/__mock/scenarios/window-expired", params={"api": "1to1ai", "conversation": DOC_CONVERSATION})
    assert window(api, DOC_CONVERSATION) == "open"


def test_a_contact_scope_takes_the_phone_as_written(api: OneToOneClient) -> None:
    switch_on(api, "window-expired", api="1to1ai", contact=DOC_PHONE)
    assert window(api, DOC_CONVERSATION) == "closed"
    assert window(api, TESTER_CONVERSATION) == "open"


def test_scopes_compose_and_each_switches_off_on_its_own(api: OneToOneClient) -> None:
    switch_on(api, "window-expired", api="1to1ai", conversation=DOC_CONVERSATION)
    switch_on(api, "window-expired", api="1to1ai", conversation=TESTER_CONVERSATION)
    listed = api.http.get("/__mock/scenarios").json()
    assert [a["scope"]["conversation"] for a in listed["activations"]] == [DOC_CONVERSATION, TESTER_CONVERSATION]
    assert listed["active"] == ["window-expired"]
    again = api.http.post("/__mock/scenarios/window-expired", json={"api": "1to1ai", "conversation": DOC_CONVERSATION})
    assert again.json()["changed"] is False
    api.http.delete("/__mock/scenarios/window-expired", params={"api": "1to1ai", "conversation": TESTER_CONVERSATION})
    assert window(api, TESTER_CONVERSATION) == "open"
    assert window(api, DOC_CONVERSATION) == "closed"
    everywhere = api.http.delete("/__mock/scenarios/window-expired")  # no scope: off wherever it is on
    assert everywhere.json()["changed"] is True and everywhere.json()["activations"] == []
    assert window(api, DOC_CONVERSATION) == "open"


def test_a_scoped_fault_fires_only_inside_its_scope(mock: ConvoMock, api: OneToOneClient) -> None:
    switch_on(api, "rate-limited", api="1to1ai", tenant="acme")
    limited = api.get(f"/conversations/{DOC_CONVERSATION}")
    assert limited.status_code == 429, limited.text
    assert limited.json()["code"] == "RATE_LIMIT_EXCEEDED" and limited.headers["Retry-After"] == "30"
    globex = api.as_("globex", GLOBEX_TOKEN)
    assert globex.get(f"/conversations/{GLOBEX_CONVERSATION}").status_code == 200
    other = mock.client("highlevel").get("/conversation-ai/agents/search")
    assert other.status_code == 200, other.text


def test_a_conversation_scoped_fault_fires_on_requests_naming_it(api: OneToOneClient) -> None:
    switch_on(api, "vendor-down", api="1to1ai", conversation=DOC_CONVERSATION)
    assert api.get(f"/conversations/{DOC_CONVERSATION}").status_code == 503
    assert text(api, DOC_CONVERSATION).status_code == 503  # named in the body
    assert api.get(f"/conversations/{TESTER_CONVERSATION}").status_code == 200


def test_a_fault_rule_number_is_a_parameter(api: OneToOneClient) -> None:
    answer = switch_on(api, "rate-limited", api="1to1ai", params={"retry_after": 7})
    assert answer["activation"]["params"] == {"retry_after": 7}
    assert api.get(f"/conversations/{DOC_CONVERSATION}").headers["Retry-After"] == "7"


@pytest.mark.parametrize(
    ("body", "query", "says"),
    [
        ({"tenant": "initech"}, {}, "scope.tenant: 1to1ai has no tenant 'initech' (known: acme, globex)"),
        ({}, {"tenant": "initech"}, "scope.tenant: 1to1ai has no tenant 'initech'"),
        ({"api": "highlevel"}, {}, "scope.api: ai-tokens-empty does not act on highlevel (it acts on: 1to1ai)"),
        ({"api": "salesforce"}, {}, "scope.api: no API 'salesforce' here"),
        ({"planet": "mars"}, {}, "unknown field 'planet'"),
        ({}, {"planet": "mars"}, "unknown query parameter 'planet'"),
        ({"scope": {"region": "eu"}}, {}, "scope.region: no such scope"),
        (
            {"params": {"balance": 5}},
            {},
            "params.balance: ai-tokens-empty takes no such parameter (it takes: ai_token_balance)",
        ),
        ({"params": {"ai_token_balance": -1}}, {}, "params.ai_token_balance: -1 is less than the minimum of 0"),
        ({"params": {"ai_token_balance": 2.5}}, {}, "params.ai_token_balance: 2.5 is not an integer"),
        ({"params": {"ai_token_balance": "lots"}}, {}, "params.ai_token_balance: "),
        ({"conversation": "00000000-0000-4000-8000-000000000000"}, {}, "scope.conversation: 1to1ai: "),
        ({"conversation": DOC_CONVERSATION}, {}, "ai_token_balance is a business's: scope it to a tenant"),
        ({"tenant": ""}, {}, "scope.tenant: an id"),
    ],
)
def test_what_a_scenario_cannot_take_is_a_400_naming_it_and_changes_nothing(
    api: OneToOneClient, body: dict[str, Any], query: dict[str, str], says: str
) -> None:
    before = api.state()
    response = api.http.post("/__mock/scenarios/ai-tokens-empty", json=body, params=query)
    assert response.status_code == 400, response.text
    assert says in response.json()["error"]
    assert api.http.get("/__mock/scenarios").json()["activations"] == []
    assert api.state() == before


def test_a_snapshot_keeps_each_scope_and_its_parameters(api: OneToOneClient) -> None:
    switch_on(api, "window-expired", api="1to1ai", conversation=DOC_CONVERSATION)
    switch_on(api, "rate-limited", api="1to1ai", tenant="globex", params={"retry_after": 9})
    snapshot = json.loads(api.state())
    assert snapshot["scenario_activations"] == [
        {"name": "window-expired", "scope": {"api": "1to1ai", "conversation": DOC_CONVERSATION}, "params": {}},
        {"name": "rate-limited", "scope": {"api": "1to1ai", "tenant": "globex"}, "params": {"retry_after": 9}},
    ]
    api.http.post("/__mock/reset")
    assert api.http.get("/__mock/scenarios").json()["activations"] == []
    assert api.http.put("/__mock/state", json=snapshot).status_code == 200
    assert api.http.get("/__mock/scenarios").json()["activations"] == snapshot["scenario_activations"]
    globex = api.as_("globex", GLOBEX_TOKEN).get(f"/conversations/{GLOBEX_CONVERSATION}")
    assert globex.status_code == 429 and globex.headers["Retry-After"] == "9"


def test_the_pytest_helper_takes_a_scope_and_parameters(mock: ConvoMock, api: OneToOneClient) -> None:
    globex = api.as_("globex", GLOBEX_TOKEN)
    with mock.scenario("ai-tokens-empty", tenant="globex", ai_token_balance=0):
        assert run_ai(globex, GLOBEX_CONVERSATION).status_code == 402
        assert run_ai(api, DOC_CONVERSATION).status_code in (200, 201, 202)
    assert run_ai(globex, GLOBEX_CONVERSATION).status_code in (200, 201, 202)
    with (
        pytest.raises(ValueError, match="params.balance: ai-tokens-empty takes no such parameter"),
        mock.scenario("ai-tokens-empty", balance=3),
    ):
        pass


def test_the_cli_switches_a_scenario_at_a_scope_in_a_running_mock(capsys: pytest.CaptureFixture[str]) -> None:
    runner = ServedRunner(create_app(apis=["1to1ai"], frozen=True))
    try:
        argv = ["scenarios", "on", "ai-tokens-empty", "--base-url", runner.base_url, "--tenant", "globex"]
        assert cli.main([*argv, "--param", "ai_token_balance=7"]) == 0
        assert capsys.readouterr().out == "ai-tokens-empty: on for tenant globex with ai_token_balance=7\n"
        businesses = runner.call(lambda: runner.app.backend.runtimes["1to1ai"].store.businesses)
        assert runner.call(lambda: (businesses["globex"].ai_token_balance, businesses["acme"].ai_token_balance)) == (
            7,
            100000,
        )
        assert cli.main([*argv, "--param", "ai_token_balance=7"]) == 0
        assert capsys.readouterr().out.endswith("(it already was on there)\n")
        assert cli.main([*argv, "--param", "bogus=1"]) == 2
        assert capsys.readouterr().err == (
            "convomock: ai-tokens-empty: params.bogus: ai-tokens-empty takes no such parameter "
            "(it takes: ai_token_balance)\n"
        )
        assert (
            cli.main(["scenarios", "off", "ai-tokens-empty", "--base-url", runner.base_url, "--tenant", "globex"]) == 0
        )
        assert capsys.readouterr().out == "ai-tokens-empty: off for tenant globex\n"
        assert runner.call(lambda: businesses["globex"].ai_token_balance) == 2500
    finally:
        runner.close()
    assert cli.main(["scenarios", "on", "slow", "--base-url", runner.base_url]) == 1
    assert "no mock answers at" in capsys.readouterr().err


def test_switched_off_out_of_order_each_gives_back_only_its_own(api: OneToOneClient) -> None:
    switch_on(api, "window-expired", api="1to1ai", conversation=DOC_CONVERSATION)
    switch_on(api, "window-expired")  # then everywhere
    scope = {"api": "1to1ai", "conversation": DOC_CONVERSATION}
    off = api.http.request("DELETE", "/__mock/scenarios/window-expired", json=scope)
    assert off.json()["changed"] is True
    assert window(api, DOC_CONVERSATION) == "closed"  # still closed by the whole-mock one
    assert window(api, TESTER_CONVERSATION) == "closed"
    whole = api.http.request("DELETE", "/__mock/scenarios/window-expired", json={"scope": {}})  # the whole mock's
    assert whole.json()["changed"] is True and whole.json()["activations"] == []
    assert window(api, DOC_CONVERSATION) == "open" and window(api, TESTER_CONVERSATION) == "open"


def test_balances_come_back_whatever_order_the_scopes_are_switched_off_in(api: OneToOneClient) -> None:
    businesses = api.mock.app.backend.runtimes["1to1ai"].store.businesses
    switch_on(api, "ai-tokens-empty", tenant="globex", params={"ai_token_balance": 25})
    switch_on(api, "ai-tokens-empty")
    assert (businesses["acme"].ai_token_balance, businesses["globex"].ai_token_balance) == (0, 0)
    api.http.delete("/__mock/scenarios/ai-tokens-empty", params={"tenant": "globex"})
    assert (businesses["acme"].ai_token_balance, businesses["globex"].ai_token_balance) == (0, 0)
    api.http.delete("/__mock/scenarios/ai-tokens-empty")
    assert (businesses["acme"].ai_token_balance, businesses["globex"].ai_token_balance) == (100000, 2500)


def test_switching_on_again_with_other_parameters_is_a_409_that_says_which_hold(api: OneToOneClient) -> None:
    switch_on(api, "ai-tokens-empty", params={"ai_token_balance": 5})
    again = api.http.post("/__mock/scenarios/ai-tokens-empty", json={"params": {"ai_token_balance": 100}})
    assert again.status_code == 409
    assert again.json() == {
        "error": 'ai-tokens-empty is on there already with params {"ai_token_balance": 5}: switch it off first'
    }
    same = api.http.post("/__mock/scenarios/ai-tokens-empty", json={"params": {"ai_token_balance": 5}})
    assert same.status_code == 200 and same.json()["changed"] is False


def test_rate_limits_take_no_conversation_scope(api: OneToOneClient) -> None:
    refused = api.http.post("/__mock/scenarios/real-limits", json={"conversation": DOC_CONVERSATION})
    assert refused.status_code == 400
    assert refused.json()["error"] == (
        "scope: real-limits sets the rate limits, which count per key: scope it to an api or tenant"
    )


def test_a_restored_scenario_switches_off_and_takes_its_rules_with_it(api: OneToOneClient) -> None:
    switch_on(api, "send-failed", api="1to1ai", tenant="acme")
    assert text(api, DOC_CONVERSATION).status_code == 502
    snapshot = json.loads(api.state())
    api.http.post("/__mock/reset")
    assert api.http.put("/__mock/state", json=snapshot).status_code == 200
    assert text(api, DOC_CONVERSATION).status_code == 502
    off = api.http.delete("/__mock/scenarios/send-failed")
    assert off.json()["changed"] is True
    assert text(api, DOC_CONVERSATION).status_code == 201


def test_a_snapshot_may_give_its_activations_alone(api: OneToOneClient) -> None:
    switch_on(api, "rate-limited", api="1to1ai", tenant="globex")
    snapshot = json.loads(api.state())
    del snapshot["active_scenarios"]
    api.http.post("/__mock/reset")
    assert api.http.put("/__mock/state", json=snapshot).status_code == 200
    assert api.http.get("/__mock/scenarios").json()["active"] == ["rate-limited"]


def test_the_control_token_in_the_query_is_no_scope() -> None:
    runner = InProcessRunner(create_app(apis=["1to1ai"], control_token="t0ken"))
    try:
        with runner.client(runner.base_url, {"X-Mock-Client": "test"}) as http:
            on = http.post("/__mock/scenarios/slow?control_token=t0ken")
            assert on.status_code == 200 and on.json()["activation"]["scope"] == {}
            assert http.delete("/__mock/scenarios/slow?control_token=t0ken").json()["changed"] is True
    finally:
        runner.close()


def test_a_timeline_step_that_cannot_be_sent_fails_the_step_not_the_mock(api: OneToOneClient) -> None:
    story = "description: x\nsteps:\n  - call: {api: 1to1ai, method: POST, path: /x, body: {n: .nan}}\n"
    played = api.http.post("/__mock/timelines/play", json={"yaml": story})
    assert played.status_code == 200
    assert played.json()["passed"] is False
    assert played.json()["steps"][0]["failures"][0].startswith("the step cannot be sent: ValueError")
    assert api.http.get("/__mock/health").json()["status"] == "ok"


def test_a_contact_scoped_fault_fires_on_its_conversation_named_by_uuid(api: OneToOneClient) -> None:
    switch_on(api, "vendor-down", api="1to1ai", contact="+52 1 55 1234 5678")  # DOC's customer, as a person writes it
    assert api.get(f"/conversations/{DOC_CONVERSATION}").status_code == 503
    assert api.post("/conversation/status", json={"conversation": {"phone": DOC_PHONE}}).status_code == 503
    assert api.get(f"/conversations/{TESTER_CONVERSATION}").status_code == 200


def test_the_journal_names_a_scoped_scenario_only_on_the_requests_inside_its_scope(api: OneToOneClient) -> None:
    switch_on(api, "slow", api="1to1ai", params={"latency_ms": 0})
    switch_on(api, "window-expired", api="1to1ai", conversation=DOC_CONVERSATION)
    api.get(f"/conversations/{DOC_CONVERSATION}")
    api.get(f"/conversations/{TESTER_CONVERSATION}")
    entries = api.http.get("/__mock/requests", params={"limit": 2}).json()["items"]
    assert [entry["scenarios"] for entry in entries] == [["slow"], ["slow", "window-expired"]]
