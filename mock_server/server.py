"""Build the app with the packaged APIs, scenarios and fixtures; load and save `--state` files atomically."""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from mock_server.apis import BINDINGS, binding
from mock_server.engine.app import MockApp
from mock_server.engine.clock import DEFAULT_START, MockClock
from mock_server.engine.snapshot import dumps

__all__ = ["create_app", "save_state", "load_state", "SCENARIOS_DIR"]

SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "scenarios"


def create_app(apis: Sequence[str] | None = None, *, seed: int = 0, conversations: int | None = None,
               scenarios: Sequence[str] = (), strict: bool = True, at_root: bool = False,
               start: datetime | None = None, frozen: bool = False) -> MockApp:
    """The mock for the named APIs (all by default); `at_root` serves a single API without its prefix."""
    names = list(apis) if apis else list(BINDINGS)
    return MockApp([binding(name) for name in names], seed=seed, conversations=conversations,
                   scenarios_dir=SCENARIOS_DIR, start_scenarios=scenarios, strict=strict, at_root=at_root,
                   clock=MockClock(start or DEFAULT_START, frozen=frozen))


def save_state(app: MockApp, path: Path) -> None:
    """Write the snapshot so that a crash at any moment leaves either the old file or the new one, never half."""
    data = dumps(app.snapshot()).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def load_state(app: MockApp, path: Path) -> None:
    app.restore(json.loads(path.read_text(encoding="utf-8")))
