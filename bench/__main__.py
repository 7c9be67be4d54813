"""`python -m bench` (`make bench ARGS=...`): the table of issue 8, start-up, and shards. See bench/README.md.

Progress goes to stderr, the results to stdout. The exit status is 1 when a row failed (the mock answered
errors under load, its health counters moved, or a server would not start), 0 otherwise; a target missed is
reported, not fatal: these are figures to read, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench.compare import RowResult, run_row
from bench.load import LoadClient
from bench.persistence import SIZES, measure_persistence, persistence_table
from bench.report import TARGETS, comparison_table, mib, table, targets_missed
from bench.rows import ROWS
from bench.sharding import ShardResult, find_nginx, place, run_shards
from bench.startup import STARTS, StartupResult, measure_startup
from bench.targets import PRISM_VERSION, ensure_prism, prism_version, supports_tenants

__all__ = ["build_parser", "main"]

SECTIONS = ("startup", "shards", "persistence")


def build_parser() -> argparse.ArgumentParser:
    keys = [row.key for row in ROWS] + list(SECTIONS)
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="convomock against a bare Starlette ceiling and Prism's static mock.",
        epilog=f"Row and section keys for --only: {', '.join(keys)}.",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the table shows medians (default 3)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring (default 2)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="ROW",
        help="run only these rows or sections (repeatable, or comma-separated)",
    )
    parser.add_argument("--skip-prism", action="store_true", help="do not install or run Prism")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also save every figure (and each run) as JSON")
    parser.add_argument("--python-client", action="store_true", help="use the Python load client even if wrk exists")
    parser.add_argument("--server-core", type=int, help="core for the servers (default: the first one allowed)")
    parser.add_argument("--load-core", type=int, help="core for the load client (default: the last one allowed)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (their folder is printed)")
    return parser


def _selected(only: Sequence[str]) -> list[str]:
    keys = [row.key for row in ROWS] + list(SECTIONS)
    chosen = [part.strip() for item in only for part in item.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(keys))
    if unknown:
        raise SystemExit(f"bench: unknown --only {', '.join(unknown)}; known: {', '.join(keys)}")
    return chosen or keys


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "-"


def _tool_version(argv: Sequence[str]) -> str:
    if shutil.which(argv[0]) is None and not os.access(argv[0], os.X_OK):
        return "not installed"
    done = subprocess.run(argv, check=False, capture_output=True, text=True)
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine(client: LoadClient, prism: str, nproc: str) -> dict[str, str]:
    nginx = find_nginx()
    return {
        "nproc": nproc,
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "uvicorn": _version("uvicorn"),
        "starlette": _version("starlette"),
        "uvloop": _version("uvloop"),
        "httptools": _version("httptools"),
        "load client": client.name + (f" ({_tool_version(['wrk', '-v'])})" if client.wrk else ""),
        "nginx": _tool_version([nginx, "-v"]) if nginx else "not installed",
        "prism": prism,
        "node": _tool_version(["node", "--version"]),
        "convomock --tenants": "yes" if supports_tenants() else "no",
        "load average at start": _loadavg(),
    }


def _startup_table(results: Sequence[StartupResult]) -> str:
    lines = []
    for result in results:
        target = TARGETS["startup_10k_s"] if result.args else TARGETS["startup_s"]
        to_api = result.median("to_first_api_s")
        lines.append(
            [
                result.label + (" [FAILED]" if result.failures else ""),
                f"{result.median('to_health_s') or 0:.2f}",
                f"{to_api or 0:.2f}",
                f"{result.median('first_api_ms') or 0:.1f}",
                mib(int(result.median("rss_kib") or 0)),
                mib(int(result.median("hwm_kib") or 0)),
                f"< {target:g} s" + ("" if to_api is not None and to_api < target else "  MISSED"),
            ]
        )
    return table(["start", "to health s", "to 1st API s", "1st API ms", "RSS MiB", "peak MiB", "target"], lines)


def _shards_table(results: Sequence[ShardResult]) -> str:
    lines = [
        [
            r.label + (" [FAILED]" if r.failures else ""),
            f"{r.side.median('rps') or 0:,.0f}",
            f"{r.side.median('p50_ms') or 0:.2f}",
            f"{r.side.median('p99_ms') or 0:.2f}",
            str(r.side.non2xx),
            mib(r.side.peak_rss_kib),
            mib(r.nginx_peak_kib),
        ]
        for r in results
    ]
    return table(
        ["1TO1 AI GET, acme + globex", "req/s", "p50 ms", "p99 ms", "non-2xx", "mock RSS MiB", "nginx RSS MiB"], lines
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    selected = _selected(args.only)
    allowed = sorted(os.sched_getaffinity(0))
    nproc = f"{os.cpu_count()} (allowed: {len(allowed)})"
    server_core: str | None = None
    load_core: str | None = None
    if len(allowed) >= 2:
        server_core = str(args.server_core if args.server_core is not None else allowed[0])
        load_core = str(args.load_core if args.load_core is not None else allowed[-1])
        os.sched_setaffinity(0, {int(load_core)})  # this process polls and waits: keep it off the servers' core
    else:
        _say("bench: only one core: servers and load client share it; figures are not comparable to a 2-core run")
    client = LoadClient(connections=args.connections, cores=load_core, force_python=args.python_client)
    if not client.wrk:
        _say(
            "bench: wrk not found (or --python-client): using the Python load client, which saturates well below "
            "the ceiling: its figures measure the client as much as the server"
        )
    log_dir = Path(tempfile.mkdtemp(prefix="convomock-bench-"))
    prism_ok, prism_note = False, "skipped (--skip-prism)"
    if not args.skip_prism and any(row.key in selected for row in ROWS):
        _say(f"bench: Prism {PRISM_VERSION} (installed into bench/.prism on first use)")
        prism_ok, prism_note = ensure_prism(log_dir / "npm.log")
        if not prism_ok:
            _say(f"bench: no Prism: {prism_note}; its columns stay empty")
    prism_label = f"Prism {prism_version() or PRISM_VERSION} static" if prism_ok else f"Prism ({prism_note})"
    info = machine(client, prism_version() or prism_note, nproc)
    _say("bench: " + "; ".join(f"{k} {v}" for k, v in info.items()))
    _say(
        f"bench: servers on core {server_core}, load on core {load_core}; {args.connections} connections, "
        f"{args.runs} x {args.duration:g} s per figure (medians), logs in {log_dir}"
    )

    report: dict[str, Any] = {
        "machine": info,
        "options": {k: str(v) for k, v in vars(args).items()},
        "targets": TARGETS,
    }
    failed = False
    out: list[str] = []

    rows = [row for row in ROWS if row.key in selected]
    if rows:
        results: list[RowResult] = []
        for row in rows:
            _say(f"bench: {row.title}")
            results.append(
                run_row(
                    row,
                    client=client,
                    runs=args.runs,
                    seconds=args.duration,
                    warmup=args.warmup,
                    cores=server_core,
                    log_dir=log_dir,
                    prism=prism_ok,
                    say=_say,
                )
            )
        out.append(comparison_table(results, prism_label))
        notes = []
        for result in results:
            for side in result.sides.values():
                if side.note and not side.note.startswith("skipped"):
                    notes.append(f"  {result.row.key}: {side.tool}: {side.note}")
            for failure in result.failures:
                notes.append(f"  {result.row.key}: FAILED: {failure}")
                failed = True
            missed = targets_missed(result)
            if missed:
                notes.append(f"  {result.row.key}: targets missed: {'; '.join(missed)}")
        if notes:
            out.append("\n".join(notes))
        report["rows"] = {result.row.key: result.to_json() for result in results}

    if "startup" in selected:
        _say("bench: start-up")
        starts = [
            measure_startup(label, extra, runs=args.runs, cores=server_core, log_dir=log_dir, say=_say)
            for label, extra in STARTS
        ]
        out.append(f"Start-up of `convomock serve` (median of {args.runs} starts)\n" + _startup_table(starts))
        for start in starts:
            for failure in start.failures:
                out.append(f"  {start.label}: FAILED: {failure}")
                failed = True
        report["startup"] = [start.to_json() for start in starts]

    if "shards" in selected:
        if find_nginx() is None:
            out.append("Shards: skipped (nginx not installed; `make bench` installs it as root)")
        elif load_core is None or server_core is None:
            out.append("Shards: skipped (needs two cores)")
        else:
            placement = place(server_core, load_core)
            _say(f"bench: shards ({placement.describe()})")
            shard_results = run_shards(
                client=client,
                runs=args.runs,
                seconds=args.duration,
                warmup=args.warmup,
                placement=placement,
                log_dir=log_dir,
                say=_say,
            )
            out.append(f"Shards behind nginx ({placement.describe()})\n" + _shards_table(shard_results))
            for shard in shard_results:
                for failure in shard.failures:
                    out.append(f"  {shard.label}: FAILED: {failure}")
                    failed = True
            report["shards"] = {"placement": placement.describe(), "setups": [r.to_json() for r in shard_results]}

    if "persistence" in selected:
        sizes = [measure_persistence(label, extra, kills, log_dir=log_dir, say=_say) for label, extra, kills in SIZES]
        out.append(
            "Saving --state under writes (`kill -9` the server mid-writes; p99 / max of a health GET, ms)\n"
            + table(
                ["state", "file MB", "no --state p99/max", "saving p99/max", "loss s median/max", "writes"],
                persistence_table(sizes),
            )
        )
        for size in sizes:
            for failure in size.failures:
                out.append(f"  {size.label}: FAILED: {failure}")
                failed = True
        report["persistence"] = [size.to_json() for size in sizes]

    info["load average at end"] = _loadavg()
    print(
        f"convomock bench: {args.connections} connections, {args.runs} x {args.duration:g} s per figure (medians), "
        f"load client {client.name}"
    )
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()))
    print()
    print("\n\n".join(out))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        _say(f"bench: figures saved to {args.json}")
    if failed or args.keep_logs:
        _say(f"bench: server logs kept in {log_dir}")
    else:
        shutil.rmtree(log_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
