"""The ASGI app: `/__mock` to the control API and the pages, every other path through one API request's way.

An API request, every API alike: route (an unknown one is answered after the faults) -> read the body, bounded by
the operation's limit -> the scenarios' faults -> authenticate (the vendor's `authenticate`) -> rate limit ->
validate (`validation.py`) -> the vendor's handler -> strict response check -> send -> journal. Any refusal on the
way is a MockError that the API's `ErrorStyle` (`errors.py`) turns into its envelope; nothing here builds an error
body. The control API (`control.py`) and the pages (`ui.py`) work on the backend (`backend.py`), never on this app.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from mock_server.engine.asgi import base_url, path_of, read_body, request_headers, send_json
from mock_server.engine.backend import ApiRuntime, MockBackend, StartupError
from mock_server.engine.control import ControlApi
from mock_server.engine.errors import (
    ClientGone,
    InjectedFault,
    InternalError,
    MethodNotAllowed,
    MockError,
    PayloadTooLarge,
    Rendered,
    RequestInvalid,
    RouteNotFound,
)
from mock_server.engine.routing import Match
from mock_server.engine.scenarios import Activation, Caller, Undo, whole_activation
from mock_server.engine.specs import Operation
from mock_server.engine.types import Call, Message, Principal, Receive, Reply, RequestView, Scope, Send
from mock_server.engine.validation import validate_request

__all__ = ["MAX_BODY_BYTES", "ApiDispatcher", "MockApp", "StartupError"]

CONTROL_TOKEN_HEADER = "x-control-token"


class MockApp:
    """One mock as an ASGI app. `backend` is everything it holds; hooks run at the server's start and stop."""

    def __init__(self, backend: MockBackend) -> None:
        self.backend = backend
        self.control = ControlApi(backend)
        self.control.app = self
        self.dispatcher = ApiDispatcher(backend)
        self.startup_hooks: list[Callable[[], Awaitable[None]]] = []
        self.shutdown_hooks: list[Callable[[], Awaitable[None]]] = []

    def __repr__(self) -> str:
        return f"MockApp(apis={list(self.backend.runtimes)})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._route(scope, receive, tracked)
        except Exception as exc:  # noqa: BLE001 - a bug anywhere on a request's way (encoding, the journal, ...)
            await self._failed(scope, send, exc, started)

    async def _failed(self, scope: Scope, send: Send, exc: Exception, started: bool) -> None:
        """The last resort: log it, count it in health, and, if no answer has begun, answer the API's 500 envelope
        (the control API's own shape under /__mock), never the server's bare text/plain 500."""
        method, path = scope.get("method", "?"), path_of(scope)
        log.error("request failed: %s %s", method, path, exc_info=exc)
        backend = self.backend
        backend.keep(backend.internal_errors, f"{method} {path}: {type(exc).__name__}: {exc}")
        if started:
            return  # the answer is on its way (the journal failed after it, say): nothing left to say
        error = InternalError(f"convomock internal error: {type(exc).__name__}")
        runtime = None if path == "/__mock" or path.startswith("/__mock/") else self.dispatcher.runtime_for(path)
        rendered: Rendered = (
            (500, {}, {"error": str(error)})
            if runtime is None
            else self.dispatcher._render(runtime, error, method, path)
        )
        status, extra, payload = rendered
        backend.server_errors += 1
        await send_json(send, status, payload, extra)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = path_of(scope)
        if path == "/__mock" or path.startswith("/__mock/"):
            refusal = self.control.refusal(scope, path)  # cross-site use: a foreign Host, Origin or simple write
            if refusal is not None:
                await send_json(send, 403, {"error": refusal})
                return
            if not self._control_allowed(scope, path):
                message = (
                    "the control API needs the control token: send 'X-Control-Token: <token>' (convomock "
                    "serve --control-token)"
                )
                await send_json(send, 401, {"error": message})
                return
            await self.control.handle(scope, receive, send, path)
            return
        runtime = self.dispatcher.runtime_for(path)
        if runtime is None:
            apis = {name: rt.binding.prefix for name, rt in self.backend.runtimes.items()}
            await send_json(send, 404, {"error": "no API is served at this path", "apis": apis})
            return
        await self.dispatcher.serve(runtime, scope, receive, send, path)

    def _control_allowed(self, scope: Scope, path: str) -> bool:
        """Health and the pages' static files (no state, no secret in them) are open; the pages' scripts send the
        token on each control call they make."""
        token = self.backend.options.control_token
        if not token or path == "/__mock/health" or self.control.pages.is_public(scope["method"], path):
            return True
        if self.control.is_client_route(scope["method"], path):
            return True  # an upload target handed to a vendor's clients checks its own token
        offered = request_headers(scope).get(CONTROL_TOKEN_HEADER) or ""
        if not offered:
            offered = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))).get("control_token", "")
        return hmac.compare_digest(offered.encode("utf-8", "replace"), token.encode("utf-8"))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for hook in self.startup_hooks:
                    await hook()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.backend.jobs.cancel()
                for hook in self.shutdown_hooks:
                    await hook()
                await send({"type": "lifespan.shutdown.complete"})
                return


log = logging.getLogger("convomock")
MAX_BODY_BYTES = 1024 * 1024  # an operation's body limit unless its spec says `x-convomock: {max-body-bytes: N}`
SCENARIO_HEADER = "x-mock-scenario"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ENGINE_ERRORS = (RouteNotFound, PayloadTooLarge, InjectedFault, RequestInvalid)


class ApiDispatcher:
    """Serves the vendor APIs' requests on a backend: one request's way, every API alike."""

    def __init__(self, backend: MockBackend) -> None:
        self.backend = backend

    def runtime_for(self, path: str) -> ApiRuntime | None:
        """The API a request path belongs to."""
        if self.backend.options.at_root:
            return next(iter(self.backend.runtimes.values()))
        for runtime in self.backend.runtimes.values():
            prefix = runtime.binding.prefix
            if path == prefix or path.startswith(prefix + "/"):
                return runtime
        return None

    async def serve(self, runtime: ApiRuntime, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        backend = self.backend
        started = time.perf_counter()
        arrived = backend.clock.now()  # one instant per request: auth, limits and the handler see the same "now"
        method = scope["method"].upper()
        headers = request_headers(scope)
        query_string = scope.get("query_string", b"").decode("latin-1")
        binding = runtime.binding
        inner = path[len(binding.prefix) :] if not backend.options.at_root else path
        operation: Operation | None = None
        principal: Principal | None = None
        rate_states = None
        body: bytes = b""
        request_body: Any = None
        names = backend.scenarios.applying(binding.name)  # the journal's: what applies to this request
        own: list[Activation] = []  # this request's X-Mock-Scenario
        reached_handler = False
        try:
            own = self._request_scenarios(headers)
            names = names + [activation.name for activation in own if activation.name not in names]
            match = _route(runtime, method, path, inner or "/", query_string)
            limit = match.target.max_body_bytes if isinstance(match, Match) else None
            body = await read_body(receive, limit or MAX_BODY_BYTES)
            latency_ms, rule = backend.scenarios.fault(own, binding.name, method, inner or "/")
            if latency_ms:
                await asyncio.sleep(latency_ms / 1000)
            if rule is not None and rule.error:
                raise InjectedFault(rule.error, rule.status, rule.retry_after, at=arrived)
            if not isinstance(match, Match):
                raise match
            operation = match.target
            query = parse_qsl(query_string, keep_blank_values=True) if query_string else []
            view = RequestView(method, path, match.path_params, headers, query, operation.scopes, arrived)
            principal = (
                Principal(tenant_id="", key="anonymous")
                if operation.public
                else binding.authenticate(view, runtime.store)
            )
            # An API that reports its count on every answer is counted on every request; limits refuse only
            # under `real-limits`.
            enforce = backend.scenarios.real_limits(own, binding.name, principal.tenant_id)
            if runtime.limiter and (enforce or binding.rate_limit_headers is not None):
                rate_states = runtime.limiter.hit(principal.key, arrived, enforce=enforce)
            validated = validate_request(
                operation, match.path_params, query, headers, body, headers.get("content-type")
            )
            request_body = validated.body
            if backend.scenarios.narrowed(binding.name):  # a scenario on for one tenant, conversation or contact
                caller = Caller(principal.tenant_id, _named_ids(validated.path, validated.raw_query, validated.body))
                names = backend.scenarios.applying(binding.name, caller, own)
                names += [activation.name for activation in own if activation.name not in names]
                latency_ms, rule = backend.scenarios.fault(own, binding.name, method, inner or "/", caller)
                if latency_ms:
                    await asyncio.sleep(latency_ms / 1000)
                if rule is not None and rule.error:
                    raise InjectedFault(rule.error, rule.status, rule.retry_after, at=arrived)
            call = Call(
                operation,
                validated,
                principal,
                runtime.store,
                backend.clock,
                runtime.rng,
                backend.jobs,
                base_url(scope, headers),
                arrived,
                validated.body,
                validated.query,
                validated.path,
            )
            reached_handler = True  # a vendor error it raises may follow a change (a send stored as failed)
            status, extra, payload = self._run_handler(runtime, operation, call, own)
            error: MockError | None = None
        except ClientGone:  # the body never all arrived: nothing to answer, and nothing of it applied
            return
        except MockError as exc:
            error = exc
            status, extra, payload = self._render(runtime, exc, method, path)
        except Exception as exc:  # a bug in the mock: answer in the vendor's shape, keep serving
            log.exception("handler failed")
            backend.keep(backend.internal_errors, f"{method} {path}: {type(exc).__name__}: {exc}")
            error = InternalError(f"convomock internal error: {type(exc).__name__}")
            status, extra, payload = self._render(runtime, error, method, path)
        if operation is not None and not isinstance(error, InternalError):
            # Engine refusals (bad JSON, faults, 413) are checked only where the operation documents the status.
            strict_always = not isinstance(error, _ENGINE_ERRORS)
            violation = self._check_response(runtime, operation, status, payload, strict_always)
            if violation:
                status, extra, payload = binding.errors.render(InternalError(violation))
        if rate_states is not None and binding.rate_limit_headers is not None:
            extra = {**binding.rate_limit_headers(rate_states), **extra}  # a counted request says so, success or not
        if request_body is None and body:
            request_body = _body_for_journal(body)
        sent = await send_json(send, status, payload, extra)
        backend.served += 1
        if status >= 500:
            backend.server_errors += 1
        if method not in SAFE_METHODS and (status < 400 or reached_handler):
            backend.changes += 1
        backend.journal.record(
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
            request_raw=body,  # the sizes already known: the journal cuts big bodies without encoding them again
            response_raw=sent,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            scenarios=list(names),
        )

    def _render(self, runtime: ApiRuntime, error: MockError, method: str, path: str) -> Rendered:
        """The vendor's envelope for an error; if the renderer itself fails, a bare 500 that says so."""
        try:
            return runtime.binding.errors.render(error)
        except Exception as exc:
            log.exception("error renderer failed")
            self.backend.keep(self.backend.internal_errors, f"{method} {path}: renderer {type(exc).__name__}: {exc}")
            return 500, {}, {"statusCode": 500, "code": "INTERNAL", "message": "convomock: the error renderer failed"}

    def _request_scenarios(self, headers: Mapping[str, str]) -> list[Activation]:
        """The scenarios `X-Mock-Scenario` names for this request alone, each for the whole mock."""
        if SCENARIO_HEADER not in headers:
            return []
        requested = [n.strip() for n in headers.get(SCENARIO_HEADER, "").split(",") if n.strip()]
        scenarios = self.backend.scenarios
        for name in requested:
            if name not in scenarios.available:
                raise RequestInvalid.single("header", f"unknown scenario {name!r}", ["X-Mock-Scenario"], "invalid")
        runtimes = self.backend.runtimes
        return [whole_activation(scenarios.get(name), runtimes) for name in dict.fromkeys(requested)]

    def _run_handler(self, runtime: ApiRuntime, operation: Operation, call: Call, own: list[Activation]) -> Rendered:
        # Scenarios named only in this request's header change state for this request alone.
        scenarios = self.backend.scenarios
        undo: list[Undo] = []
        for activation in own:
            if not scenarios.is_on(activation.key):
                undo.extend(self.backend.apply_scenario_state(activation))
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
        if not self.backend.options.strict:
            return None
        validator = operation.response_validator(status)
        if validator is False:
            return self._strict_failure(runtime, operation, status, "status not documented") if strict_always else None
        if validator is None:
            return None
        try:
            errors = validator.errors(payload, limit=3)
        except UnicodeEncodeError:  # a lone surrogate a state file brought in: unreadable to the validator, escaped
            return None  # by the encoder (`encode_json`), so not a reason to fail the answer
        if not errors:
            return None
        detail = "; ".join(f"/{'/'.join(map(str, p))}: {m}" for p, m in errors)
        return self._strict_failure(runtime, operation, status, detail)

    def _strict_failure(self, runtime: ApiRuntime, operation: Operation, status: int, detail: str) -> str:
        message = f"convomock bug: {runtime.name} {operation.operation_id} answered {status} outside its spec: {detail}"
        log.error(message)
        self.backend.keep(self.backend.strict_violations, message)
        return message


def _named_ids(path: Mapping[str, Any], query: Any, body: Any) -> tuple[str, ...]:
    """Every id a request names, for a conversation- or contact-scoped scenario's faults: its path parameters, its
    query values and the values in its body, nested ones too (1TO1 AI's `conversation: {"uuid": ...}`), up to
    NAMED_IDS of them."""
    found: list[Any] = list(path.values())
    found.extend(query.values() if isinstance(query, Mapping) else [value for _, value in query or ()])
    pending: deque[tuple[Any, int]] = deque([(body, 0)])
    while pending and len(found) < NAMED_IDS:  # breadth first: a body's own ids before those of a long list in it
        value, depth = pending.popleft()
        if isinstance(value, Mapping) and depth < 4:
            pending.extend((each, depth + 1) for each in value.values())
        elif isinstance(value, list) and depth < 4:
            pending.extend((each, depth + 1) for each in value[:NAMED_IDS])
        else:
            found.append(value)
    return tuple(str(value) for value in found if isinstance(value, (str, int)) and not isinstance(value, bool))


NAMED_IDS = 200  # a scoped fault looks at no more of a request's values


def _route(runtime: ApiRuntime, method: str, path: str, inner: str, query: str) -> Match[Operation] | MockError:
    """The operation, or the refusal to raise once the faults had their say (the path as the vendor sees it)."""
    try:
        return runtime.routes.match(method, path)
    except (RouteNotFound, MethodNotAllowed) as exc:
        exc.path = inner  # without our prefix
        if isinstance(exc, RouteNotFound):
            exc.query = query
        return exc


def _body_for_journal(body: bytes) -> Any:
    """The refused body as the journal shows it: parsed when it is small, shallow JSON, else its first 4 KiB as text."""
    text = body[:4096].decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text
