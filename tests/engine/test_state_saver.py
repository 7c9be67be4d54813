"""`serve --state`: a save is written by a forked child from its copy-on-write copy of the state (issue 17, item 3),
so the server goes on answering and changing state while a large save is written, and the file holds exactly the
state of the moment the save began. Without fork (Windows) the old way still works."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import mock_server.server as server_module
from mock_server.apis import BINDINGS
from mock_server.server import StateFile, create_app, load_state, lock_path, save_state
from tests.support.processes import until

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the forked save needs os.fork")


def _saved_clock(path: Path) -> str:
    return str(json.loads(path.read_bytes())["clock"]["now"])


def test_a_save_is_written_by_a_child_with_the_state_of_its_start_while_the_server_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = min(BINDINGS)
    app = create_app(apis=[api], frozen=True)
    path = tmp_path / "state.json"
    state = StateFile(app, path, interval=0.01)
    state.attach()
    writers = tmp_path / "writers"  # one line per save: the pid that wrote it (the child's, not the server's)
    gate = tmp_path / "gate"  # each save waits for this file and takes it: the test decides when each one lands
    written = server_module.write_atomically

    def slow_write(target: Path, data: bytes) -> None:
        held = sorted(
            os.readlink(f"/proc/self/fd/{fd}")
            for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")
        )
        with open(writers, "a") as handle:
            handle.write(json.dumps({"pid": os.getpid(), "fds": held}) + "\n")
        while True:
            try:
                gate.unlink()
                break
            except FileNotFoundError:
                time.sleep(0.005)
        written(target, data)

    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        until(lambda: path.exists() and state.saved_version == app.backend.version)
        monkeypatch.setattr(server_module, "write_atomically", slow_write)
        before = http.get("/__mock/clock").json()["now"]
        assert http.post("/__mock/clock", json={"advance": "1h"}).status_code == 200
        until(writers.exists)  # a save began and is waiting to write
        at_fork = http.get("/__mock/clock").json()["now"]
        # The server answers and changes state while that save is held.
        moved = http.post("/__mock/clock", json={"advance": "1h"})
        assert moved.status_code == 200
        assert http.get("/__mock/clock").json()["now"] != at_fork
        assert _saved_clock(path) == _iso(before)  # nothing lands while the save is held
        gate.touch()
        until(lambda: _saved_clock(path) != _iso(before))
        assert _saved_clock(path) == _iso(at_fork)  # the state of the save's start, not of its end
        gate.touch()
        until(lambda: state.saved_version == app.backend.version)  # the next save has the later change
        assert _saved_clock(path) == _iso(http.get("/__mock/clock").json()["now"])
    saves = [json.loads(line) for line in writers.read_text().splitlines()]
    pids = {save["pid"] for save in saves}
    assert os.getpid() not in pids and pids, pids
    # The child holds none of the server's sockets (the event loop's, a listener, a client's): it closed them.
    assert os.path.isdir("/proc/self/fd") and not any(
        fd.startswith(("socket:", "anon_inode:")) for save in saves for fd in save["fds"]
    ), saves
    restored = create_app(apis=[api], frozen=True)
    load_state(restored, path)
    assert restored.backend.snapshot() == app.backend.snapshot()


def _iso(now: str) -> str:
    """The control API's `now` (`Z`) as the state file writes it (`+00:00`)."""
    return datetime.fromisoformat(now).isoformat()


def test_without_fork_the_save_is_taken_on_the_loop_and_written_in_a_thread(tmp_path: Path) -> None:
    api = min(BINDINGS)
    app = create_app(apis=[api], frozen=True)
    path = tmp_path / "state.json"
    state = StateFile(app, path, interval=0.01, fork=False)
    state.attach()
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        assert http.post("/__mock/clock", json={"advance": "3h"}).status_code == 200
        until(lambda: state.saved_version == app.backend.version)
        now = http.get("/__mock/clock").json()["now"]
    assert _saved_clock(path) == _iso(now)
    assert state.saves >= 1 and state.longest_pause > 0


def test_a_starting_server_waits_for_a_save_a_killed_server_left_running(tmp_path: Path) -> None:
    """`kill -9` ends the server, not the child writing its save: the next start waits for that save (its lock)
    and loads it, rather than loading the older file and having the save land over its own later."""
    import fcntl

    api = min(BINDINGS)
    path = tmp_path / "state.json"
    save_state(create_app(apis=[api], frozen=True), path)  # the file before the killed server's last save
    killed = create_app(apis=[api], frozen=True)
    with TestClient(killed, base_url="http://127.0.0.1:8000") as http:
        assert http.post("/__mock/clock", json={"advance": "5h"}).status_code == 200
    held = os.open(lock_path(path), os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)  # the orphaned child, mid-save
    its_temporary = tmp_path / ".state.json.orphan"
    its_temporary.write_bytes(b"{")
    starting = create_app(apis=[api], frozen=True)
    loaded: list[bool] = []
    thread = threading.Thread(target=lambda: loaded.append(StateFile(starting, path).load_if_present()))
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive() and its_temporary.exists(), "the start went on while a save was being written"
    server_module.write_atomically(path, server_module.encode_state(killed.backend))  # the save lands
    its_temporary.unlink()
    os.close(held)
    thread.join(timeout=10)
    assert loaded == [True]
    assert starting.backend.snapshot() == killed.backend.snapshot()
    assert lock_path(path).exists() and not [
        p for p in tmp_path.iterdir() if p.name.startswith(".state.json.") and p != lock_path(path)
    ]
