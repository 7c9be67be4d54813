"""QA's reach into HighLevel (issue 18, items 3 and 5): a scenario scoped to a conversation or contact the store must
hold (`find_target`); every documented failure has a named source (`FAILURE_SOURCES`) that really produces it; the
`agent-hands-over` scenario (an agent hands the thread to a human instead of replying); and a customer who is no
contact yet writing in through /__mock/highlevel/inbound."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_server import DATA_ROOT
from mock_server.apis.highlevel.control import find_target
from mock_server.apis.highlevel.failures import FAILURE_SOURCES
from mock_server.engine.scenarios import Target
from mock_server.server import create_app
from mock_server.testing import ConvoMock
from tests.support.clients import in_process
from tests.support.highlevel import HL_ACME, HL_ACME_READ, HL_GLOBEX, SCOPE_MESSAGE, HighLevelClient, assert_422
from tests.support.scenario_files import scenario_folder

AGENTS = "/conversation-ai/agents"
INBOUND = "/__mock/highlevel/inbound"
HANDOVER_FINAL = "Let me bring in one of our team members."  # act_handover_1's finalMessage
DEFAULT_FINAL = "Thank you! Someone from the team will get back to you."  # the vendor's documented default
PRICE_QUESTION = "How much does a cleaning cost?"
HL_ID = re.compile(r"[A-Za-z0-9]{20}")


def send(hl: HighLevelClient, **body: Any) -> Any:
    return hl.http.post(INBOUND, json=body)


def written(hl: HighLevelClient, **body: Any) -> dict[str, Any]:
    response = send(hl, **body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def threads(hl: HighLevelClient, location: str = HL_ACME) -> list[dict[str, Any]]:
    response = hl.http.get("/__mock/highlevel/conversations", params={"location": location})
    assert response.status_code == 200, response.text
    return list(response.json()["conversations"])


def thread_of(hl: HighLevelClient, conversation_id: str, location: str = HL_ACME) -> dict[str, Any]:
    return next(t for t in threads(hl, location) if t["id"] == conversation_id)


def ai_bodies(thread: dict[str, Any]) -> list[str]:
    return [m["body"] for m in thread["messages"] if m["source"] == "ai"]


def generation(hl: HighLevelClient, message_id: str) -> dict[str, Any]:
    response = hl.get("/conversation-ai/generations", params={"messageId": message_id, "source": "conversation"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def error(response: Any, status: int, message: Any, reason: str | None) -> None:
    assert response.status_code == status, response.text
    body = {"statusCode": status, "message": message, **({"error": reason} if reason else {})}
    assert response.json() == body


# -- A: a scenario's scope must name what the store holds --------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        (Target(conversation="conv_seed_1"), None),
        (Target(contact="contact_seed_2"), None),
        (Target(contact="+1 (555) 010-0003"), None),  # by phone: the same digits
        (Target(contact="JANE@example.com"), None),  # by email, any case
        (Target(conversation="conv_seed_1", contact="+15550100001"), None),
        (Target(conversation="conv_nope"), "no conversation 'conv_nope' in any location"),
        (Target(contact="+15559999999"), "no contact '+15559999999' in any location"),
        (
            Target(conversation="conv_seed_1", contact="contact_seed_2"),
            "conversation 'conv_seed_1' is not with contact 'contact_seed_2'",
        ),
        (
            Target(tenants=frozenset({HL_GLOBEX, "globex"}), conversation="conv_seed_1"),
            f"no conversation 'conv_seed_1' in location {HL_GLOBEX}",
        ),
        (
            Target(tenants=frozenset({HL_GLOBEX, "globex"}), contact="contact_seed_1"),
            f"no contact 'contact_seed_1' in location {HL_GLOBEX}",
        ),
        (Target(tenants=frozenset({HL_GLOBEX}), contact="+15550200001"), None),
    ],
)
def test_find_target_names_what_the_store_lacks(mock: ConvoMock, target: Target, problem: str | None) -> None:
    store = mock.app.backend.runtimes["highlevel"].store
    assert find_target(store, target) == problem


def test_a_scope_the_store_lacks_refuses_the_scenario(hl: HighLevelClient, mock: ConvoMock) -> None:
    before = hl.state()
    missing = "scope.conversation: highlevel: no conversation 'conv_nope' in any location"
    with pytest.raises(ValueError, match=missing), mock.scenario("agent-hands-over", conversation="conv_nope"):
        pass
    with (
        pytest.raises(ValueError, match="params.agent_handover"),
        mock.scenario("agent-hands-over", agent_handover="x"),
    ):
        pass
    assert hl.state() == before


# -- B: every documented failure has a source that produces it ---------------------------------------------------


def _documented() -> dict[str, set[str]]:
    spec = yaml.safe_load((DATA_ROOT / "specs" / "highlevel.yaml").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                statuses = {str(s) for s in operation["responses"] if not str(s).startswith("2")}
                found[operation["operationId"]] = statuses
    return found


def test_every_documented_failure_has_one_source() -> None:
    documented = _documented()
    every = {key.split(" ")[1] for key in FAILURE_SOURCES if key.startswith("* ")}
    for status in every:  # a "*" row is for a status every operation documents
        assert all(status in statuses for statuses in documented.values()), status
    wanted = {f"{op} {status}" for op, statuses in documented.items() for status in statuses if status not in every}
    assert {key for key in FAILURE_SOURCES if not key.startswith("* ")} == wanted
    assert all(text.strip() and "\n" not in text for text in FAILURE_SOURCES.values())


def _on(hl: HighLevelClient, name: str) -> None:
    response = hl.http.post(f"/__mock/scenarios/{name}")
    assert response.status_code == 200 and response.json()["active"] is True, response.text


def _off(hl: HighLevelClient, name: str) -> None:
    response = hl.http.delete(f"/__mock/scenarios/{name}")
    assert response.status_code == 200 and response.json()["active"] is False, response.text


@pytest.mark.parametrize(
    ("scenario", "status", "message", "reason", "retry_after"),
    [
        ("token-revoked", 401, "Invalid token: access token is invalid", "Unauthorized", None),
        ("scope-missing", 401, SCOPE_MESSAGE, "Unauthorized", None),
        ("rate-limited", 429, "Too Many Requests", None, "30"),
        ("vendor-down", 503, "Service Unavailable", "Service Unavailable", "30"),
    ],
)
def test_the_scenarios_the_sources_name(
    hl: HighLevelClient, scenario: str, status: int, message: str, reason: str | None, retry_after: str | None
) -> None:
    key = f"* {status}"
    assert f"`{scenario}`" in FAILURE_SOURCES[key]
    _on(hl, scenario)
    try:
        for response in (hl.get(f"{AGENTS}/agent_seed_1"), hl.delete(f"{AGENTS}/agent_seed_2/actions/act_x")):
            error(response, status, message, reason)
            assert response.headers.get("Retry-After") == retry_after
    finally:
        _off(hl, scenario)
    assert hl.get(f"{AGENTS}/agent_seed_2").status_code == 200  # nothing was deleted


def test_the_inputs_the_sources_name(hl: HighLevelClient) -> None:
    before = hl.state()
    # * 401: the read-only token on a write
    error(hl.as_(HL_ACME_READ).post(AGENTS, json={"name": "x"}), 401, SCOPE_MESSAGE, "Unauthorized")
    # create-agent 400: only the Version header
    version = "Version header must be one of the following values: 2021-04-15, 2021-07-28, v3, 2023-02-21"
    error(
        hl.as_(hl.sent["Authorization"].split()[1], version=None).get(f"{AGENTS}/search"), 400, version, "Bad Request"
    )
    # get-agent 400, get-action-by-id 400, update-followup-settings 400, get-generation-details 400
    error(hl.get(f"{AGENTS}/agt_missing"), 400, "No Agent found for the id: agt_missing", "Bad Request")
    error(hl.get(f"{AGENTS}/agent_seed_1/actions/act_nope"), 400, "No Action found for the id: act_nope", "Bad Request")
    settings = {"dynamicChannelSwitching": True, "followUpHours": False, "timezoneToUse": "contact", "workingHours": []}
    followup = {"actionIds": ["act_stop_1"], "followupSettings": settings}
    response = hl.patch(f"{AGENTS}/agent_seed_1/followup-settings", json=followup)
    error(response, 400, "No Action found for the id: act_stop_1", "Bad Request")
    response = hl.get("/conversation-ai/generations", params={"messageId": "msg_nope", "source": "conversation"})
    error(response, 400, "No generation found for the messageId: msg_nope", "Bad Request")
    # search-agent 422, get-generation-details 422, update-followup-settings 422
    limit = "limit must be a number conforming to the specified constraints"
    assert assert_422(hl.get(f"{AGENTS}/search", params={"limit": "ten"})) == [limit]
    assert_422(hl.get("/conversation-ai/generations", params={"messageId": "msg_1", "source": "sms"}))
    followup["actionIds"] = []
    assert_422(hl.patch(f"{AGENTS}/agent_seed_1/followup-settings", json=followup), "actionIds should not be empty")
    # create-agent 413 and 415
    huge = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = hl.post(AGENTS, content=huge, headers={"Content-Type": "application/json"})
    error(response, 413, "request entity too large", "Payload Too Large")
    response = hl.post(AGENTS, content=b"name=x", headers={"Content-Type": "text/plain"})
    error(response, 415, "Content-Type must be application/json", "Unsupported Media Type")
    assert hl.state() == before


FAULTS = """\
description: QA's own faults, as the failure sources name them.
apis: [highlevel]
faults:
  - {api: highlevel, method: GET, path: "/conversation-ai/agents/*/actions/*", error: server_error, status: 422}
  - {api: highlevel, method: DELETE, path: "*", error: server_error}
"""


@pytest.fixture
def own_faults(tmp_path: Path) -> Iterator[HighLevelClient]:
    folder = scenario_folder(tmp_path, **{"hl-faults": FAULTS})
    with in_process(create_app(apis=["highlevel"], frozen=True, scenario_dirs=[str(folder)])) as mock:
        yield HighLevelClient.acme(mock)


def test_a_scenario_of_your_own_reaches_the_rest(own_faults: HighLevelClient) -> None:
    hl = own_faults
    assert "status: 422" in FAILURE_SOURCES["get-action-by-id 422"]
    assert "error: server_error" in FAILURE_SOURCES["* 500"]
    _on(hl, "hl-faults")
    # get-action-by-id 422: the vendor's 422 shape, a list of messages
    error(hl.get(f"{AGENTS}/agent_seed_1/actions/act_stop_1"), 422, ["Unprocessable Entity"], "Unprocessable Entity")
    # * 500
    error(hl.delete(f"{AGENTS}/agent_seed_2"), 500, "Internal Server Error", "Internal Server Error")
    _off(hl, "hl-faults")
    assert hl.get(f"{AGENTS}/agent_seed_1/actions/act_stop_1").status_code == 200


# -- C: the agent hands the conversation over -------------------------------------------------------------------


def test_the_agent_hands_over_instead_of_replying(hl: HighLevelClient) -> None:
    _on(hl, "agent-hands-over")
    sent = written(hl, location=HL_ACME, contact="contact_seed_2", body=PRICE_QUESTION)
    assert sent["agent"] == f"agent agent_seed_1 handed the conversation over: {HANDOVER_FINAL}"
    assert hl.settle()["failures"] == []
    thread = thread_of(hl, sent["conversation_id"])
    assert ai_bodies(thread) == [HANDOVER_FINAL]  # the final message, no answer to the question
    assert thread["handed_over"] is True and thread["bot_stopped"] is False
    assert thread["assigned_to"] == "user_seed_1"  # act_handover_1's assignToUserId
    contact = thread["contact"]
    assert contact["tags"] == ["human_handover"]
    [task] = contact["tasks"]
    assert task["assigned_to"] == "user_seed_1" and task["completed"] is False
    assert task["due_date"] == "2026-01-16T15:00:00Z"  # 24 hours on
    final = next(m for m in thread["messages"] if m["source"] == "ai")
    details = generation(hl, final["id"])
    assert details["responseMessage"] == HANDOVER_FINAL and details["input"] == PRICE_QUESTION
    assert details["actionLogs"] == [
        {
            "humanHandOverAction": [
                {"actionId": "act_handover_1", "assignToUserId": "user_seed_1", "handoverType": "contactRequest"}
            ]
        }
    ]
    # it stays out of the thread, and switched off, the handed-over thread stays with its human
    again = written(hl, location=HL_ACME, contact="contact_seed_2", body="hello?")
    assert again["agent"] == "the bot was stopped or handed over in this conversation"
    _off(hl, "agent-hands-over")
    written(hl, location=HL_ACME, contact="contact_seed_2", body="anyone?")
    hl.settle()
    assert ai_bodies(thread_of(hl, sent["conversation_id"])) == [HANDOVER_FINAL]
    # other threads get replies again
    other = written(hl, location=HL_ACME, contact="contact_seed_3", body=PRICE_QUESTION)
    assert other["agent"].startswith("agent agent_seed_1 will reply at ")
    hl.settle()
    assert len(ai_bodies(thread_of(hl, other["conversation_id"]))) == 1


def test_scoped_to_a_contact_only_their_thread_is_handed_over(hl: HighLevelClient, mock: ConvoMock) -> None:
    with mock.scenario("agent-hands-over", contact="+1 555 010 0003"):  # contact_seed_3, by phone
        mine = written(hl, location=HL_ACME, contact="contact_seed_3", body=PRICE_QUESTION)
        others = written(hl, location=HL_ACME, contact="contact_seed_2", body=PRICE_QUESTION)
        hl.settle()
    assert thread_of(hl, mine["conversation_id"])["handed_over"] is True
    assert ai_bodies(thread_of(hl, mine["conversation_id"])) == [HANDOVER_FINAL]
    other = thread_of(hl, others["conversation_id"])
    assert other["handed_over"] is False and len(ai_bodies(other)) == 1 and ai_bodies(other) != [HANDOVER_FINAL]
    assert other["contact"]["tags"] == []


def test_scoped_to_a_location_with_the_docs_defaults(hl: HighLevelClient, mock: ConvoMock) -> None:
    """agent_globex_1 has no humanHandOver action: the documented default message and tag, no task, no user."""
    with mock.scenario("agent-hands-over", tenant="globex"):
        globex = written(hl, location="globex", contact="contact_globex_1", body="Is the flat still free?")
        acme = written(hl, location="acme", contact="contact_seed_2", body=PRICE_QUESTION)
        hl.settle()
    thread = thread_of(hl, globex["conversation_id"], HL_GLOBEX)
    assert ai_bodies(thread) == [DEFAULT_FINAL] and thread["handed_over"] is True
    assert thread["assigned_to"] is None
    assert thread["contact"]["tags"] == ["human_handover"] and thread["contact"]["tasks"] == []
    final = next(m for m in thread["messages"] if m["source"] == "ai")
    logs = generation(HighLevelClient.of(hl.mock, "highlevel", "globex"), final["id"])["actionLogs"]
    assert logs == [{"humanHandOverAction": [{"actionId": None, "assignToUserId": None, "handoverType": "custom"}]}]
    assert thread_of(hl, acme["conversation_id"])["handed_over"] is False


def test_switched_on_while_the_agent_waits(hl: HighLevelClient, mock: ConvoMock) -> None:
    sent = written(hl, location=HL_ACME, contact="contact_seed_2", body=PRICE_QUESTION)
    assert sent["agent"] == "agent agent_seed_1 will reply at 2026-01-15T15:00:30+00:00"
    with mock.scenario("agent-hands-over", conversation=sent["conversation_id"]):
        hl.settle()
    thread = thread_of(hl, sent["conversation_id"])
    assert ai_bodies(thread) == [HANDOVER_FINAL] and thread["handed_over"] is True


def test_an_agent_that_would_not_act_hands_nothing_over(hl: HighLevelClient) -> None:
    _on(hl, "agent-hands-over")
    try:  # agent_seed_1 does not work on Facebook, nor on Email
        sent = written(hl, location=HL_ACME, contact="contact_seed_2", channel="FB", body="hi")
        assert sent["agent"] == "agent agent_seed_1 does not work on FB"
    finally:
        _off(hl, "agent-hands-over")
    thread = thread_of(hl, sent["conversation_id"])
    assert thread["handed_over"] is False and thread["contact"]["tags"] == []


# -- D: anyone may write in ----------------------------------------------------------------------------------------


def test_a_new_phone_becomes_a_contact_and_the_agent_replies(hl: HighLevelClient) -> None:
    sent = written(hl, location=HL_ACME, phone="+15550001111", body="hi, how much is a cleaning?")
    assert sent["contact_created"] is True and HL_ID.fullmatch(sent["contact_id"])
    assert HL_ID.fullmatch(sent["conversation_id"]) and HL_ID.fullmatch(sent["message_id"])
    assert sent["agent"] == "agent agent_seed_1 will reply at 2026-01-15T15:00:30+00:00"
    thread = thread_of(hl, sent["conversation_id"])
    assert thread["contact"] == {
        "id": sent["contact_id"],
        "name": "",
        "phone": "+15550001111",
        "email": None,
        "fields": {},
        "tags": [],
        "tasks": [],
    }
    assert thread["channel"] == "SMS" and thread["type"] == "TYPE_PHONE" and thread["contact_id"] == sent["contact_id"]
    assert [m["direction"] for m in thread["messages"]] == ["inbound"]
    assert hl.settle()["failures"] == []
    thread = thread_of(hl, sent["conversation_id"])
    [reply] = [m for m in thread["messages"] if m["source"] == "ai"]
    assert reply["created_at"] == "2026-01-15T15:00:30Z" and "$120" in reply["body"]
    assert generation(hl, reply["id"])["input"] == "hi, how much is a cleaning?"
    # the same number written another way is the same customer, in the same thread
    again = written(hl, location="acme", phone="+1 (555) 000-1111", body="thanks!")
    assert again["contact_created"] is False and again["contact_id"] == sent["contact_id"]
    assert again["conversation_id"] == sent["conversation_id"]


def test_a_known_phone_or_email_lands_in_the_existing_thread(hl: HighLevelClient) -> None:
    by_phone = written(hl, location=HL_ACME, phone="+15550100001", body="hello again")
    assert by_phone["contact_id"] == "contact_seed_1" and by_phone["conversation_id"] == "conv_seed_1"
    assert by_phone["contact_created"] is False
    by_email = written(hl, location=HL_ACME, email="JANE@example.com", channel="WebChat", body="me again")
    assert by_email["contact_id"] == "contact_seed_1" and by_email["conversation_id"] == "conv_seed_1"


def test_a_new_email_customer_gets_an_email_thread(hl: HighLevelClient) -> None:
    sent = written(hl, location="acme", email="ann@example.com", name="Ann Lee", body="Do you whiten teeth?")
    assert sent["contact_created"] is True
    assert sent["agent"] == "agent agent_seed_1 does not work on Email"  # no agent works on Email
    thread = thread_of(hl, sent["conversation_id"])
    assert thread["channel"] == "Email" and thread["type"] == "TYPE_EMAIL"
    assert thread["contact"]["name"] == "Ann Lee" and thread["contact"]["email"] == "ann@example.com"
    assert thread["contact"]["phone"] is None
    hl.settle()
    assert ai_bodies(thread_of(hl, sent["conversation_id"])) == []


def test_a_new_customer_by_fixture_key_in_globex(hl: HighLevelClient) -> None:
    sent = written(hl, location="globex", phone="+15550002222", channel="WebChat", body="Can I book a viewing?")
    assert sent["agent"] == "agent agent_globex_1 will reply at 2026-01-15T15:00:10+00:00"
    hl.settle()
    thread = thread_of(hl, sent["conversation_id"], HL_GLOBEX)
    assert thread["channel"] == "WebChat" and thread["type"] == "TYPE_PHONE" and len(ai_bodies(thread)) == 1
    assert sent["contact_id"] not in {t["contact_id"] for t in threads(hl)}  # acme's contacts are untouched


def test_a_new_customer_under_agent_hands_over(hl: HighLevelClient, mock: ConvoMock) -> None:
    with mock.scenario("agent-hands-over", tenant="acme"):
        sent = written(hl, location="acme", phone="+15550003333", channel="WhatsApp", body="I need help")
    thread = thread_of(hl, sent["conversation_id"])
    assert thread["type"] == "TYPE_PHONE" and thread["channel"] == "WhatsApp"
    assert thread["handed_over"] is True and ai_bodies(thread) == [HANDOVER_FINAL]
    assert thread["contact"]["tags"] == ["human_handover"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"location": HL_ACME, "body": "hi"}, 400, "give contact (an id), phone or email"),
        ({"phone": "+15550001111", "body": "hi"}, 400, "location: give a location id or key; known: "),
        ({"location": "nowhere", "phone": "+15550001111", "body": "hi"}, 404, "no location 'nowhere'; known: "),
        ({"location": HL_ACME, "contact": "contact_nope", "body": "hi"}, 404, "no contact 'contact_nope' in location"),
        ({"location": HL_ACME, "phone": "12", "body": "hi"}, 400, "phone: a number of 8 to 15 digits"),
        ({"location": HL_ACME, "phone": 15550001111, "body": "hi"}, 400, "phone: a string, not int"),
        ({"location": HL_ACME, "email": "not-an-address", "body": "hi"}, 400, "email: an address such as"),
        ({"location": HL_ACME, "phone": "+15550001111", "channel": "Email", "body": "hi"}, 400, "email: a customer"),
        ({"location": HL_ACME, "email": "a@example.com", "channel": "SMS", "body": "hi"}, 400, "phone: a customer"),
        ({"location": HL_ACME, "phone": "+15550001111", "channel": "Fax", "body": "hi"}, 400, "channel must be one of"),
        ({"location": HL_ACME, "phone": "+15550001111"}, 400, "body: a message of 1 to 4096 characters"),
        (
            {"location": HL_ACME, "contact": "contact_seed_1", "phone": "+15550001111", "body": "hi"},
            400,
            "give contact (an id), or",
        ),
    ],
)
def test_a_refused_inbound_says_why_and_changes_nothing(
    hl: HighLevelClient, body: dict[str, Any], status: int, message: str
) -> None:
    before = hl.state()
    response = send(hl, **body)
    assert response.status_code == status, response.text
    said = response.json()["error"]
    assert said.startswith(message) and "None" not in said, said
    assert hl.state() == before


def test_outbound_reaches_a_known_phone_and_refuses_an_unknown_one(hl: HighLevelClient) -> None:
    response = hl.http.post(
        "/__mock/highlevel/outbound", json={"location": "acme", "phone": "+15550100002", "body": "We called you."}
    )
    assert response.status_code == 201, response.text
    assert response.json()["agent_sleeping"] is True  # agent_seed_1 sleeps on a manual message
    before = hl.state()
    response = hl.http.post(
        "/__mock/highlevel/outbound", json={"location": "acme", "phone": "+15550009999", "body": "Hello?"}
    )
    assert response.status_code == 404
    assert response.json() == {"error": f"no contact with phone '+15550009999' in location {HL_ACME}"}
    assert hl.state() == before


def test_a_known_customer_writes_where_their_thread_is_unless_told_otherwise(hl: HighLevelClient) -> None:
    first = written(hl, location=HL_ACME, email="Ann.Lee@example.com", name="Ann Lee", body="Do you do whitening?")
    assert thread_of(hl, first["conversation_id"])["channel"] == "Email"
    again = written(hl, location=HL_ACME, contact=first["contact_id"], body="And on Saturdays?")
    assert again["conversation_id"] == first["conversation_id"] and again["contact_created"] is False
    thread = thread_of(hl, first["conversation_id"])
    assert thread["channel"] == "Email" and thread["type"] == "TYPE_EMAIL"
    before = threads(hl)
    refused = send(hl, location=HL_ACME, contact=first["contact_id"], channel="SMS", body="txt")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": f"channel: contact {first['contact_id']} has no phone number to write on SMS from"
    }
    assert threads(hl) == before
