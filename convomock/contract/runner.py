"""Run the contract: schemathesis' engine (every phase, every check, ours included) over one spec, folded into a
per-operation report. The engine emits events; this module only listens and counts, it never prints."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests
from schemathesis.engine import events, from_schema

from convomock.contract import checks
from convomock.contract.loader import ContractOptions, ContractUsageError, ResolvedContract, build_schema, resolve

__all__ = ["ContractReport", "FailureRecord", "OperationResult", "run_contract"]

_PROBE_STATUSES_REFUSED = (401, 403)
_PROBE_TIMEOUT = 30.0  # seconds: a URL that accepts the connection and never answers stops the run too
# What the in-process report's curl lines point at: the same mock as `make serve` serves it.
SERVED_BASE_URL = "http://127.0.0.1:8000"
_IN_PROCESS_ORIGIN = "http://testserver"


@dataclass
class FailureRecord:
    check: str
    title: str
    message: str
    status: int | None
    curl: str


@dataclass
class OperationResult:
    label: str
    operation_id: str
    requests: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    failures: list[FailureRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class ContractReport:
    api: str
    base_url: str
    spec: str
    operations: dict[str, OperationResult]
    errors: list[str]
    elapsed: float
    phases: list[str]
    read_only: bool
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None  # the first safe call's verdict when it stopped the run (also in `errors`)

    @property
    def ok(self) -> bool:
        return not self.errors and all(op.ok for op in self.operations.values())

    @property
    def requests(self) -> int:
        return sum(op.requests for op in self.operations.values())

    def failing(self) -> list[OperationResult]:
        return [op for op in self.operations.values() if not op.ok]


def _operation_ids(schema: Any) -> dict[str, str]:
    result = {}
    for operation in schema.get_all_operations():
        value = operation.ok()
        result[value.label] = value.definition.raw.get("operationId", value.label)
    return result


def _known(parameter: Any, params: dict[str, str], in_process: bool) -> str | None:
    """A path parameter's value for the probe: the one given; against the in-process mock, whose seed holds the
    spec's examples, else the spec's own example of it (a remote target must be told which tenant it is)."""
    if parameter.name in params:
        return params[parameter.name]
    if not in_process:
        return None
    definition = parameter.definition
    example = definition.get("example", (definition.get("schema") or {}).get("example"))
    return str(example) if isinstance(example, (str, int)) else None


def _call(contract: ResolvedContract, case: Any = None) -> Any:
    """The probe's request (without a case: a HEAD of the base URL, whatever it answers); a target that cannot be
    reached is a usage error (exit 2), not a traceback."""
    try:
        if case is None:
            return requests.head(contract.base_url, timeout=_PROBE_TIMEOUT)
        if contract.in_process:
            return case.call(headers=contract.headers)
        return case.call(headers=contract.headers, timeout=_PROBE_TIMEOUT)
    except requests.exceptions.ConnectionError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else "cannot connect"
        raise ContractUsageError(f"nothing answers at {contract.base_url}: {reason}") from None
    except requests.exceptions.Timeout:
        raise ContractUsageError(f"nothing answers at {contract.base_url} within {_PROBE_TIMEOUT:.0f} s") from None
    except requests.exceptions.RequestException as exc:
        raise ContractUsageError(f"cannot reach {contract.base_url}: {type(exc).__name__}") from None


def _probe(contract: ResolvedContract, schema: Any) -> str | None:
    """One safe call with the run's credentials (a GET whose path parameters are known: given, or, in process,
    exampled in the spec): a refused credential is a failure, not a warning, and so is a run that cannot name its
    tenant. An unreachable target or a 404 (a wrong base URL) stops the run as a usage error."""
    if not contract.headers:
        return "no credentials given: pass --token, --header or a config file"
    gets = [op.ok() for op in schema.get_all_operations() if op.ok().method.upper() == "GET"]
    for value in gets:
        known = {p.name: _known(p, contract.params, contract.in_process) for p in value.path_parameters}
        if None in known.values():
            continue
        case = value.Case(path_parameters=known)
        response = _call(contract, case)
        if response.status_code == 404 and not contract.in_process:  # in process, the URL is right by construction
            raise ContractUsageError(
                f"nothing of {contract.api} answers at {contract.base_url} ({value.label} answered 404: "
                "check the base URL and the path parameters)"
            )
        if response.status_code in _PROBE_STATUSES_REFUSED:
            return f"credentials refused: {value.label} answered {response.status_code} {response.text[:200]}"
        return None
    if gets:  # every GET needs a path parameter nobody gave: the run would only meet refusals
        if not contract.in_process:
            _call(contract)  # yet say so only of a target that answers at all
        fewest = min(gets, key=lambda v: len(list(v.path_parameters)))
        missing = sorted({p.name for p in fewest.path_parameters} - set(contract.params))
        return (
            f"cannot check the credentials: {fewest.label} needs "
            + ", ".join(f"--param {name}=..." for name in missing)
            + " (the path parameters naming your tenant)"
        )
    return None


def _runnable(curl: str) -> str:
    """An in-process run's curl names schemathesis' `http://testserver`, which resolves nowhere: point it at the
    same mock served as `make serve` serves it (the report's note says so)."""
    return curl.replace(_IN_PROCESS_ORIGIN + "/", SERVED_BASE_URL + "/")


def _fold(report: ContractReport, labels: dict[str, str], recorder: Any) -> None:
    for case_id, node in recorder.cases.items():
        label = node.value.operation.label
        result = report.operations.setdefault(label, OperationResult(label, labels.get(label, label)))
        if case_id in recorder.interactions:
            result.requests += 1
        seen = {(f.check, f.title) for f in result.failures}
        for check in recorder.checks.get(case_id, []):
            if check.failure_info is None:
                result.checks_passed += 1
                continue
            result.checks_failed += 1
            failure = check.failure_info.failure
            key = (check.name, failure.title)
            if key in seen:
                continue
            seen.add(key)
            response = recorder.interactions.get(case_id)
            status = response.response.status_code if response is not None and response.response else None
            result.failures.append(
                FailureRecord(
                    check=check.name,
                    title=failure.title,
                    message=str(failure.message).strip(),
                    status=status,
                    curl=_runnable(check.failure_info.code_sample),
                )
            )


def _run(contract: ResolvedContract) -> ContractReport:
    started = time.perf_counter()
    schema = build_schema(contract)
    labels = _operation_ids(schema)
    report = ContractReport(
        api=contract.api,
        base_url=contract.base_url,
        spec=str(contract.spec_path),
        operations={label: OperationResult(label, op_id) for label, op_id in labels.items()},
        errors=[],
        elapsed=0.0,
        phases=list(contract.options.phases),
        read_only=contract.read_only,
    )
    tenancy = None
    if contract.other_headers:
        tenancy = checks.TenancyContext(contract.other_headers, contract.other_params, contract.params)
    checks.register_context(schema.raw_schema, tenancy)
    try:
        refused = _probe(contract, build_schema(contract, filtered=False))  # whatever the selection
        if refused:
            report.errors.append(refused)
            report.stopped = refused
        else:
            for event in from_schema(schema).execute():
                _consume(report, labels, event)
    finally:
        checks.register_context(schema.raw_schema, None)
    if contract.in_process and report.failing():
        report.notes.append(
            f"in-process run: the curl lines reach the same mock served fresh by `make serve` "
            f"(`convomock serve --port 8000`) on {SERVED_BASE_URL}"
        )
    report.elapsed = time.perf_counter() - started
    return report


def _consume(report: ContractReport, labels: dict[str, str], event: Any) -> None:
    if isinstance(event, (events.ScenarioFinished, events.FuzzScenarioFinished)):
        _fold(report, labels, event.recorder)
    elif isinstance(event, events.NonFatalError):
        text = f"{event.label}: {event.info.title}: {event.info.message}".strip()
        if "Missing Open API links" in event.info.title:  # the filters left the stateful phase nothing to chain
            report.notes.append(f"{event.label}: skipped, the selected operations have no links between them")
        else:
            report.errors.append(text)
    elif isinstance(event, events.FatalError):
        report.errors.append(f"fatal: {event.exception}")


def run_contract(options: ContractOptions | None = None, **fields: Any) -> ContractReport:
    """Run one spec's contract and return the report (`report.ok`). Keyword fields build ContractOptions."""
    return _run(resolve(options or ContractOptions(**fields)))
