"""A property of the CRM inbox: whatever Alice and Bob do (star, read, archive, assign, reply, save views), whatever
customers write and however far the clock moves, `GET /conversations/views/counts` equals `GET /conversations` under
every view's filters, for each member, and `GET /conversations/overdue/count` equals `?overdue=true` — after every
single step. A fresh mock per Hypothesis example (function-scoped fixtures are not reset between examples)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.server import create_app
from tests.support.clients import in_process
from tests.support.crminbox import CRM_ACME, CRM_ALICE, CRM_BOB, CRM_NINA, CrmClient

MEMBERS = {"Alice": CRM_ALICE, "Bob": CRM_BOB}
ASSIGNEES = [CRM_ALICE, CRM_BOB, None]
OPERATIONS = ["star", "unstar", "read", "unread", "archive", "assign", "reply", "inbound", "advance", "save_view"]
FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "scope": st.sampled_from(["mine", "team"]),
        "archived": st.booleans(),
        "starred": st.booleans(),
        "unread": st.booleans(),
        "overdue": st.booleans(),
        "channel": st.sampled_from(["sms", "email", "call", "note"]),
    },
)
MAX_CUSTOM_VIEWS = 4


def view_params(filters: dict[str, Any]) -> dict[str, str]:
    return {k: ("true" if v else "false") if isinstance(v, bool) else str(v) for k, v in filters.items()}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def listed(crm: CrmClient, filters: dict[str, Any]) -> list[dict[str, Any]]:
    page = ok(crm.get("/conversations", params={**view_params(filters), "limit": 100}))
    assert page["total"] == len(page["items"]), "more than one page: raise the limit of this helper"
    return list(page["items"])


def assert_counts_agree(crm: CrmClient, who: str) -> None:
    views = ok(crm.get("/conversations/views"))["views"]
    counts = ok(crm.get("/conversations/views/counts"))["counts"]
    assert [(c["view_id"], c["name"]) for c in counts] == [(v["id"], v["name"]) for v in views], who
    for view, count in zip(views, counts, strict=True):
        items = listed(crm, view["filters"])
        expected = {"total": len(items), "unread": sum(1 for c in items if c["unread_count"] > 0)}
        assert {"total": count["total"], "unread": count["unread"]} == expected, (who, view)
    overdue = listed(crm, {"overdue": True})
    assert all(c["overdue"] for c in overdue)
    assert ok(crm.get("/conversations/overdue/count")) == {"count": len(overdue)}, who


def conversation_ids(crm: CrmClient) -> list[str]:
    return sorted(c["id"] for archived in (True, False) for c in listed(crm, {"archived": archived}))


def channels_of(contact: dict[str, Any]) -> list[str]:
    return [channel for channel, field in (("sms", "phone"), ("email", "email")) if contact[field]]


def step(data: st.DataObject, crm: CrmClient, ids: list[str], number: int) -> None:
    """One operation drawn at random, done through HTTP, its answer checked."""
    operation = data.draw(st.sampled_from(OPERATIONS), label=f"step {number}")
    if operation == "advance":
        minutes = data.draw(st.integers(1, 90), label="minutes")
        crm.advance(f"{minutes}m")
        return
    if operation == "save_view":
        filters = data.draw(FILTERS, label="filters")
        views = ok(crm.get("/conversations/views"))["views"]
        custom = [v for v in views if not v["system"]][-(MAX_CUSTOM_VIEWS - 1) :]
        new = {"name": f"View {number}", "filters": filters}
        answer = ok(
            crm.put("/conversations/views", json={"views": [*(v for v in views if v["system"]), *custom, new]})
        )["views"]
        mine = [v for v in answer if v["name"] == new["name"]]
        assert len(mine) == 1 and mine[0]["filters"] == filters and mine[0]["system"] is False
        assert [v["name"] for v in answer if v["system"]] == ["Unread", "Recents", "Starred", "All"]
        return
    target = data.draw(
        st.sampled_from([*ids, "new thread for Nina"]) if operation == "inbound" else st.sampled_from(ids),
        label="conversation",
    )
    if operation == "inbound":
        where = {"contact": CRM_NINA} if target == "new thread for Nina" else {"conversation": target}
        contact = (
            ok(crm.get(f"/conversations/{target}"))["contact"]
            if "conversation" in where
            else {"phone": "+15551230005", "email": "nina@example.com"}
        )
        channel = data.draw(st.sampled_from([*channels_of(contact), "call"]), label="channel")
        extra: dict[str, Any] = {"subject": "A question"} if channel == "email" else {}
        response = crm.http.post(
            "/__mock/crm-inbox/inbound",
            json={"org": CRM_ACME, **where, "channel": channel, "body": f"Inbound {number}", **extra},
        )
        created = ok(response, 201)
        assert created["activity"]["direction"] == "inbound" and created["activity"]["type"] == channel
        if created["conversation_id"] not in ids:
            ids.append(created["conversation_id"])
        return
    path = f"/conversations/{target}"
    if operation == "star":
        assert ok(crm.post(f"{path}/star"))["starred"] is True
    elif operation == "unstar":
        assert ok(crm.delete(f"{path}/star"))["starred"] is False
    elif operation == "read":
        assert ok(crm.post(f"{path}/read"))["unread_count"] == 0
    elif operation == "unread":
        assert ok(crm.post(f"{path}/unread"))["unread_count"] >= 1
    elif operation == "archive":
        archived = data.draw(st.booleans(), label="archived")
        assert ok(crm.post(f"{path}/archive", json={"archived": archived}))["archived"] is archived
    elif operation == "assign":
        assignee = data.draw(st.sampled_from(ASSIGNEES), label="assigned_to")
        assert ok(crm.post(f"{path}/assign", json={"assigned_to": assignee}))["assigned_to"] == assignee
    elif operation == "reply":
        contact = ok(crm.get(path))["contact"]
        channel = data.draw(st.sampled_from(channels_of(contact)), label="reply channel")
        body: dict[str, Any] = {"channel": channel, "body": f"Reply {number}"}
        if channel == "email":
            body["subject"] = "Re: your question"
        sent = ok(crm.post(f"{path}/messages", json=body), 201)
        assert (sent["direction"], sent["type"], sent["author_id"]) == ("outbound", channel, crm.user)
        thread = ok(crm.get(path))
        assert (thread["unread_count"], thread["overdue"], thread["awaiting_reply_since"]) == (0, False, None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_view_counts_and_overdue_count_always_agree_with_the_list(data: st.DataObject) -> None:
    with in_process(create_app(apis=["crm-inbox"], frozen=True)) as mock:
        members = {name: CrmClient.acme(mock).as_(user) for name, user in MEMBERS.items()}
        ids = conversation_ids(members["Alice"])
        assert len(ids) > 10
        for name, crm in members.items():
            assert_counts_agree(crm, name)
        for number in range(data.draw(st.integers(1, 25), label="steps")):
            actor = data.draw(st.sampled_from(sorted(members)), label="as")
            step(data, members[actor], ids, number)
            for name, crm in members.items():
                assert_counts_agree(crm, f"{name}, after step {number}")
