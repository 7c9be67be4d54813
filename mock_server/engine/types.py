"""The contract between the engine and one vendor's package, defined once and imported from here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send  # the ASGI types, as Starlette names them

from mock_server.engine.clock import MockClock
from mock_server.engine.errors import ErrorStyle, Rendered, RequestInvalid
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner
from mock_server.engine.options import MockOptions
from mock_server.engine.ratelimit import RateLimitPolicy, RateState
from mock_server.engine.scenarios import Effect, Target
from mock_server.engine.specs import Operation
from mock_server.engine.validation import ValidatedInput

if TYPE_CHECKING:  # both import this module
    from mock_server.engine.drift import Drift
    from mock_server.engine.probes import Probes

__all__ = [
    "ApiBinding",
    "Call",
    "ControlCall",
    "ControlError",
    "ControlRoute",
    "FileReply",
    "Handler",
    "Principal",
    "Rendered",
    "Reply",
    "RequestView",
    "MockOptions",
    "BodyLimit",
    "CONTROL_BODY_BYTES",
    "Scope",
    "Receive",
    "Send",
    "Message",
    "ASGIApp",
]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the tenant the credential belongs to, and the key the rate limit counts against."""

    tenant_id: str
    key: str
    scopes: frozenset[str] = frozenset()
    label: str = ""


@dataclass(frozen=True, slots=True)
class RequestView:
    """What authentication may look at: no body, nothing validated yet."""

    method: str
    path: str
    path_params: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    query: Sequence[tuple[str, str]]
    required_scopes: tuple[str, ...] = ()  # from the operation's `security` in the spec
    now: datetime | None = None  # the mock clock, for credentials that expire


@dataclass(slots=True)  # slots: built on every request, cheaper to make
class Call:
    """Everything a handler gets: validated input, the caller, the API's state, the clock and the generator.

    `body`, `query` and `path` are the validated input's; `now` is the request's arrival on the mock clock, the
    same however often a handler asks (plain fields, set once: a handler reads them many times)."""

    operation: Operation
    input: ValidatedInput
    principal: Principal
    store: Any
    clock: MockClock
    rng: SeededRandom
    jobs: JobRunner
    base_url: str
    now: datetime
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    path: dict[str, Any] = field(default_factory=dict)

    @property
    def operation_id(self) -> str:
        return self.operation.operation_id

    def check(self, instance: Any) -> None:
        """Validate `instance` against the operation's body schema, as if it were the body: for a rule that needs
        the stored record too (the body alone passed), so its refusal reads like any other (RequestInvalid)."""
        validator = self.operation.body_validator
        if validator is not None and not validator.is_valid(instance):
            raise RequestInvalid(validator.violations(instance, "body"), self.operation.operation_id)


@dataclass
class Reply:
    """A handler's answer when the spec's first success status or the default headers are not enough."""

    body: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Any]


class ControlError(Exception):
    """A control-API refusal: plain `{"error": message}` with the status (the control API is ours, not a vendor's)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass
class ControlCall:
    store: Any
    clock: MockClock
    rng: SeededRandom
    jobs: JobRunner
    query: Mapping[str, str]
    body: Any
    raw_body: bytes
    path_params: Mapping[str, str]
    base_url: str

    @property
    def fields(self) -> Mapping[str, Any]:
        """The JSON body's fields ({} when the body is not an object)."""
        return self.body if isinstance(self.body, dict) else {}

    def text(self, name: str, limit: int = 4096) -> str:
        """A required message text of 1 to `limit` characters, or a 400 that says so."""
        value = self.fields.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise ControlError(400, f"{name}: a message of 1 to {limit} characters")
        return value


@dataclass(frozen=True)
class FileReply:
    """A control route's answer that is a file rather than JSON: the bytes a stored file's URL serves, with their
    content type (the omni-inbox's conversation files)."""

    content: bytes
    media_type: str


CONTROL_BODY_BYTES = 1024 * 1024  # a control route's body limit unless it names its own (an upload target)
BodyLimit = Callable[[Any, Mapping[str, str]], int]  # (store, path parameters) -> the most bytes the route takes


@dataclass(frozen=True)
class ControlRoute:
    method: str
    path: str  # inside /__mock/<api>/, e.g. "inbound" or "uploads/{file_uuid}"
    handler: Callable[[ControlCall], Any]
    # Larger bodies answer 413 before the handler sees them. An upload target takes what its reservation
    # announced: a function of the store and the path's parameters. None: the control API's default (1 MiB).
    body_limit: int | BodyLimit | None = None
    # A vendor client's route (an upload target or file URL that the vendor's answers hand out): it checks its own
    # token, takes any content type, and is never behind `--control-token` nor the control API's cross-site rules.
    client: bool = False


@dataclass(frozen=True)
class ApiBinding:
    """One vendor API: its spec, its handlers by operationId and the few vendor-specific hooks the engine calls."""

    name: str
    prefix: str
    spec_path: Path
    fixtures_path: Path
    store_type: type
    handlers: Mapping[str, Handler]
    new_store: Callable[[], Any]
    seed: Callable[[Any, Mapping[str, Any], SeededRandom, datetime, MockOptions], None]
    authenticate: Callable[[RequestView, Any], Principal]
    errors: ErrorStyle  # the vendor's envelope and its wording of every neutral error kind
    credentials: Callable[[Any], list[dict[str, Any]]]
    rate_limits: tuple[RateLimitPolicy, ...] = ()  # the documented windows, enforced under `real-limits`
    # Headers every counted answer carries, whether or not the limits are enforced. An API that sets them is
    # counted on every request (its docs say every answer reports the count); one that does not (its headers come
    # only on its 429s) is counted only under `real-limits`.
    rate_limit_headers: Callable[[list[RateState]], dict[str, str]] | None = None
    scenario_effects: Mapping[str, Effect] = field(default_factory=dict)
    # A scoped scenario's conversation or contact this store does not hold: one line saying so (None when it holds
    # them all). Without it, a scope naming a conversation or contact is refused for this API.
    find_target: Callable[[Any, Target], str | None] | None = None
    # Every id a request may name what a conversation or contact target covers by (its conversations' ids, their
    # contacts' ids, phones and emails): what a scoped fault rule looks for in a request. Without it, the scope's
    # own value is looked for.
    target_ids: Callable[[Any, Target], frozenset[str]] | None = None
    # Take out every rule a scenario's effects keep in the store for the switching-on `key` (Target.key): how a
    # scenario restored from a snapshot, whose undo steps are gone, is switched off.
    drop_rules: Callable[[Any, str], None] | None = None
    # What produces each documented non-2xx answer (docs/failures.md): "<operationId> <status>" or "* <status>" ->
    # the scenario, fault rule, state effect or input that makes the mock send it.
    failure_sources: Mapping[str, str] = field(default_factory=dict)
    control_routes: Sequence[ControlRoute] = ()
    tenant_collection: str = "tenants"  # the fixtures' list of tenants, each with a `key` (`serve --tenants`)
    # A browser script that teaches the dashboard (/__mock/ui) this API's endpoints: its quirks stay in its package.
    dashboard_script: Path | None = None
    # The ways this API could drift, for the contract toolkit to plant (`drifts.py`, `mock_server/engine/drift.py`)
    drifts: Sequence[Drift] = ()
    # What the shared test suites send to it (`probes.py`, `mock_server/engine/probes.py`)
    probes: Probes | None = None
    # What is wrong with a store a snapshot or state file brought in, beyond its shape (a reference to a record
    # that does not exist, which would answer 500 later): one line per problem, [] when none. Run before a restore
    # swaps anything in; any problem refuses the whole snapshot.
    check_state: Callable[[Any], list[str]] | None = None
