"""Small unit tests: durations and the mock clock, the route table, the handler check at startup, and the
deterministic seed."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mock_server.apis import BINDINGS
from mock_server.engine.backend import MockBackend, StartupError
from mock_server.engine.clock import DEFAULT_START, MockClock, parse_duration
from mock_server.engine.errors import MethodNotAllowed, RateLimited, RouteNotFound
from mock_server.engine.options import MockOptions
from mock_server.engine.ratelimit import RateLimitPolicy, RateState, SlidingWindowLimiter
from mock_server.engine.routing import RouteTable
from mock_server.engine.snapshot import dumps
from mock_server.engine.specs import load_spec, load_yaml
from mock_server.engine.types import ApiBinding
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
    table.add("GET", "/{tenant}/things/{id}", "one")
    table.add("GET", "/{tenant}/archived/things", "archived")
    assert table.match("GET", "/t1/archived/things").target == "archived"
    assert table.match("GET", "/t1/things/x").path_params == {"tenant": "t1", "id": "x"}


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

FIRST = next(iter(BINDINGS.values()))  # any API shows the check; the first served one


def test_missing_handler_refuses_to_start() -> None:
    dropped = min(FIRST.handlers)
    handlers = {k: v for k, v in FIRST.handlers.items() if k != dropped}
    broken = dataclasses.replace(FIRST, handlers=handlers)
    with pytest.raises(StartupError, match=dropped):
        MockBackend([broken], MockOptions())


def test_extra_handler_refuses_to_start() -> None:
    handlers = {**FIRST.handlers, "deleteEverything": lambda call: None}
    broken = dataclasses.replace(FIRST, handlers=handlers)
    with pytest.raises(StartupError, match="deleteEverything"):
        MockBackend([broken], MockOptions())


@pytest.mark.parametrize("binding", list(BINDINGS.values()), ids=list(BINDINGS))
def test_the_real_binding_starts(binding: ApiBinding) -> None:
    backend = MockBackend([binding], MockOptions())
    assert set(backend.runtimes) == {binding.name}
    assert set(binding.handlers) == load_spec(binding.spec_path).operation_ids()


def test_unknown_start_scenario_refuses_to_start() -> None:
    with pytest.raises(StartupError, match="meteor"):
        create_app(apis=[FIRST.name], frozen=True, scenarios=["meteor"])


# -- deterministic seed ------------------------------------------------------------------------------------------


def _snapshot_text(apis: tuple[str, ...], **options: Any) -> str:
    return dumps(create_app(apis=list(apis), frozen=True, **options).backend.snapshot())


@pytest.mark.parametrize("api", list(BINDINGS))
def test_seeding_is_deterministic(api: str) -> None:
    first, second = _snapshot_text((api,)), _snapshot_text((api,))
    assert first == second
    assert len(first) > 1_000


def test_every_api_seeds_deterministically_and_independently() -> None:
    every = tuple(BINDINGS)
    both = json.loads(_snapshot_text(every))
    assert _snapshot_text(every) == dumps(both)
    for api in every:
        # One generator per API: adding an API does not change another API's data; another seed does.
        alone = json.loads(_snapshot_text((api,)))
        assert both["apis"][api] == alone["apis"][api], api
        if "generated" in (load_yaml(BINDINGS[api].fixtures_path) or {}):  # records drawn from the generator
            assert json.loads(_snapshot_text((api,), seed=3))["apis"][api] != alone["apis"][api], api


# -- the rate limiter -------------------------------------------------------------------------------------------------

BURST = RateLimitPolicy(limit=5, window=timedelta(seconds=10), name="burst")
DAY = RateLimitPolicy(limit=50, window=timedelta(days=1), name="day", resolution=timedelta(minutes=1))


def _remaining(states: list[RateState]) -> list[int]:
    return [state.remaining for state in states]


def test_a_limiter_not_enforcing_counts_and_never_refuses() -> None:
    limiter = SlidingWindowLimiter([BURST, DAY])
    seen = [_remaining(limiter.hit("key", DEFAULT_START, enforce=False)) for _ in range(60)]
    assert seen[:6] == [[4, 49], [3, 48], [2, 47], [1, 46], [0, 45], [0, 44]]  # a full burst stays full at 0
    assert seen[-1] == [0, 0]  # the day fills too, and stays at 0
    # memory: the frozen instant is one entry per window, never more than a window's limit
    assert [len(window) for window in limiter._hits.values()] == [1, 1]
    assert _remaining(limiter.hit("other", DEFAULT_START, enforce=False)) == [4, 49]  # per key
    later = DEFAULT_START + timedelta(seconds=10)
    assert _remaining(limiter.hit("key", later, enforce=False)) == [4, 0]  # the burst frees on the mock clock


def test_a_limiter_window_stays_bounded_on_a_running_clock() -> None:
    limiter = SlidingWindowLimiter([BURST, DAY])
    for second in range(3_000):  # 50 minutes, a request a second
        limiter.hit("key", DEFAULT_START + timedelta(seconds=second), enforce=False)
    burst, day = limiter._hits[("key", 0)], limiter._hits[("key", 1)]
    assert len(burst) <= BURST.limit and burst.count == 5
    assert day.count == DAY.limit and len(day) <= 1 + 50  # the day's entries are per minute, and at most its limit


def test_a_limiter_forgets_hits_after_a_clock_set_back() -> None:
    limiter = SlidingWindowLimiter([BURST, DAY])
    for _ in range(3):
        limiter.hit("key", DEFAULT_START + timedelta(hours=1))
    earlier = DEFAULT_START - timedelta(days=400)
    assert _remaining(limiter.hit("key", earlier)) == [4, 49]  # the three "future" hits are gone
    assert _remaining(limiter.hit("key", earlier + timedelta(seconds=30))) == [4, 48]


def test_an_enforcing_limiter_refuses_the_request_over_and_counts_nothing() -> None:
    limiter = SlidingWindowLimiter([BURST, DAY])
    for _ in range(5):
        limiter.hit("key", DEFAULT_START)
    with pytest.raises(RateLimited) as refused:
        limiter.hit("key", DEFAULT_START + timedelta(seconds=3))
    assert (refused.value.window, refused.value.retry_after) == ("burst", 7)
    assert _remaining(refused.value.states) == [0, 45]  # type: ignore[arg-type]
    assert _remaining(limiter.hit("key", DEFAULT_START + timedelta(seconds=10))) == [4, 44]
