"""Named situations as data (`scenarios/*.yaml`): state changes, fault rules and the vendors' real limits.

A scenario file:

    name: vendor-down
    description: ...
    apis: ["*"]                 # or a list of API names
    real_limits: false          # true: each API enforces its documented rate limit
    state:                      # per API: effect name -> value, applied by that API's package
      1to1ai: {ai_token_balance: 0}
    faults:                     # first matching rule answers instead of the handler
      - {api: "*", method: "*", path: "*", error: unavailable, latency_ms: 0, every: 1}

Fault `error` is a neutral kind (rate_limited, unauthorized, server_error, bad_gateway, unavailable); each
vendor renders it in its own envelope. `path` is a glob on the path inside the API (after its prefix).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from mock_server import DATA_ROOT
from mock_server.engine.errors import FAULT_KINDS
from mock_server.engine.specs import load_yaml

__all__ = [
    "FaultRule",
    "Scenario",
    "ScenarioBook",
    "ScenarioFileError",
    "Undo",
    "load_scenarios",
    "scenario_schema",
]

Undo = Callable[[], None]


@dataclass
class FaultRule:
    api: str = "*"
    method: str = "*"
    path: str = "*"
    error: str | None = None
    status: int | None = None
    latency_ms: int = 0
    every: int = 1
    retry_after: int | None = None

    def __post_init__(self) -> None:
        if self.error is not None and self.error not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.error!r}; one of {', '.join(FAULT_KINDS)}")
        if self.every < 1:
            raise ValueError("every must be at least 1")

    def matches(self, api: str, method: str, path: str) -> bool:
        return (
            (self.api == "*" or self.api == api)
            and (self.method == "*" or self.method.upper() == method)
            and fnmatch.fnmatchcase(path, self.path)
        )


@dataclass
class Scenario:
    name: str
    description: str
    apis: list[str]
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[FaultRule] = field(default_factory=list)
    real_limits: bool = False

    def applies_to(self, api: str) -> bool:
        return "*" in self.apis or api in self.apis

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "apis": self.apis,
            "state": self.state,
            "faults": [vars(rule) for rule in self.faults],
            "real_limits": self.real_limits,
        }


class ScenarioFileError(ValueError):
    """A scenario file the mock refuses: `<file>: <field>: <what is wrong>`, one line."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {' '.join(problem.split())[:500]}")


SCHEMA_FILE = "scenario.schema.json"  # beside the built-in scenarios; docs/scenarios.md explains it


def scenario_schema(effects: Mapping[str, Collection[str]] | None = None) -> dict[str, Any]:
    """The JSON Schema of a scenario file, for the APIs being served: the packaged one, with every API name
    (`effects`' keys: a scaffolded API too) where it lists the built-in ones; state effects of an API the packaged
    schema does not describe are checked by name against its package (`effects`)."""
    schema: dict[str, Any] = json.loads((DATA_ROOT / "scenarios" / SCHEMA_FILE).read_text(encoding="utf-8"))
    if effects is not None:
        names = ["*", *effects]
        schema["properties"]["apis"]["items"]["enum"] = names
        schema["$defs"]["fault"]["properties"]["api"]["enum"] = names
        described = schema["properties"]["state"]["properties"]
        for api, api_effects in effects.items():
            if api_effects:  # an API without effects is no key of `state`
                described.setdefault(api, {"type": "object", "minProperties": 1})
        for api in list(described):
            if api not in effects:
                del described[api]
    return schema


def load_scenarios(*folders: Path, effects: Mapping[str, Collection[str]] | None = None) -> dict[str, Scenario]:
    """Every `*.yaml` / `*.yml` of the folders, in order, each checked against the scenario schema and, when
    `effects` (API name -> its state effects) is given, against the APIs served. Raises ScenarioFileError naming
    the file and the field; a name two files define is refused."""
    validator = jsonschema_rs.Draft202012Validator(scenario_schema(effects))
    found: dict[str, Scenario] = {}
    origin: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            raise ScenarioFileError(folder, "not a folder of scenario files")
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            scenario = _scenario(path, validator, effects)
            if scenario.name in found:
                raise ScenarioFileError(path, f"name: {scenario.name!r} is already defined by {origin[scenario.name]}")
            found[scenario.name] = scenario
            origin[scenario.name] = path
    return found


def _scenario(path: Path, validator: Any, effects: Mapping[str, Collection[str]] | None) -> Scenario:
    try:
        raw = load_yaml(path)
    except OSError as exc:
        raise ScenarioFileError(path, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ScenarioFileError(path, "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise ScenarioFileError(path, f"not YAML: {exc}") from None
    error = next(iter(validator.iter_errors(raw)), None)
    if error is not None:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path)
        message = error.message
        if type(error.kind).__name__ == "Enum":  # name every choice, not "or 4 other candidates"
            message = f"{json.dumps(error.instance, default=str)} is not one of {', '.join(json.dumps(o, default=str) for o in error.kind.options)}"
        raise ScenarioFileError(path, f"{where.lstrip('.') or '(the file)'}: {message}")
    stem = path.name.rsplit(".", 1)[0]
    name = raw.get("name", stem)
    if name != stem:
        raise ScenarioFileError(path, f"name: {name!r} must be the file's name without .yaml ({stem!r})")
    state = {api: dict(given) for api, given in (raw.get("state") or {}).items()}
    if effects is not None:
        for api, given in state.items():
            unknown = sorted(set(given) - set(effects[api]))
            if unknown:
                has = ", ".join(sorted(effects[api])) or "none"
                raise ScenarioFileError(
                    path, f"state.{api}.{unknown[0]}: {api} has no such state effect (it has: {has})"
                )
    return Scenario(
        name=name,
        description=str(raw["description"]).strip(),
        apis=list(raw.get("apis") or ["*"]),
        state=state,
        faults=[FaultRule(**rule) for rule in raw.get("faults") or []],
        real_limits=bool(raw.get("real_limits", False)),
    )


class ScenarioBook:
    """Which scenarios are on, the undo steps of their state changes, and the counters of `every` rules."""

    def __init__(self, available: Mapping[str, Scenario]) -> None:
        self.available = dict(available)
        self._active: dict[str, list[Undo]] = {}
        self._counters: dict[tuple[str, int], int] = {}

    def get(self, name: str) -> Scenario:
        if name not in self.available:
            raise KeyError(name)
        return self.available[name]

    @property
    def active(self) -> list[str]:
        return list(self._active)

    def is_active(self, name: str) -> bool:
        return name in self._active

    def activate(self, name: str, apply: Callable[[Scenario], list[Undo]]) -> bool:
        """Switch on; False if it already was. `apply` makes the state changes and returns how to undo them."""
        scenario = self.get(name)
        if name in self._active:
            return False
        self._active[name] = apply(scenario)
        return True

    def deactivate(self, name: str) -> bool:
        self.get(name)
        undo = self._active.pop(name, None)
        if undo is None:
            return False
        for step in reversed(undo):
            step()
        self._counters = {key: value for key, value in self._counters.items() if key[0] != name}
        return True

    def forget(self) -> None:
        """Drop every active scenario without undoing (the state they changed is being replaced)."""
        self._active.clear()
        self._counters.clear()

    def real_limits(self, names: Iterable[str], api: str | None = None) -> bool:
        return any(
            self.available[name].real_limits and (api is None or self.available[name].applies_to(api)) for name in names
        )

    def fault(self, names: Iterable[str], api: str, method: str, path: str) -> tuple[int, FaultRule | None]:
        """For this request: the latency every firing rule adds up to, and the first firing rule with an error.

        Rules fire by their own `every` counter, whatever order the scenarios were switched on in: a latency-only
        rule (slow) never hides another scenario's error.
        """
        latency = 0
        failing: FaultRule | None = None
        for name in names:
            if not self.available[name].applies_to(api):
                continue
            for index, rule in enumerate(self.available[name].faults):
                if not rule.matches(api, method, path):
                    continue
                key = (name, index)
                self._counters[key] = self._counters.get(key, 0) + 1
                if self._counters[key] % rule.every != 0:
                    continue
                latency += rule.latency_ms
                if rule.error is not None and failing is None:
                    failing = rule
        return latency, failing
