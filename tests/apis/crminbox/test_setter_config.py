"""The setter's and the voice agent's config over HTTP (`/agents/setter/config`, `/agents/voice/config`): reading
and partial writes, the owner/admin gate, autopilot gated off outside Lakeside Realty, the reply objective's
wording and structured action, when autopilot sends (the reply delay on the mock clock, business hours, sleep hours,
weekends) and what stops it, and validation errors that change nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_BOB,
    CRM_CAROL,
    CRM_DAVE,
    CRM_ERIN,
    CRM_GLOBEX,
    CRM_LAKESIDE,
    CRM_NINA,
    CRM_SECRET,
    CRM_THREAD,
    CrmClient,
)

START = "2026-01-15T15:00:00Z"  # the frozen mock clock: Thursday, 10:00 in New York, 08:00 in Denver
OMAR = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d1e02"  # Lakeside's contact (fixtures/crm-inbox.yaml)
OMAR_PHONE = "+15553450002"
OMAR_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4d02"  # answered by Alice two days ago: nothing pending
NINA_PHONE = "+15551230005"
WEEKDAY = [{"start": "09:00", "end": "17:00"}]
MANAGER = "Only an owner or admin can change the setter config"
VOICE_MANAGER = "Only an owner or admin can change the voice agent config"


def seeded_setter(timezone: str, autopilot: bool, mode: str = "suggestive") -> dict[str, Any]:
    """The seed's setter config (fixtures/crm-inbox.yaml): weekdays 9 to 5 in the org's zone, asleep 21:00-08:00."""
    return {
        "response_mode": mode,
        "reply_objective": "default",
        "reply_delay_seconds": 60,
        "business_hours": {
            "timezone": timezone,
            "days": {
                "mon": WEEKDAY,
                "tue": WEEKDAY,
                "wed": WEEKDAY,
                "thu": WEEKDAY,
                "fri": WEEKDAY,
                "sat": [],
                "sun": [],
            },
        },
        "sleep_hours": {"start": "21:00", "end": "08:00"},
        "autopilot_available": autopilot,
        "updated_at": None,
    }


SEEDED_VOICE = {
    "enabled": False,
    "voice": "alloy",
    "greeting": "Thanks for calling! How can I help you today?",
    "transfer_to": None,
    "business_hours_only": True,
    "updated_at": None,
}


# -- helpers -------------------------------------------------------------------------------------------------------


def lakeside(crm: CrmClient) -> CrmClient:
    """Alice, admin of Lakeside Realty, the one seeded org where autopilot is available."""
    return crm.as_(CRM_ALICE, CRM_LAKESIDE)


def config(client: CrmClient, agent: str = "setter") -> dict[str, Any]:
    response = client.get(f"/agents/{agent}/config")
    assert response.status_code == 200, response.text
    return dict(response.json())


def save(client: CrmClient, agent: str = "setter", **fields: Any) -> dict[str, Any]:
    response = client.put(f"/agents/{agent}/config", json=fields)
    assert response.status_code == 200, response.text
    assert config(client, agent) == response.json()
    return dict(response.json())


def set_clock(crm: CrmClient, instant: str) -> None:
    response = crm.http.post("/__mock/clock", json={"set": instant})
    assert response.status_code == 200, response.text


def now(crm: CrmClient) -> str:
    response = crm.http.get("/__mock/clock")
    assert response.status_code == 200, response.text
    return str(response.json()["now"])


def sms(crm: CrmClient, org: str, sender: str, text: str, provider_id: str) -> dict[str, Any]:
    """A customer's SMS through the telephony webhook."""
    body = {"org_id": org, "from": sender, "body": text, "provider_message_id": provider_id}
    response = crm.http.post(crm.url("/webhooks/inbound-sms"), json=body, headers={"X-Iron-CRM-Secret": CRM_SECRET})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "received"
    return dict(response.json())


def messages(client: CrmClient, conversation_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/conversations/{conversation_id}/messages", params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def drafts(client: CrmClient, conversation_id: str) -> list[dict[str, Any]]:
    return [m for m in messages(client, conversation_id) if m["type"] == "suggestion"]


def sent(client: CrmClient, conversation_id: str) -> list[dict[str, Any]]:
    return [m for m in messages(client, conversation_id) if m["direction"] == "outbound" and m["type"] != "suggestion"]


def settle(crm: CrmClient) -> dict[str, Any]:
    response = crm.http.post("/__mock/settle")
    assert response.status_code == 200, response.text
    assert response.json()["failures"] == []
    return dict(response.json())


def autopilot(crm: CrmClient, **fields: Any) -> CrmClient:
    """Lakeside on autopilot (and whatever else `fields` sets); returns Alice acting there."""
    client = lakeside(crm)
    assert save(client, response_mode="autopilot", **fields)["response_mode"] == "autopilot"
    return client


def customer_writes(
    crm: CrmClient, at: str | None = None, text: str = "Is the lot by the marina sold?", pending: bool = True
) -> str:
    """Omar texts Lakeside (at `at` on the mock clock); returns the setter's draft's id (pending right after the
    webhook answered, unless the send is due at once: then it may already be sent)."""
    if at is not None:
        set_clock(crm, at)
    client = lakeside(crm)
    before = {d["id"] for d in drafts(client, OMAR_THREAD)}
    sms(crm, CRM_LAKESIDE, OMAR_PHONE, text, f"SM-{uuid.uuid4()}")
    new = [d for d in drafts(client, OMAR_THREAD) if d["id"] not in before]
    assert len(new) == 1 and (new[0]["status"] == "pending" or not pending), new
    return str(new[0]["id"])


def the_autopilot_reply(crm: CrmClient, draft_id: str) -> dict[str, Any]:
    """After settling: the one message the setter sent for `draft_id`, checked as autopilot sends it."""
    client = lakeside(crm)
    replies = [m for m in sent(client, OMAR_THREAD) if m["suggestion_id"] == draft_id]
    assert len(replies) == 1, replies
    reply = replies[0]
    draft = next(d for d in drafts(client, OMAR_THREAD) if d["id"] == draft_id)
    assert draft["status"] == "sent"
    assert {k: reply[k] for k in ("type", "direction", "status", "actor", "author_id", "body", "to", "from")} == {
        "type": "sms",
        "direction": "outbound",
        "status": "sent",
        "actor": "agent:setter",
        "author_id": None,
        "body": draft["body"],
        "to": OMAR_PHONE,
        "from": "+15550009999",
    }
    return reply


def assert_422(response: httpx.Response, *issues: dict[str, Any]) -> None:
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": list(issues)}


def assert_detail(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"detail": detail}


# -- reading and writing -----------------------------------------------------------------------------------------------


def test_each_org_reads_its_seeded_setter_config(crm: CrmClient) -> None:
    assert config(crm) == seeded_setter("America/New_York", autopilot=False)
    assert config(lakeside(crm)) == seeded_setter("America/Denver", autopilot=True)
    assert config(crm.as_(CRM_CAROL, CRM_GLOBEX)) == seeded_setter("America/Chicago", autopilot=False, mode="off")


@pytest.mark.parametrize(("user", "org"), [(CRM_BOB, CRM_ACME), (CRM_DAVE, CRM_ACME), (CRM_ERIN, CRM_LAKESIDE)])
def test_members_may_read_both_configs(crm: CrmClient, user: str, org: str) -> None:
    member = crm.as_(user, org)
    assert config(member)["autopilot_available"] is (org == CRM_LAKESIDE)
    assert config(member, "voice") == SEEDED_VOICE


def test_a_full_save_answers_and_stores_the_config(crm: CrmClient) -> None:
    hours = {
        "timezone": "Europe/Lisbon",
        "days": {"mon": [{"start": "08:30", "end": "12:00"}, {"start": "13:00", "end": "18:30"}], "sat": []},
    }
    crm.advance("1h")
    saved = save(
        crm,
        response_mode="off",
        reply_objective="route_to_quote",
        reply_delay_seconds=86400,
        business_hours=hours,
        sleep_hours=None,
    )
    assert saved == {
        "response_mode": "off",
        "reply_objective": "route_to_quote",
        "reply_delay_seconds": 86400,
        "business_hours": hours,
        "sleep_hours": None,
        "autopilot_available": False,
        "updated_at": "2026-01-15T16:00:00Z",
    }
    # per org: nobody else's changed
    assert config(lakeside(crm)) == seeded_setter("America/Denver", autopilot=True)
    assert config(crm.as_(CRM_CAROL, CRM_GLOBEX)) == seeded_setter("America/Chicago", autopilot=False, mode="off")


def test_a_partial_save_keeps_the_fields_left_out(crm: CrmClient) -> None:
    first = save(crm, reply_delay_seconds=0)
    assert first == {
        **seeded_setter("America/New_York", autopilot=False),
        "reply_delay_seconds": 0,
        "updated_at": START,
    }
    crm.advance("90s")
    second = save(crm, sleep_hours={"start": "22:30", "end": "06:15"})
    assert second == {**first, "sleep_hours": {"start": "22:30", "end": "06:15"}, "updated_at": "2026-01-15T15:01:30Z"}


def test_the_read_only_fields_are_ignored(crm: CrmClient) -> None:
    saved = save(crm, autopilot_available=True, updated_at="2020-01-01T00:00:00Z", reply_objective="book_call")
    assert saved == {
        **seeded_setter("America/New_York", autopilot=False),
        "reply_objective": "book_call",
        "updated_at": START,
    }
    gated = crm.put("/agents/setter/config", json={"autopilot_available": True, "response_mode": "autopilot"})
    assert gated.status_code == 422, gated.text  # sending the flag does not lift the gate
    assert config(crm) == saved


# -- who may change it -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "org"),
    [(CRM_BOB, CRM_ACME), (CRM_DAVE, CRM_ACME), (CRM_ERIN, CRM_LAKESIDE)],
    ids=["bob-acme", "dave-acme", "erin-lakeside-client"],
)
def test_a_member_cannot_change_either_config(crm: CrmClient, user: str, org: str | None) -> None:
    member = crm.as_(user, org)
    before = crm.state()
    assert_detail(member.put("/agents/setter/config", json={"response_mode": "off"}), 403, MANAGER)
    assert_detail(member.put("/agents/setter/config", json={"reply_delay_seconds": 5}), 403, MANAGER)
    assert_detail(member.put("/agents/voice/config", json={"enabled": True}), 403, VOICE_MANAGER)
    assert crm.state() == before


@pytest.mark.parametrize(
    ("user", "org"),
    [
        (CRM_ALICE, CRM_ACME),
        (CRM_ALICE, CRM_LAKESIDE),
        (CRM_CAROL, CRM_GLOBEX),
        (CRM_DAVE, CRM_GLOBEX),
        (CRM_DAVE, None),
    ],
    ids=["alice-acme-owner", "alice-lakeside-admin", "carol-globex-owner", "dave-globex-admin", "dave-default-org"],
)
def test_an_owner_or_admin_can_change_both(crm: CrmClient, user: str, org: str | None) -> None:
    manager = crm.as_(user, org)
    assert save(manager, reply_objective="book_call")["reply_objective"] == "book_call"
    assert save(manager, "voice", enabled=True)["enabled"] is True


# -- autopilot is gated ----------------------------------------------------------------------------------------------

GATED = {
    "type": "value_error",
    "loc": ["body", "response_mode"],
    "msg": "Value error, autopilot is gated off for this organization",
    "input": "autopilot",
}


@pytest.mark.parametrize(("user", "org"), [(CRM_ALICE, CRM_ACME), (CRM_CAROL, CRM_GLOBEX)])
def test_autopilot_where_it_is_gated_off_is_422_and_saves_nothing(crm: CrmClient, user: str, org: str) -> None:
    manager = crm.as_(user, org)
    seeded = config(manager)
    before = crm.state()
    assert_422(manager.put("/agents/setter/config", json={"response_mode": "autopilot"}), GATED)
    both = {"response_mode": "autopilot", "reply_delay_seconds": 5, "reply_objective": "book_call"}
    assert_422(manager.put("/agents/setter/config", json=both), GATED)
    assert crm.state() == before
    assert config(manager) == seeded


def test_lakeside_can_switch_autopilot_on(crm: CrmClient) -> None:
    saved = save(lakeside(crm), response_mode="autopilot", reply_delay_seconds=30)
    assert saved == {
        **seeded_setter("America/Denver", autopilot=True),
        "response_mode": "autopilot",
        "reply_delay_seconds": 30,
        "updated_at": START,
    }
    assert config(crm)["response_mode"] == "suggestive"  # Acme, the parent, keeps its own


# -- what the modes and objectives do --------------------------------------------------------------------------------


def test_off_leaves_no_draft(crm: CrmClient) -> None:
    save(crm, response_mode="off")
    pending = [d for d in drafts(crm, CRM_THREAD) if d["status"] == "pending"]
    receipt = sms(crm, CRM_ACME, "+15551230001", "Any update?", "SM-off")
    assert drafts(crm, CRM_THREAD) == pending  # the seeded draft is left as it was, no new one
    assert messages(crm, CRM_THREAD)[-1]["id"] == receipt["activity_id"]
    assert settle(crm)["jobs_run"] == 0


def test_suggestive_leaves_a_draft_and_sends_nothing(crm: CrmClient) -> None:
    receipt = sms(crm, CRM_ACME, NINA_PHONE, "Do you have 2-bedroom rentals downtown?", "SM-suggest")
    timeline = messages(crm, receipt["conversation_id"])
    assert [(m["type"], m["status"], m["actor"]) for m in timeline] == [
        ("sms", "received", "system"),
        ("suggestion", "pending", "agent:setter"),
    ]
    assert timeline[1]["action"] is None  # objective default: no structured action
    settle(crm)
    crm.advance("2d")
    settle(crm)
    assert [m["status"] for m in drafts(crm, receipt["conversation_id"])] == ["pending"]
    assert sent(crm, receipt["conversation_id"]) == []


def test_each_objective_words_the_draft_its_way_and_carries_its_action(crm: CrmClient) -> None:
    text = "Help with the Pine Road house"
    found: dict[str, dict[str, Any]] = {}
    for index, objective in enumerate(("default", "book_call", "route_to_quote")):
        save(crm, reply_objective=objective)
        receipt = sms(crm, CRM_ACME, NINA_PHONE, text, f"SM-objective-{index}")
        pending = [d for d in drafts(crm, receipt["conversation_id"]) if d["status"] == "pending"]
        assert len(pending) == 1
        found[objective] = pending[0]
    assert found["default"]["action"] is None
    assert found["book_call"]["action"] == {"type": "book_call"}
    assert found["route_to_quote"]["action"] == {"type": "route_to_quote"}
    bodies = {objective: draft["body"] for objective, draft in found.items()}
    assert len(set(bodies.values())) == 3, bodies
    for body in bodies.values():
        assert "Nina" in body and "Pine Road" in body  # addressed to the contact, about what she wrote
    assert "call" in bodies["book_call"] and "quote" not in bodies["book_call"]
    assert "quote" in bodies["route_to_quote"]
    assert "quote" not in bodies["default"]
    # each newer draft superseded the one before it
    statuses = [d["status"] for d in drafts(crm, found["default"]["conversation_id"])]
    assert statuses == ["superseded", "superseded", "pending"]


def test_an_autopilot_draft_carries_the_objectives_action_too(crm: CrmClient) -> None:
    client = autopilot(crm, reply_objective="book_call")
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z")
    assert next(d for d in drafts(client, OMAR_THREAD) if d["id"] == draft_id)["action"] == {"type": "book_call"}
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["action"] is None  # the action rides on the draft


# -- when autopilot sends --------------------------------------------------------------------------------------------


def test_inside_business_hours_autopilot_sends_after_the_reply_delay_exactly(crm: CrmClient) -> None:
    client = autopilot(crm, reply_delay_seconds=90)
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z")  # Thursday 11:00 in Denver
    assert [m for m in sent(client, OMAR_THREAD) if m["suggestion_id"] == draft_id] == []  # the clock stands still
    assert settle(crm)["jobs_run"] == 1
    reply = the_autopilot_reply(crm, draft_id)
    assert reply["created_at"] == "2026-01-15T18:01:30Z"
    assert now(crm) == "2026-01-15T18:01:30Z"  # settle moved the clock to the send, no further
    thread = client.get(f"/conversations/{OMAR_THREAD}").json()
    assert (thread["unread_count"], thread["awaiting_reply_since"], thread["last_activity_at"]) == (
        0,
        None,
        "2026-01-15T18:01:30Z",
    )


def test_a_zero_delay_sends_at_once_on_settling(crm: CrmClient) -> None:
    autopilot(crm, reply_delay_seconds=0)
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z", pending=False)
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["created_at"] == "2026-01-15T18:00:00Z"


def test_before_opening_time_autopilot_waits_for_it(crm: CrmClient) -> None:
    # the clock's start is 08:00 in Denver: out of sleep hours, an hour before business hours open
    autopilot(crm)
    draft_id = customer_writes(crm)
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["created_at"] == "2026-01-15T16:00:00Z"  # 09:00 in Denver


def test_a_delay_running_past_closing_time_waits_for_the_next_day(crm: CrmClient) -> None:
    autopilot(crm)
    draft_id = customer_writes(crm, at="2026-01-15T23:59:30Z")  # Thursday 16:59:30 in Denver; +60 s is closed
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["created_at"] == "2026-01-16T16:00:00Z"  # Friday 09:00


def test_on_a_weekend_autopilot_waits_for_monday(crm: CrmClient) -> None:
    autopilot(crm)
    draft_id = customer_writes(crm, at="2026-01-17T18:00:00Z")  # Saturday 11:00 in Denver
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["created_at"] == "2026-01-19T16:00:00Z"  # Monday 09:00


def test_in_sleep_hours_autopilot_waits_until_they_end(crm: CrmClient) -> None:
    # open around the clock, so only the sleep hours (21:00-08:00) hold the reply back
    always = [{"start": "00:00", "end": "23:59"}]
    days = {day: always for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    autopilot(crm, business_hours={"timezone": "America/Denver", "days": days})
    draft_id = customer_writes(crm, at="2026-01-16T04:30:00Z")  # Thursday 21:30 in Denver
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["created_at"] == "2026-01-16T15:00:00Z"  # Friday 08:00


def test_sleep_hours_within_the_day_hold_the_reply_back(crm: CrmClient) -> None:
    autopilot(crm, sleep_hours={"start": "11:00", "end": "12:30"})
    draft_id = customer_writes(crm, at="2026-01-15T18:15:00Z")  # Thursday 11:15 in Denver
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["created_at"] == "2026-01-15T19:30:00Z"  # 12:30


def test_business_hours_are_read_in_their_own_timezone(crm: CrmClient) -> None:
    # the same instant as the start: 10:00 in New York is business time there
    days = {"thu": WEEKDAY}
    autopilot(crm, business_hours={"timezone": "America/New_York", "days": days}, sleep_hours=None)
    draft_id = customer_writes(crm)
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["created_at"] == "2026-01-15T15:01:00Z"


def test_autopilot_sends_at_an_opening_that_is_not_on_a_five_minute_mark(crm: CrmClient) -> None:
    opening = {"timezone": "America/Denver", "days": {"thu": [{"start": "11:02", "end": "12:00"}]}}
    autopilot(crm, business_hours=opening, sleep_hours=None)
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z")  # 11:00 in Denver; +60 s is still closed
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["created_at"] == "2026-01-15T18:02:00Z"


def test_autopilot_sends_when_sleep_hours_end_off_a_five_minute_mark(crm: CrmClient) -> None:
    autopilot(crm, sleep_hours={"start": "10:00", "end": "11:07"})
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z")  # 11:00 in Denver, asleep until 11:07
    settle(crm)
    assert the_autopilot_reply(crm, draft_id)["created_at"] == "2026-01-15T18:07:00Z"


# -- what stops an autopilot send ------------------------------------------------------------------------------------


def test_a_human_reply_before_the_autopilot_fires_cancels_it(crm: CrmClient) -> None:
    client = autopilot(crm, reply_delay_seconds=300)
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z")
    crm.advance("1m")
    response = client.post(f"/conversations/{OMAR_THREAD}/messages", json={"channel": "sms", "body": "On it, Omar!"})
    assert response.status_code == 201, response.text
    assert settle(crm)["jobs_run"] == 1  # the job ran and found nothing to do
    outbound = sent(client, OMAR_THREAD)
    assert [(m["body"], m["actor"], m["created_at"]) for m in outbound if m["created_at"] >= START] == [
        ("On it, Omar!", f"user:{CRM_ALICE}", "2026-01-15T18:01:00Z")
    ]
    assert next(d for d in drafts(client, OMAR_THREAD) if d["id"] == draft_id)["status"] == "superseded"


def test_a_dismissed_draft_is_not_sent(crm: CrmClient) -> None:
    client = autopilot(crm)
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z")
    response = client.post(f"/conversations/{OMAR_THREAD}/suggestions/{draft_id}/dismiss")
    assert response.status_code == 200, response.text
    settle(crm)
    assert [m for m in sent(client, OMAR_THREAD) if m["created_at"] >= START] == []


def test_a_newer_message_before_the_send_gets_the_only_reply(crm: CrmClient) -> None:
    client = autopilot(crm, reply_delay_seconds=120)
    first = customer_writes(crm, at="2026-01-15T18:00:00Z", text="Is the marina lot sold?")
    crm.advance("1m")
    second = customer_writes(crm, text="And the one by the boathouse?")
    settle(crm)
    reply = the_autopilot_reply(crm, second)
    assert reply["created_at"] == "2026-01-15T18:03:00Z"
    assert [m["suggestion_id"] for m in sent(client, OMAR_THREAD) if m["created_at"] >= START] == [second]
    assert next(d for d in drafts(client, OMAR_THREAD) if d["id"] == first)["status"] == "superseded"


def test_a_one_click_send_before_the_autopilot_leaves_one_message(crm: CrmClient) -> None:
    client = autopilot(crm)
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z")
    response = client.post(f"/conversations/{OMAR_THREAD}/suggestions/{draft_id}/send")
    assert response.status_code == 200, response.text
    settle(crm)
    mine = [m for m in sent(client, OMAR_THREAD) if m["suggestion_id"] == draft_id]
    assert [(m["author_id"], m["actor"], m["created_at"]) for m in mine] == [
        (CRM_ALICE, f"user:{CRM_ALICE}", "2026-01-15T18:00:00Z")
    ]


# -- validation ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "issue"),
    [
        (
            {"response_mode": "on"},
            {
                "type": "enum",
                "loc": ["body", "response_mode"],
                "msg": 'Input should be one of "off", "suggestive" or "autopilot"',
                "input": "on",
            },
        ),
        (
            {"reply_objective": "sell"},
            {
                "type": "enum",
                "loc": ["body", "reply_objective"],
                "msg": 'Input should be one of "default", "book_call" or "route_to_quote"',
                "input": "sell",
            },
        ),
        (
            {"reply_delay_seconds": 86401},
            {
                "type": "less_than_equal",
                "loc": ["body", "reply_delay_seconds"],
                "msg": "Input should be less than or equal to 86400",
                "input": 86401,
            },
        ),
        (
            {"reply_delay_seconds": -1},
            {
                "type": "greater_than_equal",
                "loc": ["body", "reply_delay_seconds"],
                "msg": "Input should be greater than or equal to 0",
                "input": -1,
            },
        ),
        (
            {"reply_delay_seconds": "60"},
            {
                "type": "int_parsing",
                "loc": ["body", "reply_delay_seconds"],
                "msg": "Input should be a valid integer",
                "input": "60",
            },
        ),
        (
            {"business_hours": {"timezone": "America/New_York", "days": {"mon": [{"start": "9:00", "end": "17:00"}]}}},
            {
                "type": "string_pattern_mismatch",
                "loc": ["body", "business_hours", "days", "mon", 0, "start"],
                "msg": "String should match pattern '^([01][0-9]|2[0-3]):[0-5][0-9]$'",
                "input": "9:00",
            },
        ),
        (
            {"business_hours": {"timezone": "America/New_York", "days": {"fri": [{"start": "09:00", "end": "24:00"}]}}},
            {
                "type": "string_pattern_mismatch",
                "loc": ["body", "business_hours", "days", "fri", 0, "end"],
                "msg": "String should match pattern '^([01][0-9]|2[0-3]):[0-5][0-9]$'",
                "input": "24:00",
            },
        ),
        (
            {"sleep_hours": {"start": "25:00", "end": "08:00"}},
            {
                "type": "value_error",
                "loc": ["body", "sleep_hours"],
                "msg": 'Value error, {"end":"08:00","start":"25:00"} is not valid under any of the schemas '
                "listed in the 'oneOf' keyword",
                "input": {"start": "25:00", "end": "08:00"},
            },
        ),
        (
            {"colour": "red"},
            {
                "type": "extra_forbidden",
                "loc": ["body", "colour"],
                "msg": "Extra inputs are not permitted",
                "input": "red",
            },
        ),
        (
            {},
            {"type": "value_error", "loc": ["body"], "msg": "Value error, {} has less than 1 property", "input": {}},
        ),
    ],
    ids=[
        "bad-mode",
        "bad-objective",
        "delay-over-a-day",
        "negative-delay",
        "delay-as-text",
        "bad-hh-mm",
        "hour-24",
        "bad-sleep-hours",
        "extra-field",
        "empty",
    ],
)
def test_an_invalid_setter_config_is_422_and_changes_nothing(
    crm: CrmClient, body: dict[str, Any], issue: dict[str, Any]
) -> None:
    before = crm.state()
    for client in (crm, lakeside(crm)):
        assert_422(client.put("/agents/setter/config", json=body), issue)
    if body:  # with a valid field beside it, nothing is saved either
        assert_422(crm.put("/agents/setter/config", json={"reply_delay_seconds": 5, **body}), issue)
    assert crm.state() == before
    assert config(crm) == seeded_setter("America/New_York", autopilot=False)


# -- the voice agent's config ----------------------------------------------------------------------------------------


def test_the_voice_config_round_trip(crm: CrmClient) -> None:
    assert config(crm, "voice") == SEEDED_VOICE
    saved = save(crm, "voice", enabled=True, transfer_to="+15550001111")
    assert saved == {**SEEDED_VOICE, "enabled": True, "transfer_to": "+15550001111", "updated_at": START}
    crm.advance("2h")
    again = save(crm, "voice", greeting="Hello from Acme!", voice="verse", business_hours_only=False, transfer_to=None)
    assert again == {
        "enabled": True,
        "voice": "verse",
        "greeting": "Hello from Acme!",
        "transfer_to": None,
        "business_hours_only": False,
        "updated_at": "2026-01-15T17:00:00Z",
    }
    ignored = save(crm, "voice", updated_at="2020-01-01T00:00:00Z", enabled=False)
    assert ignored == {**again, "enabled": False}  # updated_at is the clock's, not the body's
    assert config(lakeside(crm), "voice") == SEEDED_VOICE  # per org
    assert config(crm.as_(CRM_CAROL, CRM_GLOBEX), "voice") == SEEDED_VOICE
    assert config(crm) == seeded_setter("America/New_York", autopilot=False)  # the setter's is apart


@pytest.mark.parametrize(
    ("body", "issue"),
    [
        (
            {"transfer_to": "555"},
            {
                "type": "string_pattern_mismatch",
                "loc": ["body", "transfer_to"],
                "msg": "String should match pattern '^\\+[1-9][0-9]{6,14}$'",
                "input": "555",
            },
        ),
        (
            {"enabled": "yes"},
            {
                "type": "bool_parsing",
                "loc": ["body", "enabled"],
                "msg": "Input should be a valid boolean",
                "input": "yes",
            },
        ),
        (
            {"greeting": ""},
            {
                "type": "string_too_short",
                "loc": ["body", "greeting"],
                "msg": "String should have at least 1 character",
                "input": "",
            },
        ),
        (
            {"wake_word": "iron"},
            {
                "type": "extra_forbidden",
                "loc": ["body", "wake_word"],
                "msg": "Extra inputs are not permitted",
                "input": "iron",
            },
        ),
    ],
    ids=["bad-number", "enabled-not-bool", "empty-greeting", "extra-field"],
)
def test_an_invalid_voice_config_is_422_and_changes_nothing(
    crm: CrmClient, body: dict[str, Any], issue: dict[str, Any]
) -> None:
    before = crm.state()
    assert_422(crm.put("/agents/voice/config", json=body), issue)
    assert_422(crm.put("/agents/voice/config", json={"enabled": True, **body}), issue)
    assert crm.state() == before
    assert config(crm, "voice") == SEEDED_VOICE


def test_nina_is_acmes_contact(crm: CrmClient) -> None:
    # the tests above text Nina's number into Acme: it must be her contact, not a new one
    receipt = sms(crm, CRM_ACME, NINA_PHONE, "Hello", "SM-nina")
    assert (receipt["contact_id"], receipt["contact_created"]) == (CRM_NINA, False)


def test_switching_autopilot_off_before_the_send_is_due_cancels_it(crm: CrmClient) -> None:
    client = autopilot(crm)
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z")  # 11:00 in Denver: due a minute later
    assert save(client, response_mode="off")["response_mode"] == "off"
    settle(crm)
    assert [d["status"] for d in drafts(client, OMAR_THREAD) if d["id"] == draft_id] == ["pending"]
    assert [m for m in sent(client, OMAR_THREAD) if m["suggestion_id"] == draft_id] == []


def test_autopilot_without_any_business_hours_leaves_the_draft_to_a_human(crm: CrmClient) -> None:
    client = autopilot(crm, business_hours={"timezone": "UTC", "days": {}}, sleep_hours=None)
    draft_id = customer_writes(crm, at="2026-01-15T18:00:00Z")
    settle(crm)
    assert [d["status"] for d in drafts(client, OMAR_THREAD) if d["id"] == draft_id] == ["pending"]
    assert [m for m in sent(client, OMAR_THREAD) if m["suggestion_id"] == draft_id] == []


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America", "", "../etc/passwd"])
def test_business_hours_in_no_iana_time_zone_are_refused(crm: CrmClient, zone: str) -> None:
    before = crm.state()
    hours = {"timezone": zone, "days": {"mon": WEEKDAY}}
    response = crm.put("/agents/setter/config", json={"business_hours": hours})
    assert response.status_code == 422, response.text
    if zone:  # an empty one is the schema's minLength
        assert response.json()["detail"] == [
            {
                "type": "value_error",
                "loc": ["body", "business_hours", "timezone"],
                "msg": "Value error, unknown IANA time zone",
                "input": zone,
            }
        ]
    assert crm.state() == before


def test_a_body_of_read_only_fields_changes_nothing(crm: CrmClient) -> None:
    stored = config(crm)
    before = crm.state()
    response = crm.put("/agents/setter/config", json={"autopilot_available": True, "updated_at": None})
    assert response.status_code == 200 and response.json() == stored and stored["updated_at"] is None
    assert crm.state() == before
