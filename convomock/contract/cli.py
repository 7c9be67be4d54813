"""`convomock contract` and `convomock proxy`: argument parsing and presentation only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from convomock.contract.loader import PHASES, ContractOptions, ContractUsageError, load_config_file

__all__ = ["add_commands", "run_command"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
Busy = Callable[[str], AbstractContextManager[object]]


def _pair(text: str, separator: str, what: str) -> tuple[str, str]:
    name, found, value = text.partition(separator)
    if not found or not name.strip():
        raise argparse.ArgumentTypeError(f"{what} must look like NAME{separator}VALUE, got {text!r}")
    return name.strip(), value.strip()


def _header(text: str) -> tuple[str, str]:
    return _pair(text, ":", "a header")


def _param(text: str) -> tuple[str, str]:
    return _pair(text, "=", "a parameter")


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_commands(commands: Any) -> None:
    contract = commands.add_parser(
        "contract",
        help="check the mock, or any implementation, against a spec",
        description="Run every schemathesis check (stateful phase included) plus convomock's own over one spec, "
        "against the in-process mock (default) or --base-url (read-only there unless --write). Exit 0: conforms; "
        "1: a failure (a refused credential included); 2: usage error (nothing answers at the URL included).",
    )
    target = contract.add_mutually_exclusive_group()
    target.add_argument("--api", help="an API name (a spec under specs/): 1to1ai, ...")
    target.add_argument("--spec", type=Path, help="a spec file instead of --api")
    contract.add_argument(
        "--base-url",
        help="replaces the spec's server URL, e.g. https://app.1to1.ai/api/v1/public (default: the in-process mock)",
    )
    contract.add_argument("--token", help="bearer token (default in-process: the mock's first seeded credential)")
    contract.add_argument(
        "--header",
        type=_header,
        action="append",
        default=None,
        metavar="'K: V'",
        help="extra header on every request (repeatable)",
    )
    contract.add_argument(
        "--param",
        type=_param,
        action="append",
        default=None,
        metavar="NAME=VALUE",
        help="a path parameter's value, e.g. slug=acme (repeatable)",
    )
    contract.add_argument(
        "--other-token",
        help="a second tenant's token: checks that it cannot read the first "
        "tenant's objects (in-process: the mock's second tenant)",
    )
    contract.add_argument(
        "--other-param",
        type=_param,
        action="append",
        default=None,
        metavar="NAME=VALUE",
        help="the second tenant's path parameters, e.g. slug=globex",
    )
    contract.add_argument(
        "--other-header",
        type=_header,
        action="append",
        default=None,
        metavar="'K: V'",
        help="the second tenant's headers, e.g. 'X-Org-Id: <uuid>'",
    )
    contract.add_argument(
        "--config",
        type=Path,
        help="TOML file with the same keys (api, base-url, token, headers, "
        "params, ...); ${ENV} is substituted, so secrets stay out of "
        "shell history. Command-line options win.",
    )
    contract.add_argument("--max-examples", type=int, help="examples per operation and phase (default 25)")
    contract.add_argument("--seed", type=int, help="hypothesis seed, to repeat a run")
    contract.add_argument("--phases", type=_csv, help=f"comma-separated subset of {','.join(PHASES)} (default all)")
    contract.add_argument(
        "--include",
        type=_csv,
        action="append",
        default=None,
        metavar="OPERATION_ID[,...]",
        help="only these operations (repeatable)",
    )
    contract.add_argument(
        "--exclude",
        type=_csv,
        action="append",
        default=None,
        metavar="OPERATION_ID[,...]",
        help="skip these operations (repeatable)",
    )
    writes = contract.add_mutually_exclusive_group()
    writes.add_argument(
        "--write",
        dest="read_only",
        action="store_false",
        default=None,
        help="send every method, writes included (the default only in process: against any --base-url a run is "
        "read-only unless told, even a loopback one, whose data may be yours)",
    )
    writes.add_argument(
        "--read-only", dest="read_only", action="store_true", default=None, help="only safe methods (GET, HEAD)"
    )
    writes.add_argument("--no-read-only", dest="read_only", action="store_false", help="the old name of --write")
    contract.add_argument(
        "--rate-limit",
        help="e.g. 60/m (default against a non-loopback URL: the spec's documented limit; 'none' to lift it)",
    )
    contract.add_argument("--report", type=Path, metavar="junit.xml", help="write a JUnit XML report")
    contract.add_argument("--report-md", type=Path, metavar="FILE", help="write a Markdown report")
    contract.add_argument("--drift", help=argparse.SUPPRESS)  # test aid: plant a drift in the in-process mock

    proxy = commands.add_parser(
        "proxy",
        help="forward real traffic to the vendor and report what breaks the spec",
        description="A validating proxy: clients talk to it as to the vendor; every request goes upstream "
        "unchanged, every answer comes back unchanged, and whatever breaks the spec is logged and "
        "listed at GET /__mock/violations.",
    )
    proxy.add_argument("--api", help="an API name (a spec under specs/)")
    proxy.add_argument("--spec", type=Path, help="a spec file instead of --api")
    proxy.add_argument(
        "--upstream", required=True, help="where to forward, e.g. https://app.1to1.ai or http://127.0.0.1:8000/1to1ai"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    proxy.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    proxy.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")


def _options(args: argparse.Namespace) -> ContractOptions:
    options = ContractOptions()
    if args.config is not None:
        options = load_config_file(args.config, options)
    given: dict[str, Any] = {}
    for name in ("api", "spec", "base_url", "token", "other_token", "max_examples", "seed", "phases", "read_only"):
        if getattr(args, name) is not None:
            given[name] = getattr(args, name)
    if args.header:
        given["headers"] = {**options.headers, **dict(args.header)}
    if args.param:
        given["params"] = {**options.params, **dict(args.param)}
    if args.other_param:
        given["other_params"] = {**options.other_params, **dict(args.other_param)}
    if args.other_header:
        given["other_headers"] = {**options.other_headers, **dict(args.other_header)}
    if args.include:
        given["include"] = [op for group in args.include for op in group]
    if args.exclude:
        given["exclude"] = [op for group in args.exclude for op in group]
    if args.rate_limit is not None:
        given["rate_limit"] = "" if args.rate_limit.lower() == "none" else args.rate_limit
    if given.get("api") is not None and args.spec is None:
        given["spec"] = None
    options = replace(options, **given)
    if args.drift:
        if options.base_url is not None:
            raise ContractUsageError("--drift plants a drift in the in-process mock; it cannot go with --base-url")
        from convomock.contract.drift import DriftingApp, drift_named
        from mock_server.server import create_app

        try:
            drift = drift_named(args.drift)
        except KeyError as exc:
            raise ContractUsageError(str(exc.args[0])) from None
        options = replace(options, api=options.api or drift.api, app=DriftingApp(create_app(apis=[drift.api]), drift))
    return options


def contract(args: argparse.Namespace, busy: Busy = nullcontext) -> int:
    from convomock.contract.report import render_markdown, render_table, write_junit
    from convomock.contract.runner import run_contract

    try:
        options = _options(args)
        with busy(f"convomock contract: {options.api or options.spec}"):  # ends before the report is printed
            report = run_contract(options)
    except ContractUsageError as exc:
        print(f"convomock: contract: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(render_table(report), flush=True)
    if args.report:
        write_junit(report, args.report)
    if args.report_md:
        args.report_md.parent.mkdir(parents=True, exist_ok=True)
        args.report_md.write_text(render_markdown(report), encoding="utf-8")
    return EXIT_OK if report.ok else EXIT_FAILED


def proxy(args: argparse.Namespace) -> int:
    import uvicorn

    from convomock.contract.proxy import ValidatingProxy

    try:
        app = ValidatingProxy.for_api(api=args.api, spec=args.spec, upstream=args.upstream)
    except ContractUsageError as exc:
        print(f"convomock proxy: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"convomock proxy on http://{args.host}:{args.port}{app.spec.base_path} -> {args.upstream}"
        f"{app.spec.base_path}  (violations: http://{args.host}:{args.port}/__mock/violations)",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def run_command(args: argparse.Namespace, busy: Busy = nullcontext) -> int:
    """`busy(text)` is entered while a contract runs (the convomock CLI shows a spinner on a terminal)."""
    return contract(args, busy) if args.command == "contract" else proxy(args)
