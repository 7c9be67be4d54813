"""Small unit tests: durations and the mock clock, the route table, the handler check at startup, and the
deterministic seed."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mock_server.apis import onetoone
from mock_server.apis.onetoone.handlers import HANDLERS
from mock_server.engine.backend import MockBackend, StartupError
from mock_server.engine.clock import DEFAULT_START, MockClock, parse_duration
from mock_server.engine.errors import MethodNotAllowed, RouteNotFound
from mock_server.engine.options import MockOptions
from mock_server.engine.routing import RouteTable
from mock_server.engine.snapshot import dumps
from mock_server.engine.specs import load_spec
from mock_server.server import create_app

# -- durations ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25h", timedelta(hours=25)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("2d", timedelta(days=2)),
        ("500ms", timedelta(milliseconds=500)),
        ("-1h", timedelta(hours=-1)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("1.5h", timedelta(minutes=90)),
        ("45", timedelta(seconds=45)),
        (90, timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
    ],
)
def test_parse_duration(text: Any, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "soon", "1x", "h", "1h30", "1 hour", "h1", "--1h", True])
def test_parse_duration_refuses_garbage(bad: Any) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


# -- the clock ---------------------------------------------------------------------------------------------------


def test_frozen_clock_stands_still_and_moves_only_when_told() -> None:
    clock = MockClock(frozen=True)
    assert clock.now() == DEFAULT_START
    assert clock.now() == clock.now()
    clock.advance(timedelta(hours=25))
    assert clock.now() == DEFAULT_START + timedelta(hours=25)
    clock.advance(parse_duration("-1h"))
    assert clock.now() == DEFAULT_START + timedelta(hours=24)
    target = datetime(2026, 2, 1, tzinfo=UTC)
    clock.set(target)
    assert clock.now() == target
    assert clock.describe() == {
        "now": "2026-02-01T00:00:00Z",
        "now_precise": "2026-02-01T00:00:00+00:00",
        "frozen": True,
        "start": "2026-01-15T15:00:00Z",
    }
    clock.reset()
    assert clock.now() == DEFAULT_START and clock.frozen is True


def test_unfrozen_clock_runs_and_freezing_keeps_the_instant() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    clock = MockClock(start, frozen=False)
    first = clock.now()
    assert first >= start
    while clock.now() == first:
        pass
    assert clock.now() > first
    clock.freeze(True)
    held = clock.now()
    assert clock.frozen is True and clock.now() == held and held > first
    clock.freeze(False)
    assert clock.frozen is False and clock.now() >= held


# -- routing -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("static_first", [True, False])
def test_static_segment_beats_a_parameter(static_first: bool) -> None:
    table: RouteTable[str] = RouteTable()
    routes = [("GET", "/items/latest", "static"), ("GET", "/items/{id}", "param")]
    for method, template, target in routes if static_first else reversed(routes):
        table.add(method, template, target)
    latest = table.match("GET", "/items/latest")
    assert latest.target == "static" and latest.path_params == {}
    other = table.match("GET", "/items/42")
    assert other.target == "param" and other.path_params == {"id": "42"}


def test_static_beats_parameter_deeper_in_the_path() -> None:
    table: RouteTable[str] = RouteTable()
    table.add("GET", "/{slug}/conversations/{uuid}", "one")
    table.add("GET", "/{slug}/tester/conversations", "testers")
    assert table.match("GET", "/acme/tester/conversations").target == "testers"
    assert table.match("GET", "/acme/conversations/x").path_params == {"slug": "acme", "uuid": "x"}


def test_method_not_allowed_lists_allowed_methods() -> None:
    table: RouteTable[str] = RouteTable()
    table.add("POST", "/things/{id}", "update")
    table.add("GET", "/things/{id}", "read")
    with pytest.raises(MethodNotAllowed) as caught:
        table.match("DELETE", "/things/1")
    assert caught.value.allowed == ["GET", "POST"]
    with pytest.raises(RouteNotFound):
        table.match("DELETE", "/nothing/1")


def test_encoded_slash_stays_one_segment() -> None:
    table: RouteTable[str] = RouteTable()
    table.add("GET", "/files/{name}", "file")
    table.add("GET", "/files/{name}/meta", "meta")
    match = table.match("GET", "/files/a%2Fmeta")
    assert match.target == "file"
    assert match.path_params == {"name": "a/meta"}
    assert table.match("GET", "/files/a/meta").target == "meta"


def test_trailing_slash_is_another_path() -> None:
    table: RouteTable[str] = RouteTable()
    table.add("GET", "/things/{id}", "read")
    assert table.match("GET", "/things/1").target == "read"
    with pytest.raises(RouteNotFound):
        table.match("GET", "/things/1/")
    with pytest.raises(RouteNotFound):
        table.match("GET", "/things/")


def test_empty_parameter_does_not_match() -> None:
    table: RouteTable[str] = RouteTable()
    table.add("GET", "/a/{id}/b", "x")
    with pytest.raises(RouteNotFound):
        table.match("GET", "/a//b")


# -- handlers and startup ----------------------------------------------------------------------------------------


def test_missing_handler_refuses_to_start() -> None:
    handlers = {k: v for k, v in HANDLERS.items() if k != "getTemplate"}
    broken = dataclasses.replace(onetoone.API, handlers=handlers)
    with pytest.raises(StartupError, match="getTemplate"):
        MockBackend([broken], MockOptions())


def test_extra_handler_refuses_to_start() -> None:
    handlers = {**HANDLERS, "deleteEverything": lambda call: None}
    broken = dataclasses.replace(onetoone.API, handlers=handlers)
    with pytest.raises(StartupError, match="deleteEverything"):
        MockBackend([broken], MockOptions())


def test_the_real_binding_starts() -> None:
    backend = MockBackend([onetoone.API], MockOptions())
    assert set(backend.runtimes) == {"1to1ai"}


def test_unknown_start_scenario_refuses_to_start() -> None:
    with pytest.raises(StartupError, match="meteor"):
        create_app(apis=["1to1ai"], frozen=True, scenarios=["meteor"])


def _snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def test_every_handler_is_named_after_its_operation() -> None:
    operation_ids = load_spec(onetoone.API.spec_path).operation_ids()
    assert set(HANDLERS) == set(operation_ids)
    assert len(HANDLERS) == 16
    for operation_id, handler in HANDLERS.items():
        assert handler.__name__ == _snake(operation_id), operation_id


# -- deterministic seed ------------------------------------------------------------------------------------------


def _snapshot_text(apis: tuple[str, ...] = ("1to1ai",), **options: Any) -> str:
    return dumps(create_app(apis=list(apis), frozen=True, **options).backend.snapshot())


def test_seeding_is_deterministic() -> None:
    first, second = _snapshot_text(), _snapshot_text()
    assert first == second
    assert len(first) > 10_000


def test_every_api_seeds_deterministically_and_independently() -> None:
    every = ("1to1ai", "highlevel", "crm-inbox", "omni-inbox")
    both = json.loads(_snapshot_text(every))
    assert _snapshot_text(every) == dumps(both)
    assert json.loads(_snapshot_text(("crm-inbox",)))["apis"]["crm-inbox"] == both["apis"]["crm-inbox"]
    assert json.loads(_snapshot_text(("omni-inbox",)))["apis"]["omni-inbox"] == both["apis"]["omni-inbox"]
    # One generator per API: adding an API does not change another API's data.
    alone = json.loads(_snapshot_text(("highlevel",)))
    assert both["apis"]["highlevel"] == alone["apis"]["highlevel"]
    assert json.loads(_snapshot_text(("highlevel",), seed=3))["apis"]["highlevel"] != alone["apis"]["highlevel"]


def test_another_seed_gives_another_state() -> None:
    default, other = json.loads(_snapshot_text()), json.loads(_snapshot_text(seed=1))
    assert other["seed"] == 1
    assert default["apis"]["1to1ai"]["store"] != other["apis"]["1to1ai"]["store"]
    # the fixed records are the same whatever the seed
    for data in (default, other):
        conversations = data["apis"]["1to1ai"]["store"]["businesses"]["acme"]["conversations"]
        assert "550e8400-e29b-41d4-a716-446655440000" in conversations


def test_conversation_count_option() -> None:
    app = create_app(apis=["1to1ai"], frozen=True, conversations=500)
    businesses = app.backend.runtimes["1to1ai"].store.businesses
    fixed = {"acme": 3, "globex": 1}
    assert {slug: len(b.conversations) for slug, b in businesses.items()} == {
        slug: 500 + n for slug, n in fixed.items()
    }
    assert all(len(b.contacts) == len(b.conversations) for b in businesses.values())
    assert any(c.is_tester for c in businesses["acme"].conversations.values())


def test_zero_generated_conversations_leaves_the_fixed_ones() -> None:
    app = create_app(apis=["1to1ai"], frozen=True, conversations=0)
    businesses = app.backend.runtimes["1to1ai"].store.businesses
    assert sorted(businesses["acme"].conversations) == [
        "550e8400-e29b-41d4-a716-446655440000",
        "9a1b2c3d-0001-4e4f-8a5b-6c7d8e9f0a02",
        "9a1b2c3d-0001-4e4f-8a5b-6c7d8e9f0a03",
    ]
    assert list(businesses["globex"].conversations) == ["9a1b2c3d-0002-4e4f-8a5b-6c7d8e9f0a01"]
