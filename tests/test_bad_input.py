"""Bad input on every API: each malformed request gets the vendor's own 4xx envelope with a message, never a 5xx,
and the state snapshot is byte-identical before and after (a first slice of the robustness issue)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from starlette.testclient import TestClient

from mock_server.engine.app import MockApp
from mock_server.engine.specs import load_yaml
from mock_server.server import create_app

# Per API: a write that takes a JSON body, and a read by id (an object of the seed).
TARGETS = {
    "1to1ai": (
        "/1to1ai/api/v1/public/acme/conversation/status",
        "/1to1ai/api/v1/public/acme/conversations/550e8400-e29b-41d4-a716-446655440000",
    ),
    "highlevel": ("/highlevel/conversation-ai/agents", "/highlevel/conversation-ai/agents/agent_seed_1"),
    "crm-inbox": (
        "/crm-inbox/conversations/7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b01/assign",
        "/crm-inbox/conversations/7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b01",
    ),
    "omni-inbox": (
        "/omni-inbox/conversation-predefined-messages",
        "/omni-inbox/conversations/665f1c2e9b1d4a0012a3b401",
    ),
}
DEEP = b"[" * 10_000 + b"]" * 10_000
BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "not-json": (b"{this is not json", "application/json"),
    "top-level-array": (b"[1, 2, 3]", "application/json"),
    "top-level-string": (b'"hello"', "application/json"),
    "wrong-content-type": (b'{"a": 1}', "text/plain"),
    "no-content-type": (b'{"a": 1}', ""),
    "too-large": (b'{"a": "' + b"x" * (11 * 1024 * 1024) + b'"}', "application/json"),
    "nested-10000-deep": (DEEP, "application/json"),
    "invalid-utf8": (b'{"a": "\xff\xfe"}', "application/json"),
    "nul-byte": (b'{"a": "x\x00y"}', "application/json"),
    "duplicate-keys": (b'{"a": 1, "a": 2}', "application/json"),
    "nan": (b'{"a": NaN}', "application/json"),
    "huge-number": (b'{"a": 1e999999}', "application/json"),
}


def _envelope(api: str) -> Any:
    document = load_yaml(create_app(apis=[api]).backend.runtimes[api].binding.spec_path)
    ref = document["info"]["x-convomock"]["error-envelope"]
    registry = jsonschema_rs.Registry([("urn:spec", document)])
    return jsonschema_rs.Draft202012Validator({"$ref": "urn:spec" + ref}, registry=registry)


@pytest.fixture(params=sorted(TARGETS))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, TestClient, dict[str, str], Any, MockApp]]:
    api = request.param
    app = create_app(apis=[api], frozen=True)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        credential = http.get("/__mock/credentials").json()[api][0]
        headers = {
            "Authorization": f"Bearer {credential['token']}",
            **credential.get("headers", {}),
            **credential.get("tenant_headers", {}),
        }
        yield api, http, headers, _envelope(api), app
    assert app.backend.internal_errors == [] and app.backend.strict_violations == []


def _refused(response: Any, envelope: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert envelope.is_valid(body), body
    assert json.dumps(body) and any(isinstance(v, (str, list)) and v for v in body.values()), body


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_a_bad_body_is_the_vendors_4xx_and_changes_nothing(served: Any, case: str) -> None:
    api, http, headers, envelope, _ = served
    write, _read = TARGETS[api]
    raw, content_type = BAD_BODIES[case]
    before = http.get("/__mock/state").text
    sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
    response = http.post(write, content=raw, headers=sent)
    _refused(response, envelope)
    if case == "too-large":
        assert response.status_code == 413
    assert http.get("/__mock/state").text == before


# (A literal `/../` never reaches a server: HTTP clients resolve dot segments before sending.)
@pytest.mark.parametrize(
    "suffix",
    ["/..%2F..%2Fetc%2Fpasswd", "%2F..%2F", "/%2E%2E%2F%2E%2E%2F__mock%2Fstate", "/" + "9" * 400, "/%00", "/%ff%fe"],
)
def test_hostile_ids_are_refused_in_the_vendors_shape(served: Any, suffix: str) -> None:
    api, http, headers, envelope, _ = served
    _write, read = TARGETS[api]
    base = read.rsplit("/", 1)[0]
    before = http.get("/__mock/state").text
    response = http.get(base + suffix, headers=headers)
    _refused(response, envelope)
    assert http.get("/__mock/state").text == before


def test_very_long_query_strings_and_headers_are_answered(served: Any) -> None:
    api, http, headers, envelope, _ = served
    _write, read = TARGETS[api]
    before = http.get("/__mock/state").text
    response = http.get(
        read + "?" + "&".join(f"k{i}={'v' * 50}" for i in range(900)),  # ~50 KiB
        headers={**headers, "X-Long": "y" * 60_000},
    )
    assert response.status_code < 500
    if response.status_code >= 400:  # refused: then nothing may have changed (a read may draw a trace id)
        _refused(response, envelope)
        assert http.get("/__mock/state").text == before
    else:
        assert response.json()
