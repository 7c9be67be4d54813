"""The options a mock is built from, in a module of their own: the pytest plugin reads them in every suite where
convomock is installed, so this imports nothing heavy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

__all__ = ["SCENARIOS_ENV", "MockOptions", "env_scenario_folders"]


@dataclass(frozen=True)
class MockOptions:
    """Everything a mock is built from: one object from the command line (or the pytest plugin) to the app, the
    backend and each API's seed."""

    apis: tuple[str, ...] | None = None  # the APIs served; None: every one
    seed: int = 0  # the generator's seed: the same seed, the same data
    conversations: int | None = None  # generated conversations per tenant; None: the fixtures' number
    tenants: tuple[str, ...] | None = None  # seed only these tenants (fixture keys), to shard tenants
    scenarios: tuple[str, ...] = ()  # switched on at start (and after every reset)
    scenario_dirs: tuple[str, ...] = ()  # folders of the user's own scenario files, beside the built-in ones
    strict: bool = True  # check every answer against the spec
    at_root: bool = False  # one API, served without its prefix
    start: datetime | None = None  # the mock clock's start; None: DEFAULT_START, so seeds are repeatable
    frozen: bool = False  # the mock clock stands still unless moved
    control_token: str | None = None  # required on /__mock (all but health) when set
    allowed_hosts: tuple[str, ...] = ()  # Host names the control API answers besides its own address and loopback
    journal_limit: int = 1000  # requests the journal keeps
    journal_bytes: int = 64 * 1024 * 1024  # and their estimated size, at most (bodies and headers cut: journal.py)

    def __post_init__(self) -> None:
        # Lists are welcome from callers; kept as tuples, so options can key a cache (the pytest plugin's apps).
        for name in ("apis", "tenants", "scenarios", "scenario_dirs", "allowed_hosts"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        if self.control_token == "":
            object.__setattr__(self, "control_token", None)


SCENARIOS_ENV = "CONVOMOCK_SCENARIOS"  # folders of the user's scenario files, separated as PATH is (os.pathsep)


def env_scenario_folders() -> list[str]:
    """The folders $CONVOMOCK_SCENARIOS names (`serve`, the pytest plugin and `convomock scenarios` read it)."""
    return [part for part in os.environ.get(SCENARIOS_ENV, "").split(os.pathsep) if part.strip()]
