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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_server.engine.errors import FAULT_KINDS
from mock_server.engine.specs import load_yaml

__all__ = ["FaultRule", "Scenario", "ScenarioBook", "Undo", "load_scenarios"]

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


def load_scenarios(folder: Path) -> dict[str, Scenario]:
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        raw = load_yaml(path) or {}
        name = raw.get("name") or path.stem
        if name != path.stem:
            raise ValueError(f"{path.name}: name {name!r} must match the file name")
        found[name] = Scenario(
            name=name,
            description=str(raw.get("description", "")).strip(),
            apis=list(raw.get("apis") or ["*"]),
            state={api: dict(effects or {}) for api, effects in (raw.get("state") or {}).items()},
            faults=[FaultRule(**rule) for rule in raw.get("faults") or []],
            real_limits=bool(raw.get("real_limits", False)),
        )
    return found


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
