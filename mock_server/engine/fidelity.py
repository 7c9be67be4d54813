"""The fidelity record of a spec: every operation and every field, marked documented (with the address of the
vendor page that shows it) or "convomock design", read from the spec's own annotations (issue 16, item 3).

The marks (README, "Fidelity records"):
- an operation is documented when it has `externalDocs.url`, else ours when its description says "convomock
  design";
- a field (a schema property, a parameter, a response header) is documented when it has its own `externalDocs`,
  else ours when its description says "convomock design"; otherwise the nearest mark above it decides: walking up through the enclosing schemas, the first node
  with `externalDocs` makes it documented (that address), the first whose description says "convomock design"
  makes it ours; with neither, the operations that use it decide (documented if any of them is, with their
  addresses; ours if all of them are ours);
- anything left is "unmarked": the spec does not say whose it is (a test keeps that list empty).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DESIGN", "DOCUMENTED", "UNMARKED", "Entry", "Record", "markdown", "record"]

DOCUMENTED = "documented"
DESIGN = "convomock design"
UNMARKED = "unmarked"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_COMPOSITION = ("allOf", "anyOf", "oneOf")


@dataclass(frozen=True)
class Entry:
    """One operation or field: what it is, whose it is, and where the vendor shows it."""

    name: str
    mark: str
    sources: tuple[str, ...] = ()
    where: str = ""  # the operation's method and path, or the schema a field belongs to


@dataclass
class Record:
    title: str
    operations: list[Entry] = field(default_factory=list)
    fields: list[Entry] = field(default_factory=list)

    def unmarked(self) -> list[Entry]:
        return [entry for entry in self.operations + self.fields if entry.mark == UNMARKED]


def _designed(node: Mapping[str, Any]) -> bool:
    return DESIGN in " ".join(str(node.get("description") or "").split()).lower()  # a line may break the words


def _url(node: Mapping[str, Any]) -> str | None:
    docs = node.get("externalDocs")
    return str(docs["url"]) if isinstance(docs, Mapping) and docs.get("url") else None


def _own_mark(node: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """The mark a node carries itself: an address wins over the words on the same node (a documented operation or
    field may still describe a detail of it that is ours)."""
    url = _url(node)
    if url:
        return DOCUMENTED, (url,)
    return (DESIGN, ()) if _designed(node) else None


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key != "examples" and key != "example":
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _target(document: Mapping[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part.replace("~1", "/").replace("~0", "~"))
    return node


class _Users:
    """Which operations use each component, directly or through other components."""

    def __init__(self, document: Mapping[str, Any], operations: list[tuple[str, Mapping[str, Any], list[Any]]]) -> None:
        self.by_ref: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for name, operation, shared in operations:
            seen: set[str] = set()
            pending = list(_refs([operation, shared]))
            while pending:
                ref = pending.pop()
                if not ref or ref in seen or not ref.startswith("#/"):
                    continue
                seen.add(ref)
                pending.extend(_refs(_target(document, ref)))
            for ref in seen:
                self.by_ref.setdefault(ref, []).append((name, operation))

    def mark(self, ref: str) -> tuple[str, tuple[str, ...]]:
        users = self.by_ref.get(ref, [])
        urls = sorted({url for _, op in users if (url := _url(op))})
        if urls:
            return DOCUMENTED, tuple(urls)
        if users and all(_designed(op) for _, op in users):
            return DESIGN, ()
        return UNMARKED, ()


def _walk(
    node: Any,
    name: str,
    above: list[Mapping[str, Any]],
    fallback: tuple[str, tuple[str, ...]],
    out: list[Entry],
    where: str,
) -> None:
    """Every property under `node` (through items, compositions and additionalProperties; never through a $ref,
    whose target is listed on its own)."""
    if not isinstance(node, Mapping) or "$ref" in node and len(node) == 1:
        return
    chain = [node, *above]
    for key, child in (node.get("properties") or {}).items():
        if not isinstance(child, Mapping):
            continue
        path = f"{name}.{key}" if name else str(key)
        out.append(Entry(path, *_decide([child, *chain], fallback), where=where))
        _walk(child, path, chain, fallback, out, where)
    for keyword in _COMPOSITION:
        for member in node.get(keyword) or []:
            _walk(member, name, chain, fallback, out, where)
    for keyword, suffix in (("items", "[]"), ("additionalProperties", "{}")):
        child = node.get(keyword)
        if isinstance(child, Mapping):
            _walk(child, name + suffix, chain, fallback, out, where)
    for child in node.get("prefixItems") or []:
        _walk(child, name + "[]", chain, fallback, out, where)


def _decide(chain: list[Mapping[str, Any]], fallback: tuple[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
    for node in chain:
        mark = _own_mark(node)
        if mark:
            return mark
    return fallback


def _with_schema(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A parameter or header, then its schema (a Header Object cannot carry externalDocs; its schema can)."""
    schema = node.get("schema")
    return [node, schema] if isinstance(schema, Mapping) else [node]


def record(document: Mapping[str, Any]) -> Record:
    """The fidelity record of one spec."""
    info = document.get("info") or {}
    result = Record(title=str(info.get("title") or ""))
    operations: list[tuple[str, Mapping[str, Any], list[Any]]] = []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            name = str(operation.get("operationId") or f"{method} {path}")
            where = f"{method.upper()} {path}"
            mark = _own_mark(operation) or (UNMARKED, ())
            result.operations.append(Entry(name, *mark, where=where))
            operations.append((name, operation, list(item.get("parameters") or [])))
            own = (mark[0], mark[1]) if mark[0] != UNMARKED else (UNMARKED, ())
            for parameter in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
                if isinstance(parameter, Mapping) and "$ref" not in parameter:
                    label = f"{name} {parameter.get('in')} {parameter.get('name')}"
                    result.fields.append(Entry(label, *_decide(_with_schema(parameter), own), where=where))
            body = operation.get("requestBody") or {}
            for media in (body.get("content") or {}).values() if isinstance(body, Mapping) else ():
                _walk(media.get("schema"), f"{name} request", [], own, result.fields, where)
            for status, response in (operation.get("responses") or {}).items():
                if not isinstance(response, Mapping) or "$ref" in response:
                    continue
                for media in (response.get("content") or {}).values():
                    _walk(media.get("schema"), f"{name} {status}", [], own, result.fields, where)
                for header, spec in (response.get("headers") or {}).items():
                    if isinstance(spec, Mapping) and "$ref" not in spec:
                        result.fields.append(
                            Entry(f"{name} {status} header {header}", *_decide(_with_schema(spec), own), where=where)
                        )
    users = _Users(document, operations)
    components = document.get("components") or {}
    for kind in ("schemas", "parameters", "headers", "responses", "requestBodies"):
        for key, node in (components.get(kind) or {}).items():
            if not isinstance(node, Mapping):
                continue
            ref = f"#/components/{kind}/{key}"
            fallback = users.mark(ref)
            where = f"components.{kind}.{key}"
            if kind == "schemas":
                _walk(node, str(key), [], _decide([node], fallback), result.fields, where)
            elif kind in ("parameters", "headers"):
                label = f"{node.get('in')} {node.get('name')}" if kind == "parameters" else f"header {key}"
                result.fields.append(Entry(label, *_decide(_with_schema(node), fallback), where=where))
            else:
                inherited = _decide([node], fallback)
                for media in (node.get("content") or {}).values():
                    _walk(media.get("schema"), str(key), [node], inherited, result.fields, where)
                for header, spec in (node.get("headers") or {}).items():
                    if isinstance(spec, Mapping) and "$ref" not in spec:
                        result.fields.append(
                            Entry(
                                f"{key} header {header}", *_decide([*_with_schema(spec), node], fallback), where=where
                            )
                        )
    return result


def _cell(entry: Entry) -> str:
    if entry.mark == DOCUMENTED:
        return "documented: " + ", ".join(f"<{url}>" for url in entry.sources)
    return "**convomock design**" if entry.mark == DESIGN else "**unmarked**"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(document: Mapping[str, Any], api: str, spec_file: str) -> str:
    """The record as the Markdown page docs/fidelity/<api>.md holds."""
    found = record(document)

    def count(entries: list[Entry], mark: str) -> int:
        return sum(1 for entry in entries if entry.mark == mark)

    lines = [
        f"# Fidelity record: {found.title} (`{api}`)",
        "",
        f"Generated from `{spec_file}` by `convomock specs fidelity {api} --write docs/fidelity`; do not edit by hand.",
        "Each operation and field is **documented** (the vendor page that shows it) or **convomock design** (ours:",
        "the vendor's pages leave it open; the spec's description says what we chose). How the marks are read: README,",
        '"Fidelity records".',
        "",
        f"- operations: {count(found.operations, DOCUMENTED)} documented, {count(found.operations, DESIGN)} convomock design"
        + (f", {count(found.operations, UNMARKED)} unmarked" if count(found.operations, UNMARKED) else ""),
        f"- fields: {count(found.fields, DOCUMENTED)} documented, {count(found.fields, DESIGN)} convomock design"
        + (f", {count(found.fields, UNMARKED)} unmarked" if count(found.fields, UNMARKED) else ""),
        "",
        "## Operations",
        "",
        "| operation | method and path | whose |",
        "|---|---|---|",
    ]
    lines += [f"| `{e.name}` | `{_escape(e.where)}` | {_cell(e)} |" for e in found.operations]
    lines += ["", "## Fields", "", "| field | in | whose |", "|---|---|---|"]
    lines += [f"| `{_escape(e.name)}` | `{_escape(e.where)}` | {_cell(e)} |" for e in found.fields]
    return "\n".join(lines) + "\n"
