"""What happens to an outbound WhatsApp message after the send answered 201 (convomock design: the pages document
no delivery reports). Normally nothing: it stays `sent`. Under the scenario state `whatsapp_delivery: failed`
(`Organization.failing_whatsapp`, filled by `control.py`), a message to a conversation the scenario covers is
accepted as usual and a background job, `FAILURE_DELAY` later on the mock clock, turns its `status` to `failed`:
what a client reads on its next `GET`/`find` of the WhatsApp message service (the package sends no real-time
events). The decision is taken at the send, so a scenario switched on for one request (`X-Mock-Scenario`) still
fails the message it accepted.
"""

from __future__ import annotations

from datetime import timedelta

from mock_server.apis.omniinbox import state
from mock_server.apis.omniinbox.state import Organization, Record
from mock_server.engine.clock import MockClock
from mock_server.engine.jobs import JobRunner
from mock_server.engine.scenarios import Target

__all__ = ["FAILURE_DELAY", "after_send", "fails"]

FAILURE_DELAY = timedelta(seconds=2)  # how long after the send WhatsApp's failure arrives


def fails(org: Organization, conversation: Record) -> bool:
    """A scenario makes outbound WhatsApp messages of this conversation fail."""
    if conversation["channel"] != "whatsapp" or not org.failing_whatsapp:
        return False
    names = state.contact_ids(org, conversation)
    for rule in org.failing_whatsapp:
        where = Target(conversation=rule.get("conversation"), contact=rule.get("contact"))
        if where.has_conversation(conversation["id"]) and where.has_contact(*names):
            return True
    return False


def after_send(jobs: JobRunner, clock: MockClock, org: Organization, conversation: Record, message: Record) -> None:
    """Queue what follows an accepted message: its delivery failure, when a scenario covers it. Notes never leave
    the inbox, so they never fail."""
    if message["direction"] != "outbound" or message["message_type"] == "note" or not fails(org, conversation):
        return
    due = clock.now() + FAILURE_DELAY
    jobs.submit(f"omni-inbox:{org.id}:{conversation['id']}", lambda: state.fail_delivery(message, clock.now()), due=due)
