"""The SMS carrier behind the CRM inbox's outbound messages, and the `carrier: refuses` scenario effect.

Iron answers an outbound SMS at once (the activity, `status: sent`); what the carrier then does with it comes later,
as the provider's delivery receipt, and a client reads it on the thread's timeline: the activity's `status`, whose
`failed` the spec defines as "the provider could not deliver an outbound message". Iron's pages document no
outbound webhook, so the timeline (`GET .../messages`) is where the refusal shows.

convomock design: the receipt comes CARRIER_RECEIPT after the send on the mock clock (a background job, which
`POST /__mock/settle` runs at once); a refused SMS goes from `sent` to `failed` and touches its thread's
`updated_at`; every other SMS stays `sent` (delivery is not simulated). A refused SMS still answered the thread for
the SLA (the business did reply). Whether the carrier refuses is decided when the SMS is sent: switching the
effect off gives no refused message back, it only stops refusing the next ones.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mock_server.apis.crminbox.state import Activity, CarrierRefusal, Conversation, CrmStore, Org
from mock_server.engine.clock import MockClock
from mock_server.engine.jobs import JobRunner
from mock_server.engine.scenarios import Target, Undo

__all__ = ["CARRIER_RECEIPT", "after_send", "refuse", "refuses"]

CARRIER_RECEIPT = timedelta(seconds=5)  # how long after the send the carrier's receipt arrives (convomock design)


def refuses(org: Org, conversation: Conversation) -> bool:
    """The carrier refuses the org's SMS in this thread: a switched-on refusal covers the thread or its contact."""
    contact = org.contacts.get(conversation.contact_id)
    names = (contact.id, contact.phone, contact.email) if contact is not None else (conversation.contact_id,)
    for rule in org.carrier_refusals:
        scope = Target(conversation=rule.conversation, contact=rule.contact)
        if scope.has_conversation(conversation.id) and scope.has_contact(*names):
            return True
    return False


def after_send(org: Org, conversation: Conversation, activity: Activity, jobs: JobRunner | None) -> None:
    """An outbound message was just handed to the provider: if it is an SMS the carrier refuses, its receipt marks
    the activity `failed` CARRIER_RECEIPT later (unless something else changed its status first)."""
    if activity.type != "sms" or activity.direction != "outbound" or jobs is None or not refuses(org, conversation):
        return
    due = activity.created_at + CARRIER_RECEIPT

    def receipt() -> None:
        if activity.status == "sent":
            activity.status = "failed"
            conversation.updated_at = max(conversation.updated_at, due)

    jobs.submit(f"crm-inbox:{org.id}:{conversation.id}:carrier", receipt, due)


def _holds(org: Org, target: Target) -> bool:
    """The org holds the target's conversation and contact (each when named)."""
    if target.conversation is not None and not any(target.has_conversation(c) for c in org.conversations):
        return False
    return target.contact is None or any(target.has_contact(c.id, c.phone, c.email) for c in org.contacts.values())


def refuse(store: CrmStore, value: Any, clock: MockClock, target: Target) -> Undo:
    """`carrier: refuses`: from now on the carrier refuses every outbound SMS in the target (its orgs, or the one
    conversation, or the threads of one contact). Undo: the refusal stops (messages it refused stay failed)."""
    if value != "refuses":
        raise ValueError(f"carrier: only 'refuses' is supported, not {value!r}")
    rule = CarrierRefusal(conversation=target.conversation, contact=target.contact, key=target.key)
    orgs = [org for org in store.orgs.values() if target.has_tenant(org.id, org.key) and _holds(org, target)]
    if not orgs:
        raise ValueError("carrier: the scope names no org, conversation or contact of the CRM inbox")
    for org in orgs:
        org.carrier_refusals.append(rule)

    def undo() -> None:
        for org in orgs:
            org.carrier_refusals[:] = [each for each in org.carrier_refusals if each is not rule]

    return undo


def drop_rules(store: CrmStore, key: str) -> None:
    """Every carrier refusal the switching-on `key` added (after a restore)."""
    for org in store.orgs.values():
        org.carrier_refusals[:] = [rule for rule in org.carrier_refusals if rule.key != key]
