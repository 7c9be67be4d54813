"""Start-up: from spawning `convomock serve` to its first answers, and its memory once seeded.

Two figures per start: until `GET /__mock/health` answers (uvicorn binds only after the app is built and seeded,
so this is the whole start-up), and that plus the first real API GET (the first request through auth,
validation, a handler and the strict response check pays for whatever is lazy). The credentials call between
them, needed for a token, is not counted. Memory is read right after: VmRSS now, VmHWM the peak so far (seeding
may have peaked higher than what stays).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.rows import ROWS, credential, mock_request
from bench.servers import ServerFailed, free_port, http_call, wait_http
from bench.targets import mock_server

__all__ = ["STARTS", "StartupResult", "measure_startup"]

# (label, extra `convomock serve` arguments)
STARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("default seed", ()),
    ("--conversations 10000", ("--conversations", "10000")),
)


@dataclass
class StartupResult:
    label: str
    args: Sequence[str]
    to_health_s: list[float] = field(default_factory=list)
    to_first_api_s: list[float] = field(default_factory=list)
    first_api_ms: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    hwm_kib: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def median(self, attribute: str) -> float | None:
        values: list[float] = getattr(self, attribute)
        return statistics.median(values) if values else None

    def to_json(self) -> dict[str, Any]:
        keys = ("to_health_s", "to_first_api_s", "first_api_ms", "rss_kib", "hwm_kib")
        return {
            "label": self.label,
            "args": list(self.args),
            "failures": self.failures,
            **{key: self.median(key) for key in keys},
            "runs": {key: getattr(self, key) for key in keys},
        }


def measure_startup(
    label: str, args: Sequence[str], *, runs: int, cores: str | None, log_dir: Path, say: Callable[[str], None]
) -> StartupResult:
    result = StartupResult(label, args)
    row = ROWS[0]  # the 1TO1 AI GET conversation
    for number in range(1, runs + 1):
        port = free_port()
        server = mock_server(f"startup-{number}-{'-'.join(args) or 'default'}", port, cores, log_dir, args)
        try:
            server.spawn()
            wait_http(port, "/__mock/health", timeout=180, process=server.process)
            to_health = time.perf_counter() - server.spawned_at
            cred = credential(json.loads(http_call(port, "GET", "/__mock/credentials")[1]), row.api)
            request = mock_request(row, cred)
            sent = time.perf_counter()
            status, _ = http_call(port, request.method, request.path, dict(request.headers))
            first_api = time.perf_counter() - sent
            if status != 200:
                result.failures.append(f"first API GET answered {status}")
            memory = server.memory()
            result.to_health_s.append(to_health)
            result.first_api_ms.append(first_api * 1000)
            result.to_first_api_s.append(to_health + first_api)
            result.rss_kib.append(memory["rss"])
            result.hwm_kib.append(memory["hwm"])
            say(
                f"  start-up {label} {number}/{runs}: {to_health:.2f} s to health, "
                f"first GET {first_api * 1000:.1f} ms, RSS {memory['rss'] / 1024:.1f} MiB"
            )
        except (ServerFailed, OSError, ValueError, LookupError) as exc:
            result.failures.append(f"{type(exc).__name__}: {exc}\n{server.log_tail()}")
            break
        finally:
            server.stop()
    return result
