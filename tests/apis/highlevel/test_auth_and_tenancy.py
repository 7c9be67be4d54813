"""HighLevel auth and tenancy over HTTP: the two 401 messages (bad token, missing scope), the required `Version`
header, the token deciding the location, Nest's routing answers, and the credentials the control API hands out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.highlevel import (
    HL_ACME,
    HL_ACME_FULL,
    HL_ACME_READ,
    HL_AGENCY,
    HL_GLOBEX,
    HL_GLOBEX_FULL,
    HighLevelClient,
)

AGENTS = "/conversation-ai/agents"
ACME_AGENT_COUNT = 12  # fixtures/highlevel.yaml: 3 fixed + 9 generated
GLOBEX_AGENT_COUNT = 10  # 1 fixed + 9 generated
INVALID_TOKEN = {"statusCode": 401, "message": "Invalid token: access token is invalid", "error": "Unauthorized"}
SCOPE = "The token is not authorized for this scope."
VERSION_MESSAGE = "Version header must be one of the following values: 2021-04-15, 2021-07-28, v3, 2023-02-21"

AGENT_BODY = {"name": "Intruder", "personality": "p", "goal": "g", "instructions": "i"}
STOP_BOT = {
    "type": "stopBot",
    "name": "Stop",
    "details": {
        "stopBotDetectionType": "Goodbye",
        "stopBotTriggerCondition": "bye",
        "reactivateEnabled": False,
        "enabled": True,
        "stopBotExamples": ["bye", "see you"],
        "finalMessage": "Bye!",
    },
}
FOLLOWUP = {"actionIds": ["act_followup_1"], "followupSettings": {"dynamicChannelSwitching": False}}

READS: list[tuple[str, str]] = [
    ("GET", f"{AGENTS}/search"),
    ("GET", f"{AGENTS}/agent_seed_1"),
    ("GET", f"{AGENTS}/agent_seed_1/actions/list"),
    ("GET", f"{AGENTS}/agent_seed_1/actions/act_booking_1"),
    ("GET", "/conversation-ai/generations?messageId=msg_1&source=conversation"),
]
WRITES: list[tuple[str, str, Any]] = [
    ("POST", AGENTS, AGENT_BODY),
    ("PUT", f"{AGENTS}/agent_seed_2", {"autoPilotMaxMessages": 50}),
    ("DELETE", f"{AGENTS}/agent_seed_2", None),
    ("POST", f"{AGENTS}/agent_seed_1/actions", STOP_BOT),
    ("PUT", f"{AGENTS}/agent_seed_1/actions/act_stop_1", STOP_BOT),
    ("DELETE", f"{AGENTS}/agent_seed_1/actions/act_stop_1", None),
    ("PATCH", f"{AGENTS}/agent_seed_1/followup-settings", FOLLOWUP),
]
WRITE_IDS = [
    "create-agent",
    "update-agent",
    "delete-agent",
    "create-action",
    "update-action",
    "delete-action",
    "followup-settings",
]


def assert_error(response: httpx.Response, status: int, message: str, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"statusCode": status, "message": message, "error": error}


def assert_scope_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["statusCode"] == 401 and body["message"] == SCOPE
    assert body.get("error", "Unauthorized") == "Unauthorized"


def search(hl: HighLevelClient, **query: Any) -> dict[str, Any]:
    response = hl.get(f"{AGENTS}/search", params={"limit": 100, **query})
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- tokens --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer pit-nobody-00000000"},
        {"Authorization": f"Basic {HL_ACME_FULL}"},
        {"Authorization": "Bearer"},
    ],
    ids=["missing", "unknown", "not-bearer", "empty-bearer"],
)
def test_bad_token_is_refused(hl: HighLevelClient, headers: dict[str, str]) -> None:
    client = hl.as_(None)
    for method, path in READS[:2]:
        response = client.request(method, path, headers=headers)
        assert response.status_code == 401 and response.json() == INVALID_TOKEN
    before = hl.state()
    response = client.post(AGENTS, json=AGENT_BODY, headers=headers)
    assert response.status_code == 401 and response.json() == INVALID_TOKEN
    assert hl.state() == before


@pytest.mark.parametrize(("method", "path"), READS)
def test_read_only_token_reads(hl: HighLevelClient, method: str, path: str) -> None:
    response = hl.as_(HL_ACME_READ).request(method, path)
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["traceId"], str)


def test_read_only_token_sees_the_same_agent(hl: HighLevelClient) -> None:
    full = hl.get(f"{AGENTS}/agent_seed_1").json()
    read = hl.as_(HL_ACME_READ).get(f"{AGENTS}/agent_seed_1").json()
    full.pop("traceId"), read.pop("traceId")
    assert read == full and read["name"] == "Front Desk"


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=WRITE_IDS)
def test_read_only_token_cannot_write(hl: HighLevelClient, method: str, path: str, body: Any) -> None:
    before = hl.state()
    assert_scope_refused(hl.as_(HL_ACME_READ).request(method, path, json=body))
    assert hl.state() == before
    # the same call with the full token goes through, so the refusal was about the scope
    response = hl.request(method, path, json=body)
    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize(("method", "path"), READS)
def test_agency_token_is_refused_on_reads(hl: HighLevelClient, method: str, path: str) -> None:
    assert_scope_refused(hl.as_(HL_AGENCY).request(method, path))


@pytest.mark.parametrize(("method", "path", "body"), WRITES[:3], ids=WRITE_IDS[:3])
def test_agency_token_is_refused_on_writes(hl: HighLevelClient, method: str, path: str, body: Any) -> None:
    before = hl.state()
    assert_scope_refused(hl.as_(HL_AGENCY).request(method, path, json=body))
    assert hl.state() == before


# -- the Version header --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, "1999-01-01", "2021-04-15 ", "V3", ""])
def test_bad_version_is_a_400(hl: HighLevelClient, version: str | None) -> None:
    client = hl.as_(HL_ACME_FULL, version=None)
    headers = {} if version is None else {"Version": version}
    assert_error(client.get(f"{AGENTS}/agent_seed_1", headers=headers), 400, VERSION_MESSAGE, "Bad Request")
    before = hl.state()
    assert_error(client.post(AGENTS, json=AGENT_BODY, headers=headers), 400, VERSION_MESSAGE, "Bad Request")
    assert hl.state() == before


@pytest.mark.parametrize("version", ["2021-04-15", "2021-07-28", "v3", "2023-02-21"])
def test_accepted_versions(hl: HighLevelClient, version: str) -> None:
    client = hl.as_(HL_ACME_FULL, version=version)
    response = client.get(f"{AGENTS}/agent_seed_1")
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Front Desk"
    response = client.post(AGENTS, json=AGENT_BODY)
    assert response.status_code == 201 and response.json()["name"] == "Intruder"


# -- tenancy -------------------------------------------------------------------------------------------------------


def test_globex_cannot_touch_acme_agents(hl: HighLevelClient) -> None:
    globex = hl.as_(HL_GLOBEX_FULL)
    before = hl.state()
    message = "No Agent found for the id: agent_seed_1"
    assert_error(globex.get(f"{AGENTS}/agent_seed_1"), 400, message, "Bad Request")
    assert_error(
        globex.put(f"{AGENTS}/agent_seed_1", json={"autoPilotMaxMessages": 1, "name": "Hijacked"}),
        400,
        message,
        "Bad Request",
    )
    assert_error(globex.delete(f"{AGENTS}/agent_seed_1"), 400, message, "Bad Request")
    assert_error(globex.get(f"{AGENTS}/agent_seed_1/actions/list"), 400, message, "Bad Request")
    assert_error(globex.post(f"{AGENTS}/agent_seed_1/actions", json=STOP_BOT), 400, message, "Bad Request")
    assert_error(globex.delete(f"{AGENTS}/agent_seed_1/actions/act_stop_1"), 400, message, "Bad Request")
    # an acme action reached through a globex agent is not found either
    assert_error(
        globex.get(f"{AGENTS}/agent_globex_1/actions/act_stop_1"),
        400,
        "No Action found for the id: act_stop_1",
        "Bad Request",
    )
    assert_error(
        globex.patch(f"{AGENTS}/agent_globex_1/followup-settings", json=FOLLOWUP),
        400,
        "No Action found for the id: act_followup_1",
        "Bad Request",
    )
    assert hl.state() == before
    agent = hl.get(f"{AGENTS}/agent_seed_1").json()
    assert agent["name"] == "Front Desk" and agent["autoPilotMaxMessages"] == 5


def test_acme_cannot_touch_globex_agents(hl: HighLevelClient) -> None:
    before = hl.state()
    assert_error(hl.get(f"{AGENTS}/agent_globex_1"), 400, "No Agent found for the id: agent_globex_1", "Bad Request")
    assert_error(hl.delete(f"{AGENTS}/agent_globex_1"), 400, "No Agent found for the id: agent_globex_1", "Bad Request")
    assert hl.state() == before


def test_search_shows_only_the_tokens_location(hl: HighLevelClient) -> None:
    acme = search(hl)
    globex = search(hl.as_(HL_GLOBEX_FULL))
    assert acme["totalCount"] == ACME_AGENT_COUNT and globex["totalCount"] == GLOBEX_AGENT_COUNT
    acme_ids = {a["id"] for a in acme["agents"]}
    globex_ids = {a["id"] for a in globex["agents"]}
    assert "agent_globex_1" in globex_ids and "agent_seed_1" in acme_ids
    assert not acme_ids & globex_ids
    assert {a["businessName"] for a in globex["agents"]} == {"Globex Realty Group"}


def test_a_created_agent_belongs_to_the_tokens_location(hl: HighLevelClient) -> None:
    globex = hl.as_(HL_GLOBEX_FULL)
    response = globex.post(AGENTS, json=AGENT_BODY)
    assert response.status_code == 201, response.text
    agent_id = response.json()["id"]
    assert search(globex)["totalCount"] == GLOBEX_AGENT_COUNT + 1
    assert search(hl)["totalCount"] == ACME_AGENT_COUNT
    assert_error(hl.get(f"{AGENTS}/{agent_id}"), 400, f"No Agent found for the id: {agent_id}", "Bad Request")


# -- routing and bodies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/conversation-ai/nope"),
        ("POST", "/conversation-ai/nope"),
        ("GET", "/conversation-ai/agents/agent_seed_1/nope"),
    ],
)
def test_unknown_route_is_nest_404(hl: HighLevelClient, method: str, path: str) -> None:
    assert_error(hl.request(method, path), 404, f"Cannot {method} {path}", "Not Found")


def test_delete_on_search_is_delete_agent_with_id_search(hl: HighLevelClient) -> None:
    before = hl.state()
    assert_error(hl.delete(f"{AGENTS}/search"), 400, "No Agent found for the id: search", "Bad Request")
    assert hl.state() == before
    assert search(hl)["totalCount"] == ACME_AGENT_COUNT


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "body: a JSON request body is required"),
        (b"[1, 2]", "body must be an object"),
        (b'"just a string"', "body must be an object"),
    ],
    ids=["empty", "array", "string"],
)
def test_a_body_that_is_not_an_object(hl: HighLevelClient, content: bytes, message: str) -> None:
    before = hl.state()
    response = hl.request("POST", AGENTS, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text  # the mock's choice; Nest's ValidationPipe would say 400
    assert response.json() == {"statusCode": 422, "message": [message], "error": "Unprocessable Entity"}
    assert hl.state() == before


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_broken_json_is_a_422_list(hl: HighLevelClient, method: str) -> None:
    before = hl.state()
    path = AGENTS if method == "POST" else f"{AGENTS}/agent_seed_2"
    response = hl.request(method, path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["statusCode"] == response.status_code and body["error"] == "Unprocessable Entity"
    assert isinstance(body["message"], list) and len(body["message"]) == 1
    assert "not valid JSON" in body["message"][0]
    assert hl.state() == before


# -- the credentials the control API hands out ---------------------------------------------------------------------


def test_mock_credentials_work(hl: HighLevelClient) -> None:
    response = hl.http.get("/__mock/credentials")
    assert response.status_code == 200, response.text
    entries = response.json()["highlevel"]
    assert {e["tenant"] for e in entries} == {HL_ACME, HL_GLOBEX}
    assert HL_AGENCY not in {e["token"] for e in entries}
    full = [e for e in entries if "conversation-ai.write" in e["scopes"]]
    assert {e["token"] for e in full} == {HL_ACME_FULL, HL_GLOBEX_FULL}
    expected = {HL_ACME: ACME_AGENT_COUNT, HL_GLOBEX: GLOBEX_AGENT_COUNT}
    for entry in entries:
        url = f"{entry.get('base_url', 'http://127.0.0.1:8000/highlevel')}{AGENTS}/search"
        response = hl.http.get(url, headers={"Authorization": f"Bearer {entry['token']}", **entry["headers"]})
        assert response.status_code == 200, (entry, response.text)
        assert response.json()["totalCount"] == expected[entry["tenant"]]
    for entry in full:  # and the full-access ones can write
        response = hl.http.post(
            f"http://127.0.0.1:8000/highlevel{AGENTS}",
            json=AGENT_BODY,
            headers={"Authorization": f"Bearer {entry['token']}", **entry["headers"]},
        )
        assert response.status_code == 201, (entry, response.text)
