"""Named situations as data (`scenarios/*.yaml`): state changes, fault rules and the vendors' real limits.

A scenario file:

    name: vendor-down
    description: ...
    apis: ["*"]                 # or a list of API names
    real_limits: false          # true: each API enforces its documented rate limit
    state:                      # per API: effect name -> value, applied by that API's package
      1to1ai: {ai_token_balance: 0}
    faults:                     # first matching rule answers instead of the handler
      - {api: "*", method: "*", path: "*", error: unavailable, latency_ms: 0, every: 1}

Fault `error` is a neutral kind (rate_limited, unauthorized, server_error, bad_gateway, unavailable); each
vendor renders it in its own envelope. `path` is a glob on the path inside the API (after its prefix).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from mock_server import DATA_ROOT
from mock_server.engine.clock import MockClock
from mock_server.engine.errors import FAULT_KINDS, FileRefused
from mock_server.engine.specs import PLAIN_RESOLVERS

__all__ = [
    "Effect",
    "Activation",
    "Caller",
    "FaultRule",
    "Scenario",
    "ScenarioBook",
    "ScenarioFileError",
    "SCOPE_KEYS",
    "Target",
    "Undo",
    "WHOLE",
    "activation_key",
    "id_key",
    "whole_activation",
    "load_scenarios",
    "parse_strict_yaml",
    "read_strict_yaml",
    "schema_problem",
    "scenario_schema",
]

Undo = Callable[[], None]


@dataclass(frozen=True)
class Target:
    """Where a switched-on scenario acts inside one API (convomock design): everywhere (every field None), or only
    in one tenant (`tenants`: its fixture key resolved to the API's own ids), one conversation or one contact (the
    vendor's id, or for a contact a phone or email). A state effect changes only what its target covers; a fault rule
    fires only on requests inside it."""

    tenants: frozenset[str] | None = None
    conversation: str | None = None
    contact: str | None = None
    # The switching-on it belongs to (`Activation.key`): an effect that keeps rules in the store tags them with it, so
    # that `ApiBinding.drop_rules` can take them out again when the undo steps are gone (after a restore).
    key: str = field(default="", compare=False)

    @property
    def whole(self) -> bool:
        return self.tenants is None and self.conversation is None and self.contact is None

    def has_tenant(self, *ids: object) -> bool:
        """The target covers a tenant known by any of these ids."""
        return self.tenants is None or any(str(each) in self.tenants for each in ids if each is not None)

    def has_conversation(self, *ids: object) -> bool:
        return self.conversation is None or _named(self.conversation, ids)

    def has_contact(self, *ids: object) -> bool:
        return self.contact is None or _named(self.contact, ids)

    def ids_of(self, threads: Iterable[tuple[object, Sequence[object]]]) -> frozenset[str]:
        """Every id of the threads this target covers, each given as (its conversation's id, its contact's ids):
        what `ApiBinding.target_ids` answers once a package has listed its tenant's threads."""
        found: set[str] = set()
        for conversation, contact in threads:
            if self.has_conversation(conversation) and self.has_contact(*contact):
                found.update(str(each) for each in (conversation, *contact) if each not in (None, ""))
        return frozenset(found)


_PHONE = re.compile(r"\+?[\d\s().-]{8,}")


def _named(wanted: str, ids: Iterable[object]) -> bool:
    """`wanted` is one of the ids: equal ignoring case, or for a phone number the same digits (`+1 555-0100` is
    the `15550100` a vendor stores)."""
    key = id_key(wanted)
    return any(id_key(each) == key for each in ids if each is not None)


def id_key(value: object) -> str:
    """An id as compared with a request's values: case folded; a phone number as its digits."""
    text = str(value).strip()
    return re.sub(r"\D", "", text) if _PHONE.fullmatch(text) else text.casefold()


WHOLE = Target()
# A state effect: (the API's store, the value, the mock clock, where it acts) -> how to give back what it changed.
Effect = Callable[[Any, Any, MockClock, Target], Undo]


@dataclass
class FaultRule:
    api: str = "*"
    method: str = "*"
    path: str = "*"
    error: str | None = None
    status: int | None = None
    latency_ms: int = 0
    every: int = 1
    retry_after: int | None = None

    def __post_init__(self) -> None:
        if self.error is not None and self.error not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.error!r}; one of {', '.join(FAULT_KINDS)}")
        if self.every < 1:
            raise ValueError("every must be at least 1")

    def matches(self, api: str, method: str, path: str) -> bool:
        return (
            (self.api == "*" or self.api == api)
            and (self.method == "*" or self.method.upper() == method)
            and fnmatch.fnmatchcase(path, self.path)
        )


@dataclass
class Scenario:
    name: str
    description: str
    apis: list[str]
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[FaultRule] = field(default_factory=list)
    real_limits: bool = False

    def applies_to(self, api: str) -> bool:
        return "*" in self.apis or api in self.apis

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "apis": self.apis,
            "state": self.state,
            "faults": [vars(rule) for rule in self.faults],
            "real_limits": self.real_limits,
        }


class ScenarioFileError(FileRefused):
    """A scenario file the mock refuses: `<file>: <field>: <what is wrong>`, one line."""


SCHEMA_FILE = "scenario.schema.json"  # beside the built-in scenarios; docs/scenarios.md explains it


def scenario_schema(effects: Mapping[str, Collection[str]] | None = None) -> dict[str, Any]:
    """The JSON Schema of a scenario file, for the APIs being served: the packaged one, with every API name
    (`effects`' keys: a scaffolded API too) where it lists the built-in ones; state effects of an API the packaged
    schema does not describe are checked by name against its package (`effects`)."""
    schema: dict[str, Any] = json.loads((DATA_ROOT / "scenarios" / SCHEMA_FILE).read_text(encoding="utf-8"))
    if effects is not None:
        names = ["*", *effects]
        schema["properties"]["apis"]["items"]["enum"] = names
        schema["$defs"]["fault"]["properties"]["api"]["enum"] = names
        described = schema["properties"]["state"]["properties"]
        for api, api_effects in effects.items():
            if api_effects:  # an API without effects is no key of `state`
                described.setdefault(api, {"type": "object", "minProperties": 1})
        for api in list(described):
            if api not in effects:
                del described[api]
    return schema


def load_scenarios(*folders: Path, effects: Mapping[str, Collection[str]] | None = None) -> dict[str, Scenario]:
    """Every `*.yaml` / `*.yml` of the folders, in order, each checked against the scenario schema and, when
    `effects` (API name -> its state effects) is given, against the APIs served. Raises ScenarioFileError naming
    the file and the field; a name two files define is refused."""
    schema = scenario_schema(effects)
    validator = jsonschema_rs.Draft202012Validator(schema)
    found: dict[str, Scenario] = {}
    origin: dict[str, Path] = {}
    read: set[Path] = set()
    for folder in folders:
        if not folder.is_dir():
            raise ScenarioFileError(folder, "not a folder of scenario files")
        if folder.resolve() in read:  # named twice (the environment and the command line, say): read once
            continue
        read.add(folder.resolve())
        files = [*folder.glob("*.yaml"), *folder.glob("*.yml")]
        for path in sorted(p for p in files if not p.name.startswith(".")):  # an editor's lock or backup file
            scenario = _scenario(path, schema, validator, effects)
            if scenario.name in found:
                raise ScenarioFileError(path, f"name: {scenario.name!r} is already defined by {origin[scenario.name]}")
            found[scenario.name] = scenario
            origin[scenario.name] = path
    return found


MAX_FILE_BYTES = 1024 * 1024
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # as the schema's `name`: usable in X-Mock-Scenario and a URL


class _StrictLoader(yaml.SafeLoader):
    """A scenario file's YAML: plain data only. A repeated key, a key that is not text, an alias (one anchor can
    expand into billions of nodes) or a tag for bytes, sets or timestamps is refused with its line."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not allowed in a scenario file", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is not text", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is repeated", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _refuse_tag(loader: Any, node: Any) -> Any:
    raise yaml.constructor.ConstructorError(None, None, f"{node.tag} values are not allowed here", node.start_mark)


for _tag in ("binary", "set", "timestamp", "omap", "pairs"):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)
_StrictLoader.yaml_implicit_resolvers = PLAIN_RESOLVERS  # an unquoted date stays text, as in a spec

# Where the schema says "integer", YAML's 30.0 (which JSON Schema counts as one) is refused: it would reach the wire
# as `Retry-After: 30.0`.
_INTEGER_FIELDS = ("status", "latency_ms", "every", "retry_after")


def read_strict_yaml(path: Path, refused: type[FileRefused] = ScenarioFileError) -> Any:
    """A scenario or timeline file's data, read strictly (`_StrictLoader`); `refused(path, why)` when it cannot be."""
    if not path.is_file():
        raise refused(path, "not a file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise refused(path, f"over {MAX_FILE_BYTES // 1024} KiB: no scenario or timeline is that long")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise refused(path, f"cannot read it: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise refused(path, "not UTF-8 text") from None
    return parse_strict_yaml(text, path, refused)


def parse_strict_yaml(text: str, path: Path, refused: type[FileRefused] = ScenarioFileError) -> Any:
    """YAML text read strictly; `path` names it in a refusal."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise refused(path, f"not YAML: {exc}") from None
    except RecursionError:
        raise refused(path, "not YAML: nested too deep") from None


def schema_problem(validator: Any, raw: Any) -> str | None:
    """The first place `raw` breaks the schema, as `field.path: what` (None when it conforms)."""
    try:
        error = next(iter(validator.iter_errors(raw)), None)
    except (ValueError, RecursionError) as exc:  # nothing JSON can hold (the loader lets none through)
        return f"(the file): {exc}"
    if error is None:
        return None
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path)
    message = error.message
    if list(error.instance_path) == ["description"] and type(error.kind).__name__ == "Pattern":
        message = "it is blank: say what it is for"
    elif type(error.kind).__name__ == "Enum":  # name every choice, not "or 4 other candidates"
        choices = ", ".join(json.dumps(choice, ensure_ascii=False) for choice in error.kind.options)
        message = f"{json.dumps(error.instance, ensure_ascii=False, default=str)} is not one of {choices}"
    return f"{where.lstrip('.') or '(the file)'}: {message}"


def _floats_for_integers(raw: Mapping[str, Any], schema: Mapping[str, Any]) -> str | None:
    faults, state = raw.get("faults"), raw.get("state")
    for index, rule in enumerate(faults if isinstance(faults, list) else []):
        for name in _INTEGER_FIELDS if isinstance(rule, dict) else ():
            if isinstance(rule.get(name), float):
                return f"faults[{index}].{name}: {rule[name]} is not an integer"
    described = schema["properties"]["state"]["properties"]
    for api, given in state.items() if isinstance(state, dict) else ():
        for effect, value in given.items() if isinstance(given, dict) else ():
            kind = (described.get(api, {}).get("properties", {}).get(effect) or {}).get("type")
            if kind == "integer" and isinstance(value, float):
                return f"state.{api}.{effect}: {value} is not an integer"
    return None


def _scenario(
    path: Path, schema: Mapping[str, Any], validator: Any, effects: Mapping[str, Collection[str]] | None
) -> Scenario:
    stem = path.name.rsplit(".", 1)[0]
    if not NAME.fullmatch(stem):
        raise ScenarioFileError(
            path, f"the file's name is the scenario's: lower-case letters, digits and '-' ({stem!r} is not)"
        )
    raw = read_strict_yaml(path)
    if isinstance(raw, dict) and (found := _floats_for_integers(raw, schema)) is not None:
        raise ScenarioFileError(path, found)
    problem = schema_problem(validator, raw)
    if problem is not None:
        raise ScenarioFileError(path, problem)
    name = raw.get("name", stem)
    if name != stem:
        raise ScenarioFileError(path, f"name: {name!r} must be the file's name without .yaml ({stem!r})")
    state = {api: dict(given) for api, given in (raw.get("state") or {}).items()}
    if effects is not None:
        for api, given in state.items():
            unknown = sorted(set(given) - set(effects[api]))
            if unknown:
                has = ", ".join(sorted(effects[api])) or "none"
                raise ScenarioFileError(
                    path, f"state.{api}.{unknown[0]}: {api} has no such state effect (it has: {has})"
                )
    return Scenario(
        name=name,
        description=str(raw["description"]).strip(),
        apis=list(raw.get("apis") or ["*"]),
        state=state,
        faults=[FaultRule(**rule) for rule in raw.get("faults") or []],
        real_limits=bool(raw.get("real_limits", False)),
    )


SCOPE_KEYS = ("api", "tenant", "conversation", "contact")


@dataclass(frozen=True)
class Activation:
    """One switching-on of a scenario (convomock design): where (`scope`: any of api, tenant, conversation,
    contact; empty = the whole mock), with which parameters, and what that resolved to: each API it acts on with its
    `Target`, its effects' values and its fault rules with the parameters applied. A scenario may be on at several
    scopes at once; each is switched off on its own."""

    name: str
    scope: Mapping[str, str]
    params: Mapping[str, Any]
    targets: Mapping[str, Target]
    state: Mapping[str, Mapping[str, Any]]
    faults: tuple[FaultRule, ...]
    real_limits: bool
    # Per API with a conversation or contact target: every id a request may name it by (`id_key`-folded), found
    # when it was switched on (`ApiBinding.target_ids`); an API without the hook looks for the scope's own value.
    named: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return activation_key(self.name, self.scope)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "scope": dict(self.scope), "params": dict(self.params)}

    def narrow(self, api: str) -> bool:
        """Its faults in `api` depend on who calls (a tenant, conversation or contact scope)."""
        target = self.targets.get(api)
        return target is not None and not target.whole


def activation_key(name: str, scope: Mapping[str, str]) -> str:
    return name + "".join(f"|{key}={scope[key]}" for key in SCOPE_KEYS if scope.get(key) is not None)


def whole_activation(scenario: Scenario, apis: Iterable[str]) -> Activation:
    """The scenario everywhere it acts, as the file says it (what `X-Mock-Scenario` and `serve --scenario` use)."""
    return Activation(
        name=scenario.name,
        scope={},
        params={},
        targets={api: WHOLE for api in apis if scenario.applies_to(api)},
        state=scenario.state,
        faults=tuple(scenario.faults),
        real_limits=scenario.real_limits,
    )


@dataclass(frozen=True)
class Caller:
    """Who a request is about, for a scoped scenario's faults: the tenant authentication found and every id the
    request names (its path parameters, query values and the values of its body, nested ones too)."""

    tenant: str
    named: tuple[str, ...]

    def inside(self, target: Target, ids: frozenset[str] | None = None) -> bool:
        """The request is the target's: its tenant's, and (for a conversation or contact target) it names one of
        `ids` (the conversations' and contacts' ids the target covers), or else the scope's value itself. The
        tenant's own id is no name of a conversation (the omni-inbox's organization 456 and contact 456)."""
        if not target.has_tenant(self.tenant):
            return False
        if target.conversation is None and target.contact is None:
            return True
        named = [value for value in self.named if value != self.tenant]
        if ids is not None:
            return any(id_key(value) in ids for value in named)
        return (target.conversation is None or target.has_conversation(*named)) and (
            target.contact is None or target.has_contact(*named)
        )


class ScenarioBook:
    """Which scenarios are on (each switching-on an `Activation`, with the undo steps of its state changes), and the
    counters of `every` rules."""

    def __init__(self, available: Mapping[str, Scenario]) -> None:
        self.available = dict(available)
        self._active: dict[str, tuple[Activation, list[Undo]]] = {}
        self._counters: dict[tuple[str, int], int] = {}

    def get(self, name: str) -> Scenario:
        if name not in self.available:
            raise KeyError(name)
        return self.available[name]

    @property
    def active(self) -> list[str]:
        """The names of the scenarios on, each once, in the order they were first switched on."""
        return list(dict.fromkeys(activation.name for activation, _ in self._active.values()))

    @property
    def activations(self) -> list[Activation]:
        return [activation for activation, _ in self._active.values()]

    def is_on(self, key: str) -> bool:
        return key in self._active

    def add(self, activation: Activation, undo: list[Undo]) -> None:
        self._active[activation.key] = (activation, undo)
        self._counters = {counter: value for counter, value in self._counters.items() if counter[0] != activation.key}

    def get_activation(self, key: str) -> Activation | None:
        found = self._active.get(key)
        return found[0] if found else None

    def keys_of(self, name: str, scope: Mapping[str, str] | None = None) -> list[str]:
        """The keys of the scenario's activations at `scope` (None: at every scope), oldest first."""
        return [
            key
            for key, (activation, _) in self._active.items()
            if activation.name == name and (scope is None or key == activation_key(name, scope))
        ]

    def remove(self, key: str) -> Activation:
        """Switch one activation off, giving back what it changed; its `every` counters go with it."""
        activation, undo = self._active.pop(key)
        for step in reversed(undo):
            step()
        self._counters = {counter: value for counter, value in self._counters.items() if counter[0] != key}
        return activation

    def after(self, key: str) -> list[str]:
        """The keys of the activations switched on after `key`, oldest first."""
        keys = list(self._active)
        return keys[keys.index(key) + 1 :]

    def forget(self) -> None:
        """Drop every active scenario without undoing (the state they changed is being replaced)."""
        self._active.clear()
        self._counters.clear()

    def applying(self, api: str, caller: Caller | None = None, own: Iterable[Activation] = ()) -> list[str]:
        """The names of the scenarios that apply to a request to `api`, each once: those on for the whole API,
        those scoped to the `caller` (when it is known) and the request's own (`X-Mock-Scenario`)."""
        names: dict[str, None] = {}
        for activation in self._in_play(own, api):
            target = activation.targets[api]
            if not activation.narrow(api) or (caller is not None and caller.inside(target, activation.named.get(api))):
                names[activation.name] = None
        return list(names)

    def narrowed(self, api: str) -> bool:
        """Some scenario is on in `api` for one tenant, conversation or contact only (its faults are checked once
        the caller is known)."""
        return any(activation.narrow(api) for activation, _ in self._active.values())

    def _in_play(self, extra: Iterable[Activation], api: str) -> Iterable[Activation]:
        for activation, _ in self._active.values():
            if api in activation.targets:
                yield activation
        for activation in extra:
            if api in activation.targets and activation.key not in self._active:
                yield activation

    def real_limits(self, extra: Iterable[Activation], api: str, tenant: str | None = None) -> bool:
        """Whether the documented limits apply to this API (and tenant): a `real_limits` scenario is on for it.
        Limits count per key, so a scenario scoped to a conversation or contact cannot set them (it is refused)."""
        return any(
            activation.real_limits and (tenant is None or activation.targets[api].has_tenant(tenant))
            for activation in self._in_play(extra, api)
        )

    def fault(
        self, extra: Iterable[Activation], api: str, method: str, path: str, caller: Caller | None = None
    ) -> tuple[int, FaultRule | None]:
        """For this request: the latency every firing rule adds up to, and the first firing rule with an error.
        Without `caller` (before authentication) the rules of scenarios on for the whole API; with it, those of
        scoped ones whose target the caller is inside. `extra`: this request's own (`X-Mock-Scenario`).

        Rules fire by their own `every` counter, whatever order the scenarios were switched on in: a latency-only
        rule (slow) never hides another scenario's error.
        """
        latency = 0
        failing: FaultRule | None = None
        for activation in self._in_play(extra, api):
            if activation.narrow(api) != (caller is not None):
                continue
            if caller is not None and not caller.inside(activation.targets[api], activation.named.get(api)):
                continue
            for index, rule in enumerate(activation.faults):
                if not rule.matches(api, method, path):
                    continue
                # A request's own (X-Mock-Scenario) counts apart from the same scenario switched on for the mock.
                owner = activation.key if activation.key in self._active else f"header:{activation.key}"
                key = (owner, index)
                self._counters[key] = self._counters.get(key, 0) + 1
                if self._counters[key] % rule.every != 0:
                    continue
                latency += rule.latency_ms
                if rule.error is not None and failing is None:
                    failing = rule
        return latency, failing
