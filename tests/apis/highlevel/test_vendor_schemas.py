"""Every success answer of the 12 HighLevel operations, driven on the default seed, against the vendor's own published
response schemas (restated in tests/support/highlevel_vendor.py), not against our spec: the seeded agents (sleep
on, sleep off, another location's), every action type, a generation, the follow-up PATCH, and the answers to the
request examples of our spec. Also: no JSON null in an agent or action answer (the vendor's schemas have no
nullable field; the list item's untyped `goal` is the one place its own example shows one), and a string `traceId`
on every success, as live answers carry it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import jsonschema_rs
import pytest

from tests.support import highlevel_vendor as vendor
from tests.support.highlevel import HL_GLOBEX_FULL, HighLevelClient
from tests.support.specs import SPECS

AGENTS = "/conversation-ai/agents"
DOCUMENT = SPECS["highlevel"].document


def conforms(response: httpx.Response, schema: dict[str, Any], status: int = 200) -> dict[str, Any]:
    """The body of a success that the vendor's schema accepts, with its string traceId and no null."""
    assert response.status_code == status, response.text
    body = dict(response.json())
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}"
        for e in jsonschema_rs.validator_for(schema).iter_errors(body)
    ]
    assert errors == [], f"{response.request.method} {response.request.url.path} breaks the vendor's schema"
    assert isinstance(body["traceId"], str) and body["traceId"]
    return body


def nulls(node: Any, path: str = "") -> Iterator[str]:
    """Where a JSON null sits, except inside a search item's `goal` (an untyped object in the vendor's schema, whose
    example holds `"actionId": null`)."""
    if node is None:
        yield path or "/"
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if key != "goal" or not isinstance(value, Mapping):
                yield from nulls(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from nulls(value, f"{path}/{index}")


def no_null(body: Any) -> None:
    assert list(nulls(body)) == []


def matched_details(details: dict[str, Any]) -> list[str]:
    """The action types whose details DTO these details fit (the vendor's `oneOf` wants exactly one)."""
    return [kind for kind, schema in vendor.DETAILS.items() if jsonschema_rs.validator_for(schema).is_valid(details)]


def examples(path: str, method: str) -> dict[str, Any]:
    """Our spec's request-body examples of one operation, by name, their `$ref`s followed."""
    found: dict[str, Any] = {}
    media = DOCUMENT["paths"][path][method]["requestBody"]["content"]["application/json"]
    for name, example in (media.get("examples") or {}).items():
        while "$ref" in example:
            example = DOCUMENT["components"]["examples"][example["$ref"].rsplit("/", 1)[-1]]
        found[name] = example["value"]
    return found


# -- agents ----------------------------------------------------------------------------------------------------------


def test_search_pages_and_every_seeded_agent(hl: HighLevelClient) -> None:
    page = conforms(hl.get(f"{AGENTS}/search"), vendor.SEARCH_PAGE)
    no_null(page)
    items = {item["id"]: item for item in page["agents"]}
    assert {"agent_seed_1", "agent_seed_2", "agent_seed_3"} <= set(items) and len(items) == page["count"] == 12
    globex = conforms(hl.as_(HL_GLOBEX_FULL).get(f"{AGENTS}/search"), vendor.SEARCH_PAGE)
    assert "agent_globex_1" in [a["id"] for a in globex["agents"]]
    for item in globex["agents"]:
        conforms(hl.as_(HL_GLOBEX_FULL).get(f"{AGENTS}/{item['id']}"), vendor.EMPLOYEE_RESPONSE)
    for agent_id, item in items.items():
        agent = conforms(hl.get(f"{AGENTS}/{agent_id}"), vendor.EMPLOYEE_RESPONSE)
        no_null(agent)
        assert {k: item[k] for k in ("sleepEnabled", "waitTime", "autoPilotMaxMessages")} == {
            k: agent[k] for k in ("sleepEnabled", "waitTime", "autoPilotMaxMessages")
        }
    sleeping, awake = items["agent_seed_1"], items["agent_seed_3"]
    assert (sleeping["sleepEnabled"], sleeping["sleepTime"], sleeping["sleepTimeUnit"]) == (True, 2, "hours")
    assert awake["sleepEnabled"] is False and not {"sleepTime", "sleepTimeUnit"} & set(awake)
    assert not {"sleepTime", "sleepTimeUnit"} & set(
        conforms(hl.get(f"{AGENTS}/agent_seed_3"), vendor.EMPLOYEE_RESPONSE)
    )


def test_the_search_in_its_edge_pages(hl: HighLevelClient) -> None:
    for query in ({"limit": 0}, {"limit": 2.5}, {"query": "nothing like it"}, {"startAfter": "zzz"}):
        page = conforms(hl.get(f"{AGENTS}/search", params=query), vendor.SEARCH_PAGE)
        assert page["count"] == len(page["agents"]) <= 2


@pytest.mark.parametrize("name", sorted(examples(AGENTS, "post")))
def test_create_agent_examples(hl: HighLevelClient, name: str) -> None:
    body = examples(AGENTS, "post")[name]
    agent = conforms(hl.post(AGENTS, json=body), vendor.EMPLOYEE_RESPONSE, 201)
    no_null(agent)
    assert agent["name"] == body["name"] and agent["actions"] == []
    read = conforms(hl.get(f"{AGENTS}/{agent['id']}"), vendor.EMPLOYEE_RESPONSE)
    assert read["traceId"] != agent["traceId"]  # each answer draws its own
    assert {**read, "traceId": ""} == {**agent, "traceId": ""}


def test_an_agent_sleeping_indefinitely_or_awake_again_holds_no_null(hl: HighLevelClient) -> None:
    minimal = examples(AGENTS, "post")["minimal"]
    indefinite = {**minimal, "sleepEnabled": True, "sleepTime": None, "sleepTimeUnit": None}
    agent = conforms(hl.post(AGENTS, json=indefinite), vendor.EMPLOYEE_RESPONSE, 201)
    assert agent["sleepEnabled"] is True and not {"sleepTime", "sleepTimeUnit"} & set(agent)
    awake = conforms(
        hl.put(f"{AGENTS}/agent_seed_1", json={"autoPilotMaxMessages": 5, "sleepEnabled": False}),
        vendor.EMPLOYEE_RESPONSE,
    )
    assert not {"sleepTime", "sleepTimeUnit"} & set(awake)
    page = conforms(hl.get(f"{AGENTS}/search", params={"limit": 100}), vendor.SEARCH_PAGE)
    no_null(page)
    for item in page["agents"]:
        if item["sleepEnabled"] is False:
            assert not {"sleepTime", "sleepTimeUnit"} & set(item), item["id"]


@pytest.mark.parametrize("name", sorted(examples(f"{AGENTS}/{{agentId}}", "put")))
def test_update_agent_examples(hl: HighLevelClient, name: str) -> None:
    body = examples(f"{AGENTS}/{{agentId}}", "put")[name]
    agent = conforms(hl.put(f"{AGENTS}/agent_seed_2", json=body), vendor.EMPLOYEE_RESPONSE)
    no_null(agent)
    assert {k: agent[k] for k in body} == body


def test_delete_agent(hl: HighLevelClient) -> None:
    body = conforms(hl.delete(f"{AGENTS}/agent_seed_2"), vendor.DELETE_AGENT)
    assert (body["success"], body["id"]) == (True, "agent_seed_2")


# -- actions ---------------------------------------------------------------------------------------------------------


def test_every_seeded_action_in_the_list_and_alone(hl: HighLevelClient) -> None:
    seen: set[str] = set()
    for agent_id in ("agent_seed_1", "agent_seed_2", "agent_seed_3"):
        listed = conforms(hl.get(f"{AGENTS}/{agent_id}/actions/list"), vendor.ACTIONS_LIST)
        no_null(listed)
        for action in listed["data"]:
            assert matched_details(action["details"]) == [action["type"]], action["id"]
            alone = conforms(hl.get(f"{AGENTS}/{agent_id}/actions/{action['id']}"), vendor.ACTION_ENVELOPE)
            assert alone["data"] == action and alone["success"] is True
            seen.add(action["type"])
    assert seen == set(vendor.DETAILS)  # every action type is seeded


@pytest.mark.parametrize("name", sorted(examples(f"{AGENTS}/{{agentId}}/actions", "post")))
def test_create_action_examples(hl: HighLevelClient, name: str) -> None:
    body = examples(f"{AGENTS}/{{agentId}}/actions", "post")[name]
    created = conforms(hl.post(f"{AGENTS}/agent_seed_3/actions", json=body), vendor.ACTION_ENVELOPE, 201)
    no_null(created)
    data = created["data"]
    assert {k: data[k] for k in body} == body and data["agentId"] == "agent_seed_3"
    assert matched_details(data["details"]) == [body["type"]]
    assert conforms(hl.get(f"{AGENTS}/agent_seed_3/actions/{data['id']}"), vendor.ACTION_ENVELOPE)["data"] == data


@pytest.mark.parametrize("name", sorted(examples(f"{AGENTS}/{{agentId}}/actions/{{actionId}}", "put")))
def test_update_action_examples(hl: HighLevelClient, name: str) -> None:
    body = examples(f"{AGENTS}/{{agentId}}/actions/{{actionId}}", "put")[name]
    updated = conforms(hl.put(f"{AGENTS}/agent_seed_1/actions/act_booking_1", json=body), vendor.ACTION_ENVELOPE)
    no_null(updated)
    assert {k: updated["data"][k] for k in body} == body and updated["data"]["id"] == "act_booking_1"
    assert matched_details(updated["data"]["details"]) == [body["type"]]


def test_followup_settings_patch(hl: HighLevelClient) -> None:
    for body in examples(f"{AGENTS}/{{agentId}}/followup-settings", "patch").values():
        answer = conforms(hl.patch(f"{AGENTS}/agent_seed_1/followup-settings", json=body), vendor.ACTION_ENVELOPE)
        no_null(answer)
        assert answer["data"]["id"] == body["actionIds"][0]
        assert answer["data"]["details"]["followupSettings"] == body["followupSettings"]
        assert matched_details(answer["data"]["details"]) == ["advancedFollowup"]


def test_delete_action(hl: HighLevelClient) -> None:
    body = conforms(hl.delete(f"{AGENTS}/agent_seed_1/actions/act_transfer_1"), vendor.DELETE_ACTION)
    assert body["data"] == {"id": "act_transfer_1"} and body["success"] is True


# -- generations -----------------------------------------------------------------------------------------------------


def test_the_seeded_and_a_fresh_generation(hl: HighLevelClient) -> None:
    seeded = conforms(
        hl.get("/conversation-ai/generations", params={"messageId": "msg_1", "source": "conversation"}),
        vendor.GENERATION,
    )
    assert seeded["agentId"] == "agent_seed_1"
    hl.inbound("contact_seed_2", "How much is a cleaning? My email is pat@example.com")
    assert hl.settle()["failures"] == []
    replies = [m for m in hl.thread("contact_seed_2")["messages"] if m["source"] == "ai"]
    assert replies, "the agent replied"
    fresh = conforms(
        hl.get("/conversation-ai/generations", params={"messageId": replies[-1]["id"], "source": "conversation"}),
        vendor.GENERATION,
    )
    assert fresh["responseMessage"] == replies[-1]["body"]
    no_null(fresh)


# -- the documented refusals -----------------------------------------------------------------------------------------

REFUSALS = [
    # (what, method, path, body, status)
    ("unknown agent", "GET", f"{AGENTS}/agent_nope", None, 400),
    ("unknown action", "GET", f"{AGENTS}/agent_seed_1/actions/action_nope", None, 400),
    ("unknown generation", "GET", "/conversation-ai/generations?messageId=nope&source=conversation", None, 400),
    ("invalid create", "POST", AGENTS, {"name": 5}, 422),
    ("invalid update", "PUT", f"{AGENTS}/agent_seed_1", {"autoPilotMaxMessages": 500}, 422),
    ("invalid action", "POST", f"{AGENTS}/agent_seed_1/actions", {"type": "stopBot"}, 422),
]


@pytest.mark.parametrize(("what", "method", "path", "body", "status"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_fit_the_vendors_error_schemas(
    hl: HighLevelClient, what: str, method: str, path: str, body: Any, status: int
) -> None:
    before = hl.http.get("/__mock/state").text
    response = hl.request(method, path, json=body) if body is not None else hl.request(method, path)
    assert response.status_code == status, response.text
    refusal = response.json()
    assert jsonschema_rs.validator_for(vendor.ERRORS[status]).is_valid(refusal), refusal
    assert refusal["statusCode"] == status and refusal["message"]
    assert hl.http.get("/__mock/state").text == before


def test_a_bad_token_fits_the_vendors_unauthorized_schema(hl: HighLevelClient) -> None:
    response = hl.http.get(
        hl.base_path + f"{AGENTS}/search", headers={"Authorization": "Bearer nope", "Version": "2021-07-28"}
    )
    assert response.status_code == 401
    refusal = response.json()
    assert jsonschema_rs.validator_for(vendor.UNAUTHORIZED).is_valid(refusal), refusal
    assert refusal == {"statusCode": 401, "message": "Invalid token: access token is invalid", "error": "Unauthorized"}
