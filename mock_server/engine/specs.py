"""Load a hand-written OpenAPI 3.1 spec once and compile everything a request needs (routes' shapes, validators).

Validators are `jsonschema_rs` (2020-12, formats on), compiled at start-up against the whole document registered
as one resource, so `#/components/...` references resolve as the spec author wrote them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import jsonschema_rs
import yaml

from mock_server.engine.errors import Violation

__all__ = [
    "PLAIN_RESOLVERS",
    "Operation",
    "Parameter",
    "SchemaValidator",
    "Spec",
    "load_spec",
    "load_yaml",
    "resolve_ref",
]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_URN = "urn:convomock:spec"


# libyaml's parser when PyYAML has it (about ten times faster: most of the start-up time was spent parsing specs).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PlainLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """YAML without implicit timestamps: a spec's `example: 2023-11-07T05:31:56Z` stays a string."""


# YAML's implicit types without timestamps (a scenario file's strict loader takes them too)
PLAIN_RESOLVERS = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PlainLoader.yaml_implicit_resolvers = PLAIN_RESOLVERS


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_PlainLoader)


class SchemaValidator:
    """One compiled schema: `is_valid` on the hot path, `violations` (structured, for a vendor to word) and
    `errors` (the validator's own words, for the mock's logs) when it fails."""

    def __init__(
        self, schema: Mapping[str, Any], registry: jsonschema_rs.Registry, document: Mapping[str, Any] | None = None
    ) -> None:
        self.schema = schema
        self._document = document or {}
        self._validator = jsonschema_rs.Draft202012Validator(dict(schema), registry=registry, validate_formats=True)

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def errors(self, instance: Any, limit: int = 3) -> list[tuple[list[str | int], str]]:
        """The first few failures as (pointer, message)."""
        if self._validator.is_valid(instance):  # the usual case, and far cheaper than collecting errors
            return []
        return [(list(e.instance_path), e.message) for e in islice(self._validator.iter_errors(instance), limit)]

    def violations(
        self, instance: Any, location: str, prefix: Sequence[str | int] = (), limit: int = 20
    ) -> list[Violation]:
        """Every broken rule (up to `limit`), each with what a vendor words it from: the keyword, the property it
        names, its bound or allowed values, the value, and the spec's `x-convomock` notes around it. A `oneOf` with
        an OpenAPI `discriminator` reports the broken rules of the branch the value names (or that the
        discriminating property takes none of the mapped values), as a client reads the spec; an
        `additionalProperties` error is one violation per unexpected property."""
        found: list[Violation] = []
        if self._validator.is_valid(instance):
            return found
        for error in self._validator.iter_errors(instance):
            found.extend(self._violations_of(error, location, tuple(prefix)))
            if len(found) >= limit:
                break
        return found[:limit]

    def _violations_of(self, error: Any, location: str, prefix: tuple[str | int, ...]) -> list[Violation]:
        name = error.kind.name
        details = error.kind.as_dict()
        pointer = (*prefix, *error.instance_path)
        if name in ("oneOf", "anyOf") and details.get("context"):
            chosen = self._discriminated(error, details["context"], location, pointer)
            if chosen is not None:
                return chosen
        notes = self._notes(error.schema_path)
        base = {
            "location": location,
            "pointer": pointer,
            "kind": name,
            "message": error.message,
            "value": error.instance,
            "notes": notes,
        }
        if name == "additionalProperties":
            return [Violation(**base, property=extra) for extra in details.get("unexpected") or [None]]
        allowed = (
            details.get("options")
            or details.get("types")
            or ([details["format"]] if "format" in details else [])
            or ([details["expected_value"]] if "expected_value" in details else [])
        )
        limit = details.get("limit", details.get("multiple_of", details.get("pattern")))
        return [Violation(**base, property=details.get("property"), limit=limit, allowed=tuple(allowed))]

    def _discriminated(
        self, error: Any, branches: Sequence[Sequence[Any]], location: str, pointer: tuple[str | int, ...]
    ) -> list[Violation] | None:
        node = self._node(error.schema_path[:-1])
        discriminator = node.get("discriminator") if isinstance(node, Mapping) else None
        if not isinstance(discriminator, Mapping) or not isinstance(error.instance, Mapping):
            return None
        field = str(discriminator.get("propertyName", ""))
        mapping = discriminator.get("mapping") or {}
        value = error.instance.get(field)
        target = mapping.get(value) if isinstance(value, str) else None
        refs = [str(branch.get("$ref", "")).removeprefix(_URN) for branch in node.get(error.schema_path[-1]) or []]
        if target is None or target not in refs:
            message = f"{json.dumps(value)} is not one of {', '.join(map(json.dumps, mapping))}"
            return [Violation(location, (*pointer, field), "enum", message, allowed=tuple(mapping), value=value)]
        found: list[Violation] = []
        for inner in branches[refs.index(target)]:
            found.extend(self._violations_of(inner, location, pointer[: len(pointer) - len(error.instance_path)]))
        return found

    def _node(self, schema_path: Sequence[str | int]) -> Any:
        """The schema object at a path jsonschema_rs reports (into the whole document once it went through a ref)."""
        node: Any = self._document if schema_path and schema_path[0] in _DOCUMENT_KEYS else self.schema
        for part in schema_path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def _notes(self, schema_path: Sequence[str | int]) -> dict[str, Any]:
        """The `x-convomock` mappings of the schemas on the way to the failing keyword, the innermost winning."""
        node: Any = self._document if schema_path and schema_path[0] in _DOCUMENT_KEYS else self.schema
        notes: dict[str, Any] = {}
        for part in schema_path:
            if isinstance(node, Mapping) and isinstance(node.get("x-convomock"), Mapping):
                notes.update(node["x-convomock"])
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
        return notes


_DOCUMENT_KEYS = frozenset({"components", "paths", "webhooks"})  # where a schema path that left its root lands


@dataclass
class Parameter:
    name: str
    location: str  # path, query, header
    required: bool
    schema: Mapping[str, Any]
    validator: SchemaValidator

    @property
    def is_array(self) -> bool:
        kind = self.schema.get("type")
        return kind == "array" or (isinstance(kind, list) and "array" in kind)


@dataclass
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # the spec's path, prefixed with the server's base path
    parameters: list[Parameter]
    body_required: bool
    body_validator: SchemaValidator | None
    form_validator: SchemaValidator | None  # multipart/form-data bodies (files shown to it as strings)
    success_status: int
    responses: dict[int, SchemaValidator | None]  # status -> body validator (None: no JSON body)
    raw: Mapping[str, Any] = field(repr=False)
    scopes: tuple[str, ...] = ()  # what the operation's security requirement names
    public: bool = False  # `security: []`: no credential needed (a login endpoint)
    max_body_bytes: int | None = None  # `x-convomock: {max-body-bytes: N}`: a larger body than the API's default
    raw_body: bool = False  # `x-convomock: {raw-body: true}`: the handler reads the bytes itself (never refused)

    def response_validator(self, status: int) -> SchemaValidator | None | Literal[False]:
        """The validator for a status; False when the spec documents no such status."""
        if status in self.responses:
            return self.responses[status]
        family = status // 100
        for key, value in self.responses.items():
            if key == family * 100 + 99:  # "4XX" is stored as 499
                return value
        return self.responses.get(0, False)  # "default"


@dataclass
class Spec:
    path: Path
    document: Mapping[str, Any] = field(repr=False)
    base_path: str
    operations: list[Operation]

    def operation_ids(self) -> set[str]:
        return {op.operation_id for op in self.operations}

    @property
    def info(self) -> Mapping[str, Any]:
        return self.document.get("info") or {}


def resolve_ref(document: Mapping[str, Any], node: Any) -> Any:
    """Follow local `$ref`s of parameters, request bodies and responses (schemas stay as refs)."""
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported: {ref}")
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _status_key(status: str) -> int:
    if status == "default":
        return 0
    if re.fullmatch(r"[1-5]XX", status, flags=re.IGNORECASE):
        return int(status[0]) * 100 + 99
    return int(status)


def _json_schema(document: Mapping[str, Any], content: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    for media_type, media in (content or {}).items():
        if media_type.split(";")[0].strip() in ("application/json", "*/*") or media_type.endswith("+json"):
            schema: Mapping[str, Any] = resolve_ref(document, media).get("schema", {})
            return schema
    return None


def _form_schema(document: Mapping[str, Any], content: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The schema of a multipart/form-data body, where the operation takes one (a file upload)."""
    for media_type, media in (content or {}).items():
        if media_type.split(";")[0].strip() == "multipart/form-data":
            schema: Mapping[str, Any] = resolve_ref(document, media).get("schema", {})
            return schema
    return None


def _iter_operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any], list[Any]]]:
    for path, item in (document.get("paths") or {}).items():
        item = resolve_ref(document, item)
        shared = list(item.get("parameters") or [])
        for method in METHODS:
            if method in item:
                yield path, method.upper(), item[method], shared


def load_spec(path: Path) -> Spec:
    document = load_yaml(path)
    registry = jsonschema_rs.Registry([(_URN, document)])

    def compile_schema(schema: Mapping[str, Any]) -> SchemaValidator:
        # Rewrite local refs to the registered resource so they resolve inside the whole document.
        return SchemaValidator(_anchor_refs(schema), registry, document)

    servers = document.get("servers") or [{"url": "/"}]
    base_path = urlparse(servers[0].get("url", "/")).path.rstrip("/")
    operations = []
    for spec_path, method, raw, shared in _iter_operations(document):
        by_key: dict[tuple[str, str], Any] = {}
        for parameter in [*shared, *(raw.get("parameters") or [])]:
            parameter = resolve_ref(document, parameter)
            by_key[(parameter["name"], parameter["in"])] = parameter
        parameters = [
            Parameter(
                name=p["name"],
                location=p["in"],
                required=bool(p.get("required") or p["in"] == "path"),
                schema=p.get("schema", {}),
                validator=compile_schema(p.get("schema", {})),
            )
            for p in by_key.values()
            if p["in"] in ("path", "query", "header")
        ]
        body = resolve_ref(document, raw.get("requestBody")) if raw.get("requestBody") else None
        body_schema = _json_schema(document, body.get("content")) if body else None
        form_schema = _form_schema(document, body.get("content")) if body else None
        responses: dict[int, SchemaValidator | None] = {}
        for status, response in (raw.get("responses") or {}).items():
            schema = _json_schema(document, resolve_ref(document, response).get("content"))
            responses[_status_key(str(status))] = compile_schema(schema) if schema is not None else None
        successes = sorted(s for s in responses if 200 <= s < 300)
        operations.append(
            Operation(
                operation_id=raw["operationId"],
                method=method,
                path=base_path + spec_path,
                parameters=parameters,
                body_required=bool(body and body.get("required")),
                body_validator=compile_schema(body_schema) if body_schema is not None else None,
                form_validator=compile_schema(form_schema) if form_schema is not None else None,
                success_status=successes[0] if successes else 200,
                responses=responses,
                raw=raw,
                scopes=tuple(
                    scope
                    for requirement in raw.get("security", document.get("security")) or []
                    for scopes in requirement.values()
                    for scope in scopes
                ),
                public=raw.get("security", document.get("security")) == [],
                max_body_bytes=(raw.get("x-convomock") or {}).get("max-body-bytes"),
                raw_body=bool((raw.get("x-convomock") or {}).get("raw-body")),
            )
        )
    return Spec(path=path, document=document, base_path=base_path, operations=operations)


def _anchor_refs(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        return {
            key: (
                _URN + value
                if key == "$ref" and isinstance(value, str) and value.startswith("#")
                else _anchor_refs(value)
            )
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_anchor_refs(item) for item in schema]
    return schema
