"""`make fuzz`: the deep run. Every phase (examples, coverage, fuzzing, stateful), positive and negative data, every
check (schemathesis' and ours), at least 200 examples per operation, over all four specs against a strict
in-process mock; then the figures: operations, requests, check failures, 5xx answers, answers outside the spec
and handler crashes. Exit 1 if any of them is not zero.

`make test` runs the same suite fast (tests/test_contract_pytest.py, 25 derandomized examples); this one is random
unless `--seed` is given, so each run explores new inputs (the seed is printed to repeat a failure).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from convomock.contract.loader import PHASES, ContractOptions
from convomock.contract.report import render_table
from convomock.contract.runner import run_contract
from mock_server.apis import BINDINGS
from mock_server.server import create_app

__all__ = ["FuzzRow", "main"]


@dataclass
class FuzzRow:
    api: str
    operations: int
    requests: int
    failures: int
    server_errors: int
    strict_violations: int
    internal_errors: int
    errors: int
    seconds: float

    @property
    def ok(self) -> bool:
        return not (
            self.failures or self.server_errors or self.strict_violations or self.internal_errors or self.errors
        )


def fuzz_api(api: str, max_examples: int, seed: int, phases: Sequence[str]) -> FuzzRow:
    app = create_app(apis=[api], strict=True, frozen=True)
    started = time.perf_counter()
    report = run_contract(ContractOptions(api=api, app=app, max_examples=max_examples, seed=seed, phases=list(phases)))
    print(render_table(report), flush=True)
    for problem in (app.backend.strict_violations + app.backend.internal_errors)[:10]:
        print(f"  mock: {problem}", flush=True)
    return FuzzRow(
        api=api,
        operations=len(report.operations),
        requests=report.requests,
        failures=sum(len(op.failures) for op in report.operations.values()),
        server_errors=app.backend.server_errors,
        strict_violations=len(app.backend.strict_violations),
        internal_errors=len(app.backend.internal_errors),
        errors=len(report.errors),
        seconds=time.perf_counter() - started,
    )


def render_rows(rows: Sequence[FuzzRow], max_examples: int, seed: int) -> str:
    head = ("api", "operations", "requests", "check failures", "5xx", "outside spec", "crashes", "errors", "seconds")
    lines = [
        f"convomock fuzz: {max_examples} examples per operation and phase, seed {seed}",
        " | ".join(head),
        " | ".join("---" for _ in head),
    ]
    for r in rows:
        lines.append(
            " | ".join(
                str(v)
                for v in (
                    r.api,
                    r.operations,
                    r.requests,
                    r.failures,
                    r.server_errors,
                    r.strict_violations,
                    r.internal_errors,
                    r.errors,
                    f"{r.seconds:.0f}",
                )
            )
        )
    total = (
        sum(r.operations for r in rows),
        sum(r.requests for r in rows),
        sum(r.failures for r in rows),
        sum(r.server_errors for r in rows),
        sum(r.strict_violations for r in rows),
        sum(r.internal_errors for r in rows),
        sum(r.errors for r in rows),
    )
    lines.append(" | ".join(["all", *map(str, total), f"{sum(r.seconds for r in rows):.0f}"]))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contract_tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--api", action="append", choices=sorted(BINDINGS), help="only this API (repeatable; default all four)"
    )
    parser.add_argument("--max-examples", type=int, default=200, help="examples per operation and phase (200)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: a new random one)")
    parser.add_argument("--phases", default=",".join(PHASES), help=f"subset of {','.join(PHASES)} (default all)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    rows = [fuzz_api(api, args.max_examples, seed, phases) for api in (args.api or list(BINDINGS))]
    print(render_rows(rows, args.max_examples, seed), flush=True)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
