"""The processes a benchmark starts: each pinned to its cores, logged to a file, waited for, measured, stopped.

Every server runs in its own session so that stopping it (SIGTERM, then SIGKILL after a grace period) reaches
whatever it spawned, and only that. Memory is read from /proc: VmHWM is the kernel's own peak of the resident
set, so the peak under load needs no sampling.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "Server",
    "ServerFailed",
    "free_port",
    "http_call",
    "memory_kib",
    "pinned",
    "process_tree",
    "wait_http",
]


class ServerFailed(RuntimeError):
    """A server exited or never answered; the message carries the end of its log."""


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice); the race until we bind it is accepted."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(argv: Sequence[str], cores: str | None) -> list[str]:
    """`taskset -c CORES argv...` (taskset execs, so the pid stays the server's own); argv as is without taskset."""
    if cores is None or shutil.which("taskset") is None:
        return list(argv)
    return ["taskset", "-c", cores, *argv]


def http_call(
    port: int,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_http(
    port: int, path: str, timeout: float, process: subprocess.Popen[bytes] | None = None, interval: float = 0.005
) -> float:
    """Poll until `GET path` gets any HTTP answer; the seconds it took. Raises ServerFailed if the process dies."""
    started = time.perf_counter()
    deadline = started + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise ServerFailed(f"exited with status {process.returncode} before answering")
        try:
            http_call(port, "GET", path, timeout=2.0)
            return time.perf_counter() - started
        except (OSError, http.client.HTTPException):
            if time.perf_counter() > deadline:
                raise ServerFailed(f"no answer on port {port} after {timeout:.0f} s") from None
            time.sleep(interval)


def process_tree(pid: int) -> list[int]:
    """The pid and every descendant still alive (Prism or nginx may have children)."""
    found = [pid]
    index = 0
    while index < len(found):
        task_dir = Path(f"/proc/{found[index]}/task")
        index += 1
        try:
            tasks = list(task_dir.iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                found.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def memory_kib(pids: Sequence[int]) -> dict[str, int]:
    """Summed VmRSS and VmHWM (KiB) of the processes; a process gone since is skipped."""
    total = {"rss": 0, "hwm": 0}
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.partition(":")
            if key == "VmRSS":
                total["rss"] += int(value.split()[0])
            elif key == "VmHWM":
                total["hwm"] += int(value.split()[0])
    return total


class Server:
    """One server process on 127.0.0.1:`port`: `start()` returns once `ready_path` answers, `stop()` ends it."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        cores: str | None,
        ready_path: str,
        log_dir: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = pinned(argv, cores)
        self.port = port
        self.cores = cores
        self.ready_path = ready_path
        self.log_path = log_dir / f"{name}.log"
        self.cwd = cwd
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0

    def __repr__(self) -> str:
        state = "running" if self.process and self.process.poll() is None else "stopped"
        return f"Server({self.name!r}, port={self.port}, cores={self.cores!r}, {state})"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise ServerFailed(f"{self.name} was never started")
        return self.process.pid

    def spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            self.spawned_at = time.perf_counter()
            self.process = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,
            )

    def start(self, timeout: float = 60.0) -> float:
        """Spawn and wait until it answers; the seconds from spawn to the first answer."""
        self.spawn()
        try:
            wait_http(self.port, self.ready_path, timeout, self.process)
        except ServerFailed as exc:
            self.stop()
            raise ServerFailed(f"{self.name}: {exc}\n{self.log_tail()}") from None
        return time.perf_counter() - self.spawned_at

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM of the server and its children, KiB."""
        return memory_kib(process_tree(self.pid))

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)  # its own session: the group id is its pid
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(f"    {line}" for line in text[-lines:])
