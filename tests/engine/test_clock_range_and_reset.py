"""The mock clock's range and its reset, through the control API (issue 17): an instant the mock cannot work with
(`{"advance": "1000000000d"}` overflowed a timedelta; `{"set": "9999-12-31T23:00:00Z"}` was taken and every vendor
write then overflowed into a 500) is a 400 that moves nothing; `POST /__mock/reset` gives back the clock's mode as
the mock started (it used to leave a clock frozen since frozen); instants render with four-digit years."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server.engine.clock import EARLIEST, LATEST, MockClock, iso
from mock_server.engine.jobs import JobRunner
from mock_server.server import create_app

RANGE = "the mock clock runs from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z"


@pytest.fixture(scope="module")
def frozen() -> Iterator[TestClient]:
    with TestClient(create_app(frozen=True), base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.fixture(scope="module")
def running() -> Iterator[TestClient]:
    with TestClient(create_app(), base_url="http://127.0.0.1:8000") as client:
        yield client


REFUSED = [
    {"advance": "1000000000d"},
    {"set": "9999-12-31T23:00:00Z"},
    {"set": "0001-01-01T00:00:00Z"},
    {"set": "0001-01-01T00:00:00+01:00"},  # before year 1 in UTC
    {"set": "9999-12-31T23:00:00-05:00"},  # past year 9999 in UTC
    {"set": "1969-12-31T23:59:59Z"},
    {"set": "9001-01-01T00:00:00Z"},
    {"advance": "-30000d"},
    {"advance": 10**20},
    {"freeze": False, "set": "9999-12-31T23:00:00Z"},  # nothing applies, the freeze neither
    {"set": "2026-01-16T00:00:00Z", "advance": "3000000d"},
]


@pytest.mark.parametrize("body", REFUSED, ids=[str(b) for b in REFUSED])
def test_an_instant_out_of_range_is_a_400_that_moves_nothing(frozen: TestClient, body: dict[str, Any]) -> None:
    frozen.post("/__mock/reset")
    before = frozen.get("/__mock/state").text
    clock = frozen.get("/__mock/clock").json()
    response = frozen.post("/__mock/clock", json=body)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"} and response.json()["error"].endswith(RANGE)
    assert frozen.get("/__mock/clock").json() == clock
    assert frozen.get("/__mock/state").text == before


def test_an_infinite_advance_is_a_400(frozen: TestClient) -> None:
    clock = frozen.get("/__mock/clock").json()
    response = frozen.post(
        "/__mock/clock", content=b'{"advance": Infinity}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert frozen.get("/__mock/clock").json() == clock


@pytest.mark.parametrize("instant", ["1970-01-01T00:00:00Z", "9000-12-31T23:59:59Z"])
def test_the_ends_of_the_range_are_taken(frozen: TestClient, instant: str) -> None:
    frozen.post("/__mock/reset")
    response = frozen.post("/__mock/clock", json={"set": instant})
    assert response.status_code == 200, response.text
    assert response.json()["now"] == instant
    assert frozen.post("/__mock/clock", json={"advance": "1s" if instant < "2000" else "-1s"}).status_code == 200
    frozen.post("/__mock/reset")


def test_the_clock_refuses_a_start_out_of_range() -> None:
    with pytest.raises(ValueError, match=RANGE):
        MockClock(datetime(9999, 12, 31, tzinfo=UTC))
    assert MockClock(EARLIEST, frozen=True).now() == EARLIEST
    assert MockClock(LATEST, frozen=True).now() == LATEST


def test_settle_reaches_a_job_due_just_past_the_end_of_the_range() -> None:
    """A job queued with the clock at its last second is still run: settle moves the clock to its due time."""

    async def scenario() -> list[str]:
        clock = MockClock(LATEST, frozen=True)
        jobs = JobRunner(clock)
        ran: list[str] = []
        jobs.submit("conversation-1", lambda: ran.append("reply"), due=clock.now() + timedelta(seconds=30))
        await jobs.settle()
        assert clock.now() == LATEST + timedelta(seconds=30)
        return ran

    assert asyncio.run(scenario()) == ["reply"]


def test_reset_unfreezes_a_clock_that_started_running(running: TestClient) -> None:
    assert running.post("/__mock/clock", json={"freeze": True, "advance": "2d"}).json()["frozen"] is True
    answer = running.post("/__mock/reset").json()
    assert answer["clock"]["frozen"] is False
    assert running.get("/__mock/clock").json()["frozen"] is False


def test_reset_freezes_again_a_clock_that_started_frozen(frozen: TestClient) -> None:
    assert frozen.post("/__mock/clock", json={"freeze": False}).json()["frozen"] is False
    answer = frozen.post("/__mock/reset").json()
    assert answer["clock"]["frozen"] is True
    assert answer["clock"]["now"] == answer["clock"]["start"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
        (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), "0999-12-31T23:59:59Z"),
        (datetime(2026, 1, 15, 16, 0, tzinfo=timezone(timedelta(hours=1))), "2026-01-15T15:00:00Z"),
    ],
)
def test_iso_writes_four_digit_years(value: datetime, text: str) -> None:
    assert iso(value) == text
