"""The load client used when wrk is missing: N keep-alive HTTP/1.1 connections, closed-loop, for a fixed time.

Reads a JSON job on stdin (`port`, `connections`, `seconds`, `requests`) and writes a LoadResult as JSON on stdout.
It speaks just enough HTTP/1.1 for the servers benchmarked here (Content-Length or chunked bodies); a Python
client tops out far below wrk, so its figures for the fastest servers measure the client too, as the bench says.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

__all__ = ["main"]


def _encode(request: dict[str, Any], port: int) -> bytes:
    body = request["body"].encode("utf-8") if request["body"] is not None else b""
    lines = [f"{request['method']} {request['path']} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in request["headers"]]
    if request["body"] is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _connection(
    port: int, payloads: list[bytes], offset: int, stop_at: float, latencies: list[float], counts: dict[str, int]
) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        counts["socket_errors"] += 1
        return
    index = offset
    try:
        while time.perf_counter() < stop_at:
            payload = payloads[index % len(payloads)]
            index += 1
            sent = time.perf_counter()
            writer.write(payload)
            status = await _read_answer(reader)
            latencies.append(time.perf_counter() - sent)
            if status >= 400:
                counts["non2xx"] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        counts["socket_errors"] += 1
    finally:
        writer.close()


async def run(job: dict[str, Any]) -> dict[str, Any]:
    port = job["port"]
    payloads = [_encode(request, port) for request in job["requests"]]
    latencies: list[float] = []
    counts = {"non2xx": 0, "socket_errors": 0}
    started = time.perf_counter()
    stop_at = started + job["seconds"]
    await asyncio.gather(
        *(_connection(port, payloads, i, stop_at, latencies, counts) for i in range(job["connections"]))
    )
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        **counts,
    }


def main() -> int:
    job = json.load(sys.stdin)
    try:
        import uvloop  # the faster loop, as the servers use
    except ImportError:
        json.dump(asyncio.run(run(job)), sys.stdout)
    else:
        json.dump(uvloop.run(run(job)), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
