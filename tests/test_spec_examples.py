"""Every request example of every spec works against the default seed as shown (issue 16, item 4): what Swagger
UI's "Try it out" on the mock's docs page sends, this test sends — the spec as the page gets it
(`/__mock/docs/<api>/openapi.json`, tenant parameters filled with the first seeded tenant's values), every
parameter's example, every request-body example, and on each security scheme the credential the page
pre-authorises (`docs.js`). Each example starts from a fresh seed and must get the operation's documented success,
an answer inside the spec (the app runs strict) and a body that is not empty where the spec documents one.

Operations without a body (reads, and writes such as star, claim or delete) are sent too when every required
parameter has an example: a reader of the docs page tries those first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from starlette.datastructures import QueryParams
from starlette.testclient import TestClient

from mock_server.apis import BINDINGS
from mock_server.engine.app import MockApp
from mock_server.engine.specs import resolve_ref
from mock_server.server import FAST_OPTIONS, create_app, encode_snapshot
from tests.support.specs import SPECS

METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Example:
    """One "Try it out" request: the operation, the example's name, and what the page would fill in."""

    api: str
    operation_id: str
    name: str
    method: str
    path: str  # the spec's path template
    content_type: str | None = None
    body: Any = None
    has_body: bool = False


@dataclass
class Filled:
    path_values: dict[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def _example_of(document: Mapping[str, Any], parameter: Mapping[str, Any]) -> Any:
    """The value Swagger UI puts in the parameter's box: `example`, else the first of `examples`, else the schema's."""
    if "example" in parameter:
        return parameter["example"]
    examples = parameter.get("examples") or {}
    if examples:
        return resolve_ref(document, next(iter(examples.values()))).get("value")
    schema = resolve_ref(document, parameter.get("schema") or {})
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    return None


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _fill(document: Mapping[str, Any], parameters: list[Any]) -> Filled:
    filled = Filled()
    for parameter in (resolve_ref(document, p) for p in parameters):
        where, name = parameter.get("in"), str(parameter.get("name"))
        value = _example_of(document, parameter)
        if value is None:
            if parameter.get("required") or where == "path":
                filled.missing.append(f"{where} {name}")
            continue
        if where == "path":
            filled.path_values[name] = _text(value)
        elif where == "header":
            filled.headers[name] = _text(value)
        elif where == "query":
            if isinstance(value, Mapping):  # deepObject: name[key]=value
                filled.query.extend((f"{name}[{key}]", _text(item)) for key, item in value.items())
            elif isinstance(value, list) and not parameter.get("explode", True) is False:
                filled.query.extend((name, _text(item)) for item in value)
            else:
                filled.query.append((name, _text(value)))
    return filled


def _examples(api: str) -> list[Example]:
    """Every request-body example of the spec, and every operation without a body (its parameters' examples)."""
    document = SPECS[api].document
    found: list[Example] = []
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            operation_id = str(operation["operationId"])
            body = resolve_ref(document, operation.get("requestBody") or {})
            for content_type, media in (body.get("content") or {}).items():
                for name, example in (media.get("examples") or {}).items():
                    value = resolve_ref(document, example).get("value")
                    found.append(Example(api, operation_id, name, method, path, content_type, value, True))
                if "example" in media:
                    found.append(
                        Example(api, operation_id, "example", method, path, content_type, media["example"], True)
                    )
            if not body:
                found.append(Example(api, operation_id, "parameters", method, path))
    return found


CASES = [example for api in sorted(BINDINGS) for example in _examples(api)]


@dataclass
class DocsPage:
    """One API served as `make serve` serves it, and what its docs page gets: the spec and, per security scheme,
    the value the page pre-authorises."""

    http: TestClient
    document: dict[str, Any]
    preauthorised: dict[str, str]
    app: MockApp
    spare: MockApp | None = None  # a second mock the state file is restored into


@pytest.fixture(scope="module")
def docs_pages() -> Iterator[Callable[[str], DocsPage]]:
    pages: dict[str, DocsPage] = {}
    with ExitStack() as stack:

        def page(api: str) -> DocsPage:
            if api not in pages:
                app = create_app(apis=[api], frozen=True)
                http = stack.enter_context(TestClient(app, base_url="http://127.0.0.1:8000"))
                stack.callback(_no_crash_and_inside_the_spec, app)
                document = http.get(f"/__mock/docs/{api}/openapi.json").json()
                credentials = http.get("/__mock/credentials").json()[api]
                pages[api] = DocsPage(http, document, _preauthorised(document, credentials), app)
            return pages[api]

        yield page


def _no_crash_and_inside_the_spec(app: MockApp) -> None:
    assert app.backend.internal_errors == [], "a handler crashed"
    assert app.backend.strict_violations == [], "the mock answered outside its own spec"


def _preauthorised(document: Mapping[str, Any], credentials: list[Mapping[str, Any]]) -> dict[str, str]:
    """docs.js: each security scheme gets the token of the first credential meant for it (a credential naming
    `schemes`), else the first credential's."""
    values: dict[str, str] = {}
    for scheme in (document.get("components") or {}).get("securitySchemes") or {}:
        meant = [c for c in credentials if scheme in (c.get("schemes") or ())]
        chosen = (meant or credentials)[0]
        values[scheme] = str(chosen["token"])
    return values


def _security(
    document: Mapping[str, Any], operation: Mapping[str, Any], values: Mapping[str, str]
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """What Swagger UI sends: every scheme of every security requirement of the operation, all pre-authorised
    (swagger-client's applySecurities), in the order the spec lists them: its headers and query parameters."""
    headers: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    for requirement in operation.get("security", document.get("security") or []):
        for name in requirement:
            scheme = schemes[name]
            if scheme.get("type") == "http":
                kind = "Basic" if scheme.get("scheme") == "basic" else "Bearer"
                headers["Authorization"] = f"{kind} {values[name]}"
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                headers[str(scheme["name"])] = values[name]
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "query":
                query.append((str(scheme["name"]), values[name]))
    return headers, query


def _success(operation: Mapping[str, Any]) -> set[int]:
    return {int(status) for status in operation.get("responses") or {} if str(status).startswith("2")}


@pytest.mark.parametrize("example", CASES, ids=lambda e: f"{e.api}:{e.operation_id}:{e.name}")
def test_the_example_works_as_shown(docs_pages: Callable[[str], DocsPage], example: Example) -> None:
    page = docs_pages(example.api)
    http, document, preauthorised = page.http, page.document, page.preauthorised
    item = document["paths"][example.path]
    operation = item[example.method]
    filled = _fill(document, list(item.get("parameters") or []) + list(operation.get("parameters") or []))
    if example.name == "parameters" and filled.missing:
        pytest.skip("a call without a body whose required parameters have no example: the page cannot try it")
    assert not filled.missing, f"{example.operation_id}: no example for {filled.missing}"
    http.post("/__mock/reset")
    before = http.get("/__mock/state").json() if example.method != "get" else None
    root = urlsplit(document["servers"][0]["url"]).path
    url = root + example.path.format(**filled.path_values)
    authorised, token_query = _security(document, operation, preauthorised)
    headers = {**filled.headers, **authorised, "X-Mock-Client": "docs"}
    filled.query.extend(token_query)
    if not example.has_body:
        response = http.request(example.method.upper(), url, params=QueryParams(filled.query), headers=headers)
    elif "json" in str(example.content_type):
        response = http.request(
            example.method.upper(), url, params=QueryParams(filled.query), headers=headers, json=example.body
        )
    else:
        headers["Content-Type"] = str(example.content_type)
        response = http.request(
            example.method.upper(), url, params=QueryParams(filled.query), headers=headers, data=example.body
        )
    shown = f"{example.operation_id}.{example.name}: {example.method.upper()} {url} -> {response.status_code} {response.text[:300]}"
    assert response.status_code in _success(operation), shown
    documented = operation["responses"].get(str(response.status_code)) or {}
    if (resolve_ref(document, documented).get("content") or {}) and response.status_code != 204:
        assert response.content.strip() not in (b"", b"{}", b"[]", b"null"), shown
    if before is not None and example.method in ("put", "patch", "delete"):
        # a write that the vendor applies changes what the next read sees (a canned answer would not)
        assert http.get("/__mock/state").json() != before, f"{shown}: the write changed nothing"
    # The state file's fast encoding (orjson over the stores' dataclasses) holds what the lossless one does, and
    # loads back to the same state, after every kind of write the spec documents.
    http.post("/__mock/settle")  # no background job changes the state while it is encoded twice
    fast = orjson.loads(orjson.dumps(page.app.backend.snapshot(structured=True), option=FAST_OPTIONS))  # no fallback
    assert fast == json.loads(encode_snapshot(page.app.backend.snapshot())), f"{shown}: the state file differs"
    page.spare = page.spare or create_app(apis=[example.api], frozen=True)
    restored = page.spare
    restored.backend.restore(fast)
    assert restored.backend.snapshot() == page.app.backend.snapshot(), f"{shown}: the state file loads differently"
