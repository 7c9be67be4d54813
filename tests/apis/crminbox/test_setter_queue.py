"""The setter work queue over HTTP (Iron's `/api/v1/setter/...`, convomock design on the page's endpoint list): the
seeded assignments, the queue's filters, order and paging, counts, claim / claim-next / release / disposition /
assign with their 403, 404, 409 and 422 (each refusal leaves the queue as it was), the follow-up a disposition
queues, the stats and the leaderboard, and where assignments come from: a customer message (webhook or control
inbound) in an org whose setter is not off, one open assignment per thread."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_ARCHIVED_THREAD,
    CRM_BOB,
    CRM_CALL_THREAD,
    CRM_CAROL,
    CRM_DAVE,
    CRM_EMAIL_THREAD,
    CRM_ERIN,
    CRM_GLOBEX,
    CRM_LAKESIDE,
    CRM_LAKESIDE_THREAD,
    CRM_MARIA,
    CRM_NINA,
    CRM_SECRET,
    CRM_THREAD,
    CRM_TOM,
    CrmClient,
)

ALICES = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a01"  # Acme, Maria's thread, claimed by Alice (the spec's example)
CLAIMED = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a02"  # Acme, Tom's thread, claimed by Bob
COMPLETED = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a03"  # Acme, the archived thread, booked by Alice
LAKESIDE_QUEUED = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6d01"
UNKNOWN = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6fff"
PRIYA = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e03"  # Acme, the call thread's contact: no assignment yet
PRIYA_PHONE = "+15551230003"
SAM_PHONE = "+15552340001"  # Globex's contact (setter off)
START = "2026-01-15T15:00:00Z"  # the frozen mock clock
STATES = ("queued", "claimed", "completed")
OUTCOMES = ("booked", "quoted", "not_interested", "no_answer", "follow_up", "disqualified")
NOT_FOUND = {"detail": "Assignment not found"}


# -- helpers -------------------------------------------------------------------------------------------------------


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def queue(crm: CrmClient, **params: Any) -> dict[str, Any]:
    return dict(ok(crm.get("/setter/queue", params=params)))


def ids(crm: CrmClient, **params: Any) -> list[str]:
    return [item["id"] for item in queue(crm, limit=100, **params)["items"]]


def get(crm: CrmClient, assignment_id: str) -> dict[str, Any]:
    return dict(ok(crm.get(f"/setter/assignments/{assignment_id}")))


def act(crm: CrmClient, action: str, assignment_id: str, body: Any = None) -> httpx.Response:
    return crm.post(f"/setter/assignments/{assignment_id}/{action}", json=body)


def everything(crm: CrmClient) -> dict[str, Any]:
    """What the queue holds, as the owner reads it: every state, the counts, the stats, the leaderboard."""
    return {
        **{state: queue(crm, state=state, limit=100) for state in STATES},
        "counts": ok(crm.get("/setter/queue/counts")),
        "stats": ok(crm.get("/setter/stats")),
        "leaderboard": ok(crm.get("/setter/leaderboard")),
    }


def refused(crm: CrmClient, response: httpx.Response, status: int, body: Any, before: dict[str, Any]) -> None:
    assert response.status_code == status, response.text
    assert response.json() == body
    assert everything(crm) == before, "a refusal changed the queue"


def pending_draft(crm: CrmClient, conversation_id: str) -> str:
    items = ok(crm.get(f"/conversations/{conversation_id}/messages", params={"limit": 100}))["items"]
    found = [m["id"] for m in items if m["type"] == "suggestion" and m["status"] == "pending"]
    assert len(found) == 1, items
    return str(found[0])


def inbound_sms(crm: CrmClient, org: str, sender: str, text: str, message_id: str) -> dict[str, Any]:
    response = crm.http.post(
        "/crm-inbox/api/v1/webhooks/inbound-sms",
        headers={"X-Iron-CRM-Secret": CRM_SECRET},
        json={"org_id": org, "from": sender, "body": text, "provider_message_id": message_id},
    )
    return dict(ok(response))


def of_thread(crm: CrmClient, conversation_id: str, **params: Any) -> list[dict[str, Any]]:
    return [a for a in queue(crm, limit=100, **params)["items"] if a["conversation_id"] == conversation_id]


# -- the seed, the list, the counts ----------------------------------------------------------------------------


def test_the_seeded_queue_lists_the_open_assignments_due_first(crm: CrmClient) -> None:
    page = queue(crm)
    assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
    claimed, alices = page["items"]
    assert claimed == {
        "id": CLAIMED,
        "org_id": CRM_ACME,
        "conversation_id": CRM_EMAIL_THREAD,
        "contact_id": CRM_TOM,
        "state": "claimed",
        "reason": "first_touch",
        "assigned_to": None,
        "claimed_by": CRM_BOB,
        "claimed_at": "2026-01-14T18:00:00Z",
        "suggestion_id": None,
        "disposition": None,
        "due_at": "2026-01-14T15:00:00Z",
        "last_inbound_at": "2026-01-14T15:00:00Z",
        "created_at": "2026-01-14T15:00:00Z",
        "updated_at": "2026-01-14T18:00:00Z",
    }
    assert (alices["id"], alices["state"], alices["claimed_by"]) == (ALICES, "claimed", CRM_ALICE)
    assert (alices["conversation_id"], alices["contact_id"]) == (CRM_THREAD, CRM_MARIA)
    assert alices["suggestion_id"] == pending_draft(crm, CRM_THREAD)
    assert (alices["due_at"], alices["created_at"]) == ("2026-01-15T13:00:00Z", "2026-01-15T13:00:00Z")
    assert (alices["claimed_at"], alices["updated_at"]) == ("2026-01-15T14:00:00Z", "2026-01-15T14:00:00Z")
    assert get(crm, ALICES) == alices


def test_a_completed_assignment_carries_its_disposition(crm: CrmClient) -> None:
    page = queue(crm, state="completed")
    assert page["total"] == 1
    [done] = page["items"]
    assert (done["id"], done["conversation_id"], done["claimed_by"]) == (COMPLETED, CRM_ARCHIVED_THREAD, CRM_ALICE)
    assert done["disposition"] == {
        "outcome": "booked",
        "note": "Viewing booked for Saturday.",
        "by": CRM_ALICE,
        "at": "2026-01-05T15:00:00Z",
    }
    assert done["suggestion_id"] is None


def test_state_mine_and_paging_filter_the_queue(crm: CrmClient) -> None:
    assert ids(crm, state="queued") == []
    assert ids(crm, state="claimed") == [CLAIMED, ALICES]
    assert ids(crm.as_(CRM_BOB), mine="true") == [CLAIMED]
    assert ids(crm, mine="true") == [ALICES]  # her completed one is not open
    assert ids(crm, mine="true", state="completed") == [COMPLETED]
    assert ids(crm, mine="false") == [CLAIMED, ALICES]
    second = queue(crm, limit=1, offset=1)
    assert ([a["id"] for a in second["items"]], second["total"], second["limit"]) == ([ALICES], 2, 1)
    assert queue(crm, offset=5)["items"] == []


def test_bad_filters_are_pydantic_422s(crm: CrmClient) -> None:
    response = crm.get("/setter/queue", params={"state": "open"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "state"]
    assert response.json()["detail"][0]["type"] == "enum"
    assert crm.get("/setter/queue", params={"limit": 0}).status_code == 422


def test_counts_by_state_per_org(crm: CrmClient) -> None:
    assert ok(crm.get("/setter/queue/counts")) == {"queued": 0, "claimed": 2, "completed": 1}
    lakeside = crm.as_(CRM_ALICE, CRM_LAKESIDE)
    assert ok(lakeside.get("/setter/queue/counts")) == {"queued": 1, "claimed": 0, "completed": 0}
    assert ids(lakeside) == [LAKESIDE_QUEUED]
    assert ids(crm.as_(CRM_ERIN, CRM_LAKESIDE)) == [LAKESIDE_QUEUED]  # a client member sees its org's queue
    assert get(lakeside, LAKESIDE_QUEUED)["suggestion_id"] == pending_draft(lakeside, CRM_LAKESIDE_THREAD)
    globex = crm.as_(CRM_CAROL, CRM_GLOBEX)
    assert ok(globex.get("/setter/queue/counts")) == {"queued": 0, "claimed": 0, "completed": 0}
    assert queue(globex)["items"] == []


# -- by id: other orgs' assignments are not found ------------------------------------------------------------------


def test_another_orgs_assignment_is_not_found(crm: CrmClient) -> None:
    carol = crm.as_(CRM_CAROL, CRM_GLOBEX)
    before = everything(crm)
    for action, body in (("claim", None), ("release", None), ("disposition", {"outcome": "booked"})):
        refused(crm, act(carol, action, CLAIMED, body), 404, NOT_FOUND, before)
    refused(crm, act(carol, "assign", ALICES, {"assigned_to": None}), 404, NOT_FOUND, before)
    response = carol.get(f"/setter/assignments/{ALICES}")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    # a parent's assignment from its subaccount, and the subaccount's from the parent: org-scoped both ways
    assert crm.as_(CRM_ALICE, CRM_LAKESIDE).get(f"/setter/assignments/{ALICES}").json() == NOT_FOUND
    assert crm.get(f"/setter/assignments/{LAKESIDE_QUEUED}").json() == NOT_FOUND
    assert crm.get(f"/setter/assignments/{UNKNOWN}").json() == NOT_FOUND


def test_a_non_member_org_and_a_malformed_id_are_refused(crm: CrmClient) -> None:
    response = crm.as_(CRM_CAROL, CRM_ACME).get("/setter/queue")
    assert (response.status_code, response.json()) == (403, {"detail": "Not a member of this organization"})
    response = crm.get("/setter/assignments/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "uuid_parsing"


# -- claim, claim-next, release -------------------------------------------------------------------------------------


def test_claim_takes_a_queued_assignment_once(crm: CrmClient) -> None:
    ok(act(crm, "release", ALICES))  # Alice's seeded claim back in the queue
    claimed = ok(act(crm, "claim", ALICES))
    assert (claimed["state"], claimed["claimed_by"], claimed["claimed_at"]) == ("claimed", CRM_ALICE, START)
    assert claimed["updated_at"] == START
    assert ok(act(crm, "claim", ALICES)) == claimed  # idempotent for its claimer
    assert get(crm, ALICES) == claimed
    assert ok(crm.get("/setter/queue/counts")) == {"queued": 0, "claimed": 2, "completed": 1}


def test_claim_refusals_are_409s_that_change_nothing(crm: CrmClient) -> None:
    before = everything(crm)
    refused(crm, act(crm, "claim", CLAIMED), 409, {"detail": "Assignment already claimed"}, before)
    refused(crm, act(crm, "claim", COMPLETED), 409, {"detail": "Assignment already completed"}, before)
    refused(crm, act(crm, "claim", UNKNOWN), 404, NOT_FOUND, before)


def test_claim_next_takes_the_first_unassigned_or_own_then_204(crm: CrmClient) -> None:
    bob = crm.as_(CRM_BOB)
    ok(act(crm, "release", ALICES))
    ok(act(crm, "assign", ALICES, {"assigned_to": CRM_BOB}))
    before = everything(crm)
    response = crm.post("/setter/claim-next")  # the only queued one is Bob's: nothing for Alice
    assert response.status_code == 204, response.text
    assert everything(crm) == before
    taken = ok(bob.post("/setter/claim-next"))
    assert (taken["id"], taken["state"], taken["claimed_by"], taken["assigned_to"]) == (
        ALICES,
        "claimed",
        CRM_BOB,
        CRM_BOB,
    )
    assert bob.post("/setter/claim-next").status_code == 204
    assert ok(crm.get("/setter/queue/counts")) == {"queued": 0, "claimed": 2, "completed": 1}


def test_claim_next_goes_in_queue_order(crm: CrmClient) -> None:
    assert crm.post("/setter/claim-next").status_code == 204  # the seed's two are claimed
    ok(act(crm, "release", ALICES))
    ok(act(crm.as_(CRM_BOB), "release", CLAIMED))  # Tom's, due a day ago, is back before Maria's
    first = ok(crm.post("/setter/claim-next"))
    second = ok(crm.post("/setter/claim-next"))
    assert [first["id"], second["id"]] == [CLAIMED, ALICES]
    assert {first["claimed_by"], second["claimed_by"]} == {CRM_ALICE}
    assert crm.post("/setter/claim-next").status_code == 204


def test_release_by_its_claimer_or_a_manager(crm: CrmClient) -> None:
    bob = crm.as_(CRM_BOB)
    released = ok(act(bob, "release", CLAIMED))
    assert (released["state"], released["claimed_by"], released["claimed_at"]) == ("queued", None, None)
    assert released["updated_at"] == START
    assert ids(crm, state="queued") == [CLAIMED]
    released = ok(act(crm, "release", ALICES))  # her own
    assert (released["state"], released["claimed_by"]) == ("queued", None)
    assert ids(crm, state="queued") == [CLAIMED, ALICES]
    ok(act(bob, "claim", CLAIMED))
    released = ok(act(crm, "release", CLAIMED))  # Alice owns Acme: she may release Bob's claim
    assert released["state"] == "queued"


def test_release_refusals_change_nothing(crm: CrmClient) -> None:
    dave = crm.as_(CRM_DAVE, CRM_ACME)  # a plain member of Acme
    another_members = {"detail": "Assignment is claimed by another member"}
    before = everything(crm)
    refused(crm, act(dave, "release", CLAIMED), 403, another_members, before)
    refused(crm, act(dave, "release", ALICES), 403, another_members, before)
    ok(act(crm, "release", ALICES))  # queued now
    before = everything(crm)
    refused(crm, act(crm, "release", ALICES), 409, {"detail": "Assignment is not claimed"}, before)
    refused(crm, act(crm, "release", COMPLETED), 409, {"detail": "Assignment already completed"}, before)


# -- disposition ----------------------------------------------------------------------------------------------------


def test_disposition_completes_the_callers_claim(crm: CrmClient) -> None:
    bob = crm.as_(CRM_BOB)
    done = ok(act(bob, "disposition", CLAIMED, {"outcome": "quoted", "note": "Sent the quote."}))
    assert done["state"] == "completed" and done["claimed_by"] == CRM_BOB
    assert done["disposition"] == {"outcome": "quoted", "note": "Sent the quote.", "by": CRM_BOB, "at": START}
    assert done["updated_at"] == START
    assert ids(crm, state="completed") == [COMPLETED, CLAIMED]
    assert ok(crm.get("/setter/queue/counts")) == {"queued": 0, "claimed": 1, "completed": 2}
    assert ids(crm) == [ALICES]  # no follow-up for a quote


def test_disposition_refusals_change_nothing(crm: CrmClient) -> None:
    ok(act(crm, "release", ALICES))  # queued now
    before = everything(crm)
    booked = {"outcome": "booked"}
    refused(crm, act(crm, "disposition", CLAIMED, booked), 409, {"detail": "Assignment already claimed"}, before)
    refused(crm, act(crm, "disposition", ALICES, booked), 409, {"detail": "Assignment is not claimed"}, before)
    refused(crm, act(crm, "disposition", COMPLETED, booked), 409, {"detail": "Assignment already completed"}, before)
    bob = crm.as_(CRM_BOB)
    body_rules: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (
            {"outcome": "follow_up"},
            {"type": "missing", "loc": ["body", "follow_up_at"], "msg": "Field required", "input": None},
        ),
        (
            {"outcome": "booked", "follow_up_at": "2026-01-20T10:00:00Z"},
            {
                "type": "value_error",
                "loc": ["body", "follow_up_at"],
                "msg": "Value error, follow_up_at is only allowed with outcome follow_up",
                "input": "2026-01-20T10:00:00Z",
            },
        ),
        (
            {"outcome": "follow_up", "follow_up_at": "2026-01-15T14:59:59Z"},
            {
                "type": "value_error",
                "loc": ["body", "follow_up_at"],
                "msg": "Value error, follow_up_at must be in the future",
                "input": "2026-01-15T14:59:59Z",
            },
        ),
        (
            {"outcome": "booked", "priority": "high"},
            {
                "type": "extra_forbidden",
                "loc": ["body", "priority"],
                "msg": "Extra inputs are not permitted",
                "input": "high",
            },
        ),
    ]
    for body, issue in body_rules:
        refused(crm, act(bob, "disposition", CLAIMED, body), 422, {"detail": [issue]}, before)
    response = act(bob, "disposition", CLAIMED, {"outcome": "sold"})
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "enum"
    assert everything(crm) == before


def test_a_follow_up_queues_the_next_assignment_due_then(crm: CrmClient) -> None:
    bob = crm.as_(CRM_BOB)
    ok(act(crm, "assign", CLAIMED, {"assigned_to": CRM_BOB}))
    done = ok(act(bob, "disposition", CLAIMED, {"outcome": "follow_up", "follow_up_at": "2026-01-22T09:30:00Z"}))
    assert done["disposition"]["outcome"] == "follow_up" and done["state"] == "completed"
    [follow_up] = of_thread(crm, CRM_EMAIL_THREAD)
    assert follow_up["id"] not in (CLAIMED, ALICES, COMPLETED)
    assert (follow_up["state"], follow_up["reason"], follow_up["due_at"]) == (
        "queued",
        "follow_up",
        "2026-01-22T09:30:00Z",
    )
    assert (follow_up["assigned_to"], follow_up["claimed_by"], follow_up["contact_id"]) == (CRM_BOB, None, CRM_TOM)
    assert (follow_up["created_at"], follow_up["disposition"]) == (START, None)
    assert ids(crm) == [ALICES, follow_up["id"]]  # due next week: after Maria's
    assert ids(bob, mine="true") == [follow_up["id"]]
    assert ok(crm.get("/setter/queue/counts")) == {"queued": 1, "claimed": 1, "completed": 2}
    assert ok(crm.get("/setter/stats"))["dispositions"]["follow_up"] == 1


# -- assign ---------------------------------------------------------------------------------------------------------


def test_assign_sets_and_clears_the_assignee(crm: CrmClient) -> None:
    assigned = ok(act(crm, "assign", ALICES, {"assigned_to": CRM_BOB.upper()}))
    assert (assigned["assigned_to"], assigned["state"], assigned["updated_at"]) == (CRM_BOB, "claimed", START)
    assert assigned["claimed_by"] == CRM_ALICE  # assigning is separate from claiming
    assert ids(crm.as_(CRM_BOB), mine="true") == [CLAIMED, ALICES]
    kept = ok(act(crm, "assign", CLAIMED, {"assigned_to": CRM_DAVE}))
    assert (kept["assigned_to"], kept["claimed_by"]) == (CRM_DAVE, CRM_BOB)  # claiming is separate
    assert ok(act(crm, "assign", ALICES, {"assigned_to": None}))["assigned_to"] is None


def test_assign_refusals_change_nothing(crm: CrmClient) -> None:
    before = everything(crm)
    for outsider in (CRM_CAROL, UNKNOWN):
        issue = {
            "type": "value_error",
            "loc": ["body", "assigned_to"],
            "msg": "Value error, user is not a member of this organization",
            "input": outsider,
        }
        refused(crm, act(crm, "assign", ALICES, {"assigned_to": outsider}), 422, {"detail": [issue]}, before)
    completed = {"detail": "Assignment already completed"}
    refused(crm, act(crm, "assign", COMPLETED, {"assigned_to": CRM_BOB}), 409, completed, before)
    refused(crm, act(crm, "assign", UNKNOWN, {"assigned_to": CRM_CAROL}), 404, NOT_FOUND, before)
    response = act(crm, "assign", ALICES, {"assigned_to": CRM_BOB, "note": "x"})
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "extra_forbidden"
    assert everything(crm) == before


# -- stats and leaderboard ------------------------------------------------------------------------------------------


def test_stats_count_assignments_dispositions_drafts_and_pairs(crm: CrmClient) -> None:
    assert ok(crm.get("/setter/stats")) == {
        "assignments": {"queued": 0, "claimed": 2, "completed": 1},
        "dispositions": {**dict.fromkeys(OUTCOMES, 0), "booked": 1},
        "suggestions": {"pending": 1, "sent": 0, "dismissed": 0, "superseded": 0},
        "training_pairs": {"accepted": 0, "edited": 0},
    }
    ok(crm.post(f"/conversations/{CRM_THREAD}/messages", json={"channel": "sms", "body": "Yes! Saturday?"}), 201)
    ok(act(crm.as_(CRM_BOB), "disposition", CLAIMED, {"outcome": "no_answer"}))
    stats = ok(crm.get("/setter/stats"))
    assert stats["suggestions"] == {"pending": 0, "sent": 0, "dismissed": 0, "superseded": 1}
    assert stats["training_pairs"] == {"accepted": 0, "edited": 1}
    assert stats["dispositions"]["no_answer"] == 1 and stats["assignments"]["completed"] == 2
    globex = ok(crm.as_(CRM_CAROL, CRM_GLOBEX).get("/setter/stats"))
    assert globex["assignments"] == {"queued": 0, "claimed": 0, "completed": 0}
    assert sum(globex["dispositions"].values()) == 0


def test_the_leaderboard_ranks_booked_then_dispositions_then_name(crm: CrmClient) -> None:
    def board() -> list[tuple[str, str, int, int, int]]:
        items = ok(crm.get("/setter/leaderboard"))["items"]
        return [(i["user_id"], i["name"], i["dispositions"], i["booked"], i["quoted"]) for i in items]

    assert board() == [
        (CRM_ALICE, "Alice Moreno", 1, 1, 0),
        (CRM_BOB, "Bob Chen", 0, 0, 0),
        (CRM_DAVE, "Dave Okafor", 0, 0, 0),
    ]
    bob = crm.as_(CRM_BOB)
    ok(act(bob, "disposition", CLAIMED, {"outcome": "booked"}))  # Bob: 1 booked, like Alice; tie → name
    assert [row[0] for row in board()] == [CRM_ALICE, CRM_BOB, CRM_DAVE]
    ok(act(crm, "release", ALICES))
    ok(act(bob, "claim", ALICES))
    ok(act(bob, "disposition", ALICES, {"outcome": "quoted"}))  # Bob: 1 booked, 2 dispositions: ahead of Alice
    assert board() == [
        (CRM_BOB, "Bob Chen", 2, 1, 1),
        (CRM_ALICE, "Alice Moreno", 1, 1, 0),
        (CRM_DAVE, "Dave Okafor", 0, 0, 0),
    ]
    lakeside = ok(crm.as_(CRM_ERIN, CRM_LAKESIDE).get("/setter/leaderboard"))["items"]
    assert [(i["name"], i["dispositions"]) for i in lakeside] == [("Alice Moreno", 0), ("Erin Walsh", 0)]


# -- where assignments come from ------------------------------------------------------------------------------------


def test_a_webhook_sms_queues_the_thread_once(crm: CrmClient) -> None:
    assert of_thread(crm, CRM_CALL_THREAD, state="completed") == [] and of_thread(crm, CRM_CALL_THREAD) == []
    receipt = inbound_sms(crm, CRM_ACME, PRIYA_PHONE, "Can we do Friday at 3?", "SMQ001")
    assert receipt["conversation_id"] == CRM_CALL_THREAD
    [created] = of_thread(crm, CRM_CALL_THREAD)
    assert (created["state"], created["reason"], created["contact_id"]) == ("queued", "first_touch", PRIYA)
    assert (created["due_at"], created["created_at"], created["last_inbound_at"]) == (START, START, START)
    assert created["suggestion_id"] == pending_draft(crm, CRM_CALL_THREAD)
    assert created["claimed_by"] is None and created["assigned_to"] is None
    assert ok(crm.get("/setter/queue/counts"))["queued"] == 1

    crm.mock.clock.advance("10m")
    inbound_sms(crm, CRM_ACME, PRIYA_PHONE, "Or Saturday morning?", "SMQ002")
    [updated] = of_thread(crm, CRM_CALL_THREAD)
    assert updated["id"] == created["id"]
    assert updated["suggestion_id"] == pending_draft(crm, CRM_CALL_THREAD) != created["suggestion_id"]
    assert (updated["updated_at"], updated["last_inbound_at"]) == ("2026-01-15T15:10:00Z", "2026-01-15T15:10:00Z")
    assert (updated["due_at"], updated["created_at"]) == (START, START)
    assert ok(crm.get("/setter/queue/counts"))["queued"] == 1

    before = everything(crm)
    duplicate = inbound_sms(crm, CRM_ACME, PRIYA_PHONE, "Or Saturday morning?", "SMQ002")
    assert duplicate["status"] == "duplicate"
    assert everything(crm) == before


def test_a_message_on_a_thread_with_an_open_assignment_updates_it(crm: CrmClient) -> None:
    ok(act(crm.as_(CRM_BOB), "release", CLAIMED))
    inbound_sms(crm, CRM_ACME, "+1 555 123 0001", "Also, is parking included?", "SMQ010")  # Maria
    [still] = of_thread(crm, CRM_THREAD)
    assert (still["id"], still["state"], still["claimed_by"]) == (ALICES, "claimed", CRM_ALICE)
    assert still["suggestion_id"] == pending_draft(crm, CRM_THREAD)
    assert ok(crm.get("/setter/queue/counts")) == {"queued": 1, "claimed": 1, "completed": 1}


def test_a_completed_thread_and_a_new_sender_get_new_assignments(crm: CrmClient) -> None:
    receipt = inbound_sms(crm, CRM_ACME, "+15551230004", "We are looking again, anything new?", "SMQ020")
    assert receipt["conversation_id"] == CRM_ARCHIVED_THREAD  # Luis: its assignment was completed
    [again] = of_thread(crm, CRM_ARCHIVED_THREAD)
    assert again["id"] != COMPLETED and again["state"] == "queued"
    stranger = inbound_sms(crm, CRM_ACME, "+15559870000", "Hi, who is this?", "SMQ021")
    assert stranger["contact_created"] is True
    [new] = of_thread(crm, stranger["conversation_id"])
    assert new["contact_id"] == stranger["contact_id"]
    assert ok(crm.get("/setter/queue/counts")) == {"queued": 2, "claimed": 2, "completed": 1}


def test_the_control_inbound_queues_the_thread_too(crm: CrmClient) -> None:
    landed = crm.inbound("Hello, is the Maple Street house available?", contact=CRM_NINA, channel="sms")
    [created] = of_thread(crm, landed["conversation_id"])
    assert created["suggestion_id"] == landed["suggestion"]["id"]
    crm.inbound("Internal: called back, no answer.", conversation=landed["conversation_id"], channel="note")
    assert len(of_thread(crm, landed["conversation_id"])) == 1  # a note is no customer message


def test_an_org_whose_setter_is_off_gets_no_assignment(crm: CrmClient) -> None:
    globex = crm.as_(CRM_CAROL, CRM_GLOBEX)
    receipt = inbound_sms(crm, CRM_GLOBEX, SAM_PHONE, "Is the loft still available?", "SMQ030")
    assert receipt["status"] == "received"
    assert ok(globex.get("/setter/queue/counts")) == {"queued": 0, "claimed": 0, "completed": 0}
    assert queue(globex, state="queued")["items"] == []
    ok(crm.put("/agents/setter/config", json={"response_mode": "off"}))  # Acme switched off too
    before = everything(crm)
    inbound_sms(crm, CRM_ACME, PRIYA_PHONE, "Hello?", "SMQ031")
    assert everything(crm) == before
