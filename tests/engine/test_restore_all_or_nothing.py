"""`PUT /__mock/state` is all or nothing: a snapshot refused for any reason (one API's store of the wrong shape,
its generator, the clock, the scenarios) answers the control API's 400 and leaves the stores, the clock and the
active scenarios as they were; the same snapshot, unbroken, is then taken whole."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server.server import create_app

Breakage = Callable[[dict[str, Any], list[str]], None]


def _store(position: int, value: Any) -> Breakage:
    def change(snapshot: dict[str, Any], apis: list[str]) -> None:
        snapshot["apis"][apis[position]]["store"] = value

    return change


def _extra_field(position: int) -> Breakage:
    def change(snapshot: dict[str, Any], apis: list[str]) -> None:
        snapshot["apis"][apis[position]]["store"]["no_such_field"] = 1

    return change


def _set(path: tuple[str, ...], value: Any) -> Breakage:
    def change(snapshot: dict[str, Any], apis: list[str]) -> None:
        node = snapshot
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _generator(position: int, value: Any) -> Breakage:
    def change(snapshot: dict[str, Any], apis: list[str]) -> None:
        snapshot["apis"][apis[position]]["rng"] = value

    return change


def _without_api(position: int) -> Breakage:
    def change(snapshot: dict[str, Any], apis: list[str]) -> None:
        del snapshot["apis"][apis[position]]

    return change


BREAKAGES: dict[str, Breakage] = {
    "second API's store is a list": _store(1, []),
    "second API's store has an unknown field": _extra_field(1),
    "last API's store is a number": _store(-1, 7),
    "second API's generator state is too short": _generator(1, [3, [1, 2], None]),
    "last API's generator state is a number": _generator(-1, 5),
    "an API is missing": _without_api(-1),
    "clock past its range": _set(("clock", "now"), "9999-12-31T23:00:00+00:00"),
    "clock before its range": _set(("clock", "now"), "1900-01-01T00:00:00+00:00"),
    "clock not an instant": _set(("clock", "now"), "soon"),
    "clock a number": _set(("clock",), {"now": 5}),
    "clock frozen as text": _set(("clock", "frozen"), "no"),
    "scenarios a number": _set(("active_scenarios",), 5),
    "scenarios nested lists": _set(("active_scenarios",), [["x"]]),
    "scenario unknown": _set(("active_scenarios",), ["no-such-scenario"]),
    "format 2": _set(("format",), 2),
}


@pytest.fixture(scope="module")
def mock() -> Iterator[TestClient]:
    with TestClient(create_app(frozen=True)) as client:
        yield client


@pytest.fixture(scope="module")
def seeded(mock: TestClient) -> dict[str, Any]:
    """The seed's snapshot, taken before the state moves on: a restore of it would change the clock and the
    scenarios, so a half-applied refusal shows."""
    assert mock.post("/__mock/reset").status_code == 200
    snapshot: dict[str, Any] = mock.get("/__mock/state").json()
    assert len(snapshot["apis"]) >= 2
    return snapshot


@pytest.fixture
def moved_on(mock: TestClient, seeded: dict[str, Any]) -> Iterator[None]:
    """The mock two hours on with a scenario on: not the seeded state any more."""
    assert mock.post("/__mock/clock", json={"advance": "2h"}).status_code == 200
    scenario = min(mock.app.backend.scenarios.available)  # type: ignore[attr-defined]
    assert mock.post(f"/__mock/scenarios/{scenario}").status_code == 200
    yield
    assert mock.post("/__mock/reset").status_code == 200


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_refused_snapshot_changes_nothing(
    mock: TestClient, seeded: dict[str, Any], moved_on: None, breakage: str
) -> None:
    broken = copy.deepcopy(seeded)
    BREAKAGES[breakage](broken, list(seeded["apis"]))
    before = mock.get("/__mock/state").json()
    clock = mock.get("/__mock/clock").json()
    assert before != seeded

    response = mock.put("/__mock/state", json=broken)

    assert response.status_code == 400, response.text
    body = response.json()
    assert list(body) == ["error"] and isinstance(body["error"], str) and body["error"]
    assert mock.get("/__mock/state").json() == before
    assert mock.get("/__mock/clock").json() == clock


def test_the_unbroken_snapshot_is_taken_whole(mock: TestClient, seeded: dict[str, Any], moved_on: None) -> None:
    assert mock.put("/__mock/state", json=seeded).status_code == 200
    assert mock.get("/__mock/state").json() == seeded
