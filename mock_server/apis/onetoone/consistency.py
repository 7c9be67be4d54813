"""What a restored 1TO1 AI store must hold together (`ApiBinding.check_state`): every lookup by uuid finds its
record, so no list answers 500 on a snapshot that names a contact, mailbox or conversation that is not there."""

from __future__ import annotations

from mock_server.apis.onetoone.state import OneToOneStore
from mock_server.engine.consistency import StateCheck

__all__ = ["check_state"]


def check_state(store: OneToOneStore) -> list[str]:
    check = StateCheck()
    check.keyed("businesses", store.businesses, lambda business: business.slug.lower())
    for slug, business in store.businesses.items():
        at = f"business {slug}"
        check.keyed(f"{at}: contacts", business.contacts, lambda contact: contact.uuid)
        check.keyed(f"{at}: conversations", business.conversations, lambda conversation: conversation.uuid)
        check.keyed(f"{at}: files", business.files, lambda file: file.uuid.lower())
        mailboxes = {mailbox.uuid for mailbox in business.mailboxes}
        employees = {employee.uuid for employee in business.ai_employees}
        labels = {label.uuid for label in business.labels}
        for uuid, conversation in business.conversations.items():
            where = f"{at}: conversation {uuid}"
            check.refers(where, conversation.contact_uuid, business.contacts, "contact")
            check.refers(where, conversation.mailbox_uuid, mailboxes, "mailbox")
            check.refers(where, conversation.ai_employee_uuid, employees, "AI employee")
            for label in conversation.label_uuids:
                check.refers(where, label, labels, "label")
            for message in conversation.messages:
                check.refers(f"{where}: message {message.uuid}", message.conversation_uuid, {uuid}, "conversation")
        for schedule in business.schedules:
            check.refers(
                f"{at}: schedule {schedule.uuid}", schedule.conversation_uuid, business.conversations, "conversation"
            )
    return check.problems
