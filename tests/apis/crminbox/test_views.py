"""CRM inbox saved views over HTTP: the four system views, saving the whole list (PUT) with its 422 rules, views
per member and per organisation, and `GET /conversations/views/counts` agreeing with `GET /conversations` under
every view's filters while the inbox changes (star, read, archive, assign, an inbound message, the clock)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_BOB,
    CRM_CALL_THREAD,
    CRM_DAVE,
    CRM_EMAIL_THREAD,
    CRM_GLOBEX,
    CRM_NINA,
    CRM_THREAD,
    CrmClient,
)

SYSTEM_VIEWS = [
    ("Unread", {"unread": True, "archived": False}),
    ("Recents", {"archived": False}),
    ("Starred", {"starred": True}),
    ("All", {}),
]
MY_OVERDUE = {"name": "My overdue", "filters": {"scope": "mine", "overdue": True}}


# -- helpers -------------------------------------------------------------------------------------------------------


def view_params(filters: dict[str, Any]) -> dict[str, str]:
    """A view's filters as the query parameters of `GET /conversations` (booleans as "true"/"false")."""
    return {k: ("true" if v else "false") if isinstance(v, bool) else str(v) for k, v in filters.items()}


def listed(crm: CrmClient, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """Every thread `GET /conversations` returns under these filters, all pages; checks `total` against them."""
    items: list[dict[str, Any]] = []
    total = None
    while total is None or len(items) < total:
        response = crm.get("/conversations", params={**view_params(filters), "limit": 100, "offset": len(items)})
        assert response.status_code == 200, response.text
        page = response.json()
        assert total is None or page["total"] == total
        total = page["total"]
        if not page["items"]:
            break
        items.extend(page["items"])
    assert len(items) == total
    return items


def get_views(crm: CrmClient) -> list[dict[str, Any]]:
    response = crm.get("/conversations/views")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"views"}
    return list(response.json()["views"])


def put_views(crm: CrmClient, views: list[dict[str, Any]]) -> httpx.Response:
    return crm.put("/conversations/views", json={"views": views})


def system_by_name() -> list[dict[str, Any]]:
    return [{"name": name, "filters": dict(filters)} for name, filters in SYSTEM_VIEWS]


def saved(crm: CrmClient, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = put_views(crm, views)
    assert response.status_code == 200, response.text
    result = list(response.json()["views"])
    assert get_views(crm) == result
    return result


def assert_counts_agree(crm: CrmClient) -> dict[str, dict[str, int]]:
    """views/counts, view by view, equals the list under the view's filters; overdue/count equals ?overdue=true."""
    views = get_views(crm)
    response = crm.get("/conversations/views/counts")
    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    assert [(c["view_id"], c["name"]) for c in counts] == [(v["id"], v["name"]) for v in views]
    for view, count in zip(views, counts, strict=True):
        items = listed(crm, view["filters"])
        expected = {"total": len(items), "unread": sum(1 for c in items if c["unread_count"] > 0)}
        assert {"total": count["total"], "unread": count["unread"]} == expected, view
    overdue = crm.get("/conversations/overdue/count")
    assert overdue.status_code == 200, overdue.text
    assert overdue.json() == {"count": len(listed(crm, {"overdue": True}))}
    return {c["name"]: {"total": c["total"], "unread": c["unread"]} for c in counts}


def assert_state_unchanged(crm: CrmClient, before: str) -> None:
    """The whole snapshot is as before: first the store (views, threads), then the id generator too (a refused
    request that drew an id moves every later id, so a refusal would be visible in what comes after)."""
    after = crm.state()
    old, new = json.loads(before)["apis"]["crm-inbox"], json.loads(after)["apis"]["crm-inbox"]
    assert new["store"] == old["store"], "a refused request changed the store"
    assert new["rng"] == old["rng"], "a refused request drew from the id generator"
    assert after == before


def assert_refused(response: httpx.Response, *fragments: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and len(detail) == 1, detail
    issue = detail[0]
    assert issue["type"] == "value_error" and issue["loc"] == ["body", "views"], issue
    assert issue["msg"].startswith("Value error, "), issue
    for fragment in fragments:
        assert fragment in issue["msg"], issue
    return dict(issue)


# -- the system views ----------------------------------------------------------------------------------------------


def test_a_member_starts_with_the_four_system_views(crm: CrmClient) -> None:
    views = get_views(crm)
    assert [(v["name"], v["system"], v["filters"], v["position"]) for v in views] == [
        (name, True, filters, index) for index, (name, filters) in enumerate(SYSTEM_VIEWS)
    ]
    assert len({v["id"] for v in views}) == 4
    for view in views:
        assert str(uuid.UUID(view["id"])) == view["id"]
    assert get_views(crm) == views  # stable ids on every read


def test_putting_the_list_back_as_it_is_changes_nothing(crm: CrmClient) -> None:
    before = get_views(crm)
    response = put_views(crm, before)  # `system` from the GET is ignored
    assert response.status_code == 200, response.text
    assert response.json() == {"views": before}
    assert get_views(crm) == before


def test_a_custom_view_gets_an_id_and_is_listed(crm: CrmClient) -> None:
    system_ids = [v["id"] for v in get_views(crm)]
    views = saved(crm, [*system_by_name(), MY_OVERDUE])
    assert [v["id"] for v in views[:4]] == system_ids  # by name: still the same system views
    custom = views[4]
    assert str(uuid.UUID(custom["id"])) == custom["id"] and custom["id"] not in system_ids
    assert custom == {
        "id": custom["id"],
        "name": "My overdue",
        "system": False,
        "filters": {"scope": "mine", "overdue": True},
        "position": 4,
    }


def test_saving_a_custom_view_by_id_renames_it(crm: CrmClient) -> None:
    views = saved(crm, [*system_by_name(), MY_OVERDUE])
    custom_id = views[4]["id"]
    renamed = saved(crm, [*views[:4], {"id": custom_id, "name": "Late and mine", "filters": MY_OVERDUE["filters"]}])
    assert len(renamed) == 5
    assert renamed[:4] == views[:4]
    assert renamed[4] == {
        "id": custom_id,
        "name": "Late and mine",
        "system": False,
        "filters": {"scope": "mine", "overdue": True},
        "position": 4,
    }


def test_custom_views_left_out_are_deleted_and_position_orders(crm: CrmClient) -> None:
    views = saved(crm, [*system_by_name(), MY_OVERDUE, {"name": "Email", "filters": {"channel": "email"}}])
    kept = saved(crm, [*views[:4], {**views[5], "position": 0}])
    assert [v["name"] for v in kept] == ["Email", "Unread", "Recents", "Starred", "All"]
    assert kept[0]["id"] == views[5]["id"] and kept[0]["position"] == 0


def test_dropping_starred_is_refused_and_saves_nothing(crm: CrmClient) -> None:
    saved(crm, [*system_by_name(), MY_OVERDUE])
    before_views, before_state = get_views(crm), crm.state()
    without = [v for v in before_views if v["name"] != "Starred"] + [{"name": "Email", "filters": {"channel": "email"}}]
    issue = assert_refused(put_views(crm, without), "Starred")
    assert issue["msg"] == "Value error, system view Starred cannot be removed"
    assert get_views(crm) == before_views
    assert_state_unchanged(crm, before_state)


@pytest.mark.parametrize(
    ("name", "filters"),
    [
        ("Unread", {"unread": True}),
        ("Starred", {"starred": True, "archived": False}),
        ("All", {"archived": True}),
        ("Recents", {"archived": False, "scope": "mine"}),
    ],
)
def test_changing_a_system_views_filters_is_refused(crm: CrmClient, name: str, filters: dict[str, Any]) -> None:
    before_views, before_state = get_views(crm), crm.state()
    for by_id in (False, True):
        views = [dict(v) for v in before_views] if by_id else system_by_name()
        next(v for v in views if v["name"] == name)["filters"] = filters
        issue = assert_refused(put_views(crm, views), name)
        assert issue["msg"] == f"Value error, system view {name} cannot be changed"
    assert get_views(crm) == before_views
    assert_state_unchanged(crm, before_state)


def test_renaming_a_system_view_is_refused(crm: CrmClient) -> None:
    before_views, before_state = get_views(crm), crm.state()
    views = [dict(v) for v in before_views]
    views[3]["name"] = "Everything"
    assert_refused(put_views(crm, views), "All", "cannot be changed")
    assert get_views(crm) == before_views
    assert_state_unchanged(crm, before_state)


@pytest.mark.parametrize("second", ["My overdue", "my OVERDUE"])
def test_two_views_with_the_same_name_are_refused(crm: CrmClient, second: str) -> None:
    before_views, before_state = get_views(crm), crm.state()
    views = [*system_by_name(), MY_OVERDUE, {"name": second, "filters": {"channel": "sms"}}]
    assert_refused(put_views(crm, views), "two views are named")
    assert get_views(crm) == before_views
    assert_state_unchanged(crm, before_state)


def test_an_unknown_view_id_is_refused(crm: CrmClient) -> None:
    before_views, before_state = get_views(crm), crm.state()
    unknown = str(uuid.uuid4())
    views = [*before_views, {"id": unknown, **MY_OVERDUE}]
    assert_refused(put_views(crm, views), "no view with id", unknown)
    assert get_views(crm) == before_views
    assert_state_unchanged(crm, before_state)


@pytest.mark.parametrize("whose", ["random", "Bob's Unread"])
def test_an_unknown_id_under_a_system_views_name_is_refused(crm: CrmClient, whose: str) -> None:
    # spec: only a view sent *without* id under a system view's name is that system view; an id that is not one
    # of the caller's views gets 422 "no view with id ..."
    unknown = str(uuid.uuid4()) if whose == "random" else get_views(crm.as_(CRM_BOB))[0]["id"]
    before_views, before_state = get_views(crm), crm.state()
    views = [dict(v) for v in before_views]
    views[0]["id"] = unknown  # still named Unread, with Unread's filters
    assert_refused(put_views(crm, views), "no view with id", unknown)
    assert get_views(crm) == before_views
    assert_state_unchanged(crm, before_state)


# -- per member, per organisation ----------------------------------------------------------------------------------


def test_views_belong_to_the_member(crm: CrmClient) -> None:
    alice = saved(crm, [*system_by_name(), MY_OVERDUE])
    bob = crm.as_(CRM_BOB)
    assert [v["name"] for v in get_views(bob)] == ["Unread", "Recents", "Starred", "All"]
    bob_counts = bob.get("/conversations/views/counts").json()["counts"]
    assert [c["name"] for c in bob_counts] == ["Unread", "Recents", "Starred", "All"]
    # Bob's custom view under Alice's id is unknown to him, and his own save leaves Alice's list alone
    assert_refused(put_views(bob, [*system_by_name(), {"id": alice[4]["id"], **MY_OVERDUE}]), "no view with id")
    bobs = saved(bob, [*system_by_name(), {"name": "Bob's email", "filters": {"channel": "email"}}])
    assert [v["name"] for v in bobs] == ["Unread", "Recents", "Starred", "All", "Bob's email"]
    assert get_views(crm) == alice


def test_views_belong_to_the_organisation(crm: CrmClient) -> None:
    dave_acme, dave_globex = crm.as_(CRM_DAVE, CRM_ACME), crm.as_(CRM_DAVE, CRM_GLOBEX)
    acme = saved(dave_acme, [*system_by_name(), MY_OVERDUE])
    globex = get_views(dave_globex)
    assert [v["name"] for v in globex] == ["Unread", "Recents", "Starred", "All"]
    assert not {v["id"] for v in globex} & {acme[4]["id"]}
    assert get_views(dave_acme) == acme
    assert list(assert_counts_agree(dave_globex)) == ["Unread", "Recents", "Starred", "All"]
    all_globex = dave_globex.get("/conversations/views/counts").json()["counts"][3]["total"]
    all_acme = dave_acme.get("/conversations/views/counts").json()["counts"][3]["total"]
    assert all_globex == dave_globex.get("/conversations").json()["total"]
    assert all_acme == dave_acme.get("/conversations").json()["total"]
    assert {c["org_id"] for c in listed(dave_globex, {})} == {CRM_GLOBEX}


# -- counts agree with the list ------------------------------------------------------------------------------------


def conversation(crm: CrmClient, conversation_id: str) -> dict[str, Any]:
    response = crm.get(f"/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def act(crm: CrmClient, path: str, json: Any = None, method: str = "POST") -> dict[str, Any]:
    response = crm.request(method, path, json=json)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_counts_agree_with_the_list_as_the_inbox_changes(crm: CrmClient) -> None:
    custom = [
        MY_OVERDUE,
        {"name": "Mine", "filters": {"scope": "mine"}},
        {"name": "Archive", "filters": {"archived": True}},
        {"name": "Team calls", "filters": {"scope": "team", "channel": "call", "unread": True}},
        {"name": "Quiet starred", "filters": {"starred": True, "unread": False, "overdue": False}},
    ]
    bob = crm.as_(CRM_BOB)
    saved(crm, [*system_by_name(), *custom])
    saved(bob, [*system_by_name(), {"name": "Mine", "filters": {"scope": "mine"}}])

    def check() -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
        return assert_counts_agree(crm), assert_counts_agree(bob)

    start, _ = check()
    assert start["Recents"] == start["All"]  # no scope, no archived: the same threads

    assert not conversation(crm, CRM_CALL_THREAD)["starred"]
    act(crm, f"/conversations/{CRM_CALL_THREAD}/star")
    after, _ = check()
    assert after["Starred"]["total"] == start["Starred"]["total"] + 1

    act(crm, f"/conversations/{CRM_THREAD}/star", method="DELETE")
    after_unstar, _ = check()
    assert after_unstar["Starred"]["total"] == start["Starred"]["total"]

    assert conversation(crm, CRM_THREAD)["unread_count"] > 0
    act(crm, f"/conversations/{CRM_THREAD}/read")
    after_read, _ = check()
    assert after_read["Unread"]["total"] == start["Unread"]["total"] - 1

    assert conversation(crm, CRM_EMAIL_THREAD)["unread_count"] == 0
    act(bob, f"/conversations/{CRM_EMAIL_THREAD}/unread")
    after_unread, _ = check()
    assert after_unread["Unread"]["total"] == start["Unread"]["total"]

    act(crm, f"/conversations/{CRM_CALL_THREAD}/archive", {"archived": True})
    after_archive, _ = check()
    assert after_archive["Recents"]["total"] == start["Recents"]["total"] - 1
    assert after_archive["Archive"]["total"] == start["Archive"]["total"] + 1

    act(crm, f"/conversations/{CRM_CALL_THREAD}/archive", {"archived": False})
    act(bob, f"/conversations/{CRM_EMAIL_THREAD}/assign", {"assigned_to": CRM_ALICE})
    after_assign, bob_after_assign = check()
    assert after_assign["Mine"]["total"] == start["Mine"]["total"] + 1
    act(crm, f"/conversations/{CRM_CALL_THREAD}/assign", {"assigned_to": CRM_BOB})
    _, bob_after_second = check()
    assert bob_after_second["Mine"]["total"] == bob_after_assign["Mine"]["total"] + 1
    act(crm, f"/conversations/{CRM_CALL_THREAD}/assign", {"assigned_to": None})
    check()

    new = crm.inbound("Hi, is the loft still available?", contact=CRM_NINA, channel="sms")
    after_inbound, _ = check()
    assert after_inbound["All"]["total"] == after_assign["All"]["total"] + 1
    assert conversation(crm, new["conversation_id"])["unread_count"] == 1

    overdue_before = crm.get("/conversations/overdue/count").json()["count"]
    crm.advance("61m")  # the voicemail (30 min old) and Nina's message are past the 60 min SLA now
    check()
    assert crm.get("/conversations/overdue/count").json()["count"] >= overdue_before + 2
    assert conversation(crm, new["conversation_id"])["overdue"] is True
