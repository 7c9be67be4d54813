"""What the mock keeps per request is bounded: the journal, the rate-limit windows, the background queues and the
list of bugs it has seen. (Memory over a long soak at full load is measured in bench/, not here.)"""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from mock_server.engine import backend as backend_module
from mock_server.engine.app import MockApp
from mock_server.engine.clock import DEFAULT_START, MockClock
from mock_server.engine.errors import RateLimited
from mock_server.engine.ratelimit import RateLimitPolicy, SlidingWindowLimiter
from mock_server.server import create_app
from tests.support.onetoone import ACME_TOKEN, DOC_CONVERSATION

CONVERSATION = f"/1to1ai/api/v1/public/acme/conversations/{DOC_CONVERSATION}"


def _app(journal_limit: int) -> MockApp:
    return create_app(apis=["1to1ai"], frozen=True, journal_limit=journal_limit)


def _group(http: TestClient, action: dict[str, object]) -> None:
    response = http.post(
        "/1to1ai/api/v1/public/acme/conversation/actions",
        headers={"Authorization": f"Bearer {ACME_TOKEN}"},
        json={"conversation": {"uuid": DOC_CONVERSATION}, "actions": [action]},
    )
    assert response.status_code == 202, response.text


def test_the_journal_keeps_the_newest_requests_up_to_its_bound() -> None:
    app = _app(journal_limit=40)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        for n in range(100):
            assert http.get(
                CONVERSATION, params={"n": str(n)}, headers={"Authorization": f"Bearer {ACME_TOKEN}"}
            ).status_code in (200, 400)
        held = http.get("/__mock/requests").json()
    assert held["bound"] == 40 and held["held"] == 40 and held["count"] == 40
    assert [e["query"] for e in held["items"][:2]] == ["n=99", "n=98"]  # newest first, the oldest dropped
    assert held["items"][-1]["query"] == "n=60"


def test_a_rate_limit_window_never_holds_more_than_its_limit() -> None:
    limiter = SlidingWindowLimiter([RateLimitPolicy(limit=5, window=timedelta(minutes=1))])
    refused = 0
    for second in range(500):
        try:
            limiter.hit("key", DEFAULT_START + timedelta(milliseconds=second))
        except RateLimited:
            refused += 1
    assert refused == 495
    assert all(len(hits) <= 5 for hits in limiter._hits.values())


def test_background_queues_are_dropped_once_they_drain() -> None:
    app = _app(journal_limit=10)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        for n in range(30):
            _group(http, {"type": "send_message", "message": {"kind": "text", "body": f"bounded {n}"}})
        assert http.post("/__mock/settle").json()["settled"] is True
        assert http.get("/__mock/health").json()["jobs_pending"] == 0
    assert app.backend.jobs._queues == {} and app.backend.jobs._tasks == {}


def test_the_bugs_the_mock_records_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend_module, "PROBLEMS_KEPT", 3)
    backend = _app(5).backend
    problems: list[str] = []
    for n in range(10):
        backend.keep(problems, f"bug {n}")
    assert problems == ["bug 0", "bug 1", "bug 2"]


def test_the_1to1ai_activity_log_keeps_its_newest_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server.apis.onetoone import state

    monkeypatch.setattr(state, "ACTIVITY_KEPT", 8)
    app = _app(journal_limit=10)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        for n in range(25):
            _group(http, {"type": "context_note", "note": f"note {n}"})
        http.post("/__mock/settle")
        items = http.get("/__mock/1to1ai/activity", params={"slug": "acme"}).json()["items"]
    assert 8 <= len(items) <= 10
    assert items[-1]["status"] == "succeeded" and items[-1]["index"] == 0
    assert len({i["group_uuid"] for i in items}) == len(items)  # one entry per group here, the newest ones


def test_a_busy_conversation_s_queue_drains_in_batches_not_one_job_per_loop_turn() -> None:
    """Under load each request queues several jobs for the same conversation; one job per turn of the event loop
    fell behind without end (the backlog held every group's closure: 300 MiB and 400 ms pauses in the bench)."""
    import asyncio

    from mock_server.engine.jobs import BATCH, JobRunner

    async def scenario() -> tuple[int, int]:
        runner = JobRunner(MockClock(DEFAULT_START, frozen=True))
        order: list[int] = []
        for n in range(BATCH * 2):
            runner.submit("conversation", functools.partial(order.append, n))
        for _ in range(3):  # a few turns of the loop: the answers would go out between them
            await asyncio.sleep(0)
        done = runner.completed
        await runner.settle()
        assert order == list(range(BATCH * 2))  # still in order
        return done, runner.pending

    done, pending = asyncio.run(scenario())
    assert done >= BATCH and pending == 0
