"""Assemble the mock: one pure-ASGI app serving every API's operations under its prefix, and `/__mock` control.

A request's way: read the body (bounded) -> scenario faults -> route -> authenticate -> rate limit -> validate ->
handler -> serialise -> strict response check -> journal. Any refusal on the way is a MockError that the API's
own `ErrorStyle` (engine/errors.py) turns into its envelope; nothing else builds an error body.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import pickle
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from mock_server.engine.asgi import base_url, path_of, read_body, request_headers, send_json
from mock_server.engine.clock import MockClock, parse_instant
from mock_server.engine.errors import (
    InjectedFault,
    InternalError,
    MethodNotAllowed,
    MockError,
    PayloadTooLarge,
    RequestInvalid,
    RouteNotFound,
)
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner
from mock_server.engine.journal import Journal
from mock_server.engine.ratelimit import SlidingWindowLimiter
from mock_server.engine.routing import RouteTable
from mock_server.engine.scenarios import Scenario, ScenarioBook, Undo, load_scenarios
from mock_server.engine.snapshot import from_json_data, to_json_data
from mock_server.engine.specs import Operation, Spec, load_spec, load_yaml
from mock_server.engine.types import ApiBinding, Call, Principal, Rendered, Reply, RequestView, SeedOptions
from mock_server.engine.validation import validate_request

__all__ = ["MAX_BODY_BYTES", "ApiRuntime", "MockApp", "StartupError", "client_headers"]

log = logging.getLogger("convomock")
MAX_BODY_BYTES = 1024 * 1024
SCENARIO_HEADER = "x-mock-scenario"
CONTROL_TOKEN_HEADER = "x-control-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ENGINE_ERRORS = (RouteNotFound, PayloadTooLarge, InjectedFault)


class StartupError(RuntimeError):
    """The app cannot start: a spec and its handlers disagree, or a fixture or scenario is broken."""


@dataclass
class ApiRuntime:
    """One API as served: its binding, compiled spec, routes, and its current state and generator."""

    binding: ApiBinding
    spec: Spec
    routes: RouteTable[Operation]
    store: Any
    rng: SeededRandom
    limiter: SlidingWindowLimiter | None
    fixtures: Mapping[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return self.binding.name


def _check_binding(binding: ApiBinding, spec: Spec) -> None:
    unworded = binding.errors.missing()
    if unworded:
        raise StartupError(f"{binding.name}: its ErrorStyle does not word the error kinds {', '.join(unworded)}")
    _check_handlers(binding, spec)


def _check_handlers(binding: ApiBinding, spec: Spec) -> None:
    ids = spec.operation_ids()
    missing = sorted(ids - set(binding.handlers))
    extra = sorted(set(binding.handlers) - ids)
    if missing or extra:
        raise StartupError(
            f"{binding.name}: operations without a handler: {missing or 'none'}; "
            f"handlers without an operation: {extra or 'none'}"
        )


class MockApp:
    def __init__(
        self,
        bindings: Sequence[ApiBinding],
        *,
        seed: int = 0,
        conversations: int | None = None,
        scenarios_dir: Path | None = None,
        start_scenarios: Sequence[str] = (),
        strict: bool = True,
        at_root: bool = False,
        clock: MockClock | None = None,
        journal_limit: int = 1000,
        tenants: Sequence[str] | None = None,
        control_token: str | None = None,
    ) -> None:
        if at_root and len(bindings) != 1:
            raise StartupError("serving at the root needs exactly one API")
        self.at_root = at_root
        self.strict = strict
        self.options = SeedOptions(seed=seed, conversations=conversations)
        self.tenants = frozenset(tenants) if tenants else None
        self.control_token = control_token or None
        # Counts every change to state (a write that succeeded, a control call that changes something); with the
        # background jobs' count it tells a state file when there is something new to save.
        self.changes = 0
        self.startup_hooks: list[Callable[[], Awaitable[None]]] = []
        self.shutdown_hooks: list[Callable[[], Awaitable[None]]] = []
        self.clock = clock or MockClock()
        self.journal = Journal(journal_limit)
        self.jobs = JobRunner(self.clock)
        self.strict_violations: list[str] = []
        self.internal_errors: list[str] = []
        self.served = 0  # API requests answered since start (a reset does not clear it, unlike the journal)
        self.server_errors = 0  # of those, answers 5xx (a scenario's injected fault included)
        self.scenarios = ScenarioBook(load_scenarios(scenarios_dir) if scenarios_dir else {})
        self.start_scenarios = list(start_scenarios)
        self.runtimes: dict[str, ApiRuntime] = {}
        self._seeded_before = False
        self._seed_templates: dict[str, bytes] = {}  # see `_fresh_state`
        for binding in bindings:
            spec = load_spec(binding.spec_path)
            _check_binding(binding, spec)
            routes: RouteTable[Operation] = RouteTable()
            prefix = "" if at_root else binding.prefix
            for operation in spec.operations:
                routes.add(operation.method, prefix + operation.path, operation)
            self.runtimes[binding.name] = ApiRuntime(
                binding=binding,
                spec=spec,
                routes=routes,
                store=None,
                rng=SeededRandom(seed),
                limiter=SlidingWindowLimiter(binding.rate_limits) if binding.rate_limits else None,
                fixtures=_only_tenants(binding, load_yaml(binding.fixtures_path) or {}, self.tenants),
            )
        for name in self.start_scenarios:
            if name not in self.scenarios.available:
                raise StartupError(f"unknown scenario {name!r}; known: {', '.join(sorted(self.scenarios.available))}")
        self.reset()
        from mock_server.engine.control import ControlApi  # control needs the app; imported late on purpose

        self.control = ControlApi(self)

    # -- state ---------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seeded start: clock at its start, fresh stores, empty journal, start scenarios on."""
        self.jobs.cancel()
        self.clock.reset()
        self.journal.clear()
        self.scenarios.forget()
        for runtime in self.runtimes.values():
            runtime.store, runtime.rng = self._fresh_state(runtime)
            if runtime.limiter:
                runtime.limiter.clear()
        self._seeded_before = True
        for name in self.start_scenarios:
            self.activate_scenario(name)

    def _fresh_state(self, runtime: ApiRuntime) -> tuple[Any, SeededRandom]:
        """A freshly seeded store and generator. Seeding depends only on the fixtures, the seed and the clock's start,
        so from the second reset on its result is kept pickled and loaded again: a test suite that resets before
        every test pays ~4 ms for the four APIs instead of ~45 ms. Start-up seeds once and keeps nothing."""
        template = self._seed_templates.get(runtime.name)
        if template is not None:
            store, rng = pickle.loads(template)
            return store, rng
        rng = SeededRandom(self.options.seed)
        store = runtime.binding.new_store()
        runtime.binding.seed(store, runtime.fixtures, rng, self.clock.start, self.options)
        if self._seeded_before:
            self._seed_templates[runtime.name] = pickle.dumps((store, rng), pickle.HIGHEST_PROTOCOL)
        return store, rng

    @property
    def version(self) -> int:
        """Grows whenever state may have changed: writes, control changes and finished background jobs."""
        return self.changes + self.jobs.completed

    def snapshot(self) -> dict[str, Any]:
        return {
            "format": 1,
            "seed": self.options.seed,
            "active_scenarios": self.scenarios.active,
            "clock": {"now": self.clock.now().isoformat(), "frozen": self.clock.frozen},
            "apis": {
                name: {"store": to_json_data(rt.store), "rng": rt.rng.state_json()}
                for name, rt in self.runtimes.items()
            },
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Replace every store (and generator) from a snapshot; raises SnapshotError/ValueError and changes nothing."""
        if not isinstance(data, Mapping) or data.get("format") != 1 or not isinstance(data.get("apis"), Mapping):
            raise ValueError('a snapshot is {"format": 1, "apis": {...}} as GET /__mock/state gives it')
        loaded = {}
        for name, runtime in self.runtimes.items():
            part = data["apis"].get(name)
            if not isinstance(part, Mapping) or "store" not in part or "rng" not in part:
                raise ValueError(f"snapshot has no state for API {name!r}")
            rng = SeededRandom()
            try:
                rng.load_state_json(part["rng"])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name}: bad generator state: {exc}") from None
            loaded[name] = (from_json_data(part["store"], runtime.binding.store_type), rng)
        clock = data.get("clock")
        try:
            instant = parse_instant(clock["now"]) if isinstance(clock, Mapping) else None
            frozen = bool(clock.get("frozen")) if isinstance(clock, Mapping) else False
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad clock in snapshot: {exc}") from None
        self.jobs.cancel()
        if instant is not None:  # the time the snapshot was taken at, so time-dependent answers stay the same
            self.clock.set(instant)
            self.clock.freeze(frozen)
        self.scenarios.forget()
        for name, (store, rng) in loaded.items():
            self.runtimes[name].store, self.runtimes[name].rng = store, rng
        # Scenarios that were on stay on; their state changes are in the snapshot already (and cannot be undone).
        for name in data.get("active_scenarios") or []:
            if name in self.scenarios.available:
                self.scenarios.activate(name, lambda scenario: [])

    # -- scenarios -----------------------------------------------------------------------------------------------

    def _apply_scenario_state(self, scenario: Scenario) -> list[Undo]:
        undo: list[Undo] = []
        for api, effects in scenario.state.items():
            runtime = self.runtimes.get(api)
            if runtime is None:
                continue
            for effect, value in effects.items():
                apply = runtime.binding.scenario_effects.get(effect)
                if apply is None:
                    raise StartupError(f"scenario {scenario.name}: {api} has no state effect {effect!r}")
                undo.append(apply(runtime.store, value, self.clock))
        return undo

    def activate_scenario(self, name: str) -> bool:
        return self.scenarios.activate(name, self._apply_scenario_state)

    def deactivate_scenario(self, name: str) -> bool:
        return self.scenarios.deactivate(name)

    # -- ASGI ----------------------------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = path_of(scope)
        if path == "/__mock" or path.startswith("/__mock/"):
            # Health and the pages' static files (no state, no secret in them) are open; the pages' scripts send
            # the token on each control call they make.
            if (
                self.control_token
                and path != "/__mock/health"
                and not self.control.pages.is_public(scope["method"], path)
                and not self._control_allowed(scope)
            ):
                await send_json(
                    send,
                    401,
                    {
                        "error": "the control API needs the control token: send "
                        "'X-Control-Token: <token>' (convomock serve --control-token)"
                    },
                )
                return
            await self.control.handle(scope, receive, send, path)
            return
        runtime = self._runtime_for(path)
        if runtime is None:
            await send_json(
                send,
                404,
                {
                    "error": "no API is served at this path",
                    "apis": {n: rt.binding.prefix for n, rt in self.runtimes.items()},
                },
                {},
            )
            return
        await self._serve(runtime, scope, receive, send, path)

    def _control_allowed(self, scope: dict[str, Any]) -> bool:
        headers = request_headers(scope)
        offered = headers.get(CONTROL_TOKEN_HEADER) or ""
        if not offered:
            offered = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))).get("control_token", "")
        return hmac.compare_digest(offered.encode("utf-8", "replace"), str(self.control_token).encode("utf-8"))

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for hook in self.startup_hooks:
                    await hook()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.jobs.cancel()
                for hook in self.shutdown_hooks:
                    await hook()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def api_root(self, runtime: ApiRuntime) -> str:
        """Where an API is mounted: its prefix, or '' when it is served alone at the root."""
        return "" if self.at_root else runtime.binding.prefix

    def credentials(self, runtime: ApiRuntime, base_url: str) -> list[dict[str, Any]]:
        """The API's working credentials, each with `base_url`: where a client points (the mock at `base_url`, the
        API's prefix, the vendor's path). What `GET /__mock/credentials`, the banner and the pytest plugin list."""
        root = base_url + self.api_root(runtime)
        return [
            {**c, "base_url": root + c.get("base_path", runtime.spec.base_path)}
            for c in runtime.binding.credentials(runtime.store)
        ]

    def _runtime_for(self, path: str) -> ApiRuntime | None:
        if self.at_root:
            return next(iter(self.runtimes.values()))
        for runtime in self.runtimes.values():
            prefix = runtime.binding.prefix
            if path == prefix or path.startswith(prefix + "/"):
                return runtime
        return None

    async def _serve(self, runtime: ApiRuntime, scope: dict[str, Any], receive: Any, send: Any, path: str) -> None:
        started = time.perf_counter()
        arrived = self.clock.now()
        method = scope["method"].upper()
        headers = request_headers(scope)
        query_string = scope.get("query_string", b"").decode("latin-1")
        binding = runtime.binding
        operation: Operation | None = None
        principal: Principal | None = None
        rate_states = None
        body: bytes = b""
        request_body: Any = None
        names = self.scenarios.active
        try:
            names = self._request_scenarios(runtime, headers, names)
            body = await read_body(receive, binding.max_body_bytes)
            inner = path[len(binding.prefix) :] if not self.at_root else path
            latency_ms, rule = self.scenarios.fault(names, binding.name, method, inner or "/")
            if latency_ms:
                await asyncio.sleep(latency_ms / 1000)
            if rule is not None and rule.error:
                raise InjectedFault(rule.error, rule.status, rule.retry_after)
            try:
                match = runtime.routes.match(method, path)
            except (RouteNotFound, MethodNotAllowed) as exc:
                exc.path = inner or "/"  # as the vendor sees it, without our prefix
                raise
            operation = match.target
            query = parse_qsl(query_string, keep_blank_values=True) if query_string else []
            # One instant per request, its arrival: authentication, limits and the handler all see the same "now".
            view = RequestView(method, path, match.path_params, headers, query, operation.scopes, arrived)
            principal = (
                Principal(tenant_id="", key="anonymous")
                if operation.public
                else binding.authenticate(view, runtime.store)
            )
            if runtime.limiter and self.scenarios.real_limits(names, binding.name):
                rate_states = runtime.limiter.hit(principal.key, arrived)
            validated = validate_request(
                operation, match.path_params, query, headers, body, headers.get("content-type")
            )
            request_body = validated.body
            call = Call(
                operation,
                validated,
                principal,
                runtime.store,
                self.clock,
                runtime.rng,
                self.jobs,
                base_url(scope, headers),
                arrived,
            )
            status, extra, payload = self._run_handler(runtime, operation, call, names)
            error: MockError | None = None
        except MockError as exc:
            error = exc
            status, extra, payload = self._render(binding, exc, method, path)
        except Exception as exc:  # a bug in the mock: answer in the vendor's shape, keep serving
            log.exception("handler failed")
            _keep(self.internal_errors, f"{method} {path}: {type(exc).__name__}: {exc}")
            error = InternalError(f"convomock internal error: {type(exc).__name__}")
            status, extra, payload = self._render(binding, error, method, path)
        if operation is not None and not isinstance(error, InternalError):
            # Engine refusals (bad JSON, faults, 413) are checked only where the operation documents the status.
            violation = self._check_response(
                runtime,
                operation,
                status,
                payload,
                strict_always=not isinstance(error, _ENGINE_ERRORS + (RequestInvalid,)),
            )
            if violation:
                status, extra, payload = binding.errors.render(InternalError(violation))
        if rate_states is not None and binding.rate_limit_headers is not None:
            extra = {**binding.rate_limit_headers(rate_states), **extra}  # a counted request says so, success or not
        if request_body is None and body:
            request_body = _body_for_journal(body)
        await send_json(send, status, payload, extra)
        self.served += 1
        if status >= 500:
            self.server_errors += 1
        if status < 400 and method not in SAFE_METHODS:
            self.changes += 1
        self.journal.record(
            at=arrived,
            api=binding.name,
            method=method,
            path=path,
            query=query_string,
            operation_id=operation.operation_id if operation else None,
            tenant=principal.tenant_id if principal else None,
            status=status,
            raw_headers=headers,
            request_body=request_body,
            response_body=payload,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            scenarios=list(names),
        )

    def _render(self, binding: ApiBinding, error: MockError, method: str, path: str) -> Rendered:
        """The vendor's envelope for an error; if the renderer itself fails, a bare 500 that says so."""
        try:
            return binding.errors.render(error)
        except Exception as exc:
            log.exception("error renderer failed")
            _keep(self.internal_errors, f"{method} {path}: renderer {type(exc).__name__}: {exc}")
            return 500, {}, {"statusCode": 500, "code": "INTERNAL", "message": "convomock: the error renderer failed"}

    def _request_scenarios(self, runtime: ApiRuntime, headers: Mapping[str, str], names: list[str]) -> list[str]:
        if SCENARIO_HEADER not in headers:
            return names
        requested = [n.strip() for n in headers.get(SCENARIO_HEADER, "").split(",") if n.strip()]
        for name in requested:
            if name not in self.scenarios.available:
                raise RequestInvalid.single("header", f"unknown scenario {name!r}", ["X-Mock-Scenario"], "invalid")
        return names + [n for n in requested if n not in names]

    def _run_handler(self, runtime: ApiRuntime, operation: Operation, call: Call, names: list[str]) -> Rendered:
        # Scenarios named only in this request's header change state for this request alone.
        undo: list[Undo] = []
        for name in names:
            if not self.scenarios.is_active(name):
                undo.extend(self._apply_scenario_state(self.scenarios.get(name)))
        try:
            result = runtime.binding.handlers[operation.operation_id](call)
        finally:
            for step in reversed(undo):
                step()
        if isinstance(result, Reply):
            return result.status or operation.success_status, result.headers, result.body
        return operation.success_status, {}, result

    def _check_response(
        self, runtime: ApiRuntime, operation: Operation, status: int, payload: Any, strict_always: bool
    ) -> str | None:
        """In strict mode, why this answer breaks the operation's spec (None when it conforms)."""
        if not self.strict:
            return None
        validator = operation.response_validator(status)
        if validator is False:
            return self._strict_failure(runtime, operation, status, "status not documented") if strict_always else None
        if validator is None:
            return None
        errors = validator.errors(payload, limit=3)
        if not errors:
            return None
        detail = "; ".join(f"/{'/'.join(map(str, p))}: {m}" for p, m in errors)
        return self._strict_failure(runtime, operation, status, detail)

    def _strict_failure(self, runtime: ApiRuntime, operation: Operation, status: int, detail: str) -> str:
        message = f"convomock bug: {runtime.name} {operation.operation_id} answered {status} outside its spec: {detail}"
        log.error(message)
        _keep(self.strict_violations, message)
        return message


PROBLEMS_KEPT = 1000  # the first this many bugs are kept; past that a broken mock must not also grow without end


def _keep(problems: list[str], message: str) -> None:
    if len(problems) < PROBLEMS_KEPT:
        problems.append(message)


def client_headers(credential: Mapping[str, Any]) -> dict[str, str]:
    """What a client holding this credential sends on every call: the bearer token, then the API's own headers
    (HighLevel's `Version`) and the tenant's (the CRM inbox's `X-Org-Id`)."""
    return {
        "Authorization": f"Bearer {credential['token']}",
        **credential.get("headers", {}),
        **credential.get("tenant_headers", {}),
    }


def _only_tenants(
    binding: ApiBinding, fixtures: Mapping[str, Any], tenants: frozenset[str] | None
) -> Mapping[str, Any]:
    """The fixtures with only the named tenants (`serve --tenants`, to shard by tenant); every tenant has a `key`."""
    if tenants is None:
        return fixtures
    entries = fixtures.get(binding.tenant_collection) or []
    unknown = tenants - {entry.get("key") for entry in entries}
    if unknown:
        known = ", ".join(sorted(str(entry.get("key")) for entry in entries))
        raise StartupError(f"{binding.name}: no tenant {', '.join(sorted(unknown))} in the fixtures (known: {known})")
    return {**fixtures, binding.tenant_collection: [e for e in entries if e.get("key") in tenants]}


def _body_for_journal(body: bytes) -> Any:
    """The refused body as the journal shows it: parsed when it is small, shallow JSON, else its first 4 KiB as text."""
    text = body[:4096].decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text
