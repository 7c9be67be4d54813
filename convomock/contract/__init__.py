"""The contract toolkit: schemathesis over a spec, plus convomock's own checks, against the in-process mock or
any base URL. From the command line: `convomock contract`; from a test suite: `contract_schema` below.

    from convomock.contract import contract_schema, contract_workflows

    schema = contract_schema("1to1ai")  # in-process mock; or base_url=..., token=..., params={"slug": "acme"}

    @schema.parametrize()
    def test_contract(case):
        case.call_and_validate()  # every schemathesis check, and convomock's (registered on import)

    TestWorkflows = contract_workflows(schema)  # the stateful phase, through the spec's links
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from convomock.contract.checks import CONTRACT_CHECKS, TenancyContext, register_context
from convomock.contract.loader import ContractOptions, ContractUsageError, build_schema, resolve
from convomock.contract.runner import ContractReport, OperationResult, run_contract

__all__ = [
    # running a contract
    "run_contract",
    "ContractOptions",
    "ContractReport",
    "OperationResult",
    "ContractUsageError",
    # inside a user's own pytest suite
    "contract_schema",
    "contract_workflows",
    "CONTRACT_CHECKS",
]


def contract_schema(
    api: str | None = None,
    *,
    spec: Path | None = None,
    base_url: str | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    other_token: str | None = None,
    other_params: dict[str, str] | None = None,
    app: Any = None,
    read_only: bool | None = None,
    max_examples: int = 25,
    write: bool | None = None,
) -> Any:
    """A schemathesis schema ready for `@schema.parametrize()`: credentials, the tenant's path parameters, the
    spec's business-rule statuses, and convomock's checks (tenancy included when a second tenant is known).
    Against a `base_url` only safe methods run unless `write=True` (`read_only=False`, its old spelling)."""
    if write is not None:
        read_only = not write
    contract = resolve(
        ContractOptions(
            api=api,
            spec=spec,
            base_url=base_url,
            token=token,
            headers=headers or {},
            params=params or {},
            other_token=other_token,
            other_params=other_params or {},
            app=app,
            read_only=read_only,
            max_examples=max_examples,
        )
    )
    schema = build_schema(contract)
    if contract.other_headers:
        register_context(
            schema.raw_schema, TenancyContext(contract.other_headers, contract.other_params, contract.params)
        )
    schema._convomock_params = dict(contract.params)  # for contract_workflows
    return schema


def contract_workflows(
    schema: Any,
    max_examples: int = 30,
    steps: int = 6,
    reset: Callable[[], None] | None = None,
    derandomize: bool = False,
) -> Any:
    """The stateful phase as a unittest/pytest TestCase class (name it `Test...` in your module). `reset` runs
    before each generated workflow (the in-process mock's `app.reset`): every workflow then starts from the same
    state, so Hypothesis can replay one exactly (it refuses a generation that depends on leftover state)."""
    from hypothesis import HealthCheck, settings

    params = getattr(schema, "_convomock_params", {})

    class Workflows(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            if reset is not None:
                reset()

        def before_call(self, case: Any) -> None:
            # The config's path parameters do not reach state-machine steps; the tenant's must be used there too.
            for name, value in params.items():
                if case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = value

    test_case = Workflows.TestCase
    test_case.settings = settings(
        max_examples=max_examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=derandomize,
    )
    return test_case
