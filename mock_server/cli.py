"""`convomock`: serve the mock (and, in later issues, run contracts and inspect scenarios and seeds)."""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from contract_tests.cli import add_commands as add_contract_commands
from contract_tests.cli import run_command as run_contract_command
from mock_server.apis import BINDINGS
from mock_server.engine.app import MockApp, StartupError
from mock_server.engine.clock import parse_instant
from mock_server.engine.snapshot import SnapshotError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convomock", description="A stateful fake of conversation-inbox APIs.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the mock over HTTP",
                                description="Run the mock on HOST:PORT (127.0.0.1:8000 by default).")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; nothing else unless "
                                                           "you ask)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    serve.add_argument("--api", choices=sorted(BINDINGS), help="serve only this API, at the root instead of its prefix")
    serve.add_argument("--seed", type=int, default=0, help="seed of the generated data (default 0)")
    serve.add_argument("--conversations", type=int, default=None,
                       help="generated conversations per tenant (default: the fixtures' number, 50; up to 10000)")
    serve.add_argument("--scenario", action="append", default=[], metavar="NAME",
                       help="switch a scenario on at start (repeatable); see scenarios/")
    serve.add_argument("--state", type=Path, metavar="FILE",
                       help="load state from FILE at start if it exists; save it there whenever it changes (within "
                            "0.2 s) and at shutdown, atomically (a kill -9 leaves the old file or the new, never half)")
    serve.add_argument("--tenants", type=lambda v: [t.strip() for t in v.split(",") if t.strip()], metavar="KEY,...",
                       help="seed only these tenants (fixture keys: acme, globex), to shard tenants over processes "
                            "behind a proxy (see bench/nginx)")
    serve.add_argument("--control-token", metavar="TOKEN",
                       help="require 'X-Control-Token: TOKEN' on the control API /__mock (all but /__mock/health); "
                            "use it whenever --host is not a loopback address")
    serve.add_argument("--start-time", default=None, metavar="ISO|now",
                       help="the mock clock's start instant (default 2026-01-15T15:00:00Z, so seeds are repeatable)")
    serve.add_argument("--freeze", action="store_true", help="start with the mock clock frozen")
    serve.add_argument("--no-strict", dest="strict", action="store_false",
                       help="do not check answers against the spec (strict is on by default)")
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    add_contract_commands(commands)
    return parser


def _start(value: str | None) -> datetime | None:
    if value is None:
        return None
    if value == "now":
        return datetime.now(timezone.utc).replace(microsecond=0)
    return parse_instant(value)


def banner(app: MockApp, host: str, port: int) -> str:
    base = f"http://{host}:{port}"
    lines = [f"convomock on {base}  (control API: {base}/__mock, clock {app.clock.describe()['now']})"]
    for name, runtime in app.runtimes.items():
        root = base + app.api_root(runtime)
        lines.append(f"  {name}: {root}{runtime.spec.base_path}")
        for credential in runtime.binding.credentials(runtime.store):
            where = root + credential.get("base_path", runtime.spec.base_path)
            headers = {**credential.get("headers", {}), **credential.get("tenant_headers", {})}
            extra = "".join(f"  {k}: {v}" for k, v in headers.items())
            lines.append(f"    tenant {credential['tenant']}: {where}  Authorization: Bearer {credential['token']}"
                         f"{extra}")
    if app.scenarios.active:
        lines.append(f"  scenarios on: {', '.join(app.scenarios.active)}")
    return "\n".join(lines)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mock_server.server import StateFile, create_app, save_state

    try:
        app = create_app([args.api] if args.api else None, seed=args.seed, conversations=args.conversations,
                         scenarios=args.scenario, strict=args.strict, at_root=bool(args.api),
                         start=_start(args.start_time), frozen=args.freeze, tenants=args.tenants,
                         control_token=args.control_token)
        state = StateFile(app, args.state) if args.state else None
        if state is not None:
            if state.load_if_present():
                for name in args.scenario:  # --scenario still applies on top of a loaded state
                    app.activate_scenario(name)
            state.attach()
    except (StartupError, SnapshotError, ValueError, OSError) as exc:
        print(f"convomock: {exc}", file=sys.stderr)
        return 2
    if not _loopback(args.host) and not args.control_token:
        print(f"convomock: WARNING: serving on {args.host}, reachable from other machines, and the control API "
              f"/__mock (reset, state, scenarios) is open to all of them; pass --control-token TOKEN",
              file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level, lifespan="on")
    server = uvicorn.Server(config)

    async def announce() -> None:
        # Print once the socket is bound, so `--port 0` shows the real port.
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1] if server.servers else args.port
        print(banner(app, args.host, port), flush=True)

    async def run() -> None:
        task = asyncio.create_task(announce())
        await server.serve()
        task.cancel()

    try:
        asyncio.run(run())
    finally:
        if state is not None and app.version != state.saved_version:
            save_state(app, state.path)  # the shutdown hook did not run (start-up failed, say)
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return run_contract_command(args)
