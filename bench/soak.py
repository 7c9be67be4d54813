"""`python -m bench.soak` (`make soak`): the mock at full load for ten minutes, memory sampled all along.

One `convomock serve` pinned to the server core; wrk on the load core cycles the five rows of the table (the
1TO1 AI GET and action group, the HighLevel search, the omni-inbox find, the CRM list) over 32 connections, in
slices of `--slice` seconds. After each slice: the server's RSS, requests/s, p99 and non-2xx answers. The verdict
compares the RSS of the last fifth of the run with the RSS after the first fifth (the warm-up: caches, the journal
and the activity log filling to their bounds); "flat" means it grew by less than `--tolerance` (5 %).

The load changes state the way the table's rows do: the action group re-assigns what the conversation already has,
so the only things that grow are the bounded ones (journal, 1TO1 AI activity log, route and format caches).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.load import LoadClient
from bench.report import mib
from bench.rows import ROWS, credential, mock_request
from bench.servers import free_port, http_call
from bench.targets import mock_server

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak (default 10)")
    parser.add_argument("--slice", type=float, default=30.0, help="seconds between samples (default 30)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--tolerance", type=float, default=0.05, help="allowed RSS growth after warm-up (0.05)")
    parser.add_argument("--json", type=Path, help="also save the samples as JSON")
    args = parser.parse_args(argv)
    client = LoadClient(connections=args.connections, cores="1")
    with tempfile.TemporaryDirectory(prefix="convomock-soak-") as logs:
        mock = mock_server("soak-mock", free_port(), "0", Path(logs))
        mock.start()
        try:
            credentials = json.loads(http_call(mock.port, "GET", "/__mock/credentials")[1])
            requests = [mock_request(row, credential(credentials, row.api)) for row in ROWS]
            print(
                f"soak: {args.minutes:g} min, {args.connections} connections, {client.name}, rows: "
                f"{', '.join(row.key for row in ROWS)}",
                flush=True,
            )
            print(f"{'minute':>7} {'req/s':>8} {'p99 ms':>7} {'non-2xx':>8} {'RSS MiB':>8}", flush=True)
            samples = []
            deadline = time.monotonic() + args.minutes * 60
            started = time.monotonic()
            while time.monotonic() < deadline:
                result = client.run(mock.port, requests, min(args.slice, max(1.0, deadline - time.monotonic())))
                rss = mock.memory()["rss"]
                sample = {
                    "minute": (time.monotonic() - started) / 60,
                    "rps": result.rps,
                    "p99_ms": result.p99_ms,
                    "non2xx": result.non2xx,
                    "rss_kib": rss,
                }
                samples.append(sample)
                print(
                    f"{sample['minute']:7.1f} {result.rps:8,.0f} {result.p99_ms:7.1f} {result.non2xx:8d} {mib(rss):>8}",
                    flush=True,
                )
            health = json.loads(http_call(mock.port, "GET", "/__mock/health")[1])
        finally:
            mock.stop()
    fifth = max(1, len(samples) // 5)
    warm = int(max(s["rss_kib"] for s in samples[:fifth]))
    end = int(max(s["rss_kib"] for s in samples[-fifth:]))
    growth = (end - warm) / warm
    flat = growth < args.tolerance
    problems = {k: health.get(k) for k in ("server_errors", "strict_violations", "internal_errors") if health.get(k)}
    print(
        f"RSS after warm-up {mib(warm)} MiB, at the end {mib(end)} MiB: {growth:+.1%} "
        f"({'flat' if flat else 'GROWING'}); served {health.get('served')}, problems: {problems or 'none'}",
        flush=True,
    )
    if args.json:
        args.json.write_text(json.dumps({"samples": samples, "growth": growth, "health": health}, indent=2))
    return 0 if flat and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
