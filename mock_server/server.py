"""Build the app with the packaged APIs, scenarios and fixtures; load and save `--state` files atomically."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

try:
    import fcntl
except ImportError:  # Windows: no fork either, so no save outlives its server
    fcntl = None  # type: ignore[assignment]

from mock_server import DATA_ROOT
from mock_server.apis import BINDINGS, binding
from mock_server.engine.app import MockApp
from mock_server.engine.backend import MockBackend
from mock_server.engine.errors import FileRefused
from mock_server.engine.ids import SeededRandom
from mock_server.engine.snapshot import dumps
from mock_server.engine.types import ApiBinding, MockOptions
from mock_server.engine.validation import finite_float, refuse_constant

__all__ = [
    "FAST_OPTIONS",
    "SCENARIOS_DIR",
    "StateFile",
    "StateFileError",
    "create_app",
    "encode_state",
    "load_state",
    "save_state",
]

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
    folders = [SCENARIOS_DIR, *(Path(folder) for folder in options.scenario_dirs)]
    return MockApp(MockBackend(bindings, options, folders, scenario_effects(bindings)))


def scenario_effects(served: Sequence[ApiBinding] = ()) -> dict[str, list[str]]:
    """Every API a scenario file may name (the packaged ones, and any served beside them) and its state effects."""
    return {each.name: list(each.scenario_effects) for each in [*BINDINGS.values(), *served]}


def _reporting_seed(api: ApiBinding, seeding: Callable[[str], AbstractContextManager[object]]) -> ApiBinding:
    def seed(store: Any, fixtures: Mapping[str, Any], rng: SeededRandom, now: datetime, options: MockOptions) -> None:
        with seeding(api.name):
            api.seed(store, fixtures, rng, now, options)

    return replace(api, seed=seed)


def save_state(app: MockApp, path: Path) -> None:
    """Write the snapshot so that a crash at any moment leaves either the old file or the new one, never half."""
    _write_locked(path, encode_state(app.backend))


FAST_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def encode_state(backend: MockBackend) -> bytes:
    """The state file's bytes. orjson writes the stores' dataclasses straight from memory, about six times faster
    than cattrs' unstructuring and json (229 MB at 10,000 conversations a tenant: ~1.6 s instead of ~19 s), and the
    file loads to the same state: the same JSON data, with each dataclass's fields in their declared order rather
    than sorted (equal state still gives equal bytes). What orjson refuses (a lone surrogate a state file brought
    in, an integer past 64 bits) takes the lossless path, `encode_snapshot`."""
    try:
        return orjson.dumps(backend.snapshot(structured=True), option=FAST_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is one
        return encode_snapshot(backend.snapshot())


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


class StateFileError(FileRefused):
    """A state file the mock refuses to start from: `<file>: <what is wrong>`, one line."""


def load_state(app: MockApp, path: Path) -> None:
    """Replace the state with FILE's (all or nothing: `MockBackend.restore`), or raise StateFileError saying why."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"), parse_constant=refuse_constant, parse_float=finite_float)
    except OSError as exc:
        raise StateFileError(path, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise StateFileError(path, "not a state file: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise StateFileError(path, f"not a state file: not JSON ({exc})") from None
    except ValueError as exc:  # NaN, Infinity, 1e400: no number a store can hold (orjson would save it as null)
        raise StateFileError(path, f"not a state file: {exc}") from None
    except RecursionError:
        raise StateFileError(path, "not a state file: JSON nested too deep") from None
    try:
        app.backend.restore(data)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:  # restore changed nothing
        raise StateFileError(path, str(exc) or type(exc).__name__) from None


def remove_stale_temporaries(path: Path) -> list[Path]:
    """A process killed mid-save leaves its temporary file (never the state file itself half-written): tidy up."""
    lock = lock_path(path)
    stale = [p for p in path.parent.glob(f".{path.name}.*") if p != lock] if path.parent.is_dir() else []
    for leftover in stale:
        leftover.unlink(missing_ok=True)
    return stale


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


@contextmanager
def writing_lock(path: Path, timeout: float = 120.0) -> Iterator[None]:
    """Held by whatever writes or reads `path` whole: a save from before its fork (the child inherits it, and holds
    it through encoding to its rename), and a starting server while it tidies and loads. A `kill -9` ends the server
    but not a save its child is making; that save finishes, and the next server waits for it before reading the
    file. Without the lock the save could land after the next server's own saves and put older state back. An
    advisory `flock` on `.FILE.lock` beside the file (none where the system has no fcntl: no fork there, so no
    child outlives its server)."""
    fd = take_lock(path, timeout)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # closing it releases the lock (once no forked child holds a copy)


def take_lock(path: Path, timeout: float = 120.0) -> int | None:
    """The lock's open descriptor, locked (None without fcntl); close it to release."""
    if fcntl is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise StateFileError(path, f"another process has been writing it for over {timeout:g} s") from None
            time.sleep(0.02)
        except BaseException:
            os.close(fd)
            raise


class StateFile:
    """`serve --state FILE`: loads FILE at start, saves it whenever state changed and once more at shutdown.

    A save never stops the server for the time it takes: where the system can fork (Linux, macOS), the mock forks
    and the child process writes its copy of the state, which the kernel keeps consistent (copy-on-write) while the
    server goes on answering; the server pauses only for the fork itself (~3 ms at the default seed, ~35 ms at
    10,000 conversations a tenant). One save runs at a time; the next starts `interval` seconds after the last one
    started, or as soon as it ends if it took longer, so a change is on disk within `interval` plus two saves
    (measured by `python -m bench --only persistence`). Without fork (Windows) the snapshot is taken on the event
    loop and written in a thread, as before. Background jobs still waiting at a save are not in the file (they
    normally finish within milliseconds and the next save has their effect)."""

    def __init__(self, app: MockApp, path: Path, interval: float = 0.2, *, fork: bool | None = None) -> None:
        self.app = app
        self.path = path
        self.interval = interval
        self.fork = hasattr(os, "fork") if fork is None else fork
        self.saved_version = -1
        self.failed_version: int | None = None  # the version whose save failed: tried again once state changes
        self.saves = 0
        self.longest_pause = 0.0  # the longest the event loop waited for a save to start (the fork), in seconds
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._last_cost = 0.0
        self._last_pause = 0.0

    def load_if_present(self) -> bool:
        with writing_lock(self.path):  # a save still finishing in a killed server's child lands first
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
                # The next save starts `interval` after the last one started, or at once if it took longer; but the
                # loop waits at least four times its last pause, so saving can never take over the server.
                delay = max(self.interval - self._last_cost, 4 * self._last_pause, 0.001)
                await asyncio.wait_for(self._stopping.wait(), delay)
                return  # stopping: `stop` writes the last save itself
            except TimeoutError:
                pass
            version = self.app.backend.version
            if version not in (self.saved_version, self.failed_version):
                await self._save_or_log(version)
            else:
                self._last_cost = 0.0

    async def _save_or_log(self, version: int) -> None:
        """A failed save (a full disk, a bug) must not stop the saver: say so, keep the old file, and try again at
        the next change (and at shutdown)."""
        try:
            await self.save()
        except Exception as exc:  # the saver outlives any one save
            self.failed_version = version
            why = str(exc) if isinstance(exc, ChildSaveFailed) else f"{type(exc).__name__}: {exc}"
            log.error("convomock: could not save state to %s: %s", self.path, why)
            log.debug("the failed save", exc_info=exc)

    async def save(self) -> None:
        """One save at a time (the watcher's, then the last one at shutdown), so an older snapshot never lands
        after a newer one."""
        started = time.perf_counter()
        version = self.app.backend.version
        if self.fork:
            await self._save_in_child()
        else:
            data = encode_state(self.app.backend)
            self._paused(time.perf_counter() - started)
            await asyncio.to_thread(_write_locked, self.path, data)
        self.saved_version = version
        self.saves += 1
        self._last_cost = time.perf_counter() - started

    async def _save_in_child(self) -> None:
        """Fork; the child encodes and writes its copy of the state and exits; its error, if any, comes back
        through a pipe as one line. The lock is taken before the fork (the child inherits it), so no later save
        can rename its file before this one, whatever happens to the server meanwhile."""
        lock = await asyncio.to_thread(take_lock, self.path)  # free at once unless a killed server's child writes
        try:
            read_end, write_end = os.pipe()
        except BaseException:
            if lock is not None:
                os.close(lock)
            raise
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():  # Python 3.12+ warns of forking with threads: the child only writes
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except BaseException:  # EAGAIN, ENOMEM: nothing leaks, the next change tries again
            for fd in (read_end, write_end, lock):
                if fd is not None:
                    os.close(fd)
            raise
        if pid == 0:  # pragma: no cover - the child; coverage cannot follow it
            try:
                _child_save(self.app.backend, self.path, write_end, lock)
            finally:
                os._exit(1)  # never back into the server's code
        self._paused(time.perf_counter() - started)
        os.close(write_end)
        if lock is not None:
            os.close(lock)  # the child's copy holds it until it exits
        status, problem = await asyncio.to_thread(_collect, pid, read_end)
        if status != 0:
            raise ChildSaveFailed(problem.strip() or f"the saving process ended with status {status}")

    def _paused(self, seconds: float) -> None:
        self._last_pause = seconds
        self.longest_pause = max(self.longest_pause, seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._stopping.set()
            await self._task  # lets a save in progress finish
            self._task = None
        if self.app.backend.version != self.saved_version or not self.path.exists():
            await self._save_or_log(self.app.backend.version)


class ChildSaveFailed(Exception):
    """The forked save failed; its message is the child's `<exception>: <message>`."""


def _child_save(backend: MockBackend, path: Path, report: int, lock: int | None) -> None:  # pragma: no cover
    """The forked child (the lock inherited and held): it closes every descriptor of the server's it inherited
    (the listening socket, client connections, the event loop's), so none outlives the server or stays open after
    the server closed it; no signal of the server's reaches the parent through it (its wake-up pipe is the parent's
    too); Ctrl-C lets the save finish; nothing of the parent's (atexit, buffered files) runs at exit."""
    status = 1
    try:
        gc.disable()  # a collection would touch (and so copy) every tracked object's page for nothing
        kept = sorted({report, *([lock] if lock is not None else [])})
        previous = 2
        for fd in [*kept, _max_fd()]:
            os.closerange(previous + 1, fd)
            previous = fd
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except ValueError:  # not the main thread (an in-process test's server): nothing of the server's to undo
            pass
        write_atomically(path, encode_state(backend))
        status = 0
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which logs it
        try:
            os.write(report, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")[:2000])
        except OSError:
            pass
    finally:
        os._exit(status)


def _max_fd() -> int:
    try:
        return max(os.sysconf("SC_OPEN_MAX"), 3)
    except (ValueError, OSError):
        return 65536


def _write_locked(path: Path, data: bytes) -> None:
    with writing_lock(path):
        write_atomically(path, data)


def _collect(pid: int, report: int) -> tuple[int, str]:
    """The child's report (read to its end: the child closed its end, or exited) and exit code, in one thread, which
    also closes the pipe: a cancelled save cannot leave a read on a descriptor number already reused."""
    try:
        chunks = []
        while chunk := os.read(report, 4096):
            chunks.append(chunk)
    finally:
        os.close(report)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")
