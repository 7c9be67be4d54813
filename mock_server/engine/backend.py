"""The mock's state and the services around it, with no HTTP in sight: every API's compiled spec, store and
generator, the clock, the background jobs, the scenarios, the journal and the counters health reports.

moto's backend: one object that the request path (`app.py`), the control API (`control.py`), the pages
(`ui.py`), the state file and the pytest plugin all work on, none of them through the ASGI app.
"""

from __future__ import annotations

import functools
import json
import pickle
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema_rs

from mock_server.engine.clock import DEFAULT_START, MockClock, checked_instant, parse_instant
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner
from mock_server.engine.journal import Journal
from mock_server.engine.ratelimit import SlidingWindowLimiter
from mock_server.engine.routing import RouteTable
from mock_server.engine.scenarios import (
    SCOPE_KEYS,
    Activation,
    Scenario,
    ScenarioBook,
    ScenarioFileError,
    Target,
    Undo,
    activation_key,
    id_key,
    load_scenarios,
    scenario_schema,
)
from mock_server.engine.snapshot import SnapshotError, from_json_data, to_json_data
from mock_server.engine.specs import Operation, Spec, load_spec, load_yaml
from mock_server.engine.types import ApiBinding, MockOptions

__all__ = [
    "ApiRuntime",
    "MockBackend",
    "ScenarioConflict",
    "ScenarioRefused",
    "StartupError",
    "client_headers",
    "credential_token",
]

PROBLEMS_KEPT = 1000  # the first this many bugs are kept; past that a broken mock must not also grow without end


class StartupError(RuntimeError):
    """The mock cannot start: a spec and its package disagree, or a fixture or scenario is broken."""


class ScenarioRefused(ValueError):
    """A scenario cannot be switched on as asked: a scope or parameter it cannot take (the control API's 400)."""


class ScenarioConflict(ScenarioRefused):
    """The scenario is on at that scope already, with other parameters (the control API's 409)."""


FAULT_PARAMETERS = ("latency_ms", "every", "retry_after", "status")  # a fault rule's numbers a parameter may set
_SCOPE_TEXT = 200  # the longest id a scope may name


def _drop_rules(runtime: ApiRuntime, key: str) -> None:
    if runtime.binding.drop_rules is not None:
        runtime.binding.drop_rules(runtime.store, key)  # the store of the moment: a reset replaces it


def _plain_ids(entry: Mapping[str, Any]) -> frozenset[str]:
    """A fixture tenant's ids: its key and every plain value (slug, uuid, location id, org id...)."""
    return frozenset(
        str(value) for value in entry.values() if isinstance(value, (str, int)) and not isinstance(value, bool)
    )


def _scope_of(scope: Mapping[str, Any]) -> dict[str, str]:
    """A scope as given (JSON or a query), checked: only api, tenant, conversation and contact, each an id."""
    where: dict[str, str] = {}
    for key, value in scope.items():
        if key not in SCOPE_KEYS:
            raise ScenarioRefused(f"scope.{key}: no such scope; a scenario is scoped by {', '.join(SCOPE_KEYS)}")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            raise ScenarioRefused(f"scope.{key}: an id (text), not {str(value)[:40]!r}")
        if len(str(value)) > _SCOPE_TEXT:
            raise ScenarioRefused(f"scope.{key}: at most {_SCOPE_TEXT} characters")
        where[key] = str(value).strip()
    return {key: where[key] for key in SCOPE_KEYS if key in where}


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
        self.scenario_schema = scenario_schema(effects)  # a parameter's value is checked against its effect's part
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
        keys = {
            tenant_id: str(entry.get("key"))
            for entry in runtime.fixtures.get(runtime.binding.tenant_collection) or []
            for tenant_id in _plain_ids(entry)
        }
        return [
            {
                **c,
                "base_url": root + c.get("base_path", runtime.spec.base_path),
                **({"tenant_key": keys[str(c["tenant"])]} if str(c.get("tenant")) in keys else {}),
            }
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
            "scenario_activations": [activation.as_json() for activation in self.scenarios.activations],
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
        activations = self._snapshot_activations(data, {name: store for name, (store, _) in loaded.items()})
        # Nothing below can fail: the old state is replaced only now.
        self.jobs.cancel()
        if instant is not None:  # the time the snapshot was taken at, so time-dependent answers stay the same
            self.clock.set(instant)
            self.clock.freeze(frozen)
        self.scenarios.forget()
        for name, (store, rng) in loaded.items():
            self.runtimes[name].store, self.runtimes[name].rng = store, rng
        # Scenarios that were on stay on; their state changes are in the snapshot already. Switched off, each takes
        # out the rules its effects keep in the stores (a value it replaced, such as a balance, is not known here).
        for activation in activations:
            self.scenarios.add(activation, self._rule_droppers(activation))

    def _rule_droppers(self, activation: Activation) -> list[Undo]:
        """How to switch off a restored activation: each API's `drop_rules` for its key, on the store of the moment."""
        steps: list[Undo] = []
        for api in activation.targets:
            runtime = self.runtimes[api]
            if runtime.binding.drop_rules is not None and activation.state.get(api):
                steps.append(functools.partial(_drop_rules, runtime, activation.key))
        return steps

    def _snapshot_activations(self, data: Mapping[str, Any], stores: Mapping[str, Any]) -> list[Activation]:
        """The scenarios a snapshot had on: `scenario_activations` (each with its scope and parameters) or, from an
        older snapshot, `active_scenarios` (names, on for the whole mock); checked as switching them on would be."""
        given = data.get("scenario_activations")
        names = data.get("active_scenarios")
        if names is None:  # a snapshot may give the activations alone
            names = [each.get("name") for each in given if isinstance(each, Mapping)] if isinstance(given, list) else []
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise ValueError("active_scenarios: a list of scenario names")
        unknown = sorted(set(names) - set(self.scenarios.available))
        if unknown:
            raise ValueError(f"active_scenarios: no scenario {', '.join(unknown)}"[:300])
        if given is None:
            given = [{"name": name} for name in names]
        if not isinstance(given, list) or not all(isinstance(each, Mapping) for each in given):
            raise ValueError('scenario_activations: a list of {"name", "scope", "params"}')
        activations = []
        for each in given:
            name, scope, params = each.get("name"), each.get("scope") or {}, each.get("params") or {}
            if not isinstance(name, str) or name not in self.scenarios.available:
                raise ValueError(f"scenario_activations: no scenario {str(name)[:80]!r}")
            if not isinstance(scope, Mapping) or not isinstance(params, Mapping):
                raise ValueError(f"scenario_activations: {name}: scope and params are objects")  # noqa: TRY004 - a 400
            try:
                activations.append(self.scenario_activation(name, scope, params, stores))
            except ScenarioRefused as exc:
                raise ValueError(f"scenario_activations: {exc}") from None
        if set(names) != {activation.name for activation in activations}:
            raise ValueError("active_scenarios and scenario_activations disagree: give one, or both alike")
        return activations

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

    def apply_scenario_state(self, activation: Activation) -> list[Undo]:
        """Make an activation's state changes in every API it acts on, each within its target; returns how to undo
        them. An effect that refuses its value or target (ValueError) undoes what the others did and raises
        ScenarioRefused."""
        undo: list[Undo] = []
        try:
            for api, effects in activation.state.items():
                runtime = self.runtimes.get(api)
                if runtime is None or api not in activation.targets:
                    continue
                for effect, value in effects.items():
                    apply = runtime.binding.scenario_effects.get(effect)
                    if apply is None:
                        raise StartupError(f"scenario {activation.name}: {api} has no state effect {effect!r}")
                    undo.append(apply(runtime.store, value, self.clock, activation.targets[api]))
        except ValueError as exc:
            for step in reversed(undo):
                step()
            raise ScenarioRefused(f"{activation.name}: {exc}") from None
        return undo

    def activate_scenario(
        self, name: str, scope: Mapping[str, Any] | None = None, params: Mapping[str, Any] | None = None
    ) -> bool:
        """Switch a scenario on, for the whole mock or at a scope (api, tenant, conversation, contact) and with
        parameters (its state effects' values, its fault rules' numbers); False if it already was on at that scope.
        Raises KeyError for an unknown scenario and ScenarioRefused (a 400) for a scope or parameter it cannot take."""
        return self.switch_on(self.scenario_activation(name, scope, params))

    def switch_on(self, activation: Activation) -> bool:
        """Switch on what `scenario_activation` resolved; False if it already was on there (ScenarioConflict if with
        other parameters)."""
        name = activation.name
        current = self.scenarios.get_activation(activation.key)
        if current is not None:
            if dict(current.params) != dict(activation.params):
                raise ScenarioConflict(
                    f"{name} is on there already with params {json.dumps(dict(current.params))}: switch it off first"
                )
            return False
        self.scenarios.add(activation, self.apply_scenario_state(activation))
        return True

    def deactivate_scenario(self, name: str, scope: Mapping[str, Any] | None = None) -> bool:
        """Switch a scenario off at `scope` (None: at every scope it is on); False if it was not on there. What it
        changed is given back even when others were switched on after it: those are taken off first (newest
        first) and put back on after, so each one's undo is of the state it found."""
        self.scenarios.get(name)
        keys = self.scenarios.keys_of(name, None if scope is None else _scope_of(scope))
        for key in reversed(keys):
            later = [self.scenarios.remove(each) for each in reversed(self.scenarios.after(key))]
            self.scenarios.remove(key)
            for activation in reversed(later):
                self.scenarios.add(activation, self.apply_scenario_state(activation))
        return bool(keys)

    def scenario_activation(
        self,
        name: str,
        scope: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        stores: Mapping[str, Any] | None = None,
    ) -> Activation:
        """What switching `name` on at `scope` with `params` means, checked: each API it would act on with its
        target, the effects' values and the fault rules. Changes nothing. `stores`: the stores a conversation or
        contact is looked up in (default: the APIs' own; a snapshot being restored brings its own)."""
        scenario = self.scenarios.get(name)
        where = _scope_of(scope or {})
        apis = [api for api in self.runtimes if scenario.applies_to(api)]
        if "api" in where:
            if where["api"] not in self.runtimes:
                raise ScenarioRefused(f"scope.api: no API {where['api']!r} here; served: {', '.join(self.runtimes)}")
            if where["api"] not in apis:
                raise ScenarioRefused(
                    f"scope.api: {name} does not act on {where['api']} (it acts on: {', '.join(apis) or 'none served'})"
                )
            apis = [where["api"]]
        if scenario.real_limits and ("conversation" in where or "contact" in where):
            raise ScenarioRefused(
                f"scope: {name} sets the rate limits, which count per key: scope it to an api or tenant"
            )
        stores = stores or {}
        targets = self._targets(name, apis, where, stores)
        values = self._parameters(scenario, list(targets), dict(params or {}))
        state = {
            api: {effect: values.get(effect, value) for effect, value in effects.items()}
            for api, effects in scenario.state.items()
            if api in targets
        }
        numbers = {key: values[key] for key in FAULT_PARAMETERS if key in values}
        named = {
            api: frozenset(id_key(each) for each in find(stores.get(api, self.runtimes[api].store), target))
            for api, target in targets.items()
            if (target.conversation is not None or target.contact is not None)
            and (find := self.runtimes[api].binding.target_ids) is not None
        }
        return Activation(
            name=name,
            scope=where,
            params=values,
            targets=targets,
            state=state,
            faults=tuple(replace(rule, **numbers) for rule in scenario.faults),
            real_limits=scenario.real_limits,
            named=named,
        )

    def _targets(
        self, name: str, apis: list[str], where: Mapping[str, str], stores: Mapping[str, Any]
    ) -> dict[str, Target]:
        """Each API of `apis` whose data holds the scope's tenant, conversation and contact, with its target; a scope
        no API holds is refused, naming what none of them knows."""
        targets: dict[str, Target] = {}
        problems: list[str] = []
        for api in apis:
            runtime = self.runtimes[api]
            tenants = self.tenant_ids(api, where["tenant"]) if "tenant" in where else None
            if tenants is not None and not tenants:
                problems.append(
                    f"scope.tenant: {api} has no tenant {where['tenant']!r} (known: {self.tenant_keys(api)})"
                )
                continue
            target = Target(
                tenants=tenants,
                conversation=where.get("conversation"),
                contact=where.get("contact"),
                key=activation_key(name, where),
            )
            if target.conversation is not None or target.contact is not None:
                find = runtime.binding.find_target
                problem = (
                    find(stores.get(api, runtime.store), target)
                    if find is not None
                    else "it cannot scope a scenario to one conversation or contact"
                )
                if problem is not None:
                    field = "scope.conversation" if target.conversation is not None else "scope.contact"
                    problems.append(f"{field}: {api}: {problem}")
                    continue
            targets[api] = target
        if not targets:
            raise ScenarioRefused("; ".join(problems) if problems else f"{name} acts on no API served here")
        return targets

    def _parameters(self, scenario: Scenario, apis: list[str], params: dict[str, Any]) -> dict[str, Any]:
        """The parameters checked: each names one of the scenario's state effects in these APIs (its value checked
        against the effect's schema) or, when it has fault rules, one of their numbers."""
        schema = self.scenario_schema
        described = schema["properties"]["state"]["properties"]
        takes: dict[str, list[Any]] = {}
        for api in apis:
            for effect in scenario.state.get(api, {}):
                takes.setdefault(effect, []).append(described.get(api, {}).get("properties", {}).get(effect, {}))
        if scenario.faults:
            for key in FAULT_PARAMETERS:
                takes.setdefault(key, []).append(schema["$defs"]["fault"]["properties"][key])
        for key, value in params.items():
            if key not in takes:
                offered = ", ".join(sorted(takes)) or "none"
                raise ScenarioRefused(f"params.{key}: {scenario.name} takes no such parameter (it takes: {offered})")
            for fragment in takes[key]:
                if isinstance(value, float) and fragment.get("type") == "integer":
                    raise ScenarioRefused(f"params.{key}: {value} is not an integer")
                error = next(iter(jsonschema_rs.validator_for(fragment).iter_errors(value)), None)
                if error is not None:
                    raise ScenarioRefused(f"params.{key}: {error.message}")
        return params

    def tenant_ids(self, api: str, tenant: str) -> frozenset[str]:
        """The ids of the tenant of `api` known by `tenant` (its fixture key, such as acme, or one of its own ids:
        slug, location, org or organization id); empty if none."""
        runtime = self.runtimes[api]
        for entry in runtime.fixtures.get(runtime.binding.tenant_collection) or []:
            ids = _plain_ids(entry)
            if tenant == entry.get("key") or tenant in ids:
                return ids
        # A tenant the seed made that is no fixture tenant (a CRM subaccount): known by its credentials' id.
        if any(str(credential.get("tenant")) == tenant for credential in runtime.binding.credentials(runtime.store)):
            return frozenset({tenant})
        return frozenset()

    def tenant_keys(self, api: str) -> str:
        runtime = self.runtimes[api]
        return ", ".join(
            str(entry.get("key")) for entry in runtime.fixtures.get(runtime.binding.tenant_collection) or []
        )

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
