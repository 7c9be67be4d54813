"""HighLevel AI employees at work: what agent_seed_1 ("Front Desk", auto-pilot, 30 s wait) and its actions do when a
customer writes, and the generation record behind every reply. Customers write through the control route
/__mock/highlevel/inbound; the replies are read from /__mock/highlevel/conversations and the public
GET /conversation-ai/generations."""

from __future__ import annotations

from typing import Any

from mock_server.server import create_app
from tests.support.clients import in_process
from tests.support.highlevel import HighLevelClient

START = "2026-01-15T15:00:00Z"
AFTER_WAIT = "2026-01-15T15:00:30Z"  # agent_seed_1 waits 30 seconds
GOAL = "Book the patient's next dental appointment."
INSTRUCTIONS = "Answer questions from the clinic FAQ; offer the booking link when the patient wants a visit."
PRICE_QUESTION = "How much does a cleaning cost?"
STOP_FINAL = "Thanks for chatting with Acme Dental. Goodbye!"
HANDOVER_FINAL = "Let me bring in one of our team members."


def ai_messages(thread: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in thread["messages"] if m["direction"] == "outbound" and m["source"] == "ai"]


def ask(hl: HighLevelClient, contact: str, text: str, channel: str = "SMS") -> dict[str, Any]:
    """The customer writes, the agent's wait runs out (settle); the thread afterwards."""
    hl.inbound(contact, text, channel=channel)
    assert hl.settle()["failures"] == []
    return hl.thread(contact)


def generation(hl: HighLevelClient, message_id: str, source: str = "conversation") -> Any:
    return hl.get("/conversation-ai/generations", params={"messageId": message_id, "source": source})


def generation_ok(hl: HighLevelClient, message_id: str) -> dict[str, Any]:
    response = generation(hl, message_id)
    assert response.status_code == 200, response.text
    return dict(response.json())


def no_generation(response: Any, message_id: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {
        "statusCode": 400,
        "error": "Bad Request",
        "message": f"No generation found for the messageId: {message_id}",
    }


def clock_now(hl: HighLevelClient) -> str:
    response = hl.http.get("/__mock/clock")
    assert response.status_code == 200
    return str(response.json()["now"])


def update_agent(hl: HighLevelClient, **fields: Any) -> dict[str, Any]:
    response = hl.put("/conversation-ai/agents/agent_seed_1", json={"autoPilotMaxMessages": 5, **fields})
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- auto-pilot: the wait, the reply, its generation -----------------------------------------------------------


def test_auto_pilot_replies_once_after_its_wait_time(hl: HighLevelClient) -> None:
    sent = hl.inbound("contact_seed_2", PRICE_QUESTION)
    assert sent["agent"] == f"agent agent_seed_1 will reply at {AFTER_WAIT[:-1]}+00:00"
    before = hl.thread("contact_seed_2")
    assert [m["id"] for m in before["messages"]] == [sent["message_id"]]
    assert before["messages"][0]["created_at"] == START
    assert clock_now(hl) == START

    assert hl.settle()["jobs_run"] == 1
    thread = hl.thread("contact_seed_2")
    replies = ai_messages(thread)
    assert len(replies) == 1 and len(thread["messages"]) == 2
    reply = replies[0]
    assert reply["agent_id"] == "agent_seed_1" and reply["draft"] is False
    assert reply["created_at"] == AFTER_WAIT and clock_now(hl) == AFTER_WAIT
    assert "$120" in reply["body"] and "Wade" in reply["body"]  # from faq_price, to the contact by name
    assert thread["ai_replies"] == 1 and thread["agent_id"] == "agent_seed_1"


def test_a_reply_has_a_generation_record(hl: HighLevelClient) -> None:
    reply = ai_messages(ask(hl, "contact_seed_2", PRICE_QUESTION))[0]
    details = generation_ok(hl, reply["id"])
    assert GOAL in details["prompt"] and INSTRUCTIONS in details["prompt"]
    assert "Front Desk" in details["prompt"]
    assert details["responseMessage"] == reply["body"]
    assert details["history"][-1] == {"role": "user", "content": PRICE_QUESTION}
    assert "faq_price" in [faq["id"] for faq in details["faqs"]]
    price = next(faq for faq in details["faqs"] if faq["id"] == "faq_price")
    assert price["title"] == "Cleaning price" and "$120" in price["content"]
    assert details["agentId"] == "agent_seed_1"
    assert details["input"] == PRICE_QUESTION
    assert details["mode"] == "auto-pilot"
    assert details["actionLogs"] == []
    assert isinstance(details["traceId"], str) and details["traceId"]


def test_a_generation_is_found_only_under_its_own_source(hl: HighLevelClient) -> None:
    reply = ai_messages(ask(hl, "contact_seed_2", PRICE_QUESTION))[0]
    no_generation(generation(hl, reply["id"], source="workflow"), reply["id"])
    no_generation(generation(hl, "msgDoesNotExist0001"), "msgDoesNotExist0001")
    inbound_id = hl.thread("contact_seed_2")["messages"][0]["id"]
    no_generation(generation(hl, inbound_id), inbound_id)  # the customer's message has none


def test_the_seeded_reply_msg_1_has_a_generation(hl: HighLevelClient) -> None:
    seeded = next(m for m in hl.thread("contact_seed_1")["messages"] if m["id"] == "msg_1")
    details = generation_ok(hl, "msg_1")
    assert details["responseMessage"] == seeded["body"] and "$120" in seeded["body"]
    assert details["agentId"] == "agent_seed_1" and details["mode"] == "auto-pilot"
    assert details["input"] == "Hi, how much is a cleaning?"
    assert details["history"][-1] == {"role": "user", "content": "Hi, how much is a cleaning?"}


# -- modes and channels ----------------------------------------------------------------------------------------


def test_suggestive_mode_leaves_a_draft_with_a_generation(hl: HighLevelClient) -> None:
    assert update_agent(hl, mode="suggestive")["mode"] == "suggestive"
    thread = ask(hl, "contact_seed_2", PRICE_QUESTION)
    replies = ai_messages(thread)
    assert len(replies) == 1
    assert replies[0]["draft"] is True and replies[0]["agent_id"] == "agent_seed_1"
    assert thread["ai_replies"] == 0  # a suggestion is not a reply sent
    details = generation_ok(hl, replies[0]["id"])
    assert details["mode"] == "suggestive" and details["responseMessage"] == replies[0]["body"]


def test_an_agent_switched_off_does_nothing(hl: HighLevelClient) -> None:
    assert update_agent(hl, mode="off")["mode"] == "off"
    sent = hl.inbound("contact_seed_2", PRICE_QUESTION)
    assert sent["agent"] == "agent agent_seed_1 is off"
    assert hl.settle()["jobs_run"] == 0
    assert [m["id"] for m in hl.thread("contact_seed_2")["messages"]] == [sent["message_id"]]


def test_a_channel_the_primary_agent_does_not_serve_gets_nothing(hl: HighLevelClient) -> None:
    sent = hl.inbound("contact_seed_2", PRICE_QUESTION, channel="IG")
    assert sent["agent"] == "agent agent_seed_1 does not work on IG"
    hl.settle()
    thread = hl.thread("contact_seed_2")
    assert thread["channel"] == "IG"
    assert [m["id"] for m in thread["messages"]] == [sent["message_id"]]


# -- actions on trigger words ----------------------------------------------------------------------------------


def test_stop_bot_sends_the_final_message_and_stays_quiet(hl: HighLevelClient) -> None:
    thread = ask(hl, "contact_seed_2", "ok goodbye")
    replies = ai_messages(thread)
    assert [r["body"] for r in replies] == [STOP_FINAL]
    assert thread["bot_stopped"] is True
    logs = generation_ok(hl, replies[0]["id"])["actionLogs"]
    assert {"stopBotAction": [{"actionId": "act_stop_1", "finalMessage": STOP_FINAL}]} in logs

    later = hl.inbound("contact_seed_2", PRICE_QUESTION)
    assert later["agent"] == "the bot was stopped or handed over in this conversation"
    hl.settle()
    thread = hl.thread("contact_seed_2")
    assert len(ai_messages(thread)) == 1 and thread["messages"][-1]["id"] == later["message_id"]


def test_human_handover_sends_the_final_message_and_hands_over(hl: HighLevelClient) -> None:
    thread = ask(hl, "contact_seed_2", "I want to talk to a human")
    replies = ai_messages(thread)
    assert [r["body"] for r in replies] == [HANDOVER_FINAL]
    assert thread["handed_over"] is True and thread["bot_stopped"] is False
    logs = generation_ok(hl, replies[0]["id"])["actionLogs"]
    handover = [log["humanHandOverAction"] for log in logs if "humanHandOverAction" in log]
    assert handover == [
        [{"actionId": "act_handover_1", "assignToUserId": "user_seed_1", "handoverType": "contactRequest"}]
    ]
    ask(hl, "contact_seed_2", PRICE_QUESTION)
    assert len(ai_messages(hl.thread("contact_seed_2"))) == 1


def test_update_contact_field_saves_the_email(hl: HighLevelClient) -> None:
    assert hl.thread("contact_seed_1")["contact"]["email"] == "jane@example.com"  # another contact, untouched
    hl.inbound("contact_seed_2", "hello")
    assert hl.thread("contact_seed_2")["contact"]["email"] is None
    hl.settle()
    thread = ask(hl, "contact_seed_2", "You can write to wade.warren@example.org")
    assert thread["contact"]["email"] == "wade.warren@example.org"
    reply = ai_messages(thread)[-1]
    logs = generation_ok(hl, reply["id"])["actionLogs"]
    assert {"contactUpdateAction": [{"fieldId": "email", "value": "wade.warren@example.org"}]} in logs
    assert hl.thread("contact_seed_1")["contact"]["email"] == "jane@example.com"


def test_trigger_workflow_on_emergency(hl: HighLevelClient) -> None:
    thread = ask(hl, "contact_seed_2", "This is an emergency, my tooth hurts")
    assert thread["workflows_triggered"] == ["wf_emergency"]
    replies = ai_messages(thread)
    assert len(replies) == 1  # the agent still answers
    logs = generation_ok(hl, replies[0]["id"])["actionLogs"]
    assert {"triggerWorkflowAction": [{"actionId": "act_workflow_1", "workflowIds": ["wf_emergency"]}]} in logs


def test_no_workflow_without_the_trigger_word(hl: HighLevelClient) -> None:
    thread = ask(hl, "contact_seed_2", PRICE_QUESTION)
    assert thread["workflows_triggered"] == []


def test_appointment_booking_sends_the_calendar_link(hl: HighLevelClient) -> None:
    thread = ask(hl, "contact_seed_2", "I want to book an appointment")
    reply = ai_messages(thread)[0]
    assert "https://link.example/book/cal_cleanings" in reply["body"]
    details = generation_ok(hl, reply["id"])
    assert details["intent"] == "book_appointment"
    booking = [log["appointmentBookingAction"] for log in details["actionLogs"] if "appointmentBookingAction" in log]
    assert booking and booking[0][0]["calendarId"] == "cal_cleanings"


def test_transfer_bot_passes_the_thread_to_the_sales_assistant(hl: HighLevelClient) -> None:
    sent = hl.inbound("contact_seed_2", "any discount?")
    assert sent["agent"] == "agent agent_seed_2 will draft at 2026-01-15T15:01:00+00:00"
    assert hl.thread("contact_seed_2")["agent_id"] == "agent_seed_2"
    hl.settle()
    thread = hl.thread("contact_seed_2")
    replies = ai_messages(thread)
    assert len(replies) == 1
    assert replies[0]["agent_id"] == "agent_seed_2" and replies[0]["draft"] is True
    assert replies[0]["created_at"] == "2026-01-15T15:01:00Z"  # agent_seed_2 waits one minute
    details = generation_ok(hl, replies[0]["id"])
    assert details["agentId"] == "agent_seed_2" and details["mode"] == "suggestive"
    assert "Sell whitening packages." in details["prompt"]
    assert {"transferBotAction": [{"actionId": "act_transfer_1", "transferToBot": "agent_seed_2"}]} in details[
        "actionLogs"
    ]


# -- limits, sleep and second thoughts -------------------------------------------------------------------------


def test_auto_pilot_hands_over_after_its_max_messages(hl: HighLevelClient) -> None:
    for n in range(1, 6):
        thread = ask(hl, "contact_seed_3", f"Question number {n}: are you open on Saturdays?")
        assert len(ai_messages(thread)) == n and thread["ai_replies"] == n
        assert thread["handed_over"] is (n == 5)
    sixth = hl.inbound("contact_seed_3", "Question number 6: are you open on Saturdays?")
    assert sixth["agent"] == "the bot was stopped or handed over in this conversation"
    hl.settle()
    thread = hl.thread("contact_seed_3")
    assert len(ai_messages(thread)) == 5 and thread["messages"][-1]["id"] == sixth["message_id"]
    assert thread["handed_over"] is True


def test_a_manual_message_puts_the_agent_to_sleep_for_two_hours(hl: HighLevelClient) -> None:
    out = hl.outbound("contact_seed_2", "I'll call you", source="manual")
    assert out["agent_sleeping"] is True
    thread = hl.thread("contact_seed_2")
    assert thread["asleep"] is True and thread["sleeping_until"] == "2026-01-15T17:00:00Z"
    assert thread["messages"][-1]["source"] == "manual"

    assert hl.http.post("/__mock/clock", json={"advance": "1h59m"}).status_code == 200
    asleep = hl.inbound("contact_seed_2", PRICE_QUESTION)
    assert asleep["agent"] == "agent agent_seed_1 is asleep"
    hl.settle()
    assert ai_messages(hl.thread("contact_seed_2")) == []

    assert hl.http.post("/__mock/clock", json={"advance": "2m"}).status_code == 200
    thread = ask(hl, "contact_seed_2", PRICE_QUESTION)
    assert thread["asleep"] is False
    replies = ai_messages(thread)
    assert len(replies) == 1 and replies[0]["created_at"] == "2026-01-15T17:01:30Z"


def test_a_manual_message_during_the_wait_cancels_the_reply(hl: HighLevelClient) -> None:
    hl.inbound("contact_seed_2", PRICE_QUESTION)
    hl.outbound("contact_seed_2", "Let me check that for you", source="manual")
    hl.settle()
    assert ai_messages(hl.thread("contact_seed_2")) == []


def test_a_workflow_message_does_not_put_the_agent_to_sleep(hl: HighLevelClient) -> None:
    out = hl.outbound("contact_seed_2", "Reminder: your visit is tomorrow", source="workflow")
    assert out["agent_sleeping"] is False
    thread = ask(hl, "contact_seed_2", PRICE_QUESTION)
    assert thread["asleep"] is False and thread["sleeping_until"] is None
    assert len(ai_messages(thread)) == 1
    assert [m["source"] for m in thread["messages"]] == ["workflow", "customer", "ai"]


def test_an_agent_deleted_during_the_wait_does_not_reply(hl: HighLevelClient) -> None:
    hl.inbound("contact_seed_2", PRICE_QUESTION)
    deleted = hl.delete("/conversation-ai/agents/agent_seed_1")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["success"] is True and deleted.json()["id"] == "agent_seed_1"
    settled = hl.settle()
    assert settled["jobs_run"] == 1 and settled["failures"] == []  # the job ran, saw the agent gone, stayed quiet
    thread = hl.thread("contact_seed_2")
    assert ai_messages(thread) == [] and len(thread["messages"]) == 1


def _first_reply(contact: str, text: str) -> str:
    with in_process(create_app(apis=["highlevel"], frozen=True)) as mock:
        thread = ask(HighLevelClient.acme(mock), contact, text)
    replies = ai_messages(thread)
    assert len(replies) == 1
    return str(replies[0]["body"])


def test_the_same_seed_gives_the_same_reply() -> None:
    first = _first_reply("contact_seed_2", PRICE_QUESTION)
    assert first == _first_reply("contact_seed_2", PRICE_QUESTION)
    assert first != _first_reply("contact_seed_2", "What are your opening hours?")
