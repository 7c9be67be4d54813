"""What a restored CRM inbox store must hold together (`ApiBinding.check_state`): a member's orgs, a thread's org
and contact, an activity's thread and a queued lead's thread and contact all exist."""

from __future__ import annotations

from mock_server.apis.crminbox.state import CrmStore
from mock_server.engine.consistency import StateCheck

__all__ = ["check_state"]


def check_state(store: CrmStore) -> list[str]:
    check = StateCheck()
    check.keyed("users", store.users, lambda user: user.id)
    check.keyed("orgs", store.orgs, lambda org: org.id)
    for user_id, user in store.users.items():
        for membership in user.memberships:
            check.refers(f"user {user_id}", membership.org_id, store.orgs, "org")
    for org_id, org in store.orgs.items():
        at = f"org {org_id}"
        check.refers(at, org.parent_id, store.orgs, "parent org")
        check.keyed(f"{at}: contacts", org.contacts, lambda contact: contact.id)
        check.keyed(f"{at}: conversations", org.conversations, lambda conversation: conversation.id)
        for conversation_id, conversation in org.conversations.items():
            where = f"{at}: conversation {conversation_id}"
            check.refers(where, conversation.org_id, {org_id}, "org")
            check.refers(where, conversation.contact_id, org.contacts, "contact")
            for activity in conversation.activities:
                check.refers(
                    f"{where}: activity {activity.id}", activity.conversation_id, {conversation_id}, "conversation"
                )
        for assignment_id, assignment in org.assignments.items():
            where = f"{at}: assignment {assignment_id}"
            check.refers(where, assignment.conversation_id, org.conversations, "conversation")
            check.refers(where, assignment.contact_id, org.contacts, "contact")
    return check.problems
