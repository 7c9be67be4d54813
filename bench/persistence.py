"""Saving `--state`: how long the server stops answering for a save, and what a `kill -9` loses.

Per size (the default seed, `--conversations 10000`), `convomock serve --freeze --state FILE` on a fresh file; once
the first save is on disk, a writer advances the frozen mock clock one second per request (`POST /__mock/clock
{"advance": "1s"}`: every write changes the state, so the saver saves back to back) and keeps each acknowledgement's
time, while a prober sends `GET /__mock/health` back to back on its own connection.

- **Pause**: the prober's longest wait, and its p99, against the same load without `--state` (what the saves
  cost the server's answers; the fork itself is the only time the event loop stops).
- **Loss window**: after a random 2-5 s of writes, `kill -9` the server's own process (as a user's `kill -9 PID`
  does: a save already running in its forked child finishes). Once nothing of it runs, the file's clock says which
  write it holds last; the loss is the time from the acknowledgement of the first write the file lacks to the kill
  (0 when it holds every acknowledged one).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.servers import ServerFailed, free_port, wait_http
from bench.targets import mock_server

__all__ = ["SIZES", "PersistenceResult", "measure_persistence"]

# (label, extra `convomock serve` arguments, kills)
SIZES: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("default seed", (), 5),
    ("--conversations 10000", ("--conversations", "10000"), 3),
)
_CLOCK = re.compile(rb'"clock":\{"frozen":(?:true|false),"now":"([^"]+)"\}|"clock":\{"now":"([^"]+)","frozen"')


@dataclass
class PersistenceResult:
    label: str
    args: Sequence[str]
    state_mb: float = 0.0
    baseline_max_ms: float = 0.0
    baseline_p99_ms: float = 0.0
    saving_max_ms: list[float] = field(default_factory=list)
    saving_p99_ms: list[float] = field(default_factory=list)
    loss_s: list[float] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "args": list(self.args),
            "state_mb": self.state_mb,
            "baseline_max_ms": self.baseline_max_ms,
            "baseline_p99_ms": self.baseline_p99_ms,
            "saving_max_ms": self.saving_max_ms,
            "saving_p99_ms": self.saving_p99_ms,
            "loss_s": self.loss_s,
            "writes": self.writes,
            "failures": self.failures,
        }


class _Load:
    """The writer and the prober, each on its own kept-alive connection, until `stop`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.acknowledged: list[float] = []  # the monotonic time of write k's answer is acknowledged[k - 1]
        self.waits: list[float] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write), threading.Thread(target=self._probe)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _write(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = b'{"advance": "1s"}'
        while not self._stop.is_set():
            try:
                connection.request("POST", "/__mock/clock", body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                return  # killed
            if response.status != 200:
                self.errors.append(f"POST /__mock/clock answered {response.status}")
                return
            self.acknowledged.append(time.monotonic())

    def _probe(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self._stop.is_set():
            sent = time.perf_counter()
            try:
                connection.request("GET", "/__mock/health")
                connection.getresponse().read()
            except (OSError, http.client.HTTPException):
                return  # killed
            self.waits.append(time.perf_counter() - sent)


def _p99(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 100 else max(values, default=0.0)


def _clock_now(port: int) -> datetime:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/__mock/clock")
    return datetime.fromisoformat(json.loads(connection.getresponse().read())["now"])


def _saved_clock(path: Path) -> datetime:
    """The clock a state file holds (its keys are sorted, so the clock is near the end: read only the tail)."""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 4096))
        tail = handle.read()
    found = _CLOCK.search(tail)
    if found is None:
        raise ServerFailed(f"{path}: no clock in the file's last 4 KiB")
    return datetime.fromisoformat((found.group(1) or found.group(2)).decode())


def _wait_until_gone(group: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    os.killpg(group, signal.SIGKILL)


def _one_run(
    result: PersistenceResult, args: Sequence[str], *, save: bool, seconds: float, log_dir: Path, number: int
) -> None:
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="convomock-persist-"))
    path = folder / "state.json"
    extra = ["--freeze", *args, *(["--state", str(path)] if save else [])]
    server = mock_server(
        f"persistence-{number}-{'-'.join(args) or 'default'}-{'save' if save else 'none'}", port, None, log_dir, extra
    )
    server.spawn()
    try:
        wait_http(port, "/__mock/health", timeout=300, process=server.process)
        if save:
            deadline = time.monotonic() + 300
            while not path.exists():  # the first save: the seeded state
                if time.monotonic() > deadline:
                    raise ServerFailed("no first save within 300 s")
                time.sleep(0.05)
        start = _clock_now(port)
        load = _Load(port)
        load.start()
        time.sleep(seconds)
        killed_at = time.monotonic()
        if save:
            os.kill(server.pid, signal.SIGKILL)  # the server only: a save under way in its child finishes
        load.stop()
        result.failures.extend(load.errors)
        if not load.waits:
            raise ServerFailed("the prober got no answer")
        if not save:
            result.baseline_max_ms = max(load.waits) * 1000
            result.baseline_p99_ms = _p99(load.waits) * 1000
            return
        assert server.process is not None
        server.process.wait()  # reaped: a zombie would still count as one of the group
        _wait_until_gone(server.pid)
        held = round((_saved_clock(path) - start).total_seconds())  # writes the file holds: the clock moved 1 s each
        acknowledged = [at for at in load.acknowledged if at <= killed_at]
        missing = acknowledged[held:] if held < len(acknowledged) else []
        result.loss_s.append(killed_at - missing[0] if missing else 0.0)
        result.writes.append(len(acknowledged))
        result.saving_max_ms.append(max(load.waits) * 1000)
        result.saving_p99_ms.append(_p99(load.waits) * 1000)
        result.state_mb = max(result.state_mb, path.stat().st_size / 1e6)
    finally:
        server.stop()
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()


def measure_persistence(
    label: str, args: Sequence[str], kills: int, *, log_dir: Path, say: Callable[[str], None], seed: int = 1
) -> PersistenceResult:
    result = PersistenceResult(label, args)
    chance = random.Random(seed)
    try:
        say(f"bench: persistence, {label}: the same load without --state")
        _one_run(result, args, save=False, seconds=4.0, log_dir=log_dir, number=0)
        for number in range(1, kills + 1):
            seconds = 2.0 + chance.random() * 3.0
            say(f"bench: persistence, {label}: kill -9 {number} of {kills} after {seconds:.1f} s of writes")
            _one_run(result, args, save=True, seconds=seconds, log_dir=log_dir, number=number)
    except ServerFailed as exc:
        result.failures.append(str(exc).splitlines()[0])
    return result


def persistence_table(results: Sequence[PersistenceResult]) -> list[list[str]]:
    lines = []
    for r in results:
        lines.append(
            [
                r.label + (" [FAILED]" if r.failures else ""),
                f"{r.state_mb:.1f}",
                f"{r.baseline_p99_ms:.1f} / {r.baseline_max_ms:.1f}",
                f"{max(r.saving_p99_ms, default=0):.1f} / {max(r.saving_max_ms, default=0):.1f}",
                f"{statistics.median(r.loss_s) if r.loss_s else 0:.2f} / {max(r.loss_s, default=0):.2f}",
                str(sum(r.writes)),
            ]
        )
    return lines
