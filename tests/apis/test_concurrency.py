"""Issue 7, item 3: 200 clients at once, over real sockets, against the same conversations of a served mock.

One `convomock serve` process (running clock, as `make serve` starts it) takes CLIENTS simultaneous connections.
Each client sends its share of a shuffled plan: 1TO1 AI texts, action groups and customer messages (some from
new phones that several clients share), CRM inbox sends (some repeating a `provider_message_id`), omni-inbox sends,
customer messages and bulk assignments, HighLevel customer messages (whose AI replies wait for settle), reads,
and a few requests that are refused whatever the load. Every message body carries its request's marker
`cNNN-mNN`, so afterwards each one can be found exactly once.

The module fixture runs the load once and settles; the tests then read the outcome over HTTP: no request failed
that would succeed alone, every accepted message is in its thread once and the counters add up, each action group
ran its actions in order, threads list messages in the order the server took them, the journal holds every
request up to its bound, and health shows no internal error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import ssl
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.crminbox import CRM_ACME, CRM_ALICE, CRM_SECRET, CRM_THREAD, CRM_TOKENS
from tests.support.highlevel import HL_ACME
from tests.support.omniinbox import (
    OMNI_ACME,
    OMNI_ADMIN,
    OMNI_AGENT,
    OMNI_INSTAGRAM,
    OMNI_PLAYGROUND,
    OMNI_SMS,
    OMNI_WA_CLOSED,
    OMNI_WA_OPEN,
)
from tests.support.onetoone import ACME_TOKEN, CLOSED_CONVERSATION, DOC_CONVERSATION, TESTER_CONVERSATION
from tests.support.processes import serving

pytestmark = pytest.mark.slow

# -- sizes ---------------------------------------------------------------------------------------------------------

CLIENTS = 200  # simultaneous connections, one task each
PLAN_SEED = 7  # shuffles which client sends what, and in which order
REQUEST_TIMEOUT = 60.0  # seconds; a loaded 2-core machine must not turn slowness into a failure
# How many requests of each kind the clients send between them (2,000 in all, 10 per client).
MIX = {
    "1to1-text": 380,
    "1to1-group": 360,
    "1to1-inbound": 210,
    "1to1-new-phone": 70,
    "1to1-read": 80,
    "omni-send": 210,
    "omni-inbound": 100,
    "omni-bulk": 110,
    "crm-send": 120,
    "crm-dedup": 90,
    "crm-webhook": 50,
    "hl-inbound": 100,
    "refused": 120,
}
ONETOONE_CONVERSATIONS = (DOC_CONVERSATION, TESTER_CONVERSATION, CLOSED_CONVERSATION)
NEW_PHONES = tuple(f"+52155900000{i:02d}" for i in range(5))  # each shared by 14 clients: one conversation each
DEDUP_KEYS = tuple(f"SM-load-{i}" for i in range(6))  # each sent by 15 clients: one activity each
WEBHOOK_KEYS = tuple(f"SM-hook-{i}" for i in range(5))  # each delivered 10 times by Iron's telephony engine
CRM_CALL_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b03"  # Priya's thread: the webhook's messages land there
PRIYA_PHONE = "+1 (555) 123-0003"  # as a carrier might format it: matched to Priya's +15551230003
OMNI_CHANNELS = {OMNI_WA_OPEN: "whatsapp", OMNI_SMS: "sms", OMNI_PLAYGROUND: "playground"}
OMNI_SEND_PATHS = {
    OMNI_WA_OPEN: "/omni-inbox/conversation-messages-transform-outgoing-whatsapp",
    OMNI_SMS: "/omni-inbox/conversation-messages-sms",
    OMNI_PLAYGROUND: "/omni-inbox/conversation-messages-playground",
}
OMNI_BULK_IDS = (OMNI_WA_OPEN, OMNI_INSTAGRAM, OMNI_SMS, OMNI_PLAYGROUND)
OMNI_ASSIGNEES = (OMNI_ADMIN, OMNI_AGENT)  # the bulk assignments alternate between them
OMNI_PLAYGROUND_CONTACT = 207
HL_CONTACTS = ("contact_seed_2", "contact_seed_3")  # no conversation yet: the first message makes one
HL_MAX_REPLIES = 5  # Front Desk, the primary agent, hands over after 5 replies (fixtures/highlevel.yaml)
LABELS = ("VIP", "Cotización", "Soporte", "Mayoreo")
MAILBOXES = ("Bandeja principal", "Ventas", "Soporte")
UNKNOWN_CONVERSATION = "00000000-0000-4000-8000-000000000000"

ONETOONE = "/1to1ai/api/v1/public/acme"
ONETOONE_AUTH = {"Authorization": f"Bearer {ACME_TOKEN}"}
CRM_HEADERS = {"Authorization": f"Bearer {CRM_TOKENS[CRM_ALICE]}", "X-Org-Id": CRM_ACME}
MARKER = re.compile(r"c\d{3}-m\d{2}")


@dataclass
class Op:
    """One request of the plan, and what came back."""

    client: int
    n: int
    kind: str
    method: str
    path: str
    json: Any
    expect: tuple[int, ...]  # the statuses this request gets when sent alone
    target: str = ""  # the conversation (or phone, or dedup key) it acts on
    headers: dict[str, str] = field(default_factory=dict)
    produces: tuple[str | None, ...] = ()  # an action group: the body each action writes in the thread, in order
    status: int | None = None
    body: Any = None
    failure: str | None = None
    sent_at: float = 0.0  # perf_counter when the request left, and when its answer was in
    answered_at: float = 0.0

    @property
    def marker(self) -> str:
        return f"c{self.client:03d}-m{self.n:02d}"

    @property
    def api(self) -> str | None:
        """The API whose journal records it; None for a control simulation (not journaled)."""
        return None if self.path.startswith("/__mock/") else self.path.split("/")[1]

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def __repr__(self) -> str:
        return f"<{self.marker} {self.kind} {self.method} {self.path} target={self.target} -> {self.status}>"


def _build(kind: str, client: int, n: int, turn: int, omni_token: str) -> Op:
    """The request of one plan entry; `turn` counts the entries of this kind and rotates their targets."""
    m = f"c{client:03d}-m{n:02d}"
    if kind == "1to1-text":
        conversation = ONETOONE_CONVERSATIONS[turn % len(ONETOONE_CONVERSATIONS)]
        return Op(
            client,
            n,
            kind,
            "POST",
            f"{ONETOONE}/conversation/messages/text",
            {"conversation": {"uuid": conversation}, "body": m},
            (201,),
            conversation,
            ONETOONE_AUTH,
        )
    if kind == "1to1-group":
        conversation = ONETOONE_CONVERSATIONS[turn % len(ONETOONE_CONVERSATIONS)]
        actions: list[dict[str, Any]] = [
            {"type": "assign_label", "tags": [{"name": LABELS[turn % len(LABELS)]}]},
            {"type": "send_message", "message": {"kind": "text", "body": f"{m}-a1"}},
            {"type": "context_note", "note": f"{m}-a2"},
            {"type": "send_message", "message": {"kind": "text", "body": f"{m}-a3"}},
        ]
        produces: list[str | None] = [None, f"{m}-a1", f"{m}-a2", f"{m}-a3"]
        if turn % 3 == 0:
            actions.append({"type": "assign_mailbox", "mailbox": {"name": MAILBOXES[turn % len(MAILBOXES)]}})
            produces.append(None)
        if turn % 5 == 0:
            actions.append({"type": "run_ai", "ai_employee": {"name": "Sales Agent"}})
            produces.append("")  # the AI writes a message whose text the mock makes up
        return Op(
            client,
            n,
            kind,
            "POST",
            f"{ONETOONE}/conversation/actions",
            {"conversation": {"uuid": conversation}, "stop_on_error": True, "actions": actions},
            (202,),
            conversation,
            ONETOONE_AUTH,
            tuple(produces),
        )
    if kind == "1to1-inbound":
        conversation = ONETOONE_CONVERSATIONS[turn % len(ONETOONE_CONVERSATIONS)]
        return Op(
            client,
            n,
            kind,
            "POST",
            "/__mock/1to1ai/inbound",
            {"slug": "acme", "conversation": conversation, "body": m},
            (200,),
            conversation,
        )
    if kind == "1to1-new-phone":
        phone = NEW_PHONES[turn % len(NEW_PHONES)]
        return Op(
            client,
            n,
            kind,
            "POST",
            "/__mock/1to1ai/inbound",
            {"slug": "acme", "phone": phone, "body": m},
            (200, 201),
            phone,
        )
    if kind == "1to1-read":
        conversation = ONETOONE_CONVERSATIONS[turn % len(ONETOONE_CONVERSATIONS)]
        if turn % 3 == 0:
            return Op(
                client,
                n,
                kind,
                "GET",
                f"{ONETOONE}/conversations/{conversation}",
                None,
                (200,),
                conversation,
                ONETOONE_AUTH,
            )
        if turn % 3 == 1:
            return Op(
                client,
                n,
                kind,
                "GET",
                f"{ONETOONE}/conversations/{conversation}/messages?limit=20",
                None,
                (200,),
                conversation,
                ONETOONE_AUTH,
            )
        return Op(
            client,
            n,
            kind,
            "POST",
            f"{ONETOONE}/conversation/status",
            {"conversation": {"uuid": conversation}},
            (200,),
            conversation,
            ONETOONE_AUTH,
        )
    omni_auth = {"x-api-key": omni_token}
    if kind == "omni-send":
        thread = tuple(OMNI_CHANNELS)[turn % len(OMNI_CHANNELS)]
        send: dict[str, Any] = {"conversation_id": thread, "message_text": m}
        if thread == OMNI_WA_OPEN:
            send["message_type"] = "text"
        if thread == OMNI_PLAYGROUND:
            send.update(organization_id=OMNI_ACME, contact_id=OMNI_PLAYGROUND_CONTACT)
        return Op(client, n, kind, "POST", OMNI_SEND_PATHS[thread], send, (201,), str(thread), omni_auth)
    if kind == "omni-inbound":
        thread = tuple(OMNI_CHANNELS)[turn % len(OMNI_CHANNELS)]
        return Op(
            client,
            n,
            kind,
            "POST",
            "/__mock/omni-inbox/inbound",
            {"organization_id": OMNI_ACME, "conversation_id": thread, "text": m},
            (201,),
            str(thread),
        )
    if kind == "omni-bulk":
        return Op(
            client,
            n,
            kind,
            "POST",
            "/omni-inbox/conversations-bulk-actions",
            {
                "action": "assign",
                "conversation_ids": list(OMNI_BULK_IDS),
                "assigned_user_id": OMNI_ASSIGNEES[turn % len(OMNI_ASSIGNEES)],
            },
            (201,),
            "bulk",
            omni_auth,
        )
    if kind == "hl-inbound":
        contact = HL_CONTACTS[turn % len(HL_CONTACTS)]
        return Op(
            client,
            n,
            kind,
            "POST",
            "/__mock/highlevel/inbound",
            {"location": HL_ACME, "contact": contact, "channel": "SMS", "body": m},
            (201,),
            contact,
        )
    if kind == "crm-send":
        return Op(
            client,
            n,
            kind,
            "POST",
            f"/crm-inbox/api/v1/conversations/{CRM_THREAD}/messages",
            {"channel": "sms", "body": m},
            (201,),
            CRM_THREAD,
            CRM_HEADERS,
        )
    if kind == "crm-dedup":
        key = DEDUP_KEYS[turn % len(DEDUP_KEYS)]
        return Op(
            client,
            n,
            kind,
            "POST",
            f"/crm-inbox/api/v1/conversations/{CRM_THREAD}/messages",
            {"channel": "sms", "body": m, "provider_message_id": key},
            (200, 201),
            key,
            CRM_HEADERS,
        )
    if kind == "crm-webhook":
        key = WEBHOOK_KEYS[turn % len(WEBHOOK_KEYS)]
        return Op(
            client,
            n,
            kind,
            "POST",
            "/crm-inbox/api/v1/webhooks/inbound-sms",
            {"org_id": CRM_ACME, "from": PRIYA_PHONE, "body": m, "provider_message_id": key},
            (200,),
            key,
            {"X-Iron-CRM-Secret": CRM_SECRET},
        )
    assert kind == "refused", kind
    variant = turn % 4
    if variant == 0:  # 11 actions: over the batch limit, nothing runs
        notes = [{"type": "context_note", "note": f"{m}-a{i}"} for i in range(11)]
        return Op(
            client,
            n,
            kind,
            "POST",
            f"{ONETOONE}/conversation/actions",
            {"conversation": {"uuid": DOC_CONVERSATION}, "actions": notes},
            (422,),
            DOC_CONVERSATION,
            ONETOONE_AUTH,
        )
    if variant == 1:  # an unknown label: the preflight refuses the whole group, the note before it included
        actions = [{"type": "context_note", "note": f"{m}-a0"}, {"type": "assign_label", "tags": [{"name": "Nope"}]}]
        return Op(
            client,
            n,
            kind,
            "POST",
            f"{ONETOONE}/conversation/actions",
            {"conversation": {"uuid": DOC_CONVERSATION}, "actions": actions},
            (404,),
            DOC_CONVERSATION,
            ONETOONE_AUTH,
        )
    if variant == 2:
        return Op(
            client,
            n,
            kind,
            "POST",
            f"{ONETOONE}/conversation/messages/text",
            {"conversation": {"uuid": UNKNOWN_CONVERSATION}, "body": m},
            (404,),
            UNKNOWN_CONVERSATION,
            ONETOONE_AUTH,
        )
    return Op(
        client,
        n,
        kind,
        "POST",
        OMNI_SEND_PATHS[OMNI_WA_OPEN],
        {"conversation_id": OMNI_WA_CLOSED, "message_text": m, "message_type": "text"},
        (422,),
        str(OMNI_WA_CLOSED),
        omni_auth,
    )


def build_plan(omni_token: str) -> list[Op]:
    kinds = [kind for kind, count in MIX.items() for _ in range(count)]
    random.Random(PLAN_SEED).shuffle(kinds)
    turns: Counter[str] = Counter()
    plan = []
    for index, kind in enumerate(kinds):
        plan.append(_build(kind, index % CLIENTS, index // CLIENTS, turns[kind], omni_token))
        turns[kind] += 1
    return plan


# -- running the load ----------------------------------------------------------------------------------------------


@dataclass
class LoadFigures:
    seconds: float = 0.0
    peak_in_flight: int = 0
    in_flight: int = 0


async def _send_all(base: str, plan: list[Op]) -> LoadFigures:
    """Each client its own httpx client and socket (one shared pool of 200 spends its time in the pool's
    bookkeeping, not on the wire); all of them start together, then each sends its requests one after another."""
    figures = LoadFigures()
    by_client: dict[int, list[Op]] = defaultdict(list)
    for op in plan:
        by_client[op.client].append(op)
    tls = ssl.create_default_context()  # never used over http://, but each client would build its own
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base, verify=tls, limits=httpx.Limits(max_connections=1), timeout=REQUEST_TIMEOUT
                )
            )
            for _ in by_client
        ]
        start = asyncio.Barrier(len(by_client))

        async def client(http: httpx.AsyncClient, ops: list[Op]) -> None:
            await start.wait()  # every client's first request leaves at the same moment
            for op in ops:
                figures.in_flight += 1
                figures.peak_in_flight = max(figures.peak_in_flight, figures.in_flight)
                op.sent_at = time.perf_counter()
                try:
                    response = await http.request(op.method, op.path, json=op.json, headers=op.headers)
                    op.answered_at = time.perf_counter()
                    op.status = response.status_code
                    op.body = response.json() if response.content else None
                except (httpx.HTTPError, ValueError) as exc:
                    op.failure = f"{type(exc).__name__}: {exc}"
                finally:
                    figures.in_flight -= 1

        began = time.perf_counter()
        await asyncio.gather(*(client(http, ops) for http, ops in zip(clients, by_client.values(), strict=True)))
        figures.seconds = time.perf_counter() - began
    return figures


# -- reading the outcome -------------------------------------------------------------------------------------------


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def onetoone_thread(http: httpx.Client, conversation: str) -> list[dict[str, Any]]:
    """Every message of a 1TO1 AI conversation, oldest first, paged through with the cursor."""
    newest_first: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = _ok(http.get(f"{ONETOONE}/conversations/{conversation}/messages", params=params, headers=ONETOONE_AUTH))
        newest_first.extend(page["items"])
        if not page["has_more"]:
            return newest_first[::-1]
        cursor = page["next_cursor"]


def onetoone_conversation_ids(http: httpx.Client) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = _ok(http.get(f"{ONETOONE}/conversations", params=params, headers=ONETOONE_AUTH))
        found.extend(item["uuid"] for item in page["items"])
        if not page["has_more"]:
            return found
        cursor = page["next_cursor"]


def omni_thread(http: httpx.Client, token: str, conversation: int, channel: str) -> tuple[int, list[dict[str, Any]]]:
    """(total, every message) of an omni-inbox conversation, paged through with $skip."""
    messages: list[dict[str, Any]] = []
    while True:
        page = _ok(
            http.get(
                f"/omni-inbox/conversation-messages-{channel}",
                headers={"x-api-key": token},
                params={"conversation_id": conversation, "$limit": 50, "$skip": len(messages)},
            )
        )
        messages.extend(page["data"])
        if not page["data"] or len(messages) >= page["total"]:
            return page["total"], messages


def crm_thread(http: httpx.Client) -> tuple[int, list[dict[str, Any]]]:
    activities: list[dict[str, Any]] = []
    while True:
        page = _ok(
            http.get(
                f"/crm-inbox/api/v1/conversations/{CRM_THREAD}/messages",
                headers=CRM_HEADERS,
                params={"limit": 100, "offset": len(activities)},
            )
        )
        activities.extend(page["items"])
        if not page["items"] or len(activities) >= page["total"]:
            return page["total"], activities


def misordered(listed: list[Op]) -> list[str]:
    """Pairs a thread lists the wrong way round: B after A although B's answer was in before A was sent, so the
    server took B first. Only for requests that write their message before answering (not action groups)."""
    found = []
    first_answered: Op | None = None  # of the requests listed after the current one
    for op in reversed(listed):
        if first_answered is not None and first_answered.answered_at < op.sent_at:
            found.append(
                f"{first_answered.marker} is listed after {op.marker}, though it was answered "
                f"{(op.sent_at - first_answered.answered_at) * 1000:.1f} ms before {op.marker} was sent"
            )
        if first_answered is None or op.answered_at < first_answered.answered_at:
            first_answered = op
    return found


@dataclass
class Baseline:
    onetoone_counts: dict[str, int]
    onetoone_tags: dict[str, set[str]]
    onetoone_conversations: int
    activity_count: int
    ai_balance: int
    omni_totals: dict[int, int]
    crm_total: int
    crm_pairs: int
    journal_last_id: int = 0  # the newest journal id before the load (control requests are not journaled)
    served: int = 0  # API requests answered before the load


@dataclass
class Outcome:
    base: str
    omni_token: str
    plan: list[Op]
    figures: LoadFigures
    baseline: Baseline
    journal: dict[str, Any]  # GET /__mock/requests right after the load, before anything else was asked
    served_after: int
    settled: dict[str, Any]
    replays: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def ops(self, *kinds: str) -> list[Op]:
        return [op for op in self.plan if op.kind in kinds]

    @property
    def journaled(self) -> int:
        return sum(op.api is not None for op in self.plan)


def _baseline(http: httpx.Client, omni_token: str) -> Baseline:
    conversations = {
        c: _ok(http.get(f"{ONETOONE}/conversations/{c}", headers=ONETOONE_AUTH)) for c in ONETOONE_CONVERSATIONS
    }
    activity = _ok(http.get("/__mock/1to1ai/activity", params={"slug": "acme"}))
    return Baseline(
        onetoone_counts={c: len(onetoone_thread(http, c)) for c in ONETOONE_CONVERSATIONS},
        onetoone_tags={c: {t["name"] for t in conversations[c]["tags"]} for c in ONETOONE_CONVERSATIONS},
        onetoone_conversations=len(onetoone_conversation_ids(http)),
        activity_count=len(activity["items"]),
        ai_balance=activity["ai_token_balance"],
        omni_totals={c: omni_thread(http, omni_token, c, ch)[0] for c, ch in OMNI_CHANNELS.items()},
        crm_total=crm_thread(http)[0],
        crm_pairs=len(_ok(http.get("/__mock/crm-inbox/training-pairs", params={"org": CRM_ACME}))["items"]),
    )


@pytest.fixture(scope="module")
def outcome() -> Iterator[Outcome]:
    with serving() as (base, _), httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as http:
        omni_token = next(  # Acme Solutions' API key (x-api-key)
            c["token"]
            for c in _ok(http.get("/__mock/credentials"))["omni-inbox"]
            if c["tenant"] == str(OMNI_ACME) and c.get("token_header") == "x-api-key"
        )
        # The customer of the closed conversation writes first, so every 1TO1 AI target has its window open.
        opened = http.post(
            "/__mock/1to1ai/inbound",
            json={"slug": "acme", "conversation": CLOSED_CONVERSATION, "body": "setup: window"},
        )
        assert opened.status_code == 200, opened.text
        baseline = _baseline(http, omni_token)
        newest = _ok(http.get("/__mock/requests", params={"limit": 1}))["items"]
        baseline.journal_last_id = newest[0]["id"] if newest else 0
        baseline.served = _ok(http.get("/__mock/health"))["served"]
        assert _ok(http.delete("/__mock/requests"))["cleared"]
        plan = build_plan(omni_token)
        figures = asyncio.run(_send_all(base, plan))
        journal = _ok(http.get("/__mock/requests"))
        served_after = _ok(http.get("/__mock/health"))["served"]
        settled = _ok(http.post("/__mock/settle"))
        result = Outcome(base, omni_token, plan, figures, baseline, journal, served_after, settled)
        print(
            f"\nconcurrency: {len(plan)} requests ({result.journaled} to the APIs) from {CLIENTS} clients, "
            f"peak {figures.peak_in_flight} in flight, {figures.seconds:.2f} s, "
            f"{len(plan) / figures.seconds:.0f} requests/s; settle ran {settled['jobs_run']} jobs"
        )
        # The requests meant to be refused are sent again alone, one at a time, once the load is over. (A request
        # that should have succeeded but failed under load is not replayed: that would add its effect afterwards.)
        for op in plan:
            if op.kind == "refused":
                again = http.request(op.method, op.path, json=op.json, headers=op.headers)
                result.replays[op.marker] = (again.status_code, again.json() if again.content else None)
        yield result


# -- the tests ----------------------------------------------------------------------------------------------------


def test_two_hundred_clients_were_in_flight_at_once(outcome: Outcome) -> None:
    assert outcome.figures.peak_in_flight == CLIENTS, (
        f"only {outcome.figures.peak_in_flight} of {CLIENTS} clients had a request in flight at the same time"
    )
    assert len({op.client for op in outcome.plan}) == CLIENTS, "some clients had nothing to send"


def test_no_request_failed_that_would_succeed_alone(outcome: Outcome) -> None:
    broken = [f"{op!r}: {op.failure}" for op in outcome.plan if op.failure]
    assert not broken, f"{len(broken)} requests got no answer under load:\n" + "\n".join(broken[:20])
    server_errors = [f"{op!r}: {op.body}" for op in outcome.plan if op.status is not None and op.status >= 500]
    assert not server_errors, f"{len(server_errors)} answers were 5xx:\n" + "\n".join(server_errors[:20])
    unexpected = [f"{op!r} expected {op.expect}: {op.body}" for op in outcome.plan if op.status not in op.expect]
    assert not unexpected, f"{len(unexpected)} answers differ from what the request gets alone:\n" + "\n".join(
        unexpected[:20]
    )
    differs = [
        f"{op!r} under load, {outcome.replays[op.marker][0]} alone: {outcome.replays[op.marker][1]}"
        for op in outcome.ops("refused")
        if outcome.replays[op.marker][0] != op.status
    ]
    assert not differs, "a refusal under load is not the refusal the same request gets alone:\n" + "\n".join(differs)
    assert not [op for op in outcome.plan if op.status == 429], "a rate limit appeared with no rate-limit scenario on"
    assert {op.status for op in outcome.ops("refused")} == {404, 422}, "the refused requests were not all refused"


def test_every_accepted_1to1_message_is_in_its_thread_once_and_counts_add_up(outcome: Outcome) -> None:
    problems: list[str] = []
    with httpx.Client(base_url=outcome.base, timeout=REQUEST_TIMEOUT) as http:
        for conversation in ONETOONE_CONVERSATIONS:
            thread = onetoone_thread(http, conversation)
            seen = Counter(m["body"] for m in thread)
            expected: list[str] = []
            for op in outcome.plan:
                if op.target != conversation or not op.ok:
                    continue
                if op.kind in ("1to1-text", "1to1-inbound"):
                    expected.append(op.marker)
                elif op.kind == "1to1-group":
                    expected.extend(body for body in op.produces if body)
            for body in expected:
                if seen[body] != 1:
                    problems.append(f"{conversation}: accepted message {body!r} is in the thread {seen[body]} times")
            refused = {op.marker for op in outcome.plan if not op.ok}
            strays = [m["body"] for m in thread if (found := MARKER.match(m["body"] or "")) and found[0] in refused]
            if strays:
                problems.append(f"{conversation}: refused requests left messages behind: {strays[:5]}")
            ai_replies = sum(
                1
                for op in outcome.plan
                if op.ok and op.target == conversation and op.kind == "1to1-group" and "" in op.produces
            )
            wanted = outcome.baseline.onetoone_counts[conversation] + len(expected) + ai_replies
            if len(thread) != wanted:
                problems.append(
                    f"{conversation}: {len(thread)} messages, expected {wanted} "
                    f"({outcome.baseline.onetoone_counts[conversation]} before + {len(expected)} sent + "
                    f"{ai_replies} AI replies)"
                )
            shown = _ok(http.get(f"{ONETOONE}/conversations/{conversation}", headers=ONETOONE_AUTH))
            visible = [m for m in thread if m["event_type"] is None]
            last_reply = max((i for i, m in enumerate(visible) if not m["is_from_customer"]), default=-1)
            unread = sum(1 for m in visible[last_reply + 1 :] if m["is_from_customer"])
            if shown["unread_count"] != unread:
                problems.append(
                    f"{conversation}: unread_count {shown['unread_count']}, but {unread} customer "
                    f"messages follow the last reply"
                )
            if shown["last_message_preview"]["body"] != visible[-1]["body"]:
                problems.append(
                    f"{conversation}: preview {shown['last_message_preview']['body']!r} is not the last "
                    f"message {visible[-1]['body']!r}"
                )
            labelled = {
                op.json["actions"][0]["tags"][0]["name"]
                for op in outcome.ops("1to1-group")
                if op.ok and op.target == conversation
            }
            tags = [t["name"] for t in shown["tags"]]
            if set(tags) != labelled | outcome.baseline.onetoone_tags[conversation] or len(tags) != len(set(tags)):
                problems.append(
                    f"{conversation}: tags {tags}, expected each of "
                    f"{sorted(labelled | outcome.baseline.onetoone_tags[conversation])} once"
                )
    assert not problems, "\n".join(problems[:30])


def test_customers_writing_from_one_new_phone_get_one_conversation(outcome: Outcome) -> None:
    with httpx.Client(base_url=outcome.base, timeout=REQUEST_TIMEOUT) as http:
        for phone in NEW_PHONES:
            ops = [op for op in outcome.ops("1to1-new-phone") if op.target == phone]
            created = [op for op in ops if op.status == 201]
            assert len(created) == 1, f"{phone}: {len(created)} inbound messages created a conversation, not 1"
            uuids = {op.body["conversation_uuid"] for op in ops}
            assert len(uuids) == 1, f"{phone}: its messages went to {len(uuids)} conversations: {sorted(uuids)}"
            bodies = Counter(m["body"] for m in onetoone_thread(http, uuids.pop()))
            assert bodies == Counter(op.marker for op in ops), f"{phone}: thread {bodies} lost or doubled messages"
        count = len(onetoone_conversation_ids(http))
    assert count == outcome.baseline.onetoone_conversations + len(NEW_PHONES), (
        f"acme has {count} conversations, expected {outcome.baseline.onetoone_conversations} + {len(NEW_PHONES)}"
    )


def test_each_action_group_ran_its_actions_in_order(outcome: Outcome) -> None:
    problems: list[str] = []
    groups = [op for op in outcome.ops("1to1-group") if op.ok]
    with httpx.Client(base_url=outcome.base, timeout=REQUEST_TIMEOUT) as http:
        everything = _ok(http.get("/__mock/1to1ai/activity", params={"slug": "acme"}))
        for conversation in ONETOONE_CONVERSATIONS:
            log = _ok(http.get("/__mock/1to1ai/activity", params={"slug": "acme", "conversation": conversation}))
            entries = log["items"]
            thread = onetoone_thread(http, conversation)
            position = {m["uuid"]: i for i, m in enumerate(thread)}
            bodies = {m["uuid"]: m["body"] for m in thread}
            stamps = [e["at"] for e in entries]
            if stamps != sorted(stamps):
                problems.append(f"{conversation}: the activity log goes back in time")
            where: dict[str, list[int]] = defaultdict(list)
            for i, entry in enumerate(entries):
                where[entry["group_uuid"]].append(i)
            for op in (g for g in groups if g.target == conversation):
                group = op.body["group_uuid"]
                places_in_log = where.pop(group, [])
                mine = [entries[i] for i in places_in_log]
                sent = [a["type"] for a in op.json["actions"]]
                if [e["type"] for e in mine] != sent or [e["index"] for e in mine] != list(range(len(sent))):
                    problems.append(
                        f"{op.marker} group {group}: ran {[(e['index'], e['type']) for e in mine]}, "
                        f"sent {list(enumerate(sent))}"
                    )
                    continue
                if places_in_log != list(range(places_in_log[0], places_in_log[0] + len(sent))):
                    problems.append(
                        f"{op.marker} group {group}: another group's actions ran between its own "
                        f"(log positions {places_in_log})"
                    )
                failed = [(e["index"], e["type"], e["status"], e["code"]) for e in mine if e["status"] != "succeeded"]
                if failed:
                    problems.append(f"{op.marker} group {group}: actions did not succeed: {failed}")
                written = [(entry, body) for entry, body in zip(mine, op.produces, strict=True) if body is not None]
                places = [position.get(entry["detail"].get("message_uuid", ""), -1) for entry, _ in written]
                if -1 in places or places != sorted(places):
                    problems.append(
                        f"{op.marker} group {group}: its messages are at thread positions {places}, "
                        f"not in the order of its actions"
                    )
                for entry, body in written:
                    if body and bodies.get(entry["detail"].get("message_uuid", "")) != body:
                        problems.append(
                            f"{op.marker} action {entry['index']} wrote "
                            f"{bodies.get(entry['detail'].get('message_uuid', ''))!r}, not {body!r}"
                        )
            if where:
                problems.append(f"{conversation}: the log holds groups nobody got a 202 for: {sorted(where)}")
            final = _ok(http.get(f"{ONETOONE}/conversations/{conversation}", headers=ONETOONE_AUTH))["mailbox"]
            moved = [e["detail"]["mailbox_uuid"] for e in entries if e["type"] == "assign_mailbox"]
            if moved and final["uuid"] != moved[-1]:
                problems.append(f"{conversation}: mailbox {final} is not the one its last assign_mailbox set")
    new_entries = everything["items"][outcome.baseline.activity_count :]
    spent = sum(e["detail"].get("tokens_spent", 0) for e in new_entries)
    if everything["ai_token_balance"] != outcome.baseline.ai_balance - spent:
        problems.append(
            f"AI token balance {everything['ai_token_balance']}, expected "
            f"{outcome.baseline.ai_balance} - {spent} spent by the AI actions"
        )
    actions = sum(len(op.json["actions"]) for op in groups)
    if len(new_entries) != actions:
        problems.append(f"the activity log gained {len(new_entries)} entries for {actions} accepted actions")
    if outcome.settled["failures"]:
        problems.append(f"background jobs raised: {outcome.settled['failures'][:5]}")
    assert not problems, "\n".join(problems[:30])


def test_omni_inbox_sends_and_inbound_land_once_and_bulk_assignments_apply_whole(outcome: Outcome) -> None:
    problems: list[str] = []
    with httpx.Client(base_url=outcome.base, timeout=REQUEST_TIMEOUT) as http:
        for conversation, channel in OMNI_CHANNELS.items():
            total, messages = omni_thread(http, outcome.omni_token, conversation, channel)
            seen = Counter(m["message_text"] for m in messages)
            accepted = [
                op.marker for op in outcome.ops("omni-send", "omni-inbound") if op.ok and op.target == str(conversation)
            ]
            problems += [
                f"{conversation} ({channel}): accepted message {body!r} is there {seen[body]} times"
                for body in accepted
                if seen[body] != 1
            ]
            wanted = outcome.baseline.omni_totals[conversation] + len(accepted)
            if total != wanted or len(messages) != total:
                problems.append(f"{conversation} ({channel}): total {total}, listed {len(messages)}, expected {wanted}")
        _, closed = omni_thread(http, outcome.omni_token, OMNI_WA_CLOSED, "whatsapp")
        leaked = [m["message_text"] for m in closed if m["message_text"] and MARKER.fullmatch(m["message_text"])]
        if leaked:
            problems.append(f"{OMNI_WA_CLOSED}: refused sends were stored anyway: {leaked[:5]}")
        bulk = [op for op in outcome.ops("omni-bulk") if op.ok]
        problems += [
            f"{op.marker}: bulk assign processed {op.body['processed_count']} of {len(OMNI_BULK_IDS)}"
            for op in bulk
            if op.body["processed_count"] != len(OMNI_BULK_IDS) or op.body["conversation_ids"] != sorted(OMNI_BULK_IDS)
        ]
        # Each bulk action applies to every conversation at once: whichever ran last, all four show its assignee.
        assignees = {
            _ok(http.get(f"/omni-inbox/conversations/{c}", headers={"x-api-key": outcome.omni_token}))[
                "assigned_user_id"
            ]
            for c in OMNI_BULK_IDS
        }
        if len(assignees) != 1 or not assignees <= set(OMNI_ASSIGNEES):
            problems.append(f"after the bulk assignments the conversations hold assignees {sorted(assignees)}")
    assert not problems, "\n".join(problems[:30])


def test_a_webhook_delivered_many_times_at_once_lands_once(outcome: Outcome) -> None:
    """Iron's inbound-SMS webhook, each provider id delivered ten times in parallel: one `received`, the rest
    `duplicate` naming the same activity, and one activity per provider id on Priya's thread."""
    problems: list[str] = []
    landed: dict[str, str] = {}
    for key in WEBHOOK_KEYS:
        ops = [op for op in outcome.ops("crm-webhook") if op.target == key]
        statuses = Counter(op.body["status"] for op in ops if op.ok)
        if statuses != Counter({"received": 1, "duplicate": len(ops) - 1}):
            problems.append(f"{key}: {dict(statuses)} of {len(ops)} deliveries")
        activities = {op.body["activity_id"] for op in ops if op.ok}
        threads = {op.body["conversation_id"] for op in ops if op.ok}
        if len(activities) != 1 or threads != {CRM_CALL_THREAD}:
            problems.append(f"{key}: answered with activities {activities} on threads {threads}")
        landed[key] = next((op.marker for op in ops if op.ok and op.body["status"] == "received"), "")
    with httpx.Client(base_url=outcome.base, timeout=REQUEST_TIMEOUT) as http:
        page = _ok(
            http.get(
                f"/crm-inbox/api/v1/conversations/{CRM_CALL_THREAD}/messages",
                headers=CRM_HEADERS,
                params={"limit": 100},
            )
        )
        for key in WEBHOOK_KEYS:
            stored = [a for a in page["items"] if a["provider_message_id"] == key]
            if len(stored) != 1 or stored[0]["body"] != landed[key] or stored[0]["actor"] != "system":
                problems.append(f"{key}: stored as {[(a['body'], a['actor']) for a in stored]}")
    assert not problems, "\n".join(problems[:30])


def test_crm_sends_land_once_and_a_repeated_provider_id_is_stored_once(outcome: Outcome) -> None:
    problems: list[str] = []
    for key in DEDUP_KEYS:
        ops = [op for op in outcome.ops("crm-dedup") if op.target == key]
        created = [op for op in ops if op.status == 201]
        if len(created) != 1:
            problems.append(f"{key}: {len(created)} of {len(ops)} sends answered 201, expected exactly 1")
        if len({op.body["id"] for op in ops if op.ok}) != 1:
            problems.append(f"{key}: the sends were answered with different activities")
    created_bodies = [op.marker for op in outcome.ops("crm-send", "crm-dedup") if op.status == 201]
    repeated = [op.marker for op in outcome.ops("crm-dedup") if op.status == 200]
    with httpx.Client(base_url=outcome.base, timeout=REQUEST_TIMEOUT) as http:
        total, activities = crm_thread(http)
        seen = Counter(a["body"] for a in activities)
        problems += [
            f"accepted send {body!r} is in the thread {seen[body]} times" for body in created_bodies if seen[body] != 1
        ]
        problems += [f"repeated provider id send {body!r} was stored" for body in repeated if seen[body]]
        for key in DEDUP_KEYS:
            if (stored := sum(a["provider_message_id"] == key for a in activities)) != 1:
                problems.append(f"{key}: {stored} activities carry it")
        if total != outcome.baseline.crm_total + len(created_bodies) or len(activities) != total:
            problems.append(
                f"thread total {total}, listed {len(activities)}, expected "
                f"{outcome.baseline.crm_total} + {len(created_bodies)} sent"
            )
        thread = _ok(http.get(f"/crm-inbox/api/v1/conversations/{CRM_THREAD}", headers=CRM_HEADERS))
        if thread["unread_count"] != 0 or thread["overdue"] or thread["awaiting_reply_since"] is not None:
            problems.append(
                f"after the replies the thread still reads unread {thread['unread_count']}, "
                f"overdue {thread['overdue']}, awaiting since {thread['awaiting_reply_since']}"
            )
        pairs = _ok(http.get("/__mock/crm-inbox/training-pairs", params={"org": CRM_ACME}))["items"]
        new = pairs[outcome.baseline.crm_pairs :]
        if len(new) != 1 or new[0]["sent"] not in created_bodies:
            problems.append(
                f"the pending draft should have been superseded once, by one accepted send; "
                f"training pairs recorded: {[(p['sent'], p['label']) for p in new]}"
            )
    assert not problems, "\n".join(problems[:30])


def test_highlevel_customers_get_one_conversation_and_the_agent_replies_after_settle(outcome: Outcome) -> None:
    """Each inbound message queued the agent's reply at its wait time (30 s of mock time); settle ran them all."""
    threads = _ok(
        httpx.get(
            f"{outcome.base}/__mock/highlevel/conversations", params={"location": HL_ACME}, timeout=REQUEST_TIMEOUT
        )
    )["conversations"]
    for contact in HL_CONTACTS:
        ops = [op for op in outcome.ops("hl-inbound") if op.target == contact]
        mine = [c for c in threads if c["contact_id"] == contact]
        assert len(mine) == 1, f"{contact}: {len(ops)} concurrent messages made {len(mine)} conversations, not 1"
        thread = mine[0]
        assert {op.body["conversation_id"] for op in ops} == {thread["id"]}, f"{contact}: answers name other threads"
        inbound = Counter(m["body"] for m in thread["messages"] if m["direction"] == "inbound")
        assert inbound == Counter(op.marker for op in ops), f"{contact}: messages lost or doubled: {inbound}"
        scheduled = sum("will reply" in op.body["agent"] for op in ops)
        replies = [m for m in thread["messages"] if m["direction"] == "outbound" and m["agent_id"]]
        assert len(replies) == thread["ai_replies"] == min(scheduled, HL_MAX_REPLIES), (
            f"{contact}: {len(replies)} agent replies in the thread, ai_replies {thread['ai_replies']}, for "
            f"{scheduled} queued replies (the agent hands over after {HL_MAX_REPLIES})"
        )
        assert thread["handed_over"] == (scheduled >= HL_MAX_REPLIES), f"{contact}: handed_over is wrong"


def test_1to1_and_crm_threads_list_messages_in_the_order_the_server_took_them(outcome: Outcome) -> None:
    by_marker = {op.marker: op for op in outcome.plan if op.ok}
    problems: list[str] = []
    with httpx.Client(base_url=outcome.base, timeout=REQUEST_TIMEOUT) as http:
        threads = {c: onetoone_thread(http, c) for c in ONETOONE_CONVERSATIONS}
        for phone in NEW_PHONES:
            uuid = next(op.body["conversation_uuid"] for op in outcome.ops("1to1-new-phone") if op.target == phone)
            threads[phone] = onetoone_thread(http, uuid)
        for name, thread in threads.items():
            listed = [by_marker[m["body"]] for m in thread if m["body"] in by_marker]
            problems += [f"1TO1 AI {name}: {p}" for p in misordered(listed)]
        _, activities = crm_thread(http)
        listed = [by_marker[a["body"]] for a in activities if a["body"] in by_marker]
        problems += [f"CRM inbox {CRM_THREAD}: {p}" for p in misordered(listed)]
    assert len(listed) == len(outcome.ops("crm-send")) + len(DEDUP_KEYS), "the CRM thread lost accepted sends"
    assert not problems, f"{len(problems)} messages listed out of order:\n" + "\n".join(problems[:20])


def test_omni_threads_list_messages_in_the_order_the_server_took_them(outcome: Outcome) -> None:
    by_marker = {op.marker: op for op in outcome.ops("omni-send", "omni-inbound") if op.ok}
    problems: list[str] = []
    with httpx.Client(base_url=outcome.base, timeout=REQUEST_TIMEOUT) as http:
        for conversation, channel in OMNI_CHANNELS.items():
            _, messages = omni_thread(http, outcome.omni_token, conversation, channel)
            listed = [by_marker[m["message_text"]] for m in messages if m["message_text"] in by_marker]
            problems += [f"omni-inbox {conversation} ({channel}): {p}" for p in misordered(listed)]
    assert not problems, f"{len(problems)} messages listed out of order:\n" + "\n".join(problems[:20])


def test_journal_holds_every_request_up_to_its_bound(outcome: Outcome) -> None:
    journal, sent = outcome.journal, outcome.journaled
    held = min(sent, journal["bound"])
    assert journal["held"] == held and journal["count"] == held, (
        f"the journal holds {journal['held']} (listed {journal['count']}) of {sent} requests, bound "
        f"{journal['bound']}: expected {held}"
    )
    newest = outcome.baseline.journal_last_id + sent
    ids = [item["id"] for item in journal["items"]]
    assert ids == list(range(newest, newest - held, -1)), (
        f"the journal should hold ids {newest}..{newest - held + 1}, newest first; "
        f"missing {sorted(set(range(newest - held + 1, newest + 1)) - set(ids))[:10]}, "
        f"foreign {sorted(set(ids) - set(range(newest - held + 1, newest + 1)))[:10]}"
    )
    by_marker = {op.marker: op for op in outcome.plan if op.api is not None}
    matched: Counter[str] = Counter()
    unmarked = 0
    for item in journal["items"]:
        found = set(MARKER.findall(json.dumps(item["request_body"], ensure_ascii=False)))
        if not found:
            unmarked += 1
            if item["operation_id"] == "createConversationsBulkAction":  # an omni-inbox bulk body carries no text
                assert item["response_body"]["processed_count"] == len(OMNI_BULK_IDS), item
                continue
            assert item["operation_id"] in ("getConversation", "listConversationMessages", "getConversationStatus"), (
                f"journal entry {item['id']} ({item['method']} {item['path']}) is no request of the load"
            )
            continue
        assert len(found) == 1, f"journal entry {item['id']} mixes the bodies of {sorted(found)}"
        op = by_marker[found.pop()]
        matched[op.marker] += 1
        assert (item["api"], item["status"], item["response_body"]) == (op.api, op.status, op.body), (
            f"journal entry {item['id']} says {item['api']} {item['status']} {item['response_body']} for {op!r}: "
            f"{op.body}"
        )
    assert not [m for m, c in matched.items() if c > 1], "a request was journaled twice"
    assert unmarked <= len(outcome.ops("1to1-read", "omni-bulk")), (
        f"{unmarked} journal entries without a marker, more than the reads and the bulk actions"
    )
    assert outcome.served_after - outcome.baseline.served == sent, (
        f"health counted {outcome.served_after - outcome.baseline.served} answered API requests, {sent} were sent"
    )


def test_health_after_the_load_shows_no_internal_error(outcome: Outcome) -> None:
    health = httpx.get(f"{outcome.base}/__mock/health", timeout=REQUEST_TIMEOUT).json()
    assert health["internal_errors"] == 0, f"{health['internal_errors']} requests crashed a handler"
    assert health["strict_violations"] == 0, f"{health['strict_violations']} answers broke the mock's own spec"
    assert health["jobs_pending"] == 0, f"{health['jobs_pending']} background jobs still pending after settle"
    assert health["scenarios"] == [], f"scenarios {health['scenarios']} were on during the load"
