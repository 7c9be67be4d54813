"""The three things a row compares, as servers: the mock (`convomock serve`), the Starlette ceiling, Prism.

Prism is installed on first use into bench/.prism (gitignored) with npm, at a pinned version, so every machine
compares against the same Prism.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from bench.servers import Server

__all__ = [
    "PRISM_VERSION",
    "ROOT",
    "ceiling_server",
    "convomock_argv",
    "convomock_command",
    "ensure_prism",
    "mock_server",
    "prism_server",
    "prism_version",
    "supports_tenants",
]

ROOT = Path(__file__).resolve().parents[1]
PRISM_DIR = Path(__file__).resolve().parent / ".prism"
PRISM_VERSION = "5.14.2"
PRISM_BIN = PRISM_DIR / "node_modules" / ".bin" / "prism"
PRISM_PACKAGE = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"


def convomock_command() -> list[str]:
    """The venv's console script, as a user runs it; `CONVOMOCK` overrides it (a command line, e.g. to compare
    another checkout: `CONVOMOCK="env PYTHONPATH=/tmp/old .venv/bin/python -m mock_server"`)."""
    if os.environ.get("CONVOMOCK"):
        return shlex.split(os.environ["CONVOMOCK"])
    script = Path(sys.executable).parent / "convomock"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


def convomock_argv(port: int, extra: Sequence[str] = ()) -> list[str]:
    """`convomock serve` on 127.0.0.1:port."""
    return [*convomock_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *extra]


@cache
def supports_tenants() -> bool:
    """Whether this convomock has `serve --tenants` (it keeps only the named tenants of each API's seed)."""
    done = subprocess.run(
        [*convomock_command(), "serve", "--help"], check=False, capture_output=True, text=True, cwd=ROOT
    )
    return "--tenants" in done.stdout


def mock_server(name: str, port: int, cores: str | None, log_dir: Path, extra: Sequence[str] = ()) -> Server:
    return Server(
        name,
        convomock_argv(port, extra),
        port=port,
        cores=cores,
        ready_path="/__mock/health",
        log_dir=log_dir,
        cwd=ROOT,
    )


def ceiling_server(name: str, port: int, cores: str | None, log_dir: Path, body_file: Path, status: int) -> Server:
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.ceiling:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return Server(
        name,
        argv,
        port=port,
        cores=cores,
        ready_path="/",
        log_dir=log_dir,
        cwd=ROOT,
        env={"BENCH_CEILING_BODY": str(body_file), "BENCH_CEILING_STATUS": str(status)},
    )


def prism_server(name: str, port: int, cores: str | None, log_dir: Path, spec: Path) -> Server:
    """Prism's static mock of `spec` (examples first, else values from the schemas; no dynamic faking)."""
    argv = [str(PRISM_BIN), "mock", "-v", "error", "-h", "127.0.0.1", "-p", str(port), str(spec)]
    return Server(name, argv, port=port, cores=cores, ready_path="/", log_dir=log_dir, cwd=ROOT)


def prism_version() -> str | None:
    try:
        return str(json.loads(PRISM_PACKAGE.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_prism(log: Path) -> tuple[bool, str]:
    """Install the pinned Prism if it is missing or another version: (usable, why not / version)."""
    if PRISM_BIN.exists() and prism_version() == PRISM_VERSION:
        return True, PRISM_VERSION
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return False, "node/npm not installed"
    with open(log, "ab") as out:
        done = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(PRISM_DIR),
                "--no-audit",
                "--no-fund",
                f"@stoplight/prism-cli@{PRISM_VERSION}",
            ],
            check=False,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=600,
        )
    if done.returncode != 0 or not PRISM_BIN.exists():
        return False, f"npm install failed (see {log})"
    return True, prism_version() or PRISM_VERSION
