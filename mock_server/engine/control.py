"""The control API under `/__mock`: health, credentials, reset, scenarios, clock, journal, state, settle, and
each API's own simulations under `/__mock/<api>/...`. It answers plain JSON (`{"error": ...}` on refusal; a vendor route
may serve a stored file's bytes, a `FileReply`): it is
ours, not a vendor's, and it is never served under an API prefix. The pages for a browser (`/__mock/ui`,
`/__mock/docs`) are `ui.py`'s; this module only hands their paths over.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson

from mock_server.engine.asgi import base_url, read_body, request_headers, send_bytes, send_json
from mock_server.engine.backend import ApiRuntime, MockBackend, ScenarioConflict, ScenarioRefused
from mock_server.engine.clock import checked_instant, moved, parse_duration, parse_instant
from mock_server.engine.errors import ClientGone, MethodNotAllowed, PayloadTooLarge, RequestInvalid, RouteNotFound
from mock_server.engine.routing import RouteTable
from mock_server.engine.scenarios import SCOPE_KEYS
from mock_server.engine.snapshot import SnapshotError
from mock_server.engine.timelines import (
    TIMELINES_DIR,
    TimelineFileError,
    load_timeline,
    parse_timeline,
    play_async,
    report,
    timeline_files,
)
from mock_server.engine.types import (
    CONTROL_BODY_BYTES,
    ASGIApp,
    BodyLimit,
    ControlCall,
    ControlError,
    ControlRoute,
    FileReply,
    Receive,
    Scope,
    Send,
)
from mock_server.engine.ui import BrowserPages
from mock_server.engine.validation import parse_json_body

__all__ = ["CLIENT_HEADERS", "ControlApi"]

# A control write needs a JSON content type or one of these headers: a browser sends neither cross-site without a
# CORS preflight, which the mock never grants.
CLIENT_HEADERS = ("x-mock-client", "x-requested-with")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STATE_BODY_BYTES = 256 * 1024 * 1024  # PUT /__mock/state: a snapshot of a big seed (10,000 conversations a tenant)


@dataclass
class _Request:
    method: str
    query: dict[str, str]
    body: Any
    raw_body: bytes
    path_params: dict[str, str]
    base_url: str


Endpoint = Callable[[_Request], Awaitable[tuple[int, Any]]]


@dataclass(frozen=True)
class _Route:
    endpoint: Endpoint
    body_limit: Callable[[Mapping[str, str]], int]  # path parameters -> the most bytes this route reads
    client: bool = False  # a vendor client's route (an upload target): its own token, no cross-site rules
    snapshot: bool = False  # PUT /__mock/state: a body of up to STATE_BODY_BYTES, parsed by `_snapshot_json`


def _switch(request: _Request, *, with_params: bool) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A scenario switch's scope and parameters: from the query (`?tenant=globex`) and the JSON body (the scope's
    keys at its top level or under `scope`; `params` an object). The scope is None when none is given (switched
    off: everywhere); `{"scope": {}}` names the whole mock alone. A key that is neither, a `params` that is no object
    or a scope key given twice with two values is refused, by name."""
    scope: dict[str, Any] = {}
    given = False

    def put(key: str, value: Any) -> None:
        if key in scope and scope[key] != value:
            raise ControlError(400, f"scope.{key}: given twice, as {scope[key]!r} and {value!r}"[:300])
        scope[key] = value

    for key, value in request.query.items():
        if key == "control_token":  # the token's other way in (a browser's link), checked before this
            continue
        if key not in SCOPE_KEYS:
            raise ControlError(400, f"unknown query parameter {key!r}; a scenario is scoped by {', '.join(SCOPE_KEYS)}")
        put(key, value)
        given = True
    body = request.body
    shape = '{"tenant": ..., "params": {...}}' if with_params else '{"tenant": ...}'
    if body is None and request.raw_body.strip():
        raise ControlError(400, f"the body is a JSON object: {shape}")
    if body is None:
        return (scope if given else None), {}
    if not isinstance(body, dict):
        raise ControlError(400, f"the body is a JSON object: {shape}")
    allowed = [*SCOPE_KEYS, "scope", *(["params"] if with_params else [])]
    for key, value in body.items():
        if key not in allowed:
            raise ControlError(400, f"unknown field {key!r}; the body takes {', '.join(allowed)}")
        if key == "scope":
            if not isinstance(value, dict):
                raise ControlError(400, "scope: an object of api, tenant, conversation, contact")
            for inner, each in value.items():
                put(inner, each)
            given = True
        elif key != "params":
            put(key, value)
            given = True
    params = body.get("params", {})
    if not isinstance(params, dict):
        raise ControlError(400, "params: an object, an effect or rule number -> its value")
    return (scope if given else None), params


def _fixed(limit: int) -> Callable[[Mapping[str, str]], int]:
    return lambda params: limit


class ControlApi:
    def __init__(self, backend: MockBackend) -> None:
        self.backend = backend
        self.routes: RouteTable[_Route] = RouteTable()
        own: list[tuple[str, str, Endpoint]] = [
            ("GET", "health", self.health),
            ("GET", "credentials", self.credentials),
            ("POST", "reset", self.reset),
            ("GET", "scenarios", self.list_scenarios),
            ("GET", "scenarios/{name}", self.show_scenario),
            ("POST", "scenarios/{name}", self.activate),
            ("DELETE", "scenarios/{name}", self.deactivate),
            ("GET", "clock", self.read_clock),
            ("POST", "clock", self.change_clock),
            ("GET", "requests", self.requests),
            ("DELETE", "requests", self.clear_requests),
            ("GET", "state", self.read_state),
            ("PUT", "state", self.write_state),
            ("POST", "settle", self.settle),
            ("GET", "timelines", self.list_timelines),
            ("POST", "timelines/play", self.play_timeline),
        ]
        for method, path, endpoint in own:
            big = endpoint == self.write_state
            limit = _fixed(STATE_BODY_BYTES if big else CONTROL_BODY_BYTES)
            self.routes.add(method, f"/__mock/{path}", _Route(endpoint, limit, snapshot=big))
        for runtime in backend.runtimes.values():
            for route in runtime.binding.control_routes:
                self.routes.add(
                    route.method,
                    f"/__mock/{runtime.name}/{route.path}",
                    _Route(self._vendor(runtime, route), self._limit(runtime, route.body_limit), route.client),
                )
        self.pages = BrowserPages(backend)  # /__mock/ui and /__mock/docs: HTML for a browser, not JSON
        self.app: ASGIApp | None = None  # the app this serves: a timeline played from the dashboard calls it
        self._playing = False

    def is_client_route(self, method: str, path: str) -> bool:
        """An upload target or file URL handed to a vendor's clients: they are not the control API's users."""
        try:
            return self.routes.match(method, path).target.client
        except (RouteNotFound, MethodNotAllowed):
            return False

    def refusal(self, scope: Scope, path: str) -> str | None:
        """Why a request may not use the control API from where it comes (None: it may): its `Host` must be this
        mock's address, a loopback name or an `--allowed-host` (no DNS rebinding), an `Origin` must be the mock's
        own, and a write needs a JSON content type or an `X-Mock-Client` header (no cross-site "simple" request).
        Health and the vendor clients' routes are open."""
        method = scope["method"].upper()
        if path == "/__mock/health" or self.is_client_route(method, path):
            return None
        headers = request_headers(scope)
        host = headers.get("host")
        if host is not None and not self._host_allowed(host, scope):
            return (
                f"Host {host!r} is not this mock's address; the control API answers 127.0.0.1, localhost, [::1] "
                f"or the bound address (serve --allowed-host NAME adds a name)"
            )
        origin = headers.get("origin")
        if origin is not None and (host is None or urlsplit(origin).netloc.lower() != host.lower()):
            return (
                f"Origin {origin!r} is another site; the control API answers only its own pages and non-browser clients"
            )
        if method in _WRITES and not _declared_write(headers):
            return "a control write needs 'Content-Type: application/json' or an 'X-Mock-Client: <anything>' header"
        return None

    def _host_allowed(self, host: str, scope: Scope) -> bool:
        name = _hostname(host)
        if name is None:
            return False
        if name == "localhost" or name in {_hostname(h) for h in self.backend.options.allowed_hosts}:
            return True
        server = scope.get("server")
        if server and str(server[0]).lower().strip("[]") == name:
            return True  # the address the request came in on (uvicorn), or the in-process client's host
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    async def handle(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        if self.pages.serves(path):
            await self.pages.handle(scope, send, path)
            return
        headers = request_headers(scope)
        try:
            match = self.routes.match(scope["method"], path)
            raw = await read_body(receive, match.target.body_limit(match.path_params))
            if match.target.snapshot:
                body, raw = _snapshot_json(raw), b""  # the bytes go as soon as they are parsed
            else:
                body = _json_or_none(raw, headers.get("content-type"))
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            request = _Request(scope["method"], query, body, raw, dict(match.path_params), base_url(scope, headers))
            status, payload = await match.target.endpoint(request)
        except ClientGone:  # the body never all arrived: nothing to answer, and nothing of it applied
            return
        except RouteNotFound:
            status, payload = 404, {"error": f"no control endpoint at {path}"}
        except MethodNotAllowed as exc:
            status, payload = 405, {"error": f"method not allowed; allowed: {', '.join(exc.allowed)}"}
        except RequestInvalid as exc:
            status, payload = 400, {"error": exc.describe()}
        except ControlError as exc:
            status, payload = exc.status, {"error": exc.message}
        except PayloadTooLarge as exc:
            status, payload = 413, {"error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the control API reports its own failures, it never dies
            status, payload = 500, {"error": str(exc)}
            self.backend.keep(self.backend.internal_errors, f"{scope['method']} {path}: {type(exc).__name__}: {exc}")
        if status < 400 and scope["method"] != "GET":
            self.backend.changes += 1  # a reset, a scenario, the clock, an inbound message...: a state file saves it
        if isinstance(payload, FileReply):
            await send_bytes(send, status, payload.content, [(b"content-type", payload.media_type.encode("latin-1"))])
            return
        await send_json(send, status, payload)

    def _limit(self, runtime: ApiRuntime, limit: int | BodyLimit | None) -> Callable[[Mapping[str, str]], int]:
        if limit is None:
            return _fixed(CONTROL_BODY_BYTES)
        if isinstance(limit, int):
            return _fixed(limit)
        return lambda params: limit(runtime.store, params)  # the store of the moment: a reset replaces it

    def _vendor(self, runtime: ApiRuntime, route: ControlRoute) -> Endpoint:
        async def endpoint(request: _Request) -> tuple[int, Any]:
            call = ControlCall(
                store=runtime.store,
                clock=self.backend.clock,
                rng=runtime.rng,
                jobs=self.backend.jobs,
                query=request.query,
                body=request.body,
                raw_body=request.raw_body,
                path_params=request.path_params,
                base_url=request.base_url,
            )
            result = route.handler(call)
            if isinstance(result, tuple):
                return result
            return 200, result

        return endpoint

    # -- engine endpoints ----------------------------------------------------------------------------------------

    async def health(self, request: _Request) -> tuple[int, Any]:
        # "degraded" once a request crashed inside the mock (each answered the API's 500 envelope and is listed in
        # the log): still serving, but a test run should not trust it; a reset does not clear it.
        return 200, {
            "status": "degraded" if self.backend.internal_errors else "ok",
            "apis": {n: rt.binding.prefix or "/" for n, rt in self.backend.runtimes.items()},
            "clock": self.backend.clock.describe(),
            "jobs_pending": self.backend.jobs.pending,
            "scenarios": self.backend.scenarios.active,
            "strict": self.backend.options.strict,
            "served": self.backend.served,
            "server_errors": self.backend.server_errors,
            "strict_violations": len(self.backend.strict_violations),
            "internal_errors": len(self.backend.internal_errors),
            "journal": self.backend.journal.describe(),  # entries and estimated bytes, with their bounds
        }

    async def credentials(self, request: _Request) -> tuple[int, Any]:
        """Each API's working credentials; `base_url` is where a client points (its prefix plus the vendor's path)."""
        return 200, {
            name: self.backend.credentials(runtime, request.base_url) for name, runtime in self.backend.runtimes.items()
        }

    async def reset(self, request: _Request) -> tuple[int, Any]:
        self.backend.reset()
        return 200, {"reset": True, "clock": self.backend.clock.describe(), "scenarios": self.backend.scenarios.active}

    def _scenario_json(self, name: str) -> dict[str, Any]:
        scenario = self.backend.scenarios.get(name)
        activations = [a.as_json() for a in self.backend.scenarios.activations if a.name == name]
        return {**scenario.as_json(), "active": bool(activations), "activations": activations}

    async def list_scenarios(self, request: _Request) -> tuple[int, Any]:
        return 200, {
            "scenarios": [self._scenario_json(n) for n in sorted(self.backend.scenarios.available)],
            "active": self.backend.scenarios.active,
            "activations": [a.as_json() for a in self.backend.scenarios.activations],
        }

    def _known(self, name: str) -> str:
        if name not in self.backend.scenarios.available:
            known = ", ".join(sorted(self.backend.scenarios.available))
            raise ControlError(404, f"unknown scenario {name!r}; known: {known}")
        return name

    async def show_scenario(self, request: _Request) -> tuple[int, Any]:
        return 200, self._scenario_json(self._known(request.path_params["name"]))

    async def activate(self, request: _Request) -> tuple[int, Any]:
        """On for the whole mock, or at the scope the body or query gives (`{"tenant": "globex"}`,
        `?api=highlevel&conversation=...`, or `{"scope": {...}}`), with `{"params": {"ai_token_balance": 25}}`. On
        there already with other parameters: 409."""
        name = self._known(request.path_params["name"])
        scope, params = _switch(request, with_params=True)
        try:
            activation = self.backend.scenario_activation(name, scope, params)
            changed = self.backend.switch_on(activation)
        except ScenarioConflict as exc:
            raise ControlError(409, str(exc)) from None
        except ScenarioRefused as exc:
            raise ControlError(400, str(exc)) from None
        return 200, {**self._scenario_json(name), "changed": changed, "activation": activation.as_json()}

    async def deactivate(self, request: _Request) -> tuple[int, Any]:
        """Off at the scope given as for switching on (`{"scope": {}}`: the whole mock's alone); without one, off at
        every scope it is on."""
        name = self._known(request.path_params["name"])
        scope, _ = _switch(request, with_params=False)
        try:
            changed = self.backend.deactivate_scenario(name, scope)
        except ScenarioRefused as exc:
            raise ControlError(400, str(exc)) from None
        return 200, {**self._scenario_json(name), "changed": changed}

    async def read_clock(self, request: _Request) -> tuple[int, Any]:
        return 200, self.backend.clock.describe()

    async def change_clock(self, request: _Request) -> tuple[int, Any]:
        body = request.body
        if not isinstance(body, Mapping) or not body or set(body) - {"advance", "set", "freeze"}:
            raise ControlError(400, 'send {"advance": "25h"}, {"set": "<ISO 8601>"} or {"freeze": true|false}')
        clock = self.backend.clock
        try:  # every part checked before any applies: a refused change moves nothing
            if "freeze" in body and not isinstance(body["freeze"], bool):
                raise ValueError("freeze is true or false")
            target = checked_instant(parse_instant(str(body["set"]))) if "set" in body else None
            if "advance" in body:
                delta = parse_duration(body["advance"])
                target = checked_instant(moved(target or clock.now(), delta))
        except (TypeError, ValueError) as exc:
            raise ControlError(400, str(exc)) from None
        if "freeze" in body:
            clock.freeze(body["freeze"])
        if target is not None:
            clock.set(target)
        self.backend.jobs.wake()  # delayed jobs look at the new time
        return 200, clock.describe()

    async def requests(self, request: _Request) -> tuple[int, Any]:
        limit = request.query.get("limit")
        after = request.query.get("after")
        if limit is not None and not limit.isdigit():
            raise ControlError(400, "limit is a whole number")
        if after is not None and not after.isdigit():
            raise ControlError(400, "after is an entry id (a whole number)")
        entries = self.backend.journal.query(
            api=request.query.get("api"),
            method=request.query.get("method"),
            path=request.query.get("path"),
            operation_id=request.query.get("operation_id"),
            limit=int(limit) if limit else None,
            after=int(after) if after else None,
        )
        return 200, {
            "items": [e.as_json() for e in entries],
            "count": len(entries),
            "bound": self.backend.journal.limit,
            "held": len(self.backend.journal),
            "held_bytes": self.backend.journal.bytes,  # estimated
            "bytes_bound": self.backend.journal.max_bytes,
        }

    async def clear_requests(self, request: _Request) -> tuple[int, Any]:
        self.backend.journal.clear()
        return 200, {"cleared": True}

    async def read_state(self, request: _Request) -> tuple[int, Any]:
        return 200, self.backend.snapshot()

    async def write_state(self, request: _Request) -> tuple[int, Any]:
        try:
            self.backend.restore(request.body)
        except (SnapshotError, ValueError) as exc:
            raise ControlError(400, str(exc)) from None
        return 200, {"restored": True}

    async def settle(self, request: _Request) -> tuple[int, Any]:
        before = self.backend.jobs.completed
        await self.backend.jobs.settle()
        return 200, {
            "settled": True,
            "jobs_run": self.backend.jobs.completed - before,
            "failures": list(self.backend.jobs.failures),
        }

    async def list_timelines(self, request: _Request) -> tuple[int, Any]:
        """The shipped timelines (scenarios/timelines), each with its YAML, for the dashboard to show and play."""
        found = []
        for path in timeline_files([TIMELINES_DIR]):
            try:
                timeline = load_timeline(path)
            except TimelineFileError as exc:
                raise ControlError(500, str(exc)) from None
            found.append(
                {
                    "name": timeline.name,
                    "description": timeline.description,
                    "apis": timeline.apis,
                    "steps": len(timeline.steps),
                    "yaml": path.read_text(encoding="utf-8"),
                }
            )
        return 200, {"timelines": found}

    async def play_timeline(self, request: _Request) -> tuple[int, Any]:
        """Play a timeline on this mock as it stands: `{"name": "<shipped timeline>"}` or `{"yaml": "<its text>"}`.
        Answers its per-step result (200 whether it passed or not; `passed` says which); a bad timeline is a 400
        naming the field."""
        body = request.body
        if not isinstance(body, dict) or len(body) != 1 or not isinstance(body.get("name", body.get("yaml")), str):
            raise ControlError(400, 'send {"name": "<a shipped timeline>"} or {"yaml": "<a timeline\'s text>"}')
        try:
            if "name" in body:
                shipped = {path.stem: path for path in timeline_files([TIMELINES_DIR])}
                if body["name"] not in shipped:
                    raise ControlError(404, f"no timeline {body['name']!r}; shipped: {', '.join(sorted(shipped))}")
                timeline = load_timeline(shipped[body["name"]])
            else:
                timeline = parse_timeline(body["yaml"], "timeline.yaml")
        except TimelineFileError as exc:
            raise ControlError(400, str(exc)) from None
        if self.app is None or self._playing:
            raise ControlError(409, "a timeline is playing already; one at a time")
        headers = {"X-Mock-Client": "convomock-dashboard"}
        if self.backend.options.control_token:
            headers["X-Control-Token"] = self.backend.options.control_token
        self._playing = True
        try:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=request.base_url, headers=headers) as client:
                result = await play_async(timeline, client)
        finally:
            self._playing = False
        return 200, {
            "name": timeline.name,
            "description": timeline.description,
            "passed": result.passed,
            "seconds": round(result.seconds, 3),
            "steps": [step.as_json() for step in result.steps],
            "report": report([result]),
        }


def _hostname(host: str) -> str | None:
    """The name in a `Host` header or an `--allowed-host` (its port aside), lower case, without IPv6 brackets."""
    try:
        name = urlsplit(f"//{host.strip()}").hostname
    except ValueError:
        return None
    return name.rstrip(".") if name else None


def _declared_write(headers: Mapping[str, str]) -> bool:
    """A write a browser cannot send cross-site without a CORS preflight (which the mock never grants): a JSON
    content type, an `X-Mock-Client` (or `X-Requested-With`) header, or no body, no content type and no `Origin`
    at all (`curl -X POST .../reset`; a browser's POST always carries an Origin, refused above unless it is ours)."""
    if _json_type(headers.get("content-type")) or any(headers.get(name) for name in CLIENT_HEADERS):
        return True
    bodiless = headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers
    return bodiless and "content-type" not in headers and "origin" not in headers


def _json_type(content_type: str | None) -> bool:
    """application/json or any +json type; a "simple" request's text/plain with a json-looking parameter is not."""
    if not content_type:
        return False
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def _snapshot_json(raw: bytes) -> Any:
    """A snapshot, up to STATE_BODY_BYTES: orjson reads the bytes themselves (no decoded copy, no walk of every
    character for the nesting check, which takes ~50 s at 256 MiB) and refuses what `parse_json_body` refuses but
    duplicate keys (the last one wins): bad UTF-8, a lone surrogate, NaN, nesting past 1024 levels. orjson reads
    an integer past 64 bits as a float: a body with a run of 19 digits goes the exact, slower way."""
    if not raw:
        return None
    if _LONG_DIGITS.search(raw):
        return parse_json_body(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestInvalid.single("body", f"body is not valid JSON: {exc}", kind="invalid_json") from None


def _json_or_none(raw: bytes, content_type: str | None) -> Any:
    """A declared JSON body must parse (else 400); an undeclared one is JSON only if it parses (an upload's
    bytes are not), and every route can still read `raw_body`."""
    if not raw:
        return None
    if content_type is not None and "json" in content_type.lower():
        return parse_json_body(raw)
    if content_type is None:
        try:
            return parse_json_body(raw)
        except RequestInvalid:
            return None
    return None
