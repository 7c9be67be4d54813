"""One row of the table: the mock, the ceiling and Prism started side by side, loaded in turn, N runs each.

Each row gets fresh servers, so what one row changes (an action group grows the activity log) and the memory it
takes do not carry into the next. The runs interleave (mock, ceiling, Prism, mock, ...) so that noise from the
rest of the machine falls on all three alike; the figures are medians over the runs. The mock's answer is
captured first and the ceiling serves those bytes; the mock must answer 2xx all along (a trace of errors is
tolerated, more fails the row), and its health counters (strict-mode violations, internal errors) must not move.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import LoadClient, LoadResult, Request
from bench.rows import Credential, Row, credential, mock_request, prism_request
from bench.servers import Server, ServerFailed, free_port, http_call
from bench.targets import ceiling_server, mock_server, prism_server

__all__ = ["ERROR_TRACE", "TOOLS", "RowResult", "Side", "run_row"]

TOOLS = ("mock", "ceiling", "prism")
ERROR_TRACE = 0.001  # at most 0.1% of the mock's answers may be non-2xx before a row fails


@dataclass
class Side:
    """One server's figures in a row."""

    tool: str
    status: int | None = None  # what a single probe request got
    runs: list[LoadResult] = field(default_factory=list)
    peak_rss_kib: int | None = None
    note: str = ""  # why it was not measured, or what was odd

    def __repr__(self) -> str:
        return f"Side({self.tool}, status={self.status}, runs={len(self.runs)}, rps={self.median('rps')})"

    def median(self, attribute: str) -> float | None:
        values = [float(getattr(run, attribute)) for run in self.runs]
        return statistics.median(values) if values else None

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    @property
    def non2xx(self) -> int:
        return sum(run.non2xx for run in self.runs)

    @property
    def socket_errors(self) -> int:
        return sum(run.socket_errors for run in self.runs)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "rps": self.median("rps"),
            "p50_ms": self.median("p50_ms"),
            "p99_ms": self.median("p99_ms"),
            "peak_rss_kib": self.peak_rss_kib,
            "non2xx": self.non2xx,
            "socket_errors": self.socket_errors,
            "note": self.note,
            "runs": [run.to_json() for run in self.runs],
        }


@dataclass
class RowResult:
    row: Row
    sides: dict[str, Side]
    failures: list[str] = field(default_factory=list)
    request: Request | None = None
    mock_health: dict[str, Any] = field(default_factory=dict)

    def ratio(self, other: str) -> float | None:
        mine, theirs = self.sides["mock"].median("rps"), self.sides[other].median("rps")
        return mine / theirs if mine and theirs else None

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.row.title,
            "api": self.row.api,
            "request": self.request.to_json() if self.request else None,
            "sides": {tool: side.to_json() for tool, side in self.sides.items()},
            "mock_over_ceiling": self.ratio("ceiling"),
            "mock_over_prism": self.ratio("prism"),
            "mock_health_after": self.mock_health,
            "failures": self.failures,
        }


def _probe(server: Server, request: Request) -> tuple[int, bytes]:
    return http_call(server.port, request.method, request.path, dict(request.headers), request.body)


def _health(mock: Server) -> dict[str, Any]:
    return dict(json.loads(http_call(mock.port, "GET", "/__mock/health")[1]))


def run_row(
    row: Row,
    *,
    client: LoadClient,
    runs: int,
    seconds: float,
    warmup: float,
    cores: str | None,
    log_dir: Path,
    prism: bool,
    say: Callable[[str], None],
) -> RowResult:
    sides = {tool: Side(tool) for tool in TOOLS}
    result = RowResult(row, sides)
    if not prism:
        sides["prism"].note = "skipped (--skip-prism)"
    servers: list[Server] = []
    try:
        mock = mock_server(f"{row.key}-mock", free_port(), cores, log_dir)
        servers.append(mock)
        mock.start()
        cred = credential(json.loads(http_call(mock.port, "GET", "/__mock/credentials")[1]), row.api)
        request = mock_request(row, cred)
        result.request = request
        status, body = _probe(mock, request)
        sides["mock"].status = status
        if not 200 <= status < 300:
            result.failures.append(f"the mock answered {status} to {request}: {body[:300]!r}")
            return result
        health_before = _health(mock)
        body_file = log_dir / f"{row.key}.body"
        body_file.write_bytes(body)

        ceiling = ceiling_server(f"{row.key}-ceiling", free_port(), cores, log_dir, body_file, status)
        servers.append(ceiling)
        ceiling.start()
        sides["ceiling"].status, echoed = _probe(ceiling, request)
        if echoed != body:
            result.failures.append("the ceiling does not answer the mock's bytes")
            return result
        targets: list[tuple[Side, Server, Request]] = [
            (sides["mock"], mock, request),
            (sides["ceiling"], ceiling, request),
        ]
        if prism:
            target = _start_prism(row, cred, cores, log_dir, sides["prism"], servers)
            if target is not None:
                targets.append(target)

        for side, server, req in targets:
            say(f"  {row.key}: warming {side.tool} up ({warmup:g} s)")
            client.run(server.port, [req], warmup)
        for number in range(1, runs + 1):
            for side, server, req in targets:
                side.runs.append(client.run(server.port, [req], seconds))
                say(
                    f"  {row.key}: run {number}/{runs} {side.tool}: {side.runs[-1].rps:,.0f} req/s, "
                    f"p99 {side.runs[-1].p99_ms:.1f} ms, non-2xx {side.runs[-1].non2xx}"
                )
        for side, server, _ in targets:
            side.peak_rss_kib = server.memory()["hwm"]
        result.mock_health = _health(mock)
        _judge(result, health_before)
    except (ServerFailed, RuntimeError, OSError, LookupError, ValueError) as exc:
        result.failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        for server in servers:
            server.stop()
    return result


def _start_prism(
    row: Row, cred: Credential, cores: str | None, log_dir: Path, side: Side, servers: list[Server]
) -> tuple[Side, Server, Request] | None:
    """Prism on the row's spec; a Prism that refuses the spec or the request is reported, not fatal."""
    prism = prism_server(f"{row.key}-prism", free_port(), cores, log_dir, row.spec)
    servers.append(prism)
    try:
        prism.start(timeout=90)
    except ServerFailed as exc:
        side.note = f"Prism did not start on {row.spec.name}: {str(exc).splitlines()[0]}"
        return None
    request = prism_request(row, cred)
    side.status, answer = _probe(prism, request)
    if not 200 <= side.status < 300:
        side.note = f"Prism answered {side.status}: {answer[:200]!r}"
    return side, prism, request


def _judge(result: RowResult, health_before: dict[str, Any]) -> None:
    """Fail the row loudly when the mock (or the ceiling) answered errors under load, or its counters moved."""
    for tool in ("mock", "ceiling"):
        side = result.sides[tool]
        if side.requests and side.non2xx > ERROR_TRACE * side.requests:
            result.failures.append(f"{tool}: {side.non2xx} of {side.requests} answers were non-2xx")
        if side.socket_errors:
            side.note = f"{side.socket_errors} socket errors"
    for counter in ("server_errors", "strict_violations", "internal_errors"):
        moved = result.mock_health.get(counter, 0) - health_before.get(counter, 0)
        if moved:
            result.failures.append(f"mock: {counter} rose by {moved} under load (see GET /__mock/health)")
