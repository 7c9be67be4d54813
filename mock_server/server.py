"""Build the app with the packaged APIs, scenarios and fixtures; load and save `--state` files atomically."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mock_server import DATA_ROOT
from mock_server.apis import BINDINGS, binding
from mock_server.engine.app import MockApp
from mock_server.engine.backend import MockBackend
from mock_server.engine.ids import SeededRandom
from mock_server.engine.snapshot import dumps
from mock_server.engine.types import ApiBinding, MockOptions

__all__ = ["SCENARIOS_DIR", "StateFile", "StateFileError", "create_app", "load_state", "save_state"]

log = logging.getLogger("convomock")

SCENARIOS_DIR = DATA_ROOT / "scenarios"


def create_app(
    options: MockOptions | None = None,
    /,
    *,
    seeding: Callable[[str], AbstractContextManager[object]] | None = None,
    **changes: Any,
) -> MockApp:
    """The mock for `options` (every API by default), with the packaged specs, fixtures and scenarios. Keyword
    arguments change single options: `create_app(apis=["1to1ai"], frozen=True)`. `seeding(api)` is entered around
    each API's seeding (the CLI's progress bar; every later reset enters it too)."""
    options = replace(options or MockOptions(), **changes)
    names = list(options.apis) if options.apis else list(BINDINGS)
    bindings = [binding(name) for name in names]
    if seeding is not None:
        bindings = [_reporting_seed(each, seeding) for each in bindings]
    return MockApp(MockBackend(bindings, options, SCENARIOS_DIR))


def _reporting_seed(api: ApiBinding, seeding: Callable[[str], AbstractContextManager[object]]) -> ApiBinding:
    def seed(store: Any, fixtures: Mapping[str, Any], rng: SeededRandom, now: datetime, options: MockOptions) -> None:
        with seeding(api.name):
            api.seed(store, fixtures, rng, now, options)

    return replace(api, seed=seed)


def save_state(app: MockApp, path: Path) -> None:
    """Write the snapshot so that a crash at any moment leaves either the old file or the new one, never half."""
    write_atomically(path, encode_snapshot(app.backend.snapshot()))


def encode_snapshot(snapshot: Any) -> bytes:
    """`dumps(snapshot)` as UTF-8; a string UTF-8 cannot encode (a lone surrogate a state file brought in) is
    written as its `\\ud800` escape instead of failing the save, so the file still loads to the same state."""
    text = dumps(snapshot)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(snapshot, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def write_atomically(path: Path, data: bytes) -> None:
    """Temporary file in the same folder, fsync, rename over the old one, fsync the folder."""
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


class StateFileError(ValueError):
    """A state file the mock refuses to start from: `<file>: <what is wrong>`, one line."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {' '.join(problem.split())[:500]}")


def load_state(app: MockApp, path: Path) -> None:
    """Replace the state with FILE's (all or nothing: `MockBackend.restore`), or raise StateFileError saying why."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise StateFileError(path, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise StateFileError(path, "not a state file: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise StateFileError(path, f"not a state file: not JSON ({exc})") from None
    except RecursionError:
        raise StateFileError(path, "not a state file: JSON nested too deep") from None
    try:
        app.backend.restore(data)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:  # restore changed nothing
        raise StateFileError(path, str(exc) or type(exc).__name__) from None


def remove_stale_temporaries(path: Path) -> list[Path]:
    """A process killed mid-save leaves its temporary file (never the state file itself half-written): tidy up."""
    stale = list(path.parent.glob(f".{path.name}.*")) if path.parent.is_dir() else []
    for leftover in stale:
        leftover.unlink(missing_ok=True)
    return stale


class StateFile:
    """`serve --state FILE`: loads FILE at start, saves it whenever state changed (at most every `interval`
    seconds, and never more often than four times the last save took, so a large state cannot starve the server)
    and once more at shutdown. The snapshot is taken on the event loop, so it is consistent; the write happens in a
    thread. Background jobs still waiting at a save are not in the file (they normally finish within milliseconds
    and the next save has their effect)."""

    def __init__(self, app: MockApp, path: Path, interval: float = 0.2) -> None:
        self.app = app
        self.path = path
        self.interval = interval
        self.saved_version = -1
        self.failed_version: int | None = None  # the version whose save failed: tried again once state changes
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._last_cost = 0.0

    def load_if_present(self) -> bool:
        remove_stale_temporaries(self.path)
        if not self.path.exists():
            return False
        load_state(self.app, self.path)
        return True

    def attach(self) -> None:
        """Save on change while the server runs, and at shutdown."""
        self.app.startup_hooks.append(self._start)
        self.app.shutdown_hooks.append(self.stop)

    async def _start(self) -> None:
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stopping.wait(), max(self.interval, 4 * self._last_cost))
                return  # stopping: `stop` writes the last save itself
            except TimeoutError:
                pass
            version = self.app.backend.version
            if version not in (self.saved_version, self.failed_version):
                await self._save_or_log(version)

    async def _save_or_log(self, version: int) -> None:
        """A failed save (a full disk, a bug) must not stop the saver: say so, keep the old file, and try again at
        the next change (and at shutdown)."""
        try:
            await self.save()
        except Exception as exc:  # the saver outlives any one save
            self.failed_version = version
            log.error("convomock: could not save state to %s: %s: %s", self.path, type(exc).__name__, exc)
            log.debug("the failed save", exc_info=exc)

    async def save(self) -> None:
        """One save at a time (the watcher's, then the last one at shutdown), so an older snapshot never lands
        after a newer one."""
        started = time.perf_counter()
        version = self.app.backend.version
        data = encode_snapshot(self.app.backend.snapshot())
        await asyncio.to_thread(write_atomically, self.path, data)
        self.saved_version = version
        self._last_cost = time.perf_counter() - started

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping.set()
            await self._task  # lets a save in progress finish
            self._task = None
        if self.app.backend.version != self.saved_version or not self.path.exists():
            await self._save_or_log(self.app.backend.version)
