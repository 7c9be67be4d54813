"""CRM inbox state: star, read/unread, assign, archive, list filters, and the SLA on the mock clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.crminbox import (
    CRM_ALICE,
    CRM_ARCHIVED_THREAD,
    CRM_BOB,
    CRM_CALL_THREAD,
    CRM_CAROL,
    CRM_DAVE,
    CRM_EMAIL_THREAD,
    CRM_GLOBEX,
    CRM_GLOBEX_THREAD,
    CRM_THREAD,
    CrmClient,
)

START = "2026-01-15T15:00:00Z"


def thread(crm: CrmClient, conversation_id: str) -> dict[str, Any]:
    response = crm.get(f"/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def listed(crm: CrmClient, **filters: Any) -> list[dict[str, Any]]:
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items()}
    response = crm.get("/conversations", params={"limit": 100, **query})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"]) <= 100, "every match must fit on the page"
    return list(body["items"])


def ids(crm: CrmClient, **filters: Any) -> list[str]:
    return [c["id"] for c in listed(crm, **filters)]


def change(crm: CrmClient, method: str, conversation_id: str, action: str, body: Any = None) -> dict[str, Any]:
    response = crm.request(method, f"/conversations/{conversation_id}/{action}", json=body)
    assert response.status_code == 200, response.text
    answered = dict(response.json())
    assert answered == thread(crm, conversation_id)  # the answer is the thread as it now is
    return answered


def overdue_count(crm: CrmClient) -> int:
    response = crm.get("/conversations/overdue/count")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"count"}
    return int(response.json()["count"])


# -- the list --------------------------------------------------------------------------------------------------------


def test_the_default_list_is_newest_first_and_hides_archived(crm: CrmClient) -> None:
    items = listed(crm)
    times = [c["last_activity_at"] for c in items]
    assert times == sorted(times, reverse=True)
    assert all(c["archived"] is False for c in items)
    assert CRM_THREAD in [c["id"] for c in items] and CRM_ARCHIVED_THREAD not in [c["id"] for c in items]


def test_list_paging_counts_every_match(crm: CrmClient) -> None:
    everything = ids(crm)
    page = crm.get("/conversations", params={"limit": 5, "offset": 5}).json()
    assert (page["total"], page["limit"], page["offset"]) == (len(everything), 5, 5)
    assert [c["id"] for c in page["items"]] == everything[5:10]


def test_channel_filters(crm: CrmClient) -> None:
    emails = listed(crm, channel="email")
    assert emails and all(c["channel"] == "email" for c in emails)
    assert CRM_EMAIL_THREAD in [c["id"] for c in emails] and CRM_THREAD not in [c["id"] for c in emails]
    calls = ids(crm, channel="call")
    assert CRM_CALL_THREAD in calls and CRM_EMAIL_THREAD not in calls
    by_channel = sum(len(ids(crm, channel=ch)) for ch in ("sms", "email", "call", "note"))
    assert by_channel == len(ids(crm))


# -- star ------------------------------------------------------------------------------------------------------------


def test_star_and_unstar(crm: CrmClient) -> None:
    assert thread(crm, CRM_CALL_THREAD)["starred"] is False
    assert CRM_CALL_THREAD not in ids(crm, starred=True)
    starred = change(crm, "POST", CRM_CALL_THREAD, "star")
    assert starred["starred"] is True and starred["updated_at"] == START
    assert CRM_CALL_THREAD in ids(crm, starred=True) and CRM_CALL_THREAD not in ids(crm, starred=False)
    assert change(crm, "POST", CRM_CALL_THREAD, "star")["starred"] is True  # again: no change, 200
    assert crm.as_(CRM_BOB).get(f"/conversations/{CRM_CALL_THREAD}").json()["starred"] is True  # the thread's star
    assert change(crm, "DELETE", CRM_CALL_THREAD, "star")["starred"] is False
    assert CRM_CALL_THREAD not in ids(crm, starred=True) and CRM_CALL_THREAD in ids(crm, starred=False)
    assert change(crm, "DELETE", CRM_CALL_THREAD, "star")["starred"] is False
    assert all(c["starred"] for c in listed(crm, starred=True))


# -- read / unread ---------------------------------------------------------------------------------------------------


def test_read_clears_unread_but_not_the_sla(crm: CrmClient) -> None:
    assert thread(crm, CRM_THREAD)["unread_count"] == 1
    assert CRM_THREAD in ids(crm, unread=True)
    read = change(crm, "POST", CRM_THREAD, "read")
    assert read["unread_count"] == 0
    assert read["overdue"] is True and read["awaiting_reply_since"] == "2026-01-15T13:00:00Z"
    assert CRM_THREAD not in ids(crm, unread=True) and CRM_THREAD in ids(crm, unread=False)
    assert all(c["unread_count"] > 0 for c in listed(crm, unread=True))


def test_unread_makes_a_read_thread_unread(crm: CrmClient) -> None:
    assert thread(crm, CRM_EMAIL_THREAD)["unread_count"] == 0
    assert change(crm, "POST", CRM_EMAIL_THREAD, "unread")["unread_count"] == 1
    assert CRM_EMAIL_THREAD in ids(crm, unread=True)


def test_unread_keeps_a_higher_count(crm: CrmClient) -> None:
    crm.inbound("Are you there?", conversation=CRM_THREAD, channel="sms")
    assert thread(crm, CRM_THREAD)["unread_count"] == 2
    assert change(crm, "POST", CRM_THREAD, "unread")["unread_count"] == 2


# -- assign ----------------------------------------------------------------------------------------------------------


def test_assign_to_a_member_shows_in_their_scope_mine(crm: CrmClient) -> None:
    bob = crm.as_(CRM_BOB)
    assert thread(crm, CRM_CALL_THREAD)["assigned_to"] is None
    assert CRM_CALL_THREAD not in ids(bob, scope="mine")
    assigned = change(crm, "POST", CRM_CALL_THREAD, "assign", {"assigned_to": CRM_BOB})
    assert assigned["assigned_to"] == CRM_BOB and assigned["updated_at"] == START
    bobs = listed(bob, scope="mine")
    assert CRM_CALL_THREAD in [c["id"] for c in bobs] and all(c["assigned_to"] == CRM_BOB for c in bobs)
    alices = ids(crm, scope="mine")
    assert CRM_THREAD in alices and CRM_CALL_THREAD not in alices
    assert CRM_CALL_THREAD in ids(crm, scope="team") and CRM_CALL_THREAD in ids(crm)


def test_a_member_of_both_orgs_can_be_assigned(crm: CrmClient) -> None:
    assert change(crm, "POST", CRM_CALL_THREAD, "assign", {"assigned_to": CRM_DAVE})["assigned_to"] == CRM_DAVE
    assert CRM_CALL_THREAD in ids(crm.as_(CRM_DAVE), scope="mine")
    assert CRM_CALL_THREAD not in ids(crm.as_(CRM_DAVE, CRM_GLOBEX), scope="mine")


@pytest.mark.parametrize("assignee", [CRM_CAROL, "9e8d7c6b-5a49-4382-a716-5f4e3d2c1bff"])
def test_assign_to_a_non_member_is_422_and_changes_nothing(crm: CrmClient, assignee: str) -> None:
    before = crm.state()
    response = crm.post(f"/conversations/{CRM_THREAD}/assign", json={"assigned_to": assignee})
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert (item["type"], item["loc"]) == ("value_error", ["body", "assigned_to"])
    assert item["msg"] == "Value error, user is not a member of this organization"
    assert item["input"] == assignee
    assert crm.state() == before
    assert thread(crm, CRM_THREAD)["assigned_to"] == CRM_ALICE


def test_null_unassigns(crm: CrmClient) -> None:
    assert CRM_THREAD in ids(crm, scope="mine")
    unassigned = change(crm, "POST", CRM_THREAD, "assign", {"assigned_to": None})
    assert unassigned["assigned_to"] is None
    assert CRM_THREAD not in ids(crm, scope="mine") and CRM_THREAD in ids(crm)


# -- archive ---------------------------------------------------------------------------------------------------------


def test_archive_and_unarchive(crm: CrmClient) -> None:
    before = thread(crm, CRM_THREAD)
    archived = change(crm, "POST", CRM_THREAD, "archive", {"archived": True})
    assert archived["archived"] is True
    keep = ("starred", "assigned_to", "unread_count", "overdue", "awaiting_reply_since", "sla_due_at")
    assert {k: archived[k] for k in keep} == {k: before[k] for k in keep}
    assert CRM_THREAD not in ids(crm) and CRM_THREAD not in ids(crm, archived=False)
    in_archive = listed(crm, archived=True)
    assert {CRM_THREAD, CRM_ARCHIVED_THREAD} <= {c["id"] for c in in_archive}
    assert all(c["archived"] for c in in_archive)
    assert CRM_THREAD not in ids(crm, scope="mine") and CRM_THREAD not in ids(crm, overdue=True)
    unarchived = change(crm, "POST", CRM_THREAD, "archive", {"archived": False})
    assert unarchived["archived"] is False
    assert CRM_THREAD in ids(crm) and CRM_THREAD not in ids(crm, archived=True)


def test_unarchive_a_seeded_archived_thread(crm: CrmClient) -> None:
    assert CRM_ARCHIVED_THREAD not in ids(crm)
    change(crm, "POST", CRM_ARCHIVED_THREAD, "archive", {"archived": False})
    assert CRM_ARCHIVED_THREAD in ids(crm)


# -- SLA -------------------------------------------------------------------------------------------------------------


def test_the_sla(crm: CrmClient) -> None:
    response = crm.get("/conversations/sla")
    assert response.status_code == 200
    assert response.json() == {
        "enabled": True,
        "first_response_minutes": 60,
        "business_hours": None,
        "timezone": "America/New_York",
    }


def test_globex_sla_is_30_minutes(crm: CrmClient) -> None:
    globex = crm.as_(CRM_DAVE, CRM_GLOBEX)
    assert globex.get("/conversations/sla").json() == {
        "enabled": True,
        "first_response_minutes": 30,
        "business_hours": None,
        "timezone": "America/Chicago",
    }
    sam = thread(globex, CRM_GLOBEX_THREAD)  # an SMS 45 minutes old
    assert sam["awaiting_reply_since"] == "2026-01-15T14:15:00Z"
    assert sam["sla_due_at"] == "2026-01-15T14:45:00Z" and sam["overdue"] is True


def test_overdue_count_equals_the_overdue_list(crm: CrmClient) -> None:
    overdue = listed(crm, overdue=True)
    assert overdue_count(crm) == len(overdue) > 0
    assert all(c["overdue"] and c["sla_due_at"] < START for c in overdue)
    assert CRM_THREAD in [c["id"] for c in overdue] and CRM_CALL_THREAD not in [c["id"] for c in overdue]
    not_overdue = listed(crm, overdue=False)
    assert all(not c["overdue"] for c in not_overdue)
    assert len(overdue) + len(not_overdue) == len(listed(crm))
    globex = crm.as_(CRM_DAVE, CRM_GLOBEX)
    assert overdue_count(globex) == len(listed(globex, overdue=True))


def test_a_thread_becomes_overdue_on_the_clock_and_a_reply_clears_it(crm: CrmClient) -> None:
    call = thread(crm, CRM_CALL_THREAD)
    assert (call["overdue"], call["awaiting_reply_since"], call["sla_due_at"]) == (
        False,
        "2026-01-15T14:30:00Z",
        "2026-01-15T15:30:00Z",
    )
    count = overdue_count(crm)
    crm.advance("31m")
    assert thread(crm, CRM_CALL_THREAD)["overdue"] is True
    assert CRM_CALL_THREAD in ids(crm, overdue=True)
    assert overdue_count(crm) == count + 1 == len(ids(crm, overdue=True))
    reply = crm.post(f"/conversations/{CRM_CALL_THREAD}/messages", json={"channel": "sms", "body": "Friday works!"})
    assert reply.status_code == 201, reply.text
    answered = thread(crm, CRM_CALL_THREAD)
    assert (answered["overdue"], answered["awaiting_reply_since"], answered["sla_due_at"]) == (False, None, None)
    assert CRM_CALL_THREAD not in ids(crm, overdue=True)
    assert overdue_count(crm) == count == len(ids(crm, overdue=True))


def test_overdue_starts_only_past_the_due_time(crm: CrmClient) -> None:
    crm.advance("30m")  # exactly at sla_due_at: not yet past it
    assert thread(crm, CRM_CALL_THREAD)["overdue"] is False
    crm.advance("1s")
    assert thread(crm, CRM_CALL_THREAD)["overdue"] is True


def test_a_note_does_not_answer_the_sla(crm: CrmClient) -> None:
    crm.inbound("Called back, no answer.", conversation=CRM_THREAD, channel="note")
    conversation = thread(crm, CRM_THREAD)
    assert conversation["overdue"] is True and conversation["awaiting_reply_since"] == "2026-01-15T13:00:00Z"


def test_a_new_inbound_message_starts_the_sla(crm: CrmClient) -> None:
    before = overdue_count(crm)
    crm.inbound(
        "Thanks! One more question.", conversation=CRM_EMAIL_THREAD, channel="email", subject="Re: Offer on 12 Oak Lane"
    )
    email = thread(crm, CRM_EMAIL_THREAD)
    assert (email["awaiting_reply_since"], email["sla_due_at"], email["overdue"]) == (
        START,
        "2026-01-15T16:00:00Z",
        False,
    )
    crm.advance("61m")
    assert thread(crm, CRM_EMAIL_THREAD)["overdue"] is True
    assert CRM_EMAIL_THREAD in ids(crm, overdue=True)
    assert overdue_count(crm) >= before + 1
