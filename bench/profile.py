"""Where the mock's time goes on one row: `python -m bench.profile ROW` (py-spy: `.venv/bin/pip install py-spy`).

The mock runs pinned as in the table; after a warm-up, py-spy attaches (from the load core, like wrk) and samples
it while wrk loads it. The functions are then ranked by own time (samples where the function itself was running;
C code such as jsonschema_rs or json counts for the Python function that called it) and by total time (samples
where it was anywhere on the stack; only the mock's own functions are listed there). The raw samples are kept
in collapsed-stack form, which speedscope (https://www.speedscope.app) and flamegraph.pl read.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.load import LoadClient
from bench.rows import ROWS, credential, mock_request
from bench.servers import free_port, http_call, pinned
from bench.targets import ROOT, mock_server

__all__ = ["main", "rank"]

_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def _short(frame: str) -> str:
    """`function (file)` with the file relative to the checkout or to site-packages."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", f"{ROOT}/", "lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "lib/python3.":
                path = "stdlib:" + path.split("/", 1)[-1]
            break
    return f"{match['name']} ({path})"


def rank(collapsed: str) -> tuple[Counter[str], Counter[str], int]:
    """(own samples, total samples, all samples) per function from collapsed stacks ("a;b;c 12" per line)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            total[name] += count
    return own, total, samples


def _table(counter: Counter[str], samples: int, top: int) -> str:
    return "\n".join(f"  {n / samples:6.1%}  {n:6d}  {name}" for name, n in counter.most_common(top))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("row", choices=[row.key for row in ROWS])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds sampled under load (default 10)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=int, default=250, help="samples a second (default 250)")
    parser.add_argument("--top", type=int, default=15, help="functions listed (default 15)")
    parser.add_argument(
        "--native",
        action="store_true",
        help="sample C frames too (the garbage collector, jsonschema_rs, the JSON encoder)",
    )
    parser.add_argument("--out", type=Path, help="where to keep the collapsed stacks (default: a temp file)")
    args = parser.parse_args(argv)

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.access(spy, os.X_OK):
        print("bench.profile: py-spy not found: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    allowed = sorted(os.sched_getaffinity(0))
    server_core, load_core = (str(allowed[0]), str(allowed[-1])) if len(allowed) > 1 else (None, None)
    row = next(row for row in ROWS if row.key == args.row)
    out = args.out or Path(tempfile.mkstemp(prefix=f"convomock-{row.key}-", suffix=".collapsed")[1])
    log_dir = Path(tempfile.mkdtemp(prefix="convomock-profile-"))
    server = mock_server(f"profile-{row.key}", free_port(), server_core, log_dir)
    client = LoadClient(connections=args.connections, cores=load_core)
    server.start()
    try:
        cred = credential(json.loads(http_call(server.port, "GET", "/__mock/credentials")[1]), row.api)
        request = mock_request(row, cred)
        client.run(server.port, [request], 2)  # warm-up: first-call costs stay out of the profile
        record = subprocess.Popen(
            pinned(
                [
                    spy,
                    "record",
                    "--pid",
                    str(server.pid),
                    "--rate",
                    str(args.rate),
                    "--duration",
                    str(round(args.duration + 1)),
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--function",
                    *(["--native"] if args.native else []),
                ],
                load_core,
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.5)
        load = client.run(server.port, [request], args.duration)
        _, errors = record.communicate(timeout=args.duration + 60)
        if record.returncode != 0:
            print(f"bench.profile: py-spy failed: {errors.decode(errors='replace')}", file=sys.stderr)
            return 1
    finally:
        server.stop()
        shutil.rmtree(log_dir, ignore_errors=True)
    own, total, samples = rank(out.read_text())
    expected = args.rate * (args.duration + 1)
    print(
        f"{row.title}: {load.rps:,.0f} req/s, p99 {load.p99_ms:.1f} ms under py-spy at {args.rate} Hz; "
        f"{samples} busy samples (~{samples / expected:.0%} of the sampled wall time)"
    )
    print(f"\nTop {args.top} by own time (share of busy samples, samples, function):\n{_table(own, samples, args.top)}")
    ours = Counter({name: n for name, n in total.items() if "(mock_server/" in name and n < samples})
    print(
        f"\nTop {args.top} of the mock's own functions by total time (below the entry point):\n"
        f"{_table(ours, samples, args.top)}"
    )
    print(f"\nCollapsed stacks: {out} (speedscope and flamegraph.pl read it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
