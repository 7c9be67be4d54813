"""`convomock` (also `python -m mock_server`): serve the mock, run contracts, list scenarios and specs, dump the seed.

Commands print their results on stdout; progress (seeding, a contract run, a long dump) goes to stderr, and only
when stderr is a terminal (`mock_server.progress`).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import ipaddress
import json
import os
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import yaml

from contract_tests.cli import add_commands as add_contract_commands
from contract_tests.cli import run_command as run_contract_command
from mock_server.apis import BINDINGS
from mock_server.connections import HEADER_TIMEOUT, KEEP_ALIVE_TIMEOUT, MAX_HEAD_BYTES, protocol_class
from mock_server.engine.app import MockApp, StartupError
from mock_server.engine.backend import client_headers
from mock_server.engine.clock import parse_instant
from mock_server.engine.options import SCENARIOS_ENV, env_scenario_folders
from mock_server.engine.snapshot import SnapshotError
from mock_server.engine.types import MockOptions
from mock_server.progress import busy, byte_counter, seeding_bar

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_USAGE = 0, 2


def _tenant_list(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


def _add_data_options(parser: argparse.ArgumentParser, api_help: str) -> None:
    """What the seeded state depends on: the same options for `serve` and `seed`."""
    parser.add_argument("--api", choices=sorted(BINDINGS), help=api_help)
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the generated data (default 0); the same seed gives the same data"
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=None,
        help="generated conversations per tenant (default: the fixtures' number, 50; up to 10000)",
    )
    parser.add_argument(
        "--tenants",
        type=_tenant_list,
        metavar="KEY,...",
        help="seed only these tenants (fixture keys: acme, globex), to shard tenants over processes "
        "behind a proxy (see bench/nginx)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="switch a scenario on at start (repeatable); `convomock scenarios` lists them",
    )
    _add_scenario_folders(parser)
    parser.add_argument(
        "--start-time",
        default=None,
        metavar="ISO|now",
        help="the mock clock's start instant (default 2026-01-15T15:00:00Z, so seeds are repeatable)",
    )
    parser.add_argument("--freeze", action="store_true", help="start with the mock clock frozen")


def _add_scenario_folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenarios",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help=f"a folder of your own scenario files (NAME.yaml, docs/scenarios.md), added to the built-in ones "
        f"(repeatable; also ${SCENARIOS_ENV}, folders separated by '{os.pathsep}'); each is checked at start",
    )


def scenario_folders(args: argparse.Namespace) -> tuple[str, ...]:
    """$CONVOMOCK_SCENARIOS' folders, then --scenarios'."""
    return (*env_scenario_folders(), *(str(folder) for folder in getattr(args, "scenarios", [])))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convomock",
        description="A stateful fake of conversation-inbox APIs (1to1ai, highlevel, crm-inbox, "
        "omni-inbox). `python -m mock_server` is the same command.",
        epilog="`convomock COMMAND --help` explains each command's options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the mock over HTTP",
        description="Run the mock on HOST:PORT (127.0.0.1:8000 by default) and print every "
        "API's base URL with the credentials that work.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; nothing else unless you ask)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    _add_data_options(serve, "serve only this API, at the root instead of its prefix")
    serve.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="load state from FILE at start if it exists; save it there whenever it changes and at shutdown, "
        "atomically (a kill -9 leaves the old file or the new, never half). A forked process writes each save, so "
        "the server pauses only to fork (~10-35 ms at 10,000 conversations); a change is on disk within "
        "~0.2 s at the default seed, ~5 s at --conversations 10000 (`python -m bench --only persistence`)",
    )
    serve.add_argument(
        "--control-token",
        metavar="TOKEN",
        help="require 'X-Control-Token: TOKEN' on the control API /__mock (all but /__mock/health and the upload "
        "URLs handed to vendor clients, which check their own token); "
        "use it whenever --host is not a loopback address",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the control API also answers (repeatable; e.g. a docker-compose service name). By default "
        "it answers only 127.0.0.1, localhost, [::1] and the bound address, so no other site's page can reach it "
        "through DNS rebinding",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=HEADER_TIMEOUT,
        metavar="SECONDS",
        help=f"close a connection whose request line and headers have not all arrived within SECONDS of it opening "
        f"or of the previous answer (default {HEADER_TIMEOUT:g}; a silent or slow socket is closed then), or whose "
        f"request body stops arriving for SECONDS (the request is dropped, nothing of it applied); an idle "
        f"kept-alive connection closes after {KEEP_ALIVE_TIMEOUT} s, and headers over {MAX_HEAD_BYTES // 1024} KiB "
        f"answer 431",
    )
    serve.add_argument(
        "--no-strict",
        dest="strict",
        action="store_false",
        help="do not check answers against the spec (strict is on by default)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    add_contract_commands(commands)

    scenarios = commands.add_parser(
        "scenarios",
        help="list the scenarios, or show one",
        description="List the named situations of scenarios/*.yaml (switch them on with "
        "`serve --scenario NAME`, POST /__mock/scenarios/NAME or the header "
        "X-Mock-Scenario), or show one's state changes and fault rules.",
    )
    scenarios.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_scenario_folders(scenarios)
    scenario_actions = scenarios.add_subparsers(dest="action", metavar="show|check|schema|on|off")
    for action, says in (("on", "switch a scenario on"), ("off", "switch a scenario off")):
        switch = scenario_actions.add_parser(
            action,
            help=f"{says} in a running mock",
            description=f"{says.capitalize()} in the mock at --base-url (POST or DELETE /__mock/scenarios/NAME): for "
            "the whole mock, or only in one API, tenant (a fixture key such as globex, or the API's own id), "
            "conversation or contact"
            + (
                ", with parameters (an effect's value or a fault rule's number: --param ai_token_balance=25)."
                if action == "on"
                else "; without a scope, off wherever it is on."
            ),
        )
        switch.add_argument("name", help="the scenario's name, e.g. ai-tokens-empty")
        add_remote_arguments(switch)
        for key in SCOPE_FLAGS:
            switch.add_argument(f"--{key}", help=f"only in this {key}")
        if action == "on":
            switch.add_argument(
                "--param",
                action="append",
                default=[],
                metavar="KEY=VALUE",
                help="a parameter (repeatable); VALUE is read as YAML: 25 is a number, closed a word",
            )
    check_scenarios = scenario_actions.add_parser(
        "check",
        help="check folders of scenario files",
        description="Check every NAME.yaml of each folder as `serve --scenarios DIR` would at start: the schema "
        "(`convomock scenarios schema`), the APIs and state effects named, names unique beside the built-in ones. "
        "One line per folder; exit 2 on the first problem of any, naming the file and the field.",
    )
    check_scenarios.add_argument("folders", nargs="+", type=Path, metavar="DIR")
    scenario_actions.add_parser(
        "schema",
        help="print the scenario files' JSON Schema",
        description="Print the JSON Schema of a scenario file, for an editor (docs/scenarios.md shows how).",
    )
    show_scenario = scenario_actions.add_parser(
        "show",
        help="one scenario in full",
        description="Print one scenario: description, APIs, state changes, fault rules.",
    )
    show_scenario.add_argument("name", help="the scenario's name, e.g. ai-tokens-empty")
    show_scenario.add_argument("--json", action="store_true", help="print its definition as JSON")

    seed = commands.add_parser(
        "seed",
        help="the seeded data: a summary, or all of it as JSON",
        description="Seed the mock as `serve` would with the same options and print a summary "
        "per API and tenant; --dump prints the whole state as JSON instead, "
        "streamed, in the format of GET /__mock/state (so `serve --state FILE` "
        "loads it). The clock is held at its start while seeding, so the same "
        "options give byte-identical output.",
    )
    _add_data_options(seed, "seed only this API")
    seed.add_argument("--dump", action="store_true", help="print the seeded state as JSON (the snapshot format)")

    specs = commands.add_parser(
        "specs",
        help="list the specs, or print one",
        description="List the OpenAPI specs the mock serves (specs/*.yaml), or print one.",
    )
    specs.add_argument("--json", action="store_true", help="print the list as JSON")
    spec_actions = specs.add_subparsers(dest="action", metavar="show")
    show_spec = spec_actions.add_parser(
        "show", help="print one spec", description="Print one spec as written (YAML), or as JSON with --json."
    )
    show_spec.add_argument("name", choices=sorted(BINDINGS), help="the API's name")
    show_spec.add_argument("--json", action="store_true", help="print it as JSON instead of YAML")
    fidelity = spec_actions.add_parser(
        "fidelity",
        help="print or write the fidelity record: each operation and field, the vendor's or convomock design",
        description="Print one spec's fidelity record (Markdown): every operation and field, marked documented "
        "(with the vendor page's address) or convomock design, read from the spec's externalDocs and descriptions. "
        "With --write DIR, write DIR/<api>.md for every spec (or the one named).",
    )
    fidelity.add_argument("name", nargs="?", choices=sorted(BINDINGS), help="the API's name (all with --write)")
    failures = spec_actions.add_parser(
        "failures",
        help="every documented non-2xx answer and what makes the mock send it",
        description="List every non-2xx answer the specs document, per operation, with the scenario, fault rule, "
        "state effect or input that produces it in the mock (docs/failures.md is the --markdown form). With "
        "--missing, only those nothing produces; exit 1 if there is any.",
    )
    failures.add_argument("name", nargs="?", choices=sorted(BINDINGS), help="one API (default all)")
    failures.add_argument("--markdown", action="store_true", help="print docs/failures.md")
    failures.add_argument("--json", action="store_true", help="print JSON")
    failures.add_argument("--missing", action="store_true", help="only the failures nothing produces yet")
    fidelity.add_argument("--write", metavar="DIR", help="write DIR/<api>.md instead of printing")

    play = commands.add_parser(
        "play",
        help="play timelines (QA stories on the mock clock) and report each step",
        description="Play each timeline (a YAML file of steps: a customer writes, a client calls, the clock "
        "moves, a scenario switches, settle; docs/scenarios.md) against a fresh in-process mock with a frozen "
        "clock, or with --base-url against a running mock (reset before each timeline unless --no-reset). Prints "
        "what each step sent and got and which expectation failed; exit 1 if any step failed, 2 for a bad file.",
    )
    play.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="timeline files, or folders of them (their *.yaml)"
    )
    add_remote_arguments(play, default_url=None)
    play.add_argument("--no-reset", action="store_true", help="with --base-url: play on the mock's state as it is")
    play.add_argument("--junit", type=Path, metavar="PATH", help="also write a JUnit XML report (a testcase a step)")
    _add_scenario_folders(play)

    new_api = commands.add_parser(
        "new-api",
        help="scaffold a new API: spec, fixtures, package and test",
        description="Write specs/NAME.yaml, fixtures/NAME.yaml, the package mock_server/apis/<name>/ (one working "
        "operation, GET /things/{thingId}) and tests/apis/<name>/, and register the package in "
        "mock_server/apis/__init__.py. The shared suites take the new API up at once. Run it in a checkout; "
        "mock_server/apis/README.md walks through what to change next.",
    )
    new_api.add_argument("name", help="the API's name: its mount point /NAME and its spec's file name, e.g. acme-chat")
    new_api.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout's root (default: here)")
    return parser


def new_api(args: argparse.Namespace, out: TextIO) -> int:
    from mock_server.scaffold import ScaffoldError, scaffold

    if not (args.root / "mock_server" / "apis" / "__init__.py").is_file():
        print(f"convomock: {args.root} is not a convomock checkout (no mock_server/apis/)", file=sys.stderr)
        return EXIT_USAGE
    try:
        made = scaffold(args.name, args.root)
    except ScaffoldError as exc:
        print(f"convomock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out.writelines(f"wrote {path}\n" for path in made.files)
    out.write(f"registered {made.package} in {made.registry}\n")
    out.write(
        f"{made.lines(args.root)} lines; serve it: convomock serve --api {made.name}; "
        f"test it: pytest tests/apis/{made.package}\n"
    )
    return EXIT_OK


def _start(value: str | None) -> datetime | None:
    if value is None:
        return None
    if value == "now":
        return datetime.now(UTC).replace(microsecond=0)
    return parse_instant(value)


def options_from(args: argparse.Namespace) -> MockOptions:
    """The one options object a command line describes (`serve` and `seed` share the data options)."""
    serving = args.command == "serve"
    return MockOptions(
        apis=(args.api,) if args.api else None,
        seed=args.seed,
        conversations=args.conversations,
        tenants=args.tenants,
        scenarios=tuple(args.scenario),
        scenario_dirs=scenario_folders(args),
        start=_start(args.start_time),
        # `seed` holds the clock at the start instant while seeding: repeatable to the byte
        frozen=args.freeze if serving else True,
        strict=args.strict if serving else True,
        at_root=bool(args.api) and serving,
        control_token=args.control_token if serving else None,
        allowed_hosts=tuple(args.allowed_host) if serving else (),
    )


def _build(args: argparse.Namespace) -> MockApp:
    """The app the options describe, with a progress bar over the APIs' seeding on a terminal."""
    from mock_server.server import create_app

    options = options_from(args)
    with seeding_bar(list(options.apis or BINDINGS), options.conversations) as seeding:
        return create_app(options, seeding=seeding)


def banner(app: MockApp, host: str, port: int) -> str:
    backend = app.backend
    base = f"http://{host}:{port}"
    lines = [f"convomock on {base}  (control API: {base}/__mock, clock {backend.clock.describe()['now']})"]
    for name, runtime in backend.runtimes.items():
        lines.append(f"  {name}: {base}{backend.api_root(runtime.binding)}{runtime.spec.base_path}")
        for credential in backend.credentials(runtime, base):
            sent = "  ".join(f"{k}: {v}" for k, v in client_headers(credential).items())
            lines.append(f"    tenant {credential['tenant']}: {credential['base_url']}  {sent}")
    if backend.scenarios.active:
        lines.append(f"  scenarios on: {', '.join(backend.scenarios.active)}")
    return "\n".join(lines)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mock_server.server import StateFile, save_state

    if not args.header_timeout > 0:
        print(
            f"convomock: --header-timeout is a number of seconds above 0, not {args.header_timeout:g}", file=sys.stderr
        )
        return EXIT_USAGE
    taken = _port_taken(args.host, args.port)
    if taken:
        print(f"convomock: {taken}", file=sys.stderr)
        return EXIT_USAGE
    try:
        app = _build(args)
        state = StateFile(app, args.state) if args.state else None
        if state is not None:
            if state.load_if_present():
                for name in args.scenario:  # --scenario still applies on top of a loaded state
                    app.backend.activate_scenario(name)
            state.attach()
    except (StartupError, SnapshotError, ValueError, OSError) as exc:
        print(f"convomock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # The seeded state (and the specs' compiled validators) live as long as the server: taken out of the garbage
    # collector's sight, so its full collections no longer walk them under load (they were the POST row's p99).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)  # fewer, larger young collections: a request allocates hundreds of objects
    if not _loopback(args.host) and not args.control_token:
        print(
            f"convomock: WARNING: serving on {args.host}, reachable from other machines, and the control API "
            f"/__mock (reset, state, scenarios) is open to all of them; pass --control-token TOKEN",
            file=sys.stderr,
            flush=True,
        )
    # The access log only at info or debug: formatting each line costs more than a GET's own work.
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="on",
        access_log=args.log_level.lower() in ("info", "debug", "trace"),
        http=protocol_class(args.header_timeout),  # uvicorn's own, with a deadline for a request's head
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
    )
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
        with asyncio.Runner(loop_factory=_fast_loop()) as runner:
            runner.run(run())
    finally:
        if state is not None and app.backend.version not in (state.saved_version, state.failed_version):
            try:
                save_state(app, state.path)  # the shutdown hook did not run (start-up failed, say)
            except Exception as exc:  # noqa: BLE001 - the old file stays; say why in one line
                print(f"convomock: could not save state to {state.path}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return EXIT_OK


def _fast_loop() -> Any:
    """uvloop's event loop when installed (uvicorn[standard] brings it): uvicorn only picks it itself under
    `uvicorn.run`, and this command runs its server in its own loop to print the banner once bound."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _port_taken(host: str, port: int) -> str | None:
    """Why the address cannot be bound, in one line with what to do (uvicorn would log its error and exit 3 after
    the seed was built and a state file read); None when it can. Checked with the options uvicorn binds with."""
    if port == 0:
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (
                f"{host}:{port} is already in use (another convomock, or `make serve` in another terminal?): "
                "stop it, or pass --port N (--port 0 picks a free one)"
            )
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- scenarios ---------------------------------------------------------------------------------------------------


def scenarios(args: argparse.Namespace, out: TextIO) -> int:
    from mock_server.engine.scenarios import SCHEMA_FILE, ScenarioFileError, load_scenarios
    from mock_server.server import SCENARIOS_DIR, scenario_effects

    if args.action == "schema":
        out.write((SCENARIOS_DIR / SCHEMA_FILE).read_text(encoding="utf-8"))
        return EXIT_OK
    if args.action == "check":
        return _check_scenarios(args.folders, out)
    if args.action in ("on", "off"):
        return _switch_scenario(args, out)
    try:
        book = load_scenarios(
            SCENARIOS_DIR, *(Path(folder) for folder in scenario_folders(args)), effects=scenario_effects()
        )
    except ScenarioFileError as exc:
        print(f"convomock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.action == "show":
        if args.name not in book:
            print(f"convomock: unknown scenario {args.name!r}; known: {', '.join(sorted(book))}", file=sys.stderr)
            return EXIT_USAGE
        scenario = book[args.name]
        if args.json:
            out.write(json.dumps(scenario.as_json(), indent=2, ensure_ascii=False) + "\n")
            return EXIT_OK
        lines = [f"{scenario.name}  (applies to: {', '.join(scenario.apis)})", "", scenario.description, ""]
        for api, effects in scenario.state.items():
            lines.extend(f"state: {api}: {effect} = {json.dumps(value)}" for effect, value in effects.items())
        for rule in scenario.faults:
            answer = f"answers {rule.error}" + (f" ({rule.status})" if rule.status else "") if rule.error else ""
            extra = [answer] if answer else []
            if rule.latency_ms:
                extra.append(f"adds {rule.latency_ms} ms")
            if rule.retry_after is not None:
                extra.append(f"Retry-After {rule.retry_after}")
            extra.append("every call" if rule.every == 1 else f"every {rule.every}th call")
            lines.append(f"fault: {rule.method} {rule.path} on {rule.api}: {', '.join(extra)}")
        if scenario.real_limits:
            lines.append("real limits: each API enforces its documented rate limits")
        lines += [
            "",
            (
                f"switch on: convomock serve --scenario {scenario.name} | POST /__mock/scenarios/"
                f"{scenario.name} | header X-Mock-Scenario: {scenario.name}"
            ),
            (
                f"for one API, tenant, conversation or contact: convomock scenarios on {scenario.name} --tenant "
                f"globex{_example_param(scenario)} (docs/scenarios.md)"
            ),
        ]
        out.write("\n".join(lines) + "\n")
        return EXIT_OK
    if args.json:
        out.write(json.dumps([s.as_json() for s in book.values()], indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    rows = [(s.name, ",".join(s.apis), _first_sentence(s.description)) for s in book.values()]
    out.write(_table(("scenario", "apis", "description"), rows))
    return EXIT_OK


SCOPE_FLAGS = ("api", "tenant", "conversation", "contact")


def add_remote_arguments(parser: argparse.ArgumentParser, default_url: str | None = "http://127.0.0.1:8000") -> None:
    """Where a running mock is, for the commands that talk to one."""
    parser.add_argument(
        "--base-url",
        default=os.environ.get("CONVOMOCK_URL", default_url) if default_url else None,
        help=(
            f"the running mock (default $CONVOMOCK_URL, else {default_url})"
            if default_url
            else "a running mock to play against (default: a fresh in-process one per timeline)"
        ),
    )
    parser.add_argument(
        "--control-token",
        default=os.environ.get("CONVOMOCK_CONTROL_TOKEN"),
        help="its serve --control-token, if it has one (default $CONVOMOCK_CONTROL_TOKEN)",
    )


def remote_control(args: argparse.Namespace) -> Any:
    """An httpx client at a running mock's root, passing the control API's rules as a script does."""
    import httpx

    headers = {"X-Mock-Client": "convomock-cli"}
    if args.control_token:
        headers["X-Control-Token"] = args.control_token
    return httpx.Client(base_url=args.base_url.rstrip("/"), headers=headers, timeout=30.0)


def _switch_scenario(args: argparse.Namespace, out: TextIO) -> int:
    import httpx

    scope = {key: getattr(args, key) for key in SCOPE_FLAGS if getattr(args, key) is not None}
    body: dict[str, Any] = dict(scope)
    if args.action == "on":
        params: dict[str, Any] = {}
        for pair in args.param:
            key, sep, raw = pair.partition("=")
            if not sep or not key.strip():
                print(f"convomock: --param {pair!r}: write KEY=VALUE", file=sys.stderr)
                return EXIT_USAGE
            try:
                value = yaml.safe_load(raw) if raw.strip() else raw
                json.dumps(value, allow_nan=False)  # what JSON cannot carry (a date, NaN) stays the text given
            except (yaml.YAMLError, TypeError, ValueError):
                value = raw
            params[key.strip()] = value
        body["params"] = params
    try:
        with remote_control(args) as client:
            method = "POST" if args.action == "on" else "DELETE"
            response = client.request(method, f"/__mock/scenarios/{args.name}", json=body)
    except httpx.HTTPError as exc:
        print(f"convomock: no mock answers at {args.base_url}: {exc}", file=sys.stderr)
        return 1
    answer = _json_of(response)
    if response.status_code != 200:
        error = answer.get("error") if isinstance(answer, dict) else None
        print(f"convomock: {args.name}: {error or f'HTTP {response.status_code}'}", file=sys.stderr)
        return EXIT_USAGE
    where = ", ".join(f"{key} {value}" for key, value in scope.items()) or "the whole mock"
    given = ", ".join(f"{key}={json.dumps(value)}" for key, value in body.get("params", {}).items())
    state = "on" if args.action == "on" else "off"
    news = "" if answer.get("changed") else f" (it already was {state} there)"
    out.write(f"{args.name}: {state} for {where}" + (f" with {given}" if given else "") + news + "\n")
    return EXIT_OK


def play_timelines(args: argparse.Namespace, out: TextIO) -> int:
    from mock_server.engine.timelines import (
        TimelineFileError,
        fresh_mock,
        junit_xml,
        load_timeline,
        play,
        report,
        timeline_files,
    )

    try:
        timelines = [load_timeline(path) for path in timeline_files(args.files)]
    except TimelineFileError as exc:
        print(f"convomock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not timelines:
        print("convomock: no timeline files (*.yaml) there", file=sys.stderr)
        return EXIT_USAGE
    results = []
    import httpx

    try:
        for timeline in timelines:
            if args.base_url:
                with remote_control(args) as client:
                    if not args.no_reset:
                        reset = client.post("/__mock/reset", json={})
                        if reset.status_code != 200:
                            print(f"convomock: POST /__mock/reset answered {reset.status_code}", file=sys.stderr)
                            return 1
                    results.append(play(timeline, client))
            else:
                folders = [Path(folder) for folder in scenario_folders(args)]
                with fresh_mock(timeline, folders) as client:
                    results.append(play(timeline, client))
    except httpx.HTTPError as exc:
        print(f"convomock: no mock answers at {args.base_url}: {exc}", file=sys.stderr)
        return 1
    except StartupError as exc:
        print(f"convomock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out.write(report(results))
    if args.junit:
        args.junit.write_bytes(junit_xml(results))
    return EXIT_OK if all(result.passed for result in results) else 1


def _json_of(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _example_param(scenario: Any) -> str:
    """` --param effect=value` for the scenario's first state effect (its value as the file gives it), or ''."""
    for effects in scenario.state.values():
        for effect, value in effects.items():
            return f" --param {effect}={value}"
    return ""


def _check_scenarios(folders: Sequence[Path], out: TextIO) -> int:
    """Every file of the folders against the schema and the APIs (as `serve --scenarios` checks them, built-in
    names included, so a clash is found too): one line per folder, OK or the first problem."""
    from mock_server.engine.scenarios import ScenarioFileError, load_scenarios
    from mock_server.server import SCENARIOS_DIR, scenario_effects

    failed = False
    built_in = load_scenarios(SCENARIOS_DIR, effects=scenario_effects())
    for folder in folders:
        try:
            found = load_scenarios(SCENARIOS_DIR, folder, effects=scenario_effects())
        except ScenarioFileError as exc:
            print(f"convomock: {exc}", file=sys.stderr)
            failed = True
            continue
        names = sorted(set(found) - set(built_in))
        out.write(f"{folder}: {len(names)} scenario(s) OK" + (f": {', '.join(names)}" if names else "") + "\n")
    if not failed and len(folders) > 1:  # each is good alone; together, as `serve` takes them, a name may clash
        try:
            load_scenarios(SCENARIOS_DIR, *folders, effects=scenario_effects())
        except ScenarioFileError as exc:
            print(f"convomock: {exc}", file=sys.stderr)
            failed = True
    return EXIT_USAGE if failed else EXIT_OK


def _first_sentence(text: str, limit: int = 100) -> str:
    sentence = text.replace("\n", " ").split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)), row[-1]]).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines) + "\n"


# -- specs ---------------------------------------------------------------------------------------------------------


def specs(args: argparse.Namespace, out: TextIO) -> int:
    from mock_server.engine.specs import METHODS, load_yaml

    if args.action == "fidelity":
        return _fidelity(args, out)
    if args.action == "failures":
        return _failures(args, out)
    if args.action == "show":
        path = BINDINGS[args.name].spec_path
        if args.json:
            out.write(json.dumps(load_yaml(path), indent=2, ensure_ascii=False) + "\n")
        else:
            out.write(path.read_text(encoding="utf-8"))
        return EXIT_OK
    listing = []
    for name, binding in BINDINGS.items():
        document = load_yaml(binding.spec_path)
        operations = len(
            {
                item[method].get("operationId")
                for item in (document.get("paths") or {}).values()
                for method in METHODS
                if isinstance(item, dict) and method in item
            }
        )
        listing.append(
            {
                "api": name,
                "title": document["info"]["title"],
                "version": document["info"]["version"],
                "mounted_at": binding.prefix,
                "operations": operations,
                "vendor": [server["url"] for server in document.get("servers") or []],
                "spec": str(binding.spec_path),
            }
        )
    if args.json:
        out.write(json.dumps(listing, indent=2) + "\n")
        return EXIT_OK
    rows = [
        (s["api"], s["mounted_at"], str(s["operations"]), s["version"], ", ".join(s["vendor"]), s["title"])
        for s in listing
    ]
    out.write(_table(("api", "mounted at", "operations", "version", "vendor server", "title"), rows))
    return EXIT_OK


def _failures(args: argparse.Namespace, out: TextIO) -> int:
    from mock_server.engine.failures import failure_rows, failures_markdown

    rows = failure_rows(BINDINGS[name] for name in ([args.name] if args.name else BINDINGS))
    if args.missing:
        rows = [row for row in rows if row.source is None]
    if args.markdown:
        out.write(failures_markdown(rows))
    elif args.json:
        out.write(json.dumps([row.as_json() for row in rows], indent=2, ensure_ascii=False) + "\n")
    else:
        table = [(r.api, r.operation_id, r.status, r.source or "(nothing yet)") for r in rows]
        out.write(_table(("api", "operation", "status", "how the mock produces it"), table))
    return 1 if args.missing and rows else EXIT_OK


def _fidelity(args: argparse.Namespace, out: TextIO) -> int:
    from mock_server.engine.fidelity import markdown
    from mock_server.engine.specs import load_yaml

    names = [args.name] if args.name else sorted(BINDINGS)
    if not args.write and len(names) != 1:
        out.write("convomock: specs fidelity: name an API, or give --write DIR for all of them\n")
        return EXIT_USAGE
    for name in names:
        path = BINDINGS[name].spec_path
        page = markdown(load_yaml(path), name, f"specs/{path.name}")
        if not args.write:
            out.write(page)
            continue
        target = Path(args.write) / f"{name}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        out.write(f"wrote {target}\n")
    return EXIT_OK


# -- seed ----------------------------------------------------------------------------------------------------------


def seed(args: argparse.Namespace, out: TextIO) -> int:
    try:
        app = _build(args)
    except (StartupError, ValueError) as exc:
        print(f"convomock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    snapshot = app.backend.snapshot()
    snapshot["clock"]["frozen"] = args.freeze  # as `serve` with these options would run after loading it
    try:
        if args.dump:
            _stream_json(snapshot, out)
        else:
            out.write(_seed_summary(app, snapshot))
        out.flush()
    except BrokenPipeError:  # `convomock seed --dump | head`: the reader has what it wanted
        # Point stdout at /dev/null, or the interpreter's flush at exit complains about the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def _stream_json(snapshot: dict[str, Any], out: TextIO, chunk: int = 1 << 16) -> None:
    """Write `dumps(snapshot)` without building it: 10,000 conversations a tenant is over 100 MB of text."""
    from mock_server.engine.snapshot import iter_dumps

    with byte_counter("writing the seeded state") as advance:
        pending: list[str] = []
        size = 0
        for piece in iter_dumps(snapshot):
            pending.append(piece)
            size += len(piece)
            if size >= chunk:
                _flush(out, pending, advance, size)
                size = 0
        _flush(out, pending, advance, size)
        out.write("\n")


def _flush(out: TextIO, pending: list[str], advance: Callable[[int], None], size: int) -> None:
    out.write("".join(pending))
    pending.clear()
    advance(size)


def _seed_summary(app: MockApp, snapshot: dict[str, Any]) -> str:
    """Per API and tenant, how many of each thing were seeded (the store's collections under each tenant)."""
    lines = [
        f"seed {app.backend.options.seed}, clock {snapshot['clock']['now']}"
        + (f", scenarios on: {', '.join(app.backend.scenarios.active)}" if app.backend.scenarios.active else "")
    ]
    for name, runtime in app.backend.runtimes.items():
        tenants = snapshot["apis"][name]["store"].get(runtime.binding.tenant_collection) or {}
        lines.append(f"{name}: {len(tenants)} tenant(s)")
        for tenant_id, tenant in tenants.items():
            counts = ", ".join(
                f"{field} {len(value)}" for field, value in tenant.items() if isinstance(value, (dict, list)) and value
            )
            lines.append(f"  {tenant_id}: {counts}")
    lines.append("`convomock seed --dump` prints all of it as JSON (GET /__mock/state's format).")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "scenarios":
        return scenarios(args, sys.stdout)
    if args.command == "specs":
        return specs(args, sys.stdout)
    if args.command == "seed":
        return seed(args, sys.stdout)
    if args.command == "play":
        return play_timelines(args, sys.stdout)
    if args.command == "new-api":
        return new_api(args, sys.stdout)
    return run_contract_command(args, busy)
