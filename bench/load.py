"""Load a server for a while and say how it went: wrk when it is installed, else a bounded Python client.

wrk runs closed-loop (each connection sends its next request when the answer arrives) from its own core. Its
Lua script sets the method, headers and body once, so wrk formats the request a single time and no Lua runs per
request, except when several requests are cycled (the shard row). `done()` prints one machine-readable line.
wrk counts only statuses >= 400 as errors ("Non-2xx or 3xx responses"); every target here answers 2xx, so that
count is the number of answers that went wrong.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.servers import pinned

__all__ = ["LoadClient", "LoadResult", "Request", "find_wrk"]

RESULT_MARK = "BENCH_RESULT "


@dataclass(frozen=True)
class Request:
    """One HTTP request to replay: path includes the query; headers exclude Host (the client sets it)."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def __repr__(self) -> str:
        size = f", {len(self.body)} B body" if self.body else ""
        return f"Request({self.method} {self.path}{size})"

    def to_json(self) -> dict[str, object]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": [list(h) for h in self.headers],
            "body": self.body.decode("utf-8") if self.body else None,
        }


@dataclass
class LoadResult:
    """What one load run measured. Latencies in milliseconds; `non2xx` counts answers with a status >= 400."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def find_wrk() -> str | None:
    return shutil.which("wrk")


def _lua_string(data: bytes | str) -> str:
    """A Lua string literal for any bytes: printable ASCII kept, the rest as decimal escapes."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    out = []
    for byte in raw:
        char = chr(byte)
        out.append(char if 32 <= byte < 127 and char not in '"\\' else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _lua_table(headers: Sequence[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers) + "}"


_DONE = f"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{RESULT_MARK}{{"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, '
    .. '"read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_script(requests: Sequence[Request]) -> str:
    """The Lua for wrk: static fields for one request; pre-formatted requests cycled for several."""
    if len(requests) == 1:
        only = requests[0]
        lines = [
            f"wrk.method = {_lua_string(only.method)}",
            f"wrk.path = {_lua_string(only.path)}",
            f"wrk.headers = {_lua_table(only.headers)}",
        ]
        if only.body is not None:
            lines.append(f"wrk.body = {_lua_string(only.body)}")
        return "\n".join(lines) + "\n" + _DONE
    formats = ",\n  ".join(
        f"wrk.format({_lua_string(r.method)}, {_lua_string(r.path)}, {_lua_table(r.headers)}, "
        f"{_lua_string(r.body) if r.body is not None else 'nil'})"
        for r in requests
    )
    return (
        f"local built = nil\nlocal n = 0\n"
        f"init = function(args)\n  built = {{\n  {formats}\n  }}\nend\n"
        f"request = function()\n  n = n % #built + 1\n  return built[n]\nend\n" + _DONE
    )


class LoadClient:
    """Runs load from `cores`: wrk if present (unless `force_python`), else `python -m bench.pyload`."""

    def __init__(self, *, connections: int, cores: str | None, force_python: bool = False) -> None:
        self.connections = connections
        self.cores = cores
        self.wrk = None if force_python else find_wrk()

    @property
    def name(self) -> str:
        return "wrk" if self.wrk else "python (bench.pyload; wrk not found)"

    def run(self, port: int, requests: Sequence[Request], seconds: float) -> LoadResult:
        if self.wrk:
            return self._run_wrk(port, requests, seconds)
        return self._run_python(port, requests, seconds)

    def _run_wrk(self, port: int, requests: Sequence[Request], seconds: float) -> LoadResult:
        assert self.wrk is not None
        with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="convomock-bench-", delete=False) as script:
            script.write(wrk_script(requests))
        try:
            argv = pinned(
                [
                    self.wrk,
                    "-t1",
                    f"-c{self.connections}",
                    f"-d{max(1, round(seconds))}s",
                    "--timeout",
                    "5s",
                    "-s",
                    script.name,
                    f"http://127.0.0.1:{port}{requests[0].path}",
                ],
                self.cores,
            )
            done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=seconds + 60)
        finally:
            os.unlink(script.name)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_MARK)), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        raw = json.loads(line[len(RESULT_MARK) :])
        elapsed = raw["duration_us"] / 1e6
        return LoadResult(
            requests=raw["requests"],
            seconds=elapsed,
            rps=raw["requests"] / elapsed,
            p50_ms=raw["p50_us"] / 1000,
            p99_ms=raw["p99_us"] / 1000,
            non2xx=raw["non2xx"],
            socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        )

    def _run_python(self, port: int, requests: Sequence[Request], seconds: float) -> LoadResult:
        spec = json.dumps(
            {
                "port": port,
                "connections": self.connections,
                "seconds": seconds,
                "requests": [r.to_json() for r in requests],
            }
        )
        argv = pinned([sys.executable, "-m", "bench.pyload"], self.cores)
        done = subprocess.run(
            argv,
            check=False,
            input=spec,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            cwd=Path(__file__).resolve().parents[1],
        )
        if done.returncode != 0:
            raise RuntimeError(f"bench.pyload failed ({done.returncode}): {done.stderr.strip()}")
        return LoadResult(**json.loads(done.stdout))
