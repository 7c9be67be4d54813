"""`convomock` as a real process on a free port, for the tests that need a socket or a fresh process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["free_port", "running", "serving", "until", "wait_until_healthy"]


def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll `condition` every 10 ms until it holds; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(base: str, process: subprocess.Popen[str], seconds: float = 30) -> None:
    """Poll `/__mock/health` until it answers 200; fail with the process's output if it dies first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(base + "/__mock/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stdout.read() if process.stdout else "process exited"
        assert time.monotonic() < deadline, f"{base} did not start in {seconds} s"
        time.sleep(0.1)


@contextmanager
def serving(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`convomock serve` on a free port, stopped with SIGINT (as Ctrl-C would) at the end."""
    with running("serve", *args) as started:
        yield started


@contextmanager
def running(command: str, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A `convomock` command that serves HTTP (serve, proxy) on a free port, until the block ends."""
    port = free_port()
    # The installed console script when there is one (it is what `make serve` runs), else the module.
    script = Path(sys.executable).parent / "convomock"
    program = [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]
    process = subprocess.Popen(
        [*program, command, "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
