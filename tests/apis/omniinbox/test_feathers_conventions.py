"""The Feathers v5 conventions AchieveApex's services follow (notes' Feathers table; design section 1): the paging
envelope and `$limit`/`$skip`, `$sort`, `$select`, the property operators and `$or`/`$and`, the query strings a
Feathers REST client really sends (qs: indices, percent-encoding, null as an empty value), express' 404 with
`data.url`, 405 without `Allow`, malformed operators as 400 BadRequest (never a 500), soft delete, the error body's
shape, and 201 on create.

Expected pages are computed from organization 456's whole inbox as the mock lists it, so a filter is checked
against every record, not against a count that happens to match."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.support.omniinbox import (
    OMNI_ACME,
    OMNI_GREETING,
    OMNI_MESSENGER,
    OMNI_SMS,
    OMNI_WA_CLOSED,
    OMNI_WA_OPEN,
    OmniClient,
)

Record = dict[str, Any]
ORG = f"organization_id={OMNI_ACME}"
CLASSES = {
    400: ("BadRequest", "bad-request"),
    401: ("NotAuthenticated", "not-authenticated"),
    403: ("Forbidden", "forbidden"),
    404: ("NotFound", "not-found"),
    405: ("MethodNotAllowed", "method-not-allowed"),
    422: ("Unprocessable", "unprocessable"),
}


def feathers_error(response: httpx.Response, status: int, message: str, data: Any = None) -> None:
    """Feathers v5's error body, exactly: `{name, message, code, className}`, `data` only when set, no `errors`."""
    assert response.status_code == status, response.text
    name, class_name = CLASSES[status]
    expected: Record = {"name": name, "message": message, "code": status, "className": class_name}
    if data is not None:
        expected["data"] = data
    assert response.json() == expected


def raw(omni: OmniClient, query: str, path: str = "/conversations") -> httpx.Response:
    """A query string exactly as written (httpx leaves an already encoded one alone)."""
    return omni.http.get(f"{omni.url(path)}?{query}", headers=omni.headers())


def found(omni: OmniClient, query: str, path: str = "/conversations") -> Record:
    response = raw(omni, query, path)
    assert response.status_code == 200, response.text
    return dict(response.json())


def inbox(omni: OmniClient) -> list[Record]:
    """Organization 456's live conversations in the default order (all of them fit one page of 50)."""
    page = found(omni, f"{ORG}&$limit=50")
    assert page["total"] == len(page["data"]) > 10
    return list(page["data"])


def ids(records: list[Record]) -> list[Any]:
    return [r.get("id", r.get("_id")) for r in records]


def matching(omni: OmniClient, query: str, keep: Callable[[Record], bool]) -> None:
    """The find answers exactly the records `keep` keeps, in the default order, and the filter is not trivial."""
    everything = inbox(omni)
    expected = [c["id"] for c in everything if keep(c)]
    assert 0 < len(expected) < len(everything), f"{query} does not tell records apart in the seed"
    page = found(omni, f"{ORG}&$limit=50&{query}")
    assert (page["total"], ids(page["data"])) == (len(expected), expected)


def now_ms(omni: OmniClient) -> str:
    now = str(omni.http.get("/__mock/clock").json()["now"])
    return now.removesuffix("Z") + ".000Z"


# -- paging ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/conversations?{ORG}",
        "/contacts?",
        "/organizations?",
        "/users?",
        "/conversation-predefined-messages?",
        f"/conversation-messages-whatsapp?conversation_id={OMNI_WA_OPEN}",
        "/pipeline-stages?",
        "/automations?",
    ],
)
def test_every_find_answers_the_paging_envelope(omni: OmniClient, path: str) -> None:
    service, _, query = path.partition("?")
    page = found(omni, query, service)
    assert list(page) == ["total", "limit", "skip", "data"]
    assert (page["limit"], page["skip"]) == (10, 0)
    assert isinstance(page["total"], int) and len(page["data"]) == min(page["total"], 10) > 0


def test_the_default_page_is_the_first_ten_in_the_inboxs_order(omni: OmniClient) -> None:
    everything = inbox(omni)
    page = found(omni, ORG)
    assert page["total"] == len(everything) and ids(page["data"]) == ids(everything[:10])
    # the inbox's own order: last_interaction_at descending (never-touched ones last), then id descending
    touched = [c for c in everything if c["last_interaction_at"] is not None]
    untouched = [c for c in everything if c["last_interaction_at"] is None]
    by_time = sorted(touched, key=lambda c: (c["last_interaction_at"], c["id"]), reverse=True)
    assert ids(everything) == ids(by_time + sorted(untouched, key=lambda c: c["id"], reverse=True))


def test_limit_over_50_is_clamped_to_50(omni: OmniClient) -> None:
    for number in range(52):
        body = {"title": f"Reply {number:02d}", "message_type": "text", "content": "x"}
        omni.ok("POST", "/conversation-predefined-messages", json=body, status=201)
    total = 52 + 3  # and the organization's three seeded ones
    for limit in ("51", "100", "1000000"):
        page = found(omni, f"$limit={limit}", "/conversation-predefined-messages")
        assert (page["total"], page["limit"], len(page["data"])) == (total, 50, 50)
    assert len(found(omni, "$limit=50&$skip=50", "/conversation-predefined-messages")["data"]) == total - 50


@pytest.mark.parametrize("limit", ["-1", "-5", "-15", "abc", ""], ids=["-1", "-5", "-15", "junk", "empty"])
def test_a_negative_or_junk_limit_falls_back_to_the_default(omni: OmniClient, limit: str) -> None:
    everything = inbox(omni)
    page = found(omni, f"{ORG}&$limit={limit}")
    # v4 took the absolute value (-5 gave 5 rows, -15 gave 15); v5 falls back to paginate.default
    assert (page["limit"], ids(page["data"])) == (10, ids(everything[:10]))


def test_limit_zero_answers_the_count_only(omni: OmniClient) -> None:
    everything = inbox(omni)
    assert found(omni, f"{ORG}&$limit=0") == {"total": len(everything), "limit": 0, "skip": 0, "data": []}
    closed = sum(1 for c in everything if c["status"] == "closed")
    assert 0 < closed < len(everything)
    assert found(omni, f"{ORG}&$limit=0&status=closed") == {"total": closed, "limit": 0, "skip": 0, "data": []}


def test_skip_pages_through_every_record_once(omni: OmniClient) -> None:
    everything = inbox(omni)
    page = found(omni, f"{ORG}&$limit=5&$skip=5")
    assert (page["skip"], page["limit"], ids(page["data"])) == (5, 5, ids(everything[5:10]))
    seen: list[Any] = []
    while len(seen) < len(everything):
        page = found(omni, f"{ORG}&$limit=7&$skip={len(seen)}")
        assert page["data"] and page["total"] == len(everything)
        seen += ids(page["data"])
    assert seen == ids(everything)
    assert found(omni, f"{ORG}&$skip=100") == {"total": len(everything), "limit": 10, "skip": 100, "data": []}


@pytest.mark.parametrize("skip", ["-1", "abc"])
def test_a_negative_or_junk_skip_is_a_bad_request(omni: OmniClient, skip: str) -> None:
    response = raw(omni, f"{ORG}&$skip={skip}")
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["name"], body["code"], body["className"]) == ("BadRequest", 400, "bad-request")
    assert "$skip" in str(body)


# -- $sort, $select --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("$sort[id]=1", lambda c: c["id"], False),
        ("$sort[id]=-1", lambda c: c["id"], True),
        ("$sort[id]=%2B1", lambda c: c["id"], False),  # "+1": parseInt-ed like any text
        ("$sort[created_at]=1&$sort[id]=1", lambda c: (c["created_at"], c["id"]), False),
        ("$sort[status]=1&$sort[id]=-1", lambda c: (c["status"], -c["id"]), False),
        ("$sort[channel]=-1&$sort[id]=-1", lambda c: (c["channel"], c["id"]), True),
    ],
    ids=["id-asc", "id-desc", "plus-one", "created-id", "status-then-id-desc", "channel-desc"],
)
def test_sort_takes_text_directions(omni: OmniClient, sort: str, key: Callable[[Record], Any], reverse: bool) -> None:
    everything = inbox(omni)
    page = found(omni, f"{ORG}&$limit=50&{sort}")
    assert ids(page["data"]) == ids(sorted(everything, key=key, reverse=reverse))
    assert ids(page["data"]) != ids(everything)


def test_predefined_messages_are_sorted_by_title_unless_sort_says_otherwise(omni: OmniClient) -> None:
    titles = [p["title"] for p in found(omni, "", "/conversation-predefined-messages")["data"]]
    assert titles == sorted(titles) == ["Greeting", "Opening hours", "Price list"]
    by_id = found(omni, "$sort[id]=-1", "/conversation-predefined-messages")["data"]
    assert [p["id"] for p in by_id] == [43, 42, 41]


@pytest.mark.parametrize(
    ("select", "fields"),
    [
        ("$select[0]=status", ["status"]),
        ("$select[0]=channel&$select[1]=status", ["channel", "status"]),
        ("$select[0]=id", []),
        ("$select[0]=unread_count&$select[1]=id", ["unread_count"]),
    ],
    ids=["one", "two", "id-only", "id-named"],
)
def test_select_answers_the_fields_named_and_always_the_id(omni: OmniClient, select: str, fields: list[str]) -> None:
    everything = inbox(omni)
    page = found(omni, f"{ORG}&$limit=50&{select}")
    assert page["data"] == [{"id": c["id"], **{f: c[f] for f in fields}} for c in everything]


def test_select_on_messages_always_adds_their_mongo_id(omni: OmniClient) -> None:
    messages = omni.messages(OMNI_WA_OPEN, "whatsapp")
    page = found(omni, f"conversation_id={OMNI_WA_OPEN}&$select[0]=message_text", "/conversation-messages-whatsapp")
    assert page["data"] == [{"_id": m["_id"], "message_text": m["message_text"]} for m in messages]
    sms = found(omni, f"conversation_id={OMNI_SMS}&$select[0]=direction", "/conversation-messages-sms")["data"]
    assert sms == [{"id": m["id"], "direction": m["direction"]} for m in omni.messages(OMNI_SMS, "sms")]


# -- operators -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("channel[$in][0]=whatsapp&channel[$in][1]=sms", lambda c: c["channel"] in ("whatsapp", "sms")),
        ("channel[$nin][0]=whatsapp&channel[$nin][1]=sms", lambda c: c["channel"] not in ("whatsapp", "sms")),
        ("channel[$ne]=playground", lambda c: c["channel"] != "playground"),
        ("id[$in][0]=1001&id[$in][1]=1004&id[$in][2]=999", lambda c: c["id"] in (1001, 1004)),
        ("unread_count[$gt]=0", lambda c: c["unread_count"] > 0),
        ("unread_count[$gte]=1", lambda c: c["unread_count"] >= 1),
        ("unread_count[$lt]=1", lambda c: c["unread_count"] < 1),
        ("unread_count[$lte]=0", lambda c: c["unread_count"] <= 0),
        ("id[$gt]=1003&id[$lt]=1007", lambda c: 1003 < c["id"] < 1007),
        (
            "status[$ne]=closed&channel[$ne]=playground",
            lambda c: c["status"] != "closed" and c["channel"] != "playground",
        ),
        ("assigned_user_id=null", lambda c: c["assigned_user_id"] is None),
        ("assigned_user_id[$ne]=null", lambda c: c["assigned_user_id"] is not None),
        ("blocked=false&status=open&unread_count=0", lambda c: c["status"] == "open" and c["unread_count"] == 0),
    ],
    ids=["in", "nin", "ne", "in-ids", "gt", "gte", "lt", "lte", "range", "two-ne", "null", "ne-null", "plain"],
)
def test_property_operators(omni: OmniClient, query: str, keep: Callable[[Record], bool]) -> None:
    matching(omni, query, keep)


def test_time_ranges_compare_instants(omni: OmniClient) -> None:
    everything = inbox(omni)
    times = sorted(c["created_at"] for c in everything)
    low, high = times[3], times[-4]
    matching(omni, f"created_at[$gte]={low}&created_at[$lte]={high}", lambda c: low <= c["created_at"] <= high)
    # an instant written with an offset, as a client in another zone might send it
    pivot = times[-3]
    local = datetime.fromisoformat(pivot).astimezone(timezone(timedelta(hours=-5)))
    matching(omni, f"created_at[$lt]={local.isoformat()}", lambda c: c["created_at"] < pivot)


def test_instants_before_year_1000_compare_as_instants(omni: OmniClient) -> None:
    """Years are written with four digits (`0999-…`; glibc's strftime wrote `999-…`, which sorted after `2026-…`
    as text, so `$lt` a year-999 instant matched the whole inbox)."""
    pivot = sorted(c["created_at"] for c in inbox(omni))[-3]
    matching(omni, f"created_at[$gte]=0999-01-01T00:00:00Z&created_at[$lt]={pivot}", lambda c: c["created_at"] < pivot)
    matching(omni, "$or[0][created_at][$lt]=0001-01-02T00:00:00Z&$or[1][channel]=sms", lambda c: c["channel"] == "sms")


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("$or[0][channel]=sms&$or[1][status]=closed", lambda c: c["channel"] == "sms" or c["status"] == "closed"),
        (
            "$and[0][channel][$ne]=whatsapp&$and[1][status]=open",
            lambda c: c["channel"] != "whatsapp" and c["status"] == "open",
        ),
        (
            "$and[0][channel][$ne]=whatsapp&$and[1][channel][$ne]=sms",
            lambda c: c["channel"] not in ("whatsapp", "sms"),
        ),
        (
            "status=open&$or[0][channel]=whatsapp&$or[1][channel]=instagram",
            lambda c: c["status"] == "open" and c["channel"] in ("whatsapp", "instagram"),
        ),
        (
            "$and[0][$or][0][channel]=whatsapp&$and[0][$or][1][unread_count][$gt]=0&$and[1][status]=open",
            lambda c: (c["channel"] == "whatsapp" or c["unread_count"] > 0) and c["status"] == "open",
        ),
    ],
    ids=["or", "and", "and-same-field", "field-and-or", "or-inside-and"],
)
def test_or_and_and(omni: OmniClient, query: str, keep: Callable[[Record], bool]) -> None:
    matching(omni, query, keep)


# -- what a Feathers REST client sends -------------------------------------------------------------------------------

# (as sent by qs.stringify, the same query decoded)
AS_SENT = [
    ("%24limit=5&%24skip=5&%24sort%5Bid%5D=1", "$limit=5&$skip=5&$sort[id]=1"),
    (
        "channel%5B%24in%5D%5B0%5D=whatsapp&channel%5B%24in%5D%5B1%5D=sms&%24limit=2",
        "channel[$in][0]=whatsapp&channel[$in][1]=sms&$limit=2",
    ),
    (
        "channel%5B%24nin%5D%5B0%5D=sms&status%5B%24ne%5D=closed&created_at%5B%24lt%5D=2026-01-15T05%3A00%3A00.000Z",
        "channel[$nin][0]=sms&status[$ne]=closed&created_at[$lt]=2026-01-15T05:00:00.000Z",
    ),
    (
        "%24or%5B0%5D%5Bchannel%5D=whatsapp&%24or%5B1%5D%5Bstatus%5D=closed",
        "$or[0][channel]=whatsapp&$or[1][status]=closed",
    ),
    ("%24select%5B0%5D=channel&%24select%5B1%5D=status&%24limit=1", "$select[0]=channel&$select[1]=status&$limit=1"),
    ("status=open&blocked=false&unread_count=0", "status=open&blocked=false&unread_count=0"),
    ("%24limit=0", "$limit=0"),
    ("assigned_user_id=&%24limit=50", "assigned_user_id=null&$limit=50"),  # `{assigned_user_id: null}`: an empty value
    ("searchTerm=John%20Doe", "searchTerm=John Doe"),
]


@pytest.mark.parametrize(
    ("sent", "decoded"), AS_SENT, ids=[d.split("=")[0] + str(i) for i, (_, d) in enumerate(AS_SENT)]
)
def test_a_feathers_rest_clients_query_string_works_as_sent(omni: OmniClient, sent: str, decoded: str) -> None:
    answer = found(omni, f"{ORG}&{sent}")
    assert answer == found(omni, f"{ORG}&{decoded}")
    if "$limit=0" not in decoded:
        assert answer["data"], f"{decoded} found nothing in the seed"


def test_the_recorded_queries_answer_what_they_ask(omni: OmniClient) -> None:
    everything = inbox(omni)
    page = found(omni, f"{ORG}&%24limit=5&%24skip=5&%24sort%5Bid%5D=1")
    assert ids(page["data"]) == sorted(ids(everything))[5:10]
    pair = found(omni, f"{ORG}&channel%5B%24in%5D%5B0%5D=whatsapp&channel%5B%24in%5D%5B1%5D=sms&%24limit=2")
    assert page["total"] == len(everything) and pair["limit"] == 2
    assert pair["total"] == sum(c["channel"] in ("whatsapp", "sms") for c in everything)
    picked = found(omni, f"{ORG}&%24select%5B0%5D=channel&%24select%5B1%5D=status&%24limit=1")["data"]
    assert picked == [
        {"id": everything[0]["id"], "channel": everything[0]["channel"], "status": everything[0]["status"]}
    ]
    unassigned = found(omni, f"{ORG}&assigned_user_id=&%24limit=50")
    assert ids(unassigned["data"]) == [c["id"] for c in everything if c["assigned_user_id"] is None]
    john = found(omni, f"{ORG}&searchTerm=John%20Doe")["data"]
    assert sorted(ids(john)) == [OMNI_WA_OPEN, OMNI_WA_CLOSED]  # contacts 123 and 202, both John Doe


# -- routing: 404 and 405 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "url"),
    [
        ("/conversationz", "/conversationz"),
        ("/conversationz?%24limit=1&a=b", "/conversationz?%24limit=1&a=b"),
        ("/conversations/1001/messages?x=1", "/conversations/1001/messages?x=1"),
        ("/no%20such%20service", "/no%20such%20service"),
    ],
    ids=["path", "query-as-sent", "deeper", "escaped"],
)
def test_an_unknown_path_is_express_404_with_the_url(omni: OmniClient, sent: str, url: str) -> None:
    response = omni.http.get(omni.url(sent), headers=omni.headers())
    feathers_error(response, 404, "Page not found", data={"url": url})


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("PUT", f"/conversations/{OMNI_WA_OPEN}", "Method `update` is not supported by this endpoint."),
        ("PUT", "/conversations", "Method `update` is not supported by this endpoint."),
        (
            "PUT",
            f"/conversation-predefined-messages/{OMNI_GREETING}",
            "Method `update` is not supported by this endpoint.",
        ),
        ("PATCH", "/conversations", "Can not patch multiple entries"),
        ("DELETE", "/conversations", "Can not remove multiple entries"),
        ("PATCH", "/conversation-predefined-messages", "Can not patch multiple entries"),
        ("DELETE", "/conversation-predefined-messages", "Can not remove multiple entries"),
        ("DELETE", "/conversation-messages-sms", "Can not remove multiple entries"),
        ("POST", "/conversations", "Method `create` is not supported by this endpoint."),
        ("POST", "/organizations", "Method `create` is not supported by this endpoint."),
        ("PATCH", f"/organizations/{OMNI_ACME}", "Method `patch` is not supported by this endpoint."),
        ("GET", "/conversations-bulk-actions", "Method `find` is not supported by this endpoint."),
        ("DELETE", "/contacts/123", "Method `remove` is not supported by this endpoint."),
    ],
)
def test_a_method_a_service_lacks_is_405_without_allow(omni: OmniClient, method: str, path: str, message: str) -> None:
    before = omni.state()
    response = omni.request(method, path, json={"status": "closed"} if method in ("PUT", "PATCH", "POST") else None)
    feathers_error(response, 405, message)
    assert "allow" not in response.headers
    assert omni.state() == before


# -- malformed queries -----------------------------------------------------------------------------------------------

MALFORMED = [
    ("$or=1", "Invalid query parameter $or: an array of queries is expected"),
    ("$and=1", "Invalid query parameter $and: an array of queries is expected"),
    ("$or[0]=1", "Invalid query parameter $or: an array of queries is expected"),
    ("$or[0][status][$in]=open", "Invalid query parameter $in: an array is expected for status"),
    ("$sort[contact]=1", "Invalid query parameter $sort[contact]: no such field to sort by"),
    ("$sort[id]=2", "Invalid query parameter $sort[id]: 1 or -1 is expected"),
    ("$sort[id]=up", "Invalid query parameter $sort[id]: 1 or -1 is expected"),
    ("$select[a]=b", "Invalid query parameter $select: an array of field names is expected"),
    ("$select[0][a]=b", "Invalid query parameter $select: an array of field names is expected"),
    ("$select[0]=password", "Invalid query parameter $select: no field password"),
    ("channel[$in]=sms", "Invalid query parameter $in: an array is expected for channel"),
    ("channel[$nin][a]=sms", "Invalid query parameter $nin: an array is expected for channel"),
    ("$x=1", "Invalid filter value $x"),
    ("channel[$x]=sms", "Invalid query parameter $x"),
    ("channel[$regex]=.*", "Invalid query parameter $regex"),
    ("nope=1", "Invalid query parameter nope"),
    ("unread_count[$gt]=many", "Invalid query parameter unread_count: 'many' is not a number"),
    ("unread_count[$gt][$gt]=1", "Invalid query parameter unread_count: one value expected"),
    ("created_at[$gte]=yesterday", "Invalid query parameter created_at: 'yesterday' is not an ISO 8601 date"),
    ("status=open&status[$ne]=closed", "Invalid query parameter status[$ne]: one name given both a value and fields"),
]


@pytest.mark.parametrize(("query", "message"), MALFORMED, ids=[q for q, _ in MALFORMED])
def test_a_malformed_query_is_a_bad_request(omni: OmniClient, query: str, message: str) -> None:
    feathers_error(raw(omni, f"{ORG}&{query}"), 400, message)


@pytest.mark.parametrize(
    "key",
    ["$or" + "[0][$or]" * 300 + "[0][status]", "$and" + "[0][$and]" * 300 + "[0][status]", "status" + "[$ne]" * 400],
    ids=["or", "and", "operator"],
)
def test_operators_nested_hundreds_deep_are_a_short_bad_request(omni: OmniClient, key: str) -> None:
    for path, query in [("/conversations", f"{ORG}&{key}=open"), ("/contacts", f"{key}=open")]:
        response = raw(omni, query, path)
        assert response.status_code == 400, response.text
        body = response.json()
        assert (body["name"], body["code"], body["className"]) == ("BadRequest", 400, "bad-request")
        assert body["message"].startswith("Invalid query parameter ") and len(body["message"]) < 120
        if not key.startswith("status"):  # qs keeps five brackets; the rest is one literal name, said so
            assert body["message"].endswith("(nested deeper than 5 levels)")


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/contacts", "$or=1"),
        ("/conversation-predefined-messages", "$sort[nope]=1"),
        ("/users", "$select[a]=b"),
        ("/conversation-messages-whatsapp", f"conversation_id={OMNI_WA_OPEN}&message_type[$in]=text"),
        ("/organizations", "$and=x"),
    ],
)
def test_every_service_refuses_malformed_operators_alike(omni: OmniClient, path: str, query: str) -> None:
    response = raw(omni, query, path)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"name", "message", "code", "className"}
    assert response.json()["name"] == "BadRequest" and response.json()["message"].startswith(
        "Invalid query parameter $"
    )


ISSUE_17 = [
    ("$sort[contact]=1", "Invalid query parameter $sort[contact]: no such field to sort by", {"$sort": {"contact": 1}}),
    ("$select[a]=b", "Invalid query parameter $select: an array of field names is expected", {"$select": {"a": "b"}}),
    ("$or=1", "Invalid query parameter $or: an array of queries is expected", {"$or": 1}),
    ("$or" + "[0][$or]" * 500 + "[0][status]=open", None, {"$or": [{"$or": [{"status": "open"}]}]}),
]


@pytest.mark.parametrize(("query", "message", "filter_"), ISSUE_17, ids=["sort", "select", "or", "or-500-deep"])
def test_the_queries_that_crashed_are_refused_everywhere_and_change_nothing(
    omni: OmniClient, query: str, message: str | None, filter_: Record
) -> None:
    """Issue 17's queries, by hand: a find answers 400 in Feathers' words; a multi patch or remove is refused first
    (405, as Feathers refuses `patch(null)`); the bulk action's `filter` fails its schema (400 validation failed).
    Nothing is ever written, and nothing answers 500."""
    before = omni.state()
    find = raw(omni, f"{ORG}&{query}")
    if message is None:
        assert find.status_code == 400 and find.json()["message"].endswith("(nested deeper than 5 levels)"), find.text
    else:
        feathers_error(find, 400, message)
    url = f"{omni.url('/conversations')}?{ORG}&{query}"
    many = {"patch": omni.http.patch(url, json={"status": "closed"}, headers=omni.headers())}
    many["remove"] = omni.http.delete(url, headers=omni.headers())
    for method, response in many.items():
        feathers_error(response, 405, f"Can not {method} multiple entries")
    bulk = omni.post(
        "/conversations-bulk-actions",
        json={"action": "update_status", "status": "closed", "filter": {"organization_id": OMNI_ACME, **filter_}},
    )
    assert bulk.status_code == 400 and bulk.json()["message"] == "validation failed", bulk.text
    assert omni.state() == before


# -- soft delete ------------------------------------------------------------------------------------------------------


def test_removing_a_conversation_is_a_soft_delete(omni: OmniClient) -> None:
    before = omni.ok("GET", f"/conversations/{OMNI_MESSENGER}")
    count = len(inbox(omni))
    removed = omni.ok("DELETE", f"/conversations/{OMNI_MESSENGER}")
    now = now_ms(omni)
    assert removed == {**before, "deleted_at": now, "updated_at": now}
    message = f"No record found for id '{OMNI_MESSENGER}'"
    feathers_error(omni.get(f"/conversations/{OMNI_MESSENGER}"), 404, message)
    feathers_error(omni.patch(f"/conversations/{OMNI_MESSENGER}", json={"status": "closed"}), 404, message)
    feathers_error(omni.delete(f"/conversations/{OMNI_MESSENGER}"), 404, message)
    after = inbox(omni)
    assert len(after) == count - 1 and OMNI_MESSENGER not in ids(after)
    assert found(omni, f"{ORG}&id={OMNI_MESSENGER}")["total"] == 0
    bulk = {"action": "update_status", "status": "closed", "conversation_ids": [OMNI_MESSENGER]}
    assert omni.ok("POST", "/conversations-bulk-actions", json=bulk, status=201)["processed_count"] == 0


def test_removing_a_message_or_a_predefined_message_is_soft_too(omni: OmniClient) -> None:
    message = omni.messages(OMNI_SMS, "sms")[0]
    removed = omni.ok("DELETE", f"/conversation-messages-sms/{message['id']}")
    assert removed["deleted_at"] == now_ms(omni) and removed["message_text"] == message["message_text"]
    feathers_error(
        omni.get(f"/conversation-messages-sms/{message['id']}"), 404, f"No record found for id '{message['id']}'"
    )
    assert omni.messages(OMNI_SMS, "sms") == []
    greeting = omni.ok("DELETE", f"/conversation-predefined-messages/{OMNI_GREETING}")
    assert greeting["title"] == "Greeting" and greeting["deleted_at"] == now_ms(omni)
    missing = f"No record found for id '{OMNI_GREETING}'"
    feathers_error(omni.get(f"/conversation-predefined-messages/{OMNI_GREETING}"), 404, missing)
    titles = [p["title"] for p in found(omni, "", "/conversation-predefined-messages")["data"]]
    assert titles == ["Opening hours", "Price list"]


# -- error bodies and create's 201 -----------------------------------------------------------------------------------


def test_error_bodies_are_feathers_v5s_shape(omni: OmniClient) -> None:
    window = omni.post(
        "/conversation-messages-transform-outgoing-whatsapp",
        json={"conversation_id": OMNI_WA_CLOSED, "message_text": "Hello again"},
    )
    answers = {
        400: raw(omni, f"{ORG}&$x=1"),
        401: OmniClient(omni.mock, omni.base_path, {}).get("/organizations"),
        403: raw(omni, "organization_id=27"),
        404: omni.get("/conversations/424242"),
        405: omni.put(f"/conversations/{OMNI_WA_OPEN}", json={}),
        422: window,
    }
    for status, response in answers.items():
        assert response.status_code == status, response.text
        body = response.json()
        assert (body["name"], body["className"]) == CLASSES[status] and body["code"] == status
        assert isinstance(body["message"], str) and body["message"]
        assert set(body) <= {"name", "message", "code", "className", "data"}, "v5 sends no `errors` key"
        assert "data" not in body or body["data"] is not None
    assert window.json()["data"] == {
        "whatsapp_window_expires_at": omni.ok("GET", f"/conversations/{OMNI_WA_CLOSED}")["whatsapp_window_expires_at"]
    }


@pytest.mark.parametrize(
    ("path", "body", "field", "value"),
    [
        (
            "/conversation-predefined-messages",
            {"title": "Bye", "message_type": "text", "content": "Bye!"},
            "title",
            "Bye",
        ),
        ("/contacts", {"first_name": "Ada", "last_name": "Lovelace"}, "first_name", "Ada"),
        (
            "/conversations-bulk-actions",
            {"action": "update_status", "status": "closed", "conversation_ids": [OMNI_WA_OPEN]},
            "processed_count",
            1,
        ),
        (
            "/conversation-messages-transform-outgoing-whatsapp",
            {"conversation_id": OMNI_WA_OPEN, "message_text": "On its way!"},
            "message_text",
            "On its way!",
        ),
        (
            "/s3-url-signing",
            {"file_name": "a.png", "file_type": "image/png", "file_size": 3},
            "bucket",
            "achieveapex-conversation-files",
        ),
    ],
    ids=["predefined", "contact", "bulk", "send", "signing"],
)
def test_create_answers_201(omni: OmniClient, path: str, body: Record, field: str, value: Any) -> None:
    response = omni.post(path, json=body)
    assert response.status_code == 201, response.text
    assert response.json()[field] == value
