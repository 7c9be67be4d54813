"""The mock's state and the services around it, with no HTTP in sight: every API's compiled spec, store and
generator, the clock, the background jobs, the scenarios, the journal and the counters health reports.

moto's backend: one object that the request path (`app.py`), the control API (`control.py`), the pages
(`ui.py`), the state file and the pytest plugin all work on, none of them through the ASGI app.
"""

from __future__ import annotations

import pickle
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mock_server.engine.clock import DEFAULT_START, MockClock, checked_instant, parse_instant
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner
from mock_server.engine.journal import Journal
from mock_server.engine.ratelimit import SlidingWindowLimiter
from mock_server.engine.routing import RouteTable
from mock_server.engine.scenarios import WHOLE, Scenario, ScenarioBook, ScenarioFileError, Undo, load_scenarios
from mock_server.engine.snapshot import SnapshotError, from_json_data, to_json_data
from mock_server.engine.specs import Operation, Spec, load_spec, load_yaml
from mock_server.engine.types import ApiBinding, MockOptions

__all__ = ["ApiRuntime", "MockBackend", "StartupError", "client_headers", "credential_token"]

PROBLEMS_KEPT = 1000  # the first this many bugs are kept; past that a broken mock must not also grow without end


class StartupError(RuntimeError):
    """The mock cannot start: a spec and its package disagree, or a fixture or scenario is broken."""


@dataclass
class ApiRuntime:
    """One API as served: its binding, compiled spec, routes, and its current state and generator."""

    binding: ApiBinding
    spec: Spec
    routes: RouteTable[Operation]
    store: Any
    rng: SeededRandom
    limiter: SlidingWindowLimiter | None
    fixtures: Mapping[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return self.binding.name


class MockBackend:
    """Everything the mock holds. Built once per app from the bindings, the options and the scenario files."""

    def __init__(
        self,
        bindings: Sequence[ApiBinding],
        options: MockOptions,
        scenarios_dir: Path | Sequence[Path] | None = None,
        known_effects: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        """`scenarios_dir`: the folders of scenario files (the built-in one, then the user's); `known_effects`: every
        API a scenario may name and its state effects (default: the served APIs'), which the files are checked
        against."""
        if options.at_root and len(bindings) != 1:
            raise StartupError("serving at the root needs exactly one API")
        self.options = options
        self.clock = MockClock(options.start or DEFAULT_START, frozen=options.frozen)
        self.journal = Journal(options.journal_limit, options.journal_bytes)
        self.jobs = JobRunner(self.clock)
        folders = [scenarios_dir] if isinstance(scenarios_dir, Path) else list(scenarios_dir or [])
        effects = (
            known_effects
            if known_effects is not None
            else {binding.name: list(binding.scenario_effects) for binding in bindings}
        )
        try:
            self.scenarios = ScenarioBook(load_scenarios(*folders, effects=effects))
        except ScenarioFileError as exc:
            raise StartupError(str(exc)) from None
        # Counts every change to state (a write that succeeded, a control call that changes something); with the
        # background jobs' count it tells a state file when there is something new to save.
        self.changes = 0
        self.served = 0  # API requests answered since start (a reset does not clear it, unlike the journal)
        self.server_errors = 0  # of those, answers 5xx (a scenario's injected fault included)
        self.strict_violations: list[str] = []
        self.internal_errors: list[str] = []
        self.runtimes: dict[str, ApiRuntime] = {}
        self._seeded_before = False
        self._seed_templates: dict[str, bytes] = {}  # see `_fresh_state`
        for binding in bindings:
            self.runtimes[binding.name] = self._runtime(binding)
        for name in options.scenarios:
            if name not in self.scenarios.available:
                raise StartupError(f"unknown scenario {name!r}; known: {', '.join(sorted(self.scenarios.available))}")
        self.reset()

    def _runtime(self, binding: ApiBinding) -> ApiRuntime:
        spec = load_spec(binding.spec_path)
        _check_binding(binding, spec)
        routes: RouteTable[Operation] = RouteTable()
        for operation in spec.operations:
            routes.add(operation.method, self.api_root(binding) + operation.path, operation)
        fixtures = _only_tenants(binding, load_yaml(binding.fixtures_path) or {}, self.options.tenants)
        limiter = SlidingWindowLimiter(binding.rate_limits) if binding.rate_limits else None
        return ApiRuntime(binding, spec, routes, None, SeededRandom(self.options.seed), limiter, fixtures)

    # -- where things are ----------------------------------------------------------------------------------------

    def api_root(self, binding: ApiBinding) -> str:
        """Where an API is mounted: its prefix, or '' when it is served alone at the root."""
        return "" if self.options.at_root else binding.prefix

    def credentials(self, runtime: ApiRuntime, base_url: str) -> list[dict[str, Any]]:
        """The API's working credentials, each with `base_url`: where a client points (the mock at `base_url`, the
        API's prefix, the vendor's path). What `GET /__mock/credentials`, the banner and the pytest plugin list."""
        root = base_url + self.api_root(runtime.binding)
        return [
            {**c, "base_url": root + c.get("base_path", runtime.spec.base_path)}
            for c in runtime.binding.credentials(runtime.store)
        ]

    # -- state ---------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seeded start: clock at its start, fresh stores, empty journal, start scenarios on."""
        self.jobs.cancel()
        self.clock.reset()
        self.journal.clear()
        self.scenarios.forget()
        for runtime in self.runtimes.values():
            runtime.store, runtime.rng = self._fresh_state(runtime)
            if runtime.limiter:
                runtime.limiter.clear()
        self._seeded_before = True
        for name in self.options.scenarios:
            self.activate_scenario(name)

    def _fresh_state(self, runtime: ApiRuntime) -> tuple[Any, SeededRandom]:
        """A freshly seeded store and generator. Seeding depends only on the fixtures, the seed and the clock's start,
        so from the second reset on its result is kept pickled and loaded again: a test suite that resets before
        every test pays ~4 ms for the four APIs instead of ~45 ms. Start-up seeds once and keeps nothing."""
        template = self._seed_templates.get(runtime.name)
        if template is not None:
            store, rng = pickle.loads(template)
            return store, rng
        rng = SeededRandom(self.options.seed)
        store = runtime.binding.new_store()
        runtime.binding.seed(store, runtime.fixtures, rng, self.clock.start, self.options)
        if self._seeded_before:
            self._seed_templates[runtime.name] = pickle.dumps((store, rng), pickle.HIGHEST_PROTOCOL)
        return store, rng

    @property
    def version(self) -> int:
        """Grows whenever state may have changed: writes, control changes and finished background jobs."""
        return self.changes + self.jobs.completed

    def snapshot(self, *, structured: bool = False) -> dict[str, Any]:
        """Everything `restore` takes back, as JSON data; `structured=True` leaves each store as its dataclasses
        (orjson writes those directly: the state file's fast path, `encode_state`)."""
        return {
            "format": 1,
            "seed": self.options.seed,
            "active_scenarios": self.scenarios.active,
            "clock": {"now": self.clock.now().isoformat(), "frozen": self.clock.frozen},
            "apis": {
                name: {"store": rt.store if structured else to_json_data(rt.store), "rng": rt.rng.state_json()}
                for name, rt in self.runtimes.items()
            },
        }

    def restore(self, data: Any) -> None:
        """Replace every store (and generator), the clock and the active scenarios from a snapshot, all or nothing:
        the whole new state is built and checked first (each API's shape and its package's `check_state`), and only
        then swapped in. A refusal raises SnapshotError or ValueError with the jobs, clock and stores untouched."""
        if not isinstance(data, Mapping) or data.get("format") != 1 or not isinstance(data.get("apis"), Mapping):
            raise ValueError('a snapshot is {"format": 1, "apis": {...}} as GET /__mock/state gives it')
        loaded = {name: self._loaded_api(runtime, data["apis"].get(name)) for name, runtime in self.runtimes.items()}
        instant, frozen = _snapshot_clock(data.get("clock"))
        scenarios = data.get("active_scenarios") or []
        if not isinstance(scenarios, list) or not all(isinstance(name, str) for name in scenarios):
            raise ValueError("active_scenarios: a list of scenario names")
        unknown = sorted(set(scenarios) - set(self.scenarios.available))
        if unknown:
            raise ValueError(f"active_scenarios: no scenario {', '.join(unknown)}")
        # Nothing below can fail: the old state is replaced only now.
        self.jobs.cancel()
        if instant is not None:  # the time the snapshot was taken at, so time-dependent answers stay the same
            self.clock.set(instant)
            self.clock.freeze(frozen)
        self.scenarios.forget()
        for name, (store, rng) in loaded.items():
            self.runtimes[name].store, self.runtimes[name].rng = store, rng
        # Scenarios that were on stay on; their state changes are in the snapshot already (and cannot be undone).
        for name in scenarios:
            self.scenarios.activate(name, lambda scenario: [])

    def _loaded_api(self, runtime: ApiRuntime, part: Any) -> tuple[Any, SeededRandom]:
        """One API's store and generator from its part of a snapshot, checked by its package before anything uses
        them (a reference to a record that does not exist would answer 500 on every list)."""
        name = runtime.name
        if not isinstance(part, Mapping) or "store" not in part or "rng" not in part:
            raise ValueError(f"snapshot has no state for API {name!r}")
        rng = SeededRandom()
        try:
            rng.load_state_json(part["rng"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: bad generator state: {exc}") from None
        try:
            store = from_json_data(part["store"], runtime.binding.store_type)
        except SnapshotError as exc:
            raise SnapshotError(f"{name}: {exc}") from None
        if runtime.binding.check_state is not None:
            problems = runtime.binding.check_state(store)
            if problems:
                more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
                raise SnapshotError(f"{name}: inconsistent state: {'; '.join(problems[:3])}{more}")
        return store, rng

    # -- scenarios -----------------------------------------------------------------------------------------------

    def apply_scenario_state(self, scenario: Scenario) -> list[Undo]:
        """Make a scenario's state changes in every API it names; returns how to undo them."""
        undo: list[Undo] = []
        for api, effects in scenario.state.items():
            runtime = self.runtimes.get(api)
            if runtime is None:
                continue
            for effect, value in effects.items():
                apply = runtime.binding.scenario_effects.get(effect)
                if apply is None:
                    raise StartupError(f"scenario {scenario.name}: {api} has no state effect {effect!r}")
                undo.append(apply(runtime.store, value, self.clock, WHOLE))
        return undo

    def activate_scenario(self, name: str) -> bool:
        return self.scenarios.activate(name, self.apply_scenario_state)

    def deactivate_scenario(self, name: str) -> bool:
        return self.scenarios.deactivate(name)

    # -- what health reports -------------------------------------------------------------------------------------

    def keep(self, problems: list[str], message: str) -> None:
        """Record a bug of the mock (a crash, an answer outside the spec), up to PROBLEMS_KEPT of each kind."""
        if len(problems) < PROBLEMS_KEPT:
            problems.append(message)


def _check_binding(binding: ApiBinding, spec: Spec) -> None:
    """The package and its spec agree: every kind of error worded, one handler per operation and no other."""
    unworded = binding.errors.missing()
    if unworded:
        raise StartupError(f"{binding.name}: its ErrorStyle does not word the error kinds {', '.join(unworded)}")
    ids = spec.operation_ids()
    missing = sorted(ids - set(binding.handlers))
    extra = sorted(set(binding.handlers) - ids)
    if missing or extra:
        raise StartupError(
            f"{binding.name}: operations without a handler: {missing or 'none'}; "
            f"handlers without an operation: {extra or 'none'}"
        )


_CLOCK_SHAPE = 'bad clock in snapshot: {"now": "<ISO 8601 instant>", "frozen": true|false}'


def _snapshot_clock(clock: Any) -> tuple[datetime | None, bool]:
    """A snapshot's clock: its instant (checked against the clock's range) and whether it was frozen; (None, False)
    for a snapshot without one (the clock stays as it is)."""
    if clock is None:
        return None, False
    if not isinstance(clock, Mapping) or not isinstance(clock.get("now"), str):
        raise ValueError(_CLOCK_SHAPE)  # noqa: TRY004 - every refusal of a snapshot is a ValueError (a 400)
    frozen = clock.get("frozen", False)
    if not isinstance(frozen, bool):
        raise ValueError(f"bad clock in snapshot: frozen is true or false, not {frozen!r}"[:200])  # noqa: TRY004
    try:
        return checked_instant(parse_instant(clock["now"])), frozen
    except ValueError as exc:
        raise ValueError(f"bad clock in snapshot: {exc}") from None


def client_headers(credential: Mapping[str, Any]) -> dict[str, str]:
    """What a client holding this credential sends on every call: the token (as a bearer token, or in the header
    the credential names in `token_header`, such as an `x-api-key`), then the API's own headers (HighLevel's
    `Version`) and the tenant's (the CRM inbox's `X-Org-Id`)."""
    return {**credential_token(credential), **credential.get("headers", {}), **credential.get("tenant_headers", {})}


def credential_token(credential: Mapping[str, Any]) -> dict[str, str]:
    """The credential's token in the header it goes in: `token_header` (an `x-api-key`), else a bearer token."""
    header = credential.get("token_header")
    return {header: str(credential["token"])} if header else {"Authorization": f"Bearer {credential['token']}"}


def _only_tenants(binding: ApiBinding, fixtures: Mapping[str, Any], tenants: Sequence[str] | None) -> Mapping[str, Any]:
    """The fixtures with only the named tenants (`serve --tenants`, to shard by tenant); every tenant has a `key`."""
    if not tenants:
        return fixtures
    entries = fixtures.get(binding.tenant_collection) or []
    unknown = set(tenants) - {entry.get("key") for entry in entries}
    if unknown:
        known = ", ".join(sorted(str(entry.get("key")) for entry in entries))
        raise StartupError(f"{binding.name}: no tenant {', '.join(sorted(unknown))} in the fixtures (known: {known})")
    return {**fixtures, binding.tenant_collection: [e for e in entries if e.get("key") in tenants]}
